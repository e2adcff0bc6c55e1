//! Client certificates: the credential an Entra ID application can use instead of a
//! client secret (`--client-certificate`).
//!
//! Accepted files, told apart by their content:
//!
//! * PEM holding the certificate and its private key, or the certificate alone with the
//!   key in `--client-certificate-key`. Keys may be PKCS#8 (`PRIVATE KEY`), PKCS#1
//!   (`RSA PRIVATE KEY`) or password-protected PKCS#8 (`ENCRYPTED PRIVATE KEY`, its
//!   password in `--client-certificate-password`). Other blocks (a chain, OpenSSL's
//!   `Bag Attributes` text) are ignored.
//! * PKCS#12 (`.pfx` / `.p12`, as Windows and `openssl pkcs12 -export` write them), with
//!   its password in `--client-certificate-password`: AES-256-CBC with PBKDF2 as
//!   current exports use, and the legacy 3DES / RC2 ones.
//!
//! The certificate used is the one whose public key matches the private key; a file
//! whose key matches none of its certificates is refused, and so is a certificate
//! outside its validity period, before any request. Neither the key nor the password
//! ever appears in a message.

use std::fmt;
use std::io::Read;

use base64ct::{Base64UrlUnpadded, Encoding};
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::{PrivateKey, PublicKey};
use sha2::{Digest, Sha256};
use x509_cert::der::{self, Decode, Encode};
use x509_cert::Certificate;

use centreon_plugin::error::{Error, Result};
use centreon_plugin::options::{OptionSpec, Text};

use crate::custom::pfx::{self, PfxError};

/// `--client-certificate`: the certificate (and its key, or a PKCS#12 file).
pub const CERTIFICATE: Text = Text::new(
    "client-certificate",
    "Authenticate with a certificate instead of a client secret: a PEM file holding \
     the certificate and its private key (or the certificate alone, see \
     --client-certificate-key), or a PKCS#12 file (.pfx, .p12). Its public part must be \
     uploaded to the application registration. Excludes --client-secret.",
);
/// `--client-certificate-key`: the private key, when the certificate file lacks it.
pub const KEY: Text = Text::new(
    "client-certificate-key",
    "Set the PEM file holding the private key of --client-certificate, when the \
     certificate file does not hold it.",
);
/// `--client-certificate-password`: the password of the PKCS#12 file or of the key.
pub const PASSWORD: Text = Text::new(
    "client-certificate-password",
    "Set the password of the PKCS#12 file or of the encrypted private key \
     (--pass-manager=environment can fill it).",
);

/// The names of the three options, for messages.
pub const CERTIFICATE_OPTION: &str = CERTIFICATE.name();
/// See [`CERTIFICATE_OPTION`].
pub const KEY_OPTION: &str = KEY.name();
/// See [`CERTIFICATE_OPTION`].
pub const PASSWORD_OPTION: &str = PASSWORD.name();

/// From this many days before its end, every run says that the certificate expires
/// soon, so that monitoring does not stop silently on the day it does.
pub const EXPIRY_NOTICE_DAYS: i64 = 30;

/// The largest certificate or key file read; real ones are a few kilobytes.
const FILE_LIMIT: u64 = 1 << 20;

/// The OID of `rsaEncryption`, the only key type accepted.
const RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";

/// The declarations of the three options, in help order.
pub fn options() -> Vec<OptionSpec> {
    vec![CERTIFICATE.spec(), KEY.spec(), PASSWORD.spec()]
}

/// The files and password the options name.
#[derive(Clone, Copy)]
pub struct CertificateFiles<'a> {
    /// `--client-certificate`.
    pub certificate: &'a str,
    /// `--client-certificate-key`.
    pub key: Option<&'a str>,
    /// `--client-certificate-password`.
    pub password: Option<&'a str>,
}

/// A certificate with its private key, ready to sign client assertions.
#[derive(Clone)]
pub struct ClientCertificate {
    path: String,
    der: Vec<u8>,
    key: PrivateKey,
    subject: String,
    not_before: Moment,
    not_after: Moment,
}

/// A point in time of the certificate: Unix seconds and the text shown to admins.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Moment {
    unix: i64,
    text: String,
}

impl fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCertificate")
            .field("path", &self.path)
            .field("subject", &self.subject)
            .field("x5t#S256", &self.x5t_s256())
            .finish_non_exhaustive()
    }
}

/// What a PEM file or a PKCS#12 archive holds.
#[derive(Default)]
struct Contents {
    certificates: Vec<Vec<u8>>,
    key: Option<PrivateKey>,
}

