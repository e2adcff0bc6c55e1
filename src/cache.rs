//! A cache of downloaded reports, kept as record files ([`crate::records`]) in the
//! statefile directory, so that checks run more often than a report changes — or by
//! many services watching one source — share one download.
//!
//! An entry is found by its [`Key`] (everything that identifies the download: where
//! from, for whom, which report, which query): its file is `<prefix><md5 of the
//! key>`, and the file holds the whole key, compared on every read. An entry is
//! *fresh* while younger than the TTL; older, it is still kept, and usable as a
//! *stale* copy when a new download fails, up to [`KEEP`]; older entries are removed.
//!
//! Rules:
//!
//! * Files are mode 0600 and owned by the user running the check (they hold user
//!   names); a file that is not — or is cut, corrupt, of another format or another
//!   key — is a miss, never an error and never a partial report: a file is checked
//!   whole before anything is read from it.
//! * Entries are written to a temporary file while the report downloads and renamed
//!   into place once complete ([`crate::atomic::Temp`]), without waiting for the
//!   disk: a crash may lose an entry, never leave a partial one that passes.
//! * Concurrent checks that miss wait for one download: [`Cache::claim`] takes the
//!   entry's lock (`<file>.lock`, waiting no longer than the caller allows), looks
//!   again, and only then lets the caller download. A download that fails leaves a
//!   note (`<file>.failed`) that the checks which waited for it read instead of
//!   trying again themselves; it says whether the failure is transient (a stale
//!   copy may stand in) and holds off new attempts for as long as the producer asks
//!   (a server's `Retry-After`).
//!
//! With a Redis or memcached server ([`Cache::kept_by`]), the same entries, lock and
//! notes are the server's, under the same names (see [`remote`]), and nothing is
//! written to the directory.

mod remote;

use std::fmt::{self, Write as _};
use std::fs::{self, File};
use std::io::{self, BufWriter, Read};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use md5::{Digest, Md5};
use serde_json::{json, Value};

use crate::atomic::{self, Temp};
use crate::error::Error;
use crate::records::{self, KeyRange, Records, Writer};
use crate::sealed::{self, SealKey, Sealer};
use crate::statefile::{StateLock, Statefile};
use crate::store::Store;

/// How long an entry is kept: the oldest copy used when a download fails.
pub const KEEP: Duration = Duration::from_secs(24 * 3600);

/// A temporary file this old that no process holds locked was left by a check that
/// died ([`atomic::abandoned`]); younger, its writer may not have locked it yet.
const GRACE: Duration = Duration::from_secs(5);

/// How far ahead of this host's clock a date may be and still be believed: the
/// clocks of hosts sharing a statefile directory differ a little. Beyond it, the
/// clock was set back since the date was written, and what it dates is stale.
pub const SKEW: Duration = Duration::from_secs(60);

/// The write buffer of an entry being filled.
const WRITE_BUFFER: usize = 64 * 1024;

/// Hex digits in an entry's file name (an MD5).
const DIGEST_HEX: usize = 32;

/// What identifies one download: named parts, in the caller's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    material: Vec<u8>,
    shown: String,
}

impl Key {
    /// The key made of `parts` (`("tenant", "contoso")`, ...). Each part is stored
    /// with its length, so no choice of values can make two keys equal.
    pub fn new<'a>(parts: impl IntoIterator<Item = (&'a str, &'a str)>) -> Key {
        let mut material = Vec::new();
        let mut shown = String::new();
        for (name, value) in parts {
            for text in [name, value] {
                material.extend_from_slice(&(text.len() as u64).to_le_bytes());
                material.extend_from_slice(text.as_bytes());
            }
            let separator = if shown.is_empty() { "" } else { ", " };
            let _ = write!(shown, "{separator}{name}={value}");
        }
        Key { material, shown }
    }

    /// The bytes stored in, and compared with, the entry's file.
    pub fn material(&self) -> &[u8] {
        &self.material
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown)
    }
}

/// Why no usable copy was found; shown by `--debug`.
#[derive(Debug)]
pub enum Miss {
    /// No file.
    Absent,
    /// A valid copy, too old for the use asked.
    Expired(Duration),
    /// A file that cannot be used, and why.
    Unusable(String),
}

