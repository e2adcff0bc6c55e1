//! The statefile: small JSON documents kept between runs (the token cache), placed by
//! the Retention Options ([`section`], read into [`Placement`]).
//!
//! Files are compatible both ways with the Perl `centreon::plugins::statefile` in its
//! default `json` format: compact JSON objects, read leniently (an absent, empty or
//! undecodable file is a cache miss). Unlike Perl, writes never expose a half-written
//! file (unique temporary file, `fsync`, rename), files are created with mode 0600
//! (they hold bearer tokens), and [`Statefile::lock`] lets concurrent runs agree on
//! who refreshes.
//!
//! What happens to the options Perl offers but this implementation does not:
//!
//! With `--redis-server` or `--memcached` ([`crate::store`]), a statefile is the
//! server's entry `<dir>/<name><suffix>` (the key Perl uses, so a Perl check and this
//! plugin share one token), holding what the file would hold, kept for
//! `--memexpiration` seconds; nothing is then written to the directory, and the lock
//! is the server's (`<key>.lock`, created only if absent, lapsing by itself).
//!
//! * `--statefile-format=dumper|storable`, `--statefile-storable`: accepted, files are
//!   always JSON. A Perl `dumper`/`storable` file reads as a cache miss and is
//!   rewritten in JSON.
//! * `--statefile-key`: the content is encrypted in Perl's format ([`crypt`]) between
//!   the serialization and the storage, so whatever stores it holds only the envelope.
//!   A key or cipher that cannot be used is refused by [`check_options`]: writing a
//!   token in clear when encryption was asked for would be a silent downgrade.

mod crypt;
mod options;

pub use crypt::StateKey;
pub use options::{check_options, open, sealing, section, Placement, DEFAULT_DIR};

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Read};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use crate::atomic::{self, errno_text, Failure};
use crate::error::{Error, Result};
use crate::options::Values;
use crate::store::{RemoteLock, Store};

/// How often a busy lock is tried again.
const LOCK_POLL: Duration = Duration::from_millis(25);

/// One statefile: `<dir>/<name><suffix>`, a file or a server's entry of that name,
/// its content sealed as the options ask.
#[derive(Debug, Clone)]
pub struct Statefile {
    path: PathBuf,
    sealing: Sealing,
    store: Option<Store>,
}

impl PartialEq for Statefile {
    fn eq(&self, other: &Self) -> bool {
        self.path == other.path
    }
}

impl Eq for Statefile {}

/// What is done to a statefile's content between its serialization and its storage.
#[derive(Debug, Clone, Default)]
pub enum Sealing {
    /// Stored as serialized.
    #[default]
    Plain,
    /// Encrypted with `--statefile-key`.
    Key(StateKey),
    /// `--statefile-key` was given but cannot be used (the reason): nothing is read
    /// and writing fails, so a token is never stored in clear.
    Unusable(String),
}

impl Statefile {
    /// The statefile `name` placed by the Retention Options (see [`Placement`]).
    pub fn from_values(values: &Values, name: &str) -> Self {
        Placement::from_values(values).file(name)
    }

    /// The statefile `<dir>/<name><suffix>`.
    pub fn new(dir: impl AsRef<Path>, name: &str, suffix: &str) -> Self {
        Statefile { path: dir.as_ref().join(format!("{name}{suffix}")), sealing: Sealing::Plain, store: None }
    }

    /// This statefile with its content sealed by `sealing`.
    pub fn sealed(mut self, sealing: Sealing) -> Self {
        self.sealing = sealing;
        self
    }

    /// This statefile kept by `store` instead of a file, under the key
    /// `<dir>/<name><suffix>`; `None` keeps it a file.
    pub fn kept_by(mut self, store: Option<Store>) -> Self {
        self.store = store;
        self
    }

    /// The server's key of this statefile: its path as text.
    fn key(&self) -> String {
        self.path.to_string_lossy().into_owned()
    }

