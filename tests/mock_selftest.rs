//! The stand-in for Microsoft checked on its own, so that a golden failure
//! points at the plugin and not at the mock: it must answer as the stand-in the
//! golden cases were recorded against did, and as Microsoft's documentation says.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use std::collections::{BTreeMap, BTreeSet};

use crate::common::{http, HttpResponse};
use crate::mock::{
    iso_datetime, parse_iso_datetime, Fault, Framing, Host, MockGraph, Stream, Tenant, TraceSettings, Variant, STATUSES,
};
use serde_json::Value;

const BOM: &[u8] = b"\xef\xbb\xbf";
const SECRET_FORM: &str = "client_id=c1&client_secret=s3cr3t%2B%2F%3D%26%3F&grant_type=client_credentials";
const EMAIL_D7: &str = "/v1.0/reports/getEmailActivityUserDetail(period='D7')";
const EMAIL_DAY: &str = "/v1.0/reports/getEmailActivityUserDetail(date=2026-11-22)";
const MAILBOX_D7: &str = "/v1.0/reports/getMailboxUsageDetail(period='D7')";
const BEARER: (&str, &str) = ("Authorization", "Bearer tok-1");
const QUOTA_D7: &str = "/v1.0/reports/getMailboxUsageQuotaStatusMailboxCounts(period='D7')";
const APPS_D7: &str = "/v1.0/reports/getEmailAppUsageAppsUserCounts(period='D7')";
const APP_USER_D7: &str = "/v1.0/reports/getEmailAppUsageUserDetail(period='D7')";
const TRACES: &str = "/v1.0/admin/exchange/tracing/messageTraces";

