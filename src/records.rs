//! Record files: a CSV report kept on disk in a form that reads back several times
//! faster than the CSV itself — its header and every record, all columns, so that
//! whatever columns a later reader wants, one stored copy serves it.
//!
//! A file is written while the report streams in ([`Writer`], fed the cells of each
//! parsed record) and read back as records of cells ([`Records::scan`]) with nothing
//! allocated per record and memory that does not grow with the report.
//!
//! Records are stored in blocks of up to [`BLOCK_RECORDS`] records, column by
//! column, so that a reader fetches and decodes only the columns it asks for (a
//! per-mailbox check reads 3 of 18) and hands out cells as slices of what it read.
//!
//! A file may also hold an index by one column (the *key*, chosen by the writer: a
//! user's name), so that a reader after a few records ([`Opened::select`], given
//! ranges of keys) reads and checks only the index pages and the blocks that hold
//! them, whatever the size of the report. Reports are not sorted and the writer keeps
//! little memory, so the index is a set of sorted *runs*: the keys of each
//! [`RUN_RECORDS`] records, sorted as the run closes and written as pages between
//! the blocks; the directory at the end lists every page with its first key. A
//! lookup reads the directory, then in each run the pages whose keys may fall in the
//! ranges.
//!
//! Layout (integers little-endian; *varint* is unsigned LEB128; *CRC* is the CRC-32
//! of the bytes of its section before it, a u32):
//!
//! * header: [`MAGIC`], format [`VERSION`] (u32), creation time (u64, milliseconds
//!   since the Unix epoch), the key (varint length, bytes), the column count
//!   (varint), each column name (varint length, bytes), CRC;
//! * sections, each ending with its CRC, blocks and index pages in the order written:
//!   * a block: its record count (varint), the byte length of each column's segment
//!     (varints), then the segments in column order. A segment holds, for each
//!     record of the block, a varint *code* — `0` means the same cell as the
//!     previous record's in this block (report dates, quotas and flags repeat row
//!     after row), `n > 0` a cell of `n - 1` bytes, which follow. Cells are bytes,
//!     stored as given: any byte, quote, comma or line end round-trips;
//!   * an index page: its entry count (varint), then each entry in key order: the
//!     key (varint length, bytes) and the record's number from 0 (varint);
//! * directory: the key column plus one (varint, 0: no index), the block count
//!   (varint) and each block's offset, length and record count (varints), the run
//!   count (varint) and for each run its page count (varint) and each page's offset,
//!   length and first key (varints, the key's bytes), CRC;
//! * trailer: the record count (u64), the file length (u64), the directory's offset
//!   (u64), CRC, and [`TAIL`].
//!
//! Trust: every section carries its own checksum and the directory says where each
//! lies, so a reader checks what it reads, and only that, before a single record of
//! it reaches a visitor: [`Opened::verify`] checks the whole file (every section,
//! and that they tile it), [`Opened::select`] the directory, the pages it reads and
//! the blocks it will scan. A cut, corrupt or foreign file is thus rejected before
//! any record is handed out, never halfway through. The scan that follows reads the
//! same open file (the same inode, whatever is renamed over its name meanwhile);
//! files are only ever replaced, never rewritten in place, so what was verified is
//! what is scanned. A scan still checks the structure as it goes and reports a
//! mismatch as [`ScanError::Stored`] — which can only mean the file was rewritten in
//! place under it, and which the caller must treat as a failure of the whole read,
//! not as a partial result.

use std::fmt;
use std::fs::File;
use std::io;
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

mod writer;

pub use writer::Writer;

/// The first bytes of every record file.
pub const MAGIC: &[u8; 8] = b"\x89RECORDS";

/// The layout version; a file of another version is foreign (a cache's miss).
pub const VERSION: u32 = 2;

/// The last bytes of every complete record file.
pub const TAIL: &[u8; 4] = b"END\n";

/// The most records in a block. With [`BLOCK_BYTES`], it bounds what a writer holds
/// and what a reader fetches at once.
pub const BLOCK_RECORDS: usize = 4096;

/// The most records in a run of the index: the writer sorts this many keys at once.
pub const RUN_RECORDS: usize = 8 * 1024;

