//! The files a tenant's reports are made of: read from a fixture directory,
//! or generated in memory as `gen_fixtures.py` writes them (same seeded
//! random sequence, so `Tenant::generated(40, 7)` is the shipped `tenant40`).

use std::collections::BTreeMap;
use std::io;
use std::path::Path;
use std::sync::Arc;

use md5::{Digest, Md5};
use serde_json::{json, Value};

use super::calendar::{civil, days_from_civil};
use super::csvtext::{read_rows, write_row, BOM};
use super::pyrandom::PyRandom;

const EMAIL_COLS: [&str; 13] = [
    "Report Refresh Date",
    "User Principal Name",
    "Display Name",
    "Is Deleted",
    "Deleted Date",
    "Last Activity Date",
    "Send Count",
    "Receive Count",
    "Read Count",
    "Meeting Created Count",
    "Meeting Interacted Count",
    "Assigned Products",
    "Report Period",
];
const MAILBOX_COLS: [&str; 18] = [
    "Report Refresh Date",
    "User Principal Name",
    "Display Name",
    "Is Deleted",
    "Deleted Date",
    "Created Date",
    "Last Activity Date",
    "Item Count",
    "Storage Used (Byte)",
    "Issue Warning Quota (Byte)",
    "Prohibit Send Quota (Byte)",
    "Prohibit Send/Receive Quota (Byte)",
    "Deleted Item Count",
    "Deleted Item Size (Byte)",
    "Deleted Item Quota (Byte)",
    "Has Archive",
    "Recipient Type",
    "Report Period",
];
const FIRST: [&str; 24] = [
    "Anna", "Björn", "Chloé", "Dmitri", "Émile", "Fatima", "Göran", "Hana", "Ivan", "José", "Kenji", "Léa", "Marta",
    "Nuño", "Olga", "Pierre", "Quentin", "Rūta", "Søren", "Tomás", "Uwe", "Vera", "Wojciech", "Zoë",
];
const LAST: [&str; 14] = [
    "Doe",
    "O'Brien",
    "Smith, Jr.",
    "Müller",
    "\"The Boss\" Lee",
    "Nguyễn",
    "García",
    "Dupont",
    "Ivanova",
    "Kowalski",
    "Tanaka",
    "Rossi",
    "Jansen",
    "Öztürk",
];
const GIB: u64 = 1 << 30;
/// The report date of every generated tenant, as gen_fixtures.py's default.
const REPORT_DATE: (i64, u32, u32) = (2026, 11, 22);
/// The share of users active on the report date, as gen_fixtures.py's default.
const ACTIVE_SHARE: f64 = 0.35;

/// A tenant's files by name (`email_D7.csv`, `health.json`, ...), shared
/// between the requests that serve them without copying.
#[derive(Clone)]
pub struct Tenant {
    files: BTreeMap<String, Arc<Vec<u8>>>,
}

