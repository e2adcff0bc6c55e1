//! What the plugin does to its own process: environment variables, the global
//! timeout, `--runas`, `--convert-args`, the environment password manager, and
//! writing the result.
//!
//! Perl re-executed itself for `--environment` and `--runas` through a shell; here
//! the environment is set in-process and `--runas` re-executes with an argument
//! vector, so no option value ever reaches a shell.

use std::io::Write;
use std::time::Instant;

use crate::error::{Error, Result};
use crate::number;
use crate::output::{Printout, Rendered};
use crate::pattern::{Occurrences, Pattern};

/// Prints the result (and its lines for stderr, if any) and exits with its code. A
/// listing whose spill file cannot be read back whole ends UNKNOWN (exit 3): its list
/// was not printed completely. A closed stdout changes nothing (the reader is gone).
pub fn emit(printout: Printout) -> ! {
    let (spilled, exit_code) = (matches!(printout, Printout::Spilled(_)), printout.exit_code());
    let stderr = printout.stderr().to_string();
    let mut stdout = std::io::stdout().lock();
    let written = printout.write_to(&mut stdout);
    let _ = stdout.flush();
    if !stderr.is_empty() {
        let _ = std::io::stderr().lock().write_all(stderr.as_bytes());
    }
    match written {
        Err(error) if spilled && error.kind() != std::io::ErrorKind::BrokenPipe => std::process::exit(3),
        _ => std::process::exit(exit_code),
    }
}

/// What a run that panicked prints on stdout, whatever the output options: nothing
/// the run touched is looked at after a panic.
const INTERNAL_ERROR: &str = "UNKNOWN: internal error (please report it with the command line that caused it) \n";

/// Makes a panic in any thread end the process as a check: the standard panic message
/// on stderr, then [`INTERNAL_ERROR`] on stdout and exit code 3. The release profile
/// aborts on panic (no unwinding tables or landing pads: a smaller binary, fewer pages
/// per run), so the run is ended from the hook, before the abort; a build that unwinds
/// ends the same way. A panic in another thread (the HTTP client's) ends the run too,
/// rather than leaving the main thread waiting on it. When another thread is already
/// printing a result, the stdout lock holds this one until that result ends the process.
pub fn end_on_panic() {
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        report(info);
        emit(Printout::Whole(Rendered { stdout: INTERNAL_ERROR.to_string(), stderr: String::new(), exit_code: 3 }))
    }));
}

/// Sets `--environment KEY=VALUE` variables before anything reads them (TZ decides the
/// `perfdate` metric).
pub fn apply_environment(pairs: &[(String, String)]) {
    for (key, value) in pairs {
        if !key.is_empty() && !key.contains('\0') && !value.contains('\0') {
            std::env::set_var(key, value);
        }
    }
}

/// `--global-timeout`: the first run of digits is the number of seconds.
pub fn global_timeout(value: Option<&str>) -> Option<u64> {
    number::first_integer(value?)
}

/// Ends the process with `rendered` at `deadline`, whatever the run is doing.
pub fn watchdog(deadline: Instant, rendered: Rendered) {
    std::thread::spawn(move || {
        std::thread::sleep(deadline.saturating_duration_since(Instant::now()));
        emit(Printout::Whole(rendered))
    });
}

/// `--convert-args='SEARCH,REPLACE'`: a regex replacement on every argument the first
/// stage did not consume; `\xHH` escapes in REPLACE are decoded. Never code.
pub fn convert_args(rule: Option<&str>, args: Vec<String>) -> Result<Vec<String>> {
    let Some((search, replace)) = rule.and_then(|r| r.split_once(',')) else { return Ok(args) };
    let pattern = Pattern::for_option("convert-args", search)?;
    let replace = decode_escapes(replace);
    Ok(args.into_iter().map(|arg| pattern.replace(&arg, &replace, Occurrences::All)).collect())
}

