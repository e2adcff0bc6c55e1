//! Perl scalars: how expression operands convert between numbers and strings, and
//! what is true.

use crate::number;

/// A Perl scalar as expressions see it.
///
/// Exists because expression operands are untyped in Perl: report fields arrive as strings
/// and are compared as numbers, and results must print as Perl prints them.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `undef`: numerically 0, textually empty, false.
    Undef,
    /// A number.
    Num(f64),
    /// A string.
    Str(String),
}

impl Value {
    /// Perl truth: `undef`, `''`, `'0'` and 0 are false, everything else is true.
    pub fn truthy(&self) -> bool {
        match self {
            Value::Undef => false,
            Value::Num(n) => *n != 0.0,
            Value::Str(s) => !s.is_empty() && s != "0",
        }
    }

    /// Perl numeric value: strings by their leading number (`''` → 0, `'12abc'` → 12).
    pub fn num(&self) -> f64 {
        match self {
            Value::Undef => 0.0,
            Value::Num(n) => *n,
            Value::Str(s) => number::parse_leading(s),
        }
    }

    /// Perl string value: numbers as Perl prints them, `undef` as `''`.
    pub fn text(&self) -> String {
        match self {
            Value::Undef => String::new(),
            Value::Num(n) => number::perl(*n),
            Value::Str(s) => s.clone(),
        }
    }

    /// Perl's boolean results: `1` for true, the empty string (numerically 0) for false.
    pub(super) fn from_bool(truth: bool) -> Value {
        if truth {
            Value::Num(1.0)
        } else {
            Value::Str(String::new())
        }
    }
}

/// Where expressions find their variables and non-built-in functions.
///
/// Exists because each use site offers different names: counter values for status options,
/// perfdata fields and `alert_triggered()` for `--filter-perfdata-adv`, `short_output` and
/// `exit_code` for `--change-output-adv`.
pub trait Scope {
    /// The value of `%{name}`; `None` evaluates as `undef`.
    fn var(&self, name: &str) -> Option<Value>;

    /// The result of `name(args)` for a function that is not built in; `None` evaluates as
    /// `undef`.
    fn call(&self, name: &str, args: &[Value]) -> Option<Value> {
        let _ = (name, args);
        None
    }
}

impl<F: Fn(&str) -> Option<Value>> Scope for F {
    fn var(&self, name: &str) -> Option<Value> {
        self(name)
    }
}
