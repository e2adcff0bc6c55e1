//! The report cache of the `graphapi` custom mode: which downloads it keeps, under
//! which key, and what a check does with a fresh copy, with a miss, and when Graph
//! refuses. The cache itself (files, lock, failure notes, pruning) is the core's
//! [`centreon_plugin::cache`].
//!
//! Microsoft Graph answers 14 CSV report requests per 10 minutes per application and
//! tenant (40 for all applications of a tenant), and the reports change once a day. So each downloaded report is
//! kept, whole (every column: all modes and filters share one download), in the
//! statefile directory, and:
//!
//! * a copy younger than `--report-cache-ttl` answers the check with no request at
//!   all, not even for a token;
//! * checks that miss together wait for one download (up to the check's deadline)
//!   and then read it; a download that fails is the answer of the checks that waited
//!   for it too;
//! * when Graph still answers 429 or a server error after the retries, a copy up to a
//!   day old answers instead, and the long output says how old it is; for as long as
//!   Graph asked to wait (`Retry-After`, at most [`MAX_HOLD`]), new checks take that
//!   copy without asking Graph again;
//! * `--report-cache-ttl=0` turns the cache off: every check downloads, nothing is
//!   written, and no older copy stands in.
//!
//! The key is the Graph endpoint, the tenant, the client id, the report and its query,
//! never the secret: a copy serves the checks of the same application, tenant and
//! endpoint only. A check served from a copy proves no credential (it makes no
//! request): the copies are as private as the token cache beside them.

use std::path::Path;
use std::time::{Duration, Instant};

use centreon_plugin::cache::{Cache, Claim, Entry, Key, Producer, Setback};
use centreon_plugin::debug::DebugLog;
use centreon_plugin::error::{Error, Result};
use centreon_plugin::options::{OptionSpec, Text};
use centreon_plugin::registry::{Env, Notices};
use centreon_plugin::statefile::{self, Placement, Sealing};

use crate::custom::client;
use crate::custom::report::{self, Download};
use crate::custom::retry::Refused;
use crate::custom::{Only, RowVisit};

/// `--report-cache-ttl`: how long a copy is fresh.
pub const TTL: Text = Text::new(
    "report-cache-ttl",
    "Keep each downloaded report this many seconds in the statefile directory \
     (--statefile-dir) and answer the checks of that time from it, without any request \
     to Microsoft (default: 900). Reports change once a day. 0 turns the cache off: \
     every check downloads its report.",
)
.default(TTL_DEFAULT);

/// Its name, for messages.
pub const TTL_OPTION: &str = TTL.name();

/// Its default, in seconds.
const TTL_DEFAULT: &str = "900";

/// The column a copy kept in Redis is indexed by, for the checks of one mailbox.
const INDEX: &str = "User Principal Name";

/// The cache's file names start with this (then the statefile suffix, then the MD5
/// of the key): not a prefix of the token cache's names.
const PREFIX: &str = "office365_graphapi_report_";

/// The longest a throttling answer holds new checks off Graph: Graph's own window.
pub const MAX_HOLD: Duration = Duration::from_secs(600);

/// `--report-cache-ttl`, for `--help`.
pub fn option() -> OptionSpec {
    TTL.spec()
}

/// The report cache of one check, or the cache turned off.
#[derive(Debug)]
pub struct ReportCache {
    cache: Option<Cache>,
    endpoint: String,
    tenant: String,
    client_id: String,
    debug: DebugLog,
    notices: Notices,
}

