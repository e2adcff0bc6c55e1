//! Runs the plugin binary as a poller would, against the project's stand-in for
//! Microsoft (`tests/mock`) or against nothing at all: what the report mode tests
//! share. A test crate using it also declares `mod common;` and `mod mock;`.

use std::process::Command;

use crate::common::TempDir;
use crate::mock::{MockGraph, VALID_SECRET};

/// The `--plugin` every command line gives.
pub const PLUGIN: &str = "--plugin=cloud::microsoft::office365::exchange::plugin";

/// A closed port: a run that got as far as a request would say it cannot connect.
pub const NOWHERE: &str = "http://127.0.0.1:1";

/// What one run printed and returned.
#[derive(Debug)]
pub struct Outcome {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
}

impl Outcome {
    /// The status line: the first line, without its perfdata.
    pub fn status_line(&self) -> &str {
        let line = self.stdout.lines().next().unwrap_or_default();
        line.split_once(" | ").map_or(line, |(text, _)| text)
    }

    /// The perfdata of the first line (after ` | `), empty without any.
    pub fn perfdata(&self) -> &str {
        let line = self.stdout.lines().next().unwrap_or_default();
        line.split_once(" | ").map_or("", |(_, perfdata)| perfdata)
    }
}

/// Runs the plugin with `args`, the credentials the mock accepts, the login and API
/// endpoints (Graph, or the management API with `--custommode=managementapi`) at
/// `endpoint`, a fresh token cache and `TZ=UTC`.
pub fn run_at(endpoint: &str, args: &[&str]) -> Outcome {
    let state = TempDir::new("report-mode-state").expect("state dir");
    let api = if args.contains(&"--custommode=managementapi") { "management" } else { "graph" };
    let output = Command::new(env!("CARGO_BIN_EXE_centreon_office365_exchange_api"))
        .arg(PLUGIN)
        .args(args)
        .args(["--tenant=t1", "--client-id=c1"])
        .arg(format!("--client-secret={VALID_SECRET}"))
        .arg(format!("--login-endpoint={endpoint}"))
        .arg(format!("--{api}-endpoint={endpoint}"))
        .arg(format!("--statefile-dir={}", state.path().display()))
        .env("TZ", "UTC")
        .output()
        .expect("the plugin runs");
    Outcome {
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        code: output.status.code().unwrap_or(-1),
    }
}

/// [`run_at`] the mock.
pub fn run(mock: &MockGraph, args: &[&str]) -> Outcome {
    run_at(&mock.url(), args)
}

/// [`run_at`] a closed port: for what must be refused before any request.
pub fn run_offline(args: &[&str]) -> Outcome {
    run_at(NOWHERE, args)
}

/// The mock with its default tenant, started.
pub fn mock() -> MockGraph {
    MockGraph::builder().start().expect("the mock starts")
}

/// Whole hours from 00:00 UTC of `day` (`YYYY-MM-DD`) to now, as the plugin
/// measures a report's age.
pub fn hours_since(day: &str) -> i64 {
    let midnight = centreon_plugin::time::utc_midnight(day).expect("a day");
    (centreon_plugin::time::now() - midnight).div_euclid(3600)
}
