//! What the two report modes share: the "active" counter (active/total with its
//! `perfdate` metric and percent thresholds) and the name filters.

use centreon_plugin::counters::{
    Check, Counter, Field, Group, GroupKind, Output, Perf, PerfThresholds, PerfValue, Record,
};
use centreon_plugin::debug::DebugLog;
use centreon_plugin::error::{Error, Result};
use centreon_plugin::number;
use centreon_plugin::options::Values;
use centreon_plugin::pattern::Pattern;
use centreon_plugin::time;

use super::Run;

/// Record keys of the active counter.
const KEYS: &[&str] = &["active", "total", "report_date"];

/// Whether `--units` asks for percentage thresholds: `%` (the default) does; `count`
/// and an empty value (an empty Centreon macro, a count for Perl too) do not; any
/// other value is refused, where Perl silently took it for a count.
fn units_percent(values: &Values) -> Result<bool> {
    match values.value("units") {
        Some("%") | None => Ok(true),
        Some("count" | "") => Ok(false),
        Some(other) => Err(Error::new(format!("Wrong units option '{other}': '%' or 'count' expected."))),
    }
}

/// The record of the "active" group: counts, report date, whether thresholds are
/// percentages, and the `perfdate` metric when the date is a plain `YYYY-MM-DD`.
pub fn active_record(active: i64, total: i64, report_date: &str, percent: bool) -> Record {
    let mut record = Record::new()
        .with("active", Field::Int(active))
        .with("total", Field::Int(total))
        .with("report_date", Field::Text(report_date.to_string()))
        .with("units_percent", Field::Int(i64::from(percent)));
    if let Some(noon) = time::local_noon(report_date) {
        record.set("perfdate", Field::Int(noon));
    }
    record
}

/// `Active NOUN on DATE : A/T (P%)`.
pub fn active_text(noun: &str, record: &Record) -> String {
    format!(
        "Active {noun} on {} : {}/{} ({}%)",
        record.text("report_date"),
        record.int("active"),
        record.int("total"),
        number::fixed(percent(record), 2)
    )
}

fn percent(record: &Record) -> f64 {
    let total = record.num("total");
    if total == 0.0 {
        0.0
    } else {
        record.num("active") * 100.0 / total
    }
}

/// The "active" group of a report mode: one counter, checked on the percentage with
/// `--units=%` (the default) and on the count otherwise, whose metrics are
/// `perfdate` and the active count.
pub fn active_group(
    label: &'static str,
    output: fn(&Record) -> String,
    metric: &'static str,
    nlabel: &'static str,
    unit: &'static str,
) -> Group {
    let check = |r: &Record| if r.int("units_percent") == 1 { percent(r) } else { r.num("active") };
    let mut counter = Counter::new(label, KEYS, Output::Custom(output), Check::Range(check));
    counter.perfdata = vec![
        Perf {
            min: None,
            thresholds: PerfThresholds::None,
            value: PerfValue::Custom(|r| r.get("perfdate").map(Field::text)),
            ..Perf::key("perfdate")
        },
        Perf {
            nlabel: Some(nlabel),
            unit,
            max: Some(|r| r.text("total")),
            thresholds: PerfThresholds::PercentOf(|r| (r.int("units_percent") == 1).then(|| r.num("total"))),
            ..Perf::key(metric)
        },
    ];
    Group { name: "active", kind: GroupKind::Global, prefix: |_| String::new(), counters: vec![counter] }
}

/// Whether a report mode keeps per-instance data (per user, per mailbox).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Instances {
    /// A per-instance counter is shown: each instance's data is kept.
    Keep,
    /// None is: rows are only counted, so memory does not grow with the tenant.
    CountOnly,
}

/// What a report mode reads from its options before any request.
#[derive(Debug)]
pub struct Setup<'a> {
    /// `--units` asks for percentage thresholds.
    pub percent: bool,
    /// Whether per-instance data is worth keeping.
    pub instances: Instances,
    /// The mode's name filter.
    pub filter: NameFilter<'a>,
}

impl<'a> Setup<'a> {
    /// Reads `--units`, whether any of the `per_instance` counters is shown, and the
    /// name filter `filter_option`; a bad value is refused before any request.
    pub fn new(run: &Run<'a>, per_instance: &[&str], filter_option: &str) -> Result<Self> {
        Ok(Setup {
            percent: units_percent(run.values)?,
            instances: if per_instance.iter().any(|label| run.counter_active(label)) {
                Instances::Keep
            } else {
                Instances::CountOnly
            },
            filter: NameFilter::new(run.values, filter_option, run.debug)?,
        })
    }
}

/// A name filter (`--filter-user`, `--filter-mailbox`) and the debug lines it writes.
#[derive(Debug)]
pub struct NameFilter<'a> {
    pattern: Option<Pattern>,
    debug: &'a DebugLog,
}

impl<'a> NameFilter<'a> {
    /// Compiles the filter of `option`, if set; a bad regex names the option.
    pub fn new(values: &Values, option: &str, debug: &'a DebugLog) -> Result<Self> {
        let pattern = match values.non_empty(option) {
            None => None,
            Some(text) => Some(Pattern::new(text).map_err(|problem| {
                Error::new(format!("Invalid regular expression in --{option} '{text}': {problem}."))
            })?),
        };
        Ok(NameFilter { pattern, debug })
    }

    /// Whether `name` is kept (unanchored, case-sensitive match).
    pub fn keeps(&self, name: &str) -> bool {
        let keep = self.pattern.as_ref().is_none_or(|p| p.is_match(name));
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
