//! Runs a group's counters over its records: statuses, texts, long lines and
//! perfdata, composed as the Perl counter template composes them.
//!
//! A group's texts are its prefix then its counters' texts joined by `, `. A global
//! group shows one message: its bad texts at the worst status, else all its texts.
//! An instance group shows, per instance, a long line with all its texts and, when
//! bad, a message at that status; a single instance also shows an OK message, several
//! instances all OK only the group's `message_multiple`.

use std::collections::BTreeMap;

use super::counter::{Check, Counter, Group, Instance, Output, Perf, PerfThresholds};
use super::declarations::{MetricNames, Naming};
use super::field::Field;
use super::thresholds::{Levels, Limit, Thresholds};
use crate::bytes;
use crate::expr::Value;
use crate::output::{CheckResult, Perfdata, ShortMessage};
use crate::status::Status;

/// The texts and worst status of one record's counters.
#[derive(Default)]
struct Texts {
    all: Vec<String>,
    bad: Vec<String>,
    worst: Option<Status>,
}

impl Texts {
    fn status(&self) -> Status {
        self.worst.unwrap_or(Status::Ok)
    }
}

/// The counters of a group that survive `--filter-counters`, with their limits:
/// decided once per group, not per record.
type Active<'g, R> = Vec<(&'g Counter<R>, Option<&'g Levels>)>;

fn active<'g, R>(group: &'g Group<R>, limits: &'g Thresholds) -> Active<'g, R> {
    group.counters.iter().filter(|c| limits.counter_active(c.label)).map(|c| (c, limits.levels(c.label))).collect()
}

/// Evaluates a global group over its record.
pub(super) fn global<R>(
    group: &Group<R>,
    record: &R,
    limits: &Thresholds,
    naming: Naming<'_>,
    result: &mut CheckResult,
) {
    let counters = active(group, limits);
    let texts = run_counters(&counters, record, None, limits, naming, result);
    let prefix = (group.prefix)(record);
    if texts.status().is_problem() {
        push(result, texts.status(), format!("{prefix}{}", texts.bad.join(", ")));
    } else if !texts.all.is_empty() {
        push(result, Status::Ok, format!("{prefix}{}", texts.all.join(", ")));
    }
}

/// Evaluates an instance group over its records, in byte order of their ids.
pub(super) fn instances<R>(
    group: &Group<R>,
    records: &BTreeMap<String, R>,
    message_multiple: &str,
    limits: &Thresholds,
    naming: Naming<'_>,
    result: &mut CheckResult,
) {
    let counters = active(group, limits);
    let multiple = records.len() > 1;
    for (id, record) in records {
        let texts = run_counters(&counters, record, Some((id, multiple)), limits, naming, result);
        let prefix = (group.prefix)(record);
        if !texts.all.is_empty() {
            result.long.push(format!("{prefix}{}", texts.all.join(", ")));
        }
        if texts.status().is_problem() {
            push(result, texts.status(), format!("{prefix}{}", texts.bad.join(", ")));
        }
        if !multiple {
            push(result, Status::Ok, format!("{prefix}{}", texts.all.join(", ")));
        }
    }
    if multiple && !counters.is_empty() {
        push(result, Status::Ok, message_multiple.to_string());
    }
}

fn push(result: &mut CheckResult, status: Status, text: String) {
    result.short.push(ShortMessage { severity: Some(status), text });
}

fn run_counters<R>(
    counters: &Active<'_, R>,
    record: &R,
    instance: Option<(&str, bool)>,
    limits: &Thresholds,
    naming: Naming<'_>,
    result: &mut CheckResult,
) -> Texts {
    let mut texts = Texts::default();
    for &(counter, levels) in counters {
        let Some(value) = (counter.value)(record) else {
            texts.all.push(format!("{} : skipped (no value(s))", counter.label));
            continue;
        };
        let status = check(counter, &value, record, levels, limits.precision());
        let text = output(counter, &value, record, status);
        if status.is_problem() {
            texts.bad.push(text.clone());
            texts.worst = Some(texts.status().worst(status));
        }
        texts.all.push(text);
        for perf in &counter.perfdata {
            if let Some(metric) = perfdata(counter, perf, &value, record, instance, levels, naming) {
                result.perfdata.push(metric);
            }
        }
    }
    texts
}