    /// Where the file lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Checks, before the first read, that the file can be written later, with Perl's
    /// exact messages: a write failure must not be discovered after the HTTP calls.
    pub fn check(&self) -> Result<()> {
        if self.store.is_some() {
            return Ok(());
        }
        let shown = self.path.display();
        if self.path.exists() {
            if !accessible(&self.path, libc::W_OK) {
                return Err(Error::new(format!("Cannot write statefile '{shown}'. Need write permissions on file.")));
            }
        } else {
            let dir = self.path.parent().unwrap_or(Path::new("."));
            let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
            if !dir.exists() {
                // Perl's words first, then the cause an administrator can act on.
                return Err(Error::new(format!(
                    "Cannot write statefile '{shown}'. Need write/exec permissions on directory. The directory \
                     '{dir}' does not exist: create it for the engine's user (install -d -o USER -m 0750 '{dir}').",
                    dir = dir.display()
                )));
            }
            if !dir.is_dir() || !accessible(dir, libc::W_OK | libc::X_OK) {
                return Err(Error::new(format!(
                    "Cannot write statefile '{shown}'. Need write/exec permissions on directory."
                )));
            }
        }
        Ok(())
    }

    /// The stored object; `None` when the file is absent, empty, not JSON or not an
    /// object, a symbolic link (never followed), or encrypted with another key: all
    /// mean "nothing cached".
    pub fn read(&self) -> Option<Map<String, Value>> {
        let stored = match &self.store {
            Some(store) => store.get(&self.key()).ok()??,
            None => {
                let mut stored = Vec::new();
                atomic::open_private(&self.path).ok()?.read_to_end(&mut stored).ok()?;
                stored
            }
        };
        self.decode(stored)
    }

    /// The object a stored value holds, unsealed: whatever storage the value came
    /// from (a file, Redis, memcached), this is where it is decrypted and parsed.
    pub fn decode(&self, stored: Vec<u8>) -> Option<Map<String, Value>> {
        let text = match &self.sealing {
            Sealing::Plain => stored,
            Sealing::Key(key) => key.open(stored)?,
            Sealing::Unusable(_) => return None,
        };
        match serde_json::from_slice(&text) {
            Ok(Value::Object(map)) => Some(map),
            _ => None,
        }
    }

    /// The value to store for `data`: compact JSON, sealed with the key when there is
    /// one, for whatever storage keeps it.
    pub fn encode(&self, data: &Map<String, Value>) -> Result<Vec<u8>> {
        let shown = self.path.display();
        let plain =
            serde_json::to_vec(data).map_err(|_| Error::new(format!("Cannot serialize statefile '{shown}'")))?;
        match &self.sealing {
            Sealing::Plain => Ok(plain),
            Sealing::Key(key) => key.seal(&plain),
            Sealing::Unusable(why) => Err(Error::new(format!("Cannot write statefile '{shown}': {why}"))),
        }
    }

    /// Replaces the file atomically with [`Statefile::encode`]'s value, mode 0600. The
    /// error's message is Perl's non-fatal one, which the run appends to its output.
    pub fn write(&self, data: &Map<String, Value>) -> Result<()> {
        let shown = self.path.display();
        let text = self.encode(data)?;
        if let Some(store) = &self.store {
            return store
                .set(&self.key(), &text, store.expiration())
                .map_err(|e| Error::new(format!("Cannot write statefile '{shown}' to the {}: {e}", store.name())));
        }
        atomic::replace(&self.path, &text, 0o600).map_err(|failure| {
            Error::new(match failure {
                Failure::Write(e) => format!("Cannot write statefile '{shown}': {}", errno_text(&e)),
                Failure::Rename { temp, error } => format!(
                    "Cannot close or rename statefile '{}' to '{shown}': {}",
                    temp.display(),
                    errno_text(&error)
                ),
            })
        })
    }

