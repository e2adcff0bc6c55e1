use super::*;
use crate::custom::scripted::{closed_port, reply, Scripted, Seen};
use centreon_plugin::debug::{DebugLog, Logging, Secrets};
use centreon_plugin::getopt;
use centreon_plugin::notices::Notices;
use centreon_plugin::options::{OptionSpec, Values};
use centreon_plugin::output::OutputOptions;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The login and Graph endpoints (host 0) and the download host a report call
/// redirects to (host 1, as Microsoft redirects to another host), on the unit
/// tests' local server, counting the token and report calls.
#[derive(Clone)]
struct Mock {
    server: Scripted,
    base: String,
    download_base: String,
    tokens: Arc<AtomicUsize>,
    reports: Arc<AtomicUsize>,
}

impl Mock {
    fn start(handler: impl Fn(&Seen, &Mock) -> Vec<u8> + Send + Sync + 'static) -> Mock {
        let (tokens, reports) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let counters = (Arc::clone(&tokens), Arc::clone(&reports));
        let server = Scripted::start(2, move |seen, server| {
            handler(seen, &Mock::over(server, Arc::clone(&counters.0), Arc::clone(&counters.1)))
        });
        Mock::over(&server, tokens, reports)
    }

    fn over(server: &Scripted, tokens: Arc<AtomicUsize>, reports: Arc<AtomicUsize>) -> Mock {
        let (base, download_base) = (server.base(0).to_string(), server.base(1).to_string());
        Mock { server: server.clone(), base, download_base, tokens, reports }
    }

    fn seen(&self) -> Vec<Seen> {
        self.server.seen()
    }
}

/// Whether the download host received it.
fn download(seen: &Seen) -> bool {
    seen.host == 1
}

const CSV: &[u8] = b"\xEF\xBB\xBFReport Refresh Date,User Principal Name,Display Name,Last Activity Date,\
Send Count,Receive Count,Read Count,Report Period\r\n2026-11-22,a@contoso.com,\"Doe, A\",2026-11-22,3,4,5,7\r\n\
2026-11-22,b@contoso.com,B,,,,,7\r\n";

/// The well-behaved service: token, 302 to the download port, CSV; the download
/// refuses a bearer token (as a strict host would).
fn normal(seen: &Seen, mock: &Mock) -> Vec<u8> {
    if seen.method == "POST" {
        let n = mock.tokens.fetch_add(1, Ordering::SeqCst) + 1;
        return reply(
            "200 OK",
            &[],
            format!(r#"{{"token_type":"Bearer","expires_in":3599,"access_token":"tok-{n}"}}"#).as_bytes(),
        );
    }
    if download(seen) {
        if seen.header("authorization").is_some() {
            return reply("400 Bad Request", &[("Content-Type", "text/plain")], b"Authorization header not expected");
        }
        return reply("200 OK", &[("Content-Type", "application/octet-stream")], CSV);
    }
    mock.reports.fetch_add(1, Ordering::SeqCst);
    reply("302 Found", &[("Location", &format!("{}/download/email.csv", mock.download_base))], b"")
}

fn temp_dir() -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir =
        std::env::temp_dir().join(format!("graphapi-test-{}-{}", std::process::id(), N.fetch_add(1, Ordering::SeqCst)));
    std::fs::create_dir_all(&dir).expect("dir");
    dir
}

/// The client as `build` makes it, logging into `debug` and adding to `notices`.
fn graph_with(values: &Values, deadline: Instant, debug: &DebugLog, notices: &Notices) -> Result<GraphApi> {
    let env = Env { values, debug, notices, deadline };
    GraphApi::new(&env)
}

/// The client as `build` makes it, with a log and notices of its own.
fn graph(values: &Values, deadline: Instant) -> Result<GraphApi> {
    graph_with(values, deadline, &DebugLog::default(), &Notices::default())
}

