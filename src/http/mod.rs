//! The HTTP layer: a blocking client on reqwest with rustls, configured by the Http
//! Global / Backend options ([`sections`], read into [`HttpSettings`]).
//!
//! What it does differently from Perl's LWP backend, on purpose:
//!
//! * redirects are never followed automatically: [`Response::redirect`] gives the
//!   next URL and the caller decides which headers it may carry there (the bearer
//!   token must stay on the API host);
//! * every request is bounded by the run's deadline, so `--timeout` limits the whole
//!   run, not each read;
//! * `--ssl-opt` is parsed against a short list of known settings, never evaluated;
//! * transport failures are values ([`TransportError`]) with LWP-like texts
//!   (`Can't connect to HOST:PORT (Connection refused)`, `timed out after 10 s`);
//! * the debug dump masks `Authorization` values and secret form fields;
//! * a response says how its body's end is known ([`Framing`]): a body cut short
//!   is a read error when the transport marks its end, and only then;
//! * no answer is larger than a size limit ([`DOWNLOAD_LIMIT`] unless the client is
//!   built with another): a `Content-Length` over it is refused before any byte of
//!   the body is read, and a body that grows past it is a read error naming it.

use std::fmt;
use std::io::{self, Read};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use reqwest::blocking::{Client, ClientBuilder};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

pub use reqwest::Url;

use crate::debug::{DebugLog, Secrets};
use crate::error::{Error, Result};
use crate::options::Values;

mod options;

pub use options::{sections, Certificates, HttpSettings, TlsVersion};

/// The User-Agent Perl's LWP backend sends; some proxies and allow-lists key on it.
pub const USER_AGENT: &str = "centreon::plugins::backend::http::useragent";

/// The largest answer read, 4 GiB: a row of Microsoft's largest usage report takes
/// 150 to 400 bytes, so this is about ten million mailboxes, more than any tenant
/// holds; an answer that would be larger is a broken or hostile server filling the
/// disk until `--timeout`.
pub const DOWNLOAD_LIMIT: u64 = 4 << 30;

/// Form fields whose values never appear in the debug dump.
const SECRET_FORM_FIELDS: &[&str] =
    &["client_secret", "client_assertion", "password", "refresh_token", "role_id", "secret_id", "apikey"];

/// Headers whose values never appear in the debug dump.
const SECRET_HEADERS: &[&str] = &["authorization", "x-vault-token"];

/// Resolves every host name to the `--http-peer-addr` address (the URL's port kept).
#[derive(Debug)]
struct PeerResolver(IpAddr);

impl Resolve for PeerResolver {
    fn resolve(&self, _name: Name) -> Resolving {
        let addrs: Addrs = Box::new(std::iter::once(SocketAddr::new(self.0, 0)));
        Box::pin(std::future::ready(Ok(addrs)))
    }
}

/// Configures an [`HttpClient`].
#[derive(Debug, Default)]
pub struct HttpClientBuilder {
    timeout: Option<Duration>,
    deadline: Option<Instant>,
    body_limit: Option<u64>,
    settings: HttpSettings,
    system_roots: bool,
}

impl HttpClientBuilder {
    /// The longest any one request may take (`--timeout`).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// When the whole run must be over: no request outlives it.
    pub fn deadline(mut self, deadline: Instant) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// The largest answer body read, in bytes (default [`DOWNLOAD_LIMIT`]).
    pub fn body_limit(mut self, bytes: u64) -> Self {
        self.body_limit = Some(bytes);
        self
    }

    /// Applies the HTTP options of the command line ([`HttpSettings::from_values`]);
    /// refuses what cannot be honoured. `debug` receives notes about ignored `--ssl-opt`
    /// items.
    pub fn from_values(mut self, values: &Values, debug: &DebugLog) -> Result<Self> {
        self.settings = HttpSettings::from_values(values, debug)?;
        Ok(self)
    }

    /// Also trusts the system's certificate store, as OpenSSL-based tools do: the
    /// bundle `SSL_CERT_FILE` names when it is set, else the distribution's bundle.
    /// For servers inside the organisation (a vault), whose CA is in that store.
    pub fn system_roots(mut self) -> Self {
        self.system_roots = true;
        self
    }

