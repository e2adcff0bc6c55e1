//! What the stand-in's token endpoints check, as Entra ID does: the client secret, or
//! the client assertion of a certificate credential, verified for real (signature
//! against the registered certificate's public key, `x5t#S256`, `aud`, `iss`/`sub`,
//! time window); and the error bodies Entra ID answers with.

use base64ct::{Base64UrlUnpadded, Encoding};
use rsa::pkcs8::DecodePublicKey;
use rsa::pss::{Signature, VerifyingKey};
use rsa::signature::Verifier;
use rsa::PublicKey;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use x509_cert::der::{Decode, Encode};
use x509_cert::Certificate;

use super::calendar::{civil, now};

/// `client_assertion_type` of a certificate credential.
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The clock skew Entra ID tolerates on an assertion's time window, in seconds.
const SKEW: i64 = 300;

/// A certificate uploaded to the application registration.
pub struct Registered {
    x5t_s256: String,
    public: PublicKey,
    not_before: i64,
    not_after: i64,
}

impl Registered {
    /// Registers a certificate given as DER; `None` if it is not an RSA certificate.
    pub fn from_der(der: &[u8]) -> Option<Registered> {
        let certificate = Certificate::from_der(der).ok()?;
        let tbs = certificate.tbs_certificate();
        let spki = tbs.subject_public_key_info().to_der().ok()?;
        let seconds = |t: x509_cert::time::Time| i64::try_from(t.to_unix_duration().as_secs()).unwrap_or(i64::MAX);
        Some(Registered {
            x5t_s256: Base64UrlUnpadded::encode_string(&Sha256::digest(der)),
            public: PublicKey::from_public_key_der(&spki).ok()?,
            not_before: seconds(tbs.validity().not_before),
            not_after: seconds(tbs.validity().not_after),
        })
    }
}

/// Entra ID's refusal: HTTP status and JSON body.
pub struct Refusal {
    pub status: u16,
    pub body: String,
}

/// An error body as Entra ID writes it: `error`, `error_description` starting with
/// `AADSTSnnnn:` and ending with the trace and correlation ids and the time,
/// `error_codes`, `timestamp`, `trace_id`, `correlation_id`, `error_uri`.
pub fn refusal(status: u16, error: &str, code: u32, text: &str) -> Refusal {
    let timestamp = timestamp(now());
    let trace_id = "0000aaaa-11bb-cccc-dd22-eeeeee333333";
    let correlation_id = "aaaa0000-bb11-2222-33cc-444444dddddd";
    let body = json!({
        "error": error,
        "error_description": format!(
            "AADSTS{code}: {text}\r\nTrace ID: {trace_id}\r\nCorrelation ID: {correlation_id}\r\nTimestamp: {timestamp}"
        ),
        "error_codes": [code],
        "timestamp": timestamp,
        "trace_id": trace_id,
        "correlation_id": correlation_id,
        "error_uri": format!("https://login.microsoftonline.com/error?code={code}"),
    });
    Refusal { status, body: body.to_string() }
}

/// A wrong client secret.
pub fn invalid_secret(client_id: &str) -> Refusal {
    refusal(
        401,
        "invalid_client",
        7000215,
        &format!(
            "Invalid client secret provided. Ensure the secret being sent in the request is the client \
             secret value, not the client secret ID, for a secret added to app '{client_id}'."
        ),
    )
}

/// An expired client secret.
pub fn expired_secret(client_id: &str) -> Refusal {
    refusal(
        401,
        "invalid_client",
        7000222,
        &format!(
            "The provided client secret keys for app '{client_id}' are expired. Visit the Azure portal to \
             create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate \
             credentials for added security: https://aka.ms/certCreds."
        ),
    )
}

/// An application the tenant does not know.
pub fn unknown_client(client_id: &str, tenant: &str) -> Refusal {
    refusal(
        400,
        "unauthorized_client",
        700016,
        &format!(
            "Application with identifier '{client_id}' was not found in the directory '{tenant}'. This can \
             happen if the application has not been installed by the administrator of the tenant or consented \
             to by any user in the tenant. You may have sent your authentication request to the wrong tenant."
        ),
    )
}

