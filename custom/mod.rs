//! The Office 365 custom modes: how the plugin reaches Microsoft's APIs.
//!
//! A custom mode builds a client whose type implements [`Provides`]: one declaration
//! of what it provides, each [`Capability`] reached through a trait of its own
//! ([`Reports`], [`Health`], [`MessageTrace`], [`Mail`]). The modes hold the client as `dyn` [`Api`] and reach a
//! capability only through that declaration, and the driver refuses a mode whose
//! capability the chosen custom mode does not declare, before anything is built: the
//! check and the calls cannot disagree.
//!
//! Reports are handed over row by row while the download streams in, as the columns
//! the mode asked for by name: no report is ever held in memory whole, and a new
//! report mode needs nothing here. Message traces are handed over one by one as
//! their pages arrive, the same way.

use std::fmt;
use std::time::Instant;

use centreon_plugin::error::{Error, Result};
use centreon_plugin::registry::{CustomModeSpec, PluginApi};

pub mod assertion;
pub mod certificate;
pub mod client;
pub mod cloud;
pub mod graph_mail;
pub mod graphapi;
pub mod managementapi;
pub mod pfx;
pub mod report;
pub mod report_cache;
pub mod retry;
pub mod token;

/// The scripted host of the one mock (`tests/mock`), mounted for the clients' unit
/// tests as the HTTP layer's tests mount it.
#[cfg(test)]
#[path = "../tests/mock/scripted.rs"]
mod scripted;

pub use report::Row;

/// Positions, for the tests of the report reader itself, which read columns it was
/// given by position.
#[cfg(test)]
impl Column for usize {
    fn index(self) -> usize {
        self
    }
}

/// A registered custom mode: each custom mode submits one to `inventory`.
#[derive(Debug)]
pub struct CustomMode(pub CustomModeSpec<dyn Api>);

inventory::collect!(CustomMode);

/// The custom modes registered in this binary.
pub fn registered() -> impl Iterator<Item = &'static CustomModeSpec<dyn Api>> {
    inventory::iter::<CustomMode>.into_iter().map(|custom| &custom.0)
}

/// What a custom mode can provide; a mode requires one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capability {
    /// Microsoft 365 usage reports (`getMailboxUsageDetail`…), through [`Reports`].
    Reports,
    /// Service health overviews with their issues, through [`Health`].
    ServiceHealth,
    /// Exchange Online message trace (messages and their delivery status), through
    /// [`MessageTrace`].
    MessageTrace,
    /// The tenant's domains and the DNS records Microsoft expects of each, through
    /// [`Domains`].
    Domains,
    /// Messages of mailboxes: sent, listed and deleted, through [`Mail`].
    Mail,
}

impl PluginApi for dyn Api {
    type Capability = Capability;
}

/// Which report to ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportQuery<'a> {
    /// A period such as `D7` (`(period='D7')`).
    Period(&'a str),
    /// One day, `YYYY-MM-DD` as the report gave it (`(date=2026-11-22)`).
    Date(&'a str),
}

/// One report request: which report, for when, and the columns the mode reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportSpec<'a> {
    /// The report function, e.g. `getMailboxUsageDetail`.
    pub report: &'a str,
    /// The period or day asked for.
    pub query: ReportQuery<'a>,
    /// The columns read, by header name (a [`report_columns!`] enum's `NAMES`); each
    /// [`Row`] hands their cells by that enum's variants. A report lacking one is an
    /// error, unless its name ends in [`report::OPTIONAL`] (`"Recipient Type?"`): its
    /// cells are then empty.
    pub columns: &'a [&'a str],
}

/// A column of a [`ReportSpec`], read from a [`Row`] by naming it: each report mode
/// declares the columns it reads with [`report_columns!`], so inserting a column
/// cannot shift the others while their types still match.
pub trait Column: Copy {
    /// Its place in the request's `columns`.
    fn index(self) -> usize;
}

