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
