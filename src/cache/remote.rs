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
use crate::records;
use crate::store::Store;

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
        })
    }
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
pub(super) fn put(store: &Store, base: &str, key: &[u8], file: &File, keep: Duration) -> Result<u64, String> {
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
    let previous = store.get(base).ok().flatten().and_then(|bytes| Head::parse(&bytes));
    let head = json!({
        "format": FORMAT,
        "version": VERSION,
        "generation": generation,
        "created": millis(created),
        "size": size,
        "chunks": chunks,
    });
    if let Err(e) = store.set(base, head.to_string().as_bytes(), keep) {
        forget(store, base, &generation, chunks);
        return Err(failed(&e));
    }
    if let Some(previous) = previous.filter(|p| p.generation != generation) {
        forget(store, base, &previous.generation, previous.chunks);
    }
    Ok(size)
}

/// Deletes the first `chunks` chunks of `generation` (no reader will find them again).
fn forget(store: &Store, base: &str, generation: &str, chunks: u64) {
    for index in 0..chunks {
        // A chunk that cannot be deleted lapses with its lifetime.
        let _ = store.delete(&chunk_key(base, generation, index));
    }
}

/// `time` in milliseconds since the Unix epoch.
fn millis(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
