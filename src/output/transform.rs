//! Perfdata rewriting rules: `--change-perfdata`, `--extend-perfdata`,
//! `--extend-perfdata-group` and `--explode-perfdata-max`.
//!
//! Rules are parsed once at start-up; an invalid regex is an error there instead of a
//! crash in the middle of the output, as in Perl.

use super::bounds;
use super::method::Method;
use super::Perfdata;
use crate::error::Error;
use crate::options::List;
use crate::pattern::{Occurrences, Pattern, PatternError};

/// `--change-perfdata`.
pub(super) const CHANGE_PERFDATA: List = List::new(
    "change-perfdata",
    "Change or extend perfdata. Syntax: \
             --extend-perfdata=searchlabel,newlabel,method[,[newuom],[min],[max],[warning],[critical]]\n\n\
             method is one of invert(), percent(), scale(auto|UNIT) and math(EXPR[|1]) (EXPR may use digits, \
             + - * / ** ( ) and the word current; with |1 the thresholds are transformed too). \
             --change-perfdata rewrites the metric, --extend-perfdata adds a new one.\n\n\
             Common examples:\n\n\
             Convert storage free perfdata into used: --change-perfdata=free,used,invert()\n\n\
             Scale traffic values automatically: --change-perfdata=traffic,,scale(auto)\n\n\
             Scale traffic values in Mbps: --change-perfdata=traffic_in,,scale(Mbps),mbps\n\n\
             Change traffic values in percent: --change-perfdata=traffic_in,,percent()",
);
/// `--extend-perfdata`.
pub(super) const EXTEND_PERFDATA: List = List::new("extend-perfdata", "").same_item_as_previous();
/// `--extend-perfdata-group`.
pub(super) const EXTEND_PERFDATA_GROUP: List = List::new("extend-perfdata-group", "Add new aggregated metrics (min, max, average or sum) for groups of metrics defined by a regex \
             match on the metrics' names. Syntax: \
             --extend-perfdata-group=regex,namesofnewmetrics,calculation[,[newuom],[min],[max],[warning],[critical]]\n\n\
             regex: regular expression. namesofnewmetrics: how the new metrics' names are composed (can use $1, \
             $2... for groups defined by () in regex); each name is added once. calculation: how the values of \
             the new metrics should be calculated (min, max, average or sum of a regex).\n\n\
             Common examples:\n\n\
             Sum wrong packets from all interfaces: \
             --extend-perfdata-group=',packets_wrong,sum(packets_(discard|error)_(in|out))'\n\n\
             Sum traffic by interface: --extend-perfdata-group='traffic_in_(.*),traffic_$1,sum(traffic_(in|out)_$1)'");

/// Which option a rule comes from; it decides what happens to the transformed record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleKind {
    /// `--change-perfdata`: replace the record in place.
    Change,
    /// `--extend-perfdata`: append a transformed copy.
    Extend,
    /// `--extend-perfdata-group`: append an aggregate.
    Group,
}

impl RuleKind {
    /// The option its rules are given with.
    pub fn option(self) -> &'static List {
        match self {
            RuleKind::Change => &CHANGE_PERFDATA,
            RuleKind::Extend => &EXTEND_PERFDATA,
            RuleKind::Group => &EXTEND_PERFDATA_GROUP,
        }
    }
}

/// One `MATCH,NEWLABEL,METHOD,UNIT,MIN,MAX,WARNING,CRITICAL` rule.
#[derive(Debug, Clone)]
pub struct TransformRule {
    kind: RuleKind,
    /// `None` only for a group rule with an empty REGEX (one aggregate overall).
    matcher: Option<Pattern>,
    substitute: Option<String>,
    method: Option<Method>,
    unit: Option<String>,
    min: Option<String>,
    max: Option<String>,
    warning: Option<String>,
    critical: Option<String>,
}

/// The outcome of reading one rule.
#[derive(Debug)]
pub enum Parsed {
    /// A rule to apply.
    Rule(Box<TransformRule>),
    /// A rule Perl ignores silently (empty MATCH, group without NAME).
    Ignored,
    /// A rule Perl drops with a debug line (unknown method or bad arguments).
    Dropped(String),
}

