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
mod listing;
mod markup;
mod math;
mod method;
mod options;
mod perfdata;
mod spill;
mod text;
mod transform;

use std::io::{self, Write};

use crate::status::Status;

pub use disco::{display_disco_format, display_disco_show};
pub use display::{display, display_error, display_info};
pub use listing::Listing;
pub use options::{OutputOptions, SHOW_PASSWORD};
pub use spill::Spill;

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

/// What a run prints: all of it in memory, or a listing whose objects wait in a spill
/// file.
#[derive(Debug)]
pub enum Printout {
    /// Every byte in memory.
    Whole(Rendered),
    /// A listing: its head, the objects' bytes from the spill file, its tail.
    Spilled(Spilled),
}

/// A listing's output, printed only once its data was read completely.
#[derive(Debug)]
pub struct Spilled {
    /// What comes before the objects (status line and debug lines, a document's head).
    pub head: String,
    /// The objects' bytes.
    pub body: Spill,
    /// What comes after them (a document's end).
    pub tail: String,
    /// The process exit code.
    pub exit_code: i32,
}

impl Printout {
    /// The process exit code.
    pub fn exit_code(&self) -> i32 {
        match self {
            Printout::Whole(rendered) => rendered.exit_code,
            Printout::Spilled(spilled) => spilled.exit_code,
        }
    }

    /// The lines for stderr (a listing has none).
    pub fn stderr(&self) -> &str {
        match self {
            Printout::Whole(rendered) => &rendered.stderr,
            Printout::Spilled(_) => "",
        }
    }

    /// Writes every byte for stdout to `out`, in order.
    pub fn write_to(self, out: &mut dyn Write) -> io::Result<()> {
        match self {
            Printout::Whole(rendered) => out.write_all(rendered.stdout.as_bytes()),
            Printout::Spilled(Spilled { head, body, tail, .. }) => {
                out.write_all(head.as_bytes())?;
                body.copy_to(out)?;
                out.write_all(tail.as_bytes())
            }
        }
    }
}

#[cfg(test)]
mod tests;
