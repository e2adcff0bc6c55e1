//! The `graphapi` custom mode: Microsoft Graph with an Entra ID application
//! (client-credentials flow), as Perl's `cloud::microsoft::office365::custom::graphapi`.
//!
//! Reports are requested as Perl does (same URLs, headers and token form) and read
//! as they download; service health overviews and message traces are read page after
//! page. The common
//! behaviour (token, retries, error texts, and where it does better than Perl) is
//! [`client`](crate::custom::client)'s. Here too, deliberately:
//!
//! * an answer that is not what was expected (truncated CSV, missing column) is an
//!   error saying what happened, never partial data;
//! * every `@odata.nextLink` page is read as given (Perl turned it back into the
//!   first page and looped for ever); a link seen twice is an error, and so is a
//!   collection of more than [`MAX_PAGES`] pages.

use std::collections::HashSet;
use std::io::Read;

use centreon_plugin::error::{Error, Result};
use centreon_plugin::http::{percent_encode, Framing, Response, Url};
use centreon_plugin::options::{OptionSection, Text};
use centreon_plugin::registry::{CustomModeSpec, Env};
use centreon_plugin::time;
use serde_json::{Map, Value};

use crate::custom::client::{self, json_object, json_text, Call, Client, Setup};
use crate::custom::graph_mail;
use crate::custom::report;
use crate::custom::report_cache::{self, ReportCache};
use crate::custom::token::Audience;
use crate::custom::{
    provides, Capabilities, CustomMode, Domains, FoundMessages, Health, Mail, MessageQuery, MessageTrace, Only,
    OutgoingMail, Provides, ReportQuery, ReportSpec, Reports, RowVisit, ServiceHealth, ServiceIssue, ServiceRecord,
    TenantDomain, TraceListing, TraceQuery, TraceStatus, TraceVisit, TracedMessage, TRACE_PAGE_SIZE,
};

/// `--graph-endpoint`, documented by [`SETUP`].
const GRAPH_ENDPOINT: Text = Text::new("graph-endpoint", "");

/// How Graph differs from the other APIs.
const SETUP: Setup = Setup {
    custom_mode: "graphapi",
    login_default: "https://login.microsoftonline.com",
    token_path: "oauth2/v2.0/token",
    endpoint_option: &GRAPH_ENDPOINT,
    endpoint_default: "https://graph.microsoft.com",
    audience: |graph| Audience::Scope(format!("{graph}/.default")),
    name: "Graph endpoint",
    elsewhere: "Report download",
    intro: &[
        "Microsoft Office 365 Graph API",
        "To connect to the Office 365 Graph API, you must register an application with the \
         'Reports.Read.All' application permission ('ServiceHealth.Read.All' for the service \
         health modes, 'ExchangeMessageTrace.Read.All' for message trace, 'Domain.Read.All' for \
         mail-domains, 'Mail.Send' and 'Mail.ReadWrite' on the probe mailboxes for the mail round trip).",
        "Follow the 'How-to guide' in https://learn.microsoft.com/en-us/graph/auth-v2-service \
         (OAuth 2.0 client credentials grant flow).",
    ],
    option_docs: [
        "Set your tenant ID (or a domain name of the tenant).",
        "Set the client ID of your Entra ID application.",
        "Set the client secret of your Entra ID application.",
        "Set the login endpoint URL (default: 'https://login.microsoftonline.com').",
        "Set the graph endpoint URL (default: 'https://graph.microsoft.com'). Only this \
         host receives the access token.",
    ],
    national: Some(|cloud| (cloud.login(), cloud.graph())),
};

/// The service health overviews with their issues (Graph pages them by 100).
const HEALTH_PATH: &str = "v1.0/admin/serviceAnnouncement/healthOverviews?$expand=issues";

/// The most pages of a collection read (service health): Graph pages service health
/// by 100 and Microsoft lists a few dozen services, so a collection going on past
/// this is a server that never ends it, not a tenant.
pub const MAX_PAGES: usize = 200;

/// Message trace (`exchangeMessageTrace` objects), without its query.
const TRACE_PATH: &str = "v1.0/admin/exchange/tracing/messageTraces";

/// A message trace request: statuses added to the API after this plugin come by their
/// names rather than as `unknownFutureValue` (they count as other statuses either way,
/// and `--debug` shows which), and the refusals its onboarding causes are explained.
const TRACE_CALL: Call = Call { headers: &[("Prefer", "include-unknown-enum-members")], explain: trace_refusal };

