//! SPF (RFC 7208) as a monitor reads it: the domain's one `v=spf1` record, the
//! DNS-querying terms its evaluation needs (counted through every `include` and
//! `redirect`), the permanent errors that make receivers ignore it, and what it says
//! of mail from hosts it does not list (its effective `all`).
//!
//! No mail is evaluated: macros (`%{i}`) depend on the message, so a term holding one
//! is counted but not followed.

use std::collections::BTreeSet;

use crate::dns::Answer;
use crate::error::Result;

/// The most DNS-querying terms (`include`, `a`, `mx`, `ptr`, `exists`, `redirect`)
/// one evaluation may need; one more is a permanent error (RFC 7208, 4.6.4).
pub const LOOKUP_LIMIT: u32 = 10;

/// How far the terms are counted past the limit before giving up: far enough to
/// show how much is too much, never an unbounded walk.
const COUNT_CAP: u32 = 40;

/// How a TXT lookup is made: `Err` when the DNS did not answer (a temporary error).
pub type Lookup<'a> = &'a mut dyn FnMut(&str) -> Result<Answer<String>>;

/// What the DNS publishes for a domain's SPF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Spf {
    /// No `v=spf1` record.
    Missing,
    /// A record (or several: then `error` says so), evaluated.
    Found(Evaluation),
}

/// The qualifier of a term: what a match means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Qualifier {
    /// `+` (or none): pass.
    Pass,
    /// `-`: fail.
    Fail,
    /// `~`: soft fail.
    SoftFail,
    /// `?`: neutral.
    Neutral,
}

impl Qualifier {
    /// How the qualifier is written in front of `all`.
    pub fn all_text(self) -> &'static str {
        match self {
            Qualifier::Pass => "+all",
            Qualifier::Fail => "-all",
            Qualifier::SoftFail => "~all",
            Qualifier::Neutral => "?all",
        }
    }
}

/// A domain's SPF, read through its includes and redirects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    /// The domain's own record(s), as published (several joined by ` + `: a pipe would end the status text).
    pub record: String,
    /// How many `v=spf1` records the domain publishes; only one is evaluated.
    pub records: usize,
    /// The DNS-querying terms counted (past [`LOOKUP_LIMIT`], at most the cap); 0
    /// when several records leave nothing to evaluate.
    pub lookups: u32,
    /// The first permanent error, in words: receivers treat the domain as having no
    /// usable SPF.
    pub error: Option<String>,
    /// The effective `all`: the record's own, else that of its redirect target;
    /// `None` without either (an unlisted host is then neutral).
    pub all: Option<Qualifier>,
    /// Every domain named by an `include` followed, at any depth, lower case.
    pub includes: BTreeSet<String>,
}

/// Reads and evaluates the SPF of `domain`.
pub fn evaluate(domain: &str, lookup: Lookup<'_>) -> Result<Spf> {
    let records = spf_records(lookup(domain)?);
    if records.is_empty() {
        return Ok(Spf::Missing);
    }
    let mut evaluation = Evaluation {
        record: records.join(" + "),
        records: records.len(),
        lookups: 0,
        error: None,
        all: None,
        includes: BTreeSet::new(),
    };
    if records.len() > 1 {
        evaluation.error = Some(format!("{} SPF records are published where one is allowed", records.len()));
        return Ok(Spf::Found(evaluation));
    }
    let mut walk = Walk { lookup, evaluation, chain: vec![domain.to_ascii_lowercase()] };
    let all = walk.record(&records[0])?;
    let mut evaluation = walk.evaluation;
    evaluation.all = all;
    if evaluation.error.is_none() && evaluation.lookups > LOOKUP_LIMIT {
        evaluation.error = Some(format!(
            "its evaluation needs {} DNS lookups, more than the {LOOKUP_LIMIT} allowed",
            lookups(&evaluation)
        ));
    }
    Ok(Spf::Found(evaluation))
}

/// The count as shown: `N`, or `more than N` when counting stopped at the cap.
fn lookups(evaluation: &Evaluation) -> String {
    if evaluation.lookups > COUNT_CAP {
        format!("more than {COUNT_CAP}")
    } else {
        evaluation.lookups.to_string()
    }
}

/// The SPF records among TXT records: those whose version section is `v=spf1`.
fn spf_records(answer: Answer<String>) -> Vec<String> {
    match answer {
        Answer::Missing => Vec::new(),
        Answer::Found(texts) => texts.into_iter().filter(|t| is_spf(t)).collect(),
    }
}

