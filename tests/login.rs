//! Login and endpoints, end to end against the stand-in: Entra ID's refusals name
//! their cause, an endpoint with a trailing slash is the same endpoint, the token cache
//! tells endpoints apart, and `--cloud` picks Microsoft's national clouds.

use crate::common::plugin::Plugin;
use crate::common::TempDir;
use crate::mock::{Fault, Host, MockGraph};

/// Perl's message, which every refusal keeps as its beginning.
const REFUSED: &str = "UNKNOWN: Login endpoint API return error code";

/// The plugin with `args` (endpoints among them) as `--tenant=t1 --client-id=c1` with
/// the secret the stand-in accepts, the token cache in `state`: stdout and exit code.
fn run(state: &TempDir, args: &[&str]) -> (String, i32) {
    let outcome = Plugin::new().client().secret().state(state.path()).args(args).run();
    (outcome.stdout, outcome.code)
}

/// `--login-endpoint` and `--graph-endpoint` both at `url`.
fn endpoints(url: &str) -> [String; 2] {
    [format!("--login-endpoint={url}"), format!("--graph-endpoint={url}")]
}

fn start(fault: Fault) -> MockGraph {
    MockGraph::builder().fault(fault).start().expect("mock")
}

/// Each refusal says which: a secret to rotate, an application or a tenant to fix.
#[test]
fn entra_refusals_name_their_cause() {
    let cases = [
        (Fault::BadSecret, "'invalid_client'", "AADSTS7000215: Invalid client secret provided."),
        (
            Fault::ExpiredSecret,
            "'invalid_client'",
            "AADSTS7000222: The provided client secret keys for app 'c1' are expired.",
        ),
        (
            Fault::UnknownClient,
            "'unauthorized_client'",
            "AADSTS700016: Application with identifier 'c1' was not found in the directory 't1'.",
        ),
        (Fault::UnknownTenant, "'invalid_request'", "AADSTS90002: Tenant 't1' not found."),
    ];
    for (fault, code, cause) in cases {
        let mock = start(fault);
        let state = TempDir::new("login-refusal").expect("dir");
        let [login, graph] = endpoints(&mock.url());
        let (stdout, exit) = run(&state, &["--mode=email-activity", &login, &graph]);
        assert_eq!(exit, 3, "{fault}: {stdout}");
        assert_eq!(
            stdout.trim_end(),
            format!("{REFUSED} {code} (add --debug option for detailed message): {cause}"),
            "{fault}"
        );
        assert!(!stdout.contains("s3cr3t"), "{fault}: the secret shows: {stdout}");
    }
}

/// `https://graph.microsoft.com/` is `https://graph.microsoft.com`: same URLs, same
/// token scope.
#[test]
fn a_trailing_slash_changes_nothing() {
    let mock = start(Fault::None);
    let state = TempDir::new("login-slash").expect("dir");
    let [login, graph] = endpoints(&format!("{}//", mock.url()));
    let (stdout, exit) = run(&state, &["--mode=email-activity", &login, &graph]);
    assert_eq!(exit, 0, "{stdout}");
    let requests = mock.requests();
    let graph_paths: Vec<&str> = requests.iter().filter(|r| r.host == Host::Graph).map(|r| r.path.as_str()).collect();
    assert_eq!(
        graph_paths,
        [
            "/t1/oauth2/v2.0/token",
            "/v1.0/reports/getEmailActivityUserDetail(period='D7')",
            "/v1.0/reports/getEmailActivityUserDetail(date=2026-11-22)"
        ]
    );
    assert_eq!(mock.token_scopes(), [format!("{}/.default", mock.url())]);
}

