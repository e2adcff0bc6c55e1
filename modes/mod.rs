//! The modes of the Exchange plugin. Each file is one mode and registers itself;
//! nothing else lists them.

use centreon_plugin::registry::PluginInfo;

mod email_activity;
mod list_services;
mod mailbox_usage;
mod service_status;
mod share;

/// The plugin these modes make: the name Centreon command lines give to `--plugin`.
pub const PLUGIN: PluginInfo = PluginInfo {
    name: "cloud::microsoft::office365::exchange::plugin",
    description: "Check Microsoft Office 365 Exchange.",
};
