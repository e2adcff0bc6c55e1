//! The report cache kept by a Redis or memcached server ([`Store`]) instead of files,
//! shared by every poller using that server.
//!
//! An entry is its record file, byte for byte, cut in chunks of at most
//! [`Store::chunk_size`] (memcached keeps 1 MB per item by default; Redis values are
//! limited to 512 MB), plus a small *head* naming them:
//!
//! * `<base>`: the head, JSON `{"format":"centreon-records","version":1,
//!   "generation":"<hex>","created":<ms>,"size":<bytes>,"chunks":<count>}`;
//! * `<base>.<generation>.<i>`: chunk `i` of that generation, from 0;
//! * `<base>.<generation>.index` (Redis only): a hash by name, for a check of one
//!   name ([`lookup_only`]): field `n<name>` holds the records of that name (each cell
//!   as a varint length and its bytes, record after record, in report order), field
//!   `count` the number of records, written last (an index without it is incomplete);
//!   the head then also names the indexed column and lists the report's columns;
//! * `<base>.lock`, `<base>.failed`: the single-flight lock and the failure note.
//!
//! With `--statefile-key` ([`super::Cache::sealed`]), nothing of the report is kept in
//! clear: the chunks are the sealed record file ([`crate::sealed`], as a file copy
//! is), the head is sealed too, each index value is sealed, and each index field is
//! `k` and a keyed hash of the name (HMAC-SHA256 under a key derived from the
//! statefile key, salted with the generation, 16 bytes), so a check of one name still
//! asks for one field. A copy made with another key (or none) is then a miss, as its
//! head does not open; the hash may match another name, so the records an index value
//! holds are checked against the name asked.
//!
//! `<base>` is what the entry's file would be (`<statefile-dir>/<prefix><md5>`). A new
//! copy is written under a new generation and becomes visible when the head is
//! replaced; the old generation's chunks are then deleted. Every key lives as long as
//! an entry is kept ([`super::KEEP`]), so the server prunes by itself.
//!
//! A copy is dated by the clock of the poller that made it, and read by others: a date
//! ahead of the reader's clock within [`super::SKEW`] counts as just made (pollers'
//! clocks differ a little); further ahead, the copy is a miss. The server's own clock
//! plays no part: every lifetime is given relative (`EX`, memcached's seconds).
//!
//! A copy is read into an anonymous memory file and checked whole (length, trailer,
//! CRC-32) before use, as a file is: a chunk evicted (`maxmemory`), replaced by a newer
//! generation, or a head of another format is a miss, never half a report.

use std::fs::File;
use std::io::{self, Seek, Write};
use std::os::fd::FromRawFd;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, KeyInit, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use super::{age_of, Entry, Key, Miss};
use crate::records::{self, put_varint, varint, Writer};
use crate::sealed::{self, SealKey, Sealer};
use crate::store::Store;

/// Index fields sent per round trip.
const INDEX_BATCH: usize = 2000;

/// The index's field that says it is complete.
const COUNT: &[u8] = b"count";

/// The bytes of an index field's keyed hash.
const NAME_HASH: usize = 16;

/// The bytes read from a copy at once while it is sent.
const SEND_BUFFER: usize = 256 * 1024;

/// Where a copy goes: the server, how long its keys live, the column to index, the
/// key sealing it.
#[derive(Debug)]
pub(super) struct Kept {
    pub(super) store: Store,
    pub(super) keep: Duration,
    pub(super) index: Option<String>,
    pub(super) seal: Option<SealKey>,
}

/// Where a copy is read from: the server and the key that sealed it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Source<'a> {
    pub(super) store: &'a Store,
    pub(super) seal: Option<&'a SealKey>,
}

/// The head's `format`.
const FORMAT: &str = "centreon-records";

/// The head's `version`: a head of another version is foreign.
const VERSION: u64 = 1;

/// An entry's head, as stored.
struct Head {
    generation: String,
    created: SystemTime,
    size: u64,
    chunks: u64,
    /// The indexed column, and every column of the report, when there is an index.
    index: Option<(String, Vec<String>)>,
}

