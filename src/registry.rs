//! What modes and custom modes register with `inventory`, and the lookups the driver
//! makes over it. `--list-mode`, `--list-custommode` and `--help` read these
//! registrations only.

use std::any::Any;

use crate::debug::DebugLog;
use crate::error::Result;
use crate::options::{OptionSection, Values};

/// What a custom mode's constructor may use.
pub struct Env<'a> {
    /// Every option value of the command line.
    pub values: &'a Values,
    /// The `--debug` log (register secrets here).
    pub debug: &'a DebugLog,
    /// When the whole run must be over (`--timeout` from the start of the run).
    pub deadline: std::time::Instant,
}

/// A custom mode: a way to reach a data source (an API), chosen with `--custommode`.
pub struct CustomModeSpec {
    /// The `--custommode` name.
    pub name: &'static str,
    /// What it can provide; a mode requiring a capability it lacks is refused before
    /// any request is made.
    pub capabilities: &'static [&'static str],
    /// Its option sections, in help order (its own, then HTTP, then retention).
    pub sections: fn() -> Vec<OptionSection>,
    /// Checks its options and builds the client, boxed for the modes to downcast.
    pub build: fn(&Env<'_>) -> Result<Box<dyn Any>>,
}

inventory::collect!(CustomModeSpec);

/// What a mode's data collection may use.
pub struct Run<'a> {
    /// Every option value of the command line.
    pub values: &'a Values,
    /// The custom mode's client, as its constructor boxed it.
    pub custom: &'a mut dyn Any,
    /// The `--debug` log.
    pub debug: &'a DebugLog,
    active: &'a dyn Fn(&str) -> bool,
    notices: Vec<String>,
}

impl<'a> Run<'a> {
    /// Assembles the context; `active` tells whether a counter survives
    /// `--filter-counters`.
    pub fn new(
        values: &'a Values,
        custom: &'a mut dyn Any,
        debug: &'a DebugLog,
        active: &'a dyn Fn(&str) -> bool,
    ) -> Self {
        Run { values, custom, debug, active, notices: Vec::new() }
    }

    /// Adds a non-fatal message shown at the end of the status line, whatever the
    /// status (Perl's `Cannot write statefile '…': …`).
    pub fn notice(&mut self, text: String) {
        self.notices.push(text);
    }

    /// The notices added so far.
    pub fn take_notices(&mut self) -> Vec<String> {
        std::mem::take(&mut self.notices)
    }

    /// Whether the counter `label` will be shown: a mode keeps per-instance data only
    /// for counters that are, so memory does not grow with the tenant otherwise.
    pub fn counter_active(&self, label: &str) -> bool {
        (self.active)(label)
    }
}

/// One listed object of a listing mode: its fields, in display order.
pub type Item = Vec<(String, String)>;

/// What a mode does with the data it collects.
pub enum ModeKind {
    /// Counters checked against thresholds (the counter template).
    Counters {
        /// The declarations of the mode's counter groups, built from option values.
        /// The driver passes the defaults of the mode's options, so the generated
        /// options, `--help`, `--list-counters` and the threshold parsing read the same
        /// declarations whatever the command line.
        groups: fn(&Values) -> Result<crate::counters::Declarations>,
        /// The mode's default `--filter-counters`.
        filter_counters: &'static str,
        /// Collects the data, with the groups built from the run's option values.
        select: fn(&mut Run<'_>) -> Result<crate::counters::Collected>,
    },
    /// A list of objects for service discovery: printed as `heading` then one
    /// `[field: value] …` line per item, or as discovery documents.
    Listing { heading: &'static str, fields: &'static [&'static str], select: fn(&mut Run<'_>) -> Result<Vec<Item>> },
}

/// A mode: one kind of check, chosen with `--mode`.
pub struct ModeSpec {
    /// The `--mode` name.
    pub name: &'static str,
    /// The Perl module name `--dyn-mode` may give instead.
    pub perl_module: &'static str,
    /// Where `--list-mode` shows it: modes are sorted by this rank, then by name, so
    /// the modes of the original plugin keep their places.
    pub list_rank: u8,
    /// Paragraphs of its help section, separated by blank lines.
    pub description: &'static str,
    /// The custom-mode capability it needs.
    pub requires: &'static str,
    /// Its own options, in help order.
    pub options: fn() -> Vec<crate::options::OptionSpec>,
    pub kind: ModeKind,
}

inventory::collect!(ModeSpec);

/// Who the plugin is: what `--plugin` must name and what `--help` says about it.
pub struct PluginInfo {
    /// The Perl plugin name (`--plugin=`); also shown in JSON/XML/OpenMetrics.
    pub name: &'static str,
    /// The description paragraph of `--help`.
    pub description: &'static str,
}

/// The registered custom modes, in name order; the first is the default.
pub fn custom_modes() -> Vec<&'static CustomModeSpec> {
    let mut all: Vec<&CustomModeSpec> = inventory::iter::<CustomModeSpec>.into_iter().collect();
    all.sort_by_key(|c| c.name);
    all
}

/// The registered modes, in `--list-mode` order.
pub fn modes() -> Vec<&'static ModeSpec> {
    let mut all: Vec<&ModeSpec> = inventory::iter::<ModeSpec>.into_iter().collect();
    all.sort_by_key(|m| (m.list_rank, m.name));
    all
}
