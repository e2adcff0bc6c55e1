//! What the README and the docs quote from the files the packages ship stays the
//! same as those files: a code block after `<!-- quoted: FILE -->` holds only lines of
//! FILE, and every Nagios / Centreon macro (`$_HOST…$`, `$_SERVICE…$`) the README or
//! a document names is one the shipped definitions declare, so that an example can be
//! pasted next to them.

use std::collections::BTreeSet;

use regex::Regex;

use crate::definitions::{read, NAGIOS_DEFINITIONS};

/// The README and the documents that show engine configuration.
const DOCUMENTS: [&str; 3] = ["README.md", "docs/operations.md", "packaging/README.md"];

/// Each `(file, lines)` a document quotes, in order.
fn quoted(document: &str) -> Vec<(String, Vec<String>)> {
    let text = read(document);
    let marker = Regex::new(r"<!-- quoted: (\S+) -->\n```\n").unwrap();
    marker
        .captures_iter(&text)
        .map(|c| {
            let start = c.get(0).unwrap().end();
            let end = text[start..].find("```").map_or(text.len(), |i| start + i);
            let lines = text[start..end].lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect();
            (c[1].to_string(), lines)
        })
        .collect()
}

#[test]
fn quoted_blocks_are_lines_of_the_shipped_files() {
    let mut blocks = 0;
    for document in DOCUMENTS {
        for (file, lines) in quoted(document) {
            blocks += 1;
            assert!(!lines.is_empty(), "{document}: the block quoting {file} is empty");
            let shipped: BTreeSet<String> = read(&file).lines().map(|l| l.trim().to_string()).collect();
            for line in lines {
                assert!(shipped.contains(&line), "{document} quotes a line that {file} does not hold: {line}");
            }
        }
    }
    assert!(blocks >= 1, "the README quotes no shipped file");
}

#[test]
fn every_macro_the_documents_name_is_declared_by_the_definitions() {
    let definitions = read(NAGIOS_DEFINITIONS);
    let declared: BTreeSet<String> =
        Regex::new(r"(?m)^\s*_([A-Z0-9_]+)").unwrap().captures_iter(&definitions).map(|c| c[1].to_string()).collect();
    assert!(declared.contains("OFFICE365TENANT"), "{declared:?}");
    let named = Regex::new(r"\$_(?:HOST|SERVICE)([A-Z0-9_]+)\$").unwrap();
    for document in DOCUMENTS {
        for m in named.captures_iter(&read(document)) {
            assert!(declared.contains(&m[1]), "{document} names the macro {} that {NAGIOS_DEFINITIONS} lacks", &m[0]);
        }
    }
}
