//! `--output-file`: the display written to a file instead of stdout (§3.15).
//!
//! Unlike Perl (which truncates the target in place), the text is written to a temporary
//! file in the same directory and renamed over the target, so a reader never sees a
//! half-written result.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Writes `content` to `path` atomically. The error is the system's text for the failure
/// (`No such file or directory`), as Perl's `$!` prints it.
pub fn write_atomically(path: &Path, content: &str) -> Result<(), String> {
    let temp = temp_path(path).ok_or_else(|| errno_text(&io::Error::from_raw_os_error(libc::EISDIR)))?;
    let written = fs::File::create(&temp)
        .and_then(|mut file| file.write_all(content.as_bytes()).and_then(|()| file.sync_all()))
        .and_then(|()| fs::rename(&temp, path));
    written.map_err(|error| {
        // Best effort: the temporary file may not even exist.
        let _ = fs::remove_file(&temp);
        errno_text(&error)
    })
}

/// `DIR/.NAME.PID.tmp` next to the target; `None` when the path names no file.
fn temp_path(path: &Path) -> Option<PathBuf> {
    let name = path.file_name()?.to_string_lossy();
    Some(path.with_file_name(format!(".{name}.{}.tmp", std::process::id())))
}

/// The error text without Rust's ` (os error N)` suffix.
fn errno_text(error: &io::Error) -> String {
    let text = error.to_string();
    match text.rfind(" (os error ") {
        Some(cut) => text[..cut].to_string(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("output-file-test-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn writes_and_replaces_without_leftovers() {
        let dir = scratch("ok");
        let target = dir.join("out.txt");
        fs::write(&target, "old content that is longer").unwrap();
        write_atomically(&target, "new\n").unwrap();
        assert_eq!(fs::read_to_string(&target).unwrap(), "new\n");
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn failures_give_the_system_text() {
        let missing = Path::new("/nonexistent/dir/out.txt");
        assert_eq!(write_atomically(missing, "x"), Err("No such file or directory".to_string()));
        let dir = scratch("dir");
        assert_eq!(write_atomically(&dir, "x"), Err("Is a directory".to_string()));
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 0);
        fs::remove_dir_all(&dir).unwrap();
    }
}
