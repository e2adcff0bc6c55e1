//! Statefiles and the report cache in Redis and memcached (`--redis-server`,
//! `--memcached`), end to end: the real binary, the project's stand-in for Microsoft
//! (which counts token requests and downloads), and real servers from Debian's
//! packages, each test starting its own ([`servers`]).
//!
//! The statefile directory of these tests does not exist: with a server that
//! answers, nothing is written there.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Barrier};

use crate::common::plugin::{self, Outcome};
use crate::common::TempDir;
use crate::mock::{MockGraph, Tenant};
use crate::servers::Server;

/// The mailbox usage report, behind `mailbox-usage`.
const MAILBOX: &str = "getMailboxUsageDetail";
/// The token cache of `--tenant=t1 --client-id=c1`.
const TOKEN_CACHE: &str = "office365_graphapi_83f1535f99ab0bf4e9d02dfd85d3e3f7_a9f7e97965d6cf799a529102a973b8b9";
/// The report cache's names start with this.
const PREFIX: &str = "office365_graphapi_report_";

/// A statefile directory that does not exist (and is never created).
fn nowhere(tag: &str) -> PathBuf {
    std::env::temp_dir().join(format!("no-such-statefile-dir-{tag}-{}", std::process::id()))
}

/// Runs the plugin against `mock` with `args`, statefiles under `dir`.
fn run(mock: &MockGraph, dir: &Path, args: &[&str]) -> Outcome {
    plugin::run_in(&mock.url(), dir, args)
}

fn assert_ok(outcome: &Outcome, context: &str) {
    assert_eq!(outcome.code, 0, "{context}: {}{}", outcome.stdout, outcome.stderr);
    assert!(outcome.stdout.starts_with("OK: "), "{context}: {}", outcome.stdout);
}

/// Every key of the Redis server, sorted.
fn keys(redis: &Server) -> Vec<String> {
    let mut keys: Vec<String> = redis::cmd("KEYS").arg("*").query(&mut redis.redis_connection()).expect("KEYS");
    keys.sort();
    keys
}

fn get(redis: &Server, key: &str) -> Option<Vec<u8>> {
    redis::cmd("GET").arg(key).query(&mut redis.redis_connection()).expect("GET")
}

fn set(redis: &Server, key: &str, value: &[u8]) {
    redis::cmd("SET").arg(key).arg(value).query::<()>(&mut redis.redis_connection()).expect("SET");
}

fn del(redis: &Server, key: &str) {
    redis::cmd("DEL").arg(key).query::<()>(&mut redis.redis_connection()).expect("DEL");
}

/// The report copies' heads in Redis (`<dir>/office365_graphapi_report_<md5>`).
fn heads(redis: &Server) -> Vec<String> {
    keys(redis)
        .into_iter()
        .filter(|k| k.rsplit('/').next().and_then(|n| n.strip_prefix(PREFIX)).is_some_and(|rest| rest.len() == 32))
        .collect()
}

/// The token cache is the Perl plugin's entry: same key, same JSON, its lifetime
/// `--memexpiration`; a token the Perl plugin stored is used, and the one stored here
/// reads as the Perl plugin reads it.
#[test]
fn the_token_is_shared_with_the_perl_plugin_both_ways() {
    let redis = Server::redis(&[]);
    let mock = plugin::mock();
    let dir = nowhere("token");
    let server = format!("--redis-server={}", redis.address());
    let first = run(&mock, &dir, &["--mode=mailbox-usage", &server, "--memexpiration=3600"]);
    assert_ok(&first, "first run");
    assert!(!dir.exists(), "nothing written to the statefile directory");
    let key = format!("{}/{TOKEN_CACHE}", dir.display());
    let stored: serde_json::Value = serde_json::from_slice(&get(&redis, &key).expect("the token cache")).expect("JSON");
    let token = stored["access_token"].as_str().expect("access_token").to_string();
    assert!(stored["expires_on"].as_i64().is_some(), "{stored}");
    let ttl: i64 = redis::cmd("TTL").arg(&key).query(&mut redis.redis_connection()).expect("TTL");
    assert!((3500..=3600).contains(&ttl), "lifetime of the entry: {ttl}");
    assert_eq!(mock.token_requests(), 1);

    // The Perl plugin's own form: no fields but the token and its expiry.
    let perl = serde_json::json!({"access_token": token, "expires_on": stored["expires_on"], "last_timestamp": 1});
    set(&redis, &key, perl.to_string().as_bytes());
    let second = run(&mock, &dir, &["--mode=mailbox-usage", &server, "--report-cache-ttl=0"]);
    assert_ok(&second, "a token stored by Perl");
    assert_eq!(mock.token_requests(), 1, "the stored token served");
}

