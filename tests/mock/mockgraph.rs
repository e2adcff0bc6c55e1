//! `mockgraph`: the stand-in for Microsoft as a program, for `make demo` and
//! the benchmarks, which drive the plugin binary from outside.
//!
//! ```text
//! mockgraph [--port P] [--users N [--seed S] | --data DIR] [--fault NAME]
//!           [--variant concealed-names|iso-dates|no-final-line-end|issues-resolved]...
//!           [--refresh-date YYYY-MM-DD] [--report-date YYYY-MM-DD]
//!           [--trace-volume PER_MINUTE] [--trace-lag SECONDS] [--trace-limit REQUESTS]
//!           [--certificate PEM]... [--dns]
//!           [--mailbox ADDRESS]... [--mail-delay SECONDS] [--mail-loss-rate R] [--mail-junk-rate R]
//! ```
//!
//! Mail runs on the wall clock here: a probe sent with `--mail-delay 2` arrives two
//! seconds later.
//!
//! `--certificate` registers a certificate credential (a PEM file; its first
//! certificate is used): the token endpoints accept assertions signed with its key.
//!
//! `--dns` also starts a real DNS server (NSD, which must be installed) publishing
//! the zones of the tenant's domains, for `mail-domains`; it stops with the mock.
//!
//! It prints `ready http://127.0.0.1:PORT` once both listeners are up (followed by
//! ` dns=127.0.0.1:PORT` with `--dns`), and serves until killed. `GET /mock/counts` answers what it has served so far:
//! `{"token_requests": N, "report_requests": N, "downloads": {"<report>": N, ...}}`.

// The program uses only part of the API the tests share.
#[allow(dead_code, unused_imports)]
#[path = "mod.rs"]
mod mock;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use mock::{dns_server, domains, Fault, MailClock, MailSettings, MockGraph, Tenant, TraceSettings, Variant};

/// The stand-in for Microsoft's token, report, message trace and service health
/// endpoints, on 127.0.0.1.
#[derive(Debug, Parser)]
#[command(name = "mockgraph")]
struct Args {
    /// The port of the API listener (the download listener takes the next one); any free one by default.
    #[arg(long)]
    port: Option<u16>,
    /// Serve a generated tenant of this many users instead of the fixtures.
    #[arg(long, conflicts_with = "data")]
    users: Option<usize>,
    /// The seed of the generated tenant.
    #[arg(long, default_value_t = 7, requires = "users")]
    seed: u64,
    /// Serve the report and health fixtures of this directory.
    #[arg(long)]
    data: Option<PathBuf>,
    /// How the stand-in misbehaves (e.g. 429-once, truncated, bad-secret).
    #[arg(long)]
    fault: Option<Fault>,
    /// A variation of Microsoft's answers (concealed-names, iso-dates, no-final-line-end, issues-resolved); repeatable.
    #[arg(long)]
    variant: Vec<Variant>,
    /// The reports' `Report Refresh Date`, YYYY-MM-DD.
    #[arg(long)]
    refresh_date: Option<String>,
    /// The day the reports describe, YYYY-MM-DD: every date in them moves with it.
    #[arg(long)]
    report_date: Option<String>,
    /// Messages received in each minute, for message trace.
    #[arg(long, default_value_t = TraceSettings::default().per_minute)]
    trace_volume: usize,
    /// Seconds before a received message shows in message trace.
    #[arg(long, default_value_t = TraceSettings::default().lag_secs)]
    trace_lag: i64,
    /// Message trace requests accepted per tenant in any 5 minutes.
    #[arg(long, default_value_t = TraceSettings::default().limit)]
    trace_limit: usize,
    /// A certificate credential (PEM file; its first certificate is used) whose signed assertions the token endpoints accept; repeatable.
    #[arg(long)]
    certificate: Vec<PathBuf>,
    /// Also serve the tenant's domains' zones from a DNS server (NSD) on a free loopback port.
    #[arg(long)]
    dns: bool,
    /// A mailbox of the tenant, for the mail routes; repeatable (default: probe@ and roundtrip@contoso.onmicrosoft.com).
    #[arg(long)]
    mailbox: Vec<String>,
    /// Seconds from sending a message to its arrival.
    #[arg(long, default_value_t = 0)]
    mail_delay: i64,
    /// The share of messages never delivered, from 0 to 1.
    #[arg(long, default_value_t = 0.0)]
    mail_loss_rate: f64,
    /// The share of delivered messages put in Junk Email, from 0 to 1.
    #[arg(long, default_value_t = 0.0)]
    mail_junk_rate: f64,
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("mockgraph: {message}");
            ExitCode::from(2)
        }
    }
}

/// The DER of the first certificate of a PEM file.
fn certificate_der(path: &std::path::Path) -> Result<Vec<u8>, String> {
    use x509_cert::der::Encode;
    let name = path.display();
    let pem = std::fs::read(path).map_err(|e| format!("certificate '{name}': {e}"))?;
    let chain = x509_cert::Certificate::load_pem_chain(&pem).map_err(|e| format!("certificate '{name}': {e}"))?;
    let first = chain.first().ok_or_else(|| format!("certificate '{name}': no CERTIFICATE block"))?;
    first.to_der().map_err(|e| format!("certificate '{name}': {e}"))
}

fn run(args: Args) -> Result<(), String> {
    let mut builder = MockGraph::builder();
    if let Some(port) = args.port {
        builder = builder.port(port);
    }
    if let Some(dir) = args.data {
        builder = builder.fixture_dir(dir);
    }
    if let Some(users) = args.users {
        builder = builder.tenant(Tenant::generated(users, args.seed));
    }
    if let Some(fault) = args.fault {
        builder = builder.fault(fault);
    }
    for variant in args.variant {
        builder = builder.variant(variant);
    }
    if let Some(date) = args.report_date {
        builder = builder.variant(Variant::ReportDate(date));
    }
    if let Some(date) = args.refresh_date {
        builder = builder.variant(Variant::RefreshDate(date));
    }
    for path in &args.certificate {
        builder = builder.certificate(certificate_der(path)?);
    }
    let traces = TraceSettings { per_minute: args.trace_volume, lag_secs: args.trace_lag, limit: args.trace_limit };
    let mut mail = MailSettings {
        delay_secs: args.mail_delay,
        loss_rate: args.mail_loss_rate,
        junk_rate: args.mail_junk_rate,
        clock: MailClock::Running,
        ..MailSettings::default()
    };
    if !args.mailbox.is_empty() {
        mail.mailboxes = args.mailbox;
    }
    let mock = builder.traces(traces).mail(mail).start().map_err(|e| e.to_string())?;
    // Held until the process ends: NSD stops with this thread (its parent-death signal).
    let dns = if args.dns { Some(dns_server(&domains::tenant()).map_err(|e| e.to_string())?) } else { None };
    let dns_text = dns.as_ref().map(|nsd| format!(" dns={}", nsd.address())).unwrap_or_default();
    let mut stdout = std::io::stdout();
    writeln!(stdout, "ready {}{dns_text}", mock.url()).and_then(|()| stdout.flush()).map_err(|e| e.to_string())?;
    // Serves until the process is killed; the listeners run on their own threads.
    loop {
        std::thread::park();
    }
}
