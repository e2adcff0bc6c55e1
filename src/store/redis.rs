//! Redis through the `redis` crate's blocking connection: `GET`, `SET … EX` (what the
//! Perl plugin sends), `SET … NX EX` for locks, `DEL`.

use std::time::Duration;

use redis::{ConnectionInfo, ErrorKind, IntoConnectionInfo, RedisConnectionInfo, RedisError};

use super::{seconds, Server, StoreError};

/// Releases a lock only while it holds the token of the check that took it.
const DELETE_IF: &str = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0";

/// How to reach one Redis server.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Host name or address (without IPv6 brackets).
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// `AUTH` password, if any.
    pub password: Option<String>,
    /// `SELECT` database.
    pub db: i64,
    /// Connection time limit.
    pub connect: Duration,
    /// Time limit of each read.
    pub read: Duration,
    /// Time limit of each write.
    pub write: Duration,
}

/// A connected Redis.
pub struct Redis {
    connection: redis::Connection,
}

impl Redis {
    /// Connects, authenticates and selects the database; the error is the reason, in
    /// words that name authentication when that is what failed.
    pub fn connect(settings: &Settings) -> Result<Redis, StoreError> {
        let place = format!("{}:{}", settings.host, settings.port);
        let mut redis = RedisConnectionInfo::default().set_db(settings.db).set_skip_set_lib_name();
        if let Some(password) = &settings.password {
            redis = redis.set_password(password);
        }
        let info: ConnectionInfo = (settings.host.as_str(), settings.port)
            .into_connection_info()
            .map_err(|e| StoreError(format!("Redis server {place}: {}", reason(&e))))?
            .set_redis_settings(redis);
        let client = redis::Client::open(info).map_err(|e| StoreError(reason(&e)))?;
        let connection = client.get_connection_with_timeout(settings.connect).map_err(|e| {
            StoreError(match e.kind() {
                ErrorKind::AuthenticationFailed => {
                    format!("Redis authentication failed at {place} (wrong or missing password): {}", reason(&e))
                }
                _ if is_auth(&e) => {
                    format!("Redis authentication failed at {place} (wrong or missing password): {}", reason(&e))
                }
                _ => format!("Could not connect to Redis server at {place}: {}", reason(&e)),
            })
        })?;
        let mut server = Redis { connection };
        server
            .connection
            .set_read_timeout(Some(settings.read))
            .and_then(|()| server.connection.set_write_timeout(Some(settings.write)))
            .map_err(|e| StoreError(reason(&e)))?;
        // A server that wants a password answers every command NOAUTH: found now, at
        // start-up, rather than as misses.
        redis::cmd("PING").query::<()>(&mut server.connection).map_err(|e| {
            StoreError(if is_auth(&e) {
                format!("Redis authentication failed at {place} (a password is required): {}", reason(&e))
            } else {
                format!("Redis server {place} does not answer: {}", reason(&e))
            })
        })?;
        Ok(server)
    }
}

impl Server for Redis {
    fn get(&mut self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        redis::cmd("GET").arg(key).query(&mut self.connection).map_err(failed)
    }

    fn set(&mut self, key: &str, value: &[u8], ttl: Duration) -> Result<(), StoreError> {
        redis::cmd("SET").arg(key).arg(value).arg("EX").arg(seconds(ttl)).query(&mut self.connection).map_err(failed)
    }

    fn add(&mut self, key: &str, value: &[u8], ttl: Duration) -> Result<bool, StoreError> {
        let answer: Option<String> = redis::cmd("SET")
            .arg(key)
            .arg(value)
            .arg("NX")
            .arg("EX")
            .arg(seconds(ttl))
            .query(&mut self.connection)
            .map_err(failed)?;
        Ok(answer.is_some())
    }

    fn delete(&mut self, key: &str) -> Result<(), StoreError> {
        redis::cmd("DEL").arg(key).query(&mut self.connection).map_err(failed)
    }

    fn hash_add(&mut self, key: &str, fields: &[(&[u8], &[u8])]) -> Result<Vec<bool>, StoreError> {
        if fields.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = redis::pipe();
        for (field, value) in fields {
            pipe.cmd("HSETNX").arg(key).arg(*field).arg(*value);
        }
        pipe.query(&mut self.connection).map_err(failed)
    }

    fn hash_set(&mut self, key: &str, fields: &[(&[u8], &[u8])], ttl: Duration) -> Result<(), StoreError> {
        if fields.is_empty() {
            return Ok(());
        }
        let mut set = redis::cmd("HSET");
        set.arg(key);
        for (field, value) in fields {
            set.arg(*field).arg(*value);
        }
        redis::pipe()
            .add_command(set)
            .ignore()
            .cmd("EXPIRE")
            .arg(key)
            .arg(seconds(ttl))
            .ignore()
            .query::<()>(&mut self.connection)
            .map_err(failed)
    }

    fn hash_get(&mut self, key: &str, fields: &[&[u8]]) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        if fields.is_empty() {
            return Ok(Vec::new());
        }
        let mut get = redis::cmd("HMGET");
        get.arg(key);
        for field in fields {
            get.arg(*field);
        }
        get.query(&mut self.connection).map_err(failed)
    }

    fn delete_if(&mut self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        redis::cmd("EVAL").arg(DELETE_IF).arg(1).arg(key).arg(value).query::<()>(&mut self.connection).map_err(failed)
    }
}

/// Whether the server refused for want of (the right) credentials.
fn is_auth(e: &RedisError) -> bool {
    let code = e.code().unwrap_or_default();
    e.kind() == ErrorKind::AuthenticationFailed || code == "NOAUTH" || code == "WRONGPASS"
}

/// The crate's text of `e`.
fn reason(e: &RedisError) -> String {
    e.to_string()
}

fn failed(e: RedisError) -> StoreError {
    StoreError(format!("Redis: {}", reason(&e)))
}
