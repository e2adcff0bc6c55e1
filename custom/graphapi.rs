//! The `graphapi` custom mode: Microsoft Graph with an Entra ID application
//! (client-credentials flow), as Perl's `cloud::microsoft::office365::custom::graphapi`.
//!
//! Reports are requested as Perl does (same URLs, headers and token form) and read
//! as they download. Where Perl misbehaves this does better, deliberately:
//!
//! * the bearer token goes only to the graph endpoint's scheme/host/port, never to
//!   the pre-authenticated download host a report call redirects to;
//! * 429 and 503 are retried after `Retry-After` (or 1 s, 2 s, 4 s) while the
//!   `--timeout` budget allows, at most [`MAX_ATTEMPTS`] requests;
//! * a 401 `InvalidAuthenticationToken` gets one fresh token and one retry;
//! * an answer that is not what was expected (HTML, truncated CSV, missing column,
//!   transport failure) is an error saying what happened, never partial data.

use std::time::{Duration, Instant};

use centreon_plugin::debug::DebugLog;
use centreon_plugin::error::{Error, Result};
use centreon_plugin::http::{self, same_origin, HttpClient, Request, Response, Url};
use centreon_plugin::options::{OptionSection, OptionSpec, Values};
use centreon_plugin::registry::{CustomModeSpec, Env};
use centreon_plugin::statefile::{self, Statefile};
use serde_json::Value;

use crate::custom::report::{self, Cells};
use crate::custom::token::{self, Credentials, TokenProvider};
use crate::custom::{
    capability, Api, BoxedApi, EmailActivityRow, EmailActivityVisit, MailboxUsageRow, MailboxUsageVisit, ReportQuery,
};

/// Default of `--login-endpoint`.
const LOGIN_ENDPOINT: &str = "https://login.microsoftonline.com";
/// Default of `--graph-endpoint`.
const GRAPH_ENDPOINT: &str = "https://graph.microsoft.com";
/// Default of `--timeout`, in seconds.
const TIMEOUT: &str = "10";

/// Requests made for one report call at most when throttled (first one included).
pub const MAX_ATTEMPTS: u32 = 4;
/// Redirects followed at most (LWP's limit).
const MAX_REDIRECTS: u32 = 7;
/// The largest error answer read for a message.
const ERROR_LIMIT: u64 = 64 * 1024;
/// Time kept free after a throttling wait for the retry itself.
const RETRY_ROOM: Duration = Duration::from_secs(1);

/// The columns read from the email activity report, in [`EmailActivityRow`] order.
const EMAIL_COLUMNS: &[&str] = &[
    "Report Refresh Date",
    "User Principal Name",
    "Last Activity Date",
    "Send Count",
    "Receive Count",
    "Read Count",
    "Report Period",
];

/// The columns read from the mailbox usage report, in [`MailboxUsageRow`] order.
const MAILBOX_COLUMNS: &[&str] = &[
    "Report Refresh Date",
    "User Principal Name",
    "Last Activity Date",
    "Item Count",
    "Storage Used (Byte)",
    "Issue Warning Quota (Byte)",
    "Prohibit Send Quota (Byte)",
    "Prohibit Send/Receive Quota (Byte)",
];

inventory::submit! {
    CustomModeSpec {
        name: "graphapi",
        capabilities: &[capability::EMAIL_ACTIVITY, capability::MAILBOX_USAGE, capability::SERVICE_HEALTH],
        sections,
        build,
    }
}

