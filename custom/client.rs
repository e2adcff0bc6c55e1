//! What the Office 365 custom modes share: the Entra ID application options and their
//! checks, the token, and a GET that copes with Microsoft's answers. A custom mode
//! describes its API with a [`Setup`] and adds its own calls on top of [`Client`].
//!
//! Where Perl misbehaves this does better, deliberately, for every custom mode:
//!
//! * the bearer token goes only to the API endpoint's scheme/host/port, never to a
//!   host a call redirects to (the pre-authenticated report download host);
//! * 429 and 503 are retried after `Retry-After` (or 1 s, 2 s, 4 s) while the
//!   `--timeout` budget allows, at most [`MAX_ATTEMPTS`] requests;
//! * a 401 `InvalidAuthenticationToken` gets one fresh token and one retry;
//! * an answer that is not what was expected (HTML, transport failure) is an error
//!   saying what happened, never partial data.

use std::fmt;
use std::time::{Duration, Instant};

use centreon_plugin::debug::DebugLog;
use centreon_plugin::error::{Error, Result};
use centreon_plugin::http::{self, same_origin, HttpClient, Method, Request, Response, Url};
use centreon_plugin::options::{OptionSection, Text, Values};
use centreon_plugin::registry::Env;
use centreon_plugin::statefile::{self, Placement};
use serde_json::{Map, Value};

use crate::custom::certificate::{self, CertificateFiles, ClientCertificate};
use crate::custom::cloud::{self, Cloud, Known};
use crate::custom::report;
use crate::custom::retry::{gave_up, retry_after, wait_fits, Refused, MAX_ATTEMPTS};
use crate::custom::token::{self, Audience, Credentials, Secret, TokenProvider};

/// `--tenant`; every option of [`sections`] but `--timeout` is documented by the
/// custom mode's [`Setup::option_docs`], as it says which API it is for.
pub const TENANT: Text = Text::new("tenant", "");
/// `--client-id`.
pub const CLIENT_ID: Text = Text::new("client-id", "");
/// `--client-secret`.
pub const CLIENT_SECRET: Text = Text::new("client-secret", "");
/// `--login-endpoint`. No declared default: it depends on `--cloud` (see `endpoints`).
pub const LOGIN_ENDPOINT: Text = Text::new("login-endpoint", "");
/// `--timeout`, in seconds.
pub const TIMEOUT: Text = Text::new(
    "timeout",
    "Set the time limit in seconds of the whole check: connections, downloads, \
     retries and redirects (default: 10).",
)
.default(TIMEOUT_DEFAULT);
/// Default of `--timeout`, in seconds.
const TIMEOUT_DEFAULT: &str = "10";

/// Redirects followed at most (LWP's limit).
const MAX_REDIRECTS: u32 = 7;
/// The largest error answer read for a message.
const ERROR_LIMIT: u64 = 64 * 1024;
/// The largest JSON answer read; a page of 100 services with their issues is a few
/// hundred kilobytes.
const JSON_LIMIT: u64 = 32 * 1024 * 1024;

/// What distinguishes one custom mode's API from another's; everything else (options,
/// token cache, retries, error texts) is common.
#[derive(Debug)]
pub struct Setup {
    /// The `--custommode` name; it also names the token cache file.
    pub custom_mode: &'static str,
    /// Default of `--login-endpoint` in the global cloud.
    pub login_default: &'static str,
    /// The path of the token endpoint under `<login>/<tenant>/`.
    pub token_path: &'static str,
    /// The option giving the API's base URL (`--graph-endpoint`); its help is
    /// [`Setup::option_docs`]' last.
    pub endpoint_option: &'static Text,
    /// Its default.
    pub endpoint_default: &'static str,
    /// What the token is asked for, from the API's base URL.
    pub audience: fn(&str) -> Audience,
    /// The API in messages (`Graph endpoint` → `Graph endpoint API return error code …`).
    pub name: &'static str,
    /// Whoever answers on another origin after a redirect, in messages.
    pub elsewhere: &'static str,
    /// The paragraphs heading the options in `--help`.
    pub intro: &'static [&'static str],
    /// The help of `--tenant`, `--client-id`, `--client-secret`, `--login-endpoint`
    /// and the endpoint option, in that order: they say which API they are for.
    pub option_docs: [&'static str; 5],
    /// The login endpoint and API base URL of each of Microsoft's clouds (`--cloud`);
    /// `None` for an API known in the global cloud only, where another cloud is refused.
    pub national: Option<CloudEndpoints>,
}

