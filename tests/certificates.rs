//! Certificate credentials end to end: the real binary authenticates against the
//! stand-in, which verifies each client assertion for real, with a PEM certificate and
//! key, a separate key file, PKCS#12 archives (current and legacy encryption, as the
//! OpenSSL command line writes them); and every way it can go wrong says what is wrong.

use std::time::SystemTime;

use crate::certs::{self, Key, Made, DAY};
use crate::common::plugin::{Outcome, Plugin};
use crate::common::TempDir;
use crate::mock::{MockGraph, VALID_SECRET};
use serde_json::json;

/// The password of the PKCS#12 archives and encrypted keys.
const PASSWORD: &str = "p4ss";
/// What a check of the fixture tenant prints first when it works.
const EMAIL_OK: &str = "OK: Active users on 2026-11-22 : 12/40 (30.00%)";

/// The plugin against `mock` as `--tenant=t1 --client-id=c1`, with a token cache in
/// `state`, then `args` (the credential among them), `env` added to its environment.
fn run_env(mock: &MockGraph, state: &TempDir, args: &[&str], env: &[(&str, &str)]) -> Outcome {
    Plugin::new().client().endpoints(&mock.url()).state(state.path()).args(args).envs(env).run()
}

fn run(mock: &MockGraph, state: &TempDir, args: &[&str]) -> Outcome {
    run_env(mock, state, args, &[])
}

/// A stand-in that accepts assertions signed for `registered`.
fn mock_for(registered: &[&Made]) -> MockGraph {
    registered
        .iter()
        .fold(MockGraph::builder(), |builder, made| builder.certificate(made.der.clone()))
        .start()
        .expect("mock")
}

fn option(name: &str, value: &str) -> String {
    format!("--{name}={value}")
}

fn assert_email_ok(outcome: &Outcome, context: &str) {
    assert_eq!(outcome.code, 0, "{context}: {}{}", outcome.stdout, outcome.stderr);
    assert!(outcome.stdout.starts_with(EMAIL_OK), "{context}: {}", outcome.stdout);
}

#[test]
fn a_pem_file_with_certificate_and_key_authenticates() {
    let made = certs::valid_for(Key::A, 365);
    let mock = mock_for(&[&made]);
    let dir = TempDir::new("certs-pem").expect("dir");
    let pem = certs::write(dir.path(), "both.pem", format!("{}{}", made.pem, Key::A.pem()));
    let outcome = run(&mock, &dir, &["--mode=email-activity", &option("client-certificate", &pem)]);
    assert_email_ok(&outcome, "PEM certificate + key");
    assert_eq!(mock.token_requests(), 1);

    // The key first, Windows line endings, the chain's other blocks: still read.
    let windows = format!("{}{}", Key::A.pem(), made.pem).replace('\n', "\r\n");
    let other = certs::write(dir.path(), "windows.pem", windows);
    let fresh = TempDir::new("certs-pem").expect("dir");
    assert_email_ok(&run(&mock, &fresh, &["--mode=email-activity", &option("client-certificate", &other)]), "CRLF");
}

#[test]
fn a_separate_key_file_authenticates() {
    let made = certs::valid_for(Key::A, 365);
    let mock = mock_for(&[&made]);
    let dir = TempDir::new("certs-key").expect("dir");
    let cert = certs::write(dir.path(), "cert.pem", &made.pem);
    let key = certs::write(dir.path(), "key.pem", Key::A.pem());
    let args = ["--mode=email-activity", &option("client-certificate", &cert), &option("client-certificate-key", &key)];
    assert_email_ok(&run(&mock, &dir, &args), "separate key");
}

/// The environment password manager fills the archive's password as it fills a
/// secret.
#[test]
fn a_pkcs12_password_can_come_from_the_environment() {
    let mock = mock_for(&[&certs::openssl_certificate()]);
    let dir = TempDir::new("certs-p12").expect("dir");
    let archive = certs::fixture("openssl-aes.pfx").display().to_string();
    let args = [
        "--mode=email-activity",
        &option("client-certificate", &archive),
        "--pass-manager=environment",
        "--environment-map-option=client-certificate-password=CERT_PASSWORD",
    ];
    assert_email_ok(&run_env(&mock, &dir, &args, &[("CERT_PASSWORD", PASSWORD)]), "password from the environment");
}

