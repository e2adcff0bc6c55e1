//! `--statefile-key`, end to end: the token cache in Perl's encrypted statefile
//! format, read and written both ways, and the report cache copies encrypted too.
//!
//! The Perl side is played by [`perl_seal`] / [`perl_open`], written here from the
//! format's definition (AES-CBC, PKCS#7, the key padded with `0`, the JSON envelope)
//! and checked against the test vector Perl's own `Crypt::Mode::CBC` produced.

use std::path::Path;

use aes::Aes128;
use base64ct::{Base64, Encoding};
use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockModeDecrypt, BlockModeEncrypt, KeyIvInit};
use serde_json::{json, Value};

use crate::common::plugin::{self, Outcome};
use crate::common::TempDir;
use crate::mock::MockGraph;

/// The token cache of `--tenant=t1 --client-id=c1`.
const TOKEN_CACHE: &str = "office365_graphapi_83f1535f99ab0bf4e9d02dfd85d3e3f7_a9f7e97965d6cf799a529102a973b8b9";
/// The names of the report cache's entries start with this.
const REPORT_PREFIX: &str = "office365_graphapi_report_";

/// A key shorter than 16 bytes, padded with `0` as Perl does.
const KEY: &str = "centreon";

fn padded(key: &str) -> [u8; 16] {
    let mut bytes = [b'0'; 16];
    bytes[..key.len()].copy_from_slice(key.as_bytes());
    bytes
}

/// What Perl's statefile module stores for `plain` under `KEY` and `iv`.
fn perl_seal(plain: &[u8], iv: [u8; 16]) -> Value {
    let ciphertext =
        cbc::Encryptor::<Aes128>::new_from_slices(&padded(KEY), &iv).expect("key").encrypt_padded_vec::<Pkcs7>(plain);
    let iv_hex: String = iv.iter().map(|b| format!("{b:02x}")).collect();
    json!({"encrypted": 1, "cipher": "AES", "iv": iv_hex, "ciphertext": Base64::encode_string(&ciphertext)})
}

/// What Perl's statefile module reads from a stored envelope.
fn perl_open(envelope: &Value) -> Vec<u8> {
    let hex = envelope["iv"].as_str().expect("iv");
    let iv: Vec<u8> = (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex")).collect();
    let ciphertext = Base64::decode_vec(envelope["ciphertext"].as_str().expect("ciphertext")).expect("base64");
    cbc::Decryptor::<Aes128>::new_from_slices(&padded(KEY), &iv)
        .expect("key")
        .decrypt_padded_vec::<Pkcs7>(&ciphertext)
        .expect("decrypts")
}

fn run(mock: &MockGraph, state: &Path, args: &[&str]) -> Outcome {
    plugin::run_in(&mock.url(), state, args)
}

fn assert_ok(outcome: &Outcome) {
    assert_eq!(outcome.code, 0, "{}", outcome.stdout);
    assert!(outcome.stdout.starts_with("OK: "), "{}", outcome.stdout);
}

/// A check that got its data (whatever the services' status).
fn assert_checked(outcome: &Outcome) {
    assert!(outcome.code != 3 && !outcome.stdout.starts_with("UNKNOWN"), "{}", outcome.stdout);
}

fn stored(state: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(state.join(TOKEN_CACHE)).expect("token cache")).expect("JSON")
}

#[test]
fn the_perl_test_vector_is_what_the_stand_in_produces() {
    let iv = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
    let envelope = perl_seal(br#"{"access_token":"t","expires_on":1}"#, iv);
    assert_eq!(envelope["ciphertext"], "NkqrmbTMgoODJx/xEqVJdqokEgX6vZilVOFxRfyqEBliL10O83b3P2b3J+u62CUO");
    assert_eq!(perl_open(&envelope), br#"{"access_token":"t","expires_on":1}"#);
}

/// The plugin writes the envelope Perl reads; a Perl-written envelope is read here
/// (its token used, no new one asked); a wrong key is an empty cache, not an error.
#[test]
fn token_cache_is_encrypted_both_ways() {
    let mock = MockGraph::builder().start().expect("mock");
    let state = TempDir::new("secrets-statefile").expect("state");
    let with_key = ["--mode=service-status", "--statefile-key=centreon"];
    assert_checked(&run(&mock, state.path(), &with_key));
    let envelope = stored(state.path());
    assert_eq!((envelope["encrypted"].clone(), envelope["cipher"].clone()), (json!(1), json!("AES")));
    assert!(!envelope.to_string().contains("tok-"), "no token in clear: {envelope}");
    let inner: Value = serde_json::from_slice(&perl_open(&envelope)).expect("Perl reads the JSON inside");
    let token = inner["access_token"].as_str().expect("token").to_string();
    assert!(token.starts_with("tok-"), "{inner}");
    assert_eq!(mock.token_requests(), 1);

    // Perl wrote it: the same content under another IV, as Perl's module stores it.
    let perl = perl_seal(inner.to_string().as_bytes(), [7; 16]);
    std::fs::write(state.path().join(TOKEN_CACHE), perl.to_string()).expect("write");
    assert_checked(&run(&mock, state.path(), &with_key));
    assert_eq!(mock.token_requests(), 1, "the Perl-written token is used");

    let wrong = run(&mock, state.path(), &["--mode=service-status", "--statefile-key=another"]);
    assert_checked(&wrong);
    assert_eq!(mock.token_requests(), 2, "a wrong key is an empty cache: a new token");
    assert!(!stored(state.path()).to_string().contains("tok-"));
}

#[test]
fn report_cache_copies_are_encrypted_with_the_key() {
    let mock = MockGraph::builder().start().expect("mock");
    let state = TempDir::new("secrets-report").expect("state");
    let args = ["--mode=mailbox-usage", "--statefile-key=centreon"];
    let cold = run(&mock, state.path(), &args);
    assert_ok(&cold);
    let entries: Vec<_> = std::fs::read_dir(state.path())
        .expect("dir")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().strip_prefix(REPORT_PREFIX).is_some_and(|rest| rest.len() == 32))
        .collect();
    assert_eq!(entries.len(), 1, "one copy");
    let bytes = std::fs::read(entries[0].path()).expect("copy");
    assert!(!bytes.windows(9).any(|w| w == b"onmicroso"), "no user name in clear");
    let downloads = mock.downloads("getMailboxUsageDetail");
    assert_eq!(run(&mock, state.path(), &args), cold, "the encrypted copy answers");
    assert_eq!(mock.downloads("getMailboxUsageDetail"), downloads, "no new download");
    let other = run(&mock, state.path(), &["--mode=mailbox-usage", "--statefile-key=another"]);
    assert_eq!(other.stdout, cold.stdout, "another key: downloaded again, same answer");
    assert_eq!(mock.downloads("getMailboxUsageDetail"), downloads + 1);
}

#[test]
fn an_unusable_cipher_or_key_is_refused_before_any_request() {
    let outcome = plugin::run_offline(&["--mode=list-services", "--statefile-key=k", "--statefile-cipher=Twofish"]);
    assert_eq!(outcome.stdout, "UNKNOWN: --statefile-cipher 'Twofish' is not supported: use --statefile-cipher=AES \n");
    assert_eq!(outcome.code, 3);
    let outcome = plugin::run_offline(&["--mode=list-services", "--statefile-key=a-key-of-20-bytes!!!"]);
    assert_eq!(
        outcome.stdout,
        "UNKNOWN: --statefile-key has 20 bytes: an AES key has 16, 24 or 32 bytes (a shorter one is padded) \n"
    );
}
