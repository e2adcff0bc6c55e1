//! The counter template (`centreon::plugins::templates::counter`): a mode declares
//! groups of counters over its own data; the engine checks them against thresholds
//! and composes the messages and perfdata exactly as the Perl template does.
//!
//! A mode's data is a plain struct `D`. Each group reads a record type `R` of its own
//! (one record, or a map of records by instance id, found in `D` by a function), and
//! every counter reads `R` through closures: its value, its check, its text, its
//! metrics. The closures may capture the mode's configuration, read once from its
//! options, and field names are checked by the compiler. A value that can be absent
//! is an `Option`; absent, the counter shows Perl's `LABEL : skipped (no value(s))`.
//!
//! A mode declares its groups in one function of its option values, so that the
//! closures capture what the options say:
//!
//! ```ignore
//! struct Usage { totals: Totals, mailboxes: BTreeMap<String, Mailbox> }
//! struct Totals { used: i64 }
//! struct Mailbox { display: String, used: i64, items: Option<i64> }
//!
//! fn groups(values: &Values) -> Result<Groups<Usage>> {
//!     let quota = quota_option(values)?; // read once, captured below
//!     let total = Counter::value(
//!         "total-used", "mailboxes.used.bytes", |t: &Totals| t.used,
//!         Output::Bytes("Used: {}"), Perf::key("total_used").unit("B"),
//!     );
//!     // `%{used}` and `%{display}` are what status expressions may use.
//!     let variables = vec![
//!         Variable::new("used", |m: &Mailbox| m.used),
//!         Variable::new("display", |m: &Mailbox| m.display.clone()),
//!     ];
//!     let status = Counter::new(
//!         "status", |m: &Mailbox| m.used,
//!         Output::custom(move |m: &Mailbox| format!("Used: {} of {quota}", m.used)),
//!         Check::Status(variables),
//!     )
//!     .critical_default("%{used} > 1000");
//!     // An absent `items` shows `items : skipped (no value(s))`.
//!     let items = Counter::value(
//!         "items", "mailbox.items.count", |m: &Mailbox| m.items,
//!         Output::Template("Items: {}"), Perf::key("items").instance(Instance::Suffix),
//!     );
//!     Ok(Groups::new()
//!         .global(Group::new("global", |_| "Total ".into(), vec![total]), |d: &Usage| &d.totals)
//!         .instances(
//!             Group::new("mailboxes", |m: &Mailbox| format!("Mailbox '{}' ", m.display), vec![status, items]),
//!             "All mailboxes are ok",
//!             |d: &Usage| &d.mailboxes,
//!         ))
//! }
//! ```
//!
//! The mode registers `groups: |values| Ok(groups(values)?.declarations())`, and its
//! `select` builds the groups from the run's values, reads its data and returns
//! `groups.with(data)`: a [`Collected`] the driver evaluates without knowing `Usage`.
//!
//! The same declarations generate the `--warning-*` / `--critical-*` options, the help
//! item that lists them and `--list-counters` ([`Declarations`]), so they cannot drift
//! apart.

mod counter;
mod declarations;
mod engine;
mod field;
mod groups;
mod thresholds;

pub use counter::{Check, Counter, Group, Instance, Output, Perf, PerfThresholds, Variable};
pub use declarations::{Declarations, MetricNames, Naming};
pub use field::{Field, Scalar};
pub use groups::{Collected, Groups};
pub use thresholds::{Levels, Limit, Thresholds, LIST_COUNTERS};
