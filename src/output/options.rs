//! The Output Options: their declarations for the tokenizer and `--help`, and their
//! validation into [`OutputOptions`].
//!
//! Everything is checked once, at start-up: a bad regex or expression is reported as
//! `UNKNOWN: …` naming the option and the problem before any work is done, where Perl
//! crashed in the middle of the display.

use std::path::{Path, PathBuf};

use super::perfdata::{
    PerfdataRules, RangeMode, EXPLODE_PERFDATA_MAX, FILTER_PERFDATA, FILTER_PERFDATA_ADV, FILTER_UOM, RANGE_PERFDATA,
};
use super::text::{Labels, TextRules, CHANGE_LONG_OUTPUT, CHANGE_OUTPUT_ADV, CHANGE_SHORT_OUTPUT};
use super::transform::{CHANGE_PERFDATA, EXTEND_PERFDATA, EXTEND_PERFDATA_GROUP};
use crate::debug::{Logging, Secrets};
use crate::error::{Error, Result};
use crate::options::{Flag, List, OptionSection, OptionSpec, Text, Values};
use crate::status::Status;

/// Which document the normal display prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The Nagios status line.
    Text,
    /// `--output-xml` (also implied by `--disco-*` without `--output-json`).
    Xml,
    /// `--output-json`.
    Json,
    /// `--output-openmetrics`.
    OpenMetrics,
}

/// The validated Output Options: plain data the display functions read.
#[derive(Debug, Clone)]
pub struct OutputOptions {
    verbose: bool,
    debug: bool,
    show_password: bool,
    new_perfdata: bool,
    perfdata: PerfdataRules,
    text: TextRules,
    change_exit: Vec<(Status, Status)>,
    opt_exit: Status,
    ignore_perfdata: bool,
    ignore_label: bool,
    format: Format,
    openmetrics: bool,
    output_file: Option<PathBuf>,
    disco_format: bool,
    disco_show: bool,
    float_precision: usize,
}

impl Default for OutputOptions {
    /// Text output, `--opt-exit=unknown`, no transformation: what is used before the
    /// command line is understood.
    fn default() -> Self {
        OutputOptions {
            verbose: false,
            debug: false,
            show_password: false,
            new_perfdata: false,
            perfdata: PerfdataRules::default(),
            text: TextRules::default(),
            change_exit: Vec::new(),
            opt_exit: Status::Unknown,
            ignore_perfdata: false,
            ignore_label: false,
            format: Format::Text,
            openmetrics: false,
            output_file: None,
            disco_format: false,
            disco_show: false,
            float_precision: 8,
        }
    }
}

impl OutputOptions {
    /// The `Output Options:` section of `--help`, in the documented order; also what the
    /// tokenizer accepts.
    pub fn sections() -> Vec<OptionSection> {
        vec![OptionSection::new("OUTPUT OPTIONS", specs())]
    }

