//! The tenant's domains: what Graph says of them (`GET /v1.0/domains`, in two pages,
//! and `GET /v1.0/domains/{id}/serviceConfigurationRecords`) and what their DNS
//! publishes (the zones [`zones`] writes for a real DNS server, see `nsd`), from one
//! table, so that Microsoft's view and the DNS agree or differ exactly as each
//! domain's comment says.
//!
//! Every name is under `example.` (reserved for examples), plus the parts of
//! Microsoft's own zones the checks read: `spf.protection.outlook.com` and the DKIM
//! keys under `onmicrosoft.com` and `dkim.mail.microsoft`.

use serde_json::{json, Value};

/// A DKIM key as Microsoft publishes one (shortened: only its presence is checked).
const KEY: &str = "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAtest";

/// Exchange Online's SPF include.
const EXCHANGE_SPF: &str = "v=spf1 include:spf.protection.outlook.com -all";

/// One domain of the tenant.
#[derive(Clone, Debug)]
pub struct MockDomain {
    /// The domain name.
    pub id: &'static str,
    /// Graph's `isVerified`.
    pub verified: bool,
    /// Graph's `isInitial`.
    pub initial: bool,
    /// Graph's `supportedServices`.
    pub services: &'static [&'static str],
    /// The MX Microsoft lists for the domain (`mailExchange`).
    pub expected_mx: &'static str,
    /// Its records in the `example.` zone, relative to the domain (`@` is the
    /// domain itself): name, type, data.
    pub records: Vec<(&'static str, &'static str, String)>,
}

