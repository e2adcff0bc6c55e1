//! memcached through the `memcache` crate (binary protocol, one connection): get, set
//! with an expiration (what the Perl plugin does), `add` for locks, delete.

use std::time::Duration;

use memcache::{CommandError, MemcacheError};

use super::{seconds, Server, StoreError};

/// Time limit of connecting, and of each read and write.
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// Longer lifetimes are taken by memcached as a date (seconds since the epoch).
const MAX_RELATIVE: u64 = 30 * 24 * 3600;

/// A connected memcached.
pub struct Memcached {
    client: memcache::Client,
}

impl Memcached {
    /// Connects to `host:port` and checks the server answers.
    pub fn connect(host: &str, port: u16) -> Result<Memcached, StoreError> {
        let place = if host.contains(':') { format!("[{host}]:{port}") } else { format!("{host}:{port}") };
        let url = format!("memcache://{place}?timeout={}&tcp_nodelay=true", TIMEOUT.as_secs());
        let failed = |e: MemcacheError| StoreError(format!("memcached server {place}: {e}"));
        let client = memcache::Client::builder()
            .add_server(url.as_str())
            .and_then(|builder| {
                builder
                    .with_max_pool_size(1)
                    .with_connection_timeout(TIMEOUT)
                    .with_read_timeout(TIMEOUT)
                    .with_write_timeout(TIMEOUT)
                    .build()
            })
            .map_err(failed)?;
        client.version().map_err(failed)?;
        Ok(Memcached { client })
    }
}

/// memcached's expiration for `ttl` (relative, capped where it would turn into a date).
fn expiration(ttl: Duration) -> u32 {
    u32::try_from(seconds(ttl).min(MAX_RELATIVE)).unwrap_or(u32::MAX)
}

fn failed(e: MemcacheError) -> StoreError {
    StoreError(format!("memcached: {e}"))
}

impl Server for Memcached {
    fn get(&mut self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.client.get::<Vec<u8>>(key).map_err(failed)
    }

    fn set(&mut self, key: &str, value: &[u8], ttl: Duration) -> Result<(), StoreError> {
        self.client.set(key, value, expiration(ttl)).map_err(failed)
    }

    fn add(&mut self, key: &str, value: &[u8], ttl: Duration) -> Result<bool, StoreError> {
        match self.client.add(key, value, expiration(ttl)) {
            Ok(()) => Ok(true),
            Err(MemcacheError::CommandError(CommandError::KeyExists)) => Ok(false),
            Err(e) => Err(failed(e)),
        }
    }

    fn delete(&mut self, key: &str) -> Result<(), StoreError> {
        self.client.delete(key).map(|_| ()).map_err(failed)
    }

    fn delete_if(&mut self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        // memcached has no compare-and-delete: a lock that lapsed and was taken again
        // between these two calls is released early, which costs a duplicate download.
        if self.get(key)?.as_deref() == Some(value) {
            self.delete(key)?;
        }
        Ok(())
    }

    fn hash_add(&mut self, _: &str, _: &[(&[u8], &[u8])]) -> Result<Vec<bool>, StoreError> {
        Err(no_hashes())
    }

    fn hash_set(&mut self, _: &str, _: &[(&[u8], &[u8])], _: Duration) -> Result<(), StoreError> {
        Err(no_hashes())
    }

    fn hash_get(&mut self, _: &str, _: &[&[u8]]) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        Err(no_hashes())
    }
}

fn no_hashes() -> StoreError {
    StoreError("memcached keeps no hashes".to_string())
}
