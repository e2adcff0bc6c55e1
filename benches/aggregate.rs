//! Report reading and aggregation, without HTTP: each report mode's data collection
//! (`select`) over generated reports of 10,000, 100,000 and 1,000,000 users.
//!
//! The modes and custom modes live in the binary crate, so they are mounted here as
//! `src/main.rs` mounts them; the modes register themselves and are run with the
//! plugin's default `--filter-counters`, as a run of the binary would. Their reports
//! come from memory through [`custom::report`], the reader the Graph client feeds
//! from the HTTP body. The reports are the mock's generated tenant (`tests/mock`),
//! byte for byte what `mockgraph --users N` serves.
//!
//! `cargo bench --bench aggregate`; whole runs of the binary are timed by
//! `bench/run.sh`.

// Only part of each mounted tree is used here. `cargo clippy --all-targets` checks
// benches with `cfg(test)` but without the test harness: the mounted test modules
// compile without their `#[test]` functions, leaving their imports unused; and
// custom/'s tests mount the mock's scripted host, which the mock mounts too.
#[allow(dead_code, unused_imports, clippy::duplicate_mod)]
#[path = "../custom/mod.rs"]
mod custom;
#[allow(dead_code, unused_imports, clippy::duplicate_mod)]
#[path = "../tests/mock/mod.rs"]
mod mock;
#[allow(dead_code, unused_imports)]
#[path = "../modes/mod.rs"]
mod modes;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use centreon_plugin::debug::{DebugLog, Logging, Secrets};
use centreon_plugin::error::{Error, Result};
use centreon_plugin::options::Values;
use centreon_plugin::pattern::Pattern;
use centreon_plugin::registry::{ModeKind, Run};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

use custom::{report, Capabilities, Provides, ReportQuery, ReportSpec, Reports, RowVisit};

/// Tenant sizes, in users.
const SIZES: [usize; 3] = [10_000, 100_000, 1_000_000];

/// The mock's default seed: the reports `mockgraph --users N` serves.
const SEED: u64 = 7;

/// A custom mode serving a tenant's reports from memory.
#[derive(Clone)]
struct Tenant {
    email_d7: Arc<Vec<u8>>,
    email_daily: Arc<Vec<u8>>,
    mailbox_d7: Arc<Vec<u8>>,
}

impl Tenant {
    fn new(users: usize) -> Tenant {
        let tenant = mock::Tenant::generated(users, SEED);
        let file =
            |name: &str| Arc::clone(tenant.file(name).unwrap_or_else(|| panic!("generated tenant lacks {name}")));
        Tenant {
            email_d7: file("email_D7.csv"),
            email_daily: file("email_daily.csv"),
            mailbox_d7: file("mailbox_D7.csv"),
        }
    }
}

/// Sizes only: the reports are megabytes.
impl fmt::Debug for Tenant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tenant").field("email_d7", &self.email_d7.len()).finish_non_exhaustive()
    }
}

impl Provides for Tenant {
    const CAPABILITIES: Capabilities<Self> = Capabilities { reports: Some(|tenant| tenant), ..Capabilities::NONE };
}

impl Reports for Tenant {
    fn report(&mut self, request: &ReportSpec<'_>, visit: RowVisit<'_>) -> Result<()> {
        let body = match (request.report, request.query) {
            ("getEmailActivityUserDetail", ReportQuery::Period(_)) => &self.email_d7,
            ("getEmailActivityUserDetail", ReportQuery::Date(_)) => &self.email_daily,
            ("getMailboxUsageDetail", _) => &self.mailbox_d7,
            (other, _) => return Err(Error::new(format!("no report {other} in the generated tenant"))),
        };
        report::read(request.report, body.as_slice(), request.columns, visit)
    }
}

/// Runs mode `name`'s data collection once over `tenant`, with its option defaults
/// and its default `--filter-counters`.
fn collect(name: &str, tenant: &Tenant) {
    let mode = modes::registered().find(|m| m.name == name).expect("mode registered");
    let ModeKind::Counters { filter_counters, select, .. } = &mode.kind else {
        panic!("{name} is not a counters mode");
    };
    let mut values = Values::default();
    values.declare(&(mode.options)());
    let filter = Pattern::new(filter_counters).expect("default --filter-counters compiles");
    let active = |label: &str| filter.is_match(label);
    let debug = DebugLog::new(Logging::Off, Secrets::Masked);
    let mut api: Box<dyn custom::Api> = Box::new(tenant.clone());
    let data = select(&mut Run::new(&values, api.as_mut(), &debug, &active)).expect("reports aggregate");
    criterion::black_box(data);
}

fn aggregate(c: &mut Criterion) {
    let mut group = c.benchmark_group("aggregate");
    group.sample_size(10).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(3));
    for users in SIZES {
        let tenant = Tenant::new(users);
        group.throughput(Throughput::Elements(users as u64));
        for mode in ["email-activity", "mailbox-usage"] {
            group
                .bench_with_input(BenchmarkId::new(mode, users), &tenant, |b, tenant| b.iter(|| collect(mode, tenant)));
        }
    }
    group.finish();
}

/// The download's reader alone (`custom::report::read`, no mode): the mailbox usage
/// report split into records and the three cells a per-mailbox check reads handed
/// out, as `cargo bench --bench records`' `csv_parse` does with the csv crate.
fn report_read(c: &mut Criterion) {
    const READ: [&str; 3] = ["Report Refresh Date", "User Principal Name", "Storage Used (Byte)"];
    let mut group = c.benchmark_group("report_read");
    group.sample_size(10).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(3));
    for users in SIZES {
        let tenant = Tenant::new(users);
        group.throughput(Throughput::Elements(users as u64));
        group.bench_with_input(BenchmarkId::new("mailbox_usage", users), &tenant, |b, tenant| {
            b.iter(|| {
                let mut bytes = 0;
                report::read("getMailboxUsageDetail", tenant.mailbox_d7.as_slice(), &READ, &mut |row| {
                    bytes += row.text(0).len() + row.text(1).len() + row.text(2).len();
                    Ok(())
                })
                .expect("the generated report reads");
                criterion::black_box(bytes)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, aggregate, report_read);
criterion_main!(benches);