/// What the OpenSSL 3 command line writes (see the fixture README) reads here too.
#[test]
fn openssl_exports_authenticate() {
    let mock = mock_for(&[&certs::openssl_certificate()]);
    let path = |name: &str| certs::fixture(name).display().to_string();
    let cases: [(&str, Vec<String>); 3] = [
        ("AES PKCS#12", vec![option("client-certificate", &path("openssl-aes.pfx"))]),
        ("legacy PKCS#12", vec![option("client-certificate", &path("openssl-legacy.pfx"))]),
        (
            "encrypted PKCS#8 key",
            vec![
                option("client-certificate", &path("openssl-cert.pem")),
                option("client-certificate-key", &path("openssl-key-encrypted.pem")),
            ],
        ),
    ];
    for (what, credential) in cases {
        let dir = TempDir::new("certs-openssl").expect("dir");
        let mut args = vec!["--mode=email-activity".to_string(), option("client-certificate-password", PASSWORD)];
        args.extend(credential);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_email_ok(&run(&mock, &dir, &args), what);
    }
}

/// The Management API's v1 token endpoint takes the same assertion, its `aud` the
/// endpoint without its `?api-version=1.0`.
#[test]
fn managementapi_authenticates_with_a_certificate() {
    let made = certs::valid_for(Key::A, 365);
    let mock = mock_for(&[&made]);
    let dir = TempDir::new("certs-v1").expect("dir");
    let pem = certs::write(dir.path(), "both.pem", format!("{}{}", made.pem, Key::A.pem()));
    let args = ["--custommode=managementapi", "--mode=list-services", &option("client-certificate", &pem)];
    let outcome = run(&mock, &dir, &args);
    assert_eq!(outcome.code, 0, "{}{}", outcome.stdout, outcome.stderr);
    assert!(outcome.stdout.starts_with("List services:"), "{}", outcome.stdout);
    assert_eq!(mock.token_scopes(), [mock.url()], "the resource is the management endpoint");
}

/// Every local problem is an UNKNOWN saying what is wrong, before any request.
#[test]
fn certificate_problems_are_named_before_any_request() {
    let now = SystemTime::now();
    let good = certs::valid_for(Key::A, 365);
    let expired = certs::certificate(Key::A, now - DAY * 400, now - DAY * 35);
    let future = certs::certificate(Key::A, now + DAY * 2, now + DAY * 400);
    let mock = mock_for(&[&good]);
    let dir = TempDir::new("certs-errors").expect("dir");
    let d = dir.path();
    let good_pem = certs::write(d, "good.pem", &good.pem);
    let with_key = |name: &str, made: &Made| certs::write(d, name, format!("{}{}", made.pem, Key::A.pem()));
    let archive = certs::fixture("openssl-aes.pfx").display().to_string();
    let missing = d.join("missing.pem").display().to_string();
    let garbage = certs::write(d, "garbage.pfx", b"\x00\x01\x02 not a certificate");
    let key_b = certs::write(d, "key-b.pem", Key::B.pem());
    let expired_pem = with_key("expired.pem", &expired);
    let future_pem = with_key("future.pem", &future);
    let cert = |path: &str| option("client-certificate", path);
    let cases: Vec<(Vec<String>, String)> = vec![
        (
            vec![cert(&missing)],
            format!("Cannot read --client-certificate file '{missing}': No such file or directory (os error 2)"),
        ),
        (
            vec![cert(&garbage)],
            format!("The --client-certificate file '{garbage}' is neither PEM nor PKCS#12 (.pfx, .p12)"),
        ),
        (
            vec![cert(&archive), option("client-certificate-password", "wrong")],
            format!("The PKCS#12 file '{archive}' cannot be opened: wrong --client-certificate-password"),
        ),
        (
            vec![cert(&archive)],
            format!(
                "The PKCS#12 file '{archive}' is protected by a password: give it with --client-certificate-password"
            ),
        ),
        (
            vec![cert(&good_pem)],
            format!("The file '{good_pem}' holds no private key: give it with --client-certificate-key"),
        ),
        (
            vec![cert(&good_pem), option("client-certificate-key", &key_b)],
            format!("The private key in '{key_b}' does not match the certificate in '{good_pem}'"),
        ),
        (vec![cert(&expired_pem)], format!("The certificate in '{expired_pem}' expired on ")),
        (vec![cert(&future_pem)], format!("The certificate in '{future_pem}' is not valid before ")),
        (
            vec![cert(&archive), option("client-secret", VALID_SECRET)],
            "--client-secret and --client-certificate exclude each other: give one of them".to_string(),
        ),
        (
            vec![option("client-secret", VALID_SECRET), option("client-certificate-key", &key_b)],
            "--client-certificate-key needs --client-certificate".to_string(),
        ),
    ];
    for (credential, expected) in cases {
        let mut args = vec!["--mode=email-activity".to_string()];
        args.extend(credential);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let outcome = run(&mock, &dir, &args);
        assert_eq!(outcome.code, 3, "{args:?}: {}", outcome.stdout);
        assert!(outcome.stdout.starts_with(&format!("UNKNOWN: {expected}")), "{args:?}:\n{}", outcome.stdout);
    }
    assert_eq!(mock.token_requests(), 0, "no request for a local problem");
}

