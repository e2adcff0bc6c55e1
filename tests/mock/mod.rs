//! The project's own stand-in for Microsoft: the Azure AD token endpoints,
//! the Graph usage reports (answering 302 to a pre-authenticated download
//! URL on a second port), the service health endpoints and Graph's message
//! trace, on loopback.
//!
//! For the routes the golden cases were recorded against, it behaves as the
//! stand-in they were recorded with did, so that the tests need nothing outside
//! the repository; it adds faults of its own (`503-once`, `stall`,
//! `trace-unprovisioned`, and the token endpoint's `expired-secret`,
//! `unknown-client`, `unknown-tenant`), the reports that stand-in lacked
//! (`getMailboxUsageQuotaStatusMailboxCounts`, `getEmailAppUsageAppsUserCounts`,
//! `getEmailAppUsageUserDetail`, derived from the tenant's own reports),
//! message trace (`GET /v1.0/admin/exchange/tracing/messageTraces`), the
//! tenant's domains (`GET /v1.0/domains` and their service configuration records,
//! with a real DNS server publishing their zones: `dns_server`),
//! mail in mailboxes (`sendMail`, message listing and deletion: `mail`),
//! opt-in variants of the reports and service health (`Variant`), and
//! downloads framed otherwise than by `Content-Length`, or cut (`Framing`).
//! It verifies the client assertions of certificate credentials for real
//! against the certificates registered with [`Builder::certificate`].
//!
//! A test reads what the plugin asked for through `report_calls`,
//! `downloads`, `message_trace_requests` and `trace_log`; a program driving
//! `mockgraph` reads the counts at `GET /mock/counts`.

mod calendar;
mod csvtext;
pub mod domains;
mod entra;
mod handler;
mod mail;
mod nsd;
mod pyrandom;
mod rawhost;
mod reports;
pub mod scripted;
pub mod teampass;
mod tenant;
mod traces;
mod variants;
pub mod vault;

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use tiny_http::Server;

pub use calendar::{iso_datetime, parse_iso_datetime};
pub use domains::dns_server;
pub use handler::VALID_SECRET;
pub use mail::{Access, MailMessage, MailSettings};
pub use nsd::{silent_dns, Nsd};
// `mockgraph` runs the mail clock with the wall clock; the tests never do.
#[allow(unused_imports)]
pub use mail::MailClock;
pub use reports::APP_COLS;
pub use tenant::Tenant;
pub use traces::{Stream, TraceCall, TraceSettings, STATUSES};
pub use variants::Variant;

/// How the stand-in misbehaves, each as Microsoft's services are documented
/// (or known) to; the names are mockgraph.py's `--fault` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Fault {
    /// Behaves.
    None,
    /// The first report call answers 429 `TooManyRequests` with `Retry-After: 1`.
    TooManyRequestsOnce,
    /// Every report call answers 429 `TooManyRequests` with `Retry-After: 1`.
    TooManyRequestsAlways,
    /// Report and health calls answer 500 `InternalServerError`.
    ServerError,
    /// The first report call answers 401 `InvalidAuthenticationToken` (token expired).
    ExpiredTokenOnce,
    /// The token endpoints answer 401 `invalid_client` whatever the secret.
    BadSecret,
    /// Report calls answer 502 with an HTML page.
    HtmlError,
    /// Downloads are cut in half, ending inside a quoted field.
    Truncated,
    /// Downloads answer after 30 s (sooner when the mock stops).
    Slow,
    /// Downloads are an HTML page.
    NotCsv,
    /// Report calls answer 403 `S2SUnauthorized`, health calls 403 `Forbidden`.
    Forbidden,
    /// The reports hold their header row only.
    EmptyReport,
    /// The `Send Count` and `Storage Used (Byte)` columns are gone.
    MissingColumn,
    /// The columns come in reverse order.
    ReorderedColumns,
    /// A download that carries an `Authorization` header answers 400.
    StrictDownload,
    /// Health overviews come in one page instead of two.
    OnePage,
    /// The first report call answers 503 `ServiceUnavailable` with `Retry-After: 1`.
    ServiceUnavailableOnce,
    /// Downloads send their headers and never their body (until the mock stops).
    Stall,
    /// The token endpoints answer 401 `invalid_client` AADSTS7000222 (expired secret)
    /// to a client secret.
    ExpiredSecret,
    /// The token endpoints answer 400 `unauthorized_client` AADSTS700016 (unknown application).
    UnknownClient,
    /// The token endpoints answer 400 `invalid_request` AADSTS90002 (unknown tenant).
    UnknownTenant,
    /// Message trace answers 401 `Unauthorized`: the tenant lacks the service
    /// principal of Microsoft's message trace application (Microsoft's
    /// onboarding step); the reports behave.
    TraceUnprovisioned,
}