    /// Validates the Output Options of a command line. Errors carry the exact Perl
    /// messages (`Unknown value 'X' for --opt-exit.`, `Wrong range-perfdata option 'X'`,
    /// `Wrong explode-perfdata-max option 'X' (syntax: match,value)`),
    /// `Invalid regular expression in --<option> …` for a regex option, or
    /// `Wrong <option> option '<value>': <problem>` for rules, expressions and
    /// `--float-precision`. Display such an error with [`OutputOptions::for_errors`].
    pub fn from_values(values: &Values) -> Result<OutputOptions> {
        let mut opts = Self::for_errors(values);
        let opt_exit = values.value(&OPT_EXIT).unwrap_or("unknown");
        opts.opt_exit = Status::parse(opt_exit)
            .ok_or_else(|| Error::new(format!("Unknown value '{}' for --opt-exit.", opt_exit.to_lowercase())))?;
        let range = RangeMode::from_values(values)?;
        opts.change_exit = change_exits(values.list(&CHANGE_EXIT))?;
        opts.perfdata = PerfdataRules::from_values(values, range)?;
        opts.text = TextRules::from_values(values)?;
        opts.float_precision = match values.value(&FLOAT_PRECISION) {
            None => 8,
            Some(text) if (1..=2).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit()) => {
                text.parse().unwrap_or(8)
            }
            Some(text) => return Err(Error::new(format!("Wrong float-precision option '{text}': expected 0 to 99"))),
        };
        Ok(opts)
    }

    /// The options needed to display an error found while reading the command line
    /// (including one from [`OutputOptions::from_values`]): format, labels, long output
    /// and a valid `--opt-exit`; no rewriting rule, as in Perl where these checks run
    /// before the rules are read.
    pub fn for_errors(values: &Values) -> OutputOptions {
        let disco = values.flag(&DISCO_FORMAT) || values.flag(&DISCO_SHOW);
        let format = if values.flag(&OUTPUT_XML) || (disco && !values.flag(&OUTPUT_JSON)) {
            Format::Xml
        } else if values.flag(&OUTPUT_JSON) {
            Format::Json
        } else if values.flag(&OUTPUT_OPENMETRICS) {
            Format::OpenMetrics
        } else {
            Format::Text
        };
        OutputOptions {
            verbose: values.flag(&VERBOSE),
            debug: values.flag(&DEBUG),
            show_password: values.flag(&SHOW_PASSWORD),
            new_perfdata: values.flag(&USE_NEW_PERFDATA),
            opt_exit: values.value(&OPT_EXIT).and_then(Status::parse).unwrap_or(Status::Unknown),
            ignore_perfdata: values.flag(&OUTPUT_IGNORE_PERFDATA),
            ignore_label: values.flag(&OUTPUT_IGNORE_LABEL),
            format,
            openmetrics: values.flag(&OUTPUT_OPENMETRICS),
            output_file: values.non_empty(&OUTPUT_FILE).map(PathBuf::from),
            disco_format: values.flag(&DISCO_FORMAT),
            disco_show: values.flag(&DISCO_SHOW),
            ..OutputOptions::default()
        }
    }

    /// `--verbose`: long output is shown.
    pub fn verbose(&self) -> bool {
        self.verbose
    }

    /// `--debug`: long output plus debug lines.
    pub fn debug(&self) -> bool {
        self.debug
    }

    /// `--debug` as the debug log reads it.
    pub fn logging(&self) -> Logging {
        if self.debug {
            Logging::On
        } else {
            Logging::Off
        }
    }

    /// `--show-password` as the debug log reads it.
    pub fn secrets(&self) -> Secrets {
        if self.show_password {
            Secrets::Shown
        } else {
            Secrets::Masked
        }
    }

    /// `--show-password`: secrets are not masked in debug lines.
    pub fn show_password(&self) -> bool {
        self.show_password
    }

    /// Whether metrics are named from `nlabel`: `--use-new-perfdata`, also forced by
    /// `--output-openmetrics`.
    pub fn use_new_perfdata(&self) -> bool {
        self.new_perfdata || self.openmetrics
    }

    /// The status of error exits (`--opt-exit`, default UNKNOWN).
    pub fn opt_exit(&self) -> Status {
        self.opt_exit
    }

    /// Decimals used when comparing values with thresholds (`--float-precision`).
    pub fn float_precision(&self) -> usize {
        self.float_precision
    }

    /// `--disco-format`: print the mode's discovery macros instead of running it.
    pub fn disco_format(&self) -> bool {
        self.disco_format
    }

    /// `--disco-show`: print the discovered objects instead of the normal output.
    pub fn disco_show(&self) -> bool {
        self.disco_show
    }

    /// The options for `--list-counters`: the same, without status labels.
    pub fn without_labels(&self) -> OutputOptions {
        OutputOptions { ignore_label: true, ..self.clone() }
    }

    /// The options for the `list-*` modes, as Perl displays them: no labels, no perfdata,
    /// long output always shown (one line per listed object).
    pub fn listing(&self) -> OutputOptions {
        OutputOptions { ignore_label: true, ignore_perfdata: true, verbose: true, ..self.clone() }
    }

    /// The exit status after `--change-exit` (applied once, no chaining; the last pair
    /// given for a status wins).
    pub(super) fn map_exit(&self, status: Status) -> Status {
        self.change_exit.iter().rev().find(|(from, _)| *from == status).map_or(status, |(_, to)| *to)
    }

    /// Whether long lines are shown by a normal display.
    pub(super) fn shows_long(&self) -> bool {
        self.verbose || self.debug
    }

    /// Whether the status line's blocks carry their label (`--output-ignore-label`).
    pub(super) fn labels(&self) -> Labels {
        if self.ignore_label {
            Labels::Hidden
        } else {
            Labels::Shown
        }
    }

    /// Whether the text and document formats show perfdata (`--output-ignore-perfdata`).
    pub(super) fn shows_perfdata(&self) -> bool {
        !self.ignore_perfdata
    }

    /// The document the normal display prints.
    pub(super) fn format(&self) -> Format {
        self.format
    }

    /// `--output-openmetrics`: the `plugin.mode.status` metric is added.
    pub(super) fn openmetrics(&self) -> bool {
        self.openmetrics
    }

    /// `--output-file`.
    pub(super) fn output_file(&self) -> Option<&Path> {
        self.output_file.as_deref()
    }

    /// The perfdata rules (`--change-perfdata` … `--range-perfdata`).
    pub(super) fn perfdata(&self) -> &PerfdataRules {
        &self.perfdata
    }

    /// The text rules (`--change-short-output`, `--change-long-output`,
    /// `--change-output-adv`).
    pub(super) fn text(&self) -> &TextRules {
        &self.text
    }
}

