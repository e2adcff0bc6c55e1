//! Graph mail as its reference pages document it, for `mail-roundtrip`:
//! `POST /v1.0/users/{id}/sendMail` (202 Accepted, no body; the message delivered
//! after a configurable delay, or lost, or put in Junk Email, at set rates; a copy
//! in Sent Items unless `saveToSentItems` is false), `GET /v1.0/users/{id}/messages`
//! across every folder (`$filter=startswith(subject,'…')` only, any other filter a
//! 400 `ErrorInvalidUrlQueryFilter`; `$select`, `$top` from 1 to 1000 with pages that
//! may hold fewer, `@odata.nextLink` with `$skip`; internet headers only when
//! selected), `GET /v1.0/users/{id}/mailFolders/junkemail`, `DELETE
//! /v1.0/users/{id}/messages/{id}` (to Deleted Items with a new id, for good from
//! there) and `POST …/permanentDelete`, a 404 `ErrorInvalidUser` for a mailbox it
//! does not hold and a 403 `ErrorAccessDenied` for an access a test denies.
//!
//! Mail has a clock of its own, which every answer gives in its `Date` header and
//! which a test moves on with [`MockGraph::advance_mail_clock`]: a probe delivered
//! after N seconds shows N seconds between its `sentDateTime` and `receivedDateTime`
//! whatever the wall clock does, and nothing waits for real unless the clock runs.

use std::collections::BTreeMap;
use std::time::{Duration, UNIX_EPOCH};

use serde_json::{json, Map, Value};

use super::calendar::{self, iso_datetime};
use super::handler::unquote;
use super::MockGraph;

/// The well-known folders, by the name Graph gives them and the id the mock does.
const FOLDERS: [(&str, &str); 4] = [
    ("inbox", "AQMkFolder-inbox="),
    ("junkemail", "AQMkFolder-junkemail="),
    ("deleteditems", "AQMkFolder-deleteditems="),
    ("sentitems", "AQMkFolder-sentitems="),
];

/// The properties a `$select` may name.
const PROPERTIES: [&str; 9] = [
    "id",
    "subject",
    "sentDateTime",
    "receivedDateTime",
    "parentFolderId",
    "internetMessageHeaders",
    "from",
    "toRecipients",
    "bodyPreview",
];

/// How the mock's mail clock moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MailClock {
    /// Only when a test moves it (and by `tick_on_list`): the tests' clock.
    Frozen,
    /// With the wall clock too, from the mock's start: `mockgraph`'s.
    #[allow(dead_code)]
    Running,
}

/// How mail behaves; `Default` is what a test gets unless it asks.
#[derive(Clone, Debug, PartialEq)]
pub struct MailSettings {
    /// The mailboxes of the tenant (compared without case).
    pub mailboxes: Vec<String>,
    /// Seconds from sending to arrival.
    pub delay_secs: i64,
    /// The share of messages never delivered, from 0 to 1, spread evenly (with 0.5,
    /// every second message).
    pub loss_rate: f64,
    /// The share of delivered messages put in Junk Email, spread the same way.
    pub junk_rate: f64,
    /// The most messages one page holds, whatever `$top` asks for.
    pub page_size: usize,
    /// Outside addresses that send what they receive back, unchanged, to a mailbox.
    pub echo: Vec<(String, String)>,
    /// How the mail clock moves.
    pub clock: MailClock,
    /// Seconds the clock moves on at each message listing, before it answers.
    pub tick_on_list: i64,
}

impl Default for MailSettings {
    fn default() -> MailSettings {
        MailSettings {
            mailboxes: vec!["probe@contoso.onmicrosoft.com".into(), "roundtrip@contoso.onmicrosoft.com".into()],
            delay_secs: 0,
            loss_rate: 0.0,
            junk_rate: 0.0,
            page_size: 2,
            echo: Vec::new(),
            clock: MailClock::Frozen,
            tick_on_list: 0,
        }
    }
}

/// An access a test can deny on a mailbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// `sendMail` as the mailbox (`Mail.Send`).
    Send,
    /// Listing its messages and folders (`Mail.Read`).
    Read,
    /// Deleting its messages (`Mail.ReadWrite`).
    Write,
}