/// The options of the custom mode, then the HTTP and retention sections it uses.
pub fn sections() -> Vec<OptionSection> {
    let rest = OptionSection::new(
        "REST API OPTIONS",
        vec![
            OptionSpec::value("tenant", "Set your tenant ID (or a domain name of the tenant)."),
            OptionSpec::value("client-id", "Set the client ID of your Entra ID application."),
            OptionSpec::value("client-secret", "Set the client secret of your Entra ID application."),
            OptionSpec::value(
                "login-endpoint",
                "Set the login endpoint URL (default: 'https://login.microsoftonline.com').",
            )
            .default(LOGIN_ENDPOINT),
            OptionSpec::value(
                "graph-endpoint",
                "Set the graph endpoint URL (default: 'https://graph.microsoft.com'). Only this \
                 host receives the access token.",
            )
            .default(GRAPH_ENDPOINT),
            OptionSpec::value(
                "timeout",
                "Set the time limit in seconds of the whole check: connections, downloads, \
                 retries and redirects (default: 10).",
            )
            .default(TIMEOUT),
        ],
    )
    .intro("Microsoft Office 365 Graph API")
    .intro(
        "To connect to the Office 365 Graph API, you must register an application with the \
         'Reports.Read.All' application permission.",
    )
    .intro(
        "Follow the 'How-to guide' in https://learn.microsoft.com/en-us/graph/auth-v2-service \
         (OAuth 2.0 client credentials grant flow).",
    );
    let mut all = vec![rest];
    all.extend(http::sections());
    all.push(statefile::section());
    all
}

/// Checks the options in Perl's order and builds the client (no request is made).
pub fn build(env: &Env<'_>) -> Result<Box<dyn std::any::Any>> {
    let api = GraphApi::from_values(env.values, env.debug, env.deadline)?;
    Ok(Box::new(Box::new(api) as BoxedApi))
}

/// The `graphapi` client.
pub struct GraphApi {
    graph: Url,
    graph_base: String,
    http: HttpClient,
    tokens: TokenProvider,
    debug: DebugLog,
    deadline: Instant,
}

impl GraphApi {
    /// Checks the options (mandatory ones first, with Perl's messages) and prepares
    /// the client; `deadline` is the run's, narrowed to `--timeout` from now.
    pub fn from_values(values: &Values, debug: &DebugLog, deadline: Instant) -> Result<Self> {
        let need = |name: &str| {
            values
                .non_empty(name)
                .map(str::to_string)
                .ok_or_else(|| Error::new(format!("Need to specify --{name} option.")))
        };
        // Field order is evaluation order: the errors come in Perl's order.
        let credentials = Credentials {
            tenant: need("tenant")?,
            client_id: need("client-id")?,
            client_secret: need("client-secret")?,
        };
        let own_debug = DebugLog::new(values.flag("debug"), values.flag("show-password"));
        for log in [debug, &own_debug] {
            log.secret(&credentials.client_secret);
            log.secret(&token::percent_encode(&credentials.client_secret));
        }
        let timeout = parse_timeout(values.value("timeout").unwrap_or(TIMEOUT))?;
        let deadline = Instant::now().checked_add(timeout).map_or(deadline, |limit| deadline.min(limit));
        let login_base = values.non_empty("login-endpoint").unwrap_or(LOGIN_ENDPOINT).to_string();
        let graph_base = values.non_empty("graph-endpoint").unwrap_or(GRAPH_ENDPOINT).to_string();
        let token_url =
            endpoint_url("login-endpoint", &format!("{login_base}/{}/oauth2/v2.0/token", credentials.tenant))?;
        let graph = endpoint_url("graph-endpoint", &format!("{graph_base}/"))?;
        statefile::check_options(values, &own_debug)?;
        let http =
            HttpClient::builder().timeout(timeout).deadline(deadline).from_values(values, &own_debug)?.build()?;
        let cache = Statefile::from_values(values, &token::cache_name("graphapi", &credentials));
        let scope = format!("{graph_base}/.default");
        Ok(GraphApi {
            tokens: TokenProvider::new(&credentials, &scope, token_url, cache),
            graph,
            graph_base,
            http,
            debug: own_debug,
            deadline,
        })
    }

