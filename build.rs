//! Lays out the binary's code so that what a report check runs lies together.
//!
//! Linux maps a program's code by fault-around: every page fault maps the 64 KB
//! around it, so a run's resident memory counts every 64 KB window its functions
//! touch. A report check runs about a fifth of the binary's code, but spread over
//! nearly every window. `link/hot-code.txt` lists the functions it runs (written by
//! `bench/hot-code.sh`); the linker places them first, in that order, and the rest
//! after, as before. A name the build does not define is skipped, so a stale list
//! costs memory, never correctness.

use std::process::Command;

/// The list of functions, relative to the package's root.
const HOT_CODE: &str = "link/hot-code.txt";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed={HOT_CODE}");
    println!("cargo:rerun-if-env-changed=CARGO_ENCODED_RUSTFLAGS");
    if !links_with_lld() {
        return;
    }
    let Ok(root) = std::env::var("CARGO_MANIFEST_DIR") else { return };
    if !std::path::Path::new(&root).join(HOT_CODE).is_file() {
        return;
    }
    println!("cargo:rustc-link-arg-bins=-Wl,--symbol-ordering-file={root}/{HOT_CODE}");
    println!("cargo:rustc-link-arg-bins=-Wl,--no-warn-symbol-ordering");
}

/// Whether the binary is linked by LLD, the only linker that reads the list: rustc
/// links with its own LLD on x86_64 Linux from version 1.90 on, unless the flags
/// choose another linker flavour or turn the bundled linker off. Anything else
/// (another target, an older rustc, such flags) links as before.
fn links_with_lld() -> bool {
    if std::env::var("TARGET").as_deref() != Ok("x86_64-unknown-linux-gnu") {
        return false;
    }
    let flags = std::env::var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default();
    if ["linker-flavor", "linker-features", "link-self-contained"].iter().any(|flag| flags.contains(flag)) {
        return false;
    }
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
    let Ok(out) = Command::new(rustc).arg("-vV").output() else { return false };
    let text = String::from_utf8_lossy(&out.stdout);
    let Some(release) = text.lines().find_map(|line| line.strip_prefix("release: ")) else { return false };
    let mut numbers = release.split(['.', '-']).map(|n| n.parse::<u32>().unwrap_or(0));
    let (major, minor) = (numbers.next().unwrap_or(0), numbers.next().unwrap_or(0));
    (major, minor) >= (1, 90)
}
