//! Shared fixtures (results shaped like the Exchange modes' output) and end-to-end tests of
//! the display functions against the golden cases.

use super::*;
use crate::error::Error;
use crate::options::{Kind, Values};

pub const PLUGIN: &str = "cloud::microsoft::office365::exchange::plugin";

/// A record with mode `mailbox-usage` and no nlabel.
pub fn perf(label: &str, value: &str, unit: &str, warning: &str, critical: &str, min: &str, max: &str) -> Perfdata {
    Perfdata {
        label: label.into(),
        nlabel: None,
        instances: None,
        value: value.into(),
        unit: unit.into(),
        warning: warning.into(),
        critical: critical.into(),
        min: min.into(),
        max: max.into(),
        mode: Some("mailbox-usage".into()),
    }
}

fn with(mut record: Perfdata, mode: &str, nlabel: Option<&str>) -> Perfdata {
    record.mode = Some(mode.into());
    record.nlabel = nlabel.map(str::to_string);
    record
}

fn ok(text: &str) -> ShortMessage {
    ShortMessage { severity: Some(Status::Ok), text: text.into() }
}

pub fn texts(records: &[Perfdata]) -> Vec<String> {
    records.iter().map(Perfdata::text).collect()
}

pub fn ctx(mode: &str) -> DisplayContext {
    DisplayContext { plugin: PLUGIN.into(), mode: mode.into() }
}

/// The default email-activity short messages (both OK).
pub fn email_activity_short() -> Vec<ShortMessage> {
    vec![
        ok("Active users on 2026-11-22 : 12/40 (30.00%)"),
        ok("Total (active users) Send Count: 250, Receive Count: 1295, Read Count: 1332"),
    ]
}

/// The default email-activity perfdata (legacy labels).
pub fn email_activity_perfdata() -> Vec<Perfdata> {
    let m = "email-activity";
    vec![
        with(perf("perfdate", "1795348800", "", "", "", "", ""), m, None),
        with(perf("active_users", "12", "users", "", "", "0", "40"), m, Some("exchange.users.active.count")),
        with(perf("total_send_count", "250", "", "", "", "0", ""), m, Some("exchange.users.emails.sent.total.count")),
        with(
            perf("total_receive_count", "1295", "", "", "", "0", ""),
            m,
            Some("exchange.users.emails.received.total.count"),
        ),
        with(perf("total_read_count", "1332", "", "", "", "0", ""), m, Some("exchange.users.emails.read.total.count")),
    ]
}

/// The default mailbox-usage perfdata (legacy labels).
pub fn mailbox_usage_perfdata() -> Vec<Perfdata> {
    let m = "mailbox-usage";
    vec![
        with(perf("perfdate", "1795348800", "", "", "", "", ""), m, None),
        with(
            perf("active_mailboxes", "12", "mailboxes", "", "", "0", "40"),
            m,
            Some("exchange.mailboxes.active.count"),
        ),
        with(
            perf("total_usage_active", "130010988069", "B", "", "", "0", ""),
            m,
            Some("exchange.mailboxes.active.usage.total.bytes"),
        ),
        with(
            perf("total_usage_inactive", "236288601468", "B", "", "", "0", ""),
            m,
            Some("exchange.mailboxes.inactive.usage.total.bytes"),
        ),
    ]
}

fn email_activity() -> CheckResult {
    CheckResult { short: email_activity_short(), long: Vec::new(), perfdata: email_activity_perfdata() }
}

fn mailbox_usage() -> CheckResult {
    CheckResult {
        short: vec![
            ok("Active mailboxes on 2026-11-22 : 12/40 (30.00%)"),
            ok("Total Usage (active mailboxes): 121.08 GB, Usage (inactive mailboxes): 220.06 GB"),
        ],
        long: Vec::new(),
        perfdata: mailbox_usage_perfdata(),
    }
}

