//! The ways a run ends: the normal display of a [`CheckResult`], an error exit, and the
//! answer of an informational command. All go through the same rendering, so every
//! format treats messages, labels and exit codes alike.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use super::document::{openmetrics, Document};
use super::options::{Format, OutputOptions};
use super::text::{status_text, Labels};
use super::{file, CheckResult, DisplayContext, Info, Perfdata, Rendered, ShortMessage};
use crate::atomic::errno_text;
use crate::error::Error;
use crate::status::Status;

/// What one rendering shows, whatever the format.
struct View<'a> {
    short: &'a [ShortMessage],
    /// The computed status (before `--change-exit` / `--change-output-adv`).
    status: Status,
    /// The documents' `exit` field.
    exit_label: String,
    labels: Labels,
    long: &'a [String],
    perfdata: &'a [Perfdata],
    /// Whether the text and JSON/XML formats show the perfdata.
    show_perfdata: bool,
    /// Exits that are not check results never print OpenMetrics: they fall back to text
    /// (Perl printed nothing at all, so an error went unseen).
    error: bool,
    /// The plugin's own texts (`--help`), printed as they are; every other text may
    /// hold what a server sent and is made safe for the Nagios format ([`nagios_safe`]).
    own_text: bool,
}

/// Displays a run's result with every Output Option applied: the text status line (or
/// the JSON, XML or OpenMetrics document), perfdata transformed and filtered, long output
/// when asked, the exit code after `--change-output-adv` and `--change-exit`. With
/// `--output-file` the display goes to the file and stdout stays empty; if the file
/// cannot be written, an UNKNOWN `cannot open file  'PATH': <reason>` message is added and
/// the display goes to stdout.
pub fn display(result: &CheckResult, ctx: &DisplayContext, opts: &OutputOptions) -> Rendered {
    let status = result.short.iter().filter_map(|m| m.severity).fold(Status::Ok, Status::worst);
    let mut records = result.perfdata.clone();
    if opts.openmetrics() {
        records.push(status_record(status, ctx));
    }
    let long = if opts.shows_long() {
        // Rules dropped at start-up left debug lines: they come first, as in Perl.
        let notes: &[String] = if opts.debug() { opts.perfdata().notes() } else { &[] };
        let lines = notes.iter().chain(&result.long).cloned().collect();
        opts.text().long(lines)
    } else {
        Vec::new()
    };
    let perfdata = opts.perfdata().finish(records, &ctx.mode, opts.float_precision());
    let view = |short, status: Status| View {
        short,
        status,
        exit_label: status.label().to_string(),
        labels: opts.labels(),
        long: &long,
        perfdata: &perfdata,
        show_perfdata: opts.shows_perfdata(),
        error: false,
        own_text: false,
    };
    let rendered = render(&view(&result.short, status), ctx, opts);
    let Some(path) = opts.output_file() else {
        return rendered;
    };
    match file::write_atomically(path, &rendered.stdout) {
        Ok(()) => Rendered { stdout: String::new(), stderr: String::new(), exit_code: rendered.exit_code },
        Err(error) => {
            let mut short = result.short.clone();
            short.push(file_error(path, &errno_text(&error)));
            render(&view(&short, status.worst(Status::Unknown)), ctx, opts)
        }
    }
}

/// Displays an error exit: `UNKNOWN: <message> ` (the status is `--opt-exit`'s), then the
/// debug lines; no perfdata. `--change-short-output`, `--change-output-adv` and
/// `--change-exit` apply; JSON/XML documents hold the lower-case status in `exit`. The
/// error's hint, if any, goes to stderr.
pub fn display_error(error: &Error, debug_lines: &[String], ctx: &DisplayContext, opts: &OutputOptions) -> Rendered {
    let short = [ShortMessage { severity: None, text: error.message().to_string() }];
    let mut rendered = display_exit(&short, opts.labels(), debug_lines, ctx, opts, false);
    if let Some(hint) = error.hint_text() {
        rendered.stderr = format!("{hint}\n");
    }
    rendered
}

/// Displays the answer of an informational command (`--help`, `--version`,
/// `--list-mode`) as Perl does, like an error exit without status label: its first line
/// (nothing at all when empty, as the help texts start), its lines, then the debug lines.
pub fn display_info(info: &Info, debug_lines: &[String], ctx: &DisplayContext, opts: &OutputOptions) -> Rendered {
    let short: Vec<ShortMessage> = match info.first_line.as_str() {
        "" => Vec::new(),
        text => vec![ShortMessage { severity: None, text: text.to_string() }],
    };
    let long: Vec<String> = info.lines.iter().chain(debug_lines).cloned().collect();
    display_exit(&short, Labels::Hidden, &long, ctx, opts, true)
}