    /// Takes the exclusive advisory lock on `<file>.lock`, waiting at most until
    /// `deadline`. `None` when the lock file cannot be opened or the wait ran out: the
    /// caller then proceeds unlocked (a duplicate refresh is better than no check).
    ///
    /// A lock file this user cannot open (another user's, left by a run by hand as
    /// root) or must not (a symbolic link, never followed) would silently leave every
    /// check unlocked: it is replaced by one of this user's, and `tell` receives a line
    /// for the check's output saying so, or that it could not be. A lock file of
    /// another user that this one can open is shared as it is. With a server, the lock
    /// is its entry `<key>.lock`, lapsing by itself at `deadline`.
    pub fn lock(&self, deadline: Instant, tell: &mut dyn FnMut(String)) -> Option<StateLock> {
        if let Some(store) = &self.store {
            let hold = deadline.saturating_duration_since(Instant::now());
            let lock = store.lock(&format!("{}.lock", self.key()), deadline, hold)?;
            return Some(StateLock { _held: Held::Remote { _lock: Box::new(lock) } });
        }
        let mut path = self.path.clone().into_os_string();
        path.push(".lock");
        let path = PathBuf::from(path);
        let file = match open_lock(&path) {
            Ok(file) => file,
            Err(LockFile::Missing) => return None,
            Err(LockFile::Foreign(why)) => match replace_lock(&path) {
                Ok(file) => {
                    tell(format!("Lock file '{}' {why}: replaced it", path.display()));
                    file
                }
                Err(e) => {
                    tell(format!(
                        "Lock file '{}' {why} and cannot be replaced ({}): concurrent checks do not wait for each other",
                        path.display(),
                        errno_text(&e)
                    ));
                    return None;
                }
            },
        };
        loop {
            match file.try_lock() {
                Ok(()) => return Some(StateLock { _held: Held::File { _file: file } }),
                Err(TryLockError::WouldBlock) => {
                    let now = Instant::now();
                    if now >= deadline {
                        return None;
                    }
                    std::thread::sleep(LOCK_POLL.min(deadline - now));
                }
                Err(TryLockError::Error(_)) => return None,
            }
        }
    }
}

/// Why a lock file cannot be used as it is.
enum LockFile {
    /// It cannot be created (no such directory, say): nothing to repair.
    Missing,
    /// It is there but not this user's to share: why, for the output.
    Foreign(String),
}

/// Opens (creating it, mode 0600) the lock file `path`.
fn open_lock(path: &Path) -> std::result::Result<File, LockFile> {
    let opened = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path);
    let owner = || fs::symlink_metadata(path).map(|meta| meta.uid()).ok();
    let file = match opened {
        Ok(file) => file,
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
            return Err(LockFile::Foreign("is a symbolic link".to_string()))
        }
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
            let whose = owner().map(|uid| format!(", owned by uid {uid}")).unwrap_or_default();
            return Err(LockFile::Foreign(format!("cannot be opened ({}{whose})", errno_text(&e))));
        }
        Err(_) => return Err(LockFile::Missing),
    };
    match file.metadata() {
        Ok(meta) if !meta.is_file() => Err(LockFile::Foreign("is not a file".to_string())),
        _ => Ok(file),
    }
}

/// Removes the lock file `path` and creates this user's own; when another check
/// did so first, opens theirs.
fn replace_lock(path: &Path) -> io::Result<File> {
    match fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let created = OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path);
    match created {
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => open_lock(path).map_err(|_| e),
        other => other,
    }
}

/// A held statefile lock; released when dropped (closing the file releases it).
#[derive(Debug)]
pub struct StateLock {
    _held: Held,
}

/// What holds a lock: an open lock file, or a server's entry.
#[derive(Debug)]
enum Held {
    File { _file: File },
    Remote { _lock: Box<RemoteLock> },
}

