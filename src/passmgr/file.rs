//! `--pass-manager=file`: secrets in a JSON file (`--secret-file`), found with
//! `--secret-search-value` and set with `--secret-map-option`.

use serde_json::Value;

use super::{mapping, Context};
use crate::atomic::errno_text;
use crate::error::{Error, Result};
use crate::options::{List, OptionSection, OptionSpec, Text, Values};

/// `--secret-file`.
const SECRET_FILE: Text = Text::new("secret-file", "Path of the JSON file holding the secrets.");
/// `--secret-search-value`.
const SEARCH: List = List::new("secret-search-value", mapping::SEARCH_DOC);
/// `--secret-map-option`.
const MAP: List = List::new("secret-map-option", mapping::MAP_DOC);

/// The manager's options.
pub fn section() -> OptionSection {
    OptionSection::new("FILE OPTIONS", vec![SECRET_FILE.spec(), SEARCH.spec(), MAP.spec()])
}

/// Reads the file and maps what the searches find.
pub fn apply(values: &mut Values, specs: &[OptionSpec], context: Context<'_>) -> Result<()> {
    let path = values.non_empty(&SECRET_FILE).ok_or_else(|| Error::new("Please set secret-file option"))?.to_string();
    let text = std::fs::read(&path)
        .map_err(|e| Error::new(format!("Cannot read secret file '{path}': {}", errno_text(&e))))?;
    let document: Value = serde_json::from_slice(&text).map_err(|_| Error::new("Cannot decode secret file"))?;
    mapping::apply(values, specs, context, mapping::Mapping { search: &SEARCH, map: &MAP }, "file", &document)
}