    /// `<graph endpoint>/<path>`, the path inserted verbatim as Perl does (reports
    /// keep their literal `(period='D7')`).
    pub fn graph_url(&self, path: &str) -> Result<Url> {
        endpoint_url("graph-endpoint", &format!("{}/{path}", self.graph_base))
    }

    /// GETs `url` until it answers 200 (redirects followed without the token,
    /// throttling retried, an expired token replaced once) and returns the answer
    /// with its body still to read; any other answer is the error it describes. For
    /// reports and JSON calls (service health) alike.
    pub fn get(&mut self, url: Url) -> Result<Response> {
        let mut token = self.tokens.token(&self.http, &self.debug, self.deadline)?;
        let mut replaced = false;
        let mut attempts = 0;
        let mut backoff = Duration::from_secs(1);
        loop {
            attempts += 1;
            let mut response = self.get_following(url.clone(), &token)?;
            match response.status() {
                200 => return Ok(response),
                401 if !replaced => {
                    let (code, error) = self.answer_error(&mut response);
                    if code.as_deref() != Some("InvalidAuthenticationToken") {
                        return Err(error);
                    }
                    self.debug.log("token: rejected as invalid, asking for a new one");
                    token = self.tokens.replace(&token, &self.http, &self.debug, self.deadline)?;
                    replaced = true;
                }
                429 | 503 => {
                    let wait = retry_after(&response).unwrap_or(backoff);
                    backoff = backoff.saturating_mul(2);
                    let (code, _) = self.answer_error(&mut response);
                    let fits =
                        Instant::now().checked_add(wait.saturating_add(RETRY_ROOM)).is_some_and(|t| t <= self.deadline);
                    if attempts >= MAX_ATTEMPTS || !fits {
                        return Err(throttled(&response, code.as_deref(), attempts, wait, fits));
                    }
                    self.debug.log(format!(
                        "throttled ({}): retrying in {} s",
                        response.status_line(),
                        wait.as_secs_f64()
                    ));
                    std::thread::sleep(wait);
                }
                _ => return Err(self.answer_error(&mut response).1),
            }
        }
    }

    /// GETs `url`, following redirects itself: the token is sent only to the graph
    /// endpoint's origin.
    fn get_following(&self, mut url: Url, token: &str) -> Result<Response> {
        for _ in 0..=MAX_REDIRECTS {
            let mut request = Request::get(url.clone())
                .header("Accept", "application/json")
                .header("Content-Type", "application/x-www-form-urlencoded");
            if same_origin(&url, &self.graph) {
                request = request.header("Authorization", &format!("Bearer {token}"));
            }
            let response = self
                .http
                .send(request, &self.debug)
                .map_err(|e| Error::new(format!("{} request failed: {e}", self.who(&url))))?;
            match response.redirect() {
                None => return Ok(response),
                Some(Ok(next)) => url = next,
                Some(Err(e)) => return Err(Error::new(format!("{}: {e}", self.who(&url)))),
            }
        }
        Err(Error::new(format!("{}: more than {MAX_REDIRECTS} redirects", self.who(&url))))
    }