/// The login endpoint and API base URL of an API in a cloud.
pub type CloudEndpoints = fn(Cloud) -> (&'static str, &'static str);

/// The options of a custom mode, then the HTTP and retention sections every custom
/// mode uses.
pub fn sections(setup: &Setup) -> Vec<OptionSection> {
    let [tenant, client_id, client_secret, login, endpoint] = setup.option_docs;
    let mut rest = OptionSection::new(
        "REST API OPTIONS",
        vec![
            TENANT.spec().documented(tenant),
            CLIENT_ID.spec().documented(client_id),
            CLIENT_SECRET.spec().documented(client_secret),
        ]
        .into_iter()
        .chain(certificate::options())
        .chain([
            LOGIN_ENDPOINT.spec().documented(login),
            setup.endpoint_option.spec().documented(endpoint),
            Cloud::option(if setup.national.is_some() { Known::All } else { Known::GlobalOnly }),
            TIMEOUT.spec(),
        ])
        .collect(),
    );
    for paragraph in setup.intro {
        rest = rest.intro(paragraph);
    }
    let mut all = vec![rest];
    all.extend(http::sections());
    all.push(statefile::section());
    all
}

/// What one kind of call adds to a plain GET: headers of its own, and what the API's
/// documentation says a refusal of that call means.
#[derive(Debug, Clone, Copy)]
pub struct Call {
    /// Headers sent with it besides the common ones (`Prefer: …`).
    pub headers: &'static [(&'static str, &'static str)],
    /// From a final refusal's HTTP status and API error code, what to do about it;
    /// it heads the error (`HINT: Graph endpoint API return error code …`).
    pub explain: fn(u16, Option<&str>) -> Option<&'static str>,
}

impl Call {
    /// A plain GET: no header of its own, no explanation.
    pub const PLAIN: Call = Call { headers: &[], explain: |_, _| None };

    /// `error`, headed by what this call's documentation says of a refusal with
    /// `status` and `code`.
    fn explained(&self, status: u16, code: Option<&str>, error: Error) -> Error {
        match (self.explain)(status, code) {
            Some(hint) => error.context(hint),
            None => error,
        }
    }
}

/// An authenticated client of one API. It logs into the run's `--debug` log and adds
/// to the run's notices directly, as things happen.
pub struct Client {
    base: Url,
    base_text: String,
    http: HttpClient,
    tokens: TokenProvider,
    placement: Placement,
    debug: DebugLog,
    deadline: Instant,
    tenant: String,
    cloud: Cloud,
    option: &'static str,
    name: &'static str,
    elsewhere: &'static str,
}

