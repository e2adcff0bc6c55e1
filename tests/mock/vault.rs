//! A stand-in for HashiCorp Vault, following its HTTP API as documented: AppRole
//! login (`POST /v1/auth/approle/login`, `role_id` and `secret_id`), username and
//! password logins (`POST /v1/auth/<mount>/login/<username>`, `{"password"}`), the
//! other methods' logins (`POST /v1/auth/<mount>/login` with their JSON fields),
//! and KV version 2 reads (`GET /v1/<mount>/data/<path>` with `X-Vault-Token`)
//! answering `data.data` and `data.metadata`; a deleted or destroyed version is a
//! 404 whose body still carries the metadata, as Vault answers it. Errors are
//! `{"errors": [...]}` with Vault's statuses (400 for a failed login, 403 for a bad
//! token, 404 for a missing secret).
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
    /// Deleted (soft): `deletion_time` set.
    Deleted,
    /// Destroyed: `destroyed` true.
    Destroyed,
}

/// One accepted login: the auth mount, and the fields its body (and path, for the
/// username) must hold.
#[derive(Debug, Clone)]
struct Login {
    mount: String,
    fields: Vec<(String, String)>,
}

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

    /// Accepts the AppRole login `role_id` / `secret_id`.
    pub fn approle(self, role_id: &str, secret_id: &str) -> Self {
        self.login("approle", &[("role_id", role_id), ("secret_id", secret_id)])
    }

    /// Accepts a login on the mount `mount` whose fields include `fields`
    /// (`username` may come from the path).
    pub fn login(mut self, mount: &str, fields: &[(&str, &str)]) -> Self {
        let fields = fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        self.logins.push(Login { mount: mount.to_string(), fields });
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
    let (method, path, body) = (request.method, request.target, request.body);
    state
        .seen
        .lock()
        .map(|mut s| {
            s.push(Seen { method: method.clone(), path: path.clone(), token: token.clone(), body: body.clone() })
        })
        .ok();
    let (status, answer) = route(state, &method, &path, token.as_deref(), &body);
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

/// Vault's answer to one request.
fn route(state: &State, method: &str, path: &str, token: Option<&str>, body: &str) -> (u16, Value) {
    let path = path.split('?').next().unwrap_or_default();
    if let Some(rest) = path.strip_prefix("/v1/auth/") {
        if method != "POST" {
            return (405, json!({"errors": []}));
        }
        return login(state, rest, body);
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
        Some(Version::Deleted) => (404, envelope(Value::Null, metadata("2026-11-21T10:00:00.000000Z", false))),
        Some(Version::Destroyed) => (404, envelope(Value::Null, metadata("", true))),
    }
}

/// `rest` is `<mount>/login` or `<mount>/login/<username>`.
fn login(state: &State, rest: &str, body: &str) -> (u16, Value) {
    let (mount, username) = match rest.split_once("/login") {
        Some((mount, tail)) => (mount, tail.trim_matches('/')),
        None => return (404, json!({"errors": []})),
    };
    let mut given: HashMap<String, String> = HashMap::new();
    if mount == "approle" && !body.trim_start().starts_with('{') {
        for pair in body.split('&') {
            if let Some((k, v)) = pair.split_once('=') {
                given.insert(k.to_string(), percent_decode(v));
            }
        }
    } else if let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(body) {
        for (k, v) in fields {
            given.insert(k, v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()));
        }
    }
    if !username.is_empty() {
        given.insert("username".to_string(), username.to_string());
    }
    let accepted = state
        .logins
        .iter()
        .any(|login| login.mount == mount && login.fields.iter().all(|(k, v)| given.get(k) == Some(v)));
    if !accepted {
        let error = if mount == "approle" { "invalid role or secret ID" } else { "invalid username or password" };
        return (400, json!({"errors": [error]}));
    }
    let n = state.issued.fetch_add(1, Ordering::Relaxed) + 1;
    let token = format!("hvs.stand-in-token-{n:04}");
    if let Ok(mut tokens) = state.tokens.lock() {
        tokens.push(token.clone());
    }
    (
        200,
        json!({"request_id": "b7c6b2a0-0000-4000-8000-000000000002", "lease_id": "", "renewable": false,
               "lease_duration": 0, "data": null, "wrap_info": null, "warnings": null,
               "auth": {"client_token": token, "accessor": "acc", "policies": ["default", "office365"],
                        "token_policies": ["default", "office365"], "metadata": {"mount": mount},
                        "lease_duration": 2764800, "renewable": true, "entity_id": "e1",
                        "token_type": "service", "orphan": true}}),
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
