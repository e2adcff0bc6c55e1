//! The lookup and mapping options the `file`, `keepass` and `teampass` managers
//! share: `--X-search-value='NAME=JSONPATH'` keeps the first value JSONPATH selects
//! as NAME (`%{option}` in the path replaced by that option's value first), then
//! `--X-map-option='OPTION=TEXT'` sets OPTION to TEXT with each `%{NAME}` replaced
//! by the value looked up (empty when none).

use std::collections::HashMap;

use serde_json::Value;

use super::{jsonpath, set_option, Context};
use crate::error::{Error, Result};
use crate::options::{List, OptionSpec, Values};

/// The help of a manager's `--X-search-value`.
pub const SEARCH_DOC: &str = "Looking for a value in the JSON, as NAME=JSONPATH (repeatable). JSONPath as RFC \
     9535 defines it; Perl filters of the forms $_->{field} =~ /re/flags, !~, eq, ne, ==, != joined by && or \
     || are translated (never executed). %{option} in the path is replaced by that option's value.";

/// The help of a manager's `--X-map-option`.
pub const MAP_DOC: &str = "Overload an option value with what was found, as OPTION=TEXT where %{NAME} in \
     TEXT is replaced by the value NAME found, e.g. 'client-secret=%{password}' (repeatable).";

/// A manager's two options: `--X-search-value` and `--X-map-option`.
#[derive(Debug, Clone, Copy)]
pub struct Mapping {
    /// `--X-search-value`.
    pub search: &'static List,
    /// `--X-map-option`.
    pub map: &'static List,
}

/// Runs the lookups of `mapping.search` over `document` and applies `mapping.map`.
/// `manager` names the manager in errors.
pub fn apply(
    values: &mut Values,
    specs: &[OptionSpec],
    context: Context<'_>,
    mapping: Mapping,
    manager: &str,
    document: &Value,
) -> Result<()> {
    let found = lookups(values, specs, mapping.search, manager, document)?;
    for text in found.values() {
        context.debug.secret(text);
    }
    let rules: Vec<String> = values.list(mapping.map).to_vec();
    for rule in rules {
        let Some((option, text)) = split_rule(&rule) else { continue };
        let mapped = substitute(text, |name| found.get(name).cloned());
        context.debug.secret(&mapped);
        set_option(values, specs, option, mapped);
    }
    Ok(())
}

/// NAME → value of every `--<prefix>-search-value` that selects something.
fn lookups(
    values: &Values,
    specs: &[OptionSpec],
    search: &List,
    manager: &str,
    document: &Value,
) -> Result<HashMap<String, String>> {
    let mut found = HashMap::new();
    let option_value = |option: &str| {
        let option = option.replace('_', "-");
        specs.iter().find(|s| s.answers_to(&option)).and_then(|spec| values.generated(spec)).map(str::to_string)
    };
    for rule in values.list(search) {
        let Some((name, path)) = split_rule(rule) else { continue };
        let path = substitute(path, option_value);
        let value = jsonpath::first(&path, document)
            .map_err(|why| Error::new(format!("{manager}: --{}-search-value '{name}': {why}", prefix(search))))?;
        if let Some(value) = value {
            found.insert(name.to_string(), value);
        }
    }
    Ok(found)
}

/// `secret` for `--secret-search-value`: how the manager's options are named.
fn prefix(search: &List) -> &'static str {
    search.name().trim_end_matches("-search-value")
}

/// `NAME=VALUE` split at the first `=`, both parts non-empty (else the rule is
/// skipped, as Perl's `^(.+?)=(.+)$` does).
fn split_rule(rule: &str) -> Option<(&str, &str)> {
    rule.split_once('=').filter(|(name, value)| !name.is_empty() && !value.is_empty())
}

/// `text` with every `%{NAME}` replaced by `lookup(NAME)` (empty when `None`).
pub fn substitute(text: &str, lookup: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("%{") {
        let Some(len) = rest[start + 2..].find('}') else { break };
        out.push_str(&rest[..start]);
        out.push_str(&lookup(&rest[start + 2..start + 2 + len]).unwrap_or_default());
        rest = &rest[start + 2 + len + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::debug::{DebugLog, Logging, Secrets};
    use serde_json::json;

    const SEARCH: List = List::new("secret-search-value", SEARCH_DOC);
    const MAP: List = List::new("secret-map-option", MAP_DOC);
    const MAPPING: Mapping = Mapping { search: &SEARCH, map: &MAP };

    fn specs() -> Vec<OptionSpec> {
        vec![SEARCH.spec(), MAP.spec(), OptionSpec::value("client-secret", ""), OptionSpec::value("tenant", "")]
    }

    #[test]
    fn search_then_map_sets_the_option_and_masks_it() {
        let specs = specs();
        let mut values = Values::of(
            &specs,
            &[
                ("tenant", "contoso"),
                ("secret-search-value", "pass=$.tenants.%{tenant}.secret"),
                ("secret-search-value", "none=$.missing"),
                ("secret-map-option", "client_secret=%{pass}%{none}"),
            ],
        );
        let debug = DebugLog::new(Logging::On, Secrets::Masked);
        let context = Context { debug: &debug, deadline: std::time::Instant::now() };
        let document = json!({"tenants": {"contoso": {"secret": "s3cr3t-value"}}});
        apply(&mut values, &specs, context, MAPPING, "file", &document).expect("applied");
        assert_eq!(values.generated(&specs[2]), Some("s3cr3t-value"));
        debug.log("secret is s3cr3t-value");
        assert_eq!(debug.take(), ["secret is ***"]);
    }

    #[test]
    fn a_bad_path_names_the_manager_and_option() {
        let specs = specs();
        let mut values = Values::of(&specs, &[("secret-search-value", "x=$.a[")]);
        let debug = DebugLog::default();
        let context = Context { debug: &debug, deadline: std::time::Instant::now() };
        let error = apply(&mut values, &specs, context, MAPPING, "file", &json!({})).expect_err("bad");
        assert!(
            error.message().starts_with("file: --secret-search-value 'x': invalid JSONPath"),
            "{}",
            error.message()
        );
    }

    #[test]
    fn substitution_leaves_unclosed_text() {
        assert_eq!(substitute("a%{x}b%{y", |n| (n == "x").then(|| "1".to_string())), "a1b%{y");
    }
}
