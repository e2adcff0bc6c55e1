//! `service-status`: the status of each Microsoft 365 service and of its open
//! issues, as the Perl management plugin's mode of that name.
//!
//! One entry per service without issues, one per issue the filters keep; a service
//! whose issues are all dropped gives no entry at all (Perl's behaviour, kept). The
//! entries are keyed 1, 2, 3… in the order of the API's answer and shown in the byte
//! order of those keys, as Perl's counter template shows them (so `10` comes before
//! `2`).

use std::collections::BTreeMap;

use centreon_plugin::counters::{Check, Collected, Counter, Group, Groups, Output, Variable};
use centreon_plugin::debug::DebugLog;
use centreon_plugin::error::{Error, Result};
use centreon_plugin::options::{OptionSpec, Values};
use centreon_plugin::pattern::{NameFilter, Verdict};
use centreon_plugin::registry::{ModeKind, ModeSpec};
use centreon_plugin::status::Status;

use super::{Mode, Run};
use crate::custom::{Capability, ServiceIssue};

inventory::submit! {
    Mode(ModeSpec {
        name: "service-status",
        perl_module: "cloud::microsoft::office365::management::mode::servicestatus",
        list_rank: 1,
        description: "Check services status.\n\n\
            --warning-status and --critical-status are expressions (default critical: \
            '%{status} !~ /serviceOperational|serviceRestored/i') over %{service_name}, %{status}, \
            %{classification}, %{issue_title}, %{issue_startDateTime}, %{issue_id}, %{issue_status} \
            and %{issue_resolved}.",
        requires: Capability::ServiceHealth,
        options,
        kind: ModeKind::Counters { groups: |_| Ok(groups().declarations()), filter_counters: "", select },
    })
}

/// What an entry shows in place of issue fields when it has no issue.
const NONE: &str = "-";

fn options() -> Vec<OptionSpec> {
    vec![
        OptionSpec::value("include-service-name", "Filter by service name (can be a regexp).")
            .alias("filter-service-name"),
        OptionSpec::value("exclude-service-name", "Exclude by service name (can be a regexp)."),
        OptionSpec::value("include-classification", "Filter by classification (can be a regexp)."),
        OptionSpec::value("exclude-classification", "Exclude by classification (can be a regexp)."),
        OptionSpec::value(
            "exclude-resolved",
            "Exclude resolved issues from report (default: 1). Set to 0 to include resolved issues.",
        )
        .default("1"),
    ]
}

/// What the counter reads: the entries by key.
struct Services {
    entries: BTreeMap<String, Entry>,
}

/// A service without issues, or one of its issues.
struct Entry {
    service_name: String,
    status: String,
    issue: Option<ServiceIssue>,
}

impl Entry {
    /// A field of the entry's issue, [`NONE`] without one.
    fn issue(&self, field: fn(&ServiceIssue) -> &str) -> String {
        self.issue.as_ref().map_or(NONE, field).to_string()
    }

    /// `1` for a resolved issue, else `0`.
    fn resolved(&self) -> String {
        if self.issue.as_ref().is_some_and(|i| i.is_resolved) { "1" } else { "0" }.to_string()
    }
}

fn groups() -> Groups<Services> {
    let variables = vec![
        Variable::new("status", |e: &Entry| e.status.clone()),
        Variable::new("service_name", |e: &Entry| e.service_name.clone()),
        Variable::new("classification", |e: &Entry| e.issue(|i| &i.classification)),
        Variable::new("issue_startDateTime", |e: &Entry| e.issue(|i| &i.start_date_time)),
        Variable::new("issue_title", |e: &Entry| e.issue(|i| &i.title)),
        Variable::new("issue_id", |e: &Entry| e.issue(|i| &i.id)),
        Variable::new("issue_resolved", Entry::resolved),
        Variable::new("issue_status", |e: &Entry| e.issue(|i| &i.status)),
    ];
    let status = Counter::new(
        "status",
        |e: &Entry| e.status.clone(),
        Output::with_status(status_text),
        Check::Status(variables),
    )
    .critical_default("%{status} !~ /serviceOperational|serviceRestored/i");
    Groups::new().instances(
        Group::new("services", |e: &Entry| format!("Service '{}' ", e.service_name), vec![status]),
        "All services are ok",
        |d: &Services| &d.entries,
    )
}

/// `status is '<status>'`, and the issue when the entry alerts.
fn status_text(e: &Entry, status: Status) -> String {
    let mut text = format!("status is '{}'", e.status);
    if status != Status::Ok {
        text.push_str(&format!(
            " [issue: {}, {}, {}, {}]",
            e.issue(|i| &i.classification),
            e.issue(|i| &i.id),
            e.issue(|i| &i.start_date_time),
            e.issue(|i| &i.title)
        ));
    }
    text
}

/// The filter of `--include-<what>` and `--exclude-<what>`; a bad regex names its
/// option.
fn filter(values: &Values, what: &str) -> Result<NameFilter> {
    NameFilter::from_options(values, &format!("include-{what}"), Some(&format!("exclude-{what}")))
}

/// Whether `filter` drops `value`, with Perl's debug line saying why.
fn drops(filter: &NameFilter, value: &str, debug: &DebugLog) -> bool {
    match filter.verdict(value) {
        Verdict::Kept => false,
        Verdict::NotIncluded => {
            debug.log(format!("skipping '{value}': no including filter match."));
            true
        }
        Verdict::Excluded => {
            debug.log(format!("skipping '{value}': excluding filter match."));
            true
        }
    }
}

fn select(run: &mut Run<'_>) -> Result<Collected> {
    let names = filter(run.values, "service-name")?;
    let classifications = filter(run.values, "classification")?;
    // Perl's truth: empty and "0" are false.
    let exclude_resolved = !matches!(run.values.value("exclude-resolved").unwrap_or("1"), "" | "0");
    let services = run.api().health()?.service_health()?;
    let mut entries = BTreeMap::new();
    for service in &services {
        if drops(&names, &service.service, run.debug) {
            continue;
        }
        let entry = |issue: Option<&ServiceIssue>| Entry {
            service_name: service.service.clone(),
            status: service.status.clone(),
            issue: issue.cloned(),
        };
        if service.issues.is_empty() {
            if !drops(&classifications, NONE, run.debug) {
                entries.insert(key(entries.len()), entry(None));
            }
            continue;
        }
        for issue in &service.issues {
            if issue.is_resolved && exclude_resolved {
                continue;
            }
            if !drops(&classifications, &issue.classification, run.debug) {
                entries.insert(key(entries.len()), entry(Some(issue)));
            }
        }
    }
    if entries.is_empty() {
        return Err(Error::new("No services found."));
    }
    Ok(groups().with(Services { entries }))
}

/// The key of the entry after `count` others: Perl's `$unique_id++` from 1.
fn key(count: usize) -> String {
    (count + 1).to_string()
}
