//! Option declarations and the values a command line gave them.
//!
//! Every option is declared once, as a typed handle ([`Flag`], [`Text`], [`List`],
//! [`Pairs`]) in a `const` beside the code that reads it. The handle both declares the
//! option (its [`OptionSpec`], which the tokenizer in [`crate::getopt`] parses against and
//! `--help` renders) and reads its value ([`Values::flag`], [`Values::value`] …), so the
//! name is written once, a misspelt option does not compile, and a switch cannot be read
//! as a string. Looking a value up by its name is private to this module.
//!
//! ```
//! use centreon_plugin::getopt;
//! use centreon_plugin::options::{Flag, Text};
//!
//! const VERBOSE: Flag = Flag::new("verbose", "Display long output.");
//! const UNITS: Text = Text::new("units", "Unit of the thresholds.").default("%");
//!
//! let args = ["--verbose".to_string()];
//! let values = getopt::parse(&args, &[VERBOSE.spec(), UNITS.spec()]).values;
//! assert!(values.flag(&VERBOSE));
//! assert_eq!(values.value(&UNITS), Some("%"));
//! ```

use std::collections::HashMap;
use std::marker::PhantomData;

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

    /// Replaces its help text, for an option whose help depends on where it is
    /// declared (the same option documented for two custom modes).
    pub fn documented(mut self, text: &str) -> Self {
        self.doc = if text.is_empty() { Doc::Hidden } else { Doc::Text(text.to_string()) };
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

/// The marker types that say how a handle's option takes its value, so that each read
/// of [`Values`] accepts only the handles it can answer.
pub mod kind {
    use super::Kind;

    /// What a handle's marker type stands for.
    pub trait Marker {
        /// The tokenizer's kind of option.
        const KIND: Kind;
    }

    /// A switch ([`super::Flag`]).
    #[derive(Debug)]
    pub struct Switch;
    /// A string ([`super::Text`]).
    #[derive(Debug)]
    pub struct Single;
    /// A repeatable string ([`super::List`]).
    #[derive(Debug)]
    pub struct Repeated;
    /// A repeatable `key=value` ([`super::Pairs`]).
    #[derive(Debug)]
    pub struct KeyValues;

    impl Marker for Switch {
        const KIND: Kind = Kind::Flag;
    }
    impl Marker for Single {
        const KIND: Kind = Kind::Value;
    }
    impl Marker for Repeated {
        const KIND: Kind = Kind::List;
    }
    impl Marker for KeyValues {
        const KIND: Kind = Kind::Map;
    }
}

/// One option, declared once in a `const`: its name, other names, default and help.
/// [`Opt::spec`] declares it to the tokenizer and `--help`; [`Values`] reads it back
/// through the same handle, typed by `K` (see [`Flag`], [`Text`], [`List`], [`Pairs`]).
#[derive(Debug)]
pub struct Opt<K> {
    name: &'static str,
    aliases: &'static [&'static str],
    default: Option<&'static str>,
    doc: &'static str,
    same_item: bool,
    kind: PhantomData<fn() -> K>,
}

/// A switch: read with [`Values::flag`].
pub type Flag = Opt<kind::Switch>;
/// A string option, the last occurrence winning: read with [`Values::value`] or
/// [`Values::non_empty`].
pub type Text = Opt<kind::Single>;
/// A repeatable string option: read with [`Values::list`].
pub type List = Opt<kind::Repeated>;
/// A repeatable `key=value` option: read with [`Values::map`].
pub type Pairs = Opt<kind::KeyValues>;

impl<K: kind::Marker> Opt<K> {
    /// The option `--name`; an empty `doc` hides it from `--help`.
    pub const fn new(name: &'static str, doc: &'static str) -> Self {
        Opt { name, aliases: &[], default: None, doc, same_item: false, kind: PhantomData }
    }

    /// Sets the value used when the option is absent.
    pub const fn default(mut self, value: &'static str) -> Self {
        self.default = Some(value);
        self
    }

