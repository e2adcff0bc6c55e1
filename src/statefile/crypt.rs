//! Statefile encryption (`--statefile-key`, `--statefile-cipher`), in the format of
//! Perl's `centreon::plugins::statefile`, so that either implementation reads what
//! the other wrote.
//!
//! The serialized content is encrypted in CBC mode with PKCS#7 padding under a fresh
//! random 16-byte IV, and what is stored is the JSON envelope
//! `{"encrypted":1,"cipher":"AES","iv":"<hex>","ciphertext":"<base64>"}`. A key
//! shorter than the cipher's smallest key is padded with the character `0`.
//!
//! The sealing works on bytes and returns bytes: it sits between the serialization
//! and whatever stores the value (a file, Redis, memcached), so every storage holds
//! only the envelope.

use aes::{Aes128, Aes192, Aes256};
use base64ct::{Base64, Encoding};
use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockCipherDecrypt, BlockCipherEncrypt, BlockModeDecrypt, BlockModeEncrypt, KeyInit, KeyIvInit};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// The ciphers `--statefile-cipher` may name: those of Perl's CryptX with a 16-byte
/// block (the envelope's IV is 16 bytes) that a maintained Rust crate provides.
const SUPPORTED: &[&str] = &["AES"];

/// The IV length of the envelope.
const IV_LEN: usize = 16;

/// The statefile key of the run, checked against its cipher.
#[derive(Clone)]
pub struct StateKey {
    key: Vec<u8>,
}

impl std::fmt::Debug for StateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StateKey(***)")
    }
}

impl StateKey {
    /// The key `key` for `cipher` (case-insensitive, as CryptX names it): padded with
    /// `0` up to the cipher's smallest key size; refused when the cipher is not
    /// supported or the key's length fits none of its key sizes.
    pub fn new(key: &str, cipher: &str) -> Result<StateKey> {
        if !SUPPORTED.iter().any(|name| name.eq_ignore_ascii_case(cipher)) {
            return Err(Error::new(format!(
                "--statefile-cipher '{cipher}' is not supported: use --statefile-cipher={}",
                SUPPORTED.join(" or --statefile-cipher=")
            )));
        }
        let mut key = key.as_bytes().to_vec();
        if key.len() < 16 {
            key.resize(16, b'0');
        }
        if ![16, 24, 32].contains(&key.len()) {
            return Err(Error::new(format!(
                "--statefile-key has {} bytes: an AES key has 16, 24 or 32 bytes (a shorter one is padded)",
                key.len()
            )));
        }
        Ok(StateKey { key })
    }

    /// The envelope of `plain`, serialized, under a fresh random IV.
    pub fn seal(&self, plain: &[u8]) -> Result<Vec<u8>> {
        let mut iv = [0u8; IV_LEN];
        getrandom::fill(&mut iv).map_err(|e| Error::new(format!("No randomness to encrypt the statefile: {e}")))?;
        Ok(self.seal_with_iv(plain, &iv).to_string().into_bytes())
    }

    /// The envelope of `plain` under `iv`.
    fn seal_with_iv(&self, plain: &[u8], iv: &[u8; IV_LEN]) -> Value {
        let ciphertext = match self.key.len() {
            16 => encrypt::<Aes128>(&self.key, iv, plain),
            24 => encrypt::<Aes192>(&self.key, iv, plain),
            _ => encrypt::<Aes256>(&self.key, iv, plain),
        };
        json!({"encrypted": 1, "cipher": "AES", "iv": hex(iv), "ciphertext": Base64::encode_string(&ciphertext)})
    }

    /// The content of a stored value: a value that is not an envelope is returned
    /// as it is (plain content); an envelope that does not decrypt with this key is
    /// `None`, an empty statefile.
    pub fn open(&self, stored: Vec<u8>) -> Option<Vec<u8>> {
        let Ok(Value::Object(envelope)) = serde_json::from_slice::<Value>(&stored) else {
            return Some(stored);
        };
        if !envelope.get("encrypted").is_some_and(truthy) {
            return Some(stored);
        }
        let iv = unhex(envelope.get("iv")?.as_str()?)?;
        let ciphertext = Base64::decode_vec(envelope.get("ciphertext")?.as_str()?).ok()?;
        match self.key.len() {
            16 => decrypt::<Aes128>(&self.key, &iv, &ciphertext),
            24 => decrypt::<Aes192>(&self.key, &iv, &ciphertext),
            _ => decrypt::<Aes256>(&self.key, &iv, &ciphertext),
        }
    }

