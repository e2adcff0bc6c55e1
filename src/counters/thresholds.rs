//! The options the counters generate (`--warning-LABEL` …, `--filter-counters`) and
//! their values, parsed and validated once at start-up.

use std::collections::HashMap;

use super::declarations::{CounterDeclaration, Declarations, GroupDeclaration, GroupKind, LimitKind, MetricNames};
use crate::error::{Error, Result};
use crate::expr::{Dialect, Expr, VariableSyntax};
use crate::options::{Flag, OptionSpec, Text, Values};
use crate::pattern::Pattern;
use crate::threshold::Threshold;

/// The levels a counter can be checked at, in the order they are validated.
const LEVELS: [&str; 3] = ["unknown", "warning", "critical"];

/// `--filter-counters`; its default and help are the mode's (see [`Declarations::options`]).
const FILTER_COUNTERS: Text = Text::new("filter-counters", "");
/// `--filter-counters-block`.
const FILTER_COUNTERS_BLOCK: Text = Text::new("filter-counters-block", "");
/// `--display-ok-counters`: accepted, unused.
const DISPLAY_OK_COUNTERS: Text = Text::new("display-ok-counters", "");
/// `--list-counters`: the counters and their threshold options, without a check.
pub const LIST_COUNTERS: Flag = Flag::new("list-counters", "");

/// One generated threshold option (`--warning-LABEL`), declared and read through the
/// same value.
struct ThresholdOption<'d> {
    spec: OptionSpec,
    level: &'static str,
    counter: &'d CounterDeclaration,
}

impl Declarations {
    /// Every option the counters add: `--filter-counters` (with the mode's default),
    /// `--filter-counters-block`, `--display-ok-counters`, `--list-counters`, and
    /// three threshold options per checked counter. With [`MetricNames::New`],
    /// counters that have an nlabel are named after it and keep their label as an
    /// alias.
    pub fn options(&self, names: MetricNames, filter_default: &str) -> Vec<OptionSpec> {
        // The example names a counter of this mode, so that it works as written.
        let example = self.checked().next().map_or("", |(_, counter)| counter.label);
        let filter_doc = format!(
            "Only display some counters (regexp can be used). Example: --filter-counters='^{example}$' \
             (default: '{filter_default}')."
        );
        let mut specs = vec![
            FILTER_COUNTERS.spec().documented(&filter_doc).default(filter_default),
            FILTER_COUNTERS_BLOCK.spec(),
            DISPLAY_OK_COUNTERS.spec(),
            LIST_COUNTERS.spec(),
        ];
        specs.extend(self.threshold_options(names).into_iter().map(|option| option.spec));
        specs
    }

    /// The three threshold options of each checked counter, in validation order.
    fn threshold_options(&self, names: MetricNames) -> Vec<ThresholdOption<'_>> {
        let mut options = Vec::new();
        for (group, counter) in self.checked() {
            let name = threshold_label(group, counter, names);
            for level in LEVELS {
                let mut spec = OptionSpec::value(&format!("{level}-{name}"), "");
                if name != counter.label {
                    spec = spec.alias(&format!("{level}-{}", counter.label));
                }
                let default = match level {
                    "warning" => counter.warning_default,
                    "critical" => counter.critical_default,
                    _ => None,
                };
                if let Some(default) = default {
                    spec = spec.default(default);
                }
                options.push(ThresholdOption { spec, level, counter });
            }
        }
        options
    }

    /// The help item documenting the threshold options: their names, generated.
    pub fn help_item(&self) -> (String, String) {
        let labels: Vec<String> = self.checked().map(|(_, c)| format!("'{}'", c.label)).collect();
        ("--warning-* --critical-*".to_string(), format!("Thresholds. Can be: {}.", labels.join(", ")))
    }

    fn checked(&self) -> impl Iterator<Item = (&GroupDeclaration, &CounterDeclaration)> {
        self.counters().filter(|(_, c)| c.limits != LimitKind::None)
    }
}

/// The name after `--warning-`: the label, or with new metric names the nlabel with
/// dots as dashes (prefixed `instance-` in instance groups).
fn threshold_label(group: &GroupDeclaration, counter: &CounterDeclaration, names: MetricNames) -> String {
    match (names, counter.nlabel) {
        (MetricNames::New, Some(nlabel)) => {
            let prefix = if group.kind == GroupKind::Instances { "instance-" } else { "" };
            format!("{prefix}{}", nlabel.replace('.', "-"))
        }
        _ => counter.label.to_string(),
    }
}

