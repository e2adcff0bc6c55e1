//! What the stand-in answers to one request: mockgraph.py's `do_POST`,
//! `do_GET` and `health`, route for route and fault for fault, and the
//! routes mockgraph.py lacks (the quota status and email app usage reports,
//! message trace).

use std::collections::{BTreeMap, VecDeque};
use std::io::{Cursor, Write};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tiny_http::{Header, Request, Response, StatusCode};

use super::csvtext::{read_rows, write_row, BOM};
use super::entra::{self, Refusal, Registered};
use super::reports::{self, ROUTES};
use super::traces::{self, Ask, Stream, TraceCall, TraceSettings};
use super::{calendar, Fault, Framing, Host, RequestRecord, Tenant};

/// The only client secret the token endpoints accept.
pub const VALID_SECRET: &str = "s3cr3t+/=&?";
/// How long the `slow` fault holds a download back, as mockgraph.py does.
const SLOW_DELAY: Duration = Duration::from_secs(30);
/// The running window of message trace's throttling.
const TRACE_WINDOW: Duration = Duration::from_secs(300);

/// What the two listeners share: the tenant's files (already altered by the
/// fault), the counters, and the stop signal that cuts `slow` and `stall` short.
pub struct Shared {
    files: BTreeMap<String, Arc<Vec<u8>>>,
    /// The tenant as given, for what is derived from it on first use.
    tenant: Tenant,
    derived: OnceLock<Derived>,
    health: Option<Vec<Value>>,
    legacy: Option<Value>,
    fault: Fault,
    framing: Framing,
    registered: Vec<Registered>,
    traces: TraceSettings,
    /// The mock's start (Unix seconds): message trace's stream ends there.
    anchor: i64,
    graph_port: u16,
    download_port: u16,
    state: Mutex<State>,
    stopping: Mutex<bool>,
    stop_signal: Condvar,
    active: Mutex<usize>,
    idle: Condvar,
}

/// Counters and the request log, under one lock.
#[derive(Default)]
pub struct State {
    /// Token endpoint calls, whatever their answer.
    pub token_requests: usize,
    /// Tokens handed out: the next one is `tok-<tokens_issued + 1>`, as mockgraph.py numbers them.
    tokens_issued: usize,
    /// Report calls that came with a token.
    pub report_requests: usize,
    /// The `scope` (or `resource`) of each token request, in order.
    pub scopes: Vec<String>,
    /// Report calls that came with a token, by report function name.
    pub report_calls: BTreeMap<String, usize>,
    /// Downloads served (status 200), by the report function name they belong to.
    pub downloads: BTreeMap<String, usize>,
    /// Message trace requests that came with a token.
    pub trace_requests: usize,
    /// When the message trace requests of the last 5 minutes were accepted.
    trace_accepted: VecDeque<Instant>,
    /// Every message trace request with a token, as answered.
    pub trace_log: Vec<TraceCall>,
    /// Whether a `-once` fault has been spent.
    fault_used: bool,
    /// Every request, in order.
    pub log: Vec<RequestRecord>,
}

/// What is made from the tenant on first use: the derived reports (already
/// altered by the fault) and the message stream.
struct Derived {
    files: BTreeMap<String, Arc<Vec<u8>>>,
    stream: Stream,
}

/// A response body that many responses share without copying it.
struct Bytes(Arc<Vec<u8>>);

impl AsRef<[u8]> for Bytes {
    fn as_ref(&self) -> &[u8] {
        self.0.as_slice()
    }
}

/// Marks one request as in flight for as long as it lives, from the moment
/// the listener takes it, so that stopping waits for its handler too.
pub struct InFlight(Arc<Shared>);