    /// A 256-bit key derived from this one for other stores (the report cache), so
    /// that one `--statefile-key` protects everything the plugin keeps.
    pub fn derive(&self, purpose: &str) -> [u8; 32] {
        let mut hash = Sha256::new();
        hash.update(purpose.as_bytes());
        hash.update([0]);
        hash.update(&self.key);
        hash.finalize().into()
    }
}

/// Whether an `encrypted` field is set, as Perl's truth sees it.
fn truthy(value: &Value) -> bool {
    match value {
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|n| n != 0.0),
        Value::String(s) => !s.is_empty() && s != "0",
        Value::Null => false,
        _ => true,
    }
}

fn encrypt<C: BlockCipherEncrypt + KeyInit>(key: &[u8], iv: &[u8], plain: &[u8]) -> Vec<u8> {
    match cbc::Encryptor::<C>::new_from_slices(key, iv) {
        Ok(cipher) => cipher.encrypt_padded_vec::<Pkcs7>(plain),
        // The key and IV lengths are checked by the callers.
        Err(_) => Vec::new(),
    }
}

fn decrypt<C: BlockCipherDecrypt + KeyInit>(key: &[u8], iv: &[u8], ciphertext: &[u8]) -> Option<Vec<u8>> {
    cbc::Decryptor::<C>::new_from_slices(key, iv).ok()?.decrypt_padded_vec::<Pkcs7>(ciphertext).ok()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const VECTOR_IV: [u8; 16] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
    const VECTOR_PLAIN: &str = r#"{"access_token":"t","expires_on":1}"#;
    const VECTOR_CIPHERTEXT: &str = "NkqrmbTMgoODJx/xEqVJdqokEgX6vZilVOFxRfyqEBliL10O83b3P2b3J+u62CUO";

    #[test]
    fn perl_vector_is_reproduced_and_read() {
        let key = StateKey::new("centreon", "AES").expect("key");
        let envelope = key.seal_with_iv(VECTOR_PLAIN.as_bytes(), &VECTOR_IV);
        assert_eq!(envelope["ciphertext"], VECTOR_CIPHERTEXT);
        assert_eq!(envelope["iv"], "000102030405060708090a0b0c0d0e0f");
        assert_eq!(envelope["encrypted"], 1);
        assert_eq!(envelope["cipher"], "AES");
        let perl = format!(
            r#"{{"cipher":"AES","ciphertext":"{VECTOR_CIPHERTEXT}","encrypted":1,"iv":"000102030405060708090a0b0c0d0e0f"}}"#
        );
        assert_eq!(key.open(perl.into_bytes()).expect("decrypts"), VECTOR_PLAIN.as_bytes());
    }

    #[test]
    fn sealing_uses_a_fresh_iv_and_round_trips() {
        let key = StateKey::new("a-longer-key-of-32-bytes-exactly", "aes").expect("key");
        let (a, b) = (key.seal(b"{\"x\":1}").expect("seal"), key.seal(b"{\"x\":1}").expect("seal"));
        assert_ne!(a, b, "a new IV per write");
        assert!(!String::from_utf8_lossy(&a).contains("\"x\""));
        assert_eq!(key.open(a).expect("open"), b"{\"x\":1}");
    }

    #[test]
    fn wrong_key_or_damage_is_nothing_and_plain_content_passes() {
        let key = StateKey::new("centreon", "AES").expect("key");
        let other = StateKey::new("not-centreon", "AES").expect("key");
        let sealed = key.seal(VECTOR_PLAIN.as_bytes()).expect("seal");
        assert_eq!(other.open(sealed), None);
        for bad in [r#"{"encrypted":1,"iv":"zz","ciphertext":"AAAA"}"#, r#"{"encrypted":"1"}"#] {
            assert_eq!(key.open(bad.as_bytes().to_vec()), None, "{bad}");
        }
        assert_eq!(key.open(VECTOR_PLAIN.as_bytes().to_vec()).expect("plain"), VECTOR_PLAIN.as_bytes());
    }

    #[test]
    fn unsupported_cipher_and_key_size_are_named() {
        let error = StateKey::new("k", "Blowfish").expect_err("refused");
        assert_eq!(error.message(), "--statefile-cipher 'Blowfish' is not supported: use --statefile-cipher=AES");
        let error = StateKey::new("seventeen-bytes!!", "AES").expect_err("refused");
        assert!(error.message().contains("17 bytes"), "{}", error.message());
        assert!(!error.message().contains("seventeen"), "the key itself is never shown");
    }
}
