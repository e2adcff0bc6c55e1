//! Opt-in reshapings of a tenant's reports and service health that Microsoft
//! is known to serve but the recorded fixtures do not show: concealed user
//! names, dates written as date-times, a report refresh date of the test's
//! choosing, reports whose last record has no line break, and services whose
//! issues are all resolved. None is applied unless a test asks, so the golden
//! cases see the fixtures as recorded.

use std::fmt;
use std::str::FromStr;

use md5::{Digest, Md5};
use serde_json::json;

use super::calendar::{day_of, shift_date};
use super::Tenant;

/// The domain of the concealed `<PII:...>` user principal names.
const DOMAIN: &str = "contoso.onmicrosoft.com";

/// One reshaping of every report CSV of a tenant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Variant {
    /// User principal names and display names concealed as a tenant with
    /// "Display concealed user, group, and site names in all reports" shows
    /// them, the forms mixed: 32-hex MD5-like strings, `<PII:H105(...=)>`
    /// forms (`...@domain` for the name), `(Unknown)`, and one hash shared by
    /// several users; about one user in five keeps its real names. The choice
    /// depends on the user principal name, so a user is concealed alike in
    /// every report.
    ConcealedNames,
    /// Every `YYYY-MM-DD` cell of a `... Date` column written
    /// `YYYY-MM-DDT00:00:00Z`, as several reports have written them since
    /// November 2021.
    IsoDates,
    /// Every `Report Refresh Date` set to this `YYYY-MM-DD` (keeping a
    /// date-time's `T00:00:00Z`), for the checks of a report's age.
    RefreshDate(String),
    /// Every date of the reports moved by as many days as brings its row's
    /// `Report Refresh Date` to this `YYYY-MM-DD`: the same tenant as of another
    /// day (the demo's tenant as of yesterday, whatever the day).
    ReportDate(String),
    /// Every report CSV (header-only ones included) without the line break
    /// after its last record, as RFC 4180 allows. Give it after the variants
    /// that rewrite rows: they write every row with its line break.
    NoFinalLineEnd,
    /// Every service with issues, all resolved (`isResolved: true`), the
    /// services' statuses unchanged: a tenant as Microsoft's "List
    /// healthOverviews" example 2 shows one. A service without issues gets a
    /// resolved advisory, `<id>-R`.
    IssuesResolved,
}

impl Variant {
    /// The tenant with its report CSVs or its service health reshaped.
    pub fn apply(&self, tenant: Tenant) -> Tenant {
        match self {
            Variant::NoFinalLineEnd => {
                return tenant.rewrite_files(|name, data| {
                    let end = data.len() - data.iter().rev().take_while(|b| matches!(b, b'\r' | b'\n')).count();
                    name.ends_with(".csv").then(|| data[..end].to_vec())
                })
            }
            Variant::IssuesResolved => return tenant.rewrite_files(resolve_issues),
            Variant::ConcealedNames | Variant::IsoDates | Variant::RefreshDate(_) | Variant::ReportDate(_) => {}
        }
        tenant.rewrite_csvs(|_, mut rows| {
            let Some((head, body)) = rows.split_first_mut() else {
                return rows;
            };
            let col = |name: &str| head.iter().position(|c| c == name);
            match self {
                Variant::ConcealedNames => {
                    if let (Some(upn), Some(name)) = (col("User Principal Name"), col("Display Name")) {
                        for row in body.iter_mut().filter(|r| r.len() > upn.max(name)) {
                            if let Some((u, n)) = conceal(&row[upn]) {
                                row[upn] = u;
                                row[name] = n;
                            }
                        }
                    }
                }
                Variant::IsoDates => {
                    let dates: Vec<usize> =
                        head.iter().enumerate().filter(|(_, c)| c.ends_with(" Date")).map(|(i, _)| i).collect();
                    for row in body.iter_mut() {
                        for &i in &dates {
                            if let Some(cell) = row.get_mut(i).filter(|c| c.len() == 10 && day_of(c).is_some()) {
                                cell.push_str("T00:00:00Z");
                            }
                        }
                    }
                }
                Variant::RefreshDate(date) => {
                    if let Some(i) = col("Report Refresh Date") {
                        for cell in body.iter_mut().filter_map(|r| r.get_mut(i)) {
                            let rest = cell.get(10..).unwrap_or_default().to_string();
                            *cell = format!("{date}{rest}");
                        }
                    }
                }
                Variant::ReportDate(date) => {
                    let dates: Vec<usize> =
                        head.iter().enumerate().filter(|(_, c)| c.ends_with(" Date")).map(|(i, _)| i).collect();
                    let (Some(refresh), Some(target)) = (col("Report Refresh Date"), day_of(date)) else {
                        return rows;
                    };
                    for row in body.iter_mut() {
                        let Some(delta) = row.get(refresh).and_then(|c| day_of(c)).map(|day| target - day) else {
                            continue;
                        };
                        for &i in &dates {
                            if let Some(cell) = row.get_mut(i) {
                                *cell = shift_date(cell, delta);
                            }
                        }
                    }
                }
                Variant::NoFinalLineEnd | Variant::IssuesResolved => {}
            }
            rows
        })
    }

