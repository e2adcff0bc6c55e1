//! DMARC (RFC 7489) as a monitor reads it: the policy record that applies to a
//! domain, at `_dmarc.<domain>` or else at its organizational domain, and the policy
//! it asks receivers to apply.

use crate::dns::Answer;
use crate::error::Result;

/// How a TXT lookup is made: `Err` when the DNS did not answer.
pub type Lookup<'a> = &'a mut dyn FnMut(&str) -> Result<Answer<String>>;

/// What the DNS publishes for a domain's DMARC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dmarc {
    /// No `v=DMARC1` record, at the domain nor at its organizational domain.
    Missing,
    /// Records that receivers ignore: `why`, and where.
    Invalid {
        /// The name asked (`_dmarc.…`).
        at: String,
        /// The record(s) found, joined by ` + `: a pipe would end the status text.
        record: String,
        /// What is wrong.
        why: String,
    },
    /// The record that applies.
    Found {
        /// The name it was found at (`_dmarc.…`).
        at: String,
        /// As published.
        record: String,
        /// `none`, `quarantine` or `reject`: `sp=` when the record is the
        /// organizational domain's and the domain is a subdomain of it, else `p=`.
        policy: String,
    },
}

/// The organizational domain of `domain`: the label under its public suffix, from
/// the Public Suffix List (`mail.contoso.co.uk` → `contoso.co.uk`).
pub fn organizational_domain(domain: &str) -> Option<String> {
    psl::domain_str(&domain.trim_end_matches('.').to_ascii_lowercase()).map(str::to_string)
}

/// Finds the DMARC record that applies to `domain` (RFC 7489, 6.6.3).
pub fn discover(domain: &str, lookup: Lookup<'_>) -> Result<Dmarc> {
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    let own = read(&domain, false, lookup)?;
    if own != Dmarc::Missing {
        return Ok(own);
    }
    match organizational_domain(&domain) {
        Some(organizational) if organizational != domain => read(&organizational, true, lookup),
        _ => Ok(Dmarc::Missing),
    }
}

/// Reads `_dmarc.<domain>`; `inherited` when the policy is for a subdomain.
fn read(domain: &str, inherited: bool, lookup: Lookup<'_>) -> Result<Dmarc> {
    let at = format!("_dmarc.{domain}");
    let records: Vec<String> = match lookup(&at)? {
        Answer::Missing => Vec::new(),
        Answer::Found(texts) => texts.into_iter().filter(|t| is_dmarc(t)).collect(),
    };
    let record = records.join(" + ");
    if records.len() > 1 {
        let why = format!("{} DMARC records are published where one is allowed", records.len());
        return Ok(Dmarc::Invalid { at, record, why });
    }
    let Some(text) = records.first() else { return Ok(Dmarc::Missing) };
    let tags = tags(text);
    let tag = |name: &str| tags.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.to_ascii_lowercase());
    let policy = match (inherited, tag("sp")) {
        (true, Some(sp)) => Some(("sp", sp)),
        _ => tag("p").map(|p| ("p", p)),
    };
    match policy {
        Some((_, p)) if matches!(p.as_str(), "none" | "quarantine" | "reject") => {
            Ok(Dmarc::Found { at, record, policy: p })
        }
        Some((name, p)) => {
            Ok(Dmarc::Invalid { at, record, why: format!("its policy {name}={p} is not none, quarantine or reject") })
        }
        None => Ok(Dmarc::Invalid { at, record, why: "it has no policy (p=)".to_string() }),
    }
}

/// Whether a TXT record is a DMARC record: its first tag is `v=DMARC1`.
fn is_dmarc(text: &str) -> bool {
    tags(text).first().is_some_and(|(name, value)| name == "v" && value == "DMARC1")
}

/// The `name=value` tags of a record, spaces around them dropped.
fn tags(text: &str) -> Vec<(String, String)> {
    text.split(';')
        .filter_map(|tag| tag.split_once('='))
        .map(|(name, value)| (name.trim().to_string(), value.trim().to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn discover_in(zone: &[(&str, &[&str])], domain: &str) -> Dmarc {
        let zone: HashMap<String, Vec<String>> =
            zone.iter().map(|(n, r)| (n.to_string(), r.iter().map(|s| s.to_string()).collect())).collect();
        let mut lookup = |name: &str| -> Result<Answer<String>> {
            Ok(zone.get(name).map_or(Answer::Missing, |r| Answer::Found(r.clone())))
        };
        discover(domain, &mut lookup).expect("no DNS failure")
    }

    #[test]
    fn the_policy_is_found_at_the_domain_or_its_organizational_domain() {
        let zone: &[(&str, &[&str])] = &[
            ("_dmarc.contoso.com", &["v=DMARC1; p=reject; sp=quarantine; rua=mailto:d@contoso.com"]),
            ("_dmarc.fabrikam.co.uk", &["v=DMARC1;p=None"]),
            ("_dmarc.two.example", &["v=DMARC1; p=none", "v=DMARC1; p=reject"]),
            ("_dmarc.nop.example", &["v=DMARC1; rua=mailto:x@nop.example"]),
            ("_dmarc.odd.example", &["v=DMARC1; p=block"]),
            ("_dmarc.spf.example", &["v=spf1 -all"]),
        ];
        let found = |at: &str, policy: &str| Dmarc::Found {
            at: at.to_string(),
            record: zone.iter().find(|(n, _)| *n == at).map(|(_, r)| r[0].to_string()).expect("in zone"),
            policy: policy.to_string(),
        };
        assert_eq!(discover_in(zone, "contoso.com"), found("_dmarc.contoso.com", "reject"));
        assert_eq!(discover_in(zone, "mail.contoso.com"), found("_dmarc.contoso.com", "quarantine"));
        assert_eq!(discover_in(zone, "shop.fabrikam.co.uk"), found("_dmarc.fabrikam.co.uk", "none"));
        assert!(matches!(discover_in(zone, "two.example"), Dmarc::Invalid { why, .. } if why.starts_with("2 DMARC")));
        assert!(
            matches!(discover_in(zone, "nop.example"), Dmarc::Invalid { why, .. } if why == "it has no policy (p=)")
        );
        assert!(
            matches!(discover_in(zone, "odd.example"), Dmarc::Invalid { why, .. } if why == "its policy p=block is not none, quarantine or reject")
        );
        assert_eq!(discover_in(zone, "spf.example"), Dmarc::Missing);
        assert_eq!(discover_in(zone, "co.uk"), Dmarc::Missing);
    }

    #[test]
    fn the_organizational_domain_follows_the_public_suffix_list() {
        assert_eq!(organizational_domain("a.b.contoso.co.uk").as_deref(), Some("contoso.co.uk"));
        assert_eq!(organizational_domain("Mail.Contoso.com.").as_deref(), Some("contoso.com"));
    }
}