/// An exit that is not a check result: unqualified messages, so they take the
/// `--opt-exit` status's block, then `long`.
fn display_exit(
    short: &[ShortMessage],
    labels: Labels,
    long: &[String],
    ctx: &DisplayContext,
    opts: &OutputOptions,
    own_text: bool,
) -> Rendered {
    let status = opts.opt_exit();
    let view = View {
        short,
        status,
        exit_label: status.label().to_lowercase(),
        labels,
        long,
        perfdata: &[],
        show_perfdata: false,
        error: true,
        own_text,
    };
    render(&view, ctx, opts)
}

/// Prints a view in the chosen format and computes the exit code.
fn render(view: &View, ctx: &DisplayContext, opts: &OutputOptions) -> Rendered {
    let document = || Document {
        ctx,
        exit: view.exit_label.clone(),
        short: view.short,
        status: view.status,
        labels: view.labels,
        long: view.long,
        perfdata: if view.show_perfdata { view.perfdata } else { &[] },
    };
    let exit = |status: Status| opts.map_exit(status).exit_code();
    match opts.format() {
        Format::Xml => Rendered { stdout: document().xml(), stderr: String::new(), exit_code: exit(view.status) },
        Format::Json => Rendered { stdout: document().json(), stderr: String::new(), exit_code: exit(view.status) },
        Format::OpenMetrics if !view.error => Rendered {
            stdout: openmetrics(view.perfdata, ctx, now_ms()),
            stderr: String::new(),
            exit_code: exit(view.status),
        },
        _ => {
            let (stdout, status) = text(view, opts);
            Rendered { stdout, stderr: String::new(), exit_code: exit(status) }
        }
    }
}

/// The text format: short part (with `--change-short-output`, then
/// `--change-output-adv`), perfdata, newline, long lines.
fn text(view: &View, opts: &OutputOptions) -> (String, Status) {
    let safe: Vec<ShortMessage>;
    let short = if view.own_text {
        view.short
    } else {
        safe = view.short.iter().map(|m| ShortMessage { severity: m.severity, text: nagios_safe(&m.text) }).collect();
        &safe
    };
    let short = status_text(short, view.status, view.labels);
    let (mut out, status) = opts.text().short(short, view.status);
    if view.show_perfdata && !view.perfdata.is_empty() {
        out.push('|');
        for record in view.perfdata {
            out.push(' ');
            out.push_str(&record.text());
        }
    }
    out.push('\n');
    for line in view.long {
        if view.own_text {
            out.push_str(line);
        } else {
            out.push_str(&nagios_safe(line));
        }
        out.push('\n');
    }
    (out, status)
}

/// `text` as one line of the Nagios format holds it, whatever a server put in it
/// (a service's title, a report cell, an error page): `|`, which would start
/// perfdata, becomes `¦`; line ends, NUL and the other control characters but tab,
/// which would cut or forge lines, become spaces.
pub fn nagios_safe(text: &str) -> String {
    if !text.chars().any(|c| c == '|' || (c.is_control() && c != '\t')) {
        return text.to_string();
    }
    text.chars()
        .map(|c| match c {
            '|' => '¦',
            c if c.is_control() && c != '\t' => ' ',
            c => c,
        })
        .collect()
}

/// The `plugin.mode.status` metric `--output-openmetrics` adds (value: the status's exit
/// code before `--change-exit`).
fn status_record(status: Status, ctx: &DisplayContext) -> Perfdata {
    Perfdata {
        label: "plugin.mode.status".to_string(),
        nlabel: Some("plugin.mode.status".to_string()),
        instances: None,
        value: status.exit_code().to_string(),
        unit: String::new(),
        warning: String::new(),
        critical: String::new(),
        min: String::new(),
        max: String::new(),
        mode: Some(ctx.mode.clone()),
    }
}

/// The message added when `--output-file` cannot be written (two spaces after `file`).
fn file_error(path: &Path, reason: &str) -> ShortMessage {
    ShortMessage { severity: Some(Status::Unknown), text: format!("cannot open file  '{}': {reason}", path.display()) }
}

/// Milliseconds since the epoch, the OpenMetrics timestamp.
fn now_ms() -> u128 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0)
}