impl Head {
    fn parse(bytes: &[u8]) -> Option<Head> {
        let value: Value = serde_json::from_slice(bytes).ok()?;
        if value.get("format")?.as_str()? != FORMAT || value.get("version")?.as_u64()? != VERSION {
            return None;
        }
        let generation = value.get("generation")?.as_str()?;
        if generation.is_empty() || !generation.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        Some(Head {
            generation: generation.to_string(),
            created: UNIX_EPOCH + Duration::from_millis(value.get("created")?.as_u64()?),
            size: value.get("size")?.as_u64()?,
            chunks: value.get("chunks")?.as_u64()?,
            index: value.get("index").and_then(Value::as_str).and_then(|column| {
                let columns = value.get("columns")?.as_array()?.iter().map(|c| c.as_str().map(str::to_string));
                Some((column.to_string(), columns.collect::<Option<Vec<String>>>()?))
            }),
        })
    }
}

/// The head of the entry at `base`, opened with the copy's key.
fn read_head(source: Source<'_>, base: &str) -> Result<Head, Miss> {
    let stored =
        source.store.get(base).map_err(|e| Miss::Unusable(format!("cannot be read: {e}")))?.ok_or(Miss::Absent)?;
    let clear = match source.seal {
        None => stored,
        Some(key) => sealed::unseal_bytes(key, &stored)
            .ok_or_else(|| Miss::Unusable("is not encrypted with --statefile-key".to_string()))?,
    };
    // Under a wrong key the head is noise, which no JSON parser takes for a head.
    Head::parse(&clear).ok_or_else(|| match source.seal {
        None => Miss::Unusable("is of another format".to_string()),
        Some(_) => Miss::Unusable("is of another format or encrypted with another --statefile-key".to_string()),
    })
}

/// What the index's fields are named by: the name itself, or its keyed hash.
#[derive(Clone)]
enum FieldNames {
    Clear,
    /// HMAC-SHA256 keyed by the sealing key's derivation, already fed the generation.
    Hashed(Hmac<Sha256>),
}

impl FieldNames {
    /// The field names of the index of `generation`, sealed by `seal` or not.
    fn new(seal: Option<&SealKey>, generation: &str) -> FieldNames {
        let Some(seal) = seal else { return FieldNames::Clear };
        let mut derive = keyed(seal);
        derive.update(b"centreon report cache: index field names");
        let mut mac = keyed(&derive.finalize().into_bytes().into());
        mac.update(generation.as_bytes());
        mac.update(&[0]);
        FieldNames::Hashed(mac)
    }

    /// The field holding the records of `name`.
    fn field(&self, name: &[u8]) -> Vec<u8> {
        match self {
            FieldNames::Clear => [b"n".as_slice(), name].concat(),
            FieldNames::Hashed(mac) => {
                let mut mac = mac.clone();
                mac.update(name);
                let hash = mac.finalize().into_bytes();
                [b"k".as_slice(), &hash[..NAME_HASH]].concat()
            }
        }
    }
}

/// HMAC-SHA256 keyed with `key`. HMAC pads a key shorter than the hash's block with
/// zero bytes: the same key given at the block's length, which cannot fail.
fn keyed(key: &[u8; 32]) -> Hmac<Sha256> {
    let mut block = [0u8; 64];
    block[..32].copy_from_slice(key);
    <Hmac<Sha256> as KeyInit>::new(&block.into())
}

/// The key of the index of `generation`.
fn index_key(base: &str, generation: &str) -> String {
    format!("{base}.{generation}.index")
}

/// The key of chunk `index` of `generation`.
fn chunk_key(base: &str, generation: &str, index: u64) -> String {
    format!("{base}.{generation}.{index}")
}

