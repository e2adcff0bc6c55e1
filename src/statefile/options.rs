//! The Retention Options: their declarations, the checks made at start-up, and where
//! they place statefiles ([`Placement`]).

use std::path::PathBuf;

use super::{Sealing, StateKey, Statefile};
use crate::debug::DebugLog;
use crate::error::{Error, Result};
use crate::options::{Flag, OptionSection, Text, Values};
use crate::store::{self, Store, FAILBACK_FILE, MEMCACHED, MEMEXPIRATION, REDIS_ATTRIBUTE, REDIS_DB, REDIS_SERVER};

/// The directory used when `--statefile-dir` is not given.
pub const DEFAULT_DIR: &str = "/var/lib/centreon/centplugins";

/// `--statefile-dir`.
pub const STATEFILE_DIR: Text = Text::new(
    "statefile-dir",
    "Define the cache directory (default: '/var/lib/centreon/centplugins'). It \
                 must exist and be writable (not with --redis-server or --memcached, which \
                 keep '<dir>/<name>' keys instead); files are created with mode 0600.",
)
.default(DEFAULT_DIR);

/// `--statefile-suffix`.
pub const STATEFILE_SUFFIX: Text = Text::new("statefile-suffix", "Add a suffix for the statefile name (default: '').");

/// `--statefile-concat-cwd`.
pub const STATEFILE_CONCAT_CWD: Flag = Flag::new(
    "statefile-concat-cwd",
    "If used with the '--statefile-dir' option, the latter's value will be used as a \
                 sub-directory of the current working directory.",
);

/// `--statefile-format`.
pub const STATEFILE_FORMAT: Text = Text::new(
    "statefile-format",
    "Define the format used to store the cache (default: 'json'). Files are always \
                 written in JSON; 'dumper' and 'storable' are accepted for compatibility.",
);

/// `--statefile-key`.
pub const STATEFILE_KEY: Text = Text::new(
    "statefile-key",
    "Define the key to encrypt/decrypt the cache. The token cache is stored in Perl's \
     encrypted format (readable by the Perl plugin with the same key), and the report \
     cache copies are encrypted with it too. A cache encrypted with another key is \
     ignored (a new token is fetched).",
);

/// `--statefile-cipher`.
pub const STATEFILE_CIPHER: Text = Text::new(
    "statefile-cipher",
    "Define the cipher algorithm to encrypt the cache (default: 'AES'). Only AES is \
     supported; another cipher ends with UNKNOWN.",
)
.default("AES");

/// `--statefile-storable`.
pub const STATEFILE_STORABLE: Flag = Flag::new("statefile-storable", "");

/// The Retention Options section, in Perl's help order.
pub fn section() -> OptionSection {
    OptionSection::new(
        "RETENTION OPTIONS",
        vec![
            MEMCACHED.spec(),
            REDIS_SERVER.spec(),
            REDIS_ATTRIBUTE.spec(),
            REDIS_DB.spec(),
            FAILBACK_FILE.spec(),
            MEMEXPIRATION.spec(),
            STATEFILE_DIR.spec(),
            STATEFILE_SUFFIX.spec(),
            STATEFILE_CONCAT_CWD.spec(),
            STATEFILE_FORMAT.spec(),
            STATEFILE_KEY.spec(),
            STATEFILE_CIPHER.spec(),
            STATEFILE_STORABLE.spec(),
        ],
    )
}

/// Checks the Retention Options at start-up (custom-mode check stage) and connects to
/// the Redis or memcached server they name: where statefiles go this run.
pub fn open(values: &Values, debug: &DebugLog) -> Result<Placement> {
    check_options(values, debug)?;
    Ok(Placement::from_values(values).kept_by(store::open(values, debug)?))
}

/// Checks the Retention Options at start-up (custom-mode check stage): refuses what
/// cannot be honoured and notes, in the debug log, what is accepted but ignored.
pub fn check_options(values: &Values, debug: &DebugLog) -> Result<()> {
    if let Some(key) = values.non_empty(&STATEFILE_KEY) {
        debug.secret(key);
    }
    if let Sealing::Unusable(why) = sealing(values) {
        return Err(Error::new(why));
    }
    match values.non_empty(&STATEFILE_FORMAT) {
        Some(format) if format != "json" => {
            debug.log(format!("statefile: format '{format}' is not implemented, the cache is kept in JSON"))
        }
        _ if values.flag(&STATEFILE_STORABLE) => {
            debug.log("statefile: format 'storable' is not implemented, the cache is kept in JSON")
        }
        _ => {}
    }
    Ok(())
}