    /// Builds the client. Every option is checked here (a wrong one stops the run
    /// before any request); the connection machinery (a thread and its event loop)
    /// starts only with the first request, so a run answered without one (from the
    /// report cache) does not pay for it.
    pub fn build(self) -> Result<HttpClient> {
        let mut builder: ClientBuilder = Client::builder()
            .user_agent(USER_AGENT)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(None::<Duration>);
        let settings = self.settings;
        builder = match &settings.proxy {
            Some(url) => {
                let proxy = reqwest::Proxy::all(url.as_str())
                    .map_err(|e| Error::new(format!("Invalid --proxyurl '{url}': {}", chain_text(&e))))?;
                builder.proxy(proxy)
            }
            None => builder.no_proxy(),
        };
        if settings.certificates == Certificates::Unchecked {
            builder = builder.danger_accept_invalid_certs(true).danger_accept_invalid_hostnames(true);
        }
        if let Some(pin) = settings.tls_version {
            let version = match pin {
                TlsVersion::V1_2 => reqwest::tls::Version::TLS_1_2,
                TlsVersion::V1_3 => reqwest::tls::Version::TLS_1_3,
            };
            builder = builder.min_tls_version(version).max_tls_version(version);
        }
        if let Some(path) = &settings.ca_file {
            let pem = std::fs::read(path)
                .map_err(|e| Error::new(format!("Cannot read SSL_ca_file '{path}': {}", io_text(&e))))?;
            for cert in reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| Error::new(format!("Invalid SSL_ca_file '{path}': {}", chain_text(&e))))?
            {
                builder = builder.add_root_certificate(cert);
            }
        }
        if self.system_roots {
            for cert in system_certificates()? {
                builder = builder.add_root_certificate(cert);
            }
        }
        if let Some(ip) = settings.peer_addr {
            builder = builder.dns_resolver(Arc::new(PeerResolver(ip)));
        }
        Ok(HttpClient {
            client: OnceLock::new(),
            pending: Mutex::new(Some(builder)),
            timeout: self.timeout,
            deadline: self.deadline,
            body_limit: self.body_limit.unwrap_or(DOWNLOAD_LIMIT),
            secrets: settings.secrets,
        })
    }
}

/// The distributions' CA bundles, in the order OpenSSL-based tools look for them.
const SYSTEM_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/ssl/cert.pem",
];

/// The certificates of `SSL_CERT_FILE` (an error when it cannot be read), else of
/// the first system bundle found (none: no certificate added).
fn system_certificates() -> Result<Vec<reqwest::Certificate>> {
    let (path, explicit) = match std::env::var("SSL_CERT_FILE") {
        Ok(path) if !path.is_empty() => (path, true),
        _ => match SYSTEM_BUNDLES.iter().find(|p| std::path::Path::new(p).is_file()) {
            Some(path) => (path.to_string(), false),
            None => return Ok(Vec::new()),
        },
    };
    let pem = match std::fs::read(&path) {
        Ok(pem) => pem,
        Err(e) if explicit => return Err(Error::new(format!("Cannot read SSL_CERT_FILE '{path}': {}", io_text(&e)))),
        Err(_) => return Ok(Vec::new()),
    };
    reqwest::Certificate::from_pem_bundle(&pem)
        .map_err(|e| Error::new(format!("Invalid certificate bundle '{path}': {}", chain_text(&e))))
}

/// The request methods the plugin uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `GET`.
    Get,
    /// `POST` with a body.
    Post,
    /// `DELETE`.
    Delete,
}

/// One request to send.
#[derive(Debug, Clone)]
pub struct Request {
    method: Method,
    url: Url,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
}

impl Request {
    /// A `GET` of `url`.
    pub fn get(url: Url) -> Self {
        Request { method: Method::Get, url, headers: Vec::new(), body: None }
    }

    /// A `POST` of `body` to `url`.
    pub fn post(url: Url, body: impl Into<Vec<u8>>) -> Self {
        Request { method: Method::Post, url, headers: Vec::new(), body: Some(body.into()) }
    }

    /// A `DELETE` of `url`.
    pub fn delete(url: Url) -> Self {
        Request { method: Method::Delete, url, headers: Vec::new(), body: None }
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// The URL requested.
    pub fn url(&self) -> &Url {
        &self.url
    }
}

/// A failure to get an answer at all (no HTTP status).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportError {
    message: String,
}

impl TransportError {
    /// The failure as text, e.g. `Can't connect to 127.0.0.1:9 (Connection refused)`.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for TransportError {}

/// How the end of a response body is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// The transport marks it (`Content-Length`, the chunked coding's last chunk,
    /// HTTP/2 frames): a body cut short is a read error, never a shorter body.
    Delimited,
    /// The body ends when the connection closes (neither `Content-Length` nor
    /// chunked): a connection cut in the middle reads as a complete, shorter body.
    UntilClose,
}