/// The `FROM=TO` pairs of `--change-exit`. Perl ignored a pair it could not read;
/// here it is an error naming it, so a typo cannot silently leave an exit code as is.
/// An empty value (an empty Centreon macro) adds no pair.
fn change_exits(pairs: &[String]) -> Result<Vec<(Status, Status)>> {
    let parse = |pair: &str| {
        let (from, to) = pair.split_once('=')?;
        Some((Status::parse(from)?, Status::parse(to)?))
    };
    pairs
        .iter()
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            parse(pair).ok_or_else(|| {
                Error::new(format!(
                    "Wrong change-exit option '{pair}': FROM=TO expected, each one of ok, warning, critical, unknown, pending"
                ))
            })
        })
        .collect()
}

/// `--verbose`.
pub(super) const VERBOSE: Flag = Flag::new("verbose", "Display extended status information (long output).");

/// `--debug`.
pub(super) const DEBUG: Flag = Flag::new(
    "debug",
    "Display debug messages (implies --verbose). Secrets are masked unless --show-password is given.",
);

/// `--show-password`.
pub const SHOW_PASSWORD: Flag =
    Flag::new("show-password", "Show secrets (client secret, tokens) in debug messages instead of masking them.");

/// `--change-exit`.
pub(super) const CHANGE_EXIT: List = List::new(
    "change-exit",
    "Replace an exit code with one of your choice. Eg: adding --change-exit=unknown=critical will \
             result in a CRITICAL state instead of an UNKNOWN state.",
);

/// `--opt-exit`.
pub(super) const OPT_EXIT: Text = Text::new(
    "opt-exit",
    "Replace the exit code in case of an execution error (i.e. wrong option provided, connection \
             refused, timeout, etc). Default: unknown.",
)
.default("unknown");

/// `--output-ignore-perfdata`.
pub(super) const OUTPUT_IGNORE_PERFDATA: Flag = Flag::new(
    "output-ignore-perfdata",
    "Remove all the metrics from the service. The service will still have a status and an output.",
);

/// `--output-ignore-label`.
pub(super) const OUTPUT_IGNORE_LABEL: Flag = Flag::new(
    "output-ignore-label",
    "Remove the status label (\"OK:\", \"WARNING:\", \"UNKNOWN:\", CRITICAL:\") from the beginning of \
             the output. Eg: 'OK: Ram Total:...' will become 'Ram Total:...'",
);

/// `--output-xml`.
pub(super) const OUTPUT_XML: Flag = Flag::new("output-xml", "Return the output in XML format (to send to an XML API).");

/// `--output-json`.
pub(super) const OUTPUT_JSON: Flag =
    Flag::new("output-json", "Return the output in JSON format (to send to a JSON API).");

/// `--output-openmetrics`.
pub(super) const OUTPUT_OPENMETRICS: Flag = Flag::new(
    "output-openmetrics",
    "Return the output in OpenMetrics format (to send to a tool expecting this format).",
);

/// `--output-file`.
pub(super) const OUTPUT_FILE: Text = Text::new(
    "output-file",
    "Write output in file (can be combined with json, xml and openmetrics options). E.g.: \
             --output-file=/tmp/output.txt will write the output in /tmp/output.txt.",
);

/// `--disco-format`.
pub(super) const DISCO_FORMAT: Flag = Flag::new(
    "disco-format",
    "Applies only to modes beginning with 'list-'. Returns the list of available macros to configure a \
             service discovery rule (formatted in XML).",
);

