//! The `managementapi` custom mode: the Office 365 Service Communications API on
//! manage.office.com, as Perl's `cloud::microsoft::office365::custom::managementapi`.
//!
//! Microsoft retired this API (December 2021 to January 2022) in favour of Graph's
//! service health; it stays for the tenants that still answer it, in the global cloud
//! only: `--cloud` other than `global` is refused (use `graphapi` in the national
//! clouds).
//! It offers service health only. Its `CurrentStatus` answer is mapped onto Graph's
//! model so the same modes serve both custom modes: the workload is the service id,
//! the status is camel-cased as Graph spells it (`ServiceDegradation` →
//! `serviceDegradation`), and each of the `IncidentIds` becomes an `incident` issue
//! whose title names the features not operational.
//!
//! Token, retries and error texts are [`client`](crate::custom::client)'s (the v1 token
//! endpoint with a `resource`, the answer's `expires_on` kept).

use centreon_plugin::error::{Error, Result};
use centreon_plugin::options::Text;
use centreon_plugin::registry::CustomModeSpec;
use serde_json::{Map, Value};

use crate::custom::client::{self, json_object, json_text, Client, Setup};
use crate::custom::token::Audience;
use crate::custom::{provides, Capabilities, CustomMode, Health, Provides, ServiceHealth, ServiceIssue};

/// `--management-endpoint`, documented by [`SETUP`].
const MANAGEMENT_ENDPOINT: Text = Text::new("management-endpoint", "");

/// How the Management API differs from the other APIs.
const SETUP: Setup = Setup {
    custom_mode: "managementapi",
    login_default: "https://login.windows.net",
    token_path: "oauth2/token?api-version=1.0",
    endpoint_option: &MANAGEMENT_ENDPOINT,
    endpoint_default: "https://manage.office.com",
    audience: |management| Audience::Resource(management.to_string()),
    name: "Management endpoint",
    elsewhere: "Management endpoint redirect target",
    intro: &[
        "Microsoft Office 365 Management API",
        "To connect to the Office 365 Management API, you must register an application with the \
         'ServiceHealth.Read' permission of the Office 365 Management APIs. Microsoft has retired \
         this API's service communications: prefer --custommode=graphapi.",
        "Follow the 'How-to guide' in \
         https://docs.microsoft.com/en-us/office/office-365-management-api/get-started-with-office-365-management-apis#register-your-application-in-azure-ad",
        "This custom mode is using the 'OAuth 2.0 Client Credentials Grant Flow'.",
    ],
    option_docs: [
        "Set Office 365 tenant ID.",
        "Set Office 365 client ID.",
        "Set Office 365 client secret.",
        "Set Office 365 login endpoint URL (default: 'https://login.windows.net').",
        "Set Office 365 management endpoint URL (default: 'https://manage.office.com'). Only \
         this host receives the access token.",
    ],
    national: None,
};

/// Statuses after which an incident is over (compared without case): the legacy
/// names and Graph's.
const RESOLVED: &[&str] =
    &["serviceRestored", "falsePositive", "postIncidentReportPublished", "postIncidentReviewPublished"];

/// Feature statuses that do not make a feature part of an incident.
const UNAFFECTED: &[&str] = &["serviceOperational", "serviceRestored"];

inventory::submit! {
    CustomMode(CustomModeSpec {
        name: "managementapi",
        provides: provides::<ManagementApi>,
        // Its options, then the HTTP and retention sections it uses.
        sections: || client::sections(&SETUP),
        // Checks the options in Perl's order and builds the client (no request is made).
        build: |env| Ok(Box::new(ManagementApi { client: Client::new(&SETUP, env)? })),
    })
}

/// The `managementapi` client.
#[derive(Debug)]
pub struct ManagementApi {
    client: Client,
}

/// Service health only: the Management API has no usage reports.
impl Provides for ManagementApi {
    const CAPABILITIES: Capabilities<Self> = Capabilities { health: Some(|api| api), ..Capabilities::NONE };
}

impl Health for ManagementApi {
    fn service_health(&mut self) -> Result<Vec<ServiceHealth>> {
        let path = format!("api/v1.0/{}/ServiceComms/CurrentStatus", self.client.tenant());
        let answer = self.client.get_json(self.client.url(&path)?)?;
        current_status(&answer)
    }
}

/// The services of a `CurrentStatus` answer, in its order.
fn current_status(answer: &Map<String, Value>) -> Result<Vec<ServiceHealth>> {
    match answer.get("value") {
        Some(Value::Array(items)) => items.iter().map(workload).collect(),
        _ => Err(Error::new(format!("{} answered CurrentStatus without a 'value' list", SETUP.name))),
    }
}

