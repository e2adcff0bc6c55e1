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
    /// The instance is written into the nlabel itself (`INSTANCE#nlabel`), as the
    /// mailbox `used` metric does; the legacy label gets the `_INSTANCE` suffix.
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

/// One perfdata metric of a counter.
#[derive(Clone, Copy)]
pub struct Perf {
    /// Legacy label; `None` uses the counter's label.
    pub label: Option<&'static str>,
    /// New-style label; `None` uses the counter's nlabel, else the legacy label.
    pub nlabel: Option<&'static str>,
    /// The printed value; `None` emits no metric (e.g. no valid report date).
    pub value: fn(&Record) -> Option<String>,
    pub unit: &'static str,
    pub min: Option<&'static str>,
    pub max: Option<fn(&Record) -> String>,
    pub thresholds: PerfThresholds,
    pub instance: Instance,
}

impl Perf {
    /// A metric with the counter's names, no unit, min 0, no max, the counter's
    /// thresholds; adjust the fields for anything else.
    pub const fn new(value: fn(&Record) -> Option<String>) -> Self {
        Perf {
            label: None,
            nlabel: None,
            value,
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
    /// Keys the record must hold; otherwise the counter shows `LABEL : skipped (no
    /// value(s))`.
    pub keys: &'static [&'static str],
    /// The counter's text in the status line.
    pub output: fn(&Record) -> String,
    pub perfdata: Vec<Perf>,
}

impl Counter {
    /// A range-checked counter with one metric; adjust fields for anything else.
    pub fn new(label: &'static str, keys: &'static [&'static str], output: fn(&Record) -> String, check: Check) -> Self {
        Counter { label, nlabel: None, check, warning_default: None, critical_default: None, keys, output, perfdata: Vec::new() }
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
