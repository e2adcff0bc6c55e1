//! Shared storage for statefiles and cached reports: Redis or memcached, as Centreon's
//! `--redis-server` and `--memcached` options place them, so that the pollers watching
//! one tenant share one token and one download of each report.
//!
//! A [`Store`] is bytes by key, nothing more: get, set with a lifetime, an atomic
//! create-if-absent (the single-flight locks, [`Store::lock`]), delete. What is kept
//! under a key and how (a statefile's JSON, a report copy in chunks) is its users'
//! business ([`crate::statefile`], [`crate::cache`]).
//!
//! The options are read, and the server connected to, once per run by [`open`]: a Redis
//! that cannot be reached then is the check's answer (`redis connection issue: …`),
//! unless `--failback-file` asks for the files instead; a memcached that cannot be
//! reached means files. Once connected, a failing server only costs cache misses: a
//! read that fails is a miss, a write that fails leaves nothing behind.

mod memcached;
mod options;
mod redis;

pub use options::{open, Backend, FAILBACK_FILE, MEMCACHED, MEMEXPIRATION, REDIS_ATTRIBUTE, REDIS_DB, REDIS_SERVER};

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How often a busy lock is tried again.
const LOCK_POLL: Duration = Duration::from_millis(25);

/// Why a server did not do what was asked (its own words, never a password).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError(pub String);

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StoreError {}

/// What one kind of server does; each call is one request (or a few) to it.
trait Server: Send {
    fn get(&mut self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
    fn set(&mut self, key: &str, value: &[u8], ttl: Duration) -> Result<(), StoreError>;
    /// Stores `value` only if `key` holds nothing; whether it did.
    fn add(&mut self, key: &str, value: &[u8], ttl: Duration) -> Result<bool, StoreError>;
    fn delete(&mut self, key: &str) -> Result<(), StoreError>;
    /// Deletes `key` only while it still holds `value` (a lock still ours).
    fn delete_if(&mut self, key: &str, value: &[u8]) -> Result<(), StoreError>;
    /// Sets each field of the hash `key` that is not set yet; which ones were set.
    fn hash_add(&mut self, key: &str, fields: &[(&[u8], &[u8])]) -> Result<Vec<bool>, StoreError>;
    /// Sets fields of the hash `key`, whatever they held, and its lifetime.
    fn hash_set(&mut self, key: &str, fields: &[(&[u8], &[u8])], ttl: Duration) -> Result<(), StoreError>;
    /// The values of `fields` of the hash `key`.
    fn hash_get(&mut self, key: &str, fields: &[&[u8]]) -> Result<Vec<Option<Vec<u8>>>, StoreError>;
}

/// A connected server, as a cheap handle: the statefile and the report cache of one
/// run share one connection.
#[derive(Clone)]
pub struct Store(Arc<Shared>);

/// What every handle of one connection shares.
struct Shared {
    server: Mutex<Box<dyn Server>>,
    backend: Backend,
    expiration: Duration,
    name: String,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store").field("backend", &self.0.backend).field("server", &self.0.name).finish()
    }
}

impl PartialEq for Store {
    fn eq(&self, other: &Store) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for Store {}

impl Store {
    fn new(server: Box<dyn Server>, backend: Backend, expiration: Duration, name: String) -> Store {
        Store(Arc::new(Shared { server: Mutex::new(server), backend, expiration, name }))
    }

    /// Which kind of server this is.
    pub fn backend(&self) -> Backend {
        self.0.backend
    }

    /// `Redis server 127.0.0.1:6379` or `memcached server …`, for messages.
    pub fn name(&self) -> &str {
        &self.0.name
    }

    /// `--memexpiration`: the lifetime of a statefile's entry.
    pub fn expiration(&self) -> Duration {
        self.0.expiration
    }

