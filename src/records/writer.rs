//! Writing a record file ([`Writer`]) as the report streams in: blocks of records
//! column by column, and the index's runs sorted as they close (the layout is in
//! the parent module's documentation).

use std::io::{self, Write};
use std::ops::Range;
use std::time::{SystemTime, UNIX_EPOCH};

use super::{
    put_varint, Block, Section, BLOCK_BYTES, BLOCK_RECORDS, CRC, MAGIC, PAGE_ENTRIES, RUN_BYTES, RUN_RECORDS, TAIL,
    TRAILER, VARINT_MAX, VERSION,
};

/// The index being written: the current run's keys and where each run's pages lie.
#[derive(Debug)]
struct IndexWriter {
    column: usize,
    /// The current run's keys, end to end.
    keys: Vec<u8>,
    /// Where each of the current run's keys lies in `keys` (start, length), by
    /// record number in the run.
    spans: Vec<(u32, u32)>,
    /// The current run's sort keys ([`sort_key`]), one per record.
    order: Vec<u128>,
    /// The number of the current run's first record.
    first: u64,
    /// The runs written, as the directory lists them (page count, then each page's
    /// offset, length and first key): kept encoded, the smallest it can be.
    directory: Vec<u8>,
    runs: u64,
}

/// The bytes of a key that its sort key holds.
const HEAD: usize = 14;

// A record's number in its run fits the low 16 bits of its sort key.
const _: () = assert!(RUN_RECORDS <= 1 << 16);

/// The integer that sorts the record `number` of a run, whose key is `key`: the
/// key's first [`HEAD`] bytes (zeros after a shorter key), big-endian, above the
/// number. Plain integers sort several times faster than keys compared as slices;
/// in integer order the keys are in their order wherever those bytes differ, and
/// equal keys in record order. Only keys that share their first bytes are then
/// compared whole.
fn sort_key(key: &[u8], number: u16) -> u128 {
    let mut bytes = [0u8; 16];
    match key.first_chunk::<HEAD>() {
        Some(head) => bytes[..HEAD].copy_from_slice(head),
        None => bytes[..key.len()].copy_from_slice(key),
    }
    bytes[HEAD..].copy_from_slice(&number.to_be_bytes());
    u128::from_be_bytes(bytes)
}

/// The record number in its run that `sort_key` holds.
fn number(sort_key: u128) -> usize {
    usize::from(sort_key as u16)
}

/// One column of the block being written.
#[derive(Debug, Clone, Default)]
struct Column {
    /// The column's segment: the current block's cells, encoded.
    segment: Vec<u8>,
    /// Where the previous record's cell lies in the segment.
    previous: Range<usize>,
}

/// Writes a record file to `out` as records arrive, one block at a time. Nothing is
/// readable as a record file until [`Writer::finish`] has written the trailer.
#[derive(Debug)]
pub struct Writer<W: Write> {
    out: W,
    written: u64,
    /// The checksum of the section being written.
    crc: crc32fast::Hasher,
    /// The current block's columns.
    columns: Vec<Column>,
    /// Records in the current block, and the bytes of its segments.
    block: usize,
    block_bytes: usize,
    records: u64,
    /// Every block written.
    blocks: Vec<Block>,
    index: Option<IndexWriter>,
    /// Whether a record was taken in part: the file can no longer be completed.
    broken: bool,
}