/// The values of `--name=value` for each pair, parsed as a command line.
fn values(pairs: &[(&str, &str)]) -> Values {
    let mut specs: Vec<OptionSpec> = sections().into_iter().flat_map(|s| s.options).collect();
    specs.extend(OutputOptions::sections().into_iter().flat_map(|s| s.options));
    let args: Vec<String> = pairs.iter().map(|(name, value)| format!("--{name}={value}")).collect();
    let parsed = getopt::parse(&args, &specs);
    assert!(parsed.rest.is_empty(), "undeclared: {:?}", parsed.rest);
    parsed.values
}

fn api(mock: &Mock, dir: &std::path::Path, extra: &[(&str, &str)]) -> Result<GraphApi> {
    let dir = dir.display().to_string();
    let mut pairs = vec![
        ("tenant", "t1"),
        ("client-id", "c1"),
        ("client-secret", "s3cr3t+/=&?"),
        ("login-endpoint", mock.base.as_str()),
        ("graph-endpoint", mock.base.as_str()),
        ("statefile-dir", dir.as_str()),
    ];
    pairs.extend_from_slice(extra);
    graph(&values(&pairs), Instant::now() + Duration::from_secs(60))
}

/// The users of the D7 email activity report and their send counts.
fn users(api: &mut GraphApi) -> Result<Vec<(String, Option<i64>)>> {
    let mut out = Vec::new();
    let request = ReportSpec {
        report: "getEmailActivityUserDetail",
        query: ReportQuery::Period("D7"),
        columns: &["User Principal Name", "Send Count"],
    };
    api.report(&request, &mut |row| {
        out.push((row.text(0).to_string(), row.count(1)?));
        Ok(())
    })?;
    Ok(out)
}

#[test]
fn mandatory_options_in_perl_order() {
    let cases: [(&[(&str, &str)], &str); 4] = [
        (&[("client-id", "c1"), ("client-secret", "x")], "Need to specify --tenant option."),
        (&[("tenant", "t1"), ("client-secret", "x")], "Need to specify --client-id option."),
        (&[("tenant", "t1"), ("client-id", "c1"), ("client-secret", "")], "Need to specify --client-secret option."),
        (
            &[("tenant", "t1"), ("client-id", "c1"), ("client-secret", "x"), ("timeout", "abc")],
            "Invalid --timeout value 'abc': a whole number of seconds from 1 to 86400 is expected",
        ),
    ];
    for (pairs, expected) in cases {
        let err = graph(&values(pairs), Instant::now()).expect_err("error");
        assert_eq!(err.message(), expected);
    }
}

#[test]
fn report_flow_keeps_the_token_home_and_caches_it() {
    let mock = Mock::start(normal);
    let dir = temp_dir();
    let mut first = api(&mock, &dir, &[]).expect("api");
    assert_eq!(
        users(&mut first).expect("rows"),
        [("a@contoso.com".to_string(), Some(3)), ("b@contoso.com".to_string(), None)]
    );
    let seen = mock.seen();
    assert_eq!(seen[0].method, "POST");
    assert_eq!(seen[0].target, "/t1/oauth2/v2.0/token");
    let port = mock.base.rsplit(':').next().expect("port");
    assert_eq!(
        seen[0].body,
        format!("grant_type=client_credentials&client_id=c1&client_secret=s3cr3t%2B%2F%3D%26%3F&scope=http%3A%2F%2F127.0.0.1%3A{port}%2F.default")
    );
    assert_eq!(seen[1].target, "/v1.0/reports/getEmailActivityUserDetail(period='D7')");
    assert_eq!(seen[1].header("authorization"), Some("Bearer tok-1"));
    assert!(download(&seen[2]) && seen[2].header("authorization").is_none(), "{seen:?}");

    let file = dir.join("office365_graphapi_83f1535f99ab0bf4e9d02dfd85d3e3f7_a9f7e97965d6cf799a529102a973b8b9");
    let cache: serde_json::Map<String, Value> =
        serde_json::from_slice(&std::fs::read(&file).expect("cache")).expect("json");
    assert_eq!(cache["access_token"], "tok-1");
    assert_eq!(cache["md5_secret"], crate::custom::token::md5_hex("s3cr3t+/=&?"));
    assert!(cache["expires_on"].is_i64() && cache["last_timestamp"].is_i64());
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&file).expect("meta").permissions().mode() & 0o777, 0o600);

    // Without the report cache, the second run asks Graph again, with the cached token.
    let mut second = api(&mock, &dir, &[("report-cache-ttl", "0")]).expect("api");
    users(&mut second).expect("rows");
    assert_eq!(mock.reports.load(Ordering::SeqCst), 2);
    assert_eq!(mock.tokens.load(Ordering::SeqCst), 1, "the cached token is reused");
}

