//! The one error type of the plugin: a message meant for the monitoring engine.
//!
//! Every failure — a wrong option, an HTTP status, a broken report — travels as an
//! [`Error`] up to the output stage, which prints it as `UNKNOWN: <message> ` (or the
//! `--opt-exit` status) and exits. Nothing prints or exits on its own.

use std::fmt;

/// A failure, rendered to the poller as `<STATUS>: <message> `.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    message: String,
    /// Extra lines shown after the status line (the Perl "option exit" long output).
    long: Vec<String>,
    /// Printed without the `UNKNOWN: ` label (the tokenizer's `Unknown option: NAME`).
    unlabelled: bool,
}

impl Error {
    /// An error whose text is shown as is after the status label.
    pub fn new(message: impl Into<String>) -> Self {
        Error { message: message.into(), long: Vec::new(), unlabelled: false }
    }

    /// An error printed without a status label, as Perl prints tokenizer errors.
    pub fn unlabelled(message: impl Into<String>) -> Self {
        Error { unlabelled: true, ..Error::new(message) }
    }

    /// Prefixes the message with where it happened: `context: message`.
    pub fn context(mut self, context: impl fmt::Display) -> Self {
        self.message = format!("{context}: {}", self.message);
        self
    }

    /// Adds lines to show after the status line.
    pub fn with_long(mut self, lines: impl IntoIterator<Item = String>) -> Self {
        self.long.extend(lines);
        self
    }

    /// The message, without status label.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The lines to show after the status line.
    pub fn long(&self) -> &[String] {
        &self.long
    }

    /// Whether the status label must be left out.
    pub fn is_unlabelled(&self) -> bool {
        self.unlabelled
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// The plugin's result type.
pub type Result<T> = std::result::Result<T, Error>;
