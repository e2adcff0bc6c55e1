//! Reading `--redis-server`, `--redis-attribute`, `--redis-db`, `--memcached`,
//! `--memexpiration` and `--failback-file` (declared here, listed with the Retention
//! Options), and connecting once per run.

use std::time::Duration;

use super::memcached::Memcached;
use super::redis::{Redis, Settings};
use super::Store;
use crate::debug::DebugLog;
use crate::error::{Error, Result};
use crate::options::{Flag, Pairs, Text, Values};

/// `--memcached`.
pub const MEMCACHED: Text = Text::new(
    "memcached",
    "Memcached server to use (only one server). Syntax: address[:port] (default port: \
     11211). Statefiles are kept there under '<statefile-dir>/<name>', shared by every \
     poller using it; an unreachable server means files.",
);

/// `--redis-server`.
pub const REDIS_SERVER: Text = Text::new(
    "redis-server",
    "Redis server to use (only one server). Syntax: address[:port] (default port: 6379). \
     Statefiles and cached reports are kept there under '<statefile-dir>/<name>', shared \
     by every poller using it.",
);

/// `--redis-attribute`.
pub const REDIS_ATTRIBUTE: Pairs = Pairs::new(
    "redis-attribute",
    "Set Redis Options (--redis-attribute=\"cnx_timeout=5\"): password, cnx_timeout, \
         read_timeout, write_timeout (seconds). Values are taken literally ('x' and x alike).",
);

/// `--redis-db`.
pub const REDIS_DB: Text = Text::new("redis-db", "Set Redis database index.");

/// `--failback-file`.
pub const FAILBACK_FILE: Flag = Flag::new("failback-file", "Fall back on a local file if Redis connection fails.");

/// `--memexpiration`.
pub const MEMEXPIRATION: Text =
    Text::new("memexpiration", "Time to keep data in seconds (Default: 86400).").default("86400");

/// The port of `--redis-server` when it names none.
const REDIS_PORT: u16 = 6379;

/// The port of `--memcached` when it names none.
const MEMCACHED_PORT: u16 = 11211;

/// `--memexpiration`'s default, in seconds.
const EXPIRATION: u64 = 86400;

/// Time limits of Redis when `--redis-attribute` sets none.
const REDIS_TIMEOUT: Duration = Duration::from_secs(5);

/// Which kind of server keeps the statefiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// `--redis-server`.
    Redis,
    /// `--memcached`.
    Memcached,
}

/// Reads the options and connects: `None` when neither `--redis-server` nor
/// `--memcached` is given, or when the server cannot be reached and files stand in
/// (memcached always; Redis with `--failback-file`, as the Perl plugin does). A Redis
/// that cannot be reached otherwise is `redis connection issue: <reason>`; a wrong
/// option value is refused before any connection. With both options, as in Perl, Redis
/// must be reachable (or `--failback-file` given), and memcached is used when it
/// answers, Redis when it does not.
pub fn open(values: &Values, debug: &DebugLog) -> Result<Option<Store>> {
    let expiration =
        match values.non_empty(&MEMEXPIRATION) {
            None => EXPIRATION,
            Some(raw) => raw.trim().parse::<u64>().ok().filter(|&secs| secs > 0).ok_or_else(|| {
                Error::new(format!("--memexpiration must be a positive number of seconds, not '{raw}'"))
            })?,
        };
    let expiration = Duration::from_secs(expiration);
    let redis = match values.non_empty(&REDIS_SERVER) {
        Some(server) => redis(server, values, debug, expiration)?,
        None => None,
    };
    if let Some(server) = values.non_empty(&MEMCACHED) {
        if let Some(memcached) = memcached(server, debug, expiration)? {
            if redis.is_some() {
                debug.log("statefile: memcached answers, so it is used before Redis (as the Perl plugin does)");
            }
            return Ok(Some(memcached));
        }
    }
    Ok(redis)
}

