//! The client assertion: the signed JWT by which an application proves to Entra ID
//! that it holds its certificate's private key, in place of a client secret.
//!
//! As Microsoft's "certificate credentials" page describes it: header
//! `{"alg":"PS256","typ":"JWT","x5t#S256":…}` (the base64url SHA-256 of the
//! certificate's DER), claims `aud` (the token endpoint URL), `iss` = `sub` (the client
//! id), a random `jti`, `nbf` = `iat` = now and `exp` [`LIFETIME`] later, signed with
//! RSASSA-PSS over SHA-256 (salt as long as the hash).

use base64ct::{Base64UrlUnpadded, Encoding};
use rsa::pss::SigningKey;
use rsa::signature::{SignatureEncoding, Signer};
use serde_json::json;
use sha2::Sha256;

use centreon_plugin::error::{Error, Result};

use crate::custom::certificate::ClientCertificate;

/// `client_assertion_type` of the token request.
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// How long an assertion is valid, in seconds: it is used at once, and Microsoft's
/// libraries give it 10 minutes.
pub const LIFETIME: i64 = 600;

/// A fresh assertion of `client_id` for the token endpoint `audience` at `now` (Unix
/// seconds).
pub fn client_assertion(certificate: &ClientCertificate, client_id: &str, audience: &str, now: i64) -> Result<String> {
    let header = json!({"alg": "PS256", "typ": "JWT", "x5t#S256": certificate.x5t_s256()});
    let claims = json!({
        "aud": audience,
        "iss": client_id,
        "sub": client_id,
        "jti": jti()?,
        "nbf": now,
        "iat": now,
        "exp": now + LIFETIME,
    });
    let signing_input = format!("{}.{}", encode_json(&header), encode_json(&claims));
    let signature = SigningKey::<Sha256>::new(certificate.key().clone())
        .try_sign(signing_input.as_bytes())
        .map_err(|e| Error::new(format!("Cannot sign the client assertion: {e}")))?;
    Ok(format!("{signing_input}.{}", Base64UrlUnpadded::encode_string(&signature.to_vec())))
}

fn encode_json(value: &serde_json::Value) -> String {
    Base64UrlUnpadded::encode_string(value.to_string().as_bytes())
}

/// A random UUID (version 4): the assertion's unique id.
fn jti() -> Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| Error::new(format!("No randomness for the client assertion: {e}")))?;
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::custom::certificate::CertificateFiles;
    use rsa::pss::{Signature, VerifyingKey};
    use rsa::signature::Verifier;
    use serde_json::Value;

    fn fixture(name: &str) -> String {
        format!("{}/tests/fixtures/certificates/{name}", env!("CARGO_MANIFEST_DIR"))
    }

    fn decode(part: &str) -> Value {
        serde_json::from_slice(&Base64UrlUnpadded::decode_vec(part).expect("base64url")).expect("json")
    }

    #[test]
    fn assertion_is_a_ps256_jwt_with_microsofts_claims() {
        let (cert, key) = (fixture("openssl-cert.pem"), fixture("key-a.pem"));
        let certificate =
            ClientCertificate::load(CertificateFiles { certificate: &cert, key: Some(&key), password: None })
                .expect("certificate");
        let now = 1_795_719_593;
        let url = "https://login.microsoftonline.com/t1/oauth2/v2.0/token";
        let jwt = client_assertion(&certificate, "c1", url, now).expect("assertion");
        let parts: Vec<&str> = jwt.split('.').collect();
        assert_eq!(parts.len(), 3);
        let header = decode(parts[0]);
        assert_eq!(header["alg"], "PS256");
        assert_eq!(header["typ"], "JWT");
        assert_eq!(header["x5t#S256"], certificate.x5t_s256());
        let claims = decode(parts[1]);
        assert_eq!(
            (claims["aud"].as_str(), claims["iss"].as_str(), claims["sub"].as_str()),
            (Some(url), Some("c1"), Some("c1"))
        );
        assert_eq!((claims["nbf"].as_i64(), claims["iat"].as_i64()), (Some(now), Some(now)));
        assert_eq!(claims["exp"].as_i64(), Some(now + 600), "10 minutes at most");
        let jti = claims["jti"].as_str().expect("jti");
        assert_eq!((jti.len(), &jti[14..15]), (36, "4"), "a UUID v4: {jti}");
        let other = client_assertion(&certificate, "c1", url, now).expect("assertion");
        assert_ne!(decode(other.split('.').nth(1).expect("claims"))["jti"], claims["jti"], "jti is unique");

        let signature =
            Signature::try_from(Base64UrlUnpadded::decode_vec(parts[2]).expect("b64").as_slice()).expect("signature");
        let verifier = VerifyingKey::<Sha256>::new(certificate.key().to_public_key());
        let signed = format!("{}.{}", parts[0], parts[1]);
        verifier.verify(signed.as_bytes(), &signature).expect("PS256 signature verifies");
        assert!(verifier.verify(b"tampered", &signature).is_err());
    }
}