impl TransformRule {
    /// Reads one value of the option `kind`; a MATCH or aggregate PATTERN that is not a
    /// valid regex is an error naming the option.
    pub fn parse(arg: &str, kind: RuleKind) -> Result<Parsed, Error> {
        let fields: Vec<&str> = arg.split(',').collect();
        let field = |i: usize| fields.get(i).filter(|f| !f.is_empty()).map(|f| f.to_string());
        let wrong =
            |problem: PatternError| Error::new(format!("Wrong {} option '{arg}': {problem}", kind.option().name()));
        let matcher = match field(0) {
            Some(regex) => Some(Pattern::new(&regex).map_err(wrong)?),
            None if kind == RuleKind::Group && field(1).is_some() => None,
            None => return Ok(Parsed::Ignored),
        };
        let method = match field(2) {
            None => None,
            Some(text) => match Method::parse(&text) {
                Ok(method) => Some(method),
                Err(refusal) => return Ok(Parsed::Dropped(refusal.note(arg))),
            },
        };
        if let Some(Method::Aggregate(_, pattern)) = &method {
            Pattern::new(&super::method::substitute_captures(pattern, &[])).map_err(wrong)?;
        }
        Ok(Parsed::Rule(Box::new(TransformRule {
            kind,
            matcher,
            substitute: field(1),
            method,
            unit: field(3),
            min: field(4),
            max: field(5),
            warning: field(6),
            critical: field(7),
        })))
    }

    /// Applies the rule to the records: changes in place, or appends the new records
    /// after looking at all the existing ones.
    pub fn apply(&self, records: &mut Vec<Perfdata>) {
        let Some(matcher) = &self.matcher else {
            let label = self.substitute.clone().unwrap_or_default();
            if let Some(record) = self.build(Perfdata::aggregate(label), &[], records) {
                records.push(record);
            }
            return;
        };
        let mut added: Vec<Perfdata> = Vec::new();
        for i in 0..records.len() {
            let Some(captures) = matcher.captures(&records[i].label) else {
                continue;
            };
            let source = &records[i];
            let mut record = match self.kind {
                RuleKind::Group => Perfdata::aggregate(source.label.clone()),
                _ => source.clone(),
            };
            if let Some(substitute) = &self.substitute {
                record.label = matcher.replace(&source.label, substitute, Occurrences::First);
            }
            let Some(record) = self.build(record, &captures, records) else {
                continue;
            };
            match self.kind {
                RuleKind::Change => records[i] = record,
                // Perl repeated a group aggregate once per matching record: it is emitted
                // once per resulting label.
                RuleKind::Group if added.iter().any(|a| a.label == record.label) => {}
                _ => added.push(record),
            }
        }
        records.extend(added);
    }

    /// Runs the method and the field overrides on `record`; `None` when an appended record
    /// ends up without value (Perl does not add those).
    fn build(&self, mut record: Perfdata, captures: &[String], all: &[Perfdata]) -> Option<Perfdata> {
        if let Some(method) = &self.method {
            method.apply(&mut record, captures, all);
        }
        for (target, value) in
            [(&mut record.unit, &self.unit), (&mut record.min, &self.min), (&mut record.max, &self.max)]
        {
            if let Some(value) = value {
                target.clone_from(value);
            }
        }
        if let Some(warning) = &self.warning {
            record.warning = bounds::extend_field(warning, &record.max);
        }
        if let Some(critical) = &self.critical {
            record.critical = bounds::extend_field(critical, &record.max);
        }
        (self.kind == RuleKind::Change || !record.value.is_empty()).then_some(record)
    }
}

impl Perfdata {
    /// An empty record named `label`, as group aggregates start (no mode key).
    fn aggregate(label: String) -> Perfdata {
        Perfdata {
            label,
            nlabel: None,
            instances: None,
            value: String::new(),
            unit: String::new(),
            warning: String::new(),
            critical: String::new(),
            min: String::new(),
            max: String::new(),
            mode: None,
        }
    }
}

/// `--explode-perfdata-max`: extra records holding the max of others.
#[derive(Debug, Clone, Default)]
pub enum Explode {
    /// Not given.
    #[default]
    Off,
    /// Flag form: `LABEL_max` for every record with a max.
    All,
    /// `REGEX,NEWLABEL` rules; the first matching rule wins for a record.
    Rules(Vec<(Pattern, String)>),
}

impl Explode {
    /// Reads the option's values: none → off, a first empty value → flag form, else
    /// `REGEX,NEWLABEL` pairs (the exact Perl message for a value without NEWLABEL).
    pub fn parse(values: &[String]) -> Result<Explode, Error> {
        match values.first() {
            None => return Ok(Explode::Off),
            Some(first) if first.is_empty() => return Ok(Explode::All),
            Some(_) => {}
        }
        let mut rules = Vec::new();
        for value in values {
            let mut fields = value.split(',');
            let regex = fields.next().unwrap_or_default();
            let Some(label) = fields.next().filter(|label| !label.is_empty()) else {
                return Err(Error::new(format!("Wrong explode-perfdata-max option '{value}' (syntax: match,value)")));
            };
            let pattern = Pattern::new(regex)
                .map_err(|problem| Error::new(format!("Wrong explode-perfdata-max option '{value}': {problem}")))?;
            rules.push((pattern, label.to_string()));
        }
        Ok(Explode::Rules(rules))
    }