impl Tenant {
    /// Every regular file of a fixture directory, such as `tests/fixtures/tenant40`.
    pub fn from_dir(dir: &Path) -> io::Result<Tenant> {
        let mut files = BTreeMap::new();
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            if entry.file_type()?.is_file() {
                let name = entry.file_name().to_string_lossy().into_owned();
                files.insert(name, Arc::new(std::fs::read(entry.path())?));
            }
        }
        Ok(Tenant { files })
    }

    /// A tenant of `users` users drawn as `gen_fixtures.py --users N --seed S`
    /// draws them (report date 2026-11-22, 35% active that day): BOM, CRLF,
    /// quotes, commas and non-ASCII letters in display names, deleted users,
    /// blank storage values, oversized mailboxes, and a concealed (hashed)
    /// name every 97th user. The CSVs are built once, in memory, so that a
    /// benchmark tenant of a million users costs no disk.
    pub fn generated(users: usize, seed: u64) -> Tenant {
        let mut rng = PyRandom::new(seed);
        let day = days_from_civil(REPORT_DATE.0, REPORT_DATE.1, REPORT_DATE.2);
        let date = civil(day);
        let mut email7 = header(&EMAIL_COLS, users * 150);
        let mut daily = header(&EMAIL_COLS, users * 60);
        let mut mbox = header(&MAILBOX_COLS, users * 200);
        for i in 0..users {
            let first = *rng.choice(&FIRST);
            let last_name = *rng.choice(&LAST);
            let mut name = format!("{first} {last_name}");
            let mut upn = format!("user{i:06}@contoso.onmicrosoft.com");
            if i % 97 == 96 {
                upn = md5_upper(&upn);
                name = md5_upper(&name);
            }
            let deleted = i % 53 == 52;
            let draw = rng.random();
            let last = if draw < ACTIVE_SHARE {
                Some(day)
            } else if draw < 0.85 {
                Some(day - rng.randint(1, 40) as i64)
            } else {
                None
            };
            let last_s = last.map(civil).unwrap_or_default();
            let products = *rng.choice(&["MICROSOFT 365 E3", "OFFICE 365 E1+EXCHANGE ONLINE (PLAN 2)", ""]);
            let (sent, received, read) = (rng.randint(0, 300), rng.randint(0, 2000), rng.randint(0, 1500));
            let is_deleted = if deleted { "True" } else { "False" };
            let deleted_date = if deleted { civil(day - 3) } else { String::new() };
            let meetings_created = rng.randint(0, 5);
            let meetings_interacted = rng.randint(0, 9);
            write_row(
                &mut email7,
                &[
                    date.clone(),
                    upn.clone(),
                    name.clone(),
                    is_deleted.to_string(),
                    deleted_date,
                    last_s.clone(),
                    sent.to_string(),
                    received.to_string(),
                    read.to_string(),
                    meetings_created.to_string(),
                    meetings_interacted.to_string(),
                    products.to_string(),
                    "7".to_string(),
                ],
            );
            if last == Some(day) {
                write_row(
                    &mut daily,
                    &[
                        date.clone(),
                        upn.clone(),
                        name.clone(),
                        "False".to_string(),
                        String::new(),
                        last_s.clone(),
                        (sent / 7).to_string(),
                        (received / 7).to_string(),
                        (read / 7).to_string(),
                        "0".to_string(),
                        "1".to_string(),
                        products.to_string(),
                        "1".to_string(),
                    ],
                );
            }
            let (warn, send, send_receive) = if i % 29 == 0 {
                (99 * GIB, 100 * GIB, 100 * GIB)
            } else {
                (49 * GIB + GIB / 2, 49 * GIB + GIB / 2 + GIB / 4, 50 * GIB)
            };
            let candidates = [rng.randint(0, 5 * GIB), rng.randint(0, 60 * GIB), rng.randint(1000, 900_000)];
            let used = *rng.choice(&candidates);
            let items = rng.randint(0, 250_000);
            let (used, items) =
                if i % 41 == 40 { (String::new(), String::new()) } else { (used.to_string(), items.to_string()) };
            let deleted_items = rng.randint(0, 900);
            let deleted_size = rng.randint(0, GIB);
            let archive = *rng.choice(&["True", "False"]);
            let recipient = *rng.choice(&["User", "Shared"]);
            write_row(
                &mut mbox,
                &[
                    date.clone(),
                    upn,
                    name,
                    is_deleted.to_string(),
                    String::new(),
                    "2019-05-04".to_string(),
                    last_s,
                    items,
                    used,
                    warn.to_string(),
                    send.to_string(),
                    send_receive.to_string(),
                    deleted_items.to_string(),
                    deleted_size.to_string(),
                    (30 * GIB).to_string(),
                    archive.to_string(),
                    recipient.to_string(),
                    "7".to_string(),
                ],
            );
        }
        let (health, legacy) = health(&mut rng, &civil(day));
        let mut files = BTreeMap::new();
        files.insert("email_D7.csv".to_string(), Arc::new(email7));
        files.insert("email_daily.csv".to_string(), Arc::new(daily));
        files.insert("mailbox_D7.csv".to_string(), Arc::new(mbox));
        files.insert("health.json".to_string(), Arc::new(health));
        files.insert("health_legacy.json".to_string(), Arc::new(legacy));
        for (name, cols) in [
            ("email_D7.csv", &EMAIL_COLS[..]),
            ("email_daily.csv", &EMAIL_COLS[..]),
            ("mailbox_D7.csv", &MAILBOX_COLS[..]),
        ] {
            files.insert(format!("empty_{name}"), Arc::new(header(cols, 0)));
        }
        Tenant { files }
    }

    /// The bytes of one file, as the stand-in serves them when no fault alters them.
    pub fn file(&self, name: &str) -> Option<&Arc<Vec<u8>>> {
        self.files.get(name)
    }

    /// Every file, by name.
    pub(super) fn files(&self) -> &BTreeMap<String, Arc<Vec<u8>>> {
        &self.files
    }

    /// The tenant with every file for which `rewrite` (file name, bytes) gives new
    /// bytes holding those instead.
    pub(super) fn rewrite_files(mut self, rewrite: impl Fn(&str, &[u8]) -> Option<Vec<u8>>) -> Tenant {
        for (name, data) in self.files.iter_mut() {
            if let Some(new) = rewrite(name, data) {
                *data = Arc::new(new);
            }
        }
        self
    }

    /// The tenant with every report CSV passed through `rewrite` (file name,
    /// rows with the header first) and written back with its BOM and CRLF rows;
    /// the `empty_` files, being headers only, are left as they are.
    pub(super) fn rewrite_csvs(mut self, rewrite: impl Fn(&str, Vec<Vec<String>>) -> Vec<Vec<String>>) -> Tenant {
        for (name, data) in self.files.iter_mut() {
            if !name.ends_with(".csv") || name.starts_with("empty_") {
                continue;
            }
            let text = String::from_utf8_lossy(data.strip_prefix(BOM).unwrap_or(data));
            let mut out = BOM.to_vec();
            for row in rewrite(name, read_rows(&text)) {
                write_row(&mut out, &row);
            }
            *data = Arc::new(out);
        }
        self
    }
}

