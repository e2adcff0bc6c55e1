//! `--pass-manager=hashicorpvault` and `--pass-manager=centreonvault`, end to end:
//! the plugin logs in to the Vault stand-in (`tests/mock/vault.rs`), reads the
//! client secret there, and authenticates against the Microsoft stand-in with it.
//! No secret and no Vault token reaches the output, even with `--debug`.

use aes::Aes256;
use base64ct::{Base64, Encoding};
use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockModeEncrypt, KeyIvInit};
use serde_json::json;

use crate::common::plugin::{Outcome, Plugin};
use crate::common::TempDir;
use crate::mock::vault::{Vault, Version};
use crate::mock::{MockGraph, VALID_SECRET};

/// Where the stand-in keeps the client secret (KV version 2 API path).
const PATH: &str = "secret/data/office365";
const ROOT_TOKEN: &str = "hvs.root-token-for-tests";

fn secret() -> Version {
    Version::Live(json!({"client_secret": VALID_SECRET}))
}

/// A check of `mock` whose client secret comes from the manager `args` name.
fn check(mock: &MockGraph, args: &[String], env: &[(&str, &str)]) -> Outcome {
    Plugin::new()
        .args(["--mode=service-status", "--debug"])
        .args(args)
        .client()
        .endpoints(&mock.url())
        .envs(env)
        .fresh_state()
        .run()
}

/// The check got its data: it logged in to Microsoft with the secret from Vault.
fn assert_authenticated(outcome: &Outcome, mock: &MockGraph) {
    assert!(outcome.code != 3 && !outcome.stdout.starts_with("UNKNOWN"), "{}", outcome.stdout);
    assert_eq!(mock.token_requests(), 1, "{}", outcome.stdout);
    assert_no_secret(outcome);
}

fn assert_no_secret(outcome: &Outcome) {
    for secret in [VALID_SECRET, ROOT_TOKEN, "hvs.stand-in-token", "alice-password", "role-0123", "secret-4567"] {
        assert!(!outcome.stdout.contains(secret), "{secret} shown: {}", outcome.stdout);
        assert!(!outcome.stderr.contains(secret), "{secret} shown: {}", outcome.stderr);
    }
}

fn hashicorp(vault: &Vault, extra: &[&str]) -> Vec<String> {
    let mut args = vec![
        "--pass-manager=hashicorpvault".to_string(),
        "--vault-address=127.0.0.1".to_string(),
        format!("--vault-port={}", vault.port()),
        format!("--secret-path={PATH}"),
        format!("--map-option=client-secret=%{{value_{PATH}}}"),
    ];
    args.extend(extra.iter().map(|a| a.to_string()));
    args
}

#[test]
fn token_method_reads_the_secret() {
    let vault = Vault::builder().token(ROOT_TOKEN).secret(PATH, secret()).start().expect("vault");
    let mock = MockGraph::builder().start().expect("mock");
    let outcome = check(&mock, &hashicorp(&vault, &[&format!("--vault-token={ROOT_TOKEN}")]), &[]);
    assert_authenticated(&outcome, &mock);
    let seen = vault.seen();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!((seen[0].method.as_str(), seen[0].path.as_str()), ("GET", "/v1/secret/data/office365"));
    assert_eq!(seen[0].token.as_deref(), Some(ROOT_TOKEN));
    assert!(outcome.stdout.contains("X-Vault-Token: ***"), "the debug dump masks the token: {}", outcome.stdout);
}

/// An auth method's settings, as `--auth-settings` pairs.
type Settings = &'static [(&'static str, &'static str)];

#[test]
fn every_login_method_authenticates() {
    let cases: [(&str, &str, Settings); 7] = [
        ("userpass", "userpass", &[("username", "alice"), ("password", "alice-password")]),
        ("ldap", "corp-ldap", &[("username", "alice"), ("password", "alice-password")]),
        ("radius", "radius", &[("username", "alice"), ("password", "alice-password")]),
        ("okta", "okta", &[("username", "alice"), ("password", "alice-password"), ("totp", "123456")]),
        ("github", "github", &[("token", "ghp_alice-password")]),
        ("azure", "azure", &[("role", "o365"), ("jwt", "eyJalice-password")]),
        ("cert", "cert", &[("name", "poller")]),
    ];
    for (method, mount, settings) in cases {
        let vault = Vault::builder().login(method, mount, settings).secret(PATH, secret()).start().expect("vault");
        let mock = MockGraph::builder().start().expect("mock");
        let mut extra = vec![format!("--auth-method={method}")];
        if mount != method {
            extra.push(format!("--auth-path={mount}"));
        }
        extra.extend(settings.iter().map(|(k, v)| format!("--auth-settings={k}={v}")));
        let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
        let outcome = check(&mock, &hashicorp(&vault, &extra), &[]);
        assert_authenticated(&outcome, &mock);
        let seen = vault.seen();
        // The paths Vault serves: the username in the path for the password methods.
        let login = match method {
            "userpass" | "ldap" | "radius" | "okta" => format!("/v1/auth/{mount}/login/alice"),
            _ => format!("/v1/auth/{mount}/login"),
        };
        assert_eq!(seen[0].path, login, "{method}");
        assert_eq!(seen[1].token.as_deref(), Some("hvs.stand-in-token-0001"), "{method}");
    }
}