/// Declares the columns a report mode reads as an enum, in request order, each with
/// its header name: `NAMES` is the request's `columns`, `ALL` every column, and a
/// variant is what [`Row`]'s accessors take (`row.count(Activity::SendCount)`).
///
/// A name may be any constant expression, such as another enum's `name()`, and may
/// end in [`report::OPTIONAL`].
macro_rules! report_columns {
    (
        $(#[$meta:meta])*
        $vis:vis enum $columns:ident {
            $($(#[$variant_meta:meta])* $variant:ident = $name:expr),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        $vis enum $columns {
            $($(#[$variant_meta])* $variant),+
        }

        #[allow(dead_code)]
        impl $columns {
            /// Every column, in request order.
            const ALL: [$columns; [$(stringify!($variant)),+].len()] = [$($columns::$variant),+];
            /// The header names, in request order: the request's `columns`.
            const NAMES: [&'static str; [$(stringify!($variant)),+].len()] = [$($name),+];

            /// The column's header name.
            const fn name(self) -> &'static str {
                Self::NAMES[self as usize]
            }
        }

        impl $crate::custom::Column for $columns {
            fn index(self) -> usize {
                self as usize
            }
        }
    };
}
pub(crate) use report_columns;

/// What a report call does with each row: rows are borrowed only for the call.
pub type RowVisit<'v> = &'v mut dyn FnMut(&Row<'_>) -> Result<()>;

/// Usage reports.
pub trait Reports {
    /// Streams the report `request` names, calling `visit` once per row; the rows
    /// already visited are to be thrown away with any error.
    fn report(&mut self, request: &ReportSpec<'_>, visit: RowVisit<'_>) -> Result<()>;

    /// [`Reports::report`] for a caller that keeps only the rows whose column
    /// `only.column` is `only.value` (a check of one mailbox): an implementation may
    /// hand over only those rows, and hands over at least those. By default, every row.
    fn report_only(&mut self, request: &ReportSpec<'_>, only: Only<'_>, visit: RowVisit<'_>) -> Result<()> {
        let _ = only;
        self.report(request, visit)
    }
}

/// The rows a caller of [`Reports::report_only`] keeps: those whose `column` (a
/// header name) holds `value`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Only<'a> {
    /// The column, by header name.
    pub column: &'a str,
    /// The cell's value.
    pub value: &'a str,
}

/// Service health.
pub trait Health {
    /// Every service with its issues, all pages read.
    fn service_health(&mut self) -> Result<Vec<ServiceHealth>>;
}

/// Message trace: the messages Exchange Online received in a window.
pub trait MessageTrace {
    /// Streams the messages `query` selects, calling `visit` once per message, page
    /// after page, until the listing ends or `query.max_pages` pages are read; the
    /// messages already visited are to be thrown away with any error, and with an
    /// [`TraceListing::Incomplete`] answer.
    fn message_traces(&mut self, query: &TraceQuery<'_>, visit: TraceVisit<'_>) -> Result<TraceListing>;
}

/// The tenant's domains (Graph's `domain` resource).
pub trait Domains {
    /// Every domain of the tenant, all pages read.
    fn domains(&mut self) -> Result<Vec<TenantDomain>>;
    /// The DNS records Microsoft expects the domain `id` to publish for the services
    /// it serves (its service configuration records).
    fn service_records(&mut self, id: &str) -> Result<Vec<ServiceRecord>>;
}

/// One domain of the tenant: what decides whether its mail is checked.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TenantDomain {
    /// The domain name, e.g. `contoso.com`.
    pub id: String,
    /// Whether the tenant proved it owns the domain.
    pub is_verified: bool,
    /// Whether it is the tenant's initial `*.onmicrosoft.com` domain.
    pub is_initial: bool,
    /// The services it is set up for (`Email`, `OfficeCommunicationsOnline`…).
    pub supported_services: Vec<String>,
}

/// One DNS record Microsoft expects a domain to publish.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServiceRecord {
    /// `Mx`, `Txt`, `CName`, `Srv`.
    pub record_type: String,
    /// The service that needs it (`Email`…); empty when the API gave none.
    pub supported_service: String,
    /// The name it is published at.
    pub label: String,
    /// The mail host of an `Mx` record, empty for other types.
    pub mail_exchange: String,
    /// The text of a `Txt` record, empty for other types.
    pub text: String,
}

/// Mail in mailboxes, as an application with its own permissions on them.
pub trait Mail {
    /// Sends `mail` from the mailbox of its sender, without a copy in Sent Items, and
    /// returns when the API accepted it (Unix seconds, on the API's clock when it
    /// tells it): accepted, not yet delivered.
    fn send_mail(&mut self, mail: &OutgoingMail<'_>) -> Result<i64>;
    /// The messages of every folder of `query.mailbox` whose subject starts with
    /// `query.subject_prefix`, every page read, and the API's time at the last page.
    fn find_messages(&mut self, query: &MessageQuery<'_>) -> Result<FoundMessages>;
    /// The id of the Junk Email folder of `mailbox`, which [`FoundMessage::folder`]
    /// may name.
    fn junk_folder(&mut self, mailbox: &str) -> Result<String>;
    /// Deletes the message `id` of `mailbox` so that no listing shows it again, as
    /// far as the cloud allows (see the implementation); a message already gone is
    /// no error.
    fn delete_message(&mut self, mailbox: &str, id: &str) -> Result<()>;
    /// The tenant and the API endpoint the calls reach, as one text: what a mode's
    /// own statefile is named after, so that two tenants never share one.
    fn account(&self) -> String;
    /// When every call of the run must be over: a mode that waits between calls
    /// stops waiting in time.
    fn deadline(&self) -> Instant;
}

/// A message to send: plain text, with one custom internet header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutgoingMail<'a> {
    /// The sender's mailbox (UPN or SMTP address).
    pub from: &'a str,
    /// The one recipient's SMTP address.
    pub to: &'a str,
    /// The subject.
    pub subject: &'a str,
    /// The text of the body.
    pub body: &'a str,
    /// The custom header: its name (starting with `X-`) and value.
    pub header: (&'a str, &'a str),
}

/// Which messages to find.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageQuery<'a> {
    /// The mailbox to look in (UPN or SMTP address), all its folders.
    pub mailbox: &'a str,
    /// What the subject starts with.
    pub subject_prefix: &'a str,
    /// The custom header whose value each message found carries back, if it has it.
    pub header: &'a str,
}

/// One message found: what the modes read of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundMessage {
    /// Its id in its mailbox.
    pub id: String,
    /// Its subject.
    pub subject: String,
    /// When it was sent (Unix seconds), if the API said.
    pub sent: Option<i64>,
    /// When it arrived (Unix seconds), if the API said.
    pub received: Option<i64>,
    /// The id of the folder holding it.
    pub folder: String,
    /// The value of the header [`MessageQuery::header`] asked for, when it has it.
    pub header: Option<String>,
}

/// The messages a [`Mail::find_messages`] found, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundMessages {
    /// Every message found, all pages together.
    pub messages: Vec<FoundMessage>,
    /// The time of the last answer (Unix seconds), on the API's clock when it tells it.
    pub time: i64,
}

/// The most messages one page of message trace holds: the page size asked for.
pub const TRACE_PAGE_SIZE: u32 = 5000;

/// Which messages to list: a window of reception and exact-match filters, each
/// applied by the API itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceQuery<'a> {
    /// The first second of the window (Unix time), included.
    pub start: i64,
    /// The last second of the window (Unix time), included; the API refuses a
    /// window longer than 10 days, starting more than 90 days ago or ending later
    /// than now.
    pub end: i64,
    /// Only messages from this address (compared without case by the API).
    pub sender: Option<&'a str>,
    /// Only messages to this address (compared without case by the API).
    pub recipient: Option<&'a str>,
    /// Only messages in this status.
    pub status: Option<TraceStatus>,
    /// The most pages read, each a request against the tenant's shared budget.
    pub max_pages: u32,
}