impl ClientCertificate {
    /// Reads the certificate and its key from `files` and checks that they belong
    /// together. The validity period is checked by [`ClientCertificate::check_validity`].
    pub fn load(files: CertificateFiles<'_>) -> Result<ClientCertificate> {
        let path = files.certificate;
        let bytes = read_file(path, CERTIFICATE_OPTION)?;
        let mut contents = if is_pem(&bytes) {
            pem_contents(path, &String::from_utf8_lossy(&bytes), files.password)?
        } else {
            pkcs12_contents(path, &bytes, files.password)?
        };
        if contents.certificates.is_empty() {
            return Err(Error::new(format!("The --{CERTIFICATE_OPTION} file '{path}' holds no certificate")));
        }
        let key_path = files.key.unwrap_or(path);
        let key = match files.key {
            Some(key_path) => {
                let bytes = read_file(key_path, KEY_OPTION)?;
                if !is_pem(&bytes) {
                    return Err(Error::new(format!(
                        "The --{KEY_OPTION} file '{key_path}' is not PEM (-----BEGIN PRIVATE KEY-----)"
                    )));
                }
                pem_contents(key_path, &String::from_utf8_lossy(&bytes), files.password)?.key
            }
            None => contents.key.take(),
        };
        let Some(key) = key else {
            return Err(Error::new(format!("The file '{key_path}' holds no private key: give it with --{KEY_OPTION}")));
        };
        let public = key.to_public_key();
        let mut seen_rsa = false;
        for der in contents.certificates {
            let certificate = Certificate::from_der(&der)
                .map_err(|e| Error::new(format!("The certificate in '{path}' cannot be decoded: {e}")))?;
            let tbs = certificate.tbs_certificate();
            let spki = tbs.subject_public_key_info();
            if spki.algorithm.oid.to_string() != RSA_ENCRYPTION {
                continue;
            }
            seen_rsa = true;
            let matches = spki
                .to_der()
                .ok()
                .and_then(|spki| PublicKey::from_public_key_der(&spki).ok())
                .is_some_and(|candidate| candidate == public);
            if matches {
                let validity = tbs.validity();
                return Ok(ClientCertificate {
                    path: path.to_string(),
                    subject: tbs.subject().to_string(),
                    not_before: moment(validity.not_before),
                    not_after: moment(validity.not_after),
                    der,
                    key,
                });
            }
        }
        if !seen_rsa {
            return Err(Error::new(format!(
                "The certificate in '{path}' has no RSA public key: Entra ID certificate credentials \
                 need an RSA certificate"
            )));
        }
        Err(Error::new(format!("The private key in '{key_path}' does not match the certificate in '{path}'")))
    }

    /// Refuses a certificate that is not valid at `now` (Unix seconds); says when it
    /// expires within [`EXPIRY_NOTICE_DAYS`].
    pub fn check_validity(&self, now: i64) -> Result<Option<String>> {
        let path = &self.path;
        if now < self.not_before.unix {
            return Err(Error::new(format!(
                "The certificate in '{path}' is not valid before {} (check the clock of this host)",
                self.not_before.text
            )));
        }
        if now > self.not_after.unix {
            return Err(Error::new(format!(
                "The certificate in '{path}' expired on {}: create a new one, upload it to the \
                 application registration and give it with --{CERTIFICATE_OPTION}",
                self.not_after.text
            )));
        }
        let left = self.not_after.unix - now;
        if left >= EXPIRY_NOTICE_DAYS * 86_400 {
            return Ok(None);
        }
        let days = left / 86_400;
        let when = match days {
            0 => "in less than a day".to_string(),
            1 => "in 1 day".to_string(),
            n => format!("in {n} days"),
        };
        Ok(Some(format!(
            "Client certificate '{}' (x5t#S256 {}) expires on {}, {when}: upload a new one to \
             the application registration before then",
            self.subject,
            self.x5t_s256(),
            self.not_after.text
        )))
    }

    /// The base64url SHA-256 of the certificate's DER: the `x5t#S256` by which Entra
    /// ID finds the certificate among the application's credentials.
    pub fn x5t_s256(&self) -> String {
        Base64UrlUnpadded::encode_string(&Sha256::digest(&self.der))
    }

    /// The private key, for signing.
    pub fn key(&self) -> &PrivateKey {
        &self.key
    }
}

/// A certificate time as Unix seconds and as `YYYY-MM-DDTHH:MM:SSZ`.
fn moment(time: x509_cert::time::Time) -> Moment {
    let unix = i64::try_from(time.to_unix_duration().as_secs()).unwrap_or(i64::MAX);
    Moment { unix, text: time.to_date_time().to_string() }
}