/// Decodes the double-quoted-string escapes Perl applied to REPLACE: `\xHH`, `\x{H…}`,
/// `\t`, `\n`, `\\`.
fn decode_escapes(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('x') => {
                let braced = chars.peek() == Some(&'{');
                if braced {
                    chars.next();
                }
                let mut hex = String::new();
                while let Some(&h) = chars.peek() {
                    if h.is_ascii_hexdigit() && (braced || hex.len() < 2) {
                        hex.push(h);
                        chars.next();
                    } else {
                        break;
                    }
                }
                if braced && chars.peek() == Some(&'}') {
                    chars.next();
                }
                out.extend(u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32));
            }
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// `--runas=USER`: nothing when already that user; otherwise, as root, re-executes the
/// plugin under the user's uid and gid with the same arguments (less `--runas`).
pub fn runas(user: Option<&str>) -> Result<()> {
    let Some(user) = user else { return Ok(()) };
    let (uid, gid) = lookup_user(user).ok_or_else(|| Error::new(format!("Runas user '{user}' not exist.")))?;
    // SAFETY: getuid has no preconditions and cannot fail.
    let current = unsafe { libc::getuid() };
    if uid == current {
        return Ok(());
    }
    if current != 0 {
        return Err(Error::new(format!("Cannot run as user '{user}': only root can switch users.")));
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let exe = std::env::current_exe().map_err(|e| Error::new(format!("Cannot run as user '{user}': {e}")))?;
    use std::os::unix::process::CommandExt;
    let error = std::process::Command::new(exe).args(without_runas(&args)).uid(uid).gid(gid).exec();
    Err(Error::new(format!("Cannot run as user '{user}': {error}")))
}

/// The arguments less `--runas=USER` or `--runas USER`, so the child does not loop.
fn without_runas(args: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut words = args.iter().peekable();
    while let Some(arg) = words.next() {
        if arg == "--runas" {
            if words.peek().is_some_and(|next| !next.starts_with("--")) {
                words.next();
            }
        } else if !arg.starts_with("--runas=") {
            out.push(arg.clone());
        }
    }
    out
}

fn lookup_user(name: &str) -> Option<(u32, u32)> {
    let c_name = std::ffi::CString::new(name).ok()?;
    // SAFETY: getpwnam receives a valid NUL-terminated string; the returned record is
    // read at once, before any other call could overwrite it.
    let entry = unsafe { libc::getpwnam(c_name.as_ptr()) };
    if entry.is_null() {
        return None;
    }
    // SAFETY: entry is non-null and points to the static passwd record.
    unsafe { Some(((*entry).pw_uid, (*entry).pw_gid)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Set in the process [`a_panic_in_any_thread_ends_the_run_unknown`] starts: where
    /// `panicking_process` panics (`test`: its own thread; `spawned`: a thread it starts).
    const PANIC_IN: &str = "CENTREON_PLUGIN_TEST_PANIC_IN";

    /// The test binary itself, run for `panicking_process` alone: the hook must end that
    /// process (exit 3, the fixed line last on stdout, the panic's message on stderr)
    /// before the test harness reports anything, whichever thread panicked.
    #[test]
    fn a_panic_in_any_thread_ends_the_run_unknown() {
        for thread in ["test", "spawned"] {
            let out = std::process::Command::new(std::env::current_exe().expect("the test binary"))
                .args([
                    "plugin::process::tests::panicking_process",
                    "--exact",
                    "--include-ignored",
                    "--nocapture",
                    "-q",
                ])
                .env(PANIC_IN, thread)
                .output()
                .expect("the test binary runs");
            let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
            assert_eq!(out.status.code(), Some(3), "{thread}: {stdout}{stderr}");
            assert!(stdout.ends_with(&format!("\n{INTERNAL_ERROR}")), "{thread}: {stdout:?}");
            assert_eq!(stdout.matches("UNKNOWN").count(), 1, "{thread}: {stdout:?}");
            assert!(!stdout.contains("test result"), "{thread}: the harness went on: {stdout:?}");
            assert!(stderr.contains("panicked at") && stderr.contains("deliberate panic"), "{thread}: {stderr:?}");
        }
    }

    /// Only in the process the test above starts (ignored otherwise: the hook ends the
    /// whole process).
    #[test]
    #[ignore = "run by a_panic_in_any_thread_ends_the_run_unknown in a process of its own"]
    fn panicking_process() {
        let Ok(thread) = std::env::var(PANIC_IN) else { return };
        end_on_panic();
        if thread == "test" {
            panic!("deliberate panic");
        }
        let other = std::thread::spawn(|| panic!("deliberate panic"));
        let _ = other.join();
        unreachable!("the hook ends the process before the thread is joined");
    }

    #[test]
    fn global_timeout_takes_the_first_digits() {
        assert_eq!(global_timeout(Some("abc2x")), Some(2));
        assert_eq!(global_timeout(Some("none")), None);
        assert_eq!(global_timeout(None), None);
    }

    #[test]
    fn escapes_are_decoded_not_evaluated() {
        assert_eq!(decode_escapes("\\x21"), "!");
        assert_eq!(decode_escapes("\\x{263A}"), "☺");
        assert_eq!(decode_escapes("${\\ `id` }"), "${ `id` }");
    }

    #[test]
    fn runas_is_removed_from_the_child_arguments() {
        let args: Vec<String> =
            ["--mode=x", "--runas", "centreon", "--runas=a", "--verbose"].map(String::from).to_vec();
        assert_eq!(without_runas(&args), ["--mode=x", "--verbose"]);
    }

    #[test]
    fn unknown_user_is_refused() {
        assert_eq!(
            runas(Some("no-such-user-here")).unwrap_err().message(),
            "Runas user 'no-such-user-here' not exist."
        );
    }
}
