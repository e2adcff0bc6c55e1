//! Entra ID (Azure AD) client-credentials tokens and their cache, shared by the
//! Office 365 custom modes.
//!
//! The application proves who it is with a client secret or with a certificate (a
//! signed client assertion, see [`assertion`](crate::custom::assertion)).
//!
//! The cache is the Perl plugin's statefile (`office365_<custom mode>_<md5 tenant>_<md5
//! client id>`, fields `access_token`, `expires_on`, `last_timestamp`, `md5_secret`)
//! so Perl and Rust runs can take over each other's token. Unlike Perl:
//!
//! * a refresh happens under the statefile lock, after a second look at the cache:
//!   concurrent cold runs ask for one token, not one each;
//! * the cache also records the API endpoint and the scope the token was issued for
//!   (`endpoint`, `scope`): a token for another API endpoint is a cache miss, though the
//!   file name ignores them (the login endpoint alone does not matter, as in Perl);
//!   `md5_secret` is, for a certificate, the md5 of its thumbprint, so a token is
//!   reused with the credential that obtained it only;
//! * Entra ID's refusal names its cause: the `AADSTSnnnn` code and the first sentence
//!   of its description follow Perl's message;
//! * a throttled login endpoint (429 or 503, `Retry-After`, a plain-text body) is
//!   retried as Graph's own throttling is, within `--timeout`, and then counts as an
//!   API unavailable for now (a report cache may answer from an older copy).

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use md5::{Digest, Md5};
use serde_json::{Map, Value};

use centreon_plugin::debug::DebugLog;
use centreon_plugin::error::{Error, Result};
use centreon_plugin::http::{percent_encode, HttpClient, Request, Response, Url};
use centreon_plugin::notices::Notices;
use centreon_plugin::statefile::Statefile;

use crate::custom::assertion::{self, ASSERTION_TYPE};
use crate::custom::certificate::ClientCertificate;
use crate::custom::retry::{gave_up, retry_after, wait_fits, Refused, MAX_ATTEMPTS};

/// A cached token is refreshed when fewer seconds than this remain (Perl's margin).
const REFRESH_MARGIN: i64 = 10;

/// The largest token answer read; real ones are a few kilobytes.
const ANSWER_LIMIT: u64 = 1 << 20;

/// The longest wait for another run that is refreshing the same token.
const LOCK_WAIT: Duration = Duration::from_secs(5);

/// The longest a token may last: Entra ID issues them for one to a few hours. A
/// longer expiry, in an answer or in the cache, is not believed.
const MAX_LIFETIME: i64 = 24 * 3600;

/// How far a cached expiry may exceed [`MAX_LIFETIME`] from now: the clocks of
/// pollers sharing a statefile directory differ a little.
const SKEW: i64 = 60;

/// The longest cause quoted from Entra ID's error description.
const CAUSE_LIMIT: usize = 300;

/// The application's credentials, as given on the command line.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// `--tenant`: id or domain, inserted verbatim in the token URL.
    pub tenant: String,
    /// `--client-id`: inserted unencoded in the form, as Perl does.
    pub client_id: String,
    /// How the application proves who it is.
    pub secret: Secret,
}

/// The application's proof of identity.
#[derive(Debug, Clone)]
pub enum Secret {
    /// `--client-secret`, sent as is.
    ClientSecret(String),
    /// `--client-certificate`: each token request carries a fresh signed assertion.
    Certificate(Box<ClientCertificate>),
}

impl Secret {
    /// What the cache's `md5_secret` holds to tell which credential obtained a token:
    /// the md5 of the secret (Perl's), or of the certificate's `x5t#S256`.
    pub fn fingerprint(&self) -> String {
        match self {
            Secret::ClientSecret(secret) => md5_hex(secret),
            Secret::Certificate(certificate) => md5_hex(&format!("x5t#S256:{}", certificate.x5t_s256())),
        }
    }