impl fmt::Display for Miss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Miss::Absent => f.write_str("no cached copy"),
            Miss::Expired(age) => write!(f, "cached copy expired ({} s old)", age.as_secs()),
            Miss::Unusable(why) => write!(f, "cached copy {why}"),
        }
    }
}

/// A cached copy, verified where it is read ([`Cache::fresh`]: whole) and ready to scan.
#[derive(Debug)]
pub struct Entry {
    records: Records,
    age: Duration,
    path: PathBuf,
}

impl Entry {
    /// The stored report.
    pub fn records(&self) -> &Records {
        &self.records
    }

    /// How long ago the report was downloaded.
    pub fn age(&self) -> Duration {
        self.age
    }

    /// The entry's file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// A failed download, as the check that tried it left it for the others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The producer's message (the error its own check reported).
    pub message: String,
    /// Whether the source was only unavailable for now (throttling, a server
    /// error), when a stale copy may stand in; otherwise the download was refused
    /// or wrong (no permission, a malformed report) and the message is the answer.
    pub transient: bool,
    /// How long ago it failed.
    pub age: Duration,
}

/// How a download failed, for [`Producer::fail`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setback {
    /// The source is unavailable for now; new checks do not try again for `hold`
    /// (a server's `Retry-After`; zero: the next check tries).
    Transient {
        /// How long new checks hold off.
        hold: Duration,
    },
    /// The download was refused or wrong; the next check tries again.
    Permanent,
}

/// The outcome of [`Cache::claim`].
#[derive(Debug)]
pub enum Claim {
    /// Another check downloaded the report while this one waited.
    Fresh(Entry),
    /// The download this check waited for failed, or a recent failure asked to hold
    /// off: do not try again now.
    Failed(Failure),
    /// This check downloads, feeding the [`Producer`].
    Produce(Producer),
}

/// The report cache of one statefile directory.
#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
    prefix: String,
    ttl: Duration,
    seal: Option<SealKey>,
    store: Option<Store>,
    /// The column a server's copy is indexed by ([`Cache::fresh_only`]).
    index: Option<String>,
}

impl Cache {
    /// The cache in `dir` whose files are named `<prefix><digest>`, with entries
    /// fresh for `ttl`; `None` when `ttl` is zero (the cache is off).
    pub fn new(dir: impl Into<PathBuf>, prefix: &str, ttl: Duration) -> Option<Cache> {
        (!ttl.is_zero()).then(|| Cache {
            dir: dir.into(),
            prefix: prefix.to_string(),
            ttl,
            seal: None,
            store: None,
            index: None,
        })
    }

    /// This cache with its entries' bytes encrypted with `key` ([`crate::sealed`]);
    /// a copy written in clear, or with another key, is then a miss. Entries kept by
    /// a server ([`Cache::kept_by`]) are sealed too, their index included (see
    /// [`remote`]).
    pub fn sealed(mut self, key: SealKey) -> Cache {
        self.seal = Some(key);
        self
    }

    /// This cache kept by `store` (entries under their file's path as key) instead of
    /// files; `None` keeps it in files.
    pub fn kept_by(mut self, store: Option<Store>) -> Cache {
        self.store = store;
        self
    }

    /// How long an entry is fresh.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// This cache with its copies indexed by `column`: in files for
    /// [`Cache::fresh_selected`], on a server that keeps hashes (Redis) for
    /// [`Cache::fresh_only`].
    pub fn indexed_by(mut self, column: &str) -> Cache {
        self.index = Some(column.to_string());
        self
    }

    /// The records of `key`'s fresh entry whose `column` is `value` (a name with a
    /// final line end counts as without), read from the entry's index without
    /// reading the copy; none when it holds no such record. `None` when there is no
    /// index to ask (files, memcached, another column): read the whole entry.
    pub fn fresh_only(&self, key: &Key, column: &str, value: &str) -> Option<Result<Entry, Miss>> {
        let store = self.store.as_ref().filter(|store| store.keeps_hashes())?;
        if self.index.as_deref() != Some(column) {
            return None;
        }
        let source = remote::Source { store, seal: self.seal.as_ref() };
        Some(remote::lookup_only(source, &self.path(key).to_string_lossy(), key, column, value, self.ttl))
    }