/// A block is closed once its segments hold this many bytes, whatever its records.
const BLOCK_BYTES: usize = 1 << 20;

/// A run is closed once its keys hold this many bytes, whatever its records.
const RUN_BYTES: usize = 1 << 19;

/// The most entries in an index page: what a lookup reads per run at least.
const PAGE_ENTRIES: usize = 128;

/// A section's checksum.
const CRC: usize = 4;

/// Record count, file length, directory offset, checksum, tail.
const TRAILER: u64 = 8 + 8 + 8 + CRC as u64 + 4;

/// The fixed part of the header: magic, version, creation time.
const FIXED_HEADER: usize = 8 + 4 + 8;

/// The longest varint (a u64).
const VARINT_MAX: usize = 10;

/// The read buffer of the checksum pass.
const BUFFER: usize = 64 * 1024;

/// The read buffer of the header: most headers (key and column names) fit.
const HEADER_BUFFER: usize = 4 * 1024;

/// Why a file cannot be used. Every variant means the same to a cache: a miss.
#[derive(Debug)]
pub enum Invalid {
    /// Reading failed.
    Io(io::Error),
    /// Not a record file of this version, or one holding another key.
    Foreign(&'static str),
    /// A record file, but cut short or corrupt.
    Damaged(&'static str),
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Invalid::Io(e) => write!(f, "cannot be read: {e}"),
            Invalid::Foreign(why) => write!(f, "is foreign ({why})"),
            Invalid::Damaged(why) => write!(f, "is damaged ({why})"),
        }
    }
}

/// Why a scan stopped.
#[derive(Debug)]
pub enum ScanError<E> {
    /// The visitor's own error, returned as is.
    Visit(E),
    /// A requested column index is not below the column count.
    NoColumn(usize),
    /// The file no longer matches what was verified: the rows already visited must
    /// be thrown away with it.
    Stored(Invalid),
}

impl<E: fmt::Display> fmt::Display for ScanError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScanError::Visit(e) => e.fmt(f),
            ScanError::NoColumn(index) => write!(f, "stored report has no column #{index}"),
            ScanError::Stored(invalid) => write!(f, "stored report {invalid} while being read"),
        }
    }
}

/// The keys from `start` (included) to `end` (excluded; `None`: no end), compared
/// as bytes: what a reader of a few records asks the index for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRange {
    start: Vec<u8>,
    end: Option<Vec<u8>>,
}

impl KeyRange {
    /// Every key that starts with `prefix` (a whole key included).
    pub fn prefix(prefix: &[u8]) -> KeyRange {
        let mut end = prefix.to_vec();
        while end.last() == Some(&0xff) {
            end.pop();
        }
        let end = end.last_mut().map(|last| *last += 1).map(|()| end);
        KeyRange { start: prefix.to_vec(), end }
    }

    /// Whether `key` is in the range.
    pub fn contains(&self, key: &[u8]) -> bool {
        key >= self.start.as_slice() && self.end.as_deref().is_none_or(|end| key < end)
    }

    /// Whether a key from `first` to `last` (`None`: no bound) may be in the range.
    fn meets(&self, first: &[u8], last: Option<&[u8]>) -> bool {
        self.end.as_deref().is_none_or(|end| first < end) && last.is_none_or(|last| last >= self.start.as_slice())
    }
}

/// Where a section lies in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Section {
    offset: u64,
    /// Its length, checksum included.
    length: u64,
}

/// A block of the file: where it lies and its records.
#[derive(Debug, Clone, Copy)]
struct Block {
    section: Section,
    /// The number of its first record.
    first: u64,
    records: u64,
}

/// A record file whose header has been read and checked and whose key matches; the
/// rest not yet trusted.
#[derive(Debug)]
pub struct Opened {
    file: File,
    length: u64,
    created: SystemTime,
    columns: Vec<Box<[u8]>>,
    body: u64,
}

