//! The Http Global, Backend lwp and Backend Curl options: their declarations, and what
//! they ask of the client once read and checked at start-up ([`HttpSettings`]).

use std::net::IpAddr;

use crate::debug::{DebugLog, Secrets};
use crate::error::{Error, Result};
use crate::options::{Flag, List, OptionSection, Text, Values};

/// `--http-peer-addr`.
pub const HTTP_PEER_ADDR: Text = Text::new(
    "http-peer-addr",
    "Set the address you want to connect to. Useful if hostname is only a vhost, \
                     no IP resolve. Applies to every request, redirects included; the Host header \
                     and the TLS name stay those of the URL.",
);

/// `--proxyurl`.
pub const PROXYURL: Text = Text::new(
    "proxyurl",
    "Proxy URL for http and https requests (https through CONNECT), e.g. \
                     http://user:password@proxy:3128. Environment proxy variables are not used.",
);

/// `--proxypac`.
pub const PROXYPAC: Text = Text::new(
    "proxypac",
    "Proxy pac file (can be a URL or a local file). Not supported: the check ends \
                     with UNKNOWN when it is given; use --proxyurl.",
);

/// `--insecure`.
pub const INSECURE: Flag =
    Flag::new("insecure", "Accept insecure SSL connections (no certificate or host name check).");

/// `--http-backend`.
pub const HTTP_BACKEND: Text = Text::new(
    "http-backend",
    "Perl's HTTP backend: 'lwp' (default) or 'curl'. Both are accepted and use \
                     the same built-in client; any other value is refused at start-up.",
)
.default("lwp");

/// `--ssl-opt`.
pub const SSL_OPT: List = List::new(
    "ssl-opt",
    "Set SSL options: --ssl-opt=\"SSL_verify_mode => SSL_VERIFY_NONE\" --ssl-opt=\
                     \"SSL_version => TLSv1_2\". Understood: SSL_verify_mode (SSL_VERIFY_NONE or \
                     0 disables verification), SSL_version (TLSv1_2, TLSv1_3) and SSL_ca_file \
                     (PEM file of extra trusted certificates). The text is parsed, never \
                     evaluated; other settings are ignored (noted under --debug).",
);

/// `--ssl`.
pub const SSL: Text = Text::new("ssl", "Set SSL version (--ssl=TLSv1_2): same as --ssl-opt=\"SSL_version => VALUE\".");

/// `--curl-opt`.
pub const CURL_OPT: List = List::new(
    "curl-opt",
    "Set CURL Options (--curl-opt=\"CURLOPT_SSL_VERIFYPEER => 0\"). Accepted for \
                 compatibility and unused: the built-in client does not use libcurl.",
);

/// The Http Global, Backend lwp and Backend Curl sections, in Perl's help order.
pub fn sections() -> Vec<OptionSection> {
    vec![
        OptionSection::new(
            "HTTP GLOBAL OPTIONS",
            vec![HTTP_PEER_ADDR.spec(), PROXYURL.spec(), PROXYPAC.spec(), INSECURE.spec(), HTTP_BACKEND.spec()],
        ),
        OptionSection::new("BACKEND LWP OPTIONS", vec![SSL_OPT.spec(), SSL.spec()]),
        OptionSection::new("BACKEND CURL OPTIONS", vec![CURL_OPT.spec()]),
    ]
}

/// Validates `--http-backend` at start-up (Perl waits for the first request and
/// accepts `LWP` or `lwpx` by accident).
fn check_backend(values: &Values) -> Result<()> {
    match values.non_empty(&HTTP_BACKEND).unwrap_or("lwp") {
        "lwp" | "curl" => Ok(()),
        other => Err(Error::new(format!("Unsupported http backend specified '{other}'."))),
    }
}

/// Whether server certificates are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Certificates {
    /// Certificate chain and host name verified (the default).
    #[default]
    Verified,
    /// Anything accepted: `--insecure`, or `--ssl-opt="SSL_verify_mode => SSL_VERIFY_NONE"`.
    Unchecked,
}