/// Values as the tokenizer would record them (flags given as `1`).
pub fn values(args: &[(&str, &str)]) -> Values {
    let specs = OutputOptions::sections().remove(0).options;
    assert!(specs.iter().all(|s| s.kind != Kind::Map));
    Values::of(&specs, args)
}

pub fn try_options(args: &[(&str, &str)]) -> Result<OutputOptions, Error> {
    OutputOptions::from_values(&values(args))
}

pub fn options(args: &[(&str, &str)]) -> OutputOptions {
    try_options(args).unwrap_or_else(|e| panic!("{e}"))
}

fn show(result: &CheckResult, mode: &str, args: &[(&str, &str)]) -> (String, i32) {
    let rendered = display(result, &ctx(mode), &options(args));
    (rendered.stdout, rendered.exit_code)
}

const EA_PERF: &str = "'perfdate'=1795348800;;;; 'active_users'=12users;;;0;40 'total_send_count'=250;;;0; \
                       'total_receive_count'=1295;;;0; 'total_read_count'=1332;;;0;";
const EA_SHORT: &str = "OK: Active users on 2026-11-22 : 12/40 (30.00%) - Total (active users) Send Count: 250, \
                        Receive Count: 1295, Read Count: 1332 ";
const MU_SHORT: &str = "OK: Active mailboxes on 2026-11-22 : 12/40 (30.00%) - Total Usage (active mailboxes): \
                        121.08 GB, Usage (inactive mailboxes): 220.06 GB ";
const MU_PERF: &str = "'perfdate'=1795348800;;;; 'active_mailboxes'=12mailboxes;;;0;40 \
                       'total_usage_active'=130010988069B;;;0; 'total_usage_inactive'=236288601468B;;;0;";

fn ea_line(perf: &str) -> String {
    format!("{EA_SHORT}| {perf}\n")
}

fn mu_line(perf: &str) -> String {
    format!("{MU_SHORT}| {perf}\n")
}

#[test]
fn default_line() {
    assert_eq!(show(&email_activity(), "email-activity", &[]), (ea_line(EA_PERF), 0));
}

#[test]
fn golden_perfdata_transforms() {
    let cases: [(&str, &str, String); 10] = [
        ("change-perfdata", "active_mailboxes,,percent()", MU_PERF.replace("12mailboxes;;;0;40", "30.00%;;;0;100")),
        ("change-perfdata", "active_mailboxes,inactive_mailboxes,invert()", MU_PERF.replace("'active_mailboxes'=12", "'inactive_mailboxes'=28")),
        ("change-perfdata", "total_usage_active,,math(current / 1000000)", MU_PERF.replace("=130010988069B", "=130010.988069B")),
        ("extend-perfdata", "total_usage_active,total_usage_active_gb,scale(GB),GB", format!("{MU_PERF} 'total_usage_active_gb'=121.08GB;;;0;")),
        ("extend-perfdata-group", "total_usage_(.*),total_usage_sum,sum(total_usage_(.*))", format!("{MU_PERF} 'total_usage_sum'=366299589537;;;;")),
        ("filter-perfdata-adv", "%(value) > 100000", "'perfdate'=1795348800;;;; 'total_usage_active'=130010988069B;;;0; 'total_usage_inactive'=236288601468B;;;0;".into()),
        ("explode-perfdata-max", "", format!("{MU_PERF} 'active_mailboxes_max'=40mailboxes;;;;")),
        ("filter-uom", "^B$", MU_PERF.replace("12mailboxes", "12")),
        ("explode-perfdata-max", "active,act_total", format!("{MU_PERF} 'act_total'=40mailboxes;;;;")),
        ("filter-perfdata-adv", "%{unit} eq \"B\"", "'total_usage_active'=130010988069B;;;0; 'total_usage_inactive'=236288601468B;;;0;".into()),
    ];
    for (option, value, perf) in cases {
        assert_eq!(
            show(&mailbox_usage(), "mailbox-usage", &[(option, value)]),
            (mu_line(&perf), 0),
            "--{option}={value}"
        );
    }
}

