//! Opt-in reshapings of a tenant's reports that Microsoft is known to serve
//! but the recorded fixtures do not show: concealed user names, dates written
//! as date-times, and a report refresh date of the test's choosing. None is
//! applied unless a test asks, so the golden cases see the fixtures as recorded.

use std::fmt;
use std::str::FromStr;

use md5::{Digest, Md5};

use super::calendar::day_of;
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
}

impl Variant {
    /// The tenant with its report CSVs reshaped.
    pub fn apply(&self, tenant: Tenant) -> Tenant {
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
            }
            rows
        })
    }

    /// The variant's name for `mockgraph --variant` (the refresh date has its own option).
    pub fn name(&self) -> &'static str {
        match self {
            Variant::ConcealedNames => "concealed-names",
            Variant::IsoDates => "iso-dates",
            Variant::RefreshDate(_) => "refresh-date",
        }
    }
}

impl FromStr for Variant {
    type Err = String;

    fn from_str(name: &str) -> Result<Variant, String> {
        match name {
            "concealed-names" => Ok(Variant::ConcealedNames),
            "iso-dates" => Ok(Variant::IsoDates),
            _ => Err(format!("unknown variant '{name}' (concealed-names, iso-dates)")),
        }
    }
}

impl fmt::Display for Variant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Variant::RefreshDate(date) => write!(f, "refresh-date={date}"),
            other => f.write_str(other.name()),
        }
    }
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
