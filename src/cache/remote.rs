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
//! `<base>` is what the entry's file would be (`<statefile-dir>/<prefix><md5>`). A new
//! copy is written under a new generation and becomes visible when the head is
//! replaced; the old generation's chunks are then deleted. Every key lives as long as
//! an entry is kept ([`super::KEEP`]), so the server prunes by itself.
//!
//! A copy is read into an anonymous memory file and checked whole (length, trailer,
//! CRC-32) before use, as a file is: a chunk evicted (`maxmemory`), replaced by a newer
//! generation, or a head of another format is a miss, never half a report.

use std::fs::File;
use std::io::{self, Write};
use std::os::fd::FromRawFd;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use super::{Entry, Key, Miss};
use crate::records::{self, Writer};
use crate::store::Store;

/// Index fields sent per round trip.
const INDEX_BATCH: usize = 2000;

/// The index's field that says it is complete.
const COUNT: &[u8] = b"count";

/// Where a copy goes: the server, how long its keys live, the column to index.
#[derive(Debug)]
pub(super) struct Kept {
    pub(super) store: Store,
    pub(super) keep: Duration,
    pub(super) index: Option<String>,
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
pub(super) fn lookup(store: &Store, base: &str, key: &Key, max_age: Duration) -> Result<Entry, Miss> {
    let unusable = |why: String| Miss::Unusable(why);
    let head = store.get(base).map_err(|e| unusable(format!("cannot be read: {e}")))?.ok_or(Miss::Absent)?;
    let head = Head::parse(&head).ok_or_else(|| unusable("is of another format".to_string()))?;
    let age = |created: SystemTime| {
        SystemTime::now().duration_since(created).map_err(|_| unusable("is dated in the future".to_string()))
    };
    // The head's date spares fetching a copy that is too old anyway.
    if age(head.created)? >= max_age {
        return Err(Miss::Expired(age(head.created)?));
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
    let opened = records::open(file, key.material()).map_err(|e| unusable(e.to_string()))?;
    let age = age(opened.created())?;
    if age >= max_age {
        return Err(Miss::Expired(age));
    }
    let records = opened.verify().map_err(|e| unusable(e.to_string()))?;
    Ok(Entry { records, age, path: PathBuf::from(base) })
}

/// Sends the complete record file `file` as the entry at `base`, kept for `keep`, and
/// deletes the generation it replaces. Returns the size sent.
pub(super) fn put(kept: &Kept, base: &str, key: &[u8], file: &File) -> Result<u64, String> {
    let Kept { store, keep, index } = kept;
    let keep = *keep;
    let failed = |e: &dyn std::fmt::Display| format!("cannot store '{base}' in the {}: {e}", store.name());
    let size = file.metadata().map_err(|e| failed(&e))?.len();
    let created = records::open(file.try_clone().map_err(|e| failed(&e))?, key).map_err(|e| failed(&e))?.created();
    let mut generation = [0u8; 8];
    getrandom::fill(&mut generation).map_err(|e| failed(&e))?;
    let generation: String = generation.iter().map(|b| format!("{b:02x}")).collect();
    let chunk = store.chunk_size() as u64;
    let chunks = size.div_ceil(chunk);
    let mut buffer = vec![0u8; usize::try_from(chunk.min(size)).unwrap_or(0)];
    for index in 0..chunks {
        let start = index * chunk;
        let part = &mut buffer[..usize::try_from(chunk.min(size - start)).unwrap_or(0)];
        file.read_exact_at(part, start).map_err(|e| failed(&e))?;
        if let Err(e) = store.set(&chunk_key(base, &generation, index), part, keep) {
            forget(store, base, &generation, index);
            return Err(failed(&e));
        }
    }
    let index = match index.as_deref().filter(|_| store.keeps_hashes()) {
        Some(column) => write_index(store, &index_key(base, &generation), key, file, column, keep).map_err(|e| {
            forget(store, base, &generation, chunks);
            failed(&e)
        })?,
        None => None,
    };
    let previous = store.get(base).ok().flatten().and_then(|bytes| Head::parse(&bytes));
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
    if let Err(e) = store.set(base, head.to_string().as_bytes(), keep) {
        forget(store, base, &generation, chunks);
        return Err(failed(&e));
    }
    if let Some(previous) = previous.filter(|p| p.generation != generation) {
        forget(store, base, &previous.generation, previous.chunks);
    }
    Ok(size)
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

/// Writes the index by `column` of the record file `file` at `index_key`; the indexed
/// column and the report's columns, or `None` when the report cannot be indexed (no
/// such column, a column name that is not UTF-8).
fn write_index(
    store: &Store,
    index_key: &str,
    key: &[u8],
    file: &File,
    column: &str,
    keep: Duration,
) -> Result<Option<(String, Vec<String>)>, String> {
    let records = records::open(file.try_clone().map_err(|e| e.to_string())?, key)
        .and_then(records::Opened::verify)
        .map_err(|e| format!("the copy {e}"))?;
    let columns: Option<Vec<String>> =
        records.columns().iter().map(|c| std::str::from_utf8(c).ok().map(str::to_string)).collect();
    let (Some(columns), Some(at)) = (columns, records.column(column.as_bytes())) else {
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
            let name = record.get(at);
            let mut field = Vec::with_capacity(name.len() + 1);
            field.push(b'n');
            field.extend_from_slice(name.strip_suffix(b"\n").unwrap_or(name));
            let mut value = Vec::new();
            for i in 0..record.len() {
                put_varint(&mut value, record.get(i).len() as u64);
                value.extend_from_slice(record.get(i));
            }
            batch.push((field, value));
            if batch.len() == INDEX_BATCH {
                send(&mut batch)?;
            }
            Ok::<_, String>(())
        })
        .map_err(|e| e.to_string())?;
    send(&mut batch)?;
    for (field, value) in repeated {
        let mut all =
            store.hash_get(index_key, &[&field]).map_err(|e| e.to_string())?.pop().flatten().unwrap_or_default();
        all.extend_from_slice(&value);
        store.hash_set(index_key, &[(&field, &all)], keep).map_err(|e| e.to_string())?;
    }
    let count = records.len().to_string();
    store.hash_set(index_key, &[(COUNT, count.as_bytes())], keep).map_err(|e| e.to_string())?;
    Ok(Some((column.to_string(), columns)))
}

/// The records of the fresh entry at `base` whose `column` is `value`, from its index,
/// as an entry of their own (the report's header and those records); `None` when the
/// entry has no index by `column`.
pub(super) fn lookup_only(
    store: &Store,
    base: &str,
    key: &Key,
    column: &str,
    value: &str,
    max_age: Duration,
) -> Result<Entry, Miss> {
    let unusable = |why: String| Miss::Unusable(why);
    let head = store.get(base).map_err(|e| unusable(format!("cannot be read: {e}")))?.ok_or(Miss::Absent)?;
    let head = Head::parse(&head).ok_or_else(|| unusable("is of another format".to_string()))?;
    let Some((indexed, columns)) = head.index.as_ref().filter(|(indexed, _)| indexed == column) else {
        return Err(unusable(format!("has no index by '{column}'")));
    };
    let age =
        SystemTime::now().duration_since(head.created).map_err(|_| unusable("is dated in the future".to_string()))?;
    if age >= max_age {
        return Err(Miss::Expired(age));
    }
    let mut field = b"n".to_vec();
    field.extend_from_slice(value.as_bytes());
    let mut found = store
        .hash_get(&index_key(base, &head.generation), &[COUNT, &field])
        .map_err(|e| unusable(format!("cannot be read: {e}")))?
        .into_iter();
    if found.next().flatten().is_none() {
        return Err(unusable(format!("has an incomplete index by '{indexed}' (evicted?)")));
    }
    let stored = found.next().flatten().unwrap_or_default();
    let damaged = || unusable(format!("has a damaged index by '{indexed}'"));
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
        writer.record(&cells).map_err(|_| damaged())?;
    }
    writer.finish().map_err(|e| unusable(e.to_string()))?;
    let records =
        records::open(file, key.material()).and_then(records::Opened::verify).map_err(|e| unusable(e.to_string()))?;
    Ok(Entry { records, age, path: PathBuf::from(base) })
}

/// Appends `value` as a varint (unsigned LEB128).
fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// The varint at `*cursor` of `bytes`, moving past it; `None` when cut or overlong.
fn varint(bytes: &[u8], cursor: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *bytes.get(*cursor)?;
        *cursor += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            return Some(value);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn a_memory_file_holds_what_is_written() {
        let mut file = memory_file().expect("memfd");
        file.write_all(b"record file").expect("write");
        let mut back = [0u8; 4];
        file.read_exact_at(&mut back, 7).expect("read");
        assert_eq!(&back, b"file");
        assert_eq!(file.metadata().expect("size").len(), 11);
    }
}
