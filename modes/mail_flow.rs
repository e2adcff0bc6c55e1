//! `mail-flow`: the messages Exchange Online received in a recent window, counted by
//! delivery status, from Graph's message trace.
//!
//! The window is `--lookback` minutes ending `--delay` minutes ago, on whole minutes:
//! message trace shows a message minutes after it arrived, and a recent message has
//! not settled yet. Only what the shown counters need is asked for, and one check
//! never makes more than `--max-pages` requests against the tenant's budget.

use std::time::{SystemTime, UNIX_EPOCH};

use centreon_plugin::counters::{Collected, Counter, Group, Groups, Output, Perf};
use centreon_plugin::error::{Error, Result};
use centreon_plugin::number;
use centreon_plugin::options::{OptionSpec, Text, Values};
use centreon_plugin::pattern::Pattern;
use centreon_plugin::registry::{ModeKind, ModeSpec};
use centreon_plugin::time;

use super::{Mode, Run};
use crate::custom::{Capability, TraceListing, TraceQuery, TraceStatus, TracedMessage, TRACE_PAGE_SIZE};

inventory::submit! {
    Mode(ModeSpec {
        name: "mail-flow",
        perl_module: "cloud::microsoft::office365::exchange::mode::mailflow",
        list_rank: 2,
        description: DESCRIPTION,
        requires: Capability::MessageTrace,
        options,
        kind: ModeKind::Counters { groups: |_| Ok(groups().declarations()), filter_counters: "", select },
    })
}

/// The help of the mode: what it counts, its window, what it asks for, its budget.
const DESCRIPTION: &str = "Check mail flow: the messages Exchange Online received in a recent window, counted by \
    delivery status, from Microsoft Graph message trace. Needs the application permission \
    ExchangeMessageTrace.Read.All and, once per tenant, the service principal of Microsoft's message \
    trace application (New-MgServicePrincipal -AppId 8bd644d1-64a1-4d4b-ae52-2e0cbf64e373; provisioning \
    takes up to a few hours).\n\n\
    The window is the --lookback minutes (default: 60) ending --delay minutes (default: 30) ago, on \
    whole minutes (UTC). Microsoft shows a message in message trace 5 to 10 minutes after it was \
    received, and a message that recent may still be pending or getting its status: ending the window \
    30 minutes ago counts complete data and settled statuses. A lower --delay alerts sooner, but misses the latest \
    messages and counts those still on their way as pending. An hour holds enough messages for \
    meaningful percentages in most tenants, fits in one page of 5000 messages, and checks every 5 \
    minutes overlap it, so that no message goes unseen.\n\n\
    Message trace has one entry per message and recipient: a message sent to three recipients counts \
    three times. The counts are deliveries, not messages.\n\n\
    Counters: total, delivered, pending, failed, quarantined, filtered-as-spam, expanded and other \
    (getting status, recalled, and any status Microsoft adds later); failed-prct and pending-prct are \
    the failed and pending messages in percent of the total (0 without messages). No threshold by \
    default; e.g. --warning-failed-prct=5 --critical-failed-prct=10 --warning-pending-prct=10, and \
    --critical-total=1: when no mail at all is alarming.\n\n\
    Only what the shown counters need is asked for: when --filter-counters leaves a single status \
    count (e.g. --filter-counters='^failed$'), Microsoft lists only the messages in that status; \
    otherwise every message of the window. --sender and --recipient are exact addresses Microsoft \
    filters on; --filter-sender and --filter-recipient are regular expressions applied here, to every \
    message of the window.\n\n\
    Request budget: Microsoft accepts 100 message trace requests per 5 minutes per tenant, shared by \
    every application that uses message trace, and answers 429 beyond (waited for only within \
    --timeout, else UNKNOWN). A check makes one request per 5000 messages of its window (one in most \
    tenants with the default hour), and never more than --max-pages (default: 10): a window holding \
    more is UNKNOWN, never partly counted. The tenant thus allows at most 100 one-page checks per 5 \
    minutes, all services and tools together: keep well below, e.g. 10 services checked every 5 \
    minutes use 10 requests, 20 if their windows need two pages.";

/// Default of `--lookback`, in minutes.
const LOOKBACK_DEFAULT: &str = "60";
/// Default of `--delay`, in minutes.
const DELAY_DEFAULT: &str = "30";
/// Default of `--max-pages`.
const MAX_PAGES_DEFAULT: &str = "10";