    /// The file of `key`'s entry.
    pub fn path(&self, key: &Key) -> PathBuf {
        self.dir.join(self.name(key))
    }

    /// The entry of `key` if it is younger than the TTL.
    pub fn fresh(&self, key: &Key) -> Result<Entry, Miss> {
        self.lookup(key, self.ttl, None)
    }

    /// [`Cache::fresh`] for a reader of the records whose `column` is in one of
    /// `ranges`: a copy in a file indexed by `column` is checked only where those
    /// records lie, and its scan visits them and the first record alone
    /// ([`records::Opened::select`]); any other copy is checked and scanned whole.
    pub fn fresh_selected(&self, key: &Key, column: &str, ranges: &[KeyRange]) -> Result<Entry, Miss> {
        self.lookup(key, self.ttl, Some((column, ranges)))
    }

    /// The entry of `key` if it is younger than [`KEEP`], fresh or not: the copy to
    /// fall back on when a download fails.
    pub fn stale(&self, key: &Key) -> Result<Entry, Miss> {
        self.lookup(key, KEEP.max(self.ttl), None)
    }

    /// Takes `key`'s lock, waiting until `wait_until` at most, then decides who
    /// provides the report: a copy that appeared meanwhile, the failure of the
    /// download waited for, or this check. Past `wait_until` without the lock, this
    /// check produces unlocked ([`Producer::locked`] is false): a duplicate
    /// download is better than none.
    pub fn claim(&self, key: &Key, wait_until: Instant, tell: &mut dyn FnMut(String)) -> Claim {
        self.claim_since(key, wait_until, SystemTime::now(), tell)
    }

    /// [`Cache::claim`] for a check that started waiting at `started`.
    fn claim_since(&self, key: &Key, wait_until: Instant, started: SystemTime, tell: &mut dyn FnMut(String)) -> Claim {
        let lock = Statefile::new(&self.dir, &self.name(key), "").kept_by(self.store.clone()).lock(wait_until, tell);
        if let Ok(entry) = self.fresh(key) {
            return Claim::Fresh(entry);
        }
        let now = SystemTime::now();
        // A note dated ahead of the clock beyond the skew is stale: the clock was set
        // back since it was written, and it would hold checks off until it caught up.
        if let Some(note) = self.note(key).filter(|note| note.at <= nanos(now + SKEW)) {
            if note.at >= nanos(started) || nanos(now) < note.until {
                let age = Duration::from_nanos(nanos(now).saturating_sub(note.at));
                return Claim::Failed(Failure { message: note.message, transient: note.transient, age });
            }
        }
        self.prune(now);
        Claim::Produce(Producer {
            locked: lock.is_some(),
            _lock: lock,
            key: key.material.clone(),
            seal: self.seal,
            path: self.path(key),
            note: self.note_path(key),
            store: self.store.clone().map(|store| {
                Box::new(remote::Kept { store, keep: KEEP.max(self.ttl), index: self.index.clone(), seal: self.seal })
            }),
            index: self.index.clone(),
            state: State::Ready,
        })
    }

    fn name(&self, key: &Key) -> String {
        let digest = Md5::digest(&key.material);
        let mut name = self.prefix.clone();
        for byte in digest {
            let _ = write!(name, "{byte:02x}");
        }
        name
    }

    fn note_path(&self, key: &Key) -> PathBuf {
        self.dir.join(format!("{}.failed", self.name(key)))
    }

