//! Entra ID (Azure AD) client-credentials tokens and their cache, shared by the
//! Office 365 custom modes.
//!
//! The cache is the Perl plugin's statefile (`office365_<custom mode>_<md5 tenant>_<md5
//! client id>`, fields `access_token`, `expires_on`, `last_timestamp`, `md5_secret`)
//! so Perl and Rust runs can take over each other's token. Unlike Perl, a refresh
//! happens under the statefile lock, after a second look at the cache: concurrent
//! cold runs ask for one token, not one each.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use md5::{Digest, Md5};
use serde_json::{Map, Value};

use centreon_plugin::debug::DebugLog;
use centreon_plugin::error::{Error, Result};
use centreon_plugin::http::{HttpClient, Request, Response, Url};
use centreon_plugin::registry::Notices;
use centreon_plugin::statefile::Statefile;

/// A cached token is refreshed when fewer seconds than this remain (Perl's margin).
const REFRESH_MARGIN: i64 = 10;

/// The largest token answer read; real ones are a few kilobytes.
const ANSWER_LIMIT: u64 = 1 << 20;

/// The longest wait for another run that is refreshing the same token.
const LOCK_WAIT: Duration = Duration::from_secs(5);

/// The application's credentials, as given on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// `--tenant`: id or domain, inserted verbatim in the token URL.
    pub tenant: String,
    /// `--client-id`: inserted unencoded in the form, as Perl does.
    pub client_id: String,
    /// `--client-secret`.
    pub client_secret: String,
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

/// Gets tokens from the login endpoint and keeps them in the statefile.
#[derive(Debug)]
pub struct TokenProvider {
    token_url: Url,
    form: String,
    md5_secret: String,
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
    /// `statefile` (see [`cache_name`]). The expiry is the answer's `expires_on` when
    /// it gives one (v1 endpoint), else now + `expires_in`. A cache that cannot be
    /// written is added to `notices`.
    pub fn new(
        credentials: &Credentials,
        audience: &Audience,
        token_url: Url,
        statefile: Statefile,
        notices: Notices,
    ) -> Self {
        TokenProvider {
            token_url,
            form: token_form(credentials, audience),
            md5_secret: md5_hex(&credentials.client_secret),
            statefile,
            checked: false,
            current: None,
            notices,
        }
    }

    /// A valid token: the cached one while reusable, else a fresh one. The statefile
    /// is checked (Perl's messages) before its first use.
    pub fn token(&mut self, http: &HttpClient, debug: &DebugLog, deadline: Instant) -> Result<String> {
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
    ) -> Result<String> {
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
    ) -> Result<String> {
        if !self.checked {
            self.statefile.check()?;
            self.checked = true;
        }
        let cached = |file: &Statefile| {
            file.read()
                .and_then(|cache| reusable(&cache, now(), &self.md5_secret))
                .filter(|token| Some(token.as_str()) != rejected)
        };
        if rejected.is_none() {
            if let Some(token) = cached(&self.statefile) {
                debug.secret(&token);
                return Ok(token);
            }
        }
        let wait_until = Instant::now() + LOCK_WAIT.min(deadline.saturating_duration_since(Instant::now()) / 2);
        let lock = self.statefile.lock(wait_until);
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
        let (token, expires_on) = self.request(http, debug)?;
        let timestamp = now();
        let mut cache = Map::new();
        cache.insert("access_token".into(), Value::from(token.clone()));
        cache.insert("expires_on".into(), Value::from(expires_on));
        cache.insert("last_timestamp".into(), Value::from(timestamp));
        cache.insert("md5_secret".into(), Value::from(self.md5_secret.clone()));
        if let Err(message) = self.statefile.write(&cache) {
            self.notices.add(message.to_string());
        }
        drop(lock);
        Ok(token)
    }

    /// Posts the form; returns the token and its expiry (epoch seconds).
    fn request(&self, http: &HttpClient, debug: &DebugLog) -> Result<(String, i64)> {
        let request = Request::post(self.token_url.clone(), self.form.clone())
            .header("Accept", "application/json")
            .header("Content-Type", "application/x-www-form-urlencoded");
        let mut response =
            http.send(request, debug).map_err(|e| Error::new(format!("Login endpoint unreachable: {e}")))?;
        let text = response.text(ANSWER_LIMIT).map_err(|e| Error::new(format!("Login endpoint answer cut: {e}")))?;
        parse_answer(&response, &text, now(), debug)
    }
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
        return Err(Error::new(format!(
            "Login endpoint API return error code '{code}' (add --debug option for detailed message)"
        )));
    }
    let token = match answer.get("access_token").and_then(Value::as_str) {
        Some(token) if !token.is_empty() => token.to_string(),
        _ => {
            return Err(Error::new(format!(
                "Login endpoint answered {} without an access_token",
                response.status_line()
            )))
        }
    };
    let expires_on = answer
        .get("expires_on")
        .and_then(integer)
        .unwrap_or_else(|| now + answer.get("expires_in").and_then(integer).unwrap_or(0));
    Ok((token, expires_on))
}

