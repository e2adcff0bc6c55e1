//! The integration tests: one crate, one module per area (as ripgrep keeps its
//! own), so that the helpers (`common`), the certificates (`certs`) and the
//! stand-in for Microsoft (`mock`) are compiled once and every test uses the same
//! ones. A new area is a new file `tests/<area>.rs` and its `mod` line here.

mod certs;
mod common;
mod mock;
mod servers;

mod bad_input;
mod certificates;
mod checklist;
mod clapi;
mod cli;
mod definitions;
mod docs;
mod email_app_usage;
mod faults;
mod golden;
mod health;
mod hostile;
mod layering;
mod login;
mod mail_domains;
mod mail_flow;
mod mail_roundtrip;
mod mailbox_quota_status;
mod mailboxes;
mod mock_selftest;
mod multi;
mod process_options;
mod report_cache;
mod report_dates;
mod reports;
mod secrets_files;
mod secrets_statefile;
mod secrets_vault;
mod shared_state;