    /// Who answered: the graph endpoint, or the host a report redirected to.
    fn who(&self, url: &Url) -> &'static str {
        if same_origin(url, &self.graph) {
            "Graph endpoint"
        } else {
            "Report download"
        }
    }

    /// The error for a non-200 answer, and Graph's `error.code` when it gave one:
    /// Perl's exact text for a JSON error, else the status line and the start of the
    /// body (Perl only said it could not decode JSON).
    fn answer_error(&self, response: &mut Response) -> (Option<String>, Error) {
        let who = self.who(response.url());
        let text = match response.text(ERROR_LIMIT) {
            Ok(text) => text,
            Err(e) => return (None, Error::new(format!("{who} answered {}: {e}", response.status_line()))),
        };
        self.debug.log(&text);
        if let Ok(Value::Object(answer)) = serde_json::from_str::<Value>(&text) {
            let code = match answer.get("error") {
                Some(Value::Object(error)) => {
                    if let Some(message) = error.get("message").and_then(Value::as_str) {
                        self.debug.log(format!("Error message : {message}"));
                    }
                    error.get("code").and_then(Value::as_str).map(str::to_string)
                }
                Some(Value::String(code)) => Some(code.clone()),
                _ => None,
            };
            if let Some(code) = code {
                let error = Error::new(format!(
                    "Graph endpoint API return error code '{code}' (add --debug option for detailed message)"
                ));
                return (Some(code), error);
            }
        }
        let kind = response.content_type().map(|t| format!(" ({t})")).unwrap_or_default();
        let body = report::snippet(text.as_bytes());
        let error = if body.is_empty() {
            Error::new(format!("{who} answered {}{kind} with an empty body", response.status_line()))
        } else {
            Error::new(format!("{who} answered {}{kind}: {body}", response.status_line()))
        };
        (None, error)
    }
}

impl Api for GraphApi {
    fn email_activity(&mut self, query: ReportQuery<'_>, visit: EmailActivityVisit<'_>) -> Result<()> {
        let report = format!("getEmailActivityUserDetail({})", parameter(query));
        let mut response = self.get(self.graph_url(&format!("v1.0/reports/{report}"))?)?;
        report::read(&report, response.body(), EMAIL_COLUMNS, &mut |cells: &Cells<'_>| {
            visit(&EmailActivityRow {
                report_refresh_date: cells.text(0),
                user_principal_name: cells.text(1),
                last_activity_date: cells.text(2),
                send_count: cells.number(3)?,
                receive_count: cells.number(4)?,
                read_count: cells.number(5)?,
                report_period: cells.text(6),
            })
        })
    }

    fn mailbox_usage(&mut self, query: ReportQuery<'_>, visit: MailboxUsageVisit<'_>) -> Result<()> {
        let report = format!("getMailboxUsageDetail({})", parameter(query));
        let mut response = self.get(self.graph_url(&format!("v1.0/reports/{report}"))?)?;
        report::read(&report, response.body(), MAILBOX_COLUMNS, &mut |cells: &Cells<'_>| {
            visit(&MailboxUsageRow {
                report_refresh_date: cells.text(0),
                user_principal_name: cells.text(1),
                last_activity_date: cells.text(2),
                item_count: cells.number(3)?,
                storage_used: cells.number(4)?,
                issue_warning_quota: cells.number(5)?,
                prohibit_send_quota: cells.number(6)?,
                prohibit_send_receive_quota: cells.number(7)?,
            })
        })
    }

    fn take_debug(&mut self) -> Vec<String> {
        self.debug.take()
    }

    fn take_warnings(&mut self) -> Vec<String> {
        self.tokens.take_warnings()
    }
}

/// The report parameter, inserted verbatim between the parentheses as Perl does.
fn parameter(query: ReportQuery<'_>) -> String {
    match query {
        ReportQuery::Period(period) => format!("period='{period}'"),
        ReportQuery::Date(date) => format!("date={date}"),
    }
}

/// `--timeout`: the first run of digits, in seconds, at least 1.
fn parse_timeout(raw: &str) -> Result<Duration> {
    let digits: String = raw.chars().skip_while(|c| !c.is_ascii_digit()).take_while(char::is_ascii_digit).collect();
    match digits.parse::<u64>() {
        Ok(secs) if secs > 0 => Ok(Duration::from_secs(secs)),
        _ => Err(Error::new(format!("Invalid --timeout value '{raw}': a number of seconds (1 or more) is expected"))),
    }
}