impl Client {
    /// Checks the options (mandatory ones first, with Perl's messages) and prepares
    /// the client; its deadline is the run's, narrowed to `--timeout` from now. No
    /// request is made.
    pub fn new(setup: &Setup, env: &Env<'_>) -> Result<Self> {
        let (values, debug) = (env.values, env.debug);
        let need = |option: &Text| {
            values
                .non_empty(option)
                .map(str::to_string)
                .ok_or_else(|| Error::new(format!("Need to specify --{} option.", option.name())))
        };
        // The mandatory options are checked in Perl's order: tenant, client id, secret.
        let tenant = need(&TENANT)?;
        let client_id = need(&CLIENT_ID)?;
        let password = values.non_empty(&certificate::PASSWORD);
        for secret in values.non_empty(&CLIENT_SECRET).into_iter().chain(password) {
            debug.secret(secret);
            debug.secret(&http::percent_encode(secret));
        }
        let secret = credential(values)?;
        let credentials = Credentials { tenant, client_id, secret };
        let timeout = parse_timeout(values.value(&TIMEOUT).unwrap_or(TIMEOUT_DEFAULT))?;
        let deadline = Instant::now().checked_add(timeout).map_or(env.deadline, |limit| env.deadline.min(limit));
        centreon_plugin::budget::set_deadline(deadline, timeout);
        let cloud = Cloud::parse(values.value(&cloud::CLOUD))?;
        let (login_base, base_text) = endpoints(setup, values, cloud)?;
        let token_url =
            endpoint_url(LOGIN_ENDPOINT.name(), &format!("{login_base}/{}/{}", credentials.tenant, setup.token_path))?;
        let base = endpoint_url(setup.endpoint_option.name(), &format!("{base_text}/"))?;
        if let Secret::Certificate(certificate) = &credentials.secret {
            if let Some(detail) = certificate.check_validity(unix_now())? {
                env.notices.add_detail(detail);
            }
        }
        let placement = statefile::open(values, debug)?;
        let http = HttpClient::builder().timeout(timeout).deadline(deadline).from_values(values, debug)?.build()?;
        let cache = placement.file(&token::cache_name(setup.custom_mode, &credentials));
        let audience = (setup.audience)(&base_text);
        Ok(Client {
            tokens: TokenProvider::new(&credentials, &audience, &base_text, token_url, cache, env.notices.clone()),
            placement,
            base,
            base_text,
            http,
            debug: debug.clone(),
            deadline,
            tenant: credentials.tenant.clone(),
            cloud,
            option: setup.endpoint_option.name(),
            name: setup.name,
            elsewhere: setup.elsewhere,
        })
    }

    /// `<endpoint>/<path>`, the path inserted verbatim as Perl does (reports keep
    /// their literal `(period='D7')`).
    pub fn url(&self, path: &str) -> Result<Url> {
        endpoint_url(self.option, &format!("{}/{path}", self.base_text))
    }

    /// The API's base URL, as given (trailing slashes dropped) or the cloud's.
    pub fn endpoint(&self) -> &str {
        &self.base_text
    }

    /// Where this run keeps its statefiles (a directory, or Redis / memcached).
    pub fn placement(&self) -> &Placement {
        &self.placement
    }

    /// When every call of the check must be over.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// `--tenant`, as given (some APIs take it in their paths).
    pub fn tenant(&self) -> &str {
        &self.tenant
    }

    /// `--cloud`: what the API offers may depend on it.
    pub fn cloud(&self) -> Cloud {
        self.cloud
    }

    /// GETs `url` until it answers 200 (redirects followed without the token,
    /// throttling retried, an expired token replaced once) and returns the answer
    /// with its body still to read, telling an API that is only unavailable for now
    /// (still throttling or failing after the retries) from one that refuses: for a
    /// download that an older copy may stand in for.
    pub fn get_or_unavailable(&mut self, url: Url) -> std::result::Result<Response, Refused> {
        self.attempt(url, &Call::PLAIN)
    }

    /// [`Client::get_or_unavailable`] for a `call` of its own kind (its headers sent,
    /// its refusals explained), any failure being the error it describes.
    pub fn get_with(&mut self, url: Url, call: &Call) -> Result<Response> {
        self.attempt(url, call).map_err(|refused| refused.error)
    }

    fn attempt(&mut self, url: Url, call: &Call) -> std::result::Result<Response, Refused> {
        self.attempt_request(&Exchange { method: Method::Get, url, body: None, success: &[200] }, call)
    }

