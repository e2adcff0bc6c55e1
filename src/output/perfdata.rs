//! Perfdata at display time: the perfdata Output Options in Perl's order (rewrite rules,
//! explode, then the per-record filters) and the `'LABEL'=VALUEUNIT;W;C;MIN;MAX` text.

use super::transform::{Explode, Parsed, RuleKind, TransformRule};
use super::Perfdata;
use crate::error::{Error, Result};
use crate::expr::{Dialect, Expr, Scope, Value, VariableSyntax};
use crate::number;
use crate::options::{List, Text, Values};
use crate::pattern::Pattern;
use crate::threshold::Threshold;

/// `--explode-perfdata-max`.
pub(super) const EXPLODE_PERFDATA_MAX: List = List::new(
    "explode-perfdata-max",
    "Create a new metric for each metric that comes with a maximum limit. The new metric will be named \
             identically with a '_max' suffix. Eg: it will split 'used_prct'=26.93%;0:80;0:90;0;100 into \
             'used_prct'=26.93%;0:80;0:90;0;100 'used_prct_max'=100%;;;;\n\n\
             With --explode-perfdata-max=REGEX,NEWLABEL (repeatable), only metrics matching REGEX get a max \
             metric, named NEWLABEL.",
);
/// `--filter-perfdata`.
pub(super) const FILTER_PERFDATA: Text = Text::new(
    "filter-perfdata",
    "Filter perfdata that match the regexp. Eg: adding --filter-perfdata='avg' will remove all metrics \
             that do not contain 'avg' from performance data.",
);
/// `--filter-perfdata-adv`.
pub(super) const FILTER_PERFDATA_ADV: Text = Text::new(
    "filter-perfdata-adv",
    "Filter perfdata based on a \"if\" condition using the following variables: label, value, unit, \
             warning, critical, min, max, mode, nlabel, instances. Variables must be written either %{variable} \
             or %(variable). The function alert_triggered() is true when the value violates its own warning or \
             critical threshold. Eg: adding --filter-perfdata-adv='not (%(value) == 0 and %(max) eq \"\")' will \
             remove all metrics whose value equals 0 and that don't have a maximum value.",
);
/// `--filter-uom`.
pub(super) const FILTER_UOM: Text =
    Text::new("filter-uom", "Masks the units when they don't match the given regular expression.");
/// `--range-perfdata`.
pub(super) const RANGE_PERFDATA: Text = Text::new(
    "range-perfdata",
    "Change perfdata range thresholds display: 1 = start value equals to '0' is removed, 2 = threshold \
             range is not display.",
);

impl Perfdata {
    /// The record as the status line prints it: `'LABEL'=VALUEUNIT;W;C;MIN;MAX` (nothing
    /// is escaped, the label's quotes were doubled when it was created).
    pub fn text(&self) -> String {
        format!(
            "'{}'={}{};{};{};{};{}",
            self.label, self.value, self.unit, self.warning, self.critical, self.min, self.max
        )
    }
}

/// `--range-perfdata`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RangeMode {
    /// `0`: thresholds as they are.
    #[default]
    Keep,
    /// `1`: a leading `0:` lower bound is removed.
    DropZeroStart,
    /// `2`: both threshold fields emptied.
    Empty,
}

impl RangeMode {
    /// Reads `--range-perfdata` (an empty value is `1`, as in Perl), with Perl's message for
    /// anything else.
    pub fn from_values(values: &Values) -> Result<RangeMode> {
        match values.value(&RANGE_PERFDATA) {
            None | Some("0") => Ok(RangeMode::Keep),
            Some("1" | "") => Ok(RangeMode::DropZeroStart),
            Some("2") => Ok(RangeMode::Empty),
            Some(other) => Err(Error::new(format!("Wrong range-perfdata option '{other}'"))),
        }
    }
}