#[test]
fn golden_groups() {
    let max = "total_(send|read)_count,total_$1_max,max(total_(send|receive|read)_count)";
    let out = show(&email_activity(), "email-activity", &[("extend-perfdata-group", max)]);
    assert_eq!(out.0, ea_line(&format!("{EA_PERF} 'total_send_max'=1332;;;; 'total_read_max'=1332;;;;")));
    let out =
        show(&email_activity(), "email-activity", &[("extend-perfdata-group", ",all_avg,average(total_.*_count)")]);
    assert_eq!(out.0, ea_line(&format!("{EA_PERF} 'all_avg'=959.00;;;;")));
}

#[test]
fn golden_filter_adv_unit() {
    let m = "mailbox-usage";
    let result = CheckResult {
        short: vec![
            ok("Active mailboxes on 2026-11-22 : 2/10 (20.00%)"),
            ok("Total Usage (active mailboxes): 9.43 GB, Usage (inactive mailboxes): 65.52 GB"),
            ok("All mailboxes usage are ok"),
        ],
        long: vec!["Mailbox 'user000006@contoso.onmicrosoft.com' Used: 3.54 GB".into()],
        perfdata: vec![
            with(perf("perfdate", "1795348800", "", "", "", "", ""), m, None),
            with(perf("active_mailboxes", "2", "mailboxes", "", "", "0", "10"), m, None),
            with(perf("total_usage_active", "10129011607", "B", "", "", "0", ""), m, None),
            with(perf("total_usage_inactive", "70351602894", "B", "", "", "0", ""), m, None),
            with(perf("used_user000006@contoso.onmicrosoft.com", "3797579269", "B", "", "", "0", ""), m, None),
            with(perf("items_user000006@contoso.onmicrosoft.com", "46194", "", "", "", "0", ""), m, None),
            with(perf("used_user000009@contoso.onmicrosoft.com", "6331432338", "B", "", "", "0", ""), m, None),
            with(perf("items_user000009@contoso.onmicrosoft.com", "1234567890", "", "", "", "0", ""), m, None),
        ],
    };
    let out = show(&result, m, &[("filter-perfdata-adv", "%(unit) eq \"B\" and %(value) > 1000000000")]);
    assert_eq!(
        out.0,
        "OK: Active mailboxes on 2026-11-22 : 2/10 (20.00%) - Total Usage (active mailboxes): 9.43 GB, Usage (inactive \
         mailboxes): 65.52 GB - All mailboxes usage are ok | 'total_usage_active'=10129011607B;;;0; \
         'total_usage_inactive'=70351602894B;;;0; 'used_user000006@contoso.onmicrosoft.com'=3797579269B;;;0; \
         'used_user000009@contoso.onmicrosoft.com'=6331432338B;;;0;\n"
    );
}

#[test]
fn golden_change_output_adv() {
    let rule = "%(short_output) =~ /Active mailboxes/,Replaced output,WARNING";
    let out = show(&mailbox_usage(), "mailbox-usage", &[("change-output-adv", rule)]);
    assert_eq!(out, (format!("Replaced output| {MU_PERF}\n"), 1));
    let out = show(&mailbox_usage(), "mailbox-usage", &[("change-output-adv", "%{exit_code} == 0,,critical")]);
    assert_eq!(out, (mu_line(MU_PERF), 2));
}

#[test]
fn golden_text_options() {
    let filtered = show(&email_activity(), "email-activity", &[("filter-perfdata", "active|perfdate")]);
    assert_eq!(filtered.0, ea_line("'perfdate'=1795348800;;;; 'active_users'=12users;;;0;40"));
    let none = show(&email_activity(), "email-activity", &[("filter-perfdata", "nomatch")]);
    assert_eq!(none.0, format!("{EA_SHORT}\n"));
    let ignored = show(&email_activity(), "email-activity", &[("output-ignore-perfdata", "1")]);
    assert_eq!(ignored, (format!("{EA_SHORT}\n"), 0));
    let nolabel = show(&email_activity(), "email-activity", &[("output-ignore-label", "1")]);
    assert_eq!(nolabel.0, format!("{}| {EA_PERF}\n", &EA_SHORT[4..]));
    let changed = show(&mailbox_usage(), "mailbox-usage", &[("change-short-output", "Active~Working~g")]);
    assert_eq!(changed.0, mu_line(MU_PERF).replace("OK: Active", "OK: Working"));
    let trimmed = show(
        &email_activity(),
        "email-activity",
        &[("change-short-output", "\\s+$~~"), ("output-ignore-perfdata", "1")],
    );
    assert_eq!(trimmed.0, format!("{}\n", EA_SHORT.trim_end()));
}

