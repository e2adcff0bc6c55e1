//! `--pass-manager=file`: secrets in a JSON file (`--secret-file`), found with
//! `--secret-search-value` and set with `--secret-map-option`.

use serde_json::Value;

use super::{mapping, Context};
use crate::atomic::errno_text;
use crate::error::{Error, Result};
use crate::options::{OptionSection, OptionSpec, Values};

/// The manager's options.
pub fn section() -> OptionSection {
    let mut options = vec![OptionSpec::value("secret-file", "Path of the JSON file holding the secrets.")];
    options.extend(mapping::options("secret"));
    OptionSection::new("FILE OPTIONS", options)
}

/// Reads the file and maps what the searches find.
pub fn apply(values: &mut Values, specs: &[OptionSpec], context: Context<'_>) -> Result<()> {
    let path = values.non_empty("secret-file").ok_or_else(|| Error::new("Please set secret-file option"))?.to_string();
    let text = std::fs::read(&path)
        .map_err(|e| Error::new(format!("Cannot read secret file '{path}': {}", errno_text(&e))))?;
    let document: Value = serde_json::from_slice(&text).map_err(|_| Error::new("Cannot decode secret file"))?;
    mapping::apply(values, specs, context, "secret", "file", &document)
}
