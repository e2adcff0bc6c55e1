//! Reading a Microsoft 365 usage report (CSV) while it downloads.
//!
//! Columns are found by header name, so their order does not matter. Unlike the Perl
//! plugin, anything that would give partial or meaningless data is an error: an
//! empty download, an HTML page, a missing required column, a malformed or cut
//! record (unterminated quote, missing line end, short body), a non-numeric count.
//! The caller reports such an error as UNKNOWN; the rows already visited are thrown
//! away with it.

use std::io::{self, Read};

use centreon_plugin::error::{Error, Result};

/// The UTF-8 byte order mark Microsoft puts at the start of every report.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The longest piece of a bad download quoted in an error message.
const SNIPPET: usize = 60;

/// One data row, with the cells of the required columns at hand.
pub struct Cells<'r> {
    report: &'r str,
    line: u64,
    names: &'r [&'r str],
    values: Vec<&'r str>,
}

impl<'r> Cells<'r> {
    /// The text of required column `index` (as in the `required` list).
    pub fn text(&self, index: usize) -> &'r str {
        self.values.get(index).copied().unwrap_or("")
    }

    /// The count in required column `index`: `None` when the cell is empty, an error
    /// naming report, line and column when it is not a whole number.
    pub fn number(&self, index: usize) -> Result<Option<u64>> {
        let text = self.text(index).trim();
        if text.is_empty() {
            return Ok(None);
        }
        text.parse().map(Some).map_err(|_| {
            Error::new(format!(
                "report {} line {}: column '{}' holds '{}', not a number",
                self.report,
                self.line,
                self.names.get(index).copied().unwrap_or(""),
                snippet(text.as_bytes())
            ))
        })
    }
}

/// Reads the CSV report `report` (a name for messages, e.g.
/// `getMailboxUsageDetail(period='D7')`) from `body`, calling `visit` with the cells
/// of the `required` columns of every data row.
pub fn read<R: Read>(
    report: &str,
    body: R,
    required: &[&str],
    visit: &mut dyn FnMut(&Cells<'_>) -> Result<()>,
) -> Result<()> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(false).from_reader(Guard::new(body));
    let mut record = csv::ByteRecord::new();
    if !reader.read_byte_record(&mut record).map_err(|e| csv_error(report, e))? {
        return Err(Error::new(format!("report {report} is empty (no header line)")));
    }
    let header: Vec<&[u8]> = record.iter().collect();
    if header.first().is_some_and(|first| first.trim_ascii_start().starts_with(b"<")) {
        let text: Vec<u8> = header.join(&b","[..]);
        return Err(Error::new(format!("report {report} is not CSV but an HTML page: {}", snippet(&text))));
    }
    let mut columns = Vec::with_capacity(required.len());
    for name in required {
        match header.iter().position(|h| h == &name.as_bytes()) {
            Some(index) => columns.push(index),
            None => return Err(Error::new(format!("report {report} has no column '{name}'"))),
        }
    }
    while reader.read_byte_record(&mut record).map_err(|e| csv_error(report, e))? {
        let line = record.position().map_or(0, |p| p.line());
        let mut values = Vec::with_capacity(columns.len());
        for (&index, name) in columns.iter().zip(required) {
            let bytes = record.get(index).unwrap_or(b"");
            let text = std::str::from_utf8(bytes)
                .map_err(|_| Error::new(format!("report {report} line {line}: column '{name}' is not valid UTF-8")))?;
            values.push(text);
        }
        visit(&Cells { report, line, names: required, values })?;
    }
    let guard = reader.get_ref();
    if guard.state == Field::Quoted {
        return Err(Error::new(format!("report {report} ends inside a quoted field (truncated download)")));
    }
    if !matches!(guard.last, Some(b'\n' | b'\r')) {
        return Err(Error::new(format!("report {report} does not end with a line end (truncated download)")));
    }
    Ok(())
}

/// The error of a CSV read: a transport failure or a malformed record.
fn csv_error(report: &str, e: csv::Error) -> Error {
    let line = e.position().map_or(0, |p| p.line());
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

    fn track(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.state = match (self.state, b) {
                (Field::Start, b'"') => Field::Quoted,
                (Field::Start | Field::Unquoted | Field::AfterQuote, b',' | b'\n' | b'\r') => Field::Start,
                (Field::Start | Field::Unquoted, _) => Field::Unquoted,
                (Field::Quoted, b'"') => Field::AfterQuote,
                (Field::Quoted, _) => Field::Quoted,
                (Field::AfterQuote, b'"') => Field::Quoted,
                (Field::AfterQuote, _) => Field::Unquoted,
            };
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

    fn rows(body: &[u8]) -> Result<Vec<(String, Option<u64>, String)>> {
        let mut out = Vec::new();
        read("getEmailActivityUserDetail(period='D7')", body, EMAIL, &mut |cells| {
            out.push((cells.text(0).to_string(), cells.number(1)?, cells.text(2).to_string()));
            Ok(())
        })?;
        Ok(out)
    }

    fn message(body: &[u8]) -> String {
        rows(body).expect_err("must fail").message().to_string()
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
            let text = message(body.as_bytes());
            assert!(text.contains("truncated"), "{cut:?}: {text}");
        }
    }

    #[test]
    fn non_numeric_count_names_line_and_column() {
        assert_eq!(
            message(b"User Principal Name,Send Count,Report Period\nu1,1,7\nu2,x1,7\n"),
            "report getEmailActivityUserDetail(period='D7') line 3: column 'Send Count' holds 'x1', not a number"
        );
    }

    #[test]
    fn read_errors_are_reported() {
        struct Failing;
        impl Read for Failing {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::Error::new(io::ErrorKind::TimedOut, "timed out after 10 s"))
            }
        }
        let err = read("r", Failing, EMAIL, &mut |_| Ok(())).expect_err("fails");
        assert_eq!(err.message(), "report r: download failed: timed out after 10 s");
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
}