    /// The texts no message may show: the secret, as given and form-encoded.
    fn hidden(&self) -> Vec<String> {
        match self {
            Secret::ClientSecret(secret) if secret.chars().count() >= centreon_plugin::debug::MIN_SECRET => {
                vec![secret.clone(), percent_encode(secret)]
            }
            _ => Vec::new(),
        }
    }
}

/// What a cached token must have been issued for to be reused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheKey {
    /// [`Secret::fingerprint`].
    pub md5_secret: String,
    /// The base URL of the API the token is for (`--graph-endpoint`).
    pub endpoint: String,
    /// The scope (v2.0) or resource (v1) it was asked for.
    pub scope: String,
}

/// What a token is asked for: the v2.0 endpoint takes a `scope`, the v1 endpoint a
/// `resource`; the form differs only in that last field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// `scope=` (v2.0 endpoint), e.g. `https://graph.microsoft.com/.default`.
    Scope(String),
    /// `resource=` (v1 endpoint), e.g. `https://manage.office.com`.
    Resource(String),
}

impl Audience {
    /// The form field and its value.
    fn field(&self) -> (&'static str, &str) {
        match self {
            Audience::Scope(scope) => ("scope", scope),
            Audience::Resource(resource) => ("resource", resource),
        }
    }
}

/// Gets tokens from the login endpoint and keeps them in the statefile.
#[derive(Debug)]
pub struct TokenProvider {
    token_url: Url,
    credentials: Credentials,
    audience: Audience,
    key: CacheKey,
    statefile: Statefile,
    checked: bool,
    /// The token this run got, so that a second report call reads no file; a
    /// token that expires during the run is refused by the API and replaced.
    current: Option<String>,
    /// Where a cache that could not be written is reported.
    notices: Notices,
}

impl TokenProvider {
    /// A provider posting `credentials` for `audience` to `token_url`, caching in
    /// `statefile` (see [`cache_name`]) tokens for the API at `endpoint`. The expiry is
    /// the answer's `expires_on` when it gives one (v1 endpoint), else now +
    /// `expires_in`. A cache that cannot be written is added to `notices`.
    pub fn new(
        credentials: &Credentials,
        audience: &Audience,
        endpoint: &str,
        token_url: Url,
        statefile: Statefile,
        notices: Notices,
    ) -> Self {
        let key = CacheKey {
            md5_secret: credentials.secret.fingerprint(),
            endpoint: endpoint.to_string(),
            scope: audience.field().1.to_string(),
        };
        TokenProvider {
            token_url,
            credentials: credentials.clone(),
            audience: audience.clone(),
            key,
            statefile,
            checked: false,
            current: None,
            notices,
        }
    }

    /// A valid token: the cached one while reusable, else a fresh one. The statefile
    /// is checked (Perl's messages) before its first use.
    pub fn token(
        &mut self,
        http: &HttpClient,
        debug: &DebugLog,
        deadline: Instant,
    ) -> std::result::Result<String, Refused> {
        if let Some(token) = &self.current {
            return Ok(token.clone());
        }
        let token = self.obtain(None, http, debug, deadline)?;
        self.current = Some(token.clone());
        Ok(token)
    }

    /// A token other than `rejected`, which the API refused as invalid: another run
    /// may already have replaced it, else a fresh one is requested.
    pub fn replace(
        &mut self,
        rejected: &str,
        http: &HttpClient,
        debug: &DebugLog,
        deadline: Instant,
    ) -> std::result::Result<String, Refused> {
        let token = self.obtain(Some(rejected), http, debug, deadline)?;
        self.current = Some(token.clone());
        Ok(token)
    }

