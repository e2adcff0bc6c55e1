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
//! The same declarations generate the `--warning-*` / `--critical-*` options, the help
//! item that lists them and `--list-counters` ([`Declarations`]), so they cannot drift
//! apart.

mod counter;
mod engine;
mod field;
mod groups;
mod thresholds;

pub use counter::{Check, Counter, Group, Instance, Output, Perf, PerfThresholds, Variable};
pub use engine::{MetricNames, Naming};
pub use field::{Field, Scalar};
pub use groups::{Collected, Declarations, Groups};
pub use thresholds::{Levels, Limit, Thresholds};
