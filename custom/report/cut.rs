//! Telling a cut download from a whole one: CSV quoting followed over the bytes of a
//! record, so that a body ending inside a quoted field is known for cut.

/// The UTF-8 byte order mark Microsoft puts at the start of every report.
pub(super) const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Where the stream stands with respect to CSV quoting, as the `csv` crate reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Field {
    /// At the start of a field.
    Start,
    /// Inside an unquoted field.
    Unquoted,
    /// Inside a quoted field.
    Quoted,
    /// Just after a `"` inside a quoted field: the end of the quote, or the first half
    /// of `""`.
    AfterQuote,
}

/// The quoting state after the bytes given to [`Quoting::track`] since the start of a
/// record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Quoting {
    /// The state after the bytes tracked so far.
    pub(super) state: Field,
}

impl Quoting {
    /// At the start of a record.
    pub(super) fn new() -> Self {
        Quoting { state: Field::Start }
    }

    /// Whether the bytes tracked end inside a quoted field.
    pub(super) fn inside_quotes(&self) -> bool {
        self.state == Field::Quoted
    }

    /// Follows the quoting state over `bytes`. Only quotes change it in a way that
    /// matters, so the scan jumps from quote to quote: between two of them, the state
    /// is decided by the last byte before the quote.
    pub(super) fn track(&mut self, bytes: &[u8]) {
        let mut rest = bytes;
        while !rest.is_empty() {
            let quote = memchr::memchr(b'"', rest);
            if self.state != Field::Quoted {
                let plain = &rest[..quote.unwrap_or(rest.len())];
                if let Some(&b) = plain.last() {
                    self.state = if matches!(b, b',' | b'\n' | b'\r') { Field::Start } else { Field::Unquoted };
                }
            }
            let Some(at) = quote else { break };
            self.state = match self.state {
                Field::Start | Field::AfterQuote => Field::Quoted,
                Field::Unquoted => Field::Unquoted,
                Field::Quoted => Field::AfterQuote,
            };
            rest = &rest[at + 1..];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The quoting state byte by byte, as the `csv` crate reads it: what
    /// [`Quoting::track`] must agree with while it jumps from quote to quote.
    fn bytewise(mut state: Field, bytes: &[u8]) -> Field {
        for &b in bytes {
            state = match (state, b) {
                (Field::Start, b'"') => Field::Quoted,
                (Field::Start | Field::Unquoted | Field::AfterQuote, b',' | b'\n' | b'\r') => Field::Start,
                (Field::Start | Field::Unquoted, _) => Field::Unquoted,
                (Field::Quoted, b'"') => Field::AfterQuote,
                (Field::Quoted, _) => Field::Quoted,
                (Field::AfterQuote, b'"') => Field::Quoted,
                (Field::AfterQuote, _) => Field::Unquoted,
            };
        }
        state
    }

    proptest::proptest! {
        #[test]
        fn tracking_agrees_with_bytewise(
            text in proptest::collection::vec(proptest::sample::select(b"\",\r\nab".to_vec()), 0..64),
            cuts in proptest::collection::vec(0usize..64, 0..4),
        ) {
            let mut quoting = Quoting::new();
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(text.len())).collect();
            cuts.sort_unstable();
            let mut from = 0;
            for to in cuts.into_iter().chain([text.len()]) {
                quoting.track(&text[from..to]);
                from = to;
            }
            proptest::prop_assert_eq!(quoting.state, bytewise(Field::Start, &text));
        }
    }
}
