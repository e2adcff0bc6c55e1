//! The one error type of the plugin: a message meant for the monitoring engine.
//!
//! Every failure — a wrong option, an HTTP status, a broken report — travels as an
//! [`Error`] up to the output stage, which prints it as `UNKNOWN: <message> ` (or the
//! `--opt-exit` status) and exits. Nothing prints or exits on its own. Answers that are
//! not failures (`--help`, `--version`, `--list-mode`) are not errors: the driver returns
//! them as outcomes of their own.

use std::fmt;

/// A failure, rendered to the poller as `<STATUS>: <message> `.
///
/// ```
/// use centreon_plugin::error::Error;
///
/// let error = Error::new("404 Not Found").context("report getEmailActivityUserDetail");
/// assert_eq!(error.message(), "report getEmailActivityUserDetail: 404 Not Found");
/// assert_eq!(error.to_string(), error.message());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    message: String,
}

impl Error {
    /// An error whose text is shown as is after the status label.
    pub fn new(message: impl Into<String>) -> Self {
        Error { message: message.into() }
    }

    /// Prefixes the message with where it happened: `context: message`.
    pub fn context(mut self, context: impl fmt::Display) -> Self {
        self.message = format!("{context}: {}", self.message);
        self
    }

    /// The message, without status label.
    pub fn message(&self) -> &str {
        &self.message
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