fn output<R>(counter: &Counter<R>, value: &Field, record: &R, status: Status) -> String {
    match &counter.output {
        Output::Template(template) => template.replacen("{}", &value.text(), 1),
        Output::Bytes(template) => {
            let (number, unit) = bytes::storage(value.num());
            template.replacen("{}", &format!("{number} {unit}"), 1)
        }
        Output::Custom(text) => text(record, status),
    }
}

/// Critical first, then warning, then unknown: the first limit that alerts decides.
fn check<R>(counter: &Counter<R>, value: &Field, record: &R, levels: Option<&Levels>, precision: usize) -> Status {
    let Some(levels) = levels else { return Status::Ok };
    let ordered =
        [(&levels.critical, Status::Critical), (&levels.warning, Status::Warning), (&levels.unknown, Status::Unknown)];
    for (limit, status) in ordered {
        let alerts = match (limit, &counter.check) {
            (Some(Limit::Range(range)), Check::Value) => range.alerts(value.num(), precision),
            (Some(Limit::Range(range)), Check::Range(compute)) => range.alerts(compute(record), precision),
            (Some(Limit::Expression(expr)), Check::Status(variables)) => expr.is_true(&|name: &str| {
                Some(variables.iter().find(|v| v.name == name).map_or(Value::Undef, |v| (v.read)(record)))
            }),
            _ => false,
        };
        if alerts {
            return status;
        }
    }
    Status::Ok
}

fn perfdata<R>(
    counter: &Counter<R>,
    perf: &Perf<R>,
    value: &Field,
    record: &R,
    instance: Option<(&str, bool)>,
    levels: Option<&Levels>,
    naming: Naming<'_>,
) -> Option<Perfdata> {
    let value = match &perf.value {
        None => value.text(),
        Some(read) => read(record)?.text(),
    };
    let new = naming.names == MetricNames::New;
    let legacy = perf.label;
    let nlabel = perf.nlabel.or(counter.nlabel);
    let (label, nlabel, instances) = match (perf.instance, instance) {
        (Instance::Suffix, Some((id, multiple))) => {
            let label = match (new, multiple) {
                (true, _) => format!("{id}#{}", nlabel.unwrap_or(legacy)),
                (false, true) => format!("{legacy}_{id}"),
                (false, false) => legacy.to_string(),
            };
            let suffixed = new || multiple;
            (label, nlabel.map(str::to_string), suffixed.then(|| id.to_string()))
        }
        (Instance::InNlabel, Some((id, multiple))) => {
            let full = format!("{id}#{}", nlabel.unwrap_or(legacy));
            let label = match (new, multiple) {
                (true, _) => full.clone(),
                (false, true) => format!("{legacy}_{id}"),
                (false, false) => legacy.to_string(),
            };
            (label, Some(full), None)
        }
        _ => {
            let label = if new { nlabel.unwrap_or(legacy) } else { legacy };
            (label.to_string(), nlabel.map(str::to_string), None)
        }
    };
    let (warning, critical) = threshold_fields(&perf.thresholds, record, levels);
    Some(Perfdata {
        label: perfdata_label(&label),
        nlabel,
        instances,
        value,
        unit: perf.unit.to_string(),
        warning,
        critical,
        min: perf.min.unwrap_or_default().to_string(),
        max: perf.max.as_ref().map(|max| max(record)).unwrap_or_default(),
        mode: Some(naming.mode.to_string()),
    })
}

