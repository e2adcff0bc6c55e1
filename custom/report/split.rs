//! Splitting a report's CSV into records as its bytes arrive, reading exactly what the
//! `csv` crate reads: `\r`, `\n` and `\r\n` end a record, blank lines are skipped,
//! `""` inside quotes is a quote, a quote inside an unquoted field is a plain byte, and
//! a UTF-8 byte order mark at the very start is not part of the first cell.
//!
//! Nearly every record of a report holds no quote, or only cells in plain quotes
//! (`"Smith, Jr."`). Such a record is found with one search for its end (`memchr3` of
//! `\n`, `\r` and `"`, jumping over quoted cells) and one pass for its commas, eight
//! bytes at a time, and is split where it lies, in the read buffer: its cells are
//! slices of what was read, copied nowhere (only a cell holding `""` is copied, to
//! write it as one quote). Any other record (a quote inside a cell, a line end inside
//! quotes, a body cut inside quotes) is read by `csv_core`, the `csv` crate's own state
//! machine, into a buffer of its own, and its bytes are followed for quoting, so that a
//! body ending inside a quoted field is known for cut. The header too goes through
//! `csv_core`, which strips a second byte order mark as the `csv` crate does.

use std::io::{self, Read};

use csv_core::{ReadRecordResult, Reader as CoreReader};

use super::cut::{Quoting, BOM};

/// The read buffer's first size: large enough that a report of a million rows takes few
/// reads from the HTTP body, small enough to keep the process small. It grows only for
/// a record longer than itself.
const READ_BUFFER: usize = 64 * 1024;

/// A quoted record's buffer, first size (it grows with the record).
const QUOTED_BUFFER: usize = 1024;

/// The records of a CSV byte stream, one at a time ([`Splitter::next`]).
pub(super) struct Splitter<R> {
    inner: R,
    /// The bytes read: `buf[pos..end]` are not split yet.
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    /// How far past `pos` the current record was searched for its end.
    searched: usize,
    /// Whether `inner` has ended.
    eof: bool,
    /// Whether the byte order mark was handled.
    started: bool,
    /// Whether `csv_core` was called (it drops a byte order mark on its first call).
    header_read: bool,
    /// The last byte of the stream so far.
    last: Option<u8>,
    core: CoreReader,
    /// A record read by `csv_core`: its cells one after the other, and where each ends.
    quoted: Vec<u8>,
    quoted_ends: Vec<usize>,
    /// The quoting state over the bytes of the current record, when `csv_core` read it;
    /// a record split in place holds no quote.
    quoting: Quoting,
    /// The current record's cells: where each starts and ends in its bytes.
    cells: Vec<(usize, usize)>,
    /// The cells of the current record in plain quotes.
    spans: Vec<Span>,
    /// The cells of the current record, when some held `""`, with one quote for each.
    unescaped: Vec<u8>,
}

/// A cell in plain quotes: where its quotes are, from the record's start.
struct Span {
    open: usize,
    close: usize,
    /// Whether it holds `""`.
    escaped: bool,
}

/// How the record being searched ends.
enum End {
    /// Its terminator is at this offset of the buffer (the end of the stream when
    /// there is none).
    At(usize),
    /// It holds quoting that only `csv_core` reads.
    Quoted,
}

/// Calls `each` with the offset of every comma of `line`, in order. Sixteen bytes at
/// a time where the processor compares sixteen at once (SSE2, part of every x86-64),
/// else eight at a time in a 64-bit word: a record has a comma every ten bytes or so,
/// too often for a search per comma to pay.
fn commas(line: &[u8], each: impl FnMut(usize)) {
    // SAFETY: SSE2 is part of the x86-64 baseline: every x86-64 processor has it,
    // and the compiler already assumes it for the whole build.
    #[cfg(target_arch = "x86_64")]
    unsafe {
        commas_by_sixteen(line, each)
    };
    #[cfg(not(target_arch = "x86_64"))]
    commas_by_words(line, 0, each);
}

