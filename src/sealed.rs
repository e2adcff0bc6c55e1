//! Files sealed with a key derived from `--statefile-key`, at the byte level: a
//! [`Sealer`] encrypts whatever is written through it, [`unseal`] gives back a file
//! holding the clear bytes, in memory, for readers that need positional reads.
//!
//! The report cache writes its record files through a [`Sealer`] and opens them
//! through [`unseal`], so its copies (which hold user names) are encrypted with the
//! same key as the token cache, whatever the record format inside. Its copies on a
//! server are sealed the same way, and the small values there (a head, an index
//! value) with [`seal_bytes`] and [`unseal_bytes`].
//!
//! Format: `CO365SEAL1` (10 bytes), a random 16-byte nonce, then the content under
//! AES-256 in CTR mode. There is no separate integrity check: the content's own (the
//! record file's checksum) tells a wrong key or a damaged file from a good one.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};

use aes::Aes256;
use ctr::cipher::{KeyIvInit, StreamCipher};

/// The start of a sealed file.
const MAGIC: &[u8; 10] = b"CO365SEAL1";

/// The nonce length (one AES block: the CTR mode's initial counter).
const NONCE_LEN: usize = 16;

/// The stream cipher of a sealed file.
type Keystream = ctr::Ctr128BE<Aes256>;

/// A 256-bit sealing key.
pub type SealKey = [u8; 32];

/// A writer that encrypts what goes through it when it has a key, and passes it on
/// unchanged when it has none.
pub struct Sealer<W: Write> {
    inner: W,
    /// Boxed: the AES key schedule is large, and a writer is moved around.
    keystream: Option<Box<Keystream>>,
    buffer: Vec<u8>,
}

impl<W: Write> std::fmt::Debug for Sealer<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealer").field("sealed", &self.keystream.is_some()).finish_non_exhaustive()
    }
}

impl<W: Write> Sealer<W> {
    /// Starts a sealed stream on `inner` (its header written at once), or a plain one
    /// without `key`.
    pub fn new(mut inner: W, key: Option<&SealKey>) -> io::Result<Self> {
        let keystream = match key {
            None => None,
            Some(key) => {
                let mut nonce = [0u8; NONCE_LEN];
                getrandom::fill(&mut nonce).map_err(|e| io::Error::other(format!("no randomness: {e}")))?;
                inner.write_all(MAGIC)?;
                inner.write_all(&nonce)?;
                Some(Box::new(Keystream::new(key.into(), &nonce.into())))
            }
        };
        Ok(Sealer { inner, keystream, buffer: Vec::new() })
    }

    /// The underlying writer.
    pub fn into_inner(self) -> W {
        self.inner
    }
}

impl<W: Write> Write for Sealer<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let Some(keystream) = &mut self.keystream else {
            return self.inner.write(data);
        };
        self.buffer.clear();
        self.buffer.extend_from_slice(data);
        keystream.try_apply_keystream(&mut self.buffer).map_err(|_| io::Error::other("sealed file too long"))?;
        self.inner.write_all(&self.buffer)?;
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// `file` itself without `key`; with it, a memory file holding `file`'s clear
/// content. A file that is not sealed is an error: a copy stored in clear is not
/// used when a key is given.
pub fn unseal(mut file: File, key: Option<&SealKey>) -> io::Result<File> {
    let Some(key) = key else { return Ok(file) };
    let mut header = [0u8; MAGIC.len() + NONCE_LEN];
    file.read_exact(&mut header)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "is not encrypted with --statefile-key"))?;
    if &header[..MAGIC.len()] != MAGIC {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "is not encrypted with --statefile-key"));
    }
    let nonce: [u8; NONCE_LEN] = header[MAGIC.len()..].try_into().map_err(io::Error::other)?;
    let mut keystream = Keystream::new(key.into(), &nonce.into());
    let mut clear = memory_file()?;
    let mut chunk = vec![0u8; 256 * 1024];
    loop {
        let n = file.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        keystream.try_apply_keystream(&mut chunk[..n]).map_err(|_| io::Error::other("sealed file too long"))?;
        clear.write_all(&chunk[..n])?;
    }
    Ok(clear)
}

