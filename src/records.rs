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
use std::io::{self, Write};
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

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

/// The index being written: the current run's keys and where each run's pages lie.
#[derive(Debug)]
struct IndexWriter {
    column: usize,
    /// The current run's keys, end to end.
    keys: Vec<u8>,
    /// The current run's entries: key start and length in `keys`, record number in
    /// the run.
    entries: Vec<(u32, u32, u32)>,
    /// The number of the current run's first record.
    first: u64,
    /// The runs written, as the directory lists them (page count, then each page's
    /// offset, length and first key): kept encoded, the smallest it can be.
    directory: Vec<u8>,
    runs: u64,
}

/// Writes a record file to `out` as records arrive, one block at a time. Nothing is
/// readable as a record file until [`Writer::finish`] has written the trailer.
#[derive(Debug)]
pub struct Writer<W: Write> {
    out: W,
    written: u64,
    /// The checksum of the section being written.
    crc: crc32fast::Hasher,
    /// The current block's segment of each column.
    segments: Vec<Vec<u8>>,
    /// Where the previous record's cell of each column lies in its segment.
    previous: Vec<Range<usize>>,
    /// Each column's segment length and previous cell before the current record,
    /// to take back a record of the wrong width.
    marks: Vec<(usize, Range<usize>)>,
    /// Records in the current block, and the bytes of its segments.
    block: usize,
    block_bytes: usize,
    records: u64,
    /// Every block written.
    blocks: Vec<Block>,
    index: Option<IndexWriter>,
}

impl<W: Write> Writer<W> {
    /// Starts a file for the report identified by `key`, created (downloaded) at
    /// `created`, whose header record is `columns`; without an index.
    pub fn new<C: AsRef<[u8]>>(
        out: W,
        key: &[u8],
        created: SystemTime,
        columns: impl IntoIterator<Item = C>,
    ) -> io::Result<Self> {
        Writer::indexed(out, key, created, columns, None)
    }