fn critical_active_users() -> CheckResult {
    let mut result = email_activity();
    result.short[0].severity = Some(Status::Critical);
    result.perfdata[1].critical = "0:4".into();
    result
}

#[test]
fn golden_change_exit_changes_only_the_code() {
    let expected = "CRITICAL: Active users on 2026-11-22 : 12/40 (30.00%) | 'perfdate'=1795348800;;;; \
                    'active_users'=12users;;0:4;0;40 'total_send_count'=250;;;0; 'total_receive_count'=1295;;;0; \
                    'total_read_count'=1332;;;0;\n";
    let out = show(&critical_active_users(), "email-activity", &[("change-exit", "critical=warning")]);
    assert_eq!(out, (expected.to_string(), 1));
    let chained = [("change-exit", "critical=warning"), ("change-exit", "warning=unknown")];
    assert_eq!(show(&critical_active_users(), "email-activity", &chained).1, 1);
    assert_eq!(show(&email_activity(), "email-activity", &[("change-exit", "ok=pending")]).1, 4);
}

#[test]
fn golden_range_perfdata() {
    let mut result = email_activity();
    result.short[0].severity = Some(Status::Warning);
    result.perfdata[1].warning = "0:8".into();
    let out = show(&result, "email-activity", &[("range-perfdata", "1")]);
    let expected = format!(
        "WARNING: Active users on 2026-11-22 : 12/40 (30.00%) | {}\n",
        EA_PERF.replace("12users;;;0;40", "12users;8;;0;40")
    );
    assert_eq!(out, (expected, 1));
}

#[test]
fn empty_run_prints_ok_and_two_spaces() {
    assert_eq!(show(&CheckResult::default(), "email-activity", &[]), ("OK:  \n".to_string(), 0));
    let out = show(&CheckResult::default(), "email-activity", &[("output-ignore-label", "1")]);
    assert_eq!(out.0, " \n");
    let json = show(&CheckResult::default(), "email-activity", &[("output-json", "1")]);
    assert!(json.0.contains("\"outputs\":[]"));
}

#[test]
fn long_output_needs_verbose_or_debug() {
    let mut result = email_activity();
    result.long = vec!["User 'a' Send Count: 40".into(), "User 'b' Send Count: 27".into()];
    assert_eq!(show(&result, "email-activity", &[]).0, ea_line(EA_PERF));
    let verbose = show(&result, "email-activity", &[("verbose", "1")]).0;
    assert_eq!(verbose, format!("{}User 'a' Send Count: 40\nUser 'b' Send Count: 27\n", ea_line(EA_PERF)));
    let changed = show(
        &result,
        "email-activity",
        &[("debug", "1"), ("change-long-output", "Send~Sent~g"), ("change-long-output", "^User~U")],
    );
    assert!(changed.0.ends_with("\nU 'a' Sent Count: 40\nUser 'b' Sent Count: 27\n"), "{}", changed.0);
    let notes = show(&result, "email-activity", &[("debug", "1"), ("change-perfdata", "x,y,eval(1)")]).0;
    assert!(notes.contains("\nmethod in argument 'x,y,eval(1)' is unknown\nUser 'a'"), "{notes}");
    let hidden = show(&result, "email-activity", &[("verbose", "1"), ("change-perfdata", "x,y,eval(1)")]).0;
    assert!(!hidden.contains("method in argument"));
}