/// `--lookback`.
const LOOKBACK: Text = Text::new(
    "lookback",
    "Length of the window in minutes, from 1 to 14400 (10 days, the longest range message trace \
             answers) (default: 60).",
)
.default(LOOKBACK_DEFAULT);

/// `--delay`.
const DELAY: Text =
    Text::new("delay", "How many minutes ago the window ends, from 0 to 1440 (default: 30).").default(DELAY_DEFAULT);

/// `--sender`.
const SENDER: Text = Text::new("sender", "Only messages from this address (exact, any case; filtered by Microsoft).");

/// `--recipient`.
const RECIPIENT: Text =
    Text::new("recipient", "Only messages to this address (exact, any case; filtered by Microsoft).");

/// `--filter-sender`.
const FILTER_SENDER: Text =
    Text::new("filter-sender", "Only messages whose sender address matches this regular expression.");

/// `--filter-recipient`.
const FILTER_RECIPIENT: Text =
    Text::new("filter-recipient", "Only messages whose recipient address matches this regular expression.");

/// `--max-pages`.
const MAX_PAGES: Text = Text::new(
    "max-pages",
    "The most requests of one check, each a page of up to 5000 messages, from 1 to 100 (default: 10); \
             a window holding more messages is UNKNOWN.",
)
.default(MAX_PAGES_DEFAULT);

fn options() -> Vec<OptionSpec> {
    vec![
        LOOKBACK.spec(),
        DELAY.spec(),
        SENDER.spec(),
        RECIPIENT.spec(),
        FILTER_SENDER.spec(),
        FILTER_RECIPIENT.spec(),
        MAX_PAGES.spec(),
    ]
}

/// What the counters read: the window and its messages by status.
#[derive(Debug, Default)]
struct Flow {
    /// The window as the status line shows it.
    window: String,
    /// Whether every status was listed: otherwise the total is only that of the
    /// status listed, no maximum of the other counts.
    all_statuses: bool,
    total: i64,
    delivered: i64,
    pending: i64,
    failed: i64,
    quarantined: i64,
    filtered_as_spam: i64,
    expanded: i64,
    other: i64,
}

impl Flow {
    /// Counts one message.
    fn add(&mut self, status: TraceStatus) {
        self.total += 1;
        *match status {
            TraceStatus::Delivered => &mut self.delivered,
            TraceStatus::Pending => &mut self.pending,
            TraceStatus::Failed => &mut self.failed,
            TraceStatus::Quarantined => &mut self.quarantined,
            TraceStatus::FilteredAsSpam => &mut self.filtered_as_spam,
            TraceStatus::Expanded => &mut self.expanded,
            TraceStatus::GettingStatus | TraceStatus::Recalled | TraceStatus::Other => &mut self.other,
        } += 1;
    }

    /// `count` in percent of the total, to 2 decimals as shown (0 without messages).
    fn percent(&self, count: i64) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            (count as f64 * 10_000.0 / self.total as f64).round() / 100.0
        }
    }
}

/// The counters of one status each, with their status: showing only one of them
/// (and nothing else) lets Microsoft list only the messages in that status.
const STATUS_COUNTERS: [(&str, TraceStatus); 6] = [
    ("delivered", TraceStatus::Delivered),
    ("pending", TraceStatus::Pending),
    ("failed", TraceStatus::Failed),
    ("quarantined", TraceStatus::Quarantined),
    ("filtered-as-spam", TraceStatus::FilteredAsSpam),
    ("expanded", TraceStatus::Expanded),
];

/// The counters that need every message of the window.
const WHOLE_COUNTERS: [&str; 4] = ["total", "pending-prct", "failed-prct", "other"];

/// A count of messages, shown `TEXT: N`, its metric's max the total when every
/// status was listed.
fn count(
    label: &'static str,
    nlabel: &'static str,
    key: &'static str,
    text: &'static str,
    read: fn(&Flow) -> i64,
) -> Counter<Flow> {
    let max = |f: &Flow| if f.all_statuses { f.total.to_string() } else { String::new() };
    Counter::value(label, nlabel, read, Output::Template(text), Perf::key(key).max(max))
}

