//! Reading a Microsoft 365 usage report (CSV) while it downloads.
//!
//! Columns are found by header name, so their order does not matter. Unlike the Perl
//! plugin, anything that would give partial or meaningless data is an error: an
//! empty download, an HTML page, a missing required column, a malformed or cut
//! record (unterminated quote, short record, short body), a count that is not a
//! whole number or too large for a counter.
//! The caller reports such an error as UNKNOWN; the rows already visited are thrown
//! away with it.
//!
//! Whether the download is whole comes from its framing ([`Download`]): when the
//! transport marks the body's end (`Content-Length`, chunked), a cut body is a read
//! error, and the last record may end without a line break, as RFC 4180 allows.
//! Only a body that ends when the connection closes, whose cut cannot be told from
//! its end, must end with a line end.
//!
//! A report can be copied into a report cache entry while it is read
//! ([`read_copying`]: its header and every record, all columns, as the CSV gave
//! them), and read back from one ([`read_stored`]) as the same rows, with the same
//! messages.

use std::io::{self, Read};

use centreon_plugin::cache::Producer;
use centreon_plugin::error::{Error, Result};
use centreon_plugin::http::{Body, Framing};
use centreon_plugin::records::{Records, ScanError};
use centreon_plugin::time;

use crate::custom::RowVisit;

/// The UTF-8 byte order mark Microsoft puts at the start of every report.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The longest piece of a bad download quoted in an error message.
const SNIPPET: usize = 60;

/// The CSV reader's buffer: large enough that a report of a million rows takes few
/// reads from the HTTP body, small enough to keep the process small.
const READ_BUFFER: usize = 64 * 1024;

/// The most columns one request may read: a row's cells sit in an array of this
/// size on the stack, so reading a row allocates nothing.
pub const MAX_COLUMNS: usize = 32;

/// Ends the name of a requested column that a report may lack (`"Recipient Type?"`):
/// its cells then read as empty. Microsoft adds and drops columns over the years and
/// documents some only in its beta API: a column that is only shown, never counted,
/// need not make the whole report unreadable.
pub const OPTIONAL: char = '?';

/// One data row, with the cells of the requested columns at hand.
#[derive(Debug)]
pub struct Row<'r> {
    report: &'r str,
    place: Place<'r>,
    names: &'r [&'r str],
    cells: &'r [&'r str],
}

/// Where a row comes from, for messages.
#[derive(Debug, Clone, Copy)]
enum Place<'r> {
    /// The line of the CSV its record starts on.
    Line(u64),
    /// The record at this index of a stored copy: its line is worked out only when a
    /// message needs it.
    Stored(&'r Records, u64),
}

impl Place<'_> {
    /// The line of the CSV the record starts on.
    fn line(self) -> u64 {
        match self {
            Place::Line(line) => line,
            Place::Stored(records, index) => stored_line(records, index),
        }
    }
}

impl<'r> Row<'r> {
    /// The text of requested column `column`.
    pub fn text(&self, column: impl crate::custom::Column) -> &'r str {
        self.cells.get(column.index()).copied().unwrap_or("")
    }

    /// The count in requested column `column`: `None` when the cell is empty, an error
    /// naming report, line and column when it is not a whole number or is beyond
    /// what a counter holds ([`i64::MAX`]).
    pub fn count(&self, column: impl crate::custom::Column) -> Result<Option<i64>> {
        let (index, text) = (column.index(), self.text(column).trim());
        if text.is_empty() {
            return Ok(None);
        }
        let problem = match text.parse::<u64>() {
            Ok(count) => match i64::try_from(count) {
                Ok(count) => return Ok(Some(count)),
                Err(_) => "a count too large",
            },
            Err(e) if *e.kind() == std::num::IntErrorKind::PosOverflow => "a count too large",
            Err(_) => "not a number",
        };
        Err(self.invalid(index, text, problem))
    }

    /// The day in requested column `column`, `YYYY-MM-DD`, whether the report wrote a
    /// date or a date-time (`2026-11-22T00:00:00Z`: Microsoft changed several reports
    /// from one to the other, some columns only): `None` when the cell is empty, an
    /// error naming report, line and column when it is neither.
    pub fn date(&self, column: impl crate::custom::Column) -> Result<Option<&'r str>> {
        let (index, text) = (column.index(), self.text(column).trim());
        if text.is_empty() {
            return Ok(None);
        }
        match time::day(text) {
            Some(day) => Ok(Some(day)),
            None => Err(self.invalid(index, text, "not a date (YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ)")),
        }
    }

    /// The error of a cell of column `index` holding `text`, which is `problem`.
    fn invalid(&self, index: usize, text: &str, problem: &str) -> Error {
        Error::new(format!(
            "report {} line {}: column '{}' holds '{}', {problem}",
            self.report,
            self.place.line(),
            column_name(self.names.get(index).copied().unwrap_or("")).0,
            snippet(text.as_bytes())
        ))
    }
}