/// The error of a writer that took part of a record.
fn broken() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, "a record was cut short or ran long: the file is incomplete")
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
            columns: vec![Column::default(); columns.len()],
            block: 0,
            block_bytes: 0,
            records: 0,
            blocks: Vec::new(),
            broken: false,
            index: column.map(|column| IndexWriter {
                column,
                keys: Vec::new(),
                spans: Vec::new(),
                order: Vec::new(),
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
    ///
    /// This runs for every cell of a report as it downloads, so each cell costs a
    /// few instructions: the width is checked before the first cell is taken (an
    /// iterator that then yields another number of cells breaks the file, which
    /// [`Writer::finish`] refuses), short cells are compared with the previous one
    /// and copied without a library call ([`same`], [`append`]), and most lengths
    /// take one byte ([`put_varint`]).
    pub fn record<C: AsRef<[u8]>, I>(&mut self, cells: I) -> io::Result<()>
    where
        I: IntoIterator<Item = C>,
        I::IntoIter: ExactSizeIterator,
    {
        let mut cells = cells.into_iter();
        if self.broken {
            return Err(broken());
        }
        if cells.len() != self.columns.len() {
            let why = if cells.len() > self.columns.len() { "more" } else { "fewer" };
            return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("record has {why} cells than the header")));
        }
        let repeats = self.block > 0;
        let mut added = 0;
        let mut short = false;
        for column in self.columns.iter_mut() {
            let Some(cell) = cells.next() else {
                short = true;
                break;
            };
            let cell = cell.as_ref();
            let before = column.segment.len();
            if repeats && same(column.segment.get(column.previous.clone()).unwrap_or_default(), cell) {
                column.segment.push(0);
            } else {
                put_varint(&mut column.segment, cell.len() as u64 + 1);
                let start = column.segment.len();
                append(&mut column.segment, cell);
                column.previous = start..start + cell.len();
            }
            added += column.segment.len() - before;
        }
        if short || cells.next().is_some() {
            self.broken = true;
            return Err(broken());
        }
        self.block_bytes += added;
        if let Some(index) = &mut self.index {
            let cell = self
                .columns
                .get(index.column)
                .and_then(|column| column.segment.get(column.previous.clone()))
                .unwrap_or_default();
            let (Ok(start), Ok(length), Ok(at)) =
                (u32::try_from(index.keys.len()), u32::try_from(cell.len()), u16::try_from(self.records - index.first))
            else {
                self.broken = true;
                return Err(io::Error::new(io::ErrorKind::InvalidInput, "key too long to index"));
            };
            index.keys.extend_from_slice(cell);
            index.spans.push((start, length));
            index.order.push(sort_key(cell, at));
        }
        self.block += 1;
        self.records += 1;
        if self.block == BLOCK_RECORDS || self.block_bytes >= BLOCK_BYTES {
            self.flush_block()?;
        }
        if self.index.as_ref().is_some_and(|index| index.spans.len() >= RUN_RECORDS || index.keys.len() >= RUN_BYTES) {
            self.flush_run()?;
        }
        Ok(())
    }

    /// The records written so far.
    pub fn records(&self) -> u64 {
        self.records
    }

    /// Writes the last block and run, the directory and the trailer, flushes, and
    /// hands back the output.
    pub fn finish(mut self) -> io::Result<W> {
        if self.broken {
            return Err(broken());
        }
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
        let mut head = Vec::with_capacity(VARINT_MAX * (self.columns.len() + 1));
        put_varint(&mut head, self.block as u64);
        for column in &self.columns {
            put_varint(&mut head, column.segment.len() as u64);
        }
        self.emit(&head)?;
        let mut columns = std::mem::take(&mut self.columns);
        let written = columns.iter_mut().try_for_each(|column| {
            let result = self.emit(&column.segment);
            column.segment.clear();
            result
        });
        self.columns = columns;
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
        index.spans.clear();
        index.order.clear();
        index.first = self.records;
        self.index = Some(index);
        result
    }

    fn write_run(&mut self, index: &mut IndexWriter) -> io::Result<()> {
        if index.order.is_empty() {
            return Ok(());
        }
        let (keys, spans) = (&index.keys, &index.spans);
        let key = |sort_key: u128| {
            let (start, length) = spans.get(number(sort_key)).copied().unwrap_or_default();
            keys.get(start as usize..start as usize + length as usize).unwrap_or_default()
        };
        index.order.sort_unstable();
        for tied in index.order.chunk_by_mut(|a, b| a >> 16 == b >> 16).filter(|tied| tied.len() > 1) {
            tied.sort_unstable_by(|&a, &b| key(a).cmp(key(b)).then(a.cmp(&b)));
        }
        let mut page = Vec::with_capacity(8 * 1024);
        put_varint(&mut index.directory, index.order.len().div_ceil(PAGE_ENTRIES) as u64);
        for entries in index.order.chunks(PAGE_ENTRIES) {
            page.clear();
            put_varint(&mut page, entries.len() as u64);
            for &entry in entries {
                let key = key(entry);
                put_varint(&mut page, key.len() as u64);
                page.extend_from_slice(key);
                put_varint(&mut page, index.first + number(entry) as u64);
            }
            let offset = self.written;
            self.emit(&page)?;
            self.seal()?;
            let first = entries.first().map(|&entry| key(entry)).unwrap_or_default();
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

/// Whether two cells are equal. Cells of up to 32 bytes are compared as two
/// overlapping words, and longer ones first by their first 16 bytes, without the
/// library call of a slice comparison: the writer compares nearly every cell with
/// the previous one of its column.
#[inline]
fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    match a.len() {
        0 => true,
        1..=3 => a[0] == b[0] && a[a.len() / 2] == b[b.len() / 2] && a[a.len() - 1] == b[b.len() - 1],
        4..=7 => a.first_chunk::<4>() == b.first_chunk::<4>() && a.last_chunk::<4>() == b.last_chunk::<4>(),
        8..=16 => a.first_chunk::<8>() == b.first_chunk::<8>() && a.last_chunk::<8>() == b.last_chunk::<8>(),
        17..=32 => a.first_chunk::<16>() == b.first_chunk::<16>() && a.last_chunk::<16>() == b.last_chunk::<16>(),
        _ => a.first_chunk::<16>() == b.first_chunk::<16>() && a == b,
    }
}

/// Appends `cell` to `segment`; a cell of up to 32 bytes as two overlapping
/// fixed-size copies (the second overwriting the end of the first), without the
/// library call of a copy of unknown length.
#[inline]
fn append(segment: &mut Vec<u8>, cell: &[u8]) {
    let end = segment.len() + cell.len();
    match cell.len() {
        0..=3 => cell.iter().for_each(|&byte| segment.push(byte)),
        4..=7 => overlapping::<4>(segment, cell, end),
        8..=16 => overlapping::<8>(segment, cell, end),
        17..=32 => overlapping::<16>(segment, cell, end),
        _ => segment.extend_from_slice(cell),
    }
}

/// Appends `cell` so that `segment` ends at `end`: a cell of `N` to `2 * N` bytes as
/// its first and its last `N` bytes, any other whole.
#[inline]
fn overlapping<const N: usize>(segment: &mut Vec<u8>, cell: &[u8], end: usize) {
    match (cell.first_chunk::<N>(), cell.last_chunk::<N>()) {
        (Some(first), Some(last)) if cell.len() <= 2 * N => {
            segment.extend_from_slice(first);
            segment.truncate(end - N);
            segment.extend_from_slice(last);
        }
        _ => segment.extend_from_slice(cell),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An iterator that claims one length and yields another.
    struct Lying(std::vec::IntoIter<&'static [u8]>, usize);

    impl Iterator for Lying {
        type Item = &'static [u8];
        fn next(&mut self) -> Option<Self::Item> {
            self.0.next()
        }
        fn size_hint(&self) -> (usize, Option<usize>) {
            (self.1, Some(self.1))
        }
    }

    impl ExactSizeIterator for Lying {}

    #[test]
    fn a_record_that_is_not_the_length_it_claims_breaks_the_file() {
        for cells in [vec![&b"a"[..]], vec![&b"a"[..], b"b", b"c"]] {
            let mut writer = Writer::new(Vec::new(), b"k", SystemTime::now(), ["x", "y"]).expect("header");
            writer.record([b"1", b"2"]).expect("right width");
            assert!(writer.record(Lying(cells.into_iter(), 2)).is_err());
            assert!(writer.record([b"3", b"4"]).is_err(), "a broken writer takes no more records");
            assert!(writer.finish().is_err(), "a broken file is never completed");
        }
    }
}