/// `clear` sealed with `key`, in the format of a sealed file: for values kept
/// elsewhere than in files (a server's copy of a report).
pub fn seal_bytes(key: &SealKey, clear: &[u8]) -> io::Result<Vec<u8>> {
    let mut sealer = Sealer::new(Vec::with_capacity(MAGIC.len() + NONCE_LEN + clear.len()), Some(key))?;
    sealer.write_all(clear)?;
    Ok(sealer.into_inner())
}

/// The clear content of `sealed` (made by [`seal_bytes`]); `None` when it is not
/// sealed. A wrong key gives noise: the caller's own checks tell it from content.
pub fn unseal_bytes(key: &SealKey, sealed: &[u8]) -> Option<Vec<u8>> {
    let rest = sealed.strip_prefix(MAGIC.as_slice())?;
    let (nonce, content) = rest.split_at_checked(NONCE_LEN)?;
    let nonce: [u8; NONCE_LEN] = nonce.try_into().ok()?;
    let mut clear = content.to_vec();
    Keystream::new(key.into(), &nonce.into()).try_apply_keystream(&mut clear).ok()?;
    Some(clear)
}

/// An anonymous file in memory: the clear content never reaches a disk.
fn memory_file() -> io::Result<File> {
    // SAFETY: the name is a valid NUL-terminated string; the call has no other
    // precondition and returns a new descriptor or -1.
    let fd = unsafe { libc::memfd_create(c"report-cache".as_ptr(), libc::MFD_CLOEXEC) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` is a descriptor just created and owned by nobody else.
    Ok(File::from(unsafe { OwnedFd::from_raw_fd(fd) }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Seek;
    use std::os::unix::fs::FileExt;

    fn scratch(bytes: &[u8]) -> File {
        let mut file = memory_file().expect("memfd");
        file.write_all(bytes).expect("write");
        file.rewind().expect("rewind");
        file
    }

    #[test]
    fn sealed_bytes_hide_the_content_and_unseal_with_the_key() {
        let key: SealKey = [7; 32];
        let content: Vec<u8> = b"alice@contoso.com,".iter().copied().cycle().take(300_000).collect();
        let mut sealer = Sealer::new(Vec::new(), Some(&key)).expect("sealer");
        for piece in content.chunks(1000) {
            sealer.write_all(piece).expect("write");
        }
        let sealed = sealer.into_inner();
        assert!(sealed.starts_with(MAGIC));
        assert!(!sealed.windows(5).any(|w| w == b"alice"), "no clear text");
        let clear = unseal(scratch(&sealed), Some(&key)).expect("unseal");
        let mut back = vec![0u8; content.len()];
        clear.read_exact_at(&mut back, 0).expect("read");
        assert_eq!(back, content);
        let wrong = unseal(scratch(&sealed), Some(&[8; 32])).expect("decrypts to noise");
        clear.read_exact_at(&mut back[..5], 0).expect("read");
        let mut noise = [0u8; 5];
        wrong.read_exact_at(&mut noise, 0).expect("read");
        assert_ne!(noise, back[..5]);
    }

    #[test]
    fn sealed_values_hide_their_content_and_need_the_key() {
        let key: SealKey = [9; 32];
        let sealed = seal_bytes(&key, b"alice@contoso.com").expect("sealed");
        assert!(sealed.starts_with(MAGIC));
        assert!(!sealed.windows(5).any(|w| w == b"alice"), "no clear text");
        assert_ne!(seal_bytes(&key, b"alice@contoso.com").expect("sealed"), sealed, "a fresh nonce each time");
        assert_eq!(unseal_bytes(&key, &sealed).as_deref(), Some(b"alice@contoso.com".as_slice()));
        assert_ne!(unseal_bytes(&[1; 32], &sealed).as_deref(), Some(b"alice@contoso.com".as_slice()));
        assert_eq!(unseal_bytes(&key, b"alice@contoso.com"), None, "a clear value");
        assert_eq!(unseal_bytes(&key, &sealed[..MAGIC.len() + 3]), None, "cut in its nonce");
    }

    #[test]
    fn without_a_key_bytes_pass_and_clear_files_are_refused_with_one() {
        let mut plain = Sealer::new(Vec::new(), None).expect("sealer");
        plain.write_all(b"abc").expect("write");
        assert_eq!(plain.into_inner(), b"abc");
        let error = unseal(scratch(b"RECORDS1 clear copy"), Some(&[1; 32])).expect_err("clear");
        assert_eq!(error.to_string(), "is not encrypted with --statefile-key");
    }
}
