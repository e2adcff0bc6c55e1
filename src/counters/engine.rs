//! Runs the declared counters over the collected data: statuses, texts, long lines
//! and perfdata, composed as the Perl counter template composes them.

use super::thresholds::{Levels, Limit, Thresholds};
use super::{Check, Counter, Data, Group, GroupKind, Instance, Output, Perf, PerfThresholds, PerfValue, Record};
use crate::bytes;
use crate::expr::Value;
use crate::output::{CheckResult, Perfdata, ShortMessage};
use crate::status::Status;

/// How metrics are named in this run.
#[derive(Debug, Clone, Copy)]
pub struct Naming<'a> {
    /// `--use-new-perfdata` (or OpenMetrics output).
    pub new_perfdata: bool,
    /// The mode's name, carried by every metric.
    pub mode: &'a str,
}

/// Checks every group of `groups` against `data` and returns the messages and
/// metrics, groups in declaration order, instances in byte order of their ids.
pub fn evaluate(groups: &[Group], data: &Data, limits: &Thresholds, naming: Naming<'_>) -> CheckResult {
    let mut result = CheckResult::default();
    for group in groups.iter().filter(|g| limits.group_active(g.name)) {
        match group.kind {
            GroupKind::Global => {
                if let Some(record) = data.global_record(group.name) {
                    global(group, record, limits, naming, &mut result);
                }
            }
            GroupKind::Instances { message_multiple } => {
                if let Some(records) = data.instance_records(group.name) {
                    instances(group, records, message_multiple, limits, naming, &mut result);
                }
            }
        }
    }
    result
}

/// The `--list-counters` line: every counter label, groups in name order.
pub fn list_counters(groups: &[Group]) -> String {
    let mut sorted: Vec<&Group> = groups.iter().collect();
    sorted.sort_by_key(|g| g.name);
    let mut line = String::from("counter list: ");
    for counter in sorted.iter().flat_map(|g| &g.counters) {
        line.push_str(counter.label);
        line.push(' ');
    }
    line
}

/// The texts and worst status of one record's counters.
#[derive(Default)]
struct Texts {
    all: Vec<String>,
    bad: Vec<String>,
    worst: Option<Status>,
    ran: bool,
}

impl Texts {
    fn status(&self) -> Status {
        self.worst.unwrap_or(Status::Ok)
    }
}

fn global(group: &Group, record: &Record, limits: &Thresholds, naming: Naming<'_>, result: &mut CheckResult) {
    let texts = run_counters(group, record, None, limits, naming, result);
    let prefix = (group.prefix)(record);
    if texts.status().is_problem() {
        push(result, texts.status(), format!("{prefix}{}", texts.bad.join(", ")));
    } else if !texts.all.is_empty() {
        push(result, Status::Ok, format!("{prefix}{}", texts.all.join(", ")));
    }
}