/// Canonical JSON for comparison: numbers as strings, key order ignored (serde_json's map
/// is sorted), `outputs` entries sorted.
fn canonical_json(text: &str) -> serde_json::Value {
    fn walk(value: serde_json::Value, key: &str) -> serde_json::Value {
        use serde_json::Value as V;
        match value {
            V::Number(n) => V::String(n.to_string()),
            V::Array(items) => {
                let mut items: Vec<V> = items.into_iter().map(|v| walk(v, "")).collect();
                if key == "outputs" {
                    items.sort_by_key(|v| v.to_string());
                }
                V::Array(items)
            }
            V::Object(map) => V::Object(
                map.into_iter()
                    .map(|(k, v)| {
                        let v = walk(v, &k);
                        (k, v)
                    })
                    .collect(),
            ),
            other => other,
        }
    }
    walk(serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}")), "")
}

/// Canonical XML for comparison: lines inside each `<output>`/`<perfdata>` block sorted,
/// `<output>` blocks sorted.
fn canonical_xml(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut outputs = Vec::new();
    let mut block: Option<Vec<String>> = None;
    for line in text.lines() {
        let trimmed = line.trim();
        match (&mut block, trimmed) {
            (None, "<output>" | "<perfdata>") => block = Some(Vec::new()),
            (Some(lines), "</output>") => {
                lines.sort();
                outputs.push(lines.join("|"));
                block = None;
            }
            (Some(lines), "</perfdata>") => {
                lines.sort();
                out.push(lines.join("|"));
                block = None;
            }
            (Some(lines), _) => lines.push(trimmed.to_string()),
            (None, "</outputs>") => {
                outputs.sort();
                out.append(&mut outputs);
                out.push(trimmed.to_string());
            }
            (None, _) => out.push(trimmed.to_string()),
        }
    }
    out
}

fn mailbox_usage_critical() -> CheckResult {
    let m = "mailbox-usage";
    let used = |user: &str, value: &str| {
        let mut record = with(perf(&format!("used_{user}"), value, "B", "", "", "0", ""), m, None);
        record.nlabel = Some(format!("{user}#exchange.mailboxes.usage.bytes"));
        record
    };
    let items = |user: &str, value: &str| {
        let mut record =
            with(perf(&format!("items_{user}"), value, "", "", "", "0", ""), m, Some("exchange.mailboxes.items.count"));
        record.instances = Some(user.to_string());
        record
    };
    let (u12, u13) = ("user000012@contoso.onmicrosoft.com", "user000013@contoso.onmicrosoft.com");
    CheckResult {
        short: vec![
            ShortMessage {
                severity: Some(Status::Critical),
                text: "Mailbox 'user000012@contoso.onmicrosoft.com' Used: 49.79 GB Issue Warning Quota: 49.50 GB \
                       Prohibit Send Quota: 49.75 GB Prohibit Send/Receive Quota: 50.00 GB"
                    .into(),
            },
            ok("Active mailboxes on 2026-11-22 : 2/10 (20.00%)"),
            ok("Total Usage (active mailboxes): 54.27 GB, Usage (inactive mailboxes): 74.19 GB"),
            ok("All mailboxes usage are ok"),
        ],
        long: vec!["Mailbox 'user000012@contoso.onmicrosoft.com' Used: 49.79 GB".into()],
        perfdata: vec![
            with(perf("perfdate", "1795348800", "", "", "", "", ""), m, None),
            with(
                perf("active_mailboxes", "2", "mailboxes", "", "", "0", "10"),
                m,
                Some("exchange.mailboxes.active.count"),
            ),
            with(
                perf("total_usage_active", "58270385234", "B", "", "", "0", ""),
                m,
                Some("exchange.mailboxes.active.usage.total.bytes"),
            ),
            with(
                perf("total_usage_inactive", "79665985761", "B", "", "", "0", ""),
                m,
                Some("exchange.mailboxes.inactive.usage.total.bytes"),
            ),
            used(u12, "53460435785"),
            items(u12, "95587"),
            used(u13, "4809949449"),
            items(u13, "125313"),
        ],
    }
}

