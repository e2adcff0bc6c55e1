//! Help text in the layout Perl's Pod::Usage gives it: titled sections, paragraphs
//! wrapped at 76 columns, option items with their description at column 12.
//!
//! Centreon's service discovery parses `--list-mode`, and administrators compare help
//! texts with the Perl plugin's, so the layout rules are kept exactly.

use crate::options::{Doc, OptionSection, OptionSpec};

/// Total width of a help line, as Pod::Text wraps.
const WIDTH: usize = 76;
/// Indent of section paragraphs and option names.
const SECTION_INDENT: usize = 4;
/// Indent of option descriptions.
const ITEM_INDENT: usize = 12;

/// One item of a help section: a heading (`--mode`, `--change-perfdata
/// --extend-perfdata`) and its paragraphs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// The option names, `--` included.
    pub heading: String,
    /// The description, one entry per paragraph.
    pub paragraphs: Vec<String>,
}

/// One help section, ready to render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// The POD heading (`REST API OPTIONS`); rendered with Pod::Text's case rule.
    pub title: String,
    /// Paragraphs shown before the items.
    pub paragraphs: Vec<String>,
    /// The option items.
    pub items: Vec<Item>,
}

impl Section {
    /// A section of paragraphs only.
    pub fn text(title: &str, paragraphs: &[&str]) -> Self {
        Section {
            title: title.to_string(),
            paragraphs: paragraphs.iter().map(|p| p.to_string()).collect(),
            items: Vec::new(),
        }
    }

    /// The help section of a group of options: hidden options are left out, and an
    /// option documented with the previous one joins its heading.
    pub fn options(section: &OptionSection) -> Self {
        let mut items: Vec<Item> = Vec::new();
        for spec in &section.options {
            match &spec.doc {
                Doc::Hidden => {}
                Doc::Text(text) => items.push(Item { heading: heading(spec), paragraphs: paragraphs(text) }),
                Doc::SameItemAsPrevious => {
                    if let Some(last) = items.last_mut() {
                        last.heading.push(' ');
                        last.heading.push_str(&heading(spec));
                    }
                }
            }
        }
        Section { title: section.title.clone(), paragraphs: section.intro.clone(), items }
    }

    /// Renders the section: its title, then each paragraph or item followed by an
    /// empty line.
    pub fn render(&self) -> String {
        let mut out = format!("{}:\n", pod_title(&self.title));
        for paragraph in &self.paragraphs {
            wrap_into(&mut out, paragraph, SECTION_INDENT, SECTION_INDENT);
            out.push('\n');
        }
        for item in &self.items {
            render_item(&mut out, item);
        }
        out
    }
}

fn heading(spec: &OptionSpec) -> String {
    format!("--{}", spec.name)
}

fn paragraphs(text: &str) -> Vec<String> {
    text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()).map(str::to_string).collect()
}

fn render_item(out: &mut String, item: &Item) {
    let mut rest = item.paragraphs.iter();
    let short = item.heading.chars().count() < ITEM_INDENT - SECTION_INDENT;
    match (short, rest.next()) {
        (true, Some(first)) => {
            let lead = format!("{}{:<8}", " ".repeat(SECTION_INDENT), item.heading);
            let mut text = String::new();
            wrap_into(&mut text, first, ITEM_INDENT, ITEM_INDENT);
            out.push_str(&lead);
            out.push_str(&text[ITEM_INDENT..]);
        }
        (_, first) => {
            out.push_str(&" ".repeat(SECTION_INDENT));
            out.push_str(&item.heading);
            out.push('\n');
            if let Some(first) = first {
                wrap_into(out, first, ITEM_INDENT, ITEM_INDENT);
            }
        }
    }
    out.push('\n');
    for paragraph in rest {
        wrap_into(out, paragraph, ITEM_INDENT, ITEM_INDENT);
        out.push('\n');
    }
}

/// Appends `text` with white space collapsed, wrapped so that no line is wider than
/// [`WIDTH`]; the first line is indented by `first`, the others by `indent`.
fn wrap_into(out: &mut String, text: &str, first: usize, indent: usize) {
    let mut line_indent = first;
    let mut line = String::new();
    for word in text.split_whitespace() {
        let mut word: Vec<char> = word.chars().collect();
        loop {
            let room = WIDTH - line_indent;
            let used = line.chars().count();
            let needed = if used == 0 { word.len() } else { used + 1 + word.len() };
            if needed <= room {
                if used > 0 {
                    line.push(' ');
                }
                line.extend(word.iter());
                break;
            }
            if used > 0 {
                flush(out, &mut line, line_indent);
                line_indent = indent;
                continue;
            }
            let cut: String = word.iter().take(room).collect();
            line.push_str(&cut);
            word.drain(..room);
            flush(out, &mut line, line_indent);
            line_indent = indent;
            if word.is_empty() {
                break;
            }
        }
    }
    if !line.is_empty() {
        flush(out, &mut line, line_indent);
    }
}