impl Framing {
    /// The framing of an HTTP/1 answer with these headers (RFC 9112, message body
    /// length): chunked when `chunked` is the last transfer coding, else a
    /// `Content-Length`, else until the connection closes. Any later protocol
    /// version frames every body.
    fn of(version: reqwest::Version, headers: &HeaderMap) -> Framing {
        if version >= reqwest::Version::HTTP_2 {
            return Framing::Delimited;
        }
        let last_coding = headers
            .get_all("transfer-encoding")
            .iter()
            .flat_map(|v| v.to_str().unwrap_or_default().split(','))
            .map(str::trim)
            .rfind(|c| !c.is_empty());
        match last_coding {
            Some(coding) if coding.eq_ignore_ascii_case("chunked") => Framing::Delimited,
            // Another last coding: the body runs until the connection closes.
            Some(_) => Framing::UntilClose,
            None if headers.contains_key("content-length") => Framing::Delimited,
            None => Framing::UntilClose,
        }
    }
}

/// An answer: status and headers read, body still on the wire.
pub struct Response {
    status: u16,
    reason: String,
    url: Url,
    headers: HeaderMap,
    body: Body,
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response").field("status", &self.status).field("url", &self.url.as_str()).finish()
    }
}

impl Response {
    /// The status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The status line without the protocol: `502 Bad Gateway`.
    pub fn status_line(&self) -> String {
        if self.reason.is_empty() {
            self.status.to_string()
        } else {
            format!("{} {}", self.status, self.reason)
        }
    }

    /// The URL that answered.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// A header's value, when present and printable.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The media type without parameters, lower-cased (`text/html`).
    pub fn content_type(&self) -> Option<String> {
        self.header("content-type").map(|v| v.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
    }

    /// For a 301/302/303/307/308 with a `Location`, the absolute URL to go to next
    /// (relative locations resolved against this response's URL). Following it, and
    /// with which headers, is the caller's decision. An invalid `Location` is not
    /// quoted: a download URL carries its own credential.
    pub fn redirect(&self) -> Option<std::result::Result<Url, TransportError>> {
        if !matches!(self.status, 301 | 302 | 303 | 307 | 308) {
            return None;
        }
        let location = self.header("location")?;
        Some(self.url.join(location).map_err(|e| TransportError {
            message: format!("{} with an invalid Location header: {e}", self.status_line()),
        }))
    }

    /// How the end of the body is known: whether a body cut short would be a read
    /// error or would just read as a shorter body.
    pub fn framing(&self) -> Framing {
        self.body.framing
    }

    /// The body, streamed.
    pub fn body(&mut self) -> &mut Body {
        &mut self.body
    }

    /// Reads at most `limit` bytes of the body as (lossy) text, for error messages and
    /// small JSON answers; a body cut by `limit` is returned cut.
    pub fn text(&mut self, limit: u64) -> std::result::Result<String, TransportError> {
        let mut bytes = Vec::new();
        (&mut self.body).take(limit).read_to_end(&mut bytes).map_err(|e| TransportError {
            message: format!("reading the answer of {}: {}", self.url.as_str(), io_text(&e)),
        })?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}

/// A response body as a byte stream; read errors carry the transport's reason
/// (`timed out after 10 s`, `connection closed before the end of the body`).
pub struct Body {
    inner: reqwest::blocking::Response,
    timeout: Duration,
    framing: Framing,
    /// The most bytes that may be read.
    limit: u64,
    /// The bytes read so far.
    read: u64,
}

impl Body {
    /// How the end of the body is known (see [`Response::framing`]).
    pub fn framing(&self) -> Framing {
        self.framing
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Body").field("url", &self.inner.url().as_str()).field("timeout", &self.timeout).finish()
    }
}

impl Read for Body {
    /// Reads on, up to the size limit: a body growing past it is an error naming it
    /// (one byte over is enough to tell).
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let room = usize::try_from(self.limit.saturating_sub(self.read).saturating_add(1)).unwrap_or(usize::MAX);
        let end = buf.len().min(room);
        let n = self.inner.read(&mut buf[..end]).map_err(|e| {
            let timed_out = e.kind() == io::ErrorKind::TimedOut || source_is_timeout(&e);
            let text = if timed_out { timeout_text(self.timeout) } else { io_text(&e) };
            io::Error::new(e.kind(), text)
        })?;
        self.read = self.read.saturating_add(n as u64);
        if self.read > self.limit {
            return Err(io::Error::other(format!("the answer grew past the size limit of {}", size_text(self.limit))));
        }
        Ok(n)
    }
}

/// A size limit in messages: `4294967296 bytes (4 GiB)`, or bytes alone when that is
/// not a whole number of MiB.
fn size_text(bytes: u64) -> String {
    const MIB: u64 = 1 << 20;
    match bytes {
        b if b >= 1 << 30 && b % (1 << 30) == 0 => format!("{b} bytes ({} GiB)", b >> 30),
        b if b >= MIB && b % MIB == 0 => format!("{b} bytes ({} MiB)", b / MIB),
        b => format!("{b} bytes"),
    }
}

/// The blocking client.
pub struct HttpClient {
    /// The client, once the first request needed it.
    client: OnceLock<Client>,
    /// Its configuration until then.
    pending: Mutex<Option<ClientBuilder>>,
    timeout: Option<Duration>,
    deadline: Option<Instant>,
    body_limit: u64,
    secrets: Secrets,
}

impl fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClient").field("timeout", &self.timeout).finish()
    }
}

