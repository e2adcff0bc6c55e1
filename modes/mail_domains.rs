//! `mail-domains`: for each domain of the tenant that serves email, whether the DNS
//! publishes what receivers need to trust its mail: the MX Microsoft expects, an SPF
//! record that authorizes Exchange Online within 10 lookups, the two DKIM CNAMEs
//! with keys behind them, and a DMARC policy.
//!
//! Microsoft says which domains serve email and which MX each needs (Graph's
//! domains and their service configuration records); the DNS says what is really
//! published, as any receiver sees it. A DNS server that does not answer makes the
//! domain UNKNOWN: never a missing record.

use std::collections::BTreeMap;

use centreon_plugin::counters::{Check, Collected, Counter, Group, Groups, Instance, Output, Perf, Variable};
use centreon_plugin::dns::{self, Answer, Resolver};
use centreon_plugin::error::{Error, Result};
use centreon_plugin::mailauth::dmarc::{self, Dmarc};
use centreon_plugin::mailauth::spf::{self, Qualifier, Spf};
use centreon_plugin::options::{Flag, OptionSpec, Text, Values};
use centreon_plugin::pattern::Pattern;
use centreon_plugin::registry::{ModeKind, ModeSpec};

use super::{Mode, Run};
use crate::custom::{Capability, ServiceRecord, TenantDomain};

inventory::submit! {
    Mode(ModeSpec {
        name: "mail-domains",
        perl_module: "cloud::microsoft::office365::exchange::mode::maildomains",
        description: DESCRIPTION,
        requires: Capability::Domains,
        options,
        kind: ModeKind::Counters { groups: |_| Ok(groups().declarations()), filter_counters: "", select },
    })
}

/// The help of the mode: what is checked, how each status is decided, the defaults.
const DESCRIPTION: &str = "Check the mail authentication of every domain of the tenant that serves email: MX, \
    SPF, DKIM and DMARC as the DNS publishes them, compared with what Microsoft expects. Needs the \
    application permission Domain.Read.All (graphapi only).\n\n\
    Domains checked: the verified domains whose supported services include Email (Graph's domains), \
    the initial *.onmicrosoft.com domain only with --include-initial-domain, filtered by --filter-domain. \
    For each, in the DNS (the system's resolver, or --dns-server):\n\n\
    mx: the MX records point to the mail host Microsoft lists for the domain (its service \
    configuration record of type Mx for Email; newer domains get one under mx.microsoft, older ones \
    under mail.protection.outlook.com); an MX elsewhere is 'other', or 'ok' when --mx-gateway matches \
    it (a mail gateway in front of Exchange Online); a null MX (0 .) is 'invalid'.\n\n\
    spf: exactly one v=spf1 TXT record (two are 'invalid'), which authorizes Exchange Online \
    (include:spf.protection.outlook.com, directly or through nested includes; else 'other') and whose \
    evaluation needs at most 10 DNS lookups (include, a, mx, ptr, exists, redirect, counted through \
    every include; more is a permanent error, 'invalid', as is an include of a domain without SPF). \
    +all, ?all and a record without all are 'weak'.\n\n\
    dkim: selector1._domainkey and selector2._domainkey are CNAMEs to Microsoft's keys \
    (...._domainkey.<tenant>.onmicrosoft.com or ....dkim.mail.microsoft), each target publishing a \
    key (p= not empty): a CNAME whose target has no key is 'invalid', a CNAME elsewhere or a key \
    published in place of the CNAME is 'other'.\n\n\
    dmarc: exactly one v=DMARC1 TXT record at _dmarc.<domain>, or else at the organizational domain \
    (its sp= policy then applies, if any); p=none is 'weak', quarantine and reject are 'ok'.\n\n\
    Each of %{mx}, %{spf}, %{dkim} and %{dmarc} is ok, missing, invalid, weak, other, or unknown (the \
    DNS did not answer: a timeout, SERVFAIL or REFUSED, never taken for a missing record). Status \
    expressions also read %{dmarc_policy} (none, quarantine, reject, or empty), %{spf_lookups} and \
    %{display} (the domain). Defaults: --critical-status='%{mx} =~ /^(missing|invalid)$/ || %{spf} =~ \
    /^(missing|invalid)$/', --warning-status: any mechanism neither ok nor unknown, \
    --unknown-status: any mechanism unknown. With --verbose, the long output says, per domain, what is \
    wrong: the record found and the one expected.\n\n\
    Perfdata: the domains checked, those with a problem (any mechanism not ok), and the SPF lookups \
    of each domain (--warning-spf-lookups, --critical-spf-lookups).";

