//! Replacing a file atomically: the content goes to a new temporary file in the same
//! directory, is flushed to disk, then renamed over the target, so a reader sees the
//! old file or the new one, never half of either — the token cache and
//! `--output-file` are both read by other processes while being rewritten, and a
//! cached report is streamed to its temporary file while it downloads.
//!
//! A temporary file is locked (`flock`) by its writer for as long as it is written:
//! the lock goes with the process, so a file nobody holds locked ([`abandoned`]) was
//! left by a process that died, whatever process ids were reused since. Files are
//! created and opened without following symbolic links ([`open_private`]): a link
//! planted in a shared directory must not make a check write or read elsewhere.

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Distinguishes temporary files of one process.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// How many names a temporary file tries before giving up: names already taken were
/// left by dead processes that had this process's id.
const TEMP_ATTEMPTS: usize = 64;

/// Which step failed, for messages that tell them apart (as Perl's statefile does).
#[derive(Debug)]
pub enum Failure {
    /// Creating or writing the temporary file.
    Write(io::Error),
    /// Renaming the temporary file over the target.
    Rename {
        /// The temporary file, left removed.
        temp: PathBuf,
        /// Why the rename failed.
        error: io::Error,
    },
}

impl Failure {
    /// The system error behind the failure, whichever step it was.
    pub fn into_io_error(self) -> io::Error {
        match self {
            Failure::Write(error) | Failure::Rename { error, .. } => error,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Write(error) => write!(f, "cannot write the temporary file: {}", errno_text(error)),
            Failure::Rename { temp, error } => {
                write!(f, "cannot rename '{}': {}", temp.display(), errno_text(error))
            }
        }
    }
}

impl std::error::Error for Failure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Failure::Write(error) | Failure::Rename { error, .. } => Some(error),
        }
    }
}

/// Replaces `path` with `content`; the new file gets `mode` (less the umask, then
/// exactly `mode` if it is private, i.e. has no group or other bits).
pub fn replace(path: &Path, content: &[u8], mode: u32) -> Result<(), Failure> {
    let (temp, mut file) = Temp::create(path, mode).map_err(Failure::Write)?;
    file.write_all(content).map_err(Failure::Write)?;
    temp.commit(file)
}

/// A replacement being written: a file streamed to (a report as it downloads)
/// becomes `path` only at [`Temp::commit`]. Dropped uncommitted, the temporary file
/// is removed and `path` is left as it was.
#[derive(Debug)]
pub struct Temp {
    temp: PathBuf,
    target: PathBuf,
    committed: bool,
}

impl Temp {
    /// Creates the temporary file beside `path` with `mode` (as [`replace`]) and
    /// returns it open for writing.
    /// The file is locked until it is committed or dropped (see [`abandoned`]).
    pub fn create(path: &Path, mode: u32) -> io::Result<(Temp, File)> {
        for _ in 0..TEMP_ATTEMPTS {
            let temp = temp_path(path);
            match create_new(&temp, mode) {
                Ok(file) => {
                    // Without the lock (a file system that has none), a cleaner may take
                    // the file for a dead one's after a while: the copy is then lost,
                    // the check is not.
                    let _ = file.try_lock();
                    return Ok((Temp { temp, target: path.to_path_buf(), committed: false }, file));
                }
                // A name of this process id taken: left by a dead process that had it.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    if abandoned(&temp) {
                        let _ = fs::remove_file(&temp);
                    }
                }
                Err(e) => return Err(e),
            }
        }
        Err(io::Error::new(io::ErrorKind::AlreadyExists, "every temporary file name is taken"))
    }

    /// Where the content goes until it is committed.
    pub fn path(&self) -> &Path {
        &self.temp
    }

    /// Flushes `file` (the one [`Temp::create`] returned) to disk and renames it over
    /// the target.
    pub fn commit(self, file: File) -> Result<(), Failure> {
        file.sync_all().map_err(Failure::Write)?;
        self.rename(file)
    }

    /// Renames `file` over the target without waiting for it to reach the disk: for
    /// content whose readers check it whole (a length and a checksum), which a crash
    /// may lose but never pass off as complete, and which may be large enough that
    /// waiting would hold up the run (a cached report of a million rows).
    pub fn commit_unsynced(self, file: File) -> Result<(), Failure> {
        self.rename(file)
    }

    fn rename(mut self, file: File) -> Result<(), Failure> {
        drop(file);
        if let Err(error) = fs::rename(&self.temp, &self.target) {
            return Err(Failure::Rename { temp: self.temp.clone(), error });
        }
        self.committed = true;
        if let Some(dir) = self.target.parent().and_then(|d| File::open(d).ok()) {
            // Makes the rename itself durable; a failure only weakens crash safety.
            let _ = dir.sync_all();
        }
        Ok(())
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_file(&self.temp);
        }
    }
}

/// `<path>.tmp.<pid>.<n>`: unique among concurrent runs and within one run.
fn temp_path(path: &Path) -> PathBuf {
    let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut temp = path.as_os_str().to_owned();
    temp.push(format!(".tmp.{}.{n}", std::process::id()));
    PathBuf::from(temp)
}

