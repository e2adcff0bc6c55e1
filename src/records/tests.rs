use super::*;
use proptest::prelude::*;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

/// Distinguishes the scratch files of one test process.
static COUNTER: AtomicU64 = AtomicU64::new(0);

const KEY: &[u8] = b"endpoint=http://127.0.0.1\0report=usage";

/// A scratch file holding `bytes`, removed when the guard drops.
struct Scratch(PathBuf);

impl Scratch {
    fn new(bytes: &[u8]) -> Scratch {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("records-test-{}-{n}", std::process::id()));
        std::fs::write(&path, bytes).expect("scratch file");
        Scratch(path)
    }

    fn file(&self) -> File {
        File::open(&self.0).expect("open scratch")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn encode(columns: &[&[u8]], rows: &[Vec<Vec<u8>>]) -> Vec<u8> {
    let created = UNIX_EPOCH + Duration::from_millis(1_795_723_192_123);
    let mut writer = Writer::new(Vec::new(), KEY, created, columns).expect("header");
    for row in rows {
        writer.record(row).expect("record");
    }
    writer.finish().expect("finish")
}

fn load(bytes: &[u8]) -> Result<Records, Invalid> {
    let scratch = Scratch::new(bytes);
    // The open file outlives the name, as a cache reader's does.
    let file = scratch.file();
    open(file, KEY)?.verify()
}

fn read_all(records: &Records, columns: &[usize]) -> Vec<Vec<Vec<u8>>> {
    let mut rows = Vec::new();
    records
        .scan(columns, |record| {
            rows.push((0..record.len()).map(|i| record.get(i).to_vec()).collect());
            Ok::<_, ()>(())
        })
        .expect("scan");
    rows
}

fn odd_rows() -> Vec<Vec<Vec<u8>>> {
    let long = vec![b'x'; 3 * BUFFER + 17];
    vec![
        vec![b"2026-11-22".to_vec(), b"alice@contoso.com".to_vec(), b"\"The Boss\" Lee, Jr.".to_vec(), vec![]],
        vec![b"2026-11-22".to_vec(), b"line\r\nbreak\n".to_vec(), vec![0, 0xff, b',', b'"', 0x80], vec![]],
        vec![b"2026-11-22".to_vec(), vec![b'y'; 200], long.clone(), b"7".to_vec()],
        vec![b"2026-11-23".to_vec(), vec![], long, b"7".to_vec()],
        vec![vec![], vec![], vec![], vec![]],
    ]
}

const COLUMNS: [&[u8]; 4] = [b"Report Refresh Date", b"User Principal Name", b"Display \"Name\"", b""];

#[test]
fn odd_bytes_round_trip_through_every_column() {
    let rows = odd_rows();
    let records = load(&encode(&COLUMNS, &rows)).expect("valid file");
    assert_eq!(records.len(), rows.len() as u64);
    assert_eq!(records.columns().iter().map(|c| c.as_ref()).collect::<Vec<_>>(), COLUMNS);
    assert_eq!(records.created(), UNIX_EPOCH + Duration::from_millis(1_795_723_192_123));
    assert_eq!(read_all(&records, &[0, 1, 2, 3]), rows);
}

#[test]
fn a_projection_reads_columns_in_any_order_and_repeated() {
    let rows = odd_rows();
    let records = load(&encode(&COLUMNS, &rows)).expect("valid file");
    let expected: Vec<Vec<Vec<u8>>> = rows.iter().map(|r| vec![r[3].clone(), r[0].clone(), r[3].clone()]).collect();
    assert_eq!(read_all(&records, &[3, 0, 3]), expected);
    let mut indices = Vec::new();
    records
        .scan(&[], |record| {
            assert!(record.is_empty() && record.get(0).is_empty());
            indices.push(record.index());
            Ok::<_, ()>(())
        })
        .expect("scan");
    assert_eq!(indices, [0, 1, 2, 3, 4]);
    assert_eq!(records.column(b"User Principal Name"), Some(1));
    assert_eq!(records.column(b"Display Name"), None);
}

#[test]
fn repeated_cells_are_stored_once() {
    let row = vec![b"2026-11-22".to_vec(), b"53687091200".to_vec()];
    let one = encode(&COLUMNS[..2], std::slice::from_ref(&row)).len();
    let thousand = encode(&COLUMNS[..2], &vec![row; 1000]).len();
    // A byte per repeated cell, and a few more for the longer block head.
    assert!((999 * 2..999 * 2 + 8).contains(&(thousand - one)), "{one} then {thousand}");
}

#[test]
fn cells_of_every_short_length_differing_anywhere_round_trip() {
    // The writer compares and copies short cells word by word: a difference in any
    // byte, at any length, must still make a cell of its own.
    let mut rows = Vec::new();
    for length in 0..80usize {
        let base: Vec<u8> = (0..length).map(|i| b'a' + (i % 26) as u8).collect();
        rows.push(vec![base.clone(), base.clone()]);
        for at in 0..length {
            let mut changed = base.clone();
            changed[at] ^= 0x01;
            rows.push(vec![changed.clone(), base.clone()]);
            rows.push(vec![changed, base.clone()]);
        }
    }
    let records = load(&encode(&COLUMNS[..2], &rows)).expect("valid file");
    assert_eq!(read_all(&records, &[0, 1]), rows);
    // Column 1 holds one cell per length, repeated: a byte per record, plus each
    // cell's bytes once (and once more where a block starts), plus a block's head.
    let column = |rows: &[Vec<Vec<u8>>]| rows.iter().map(|row| vec![row[1].clone()]).collect::<Vec<_>>();
    let one = encode(&COLUMNS[..1], &column(&rows[..1])).len();
    let all = encode(&COLUMNS[..1], &column(&rows)).len();
    let cells: usize = (0..80).sum();
    assert!(all - one < rows.len() + cells + 2 * 80 + 32, "{one} then {all}");
}

#[test]
fn a_header_only_report_has_no_record() {
    let records = load(&encode(&COLUMNS, &[])).expect("valid file");
    assert!(records.is_empty());
    assert!(read_all(&records, &[0]).is_empty());
}

#[test]
fn records_must_match_the_header_and_a_refused_one_leaves_no_trace() {
    let mut writer = Writer::new(Vec::new(), KEY, SystemTime::now(), COLUMNS).expect("header");
    assert!(Writer::new(Vec::new(), KEY, SystemTime::now(), [b""; 0]).is_err(), "no column");
    writer.record([b"a", b"b", b"c", b"d"]).expect("right width");
    assert!(writer.record([b"a"; 3]).is_err());
    assert!(writer.record([b"x"; 5]).is_err());
    writer.record([b"a", b"b", b"x", b"d"]).expect("right width");
    assert_eq!(writer.records(), 2);
    let records = load(&writer.finish().expect("finish")).expect("valid");
    let expected: Vec<Vec<Vec<u8>>> = [["a", "b", "c", "d"], ["a", "b", "x", "d"]]
        .iter()
        .map(|r| r.map(|c| c.as_bytes().to_vec()).to_vec())
        .collect();
    assert_eq!(read_all(&records, &[0, 1, 2, 3]), expected);
}

#[test]
fn records_span_blocks_by_count_and_by_size() {
    let many: Vec<Vec<Vec<u8>>> = (0..BLOCK_RECORDS * 2 + 5)
        .map(|i| vec![b"2026-11-22".to_vec(), format!("user{i}").into_bytes(), vec![b'q'; i % 3]])
        .collect();
    let records = load(&encode(&COLUMNS[..3], &many)).expect("valid file");
    assert_eq!(
        read_all(&records, &[2, 1, 0]),
        many.iter().map(|r| vec![r[2].clone(), r[1].clone(), r[0].clone()]).collect::<Vec<_>>()
    );
    let big: Vec<Vec<Vec<u8>>> = (0..5u8).map(|i| vec![vec![i; BLOCK_BYTES / 2 + 1], vec![]]).collect();
    let records = load(&encode(&COLUMNS[..2], &big)).expect("valid file");
    assert_eq!(read_all(&records, &[0, 1]), big);
}

#[test]
fn a_visitor_error_stops_the_scan() {
    let records = load(&encode(&COLUMNS, &odd_rows())).expect("valid file");
    let mut seen = 0;
    let result = records.scan(&[1], |record| {
        seen += 1;
        if record.index() == 1 {
            Err("bad cell")
        } else {
            Ok(())
        }
    });
    assert!(matches!(result, Err(ScanError::Visit("bad cell"))));
    assert_eq!(seen, 2);
    assert!(matches!(records.scan(&[4], |_| Ok::<_, ()>(())), Err(ScanError::NoColumn(4))));
}

#[test]
fn a_file_cut_at_any_byte_is_rejected() {
    let bytes = encode(&COLUMNS, &odd_rows()[..2]);
    for length in 0..bytes.len() {
        assert!(load(&bytes[..length]).is_err(), "cut at {length} of {} accepted", bytes.len());
    }
    assert!(load(&bytes).is_ok());
}

#[test]
fn any_corrupt_byte_is_rejected() {
    let bytes = encode(&COLUMNS, &odd_rows()[..2]);
    for at in 0..bytes.len() {
        for flip in [0x01, 0x80, 0xff] {
            let mut corrupt = bytes.clone();
            corrupt[at] ^= flip;
            assert!(load(&corrupt).is_err(), "byte {at} ^ {flip:#x} accepted");
        }
    }
}

#[test]
fn foreign_files_are_told_apart_from_damaged_ones() {
    for foreign in [&b""[..], b"{\"access_token\":\"t\"}", b"\xEF\xBB\xBFReport Refresh Date,User\r\n"] {
        assert!(matches!(load(foreign), Err(Invalid::Foreign(_))), "{foreign:?}");
    }
    let bytes = encode(&COLUMNS, &odd_rows());
    let scratch = Scratch::new(&bytes);
    assert!(matches!(open(scratch.file(), b"another key"), Err(Invalid::Foreign("another key"))));
    let mut newer = bytes.clone();
    newer[8] = 3;
    assert!(matches!(load(&newer), Err(Invalid::Foreign(_))));
    assert!(matches!(load(&bytes[..bytes.len() - 1]), Err(Invalid::Damaged(_))));
}

#[test]
fn a_file_cut_after_verification_fails_the_scan() {
    let bytes = encode(&COLUMNS, &odd_rows());
    let scratch = Scratch::new(&bytes);
    let records = open(scratch.file(), KEY).expect("open").verify().expect("verify");
    // Only an in-place rewrite can do this: the cache never does one.
    let file = std::fs::OpenOptions::new().write(true).open(&scratch.0).expect("reopen");
    file.set_len(bytes.len() as u64 / 2).expect("truncate");
    let result = records.scan(&[0, 1, 2, 3], |_| Ok::<_, ()>(()));
    assert!(matches!(result, Err(ScanError::Stored(Invalid::Damaged(_)))), "{result:?}");
}

/// A report of `count` users named from `names`, indexed by name (column 1).
fn indexed(names: &[Vec<u8>]) -> Vec<u8> {
    let created = UNIX_EPOCH + Duration::from_millis(1_795_723_192_123);
    let mut writer = Writer::indexed(Vec::new(), KEY, created, &COLUMNS[..3], Some(COLUMNS[1])).expect("header");
    for (i, name) in names.iter().enumerate() {
        writer.record([b"2026-11-22".to_vec(), name.clone(), format!("{i}").into_bytes()]).expect("record");
    }
    writer.finish().expect("finish")
}

/// The records (number, name) a lookup of `prefixes` visits.
fn selected(bytes: &[u8], prefixes: &[&[u8]]) -> Result<Vec<(u64, Vec<u8>)>, Invalid> {
    let scratch = Scratch::new(bytes);
    let ranges: Vec<KeyRange> = prefixes.iter().map(|p| KeyRange::prefix(p)).collect();
    let records = open(scratch.file(), KEY)?.select(COLUMNS[1], &ranges)?;
    let mut rows = Vec::new();
    records
        .scan(&[1], |record| {
            rows.push((record.index(), record.get(0).to_vec()));
            Ok::<_, ()>(())
        })
        .map_err(|_| Invalid::Damaged("scan"))?;
    Ok(rows)
}

/// What a full scan keeps of the same: the first record and those of the prefixes.
fn expected(names: &[Vec<u8>], prefixes: &[&[u8]]) -> Vec<(u64, Vec<u8>)> {
    (0..names.len())
        .filter(|&i| i == 0 || prefixes.iter().any(|p| names[i].starts_with(p)))
        .map(|i| (i as u64, names[i].clone()))
        .collect()
}

fn user_names(count: usize) -> Vec<Vec<u8>> {
    // Not in order, as reports are not: runs and pages must be merged.
    (0..count).map(|i| format!("user{:06}@contoso.com", (i * 7919) % count).into_bytes()).collect()
}

#[test]
fn a_lookup_visits_the_first_record_and_those_of_its_prefixes() {
    let names = user_names(RUN_RECORDS * 2 + 300);
    let bytes = indexed(&names);
    for prefixes in
        [&[&b"user000123@contoso.com"[..]][..], &[b"user0001"], &[b"user01", b"user020"], &[b"nobody"], &[b""]]
    {
        assert_eq!(selected(&bytes, prefixes).expect("valid"), expected(&names, prefixes), "{prefixes:?}");
    }
    // A file without an index answers every record.
    let plain = encode(&COLUMNS[..3], &names.iter().map(|n| vec![vec![], n.clone(), vec![]]).collect::<Vec<_>>());
    assert_eq!(selected(&plain, &[b"user000001"]).expect("valid").len(), names.len());
}

#[test]
fn a_lookup_checks_what_it_reads_and_a_full_check_everything() {
    let names = user_names(BLOCK_RECORDS * 3);
    let bytes = indexed(&names);
    let scratch = Scratch::new(&bytes);
    let opened = open(scratch.file(), KEY).expect("open");
    let directory = opened.directory().expect("directory");
    let block = directory.blocks[2].section;
    let page = directory.runs[0][0].1.clone();
    let page_section = directory.runs[0][0].0;
    assert_eq!(directory.first_key(&page), b"user000000@contoso.com");
    let damage = |at: u64| {
        let mut copy = bytes.clone();
        copy[usize::try_from(at).expect("offset")] ^= 0x20;
        copy
    };
    let wanted = format!("user{:06}@contoso.com", (BLOCK_RECORDS * 2 + 5) * 7919 % names.len());
    // A byte of the block holding the wanted record.
    let in_block = damage(block.offset + block.length / 2);
    assert!(selected(&in_block, &[wanted.as_bytes()]).is_err());
    assert!(load(&in_block).is_err());
    // Elsewhere, a lookup that does not read it still answers; a full check does not.
    assert_eq!(selected(&in_block, &[b"nobody"]).expect("block 0 only"), expected(&names, &[b"nobody"]));
    // A byte of the index page of the first keys, of the directory, of the trailer.
    let in_page = damage(page_section.offset + 3);
    assert!(selected(&in_page, &[b"user000000"]).is_err());
    assert!(load(&in_page).is_err());
    for at in [directory.offset + 2, bytes.len() as u64 - TRAILER + 20, bytes.len() as u64 - TRAILER + 3] {
        assert!(selected(&damage(at), &[b"user000000"]).is_err(), "byte {at}");
        assert!(load(&damage(at)).is_err(), "byte {at}");
    }
    // A v1 file is foreign: the cache downloads again.
    let mut old = bytes.clone();
    old[8] = 1;
    assert!(matches!(selected(&old, &[b"user"]), Err(Invalid::Foreign(_))));
}

#[test]
fn prefix_ranges_end_where_the_prefix_does() {
    let range = KeyRange::prefix(b"ab\xff");
    assert!(range.contains(b"ab\xff") && range.contains(b"ab\xff\xff\x01"));
    assert!(!range.contains(b"ab") && !range.contains(b"ac"));
    assert!(KeyRange::prefix(b"\xff").contains(b"\xff\xff\xff"));
    assert!(KeyRange::prefix(b"").contains(b""));
}

proptest! {
    #[test]
    fn a_lookup_visits_what_a_full_scan_filters(
        picks in proptest::collection::vec(0usize..40, 1..3000),
        prefixes in proptest::collection::vec(proptest::collection::vec(b'a'..b'e', 0..4), 1..4),
    ) {
        // Few distinct letters: many shared prefixes and equal keys across pages.
        let names: Vec<Vec<u8>> = picks.iter().map(|&i| {
            let mut name = vec![b'a' + (i % 4) as u8, b'a' + (i / 4 % 4) as u8];
            name.extend_from_slice(&i.to_le_bytes()[..1]);
            name
        }).collect();
        let prefixes: Vec<&[u8]> = prefixes.iter().map(Vec::as_slice).collect();
        let bytes = indexed(&names);
        prop_assert_eq!(selected(&bytes, &prefixes).expect("valid"), expected(&names, &prefixes));
    }

    #[test]
    fn index_pages_list_each_runs_keys_in_order(
        shared in 0usize..24,
        tails in proptest::collection::vec(proptest::collection::vec(prop_oneof![Just(0u8), Just(b'a'), Just(0xff)], 0..4), 1..700),
    ) {
        // Keys alike in their first bytes, or shorter than them, some ending in
        // zeros: the writer's sort compares the first bytes as integers, then the
        // rest only where those tie.
        let names: Vec<Vec<u8>> = tails.iter().map(|tail| {
            let mut name: Vec<u8> = (0..shared).map(|i| b'k' + (i % 3) as u8).collect();
            name.extend_from_slice(tail);
            name
        }).collect();
        let bytes = indexed(&names);
        let scratch = Scratch::new(&bytes);
        let directory = open(scratch.file(), KEY).expect("open").directory().expect("directory");
        let mut listed = Vec::new();
        for run in &directory.runs {
            for (section, _) in run {
                let page = &bytes[section.offset as usize..(section.offset + section.length) as usize];
                read_page(check_crc(page, "page").expect("page"), |key, record| {
                    listed.push((key.to_vec(), record));
                    Ok(())
                }).expect("page");
            }
        }
        let mut sorted: Vec<(Vec<u8>, u64)> = names.iter().cloned().zip(0..).collect();
        sorted.sort();
        // One run here: the pages list every key, in order, equal keys by record.
        prop_assert_eq!(listed, sorted);
    }

    #[test]
    fn any_rectangular_report_round_trips(
        width in 1usize..6,
        cells in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 0..120),
        repeat in proptest::collection::vec(any::<bool>(), 120),
    ) {
        let columns: Vec<Vec<u8>> = (0..width).map(|i| format!("c{i}").into_bytes()).collect();
        let mut rows: Vec<Vec<Vec<u8>>> = cells.chunks_exact(width).map(<[Vec<u8>]>::to_vec).collect();
        // Repeats, as reports have them.
        for i in 1..rows.len() {
            if repeat[i] {
                rows[i][0] = rows[i - 1][0].clone();
            }
        }
        let records = load(&encode(&columns.iter().map(Vec::as_slice).collect::<Vec<_>>(), &rows)).expect("valid");
        let all: Vec<usize> = (0..width).collect();
        prop_assert_eq!(read_all(&records, &all), rows);
    }
}

#[test]
fn varints_round_trip_and_cut_ones_are_refused() {
    let mut bytes = Vec::new();
    for value in [0, 1, 127, 128, 300, u64::from(u32::MAX), u64::MAX] {
        bytes.clear();
        put_varint(&mut bytes, value);
        let mut cursor = 0;
        assert_eq!(varint(&bytes, &mut cursor), Some(value));
        assert_eq!(cursor, bytes.len());
        let mut cursor = 0;
        assert_eq!(varint(&bytes[..bytes.len() - 1], &mut cursor), None, "{value} cut");
    }
}
