use super::*;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};

/// Distinguishes the scratch directories of one test process.
static COUNTER: AtomicU64 = AtomicU64::new(0);

const PREFIX: &str = "plugin_report_";

/// A scratch statefile directory, removed when the guard drops.
struct Dir(PathBuf);

impl Dir {
    fn new(tag: &str) -> Dir {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("cache-test-{tag}-{}-{n}", std::process::id()));
        fs::create_dir_all(&dir).expect("scratch dir");
        Dir(dir)
    }

    fn cache(&self, ttl_secs: u64) -> Cache {
        Cache::new(&self.0, PREFIX, Duration::from_secs(ttl_secs)).expect("cache on")
    }

    fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(&self.0)
            .expect("list")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn key(report: &str) -> Key {
    Key::new([("endpoint", "http://127.0.0.1:1"), ("tenant", "contoso"), ("report", report)])
}

fn wait() -> Instant {
    Instant::now() + Duration::from_secs(30)
}

const HEADER: [&str; 3] = ["Report Refresh Date", "User Principal Name", "Storage Used (Byte)"];

fn rows(count: usize) -> Vec<[String; 3]> {
    (0..count).map(|i| ["2026-11-22".to_string(), format!("user{i:06}@contoso.com"), (i * 1000).to_string()]).collect()
}

/// Fills `producer` as a download would.
fn produce(mut producer: Producer, count: usize) -> Stored {
    producer.header(HEADER);
    for row in rows(count) {
        producer.record(&row);
    }
    producer.commit().expect("committed")
}

/// Writes `key`'s entry as if downloaded `age` ago.
fn plant(cache: &Cache, key: &Key, age: Duration, count: usize) {
    let file = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(cache.path(key))
        .expect("plant");
    let mut writer = Writer::new(file, key.material(), SystemTime::now() - age, HEADER).expect("header");
    for row in rows(count) {
        writer.record(&row).expect("record");
    }
    writer.finish().expect("finish");
}

fn names_of(entry: &Entry) -> Vec<String> {
    let mut names = Vec::new();
    entry
        .records()
        .scan(&[1], |record| {
            names.push(String::from_utf8_lossy(record.get(0)).into_owned());
            Ok::<_, ()>(())
        })
        .expect("scan");
    names
}

#[test]
fn a_sealed_cache_stores_no_clear_text_and_refuses_other_copies() {
    let dir = Dir::new("sealed");
    let cache = dir.cache(900).sealed([3; 32]);
    let report = key("D7");
    let Claim::Produce(producer) = cache.claim(&report, wait(), &mut |_| ()) else { panic!("a cold cache produces") };
    produce(producer, 20);
    let bytes = fs::read(cache.path(&report)).expect("entry");
    assert!(!bytes.windows(7).any(|w| w == b"contoso"), "no user name in clear");
    assert_eq!(names_of(&cache.fresh(&report).expect("fresh"))[19], "user000019@contoso.com");
    assert!(matches!(dir.cache(900).sealed([4; 32]).fresh(&report), Err(Miss::Unusable(_))), "another key");
    assert!(matches!(dir.cache(900).fresh(&report), Err(Miss::Unusable(_))), "no key");
    plant(&cache, &report, Duration::ZERO, 3);
    let Err(Miss::Unusable(why)) = cache.fresh(&report) else { panic!("a clear copy is not used") };
    assert_eq!(why, "cached copy is not encrypted with --statefile-key".trim_start_matches("cached copy "));
}

#[test]
fn a_zero_ttl_turns_the_cache_off() {
    assert!(Cache::new("/nonexistent", PREFIX, Duration::ZERO).is_none());
}

#[test]
fn keys_differ_by_every_part_and_cannot_be_forged_by_joining() {
    let joined = Key::new([("a", "b=c")]);
    assert_ne!(joined, Key::new([("a=b", "c")]));
    assert_ne!(key("D7"), key("D30"));
    assert_eq!(key("D7"), key("D7"));
    assert_eq!(key("D7").to_string(), "endpoint=http://127.0.0.1:1, tenant=contoso, report=D7");
    let dir = Dir::new("names");
    let cache = dir.cache(900);
    let name = cache.path(&key("D7")).file_name().expect("name").to_string_lossy().into_owned();
    assert!(name.starts_with(PREFIX) && name.len() == PREFIX.len() + DIGEST_HEX, "{name}");
    assert_ne!(cache.path(&key("D7")), cache.path(&key("D30")));
}