/// The bytes of a report, and how their end is known.
pub trait Download: Read {
    /// Whether a body cut short would be a read error ([`Framing::Delimited`]) or
    /// would read as a shorter body ([`Framing::UntilClose`]).
    fn framing(&self) -> Framing;
}

/// A report held in memory: its length is its end.
impl Download for &[u8] {
    fn framing(&self) -> Framing {
        Framing::Delimited
    }
}

/// A report as it downloads.
impl Download for &mut Body {
    fn framing(&self) -> Framing {
        Body::framing(self)
    }
}

/// Reads the CSV report `report` (a name for messages, e.g.
/// `getMailboxUsageDetail(period='D7')`) from `body`, calling `visit` with the cells
/// of the `columns` of every data row. The rows share one record buffer: nothing is
/// allocated per row.
pub fn read<R: Download>(report: &str, body: R, columns: &[&str], visit: RowVisit<'_>) -> Result<()> {
    read_body(report, body, columns, visit, None).map_err(Failed::into_error)
}

/// How [`read_copying`] failed.
#[derive(Debug)]
pub enum Failed {
    /// The download is not a whole CSV report (empty, an HTML page, malformed, cut,
    /// failed): nothing of it may be kept. The error is the first the check met, which
    /// may be a failed visit that came before.
    Report(Error),
    /// The report was read whole and copied, but what was asked of it failed (a
    /// missing column, a cell the visitor refused): the copy is good, the answer is
    /// this error.
    Visit(Error),
}

impl Failed {
    /// The error, whichever it is.
    pub fn into_error(self) -> Error {
        match self {
            Failed::Report(error) | Failed::Visit(error) => error,
        }
    }
}

/// [`read`], copying the report into `copy` as it goes: its header, then every
/// record, all columns. Once `visit` (or a missing column) fails, the rest of the
/// report is still read and copied, without visiting: the report itself is sound, and
/// the checks waiting for this copy should read it rather than download it again.
pub fn read_copying<R: Download>(
    report: &str,
    body: R,
    columns: &[&str],
    visit: RowVisit<'_>,
    copy: &mut Producer,
) -> std::result::Result<(), Failed> {
    read_body(report, body, columns, visit, Some(copy))
}

fn read_body<R: Download>(
    report: &str,
    body: R,
    columns: &[&str],
    visit: RowVisit<'_>,
    mut copy: Option<&mut Producer>,
) -> std::result::Result<(), Failed> {
    check_width(report, columns).map_err(Failed::Visit)?;
    let framing = body.framing();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(false)
        .buffer_capacity(READ_BUFFER)
        .from_reader(Guard::new(body));
    let mut record = csv::ByteRecord::new();
    if !reader.read_byte_record(&mut record).map_err(|e| Failed::Report(csv_error(report, 1, e)))? {
        return Err(Failed::Report(Error::new(format!("report {report} is empty (no header line)"))));
    }
    let header: Vec<&[u8]> = record.iter().collect();
    if header.first().is_some_and(|first| first.trim_ascii_start().starts_with(b"<")) {
        let text: Vec<u8> = header.join(&b","[..]);
        return Err(Failed::Report(Error::new(format!(
            "report {report} is not CSV but an HTML page: {}",
            snippet(&text)
        ))));
    }
    if let Some(copy) = copy.as_deref_mut() {
        copy.header(&header);
    }
    let positions = columns
        .iter()
        .map(|column| {
            let (name, optional) = column_name(column);
            match header.iter().position(|h| h == &name.as_bytes()) {
                Some(position) => Ok(Some(position)),
                None if optional => Ok(None),
                None => Err(Error::new(format!("report {report} has no column '{name}'"))),
            }
        })
        .collect::<Result<Vec<Option<usize>>>>();
    // The first error of the visit; with a copy to finish, the reading goes on.
    let (positions, mut failed) = match positions {
        Ok(positions) => (positions, None),
        Err(e) if copy.is_some() => (Vec::new(), Some(e)),
        Err(e) => return Err(Failed::Visit(e)),
    };
    // Lines are counted here: the csv crate counts the LF of a CRLF (Microsoft's line
    // end) on the next record's line, one too few. One line per record plus the line
    // ends inside its quoted cells (blank lines, which the csv crate skips, are not).
    let mut line = 2 + line_ends(&record);
    // A report found wrong after a failed visit: the check says what it found first,
    // as it would have without a copy; the copy is thrown away.
    let wrong = |failed: &mut Option<Error>, error: Error| Failed::Report(failed.take().unwrap_or(error));
    while reader.read_byte_record(&mut record).map_err(|e| wrong(&mut failed, csv_error(report, line, e)))? {
        let next = line + 1 + line_ends(&record);
        if let Some(copy) = copy.as_deref_mut() {
            copy.record(&record);
        }
        if failed.is_none() {
            if let Err(e) = visit_record(report, line, &record, &positions, columns, visit) {
                if copy.is_none() {
                    return Err(Failed::Visit(e));
                }
                failed = Some(e);
            }
        }
        line = next;
    }
    let guard = reader.get_ref();
    if guard.state == Field::Quoted {
        let error = Error::new(format!("report {report} ends inside a quoted field (truncated or malformed download)"));
        return Err(wrong(&mut failed, error));
    }
    // Without framing, a line end is the only sign that the last record is whole.
    if framing == Framing::UntilClose && !matches!(guard.last, Some(b'\n' | b'\r')) {
        let error = Error::new(format!(
            "report {report} does not end with a line end, and its download has no length to check it against \
             (truncated download)"
        ));
        return Err(wrong(&mut failed, error));
    }
    failed.map_or(Ok(()), |e| Err(Failed::Visit(e)))
}

