//! `mail-domains` against the project's stand-in for Graph's domain endpoints and a
//! real DNS server (NSD, started on a free loopback port with the zones of the
//! stand-in's domains, `tests/mock/domains.rs`): each domain there publishes one
//! fault, and each test checks the status and the words the plugin gives for it.
//!
//! NSD comes from Debian's `nsd` package; `make test` installs it when missing.

use crate::common;
use crate::common::plugin::{self, Outcome};
use crate::mock::{self, dns_server, Fault, MockGraph, Nsd};

/// The stand-in for Graph and the DNS server publishing its domains.
struct World {
    mock: MockGraph,
    dns: Nsd,
}

impl World {
    fn new() -> World {
        World::with_mock(MockGraph::builder().start().expect("the mock starts"))
    }

    fn with_mock(mock: MockGraph) -> World {
        let dns = dns_server(&mock::domains::tenant()).expect("NSD starts");
        World { mock, dns }
    }

    /// Runs `--mode=mail-domains` asking the DNS server, with `args`.
    fn run(&self, args: &[&str]) -> Outcome {
        let server = format!("--dns-server={}", self.dns.address());
        plugin::run(&self.mock, &[&["--mode=mail-domains", server.as_str(), "--verbose"], args].concat())
    }

    /// Checks the one domain `domain`, with `args`.
    fn domain(&self, domain: &str, args: &[&str]) -> Outcome {
        let filter = format!("--filter-domain=^{}$", domain.replace('.', "\\."));
        self.run(&[&[filter.as_str()], args].concat())
    }
}

/// Asserts the exit code, that the status line starts with `status`, and that the
/// output holds each of `words`.
fn assert_outcome(outcome: &Outcome, code: i32, status: &str, words: &[&str]) {
    assert_eq!(outcome.code, code, "{}", outcome.stdout);
    assert!(outcome.status_line().starts_with(status), "{}", outcome.stdout);
    for text in words {
        assert!(outcome.stdout.contains(text), "'{text}' not in:\n{}", outcome.stdout);
    }
}

#[test]
fn a_clean_domain_is_ok_with_either_form_of_microsofts_records() {
    let world = World::new();
    for domain in ["clean.example", "newmx.example"] {
        let outcome = world.domain(domain, &[]);
        assert_outcome(
            &outcome,
            0,
            &format!("OK: Domains checked: 1, with a problem: 0 - Domain '{domain}' mx: ok, spf: ok, dkim: ok, dmarc: ok (p=reject)"),
            &[],
        );
        assert_eq!(outcome.perfdata(), "'domains'=1;;;0; 'problems'=0;;;0;1 'spf_lookups'=2;;;0;10");
    }
}

#[test]
fn a_missing_mx_or_spf_is_critical_and_names_what_microsoft_expects() {
    let world = World::new();
    assert_outcome(
        &world.domain("nomx.example", &[]),
        2,
        "CRITICAL: Domain 'nomx.example' mx: missing, spf: ok",
        &["nomx.example MX missing: no MX record is published; Microsoft expects nomx-example.mail.protection.outlook.com"],
    );
    let outcome = world.domain("nospf.example", &[]);
    assert_outcome(
        &outcome,
        2,
        "CRITICAL: Domain 'nospf.example' mx: ok, spf: missing",
        &["nospf.example SPF missing: no SPF record (v=spf1) is published; it should include:spf.protection.outlook.com"],
    );
    assert!(!outcome.perfdata().contains("spf_lookups"), "no record, no count: {}", outcome.perfdata());
}

#[test]
fn missing_dkim_or_dmarc_is_a_warning() {
    let world = World::new();
    assert_outcome(
        &world.domain("nodkim.example", &[]),
        1,
        "WARNING: Domain 'nodkim.example' mx: ok, spf: ok, dkim: missing, dmarc: ok (p=reject)",
        &["no CNAME at selector1._domainkey.nodkim.example; no CNAME at selector2._domainkey.nodkim.example"],
    );
    assert_outcome(
        &world.domain("nodmarc.example", &[]),
        1,
        "WARNING: Domain 'nodmarc.example' mx: ok, spf: ok, dkim: ok, dmarc: missing",
        &["nodmarc.example DMARC missing: no DMARC record (v=DMARC1) at _dmarc.nodmarc.example"],
    );
}

#[test]
fn spf_needing_eleven_lookups_through_nested_includes_is_invalid() {
    let outcome = World::new().domain("deepspf.example", &[]);
    assert_outcome(
        &outcome,
        2,
        "CRITICAL: Domain 'deepspf.example' mx: ok, spf: invalid",
        &["is a permanent error: its evaluation needs 11 DNS lookups, more than the 10 allowed"],
    );
    assert!(outcome.perfdata().ends_with("'spf_lookups'=11;;;0;10"), "{}", outcome.perfdata());
}

