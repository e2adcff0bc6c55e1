//! Reading a report as it downloads: the CSV split into records as its bytes arrive
//! (`split`), the header checked (a page or JSON is not a report, every column asked for is there),
//! each record handed to the mode as a [`Row`] and, when the report cache is on,
//! copied into its entry as it goes.

use std::io::Read;

use centreon_plugin::cache::Producer;
use centreon_plugin::error::{Error, Result};
use centreon_plugin::http::{Body, Framing};

use super::split::{Record, Splitter};
use super::{check_width, column_name, snippet, text, Place, Row, MAX_COLUMNS};
use crate::custom::RowVisit;

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
    read_body(report, body, columns, visit, None)
}

/// [`read`], copying the report into `copy` as it goes: its header, then every
/// record, all columns. The copy may be committed only when this returns `Ok`: the
/// report then parsed whole, has the columns asked for, and every cell visited was
/// what its column holds. Anything else (JSON, a page, a column missing, a cell
/// refused, a cut) is not the report, and must never stand in for one.
pub fn read_copying<R: Download>(
    report: &str,
    body: R,
    columns: &[&str],
    visit: RowVisit<'_>,
    copy: &mut Producer,
) -> Result<()> {
    read_body(report, body, columns, visit, Some(copy))
}

fn read_body<R: Download>(
    report: &str,
    body: R,
    columns: &[&str],
    visit: RowVisit<'_>,
    mut copy: Option<&mut Producer>,
) -> Result<()> {
    check_width(report, columns)?;
    let framing = body.framing();
    let mut split = Splitter::new(body);
    let Some(first) = split.next().map_err(|e| download_error(report, e))? else {
        return Err(Error::new(format!("report {report} is empty (no header line)")));
    };
    let header: Vec<Vec<u8>> = first.iter().map(<[u8]>::to_vec).collect();
    // Lines are counted here: one line per record plus the line ends inside its quoted
    // cells (blank lines, which are skipped, are not).
    let mut line = 2 + first.line_ends();
    let start = header.first().map(|first| first.trim_ascii_start().first().copied());
    let kind = match start {
        Some(Some(b'<')) => Some("an HTML page"),
        Some(Some(b'{' | b'[')) => Some("JSON"),
        _ => None,
    };
    if let Some(kind) = kind {
        let text: Vec<u8> = header.join(&b","[..]);
        return Err(Error::new(format!("report {report} is not CSV but {kind}: {}", snippet(&text))));
    }
    if let Some(copy) = copy.as_deref_mut() {
        copy.header(&header);
    }
    let positions = columns
        .iter()
        .map(|column| {
            let (name, optional) = column_name(column);
            match header.iter().position(|h| h == name.as_bytes()) {
                Some(position) => Ok(Some(position)),
                None if optional => Ok(None),
                None => Err(Error::new(format!("report {report} has no column '{name}'"))),
            }
        })
        .collect::<Result<Vec<Option<usize>>>>()?;
    while let Some(record) = split.next().map_err(|e| download_error(report, e))? {
        if record.len() != header.len() {
            return Err(Error::new(format!(
                "report {report} line {line}: {} field{} instead of {} (truncated or malformed download)",
                record.len(),
                if record.len() == 1 { "" } else { "s" },
                header.len()
            )));
        }
        let next = line + 1 + record.line_ends();
        if let Some(copy) = copy.as_deref_mut() {
            copy.record(record.iter());
        }
        visit_record(report, line, record, &positions, columns, visit)?;
        line = next;
    }
    if split.ends_inside_quotes() {
        return Err(Error::new(format!(
            "report {report} ends inside a quoted field (truncated or malformed download)"
        )));
    }
    // Without framing, a line end is the only sign that the last record is whole.
    if framing == Framing::UntilClose && !matches!(split.last(), Some(b'\n' | b'\r')) {
        return Err(Error::new(format!(
            "report {report} does not end with a line end, and its download has no length to check it against \
             (truncated download)"
        )));
    }
    Ok(())
}

/// Hands the cells of `columns` (at `positions` of `record`, which starts on `line`)
/// to `visit`. The record is checked as UTF-8 once, whole; only when that fails is
/// each cell read checked alone, so that a cell the mode does not read may hold
/// anything, and a bad one is named.
fn visit_record(
    report: &str,
    line: u64,
    record: Record<'_>,
    positions: &[Option<usize>],
    columns: &[&str],
    visit: RowVisit<'_>,
) -> Result<()> {
    let whole = simdutf8::basic::from_utf8(record.bytes()).ok();
    let mut cells = [""; MAX_COLUMNS];
    for ((cell, &position), column) in cells.iter_mut().zip(positions).zip(columns) {
        let Some(position) = position else { continue };
        let Some((start, end)) = record.bounds(position) else { continue };
        *cell = match whole.and_then(|whole| whole.get(start..end)) {
            Some(text) => text,
            None => text(report, record.get(position).unwrap_or_default(), column, || line)?,
        };
    }
    visit(&Row { report, place: Place::Line(line), names: columns, cells: &cells[..columns.len()] })
}

/// The error of a read of the download.
fn download_error(report: &str, e: std::io::Error) -> Error {
    Error::new(format!("report {report}: download failed: {e}"))
}

#[cfg(test)]
mod tests {
    use std::io;

    use super::super::cut::BOM;
    use super::super::testing::*;
    use super::*;

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
    fn json_is_an_error() {
        let text = message(b"{\"error\":{\"code\":\"UnknownError\",\"message\":\"\"}}");
        assert!(text.contains("is not CSV but JSON: {\"error\":{\"code\":\"UnknownError\""), "{text}");
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
}