/// A count in percent of the total, shown `TEXT share: P%` (beside the count, `TEXT: N`).
fn share(
    label: &'static str,
    nlabel: &'static str,
    key: &'static str,
    text: &'static str,
    read: fn(&Flow) -> i64,
) -> Counter<Flow> {
    Counter::value(
        label,
        nlabel,
        move |f: &Flow| f.percent(read(f)),
        Output::custom(move |f: &Flow| format!("{text} share: {}%", number::fixed(f.percent(read(f)), 2))),
        Perf::key(key).unit("%").max(|_| "100".to_string()),
    )
}

/// The counters: one global group over [`Flow`], in the order of the status line.
fn groups() -> Groups<Flow> {
    let counters = vec![
        Counter::value(
            "total",
            "exchange.mailflow.messages.count",
            |f: &Flow| f.total,
            Output::Template("total: {}"),
            Perf::key("total"),
        ),
        count("delivered", "exchange.mailflow.messages.delivered.count", "delivered", "delivered: {}", |f| f.delivered),
        count("pending", "exchange.mailflow.messages.pending.count", "pending", "pending: {}", |f| f.pending),
        share("pending-prct", "exchange.mailflow.messages.pending.percentage", "pending_prct", "pending", |f| {
            f.pending
        }),
        count("failed", "exchange.mailflow.messages.failed.count", "failed", "failed: {}", |f| f.failed),
        share("failed-prct", "exchange.mailflow.messages.failed.percentage", "failed_prct", "failed", |f| f.failed),
        count("quarantined", "exchange.mailflow.messages.quarantined.count", "quarantined", "quarantined: {}", |f| {
            f.quarantined
        }),
        count(
            "filtered-as-spam",
            "exchange.mailflow.messages.spam.count",
            "filtered_as_spam",
            "filtered as spam: {}",
            |f| f.filtered_as_spam,
        ),
        count("expanded", "exchange.mailflow.messages.expanded.count", "expanded", "expanded: {}", |f| f.expanded),
        count("other", "exchange.mailflow.messages.other.count", "other", "other: {}", |f| f.other),
    ];
    Groups::new().global(Group::new("global", |f: &Flow| format!("Messages received {}: ", f.window), counters), |f| f)
}

/// The status Microsoft may filter on: the one status whose count is the only counter
/// shown. Any other counter needs every message (there is no `or` in message trace
/// filters, and one listing of all statuses costs fewer requests than one per status).
fn server_status(shown: impl Fn(&str) -> bool) -> Option<TraceStatus> {
    if WHOLE_COUNTERS.iter().any(|label| shown(label)) {
        return None;
    }
    let mut statuses = STATUS_COUNTERS.iter().filter(|(label, _)| shown(label)).map(|(_, status)| *status);
    match (statuses.next(), statuses.next()) {
        (Some(status), None) => Some(status),
        _ => None,
    }
}

/// What the options ask for, checked before any request.
#[derive(Debug)]
struct Settings<'v> {
    lookback: i64,
    delay: i64,
    max_pages: u32,
    sender: Option<&'v str>,
    recipient: Option<&'v str>,
    filter_sender: Option<Pattern>,
    filter_recipient: Option<Pattern>,
}

impl<'v> Settings<'v> {
    fn from_values(values: &'v Values) -> Result<Self> {
        Ok(Settings {
            lookback: whole(values, &LOOKBACK, LOOKBACK_DEFAULT, 1, 14_400, "a number of minutes")?,
            delay: whole(values, &DELAY, DELAY_DEFAULT, 0, 1440, "a number of minutes")?,
            // Within 1 to 100: the cast is exact.
            max_pages: whole(values, &MAX_PAGES, MAX_PAGES_DEFAULT, 1, 100, "a number of requests")? as u32,
            sender: values.non_empty(&SENDER),
            recipient: values.non_empty(&RECIPIENT),
            filter_sender: Pattern::from_option(values, &FILTER_SENDER)?,
            filter_recipient: Pattern::from_option(values, &FILTER_RECIPIENT)?,
        })
    }

    /// Whether a message passes the regular expressions.
    fn keeps(&self, message: &TracedMessage) -> bool {
        self.filter_sender.as_ref().is_none_or(|p| p.is_match(&message.sender_address))
            && self.filter_recipient.as_ref().is_none_or(|p| p.is_match(&message.recipient_address))
    }
}

