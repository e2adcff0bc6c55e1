//! The text format: the status line's blocks, the `--change-short-output` /
//! `--change-long-output` substitutions and `--change-output-adv`.

use super::ShortMessage;
use crate::error::{Error, Result};
use crate::expr::{Dialect, Expr, Scope, Value, VariableSyntax};
use crate::options::{List, Values};
use crate::pattern::{Occurrences, Pattern};
use crate::status::Status;

/// `--change-long-output`.
pub(super) const CHANGE_LONG_OUTPUT: List = List::new("change-long-output", "").same_item_as_previous();
/// `--change-output-adv`.
pub(super) const CHANGE_OUTPUT_ADV: List = List::new(
    "change-output-adv",
    "Replace short output and exit code based on a \"if\" condition using the following variables: \
             short_output, exit_code. Variables must be written either %{variable} or %(variable). Syntax: \
             --change-output-adv=condition,output,exit_code. Eg: adding \
             --change-output-adv='%(short_output) =~ /no interfaces/,Service is down,critical' will replace \
             the output and set a CRITICAL state.",
);
/// `--change-short-output`.
pub(super) const CHANGE_SHORT_OUTPUT: List = List::new(
    "change-short-output",
    "Modify the short/long output that is returned by the plugin. Syntax: \
             --change-short-output=pattern~replacement~modifier\n\n\
             Modifiers are g (replace all occurrences), i (case insensitive), m, s and x. The replacement may \
             refer to groups with $1, $2... Eg: adding --change-short-output='OK~Up~gi' will replace all \
             occurrences of 'OK', 'ok', 'Ok' or 'oK' with 'Up'",
);

/// Whether the status line's blocks start with their label (`CRITICAL: `).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Labels {
    /// `CRITICAL: c WARNING: w `.
    Shown,
    /// `c w `: `--output-ignore-label`, and the answers of informational commands.
    Hidden,
}

/// The text Output Options, validated at start-up: what the display does to the status
/// line and the long output.
#[derive(Debug, Clone, Default)]
pub struct TextRules {
    short: Vec<Substitution>,
    long: Vec<Substitution>,
    adv: Vec<AdvRule>,
}

impl TextRules {
    /// Reads `--change-short-output`, `--change-long-output`, then `--change-output-adv`,
    /// refusing the first invalid rule.
    pub fn from_values(values: &Values) -> Result<TextRules> {
        let substitutions = |option: &List| -> Result<Vec<Substitution>> {
            let mut rules = Vec::new();
            for value in values.list(option) {
                rules.extend(Substitution::parse(option.name(), value)?);
            }
            Ok(rules)
        };
        let mut rules = TextRules {
            short: substitutions(&CHANGE_SHORT_OUTPUT)?,
            long: substitutions(&CHANGE_LONG_OUTPUT)?,
            adv: Vec::new(),
        };
        for value in values.list(&CHANGE_OUTPUT_ADV) {
            rules.adv.extend(AdvRule::parse(value)?);
        }
        Ok(rules)
    }

    /// The status text after `--change-short-output`, then `--change-output-adv`, which may
    /// also change the status.
    pub fn short(&self, text: String, status: Status) -> (String, Status) {
        let text = self.short.iter().fold(text, |text, rule| rule.apply(&text));
        change_output_adv(&self.adv, text, status)
    }

    /// The long lines after `--change-long-output`.
    pub fn long(&self, lines: Vec<String>) -> Vec<String> {
        change_long(lines, &self.long)
    }

    /// Whether `--change-long-output` rewrites the long output: its rules see all the
    /// lines joined, so a listing then cannot render its lines one at a time.
    pub fn changes_long(&self) -> bool {
        !self.long.is_empty()
    }
}

/// The order of the blocks on the status line; UNKNOWN comes after WARNING although it is
/// more severe, as in Perl (pollers' rules match on it).
pub const BLOCK_ORDER: [Status; 5] = [Status::Critical, Status::Warning, Status::Unknown, Status::Ok, Status::Pending];