/// Connects to `--redis-server`: `None` when it cannot be reached and
/// `--failback-file` asks for files, an error when it cannot and files were not asked for.
fn redis(server: &str, values: &Values, debug: &DebugLog, expiration: Duration) -> Result<Option<Store>> {
    let settings = redis_settings(server, values, debug)?;
    let name = format!("Redis server {}:{} (db {})", settings.host, settings.port, settings.db);
    match Redis::connect(&settings) {
        Ok(redis) => {
            debug.log(format!("statefile: {name}"));
            Ok(Some(Store::new(Box::new(redis), Backend::Redis, expiration, name)))
        }
        Err(e) if values.flag(&FAILBACK_FILE) => {
            debug.log(format!("statefile: redis connection issue: {e}; files are used (--failback-file)"));
            Ok(None)
        }
        Err(e) => Err(Error::new(format!("redis connection issue: {e}"))),
    }
}

/// Connects to `--memcached`: `None` when it cannot be reached (the next store, or
/// files, stand in).
fn memcached(server: &str, debug: &DebugLog, expiration: Duration) -> Result<Option<Store>> {
    let (host, port) = host_port(server, MEMCACHED_PORT)
        .ok_or_else(|| Error::new(format!("--memcached must be HOST or HOST:PORT, not '{server}'")))?;
    match Memcached::connect(&host, port) {
        Ok(memcached) => {
            let name = format!("memcached server {host}:{port}");
            debug.log(format!("statefile: {name}"));
            Ok(Some(Store::new(Box::new(memcached), Backend::Memcached, expiration, name)))
        }
        Err(e) => {
            debug.log(format!("statefile: {e}; memcached is not used"));
            Ok(None)
        }
    }
}

/// `--redis-server`, `--redis-db` and `--redis-attribute` read into [`Settings`].
fn redis_settings(server: &str, values: &Values, debug: &DebugLog) -> Result<Settings> {
    let (host, port) = host_port(server, REDIS_PORT)
        .ok_or_else(|| Error::new(format!("--redis-server must be HOST or HOST:PORT, not '{server}'")))?;
    let db = match values.non_empty(&REDIS_DB) {
        None => 0,
        Some(raw) => raw
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|&db| db >= 0)
            .ok_or_else(|| Error::new(format!("--redis-db must be a database number, not '{raw}'")))?,
    };
    let mut settings =
        Settings { host, port, password: None, db, connect: REDIS_TIMEOUT, read: REDIS_TIMEOUT, write: REDIS_TIMEOUT };
    for (name, raw) in values.map(&REDIS_ATTRIBUTE) {
        let name = name.trim();
        let value = unquote(raw.trim());
        let seconds = || {
            value
                .parse::<f64>()
                .ok()
                .filter(|secs| secs.is_finite() && *secs > 0.0 && *secs < 1e9)
                .map(Duration::from_secs_f64)
                .ok_or_else(|| {
                    Error::new(format!("--redis-attribute {name} must be a positive number of seconds, not '{value}'"))
                })
        };
        match name {
            "password" => settings.password = Some(value.to_string()),
            "cnx_timeout" => settings.connect = seconds()?,
            "read_timeout" => settings.read = seconds()?,
            "write_timeout" => settings.write = seconds()?,
            other => debug.log(format!("statefile: --redis-attribute '{other}' is not used")),
        }
    }
    Ok(settings)
}

/// A value as written, or the text between the quotes of Perl's quoted form
/// (`'x'`, `"x"`): taken literally, never evaluated.
fn unquote(value: &str) -> &str {
    for quote in ['\'', '"'] {
        if let Some(inner) = value.strip_prefix(quote).and_then(|v| v.strip_suffix(quote)) {
            return inner;
        }
    }
    value
}

