//! Microsoft's national clouds (`--cloud`): each has its own Entra ID login host and
//! its own Microsoft Graph root, and the token scope names that root.
//!
//! `--login-endpoint` and `--graph-endpoint` still win over the cloud's hosts. The
//! usage reports are documented as available in the global cloud only: in the others
//! the report calls are refused before any request, while service health works.

use centreon_plugin::error::{Error, Result};
use centreon_plugin::options::{OptionSpec, Text};

/// One of Microsoft's clouds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cloud {
    /// The worldwide service.
    Global,
    /// US Government L4 (GCC High).
    UsGov,
    /// US Government L5 (DoD).
    UsGovDod,
    /// China, operated by 21Vianet.
    China,
}

/// `--cloud`; its help depends on the clouds a custom mode knows ([`Cloud::option`]).
pub const CLOUD: Text = Text::new("cloud", "").default("global");

/// Which clouds a custom mode knows the endpoints of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Known {
    /// The global cloud and the national ones.
    All,
    /// The global cloud only.
    GlobalOnly,
}

impl Cloud {
    /// Every cloud, in the order the help lists them.
    pub const ALL: [Cloud; 4] = [Cloud::Global, Cloud::UsGov, Cloud::UsGovDod, Cloud::China];

    /// The `--cloud` declaration (default `global`), worded for the clouds a custom
    /// mode knows.
    pub fn option(known: Known) -> OptionSpec {
        let doc = if known == Known::All {
            "Set Microsoft's cloud: global, usgov (US Government L4), usgov-dod (US Government \
             L5) or china (operated by 21Vianet) (default: 'global'). It sets the login and \
             graph endpoints and the token scope; --login-endpoint and --graph-endpoint still \
             win. Microsoft provides the usage reports and message trace in the global cloud only."
        } else {
            "Set Microsoft's cloud (default: 'global'). This custom mode knows the global \
             cloud only: use --custommode=graphapi in the national clouds."
        };
        CLOUD.spec().documented(doc)
    }

    /// The cloud `--cloud` names (`None`: the global one).
    pub fn parse(value: Option<&str>) -> Result<Cloud> {
        let Some(name) = value.filter(|v| !v.is_empty()) else {
            return Ok(Cloud::Global);
        };
        Cloud::ALL.into_iter().find(|cloud| cloud.name().eq_ignore_ascii_case(name)).ok_or_else(|| {
            let names: Vec<&str> = Cloud::ALL.iter().map(|c| c.name()).collect();
            Error::new(format!("Invalid --cloud value '{name}': one of {} is expected", names.join(", ")))
        })
    }

    /// Its `--cloud` name.
    pub fn name(self) -> &'static str {
        match self {
            Cloud::Global => "global",
            Cloud::UsGov => "usgov",
            Cloud::UsGovDod => "usgov-dod",
            Cloud::China => "china",
        }
    }

    /// The Entra ID login endpoint of the cloud.
    pub fn login(self) -> &'static str {
        match self {
            Cloud::Global => "https://login.microsoftonline.com",
            Cloud::UsGov | Cloud::UsGovDod => "https://login.microsoftonline.us",
            Cloud::China => "https://login.chinacloudapi.cn",
        }
    }

    /// The Microsoft Graph root of the cloud.
    pub fn graph(self) -> &'static str {
        match self {
            Cloud::Global => "https://graph.microsoft.com",
            Cloud::UsGov => "https://graph.microsoft.us",
            Cloud::UsGovDod => "https://dod-graph.microsoft.us",
            Cloud::China => "https://microsoftgraph.chinacloudapi.cn",
        }
    }

    /// Refuses message trace outside the global cloud: Microsoft's list of the
    /// national cloud deployments of the message trace API holds the global service
    /// only. An UNKNOWN saying so, before any request.
    pub fn check_message_trace(self) -> Result<()> {
        match self {
            Cloud::Global => Ok(()),
            other => Err(Error::new(format!(
                "--cloud={}: Microsoft provides message trace in the global cloud only \
                 (the service health modes work in every cloud)",
                other.name()
            ))),
        }
    }

    /// Refuses a usage report outside the global cloud, where Microsoft does not
    /// provide them: an UNKNOWN saying so beats a 404 after a token request.
    pub fn check_usage_reports(self) -> Result<()> {
        match self {
            Cloud::Global => Ok(()),
            other => Err(Error::new(format!(
                "--cloud={}: Microsoft provides the usage reports in the global cloud only \
                 (the service health modes work in every cloud)",
                other.name()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_back_and_unknown_ones_are_refused() {
        for cloud in Cloud::ALL {
            assert_eq!(Cloud::parse(Some(cloud.name())).expect("known"), cloud);
        }
        assert_eq!(Cloud::parse(None).expect("absent"), Cloud::Global);
        assert_eq!(Cloud::parse(Some("")).expect("empty"), Cloud::Global);
        assert_eq!(Cloud::parse(Some("USGov")).expect("case"), Cloud::UsGov);
        assert_eq!(
            Cloud::parse(Some("germany")).expect_err("retired").message(),
            "Invalid --cloud value 'germany': one of global, usgov, usgov-dod, china is expected"
        );
    }

    #[test]
    fn national_hosts_are_microsofts() {
        assert_eq!(
            (Cloud::UsGovDod.login(), Cloud::UsGovDod.graph()),
            ("https://login.microsoftonline.us", "https://dod-graph.microsoft.us")
        );
        assert_eq!(Cloud::China.graph(), "https://microsoftgraph.chinacloudapi.cn");
    }

    #[test]
    fn usage_reports_are_global_only() {
        assert!(Cloud::Global.check_usage_reports().is_ok());
        let refused = Cloud::China.check_usage_reports().expect_err("china");
        assert!(refused.message().starts_with("--cloud=china: Microsoft provides the usage reports"), "{refused}");
    }

    #[test]
    fn message_trace_is_global_only() {
        assert!(Cloud::Global.check_message_trace().is_ok());
        for cloud in [Cloud::UsGov, Cloud::UsGovDod, Cloud::China] {
            let refused = cloud.check_message_trace().expect_err("national");
            assert!(
                refused.message().contains("Microsoft provides message trace in the global cloud only"),
                "{refused}"
            );
        }
    }
}
