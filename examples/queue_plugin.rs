//! A whole plugin on the core library in one file: a fake API, one custom mode that
//! builds it from an option, and one counter mode with a global and a per-instance
//! group. It shows the pieces a real plugin registers (the Exchange plugin does the
//! same with `inventory` across `custom/` and `modes/`).
//!
//! ```text
//! cargo run --example queue_plugin -- --plugin=example::queue::plugin \
//!     --mode=queue-depth --depths='mail=3,print=40' --critical-depth=30
//! CRITICAL: Queue 'print' depth: 40 | 'total'=43;;;0; 'depth_mail'=3;;0:30;0; 'depth_print'=40;;0:30;0;
//! ```

use std::collections::BTreeMap;

use centreon_plugin::counters::{Collected, Counter, Group, Groups, Instance, Output, Perf};
use centreon_plugin::error::{Error, Result};
use centreon_plugin::options::{OptionSection, Text, Values};
use centreon_plugin::registry::{CustomModeSpec, Env, ModeKind, ModeSpec, Plugin, PluginApi, PluginInfo, Run};

/// What the plugin's custom modes provide and its modes call: here, queue depths.
trait Queues {
    /// Every queue with the number of messages waiting in it.
    fn depths(&mut self) -> Result<Vec<(String, i64)>>;
}

/// What a custom mode may provide; this plugin has a single capability.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Capability {
    Depths,
}

impl PluginApi for dyn Queues {
    type Capability = Capability;
}

/// The fake API: depths given on the command line (`--depths=mail=3,print=40`), where
/// a real custom mode would hold an HTTP client.
struct Fake {
    depths: Vec<(String, i64)>,
}

impl Queues for Fake {
    fn depths(&mut self) -> Result<Vec<(String, i64)>> {
        Ok(self.depths.clone())
    }
}

/// `--depths`: declared once, here; the section below declares it to the parser and
/// `build` reads it through the same handle.
const DEPTHS: Text = Text::new("depths", "Queues as NAME=COUNT,…");

/// Builds the fake API from `--depths`, refusing a malformed value before any work.
fn build(env: &Env<'_>) -> Result<Box<dyn Queues>> {
    let text = env.values.value(&DEPTHS).unwrap_or_default();
    let depths = text
        .split(',')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, depth) = pair.split_once('=').unwrap_or((pair, ""));
            let depth = depth
                .parse()
                .map_err(|_| Error::new(format!("Wrong --depths entry '{pair}': NAME=COUNT expected.")))?;
            Ok((name.to_string(), depth))
        })
        .collect::<Result<_>>()?;
    Ok(Box::new(Fake { depths }))
}

static FAKE: CustomModeSpec<dyn Queues> = CustomModeSpec {
    name: "fake",
    provides: |capability| capability == Capability::Depths,
    sections: || vec![OptionSection::new("FAKE OPTIONS", vec![DEPTHS.spec()])],
    build,
};

/// What the mode's counters read: a total, and one record per queue.
struct Depths {
    total: Total,
    queues: BTreeMap<String, Queue>,
}

struct Total {
    messages: i64,
}

struct Queue {
    name: String,
    depth: i64,
}

/// The counters: a total without thresholds of its own, and the depth of each queue
/// (`--warning-depth`, `--critical-depth`).
fn groups(_values: &Values) -> Result<Groups<Depths>> {
    let total = Counter::value(
        "total",
        "queues.messages.count",
        |t: &Total| t.messages,
        Output::Template("Total messages: {}"),
        Perf::key("total"),
    );
    let depth = Counter::value(
        "depth",
        "queue.messages.count",
        |q: &Queue| q.depth,
        Output::Template("depth: {}"),
        Perf::key("depth").instance(Instance::Suffix),
    );
    Ok(Groups::new().global(Group::new("global", |_| String::new(), vec![total]), |d: &Depths| &d.total).instances(
        Group::new("queues", |q: &Queue| format!("Queue '{}' ", q.name), vec![depth]),
        "All queues are ok",
        |d: &Depths| &d.queues,
    ))
}

/// Asks the API for the depths and hands them to the counters.
fn select(run: &mut Run<'_, dyn Queues>) -> Result<Collected> {
    let groups = groups(run.values)?;
    let depths = run.api().depths()?;
    let total = Total { messages: depths.iter().map(|(_, depth)| depth).sum() };
    let queues = depths.into_iter().map(|(name, depth)| (name.clone(), Queue { name, depth })).collect();
    Ok(groups.with(Depths { total, queues }))
}

static QUEUE_DEPTH: ModeSpec<dyn Queues> = ModeSpec {
    name: "queue-depth",
    perl_module: "example::queue::mode::depth",
    description: "Check how many messages wait in each queue.",
    requires: Capability::Depths,
    options: Vec::new,
    kind: ModeKind::Counters { groups: |values| Ok(groups(values)?.declarations()), filter_counters: "", select },
};

/// The plugin: who it is, its custom modes, its modes.
fn plugin() -> Plugin<dyn Queues> {
    let info = PluginInfo {
        name: "example::queue::plugin",
        description: "Check message queues.",
        build: concat!("queue_plugin ", env!("CARGO_PKG_VERSION")),
    };
    Plugin::new(info, [&FAKE], [&QUEUE_DEPTH])
}

fn main() {
    centreon_plugin::plugin::main(&plugin())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> (String, i32) {
        let mut all = vec!["--plugin=example::queue::plugin", "--mode=queue-depth"];
        all.extend_from_slice(args);
        let args: Vec<String> = all.into_iter().map(String::from).collect();
        let printout = centreon_plugin::plugin::run(&plugin(), &args);
        let code = printout.exit_code();
        let mut stdout = Vec::new();
        printout.write_to(&mut stdout).expect("printed");
        (String::from_utf8(stdout).expect("UTF-8"), code)
    }

    #[test]
    fn a_queue_over_its_threshold_is_critical() {
        let (stdout, code) = run(&["--depths=mail=3,print=40", "--critical-depth=30"]);
        assert_eq!(
            stdout,
            "CRITICAL: Queue 'print' depth: 40 | 'total'=43;;;0; 'depth_mail'=3;;0:30;0; 'depth_print'=40;;0:30;0;\n"
        );
        assert_eq!(code, 2);
    }

    #[test]
    fn queues_within_thresholds_are_ok() {
        let (stdout, code) = run(&["--depths=mail=3,print=4", "--critical-depth=30"]);
        assert!(stdout.starts_with("OK: Total messages: 7 - All queues are ok |"), "{stdout}");
        assert_eq!(code, 0);
    }

    #[test]
    fn a_malformed_option_is_unknown_before_any_work() {
        let (stdout, code) = run(&["--depths=mail=three"]);
        assert_eq!(stdout, "UNKNOWN: Wrong --depths entry 'mail=three': NAME=COUNT expected. \n");
        assert_eq!(code, 3);
    }

    #[test]
    fn modes_and_options_are_listed_from_the_registrations() {
        let (stdout, _) = run(&["--list-mode"]);
        assert!(stdout.contains("Modes Available:\n   queue-depth\n"), "{stdout}");
        let (help, _) = run(&["--help"]);
        assert!(help.contains("--depths"), "{help}");
        assert!(help.contains("Thresholds. Can be: 'total', 'depth'."), "{help}");
    }
}
