//! Reading a report from the cache against parsing its CSV: the mock's generated
//! mailbox usage report (18 columns, byte for byte what `mockgraph --users N`
//! serves) parsed with the `csv` crate, against the same report stored as a record
//! file ([`centreon_plugin::records`]) and read back — checked whole, then scanned —
//! for the three columns a per-mailbox check reads; and the lookup of one mailbox, and
//! of a prefix, in the copy's index, as a warm per-mailbox check reads it.
//!
//! Writing the copy is timed twice: on the report as the mock serves it (users in
//! order of name, as the index's sort likes them best) and on the same records
//! shuffled, as a tenant's report need not be ordered by name.
//!
//! Before timing, it prints the size of each report as CSV and as a record file at
//! 100,000 and 1,000,000 users, and the peak memory (heap and resident) a check
//! and scan adds to the process.
//!
//! `cargo bench --bench records`

// Only the generated tenant of the mock is used here; its test modules compile
// without their `#[test]` functions under `cargo clippy --all-targets`.
#[allow(dead_code, unused_imports)]
#[path = "../tests/mock/mod.rs"]
mod mock;

use std::alloc::{GlobalAlloc, Layout, System};
use std::fs::{self, File};
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use centreon_plugin::records::{self, Writer};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

/// Tenant sizes, in users.
const SIZES: [usize; 2] = [100_000, 1_000_000];

/// The mock's default seed: the reports `mockgraph --users N` serves.
const SEED: u64 = 7;

/// The key stored in the bench's record files.
const KEY: &[u8] = b"bench";

/// What a per-mailbox check reads of the mailbox usage report.
const READ: [&str; 3] = ["Report Refresh Date", "User Principal Name", "Storage Used (Byte)"];

/// The column the stored copies are indexed by, as the report cache indexes them.
const INDEX: &str = "User Principal Name";

/// The UTF-8 byte order mark the reports start with.
const BOM: &[u8] = b"\xEF\xBB\xBF";

fn csv_reader(csv: &[u8]) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .buffer_capacity(64 * 1024)
        .from_reader(csv.strip_prefix(BOM).unwrap_or(csv))
}

/// Parses `csv` as the download path does, touching the cells of [`READ`]; returns
/// the rows and the bytes read, so that nothing is optimised away.
fn parse_csv(csv: &[u8]) -> (u64, usize) {
    let mut reader = csv_reader(csv);
    let mut record = csv::ByteRecord::new();
    reader.read_byte_record(&mut record).expect("header");
    let columns: Vec<usize> =
        READ.iter().map(|name| record.iter().position(|c| c == name.as_bytes()).expect("column")).collect();
    let (mut rows, mut bytes) = (0, 0);
    while reader.read_byte_record(&mut record).expect("record") {
        rows += 1;
        bytes += columns.iter().map(|&c| record.get(c).map_or(0, <[u8]>::len)).sum::<usize>();
    }
    (rows, bytes)
}

/// Stores `csv` as the record file `path`, as the download path will while it
/// parses (without the cache's rename); returns the file's size.
fn store(csv: &[u8], path: &Path) -> u64 {
    let mut reader = csv_reader(csv);
    let mut record = csv::ByteRecord::new();
    reader.read_byte_record(&mut record).expect("header");
    // A new file, as the cache writes (truncating the previous run's would time the
    // file system's flush of it instead).
    let _ = fs::remove_file(path);
    let out = BufWriter::with_capacity(64 * 1024, File::create_new(path).expect("create"));
    let mut writer =
        Writer::indexed(out, KEY, SystemTime::now(), record.iter(), Some(INDEX.as_bytes())).expect("header");
    while reader.read_byte_record(&mut record).expect("record") {
        writer.record(record.iter()).expect("record");
    }
    writer.finish().expect("finish");
    fs::metadata(path).expect("size").len()
}

/// Opens and checks the record file `path` whole.
fn verify(path: &Path) -> records::Records {
    records::open(File::open(path).expect("open"), KEY).expect("record file").verify().expect("valid")
}