/// Whether a TXT record is an SPF record: `v=spf1` alone or followed by a space.
fn is_spf(text: &str) -> bool {
    let head = text.get(..6).unwrap_or("");
    head.eq_ignore_ascii_case("v=spf1") && text[6..].chars().next().is_none_or(|c| c == ' ')
}

/// The walk through a record and those it names.
struct Walk<'a> {
    lookup: Lookup<'a>,
    evaluation: Evaluation,
    /// The domains whose records are being read, outermost first: naming one again
    /// is a loop.
    chain: Vec<String>,
}

impl Walk<'_> {
    /// Counts the terms of `record` and follows its includes and redirect; returns
    /// its effective `all` (what the domain's record and its redirects say; an
    /// included record's own is no concern of the including one).
    fn record(&mut self, record: &str) -> Result<Option<Qualifier>> {
        let mut all = None;
        let mut redirect = None;
        for term in record.split_ascii_whitespace().skip(1) {
            if self.evaluation.error.is_some() || self.evaluation.lookups > COUNT_CAP {
                return Ok(all);
            }
            if let Some((name, value)) = modifier(term) {
                // `exp` and unknown modifiers change nothing here (RFC 7208, 6).
                if name.eq_ignore_ascii_case("redirect") {
                    redirect = Some(value.to_string());
                }
                continue;
            }
            let (qualifier, mechanism) = qualified(term);
            let (name, argument) = match mechanism.find([':', '/']) {
                Some(i) => (&mechanism[..i], Some(&mechanism[i..])),
                None => (mechanism, None),
            };
            match name.to_ascii_lowercase().as_str() {
                "all" => all = Some(qualifier),
                "ip4" | "ip6" => {}
                "a" | "mx" | "ptr" | "exists" => self.evaluation.lookups += 1,
                "include" => {
                    self.evaluation.lookups += 1;
                    match argument.and_then(|a| a.strip_prefix(':')).filter(|d| !d.is_empty()) {
                        Some(target) => {
                            self.follow(target, "include")?;
                        }
                        None => self.fail(format!("'{term}' names no domain")),
                    }
                }
                _ => self.fail(format!("'{term}' is not an SPF term")),
            }
        }
        // A redirect applies only to a record without `all` (RFC 7208, 6.1).
        match redirect {
            Some(target) if all.is_none() && self.evaluation.error.is_none() => {
                self.evaluation.lookups += 1;
                self.follow(&target, "redirect")
            }
            _ => Ok(all),
        }
    }

    /// Reads the record `how` (`include` or `redirect`) names and walks it; returns
    /// its effective `all`.
    fn follow(&mut self, target: &str, how: &str) -> Result<Option<Qualifier>> {
        let target = target.trim_end_matches('.').to_ascii_lowercase();
        if target.contains('%') {
            // A macro depends on the message: the term counts, its target is unknown.
            return Ok(None);
        }
        if self.chain.contains(&target) {
            self.fail(format!("{how}:{target} loops back to a record that names it"));
            return Ok(None);
        }
        if how == "include" {
            self.evaluation.includes.insert(target.clone());
        }
        let records = spf_records((self.lookup)(&target)?);
        match records.len() {
            0 => {
                self.fail(format!("{how}:{target} names a domain without an SPF record"));
                Ok(None)
            }
            1 => {
                self.chain.push(target);
                let all = self.record(&records[0])?;
                self.chain.pop();
                Ok(all)
            }
            n => {
                self.fail(format!("{how}:{target} names a domain with {n} SPF records"));
                Ok(None)
            }
        }
    }

    /// Notes the first permanent error.
    fn fail(&mut self, error: String) {
        self.evaluation.error.get_or_insert(error);
    }
}

/// `name=value` of a modifier; a mechanism's `:`, `/` come before any `=`.
fn modifier(term: &str) -> Option<(&str, &str)> {
    let (name, value) = term.split_once('=')?;
    let plain = !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
    plain.then_some((name, value))
}