    fn lookup(&self, key: &Key, max_age: Duration, select: Option<(&str, &[KeyRange])>) -> Result<Entry, Miss> {
        let path = self.path(key);
        if let Some(store) = &self.store {
            return remote::lookup(
                remote::Source { store, seal: self.seal.as_ref() },
                &path.to_string_lossy(),
                key,
                max_age,
            );
        }
        let file = match atomic::open_private(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(Miss::Absent),
            Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
                return Err(Miss::Unusable("is a symbolic link".to_string()))
            }
            Err(e) => return Err(Miss::Unusable(format!("cannot be opened: {}", atomic::errno_text(&e)))),
        };
        let meta = file.metadata().map_err(|e| Miss::Unusable(format!("cannot be read: {e}")))?;
        // SAFETY: geteuid has no preconditions and cannot fail.
        let me = unsafe { libc::geteuid() };
        if !meta.is_file() || meta.uid() != me || meta.mode() & 0o077 != 0 {
            return Err(Miss::Unusable("is not a private file of this user".to_string()));
        }
        let file = sealed::unseal(file, self.seal.as_ref()).map_err(|e| Miss::Unusable(e.to_string()))?;
        let opened = records::open(file, &key.material).map_err(|e| Miss::Unusable(e.to_string()))?;
        let age = age_of(opened.created())?;
        if age >= max_age {
            return Err(Miss::Expired(age));
        }
        let records = match select {
            Some((column, ranges)) => opened.select(column.as_bytes(), ranges),
            None => opened.verify(),
        };
        let records = records.map_err(|e| Miss::Unusable(e.to_string()))?;
        Ok(Entry { records, age, path })
    }

    fn note(&self, key: &Key) -> Option<Note> {
        let text = match &self.store {
            Some(store) => store.get(&self.note_path(key).to_string_lossy()).ok()??,
            None => {
                let mut text = Vec::new();
                atomic::open_private(&self.note_path(key)).ok()?.read_to_end(&mut text).ok()?;
                text
            }
        };
        let value: Value = serde_json::from_slice(&text).ok()?;
        let field = |name: &str| value.get(name).and_then(Value::as_u64);
        Some(Note {
            at: field("at")?,
            until: field("until")?,
            transient: value.get("transient").and_then(Value::as_bool)?,
            message: value.get("message").and_then(Value::as_str)?.to_string(),
        })
    }

    /// Removes this cache's files that no check will use again: entries and notes
    /// older than [`KEEP`] (a query naming a past date is never asked again), their
    /// lock files, and temporary files left by checks that died mid-download (as
    /// large as a report each: removed at the next download, so they take no more
    /// room than the checks running at once).
    ///
    /// Ages are read from the dates the files hold, written by the clock this check
    /// reads, not from the file system's modification times, which follow another
    /// clock when the system's was moved. A temporary file is removed when no process
    /// holds it, whatever its age; a lock file once its entry is gone and no check
    /// holds it. A check that opened a lock file at that very moment could then
    /// produce beside another, which costs a duplicate download, nothing more.
    fn prune(&self, now: SystemTime) {
        if self.store.is_some() {
            return; // the server lets entries lapse by themselves
        }
        let Ok(listing) = fs::read_dir(&self.dir) else {
            return;
        };
        let mut locks = Vec::new();
        for item in listing.flatten() {
            let name = item.file_name();
            let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(&self.prefix)) else {
                continue;
            };
            if rest.len() < DIGEST_HEX || !rest.as_bytes()[..DIGEST_HEX].iter().all(u8::is_ascii_hexdigit) {
                continue;
            }
            if !item.file_type().is_ok_and(|kind| kind.is_file()) {
                continue;
            }
            let path = item.path();
            let stale = match &rest[DIGEST_HEX..] {
                "" => self.dated(&path, now, records::created) > KEEP,
                ".failed" => self.dated(&path, now, note_time) > KEEP,
                ".lock" => {
                    locks.push(path);
                    continue;
                }
                suffix => suffix.starts_with(".tmp.") && modified_age(&path, now) > GRACE && atomic::abandoned(&path),
            };
            if stale {
                let _ = fs::remove_file(&path);
            }
        }
        // After the entries: a lock goes with its entry, once no check holds it.
        for lock in locks {
            if !lock.with_extension("").exists() && atomic::abandoned(&lock) {
                let _ = fs::remove_file(&lock);
            }
        }
    }

    /// The age of the file at `path` by the date `read` finds in it; by its
    /// modification time when it holds none (a file of another format, or
    /// encrypted).
    fn dated(&self, path: &Path, now: SystemTime, read: impl Fn(&File) -> Option<SystemTime>) -> Duration {
        match atomic::open_private(path).ok().as_ref().and_then(read) {
            Some(date) => age_at(now, date),
            None => modified_age(path, now),
        }
    }
}

