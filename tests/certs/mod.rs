//! Certificates made at test time: any validity period, signed with the throw-away
//! keys of `tests/fixtures/certificates`, written as PEM files (the PKCS#12 archives
//! are the fixtures the OpenSSL command line wrote); and client assertions crafted by
//! hand, to see what the stand-in refuses.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{Duration, SystemTime};

use base64ct::{Base64UrlUnpadded, Encoding};
use rsa::pkcs8::DecodePrivateKey;
use rsa::pss::SigningKey;
use rsa::signature::{SignatureEncoding, Signer};
use rsa::PrivateKey;
use sha2::{Digest, Sha256};
use x509_cert::builder::profile::BuilderProfile;
use x509_cert::builder::{Builder, CertificateBuilder};
use x509_cert::certificate::TbsCertificate;
use x509_cert::der::pem::LineEnding;
use x509_cert::der::{Encode, EncodePem};
use x509_cert::ext::Extension;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::{SubjectPublicKeyInfo, SubjectPublicKeyInfoRef};
use x509_cert::time::{Time, Validity};

/// One of the two fixture keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    A,
    B,
}

/// A day, for validity periods.
pub const DAY: Duration = Duration::from_secs(86_400);

/// The fixture directory.
pub fn fixture(name: &str) -> PathBuf {
    [env!("CARGO_MANIFEST_DIR"), "tests", "fixtures", "certificates", name].iter().collect()
}

impl Key {
    /// The PKCS#8 PEM of the key.
    pub fn pem(self) -> String {
        let name = if self == Key::A { "key-a.pem" } else { "key-b.pem" };
        std::fs::read_to_string(fixture(name)).expect("fixture key")
    }

    /// The PKCS#8 DER of the key.
    pub fn der(self) -> Vec<u8> {
        x509_cert::der::pem::decode_vec(self.pem().as_bytes()).expect("PEM key").1
    }

    /// The key itself.
    pub fn private(self) -> PrivateKey {
        PrivateKey::from_pkcs8_der(&self.der()).expect("RSA key")
    }
}

/// A certificate made here.
#[derive(Clone, Debug)]
pub struct Made {
    /// Its DER, as registered with the stand-in.
    pub der: Vec<u8>,
    /// Its PEM block.
    pub pem: String,
}

impl Made {
    /// The `x5t#S256` Entra ID knows it by.
    pub fn x5t_s256(&self) -> String {
        Base64UrlUnpadded::encode_string(&Sha256::digest(&self.der))
    }
}

/// A self-signed certificate for `key`, valid from `not_before` to `not_after`.
pub fn certificate(key: Key, not_before: SystemTime, not_after: SystemTime) -> Made {
    let private = key.private();
    let signer = SigningKey::<Sha256>::new(private.clone());
    let subject = Name::from_str("CN=centreon-o365-test").expect("name");
    let spki = SubjectPublicKeyInfo::from_key(&private.to_public_key()).expect("spki");
    let validity =
        Validity::new(Time::try_from(not_before).expect("not before"), Time::try_from(not_after).expect("not after"));
    let profile = SelfSigned(subject);
    let serial = SerialNumber::from(std::process::id());
    let builder = CertificateBuilder::new(profile, serial, validity, spki).expect("builder");
    let certificate = builder.build::<_, rsa::pss::Signature>(&signer).expect("certificate");
    Made { der: certificate.to_der().expect("der"), pem: certificate.to_pem(LineEnding::LF).expect("pem") }
}

/// A plain self-signed certificate, as `openssl req -x509` makes for an application.
struct SelfSigned(Name);

impl BuilderProfile for SelfSigned {
    fn get_issuer(&self, subject: &Name) -> Name {
        subject.clone()
    }

    fn get_subject(&self) -> Name {
        self.0.clone()
    }

    fn build_extensions(
        &self,
        _: SubjectPublicKeyInfoRef<'_>,
        _: SubjectPublicKeyInfoRef<'_>,
        _: &TbsCertificate,
    ) -> x509_cert::builder::Result<Vec<Extension>> {
        Ok(Vec::new())
    }
}

/// A certificate for `key` valid from a day ago for `days` days.
pub fn valid_for(key: Key, days: u32) -> Made {
    let now = SystemTime::now();
    certificate(key, now - DAY, now + DAY * days)
}

/// The certificate of the OpenSSL-written fixtures (key A, valid for a century).
pub fn openssl_certificate() -> Made {
    let pem = std::fs::read_to_string(fixture("openssl-cert.pem")).expect("fixture");
    let der = x509_cert::der::pem::decode_vec(pem.as_bytes()).expect("PEM").1;
    Made { der, pem }
}

/// Writes `contents` to `dir/name` and returns the path as a string.
pub fn write(dir: &Path, name: &str, contents: impl AsRef<[u8]>) -> String {
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("write");
    path.display().to_string()
}

/// A client assertion signed by `key` (PS256) with `header` and `claims` as given.
pub fn assertion(key: Key, header: &serde_json::Value, claims: &serde_json::Value) -> String {
    let encode = |value: &serde_json::Value| Base64UrlUnpadded::encode_string(value.to_string().as_bytes());
    let input = format!("{}.{}", encode(header), encode(claims));
    let signature = SigningKey::<Sha256>::new(key.private()).try_sign(input.as_bytes()).expect("signature");
    format!("{input}.{}", Base64UrlUnpadded::encode_string(&signature.to_vec()))
}

/// Now, in Unix seconds.
pub fn unix_now() -> i64 {
    SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}