impl HttpClient {
    /// A builder with no timeout, no deadline and no option applied.
    pub fn builder() -> HttpClientBuilder {
        HttpClientBuilder::default()
    }

    /// Time left for the next request: the smaller of `--timeout` and what remains
    /// before the deadline. `None` when nothing bounds it.
    pub fn budget(&self) -> Option<Duration> {
        let left = self.deadline.map(|d| d.saturating_duration_since(Instant::now()));
        match (self.timeout, left) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The client, started at the first call.
    fn client(&self) -> std::result::Result<&Client, TransportError> {
        if let Some(client) = self.client.get() {
            return Ok(client);
        }
        let failed = |why: String| TransportError { message: format!("Cannot create the HTTP client: {why}") };
        // Held while the client starts: a call from another thread waits for it.
        let mut pending = self.pending.lock().map_err(|_| failed("a thread failed while starting it".to_string()))?;
        if let Some(client) = self.client.get() {
            return Ok(client);
        }
        let builder = pending.take().ok_or_else(|| failed("it failed to start before".to_string()))?;
        let client = builder.build().map_err(|e| failed(chain_text(&e)))?;
        Ok(self.client.get_or_init(|| client))
    }

    /// Sends `request` (no redirect followed), logging the exchange in `debug` with
    /// secrets masked. The body is left to read from the [`Response`].
    pub fn send(&self, request: Request, debug: &DebugLog) -> std::result::Result<Response, TransportError> {
        let budget = self.budget();
        // A timeout names the configured limit (`--timeout`), not the part of it that
        // was left for this request: that is the number the administrator wrote.
        let limit = self.timeout.or(budget).unwrap_or_default();
        if budget == Some(Duration::ZERO) {
            return Err(TransportError { message: timeout_text(limit) });
        }
        if debug.enabled() {
            debug.log(format!("======> request send\n{}", self.dump_request(&request)));
        }
        let url = request.url.clone();
        let client = self.client()?;
        let mut builder = match request.method {
            Method::Get => client.get(url.clone()),
            Method::Post => client.post(url.clone()),
            Method::Delete => client.delete(url.clone()),
        };
        for (name, value) in &request.headers {
            let (Ok(name), Ok(value)) = (HeaderName::try_from(name.as_str()), HeaderValue::try_from(value.as_str()))
            else {
                return Err(TransportError { message: format!("invalid header '{name}' for {}", url.as_str()) });
            };
            builder = builder.header(name, value);
        }
        if let Some(body) = request.body {
            builder = builder.body(body);
        }
        if let Some(budget) = budget {
            builder = builder.timeout(budget);
        }
        let result = builder.send();
        let response = match result {
            Ok(response) => response,
            Err(e) => {
                let message = describe(&e, &url, limit);
                debug.log(format!("======> response done\n{message}"));
                return Err(TransportError { message });
            }
        };
        let declared =
            response.headers().get("content-length").and_then(|v| v.to_str().ok()?.trim().parse::<u64>().ok());
        if let Some(length) = declared.filter(|length| *length > self.body_limit) {
            let message =
                format!("a Content-Length of {length} bytes, over the size limit of {}", size_text(self.body_limit));
            debug.log(format!("======> response done\n{message}"));
            return Err(TransportError { message });
        }
        let status = response.status();
        let response = Response {
            status: status.as_u16(),
            reason: status.canonical_reason().unwrap_or("").to_string(),
            url: response.url().clone(),
            headers: response.headers().clone(),
            body: Body {
                framing: Framing::of(response.version(), response.headers()),
                inner: response,
                timeout: limit,
                limit: self.body_limit,
                read: 0,
            },
        };
        if debug.enabled() {
            let mut text = format!("======> response done\n{}", response.status_line());
            for (name, value) in &response.headers {
                text.push_str(&format!("\n{}: {}", name.as_str(), self.masked_header(name.as_str(), value)));
            }
            debug.log(text);
        }
        Ok(response)
    }

    fn dump_request(&self, request: &Request) -> String {
        let method = match request.method {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Delete => "DELETE",
        };
        let mut text = format!("{method} {}", request.url.as_str());
        for (name, value) in &request.headers {
            let value = HeaderValue::try_from(value.as_str())
                .map(|v| self.masked_header(name, &v))
                .unwrap_or_else(|_| "<invalid>".to_string());
            text.push_str(&format!("\n{name}: {value}"));
        }
        if let Some(body) = &request.body {
            let body = String::from_utf8_lossy(body);
            text.push_str("\n\n");
            text.push_str(&if self.secrets == Secrets::Shown { body.into_owned() } else { mask_form(&body) });
        }
        text
    }

    fn masked_header(&self, name: &str, value: &HeaderValue) -> String {
        let text = String::from_utf8_lossy(value.as_bytes()).into_owned();
        if self.secrets == Secrets::Shown || !SECRET_HEADERS.iter().any(|h| name.eq_ignore_ascii_case(h)) {
            return text;
        }
        match text.split_once(' ') {
            Some((scheme, _)) => format!("{scheme} ***"),
            None => "***".to_string(),
        }
    }
}

/// Percent-encodes every byte of `text` except the unreserved ones
/// (`A-Z a-z 0-9 - . _ ~`), in upper-case hex: a form field's value, a query
/// parameter, a path segment.
pub fn percent_encode(text: &str) -> String {
    percent_encode_keeping(text, b"")
}

/// [`percent_encode`], also keeping the bytes of `keep` as they are (`@` in a path
/// segment, where RFC 3986 allows it).
pub fn percent_encode_keeping(text: &str, keep: &[u8]) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for &b in text.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') || keep.contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Replaces the values of secret fields of an `application/x-www-form-urlencoded`
/// body by `***`.
pub fn mask_form(body: &str) -> String {
    body.split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if SECRET_FORM_FIELDS.contains(&key) => format!("{key}=***"),
            _ => pair.to_string(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Whether two URLs share scheme, host and port: who may receive credentials.
pub fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme() && a.host_str() == b.host_str() && a.port_or_known_default() == b.port_or_known_default()
}

/// An LWP-like description of a transport failure.
fn describe(e: &reqwest::Error, url: &Url, limit: Duration) -> String {
    if e.is_timeout() || source_is_timeout(e) {
        return timeout_text(limit);
    }
    let host = url.host_str().unwrap_or("");
    let port = url.port_or_known_default().map(|p| format!(":{p}")).unwrap_or_default();
    let cause = root_cause(e);
    if e.is_connect() {
        format!("Can't connect to {host}{port} ({cause})")
    } else {
        format!("{} {host}{port} failed ({cause})", if e.is_request() { "request to" } else { "exchange with" })
    }
}

/// `timed out after N s`, with the limit that ran out.
fn timeout_text(budget: Duration) -> String {
    let tenths = (budget.as_secs_f64() * 10.0).round() / 10.0;
    if tenths.fract() == 0.0 {
        format!("timed out after {tenths:.0} s")
    } else {
        format!("timed out after {tenths:.1} s")
    }
}

/// Whether any error in the chain is a timeout.
fn source_is_timeout(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = current {
        if let Some(io) = err.downcast_ref::<io::Error>() {
            if io.kind() == io::ErrorKind::TimedOut {
                return true;
            }
            // `io::Error::source` skips the error it wraps (reqwest's body read wraps
            // its timeout in an `Other` error): look at that one too.
            if io.get_ref().is_some_and(|inner| source_is_timeout(inner)) {
                return true;
            }
        }
        if let Some(re) = err.downcast_ref::<reqwest::Error>() {
            if re.is_timeout() {
                return true;
            }
        }
        current = err.source();
    }
    false
}

/// The innermost cause's text (`Connection refused`), Rust's `(os error N)` removed.
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut current = e;
    while let Some(next) = current.source() {
        current = next;
    }
    strip_os_error(&current.to_string())
}

/// Every message of the chain, joined: for errors without a useful innermost cause.
fn chain_text(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut current = e.source();
    while let Some(err) = current {
        parts.push(err.to_string());
        current = err.source();
    }
    strip_os_error(&parts.join(": "))
}

/// An I/O error's text, its chain included, without `(os error N)`.
fn io_text(e: &io::Error) -> String {
    match e.get_ref() {
        Some(inner) => {
            let inner_text = strip_os_error(&inner.to_string());
            match inner.source() {
                Some(source) => format!("{inner_text}: {}", root_cause(source)),
                None => inner_text,
            }
        }
        None => strip_os_error(&e.to_string()),
    }
}

fn strip_os_error(text: &str) -> String {
    match text.find(" (os error ") {
        Some(cut) => text[..cut].to_string(),
        None => text.to_string(),
    }
}

/// The scripted host of the one mock (`tests/mock`), mounted for these tests: it
/// answers the raw bytes a test writes, however broken.
#[cfg(test)]
#[path = "../../tests/mock/scripted.rs"]
pub mod scripted;

#[cfg(test)]
mod tests {
    use super::scripted::{closed_port, reply, Scripted};
    use super::*;
    use crate::debug::{Logging, Secrets};
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// One host answering the connections with `answers`, one each, in turn (and
    /// closing any further connection unanswered).
    fn canned(answers: Vec<Vec<u8>>) -> Scripted {
        let next = AtomicUsize::new(0);
        Scripted::start(1, move |_, _| answers.get(next.fetch_add(1, Ordering::SeqCst)).cloned().unwrap_or_default())
    }

