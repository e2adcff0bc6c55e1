//! Perfdata at display time: the §3.1 step 5 pipeline (rewrite rules, explode, then the
//! per-record filters) and the `'LABEL'=VALUEUNIT;W;C;MIN;MAX` text.

use super::options::{OutputOptions, RangeMode};
use super::Perfdata;
use crate::expr::{Scope, Value};
use crate::number;
use crate::threshold;

impl Perfdata {
    /// The record as the status line prints it: `'LABEL'=VALUEUNIT;W;C;MIN;MAX` (§2.5;
    /// nothing is escaped, the label's quotes were doubled when it was created).
    pub fn text(&self) -> String {
        format!(
            "'{}'={}{};{};{};{};{}",
            self.label, self.value, self.unit, self.warning, self.critical, self.min, self.max
        )
    }
}

/// The perfdata of a run as every format shows it: `--change-perfdata`,
/// `--extend-perfdata`, `--extend-perfdata-group`, `--explode-perfdata-max`, then per
/// record `--filter-perfdata`, `--filter-perfdata-adv`, `--filter-uom`, `--range-perfdata`.
pub fn finish(mut records: Vec<Perfdata>, opts: &OutputOptions, mode: &str) -> Vec<Perfdata> {
    for rule in &opts.transforms {
        rule.apply(&mut records);
    }
    opts.explode.apply(&mut records, mode);
    records.retain(|record| keep(record, opts));
    for record in &mut records {
        if let Some(uom) = &opts.filter_uom {
            if !uom.is_match(&record.unit) {
                record.unit.clear();
            }
        }
        match opts.range {
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
fn keep(record: &Perfdata, opts: &OutputOptions) -> bool {
    if opts.filter_perfdata.as_ref().is_some_and(|p| !p.is_match(&record.label)) {
        return false;
    }
    match &opts.filter_perfdata_adv {
        Some(expr) => expr.is_true(&RecordScope { record, precision: opts.float_precision }),
        None => true,
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

/// The names `--filter-perfdata-adv` may use, checked at start-up.
pub const RECORD_VARIABLES: [&str; 10] =
    ["label", "value", "unit", "warning", "critical", "min", "max", "mode", "nlabel", "instances"];

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
                matches!(threshold::parse(field), Ok(Some(t)) if t.alerts(number::parse_leading(&self.record.value), self.precision))
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
    use crate::options::{OptionSpec, Values};
    use crate::output::tests::{email_activity_perfdata, mailbox_usage_perfdata, options, texts};

    fn run(args: &[(&str, &str)], records: Vec<Perfdata>) -> Vec<String> {
        texts(&finish(records, &options(args), "mailbox-usage"))
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
    fn unknown_variables_are_rejected_at_start_up() {
        let spec = OptionSpec::value("filter-perfdata-adv", "");
        let mut values = Values::default();
        values.set(&spec, "%(bogus) > 1".into());
        assert!(OutputOptions::from_values(&values).is_err());
    }
}
