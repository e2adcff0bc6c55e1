//! What a check reports besides its counters: notices for its short output and
//! details for its long output, added from anywhere in the run through one handle.

use std::cell::RefCell;
use std::rc::Rc;

/// What a check reports besides its counters, whatever its status: notices appended
/// to its short output (a token cache that could not be written: `Cannot write
/// statefile '…': …`) and details, lines of its long output (a client certificate that
/// expires soon). A cheap handle: clones share the same lists, so a custom mode's
/// client adds to the run's lists directly, from its constructor on.
#[derive(Debug, Clone, Default)]
pub struct Notices(Rc<RefCell<Lists>>);

/// The two lists behind [`Notices`].
#[derive(Debug, Default)]
struct Lists {
    short: Vec<String>,
    long: Vec<String>,
}

impl Notices {
    /// Adds one notice to the short output.
    pub fn add(&self, text: String) {
        self.0.borrow_mut().short.push(text);
    }

    /// Adds one detail to the long output: a fact that changes no status but deserves
    /// an admin's attention, shown with `--verbose` before the counters' own lines.
    pub fn add_detail(&self, text: String) {
        self.0.borrow_mut().long.push(text);
    }

    /// Takes the notices added so far.
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut self.0.borrow_mut().short)
    }

    /// Takes the details added so far.
    pub fn take_details(&self) -> Vec<String> {
        std::mem::take(&mut self.0.borrow_mut().long)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notice_clones_share_one_list() {
        let notices = Notices::default();
        notices.clone().add("Cannot write statefile".into());
        assert_eq!(notices.take(), ["Cannot write statefile"]);
        assert!(notices.take().is_empty());
    }

    #[test]
    fn details_are_kept_apart_from_notices() {
        let notices = Notices::default();
        notices.clone().add_detail("expires within 30 days".into());
        notices.add("Cannot write statefile".into());
        assert_eq!(notices.take_details(), ["expires within 30 days"]);
        assert_eq!(notices.take(), ["Cannot write statefile"]);
        assert!(notices.take_details().is_empty());
    }
}