/// The service whose domains are checked, as Graph names it.
const EMAIL: &str = "Email";
/// The include that authorizes Exchange Online to send as a domain.
const EXCHANGE_SPF: &str = "spf.protection.outlook.com";
/// The DKIM selectors Exchange Online signs with, in turn.
const SELECTORS: [&str; 2] = ["selector1", "selector2"];

/// `--filter-domain`.
const FILTER_DOMAIN: Text =
    Text::new("filter-domain", "Only check the domains whose name matches this regular expression.");

/// `--include-initial-domain`.
const INCLUDE_INITIAL_DOMAIN: Flag = Flag::new(
    "include-initial-domain",
    "Also check the tenant's initial *.onmicrosoft.com domain (its DNS is Microsoft's).",
);

/// `--mx-gateway`.
const MX_GATEWAY: Text = Text::new(
    "mx-gateway",
    "MX hosts matching this regular expression are 'ok': a mail gateway that receives the \
     domain's mail before Exchange Online.",
);

fn options() -> Vec<OptionSpec> {
    let mut options = vec![FILTER_DOMAIN.spec(), INCLUDE_INITIAL_DOMAIN.spec(), MX_GATEWAY.spec()];
    options.extend(dns::options());
    options
}

/// How one mechanism of a domain stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Ok,
    Missing,
    Invalid,
    Weak,
    Other,
    Unknown,
}

impl State {
    /// The value of its status variable.
    fn name(self) -> &'static str {
        match self {
            State::Ok => "ok",
            State::Missing => "missing",
            State::Invalid => "invalid",
            State::Weak => "weak",
            State::Other => "other",
            State::Unknown => "unknown",
        }
    }
}

/// A mechanism's state and, short of `ok`, what is wrong in an administrator's words.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Verdict {
    state: State,
    words: String,
}

impl Verdict {
    fn new(state: State, words: impl Into<String>) -> Verdict {
        Verdict { state, words: words.into() }
    }

    fn ok() -> Verdict {
        Verdict::new(State::Ok, "")
    }
}

/// One domain's checks: what its counters read.
#[derive(Debug, Clone)]
struct DomainCheck {
    display: String,
    mx: Verdict,
    spf: Verdict,
    dkim: Verdict,
    dmarc: Verdict,
    /// `none`, `quarantine`, `reject`, or empty without a usable record.
    dmarc_policy: String,
    /// The SPF record's DNS-querying terms; absent without a record.
    spf_lookups: Option<i64>,
}

