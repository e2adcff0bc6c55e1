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
    hint: Option<String>,
}

impl Error {
    /// An error whose text is shown as is after the status label.
    pub fn new(message: impl Into<String>) -> Self {
        Error { message: message.into(), hint: None }
    }

    /// Adds a line for the person running the plugin by hand, written to stderr: the
    /// message on stdout keeps the exact text that scripts and engines compare, and the
    /// hint says what the message alone does not (another way to do it, what to run).
    ///
    /// ```
    /// use centreon_plugin::error::Error;
    ///
    /// let error = Error::new("Need to specify --client-secret option.").hint("or --client-certificate");
    /// assert_eq!(error.message(), "Need to specify --client-secret option.");
    /// assert_eq!(error.hint_text(), Some("or --client-certificate"));
    /// ```
    pub fn hint(mut self, text: impl Into<String>) -> Self {
        self.hint = Some(text.into());
        self
    }

    /// The hint for stderr, if the error has one.
    pub fn hint_text(&self) -> Option<&str> {
        self.hint.as_deref()
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
