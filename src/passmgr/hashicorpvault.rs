//! `--pass-manager=hashicorpvault`: secrets read from HashiCorp Vault (KV version 2,
//! or version 1), after a login with any of the auth methods Perl's module accepts.
//!
//! Each `--secret-path=P` gives the lookup values `key_P` and `value_P` (a key of
//! the secret and its value; with several keys, the last in sorted order, where
//! Perl's choice depends on its hash order), which `--map-option` puts in options.

use serde_json::{json, Map, Value};

use super::mapping::substitute;
use super::vault_http::{Answer, Http};
use super::{set_option, Context};
use crate::error::{Error, Result};
use crate::http::{percent_encode_keeping, Request};
use crate::options::{List, OptionSection, OptionSpec, Pairs, Text, Values};

/// The manager's name in errors.
const NAME: &str = "hashicorpvault";

/// The auth methods and the settings each one requires.
const METHODS: &[(&str, &[&str])] = &[
    ("azure", &["role", "jwt"]),
    ("cert", &["name"]),
    ("github", &["token"]),
    ("ldap", &["username", "password"]),
    ("okta", &["username", "password", "totp"]),
    ("radius", &["username", "password"]),
    ("userpass", &["username", "password"]),
    ("token", &[]),
];

/// Settings whose values are secrets.
const SECRET_SETTINGS: &[&str] = &["password", "jwt", "token", "totp"];

/// `--vault-address`.
const ADDRESS: Text = Text::new("vault-address", "IP address or host name of the Vault server.");
/// `--vault-port`.
const PORT: Text = Text::new("vault-port", "Port of the Vault server (default: '8200').").default("8200");
/// `--vault-protocol`.
const PROTOCOL: Text = Text::new("vault-protocol", "HTTP or HTTPS protocol (default: 'http').").default("http");
/// `--vault-token`.
const TOKEN: Text = Text::new("vault-token", "Token for the 'token' authentication method.");
/// `--auth-method`.
const AUTH_METHOD: Text = Text::new(
    "auth-method",
    "Authentication method: azure, cert, github, ldap, okta, radius, userpass or token (default: 'token').",
)
.default("token");
/// `--auth-path`.
const AUTH_PATH: Text = Text::new("auth-path", "Path of the authentication method, when not its default one.");
/// `--auth-settings`.
const AUTH_SETTINGS: Pairs = Pairs::new(
    "auth-settings",
    "Settings of the authentication method, as KEY=VALUE (repeatable), e.g. --auth-settings='username=alice' \
     --auth-settings='password=…'.",
);
/// `--secret-path`.
const SECRET_PATH: List = List::new("secret-path", "Path of a secret, e.g. 'secret/data/monitoring' (repeatable).");
/// `--map-option`.
const MAP_OPTION: List = List::new(
    "map-option",
    "Overload an option value with a secret, as OPTION=TEXT where %{value_<path>} and %{key_<path>} stand for a \
     secret's value and key (repeatable).",
);

/// The manager's options.
pub fn section() -> OptionSection {
    OptionSection::new(
        "HASHICORP VAULT OPTIONS",
        vec![
            ADDRESS.spec(),
            PORT.spec(),
            PROTOCOL.spec(),
            TOKEN.spec(),
            AUTH_METHOD.spec(),
            AUTH_PATH.spec(),
            AUTH_SETTINGS.spec(),
            SECRET_PATH.spec(),
            MAP_OPTION.spec(),
        ],
    )
}

/// Logs in, reads every secret path and maps the values into options.
pub fn apply(values: &mut Values, specs: &[OptionSpec], context: Context<'_>) -> Result<()> {
    let settings = Settings::from_values(values)?;
    for (key, value) in &settings.auth {
        if SECRET_SETTINGS.contains(&key.as_str()) {
            context.debug.secret(value);
        }
    }
    if let Some(token) = &settings.token {
        context.debug.secret(token);
    }
    let http = Http::new(values, context, NAME, None)?;
    let token = match settings.token.clone() {
        Some(token) if settings.method == "token" => token,
        _ => login(&http, &settings)?,
    };
    context.debug.secret(&token);
    let mut found: Map<String, Value> = Map::new();
    for path in &settings.paths {
        let (key, value) = read_secret(&http, &settings, &token, path)?;
        context.debug.secret(&value);
        found.insert(format!("key_{path}"), Value::String(key));
        found.insert(format!("value_{path}"), Value::String(value));
    }
    let rules: Vec<String> = values.list(&MAP_OPTION).to_vec();
    for rule in rules {
        let Some((option, text)) = rule.split_once('=') else { continue };
        let mapped = substitute(text, |name| found.get(name).and_then(Value::as_str).map(str::to_string));
        context.debug.secret(&mapped);
        set_option(values, specs, option, mapped);
    }
    Ok(())
}

