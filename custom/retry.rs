//! How a request Microsoft refused is retried, shared by the API calls (`client.rs`)
//! and the token requests (`token.rs`): how many attempts, the room kept for the
//! retry itself, the wait an answer asks for, and what a call that still got no
//! usable answer reports.

use std::time::{Duration, Instant};

use centreon_plugin::error::Error;
use centreon_plugin::http::Response;

/// Requests made for one call at most when throttled (first one included).
pub const MAX_ATTEMPTS: u32 = 4;
/// Time kept free after a throttling wait for the retry itself.
const RETRY_ROOM: Duration = Duration::from_secs(1);

/// Whether waiting `wait` still leaves [`RETRY_ROOM`] for one more attempt before
/// `deadline`.
pub fn wait_fits(wait: Duration, deadline: Instant) -> bool {
    Instant::now().checked_add(wait.saturating_add(RETRY_ROOM)).is_some_and(|t| t <= deadline)
}

/// Why a throttled call stopped after `attempts`: they ran out, or (`fits` false)
/// waiting `wait` more would have passed `--timeout`.
pub fn gave_up(attempts: u32, wait: Duration, fits: bool) -> String {
    if fits {
        format!("still refused after {attempts} attempts")
    } else {
        format!(
            "still refused after {attempts} attempt{}, and waiting {} s more would exceed --timeout",
            if attempts == 1 { "" } else { "s" },
            wait.as_secs_f64()
        )
    }
}

/// `Retry-After` in seconds (the form Microsoft uses); an HTTP date is ignored.
pub fn retry_after(response: &Response) -> Option<Duration> {
    response.header("retry-after")?.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// A GET that got no usable answer.
#[derive(Debug)]
pub struct Refused {
    /// What went wrong, as `Client::get_with` reports it.
    pub error: Error,
    /// `Some` when the API is only unavailable for now: it still answered 429 or a
    /// server error (5xx) after the retries. It holds how long the API last asked to
    /// wait (`Retry-After`, else the last back-off; zero when a server error did not
    /// say).
    pub unavailable: Option<Duration>,
    /// The HTTP status of the final answer, `None` when none came.
    pub status: Option<u16>,
    /// The API's error code in that answer (`ErrorAccessDenied`), when it gave one.
    pub code: Option<String>,
}

impl From<Error> for Refused {
    fn from(error: Error) -> Self {
        Refused { error, unavailable: None, status: None, code: None }
    }
}
