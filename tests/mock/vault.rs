//! A stand-in for HashiCorp Vault, following its HTTP API as documented
//! (developer.hashicorp.com/vault/api-docs) and as Vault's own code routes it:
//!
//! * Logins, unauthenticated, `POST /v1/auth/<mount>/…`, the body JSON, or a form
//!   when `Content-Type` is `application/x-www-form-urlencoded` and the body does not
//!   start like JSON (Vault's rule):
//!   - AppRole: `<mount>/login` with `role_id`, `secret_id`;
//!   - userpass, LDAP, Okta: `<mount>/login/<username>` with `password` (Okta also
//!     `totp`); RADIUS: `<mount>/login/<username>`, or `<mount>/login` with
//!     `username` in the body;
//!   - GitHub (`token`), cert (`name`), Azure (`role`, `jwt`): `<mount>/login`.
//!
//!   Vault matches these paths exactly: `…/login/` with a trailing slash, or without
//!   the username where it is part of the path, is not a login path, so a request
//!   without a token is refused (403, `permission denied`), as is a mount that does not
//!   exist. A login answers 200 with `auth.client_token`, `auth.accessor`,
//!   `auth.policies`, `auth.token_policies`, `auth.metadata`, `auth.lease_duration`,
//!   `auth.renewable`, `auth.entity_id`, `auth.token_type`, `auth.orphan`; refused
//!   credentials answer 400 with the method's message (`invalid role or secret ID`,
//!   `invalid username or password`, RADIUS's `access denied by the authentication
//!   server`).
//! * KV version 2 reads, `GET /v1/<mount>/data/<path>` with `X-Vault-Token`: 200 with
//!   `data.data` (the keys) and `data.metadata` (`created_time`, `custom_metadata`,
//!   `deletion_time`, empty unless a deletion is set, `destroyed`, `version`); a
//!   version deleted (its `deletion_time` past) or destroyed is a 404 whose body still
//!   carries `data.data: null` and the metadata; a version whose deletion is only
//!   scheduled (`delete_version_after`) is read as any other, its `deletion_time` in
//!   the future. No such secret: 404 `{"errors":[]}`; no token, or one Vault does not
//!   know (never issued, revoked): 403 `{"errors":["permission denied"]}`.
//! * Any other method on these paths: 405 `{"errors":[]}`.
//!
//! Every answer is JSON with `Content-Type: application/json`; success bodies carry
//! Vault's envelope (`request_id`, `lease_id`, `renewable`, `lease_duration`, `data`,
//! `wrap_info`, `warnings`, `auth`). Neither client uses token lookup
//! (`/auth/token/lookup-self`) or namespaces (`X-Vault-Namespace`, Enterprise only),
//! so the stand-in serves neither.
//!
//! Over HTTP, or HTTPS with a certificate for 127.0.0.1 signed by a test CA made
//! at start ([`VaultBuilder::https`]; [`Vault::ca_pem`] is the CA to trust).

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

use super::scripted::read_request;

/// One version of a KV secret.
#[derive(Debug, Clone)]
pub enum Version {
    /// Readable, with these keys and values.
    Live(Value),
    /// Readable, its deletion scheduled (`deletion_time` in the future).
    Expiring(Value),
    /// Deleted (soft): `deletion_time` past.
    Deleted,
    /// Destroyed: `destroyed` true.
    Destroyed,
}

/// One accepted login: the auth method, where it is mounted, and the fields its body
/// (and path, for the username) must hold.
#[derive(Debug, Clone)]
struct Login {
    method: String,
    mount: String,
    fields: Vec<(String, String)>,
}

/// What issued tokens start with.
const ISSUED: &str = "hvs.stand-in-token-";

/// What a request looked like, for assertions.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub token: Option<String>,
    pub body: String,
}

/// Configures a [`Vault`].
#[derive(Debug, Default)]
pub struct VaultBuilder {
    https: bool,
    logins: Vec<Login>,
    secrets: HashMap<String, Version>,
    tokens: Vec<String>,
}

impl VaultBuilder {
    /// Serves HTTPS with a certificate signed by a test CA.
    pub fn https(mut self) -> Self {
        self.https = true;
        self
    }

    /// Accepts `token` as a root token.
    pub fn token(mut self, token: &str) -> Self {
        self.tokens.push(token.to_string());
        self
    }

    /// Accepts the AppRole login `role_id` / `secret_id` at its default mount.
    pub fn approle(self, role_id: &str, secret_id: &str) -> Self {
        self.login("approle", "approle", &[("role_id", role_id), ("secret_id", secret_id)])
    }

    /// Accepts a login with the auth method `method` (`userpass`, `okta`…) mounted at
    /// `mount`, whose fields include `fields` (`username` from the path where the
    /// method takes it there).
    pub fn login(mut self, method: &str, mount: &str, fields: &[(&str, &str)]) -> Self {
        let fields = fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        self.logins.push(Login { method: method.to_string(), mount: mount.to_string(), fields });
        self
    }