    /// [`Writer::new`] with an index by the column named `index`, when the header
    /// has one of that name: what [`Opened::select`] looks records up by.
    pub fn indexed<C: AsRef<[u8]>>(
        out: W,
        key: &[u8],
        created: SystemTime,
        columns: impl IntoIterator<Item = C>,
        index: Option<&[u8]>,
    ) -> io::Result<Self> {
        let millis = created.duration_since(UNIX_EPOCH).map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(0));
        let mut header = Vec::with_capacity(256);
        header.extend_from_slice(MAGIC);
        header.extend_from_slice(&VERSION.to_le_bytes());
        header.extend_from_slice(&millis.to_le_bytes());
        put_varint(&mut header, key.len() as u64);
        header.extend_from_slice(key);
        let columns: Vec<C> = columns.into_iter().collect();
        if columns.is_empty() {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "a report has at least one column"));
        }
        put_varint(&mut header, columns.len() as u64);
        for name in &columns {
            put_varint(&mut header, name.as_ref().len() as u64);
            header.extend_from_slice(name.as_ref());
        }
        let column = index.and_then(|index| columns.iter().position(|name| name.as_ref() == index));
        let mut writer = Writer {
            out,
            written: 0,
            crc: crc32fast::Hasher::new(),
            segments: vec![Vec::new(); columns.len()],
            previous: vec![0..0; columns.len()],
            marks: vec![(0, 0..0); columns.len()],
            block: 0,
            block_bytes: 0,
            records: 0,
            blocks: Vec::new(),
            index: column.map(|column| IndexWriter {
                column,
                keys: Vec::new(),
                entries: Vec::new(),
                first: 0,
                directory: Vec::new(),
                runs: 0,
            }),
        };
        writer.emit(&header)?;
        writer.seal()?;
        Ok(writer)
    }

    /// Appends one record; it must have as many cells as the header (one that has
    /// not is refused and leaves the file as it was).
    pub fn record<C: AsRef<[u8]>>(&mut self, cells: impl IntoIterator<Item = C>) -> io::Result<()> {
        let mut count = 0;
        let mut key = 0..0;
        let key_column = self.index.as_ref().map_or(usize::MAX, |index| index.column);
        for cell in cells {
            let cell = cell.as_ref();
            let (Some(segment), Some(previous), Some(mark)) =
                (self.segments.get_mut(count), self.previous.get_mut(count), self.marks.get_mut(count))
            else {
                self.undo(count);
                return Err(io::Error::new(io::ErrorKind::InvalidInput, "record has more cells than the header"));
            };
            *mark = (segment.len(), previous.clone());
            if self.block > 0 && segment[previous.clone()] == *cell {
                segment.push(0);
            } else {
                put_varint(segment, cell.len() as u64 + 1);
                *previous = segment.len()..segment.len() + cell.len();
                segment.extend_from_slice(cell);
            }
            if count == key_column {
                key = previous.clone();
            }
            self.block_bytes += segment.len() - mark.0;
            count += 1;
        }
        if count != self.segments.len() {
            self.undo(count);
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "record has fewer cells than the header"));
        }
        if let Some(index) = &mut self.index {
            let cell = self.segments.get(index.column).and_then(|segment| segment.get(key)).unwrap_or_default();
            let (Ok(start), Ok(length), Ok(number)) =
                (u32::try_from(index.keys.len()), u32::try_from(cell.len()), u32::try_from(self.records - index.first))
            else {
                self.undo(count);
                return Err(io::Error::new(io::ErrorKind::InvalidInput, "key too long to index"));
            };
            index.keys.extend_from_slice(cell);
            index.entries.push((start, length, number));
        }
        self.block += 1;
        self.records += 1;
        if self.block == BLOCK_RECORDS || self.block_bytes >= BLOCK_BYTES {
            self.flush_block()?;
        }
        if self.index.as_ref().is_some_and(|index| index.entries.len() >= RUN_RECORDS || index.keys.len() >= RUN_BYTES)
        {
            self.flush_run()?;
        }
        Ok(())
    }

    /// Takes back the first `cells` cells of a record of the wrong width.
    fn undo(&mut self, cells: usize) {
        for ((segment, previous), (length, cell)) in
            self.segments.iter_mut().zip(&mut self.previous).zip(&self.marks).take(cells)
        {
            self.block_bytes -= segment.len() - length;
            segment.truncate(*length);
            *previous = cell.clone();
        }
    }

    /// The records written so far.
    pub fn records(&self) -> u64 {
        self.records
    }

    /// Writes the last block and run, the directory and the trailer, flushes, and
    /// hands back the output.
    pub fn finish(mut self) -> io::Result<W> {
        self.flush_block()?;
        self.flush_run()?;
        let directory_offset = self.written;
        let index = self.index.take();
        let mut directory = Vec::with_capacity(64 + self.blocks.len() * 3 * VARINT_MAX);
        put_varint(&mut directory, index.as_ref().map_or(0, |index| index.column as u64 + 1));
        put_varint(&mut directory, self.blocks.len() as u64);
        for block in &self.blocks {
            put_varint(&mut directory, block.section.offset);
            put_varint(&mut directory, block.section.length);
            put_varint(&mut directory, block.records);
        }
        put_varint(&mut directory, index.as_ref().map_or(0, |index| index.runs));
        self.emit(&directory)?;
        if let Some(index) = &index {
            self.emit(&index.directory)?;
        }
        self.seal()?;
        let mut trailer = Vec::with_capacity(TRAILER as usize);
        trailer.extend_from_slice(&self.records.to_le_bytes());
        trailer.extend_from_slice(&(self.written + TRAILER).to_le_bytes());
        trailer.extend_from_slice(&directory_offset.to_le_bytes());
        trailer.extend_from_slice(&crc32fast::hash(&trailer).to_le_bytes());
        trailer.extend_from_slice(TAIL);
        self.out.write_all(&trailer)?;
        self.out.flush()?;
        Ok(self.out)
    }

    fn flush_block(&mut self) -> io::Result<()> {
        if self.block == 0 {
            return Ok(());
        }
        let offset = self.written;
        let mut head = Vec::with_capacity(VARINT_MAX * (self.segments.len() + 1));
        put_varint(&mut head, self.block as u64);
        for segment in &self.segments {
            put_varint(&mut head, segment.len() as u64);
        }
        self.emit(&head)?;
        let mut segments = std::mem::take(&mut self.segments);
        let written = segments.iter_mut().try_for_each(|segment| {
            let result = self.emit(segment);
            segment.clear();
            result
        });
        self.segments = segments;
        written?;
        self.seal()?;
        let records = self.block as u64;
        let section = Section { offset, length: self.written - offset };
        self.blocks.push(Block { section, first: self.records - records, records });
        self.block = 0;
        self.block_bytes = 0;
        Ok(())
    }

    /// Sorts the current run's keys and writes them as index pages.
    fn flush_run(&mut self) -> io::Result<()> {
        let Some(mut index) = self.index.take() else {
            return Ok(());
        };
        let result = self.write_run(&mut index);
        index.keys.clear();
        index.entries.clear();
        index.first = self.records;
        self.index = Some(index);
        result
    }

    fn write_run(&mut self, index: &mut IndexWriter) -> io::Result<()> {
        if index.entries.is_empty() {
            return Ok(());
        }
        let keys = &index.keys;
        let key = |&(start, length, _): &(u32, u32, u32)| {
            keys.get(start as usize..start as usize + length as usize).unwrap_or_default()
        };
        index.entries.sort_unstable_by(|a, b| key(a).cmp(key(b)).then(a.2.cmp(&b.2)));
        let mut page = Vec::with_capacity(8 * 1024);
        put_varint(&mut index.directory, index.entries.len().div_ceil(PAGE_ENTRIES) as u64);
        for entries in index.entries.chunks(PAGE_ENTRIES) {
            page.clear();
            put_varint(&mut page, entries.len() as u64);
            for entry in entries {
                let key = key(entry);
                put_varint(&mut page, key.len() as u64);
                page.extend_from_slice(key);
                put_varint(&mut page, index.first + u64::from(entry.2));
            }
            let offset = self.written;
            self.emit(&page)?;
            self.seal()?;
            let first = entries.first().map(key).unwrap_or_default();
            put_varint(&mut index.directory, offset);
            put_varint(&mut index.directory, self.written - offset);
            put_varint(&mut index.directory, first.len() as u64);
            index.directory.extend_from_slice(first);
        }
        index.runs += 1;
        Ok(())
    }

    fn emit(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.crc.update(bytes);
        self.written += bytes.len() as u64;
        self.out.write_all(bytes)
    }

    /// Ends the current section with its checksum.
    fn seal(&mut self) -> io::Result<()> {
        let crc = std::mem::take(&mut self.crc).finalize();
        self.written += CRC as u64;
        self.out.write_all(&crc.to_le_bytes())
    }
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

/// Appends `value` as a varint.
fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Decodes the varint at `*cursor` in `bytes` and moves past it; `None` when it is
/// cut or overlong.
#[inline]
fn varint(bytes: &[u8], cursor: &mut usize) -> Option<u64> {
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
mod tests {
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
}