    fn obtain(
        &mut self,
        rejected: Option<&str>,
        http: &HttpClient,
        debug: &DebugLog,
        deadline: Instant,
    ) -> std::result::Result<String, Refused> {
        if !self.checked {
            self.statefile.check()?;
            self.checked = true;
        }
        let cached = |file: &Statefile| {
            file.read()
                .and_then(|cache| reusable(&cache, now(), &self.key))
                .filter(|token| Some(token.as_str()) != rejected)
        };
        if rejected.is_none() {
            if let Some(token) = cached(&self.statefile) {
                debug.secret(&token);
                return Ok(token);
            }
        }
        let wait_until = Instant::now() + LOCK_WAIT.min(deadline.saturating_duration_since(Instant::now()) / 2);
        let notices = self.notices.clone();
        let lock = self.statefile.lock(wait_until, &mut |text| notices.add(text));
        if lock.is_none() {
            debug.log(format!(
                "token: could not lock '{}.lock', refreshing without it",
                self.statefile.path().display()
            ));
        }
        if let Some(token) = cached(&self.statefile) {
            debug.secret(&token);
            return Ok(token);
        }
        let (token, expires_on) = self.request(http, debug, deadline)?;
        let timestamp = now();
        let mut cache = Map::new();
        cache.insert("access_token".into(), Value::from(token.clone()));
        cache.insert("expires_on".into(), Value::from(expires_on));
        cache.insert("last_timestamp".into(), Value::from(timestamp));
        cache.insert("md5_secret".into(), Value::from(self.key.md5_secret.clone()));
        cache.insert("endpoint".into(), Value::from(self.key.endpoint.clone()));
        cache.insert("scope".into(), Value::from(self.key.scope.clone()));
        if let Err(message) = self.statefile.write(&cache) {
            self.notices.add(message.to_string());
        }
        drop(lock);
        Ok(token)
    }

    /// Posts the form; returns the token and its expiry (epoch seconds). A throttled
    /// answer (429, 503) is retried after `Retry-After` (else 1 s, 2 s, 4 s) while the
    /// wait fits before `deadline`, at most [`MAX_ATTEMPTS`] requests; then the login
    /// endpoint is unavailable for now.
    fn request(
        &self,
        http: &HttpClient,
        debug: &DebugLog,
        deadline: Instant,
    ) -> std::result::Result<(String, i64), Refused> {
        let hidden = self.credentials.secret.hidden();
        let mut backoff = Duration::from_secs(1);
        for attempt in 1..=MAX_ATTEMPTS {
            let form = token_form(&self.credentials, &self.audience, &self.token_url, now())?;
            let request = Request::post(self.token_url.clone(), form)
                .header("Accept", "application/json")
                .header("Content-Type", "application/x-www-form-urlencoded");
            let mut response =
                http.send(request, debug).map_err(|e| Error::new(format!("Login endpoint unreachable: {e}")))?;
            let text =
                response.text(ANSWER_LIMIT).map_err(|e| Error::new(format!("Login endpoint answer cut: {e}")))?;
            if !matches!(response.status(), 429 | 503) {
                let answer = parse_answer(&response, &mask(&text, &hidden), now(), debug);
                return answer.map_err(|e| Refused::from(redact(e, &hidden)));
            }
            debug.log(mask(&text, &hidden));
            let wait = retry_after(&response).unwrap_or(backoff);
            backoff = backoff.saturating_mul(2);
            let fits = wait_fits(wait, deadline);
            if attempt == MAX_ATTEMPTS || !fits {
                let why = gave_up(attempt, wait, fits);
                let error = Error::new(format!("Login endpoint is throttling ({}): {why}", response.status_line()));
                return Err(Refused { error, unavailable: Some(wait), status: Some(response.status()), code: None });
            }
            debug.log(format!("login throttled ({}): retrying in {} s", response.status_line(), wait.as_secs_f64()));
            std::thread::sleep(wait);
        }
        Err(Error::new("Login endpoint: no attempt made").into())
    }
}

/// `text` with every hidden text replaced by `***`: done before any excerpt is cut
/// from it, so that no part of a secret survives the cut.
fn mask(text: &str, hidden: &[String]) -> String {
    hidden.iter().fold(text.to_string(), |text, h| text.replace(h.as_str(), "***"))
}

