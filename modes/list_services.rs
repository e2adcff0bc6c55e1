//! `list-services`: the services the health API knows, for service discovery, as the
//! Perl management plugin's mode of that name: `List services:` then one
//! `[service_id: …] [service_name: …]` line per service, in byte order of the id.
//! Perl documents a `--filter-name` option but never reads it; it is accepted and
//! ignored the same way, so existing command lines keep their output.

use std::collections::BTreeMap;

use centreon_plugin::error::Result;
use centreon_plugin::options::{OptionSpec, Text};
use centreon_plugin::registry::{Items, ModeKind, ModeSpec};

use super::{Mode, Run};
use crate::custom::Capability;

inventory::submit! {
    Mode(ModeSpec {
        name: "list-services",
        perl_module: "cloud::microsoft::office365::management::mode::listservices",
        description: "List services.",
        requires: Capability::ServiceHealth,
        options,
        kind: ModeKind::Listing { heading: "List services:", fields: &["service_id", "service_name"], select },
    })
}

/// `--filter-name`.
const FILTER_NAME: Text = Text::new("filter-name", "Accepted for compatibility and ignored, as by the Perl plugin.");

fn options() -> Vec<OptionSpec> {
    vec![FILTER_NAME.spec()]
}

fn select(run: &mut Run<'_>, items: &mut Items<'_>) -> Result<()> {
    let services = run.api().health()?.service_health()?;
    // Keyed by id as Perl does: a later service with the same id replaces the earlier.
    let by_id: BTreeMap<String, String> = services.into_iter().map(|s| (s.id, s.service)).collect();
    for (id, name) in by_id {
        items(vec![("service_id".to_string(), id), ("service_name".to_string(), name)])?;
    }
    Ok(())
}
