//! `mail-roundtrip`: is mail flowing right now? Each run sends a probe message and
//! looks for the probes of earlier runs where they should arrive, measuring how long
//! each took, and counting those that never came.
//!
//! A probe is found by its subject (Graph filters messages on the subject, not on
//! custom headers) and confirmed by its `X-` header (which comes back only through
//! `$select`): the subject and the header carry the same marker, naming the service
//! (tenant, probe mailbox, recipient and read mailbox) and the probe. The probes in
//! flight are kept in a statefile of the service, so two services never take each
//! other's probes.
//!
//! What a run does, in an order that a run killed at any point never counts a probe
//! twice: it sends its probe and records it at once (a probe sent but not recorded is
//! found later as one this service does not know, deleted and never counted); it reads
//! every page of the listing before deciding anything; it records what arrived and
//! what is lost, then deletes the arrived probes (a probe recorded as arrived but not
//! yet deleted is, for the next run, one it does not know: deleted, not counted). A
//! probe counted lost and arriving later is likewise deleted and not counted again,
//! and so is a probe whose marker is of another version of this mode.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use centreon_plugin::counters::{Collected, Counter, Group, Groups, Output, Perf};
use centreon_plugin::error::{Error, Result};
use centreon_plugin::options::{OptionSpec, Text, Values};
use centreon_plugin::registry::{ModeKind, ModeSpec};
use centreon_plugin::statefile::Statefile;
use md5::{Digest, Md5};
use serde_json::{Map, Value};

use super::{Mode, Run};
use crate::custom::{Capability, FoundMessage, FoundMessages, Mail, MessageQuery, OutgoingMail};

inventory::submit! {
    Mode(ModeSpec {
        name: "mail-roundtrip",
        perl_module: "cloud::microsoft::office365::exchange::mode::mailroundtrip",
        description: DESCRIPTION,
        requires: Capability::Mail,
        options,
        kind: ModeKind::Counters { groups: |_| Ok(groups().declarations()), filter_counters: "", select },
    })
}

/// The help of the mode: what a run does, what it needs, what it counts.
const DESCRIPTION: &str = "Check that mail flows now: each run sends a probe message from --probe-mailbox to \
    --probe-recipient (default: the probe mailbox itself) through Microsoft Graph, then looks in \
    --probe-read-mailbox (default: the recipient; set it when the recipient is an outside address that sends \
    the messages back unchanged) for the probes of earlier runs, in every folder, measures how long each took \
    from sending to arrival, and deletes it. A probe not arrived after --lost-after seconds (default: 1800) \
    counts as lost once. With --wait=SECONDS (default: 0) a run also waits that long for its own probe, \
    polling with a growing interval, and measures it; --timeout must leave room for the wait and the \
    requests.\n\n\
    Needs the application permissions Mail.Send on the probe mailbox and Mail.ReadWrite on the read \
    mailbox. Rather than for every mailbox of the tenant (as Entra ID grants them), grant them for the probe \
    mailboxes only with Exchange Online's RBAC for Applications: the roles 'Application Mail.Send' and \
    'Application Mail.ReadWrite', assigned to the application with a management scope holding the probe \
    mailboxes. A probe is found by its subject and confirmed by its X-Centreon-Roundtrip header; both carry \
    a marker naming the service (tenant, probe mailbox, recipient and read mailbox), so that services with \
    different recipients never take each other's probes. The probes in flight are kept in a statefile of \
    the service (see the retention options).\n\n\
    Counters: roundtrip (seconds, the longest trip among the probes arrived since the last run), arrived, \
    pending (the probe just sent included), lost, and junk (probes found in the Junk Email folder, which \
    count as arrived too). No threshold by default; e.g. --warning-roundtrip=60 --critical-roundtrip=300 \
    --critical-lost=0, with a check every 5 minutes.";

/// Default of `--lost-after`, in seconds.
const LOST_AFTER_DEFAULT: &str = "1800";
/// Default of `--wait`, in seconds.
const WAIT_DEFAULT: &str = "0";

/// `--probe-mailbox`.
const PROBE_MAILBOX: Text = Text::new("probe-mailbox", "The mailbox that sends the probes (UPN or address; required).");

/// `--probe-recipient`.
const PROBE_RECIPIENT: Text = Text::new(
    "probe-recipient",
    "The address the probes are sent to (default: the probe mailbox). An outside address must send the \
     messages back to --probe-read-mailbox, subject and headers unchanged.",
);