impl ReportCache {
    /// Reads `--report-cache-ttl` (a whole number of seconds, else the check stops
    /// before any request) and places the cache by the Retention Options; the key of
    /// its entries starts with `endpoint` and `tenant` (as the client uses them) and
    /// `--client-id`. With a Redis or memcached server in `placement`, the copies are
    /// kept there, shared by every poller using it.
    pub fn new(env: &Env<'_>, placement: &Placement, endpoint: &str, tenant: &str) -> Result<ReportCache> {
        let raw = env.values.non_empty(&TTL).unwrap_or(TTL_DEFAULT);
        let ttl = raw
            .parse::<u64>()
            .map_err(|_| Error::new(format!("--{TTL_OPTION} must be a whole number of seconds, not '{raw}'")))?;
        let place = placement.file(PREFIX);
        let path = place.path();
        let dir = path.parent().unwrap_or(path);
        let prefix = path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
        let cache = Cache::new(dir, &prefix, Duration::from_secs(ttl))
            .map(|c| c.kept_by(placement.store.clone()).indexed_by(INDEX));
        // Copies are encrypted with the statefile key when there is one (copies in files:
        // a server's copies are indexed by their cells); a key that cannot be used has
        // stopped the check already, and never lets a clear copy out.
        let cache = match statefile::sealing(env.values) {
            Sealing::Plain => cache,
            Sealing::Key(key) => cache.map(|cache| cache.sealed(key.derive("report cache"))),
            Sealing::Unusable(_) => None,
        };
        match (&cache, &placement.store) {
            (None, _) => env.debug.log(format!("report cache: off (--{TTL_OPTION}=0)")),
            (Some(_), Some(store)) => env.debug.log(format!("report cache: kept by the {}", store.name())),
            (Some(_), None) => {}
        }
        Ok(ReportCache {
            cache,
            endpoint: endpoint.to_string(),
            tenant: tenant.to_string(),
            client_id: env.values.non_empty(&client::CLIENT_ID).unwrap_or_default().to_string(),
            debug: env.debug.clone(),
            notices: env.notices.clone(),
        })
    }

    /// Calls `visit` with the columns of every row of the report `request` names:
    /// from a fresh copy; else from the copy another check downloaded while this one
    /// waited for it; else from the download `download` starts, copied into the cache
    /// as it is read; else — Graph being unavailable — from an older copy. No wait
    /// goes past `deadline`.
    pub fn read<R: Download>(
        &self,
        request: Request<'_>,
        deadline: Instant,
        download: impl FnOnce() -> std::result::Result<R, Refused>,
        visit: RowVisit<'_>,
    ) -> Result<()> {
        let Request { name, report, query, columns, only } = request;
        let Some(cache) = &self.cache else {
            let body = download().map_err(|refused| refused.error)?;
            return report::read(name, body, columns, visit);
        };
        let key = self.key(report, query);
        let log = |line: String| self.debug.log(format!("report {name}: {line}"));
        if let Some(Only { column, value }) = only {
            match cache.fresh_only(&key, column, value) {
                Some(Ok(entry)) if !entry.records().is_empty() => {
                    log(format!("the rows of '{value}' from the cache's index, {} s old", entry.age().as_secs()));
                    return report::read_stored(name, entry.records(), columns, visit);
                }
                // Not in the index: the whole copy says so in the mode's own words.
                Some(Ok(_)) => log(format!("no row of '{value}' in the cache's index")),
                Some(Err(miss)) => log(format!("by '{column}': {miss}")),
                None => {}
            }
        }
        match cache.fresh(&key) {
            Ok(entry) => {
                log(format!("from the cache, {} s old ('{}')", entry.age().as_secs(), entry.path().display()));
                return report::read_stored(name, entry.records(), columns, visit);
            }
            Err(miss) => log(miss.to_string()),
        }
        let fallback = Fallback { cache, key: &key, name, columns };
        let mut producer = match cache.claim(&key, deadline, &mut |text| self.notices.add(text)) {
            Claim::Fresh(entry) => {
                log(format!("downloaded by another check while this one waited ({} s old)", entry.age().as_secs()));
                return report::read_stored(name, entry.records(), columns, visit);
            }
            Claim::Failed(failure) => {
                log(format!("the download of another check failed {} s ago", failure.age.as_secs()));
                let error = Error::new(failure.message);
                return if failure.transient { self.stale_or(&fallback, error, visit) } else { Err(error) };
            }
            Claim::Produce(producer) if !producer.locked() && Instant::now() >= deadline => {
                drop(producer);
                let error = Error::new(format!(
                    "report {name}: another check is downloading it and did not finish within --timeout"
                ));
                return self.stale_or(&fallback, error, visit);
            }
            Claim::Produce(producer) => producer,
        };
        if !producer.locked() {
            log("downloading without the cache's lock".to_string());
        }
        let body = match download() {
            Ok(body) => body,
            Err(Refused { error, unavailable: Some(wait), .. }) => {
                producer.fail(error.message(), Setback::Transient { hold: wait.min(MAX_HOLD) });
                return self.stale_or(&fallback, error, visit);
            }
            Err(Refused { error, unavailable: None, .. }) => {
                producer.fail(error.message(), Setback::Permanent);
                return Err(error);
            }
        };
        let path = cache.path(&key);
        // Only the whole report, every cell asked for read, becomes the copy: a bad
        // answer must not replace a good copy nor answer the checks of a whole TTL.
        match report::read_copying(name, body, columns, visit, &mut producer) {
            Ok(()) => {
                self.commit(name, producer, &path);
                Ok(())
            }
            Err(error) => {
                producer.fail(error.message(), Setback::Permanent);
                Err(error)
            }
        }
    }

