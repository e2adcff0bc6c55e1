//! The options every plugin run knows before a mode is chosen: the script's own
//! (`--plugin`, `--help` …) and the plugin's (`--mode`, `--custommode` …).

use crate::options::{OptionSection, OptionSpec};

/// The core version string Perl's `--version` prints without `--plugin`.
pub const GLOBAL_VERSION: &str = "20260700";
/// What `--plugin=… --version` prints.
pub const PLUGIN_VERSION: &str = "0.1";
/// What `--plugin=… --mode=… --version` prints.
pub const MODE_VERSION: &str = "1.0";

/// Options of the script itself, shown by `--help` without `--plugin`.
pub fn script_section() -> OptionSection {
    OptionSection::new(
        "OPTIONS",
        vec![
            OptionSpec::value("plugin", "Specify the path to the plugin."),
            OptionSpec::flag("list-plugin", "Print available plugins."),
            OptionSpec::flag("help", "Print a brief help message and exits."),
            OptionSpec::flag("version", "Print global version."),
            OptionSpec::value(
                "runas",
                "Run the script as a different user (prefer to use directly the good user). The plugin \
                 re-executes itself under that user's identity, without a shell; this needs root.",
            ),
            OptionSpec::value("global-timeout", "Set script timeout (in seconds)."),
            OptionSpec::map(
                "environment",
                "Set environment variables for the script, e.g. --environment='TZ=Europe/Paris'. They \
                 are set in the running process before anything else is done.",
            ),
            OptionSpec::flag("ignore-warn-msg", "Accepted for compatibility: this plugin never writes warnings."),
            OptionSpec::value(
                "convert-args",
                "Change strings of arguments. Useful to use '!' in nrpe protocol. Example: \
                 --convert-args='##,\\x21'",
            ),
        ],
    )
}

/// The plugin's options (`Global Options:` of `--help`), plus the accepted but
/// undocumented `--no-sanity-options`.
pub fn plugin_section() -> OptionSection {
    OptionSection::new(
        "GLOBAL OPTIONS",
        vec![
            OptionSpec::value("mode", "Define the mode in which you want the plugin to be executed (see --list-mode)."),
            OptionSpec::value("dyn-mode", "Specify a mode with the module's path (advanced)."),
            OptionSpec::flag("list-mode", "List all available modes."),
            OptionSpec::value(
                "mode-version",
                "Check minimal version of mode. If not, unknown error. Accepted and ignored: every mode of \
                 this plugin has version 1.0.",
            ),
            OptionSpec::flag("version", "Return the version of the plugin."),
            OptionSpec::value(
                "custommode",
                "When a plugin offers several ways (CLI, library, etc.) to get information the desired one \
                 must be defined with this option.",
            ),
            OptionSpec::flag("list-custommode", "List all available custom modes."),
            OptionSpec::flag(
                "multiple",
                "Multiple custom mode objects. This may be required by some specific modes (advanced). No \
                 mode of this plugin supports it.",
            ),
            OptionSpec::value(
                "pass-manager",
                "Define the password manager you want to use. Supported managers are: environment, \
                 file, keepass, teampass, hashicorpvault, centreonvault.",
            ),
            OptionSpec::flag("no-sanity-options", ""),
        ],
    )
}