/// `--probe-read-mailbox`.
const PROBE_READ_MAILBOX: Text = Text::new(
    "probe-read-mailbox",
    "The mailbox where the probes arrive, looked into and cleaned up (default: the recipient).",
);

/// `--lost-after`.
const LOST_AFTER: Text = Text::new(
    "lost-after",
    "Seconds after which a probe not arrived counts as lost, from 60 to 604800 (default: 1800).",
)
.default(LOST_AFTER_DEFAULT);

/// `--wait`.
const WAIT: Text = Text::new(
    "wait",
    "Seconds this run waits for its own probe, from 0 to 3600 (default: 0: it is looked for by the next run).",
)
.default(WAIT_DEFAULT);

fn options() -> Vec<OptionSpec> {
    vec![PROBE_MAILBOX.spec(), PROBE_RECIPIENT.spec(), PROBE_READ_MAILBOX.spec(), LOST_AFTER.spec(), WAIT.spec()]
}

/// What the options ask for, checked before any request.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Settings {
    probe: String,
    recipient: String,
    read: String,
    lost_after: i64,
    wait: u64,
}

impl Settings {
    fn from_values(values: &Values) -> Result<Self> {
        let probe = values
            .non_empty(&PROBE_MAILBOX)
            .map(str::to_string)
            .ok_or_else(|| Error::new("Need to specify --probe-mailbox option (the mailbox that sends the probes)."))?;
        let recipient = values.non_empty(&PROBE_RECIPIENT).map_or_else(|| probe.clone(), str::to_string);
        let read = values.non_empty(&PROBE_READ_MAILBOX).map_or_else(|| recipient.clone(), str::to_string);
        for (option, address) in
            [(&PROBE_MAILBOX, &probe), (&PROBE_RECIPIENT, &recipient), (&PROBE_READ_MAILBOX, &read)]
        {
            let option = option.name();
            if !is_address(address) {
                return Err(Error::new(format!(
                    "Invalid --{option} value '{address}': a mail address or UPN (name@domain) is expected"
                )));
            }
        }
        Ok(Settings {
            probe,
            recipient,
            read,
            lost_after: whole(values, &LOST_AFTER, LOST_AFTER_DEFAULT, 60, 604_800)?,
            // From 0 to 3600: the cast is exact.
            wait: whole(values, &WAIT, WAIT_DEFAULT, 0, 3600)? as u64,
        })
    }
}

/// Whether `text` looks like `name@domain`, without what would change the meaning of
/// a URL path or a header.
fn is_address(text: &str) -> bool {
    let bad = |c: char| c.is_whitespace() || c.is_control() || matches!(c, '/' | '\\' | '?' | '#' | '%');
    matches!(text.split_once('@'), Some((name, domain)) if !name.is_empty() && !domain.is_empty())
        && !text.chars().any(bad)
}

/// The whole number of `--option` (its `default` when empty), from `min` to `max`.
fn whole(values: &Values, option: &Text, default: &str, min: i64, max: i64) -> Result<i64> {
    let text = values.non_empty(option).unwrap_or(default);
    let option = option.name();
    text.parse::<i64>().ok().filter(|n| (min..=max).contains(n) && text.bytes().all(|b| b.is_ascii_digit())).ok_or_else(
        || {
            Error::new(format!(
                "Invalid --{option} value '{text}': a number of seconds from {min} to {max} is expected"
            ))
        },
    )
}

/// The version of the marker and of the statefile: a probe whose marker has another
/// version is deleted without being counted.
const MARKER_VERSION: u32 = 1;
/// What every probe's subject starts with, before the service.
const SUBJECT_PREFIX: &str = "Centreon mail round-trip probe ";
/// The custom internet header that confirms a probe.
const HEADER: &str = "X-Centreon-Roundtrip";
/// Room left for the requests of a run that waits for its own probe.
const REQUEST_ROOM: Duration = Duration::from_secs(5);
/// The first pause between two looks for the run's own probe; each next one doubles,
/// up to [`MAX_POLL`].
const FIRST_POLL: Duration = Duration::from_secs(1);
/// The longest pause between two looks.
const MAX_POLL: Duration = Duration::from_secs(30);
/// The longest wait for another run of the same service to finish with the statefile.
const LOCK_WAIT: Duration = Duration::from_secs(5);

/// One service: who sends, to whom, where the probes are read, in which tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Service {
    /// The md5 of the service's identity, in hex: names the statefile.
    digest: String,
}

