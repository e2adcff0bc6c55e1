//! What the two report modes share: the "active" counter (active/total with its
//! `perfdate` metric and percent thresholds) and the name filters.

use centreon_plugin::counters::{Check, Counter, Group, Output, Perf, PerfThresholds};
use centreon_plugin::debug::DebugLog;
use centreon_plugin::error::{Error, Result};
use centreon_plugin::number;
use centreon_plugin::options::Values;
use centreon_plugin::pattern::{self, Verdict};
use centreon_plugin::time;

use super::Run;

/// What the active thresholds (`--warning-active-*`) are compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Units {
    /// The percentage of active objects in the total (`--units=%`, the default).
    Percent,
    /// The number of active objects (`--units=count`).
    Count,
}

impl Units {
    /// Reads `--units`: `%` (the default) or `count`; an empty value (an empty
    /// Centreon macro) is a count, as for Perl. Any other value is refused, where
    /// Perl silently took it for a count.
    pub fn from_values(values: &Values) -> Result<Units> {
        match values.value("units") {
            Some("%") | None => Ok(Units::Percent),
            Some("count" | "") => Ok(Units::Count),
            Some(other) => Err(Error::new(format!("Wrong units option '{other}': '%' or 'count' expected."))),
        }
    }
}

/// The record of an "active" group: how many objects were active on the report date,
/// out of how many.
#[derive(Debug, Clone, PartialEq)]
pub struct Active {
    pub active: i64,
    pub total: i64,
    pub report_date: String,
    /// The `perfdate` metric: noon of the report date, local time, when the date is
    /// a plain `YYYY-MM-DD`.
    pub perfdate: Option<i64>,
}

impl Active {
    /// The counts on `report_date`, with its `perfdate`.
    pub fn new(active: i64, total: i64, report_date: String) -> Self {
        let perfdate = time::local_noon(&report_date);
        Active { active, total, report_date, perfdate }
    }

    /// The share of active objects, in percent (0 without any object).
    fn percent(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.active as f64 * 100.0 / self.total as f64
        }
    }

    /// `Active NOUN on DATE : A/T (P%)`.
    fn text(&self, noun: &str) -> String {
        format!(
            "Active {noun} on {} : {}/{} ({}%)",
            self.report_date,
            self.active,
            self.total,
            number::fixed(self.percent(), 2)
        )
    }
}

/// How an "active" group is named and shown.
#[derive(Debug, Clone, Copy)]
pub struct ActiveNames {
    /// The counter's label (`active-users`).
    pub label: &'static str,
    /// What is counted, in the text (`Active users on …`).
    pub noun: &'static str,
    /// The legacy metric name.
    pub metric: &'static str,
    /// The new-style metric name.
    pub nlabel: &'static str,
    /// The metric's unit.
    pub unit: &'static str,
}

/// The "active" group of a report mode: one counter, checked on the percentage with
/// `--units=%` and on the count with `--units=count`, whose metrics are `perfdate`
/// and the active count (its thresholds printed as counts either way).
pub fn active_group(names: ActiveNames, units: Units) -> Group<Active> {
    let ActiveNames { label, noun, metric, nlabel, unit } = names;
    let (check, thresholds) = match units {
        Units::Percent => (Check::range(Active::percent), PerfThresholds::percent_of(|a: &Active| a.total as f64)),
        Units::Count => (Check::Value, PerfThresholds::Counter),
    };
    let counter = Counter::new(label, |a: &Active| a.active, Output::custom(move |a: &Active| a.text(noun)), check)
        .perf(Perf::key("perfdate").value(|a: &Active| a.perfdate).no_min().thresholds(PerfThresholds::None))
        .perf(Perf::key(metric).nlabel(nlabel).unit(unit).max(|a: &Active| a.total.to_string()).thresholds(thresholds));
    Group::new("active", |_| String::new(), vec![counter])
}

/// Whether a report mode keeps a record per instance (user, mailbox): only when a
/// per-instance counter is shown, so memory does not grow with the tenant otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Instances {
    /// A per-instance counter is shown: keep a record per instance.
    Keep,
    /// None is: only the totals are kept.
    Drop,
}

/// What a report mode reads from its options before any request.
#[derive(Debug)]
pub struct Setup<'a> {
    /// Whether per-instance records are kept.
    pub instances: Instances,
    /// The mode's name filter.
    pub filter: NameFilter<'a>,
}

impl<'a> Setup<'a> {
    /// Reads whether any of the `per_instance` counters is shown (keeping
    /// per-instance data is only worth it then), and the name filter `filter_option`;
    /// a bad regular expression is refused before any request.
    pub fn new(run: &Run<'a>, per_instance: &[&str], filter_option: &str) -> Result<Self> {
        Ok(Setup {
            instances: if per_instance.iter().any(|label| run.counter_active(label)) {
                Instances::Keep
            } else {
                Instances::Drop
            },
            filter: NameFilter::new(run.values, filter_option, run.debug)?,
        })
    }
}

/// A name filter (`--filter-user`, `--filter-mailbox`) and the debug lines it writes.
#[derive(Debug)]
pub struct NameFilter<'a> {
    names: pattern::NameFilter,
    debug: &'a DebugLog,
}

impl<'a> NameFilter<'a> {
    /// Compiles the filter of `option`, if set; a bad regex names the option.
    pub fn new(values: &Values, option: &str, debug: &'a DebugLog) -> Result<Self> {
        Ok(NameFilter { names: pattern::NameFilter::from_options(values, option, None)?, debug })
    }

    /// Whether `name` is kept (unanchored, case-sensitive match).
    pub fn keeps(&self, name: &str) -> bool {
        let keep = self.names.verdict(name) == Verdict::Kept;
        if !keep {
            self.debug(format_args!("skipping  '{name}': no matching filter name."));
        }
        keep
    }

    /// Adds a `--debug` line, formatted only under `--debug`: the report modes call
    /// this for most rows.
    pub fn debug(&self, line: impl std::fmt::Display) {
        if self.debug.enabled() {
            self.debug.log(line.to_string());
        }
    }
}

/// The options both report modes declare.
pub fn units_option() -> centreon_plugin::options::OptionSpec {
    centreon_plugin::options::OptionSpec::value(
        "units",
        "Unit of the active thresholds: '%' (percentage of the total, the default) or 'count'.",
    )
    .default("%")
}
