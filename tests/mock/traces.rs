//! Graph's message trace, `GET /v1.0/admin/exchange/tracing/messageTraces`,
//! as its reference page documents it, over a generated stream of messages:
//! `$filter` (`receivedDateTime` `ge` and `le` together, at most 10 days,
//! within the last 90, not in the future; without them the last 48 hours;
//! `eq` on `senderAddress`, `recipientAddress`, `status`, `fromIP`, `toIP`,
//! `messageId`, `id`; `contains`, `startsWith`, `endsWith` on `subject`),
//! `$top` (1 to 5000, default 1000), `@odata.nextLink` carrying the whole
//! query and a `$skiptoken`, newest messages first, and a 400 `BadRequest`
//! for what the API refuses.
//!
//! The stream is a pure function of the mock's start time (its anchor):
//! `per_minute` messages in every minute before it, back `HORIZON_DAYS`, each
//! in the middle 50 seconds of its minute, with every status in fixed shares
//! (`unknownFutureValue` standing for `recalled` unless the request sends
//! `Prefer: include-unknown-enum-members`). Messages younger than the lag are
//! not visible yet, as message trace data takes minutes to arrive.

use std::collections::BTreeMap;

use md5::{Digest, Md5};
use serde_json::{json, Value};

use super::calendar::{iso_datetime, parse_iso_datetime};
use super::handler::unquote;

/// The statuses of `exchangeMessageTraceStatus`, in the reference page's order.
pub const STATUSES: [&str; 9] = [
    "gettingStatus",
    "pending",
    "failed",
    "delivered",
    "expanded",
    "quarantined",
    "filteredAsSpam",
    "unknownFutureValue",
    "recalled",
];
/// The default page size.
const DEFAULT_TOP: usize = 1000;
/// The largest page size.
const MAX_TOP: usize = 5000;
/// How far back the stream goes.
const HORIZON_DAYS: i64 = 10;
/// The longest `receivedDateTime` range of one query.
const MAX_RANGE: i64 = 10 * 86_400;
/// How far back a query may start.
const MAX_AGE: i64 = 90 * 86_400;
/// The range of a query that gives none.
const DEFAULT_RANGE: i64 = 48 * 3600;
/// How far in the future an end bound may lie, for the clocks' disagreement.
const CLOCK_SKEW: i64 = 60;
const SUBJECTS: [&str; 6] = [
    "Quarterly report",
    "Re: Délai de remise des messages",
    "Invoice \"April\", final",
    "会議の件",
    "Weekly digest: updates for your team",
    "Undeliverable: Out of office",
];

/// How message trace behaves; `Default` is what a test gets unless it asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceSettings {
    /// Messages received in each minute before the mock started (default 3).
    pub per_minute: usize,
    /// Seconds before a received message shows in message trace (default 300).
    pub lag_secs: i64,
    /// Requests accepted per tenant in any 5 minutes, as Microsoft's throttling (default 100).
    pub limit: usize,
}

impl Default for TraceSettings {
    fn default() -> TraceSettings {
        TraceSettings { per_minute: 3, lag_secs: 300, limit: 100 }
    }
}

/// One message trace request as the stand-in answered it, so that tests can
/// compare the plugin's counts with what it was actually given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceCall {
    /// The request's query string, percent-decoded.
    pub query: String,
    /// The HTTP status of the answer.
    pub status: u16,
    /// The `receivedDateTime` range the answer covered (Unix seconds, both included).
    pub window: Option<(i64, i64)>,
    /// Messages in this page.
    pub returned: usize,
    /// This page's messages by the status they were given as.
    pub by_status: BTreeMap<String, usize>,
    /// Whether the page carried an `@odata.nextLink`.
    pub next_link: bool,
}

/// The generated messages.
pub struct Stream {
    anchor: i64,
    per_minute: i64,
    addresses: Vec<String>,
}

impl Stream {
    /// The stream ending at `anchor` (Unix seconds), between the tenant's
    /// `addresses` and a few outside ones.
    pub fn new(anchor: i64, per_minute: usize, addresses: Vec<String>) -> Stream {
        Stream { anchor, per_minute: i64::try_from(per_minute.max(1)).unwrap_or(1), addresses }
    }

    /// When message `n` (0 the newest) was received.
    pub fn time(&self, n: i64) -> i64 {
        let (minute, slot) = (n / self.per_minute + 1, n % self.per_minute);
        self.anchor - minute * 60 + 5 + slot * 50 / self.per_minute
    }

