//! `centreon_office365_exchange_api`: the generic plugin core with the Office 365
//! custom modes (`custom/`) and modes (`modes/`) mounted on it.

#[path = "../custom/mod.rs"]
mod custom;
#[path = "../modes/mod.rs"]
mod modes;

fn main() {
    centreon_plugin::plugin::main(&modes::PLUGIN)
}