#[test]
fn golden_json() {
    let expected = include_str!("testdata/o-json.json");
    let (stdout, exit) = show(&mailbox_usage_critical(), "mailbox-usage", &[("output-json", "1")]);
    assert!(!stdout.ends_with('\n'));
    assert_eq!((canonical_json(&stdout), exit), (canonical_json(expected), 2));
}

#[test]
fn golden_xml() {
    let expected = include_str!("testdata/o-xml.xml");
    let (stdout, exit) = show(&mailbox_usage_critical(), "mailbox-usage", &[("output-xml", "1")]);
    assert_eq!((canonical_xml(&stdout), exit), (canonical_xml(expected), 2));
    let expected = include_str!("testdata/o-xml-ea.xml");
    let (stdout, exit) = show(&critical_active_users(), "email-activity", &[("output-xml", "1")]);
    assert_eq!((canonical_xml(&stdout), exit), (canonical_xml(expected), 2));
}

#[test]
fn json_long_lines_and_ignored_perfdata() {
    let (stdout, _) = show(
        &mailbox_usage_critical(),
        "mailbox-usage",
        &[("output-json", "1"), ("verbose", "1"), ("output-ignore-perfdata", "1")],
    );
    assert!(stdout.contains("{\"type\":2,\"msg\":\"Mailbox 'user000012@contoso.onmicrosoft.com' Used: 49.79 GB\"}]"));
    assert!(stdout.ends_with("\"perfdatas\":[]}}"));
    let (xml, _) =
        show(&mailbox_usage_critical(), "mailbox-usage", &[("output-xml", "1"), ("output-ignore-perfdata", "1")]);
    assert!(xml.contains("<perfdatas/>"));
}

fn without_timestamps(text: &str) -> Vec<String> {
    text.lines().map(|line| line.rsplit_once(' ').map_or(line, |(head, _)| head).to_string()).collect()
}

fn new_labels(mut records: Vec<Perfdata>) -> Vec<Perfdata> {
    for record in &mut records {
        if let Some(nlabel) = &record.nlabel {
            record.label = nlabel.clone();
        }
    }
    records
}

#[test]
fn golden_openmetrics() {
    let expected = include_str!("testdata/o-openmetrics.txt");
    let mut result = mailbox_usage();
    result.perfdata = new_labels(result.perfdata);
    let (stdout, exit) = show(&result, "mailbox-usage", &[("output-openmetrics", "1")]);
    assert_eq!((without_timestamps(&stdout), exit), (without_timestamps(expected), 0));
    let stamps: Vec<&str> = stdout.lines().filter_map(|l| l.rsplit(' ').next()).collect();
    assert!(stamps.windows(2).all(|w| w[0] == w[1]) && stamps[0].len() >= 13);
}

#[test]
fn openmetrics_status_comes_before_extends() {
    let mut result = critical_active_users();
    result.perfdata = new_labels(result.perfdata);
    let args = [
        ("output-openmetrics", "1"),
        ("extend-perfdata-group", ",all,sum(total)"),
        ("output-ignore-perfdata", "1"),
        ("change-exit", "critical=ok"),
    ];
    let (stdout, exit) = show(&result, "email-activity", &args);
    let lines = without_timestamps(&stdout);
    assert_eq!(lines[lines.len() - 2], format!("plugin.mode.status{{plugin=\"{PLUGIN}\",mode=\"email-activity\"}} 2"));
    assert_eq!(lines[lines.len() - 1], format!("all{{plugin=\"{PLUGIN}\",mode=\"\"}} 2877"));
    assert_eq!(exit, 0);
    let json = show(&result, "email-activity", &[("output-openmetrics", "1"), ("output-json", "1")]).0;
    assert!(json.contains("\"label\":\"plugin.mode.status\",\"value\":\"2\""));
}

