//! What bounds a run besides its requests: the run's deadline, which long work done
//! without any request checks too (a regular expression matched against every row of
//! a report), and the first such work that gave up.
//!
//! A regex match answers yes or no where it is used, deep in a mode's filter or an
//! expression; it cannot return an error there. So a match that gives up (its
//! backtracking limit, or the deadline passed) records why here and answers no, every
//! later match answers no at once, and the driver turns the record into the run's
//! `UNKNOWN` before anything is displayed: a regex that gave up is never read as "no
//! match". The record is per thread: a run is one thread, and tests running in
//! parallel threads do not see each other's.

use std::cell::{Cell, RefCell};
use std::time::{Duration, Instant};

use crate::error::Error;

thread_local! {
    /// When the run must be over, and the limit as the user wrote it (for messages).
    static DEADLINE: Cell<Option<(Instant, Duration)>> = const { Cell::new(None) };
    /// The first piece of work that gave up.
    static GAVE_UP: RefCell<Option<Error>> = const { RefCell::new(None) };
}

/// Starts a run: no deadline, nothing given up.
pub fn reset() {
    DEADLINE.with(|d| d.set(None));
    GAVE_UP.with(|g| g.borrow_mut().take());
}

/// Sets the run's deadline; `limit` is the option's value, named in messages.
pub fn set_deadline(deadline: Instant, limit: Duration) {
    DEADLINE.with(|d| d.set(Some((deadline, limit))));
}

/// The limit that ran out, once the deadline has passed; `None` before it or
/// without one.
pub fn expired() -> Option<Duration> {
    DEADLINE.with(Cell::get).filter(|(deadline, _)| Instant::now() >= *deadline).map(|(_, limit)| limit)
}

/// The time left before the run's deadline (zero once it passed) and the limit as
/// the user wrote it; `None` without a deadline. For work that waits on something
/// other than HTTP (a DNS answer), so that it ends with the run's limit too.
pub fn remaining() -> Option<(Duration, Duration)> {
    DEADLINE.with(Cell::get).map(|(deadline, limit)| (deadline.saturating_duration_since(Instant::now()), limit))
}

/// Records why some work gave up; the first record is kept.
pub fn give_up(error: Error) {
    GAVE_UP.with(|g| {
        g.borrow_mut().get_or_insert(error);
    });
}

/// Whether some work gave up in this run: later work of the kind answers at once.
pub fn given_up() -> bool {
    GAVE_UP.with(|g| g.borrow().is_some())
}

/// Takes the record of the work that gave up, if any: the run's error.
pub fn take() -> Option<Error> {
    GAVE_UP.with(|g| g.borrow_mut().take())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_give_up_is_kept_and_taken_once() {
        reset();
        assert!(!given_up());
        give_up(Error::new("first"));
        give_up(Error::new("second"));
        assert!(given_up());
        assert_eq!(take().map(|e| e.message().to_string()).as_deref(), Some("first"));
        assert_eq!(take(), None);
    }

    #[test]
    fn a_deadline_in_the_past_has_expired() {
        reset();
        assert_eq!(expired(), None, "no deadline");
        set_deadline(Instant::now() + Duration::from_secs(3600), Duration::from_secs(3600));
        assert_eq!(expired(), None);
        assert!(remaining().is_some_and(|(left, limit)| left > Duration::ZERO && limit == Duration::from_secs(3600)));
        set_deadline(Instant::now(), Duration::from_secs(3));
        assert_eq!(expired(), Some(Duration::from_secs(3)));
        reset();
        assert_eq!(expired(), None);
    }
}