/// A cached token is reused for the API endpoint it was issued for only; the login
/// endpoint alone does not matter (as in Perl: a cached token needs no login).
#[test]
fn the_token_cache_tells_endpoints_apart() {
    let mock = start(Fault::None);
    let state = TempDir::new("login-cache").expect("dir");
    let here = mock.url();
    let elsewhere = here.replace("127.0.0.1", "localhost");
    let steps = [
        (&here, here.clone(), 1, "first run"),
        (&here, format!("{here}/"), 1, "the same endpoint, with a slash"),
        (&here, elsewhere.clone(), 2, "another graph endpoint: another scope"),
        (&elsewhere, elsewhere.clone(), 2, "another login endpoint only"),
        (&here, here.clone(), 3, "back to the first graph endpoint"),
    ];
    for (login, graph, tokens, what) in steps {
        // Without the report cache, every run asks Graph, so needs a token.
        let args = [
            "--mode=email-activity".to_string(),
            "--report-cache-ttl=0".to_string(),
            format!("--login-endpoint={login}"),
            format!("--graph-endpoint={graph}"),
        ];
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (stdout, exit) = run(&state, &args);
        assert_eq!(exit, 0, "{what}: {stdout}");
        assert_eq!(mock.token_requests(), tokens, "{what}");
    }
}

/// Outside the global cloud the usage reports are refused before any request; the
/// endpoint options still win over the cloud's hosts.
#[test]
fn national_clouds() {
    let mock = start(Fault::None);
    let state = TempDir::new("login-cloud").expect("dir");
    let [login, graph] = endpoints(&mock.url());
    for cloud in ["usgov", "usgov-dod", "china"] {
        for mode in ["--mode=email-activity", "--mode=mailbox-usage"] {
            let (stdout, exit) = run(&state, &[mode, &format!("--cloud={cloud}"), &login, &graph]);
            assert_eq!(exit, 3, "{stdout}");
            assert_eq!(
                stdout.trim_end(),
                format!(
                    "UNKNOWN: --cloud={cloud}: Microsoft provides the usage reports in the global cloud only (the \
                     service health modes work in every cloud)"
                )
            );
        }
    }
    assert!(mock.requests().is_empty(), "refused before any request: {:?}", mock.requests());

    let (stdout, exit) = run(&state, &["--mode=list-services", "--cloud=usgov", &login, &graph]);
    assert_eq!(exit, 0, "{stdout}");
    assert!(stdout.starts_with("List services:"), "{stdout}");
    assert_eq!(mock.token_scopes(), [format!("{}/.default", mock.url())], "--graph-endpoint wins");

    let (stdout, exit) = run(&state, &["--mode=list-services", "--cloud=germany", &login, &graph]);
    assert_eq!(
        (stdout.trim_end(), exit),
        ("UNKNOWN: Invalid --cloud value 'germany': one of global, usgov, usgov-dod, china is expected", 3)
    );
}

/// Without `--graph-endpoint`, the cloud's Graph root makes the token scope (the
/// stand-in refuses the tenant, so nothing goes further than the login endpoint).
#[test]
fn a_cloud_sets_the_token_scope() {
    let mock = start(Fault::UnknownTenant);
    let state = TempDir::new("login-scope").expect("dir");
    for (cloud, scope) in [
        ("global", "https://graph.microsoft.com/.default"),
        ("usgov", "https://graph.microsoft.us/.default"),
        ("usgov-dod", "https://dod-graph.microsoft.us/.default"),
        ("china", "https://microsoftgraph.chinacloudapi.cn/.default"),
    ] {
        let args = ["--mode=list-services", &format!("--cloud={cloud}"), &format!("--login-endpoint={}", mock.url())];
        let (stdout, exit) = run(&state, &args);
        assert_eq!(exit, 3, "{stdout}");
        assert!(stdout.contains("AADSTS90002"), "{stdout}");
        assert_eq!(mock.token_scopes().last().map(String::as_str), Some(scope), "{cloud}");
    }
}

/// The Management API is known in the global cloud only: another cloud is refused.
#[test]
fn managementapi_refuses_national_clouds() {
    let state = TempDir::new("login-management").expect("dir");
    let (stdout, exit) = run(&state, &["--custommode=managementapi", "--mode=list-services", "--cloud=china"]);
    assert_eq!(exit, 3);
    assert_eq!(
        stdout.trim_end(),
        "UNKNOWN: --cloud=china: --custommode=managementapi knows the global cloud only; use \
         --custommode=graphapi in Microsoft's national clouds"
    );
}
