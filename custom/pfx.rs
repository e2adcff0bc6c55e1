//! PKCS#12 archives (`.pfx`, `.p12`) and password-encrypted PKCS#8 keys: what the
//! certificate and key files may hold once decrypted.
//!
//! The ASN.1 types and the PKCS#12 key derivation come from RustCrypto's `pkcs12`, the
//! ciphers and MACs from its cipher crates; this module only walks the archive:
//!
//! * the MAC (HMAC with SHA-1 or SHA-2, key from the PKCS#12 derivation) is checked
//!   first, so a wrong password is told apart from a damaged file;
//! * content and keys are decrypted with PBES2 (PBKDF2 and AES-CBC, as current Windows
//!   and OpenSSL 3 exports use) or the legacy PKCS#12 schemes (3DES, 40-bit RC2, as
//!   `openssl pkcs12 -legacy` and older Windows exports use);
//! * certificate bags and key bags are collected; other bags are skipped.
//!
//! Iteration counts above [`MAX_ITERATIONS`] are refused: real files use a few
//! thousand, and a damaged count must not keep the check busy for minutes.

use std::fmt;

use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockCipherDecrypt, BlockModeDecrypt, KeyInit, KeyIvInit};
use des::TdesEde3;
use hmac::digest::block_api::BlockSizeUser;
use hmac::digest::{Digest, FixedOutputReset};
use hmac::{Mac, SimpleHmac};
use pkcs12::cms::content_info::ContentInfo;
use pkcs12::cms::encrypted_data::EncryptedData;
use pkcs12::kdf::{self, Pkcs12KeyType};
use pkcs12::pbe_params::{EncryptedPrivateKeyInfo, Pkcs12PbeParams};
use pkcs12::safe_bag::SafeContents;
use pkcs12::{CertBag, MacData, Pfx};
use pkcs5::pbes2;
use rc2::Rc2;
use sha1::Sha1;
use sha2::{Sha256, Sha384, Sha512};
use x509_cert::der::asn1::{ContextSpecific, OctetString};
use x509_cert::der::oid::ObjectIdentifier;
use x509_cert::der::{Decode, Encode};
use x509_cert::spki::AlgorithmIdentifierOwned;

/// The most key-derivation iterations accepted.
pub const MAX_ITERATIONS: u32 = 1_000_000;

const ID_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
const ID_ENCRYPTED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.6");
const SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
const SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.2");
const SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3");

/// What an archive holds: its certificates and its private keys, as DER.
#[derive(Default)]
pub struct Archive {
    /// The X.509 certificates, in the archive's order.
    pub certificates: Vec<Vec<u8>>,
    /// The private keys (PKCS#8 `PrivateKeyInfo`), in the archive's order.
    pub keys: Vec<Vec<u8>>,
}

/// Shows what the archive holds, never a key.
impl fmt::Debug for Archive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Archive")
            .field("certificates", &self.certificates.len())
            .field("keys", &self.keys.len())
            .finish()
    }
}

/// Why an archive or an encrypted key cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PfxError {
    /// The MAC or the decryption does not check out: the password is wrong (or
    /// missing).
    Password,
    /// It uses an algorithm not implemented here, named.
    Unsupported(String),
    /// It is not a well-formed archive or key; what is wrong.
    Malformed(String),
}

impl fmt::Display for PfxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PfxError::Password => f.write_str("wrong password"),
            PfxError::Unsupported(what) => write!(f, "{what} is not supported"),
            PfxError::Malformed(what) => f.write_str(what),
        }
    }
}

impl std::error::Error for PfxError {}

impl From<x509_cert::der::Error> for PfxError {
    fn from(error: x509_cert::der::Error) -> Self {
        PfxError::Malformed(error.to_string())
    }
}

/// Reads a PKCS#12 archive with `password` (empty when none was given).
pub fn read(bytes: &[u8], password: &str) -> Result<Archive, PfxError> {
    let pfx = Pfx::from_der(bytes)?;
    let content = data_content(&pfx.auth_safe)?;
    if let Some(mac) = &pfx.mac_data {
        verify_mac(mac, password, &content)?;
    }
    let mut archive = Archive::default();
    for info in Vec::<ContentInfo>::from_der(&content)? {
        let contents = match info.content_type {
            ID_DATA => data_content(&info)?,
            ID_ENCRYPTED_DATA => {
                let encrypted = EncryptedData::from_der(&info.content.to_der()?)?;
                let content = encrypted.enc_content_info;
                let Some(ciphertext) = content.encrypted_content else { continue };
                decrypt(&content.content_enc_alg, ciphertext.as_bytes(), password)?
            }
            other => return Err(PfxError::Unsupported(format!("content type {other}"))),
        };
        collect_bags(&contents, password, &mut archive)?;
    }
    Ok(archive)
}