/// What a message trace call does with each message: borrowed only for the call.
pub type TraceVisit<'v> = &'v mut dyn FnMut(&TracedMessage) -> Result<()>;

/// Whether a listing was read to its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraceListing {
    /// Every page was read.
    Complete,
    /// More pages remained after `max_pages`: the messages visited are only part of
    /// the window's.
    Incomplete,
}

/// One message as message trace lists it: what the modes read of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TracedMessage {
    /// The SMTP address the message was purportedly from.
    pub sender_address: String,
    /// The SMTP address it was sent to.
    pub recipient_address: String,
    /// Its delivery status.
    pub status: TraceStatus,
}

/// The delivery status of a message (Graph's `exchangeMessageTraceStatus`, an
/// evolvable enumeration: new values may appear at any time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraceStatus {
    /// Delivered to its recipient.
    Delivered,
    /// Delivery underway, or deferred and being retried.
    Pending,
    /// Not delivered.
    Failed,
    /// Held in quarantine.
    Quarantined,
    /// Filtered as spam.
    FilteredAsSpam,
    /// Sent to a distribution group whose membership was expanded: no delivery of
    /// its own.
    Expanded,
    /// Waiting for a status update.
    GettingStatus,
    /// Recalled by its sender.
    Recalled,
    /// `unknownFutureValue`, or a value added after the ones above.
    Other,
}

