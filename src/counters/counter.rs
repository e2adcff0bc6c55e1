//! A counter and its group, declared over the record type `R` the group reads: what is
//! checked, how it is shown and which metrics it emits, each read from the record
//! through a closure. The closures may capture the mode's configuration (`--units`),
//! and the record's field names are checked by the compiler.

use std::fmt;

use super::field::{Field, Scalar};
use crate::expr::Value;
use crate::status::Status;

/// Reads something from a record.
pub(super) type Read<R, T> = Box<dyn Fn(&R) -> T>;

/// Writes a counter's text from its record and status.
pub(super) type Text<R> = Box<dyn Fn(&R, Status) -> String>;

/// Boxes an accessor returning any [`Scalar`].
fn scalar<R, V: Scalar>(read: impl Fn(&R) -> V + 'static) -> Read<R, Option<Field>> {
    Box::new(move |record| read(record).into_field())
}

/// One counter: a label (option and legacy metric name), a value, a check, a text and
/// its metrics (Perl's `maps_counters` entry).
pub struct Counter<R> {
    pub(super) label: &'static str,
    pub(super) nlabel: Option<&'static str>,
    /// The counter's value (Perl's first key); absent, the counter shows
    /// `LABEL : skipped (no value(s))` with no status and no metric.
    pub(super) value: Read<R, Option<Field>>,
    pub(super) check: Check<R>,
    pub(super) unknown_default: Option<&'static str>,
    pub(super) warning_default: Option<&'static str>,
    pub(super) critical_default: Option<&'static str>,
    /// Shown only when one of its thresholds is set ([`Counter::opt_in`]).
    pub(super) opt_in: bool,
    pub(super) output: Output<R>,
    pub(super) perfdata: Vec<Perf<R>>,
}

impl<R> Counter<R> {
    /// A counter without nlabel, defaults or metrics; the builder methods add them.
    pub fn new<V: Scalar>(
        label: &'static str,
        value: impl Fn(&R) -> V + 'static,
        output: Output<R>,
        check: Check<R>,
    ) -> Self {
        Counter {
            label,
            nlabel: None,
            value: scalar(value),
            check,
            unknown_default: None,
            warning_default: None,
            critical_default: None,
            opt_in: false,
            output,
            perfdata: Vec::new(),
        }
    }

    /// The common counter: a value shown by `output`, checked against ranges, with
    /// one metric, named `nlabel` with `--use-new-perfdata`.
    pub fn value<V: Scalar>(
        label: &'static str,
        nlabel: &'static str,
        value: impl Fn(&R) -> V + 'static,
        output: Output<R>,
        metric: Perf<R>,
    ) -> Self {
        Counter::new(label, value, output, Check::Value).nlabel(nlabel).perf(metric)
    }

    /// Sets the new-style metric name; with `--use-new-perfdata` it also names the
    /// threshold options.
    pub fn nlabel(mut self, nlabel: &'static str) -> Self {
        self.nlabel = Some(nlabel);
        self
    }

    /// Sets the default of `--unknown-LABEL`: for a status that says the check
    /// could not tell (a source that did not answer), not that something is wrong.
    pub fn unknown_default(mut self, default: &'static str) -> Self {
        self.unknown_default = Some(default);
        self
    }

    /// Sets the default of `--warning-LABEL`.
    pub fn warning_default(mut self, default: &'static str) -> Self {
        self.warning_default = Some(default);
        self
    }

    /// Sets the default of `--critical-LABEL`.
    pub fn critical_default(mut self, default: &'static str) -> Self {
        self.critical_default = Some(default);
        self
    }

    /// Makes the counter opt-in: it is checked and shown (text and metrics) only when
    /// one of its thresholds is set, whatever `--filter-counters` says. A check added
    /// to an existing mode this way leaves the mode's output unchanged for every
    /// command line that does not ask for it, and needs no filter to be asked for.
    pub fn opt_in(mut self) -> Self {
        self.opt_in = true;
        self
    }