/// Parses an endpoint-derived URL, naming the option on failure.
fn endpoint_url(option: &str, text: &str) -> Result<Url> {
    let url = Url::parse(text).map_err(|e| Error::new(format!("Invalid --{option} URL '{text}': {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::new(format!("Invalid --{option} URL '{text}': http or https expected")));
    }
    Ok(url)
}

/// `Retry-After` in seconds (the form Graph uses); an HTTP date is ignored.
fn retry_after(response: &Response) -> Option<Duration> {
    response.header("retry-after")?.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// The error once throttling outlasts the retries or the time budget.
fn throttled(response: &Response, code: Option<&str>, attempts: u32, wait: Duration, fits: bool) -> Error {
    let code = code.map(|c| format!(", error code '{c}'")).unwrap_or_default();
    let why = if fits {
        format!("still refused after {attempts} attempts")
    } else {
        format!(
            "still refused after {attempts} attempt{}, and waiting {} s more would exceed --timeout",
            if attempts == 1 { "" } else { "s" },
            wait.as_secs_f64()
        )
    };
    Error::new(format!("Graph endpoint is throttling ({}{code}): {why}", response.status_line()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::path::PathBuf;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};

    /// One request as the mock saw it.
    #[derive(Debug, Clone)]
    struct Seen {
        method: String,
        path: String,
        authorization: Option<String>,
        body: String,
        download: bool,
    }

    type Handler = dyn Fn(&Seen, &Mock) -> Vec<u8> + Send + Sync;

    /// A loopback stand-in for the login, Graph and download endpoints (the download
    /// on a second port, as Microsoft redirects to another host).
    #[derive(Clone)]
    struct Mock {
        base: String,
        download_base: String,
        seen: Arc<Mutex<Vec<Seen>>>,
        tokens: Arc<AtomicUsize>,
        reports: Arc<AtomicUsize>,
    }

    impl Mock {
        fn start(handler: impl Fn(&Seen, &Mock) -> Vec<u8> + Send + Sync + 'static) -> Mock {
            let main = TcpListener::bind("127.0.0.1:0").expect("bind");
            let download = TcpListener::bind("127.0.0.1:0").expect("bind");
            let mock = Mock {
                base: format!("http://{}", main.local_addr().expect("addr")),
                download_base: format!("http://{}", download.local_addr().expect("addr")),
                seen: Arc::default(),
                tokens: Arc::default(),
                reports: Arc::default(),
            };
            let handler: Arc<Handler> = Arc::new(handler);
            for (listener, is_download) in [(main, false), (download, true)] {
                let (mock, handler) = (mock.clone(), Arc::clone(&handler));
                std::thread::spawn(move || {
                    for stream in listener.incoming().flatten() {
                        let (mock, handler) = (mock.clone(), Arc::clone(&handler));
                        std::thread::spawn(move || serve(stream, is_download, &mock, &*handler));
                    }
                });
            }
            mock
        }

        fn seen(&self) -> Vec<Seen> {
            self.seen.lock().expect("lock").clone()
        }
    }

    fn serve(stream: TcpStream, download: bool, mock: &Mock, handler: &Handler) {
        let mut reader = BufReader::new(&stream);
        let mut first = String::new();
        if reader.read_line(&mut first).is_err() {
            return;
        }
        let mut parts = first.split_whitespace();
        let method = parts.next().unwrap_or("").to_string();
        let path = parts.next().unwrap_or("").to_string();
        let (mut length, mut authorization) = (0, None);
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                match name.to_ascii_lowercase().as_str() {
                    "content-length" => length = value.trim().parse().unwrap_or(0),
                    "authorization" => authorization = Some(value.trim().to_string()),
                    _ => {}
                }
            }
        }
        let mut body = vec![0; length];
        let _ = reader.read_exact(&mut body);
        let seen = Seen { method, path, authorization, body: String::from_utf8_lossy(&body).into_owned(), download };
        mock.seen.lock().expect("lock").push(seen.clone());
        let answer = handler(&seen, mock);
        let mut stream = stream;
        let _ = stream.write_all(&answer);
    }

    fn reply(status: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
        let mut out = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n", body.len());
        for (name, value) in headers {
            out.push_str(&format!("{name}: {value}\r\n"));
        }
        out.push_str("\r\n");
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(body);
        bytes
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
        if seen.download {
            if seen.authorization.is_some() {
                return reply(
                    "400 Bad Request",
                    &[("Content-Type", "text/plain")],
                    b"Authorization header not expected",
                );
            }
            return reply("200 OK", &[("Content-Type", "application/octet-stream")], CSV);
        }
        mock.reports.fetch_add(1, Ordering::SeqCst);
        reply("302 Found", &[("Location", &format!("{}/download/email.csv", mock.download_base))], b"")
    }

    fn temp_dir() -> PathBuf {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "graphapi-test-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&dir).expect("dir");
        dir
    }

    fn values(pairs: &[(&str, &str)]) -> Values {
        let mut specs: Vec<OptionSpec> = sections().into_iter().flat_map(|s| s.options).collect();
        specs.push(OptionSpec::flag("debug", ""));
        specs.push(OptionSpec::flag("show-password", ""));
        let mut values = Values::default();
        values.declare(&specs);
        for (name, value) in pairs {
            let spec = specs.iter().find(|s| s.name == *name).expect("declared option");
            values.set(spec, (*value).to_string());
        }
        values
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
        GraphApi::from_values(&values(&pairs), &DebugLog::default(), Instant::now() + Duration::from_secs(60))
    }

    fn users(api: &mut GraphApi) -> Result<Vec<(String, Option<u64>)>> {
        let mut out = Vec::new();
        api.email_activity(ReportQuery::Period("D7"), &mut |row| {
            out.push((row.user_principal_name.to_string(), row.send_count));
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn mandatory_options_in_perl_order() {
        let cases: [(&[(&str, &str)], &str); 4] = [
            (&[("client-id", "c1"), ("client-secret", "x")], "Need to specify --tenant option."),
            (&[("tenant", "t1"), ("client-secret", "x")], "Need to specify --client-id option."),
            (
                &[("tenant", "t1"), ("client-id", "c1"), ("client-secret", "")],
                "Need to specify --client-secret option.",
            ),
            (
                &[("tenant", "t1"), ("client-id", "c1"), ("client-secret", "x"), ("timeout", "abc")],
                "Invalid --timeout value 'abc': a number of seconds (1 or more) is expected",
            ),
        ];
        for (pairs, expected) in cases {
            let err = GraphApi::from_values(&values(pairs), &DebugLog::default(), Instant::now()).err().expect("error");
            assert_eq!(err.message(), expected);
        }
    }

    #[test]
    fn timeout_takes_the_first_digits() {
        assert_eq!(parse_timeout("10").expect("10"), Duration::from_secs(10));
        assert_eq!(parse_timeout("x30s").expect("30"), Duration::from_secs(30));
        assert!(parse_timeout("0").is_err());
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
        assert_eq!(seen[0].path, "/t1/oauth2/v2.0/token");
        let port = mock.base.rsplit(':').next().expect("port");
        assert_eq!(
            seen[0].body,
            format!("grant_type=client_credentials&client_id=c1&client_secret=s3cr3t%2B%2F%3D%26%3F&scope=http%3A%2F%2F127.0.0.1%3A{port}%2F.default")
        );
        assert_eq!(seen[1].path, "/v1.0/reports/getEmailActivityUserDetail(period='D7')");
        assert_eq!(seen[1].authorization.as_deref(), Some("Bearer tok-1"));
        assert!(seen[2].download && seen[2].authorization.is_none(), "{seen:?}");

        let file = dir.join("office365_graphapi_83f1535f99ab0bf4e9d02dfd85d3e3f7_a9f7e97965d6cf799a529102a973b8b9");
        let cache: serde_json::Map<String, Value> =
            serde_json::from_slice(&std::fs::read(&file).expect("cache")).expect("json");
        assert_eq!(cache["access_token"], "tok-1");
        assert_eq!(cache["md5_secret"], token::md5_hex("s3cr3t+/=&?"));
        assert!(cache["expires_on"].is_i64() && cache["last_timestamp"].is_i64());
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&file).expect("meta").permissions().mode() & 0o777, 0o600);

        let mut second = api(&mock, &dir, &[]).expect("api");
        users(&mut second).expect("rows");
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
            (
                "404 Not Found",
                "application/json",
                b"{}",
                "Graph endpoint answered 404 Not Found (application/json): {}",
            ),
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
            "Login endpoint API return error code 'invalid_client' (add --debug option for detailed message)"
        );

        let closed = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = closed.local_addr().expect("addr").port();
        drop(closed);
        let dead = format!("http://127.0.0.1:{port}");
        let mut refused = api(&mock, &temp_dir(), &[("login-endpoint", dead.as_str())]).expect("api");
        let err = users(&mut refused).expect_err("error");
        assert_eq!(
            err.message(),
            format!("Login endpoint unreachable: Can't connect to 127.0.0.1:{port} (Connection refused)")
        );
    }

    #[test]
    fn throttling_is_retried_within_the_budget() {
        let once = Mock::start(|seen, mock| {
            if !seen.download && seen.method == "GET" && mock.reports.fetch_add(1, Ordering::SeqCst) == 0 {
                return reply(
                    "429 Too Many Requests",
                    &[("Retry-After", "1")],
                    br#"{"error":{"code":"TooManyRequests"}}"#,
                );
            }
            normal(seen, mock)
        });
        assert_eq!(users(&mut api(&once, &temp_dir(), &[]).expect("api")).expect("rows").len(), 2);

        let always = Mock::start(|seen, mock| {
            if !seen.download && seen.method == "GET" {
                return reply(
                    "429 Too Many Requests",
                    &[("Retry-After", "1")],
                    br#"{"error":{"code":"TooManyRequests"}}"#,
                );
            }
            normal(seen, mock)
        });
        let start = Instant::now();
        let err = users(&mut api(&always, &temp_dir(), &[("timeout", "3")]).expect("api")).expect_err("throttled");
        assert!(start.elapsed() < Duration::from_secs(3), "{:?}", start.elapsed());
        assert!(
            err.message()
                .starts_with("Graph endpoint is throttling (429 Too Many Requests, error code 'TooManyRequests')"),
            "{err}"
        );
        assert!(err.message().contains("--timeout"), "{err}");
    }

    #[test]
    fn expired_token_gets_one_replacement() {
        let mock = Mock::start(|seen, mock| {
            if !seen.download && seen.method == "GET" && seen.authorization.as_deref() == Some("Bearer tok-1") {
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
            if !seen.download && seen.method == "GET" {
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
            (b"\xEF\xBB\xBFUser Principal Name,Report Period\r\nu,7\r\n", "has no column 'Report Refresh Date'"),
            (b"Report Refresh Date,User Principal Name,Last Activity Date,Send Count,Receive Count,Read Count,Report Period\r\n2026-11-22,a,,1,2,3,7\r\n2026-11-22,\"unterminated", "truncated"),
        ];
        for (body, expected) in bodies {
            let body = body.to_vec();
            let mock = Mock::start(move |seen, mock| {
                if seen.download {
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
            if seen.download {
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
        let mut api =
            GraphApi::from_values(&values(&pairs), &DebugLog::default(), Instant::now() + Duration::from_secs(60))
                .expect("api");
        users(&mut api).expect("rows");
        let dump = api.take_debug().join("\n");
        assert!(dump.contains("======> request send"), "{dump}");
        for secret in ["s3cr3t", "s3cr3t%2B", "tok-1"] {
            assert!(!dump.contains(secret), "{secret} leaked:\n{dump}");
        }
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
                    let mut api = api(&mock, &dir, &[]).expect("api");
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
}
