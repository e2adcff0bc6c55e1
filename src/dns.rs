//! DNS questions for modes that judge what a domain publishes: a stub resolver asking
//! the system's name servers (`/etc/resolv.conf`) or the `--dns-server` given, within
//! `--dns-timeout`.
//!
//! An answer is either records or [`Answer::Missing`]: the name does not exist
//! (NXDOMAIN) or holds no record of the type asked (an empty answer). Anything else
//! (no answer in time, SERVFAIL, REFUSED) is an error: a check must never take a
//! server that did not answer for a record that is not published.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolverConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::rr::{Name, RData, RecordType};
use hickory_resolver::TokioResolver;

use crate::budget;
use crate::debug::DebugLog;
use crate::error::{Error, Result};
use crate::options::{List, OptionSpec, Text, Values};

/// The default of `--dns-timeout`: a stub resolver's usual patience.
const TIMEOUT_DEFAULT: &str = "5";
/// The port of a `--dns-server` given without one.
const DNS_PORT: u16 = 53;

/// `--dns-server`: repeatable.
pub const SERVER: List = List::new(
    "dns-server",
    "Ask this DNS server (IP or IP:PORT, [IPv6]:PORT; repeatable) instead of the system's \
     (/etc/resolv.conf). It must answer recursive queries for every name checked.",
);

/// `--dns-timeout`, in seconds.
pub const TIMEOUT: Text = Text::new(
    "dns-timeout",
    "Seconds one DNS question may take, retransmissions included (default: 5); a server that \
     does not answer in time makes the check UNKNOWN, never 'missing'. --timeout bounds all \
     the questions of the run together.",
)
.default(TIMEOUT_DEFAULT);

/// The options of the resolver, for a mode to add to its own.
pub fn options() -> Vec<OptionSpec> {
    vec![SERVER.spec(), TIMEOUT.spec()]
}

/// What the DNS says of a name and type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer<T> {
    /// The records of that type (never empty).
    Found(Vec<T>),
    /// NXDOMAIN, or the name exists without a record of that type.
    Missing,
}

/// One MX record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mx {
    /// Lower is preferred.
    pub preference: u16,
    /// The mail host, lower case, without the final dot; empty for the null MX
    /// (`0 .`, a domain that accepts no mail).
    pub exchange: String,
}

/// A resolver and the single-thread runtime its questions run on.
pub struct Resolver {
    runtime: tokio::runtime::Runtime,
    inner: TokioResolver,
    /// What `--debug` shows: each question and its answer.
    debug: DebugLog,
    /// For error texts: who was asked.
    servers: String,
    timeout: Duration,
}

impl std::fmt::Debug for Resolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resolver").field("servers", &self.servers).field("timeout", &self.timeout).finish()
    }
}