fn fixture(name: &str) -> Vec<u8> {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests", "fixtures", "tenant40", name].iter().collect();
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn start(fault: Fault) -> MockGraph {
    MockGraph::builder().fault(fault).start().expect("the mock starts")
}

fn get(url: &str, headers: &[(&str, &str)]) -> HttpResponse {
    http("GET", url, headers, b"").unwrap_or_else(|e| panic!("GET {url}: {e}"))
}

fn json(response: &HttpResponse) -> Value {
    serde_json::from_slice(&response.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", response.text()))
}

/// The report call's redirect target.
fn location(mock: &MockGraph, report: &str) -> String {
    let answer = get(&format!("{}{report}", mock.url()), &[BEARER]);
    assert_eq!(answer.status, 302, "{}", answer.text());
    answer.header("Location").expect("a Location header").to_string()
}

/// Waits until the mock has logged a request on the download host, so that
/// a test stops the mock only once that request is being held.
fn wait_for_download(mock: &MockGraph) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !mock.requests().iter().any(|r| r.host == Host::Download) {
        assert!(Instant::now() < deadline, "the download never reached the mock");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn token_endpoints_answer_the_right_secret_only() {
    let mock = start(Fault::None);
    let v2 = format!("{}/t1/oauth2/v2.0/token", mock.url());
    let ok = http("POST", &v2, &[], SECRET_FORM.as_bytes()).expect("token call");
    assert_eq!(ok.status, 200);
    let body = json(&ok);
    assert_eq!(body["access_token"], "tok-1");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3599);

    let bad = http("POST", &v2, &[], b"client_id=c1&client_secret=wrong").expect("token call");
    assert_eq!(bad.status, 401);
    let body = json(&bad);
    assert_eq!(body["error"], "invalid_client");
    assert!(body["error_description"].as_str().is_some_and(|d| d.starts_with("AADSTS7000215")));

    let v1 = format!("{}/t1/oauth2/token", mock.url());
    let legacy = http("POST", &v1, &[], SECRET_FORM.as_bytes()).expect("token call");
    assert_eq!(legacy.status, 200);
    let body = json(&legacy);
    assert_eq!(body["access_token"], "tok-2");
    assert_eq!(body["expires_in"], "3599");
    assert_eq!(body["resource"], "https://manage.office.com");

    assert_eq!(mock.token_requests(), 3);
    let bad_secret = start(Fault::BadSecret);
    let url = format!("{}/t1/oauth2/v2.0/token", bad_secret.url());
    let refused = http("POST", &url, &[], SECRET_FORM.as_bytes()).expect("token call");
    assert_eq!(refused.status, 401);
}

#[test]
fn report_call_redirects_to_the_download_port_which_serves_the_bom_csv() {
    let mock = start(Fault::None);
    let unauthenticated = get(&format!("{}{EMAIL_D7}", mock.url()), &[]);
    assert_eq!(unauthenticated.status, 401);
    assert_eq!(json(&unauthenticated)["error"]["code"], "InvalidAuthenticationToken");

    for (report, file) in [(EMAIL_D7, "email_D7.csv"), (EMAIL_DAY, "email_daily.csv"), (MAILBOX_D7, "mailbox_D7.csv")] {
        let target = location(&mock, report);
        assert!(target.starts_with("http://127.0.0.1:") && target.ends_with(&format!("/download/{file}")), "{target}");
        assert!(!target.starts_with(&format!("{}/", mock.url())), "{target}");
        let csv = get(&target, &[]);
        assert_eq!(csv.status, 200);
        assert!(csv.body.starts_with(BOM));
        assert_eq!(csv.body, fixture(file));
        assert_eq!(csv.header("Content-Length"), Some(csv.body.len().to_string().as_str()));
    }
    assert_eq!(mock.report_requests(), 3);
    let downloads: Vec<_> = mock.requests().into_iter().filter(|r| r.host == Host::Download).collect();
    assert_eq!(downloads.len(), 3);
    assert!(downloads.iter().all(|r| !r.authorization && r.method == "GET"));
}

#[test]
fn once_faults_fail_the_first_report_call_only() {
    for (fault, status, code) in [
        (Fault::TooManyRequestsOnce, 429, "TooManyRequests"),
        (Fault::ServiceUnavailableOnce, 503, "ServiceUnavailable"),
        (Fault::ExpiredTokenOnce, 401, "InvalidAuthenticationToken"),
    ] {
        let mock = start(fault);
        let first = get(&format!("{}{EMAIL_D7}", mock.url()), &[BEARER]);
        assert_eq!(first.status, status, "{fault}");
        assert_eq!(json(&first)["error"]["code"], code, "{fault}");
        if status != 401 {
            assert_eq!(first.header("Retry-After"), Some("1"), "{fault}");
        }
        location(&mock, EMAIL_D7);
        assert_eq!(mock.report_requests(), 2);
    }
    let always = start(Fault::TooManyRequestsAlways);
    for _ in 0..2 {
        let answer = get(&format!("{}{EMAIL_D7}", always.url()), &[BEARER]);
        assert_eq!(answer.status, 429);
    }
}

#[test]
fn error_faults_answer_as_microsoft_does() {
    for (fault, status, code) in
        [(Fault::ServerError, 500, "InternalServerError"), (Fault::Forbidden, 403, "S2SUnauthorized")]
    {
        let mock = start(fault);
        let answer = get(&format!("{}{MAILBOX_D7}", mock.url()), &[BEARER]);
        assert_eq!(answer.status, status);
        assert_eq!(json(&answer)["error"]["code"], code);
    }
    let html = start(Fault::HtmlError);
    let answer = get(&format!("{}{MAILBOX_D7}", html.url()), &[BEARER]);
    assert_eq!(answer.status, 502);
    assert_eq!(answer.header("Content-Type"), Some("text/html"));
}

#[test]
fn strict_download_refuses_a_bearer_token() {
    let mock = start(Fault::StrictDownload);
    let target = location(&mock, EMAIL_D7);
    let with_token = get(&target, &[BEARER]);
    assert_eq!(with_token.status, 400);
    let without = get(&target, &[]);
    assert_eq!(without.status, 200);
    let flags: Vec<bool> =
        mock.requests().iter().filter(|r| r.host == Host::Download).map(|r| r.authorization).collect();
    assert_eq!(flags, [true, false]);
}

#[test]
fn download_faults_change_the_csv() {
    let original = fixture("email_D7.csv");
    let body = |fault| {
        let mock = start(fault);
        let target = location(&mock, EMAIL_D7);
        get(&target, &[]).body
    };
    let header_of = |csv: &[u8]| {
        let text = String::from_utf8_lossy(csv.strip_prefix(BOM).expect("a BOM"));
        text.split("\r\n").next().unwrap_or_default().to_string()
    };
    let truncated = body(Fault::Truncated);
    assert!(truncated.ends_with(b"\"unterminated"));
    assert_eq!(truncated.len(), original.len() / 2 + "\"unterminated".len());
    assert!(body(Fault::NotCsv).starts_with(b"<html>"));
    let missing = header_of(&body(Fault::MissingColumn));
    assert!(!missing.contains("Send Count") && missing.contains("Receive Count"));
    let reordered = header_of(&body(Fault::ReorderedColumns));
    assert!(reordered.starts_with("Report Period,Assigned Products,"));
    assert!(reordered.ends_with(",Report Refresh Date"));
    let empty = body(Fault::EmptyReport);
    assert_eq!(String::from_utf8_lossy(&empty).matches("\r\n").count(), 1);
}

#[test]
fn health_pages_are_joined_by_next_link() {
    let want = serde_json::from_slice::<Value>(&fixture("health.json")).expect("JSON fixture");
    let mock = start(Fault::None);
    let first =
        json(&get(&format!("{}/v1.0/admin/serviceAnnouncement/healthOverviews?$expand=issues", mock.url()), &[BEARER]));
    let next = first["@odata.nextLink"].as_str().expect("a next link");
    assert!(next.starts_with(&format!("{}/", mock.url())), "{next}");
    let second = json(&get(next, &[BEARER]));
    assert!(second.get("@odata.nextLink").is_none());
    let mut all = first["value"].as_array().cloned().unwrap_or_default();
    assert_eq!(all.len(), 3);
    all.extend(second["value"].as_array().cloned().unwrap_or_default());
    assert_eq!(Value::Array(all), want["value"]);

    let one_page = start(Fault::OnePage);
    let single = json(&get(
        &format!("{}/v1.0/admin/serviceAnnouncement/healthOverviews?$expand=issues", one_page.url()),
        &[BEARER],
    ));
    assert!(single.get("@odata.nextLink").is_none());
    assert_eq!(single["value"], want["value"]);

    let legacy = get(&format!("{}/api/v1.0/t1/ServiceComms/CurrentStatus", mock.url()), &[BEARER]);
    let want_legacy = serde_json::from_slice::<Value>(&fixture("health_legacy.json")).expect("JSON");
    assert_eq!(json(&legacy), want_legacy);
}

#[test]
fn generated_tenant_is_the_python_generators() {
    let tenant = Tenant::generated(40, 7);
    for name in [
        "email_D7.csv",
        "email_daily.csv",
        "mailbox_D7.csv",
        "empty_email_D7.csv",
        "empty_email_daily.csv",
        "empty_mailbox_D7.csv",
    ] {
        let made = tenant.file(name).expect("generated");
        assert!(made.as_slice() == fixture(name).as_slice(), "{name} differs");
    }
    for name in ["health.json", "health_legacy.json"] {
        let made: Value = serde_json::from_slice(tenant.file(name).expect("generated")).expect("JSON");
        let want: Value = serde_json::from_slice(&fixture(name)).expect("JSON");
        assert_eq!(made, want, "{name}");
    }
}

#[test]
fn generated_tenant_of_1000_users_is_served() {
    let mock = MockGraph::builder().tenant(Tenant::generated(1000, 11)).start().expect("the mock starts");
    for report in [EMAIL_D7, MAILBOX_D7] {
        let csv = get(&location(&mock, report), &[]);
        assert_eq!(csv.status, 200);
        assert!(csv.body.starts_with(BOM));
        let text = String::from_utf8(csv.body).expect("UTF-8");
        let rows: Vec<&str> = text.split_terminator("\r\n").collect();
        assert_eq!(rows.len(), 1001, "{report}");
        assert!(rows[97].split(',').nth(1).is_some_and(
            |upn| upn.len() == 32 && upn.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_lowercase())
        ));
        assert!(rows.iter().any(|r| r.contains(",True,")), "deleted users");
        assert!(rows.iter().any(|r| r.contains('"')), "quoted names");
    }
}

#[test]
fn slow_download_is_cut_short_when_the_mock_stops() {
    let mock = start(Fault::Slow);
    let target = location(&mock, EMAIL_D7);
    let client = std::thread::spawn(move || get(&target, &[]).status);
    wait_for_download(&mock);
    drop(mock);
    // Held back and then released without its answer, never the CSV.
    assert_eq!(client.join().expect("the client thread"), 500);
}

#[test]
fn stalled_download_sends_headers_and_no_body_until_the_mock_stops() {
    let mock = start(Fault::Stall);
    let target = location(&mock, EMAIL_D7);
    let authority = target.trim_start_matches("http://").split('/').next().unwrap_or_default().to_string();
    let mut stream = TcpStream::connect(&authority).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
    write!(stream, "GET /download/email_D7.csv HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n")
        .expect("request");
    let mut reader = BufReader::new(stream);
    let mut head = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).expect("headers arrive");
        if line == "\r\n" || line.is_empty() {
            break;
        }
        head.push(line.trim_end().to_string());
    }
    assert_eq!(head.first().map(String::as_str), Some("HTTP/1.1 200 OK"));
    let length: usize = head
        .iter()
        .find_map(|h| h.strip_prefix("Content-Length: "))
        .and_then(|n| n.parse().ok())
        .expect("a Content-Length");
    assert!(length > 0);
    drop(mock);
    let mut body = Vec::new();
    reader.read_to_end(&mut body).expect("the connection closes once the mock stops");
    assert!(body.len() < length);
}

