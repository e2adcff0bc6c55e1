//! Option declarations and the values a command line gave them.
//!
//! Every option the plugin accepts is declared once as an [`OptionSpec`]: the tokenizer
//! ([`crate::getopt`]) parses against these declarations and `--help` is rendered from
//! them, so the accepted options and the documented ones cannot drift apart.

use std::collections::HashMap;

/// How an option takes its value, as the Centreon tokenizer distinguishes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A switch; `--flag 0` leaves it unset, any other value sets it.
    Flag,
    /// A string; the last occurrence wins.
    Value,
    /// A repeatable string; occurrences accumulate in order.
    List,
    /// A repeatable `key=value`; a value without `=` is dropped.
    Map,
}

/// How an option appears in `--help`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Doc {
    /// Accepted but never shown (as `--use-new-perfdata` in Perl).
    Hidden,
    /// Its own item: paragraphs separated by blank lines.
    Text(String),
    /// Shown in the item of the option declared just before it (`--change-perfdata
    /// --extend-perfdata` share one item).
    SameItemAsPrevious,
}

/// One accepted option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionSpec {
    /// The canonical name, without the leading dashes.
    pub name: String,
    /// Other names that set the same value (last occurrence of any of them wins).
    pub aliases: Vec<String>,
    /// How it takes its value.
    pub kind: Kind,
    /// The value when the option is absent.
    pub default: Option<String>,
    /// Its help text.
    pub doc: Doc,
}

impl OptionSpec {
    fn new(name: &str, kind: Kind, doc: &str) -> Self {
        let doc = if doc.is_empty() { Doc::Hidden } else { Doc::Text(doc.to_string()) };
        OptionSpec { name: name.to_string(), aliases: Vec::new(), kind, default: None, doc }
    }

    /// A string option; `doc` empty hides it from `--help`.
    pub fn value(name: &str, doc: &str) -> Self {
        Self::new(name, Kind::Value, doc)
    }

    /// A switch.
    pub fn flag(name: &str, doc: &str) -> Self {
        Self::new(name, Kind::Flag, doc)
    }

    /// A repeatable string option.
    pub fn list(name: &str, doc: &str) -> Self {
        Self::new(name, Kind::List, doc)
    }

    /// A repeatable `key=value` option.
    pub fn map(name: &str, doc: &str) -> Self {
        Self::new(name, Kind::Map, doc)
    }

    /// Sets the value used when the option is absent.
    pub fn default(mut self, value: &str) -> Self {
        self.default = Some(value.to_string());
        self
    }

    /// Adds another name for the same option.
    pub fn alias(mut self, name: &str) -> Self {
        self.aliases.push(name.to_string());
        self
    }

    /// Documents this option in the previous option's help item.
    pub fn same_item_as_previous(mut self) -> Self {
        self.doc = Doc::SameItemAsPrevious;
        self
    }

    /// Whether `name` (without dashes) designates this option.
    pub fn answers_to(&self, name: &str) -> bool {
        self.name == name || self.aliases.iter().any(|a| a == name)
    }
}

/// What the command line gave one option.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Given {
    Flag(bool),
    Value(String),
    List(Vec<String>),
    Map(Vec<(String, String)>),
}

/// The parsed values of all declared options, looked up by canonical name.
#[derive(Debug, Clone, Default)]
pub struct Values {
    given: HashMap<String, Given>,
    defaults: HashMap<String, String>,
}

impl Values {
    /// Records the defaults of `specs` (values given later override them).
    pub fn declare(&mut self, specs: &[OptionSpec]) {
        for spec in specs {
            if let Some(default) = &spec.default {
                self.defaults.insert(spec.name.clone(), default.clone());
            }
        }
    }

    /// Records one occurrence of the option `spec` with its raw value.
    pub fn set(&mut self, spec: &OptionSpec, raw: String) {
        let name = spec.name.clone();
        match spec.kind {
            Kind::Flag => {
                self.given.insert(name, Given::Flag(raw != "0"));
            }
            Kind::Value => {
                self.given.insert(name, Given::Value(raw));
            }
            Kind::List => match self.given.entry(name).or_insert_with(|| Given::List(Vec::new())) {
                Given::List(items) => items.push(raw),
                other => *other = Given::List(vec![raw]),
            },
            Kind::Map => {
                if let Some((key, value)) = raw.split_once('=') {
                    let pair = (key.to_string(), value.to_string());
                    match self.given.entry(name).or_insert_with(|| Given::Map(Vec::new())) {
                        Given::Map(pairs) => pairs.push(pair),
                        other => *other = Given::Map(vec![pair]),
                    }
                }
            }
        }
    }