/// The messages of one severity block: the qualified ones, then the unqualified ones when
/// the block is the one of the final status.
pub fn block_messages(short: &[ShortMessage], block: Status, status: Status) -> Vec<&str> {
    let qualified = short.iter().filter(|m| m.severity == Some(block));
    let unqualified = short.iter().filter(|m| m.severity.is_none() && block == status);
    qualified.chain(unqualified).map(|m| m.text.as_str()).collect()
}

/// The short part of the status line: `CRITICAL: a - b WARNING: c UNKNOWN: d OK: e `.
///
/// A block is printed when it has messages, except that the block of the final status is
/// always printed when that status is OK (`OK:  ` for an empty run) or PENDING (Perl
/// prints an empty line for PENDING). OK messages are hidden unless the status is OK.
pub fn status_text(short: &[ShortMessage], status: Status, labels: Labels) -> String {
    let mut out = String::new();
    for block in BLOCK_ORDER {
        let messages = block_messages(short, block, status);
        let always = block == status && matches!(status, Status::Ok | Status::Pending);
        let shown = match block {
            Status::Ok | Status::Pending => always,
            _ => !messages.is_empty(),
        };
        if shown {
            if labels == Labels::Shown {
                out.push_str(block.label());
                out.push_str(": ");
            }
            out.push_str(&messages.join(" - "));
            out.push(' ');
        }
    }
    out
}

/// One `PATTERN~REPLACEMENT~FLAGS` rule.
#[derive(Debug, Clone)]
struct Substitution {
    pattern: Pattern,
    replacement: String,
    occurrences: Occurrences,
}

impl Substitution {
    /// Reads a rule of `option`. `None` for an empty value (Perl skips it). Flags `g`, `i`,
    /// `m`, `s`, `x` are accepted; any other flag (Perl's `e` runs code) or an invalid
    /// regex is an error naming the option.
    fn parse(option: &str, value: &str) -> Result<Option<Substitution>> {
        let mut parts = value.split('~');
        let pattern = parts.next().unwrap_or_default();
        let replacement = parts.next().unwrap_or_default();
        let flags = parts.next().unwrap_or_default();
        if value.is_empty() {
            return Ok(None);
        }
        let wrong = |problem: &dyn std::fmt::Display| Error::new(format!("Wrong {option} option '{value}': {problem}"));
        if let Some(bad) = flags.chars().find(|c| !"gimsx".contains(*c)) {
            return Err(wrong(&format!("unsupported flag '{bad}'")));
        }
        let regex_flags: String = flags.chars().filter(|c| *c != 'g').collect();
        let pattern = Pattern::with_flags(pattern, &regex_flags).map_err(|problem| wrong(&problem))?;
        let occurrences = if flags.contains('g') { Occurrences::All } else { Occurrences::First };
        Ok(Some(Substitution { pattern, replacement: replacement.to_string(), occurrences }))
    }

    /// Applies the substitution: `$1`… in the replacement are the groups, backslash escapes
    /// are Perl's, and nothing is ever evaluated (Perl built code from the rule, which let
    /// a command line run anything).
    fn apply(&self, text: &str) -> String {
        self.pattern.replace(text, &self.replacement, self.occurrences)
    }
}

/// Applies `--change-long-output` to the long lines: joined with `\n`, substituted, split
/// back (trailing empty lines dropped, as Perl's `split`).
fn change_long(lines: Vec<String>, rules: &[Substitution]) -> Vec<String> {
    if rules.is_empty() {
        return lines;
    }
    let joined = rules.iter().fold(lines.join("\n"), |text, rule| rule.apply(&text));
    let mut lines: Vec<String> = joined.split('\n').map(str::to_string).collect();
    while lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    lines
}

/// One `EXPR,TEXT,STATUS` rule of `--change-output-adv`.
#[derive(Debug, Clone)]
struct AdvRule {
    expr: Expr,
    text: Option<String>,
    status: Option<Status>,
}

/// What `--change-output-adv` expressions may name, checked at start-up.
const ADV_DIALECT: Dialect<'static> =
    Dialect { syntax: VariableSyntax::BracesOrParentheses, variables: &["short_output", "exit_code"], functions: &[] };

