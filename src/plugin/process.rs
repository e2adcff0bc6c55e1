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