/// A tenant that does not exist.
pub fn unknown_tenant(tenant: &str) -> Refusal {
    refusal(
        400,
        "invalid_request",
        90002,
        &format!(
            "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing \
             into the correct cloud. Check with your subscription administrator, this may happen if there are \
             no active subscriptions for the tenant."
        ),
    )
}

/// A request with neither a secret nor an assertion.
pub fn no_credential() -> Refusal {
    refusal(
        401,
        "invalid_client",
        7000218,
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
    )
}

/// Checks a client assertion as Entra ID does: `Ok` when it proves `client_id` for
/// the token endpoint `audience` with one of the `registered` certificates.
pub fn verify(assertion: &str, client_id: &str, audience: &str, registered: &[Registered]) -> Result<(), Refusal> {
    let malformed = || refusal(400, "invalid_request", 50027, "JWT token is invalid or malformed.");
    let parts: Vec<&str> = assertion.split('.').collect();
    let [header, claims, signature] = parts[..] else { return Err(malformed()) };
    let decode =
        |part: &str| -> Option<Value> { serde_json::from_slice(&Base64UrlUnpadded::decode_vec(part).ok()?).ok() };
    let (Some(header), Some(claims)) = (decode(header), decode(claims)) else { return Err(malformed()) };
    if header["alg"] != "PS256" || header["typ"] != "JWT" {
        return Err(malformed());
    }
    let thumbprint = header["x5t#S256"].as_str().unwrap_or_default();
    let Some(key) = registered.iter().find(|r| r.x5t_s256 == thumbprint) else {
        return Err(refusal(
            401,
            "invalid_client",
            700027,
            &format!(
                "The certificate with identifier used to sign the client assertion is not registered on \
                 application. [Reason - The key was not found., Thumbprint of key used by client: '{thumbprint}']"
            ),
        ));
    };
    let now = now();
    if now < key.not_before || now > key.not_after {
        return Err(refusal(
            401,
            "invalid_client",
            700027,
            "Client assertion contains an invalid signature. [Reason - The key used is expired.]",
        ));
    }
    let signed = Signature::try_from(Base64UrlUnpadded::decode_vec(signature).unwrap_or_default().as_slice())
        .ok()
        .filter(|signature| {
            let signing_input = &assertion[..assertion.len() - parts[2].len() - 1];
            VerifyingKey::<Sha256>::new(key.public.clone()).verify(signing_input.as_bytes(), signature).is_ok()
        });
    if signed.is_none() {
        return Err(refusal(
            401,
            "invalid_client",
            700027,
            &format!(
                "Client assertion failed signature validation. [Reason - The provided signature value did not \
                 match the expected signature value., Thumbprint of key used by client: '{thumbprint}']"
            ),
        ));
    }
    if claims["aud"] != audience {
        return Err(refusal(
            401,
            "invalid_client",
            50013,
            &format!(
                "Assertion audience claim does not match the required value. The audience in the assertion was \
                 '{}' and the expected audience is '{audience}'.",
                claims["aud"].as_str().unwrap_or_default()
            ),
        ));
    }
    if claims["iss"] != client_id || claims["sub"] != client_id {
        return Err(refusal(
            401,
            "invalid_client",
            700021,
            "Client assertion application identifier doesn't match 'client_id' parameter.",
        ));
    }
    let (nbf, exp) = (claims["nbf"].as_i64(), claims["exp"].as_i64());
    let within = matches!((nbf, exp), (Some(nbf), Some(exp)) if nbf - SKEW <= now && now <= exp + SKEW);
    if !within || claims["jti"].as_str().is_none_or(str::is_empty) {
        return Err(refusal(
            401,
            "invalid_client",
            700024,
            &format!(
                "Client assertion is not within its valid time range. Current time: {}, assertion valid from {}, \
                 expiry time of assertion {}.",
                timestamp(now),
                nbf.map_or_else(String::new, timestamp),
                exp.map_or_else(String::new, timestamp)
            ),
        ));
    }
    Ok(())
}

/// `YYYY-MM-DD HH:MM:SSZ`, as Entra ID writes its timestamps.
fn timestamp(unix: i64) -> String {
    let (days, seconds) = (unix.div_euclid(86_400), unix.rem_euclid(86_400));
    format!("{} {:02}:{:02}:{:02}Z", civil(days), seconds / 3600, seconds / 60 % 60, seconds % 60)
}
