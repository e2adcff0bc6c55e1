//! Hostile input (issue 25): what an option, a server or Microsoft's own free text can
//! throw at the plugin, and the limits that hold. Each test runs the real binary, as a
//! poller would, against the project's stand-in or against a small server of its own
//! (the mock's scripted host) that answers exactly what the test wants, however broken.

use std::path::{Path, PathBuf};

use crate::common::plugin::{self, run, run_offline, Outcome, Plugin};
use crate::common::TempDir;
use crate::mock::scripted::{self, Scripted, Seen};

/// A scripted host of the mock answering every request with what `answer` makes of
/// it and of the server (the URL of its host, the requests so far).
fn hostile(answer: impl Fn(&Seen, &Scripted) -> Vec<u8> + Send + Sync + 'static) -> Scripted {
    Scripted::start(1, answer)
}

/// An answer with `Content-Length` and a text body.
fn reply(status: &str, headers: &[(&str, &str)], body: &str) -> Vec<u8> {
    scripted::reply(status, headers, body.as_bytes())
}

/// The token endpoint's answer, with a token the project's mock accepts too.
fn token() -> Vec<u8> {
    reply(
        "200 OK",
        &[("Content-Type", "application/json")],
        r#"{"token_type":"Bearer","expires_in":3599,"access_token":"tok-hostile-0123456789"}"#,
    )
}

/// The plugin with the usual credentials, both endpoints at `url`, a fresh state.
fn against(url: &str, args: &[&str]) -> Outcome {
    Plugin::new().args(args).client().secret().endpoints(url).fresh_state().run()
}

/// `--timeout` is whole seconds from 1 to a day, written in digits; anything else is
/// refused at start-up with one message (it used to become 1 s, or be refused, by
/// accident of its first digits).
#[test]
fn timeout_values_follow_one_rule() {
    for value in ["-1", "1e308", "1e-300", "-0", "0.0001", "0", "2.5", "10s", "86401", "abc"] {
        let outcome = run_offline(&["--mode=email-activity", &format!("--timeout={value}")]);
        assert_eq!(
            outcome.stdout,
            format!(
                "UNKNOWN: Invalid --timeout value '{value}': a whole number of seconds from 1 to 86400 is expected \n"
            )
        );
        assert_eq!(outcome.code, 3);
    }
}

/// A regex that gives up (the engine's backtracking limit) is never "no match": the
/// check is UNKNOWN and names the option, whether the regex is a filter or sits in a
/// status expression (which would otherwise silently say OK).
#[test]
fn a_regex_that_gives_up_is_unknown_naming_its_option() {
    let mock = plugin::mock();
    let filter = run(&mock, &["--mode=mailbox-usage", r"--filter-mailbox=(.*)*\1x"]);
    assert_eq!(filter.code, 3, "{}", filter.stdout);
    assert!(
        filter.stdout.starts_with(r"UNKNOWN: Regular expression in --filter-mailbox '(.*)*\1x' gave up on '"),
        "{}",
        filter.stdout
    );
    assert!(
        filter.stdout.contains("it backtracks too much (more than 1000000 steps), rewrite it"),
        "{}",
        filter.stdout
    );

    let status =
        run(&mock, &["--mode=mailbox-usage", "--filter-counters=", r"--critical-status=%{display} =~ /(.*)*\1x/"]);
    assert_eq!(status.code, 3, "{}", status.stdout);
    assert!(status.stdout.starts_with(r"UNKNOWN: Regular expression '(.*)*\1x' gave up on '"), "{}", status.stdout);
}

/// A download declaring a body over the size limit is refused before any byte is
/// read (nothing is written to the statefile directory), naming the limit.
#[test]
fn a_download_declared_over_the_size_limit_is_refused() {
    let server = hostile(|seen, server| match (seen.method.as_str(), seen.target.as_str()) {
        ("POST", _) => token(),
        (_, path) if path.starts_with("/download") => {
            b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 99999999999\r\n\r\n".to_vec()
        }
        _ => reply("302 Found", &[("Location", &format!("{}/download/r.csv", server.base(0)))], ""),
    });
    let state = TempDir::new("hostile-size").expect("state");
    let outcome = Plugin::new()
        .args(["--mode=mailbox-usage"])
        .client()
        .secret()
        .endpoints(server.base(0))
        .state(state.path())
        .run();
    assert_eq!(outcome.code, 3, "{}", outcome.stdout);
    assert!(outcome.stdout.starts_with("UNKNOWN: "), "{}", outcome.stdout);
    assert!(
        outcome
            .stdout
            .contains("a Content-Length of 99999999999 bytes, over the size limit of 4294967296 bytes (4 GiB)"),
        "{}",
        outcome.stdout
    );
    let kept: Vec<PathBuf> = files(state.path()).into_iter().filter(|p| name_of(p).contains("_report_")).collect();
    assert!(kept.iter().all(|p| std::fs::metadata(p).map_or(0, |m| m.len()) < 4096), "{kept:?}");
}