impl Service {
    fn new(account: &str, settings: &Settings) -> Service {
        let identity = format!(
            "{account}\n{}\n{}\n{}",
            settings.probe.to_lowercase(),
            settings.recipient.to_lowercase(),
            settings.read.to_lowercase()
        );
        Service { digest: format!("{:x}", Md5::digest(identity.as_bytes())) }
    }

    /// The service in markers: short, and enough to tell services apart.
    fn key(&self) -> &str {
        &self.digest[..12]
    }

    /// The statefile of its probes in flight.
    fn state_name(&self) -> String {
        format!("office365_mail_roundtrip_{}", self.digest)
    }

    /// What the subject of every probe of this service starts with, any version.
    fn subject_prefix(&self) -> String {
        format!("{SUBJECT_PREFIX}{} ", self.key())
    }

    /// The marker of `probe`, as its header carries it.
    fn marker(&self, probe: &str) -> String {
        format!("{} v{MARKER_VERSION} {probe}", self.key())
    }

    /// The subject of `probe`.
    fn subject(&self, probe: &str) -> String {
        format!("{SUBJECT_PREFIX}{}", self.marker(probe))
    }
}

/// A fresh probe id: 16 hex digits, random.
fn new_probe_id() -> Result<String> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|e| Error::new(format!("No randomness for the probe's id: {e}")))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The probes in flight, as the statefile keeps them: each id with the time it was
/// sent (Unix seconds, the API's clock), and the Junk Email folder's id once known.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct State {
    probes: BTreeMap<String, i64>,
    junk_folder: Option<String>,
}

impl State {
    /// The state in `file`; nothing in flight when it is absent, unreadable or of
    /// another version (whose probes are deleted uncounted when found).
    fn read(file: &Statefile) -> State {
        let Some(map) = file.read() else { return State::default() };
        if map.get("version").and_then(Value::as_u64) != Some(u64::from(MARKER_VERSION)) {
            return State::default();
        }
        let probes = map
            .get("probes")
            .and_then(Value::as_object)
            .map(|probes| probes.iter().filter_map(|(id, sent)| Some((id.clone(), sent.as_i64()?))).collect())
            .unwrap_or_default();
        let junk_folder = map.get("junk_folder").and_then(Value::as_str).map(str::to_string);
        State { probes, junk_folder }
    }

    fn write(&self, file: &Statefile) -> Result<()> {
        let mut map = Map::new();
        map.insert("version".into(), Value::from(MARKER_VERSION));
        let probes: Map<String, Value> =
            self.probes.iter().map(|(id, sent)| (id.clone(), Value::from(*sent))).collect();
        map.insert("probes".into(), Value::Object(probes));
        if let Some(junk) = &self.junk_folder {
            map.insert("junk_folder".into(), Value::from(junk.as_str()));
        }
        file.write(&map)
    }
}

/// What one found message is to this service.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    /// A probe of this service with the current marker, confirmed by its header.
    Probe(String),
    /// A probe of this service with the marker of another version.
    OtherVersion,
    /// Not a probe of this service (its subject or header does not fit): left alone.
    Foreign,
}

/// What `message` is to `service`.
fn kind(service: &Service, message: &FoundMessage) -> Kind {
    let Some(rest) = message.subject.strip_prefix(&service.subject_prefix()) else { return Kind::Foreign };
    let Some((version, probe)) = rest.split_once(' ') else { return Kind::Foreign };
    let Some(version) = version.strip_prefix('v').and_then(|v| v.parse::<u32>().ok()) else { return Kind::Foreign };
    if version != MARKER_VERSION {
        return Kind::OtherVersion;
    }
    if probe.is_empty() || message.header.as_deref().map(str::trim) != Some(service.marker(probe).as_str()) {
        return Kind::Foreign;
    }
    Kind::Probe(probe.to_string())
}

/// The outcome of one look into the read mailbox.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Sorted<'m> {
    /// The probes in flight that arrived, each with its message (the first found).
    arrived: BTreeMap<String, &'m FoundMessage>,
    /// Messages to delete without counting them: probes this service does not know
    /// (already counted, lost, or never recorded), copies, other versions.
    stray: Vec<&'m FoundMessage>,
}