/// Hands the cells of `columns` (at `positions` of `record`, which starts on `line`)
/// to `visit`.
fn visit_record(
    report: &str,
    line: u64,
    record: &csv::ByteRecord,
    positions: &[Option<usize>],
    columns: &[&str],
    visit: RowVisit<'_>,
) -> Result<()> {
    let mut cells = [""; MAX_COLUMNS];
    for ((cell, &position), column) in cells.iter_mut().zip(positions).zip(columns) {
        let bytes = position.and_then(|position| record.get(position)).unwrap_or(b"");
        *cell = text(report, bytes, column, || line)?;
    }
    visit(&Row { report, place: Place::Line(line), names: columns, cells: &cells[..columns.len()] })
}

/// Reads the stored copy `records` of the report `report` as [`read`] reads its
/// download: the same rows, the same cells, the same messages (line numbers
/// included). Only the requested columns are read from the copy.
pub fn read_stored(report: &str, records: &Records, columns: &[&str], visit: RowVisit<'_>) -> Result<()> {
    check_width(report, columns)?;
    // The stored columns scanned, and where each requested column is among them.
    let mut scanned = Vec::with_capacity(columns.len());
    let slots = columns
        .iter()
        .map(|column| {
            let (name, optional) = column_name(column);
            match records.column(name.as_bytes()) {
                Some(index) => {
                    scanned.push(index);
                    Ok(Some(scanned.len() - 1))
                }
                None if optional => Ok(None),
                None => Err(Error::new(format!("report {report} has no column '{name}'"))),
            }
        })
        .collect::<Result<Vec<Option<usize>>>>()?;
    let result = records.scan(&scanned, |record| {
        let place = Place::Stored(records, record.index());
        let mut cells = [""; MAX_COLUMNS];
        for ((cell, slot), column) in cells.iter_mut().zip(&slots).zip(columns) {
            if let Some(slot) = *slot {
                *cell = text(report, record.get(slot), column, || place.line())?;
            }
        }
        visit(&Row { report, place, names: columns, cells: &cells[..columns.len()] })
    });
    match result {
        Ok(()) => Ok(()),
        Err(ScanError::Visit(e)) => Err(e),
        Err(ScanError::Stored(invalid)) => {
            Err(Error::new(format!("report {report}: the cached copy {invalid} while being read")))
        }
        Err(e @ ScanError::NoColumn(_)) => Err(Error::new(format!("report {report}: {e}"))),
    }
}

/// The line of the CSV the stored record `index` started on, counted as [`read`]
/// counts: the header's line and line ends, then one line per record plus the line
/// ends inside its cells. Reads every column of the records before it: for messages
/// only.
fn stored_line(records: &Records, index: u64) -> u64 {
    let newlines = |cell: &[u8]| memchr::memchr_iter(b'\n', cell).count() as u64;
    let mut line = 2 + records.columns().iter().map(|name| newlines(name)).sum::<u64>();
    let every: Vec<usize> = (0..records.columns().len()).collect();
    // The scan stops at `index`; a copy damaged under the scan only blurs a message.
    let _ = records.scan(&every, |record| {
        if record.index() >= index {
            return Err(());
        }
        line += 1 + (0..record.len()).map(|i| newlines(record.get(i))).sum::<u64>();
        Ok(())
    });
    line
}

/// Refuses a request of more than [`MAX_COLUMNS`] columns.
fn check_width(report: &str, columns: &[&str]) -> Result<()> {
    if columns.len() > MAX_COLUMNS {
        return Err(Error::new(format!(
            "report {report}: {} columns requested, at most {MAX_COLUMNS} can be read at once",
            columns.len()
        )));
    }
    Ok(())
}

