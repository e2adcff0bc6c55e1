//! Where a listing's rendered lines wait while its data is still being read: an unlinked
//! temporary file in the system's temporary directory, so that a list of a million
//! objects costs disk pages rather than memory, and nothing of it is printed before the
//! data was read completely (a report cut half-way must end UNKNOWN, with no list).
//!
//! The file has no name once created (`O_TMPFILE`, or a fresh name removed at once), so
//! it disappears with the process whatever way the run ends. Where no temporary file
//! can be made (a read-only or full temporary directory), the bytes are kept in memory:
//! the listing then costs what it costs without a spill file, and still prints.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use crate::error::{Error, Result};

/// Rendered bytes kept aside until the run knows it succeeded.
#[derive(Debug)]
pub struct Spill {
    sink: Sink,
}

#[derive(Debug)]
enum Sink {
    File(BufWriter<File>),
    Memory(Vec<u8>),
}

impl Spill {
    /// A spill file in the system's temporary directory (`TMPDIR`, else `/tmp`), or
    /// memory when none can be made.
    pub fn in_temp_dir() -> Spill {
        Spill::in_dir(&std::env::temp_dir())
    }

    /// A spill file in `dir`, or memory when none can be made there.
    pub fn in_dir(dir: &Path) -> Spill {
        let sink = match unnamed_file(dir) {
            Ok(file) => Sink::File(BufWriter::with_capacity(SPILL_BUFFER, file)),
            Err(_) => Sink::Memory(Vec::new()),
        };
        Spill { sink }
    }

    /// Whether the bytes go to a file (not memory).
    #[cfg(test)]
    fn on_disk(&self) -> bool {
        matches!(self.sink, Sink::File(_))
    }

    /// Appends `bytes`; a failed write (a full disk) is an error naming the spill file.
    pub fn write(&mut self, bytes: &[u8]) -> Result<()> {
        match &mut self.sink {
            Sink::File(file) => file.write_all(bytes).map_err(|error| {
                Error::new(format!("cannot write the list to a temporary file in {}: {error}", temp_dir_text()))
            }),
            Sink::Memory(memory) => {
                memory.extend_from_slice(bytes);
                Ok(())
            }
        }
    }

    /// Copies every byte written, in order, to `out`.
    pub fn copy_to(self, out: &mut dyn Write) -> io::Result<()> {
        match self.sink {
            Sink::File(file) => {
                let mut file = file.into_inner().map_err(io::IntoInnerError::into_error)?;
                file.seek(SeekFrom::Start(0))?;
                io::copy(&mut file, out).map(drop)
            }
            Sink::Memory(memory) => out.write_all(&memory),
        }
    }
}

/// The write buffer of a spill file: large enough that a line costs no system call.
const SPILL_BUFFER: usize = 64 * 1024;

fn temp_dir_text() -> String {
    std::env::temp_dir().display().to_string()
}

/// A read-write file in `dir` that no name reaches: `O_TMPFILE` where the file system
/// has it, else a fresh name, created exclusively and removed at once.
fn unnamed_file(dir: &Path) -> io::Result<File> {
    let private = |options: &mut OpenOptions| options.read(true).write(true).mode(0o600).clone();
    if let Ok(file) = private(&mut OpenOptions::new()).custom_flags(libc::O_TMPFILE).open(dir) {
        return Ok(file);
    }
    let mut last = io::Error::from(io::ErrorKind::AlreadyExists);
    for attempt in 0..16u32 {
        let path = dir.join(format!(".centreon-list-{}-{attempt}-{}", std::process::id(), getrandom_u32()));
        match private(&mut OpenOptions::new()).create_new(true).open(&path) {
            Ok(file) => {
                std::fs::remove_file(&path)?;
                return Ok(file);
            }
            Err(error) => last = error,
        }
    }
    Err(last)
}

/// A random number for a temporary name (0 when the system has no randomness to give:
/// the attempt number still varies the name).
fn getrandom_u32() -> u32 {
    getrandom::u32().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn copied(spill: Spill) -> Vec<u8> {
        let mut out = Vec::new();
        spill.copy_to(&mut out).expect("copied");
        out
    }

    #[test]
    fn bytes_come_back_in_order_from_a_file_without_a_name() {
        let dir = std::env::temp_dir().join(format!("spill-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let mut spill = Spill::in_dir(&dir);
        assert!(spill.on_disk());
        for n in 0..20_000 {
            spill.write(format!("line {n}\n").as_bytes()).expect("written");
        }
        assert_eq!(std::fs::read_dir(&dir).expect("listed").count(), 0, "the spill file has no name");
        let expected: String = (0..20_000).map(|n| format!("line {n}\n")).collect();
        assert_eq!(copied(spill), expected.as_bytes());
        std::fs::remove_dir_all(&dir).expect("removed");
    }

    #[test]
    fn without_a_usable_directory_the_bytes_stay_in_memory() {
        let mut spill = Spill::in_dir(Path::new("/nonexistent/spill"));
        assert!(!spill.on_disk());
        spill.write(b"a\n").expect("written");
        spill.write(b"b\n").expect("written");
        assert_eq!(copied(spill), b"a\nb\n");
    }
}
