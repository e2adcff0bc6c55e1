//! Mail in mailboxes through Microsoft Graph, for the `graphapi` custom mode's
//! [`Mail`](crate::custom::Mail) capability: `sendMail`, the message list of a
//! mailbox, its Junk Email folder, and message deletion.
//!
//! What Graph documents shaped each call:
//!
//! * `POST /users/{id}/sendMail` answers 202 Accepted with no body: the message is
//!   queued, not delivered, and no id of it comes back; `saveToSentItems: false` keeps
//!   the sender's Sent Items free of probes. Custom internet headers must start with
//!   `X-`.
//! * `GET /users/{id}/messages` lists the messages of every folder of the mailbox
//!   (Deleted Items and Junk Email included). `$filter` takes `startswith(subject,…)`
//!   but not the internet headers, which come back only when `$select` names
//!   `internetMessageHeaders`; `$top` is an upper bound, a page may hold fewer
//!   messages, and `@odata.nextLink` leads to the next page as given.
//! * `GET /users/{id}/mailFolders/junkemail` names the Junk Email folder by its
//!   well-known name, whatever its display name in the mailbox's language.
//! * `DELETE /users/{id}/messages/{id}` moves a message to Deleted Items (and deletes
//!   it for good from there); `POST …/permanentDelete` removes it at once, but is
//!   documented in the global cloud only. So a national cloud's deletion leaves a copy
//!   in Deleted Items, with another id, for the next listing to find and delete again.
//! * A refusal of the application's rights on a mailbox is 403 `ErrorAccessDenied`, an
//!   unknown mailbox 404 (`ErrorInvalidUser`, `ResourceNotFound`, or
//!   `MailboxNotEnabledForRESTAPI` for a user without an Exchange Online mailbox).

use centreon_plugin::error::{Error, Result};
use centreon_plugin::http::{percent_encode, Method, Response, Url};
use centreon_plugin::time;
use serde_json::{json, Map, Value};

use crate::custom::client::{answer_time, json_object, json_text, Client};
use crate::custom::cloud::Cloud;
use crate::custom::retry::Refused;
use crate::custom::{FoundMessage, FoundMessages, MessageQuery, OutgoingMail};

/// Messages asked for per page: probes are few, and each carries its internet
/// headers (a few kilobytes).
pub const PAGE_SIZE: u32 = 25;

/// The most pages one listing reads: more matching messages than this is a mailbox
/// to clean up, not to page through on every check.
const MAX_PAGES: usize = 40;

/// The Outlook service's throttling, as Graph documents it, for the error once the
/// retries are spent.
const THROTTLED: &str = "Exchange Online throttles Graph mail requests per application and mailbox (10000 \
                         requests per 10 minutes, 4 at a time): check less often, or spread the services over \
                         other probe mailboxes";

/// What a mail call does, for its refusals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operation {
    Send,
    Read,
    Delete,
}

impl Operation {
    /// The application permission the operation needs.
    fn permission(self) -> &'static str {
        match self {
            Operation::Send => "Mail.Send",
            Operation::Read | Operation::Delete => "Mail.ReadWrite",
        }
    }

    fn verb(self) -> &'static str {
        match self {
            Operation::Send => "send mail as",
            Operation::Read => "read the messages of",
            Operation::Delete => "delete messages of",
        }
    }
}

/// The error for a refused call on `mailbox`, saying what to do about it.
fn refusal(refused: Refused, operation: Operation, mailbox: &str) -> Error {
    let Refused { error, status, code, .. } = refused;
    let code_text = code.as_deref().map(|c| format!(" {c}")).unwrap_or_default();
    match status {
        Some(403) => error.context(format!(
            "Graph refused to {} {mailbox} (403{code_text}): the application needs the application permission {}, \
             admin consented, for this mailbox; to grant it for the probe mailboxes only, assign Exchange \
             Online's role 'Application {}' to the application with a management scope holding them (RBAC for \
             Applications: New-ManagementScope, New-ManagementRoleAssignment -App … -CustomResourceScope …)",
            operation.verb(),
            operation.permission(),
            operation.permission()
        )),
        Some(404) => error.context(format!(
            "Mailbox {mailbox} not found (404{code_text}): give the address or UPN of a mailbox of this tenant \
             (a user or shared mailbox in Exchange Online)"
        )),
        Some(429) | Some(503) => error.context(THROTTLED),
        _ => error,
    }
}

/// A path segment: the mailbox or message id, percent-encoded.
fn segment(text: &str) -> String {
    percent_encode(text)
}