#[test]
fn graph_errors_read_as_perl_or_better() {
    let cases: [(&str, &str, &[u8], &str); 3] = [
        (
            "403 Forbidden",
            "application/json",
            br#"{"error":{"code":"S2SUnauthorized","message":"x"}}"#,
            "Graph endpoint API return error code 'S2SUnauthorized' (add --debug option for detailed message)",
        ),
        (
            "502 Bad Gateway",
            "text/html",
            b"<html><body>Bad gateway</body></html>",
            "Graph endpoint answered 502 Bad Gateway (text/html): <html><body>Bad gateway</body></html>",
        ),
        ("404 Not Found", "application/json", b"{}", "Graph endpoint answered 404 Not Found (application/json): {}"),
    ];
    for (status, kind, body, expected) in cases {
        let body = body.to_vec();
        let mock = Mock::start(move |seen, mock| {
            if seen.method == "POST" {
                return normal(seen, mock);
            }
            reply(status, &[("Content-Type", kind)], &body)
        });
        let dir = temp_dir();
        let err = users(&mut api(&mock, &dir, &[]).expect("api")).expect_err("error");
        assert_eq!(err.message(), expected);
    }
}

#[test]
fn login_errors() {
    let mock = Mock::start(|_, _| {
        reply("401 Unauthorized", &[], br#"{"error":"invalid_client","error_description":"AADSTS7000215"}"#)
    });
    let err = users(&mut api(&mock, &temp_dir(), &[]).expect("api")).expect_err("error");
    assert_eq!(
        err.message(),
        "Login endpoint API return error code 'invalid_client' (add --debug option for detailed message): \
         AADSTS7000215"
    );

    let port = closed_port();
    let dead = format!("http://127.0.0.1:{port}");
    let mut refused = api(&mock, &temp_dir(), &[("login-endpoint", dead.as_str())]).expect("api");
    let err = users(&mut refused).expect_err("error");
    assert_eq!(
        err.message(),
        format!("Login endpoint unreachable: Can't connect to 127.0.0.1:{port} (Connection refused)")
    );
}

/// A health page: one service `id` with an open incident, and `next` as its
/// `@odata.nextLink` when given.
fn health_page(id: &str, next: Option<String>) -> Vec<u8> {
    let mut page = serde_json::json!({"value": [{"id": id, "service": format!("{id} Online"),
        "status": "investigating", "issues": [{"id": format!("{id}1"), "title": "t",
        "classification": "incident", "status": "investigating", "startDateTime": "s", "isResolved": false}]}]});
    if let Some(next) = next {
        page["@odata.nextLink"] = Value::from(next);
    }
    reply("200 OK", &[("Content-Type", "application/json")], page.to_string().as_bytes())
}

#[test]
fn health_pages_are_all_read_and_a_repeated_link_is_an_error() {
    let mock = Mock::start(|seen, mock| match seen.method.as_str() {
        "POST" => normal(seen, mock),
        _ if seen.target.ends_with("skiptoken=2") => health_page("B", None),
        _ => health_page("A", Some(format!("{}/{HEALTH_PATH}&$skiptoken=2", mock.base))),
    });
    let services = api(&mock, &temp_dir(), &[]).expect("api").service_health().expect("services");
    let ids: Vec<&str> = services.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["A", "B"]);
    assert_eq!(services[0].issues[0].id, "A1");
    assert_eq!(services[0].status, "investigating");

    let looping = Mock::start(|seen, mock| match seen.method.as_str() {
        "POST" => normal(seen, mock),
        _ => health_page("A", Some(format!("{}/{HEALTH_PATH}", mock.base))),
    });
    let err = api(&looping, &temp_dir(), &[]).expect("api").service_health().expect_err("loop");
    assert!(err.message().contains("a second time"), "{err}");
    assert_eq!(looping.seen().len(), 2, "one token request, one page: {:?}", looping.seen());
}