/// Redis unreachable at start-up: the Perl plugin's answer; with `--failback-file`,
/// the files.
#[test]
fn redis_down_at_start_up_is_unknown_or_files_with_failback() {
    let mock = plugin::mock();
    let closed = {
        let mut redis = Server::redis(&[]);
        let address = redis.address();
        redis.stop();
        address
    };
    let server = format!("--redis-server={closed}");
    let dir = nowhere("down");
    let down = run(&mock, &dir, &["--mode=mailbox-usage", &server]);
    assert_eq!(down.code, 3, "{}", down.stdout);
    assert!(
        down.stdout
            .starts_with(&format!("UNKNOWN: redis connection issue: Could not connect to Redis server at {closed}")),
        "{}",
        down.stdout
    );
    assert_eq!(mock.requests().len(), 0, "nothing asked of Microsoft");

    let files = TempDir::new("redis-failback").expect("state dir");
    let failback = run(&mock, files.path(), &["--mode=mailbox-usage", &server, "--failback-file", "--debug"]);
    assert_eq!(failback.code, 0, "{}", failback.stdout);
    assert!(failback.stdout.contains("files are used (--failback-file)"), "{}", failback.stdout);
    assert!(files.path().join(TOKEN_CACHE).exists(), "the token cache is a file");
}

/// A wrong password is a clear UNKNOWN naming Redis authentication, and the password
/// is never shown, not even with `--debug`; Perl's quoted form and the bare value
/// both give the password.
#[test]
fn a_wrong_password_names_redis_authentication_and_is_never_shown() {
    let redis = Server::redis(&["requirepass", "right-pass"]);
    let mock = plugin::mock();
    let dir = nowhere("auth");
    let server = format!("--redis-server={}", redis.address());
    for attribute in ["--redis-attribute=password='wrong-pass'", "--redis-attribute=cnx_timeout=3"] {
        let refused = run(&mock, &dir, &["--mode=mailbox-usage", &server, attribute, "--debug"]);
        assert_eq!(refused.code, 3, "{}", refused.stdout);
        assert!(
            refused.stdout.starts_with("UNKNOWN: redis connection issue: Redis authentication failed"),
            "{}",
            refused.stdout
        );
        assert!(!refused.stdout.contains("wrong-pass") && !refused.stderr.contains("wrong-pass"), "{}", refused.stdout);
    }
    for attribute in ["--redis-attribute=password='right-pass'", "--redis-attribute=password=right-pass"] {
        let fine = run(&mock, &dir, &["--mode=mailbox-usage", &server, attribute, "--debug"]);
        assert_ok(&fine, attribute);
        assert!(!fine.stdout.contains("right-pass"), "{}", fine.stdout);
    }
    assert_eq!(heads(&redis).len(), 1, "{:?}", keys(&redis));
}

/// The report cache in Redis: one download serves the next checks; an evicted part
/// or a head of another format is a miss and a new download, never half a report;
/// another tenant's check never reads this one's copy.
#[test]
fn report_copies_in_redis_are_shared_and_checked_whole() {
    let redis = Server::redis(&[]);
    let mock = MockGraph::builder().tenant(Tenant::generated(30_000, 7)).start().expect("the mock starts");
    let dir = nowhere("reports");
    let server = format!("--redis-server={}", redis.address());
    let args = ["--mode=mailbox-usage", server.as_str(), "--verbose"];
    let cold = run(&mock, &dir, &args);
    assert_ok(&cold, "cold");
    assert_eq!(mock.downloads(MAILBOX), 1);
    let warm = run(&mock, &dir, &args);
    assert_eq!(warm, cold, "the copy answers as the download did");
    assert_eq!(mock.downloads(MAILBOX), 1, "no download for a warm check");
    assert!(!dir.exists());

    let heads = heads(&redis);
    assert_eq!(heads.len(), 1, "{:?}", keys(&redis));
    let head: serde_json::Value = serde_json::from_slice(&get(&redis, &heads[0]).expect("head")).expect("JSON head");
    let chunks = head["chunks"].as_u64().expect("chunks");
    assert!(chunks >= 1, "{head}");
    let generation = head["generation"].as_str().expect("generation");
    let last = format!("{}.{generation}.{}", heads[0], chunks - 1);
    assert!(get(&redis, &last).is_some(), "{last}: {:?}", keys(&redis));

    // Evicted: a part is gone.
    del(&redis, &last);
    let evicted = run(&mock, &dir, &args);
    assert_eq!(evicted, cold, "a new download, the same answer");
    assert_eq!(mock.downloads(MAILBOX), 2);
    let after: Vec<String> = keys(&redis).into_iter().filter(|k| k.contains(generation)).collect();
    assert!(after.is_empty(), "the old generation is deleted: {after:?}");

    // Another format under the head's key.
    set(&redis, &heads[0], b"$VAR1 = { 'x' => 1 };");
    let foreign = run(&mock, &dir, &args);
    assert_eq!(foreign, cold);
    assert_eq!(mock.downloads(MAILBOX), 3);

    // Another application of the same tenant has a copy of its own.
    let other = plugin::Plugin::new()
        .args(args)
        .args(["--tenant=t1", "--client-id=c2"])
        .secret()
        .endpoints(&mock.url())
        .state(&dir)
        .run();
    assert_eq!(other.code, cold.code, "{}", other.stdout);
    assert_eq!(mock.downloads(MAILBOX), 4, "not answered from another credential's copy");
}