    /// The largest value written at once: memcached keeps items of up to 1 MB by
    /// default, Redis values of up to 512 MB (a few MB keep each request short).
    pub fn chunk_size(&self) -> usize {
        match self.0.backend {
            Backend::Redis => 4 << 20,
            Backend::Memcached => 512 << 10,
        }
    }

    fn with<T>(&self, call: impl FnOnce(&mut dyn Server) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let mut server = self.0.server.lock().map_err(|_| StoreError("connection lost by a failed call".into()))?;
        call(server.as_mut())
    }

    /// The value of `key`; `None` when there is none (never stored, expired, evicted).
    pub fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.with(|s| s.get(key))
    }

    /// Sets `key` to `value` for `ttl` (at least a second).
    pub fn set(&self, key: &str, value: &[u8], ttl: Duration) -> Result<(), StoreError> {
        self.with(|s| s.set(key, value, ttl))
    }

    /// Whether the server keeps hashes (Redis), so that a report copy can carry an
    /// index by name.
    pub fn keeps_hashes(&self) -> bool {
        self.0.backend == Backend::Redis
    }

    /// Sets each field of the hash `key` that is not set yet (in one round trip);
    /// which ones were set.
    pub fn hash_add(&self, key: &str, fields: &[(&[u8], &[u8])]) -> Result<Vec<bool>, StoreError> {
        self.with(|s| s.hash_add(key, fields))
    }

    /// Sets fields of the hash `key` and its lifetime `ttl`.
    pub fn hash_set(&self, key: &str, fields: &[(&[u8], &[u8])], ttl: Duration) -> Result<(), StoreError> {
        self.with(|s| s.hash_set(key, fields, ttl))
    }

    /// The values of `fields` of the hash `key` (`None` where unset).
    pub fn hash_get(&self, key: &str, fields: &[&[u8]]) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        self.with(|s| s.hash_get(key, fields))
    }

    /// Deletes `key` (nothing there is fine).
    pub fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.with(|s| s.delete(key))
    }

    /// Takes the lock `key`, trying until `wait_until`; the lock lapses by itself after
    /// `hold` (at least a second), so a check killed while holding it blocks the others
    /// no longer than that. `None` when the wait ran out or the server failed.
    pub fn lock(&self, key: &str, wait_until: Instant, hold: Duration) -> Option<RemoteLock> {
        let mut token = [0u8; 16];
        getrandom::fill(&mut token).ok()?;
        let token: String = token.iter().map(|b| format!("{b:02x}")).collect();
        loop {
            match self.with(|s| s.add(key, token.as_bytes(), hold)) {
                Ok(true) => return Some(RemoteLock { store: self.clone(), key: key.to_string(), token }),
                Ok(false) => {
                    let now = Instant::now();
                    if now >= wait_until {
                        return None;
                    }
                    std::thread::sleep(LOCK_POLL.min(wait_until - now));
                }
                Err(_) => return None,
            }
        }
    }
}

/// A held lock of a [`Store`]; released when dropped, if it has not lapsed and been
/// taken by another check meanwhile.
#[derive(Debug)]
pub struct RemoteLock {
    store: Store,
    key: String,
    token: String,
}

impl Drop for RemoteLock {
    fn drop(&mut self) {
        // A lock that cannot be released lapses on its own.
        let _ = self.store.with(|s| s.delete_if(&self.key, self.token.as_bytes()));
    }
}

/// `ttl` in whole seconds, at least one (servers take seconds; zero would mean
/// "never expires" to memcached).
fn seconds(ttl: Duration) -> u64 {
    ttl.as_secs().saturating_add(u64::from(ttl.subsec_nanos() > 0)).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes_round_up_to_whole_seconds() {
        assert_eq!(seconds(Duration::ZERO), 1);
        assert_eq!(seconds(Duration::from_millis(1)), 1);
        assert_eq!(seconds(Duration::from_millis(1001)), 2);
        assert_eq!(seconds(Duration::from_secs(86400)), 86400);
    }
}