    /// Sends `method` to `url` with `body` (JSON) until it answers one of the
    /// `success` statuses, as [`Client::get_with`] does for a GET (throttling retried,
    /// an expired token replaced once; only a GET follows redirects). A refusal keeps
    /// the HTTP status and API error code, for the caller to explain with what it
    /// knows of the call (which mailbox, which permission).
    pub fn send(
        &mut self,
        method: Method,
        url: Url,
        body: Option<Vec<u8>>,
        success: &[u16],
    ) -> std::result::Result<Response, Refused> {
        self.attempt_request(&Exchange { method, url, body, success }, &Call::PLAIN)
    }

    fn attempt_request(&mut self, exchange: &Exchange<'_>, call: &Call) -> std::result::Result<Response, Refused> {
        let mut token = self.tokens.token(&self.http, &self.debug, self.deadline)?;
        let mut replaced = false;
        let mut attempts = 0;
        let mut backoff = Duration::from_secs(1);
        loop {
            attempts += 1;
            let mut response = self.exchange(exchange, &token, call.headers)?;
            let status = response.status();
            match status {
                _ if exchange.success.contains(&status) => return Ok(response),
                401 if !replaced => {
                    let (code, error) = self.answer_error(&mut response);
                    if code.as_deref() != Some("InvalidAuthenticationToken") {
                        let error = call.explained(status, code.as_deref(), error);
                        return Err(Refused { error, unavailable: None, status: Some(status), code });
                    }
                    self.debug.log("token: rejected as invalid, asking for a new one");
                    token = self.tokens.replace(&token, &self.http, &self.debug, self.deadline)?;
                    replaced = true;
                }
                429 | 503 => {
                    let wait = retry_after(&response).unwrap_or(backoff);
                    backoff = backoff.saturating_mul(2);
                    let (code, _) = self.answer_error(&mut response);
                    let fits = wait_fits(wait, self.deadline);
                    if attempts >= MAX_ATTEMPTS || !fits {
                        let error = self.throttled(&response, code.as_deref(), attempts, wait, fits);
                        let error = call.explained(status, code.as_deref(), error);
                        return Err(Refused { error, unavailable: Some(wait), status: Some(status), code });
                    }
                    self.debug.log(format!(
                        "throttled ({}): retrying in {} s",
                        response.status_line(),
                        wait.as_secs_f64()
                    ));
                    std::thread::sleep(wait);
                }
                _ => {
                    let wait = retry_after(&response).unwrap_or(Duration::ZERO);
                    let (code, error) = self.answer_error(&mut response);
                    let error = call.explained(status, code.as_deref(), error);
                    let unavailable = (status >= 500).then_some(wait);
                    return Err(Refused { error, unavailable, status: Some(status), code });
                }
            }
        }
    }

    /// GETs `url` (as [`Client::get_with`]) and decodes the answer as a JSON object; an
    /// object with an `error` is that error, in Perl's words.
    pub fn get_json(&mut self, url: Url) -> Result<Map<String, Value>> {
        self.get_json_with(url, &Call::PLAIN)
    }

    /// [`Client::get_json`] for a `call` of its own kind (see [`Client::get_with`]).
    pub fn get_json_with(&mut self, url: Url, call: &Call) -> Result<Map<String, Value>> {
        let response = self.get_with(url, call)?;
        self.json_answer(response)
    }