/// A check of one mailbox reads its rows from the copy's index in Redis, and answers
/// as the same check from files; a name the report lacks, or an index gone, is read
/// from the whole copy.
#[test]
fn a_check_of_one_mailbox_reads_the_index() {
    let redis = Server::redis(&[]);
    let mock = MockGraph::builder().tenant(Tenant::generated(5_000, 7)).start().expect("the mock starts");
    let dir = nowhere("index");
    let files = TempDir::new("index-files").expect("state dir");
    let server = format!("--redis-server={}", redis.address());
    for (filter, expected) in [
        (
            r"--filter-mailbox=^user004321@contoso\.onmicrosoft\.com$",
            "the rows of 'user004321@contoso.onmicrosoft.com' from the cache's index",
        ),
        (
            r"--filter-mailbox=^nobody@contoso\.onmicrosoft\.com$",
            "no row of 'nobody@contoso.onmicrosoft.com' in the cache's index",
        ),
    ] {
        let args = ["--mode=mailbox-usage", filter, "--filter-counters=^status$", "--verbose"];
        let reference = run(&mock, files.path(), &args);
        let cold = run(&mock, &dir, &[&args[..], &[server.as_str()]].concat());
        assert_eq!(cold, reference, "{filter}");
        let warm = run(&mock, &dir, &[&args[..], &[server.as_str(), "--debug"]].concat());
        assert!(warm.stdout.contains(expected), "{}", warm.stdout);
        assert!(warm.stdout.starts_with(reference.stdout.lines().next().expect("a line")), "{}", warm.stdout);
    }
    let index: Vec<String> = keys(&redis).into_iter().filter(|k| k.ends_with(".index")).collect();
    assert_eq!(index.len(), 1, "{:?}", keys(&redis));
    del(&redis, &index[0]);
    let args = ["--mode=mailbox-usage", r"--filter-mailbox=^user000007@contoso\.onmicrosoft\.com$", "--debug", &server];
    let gone = run(&mock, &dir, &args);
    assert!(gone.stdout.contains("has an incomplete index"), "{}", gone.stdout);
    assert!(gone.stdout.contains("): from the cache, "), "{}", gone.stdout);
    assert_eq!(mock.downloads(MAILBOX), 2, "one for the files, one for Redis");
}

