//! `--pass-manager=file`, `keepass` and `teampass`, end to end: the client secret is
//! found with a JSONPath (RFC 9535, or a Perl filter translated) in a JSON file, a
//! KDBX 4 database written by the `keepass` crate, or a TeamPass answer, mapped into
//! `--client-secret`, and the check authenticates against the Microsoft stand-in.

use std::path::{Path, PathBuf};

use keepass::config::KdfConfig;
use keepass::{Database, DatabaseKey};
use serde_json::json;

use crate::common::plugin::{Outcome, Plugin};
use crate::common::TempDir;
use crate::mock::teampass::TeamPass;
use crate::mock::{MockGraph, VALID_SECRET};

/// A check whose client secret comes from the manager `args` configure.
fn check(mock: &MockGraph, args: &[String]) -> Outcome {
    Plugin::new()
        .args(["--mode=service-status", "--debug"])
        .args(args)
        .client()
        .endpoints(&mock.url())
        .fresh_state()
        .run()
}

fn assert_authenticated(outcome: &Outcome, mock: &MockGraph) {
    assert!(outcome.code != 3 && !outcome.stdout.starts_with("UNKNOWN"), "{}", outcome.stdout);
    assert_eq!(mock.token_requests(), 1, "{}", outcome.stdout);
    assert!(!outcome.stdout.contains(VALID_SECRET), "the secret is masked: {}", outcome.stdout);
}

fn first_line(outcome: &Outcome) -> &str {
    outcome.stdout.lines().next().unwrap_or_default()
}

fn secret_file(dir: &Path) -> PathBuf {
    let path = dir.join("secrets.json");
    let document = json!({"entries": [
        {"title": "ServeurX", "tenant": "other", "password": "not-this-one"},
        {"title": "office365", "tenant": "t1", "password": VALID_SECRET}
    ]});
    std::fs::write(&path, document.to_string()).expect("secret file");
    path
}

#[test]
fn file_manager_maps_rfc_and_perl_lookups() {
    let dir = TempDir::new("secret-file").expect("dir");
    let file = secret_file(dir.path());
    for path in [
        "$.entries[?@.tenant == '%{tenant}'].password",
        "$..entries.[?($_->{title} =~ /^OFFICE365$/i)].password",
        "$..entries[?($_->{title} ne \"ServeurX\" && $_->{tenant} eq 't1')].password",
    ] {
        let mock = MockGraph::builder().start().expect("mock");
        let args = [
            "--pass-manager=file".to_string(),
            format!("--secret-file={}", file.display()),
            format!("--secret-search-value=pass={path}"),
            "--secret-map-option=client_secret=%{pass}".to_string(),
        ];
        assert_authenticated(&check(&mock, &args), &mock);
    }
}

#[test]
fn file_manager_errors_are_perls_and_perl_code_is_refused() {
    let dir = TempDir::new("secret-file-errors").expect("dir");
    let mock = MockGraph::builder().start().expect("mock");
    let missing = check(&mock, &["--pass-manager=file".to_string(), "--secret-file=/nonexistent/s.json".to_string()]);
    assert_eq!(
        first_line(&missing),
        "UNKNOWN: Cannot read secret file '/nonexistent/s.json': No such file or directory "
    );
    let garbage = dir.path().join("garbage.json");
    std::fs::write(&garbage, "{not json").expect("write");
    let bad = check(&mock, &["--pass-manager=file".to_string(), format!("--secret-file={}", garbage.display())]);
    assert_eq!(first_line(&bad), "UNKNOWN: Cannot decode secret file ");
    let code = check(
        &mock,
        &[
            "--pass-manager=file".to_string(),
            format!("--secret-file={}", secret_file(dir.path()).display()),
            "--secret-search-value=pass=$..entries[?(system('touch /tmp/pwned') || $_->{a} eq 'b')].password"
                .to_string(),
        ],
    );
    assert!(first_line(&code).starts_with("UNKNOWN: file: --secret-search-value 'pass': filter "), "{}", code.stdout);
    assert!(code.stdout.contains("supported Perl filters are"), "{}", code.stdout);
    assert_eq!(mock.token_requests(), 0);
}

/// A KDBX 4 database with the client secret in the entry `o365` of a sub-group.
fn keepass_file(dir: &Path, password: &str) -> PathBuf {
    let mut db = Database::new();
    db.config.kdf_config = KdfConfig::Aes { rounds: 1000 };
    {
        let mut root = db.root_mut();
        root.name = "Root".to_string();
        let mut other = root.add_entry();
        other.set_unprotected("Title", "router");
        other.set_protected("Password", "not-this-one");
        let mut group = root.add_group();
        group.name = "Monitoring".to_string();
        let mut entry = group.add_entry();
        entry.set_unprotected("Title", "o365");
        entry.set_unprotected("UserName", "c1");
        entry.set_protected("Password", VALID_SECRET);
    }
    let path = dir.join("secrets.kdbx");
    let mut file = std::fs::File::create(&path).expect("kdbx");
    db.save(&mut file, DatabaseKey::new().with_password(password)).expect("saved");
    path
}

