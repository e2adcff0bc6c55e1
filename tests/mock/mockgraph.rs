//! `mockgraph`: the stand-in for Microsoft as a program, for `make demo` and
//! the benchmarks, which drive the plugin binary from outside.
//!
//! ```text
//! mockgraph [--port P] [--users N [--seed S] | --data DIR] [--fault NAME]
//!           [--variant concealed-names|iso-dates|no-final-line-end|issues-resolved]...
//!           [--refresh-date YYYY-MM-DD]
//!           [--trace-volume PER_MINUTE] [--trace-lag SECONDS] [--trace-limit REQUESTS]
//!           [--certificate PEM]...
//! ```
//!
//! `--certificate` registers a certificate credential (a PEM file; its first
//! certificate is used): the token endpoints accept assertions signed with its key.
//!
//! It prints `ready http://127.0.0.1:PORT` once both listeners are up, and
//! serves until killed.

// The program uses only part of the API the tests share.
#[allow(dead_code, unused_imports)]
#[path = "mod.rs"]
mod mock;

use std::io::Write;
use std::process::ExitCode;

use mock::{Fault, MockGraph, Tenant, TraceSettings, Variant};

const USAGE: &str = "usage: mockgraph [--port P] [--users N [--seed S] | --data DIR] [--fault NAME] \
                     [--variant concealed-names|iso-dates|no-final-line-end|issues-resolved]... \
                     [--refresh-date YYYY-MM-DD] \
                     [--trace-volume PER_MINUTE] [--trace-lag SECONDS] [--trace-limit REQUESTS] \
                     [--certificate PEM]...";

fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("mockgraph: {message}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

/// The DER of the first certificate of a PEM file.
fn certificate_der(path: &str) -> Result<Vec<u8>, String> {
    use x509_cert::der::Encode;
    let pem = std::fs::read(path).map_err(|e| format!("certificate '{path}': {e}"))?;
    let chain = x509_cert::Certificate::load_pem_chain(&pem).map_err(|e| format!("certificate '{path}': {e}"))?;
    let first = chain.first().ok_or_else(|| format!("certificate '{path}': no CERTIFICATE block"))?;
    first.to_der().map_err(|e| format!("certificate '{path}': {e}"))
}

fn run(args: Vec<String>) -> Result<(), String> {
    let mut builder = MockGraph::builder();
    let mut users = None;
    let mut seed = 7;
    let mut traces = TraceSettings::default();
    for pair in args.chunks(2) {
        let [flag, value] = pair else {
            return Err(format!("'{}' wants a value", pair[0]));
        };
        let number = |what: &str| value.parse::<u64>().map_err(|e| format!("{what} '{value}': {e}"));
        match flag.strip_prefix("--").unwrap_or_default() {
            "port" => {
                let port = number("port")?;
                builder = builder.port(u16::try_from(port).map_err(|e| e.to_string())?);
            }
            "users" => users = Some(number("users")?),
            "seed" => seed = number("seed")?,
            "data" => builder = builder.fixture_dir(value),
            "fault" => builder = builder.fault(value.parse::<Fault>()?),
            "certificate" => builder = builder.certificate(certificate_der(value)?),
            "variant" => builder = builder.variant(value.parse::<Variant>()?),
            "refresh-date" => builder = builder.variant(Variant::RefreshDate(value.clone())),
            "trace-volume" => {
                traces.per_minute = usize::try_from(number("trace volume")?).map_err(|e| e.to_string())?
            }
            "trace-lag" => traces.lag_secs = i64::try_from(number("trace lag")?).map_err(|e| e.to_string())?,
            "trace-limit" => traces.limit = usize::try_from(number("trace limit")?).map_err(|e| e.to_string())?,
            _ => return Err(format!("unknown option '{flag}'")),
        }
    }
    if let Some(users) = users {
        let users = usize::try_from(users).map_err(|e| e.to_string())?;
        builder = builder.tenant(Tenant::generated(users, seed));
    }
    let mock = builder.traces(traces).start().map_err(|e| e.to_string())?;
    let mut stdout = std::io::stdout();
    writeln!(stdout, "ready {}", mock.url()).and_then(|()| stdout.flush()).map_err(|e| e.to_string())?;
    // Serves until the process is killed; the listeners run on their own threads.
    loop {
        std::thread::park();
    }
}