/// The options, checked in Perl's order with Perl's messages.
#[derive(Debug)]
struct Settings {
    base: String,
    method: String,
    auth_path: String,
    auth: Vec<(String, String)>,
    token: Option<String>,
    paths: Vec<String>,
}

impl Settings {
    fn from_values(values: &Values) -> Result<Settings> {
        let address = values.non_empty(&ADDRESS).ok_or_else(|| Error::new("Please set the --vault-address option"))?;
        let method = values.non_empty(&AUTH_METHOD).unwrap_or("token").to_string();
        let Some((_, required)) = METHODS.iter().find(|(name, _)| *name == method) else {
            return Err(Error::new("Incorrect or unsupported authentication method set in --auth-method"));
        };
        let token = values.non_empty(&TOKEN).map(str::to_string);
        if method == "token" && token.is_none() {
            return Err(Error::new("Please set the --vault-token option"));
        }
        let paths: Vec<String> = values
            .list(&SECRET_PATH)
            .iter()
            .map(|p| p.trim_matches('/').to_string())
            .filter(|p| !p.is_empty())
            .collect();
        if paths.is_empty() {
            return Err(Error::new("Please set the --secret-path option"));
        }
        let auth: Vec<(String, String)> = values.map(&AUTH_SETTINGS).to_vec();
        for setting in *required {
            if !auth.iter().any(|(k, v)| k == setting && !v.is_empty()) {
                return Err(Error::new(format!("Missing authentication setting: {setting}")));
            }
        }
        let protocol = values.non_empty(&PROTOCOL).unwrap_or("http");
        if protocol != "http" && protocol != "https" {
            return Err(Error::new(format!("{NAME}: --vault-protocol must be http or https, not '{protocol}'")));
        }
        let port = values.non_empty(&PORT).unwrap_or("8200");
        if port.parse::<u16>().is_err() {
            return Err(Error::new(format!("{NAME}: --vault-port must be a port number, not '{port}'")));
        }
        let auth_path = values.non_empty(&AUTH_PATH).unwrap_or(&method).trim_matches('/').to_string();
        Ok(Settings { base: format!("{protocol}://{address}:{port}"), method, auth_path, auth, token, paths })
    }
}

/// Logs in with the auth method: the token of the answer.
fn login(http: &Http, settings: &Settings) -> Result<String> {
    let url = login_url(settings);
    let body: Map<String, Value> = settings.auth.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
    let answer = http.send(&url, |url| {
        Request::post(url, Value::Object(body).to_string()).header("Content-Type", "application/json")
    })?;
    let json: Value = serde_json::from_str(&answer.body).unwrap_or(Value::Null);
    if let Some(error) = first_error(&json) {
        return Err(Error::new(format!(
            "Authentication endpoint returns error code '{error}' (add --debug option for detailed message)"
        )));
    }
    match json.pointer("/auth/client_token").and_then(Value::as_str) {
        Some(token) if !token.is_empty() => Ok(token.to_string()),
        _ => Err(Error::new(format!(
            "{NAME}: the login with --auth-method={} answered {} without auth.client_token: check --auth-path \
             and --auth-settings",
            settings.method, answer.status_line
        ))),
    }
}

/// Where the auth method logs in. Vault serves each method's login at one path,
/// matched exactly: `<auth-path>/login/<username>` for the username-and-password
/// methods (userpass, LDAP, Okta, RADIUS), `<auth-path>/login` for the others. (Perl's
/// module posts to `<auth-path>/login/`, with the username only for userpass and LDAP,
/// which Vault does not serve for GitHub, cert, Azure, Okta and RADIUS.)
fn login_url(settings: &Settings) -> String {
    let base = format!("{}/v1/auth/{}/login", settings.base, settings.auth_path);
    match settings.method.as_str() {
        "userpass" | "ldap" | "okta" | "radius" => {
            let username = settings.auth.iter().rfind(|(k, _)| k == "username").map_or("", |(_, v)| v.as_str());
            // A username may hold `/`, `?`, `#`, spaces: one path segment, `@` kept.
            format!("{base}/{}", percent_encode_keeping(username, b"@"))
        }
        _ => base,
    }
}