#[test]
fn keepass_manager_reads_a_kdbx4_database() {
    let dir = TempDir::new("keepass").expect("dir");
    let file = keepass_file(dir.path(), "master-pass");
    let search =
        "--keepass-search-value=password=$..Entry[?($_->{Title} eq \"o365\")].String[?($_->{Key} eq \"Password\")].Value.content";
    let args = |password: &str| {
        vec![
            "--pass-manager=keepass".to_string(),
            format!("--keepass-file={}", file.display()),
            format!("--keepass-password={password}"),
            search.to_string(),
            "--keepass-map-option=client-secret=%{password}".to_string(),
        ]
    };
    let mock = MockGraph::builder().start().expect("mock");
    let outcome = check(&mock, &args("master-pass"));
    assert_authenticated(&outcome, &mock);
    assert!(!outcome.stdout.contains("master-pass"), "{}", outcome.stdout);

    let wrong = check(&mock, &args("wrong"));
    assert!(first_line(&wrong).starts_with("UNKNOWN: Cannot read keepass file: "), "{}", wrong.stdout);
    let no_password =
        check(&mock, &["--pass-manager=keepass".to_string(), format!("--keepass-file={}", file.display())]);
    assert_eq!(first_line(&no_password), "UNKNOWN: Please set keepass-password option ");
    let endpoint =
        check(&mock, &["--pass-manager=keepass".to_string(), "--keepass-endpoint-file=/etc/kp.pl".to_string()]);
    assert!(
        first_line(&endpoint).starts_with("UNKNOWN: keepass: --keepass-endpoint-file is Perl code"),
        "{}",
        endpoint.stdout
    );
    assert_eq!(mock.token_requests(), 1);
}

/// The databases KeePassXC wrote (`tests/fixtures/keepass/README.md`): its KDBX 4 one
/// is read, its KDBX 3.1 one refused with Perl's message.
#[test]
fn keepass_manager_reads_what_keepassxc_writes() {
    let fixture = |name: &str| format!("{}/tests/fixtures/keepass/{name}", env!("CARGO_MANIFEST_DIR"));
    let args = |name: &str| {
        vec![
            "--pass-manager=keepass".to_string(),
            format!("--keepass-file={}", fixture(name)),
            "--keepass-password=fixture-master".to_string(),
            "--keepass-search-value=password=$..Entry[?($_->{Title} eq \"o365\")].String[?($_->{Key} eq \"Password\")].Value.content".to_string(),
            "--keepass-map-option=client-secret=%{password}".to_string(),
        ]
    };
    let mock = MockGraph::builder().start().expect("mock");
    assert_authenticated(&check(&mock, &args("keepassxc-kdbx4.kdbx")), &mock);
    let old = check(&mock, &args("keepassxc-kdbx3.kdbx"));
    assert_eq!(first_line(&old), "UNKNOWN: Unsupported KeePass 2 database version (only version 4) ");
}

#[test]
fn teampass_manager_searches_the_api_answer() {
    let teampass = TeamPass::start(
        "k3y-value",
        "/read/userpw/c1",
        json!([{"id": "7", "label": "o365", "login": "c1", "pw": VALID_SECRET}]),
    );
    let args = |key: &str| {
        vec![
            "--pass-manager=teampass".to_string(),
            format!("--teampass-api-address={}", teampass.address()),
            format!("--teampass-api-key={key}"),
            "--teampass-api-request=/read/userpw/c1".to_string(),
            "--teampass-search-value=pw=$[?($_->{label} eq 'o365')].pw".to_string(),
            "--teampass-map-option=client-secret=%{pw}".to_string(),
        ]
    };
    let mock = MockGraph::builder().start().expect("mock");
    let outcome = check(&mock, &args("k3y-value"));
    assert_authenticated(&outcome, &mock);
    assert!(!outcome.stdout.contains("k3y-value"), "the API key is masked: {}", outcome.stdout);
    let denied = check(&mock, &args("wrong"));
    assert_eq!(first_line(&denied), "UNKNOWN: Need to specify --client-secret option. ");
    let urls = teampass.targets();
    assert_eq!(urls, ["/api/index.php/read/userpw/c1?apikey=k3y-value", "/api/index.php/read/userpw/c1?apikey=wrong"]);
    let missing = check(&mock, &["--pass-manager=teampass".to_string()]);
    assert_eq!(first_line(&missing), "UNKNOWN: Please set teampass-api-address option ");
}