    /// Whether a switch is on.
    pub fn flag(&self, name: &str) -> bool {
        matches!(self.given.get(name), Some(Given::Flag(true)))
    }

    /// A string option's value: the last one given, else its default, else `None`.
    /// An explicitly empty value (`--opt=`) is `Some("")`.
    pub fn value(&self, name: &str) -> Option<&str> {
        match self.given.get(name) {
            Some(Given::Value(v)) => Some(v),
            _ => self.defaults.get(name).map(String::as_str),
        }
    }

    /// A string option's value, `None` when absent or empty: most options treat an
    /// empty value as "not set".
    pub fn non_empty(&self, name: &str) -> Option<&str> {
        self.value(name).filter(|v| !v.is_empty())
    }

    /// All values of a repeatable option, in command-line order.
    pub fn list(&self, name: &str) -> &[String] {
        match self.given.get(name) {
            Some(Given::List(items)) => items,
            _ => &[],
        }
    }

    /// All `key=value` pairs of a map option, in command-line order.
    pub fn map(&self, name: &str) -> &[(String, String)] {
        match self.given.get(name) {
            Some(Given::Map(pairs)) => pairs,
            _ => &[],
        }
    }

    /// Every string given on the command line (values, list items, map values), to
    /// rewrite in place: a password manager replaces references in any option by the
    /// secrets they name.
    pub fn given_strings_mut(&mut self) -> impl Iterator<Item = &mut String> {
        self.given.values_mut().flat_map(|given| -> Box<dyn Iterator<Item = &mut String> + '_> {
            match given {
                Given::Flag(_) => Box::new(std::iter::empty()),
                Given::Value(value) => Box::new(std::iter::once(value)),
                Given::List(items) => Box::new(items.iter_mut()),
                Given::Map(pairs) => Box::new(pairs.iter_mut().map(|(_, value)| value)),
            }
        })
    }

    /// Takes over everything `other` recorded (its values win over ours).
    pub fn absorb(&mut self, other: Values) {
        self.given.extend(other.given);
        self.defaults.extend(other.defaults);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_value_wins_and_defaults_apply() {
        let spec = OptionSpec::value("mode", "").default("x");
        let mut values = Values::default();
        values.declare(std::slice::from_ref(&spec));
        assert_eq!(values.value("mode"), Some("x"));
        values.set(&spec, "a".into());
        values.set(&spec, "b".into());
        assert_eq!(values.value("mode"), Some("b"));
    }

    #[test]
    fn flags_treat_zero_as_off() {
        let spec = OptionSpec::flag("verbose", "");
        let mut values = Values::default();
        values.set(&spec, "0".into());
        assert!(!values.flag("verbose"));
        values.set(&spec, "foo".into());
        assert!(values.flag("verbose"));
    }

    #[test]
    fn lists_accumulate_and_maps_drop_pairs_without_equals() {
        let list = OptionSpec::list("change-perfdata", "");
        let map = OptionSpec::map("environment", "");
        let mut values = Values::default();
        values.set(&list, "a".into());
        values.set(&list, "b".into());
        values.set(&map, "TZ=UTC".into());
        values.set(&map, "junk".into());
        assert_eq!(values.list("change-perfdata"), ["a", "b"]);
        assert_eq!(values.map("environment"), [("TZ".to_string(), "UTC".to_string())]);
    }
}

/// A titled group of options, as `--help` shows them (`Rest api Options:`,
/// `Http Global Options:`, `Retention Options:` …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionSection {
    /// The POD-style heading, e.g. `REST API OPTIONS`; `--help` rewrites its case.
    pub title: String,
    /// Paragraphs shown before the options.
    pub intro: Vec<String>,
    /// The options, in help order.
    pub options: Vec<OptionSpec>,
}

impl OptionSection {
    /// A section without introduction.
    pub fn new(title: &str, options: Vec<OptionSpec>) -> Self {
        OptionSection { title: title.to_string(), intro: Vec::new(), options }
    }

    /// Adds an introductory paragraph.
    pub fn intro(mut self, paragraph: &str) -> Self {
        self.intro.push(paragraph.to_string());
        self
    }
}