/// Pages that never end, each with a new link, stop at the page limit: an error
/// naming it, after exactly that many pages.
#[test]
fn endless_distinct_pages_stop_at_the_page_limit() {
    let pages = Arc::new(AtomicUsize::new(0));
    let served = Arc::clone(&pages);
    let mock = Mock::start(move |seen, mock| match seen.method.as_str() {
        "POST" => normal(seen, mock),
        _ => {
            let n = served.fetch_add(1, Ordering::SeqCst);
            health_page("A", Some(format!("{}/{HEALTH_PATH}&$skiptoken={n}", mock.base)))
        }
    });
    let err = api(&mock, &temp_dir(), &[]).expect("api").service_health().expect_err("endless");
    assert_eq!(
        err.message(),
        format!("Graph endpoint gave more than {MAX_PAGES} pages of {HEALTH_PATH} (the page limit): the pages would not end")
    );
    assert_eq!(pages.load(Ordering::SeqCst), MAX_PAGES);
}

#[test]
fn health_errors_read_as_perl() {
    let mock = Mock::start(|seen, mock| match seen.method.as_str() {
        "POST" => normal(seen, mock),
        _ => reply("403 Forbidden", &[], br#"{"error":{"code":"Forbidden","message":"Missing role"}}"#),
    });
    let err = api(&mock, &temp_dir(), &[]).expect("api").service_health().expect_err("403");
    assert_eq!(
        err.message(),
        "Graph endpoint API return error code 'Forbidden' (add --debug option for detailed message)"
    );

    let mock = Mock::start(|seen, mock| match seen.method.as_str() {
        "POST" => normal(seen, mock),
        _ => reply("200 OK", &[], br#"{"value":[{"id":"A","issues":{}}]}"#),
    });
    let err = api(&mock, &temp_dir(), &[]).expect("api").service_health().expect_err("bad issues");
    assert_eq!(err.message(), "Graph endpoint gave 'issues' that are not a list: {}");
}

#[test]
fn throttling_is_retried_within_the_budget() {
    let once = Mock::start(|seen, mock| {
        if !download(seen) && seen.method == "GET" && mock.reports.fetch_add(1, Ordering::SeqCst) == 0 {
            return reply("429 Too Many Requests", &[("Retry-After", "1")], br#"{"error":{"code":"TooManyRequests"}}"#);
        }
        normal(seen, mock)
    });
    assert_eq!(users(&mut api(&once, &temp_dir(), &[]).expect("api")).expect("rows").len(), 2);

    let always = Mock::start(|seen, mock| {
        if !download(seen) && seen.method == "GET" {
            return reply("429 Too Many Requests", &[("Retry-After", "1")], br#"{"error":{"code":"TooManyRequests"}}"#);
        }
        normal(seen, mock)
    });
    let start = Instant::now();
    let err = users(&mut api(&always, &temp_dir(), &[("timeout", "3")]).expect("api")).expect_err("throttled");
    assert!(start.elapsed() < Duration::from_secs(3), "{:?}", start.elapsed());
    assert!(
        err.message().starts_with("Graph endpoint is throttling (429 Too Many Requests, error code 'TooManyRequests')"),
        "{err}"
    );
    assert!(err.message().contains("--timeout"), "{err}");
}

#[test]
fn expired_token_gets_one_replacement() {
    let mock = Mock::start(|seen, mock| {
        if !download(seen) && seen.method == "GET" && seen.header("authorization") == Some("Bearer tok-1") {
            return reply(
                "401 Unauthorized",
                &[],
                br#"{"error":{"code":"InvalidAuthenticationToken","message":"expired"}}"#,
            );
        }
        normal(seen, mock)
    });
    let dir = temp_dir();
    assert_eq!(users(&mut api(&mock, &dir, &[]).expect("api")).expect("rows").len(), 2);
    assert_eq!(mock.tokens.load(Ordering::SeqCst), 2);

    let always = Mock::start(|seen, mock| {
        if !download(seen) && seen.method == "GET" {
            return reply("401 Unauthorized", &[], br#"{"error":{"code":"InvalidAuthenticationToken"}}"#);
        }
        normal(seen, mock)
    });
    let err = users(&mut api(&always, &temp_dir(), &[]).expect("api")).expect_err("401");
    assert!(err.message().contains("'InvalidAuthenticationToken'"), "{err}");
    assert_eq!(always.tokens.load(Ordering::SeqCst), 2, "one replacement only");
}

#[test]
fn broken_downloads_are_errors() {
    let bodies: [(&[u8], &str); 3] = [
        (b"<html><body>Service unavailable</body></html>", "HTML page"),
        (b"\xEF\xBB\xBFUser Principal Name,Report Period\r\nu,7\r\n", "has no column 'Send Count'"),
        (b"Report Refresh Date,User Principal Name,Last Activity Date,Send Count,Receive Count,Read Count,Report Period\r\n2026-11-22,a,,1,2,3,7\r\n2026-11-22,\"unterminated", "truncated"),
    ];
    for (body, expected) in bodies {
        let body = body.to_vec();
        let mock = Mock::start(move |seen, mock| {
            if download(seen) {
                return reply("200 OK", &[], &body);
            }
            normal(seen, mock)
        });
        let err = users(&mut api(&mock, &temp_dir(), &[]).expect("api")).expect_err("broken");
        assert!(err.message().contains(expected), "{err}");
    }
}

#[test]
fn stalled_download_times_out_on_budget() {
    let mock = Mock::start(|seen, mock| {
        if download(seen) {
            std::thread::sleep(Duration::from_secs(6));
        }
        normal(seen, mock)
    });
    let start = Instant::now();
    let err = users(&mut api(&mock, &temp_dir(), &[("timeout", "2")]).expect("api")).expect_err("stall");
    assert!(start.elapsed() < Duration::from_millis(3500), "{:?}", start.elapsed());
    assert!(err.message().starts_with("Report download request failed: timed out after"), "{err}");
}

#[test]
fn secrets_stay_out_of_debug() {
    let mock = Mock::start(normal);
    let dir = temp_dir();
    let pairs = [
        ("tenant", "t1"),
        ("client-id", "c1"),
        ("client-secret", "s3cr3t+/=&?"),
        ("login-endpoint", mock.base.as_str()),
        ("graph-endpoint", mock.base.as_str()),
        ("statefile-dir", dir.to_str().expect("utf8")),
        ("debug", "1"),
    ];
    let debug = DebugLog::new(Logging::On, Secrets::Masked);
    let mut api = graph_with(&values(&pairs), Instant::now() + Duration::from_secs(60), &debug, &Notices::default())
        .expect("api");
    users(&mut api).expect("rows");
    let dump = debug.take().join("\n");
    assert!(dump.contains("======> request send"), "{dump}");
    for secret in ["s3cr3t", "s3cr3t%2B", "tok-1"] {
        assert!(!dump.contains(secret), "{secret} leaked:\n{dump}");
    }
}

/// A token cache that cannot be written is a notice of the run, the check going on.
#[test]
fn unwritable_cache_is_a_notice() {
    let mock = Mock::start(normal);
    let dir = temp_dir();
    let cache = dir.join("office365_graphapi_83f1535f99ab0bf4e9d02dfd85d3e3f7_a9f7e97965d6cf799a529102a973b8b9");
    std::fs::create_dir(&cache).expect("a directory where the cache goes");
    let pairs = [
        ("tenant", "t1"),
        ("client-id", "c1"),
        ("client-secret", "s3cr3t+/=&?"),
        ("login-endpoint", mock.base.as_str()),
        ("graph-endpoint", mock.base.as_str()),
        ("statefile-dir", dir.to_str().expect("utf8")),
    ];
    let notices = Notices::default();
    let mut api = graph_with(&values(&pairs), Instant::now() + Duration::from_secs(60), &DebugLog::default(), &notices)
        .expect("api");
    assert_eq!(users(&mut api).expect("rows").len(), 2);
    let notices = notices.take();
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert!(notices[0].starts_with("Cannot close or rename statefile"), "{notices:?}");
}

#[test]
fn concurrent_cold_runs_share_one_token() {
    let mock = Mock::start(|seen, mock| {
        if seen.method == "POST" {
            std::thread::sleep(Duration::from_millis(200));
        }
        normal(seen, mock)
    });
    let dir = temp_dir();
    let barrier = Arc::new(std::sync::Barrier::new(16));
    let runs: Vec<_> = (0..16)
        .map(|_| {
            let (mock, dir, barrier) = (mock.clone(), dir.clone(), Arc::clone(&barrier));
            std::thread::spawn(move || {
                // Without the report cache: every run asks Graph, so needs the token.
                let mut api = api(&mock, &dir, &[("report-cache-ttl", "0")]).expect("api");
                barrier.wait();
                users(&mut api).map(|rows| rows.len())
            })
        })
        .collect();
    for run in runs {
        assert_eq!(run.join().expect("thread").expect("rows"), 2);
    }
    assert_eq!(mock.tokens.load(Ordering::SeqCst), 1);
}

#[test]
fn domains_and_their_records_are_read_and_a_refusal_names_the_permission() {
    let mock = Mock::start(|seen, mock| {
        match (seen.method.as_str(), seen.target.as_str()) {
        ("POST", _) => normal(seen, mock),
        (_, "/v1.0/domains") => reply(
            "200 OK",
            &[],
            br#"{"value":[{"id":"contoso.com","isVerified":true,"isInitial":false,
                "supportedServices":["Email","OfficeCommunicationsOnline"]},{"id":"x.onmicrosoft.com","isInitial":true}]}"#,
        ),
        (_, "/v1.0/domains/contoso.com/serviceConfigurationRecords") => reply(
            "200 OK",
            &[],
            br##"{"value":[{"@odata.type":"#microsoft.graph.domainDnsMxRecord","recordType":"Mx",
                "supportedService":"Email","label":"contoso.com","mailExchange":"contoso-com.mail.protection.outlook.com",
                "preference":0},{"recordType":"Txt","supportedService":"Email","label":"contoso.com",
                "text":"v=spf1 include:spf.protection.outlook.com -all"}]}"##,
        ),
        _ => reply("403 Forbidden", &[], br#"{"error":{"code":"Authorization_RequestDenied"}}"#),
    }
    });
    let mut api = api(&mock, &temp_dir(), &[]).expect("api");
    let domains = api.domains().expect("domains");
    assert_eq!(
        domains,
        [
            TenantDomain {
                id: "contoso.com".into(),
                is_verified: true,
                is_initial: false,
                supported_services: vec!["Email".into(), "OfficeCommunicationsOnline".into()],
            },
            TenantDomain { id: "x.onmicrosoft.com".into(), is_initial: true, ..Default::default() },
        ]
    );
    let records = api.service_records("contoso.com").expect("records");
    assert_eq!(records[0].record_type, "Mx");
    assert_eq!(records[0].mail_exchange, "contoso-com.mail.protection.outlook.com");
    assert_eq!(records[1].text, "v=spf1 include:spf.protection.outlook.com -all");
    assert_eq!(records[1].mail_exchange, "");
    let error = api.service_records("fabrikam.com").expect_err("403");
    assert!(
        error.message().starts_with(
            "Reading the tenant's domains needs the application permission Domain.Read.All, admin consented: "
        ),
        "{error}"
    );
}