/// Service health pages that never end, each linking to a new one, stop at the page
/// limit: UNKNOWN naming it, never the services read so far.
#[test]
fn endless_health_pages_stop_at_the_page_limit() {
    let server = hostile(|seen, server| match seen.method.as_str() {
        "POST" => token(),
        _ => {
            let next = format!(
                "{}/v1.0/admin/serviceAnnouncement/healthOverviews?$expand=issues&$skiptoken={}",
                server.base(0),
                server.seen().len() - 1
            );
            let page = serde_json::json!({"value": [{"id": "EXO", "service": "Exchange Online",
                "status": "serviceOperational", "issues": []}], "@odata.nextLink": next});
            reply("200 OK", &[("Content-Type", "application/json")], &page.to_string())
        }
    });
    let outcome = against(server.base(0), &["--mode=service-status"]);
    assert_eq!(outcome.code, 3, "{}", outcome.stdout);
    assert!(
        outcome.stdout.starts_with(
            "UNKNOWN: Graph endpoint gave more than 200 pages of \
             v1.0/admin/serviceAnnouncement/healthOverviews?$expand=issues (the page limit)"
        ),
        "{}",
        outcome.stdout
    );
    assert_eq!(server.seen().len(), 201, "a token request and 200 pages");
}

/// A login error page echoing the form: the secret is masked before the excerpt is
/// cut, so no part of it shows. A Graph error page echoing the request headers: the
/// token shows as `***`.
#[test]
fn echoed_secrets_and_tokens_never_show() {
    let secret = "s3cr3t-a-long-client-secret-value-0123456789";
    let login = hostile(move |_, _| {
        let body = format!("bad form: client_secret={secret}&client_id=c1&grant_type=client_credentials");
        reply("400 Bad Request", &[("Content-Type", "text/plain")], &body)
    });
    let outcome = Plugin::new()
        .args(["--mode=mailbox-usage", "--tenant=t1", "--client-id=c1", &format!("--client-secret={secret}")])
        .endpoints(login.base(0))
        .fresh_state()
        .run();
    assert_eq!(outcome.code, 3, "{}", outcome.stdout);
    assert!(outcome.stdout.contains("client_secret=***"), "{}", outcome.stdout);
    assert!(!outcome.stdout.contains("s3cr3t"), "{}", outcome.stdout);

    let graph = hostile(|seen, _| match seen.method.as_str() {
        "POST" => token(),
        _ => reply(
            "400 Bad Request",
            &[("Content-Type", "text/html")],
            "<p>GET with Authorization: Bearer tok-hostile-0123456789 refused</p>",
        ),
    });
    let echoed = against(graph.base(0), &["--mode=mailbox-usage"]);
    assert_eq!(echoed.code, 3, "{}", echoed.stdout);
    assert!(echoed.stdout.contains("Authorization: Bearer *** refused"), "{}", echoed.stdout);
    assert!(!echoed.stdout.contains("tok-hostile"), "{}", echoed.stdout);
}

/// Microsoft's free text with `|`, line ends and NUL bytes: the output keeps one
/// status line whose only `|` starts the perfdata, and forges no line.
#[test]
fn free_text_cannot_forge_perfdata_or_lines() {
    let server = hostile(|seen, _| match seen.method.as_str() {
        "POST" => token(),
        _ => {
            let page = serde_json::json!({"value": [{"id": "EXO", "service": "Exchange|Online\nOK: forged",
                "status": "serviceDegradation", "issues": [{"id": "EX1", "title": "Mail | 'x'=1;;;;\r\nCRITICAL: forged\u{0}",
                "classification": "incident", "status": "serviceDegradation", "startDateTime": "2026-11-22T08:00:00Z",
                "isResolved": false}]}]});
            reply("200 OK", &[("Content-Type", "application/json")], &page.to_string())
        }
    });
    let outcome = against(server.base(0), &["--mode=service-status", "--verbose"]);
    assert!(!outcome.stdout.contains('\0'), "{:?}", outcome.stdout);
    let lines: Vec<&str> = outcome.stdout.lines().collect();
    assert!(
        lines.iter().all(|line| !line.starts_with("OK: forged") && !line.starts_with("CRITICAL: forged")),
        "{lines:#?}"
    );
    assert!(lines[0].contains("Exchange¦Online OK: forged"), "{lines:#?}");
    assert!(lines[0].matches('|').count() <= 1, "{lines:#?}");
    assert!(lines[1..].iter().all(|line| !line.contains('|')), "{lines:#?}");
}

/// Message trace is Microsoft's in the global cloud only: `mail-flow` elsewhere is
/// refused before any request, as the usage reports are.
#[test]
fn mail_flow_is_refused_in_the_national_clouds() {
    for cloud in ["usgov", "usgov-dod", "china"] {
        let outcome = run_offline(&["--mode=mail-flow", &format!("--cloud={cloud}")]);
        assert_eq!(
            outcome.stdout,
            format!(
                "UNKNOWN: --cloud={cloud}: Microsoft provides message trace in the global cloud only (the service \
                 health modes work in every cloud) \n"
            )
        );
    }
}