impl DomainCheck {
    fn verdicts(&self) -> [(&'static str, &Verdict); 4] {
        [("MX", &self.mx), ("SPF", &self.spf), ("DKIM", &self.dkim), ("DMARC", &self.dmarc)]
    }

    /// Whether any mechanism is short of `ok`.
    fn has_problem(&self) -> bool {
        self.verdicts().iter().any(|(_, v)| v.state != State::Ok)
    }

    /// `mx: ok, spf: ok, dkim: ok, dmarc: weak (p=none)`.
    fn summary(&self) -> String {
        let policy = if self.dmarc_policy.is_empty() { String::new() } else { format!(" (p={})", self.dmarc_policy) };
        format!(
            "mx: {}, spf: {}, dkim: {}, dmarc: {}{policy}",
            self.mx.state.name(),
            self.spf.state.name(),
            self.dkim.state.name(),
            self.dmarc.state.name()
        )
    }
}

/// What the counters read.
#[derive(Debug, Default)]
struct Domains {
    checked: i64,
    problems: i64,
    domains: BTreeMap<String, DomainCheck>,
}

/// The status of a mechanism other than unknown, for the default expressions.
const CRITICAL: &str = "%{mx} =~ /^(missing|invalid)$/ || %{spf} =~ /^(missing|invalid)$/";
const WARNING: &str = "%{mx} !~ /^(ok|unknown)$/ || %{spf} !~ /^(ok|unknown)$/ || %{dkim} !~ /^(ok|unknown)$/ \
    || %{dmarc} !~ /^(ok|unknown)$/";
const UNKNOWN: &str = "%{mx} eq 'unknown' || %{spf} eq 'unknown' || %{dkim} eq 'unknown' || %{dmarc} eq 'unknown'";

fn groups() -> Groups<Domains> {
    let totals = vec![
        Counter::value(
            "domains",
            "domains.checked.count",
            |d: &Domains| d.checked,
            Output::Template("checked: {}"),
            Perf::key("domains"),
        ),
        Counter::value(
            "problems",
            "domains.problem.count",
            |d: &Domains| d.problems,
            Output::Template("with a problem: {}"),
            Perf::key("problems").max(|d: &Domains| d.checked.to_string()),
        ),
    ];
    let variables = vec![
        Variable::new("display", |d: &DomainCheck| d.display.clone()),
        Variable::new("mx", |d: &DomainCheck| d.mx.state.name().to_string()),
        Variable::new("spf", |d: &DomainCheck| d.spf.state.name().to_string()),
        Variable::new("dkim", |d: &DomainCheck| d.dkim.state.name().to_string()),
        Variable::new("dmarc", |d: &DomainCheck| d.dmarc.state.name().to_string()),
        Variable::new("dmarc_policy", |d: &DomainCheck| d.dmarc_policy.clone()),
        Variable::new("spf_lookups", |d: &DomainCheck| d.spf_lookups),
    ];
    let per_domain = vec![
        Counter::new(
            "status",
            |d: &DomainCheck| d.summary(),
            Output::custom(DomainCheck::summary),
            Check::Status(variables),
        )
        .unknown_default(UNKNOWN)
        .warning_default(WARNING)
        .critical_default(CRITICAL),
        Counter::value(
            "spf-lookups",
            "domain.spf.lookups.count",
            |d: &DomainCheck| d.spf_lookups,
            Output::Template("SPF DNS lookups: {}"),
            Perf::key("spf_lookups").max(|_| spf::LOOKUP_LIMIT.to_string()).instance(Instance::Suffix),
        ),
    ];
    Groups::new().global(Group::new("global", |_| "Domains ".to_string(), totals), |d| d).instances(
        Group::new("domains", |d: &DomainCheck| format!("Domain '{}' ", d.display), per_domain),
        "All domains are ok",
        |d: &Domains| &d.domains,
    )
}

/// What the options ask for, checked before any request.
struct Settings {
    filter: Option<Pattern>,
    include_initial: bool,
    gateway: Option<Pattern>,
}

impl Settings {
    fn from_values(values: &Values) -> Result<Settings> {
        Ok(Settings {
            filter: Pattern::from_option(values, &FILTER_DOMAIN)?,
            include_initial: values.flag(&INCLUDE_INITIAL_DOMAIN),
            gateway: Pattern::from_option(values, &MX_GATEWAY)?,
        })
    }