fn error_of(message: &str, args: &[(&str, &str)]) -> (String, i32) {
    let rendered = display_error(&Error::new(message), &[], &ctx("email-activity"), &options(args));
    (rendered.stdout, rendered.exit_code)
}

#[test]
fn golden_errors() {
    for message in [
        "Need to specify --tenant option.",
        "mode 'foo' doesn't exist (use --list-mode option to show available modes).",
        "Wrong warning-active-users threshold 'abc'.",
        "Graph endpoint API return error code 'S2SUnauthorized' (add --debug option for detailed message)",
    ] {
        assert_eq!(error_of(message, &[]), (format!("UNKNOWN: {message} \n"), 3));
    }
}

#[test]
fn error_options() {
    assert_eq!(
        error_of("mode 'foo' doesn't exist", &[("opt-exit", "critical")]),
        ("CRITICAL: mode 'foo' doesn't exist \n".into(), 2)
    );
    assert_eq!(error_of("Wrong x.", &[("opt-exit", "ok")]), ("OK: Wrong x. \n".into(), 0));
    assert_eq!(error_of("x", &[("opt-exit", "pending")]), ("PENDING: x \n".into(), 4));
    assert_eq!(error_of("mode 'foo'", &[("change-exit", "unknown=ok")]), ("UNKNOWN: mode 'foo' \n".into(), 0));
    assert_eq!(error_of("mode 'foo'", &[("change-short-output", "UNKNOWN~ERR")]).0, "ERR: mode 'foo' \n");
    assert_eq!(
        error_of("mode 'foo'", &[("change-output-adv", "%{exit_code} == 3,Changed,ok")]),
        ("Changed\n".into(), 0)
    );
    assert_eq!(error_of("x", &[("output-ignore-label", "1")]).0, "x \n");
    let om = error_of("boom", &[("output-openmetrics", "1")]);
    assert_eq!(om, ("UNKNOWN: boom \n".into(), 3));
    let file = error_of("boom", &[("output-file", "/nonexistent/dir/x")]);
    assert_eq!(file.0, "UNKNOWN: boom \n");
}

#[test]
fn error_debug_lines_are_always_shown() {
    let error = Error::new("Cannot load module --plugin.");
    let rendered = display_error(&error, &["debug 1".into()], &ctx("m"), &options(&[]));
    assert_eq!(rendered.stdout, "UNKNOWN: Cannot load module --plugin. \ndebug 1\n");
}