impl InFlight {
    /// What the listeners share.
    pub fn shared(&self) -> &Shared {
        &self.0
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut active = lock(&self.0.active);
        *active -= 1;
        self.0.idle.notify_all();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Shared {
    /// Prepares what the fault changes in the files once, so that a large
    /// tenant is not rewritten on every download. `registered` are the certificates
    /// (DER) of the application's certificate credentials; `ports` are the graph
    /// and download hosts'.
    pub fn new(
        tenant: &Tenant,
        fault: Fault,
        framing: Framing,
        registered: Vec<Registered>,
        traces: TraceSettings,
        ports: (u16, u16),
    ) -> Shared {
        let (graph_port, download_port) = ports;
        let mut files = BTreeMap::new();
        for (name, data) in tenant.files() {
            let data = if name.ends_with(".csv") { faulty_csv(data, fault) } else { Arc::clone(data) };
            files.insert(name.clone(), data);
        }
        let parse = |name: &str| tenant.file(name).and_then(|data| serde_json::from_slice::<Value>(data).ok());
        let health = parse("health.json").and_then(|v| v["value"].as_array().cloned());
        Shared {
            files,
            tenant: tenant.clone(),
            derived: OnceLock::new(),
            health,
            legacy: parse("health_legacy.json"),
            fault,
            framing,
            registered,
            traces,
            anchor: calendar::now(),
            graph_port,
            download_port,
            state: Mutex::new(State::default()),
            stopping: Mutex::new(false),
            stop_signal: Condvar::new(),
            active: Mutex::new(0),
            idle: Condvar::new(),
        }
    }

    /// How downloads mark the end of their body.
    pub fn framing(&self) -> Framing {
        self.framing
    }

    /// The counters and the log.
    pub fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    /// The mock's start, where message trace's stream ends (Unix seconds).
    pub fn anchor(&self) -> i64 {
        self.anchor
    }

    fn derived(&self) -> &Derived {
        self.derived.get_or_init(|| {
            let made = reports::derive(&self.tenant);
            let files = made.files.iter().map(|(name, data)| (name.clone(), faulty_csv(data, self.fault))).collect();
            Derived { files, stream: Stream::new(self.anchor, self.traces.per_minute, made.addresses) }
        })
    }

    /// A file of the download host: the tenant's own, or a derived report.
    pub fn file(&self, name: &str) -> Option<Arc<Vec<u8>>> {
        self.files.get(name).or_else(|| self.derived().files.get(name)).cloned()
    }

    /// Counts a request in flight until the returned guard drops.
    pub fn in_flight(self: &Arc<Self>) -> InFlight {
        *lock(&self.active) += 1;
        InFlight(Arc::clone(self))
    }

    /// Wakes whatever `slow` or `stall` holds back, and refuses to hold more.
    pub fn stop(&self) {
        *lock(&self.stopping) = true;
        self.stop_signal.notify_all();
    }

    /// True once `stop` was called.
    pub fn is_stopping(&self) -> bool {
        *lock(&self.stopping)
    }

    /// Waits, at most `limit`, for the requests in flight to end.
    pub fn wait_idle(&self, limit: Duration) {
        let deadline = Instant::now() + limit;
        let mut active = lock(&self.active);
        while *active > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            active = self.idle.wait_timeout(active, left).unwrap_or_else(std::sync::PoisonError::into_inner).0;
        }
    }

    /// Sleeps `limit`, or less if the mock stops meanwhile; true when it stopped.
    fn hold(&self, limit: Option<Duration>) -> bool {
        let deadline = limit.map(|l| Instant::now() + l);
        let mut stopping = lock(&self.stopping);
        while !*stopping {
            let wait = match deadline {
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return false;
                    }
                    left
                }
                None => Duration::from_secs(3600),
            };
            stopping =
                self.stop_signal.wait_timeout(stopping, wait).unwrap_or_else(std::sync::PoisonError::into_inner).0;
        }
        true
    }
}

/// The CSV as the fault serves it: cut, replaced by HTML, or reshaped.
fn faulty_csv(data: &Arc<Vec<u8>>, fault: Fault) -> Arc<Vec<u8>> {
    match fault {
        Fault::Truncated => {
            let mut cut = data[..data.len() / 2].to_vec();
            cut.extend_from_slice(b"\"unterminated");
            Arc::new(cut)
        }
        Fault::NotCsv => Arc::new(b"<html><body>Service unavailable</body></html>".to_vec()),
        Fault::MissingColumn | Fault::ReorderedColumns => Arc::new(reshape(data, fault)),
        _ => Arc::clone(data),
    }
}