/// A failure note, as stored (times in nanoseconds since the Unix epoch: a check
/// that starts right after a failure must not be taken for one that waited on it).
struct Note {
    at: u64,
    until: u64,
    transient: bool,
    message: String,
}

/// The age of a copy made at `created`, by this host's clock: zero for a date ahead
/// of it within the skew (the clock of the check that made it, on this host or
/// another sharing the copies, is a little ahead); beyond, the copy is unusable.
fn age_of(created: SystemTime) -> Result<Duration, Miss> {
    match SystemTime::now().duration_since(created) {
        Ok(age) => Ok(age),
        Err(ahead) if ahead.duration() <= SKEW => Ok(Duration::ZERO),
        Err(ahead) => Err(Miss::Unusable(format!("is dated {} s in the future", ahead.duration().as_secs()))),
    }
}

/// How long before `now` the date `then` is; a date ahead of `now` beyond the skew
/// means the clock was set back since, and counts as older than anything.
fn age_at(now: SystemTime, then: SystemTime) -> Duration {
    match now.duration_since(then) {
        Ok(age) => age,
        Err(ahead) if ahead.duration() <= SKEW => Duration::ZERO,
        Err(_) => Duration::MAX,
    }
}

/// The age of `path` by its modification time; zero when it cannot be read.
fn modified_age(path: &Path, now: SystemTime) -> Duration {
    fs::symlink_metadata(path).and_then(|meta| meta.modified()).map_or(Duration::ZERO, |date| age_at(now, date))
}

/// When the failure note `file` says the download failed.
fn note_time(file: &File) -> Option<SystemTime> {
    let value: Value = serde_json::from_reader(file).ok()?;
    Some(UNIX_EPOCH + Duration::from_nanos(value.get("at")?.as_u64()?))
}

/// `time` in nanoseconds since the Unix epoch.
fn nanos(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// Fills one entry while the report downloads: [`Producer::header`], then
/// [`Producer::record`] per record, then [`Producer::commit`] — or
/// [`Producer::fail`]. Writing the entry never fails the check: a write error only
/// abandons the entry, and [`Producer::commit`] says why. Dropped uncommitted, the
/// entry is abandoned and the lock released; the checks waiting then try
/// themselves.
#[derive(Debug)]
pub struct Producer {
    locked: bool,
    _lock: Option<StateLock>,
    key: Vec<u8>,
    seal: Option<SealKey>,
    path: PathBuf,
    note: PathBuf,
    /// The server keeping the entry, and for how long.
    store: Option<Box<remote::Kept>>,
    /// The column a copy in a file is indexed by.
    index: Option<String>,
    state: State,
}

/// What an entry is written through: records, buffered, sealed when the cache is,
/// into its temporary file (or, for a server, into memory in clear: it is sealed as
/// it is sent, and indexed).
type EntryWriter = Writer<BufWriter<Sealer<File>>>;

#[derive(Debug)]
enum State {
    Ready,
    /// The writer boxed: with its buffer and cipher it outweighs the other states.
    /// `temp` is `None` when the entry is written to memory, for a server.
    Writing {
        temp: Option<Temp>,
        writer: Box<EntryWriter>,
    },
    Broken(String),
}

/// A committed entry, for `--debug`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stored {
    /// Records written (header excluded).
    pub records: u64,
    /// Size of the entry's file, in bytes.
    pub size: u64,
}

impl Producer {
    /// Whether this check holds the entry's lock (false: it waited in vain and
    /// downloads beside another).
    pub fn locked(&self) -> bool {
        self.locked
    }

