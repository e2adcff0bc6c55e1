//! Nagios statuses: names, exit codes and how they combine.

use std::fmt;

/// A check status. The order of the variants is not the severity order: use
/// [`Status::worst`] to combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Exit 0.
    Ok,
    /// Exit 1.
    Warning,
    /// Exit 2.
    Critical,
    /// Exit 3: the check could not tell (bad option, unreachable service, unreadable data).
    Unknown,
    /// Only reachable through `--change-exit`, `--opt-exit` or `--change-output-adv`.
    Pending,
}

impl Status {
    /// Parses a status name in any case (`ok`, `WARNING`, `Critical`, `unknown`, `pending`).
    pub fn parse(name: &str) -> Option<Status> {
        match name.to_ascii_lowercase().as_str() {
            "ok" => Some(Status::Ok),
            "warning" => Some(Status::Warning),
            "critical" => Some(Status::Critical),
            "unknown" => Some(Status::Unknown),
            "pending" => Some(Status::Pending),
            _ => None,
        }
    }

    /// The process exit code Nagios expects.
    pub fn exit_code(self) -> i32 {
        match self {
            Status::Ok => 0,
            Status::Warning => 1,
            Status::Critical => 2,
            Status::Unknown => 3,
            Status::Pending => 4,
        }
    }

    /// The upper-case label printed before messages.
    pub fn label(self) -> &'static str {
        match self {
            Status::Ok => "OK",
            Status::Warning => "WARNING",
            Status::Critical => "CRITICAL",
            Status::Unknown => "UNKNOWN",
            Status::Pending => "PENDING",
        }
    }

    /// Severity rank when combining: CRITICAL > UNKNOWN > WARNING > OK.
    fn rank(self) -> u8 {
        match self {
            Status::Ok | Status::Pending => 0,
            Status::Warning => 1,
            Status::Unknown => 2,
            Status::Critical => 3,
        }
    }

    /// The more severe of two statuses, as the Perl core's bit mask combines them.
    pub fn worst(self, other: Status) -> Status {
        if other.rank() > self.rank() {
            other
        } else {
            self
        }
    }

    /// Whether this status is not OK.
    pub fn is_problem(self) -> bool {
        self != Status::Ok
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn critical_beats_unknown_beats_warning() {
        assert_eq!(Status::Warning.worst(Status::Unknown), Status::Unknown);
        assert_eq!(Status::Unknown.worst(Status::Critical), Status::Critical);
        assert_eq!(Status::Critical.worst(Status::Unknown), Status::Critical);
        assert_eq!(Status::Ok.worst(Status::Warning), Status::Warning);
    }

    #[test]
    fn names_parse_in_any_case() {
        assert_eq!(Status::parse("CrItIcAl"), Some(Status::Critical));
        assert_eq!(Status::parse("bogus"), None);
        assert_eq!(Status::Pending.exit_code(), 4);
    }
}