    /// A complete answer with a text body.
    fn answer(status: &str, headers: &[(&str, &str)], body: &str) -> Vec<u8> {
        reply(status, headers, body.as_bytes())
    }

    fn client(timeout: u64) -> HttpClient {
        HttpClient::builder().timeout(Duration::from_secs(timeout)).build().expect("client")
    }

    #[test]
    fn timeouts_read_in_whole_or_tenth_seconds() {
        assert_eq!(timeout_text(Duration::from_millis(9_996)), "timed out after 10 s");
        assert_eq!(timeout_text(Duration::from_millis(2_500)), "timed out after 2.5 s");
    }

    #[test]
    fn percent_encoding_keeps_unreserved_only_and_what_is_asked() {
        assert_eq!(percent_encode("aZ09-._~ é"), "aZ09-._~%20%C3%A9");
        assert_eq!(percent_encode("a@b/c"), "a%40b%2Fc");
        assert_eq!(percent_encode_keeping("a@b/c", b"@"), "a@b%2Fc");
    }

    #[test]
    fn form_secrets_are_masked() {
        assert_eq!(
            mask_form("grant_type=client_credentials&client_id=c1&client_secret=s3cr3t%2B&scope=x"),
            "grant_type=client_credentials&client_id=c1&client_secret=***&scope=x"
        );
    }