/// `error` with every hidden text replaced by `***`.
fn redact(error: Error, hidden: &[String]) -> Error {
    if !hidden.iter().any(|h| error.message().contains(h.as_str())) {
        return error;
    }
    Error::new(hidden.iter().fold(error.message().to_string(), |text, h| text.replace(h.as_str(), "***")))
}

/// Reads the token endpoint's answer (whatever its status, as Perl does).
fn parse_answer(response: &Response, text: &str, now: i64, debug: &DebugLog) -> Result<(String, i64)> {
    let Ok(Value::Object(answer)) = serde_json::from_str::<Value>(text) else {
        debug.log(text);
        let kind = response.content_type().map(|t| format!(" ({t})")).unwrap_or_default();
        return Err(Error::new(format!(
            "Cannot decode json response: login endpoint answered {}{kind}: {}",
            response.status_line(),
            crate::custom::report::snippet(text.as_bytes())
        )));
    };
    if let Some(token) = answer.get("access_token").and_then(Value::as_str) {
        debug.secret(token);
    }
    debug.log(text);
    if let Some(error) = answer.get("error") {
        let code = match error {
            Value::String(code) => code.clone(),
            Value::Object(inner) => inner.get("code").and_then(Value::as_str).unwrap_or("").to_string(),
            other => other.to_string(),
        };
        if let Some(description) = answer.get("error_description").and_then(Value::as_str) {
            debug.log(format!("Error message : {description}"));
        }
        let cause = cause(&answer).map(|cause| format!(": {cause}")).unwrap_or_default();
        return Err(Error::new(format!(
            "Login endpoint API return error code '{code}' (add --debug option for detailed message){cause}"
        )));
    }
    grant(&answer, &response.status_line(), now)
}

/// The token and expiry (epoch seconds) of an answer without an error (`status`,
/// its status line, for messages), checked before anything is cached: a token must
/// be printable ASCII without spaces (it goes into a header), its expiry between now
/// and [`MAX_LIFETIME`] from now. An answer without an expiry gives a token for this
/// run only (it expires now).
fn grant(answer: &Map<String, Value>, status: &str, now: i64) -> Result<(String, i64)> {
    let token = match answer.get("access_token").and_then(Value::as_str) {
        Some(token) if !token.is_empty() => token.to_string(),
        _ => return Err(Error::new(format!("Login endpoint answered {status} without an access_token"))),
    };
    if !is_token(&token) {
        return Err(Error::new(
            "Login endpoint answered an access_token that is not a token (a character outside printable ASCII)",
        ));
    }
    let (field, raw, expires_on) = match (answer.get("expires_on"), answer.get("expires_in")) {
        (Some(on), _) if integer(on).is_some() => ("expires_on", on, integer(on)),
        (_, Some(lifetime)) => ("expires_in", lifetime, integer(lifetime).and_then(|l| now.checked_add(l))),
        _ => return Ok((token, now)),
    };
    match expires_on {
        Some(expires_on) if (now..=now + MAX_LIFETIME).contains(&expires_on) => Ok((token, expires_on)),
        _ => Err(Error::new(format!(
            "Login endpoint answered an expiry out of range ({field}: {raw}): a token lasts at most {MAX_LIFETIME} s"
        ))),
    }
}

/// Whether `text` can be a bearer token: printable ASCII, no space.
fn is_token(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_graphic())
}