/// A file in memory, gone when closed: where a copy is written before it is sent, and
/// read into before it is checked. Never in the statefile directory.
pub(super) fn memory_file() -> io::Result<File> {
    // SAFETY: the name is a valid NUL-terminated string; the call has no other
    // precondition.
    let fd = unsafe { libc::memfd_create(c"centreon-report-copy".as_ptr(), libc::MFD_CLOEXEC) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` was just created and is owned by nothing else.
    Ok(unsafe { File::from_raw_fd(fd) })
}

/// The entry of `key` at `base` if younger than `max_age`, read whole and checked.
pub(super) fn lookup(source: Source<'_>, base: &str, key: &Key, max_age: Duration) -> Result<Entry, Miss> {
    let unusable = |why: String| Miss::Unusable(why);
    let store = source.store;
    let head = read_head(source, base)?;
    // The head's date spares fetching a copy that is too old anyway.
    let age = age_of(head.created)?;
    if age >= max_age {
        return Err(Miss::Expired(age));
    }
    let mut file = memory_file().map_err(|e| unusable(format!("cannot be read: {e}")))?;
    let mut size = 0u64;
    for index in 0..head.chunks {
        let chunk = store
            .get(&chunk_key(base, &head.generation, index))
            .map_err(|e| unusable(format!("cannot be read: {e}")))?
            .ok_or_else(|| unusable(format!("is incomplete (part {} of {} is gone)", index + 1, head.chunks)))?;
        file.write_all(&chunk).map_err(|e| unusable(format!("cannot be read: {e}")))?;
        size += chunk.len() as u64;
    }
    if size != head.size {
        return Err(unusable(format!("is damaged ({size} bytes instead of {})", head.size)));
    }
    file.rewind().map_err(|e| unusable(format!("cannot be read: {e}")))?;
    let file = sealed::unseal(file, source.seal).map_err(|e| unusable(e.to_string()))?;
    let opened = records::open(file, key.material()).map_err(|e| unusable(e.to_string()))?;
    let age = age_of(opened.created())?;
    if age >= max_age {
        return Err(Miss::Expired(age));
    }
    let records = opened.verify().map_err(|e| unusable(e.to_string()))?;
    Ok(Entry { records, age, path: PathBuf::from(base) })
}

/// Sends the complete record file `file` (in clear) as the entry at `base`, sealed
/// when `kept` says so, kept for its lifetime, and deletes the generation it
/// replaces. Returns the size sent.
pub(super) fn put(kept: &Kept, base: &str, key: &[u8], file: &File) -> Result<u64, String> {
    let Kept { store, keep, index, seal } = kept;
    let keep = *keep;
    let failed = |e: &dyn std::fmt::Display| format!("cannot store '{base}' in the {}: {e}", store.name());
    let created = records::open(file.try_clone().map_err(|e| failed(&e))?, key).map_err(|e| failed(&e))?.created();
    let mut generation = [0u8; 8];
    getrandom::fill(&mut generation).map_err(|e| failed(&e))?;
    let generation: String = generation.iter().map(|b| format!("{b:02x}")).collect();
    let mut chunks = Chunks { store, base, generation: &generation, keep, buffer: Vec::new(), sent: 0, size: 0 };
    let (size, chunks) = match send(file, &mut chunks, seal.as_ref()) {
        Ok(()) => (chunks.size, chunks.sent),
        Err(e) => {
            forget(store, base, &generation, chunks.sent + 1);
            return Err(failed(&e));
        }
    };
    let index = match index.as_deref().filter(|_| store.keeps_hashes()) {
        Some(column) => {
            let names = FieldNames::new(seal.as_ref(), &generation);
            let at = IndexAt { store, key: &index_key(base, &generation), keep, seal: seal.as_ref(), names: &names };
            write_index(&at, key, file, column).map_err(|e| {
                forget(store, base, &generation, chunks);
                failed(&e)
            })?
        }
        None => None,
    };
    // The copy replaced may be in clear (the key is new): its chunks go too.
    let previous = read_head(Source { store, seal: seal.as_ref() }, base)
        .or_else(|_| read_head(Source { store, seal: None }, base))
        .ok();
    let mut head = json!({
        "format": FORMAT,
        "version": VERSION,
        "generation": generation,
        "created": millis(created),
        "size": size,
        "chunks": chunks,
    });
    if let Some((column, columns)) = index {
        head["index"] = Value::from(column);
        head["columns"] = Value::from(columns);
    }
    let head = match seal {
        None => head.to_string().into_bytes(),
        Some(seal) => sealed::seal_bytes(seal, head.to_string().as_bytes()).map_err(|e| failed(&e))?,
    };
    if let Err(e) = store.set(base, &head, keep) {
        forget(store, base, &generation, chunks);
        return Err(failed(&e));
    }
    if let Some(previous) = previous.filter(|p| p.generation != generation) {
        forget(store, base, &previous.generation, previous.chunks);
    }
    Ok(size)
}

/// Writes the record file `file` into `chunks`, sealed with `seal` when given.
fn send(file: &File, chunks: &mut Chunks<'_>, seal: Option<&SealKey>) -> io::Result<()> {
    let size = file.metadata()?.len();
    let mut sealer = Sealer::new(&mut *chunks, seal)?;
    let mut buffer = vec![0u8; SEND_BUFFER];
    let mut offset = 0u64;
    while offset < size {
        let part = &mut buffer[..usize::try_from((size - offset).min(SEND_BUFFER as u64)).unwrap_or(0)];
        file.read_exact_at(part, offset)?;
        sealer.write_all(part)?;
        offset += part.len() as u64;
    }
    drop(sealer);
    chunks.finish()
}

/// The chunks of one generation being sent: what is written goes to the server in
/// pieces of [`Store::chunk_size`].
struct Chunks<'a> {
    store: &'a Store,
    base: &'a str,
    generation: &'a str,
    keep: Duration,
    buffer: Vec<u8>,
    /// Chunks sent so far.
    sent: u64,
    /// Bytes sent so far.
    size: u64,
}

impl Chunks<'_> {
    /// Sends the buffered bytes as the next chunk.
    fn flush_chunk(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        self.store
            .set(&chunk_key(self.base, self.generation, self.sent), &self.buffer, self.keep)
            .map_err(io::Error::other)?;
        self.sent += 1;
        self.size += self.buffer.len() as u64;
        self.buffer.clear();
        Ok(())
    }

    /// Sends the last, shorter chunk.
    fn finish(&mut self) -> io::Result<()> {
        self.flush_chunk()
    }
}

impl Write for Chunks<'_> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let room = self.store.chunk_size() - self.buffer.len();
        let taken = room.min(data.len());
        self.buffer.extend_from_slice(&data[..taken]);
        if self.buffer.len() == self.store.chunk_size() {
            self.flush_chunk()?;
        }
        Ok(taken)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Deletes `generation`: its index and its first `chunks` chunks (no reader will find
/// them again).
fn forget(store: &Store, base: &str, generation: &str, chunks: u64) {
    let _ = store.delete(&index_key(base, generation));
    for index in 0..chunks {
        // A chunk that cannot be deleted lapses with its lifetime.
        let _ = store.delete(&chunk_key(base, generation, index));
    }
}

/// `time` in milliseconds since the Unix epoch.
fn millis(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Where an index goes: the hash's key and lifetime, how its fields are named and its
/// values sealed.
struct IndexAt<'a> {
    store: &'a Store,
    key: &'a str,
    keep: Duration,
    seal: Option<&'a SealKey>,
    names: &'a FieldNames,
}

impl IndexAt<'_> {
    /// `value` as stored: sealed when the copy is.
    fn seal(&self, value: Vec<u8>) -> Result<Vec<u8>, String> {
        match self.seal {
            None => Ok(value),
            Some(key) => sealed::seal_bytes(key, &value).map_err(|e| e.to_string()),
        }
    }

    /// A stored value in clear; `None` when it does not open.
    fn open(&self, stored: Vec<u8>) -> Option<Vec<u8>> {
        match self.seal {
            None => Some(stored),
            Some(key) => sealed::unseal_bytes(key, &stored),
        }
    }
}

/// Writes the index by `column` of the record file `file` (of cache key `key`) where
/// `at` says; the indexed column and the report's columns, or `None` when the report
/// cannot be indexed (no such column, a column name that is not UTF-8).
fn write_index(
    at: &IndexAt<'_>,
    key: &[u8],
    file: &File,
    column: &str,
) -> Result<Option<(String, Vec<String>)>, String> {
    let (store, index_key, keep) = (at.store, at.key, at.keep);
    let records = records::open(file.try_clone().map_err(|e| e.to_string())?, key)
        .and_then(records::Opened::verify)
        .map_err(|e| format!("the copy {e}"))?;
    let columns: Option<Vec<String>> =
        records.columns().iter().map(|c| std::str::from_utf8(c).ok().map(str::to_string)).collect();
    let (Some(columns), Some(indexed)) = (columns, records.column(column.as_bytes())) else {
        return Ok(None);
    };
    // The lifetime first: an index left half-written by a killed check lapses too.
    store.hash_set(index_key, &[(b"partial".as_slice(), b"".as_slice())], keep).map_err(|e| e.to_string())?;
    let every: Vec<usize> = (0..columns.len()).collect();
    let mut batch: Vec<(Vec<u8>, Vec<u8>)> = Vec::with_capacity(INDEX_BATCH);
    let mut repeated: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    let mut send = |batch: &mut Vec<(Vec<u8>, Vec<u8>)>| -> Result<(), String> {
        let fields: Vec<(&[u8], &[u8])> = batch.iter().map(|(f, v)| (f.as_slice(), v.as_slice())).collect();
        let added = store.hash_add(index_key, &fields).map_err(|e| e.to_string())?;
        // A name seen before (rare): its records are appended once all are sent.
        repeated.extend(batch.drain(..).zip(added).filter(|(_, added)| !added).map(|(field, _)| field));
        Ok(())
    };
    records
        .scan(&every, |record| {
            let name = record.get(indexed);
            let field = at.names.field(name.strip_suffix(b"\n").unwrap_or(name));
            let mut value = Vec::new();
            for i in 0..record.len() {
                put_varint(&mut value, record.get(i).len() as u64);
                value.extend_from_slice(record.get(i));
            }
            batch.push((field, at.seal(value)?));
            if batch.len() == INDEX_BATCH {
                send(&mut batch)?;
            }
            Ok::<_, String>(())
        })
        .map_err(|e| e.to_string())?;
    send(&mut batch)?;
    let unopened = || "a value of the index does not open".to_string();
    for (field, value) in repeated {
        let stored = store.hash_get(index_key, &[&field]).map_err(|e| e.to_string())?.pop().flatten();
        let mut all = match stored {
            Some(stored) => at.open(stored).ok_or_else(unopened)?,
            None => Vec::new(),
        };
        all.extend_from_slice(&at.open(value).ok_or_else(unopened)?);
        store.hash_set(index_key, &[(&field, &at.seal(all)?)], keep).map_err(|e| e.to_string())?;
    }
    let count = records.len().to_string();
    store.hash_set(index_key, &[(COUNT, count.as_bytes())], keep).map_err(|e| e.to_string())?;
    Ok(Some((column.to_string(), columns)))
}

/// The records of the fresh entry at `base` whose `column` is `value`, from its index,
/// as an entry of their own (the report's header and those records); `None` when the
/// entry has no index by `column`.
pub(super) fn lookup_only(
    source: Source<'_>,
    base: &str,
    key: &Key,
    column: &str,
    value: &str,
    max_age: Duration,
) -> Result<Entry, Miss> {
    let unusable = |why: String| Miss::Unusable(why);
    let head = read_head(source, base)?;
    let Some((indexed, columns)) = head.index.as_ref().filter(|(indexed, _)| indexed == column) else {
        return Err(unusable(format!("has no index by '{column}'")));
    };
    let age = age_of(head.created)?;
    if age >= max_age {
        return Err(Miss::Expired(age));
    }
    let field = FieldNames::new(source.seal, &head.generation).field(value.as_bytes());
    let mut found = source
        .store
        .hash_get(&index_key(base, &head.generation), &[COUNT, &field])
        .map_err(|e| unusable(format!("cannot be read: {e}")))?
        .into_iter();
    if found.next().flatten().is_none() {
        return Err(unusable(format!("has an incomplete index by '{indexed}' (evicted?)")));
    }
    let damaged = || unusable(format!("has a damaged index by '{indexed}'"));
    let stored = match (found.next().flatten(), source.seal) {
        (None, _) => Vec::new(),
        (Some(stored), None) => stored,
        (Some(stored), Some(seal)) => sealed::unseal_bytes(seal, &stored).ok_or_else(damaged)?,
    };
    let at = columns.iter().position(|c| c == indexed).ok_or_else(damaged)?;
    let file = memory_file().map_err(|e| unusable(format!("cannot be read: {e}")))?;
    let mut writer =
        Writer::new(file.try_clone().map_err(|e| unusable(e.to_string()))?, key.material(), head.created, columns)
            .map_err(|_| damaged())?;
    let mut cursor = 0;
    let mut cells: Vec<&[u8]> = Vec::with_capacity(columns.len());
    while cursor < stored.len() {
        cells.clear();
        for _ in 0..columns.len() {
            let size = usize::try_from(varint(&stored, &mut cursor).ok_or_else(damaged)?).map_err(|_| damaged())?;
            let cell = stored.get(cursor..cursor.saturating_add(size)).ok_or_else(damaged)?;
            cursor += size;
            cells.push(cell);
        }
        // A keyed hash shared by another name: that name's records are not asked for.
        let name = cells[at].strip_suffix(b"\n").unwrap_or(cells[at]);
        if name == value.as_bytes() {
            writer.record(&cells).map_err(|_| damaged())?;
        }
    }
    writer.finish().map_err(|e| unusable(e.to_string()))?;
    let records =
        records::open(file, key.material()).and_then(records::Opened::verify).map_err(|e| unusable(e.to_string()))?;
    Ok(Entry { records, age, path: PathBuf::from(base) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_head_of_another_format_or_version_is_foreign() {
        let good = r#"{"format":"centreon-records","version":1,"generation":"0a1b","created":5,"size":9,"chunks":1}"#;
        let head = Head::parse(good.as_bytes()).expect("a head");
        assert_eq!((head.generation.as_str(), head.size, head.chunks), ("0a1b", 9, 1));
        assert_eq!(head.created, UNIX_EPOCH + Duration::from_millis(5));
        assert!(head.index.is_none());
        let indexed = good.replace("\"chunks\":1", r#""chunks":1,"index":"UPN","columns":["Date","UPN"]"#);
        let head = Head::parse(indexed.as_bytes()).expect("an indexed head");
        assert_eq!(head.index, Some(("UPN".to_string(), vec!["Date".to_string(), "UPN".to_string()])));
        for bad in [
            good.replace("\"version\":1", "\"version\":2"),
            good.replace("centreon-records", "other"),
            good.replace("0a1b", "../x"),
            good.replace("\"size\":9,", ""),
            "$VAR1 = {};".to_string(),
            String::new(),
        ] {
            assert!(Head::parse(bad.as_bytes()).is_none(), "{bad}");
        }
    }

    #[test]
    fn index_fields_are_names_in_clear_and_keyed_hashes_with_a_key() {
        let name = b"alice@contoso.com";
        assert_eq!(FieldNames::new(None, "0a1b").field(name), b"nalice@contoso.com");
        let field = FieldNames::new(Some(&[7; 32]), "0a1b").field(name);
        assert_eq!(field.len(), 1 + NAME_HASH);
        assert!(field.starts_with(b"k") && !field.windows(5).any(|w| w == b"alice"), "{field:?}");
        assert_eq!(FieldNames::new(Some(&[7; 32]), "0a1b").field(name), field, "found again");
        assert_ne!(FieldNames::new(Some(&[8; 32]), "0a1b").field(name), field, "another key");
        assert_ne!(FieldNames::new(Some(&[7; 32]), "0a1c").field(name), field, "another copy");
        assert_ne!(FieldNames::new(Some(&[7; 32]), "0a1b").field(b"bob@contoso.com"), field, "another name");
    }

    #[test]
    fn a_memory_file_holds_what_is_written() {
        let mut file = memory_file().expect("memfd");
        file.write_all(b"record file").expect("write");
        let mut back = [0u8; 4];
        file.read_exact_at(&mut back, 7).expect("read");
        assert_eq!(&back, b"file");
        assert_eq!(file.metadata().expect("size").len(), 11);
    }
}
