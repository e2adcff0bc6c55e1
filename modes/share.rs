//! What the report modes share: the "active" counter (active/total with its
//! `perfdate` metric and percent thresholds), the report's age, the name filters,
//! which say when the report's names are concealed, and per-instance records kept
//! apart when rows share a name.

use std::cell::Cell;
use std::collections::{BTreeMap, HashMap};
use std::ops::Deref;

use centreon_plugin::counters::{Check, Counter, Group, Output, Perf, PerfThresholds};
use centreon_plugin::debug::DebugLog;
use centreon_plugin::error::{Error, Result};
use centreon_plugin::notices::Notices;
use centreon_plugin::number;
use centreon_plugin::options::{Text, Values};
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
        match values.value(&UNITS) {
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

/// Which rows a report mode keeps, read from its options before any request: whether
/// per-instance records are kept, and the names its filter keeps.
#[derive(Debug)]
pub struct Selection<'a> {
    /// Whether per-instance records are kept.
    pub instances: Instances,
    /// The mode's name filter.
    pub filter: PrincipalFilter<'a>,
}

impl<'a> Selection<'a> {
    /// Reads whether any of the `per_instance` counters is shown (keeping
    /// per-instance data is only worth it then), and the name filter `filter_option`;
    /// a bad regular expression is refused before any request.
    pub fn new(run: &Run<'a>, per_instance: &[&str], filter_option: &'static Text) -> Result<Self> {
        Ok(Selection {
            instances: if per_instance.iter().any(|label| run.counter_active(label)) {
                Instances::Keep
            } else {
                Instances::Drop
            },
            filter: PrincipalFilter::new(run.values, filter_option, run.debug)?,
        })
    }
}

/// Where a tenant shows the real names in its reports, for the messages about
/// concealed names.
const REVEAL: &str = "To filter on real names, turn off \"Display concealed user, group, and site names in all \
                      reports\" (Microsoft 365 admin center > Settings > Org settings > Reports), or set \
                      displayConcealedNames to false with Graph admin/reportSettings (permission \
                      ReportSettings.ReadWrite.All).";

