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