/// The file's bytes, or an error naming the option and the file.
fn read_file(path: &str, option: &str) -> Result<Vec<u8>> {
    let cannot = |e: &dyn fmt::Display| Error::new(format!("Cannot read --{option} file '{path}': {e}"));
    let file = std::fs::File::open(path).map_err(|e| cannot(&e))?;
    let mut bytes = Vec::new();
    file.take(FILE_LIMIT + 1).read_to_end(&mut bytes).map_err(|e| cannot(&e))?;
    if bytes.len() as u64 > FILE_LIMIT {
        return Err(cannot(&format!("larger than {FILE_LIMIT} bytes: not a certificate")));
    }
    Ok(bytes)
}

/// Whether the file is PEM text rather than binary PKCS#12.
fn is_pem(bytes: &[u8]) -> bool {
    memchr::memmem::find(bytes, b"-----BEGIN ").is_some()
}

/// The certificates and the private key of a PEM file.
fn pem_contents(path: &str, text: &str, password: Option<&str>) -> Result<Contents> {
    let mut contents = Contents::default();
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN ") {
        let block = &rest[start..];
        let label = block["-----BEGIN ".len()..].split("-----").next().unwrap_or_default();
        let end_marker = format!("-----END {label}-----");
        let Some(end) = block.find(&end_marker) else {
            return Err(Error::new(format!("The PEM file '{path}' has a '{label}' block without its END line")));
        };
        let block = &block[..end + end_marker.len()];
        rest = &rest[start + block.len()..];
        let is_key = label.ends_with("PRIVATE KEY");
        if is_key && block.contains("Proc-Type:") {
            return Err(Error::new(format!(
                "The private key in '{path}' uses OpenSSL's legacy encryption: convert it with \
                 'openssl pkcs8 -topk8' (PKCS#8, AES)"
            )));
        }
        if label != "CERTIFICATE" && !is_key {
            continue;
        }
        let (_, der) = der::pem::decode_vec(block.as_bytes())
            .map_err(|e| Error::new(format!("The PEM file '{path}' has a damaged '{label}' block: {e}")))?;
        if label == "CERTIFICATE" {
            contents.certificates.push(der);
        } else if contents.key.is_none() {
            contents.key = Some(pem_key(path, label, &der, password)?);
        }
    }
    Ok(contents)
}

/// Decodes the private key of a PEM block labelled `label`.
fn pem_key(path: &str, label: &str, der: &[u8], password: Option<&str>) -> Result<PrivateKey> {
    let damaged = |e: &dyn fmt::Display| Error::new(format!("The private key in '{path}' cannot be decoded: {e}"));
    match label {
        "PRIVATE KEY" => pkcs8_key(path, der),
        "RSA PRIVATE KEY" => PrivateKey::from_pkcs1_der(der).map_err(|e| damaged(&e)),
        "ENCRYPTED PRIVATE KEY" => {
            let Some(password) = password else {
                return Err(Error::new(format!(
                    "The private key in '{path}' is encrypted: give its password with --{PASSWORD_OPTION}"
                )));
            };
            let key = pfx::decrypt_key(der, password).map_err(|e| match e {
                PfxError::Password => {
                    Error::new(format!("The private key in '{path}' cannot be decrypted: wrong --{PASSWORD_OPTION}"))
                }
                other => damaged(&other),
            })?;
            pkcs8_key(path, &key)
        }
        _ => Err(not_rsa(path)),
    }
}

/// An RSA key from PKCS#8 DER; another algorithm is named as such.
fn pkcs8_key(path: &str, der: &[u8]) -> Result<PrivateKey> {
    match rsa::pkcs8::PrivateKeyInfoRef::try_from(der) {
        Ok(info) if info.algorithm.oid.to_string() != RSA_ENCRYPTION => Err(not_rsa(path)),
        _ => PrivateKey::from_pkcs8_der(der)
            .map_err(|e| Error::new(format!("The private key in '{path}' cannot be decoded: {e}"))),
    }
}

fn not_rsa(path: &str) -> Error {
    Error::new(format!("The private key in '{path}' is not an RSA key: Entra ID certificate credentials need RSA"))
}

/// The certificates and the private key of a PKCS#12 archive.
fn pkcs12_contents(path: &str, bytes: &[u8], password: Option<&str>) -> Result<Contents> {
    if !looks_like_pfx(bytes) {
        return Err(Error::new(format!(
            "The --{CERTIFICATE_OPTION} file '{path}' is neither PEM nor PKCS#12 (.pfx, .p12)"
        )));
    }
    let archive = pfx::read(bytes, password.unwrap_or("")).map_err(|e| match e {
        PfxError::Password if password.is_none() => Error::new(format!(
            "The PKCS#12 file '{path}' is protected by a password: give it with --{PASSWORD_OPTION}"
        )),
        PfxError::Password => {
            Error::new(format!("The PKCS#12 file '{path}' cannot be opened: wrong --{PASSWORD_OPTION}"))
        }
        other => Error::new(format!("The PKCS#12 file '{path}' cannot be read: {other}")),
    })?;
    let key = archive.keys.first().map(|der| pkcs8_key(path, der)).transpose()?;
    Ok(Contents { certificates: archive.certificates, key })
}