inventory::submit! {
    CustomMode(CustomModeSpec {
        name: "graphapi",
        provides: provides::<GraphApi>,
        sections,
        // Checks the options in Perl's order and builds the client (no request is made).
        build: |env| Ok(Box::new(GraphApi::new(env)?)),
    })
}

/// Its options (`--report-cache-ttl` after the common ones), then the HTTP and
/// retention sections it uses.
fn sections() -> Vec<OptionSection> {
    let mut sections = client::sections(&SETUP);
    if let Some(own) = sections.first_mut() {
        own.options.push(report_cache::option());
    }
    sections
}

/// The `graphapi` client.
#[derive(Debug)]
pub struct GraphApi {
    client: Client,
    reports: ReportCache,
}

impl GraphApi {
    fn new(env: &Env<'_>) -> Result<GraphApi> {
        let client = Client::new(&SETUP, env)?;
        let reports = ReportCache::new(env, client.placement(), client.endpoint(), client.tenant())?;
        Ok(GraphApi { client, reports })
    }
}

impl Provides for GraphApi {
    const CAPABILITIES: Capabilities<Self> = Capabilities {
        reports: Some(|api| api),
        health: Some(|api| api),
        message_trace: Some(|api| api),
        domains: Some(|api| api),
        mail: Some(|api| api),
    };
}

impl Mail for GraphApi {
    fn send_mail(&mut self, mail: &OutgoingMail<'_>) -> Result<i64> {
        graph_mail::send(&mut self.client, mail)
    }

    fn find_messages(&mut self, query: &MessageQuery<'_>) -> Result<FoundMessages> {
        graph_mail::find(&mut self.client, query)
    }

    fn junk_folder(&mut self, mailbox: &str) -> Result<String> {
        graph_mail::junk_folder(&mut self.client, mailbox)
    }

    fn delete_message(&mut self, mailbox: &str, id: &str) -> Result<()> {
        graph_mail::delete(&mut self.client, mailbox, id)
    }

    fn account(&self) -> String {
        graph_mail::account(&self.client)
    }

    fn deadline(&self) -> std::time::Instant {
        self.client.deadline()
    }
}

impl GraphApi {
    /// Reads a paged collection from `path`: the `value` items of every page, pages
    /// joined by `@odata.nextLink` until a page has none; more than [`MAX_PAGES`]
    /// pages is an error, never the items read so far.
    fn collection(&mut self, path: &str) -> Result<Vec<Value>> {
        self.collection_with(path, &Call::PLAIN)
    }

    /// [`GraphApi::collection`] for a `call` of its own kind.
    fn collection_with(&mut self, path: &str, call: &Call) -> Result<Vec<Value>> {
        let mut url = self.client.url(path)?;
        let mut seen: HashSet<Url> = HashSet::new();
        let mut items = Vec::new();
        loop {
            if seen.len() == MAX_PAGES {
                return Err(Error::new(format!(
                    "Graph endpoint gave more than {MAX_PAGES} pages of {path} (the page limit): the pages would not end"
                )));
            }
            seen.insert(url.clone());
            let mut page = self.client.get_json_with(url, call)?;
            items.extend(page_values(&mut page, path)?);
            match next_link(&page, &seen, path)? {
                None => return Ok(items),
                Some(next) => url = next,
            }
        }
    }
}

/// The `value` list of a page of `path`.
fn page_values(page: &mut Map<String, Value>, path: &str) -> Result<Vec<Value>> {
    match page.remove("value") {
        Some(Value::Array(values)) => Ok(values),
        _ => Err(Error::new(format!("Graph endpoint answered {path} without a 'value' list"))),
    }
}

/// The page after `page` of `path`, from its `@odata.nextLink` (`None`: the last page);
/// a link to a page already `seen` is an error, as the pages would never end.
fn next_link(page: &Map<String, Value>, seen: &HashSet<Url>, path: &str) -> Result<Option<Url>> {
    let next = match page.get("@odata.nextLink") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(link)) => Url::parse(link)
            .map_err(|e| Error::new(format!("Graph endpoint gave an invalid @odata.nextLink '{link}': {e}")))?,
        Some(other) => {
            return Err(Error::new(format!("Graph endpoint gave an @odata.nextLink that is not a URL: {other}")))
        }
    };
    if seen.contains(&next) {
        return Err(Error::new(format!(
            "Graph endpoint gave the @odata.nextLink '{next}' a second time: the pages of {path} would never end"
        )));
    }
    Ok(Some(next))
}