/// When the record file `file` says it was stored, whatever its key: the age a
/// cache prunes by, read from the file itself, so that it follows the clock that
/// wrote it and not the file system's modification time. `None` for a file that is
/// not a record file of this version.
pub fn created(file: &File) -> Option<SystemTime> {
    let mut fixed = [0u8; FIXED_HEADER];
    file.read_exact_at(&mut fixed, 0).ok()?;
    if &fixed[..MAGIC.len()] != MAGIC || fixed[8..12] != VERSION.to_le_bytes() {
        return None;
    }
    let millis = u64::from_le_bytes(fixed[12..20].try_into().ok()?);
    Some(UNIX_EPOCH + Duration::from_millis(millis))
}

/// Reads the header of the record file `file`, checks its checksum and that it holds
/// `key`. Cheap: a file that turns out expired costs one small read.
pub fn open(file: File, key: &[u8]) -> Result<Opened, Invalid> {
    let length = file.metadata().map_err(Invalid::Io)?.len();
    let mut magic = [0u8; MAGIC.len()];
    if length < MAGIC.len() as u64 || file.read_exact_at(&mut magic, 0).is_err() || &magic != MAGIC {
        return Err(Invalid::Foreign("not a record file"));
    }
    if length < FIXED_HEADER as u64 + TRAILER {
        return Err(Invalid::Damaged("cut short"));
    }
    let mut input = Input::new(&file, 0, length - TRAILER);
    let mut fixed = [0u8; FIXED_HEADER];
    input.read_exact(&mut fixed)?;
    if fixed[8..12] != VERSION.to_le_bytes() {
        return Err(Invalid::Foreign("another format version"));
    }
    let millis = u64::from_le_bytes(fixed[12..20].try_into().unwrap_or_default());
    let created = UNIX_EPOCH + Duration::from_millis(millis);
    let mut stored_key = Vec::new();
    let key_length = input.varint()?;
    if key_length != key.len() as u64 {
        return Err(Invalid::Foreign("another key"));
    }
    input.copy(key_length, &mut stored_key)?;
    if stored_key != key {
        return Err(Invalid::Foreign("another key"));
    }
    let count = input.varint()?;
    if count == 0 || count > length {
        return Err(Invalid::Damaged("bad column count"));
    }
    let mut columns = Vec::new();
    let mut name = Vec::new();
    for _ in 0..count {
        let size = input.varint()?;
        input.copy(size, &mut name)?;
        columns.push(name.as_slice().into());
    }
    let header = input.position();
    let body = header + CRC as u64;
    let mut bytes = vec![0u8; usize::try_from(body).map_err(|_| Invalid::Damaged("header too long"))?];
    read_exact_at(&file, &mut bytes, 0)?;
    check_crc(&bytes, "header checksum mismatch")?;
    Ok(Opened { file, length, created, columns, body })
}

/// Checks the checksum that ends `section`; hands back what it covers.
fn check_crc<'a>(section: &'a [u8], why: &'static str) -> Result<&'a [u8], Invalid> {
    let (covered, crc) = section.split_at_checked(section.len().wrapping_sub(CRC)).ok_or(Invalid::Damaged(why))?;
    if crc32fast::hash(covered).to_le_bytes() != crc {
        return Err(Invalid::Damaged(why));
    }
    Ok(covered)
}

/// What the directory says of a file, checked.
struct Directory {
    /// The key column, when the file has an index.
    key: Option<usize>,
    blocks: Vec<Block>,
    /// Each run's pages: section and first key (a range of `bytes`).
    runs: Vec<Vec<(Section, Range<usize>)>>,
    bytes: Vec<u8>,
    records: u64,
    /// Where the directory starts: the sections end there.
    offset: u64,
}

impl Directory {
    fn first_key(&self, key: &Range<usize>) -> &[u8] {
        self.bytes.get(key.clone()).unwrap_or_default()
    }
}

impl Opened {
    /// When the report was stored (downloaded).
    pub fn created(&self) -> SystemTime {
        self.created
    }