/// `POST v1.0/users/{from}/sendMail`: the API's time when it accepted the message.
pub fn send(client: &mut Client, mail: &OutgoingMail<'_>) -> Result<i64> {
    let url = client.url(&format!("v1.0/users/{}/sendMail", segment(mail.from)))?;
    let (name, value) = mail.header;
    let body = json!({
        "message": {
            "subject": mail.subject,
            "body": {"contentType": "Text", "content": mail.body},
            "toRecipients": [{"emailAddress": {"address": mail.to}}],
            "internetMessageHeaders": [{"name": name, "value": value}],
        },
        "saveToSentItems": false,
    });
    let response = client
        .send(Method::Post, url, Some(body.to_string().into_bytes()), &[202])
        .map_err(|refused| refusal(refused, Operation::Send, mail.from))?;
    Ok(time_of(&response))
}

/// The time of an answer: the API's clock, else the local one.
fn time_of(response: &Response) -> i64 {
    answer_time(response).unwrap_or_else(time::now)
}

/// The fields a listing asks for: what the modes read, nothing more.
const SELECT: &str = "id,subject,sentDateTime,receivedDateTime,parentFolderId,internetMessageHeaders";

/// `GET v1.0/users/{mailbox}/messages?$filter=startswith(subject,'…')&$select=…&$top=…`,
/// then each `@odata.nextLink`; every page is read before anything is returned.
pub fn find(client: &mut Client, query: &MessageQuery<'_>) -> Result<FoundMessages> {
    let filter = percent_encode(&format!("startswith(subject,{})", literal(query.subject_prefix)));
    let path = format!("v1.0/users/{}/messages", segment(query.mailbox));
    let mut url = client.url(&format!("{path}?$filter={filter}&$select={SELECT}&$top={PAGE_SIZE}"))?;
    let mut seen: Vec<Url> = Vec::new();
    let mut messages = Vec::new();
    loop {
        if seen.len() >= MAX_PAGES {
            return Err(Error::new(format!(
                "Mailbox {} holds more than {} messages whose subject starts with '{}': delete them, or give \
                 another read mailbox",
                query.mailbox,
                MAX_PAGES * PAGE_SIZE as usize,
                query.subject_prefix
            )));
        }
        seen.push(url.clone());
        let response = client
            .send(Method::Get, url, None, &[200])
            .map_err(|refused| refusal(refused, Operation::Read, query.mailbox))?;
        let time = time_of(&response);
        let mut page = client.json_answer(response)?;
        let items = match page.remove("value") {
            Some(Value::Array(items)) => items,
            _ => return Err(Error::new(format!("Graph endpoint answered {path} without a 'value' list"))),
        };
        for item in &items {
            messages.push(found(item, query.header)?);
        }
        match next_page(&page, &seen, &path)? {
            Some(next) => url = next,
            None => return Ok(FoundMessages { messages, time }),
        }
    }
}

/// The page after `page`, from its `@odata.nextLink`; a link already followed is an
/// error, as the pages would never end.
fn next_page(page: &Map<String, Value>, seen: &[Url], path: &str) -> Result<Option<Url>> {
    let link = match page.get("@odata.nextLink") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(link)) => link,
        Some(other) => {
            return Err(Error::new(format!("Graph endpoint gave an @odata.nextLink that is not a URL: {other}")))
        }
    };
    let next = Url::parse(link)
        .map_err(|e| Error::new(format!("Graph endpoint gave an invalid @odata.nextLink '{link}': {e}")))?;
    if seen.contains(&next) {
        return Err(Error::new(format!(
            "Graph endpoint gave the @odata.nextLink '{next}' a second time: the pages of {path} would never end"
        )));
    }
    Ok(Some(next))
}

/// An OData string literal.
fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// One `message` object of a listing, with the value of its `header` (names compare
/// without case, as in mail).
fn found(item: &Value, header: &str) -> Result<FoundMessage> {
    let message = json_object(item, "Graph endpoint", "message")?;
    let id = json_text(message, "id");
    if id.is_empty() {
        return Err(Error::new(format!("Graph endpoint gave a message without an id: {item}")));
    }
    let when = |key: &str| message.get(key).and_then(Value::as_str).and_then(time::parse_utc_iso);
    let header = match message.get("internetMessageHeaders") {
        Some(Value::Array(headers)) => headers.iter().find_map(|h| {
            let name = h.get("name").and_then(Value::as_str)?;
            name.eq_ignore_ascii_case(header).then(|| h.get("value").and_then(Value::as_str).unwrap_or("").to_string())
        }),
        _ => None,
    };
    Ok(FoundMessage {
        id,
        subject: json_text(message, "subject"),
        sent: when("sentDateTime"),
        received: when("receivedDateTime"),
        folder: json_text(message, "parentFolderId"),
        header,
    })
}