impl TraceStatus {
    /// Every status but [`TraceStatus::Other`], which stands for the rest.
    pub const KNOWN: [TraceStatus; 8] = [
        TraceStatus::Delivered,
        TraceStatus::Pending,
        TraceStatus::Failed,
        TraceStatus::Quarantined,
        TraceStatus::FilteredAsSpam,
        TraceStatus::Expanded,
        TraceStatus::GettingStatus,
        TraceStatus::Recalled,
    ];

    /// The status as the API names it (`filteredAsSpam`); [`TraceStatus::Other`] is
    /// `unknownFutureValue`.
    pub const fn api_name(self) -> &'static str {
        match self {
            TraceStatus::Delivered => "delivered",
            TraceStatus::Pending => "pending",
            TraceStatus::Failed => "failed",
            TraceStatus::Quarantined => "quarantined",
            TraceStatus::FilteredAsSpam => "filteredAsSpam",
            TraceStatus::Expanded => "expanded",
            TraceStatus::GettingStatus => "gettingStatus",
            TraceStatus::Recalled => "recalled",
            TraceStatus::Other => "unknownFutureValue",
        }
    }

    /// The status the API calls `name`, case aside (its beta version spelt them
    /// `Delivered`); any value it did not document is [`TraceStatus::Other`].
    pub fn from_api(name: &str) -> TraceStatus {
        TraceStatus::KNOWN.into_iter().find(|s| s.api_name().eq_ignore_ascii_case(name)).unwrap_or(TraceStatus::Other)
    }
}

/// One issue open (or resolved) on a service: what `service-status` shows and lets
/// status expressions test.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServiceIssue {
    /// e.g. `EX279057`.
    pub id: String,
    /// One line for humans.
    pub title: String,
    /// `incident` or `advisory` (filtered by `--include/--exclude-classification`).
    pub classification: String,
    /// The issue's own status, e.g. `serviceRestored`.
    pub status: String,
    /// ISO 8601, as the API gave it.
    pub start_date_time: String,
    /// Resolved issues are dropped unless `--exclude-resolved=0`.
    pub is_resolved: bool,
}

/// The health of one Microsoft 365 service, in the Graph model (the Management API's
/// shape is mapped onto it).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServiceHealth {
    /// Short id, e.g. `Exchange`.
    pub id: String,
    /// Display name, e.g. `Exchange Online`.
    pub service: String,
    /// e.g. `serviceOperational`.
    pub status: String,
    /// Open and resolved issues alike; the modes filter them.
    pub issues: Vec<ServiceIssue>,
}

/// What a client of type `T` provides: each capability is the way to reach it, or
/// `None`. This one declaration answers both the driver's check and the modes'
/// calls, and a capability can only be declared by a type implementing its trait.
pub struct Capabilities<T> {
    /// The usage reports.
    pub reports: Option<fn(&mut T) -> &mut dyn Reports>,
    /// Service health.
    pub health: Option<fn(&mut T) -> &mut dyn Health>,
    /// Message trace.
    pub message_trace: Option<fn(&mut T) -> &mut dyn MessageTrace>,
    /// The tenant's domains.
    pub domains: Option<fn(&mut T) -> &mut dyn Domains>,
    /// Mail in mailboxes.
    pub mail: Option<fn(&mut T) -> &mut dyn Mail>,
}

impl<T> Capabilities<T> {
    /// Nothing provided, to complete a declaration with `..Capabilities::NONE`.
    pub const NONE: Capabilities<T> =
        Capabilities { reports: None, health: None, message_trace: None, domains: None, mail: None };

    /// Whether `capability` is provided.
    pub const fn has(&self, capability: Capability) -> bool {
        match capability {
            Capability::Reports => self.reports.is_some(),
            Capability::ServiceHealth => self.health.is_some(),
            Capability::MessageTrace => self.message_trace.is_some(),
            Capability::Domains => self.domains.is_some(),
            Capability::Mail => self.mail.is_some(),
        }
    }
}

impl<T> fmt::Debug for Capabilities<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Capabilities")
            .field("reports", &self.reports.is_some())
            .field("health", &self.health.is_some())
            .field("message_trace", &self.message_trace.is_some())
            .field("domains", &self.domains.is_some())
            .field("mail", &self.mail.is_some())
            .finish()
    }
}

/// A custom mode's client: its capabilities, declared once.
pub trait Provides: fmt::Debug + Sized + 'static {
    /// What it provides.
    const CAPABILITIES: Capabilities<Self>;
}