/// The cached token, when the cache holds one with at least [`REFRESH_MARGIN`]
/// seconds left and was stored for the same secret (a cache without `md5_secret`,
/// Perl's older format, is trusted, as Perl does).
pub fn reusable(cache: &Map<String, Value>, now: i64, md5_secret: &str) -> Option<String> {
    let token = cache.get("access_token")?.as_str().filter(|t| !t.is_empty())?;
    let expires_on = cache.get("expires_on").and_then(integer)?;
    if expires_on - now < REFRESH_MARGIN {
        return None;
    }
    match cache.get("md5_secret") {
        Some(stored) if stored.as_str() != Some(md5_secret) => None,
        _ => Some(token.to_string()),
    }
}

/// The statefile name of a custom mode's token cache:
/// `office365_<custom mode>_<md5 tenant>_<md5 client id>`.
pub fn cache_name(custom_mode: &str, credentials: &Credentials) -> String {
    format!("office365_{custom_mode}_{}_{}", md5_hex(&credentials.tenant), md5_hex(&credentials.client_id))
}

/// The form body, fields in Perl's order; the client id is not encoded (as Perl).
pub fn token_form(credentials: &Credentials, audience: &Audience) -> String {
    let (field, value) = match audience {
        Audience::Scope(scope) => ("scope", scope),
        Audience::Resource(resource) => ("resource", resource),
    };
    format!(
        "grant_type=client_credentials&client_id={}&client_secret={}&{field}={}",
        credentials.client_id,
        percent_encode(&credentials.client_secret),
        percent_encode(value)
    )
}

/// Percent-encodes every byte except `A-Z a-z 0-9 - . _ ~`, upper-case hex.
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for &b in text.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
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
        Credentials { tenant: "t1".into(), client_id: "c1".into(), client_secret: "s3cr3t+/=&?".into() }
    }

    fn cache(json: &str) -> Map<String, Value> {
        serde_json::from_str(json).expect("json")
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
        assert_eq!(
            token_form(&credentials(), &Audience::Scope("http://127.0.0.1:8080/.default".into())),
            "grant_type=client_credentials&client_id=c1&client_secret=s3cr3t%2B%2F%3D%26%3F&scope=http%3A%2F%2F127.0.0.1%3A8080%2F.default"
        );
        let default = token_form(&credentials(), &Audience::Scope("https://graph.microsoft.com/.default".into()));
        assert!(default.ends_with("&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default"));
        let v1 = token_form(&credentials(), &Audience::Resource("https://manage.office.com".into()));
        assert!(v1.ends_with("&client_secret=s3cr3t%2B%2F%3D%26%3F&resource=https%3A%2F%2Fmanage.office.com"), "{v1}");
    }

    #[test]
    fn reuse_rules() {
        let md5 = md5_hex("s3cr3t+/=&?");
        let now = 1_795_719_593;
        let with = |expires: i64, secret: &str| {
            cache(&format!(r#"{{"access_token":"tok","expires_on":{expires},"md5_secret":"{secret}"}}"#))
        };
        assert_eq!(reusable(&with(now + 11, &md5), now, &md5), Some("tok".into()), "11 s left: reuse");
        assert_eq!(reusable(&with(now + 9, &md5), now, &md5), None, "9 s left: refresh");
        assert_eq!(reusable(&with(now + 3600, "0000"), now, &md5), None, "secret changed");
        let old_format = cache(&format!(r#"{{"access_token":"tok","expires_on":{}}}"#, now + 3600));
        assert_eq!(reusable(&old_format, now, &md5), Some("tok".into()), "no md5_secret: reused");
        let string_expiry = cache(&format!(r#"{{"access_token":"tok","expires_on":"{}"}}"#, now + 3600));
        assert_eq!(reusable(&string_expiry, now, &md5), Some("tok".into()), "managementapi's string expiry");
        assert_eq!(reusable(&cache(r#"{"expires_on":1}"#), 0, &md5), None, "no token");
    }

    #[test]
    fn percent_encoding_keeps_unreserved_only() {
        assert_eq!(percent_encode("aZ09-._~ é"), "aZ09-._~%20%C3%A9");
    }
}