    /// Starts the entry with the report's header record.
    pub fn header<C: AsRef<[u8]>>(&mut self, columns: impl IntoIterator<Item = C>) {
        if !matches!(self.state, State::Ready) {
            self.state = State::Broken("header given twice".to_string());
            return;
        }
        self.state = match self.start(columns) {
            Ok((temp, writer)) => State::Writing { temp, writer: Box::new(writer) },
            Err(e) => State::Broken(format!("cannot write '{}': {}", self.path.display(), atomic::errno_text(&e))),
        };
    }

    fn start<C: AsRef<[u8]>>(&self, columns: impl IntoIterator<Item = C>) -> io::Result<(Option<Temp>, EntryWriter)> {
        // A server's copy has an index of its own (`remote`).
        let (temp, file, seal, index) = match self.store {
            Some(_) => (None, remote::memory_file()?, None, None),
            None => Temp::create(&self.path, 0o600)
                .map(|(temp, file)| (Some(temp), file, self.seal.as_ref(), self.index.as_deref()))?,
        };
        let out = BufWriter::with_capacity(WRITE_BUFFER, Sealer::new(file, seal)?);
        let writer = Writer::indexed(out, &self.key, SystemTime::now(), columns, index.map(str::as_bytes))?;
        Ok((temp, writer))
    }

    /// Appends one record (as many cells as the header).
    pub fn record<C: AsRef<[u8]>, I>(&mut self, cells: I)
    where
        I: IntoIterator<Item = C>,
        I::IntoIter: ExactSizeIterator,
    {
        let error = match &mut self.state {
            State::Writing { writer, .. } => match writer.record(cells) {
                Ok(()) => return,
                Err(e) => format!("cannot write '{}': {}", self.path.display(), atomic::errno_text(&e)),
            },
            State::Ready => "record before the header".to_string(),
            State::Broken(_) => return,
        };
        self.state = State::Broken(error);
    }

    /// Completes the entry and puts it in place; the error says why it was not
    /// stored (the report itself was read: the check goes on).
    pub fn commit(self) -> crate::error::Result<Stored> {
        let Producer { path, note, state, store, key, .. } = self;
        let (temp, writer) = match state {
            State::Writing { temp, writer } => (temp, *writer),
            State::Ready => return Err(Error::new("no header was given")),
            State::Broken(why) => return Err(Error::new(why)),
        };
        let records = writer.records();
        let failed =
            |e: io::Error| Error::new(format!("cannot write '{}': {}", path.display(), atomic::errno_text(&e)));
        let file = writer.finish().map_err(failed)?.into_inner().map_err(|e| failed(e.into_error()))?.into_inner();
        let size = file.metadata().map_err(failed)?.len();
        let temp = match (temp, store) {
            (Some(temp), _) => temp,
            (None, Some(kept)) => {
                let size = remote::put(&kept, &path.to_string_lossy(), &key, &file).map_err(Error::new)?;
                let _ = kept.store.delete(&note.to_string_lossy());
                return Ok(Stored { records, size });
            }
            (None, None) => return Err(Error::new("no place to store the copy")),
        };
        // Not synced: a reader checks the file whole, and a report of a million rows
        // would hold the check up while it reaches the disk.
        temp.commit_unsynced(file).map_err(|failure| match failure {
            atomic::Failure::Write(e) => failed(e),
            atomic::Failure::Rename { error, .. } => failed(error),
        })?;
        let _ = fs::remove_file(note);
        Ok(Stored { records, size })
    }

    /// Abandons the entry and leaves `message` for the checks waiting on this one
    /// (and, for a transient setback, for those starting during its hold).
    pub fn fail(self, message: &str, setback: Setback) {
        let now = SystemTime::now();
        let (transient, hold) = match setback {
            Setback::Transient { hold } => (true, hold),
            Setback::Permanent => (false, Duration::ZERO),
        };
        let note = json!({"at": nanos(now), "until": nanos(now + hold), "transient": transient, "message": message});
        // A note that cannot be written costs the waiting checks one attempt each.
        let _ = match self.store.as_deref() {
            Some(kept) => kept.store.set(&self.note.to_string_lossy(), note.to_string().as_bytes(), kept.keep).is_ok(),
            None => atomic::replace(&self.note, note.to_string().as_bytes(), 0o600).is_ok(),
        };
    }
}

#[cfg(test)]
mod tests;