/// One message as the mock keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailMessage {
    /// Its id in its mailbox.
    pub id: String,
    /// The mailbox holding it (lower case).
    pub mailbox: String,
    /// Its folder's well-known name (`inbox`, `junkemail`…).
    pub folder: String,
    pub subject: String,
    /// Its internet headers, custom ones included.
    pub headers: Vec<(String, String)>,
    /// Unix seconds, on the mail clock.
    pub sent: i64,
    /// When it arrives: it is listed from then on.
    pub received: i64,
}

/// One mail request with a token, as answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailCall {
    /// `GET`, `POST` or `DELETE`.
    pub method: String,
    /// The request target, percent-decoded.
    pub path: String,
    /// The HTTP status answered.
    pub status: u16,
    /// The messages a listing page held.
    pub returned: usize,
}

/// The mail of the tenant, under one lock.
#[derive(Debug)]
pub struct Mail {
    settings: MailSettings,
    /// The mail clock at the mock's start (Unix seconds) and the wall clock then.
    anchor: i64,
    offset: i64,
    messages: Vec<MailMessage>,
    denied: Vec<(String, Access)>,
    sent: u64,
    delivered: u64,
    next_id: u64,
    log: Vec<MailCall>,
}

impl Mail {
    /// The tenant's mail, its clock starting at `anchor` (Unix seconds).
    pub fn new(settings: MailSettings, anchor: i64) -> Mail {
        Mail {
            settings,
            anchor,
            offset: 0,
            messages: Vec::new(),
            denied: Vec::new(),
            sent: 0,
            delivered: 0,
            next_id: 0,
            log: Vec::new(),
        }
    }

    /// The mail clock.
    pub fn now(&self) -> i64 {
        let running = match self.settings.clock {
            MailClock::Frozen => 0,
            MailClock::Running => calendar::now() - self.anchor,
        };
        self.anchor + self.offset + running
    }

    fn has_mailbox(&self, mailbox: &str) -> bool {
        self.settings.mailboxes.iter().any(|m| m.eq_ignore_ascii_case(mailbox))
    }

    fn denies(&self, mailbox: &str, access: Access) -> bool {
        self.denied.iter().any(|(m, a)| m.eq_ignore_ascii_case(mailbox) && *a == access)
    }

    fn new_id(&mut self) -> String {
        self.next_id += 1;
        format!("AAMkAGI2Tmsg{:06}-x_y=", self.next_id)
    }

    /// Whether the `n`th of a series (from 0) falls in `rate` spread evenly.
    fn falls(n: u64, rate: f64) -> bool {
        let rate = rate.clamp(0.0, 1.0);
        ((n + 1) as f64 * rate).floor() > (n as f64 * rate).floor()
    }
}

/// An answer of the mail routes: status, JSON body (empty for none).
pub struct Answer {
    pub status: u16,
    pub body: String,
    /// The `Date` header: the mail clock.
    pub date: String,
}

fn error(status: u16, code: &str, message: &str) -> (u16, String) {
    (status, json!({"error": {"code": code, "message": message}}).to_string())
}

fn invalid_user(mailbox: &str) -> (u16, String) {
    error(404, "ErrorInvalidUser", &format!("The requested user '{mailbox}' is invalid."))
}

