//! The output stage: turns what a run produced into what the monitoring engine reads.
//!
//! The counter engine and the driver fill a [`CheckResult`] (or end with an
//! [`Error`](crate::error::Error), or with the [`Info`] of an informational command); this
//! module applies every Output Option of the Perl core (`centreon::plugins::output`) and
//! returns the bytes to print and the exit code as a [`Rendered`] value. Nothing here prints or exits, so each option can be tested on
//! plain values.
//!
//! Where Perl misbehaves (see `docs/compatibility.md`), this module does better: options are
//! validated at start-up, no command-line text is ever run as code, a group aggregate is
//! emitted once, OpenMetrics label values are escaped and error exits are never silent.

mod bounds;
mod disco;
mod display;
mod document;
mod file;
mod markup;
mod math;
mod method;
mod options;
mod perfdata;
mod text;
mod transform;

use crate::status::Status;

pub use disco::{display_disco_format, display_disco_show};
pub use display::{display, display_error, display_info};
pub use options::{OutputOptions, SHOW_PASSWORD};

/// One short (status line) message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShortMessage {
    /// `None` = unqualified (an error or notice appended at the end of the final
    /// severity's block).
    pub severity: Option<Status>,
    /// The message, without label.
    pub text: String,
}

/// One perfdata record; every field is already the text Perl would print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Perfdata {
    /// The metric name (legacy or nlabel-based), single quotes already doubled.
    pub label: String,
    /// The new-style name, shown in JSON/XML when the mode gave one.
    pub nlabel: Option<String>,
    /// The instance, shown in JSON/XML when instances are used.
    pub instances: Option<String>,
    /// The value text.
    pub value: String,
    /// The unit.
    pub unit: String,
    /// The warning threshold field.
    pub warning: String,
    /// The critical threshold field.
    pub critical: String,
    /// The min field.
    pub min: String,
    /// The max field.
    pub max: String,
    /// The mode name; `None` for group aggregates, which Perl creates without one.
    pub mode: Option<String>,
}

/// Everything a run produced, before display.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckResult {
    /// The short messages, in creation order.
    pub short: Vec<ShortMessage>,
    /// The long lines (`--verbose`), debug lines included when `--debug` is on.
    pub long: Vec<String>,
    /// The perfdata records, in creation order.
    pub perfdata: Vec<Perfdata>,
}

/// Where the output is going: names shown in JSON/XML/OpenMetrics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayContext {
    /// The `--plugin` value.
    pub plugin: String,
    /// The `--mode` value (empty with `--dyn-mode`).
    pub mode: String,
}

/// The answer of an informational command (`--help`, `--version`, `--list-mode`): not a
/// check result and not an error, displayed as Perl displays it (see [`display_info`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Info {
    /// The status line, printed without label (`Plugin Version: 0.1`); empty for the help
    /// texts, which start with an empty line.
    pub first_line: String,
    /// The lines after it.
    pub lines: Vec<String>,
}

/// What to print and the exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The exact bytes for stdout (empty when `--output-file` took them).
    pub stdout: String,
    /// Lines for a person at a terminal (an error's hint), written to stderr so that
    /// what engines and scripts read on stdout stays the same.
    pub stderr: String,
    /// The process exit code.
    pub exit_code: i32,
}

#[cfg(test)]
mod tests;