/// The perfdata Output Options, validated at start-up: what the display does to the
/// records of a run.
#[derive(Debug, Clone, Default)]
pub struct PerfdataRules {
    transforms: Vec<TransformRule>,
    explode: Explode,
    filter: Option<Pattern>,
    filter_adv: Option<Expr>,
    filter_uom: Option<Pattern>,
    range: RangeMode,
    /// Debug lines for the rules dropped as Perl drops them.
    notes: Vec<String>,
}

impl PerfdataRules {
    /// Reads `--explode-perfdata-max`, `--filter-perfdata`, `--filter-uom`,
    /// `--filter-perfdata-adv`, then the `--change-perfdata`, `--extend-perfdata` and
    /// `--extend-perfdata-group` rules, refusing the first invalid one.
    pub fn from_values(values: &Values, range: RangeMode) -> Result<PerfdataRules> {
        let mut rules = PerfdataRules {
            range,
            explode: Explode::parse(values.list(&EXPLODE_PERFDATA_MAX))?,
            filter: Pattern::from_option(values, &FILTER_PERFDATA)?,
            filter_uom: Pattern::from_option(values, &FILTER_UOM)?,
            ..PerfdataRules::default()
        };
        if let Some(source) = values.non_empty(&FILTER_PERFDATA_ADV) {
            let expr = Expr::parse(source, &RECORD_DIALECT)
                .map_err(|problem| Error::new(format!("Wrong filter-perfdata-adv option '{source}': {problem}")))?;
            rules.filter_adv = Some(expr);
        }
        for kind in [RuleKind::Change, RuleKind::Extend, RuleKind::Group] {
            for arg in values.list(kind.option()) {
                match TransformRule::parse(arg, kind)? {
                    Parsed::Rule(rule) => rules.transforms.push(*rule),
                    Parsed::Dropped(note) => rules.notes.push(note),
                    Parsed::Ignored => {}
                }
            }
        }
        Ok(rules)
    }

    /// The debug lines of the rules dropped at start-up (unknown method, bad argument).
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// The perfdata of a run as every format shows it: `--change-perfdata`,
    /// `--extend-perfdata`, `--extend-perfdata-group`, `--explode-perfdata-max`, then per
    /// record `--filter-perfdata`, `--filter-perfdata-adv`, `--filter-uom`,
    /// `--range-perfdata`. `precision` (`--float-precision`) is the one `alert_triggered()`
    /// compares with.
    pub fn finish(&self, mut records: Vec<Perfdata>, mode: &str, precision: usize) -> Vec<Perfdata> {
        for rule in &self.transforms {
            rule.apply(&mut records);
        }
        self.explode.apply(&mut records, mode);
        records.retain(|record| self.keep(record, precision));
        for record in &mut records {
            if let Some(uom) = &self.filter_uom {
                if !uom.is_match(&record.unit) {
                    record.unit.clear();
                }
            }
            match self.range {
                RangeMode::Keep => {}
                RangeMode::DropZeroStart => {
                    record.warning = drop_zero_start(&record.warning);
                    record.critical = drop_zero_start(&record.critical);
                }
                RangeMode::Empty => {
                    record.warning.clear();
                    record.critical.clear();
                }
            }
        }
        records
    }

    /// `--filter-perfdata` and `--filter-perfdata-adv`: whether the record is shown.
    fn keep(&self, record: &Perfdata, precision: usize) -> bool {
        if self.filter.as_ref().is_some_and(|p| !p.is_match(&record.label)) {
            return false;
        }
        match &self.filter_adv {
            Some(expr) => expr.is_true(&RecordScope { record, precision }),
            None => true,
        }
    }
}

/// `--range-perfdata=1`: a leading `0:` (also `00:`, `0.0:`, `-0:`, after an optional
/// `@`) is removed, as Perl's `s/^(@?)-?[0\.]+:/$1/`.
fn drop_zero_start(field: &str) -> String {
    let (at, rest) = match field.strip_prefix('@') {
        Some(rest) => ("@", rest),
        None => ("", field),
    };
    let unsigned = rest.strip_prefix('-').unwrap_or(rest);
    let zeros = unsigned.bytes().take_while(|b| *b == b'0' || *b == b'.').count();
    match unsigned[zeros..].strip_prefix(':') {
        Some(end) if zeros > 0 => format!("{at}{end}"),
        _ => field.to_string(),
    }
}

