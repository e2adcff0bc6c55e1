//! A stand-in for TeamPass's REST API as the password manager reads it: `GET
//! <api-address><api-request>?apikey=<key>` answers the items of that request as a
//! JSON list when the key is the one it was started with, and an error object
//! `{"err": "Access denied"}` otherwise, every answer with status 200. It
//! is the scripted host answering the API, so a test reads the requests it got
//! through [`TeamPass::targets`].

use serde_json::{json, Value};

use super::scripted::{reply, Scripted};

/// The API's path under the host, as a TeamPass installation publishes it.
pub const API: &str = "/api/index.php";

/// A running stand-in; it serves until the test process ends.
pub struct TeamPass {
    server: Scripted,
}

impl TeamPass {
    /// Answers `items` to the request `request` (`/read/userpw/c1`) with the API key `key`.
    pub fn start(key: &str, request: &str, items: Value) -> TeamPass {
        let (key, request) = (key.to_string(), format!("{API}{request}"));
        let server = Scripted::start(1, move |seen, _| {
            let (path, query) = seen.target.split_once('?').unwrap_or((&seen.target, ""));
            let answer = if !query.split('&').any(|pair| pair == format!("apikey={key}")) {
                json!({"err": "Access denied"})
            } else if path == request {
                items.clone()
            } else {
                json!({"err": "Unknown request"})
            };
            reply("200 OK", &[("Content-Type", "application/json")], answer.to_string().as_bytes())
        });
        TeamPass { server }
    }

    /// The `--teampass-api-address` to give the plugin.
    pub fn address(&self) -> String {
        format!("{}{API}", self.server.base(0))
    }

    /// The request targets received so far, in order.
    pub fn targets(&self) -> Vec<String> {
        self.server.seen().into_iter().map(|seen| seen.target).collect()
    }
}