/// `--disco-show`.
pub(super) const DISCO_SHOW: Flag = Flag::new(
    "disco-show",
    "Applies only to modes beginning with 'list-'. Returns the list of discovered objects (formatted in \
             XML) for service discovery.",
);

/// `--float-precision`.
pub(super) const FLOAT_PRECISION: Text =
    Text::new("float-precision", "Define the float precision for thresholds (default: 8).").default("8");

/// `--source-encoding`.
pub(super) const SOURCE_ENCODING: Text = Text::new(
    "source-encoding",
    "Define the character encoding of the response sent by the monitored resource Default: 'UTF-8'.",
)
.default("UTF-8");

/// `--debug-stream`.
pub(super) const DEBUG_STREAM: Flag = Flag::new("debug-stream", "");

/// `--use-new-perfdata`.
pub(super) const USE_NEW_PERFDATA: Flag = Flag::new("use-new-perfdata", "");

/// The declarations, in Perl's `--help` order; hidden options last.
fn specs() -> Vec<OptionSpec> {
    vec![
        VERBOSE.spec(),
        DEBUG.spec(),
        SHOW_PASSWORD.spec(),
        FILTER_PERFDATA.spec(),
        FILTER_PERFDATA_ADV.spec(),
        EXPLODE_PERFDATA_MAX.spec(),
        CHANGE_PERFDATA.spec(),
        EXTEND_PERFDATA.spec(),
        EXTEND_PERFDATA_GROUP.spec(),
        CHANGE_SHORT_OUTPUT.spec(),
        CHANGE_LONG_OUTPUT.spec(),
        CHANGE_EXIT.spec(),
        CHANGE_OUTPUT_ADV.spec(),
        RANGE_PERFDATA.spec(),
        FILTER_UOM.spec(),
        OPT_EXIT.spec(),
        OUTPUT_IGNORE_PERFDATA.spec(),
        OUTPUT_IGNORE_LABEL.spec(),
        OUTPUT_XML.spec(),
        OUTPUT_JSON.spec(),
        OUTPUT_OPENMETRICS.spec(),
        OUTPUT_FILE.spec(),
        DISCO_FORMAT.spec(),
        DISCO_SHOW.spec(),
        FLOAT_PRECISION.spec(),
        SOURCE_ENCODING.spec(),
        DEBUG_STREAM.spec(),
        USE_NEW_PERFDATA.spec(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::Doc;
    use crate::output::tests::{options, try_options};

    fn error(args: &[(&str, &str)]) -> String {
        try_options(args).err().map(|e| e.message().to_string()).unwrap_or_default()
    }

    #[test]
    fn sections_list_every_option_in_help_order() {
        let sections = OutputOptions::sections();
        assert_eq!(sections.len(), 1);
        assert_eq!(sections[0].title, "OUTPUT OPTIONS");
        let names: Vec<&str> = sections[0].options.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names[..5], ["verbose", "debug", "show-password", "filter-perfdata", "filter-perfdata-adv"]);
        assert_eq!(
            names[names.len() - 4..],
            ["float-precision", "source-encoding", "debug-stream", "use-new-perfdata"]
        );
        assert_eq!(names.len(), 28);
        let doc = |name: &str| sections[0].options.iter().find(|o| o.name == name).map(|o| o.doc.clone());
        assert_eq!(doc("extend-perfdata"), Some(Doc::SameItemAsPrevious));
        assert_eq!(doc("change-long-output"), Some(Doc::SameItemAsPrevious));
        assert_eq!(doc("debug-stream"), Some(Doc::Hidden));
        assert!(matches!(doc("filter-uom"), Some(Doc::Text(_))));
    }

    #[test]
    fn perl_messages_for_bad_values() {
        assert_eq!(error(&[("opt-exit", "Bogus")]), "Unknown value 'bogus' for --opt-exit.");
        assert_eq!(error(&[("range-perfdata", "3")]), "Wrong range-perfdata option '3'");
        assert_eq!(
            error(&[("explode-perfdata-max", "active")]),
            "Wrong explode-perfdata-max option 'active' (syntax: match,value)"
        );
    }

    #[test]
    fn regexes_and_expressions_are_checked_at_start_up() {
        assert!(error(&[("filter-perfdata", "(")]).starts_with("Invalid regular expression in --filter-perfdata '(': "));
        assert!(error(&[("filter-uom", "[")]).starts_with("Invalid regular expression in --filter-uom '[': "));
        assert!(error(&[("filter-perfdata-adv", "%(value) >")]).starts_with("Wrong filter-perfdata-adv option"));
        assert!(error(&[("filter-perfdata-adv", "system(1)")]).contains("unknown function system() (known: "));
        assert!(error(&[("change-output-adv", "%{short} =~ /x/,y")])
            .ends_with("unknown variable %{short} (known: short_output, exit_code)"));
        assert!(error(&[("change-long-output", "a~b~ee")]).starts_with("Wrong change-long-output option"));
        assert!(error(&[("extend-perfdata-group", "(x,y,sum(a))")]).starts_with("Wrong extend-perfdata-group option"));
    }

    #[test]
    fn float_precision_takes_digits_only() {
        assert_eq!(options(&[]).float_precision(), 8);
        assert_eq!(options(&[("float-precision", "2")]).float_precision(), 2);
        assert_eq!(error(&[("float-precision", "abc")]), "Wrong float-precision option 'abc': expected 0 to 99");
        assert!(try_options(&[("float-precision", "-1")]).is_err());
        assert!(try_options(&[("float-precision", "")]).is_err());
    }

    #[test]
    fn accessors_and_defaults() {
        let opts = options(&[]);
        assert_eq!(opts.opt_exit(), Status::Unknown);
        assert!(!opts.verbose() && !opts.debug() && !opts.show_password() && !opts.use_new_perfdata());
        assert_eq!(options(&[("opt-exit", "CRITICAL")]).opt_exit(), Status::Critical);
        assert!(options(&[("output-openmetrics", "1")]).use_new_perfdata());
        assert!(options(&[("use-new-perfdata", "1")]).use_new_perfdata());
        let flags = options(&[("verbose", "1"), ("debug", "1"), ("show-password", "1"), ("debug-stream", "1")]);
        assert!(flags.verbose() && flags.debug() && flags.show_password());
        let disco = options(&[("disco-show", "1")]);
        assert!(disco.disco_show() && !disco.disco_format());
        assert_eq!(disco.format(), Format::Xml);
        assert_eq!(options(&[("disco-format", "1"), ("output-json", "1")]).format(), Format::Json);
        assert_eq!(options(&[("output-json", "1"), ("output-xml", "1")]).format(), Format::Xml);
        assert_eq!(options(&[("output-json", "1"), ("output-openmetrics", "1")]).format(), Format::Json);
    }

    #[test]
    fn change_exit_maps_once_and_refuses_bad_pairs() {
        let opts =
            options(&[("change-exit", "critical=warning"), ("change-exit", "warning=unknown"), ("change-exit", "")]);
        assert_eq!(opts.map_exit(Status::Critical), Status::Warning);
        assert_eq!(opts.map_exit(Status::Warning), Status::Unknown);
        assert_eq!(opts.map_exit(Status::Ok), Status::Ok);
        for bogus in ["bogus=ok", "ok", "critical=bogus", "="] {
            let message = error(&[("change-exit", bogus)]);
            assert!(message.starts_with(&format!("Wrong change-exit option '{bogus}': ")), "{bogus}: {message}");
        }
        assert_eq!(options(&[("change-exit", "OK=Pending")]).map_exit(Status::Ok), Status::Pending);
    }

    #[test]
    fn dropped_rules_leave_debug_notes() {
        let opts = options(&[("change-perfdata", "a,b,eval(1)"), ("extend-perfdata", "a,b,scale(XB)")]);
        assert_eq!(
            opts.perfdata().notes(),
            ["method in argument 'a,b,eval(1)' is unknown", "argument in method 'a,b,scale(XB)' is unknown"]
        );
    }

    #[test]
    fn errors_fall_back_to_plain_options() {
        let opts = for_errors_of(&[("opt-exit", "bogus"), ("output-json", "1"), ("change-exit", "unknown=ok")]);
        assert_eq!(opts.opt_exit(), Status::Unknown);
        assert_eq!(opts.format(), Format::Json);
        assert_eq!(opts.map_exit(Status::Unknown), Status::Unknown);
    }

    fn for_errors_of(args: &[(&str, &str)]) -> OutputOptions {
        OutputOptions::for_errors(&crate::output::tests::values(args))
    }
}