/// Whether the real user may access `path` in `mode` (as Perl's `-w`/`-x` tests).
fn accessible(path: &Path, mode: libc::c_int) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c_path) = std::ffi::CString::new(path.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: `c_path` is a valid NUL-terminated string that outlives the call.
    unsafe { libc::access(c_path.as_ptr(), mode) == 0 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::{Arc, Barrier};

    /// Distinguishes the scratch directories of one test process.
    static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

    fn temp_dir(tag: &str) -> PathBuf {
        let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("statefile-test-{tag}-{}-{n}", std::process::id()));
        fs::create_dir_all(&dir).expect("temp dir");
        dir
    }

    fn sample() -> Map<String, Value> {
        serde_json::from_str(r#"{"access_token":"tok-1","expires_on":1795723192}"#).expect("json")
    }

    #[test]
    fn name_is_dir_name_suffix() {
        let file = Statefile::new("/d", "office365_x", "_SFX");
        assert_eq!(file.path(), Path::new("/d/office365_x_SFX"));
    }

    #[test]
    fn write_is_private_atomic_and_readable_back() {
        let dir = temp_dir("write");
        let file = Statefile::new(&dir, "cache", "");
        assert_eq!(file.read(), None);
        file.write(&sample()).expect("write");
        let mode = fs::metadata(file.path()).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(file.read(), Some(sample()));
        let text = fs::read_to_string(file.path()).expect("read");
        assert!(!text.contains('\n') && !text.contains(": "), "compact JSON: {text}");
        let leftovers: Vec<_> =
            fs::read_dir(&dir).expect("dir").filter_map(|e| e.ok()).map(|e| e.file_name()).collect();
        assert_eq!(leftovers.len(), 1, "no temporary file left: {leftovers:?}");
        fs::remove_dir_all(dir).expect("cleanup");
    }

    #[test]
    fn a_key_seals_the_file_and_another_key_reads_nothing() {
        let dir = temp_dir("sealed");
        let key = |k: &str| Sealing::Key(StateKey::new(k, "AES").expect("key"));
        let file = Statefile::new(&dir, "cache", "").sealed(key("centreon"));
        file.write(&sample()).expect("write");
        let stored: Value = serde_json::from_slice(&fs::read(file.path()).expect("read")).expect("envelope");
        assert_eq!((stored["encrypted"].clone(), stored["cipher"].clone()), (Value::from(1), Value::from("AES")));
        assert!(!stored.to_string().contains("tok-1"), "no token in clear: {stored}");
        assert_eq!(file.read(), Some(sample()));
        let value = file.encode(&sample()).expect("a value for any storage");
        assert_eq!(file.decode(value.clone()), Some(sample()), "the same envelope whatever stores it");
        assert_eq!(file.clone().sealed(key("other")).decode(value), None);
        assert_eq!(file.clone().sealed(key("other")).read(), None, "a wrong key is an empty statefile");
        assert_eq!(file.clone().sealed(Sealing::Plain).read().map(|m| m.contains_key("access_token")), Some(false));
        let unusable = file.sealed(Sealing::Unusable("bad key".into()));
        assert_eq!(unusable.read(), None);
        assert!(unusable.write(&sample()).is_err(), "never written in clear");
        fs::remove_dir_all(dir).expect("cleanup");
    }

    #[test]
    fn perl_json_is_read_and_bad_content_is_a_miss() {
        let dir = temp_dir("read");
        let file = Statefile::new(&dir, "cache", "");
        fs::write(
            file.path(),
            r#"{"expires_on":1795723192,"access_token":"tok-2","last_timestamp":1795719593,"md5_secret":"a1e52d345b2495e5c77c05690c1c2e09"}"#,
        )
        .expect("write");
        let map = file.read().expect("map");
        assert_eq!(map["access_token"], "tok-2");
        for bad in ["", "$datas = { 'a' => 1 };", "[1,2]", "{\"truncated\":"] {
            fs::write(file.path(), bad).expect("write");
            assert_eq!(file.read(), None, "{bad:?}");
        }
        fs::remove_dir_all(dir).expect("cleanup");
    }

    #[test]
    fn concurrent_writers_never_collide() {
        let dir = temp_dir("race");
        let file = Arc::new(Statefile::new(&dir, "cache", ""));
        let barrier = Arc::new(Barrier::new(8));
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let (file, barrier) = (Arc::clone(&file), Arc::clone(&barrier));
                std::thread::spawn(move || {
                    barrier.wait();
                    (0..20).map(|_| file.write(&sample())).collect::<std::result::Result<Vec<_>, _>>()
                })
            })
            .collect();
        for handle in handles {
            handle.join().expect("thread").expect("every write succeeds");
        }
        assert_eq!(file.read(), Some(sample()));
        fs::remove_dir_all(dir).expect("cleanup");
    }

    #[test]
    fn check_reports_perl_messages() {
        let dir = temp_dir("check");
        let missing = Statefile::new(dir.join("none"), "f", "");
        let err = missing.check().expect_err("missing dir");
        assert_eq!(
            err.message(),
            format!(
                "Cannot write statefile '{0}/none/f'. Need write/exec permissions on directory. The directory \
                 '{0}/none' does not exist: create it for the engine's user (install -d -o USER -m 0750 '{0}/none').",
                dir.display()
            )
        );
        let ok = Statefile::new(&dir, "f", "");
        ok.check().expect("writable dir");
        fs::write(ok.path(), "{}").expect("write");
        ok.check().expect("writable file");
        fs::remove_dir_all(dir).expect("cleanup");
    }

    #[test]
    fn write_failure_is_the_perl_message() {
        let file = Statefile::new("/nonexistent-statefile-dir", "f", "");
        let error = file.write(&sample()).expect_err("no dir");
        assert_eq!(error.message(), "Cannot write statefile '/nonexistent-statefile-dir/f': No such file or directory");
    }

    #[test]
    fn lock_is_exclusive_and_bounded() {
        let dir = temp_dir("lock");
        let file = Statefile::new(&dir, "cache", "");
        let held = file.lock(Instant::now() + Duration::from_secs(1), &mut drop).expect("first lock");
        let start = Instant::now();
        assert!(
            file.lock(Instant::now() + Duration::from_millis(200), &mut drop).is_none(),
            "second lock waits then gives up"
        );
        assert!(start.elapsed() >= Duration::from_millis(200));
        drop(held);
        assert!(file.lock(Instant::now(), &mut drop).is_some(), "free again once released");
        fs::remove_dir_all(dir).expect("cleanup");
    }
    #[test]
    fn a_lock_file_this_user_cannot_open_is_reported_and_replaced() {
        let dir = temp_dir("foreign");
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o777)).expect("chmod dir");
        let lock_path = dir.join("cache.lock");
        fs::write(&lock_path, "").expect("seed");
        fs::set_permissions(&lock_path, fs::Permissions::from_mode(0o000)).expect("chmod");
        let place = dir.clone();
        let (told, again) = std::thread::spawn(move || {
            // SAFETY: geteuid has no preconditions and cannot fail.
            if unsafe { libc::geteuid() } == 0 {
                // Root opens any file: this thread's file accesses act as another user.
                // SAFETY: setfsuid changes the calling thread's file-system user only.
                unsafe { libc::setfsuid(65534) };
            }
            let file = Statefile::new(&place, "cache", "");
            let mut told = Vec::new();
            let held = file.lock(Instant::now() + Duration::from_secs(1), &mut |text| told.push(text));
            assert!(held.is_some(), "recovered: the lock is taken");
            drop(held);
            let mut again = Vec::new();
            assert!(file.lock(Instant::now(), &mut |text| again.push(text)).is_some());
            (told, again)
        })
        .join()
        .expect("thread");
        assert_eq!(told.len(), 1, "{told:?}");
        assert!(told[0].starts_with(&format!("Lock file '{}' cannot be opened (", lock_path.display())), "{told:?}");
        assert!(told[0].ends_with("): replaced it"), "{told:?}");
        assert!(again.is_empty(), "{again:?}");
        fs::remove_dir_all(dir).expect("cleanup");
    }

    #[test]
    fn symlinks_are_neither_followed_nor_created_through() {
        let dir = temp_dir("symlink");
        let file = Statefile::new(&dir, "cache", "");
        let target = dir.join("elsewhere");
        std::os::unix::fs::symlink(&target, dir.join("cache.lock")).expect("symlink");
        let held = file.lock(Instant::now() + Duration::from_secs(1), &mut drop);
        assert!(held.is_some());
        assert!(!target.exists(), "no file created through the symlink");
        let real = dir.join("real");
        fs::write(&real, r#"{"access_token":"planted"}"#).expect("planted");
        std::os::unix::fs::symlink(&real, file.path()).expect("symlink");
        assert_eq!(file.read(), None, "a statefile behind a symlink is not read");
        fs::remove_dir_all(dir).expect("cleanup");
    }
}
