//! Service health through both custom modes, against the project's stand-in for
//! Microsoft: `managementapi` reaches the same verdict as `graphapi` for the same
//! tenant, refuses the report modes it cannot serve, and `graphapi` reads every
//! `@odata.nextLink` page (Perl looped for ever on the second one).

use std::collections::BTreeSet;
use std::path::Path;

use crate::common::plugin::{self, Outcome};
use crate::common::TempDir;
use crate::mock::MockGraph;

const HEALTH: &str = "/v1.0/admin/serviceAnnouncement/healthOverviews";

/// Runs the plugin against `mock` with `custom` (`graphapi` or `managementapi`), the
/// credentials the mock accepts, and `args`, with a fresh token cache.
fn run(mock: &MockGraph, custom: &str, args: &[&str]) -> Outcome {
    let custom = format!("--custommode={custom}");
    plugin::run(mock, &[&[custom.as_str()], args].concat())
}

/// [`run`] with the token cache in `state`.
fn run_in(state: &Path, mock: &MockGraph, custom: &str, args: &[&str]) -> Outcome {
    let custom = format!("--custommode={custom}");
    plugin::run_in(&mock.url(), state, &[&[custom.as_str()], args].concat())
}

/// The services named in the status line (`Service 'NAME' status is …`).
fn services_in_status_line(stdout: &str) -> BTreeSet<String> {
    let line = stdout.lines().next().unwrap_or_default();
    line.split("Service '")
        .skip(1)
        .filter_map(|rest| rest.split_once("' status is").map(|(n, _)| n.to_string()))
        .collect()
}

#[test]
fn managementapi_gives_graphapis_verdict() {
    let mock = MockGraph::builder().start().expect("mock");
    let graph = run(&mock, "graphapi", &["--mode=service-status"]);
    let management = run(&mock, "managementapi", &["--mode=service-status"]);

    assert_eq!(graph.code, 2, "{}", graph.stdout);
    assert!(graph.stdout.starts_with("CRITICAL: "), "{}", graph.stdout);
    assert_eq!(management.code, graph.code, "graph: {}management: {}", graph.stdout, management.stdout);
    assert!(management.stdout.starts_with("CRITICAL: "), "{}", management.stdout);
    let critical: BTreeSet<String> =
        ["Exchange Online", "Exchange Online Protection", "Microsoft Entra"].map(String::from).into();
    assert_eq!(services_in_status_line(&graph.stdout), critical);
    assert_eq!(services_in_status_line(&management.stdout), critical);
    assert!(
        management.stdout.contains(
            "Service 'Exchange Online' status is 'serviceDegradation' [issue: incident, EX279057, \
             2026-11-22T11:42:00Z, Sign-in]"
        ),
        "{}",
        management.stdout
    );

    let paths: Vec<String> = mock.requests().into_iter().map(|r| format!("{} {}", r.method, r.path)).collect();
    assert!(paths.contains(&"POST /t1/oauth2/token?api-version=1.0".to_string()), "{paths:?}");
    assert!(paths.contains(&"GET /api/v1.0/t1/ServiceComms/CurrentStatus".to_string()), "{paths:?}");
}

#[test]
fn managementapi_keeps_its_own_token_cache() {
    let mock = MockGraph::builder().start().expect("mock");
    let state = TempDir::new("health-cache").expect("state dir");
    for _ in 0..2 {
        assert_eq!(run_in(state.path(), &mock, "managementapi", &["--mode=list-services"]).code, 0);
    }
    // md5("t1"), md5("c1"), as Perl names the file.
    let name = "office365_managementapi_83f1535f99ab0bf4e9d02dfd85d3e3f7_a9f7e97965d6cf799a529102a973b8b9";
    let cache: serde_json::Value =
        serde_json::from_slice(&std::fs::read(state.path().join(name)).expect("cache file")).expect("JSON cache");
    assert!(cache["access_token"].is_string() && cache["expires_on"].is_i64(), "{cache}");
    assert_eq!(mock.token_requests(), 1, "the second run reuses the cached token");
}

#[test]
fn report_modes_are_not_available_with_managementapi() {
    let mock = MockGraph::builder().start().expect("mock");
    let outcome = run(&mock, "managementapi", &["--mode=email-activity"]);
    assert_eq!(
        outcome.stdout,
        "UNKNOWN: mode 'email-activity' is not available with custom mode 'managementapi' \
         (use --custommode=graphapi) \n"
    );
    assert_eq!(outcome.code, 3);
    assert!(mock.requests().is_empty(), "refused before any request: {:?}", mock.requests());
}