    /// Reads and checks the trailer and the directory.
    fn directory(&self) -> Result<Directory, Invalid> {
        let mut trailer = [0u8; TRAILER as usize];
        read_exact_at(&self.file, &mut trailer, self.length - TRAILER)?;
        if &trailer[TRAILER as usize - TAIL.len()..] != TAIL {
            return Err(Invalid::Damaged("no trailer: cut short"));
        }
        let covered = check_crc(&trailer[..TRAILER as usize - TAIL.len()], "trailer checksum mismatch")?;
        let word = |at: usize| u64::from_le_bytes(covered[at..at + 8].try_into().unwrap_or_default());
        let (records, length, offset) = (word(0), word(8), word(16));
        if length != self.length {
            return Err(Invalid::Damaged("length differs from the trailer's"));
        }
        if offset < self.body || offset > self.length - TRAILER {
            return Err(Invalid::Damaged("the directory lies outside the file"));
        }
        let size =
            usize::try_from(self.length - TRAILER - offset).map_err(|_| Invalid::Damaged("directory too long"))?;
        let mut bytes = vec![0u8; size];
        read_exact_at(&self.file, &mut bytes, offset)?;
        let covered = check_crc(&bytes, "directory checksum mismatch")?.len();
        let bad = || Invalid::Damaged("bad directory");
        let mut cursor = 0;
        let next = |cursor: &mut usize, bytes: &[u8]| varint(&bytes[..covered], cursor).ok_or_else(bad);
        let within = |section: Section| {
            section.length > CRC as u64
                && section.offset >= self.body
                && section.offset.checked_add(section.length).is_some_and(|end| end <= offset)
        };
        let key = match next(&mut cursor, &bytes)? {
            0 => None,
            n => Some(usize::try_from(n - 1).ok().filter(|&c| c < self.columns.len()).ok_or_else(bad)?),
        };
        let count = next(&mut cursor, &bytes)?;
        let mut blocks = Vec::new();
        let mut first = 0u64;
        for _ in 0..count {
            let section = Section { offset: next(&mut cursor, &bytes)?, length: next(&mut cursor, &bytes)? };
            let count = next(&mut cursor, &bytes)?;
            if !within(section) || count == 0 {
                return Err(bad());
            }
            blocks.push(Block { section, first, records: count });
            first = first.checked_add(count).ok_or_else(bad)?;
        }
        if first != records {
            return Err(Invalid::Damaged("records differ from the trailer's count"));
        }
        let run_count = next(&mut cursor, &bytes)?;
        let mut runs = Vec::new();
        for _ in 0..run_count {
            let pages = next(&mut cursor, &bytes)?;
            let mut run = Vec::new();
            for _ in 0..pages {
                let section = Section { offset: next(&mut cursor, &bytes)?, length: next(&mut cursor, &bytes)? };
                let size = usize::try_from(next(&mut cursor, &bytes)?).map_err(|_| bad())?;
                let key = cursor..cursor.checked_add(size).filter(|&end| end <= covered).ok_or_else(bad)?;
                cursor = key.end;
                if !within(section) {
                    return Err(bad());
                }
                run.push((section, key));
            }
            runs.push(run);
        }
        if cursor != covered || (key.is_none() && !runs.is_empty()) {
            return Err(bad());
        }
        Ok(Directory { key, blocks, runs, bytes, records, offset })
    }

    /// Checks the whole file — trailer, directory, every section's checksum, and
    /// that the sections tile the file — and makes it readable. Reads every byte
    /// once; memory stays one buffer and the directory.
    pub fn verify(self) -> Result<Records, Invalid> {
        let directory = self.directory()?;
        let mut sections: Vec<Section> = directory.blocks.iter().map(|block| block.section).collect();
        sections.extend(directory.runs.iter().flatten().map(|(section, _)| *section));
        sections.sort_unstable_by_key(|section| section.offset);
        let mut end = self.body;
        let mut buffer = vec![0u8; BUFFER];
        for section in &sections {
            if section.offset != end {
                return Err(Invalid::Damaged("sections do not tile the file"));
            }
            check_section(&self.file, *section, &mut buffer)?;
            end = section.offset + section.length;
        }
        if end != directory.offset {
            return Err(Invalid::Damaged("sections do not tile the file"));
        }
        Ok(self.into_records(directory, None))
    }

