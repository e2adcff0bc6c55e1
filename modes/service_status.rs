//! `service-status`: the status of each Microsoft 365 service and of its open
//! issues, as the Perl management plugin's mode of that name.
//!
//! One entry per service without issues, one per issue the filters keep. A service
//! whose issues are all resolved, with resolved issues excluded (the default), is a
//! service without issues: its own status, classification `-`, the same filters
//! (Perl left it out, so a tenant whose issues were all resolved was `No services
//! found.`). A service whose issues are all dropped by the classification filters
//! gives no entry at all, as in Perl. The entries are keyed 1, 2, 3… in the order of
//! the API's answer and shown in the byte order of those keys, as Perl's counter
//! template shows them (so `10` comes before `2`).

use std::collections::BTreeMap;

use centreon_plugin::counters::{Check, Collected, Counter, Group, Groups, Output, Variable};
use centreon_plugin::debug::DebugLog;
use centreon_plugin::error::{Error, Result};
use centreon_plugin::options::{OptionSpec, Text, Values};
use centreon_plugin::pattern::{NameFilter, Verdict};
use centreon_plugin::registry::{ModeKind, ModeSpec};
use centreon_plugin::status::Status;

use super::{Mode, Run};
use crate::custom::{Capability, ServiceHealth, ServiceIssue};

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

/// `--include-service-name`.
const INCLUDE_SERVICE_NAME: Text =
    Text::new("include-service-name", "Filter by service name (can be a regexp).").aliases(&["filter-service-name"]);

/// `--exclude-service-name`.
const EXCLUDE_SERVICE_NAME: Text = Text::new("exclude-service-name", "Exclude by service name (can be a regexp).");

/// `--include-classification`.
const INCLUDE_CLASSIFICATION: Text = Text::new("include-classification", "Filter by classification (can be a regexp).");

/// `--exclude-classification`.
const EXCLUDE_CLASSIFICATION: Text =
    Text::new("exclude-classification", "Exclude by classification (can be a regexp).");

/// `--exclude-resolved`.
const EXCLUDE_RESOLVED: Text = Text::new(
    "exclude-resolved",
    "Exclude resolved issues from report (default: 1). Set to 0 to include resolved issues.",
)
.default("1");

/// The service name filter's options.
const SERVICE_NAME: [&Text; 2] = [&INCLUDE_SERVICE_NAME, &EXCLUDE_SERVICE_NAME];
/// The classification filter's options.
const CLASSIFICATION: [&Text; 2] = [&INCLUDE_CLASSIFICATION, &EXCLUDE_CLASSIFICATION];