/// A mechanism's qualifier (`+` when none) and the rest.
fn qualified(term: &str) -> (Qualifier, &str) {
    let qualifier = match term.as_bytes().first() {
        Some(b'-') => Qualifier::Fail,
        Some(b'~') => Qualifier::SoftFail,
        Some(b'?') => Qualifier::Neutral,
        Some(b'+') => Qualifier::Pass,
        _ => return (Qualifier::Pass, term),
    };
    (qualifier, &term[1..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// Evaluates `domain` in a DNS of `zone` (name → TXT records).
    fn eval(zone: &[(&str, &[&str])], domain: &str) -> Spf {
        let zone: HashMap<String, Vec<String>> =
            zone.iter().map(|(n, r)| (n.to_string(), r.iter().map(|s| s.to_string()).collect())).collect();
        let mut lookup = |name: &str| -> Result<Answer<String>> {
            Ok(zone.get(name).map_or(Answer::Missing, |r| Answer::Found(r.clone())))
        };
        evaluate(domain, &mut lookup).expect("no DNS failure")
    }

    fn found(spf: Spf) -> Evaluation {
        match spf {
            Spf::Found(e) => e,
            Spf::Missing => panic!("no record"),
        }
    }

    #[test]
    fn a_plain_record_counts_its_queries_and_its_all() {
        let zone: &[(&str, &[&str])] = &[
            (
                "contoso.com",
                &["google-site-verification=x", "v=spf1 ip4:192.0.2.0/24 a mx include:spf.protection.outlook.com -all"],
            ),
            ("spf.protection.outlook.com", &["v=spf1 ip4:40.92.0.0/15 include:spfd.protection.outlook.com -all"]),
            ("spfd.protection.outlook.com", &["v=spf1 ip4:51.4.72.0/24 -all"]),
        ];
        let e = found(eval(zone, "contoso.com"));
        assert_eq!(e.lookups, 4);
        assert_eq!(e.error, None);
        assert_eq!(e.all, Some(Qualifier::Fail));
        assert!(e.includes.contains("spfd.protection.outlook.com"));
    }

    #[test]
    fn too_many_lookups_two_records_loops_and_dangling_includes_are_permanent_errors() {
        let zone: &[(&str, &[&str])] = &[
            ("big.example", &["v=spf1 include:a.example include:b.example ~all"]),
            ("a.example", &["v=spf1 a mx ptr exists:x.example a:b mx:c -all"]),
            ("b.example", &["v=spf1 a a a a -all"]),
            ("two.example", &["v=spf1 -all", "v=spf1 ~all"]),
            ("loop.example", &["v=spf1 include:loop2.example -all"]),
            ("loop2.example", &["v=spf1 include:loop.example -all"]),
            ("dangling.example", &["v=spf1 include:nowhere.example -all"]),
        ];
        let e = found(eval(zone, "big.example"));
        assert_eq!(e.lookups, 12);
        assert_eq!(e.error.as_deref(), Some("its evaluation needs 12 DNS lookups, more than the 10 allowed"));
        let e = found(eval(zone, "two.example"));
        assert_eq!(e.error.as_deref(), Some("2 SPF records are published where one is allowed"));
        assert_eq!(e.record, "v=spf1 -all + v=spf1 ~all");
        let e = found(eval(zone, "loop.example"));
        assert_eq!(e.error.as_deref(), Some("include:loop.example loops back to a record that names it"));
        let e = found(eval(zone, "dangling.example"));
        assert_eq!(e.error.as_deref(), Some("include:nowhere.example names a domain without an SPF record"));
        assert_eq!(eval(zone, "none.example"), Spf::Missing);
    }

    #[test]
    fn the_effective_all_comes_from_the_redirect_when_the_record_has_none() {
        let zone: &[(&str, &[&str])] = &[
            ("r.example", &["v=spf1 redirect=_spf.example"]),
            ("_spf.example", &["v=spf1 ip4:192.0.2.1 ?all"]),
            ("plus.example", &["v=spf1 all redirect=_spf.example"]),
            ("bare.example", &["v=spf1 ip4:192.0.2.1"]),
            ("bad.example", &["v=spf1 ipv4:192.0.2.1 -all"]),
            ("macro.example", &["v=spf1 include:%{ir}.spf.example exp=explain.example -all"]),
        ];
        let e = found(eval(zone, "r.example"));
        assert_eq!((e.all, e.lookups), (Some(Qualifier::Neutral), 1));
        let e = found(eval(zone, "plus.example"));
        assert_eq!((e.all, e.lookups), (Some(Qualifier::Pass), 0), "a redirect beside 'all' is ignored");
        assert_eq!(found(eval(zone, "bare.example")).all, None);
        assert_eq!(found(eval(zone, "bad.example")).error.as_deref(), Some("'ipv4:192.0.2.1' is not an SPF term"));
        let e = found(eval(zone, "macro.example"));
        assert_eq!((e.lookups, e.error), (1, None));
    }

    #[test]
    fn only_v_spf1_records_count() {
        assert!(is_spf("v=spf1"));
        assert!(is_spf("V=SPF1 -all"));
        assert!(!is_spf("v=spf10 -all"));
        assert!(!is_spf("v=DMARC1; p=none"));
        assert!(!is_spf("v=sp"));
    }
}
