//! The modes of the Exchange plugin. Each file is one mode and registers itself with
//! `inventory::submit!`; nothing else lists them.

use centreon_plugin::registry::{self, ModeSpec, PluginInfo};

use crate::custom::Api;

mod email_activity;
mod email_app_usage;
mod list_mailboxes;
mod list_services;
mod mail_flow;
mod mailbox_quota_status;
mod mailbox_usage;
mod service_status;
mod share;

/// The plugin these modes make: the name Centreon command lines give to `--plugin`.
pub const INFO: PluginInfo = PluginInfo {
    name: "cloud::microsoft::office365::exchange::plugin",
    description: "Check Microsoft Office 365 Exchange.",
    build: concat!(env!("CARGO_PKG_NAME"), " ", env!("CARGO_PKG_VERSION"), " (Rust)"),
};

/// A registered mode: each mode submits one to `inventory`.
#[derive(Debug)]
pub struct Mode(pub ModeSpec<dyn Api>);

inventory::collect!(Mode);

/// What a mode's data collection is given: the options, the debug log, and the
/// custom mode's [`Api`].
pub type Run<'a> = registry::Run<'a, dyn Api>;

/// The modes registered in this binary.
pub fn registered() -> impl Iterator<Item = &'static ModeSpec<dyn Api>> {
    inventory::iter::<Mode>.into_iter().map(|mode| &mode.0)
}