/// Whether the bytes start as a PKCS#12 `PFX` does: a DER SEQUENCE whose first
/// element is the INTEGER 3.
fn looks_like_pfx(bytes: &[u8]) -> bool {
    let Ok(mut reader) = der::SliceReader::new(bytes) else { return false };
    let Ok(header) = der::Header::decode(&mut reader) else { return false };
    header.tag() == der::Tag::Sequence && der::Tag::peek(&reader).ok() == Some(der::Tag::Integer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_rules() {
        let key = PrivateKey::from_pkcs8_der(&der::pem::decode_vec(TEST_KEY.as_bytes()).expect("pem").1).expect("key");
        let certificate = ClientCertificate {
            path: "c.pem".into(),
            der: b"der".to_vec(),
            key,
            subject: "CN=monitoring".into(),
            not_before: Moment { unix: 1_000, text: "from".into() },
            not_after: Moment { unix: 1_000 + 90 * 86_400, text: "2026-12-01T00:00:00Z".into() },
        };
        assert!(certificate.check_validity(999).expect_err("early").message().contains("not valid before from"));
        assert_eq!(certificate.check_validity(1_000).expect("valid"), None);
        let soon = 1_000 + 90 * 86_400 - 12 * 86_400 - 5;
        let note = certificate.check_validity(soon).expect("valid").expect("note");
        assert!(note.starts_with("Client certificate 'CN=monitoring' (x5t#S256 "), "{note}");
        assert!(note.contains("expires on 2026-12-01T00:00:00Z, in 12 days"), "{note}");
        let last = certificate.check_validity(1_000 + 90 * 86_400 - 60).expect("valid").expect("note");
        assert!(last.contains("in less than a day"), "{last}");
        let expired = certificate.check_validity(1_001 + 90 * 86_400).expect_err("expired");
        assert!(expired.message().starts_with("The certificate in 'c.pem' expired on 2026-12-01T00:00:00Z"));
        assert!(!format!("{certificate:?}").contains("key"), "Debug leaves the key out");
    }

    #[test]
    fn thumbprint_is_base64url_sha256_of_the_der() {
        let key = PrivateKey::from_pkcs8_der(&der::pem::decode_vec(TEST_KEY.as_bytes()).expect("pem").1).expect("key");
        let moment = Moment { unix: 0, text: String::new() };
        let certificate = ClientCertificate {
            path: String::new(),
            der: b"abc".to_vec(),
            key,
            subject: String::new(),
            not_before: moment.clone(),
            not_after: moment,
        };
        // SHA-256("abc") = ba7816bf 8f01cfea … : base64url without padding.
        assert_eq!(certificate.x5t_s256(), "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0");
    }

    #[test]
    fn pem_blocks_are_told_apart() {
        let text = format!(
            "Bag Attributes\n    friendlyName: x\n{TEST_KEY}\n-----BEGIN X509 CRL-----\nAA==\n-----END X509 CRL-----\n"
        );
        let contents = pem_contents("k.pem", &text, None).expect("pem");
        assert!(contents.key.is_some() && contents.certificates.is_empty());
        let legacy = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,00\n\nAA==\n-----END RSA PRIVATE KEY-----\n";
        let refused = pem_contents("k.pem", legacy, None).err().expect("legacy");
        assert!(refused.message().contains("openssl pkcs8 -topk8"), "{refused}");
        let cut = pem_contents("c.pem", "-----BEGIN CERTIFICATE-----\nAA==\n", None).err().expect("cut");
        assert_eq!(cut.message(), "The PEM file 'c.pem' has a 'CERTIFICATE' block without its END line");
        let ec = "-----BEGIN EC PRIVATE KEY-----\nAA==\n-----END EC PRIVATE KEY-----\n";
        assert!(pem_contents("k.pem", ec, None).err().expect("ec").message().contains("is not an RSA key"));
    }

    #[test]
    fn binary_files_that_are_not_pkcs12_are_named_as_such() {
        for bytes in [&b"\x00\x01garbage"[..], b"\x30\x03\x04\x01\x00"] {
            let err = pkcs12_contents("x.bin", bytes, None).err().expect("refused");
            assert_eq!(err.message(), "The --client-certificate file 'x.bin' is neither PEM nor PKCS#12 (.pfx, .p12)");
        }
    }

    /// A throw-away RSA 2048 key for the unit tests (never used anywhere else).
    const TEST_KEY: &str = include_str!("../tests/fixtures/certificates/key-a.pem");
}
