//! The lookup and mapping options the `file`, `keepass` and `teampass` managers
//! share: `--X-search-value='NAME=JSONPATH'` keeps the first value JSONPATH selects
//! as NAME (`%{option}` in the path replaced by that option's value first), then
//! `--X-map-option='OPTION=TEXT'` sets OPTION to TEXT with each `%{NAME}` replaced
//! by the value looked up (empty when none).

use std::collections::HashMap;

use serde_json::Value;

use super::{jsonpath, set_option, Context};
use crate::error::{Error, Result};
use crate::options::{OptionSpec, Values};

/// The two options of a manager whose prefix is `prefix` (`secret`, `keepass`…).
pub fn options(prefix: &str) -> Vec<OptionSpec> {
    vec![
        OptionSpec::list(
            &format!("{prefix}-search-value"),
            "Looking for a value in the JSON, as NAME=JSONPATH (repeatable). JSONPath as RFC \
             9535 defines it; Perl filters of the forms $_->{field} =~ /re/flags, !~, eq, ne, \
             ==, != joined by && or || are translated (never executed). %{option} in the path \
             is replaced by that option's value.",
        ),
        OptionSpec::list(
            &format!("{prefix}-map-option"),
            "Overload an option value with what was found, as OPTION=TEXT where %{NAME} in TEXT \
             is replaced by the value NAME found, e.g. 'client-secret=%{password}' (repeatable).",
        ),
    ]
}

/// Runs the lookups of `--<prefix>-search-value` over `document` and applies
/// `--<prefix>-map-option`. `manager` names the manager in errors.
pub fn apply(
    values: &mut Values,
    specs: &[OptionSpec],
    context: Context<'_>,
    prefix: &str,
    manager: &str,
    document: &Value,
) -> Result<()> {
    let found = lookups(values, prefix, manager, document)?;
    for text in found.values() {
        context.debug.secret(text);
    }
    let rules: Vec<String> = values.list(&format!("{prefix}-map-option")).to_vec();
    for rule in rules {
        let Some((option, text)) = split_rule(&rule) else { continue };
        let mapped = substitute(text, |name| found.get(name).cloned());
        context.debug.secret(&mapped);
        set_option(values, specs, option, mapped);
    }
    Ok(())
}

/// NAME → value of every `--<prefix>-search-value` that selects something.
fn lookups(values: &Values, prefix: &str, manager: &str, document: &Value) -> Result<HashMap<String, String>> {
    let mut found = HashMap::new();
    for rule in values.list(&format!("{prefix}-search-value")) {
        let Some((name, path)) = split_rule(rule) else { continue };
        let path = substitute(path, |option| values.value(&option.replace('_', "-")).map(str::to_string));
        let value = jsonpath::first(&path, document)
            .map_err(|why| Error::new(format!("{manager}: --{prefix}-search-value '{name}': {why}")))?;
        if let Some(value) = value {
            found.insert(name.to_string(), value);
        }
    }
    Ok(found)
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

    #[test]
    fn search_then_map_sets_the_option_and_masks_it() {
        let mut specs = options("secret");
        specs.push(OptionSpec::value("client-secret", ""));
        specs.push(OptionSpec::value("tenant", ""));
        let mut values = Values::default();
        let set = |values: &mut Values, name: &str, value: &str| {
            let spec = specs.iter().find(|s| s.name == name).expect("spec").clone();
            values.set(&spec, value.to_string());
        };
        set(&mut values, "tenant", "contoso");
        set(&mut values, "secret-search-value", "pass=$.tenants.%{tenant}.secret");
        set(&mut values, "secret-search-value", "none=$.missing");
        set(&mut values, "secret-map-option", "client_secret=%{pass}%{none}");
        let debug = DebugLog::new(Logging::On, Secrets::Masked);
        let context = Context { debug: &debug, deadline: std::time::Instant::now() };
        let document = json!({"tenants": {"contoso": {"secret": "s3cr3t-value"}}});
        apply(&mut values, &specs, context, "secret", "file", &document).expect("applied");
        assert_eq!(values.value("client-secret"), Some("s3cr3t-value"));
        debug.log("secret is s3cr3t-value");
        assert_eq!(debug.take(), ["secret is ***"]);
    }

    #[test]
    fn a_bad_path_names_the_manager_and_option() {
        let specs = options("keepass");
        let mut values = Values::default();
        values.set(&specs[0], "x=$.a[".to_string());
        let debug = DebugLog::default();
        let context = Context { debug: &debug, deadline: std::time::Instant::now() };
        let error = apply(&mut values, &specs, context, "keepass", "keepass", &json!({})).expect_err("bad");
        assert!(
            error.message().starts_with("keepass: --keepass-search-value 'x': invalid JSONPath"),
            "{}",
            error.message()
        );
    }

    #[test]
    fn substitution_leaves_unclosed_text() {
        assert_eq!(substitute("a%{x}b%{y", |n| (n == "x").then(|| "1".to_string())), "a1b%{y");
    }
}