    #[test]
    fn origins_compare_scheme_host_and_port() {
        let a = Url::parse("http://127.0.0.1:80/x").expect("url");
        assert!(same_origin(&a, &Url::parse("http://127.0.0.1/y").expect("url")));
        assert!(!same_origin(&a, &Url::parse("http://127.0.0.1:81/x").expect("url")));
        assert!(!same_origin(&a, &Url::parse("https://127.0.0.1:80/x").expect("url")));
    }

    #[test]
    fn redirects_are_returned_not_followed_and_authorization_is_masked() {
        let server = canned(vec![answer("302 Found", &[("Location", "/download/x.csv")], "")]);
        let debug = DebugLog::new(Logging::On, Secrets::Masked);
        let url = Url::parse(&format!("{}/v1.0/r(period='D7')", server.base(0))).expect("url");
        let request = Request::get(url).header("Authorization", "Bearer tok-secret");
        let response = client(5).send(request, &debug).expect("response");
        assert_eq!(response.status(), 302);
        let next = response.redirect().expect("redirect").expect("valid");
        assert_eq!(next.as_str(), format!("{}/download/x.csv", server.base(0)));
        let seen = server.seen();
        assert_eq!((seen[0].host, seen[0].method.as_str()), (0, "GET"), "{seen:?}");
        assert_eq!(seen[0].target, "/v1.0/r(period='D7')");
        assert_eq!(seen[0].header("user-agent"), Some(USER_AGENT), "{seen:?}");
        let dump = debug.take().join("\n");
        assert!(dump.contains("authorization: Bearer ***") || dump.contains("Authorization: Bearer ***"), "{dump}");
        assert!(!dump.contains("tok-secret"), "{dump}");
    }