/// The cell `bytes` of the requested `column` as text; not UTF-8, an error naming
/// the report and the record's `line`.
fn text<'b>(report: &str, bytes: &'b [u8], column: &str, line: impl FnOnce() -> u64) -> Result<&'b str> {
    std::str::from_utf8(bytes).map_err(|_| {
        let name = column_name(column).0;
        Error::new(format!("report {report} line {}: column '{name}' is not valid UTF-8", line()))
    })
}

/// A requested column's header name, and whether the report may lack it (a name
/// ending in [`OPTIONAL`]).
fn column_name(column: &str) -> (&str, bool) {
    match column.strip_suffix(OPTIONAL) {
        Some(name) => (name, true),
        None => (column, false),
    }
}

/// The line ends inside the cells of `record` (quoted multi-line cells).
fn line_ends(record: &csv::ByteRecord) -> u64 {
    let cells = record.as_slice();
    // Almost no record has one: a single search settles those without counting.
    match memchr::memchr(b'\n', cells) {
        None => 0,
        Some(first) => 1 + memchr::memchr_iter(b'\n', &cells[first + 1..]).count() as u64,
    }
}

/// The error of a CSV read starting at `line`: a transport failure or a malformed
/// record.
fn csv_error(report: &str, line: u64, e: csv::Error) -> Error {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => Error::new(format!("report {report}: download failed: {io}")),
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => Error::new(format!(
            "report {report} line {line}: {len} field{} instead of {expected_len} (truncated or malformed download)",
            if len == 1 { "" } else { "s" }
        )),
        other => Error::new(format!("report {report} line {line}: malformed CSV ({other:?})")),
    }
}

/// Up to [`SNIPPET`] characters of `bytes`, whitespace runs collapsed, `...` when cut.
pub fn snippet(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let collapsed: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.chars().count() > SNIPPET {
        format!("{}...", collapsed.chars().take(SNIPPET).collect::<String>())
    } else {
        collapsed
    }
}

/// Where the stream stands with respect to CSV quoting, as the `csv` crate reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
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
struct Guard<R> {
    inner: R,
    bom_checked: bool,
    pending: Vec<u8>,
    state: Field,
    last: Option<u8>,
}

impl<R: Read> Guard<R> {
    fn new(inner: R) -> Self {
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

    const EMAIL: &[&str] = &["User Principal Name", "Send Count", "Report Period"];

    /// A download whose end only the connection's close marks.
    struct UntilClose<'a>(&'a [u8]);