/// Checks then scans the record file `path` for the cells of [`READ`] (those the
/// report has).
fn scan_store(path: &Path) -> (u64, usize) {
    let stored = verify(path);
    let columns: Vec<usize> = READ.iter().filter_map(|name| stored.column(name.as_bytes())).collect();
    let (mut rows, mut bytes) = (0, 0);
    stored
        .scan(&columns, |record| {
            rows += 1;
            bytes += (0..record.len()).map(|i| record.get(i).len()).sum::<usize>();
            Ok::<_, ()>(())
        })
        .expect("scan");
    (rows, bytes)
}

/// Looks `prefix` up in the record file `path`'s index, as a warm per-mailbox check
/// does (the directory, the index pages and the blocks of the records found checked),
/// then scans the records found for the cells of [`READ`]; returns the rows.
fn lookup_scan(path: &Path, prefix: &[u8]) -> u64 {
    let opened = records::open(File::open(path).expect("open"), KEY).expect("record file");
    let stored = opened.select(INDEX.as_bytes(), &[records::KeyRange::prefix(prefix)]).expect("valid");
    let columns: Vec<usize> = READ.iter().filter_map(|name| stored.column(name.as_bytes())).collect();
    let mut rows = 0;
    stored
        .scan(&columns, |_| {
            rows += 1;
            Ok::<_, ()>(())
        })
        .expect("scan");
    rows
}

/// A kernel counter of this process from `/proc/self/status`, in KiB.
fn status_kib(field: &str) -> Option<u64> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// What a check and scan of `path` adds to the process at its peak: heap bytes
/// (counted by [`Counting`]) and resident KiB (the high-water mark is reset with
/// Linux `clear_refs` 5 just before; pages the allocator already holds are reused,
/// so this can be less than the heap figure).
fn scan_peak(path: &Path) -> (usize, Option<u64>) {
    let rss_before = fs::write("/proc/self/clear_refs", "5").ok().and_then(|()| status_kib("VmRSS:"));
    let heap_before = Counting::reset_peak();
    criterion::black_box(scan_store(path));
    let heap = Counting::peak().saturating_sub(heap_before);
    let rss = rss_before.and_then(|before| Some(status_kib("VmHWM:")?.saturating_sub(before)));
    (heap, rss)
}

/// The system allocator, counting the bytes in use and their peak.
struct Counting;

static IN_USE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

impl Counting {
    /// Sets the peak to what is in use now, and returns it.
    fn reset_peak() -> usize {
        let now = IN_USE.load(Ordering::SeqCst);
        PEAK.store(now, Ordering::SeqCst);
        now
    }

    fn peak() -> usize {
        PEAK.load(Ordering::SeqCst)
    }
}

// SAFETY: every call is forwarded to the system allocator unchanged; only counters
// are updated beside it.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let now = IN_USE.fetch_add(layout.size(), Ordering::SeqCst) + layout.size();
        PEAK.fetch_max(now, Ordering::SeqCst);
        // SAFETY: the caller's contract is passed on as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        IN_USE.fetch_sub(layout.size(), Ordering::SeqCst);
        // SAFETY: the caller's contract is passed on as is.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

struct Tenant {
    users: usize,
    csv: Vec<u8>,
    path: PathBuf,
}

/// `csv` with its records (not its header) in a shuffled order, the same on every
/// run (a fixed xorshift generator drives a Fisher-Yates shuffle).
fn shuffled(csv: &[u8]) -> Vec<u8> {
    let mut records: Vec<csv::ByteRecord> =
        csv_reader(csv).byte_records().map(|record| record.expect("record")).collect();
    let header = records.remove(0);
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    for i in (1..records.len()).rev() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        records.swap(i, (state % (i as u64 + 1)) as usize);
    }
    let mut writer = csv::Writer::from_writer(Vec::with_capacity(csv.len()));
    writer.write_byte_record(&header).expect("write");
    for record in &records {
        writer.write_byte_record(record).expect("write");
    }
    writer.into_inner().expect("flush")
}