    /// A form is sent as given, and its secret fields are masked in the debug dump.
    #[test]
    fn form_bodies_are_sent_whole_and_logged_masked() {
        let server = canned(vec![answer("200 OK", &[], "{}")]);
        let debug = DebugLog::new(Logging::On, Secrets::Masked);
        let url = Url::parse(&format!("{}/t1/oauth2/v2.0/token", server.base(0))).expect("url");
        let form = "grant_type=client_credentials&client_id=c1&client_secret=s3cr3t%2B";
        let response = client(5).send(Request::post(url, form), &debug).expect("answer");
        assert_eq!(response.status(), 200);
        let seen = server.seen();
        assert_eq!((seen[0].method.as_str(), seen[0].body.as_str()), ("POST", form));
        let dump = debug.take().join("\n");
        assert!(dump.contains("client_secret=***") && !dump.contains("s3cr3t"), "{dump}");
    }

    #[test]
    fn body_streams_and_short_body_is_an_error() {
        let mut truncated = answer("200 OK", &[], "0123456789");
        truncated.truncate(truncated.len() - 4);
        let server = canned(vec![answer("200 OK", &[], "hello"), truncated]);
        let debug = DebugLog::new(Logging::Off, Secrets::Masked);
        let url = Url::parse(&format!("{}/a", server.base(0))).expect("url");
        let mut ok = client(5).send(Request::get(url.clone()), &debug).expect("response");
        let mut text = String::new();
        ok.body().read_to_string(&mut text).expect("body");
        assert_eq!(text, "hello");
        let mut short = client(5).send(Request::get(url), &debug).expect("response");
        let mut bytes = Vec::new();
        assert!(short.body().read_to_end(&mut bytes).is_err(), "a body shorter than Content-Length must fail");
    }

    /// A declared `Content-Length` over the limit is refused before the body is read;
    /// a body without one that grows past the limit is a read error naming it; a body
    /// of exactly the limit reads whole.
    #[test]
    fn answers_over_the_size_limit_are_refused() {
        let limited = || HttpClient::builder().timeout(Duration::from_secs(5)).body_limit(10).build().expect("client");
        let server = canned(vec![
            answer("200 OK", &[], "01234567890"),
            raw_answer("", "0123456789012345"),
            answer("200 OK", &[], "0123456789"),
        ]);
        let debug = DebugLog::default();
        let url = Url::parse(&format!("{}/r", server.base(0))).expect("url");
        let declared = limited().send(Request::get(url.clone()), &debug).expect_err("declared too large");
        assert_eq!(declared.message(), "a Content-Length of 11 bytes, over the size limit of 10 bytes");
        let mut growing = limited().send(Request::get(url.clone()), &debug).expect("no length declared");
        let mut bytes = Vec::new();
        let error = growing.body().read_to_end(&mut bytes).expect_err("grows past the limit");
        assert_eq!(error.to_string(), "the answer grew past the size limit of 10 bytes");
        assert!(bytes.len() <= 11, "reading stops at the limit: {} bytes", bytes.len());
        let mut whole = limited().send(Request::get(url), &debug).expect("at the limit");
        let mut text = String::new();
        whole.body().read_to_string(&mut text).expect("read whole");
        assert_eq!(text, "0123456789");
        assert_eq!(size_text(DOWNLOAD_LIMIT), "4294967296 bytes (4 GiB)");
        assert_eq!(size_text(32 << 20), "33554432 bytes (32 MiB)");
    }

    /// An answer head without `Content-Length`, then `body` as given, the connection
    /// closed after it.
    fn raw_answer(headers: &str, body: &str) -> Vec<u8> {
        format!("HTTP/1.1 200 OK\r\n{headers}Connection: close\r\n\r\n{body}").into_bytes()
    }

    /// The framing of each answer, and its body as read (or `None` for a read error).
    fn framed(answers: Vec<Vec<u8>>) -> Vec<(Framing, Option<String>)> {
        let count = answers.len();
        let server = canned(answers);
        let url = Url::parse(&format!("{}/r", server.base(0))).expect("url");
        (0..count)
            .map(|_| {
                let mut response = client(5).send(Request::get(url.clone()), &DebugLog::default()).expect("response");
                let mut text = String::new();
                let read = response.body().read_to_string(&mut text).ok().map(|_| text);
                (response.framing(), read)
            })
            .collect()
    }