#[test]
fn a_produced_entry_is_private_and_served_until_it_expires() {
    let dir = Dir::new("produce");
    let cache = dir.cache(900);
    let report = key("D7");
    assert!(matches!(cache.fresh(&report), Err(Miss::Absent)));
    let Claim::Produce(producer) = cache.claim(&report, wait(), &mut drop) else { panic!("a cold cache produces") };
    assert!(producer.locked());
    let stored = produce(producer, 50);
    assert_eq!(stored.records, 50);
    let entry = cache.fresh(&report).expect("fresh");
    assert!(entry.age() < Duration::from_secs(60));
    assert_eq!(entry.records().size(), stored.size);
    assert_eq!(names_of(&entry).len(), 50);
    assert_eq!(names_of(&entry)[49], "user000049@contoso.com");
    for name in dir.names() {
        let mode = fs::metadata(dir.0.join(&name)).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{name}");
        assert!(!name.contains(".tmp."), "temporary file left: {name}");
    }
    assert!(matches!(cache.fresh(&key("D30")), Err(Miss::Absent)), "another key is another entry");
}

#[test]
fn ttl_decides_fresh_and_keep_decides_stale() {
    let dir = Dir::new("ttl");
    let cache = dir.cache(900);
    let report = key("D7");
    plant(&cache, &report, Duration::from_secs(899), 3);
    assert!(cache.fresh(&report).is_ok());
    plant(&cache, &report, Duration::from_secs(901), 3);
    assert!(matches!(cache.fresh(&report), Err(Miss::Expired(age)) if age >= Duration::from_secs(901)));
    let stale = cache.stale(&report).expect("stale copy");
    assert!(stale.age() >= Duration::from_secs(901));
    assert_eq!(names_of(&stale).len(), 3);
    plant(&cache, &report, KEEP + Duration::from_secs(1), 3);
    assert!(matches!(cache.stale(&report), Err(Miss::Expired(_))));
    plant(&cache, &report, Duration::ZERO, 3);
    let future = SystemTime::now() + Duration::from_secs(3600);
    let file = fs::File::create(cache.path(&report)).expect("rewrite");
    let mut writer = Writer::new(file, report.material(), future, HEADER).expect("header");
    writer.record(HEADER).expect("record");
    writer.finish().expect("finish");
    assert!(matches!(cache.fresh(&report), Err(Miss::Unusable(why)) if why.contains("future")));
    assert!(cache.stale(&report).is_err());
}

#[test]
fn expiry_leads_to_a_new_download() {
    let dir = Dir::new("expiry");
    let cache = dir.cache(900);
    let report = key("D7");
    plant(&cache, &report, Duration::from_secs(1000), 3);
    let Claim::Produce(producer) = cache.claim(&report, wait(), &mut drop) else {
        panic!("an expired entry is produced")
    };
    produce(producer, 7);
    assert_eq!(names_of(&cache.fresh(&report).expect("fresh")).len(), 7);
}

#[test]
fn unusable_files_are_misses_never_errors() {
    let dir = Dir::new("unusable");
    let cache = dir.cache(900);
    let report = key("D7");
    let path = cache.path(&report);
    let private = |bytes: &[u8]| {
        fs::write(&path, bytes).expect("write");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).expect("chmod");
    };
    plant(&cache, &report, Duration::ZERO, 20);
    let good = fs::read(&path).expect("read");
    for (what, bytes) in [
        ("half-written", &good[..good.len() / 2]),
        ("empty", &b""[..]),
        ("foreign", b"{\"access_token\":\"x\"}"),
        ("csv", b"\xEF\xBB\xBFReport Refresh Date\r\n2026-11-22\r\n"),
    ] {
        private(bytes);
        assert!(matches!(cache.fresh(&report), Err(Miss::Unusable(_))), "{what}");
    }
    let mut corrupt = good.clone();
    corrupt[good.len() / 2] ^= 0x20;
    private(&corrupt);
    assert!(matches!(cache.fresh(&report), Err(Miss::Unusable(why)) if why.contains("checksum")));
    private(&good);
    assert!(cache.fresh(&report).is_ok());
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).expect("chmod");
    assert!(matches!(cache.fresh(&report), Err(Miss::Unusable(why)) if why.contains("private")));
    fs::remove_file(&path).expect("remove");
    fs::create_dir(&path).expect("a directory in the way");
    assert!(cache.fresh(&report).is_err());
    // Another key's file under this key's name (a digest collision) is foreign.
    fs::remove_dir(&path).expect("remove dir");
    plant(&cache, &key("D30"), Duration::ZERO, 1);
    fs::rename(cache.path(&key("D30")), &path).expect("rename");
    assert!(matches!(cache.fresh(&report), Err(Miss::Unusable(why)) if why.contains("another key")));
}

