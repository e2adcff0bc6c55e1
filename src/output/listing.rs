//! The output of a listing mode: the heading then one `[field: value] …` line per
//! object, or the `--disco-show` document, rendered one object at a time as the mode
//! reads them.
//!
//! Each object's bytes go to a [`Spill`] at once and the object is dropped, so a
//! listing of a million mailboxes holds one object in memory, not a million; the bytes
//! reach stdout only in [`Listing::finish`], once the mode read its data completely. A
//! mode that fails half-way ends with its error alone, no list printed.
//!
//! The bytes are those of the whole-list display ([`display`], [`display_disco_show`]):
//! what comes before the objects (the status line, the `--debug` lines, a document's
//! head) is rendered at the end, when the debug lines are known, with no object, and
//! what follows them is the fixed end of the document. Two options need every line at
//! once, and keep the lines in memory as before: `--change-long-output` (its rules see
//! the lines joined) and `--output-file` (written whole and renamed into place).

use super::disco::DiscoObjects;
use super::display::nagios_safe;
use super::document::{long_json, long_xml, JSON_TAIL, XML_OUTPUT_DEPTH, XML_TAIL};
use super::options::Format;
use super::spill::Spill;
use super::{display, CheckResult, DisplayContext, OutputOptions, Printout, ShortMessage, Spilled};
use crate::error::{Error, Result};

/// A listing being rendered.
#[derive(Debug)]
pub struct Listing {
    opts: OutputOptions,
    how: How,
}

/// How the objects are rendered, from the output options.
#[derive(Debug)]
enum How {
    /// `--disco-show`: each object as the discovery document writes it.
    Discovery(Spill, DiscoObjects),
    /// The text format: each line made safe for it.
    Lines(Spill),
    /// `--output-json`/`--output-xml`: each line as an entry of `outputs`.
    Document(Spill, Format),
    /// `--output-openmetrics` shows no line.
    Dropped,
    /// `--change-long-output` or `--output-file`: the lines, all kept until the end.
    Held(Vec<String>),
}

impl Listing {
    /// A listing displayed with the run's output options `opts`.
    pub fn new(opts: &OutputOptions) -> Listing {
        Listing::with_spill(opts, Spill::in_temp_dir)
    }

    /// The same, with `spill` making the spill when one is needed.
    fn with_spill(opts: &OutputOptions, spill: impl FnOnce() -> Spill) -> Listing {
        let how = if opts.disco_show() {
            How::Discovery(spill(), DiscoObjects::new(opts))
        } else {
            match opts.format() {
                Format::OpenMetrics => How::Dropped,
                _ if opts.output_file().is_some() || opts.text().changes_long() => How::Held(Vec::new()),
                Format::Text => How::Lines(spill()),
                format => How::Document(spill(), format),
            }
        };
        Listing { opts: opts.clone(), how }
    }

    /// Renders one object (its fields in display order) after those before it.
    pub fn push(&mut self, item: &[(String, String)]) -> Result<()> {
        match &mut self.how {
            How::Discovery(spill, objects) => spill.write(objects.object(item).as_bytes()),
            How::Lines(spill) => {
                let mut line = nagios_safe(&line(item));
                line.push('\n');
                spill.write(line.as_bytes())
            }
            How::Document(spill, Format::Json) => spill.write(format!(",{}", long_json(&line(item))).as_bytes()),
            How::Document(spill, _) => spill.write(long_xml(&line(item)).fragment(XML_OUTPUT_DEPTH).as_bytes()),
            How::Dropped => Ok(()),
            How::Held(lines) => {
                lines.push(line(item));
                Ok(())
            }
        }
    }