/// Whether the client type `T` provides `capability`: a custom mode's
/// [`CustomModeSpec::provides`].
pub fn provides<T: Provides>(capability: Capability) -> bool {
    T::CAPABILITIES.has(capability)
}

/// The client a custom mode built, as the modes hold it: each capability reached
/// through the client's [`Provides`] declaration.
pub trait Api: fmt::Debug {
    /// The usage reports.
    fn reports(&mut self) -> Result<&mut dyn Reports>;
    /// Service health.
    fn health(&mut self) -> Result<&mut dyn Health>;
    /// Message trace.
    fn message_trace(&mut self) -> Result<&mut dyn MessageTrace>;
    /// The tenant's domains.
    fn domains(&mut self) -> Result<&mut dyn Domains>;
    /// Mail in mailboxes.
    fn mail(&mut self) -> Result<&mut dyn Mail>;
}

impl<T: Provides> Api for T {
    fn reports(&mut self) -> Result<&mut dyn Reports> {
        let reach = T::CAPABILITIES.reports.ok_or_else(|| unavailable(Capability::Reports))?;
        Ok(reach(self))
    }

    fn health(&mut self) -> Result<&mut dyn Health> {
        let reach = T::CAPABILITIES.health.ok_or_else(|| unavailable(Capability::ServiceHealth))?;
        Ok(reach(self))
    }

    fn message_trace(&mut self) -> Result<&mut dyn MessageTrace> {
        let reach = T::CAPABILITIES.message_trace.ok_or_else(|| unavailable(Capability::MessageTrace))?;
        Ok(reach(self))
    }

    fn domains(&mut self) -> Result<&mut dyn Domains> {
        let reach = T::CAPABILITIES.domains.ok_or_else(|| unavailable(Capability::Domains))?;
        Ok(reach(self))
    }

    fn mail(&mut self) -> Result<&mut dyn Mail> {
        let reach = T::CAPABILITIES.mail.ok_or_else(|| unavailable(Capability::Mail))?;
        Ok(reach(self))
    }
}

/// The error of a capability the custom mode lacks; the driver refuses such a mode
/// before it runs, so this only guards against a mode reaching past its `requires`.
fn unavailable(capability: Capability) -> Error {
    Error::new(format!("this custom mode does not provide {capability:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct HealthOnly;

    impl Health for HealthOnly {
        fn service_health(&mut self) -> Result<Vec<ServiceHealth>> {
            Ok(vec![ServiceHealth { id: "Exchange".into(), ..Default::default() }])
        }
    }

    impl Provides for HealthOnly {
        const CAPABILITIES: Capabilities<Self> = Capabilities { health: Some(|api| api), ..Capabilities::NONE };
    }

    #[test]
    fn the_declaration_is_both_the_check_and_the_way_in() {
        assert!(provides::<HealthOnly>(Capability::ServiceHealth));
        assert!(!provides::<HealthOnly>(Capability::Reports));
        assert!(!provides::<HealthOnly>(Capability::MessageTrace));
        assert!(!provides::<HealthOnly>(Capability::Mail));
        let api: &mut dyn Api = &mut HealthOnly;
        assert_eq!(api.health().expect("declared").service_health().expect("services")[0].id, "Exchange");
        let error = api.reports().map(|_| ()).expect_err("not declared");
        assert_eq!(error.message(), "this custom mode does not provide Reports");
        let error = api.message_trace().map(|_| ()).expect_err("not declared");
        assert_eq!(error.message(), "this custom mode does not provide MessageTrace");
        let error = api.mail().map(|_| ()).expect_err("not declared");
        assert_eq!(error.message(), "this custom mode does not provide Mail");
    }

    #[test]
    fn trace_statuses_read_in_any_case_and_unknown_ones_are_other() {
        for status in TraceStatus::KNOWN {
            assert_eq!(TraceStatus::from_api(status.api_name()), status);
        }
        assert_eq!(TraceStatus::from_api("FilteredAsSpam"), TraceStatus::FilteredAsSpam);
        assert_eq!(TraceStatus::from_api("DELIVERED"), TraceStatus::Delivered);
        assert_eq!(TraceStatus::from_api("unknownFutureValue"), TraceStatus::Other);
        assert_eq!(TraceStatus::from_api("deferredForever"), TraceStatus::Other);
        assert_eq!(TraceStatus::from_api(""), TraceStatus::Other);
    }
}