/// [`commas`] sixteen bytes at a time, the rest by [`commas_by_words`].
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse2")]
fn commas_by_sixteen(line: &[u8], mut each: impl FnMut(usize)) {
    use std::arch::x86_64::{_mm_cmpeq_epi8, _mm_movemask_epi8, _mm_set1_epi8};
    let comma = _mm_set1_epi8(b',' as i8);
    let mut chunks = line.chunks_exact(16);
    let mut base = 0;
    for chunk in &mut chunks {
        each_bit(_mm_movemask_epi8(_mm_cmpeq_epi8(sixteen(chunk), comma)) as u32, base, &mut each);
        base += 16;
    }
    commas_by_words(chunks.remainder(), base, each);
}

/// The sixteen bytes of `chunk` in one register: one unaligned load once compiled.
/// Bit n of a mask made from it (`_mm_movemask_epi8`) is byte n.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse2")]
fn sixteen(chunk: &[u8]) -> std::arch::x86_64::__m128i {
    let half = |bytes: &[u8]| {
        let mut lanes = [0; 8];
        lanes.copy_from_slice(bytes);
        i64::from_le_bytes(lanes)
    };
    let (low, high) = chunk.split_at(8);
    std::arch::x86_64::_mm_set_epi64x(half(high), half(low))
}

/// Calls `each` with `base` plus the number of every bit set in `mask`, lowest first.
#[cfg(target_arch = "x86_64")]
fn each_bit(mut mask: u32, base: usize, each: &mut impl FnMut(usize)) {
    while mask != 0 {
        each(base + mask.trailing_zeros() as usize);
        mask &= mask - 1;
    }
}

/// [`commas`] eight bytes at a time, for the offsets of `line` from `base` on. A
/// byte that is a comma sets the high bit of its lane, whose lowest set bit then
/// names it.
fn commas_by_words(line: &[u8], mut base: usize, mut each: impl FnMut(usize)) {
    const LOW: u64 = u64::from_ne_bytes([0x7F; 8]);
    const COMMA: u64 = u64::from_ne_bytes([b','; 8]);
    let mut words = line.chunks_exact(8);
    for word in &mut words {
        let mut lanes = [0; 8];
        lanes.copy_from_slice(word);
        let zero = u64::from_le_bytes(lanes) ^ COMMA;
        // The high bit of a lane is set when the lane was zero, with no carry between
        // lanes.
        let mut found = !(((zero & LOW).wrapping_add(LOW)) | zero | LOW);
        while found != 0 {
            each(base + found.trailing_zeros() as usize / 8);
            found &= found - 1;
        }
        base += 8;
    }
    for (offset, &byte) in words.remainder().iter().enumerate() {
        if byte == b',' {
            each(base + offset);
        }
    }
}

/// Where [`plain_cells`] stopped.
#[derive(Debug, PartialEq, Eq)]
enum Scan {
    /// At this offset, the first `\r`, `\n` or `"`.
    Stop(usize),
    /// At the end of the bytes, none of them seen.
    Exhausted,
}

/// Calls `each` with the offset of every comma of `bytes` before the first `\r`, `\n`
/// or `"`, and says where that is: one pass that both splits a record holding no quote
/// and finds its end. Sixteen bytes at a time on x86-64 (SSE2), as [`commas`].
fn plain_cells(bytes: &[u8], each: impl FnMut(usize)) -> Scan {
    // SAFETY: SSE2 is part of the x86-64 baseline: every x86-64 processor has it,
    // and the compiler already assumes it for the whole build.
    #[cfg(target_arch = "x86_64")]
    return unsafe { plain_cells_by_sixteen(bytes, each) };
    #[cfg(not(target_arch = "x86_64"))]
    return plain_cells_by_bytes(bytes, 0, each);
}