/// How `--statefile-key` and `--statefile-cipher` (default `AES`) ask statefiles to
/// be sealed.
pub fn sealing(values: &Values) -> Sealing {
    match values.non_empty(&STATEFILE_KEY) {
        None => Sealing::Plain,
        Some(key) => match StateKey::new(key, values.non_empty(&STATEFILE_CIPHER).unwrap_or("AES")) {
            Ok(key) => Sealing::Key(key),
            Err(error) => Sealing::Unusable(error.message().to_string()),
        },
    }
}

/// Where the Retention Options put statefiles: `<dir>/<name><suffix>`, and how their
/// content is sealed.
#[derive(Debug, Clone)]
pub struct Placement {
    /// `--statefile-dir`, under the working directory with `--statefile-concat-cwd`.
    pub dir: PathBuf,
    /// `--statefile-suffix`.
    pub suffix: String,
    /// `--statefile-key` and `--statefile-cipher`.
    pub sealing: Sealing,
    /// The Redis or memcached server that keeps statefiles instead of `dir`.
    pub store: Option<Store>,
}

impl Placement {
    /// Reads `--statefile-dir` (default [`DEFAULT_DIR`]), `--statefile-suffix`,
    /// `--statefile-concat-cwd`, `--statefile-key` and `--statefile-cipher`.
    pub fn from_values(values: &Values) -> Placement {
        let dir = values.non_empty(&STATEFILE_DIR).unwrap_or(DEFAULT_DIR);
        let dir = if values.flag(&STATEFILE_CONCAT_CWD) && dir != DEFAULT_DIR {
            // Perl writes `cwd + "/" + dir` even for an absolute dir; the same directory,
            // spelled without the doubled slash.
            let cwd = std::env::current_dir().map(|d| d.display().to_string()).unwrap_or_default();
            format!("{}/{}", cwd.trim_end_matches('/'), dir.trim_start_matches('/'))
        } else {
            dir.to_string()
        };
        Placement {
            dir: PathBuf::from(dir),
            suffix: values.value(&STATEFILE_SUFFIX).unwrap_or("").to_string(),
            sealing: sealing(values),
            store: None,
        }
    }

    /// This placement with statefiles kept by `store` (`None`: in files).
    pub fn kept_by(mut self, store: Option<Store>) -> Placement {
        self.store = store;
        self
    }

    /// The statefile `name` placed here.
    pub fn file(&self, name: &str) -> Statefile {
        match &self.store {
            // The server's key is Perl's: the directory as given, `/`, the name.
            Some(store) => Statefile::new("", &format!("{}/{name}", self.dir.display()), &self.suffix)
                .kept_by(Some(store.clone()))
                .sealed(self.sealing.clone()),
            None => Statefile::new(&self.dir, name, &self.suffix).sealed(self.sealing.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::debug::{Logging, Secrets};
    use std::path::Path;

    #[test]
    fn options_place_the_file() {
        let spec = section();
        let mut values = Values::default();
        values.declare(&spec.options);
        assert_eq!(Placement::from_values(&values).file("n").path(), Path::new("/var/lib/centreon/centplugins/n"));
        values.set(&STATEFILE_DIR.spec(), "/abs/dir".into());
        values.set(&STATEFILE_CONCAT_CWD.spec(), "1".into());
        values.set(&STATEFILE_SUFFIX.spec(), "_s".into());
        let cwd = std::env::current_dir().expect("cwd").display().to_string();
        let expected = format!("{}/abs/dir/n_s", cwd.trim_end_matches('/'));
        assert_eq!(Placement::from_values(&values).file("n").path(), Path::new(&expected));
    }

    #[test]
    fn statefile_key_is_used_and_an_unusable_one_refused() {
        let spec = section();
        let mut values = Values::default();
        values.declare(&spec.options);
        let debug = DebugLog::new(Logging::On, Secrets::Masked);
        check_options(&values, &debug).expect("defaults are fine");
        assert!(matches!(Placement::from_values(&values).sealing, Sealing::Plain));
        values.set(&STATEFILE_KEY.spec(), "k".into());
        check_options(&values, &debug).expect("an AES key");
        assert!(matches!(Placement::from_values(&values).file("n").sealing, Sealing::Key(_)));
        values.set(&STATEFILE_CIPHER.spec(), "Twofish".into());
        let error = check_options(&values, &debug).expect_err("refused");
        assert!(error.message().contains("'Twofish' is not supported"), "{}", error.message());
    }
}