/// Drops the `Send Count` and `Storage Used (Byte)` columns, or reverses the columns.
fn reshape(data: &[u8], fault: Fault) -> Vec<u8> {
    let text = String::from_utf8_lossy(data.strip_prefix(BOM).unwrap_or(data));
    let rows = read_rows(&text);
    let drop: Vec<usize> = rows.first().map_or_else(Vec::new, |head| {
        head.iter()
            .enumerate()
            .filter(|(_, c)| *c == "Send Count" || *c == "Storage Used (Byte)")
            .map(|(i, _)| i)
            .collect()
    });
    let mut out = BOM.to_vec();
    for row in rows {
        let row: Vec<String> = if fault == Fault::MissingColumn {
            row.into_iter().enumerate().filter(|(i, _)| !drop.contains(i)).map(|(_, v)| v).collect()
        } else {
            row.into_iter().rev().collect()
        };
        write_row(&mut out, &row);
    }
    out
}

/// `%XX` decoding, as `urllib.parse.unquote` (a `+` stays a `+` unless
/// `plus_is_space`, as in a query string).
pub fn unquote(text: &str, plus_is_space: bool) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b'+', _) if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The first value of a form field, as `parse_qs(body)[name][0]` (blank values dropped).
fn form_value(body: &str, name: &str) -> Option<String> {
    body.split('&')
        .filter_map(|pair| pair.split_once('='))
        .filter(|(_, v)| !v.is_empty())
        .find(|(k, _)| unquote(k, true) == name)
        .map(|(_, v)| unquote(v, true))
}

/// A header of the stand-in's own: always ASCII, so always valid.
fn header(name: &str, value: &str) -> Header {
    Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("the stand-in's headers are ASCII")
}

/// Answers with a Content-Length (never chunked), as Python's http.server does.
fn send(rq: Request, code: u16, body: impl Into<Arc<Vec<u8>>>, ctype: &str, extra: &[(&str, &str)]) {
    let body: Arc<Vec<u8>> = body.into();
    let len = body.len();
    let mut headers = vec![header("Content-Type", ctype)];
    headers.extend(extra.iter().map(|(k, v)| header(k, v)));
    let response = Response::new(StatusCode(code), headers, Cursor::new(Bytes(body)), Some(len), None)
        .with_chunked_threshold(usize::MAX);
    // A client that hung up is no concern of the stand-in.
    let _ = rq.respond(response);
}

fn send_json(rq: Request, code: u16, body: &str, extra: &[(&str, &str)]) {
    send(rq, code, body.as_bytes().to_vec(), "application/json", extra);
}

const ERR_SERVER: &str = r#"{"error": {"code": "InternalServerError", "message": "boom"}}"#;

/// Answers one request received on `host`; `flight` ends with it.
pub fn handle(flight: InFlight, host: Host, mut rq: Request) {
    let shared = &*flight.0;
    let auth = rq
        .headers()
        .iter()
        .find(|h| h.field.equiv("Authorization"))
        .map(|h| h.value.as_str().to_string())
        .unwrap_or_default();
    let prefer =
        rq.headers().iter().filter(|h| h.field.equiv("Prefer")).any(|h| {
            h.value.as_str().split(',').any(|p| p.trim().eq_ignore_ascii_case("include-unknown-enum-members"))
        });
    let raw = rq.url().to_string();
    let method = rq.method().as_str().to_string();
    let path = if method == "POST" { raw.clone() } else { unquote(&raw, false) };
    shared.state().log.push(RequestRecord {
        host,
        method: method.clone(),
        path: path.clone(),
        authorization: !auth.is_empty(),
    });
    match method.as_str() {
        "POST" => {
            let mut body = Vec::new();
            if rq.as_reader().read_to_end(&mut body).is_err() {
                return;
            }
            post(shared, rq, &raw, &String::from_utf8_lossy(&body));
        }
        "GET" => get(shared, rq, &path, &raw, &auth, prefer),
        _ => send(rq, 501, b"Unsupported method".to_vec(), "text/plain", &[]),
    }
}