/// Whether a report shows `name` in place of a concealed user's name: a 32-hex
/// hash, a `<PII:…>` form, or `(Unknown)` (what reports show since 2021 when the
/// tenant's `displayConcealedNames` setting is on, its default).
pub fn is_concealed(name: &str) -> bool {
    name == "(Unknown)"
        || name.starts_with("<PII:")
        || (name.len() == 32 && name.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A filter of user principal names (`--filter-user`, `--filter-mailbox`) over a
/// [`pattern::NameFilter`], the debug lines it writes, and what it saw: how many names
/// it was given, kept, and found concealed.
#[derive(Debug)]
pub struct PrincipalFilter<'a> {
    filter: pattern::NameFilter,
    /// The option's name, when it was given: only then are names counted.
    option: Option<&'static str>,
    debug: &'a DebugLog,
    names: Cell<u64>,
    kept: Cell<u64>,
    concealed: Cell<u64>,
}

impl<'a> PrincipalFilter<'a> {
    /// Compiles the filter of `option`, if set; a bad regex names the option.
    pub fn new(values: &Values, option: &'static Text, debug: &'a DebugLog) -> Result<Self> {
        Ok(PrincipalFilter {
            filter: pattern::NameFilter::from_options(values, option, None)?,
            option: values.non_empty(option).map(|_| option.name()),
            debug,
            names: Cell::new(0),
            kept: Cell::new(0),
            concealed: Cell::new(0),
        })
    }

    /// The one name the filter can keep (`^name$`), for a report read that can look
    /// it up rather than read every row; the rows it gets still go through
    /// [`NameFilter::keeps`].
    pub fn only(&self) -> Option<String> {
        self.filter.only()
    }

    /// The texts every kept name starts with ([`NameFilter::prefixes`]), for a report
    /// read that can look them up in an index rather than read every row; `None`
    /// under `--debug`, whose lines name every row skipped. The rows it gets still go
    /// through [`PrincipalFilter::keeps`].
    pub fn prefixes(&self) -> Option<Vec<Vec<u8>>> {
        if self.debug.enabled() {
            return None;
        }
        self.filter.prefixes()
    }

    /// Whether a concealed name was given since the last [`PrincipalFilter::restart`]:
    /// then only a read of every row counts them as [`PrincipalFilter::check_concealed`]
    /// must.
    pub fn saw_concealed(&self) -> bool {
        self.concealed.get() > 0
    }

    /// Forgets the names given, for a second read of the report.
    pub fn restart(&self) {
        for count in [&self.names, &self.kept, &self.concealed] {
            count.set(0);
        }
    }

    /// Whether `name` is kept (unanchored, case-sensitive match).
    pub fn keeps(&self, name: &str) -> bool {
        let keep = self.filter.verdict(name) == Verdict::Kept;
        if self.option.is_none() {
            return keep;
        }
        let add = |count: &Cell<u64>| count.set(count.get() + 1);
        add(&self.names);
        if keep {
            add(&self.kept);
        } else {
            self.debug(format_args!("skipping  '{name}': no matching filter name."));
        }
        if is_concealed(name) {
            add(&self.concealed);
        }
        keep
    }

    /// Once the report is read: when a filter was given and more than half of the
    /// names it was given are concealed, the filter cannot do its job. Having kept
    /// nothing, the check is an error saying so (not an OK over nothing); having kept some
    /// names, it goes on with a notice. Either way the text says which tenant
    /// setting shows the real names.
    pub fn check_concealed(&self, notices: &Notices) -> Result<()> {
        let (names, kept, concealed) = (self.names.get(), self.kept.get(), self.concealed.get());
        let Some(option) = &self.option else { return Ok(()) };
        if concealed * 2 <= names {
            return Ok(());
        }
        let seen = format!("the report conceals user names ({concealed} of the {names} rows filtered)");
        if kept == 0 {
            return Err(Error::new(format!("--{option} matched nothing: {seen}. {REVEAL}")));
        }
        notices.add(format!("--{option} cannot match concealed names: {seen}. {REVEAL}"));
        Ok(())
    }

    /// Adds a `--debug` line, formatted only under `--debug`: the report modes call
    /// this for most rows.
    pub fn debug(&self, line: impl std::fmt::Display) {
        if self.debug.enabled() {
            self.debug.log(line.to_string());
        }
    }
}

/// Per-instance records by name, kept apart when several rows share one (every
/// `(Unknown)`, or one hash for several concealed users): the first row keeps the
/// name, the n-th the key `name (n)`, in report order (a key already taken goes on
/// to the next n). With unique names, the keys are the names. The suffix avoids the
/// characters perfdata labels give a meaning: `#` (instance#metric), `~` (between
/// instance parts), `_` (legacy metric_instance). Reads as the map.
#[derive(Debug)]
pub struct Distinct<R> {
    records: BTreeMap<String, R>,
    seen: HashMap<String, usize>,
}

impl<R> Default for Distinct<R> {
    fn default() -> Self {
        Distinct { records: BTreeMap::new(), seen: HashMap::new() }
    }
}

impl<R> Distinct<R> {
    /// Adds the record of a row named `name`, made from its instance key.
    pub fn insert(&mut self, name: &str, record: impl FnOnce(String) -> R) {
        let count = self.seen.entry(name.to_string()).or_insert(0);
        let key = loop {
            *count += 1;
            let key = if *count == 1 { name.to_string() } else { format!("{name} ({count})") };
            if !self.records.contains_key(&key) {
                break key;
            }
        };
        self.records.insert(key.clone(), record(key));
    }

    /// The records by instance key.
    pub fn into_records(self) -> BTreeMap<String, R> {
        self.records
    }
}

impl<R> Deref for Distinct<R> {
    type Target = BTreeMap<String, R>;

    fn deref(&self) -> &Self::Target {
        &self.records
    }
}

/// `--units`, the option of the modes with a unit for their active thresholds.
pub const UNITS: Text = Text::new(
    "units",
    "Unit of the active thresholds: '%' (percentage of the total, the default, as in Perl: \
     --warning-active-users=20: alerts below 20 percent) or 'count'.",
)
.default("%");

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

    #[test]
    fn rows_sharing_a_name_stay_apart_in_report_order() {
        let mut records = Distinct::default();
        for (name, value) in [("(Unknown)", 1), ("b@x", 2), ("(Unknown)", 3), ("(Unknown) (3)", 4), ("(Unknown)", 5)] {
            records.insert(name, |key| (key, value));
        }
        let keys: Vec<(&str, i32)> = records.values().map(|(k, v)| (k.as_str(), *v)).collect();
        assert_eq!(
            keys,
            [("(Unknown)", 1), ("(Unknown) (2)", 3), ("(Unknown) (3)", 4), ("(Unknown) (4)", 5), ("b@x", 2)]
        );
        assert!(records.contains_key("b@x"), "a unique name is its own key");
    }

    #[test]
    fn concealed_names_are_told_from_real_ones() {
        for name in ["(Unknown)", "<PII:H105(AbCd/e+f=)>@contoso.onmicrosoft.com", "D41D8CD98F00B204E9800998ECF8427E"] {
            assert!(is_concealed(name), "{name}");
        }
        for name in
            ["user01@contoso.com", "D41D8CD98F00B204E9800998ECF8427", "unknown", "G41D8CD98F00B204E9800998ECF8427E"]
        {
            assert!(!is_concealed(name), "{name}");
        }
    }

    fn filter<'d>(pattern: Option<&str>, debug: &'d DebugLog) -> PrincipalFilter<'d> {
        const FILTER_USER: Text = Text::new("filter-user", "");
        let args: Vec<String> = pattern.map(|pattern| format!("--filter-user={pattern}")).into_iter().collect();
        let values = centreon_plugin::getopt::parse(&args, &[FILTER_USER.spec()]).values;
        PrincipalFilter::new(&values, &FILTER_USER, debug).expect("a valid filter")
    }

    /// The verdict on `names` read through a filter of `pattern`, and the notices.
    fn verdict(pattern: Option<&str>, names: &[&str]) -> (std::result::Result<(), String>, Vec<String>) {
        let debug = DebugLog::default();
        let filter = filter(pattern, &debug);
        for name in names {
            filter.keeps(name);
        }
        let notices = Notices::default();
        let result = filter.check_concealed(&notices).map_err(|e| e.message().to_string());
        (result, notices.take())
    }

    const CONCEALED: [&str; 4] =
        ["(Unknown)", "D41D8CD98F00B204E9800998ECF8427E", "<PII:H105(ab=)>@contoso.onmicrosoft.com", "a@contoso.com"];

    #[test]
    fn a_filter_that_concealed_names_defeat_says_so() {
        let (result, notices) = verdict(Some("^ceo@"), &CONCEALED);
        let message = result.expect_err("nothing matched");
        assert!(
            message.starts_with(
                "--filter-user matched nothing: the report conceals user names (3 of the 4 rows filtered). \
                 To filter on real names, turn off \"Display concealed user, group, and site names in all reports\""
            ),
            "{message}"
        );
        assert!(message.contains("displayConcealedNames"), "{message}");
        assert!(notices.is_empty());

        let (result, notices) = verdict(Some("@contoso.com$"), &CONCEALED);
        assert_eq!(result, Ok(()));
        assert_eq!(notices.len(), 1);
        let expected = "--filter-user cannot match concealed names: the report conceals user names (3 of the 4 rows \
                        filtered). To filter on real names";
        assert!(notices[0].starts_with(expected), "{notices:?}");
    }

    #[test]
    fn real_names_or_no_filter_say_nothing() {
        assert_eq!(verdict(None, &CONCEALED), (Ok(()), vec![]));
        assert_eq!(verdict(Some("^ceo@"), &["a@contoso.com", "b@contoso.com"]), (Ok(()), vec![]));
        assert_eq!(verdict(Some("^ceo@"), &["(Unknown)", "a@contoso.com", "b@contoso.com"]), (Ok(()), vec![]));
        assert_eq!(verdict(Some("^ceo@"), &[]), (Ok(()), vec![]));
    }
}