    /// The records whose key (the indexed column, which must be `column`) is in one
    /// of `ranges`, and the first record (reports repeat report-wide values, such as
    /// their date, on every record, and a reader may take them from the first). Reads
    /// and checks only the directory, the index pages that may hold such keys, and
    /// the blocks that hold the records: [`Records::scan`] then visits those records
    /// alone. A file without an index by `column` is verified whole
    /// ([`Opened::verify`]) and every record is visited: a superset, never fewer.
    pub fn select(self, column: &[u8], ranges: &[KeyRange]) -> Result<Records, Invalid> {
        let directory = self.directory()?;
        let indexed = directory.key.and_then(|key| self.columns.get(key)).is_some_and(|name| name.as_ref() == column);
        if !indexed {
            return self.verify();
        }
        let mut chosen: Vec<u64> = Vec::new();
        if directory.records > 0 {
            chosen.push(0);
        }
        let mut page = Vec::new();
        for run in &directory.runs {
            for (at, (section, first)) in run.iter().enumerate() {
                let first = directory.first_key(first);
                let last = run.get(at + 1).map(|(_, next)| directory.first_key(next));
                if !ranges.iter().any(|range| range.meets(first, last)) {
                    continue;
                }
                read_section(&self.file, *section, &mut page)?;
                let covered = check_crc(&page, "index page checksum mismatch")?;
                read_page(covered, |key, record| {
                    if record >= directory.records {
                        return Err(Invalid::Damaged("bad index page"));
                    }
                    if ranges.iter().any(|range| range.contains(key)) {
                        chosen.push(record);
                    }
                    Ok(())
                })?;
            }
        }
        chosen.sort_unstable();
        chosen.dedup();
        let mut buffer = vec![0u8; BUFFER];
        let mut checked = None;
        for &record in &chosen {
            let at = directory.blocks.partition_point(|block| block.first + block.records <= record);
            if checked != Some(at) {
                let block = directory.blocks.get(at).ok_or(Invalid::Damaged("bad index page"))?;
                check_section(&self.file, block.section, &mut buffer)?;
                checked = Some(at);
            }
        }
        Ok(self.into_records(directory, Some(chosen)))
    }

    fn into_records(self, directory: Directory, selection: Option<Vec<u64>>) -> Records {
        let Opened { file, length, created, columns, .. } = self;
        Records { file, length, created, columns, records: directory.records, blocks: directory.blocks, selection }
    }
}

/// Calls `entry` with the key and record of each entry of an index page.
fn read_page(page: &[u8], mut entry: impl FnMut(&[u8], u64) -> Result<(), Invalid>) -> Result<(), Invalid> {
    const BAD: Invalid = Invalid::Damaged("bad index page");
    let mut cursor = 0;
    let count = varint(page, &mut cursor).ok_or(BAD)?;
    for _ in 0..count {
        let size = usize::try_from(varint(page, &mut cursor).ok_or(BAD)?).map_err(|_| BAD)?;
        let key = page.get(cursor..cursor.saturating_add(size)).ok_or(BAD)?;
        cursor += size;
        let record = varint(page, &mut cursor).ok_or(BAD)?;
        entry(key, record)?;
    }
    if cursor != page.len() {
        return Err(BAD);
    }
    Ok(())
}

/// Reads `section` whole into `out`.
fn read_section(file: &File, section: Section, out: &mut Vec<u8>) -> Result<(), Invalid> {
    out.resize(usize::try_from(section.length).map_err(|_| Invalid::Damaged("section too long"))?, 0);
    read_exact_at(file, out, section.offset)
}

/// Checks the checksum of `section`, reading it through `buffer`.
fn check_section(file: &File, section: Section, buffer: &mut [u8]) -> Result<(), Invalid> {
    let covered = section.length - CRC as u64;
    let mut crc = crc32fast::Hasher::new();
    let mut offset = 0;
    while offset < covered {
        let want = usize::try_from(covered - offset).unwrap_or(buffer.len()).min(buffer.len());
        read_exact_at(file, &mut buffer[..want], section.offset + offset)?;
        crc.update(&buffer[..want]);
        offset += want as u64;
    }
    let mut stored = [0u8; CRC];
    read_exact_at(file, &mut stored, section.offset + covered)?;
    if crc.finalize().to_le_bytes() != stored {
        return Err(Invalid::Damaged("checksum mismatch"));
    }
    Ok(())
}