/// Reads one secret: its key and value (the last key in sorted order).
fn read_secret(http: &Http, settings: &Settings, token: &str, path: &str) -> Result<(String, String)> {
    let url = format!("{}/v1/{path}", settings.base);
    let answer = http.send(&url, |url| Request::get(url).header("X-Vault-Token", token))?;
    let json: Value = serde_json::from_str(&answer.body).unwrap_or(Value::Null);
    // Vault answers a deleted or destroyed version with a 404 that still carries its
    // metadata; a version read (200) is valid, even with a `deletion_time`: it is only
    // scheduled (the mount's or key's `delete_version_after`).
    let refused = !(200..300).contains(&answer.status);
    if let Some(metadata) = json.pointer("/data/metadata").filter(|_| refused) {
        let deleted = metadata.get("deletion_time").and_then(Value::as_str).is_some_and(|t| !t.is_empty());
        let destroyed = metadata.get("destroyed").and_then(Value::as_bool).unwrap_or(false);
        if deleted || destroyed {
            return Err(Error::new("This secret is not valid anymore"));
        }
    }
    if refused {
        return Err(http_error(&answer, path, &json));
    }
    let secrets = match json.pointer("/data/metadata") {
        Some(_) => json.pointer("/data/data"),
        None => json.get("data"),
    };
    let Some(Value::Object(secrets)) = secrets else {
        return Err(Error::new(format!("{NAME}: the answer for --secret-path={path} holds no secret data")));
    };
    let Some((key, value)) = secrets.iter().next_back() else {
        return Err(Error::new(format!("{NAME}: the secret --secret-path={path} is empty")));
    };
    let value = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    Ok((key.clone(), value))
}

/// A read that Vault refused: its status, and Vault's own reason when it gave one.
fn http_error(answer: &Answer, path: &str, json: &Value) -> Error {
    let reason = first_error(json).map(|e| format!(" ({e})")).unwrap_or_default();
    Error::new(format!(
        "{NAME}: reading --secret-path={path} answered {}{reason}: check the path (KV version 2 paths \
         contain '/data/') and the token's policy",
        answer.status_line
    ))
}

/// `errors[0]` of a Vault answer.
fn first_error(json: &Value) -> Option<String> {
    json.get("errors").and_then(|e| e.get(0)).map(|e| match e {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(args: &[(&str, &str)]) -> Values {
        Values::of(&section().options, args)
    }

    #[test]
    fn options_are_checked_with_perls_messages() {
        let message =
            |args: &[(&str, &str)]| Settings::from_values(&values(args)).expect_err("refused").message().to_string();
        assert_eq!(message(&[]), "Please set the --vault-address option");
        let base = [("vault-address", "v")];
        assert_eq!(
            message(&[base[0], ("auth-method", "kerberos")]),
            "Incorrect or unsupported authentication method set in --auth-method"
        );
        assert_eq!(message(&base), "Please set the --vault-token option");
        assert_eq!(message(&[base[0], ("vault-token", "t")]), "Please set the --secret-path option");
        let userpass = [base[0], ("auth-method", "userpass"), ("secret-path", "s"), ("auth-settings", "username=u")];
        assert_eq!(message(&userpass), "Missing authentication setting: password");
        let okta = [base[0], ("auth-method", "okta"), ("secret-path", "s"), ("auth-settings", "username=u")];
        assert_eq!(message(&okta), "Missing authentication setting: password");
        let azure = [base[0], ("auth-method", "azure"), ("secret-path", "s"), ("auth-settings", "jwt=j")];
        assert_eq!(message(&azure), "Missing authentication setting: role");
    }

    #[test]
    fn settings_build_the_base_url_and_auth_path() {
        let settings = Settings::from_values(&values(&[
            ("vault-address", "vault.local"),
            ("vault-protocol", "https"),
            ("auth-method", "ldap"),
            ("auth-path", "/corp-ldap/"),
            ("auth-settings", "username=u"),
            ("auth-settings", "password=p"),
            ("secret-path", "/secret/data/o365/"),
        ]))
        .expect("valid");
        assert_eq!(settings.base, "https://vault.local:8200");
        assert_eq!(settings.auth_path, "corp-ldap");
        assert_eq!(settings.paths, ["secret/data/o365"]);
        assert_eq!(login_url(&settings), "https://vault.local:8200/v1/auth/corp-ldap/login/u");
    }

    #[test]
    fn each_method_logs_in_at_the_path_vault_serves() {
        let url = |method: &str, username: &str| {
            let mut args = vec![("vault-address", "v"), ("auth-method", method), ("secret-path", "s")];
            let username = format!("username={username}");
            args.extend([("auth-settings", username.as_str()), ("auth-settings", "password=p")]);
            args.extend([("auth-settings", "totp=1"), ("auth-settings", "token=t"), ("auth-settings", "name=n")]);
            args.extend([("auth-settings", "role=r"), ("auth-settings", "jwt=j")]);
            login_url(&Settings::from_values(&values(&args)).expect("valid"))
        };
        for method in ["userpass", "ldap", "okta", "radius"] {
            assert_eq!(url(method, "alice@corp"), format!("http://v:8200/v1/auth/{method}/login/alice@corp"));
        }
        assert_eq!(url("userpass", "a b/c?d"), "http://v:8200/v1/auth/userpass/login/a%20b%2Fc%3Fd");
        for method in ["github", "cert", "azure"] {
            assert_eq!(url(method, "alice"), format!("http://v:8200/v1/auth/{method}/login"));
        }
    }
}