/// `HOST`, `HOST:PORT`, `[V6]`, `[V6]:PORT` (and a bare IPv6 address) split into a
/// host and a port, `default` when none is given.
fn host_port(text: &str, default: u16) -> Option<(String, u16)> {
    let text = text.trim();
    if let Some(rest) = text.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = match after {
            "" => default,
            _ => after.strip_prefix(':')?.parse().ok()?,
        };
        return (!host.is_empty()).then(|| (host.to_string(), port));
    }
    match text.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => {
            let port = port.parse().ok().filter(|&p| p != 0)?;
            (!host.is_empty()).then(|| (host.to_string(), port))
        }
        _ => (!text.is_empty()).then(|| (text.to_string(), default)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::debug::{Logging, Secrets};
    use crate::options::OptionSpec;

    fn values(pairs: &[(&str, &str)]) -> Values {
        let specs = crate::statefile::section().options;
        let mut values = Values::default();
        values.declare(&specs);
        for (name, value) in pairs {
            let spec: &OptionSpec = specs.iter().find(|s| s.name == *name).expect("declared");
            values.set(spec, value.to_string());
        }
        values
    }

    #[test]
    fn hosts_and_ports_read_as_perl_writes_them() {
        assert_eq!(host_port("redis1", 6379), Some(("redis1".into(), 6379)));
        assert_eq!(host_port("redis1:6380", 6379), Some(("redis1".into(), 6380)));
        assert_eq!(host_port("[::1]:6380", 6379), Some(("::1".into(), 6380)));
        assert_eq!(host_port("[::1]", 6379), Some(("::1".into(), 6379)));
        assert_eq!(host_port("::1", 6379), Some(("::1".into(), 6379)));
        for bad in ["", "h:x", "h:0", ":6379", "[::1", "[::1]x", "h:99999"] {
            assert_eq!(host_port(bad, 1), None, "{bad}");
        }
    }

    #[test]
    fn attributes_are_literal_and_the_quoted_form_is_read() {
        let debug = DebugLog::new(Logging::On, Secrets::Masked);
        let given = values(&[
            ("redis-attribute", "password='x y'"),
            ("redis-attribute", "cnx_timeout=0.5"),
            ("redis-attribute", "read_timeout=\"2\""),
            ("redis-attribute", "write_timeout=3"),
            ("redis-attribute", "reconnect=60"),
            ("redis-db", "2"),
        ]);
        let settings = redis_settings("h", &given, &debug).expect("valid");
        assert_eq!(settings.password.as_deref(), Some("x y"));
        assert_eq!(settings.connect, Duration::from_millis(500));
        assert_eq!(settings.read, Duration::from_secs(2));
        assert_eq!(settings.write, Duration::from_secs(3));
        assert_eq!((settings.host.as_str(), settings.port, settings.db), ("h", 6379, 2));
        assert_eq!(debug.take(), ["statefile: --redis-attribute 'reconnect' is not used"]);
        let bare = redis_settings("h", &values(&[("redis-attribute", "password=sekret; system('x')")]), &debug);
        assert_eq!(bare.expect("literal").password.as_deref(), Some("sekret; system('x')"));
    }

    #[test]
    fn wrong_values_are_refused_before_connecting() {
        let debug = DebugLog::default();
        for (pairs, message) in [
            (vec![("redis-server", "h:x")], "--redis-server must be HOST or HOST:PORT, not 'h:x'"),
            (vec![("redis-server", "h"), ("redis-db", "-1")], "--redis-db must be a database number, not '-1'"),
            (
                vec![("redis-server", "h"), ("redis-attribute", "cnx_timeout=soon")],
                "--redis-attribute cnx_timeout must be a positive number of seconds, not 'soon'",
            ),
            (vec![("memcached", "h:"), ("memexpiration", "60")], "--memcached must be HOST or HOST:PORT, not 'h:'"),
            (
                vec![("memcached", "h"), ("memexpiration", "0")],
                "--memexpiration must be a positive number of seconds, not '0'",
            ),
        ] {
            let error = open(&values(&pairs), &debug).expect_err(message);
            assert_eq!(error.message(), message);
        }
        assert!(open(&values(&[]), &debug).expect("no server").is_none());
    }
}
