//! Runs the plugin binary as a poller would, against the project's stand-in for
//! Microsoft (`tests/mock`) or against nothing at all: the one way every test crate
//! starts it. A test crate using it also declares `mod mock;`.
//!
//! [`command`] and the `run*` functions give the usual command line: `--plugin`, the
//! test's arguments, the credentials the mock accepts, the login and API endpoints
//! and a token cache. [`Plugin`] builds any other one, argument by argument in the
//! order given, for tests where the order or the credential is the point.

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Output};

use super::TempDir;
use crate::mock::{MockGraph, VALID_SECRET};

/// The `--plugin` every command line gives.
pub const PLUGIN: &str = "--plugin=cloud::microsoft::office365::exchange::plugin";

/// A closed port: a run that got as far as a request would say it cannot connect.
pub const NOWHERE: &str = "http://127.0.0.1:1";

/// The custom mode whose API endpoint is `--management-endpoint`; every other one
/// takes `--graph-endpoint`.
const MANAGEMENTAPI: &str = "--custommode=managementapi";

/// What one run printed and returned.
#[derive(Debug, Clone, PartialEq, Eq)]
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

impl From<Output> for Outcome {
    fn from(output: Output) -> Outcome {
        Outcome {
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            code: output.status.code().unwrap_or(-1),
        }
    }
}

/// One argument of a [`Plugin`] command line.
enum Arg {
    /// Given as is.
    Plain(String),
    /// The API endpoint's URL, its option named when the command is built: it
    /// depends on the custom mode, which may come later on the command line.
    ApiEndpoint(String),
}

/// A command line for the plugin, built in the order its methods are called, run
/// with `TZ=UTC`.
pub struct Plugin {
    args: Vec<Arg>,
    env: Vec<(String, String)>,
    /// A token cache made for this run, removed after it.
    state: Option<TempDir>,
}

impl Plugin {
    /// The binary without any argument.
    pub fn bare() -> Plugin {
        Plugin { args: Vec::new(), env: Vec::new(), state: None }
    }

    /// The binary with `--plugin`.
    pub fn new() -> Plugin {
        Plugin::bare().args([PLUGIN])
    }

    /// Adds `args` as given.
    pub fn args<S: AsRef<str>>(mut self, args: impl IntoIterator<Item = S>) -> Plugin {
        self.args.extend(args.into_iter().map(|a| Arg::Plain(a.as_ref().to_string())));
        self
    }

    /// Adds `--tenant=t1 --client-id=c1`.
    pub fn client(self) -> Plugin {
        self.args(["--tenant=t1", "--client-id=c1"])
    }

    /// Adds the client secret the mock accepts.
    pub fn secret(self) -> Plugin {
        self.args([format!("--client-secret={VALID_SECRET}")])
    }

    /// Adds `--login-endpoint` and the API endpoint of the run's custom mode
    /// (`--management-endpoint` with `--custommode=managementapi` anywhere on the
    /// command line, else `--graph-endpoint`), both at `url`.
    pub fn endpoints(mut self, url: &str) -> Plugin {
        self = self.args([format!("--login-endpoint={url}")]);
        self.args.push(Arg::ApiEndpoint(url.to_string()));
        self
    }

    /// Adds `--statefile-dir` at `dir`.
    pub fn state(self, dir: &Path) -> Plugin {
        self.args([format!("--statefile-dir={}", dir.display())])
    }

    /// Adds `--statefile-dir` at a fresh, empty directory, removed after the run.
    pub fn fresh_state(mut self) -> Plugin {
        let dir = TempDir::new("plugin-state").expect("state dir");
        self = self.state(dir.path());
        self.state = Some(dir);
        self
    }

    /// Adds `vars` to the environment.
    pub fn envs<'a>(mut self, vars: impl IntoIterator<Item = &'a (&'a str, &'a str)>) -> Plugin {
        self.env.extend(vars.into_iter().map(|(k, v)| (k.to_string(), v.to_string())));
        self
    }

    /// The command, to start or to run; a [`fresh_state`](Plugin::fresh_state) is
    /// not kept (use [`run`](Plugin::run) with one).
    pub fn command(&self) -> Command {
        let managementapi = self.args.iter().any(|a| matches!(a, Arg::Plain(a) if a == MANAGEMENTAPI));
        let api = if managementapi { "management" } else { "graph" };
        let mut command = Command::new(env!("CARGO_BIN_EXE_centreon_office365_exchange_api"));
        command
            .args(self.args.iter().map(|a| match a {
                Arg::Plain(a) => a.clone(),
                Arg::ApiEndpoint(url) => format!("--{api}-endpoint={url}"),
            }))
            .env("TZ", "UTC")
            .envs(self.env.iter().map(|(k, v)| (OsStr::new(k), OsStr::new(v))));
        command
    }

    /// Runs the command and waits for it.
    pub fn run(self) -> Outcome {
        self.command().output().expect("the plugin runs").into()
    }
}

/// The plugin with `--plugin`, `args`, the credentials the mock accepts, the login and
/// API endpoints at `endpoint`, and the token cache in `state`.
pub fn command(endpoint: &str, state: &Path, args: &[&str]) -> Command {
    Plugin::new().args(args).client().secret().endpoints(endpoint).state(state).command()
}

/// Runs [`command`] and waits for it.
pub fn run_in(endpoint: &str, state: &Path, args: &[&str]) -> Outcome {
    command(endpoint, state, args).output().expect("the plugin runs").into()
}

/// [`run_in`] with a fresh, empty token cache.
pub fn run_at(endpoint: &str, args: &[&str]) -> Outcome {
    Plugin::new().args(args).client().secret().endpoints(endpoint).fresh_state().run()
}

/// [`run_at`] the mock.
pub fn run(mock: &MockGraph, args: &[&str]) -> Outcome {
    run_at(&mock.url(), args)
}

/// [`run_at`] a closed port: for what must be refused before any request.
pub fn run_offline(args: &[&str]) -> Outcome {
    run_at(NOWHERE, args)
}

/// Runs the binary with `args` as given.
pub fn run_raw(args: &[String]) -> Outcome {
    Plugin::bare().args(args).run()
}

/// The mock with its default tenant, started.
pub fn mock() -> MockGraph {
    MockGraph::builder().start().expect("the mock starts")
}
