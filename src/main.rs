//! `centreon_office365_exchange_api`: the generic plugin core with the Office 365
//! custom modes (`custom/`) and modes (`modes/`) mounted on it.

#[path = "../custom/mod.rs"]
mod custom;
#[path = "../modes/mod.rs"]
mod modes;

use centreon_plugin::registry::Plugin;

fn main() {
    centreon_plugin::plugin::main(&Plugin::new(modes::INFO, custom::registered(), modes::registered()))
}
