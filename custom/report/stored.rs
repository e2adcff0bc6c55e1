//! Reading a report's copy in the report cache (a record file, checked before
//! use) as the same rows, cells and messages as its download gave.

use centreon_plugin::error::{Error, Result};
use centreon_plugin::records::{Records, ScanError};

use super::{check_width, column_name, text, Place, Row, MAX_COLUMNS};
use crate::custom::RowVisit;

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
pub(super) fn line(records: &Records, index: u64) -> u64 {
    let newlines = |cell: &[u8]| memchr::memchr_iter(b'\n', cell).count() as u64;
    let mut line = 2 + records.columns().iter().map(|name| newlines(name)).sum::<u64>();
    let every: Vec<usize> = (0..records.columns().len()).collect();
    // The scan stops at `index`; a copy damaged under the scan only blurs a message.
    let _ = records.scan_every(&every, |record| {
        if record.index() >= index {
            return Err(());
        }
        line += 1 + (0..record.len()).map(|i| newlines(record.get(i))).sum::<u64>();
        Ok(())
    });
    line
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::{read, read_copying};
    use super::*;

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
        /// when the read succeeds.
        fn copy(&self, body: &[u8], columns: &[&str], visit: RowVisit<'_>) -> Result<()> {
            let until = std::time::Instant::now() + std::time::Duration::from_secs(10);
            let centreon_plugin::cache::Claim::Produce(mut producer) = self.cache.claim(&Self::key(), until, &mut drop)
            else {
                panic!("a cold cache produces");
            };
            let result = read_copying("r", body, columns, visit, &mut producer);
            match &result {
                Ok(()) => {
                    producer.commit().expect("committed");
                }
                Err(e) => producer.fail(e.message(), centreon_plugin::cache::Setback::Permanent),
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
        scratch.copy(body, &[], &mut |_| Ok(()))?;
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
    fn a_failed_visit_or_a_missing_column_is_not_copied() {
        let body = b"User Principal Name,Send Count,Report Period\nu1,x,7\nu2,2,7\n";
        let scratch = Scratch::new();
        let mut seen = 0;
        let result = scratch.copy(body, EMAIL, &mut |row| {
            seen += 1;
            row.count(1).map(drop)
        });
        assert!(matches!(result, Err(ref e) if e.message().contains("holds 'x'")), "{result:?}");
        assert_eq!(seen, 1, "no visit after the error");
        assert!(scratch.entry().is_none(), "a cell the mode refuses: not the report");

        let scratch = Scratch::new();
        let result = scratch.copy(body, &["Recipient Type"], &mut |_| Ok(()));
        assert!(matches!(result, Err(ref e) if e.message().contains("no column 'Recipient Type'")));
        assert!(scratch.entry().is_none(), "a column the mode needs missing: not the report");
    }

    #[test]
    fn a_wrong_report_is_not_copied() {
        for body in [
            &b""[..],
            b"<html>busy</html>\n",
            b"{\"value\":[]}\n",
            b"User Principal Name,Send Count\nu1,\"cut",
            b"A,B\n1\n",
        ] {
            let scratch = Scratch::new();
            let result = scratch.copy(body, &[], &mut |_| Ok(()));
            assert!(result.is_err(), "{body:?}: {result:?}");
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