/// Redis gone between two runs: the Perl plugin's UNKNOWN (the copy is not looked for
/// in files). Gone in the middle of a run: the check answers from its download.
#[test]
fn redis_gone_between_runs_or_during_one() {
    let mut redis = Server::redis(&[]);
    let mock = MockGraph::builder().tenant(Tenant::generated(60_000, 7)).start().expect("the mock starts");
    let dir = nowhere("gone");
    let server = format!("--redis-server={}", redis.address());
    let reference = run(&mock, &dir, &["--mode=mailbox-usage", &server, "--report-cache-ttl=0"]);
    assert_ok(&reference, "reference");

    // During a run: Redis stops once the download has started.
    let mut check = plugin::command(&mock.url(), &dir, &["--mode=mailbox-usage", &server]);
    let started = mock.downloads(MAILBOX);
    let child = std::thread::spawn(move || Outcome::from(check.output().expect("the plugin runs")));
    while mock.downloads(MAILBOX) == started && !child.is_finished() {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    redis.stop();
    let during = child.join().expect("check thread");
    assert_eq!(during.stdout, reference.stdout, "the answer of the download, whole");

    let after = run(&mock, &dir, &["--mode=mailbox-usage", &server]);
    assert_eq!(after.code, 3, "{}", after.stdout);
    assert!(after.stdout.starts_with("UNKNOWN: redis connection issue: "), "{}", after.stdout);
}

/// memcached, as `HOST` (Perl's form, default port) or `HOST:PORT`: the token cache
/// under the Perl key, the report copy in chunks of at most 1 MB; an unreachable
/// memcached means files, as with the Perl plugin.
#[test]
fn memcached_keeps_the_token_and_the_report_in_chunks() {
    let memcached = Server::memcached();
    let mock = MockGraph::builder().tenant(Tenant::generated(30_000, 7)).start().expect("the mock starts");
    let dir = nowhere("memcached");
    let server = format!("--memcached={}", memcached.address());
    let args = ["--mode=mailbox-usage", server.as_str(), "--debug"];
    let cold = run(&mock, &dir, &args);
    assert_eq!(cold.code, 0, "{}", cold.stdout);
    assert!(cold.stdout.contains("report cache: kept by the memcached server"), "{}", cold.stdout);
    let warm = run(&mock, &dir, &args);
    assert_eq!(warm.code, 0, "{}", warm.stdout);
    assert!(warm.stdout.contains("): from the cache, "), "{}", warm.stdout);
    assert_eq!(mock.downloads(MAILBOX), 1);
    assert_eq!(mock.token_requests(), 1);
    assert!(!dir.exists());
    let token = memcached.memcached_command(&format!("get {}/{TOKEN_CACHE}", dir.display()));
    assert!(token.starts_with("VALUE ") && token.contains("\"access_token\""), "{token}");
    let stored = warm.stdout.lines().find(|l| l.contains("stored in the cache")).map(str::to_string);
    assert!(stored.is_none(), "a warm check stores nothing");
    let size: u64 = cold
        .stdout
        .lines()
        .find_map(|l| l.split("records, ").nth(1)?.split(" bytes").next()?.parse().ok())
        .expect("the stored size in the debug log");
    assert!(size > 1 << 20, "a copy larger than a memcached item: {size} bytes");

    let closed = {
        let mut other = Server::memcached();
        let address = other.address();
        other.stop();
        address
    };
    let files = TempDir::new("memcached-failback").expect("state dir");
    let down = run(&mock, files.path(), &["--mode=mailbox-usage", &format!("--memcached={closed}")]);
    assert_eq!(down.code, 0, "{}", down.stdout);
    assert!(files.path().join(TOKEN_CACHE).exists(), "files stand in");
}

/// Four pollers on one Redis, each a group of concurrent checks with a statefile
/// directory that does not exist: one download of the report for all, and at most
/// two token requests.
#[test]
fn four_pollers_on_one_redis_make_one_download() {
    const POLLERS: usize = 4;
    const CHECKS: usize = 4;
    let redis = Server::redis(&[]);
    let mock = MockGraph::builder().tenant(Tenant::generated(20_000, 7)).start().expect("the mock starts");
    let dir = nowhere("pollers");
    let server = format!("--redis-server={}", redis.address());
    let barrier = Arc::new(Barrier::new(POLLERS * CHECKS));
    let checks: Vec<_> = (0..POLLERS * CHECKS)
        .map(|i| {
            let filter = format!("--filter-mailbox=^user{:06}@", i * 100);
            let mut command = plugin::command(&mock.url(), &dir, &["--mode=mailbox-usage", &server, &filter]);
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                barrier.wait();
                Outcome::from(command.output().expect("the plugin runs"))
            })
        })
        .collect();
    for check in checks {
        let outcome = check.join().expect("check thread");
        assert!(outcome.code < 3, "{}{}", outcome.stdout, outcome.stderr);
    }
    assert_eq!(mock.downloads(MAILBOX), 1, "one download for every poller");
    assert!(mock.token_requests() <= 2, "token requests: {}", mock.token_requests());
    assert!(!dir.exists());
}

/// With both `--redis-server` and `--memcached`, as in the Perl plugin: Redis must be
/// reachable, memcached keeps the state when it answers, Redis when it does not.
#[test]
fn memcached_comes_before_redis_when_both_are_given() {
    let redis = Server::redis(&[]);
    let memcached = Server::memcached();
    let mock = MockGraph::builder().start().expect("the mock starts");
    let dir = nowhere("both");
    let (to_redis, to_memcached) =
        (format!("--redis-server={}", redis.address()), format!("--memcached={}", memcached.address()));
    let both = run(&mock, &dir, &["--mode=email-activity", &to_redis, &to_memcached]);
    assert_ok(&both, "both servers");
    let token = memcached.memcached_command(&format!("get {}/{TOKEN_CACHE}", dir.display()));
    assert!(token.starts_with("VALUE ") && token.contains("\"access_token\""), "{token}");
    assert!(keys(&redis).is_empty(), "Redis untouched: {:?}", keys(&redis));

    let closed = {
        let mut other = Server::memcached();
        let address = other.address();
        other.stop();
        address
    };
    let redis_only = run(&mock, &dir, &["--mode=email-activity", &to_redis, &format!("--memcached={closed}")]);
    assert_ok(&redis_only, "memcached down");
    assert!(get(&redis, &format!("{}/{TOKEN_CACHE}", dir.display())).is_some(), "{:?}", keys(&redis));
    assert!(!dir.exists());
}