#[test]
fn every_fault_parses_from_its_golden_name() {
    for fault in Fault::ALL {
        assert_eq!(fault.name().parse::<Fault>(), Ok(fault));
    }
    assert!("no-such-fault".parse::<Fault>().is_err());
    assert!(Fault::ServiceUnavailableOnce.acts_once() && !Fault::Stall.acts_once());
    assert_eq!("iso-dates".parse::<Variant>(), Ok(Variant::IsoDates));
    assert!("no-such-variant".parse::<Variant>().is_err());
}

/// A CSV download as rows of cells (BOM and CRLF checked and removed).
fn csv_rows(body: &[u8]) -> Vec<Vec<String>> {
    let text = std::str::from_utf8(body.strip_prefix(BOM).expect("a BOM")).expect("UTF-8");
    assert!(text.ends_with("\r\n") && !text.replace("\r\n", "").contains('\n'), "CRLF rows");
    text.split_terminator("\r\n").map(split_csv_line).collect()
}

/// One CSV line's cells (quoted cells with doubled quotes; no line breaks inside).
fn split_csv_line(line: &str) -> Vec<String> {
    let (mut cells, mut cell, mut quoted, mut chars) = (Vec::new(), String::new(), false, line.chars().peekable());
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            '"' => quoted = !quoted,
            ',' if !quoted => cells.push(std::mem::take(&mut cell)),
            _ => cell.push(c),
        }
    }
    cells.push(cell);
    cells
}

/// The report's rows, fetched through its redirect.
fn report_rows(mock: &MockGraph, report: &str) -> Vec<Vec<String>> {
    let csv = get(&location(mock, report), &[]);
    assert_eq!(csv.status, 200, "{report}");
    csv_rows(&csv.body)
}

fn cell<'a>(rows: &'a [Vec<String>], row: &'a [String], name: &str) -> &'a str {
    let i = rows[0].iter().position(|c| c == name).unwrap_or_else(|| panic!("no column {name}"));
    &row[i]
}