/// Informational answers print as Perl's option exit: no label, the help texts after an
/// empty line, the `--opt-exit` status, the debug lines last.
#[test]
fn info_answers_have_no_label() {
    let help = Info { first_line: String::new(), lines: vec!["Usage:".into(), "    x".into()] };
    let rendered = display_info(&help, &["debug 1".into()], &ctx("m"), &options(&[]));
    assert_eq!((rendered.stdout.as_str(), rendered.exit_code), ("\nUsage:\n    x\ndebug 1\n", 3));
    let version = Info { first_line: "Plugin Version: 0.1".into(), lines: Vec::new() };
    let rendered = display_info(&version, &[], &ctx(""), &options(&[("opt-exit", "ok")]));
    assert_eq!((rendered.stdout.as_str(), rendered.exit_code), ("Plugin Version: 0.1 \n", 0));
    let rendered = display_info(&version, &[], &ctx(""), &options(&[("output-openmetrics", "1")]));
    assert_eq!(rendered.stdout, "Plugin Version: 0.1 \n", "OpenMetrics falls back to text");
    let rendered = display_info(&version, &[], &ctx(""), &options(&[("output-json", "1")]));
    assert!(rendered.stdout.contains(r#""Plugin Version: 0.1""#), "{}", rendered.stdout);
}

#[test]
fn golden_error_documents() {
    let message = "Graph endpoint API return error code 'S2SUnauthorized' (add --debug option for detailed message)";
    let json = error_of(message, &[("output-json", "1")]);
    assert_eq!((canonical_json(&json.0), json.1), (canonical_json(include_str!("testdata/o-json-error.json")), 3));
    let xml = error_of("mode 'foo'", &[("disco-show", "1")]);
    assert!(xml.0.contains("  <exit>unknown</exit>\n"), "{}", xml.0);
    assert!(xml.0.contains("<msg>UNKNOWN: mode 'foo'</msg>") && xml.0.contains("<perfdatas/>"));
    let crit = error_of("x", &[("output-json", "1"), ("opt-exit", "Critical")]);
    assert!(
        crit.0.contains("\"exit\":\"critical\"") && crit.0.contains("\"exit\":\"CRITICAL\",\"msg\":\"CRITICAL: x\"")
    );
}

#[test]
fn output_file_is_written_atomically_and_failures_are_reported() {
    let dir = std::env::temp_dir().join(format!("output-display-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let target = dir.join("out.txt");
    let path = target.to_string_lossy().to_string();
    let rendered = display(&email_activity(), &ctx("email-activity"), &options(&[("output-file", &path)]));
    assert_eq!((rendered.stdout.as_str(), rendered.exit_code), ("", 0));
    assert_eq!(std::fs::read_to_string(&target).unwrap(), ea_line(EA_PERF));
    std::fs::remove_dir_all(&dir).unwrap();

    let (stdout, exit) = show(&email_activity(), "email-activity", &[("output-file", "/nonexistent/dir/out.txt")]);
    let expected =
        format!("UNKNOWN: cannot open file  '/nonexistent/dir/out.txt': No such file or directory | {EA_PERF}\n");
    assert_eq!((stdout, exit), (expected, 3));
}

#[test]
fn listing_and_list_counters_options() {
    let listed = CheckResult {
        short: vec![ShortMessage { severity: Some(Status::Ok), text: "List services:".into() }],
        long: vec!["[service_id: EOP] [service_name: Exchange Online Protection]".into()],
        perfdata: email_activity_perfdata(),
    };
    let rendered = display(&listed, &ctx("list-services"), &options(&[]).listing());
    assert_eq!(rendered.stdout, "List services: \n[service_id: EOP] [service_name: Exchange Online Protection]\n");
    assert_eq!(rendered.exit_code, 0);
    let counters = CheckResult {
        short: vec![ShortMessage { severity: None, text: "counter list: a b".into() }],
        ..Default::default()
    };
    let rendered = display(&counters, &ctx("m"), &options(&[]).without_labels());
    assert_eq!((rendered.stdout.as_str(), rendered.exit_code), ("counter list: a b \n", 0));
}

/// What a server wrote (a service title with `|` and a line end, a NUL in a report
/// cell) prints on its own line without forging perfdata or lines, in the status line,
/// the long output and an error; the plugin's own help text is printed as it is.
#[test]
fn outside_texts_cannot_forge_perfdata_or_lines() {
    let result = CheckResult {
        short: vec![ShortMessage {
            severity: Some(Status::Critical),
            text: "Service 'Exchange | 'x'=1;;;; \nCRITICAL: fake' status".into(),
        }],
        long: vec!["cell a\0b\r\nc".into()],
        perfdata: vec![perf("used", "1", "B", "", "", "0", "")],
    };
    let (stdout, code) = show(&result, "service-status", &[("verbose", "")]);
    assert_eq!(
        stdout,
        "CRITICAL: Service 'Exchange ¦ 'x'=1;;;;  CRITICAL: fake' status | 'used'=1B;;;0;\ncell a b  c\n"
    );
    assert_eq!(code, 2);
    let error = display_error(&Error::new("answered 502: <b>a|b</b>\n\0"), &[], &ctx("m"), &options(&[]));
    assert_eq!(error.stdout, "UNKNOWN: answered 502: <b>a¦b</b>   \n");
    let help = Info { first_line: String::new(), lines: vec!["--cloud=usgov|china".into()] };
    assert_eq!(display_info(&help, &[], &ctx("m"), &options(&[])).stdout, "\n--cloud=usgov|china\n");
}