/// [`plain_cells`] sixteen bytes at a time, the rest by [`plain_cells_by_bytes`].
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse2")]
fn plain_cells_by_sixteen(bytes: &[u8], mut each: impl FnMut(usize)) -> Scan {
    use std::arch::x86_64::{_mm_cmpeq_epi8, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8};
    let (comma, cr, lf, quote) =
        (_mm_set1_epi8(b',' as i8), _mm_set1_epi8(b'\r' as i8), _mm_set1_epi8(b'\n' as i8), _mm_set1_epi8(b'"' as i8));
    let mut chunks = bytes.chunks_exact(16);
    let mut base = 0;
    for chunk in &mut chunks {
        let lanes = sixteen(chunk);
        let mut found = _mm_movemask_epi8(_mm_cmpeq_epi8(lanes, comma)) as u32;
        let ends = _mm_or_si128(_mm_cmpeq_epi8(lanes, cr), _mm_cmpeq_epi8(lanes, lf));
        let stops = _mm_movemask_epi8(_mm_or_si128(ends, _mm_cmpeq_epi8(lanes, quote))) as u32;
        if stops != 0 {
            // Only the commas before the first stop belong to the record.
            found &= (1 << stops.trailing_zeros()) - 1;
        }
        each_bit(found, base, &mut each);
        if stops != 0 {
            return Scan::Stop(base + stops.trailing_zeros() as usize);
        }
        base += 16;
    }
    plain_cells_by_bytes(chunks.remainder(), base, each)
}

/// [`plain_cells`] byte by byte, for the offsets of `bytes` from `base` on.
fn plain_cells_by_bytes(bytes: &[u8], base: usize, mut each: impl FnMut(usize)) -> Scan {
    for (offset, &byte) in bytes.iter().enumerate() {
        match byte {
            b',' => each(base + offset),
            b'\r' | b'\n' | b'"' => return Scan::Stop(base + offset),
            _ => {}
        }
    }
    Scan::Exhausted
}

/// One record: its cells, as slices of the bytes they were split from.
#[derive(Debug, Clone, Copy)]
pub(super) struct Record<'s> {
    /// The bytes the cells lie in: the record as it was read, commas included, or the
    /// cells of a quoted record one after the other.
    bytes: &'s [u8],
    cells: &'s [(usize, usize)],
    /// Whether `csv_core` read it (a record split in place holds no quote).
    quoted: bool,
}

impl<'s> Record<'s> {
    /// The number of cells.
    pub(super) fn len(&self) -> usize {
        self.cells.len()
    }

    /// Where cell `index` lies in [`Record::bytes`].
    pub(super) fn bounds(&self, index: usize) -> Option<(usize, usize)> {
        self.cells.get(index).copied()
    }

    /// The bytes the cells lie in (for one UTF-8 check of them all).
    pub(super) fn bytes(&self) -> &'s [u8] {
        self.bytes
    }

    /// Cell `index`.
    pub(super) fn get(&self, index: usize) -> Option<&'s [u8]> {
        let (start, end) = self.bounds(index)?;
        self.bytes.get(start..end)
    }

    /// Every cell, in order.
    pub(super) fn iter(&self) -> impl ExactSizeIterator<Item = &'s [u8]> + '_ {
        let bytes = self.bytes;
        self.cells.iter().map(move |&(start, end)| bytes.get(start..end).unwrap_or_default())
    }

    /// The line ends inside the record's cells (quoted multi-line cells): only a quoted
    /// record can hold one.
    pub(super) fn line_ends(&self) -> u64 {
        if !self.quoted {
            return 0;
        }
        let Some((start, _)) = self.cells.first() else { return 0 };
        let Some((_, end)) = self.cells.last() else { return 0 };
        let cells = self.bytes.get(*start..*end).unwrap_or_default();
        // Almost no record has one: a single search settles those without counting.
        match memchr::memchr(b'\n', cells) {
            None => 0,
            Some(first) => 1 + memchr::memchr_iter(b'\n', &cells[first + 1..]).count() as u64,
        }
    }
}

impl<R: Read> Splitter<R> {
    /// Splits what `inner` reads.
    pub(super) fn new(inner: R) -> Self {
        Splitter {
            inner,
            buf: vec![0; READ_BUFFER],
            pos: 0,
            end: 0,
            searched: 0,
            eof: false,
            started: false,
            header_read: false,
            last: None,
            core: CoreReader::new(),
            quoted: Vec::new(),
            quoted_ends: Vec::new(),
            quoting: Quoting::new(),
            cells: Vec::new(),
            spans: Vec::new(),
            unescaped: Vec::new(),
        }
    }

    /// The last byte of the stream read so far (after the byte order mark).
    pub(super) fn last(&self) -> Option<u8> {
        self.last
    }

    /// Whether the stream, read to its end, ended inside a quoted field.
    pub(super) fn ends_inside_quotes(&self) -> bool {
        self.quoting.inside_quotes()
    }