/// A throttled login endpoint (429, `Retry-After`, a plain-text body) is Graph's own
/// throttling: retried within `--timeout`, then named; and a report copy up to a day
/// old answers meanwhile.
#[test]
fn a_throttled_login_endpoint_is_throttling_not_bad_json() {
    let graph = plugin::mock();
    let throttled = || {
        hostile(|_, _| {
            reply("429 Too Many Requests", &[("Retry-After", "1"), ("Content-Type", "text/plain")], "Too many requests")
        })
    };
    let state = TempDir::new("hostile-login").expect("state");
    let run_with = |login: &str, state: &Path| {
        Plugin::new()
            .args(["--mode=mailbox-usage", "--verbose", "--timeout=4"])
            .client()
            .secret()
            .args([format!("--login-endpoint={login}"), format!("--graph-endpoint={}", graph.url())])
            .state(state)
            .run()
    };
    let cold = run_with(&graph.url(), state.path());
    assert_eq!(cold.code, 0, "{}", cold.stdout);

    let login = throttled();
    let empty = TempDir::new("hostile-login-cold").expect("state");
    let refused = run_with(login.base(0), empty.path());
    assert_eq!(refused.code, 3, "{}", refused.stdout);
    assert!(
        refused
            .stdout
            .starts_with("UNKNOWN: Login endpoint is throttling (429 Too Many Requests): still refused after "),
        "{}",
        refused.stdout
    );
    assert!(login.seen().len() >= 2, "retried: {}", login.seen().len());

    for path in files(state.path()) {
        let name = name_of(&path);
        if name.contains("_report_") && name.len() == "office365_graphapi_report_".len() + 32 {
            crate::report_cache::age(&path, 2 * 3600);
        } else if !name.contains("_report") {
            std::fs::remove_file(&path).expect("token cache removed");
        }
    }
    let stale = run_with(throttled().base(0), state.path());
    assert_eq!(stale.code, 0, "{}", stale.stdout);
    assert_eq!(stale.stdout.lines().next(), cold.stdout.lines().next(), "the copy's figures");
    assert!(
        stale
            .stdout
            .contains("is the copy downloaded 2 h 0 min ago: Login endpoint is throttling (429 Too Many Requests)"),
        "{}",
        stale.stdout
    );
}

/// `mail-flow`'s help says what its counts are (deliveries: one per message and
/// recipient) and Microsoft's figure for message trace's lag.
#[test]
fn mail_flow_help_says_it_counts_deliveries() {
    let help = Plugin::new().args(["--mode=mail-flow", "--help"]).run().stdout;
    let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
    for needle in [
        "one entry per message and recipient",
        "The counts are deliveries, not messages.",
        "5 to 10 minutes after it was received",
    ] {
        assert!(help.contains(needle), "{needle} missing from:\n{help}");
    }
    assert!(!help.contains("5 to 30 minutes"), "{help}");
}

/// The documents give Graph's published throttling limits of the CSV reports: 14
/// requests per 10 minutes per application and tenant, 40 for the whole tenant.
#[test]
fn the_docs_give_graphs_report_throttling_limits() {
    for doc in ["README.md", "docs/operations.md"] {
        let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(doc)).expect("doc");
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(text.contains("14 CSV report requests per 10 minutes per application and tenant"), "{doc}");
        assert!(text.contains("40"), "{doc}");
        assert!(!text.contains("about 14 report requests"), "{doc}");
    }
}

/// `managementapi` knows the global cloud only, and says so where it is documented.
#[test]
fn managementapi_says_it_knows_the_global_cloud_only() {
    let help = Plugin::new().args(["--custommode=managementapi", "--mode=service-status", "--help"]).run().stdout;
    let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(help.contains("This custom mode knows the global cloud only"), "{help}");
    let refused = run_offline(&["--custommode=managementapi", "--mode=service-status", "--cloud=usgov"]);
    assert_eq!(refused.code, 3, "{}", refused.stdout);
    let source =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("custom/managementapi.rs")).expect("source");
    assert!(!source.contains("tenants and national clouds that still answer it"), "the doc comment agrees");
}

/// The files of a directory.
fn files(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir).map(|d| d.flatten().map(|e| e.path()).collect()).unwrap_or_default()
}

fn name_of(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

/// `--list-mode` lists the meta mode `multi` under `Modes Meta:`, then the modes
/// sorted by name, as Perl does.
#[test]
fn list_mode_lists_the_meta_mode_then_the_modes() {
    let stdout = Plugin::new().args(["--list-mode"]).run().stdout;
    let tail = stdout.split("\nModes Meta:\n").nth(1).expect("the meta block");
    let (meta, available) = tail.split_once("\nModes Available:\n").expect("both blocks");
    assert_eq!(meta, "   multi\n");
    let names: Vec<&str> = available.lines().map(str::trim).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names, sorted, "sorted by name");
    assert!(names.len() >= 8 && !names.contains(&"multi"), "{names:?}");
}