impl Fault {
    /// Every fault, for tests and `--help` texts that list them.
    pub const ALL: [Fault; 22] = [
        Fault::None,
        Fault::TooManyRequestsOnce,
        Fault::TooManyRequestsAlways,
        Fault::ServerError,
        Fault::ExpiredTokenOnce,
        Fault::BadSecret,
        Fault::HtmlError,
        Fault::Truncated,
        Fault::Slow,
        Fault::NotCsv,
        Fault::Forbidden,
        Fault::EmptyReport,
        Fault::MissingColumn,
        Fault::ReorderedColumns,
        Fault::StrictDownload,
        Fault::OnePage,
        Fault::ServiceUnavailableOnce,
        Fault::Stall,
        Fault::ExpiredSecret,
        Fault::UnknownClient,
        Fault::UnknownTenant,
        Fault::TraceUnprovisioned,
    ];

    /// mockgraph.py's name for the fault, as the golden cases spell it.
    pub fn name(self) -> &'static str {
        match self {
            Fault::None => "none",
            Fault::TooManyRequestsOnce => "429-once",
            Fault::TooManyRequestsAlways => "429-always",
            Fault::ServerError => "500",
            Fault::ExpiredTokenOnce => "401-expired-once",
            Fault::BadSecret => "bad-secret",
            Fault::HtmlError => "html-error",
            Fault::Truncated => "truncated",
            Fault::Slow => "slow",
            Fault::NotCsv => "not-csv",
            Fault::Forbidden => "forbidden",
            Fault::EmptyReport => "empty-report",
            Fault::MissingColumn => "missing-column",
            Fault::ReorderedColumns => "reordered-columns",
            Fault::StrictDownload => "strict-download",
            Fault::OnePage => "one-page",
            Fault::ServiceUnavailableOnce => "503-once",
            Fault::Stall => "stall",
            Fault::ExpiredSecret => "expired-secret",
            Fault::UnknownClient => "unknown-client",
            Fault::UnknownTenant => "unknown-tenant",
            Fault::TraceUnprovisioned => "trace-unprovisioned",
        }
    }

    /// True for the faults that act on the first report call only: a case
    /// that uses one needs a fresh mock.
    pub fn acts_once(self) -> bool {
        self.name().ends_with("-once")
    }
}

impl FromStr for Fault {
    type Err = String;

    fn from_str(name: &str) -> Result<Fault, String> {
        Fault::ALL.into_iter().find(|f| f.name() == name).ok_or_else(|| format!("unknown fault '{name}'"))
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How report downloads mark the end of their body on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Framing {
    /// A `Content-Length` header, as Python's http.server and Microsoft send it.
    #[default]
    Length,
    /// The chunked transfer coding, ended by its last, empty chunk.
    Chunked,
    /// Neither: the body ends when the server closes the connection.
    Close,
    /// A `Content-Length` of the whole body, but the connection closes after the
    /// first whole record from the middle on.
    LengthCut,
    /// Chunked, but the connection closes after a chunk that ends with the first
    /// whole record from the middle on, without the last, empty chunk.
    ChunkedCut,
}

impl Framing {
    /// Whether the plain TCP download host (`rawhost`) serves it.
    fn raw(self) -> bool {
        matches!(self, Framing::Close | Framing::LengthCut | Framing::ChunkedCut)
    }
}

/// Which of the two listeners received a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Host {
    /// The token, report and health endpoints (`MockGraph::url`).
    Graph,
    /// The pre-authenticated download host the report calls redirect to.
    Download,
}

/// One request as the stand-in saw it, so tests can assert on what the
/// plugin sent (e.g. that the download host never received a Bearer token).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestRecord {
    /// The listener that received it.
    pub host: Host,
    /// `GET`, `POST`, ...
    pub method: String,
    /// The request target: percent-decoded for GET, as sent for POST (as mockgraph.py logs it).
    pub path: String,
    /// Whether a non-empty `Authorization` header came with it.
    pub authorization: bool,
}

/// Where the stand-in's files come from.
enum Source {
    Dir(PathBuf),
    Tenant(Tenant),
}