    /// Stores the secret at the API path `path` (`secret/data/office365`).
    pub fn secret(mut self, path: &str, version: Version) -> Self {
        self.secrets.insert(path.trim_matches('/').to_string(), version);
        self
    }

    /// Starts the server on a free loopback port.
    pub fn start(self) -> std::io::Result<Vault> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let (tls, ca_pem) = if self.https { tls_config() } else { (None, String::new()) };
        let state = Arc::new(State {
            logins: self.logins,
            secrets: self.secrets,
            tokens: Mutex::new(self.tokens),
            seen: Mutex::new(Vec::new()),
            issued: AtomicUsize::new(0),
            stopping: AtomicBool::new(false),
        });
        let shared = Arc::clone(&state);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if shared.stopping.load(Ordering::Relaxed) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (shared, tls) = (Arc::clone(&shared), tls.clone());
                std::thread::spawn(move || serve(stream, &shared, tls));
            }
        });
        Ok(Vault { port, ca_pem, state })
    }
}

/// What the server threads share.
#[derive(Debug)]
struct State {
    logins: Vec<Login>,
    secrets: HashMap<String, Version>,
    tokens: Mutex<Vec<String>>,
    seen: Mutex<Vec<Seen>>,
    issued: AtomicUsize,
    stopping: AtomicBool,
}

/// A running stand-in; stops accepting when dropped.
#[derive(Debug)]
pub struct Vault {
    port: u16,
    ca_pem: String,
    state: Arc<State>,
}

impl Vault {
    /// A builder for a stand-in with no login, token or secret.
    pub fn builder() -> VaultBuilder {
        VaultBuilder::default()
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The test CA's certificate (PEM), for HTTPS.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// The requests served so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// How many logins succeeded.
    pub fn logins(&self) -> usize {
        self.state.issued.load(Ordering::Relaxed)
    }

    /// Revokes every token the logins issued (root tokens stay).
    pub fn revoke_issued(&self) {
        if let Ok(mut tokens) = self.state.tokens.lock() {
            tokens.retain(|token| !token.starts_with(ISSUED));
        }
    }
}

impl Drop for Vault {
    fn drop(&mut self) {
        self.state.stopping.store(true, Ordering::Relaxed);
        // Wakes the accept loop so that it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// A CA and a server certificate for 127.0.0.1 signed by it, as a rustls server
/// configuration and the CA's PEM.
fn tls_config() -> (Option<Arc<rustls::ServerConfig>>, String) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, KeyUsagePurpose};
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca_params.distinguished_name.push(rcgen::DnType::CommonName, "Vault stand-in test CA");
    let ca = ca_params.self_signed(&ca_key).expect("CA certificate");
    let server_key = KeyPair::generate().expect("server key");
    let server_params =
        CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()]).expect("server params");
    let issuer = Issuer::from_params(&ca_params, &ca_key);
    let server = server_params.signed_by(&server_key, &issuer).expect("server certificate");
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(server_key.serialize_der().into());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(vec![server.der().clone()], key)
        .expect("server configuration");
    (Some(Arc::new(config)), ca.pem())
}

/// Answers one request on `stream`, then closes it.
fn serve(stream: TcpStream, state: &State, tls: Option<Arc<rustls::ServerConfig>>) {
    match tls {
        None => exchange(stream, state),
        Some(config) => {
            let Ok(connection) = rustls::ServerConnection::new(config) else { return };
            exchange(rustls::StreamOwned::new(connection, stream), state);
        }
    }
}

fn exchange<S: Read + Write>(mut stream: S, state: &State) {
    let Some(request) = read_request(&mut stream) else { return };
    let token = request.header("x-vault-token").map(str::to_string);
    let form = is_form(request.header("content-type"), &request.body);
    let (method, path, body) = (request.method, request.target, request.body);
    state
        .seen
        .lock()
        .map(|mut s| {
            s.push(Seen { method: method.clone(), path: path.clone(), token: token.clone(), body: body.clone() })
        })
        .ok();
    let (status, answer) = route(state, &method, &path, token.as_deref(), &body, form);
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        _ => "Method Not Allowed",
    };
    let text = answer.to_string();
    let response = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
        text.len()
    );
    let _ = stream.write_all(response.as_bytes());
    let _ = stream.flush();
}

/// Whether Vault reads `body` as a form: its content type says so and it does not
/// start like JSON (`{` or `[` after white space); else it is JSON.
fn is_form(content_type: Option<&str>, body: &str) -> bool {
    let media = content_type.and_then(|t| t.split(';').next()).map(str::trim).unwrap_or_default();
    media.eq_ignore_ascii_case("application/x-www-form-urlencoded")
        && !body.trim_start_matches([' ', '\t', '\n', '\r']).starts_with(['{', '['])
}