#[test]
fn perl_errors_come_out_where_inputs_are_wrong() {
    let vault = Vault::builder()
        .login("userpass", "userpass", &[("username", "alice"), ("password", "alice-password")])
        .token(ROOT_TOKEN)
        .secret("secret/data/deleted", Version::Deleted)
        .secret("secret/data/destroyed", Version::Destroyed)
        .start()
        .expect("vault");
    let mock = MockGraph::builder().start().expect("mock");
    let wrong = check(
        &mock,
        &hashicorp(
            &vault,
            &["--auth-method=userpass", "--auth-settings=username=alice", "--auth-settings=password=nope"],
        ),
        &[],
    );
    assert_eq!(
        wrong.stdout.lines().next(),
        Some("UNKNOWN: Authentication endpoint returns error code 'invalid username or password' (add --debug option for detailed message) ")
    );
    assert_eq!(wrong.code, 3);
    for path in ["secret/data/deleted", "secret/data/destroyed"] {
        let args = [
            "--pass-manager=hashicorpvault".to_string(),
            "--vault-address=127.0.0.1".to_string(),
            format!("--vault-port={}", vault.port()),
            format!("--vault-token={ROOT_TOKEN}"),
            format!("--secret-path={path}"),
            format!("--map-option=client-secret=%{{value_{path}}}"),
        ];
        let outcome = check(&mock, &args, &[]);
        assert_eq!(outcome.stdout.lines().next(), Some("UNKNOWN: This secret is not valid anymore "), "{path}");
    }
    let missing = check(&mock, &["--pass-manager=hashicorpvault".to_string()], &[]);
    assert_eq!(missing.stdout.lines().next(), Some("UNKNOWN: Please set the --vault-address option "));
    let method = check(&mock, &hashicorp(&vault, &["--auth-method=kerberos"]), &[]);
    assert_eq!(
        method.stdout.lines().next(),
        Some("UNKNOWN: Incorrect or unsupported authentication method set in --auth-method ")
    );
    assert_eq!(mock.token_requests(), 0, "no secret, no login to Microsoft");
}

/// A version whose deletion is only scheduled (`delete_version_after`: Vault answers
/// 200 with a future `deletion_time`) is read; a missing secret or a token Vault does
/// not know is refused with Vault's status and reason.
#[test]
fn a_scheduled_deletion_is_read_and_refusals_name_vaults_reason() {
    let vault = Vault::builder()
        .token(ROOT_TOKEN)
        .secret(PATH, Version::Expiring(json!({"client_secret": VALID_SECRET})))
        .start()
        .expect("vault");
    let mock = MockGraph::builder().start().expect("mock");
    let outcome = check(&mock, &hashicorp(&vault, &[&format!("--vault-token={ROOT_TOKEN}")]), &[]);
    assert_authenticated(&outcome, &mock);
    let missing = [
        "--pass-manager=hashicorpvault".to_string(),
        "--vault-address=127.0.0.1".to_string(),
        format!("--vault-port={}", vault.port()),
        format!("--vault-token={ROOT_TOKEN}"),
        "--secret-path=secret/data/nothing".to_string(),
    ];
    let outcome = check(&mock, &missing, &[]);
    assert!(
        outcome.stdout.starts_with("UNKNOWN: hashicorpvault: reading --secret-path=secret/data/nothing answered 404"),
        "{}",
        outcome.stdout
    );
    let outcome = check(&mock, &hashicorp(&vault, &["--vault-token=hvs.unknown"]), &[]);
    assert!(outcome.stdout.contains("answered 403 Forbidden (permission denied)"), "{}", outcome.stdout);
}