/// One workload's status in Graph's model.
fn workload(item: &Value) -> Result<ServiceHealth> {
    let status = json_object(item, SETUP.name, "workload status")?;
    let id = match json_text(status, "Workload") {
        workload if workload.is_empty() => json_text(status, "Id"),
        workload => workload,
    };
    let service_status = camel(&json_text(status, "Status"));
    let features = list(status, "FeatureStatus")?;
    let mut affected = Vec::new();
    for feature in features {
        let feature = json_object(feature, SETUP.name, "feature status")?;
        if !is_one_of(&json_text(feature, "FeatureServiceStatus"), UNAFFECTED) {
            affected.push(json_text(feature, "FeatureDisplayName"));
        }
    }
    let title = if affected.is_empty() { "-".to_string() } else { affected.join(", ") };
    let issues = list(status, "IncidentIds")?
        .iter()
        .map(|incident| ServiceIssue {
            id: incident.as_str().map_or_else(|| incident.to_string(), str::to_string),
            title: title.clone(),
            classification: "incident".to_string(),
            status: service_status.clone(),
            start_date_time: json_text(status, "StatusTime"),
            is_resolved: is_one_of(&service_status, RESOLVED),
        })
        .collect();
    Ok(ServiceHealth { id, service: json_text(status, "WorkloadDisplayName"), status: service_status, issues })
}

/// The list under `key` (absent or null is empty).
fn list<'v>(object: &'v Map<String, Value>, key: &str) -> Result<&'v [Value]> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(items)) => Ok(items),
        Some(other) => Err(Error::new(format!("{} gave '{key}' that is not a list: {other}", SETUP.name))),
    }
}

/// A status as Graph spells it: the legacy API's PascalCase with a lower-case start.
fn camel(status: &str) -> String {
    let mut chars = status.chars();
    chars.next().map(|first| first.to_lowercase().chain(chars).collect()).unwrap_or_default()
}

/// Whether `status` is one of `statuses`, case aside.
fn is_one_of(status: &str, statuses: &[&str]) -> bool {
    statuses.iter().any(|s| s.eq_ignore_ascii_case(status))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(json: &str) -> Map<String, Value> {
        serde_json::from_str(json).expect("json")
    }

    #[test]
    fn current_status_maps_onto_graphs_model() {
        let answer = map(r#"{"value":[
                {"Id":"Exchange","Workload":"Exchange","WorkloadDisplayName":"Exchange Online",
                 "Status":"ServiceDegradation","StatusTime":"2026-11-22T11:42:00Z","IncidentIds":["EX1"],
                 "FeatureStatus":[
                    {"FeatureDisplayName":"Sign-in","FeatureServiceStatus":"ServiceDegradation"},
                    {"FeatureDisplayName":"Delivery","FeatureServiceStatus":"ServiceRestored"}]},
                {"Id":"Teams","WorkloadDisplayName":"Microsoft Teams","Status":"ServiceOperational",
                 "IncidentIds":[],"FeatureStatus":[]},
                {"Workload":"SharePoint","WorkloadDisplayName":"SharePoint Online","Status":"ServiceRestored",
                 "StatusTime":"t","IncidentIds":["SP2"]}
            ]}"#);
        let services = current_status(&answer).expect("services");
        assert_eq!(services.len(), 3);
        assert_eq!(
            services[0],
            ServiceHealth {
                id: "Exchange".into(),
                service: "Exchange Online".into(),
                status: "serviceDegradation".into(),
                issues: vec![ServiceIssue {
                    id: "EX1".into(),
                    title: "Sign-in".into(),
                    classification: "incident".into(),
                    status: "serviceDegradation".into(),
                    start_date_time: "2026-11-22T11:42:00Z".into(),
                    is_resolved: false,
                }],
            }
        );
        assert_eq!((services[1].id.as_str(), services[1].issues.len()), ("Teams", 0), "Id when no Workload");
        assert_eq!(services[2].issues[0].title, "-");
        assert!(services[2].issues[0].is_resolved, "a restored service's incident is over");
    }

    #[test]
    fn malformed_answers_name_what_is_wrong() {
        let cases = [
            (r#"{"values":[]}"#, "Management endpoint answered CurrentStatus without a 'value' list"),
            (r#"{"value":[1]}"#, "Management endpoint gave a workload status that is not an object: 1"),
            (
                r#"{"value":[{"IncidentIds":"EX1"}]}"#,
                "Management endpoint gave 'IncidentIds' that is not a list: \"EX1\"",
            ),
        ];
        for (json, expected) in cases {
            assert_eq!(current_status(&map(json)).expect_err(json).message(), expected);
        }
    }

    #[test]
    fn statuses_are_camel_cased() {
        assert_eq!(camel("ServiceDegradation"), "serviceDegradation");
        assert_eq!(camel("investigating"), "investigating");
        assert_eq!(camel(""), "");
    }
}