/// A TXT record's data, quoted (split in strings of at most 255 bytes).
fn txt(text: &str) -> String {
    text.as_bytes()
        .chunks(255)
        .map(|chunk| format!("\"{}\"", String::from_utf8_lossy(chunk)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The records of a domain that publishes everything right, MX to `mx` and DKIM
/// CNAMEs to Microsoft's classic targets for `label` (`clean-example`).
fn clean(label: &str, mx: &str) -> Vec<(&'static str, &'static str, String)> {
    vec![
        ("@", "MX", format!("0 {mx}.")),
        ("@", "TXT", txt(EXCHANGE_SPF)),
        ("selector1._domainkey", "CNAME", format!("selector1-{label}._domainkey.contoso.onmicrosoft.com.")),
        ("selector2._domainkey", "CNAME", format!("selector2-{label}._domainkey.contoso.onmicrosoft.com.")),
        ("_dmarc", "TXT", txt("v=DMARC1; p=reject; rua=mailto:dmarc@clean.example")),
    ]
}

/// `records` without those at `name` of type `kind`.
fn without(
    mut records: Vec<(&'static str, &'static str, String)>,
    name: &str,
    kind: &str,
) -> Vec<(&'static str, &'static str, String)> {
    records.retain(|(n, k, _)| !(*n == name && *k == kind));
    records
}

/// `records` with those at `name` of type `kind` replaced by `data`.
fn with(
    records: Vec<(&'static str, &'static str, String)>,
    name: &'static str,
    kind: &'static str,
    data: &[String],
) -> Vec<(&'static str, &'static str, String)> {
    let mut records = without(records, name, kind);
    records.extend(data.iter().map(|d| (name, kind, d.clone())));
    records
}

/// The classic MX Microsoft gives a domain.
fn classic_mx(label: &str) -> String {
    format!("{label}.mail.protection.outlook.com")
}

/// The tenant's domains, in Graph's order.
pub fn tenant() -> Vec<MockDomain> {
    let email: &'static [&'static str] = &["Email", "OfficeCommunicationsOnline"];
    let domain = |id: &'static str, label: &'static str, records| MockDomain {
        id,
        verified: true,
        initial: false,
        services: email,
        expected_mx: Box::leak(classic_mx(label).into_boxed_str()),
        records,
    };
    let base = |label: &str| clean(label, &classic_mx(label));
    vec![
        // The initial domain: its DNS is Microsoft's, checked only when asked.
        MockDomain {
            id: "contoso.onmicrosoft.com",
            verified: true,
            initial: true,
            services: &["Email", "OfficeCommunicationsOnline"],
            expected_mx: "contoso.mail.protection.outlook.com",
            records: Vec::new(),
        },
        // Everything as it should be.
        domain("clean.example", "clean-example", base("clean-example")),
        // Everything as it should be, with the newer MX and DKIM targets.
        MockDomain {
            expected_mx: "newmx-example.r-v1.mx.microsoft",
            ..domain(
                "newmx.example",
                "newmx-example",
                with(
                    with(
                        clean("newmx-example", "newmx-example.r-v1.mx.microsoft"),
                        "selector1._domainkey",
                        "CNAME",
                        &["selector1-newmx-example._domainkey.contoso.r-v1.dkim.mail.microsoft.".to_string()],
                    ),
                    "selector2._domainkey",
                    "CNAME",
                    &["selector2-newmx-example._domainkey.contoso.r-v1.dkim.mail.microsoft.".to_string()],
                ),
            )
        },
        // No MX at all.
        domain("nomx.example", "nomx-example", without(base("nomx-example"), "@", "MX")),
        // No SPF record.
        domain("nospf.example", "nospf-example", without(base("nospf-example"), "@", "TXT")),
        // No DKIM CNAMEs.
        domain(
            "nodkim.example",
            "nodkim-example",
            without(without(base("nodkim-example"), "selector1._domainkey", "CNAME"), "selector2._domainkey", "CNAME"),
        ),
        // No DMARC record (nor at its organizational domain, itself).
        domain("nodmarc.example", "nodmarc-example", without(base("nodmarc-example"), "_dmarc", "TXT")),
        // SPF needing 11 lookups: Exchange Online's include (2 with its own) and 9 more
        // through nested includes.
        domain(
            "deepspf.example",
            "deepspf-example",
            with(
                base("deepspf-example"),
                "@",
                "TXT",
                &[txt("v=spf1 include:spf.protection.outlook.com include:_spf1.deepspf.example -all")],
            )
            .into_iter()
            .chain([
                ("_spf1", "TXT", txt("v=spf1 a mx include:_spf2.deepspf.example -all")),
                (
                    "_spf2",
                    "TXT",
                    txt("v=spf1 a:mail.deepspf.example mx:deepspf.example ptr exists:%{i}._spf.deepspf.example \
                         include:_spf3.deepspf.example -all"),
                ),
                ("_spf3", "TXT", txt("v=spf1 ip4:192.0.2.1 -all")),
            ])
            .collect(),
        ),
        // Two SPF records.
        domain(
            "twospf.example",
            "twospf-example",
            with(
                base("twospf-example"),
                "@",
                "TXT",
                &[txt(EXCHANGE_SPF), txt("v=spf1 include:spf.protection.outlook.com ~all")],
            ),
        ),
        // SPF that lets any host send as the domain.
        domain(
            "plusall.example",
            "plusall-example",
            with(base("plusall-example"), "@", "TXT", &[txt("v=spf1 include:spf.protection.outlook.com +all")]),
        ),
        // DMARC asking for nothing.
        domain(
            "dmarcnone.example",
            "dmarcnone-example",
            with(
                base("dmarcnone-example"),
                "_dmarc",
                "TXT",
                &[txt("v=DMARC1; p=none; rua=mailto:d@dmarcnone.example")],
            ),
        ),
        // A DKIM CNAME whose target publishes no key.
        domain(
            "dangling.example",
            "dangling-example",
            with(
                base("dangling-example"),
                "selector2._domainkey",
                "CNAME",
                &["selector2-gone-example._domainkey.contoso.onmicrosoft.com.".to_string()],
            ),
        ),
        // Mail received by a gateway in front of Exchange Online.
        domain(
            "gateway.example",
            "gateway-example",
            with(base("gateway-example"), "@", "MX", &["10 mx1.gateway.example.".to_string()]),
        ),
        // Not verified: ignored, though its DNS publishes nothing.
        MockDomain { verified: false, ..domain("unverified.example", "unverified-example", Vec::new()) },
        // Verified, but not for email: ignored.
        MockDomain {
            services: &["OfficeCommunicationsOnline"],
            ..domain("teams.example", "teams-example", Vec::new())
        },
        // Its zone fails on the DNS server (SERVFAIL).
        domain("broken.example", "broken-example", Vec::new()),
    ]
}

/// The zones of the DNS server that publishes the tenant's domains: origin and zone
/// file text. `broken.example.` is not among them: a server must answer SERVFAIL for it
/// (see [`SERVFAIL_ZONE`]).
pub fn zones(domains: &[MockDomain]) -> Vec<(String, String)> {
    let soa = |origin: &str| {
        format!("$ORIGIN {origin}\n$TTL 60\n@ IN SOA ns.example. admin.example. 1 60 60 60 60\n@ IN NS ns.example.\n")
    };
    let mut example = soa("example.");
    example.push_str("ns IN A 127.0.0.1\n");
    for domain in domains {
        let relative = domain.id.trim_end_matches(".example");
        if relative == domain.id {
            continue;
        }
        for (name, kind, data) in &domain.records {
            let owner = if *name == "@" { relative.to_string() } else { format!("{name}.{relative}") };
            example.push_str(&format!("{owner} IN {kind} {data}\n"));
        }
    }
    let mut onmicrosoft = soa("onmicrosoft.com.");
    let mut dkim_mail = soa("dkim.mail.microsoft.");
    for domain in domains {
        for (_, kind, data) in &domain.records {
            if *kind != "CNAME" || data.contains("gone-example") {
                continue;
            }
            let target = data.trim_end_matches('.');
            if let Some(owner) = target.strip_suffix(".onmicrosoft.com") {
                onmicrosoft.push_str(&format!("{owner} IN TXT {}\n", txt(KEY)));
            } else if let Some(owner) = target.strip_suffix(".dkim.mail.microsoft") {
                dkim_mail.push_str(&format!("{owner} IN TXT {}\n", txt(KEY)));
            }
        }
    }
    let mut outlook = soa("outlook.com.");
    outlook.push_str(&format!(
        "spf.protection IN TXT {}\nspfd.protection IN TXT {}\n",
        txt("v=spf1 ip4:40.92.0.0/15 ip4:40.107.0.0/16 include:spfd.protection.outlook.com -all"),
        txt("v=spf1 ip4:51.4.72.0/24 ip4:52.100.0.0/14 -all")
    ));
    vec![
        ("example.".to_string(), example),
        ("onmicrosoft.com.".to_string(), onmicrosoft),
        ("dkim.mail.microsoft.".to_string(), dkim_mail),
        ("outlook.com.".to_string(), outlook),
    ]
}

/// The zone the DNS server holds without data, so that it answers SERVFAIL.
pub const SERVFAIL_ZONE: &str = "broken.example.";

/// One `domain` object.
fn domain_json(domain: &MockDomain) -> Value {
    json!({
        "id": domain.id,
        "authenticationType": "Managed",
        "isAdminManaged": true,
        "isDefault": domain.id == "clean.example",
        "isInitial": domain.initial,
        "isRoot": true,
        "isVerified": domain.verified,
        "supportedServices": domain.services,
    })
}

/// `GET /v1.0/domains`: the first half of the domains and a link to the rest
/// (`$skiptoken=page2`), as Graph pages a long list.
pub fn list_page(domains: &[MockDomain], second: bool, graph_port: u16) -> Value {
    let half = domains.len().div_ceil(2);
    if second {
        json!({ "value": domains[half..].iter().map(domain_json).collect::<Vec<_>>() })
    } else {
        json!({
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#domains",
            "value": domains[..half].iter().map(domain_json).collect::<Vec<_>>(),
            "@odata.nextLink": format!("http://127.0.0.1:{graph_port}/v1.0/domains?$skiptoken=page2"),
        })
    }
}

/// `GET /v1.0/domains/{id}/serviceConfigurationRecords`: Microsoft's MX, SPF
/// advice and autodiscover CNAME for an email domain; `None` for a domain the
/// tenant lacks.
pub fn service_records(domains: &[MockDomain], id: &str) -> Option<Value> {
    let domain = domains.iter().find(|d| d.id.eq_ignore_ascii_case(id))?;
    let mut records = Vec::new();
    if domain.services.contains(&"Email") {
        records.push(json!({
            "@odata.type": "#microsoft.graph.domainDnsMxRecord",
            "id": "mx", "isOptional": false, "label": domain.id, "recordType": "Mx",
            "supportedService": "Email", "ttl": 3600,
            "mailExchange": domain.expected_mx, "preference": 0,
        }));
        records.push(json!({
            "@odata.type": "#microsoft.graph.domainDnsTxtRecord",
            "id": "spf", "isOptional": false, "label": domain.id, "recordType": "Txt",
            "supportedService": "Email", "ttl": 3600,
            "text": "v=spf1 include:spf.protection.outlook.com -all",
        }));
        records.push(json!({
            "@odata.type": "#microsoft.graph.domainDnsCnameRecord",
            "id": "autodiscover", "isOptional": false, "label": format!("autodiscover.{}", domain.id),
            "recordType": "CName", "supportedService": "Email", "ttl": 3600,
            "canonicalName": "autodiscover.outlook.com",
        }));
    }
    Some(json!({ "value": records }))
}

/// A DNS server (NSD) publishing the zones of `domains`, `broken.example.` failing.
pub fn dns_server(domains: &[MockDomain]) -> std::io::Result<super::Nsd> {
    super::Nsd::start(&zones(domains), &[SERVFAIL_ZONE])
}
