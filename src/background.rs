//! A writer that hands what is written to a thread of its own, which writes it out
//! ([`Background`]): the system calls of a large write (a report's copy, megabytes
//! into the page cache), and whatever the inner writer does (encryption), then run
//! on the other core while the caller goes on producing.
//!
//! Memory stays bounded: the caller fills one buffer of [`BUFFER`] bytes while at
//! most [`IN_FLIGHT`] full ones wait for the thread and one is being written; the
//! thread hands each buffer back empty, so no more than `IN_FLIGHT + 2` are ever
//! allocated, and a caller faster than the disk waits for one to come back.
//!
//! The thread stops at its first error. The caller gets that error at its next
//! write, or at [`Background::finish`], which waits for the thread: nothing is
//! written after `finish` returns, and a write that failed at any point makes it
//! fail, so a caller that commits only after `finish` never commits a partial file.

use std::io::{self, Write};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread::{self, JoinHandle};

/// The size of each buffer: of each write the thread makes.
const BUFFER: usize = 64 * 1024;

/// The full buffers that may wait for the thread.
const IN_FLIGHT: usize = 2;

/// The thread's stack: it only loops over writes.
const STACK: usize = 128 * 1024;

/// Writes to `W` on a thread of its own (see the module's documentation).
pub struct Background<W: Write + Send + 'static> {
    /// The buffer being filled.
    buffer: Vec<u8>,
    /// The buffers allocated so far.
    allocated: usize,
    /// Full buffers, to the thread; `None` once the thread is told to end.
    full: Option<SyncSender<Vec<u8>>>,
    /// Empty buffers, back from the thread.
    empty: Receiver<Vec<u8>>,
    /// The thread, until joined: it hands back the writer, or its first error.
    thread: Option<JoinHandle<io::Result<W>>>,
}

impl<W: Write + Send + 'static> std::fmt::Debug for Background<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Background").field("buffered", &self.buffer.len()).finish_non_exhaustive()
    }
}

impl<W: Write + Send + 'static> Background<W> {
    /// Starts the thread that writes to `out`.
    pub fn new(out: W) -> io::Result<Self> {
        let (full, queue) = mpsc::sync_channel::<Vec<u8>>(IN_FLIGHT);
        let (back, empty) = mpsc::channel();
        let thread =
            thread::Builder::new().name("background writer".to_string()).stack_size(STACK).spawn(move || {
                let mut out = out;
                for mut buffer in queue {
                    out.write_all(&buffer)?;
                    buffer.clear();
                    // The caller may be gone: the buffer is then just freed.
                    let _ = back.send(buffer);
                }
                out.flush()?;
                Ok(out)
            })?;
        Ok(Background {
            buffer: Vec::with_capacity(BUFFER),
            allocated: 1,
            full: Some(full),
            empty,
            thread: Some(thread),
        })
    }

    /// Waits until everything written has been written out, and hands back the
    /// writer; the first error of any write, if one failed.
    pub fn finish(mut self) -> io::Result<W> {
        self.hand_over()?;
        self.full = None;
        self.join()
    }

    /// Hands the buffer being filled, if it holds anything, to the thread and takes
    /// an empty one.
    fn hand_over(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let next = match self.empty.try_recv() {
            Ok(buffer) => buffer,
            Err(_) if self.allocated < IN_FLIGHT + 2 => {
                self.allocated += 1;
                Vec::with_capacity(BUFFER)
            }
            Err(_) => match self.empty.recv() {
                Ok(buffer) => buffer,
                Err(_) => return Err(self.stopped()),
            },
        };
        let full = std::mem::replace(&mut self.buffer, next);
        match self.full.as_ref().map(|queue| queue.send(full)) {
            Some(Ok(())) => Ok(()),
            _ => Err(self.stopped()),
        }
    }

    /// The error that stopped the thread (which no longer takes buffers).
    fn stopped(&mut self) -> io::Error {
        self.full = None;
        match self.join() {
            Err(e) => e,
            Ok(_) => io::Error::other("the background writer stopped"),
        }
    }

    fn join(&mut self) -> io::Result<W> {
        match self.thread.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(io::Error::other("the background writer panicked")),
            None => Err(io::Error::other("the background writer stopped")),
        }
    }
}