impl Resolver {
    /// The resolver the options ask for; the system's configuration is read now, so
    /// that a machine without one is reported before any question.
    pub fn from_values(values: &Values, debug: &DebugLog) -> Result<Resolver> {
        let timeout = parse_timeout(values.non_empty(&TIMEOUT).unwrap_or(TIMEOUT_DEFAULT))?;
        let servers = values.list(&SERVER).iter().map(|s| parse_server(s)).collect::<Result<Vec<_>>>()?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::new(format!("Cannot start the DNS resolver: {e}")))?;
        // The resolver spawns its connections' tasks on the runtime it is built in.
        let _context = runtime.enter();
        let (mut builder, described) = if servers.is_empty() {
            let builder = TokioResolver::builder_tokio().map_err(|e| {
                Error::new(format!("Cannot read the system's DNS configuration (/etc/resolv.conf): {e}"))
            })?;
            (builder, "the system's DNS servers".to_string())
        } else {
            let names = servers.iter().map(SocketAddr::to_string).collect::<Vec<_>>().join(", ");
            let config = ResolverConfig::from_name_servers(servers.iter().map(|s| name_server(*s)).collect());
            let builder = TokioResolver::builder_with_config(config, TokioRuntimeProvider::default());
            (builder, format!("DNS server {names}"))
        };
        let options: &mut ResolverOpts = builder.options_mut();
        options.timeout = timeout;
        options.attempts = 1;
        options.use_hosts_file = hickory_resolver::config::ResolveHosts::Never;
        let inner = builder.build().map_err(|e| Error::new(format!("Cannot start the DNS resolver: {e}")))?;
        Ok(Resolver { runtime, inner, debug: debug.clone(), servers: described, timeout })
    }

    /// The TXT records of `name`, each one text (its strings joined without
    /// separator, as SPF and DMARC read them; bytes that are not UTF-8 replaced).
    pub fn txt(&self, name: &str) -> Result<Answer<String>> {
        self.ask(name, RecordType::TXT, |data| match data {
            RData::TXT(txt) => Some(txt.txt_data.iter().map(|s| String::from_utf8_lossy(s)).collect::<String>()),
            _ => None,
        })
    }

    /// The MX records of `name`, by preference.
    pub fn mx(&self, name: &str) -> Result<Answer<Mx>> {
        let mut answer = self.ask(name, RecordType::MX, |data| match data {
            RData::MX(mx) => Some(Mx { preference: mx.preference, exchange: host(&mx.exchange) }),
            _ => None,
        })?;
        if let Answer::Found(records) = &mut answer {
            records.sort_by(|a, b| (a.preference, &a.exchange).cmp(&(b.preference, &b.exchange)));
        }
        Ok(answer)
    }

    /// The target of the CNAME record at `name`, lower case, without the final dot.
    pub fn cname(&self, name: &str) -> Result<Answer<String>> {
        self.ask(name, RecordType::CNAME, |data| match data {
            RData::CNAME(cname) => Some(host(&cname.0)),
            _ => None,
        })
    }

    /// Asks for the `kind` records of `name` (a fully qualified name, so that no
    /// search domain is tried) and keeps what `read` makes of them.
    fn ask<T>(&self, name: &str, kind: RecordType, read: impl Fn(&RData) -> Option<T>) -> Result<Answer<T>> {
        let fqdn = format!("{}.", name.trim_end_matches('.'));
        let question = Name::from_ascii(&fqdn)
            .or_else(|_| Name::from_utf8(&fqdn))
            .map_err(|e| Error::new(format!("'{name}' is not a domain name: {e}")))?;
        let lookup = self.inner.lookup(question, kind);
        let answer = match budget::remaining() {
            Some((left, limit)) if left < self.timeout => {
                // The timer is made inside the runtime, whose clock it needs.
                match self.runtime.block_on(async { tokio::time::timeout(left, lookup).await }) {
                    Ok(answer) => answer,
                    Err(_) => {
                        let what = format!("the run's --timeout of {} s ran out", limit.as_secs());
                        self.debug.log(format!("dns: {fqdn} {kind}: {what}"));
                        let error = Error::new(format!(
                            "DNS query for {kind} records of {name} not answered ({}): {what}",
                            self.servers
                        ));
                        // The run is over: this, not what later work fails on, is its answer.
                        budget::give_up(error.clone());
                        return Err(error);
                    }
                }
            }
            _ => self.runtime.block_on(lookup),
        };
        match answer {
            Ok(lookup) => {
                let records: Vec<T> = lookup.answers().iter().filter_map(|r| read(&r.data)).collect();
                self.debug.log(format!("dns: {fqdn} {kind}: {} record(s)", records.len()));
                Ok(if records.is_empty() { Answer::Missing } else { Answer::Found(records) })
            }
            Err(NetError::Dns(DnsError::NoRecordsFound(no))) => {
                self.debug.log(format!("dns: {fqdn} {kind}: none ({})", no.response_code));
                Ok(Answer::Missing)
            }
            Err(error) => {
                let what = match &error {
                    NetError::Timeout => format!("no answer within {} s", self.timeout.as_secs_f64()),
                    NetError::Dns(DnsError::ResponseCode(code)) => format!("the server answered {code}"),
                    other => other.to_string(),
                };
                self.debug.log(format!("dns: {fqdn} {kind}: {what}"));
                Err(Error::new(format!("DNS query for {kind} records of {name} failed ({}): {what}", self.servers)))
            }
        }
    }
}

/// A name as a host name: lower case, without the final dot (the root is empty).
fn host(name: &Name) -> String {
    name.to_ascii().trim_end_matches('.').to_ascii_lowercase()
}

/// A name server over UDP, and TCP for truncated answers, at `address`.
fn name_server(address: SocketAddr) -> NameServerConfig {
    let connection = |mut config: ConnectionConfig| {
        config.port = address.port();
        config
    };
    NameServerConfig::new(
        address.ip(),
        true,
        vec![connection(ConnectionConfig::udp()), connection(ConnectionConfig::tcp())],
    )
}

/// `IP`, `IP:PORT` or `[IPv6]:PORT`.
fn parse_server(text: &str) -> Result<SocketAddr> {
    let text = text.trim();
    text.parse::<SocketAddr>().or_else(|_| text.parse::<IpAddr>().map(|ip| SocketAddr::new(ip, DNS_PORT))).map_err(
        |_| {
            let option = SERVER.name();
            Error::new(format!("Invalid --{option} '{text}': an IP address, with an optional :PORT, is expected"))
        },
    )
}

/// A number of seconds from 0.1 to 60.
fn parse_timeout(text: &str) -> Result<Duration> {
    text.trim().parse::<f64>().ok().filter(|s| (0.1..=60.0).contains(s)).map(Duration::from_secs_f64).ok_or_else(|| {
        Error::new(format!("Invalid --{} '{text}': a number of seconds from 0.1 to 60 is expected", TIMEOUT.name()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers_take_an_optional_port() {
        assert_eq!(parse_server("192.0.2.1").expect("ip"), "192.0.2.1:53".parse().expect("addr"));
        assert_eq!(parse_server("127.0.0.1:5353").expect("ip:port"), "127.0.0.1:5353".parse().expect("addr"));
        assert_eq!(parse_server("::1").expect("ipv6"), "[::1]:53".parse().expect("addr"));
        assert_eq!(parse_server("[::1]:5353").expect("[ipv6]:port"), "[::1]:5353".parse().expect("addr"));
        let error = parse_server("dns.example").expect_err("a name");
        assert_eq!(
            error.message(),
            "Invalid --dns-server 'dns.example': an IP address, with an optional :PORT, is expected"
        );
    }

    #[test]
    fn timeouts_are_seconds_within_reason() {
        assert_eq!(parse_timeout("2.5").expect("2.5"), Duration::from_millis(2500));
        for bad in ["0", "61", "x", "-1"] {
            let error = parse_timeout(bad).expect_err(bad);
            assert!(error.message().starts_with(&format!("Invalid --dns-timeout '{bad}'")), "{error}");
        }
    }
}