    /// The whole output, once every object was pushed: `heading` as the status line, then
    /// `debug` (the run's `--debug` lines), then the objects. A discovery document shows
    /// neither.
    pub fn finish(self, heading: &str, debug: Vec<String>, ctx: &DisplayContext) -> Result<Printout> {
        let opts = self.opts.listing();
        let result = |long: Vec<String>| CheckResult {
            short: vec![ShortMessage { severity: None, text: heading.to_string() }],
            long,
            ..Default::default()
        };
        let spilled = |before: String, body: Spill, tail: &str, exit_code: i32| {
            Printout::Spilled(Spilled { head: before, body, tail: tail.to_string(), exit_code })
        };
        match self.how {
            How::Discovery(body, objects) => {
                let (head, tail) = objects.frame();
                Ok(spilled(head, body, &tail, DiscoObjects::exit_code(&self.opts)))
            }
            How::Lines(body) => {
                let before = display(&result(debug), ctx, &opts);
                Ok(spilled(before.stdout, body, "", before.exit_code))
            }
            How::Document(body, format) => {
                let whole = display(&result(debug), ctx, &opts);
                let tail = if format == Format::Json { JSON_TAIL } else { XML_TAIL };
                let Some(head) = whole.stdout.strip_suffix(tail) else {
                    return Err(Error::new(format!("internal error: a listing document does not end with {tail:?}")));
                };
                Ok(spilled(head.to_string(), body, tail, whole.exit_code))
            }
            How::Dropped => Ok(Printout::Whole(display(&result(debug), ctx, &opts))),
            How::Held(lines) => {
                let long = debug.into_iter().chain(lines).collect();
                Ok(Printout::Whole(display(&result(long), ctx, &opts)))
            }
        }
    }
}

/// An object's line: `[field: value]` for each field, space-separated.
fn line(item: &[(String, String)]) -> String {
    let fields: Vec<String> = item.iter().map(|(k, v)| format!("[{k}: {v}]")).collect();
    fields.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::disco::display_disco_show;
    use crate::output::tests::options;

    fn item(n: usize) -> Vec<(String, String)> {
        let name = ["plain", "pipe|and\nline", "<xml & \"json\">", "", "tab\there"][n % 5];
        vec![("upn".to_string(), format!("u{n}@x")), ("display_name".to_string(), name.to_string())]
    }

    fn printed(printout: Printout) -> (String, i32) {
        let exit_code = printout.exit_code();
        let mut out = Vec::new();
        printout.write_to(&mut out).expect("printed");
        (String::from_utf8(out).expect("UTF-8"), exit_code)
    }

    /// Today's display of the whole list, kept in memory.
    fn whole(items: &[Vec<(String, String)>], opts: &OutputOptions, debug: &[String]) -> (String, i32) {
        let ctx = DisplayContext { plugin: "p".to_string(), mode: "list-x".to_string() };
        let rendered = if opts.disco_show() {
            display_disco_show(items, opts)
        } else {
            let long = debug.iter().cloned().chain(items.iter().map(|item| line(item))).collect();
            let result = CheckResult {
                short: vec![ShortMessage { severity: None, text: "List x:".to_string() }],
                long,
                ..Default::default()
            };
            display(&result, &ctx, &opts.listing())
        };
        (rendered.stdout, rendered.exit_code)
    }

    fn streamed(items: &[Vec<(String, String)>], opts: &OutputOptions, debug: &[String], disk: bool) -> (String, i32) {
        let dir = if disk { std::env::temp_dir() } else { "/nonexistent/spill".into() };
        let mut listing = Listing::with_spill(opts, || Spill::in_dir(&dir));
        for item in items {
            listing.push(item).expect("pushed");
        }
        let ctx = DisplayContext { plugin: "p".to_string(), mode: "list-x".to_string() };
        printed(listing.finish("List x:", debug.to_vec(), &ctx).expect("finished"))
    }

    #[test]
    fn every_output_option_prints_the_bytes_of_the_whole_list() {
        // (`--output-openmetrics` shows no line, and its time stamps differ from run to run.)
        let cases: [&[(&str, &str)]; 11] = [
            &[],
            &[("disco-show", "1")],
            &[("disco-show", "1"), ("output-json", "1")],
            &[("disco-show", "1"), ("change-exit", "ok=critical")],
            &[("output-json", "1")],
            &[("output-xml", "1")],
            &[("change-long-output", "u1~U1~g")],
            &[("change-short-output", "List~Listed")],
            &[("change-output-adv", "%{short_output} =~ /List/,,WARNING")],
            &[("debug", "1")],
            &[("output-json", "1"), ("debug", "1"), ("change-exit", "ok=warning")],
        ];
        let debug = ["a debug | line".to_string()];
        for args in cases {
            let opts = options(args);
            for count in [0, 1, 7] {
                let items: Vec<_> = (0..count).map(item).collect();
                for disk in [true, false] {
                    assert_eq!(
                        streamed(&items, &opts, &debug, disk),
                        whole(&items, &opts, &debug),
                        "{args:?}, {count} objects"
                    );
                }
            }
        }
    }
}