/// Why Entra ID refused, in a few words: the `AADSTSnnnn` code and the first sentence
/// of `error_description` (`AADSTS7000215: Invalid client secret provided.`), enough to
/// tell a secret to rotate from a tenant id to fix. `None` when the answer says nothing.
fn cause(answer: &Map<String, Value>) -> Option<String> {
    let description = answer.get("error_description").and_then(Value::as_str).unwrap_or_default();
    let first_line = description.split(['\r', '\n']).next().unwrap_or_default().trim();
    let (code, text) = match first_line.split_once(':') {
        Some((code, text))
            if code.len() > 6 && code.starts_with("AADSTS") && code[6..].bytes().all(|b| b.is_ascii_digit()) =>
        {
            (Some(code.to_string()), text.trim())
        }
        _ => (None, first_line),
    };
    let code = code.or_else(|| {
        let first = answer.get("error_codes")?.as_array()?.first()?;
        first.as_u64().map(|n| format!("AADSTS{n}"))
    });
    let sentence = first_sentence(text);
    match (code, sentence.is_empty()) {
        (Some(code), false) => Some(format!("{code}: {sentence}")),
        (Some(code), true) => Some(code),
        (None, false) => Some(sentence),
        (None, true) => None,
    }
}

/// `text` up to its first full stop followed by a space (included), at most
/// [`CAUSE_LIMIT`] bytes.
fn first_sentence(text: &str) -> String {
    let end = text.find(". ").map_or(text.len(), |i| i + 1);
    let mut sentence = &text[..end];
    if sentence.len() > CAUSE_LIMIT {
        let mut cut = CAUSE_LIMIT;
        while !sentence.is_char_boundary(cut) {
            cut -= 1;
        }
        sentence = &sentence[..cut];
    }
    sentence.trim().to_string()
}

/// The cached token, when the cache holds one with at least [`REFRESH_MARGIN`]
/// seconds left (and no more than a token lasts: an expiry further ahead was
/// written under a clock set back, or not by this plugin), obtained with the same credential (`md5_secret`), for the same API
/// endpoint and scope. A field the cache lacks is not compared: Perl writes no
/// `endpoint` nor `scope`, and its older format no `md5_secret`.
pub fn reusable(cache: &Map<String, Value>, now: i64, key: &CacheKey) -> Option<String> {
    let token = cache.get("access_token")?.as_str().filter(|t| is_token(t))?;
    let left = cache.get("expires_on").and_then(integer)?.saturating_sub(now);
    if !(REFRESH_MARGIN..=MAX_LIFETIME + SKEW).contains(&left) {
        return None;
    }
    let same = |field: &str, expected: &str| match cache.get(field) {
        Some(stored) => stored.as_str() == Some(expected),
        None => true,
    };
    let issued_for_us =
        same("md5_secret", &key.md5_secret) && same("endpoint", &key.endpoint) && same("scope", &key.scope);
    issued_for_us.then(|| token.to_string())
}

/// The statefile name of a custom mode's token cache:
/// `office365_<custom mode>_<md5 tenant>_<md5 client id>`.
pub fn cache_name(custom_mode: &str, credentials: &Credentials) -> String {
    format!("office365_{custom_mode}_{}_{}", md5_hex(&credentials.tenant), md5_hex(&credentials.client_id))
}

/// The form body, fields in Perl's order; the client id is not encoded (as Perl). With
/// a certificate, `client_secret` gives way to a client assertion for `token_url`
/// (without its query, as Entra ID compares it), signed at `now`.
pub fn token_form(credentials: &Credentials, audience: &Audience, token_url: &Url, now: i64) -> Result<String> {
    let proof = match &credentials.secret {
        Secret::ClientSecret(secret) => format!("client_secret={}", percent_encode(secret)),
        Secret::Certificate(certificate) => {
            let mut audience_url = token_url.clone();
            audience_url.set_query(None);
            let jwt = assertion::client_assertion(certificate, &credentials.client_id, audience_url.as_str(), now)?;
            format!("client_assertion_type={}&client_assertion={jwt}", percent_encode(ASSERTION_TYPE))
        }
    };
    let (field, value) = audience.field();
    Ok(format!(
        "grant_type=client_credentials&client_id={}&{proof}&{field}={}",
        credentials.client_id,
        percent_encode(value)
    ))
}

/// The md5 of `text`'s bytes, lower-case hex (Perl's `md5_hex`).
pub fn md5_hex(text: &str) -> String {
    format!("{:x}", Md5::digest(text.as_bytes()))
}