    /// Appends the max records; they carry the mode, the source unit and nothing else.
    pub fn apply(&self, records: &mut Vec<Perfdata>, mode: &str) {
        if matches!(self, Explode::Off) {
            return;
        }
        let mut added = Vec::new();
        for record in records.iter().filter(|r| !r.max.is_empty()) {
            let label = match self {
                Explode::Rules(rules) => match rules.iter().find(|(p, _)| p.is_match(&record.label)) {
                    Some((_, label)) => label.clone(),
                    None => continue,
                },
                _ => format!("{}_max", record.label),
            };
            added.push(Perfdata {
                value: record.max.clone(),
                unit: record.unit.clone(),
                mode: Some(mode.to_string()),
                ..Perfdata::aggregate(label)
            });
        }
        records.extend(added);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::tests::{email_activity_perfdata, mailbox_usage_perfdata, perf, texts};

    fn run(rules: &[(&str, RuleKind)], mut records: Vec<Perfdata>) -> Vec<String> {
        for (arg, kind) in rules {
            match TransformRule::parse(arg, *kind) {
                Ok(Parsed::Rule(rule)) => rule.apply(&mut records),
                Ok(_) => {}
                Err(e) => panic!("{e}"),
            }
        }
        texts(&records)
    }

    fn change(arg: &str, records: Vec<Perfdata>) -> Vec<String> {
        run(&[(arg, RuleKind::Change)], records)
    }

    fn thresholds() -> Vec<Perfdata> {
        let mut records = mailbox_usage_perfdata();
        records[1].warning = "4:20".into();
        records[1].critical = "@24:32".into();
        records[2].warning = "0:1073741824".into();
        records
    }

    #[test]
    fn change_renames_with_captures_first_occurrence_only() {
        let out = change("total_(\\w+)_count,t_$1", email_activity_perfdata());
        assert_eq!(out[2..], ["'t_send'=250;;;0;", "'t_receive'=1295;;;0;", "'t_read'=1332;;;0;"]);
        let out = change("total,TOTAL", email_activity_perfdata());
        assert_eq!(out[2], "'TOTAL_send_count'=250;;;0;");
    }

    #[test]
    fn change_applies_methods_in_place() {
        let out = change("active_mailboxes,,percent()", mailbox_usage_perfdata());
        assert_eq!(out[1], "'active_mailboxes'=30.00%;;;0;100");
        let out = change("active_mailboxes,inactive_mailboxes,invert()", thresholds());
        assert_eq!(out[1], "'inactive_mailboxes'=28mailboxes;20:36;@8:16;0;40");
        let out = change("total_usage_active,,math(current / 1000000)", mailbox_usage_perfdata());
        assert_eq!(out[2], "'total_usage_active'=130010.988069B;;;0;");
        let out = change("total_usage,,scale(auto)", thresholds());
        assert_eq!(out[2..], ["'total_usage_active'=121.08gB;0:1;;0;", "'total_usage_inactive'=220.06gB;;;0;"]);
        let out = change("total_usage_active,tua,,XB,1,2", thresholds());
        assert_eq!(out[2], "'tua'=130010988069XB;0:1073741824;;1;2");
    }

    #[test]
    fn changes_chain_in_order() {
        let rules = [("^total_send_count$,x", RuleKind::Change), ("^x$,y", RuleKind::Change)];
        assert_eq!(run(&rules, email_activity_perfdata())[2], "'y'=250;;;0;");
    }

    #[test]
    fn extend_appends_copies_keeping_keys() {
        let mut records = mailbox_usage_perfdata();
        records[2].warning = "0:1073741824".into();
        let rule = [("total_usage_active,total_usage_active_gb,scale(GB),GB", RuleKind::Extend)];
        let out = run(&rule, records.clone());
        assert_eq!(out.len(), 5);
        assert_eq!(out[4], "'total_usage_active_gb'=121.08GB;0:1;;0;");
        let dup = run(&[("perfdate", RuleKind::Extend)], records);
        assert_eq!(dup[0], dup[4]);
    }

    #[test]
    fn extend_threshold_fields() {
        let cases = [
            ("active_mailboxes,am,,,,,10,20", "'am'=12mailboxes;10;20;0;40"),
            ("active_mailboxes,am,,,,,10%,20%", "'am'=12mailboxes;4;8;0;40"),
            ("active_mailboxes,am,,,,,5:10%,@1:2", "'am'=12mailboxes;5:4;@1:2;0;40"),
        ];
        for (arg, expected) in cases {
            assert_eq!(run(&[(arg, RuleKind::Extend)], mailbox_usage_perfdata())[4], expected, "{arg}");
        }
    }

    #[test]
    fn groups_aggregate_once_per_label() {
        let group = |arg: &str| run(&[(arg, RuleKind::Group)], email_activity_perfdata())[5..].to_vec();
        assert_eq!(
            group("total_(send|read)_count,total_$1_max,max(total_(send|receive|read)_count)"),
            ["'total_send_max'=1332;;;;", "'total_read_max'=1332;;;;"]
        );
        assert_eq!(group(",all_avg,average(total_.*_count)"), ["'all_avg'=959.00;;;;"]);
        assert_eq!(group(",all_sum,sum(total_.*_count)"), ["'all_sum'=2877;;;;"]);
        assert_eq!(
            group("total_(.*)_count,sum_$1,sum(total_$1_count)"),
            ["'sum_send'=250;;;;", "'sum_receive'=1295;;;;", "'sum_read'=1332;;;;"]
        );
        assert_eq!(group(",all_min,min(total_.*_count),msg,0,10000,100,200%"), ["'all_min'=250msg;100;20000;0;10000"]);
        assert!(group(",nothing,sum(zzz)").is_empty());
        assert_eq!(group("total_(.*)_count,grp,sum(total_.*_count)"), ["'grp'=2877;;;;"]);
        let usage = run(
            &[("total_usage_(.*),total_usage_sum,sum(total_usage_(.*))", RuleKind::Group)],
            mailbox_usage_perfdata(),
        );
        assert_eq!(usage[4..], ["'total_usage_sum'=366299589537;;;;"]);
    }

    #[test]
    fn group_records_have_no_mode() {
        let mut records = email_activity_perfdata();
        if let Ok(Parsed::Rule(rule)) = TransformRule::parse(",all_sum,sum(total_.*)", RuleKind::Group) {
            rule.apply(&mut records);
        }
        assert_eq!(records.last().map(|r| r.mode.clone()), Some(None));
    }

    #[test]
    fn bad_rules_are_ignored_dropped_or_rejected() {
        assert!(matches!(TransformRule::parse(",x,invert()", RuleKind::Change), Ok(Parsed::Ignored)));
        assert!(matches!(TransformRule::parse(",,sum(x)", RuleKind::Group), Ok(Parsed::Ignored)));
        match TransformRule::parse("a,b,eval(1)", RuleKind::Extend) {
            Ok(Parsed::Dropped(note)) => {
                assert_eq!(note, "method in argument 'a,b,eval(1)' is unknown")
            }
            _ => panic!("eval must be refused"),
        }
        match TransformRule::parse("a,b,scale(XB)", RuleKind::Change) {
            Ok(Parsed::Dropped(note)) => {
                assert_eq!(note, "argument in method 'a,b,scale(XB)' is unknown")
            }
            _ => panic!("bad scale must be refused"),
        }
        let err = TransformRule::parse("(,b", RuleKind::Change).err().map(|e| e.message().to_string());
        assert!(err.is_some_and(|m| m.starts_with("Wrong change-perfdata option '(,b': ")));
        let err = TransformRule::parse(",g,sum(()", RuleKind::Group).err();
        assert!(err.is_some());
    }

    #[test]
    fn explode_adds_max_records() {
        let mut records = mailbox_usage_perfdata();
        Explode::parse(&["".into()]).unwrap().apply(&mut records, "mailbox-usage");
        assert_eq!(texts(&records)[4..], ["'active_mailboxes_max'=40mailboxes;;;;"]);
        let mut records = mailbox_usage_perfdata();
        Explode::parse(&["active,act_total".into()]).unwrap().apply(&mut records, "m");
        assert_eq!(texts(&records)[4..], ["'act_total'=40mailboxes;;;;"]);
        let mut records = vec![perf("a", "1", "", "", "", "", "5"), perf("b", "1", "", "", "", "", "")];
        Explode::parse(&["zzz,x".into(), ".,y".into()]).unwrap().apply(&mut records, "m");
        assert_eq!(texts(&records)[2..], ["'y'=5;;;;"]);
    }

    #[test]
    fn explode_rejects_values_without_label() {
        for bad in ["active", "active,"] {
            let message = Explode::parse(&[bad.into()]).err().map(|e| e.message().to_string());
            assert_eq!(message, Some(format!("Wrong explode-perfdata-max option '{bad}' (syntax: match,value)")));
        }
        assert!(Explode::parse(&["(,x".into()]).is_err());
    }
}
