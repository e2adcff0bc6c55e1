//! `--pass-manager=teampass`: secrets from TeamPass's API (GET
//! `<api-address><api-request>?apikey=<key>`), found in its JSON answer with
//! `--teampass-search-value` and set with `--teampass-map-option`.

use serde_json::Value;

use super::vault_http::Http;
use super::{mapping, Context};
use crate::error::{Error, Result};
use crate::http::Request;
use crate::options::{OptionSection, OptionSpec, Values};

/// The manager's name in errors.
const NAME: &str = "teampass";

/// The manager's options.
pub fn section() -> OptionSection {
    let mut options = vec![
        OptionSpec::value("teampass-endpoint", "Name of an endpoint of --teampass-endpoint-file (not supported)."),
        OptionSpec::value(
            "teampass-endpoint-file",
            "A Perl file of endpoints, which the Perl plugin executes. Not supported: give \
             --teampass-api-address, --teampass-api-key and --teampass-api-request.",
        ),
        OptionSpec::value(
            "teampass-api-address",
            "TeamPass API address, e.g. 'https://teampass.local/teampass/api/index.php'.",
        ),
        OptionSpec::value("teampass-api-key", "TeamPass API key."),
        OptionSpec::value("teampass-api-request", "TeamPass API request, e.g. '/read/userpw/admin'."),
        OptionSpec::value("teampass-timeout", "Timeout of the request in seconds (default: 5).").default("5"),
    ];
    options.extend(mapping::options("teampass"));
    OptionSection::new("TEAMPASS OPTIONS", options)
}

/// Asks TeamPass and maps what the searches find.
pub fn apply(values: &mut Values, specs: &[OptionSpec], context: Context<'_>) -> Result<()> {
    if values.non_empty("teampass-endpoint-file").is_some() {
        return Err(Error::new(
            "teampass: --teampass-endpoint-file is Perl code, which the Perl plugin executes and this plugin \
             never does: give --teampass-api-address, --teampass-api-key and --teampass-api-request instead",
        ));
    }
    let option = |name: &str| {
        values
            .non_empty(&format!("teampass-api-{name}"))
            .map(str::to_string)
            .ok_or_else(|| Error::new(format!("Please set teampass-api-{name} option")))
    };
    let (address, key, request) = (option("address")?, option("key")?, option("request")?);
    context.debug.secret(&key);
    let http = Http::new(values, context, NAME, values.non_empty("teampass-timeout"))?;
    let url = format!("{address}{request}");
    let separator = if url.contains('?') { '&' } else { '?' };
    let full = format!("{url}{separator}apikey={}", percent_encode(&key));
    context.debug.secret(&percent_encode(&key));
    let answer = http.send(&full, Request::get)?;
    let document: Value = serde_json::from_str(&answer.body)
        .map_err(|e| Error::new(format!("Cannot decode teampass json response: {e}")))?;
    if !(200..300).contains(&answer.status) {
        return Err(Error::new(format!(
            "{NAME}: {url} answered {}: check --teampass-api-address, --teampass-api-key and --teampass-api-request",
            answer.status_line
        )));
    }
    mapping::apply(values, specs, context, "teampass", NAME, &document)
}

/// `text` made safe in a query string.
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}