/// `POST /{tenant}/oauth2/v2.0/token` and `POST /{tenant}/oauth2/token`.
fn post(shared: &Shared, rq: Request, path: &str, body: &str) {
    let token_kind = path
        .strip_prefix('/')
        .and_then(|p| p.split_once('/'))
        .filter(|(tenant, _)| !tenant.is_empty())
        .and_then(|(_, rest)| rest.strip_prefix("oauth2/"))
        .and_then(|rest| {
            if rest.starts_with("v2.0/token") {
                Some(true)
            } else if rest.starts_with("token") {
                Some(false)
            } else {
                None
            }
        });
    let Some(v2) = token_kind else {
        return send_json(rq, 404, r#"{"error":"not_found"}"#, &[]);
    };
    let host = rq.headers().iter().find(|h| h.field.equiv("Host")).map(|h| h.value.as_str().to_string());
    let token = {
        let mut state = shared.state();
        state.token_requests += 1;
        if let Some(scope) = form_value(body, "scope").or_else(|| form_value(body, "resource")) {
            state.scopes.push(scope);
        }
        match check_client(shared, path, host.as_deref(), body) {
            Ok(()) => {
                state.tokens_issued += 1;
                Ok(format!("tok-{}", state.tokens_issued))
            }
            Err(refusal) => Err(refusal),
        }
    };
    let token = match token {
        Ok(token) => token,
        Err(refusal) => return send_json(rq, refusal.status, &refusal.body, &[]),
    };
    let body = if v2 {
        format!(r#"{{"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": "{token}"}}"#)
    } else {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        format!(
            r#"{{"token_type": "Bearer", "expires_in": "3599", "expires_on": "{}", "resource": "https://manage.office.com", "access_token": "{token}"}}"#,
            now + 3599
        )
    };
    send_json(rq, 200, &body, &[]);
}

/// Entra ID's checks of a token request, in its order: the tenant, the application,
/// then its credential (a client secret, or a client assertion for the token endpoint
/// `http://<Host><path>` without its query).
fn check_client(shared: &Shared, path: &str, host: Option<&str>, body: &str) -> Result<(), Refusal> {
    let tenant = path.trim_start_matches('/').split('/').next().unwrap_or_default();
    let client_id = form_value(body, "client_id").unwrap_or_default();
    match shared.fault {
        Fault::UnknownTenant => return Err(entra::unknown_tenant(tenant)),
        Fault::UnknownClient => return Err(entra::unknown_client(&client_id, tenant)),
        _ => {}
    }
    if let Some(kind) = form_value(body, "client_assertion_type") {
        let assertion = form_value(body, "client_assertion").unwrap_or_default();
        if kind != entra::ASSERTION_TYPE {
            return Err(entra::refusal(400, "invalid_request", 50027, "JWT token is invalid or malformed."));
        }
        let audience = format!("http://{}{}", host.unwrap_or_default(), path.split('?').next().unwrap_or_default());
        return entra::verify(&assertion, &client_id, &audience, &shared.registered);
    }
    match form_value(body, "client_secret") {
        None => Err(entra::no_credential()),
        Some(_) if shared.fault == Fault::ExpiredSecret => Err(entra::expired_secret(&client_id)),
        Some(secret) if shared.fault == Fault::BadSecret || secret != VALID_SECRET => {
            Err(entra::invalid_secret(&client_id))
        }
        Some(_) => Ok(()),
    }
}

fn get(shared: &Shared, rq: Request, path: &str, raw: &str, auth: &str, prefer: bool) {
    if let Some(name) = path.strip_prefix("/download/") {
        return download(shared, rq, name, auth);
    }
    if path == COUNTS_ROUTE {
        return send_json(rq, 200, &counts(shared).to_string(), &[]);
    }
    if !auth.starts_with("Bearer tok-") {
        return send_json(
            rq,
            401,
            r#"{"error": {"code": "InvalidAuthenticationToken", "message": "Access token is empty."}}"#,
            &[],
        );
    }
    if path.starts_with("/v1.0/admin/serviceAnnouncement/healthOverviews") {
        return health(shared, rq, path);
    }
    let route = raw.split('?').next().unwrap_or_default();
    if route == "/v1.0/admin/exchange/tracing/messageTraces" || route == "/beta/admin/exchange/tracing/messageTraces" {
        return trace_call(shared, rq, raw, prefer);
    }
    let legacy = path.strip_prefix("/api/v1.0/").and_then(|p| p.split_once('/')).filter(|(tenant, rest)| {
        !tenant.is_empty()
            && (rest.starts_with("ServiceComms/CurrentStatus") || rest.starts_with("ServiceComms/Services"))
    });
    if legacy.is_some() {
        return match &shared.legacy {
            Some(data) => send_json(rq, 200, &data.to_string(), &[]),
            None => not_found(rq),
        };
    }
    match report(path) {
        Some((name, param)) => report_call(shared, rq, name, param),
        None => not_found(rq),
    }
}

/// The mock's own route (no token needed): what it has served so far, for the
/// benchmarks, which drive `mockgraph` from outside.
pub const COUNTS_ROUTE: &str = "/mock/counts";

/// `{"token_requests": N, "report_requests": N, "downloads": {"<report>": N, ...}}`.
fn counts(shared: &Shared) -> Value {
    let state = shared.state();
    json!({
        "token_requests": state.token_requests,
        "report_requests": state.report_requests,
        "downloads": state.downloads,
    })
}

fn not_found(rq: Request) {
    send_json(rq, 404, r#"{"error": {"code": "BadRequest", "message": "Resource not found"}}"#, &[]);
}

/// `^/(v1.0|beta)/reports/(<a report of ROUTES>)\((.*)\)`
fn report(path: &str) -> Option<(&'static str, &str)> {
    let rest = path.strip_prefix("/v1.0/reports/").or_else(|| path.strip_prefix("/beta/reports/"))?;
    let rest = rest.split('\n').next().unwrap_or_default();
    ROUTES.iter().map(|route| route.report).find_map(|name| {
        let args = rest.strip_prefix(name)?.strip_prefix('(')?;
        let close = args.rfind(')')?;
        Some((name, &args[..close]))
    })
}

/// A failure a fault makes of an API call (report or message trace): status,
/// body, content type, extra headers.
type ApiFault = (u16, &'static str, &'static str, &'static [(&'static str, &'static str)]);

/// What the fault answers to an API call, if anything; `first` tells whether
/// this is the first API call, `forbidden` the body of a 403.
fn api_fault(shared: &Shared, first: bool, forbidden: &'static str) -> Option<ApiFault> {
    const JSON: &str = "application/json";
    const RETRY: &[(&str, &str)] = &[("Retry-After", "1")];
    match shared.fault {
        Fault::TooManyRequestsAlways | Fault::TooManyRequestsOnce
            if shared.fault == Fault::TooManyRequestsAlways || first =>
        {
            Some((429, r#"{"error": {"code": "TooManyRequests", "message": "Too many requests"}}"#, JSON, RETRY))
        }
        Fault::ServiceUnavailableOnce if first => {
            Some((503, r#"{"error": {"code": "ServiceUnavailable", "message": "Service unavailable"}}"#, JSON, RETRY))
        }
        Fault::ServerError => Some((500, ERR_SERVER, JSON, &[])),
        Fault::ExpiredTokenOnce if first => Some((
            401,
            r#"{"error": {"code": "InvalidAuthenticationToken", "message": "Lifetime validation failed, the token is expired."}}"#,
            JSON,
            &[],
        )),
        Fault::Forbidden => Some((403, forbidden, JSON, &[])),
        Fault::HtmlError => Some((502, "<html><body>Bad gateway</body></html>", "text/html", &[])),
        _ => None,
    }
}

/// Takes the `-once` faults' single chance: true for the first API call.
fn first_call(state: &mut State) -> bool {
    let first = !state.fault_used;
    state.fault_used = true;
    first
}

/// The file a report call redirects to, or the 400 message for a parameter
/// the report does not take (`period` D7, D30, D90 or D180; `date` on the
/// user detail reports). The older two reports answer any parameter, as
/// mockgraph.py does.
fn report_file(name: &str, param: &str) -> Result<&'static str, &'static str> {
    const REFUSED: &str = "Invalid parameter: period must be one of D7, D30, D90, D180.";
    let route = ROUTES.iter().find(|route| route.report == name).ok_or(REFUSED)?;
    let period = param.strip_prefix("period=").is_some_and(|p| ["'D7'", "'D30'", "'D90'", "'D180'"].contains(&p));
    let date = param.strip_prefix("date=").is_some_and(|d| d.len() == 10 && calendar::day_of(d).is_some());
    match route.date {
        Some(file) if param.starts_with("date=") && (date || route.lenient) => Ok(file),
        _ if period || route.lenient => Ok(route.period),
        _ => Err(REFUSED),
    }
}

/// The report a downloaded file belongs to.
pub fn report_of_file(file: &str) -> &'static str {
    let file = file.strip_prefix("empty_").unwrap_or(file);
    ROUTES.iter().find(|route| route.period == file || route.date == Some(file)).map_or("", |route| route.report)
}

fn report_call(shared: &Shared, rq: Request, name: &'static str, param: &str) {
    let first = {
        let mut state = shared.state();
        state.report_requests += 1;
        *state.report_calls.entry(name.to_string()).or_insert(0) += 1;
        first_call(&mut state)
    };
    let forbidden = r#"{"error": {"code": "S2SUnauthorized", "message": "Invalid permission."}}"#;
    if let Some((code, body, ctype, headers)) = api_fault(shared, first, forbidden) {
        return send(rq, code, body.as_bytes().to_vec(), ctype, headers);
    }
    let file = match report_file(name, param) {
        Ok(file) => file,
        Err(message) => {
            let body = json!({"error": {"code": "BadRequest", "message": message}}).to_string();
            return send_json(rq, 400, &body, &[]);
        }
    };
    let prefix = if shared.fault == Fault::EmptyReport { "empty_" } else { "" };
    let location = format!("http://127.0.0.1:{}/download/{prefix}{file}", shared.download_port);
    send(rq, 302, Vec::new(), "text/plain", &[("Location", &location)]);
}

/// `GET /v1.0/admin/exchange/tracing/messageTraces` (and `/beta`): the
/// faults, then Microsoft's throttling (a 429 once the last 5 minutes hold
/// `limit` accepted requests), then the page or a 400.
fn trace_call(shared: &Shared, rq: Request, raw: &str, include_unknown: bool) {
    let now = calendar::now();
    let query = raw.split_once('?').map_or("", |(_, q)| q);
    let log = |status: u16| TraceCall {
        query: unquote(query, true),
        status,
        window: None,
        returned: 0,
        by_status: BTreeMap::new(),
        next_link: false,
    };
    let (first, throttled, number) = {
        let mut state = shared.state();
        state.trace_requests += 1;
        let number = state.trace_requests;
        let first = first_call(&mut state);
        let instant = Instant::now();
        while state.trace_accepted.front().is_some_and(|t| instant.duration_since(*t) >= TRACE_WINDOW) {
            state.trace_accepted.pop_front();
        }
        let throttled = match state.trace_accepted.front() {
            Some(oldest) if state.trace_accepted.len() >= shared.traces.limit => {
                Some(TRACE_WINDOW.saturating_sub(instant.duration_since(*oldest)))
            }
            _ => None,
        };
        (first, throttled, number)
    };
    let forbidden = r#"{"error": {"code": "Forbidden", "message": "Missing role ExchangeMessageTrace.Read.All."}}"#;
    let refusal = api_fault(shared, first, forbidden).or(match shared.fault {
        Fault::TraceUnprovisioned => Some((
            401,
            r#"{"error": {"code": "Unauthorized", "message": "Service principal-less Authentication failed: the service principal for App ID 8bd644d1-64a1-4d4b-ae52-2e0cbf64e373 was not found. Please create a service principal for this app in your tenant. Provisioning may take several hours to complete."}}"#,
            "application/json",
            &[],
        )),
        _ => None,
    });
    if let Some((code, body, ctype, headers)) = refusal {
        shared.state().trace_log.push(log(code));
        return send(rq, code, body.as_bytes().to_vec(), ctype, headers);
    }
    if let Some(wait) = throttled {
        shared.state().trace_log.push(log(429));
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        let message = format!(
            "Too many requests: at most {} message trace requests are accepted in 5 minutes.",
            shared.traces.limit
        );
        let body = json!({"error": {"code": "TooManyRequests", "message": message}});
        return send_json(rq, 429, &body.to_string(), &[("Retry-After", &seconds.max(1).to_string())]);
    }
    shared.state().trace_accepted.push_back(Instant::now());
    let route = raw.split('?').next().unwrap_or_default();
    let ask = Ask {
        raw_query: query,
        now,
        include_unknown,
        beta: route.starts_with("/beta/"),
        base: format!("http://127.0.0.1:{}{route}", shared.graph_port),
    };
    match traces::answer(&shared.derived().stream, shared.traces.lag_secs, &ask) {
        Ok(page) => {
            shared.state().trace_log.push(page.call);
            send_json(rq, 200, &page.body.to_string(), &[]);
        }
        Err(message) => {
            shared.state().trace_log.push(log(400));
            send_json(rq, 400, &traces::error_body(&message, now, number), &[]);
        }
    }
}

fn download(shared: &Shared, rq: Request, name: &str, auth: &str) {
    if !auth.is_empty() && shared.fault == Fault::StrictDownload {
        return send(rq, 400, b"Authorization header not expected on a download URL".to_vec(), "text/plain", &[]);
    }
    let Some(data) = shared.file(name) else {
        return send(rq, 404, b"No such file".to_vec(), "text/plain", &[]);
    };
    match shared.fault {
        // Held back, and then cut short by the mock stopping: no answer.
        Fault::Slow if shared.hold(Some(SLOW_DELAY)) => return,
        Fault::Stall => {
            let mut writer = rq.into_writer();
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\n\r\n",
                data.len()
            );
            // The client may be gone already; the stall holds either way.
            let _ = writer.write_all(head.as_bytes()).and_then(|()| writer.flush());
            shared.hold(None);
            return;
        }
        _ => {}
    }
    *shared.state().downloads.entry(report_of_file(name).to_string()).or_insert(0) += 1;
    match shared.framing {
        Framing::Chunked => {
            let headers = vec![header("Content-Type", "application/octet-stream")];
            let response = Response::new(StatusCode(200), headers, Cursor::new(Bytes(data)), None, None);
            // A client that hung up is no concern of the stand-in.
            let _ = rq.respond(response);
        }
        // The other framings are served by a host of their own (`rawhost`).
        _ => send(rq, 200, data, "application/octet-stream", &[]),
    }
}

/// Service health overviews in two pages joined by `@odata.nextLink` (one with `one-page`).
fn health(shared: &Shared, rq: Request, path: &str) {
    match shared.fault {
        Fault::ServerError => return send_json(rq, 500, ERR_SERVER, &[]),
        Fault::Forbidden => {
            return send_json(
                rq,
                403,
                r#"{"error": {"code": "Forbidden", "message": "Missing role ServiceHealth.Read.All"}}"#,
                &[],
            );
        }
        _ => {}
    }
    let Some(mut data) = shared.health.clone() else {
        return not_found(rq);
    };
    if !path.contains("$expand=issues") {
        for service in &mut data {
            if let Some(map) = service.as_object_mut() {
                map.remove("issues");
            }
        }
    }
    let body = if shared.fault == Fault::OnePage {
        json!({ "value": data })
    } else {
        let half = data.len().div_ceil(2);
        if path.contains("skiptoken=page2") {
            json!({ "value": data[half..] })
        } else {
            json!({
                "value": data[..half],
                "@odata.nextLink": format!(
                    "http://127.0.0.1:{}/v1.0/admin/serviceAnnouncement/healthOverviews?$expand=issues&$skiptoken=page2",
                    shared.graph_port
                ),
            })
        }
    };
    send_json(rq, 200, &body.to_string(), &[]);
}