/// A window of message trace in November 2026, with `max_pages`.
fn trace_query(max_pages: u32) -> TraceQuery<'static> {
    // 2026-11-30T06:55:00Z to 07:54:59Z.
    TraceQuery { start: 1_796_021_700, end: 1_796_025_299, sender: None, recipient: None, status: None, max_pages }
}

/// A message trace page of one message in `status`, with `next` as its
/// `@odata.nextLink` when given.
fn trace_page(status: &str, next: Option<String>) -> Vec<u8> {
    let mut page = serde_json::json!({"value": [{"id": "1", "senderAddress": "a@contoso.com",
        "recipientAddress": "b@fabrikam.com", "receivedDateTime": "2026-11-30T07:00:00Z", "status": status}]});
    if let Some(next) = next {
        page["@odata.nextLink"] = Value::from(next);
    }
    reply("200 OK", &[("Content-Type", "application/json")], page.to_string().as_bytes())
}

/// Every message of `query`, and whether the listing was complete.
fn traces(api: &mut GraphApi, query: &TraceQuery<'_>) -> Result<(Vec<TracedMessage>, TraceListing)> {
    let mut messages = Vec::new();
    let listing = api.message_traces(query, &mut |m| {
        messages.push(m.clone());
        Ok(())
    })?;
    Ok((messages, listing))
}