/// A TLS protocol version named by `--ssl` / `SSL_version`: the only one allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsVersion {
    /// TLS 1.2.
    V1_2,
    /// TLS 1.3.
    V1_3,
}

/// What the HTTP options ask of the client.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HttpSettings {
    /// Whether server certificates are checked.
    pub certificates: Certificates,
    /// `--proxyurl`.
    pub proxy: Option<String>,
    /// `--http-peer-addr`: the address every host name resolves to.
    pub peer_addr: Option<IpAddr>,
    /// `--ssl` / `SSL_version`.
    pub tls_version: Option<TlsVersion>,
    /// `SSL_ca_file`: a PEM file of extra trusted certificates.
    pub ca_file: Option<String>,
    /// Whether the debug dump shows secrets.
    pub secrets: Secrets,
}

impl HttpSettings {
    /// Reads the HTTP options of the command line; refuses what cannot be honoured
    /// (`--http-backend` other than lwp/curl, `--proxypac`, a bad `--http-peer-addr`).
    /// `--ssl-opt` is parsed against the settings it understands, never evaluated; `debug`
    /// receives a note for each item ignored.
    pub fn from_values(values: &Values, debug: &DebugLog) -> Result<HttpSettings> {
        check_backend(values)?;
        if values.non_empty(&PROXYPAC).is_some() {
            return Err(Error::new("Unsupported proxypac option: use --proxyurl"));
        }
        let mut settings = HttpSettings::default();
        if let Some(peer) = values.non_empty(&HTTP_PEER_ADDR) {
            let ip = peer.trim_matches(|c| c == '[' || c == ']');
            let ip = ip
                .parse()
                .map_err(|_| Error::new(format!("Invalid --http-peer-addr '{peer}': an IP address is expected")))?;
            settings.peer_addr = Some(ip);
        }
        settings.proxy = values.non_empty(&PROXYURL).map(str::to_string);
        let mut items: Vec<String> = values.list(&SSL_OPT).to_vec();
        if let Some(version) = values.non_empty(&SSL) {
            items.push(format!("SSL_version => {version}"));
        }
        let ssl = SslOptions::parse(items.iter().map(String::as_str), debug);
        if values.flag(&INSECURE) || ssl.certificates == Certificates::Unchecked {
            settings.certificates = Certificates::Unchecked;
        }
        settings.tls_version = ssl.version;
        settings.ca_file = ssl.ca_file;
        if values.flag(&crate::output::SHOW_PASSWORD) {
            settings.secrets = Secrets::Shown;
        }
        Ok(settings)
    }
}

/// What `--ssl-opt` / `--ssl` ask for, once parsed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct SslOptions {
    certificates: Certificates,
    version: Option<TlsVersion>,
    ca_file: Option<String>,
}

