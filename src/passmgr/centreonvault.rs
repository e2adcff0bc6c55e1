//! `--pass-manager=centreonvault`: Centreon's own Vault integration. Any option value
//! `secret::hashicorp_vault::<path>::<key>` is replaced by the key `<key>` of the KV
//! version 2 secret at `<path>`, read after an AppRole login whose token is kept in
//! `--vault-cache` until it expires, or until Vault refuses it (revoked): a new login
//! then.
//!
//! The AppRole ids of the configuration file are encrypted when a key is available
//! (`APP_SECRET` in the environment, else in `--vault-env-file`): base64 of a 16-byte
//! IV, a 64-byte HMAC (not checked, as in Perl) and the AES-256-CBC ciphertext, under
//! the first 32 bytes of the base64-decoded key (a shorter key padded with zero
//! bytes).

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use aes::Aes256;
use base64ct::{Base64, Encoding};
use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockModeDecrypt, KeyIvInit};
use serde_json::{json, Map, Value};

use super::vault_http::{Answer, Http};
use super::Context;
use crate::error::{Error, Result};
use crate::http::{percent_encode, Request};
use crate::options::{OptionSection, Text, Values};
use crate::statefile::{self, Statefile};

/// The manager's name in errors.
const NAME: &str = "centreonvault";

/// What marks a reference in an option value.
const PREFIX: &str = "secret::hashicorp_vault::";

/// The bytes before the ciphertext of an encrypted id: IV, then HMAC.
const IV_LEN: usize = 16;
const HMAC_LEN: usize = 64;

/// `--vault-config`.
const CONFIG: Text = Text::new(
    "vault-config",
    "Path of the Centreon Vault configuration file (default: '/var/lib/centreon/vault/vault.json').",
)
.default("/var/lib/centreon/vault/vault.json");
/// `--vault-cache`.
const CACHE: Text = Text::new(
    "vault-cache",
    "Path of the file keeping the Vault token between runs (default: \
     '/var/lib/centreon/centplugins/centreonvault_session').",
)
.default("/var/lib/centreon/centplugins/centreonvault_session");
/// `--vault-env-file`.
const ENV_FILE: Text = Text::new(
    "vault-env-file",
    "Path of the env file holding APP_SECRET when it is not in the environment (default: \
     '/usr/share/centreon/.env').",
)
.default("/usr/share/centreon/.env");

/// The manager's options.
pub fn section() -> OptionSection {
    OptionSection::new("CENTREON VAULT OPTIONS", vec![CONFIG.spec(), CACHE.spec(), ENV_FILE.spec()])
}

/// Replaces every reference in the option values by its secret.
pub fn apply(values: &mut Values, context: Context<'_>) -> Result<()> {
    let references: Vec<String> =
        values.given_strings_mut().filter(|v| v.starts_with(PREFIX)).map(|v| v.clone()).collect();
    if references.is_empty() {
        return Ok(());
    }
    let config = Config::read(values)?;
    let http = Http::new(values, context, NAME, None)?;
    let cache = cache_file(values);
    let (mut token, mut kept) = match cached_token(&cache, now()) {
        Some(token) => {
            context.debug.log(format!("{NAME}: using the token kept in '{}'", cache.path().display()));
            (token, true)
        }
        None => (login(&http, &config, values, &cache, context)?, false),
    };
    context.debug.secret(&token);
    let mut secrets: Map<String, Value> = Map::new();
    for reference in references {
        if secrets.contains_key(&reference) {
            continue;
        }
        let (path, key) = reference[PREFIX.len()..].rsplit_once("::").ok_or_else(|| {
            Error::new(format!("{NAME}: '{reference}' is not secret::hashicorp_vault::<path>::<key>"))
        })?;
        let mut answer = fetch(&http, &config, &token, path)?;
        // A kept token Vault no longer knows (revoked, or the lease cut short): Vault
        // answers 403; a new login, once, replaces it.
        if answer.status == 403 && kept {
            context.debug.log(format!("{NAME}: the kept token is refused, logging in again"));
            token = login(&http, &config, values, &cache, context)?;
            kept = false;
            answer = fetch(&http, &config, &token, path)?;
        }
        let secret = extract(&answer, path, key)?;
        context.debug.secret(&secret);
        secrets.insert(reference.clone(), Value::String(secret));
    }
    for value in values.given_strings_mut() {
        if let Some(Value::String(secret)) = secrets.get(value.as_str()) {
            *value = secret.clone();
        }
    }
    Ok(())
}