#[test]
fn trace_filter_quotes_literals_and_bounds_the_window() {
    let query = TraceQuery {
        sender: Some("o'brien+news@contoso.com"),
        recipient: Some("b@fabrikam.com"),
        status: Some(TraceStatus::FilteredAsSpam),
        ..trace_query(1)
    };
    assert_eq!(
        trace_filter(&query),
        "receivedDateTime ge 2026-11-30T06:55:00Z and receivedDateTime le 2026-11-30T07:54:59Z and \
         senderAddress eq 'o''brien+news@contoso.com' and recipientAddress eq 'b@fabrikam.com' and \
         status eq 'filteredAsSpam'"
    );
    assert_eq!(
        trace_filter(&trace_query(1)),
        "receivedDateTime ge 2026-11-30T06:55:00Z and receivedDateTime le 2026-11-30T07:54:59Z"
    );
}

#[test]
fn message_traces_follow_every_next_link_up_to_the_page_cap() {
    let mock = Mock::start(|seen, mock| match seen.method.as_str() {
        "POST" => normal(seen, mock),
        _ if seen.target.ends_with("$skiptoken=2") => trace_page("Failed", None),
        _ => trace_page("delivered", Some(format!("{}/{TRACE_PATH}?$filter=x&$top=5000&$skiptoken=2", mock.base))),
    });
    let query = TraceQuery { sender: Some("o'brien+news@contoso.com"), ..trace_query(2) };
    let (messages, listing) = traces(&mut api(&mock, &temp_dir(), &[]).expect("api"), &query).expect("listed");
    assert_eq!(listing, TraceListing::Complete);
    let statuses: Vec<TraceStatus> = messages.iter().map(|m| m.status).collect();
    assert_eq!(statuses, [TraceStatus::Delivered, TraceStatus::Failed]);
    assert_eq!(messages[0].sender_address, "a@contoso.com");
    assert_eq!(messages[0].recipient_address, "b@fabrikam.com");
    let paths: Vec<String> = mock.seen().into_iter().filter(|s| s.method == "GET").map(|s| s.target).collect();
    assert_eq!(
        paths,
        [
            "/v1.0/admin/exchange/tracing/messageTraces?$filter=receivedDateTime%20ge%202026-11-30T06%3A55%3A00Z\
             %20and%20receivedDateTime%20le%202026-11-30T07%3A54%3A59Z%20and%20senderAddress%20eq%20\
             %27o%27%27brien%2Bnews%40contoso.com%27&$top=5000",
            "/v1.0/admin/exchange/tracing/messageTraces?$filter=x&$top=5000&$skiptoken=2",
        ]
    );

    let (messages, listing) = traces(&mut api(&mock, &temp_dir(), &[]).expect("api"), &trace_query(1)).expect("cut");
    assert_eq!((messages.len(), listing), (1, TraceListing::Incomplete), "one page read, more left");
}