/// Sorts the messages found against the probes in flight.
fn sort<'m>(service: &Service, state: &State, found: &'m FoundMessages) -> Sorted<'m> {
    let mut sorted = Sorted::default();
    for message in &found.messages {
        match kind(service, message) {
            Kind::Probe(probe) if state.probes.contains_key(&probe) && !sorted.arrived.contains_key(&probe) => {
                sorted.arrived.insert(probe, message);
            }
            Kind::Probe(_) | Kind::OtherVersion => sorted.stray.push(message),
            Kind::Foreign => {}
        }
    }
    sorted
}

/// What the counters read.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Trips {
    /// The longest trip of the probes arrived, in seconds; none arrived, no value.
    roundtrip: Option<i64>,
    arrived: i64,
    pending: i64,
    lost: i64,
    junk: i64,
}

/// How long a probe took: from when it was sent (the earlier of its `sentDateTime`
/// and the time Graph accepted it, as a message an outside recipient sends back
/// carries the time of its return) to when it arrived (`now` if Graph did not say).
fn trip(message: &FoundMessage, recorded: i64, now: i64) -> i64 {
    let start = message.sent.map_or(recorded, |sent| sent.min(recorded));
    (message.received.unwrap_or(now) - start).max(0)
}

/// Counts the probes arrived and lost, taking them out of `state`: what is left is
/// pending.
fn tally(sorted: &Sorted<'_>, state: &mut State, now: i64, lost_after: i64) -> Trips {
    let mut trips = Trips::default();
    for (probe, message) in &sorted.arrived {
        if let Some(recorded) = state.probes.remove(probe) {
            let took = trip(message, recorded, now);
            trips.roundtrip = Some(trips.roundtrip.map_or(took, |longest| longest.max(took)));
            trips.arrived += 1;
            if state.junk_folder.as_deref() == Some(message.folder.as_str()) {
                trips.junk += 1;
            }
        }
    }
    let before = state.probes.len();
    state.probes.retain(|_, sent| now - *sent <= lost_after);
    trips.lost = i64::try_from(before - state.probes.len()).unwrap_or(i64::MAX);
    trips.pending = i64::try_from(state.probes.len()).unwrap_or(i64::MAX);
    trips
}

/// The counters: one global group over [`Trips`].
fn groups() -> Groups<Trips> {
    let count = |label: &'static str, nlabel: &'static str, text: &'static str, read: fn(&Trips) -> i64| {
        Counter::value(label, nlabel, read, Output::Template(text), Perf::key(label))
    };
    let counters = vec![
        Counter::value(
            "roundtrip",
            "exchange.mail.roundtrip.seconds",
            |t: &Trips| t.roundtrip,
            Output::Template("round trip: {}s"),
            Perf::key("roundtrip").unit("s"),
        ),
        count("arrived", "exchange.mail.roundtrip.arrived.count", "arrived: {}", |t| t.arrived),
        count("pending", "exchange.mail.roundtrip.pending.count", "pending: {}", |t| t.pending),
        count("lost", "exchange.mail.roundtrip.lost.count", "lost: {}", |t| t.lost),
        count("junk", "exchange.mail.roundtrip.junk.count", "junk: {}", |t| t.junk),
    ];
    Groups::new().global(Group::new("global", |_: &Trips| "Mail probes ".to_string(), counters), |t| t)
}

/// Sends this run's probe, looks for the probes in flight (waiting for its own with
/// `--wait`), counts, records, then cleans up the read mailbox.
fn select(run: &mut Run<'_>) -> Result<Collected> {
    let values = run.values;
    let settings = Settings::from_values(values)?;
    let notices = run.notices().clone();
    let mail = run.api().mail()?;
    let wait = Duration::from_secs(settings.wait);
    let deadline = mail.deadline();
    if settings.wait > 0 && Instant::now() + wait + REQUEST_ROOM > deadline {
        return Err(Error::new(format!(
            "--wait={} leaves no time for the requests within the run's time limit: give --timeout at least {}",
            settings.wait,
            settings.wait + REQUEST_ROOM.as_secs() * 2
        )));
    }
    let service = Service::new(&mail.account(), &settings);
    let file = Statefile::from_values(values, &service.state_name());
    file.check()?;
    let _lock =
        file.lock(deadline.min(Instant::now() + LOCK_WAIT), &mut |text| notices.add(text)).ok_or_else(|| {
            Error::new(format!(
                "Cannot lock statefile '{}': another check of the same probes is still running",
                file.path().display()
            ))
        })?;
    let mut state = State::read(&file);

    let probe = new_probe_id()?;
    let subject = service.subject(&probe);
    let marker = service.marker(&probe);
    let body = format!(
        "Probe {probe} of a Centreon mail round-trip check from {} to {}, read in {}. It is deleted when found.",
        settings.probe, settings.recipient, settings.read
    );
    let sent = mail.send_mail(&OutgoingMail {
        from: &settings.probe,
        to: &settings.recipient,
        subject: &subject,
        body: &body,
        header: (HEADER, &marker),
    })?;
    state.probes.insert(probe.clone(), sent);
    state.write(&file)?;

    let prefix = service.subject_prefix();
    let query = MessageQuery { mailbox: &settings.read, subject_prefix: &prefix, header: HEADER };
    let found = look(mail, &query, &service, &probe, Instant::now() + wait)?;
    let sorted = sort(&service, &state, &found);
    if !sorted.arrived.is_empty() && state.junk_folder.is_none() {
        state.junk_folder = Some(mail.junk_folder(&settings.read)?);
    }
    let trips = tally(&sorted, &mut state, found.time, settings.lost_after);
    state.write(&file)?;
    for message in sorted.arrived.values().chain(sorted.stray.iter()) {
        mail.delete_message(&settings.read, &message.id)?;
    }
    Ok(groups().with(trips))
}

