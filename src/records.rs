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
//! Layout (integers little-endian; *varint* is unsigned LEB128):
//!
//! * header: [`MAGIC`], format [`VERSION`] (u32), creation time (u64, milliseconds
//!   since the Unix epoch), the key (varint length, bytes), the column count
//!   (varint), and each column name (varint length, bytes);
//! * blocks, each: its record count (varint), the byte length of each column's
//!   segment (varints), then the segments in column order. A segment holds, for
//!   each record of the block, a varint *code* — `0` means the same cell as the
//!   previous record's in this block (report dates, quotas and flags repeat row
//!   after row), `n > 0` a cell of `n - 1` bytes, which follow. Cells are bytes,
//!   stored as given: any byte, quote, comma or line end round-trips;
//! * trailer: the record count (u64), the file length (u64), the CRC-32 of every
//!   byte before it (u32), and [`TAIL`].
//!
//! Trust: a file is used only once all of it has been checked — length, trailer and
//! checksum ([`Opened::verify`]) — so a cut, corrupt or foreign file is rejected
//! before a single record reaches a reader, never halfway through. The scan that
//! follows reads the same open file (the same inode, whatever is renamed over its
//! name meanwhile); files are only ever replaced, never rewritten in place, so what
//! was verified is what is scanned. A scan still checks the structure as it goes
//! and reports a mismatch as [`ScanError::Stored`] — which can only mean the file
//! was rewritten in place under it, and which the caller must treat as a failure of
//! the whole read, not as a partial result.

use std::fmt;
use std::fs::File;
use std::io::{self, Write};
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The first bytes of every record file.
pub const MAGIC: &[u8; 8] = b"\x89RECORDS";

/// The layout version; a file of another version is foreign.
pub const VERSION: u32 = 1;

/// The last bytes of every complete record file.
pub const TAIL: &[u8; 4] = b"END\n";

/// The most records in a block. With [`BLOCK_BYTES`], it bounds what a writer holds
/// and what a reader fetches at once.
pub const BLOCK_RECORDS: usize = 4096;

/// A block is closed once its segments hold this many bytes, whatever its records.
const BLOCK_BYTES: usize = 1 << 20;

/// Record count, file length, checksum, tail.
const TRAILER: u64 = 8 + 8 + 4 + 4;

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

/// Writes a record file to `out` as records arrive, one block at a time. Nothing is
/// readable as a record file until [`Writer::finish`] has written the trailer.
#[derive(Debug)]
pub struct Writer<W: Write> {
    out: W,
    crc: crc32fast::Hasher,
    written: u64,
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
}

impl<W: Write> Writer<W> {
    /// Starts a file for the report identified by `key`, created (downloaded) at
    /// `created`, whose header record is `columns`.
    pub fn new<C: AsRef<[u8]>>(
        out: W,
        key: &[u8],
        created: SystemTime,
        columns: impl IntoIterator<Item = C>,
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
        let mut writer = Writer {
            out,
            crc: crc32fast::Hasher::new(),
            written: 0,
            segments: vec![Vec::new(); columns.len()],
            previous: vec![0..0; columns.len()],
            marks: vec![(0, 0..0); columns.len()],
            block: 0,
            block_bytes: 0,
            records: 0,
        };
        writer.emit(&header)?;
        Ok(writer)
    }

    /// Appends one record; it must have as many cells as the header (one that has
    /// not is refused and leaves the file as it was).
    pub fn record<C: AsRef<[u8]>>(&mut self, cells: impl IntoIterator<Item = C>) -> io::Result<()> {
        let mut count = 0;
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
            self.block_bytes += segment.len() - mark.0;
            count += 1;
        }
        if count != self.segments.len() {
            self.undo(count);
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "record has fewer cells than the header"));
        }
        self.block += 1;
        self.records += 1;
        if self.block == BLOCK_RECORDS || self.block_bytes >= BLOCK_BYTES {
            self.flush_block()?;
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

    /// Writes the last block and the trailer, flushes, and hands back the output.
    pub fn finish(mut self) -> io::Result<W> {
        self.flush_block()?;
        let mut trailer = Vec::with_capacity(TRAILER as usize);
        trailer.extend_from_slice(&self.records.to_le_bytes());
        trailer.extend_from_slice(&(self.written + TRAILER).to_le_bytes());
        self.crc.update(&trailer);
        trailer.extend_from_slice(&self.crc.clone().finalize().to_le_bytes());
        trailer.extend_from_slice(TAIL);
        self.out.write_all(&trailer)?;
        self.out.flush()?;
        Ok(self.out)
    }

    fn flush_block(&mut self) -> io::Result<()> {
        if self.block == 0 {
            return Ok(());
        }
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
        self.block = 0;
        self.block_bytes = 0;
        written
    }

    fn emit(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.crc.update(bytes);
        self.written += bytes.len() as u64;
        self.out.write_all(bytes)
    }
}