    /// Adds a metric, after the ones already declared.
    pub fn perf(mut self, metric: Perf<R>) -> Self {
        self.perfdata.push(metric);
        self
    }
}

impl<R> fmt::Debug for Counter<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Counter")
            .field("label", &self.label)
            .field("nlabel", &self.nlabel)
            .field("check", &self.check)
            .field("unknown_default", &self.unknown_default)
            .field("warning_default", &self.warning_default)
            .field("critical_default", &self.critical_default)
            .field("opt_in", &self.opt_in)
            .field("output", &self.output)
            .field("perfdata", &self.perfdata)
            .finish_non_exhaustive()
    }
}

/// What a counter's thresholds are compared with.
pub enum Check<R> {
    /// No threshold options at all (Perl's `threshold => 0`).
    None,
    /// Nagios ranges compared with the counter's value.
    Value,
    /// Nagios ranges compared with the number this closure computes.
    Range(Read<R, f64>),
    /// Status expressions over the variables listed; an expression naming any other
    /// variable is refused at start-up.
    Status(Vec<Variable<R>>),
}

impl<R> Check<R> {
    /// Ranges compared with `compute(record)`.
    pub fn range(compute: impl Fn(&R) -> f64 + 'static) -> Self {
        Check::Range(Box::new(compute))
    }
}

impl<R> fmt::Debug for Check<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Check::None => f.write_str("None"),
            Check::Value => f.write_str("Value"),
            Check::Range(_) => f.write_str("Range(..)"),
            Check::Status(variables) => f.debug_tuple("Status").field(variables).finish(),
        }
    }
}

/// A variable of status expressions (`%{name}`) and how it is read: declaring both
/// together keeps the names an expression may use and the values it sees in step.
pub struct Variable<R> {
    pub(super) name: &'static str,
    pub(super) read: Read<R, Value>,
}

impl<R> Variable<R> {
    /// `%{name}` reads `read(record)`; an absent value is `undef`.
    pub fn new<V: Scalar>(name: &'static str, read: impl Fn(&R) -> V + 'static) -> Self {
        Variable { name, read: Box::new(move |record| read(record).into_field().map_or(Value::Undef, Field::value)) }
    }
}

impl<R> fmt::Debug for Variable<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "%{{{}}}", self.name)
    }
}

/// The text of a counter in the status line.
pub enum Output<R> {
    /// `{}` replaced by the counter's value, as printed (`Send Count: {}`).
    Template(&'static str),
    /// `{}` replaced by the value as a byte size (`Usage: {}` → `Usage: 121.08 GB`).
    Bytes(&'static str),
    /// Any text computed from the record and the counter's status.
    Custom(Text<R>),
}

impl<R> Output<R> {
    /// A text computed from the record.
    pub fn custom(text: impl Fn(&R) -> String + 'static) -> Self {
        Output::Custom(Box::new(move |record, _| text(record)))
    }

    /// A text that also depends on the counter's status, for texts that say more
    /// when the counter alerts (Perl's outputs that read `last_status`).
    pub fn with_status(text: impl Fn(&R, Status) -> String + 'static) -> Self {
        Output::Custom(Box::new(text))
    }
}

impl<R> fmt::Debug for Output<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Output::Template(template) => f.debug_tuple("Template").field(template).finish(),
            Output::Bytes(template) => f.debug_tuple("Bytes").field(template).finish(),
            Output::Custom(_) => f.write_str("Custom(..)"),
        }
    }
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
    /// custom perfdata callbacks of Perl modes do; the legacy label gets the
    /// `_INSTANCE` suffix.
    InNlabel,
}

/// How the threshold fields of a metric are printed.
pub enum PerfThresholds<R> {
    /// Empty fields.
    None,
    /// The counter's warning and critical ranges, printed back as parsed.
    Counter,
    /// The counter's ranges are percentages of the total this closure returns;
    /// printed as absolute integers.
    PercentOf(Read<R, f64>),
}