    /// The messages received from `start` to `end` (both included), newest first.
    fn between(&self, start: i64, end: i64) -> impl Iterator<Item = i64> + '_ {
        let first = ((self.anchor - end) / 60).max(1);
        let last = ((self.anchor - start) / 60 + 1).min(HORIZON_DAYS * 1440);
        let per_minute = self.per_minute;
        (first..=last)
            .flat_map(move |minute| (0..per_minute).rev().map(move |slot| (minute - 1) * per_minute + slot))
            .filter(move |&n| (start..=end).contains(&self.time(n)))
    }

    /// The status of message `n`: 80% delivered, 5% failed, 4% pending, 4%
    /// filtered as spam, 3% quarantined, 2% expanded, 1% getting status, 1% recalled.
    pub fn status(n: i64) -> &'static str {
        match (n * 37 + 11).rem_euclid(100) {
            0..=79 => "delivered",
            80..=83 => "pending",
            84..=88 => "failed",
            89..=91 => "quarantined",
            92..=95 => "filteredAsSpam",
            96..=97 => "expanded",
            98 => "gettingStatus",
            _ => "recalled",
        }
    }

    /// Message `n` as the API gives it.
    fn message(&self, n: i64, shown_status: &str) -> Value {
        let digest = Md5::digest(format!("{}:{n}", self.anchor).as_bytes());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        let id = format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..]);
        let (internal, external) = self.parties(n);
        let outbound = n % 3 == 0;
        let (sender, recipient) = if outbound { (internal, external) } else { (external, internal) };
        let domain = sender.rsplit('@').next().unwrap_or("contoso.onmicrosoft.com");
        let octet = n % 250 + 1;
        json!({
            "id": id,
            "senderAddress": sender,
            "recipientAddress": recipient,
            "messageId": format!("<{}@{domain}>", &hex[..24]),
            "receivedDateTime": iso_datetime(self.time(n)),
            "subject": SUBJECTS[usize::try_from(n).unwrap_or(0) % SUBJECTS.len()],
            "size": 2_000 + (n * 7919) % 250_000,
            "fromIP": if outbound { format!("10.1.0.{octet}") } else { format!("203.0.113.{octet}") },
            "toIP": if outbound { format!("198.51.100.{octet}") } else { String::new() },
            "status": shown_status,
        })
    }

    /// The (tenant, outside) addresses of message `n`.
    fn parties(&self, n: i64) -> (String, String) {
        let index = usize::try_from(n).unwrap_or(0);
        let internal = if self.addresses.is_empty() {
            format!("user{:06}@contoso.onmicrosoft.com", index % 10)
        } else {
            self.addresses[index % self.addresses.len()].clone()
        };
        (internal, format!("partner{}@fabrikam.com", n % 7))
    }
}