    /// Whether the domain's mail is checked: verified, serving email, the initial
    /// domain only when asked, and matching the filter.
    fn checks(&self, domain: &TenantDomain) -> bool {
        domain.is_verified
            && domain.supported_services.iter().any(|s| s.eq_ignore_ascii_case(EMAIL))
            && (self.include_initial || !domain.is_initial)
            && self.filter.as_ref().is_none_or(|f| f.is_match(&domain.id))
    }
}

fn select(run: &mut Run<'_>) -> Result<Collected> {
    let settings = Settings::from_values(run.values)?;
    let resolver = Resolver::from_values(run.values, run.debug)?;
    let api = run.api().domains()?;
    let mut tenant = api.domains()?;
    tenant.retain(|d| settings.checks(d));
    if tenant.is_empty() {
        return Err(Error::new(
            "No domain to check: no verified domain of the tenant serves email and matches the filters",
        ));
    }
    let mut checks = Vec::new();
    for domain in &tenant {
        let records = api.service_records(&domain.id)?;
        checks.push(check_domain(&domain.id, &records, &settings, &resolver));
    }
    let mut report = Domains::default();
    for check in checks {
        for (mechanism, verdict) in check.verdicts() {
            if verdict.state != State::Ok {
                let line = format!("{} {mechanism} {}: {}", check.display, verdict.state.name(), verdict.words);
                run.notices().add_detail(line);
            }
        }
        report.checked += 1;
        report.problems += i64::from(check.has_problem());
        report.domains.insert(check.display.to_ascii_lowercase(), check);
    }
    Ok(groups().with(report))
}

/// Checks the four mechanisms of `domain`; after a DNS failure, the rest is not
/// asked (a server that does not answer one question seldom answers the next).
fn check_domain(domain: &str, records: &[ServiceRecord], settings: &Settings, resolver: &Resolver) -> DomainCheck {
    let mut failure: Option<String> = None;
    let mut guard = |mechanism: &str, outcome: Result<Verdict>| -> Verdict {
        if let Some(earlier) = &failure {
            return Verdict::new(State::Unknown, format!("not checked after the DNS failure of {earlier}"));
        }
        outcome.unwrap_or_else(|error| {
            failure = Some(mechanism.to_string());
            Verdict::new(State::Unknown, error.message())
        })
    };
    let mx = guard("MX", check_mx(domain, records, settings.gateway.as_ref(), resolver));
    let mut spf_lookups = None;
    let spf = guard("SPF", check_spf(domain, resolver, &mut spf_lookups));
    let dkim = guard("DKIM", check_dkim(domain, resolver));
    let mut dmarc_policy = String::new();
    let dmarc = guard("DMARC", check_dmarc(domain, resolver, &mut dmarc_policy));
    DomainCheck { display: domain.to_string(), mx, spf, dkim, dmarc, dmarc_policy, spf_lookups }
}

/// The mail hosts Microsoft expects as the domain's MX, lower case.
fn expected_mx(records: &[ServiceRecord]) -> Vec<String> {
    records
        .iter()
        .filter(|r| r.record_type.eq_ignore_ascii_case("Mx") && r.supported_service.eq_ignore_ascii_case(EMAIL))
        .map(|r| r.mail_exchange.trim_end_matches('.').to_ascii_lowercase())
        .filter(|host| !host.is_empty())
        .collect()
}

/// MX: every host is Microsoft's or a gateway's.
fn check_mx(
    domain: &str,
    records: &[ServiceRecord],
    gateway: Option<&Pattern>,
    resolver: &Resolver,
) -> Result<Verdict> {
    let expected = expected_mx(records);
    let wanted = if expected.is_empty() {
        "Microsoft lists no MX record for the domain".to_string()
    } else {
        format!("Microsoft expects {}", expected.join(", "))
    };
    let hosts = match resolver.mx(domain)? {
        Answer::Missing => return Ok(Verdict::new(State::Missing, format!("no MX record is published; {wanted}"))),
        Answer::Found(records) => records.into_iter().map(|r| r.exchange).collect::<Vec<_>>(),
    };
    if hosts.iter().all(String::is_empty) {
        return Ok(Verdict::new(
            State::Invalid,
            format!("a null MX (0 .) is published: the domain accepts no mail; {wanted}"),
        ));
    }
    let strangers: Vec<&String> =
        hosts.iter().filter(|h| !expected.contains(h) && !gateway.is_some_and(|g| g.is_match(h))).collect();
    if strangers.is_empty() {
        return Ok(Verdict::ok());
    }
    let found = strangers.iter().map(|h| h.as_str()).collect::<Vec<_>>().join(", ");
    Ok(Verdict::new(
        State::Other,
        format!("MX {found} is published; {wanted} (or set --mx-gateway for a mail gateway)"),
    ))
}

/// SPF: one record, within 10 lookups, authorizing Exchange Online, not `+all` or `?all`.
fn check_spf(domain: &str, resolver: &Resolver, lookups: &mut Option<i64>) -> Result<Verdict> {
    let evaluation = match spf::evaluate(domain, &mut |name| resolver.txt(name))? {
        Spf::Missing => {
            return Ok(Verdict::new(
                State::Missing,
                format!("no SPF record (v=spf1) is published; it should include:{EXCHANGE_SPF}"),
            ))
        }
        Spf::Found(evaluation) => evaluation,
    };
    if evaluation.records == 1 {
        *lookups = Some(i64::from(evaluation.lookups));
    }
    let record = &evaluation.record;
    if let Some(error) = &evaluation.error {
        return Ok(Verdict::new(State::Invalid, format!("'{record}' is a permanent error: {error}")));
    }
    if !evaluation.includes.contains(EXCHANGE_SPF) {
        return Ok(Verdict::new(
            State::Other,
            format!("'{record}' does not authorize Exchange Online: include:{EXCHANGE_SPF} is expected"),
        ));
    }
    Ok(match evaluation.all {
        Some(Qualifier::Fail | Qualifier::SoftFail) => Verdict::ok(),
        Some(weak @ (Qualifier::Pass | Qualifier::Neutral)) => Verdict::new(
            State::Weak,
            format!(
                "'{record}' ends with {}: mail from any host passes as the domain's; end it with -all or ~all",
                weak.all_text()
            ),
        ),
        None => Verdict::new(
            State::Weak,
            format!("'{record}' has no 'all': mail from hosts it does not list is neutral; end it with -all or ~all"),
        ),
    })
}

/// Whether a DKIM CNAME target is one of Microsoft's two forms.
fn microsoft_dkim_target(target: &str) -> bool {
    (target.contains("._domainkey.") && target.ends_with(".onmicrosoft.com"))
        || target.ends_with(".dkim.mail.microsoft")
}

/// Whether a TXT record holds a DKIM public key: a `p=` tag, not empty.
fn has_key(text: &str) -> bool {
    text.split(';')
        .filter_map(|tag| tag.split_once('='))
        .any(|(name, value)| name.trim() == "p" && !value.trim().is_empty())
}

/// Whether any TXT record at `name` holds a DKIM key.
fn key_at(name: &str, resolver: &Resolver) -> Result<bool> {
    Ok(match resolver.txt(name)? {
        Answer::Missing => false,
        Answer::Found(texts) => texts.iter().any(|t| has_key(t)),
    })
}

/// DKIM: both selectors are CNAMEs to Microsoft's keys.
fn check_dkim(domain: &str, resolver: &Resolver) -> Result<Verdict> {
    let mut verdicts = Vec::new();
    for selector in SELECTORS {
        let name = format!("{selector}._domainkey.{domain}");
        let verdict = match resolver.cname(&name)? {
            Answer::Missing if key_at(&name, resolver)? => Verdict::new(
                State::Other,
                format!(
                    "{name} publishes a key of its own instead of a CNAME to Microsoft's: Microsoft cannot rotate it"
                ),
            ),
            Answer::Missing => Verdict::new(State::Missing, format!("no CNAME at {name}")),
            Answer::Found(targets) => {
                let target = &targets[0];
                if !key_at(target, resolver)? {
                    Verdict::new(State::Invalid, format!("{name} points to {target}, which publishes no DKIM key"))
                } else if !microsoft_dkim_target(target) {
                    Verdict::new(State::Other, format!("{name} points to {target}, not to Microsoft's key"))
                } else {
                    Verdict::ok()
                }
            }
        };
        verdicts.push(verdict);
    }
    let state = [State::Invalid, State::Missing, State::Other]
        .into_iter()
        .find(|s| verdicts.iter().any(|v| v.state == *s))
        .unwrap_or(State::Ok);
    let mut words: Vec<String> = verdicts.into_iter().filter(|v| v.state != State::Ok).map(|v| v.words).collect();
    if state == State::Missing {
        words.push("copy the CNAMEs Microsoft Defender shows for the domain's DKIM".to_string());
    }
    Ok(Verdict::new(state, words.join("; ")))
}

/// DMARC: one record that applies, with a policy that acts.
fn check_dmarc(domain: &str, resolver: &Resolver, policy: &mut String) -> Result<Verdict> {
    Ok(match dmarc::discover(domain, &mut |name| resolver.txt(name))? {
        Dmarc::Missing => {
            let organizational = dmarc::organizational_domain(domain).filter(|o| o != domain);
            let also = organizational.map(|o| format!(" nor at _dmarc.{o}")).unwrap_or_default();
            Verdict::new(State::Missing, format!("no DMARC record (v=DMARC1) at _dmarc.{domain}{also}"))
        }
        Dmarc::Invalid { at, record, why } => {
            Verdict::new(State::Invalid, format!("{at} '{record}' is ignored: {why}"))
        }
        Dmarc::Found { at, record, policy: found } => {
            *policy = found;
            if policy == "none" {
                Verdict::new(
                    State::Weak,
                    format!("{at} '{record}' asks receivers to do nothing (p=none) with mail that fails; use quarantine or reject"),
                )
            } else {
                Verdict::ok()
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn domain(id: &str, verified: bool, initial: bool, services: &[&str]) -> TenantDomain {
        TenantDomain {
            id: id.into(),
            is_verified: verified,
            is_initial: initial,
            supported_services: services.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn settings(filter: Option<&str>, include_initial: bool) -> Settings {
        Settings { filter: filter.map(|f| Pattern::new(f).expect("regex")), include_initial, gateway: None }
    }

    #[test]
    fn only_verified_email_domains_are_checked_the_initial_one_when_asked() {
        let plain = settings(None, false);
        assert!(plain.checks(&domain("contoso.com", true, false, &["Email", "OfficeCommunicationsOnline"])));
        assert!(!plain.checks(&domain("pending.com", false, false, &["Email"])));
        assert!(!plain.checks(&domain("intune.com", true, false, &["Intune"])));
        assert!(!plain.checks(&domain("contoso.onmicrosoft.com", true, true, &["Email"])));
        assert!(settings(None, true).checks(&domain("contoso.onmicrosoft.com", true, true, &["Email"])));
        assert!(!settings(Some("^fabrikam"), false).checks(&domain("contoso.com", true, false, &["Email"])));
    }

    #[test]
    fn the_expected_mx_is_microsofts_email_record() {
        let record = |kind: &str, service: &str, mx: &str| ServiceRecord {
            record_type: kind.into(),
            supported_service: service.into(),
            mail_exchange: mx.into(),
            ..Default::default()
        };
        let records = [
            record("Txt", "Email", ""),
            record("Mx", "Email", "Contoso-com.mail.protection.outlook.com."),
            record("Mx", "Sharepoint", "elsewhere.example"),
        ];
        assert_eq!(expected_mx(&records), ["contoso-com.mail.protection.outlook.com"]);
    }

    #[test]
    fn dkim_targets_and_keys_are_recognised() {
        assert!(microsoft_dkim_target("selector1-contoso-com._domainkey.contoso.onmicrosoft.com"));
        assert!(microsoft_dkim_target("selector2-contoso-com._domainkey.contoso.n-v1.dkim.mail.microsoft"));
        assert!(!microsoft_dkim_target("s1.dkim.thirdparty.example"));
        assert!(has_key("v=DKIM1; k=rsa; p=MIIBIjANBg"));
        assert!(!has_key("v=DKIM1; k=rsa; p="));
        assert!(!has_key("v=spf1 -all"));
    }

    #[test]
    fn the_summary_names_each_state_and_the_dmarc_policy() {
        let check = DomainCheck {
            display: "contoso.com".into(),
            mx: Verdict::ok(),
            spf: Verdict::new(State::Invalid, "x"),
            dkim: Verdict::new(State::Unknown, "y"),
            dmarc: Verdict::new(State::Weak, "z"),
            dmarc_policy: "none".into(),
            spf_lookups: Some(11),
        };
        assert_eq!(check.summary(), "mx: ok, spf: invalid, dkim: unknown, dmarc: weak (p=none)");
        assert!(check.has_problem());
    }
}