/// Decrypts a PKCS#8 `EncryptedPrivateKeyInfo` (an `ENCRYPTED PRIVATE KEY` PEM block,
/// or a shrouded key bag) into its `PrivateKeyInfo` DER.
pub fn decrypt_key(der: &[u8], password: &str) -> Result<Vec<u8>, PfxError> {
    let info = EncryptedPrivateKeyInfo::from_der(der)?;
    decrypt(&info.encryption_algorithm, info.encrypted_data.as_bytes(), password)
}

/// The bytes of a `data` content: an OCTET STRING.
fn data_content(info: &ContentInfo) -> Result<Vec<u8>, PfxError> {
    if info.content_type != ID_DATA {
        return Err(PfxError::Unsupported(format!("content type {}", info.content_type)));
    }
    Ok(info.content.decode_as::<OctetString>()?.into_bytes().into_vec())
}

/// Adds the certificates and keys of a `SafeContents` to `archive`.
fn collect_bags(der: &[u8], password: &str, archive: &mut Archive) -> Result<(), PfxError> {
    for bag in SafeContents::from_der(der)? {
        match bag.bag_id {
            pkcs12::PKCS_12_CERT_BAG_OID => {
                let cert = ContextSpecific::<CertBag>::from_der(&bag.bag_value)?.value;
                if cert.cert_id == pkcs12::PKCS_12_X509_CERT_OID {
                    archive.certificates.push(cert.cert_value.into_bytes().into_vec());
                }
            }
            pkcs12::PKCS_12_PKCS8_KEY_BAG_OID => {
                let shrouded = ContextSpecific::<EncryptedPrivateKeyInfo>::from_der(&bag.bag_value)?.value;
                archive.keys.push(decrypt_key(&shrouded.to_der()?, password)?);
            }
            pkcs12::PKCS_12_KEY_BAG_OID => {
                let key = ContextSpecific::<x509_cert::der::Any>::from_der(&bag.bag_value)?.value;
                archive.keys.push(key.to_der()?);
            }
            _ => {}
        }
    }
    Ok(())
}

/// Checks the archive's MAC over `content`.
fn verify_mac(mac: &MacData, password: &str, content: &[u8]) -> Result<(), PfxError> {
    let iterations = iterations(mac.iterations)?;
    match mac.mac.algorithm.oid {
        SHA1 => hmac_matches::<Sha1>(mac, password, iterations, content),
        SHA256 => hmac_matches::<Sha256>(mac, password, iterations, content),
        SHA384 => hmac_matches::<Sha384>(mac, password, iterations, content),
        SHA512 => hmac_matches::<Sha512>(mac, password, iterations, content),
        other => Err(PfxError::Unsupported(format!("MAC algorithm {other}"))),
    }
}

/// Whether the MAC over `content` is the one of `password`, with the digest `D`.
fn hmac_matches<D>(mac: &MacData, password: &str, iterations: i32, content: &[u8]) -> Result<(), PfxError>
where
    D: Digest + FixedOutputReset + BlockSizeUser,
{
    let salt = mac.mac_salt.as_bytes();
    let key = kdf::derive_key_utf8::<D>(password, salt, Pkcs12KeyType::Mac, iterations, <D as Digest>::output_size())?;
    let mut hmac = SimpleHmac::<D>::new_from_slice(&key).map_err(|e| PfxError::Malformed(e.to_string()))?;
    hmac.update(content);
    hmac.verify_slice(mac.mac.digest.as_bytes()).map_err(|_| PfxError::Password)
}