impl Reports for GraphApi {
    /// `GET v1.0/reports/<report>(<parameter>)`, read as it downloads, or from the
    /// report cache.
    fn report(&mut self, request: &ReportSpec<'_>, visit: RowVisit<'_>) -> Result<()> {
        self.read_report(request, None, visit)
    }

    /// The same, answered from the report cache's index by name when it has one.
    fn report_only(&mut self, request: &ReportSpec<'_>, only: Only<'_>, visit: RowVisit<'_>) -> Result<()> {
        self.read_report(request, Some(only), visit)
    }
}

impl GraphApi {
    fn read_report(&mut self, request: &ReportSpec<'_>, only: Option<Only<'_>>, visit: RowVisit<'_>) -> Result<()> {
        self.client.cloud().check_usage_reports()?;
        let query = parameter(request.query);
        let name = format!("{}({query})", request.report);
        let report = format!("v1.0/reports/{}", request.report);
        let url = self.client.url(&format!("{report}({query})"))?;
        let cached =
            report_cache::Request { name: &name, report: &report, query: &query, columns: request.columns, only };
        let client = &mut self.client;
        let deadline = client.deadline();
        self.reports.read(cached, deadline, || client.get_or_unavailable(url).map(Answer), visit)
    }
}

/// A report's answer, read as its body.
struct Answer(Response);

impl Read for Answer {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.0.body().read(buf)
    }
}

impl report::Download for Answer {
    fn framing(&self) -> Framing {
        self.0.framing()
    }
}

impl Health for GraphApi {
    fn service_health(&mut self) -> Result<Vec<ServiceHealth>> {
        self.collection(HEALTH_PATH)?.iter().map(health_overview).collect()
    }
}

impl MessageTrace for GraphApi {
    /// `GET v1.0/admin/exchange/tracing/messageTraces?$filter=…&$top=5000`, then each
    /// `@odata.nextLink` as given (it carries the query and a `$skiptoken`).
    fn message_traces(&mut self, query: &TraceQuery<'_>, visit: TraceVisit<'_>) -> Result<TraceListing> {
        self.client.cloud().check_message_trace()?;
        let filter = percent_encode(&trace_filter(query));
        let mut url = self.client.url(&format!("{TRACE_PATH}?$filter={filter}&$top={TRACE_PAGE_SIZE}"))?;
        let mut seen: HashSet<Url> = HashSet::new();
        for _ in 0..query.max_pages {
            seen.insert(url.clone());
            let mut page = self.client.get_json_with(url, &TRACE_CALL)?;
            for item in page_values(&mut page, TRACE_PATH)? {
                visit(&traced_message(&item)?)?;
            }
            match next_link(&page, &seen, TRACE_PATH)? {
                None => return Ok(TraceListing::Complete),
                Some(next) => url = next,
            }
        }
        Ok(TraceListing::Incomplete)
    }
}

/// The `$filter` of `query`, as the API documents it: both bounds of
/// `receivedDateTime` (ISO 8601 UTC, unquoted), then `eq` on each address and on the
/// status, string literals in single quotes (a quote doubled).
fn trace_filter(query: &TraceQuery<'_>) -> String {
    let mut clauses = vec![
        format!("receivedDateTime ge {}", time::utc_iso(query.start)),
        format!("receivedDateTime le {}", time::utc_iso(query.end)),
    ];
    if let Some(sender) = query.sender {
        clauses.push(format!("senderAddress eq {}", literal(sender)));
    }
    if let Some(recipient) = query.recipient {
        clauses.push(format!("recipientAddress eq {}", literal(recipient)));
    }
    if let Some(status) = query.status {
        clauses.push(format!("status eq {}", literal(status.api_name())));
    }
    clauses.join(" and ")
}

/// An OData string literal.
fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// One `exchangeMessageTrace` object; a status that is absent or not a string is one
/// the plugin does not know, as a new value would be.
fn traced_message(item: &Value) -> Result<TracedMessage> {
    let message = json_object(item, SETUP.name, "message trace")?;
    Ok(TracedMessage {
        sender_address: json_text(message, "senderAddress"),
        recipient_address: json_text(message, "recipientAddress"),
        status: message.get("status").and_then(Value::as_str).map_or(TraceStatus::Other, TraceStatus::from_api),
    })
}

/// The tenant's domains.
const DOMAINS_PATH: &str = "v1.0/domains";

/// A domain request: a refusal names the permission it needs.
const DOMAINS_CALL: Call = Call { headers: &[], explain: domains_refusal };