/// Settings of a `MockGraph` before it starts.
pub struct Builder {
    source: Source,
    fault: Fault,
    port: u16,
    certificates: Vec<Vec<u8>>,
    variants: Vec<Variant>,
    traces: TraceSettings,
    framing: Framing,
    mail: MailSettings,
}

impl Builder {
    /// Serves the files of a fixture directory (default: `tests/fixtures/tenant40`).
    pub fn fixture_dir(mut self, dir: impl Into<PathBuf>) -> Builder {
        self.source = Source::Dir(dir.into());
        self
    }

    /// Serves a tenant held in memory, such as `Tenant::generated(1_000_000, 7)`.
    pub fn tenant(mut self, tenant: Tenant) -> Builder {
        self.source = Source::Tenant(tenant);
        self
    }

    /// Misbehaves as `fault` says (default: `Fault::None`).
    pub fn fault(mut self, fault: Fault) -> Builder {
        self.fault = fault;
        self
    }

    /// Registers a certificate (DER) as a certificate credential of the application:
    /// client assertions signed with its key are accepted.
    pub fn certificate(mut self, der: Vec<u8>) -> Builder {
        self.certificates.push(der);
        self
    }

    /// Listens on this port for the Graph endpoints (default 0: any free port).
    pub fn port(mut self, port: u16) -> Builder {
        self.port = port;
        self
    }

    /// Reshapes the tenant's reports (several variants apply in the order given).
    pub fn variant(mut self, variant: Variant) -> Builder {
        self.variants.push(variant);
        self
    }

    /// How downloads mark the end of their body (default `Framing::Length`).
    pub fn framing(mut self, framing: Framing) -> Builder {
        self.framing = framing;
        self
    }

    /// Message trace's volume, lag and throttling (default `TraceSettings::default()`).
    pub fn traces(mut self, traces: TraceSettings) -> Builder {
        self.traces = traces;
        self
    }

    /// How mail behaves: mailboxes, delivery delay, loss and junk rates, paging, clock
    /// (default `MailSettings::default()`).
    pub fn mail(mut self, mail: MailSettings) -> Builder {
        self.mail = mail;
        self
    }

    /// Binds both listeners on 127.0.0.1 and starts serving.
    pub fn start(self) -> io::Result<MockGraph> {
        let mut tenant = match self.source {
            Source::Dir(dir) => Tenant::from_dir(&dir)?,
            Source::Tenant(tenant) => tenant,
        };
        for variant in &self.variants {
            tenant = variant.apply(tenant);
        }
        let graph = Arc::new(listen(self.port)?);
        let port_of = |server: &Server| {
            server.server_addr().to_ip().map(|a| a.port()).ok_or_else(|| io::Error::other("not an IP listener"))
        };
        let graph_port = port_of(&graph)?;
        let mut registered = Vec::new();
        for der in &self.certificates {
            registered.push(
                entra::Registered::from_der(der)
                    .ok_or_else(|| io::Error::other("a registered certificate is not an RSA certificate"))?,
            );
        }
        // Downloads that end with the connection have a plain TCP host of their own.
        let (download, raw, download_port) = if self.framing.raw() {
            let listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
            let port = listener.local_addr()?.port();
            (None, Some(listener), port)
        } else {
            let server = Arc::new(listen(0)?);
            let port = port_of(&server)?;
            (Some(server), None, port)
        };
        let shared = Arc::new(
            handler::Shared::new(
                &tenant,
                self.fault,
                self.framing,
                registered,
                self.traces,
                self.mail,
                (graph_port, download_port),
            )
            .with_domains(domains::tenant()),
        );
        let mut mock = MockGraph { shared, graph_port, servers: vec![], listeners: vec![], raw_port: None };
        if let Some(listener) = raw {
            let shared = Arc::clone(&mock.shared);
            mock.raw_port = Some(download_port);
            mock.listeners.push(std::thread::spawn(move || rawhost::serve(listener, shared)));
        }
        let servers = [Some(graph).map(|s| (s, Host::Graph)), download.map(|s| (s, Host::Download))];
        for (server, host) in servers.into_iter().flatten() {
            let shared = Arc::clone(&mock.shared);
            let listener = Arc::clone(&server);
            mock.listeners.push(std::thread::spawn(move || {
                loop {
                    match listener.recv() {
                        Ok(rq) => {
                            let flight = shared.in_flight();
                            std::thread::spawn(move || handler::handle(flight, host, rq));
                        }
                        // Drop unblocks recv with an error: the listener is done.
                        Err(_) if shared.is_stopping() => break,
                        // A failed accept ends that connection, not the listener.
                        Err(_) => {}
                    }
                }
            }));
            mock.servers.push(server);
        }
        Ok(mock)
    }
}