fn scratch(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("records-bench-{}-{name}", std::process::id()))
}

/// Generates the tenants, prints the sizes and the scan's memory, and keeps the
/// mailbox usage reports (CSV and stored) for the timings.
fn tenants() -> Vec<Tenant> {
    let mut tenants = Vec::new();
    println!(
        "{:>9} {:<16} {:>12} {:>12} {:>6} {:>14} {:>12}",
        "users", "report", "CSV bytes", "stored", "ratio", "scan heap", "scan RSS"
    );
    for users in SIZES {
        let tenant = mock::Tenant::generated(users, SEED);
        for report in ["mailbox_D7.csv", "email_D7.csv", "email_daily.csv"] {
            let csv = tenant.file(report).expect("generated report");
            let path = scratch(&format!("{users}-{report}"));
            let size = store(csv, &path);
            let (heap, rss) = scan_peak(&path);
            let rss = rss.map_or("unavailable".to_string(), |kib| format!("{kib} KiB"));
            println!(
                "{users:>9} {report:<16} {:>12} {size:>12} {:>6.2} {:>10} KiB {rss:>12}",
                csv.len(),
                size as f64 / csv.len() as f64,
                heap / 1024
            );
            if report == "mailbox_D7.csv" {
                tenants.push(Tenant { users, csv: csv.to_vec(), path });
            } else {
                let _ = fs::remove_file(&path);
            }
        }
    }
    tenants
}

fn read(c: &mut Criterion) {
    let tenants = tenants();
    let mut group = c.benchmark_group("mailbox_usage");
    for tenant in &tenants {
        let samples = if tenant.users >= 1_000_000 { 10 } else { 30 };
        group.sample_size(samples).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(4));
        group.throughput(Throughput::Elements(tenant.users as u64));
        assert_eq!(parse_csv(&tenant.csv), scan_store(&tenant.path), "both read the same cells");
        group.bench_with_input(BenchmarkId::new("csv_parse", tenant.users), &tenant.csv, |b, csv| {
            b.iter(|| parse_csv(csv))
        });
        group.bench_with_input(BenchmarkId::new("store_verify_scan", tenant.users), &tenant.path, |b, path| {
            b.iter(|| scan_store(path))
        });
        group.bench_with_input(BenchmarkId::new("store_verify_only", tenant.users), &tenant.path, |b, path| {
            b.iter(|| verify(path).len())
        });
        let one = format!("user{:06}@contoso.onmicrosoft.com", tenant.users / 2);
        let prefix = format!("user{:05}", tenant.users / 20);
        // The first record comes with the mailboxes found.
        assert_eq!(lookup_scan(&tenant.path, one.as_bytes()), 2, "one mailbox");
        assert_eq!(lookup_scan(&tenant.path, prefix.as_bytes()), 11, "ten mailboxes");
        group.bench_with_input(BenchmarkId::new("index_lookup_one", tenant.users), &tenant.path, |b, path| {
            b.iter(|| lookup_scan(path, one.as_bytes()))
        });
        group.bench_with_input(BenchmarkId::new("index_lookup_prefix", tenant.users), &tenant.path, |b, path| {
            b.iter(|| lookup_scan(path, prefix.as_bytes()))
        });
        let written = scratch(&format!("{}-written", tenant.users));
        group.bench_with_input(BenchmarkId::new("csv_parse_and_store", tenant.users), &tenant.csv, |b, csv| {
            b.iter(|| store(csv, &written))
        });
        let shuffled = shuffled(&tenant.csv);
        assert_eq!(parse_csv(&shuffled).0, tenant.users as u64, "every record shuffled");
        group.bench_with_input(BenchmarkId::new("csv_parse_and_store_shuffled", tenant.users), &shuffled, |b, csv| {
            b.iter(|| store(csv, &written))
        });
        let _ = fs::remove_file(&written);
    }
    group.finish();
    for tenant in &tenants {
        let _ = fs::remove_file(&tenant.path);
    }
}

criterion_group!(benches, read);
criterion_main!(benches);