/// A record file whose header has been read and whose key matches; not yet trusted.
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

/// Reads the header of the record file `file` and checks it holds `key`. Cheap: a
/// file that turns out expired costs one small read.
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
    let body = input.position();
    Ok(Opened { file, length, created, columns, body })
}

impl Opened {
    /// When the report was stored (downloaded).
    pub fn created(&self) -> SystemTime {
        self.created
    }

    /// Checks the whole file — trailer, length, checksum — and makes it readable.
    /// Reads every byte once; memory stays one buffer.
    pub fn verify(self) -> Result<Records, Invalid> {
        let mut trailer = [0u8; TRAILER as usize];
        read_exact_at(&self.file, &mut trailer, self.length - TRAILER)?;
        if &trailer[20..] != TAIL {
            return Err(Invalid::Damaged("no trailer: cut short"));
        }
        let word = |at: usize| u64::from_le_bytes(trailer[at..at + 8].try_into().unwrap_or_default());
        let (records, length) = (word(0), word(8));
        if length != self.length {
            return Err(Invalid::Damaged("length differs from the trailer's"));
        }
        let stored_crc = u32::from_le_bytes(trailer[16..20].try_into().unwrap_or_default());
        let covered = self.length - 8;
        let mut crc = crc32fast::Hasher::new();
        let mut buffer = vec![0u8; BUFFER];
        let mut offset = 0;
        while offset < covered {
            let want = usize::try_from(covered - offset).unwrap_or(BUFFER).min(BUFFER);
            let read = self.file.read_at(&mut buffer[..want], offset).map_err(Invalid::Io)?;
            if read == 0 {
                return Err(Invalid::Damaged("cut short while read"));
            }
            crc.update(&buffer[..read]);
            offset += read as u64;
        }
        if crc.finalize() != stored_crc {
            return Err(Invalid::Damaged("checksum mismatch"));
        }
        let Opened { file, length, created, columns, body } = self;
        Ok(Records { file, end: length - TRAILER, created, columns, body, records })
    }
}

/// A verified record file, ready to scan.
#[derive(Debug)]
pub struct Records {
    file: File,
    end: u64,
    created: SystemTime,
    columns: Vec<Box<[u8]>>,
    body: u64,
    records: u64,
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

    /// The number of records (header excluded).
    pub fn len(&self) -> u64 {
        self.records
    }

    /// Whether there is no record (a report with its header only).
    pub fn is_empty(&self) -> bool {
        self.records == 0
    }

    /// The size of the file, in bytes.
    pub fn size(&self) -> u64 {
        self.end + TRAILER
    }

    /// Calls `visit` with every record, in stored order, holding the cells of the
    /// columns at indices `columns` (in that order; an index may repeat). Only those
    /// columns are read from the file.
    pub fn scan<E>(
        &self,
        columns: &[usize],
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
        let mut offset = self.body;
        let mut index = 0;
        while offset < self.end {
            let (count, data) = self.block_head(offset, &mut head, &mut sizes).map_err(ScanError::Stored)?;
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
            for row in 0..count {
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
                visit(&Record { segments: &segments, cells: &cells, requested: &requested, index })
                    .map_err(ScanError::Visit)?;
                index += 1;
            }
            if cursors.iter().zip(&segments).any(|(&cursor, segment)| cursor != segment.len()) {
                return Err(ScanError::Stored(DAMAGED_SEGMENT));
            }
            offset = start;
        }
        if offset != self.end || index != self.records {
            return Err(ScanError::Stored(Invalid::Damaged("records differ from the trailer's count")));
        }
        Ok(())
    }

    /// Reads the head of the block at `offset` into `sizes` (segment lengths);
    /// returns the block's record count and where its first segment starts.
    fn block_head(&self, offset: u64, head: &mut [u8], sizes: &mut [u64]) -> Result<(u64, u64), Invalid> {
        let available = usize::try_from(self.end - offset).unwrap_or(usize::MAX).min(head.len());
        let head = &mut head[..available];
        read_exact_at(&self.file, head, offset)?;
        let mut cursor = 0;
        let count = varint(head, &mut cursor).filter(|&n| n > 0).ok_or(Invalid::Damaged("bad block head"))?;
        let mut total = 0u64;
        for size in sizes.iter_mut() {
            *size = varint(head, &mut cursor).ok_or(Invalid::Damaged("bad block head"))?;
            total = total.saturating_add(*size);
        }
        let data = offset + cursor as u64;
        if total > self.end - data {
            return Err(Invalid::Damaged("a block runs past the end"));
        }
        Ok((count, data))
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
        newer[8] = 2;
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

    proptest! {
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
