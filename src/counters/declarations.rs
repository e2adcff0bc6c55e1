//! What a mode's counters are, without their record types: their names, what their
//! threshold options hold, and how metrics are named in a run. The generated options,
//! their help, `--list-counters`, the threshold parsing and the evaluation all read
//! these declarations, so they sit apart from each of them.

/// How metrics and counter threshold options are named in a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricNames {
    /// By their legacy labels.
    Legacy,
    /// By their nlabels (`--use-new-perfdata`, or OpenMetrics output).
    New,
}

/// How metrics are named in this run.
#[derive(Debug, Clone, Copy)]
pub struct Naming<'a> {
    /// Legacy labels or nlabels.
    pub names: MetricNames,
    /// The mode's name, carried by every metric.
    pub mode: &'a str,
}

/// The names and checks of a mode's counters, without their record types: what the
/// generated options, their help, `--list-counters` and the threshold parsing read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declarations {
    pub(super) groups: Vec<GroupDeclaration>,
}

impl Declarations {
    /// Every counter with its group, in declaration order.
    pub(super) fn counters(&self) -> impl Iterator<Item = (&GroupDeclaration, &CounterDeclaration)> {
        self.groups.iter().flat_map(|g| g.counters.iter().map(move |c| (g, c)))
    }

    /// The labels of the counters of instance groups: a mode need keep per-instance
    /// data only when one of them is shown.
    pub fn instance_labels(&self) -> Vec<&'static str> {
        self.counters().filter(|(g, _)| g.kind == GroupKind::Instances).map(|(_, c)| c.label).collect()
    }

    /// The `--list-counters` line: the labels `--filter-counters` selects from, groups
    /// in name order. Opt-in counters are not among them: their thresholds select
    /// them, and leaving them out keeps the line of an existing mode unchanged.
    pub fn list_counters(&self) -> String {
        let mut sorted: Vec<&GroupDeclaration> = self.groups.iter().collect();
        sorted.sort_by_key(|g| g.name);
        let mut line = String::from("counter list: ");
        for counter in sorted.iter().flat_map(|g| &g.counters).filter(|c| !c.opt_in) {
            line.push_str(counter.label);
            line.push(' ');
        }
        line
    }
}

/// How a group holds its records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum GroupKind {
    Global,
    Instances,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct GroupDeclaration {
    pub(super) name: &'static str,
    pub(super) kind: GroupKind,
    pub(super) counters: Vec<CounterDeclaration>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct CounterDeclaration {
    pub(super) label: &'static str,
    pub(super) nlabel: Option<&'static str>,
    pub(super) limits: LimitKind,
    pub(super) warning_default: Option<&'static str>,
    pub(super) critical_default: Option<&'static str>,
    pub(super) opt_in: bool,
}

/// What a counter's threshold options hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum LimitKind {
    /// It has none.
    None,
    /// Nagios ranges.
    Range,
    /// Status expressions over these variables.
    Status(Vec<&'static str>),
}