    /// The JSON object an answer holds (see [`Client::get_json`]), read whole.
    pub fn json_answer(&mut self, mut response: Response) -> Result<Map<String, Value>> {
        let who = self.who(response.url());
        let text = response
            .text(JSON_LIMIT + 1)
            .map_err(|e| Error::new(format!("{who} answered {}: {e}", response.status_line())))?;
        if text.len() as u64 > JSON_LIMIT {
            return Err(Error::new(format!(
                "{who} answered {} with more than {JSON_LIMIT} bytes of JSON",
                response.status_line()
            )));
        }
        self.debug.log(&text);
        match serde_json::from_str::<Value>(&text) {
            Ok(Value::Object(answer)) => match self.json_error(&answer) {
                Some((_, error)) => Err(error),
                None => Ok(answer),
            },
            Ok(_) => Err(Error::new(format!(
                "Cannot decode json response: {who} answered {} with JSON that is not an object: {}",
                response.status_line(),
                self.excerpt(&text)
            ))),
            Err(e) => Err(Error::new(format!(
                "Cannot decode json response: {who} answered {}: {e}: {}",
                response.status_line(),
                self.excerpt(&text)
            ))),
        }
    }

    /// Sends one `exchange` with `headers` besides the common ones: a GET follows
    /// redirects (see [`Client::get_following`]), any other method is sent once, to
    /// the API endpoint only.
    fn exchange(&self, exchange: &Exchange<'_>, token: &str, headers: &[(&str, &str)]) -> Result<Response> {
        let url = &exchange.url;
        let mut request = match exchange.method {
            Method::Get => return self.get_following(url.clone(), token, headers),
            Method::Post => Request::post(url.clone(), exchange.body.clone().unwrap_or_default())
                .header("Content-Type", "application/json"),
            Method::Delete => Request::delete(url.clone()),
        };
        if !same_origin(url, &self.base) {
            return Err(Error::new(format!("{}: {url} is not on the API endpoint", self.name)));
        }
        request = request.header("Accept", "application/json").header("Authorization", &format!("Bearer {token}"));
        for (name, value) in headers {
            request = request.header(name, value);
        }
        self.http.send(request, &self.debug).map_err(|e| Error::new(format!("{} request failed: {e}", self.who(url))))
    }

    /// GETs `url` with `headers` besides the common ones, following redirects itself:
    /// the token is sent only to the API endpoint's origin.
    fn get_following(&self, mut url: Url, token: &str, headers: &[(&str, &str)]) -> Result<Response> {
        for _ in 0..=MAX_REDIRECTS {
            let mut request = Request::get(url.clone())
                .header("Accept", "application/json")
                .header("Content-Type", "application/x-www-form-urlencoded");
            for (name, value) in headers {
                request = request.header(name, value);
            }
            if same_origin(&url, &self.base) {
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

    /// Who answered: the API endpoint, or the host a call redirected to.
    fn who(&self, url: &Url) -> &'static str {
        if same_origin(url, &self.base) {
            self.name
        } else {
            self.elsewhere
        }
    }

    /// The error a JSON answer carries, with its code: `error.code` (API errors) or
    /// `error` itself when it is a string.
    fn json_error(&self, answer: &Map<String, Value>) -> Option<(String, Error)> {
        let code = match answer.get("error")? {
            Value::Object(error) => {
                if let Some(message) = error.get("message").and_then(Value::as_str) {
                    self.debug.log(format!("Error message : {message}"));
                }
                error.get("code").and_then(Value::as_str).map(str::to_string)?
            }
            Value::String(code) => code.clone(),
            _ => return None,
        };
        let error = Error::new(format!(
            "{} API return error code '{code}' (add --debug option for detailed message)",
            self.name
        ));
        Some((code, error))
    }

    /// The error for a non-200 answer, and the API's error code when it gave one:
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
            if let Some((code, error)) = self.json_error(&answer) {
                return (Some(code), error);
            }
        }
        let kind = response.content_type().map(|t| format!(" ({t})")).unwrap_or_default();
        let body = self.excerpt(&text);
        let error = if body.is_empty() {
            Error::new(format!("{who} answered {}{kind} with an empty body", response.status_line()))
        } else {
            Error::new(format!("{who} answered {}{kind}: {body}", response.status_line()))
        };
        (None, error)
    }

