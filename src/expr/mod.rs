//! The safe expression language of status thresholds (`--warning-status='%{used} > 10'`),
//! `--filter-perfdata-adv` and `--change-output-adv`.
//!
//! Perl evaluated these texts as Perl code; here they are parsed once into a syntax tree
//! and evaluated with Perl's value semantics (numeric conversion of strings, truth of `''`
//! and `'0'`, `&&`/`||` returning an operand). Nothing in an expression can run code, and
//! a name the use site does not define is refused when the expression is parsed (see
//! [`Dialect`]), where Perl evaluated it as undefined or failed only once an instance was
//! checked.

mod error;
mod eval;
mod lexer;
mod parser;
mod value;

pub use error::ExprError;
pub use lexer::VariableSyntax;
pub use value::{Scope, Value};

use eval::Node;
use lexer::tokenize;
use parser::Parser;

/// What the expressions of one use site may name.
///
/// Exists because a name that the site does not define would silently evaluate as
/// `undef`, so an alert written with a typo could never fire: such a name is refused when
/// the expression is parsed, at start-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dialect<'a> {
    /// How variables are written.
    pub syntax: VariableSyntax,
    /// The variables the site's [`Scope`] defines.
    pub variables: &'a [&'a str],
    /// The functions the site's [`Scope`] implements; `lc`, `uc`, `length` and `defined`
    /// are built in and always available.
    pub functions: &'a [&'a str],
}

/// The functions every expression may call.
const BUILTINS: [&str; 4] = ["lc", "uc", "length", "defined"];

/// A parsed expression.
///
/// Exists so that an option's expression is checked at start-up (syntax, regexes, the
/// names it uses) and then evaluated many times.
///
/// ```
/// use centreon_plugin::expr::{Dialect, Expr, Value, VariableSyntax};
///
/// let dialect = Dialect { syntax: VariableSyntax::Braces, variables: &["used", "display"], functions: &[] };
/// let expr = Expr::parse("%{used} > 1000000000 and %{display} =~ /^user/", &dialect).unwrap();
/// let mailbox = |name: &str| match name {
///     "used" => Some(Value::Str("3797579269".to_string())),
///     "display" => Some(Value::Str("user000006@contoso.onmicrosoft.com".to_string())),
///     _ => None,
/// };
/// assert!(expr.is_true(&mailbox));
///
/// let typo = Expr::parse("%{usde} > 1", &dialect).unwrap_err();
/// assert_eq!(typo.to_string(), "unknown variable %{usde} (known: used, display)");
/// let call = Expr::parse("foo(%{used})", &dialect).unwrap_err();
/// assert_eq!(call.to_string(), "unknown function foo() (known: lc(), uc(), length(), defined())");
/// ```
#[derive(Debug, Clone)]
pub struct Expr {
    root: Node,
}

/// Longest accepted expression, in tokens; keeps evaluation depth bounded.
const MAX_TOKENS: usize = 1000;

impl Expr {
    /// Parses `src` for a use site. An empty text is a valid expression whose value is
    /// `undef`, as in Perl.
    ///
    /// Refused: a syntax error or an invalid pattern (with where it is), then the first
    /// variable and the first function the dialect does not know.
    pub fn parse(src: &str, dialect: &Dialect<'_>) -> std::result::Result<Expr, ExprError> {
        let expr = Expr::parse_syntax(src, dialect.syntax)?;
        if let Some(name) = expr.variables().into_iter().find(|v| !dialect.variables.contains(&v.as_str())) {
            let known = dialect.variables.iter().map(|v| v.to_string()).collect();
            return Err(ExprError::UnknownVariable { name, known });
        }
        if let Some(name) = expr.functions().into_iter().find(|f| !dialect.functions.contains(&f.as_str())) {
            let known = BUILTINS.iter().chain(dialect.functions).map(|f| f.to_string()).collect();
            return Err(ExprError::UnknownFunction { name, known });
        }
        Ok(expr)
    }

    /// Parses `src` without looking at the names it uses.
    fn parse_syntax(src: &str, syntax: VariableSyntax) -> std::result::Result<Expr, ExprError> {
        let tokens = tokenize(src, syntax)?;
        if tokens.len() > MAX_TOKENS {
            return Err(ExprError::Syntax(format!("the expression is too long (more than {MAX_TOKENS} tokens)")));
        }
        let mut parser = Parser { tokens, pos: 0, depth: 0 };
        let root = parser.parse_all()?;
        Ok(Expr { root })
    }

    /// The variable names the expression refers to, each once, in order of appearance.
    pub fn variables(&self) -> Vec<String> {
        let mut names = Vec::new();
        self.root.visit(&mut |node| {
            if let Node::Var(name) = node {
                push_unique(&mut names, name);
            }
        });
        names
    }

    /// The names of the non-built-in functions called, each once, in order of appearance.
    fn functions(&self) -> Vec<String> {
        let mut names = Vec::new();
        self.root.visit(&mut |node| {
            if let Node::Call(name, _) = node {
                push_unique(&mut names, name);
            }
        });
        names
    }

    /// The value of the expression with the variables and functions of `scope`.
    pub fn eval(&self, scope: &dyn Scope) -> Value {
        self.root.eval(scope)
    }

    /// Whether the expression is true in Perl's sense.
    pub fn is_true(&self, scope: &dyn Scope) -> bool {
        self.eval(scope).truthy()
    }
}

/// Adds `name` to `names` unless it is already there.
fn push_unique(names: &mut Vec<String>, name: &str) {
    if !names.iter().any(|known| known == name) {
        names.push(name.to_string());
    }
}

#[cfg(test)]
mod tests;