#[test]
fn new_reports_serve_the_documented_columns_through_a_redirect() {
    let mock = start(Fault::None);
    let apps = "Mail For Mac,Outlook For Mac,Outlook For Windows,Outlook For Mobile,Other For Mobile,Outlook For Web,POP3 App,IMAP4 App,SMTP App";
    for (report, name, head) in [
        (
            QUOTA_D7,
            "getMailboxUsageQuotaStatusMailboxCounts",
            "Report Refresh Date,Under Limit,Warning Issued,Send Prohibited,Send/Receive Prohibited,Indeterminate,Report Date,Report Period".to_string(),
        ),
        (APPS_D7, "getEmailAppUsageAppsUserCounts", format!("Report Refresh Date,{apps},Report Period")),
        (
            APP_USER_D7,
            "getEmailAppUsageUserDetail",
            format!("Report Refresh Date,User Principal Name,Display Name,Is Deleted,Deleted Date,Last Activity Date,{apps},Report Period"),
        ),
    ] {
        let target = location(&mock, report);
        assert!(!target.starts_with(&format!("{}/", mock.url())), "{target}");
        assert_eq!(report_rows(&mock, report)[0].join(","), head, "{report}");
        assert_eq!((mock.report_calls(name), mock.downloads(name)), (2, 1), "{name}");
    }
    assert_eq!(mock.report_calls("getMailboxUsageDetail"), 0);
    let unauthenticated = get(&format!("{}{QUOTA_D7}", mock.url()), &[]);
    assert_eq!(unauthenticated.status, 401);
}

#[test]
fn new_reports_take_the_documented_parameters_only() {
    let mock = start(Fault::None);
    for (report, status) in [
        ("getMailboxUsageQuotaStatusMailboxCounts(period='D180')", 302),
        ("getMailboxUsageQuotaStatusMailboxCounts(period='D8')", 400),
        ("getMailboxUsageQuotaStatusMailboxCounts(date=2026-11-20)", 400),
        ("getEmailAppUsageAppsUserCounts(period=D7)", 400),
        ("getEmailAppUsageUserDetail(date=2026-11-20)", 302),
        ("getEmailAppUsageUserDetail(date=2026-13-20)", 400),
    ] {
        let answer = get(&format!("{}/v1.0/reports/{report}", mock.url()), &[BEARER]);
        assert_eq!(answer.status, status, "{report}: {}", answer.text());
        if status == 400 {
            assert_eq!(json(&answer)["error"]["code"], "BadRequest");
        }
    }
}

#[test]
fn quota_counts_agree_with_the_mailbox_report_on_the_latest_day() {
    let mock = start(Fault::None);
    let mailboxes = report_rows(&mock, MAILBOX_D7);
    let active = mailboxes[1..].iter().filter(|r| cell(&mailboxes, r, "Is Deleted") != "True").count();
    let rows = report_rows(&mock, QUOTA_D7);
    assert_eq!(rows.len(), 8);
    let counts = |row: &[String]| -> Vec<usize> { row[1..6].iter().map(|c| c.parse().expect("a count")).collect() };
    // tenant40 on 2026-11-22: one mailbox past its send quota, three past send/receive.
    assert_eq!(counts(&rows[1]), [36, 0, 1, 3, 0]);
    assert_eq!(cell(&rows, &rows[1], "Report Date"), "2026-11-22");
    let dates: Vec<&str> = rows[1..].iter().map(|r| cell(&rows, r, "Report Date")).collect();
    assert!(dates.windows(2).all(|w| w[0] > w[1]), "latest first: {dates:?}");
    for row in &rows[1..] {
        assert_eq!(counts(row).iter().sum::<usize>(), active);
        assert_eq!(cell(&rows, row, "Report Refresh Date"), "2026-11-22");
        assert_eq!(cell(&rows, row, "Report Period"), "7");
    }
    assert!(rows[2..].iter().all(|r| counts(r) != counts(&rows[1])), "only the latest day matches the mailboxes");
    assert!((1..4).all(|status| rows[1..].iter().any(|r| counts(r)[status] > 0)), "every level shows");
}

#[test]
fn app_usage_reports_agree_with_the_email_activity_users() {
    let mock = start(Fault::None);
    let email = report_rows(&mock, EMAIL_D7);
    let users = report_rows(&mock, APP_USER_D7);
    let upns = |rows: &[Vec<String>]| {
        rows[1..].iter().map(|r| cell(rows, r, "User Principal Name").to_string()).collect::<Vec<_>>()
    };
    assert_eq!(upns(&users), upns(&email));
    for (user, activity) in users[1..].iter().zip(&email[1..]) {
        assert_eq!(cell(&users, user, "Report Refresh Date"), "2026-11-22T00:00:00Z");
        let last = cell(&email, activity, "Last Activity Date");
        let want = if last.is_empty() { String::new() } else { format!("{last}T00:00:00Z") };
        assert_eq!(cell(&users, user, "Last Activity Date"), want);
        if last.is_empty() {
            assert!(user[6..15].iter().all(String::is_empty), "an inactive user uses no app");
        }
    }
    let counts = report_rows(&mock, APPS_D7);
    assert_eq!(counts.len(), 2);
    for (i, app) in crate::mock::APP_COLS.iter().enumerate() {
        let using = users[1..].iter().filter(|r| !r[6 + i].is_empty()).count();
        assert_eq!(cell(&counts, &counts[1], app), using.to_string(), "{app}");
        assert!(using > 0, "{app} has users");
    }
}

