//! Why an expression is refused: its syntax, or a name its use site does not define.

use std::fmt;

/// Why an expression is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExprError {
    /// The text is not an expression, or holds an invalid pattern: what is wrong and at
    /// which character (`syntax error at character 9: an operand is missing after '>'`).
    Syntax(String),
    /// A `%{name}` the use site does not define.
    UnknownVariable {
        /// The name as written.
        name: String,
        /// The names the use site defines.
        known: Vec<String>,
    },
    /// A call of a function that is neither built in nor provided by the use site.
    UnknownFunction {
        /// The name as written.
        name: String,
        /// The functions available there, built-ins included.
        known: Vec<String>,
    },
}

impl fmt::Display for ExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExprError::Syntax(problem) => f.write_str(problem),
            ExprError::UnknownVariable { name, known } => {
                write!(f, "unknown variable %{{{name}}} (known: {})", known.join(", "))
            }
            ExprError::UnknownFunction { name, known } => {
                let known: Vec<String> = known.iter().map(|name| format!("{name}()")).collect();
                write!(f, "unknown function {name}() (known: {})", known.join(", "))
            }
        }
    }
}

impl std::error::Error for ExprError {}