#[test]
fn every_next_link_page_is_read() {
    let mock = MockGraph::builder().start().expect("mock");
    let listed = run(&mock, "graphapi", &["--mode=list-services"]);
    assert_eq!(listed.code, 0, "{}", listed.stdout);
    assert_eq!(
        listed.stdout,
        "List services: \n\
         [service_id: EOP] [service_name: Exchange Online Protection]\n\
         [service_id: Exchange] [service_name: Exchange Online]\n\
         [service_id: OSDPPlatform] [service_name: Microsoft 365 suite]\n\
         [service_id: OrgLiveID] [service_name: Microsoft Entra]\n\
         [service_id: SharePoint] [service_name: SharePoint Online]\n\
         [service_id: microsoftteams] [service_name: Microsoft Teams]\n"
    );
    let pages: Vec<String> =
        mock.requests().into_iter().filter(|r| r.path.starts_with(HEALTH)).map(|r| r.path).collect();
    assert_eq!(
        pages,
        [format!("{HEALTH}?$expand=issues"), format!("{HEALTH}?$expand=issues&$skiptoken=page2")],
        "page 1, then the nextLink as given, then nothing more"
    );
}

/// The long lines of `--verbose`, one per entry.
fn entries(stdout: &str) -> Vec<&str> {
    stdout.lines().skip(1).collect()
}

/// A service whose issues are all resolved (SharePoint Online in the fixture) is
/// reported as a service without issues, through either custom mode: Perl left it
/// out.
#[test]
fn a_service_whose_issues_are_all_resolved_keeps_its_entry() {
    let mock = MockGraph::builder().start().expect("mock");
    for custom in ["graphapi", "managementapi"] {
        let outcome = run(&mock, custom, &["--mode=service-status", "--verbose"]);
        assert_eq!(outcome.code, 2, "{custom}: {}", outcome.stdout);
        let lines = entries(&outcome.stdout);
        assert!(lines.contains(&"Service 'SharePoint Online' status is 'serviceRestored'"), "{custom}: {lines:#?}");
        assert_eq!(lines.len(), 6, "{custom}: one entry per service: {lines:#?}");
    }
}

/// A tenant where every service has issues, all resolved (Microsoft's "List
/// healthOverviews" example 2): every service is reported with its own status and
/// classification `-` (Perl: `UNKNOWN: No services found.`); the filters apply as to
/// services without issues.
#[test]
fn a_tenant_whose_issues_are_all_resolved_lists_every_service() {
    let mock = MockGraph::builder().variant(crate::mock::Variant::IssuesResolved).start().expect("mock");
    let outcome = run(&mock, "graphapi", &["--mode=service-status", "--verbose"]);
    assert_eq!(outcome.code, 2, "{}", outcome.stdout);
    assert!(
        outcome.stdout.starts_with(
            "CRITICAL: Service 'Exchange Online' status is 'serviceDegradation' [issue: -, -, -, -] - Service \
             'Microsoft Entra' status is 'extendedRecovery' [issue: -, -, -, -]"
        ),
        "{}",
        outcome.stdout
    );
    assert_eq!(
        entries(&outcome.stdout),
        [
            "Service 'Exchange Online' status is 'serviceDegradation' [issue: -, -, -, -]",
            "Service 'Microsoft Teams' status is 'serviceOperational'",
            "Service 'SharePoint Online' status is 'serviceRestored'",
            "Service 'Microsoft Entra' status is 'extendedRecovery' [issue: -, -, -, -]",
            "Service 'Microsoft 365 suite' status is 'serviceOperational'",
            "Service 'Exchange Online Protection' status is 'investigating' [issue: -, -, -, -]",
        ]
    );
    let resolved_too = run(&mock, "graphapi", &["--mode=service-status", "--exclude-resolved=0", "--verbose"]);
    assert!(resolved_too.stdout.contains("[issue: incident, EX279057,"), "{}", resolved_too.stdout);
    let incidents = run(&mock, "graphapi", &["--mode=service-status", "--include-classification=incident"]);
    assert_eq!(incidents.stdout, "UNKNOWN: No services found. \n");
    assert_eq!(incidents.code, 3);
}