impl AdvRule {
    /// Reads a rule; `None` when EXPR is empty (Perl ignores it). An invalid STATUS is
    /// ignored (the text may still change), as in Perl.
    fn parse(value: &str) -> Result<Option<AdvRule>> {
        let mut parts = value.split(',');
        let source = parts.next().unwrap_or_default();
        if source.is_empty() {
            return Ok(None);
        }
        let expr = Expr::parse(source, &ADV_DIALECT)
            .map_err(|problem| Error::new(format!("Wrong change-output-adv option '{source}': {problem}")))?;
        let text = parts.next().filter(|t| !t.is_empty()).map(str::to_string);
        let status = parts.next().and_then(Status::parse);
        Ok(Some(AdvRule { expr, text, status }))
    }
}

/// Runs the `--change-output-adv` rules on the short text: each true rule may replace the
/// whole text and set the status; later rules see the new text but the original exit code.
fn change_output_adv(rules: &[AdvRule], mut text: String, status: Status) -> (String, Status) {
    let mut result = status;
    for rule in rules {
        let scope = AdvScope { short_output: &text, exit_code: status.exit_code() };
        if rule.expr.is_true(&scope) {
            if let Some(new) = &rule.text {
                text.clone_from(new);
            }
            if let Some(new) = rule.status {
                result = new;
            }
        }
    }
    (text, result)
}

/// What a `--change-output-adv` expression can read.
struct AdvScope<'a> {
    short_output: &'a str,
    exit_code: i32,
}

