//! `--pass-manager=teampass`: secrets from TeamPass's API (GET
//! `<api-address><api-request>?apikey=<key>`), found in its JSON answer with
//! `--teampass-search-value` and set with `--teampass-map-option`.

use serde_json::Value;

use super::vault_http::Http;
use super::{mapping, Context};
use crate::error::{Error, Result};
use crate::http::{percent_encode, Request};
use crate::options::{List, OptionSection, OptionSpec, Text, Values};

/// The manager's name in errors.
const NAME: &str = "teampass";

/// `--teampass-endpoint`.
const ENDPOINT: Text =
    Text::new("teampass-endpoint", "Name of an endpoint of --teampass-endpoint-file (not supported).");
/// `--teampass-endpoint-file`.
const ENDPOINT_FILE: Text = Text::new(
    "teampass-endpoint-file",
    "A Perl file of endpoints, which the Perl plugin executes. Not supported: give --teampass-api-address, \
     --teampass-api-key and --teampass-api-request.",
);
/// `--teampass-api-address`.
const API_ADDRESS: Text =
    Text::new("teampass-api-address", "TeamPass API address, e.g. 'https://teampass.local/teampass/api/index.php'.");
/// `--teampass-api-key`.
const API_KEY: Text = Text::new("teampass-api-key", "TeamPass API key.");
/// `--teampass-api-request`.
const API_REQUEST: Text = Text::new("teampass-api-request", "TeamPass API request, e.g. '/read/userpw/admin'.");
/// `--teampass-timeout`.
const TIMEOUT: Text = Text::new("teampass-timeout", "Timeout of the request in seconds (default: 5).").default("5");
/// `--teampass-search-value`.
const SEARCH: List = List::new("teampass-search-value", mapping::SEARCH_DOC);
/// `--teampass-map-option`.
const MAP: List = List::new("teampass-map-option", mapping::MAP_DOC);

/// The manager's options.
pub fn section() -> OptionSection {
    OptionSection::new(
        "TEAMPASS OPTIONS",
        vec![
            ENDPOINT.spec(),
            ENDPOINT_FILE.spec(),
            API_ADDRESS.spec(),
            API_KEY.spec(),
            API_REQUEST.spec(),
            TIMEOUT.spec(),
            SEARCH.spec(),
            MAP.spec(),
        ],
    )
}

/// Asks TeamPass and maps what the searches find.
pub fn apply(values: &mut Values, specs: &[OptionSpec], context: Context<'_>) -> Result<()> {
    if values.non_empty(&ENDPOINT_FILE).is_some() {
        return Err(Error::new(
            "teampass: --teampass-endpoint-file is Perl code, which the Perl plugin executes and this plugin \
             never does: give --teampass-api-address, --teampass-api-key and --teampass-api-request instead",
        ));
    }
    let option = |opt: &Text| {
        values.non_empty(opt).map(str::to_string).ok_or_else(|| Error::new(format!("Please set {} option", opt.name())))
    };
    let (address, key, request) = (option(&API_ADDRESS)?, option(&API_KEY)?, option(&API_REQUEST)?);
    context.debug.secret(&key);
    let http = Http::new(values, context, NAME, values.non_empty(&TIMEOUT))?;
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
    mapping::apply(values, specs, context, mapping::Mapping { search: &SEARCH, map: &MAP }, NAME, &document)
}