/// A raw request to the stand-in: its status and JSON body.
fn raw(vault: &Vault, request: &str) -> (u16, serde_json::Value) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", vault.port())).expect("the stand-in answers");
    stream.write_all(request.as_bytes()).expect("send");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read");
    let status = answer.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("a status");
    let body = answer.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or_default();
    (status, serde_json::from_str(body).expect("a JSON body"))
}

fn post(vault: &Vault, path: &str, content_type: &str, body: &str) -> (u16, serde_json::Value) {
    raw(
        vault,
        &format!(
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    )
}

/// The stand-in answers as Vault does where a client could rely on a shape Vault does
/// not have: login paths matched exactly, form bodies only with their content type.
#[test]
fn the_stand_in_serves_only_the_documented_login_paths() {
    let vault = Vault::builder()
        .approle("role-0123", "secret-4567")
        .login("github", "github", &[("token", "ghp_x")])
        .login("okta", "okta", &[("username", "alice"), ("password", "pw")])
        .login("radius", "radius", &[("username", "alice"), ("password", "pw")])
        .start()
        .expect("vault");
    let json = "application/json";
    let ok = |(status, body): (u16, serde_json::Value)| status == 200 && body["auth"]["client_token"].is_string();
    let denied = serde_json::json!({"errors": ["permission denied"]});
    assert!(ok(post(&vault, "/v1/auth/github/login", json, r#"{"token":"ghp_x"}"#)));
    assert_eq!(post(&vault, "/v1/auth/github/login/", json, r#"{"token":"ghp_x"}"#), (403, denied.clone()));
    assert!(ok(post(&vault, "/v1/auth/okta/login/alice", json, r#"{"password":"pw"}"#)));
    assert_eq!(post(&vault, "/v1/auth/okta/login/", json, r#"{"username":"alice","password":"pw"}"#).0, 403);
    assert!(ok(post(&vault, "/v1/auth/radius/login", json, r#"{"username":"alice","password":"pw"}"#)));
    assert!(ok(post(&vault, "/v1/auth/radius/login/alice", json, r#"{"password":"pw"}"#)));
    assert_eq!(post(&vault, "/v1/auth/nowhere/login", json, "{}"), (403, denied));
    let form = "application/x-www-form-urlencoded";
    assert!(ok(post(&vault, "/v1/auth/approle/login", form, "role_id=role-0123&secret_id=secret-4567")));
    assert!(ok(post(&vault, "/v1/auth/approle/login", form, r#"{"role_id":"role-0123","secret_id":"secret-4567"}"#)));
    let (status, body) = post(&vault, "/v1/auth/approle/login", json, "role_id=role-0123&secret_id=secret-4567");
    assert_eq!(status, 400, "a form without its content type is JSON, and not valid: {body}");
    let (status, body) = post(&vault, "/v1/auth/approle/login", form, "role_id=role-0123&secret_id=wrong");
    assert_eq!((status, body), (400, serde_json::json!({"errors": ["invalid role or secret ID"]})));
}

#[test]
fn https_trusts_the_ca_that_ssl_cert_file_names() {
    let vault = Vault::builder().token(ROOT_TOKEN).secret(PATH, secret()).https().start().expect("vault");
    let dir = TempDir::new("vault-ca").expect("dir");
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, vault.ca_pem()).expect("CA file");
    let args = hashicorp(&vault, &["--vault-protocol=https", &format!("--vault-token={ROOT_TOKEN}")]);
    let mock = MockGraph::builder().start().expect("mock");
    let untrusted = check(&mock, &args, &[]);
    assert!(untrusted.stdout.starts_with("UNKNOWN: hashicorpvault: "), "{}", untrusted.stdout);
    assert!(vault.seen().is_empty(), "no request over an untrusted connection");
    let trusted = check(&mock, &args, &[("SSL_CERT_FILE", ca.to_str().expect("path"))]);
    assert_authenticated(&trusted, &mock);
    assert_eq!(vault.seen().len(), 1);
}

/// What Centreon's PHP side stores for an AppRole id: base64(IV + HMAC + AES-256-CBC).
fn centreon_encrypt(clear: &str, app_secret: &[u8]) -> String {
    let mut key = [0u8; 32];
    key[..app_secret.len().min(32)].copy_from_slice(&app_secret[..app_secret.len().min(32)]);
    let iv = [3u8; 16];
    let ciphertext = cbc::Encryptor::<Aes256>::new_from_slices(&key, &iv)
        .expect("key")
        .encrypt_padded_vec::<Pkcs7>(clear.as_bytes());
    let mut raw = iv.to_vec();
    raw.extend_from_slice(&[0x5a; 64]);
    raw.extend_from_slice(&ciphertext);
    Base64::encode_string(&raw)
}

#[test]
fn centreonvault_replaces_references_and_keeps_its_token() {
    let vault = Vault::builder().approle("role-0123", "secret-4567").secret(PATH, secret()).start().expect("vault");
    let dir = TempDir::new("centreonvault").expect("dir");
    let app_secret = b"an-app-secret-of-thirty-two-byte";
    let config = dir.path().join("vault.json");
    std::fs::write(
        &config,
        json!({"protocol": "http", "url": "127.0.0.1", "port": vault.port(), "root_path": "centreon",
               "role_id": centreon_encrypt("role-0123", app_secret),
               "secret_id": centreon_encrypt("secret-4567", app_secret),
               "salt": Base64::encode_string(b"salt")})
        .to_string(),
    )
    .expect("config");
    let env_file = dir.path().join(".env");
    std::fs::write(&env_file, format!("APP_ENV=prod\nAPP_SECRET={}\n", Base64::encode_string(app_secret)))
        .expect("env file");
    let cache = dir.path().join("centreonvault_session");
    let args = vec![
        "--pass-manager=centreonvault".to_string(),
        format!("--vault-config={}", config.display()),
        format!("--vault-cache={}", cache.display()),
        format!("--vault-env-file={}", env_file.display()),
        format!("--client-secret=secret::hashicorp_vault::{PATH}::client_secret"),
    ];
    let mock = MockGraph::builder().start().expect("mock");
    let first = check(&mock, &args, &[]);
    assert_authenticated(&first, &mock);
    assert_eq!(vault.logins(), 1);
    let login = &vault.seen()[0];
    assert_eq!(
        (login.path.as_str(), login.body.as_str()),
        ("/v1/auth/approle/login", "role_id=role-0123&secret_id=secret-4567")
    );
    let kept = std::fs::read_to_string(&cache).expect("token kept");
    assert!(kept.contains("expiration_epoch"), "{kept}");

    let mock = MockGraph::builder().start().expect("mock");
    let second = check(&mock, &args, &[]);
    assert_authenticated(&second, &mock);
    assert_eq!(vault.logins(), 1, "the kept token is used");

    // Revoked in Vault before it expires: a new login, once.
    vault.revoke_issued();
    let mock = MockGraph::builder().start().expect("mock");
    let revoked = check(&mock, &args, &[]);
    assert_authenticated(&revoked, &mock);
    assert_eq!(vault.logins(), 2, "a new login replaces the refused token");
    assert!(revoked.stdout.contains("the kept token is refused, logging in again"), "{}", revoked.stdout);

    std::fs::remove_file(&cache).expect("forget the token");
    let wrong_key = check(&mock, &args, &[("APP_SECRET", &Base64::encode_string(b"another-key"))]);
    assert!(wrong_key.stdout.starts_with("UNKNOWN: centreonvault: cannot decrypt role_id"), "{}", wrong_key.stdout);

    let none =
        check(&mock, &[args[0].clone(), "--vault-config=/nonexistent/vault.json".to_string(), args[4].clone()], &[]);
    assert_eq!(none.stdout.lines().next(), Some("UNKNOWN: File '/nonexistent/vault.json' could not be found. "));
}

#[test]
fn centreonvault_refuses_an_empty_role_and_reads_nothing_without_references() {
    let dir = TempDir::new("centreonvault-empty").expect("dir");
    let config = dir.path().join("vault.json");
    std::fs::write(&config, json!({"url": "127.0.0.1", "role_id": "", "secret_id": "x"}).to_string()).expect("config");
    let mock = MockGraph::builder().start().expect("mock");
    let manager = ["--pass-manager=centreonvault".to_string(), format!("--vault-config={}", config.display())];
    let mut with_reference = manager.to_vec();
    with_reference.push("--client-secret=secret::hashicorp_vault::secret/data/x::k".to_string());
    let outcome = check(&mock, &with_reference, &[]);
    assert_eq!(
        outcome.stdout.lines().next(),
        Some("UNKNOWN: Unable to authenticate to the vault: role_id or secret_id is empty. ")
    );
    let mut plain = manager.to_vec();
    plain.push(format!("--client-secret={VALID_SECRET}"));
    assert_authenticated(&check(&mock, &plain, &[]), &mock);
}
