//! `--output-file`: the display written to a file instead of stdout.
//!
//! Unlike Perl (which truncates the target in place), the text is written to a temporary
//! file in the same directory and renamed over the target, so a reader never sees a
//! half-written result.

use std::io;
use std::path::Path;

use crate::atomic::{self, Failure};

/// Writes `content` to `path` atomically; the error is the system's, whichever step failed.
pub fn write_atomically(path: &Path, content: &str) -> io::Result<()> {
    atomic::replace(path, content.as_bytes(), 0o666).map_err(Failure::into_io_error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::path::PathBuf;

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
        let reason = |result: io::Result<()>| result.map_err(|e| crate::atomic::errno_text(&e));
        assert_eq!(reason(write_atomically(missing, "x")), Err("No such file or directory".to_string()));
        let dir = scratch("dir");
        assert_eq!(reason(write_atomically(&dir, "x")), Err("Is a directory".to_string()));
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 0);
        fs::remove_dir_all(&dir).unwrap();
    }
}