/// `GET v1.0/users/{mailbox}/mailFolders/junkemail?$select=id`: the folder's id.
pub fn junk_folder(client: &mut Client, mailbox: &str) -> Result<String> {
    let url = client.url(&format!("v1.0/users/{}/mailFolders/junkemail?$select=id", segment(mailbox)))?;
    let response =
        client.send(Method::Get, url, None, &[200]).map_err(|refused| refusal(refused, Operation::Read, mailbox))?;
    let folder = client.json_answer(response)?;
    match folder.get("id").and_then(Value::as_str) {
        Some(id) if !id.is_empty() => Ok(id.to_string()),
        _ => Err(Error::new(format!("Graph endpoint gave the Junk Email folder of {mailbox} without an id"))),
    }
}

/// Deletes message `id` of `mailbox`: `permanentDelete` in the global cloud, where
/// Graph documents it; elsewhere `DELETE`, which leaves a copy in Deleted Items. A
/// message already gone (404) is no error.
pub fn delete(client: &mut Client, mailbox: &str, id: &str) -> Result<()> {
    let path = format!("v1.0/users/{}/messages/{}", segment(mailbox), segment(id));
    let (method, url) = match client.cloud() {
        Cloud::Global => (Method::Post, client.url(&format!("{path}/permanentDelete"))?),
        _ => (Method::Delete, client.url(&path)?),
    };
    match client.send(method, url, None, &[204, 200]) {
        Ok(_) => Ok(()),
        Err(Refused { status: Some(404), .. }) => Ok(()),
        Err(refused) => Err(refusal(refused, Operation::Delete, mailbox)),
    }
}

/// The `account` of the [`Mail`](crate::custom::Mail) capability: tenant and endpoint.
pub fn account(client: &Client) -> String {
    format!("{}\n{}", client.tenant(), client.endpoint())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_reads_its_times_folder_and_header() {
        let item = json!({
            "id": "AAMk=", "subject": "probe", "sentDateTime": "2026-11-30T06:55:00Z",
            "receivedDateTime": "2026-11-30T06:55:45Z", "parentFolderId": "inbox-id",
            "internetMessageHeaders": [{"name": "Received", "value": "x"}, {"name": "x-probe", "value": "v1 a"}],
        });
        let message = found(&item, "X-Probe").expect("a message");
        assert_eq!(message.id, "AAMk=");
        assert_eq!((message.sent, message.received), (Some(1_796_021_700), Some(1_796_021_745)));
        assert_eq!(message.folder, "inbox-id");
        assert_eq!(message.header.as_deref(), Some("v1 a"));
        let bare = found(&json!({"id": "b", "receivedDateTime": "soon"}), "X-Probe").expect("a message");
        assert_eq!((bare.sent, bare.received, bare.header), (None, None, None));
        let error = found(&json!({"subject": "no id"}), "X-Probe").expect_err("no id");
        assert!(error.message().starts_with("Graph endpoint gave a message without an id"), "{error}");
    }

    #[test]
    fn literals_double_their_quotes() {
        assert_eq!(literal("it's"), "'it''s'");
    }

    #[test]
    fn refusals_say_which_permission_and_how_to_scope_it() {
        let refused = |status: u16, code: &str| Refused {
            error: Error::new("Graph endpoint API return error code 'X'"),
            unavailable: None,
            status: Some(status),
            code: Some(code.to_string()),
        };
        let error = refusal(refused(403, "ErrorAccessDenied"), Operation::Send, "probe@contoso.com");
        let text = error.message();
        assert!(text.starts_with("Graph refused to send mail as probe@contoso.com (403 ErrorAccessDenied)"), "{text}");
        assert!(text.contains("Mail.Send") && text.contains("'Application Mail.Send'"), "{text}");
        let error = refusal(refused(403, "ErrorAccessDenied"), Operation::Delete, "probe@contoso.com");
        assert!(error.message().contains("'Application Mail.ReadWrite'"), "{error}");
        let error = refusal(refused(404, "ErrorInvalidUser"), Operation::Read, "nobody@contoso.com");
        assert!(error.message().starts_with("Mailbox nobody@contoso.com not found (404 ErrorInvalidUser)"), "{error}");
        let error = refusal(refused(400, "BadRequest"), Operation::Read, "a");
        assert_eq!(error.message(), "Graph endpoint API return error code 'X'");
    }
}