    /// The key of `report` for `query`, downloaded by this application.
    fn key(&self, report: &str, query: &str) -> Key {
        Key::new([
            ("endpoint", self.endpoint.as_str()),
            ("tenant", self.tenant.as_str()),
            ("client-id", self.client_id.as_str()),
            ("report", report),
            ("query", query),
        ])
    }

    /// Puts the copy just read in place; a copy that cannot be written costs only the
    /// next checks a download.
    fn commit(&self, name: &str, producer: Producer, path: &Path) {
        match producer.commit() {
            Ok(stored) => self.debug.log(format!(
                "report {name}: stored in the cache ({} records, {} bytes, '{}')",
                stored.records,
                stored.size,
                path.display()
            )),
            Err(why) => self.debug.log(format!("report {name}: not cached: {why}")),
        }
    }

    /// Graph being unavailable (`error`), the report from a copy up to a day old, with
    /// a line of long output saying so; without one, `error`.
    fn stale_or(&self, fallback: &Fallback<'_>, error: Error, visit: RowVisit<'_>) -> Result<()> {
        let Fallback { cache, key, name, columns } = *fallback;
        match cache.stale(key) {
            Ok(entry) => {
                self.debug.log(format!(
                    "report {name}: Graph is unavailable; using the copy cached {} s ago ('{}')",
                    entry.age().as_secs(),
                    entry.path().display()
                ));
                self.notices.add_detail(stale_note(name, &entry, &error));
                report::read_stored(name, entry.records(), columns, visit)
            }
            Err(miss) => {
                self.debug.log(format!("report {name}: no older copy to use ({miss})"));
                Err(error)
            }
        }
    }
}

/// One report to read.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The report in messages: `getMailboxUsageDetail(period='D7')`.
    pub name: &'a str,
    /// Its path under the endpoint: `v1.0/reports/getMailboxUsageDetail`.
    pub report: &'a str,
    /// Its query: `period='D7'`, `date=2026-11-22`.
    pub query: &'a str,
    /// The columns read (see [`crate::custom::ReportSpec::columns`]).
    pub columns: &'a [&'a str],
    /// The only rows the caller keeps, when it said so.
    pub only: Option<Only<'a>>,
}

/// Where an older copy would be, for [`ReportCache::stale_or`].
#[derive(Clone, Copy)]
struct Fallback<'a> {
    cache: &'a Cache,
    key: &'a Key,
    name: &'a str,
    columns: &'a [&'a str],
}

/// The line of long output of a check answered from an older copy.
fn stale_note(name: &str, entry: &Entry, error: &Error) -> String {
    format!("Report {name} is the copy downloaded {} ago: {error}", age_text(entry.age()))
}