impl Scope for AdvScope<'_> {
    fn var(&self, name: &str) -> Option<Value> {
        match name {
            "short_output" => Some(Value::Str(self.short_output.to_string())),
            "exit_code" => Some(Value::Num(f64::from(self.exit_code))),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::tests::email_activity_short;

    fn msg(severity: Option<Status>, text: &str) -> ShortMessage {
        ShortMessage { severity, text: text.to_string() }
    }

    fn substitute(rule: &str, text: &str) -> String {
        Substitution::parse("change-short-output", rule).unwrap().map_or(text.to_string(), |r| r.apply(text))
    }

    #[test]
    fn blocks_follow_the_spec_order_and_spacing() {
        let short = vec![
            msg(Some(Status::Ok), "fine"),
            msg(Some(Status::Unknown), "u"),
            msg(Some(Status::Warning), "w1"),
            msg(Some(Status::Critical), "c"),
            msg(Some(Status::Warning), "w2"),
        ];
        assert_eq!(status_text(&short, Status::Critical, Labels::Shown), "CRITICAL: c WARNING: w1 - w2 UNKNOWN: u ");
        assert_eq!(status_text(&short, Status::Critical, Labels::Hidden), "c w1 - w2 u ");
    }

    #[test]
    fn ok_block_is_shown_only_when_ok() {
        let text = status_text(&email_activity_short(), Status::Ok, Labels::Shown);
        assert_eq!(text, "OK: Active users on 2026-11-22 : 12/40 (30.00%) - Total (active users) Send Count: 250, Receive Count: 1295, Read Count: 1332 ");
        assert_eq!(status_text(&[], Status::Ok, Labels::Shown), "OK:  ");
        assert_eq!(status_text(&[], Status::Ok, Labels::Hidden), " ");
    }

    #[test]
    fn unqualified_messages_close_the_final_block() {
        let short = vec![msg(None, "boom"), msg(Some(Status::Unknown), "first"), msg(Some(Status::Ok), "hidden")];
        assert_eq!(status_text(&short, Status::Unknown, Labels::Shown), "UNKNOWN: first - boom ");
        assert_eq!(status_text(&[msg(None, "wait")], Status::Pending, Labels::Shown), "PENDING: wait ");
    }

    #[test]
    fn change_short_output_examples() {
        let line = "OK: Active users on 2026-11-22 : 12/40 (30.00%) - Total (active users) Send Count: 250 ";
        assert_eq!(substitute("Active~Working~g", line), line.replace("Active", "Working"));
        assert_eq!(substitute("OK~Up~gi", "OK: ok Ok "), "Up: Up Up ");
        assert_eq!(substitute("^OK: ~~", line), &line[4..]);
        assert_eq!(substitute("^OK:", line), &line[3..]);
        assert!(substitute("(\\d+)/(\\d+)~$2 of $1", line).contains(": 40 of 12 (30.00%)"));
        assert!(substitute("users", line).starts_with("OK: Active  on"));
        assert_eq!(substitute("\\s+$~~", "OK: x "), "OK: x");
        assert_eq!(substitute("", "same"), "same");
        assert_eq!(substitute("Total~${\\ `id` }", "Total"), "${ `id` }");
    }

    #[test]
    fn change_short_output_rejects_bad_rules() {
        assert!(Substitution::parse("change-short-output", "a~b~e").is_err());
        let err = Substitution::parse("change-short-output", "(~x").err().map(|e| e.message().to_string());
        assert!(err.is_some_and(|m| m.starts_with("Wrong change-short-output option '(~x': ")));
    }

    #[test]
    fn change_long_output_works_on_joined_lines() {
        let rules: Vec<Substitution> = ["Send~Sent~g", "^User~U"]
            .iter()
            .filter_map(|r| Substitution::parse("change-long-output", r).unwrap())
            .collect();
        let lines = vec!["User 'a' Send Count: 40".to_string(), "User 'b' Send Count: 27".to_string()];
        assert_eq!(change_long(lines, &rules), ["U 'a' Sent Count: 40", "User 'b' Sent Count: 27"]);
        let trim = [Substitution::parse("change-long-output", "b~").unwrap().unwrap()];
        assert_eq!(change_long(vec!["a".into(), "b".into()], &trim), ["a"]);
    }

    #[test]
    fn rules_are_read_from_the_options() {
        let values = crate::output::tests::values(&[
            ("change-short-output", "Active~Working~g"),
            ("change-long-output", "^User~U"),
            ("change-output-adv", "%{exit_code} == 0,,warning"),
        ]);
        let rules = TextRules::from_values(&values).expect("valid rules");
        assert_eq!(
            rules.short("OK: Active Active ".into(), Status::Ok),
            ("OK: Working Working ".into(), Status::Warning)
        );
        assert_eq!(rules.long(vec!["User 'a'".into()]), ["U 'a'"]);
        let bad = crate::output::tests::values(&[("change-output-adv", "%{nope} == 1,x")]);
        let message = TextRules::from_values(&bad).err().map(|e| e.message().to_string()).unwrap_or_default();
        assert!(
            message.starts_with("Wrong change-output-adv option '%{nope} == 1': unknown variable %{nope}"),
            "{message}"
        );
    }

    #[test]
    fn change_output_adv_rules() {
        let rules =
            |values: &[&str]| -> Vec<AdvRule> { values.iter().filter_map(|v| AdvRule::parse(v).unwrap()).collect() };
        let text = "OK: Active mailboxes ".to_string();
        let one = rules(&["%(short_output) =~ /Active mailboxes/,Replaced output,WARNING"]);
        assert_eq!(change_output_adv(&one, text.clone(), Status::Ok), ("Replaced output".into(), Status::Warning));
        let status_only = rules(&["%{exit_code} == 0,,critical"]);
        assert_eq!(change_output_adv(&status_only, text.clone(), Status::Ok), (text.clone(), Status::Critical));
        let chained = rules(&["%{exit_code} == 0,First", "%{short_output} =~ /First/,Second,unknown"]);
        assert_eq!(change_output_adv(&chained, text.clone(), Status::Ok), ("Second".into(), Status::Unknown));
        let bad_status = rules(&["1,x,bogus", ",ignored,ok"]);
        assert_eq!(bad_status.len(), 1);
        assert_eq!(change_output_adv(&bad_status, text, Status::Ok), ("x".into(), Status::Ok));
        assert!(AdvRule::parse("%{exit_code} ==").is_err());
        assert!(AdvRule::parse("%{nope} == 1,x").is_err());
    }
}
