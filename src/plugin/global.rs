//! The options every plugin run knows before a mode is chosen: the script's own
//! (`--plugin`, `--help` …) and the plugin's (`--mode`, `--custommode` …).

use crate::options::{Flag, List, OptionSection, Pairs, Text};

/// The core version string Perl's `--version` prints without `--plugin`.
pub const GLOBAL_VERSION: &str = "20260700";
/// What `--plugin=… --version` prints.
pub const PLUGIN_VERSION: &str = "0.1";
/// What `--plugin=… --mode=… --version` prints.
pub const MODE_VERSION: &str = "1.0";

/// `--plugin`.
pub const PLUGIN: Text = Text::new("plugin", "Specify the path to the plugin.");
/// `--list-plugin`.
pub const LIST_PLUGIN: Flag = Flag::new("list-plugin", "Print available plugins.");
/// `--help`.
pub const HELP: Flag = Flag::new("help", "Print a brief help message and exits.");
/// `--version`, at every level (the plugin level documents it in its own words).
pub const VERSION: Flag = Flag::new("version", "Print global version.");
/// `--runas`.
pub const RUNAS: Text = Text::new(
    "runas",
    "Run the script as a different user (prefer to use directly the good user). The plugin \
     re-executes itself under that user's identity, without a shell; this needs root.",
);
/// `--global-timeout`.
pub const GLOBAL_TIMEOUT: Text = Text::new("global-timeout", "Set script timeout (in seconds).");
/// `--environment`.
pub const ENVIRONMENT: Pairs = Pairs::new(
    "environment",
    "Set environment variables for the script, e.g. --environment='TZ=Europe/Paris'. They \
     are set in the running process before anything else is done.",
);
/// `--ignore-warn-msg`.
pub const IGNORE_WARN_MSG: Flag =
    Flag::new("ignore-warn-msg", "Accepted for compatibility: this plugin never writes warnings.");
/// `--convert-args`.
pub const CONVERT_ARGS: Text = Text::new(
    "convert-args",
    "Change strings of arguments. Useful to use '!' in nrpe protocol. Example: \
     --convert-args='##,\\x21'",
);

/// `--mode`.
pub const MODE: Text =
    Text::new("mode", "Define the mode in which you want the plugin to be executed (see --list-mode).");
/// `--dyn-mode`.
pub const DYN_MODE: Text = Text::new("dyn-mode", "Specify a mode with the module's path (advanced).");
/// `--list-mode`.
pub const LIST_MODE: Flag = Flag::new("list-mode", "List all available modes.");
/// `--mode-version`.
pub const MODE_VERSION_OPTION: Text = Text::new(
    "mode-version",
    "Check minimal version of mode. If not, unknown error. Accepted and ignored: every mode of \
     this plugin has version 1.0.",
);
/// `--custommode`.
pub const CUSTOMMODE: Text = Text::new(
    "custommode",
    "When a plugin offers several ways (CLI, library, etc.) to get information the desired one \
     must be defined with this option.",
);
/// `--list-custommode`.
pub const LIST_CUSTOMMODE: Flag = Flag::new("list-custommode", "List all available custom modes.");
/// `--multiple`.
pub const MULTIPLE: Flag = Flag::new(
    "multiple",
    "Multiple custom mode objects. This may be required by some specific modes (advanced). No \
     mode of this plugin supports it.",
);
/// `--pass-manager`.
pub const PASS_MANAGER: Text =
    Text::new("pass-manager", "Define the password manager you want to use. Supported managers are: environment.");
/// `--no-sanity-options`: accepted, undocumented.
pub const NO_SANITY_OPTIONS: Flag = Flag::new("no-sanity-options", "");
/// `--environment-map-option`, added by the `environment` password manager.
pub const ENVIRONMENT_MAP_OPTION: List = List::new(
    "environment-map-option",
    "Overload an option value with the content of an environment variable, e.g. \
     --environment-map-option='client-secret=MY_SECRET' (repeatable).",
);

/// Options of the script itself, shown by `--help` without `--plugin`.
pub fn script_section() -> OptionSection {
    OptionSection::new(
        "OPTIONS",
        vec![
            PLUGIN.spec(),
            LIST_PLUGIN.spec(),
            HELP.spec(),
            VERSION.spec(),
            RUNAS.spec(),
            GLOBAL_TIMEOUT.spec(),
            ENVIRONMENT.spec(),
            IGNORE_WARN_MSG.spec(),
            CONVERT_ARGS.spec(),
        ],
    )
}

/// The plugin's options (`Global Options:` of `--help`), plus the accepted but
/// undocumented `--no-sanity-options`.
pub fn plugin_section() -> OptionSection {
    OptionSection::new(
        "GLOBAL OPTIONS",
        vec![
            MODE.spec(),
            DYN_MODE.spec(),
            LIST_MODE.spec(),
            MODE_VERSION_OPTION.spec(),
            VERSION.spec().documented("Return the version of the plugin."),
            CUSTOMMODE.spec(),
            LIST_CUSTOMMODE.spec(),
            MULTIPLE.spec(),
            PASS_MANAGER.spec(),
            NO_SANITY_OPTIONS.spec(),
        ],
    )
}

/// The options the `environment` password manager adds.
pub fn environment_manager_section() -> OptionSection {
    OptionSection::new("ENVIRONMENT OPTIONS", vec![ENVIRONMENT_MAP_OPTION.spec()])
}