/// What a request asks for, beyond the window.
#[derive(Default)]
struct Filter {
    start: Option<i64>,
    end: Option<i64>,
    /// `eq` tests: (property, value).
    equals: Vec<(&'static str, String)>,
    /// Subject tests: (function, value).
    subject: Vec<(&'static str, String)>,
}

/// How a request wants its page.
pub struct Ask<'a> {
    /// The query string as sent (percent-encoded).
    pub raw_query: &'a str,
    /// The time the request arrived (Unix seconds).
    pub now: i64,
    /// Whether it sent `Prefer: include-unknown-enum-members`.
    pub include_unknown: bool,
    /// Whether it came to `/beta`, whose answers spell statuses PascalCase.
    pub beta: bool,
    /// The URL the next link starts with (`http://127.0.0.1:PORT/v1.0/admin/...`).
    pub base: String,
}

/// The answer to a message trace request: the JSON body and what it held.
pub struct Page {
    /// The body to send with 200.
    pub body: Value,
    /// What the log records of it.
    pub call: TraceCall,
}

/// Answers one request, or says why the API refuses it (a 400 `BadRequest`).
pub fn answer(stream: &Stream, lag_secs: i64, ask: &Ask<'_>) -> Result<Page, String> {
    let mut filter_text = None;
    let mut top = DEFAULT_TOP;
    let mut token = None;
    let mut carried = Vec::new();
    for pair in ask.raw_query.split('&').filter(|p| !p.is_empty()) {
        let (raw_key, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
        let (key, value) = (unquote(raw_key, true), unquote(raw_value, true));
        match key.to_ascii_lowercase().as_str() {
            "$filter" => filter_text = Some(value),
            "$top" => {
                top =
                    value.parse::<usize>().ok().filter(|t| (1..=MAX_TOP).contains(t)).ok_or_else(|| {
                        format!("Invalid value '{value}' for $top: it must be between 1 and {MAX_TOP}.")
                    })?;
            }
            "$skiptoken" => {
                token = Some(read_token(&value).ok_or_else(|| format!("Invalid $skiptoken '{value}'."))?);
                continue;
            }
            other if other.starts_with('$') => {
                return Err(format!("Query option '{key}' is not supported on messageTraces."));
            }
            _ => {}
        }
        carried.push(pair);
    }
    let filter = match &filter_text {
        Some(text) => parse_filter(text)?,
        None => Filter::default(),
    };
    let (offset, cutoff) = token.unwrap_or((0, ask.now));
    let (start, end) = match (filter.start, filter.end) {
        (Some(start), Some(end)) => {
            if start > end {
                return Err("The start date must not be later than the end date.".to_string());
            }
            if end - start > MAX_RANGE {
                return Err("The receivedDateTime range must not exceed 10 days.".to_string());
            }
            if start < ask.now - MAX_AGE {
                return Err("The start date must not be more than 90 days in the past.".to_string());
            }
            if end > ask.now + CLOCK_SKEW {
                return Err("The end date must not be later than the current date.".to_string());
            }
            (start, end)
        }
        (None, None) => (cutoff - DEFAULT_RANGE, cutoff),
        _ => {
            return Err("Filter on receivedDateTime with both bounds: receivedDateTime ge {start} and \
                        receivedDateTime le {end}."
                .to_string())
        }
    };
    let shown = |n: i64| {
        let status = Stream::status(n);
        let status = if status == "recalled" && !ask.include_unknown { "unknownFutureValue" } else { status };
        if ask.beta {
            let mut chars = status.chars();
            chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
        } else {
            status.to_string()
        }
    };
    let visible_until = end.min(cutoff - lag_secs);
    let matching: Vec<(i64, Value)> = stream
        .between(start, visible_until)
        .map(|n| (n, stream.message(n, &shown(n))))
        .filter(|(n, message)| matches(&filter, *n, message))
        .collect();
    let page: Vec<Value> = matching.iter().skip(offset).take(top).map(|(_, m)| m.clone()).collect();
    let mut by_status = BTreeMap::new();
    for message in &page {
        *by_status.entry(message["status"].as_str().unwrap_or_default().to_string()).or_insert(0) += 1;
    }
    let next = offset + page.len() < matching.len();
    let mut body = json!({
        "@odata.context": format!("{}/$metadata#admin/exchange/tracing/messageTraces", ask.base.split("/admin/").next().unwrap_or_default()),
        "value": page,
    });
    if next {
        let mut query: Vec<String> = carried.iter().map(|pair| pair.to_string()).collect();
        query.push(format!("$skiptoken={}", write_token(offset + top, cutoff)));
        body["@odata.nextLink"] = Value::String(format!("{}?{}", ask.base, query.join("&")));
    }
    let call = TraceCall {
        query: unquote(ask.raw_query, true),
        status: 200,
        window: Some((start, end)),
        returned: body["value"].as_array().map_or(0, Vec::len),
        by_status,
        next_link: next,
    };
    Ok(Page { body, call })
}

/// Whether message `n` passes the filter's `eq` and subject tests.
fn matches(filter: &Filter, n: i64, message: &Value) -> bool {
    let field = |name: &str| message[name].as_str().unwrap_or_default().to_string();
    let equal = filter.equals.iter().all(|(property, value)| match *property {
        "status" => field("status").eq_ignore_ascii_case(value) || Stream::status(n) == value,
        "senderAddress" | "recipientAddress" => field(property).eq_ignore_ascii_case(value),
        _ => field(property) == *value,
    });
    let subject = field("subject").to_lowercase();
    equal
        && filter.subject.iter().all(|(function, value)| {
            let value = value.to_lowercase();
            match *function {
                "contains" => subject.contains(&value),
                "startsWith" => subject.starts_with(&value),
                _ => subject.ends_with(&value),
            }
        })
}

/// The skip token of the page at `offset` of a listing as of `cutoff`: opaque
/// to the client, which must follow the whole next link.
fn write_token(offset: usize, cutoff: i64) -> String {
    format!("{offset}:{cutoff}").bytes().map(|b| format!("{b:02x}")).collect()
}

fn read_token(token: &str) -> Option<(usize, i64)> {
    let bytes: Option<Vec<u8>> =
        (0..token.len()).step_by(2).map(|i| token.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok())).collect();
    let text = String::from_utf8(bytes?).ok()?;
    let (offset, cutoff) = text.split_once(':')?;
    Some((offset.parse().ok()?, cutoff.parse().ok()?))
}

/// Splits `text` at the word `word` (` and `, ` or `) outside quotes and parentheses.
fn split_word<'a>(text: &'a str, word: &str) -> Vec<&'a str> {
    let pattern = format!(" {word} ");
    let lower = text.to_ascii_lowercase();
    let (mut parts, mut from, mut depth, mut quoted) = (Vec::new(), 0, 0i32, false);
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\'' => quoted = !quoted,
            b'(' if !quoted => depth += 1,
            b')' if !quoted => depth -= 1,
            b' ' if !quoted && depth == 0 && lower[i..].starts_with(&pattern) => {
                parts.push(&text[from..i]);
                i += pattern.len();
                from = i;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    parts.push(&text[from..]);
    parts
}