    /// The start of an answer's body for a message, the token and the secret masked
    /// before it is cut (an error page may echo the request), as is whatever follows
    /// `Bearer ` (a token this run does not know).
    fn excerpt(&self, text: &str) -> String {
        report::snippet(mask_bearer(&self.debug.mask(text)).as_bytes())
    }

    /// The error once throttling outlasts the retries or the time budget.
    fn throttled(&self, response: &Response, code: Option<&str>, attempts: u32, wait: Duration, fits: bool) -> Error {
        let code = code.map(|c| format!(", error code '{c}'")).unwrap_or_default();
        let why = gave_up(attempts, wait, fits);
        Error::new(format!("{} is throttling ({}{code}): {why}", self.name, response.status_line()))
    }
}

/// One request as [`Client::send`] retries it.
struct Exchange<'a> {
    method: Method,
    url: Url,
    body: Option<Vec<u8>>,
    /// The statuses that end the call.
    success: &'a [u16],
}

/// The time an answer was given by the API's clock, from its `Date` header (Unix
/// seconds); `None` without a readable one. What a service measures against its own
/// timestamps (a message's `sentDateTime`) is best measured on that clock too.
pub fn answer_time(response: &Response) -> Option<i64> {
    let date = httpdate::parse_http_date(response.header("date")?.trim()).ok()?;
    let secs = date.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
    i64::try_from(secs).ok()
}

/// Shows where the client goes, never its token.
impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client").field("api", &self.name).field("base", &self.base_text).finish_non_exhaustive()
    }
}

/// `item` as a JSON object, else an error saying that `who` (the API) gave a `what`
/// that is not one.
pub fn json_object<'v>(item: &'v Value, who: &str, what: &str) -> Result<&'v Map<String, Value>> {
    item.as_object().ok_or_else(|| Error::new(format!("{who} gave a {what} that is not an object: {item}")))
}