#[test]
fn sixteen_concurrent_misses_make_one_producer() {
    let dir = Dir::new("herd");
    let cache = Arc::new(dir.cache(900));
    let producers = Arc::new(AtomicUsize::new(0));
    let barrier = Arc::new(Barrier::new(16));
    let handles: Vec<_> = (0..16)
        .map(|_| {
            let (cache, producers, barrier) = (Arc::clone(&cache), Arc::clone(&producers), Arc::clone(&barrier));
            std::thread::spawn(move || {
                let report = key("D7");
                barrier.wait();
                if let Ok(entry) = cache.fresh(&report) {
                    return names_of(&entry).len();
                }
                match cache.claim(&report, wait(), &mut drop) {
                    Claim::Fresh(entry) => names_of(&entry).len(),
                    Claim::Produce(mut producer) => {
                        producers.fetch_add(1, Ordering::SeqCst);
                        producer.header(HEADER);
                        // A download takes a while: the others are waiting on the lock.
                        std::thread::sleep(Duration::from_millis(100));
                        for row in rows(1000) {
                            producer.record(&row);
                        }
                        producer.commit().expect("commit");
                        1000
                    }
                    Claim::Failed(failure) => panic!("nothing failed: {failure:?}"),
                }
            })
        })
        .collect();
    for handle in handles {
        assert_eq!(handle.join().expect("thread"), 1000, "every check reads the whole report");
    }
    assert_eq!(producers.load(Ordering::SeqCst), 1);
}

#[test]
fn waiting_checks_take_the_failure_instead_of_trying_again() {
    let dir = Dir::new("failed");
    let cache = dir.cache(900);
    let report = key("D7");
    let before = SystemTime::now();
    let Claim::Produce(mut producer) = cache.claim(&report, wait(), &mut drop) else { panic!("cold") };
    producer.header(HEADER);
    producer.record(HEADER);
    producer.fail("throttled (HTTP 429)", Setback::Transient { hold: Duration::ZERO });
    assert!(cache.fresh(&report).is_err(), "nothing stored");
    // A check that was waiting while it failed takes the failure...
    match cache.claim_since(&report, wait(), before, &mut drop) {
        Claim::Failed(failure) => {
            assert_eq!(failure.message, "throttled (HTTP 429)");
            assert!(failure.transient);
        }
        other => panic!("expected the failure, got {other:?}"),
    }
    // ...a check that starts afterwards tries again.
    let Claim::Produce(producer) = cache.claim(&report, wait(), &mut drop) else { panic!("a later check retries") };
    let before = SystemTime::now();
    producer.fail("403 Forbidden", Setback::Permanent);
    match cache.claim_since(&report, wait(), before, &mut drop) {
        Claim::Failed(failure) => assert!(!failure.transient && failure.message == "403 Forbidden"),
        other => panic!("expected the failure, got {other:?}"),
    }
    let Claim::Produce(producer) = cache.claim(&report, wait(), &mut drop) else { panic!("a later check retries") };
    produce(producer, 2);
    assert!(!dir.names().iter().any(|n| n.ends_with(".failed")), "a success clears the note");
}

