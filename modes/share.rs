//! What the report modes share: the "active" counter (active/total with its
//! `perfdate` metric and percent thresholds), the report's age, and the name filters.

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

/// The record of the report-age group: the day the report was last refreshed and
/// how long ago that was.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportAge {
    /// `Report Refresh Date`, `YYYY-MM-DD`; empty when the report had no row.
    refreshed: String,
    /// Whole hours from 00:00 UTC of that day to now; `None` without a day.
    hours: Option<i64>,
}

impl ReportAge {
    /// The age at `now` (Unix time) of a report refreshed on `refreshed`
    /// (`YYYY-MM-DD`, empty when unknown).
    pub fn new(refreshed: &str, now: i64) -> Self {
        let hours = time::utc_midnight(refreshed).map(|midnight| (now - midnight).div_euclid(3600));
        ReportAge { refreshed: refreshed.to_string(), hours }
    }

    /// `Report refreshed DATE (N hours ago)`; shown only with an age.
    fn text(&self) -> String {
        format!("Report refreshed {} ({} hours ago)", self.refreshed, self.hours.unwrap_or_default())
    }
}

/// The paragraph of a report mode's help about `report-age`, for `concat!` into its
/// description.
macro_rules! report_age_help {
    () => {
        "--warning-report-age and --critical-report-age are thresholds on the hours since the report was \
        refreshed (00:00 UTC of its 'Report Refresh Date'). Microsoft's reports usually lag 24 to 48 hours, and a \
        report that stops being refreshed keeps showing the same old data: e.g. --warning-report-age=72 \
        --critical-report-age=120. The report-age counter is shown only when one of them is set."
    };
}
pub(crate) use report_age_help;

/// The `report-age` group of every report mode: the hours since the report was last
/// refreshed, as `exchange.report.age.hours`. The counter is opt-in: without
/// `--warning-report-age` or `--critical-report-age` it is not shown, so it adds
/// nothing to the output of a command line that does not ask for it.
pub fn report_age_group() -> Group<ReportAge> {
    let counter = Counter::new("report-age", |r: &ReportAge| r.hours, Output::custom(ReportAge::text), Check::Value)
        .nlabel("exchange.report.age.hours")
        .opt_in()
        .perf(Perf::key("report_age").unit("h"));
    Group::new("report", |_| String::new(), vec![counter])
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

/// The option of the modes with a unit for their active thresholds.
pub fn units_option() -> centreon_plugin::options::OptionSpec {
    centreon_plugin::options::OptionSpec::value(
        "units",
        "Unit of the active thresholds: '%' (percentage of the total, the default) or 'count'.",
    )
    .default("%")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-11-22 00:00:00 UTC.
    const MIDNIGHT: i64 = 1_795_305_600;

    #[test]
    fn report_age_is_whole_hours_since_midnight_utc_of_the_refresh_day() {
        let cases = [
            (MIDNIGHT, Some(0)),
            (MIDNIGHT + 3599, Some(0)),
            (MIDNIGHT + 3600, Some(1)),
            (MIDNIGHT + 8 * 86_400 + 1800, Some(192)),
            (MIDNIGHT - 1, Some(-1)),
        ];
        for (now, hours) in cases {
            assert_eq!(ReportAge::new("2026-11-22", now).hours, hours, "{now}");
        }
        let age = ReportAge::new("2026-11-22", MIDNIGHT + 8 * 86_400);
        assert_eq!(age.text(), "Report refreshed 2026-11-22 (192 hours ago)");
    }

    #[test]
    fn a_report_without_a_refresh_date_has_no_age() {
        assert_eq!(ReportAge::new("", MIDNIGHT).hours, None);
    }
}