/// A JSON integer, or a string of one (the v1 endpoint's `expires_on`).
fn integer(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The current Unix time in seconds.
fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credentials() -> Credentials {
        Credentials { tenant: "t1".into(), client_id: "c1".into(), secret: Secret::ClientSecret("s3cr3t+/=&?".into()) }
    }

    fn cache(json: &str) -> Map<String, Value> {
        serde_json::from_str(json).expect("json")
    }

    fn url(text: &str) -> Url {
        Url::parse(text).expect("url")
    }

    #[test]
    fn cache_name_matches_perl() {
        assert_eq!(
            cache_name("graphapi", &credentials()),
            "office365_graphapi_83f1535f99ab0bf4e9d02dfd85d3e3f7_a9f7e97965d6cf799a529102a973b8b9"
        );
    }

    #[test]
    fn form_matches_perl_capture() {
        let token_url = url("http://127.0.0.1:8080/t1/oauth2/v2.0/token");
        let form = |audience: Audience| token_form(&credentials(), &audience, &token_url, 0).expect("form");
        assert_eq!(
            form(Audience::Scope("http://127.0.0.1:8080/.default".into())),
            "grant_type=client_credentials&client_id=c1&client_secret=s3cr3t%2B%2F%3D%26%3F&scope=http%3A%2F%2F127.0.0.1%3A8080%2F.default"
        );
        let default = form(Audience::Scope("https://graph.microsoft.com/.default".into()));
        assert!(default.ends_with("&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default"));
        let v1 = form(Audience::Resource("https://manage.office.com".into()));
        assert!(v1.ends_with("&client_secret=s3cr3t%2B%2F%3D%26%3F&resource=https%3A%2F%2Fmanage.office.com"), "{v1}");
    }

    #[test]
    fn reuse_rules() {
        let key = CacheKey {
            md5_secret: md5_hex("s3cr3t+/=&?"),
            endpoint: "https://graph".into(),
            scope: "https://graph/.default".into(),
        };
        let now = 1_795_719_593;
        let with = |expires: i64, secret: &str| {
            cache(&format!(
                r#"{{"access_token":"tok","expires_on":{expires},"md5_secret":"{secret}","endpoint":"{}","scope":"{}"}}"#,
                key.endpoint, key.scope
            ))
        };
        let md5 = key.md5_secret.as_str();
        assert_eq!(reusable(&with(now + 11, md5), now, &key), Some("tok".into()), "11 s left: reuse");
        assert_eq!(reusable(&with(now + 9, md5), now, &key), None, "9 s left: refresh");
        assert_eq!(reusable(&with(now + 3600, "0000"), now, &key), None, "secret changed");
        let elsewhere = CacheKey { endpoint: "https://graph.microsoft.us".into(), ..key.clone() };
        assert_eq!(reusable(&with(now + 3600, md5), now, &elsewhere), None, "another API endpoint");
        let other_scope = CacheKey { scope: "https://graph.microsoft.us/.default".into(), ..key.clone() };
        assert_eq!(reusable(&with(now + 3600, md5), now, &other_scope), None, "another API");
        let perl = cache(&format!(r#"{{"access_token":"tok","expires_on":{},"md5_secret":"{md5}"}}"#, now + 3600));
        assert_eq!(reusable(&perl, now, &key), Some("tok".into()), "Perl's cache: no endpoint to compare");
        let old_format = cache(&format!(r#"{{"access_token":"tok","expires_on":{}}}"#, now + 3600));
        assert_eq!(reusable(&old_format, now, &key), Some("tok".into()), "no md5_secret: reused");
        let string_expiry = cache(&format!(r#"{{"access_token":"tok","expires_on":"{}"}}"#, now + 3600));
        assert_eq!(reusable(&string_expiry, now, &key), Some("tok".into()), "managementapi's string expiry");
        assert_eq!(reusable(&cache(r#"{"expires_on":1}"#), 0, &key), None, "no token");
    }

    /// A token answer read as the client reads it, at `now`.
    fn answer(json: &str, now: i64) -> Result<(String, i64)> {
        grant(&cache(json), "200 OK", now)
    }

    #[test]
    fn answers_are_validated_before_caching() {
        let now = 1_795_719_593;
        let good = answer(r#"{"access_token":"eyJ0.eyJ1.sig-_","expires_in":3599}"#, now).expect("a token");
        assert_eq!(good, ("eyJ0.eyJ1.sig-_".to_string(), now + 3599));
        for token in [r"tok\u0001en", "tok en", r"tok\nen", r"tok\u007fen", "tök"] {
            let json = format!(r#"{{"access_token":"{token}","expires_in":3599}}"#);
            let error = answer(&json, now).expect_err(token);
            assert_eq!(
                error.message(),
                "Login endpoint answered an access_token that is not a token (a character outside printable ASCII)"
            );
        }
        for expiry in [
            r#""expires_in":9223372036854775807"#,
            r#""expires_in":1e300"#,
            r#""expires_in":-5"#,
            r#""expires_in":864000"#,
            r#""expires_on":-9223372036854775808"#,
            r#""expires_on":"99999999999""#,
        ] {
            let json = format!(r#"{{"access_token":"tok",{expiry}}}"#);
            let error = answer(&json, now).expect_err(expiry);
            assert!(error.message().starts_with("Login endpoint answered an expiry out of range"), "{expiry}: {error}");
        }
    }

    #[test]
    fn cached_tokens_out_of_range_are_misses() {
        let key = CacheKey { md5_secret: String::new(), endpoint: String::new(), scope: String::new() };
        let now = 1_795_719_593;
        for json in [
            r#"{"access_token":"tok","expires_on":-9223372036854775808}"#.to_string(),
            format!(r#"{{"access_token":"tok","expires_on":{}}}"#, now + 10 * 365 * 86_400),
            format!(r#"{{"access_token":"to\u0001k","expires_on":{}}}"#, now + 3600),
        ] {
            assert_eq!(reusable(&cache(&json), now, &key), None, "{json}");
        }
    }

    #[test]
    fn causes_quote_the_code_and_first_sentence() {
        let cases = [
            (
                r#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value.\r\nTrace ID: 1\r\nCorrelation ID: 2","error_codes":[7000215]}"#,
                Some("AADSTS7000215: Invalid client secret provided."),
            ),
            (
                r#"{"error":"invalid_request","error_description":"AADSTS90002: Tenant 'x.example' not found. Check to make sure you have the correct tenant ID."}"#,
                Some("AADSTS90002: Tenant 'x.example' not found."),
            ),
            (
                r#"{"error":"invalid_client","error_description":"AADSTS700027: The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found.]"}"#,
                Some("AADSTS700027: The certificate with identifier used to sign the client assertion is not registered on application."),
            ),
            (r#"{"error":"invalid_client","error_codes":[7000222]}"#, Some("AADSTS7000222")),
            (r#"{"error":"invalid_client","error_description":"Bad request"}"#, Some("Bad request")),
            (r#"{"error":"invalid_client"}"#, None),
        ];
        for (json, expected) in cases {
            assert_eq!(cause(&cache(json)).as_deref(), expected, "{json}");
        }
        let long = format!(r#"{{"error_description":"AADSTS1: {}"}}"#, "é".repeat(400));
        assert!(cause(&cache(&long)).expect("cause").len() <= CAUSE_LIMIT + "AADSTS1: ".len());
    }

    #[test]
    fn secrets_are_redacted_from_messages() {
        let hidden = Secret::ClientSecret("s3cr3t+/=&?".into()).hidden();
        let error = redact(Error::new("bad secret s3cr3t+/=&? or s3cr3t%2B%2F%3D%26%3F"), &hidden);
        assert_eq!(error.message(), "bad secret *** or ***");
    }
}