#[test]
fn message_trace_statuses_are_read_whatever_their_case_or_novelty() {
    for (status, expected) in [
        (Value::from("filteredAsSpam"), TraceStatus::FilteredAsSpam),
        (Value::from("Quarantined"), TraceStatus::Quarantined),
        (Value::from("recalled"), TraceStatus::Recalled),
        (Value::from("bouncedTwice"), TraceStatus::Other),
        (Value::Null, TraceStatus::Other),
    ] {
        let item = serde_json::json!({"senderAddress": "a", "recipientAddress": "b", "status": status});
        assert_eq!(traced_message(&item).expect("message").status, expected, "{item}");
    }
    let error = traced_message(&Value::from("x")).expect_err("not an object");
    assert_eq!(error.message(), "Graph endpoint gave a message trace that is not an object: \"x\"");
}

#[test]
fn message_trace_refusals_say_what_to_do() {
    let cases: [(&str, &[u8], &str); 3] = [
        (
            "401 Unauthorized",
            br#"{"error":{"code":"Unauthorized","message":"Service principal-less Authentication failed"}}"#,
            "Message trace is not provisioned in this tenant: create the service principal of Microsoft's \
             application 8bd644d1-64a1-4d4b-ae52-2e0cbf64e373 (New-MgServicePrincipal -AppId \
             8bd644d1-64a1-4d4b-ae52-2e0cbf64e373) and allow a few hours: Graph endpoint API return error code \
             'Unauthorized' (add --debug option for detailed message)",
        ),
        (
            "403 Forbidden",
            br#"{"error":{"code":"Forbidden","message":"Missing role"}}"#,
            "Message trace needs the application permission ExchangeMessageTrace.Read.All, admin consented: \
             Graph endpoint API return error code 'Forbidden' (add --debug option for detailed message)",
        ),
        (
            "400 Bad Request",
            br#"{"error":{"code":"BadRequest","message":"The start date must not be later than the end date."}}"#,
            "Graph endpoint API return error code 'BadRequest' (add --debug option for detailed message)",
        ),
    ];
    for (status, body, expected) in cases {
        let mock = Mock::start(move |seen, mock| match seen.method.as_str() {
            "POST" => normal(seen, mock),
            _ => reply(status, &[("Content-Type", "application/json")], body),
        });
        let err = traces(&mut api(&mock, &temp_dir(), &[]).expect("api"), &trace_query(1)).expect_err(status);
        assert_eq!(err.message(), expected);
    }

    let throttled = Mock::start(|seen, mock| match seen.method.as_str() {
        "POST" => normal(seen, mock),
        _ => reply("429 Too Many Requests", &[("Retry-After", "120")], br#"{"error":{"code":"TooManyRequests"}}"#),
    });
    let err = traces(&mut api(&throttled, &temp_dir(), &[]).expect("api"), &trace_query(1)).expect_err("429");
    assert!(
        err.message().starts_with(
            "Message trace accepts 100 requests per 5 minutes per tenant, all applications together: check less \
             often or with fewer services: Graph endpoint is throttling (429 Too Many Requests"
        ),
        "{err}"
    );
}