#[test]
fn variants_conceal_names_write_date_times_and_move_the_refresh_date() {
    let plain = start(Fault::None);
    let original = report_rows(&plain, MAILBOX_D7);
    let mock = MockGraph::builder()
        .variant(Variant::ConcealedNames)
        .variant(Variant::IsoDates)
        .variant(Variant::RefreshDate(crate::mock::utc_date_days_ago(3)))
        .start()
        .expect("the mock starts");
    let mailboxes = report_rows(&mock, MAILBOX_D7);
    let email = report_rows(&mock, EMAIL_D7);
    let upns: Vec<&str> = mailboxes[1..].iter().map(|r| cell(&mailboxes, r, "User Principal Name")).collect();
    let hex = |u: &str| u.len() == 32 && u.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_lowercase());
    assert!(upns.iter().any(|u| hex(u)), "32-hex names");
    assert!(upns.iter().any(|u| u.starts_with("<PII:H105(") && u.ends_with("=)>@contoso.onmicrosoft.com")));
    assert!(upns.contains(&"(Unknown)"));
    assert!(upns.iter().any(|u| u.starts_with("user0")), "some names stay");
    let mut seen = BTreeMap::new();
    for upn in upns.iter().filter(|u| hex(u)) {
        *seen.entry(*upn).or_insert(0) += 1;
    }
    assert!(seen.values().any(|n| *n > 1), "one hash shared by several users");
    // A user is concealed alike in every report.
    let email_upns: Vec<&str> = email[1..].iter().map(|r| cell(&email, r, "User Principal Name")).collect();
    assert_eq!(email_upns, upns);
    let refresh = format!("{}T00:00:00Z", crate::mock::utc_date_days_ago(3));
    for (row, before) in mailboxes[1..].iter().zip(&original[1..]) {
        assert_eq!(cell(&mailboxes, row, "Report Refresh Date"), refresh);
        assert_eq!(
            cell(&mailboxes, row, "Created Date"),
            format!("{}T00:00:00Z", cell(&original, before, "Created Date"))
        );
        assert_eq!(cell(&mailboxes, row, "Storage Used (Byte)"), cell(&original, before, "Storage Used (Byte)"));
    }
    let quota = report_rows(&mock, QUOTA_D7);
    assert_eq!(cell(&quota, &quota[1], "Report Date"), refresh);
    // The golden fixtures stay as recorded without a variant.
    assert_eq!(get(&location(&plain, MAILBOX_D7), &[]).body, fixture("mailbox_D7.csv"));
}

#[test]
fn new_reports_follow_the_download_faults() {
    for (fault, check) in
        [(Fault::EmptyReport, "header only"), (Fault::Truncated, "cut"), (Fault::ReorderedColumns, "reversed")]
    {
        let mock = start(fault);
        let body = get(&location(&mock, QUOTA_D7), &[]).body;
        let text = String::from_utf8_lossy(&body).into_owned();
        match fault {
            Fault::EmptyReport => assert_eq!(text.matches("\r\n").count(), 1, "{check}"),
            Fault::Truncated => assert!(text.ends_with("\"unterminated"), "{check}"),
            _ => assert!(text.trim_start_matches('\u{feff}').starts_with("Report Period,Report Date,"), "{check}"),
        }
    }
    let forbidden = start(Fault::Forbidden);
    let answer = get(&format!("{}{APPS_D7}", forbidden.url()), &[BEARER]);
    assert_eq!((answer.status, json(&answer)["error"]["code"].as_str()), (403, Some("S2SUnauthorized")));
}

/// A message trace URL for `query` (spaces percent-encoded, as a client sends them).
fn trace_url(mock: &MockGraph, query: &str) -> String {
    format!("{}{TRACES}?{}", mock.url(), query.replace(' ', "%20"))
}

/// `receivedDateTime ge START and receivedDateTime le END` for seconds before the anchor.
fn window(mock: &MockGraph, from: i64, to: i64) -> String {
    let anchor = mock.trace_anchor();
    format!("receivedDateTime ge {} and receivedDateTime le {}", iso_datetime(anchor - from), iso_datetime(anchor - to))
}

/// Every message of a listing, following the whole `@odata.nextLink`, and the pages' count.
fn all_pages(url: &str, headers: &[(&str, &str)]) -> (Vec<Value>, usize) {
    let (mut messages, mut pages, mut next) = (Vec::new(), 0, Some(url.to_string()));
    while let Some(url) = next.take() {
        let answer = get(&url, headers);
        assert_eq!(answer.status, 200, "{url}: {}", answer.text());
        let body = json(&answer);
        messages.extend(body["value"].as_array().cloned().unwrap_or_default());
        next = body["@odata.nextLink"].as_str().map(str::to_string);
        pages += 1;
    }
    (messages, pages)
}