/// A counter's parsed thresholds at one level.
#[derive(Debug, Clone)]
pub enum Limit {
    /// A Nagios range (`--warning-total=10`).
    Range(Threshold),
    /// A status expression (`--critical-status='%{used} > 10'`).
    Expression(Expr),
}

/// A counter's limits, by level.
#[derive(Debug, Clone, Default)]
pub struct Levels {
    /// `--unknown-LABEL`.
    pub unknown: Option<Limit>,
    /// `--warning-LABEL`.
    pub warning: Option<Limit>,
    /// `--critical-LABEL`.
    pub critical: Option<Limit>,
}

impl Levels {
    /// Whether any level has a limit (an empty option value sets none).
    pub fn any(&self) -> bool {
        self.unknown.is_some() || self.warning.is_some() || self.critical.is_some()
    }
}

/// The validated counter options of a run.
#[derive(Debug)]
pub struct Thresholds {
    limits: HashMap<&'static str, Levels>,
    /// The labels of the opt-in counters, shown only with a limit.
    opt_in: Vec<&'static str>,
    filter: Option<Pattern>,
    block: Option<Pattern>,
    precision: usize,
}

impl Thresholds {
    /// Parses every counter option, in declaration order, and reports the first bad
    /// one as Perl words it (`Wrong warning-LABEL threshold 'VALUE'.`); a status
    /// expression with a syntax error or an unknown variable is refused here too.
    pub fn from_values(
        declarations: &Declarations,
        values: &Values,
        names: MetricNames,
        precision: usize,
    ) -> Result<Thresholds> {
        let mut limits = HashMap::new();
        for ThresholdOption { spec, level, counter } in declarations.threshold_options(names) {
            let option = &spec.name;
            let Some(text) = values.generated(&spec) else { continue };
            let limit = match &counter.limits {
                LimitKind::Status(variables) => status_limit(option, text, variables)?,
                _ => Threshold::from_option(option, text)?.map(Limit::Range),
            };
            let levels: &mut Levels = limits.entry(counter.label).or_default();
            match level {
                "unknown" => levels.unknown = limit,
                "warning" => levels.warning = limit,
                _ => levels.critical = limit,
            }
        }
        Ok(Thresholds {
            limits,
            opt_in: declarations.counters().filter(|(_, c)| c.opt_in).map(|(_, c)| c.label).collect(),
            filter: Pattern::from_option(values, &FILTER_COUNTERS)?,
            block: Pattern::from_option(values, &FILTER_COUNTERS_BLOCK)?,
            precision,
        })
    }

    /// Whether a counter is shown: an opt-in counter when one of its thresholds is
    /// set, any other when it survives `--filter-counters`.
    pub fn counter_active(&self, label: &str) -> bool {
        if self.opt_in.contains(&label) {
            return self.limits.get(label).is_some_and(Levels::any);
        }
        self.filter.as_ref().is_none_or(|p| p.is_match(label))
    }

    /// Whether a group survives `--filter-counters-block`.
    pub fn group_active(&self, name: &str) -> bool {
        self.block.as_ref().is_none_or(|p| !p.is_match(name))
    }

    /// A counter's limits.
    pub fn levels(&self, label: &str) -> Option<&Levels> {
        self.limits.get(label)
    }

    /// Digits used when comparing decimals (`--float-precision`).
    pub fn precision(&self) -> usize {
        self.precision
    }
}

fn status_limit(option: &str, text: &str, variables: &[&str]) -> Result<Option<Limit>> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    let dialect = Dialect { syntax: VariableSyntax::Braces, variables, functions: &[] };
    let expr = Expr::parse(text, &dialect)
        .map_err(|problem| Error::new(format!("Wrong {option} expression '{text}': {problem}.")))?;
    if let Some(unknown) = expr.variables().into_iter().find(|v| !variables.contains(&v.as_str())) {
        return Err(Error::new(format!(
            "Wrong {option} expression '{text}': unknown variable %{{{unknown}}} (known: {}).",
            variables.join(", ")
        )));
    }
    Ok(Some(Limit::Expression(expr)))
}