impl<W: Write + Send + 'static> Write for Background<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.buffer.len() == BUFFER {
            self.hand_over()?;
        }
        let take = data.len().min(BUFFER - self.buffer.len());
        self.buffer.extend_from_slice(&data[..take]);
        Ok(take)
    }

    /// Hands what is buffered to the thread; only [`Background::finish`] waits
    /// until it is written out.
    fn flush(&mut self) -> io::Result<()> {
        self.hand_over()
    }
}

impl<W: Write + Send + 'static> Drop for Background<W> {
    /// Ends the thread (what was handed to it is still written) and waits for it,
    /// so that no write outlives the writer.
    fn drop(&mut self) {
        self.full = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes into memory, failing once it holds `limit` bytes.
    struct Limited {
        bytes: Vec<u8>,
        limit: usize,
    }

    impl Write for Limited {
        fn write(&mut self, data: &[u8]) -> io::Result<usize> {
            if self.bytes.len() + data.len() > self.limit {
                return Err(io::Error::new(io::ErrorKind::StorageFull, "no space left"));
            }
            self.bytes.extend_from_slice(data);
            Ok(data.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// Bytes of every size around the buffer's, in a pattern that shows any byte
    /// lost, doubled or moved.
    fn pieces() -> Vec<Vec<u8>> {
        [0, 1, 7, BUFFER - 1, BUFFER, BUFFER + 1, 3 * BUFFER + 5, 13]
            .iter()
            .enumerate()
            .map(|(n, &size)| (0..size).map(|i| (i * 31 + n) as u8).collect())
            .collect()
    }

    #[test]
    fn what_is_written_arrives_whole_and_in_order() {
        let mut writer = Background::new(Limited { bytes: Vec::new(), limit: usize::MAX }).expect("thread");
        for piece in pieces() {
            writer.write_all(&piece).expect("write");
        }
        writer.flush().expect("flush");
        writer.write_all(b"after a flush").expect("write");
        let out = writer.finish().expect("finish");
        let mut expected = pieces().concat();
        expected.extend_from_slice(b"after a flush");
        assert_eq!(out.bytes, expected);
    }

    #[test]
    fn a_failed_write_fails_the_finish() {
        for limit in [0, 10, BUFFER, 5 * BUFFER] {
            let mut writer = Background::new(Limited { bytes: Vec::new(), limit }).expect("thread");
            // The writes may fail or not, depending on how far the thread is.
            let written = pieces().iter().try_for_each(|piece| writer.write_all(piece));
            let finished = writer.finish();
            assert!(finished.is_err(), "limit {limit}");
            if let (Err(e), _) | (_, Err(e)) = (written, finished) {
                assert_eq!(e.kind(), io::ErrorKind::StorageFull, "limit {limit}: {e}");
            }
        }
    }

    #[test]
    fn a_dropped_writer_still_writes_what_it_was_handed() {
        let (sender, receiver) = mpsc::channel();
        struct Report(Vec<u8>, mpsc::Sender<Vec<u8>>);
        impl Write for Report {
            fn write(&mut self, data: &[u8]) -> io::Result<usize> {
                self.0.extend_from_slice(data);
                Ok(data.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        impl Drop for Report {
            fn drop(&mut self) {
                let _ = self.1.send(std::mem::take(&mut self.0));
            }
        }
        let mut writer = Background::new(Report(Vec::new(), sender)).expect("thread");
        writer.write_all(&[7; 2 * BUFFER + 1]).expect("write");
        drop(writer);
        // Joined on drop: the thread has ended, and wrote the full buffers it had.
        assert_eq!(receiver.try_recv().expect("the thread ended").len(), 2 * BUFFER);
    }
}