    /// The next record; `None` at the end of the stream. A read error of the stream is
    /// returned as it is.
    pub(super) fn next(&mut self) -> io::Result<Option<Record<'_>>> {
        if !self.started {
            self.start()?;
            self.started = true;
            return self.read_quoted();
        }
        loop {
            // Blank lines (and the LF of a CRLF) are skipped, as by the csv crate.
            match self.buf[self.pos..self.end].iter().position(|&b| b != b'\r' && b != b'\n') {
                Some(skip) => {
                    self.pos += skip;
                    break;
                }
                None if self.eof => {
                    self.pos = self.end;
                    return Ok(None);
                }
                None => {
                    self.pos = self.end;
                    self.fill()?;
                }
            }
        }
        self.quoting = Quoting::new();
        if let Some(stop) = self.plain_record() {
            let line = &self.buf[self.pos..stop];
            // The terminator, if any, is left for the skip of blank lines.
            self.pos = stop;
            return Ok(Some(Record { bytes: line, cells: &self.cells, quoted: false }));
        }
        self.spans.clear();
        let stop = loop {
            match self.find_end()? {
                Some(End::At(stop)) => break stop,
                Some(End::Quoted) => return self.read_quoted(),
                None => self.fill()?,
            }
        };
        let start = self.pos;
        self.searched = 0;
        // The terminator, if any, is left for the skip of blank lines.
        self.pos = stop;
        let line = &self.buf[start..stop];
        self.cells.clear();
        let (cells, spans) = (&mut self.cells, &self.spans);
        let mut cell = 0;
        let mut quoted = spans.iter().peekable();
        commas(line, |comma| {
            // A comma inside a quoted cell is part of it.
            if let Some(&&Span { open, close, .. }) = quoted.peek() {
                if comma < close {
                    if comma > open {
                        return;
                    }
                } else {
                    quoted.next();
                    cells.push((open + 1, close));
                    cell = comma + 1;
                    return;
                }
            }
            cells.push((cell, comma));
            cell = comma + 1;
        });
        match quoted.next() {
            Some(&Span { open, close, .. }) => cells.push((open + 1, close)),
            None => cells.push((cell, line.len())),
        }
        if !self.spans.iter().any(|span| span.escaped) {
            return Ok(Some(Record { bytes: line, cells: &self.cells, quoted: false }));
        }
        // Quotes written `""`: the cells are copied, each `""` as one quote (only cells
        // in quotes hold any, every one of them doubled).
        self.unescaped.clear();
        for cell in &mut self.cells {
            let start = self.unescaped.len();
            let mut rest = line.get(cell.0..cell.1).unwrap_or_default();
            while let Some(quote) = memchr::memchr(b'"', rest) {
                self.unescaped.extend_from_slice(&rest[..=quote]);
                rest = rest.get(quote + 2..).unwrap_or_default();
            }
            self.unescaped.extend_from_slice(rest);
            *cell = (start, self.unescaped.len());
        }
        Ok(Some(Record { bytes: &self.unescaped, cells: &self.cells, quoted: false }))
    }

    /// Splits the record at `pos` into `cells` when it holds no quote (nearly every
    /// record of a report) and its end is among the bytes read, or the stream has
    /// ended: one pass finds its commas and its end, which is returned. `None` when a
    /// quote comes first or more bytes are needed: [`Splitter::find_end`] then reads it.
    fn plain_record(&mut self) -> Option<usize> {
        let bytes = &self.buf[self.pos..self.end];
        self.cells.clear();
        let cells = &mut self.cells;
        let mut cell = 0;
        let scan = plain_cells(bytes, |comma| {
            cells.push((cell, comma));
            cell = comma + 1;
        });
        let stop = match scan {
            Scan::Stop(at) if bytes[at] == b'"' => return None,
            Scan::Stop(at) => at,
            Scan::Exhausted if self.eof => bytes.len(),
            Scan::Exhausted => return None,
        };
        cells.push((cell, stop));
        Some(self.pos + stop)
    }

    /// Searches the record at `pos` for its end, from where the last search stopped.
    /// A cell in plain quotes (`"Smith, Jr."`, `"Lee ""The Boss"""`: opened at the
    /// cell's start, closed just before a comma or the record's end, with no line end
    /// inside) is noted in `spans`; any other quoting is for `csv_core`. `None`: the
    /// bytes read do not settle it yet.
    fn find_end(&mut self) -> io::Result<Option<End>> {
        loop {
            let from = self.pos + self.searched;
            let Some(at) = memchr::memchr3(b'\n', b'\r', b'"', &self.buf[from..self.end]) else {
                if self.eof {
                    return Ok(Some(End::At(self.end)));
                }
                self.searched = self.end - self.pos;
                return Ok(None);
            };
            let open = from + at;
            if self.buf[open] != b'"' {
                return Ok(Some(End::At(open)));
            }
            if open != self.pos && self.buf[open - 1] != b',' {
                return Ok(Some(End::Quoted));
            }
            let (mut close, mut escaped) = (open, false);
            loop {
                let Some(inside) = memchr::memchr3(b'"', b'\r', b'\n', &self.buf[close + 1..self.end]) else {
                    return Ok(if self.eof { Some(End::Quoted) } else { None });
                };
                close += 1 + inside;
                if self.buf[close] != b'"' {
                    return Ok(Some(End::Quoted));
                }
                // `""`: a quote inside the cell.
                if close + 1 < self.end && self.buf[close + 1] == b'"' {
                    (close, escaped) = (close + 1, true);
                    continue;
                }
                break;
            }
            match self.buf.get(close + 1).filter(|_| close + 1 < self.end) {
                Some(b',' | b'\r' | b'\n') => {}
                None if self.eof => {}
                None => return Ok(None),
                Some(_) => return Ok(Some(End::Quoted)),
            }
            self.spans.push(Span { open: open - self.pos, close: close - self.pos, escaped });
            self.searched = close + 1 - self.pos;
        }
    }

    /// Reads the first bytes and drops a byte order mark; makes sure a second one is
    /// in the buffer whole when there is one, for `csv_core` to drop, with a byte
    /// after it: given nothing more, `csv_core` would take the stream for ended.
    fn start(&mut self) -> io::Result<()> {
        while self.end < BOM.len() && !self.eof {
            self.fill()?;
        }
        if self.buf[..self.end].starts_with(BOM) {
            self.pos = BOM.len();
        }
        while self.end - self.pos <= BOM.len() && !self.eof {
            self.fill()?;
        }
        self.last = self.buf[self.pos..self.end].last().copied();
        Ok(())
    }

    /// Reads the record at `pos` with `csv_core`, following its quoting.
    fn read_quoted(&mut self) -> io::Result<Option<Record<'_>>> {
        self.searched = 0;
        self.quoting = Quoting::new();
        if self.quoted.is_empty() {
            self.quoted.resize(QUOTED_BUFFER, 0);
            self.quoted_ends.resize(64, 0);
        }
        let (mut out, mut ends) = (0, 0);
        // The header's first call: `csv_core` drops a byte order mark there, which is
        // not quoting.
        let mut mark = if self.header_read { 0 } else { BOM.len() };
        self.header_read = true;
        loop {
            let input = &self.buf[self.pos..self.end];
            let (result, read, written, ended) =
                self.core.read_record(input, &mut self.quoted[out..], &mut self.quoted_ends[ends..]);
            let skip = if input.starts_with(BOM) { mark.min(read) } else { 0 };
            mark = 0;
            self.quoting.track(&input[skip..read]);
            self.pos += read;
            out += written;
            ends += ended;
            match result {
                // `csv_core` ends every record when given no more input.
                ReadRecordResult::InputEmpty if self.eof && input.is_empty() => return Ok(None),
                // At the end of the stream, the next call (with no input) ends the record.
                ReadRecordResult::InputEmpty if self.eof => {}
                ReadRecordResult::InputEmpty => self.fill()?,
                ReadRecordResult::OutputFull => {
                    let size = self.quoted.len() * 2;
                    self.quoted.resize(size, 0);
                }
                ReadRecordResult::OutputEndsFull => {
                    let size = self.quoted_ends.len() * 2;
                    self.quoted_ends.resize(size, 0);
                }
                ReadRecordResult::Record => break,
                ReadRecordResult::End => return Ok(None),
            }
        }
        self.cells.clear();
        let mut cell = 0;
        for &end in &self.quoted_ends[..ends] {
            self.cells.push((cell, end));
            cell = end;
        }
        Ok(Some(Record { bytes: &self.quoted[..out], cells: &self.cells, quoted: true }))
    }

    /// Reads more of the stream after what is left to split, which moves to the
    /// buffer's start; the buffer doubles when that fills it.
    fn fill(&mut self) -> io::Result<()> {
        if self.pos > 0 {
            self.buf.copy_within(self.pos..self.end, 0);
            self.end -= self.pos;
            self.pos = 0;
        }
        if self.end == self.buf.len() {
            let size = self.buf.len() * 2;
            self.buf.resize(size, 0);
        }
        loop {
            match self.inner.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(());
                }
                Ok(n) => {
                    self.end += n;
                    self.last = Some(self.buf[self.end - 1]);
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stream handing out its bytes in pieces of the given sizes (cycled).
    struct Pieces<'a> {
        bytes: &'a [u8],
        sizes: Vec<usize>,
        next: usize,
    }

    impl Read for Pieces<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let size = self.sizes.get(self.next % self.sizes.len().max(1)).copied().unwrap_or(usize::MAX).max(1);
            self.next += 1;
            let n = size.min(buf.len()).min(self.bytes.len());
            buf[..n].copy_from_slice(&self.bytes[..n]);
            self.bytes = &self.bytes[n..];
            Ok(n)
        }
    }

    /// Every record of `bytes` read in pieces of `sizes`, and whether the stream ended
    /// inside quotes.
    fn split(bytes: &[u8], sizes: Vec<usize>) -> (Vec<Vec<Vec<u8>>>, bool, Option<u8>) {
        let mut splitter = Splitter::new(Pieces { bytes, sizes, next: 0 });
        let mut records = Vec::new();
        while let Some(record) = splitter.next().expect("in memory") {
            records.push(record.iter().map(<[u8]>::to_vec).collect());
        }
        (records, splitter.ends_inside_quotes(), splitter.last())
    }

    /// What the csv crate reads of `bytes` after one byte order mark (which the
    /// download drops), and whether it ends inside quotes, the quoting followed over
    /// every byte it reads.
    fn csv_crate(bytes: &[u8]) -> (Vec<Vec<Vec<u8>>>, bool) {
        let body = bytes.strip_prefix(BOM).unwrap_or(bytes);
        let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(body);
        let records =
            reader.byte_records().map(|r| r.expect("in memory").iter().map(<[u8]>::to_vec).collect()).collect();
        let mut quoting = Quoting::new();
        quoting.track(body.strip_prefix(BOM).unwrap_or(body));
        (records, quoting.inside_quotes())
    }

    #[test]
    fn unquoted_records_split_in_place() {
        let (records, quoted, last) = split(b"\xEF\xBB\xBFa,b\r\n1,\r\n\r\n,2\n", vec![3, 1, 5]);
        let expected: Vec<Vec<Vec<u8>>> =
            vec![vec![b"a".to_vec(), b"b".to_vec()], vec![b"1".to_vec(), vec![]], vec![vec![], b"2".to_vec()]];
        assert_eq!(records, expected);
        assert!(!quoted);
        assert_eq!(last, Some(b'\n'));
    }

    #[test]
    fn quoted_records_and_cuts() {
        let (records, quoted, _) = split(b"a,b\n\"x,\"\"y\"\"\r\nz\",2\n\"cut", vec![2]);
        assert_eq!(records[1], [b"x,\"y\"\r\nz".to_vec(), b"2".to_vec()]);
        assert_eq!(records[2], [b"cut".to_vec()]);
        assert!(quoted, "the body ends inside a quote");
    }

    /// Records far longer than a step of the one-pass split, ended at any offset of
    /// a step, split as the csv crate reads them.
    #[test]
    fn records_of_many_cells_split_as_the_csv_crate_reads() {
        for cells in [15, 16, 17, 255, 256, 257, 600] {
            for tail in ["", "x", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"] {
                let commas = ",".repeat(cells);
                let bodies =
                    [format!("a\r\n{commas}{tail}\r\n{}\n", "b,".repeat(cells)), format!("a\r\n{tail}{commas}\r\n")];
                for body in bodies {
                    for sizes in [vec![7], vec![4096]] {
                        assert_eq!(split(body.as_bytes(), sizes).0, csv_crate(body.as_bytes()).0, "{cells} {tail:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn a_second_byte_order_mark_is_dropped_as_by_the_csv_crate() {
        let body = b"\xEF\xBB\xBF\xEF\xBB\xBFa,b\n\xEF\xBB\xBF\"q\",1\n";
        assert_eq!(split(body, vec![1]).0, csv_crate(body).0);
        assert_eq!(split(body, vec![100]).0, csv_crate(body).0);
    }

    proptest::proptest! {
        /// Every comma scan finds every comma and nothing else, at any length and any
        /// offset into the sixteen-byte steps.
        #[test]
        fn comma_scans_find_every_comma(line in proptest::collection::vec(proptest::sample::select(b",a\x80\xff\"\r\n".to_vec()), 0..80)) {
            let expected: Vec<usize> = line.iter().enumerate().filter(|(_, &b)| b == b',').map(|(i, _)| i).collect();
            let mut found = Vec::new();
            commas(&line, |at| found.push(at));
            proptest::prop_assert_eq!(&found, &expected);
            found.clear();
            commas_by_words(&line, 0, |at| found.push(at));
            proptest::prop_assert_eq!(&found, &expected);
            // The one-pass split stops at the first line end or quote, with the commas
            // before it.
            let stop = line.iter().position(|b| matches!(b, b'\r' | b'\n' | b'"'));
            let before: Vec<usize> = expected.iter().copied().filter(|&at| stop.is_none_or(|stop| at < stop)).collect();
            let scan = stop.map_or(Scan::Exhausted, Scan::Stop);
            for by_bytes in [false, true] {
                found.clear();
                let got = if by_bytes {
                    plain_cells_by_bytes(&line, 0, |at| found.push(at))
                } else {
                    plain_cells(&line, |at| found.push(at))
                };
                proptest::prop_assert_eq!(&got, &scan);
                proptest::prop_assert_eq!(&found, &before);
            }
        }

        /// Any bytes, read in any pieces: the same records as the csv crate reads, and
        /// the same verdict on ending inside quotes.
        #[test]
        fn splits_as_the_csv_crate_reads(
            bom in proptest::bool::ANY,
            body in proptest::collection::vec(proptest::sample::select(b"\",\r\nab \xEF\xBB\xBF\xff".to_vec()), 0..200),
            sizes in proptest::collection::vec(1usize..70, 1..5),
            cut in proptest::num::usize::ANY,
        ) {
            let mut bytes = if bom { BOM.to_vec() } else { Vec::new() };
            bytes.extend_from_slice(&body);
            let cut = cut % (bytes.len() + 1);
            for bytes in [&bytes[..], &bytes[..cut]] {
                let (records, quoted, last) = split(bytes, sizes.clone());
                let (expected, expected_quoted) = csv_crate(bytes);
                proptest::prop_assert_eq!(records, expected);
                proptest::prop_assert_eq!(quoted, expected_quoted);
                let after_bom = bytes.strip_prefix(BOM).unwrap_or(bytes);
                proptest::prop_assert_eq!(last, after_bom.last().copied());
            }
        }

        /// Reports as Microsoft writes them (long unquoted records, a few quoted ones,
        /// CRLF), across reads far smaller and far larger than a record.
        #[test]
        fn reports_split_as_the_csv_crate_reads(
            rows in proptest::collection::vec(proptest::collection::vec("[a-z0-9@., \"\r\n]{0,12}", 3), 0..40),
            sizes in proptest::collection::vec(1usize..300, 1..5),
        ) {
            let mut bytes = BOM.to_vec();
            bytes.extend_from_slice(b"A,B,C\r\n");
            for row in &rows {
                let cells: Vec<String> = row
                    .iter()
                    .map(|c| if c.contains([',', '"', '\r', '\n']) { format!("\"{}\"", c.replace('"', "\"\"")) } else { c.clone() })
                    .collect();
                bytes.extend_from_slice(format!("{}\r\n", cells.join(",")).as_bytes());
            }
            let (records, quoted, _) = split(&bytes, sizes);
            proptest::prop_assert_eq!(records, csv_crate(&bytes).0);
            proptest::prop_assert!(!quoted);
        }
    }
}