    /// The variant's name for `mockgraph --variant` (the two dates have options of their own).
    pub fn name(&self) -> &'static str {
        match self {
            Variant::ConcealedNames => "concealed-names",
            Variant::IsoDates => "iso-dates",
            Variant::RefreshDate(_) => "refresh-date",
            Variant::ReportDate(_) => "report-date",
            Variant::NoFinalLineEnd => "no-final-line-end",
            Variant::IssuesResolved => "issues-resolved",
        }
    }
}

impl FromStr for Variant {
    type Err = String;

    fn from_str(name: &str) -> Result<Variant, String> {
        match name {
            "concealed-names" => Ok(Variant::ConcealedNames),
            "iso-dates" => Ok(Variant::IsoDates),
            "no-final-line-end" => Ok(Variant::NoFinalLineEnd),
            "issues-resolved" => Ok(Variant::IssuesResolved),
            _ => Err(format!(
                "unknown variant '{name}' (concealed-names, iso-dates, no-final-line-end, issues-resolved)"
            )),
        }
    }
}

impl fmt::Display for Variant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Variant::RefreshDate(date) => write!(f, "refresh-date={date}"),
            Variant::ReportDate(date) => write!(f, "report-date={date}"),
            other => f.write_str(other.name()),
        }
    }
}

/// `health.json` with issues on every service, all resolved; `None` for any
/// other file.
fn resolve_issues(name: &str, data: &[u8]) -> Option<Vec<u8>> {
    if name != "health.json" {
        return None;
    }
    let mut health: serde_json::Value = serde_json::from_slice(data).ok()?;
    for service in health.get_mut("value")?.as_array_mut()? {
        let (id, name) = (service["id"].clone(), service["service"].clone());
        let issues = service.as_object_mut()?.entry("issues").or_insert_with(|| json!([]));
        let issues = issues.as_array_mut()?;
        if issues.is_empty() {
            issues.push(json!({
                "id": format!("{}-R", id.as_str().unwrap_or_default()),
                "title": "Resolved advisory",
                "service": name,
                "classification": "advisory",
                "isResolved": true,
                "startDateTime": "2026-11-21T08:00:00Z",
                "status": "serviceRestored",
            }));
        }
        for issue in issues.iter_mut() {
            issue["isResolved"] = json!(true);
        }
    }
    serde_json::to_vec(&health).ok()
}

fn md5_upper(text: &str) -> String {
    Md5::digest(text.as_bytes()).iter().map(|b| format!("{b:02X}")).collect()
}

/// The concealed (user principal name, display name) of a user, or `None`
/// for a user shown as is. Names that are concealed already stay as they are.
fn conceal(upn: &str) -> Option<(String, String)> {
    if !upn.contains('@') {
        return None;
    }
    let digest = Md5::digest(upn.as_bytes());
    match digest[0] % 5 {
        0 => None,
        1 => Some((md5_upper(upn), md5_upper(&format!("name:{upn}")))),
        2 => {
            let token: String = digest
                .iter()
                .take(12)
                .map(|b| char::from(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef"[usize::from(b % 32)]))
                .collect();
            let pii = format!("<PII:H105({token}=)>");
            Some((format!("{pii}@{DOMAIN}"), pii))
        }
        3 => Some(("(Unknown)".to_string(), "(Unknown)".to_string())),
        // The MD5 of nothing: one hash that several users share.
        _ => Some((md5_upper(""), md5_upper(""))),
    }
}
