//! Telling a cut download from a whole one: the body is read through a [`Guard`]
//! that drops the leading byte order mark and follows CSV quoting and the last byte,
//! so that a body ending inside a quoted field, or (without framing) without a line
//! end, is known for cut.

use std::io::{self, Read};

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

/// Wraps the body: drops the leading BOM and follows quoting and the last byte, so
/// that a cut download can be told from a complete one.
pub(super) struct Guard<R> {
    inner: R,
    bom_checked: bool,
    pending: Vec<u8>,
    /// The quoting state after the bytes read so far.
    pub(super) state: Field,
    /// The last byte read.
    pub(super) last: Option<u8>,
}

impl<R: Read> Guard<R> {
    /// Wraps `inner`.
    pub(super) fn new(inner: R) -> Self {
        Guard { inner, bom_checked: false, pending: Vec::new(), state: Field::Start, last: None }
    }

    /// Reads the first bytes and keeps those after a BOM.
    fn fill_start(&mut self) -> io::Result<()> {
        let mut start = Vec::with_capacity(BOM.len());
        let mut buf = [0u8; 3];
        while start.len() < BOM.len() {
            let n = self.inner.read(&mut buf[..BOM.len() - start.len()])?;
            if n == 0 {
                break;
            }
            start.extend_from_slice(&buf[..n]);
        }
        self.pending = if start == BOM { Vec::new() } else { start };
        self.bom_checked = true;
        Ok(())
    }

    /// Follows the quoting state over `bytes`. Only quotes change it in a way that
    /// matters, so the scan jumps from quote to quote: between two of them, the state
    /// is decided by the last byte before the quote.
    fn track(&mut self, bytes: &[u8]) {
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
        if let Some(&b) = bytes.last() {
            self.last = Some(b);
        }
    }
}

impl<R: Read> Read for Guard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if !self.bom_checked {
            self.fill_start()?;
        }
        let n = if self.pending.is_empty() {
            self.inner.read(buf)?
        } else {
            let n = self.pending.len().min(buf.len());
            buf[..n].copy_from_slice(&self.pending[..n]);
            self.pending.drain(..n);
            n
        };
        self.track(&buf[..n]);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The quoting state byte by byte, as the `csv` crate reads it: what
    /// [`Guard::track`] must agree with while it jumps from quote to quote.
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
            let mut guard = Guard::new(&b""[..]);
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(text.len())).collect();
            cuts.sort_unstable();
            let mut from = 0;
            for to in cuts.into_iter().chain([text.len()]) {
                guard.track(&text[from..to]);
                from = to;
            }
            proptest::prop_assert_eq!(guard.state, bytewise(Field::Start, &text));
            proptest::prop_assert_eq!(guard.last, text.last().copied());
        }
    }
}