#[test]
fn message_trace_pages_a_window_through_the_whole_next_link() {
    let mock = start(Fault::None);
    // Minutes 11 to 60 before the anchor, 3 messages each: messages 30 to 179.
    let filter = window(&mock, 3601, 600);
    let (messages, pages) = all_pages(&trace_url(&mock, &format!("$filter={filter}&$top=40")), &[BEARER]);
    assert_eq!((messages.len(), pages), (150, 4));
    let ids: BTreeSet<&str> = messages.iter().filter_map(|m| m["id"].as_str()).collect();
    assert_eq!(ids.len(), 150, "no message twice");
    let times: Vec<i64> = messages
        .iter()
        .map(|m| parse_iso_datetime(m["receivedDateTime"].as_str().unwrap_or_default()).expect("a time"))
        .collect();
    assert!(times.windows(2).all(|w| w[0] > w[1]), "newest first");
    let anchor = mock.trace_anchor();
    assert!(times.iter().all(|t| (anchor - 3601..=anchor - 600).contains(t)));
    let mut want = BTreeMap::new();
    for n in 30..180 {
        let status = match Stream::status(n) {
            "recalled" => "unknownFutureValue",
            other => other,
        };
        *want.entry(status.to_string()).or_insert(0) += 1;
    }
    let mut got = BTreeMap::new();
    for message in &messages {
        *got.entry(message["status"].as_str().unwrap_or_default().to_string()).or_insert(0) += 1;
    }
    assert_eq!(got, want);
    assert_eq!(got.len(), STATUSES.len() - 1, "every status but recalled: {got:?}");
    for message in &messages {
        for field in [
            "id",
            "senderAddress",
            "recipientAddress",
            "messageId",
            "receivedDateTime",
            "subject",
            "fromIP",
            "toIP",
            "status",
        ] {
            assert!(message[field].is_string(), "{field}: {message}");
        }
        assert!(message["size"].is_u64());
    }
    let log = mock.trace_log();
    assert_eq!(mock.message_trace_requests(), 4);
    assert_eq!(log.iter().map(|c| c.returned).sum::<usize>(), 150);
    assert_eq!(log.iter().filter(|c| c.next_link).count(), 3);
    let mut logged = BTreeMap::new();
    for (status, n) in log.iter().flat_map(|c| c.by_status.clone()) {
        *logged.entry(status).or_insert(0) += n;
    }
    assert_eq!(logged, want);
    assert!(log
        .iter()
        .all(|c| c.window == Some((anchor - 3601, anchor - 600)) && c.query.contains("receivedDateTime ge")));
}

#[test]
fn message_trace_filters_on_sender_recipient_status_and_subject() {
    let mock = start(Fault::None);
    let range = window(&mock, 86_400, 600);
    let user = "user000003@contoso.onmicrosoft.com";
    for (clause, check) in [
        (format!("senderAddress eq '{}'", user.to_uppercase()), ("senderAddress", user)),
        (format!("recipientAddress eq '{user}'"), ("recipientAddress", user)),
        ("status eq 'failed'".to_string(), ("status", "failed")),
        ("status eq 'quarantined'".to_string(), ("status", "quarantined")),
        ("startsWith(subject, 'weekly')".to_string(), ("subject", "Weekly digest: updates for your team")),
    ] {
        let (messages, _) = all_pages(&trace_url(&mock, &format!("$filter={range} and {clause}")), &[BEARER]);
        assert!(!messages.is_empty(), "{clause}");
        assert!(messages.iter().all(|m| m[check.0] == check.1), "{clause}");
    }
    let (both, _) = all_pages(
        &trace_url(&mock, &format!("$filter=({range}) and senderAddress eq '{user}' and status eq 'delivered'")),
        &[BEARER],
    );
    assert!(both.iter().all(|m| m["senderAddress"] == user && m["status"] == "delivered"));
}

#[test]
fn message_trace_refuses_what_the_api_refuses() {
    let mock = start(Fault::None);
    let anchor = mock.trace_anchor();
    let at = |back: i64| iso_datetime(anchor - back);
    for query in [
        format!("$filter=receivedDateTime ge {}", at(3600)),
        format!("$filter=receivedDateTime ge {} and receivedDateTime le {}", at(11 * 86_400), at(0)),
        format!("$filter=receivedDateTime ge {} and receivedDateTime le {}", at(91 * 86_400), at(88 * 86_400)),
        format!("$filter=receivedDateTime ge {} and receivedDateTime le {}", at(3600), at(-3600)),
        format!("$filter=receivedDateTime ge '{}' and receivedDateTime le {}", at(3600), at(0)),
        format!("$filter=receivedDateTime ge {} and receivedDateTime le {}", at(0), at(3600)),
        "$filter=receivedDateTime ge yesterday and receivedDateTime le today".to_string(),
        "$filter=status eq 'lost'".to_string(),
        "$filter=status eq 'failed' or status eq 'pending'".to_string(),
        "$filter=senderAddress ne 'a@b.c'".to_string(),
        "$filter=size eq 5".to_string(),
        "$top=0".to_string(),
        "$top=5001".to_string(),
        "$select=status".to_string(),
        "$skiptoken=zz".to_string(),
    ] {
        let answer = get(&trace_url(&mock, &query), &[BEARER]);
        assert_eq!(answer.status, 400, "{query}: {}", answer.text());
        let body = json(&answer);
        assert_eq!(body["error"]["code"], "BadRequest", "{query}");
        assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()));
        assert!(body["error"]["innerError"]["request-id"].is_string());
    }
    let log = mock.trace_log();
    assert_eq!(log.len(), 15);
    assert!(log.iter().all(|c| c.status == 400 && c.returned == 0));
}

