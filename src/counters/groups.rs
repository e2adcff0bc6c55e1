//! A mode's groups, bound to its data type `D`: each group knows where its records are
//! in `D`, and hides its record type behind [`GroupEval`], so that groups over
//! different record types live in one list.

use std::collections::BTreeMap;
use std::fmt;

use super::counter::{Check, Group};
use super::declarations::{CounterDeclaration, Declarations, GroupDeclaration, GroupKind, LimitKind, Naming};
use super::engine;
use super::thresholds::Thresholds;
use crate::output::CheckResult;

/// A mode's counter groups over its data `D`, in display order.
pub struct Groups<D> {
    groups: Vec<Box<dyn GroupEval<D>>>,
}

impl<D: 'static> Groups<D> {
    /// No groups yet.
    pub fn new() -> Self {
        Groups { groups: Vec::new() }
    }

    /// Adds a group with one record for the whole check (Perl type 0), found in the
    /// data by `record`.
    pub fn global<R: 'static>(mut self, group: Group<R>, record: fn(&D) -> &R) -> Self {
        self.groups.push(Box::new(Bound { group, records: Records::Global(record) }));
        self
    }

    /// Adds a group with one record per instance (Perl type 1), found in the data by
    /// `records` and keyed by instance id. Instances are shown in byte order of their
    /// ids; with several instances all OK, only `message_multiple` is shown.
    pub fn instances<R: 'static>(
        mut self,
        group: Group<R>,
        message_multiple: &'static str,
        records: fn(&D) -> &BTreeMap<String, R>,
    ) -> Self {
        self.groups.push(Box::new(Bound { group, records: Records::Instances { message_multiple, records } }));
        self
    }

    /// What the generated options, `--help` and `--list-counters` read.
    pub fn declarations(&self) -> Declarations {
        Declarations { groups: self.groups.iter().map(|g| g.declaration()).collect() }
    }

    /// The groups with the data they read, ready to be evaluated.
    pub fn with(self, data: D) -> Collected {
        Collected(Box::new(WithData { groups: self, data }))
    }

    fn evaluate(&self, data: &D, limits: &Thresholds, naming: Naming<'_>) -> CheckResult {
        let mut result = CheckResult::default();
        for group in &self.groups {
            group.evaluate(data, limits, naming, &mut result);
        }
        result
    }
}

impl<D: 'static> Default for Groups<D> {
    fn default() -> Self {
        Groups::new()
    }
}

impl<D: 'static> fmt::Debug for Groups<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Groups").field(&self.declarations()).finish()
    }
}

/// What a counter mode collected, with the groups that read it: the driver evaluates
/// it without knowing the mode's data type.
pub struct Collected(Box<dyn Evaluate>);

impl Collected {
    /// The declarations of the groups, as built from the run's option values.
    pub fn declarations(&self) -> Declarations {
        self.0.declarations()
    }

    /// Checks every group against its records and returns the messages and metrics,
    /// groups in declaration order, instances in byte order of their ids.
    pub fn evaluate(&self, limits: &Thresholds, naming: Naming<'_>) -> CheckResult {
        self.0.evaluate(limits, naming)
    }
}

impl fmt::Debug for Collected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Collected").finish_non_exhaustive()
    }
}

trait Evaluate {
    fn declarations(&self) -> Declarations;
    fn evaluate(&self, limits: &Thresholds, naming: Naming<'_>) -> CheckResult;
}

struct WithData<D> {
    groups: Groups<D>,
    data: D,
}

impl<D: 'static> Evaluate for WithData<D> {
    fn declarations(&self) -> Declarations {
        self.groups.declarations()
    }

    fn evaluate(&self, limits: &Thresholds, naming: Naming<'_>) -> CheckResult {
        self.groups.evaluate(&self.data, limits, naming)
    }
}

/// A group bound to the mode's data, its record type hidden.
trait GroupEval<D> {
    fn declaration(&self) -> GroupDeclaration;
    fn evaluate(&self, data: &D, limits: &Thresholds, naming: Naming<'_>, result: &mut CheckResult);
}

struct Bound<D, R> {
    group: Group<R>,
    records: Records<D, R>,
}

enum Records<D, R> {
    Global(fn(&D) -> &R),
    Instances { message_multiple: &'static str, records: fn(&D) -> &BTreeMap<String, R> },
}

impl<D, R> GroupEval<D> for Bound<D, R> {
    fn declaration(&self) -> GroupDeclaration {
        let kind = match self.records {
            Records::Global(_) => GroupKind::Global,
            Records::Instances { .. } => GroupKind::Instances,
        };
        let counters = self
            .group
            .counters
            .iter()
            .map(|c| CounterDeclaration {
                label: c.label,
                nlabel: c.nlabel,
                limits: match &c.check {
                    Check::None => LimitKind::None,
                    Check::Value | Check::Range(_) => LimitKind::Range,
                    Check::Status(variables) => LimitKind::Status(variables.iter().map(|v| v.name).collect()),
                },
                warning_default: c.warning_default,
                critical_default: c.critical_default,
                opt_in: c.opt_in,
            })
            .collect();
        GroupDeclaration { name: self.group.name, kind, counters }
    }

    fn evaluate(&self, data: &D, limits: &Thresholds, naming: Naming<'_>, result: &mut CheckResult) {
        if !limits.group_active(self.group.name) {
            return;
        }
        match self.records {
            Records::Global(record) => engine::global(&self.group, record(data), limits, naming, result),
            Records::Instances { message_multiple, records } => {
                engine::instances(&self.group, records(data), message_multiple, limits, naming, result)
            }
        }
    }
}