fn header(cols: &[&str], capacity: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(capacity);
    out.extend_from_slice(BOM);
    write_row(&mut out, cols);
    out
}

fn md5_upper(text: &str) -> String {
    Md5::digest(text.as_bytes()).iter().map(|b| format!("{b:02X}")).collect()
}

/// `health.json` (Graph service health overviews with their issues) and
/// `health_legacy.json` (the retired Management API CurrentStatus), drawn
/// from the same random sequence as gen_fixtures.py's `write_health`.
fn health(rng: &mut PyRandom, date: &str) -> (Vec<u8>, Vec<u8>) {
    let time = |rng: &mut PyRandom, hour: u32| {
        let minute = rng.randint(0, 59);
        format!("{date}T{hour:02}:{minute:02}:00Z")
    };
    let issue = |rng: &mut PyRandom,
                 prefix: &str,
                 service: &str,
                 class: &str,
                 status: &str,
                 resolved: bool,
                 title: &str,
                 feature: &str| {
        let id = format!("{prefix}{}", rng.randint(100_000, 999_999));
        let start = time(rng, 6);
        let end = if resolved { Value::String(time(rng, 9)) } else { Value::Null };
        let modified = time(rng, 10);
        json!({
            "id": id, "title": title, "service": service, "feature": feature,
            "featureGroup": "E-Mail and calendar access", "classification": class,
            "origin": "microsoft", "isResolved": resolved, "startDateTime": start,
            "endDateTime": end, "lastModifiedDateTime": modified, "status": status,
            "impactDescription": format!("Users may be unable to {}.", title.to_lowercase()),
            "details": [{"key": "affectedRegions", "value": "Europe, North America"}],
            "posts": [],
        })
    };
    let exchange = vec![
        issue(
            rng,
            "EX",
            "Exchange Online",
            "incident",
            "serviceDegradation",
            false,
            "Send email with attachments from Outlook on the web",
            "Sign-in",
        ),
        issue(
            rng,
            "EX",
            "Exchange Online",
            "advisory",
            "serviceRestored",
            true,
            "Délai de remise des messages — access mailboxes",
            "E-Mail timely delivery",
        ),
    ];
    let sharepoint = vec![issue(
        rng,
        "SP",
        "SharePoint Online",
        "advisory",
        "serviceRestored",
        true,
        "Open documents 😀 漢字",
        "Sites",
    )];
    let entra = vec![issue(
        rng,
        "MO",
        "Microsoft Entra",
        "incident",
        "extendedRecovery",
        false,
        "Sign in to Microsoft 365 apps",
        "Authentication",
    )];
    let eop = vec![issue(
        rng,
        "EP",
        "Exchange Online Protection",
        "incident",
        "investigating",
        false,
        "Quarantine \"release\", emails",
        "Quarantine",
    )];
    let services = vec![
        json!({"service": "Exchange Online", "id": "Exchange", "status": "serviceDegradation", "issues": exchange}),
        json!({"service": "Microsoft Teams", "id": "microsoftteams", "status": "serviceOperational", "issues": []}),
        json!({"service": "SharePoint Online", "id": "SharePoint", "status": "serviceRestored", "issues": sharepoint}),
        json!({"service": "Microsoft Entra", "id": "OrgLiveID", "status": "extendedRecovery", "issues": entra}),
        json!({"service": "Microsoft 365 suite", "id": "OSDPPlatform", "status": "serviceOperational"}),
        json!({"service": "Exchange Online Protection", "id": "EOP", "status": "investigating", "issues": eop}),
    ];
    let legacy: Vec<Value> = services
        .iter()
        .map(|s| {
            let issues = s["issues"].as_array().cloned().unwrap_or_default();
            let incidents: Vec<Value> =
                issues.iter().filter(|i| i["isResolved"] == false).map(|i| i["id"].clone()).collect();
            let features: Vec<Value> = issues
                .iter()
                .enumerate()
                .map(|(n, i)| {
                    json!({
                        "FeatureName": format!("Feature{n}"),
                        "FeatureDisplayName": i["feature"],
                        "FeatureServiceStatus": capitalized(i["status"].as_str().unwrap_or_default()),
                        "FeatureServiceStatusDisplayName": i["status"],
                    })
                })
                .collect();
            let status = s["status"].as_str().unwrap_or_default();
            json!({
                "Id": s["id"], "Workload": s["id"], "WorkloadDisplayName": s["service"],
                "Status": capitalized(status), "StatusDisplayName": status,
                "StatusTime": time(rng, 11), "IncidentIds": incidents, "FeatureStatus": features,
            })
        })
        .collect();
    let health = json!({ "value": services });
    let legacy = json!({
        "@odata.context": "https://office365servicecomms-prod.cloudapp.net/api/v1.0/t1/$metadata#CurrentStatus",
        "value": legacy,
    });
    (serde_json::to_vec_pretty(&health).unwrap_or_default(), serde_json::to_vec_pretty(&legacy).unwrap_or_default())
}

fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}