#[test]
fn two_spf_records_are_invalid() {
    assert_outcome(
        &World::new().domain("twospf.example", &[]),
        2,
        "CRITICAL: Domain 'twospf.example' mx: ok, spf: invalid",
        &["'v=spf1 include:spf.protection.outlook.com -all + v=spf1 include:spf.protection.outlook.com ~all' is a \
           permanent error: 2 SPF records are published where one is allowed"],
    );
}

#[test]
fn plus_all_is_weak() {
    assert_outcome(
        &World::new().domain("plusall.example", &[]),
        1,
        "WARNING: Domain 'plusall.example' mx: ok, spf: weak",
        &["'v=spf1 include:spf.protection.outlook.com +all' ends with +all: mail from any host passes as the domain's"],
    );
}

#[test]
fn dmarc_p_none_is_weak_and_its_policy_a_variable() {
    let world = World::new();
    assert_outcome(
        &world.domain("dmarcnone.example", &[]),
        1,
        "WARNING: Domain 'dmarcnone.example' mx: ok, spf: ok, dkim: ok, dmarc: weak (p=none)",
        &["asks receivers to do nothing (p=none) with mail that fails; use quarantine or reject"],
    );
    let outcome = world.domain(
        "dmarcnone.example",
        &[
            "--warning-status=%{dmarc} eq 'missing'",
            "--critical-status=%{dmarc_policy} eq 'none' && %{spf_lookups} < 3",
        ],
    );
    assert_outcome(&outcome, 2, "CRITICAL: Domain 'dmarcnone.example'", &[]);
}

#[test]
fn a_dkim_cname_whose_target_has_no_key_is_invalid() {
    assert_outcome(
        &World::new().domain("dangling.example", &[]),
        1,
        "WARNING: Domain 'dangling.example' mx: ok, spf: ok, dkim: invalid",
        &["selector2._domainkey.dangling.example points to selector2-gone-example._domainkey.contoso.onmicrosoft.com, \
           which publishes no DKIM key"],
    );
}

#[test]
fn an_mx_gateway_is_other_unless_declared() {
    let world = World::new();
    assert_outcome(
        &world.domain("gateway.example", &[]),
        1,
        "WARNING: Domain 'gateway.example' mx: other, spf: ok",
        &["MX mx1.gateway.example is published; Microsoft expects gateway-example.mail.protection.outlook.com"],
    );
    assert_outcome(
        &world.domain("gateway.example", &["--mx-gateway=^mx\\d\\.gateway\\.example$"]),
        0,
        "OK: Domains checked: 1, with a problem: 0",
        &[],
    );
}

#[test]
fn unverified_non_email_and_initial_domains_are_ignored() {
    let world = World::new();
    let outcome = world.run(&["--filter-domain=^(unverified|teams|clean)\\.example$|onmicrosoft"]);
    assert_outcome(&outcome, 0, "OK: Domains checked: 1, with a problem: 0 - Domain 'clean.example'", &[]);
    let outcome =
        world.run(&["--filter-domain=^(unverified|teams|clean)\\.example$|onmicrosoft", "--include-initial-domain"]);
    assert!(outcome.perfdata().starts_with("'domains'=2;"), "{}", outcome.stdout);
    assert!(outcome.stdout.contains("Domain 'contoso.onmicrosoft.com'"), "{}", outcome.stdout);
    assert!(!outcome.stdout.contains("unverified.example") && !outcome.stdout.contains("teams.example"));
    let outcome = world.run(&["--filter-domain=^unverified"]);
    assert_outcome(&outcome, 3, "UNKNOWN: No domain to check", &[]);
}

#[test]
fn every_page_of_domains_is_read_and_each_domain_gets_microsofts_records() {
    let world = World::new();
    let outcome = world.run(&[]);
    // 13 domains serve email, verified, not initial: one per case above.
    assert!(outcome.perfdata().starts_with("'domains'=13;;;0; 'problems'=11;;;0;13 "), "{}", outcome.stdout);
    assert!(outcome.status_line().starts_with("CRITICAL: "), "{}", outcome.stdout);
    let paths: Vec<String> = world.mock.requests().into_iter().filter(|r| r.method == "GET").map(|r| r.path).collect();
    assert!(paths.contains(&"/v1.0/domains".to_string()), "{paths:?}");
    assert!(paths.contains(&"/v1.0/domains?$skiptoken=page2".to_string()), "{paths:?}");
    assert!(paths.contains(&"/v1.0/domains/clean.example/serviceConfigurationRecords".to_string()), "{paths:?}");
    assert!(!paths.iter().any(|p| p.contains("unverified.example")), "an ignored domain is not asked for: {paths:?}");
}

#[test]
fn servfail_is_unknown_never_missing() {
    let outcome = World::new().domain("broken.example", &[]);
    assert_outcome(
        &outcome,
        3,
        "UNKNOWN: Domain 'broken.example' mx: unknown, spf: unknown, dkim: unknown, dmarc: unknown",
        &["broken.example MX unknown: DNS query for MX records of broken.example failed", "Server Failure"],
    );
    assert!(!outcome.stdout.contains("missing"), "{}", outcome.stdout);
}

