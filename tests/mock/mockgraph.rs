//! `mockgraph`: the stand-in for Microsoft as a program, for `make demo` and
//! the benchmarks, which drive the plugin binary from outside.
//!
//! ```text
//! mockgraph [--port P] [--users N [--seed S] | --data DIR] [--fault NAME]
//!           [--variant concealed-names|iso-dates|no-final-line-end|issues-resolved]...
//!           [--refresh-date YYYY-MM-DD] [--report-date YYYY-MM-DD]
//!           [--trace-volume PER_MINUTE] [--trace-lag SECONDS] [--trace-limit REQUESTS]
//!           [--certificate PEM]...
//! ```
//!
//! `--certificate` registers a certificate credential (a PEM file; its first
//! certificate is used): the token endpoints accept assertions signed with its key.
//!
//! It prints `ready http://127.0.0.1:PORT` once both listeners are up, and
//! serves until killed. `GET /mock/counts` answers what it has served so far:
//! `{"token_requests": N, "report_requests": N, "downloads": {"<report>": N, ...}}`.

// The program uses only part of the API the tests share.
#[allow(dead_code, unused_imports)]
#[path = "mod.rs"]
mod mock;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use mock::{Fault, MockGraph, Tenant, TraceSettings, Variant};

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
    let mock = builder.traces(traces).start().map_err(|e| e.to_string())?;
    let mut stdout = std::io::stdout();
    writeln!(stdout, "ready {}", mock.url()).and_then(|()| stdout.flush()).map_err(|e| e.to_string())?;
    // Serves until the process is killed; the listeners run on their own threads.
    loop {
        std::thread::park();
    }
}
