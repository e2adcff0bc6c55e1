//! The generic core of a Centreon-compatible monitoring plugin.
//!
//! It knows options, thresholds, status expressions, the counter template, output
//! formats, the statefile and the HTTP client — and nothing of what a plugin checks.
//! A plugin binary registers its modes and custom modes with `inventory` (see
//! [`registry`]) and calls [`plugin::main`].

pub mod atomic;
pub mod budget;
pub mod bytes;
pub mod cache;
pub mod counters;
pub mod debug;
pub mod dns;
pub mod error;
pub mod expr;
pub mod getopt;
pub mod help;
pub mod http;
pub mod mailauth;
pub mod notices;
pub mod number;
pub mod options;
pub mod output;
pub mod passmgr;
pub mod pattern;
pub mod plugin;
pub mod records;
pub mod registry;
pub mod sealed;
pub mod statefile;
pub mod status;
pub mod store;
pub mod threshold;
pub mod time;