fn access_denied() -> (u16, String) {
    error(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.")
}

/// Whether a request target is one of the mail routes.
pub fn is_mail_route(path: &str) -> bool {
    path.starts_with("/v1.0/users/")
}

/// Answers one mail request with a token: `raw` is the target as sent.
pub fn answer(mail: &mut Mail, method: &str, raw: &str, body: &str, graph_base: &str) -> Answer {
    let (route, query) = raw.split_once('?').unwrap_or((raw, ""));
    let parts: Vec<String> = route.trim_start_matches('/').split('/').map(|p| unquote(p, false)).collect();
    let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
    let (status, body, returned) = match (method, parts.as_slice()) {
        ("POST", ["v1.0", "users", mailbox, "sendMail"]) => with_none(send(mail, mailbox, body)),
        ("GET", ["v1.0", "users", mailbox, "messages"]) => list(mail, mailbox, query, graph_base),
        ("GET", ["v1.0", "users", mailbox, "mailFolders", folder]) => with_none(folder_answer(mail, mailbox, folder)),
        ("DELETE", ["v1.0", "users", mailbox, "messages", id]) => with_none(delete(mail, mailbox, id, false)),
        ("POST", ["v1.0", "users", mailbox, "messages", id, "permanentDelete"]) => {
            with_none(delete(mail, mailbox, id, true))
        }
        _ => with_none(error(400, "BadRequest", "Resource not found for the segment.")),
    };
    mail.log.push(MailCall { method: method.to_string(), path: unquote(raw, false), status, returned });
    Answer { status, body, date: http_date(mail.now()) }
}

fn with_none((status, body): (u16, String)) -> (u16, String, usize) {
    (status, body, 0)
}

/// `Sun, 06 Nov 1994 08:49:37 GMT`.
fn http_date(unix: i64) -> String {
    httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(u64::try_from(unix).unwrap_or(0)))
}

/// `POST /v1.0/users/{from}/sendMail`.
fn send(mail: &mut Mail, from: &str, body: &str) -> (u16, String) {
    if !mail.has_mailbox(from) {
        return invalid_user(from);
    }
    if mail.denies(from, Access::Send) {
        return access_denied();
    }
    let Ok(request) = serde_json::from_str::<Value>(body) else {
        return error(400, "ErrorInvalidRequest", "Cannot read the request body.");
    };
    let message = &request["message"];
    let Some(to) = message["toRecipients"][0]["emailAddress"]["address"].as_str() else {
        return error(400, "ErrorInvalidRecipients", "At least one recipient isn't valid.");
    };
    let mut headers = Vec::new();
    for header in message["internetMessageHeaders"].as_array().into_iter().flatten() {
        let (Some(name), Some(value)) = (header["name"].as_str(), header["value"].as_str()) else {
            return error(400, "ErrorInvalidRequest", "An internet message header has no name or value.");
        };
        if !name.to_ascii_lowercase().starts_with("x-") {
            return error(
                400,
                "InvalidInternetMessageHeader",
                &format!("The internet message header name '{name}' should start with 'x-' or 'X-'."),
            );
        }
        headers.push((name.to_string(), value.to_string()));
    }
    let now = mail.now();
    let stored = |id: String, mailbox: &str, folder: &str, received: i64| MailMessage {
        id,
        mailbox: mailbox.to_lowercase(),
        folder: folder.to_string(),
        subject: message["subject"].as_str().unwrap_or_default().to_string(),
        headers: headers.clone(),
        sent: now,
        received,
    };
    if request["saveToSentItems"].as_bool() != Some(false) {
        let id = mail.new_id();
        mail.messages.push(stored(id, from, "sentitems", now));
    }
    let n = mail.sent;
    mail.sent += 1;
    let back_to =
        mail.settings.echo.iter().find(|(outside, _)| outside.eq_ignore_ascii_case(to)).map(|(_, b)| b.clone());
    let destination = if mail.has_mailbox(to) { Some(to.to_string()) } else { back_to };
    if let Some(destination) = destination.filter(|_| !Mail::falls(n, mail.settings.loss_rate)) {
        let junk = Mail::falls(mail.delivered, mail.settings.junk_rate);
        mail.delivered += 1;
        let id = mail.new_id();
        let folder = if junk { "junkemail" } else { "inbox" };
        let received = now + mail.settings.delay_secs;
        mail.messages.push(stored(id, &destination, folder, received));
    }
    (202, String::new())
}

/// The query string's parameters, percent-decoded (`+` stays a `+`).
fn parameters(query: &str) -> BTreeMap<String, String> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (unquote(k, false), unquote(v, false))
        })
        .collect()
}