    /// A body cut short is a read error when `Content-Length` or the chunked coding
    /// marks its end; without either, the connection's close ends it and a cut reads
    /// as a shorter body: only then is the framing `UntilClose`.
    #[test]
    fn framing_tells_whether_a_cut_body_is_an_error() {
        let mut short = answer("200 OK", &[], "a,b\r\n1,2");
        short.truncate(short.len() - 2);
        let chunked = "Transfer-Encoding: chunked\r\n";
        let answers = vec![
            answer("200 OK", &[], "a,b\r\n1,2"),
            short,
            raw_answer(chunked, "3\r\na,b\r\n3\r\n1,2\r\n0\r\n\r\n"),
            raw_answer(chunked, "3\r\na,b\r\n3\r\n1,2\r\n"),
            raw_answer(chunked, "3\r\na,b\r\n3\r\n1"),
            raw_answer("", "a,b\r\n1,2"),
            raw_answer("Transfer-Encoding: gzip\r\n", "a,b"),
        ];
        use Framing::{Delimited, UntilClose};
        let text = |t: &str| Some(t.to_string());
        assert_eq!(
            framed(answers),
            [
                (Delimited, text("a,b\r\n1,2")),
                (Delimited, None),
                (Delimited, text("a,b1,2")),
                (Delimited, None),
                (Delimited, None),
                (UntilClose, text("a,b\r\n1,2")),
                (UntilClose, text("a,b")),
            ]
        );
    }

    #[test]
    fn connection_refused_reads_like_lwp() {
        let debug = DebugLog::new(Logging::Off, Secrets::Masked);
        let port = closed_port();
        let url = Url::parse(&format!("http://127.0.0.1:{port}/x")).expect("url");
        let err = client(5).send(Request::get(url), &debug).expect_err("refused");
        assert_eq!(err.message(), format!("Can't connect to 127.0.0.1:{port} (Connection refused)"));
    }

    #[test]
    fn deadline_bounds_a_stalled_answer() {
        let stalled = Scripted::start(1, |_, _| {
            std::thread::sleep(Duration::from_secs(5));
            Vec::new()
        });
        let base = stalled.base(0).to_string();
        let client = HttpClient::builder()
            .timeout(Duration::from_secs(10))
            .deadline(Instant::now() + Duration::from_secs(1))
            .build()
            .expect("client");
        let start = Instant::now();
        let err = client.send(Request::get(Url::parse(&base).expect("url")), &DebugLog::default()).expect_err("stall");
        assert!(err.message().starts_with("timed out after"), "{err}");
        assert!(start.elapsed() < Duration::from_secs(3), "{:?}", start.elapsed());
    }

    /// A client built from one Http Global option set to `value`, as the command
    /// line would set it.
    fn client_with(option: &str, value: &str, debug: &DebugLog) -> HttpClient {
        let values = Values::of(&sections()[0].options, &[(option, value)]);
        HttpClient::builder()
            .timeout(Duration::from_secs(5))
            .from_values(&values, debug)
            .expect("valid option")
            .build()
            .expect("client")
    }

    #[test]
    fn proxy_receives_absolute_requests() {
        let proxy = canned(vec![answer("200 OK", &[], "via proxy")]);
        let debug = DebugLog::default();
        let client = client_with("proxyurl", proxy.base(0), &debug);
        let url = Url::parse("http://graph.example.invalid/v1.0/x").expect("url");
        assert_eq!(client.send(Request::get(url), &debug).expect("answer").status(), 200);
        assert_eq!(proxy.seen()[0].target, "http://graph.example.invalid/v1.0/x");
    }

    #[test]
    fn peer_addr_overrides_resolution() {
        let server = canned(vec![answer("200 OK", &[], "ok")]);
        let port = Url::parse(server.base(0)).expect("url").port().expect("port");
        let debug = DebugLog::default();
        let client = client_with("http-peer-addr", "127.0.0.1", &debug);
        let url = Url::parse(&format!("http://nonexistent.invalid:{port}/x")).expect("url");
        let response = client.send(Request::get(url), &debug).expect("reached through the peer address");
        assert_eq!(response.status(), 200);
        assert_eq!(server.seen()[0].header("host"), Some(format!("nonexistent.invalid:{port}").as_str()));
    }
}