/// A text field of a JSON object: a number or boolean as JSON writes it, absent or
/// null as empty (Perl printed an undefined value as nothing).
pub fn json_text(object: &Map<String, Value>, key: &str) -> String {
    match object.get(key) {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// The application's proof of identity: `--client-secret` or `--client-certificate`
/// (read and checked now, so that a wrong file is reported before any request), never
/// both; with neither, Perl's message asks for the secret.
fn credential(values: &Values) -> Result<Secret> {
    let files = values.non_empty(&certificate::CERTIFICATE).map(|path| CertificateFiles {
        certificate: path,
        key: values.non_empty(&certificate::KEY),
        password: values.non_empty(&certificate::PASSWORD),
    });
    match (values.non_empty(&CLIENT_SECRET), files) {
        (Some(_), Some(_)) => Err(Error::new(format!(
            "--client-secret and --{} exclude each other: give one of them",
            certificate::CERTIFICATE_OPTION
        ))),
        (Some(secret), None) => {
            if values.non_empty(&certificate::KEY).is_some() {
                return Err(key_without_certificate());
            }
            Ok(Secret::ClientSecret(secret.to_string()))
        }
        (None, Some(files)) => Ok(Secret::Certificate(Box::new(ClientCertificate::load(files)?))),
        (None, None) if values.non_empty(&certificate::KEY).is_some() => Err(key_without_certificate()),
        (None, None) => Err(Error::new("Need to specify --client-secret option.").hint(format!(
            "hint: or authenticate with a certificate uploaded to the application: --{}=FILE (with --{} when \
             FILE holds no key, --{} when it is encrypted)",
            certificate::CERTIFICATE_OPTION,
            certificate::KEY_OPTION,
            certificate::PASSWORD_OPTION
        ))),
    }
}

fn key_without_certificate() -> Error {
    Error::new(format!("--{} needs --{}", certificate::KEY_OPTION, certificate::CERTIFICATE_OPTION))
}

/// The login endpoint and the API's base URL: a given option wins over the cloud's
/// endpoint, and loses its trailing slashes (`https://graph.microsoft.com/` makes the
/// same URLs and token scope as `https://graph.microsoft.com`).
fn endpoints(setup: &Setup, values: &Values, cloud: Cloud) -> Result<(String, String)> {
    let (login, api) = match (cloud, setup.national) {
        (Cloud::Global, _) => (setup.login_default, setup.endpoint_default),
        (cloud, Some(national)) => national(cloud),
        (cloud, None) => {
            return Err(Error::new(format!(
                "--cloud={}: --custommode={} knows the global cloud only; use --custommode=graphapi in \
                 Microsoft's national clouds",
                cloud.name(),
                setup.custom_mode
            )))
        }
    };
    let pick = |option: &Text, cloud_value: &str| {
        values.non_empty(option).unwrap_or(cloud_value).trim_end_matches('/').to_string()
    };
    Ok((pick(&LOGIN_ENDPOINT, login), pick(setup.endpoint_option, api)))
}

/// The current Unix time in seconds.
fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// The longest `--timeout`, in seconds: a day, far beyond any poller's check slot.
const MAX_TIMEOUT: u64 = 86_400;

/// `--timeout`: a whole number of seconds written in digits, from 1 to [`MAX_TIMEOUT`]
/// (spaces around it ignored). Anything else (`-1`, `1e308`, `0.5`, `10s`) is refused
/// rather than read as some other number of seconds.
fn parse_timeout(raw: &str) -> Result<Duration> {
    let text = raw.trim();
    let seconds = (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse::<u64>().ok())
        .flatten()
        .filter(|secs| (1..=MAX_TIMEOUT).contains(secs));
    seconds.map(Duration::from_secs).ok_or_else(|| {
        Error::new(format!(
            "Invalid --timeout value '{raw}': a whole number of seconds from 1 to {MAX_TIMEOUT} is expected"
        ))
    })
}

/// Parses an endpoint-derived URL, naming the option on failure.
fn endpoint_url(option: &str, text: &str) -> Result<Url> {
    let url = Url::parse(text).map_err(|e| Error::new(format!("Invalid --{option} URL '{text}': {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::new(format!("Invalid --{option} URL '{text}': http or https expected")));
    }
    Ok(url)
}

/// `text` with the word after each `Bearer ` (any case) replaced by `***`.
pub fn mask_bearer(text: &str) -> String {
    const SCHEME: &str = "bearer ";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.to_ascii_lowercase().find(SCHEME) {
        let after = at + SCHEME.len();
        out.push_str(&rest[..after]);
        let value = &rest[after..];
        let end =
            value.find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ',' | '<' | '&')).unwrap_or(value.len());
        if end > 0 {
            out.push_str("***");
        }
        rest = &value[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_values_are_masked() {
        assert_eq!(mask_bearer("Authorization: Bearer eyJ0.x-y_z, next"), "Authorization: Bearer ***, next");
        assert_eq!(mask_bearer("\"bearer abc\" and BEARER  x"), "\"bearer ***\" and BEARER  x");
        assert_eq!(mask_bearer("Bearer"), "Bearer");
        assert_eq!(mask_bearer("no token"), "no token");
    }

    #[test]
    fn timeout_is_whole_seconds_from_one_to_a_day() {
        assert_eq!(parse_timeout("10").expect("10"), Duration::from_secs(10));
        assert_eq!(parse_timeout(" 30 ").expect("30"), Duration::from_secs(30));
        assert_eq!(parse_timeout("86400").expect("a day"), Duration::from_secs(86_400));
        for refused in
            ["0", "-0", "-1", "1e308", "1e-300", "0.0001", "2.5", "x30s", "10s", "86401", "", "99999999999999999999999"]
        {
            let error = parse_timeout(refused).expect_err(refused);
            assert_eq!(
                error.message(),
                format!("Invalid --timeout value '{refused}': a whole number of seconds from 1 to 86400 is expected")
            );
        }
    }
}