/// The subject prefix of `startswith(subject,'…')`, the one filter the mock takes.
fn subject_prefix(filter: &str) -> Option<String> {
    let literal = filter.trim().strip_prefix("startswith(subject,")?.strip_suffix(')')?.trim();
    let inner = literal.strip_prefix('\'')?.strip_suffix('\'')?;
    // Inside, a quote is doubled; a lone one ends the literal early.
    let lone = inner.replace("''", "").contains('\'');
    (!lone).then(|| inner.replace("''", "'"))
}

/// `GET /v1.0/users/{mailbox}/messages`: newest first, every folder.
fn list(mail: &mut Mail, mailbox: &str, query: &str, base: &str) -> (u16, String, usize) {
    if !mail.has_mailbox(mailbox) {
        return with_none(invalid_user(mailbox));
    }
    if mail.denies(mailbox, Access::Read) {
        return with_none(access_denied());
    }
    let params = parameters(query);
    let prefix = match params.get("$filter") {
        None => None,
        Some(filter) => match subject_prefix(filter) {
            Some(prefix) => Some(prefix),
            None => {
                return with_none(error(
                    400,
                    "ErrorInvalidUrlQueryFilter",
                    "The query filter contains one or more invalid nodes.",
                ))
            }
        },
    };
    let select: Vec<&str> = params.get("$select").map_or_else(|| PROPERTIES.to_vec(), |s| s.split(',').collect());
    if let Some(unknown) = select.iter().find(|p| !PROPERTIES.contains(p)) {
        let message = format!("Could not find a property named '{unknown}' on type 'microsoft.graph.message'.");
        return with_none(error(400, "RequestBroker--ParseUri", &message));
    }
    let top = match params.get("$top").map(|t| t.parse::<usize>()) {
        None => 10,
        Some(Ok(top)) if (1..=1000).contains(&top) => top,
        Some(_) => return with_none(error(400, "ErrorInvalidUrlQuery", "The value of $top is invalid.")),
    };
    let skip = match params.get("$skip").map(|s| s.parse::<usize>()) {
        None => 0,
        Some(Ok(skip)) => skip,
        Some(Err(_)) => return with_none(error(400, "ErrorInvalidUrlQuery", "The value of $skip is invalid.")),
    };
    mail.offset += mail.settings.tick_on_list;
    let now = mail.now();
    let mut visible: Vec<&MailMessage> = mail
        .messages
        .iter()
        .filter(|m| m.mailbox.eq_ignore_ascii_case(mailbox) && m.received <= now)
        .filter(|m| prefix.as_ref().is_none_or(|p| m.subject.to_lowercase().starts_with(&p.to_lowercase())))
        .collect();
    visible.sort_by(|a, b| b.received.cmp(&a.received).then(b.id.cmp(&a.id)));
    let size = top.min(mail.settings.page_size.max(1));
    let page: Vec<Value> = visible.iter().skip(skip).take(size).map(|m| shown(m, &select)).collect();
    let mut body = Map::new();
    let returned = page.len();
    body.insert("value".into(), Value::Array(page));
    if skip + size < visible.len() {
        let mut next = format!("{base}/v1.0/users/{mailbox}/messages?");
        for (name, value) in params.iter().filter(|(k, _)| k.as_str() != "$skip") {
            next.push_str(&format!("{name}={}&", encode(value)));
        }
        next.push_str(&format!("$skip={}", skip + size));
        body.insert("@odata.nextLink".into(), Value::from(next));
    }
    (200, Value::Object(body).to_string(), returned)
}

/// Percent-encodes a query value as Graph writes its next links.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~$".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The folder id of a well-known folder name.
fn folder_id(name: &str) -> &'static str {
    FOLDERS.iter().find(|(n, _)| *n == name).map_or("AQMkFolder-other=", |(_, id)| id)
}