/// `label` as a perfdata label holds it whatever the instance name in it contains:
/// single quotes doubled (the label is printed between single quotes, so spaces
/// need nothing more); `=`, which the format does not allow in a label even quoted
/// (a concealed name `<PII:H105(Zm9v…=)>` ends with base64 padding), turned into
/// `_`; line ends or other control characters, which would cut the perfdata line,
/// and `|`, which would start it again, turned into spaces.
fn perfdata_label(label: &str) -> String {
    label
        .chars()
        .map(|c| match c {
            '=' => '_',
            '|' => ' ',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect::<String>()
        .replace('\'', "''")
}

fn threshold_fields<R>(style: &PerfThresholds<R>, record: &R, levels: Option<&Levels>) -> (String, String) {
    let print = |limit: &Option<Limit>| match (limit, style) {
        (Some(Limit::Range(range)), PerfThresholds::Counter) => range.perfdata(),
        (Some(Limit::Range(range)), PerfThresholds::PercentOf(total)) => range.perfdata_of_percent(total(record)),
        _ => String::new(),
    };
    match levels {
        Some(levels) => (print(&levels.warning), print(&levels.critical)),
        None => (String::new(), String::new()),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::counters::{Collected, Declarations, Groups, Variable};
    use crate::options::Values;

    /// The test mode's data: a global group and an item group.
    struct Test {
        global: Totals,
        items: BTreeMap<String, Item>,
    }

    struct Totals {
        total: i64,
        size: Option<i64>,
    }

    struct Item {
        display: String,
        value: Option<i64>,
    }

    fn global_group() -> Group<Totals> {
        let total = Counter::value(
            "total",
            "items.total.count",
            |t: &Totals| t.total,
            Output::Template("Total: {}"),
            Perf::key("total"),
        );
        let size = Counter::value(
            "size",
            "items.size.bytes",
            |t: &Totals| t.size,
            Output::Bytes("Size: {}"),
            Perf::key("size").unit("B"),
        );
        Group::new("global", |_| "Global ".to_string(), vec![total, size])
    }

    fn items_group() -> Group<Item> {
        let value = Counter::value(
            "item-value",
            "item.value.count",
            |i: &Item| i.value,
            Output::Template("Value: {}"),
            Perf::key("item-value").instance(Instance::Suffix),
        );
        Group::new("items", |i: &Item| format!("Item '{}' ", i.display), vec![value])
    }

    fn groups() -> Groups<Test> {
        Groups::new().global(global_group(), |d: &Test| &d.global).instances(
            items_group(),
            "All items are ok",
            |d: &Test| &d.items,
        )
    }

    fn items(values: &[(&str, Option<i64>)]) -> BTreeMap<String, Item> {
        values.iter().map(|(id, value)| (id.to_string(), Item { display: id.to_string(), value: *value })).collect()
    }

    fn names(new_perfdata: bool) -> MetricNames {
        if new_perfdata {
            MetricNames::New
        } else {
            MetricNames::Legacy
        }
    }

    /// Parses `args` as the options `declarations` generate.
    fn limits(declarations: &Declarations, args: &[(&str, &str)], names: MetricNames, filter: &str) -> Thresholds {
        let values = Values::of(&declarations.options(names, filter), args);
        Thresholds::from_values(declarations, &values, names, 8).expect("valid options")
    }

    fn evaluate(collected: &Collected, limits: &Thresholds, names: MetricNames) -> CheckResult {
        collected.evaluate(limits, Naming { names, mode: "test" })
    }

    fn run(args: &[(&str, &str)], values: &[(&str, i64)], new_perfdata: bool) -> CheckResult {
        let names = names(new_perfdata);
        let groups = groups();
        let limits = limits(&groups.declarations(), args, names, "");
        let values: Vec<_> = values.iter().map(|(id, v)| (*id, Some(*v))).collect();
        let data = Test { global: Totals { total: 25, size: Some(2048) }, items: items(&values) };
        evaluate(&groups.with(data), &limits, names)
    }

    fn shorts(result: &CheckResult) -> Vec<(Option<Status>, &str)> {
        result.short.iter().map(|m| (m.severity, m.text.as_str())).collect()
    }

    fn labels(result: &CheckResult) -> Vec<&str> {
        result.perfdata.iter().map(|p| p.label.as_str()).collect()
    }

    #[test]
    fn a_group_reports_only_its_bad_counters_at_the_worst_status() {
        let result = run(&[("warning-total", "10"), ("critical-size", "1")], &[], false);
        assert_eq!(shorts(&result), [(Some(Status::Critical), "Global Total: 25, Size: 2.00 KB")]);
        assert_eq!(result.perfdata[0].warning, "0:10");
        assert_eq!(result.perfdata[1].critical, "0:1");
    }

    #[test]
    fn instances_are_visited_in_byte_order_and_summarised_when_ok() {
        let result = run(&[], &[("b", 2), ("a", 10), ("B", 3), ("9", 3), ("10", 3)], false);
        assert_eq!(shorts(&result).last(), Some(&(Some(Status::Ok), "All items are ok")));
        assert_eq!(
            result.long,
            ["Item '10' Value: 3", "Item '9' Value: 3", "Item 'B' Value: 3", "Item 'a' Value: 10", "Item 'b' Value: 2"]
        );
        assert_eq!(
            labels(&result)[2..],
            ["item-value_10", "item-value_9", "item-value_B", "item-value_a", "item-value_b"]
        );
    }

    #[test]
    fn a_single_instance_shows_its_counters_and_no_suffix() {
        let result = run(&[], &[("x'y", 7)], false);
        assert_eq!(shorts(&result).last(), Some(&(Some(Status::Ok), "Item 'x'y' Value: 7")));
        assert_eq!(labels(&result).last(), Some(&"item-value"));
        let new = run(&[], &[("x'y", 7)], true);
        assert_eq!(labels(&new).last(), Some(&"x''y#item.value.count"));
        assert_eq!(new.perfdata.last().and_then(|p| p.instances.as_deref()), Some("x'y"));
    }

    /// Whatever an instance name holds (`'`, `=`, `|`, spaces, line ends), its label
    /// prints between single quotes on one line, quotes doubled, `=` as `_`, and
    /// holds exactly one `=`: the one after it.
    #[test]
    fn labels_hold_any_instance_name() {
        let result = run(&[], &[("<PII:H105(a/b=)>@x", 1), ("o'hara x\r\ny|z", 2)], false);
        let texts: Vec<String> = result.perfdata[2..].iter().map(Perfdata::text).collect();
        assert_eq!(texts, ["'item-value_<PII:H105(a/b_)>@x'=1;;;0;", "'item-value_o''hara x  y z'=2;;;0;"]);
        let new = run(&[], &[("a=b", 1)], true);
        assert_eq!(new.perfdata.last().map(Perfdata::text).as_deref(), Some("'a_b#item.value.count'=1;;;0;"));
    }

    #[test]
    fn a_single_instance_with_every_counter_filtered_keeps_its_bare_prefix() {
        let groups = Groups::new().instances(items_group(), "All items are ok", |d: &Test| &d.items);
        let limits = limits(&groups.declarations(), &[], MetricNames::Legacy, "^total$");
        let data = Test { global: Totals { total: 25, size: None }, items: items(&[("a", None)]) };
        let result = evaluate(&groups.with(data), &limits, MetricNames::Legacy);
        assert_eq!(shorts(&result), [(Some(Status::Ok), "Item 'a' ")]);
    }

    #[test]
    fn bad_instances_are_reported_one_by_one() {
        let result = run(&[("warning-item-value", "5")], &[("a", 10), ("b", 2), ("c", 6)], false);
        let problems: Vec<_> = shorts(&result).into_iter().filter(|(s, _)| *s == Some(Status::Warning)).collect();
        assert_eq!(
            problems,
            [(Some(Status::Warning), "Item 'a' Value: 10"), (Some(Status::Warning), "Item 'c' Value: 6")]
        );
    }

    #[test]
    fn missing_values_are_skipped_without_status() {
        let groups = groups();
        let declarations = groups.declarations();
        let limits = Thresholds::from_values(&declarations, &Values::default(), MetricNames::Legacy, 8).expect("valid");
        let data = Test { global: Totals { total: 1, size: None }, items: BTreeMap::new() };
        let result = evaluate(&groups.with(data), &limits, MetricNames::Legacy);
        assert_eq!(shorts(&result), [(Some(Status::Ok), "Global Total: 1, size : skipped (no value(s))")]);
        assert_eq!(labels(&result), ["total"]);
    }

    #[test]
    fn a_missing_instance_value_is_skipped_in_its_long_line() {
        let groups = groups();
        let limits = limits(&groups.declarations(), &[("warning-item-value", "5")], MetricNames::Legacy, "");
        let data = Test { global: Totals { total: 1, size: Some(1) }, items: items(&[("a", None), ("b", Some(9))]) };
        let result = evaluate(&groups.with(data), &limits, MetricNames::Legacy);
        assert_eq!(result.long, ["Item 'a' item-value : skipped (no value(s))", "Item 'b' Value: 9"]);
        assert_eq!(
            shorts(&result)[1..],
            [(Some(Status::Warning), "Item 'b' Value: 9"), (Some(Status::Ok), "All items are ok")]
        );
    }

    /// The global group with an opt-in counter added after the others.
    fn opt_in_groups() -> Groups<Test> {
        let mut group = global_group();
        group.counters.push(
            Counter::value(
                "age",
                "items.age.hours",
                |t: &Totals| t.total * 2,
                Output::Template("Age: {}"),
                Perf::key("age"),
            )
            .opt_in(),
        );
        Groups::new().global(group, |d: &Test| &d.global)
    }

    #[test]
    fn an_opt_in_counter_shows_only_with_a_threshold_whatever_the_filter() {
        let groups = opt_in_groups();
        let declarations = groups.declarations();
        let data = Test { global: Totals { total: 25, size: None }, items: BTreeMap::new() };
        let collected = groups.with(data);
        /// Options, `--filter-counters`, the message shown, the metrics.
        struct Case(&'static [(&'static str, &'static str)], &'static str, &'static str, &'static [&'static str]);
        let skipped = "Global Total: 25, size : skipped (no value(s))";
        let cases = [
            Case(&[], "", skipped, &["total"]),
            Case(&[("warning-age", "")], "", skipped, &["total"]),
            Case(&[], "age", "", &[]),
            Case(
                &[("warning-age", "60")],
                "",
                "Global Total: 25, size : skipped (no value(s)), Age: 50",
                &["total", "age"],
            ),
            Case(&[("critical-age", "40")], "^total$", "Global Age: 50", &["total", "age"]),
        ];
        for Case(args, filter, text, metrics) in cases {
            let limits = limits(&declarations, args, MetricNames::Legacy, filter);
            assert_eq!(limits.counter_active("age"), metrics.contains(&"age"), "{args:?} {filter:?}");
            let result = evaluate(&collected, &limits, MetricNames::Legacy);
            let expected: Vec<&str> = [text].into_iter().filter(|t| !t.is_empty()).collect();
            assert_eq!(result.short.iter().map(|m| m.text.as_str()).collect::<Vec<_>>(), expected, "{args:?}");
            assert_eq!(labels(&result), metrics, "{args:?} {filter:?}");
        }
        assert_eq!(declarations.list_counters(), "counter list: total size ", "not among the filtered counters");
    }

    #[test]
    fn instance_labels_are_those_of_instance_groups() {
        assert_eq!(groups().declarations().instance_labels(), ["item-value"]);
    }

    #[test]
    fn list_counters_names_groups_in_name_order() {
        let reversed = Groups::new()
            .instances(items_group(), "All items are ok", |d: &Test| &d.items)
            .global(global_group(), |d: &Test| &d.global);
        assert_eq!(reversed.declarations().list_counters(), "counter list: total size item-value ");
    }

    /// A status counter whose variables are declared with their accessors.
    fn status_groups(limit: i64) -> Groups<Test> {
        let variables =
            vec![Variable::new("value", |i: &Item| i.value), Variable::new("display", |i: &Item| i.display.clone())];
        let status = Counter::new(
            "status",
            |i: &Item| i.display.clone(),
            Output::with_status(move |i: &Item, status| format!("value {:?} of {limit} is {status:?}", i.value)),
            Check::Status(variables),
        )
        .critical_default("%{value} > 5");
        Groups::new().instances(Group::new("items", |_| String::new(), vec![status]), "All ok", |d: &Test| &d.items)
    }

    #[test]
    fn status_expressions_read_the_declared_variables() {
        let groups = status_groups(5);
        let limits =
            limits(&groups.declarations(), &[("warning-status", "%{display} eq 'b'")], MetricNames::Legacy, "");
        let data = Test { global: Totals { total: 0, size: None }, items: items(&[("a", Some(9)), ("b", None)]) };
        let result = evaluate(&groups.with(data), &limits, MetricNames::Legacy);
        assert_eq!(result.long, ["value Some(9) of 5 is Critical", "value None of 5 is Warning"],);
    }

    #[test]
    fn a_status_expression_naming_an_undeclared_variable_is_refused() {
        let declarations = status_groups(5).declarations();
        let specs = declarations.options(MetricNames::Legacy, "");
        let values = Values::of(&specs, &[("warning-status", "%{size} > 1")]);
        let error = Thresholds::from_values(&declarations, &values, MetricNames::Legacy, 8).expect_err("refused");
        assert_eq!(
            error.message(),
            "Wrong warning-status expression '%{size} > 1': unknown variable %{size} (known: value, display)."
        );
    }
}
