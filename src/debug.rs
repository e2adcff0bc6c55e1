//! The `--debug` log: lines collected during a run and shown after the status line.
//!
//! Secrets registered with [`DebugLog::secret`] are replaced by `***` in every line
//! before it is stored, unless `--show-password` is given, so an HTTP dump can never
//! carry a client secret or a token to the poller's logs.

use std::cell::RefCell;
use std::rc::Rc;

/// The shortest value masked wherever it appears in a line.
pub const MIN_SECRET: usize = 4;

/// The run's debug log, as a cheap handle: clones share one log, so a custom mode's
/// client keeps a clone and logs its HTTP exchanges into the run's log as they
/// happen, in the order they happen.
#[derive(Debug, Clone, Default)]
pub struct DebugLog(Rc<Shared>);

/// Whether a run keeps debug lines (`--debug`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Logging {
    /// Lines are dropped as they come (the default): nothing is formatted for them.
    #[default]
    Off,
    /// Lines are kept and shown after the status line.
    On,
}

/// Whether debug output shows secrets (`Authorization` values, secret form fields,
/// registered values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Secrets {
    /// Shown as `***` (the default).
    #[default]
    Masked,
    /// Shown as sent: `--show-password`.
    Shown,
}

/// What every handle of one log shares.
#[derive(Debug, Default)]
struct Shared {
    logging: Logging,
    secrets_shown: Secrets,
    secrets: RefCell<Vec<String>>,
    lines: RefCell<Vec<String>>,
}

impl DebugLog {
    /// A log that keeps lines only with [`Logging::On`] (`--debug`), masking
    /// registered secrets unless [`Secrets::Shown`] (`--show-password`).
    pub fn new(logging: Logging, secrets: Secrets) -> Self {
        DebugLog(Rc::new(Shared { logging, secrets_shown: secrets, ..Default::default() }))
    }

    /// Whether lines are kept: callers skip building expensive dumps otherwise.
    pub fn enabled(&self) -> bool {
        self.0.logging == Logging::On
    }

    /// Registers a value that must never appear in the log. Values shorter than
    /// [`MIN_SECRET`] are ignored: replacing them everywhere would garble the log,
    /// and the places secrets go (form fields, `Authorization`) are masked by the
    /// HTTP layer whatever their length.
    pub fn secret(&self, value: &str) {
        if value.chars().count() >= MIN_SECRET {
            self.0.secrets.borrow_mut().push(value.to_string());
        }
    }

    /// Adds one line (several if it contains newlines), masking registered secrets.
    pub fn log(&self, line: impl AsRef<str>) {
        if self.0.logging == Logging::Off {
            return;
        }
        let mut text = line.as_ref().to_string();
        if self.0.secrets_shown == Secrets::Masked {
            for secret in self.0.secrets.borrow().iter() {
                text = text.replace(secret.as_str(), "***");
            }
        }
        self.0.lines.borrow_mut().extend(text.split('\n').map(str::to_string));
    }

    /// `text` with every registered secret replaced by `***`, whatever
    /// `--show-password` says: for texts bound for the status line, which
    /// `--show-password` never opens.
    pub fn mask(&self, text: &str) -> String {
        self.0.secrets.borrow().iter().fold(text.to_string(), |text, secret| text.replace(secret.as_str(), "***"))
    }

    /// Takes the lines logged so far.
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lines.borrow_mut())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::debug::{Logging, Secrets};

    #[test]
    fn secrets_are_masked_unless_shown() {
        let log = DebugLog::new(Logging::On, Secrets::Masked);
        log.secret("s3cr3t");
        log.log("client_secret=s3cr3t&scope=x");
        assert_eq!(log.take(), ["client_secret=***&scope=x"]);
        let shown = DebugLog::new(Logging::On, Secrets::Shown);
        shown.secret("s3cr3t");
        shown.log("s3cr3t");
        assert_eq!(shown.take(), ["s3cr3t"]);
    }

    #[test]
    fn masking_for_the_status_line_ignores_show_password() {
        let shown = DebugLog::new(Logging::Off, Secrets::Shown);
        shown.secret("tok-123");
        assert_eq!(shown.mask("echo: Bearer tok-123"), "echo: Bearer ***");
    }

    #[test]
    fn very_short_values_do_not_garble_the_log() {
        let log = DebugLog::new(Logging::On, Secrets::Masked);
        log.secret("x");
        log.log("Content-Type: application/x-www-form-urlencoded");
        assert_eq!(log.take(), ["Content-Type: application/x-www-form-urlencoded"]);
    }

    #[test]
    fn clones_share_one_log() {
        let log = DebugLog::new(Logging::On, Secrets::Masked);
        let client = log.clone();
        log.secret("s3cr3t");
        log.log("first");
        client.log("token s3cr3t");
        assert_eq!(log.take(), ["first", "token ***"]);
        assert!(client.take().is_empty(), "taken through the other handle");
    }

    #[test]
    fn disabled_log_keeps_nothing() {
        let log = DebugLog::new(Logging::Off, Secrets::Masked);
        log.log("x");
        assert!(log.take().is_empty());
    }
}