impl<R> PerfThresholds<R> {
    /// The counter's ranges as percentages of `total(record)`.
    pub fn percent_of(total: impl Fn(&R) -> f64 + 'static) -> Self {
        PerfThresholds::PercentOf(Box::new(total))
    }
}

impl<R> fmt::Debug for PerfThresholds<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PerfThresholds::None => "None",
            PerfThresholds::Counter => "Counter",
            PerfThresholds::PercentOf(_) => "PercentOf(..)",
        })
    }
}

/// One perfdata metric of a counter.
pub struct Perf<R> {
    /// Legacy label.
    pub(super) label: &'static str,
    /// New-style label; `None` uses the counter's nlabel, else the legacy label.
    pub(super) nlabel: Option<&'static str>,
    /// The metric's value; `None` is the counter's value. A closure returning an
    /// absent value emits no metric.
    pub(super) value: Option<Read<R, Option<Field>>>,
    pub(super) unit: &'static str,
    pub(super) min: Option<&'static str>,
    pub(super) max: Option<Read<R, String>>,
    pub(super) thresholds: PerfThresholds<R>,
    pub(super) instance: Instance,
}

impl<R> Perf<R> {
    /// The metric of the counter's value, named `label` in legacy perfdata: no unit,
    /// min 0, no max, the counter's thresholds, no instance; the builder methods
    /// change the rest.
    pub fn key(label: &'static str) -> Self {
        Perf {
            label,
            nlabel: None,
            value: None,
            unit: "",
            min: Some("0"),
            max: None,
            thresholds: PerfThresholds::Counter,
            instance: Instance::None,
        }
    }

    /// Names the metric `nlabel` with `--use-new-perfdata` instead of the counter's.
    pub fn nlabel(mut self, nlabel: &'static str) -> Self {
        self.nlabel = Some(nlabel);
        self
    }

    /// Takes the metric's value from `read(record)`; an absent value emits no metric.
    pub fn value<V: Scalar>(mut self, read: impl Fn(&R) -> V + 'static) -> Self {
        self.value = Some(scalar(read));
        self
    }

    /// Sets the unit.
    pub fn unit(mut self, unit: &'static str) -> Self {
        self.unit = unit;
        self
    }

    /// Leaves the min field empty.
    pub fn no_min(mut self) -> Self {
        self.min = None;
        self
    }

    /// Takes the max field from `read(record)`.
    pub fn max(mut self, read: impl Fn(&R) -> String + 'static) -> Self {
        self.max = Some(Box::new(read));
        self
    }

    /// Sets how the threshold fields are printed.
    pub fn thresholds(mut self, thresholds: PerfThresholds<R>) -> Self {
        self.thresholds = thresholds;
        self
    }

    /// Sets how the metric names its instance.
    pub fn instance(mut self, instance: Instance) -> Self {
        self.instance = instance;
        self
    }
}

impl<R> fmt::Debug for Perf<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Perf")
            .field("label", &self.label)
            .field("nlabel", &self.nlabel)
            .field("unit", &self.unit)
            .field("min", &self.min)
            .field("thresholds", &self.thresholds)
            .field("instance", &self.instance)
            .finish_non_exhaustive()
    }
}

/// A group of counters over one record type.
pub struct Group<R> {
    pub(super) name: &'static str,
    /// Text before the counters' texts (it carries its own trailing space).
    pub(super) prefix: Read<R, String>,
    pub(super) counters: Vec<Counter<R>>,
}

impl<R> Group<R> {
    /// A group named `name` (what `--filter-counters-block` matches), whose texts
    /// follow `prefix(record)`.
    pub fn new(name: &'static str, prefix: impl Fn(&R) -> String + 'static, counters: Vec<Counter<R>>) -> Self {
        Group { name, prefix: Box::new(prefix), counters }
    }
}

impl<R> fmt::Debug for Group<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Group").field("name", &self.name).field("counters", &self.counters).finish_non_exhaustive()
    }
}