/// The variables `--filter-perfdata-adv` sees, and its `alert_triggered()` function.
struct RecordScope<'a> {
    record: &'a Perfdata,
    precision: usize,
}

/// What `--filter-perfdata-adv` may name, checked at start-up.
const RECORD_DIALECT: Dialect<'static> = Dialect {
    syntax: VariableSyntax::BracesOrParentheses,
    variables: &["label", "value", "unit", "warning", "critical", "min", "max", "mode", "nlabel", "instances"],
    functions: &["alert_triggered"],
};

impl Scope for RecordScope<'_> {
    fn var(&self, name: &str) -> Option<Value> {
        let r = self.record;
        let optional = |v: &Option<String>| Some(v.clone().map_or(Value::Undef, Value::Str));
        let text = match name {
            "label" => &r.label,
            "value" => &r.value,
            "unit" => &r.unit,
            "warning" => &r.warning,
            "critical" => &r.critical,
            "min" => &r.min,
            "max" => &r.max,
            "mode" => return optional(&r.mode),
            "nlabel" => return optional(&r.nlabel),
            "instances" => return optional(&r.instances),
            _ => return None,
        };
        Some(Value::Str(text.clone()))
    }

    fn call(&self, name: &str, _args: &[Value]) -> Option<Value> {
        (name == "alert_triggered").then(|| {
            let alerts = [&self.record.warning, &self.record.critical].into_iter().any(|field| {
                matches!(Threshold::parse(field), Ok(Some(t)) if t.alerts(number::parse_leading(&self.record.value), self.precision))
            });
            if alerts {
                Value::Num(1.0)
            } else {
                Value::Str(String::new())
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::tests::{email_activity_perfdata, mailbox_usage_perfdata, texts, values};

    fn rules(args: &[(&str, &str)]) -> Result<PerfdataRules> {
        let values = values(args);
        PerfdataRules::from_values(&values, RangeMode::from_values(&values)?)
    }

    fn run(args: &[(&str, &str)], records: Vec<Perfdata>) -> Vec<String> {
        let rules = rules(args).expect("valid rules");
        texts(&rules.finish(records, "mailbox-usage", 8))
    }

    #[test]
    fn text_has_four_semicolons() {
        assert_eq!(email_activity_perfdata()[0].text(), "'perfdate'=1795348800;;;;");
        assert_eq!(email_activity_perfdata()[1].text(), "'active_users'=12users;;;0;40");
    }

    #[test]
    fn filter_perfdata_keeps_matching_labels() {
        let out = run(&[("filter-perfdata", "active|perfdate")], email_activity_perfdata());
        assert_eq!(out, ["'perfdate'=1795348800;;;;", "'active_users'=12users;;;0;40"]);
        assert!(run(&[("filter-perfdata", "nomatch")], email_activity_perfdata()).is_empty());
        assert_eq!(run(&[("filter-perfdata", "")], email_activity_perfdata()).len(), 5);
    }

    #[test]
    fn filters_see_final_labels() {
        let args = [("change-perfdata", "^total_send_count$,x"), ("filter-perfdata", "^x$")];
        assert_eq!(run(&args, email_activity_perfdata()), ["'x'=250;;;0;"]);
    }

    #[test]
    fn filter_perfdata_adv_uses_record_variables() {
        let out = run(&[("filter-perfdata-adv", "%(value) > 100000")], mailbox_usage_perfdata());
        assert_eq!(
            out,
            [
                "'perfdate'=1795348800;;;;",
                "'total_usage_active'=130010988069B;;;0;",
                "'total_usage_inactive'=236288601468B;;;0;"
            ]
        );
        let out = run(&[("filter-perfdata-adv", "%{unit} eq \"B\"")], mailbox_usage_perfdata());
        assert_eq!(out.len(), 2);
        let out = run(&[("filter-perfdata-adv", "%(min) == 0 and %(max) eq \"\"")], mailbox_usage_perfdata());
        assert_eq!(out.len(), 3);
    }

    #[test]
    fn alert_triggered_checks_the_record_thresholds() {
        let mut records = mailbox_usage_perfdata();
        records[2].critical = "0:1".into();
        records[1].warning = "0:100".into();
        let out = run(&[("filter-perfdata-adv", "alert_triggered()")], records);
        assert_eq!(out, ["'total_usage_active'=130010988069B;;0:1;0;"]);
    }

    #[test]
    fn filter_uom_blanks_other_units() {
        let out = run(&[("filter-uom", "^B$")], mailbox_usage_perfdata());
        assert_eq!(out[1..3], ["'active_mailboxes'=12;;;0;40", "'total_usage_active'=130010988069B;;;0;"]);
    }

    #[test]
    fn range_perfdata_rewrites_thresholds() {
        let mut records = mailbox_usage_perfdata();
        records[1].warning = "0:20".into();
        records[2].critical = "@0:100".into();
        let out = run(&[("range-perfdata", "1")], records.clone());
        assert_eq!(
            out[1..3],
            ["'active_mailboxes'=12mailboxes;20;;0;40", "'total_usage_active'=130010988069B;;@100;0;"]
        );
        let out = run(&[("range-perfdata", "2")], records);
        assert_eq!(out[1], "'active_mailboxes'=12mailboxes;;;0;40");
        for (field, expected) in
            [("@-0.0:100", "@100"), ("00:5", "5"), ("0.5:10", "0.5:10"), ("~:5", "~:5"), ("10:", "10:")]
        {
            assert_eq!(drop_zero_start(field), expected);
        }
    }

    #[test]
    fn explode_runs_after_extend() {
        let args = [("extend-perfdata", "active_mailboxes,am"), ("explode-perfdata-max", "")];
        let out = run(&args, mailbox_usage_perfdata());
        assert_eq!(
            out[4..],
            ["'am'=12mailboxes;;;0;40", "'active_mailboxes_max'=40mailboxes;;;;", "'am_max'=40mailboxes;;;;"]
        );
    }

    #[test]
    fn unknown_names_are_rejected_at_start_up() {
        let message = |adv: &str| rules(&[("filter-perfdata-adv", adv)]).err().map(|e| e.message().to_string());
        let variable = message("%(bogus) > 1").unwrap_or_default();
        assert!(
            variable.starts_with(
                "Wrong filter-perfdata-adv option '%(bogus) > 1': unknown variable %{bogus} (known: label, value,"
            ),
            "{variable}"
        );
        assert_eq!(
            message("alert_triggerd()"),
            Some("Wrong filter-perfdata-adv option 'alert_triggerd()': unknown function alert_triggerd() (known: lc(), uc(), length(), defined(), alert_triggered())".to_string())
        );
        assert_eq!(message("%(value) >"), Some("Wrong filter-perfdata-adv option '%(value) >': syntax error at character 10: an operand is missing after '>'".to_string()));
    }

    #[test]
    fn range_perfdata_takes_perl_values() {
        let range = |value: &str| RangeMode::from_values(&values(&[("range-perfdata", value)]));
        assert_eq!(range("0"), Ok(RangeMode::Keep));
        assert_eq!(range(""), Ok(RangeMode::DropZeroStart));
        assert_eq!(range("2"), Ok(RangeMode::Empty));
        assert_eq!(range("3").map_err(|e| e.message().to_string()), Err("Wrong range-perfdata option '3'".to_string()));
        assert_eq!(RangeMode::from_values(&values(&[])), Ok(RangeMode::Keep));
    }

    #[test]
    fn regexes_name_their_option() {
        let message = |option: &str| rules(&[(option, "(")]).err().map(|e| e.message().to_string());
        assert_eq!(
            message("filter-perfdata"),
            Some("Invalid regular expression in --filter-perfdata '(': unclosed group.".to_string())
        );
        assert_eq!(
            message("filter-uom"),
            Some("Invalid regular expression in --filter-uom '(': unclosed group.".to_string())
        );
    }
}