    impl Read for UntilClose<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.0.read(buf)
        }
    }

    impl Download for UntilClose<'_> {
        fn framing(&self) -> Framing {
            Framing::UntilClose
        }
    }

    type Rows = Vec<(String, Option<i64>, String)>;

    fn rows_of(body: impl Download) -> Result<Rows> {
        let mut out = Vec::new();
        read("getEmailActivityUserDetail(period='D7')", body, EMAIL, &mut |row| {
            out.push((row.text(0).to_string(), row.count(1)?, row.text(2).to_string()));
            Ok(())
        })?;
        Ok(out)
    }

    /// The rows of a download whose length marks its end.
    fn rows(body: &[u8]) -> Result<Rows> {
        rows_of(body)
    }

    /// The rows of a download that ends when its connection closes.
    fn rows_until_close(body: &[u8]) -> Result<Rows> {
        rows_of(UntilClose(body))
    }

    fn message(body: &[u8]) -> String {
        rows(body).expect_err("must fail").message().to_string()
    }

    fn message_until_close(body: &[u8]) -> String {
        rows_until_close(body).expect_err("must fail").message().to_string()
    }

    #[test]
    fn bom_crlf_and_quoted_commas() {
        let body = b"\xEF\xBB\xBFReport Refresh Date,User Principal Name,Send Count,Report Period\r\n\
            2026-11-22,\"doe, john@contoso.com\",12,7\r\n2026-11-22,\"a\"\"b@contoso.com\",,7\r\n";
        assert_eq!(
            rows(body).expect("rows"),
            [
                ("doe, john@contoso.com".to_string(), Some(12), "7".to_string()),
                ("a\"b@contoso.com".to_string(), None, "7".to_string())
            ]
        );
    }

    #[test]
    fn columns_are_found_by_name() {
        let body = b"Report Period,Send Count,User Principal Name\n7,3,u@x\n";
        assert_eq!(rows(body).expect("rows"), [("u@x".to_string(), Some(3), "7".to_string())]);
    }

    #[test]
    fn header_only_is_an_empty_report() {
        assert_eq!(rows(b"\xEF\xBB\xBFUser Principal Name,Send Count,Report Period\r\n").expect("rows"), []);
    }

    #[test]
    fn missing_column_is_named() {
        assert_eq!(
            message(b"User Principal Name,Report Period\r\nu,7\r\n"),
            "report getEmailActivityUserDetail(period='D7') has no column 'Send Count'"
        );
    }

    #[test]
    fn optional_columns_read_as_empty_when_absent() {
        let columns = ["User Principal Name", "Recipient Type?", "Send Count?"];
        let mut seen = Vec::new();
        let body = b"\xEF\xBB\xBFUser Principal Name,Send Count\r\nu1,4\r\n";
        read("r", &body[..], &columns, &mut |row| {
            seen.push((row.text(0).to_string(), row.text(1).to_string(), row.count(2)?));
            Ok(())
        })
        .expect("an optional column may be absent");
        assert_eq!(seen, [("u1".to_string(), String::new(), Some(4))]);
        let err = read("r", &b"Recipient Type\nShared\n"[..], &columns, &mut |_| Ok(())).expect_err("required");
        assert_eq!(err.message(), "report r has no column 'User Principal Name'");
        let err =
            read("r", &b"User Principal Name,Send Count\nu1,x\n"[..], &columns, &mut |row| row.count(2).map(drop))
                .expect_err("not a number");
        assert_eq!(err.message(), "report r line 2: column 'Send Count' holds 'x', not a number");
    }

    #[test]
    fn empty_download_is_an_error() {
        assert!(message(b"").contains("is empty"));
        assert!(message(BOM).contains("is empty"));
    }

    #[test]
    fn html_is_an_error() {
        let text = message(b"<html><body>Service unavailable</body></html>");
        assert!(text.contains("not CSV but an HTML page: <html><body>Service unavailable"), "{text}");
    }

    #[test]
    fn truncations_are_errors() {
        let head = "User Principal Name,Send Count,Report Period\r\nu1,1,7\r\n";
        for cut in ["u2,\"unterminated", "u2,3", "u2,3,7\r\n\"unterminated", "u2,3,7\"unterminated"] {
            let body = format!("{head}{cut}");
            let text = message_until_close(body.as_bytes());
            assert!(text.contains("truncated"), "{cut:?}: {text}");
        }
        for cut in ["u2,\"unterminated", "u2,3", "u2,3,7\r\n\"unterminated"] {
            let body = format!("{head}{cut}");
            let text = message(body.as_bytes());
            assert!(text.contains("truncated or malformed"), "{cut:?}: {text}");
        }
    }

    /// RFC 4180 lets the last record end without a line break: a download whose
    /// length is known is whole, and its last row counts; without a length, the
    /// missing line end is the only sign of a cut.
    #[test]
    fn the_last_line_end_is_needed_only_without_framing() {
        let body = b"\xEF\xBB\xBFUser Principal Name,Send Count,Report Period\r\nu1,1,7\r\nu2,2,7";
        let expected = [("u1".to_string(), Some(1), "7".to_string()), ("u2".to_string(), Some(2), "7".to_string())];
        assert_eq!(rows(body).expect("a whole report"), expected);
        assert_eq!(
            message_until_close(body),
            "report getEmailActivityUserDetail(period='D7') does not end with a line end, and its download has \
             no length to check it against (truncated download)"
        );
        let mut ended = body.to_vec();
        ended.extend_from_slice(b"\r\n");
        assert_eq!(rows_until_close(&ended).expect("a line end ends it"), expected);
    }

    #[test]
    fn non_numeric_count_names_line_and_column() {
        assert_eq!(
            message(b"User Principal Name,Send Count,Report Period\nu1,1,7\nu2,x1,7\n"),
            "report getEmailActivityUserDetail(period='D7') line 3: column 'Send Count' holds 'x1', not a number"
        );
    }

    #[test]
    fn dates_read_as_days_whether_date_or_date_time() {
        let body = "Report Refresh Date,Last Activity Date\n\
                    2026-11-22T00:00:00Z,2026-11-18\n2026-11-22, 2026-11-20T00:00:00Z \n2026-11-22,\n2026-11-22,18/11/2026\n";
        let mut days = Vec::new();
        let err = read("r", body.as_bytes(), &["Report Refresh Date", "Last Activity Date"], &mut |row| {
            days.push((row.date(0)?.map(str::to_string), row.date(1)?.map(str::to_string)));
            Ok(())
        })
        .expect_err("the last row has no date");
        assert_eq!(
            days,
            [
                (Some("2026-11-22".to_string()), Some("2026-11-18".to_string())),
                (Some("2026-11-22".to_string()), Some("2026-11-20".to_string())),
                (Some("2026-11-22".to_string()), None)
            ]
        );
        assert_eq!(
            err.message(),
            "report r line 5: column 'Last Activity Date' holds '18/11/2026', not a date (YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ)"
        );
    }

    #[test]
    fn counts_beyond_a_counter_are_refused_not_wrapped() {
        let head = "User Principal Name,Send Count,Report Period\n";
        let max = format!("{head}u1,{},7\n", i64::MAX);
        assert_eq!(rows(max.as_bytes()).expect("i64::MAX fits"), [("u1".to_string(), Some(i64::MAX), "7".to_string())]);
        for (count, problem) in [
            ("9223372036854775808", "a count too large"),
            ("99999999999999999999", "a count too large"),
            ("-1", "not a number"),
        ] {
            assert_eq!(
                message(format!("{head}u1,{count},7\n").as_bytes()),
                format!("report getEmailActivityUserDetail(period='D7') line 2: column 'Send Count' holds '{count}', {problem}")
            );
        }
    }

    #[test]
    fn at_most_max_columns_are_read() {
        let names = [EMAIL[0]; MAX_COLUMNS + 1];
        let err = read("r", &b"User Principal Name\nu\n"[..], &names, &mut |_| Ok(())).expect_err("too many");
        assert_eq!(err.message(), "report r: 33 columns requested, at most 32 can be read at once");
        let mut seen = 0;
        read("r", &b"User Principal Name\nu\n"[..], &names[..MAX_COLUMNS], &mut |row| {
            seen += 1;
            assert_eq!(row.text(MAX_COLUMNS - 1), "u");
            Ok(())
        })
        .expect("32 columns");
        assert_eq!(seen, 1);
    }

    /// Microsoft's CRLF line ends, and line ends inside quoted cells, count as in an
    /// editor (the csv crate's own positions are one line short with CRLF).
    #[test]
    fn line_numbers_count_crlf_and_quoted_line_ends() {
        let head = "\u{FEFF}User Principal Name,Send Count,Report Period\r\n";
        let cases = [
            ("u1,1,7\r\nu2,x1,7\r\n", "line 3: column 'Send Count' holds 'x1', not a number"),
            ("\"u\r\n1\",1,7\r\nu2,x1,7\r\n", "line 4: column 'Send Count' holds 'x1', not a number"),
            ("u1,1,7\r\nu2,3\r\n", "line 3: 2 fields instead of 3 (truncated or malformed download)"),
        ];
        for (rows, expected) in cases {
            let text = message(format!("{head}{rows}").as_bytes());
            assert!(text.ends_with(expected), "{rows:?}: {text}");
        }
    }

    #[test]
    fn read_errors_are_reported() {
        struct Failing;
        impl Read for Failing {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::Error::new(io::ErrorKind::TimedOut, "timed out after 10 s"))
            }
        }
        impl Download for Failing {
            fn framing(&self) -> Framing {
                Framing::Delimited
            }
        }
        let err = read("r", Failing, EMAIL, &mut |_| Ok(())).expect_err("fails");
        assert_eq!(err.message(), "report r: download failed: timed out after 10 s");
    }

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

    #[test]
    fn visitor_errors_stop_reading() {
        let body = b"User Principal Name,Send Count,Report Period\nu1,1,7\nu2,2,7\n";
        let mut seen = 0;
        let err = read("r", &body[..], EMAIL, &mut |_| {
            seen += 1;
            Err(Error::new("stop"))
        });
        assert_eq!(err.expect_err("stopped").message(), "stop");
        assert_eq!(seen, 1);
    }

    /// A cell as Microsoft writes it: quoted when it holds a comma, quote or line end.
    fn csv_cell(text: &str) -> String {
        if text.contains([',', '"', '\r', '\n']) {
            format!("\"{}\"", text.replace('"', "\"\""))
        } else {
            text.to_string()
        }
    }

    /// A report of `rows` (user, send count) as Microsoft writes it (BOM, CRLF, the
    /// columns in either order among others), and the offset where each record ends
    /// (the header's first).
    fn report(rows: &[(String, Option<i64>)], reversed: bool) -> (Vec<u8>, Vec<usize>) {
        let mut columns = ["Report Refresh Date", "User Principal Name", "Send Count", "Report Period"];
        if reversed {
            columns.reverse();
        }
        let mut body = BOM.to_vec();
        body.extend_from_slice(format!("{}\r\n", columns.join(",")).as_bytes());
        let mut ends = vec![body.len()];
        for (user, count) in rows {
            let count = count.map(|c| c.to_string()).unwrap_or_default();
            let mut cells = ["2026-11-22".to_string(), csv_cell(user), count, "7".to_string()];
            if reversed {
                cells.reverse();
            }
            body.extend_from_slice(format!("{}\r\n", cells.join(",")).as_bytes());
            ends.push(body.len());
        }
        (body, ends)
    }

    proptest::proptest! {
        /// A download that ends when its connection closes, cut anywhere, is an
        /// error, unless the cut falls at the end of a record: then it reads as the
        /// rows before it, each complete. The whole report reads as all its rows.
        #[test]
        fn a_cut_report_never_reads_as_partial_rows(
            users in proptest::collection::vec(("[a-z@.,\" \r\né]{0,8}", proptest::option::of(0i64..1_000_000)), 0..6),
            reversed in proptest::bool::ANY,
            cut in proptest::num::usize::ANY,
        ) {
            let (body, ends) = report(&users, reversed);
            let expected: Vec<_> = users.iter().map(|(u, c)| (u.clone(), *c, "7".to_string())).collect();
            proptest::prop_assert_eq!(rows_until_close(&body).expect("a whole report reads"), expected.clone());
            proptest::prop_assert_eq!(rows(&body).expect("a whole report reads"), expected.clone());
            let cut = cut % (body.len() + 1);
            if let Ok(got) = rows_until_close(&body[..cut]) {
                proptest::prop_assert_eq!(&got[..], &expected[..got.len()]);
                let end = ends[got.len()];
                // A cut between CR and LF still ends the record.
                proptest::prop_assert!(cut == end || cut + 1 == end, "Ok at {} of {:?}", cut, body);
            }
        }

        /// Any bytes at all, after a valid header or not, framed or not: no panic, and
        /// never a partial success: an Ok has visited every record there is, and
        /// without framing, up to a final line end.
        #[test]
        fn any_download_is_all_rows_or_an_error(
            header in proptest::bool::ANY,
            tail in proptest::prop_oneof![
                proptest::collection::vec(proptest::sample::select(b"\",\r\n1a \xff".to_vec()), 0..96),
                proptest::collection::vec(proptest::num::u8::ANY, 0..96),
            ],
        ) {
            let mut bytes = if header { b"\xEF\xBB\xBFUser Principal Name,Send Count,Report Period\r\n".to_vec() } else { Vec::new() };
            bytes.extend_from_slice(&tail);
            for (read, until_close) in [(rows_until_close(&bytes), true), (rows(&bytes), false)] {
                let Ok(got) = read else { continue };
                let body = bytes.strip_prefix(BOM).unwrap_or(&bytes);
                let records = csv::ReaderBuilder::new()
                    .has_headers(false)
                    .from_reader(body)
                    .into_byte_records()
                    .collect::<std::result::Result<Vec<_>, _>>();
                let records = records.map_err(|e| proptest::test_runner::TestCaseError::fail(e.to_string()))?;
                proptest::prop_assert_eq!(got.len() + 1, records.len());
                proptest::prop_assert!(!until_close || matches!(body.last(), Some(b'\n' | b'\r')));
            }
        }
    }

    /// A report cache in a scratch directory, removed when dropped.
    struct Scratch {
        dir: std::path::PathBuf,
        cache: centreon_plugin::cache::Cache,
    }

    impl Scratch {
        fn new() -> Scratch {
            use std::sync::atomic::{AtomicUsize, Ordering};
            static NEXT: AtomicUsize = AtomicUsize::new(0);
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let dir = std::env::temp_dir().join(format!("report-copy-{}-{n}", std::process::id()));
            std::fs::create_dir_all(&dir).expect("scratch dir");
            let ttl = std::time::Duration::from_secs(900);
            let cache = centreon_plugin::cache::Cache::new(&dir, "report_", ttl).expect("cache on");
            Scratch { dir, cache }
        }

        fn key() -> centreon_plugin::cache::Key {
            centreon_plugin::cache::Key::new([("report", "r")])
        }

        /// Reads `body` with `visit`, copying it into the cache; the copy is committed
        /// unless the report itself is wrong.
        fn copy(&self, body: &[u8], columns: &[&str], visit: RowVisit<'_>) -> std::result::Result<(), Failed> {
            let until = std::time::Instant::now() + std::time::Duration::from_secs(10);
            let centreon_plugin::cache::Claim::Produce(mut producer) = self.cache.claim(&Self::key(), until) else {
                panic!("a cold cache produces");
            };
            let result = read_copying("r", body, columns, visit, &mut producer);
            match &result {
                Ok(()) | Err(Failed::Visit(_)) => {
                    producer.commit().expect("committed");
                }
                Err(Failed::Report(e)) => producer.fail(e.message(), centreon_plugin::cache::Setback::Permanent),
            }
            result
        }

        fn entry(&self) -> Option<centreon_plugin::cache::Entry> {
            self.cache.fresh(&Self::key()).ok()
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }

    /// What [`rows`] reads, from the copy of `body` (no visit while copying).
    fn stored_rows(body: &[u8]) -> Result<Vec<(String, Option<i64>, String)>> {
        let scratch = Scratch::new();
        scratch.copy(body, &[], &mut |_| Ok(())).map_err(Failed::into_error)?;
        let entry = scratch.entry().expect("the copy is in place");
        let mut out = Vec::new();
        read_stored("getEmailActivityUserDetail(period='D7')", entry.records(), EMAIL, &mut |row| {
            out.push((row.text(0).to_string(), row.count(1)?, row.text(2).to_string()));
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn a_copy_reads_back_as_the_download_messages_included() {
        let head = "\u{FEFF}User Principal Name,Send Count,Report Period\r\n";
        for rows_text in [
            "u1,1,7\r\nu2,2,7\r\n",
            "\"doe, \"\"j\"\"\r\n@x\",,7\r\nu2,x1,7\r\n",
            "u1,1,7\r\n\"multi\nline\",3,7\r\nu3,99999999999999999999,7\r\n",
        ] {
            let body = format!("{head}{rows_text}");
            let want = rows(body.as_bytes()).map_err(|e| e.message().to_string());
            let got = stored_rows(body.as_bytes()).map_err(|e| e.message().to_string());
            assert_eq!(got, want, "{rows_text:?}");
        }
        let missing = "User Principal Name,Report Period\r\nu,7\r\n";
        assert_eq!(
            stored_rows(missing.as_bytes()).expect_err("no Send Count").message(),
            "report getEmailActivityUserDetail(period='D7') has no column 'Send Count'"
        );
        let not_utf8 = b"User Principal Name,Send Count,Report Period\n\"a\nb\",1,7\n\xff,2,7\n";
        assert_eq!(
            stored_rows(not_utf8).expect_err("not UTF-8").message(),
            "report getEmailActivityUserDetail(period='D7') line 4: column 'User Principal Name' is not valid UTF-8"
        );
        assert_eq!(
            rows(not_utf8).expect_err("not UTF-8").message(),
            "report getEmailActivityUserDetail(period='D7') line 4: column 'User Principal Name' is not valid UTF-8"
        );
    }

    #[test]
    fn a_failed_visit_still_copies_the_whole_report() {
        let scratch = Scratch::new();
        let body = b"User Principal Name,Send Count,Report Period\nu1,x,7\nu2,2,7\n";
        let mut seen = 0;
        let result = scratch.copy(body, EMAIL, &mut |row| {
            seen += 1;
            row.count(1).map(drop)
        });
        assert!(matches!(result, Err(Failed::Visit(ref e)) if e.message().contains("holds 'x'")), "{result:?}");
        assert_eq!(seen, 1, "no visit after the error");
        assert_eq!(scratch.entry().expect("copied").records().len(), 2);

        let scratch = Scratch::new();
        let result = scratch.copy(body, &["Recipient Type"], &mut |_| Ok(()));
        assert!(matches!(result, Err(Failed::Visit(ref e)) if e.message().contains("no column 'Recipient Type'")));
        assert_eq!(scratch.entry().expect("copied").records().len(), 2, "a missing column is the mode's problem");
    }

    #[test]
    fn a_wrong_report_is_not_copied_and_the_first_error_is_told() {
        let scratch = Scratch::new();
        let cut = b"User Principal Name,Send Count,Report Period\nu1,x,7\nu2,\"cut";
        let result = scratch.copy(cut, EMAIL, &mut |row| row.count(1).map(drop));
        let Err(Failed::Report(error)) = result else { panic!("a cut report: {result:?}") };
        assert_eq!(error.message(), "report r line 2: column 'Send Count' holds 'x', not a number");
        assert!(scratch.entry().is_none());
    }

    #[test]
    fn a_wrong_report_is_not_copied() {
        for body in [&b""[..], b"<html>busy</html>\n", b"User Principal Name,Send Count\nu1,\"cut", b"A,B\n1\n"] {
            let scratch = Scratch::new();
            let result = scratch.copy(body, &[], &mut |_| Ok(()));
            assert!(matches!(result, Err(Failed::Report(_))), "{body:?}: {result:?}");
            assert!(scratch.entry().is_none(), "{body:?}");
        }
    }

    proptest::proptest! {
        /// Any report Microsoft could write reads back from its copy as it read from
        /// the download, and a visit failing on any row fails with the same message.
        #[test]
        fn copies_read_back_as_downloads(
            users in proptest::collection::vec(("[a-z@.,\" \r\né]{0,8}", proptest::option::of(0i64..1_000_000)), 0..6),
            reversed in proptest::bool::ANY,
            failing in 0usize..6,
        ) {
            let (body, _) = report(&users, reversed);
            proptest::prop_assert_eq!(stored_rows(&body).expect("stored"), rows(&body).expect("read"));
            let scratch = Scratch::new();
            scratch.copy(&body, &[], &mut |_| Ok(())).expect("copied");
            let entry = scratch.entry().expect("in place");
            let fail = |row: &Row<'_>| -> Result<()> {
                if row.text(0) == users.get(failing).map_or("", |u| u.0.as_str()) {
                    return Err(row.invalid(0, row.text(0), "refused"));
                }
                Ok(())
            };
            let mut visit = fail;
            let downloaded = read("r", &body[..], EMAIL, &mut visit);
            let mut visit = fail;
            let stored = read_stored("r", entry.records(), EMAIL, &mut visit);
            proptest::prop_assert_eq!(stored, downloaded);
        }
    }
}