#[test]
fn a_hold_off_stops_new_attempts_until_it_ends() {
    let dir = Dir::new("hold");
    let cache = dir.cache(900);
    let report = key("D7");
    let Claim::Produce(producer) = cache.claim(&report, wait(), &mut drop) else { panic!("cold") };
    producer.fail("throttled, retry after 60 s", Setback::Transient { hold: Duration::from_secs(60) });
    assert!(matches!(cache.claim(&report, wait(), &mut drop), Claim::Failed(f) if f.message.contains("retry after")));
    let note = cache.note_path(&report);
    fs::write(&note, r#"{"at":1,"until":2,"transient":true,"message":"old"}"#).expect("old note");
    assert!(matches!(cache.claim(&report, wait(), &mut drop), Claim::Produce(_)), "an old hold-off is over");
}

#[test]
fn a_busy_lock_is_waited_for_no_longer_than_allowed() {
    let dir = Dir::new("busy");
    let cache = dir.cache(900);
    let report = key("D7");
    let Claim::Produce(held) = cache.claim(&report, wait(), &mut drop) else { panic!("cold") };
    match cache.claim(&report, Instant::now() + Duration::from_millis(50), &mut drop) {
        Claim::Produce(producer) => assert!(!producer.locked(), "produces unlocked after the wait"),
        other => panic!("expected an unlocked producer, got {other:?}"),
    }
    drop(held);
}

#[test]
fn an_abandoned_or_unwritable_entry_stores_nothing() {
    let dir = Dir::new("abandon");
    let cache = dir.cache(900);
    let report = key("D7");
    let Claim::Produce(mut producer) = cache.claim(&report, wait(), &mut drop) else { panic!("cold") };
    producer.header(HEADER);
    producer.record(["only", "two"]);
    assert!(producer.commit().expect_err("short record").message().contains("fewer cells"));
    let Claim::Produce(mut producer) = cache.claim(&report, wait(), &mut drop) else { panic!("cold") };
    producer.header(HEADER);
    drop(producer);
    assert_eq!(dir.names().iter().filter(|n| !n.ends_with(".lock")).count(), 0, "{:?}", dir.names());
    let nowhere = Cache::new(dir.0.join("missing"), PREFIX, Duration::from_secs(900)).expect("on");
    let Claim::Produce(producer) = nowhere.claim(&report, Instant::now(), &mut drop) else { panic!("cold") };
    assert!(!producer.locked());
    assert!(produce_result(producer).contains("No such file or directory"));
}

fn produce_result(mut producer: Producer) -> String {
    producer.header(HEADER);
    producer.record(HEADER);
    producer.commit().expect_err("cannot be written").message().to_string()
}

#[test]
fn producing_prunes_what_no_check_will_read_again() {
    let dir = Dir::new("prune");
    let cache = dir.cache(900);
    let old = key("date=2026-11-01");
    plant(&cache, &old, KEEP + Duration::from_secs(60), 1);
    let old_path = cache.path(&old);
    let lock = PathBuf::from(format!("{}.lock", old_path.display()));
    let orphan = PathBuf::from(format!("{}.tmp.4242.0", old_path.display()));
    let recent_temp = PathBuf::from(format!("{}.tmp.4243.0", cache.path(&key("x")).display()));
    let other = dir.0.join("office365_token_contoso");
    for path in [&lock, &orphan, &recent_temp, &other] {
        fs::write(path, "").expect("seed");
    }
    let long_ago = SystemTime::now() - KEEP - Duration::from_secs(60);
    for path in [&old_path, &lock, &orphan, &other] {
        fs::File::options().write(true).open(path).expect("open").set_modified(long_ago).expect("age");
    }
    // A download in progress holds its temporary file, whatever its age says.
    let downloading = File::open(&recent_temp).expect("open");
    downloading.try_lock().expect("lock");
    fs::File::options().write(true).open(&recent_temp).expect("open").set_modified(long_ago).expect("age");
    let Claim::Produce(producer) = cache.claim(&key("D7"), wait(), &mut drop) else { panic!("cold") };
    produce(producer, 1);
    let names = dir.names();
    let exists = |path: &Path| names.contains(&path.file_name().expect("name").to_string_lossy().into_owned());
    assert!(!exists(&old_path) && !exists(&lock) && !exists(&orphan), "{names:?}");
    assert!(exists(&recent_temp), "a download in progress is left alone");
    drop(downloading);
    assert!(exists(&other), "other files of the directory are left alone");
    assert!(cache.fresh(&key("D7")).is_ok());
}
/// Writes `key`'s failure note, failed at `at` and holding off until `until`.
fn note_at(cache: &Cache, key: &Key, at: SystemTime, until: SystemTime) {
    let text = format!(r#"{{"at":{},"until":{},"transient":true,"message":"held"}}"#, nanos(at), nanos(until));
    fs::write(cache.note_path(key), text).expect("note");
}

#[test]
fn anything_dated_ahead_beyond_the_skew_is_stale() {
    let dir = Dir::new("future");
    let cache = dir.cache(900);
    let report = key("D7");
    let now = SystemTime::now();
    // A failure noted "later" than now: the clock was set back since.
    note_at(&cache, &report, now + Duration::from_secs(3600), now + Duration::from_secs(3660));
    assert!(
        matches!(cache.claim(&report, wait(), &mut drop), Claim::Produce(_)),
        "a note from the future is not obeyed"
    );
    // Within the skew, a note still holds.
    note_at(&cache, &report, now + SKEW / 2, now + Duration::from_secs(60));
    assert!(matches!(cache.claim(&report, wait(), &mut drop), Claim::Failed(_)), "a note within the skew holds");
    fs::remove_file(cache.note_path(&report)).expect("remove note");
    // A copy written a moment "later" by a clock a little ahead is fresh.
    let file = fs::File::create(cache.path(&report)).expect("create");
    fs::set_permissions(cache.path(&report), fs::Permissions::from_mode(0o600)).expect("chmod");
    let mut writer = Writer::new(file, report.material(), now + SKEW / 2, HEADER).expect("header");
    writer.record(HEADER).expect("record");
    writer.finish().expect("finish");
    assert!(cache.fresh(&report).is_ok(), "within the skew, fresh");
}

#[test]
fn temporary_files_of_dead_checks_are_removed_at_the_next_download() {
    let dir = Dir::new("dead");
    let cache = dir.cache(900);
    let entry = cache.path(&key("x"));
    let dead = PathBuf::from(format!("{}.tmp.4242.0", entry.display()));
    let alive = PathBuf::from(format!("{}.tmp.4243.0", entry.display()));
    for path in [&dead, &alive] {
        fs::write(path, vec![b'x'; 4096]).expect("seed");
        let minute_ago = SystemTime::now() - Duration::from_secs(60);
        fs::File::options().write(true).open(path).expect("open").set_modified(minute_ago).expect("age");
    }
    // The writer of `alive` still runs: it holds its file's lock.
    let writer = fs::File::options().write(true).open(&alive).expect("open");
    writer.try_lock().expect("lock");
    let Claim::Produce(producer) = cache.claim(&key("D7"), wait(), &mut drop) else { panic!("cold") };
    produce(producer, 1);
    let names = dir.names();
    let exists = |path: &Path| names.contains(&path.file_name().expect("name").to_string_lossy().into_owned());
    assert!(!exists(&dead), "a dead check's file is removed: {names:?}");
    assert!(exists(&alive), "a running check's file is left alone: {names:?}");
    drop(writer);
}

#[test]
fn symlinks_are_never_followed() {
    let dir = Dir::new("symlink");
    let cache = dir.cache(900);
    let report = key("D7");
    // The lock: a symlink pointing where a file would be created.
    let lock = PathBuf::from(format!("{}.lock", cache.path(&report).display()));
    let target = dir.0.join("elsewhere");
    std::os::unix::fs::symlink(&target, &lock).expect("symlink");
    let Claim::Produce(producer) = cache.claim(&report, wait(), &mut drop) else { panic!("cold") };
    assert!(!target.exists(), "nothing created through the symlink");
    produce(producer, 1);
    // The entry: a valid private copy reached through a symlink is a miss.
    let real = dir.0.join("real-entry");
    fs::rename(cache.path(&report), &real).expect("move the entry");
    std::os::unix::fs::symlink(&real, cache.path(&report)).expect("symlink");
    assert!(matches!(cache.fresh(&report), Err(Miss::Unusable(_))), "an entry behind a symlink is a miss");
    // The failure note: one behind a symlink is not obeyed.
    let note = dir.0.join("real-note");
    let now = SystemTime::now();
    fs::write(
        &note,
        format!(
            r#"{{"at":{},"until":{},"transient":true,"message":"held"}}"#,
            nanos(now),
            nanos(now + Duration::from_secs(600))
        ),
    )
    .expect("note");
    std::os::unix::fs::symlink(&note, cache.note_path(&report)).expect("symlink");
    assert!(
        matches!(cache.claim(&report, wait(), &mut drop), Claim::Produce(_)),
        "a note behind a symlink is not read"
    );
}