fn options() -> Vec<OptionSpec> {
    vec![
        INCLUDE_SERVICE_NAME.spec(),
        EXCLUDE_SERVICE_NAME.spec(),
        INCLUDE_CLASSIFICATION.spec(),
        EXCLUDE_CLASSIFICATION.spec(),
        EXCLUDE_RESOLVED.spec(),
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
fn filter(values: &Values, [include, exclude]: [&Text; 2]) -> Result<NameFilter> {
    NameFilter::from_options(values, include, Some(exclude))
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
    let filters = Filters {
        names: filter(run.values, SERVICE_NAME)?,
        classifications: filter(run.values, CLASSIFICATION)?,
        // Perl's truth: empty and "0" are false.
        exclude_resolved: !matches!(run.values.value(&EXCLUDE_RESOLVED).unwrap_or("1"), "" | "0"),
    };
    let services = run.api().health()?.service_health()?;
    let entries = filters.entries(&services, run.debug);
    if entries.is_empty() {
        return Err(Error::new("No services found."));
    }
    Ok(groups().with(Services { entries }))
}

/// What the options keep of the services.
struct Filters {
    names: NameFilter,
    classifications: NameFilter,
    exclude_resolved: bool,
}

impl Filters {
    /// The entries of `services`, keyed in answer order: a service without issues
    /// left (none at all, or only resolved ones while they are excluded) is one
    /// entry, classified `-`; otherwise each issue the classification filters keep
    /// is one.
    fn entries(&self, services: &[ServiceHealth], debug: &DebugLog) -> BTreeMap<String, Entry> {
        let mut entries = BTreeMap::new();
        for service in services {
            if drops(&self.names, &service.service, debug) {
                continue;
            }
            let entry = |issue: Option<&ServiceIssue>| Entry {
                service_name: service.service.clone(),
                status: service.status.clone(),
                issue: issue.cloned(),
            };
            let mut issues =
                service.issues.iter().filter(|issue| !(issue.is_resolved && self.exclude_resolved)).peekable();
            if issues.peek().is_none() {
                if !drops(&self.classifications, NONE, debug) {
                    entries.insert(key(entries.len()), entry(None));
                }
                continue;
            }
            for issue in issues {
                if !drops(&self.classifications, &issue.classification, debug) {
                    entries.insert(key(entries.len()), entry(Some(issue)));
                }
            }
        }
        entries
    }
}

/// The key of the entry after `count` others: Perl's `$unique_id++` from 1.
fn key(count: usize) -> String {
    (count + 1).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issue(id: &str, classification: &str, is_resolved: bool) -> ServiceIssue {
        ServiceIssue { id: id.into(), classification: classification.into(), is_resolved, ..Default::default() }
    }

    fn service(name: &str, status: &str, issues: Vec<ServiceIssue>) -> ServiceHealth {
        ServiceHealth { id: name.into(), service: name.into(), status: status.into(), issues }
    }

    /// The entries as (service, status, issue id or `-`).
    fn entries(services: &[ServiceHealth], pairs: &[(&str, &str)]) -> Vec<(String, String, String)> {
        let args: Vec<String> = pairs.iter().map(|(name, value)| format!("--{name}={value}")).collect();
        let parsed = centreon_plugin::getopt::parse(&args, &options());
        assert!(parsed.rest.is_empty(), "undeclared: {:?}", parsed.rest);
        let values = parsed.values;
        let filters = Filters {
            names: filter(&values, SERVICE_NAME).expect("valid"),
            classifications: filter(&values, CLASSIFICATION).expect("valid"),
            exclude_resolved: !matches!(values.value(&EXCLUDE_RESOLVED).unwrap_or("1"), "" | "0"),
        };
        filters
            .entries(services, &DebugLog::default())
            .into_values()
            .map(|e| (e.service_name.clone(), e.status.clone(), e.issue(|i| &i.id)))
            .collect()
    }

    fn tenant() -> Vec<ServiceHealth> {
        vec![
            service(
                "Exchange",
                "serviceDegradation",
                vec![issue("EX1", "incident", false), issue("EX2", "advisory", true)],
            ),
            service("SharePoint", "serviceRestored", vec![issue("SP1", "advisory", true)]),
            service("Teams", "serviceOperational", vec![]),
        ]
    }

    fn owned(rows: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
        rows.iter().map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string())).collect()
    }

    #[test]
    fn a_service_whose_issues_are_all_resolved_is_a_service_without_issues() {
        assert_eq!(
            entries(&tenant(), &[]),
            owned(&[
                ("Exchange", "serviceDegradation", "EX1"),
                ("SharePoint", "serviceRestored", "-"),
                ("Teams", "serviceOperational", "-")
            ])
        );
        let resolved = vec![service("Exchange", "serviceOperational", vec![issue("EX2", "advisory", true)])];
        assert_eq!(entries(&resolved, &[]), owned(&[("Exchange", "serviceOperational", "-")]));
    }

    #[test]
    fn resolved_issues_are_entries_when_included() {
        assert_eq!(
            entries(&tenant(), &[("exclude-resolved", "0")]),
            owned(&[
                ("Exchange", "serviceDegradation", "EX1"),
                ("Exchange", "serviceDegradation", "EX2"),
                ("SharePoint", "serviceRestored", "SP1"),
                ("Teams", "serviceOperational", "-")
            ])
        );
    }

    /// Classification filters see `-` for a service without issues left, and leave
    /// out a service whose issues they all drop.
    #[test]
    fn classification_filters_keep_their_meaning() {
        assert_eq!(
            entries(&tenant(), &[("include-classification", "incident")]),
            owned(&[("Exchange", "serviceDegradation", "EX1")])
        );
        assert_eq!(
            entries(&tenant(), &[("exclude-classification", "^-$")]),
            owned(&[("Exchange", "serviceDegradation", "EX1")])
        );
        assert_eq!(
            entries(&tenant(), &[("exclude-classification", "incident")]),
            owned(&[("SharePoint", "serviceRestored", "-"), ("Teams", "serviceOperational", "-")])
        );
    }
}