/// A verified record file, ready to scan: all of it, or the records a lookup chose.
#[derive(Debug)]
pub struct Records {
    file: File,
    length: u64,
    created: SystemTime,
    columns: Vec<Box<[u8]>>,
    records: u64,
    blocks: Vec<Block>,
    /// The records a scan visits, in order, when a lookup chose them.
    selection: Option<Vec<u64>>,
}

impl Records {
    /// When the report was stored (downloaded).
    pub fn created(&self) -> SystemTime {
        self.created
    }

    /// The header record: the column names, in stored order.
    pub fn columns(&self) -> &[Box<[u8]>] {
        &self.columns
    }

    /// The index of the first column named `name`.
    pub fn column(&self, name: &[u8]) -> Option<usize> {
        self.columns.iter().position(|c| c.as_ref() == name)
    }

    /// The number of records in the file (header excluded), chosen or not.
    pub fn len(&self) -> u64 {
        self.records
    }

    /// Whether there is no record (a report with its header only).
    pub fn is_empty(&self) -> bool {
        self.records == 0
    }

    /// The records a lookup chose ([`Opened::select`]), in order; `None`: all.
    pub fn selection(&self) -> Option<&[u64]> {
        self.selection.as_deref()
    }

    /// The size of the file, in bytes.
    pub fn size(&self) -> u64 {
        self.length
    }