/// Decrypts `ciphertext` encrypted with `algorithm` under `password`.
fn decrypt(algorithm: &AlgorithmIdentifierOwned, ciphertext: &[u8], password: &str) -> Result<Vec<u8>, PfxError> {
    match algorithm.oid {
        pbes2::PBES2_OID => {
            let params =
                algorithm.parameters.as_ref().ok_or_else(|| PfxError::Malformed("no PBES2 parameters".into()))?;
            let params = pbes2::Parameters::from_der(&params.to_der()?)?;
            let pbes2::Kdf::Pbkdf2(pbkdf2) = &params.kdf else {
                return Err(PfxError::Unsupported(format!("key derivation {}", params.kdf.oid())));
            };
            iterations(i32::try_from(pbkdf2.iteration_count).unwrap_or(i32::MAX))?;
            params.decrypt(password.as_bytes(), ciphertext).map_err(|error| match error {
                pkcs5::Error::DecryptFailed => PfxError::Password,
                other => PfxError::Unsupported(other.to_string()),
            })
        }
        pkcs12::PKCS_12_PBE_WITH_SHAAND3_KEY_TRIPLE_DES_CBC => legacy::<TdesEde3>(algorithm, ciphertext, password, 24),
        pkcs12::PKCS_12_PBEWITH_SHAAND40_BIT_RC2_CBC => legacy::<Rc2>(algorithm, ciphertext, password, 5),
        other => Err(PfxError::Unsupported(format!("encryption {other}"))),
    }
}

/// The legacy PKCS#12 encryption: key and IV from the PKCS#12 derivation with SHA-1,
/// then the block cipher `C` in CBC mode.
fn legacy<C>(
    algorithm: &AlgorithmIdentifierOwned,
    ciphertext: &[u8],
    password: &str,
    key_len: usize,
) -> Result<Vec<u8>, PfxError>
where
    C: KeyInit + BlockCipherDecrypt,
{
    let params = algorithm.parameters.as_ref().ok_or_else(|| PfxError::Malformed("no PBE parameters".into()))?;
    let params = Pkcs12PbeParams::from_der(&params.to_der()?)?;
    let iterations = iterations(params.iterations)?;
    let salt = params.salt.as_bytes();
    let key = kdf::derive_key_utf8::<Sha1>(password, salt, Pkcs12KeyType::EncryptionKey, iterations, key_len)?;
    let iv = kdf::derive_key_utf8::<Sha1>(password, salt, Pkcs12KeyType::Iv, iterations, 8)?;
    let cipher = cbc::Decryptor::<C>::new_from_slices(&key, &iv).map_err(|e| PfxError::Malformed(e.to_string()))?;
    cipher.decrypt_padded_vec::<Pkcs7>(ciphertext).map_err(|_| PfxError::Password)
}

/// An iteration count within 1..=[`MAX_ITERATIONS`].
fn iterations(count: i32) -> Result<i32, PfxError> {
    match u32::try_from(count) {
        Ok(n) if (1..=MAX_ITERATIONS).contains(&n) => Ok(count),
        _ => Err(PfxError::Malformed(format!("{count} key derivation iterations (1 to {MAX_ITERATIONS} expected)"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!("{}/tests/fixtures/certificates/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(path).expect("fixture")
    }

    fn pem_der(name: &str) -> Vec<u8> {
        x509_cert::der::pem::decode_vec(&fixture(name)).expect("PEM").1
    }

    /// What OpenSSL 3 writes by default and with `-legacy` reads back whole.
    #[test]
    fn openssl_archives_read_with_their_password() {
        let (certificate, key) = (pem_der("openssl-cert.pem"), pem_der("key-a.pem"));
        for name in ["openssl-aes.pfx", "openssl-legacy.pfx"] {
            let archive = read(&fixture(name), "p4ss").expect(name);
            assert_eq!(archive.certificates, std::slice::from_ref(&certificate), "{name}");
            assert_eq!(archive.keys, std::slice::from_ref(&key), "{name}");
        }
    }

    #[test]
    fn a_wrong_or_missing_password_is_named_as_such() {
        for name in ["openssl-aes.pfx", "openssl-legacy.pfx"] {
            for password in ["wrong", ""] {
                assert_eq!(read(&fixture(name), password).err(), Some(PfxError::Password), "{name} {password}");
            }
        }
        assert_eq!(decrypt_key(&pem_der("openssl-key-encrypted.pem"), "wrong").err(), Some(PfxError::Password));
    }

    #[test]
    fn encrypted_pkcs8_keys_decrypt() {
        let key = decrypt_key(&pem_der("openssl-key-encrypted.pem"), "p4ss").expect("key");
        assert_eq!(key, pem_der("key-a.pem"));
    }

    #[test]
    fn damage_and_absurd_counts_are_malformed() {
        let mut cut = fixture("openssl-aes.pfx");
        cut.truncate(cut.len() / 2);
        assert!(matches!(read(&cut, "p4ss"), Err(PfxError::Malformed(_))));
        assert!(iterations(2048).is_ok());
        for count in [0, -1, 1_000_001] {
            let error = iterations(count).expect_err("refused");
            assert!(error.to_string().contains("key derivation iterations"), "{error}");
        }
    }
}
