//! The HTTP client of the managers that ask a server (the vaults, TeamPass): the
//! run's HTTP options (`--insecure`, `--proxyurl`, `--ssl-opt`…) apply, the system's
//! certificate store is trusted, and every request ends before the run's deadline.

use std::time::Duration;

use super::Context;
use crate::debug::DebugLog;
use crate::error::{Error, Result};
use crate::http::{HttpClient, Request, Url};
use crate::options::Values;

/// The longest answer read from a manager's server.
const BODY_LIMIT: u64 = 1024 * 1024;

/// How long one request may take when `--timeout` does not say.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// An answer: its status and its body as text.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The HTTP status code.
    pub status: u16,
    /// `200 OK`, as Perl's messages show it.
    pub status_line: String,
    /// The body (at most [`BODY_LIMIT`] bytes).
    pub body: String,
}

/// A client for one manager, named in its errors.
pub struct Http {
    client: HttpClient,
    debug: DebugLog,
    manager: &'static str,
}

impl Http {
    /// The client for `manager`, with `timeout` seconds per request when given (else
    /// 10 s).
    pub fn new(values: &Values, context: Context<'_>, manager: &'static str, timeout: Option<&str>) -> Result<Http> {
        let timeout = match timeout {
            None => DEFAULT_TIMEOUT,
            Some(text) => Duration::from_secs(text.parse().map_err(|_| {
                Error::new(format!("{manager}: the timeout must be a whole number of seconds, not '{text}'"))
            })?),
        };
        let client = HttpClient::builder()
            .from_values(values, context.debug)?
            .system_roots()
            .timeout(timeout)
            .deadline(context.deadline)
            .build()
            .map_err(|e| e.context(manager))?;
        Ok(Http { client, debug: context.debug.clone(), manager })
    }

    /// Sends `request` to `url` and reads the answer, whatever its status.
    pub fn send(&self, url: &str, build: impl FnOnce(Url) -> Request) -> Result<Answer> {
        let manager = self.manager;
        let parsed = Url::parse(url).map_err(|e| Error::new(format!("{manager}: invalid URL '{url}': {e}")))?;
        let mut response = self
            .client
            .send(build(parsed), &self.debug)
            .map_err(|e| Error::new(format!("{manager}: {}", e.message())))?;
        let body = response.text(BODY_LIMIT).map_err(|e| Error::new(format!("{manager}: {}", e.message())))?;
        Ok(Answer { status: response.status(), status_line: response.status_line(), body })
    }
}