impl SslOptions {
    /// Parses `NAME => VALUE` items; what is not understood is noted in `debug`.
    fn parse<'a>(items: impl IntoIterator<Item = &'a str>, debug: &DebugLog) -> Self {
        let mut settings = SslOptions::default();
        for item in items {
            let Some((name, value)) = item.split_once("=>") else {
                debug.log(format!("http: --ssl-opt '{item}' ignored (expected 'NAME => VALUE')"));
                continue;
            };
            let name = name.trim();
            let value = value.trim().trim_end_matches(',').trim().trim_matches(|c| c == '"' || c == '\'');
            match (name, value) {
                ("SSL_verify_mode", "SSL_VERIFY_NONE" | "0" | "0x00") => {
                    settings.certificates = Certificates::Unchecked
                }
                ("SSL_verify_mode", "SSL_VERIFY_PEER" | "1" | "0x01") => settings.certificates = Certificates::Verified,
                ("SSL_version", version) => settings.set_version(version, debug),
                ("SSL_ca_file", path) if !path.is_empty() => settings.ca_file = Some(path.to_string()),
                _ => debug.log(format!("http: --ssl-opt '{item}' ignored (not a supported setting)")),
            }
        }
        settings
    }

    fn set_version(&mut self, version: &str, debug: &DebugLog) {
        match version.to_ascii_lowercase().as_str() {
            "tlsv1_2" | "tlsv12" | "tlsv1.2" => self.version = Some(TlsVersion::V1_2),
            "tlsv1_3" | "tlsv13" | "tlsv1.3" => self.version = Some(TlsVersion::V1_3),
            _ => debug.log(format!("http: SSL version '{version}' ignored (TLSv1_2 and TLSv1_3 are supported)")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::debug::{Logging, Secrets};

    /// Values for the HTTP options, as the tokenizer records them.
    fn values(args: &[(&str, &str)]) -> Values {
        let specs: Vec<_> = sections().into_iter().flat_map(|s| s.options).collect();
        Values::of(&specs, args)
    }

    #[test]
    fn sections_follow_perl_order() {
        let sections = sections();
        let names: Vec<Vec<&str>> =
            sections.iter().map(|s| s.options.iter().map(|o| o.name.as_str()).collect()).collect();
        assert_eq!(
            names,
            [
                vec!["http-peer-addr", "proxyurl", "proxypac", "insecure", "http-backend"],
                vec!["ssl-opt", "ssl"],
                vec!["curl-opt"]
            ]
        );
    }

    #[test]
    fn backend_is_validated() {
        check_backend(&values(&[])).expect("default");
        check_backend(&values(&[("http-backend", "curl")])).expect("curl");
        let error = check_backend(&values(&[("http-backend", "LWP")])).expect_err("bad");
        assert_eq!(error.message(), "Unsupported http backend specified 'LWP'.");
    }

    #[test]
    fn ssl_opt_is_parsed_never_evaluated() {
        let debug = DebugLog::new(Logging::On, Secrets::Masked);
        let settings = SslOptions::parse(
            ["SSL_verify_mode => SSL_VERIFY_NONE", "SSL_version => 'TLSv1_2'", "SSL_verify_mode => system(\"id\")"],
            &debug,
        );
        let expected =
            SslOptions { certificates: Certificates::Unchecked, version: Some(TlsVersion::V1_2), ca_file: None };
        assert_eq!(settings, expected);
        let lines = debug.take();
        assert_eq!(lines.len(), 1);
        assert!(lines[0].contains("system(\"id\")") && lines[0].contains("ignored"), "{lines:?}");
    }

    #[test]
    fn settings_read_every_option() {
        let debug = DebugLog::default();
        let settings = HttpSettings::from_values(
            &values(&[
                ("http-peer-addr", "[::1]"),
                ("proxyurl", "http://proxy:3128"),
                ("ssl", "TLSv1_3"),
                ("ssl-opt", "SSL_ca_file => /etc/ca.pem"),
            ]),
            &debug,
        )
        .expect("valid");
        assert_eq!(settings.peer_addr, "::1".parse().ok());
        assert_eq!(settings.proxy.as_deref(), Some("http://proxy:3128"));
        assert_eq!((settings.tls_version, settings.ca_file.as_deref()), (Some(TlsVersion::V1_3), Some("/etc/ca.pem")));
        assert_eq!((settings.certificates, settings.secrets), (Certificates::Verified, Secrets::Masked));
        let insecure = HttpSettings::from_values(&values(&[("insecure", "1")]), &debug).expect("valid");
        assert_eq!(insecure.certificates, Certificates::Unchecked);
        let refused =
            |args: &[(&str, &str)]| HttpSettings::from_values(&values(args), &debug).err().map(|e| e.to_string());
        assert_eq!(refused(&[("proxypac", "http://pac")]), Some("Unsupported proxypac option: use --proxyurl".into()));
        assert_eq!(
            refused(&[("http-peer-addr", "host")]),
            Some("Invalid --http-peer-addr 'host': an IP address is expected".into())
        );
    }
}