/// The vault configuration file's settings.
#[derive(Debug)]
struct Config {
    base: String,
    role_id: String,
    secret_id: String,
}

impl Config {
    fn read(values: &Values) -> Result<Config> {
        let path = values.non_empty(&CONFIG).ok_or_else(|| {
            Error::new("Please provide a Centreon Vault configuration file path with --vault-config option")
        })?;
        if !Path::new(path).is_file() {
            return Err(Error::new(format!("File '{path}' could not be found.")));
        }
        let text = std::fs::read(path)
            .map_err(|e| Error::new(format!("{NAME}: cannot read '{path}': {}", crate::atomic::errno_text(&e))))?;
        let json: Value = serde_json::from_slice(&text)
            .map_err(|e| Error::new(format!("{NAME}: '{path}' is not a Centreon Vault configuration (JSON): {e}")))?;
        let field = |name: &str| match json.get(name) {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        let protocol = field("protocol").filter(|s| !s.is_empty()).unwrap_or_else(|| "https".to_string());
        let url = field("url").filter(|s| !s.is_empty()).unwrap_or_else(|| "127.0.0.1".to_string());
        let port = field("port").filter(|s| !s.is_empty()).unwrap_or_else(|| "8100".to_string());
        let role_id = field("role_id").unwrap_or_default();
        let secret_id = field("secret_id").unwrap_or_default();
        if role_id.is_empty() || secret_id.is_empty() {
            return Err(Error::new("Unable to authenticate to the vault: role_id or secret_id is empty."));
        }
        Ok(Config { base: format!("{protocol}://{url}:{port}"), role_id, secret_id })
    }
}

/// The `--vault-cache` statefile (sealed like every statefile when
/// `--statefile-key` is given).
fn cache_file(values: &Values) -> Statefile {
    let path = Path::new(values.non_empty(&CACHE).unwrap_or("centreonvault_session"));
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    Statefile::new(dir, &name, "").sealed(statefile::sealing(values))
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// The kept token while it has not expired at `now`.
fn cached_token(cache: &Statefile, now: u64) -> Option<String> {
    let kept = cache.read()?;
    let expires = kept.get("expiration_epoch").and_then(Value::as_u64)?;
    let token = kept.get("token").and_then(Value::as_str)?;
    (expires > now && !token.is_empty()).then(|| token.to_string())
}

/// The AppRole login; the token is kept in the cache for its lease.
fn login(http: &Http, config: &Config, values: &Values, cache: &Statefile, context: Context<'_>) -> Result<String> {
    let (role_id, secret_id) = match app_secret(values)? {
        Some(key) => (decrypt_id(&config.role_id, &key, "role_id")?, decrypt_id(&config.secret_id, &key, "secret_id")?),
        None => (config.role_id.clone(), config.secret_id.clone()),
    };
    context.debug.secret(&role_id);
    context.debug.secret(&secret_id);
    let form = format!("role_id={}&secret_id={}", percent_encode(&role_id), percent_encode(&secret_id));
    let url = format!("{}/v1/auth/approle/login", config.base);
    let answer = http.send(&url, |url| {
        Request::post(url, form)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("X-Vault-Request", "true")
    })?;
    let json: Value = serde_json::from_str(&answer.body).unwrap_or(Value::Null);
    let Some(token) = json.pointer("/auth/client_token").and_then(Value::as_str).filter(|t| !t.is_empty()) else {
        let reason = json.pointer("/errors/0").and_then(Value::as_str).map(|e| format!(" ({e})")).unwrap_or_default();
        return Err(Error::new(format!(
            "{NAME}: the AppRole login answered {}{reason}: check role_id and secret_id in --vault-config",
            answer.status_line
        )));
    };
    context.debug.secret(token);
    let lease = json.pointer("/auth/lease_duration").and_then(Value::as_u64).unwrap_or(0);
    let kept = json!({"token": token, "expiration_epoch": now() + lease});
    if let Value::Object(kept) = kept {
        if let Err(error) = cache.write(&kept) {
            context.debug.log(format!("{NAME}: the token is not kept: {}", error.message()));
        }
    }
    Ok(token.to_string())
}

/// The key of the encrypted ids, when there is one: `APP_SECRET` from the
/// environment, else from the env file.
fn app_secret(values: &Values) -> Result<Option<[u8; 32]>> {
    let text = match std::env::var("APP_SECRET") {
        Ok(text) if !text.is_empty() => Some(text),
        _ => values.non_empty(&ENV_FILE).and_then(|path| std::fs::read_to_string(path).ok()).and_then(|env| {
            env.lines()
                .filter_map(|line| line.trim().strip_prefix("APP_SECRET="))
                .map(|v| v.trim().trim_matches(|c| c == '"' || c == '\'').to_string())
                .next_back()
        }),
    };
    let Some(text) = text.filter(|t| !t.is_empty()) else { return Ok(None) };
    let decoded = Base64::decode_vec(text.trim()).map_err(|_| {
        Error::new(format!("{NAME}: APP_SECRET is not base64: check the environment or --vault-env-file"))
    })?;
    let mut key = [0u8; 32];
    let used = decoded.len().min(32);
    key[..used].copy_from_slice(&decoded[..used]);
    Ok(Some(key))
}

/// An id of the configuration file, decrypted with `key`.
fn decrypt_id(encrypted: &str, key: &[u8; 32], name: &str) -> Result<String> {
    let failed = || {
        Error::new(format!(
            "{NAME}: cannot decrypt {name} of --vault-config with APP_SECRET: check APP_SECRET (environment or \
             --vault-env-file)"
        ))
    };
    let raw = Base64::decode_vec(encrypted.trim()).map_err(|_| failed())?;
    if raw.len() <= IV_LEN + HMAC_LEN {
        return Err(failed());
    }
    let (iv, rest) = raw.split_at(IV_LEN);
    let ciphertext = &rest[HMAC_LEN..];
    let clear = cbc::Decryptor::<Aes256>::new_from_slices(key, iv)
        .map_err(|_| failed())?
        .decrypt_padded_vec::<Pkcs7>(ciphertext)
        .map_err(|_| failed())?;
    String::from_utf8(clear).map_err(|_| failed())
}

/// Reads the secret at `path`.
fn fetch(http: &Http, config: &Config, token: &str, path: &str) -> Result<Answer> {
    let url = format!("{}/v1/{}", config.base, path.trim_start_matches('/'));
    http.send(&url, |url| Request::get(url).header("X-Vault-Token", token))
}

/// `key` of the secret at `path`, from Vault's answer.
fn extract(answer: &Answer, path: &str, key: &str) -> Result<String> {
    let json: Value = serde_json::from_str(&answer.body).unwrap_or(Value::Null);
    let Some(data) = json.get("data") else {
        return Err(Error::new(format!("Cannot decode Vault JSON response: {}", answer.body)));
    };
    match data.pointer(&format!("/data/{}", key.replace('~', "~0").replace('/', "~1"))) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(other) => Ok(other.to_string()),
        None => Err(Error::new(format!("{NAME}: the secret '{path}' has no key '{key}'"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cbc::cipher::BlockModeEncrypt;

    /// What Centreon's PHP side stores: base64(IV + HMAC + AES-256-CBC ciphertext).
    fn encrypt_id(clear: &str, key: &[u8; 32]) -> String {
        let iv = [9u8; 16];
        let ciphertext = cbc::Encryptor::<Aes256>::new_from_slices(key, &iv)
            .expect("key")
            .encrypt_padded_vec::<Pkcs7>(clear.as_bytes());
        let mut raw = iv.to_vec();
        raw.extend_from_slice(&[0u8; 64]);
        raw.extend_from_slice(&ciphertext);
        Base64::encode_string(&raw)
    }

    #[test]
    fn encrypted_ids_decrypt_and_a_wrong_key_is_named() {
        let key = [5u8; 32];
        let sealed = encrypt_id("role-1234", &key);
        assert_eq!(decrypt_id(&sealed, &key, "role_id").expect("decrypts"), "role-1234");
        let error = decrypt_id(&sealed, &[6u8; 32], "role_id").map(|_| ()).expect_err("wrong key");
        assert!(error.message().contains("cannot decrypt role_id"), "{}", error.message());
    }

    #[test]
    fn the_cached_token_is_used_until_it_expires() {
        let dir = std::env::temp_dir().join(format!("centreonvault-cache-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let cache = Statefile::new(&dir, "session", "");
        assert_eq!(cached_token(&cache, 100), None);
        let Value::Object(kept) = json!({"token": "hvs.abc", "expiration_epoch": 200}) else { panic!("object") };
        cache.write(&kept).expect("write");
        assert_eq!(cached_token(&cache, 199).as_deref(), Some("hvs.abc"));
        assert_eq!(cached_token(&cache, 200), None);
        std::fs::remove_dir_all(dir).expect("cleanup");
    }
}