/// A server on 127.0.0.1:`port` whose connections send without delay. tiny_http
/// writes an answer's head and body separately; with Nagle's algorithm on, the body
/// of an answer on a reused connection waits for the client's delayed ACK (40 ms on
/// Linux), which would swamp any timing of the plugin. Linux hands TCP_NODELAY
/// down from the listening socket to the accepted ones.
fn listen(port: u16) -> io::Result<Server> {
    use std::os::fd::AsRawFd;
    let listener = std::net::TcpListener::bind(("127.0.0.1", port))?;
    let on: libc::c_int = 1;
    // SAFETY: a valid socket, and a c_int option value of the size given.
    let set = unsafe {
        libc::setsockopt(
            listener.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_NODELAY,
            (&on as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if set != 0 {
        return Err(io::Error::last_os_error());
    }
    Server::from_listener(listener, None).map_err(io::Error::other)
}

/// A running stand-in; it stops, and its threads end, when dropped.
pub struct MockGraph {
    shared: Arc<handler::Shared>,
    graph_port: u16,
    servers: Vec<Arc<Server>>,
    listeners: Vec<JoinHandle<()>>,
    /// The port of the plain TCP download host (`rawhost`), woken on drop.
    raw_port: Option<u16>,
}

impl MockGraph {
    /// Settings for a new stand-in: the `tenant40` fixture, no fault, any port.
    pub fn builder() -> Builder {
        Builder {
            source: Source::Dir([env!("CARGO_MANIFEST_DIR"), "tests", "fixtures", "tenant40"].iter().collect()),
            fault: Fault::None,
            port: 0,
            certificates: Vec::new(),
            variants: Vec::new(),
            traces: TraceSettings::default(),
            framing: Framing::default(),
            mail: MailSettings::default(),
        }
    }

    /// `http://127.0.0.1:PORT`: the `--login-endpoint` and `--graph-endpoint` to give the plugin.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.graph_port)
    }

    /// How many token requests came, whatever their answer.
    pub fn token_requests(&self) -> usize {
        self.shared.state().token_requests
    }

    /// The `scope` (v2.0) or `resource` (v1) of each token request, in order.
    pub fn token_scopes(&self) -> Vec<String> {
        self.shared.state().scopes.clone()
    }

    /// How many report calls came with a token (whatever the fault made of them).
    pub fn report_requests(&self) -> usize {
        self.shared.state().report_requests
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.shared.state().log.clone()
    }

    /// How many calls of the report `name` (`getMailboxUsageDetail`, ...) came with a token.
    pub fn report_calls(&self, name: &str) -> usize {
        self.shared.state().report_calls.get(name).copied().unwrap_or(0)
    }

    /// How many downloads of the report `name` were served.
    pub fn downloads(&self, name: &str) -> usize {
        self.shared.state().downloads.get(name).copied().unwrap_or(0)
    }

    /// How many message trace requests came with a token, whatever their answer.
    pub fn message_trace_requests(&self) -> usize {
        self.shared.state().trace_requests
    }

    /// Every message trace request with a token, as answered (window, counts by status).
    pub fn trace_log(&self) -> Vec<TraceCall> {
        self.shared.state().trace_log.clone()
    }

    /// The Unix time message trace's stream ends at: the mock's start.
    pub fn trace_anchor(&self) -> i64 {
        self.shared.anchor()
    }
}

/// `YYYY-MM-DD` of the UTC day `days` before today, for `Variant::RefreshDate`.
pub fn utc_date_days_ago(days: i64) -> String {
    calendar::civil(calendar::now().div_euclid(86_400) - days)
}

impl Drop for MockGraph {
    fn drop(&mut self) {
        self.shared.stop();
        for server in &self.servers {
            server.unblock();
        }
        if let Some(port) = self.raw_port {
            // Its accept returns on this connection and sees the mock stopping.
            let _ = std::net::TcpStream::connect(("127.0.0.1", port));
        }
        for listener in self.listeners.drain(..) {
            // A listener that panicked has nothing left to stop.
            let _ = listener.join();
        }
        self.shared.wait_idle(Duration::from_secs(5));
    }
}