    /// Calls `visit` with every record, in stored order — or, after a lookup, with
    /// the records it chose — holding the cells of the columns at indices `columns`
    /// (in that order; an index may repeat). Only those columns are read from the
    /// file, and only the blocks that hold a record to visit.
    pub fn scan<E>(
        &self,
        columns: &[usize],
        visit: impl FnMut(&Record<'_>) -> Result<(), E>,
    ) -> Result<(), ScanError<E>> {
        self.scan_some(columns, self.selection.as_deref(), visit)
    }

    /// [`Records::scan`] of every record, whatever a lookup chose. The blocks a
    /// lookup did not check are read unchecked: for messages only.
    pub fn scan_every<E>(
        &self,
        columns: &[usize],
        visit: impl FnMut(&Record<'_>) -> Result<(), E>,
    ) -> Result<(), ScanError<E>> {
        self.scan_some(columns, None, visit)
    }

    fn scan_some<E>(
        &self,
        columns: &[usize],
        selection: Option<&[u64]>,
        mut visit: impl FnMut(&Record<'_>) -> Result<(), E>,
    ) -> Result<(), ScanError<E>> {
        // Each distinct column read gets a slot: its segment and current cell.
        let mut stored = Vec::new();
        let mut requested = Vec::with_capacity(columns.len());
        for &index in columns {
            if index >= self.columns.len() {
                return Err(ScanError::NoColumn(index));
            }
            let slot = stored.iter().position(|&c| c == index).unwrap_or_else(|| {
                stored.push(index);
                stored.len() - 1
            });
            requested.push(slot);
        }
        let mut segments = vec![Vec::new(); stored.len()];
        let mut cells = vec![0..0; stored.len()];
        let mut cursors = vec![0; stored.len()];
        let mut head = vec![0u8; VARINT_MAX * (self.columns.len() + 1)];
        let mut sizes = vec![0u64; self.columns.len()];
        // Where the next chosen record is in `selection`.
        let mut next = 0;
        for block in &self.blocks {
            let end = block.first + block.records;
            // How many records of this block to decode: all, or up to the last chosen.
            let last = match selection {
                None => block.records,
                Some(chosen) => {
                    next += chosen.get(next..).unwrap_or_default().partition_point(|&record| record < block.first);
                    let within = chosen.get(next..).unwrap_or_default().partition_point(|&record| record < end);
                    match within.checked_sub(1).and_then(|at| chosen.get(next + at)) {
                        Some(&record) => record - block.first + 1,
                        None => continue,
                    }
                }
            };
            let data = self.block_head(block, &mut head, &mut sizes).map_err(ScanError::Stored)?;
            let mut start = data;
            for (column, &size) in sizes.iter().enumerate() {
                for (slot, _) in stored.iter().enumerate().filter(|&(_, &c)| c == column) {
                    let segment = &mut segments[slot];
                    segment.resize(usize::try_from(size).unwrap_or(usize::MAX), 0);
                    read_exact_at(&self.file, segment, start).map_err(ScanError::Stored)?;
                    cursors[slot] = 0;
                }
                start += size;
            }
            if start + CRC as u64 != block.section.offset + block.section.length {
                return Err(ScanError::Stored(Invalid::Damaged("a block differs from the directory")));
            }
            for row in 0..last {
                for (slot, segment) in segments.iter().enumerate() {
                    let cursor = &mut cursors[slot];
                    // Not `ok_or`: building (and dropping) the error for every cell costs.
                    let Some(code) = varint(segment, cursor) else {
                        return Err(ScanError::Stored(DAMAGED_SEGMENT));
                    };
                    if code == 0 {
                        if row == 0 {
                            return Err(ScanError::Stored(Invalid::Damaged("a block starts with a repeat")));
                        }
                        continue;
                    }
                    let size = usize::try_from(code - 1).unwrap_or(usize::MAX);
                    if size > segment.len() - *cursor {
                        return Err(ScanError::Stored(DAMAGED_SEGMENT));
                    }
                    cells[slot] = *cursor..*cursor + size;
                    *cursor += size;
                }
                let index = block.first + row;
                if let Some(chosen) = selection {
                    if chosen.get(next) != Some(&index) {
                        continue;
                    }
                    next += 1;
                }
                visit(&Record { segments: &segments, cells: &cells, requested: &requested, index })
                    .map_err(ScanError::Visit)?;
            }
            if last == block.records && cursors.iter().zip(&segments).any(|(&cursor, segment)| cursor != segment.len())
            {
                return Err(ScanError::Stored(DAMAGED_SEGMENT));
            }
        }
        Ok(())
    }

    /// Reads the head of `block` into `sizes` (segment lengths) and checks its record
    /// count; returns where its first segment starts.
    fn block_head(&self, block: &Block, head: &mut [u8], sizes: &mut [u64]) -> Result<u64, Invalid> {
        let end = block.section.offset + block.section.length - CRC as u64;
        let available = usize::try_from(end - block.section.offset).unwrap_or(usize::MAX).min(head.len());
        let head = &mut head[..available];
        read_exact_at(&self.file, head, block.section.offset)?;
        let mut cursor = 0;
        let count = varint(head, &mut cursor).ok_or(Invalid::Damaged("bad block head"))?;
        if count != block.records {
            return Err(Invalid::Damaged("a block differs from the directory"));
        }
        let mut total = 0u64;
        for size in sizes.iter_mut() {
            *size = varint(head, &mut cursor).ok_or(Invalid::Damaged("bad block head"))?;
            total = total.saturating_add(*size);
        }
        let data = block.section.offset + cursor as u64;
        if total > end - data {
            return Err(Invalid::Damaged("a block runs past the end"));
        }
        Ok(data)
    }
}

/// Fills `buffer` from `file` at `offset`; a file that ends first is damaged.
fn read_exact_at(file: &File, buffer: &mut [u8], offset: u64) -> Result<(), Invalid> {
    file.read_exact_at(buffer, offset).map_err(|e| match e.kind() {
        io::ErrorKind::UnexpectedEof => Invalid::Damaged("cut short while read"),
        _ => Invalid::Io(e),
    })
}

/// A segment that does not decode as its head says.
const DAMAGED_SEGMENT: Invalid = Invalid::Damaged("bad segment");

/// One record of a scan: the requested cells, valid until the next record.
#[derive(Debug)]
pub struct Record<'a> {
    segments: &'a [Vec<u8>],
    cells: &'a [Range<usize>],
    requested: &'a [usize],
    index: u64,
}

impl<'a> Record<'a> {
    /// The cell of the `i`-th requested column (empty when `i` is out of range).
    pub fn get(&self, i: usize) -> &'a [u8] {
        let Some(&slot) = self.requested.get(i) else {
            return &[];
        };
        match (self.segments.get(slot), self.cells.get(slot)) {
            (Some(segment), Some(cell)) => segment.get(cell.clone()).unwrap_or_default(),
            _ => &[],
        }
    }

    /// The number of requested columns.
    pub fn len(&self) -> usize {
        self.requested.len()
    }

    /// Whether no column was requested.
    pub fn is_empty(&self) -> bool {
        self.requested.is_empty()
    }

    /// The record's position among the records, from 0 (for messages).
    pub fn index(&self) -> u64 {
        self.index
    }
}

/// Appends `value` as a varint (unsigned LEB128): the lengths of the record file, and
/// of the report copies kept in Redis or memcached. Inlined: it runs for nearly every
/// cell a copy stores, and most values take the one byte of its first test.
#[inline]
pub(crate) fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Decodes the varint at `*cursor` in `bytes` and moves past it; `None` when it is
/// cut or overlong.
#[inline]
pub(crate) fn varint(bytes: &[u8], cursor: &mut usize) -> Option<u64> {
    let first = *bytes.get(*cursor)?;
    *cursor += 1;
    if first < 0x80 {
        return Some(u64::from(first));
    }
    let mut value = u64::from(first & 0x7f);
    for shift in (7..64).step_by(7) {
        let byte = *bytes.get(*cursor)?;
        *cursor += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            return Some(value);
        }
    }
    None
}