/// The whole number of `--option` (its `default` when empty), from `min` to `max`.
fn whole(values: &Values, option: &Text, default: &str, min: i64, max: i64, what: &str) -> Result<i64> {
    let text = values.non_empty(option).unwrap_or(default);
    let option = option.name();
    text.parse::<i64>()
        .ok()
        .filter(|n| (min..=max).contains(n) && text.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| Error::new(format!("Invalid --{option} value '{text}': {what} from {min} to {max} is expected")))
}

/// The window of a check at `now` (Unix time): the first and last second of the
/// `lookback` minutes ending `delay` minutes before `now`, on whole minutes. The API
/// includes both bounds: the window stops a second short of its last minute's end,
/// where the next window starts.
fn window(now: i64, lookback: i64, delay: i64) -> (i64, i64) {
    let end = (now - delay * 60).div_euclid(60) * 60;
    (end - lookback * 60, end - 1)
}

/// `2026-11-30 06:55 to 07:55 UTC` for the window from `start` to `last` (its last
/// second), the date repeated only when the day changes.
fn window_text(start: i64, last: i64) -> String {
    let (from, to) = (time::utc_iso(start), time::utc_iso(last + 1));
    let (from_day, to_day) = (&from[..10], &to[..10]);
    let clock = |iso: &str| iso[11..16].to_string();
    if from_day == to_day {
        format!("{from_day} {} to {} UTC", clock(&from), clock(&to))
    } else {
        format!("{from_day} {} to {to_day} {} UTC", clock(&from), clock(&to))
    }
}