fn instances(
    group: &Group,
    records: &std::collections::BTreeMap<String, Record>,
    message_multiple: &str,
    limits: &Thresholds,
    naming: Naming<'_>,
    result: &mut CheckResult,
) {
    let multiple = records.len() > 1;
    let mut any_ran = false;
    for (id, record) in records {
        let texts = run_counters(group, record, Some((id, multiple)), limits, naming, result);
        any_ran |= texts.ran;
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
    if multiple && any_ran {
        push(result, Status::Ok, message_multiple.to_string());
    }
}

fn push(result: &mut CheckResult, status: Status, text: String) {
    result.short.push(ShortMessage { severity: Some(status), text });
}

fn run_counters(
    group: &Group,
    record: &Record,
    instance: Option<(&str, bool)>,
    limits: &Thresholds,
    naming: Naming<'_>,
    result: &mut CheckResult,
) -> Texts {
    let mut texts = Texts::default();
    for counter in group.counters.iter().filter(|c| limits.counter_active(c.label)) {
        texts.ran = true;
        if !record.has_all(counter.keys) {
            texts.all.push(format!("{} : skipped (no value(s))", counter.label));
            continue;
        }
        let levels = limits.levels(counter.label);
        let status = check(counter, record, levels, limits.precision());
        let text = output(counter, record, status);
        if status.is_problem() {
            texts.bad.push(text.clone());
            texts.worst = Some(texts.status().worst(status));
        }
        texts.all.push(text);
        for perf in &counter.perfdata {
            if let Some(metric) = perfdata(counter, perf, record, instance, levels, naming) {
                result.perfdata.push(metric);
            }
        }
    }
    texts
}

fn output(counter: &Counter, record: &Record, status: Status) -> String {
    match counter.output {
        Output::Template(template) => template.replacen("{}", &record.text(counter.key()), 1),
        Output::Bytes(template) => {
            let (number, unit) = bytes::storage(record.num(counter.key()));
            template.replacen("{}", &format!("{number} {unit}"), 1)
        }
        Output::Custom(text) => text(record),
        Output::CustomWithStatus(text) => text(record, status),
    }
}

/// Critical first, then warning, then unknown: the first limit that alerts decides.
fn check(counter: &Counter, record: &Record, levels: Option<&Levels>, precision: usize) -> Status {
    let Some(levels) = levels else { return Status::Ok };
    let ordered =
        [(&levels.critical, Status::Critical), (&levels.warning, Status::Warning), (&levels.unknown, Status::Unknown)];
    for (limit, status) in ordered {
        let alerts = match (limit, counter.check) {
            (Some(Limit::Range(range)), Check::Value) => range.alerts(record.num(counter.key()), precision),
            (Some(Limit::Range(range)), Check::Range(value)) => range.alerts(value(record), precision),
            (Some(Limit::Expression(expr)), Check::Status(_)) => {
                expr.is_true(&|name: &str| Some(record.get(name).map_or(Value::Undef, |f| f.value())))
            }
            _ => false,
        };
        if alerts {
            return status;
        }
    }
    Status::Ok
}

fn perfdata(
    counter: &Counter,
    perf: &Perf,
    record: &Record,
    instance: Option<(&str, bool)>,
    levels: Option<&Levels>,
    naming: Naming<'_>,
) -> Option<Perfdata> {
    let value = match perf.value {
        PerfValue::Key => record.text(counter.key()),
        PerfValue::Custom(value) => value(record)?,
    };
    let legacy = perf.label.unwrap_or(counter.label);
    let nlabel = perf.nlabel.or(counter.nlabel);
    let (label, nlabel, instances) = match (perf.instance, instance) {
        (Instance::Suffix, Some((id, multiple))) => {
            let label = match (naming.new_perfdata, multiple) {
                (true, _) => format!("{id}#{}", nlabel.unwrap_or(legacy)),
                (false, true) => format!("{legacy}_{id}"),
                (false, false) => legacy.to_string(),
            };
            let suffixed = naming.new_perfdata || multiple;
            (label, nlabel.map(str::to_string), suffixed.then(|| id.to_string()))
        }
        (Instance::InNlabel, Some((id, multiple))) => {
            let full = format!("{id}#{}", nlabel.unwrap_or(legacy));
            let label = match (naming.new_perfdata, multiple) {
                (true, _) => full.clone(),
                (false, true) => format!("{legacy}_{id}"),
                (false, false) => legacy.to_string(),
            };
            (label, Some(full), None)
        }
        _ => {
            let label = if naming.new_perfdata { nlabel.unwrap_or(legacy) } else { legacy };
            (label.to_string(), nlabel.map(str::to_string), None)
        }
    };
    let (warning, critical) = threshold_fields(perf.thresholds, record, levels);
    Some(Perfdata {
        label: label.replace('\'', "''"),
        nlabel,
        instances,
        value,
        unit: perf.unit.to_string(),
        warning,
        critical,
        min: perf.min.unwrap_or_default().to_string(),
        max: perf.max.map(|max| max(record)).unwrap_or_default(),
        mode: Some(naming.mode.to_string()),
    })
}

fn threshold_fields(style: PerfThresholds, record: &Record, levels: Option<&Levels>) -> (String, String) {
    let print = |limit: &Option<Limit>| match (limit, style) {
        (Some(Limit::Range(range)), PerfThresholds::Counter) => range.perfdata(),
        (Some(Limit::Range(range)), PerfThresholds::PercentOf(total)) => match total(record) {
            Some(total) => range.perfdata_of_percent(total),
            None => range.perfdata(),
        },
        _ => String::new(),
    };
    match levels {
        Some(levels) => (print(&levels.warning), print(&levels.critical)),
        None => (String::new(), String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::counters::{CounterOptions, Field};
    use crate::options::Values;

    /// A test mode: a global group and an item group.
    fn groups() -> Vec<Group> {
        let total =
            Counter::value("total", "items.total.count", &["total"], Output::Template("Total: {}"), Perf::key("total"));
        let size = Counter::value(
            "size",
            "items.size.bytes",
            &["size"],
            Output::Bytes("Size: {}"),
            Perf { unit: "B", ..Perf::key("size") },
        );
        let value = Counter::value(
            "item-value",
            "item.value.count",
            &["value"],
            Output::Template("Value: {}"),
            Perf { instance: Instance::Suffix, ..Perf::key("item-value") },
        );
        vec![
            Group {
                name: "global",
                kind: GroupKind::Global,
                prefix: |_| "Global ".to_string(),
                counters: vec![total, size],
            },
            Group {
                name: "items",
                kind: GroupKind::Instances { message_multiple: "All items are ok" },
                prefix: |r| format!("Item '{}' ", r.text("display")),
                counters: vec![value],
            },
        ]
    }

    fn run(args: &[(&str, &str)], items: &[(&str, i64)], new_perfdata: bool) -> CheckResult {
        let groups = groups();
        let specs = CounterOptions::specs(&groups, new_perfdata, "");
        let mut values = Values::default();
        values.declare(&specs);
        for (name, value) in args {
            let spec = specs.iter().find(|s| s.answers_to(name)).expect("declared option");
            values.set(spec, value.to_string());
        }
        let limits = Thresholds::from_values(&groups, &values, new_perfdata, 8).expect("valid options");
        let mut data = Data::default();
        data.global("global", Record::new().with("total", Field::Int(25)).with("size", Field::Int(2048)));
        for (id, value) in items {
            let record = Record::new().with("display", Field::Text(id.to_string())).with("value", Field::Int(*value));
            data.instances("items").insert(id.to_string(), record);
        }
        evaluate(&groups, &data, &limits, Naming { new_perfdata, mode: "test" })
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

    #[test]
    fn a_single_instance_with_every_counter_filtered_keeps_its_bare_prefix() {
        let groups = groups();
        let specs = CounterOptions::specs(&groups, false, "^total$");
        let mut values = Values::default();
        values.declare(&specs);
        let limits = Thresholds::from_values(&groups, &values, false, 8).expect("valid");
        let mut data = Data::default();
        data.instances("items").insert("a".into(), Record::new().with("display", Field::Text("a".into())));
        let result = evaluate(&groups, &data, &limits, Naming { new_perfdata: false, mode: "test" });
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
        let limits = Thresholds::from_values(&groups, &Values::default(), false, 8).expect("valid");
        let mut data = Data::default();
        data.global("global", Record::new().with("total", Field::Int(1)));
        let result = evaluate(&groups, &data, &limits, Naming { new_perfdata: false, mode: "test" });
        assert_eq!(shorts(&result), [(Some(Status::Ok), "Global Total: 1, size : skipped (no value(s))")]);
        assert_eq!(labels(&result), ["total"]);
    }

    #[test]
    fn list_counters_names_groups_in_name_order() {
        let mut reversed = groups();
        reversed.reverse();
        assert_eq!(list_counters(&reversed), "counter list: total size item-value ");
    }
}