impl Domains for GraphApi {
    /// `GET v1.0/domains`, every page.
    fn domains(&mut self) -> Result<Vec<TenantDomain>> {
        self.collection_with(DOMAINS_PATH, &DOMAINS_CALL)?.iter().map(tenant_domain).collect()
    }

    /// `GET v1.0/domains/{id}/serviceConfigurationRecords`, every page.
    fn service_records(&mut self, id: &str) -> Result<Vec<ServiceRecord>> {
        let path = format!("{DOMAINS_PATH}/{}/serviceConfigurationRecords", percent_encode(id));
        self.collection_with(&path, &DOMAINS_CALL)?.iter().map(service_record).collect()
    }
}

/// One `domain` object; a flag that is absent reads as false.
fn tenant_domain(item: &Value) -> Result<TenantDomain> {
    let domain = json_object(item, SETUP.name, "domain")?;
    let flag = |key: &str| domain.get(key).and_then(Value::as_bool).unwrap_or(false);
    let supported_services = match domain.get("supportedServices") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(services)) => services.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        Some(other) => {
            return Err(Error::new(format!("Graph endpoint gave 'supportedServices' that are not a list: {other}")))
        }
    };
    Ok(TenantDomain {
        id: json_text(domain, "id"),
        is_verified: flag("isVerified"),
        is_initial: flag("isInitial"),
        supported_services,
    })
}

/// One `domainDnsRecord` object (an MX, TXT, CNAME or SRV record).
fn service_record(item: &Value) -> Result<ServiceRecord> {
    let record = json_object(item, SETUP.name, "domainDnsRecord")?;
    Ok(ServiceRecord {
        record_type: json_text(record, "recordType"),
        supported_service: json_text(record, "supportedService"),
        label: json_text(record, "label"),
        mail_exchange: json_text(record, "mailExchange"),
        text: json_text(record, "text"),
    })
}

/// What a final refusal of the domain endpoints means.
fn domains_refusal(status: u16, _code: Option<&str>) -> Option<&'static str> {
    (status == 403)
        .then_some("Reading the tenant's domains needs the application permission Domain.Read.All, admin consented")
}

/// What a final refusal of message trace means, from Microsoft's onboarding guide
/// and throttling limits.
fn trace_refusal(status: u16, code: Option<&str>) -> Option<&'static str> {
    match (status, code) {
        (401, Some("Unauthorized")) => Some(
            "Message trace is not provisioned in this tenant: create the service principal of Microsoft's \
             application 8bd644d1-64a1-4d4b-ae52-2e0cbf64e373 (New-MgServicePrincipal -AppId \
             8bd644d1-64a1-4d4b-ae52-2e0cbf64e373) and allow a few hours",
        ),
        (403, _) => {
            Some("Message trace needs the application permission ExchangeMessageTrace.Read.All, admin consented")
        }
        (429, _) => Some(
            "Message trace accepts 100 requests per 5 minutes per tenant, all applications together: check less \
             often or with fewer services",
        ),
        _ => None,
    }
}

/// The report parameter, inserted verbatim between the parentheses as Perl does.
fn parameter(query: ReportQuery<'_>) -> String {
    match query {
        ReportQuery::Period(period) => format!("period='{period}'"),
        ReportQuery::Date(date) => format!("date={date}"),
    }
}

/// One `serviceHealth` object (with its `issues`); a missing text field reads as
/// empty, as it printed in Perl.
fn health_overview(item: &Value) -> Result<ServiceHealth> {
    let service = json_object(item, SETUP.name, "serviceHealth")?;
    let issues = match service.get("issues") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(issues)) => issues.iter().map(health_issue).collect::<Result<_>>()?,
        Some(other) => return Err(Error::new(format!("Graph endpoint gave 'issues' that are not a list: {other}"))),
    };
    Ok(ServiceHealth {
        id: json_text(service, "id"),
        service: json_text(service, "service"),
        status: json_text(service, "status"),
        issues,
    })
}

/// One `serviceHealthIssue` object.
fn health_issue(item: &Value) -> Result<ServiceIssue> {
    let issue = json_object(item, SETUP.name, "serviceHealthIssue")?;
    Ok(ServiceIssue {
        id: json_text(issue, "id"),
        title: json_text(issue, "title"),
        classification: json_text(issue, "classification"),
        status: json_text(issue, "status"),
        start_date_time: json_text(issue, "startDateTime"),
        is_resolved: issue.get("isResolved").and_then(Value::as_bool).unwrap_or(false),
    })
}

#[cfg(test)]
mod tests;