    /// Adds other names that set the same value.
    pub const fn aliases(mut self, names: &'static [&'static str]) -> Self {
        self.aliases = names;
        self
    }

    /// Documents this option in the item of the option declared just before it.
    pub const fn same_item_as_previous(mut self) -> Self {
        self.same_item = true;
        self
    }

    /// The option's name, without the leading dashes, for messages.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The declaration the tokenizer parses against and `--help` shows.
    pub fn spec(&self) -> OptionSpec {
        let mut spec = OptionSpec::new(self.name, K::KIND, self.doc);
        spec.aliases = self.aliases.iter().map(|alias| alias.to_string()).collect();
        spec.default = self.default.map(str::to_string);
        if self.same_item {
            spec.doc = Doc::SameItemAsPrevious;
        }
        spec
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
    pub(crate) fn set(&mut self, spec: &OptionSpec, raw: String) {
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
    pub fn flag(&self, opt: &Flag) -> bool {
        matches!(self.given.get(opt.name), Some(Given::Flag(true)))
    }

    /// A string option's value: the last one given, else its default, else `None`.
    /// An explicitly empty value (`--opt=`) is `Some("")`.
    pub fn value(&self, opt: &Text) -> Option<&str> {
        self.text(opt.name)
    }

    /// A string option's value, `None` when absent or empty: most options treat an
    /// empty value as "not set".
    pub fn non_empty(&self, opt: &Text) -> Option<&str> {
        self.value(opt).filter(|v| !v.is_empty())
    }

    /// All values of a repeatable option, in command-line order.
    pub fn list(&self, opt: &List) -> &[String] {
        match self.given.get(opt.name) {
            Some(Given::List(items)) => items,
            _ => &[],
        }
    }

    /// All `key=value` pairs of a map option, in command-line order.
    pub fn map(&self, opt: &Pairs) -> &[(String, String)] {
        match self.given.get(opt.name) {
            Some(Given::Map(pairs)) => pairs,
            _ => &[],
        }
    }

    /// The value of a string option declared at run time (the counters' threshold
    /// options, named after their counters), read through its declaration.
    pub(crate) fn generated(&self, spec: &OptionSpec) -> Option<&str> {
        self.text(&spec.name)
    }

    fn text(&self, name: &str) -> Option<&str> {
        match self.given.get(name) {
            Some(Given::Value(v)) => Some(v),
            _ => self.defaults.get(name).map(String::as_str),
        }
    }

    /// The values of `specs` with each `(name, value)` recorded as the tokenizer
    /// records it: the tests of the modules that read options set them by name here,
    /// in the one module that looks options up by name.
    #[cfg(test)]
    pub(crate) fn of(specs: &[OptionSpec], pairs: &[(&str, &str)]) -> Values {
        let mut values = Values::default();
        values.declare(specs);
        for (name, value) in pairs {
            let spec = specs.iter().find(|s| s.answers_to(name)).unwrap_or_else(|| panic!("no option {name}"));
            values.set(spec, value.to_string());
        }
        values
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
        const MODE: Text = Text::new("mode", "").default("x");
        let mut values = Values::default();
        values.declare(&[MODE.spec()]);
        assert_eq!(values.value(&MODE), Some("x"));
        values.set(&MODE.spec(), "a".into());
        values.set(&MODE.spec(), "b".into());
        assert_eq!(values.value(&MODE), Some("b"));
    }

    #[test]
    fn flags_treat_zero_as_off() {
        const VERBOSE: Flag = Flag::new("verbose", "");
        let mut values = Values::default();
        values.set(&VERBOSE.spec(), "0".into());
        assert!(!values.flag(&VERBOSE));
        values.set(&VERBOSE.spec(), "foo".into());
        assert!(values.flag(&VERBOSE));
    }

    #[test]
    fn lists_accumulate_and_maps_drop_pairs_without_equals() {
        const CHANGE: List = List::new("change-perfdata", "");
        const ENVIRONMENT: Pairs = Pairs::new("environment", "");
        let mut values = Values::default();
        values.set(&CHANGE.spec(), "a".into());
        values.set(&CHANGE.spec(), "b".into());
        values.set(&ENVIRONMENT.spec(), "TZ=UTC".into());
        values.set(&ENVIRONMENT.spec(), "junk".into());
        assert_eq!(values.list(&CHANGE), ["a", "b"]);
        assert_eq!(values.map(&ENVIRONMENT), [("TZ".to_string(), "UTC".to_string())]);
    }

    #[test]
    fn a_handle_declares_its_aliases_default_and_help_placement() {
        const NAME: Text = Text::new("include-name", "Filter.").aliases(&["filter-name"]).default("x");
        const EXTEND: List = List::new("extend", "").same_item_as_previous();
        let spec = NAME.spec();
        assert!(spec.answers_to("filter-name") && spec.answers_to("include-name"));
        assert_eq!((spec.kind, spec.default.as_deref()), (Kind::Value, Some("x")));
        assert_eq!(spec.doc, Doc::Text("Filter.".into()));
        assert_eq!(EXTEND.spec().doc, Doc::SameItemAsPrevious);
        assert_eq!(Flag::new("hidden", "").spec().doc, Doc::Hidden);
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