/// The header of a file, read from `[start, limit)` through one buffer.
struct Input<'f> {
    file: &'f File,
    /// The file offset of `buffer[end]`: where the next read starts.
    offset: u64,
    limit: u64,
    buffer: Box<[u8]>,
    pos: usize,
    end: usize,
}

impl<'f> Input<'f> {
    fn new(file: &'f File, start: u64, limit: u64) -> Self {
        let size =
            usize::try_from(limit.saturating_sub(start)).unwrap_or(HEADER_BUFFER).clamp(VARINT_MAX, HEADER_BUFFER);
        Input { file, offset: start, limit, buffer: vec![0; size].into_boxed_slice(), pos: 0, end: 0 }
    }

    /// The file offset of the next unread byte.
    fn position(&self) -> u64 {
        self.offset - (self.end - self.pos) as u64
    }

    /// Reads more after what is left in the buffer; an error at the limit.
    fn refill(&mut self) -> Result<(), Invalid> {
        if self.offset >= self.limit {
            return Err(Invalid::Damaged("the header runs past the end"));
        }
        self.buffer.copy_within(self.pos..self.end, 0);
        self.end -= self.pos;
        self.pos = 0;
        let room = usize::try_from(self.limit - self.offset).unwrap_or(usize::MAX).min(self.buffer.len() - self.end);
        let read = self.file.read_at(&mut self.buffer[self.end..self.end + room], self.offset).map_err(Invalid::Io)?;
        if read == 0 {
            return Err(Invalid::Damaged("cut short while read"));
        }
        self.end += read;
        self.offset += read as u64;
        Ok(())
    }

    fn varint(&mut self) -> Result<u64, Invalid> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            if self.pos == self.end {
                self.refill()?;
            }
            let byte = self.buffer[self.pos];
            self.pos += 1;
            value |= u64::from(byte & 0x7f) << shift;
            if byte < 0x80 {
                return Ok(value);
            }
        }
        Err(Invalid::Damaged("overlong number"))
    }

    /// Replaces `out` with the next `size` bytes.
    fn copy(&mut self, size: u64, out: &mut Vec<u8>) -> Result<(), Invalid> {
        out.clear();
        let mut left = size;
        loop {
            let take = usize::try_from(left).unwrap_or(usize::MAX).min(self.end - self.pos);
            out.extend_from_slice(&self.buffer[self.pos..self.pos + take]);
            self.pos += take;
            left -= take as u64;
            if left == 0 {
                return Ok(());
            }
            self.refill()?;
        }
    }

    fn read_exact(&mut self, out: &mut [u8]) -> Result<(), Invalid> {
        let mut filled = 0;
        while filled < out.len() {
            if self.pos == self.end {
                self.refill()?;
            }
            let take = (out.len() - filled).min(self.end - self.pos);
            out[filled..filled + take].copy_from_slice(&self.buffer[self.pos..self.pos + take]);
            self.pos += take;
            filled += take;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