/// Lists the window's messages and counts them by status.
fn select(run: &mut Run<'_>) -> Result<Collected> {
    let values = run.values;
    let settings = Settings::from_values(values)?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|e| Error::new(format!("The system clock is before 1970: {e}")))?;
    let (start, end) = window(i64::try_from(now.as_secs()).unwrap_or(i64::MAX), settings.lookback, settings.delay);
    let status = server_status(|label| run.counter_active(label));
    let query = TraceQuery {
        start,
        end,
        sender: settings.sender,
        recipient: settings.recipient,
        status,
        max_pages: settings.max_pages,
    };
    let mut flow = Flow { window: window_text(start, end), all_statuses: status.is_none(), ..Flow::default() };
    let listing = run.api().message_trace()?.message_traces(&query, &mut |message| {
        if settings.keeps(message) {
            flow.add(message.status);
        }
        Ok(())
    })?;
    if listing == TraceListing::Incomplete {
        let most = u64::from(settings.max_pages) * u64::from(TRACE_PAGE_SIZE);
        return Err(Error::new(format!(
            "More than {most} messages were received {}: counting them all would take more than \
             --max-pages={} requests. Shorten --lookback, list fewer messages with --sender or --recipient, or \
             raise --max-pages within the tenant's 100 message trace requests per 5 minutes",
            flow.window, settings.max_pages
        )));
    }
    Ok(groups().with(flow))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_help_states_the_page_size_asked_for() {
        assert!(DESCRIPTION.contains(&format!("one request per {TRACE_PAGE_SIZE} messages")));
        let max_pages = options().into_iter().find(|o| o.name == "max-pages").expect("declared");
        let centreon_plugin::options::Doc::Text(doc) = max_pages.doc else { panic!("documented") };
        assert!(doc.contains(&format!("a page of up to {TRACE_PAGE_SIZE} messages")), "{doc}");
    }

    #[test]
    fn statuses_are_counted_and_unknown_ones_are_other() {
        let mut flow = Flow::default();
        for status in TraceStatus::KNOWN.into_iter().chain([TraceStatus::Other, TraceStatus::Failed]) {
            flow.add(status);
        }
        let counts = [
            flow.total,
            flow.delivered,
            flow.pending,
            flow.failed,
            flow.quarantined,
            flow.filtered_as_spam,
            flow.expanded,
            flow.other,
        ];
        assert_eq!(counts, [10, 1, 1, 2, 1, 1, 1, 3]);
        assert_eq!(flow.percent(flow.failed), 20.0);
        assert_eq!(flow.percent(1), 10.0);
        let thirds = Flow { total: 3, ..Flow::default() };
        assert_eq!(thirds.percent(1), 33.33);
        assert_eq!(thirds.percent(2), 66.67);
        assert_eq!(Flow::default().percent(0), 0.0, "no messages is 0%");
    }

    #[test]
    fn only_a_lone_status_count_is_filtered_by_microsoft() {
        let only = |labels: &'static [&'static str]| move |label: &str| labels.contains(&label);
        assert_eq!(server_status(only(&["failed"])), Some(TraceStatus::Failed));
        assert_eq!(server_status(only(&["filtered-as-spam"])), Some(TraceStatus::FilteredAsSpam));
        assert_eq!(server_status(only(&["failed", "failed-prct"])), None, "a percentage needs the total");
        assert_eq!(server_status(only(&["failed", "pending"])), None, "no 'or' in message trace filters");
        assert_eq!(server_status(only(&["other"])), None, "other is several statuses");
        assert_eq!(server_status(only(&["total"])), None);
        assert_eq!(server_status(only(&[])), None);
        assert_eq!(server_status(|_| true), None);
    }

    /// Every declared counter is either one status's count or needs every message.
    #[test]
    fn every_counter_says_what_it_needs() {
        let list = groups().declarations().list_counters();
        let declared: Vec<&str> = list.trim_start_matches("counter list: ").split_whitespace().collect();
        assert_eq!(declared.len(), STATUS_COUNTERS.len() + WHOLE_COUNTERS.len(), "{declared:?}");
        for label in declared {
            let known = STATUS_COUNTERS.iter().any(|(l, _)| *l == label) || WHOLE_COUNTERS.contains(&label);
            assert!(known, "{label}");
        }
    }

    #[test]
    fn the_window_ends_on_a_whole_minute_delay_minutes_ago() {
        // 2026-11-30T08:25:42Z
        let now = 1_796_027_142;
        assert_eq!(window(now, 60, 30), (1_796_021_700, 1_796_025_299));
        assert_eq!(time::utc_iso(1_796_021_700), "2026-11-30T06:55:00Z");
        assert_eq!(time::utc_iso(1_796_025_299), "2026-11-30T07:54:59Z");
        assert_eq!(window(now, 1, 0), (now - 42 - 60, now - 42 - 1));
        assert_eq!(window_text(1_796_021_700, 1_796_025_299), "2026-11-30 06:55 to 07:55 UTC");
        assert_eq!(window_text(1_796_021_700 - 86_400, 1_796_025_299), "2026-11-29 06:55 to 2026-11-30 07:55 UTC");
        assert_eq!(window_text(1_796_021_700, 1_796_025_299 + 3600 * 17), "2026-11-30 06:55 to 2026-12-01 00:55 UTC");
    }

    #[test]
    fn numbers_are_whole_and_within_their_range() {
        let with = |name: &str, raw: &str| {
            let args = if name.is_empty() { Vec::new() } else { vec![format!("--{name}={raw}")] };
            let parsed = centreon_plugin::getopt::parse(&args, &options());
            assert!(parsed.rest.is_empty(), "undeclared: {:?}", parsed.rest);
            parsed.values
        };
        let values = with("", "");
        let settings = Settings::from_values(&values).expect("defaults");
        assert_eq!((settings.lookback, settings.delay, settings.max_pages), (60, 30, 10));
        let values = with("lookback", "");
        assert_eq!(Settings::from_values(&values).expect("empty is the default").lookback, 60);
        for (name, raw, expected) in [
            ("lookback", "0", "Invalid --lookback value '0': a number of minutes from 1 to 14400 is expected"),
            ("lookback", "14401", "Invalid --lookback value '14401': a number of minutes from 1 to 14400 is expected"),
            ("lookback", "1h", "Invalid --lookback value '1h': a number of minutes from 1 to 14400 is expected"),
            ("lookback", "+5", "Invalid --lookback value '+5': a number of minutes from 1 to 14400 is expected"),
            ("delay", "-1", "Invalid --delay value '-1': a number of minutes from 0 to 1440 is expected"),
            ("max-pages", "101", "Invalid --max-pages value '101': a number of requests from 1 to 100 is expected"),
            ("filter-sender", "(", "Invalid regular expression in --filter-sender '(': unclosed group."),
        ] {
            let values = with(name, raw);
            let error = Settings::from_values(&values).expect_err(raw);
            assert_eq!(error.message(), expected);
        }
    }
}
