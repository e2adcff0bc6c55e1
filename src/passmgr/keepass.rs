//! `--pass-manager=keepass`: secrets in a KeePass database (KDBX 4, master
//! password), found with `--keepass-search-value` and set with `--keepass-map-option`.
//!
//! The database is searched as the tree Perl's module builds from its XML:
//! `{"Root": {"Group": [group]}}`, each group `{"Name", "Entry": [...], "Group":
//! [...]}`, each entry `{"Title", "String"}` where `String` holds the entry's
//! strings as `{"Key", "Value"}` (an array when there are two or more, in key order)
//! and a protected value is `{"Protected": "True", "content": "<text>"}`. So
//! `$..Entry[?($_->{Title} eq "o365")].String[?($_->{Key} eq "Password")].Value.content`
//! finds the password of the entry `o365`, as with the Perl plugin.

use keepass::db::{GroupRef, Value as Field};
use keepass::{Database, DatabaseKey};
use serde_json::{json, Map, Value};

use super::{mapping, Context};
use crate::atomic::errno_text;
use crate::error::{Error, Result};
use crate::options::{List, OptionSection, OptionSpec, Text, Values};

/// `--keepass-endpoint`.
const ENDPOINT: Text = Text::new("keepass-endpoint", "Name of an endpoint of --keepass-endpoint-file (not supported).");
/// `--keepass-endpoint-file`.
const ENDPOINT_FILE: Text = Text::new(
    "keepass-endpoint-file",
    "A Perl file of endpoints, which the Perl plugin executes. Not supported: give --keepass-file and \
     --keepass-password.",
);
/// `--keepass-file`.
const FILE: Text = Text::new("keepass-file", "Path of the KeePass database (KDBX 4).");
/// `--keepass-password`.
const PASSWORD: Text = Text::new("keepass-password", "Master password of the KeePass database.");
/// `--keepass-search-value`.
const SEARCH: List = List::new("keepass-search-value", mapping::SEARCH_DOC);
/// `--keepass-map-option`.
const MAP: List = List::new("keepass-map-option", mapping::MAP_DOC);

/// The manager's options.
pub fn section() -> OptionSection {
    OptionSection::new(
        "KEEPASS OPTIONS",
        vec![ENDPOINT.spec(), ENDPOINT_FILE.spec(), FILE.spec(), PASSWORD.spec(), SEARCH.spec(), MAP.spec()],
    )
}

/// Opens the database and maps what the searches find.
pub fn apply(values: &mut Values, specs: &[OptionSpec], context: Context<'_>) -> Result<()> {
    if values.non_empty(&ENDPOINT_FILE).is_some() {
        return Err(Error::new(
            "keepass: --keepass-endpoint-file is Perl code, which the Perl plugin executes and this plugin never \
             does: give --keepass-file and --keepass-password instead",
        ));
    }
    let file = values.non_empty(&FILE).ok_or_else(|| Error::new("Please set keepass-file option"))?;
    let password = values.non_empty(&PASSWORD).ok_or_else(|| Error::new("Please set keepass-password option"))?;
    context.debug.secret(password);
    let bytes = std::fs::read(file).map_err(|e| Error::new(format!("Cannot read keepass file: {}", errno_text(&e))))?;
    check_version(&bytes)?;
    let database = Database::parse(&bytes, DatabaseKey::new().with_password(password))
        .map_err(|e| Error::new(format!("Cannot read keepass file: {e}")))?;
    let tree = json!({"Root": {"Group": [group(database.root())]}});
    mapping::apply(values, specs, context, mapping::Mapping { search: &SEARCH, map: &MAP }, "keepass", &tree)
}

/// Refuses what Perl's module refuses: KeePass 1 and KDBX before version 4.
fn check_version(bytes: &[u8]) -> Result<()> {
    let word = |at: usize| bytes.get(at..at + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
    match (word(0), word(4), word(8)) {
        (Some(0x9AA2_D903), Some(0xB54B_FB65), _) => Err(Error::new("KeePass 1 database unsupported")),
        (Some(0x9AA2_D903), Some(0xB54B_FB66 | 0xB54B_FB67), Some(version)) if version >> 16 < 4 => {
            Err(Error::new("Unsupported KeePass 2 database version (only version 4)"))
        }
        (Some(0x9AA2_D903), Some(0xB54B_FB66 | 0xB54B_FB67), Some(_)) => Ok(()),
        _ => Err(Error::new("Cannot read keepass file: not a KeePass database")),
    }
}

/// A group as Perl's tree has it.
fn group(group: GroupRef<'_>) -> Value {
    let mut node = Map::new();
    node.insert("Name".into(), json!(group.name));
    let entries: Vec<Value> = group.entries().map(|entry| entry_node(&entry.fields)).collect();
    node.insert("Entry".into(), Value::Array(entries));
    node.insert("Group".into(), Value::Array(group.groups().map(self::group).collect()));
    Value::Object(node)
}

/// An entry as Perl's tree has it.
fn entry_node(fields: &std::collections::HashMap<String, Field<String>>) -> Value {
    let mut keys: Vec<&String> = fields.keys().collect();
    keys.sort();
    let strings: Vec<Value> = keys
        .into_iter()
        .map(|key| {
            let value = match &fields[key] {
                field if field.is_protected() => json!({"Protected": "True", "content": field.get()}),
                field => json!(field.get()),
            };
            json!({"Key": key, "Value": value})
        })
        .collect();
    let title = fields.get("Title").map(|f| f.get().clone()).unwrap_or_default();
    let strings = match <[Value; 1]>::try_from(strings) {
        Ok([one]) => one,
        Err(many) => Value::Array(many),
    };
    json!({"Title": title, "String": strings})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(sig2: u32, version: u32) -> Vec<u8> {
        [0x9AA2_D903u32, sig2, version].iter().flat_map(|w| w.to_le_bytes()).collect()
    }

    #[test]
    fn versions_are_refused_with_perls_messages() {
        let message = |bytes: &[u8]| check_version(bytes).expect_err("refused").message().to_string();
        assert_eq!(message(&header(0xB54B_FB65, 0x0003_0001)), "KeePass 1 database unsupported");
        assert_eq!(
            message(&header(0xB54B_FB67, 0x0003_0001)),
            "Unsupported KeePass 2 database version (only version 4)"
        );
        assert_eq!(message(b"not keepass"), "Cannot read keepass file: not a KeePass database");
        check_version(&header(0xB54B_FB67, 0x0004_0000)).expect("KDBX 4");
    }
}