#[test]
fn message_trace_defaults_to_48_hours_and_1000_per_page() {
    let mock = start(Fault::None);
    let answer = get(&trace_url(&mock, ""), &[BEARER]);
    assert_eq!(answer.status, 200);
    let body = json(&answer);
    assert_eq!(body["value"].as_array().map(Vec::len), Some(1000));
    assert!(body["@odata.nextLink"].as_str().is_some_and(|l| l.contains("$skiptoken=")));
    assert!(body["@odata.context"]
        .as_str()
        .is_some_and(|c| c.ends_with("$metadata#admin/exchange/tracing/messageTraces")));
    let unix_now = || {
        let elapsed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("after 1970");
        i64::try_from(elapsed.as_secs()).expect("a 64-bit time")
    };
    let before = unix_now();
    let (all, _) = all_pages(&trace_url(&mock, "$top=5000"), &[BEARER]);
    let after = unix_now();
    let newest = parse_iso_datetime(all[0]["receivedDateTime"].as_str().unwrap_or_default()).expect("a time");
    let oldest =
        parse_iso_datetime(all[all.len() - 1]["receivedDateTime"].as_str().unwrap_or_default()).expect("a time");
    // Younger than the 5 minutes' lag is not visible yet; older than 48 hours is out.
    assert!(newest <= after - 300 && newest > mock.trace_anchor() - 360, "{newest}");
    assert!(oldest >= before - 48 * 3600 && oldest < before - 48 * 3600 + 60, "{oldest}");
    // 48 hours less the lag, 3 a minute, give or take the minute the window's edges cut.
    assert!(all.len().abs_diff(48 * 60 * 3 - 5 * 3) <= 3, "{}", all.len());
}

#[test]
fn message_trace_pages_of_5000_and_the_lag_follow_the_settings() {
    let settings = TraceSettings { per_minute: 100, lag_secs: 0, limit: 100 };
    let mock = MockGraph::builder().traces(settings).start().expect("the mock starts");
    let (messages, pages) =
        all_pages(&trace_url(&mock, &format!("$filter={}&$top=5000", window(&mock, 3600, 0))), &[BEARER]);
    assert_eq!((messages.len(), pages), (6000, 2));
    let log = mock.trace_log();
    assert_eq!(log.iter().map(|c| c.returned).collect::<Vec<_>>(), [5000, 1000]);
}

#[test]
fn message_trace_shows_recalled_only_to_who_asks_for_unknown_members() {
    let mock = start(Fault::None);
    let url = trace_url(&mock, &format!("$filter={}", window(&mock, 86_400, 600)));
    let statuses = |headers: &[(&str, &str)]| -> BTreeSet<String> {
        all_pages(&url, headers).0.iter().filter_map(|m| m["status"].as_str().map(str::to_string)).collect()
    };
    let plain = statuses(&[BEARER]);
    assert!(plain.contains("unknownFutureValue") && !plain.contains("recalled"));
    let asked = statuses(&[BEARER, ("Prefer", "include-unknown-enum-members")]);
    assert!(asked.contains("recalled") && !asked.contains("unknownFutureValue"));
    let beta = get(&format!("{}/beta/admin/exchange/tracing/messageTraces?$top=200", mock.url()), &[BEARER]);
    let beta: BTreeSet<String> = json(&beta)["value"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["status"].as_str().map(str::to_string))
        .collect();
    assert!(beta.contains("Delivered") && !beta.contains("delivered"), "{beta:?}");
}

#[test]
fn message_trace_throttles_past_its_request_budget() {
    let mock = MockGraph::builder()
        .traces(TraceSettings { limit: 3, ..TraceSettings::default() })
        .start()
        .expect("the mock starts");
    let url = trace_url(&mock, "$top=1");
    for _ in 0..3 {
        assert_eq!(get(&url, &[BEARER]).status, 200);
    }
    let refused = get(&url, &[BEARER]);
    assert_eq!(refused.status, 429);
    assert_eq!(json(&refused)["error"]["code"], "TooManyRequests");
    let wait: u64 = refused.header("Retry-After").and_then(|w| w.parse().ok()).expect("a Retry-After");
    assert!((1..=300).contains(&wait), "{wait}");
    assert_eq!(mock.message_trace_requests(), 4);
    assert_eq!(mock.trace_log().last().map(|c| c.status), Some(429));
    assert_eq!(mock.report_requests(), 0, "message trace is not a report");
}

#[test]
fn message_trace_follows_the_api_faults() {
    for (fault, status, code) in [
        (Fault::TraceUnprovisioned, 401, "Unauthorized"),
        (Fault::Forbidden, 403, "Forbidden"),
        (Fault::ServerError, 500, "InternalServerError"),
        (Fault::TooManyRequestsOnce, 429, "TooManyRequests"),
        (Fault::ExpiredTokenOnce, 401, "InvalidAuthenticationToken"),
    ] {
        let mock = start(fault);
        let answer = get(&trace_url(&mock, "$top=1"), &[BEARER]);
        assert_eq!(answer.status, status, "{fault}");
        assert_eq!(json(&answer)["error"]["code"], code, "{fault}");
        let again = get(&trace_url(&mock, "$top=1"), &[BEARER]).status;
        assert_eq!(again == 200, fault.acts_once(), "{fault}");
    }
    let unprovisioned = start(Fault::TraceUnprovisioned);
    // The reports behave: `location` asserts their redirect.
    location(&unprovisioned, QUOTA_D7);
    let unauthenticated = get(&trace_url(&unprovisioned, "$top=1"), &[]);
    assert_eq!(unauthenticated.status, 401);
    assert_eq!(unprovisioned.message_trace_requests(), 0);
}

/// The raw answer to a GET of `url` (`http://127.0.0.1:PORT/path`), read until the
/// server closes the connection: its head (lower-cased) and its body bytes as sent.
fn raw_get(url: &str) -> (String, Vec<u8>) {
    let rest = url.strip_prefix("http://").expect("an http:// URL");
    let (authority, path) = rest.split_at(rest.find('/').expect("a path"));
    let mut stream = TcpStream::connect(authority).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n").expect("request");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).expect("the answer, up to the close");
    let end = answer.windows(4).position(|w| w == b"\r\n\r\n").expect("a head") + 4;
    (String::from_utf8_lossy(&answer[..end]).to_ascii_lowercase(), answer[end..].to_vec())
}