/// A message as a listing shows it: the properties selected (`id` always).
fn shown(message: &MailMessage, select: &[&str]) -> Value {
    let mut shown = Map::new();
    shown.insert("@odata.etag".into(), Value::from(format!("W/\"{}\"", message.id.len())));
    shown.insert("id".into(), Value::from(message.id.as_str()));
    for property in select {
        let value = match *property {
            "subject" => Value::from(message.subject.as_str()),
            "sentDateTime" => Value::from(iso_datetime(message.sent)),
            "receivedDateTime" => Value::from(iso_datetime(message.received)),
            "parentFolderId" => Value::from(folder_id(&message.folder)),
            "internetMessageHeaders" => {
                let mut headers = vec![
                    json!({"name": "Received", "value": "from mock.prod.outlook.com by mock.prod.outlook.com"}),
                    json!({"name": "Subject", "value": message.subject}),
                ];
                headers.extend(message.headers.iter().map(|(name, value)| json!({"name": name, "value": value})));
                Value::Array(headers)
            }
            "bodyPreview" => Value::from(""),
            _ => continue,
        };
        shown.insert((*property).to_string(), value);
    }
    Value::Object(shown)
}

/// `GET /v1.0/users/{mailbox}/mailFolders/{well-known name}`.
fn folder_answer(mail: &Mail, mailbox: &str, name: &str) -> (u16, String) {
    if !mail.has_mailbox(mailbox) {
        return invalid_user(mailbox);
    }
    if mail.denies(mailbox, Access::Read) {
        return access_denied();
    }
    match FOLDERS.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
        Some((_, id)) => (200, json!({"id": id, "displayName": name}).to_string()),
        None => error(404, "ErrorFolderNotFound", "The specified folder could not be found in the store."),
    }
}

/// `DELETE` (to Deleted Items, for good from there) or `permanentDelete`.
fn delete(mail: &mut Mail, mailbox: &str, id: &str, permanent: bool) -> (u16, String) {
    if !mail.has_mailbox(mailbox) {
        return invalid_user(mailbox);
    }
    if mail.denies(mailbox, Access::Write) {
        return access_denied();
    }
    let Some(index) = mail.messages.iter().position(|m| m.id == id && m.mailbox.eq_ignore_ascii_case(mailbox)) else {
        return error(404, "ErrorItemNotFound", "The specified object was not found in the store.");
    };
    let message = mail.messages.remove(index);
    if !permanent && message.folder != "deleteditems" {
        let id = mail.new_id();
        mail.messages.push(MailMessage { id, folder: "deleteditems".into(), ..message });
    }
    (204, String::new())
}

impl MockGraph {
    /// Moves the mail clock on by `secs`.
    pub fn advance_mail_clock(&self, secs: i64) {
        self.shared.mail().offset += secs;
    }

    /// The mail clock (Unix seconds).
    pub fn mail_now(&self) -> i64 {
        self.shared.mail().now()
    }

    /// Changes how mail behaves from now on.
    pub fn configure_mail(&self, change: impl FnOnce(&mut MailSettings)) {
        change(&mut self.shared.mail().settings);
    }

    /// Refuses `access` on `mailbox` with 403 `ErrorAccessDenied` from now on.
    pub fn deny_mail(&self, mailbox: &str, access: Access) {
        self.shared.mail().denied.push((mailbox.to_string(), access));
    }

    /// Takes back what [`MockGraph::deny_mail`] refused.
    pub fn allow_mail(&self, mailbox: &str, access: Access) {
        self.shared.mail().denied.retain(|(m, a)| !(m.eq_ignore_ascii_case(mailbox) && *a == access));
    }

    /// Every message of `mailbox`, arrived or on its way, in any folder.
    pub fn mailbox(&self, mailbox: &str) -> Vec<MailMessage> {
        self.shared.mail().messages.iter().filter(|m| m.mailbox.eq_ignore_ascii_case(mailbox)).cloned().collect()
    }

    /// Puts a message that arrived now in the `folder` of `mailbox`.
    pub fn put_message(&self, mailbox: &str, folder: &str, subject: &str, headers: &[(&str, &str)]) {
        let mut mail = self.shared.mail();
        let (id, now) = (mail.new_id(), mail.now());
        mail.messages.push(MailMessage {
            id,
            mailbox: mailbox.to_lowercase(),
            folder: folder.to_string(),
            subject: subject.to_string(),
            headers: headers.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect(),
            sent: now,
            received: now,
        });
    }

    /// Every mail request with a token, as answered.
    pub fn mail_log(&self) -> Vec<MailCall> {
        self.shared.mail().log.clone()
    }
}
