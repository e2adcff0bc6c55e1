//! Reading a Microsoft 365 usage report (CSV) while it downloads, or from its copy in
//! the report cache, as rows of the columns a mode asks for.
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
//! messages. Only a report read whole without any error becomes a copy.
//!
//! Here: the [`Row`] handed to a mode and its cells. The reading itself is in
//! `download` (a CSV as it arrives), `split` (its records, split as the bytes
//! arrive), `cut` (telling a cut download from a whole one) and `stored` (a copy in
//! the report cache).

mod cut;
mod download;
mod split;
mod stored;

pub use download::{read, read_copying, Download};
pub use stored::read_stored;

use centreon_plugin::error::{Error, Result};
use centreon_plugin::number;
use centreon_plugin::records::Records;
use centreon_plugin::time;

/// The longest piece of a bad download quoted in an error message.
const SNIPPET: usize = 60;

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
            Place::Stored(records, index) => stored::line(records, index),
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
    #[inline]
    pub fn count(&self, column: impl crate::custom::Column) -> Result<Option<i64>> {
        let (index, cell) = (column.index(), self.text(column));
        // Nearly every count is a plain run of digits: read without trimming or parsing.
        match number::plain_digits(cell.as_bytes()) {
            Some(count) => Ok(Some(count)),
            None if cell.is_empty() => Ok(None),
            None => self.count_otherwise(index, cell),
        }
    }

    /// [`Row::count`] of a cell that is not a plain run of digits.
    #[cold]
    fn count_otherwise(&self, index: usize, cell: &str) -> Result<Option<i64>> {
        let text = cell.trim();
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
    #[inline]
    pub fn date(&self, column: impl crate::custom::Column) -> Result<Option<&'r str>> {
        let (index, cell) = (column.index(), self.text(column));
        // Nearly every date is exact: a day starts and ends with no space to trim.
        match time::day(cell) {
            Some(day) => Ok(Some(day)),
            None if cell.is_empty() => Ok(None),
            None => self.date_otherwise(index, cell),
        }
    }

    /// [`Row::date`] of a cell that is not exactly a date or a date-time.
    #[cold]
    fn date_otherwise(&self, index: usize, cell: &'r str) -> Result<Option<&'r str>> {
        let text = cell.trim();
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

/// What the tests of reading share: downloads of every framing and the rows they give.
#[cfg(test)]
mod testing {
    use std::io::{self, Read};

    use centreon_plugin::error::Result;
    use centreon_plugin::http::Framing;

    use super::cut::BOM;
    use super::{read, Download};

    pub(super) const EMAIL: &[&str] = &["User Principal Name", "Send Count", "Report Period"];

    /// A download whose end only the connection's close marks.
    pub(super) struct UntilClose<'a>(&'a [u8]);

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

    pub(super) type Rows = Vec<(String, Option<i64>, String)>;

    pub(super) fn rows_of(body: impl Download) -> Result<Rows> {
        let mut out = Vec::new();
        read("getEmailActivityUserDetail(period='D7')", body, EMAIL, &mut |row| {
            out.push((row.text(0).to_string(), row.count(1)?, row.text(2).to_string()));
            Ok(())
        })?;
        Ok(out)
    }

    /// The rows of a download whose length marks its end.
    pub(super) fn rows(body: &[u8]) -> Result<Rows> {
        rows_of(body)
    }

    /// The rows of a download that ends when its connection closes.
    pub(super) fn rows_until_close(body: &[u8]) -> Result<Rows> {
        rows_of(UntilClose(body))
    }

    pub(super) fn message(body: &[u8]) -> String {
        rows(body).expect_err("must fail").message().to_string()
    }

    pub(super) fn message_until_close(body: &[u8]) -> String {
        rows_until_close(body).expect_err("must fail").message().to_string()
    }

    /// A cell as Microsoft writes it: quoted when it holds a comma, quote or line end.
    pub(super) fn csv_cell(text: &str) -> String {
        if text.contains([',', '"', '\r', '\n']) {
            format!("\"{}\"", text.replace('"', "\"\""))
        } else {
            text.to_string()
        }
    }

    /// A report of `rows` (user, send count) as Microsoft writes it (BOM, CRLF, the
    /// columns in either order among others), and the offset where each record ends
    /// (the header's first).
    pub(super) fn report(rows: &[(String, Option<i64>)], reversed: bool) -> (Vec<u8>, Vec<usize>) {
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
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;

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
}