/// Whether the temporary file `path` was left by a process that died: no process
/// holds its lock. A file that cannot be opened is not taken for abandoned.
pub fn abandoned(path: &Path) -> bool {
    open_private(path).is_ok_and(|file| file.try_lock().is_ok())
}

/// Opens `path` for reading without following a symbolic link: a link is an error
/// (`ELOOP`), as is anything else than a file one may read.
pub fn open_private(path: &Path) -> io::Result<File> {
    OpenOptions::new().read(true).custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK).open(path)
}

fn create_new(path: &Path, mode: u32) -> io::Result<File> {
    // O_EXCL: an existing name, a symbolic link included, is never opened.
    let file = OpenOptions::new().write(true).create_new(true).mode(mode).open(path)?;
    if mode & 0o077 == 0 {
        file.set_permissions(fs::Permissions::from_mode(mode))?;
    }
    Ok(file)
}

/// The system's text for an I/O error without Rust's ` (os error N)` suffix, as
/// Perl's `$!` prints it (`No such file or directory`).
pub fn errno_text(error: &io::Error) -> String {
    let text = error.to_string();
    match text.find(" (os error ") {
        Some(cut) => text[..cut].to_string(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("atomic-test-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("scratch dir");
        dir
    }

    #[test]
    fn replaces_content_privately_and_leaves_no_temporary_file() {
        let dir = scratch("private");
        let path = dir.join("cache");
        fs::write(&path, "old").expect("seed");
        replace(&path, b"new", 0o600).expect("replaced");
        assert_eq!(fs::read_to_string(&path).expect("read"), "new");
        assert_eq!(fs::metadata(&path).expect("meta").permissions().mode() & 0o777, 0o600);
        assert_eq!(fs::read_dir(&dir).expect("list").count(), 1);
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_streamed_replacement_appears_only_when_committed() {
        let dir = scratch("stream");
        let path = dir.join("report");
        fs::write(&path, "old").expect("seed");
        let (temp, mut file) = Temp::create(&path, 0o600).expect("temp");
        file.write_all(b"new, ").expect("write");
        file.write_all(b"in pieces").expect("write");
        assert_eq!(fs::read_to_string(&path).expect("read"), "old", "not yet committed");
        assert!(temp.path().exists());
        temp.commit(file).expect("commit");
        assert_eq!(fs::read_to_string(&path).expect("read"), "new, in pieces");
        let (temp, mut file) = Temp::create(&path, 0o600).expect("temp");
        file.write_all(b"unsynced").expect("write");
        temp.commit_unsynced(file).expect("commit");
        assert_eq!(fs::read_to_string(&path).expect("read"), "unsynced");
        let (temp, mut file) = Temp::create(&path, 0o600).expect("temp");
        file.write_all(b"abandoned").expect("write");
        let leftover = temp.path().to_path_buf();
        drop(temp);
        assert!(!leftover.exists(), "an uncommitted temporary file is removed");
        assert_eq!(fs::read_to_string(&path).expect("read"), "unsynced");
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_missing_directory_is_a_write_failure_with_perls_text() {
        let path = Path::new("/nonexistent-atomic-dir/out.txt");
        match replace(path, b"x", 0o666) {
            Err(Failure::Write(error)) => assert_eq!(errno_text(&error), "No such file or directory"),
            other => panic!("expected a write failure, got {other:?}"),
        }
    }

    #[test]
    fn a_directory_in_the_way_is_a_rename_failure() {
        let dir = scratch("rename");
        let target = dir.join("target");
        fs::create_dir(&target).expect("dir in the way");
        fs::write(target.join("inside"), "x").expect("non-empty");
        assert!(matches!(replace(&target, b"x", 0o600), Err(Failure::Rename { .. })));
        assert_eq!(fs::read_dir(&dir).expect("list").count(), 1, "temporary file removed");
        let _ = fs::remove_dir_all(&dir);
    }
    #[test]
    fn a_leftover_of_a_dead_process_with_the_same_id_does_not_stop_a_replacement() {
        let dir = scratch("reused-pid");
        let path = dir.join("report");
        // A dead process with this one's id left temporary files under every name the
        // next creations would try first.
        let next = TEMP_COUNTER.load(Ordering::Relaxed);
        for n in next..next + 16 {
            fs::write(format!("{}.tmp.{}.{n}", path.display(), std::process::id()), "dead").expect("leftover");
        }
        replace(&path, b"new", 0o600).expect("replaced despite the leftovers");
        assert_eq!(fs::read_to_string(&path).expect("read"), "new");
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_temporary_file_is_locked_while_written() {
        let dir = scratch("locked");
        let path = dir.join("report");
        let (temp, file) = Temp::create(&path, 0o600).expect("temp");
        let other = File::open(temp.path()).expect("open");
        assert!(other.try_lock().is_err(), "its writer holds the lock");
        drop((temp, file));
        let _ = fs::remove_dir_all(&dir);
    }
}
