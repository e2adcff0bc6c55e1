//! The Centreon command-line tokenizer (`centreon::plugins::alternative::Getopt`).
//!
//! Centreon command definitions rely on its quirks, so they are kept: only `--long`
//! options; `--name=value` or `--name value`; an empty `=` value or a flag takes the
//! next word unless it starts with `--`; `--` ends the options. Names are matched
//! literally (Perl matched them as regexes).

use crate::options::{Kind, OptionSpec, Values};

/// What one pass over the arguments found.
#[derive(Debug, Default)]
pub struct Parsed {
    /// Values of the options that were recognised.
    pub values: Values,
    /// The arguments no spec consumed, in order: unknown options as written, words,
    /// and a lone `--` with everything after it. Later passes parse these, as Perl's
    /// staged parsing removes what each stage recognises.
    pub rest: Vec<String>,
}

impl Parsed {
    /// The name of the first unknown `--option` left over.
    pub fn first_unknown(&self) -> Option<&str> {
        self.options_part().iter().find_map(|arg| {
            let body = arg.strip_prefix("--")?;
            Some(body.split_once('=').map_or(body, |(name, _)| name))
        })
    }

    /// The words left over that are not options.
    pub fn strays(&self) -> Vec<&str> {
        self.options_part().iter().filter(|a| !a.starts_with("--")).map(String::as_str).collect()
    }

    fn options_part(&self) -> &[String] {
        let end = self.rest.iter().position(|a| a == "--").unwrap_or(self.rest.len());
        &self.rest[..end]
    }
}

/// Parses `args` (without the program name) against `specs`.
pub fn parse(args: &[String], specs: &[OptionSpec]) -> Parsed {
    let mut parsed = Parsed::default();
    parsed.values.declare(specs);
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        i += 1;
        if arg == "--" {
            parsed.rest.extend(args[i - 1..].iter().cloned());
            break;
        }
        let Some(body) = arg.strip_prefix("--") else {
            parsed.rest.push(arg.clone());
            continue;
        };
        let (name, inline) = match body.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (body, None),
        };
        let Some(spec) = specs.iter().find(|s| s.answers_to(name)) else {
            parsed.rest.push(arg.clone());
            continue;
        };
        let value = match inline {
            Some(v) if !v.is_empty() => v.to_string(),
            _ => match args.get(i) {
                Some(next) if !next.starts_with("--") => {
                    i += 1;
                    next.clone()
                }
                _ => String::new(),
            },
        };
        let value =
            if spec.kind == Kind::Flag && inline.is_none() && value.is_empty() { "1".to_string() } else { value };
        parsed.values.set(spec, value);
    }
    parsed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::{Flag, List, Text};

    const MODE: Text = Text::new("mode", "");
    const FILTER_COUNTERS: Text = Text::new("filter-counters", "");
    const CLIENT_SECRET: Text = Text::new("client-secret", "");
    const WARNING_X: Text = Text::new("warning-x", "");
    const VERBOSE: Flag = Flag::new("verbose", "");
    const CHANGE_PERFDATA: List = List::new("change-perfdata", "");

    fn specs() -> Vec<OptionSpec> {
        vec![
            MODE.spec(),
            FILTER_COUNTERS.spec(),
            CLIENT_SECRET.spec(),
            WARNING_X.spec(),
            VERBOSE.spec(),
            CHANGE_PERFDATA.spec(),
        ]
    }

    fn run(args: &[&str]) -> Parsed {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        parse(&args, &specs())
    }

    #[test]
    fn value_is_everything_after_the_first_equals() {
        assert_eq!(run(&["--client-secret=a=b"]).values.value(&CLIENT_SECRET), Some("a=b"));
    }

    #[test]
    fn separate_word_is_taken_unless_it_is_an_option() {
        let p = run(&["--mode", "email-activity", "--filter-counters", "--verbose"]);
        assert_eq!(p.values.value(&MODE), Some("email-activity"));
        assert_eq!(p.values.value(&FILTER_COUNTERS), Some(""));
        assert!(p.values.flag(&VERBOSE));
    }

    #[test]
    fn empty_equals_value_swallows_the_next_word() {
        assert_eq!(run(&["--filter-counters=", "users"]).values.value(&FILTER_COUNTERS), Some("users"));
        assert_eq!(run(&["--filter-counters=", "--verbose"]).values.value(&FILTER_COUNTERS), Some(""));
    }

    #[test]
    fn negative_numbers_are_values() {
        assert_eq!(run(&["--warning-x", "-5"]).values.value(&WARNING_X), Some("-5"));
    }

    #[test]
    fn flags_swallow_a_word_and_zero_means_off() {
        let p = run(&["--verbose", "foo"]);
        assert!(p.values.flag(&VERBOSE));
        assert!(p.rest.is_empty());
        assert!(!run(&["--verbose", "0"]).values.flag(&VERBOSE));
        assert!(!run(&["--verbose=0"]).values.flag(&VERBOSE));
    }

    #[test]
    fn double_dash_ends_options() {
        let p = run(&["--", "--verbose"]);
        assert!(!p.values.flag(&VERBOSE));
        assert_eq!(p.rest, ["--", "--verbose"]);
        assert_eq!(p.first_unknown(), None);
    }

    #[test]
    fn names_are_literal_and_case_sensitive() {
        assert_eq!(run(&["--mod.=x"]).first_unknown(), Some("mod."));
        assert_eq!(run(&["--VERBOSE"]).first_unknown(), Some("VERBOSE"));
        assert_eq!(run(&["--verb"]).first_unknown(), Some("verb"));
    }

    #[test]
    fn lists_accumulate() {
        let p = run(&["--change-perfdata=a", "--change-perfdata", "b"]);
        assert_eq!(p.values.list(&CHANGE_PERFDATA), ["a", "b"]);
    }

    #[test]
    fn unknown_options_and_words_are_reported() {
        let p = run(&["--foo=bar", "--bar", "baz", "word"]);
        assert_eq!(p.first_unknown(), Some("foo"));
        assert_eq!(p.strays(), ["baz", "word"]);
        assert_eq!(p.rest, ["--foo=bar", "--bar", "baz", "word"]);
    }
}