#[test]
fn a_dns_server_that_does_not_answer_is_unknown() {
    let world = World::new();
    let silent = mock::silent_dns().expect("a silent DNS server");
    let server = format!("--dns-server={}", silent.local_addr().expect("addr"));
    let outcome = plugin::run(
        &world.mock,
        &["--mode=mail-domains", "--filter-domain=^clean\\.example$", server.as_str(), "--dns-timeout=1", "--verbose"],
    );
    assert_outcome(
        &outcome,
        3,
        "UNKNOWN: Domain 'clean.example' mx: unknown",
        &["DNS query for MX records of clean.example failed", "no answer within 1 s"],
    );
    assert!(!outcome.stdout.contains("missing"), "{}", outcome.stdout);
}

/// The run's `--timeout` bounds the DNS questions too, not only the HTTP requests:
/// a silent server with a long `--dns-timeout` still ends the run at `--timeout`.
#[test]
fn the_runs_timeout_bounds_the_dns_questions() {
    let world = World::new();
    let silent = mock::silent_dns().expect("a silent DNS server");
    let server = format!("--dns-server={}", silent.local_addr().expect("addr"));
    let outcome = plugin::run(
        &world.mock,
        &[
            "--mode=mail-domains",
            "--filter-domain=^clean\\.example$",
            server.as_str(),
            "--dns-timeout=60",
            "--timeout=1",
            "--verbose",
        ],
    );
    assert_eq!(
        (outcome.stdout.as_str(), outcome.code),
        (
            format!(
                "UNKNOWN: DNS query for MX records of clean.example not answered (DNS server {}): the run's --timeout \
                 of 1 s ran out \n",
                silent.local_addr().expect("addr")
            )
            .as_str(),
            3
        )
    );
}

#[test]
fn a_refusal_names_the_permission() {
    let world = World::with_mock(MockGraph::builder().fault(Fault::Forbidden).start().expect("the mock starts"));
    let outcome = world.run(&[]);
    assert_outcome(
        &outcome,
        3,
        "UNKNOWN: Reading the tenant's domains needs the application permission Domain.Read.All, admin consented",
        &[],
    );
}

#[test]
fn bad_options_are_unknown_before_any_request() {
    for (args, expected) in [
        (
            &["--mode=mail-domains", "--dns-server=dns.example"][..],
            "UNKNOWN: Invalid --dns-server 'dns.example': an IP address, with an optional :PORT, is expected",
        ),
        (
            &["--mode=mail-domains", "--dns-timeout=0"][..],
            "UNKNOWN: Invalid --dns-timeout '0': a number of seconds from 0.1 to 60 is expected",
        ),
        (&["--mode=mail-domains", "--filter-domain=("][..], "UNKNOWN: Invalid regular expression in --filter-domain"),
        (&["--mode=mail-domains", "--mx-gateway=["][..], "UNKNOWN: Invalid regular expression in --mx-gateway"),
        (
            &["--mode=mail-domains", "--custommode=managementapi"][..],
            "UNKNOWN: mode 'mail-domains' is not available with custom mode 'managementapi'",
        ),
    ] {
        let outcome = plugin::run_offline(args);
        assert_eq!(outcome.code, 3, "{args:?}: {}", outcome.stdout);
        assert!(outcome.stdout.starts_with(expected), "{args:?}: {}", outcome.stdout);
    }
}

#[test]
fn the_mock_pages_the_domains_and_answers_each_ones_records() {
    let mock = MockGraph::builder().start().expect("the mock starts");
    let get = |path: &str| {
        common::http("GET", &format!("{}{path}", mock.url()), &[("Authorization", "Bearer tok-1")], b"")
            .expect("answer")
    };
    let first: serde_json::Value = serde_json::from_slice(&get("/v1.0/domains").body).expect("JSON");
    let next = first["@odata.nextLink"].as_str().expect("a second page");
    let second: serde_json::Value = serde_json::from_slice(&get(&next[mock.url().len()..]).body).expect("JSON");
    assert!(second.get("@odata.nextLink").is_none(), "{second}");
    let ids: Vec<&str> = [&first, &second]
        .iter()
        .flat_map(|page| page["value"].as_array().expect("a value list"))
        .map(|d| d["id"].as_str().expect("an id"))
        .collect();
    assert_eq!(ids.len(), mock::domains::tenant().len());
    assert!(ids.contains(&"clean.example") && ids.contains(&"unverified.example"), "{ids:?}");
    let records: serde_json::Value =
        serde_json::from_slice(&get("/v1.0/domains/newmx.example/serviceConfigurationRecords").body).expect("JSON");
    let mx = records["value"].as_array().expect("list").iter().find(|r| r["recordType"] == "Mx").expect("an MX");
    assert_eq!(mx["mailExchange"], "newmx-example.r-v1.mx.microsoft");
    assert_eq!(mx["supportedService"], "Email");
    assert_eq!(get("/v1.0/domains/absent.example/serviceConfigurationRecords").status, 404);
}