/// Lists the probes in the read mailbox until `probe` (this run's) is among them or
/// `until` comes, pausing longer each time.
fn look(
    mail: &mut dyn Mail,
    query: &MessageQuery<'_>,
    service: &Service,
    probe: &str,
    until: Instant,
) -> Result<FoundMessages> {
    let mut pause = FIRST_POLL;
    loop {
        let found = mail.find_messages(query)?;
        let own = found.messages.iter().any(|m| kind(service, m) == Kind::Probe(probe.to_string()));
        let now = Instant::now();
        if own || now >= until {
            return Ok(found);
        }
        std::thread::sleep(pause.min(until - now));
        pause = (pause * 2).min(MAX_POLL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        Settings {
            probe: "probe@contoso.com".into(),
            recipient: "probe@contoso.com".into(),
            read: "probe@contoso.com".into(),
            lost_after: 1800,
            wait: 0,
        }
    }

    fn message(service: &Service, probe: &str, sent: i64, received: i64) -> FoundMessage {
        FoundMessage {
            id: format!("id-{probe}"),
            subject: service.subject(probe),
            sent: Some(sent),
            received: Some(received),
            folder: "inbox".into(),
            header: Some(service.marker(probe)),
        }
    }

    #[test]
    fn services_differ_by_every_part_of_their_identity() {
        let base = Service::new("t1\nhttps://graph.microsoft.com", &settings());
        let other_recipient = Service::new(
            "t1\nhttps://graph.microsoft.com",
            &Settings { recipient: "echo@fabrikam.com".into(), ..settings() },
        );
        let other_tenant = Service::new("t2\nhttps://graph.microsoft.com", &settings());
        let same_in_capitals = Service::new(
            "t1\nhttps://graph.microsoft.com",
            &Settings { probe: "Probe@Contoso.com".into(), ..settings() },
        );
        assert_ne!(base.key(), other_recipient.key());
        assert_ne!(base.key(), other_tenant.key());
        assert_eq!(base, same_in_capitals, "addresses compare without case");
        assert_eq!(base.key().len(), 12);
        assert!(base.state_name().starts_with("office365_mail_roundtrip_"));
    }

    #[test]
    fn only_confirmed_probes_of_this_service_and_version_count() {
        let service = Service::new("t", &settings());
        let other = Service::new("t", &Settings { recipient: "x@fabrikam.com".into(), ..settings() });
        let ours = message(&service, "aa", 100, 110);
        assert_eq!(kind(&service, &ours), Kind::Probe("aa".into()));
        assert_eq!(kind(&other, &ours), Kind::Foreign, "another service's probe");
        let unconfirmed = FoundMessage { header: None, ..ours.clone() };
        assert_eq!(kind(&service, &unconfirmed), Kind::Foreign);
        let forged = FoundMessage { header: Some(service.marker("bb")), ..ours.clone() };
        assert_eq!(kind(&service, &forged), Kind::Foreign);
        let old = FoundMessage { subject: format!("{}v0 aa", service.subject_prefix()), header: None, ..ours.clone() };
        assert_eq!(kind(&service, &old), Kind::OtherVersion);
        let reply = FoundMessage { subject: format!("RE: {}", ours.subject), ..ours };
        assert_eq!(kind(&service, &reply), Kind::Foreign);
    }

    #[test]
    fn the_tally_counts_each_probe_once_and_forgets_it() {
        let service = Service::new("t", &settings());
        let mut state = State::default();
        state.probes.insert("arrived".into(), 1000);
        state.probes.insert("junk".into(), 1000);
        state.probes.insert("late".into(), 1000);
        state.probes.insert("young".into(), 2700);
        state.junk_folder = Some("junk-id".into());
        let found = FoundMessages {
            messages: vec![
                message(&service, "arrived", 1000, 1045),
                FoundMessage { folder: "junk-id".into(), ..message(&service, "junk", 1001, 1003) },
                message(&service, "arrived", 1000, 1050),
                message(&service, "forgotten", 900, 950),
            ],
            time: 2801,
        };
        let sorted = sort(&service, &state, &found);
        assert_eq!(sorted.arrived.len(), 2);
        assert_eq!(sorted.stray.len(), 2, "the copy and the probe no longer in flight");
        let trips = tally(&sorted, &mut state, found.time, 1800);
        assert_eq!(trips, Trips { roundtrip: Some(45), arrived: 2, pending: 1, lost: 1, junk: 1 });
        assert_eq!(state.probes.keys().collect::<Vec<_>>(), ["young"]);
        let none = tally(&Sorted::default(), &mut state, 2801, 1800);
        assert_eq!(none, Trips { roundtrip: None, arrived: 0, pending: 1, lost: 0, junk: 0 });
    }

    #[test]
    fn a_trip_starts_at_the_earlier_of_both_send_times() {
        let service = Service::new("t", &settings());
        assert_eq!(trip(&message(&service, "a", 100, 130), 100, 999), 30);
        assert_eq!(trip(&message(&service, "a", 160, 170), 100, 999), 70, "sent back by an outside recipient");
        let unknown = FoundMessage { sent: None, received: None, ..message(&service, "a", 0, 0) };
        assert_eq!(trip(&unknown, 100, 160), 60);
        assert_eq!(trip(&message(&service, "a", 100, 90), 100, 999), 0, "clocks never make a trip negative");
    }

    #[test]
    fn the_state_reads_back_and_another_version_is_empty() {
        let dir = std::env::temp_dir().join(format!("roundtrip-state-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let file = Statefile::new(&dir, "s", "");
        let mut state = State::default();
        state.probes.insert("a".into(), 5);
        state.junk_folder = Some("j".into());
        state.write(&file).expect("written");
        assert_eq!(State::read(&file), state);
        std::fs::write(file.path(), r#"{"version":0,"probes":{"a":5}}"#).expect("old");
        assert_eq!(State::read(&file), State::default());
        std::fs::remove_dir_all(dir).expect("cleanup");
    }

    /// The option values of a command line of `args` (`--name=value` each).
    fn parsed(args: &[&str]) -> Values {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let parsed = centreon_plugin::getopt::parse(&args, &options());
        assert!(parsed.rest.is_empty(), "undeclared: {:?}", parsed.rest);
        parsed.values
    }

    #[test]
    fn options_are_checked_before_any_request() {
        let error = Settings::from_values(&parsed(&[])).expect_err("no probe mailbox");
        assert!(error.message().starts_with("Need to specify --probe-mailbox option"), "{error}");
        let probe = "--probe-mailbox=probe@contoso.com";
        let defaults = Settings::from_values(&parsed(&[probe])).expect("defaults");
        assert_eq!(defaults, settings());
        let outside =
            Settings::from_values(&parsed(&[probe, "--probe-recipient=echo@fabrikam.com"])).expect("outside recipient");
        assert_eq!((outside.recipient.as_str(), outside.read.as_str()), ("echo@fabrikam.com", "echo@fabrikam.com"));
        for (name, raw, expected) in [
            ("lost-after", "59", "Invalid --lost-after value '59': a number of seconds from 60 to 604800 is expected"),
            ("wait", "1h", "Invalid --wait value '1h': a number of seconds from 0 to 3600 is expected"),
            ("probe-read-mailbox", "inbox", "Invalid --probe-read-mailbox value 'inbox': a mail address or UPN"),
            ("probe-recipient", "a@b/c", "Invalid --probe-recipient value 'a@b/c': a mail address or UPN"),
        ] {
            let option = format!("--{name}={raw}");
            let error = Settings::from_values(&parsed(&[probe, &option])).expect_err(raw);
            assert!(error.message().starts_with(expected), "{error}");
        }
    }
}
