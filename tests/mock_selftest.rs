//! The stand-in for Microsoft checked on its own, so that a golden failure
//! points at the plugin and not at the mock: it must answer as
//! `shared/golden/mockgraph.py` (and Microsoft's documentation) says.

// Each test crate uses part of the helpers and of the mock's API.
#[allow(dead_code, unused_imports)]
mod common;
#[allow(dead_code, unused_imports)]
mod mock;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::{http, HttpResponse};
use mock::{Fault, Host, MockGraph, Tenant};
use serde_json::Value;

const BOM: &[u8] = b"\xef\xbb\xbf";
const SECRET_FORM: &str = "client_id=c1&client_secret=s3cr3t%2B%2F%3D%26%3F&grant_type=client_credentials";
const EMAIL_D7: &str = "/v1.0/reports/getEmailActivityUserDetail(period='D7')";
const EMAIL_DAY: &str = "/v1.0/reports/getEmailActivityUserDetail(date=2026-11-22)";
const MAILBOX_D7: &str = "/v1.0/reports/getMailboxUsageDetail(period='D7')";
const BEARER: (&str, &str) = ("Authorization", "Bearer tok-1");

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
}