/// Vault's answer to one request.
fn route(state: &State, method: &str, path: &str, token: Option<&str>, body: &str, form: bool) -> (u16, Value) {
    let path = path.split('?').next().unwrap_or_default();
    if let Some(rest) = path.strip_prefix("/v1/auth/") {
        if method != "POST" && method != "PUT" {
            return (405, json!({"errors": []}));
        }
        return login(state, rest, body, form);
    }
    let Some(secret_path) = path.strip_prefix("/v1/") else { return (404, json!({"errors": []})) };
    if method != "GET" {
        return (405, json!({"errors": []}));
    }
    let known = state.tokens.lock().map(|t| token.is_some_and(|token| t.iter().any(|k| k == token))).unwrap_or(false);
    if !known {
        return (403, json!({"errors": ["permission denied"]}));
    }
    let metadata = |deletion_time: &str, destroyed: bool| {
        json!({"created_time": "2026-11-20T10:00:00.000000Z", "custom_metadata": null,
               "deletion_time": deletion_time, "destroyed": destroyed, "version": 2})
    };
    let envelope = |data: Value, metadata: Value| {
        json!({"request_id": "b7c6b2a0-0000-4000-8000-000000000001", "lease_id": "", "renewable": false,
               "lease_duration": 0, "data": {"data": data, "metadata": metadata},
               "wrap_info": null, "warnings": null, "auth": null, "mount_type": "kv"})
    };
    match state.secrets.get(secret_path.trim_matches('/')) {
        None => (404, json!({"errors": []})),
        Some(Version::Live(data)) => (200, envelope(data.clone(), metadata("", false))),
        Some(Version::Expiring(data)) => (200, envelope(data.clone(), metadata("2099-01-01T00:00:00Z", false))),
        Some(Version::Deleted) => (404, envelope(Value::Null, metadata("2026-11-21T10:00:00.000000Z", false))),
        Some(Version::Destroyed) => (404, envelope(Value::Null, metadata("", true))),
    }
}

/// The username a login path `tail` (what follows `<mount>/`) carries for `method`:
/// `Some("")` for a path without one that the method serves, `None` for a path it does
/// not serve.
fn login_path(method: &str, tail: &str) -> Option<String> {
    let with_username = tail.strip_prefix("login/").filter(|name| !name.is_empty()).map(percent_decode);
    match method {
        "userpass" | "ldap" | "okta" => with_username,
        "radius" => with_username.or_else(|| (tail == "login").then(String::new)),
        _ => (tail == "login").then(String::new),
    }
}

/// `rest` is what follows `/v1/auth/`: `<mount>/login…`.
fn login(state: &State, rest: &str, body: &str, form: bool) -> (u16, Value) {
    let found = state.logins.iter().find_map(|login| {
        let tail = rest.strip_prefix(login.mount.as_str())?.strip_prefix('/')?;
        Some((login, login_path(&login.method, tail)?))
    });
    // Not a login path (or no such mount): a request that needs a token, and has none.
    let Some((login, username)) = found else { return (403, json!({"errors": ["permission denied"]})) };
    let mut given: HashMap<String, String> = HashMap::new();
    if form {
        for pair in body.split('&') {
            if let Some((k, v)) = pair.split_once('=') {
                given.insert(percent_decode(k), percent_decode(v));
            }
        }
    } else {
        match serde_json::from_str::<Value>(body) {
            Ok(Value::Object(fields)) => {
                for (k, v) in fields {
                    given.insert(k, v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()));
                }
            }
            _ => return (400, json!({"errors": ["failed to parse JSON input"]})),
        }
    }
    // The path's username wins over the body's, as Vault's field data gives it.
    if !username.is_empty() {
        given.insert("username".to_string(), username);
    }
    if !login.fields.iter().all(|(k, v)| given.get(k) == Some(v)) {
        return match login.method.as_str() {
            "approle" => (400, json!({"errors": ["invalid role or secret ID"]})),
            "radius" => (400, json!({"errors": ["access denied by the authentication server"]})),
            "userpass" | "ldap" | "okta" => (400, json!({"errors": ["invalid username or password"]})),
            _ => (403, json!({"errors": ["permission denied"]})),
        };
    }
    let n = state.issued.fetch_add(1, Ordering::Relaxed) + 1;
    let token = format!("{ISSUED}{n:04}");
    if let Ok(mut tokens) = state.tokens.lock() {
        tokens.push(token.clone());
    }
    let metadata = match login.method.as_str() {
        "approle" => json!({"role_name": "office365"}),
        _ => json!({"username": given.get("username").cloned().unwrap_or_default()}),
    };
    (
        200,
        json!({"request_id": "b7c6b2a0-0000-4000-8000-000000000002", "lease_id": "", "renewable": false,
               "lease_duration": 0, "data": null, "wrap_info": null, "warnings": null,
               "auth": {"client_token": token, "accessor": "acc", "policies": ["default", "office365"],
                        "token_policies": ["default", "office365"], "metadata": metadata,
                        "lease_duration": 2764800, "renewable": true, "entity_id": "e1",
                        "token_type": "service", "orphan": true, "mfa_requirement": null, "num_uses": 0}}),
    )
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