#[test]
fn downloads_are_framed_as_asked_and_cut_after_a_whole_record() {
    let whole = fixture("mailbox_D7.csv");
    for framing in [Framing::Length, Framing::Chunked, Framing::Close, Framing::LengthCut, Framing::ChunkedCut] {
        let mock = MockGraph::builder().framing(framing).start().expect("the mock starts");
        let url = location(&mock, MAILBOX_D7);
        let (head, body) = raw_get(&url);
        let length = head.contains(&format!("content-length: {}\r\n", whole.len()));
        let chunked = head.contains("transfer-encoding: chunked\r\n");
        match framing {
            Framing::Length => assert!(length && !chunked && body == whole, "{framing:?}: {head}"),
            Framing::Close => {
                assert!(!head.contains("content-length") && !chunked && body == whole, "{framing:?}: {head}")
            }
            Framing::Chunked => {
                assert!(chunked && !length, "{framing:?}: {head}");
                assert_eq!(get(&url, &[]).body, whole, "the chunks make the whole report");
            }
            Framing::LengthCut => {
                assert!(length && body.len() < whole.len() && whole.starts_with(&body), "{framing:?}: {head}");
                assert!(body.ends_with(b"\r\n") && body.len() >= whole.len() / 2, "cut after a whole record");
            }
            Framing::ChunkedCut => {
                assert!(chunked, "{framing:?}: {head}");
                let (size, chunk) = std::str::from_utf8(&body).expect("UTF-8").split_once("\r\n").expect("a chunk");
                let chunk = chunk.strip_suffix("\r\n").expect("a whole chunk, and no more").as_bytes();
                assert_eq!(usize::from_str_radix(size, 16), Ok(chunk.len()));
                assert!(chunk.ends_with(b"\r\n") && whole.starts_with(chunk) && chunk.len() < whole.len());
                assert!(http("GET", &url, &[], b"").is_err(), "the last chunk never comes");
            }
        }
        assert!(mock.downloads("getMailboxUsageDetail") >= 1, "{framing:?}: counted");
    }
}

#[test]
fn variants_drop_the_last_line_end_and_resolve_every_issue() {
    let mock = MockGraph::builder()
        .variant(Variant::NoFinalLineEnd)
        .variant(Variant::IssuesResolved)
        .start()
        .expect("the mock starts");
    let whole = fixture("mailbox_D7.csv");
    assert_eq!(get(&location(&mock, MAILBOX_D7), &[]).body, whole.strip_suffix(b"\r\n").expect("CRLF"));
    let health = |mock: &MockGraph| {
        let url = format!("{}/v1.0/admin/serviceAnnouncement/healthOverviews?$expand=issues", mock.url());
        let first = json(&get(&url, &[BEARER]));
        let second = json(&get(first["@odata.nextLink"].as_str().expect("a next link"), &[BEARER]));
        [first, second]
            .iter()
            .flat_map(|page| page["value"].as_array().cloned().unwrap_or_default())
            .collect::<Vec<_>>()
    };
    let services = health(&mock);
    assert_eq!(services.len(), 6);
    for service in &services {
        let issues = service["issues"].as_array().expect("issues");
        assert!(!issues.is_empty() && issues.iter().all(|i| i["isResolved"] == true), "{service}");
    }
    let plain = health(&start(Fault::None));
    let statuses = |services: &[Value]| services.iter().map(|s| s["status"].clone()).collect::<Vec<_>>();
    assert_eq!(statuses(&services), statuses(&plain), "the services' statuses stay");
    for name in ["no-final-line-end", "issues-resolved"] {
        assert_eq!(name.parse::<Variant>().map(|v| v.name()), Ok(name));
    }
}

/// The scripted host answers each request with the bytes its function makes, as
/// they are, and logs which of its hosts got what.
#[test]
fn the_scripted_host_answers_the_bytes_given_and_logs_each_host() {
    use crate::mock::scripted::{closed_port, reply, Scripted};
    let server = Scripted::start(2, |seen, _| match seen.host {
        0 => reply("200 OK", &[("X-Seen", &seen.target)], seen.body.as_bytes()),
        _ => b"HTTP/1.1 418 I'm a teapot\r\nContent-Length: 2\r\n\r\nok".to_vec(),
    });
    let echoed = http("POST", &format!("{}/a?b", server.base(0)), &[], b"form").expect("host 0");
    assert_eq!((echoed.status, echoed.header("X-Seen"), echoed.text().as_str()), (200, Some("/a?b"), "form"));
    let raw = http("GET", &format!("{}/c", server.base(1)), &[("Authorization", "x")], b"").expect("host 1");
    assert_eq!((raw.status, raw.text().as_str()), (418, "ok"));
    let seen = server.seen();
    let log: Vec<(usize, &str, &str)> = seen.iter().map(|s| (s.host, s.method.as_str(), s.target.as_str())).collect();
    assert_eq!(log, [(0, "POST", "/a?b"), (1, "GET", "/c")]);
    assert_eq!(seen[1].header("authorization"), Some("x"));
    let refused = http("GET", &format!("http://127.0.0.1:{}/", closed_port()), &[], b"");
    assert!(refused.is_err(), "nothing listens on a closed port");
}