/// A `'...'` literal's text (doubled quotes undone), or `None` when unquoted.
fn string_literal(text: &str) -> Option<String> {
    let inner = text.strip_prefix('\'')?.strip_suffix('\'')?;
    Some(inner.replace("''", "'"))
}

fn parse_filter(text: &str) -> Result<Filter, String> {
    if split_word(text, "or").len() > 1 {
        return Err("The 'or' operator is not supported in a messageTraces filter.".to_string());
    }
    let mut filter = Filter::default();
    add_clauses(text, &mut filter)?;
    Ok(filter)
}

/// Adds the `and`-joined clauses of `text` to `filter`, a parenthesised group's in turn.
fn add_clauses(text: &str, filter: &mut Filter) -> Result<(), String> {
    for clause in split_word(text.trim(), "and") {
        let clause = clause.trim();
        match parenthesised(clause) {
            Some(inner) => add_clauses(inner, filter)?,
            None => parse_clause(clause, filter)?,
        }
    }
    Ok(())
}

/// The inside of `(...)` when the first parenthesis closes at the very end.
fn parenthesised(clause: &str) -> Option<&str> {
    let inner = clause.strip_prefix('(')?;
    let mut depth = 1;
    let mut quoted = false;
    for (i, c) in inner.char_indices() {
        match c {
            '\'' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => {
                depth -= 1;
                if depth == 0 {
                    return (i + 1 == inner.len()).then(|| &inner[..i]);
                }
            }
            _ => {}
        }
    }
    None
}

fn parse_clause(clause: &str, filter: &mut Filter) -> Result<(), String> {
    let invalid = || format!("Invalid filter clause: '{clause}'.");
    for function in ["contains", "startsWith", "endsWith"] {
        let Some(args) = clause
            .get(..function.len())
            .filter(|head| head.eq_ignore_ascii_case(function))
            .and_then(|_| clause[function.len()..].trim_start().strip_prefix('('))
        else {
            continue;
        };
        let args = args.strip_suffix(')').ok_or_else(invalid)?;
        let (property, literal) = args.split_once(',').ok_or_else(invalid)?;
        if property.trim() != "subject" {
            return Err(format!("The function '{function}' is not supported on property '{}'.", property.trim()));
        }
        filter.subject.push((function, string_literal(literal.trim()).ok_or_else(invalid)?));
        return Ok(());
    }
    let mut words = clause.splitn(3, ' ');
    let (Some(property), Some(op), Some(value)) = (words.next(), words.next(), words.next()) else {
        return Err(invalid());
    };
    let value = value.trim();
    const EQ_ONLY: [&str; 7] = ["senderAddress", "recipientAddress", "status", "fromIP", "toIP", "messageId", "id"];
    match (property, op) {
        ("receivedDateTime", "ge" | "le") => {
            if string_literal(value).is_some() {
                let kind = if op == "ge" { "GreaterThanOrEqual" } else { "LessThanOrEqual" };
                return Err(format!(
                    "A binary operator with incompatible types was detected. Found operand types \
                     'Edm.DateTimeOffset' and 'Edm.String' for operator kind '{kind}'."
                ));
            }
            let time = parse_iso_datetime(value).ok_or_else(|| format!("Invalid DateTimeOffset value '{value}'."))?;
            let bound = if op == "ge" { &mut filter.start } else { &mut filter.end };
            if bound.replace(time).is_some() {
                return Err(format!("receivedDateTime {op} is given twice."));
            }
        }
        (property, "eq") if EQ_ONLY.contains(&property) => {
            let text = string_literal(value).ok_or_else(invalid)?;
            if property == "status" && !STATUSES.contains(&text.as_str()) {
                return Err(format!("Requested value '{text}' was not found."));
            }
            let property = EQ_ONLY.into_iter().find(|p| *p == property).unwrap_or("id");
            filter.equals.push((property, text));
        }
        (property, op) if property == "receivedDateTime" || EQ_ONLY.contains(&property) || property == "subject" => {
            return Err(format!("The operator '{op}' is not supported on property '{property}'."));
        }
        (property, _) => {
            return Err(format!(
                "Could not find a property named '{property}' on type 'microsoft.graph.exchangeMessageTrace'."
            ));
        }
    }
    Ok(())
}

/// The body of a 400 answer, as Graph writes its errors.
pub fn error_body(message: &str, now: i64, request: usize) -> String {
    let id = |salt: &str| {
        let hex: String =
            Md5::digest(format!("{salt}{request}").as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
        format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
    };
    json!({
        "error": {
            "code": "BadRequest",
            "message": message,
            "innerError": { "date": iso_datetime(now), "request-id": id("r"), "client-request-id": id("c") },
        }
    })
    .to_string()
}