/// An age for people: `45 s`, `12 min`, `2 h 5 min`.
fn age_text(age: Duration) -> String {
    let secs = age.as_secs();
    match secs {
        0..120 => format!("{secs} s"),
        120..7200 => format!("{} min", secs / 60),
        _ => format!("{} h {} min", secs / 3600, secs % 3600 / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use centreon_plugin::debug::{Logging, Secrets};
    use centreon_plugin::options::Values;
    use centreon_plugin::records::Writer;
    use std::cell::Cell;
    use std::os::unix::fs::OpenOptionsExt;
    use std::path::PathBuf;
    use std::time::SystemTime;

    const CSV: &[u8] = b"\xEF\xBB\xBFReport Refresh Date,User Principal Name,Send Count\r\n\
2026-11-22,u1@contoso.com,3\r\n2026-11-22,u2@contoso.com,\r\n";

    const REQUEST: Request<'static> = Request {
        name: "getEmailActivityUserDetail(period='D7')",
        report: "v1.0/reports/getEmailActivityUserDetail",
        query: "period='D7'",
        columns: &["User Principal Name", "Send Count"],
        only: None,
    };

    /// A statefile directory, removed when dropped.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new() -> Scratch {
            use std::sync::atomic::{AtomicUsize, Ordering};
            static NEXT: AtomicUsize = AtomicUsize::new(0);
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let dir = std::env::temp_dir().join(format!("report-cache-{}-{n}", std::process::id()));
            std::fs::create_dir_all(&dir).expect("scratch dir");
            Scratch(dir)
        }

        fn names(&self) -> Vec<String> {
            let mut names: Vec<String> = std::fs::read_dir(&self.0)
                .expect("list")
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            names
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// A check's report cache in `dir` with `--report-cache-ttl=ttl`, logging into
    /// `debug` and adding to `notices`.
    fn cache_in(dir: &Scratch, ttl: &str, debug: &DebugLog, notices: &Notices) -> Result<ReportCache> {
        let mut specs = centreon_plugin::statefile::section().options;
        specs.push(option());
        specs.push(client::CLIENT_ID.spec());
        let args =
            [format!("--statefile-dir={}", dir.0.display()), "--client-id=c1".into(), format!("--{TTL_OPTION}={ttl}")];
        let parsed = centreon_plugin::getopt::parse(&args, &specs);
        assert!(parsed.rest.is_empty(), "undeclared: {:?}", parsed.rest);
        let values: Values = parsed.values;
        let env = Env { values: &values, debug, notices, deadline: Instant::now() + Duration::from_secs(30) };
        ReportCache::new(&env, &Placement::from_values(&values), "https://graph.microsoft.com", "contoso")
    }

    fn cache(dir: &Scratch, ttl: &str) -> ReportCache {
        cache_in(dir, ttl, &DebugLog::default(), &Notices::default()).expect("valid options")
    }

    /// The users and send counts of the report, `answer` being what a download gets;
    /// `downloads` counts the downloads started.
    fn users(
        cache: &ReportCache,
        downloads: &Cell<usize>,
        answer: std::result::Result<&'static [u8], Refused>,
    ) -> Result<Vec<(String, Option<i64>)>> {
        let mut out = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        let download = || {
            downloads.set(downloads.get() + 1);
            answer
        };
        cache.read(REQUEST, deadline, download, &mut |row| {
            out.push((row.text(0).to_string(), row.count(1)?));
            Ok(())
        })?;
        Ok(out)
    }

    fn expected() -> Vec<(String, Option<i64>)> {
        vec![("u1@contoso.com".to_string(), Some(3)), ("u2@contoso.com".to_string(), None)]
    }

    /// Graph still throttling after its retries, asking to wait `secs`.
    fn throttled(secs: u64) -> std::result::Result<&'static [u8], Refused> {
        let error = Error::new("Graph endpoint is throttling (429 Too Many Requests): still refused after 4 attempts");
        Err(Refused { error, unavailable: Some(Duration::from_secs(secs)), status: Some(429), code: None })
    }

    /// Writes the report's entry as if downloaded `age` ago.
    fn plant(cache: &ReportCache, age: Duration) {
        let inner = cache.cache.as_ref().expect("cache on");
        let key = cache.key(REQUEST.report, REQUEST.query);
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(inner.path(&key))
            .expect("entry");
        let header = ["Report Refresh Date", "User Principal Name", "Send Count"];
        let mut writer = Writer::new(file, key.material(), SystemTime::now() - age, header).expect("header");
        writer.record(["2026-11-21", "old@contoso.com", "9"]).expect("record");
        writer.finish().expect("finish");
    }

    #[test]
    fn a_fresh_copy_answers_without_any_request() {
        let dir = Scratch::new();
        let debug = DebugLog::new(Logging::On, Secrets::Masked);
        let cache = cache_in(&dir, "900", &debug, &Notices::default()).expect("valid");
        let downloads = Cell::new(0);
        assert_eq!(users(&cache, &downloads, Ok(CSV)).expect("downloaded"), expected());
        assert_eq!(users(&cache, &downloads, Err(Error::new("no request expected").into())).expect("hit"), expected());
        assert_eq!(downloads.get(), 1);
        let log = debug.take().join("\n");
        assert!(log.contains("report getEmailActivityUserDetail(period='D7'): no cached copy"), "{log}");
        assert!(log.contains("stored in the cache (2 records"), "{log}");
        assert!(log.contains("from the cache, 0 s old"), "{log}");
        let entry = dir.names().into_iter().find(|n| !n.ends_with(".lock")).expect("an entry");
        assert!(entry.starts_with(PREFIX) && entry.len() == PREFIX.len() + 32, "{entry}");
    }

    #[test]
    fn the_key_is_the_application_the_report_and_the_query() {
        let dir = Scratch::new();
        let cache = cache(&dir, "900");
        let key = cache.key(REQUEST.report, REQUEST.query);
        assert_eq!(
            key.to_string(),
            "endpoint=https://graph.microsoft.com, tenant=contoso, client-id=c1, \
             report=v1.0/reports/getEmailActivityUserDetail, query=period='D7'"
        );
        assert_ne!(key, cache.key(REQUEST.report, "date=2026-11-22"));
    }

    #[test]
    fn a_zero_ttl_downloads_every_time_and_keeps_nothing() {
        let dir = Scratch::new();
        let debug = DebugLog::new(Logging::On, Secrets::Masked);
        let cache = cache_in(&dir, "0", &debug, &Notices::default()).expect("valid");
        let downloads = Cell::new(0);
        for _ in 0..2 {
            assert_eq!(users(&cache, &downloads, Ok(CSV)).expect("downloaded"), expected());
        }
        assert_eq!(downloads.get(), 2);
        assert_eq!(dir.names(), Vec::<String>::new());
        assert!(debug.take().iter().any(|line| line == "report cache: off (--report-cache-ttl=0)"));
        let error = users(&cache, &downloads, throttled(1)).expect_err("no copy stands in");
        assert!(error.message().contains("throttling"), "{error}");
    }

    #[test]
    fn a_ttl_is_a_whole_number_of_seconds() {
        let dir = Scratch::new();
        for raw in ["x", "-1", "1.5", "15m"] {
            let error = cache_in(&dir, raw, &DebugLog::default(), &Notices::default()).expect_err(raw);
            assert_eq!(error.message(), format!("--report-cache-ttl must be a whole number of seconds, not '{raw}'"));
        }
        assert!(cache_in(&dir, "", &DebugLog::default(), &Notices::default()).is_ok(), "empty: the default");
    }

    #[test]
    fn an_unavailable_graph_is_answered_from_an_older_copy_with_a_note() {
        let dir = Scratch::new();
        let notices = Notices::default();
        let cache = cache_in(&dir, "900", &DebugLog::default(), &notices).expect("valid");
        let downloads = Cell::new(0);
        let error = users(&cache, &downloads, throttled(0)).expect_err("no copy yet");
        assert!(error.message().starts_with("Graph endpoint is throttling"), "{error}");
        assert!(notices.take_details().is_empty());

        plant(&cache, Duration::from_secs(2 * 3600 + 300));
        let rows = users(&cache, &downloads, throttled(0)).expect("the older copy");
        assert_eq!(rows, [("old@contoso.com".to_string(), Some(9))]);
        assert_eq!(
            notices.take_details(),
            ["Report getEmailActivityUserDetail(period='D7') is the copy downloaded 2 h 5 min ago: Graph endpoint \
                 is throttling (429 Too Many Requests): still refused after 4 attempts"]
        );
        assert_eq!(downloads.get(), 2);

        plant(&cache, centreon_plugin::cache::KEEP + Duration::from_secs(60));
        users(&cache, &downloads, throttled(0)).expect_err("a copy older than a day is not used");
    }

    #[test]
    fn a_refusal_is_the_answer_even_with_an_older_copy() {
        let dir = Scratch::new();
        let cache = cache(&dir, "900");
        plant(&cache, Duration::from_secs(3600));
        let downloads = Cell::new(0);
        let refused = Err(Error::new("Graph endpoint API return error code 'S2SUnauthorized'").into());
        let error = users(&cache, &downloads, refused).expect_err("refused");
        assert!(error.message().contains("S2SUnauthorized"), "{error}");
    }

    #[test]
    fn throttling_holds_new_checks_off_graph_for_its_retry_after() {
        let dir = Scratch::new();
        let cache = cache(&dir, "900");
        plant(&cache, Duration::from_secs(3600));
        let downloads = Cell::new(0);
        users(&cache, &downloads, throttled(60)).expect("the older copy");
        let rows = users(&cache, &downloads, Ok(CSV)).expect("the older copy, Graph not asked");
        assert_eq!(rows, [("old@contoso.com".to_string(), Some(9))]);
        assert_eq!(downloads.get(), 1, "no download during the hold");
    }

    #[test]
    fn a_broken_download_is_not_kept() {
        let dir = Scratch::new();
        let cache = cache(&dir, "900");
        let downloads = Cell::new(0);
        let cut: &'static [u8] = b"User Principal Name,Send Count\r\nu1,\"3";
        assert!(users(&cache, &downloads, Ok(cut)).expect_err("cut").message().contains("truncated"));
        assert!(!dir.names().iter().any(|n| n.len() == PREFIX.len() + 32), "{:?}", dir.names());
        assert_eq!(users(&cache, &downloads, Ok(CSV)).expect("downloaded again"), expected());
        assert_eq!(downloads.get(), 2);
    }

    #[test]
    fn a_bad_answer_never_becomes_or_replaces_a_copy() {
        let dir = Scratch::new();
        let cache = cache(&dir, "900");
        let downloads = Cell::new(0);
        plant(&cache, Duration::from_secs(1000));
        let answers: [(&'static [u8], &str); 3] = [
            (b"{\"value\":[{\"id\":\"1\",\"name\":\"x\"}]}", "is not CSV but JSON"),
            (b"User Principal Name,Report Period\r\nu1,7\r\n", "has no column 'Send Count'"),
            (b"User Principal Name,Send Count\r\nu1,x\r\nu2,4\r\n", "holds 'x', not a number"),
        ];
        for (answer, problem) in answers {
            let error = users(&cache, &downloads, Ok(answer)).expect_err("not the report");
            assert!(error.message().contains(problem), "{error}");
            let rows = users(&cache, &downloads, throttled(0)).expect("the older, good copy");
            assert_eq!(rows, [("old@contoso.com".to_string(), Some(9))], "{problem}");
        }
        assert_eq!(downloads.get(), 6, "a bad answer is never served again without a download");
    }

    #[test]
    fn a_foreign_lock_file_is_told_in_the_output() {
        let dir = Scratch::new();
        let notices = Notices::default();
        let cache = cache_in(&dir, "900", &DebugLog::default(), &notices).expect("valid");
        let inner = cache.cache.as_ref().expect("cache on");
        let lock = format!("{}.lock", inner.path(&cache.key(REQUEST.report, REQUEST.query)).display());
        std::os::unix::fs::symlink(dir.0.join("elsewhere"), &lock).expect("symlink");
        let downloads = Cell::new(0);
        assert_eq!(users(&cache, &downloads, Ok(CSV)).expect("downloaded"), expected());
        let told = notices.take();
        assert_eq!(told.len(), 1, "{told:?}");
        assert!(told[0].starts_with(&format!("Lock file '{lock}' ")) && told[0].ends_with("replaced it"), "{told:?}");
    }

    #[test]
    fn ages_read_as_people_say_them() {
        assert_eq!(age_text(Duration::from_secs(45)), "45 s");
        assert_eq!(age_text(Duration::from_secs(119)), "119 s");
        assert_eq!(age_text(Duration::from_secs(905)), "15 min");
        assert_eq!(age_text(Duration::from_secs(7385)), "2 h 3 min");
        assert_eq!(age_text(Duration::from_secs(86_399)), "23 h 59 min");
    }
}
