//! The counter template (`centreon::plugins::templates::counter`): a mode declares
//! groups of counters as plain data; the engine checks them against thresholds and
//! composes the messages and perfdata exactly as the Perl template does.
//!
//! The same declarations generate the `--warning-*` / `--critical-*` options, the help
//! item that lists them and `--list-counters`, so they cannot drift apart.

mod engine;
mod record;
mod thresholds;

use std::collections::{BTreeMap, HashMap};

pub use engine::{evaluate, list_counters, Naming};
pub use record::{Field, Record};
pub use thresholds::{CounterOptions, Levels, Limit, Thresholds};

/// How a group holds its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupKind {
    /// One record for the whole check (Perl type 0).
    Global,
    /// One record per instance, visited in byte order of the instance id (Perl type
    /// 1); with several instances all OK, only `message_multiple` is shown.
    Instances { message_multiple: &'static str },
}

/// What a counter's thresholds are compared with.
#[derive(Clone, Copy)]
pub enum Check {
    /// No threshold options at all (`threshold => 0`).
    None,
    /// Nagios ranges compared with the counter's first key.
    Value,
    /// Nagios ranges compared with the number this function computes.
    Range(fn(&Record) -> f64),
    /// Status expressions over the record's fields; the names listed are the
    /// variables an expression may use (any other is refused at start-up).
    Status(&'static [&'static str]),
}

/// How a perfdata metric names its instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Instance {
    /// A global metric.
    None,
    /// `base_INSTANCE` (several instances) or `INSTANCE#nlabel`, with an `instances`
    /// field in JSON/XML.
    Suffix,
    /// The instance is written into the nlabel itself (`INSTANCE#nlabel`), as some
    /// custom perfdata callbacks of Perl modes do; the legacy label gets the `_INSTANCE` suffix.
    InNlabel,
}

/// How the threshold fields of a metric are printed.
#[derive(Clone, Copy)]
pub enum PerfThresholds {
    /// Empty fields.
    None,
    /// The counter's warning and critical ranges, printed back as parsed.
    Counter,
    /// The counter's ranges are percentages of the total this function returns (or
    /// absolute values when it returns `None`); printed as absolute integers.
    PercentOf(fn(&Record) -> Option<f64>),
}

/// The text of a counter in the status line.
#[derive(Clone, Copy)]
pub enum Output {
    /// `{}` replaced by the counter's first key, as printed (`Send Count: {}`).
    Template(&'static str),
    /// `{}` replaced by the first key as a byte size (`Usage: {}` → `Usage: 121.08 GB`).
    Bytes(&'static str),
    /// Any text computed from the record.
    Custom(fn(&Record) -> String),
    /// A text that also depends on the counter's status, for texts that say more
    /// when the counter alerts (Perl's outputs that read `last_status`).
    CustomWithStatus(fn(&Record, crate::status::Status) -> String),
}

/// Where a metric's value comes from.
#[derive(Clone, Copy)]
pub enum PerfValue {
    /// The counter's first key, as printed.
    Key,
    /// Computed from the record; `None` emits no metric (e.g. no valid report date).
    Custom(fn(&Record) -> Option<String>),
}

/// One perfdata metric of a counter.
#[derive(Clone, Copy)]
pub struct Perf {
    /// Legacy label; `None` uses the counter's label.
    pub label: Option<&'static str>,
    /// New-style label; `None` uses the counter's nlabel, else the legacy label.
    pub nlabel: Option<&'static str>,
    pub value: PerfValue,
    pub unit: &'static str,
    pub min: Option<&'static str>,
    pub max: Option<fn(&Record) -> String>,
    pub thresholds: PerfThresholds,
    pub instance: Instance,
}

impl Perf {
    /// The metric of the counter's first key, named `label` in legacy perfdata: no
    /// unit, min 0, no max, the counter's thresholds, no instance; adjust the fields
    /// for anything else.
    pub const fn key(label: &'static str) -> Self {
        Perf {
            label: Some(label),
            nlabel: None,
            value: PerfValue::Key,
            unit: "",
            min: Some("0"),
            max: None,
            thresholds: PerfThresholds::Counter,
            instance: Instance::None,
        }
    }
}

/// One counter: a label (option and legacy metric name), a check, a text, metrics.
#[derive(Clone)]
pub struct Counter {
    pub label: &'static str,
    /// New-style metric name; with `--use-new-perfdata` it also names the options.
    pub nlabel: Option<&'static str>,
    pub check: Check,
    pub warning_default: Option<&'static str>,
    pub critical_default: Option<&'static str>,
    /// Keys the record must hold (the first is the counter's value); otherwise the
    /// counter shows `LABEL : skipped (no value(s))`.
    pub keys: &'static [&'static str],
    pub output: Output,
    pub perfdata: Vec<Perf>,
}

impl Counter {
    /// A counter without defaults or metrics; adjust the fields for anything else.
    pub fn new(label: &'static str, keys: &'static [&'static str], output: Output, check: Check) -> Self {
        Counter {
            label,
            nlabel: None,
            check,
            warning_default: None,
            critical_default: None,
            keys,
            output,
            perfdata: Vec::new(),
        }
    }

    /// The common counter: a value under `key`, printed with `template`, checked
    /// against ranges, one metric named `metric` (legacy) and `nlabel` (new).
    pub fn value(
        label: &'static str,
        nlabel: &'static str,
        keys: &'static [&'static str],
        output: Output,
        metric: Perf,
    ) -> Self {
        Counter { nlabel: Some(nlabel), perfdata: vec![metric], ..Counter::new(label, keys, output, Check::Value) }
    }

    /// The counter's value: its first key.
    fn key(&self) -> &'static str {
        self.keys.first().copied().unwrap_or_default()
    }
}

/// A group of counters.
#[derive(Clone)]
pub struct Group {
    pub name: &'static str,
    pub kind: GroupKind,
    /// Text before the counters' texts (it carries its own trailing space).
    pub prefix: fn(&Record) -> String,
    pub counters: Vec<Counter>,
}

/// What a mode collected: one record per global group, a map of instances per
/// instance group.
#[derive(Debug, Default)]
pub struct Data {
    globals: HashMap<&'static str, Record>,
    instances: HashMap<&'static str, BTreeMap<String, Record>>,
}

impl Data {
    /// Sets the record of a global group.
    pub fn global(&mut self, group: &'static str, record: Record) {
        self.globals.insert(group, record);
    }

    /// The instances of a group, for the mode to fill.
    pub fn instances(&mut self, group: &'static str) -> &mut BTreeMap<String, Record> {
        self.instances.entry(group).or_default()
    }

    fn global_record(&self, group: &str) -> Option<&Record> {
        self.globals.get(group)
    }

    fn instance_records(&self, group: &str) -> Option<&BTreeMap<String, Record>> {
        self.instances.get(group)
    }
}