/// Entra ID's refusal of an assertion (an unregistered certificate here) is quoted.
#[test]
fn a_refused_assertion_quotes_entra_id() {
    let registered = certs::valid_for(Key::A, 365);
    let unregistered = certs::valid_for(Key::B, 365);
    let mock = mock_for(&[&registered]);
    let dir = TempDir::new("certs-refused").expect("dir");
    let pem = certs::write(dir.path(), "b.pem", format!("{}{}", unregistered.pem, Key::B.pem()));
    let outcome = run(&mock, &dir, &["--mode=email-activity", &option("client-certificate", &pem)]);
    assert_eq!(outcome.code, 3);
    assert_eq!(
        outcome.stdout.trim_end(),
        "UNKNOWN: Login endpoint API return error code 'invalid_client' (add --debug option for detailed \
         message): AADSTS700027: The certificate with identifier used to sign the client assertion is not \
         registered on application."
    );
}

/// Thirty days before the end, every check says so in its long output; the status
/// stays what the data makes it.
#[test]
fn a_certificate_near_its_end_is_announced() {
    let now = SystemTime::now();
    let soon = certs::certificate(Key::A, now - DAY, now + DAY * 10 + DAY / 2);
    let mock = mock_for(&[&soon]);
    let dir = TempDir::new("certs-soon").expect("dir");
    let pem = certs::write(dir.path(), "soon.pem", format!("{}{}", soon.pem, Key::A.pem()));
    let outcome = run(&mock, &dir, &["--mode=email-activity", "--verbose", &option("client-certificate", &pem)]);
    assert_email_ok(&outcome, "expiring certificate");
    let expected = format!("Client certificate 'CN=centreon-o365-test' (x5t#S256 {}) expires on ", soon.x5t_s256());
    // The long output starts with it, right after the status line.
    let line = outcome.stdout.lines().nth(1).unwrap_or_default();
    assert!(line.starts_with(&expected), "{}", outcome.stdout);
    assert!(line.contains(", in 10 days: upload a new one"), "{line}");

    let later = certs::valid_for(Key::A, 365);
    let mock = mock_for(&[&later]);
    let pem = certs::write(dir.path(), "later.pem", format!("{}{}", later.pem, Key::A.pem()));
    let outcome = run(&mock, &dir, &["--mode=email-activity", "--verbose", &option("client-certificate", &pem)]);
    assert!(!outcome.stdout.contains("Client certificate"), "{}", outcome.stdout);
}

/// A token is reused only with the credential that obtained it.
#[test]
fn the_token_cache_is_tied_to_the_credential() {
    let a = certs::valid_for(Key::A, 365);
    let b = certs::valid_for(Key::B, 365);
    let mock = mock_for(&[&a, &b]);
    let dir = TempDir::new("certs-cache").expect("dir");
    let pem_a = certs::write(dir.path(), "a.pem", format!("{}{}", a.pem, Key::A.pem()));
    let pem_b = certs::write(dir.path(), "b.pem", format!("{}{}", b.pem, Key::B.pem()));
    let secret = option("client-secret", VALID_SECRET);
    let (cert_a, cert_b) = (option("client-certificate", &pem_a), option("client-certificate", &pem_b));
    let steps: [(&str, usize); 5] = [(&secret, 1), (&cert_a, 2), (&cert_a, 2), (&cert_b, 3), (&secret, 4)];
    for (credential, tokens) in steps {
        // Without the report cache, every run asks Graph, so needs a token.
        let args = ["--mode=email-activity", "--report-cache-ttl=0", credential];
        assert_email_ok(&run(&mock, &dir, &args), credential);
        assert_eq!(mock.token_requests(), tokens, "after {credential}");
    }
}