fn flush(out: &mut String, line: &mut String, indent: usize) {
    out.push_str(&" ".repeat(indent));
    out.push_str(line);
    out.push('\n');
    line.clear();
}

/// Pod::Text's heading case: a run of capitals longer than three letters keeps its
/// first letter (`OPTIONS` → `Options`), a run of two or three is lower-cased (`API`
/// → `api`).
pub fn pod_title(title: &str) -> String {
    let chars: Vec<char> = title.chars().collect();
    let mut out = String::with_capacity(title.len());
    let mut i = 0;
    while i < chars.len() {
        let start = i;
        while i < chars.len() && chars[i].is_ascii_uppercase() {
            i += 1;
        }
        let run = &chars[start..i];
        match run.len() {
            0 => {
                out.push(chars[i]);
                i += 1;
            }
            1 => out.push(run[0]),
            2 | 3 => out.extend(run.iter().map(|c| c.to_ascii_lowercase())),
            _ => {
                out.push(run[0]);
                out.extend(run[1..].iter().map(|c| c.to_ascii_lowercase()));
            }
        }
    }
    out
}

/// The text of an informational output (`--help`, `--list-mode`): an empty status
/// line, then the blocks separated by nothing more than their own trailing empty line.
pub fn document(blocks: &[String]) -> String {
    let mut out = String::from("\n");
    for block in blocks {
        out.push_str(block);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_follow_pod_text_case_rules() {
        assert_eq!(pod_title("REST API OPTIONS"), "Rest api Options");
        assert_eq!(pod_title("HTTP GLOBAL OPTIONS"), "Http Global Options");
        assert_eq!(pod_title("BACKEND LWP OPTIONS"), "Backend lwp Options");
        assert_eq!(pod_title("BACKEND CURL OPTIONS"), "Backend Curl Options");
        assert_eq!(pod_title("MODE"), "Mode");
        assert_eq!(pod_title("PLUGIN DESCRIPTION"), "Plugin Description");
    }

    #[test]
    fn short_option_names_share_the_first_line() {
        let section = OptionSection::new(
            "GLOBAL OPTIONS",
            vec![
                OptionSpec::value(
                    "mode",
                    "Define the mode in which you want the plugin to be executed (see --list-mode).",
                ),
                OptionSpec::value("dyn-mode", "Specify a mode with the module's path (advanced)."),
            ],
        );
        assert_eq!(
            Section::options(&section).render(),
            "Global Options:\n    --mode  Define the mode in which you want the plugin to be executed (see\n            --list-mode).\n\n    --dyn-mode\n            Specify a mode with the module's path (advanced).\n\n"
        );
    }

    #[test]
    fn seven_character_names_are_padded_to_eight() {
        let section = OptionSection::new("OUTPUT OPTIONS", vec![OptionSpec::flag("verbose", "Display long output.")]);
        assert_eq!(
            Section::options(&section).render(),
            "Output Options:\n    --verbose\n            Display long output.\n\n"
        );
        let section =
            OptionSection::new("OUTPUT OPTIONS", vec![OptionSpec::flag("debug", "Display also debug messages.")]);
        assert_eq!(
            Section::options(&section).render(),
            "Output Options:\n    --debug Display also debug messages.\n\n"
        );
    }

    #[test]
    fn items_documented_together_share_a_heading_and_hidden_ones_vanish() {
        let section = OptionSection::new(
            "OUTPUT OPTIONS",
            vec![
                OptionSpec::list("change-perfdata", "Change or extend perfdata."),
                OptionSpec::list("extend-perfdata", "").same_item_as_previous(),
                OptionSpec::flag("use-new-perfdata", ""),
            ],
        );
        assert_eq!(
            Section::options(&section).render(),
            "Output Options:\n    --change-perfdata --extend-perfdata\n            Change or extend perfdata.\n\n"
        );
    }

    #[test]
    fn long_words_are_cut_at_the_width() {
        let mut out = String::new();
        wrap_into(&mut out, &"x".repeat(70), 12, 12);
        assert_eq!(out, format!("            {}\n            {}\n", "x".repeat(64), "x".repeat(6)));
    }
}