/// Neither the private key nor the password shows anywhere, not even with `--debug`,
/// on success or on failure.
#[test]
fn keys_and_passwords_never_show() {
    let mock = mock_for(&[&certs::openssl_certificate()]);
    let dir = TempDir::new("certs-secrets").expect("dir");
    let password = PASSWORD;
    let archive = certs::fixture("openssl-aes.pfx").display().to_string();
    let key_lines: Vec<String> = Key::A.pem().lines().filter(|l| !l.starts_with("-----")).map(str::to_string).collect();
    for (pass, expected_code) in [(password, 0), ("Wr0ng-pass!", 3)] {
        let args = [
            "--mode=email-activity",
            "--debug",
            &option("client-certificate", &archive),
            &option("client-certificate-password", pass),
        ];
        let outcome = run(&mock, &dir, &args);
        assert_eq!(outcome.code, expected_code, "{}", outcome.stdout);
        let all = format!("{}{}", outcome.stdout, outcome.stderr);
        assert!(!all.contains(pass), "password shown:\n{all}");
        for line in &key_lines {
            assert!(!all.contains(line.as_str()), "key shown:\n{all}");
        }
        if expected_code == 0 {
            assert!(all.contains("client_assertion=***"), "assertion masked in the dump:\n{all}");
        }
    }
}

/// The stand-in checks every part of an assertion as Entra ID does, and answers a
/// wrong one with Entra ID's error body.
#[test]
fn the_mock_verifies_assertions_for_real() {
    let made = certs::valid_for(Key::A, 365);
    let mock = mock_for(&[&made]);
    let url = format!("{}/t1/oauth2/v2.0/token", mock.url());
    let now = certs::unix_now();
    let header = json!({"alg": "PS256", "typ": "JWT", "x5t#S256": made.x5t_s256()});
    let claims = json!({"aud": url, "iss": "c1", "sub": "c1", "jti": "j", "nbf": now, "iat": now, "exp": now + 600});
    let with = |key: &str, value: serde_json::Value| {
        let mut changed = claims.clone();
        changed[key] = value;
        changed
    };
    let other = json!({"alg": "PS256", "typ": "JWT", "x5t#S256": certs::valid_for(Key::B, 365).x5t_s256()});
    let rs256 = json!({"alg": "RS256", "typ": "JWT", "x5t#S256": made.x5t_s256()});
    let cases: [(Key, &serde_json::Value, serde_json::Value, u16, u32); 8] = [
        (Key::A, &header, claims.clone(), 200, 0),
        (Key::B, &header, claims.clone(), 401, 700027),
        (Key::B, &other, claims.clone(), 401, 700027),
        (Key::A, &rs256, claims.clone(), 400, 50027),
        (Key::A, &header, with("aud", json!("https://login.microsoftonline.com/t1/oauth2/v2.0/token")), 401, 50013),
        (Key::A, &header, with("sub", json!("c2")), 401, 700021),
        (Key::A, &header, with("exp", json!(now - 400)), 401, 700024),
        (Key::A, &header, with("nbf", json!(now + 400)), 401, 700024),
    ];
    for (key, header, claims, status, code) in cases {
        let jwt = certs::assertion(key, header, &claims);
        let form = format!(
            "grant_type=client_credentials&client_id=c1&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion={jwt}&scope=x"
        );
        let answer = crate::common::http("POST", &url, &[], form.as_bytes()).expect("token call");
        assert_eq!(answer.status, status, "{claims}: {}", answer.text());
        if code == 0 {
            continue;
        }
        let body: serde_json::Value = serde_json::from_slice(&answer.body).expect("json");
        assert_eq!(body["error_codes"][0], code, "{claims}: {body}");
        let description = body["error_description"].as_str().expect("description");
        assert!(description.starts_with(&format!("AADSTS{code}: ")), "{description}");
        assert!(
            description.contains("\r\nTrace ID: ") && description.contains("\r\nCorrelation ID: "),
            "{description}"
        );
        for field in ["error", "timestamp", "trace_id", "correlation_id"] {
            assert!(body[field].is_string(), "{field} missing: {body}");
        }
    }
    // A registered certificate past its end is refused too.
    let now_time = SystemTime::now();
    let stale = certs::certificate(Key::A, now_time - DAY * 10, now_time - DAY);
    let mock = mock_for(&[&stale]);
    let url = format!("{}/t1/oauth2/v2.0/token", mock.url());
    let header = json!({"alg": "PS256", "typ": "JWT", "x5t#S256": stale.x5t_s256()});
    let claims = json!({"aud": url, "iss": "c1", "sub": "c1", "jti": "j", "nbf": now, "iat": now, "exp": now + 600});
    let form = format!(
        "client_id=c1&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion={}",
        certs::assertion(Key::A, &header, &claims)
    );
    let answer = crate::common::http("POST", &url, &[], form.as_bytes()).expect("token call");
    assert_eq!(answer.status, 401);
    assert!(answer.text().contains("The key used is expired"), "{}", answer.text());
}
