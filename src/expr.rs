//! The safe expression language of status thresholds (`--warning-status='%{used} > 10'`),
//! `--filter-perfdata-adv` and `--change-output-adv`.
//!
//! Perl evaluated these texts as Perl code; here they are parsed once into a syntax tree
//! and evaluated with Perl's value semantics (numeric conversion of strings, truth of `''`
//! and `'0'`, `&&`/`||` returning an operand). Nothing in an expression can run code, and
//! a name the use site does not define is refused when the expression is parsed (see
//! [`Dialect`]), where Perl evaluated it as undefined or failed only once an instance was
//! checked.

use std::fmt;

use crate::number;
use crate::pattern::Pattern;

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
    fn from_bool(truth: bool) -> Value {
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

/// How a use site lets users write variables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VariableSyntax {
    /// `%{name}` only: status options, where Perl reads `%(name)` as a syntax error.
    Braces,
    /// `%{name}` and `%(name)`: `--filter-perfdata-adv` and `--change-output-adv`.
    BracesOrParentheses,
}

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

/// Deepest accepted nesting of parentheses, unary operators and conditionals.
const MAX_NESTING: usize = 64;

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

// ---------------------------------------------------------------------------------------
// Syntax tree and evaluation
// ---------------------------------------------------------------------------------------

/// Arithmetic and concatenation operators.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Arith {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Concat,
}

/// A comparison: what it compares (numbers or strings) and how.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Compare {
    numeric: bool,
    test: Test,
}

/// The relation a comparison tests.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Test {
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
}

impl Test {
    /// Whether `a` and `b` are in this relation (false for NaN except `!=`, as in Perl).
    fn holds<T: PartialOrd + ?Sized>(self, a: &T, b: &T) -> bool {
        match self {
            Test::Eq => a == b,
            Test::Ne => a != b,
            Test::Lt => a < b,
            Test::Gt => a > b,
            Test::Le => a <= b,
            Test::Ge => a >= b,
        }
    }
}

/// A numeric comparison.
const fn numeric(test: Test) -> Compare {
    Compare { numeric: true, test }
}

/// A string comparison.
const fn textual(test: Test) -> Compare {
    Compare { numeric: false, test }
}

/// Functions evaluated here rather than by the scope.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Builtin {
    Lc,
    Uc,
    Length,
    Defined,
}

/// A node of the syntax tree.
#[derive(Debug, Clone)]
enum Node {
    Literal(Value),
    Var(String),
    Not(Box<Node>),
    Neg(Box<Node>),
    Match {
        target: Box<Node>,
        pattern: Pattern,
        negate: bool,
    },
    Arith(Arith, Box<Node>, Box<Node>),
    /// A comparison chain `a < b <= c` (Perl 5.32+): true when every link holds.
    Chain(Box<Node>, Vec<(Compare, Node)>),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    Cond(Box<Node>, Box<Node>, Box<Node>),
    Builtin(Builtin, Box<Node>),
    Call(String, Vec<Node>),
}

impl Node {
    /// Perl's value of the node.
    fn eval(&self, scope: &dyn Scope) -> Value {
        match self {
            Node::Literal(value) => value.clone(),
            Node::Var(name) => scope.var(name).unwrap_or(Value::Undef),
            Node::Not(operand) => Value::from_bool(!operand.eval(scope).truthy()),
            Node::Neg(operand) => negate(operand.eval(scope)),
            Node::Match { target, pattern, negate } => {
                let found = pattern.is_match(&target.eval(scope).text());
                Value::from_bool(found != *negate)
            }
            Node::Arith(op, left, right) => arith(*op, &left.eval(scope), &right.eval(scope)),
            Node::Chain(first, links) => chain(first, links, scope),
            Node::And(left, right) => {
                let value = left.eval(scope);
                if value.truthy() {
                    right.eval(scope)
                } else {
                    value
                }
            }
            Node::Or(left, right) => {
                let value = left.eval(scope);
                if value.truthy() {
                    value
                } else {
                    right.eval(scope)
                }
            }
            Node::Cond(test, then, otherwise) => {
                if test.eval(scope).truthy() {
                    then.eval(scope)
                } else {
                    otherwise.eval(scope)
                }
            }
            Node::Builtin(function, argument) => builtin(*function, argument.eval(scope)),
            Node::Call(name, args) => {
                let values: Vec<Value> = args.iter().map(|arg| arg.eval(scope)).collect();
                scope.call(name, &values).unwrap_or(Value::Undef)
            }
        }
    }

    /// Calls `visit` on this node and every node below it.
    fn visit(&self, visit: &mut dyn FnMut(&Node)) {
        visit(self);
        match self {
            Node::Literal(_) | Node::Var(_) => {}
            Node::Not(operand) | Node::Neg(operand) | Node::Builtin(_, operand) => operand.visit(visit),
            Node::Match { target, .. } => target.visit(visit),
            Node::Arith(_, left, right) | Node::And(left, right) | Node::Or(left, right) => {
                left.visit(visit);
                right.visit(visit);
            }
            Node::Chain(first, links) => {
                first.visit(visit);
                links.iter().for_each(|(_, node)| node.visit(visit));
            }
            Node::Cond(test, then, otherwise) => {
                test.visit(visit);
                then.visit(visit);
                otherwise.visit(visit);
            }
            Node::Call(_, args) => args.iter().for_each(|arg| arg.visit(visit)),
        }
    }
}

/// Perl's unary minus: `-'abc'` is `'-abc'`, `-'-abc'` is `'+abc'`, `-'+abc'` is `'-abc'`;
/// numbers and numeric-looking strings are negated numerically.
fn negate(value: Value) -> Value {
    if let Value::Str(text) = &value {
        if let Some(negated) = negate_string(text) {
            return Value::Str(negated);
        }
    }
    Value::Num(-value.num())
}

/// The string form of Perl's unary minus, `None` when the negation is numeric.
fn negate_string(text: &str) -> Option<String> {
    let first = text.chars().next()?;
    if first.is_alphabetic() || first == '_' {
        return Some(format!("-{text}"));
    }
    if let Some(rest) = text.strip_prefix('+') {
        return Some(format!("-{rest}"));
    }
    match text.strip_prefix('-') {
        Some(rest) if !number::looks_like_number(text) => Some(format!("+{rest}")),
        _ => None,
    }
}

/// Perl arithmetic; division or modulus by zero (a Perl `die`) gives `undef`.
fn arith(op: Arith, left: &Value, right: &Value) -> Value {
    let (a, b) = (left.num(), right.num());
    match op {
        Arith::Add => Value::Num(a + b),
        Arith::Sub => Value::Num(a - b),
        Arith::Mul => Value::Num(a * b),
        Arith::Div if b == 0.0 => Value::Undef,
        Arith::Div => Value::Num(a / b),
        Arith::Mod => modulus(a, b),
        Arith::Concat => Value::Str(left.text() + &right.text()),
    }
}

/// Perl's `%`: on integers, with the sign of the right operand.
fn modulus(a: f64, b: f64) -> Value {
    let (a, b) = (a.trunc(), b.trunc());
    if b == 0.0 || b.is_nan() {
        return Value::Undef;
    }
    let remainder = a % b;
    if remainder != 0.0 && (remainder < 0.0) != (b < 0.0) {
        Value::Num(remainder + b)
    } else {
        Value::Num(remainder)
    }
}

/// Evaluates a comparison chain left to right, each operand once.
fn chain(first: &Node, links: &[(Compare, Node)], scope: &dyn Scope) -> Value {
    let mut left = first.eval(scope);
    for (op, node) in links {
        let right = node.eval(scope);
        if !compare(*op, &left, &right) {
            return Value::from_bool(false);
        }
        left = right;
    }
    Value::from_bool(true)
}

/// One comparison, numeric or string (strings compare by code point, as Perl does).
fn compare(op: Compare, left: &Value, right: &Value) -> bool {
    if op.numeric {
        op.test.holds(&left.num(), &right.num())
    } else {
        op.test.holds(left.text().as_str(), right.text().as_str())
    }
}

/// `lc`, `uc`, `length` (undef stays undef) and `defined`.
fn builtin(function: Builtin, argument: Value) -> Value {
    match (function, argument) {
        (Builtin::Defined, argument) => Value::from_bool(argument != Value::Undef),
        (Builtin::Length, Value::Undef) => Value::Undef,
        (Builtin::Length, argument) => Value::Num(argument.text().chars().count() as f64),
        (Builtin::Lc, argument) => Value::Str(argument.text().to_lowercase()),
        (Builtin::Uc, argument) => Value::Str(argument.text().to_uppercase()),
    }
}

// ---------------------------------------------------------------------------------------
// Tokens
// ---------------------------------------------------------------------------------------

/// What a token is.
#[derive(Debug, Clone)]
enum Kind {
    Num(f64),
    Str(String),
    Var(String),
    Regex(Pattern),
    Word(String),
    Op(&'static str),
    End,
}

/// A token with its 1-based character position and source text, for messages.
#[derive(Debug, Clone)]
struct Token {
    kind: Kind,
    at: usize,
    text: String,
}

impl Token {
    /// Whether the token is the operator `op`.
    fn is_op(&self, op: &str) -> bool {
        matches!(self.kind, Kind::Op(own) if own == op)
    }

    /// Whether the token is the word `word`.
    fn is_word(&self, word: &str) -> bool {
        matches!(&self.kind, Kind::Word(own) if own == word)
    }

    /// Whether an operand has just ended with this token (so `.` and `%` are operators).
    fn ends_operand(&self) -> bool {
        match &self.kind {
            Kind::Num(_) | Kind::Str(_) | Kind::Var(_) | Kind::Regex(_) => true,
            Kind::Word(word) => !is_operator_word(word),
            Kind::Op(op) => *op == ")",
            Kind::End => false,
        }
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "'{}'", self.text)
    }
}

/// Operators, longest first so that `<=` wins over `<`.
const OPERATORS: [&str; 23] = [
    "==", "!=", "<=", ">=", "=~", "!~", "&&", "||", "<", ">", "!", "+", "-", "*", "/", "%", ".", "?", ":", "(", ")",
    ",", ";",
];

/// A syntax error at a 1-based character position.
fn syntax(at: usize, problem: impl fmt::Display) -> ExprError {
    ExprError::Syntax(format!("syntax error at character {at}: {problem}"))
}

/// Splits an expression into tokens, ending with [`Kind::End`].
fn tokenize(src: &str, syntax: VariableSyntax) -> std::result::Result<Vec<Token>, ExprError> {
    let mut lexer = Lexer { chars: src.chars().collect(), pos: 0, syntax };
    let mut tokens: Vec<Token> = Vec::new();
    loop {
        lexer.skip_space();
        let after_operand = tokens.last().is_some_and(Token::ends_operand);
        let wants_regex = tokens.last().is_some_and(|t| t.is_op("=~") || t.is_op("!~"));
        let start = lexer.pos;
        let kind = if wants_regex { lexer.regex()? } else { lexer.token(after_operand)? };
        let text = lexer.text_from(start);
        let end = matches!(kind, Kind::End);
        tokens.push(Token { kind, at: start + 1, text });
        if end {
            return Ok(tokens);
        }
    }
}

/// A cursor over the characters of an expression.
struct Lexer {
    chars: Vec<char>,
    pos: usize,
    syntax: VariableSyntax,
}

impl Lexer {
    /// The character at the cursor.
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    /// The character `ahead` positions after the cursor.
    fn peek_at(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.pos + ahead).copied()
    }

    /// Moves past whitespace.
    fn skip_space(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    /// The source text from `start` to the cursor.
    fn text_from(&self, start: usize) -> String {
        self.chars.get(start..self.pos).map(|chars| chars.iter().collect()).unwrap_or_default()
    }

    /// Whether the source continues with `text` at the cursor.
    fn starts_with(&self, text: &str) -> bool {
        text.chars().enumerate().all(|(i, c)| self.peek_at(i) == Some(c))
    }

    /// The next token; `after_operand` tells whether `.` and `%(` are operators here.
    fn token(&mut self, after_operand: bool) -> std::result::Result<Kind, ExprError> {
        let Some(c) = self.peek() else {
            return Ok(Kind::End);
        };
        let next = self.peek_at(1);
        match c {
            '%' if next == Some('{') => self.variable('}'),
            '%' if next == Some('(') && self.syntax == VariableSyntax::BracesOrParentheses => self.variable(')'),
            '%' if next == Some('(') && !after_operand => {
                Err(syntax(self.pos + 1, "'%(name)' variables are not available here, write '%{name}'"))
            }
            '\'' | '"' => self.string(c),
            '0'..='9' => Ok(self.number()),
            '.' if !after_operand && next.is_some_and(|n| n.is_ascii_digit()) => Ok(self.number()),
            c if c.is_ascii_alphabetic() || c == '_' => Ok(self.word()),
            _ => self.operator(c),
        }
    }

    /// `%{name}` or `%(name)`, the cursor on `%`.
    fn variable(&mut self, close: char) -> std::result::Result<Kind, ExprError> {
        let start = self.pos;
        self.pos += 2;
        let name_start = self.pos;
        while self.peek().is_some_and(|c| c != close) {
            self.pos += 1;
        }
        if self.peek().is_none() {
            return Err(syntax(start + 1, format!("the variable is not closed by '{close}'")));
        }
        let name = self.text_from(name_start);
        self.pos += 1;
        if name.is_empty() {
            return Err(syntax(start + 1, "the variable has no name"));
        }
        Ok(Kind::Var(name))
    }

    /// A quoted string, the cursor on the quote; no interpolation in either kind.
    fn string(&mut self, quote: char) -> std::result::Result<Kind, ExprError> {
        let start = self.pos;
        self.pos += 1;
        let mut value = String::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(syntax(start + 1, "the string is not closed"));
            };
            self.pos += 1;
            match c {
                c if c == quote => return Ok(Kind::Str(value)),
                '\\' => self.string_escape(quote, &mut value),
                c => value.push(c),
            }
        }
    }

    /// A backslash in a string (already consumed): Perl's rules for `'…'` and `"…"`.
    fn string_escape(&mut self, quote: char, value: &mut String) {
        let Some(c) = self.peek() else {
            value.push('\\');
            return;
        };
        if quote == '\'' && c != '\'' && c != '\\' {
            value.push('\\');
            return;
        }
        self.pos += 1;
        value.push(match (quote, c) {
            ('"', 'n') => '\n',
            ('"', 't') => '\t',
            ('"', 'r') => '\r',
            (_, other) => other,
        });
    }

    /// A number literal: `10`, `10.5`, `.5`, `1e9`, `1.5E-3`.
    fn number(&mut self) -> Kind {
        let start = self.pos;
        self.digits();
        if self.peek() == Some('.') && self.peek_at(1).is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
            self.digits();
        }
        if matches!(self.peek(), Some('e' | 'E')) {
            let signed = matches!(self.peek_at(1), Some('+' | '-'));
            let digit_at = if signed { 2 } else { 1 };
            if self.peek_at(digit_at).is_some_and(|c| c.is_ascii_digit()) {
                self.pos += digit_at;
                self.digits();
            }
        }
        Kind::Num(number::parse_leading(&self.text_from(start)))
    }

    /// Moves past ASCII digits.
    fn digits(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
    }

    /// A word: an operator such as `eq`/`and`, or a function name.
    fn word(&mut self) -> Kind {
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
            self.pos += 1;
        }
        Kind::Word(self.text_from(start))
    }

    /// A punctuation operator.
    fn operator(&mut self, c: char) -> std::result::Result<Kind, ExprError> {
        let Some(op) = OPERATORS.into_iter().find(|op| self.starts_with(op)) else {
            return Err(syntax(self.pos + 1, format!("unexpected character '{c}'")));
        };
        self.pos += op.chars().count();
        Ok(Kind::Op(op))
    }

    /// The pattern after `=~` / `!~`: `/…/flags` or `m` with any delimiter.
    fn regex(&mut self) -> std::result::Result<Kind, ExprError> {
        let start = self.pos;
        let close = match (self.peek(), self.peek_at(1)) {
            (Some('/'), _) => {
                self.pos += 1;
                '/'
            }
            (Some('m'), Some(open)) if !open.is_alphanumeric() && !open.is_whitespace() => {
                self.pos += 2;
                closing_delimiter(open)
            }
            _ => return Err(syntax(start + 1, "a /pattern/ is expected after a match operator")),
        };
        let source = self.regex_body(close).ok_or_else(|| syntax(start + 1, "the pattern is not closed"))?;
        let flags_start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
            self.pos += 1;
        }
        let flags = self.text_from(flags_start);
        if let Some(bad) = flags.chars().find(|c| !"msixpodualngc".contains(*c)) {
            return Err(syntax(flags_start + 1, format!("unknown pattern flag '{bad}'")));
        }
        Pattern::with_flags(&source, &flags)
            .map(Kind::Regex)
            .map_err(|problem| ExprError::Syntax(format!("invalid pattern at character {}: {problem}", start + 1)))
    }

    /// The pattern text up to the unescaped `close`, which is consumed.
    fn regex_body(&mut self, close: char) -> Option<String> {
        let mut source = String::new();
        loop {
            let c = self.peek()?;
            self.pos += 1;
            if c == close {
                return Some(source);
            }
            source.push(c);
            if c == '\\' {
                source.push(self.peek()?);
                self.pos += 1;
            }
        }
    }
}

/// The delimiter closing `m(`, `m{`, `m[`, `m<`, or the same one for others (`m!…!`).
fn closing_delimiter(open: char) -> char {
    match open {
        '(' => ')',
        '{' => '}',
        '[' => ']',
        '<' => '>',
        other => other,
    }
}

// ---------------------------------------------------------------------------------------
// Parser
// ---------------------------------------------------------------------------------------

/// Recursive descent over the tokens, one function per Perl precedence level.
struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
}

/// Parser results.
type Parsed = std::result::Result<Node, ExprError>;

impl Parser {
    /// The current token (the `End` token once past the end).
    fn current(&self) -> Option<&Token> {
        self.tokens.get(self.pos).or_else(|| self.tokens.last())
    }

    /// Consumes the current token when it is the operator `op`.
    fn eat_op(&mut self, op: &str) -> bool {
        let found = self.current().is_some_and(|t| t.is_op(op));
        if found {
            self.pos += 1;
        }
        found
    }

    /// Consumes the current token when it is the word `word`.
    fn eat_word(&mut self, word: &str) -> bool {
        let found = self.current().is_some_and(|t| t.is_word(word));
        if found {
            self.pos += 1;
        }
        found
    }

    /// The first of `ops` that the current token is, consumed.
    fn eat_any<T: Copy>(&mut self, ops: &[(&str, T)]) -> Option<T> {
        let token = self.current()?;
        let found = ops.iter().find(|(name, _)| token.is_op(name) || token.is_word(name)).map(|(_, value)| *value);
        if found.is_some() {
            self.pos += 1;
        }
        found
    }

    /// The token before the current one, for "missing operand after" messages.
    fn previous(&self) -> Option<&Token> {
        self.pos.checked_sub(1).and_then(|at| self.tokens.get(at))
    }

    /// An error about the current token.
    fn unexpected(&self) -> ExprError {
        match self.current() {
            Some(token) if token.is_op(")") => syntax(token.at, "unmatched ')'"),
            Some(token) if matches!(token.kind, Kind::End) => syntax(token.at, "unexpected end"),
            Some(token) => syntax(token.at, format!("unexpected {token}")),
            None => syntax(1, "unexpected end"),
        }
    }

    /// Runs `parse` one nesting level deeper, refusing absurd nesting.
    fn nested(&mut self, parse: fn(&mut Parser) -> Parsed) -> Parsed {
        if self.depth >= MAX_NESTING {
            let at = self.current().map_or(1, |t| t.at);
            return Err(syntax(at, "the expression is nested too deeply"));
        }
        self.depth += 1;
        let result = parse(self);
        self.depth -= 1;
        result
    }

    /// The whole expression, with tolerated trailing `;`.
    fn parse_all(&mut self) -> Parsed {
        while self.eat_op(";") {}
        if self.current().is_some_and(|t| matches!(t.kind, Kind::End)) {
            return Ok(Node::Literal(Value::Undef));
        }
        let root = self.low_or()?;
        while self.eat_op(";") {}
        match self.current() {
            Some(token) if matches!(token.kind, Kind::End) => Ok(root),
            _ => Err(self.unexpected()),
        }
    }

    /// `or` (lowest precedence).
    fn low_or(&mut self) -> Parsed {
        let mut left = self.low_and()?;
        while self.eat_word("or") {
            let right = self.operand_after(Parser::low_and)?;
            left = Node::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    /// `and`.
    fn low_and(&mut self) -> Parsed {
        let mut left = self.low_not()?;
        while self.eat_word("and") {
            let right = self.operand_after(Parser::low_not)?;
            left = Node::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    /// `not` (right associative).
    fn low_not(&mut self) -> Parsed {
        if self.eat_word("not") {
            let operand = self.operand_after(|p| p.nested(Parser::low_not))?;
            return Ok(Node::Not(Box::new(operand)));
        }
        self.ternary()
    }

    /// `?:` (right associative).
    fn ternary(&mut self) -> Parsed {
        let test = self.or_or()?;
        let Some(question) = self.current().filter(|t| t.is_op("?")).cloned() else {
            return Ok(test);
        };
        self.pos += 1;
        let then = self.operand_after(|p| p.nested(Parser::ternary))?;
        if !self.eat_op(":") {
            return Err(syntax(question.at, "':' is missing after '?'"));
        }
        let otherwise = self.operand_after(|p| p.nested(Parser::ternary))?;
        Ok(Node::Cond(Box::new(test), Box::new(then), Box::new(otherwise)))
    }

    /// `||`.
    fn or_or(&mut self) -> Parsed {
        let mut left = self.and_and()?;
        while self.eat_op("||") {
            let right = self.operand_after(Parser::and_and)?;
            left = Node::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    /// `&&`.
    fn and_and(&mut self) -> Parsed {
        let mut left = self.equality()?;
        while self.eat_op("&&") {
            let right = self.operand_after(Parser::equality)?;
            left = Node::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    /// `== != eq ne` (chained, as in Perl 5.32+).
    fn equality(&mut self) -> Parsed {
        const OPS: [(&str, Compare); 4] = [
            ("==", numeric(Test::Eq)),
            ("!=", numeric(Test::Ne)),
            ("eq", textual(Test::Eq)),
            ("ne", textual(Test::Ne)),
        ];
        self.comparison_chain(&OPS, Parser::relational)
    }

    /// `< > <= >= lt gt le ge` (chained).
    fn relational(&mut self) -> Parsed {
        const OPS: [(&str, Compare); 8] = [
            ("<=", numeric(Test::Le)),
            (">=", numeric(Test::Ge)),
            ("<", numeric(Test::Lt)),
            (">", numeric(Test::Gt)),
            ("lt", textual(Test::Lt)),
            ("gt", textual(Test::Gt)),
            ("le", textual(Test::Le)),
            ("ge", textual(Test::Ge)),
        ];
        self.comparison_chain(&OPS, Parser::additive)
    }

    /// A chain of comparisons of one precedence level.
    fn comparison_chain(&mut self, ops: &[(&str, Compare)], operand: fn(&mut Parser) -> Parsed) -> Parsed {
        let first = operand(self)?;
        let mut links = Vec::new();
        while let Some(op) = self.eat_any(ops) {
            links.push((op, self.operand_after(operand)?));
        }
        if links.is_empty() {
            Ok(first)
        } else {
            Ok(Node::Chain(Box::new(first), links))
        }
    }

    /// `+ - .`.
    fn additive(&mut self) -> Parsed {
        const OPS: [(&str, Arith); 3] = [("+", Arith::Add), ("-", Arith::Sub), (".", Arith::Concat)];
        self.arith_level(&OPS, Parser::multiplicative)
    }

    /// `* / %`.
    fn multiplicative(&mut self) -> Parsed {
        const OPS: [(&str, Arith); 3] = [("*", Arith::Mul), ("/", Arith::Div), ("%", Arith::Mod)];
        self.arith_level(&OPS, Parser::binding)
    }

    /// A left-associative level of arithmetic operators.
    fn arith_level(&mut self, ops: &[(&str, Arith)], operand: fn(&mut Parser) -> Parsed) -> Parsed {
        let mut left = operand(self)?;
        while let Some(op) = self.eat_any(ops) {
            let right = self.operand_after(operand)?;
            left = Node::Arith(op, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    /// `=~ !~` with the pattern the lexer compiled.
    fn binding(&mut self) -> Parsed {
        let mut target = self.unary()?;
        while let Some(negate) = self.eat_any(&[("=~", false), ("!~", true)]) {
            let pattern = match self.current().map(|t| &t.kind) {
                Some(Kind::Regex(pattern)) => pattern.clone(),
                _ => return Err(self.unexpected()),
            };
            self.pos += 1;
            target = Node::Match { target: Box::new(target), pattern, negate };
        }
        Ok(target)
    }

    /// `!`, unary `-` and `+` (right associative).
    fn unary(&mut self) -> Parsed {
        if self.eat_op("!") {
            let operand = self.operand_after(|p| p.nested(Parser::unary))?;
            return Ok(Node::Not(Box::new(operand)));
        }
        if self.eat_op("-") {
            let operand = self.operand_after(|p| p.nested(Parser::unary))?;
            return Ok(Node::Neg(Box::new(operand)));
        }
        if self.eat_op("+") {
            return self.operand_after(|p| p.nested(Parser::unary));
        }
        self.term()
    }

    /// Parses the operand expected after the operator just consumed, with a clear message
    /// when it is missing.
    fn operand_after(&mut self, operand: fn(&mut Parser) -> Parsed) -> Parsed {
        let missing = self.current().is_some_and(|t| !starts_operand(t));
        match (missing, self.previous()) {
            (true, Some(op)) => Err(syntax(op.at, format!("an operand is missing after {op}"))),
            _ => operand(self),
        }
    }

    /// A literal, a variable, a parenthesised expression or a function call.
    fn term(&mut self) -> Parsed {
        let Some(token) = self.current().cloned() else {
            return Err(syntax(1, "unexpected end"));
        };
        let node = match token.kind {
            Kind::Num(n) => Node::Literal(Value::Num(n)),
            Kind::Str(s) => Node::Literal(Value::Str(s)),
            Kind::Var(name) => Node::Var(name),
            Kind::Op("(") => return self.parenthesised(token.at),
            Kind::Word(name)
                if !is_operator_word(&name) && self.tokens.get(self.pos + 1).is_some_and(|t| t.is_op("(")) =>
            {
                return self.call(name, token.at);
            }
            _ => return Err(self.unexpected()),
        };
        self.pos += 1;
        Ok(node)
    }

    /// `( expression )`, the current token being `(`.
    fn parenthesised(&mut self, open_at: usize) -> Parsed {
        self.pos += 1;
        let inner = self.operand_after(|p| p.nested(Parser::low_or))?;
        if self.eat_op(")") {
            Ok(inner)
        } else {
            Err(syntax(open_at, "'(' is not closed"))
        }
    }

    /// `name( args )`, the current token being the name.
    fn call(&mut self, name: String, at: usize) -> Parsed {
        self.pos += 2;
        let mut args = Vec::new();
        if !self.eat_op(")") {
            loop {
                args.push(self.operand_after(|p| p.nested(Parser::ternary))?);
                if self.eat_op(")") {
                    break;
                }
                if !self.eat_op(",") {
                    return Err(syntax(at, format!("the call of {name}() is not closed")));
                }
            }
        }
        let function = match name.as_str() {
            "lc" => Builtin::Lc,
            "uc" => Builtin::Uc,
            "length" => Builtin::Length,
            "defined" => Builtin::Defined,
            _ => return Ok(Node::Call(name, args)),
        };
        match <[Node; 1]>::try_from(args) {
            Ok([argument]) => Ok(Node::Builtin(function, Box::new(argument))),
            Err(_) => Err(syntax(at, format!("{name}() takes exactly one argument"))),
        }
    }
}

/// Whether a token can begin an operand.
fn starts_operand(token: &Token) -> bool {
    match &token.kind {
        Kind::Num(_) | Kind::Str(_) | Kind::Var(_) => true,
        Kind::Op(op) => matches!(*op, "(" | "!" | "-" | "+"),
        Kind::Word(word) => word == "not" || !is_operator_word(word),
        Kind::Regex(_) | Kind::End => false,
    }
}

/// Words that are operators, never function names.
fn is_operator_word(word: &str) -> bool {
    matches!(word, "and" | "or" | "not" | "eq" | "ne" | "lt" | "gt" | "le" | "ge")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A mailbox as the mailbox-usage status counter sees it (3797579269 bytes used).
    fn mailbox(name: &str) -> Option<Value> {
        match name {
            "used" => Some(Value::Str("3797579269".to_string())),
            "display" => Some(Value::Str("user000006@contoso.onmicrosoft.com".to_string())),
            "issue_warning_quota" => Some(Value::Str(String::new())),
            _ => None,
        }
    }

    /// Parses with `%{name}` variables, whatever names the text uses.
    fn parse(src: &str) -> Expr {
        match Expr::parse_syntax(src, VariableSyntax::Braces) {
            Ok(expr) => expr,
            Err(error) => panic!("{src:?} should parse: {error}"),
        }
    }

    /// Parses with `%{name}` and `%(name)` variables, whatever names the text uses.
    fn parse_paren(src: &str) -> Expr {
        match Expr::parse_syntax(src, VariableSyntax::BracesOrParentheses) {
            Ok(expr) => expr,
            Err(error) => panic!("{src:?} should parse: {error}"),
        }
    }

    /// The syntax error of `src` (with `%{name}` variables), empty when it parses.
    fn syntax_error(src: &str) -> String {
        Expr::parse_syntax(src, VariableSyntax::Braces).err().map(|e| e.to_string()).unwrap_or_default()
    }

    const STATUS: Dialect<'static> =
        Dialect { syntax: VariableSyntax::Braces, variables: &["used", "display"], functions: &[] };

    fn value_of(src: &str) -> Value {
        parse(src).eval(&|_: &str| None)
    }

    fn text_of(src: &str) -> String {
        value_of(src).text()
    }

    /// Expressions run against the Perl plugin, and whether each was true for the mailbox.
    #[test]
    fn observed_status_expressions() {
        let cases: &[(&str, bool)] = &[
            ("%{used} > 1000000000", true),
            ("%{used} > 1000000000 and %{used} < 2", false),
            ("%{used} > 1 || 0", true),
            ("%{display} =~ /user0000/", true),
            ("%{display} !~ /user0000/i", false),
            ("%{foo} > 1", false),
            ("%{used} > 1", true),
            ("%{used} > 2", true),
            ("%{used} > 3", true),
            ("%{used} > %{issue_warning_quota}", true),
        ];
        for (src, expected) in cases {
            assert_eq!(parse(src).is_true(&mailbox), *expected, "{src}");
        }
    }

    #[test]
    fn observed_syntax_errors() {
        assert_eq!(syntax_error("%{used} >"), "syntax error at character 9: an operand is missing after '>'");
        let paren = syntax_error("%(used) > 1");
        assert!(paren.starts_with("syntax error at character 1: "), "{paren}");
    }

    #[test]
    fn documented_expressions() {
        let health = |name: &str| match name {
            "status" => Some(Value::Str("serviceDegradation".to_string())),
            "classification" => Some(Value::Str("incident".to_string())),
            "issue_resolved" => Some(Value::Num(0.0)),
            _ => None,
        };
        assert!(parse("%{status} !~ /serviceOperational|serviceRestored/i").is_true(&health));
        assert!(parse("%{classification} eq 'incident' and %{issue_resolved} == 0").is_true(&health));

        let output = |name: &str| match name {
            "short_output" => Some(Value::Str("OK: Active mailboxes on 2026-11-22 : 12/40 ".to_string())),
            "exit_code" => Some(Value::Num(0.0)),
            _ => None,
        };
        assert!(parse_paren("%(short_output) =~ /Active mailboxes/").is_true(&output));
        assert!(parse_paren("%{exit_code} == 0").is_true(&output));
        assert!(!parse_paren("%{short_output} =~ /First/").is_true(&output));

        let perf = |name: &str| match name {
            "value" => Some(Value::Str("130010988069".to_string())),
            "unit" => Some(Value::Str("B".to_string())),
            "min" => Some(Value::Str(String::new())),
            _ => None,
        };
        assert!(parse_paren("%(value) > 100000").is_true(&perf));
        assert!(parse_paren(r#"%(unit) eq "B" and %(value) > 1000000000"#).is_true(&perf));
        assert!(parse_paren("%{unit} eq \"B\"").is_true(&perf));
        assert!(parse_paren("%(min) == 0").is_true(&perf));
    }

    #[test]
    fn perl_value_semantics() {
        let cases: &[(&str, &str)] = &[
            ("'' == 0", "1"),
            ("'abc' == 'def'", "1"),
            ("'12abc' + 1", "13"),
            ("'3' . 4", "34"),
            ("1 . 5", "15"),
            ("10 / 4", "2.5"),
            ("1 / 3", "0.333333333333333"),
            ("0.1 + 0.2", "0.3"),
            ("-7 % 3", "2"),
            ("7 % -3", "-2"),
            ("7.9 % 3", "1"),
            ("-7.5 % 2", "1"),
            ("1 < 2", "1"),
            ("2 < 1", ""),
            ("'10' lt '9'", "1"),
            ("'b' ge 'a'", "1"),
            ("0 || 'x'", "x"),
            ("'y' && 0", "0"),
            ("'' || 0", "0"),
            ("'0.0' ? 'true' : 'false'", "true"),
            ("'0' ? 'true' : 'false'", "false"),
            ("'00' ? 'true' : 'false'", "true"),
            ("1 < 2 < 3", "1"),
            ("3 > 2 > 1", "1"),
            ("1 < 3 < 2", ""),
            ("1 == 1 == 1", "1"),
            ("lc('ABC') . uc('def')", "abcDEF"),
            ("length('héllo')", "5"),
            ("defined(%{nothing}) ? 1 : 0", "0"),
            ("defined(0)", "1"),
            ("length(%{nothing})", ""),
            ("-3", "-3"),
            ("- -3", "3"),
            ("-'abc'", "-abc"),
            ("-'-abc'", "+abc"),
            ("-'+abc'", "-abc"),
            ("- -'abc'", "+abc"),
            ("-'-5'", "5"),
            ("-'5x'", "-5"),
            ("-''", "0"),
            ("-'ab' =~ /^-a/", "1"),
            ("+3", "3"),
            ("10.5", "10.5"),
            (".5", "0.5"),
            ("1e9", "1000000000"),
            ("1E-3", "0.001"),
            (r"'a\'b'", "a'b"),
            (r"'a\nb'", "a\\nb"),
            (r#""a\"b\\c\n""#, "a\"b\\c\n"),
            (r#""user@contoso $x""#, "user@contoso $x"),
            ("%{x}", ""),
            ("1;", "1"),
            ("1 ;;", "1"),
            ("1 and .5", "0.5"),
            ("'0.5' eq .5", "1"),
            ("", ""),
            (" ; ", ""),
        ];
        for (src, expected) in cases {
            assert_eq!(text_of(src), *expected, "{src}");
        }
    }

    #[test]
    fn division_by_zero_is_undef() {
        assert_eq!(value_of("1 / 0"), Value::Undef);
        assert_eq!(value_of("1 % 0"), Value::Undef);
        assert_eq!(value_of("1 % 0.5"), Value::Undef);
        assert!(!parse("1 / 0").is_true(&|_: &str| None));
    }

    /// Perl precedence: `||` binds tighter than `and`, `!` tighter than `==` and `=~`.
    #[test]
    fn precedence() {
        let cases: &[(&str, &str)] = &[
            ("1 || 0 and 0", "0"),
            ("0 and 1 || 1", "0"),
            ("!1 == 0", "1"),
            ("!0 + 1", "2"),
            ("not 1 == 0", "1"),
            ("not 0 and 0", "0"),
            ("1 or 0 and 0", "1"),
            ("1 + 2 * 3", "7"),
            ("(1 + 2) * 3", "9"),
            ("10 - 2 - 3", "5"),
            ("2 . 3 + 1", "24"),
            ("1 + 1 . 1", "21"),
            ("1 < 2 == 1", "1"),
            ("1 ? 2 : 3 ? 4 : 5", "2"),
            ("0 ? 2 : 0 ? 4 : 5", "5"),
            ("0 || 1 ? 'a' : 'b'", "a"),
            ("-2 * 3", "-6"),
            ("'ab' =~ /b/ . 'x'", "1x"),
            ("!'ab' =~ /^$/", "1"),
            ("1 && 2 || 3", "2"),
            ("not not 5", "1"),
        ];
        for (src, expected) in cases {
            assert_eq!(text_of(src), *expected, "{src}");
        }
    }

    #[test]
    fn regex_literals() {
        let cases: &[(&str, bool)] = &[
            ("'ABC' =~ /b/i", true),
            ("'ABC' =~ /b/", false),
            ("'a/b' =~ /a\\/b/", true),
            ("'a/b' =~ m{a/b}", true),
            ("'a/b' =~ m!a/b!", true),
            ("'a\nb' =~ /^b/m", true),
            ("\"a\nb\" =~ /^b/m", true),
            ("\"a\nb\" =~ /^b/", false),
            ("'abc' =~ /x/g || 'abc' !~ /x/", true),
            ("'svc_x' =~ /^(?!svc_)/", false),
        ];
        for (src, expected) in cases {
            assert_eq!(parse(src).is_true(&|_: &str| None), *expected, "{src}");
        }
    }

    #[test]
    fn names_are_listed_once() {
        let expr = parse_paren("%{a} > %(b) and alert_triggered() or %{a} eq lc(%{c}) or f(%{d}, 1)");
        assert_eq!(expr.variables(), vec!["a", "b", "c", "d"]);
        assert_eq!(expr.functions(), vec!["alert_triggered", "f"]);
        assert!(parse("1").variables().is_empty());
    }

    #[test]
    fn names_unknown_to_the_use_site_are_refused() {
        assert!(Expr::parse("%{used} > 1 and lc(%{display}) eq 'x' and length('a') and defined(1)", &STATUS).is_ok());
        assert_eq!(
            Expr::parse("%{foo} > 1", &STATUS).err(),
            Some(ExprError::UnknownVariable { name: "foo".into(), known: vec!["used".into(), "display".into()] })
        );
        let unknown = Expr::parse("foo(%{used})", &STATUS).err().map(|e| e.to_string()).unwrap_or_default();
        assert_eq!(unknown, "unknown function foo() (known: lc(), uc(), length(), defined())");
        assert!(Expr::parse("system('id')", &STATUS).is_err(), "no function runs anything");
        let perfdata = Dialect {
            syntax: VariableSyntax::BracesOrParentheses,
            variables: &["value"],
            functions: &["alert_triggered"],
        };
        assert!(Expr::parse("alert_triggered() or %(value) > 1", &perfdata).is_ok());
        let typo = Expr::parse("alert_trigered()", &perfdata).err().map(|e| e.to_string()).unwrap_or_default();
        assert_eq!(
            typo,
            "unknown function alert_trigered() (known: lc(), uc(), length(), defined(), alert_triggered())"
        );
        assert!(matches!(Expr::parse("%(value) >", &perfdata), Err(ExprError::Syntax(_))));
        assert!(matches!(Expr::parse("%(value) > 1", &STATUS), Err(ExprError::Syntax(_))));
    }

    #[test]
    fn calls_go_to_the_scope() {
        struct Perf;
        impl Scope for Perf {
            fn var(&self, name: &str) -> Option<Value> {
                (name == "value").then_some(Value::Num(5.0))
            }
            fn call(&self, name: &str, args: &[Value]) -> Option<Value> {
                match name {
                    "alert_triggered" => Some(Value::Num(1.0)),
                    "sum" => Some(Value::Num(args.iter().map(Value::num).sum())),
                    _ => None,
                }
            }
        }
        assert!(parse("alert_triggered()").is_true(&Perf));
        assert_eq!(parse("sum(%{value}, 2, '3')").eval(&Perf), Value::Num(10.0));
        assert_eq!(parse("unknown(1)").eval(&Perf), Value::Undef);
        assert_eq!(parse("alert_triggered()").eval(&|_: &str| None), Value::Undef);
    }

    #[test]
    fn values_convert_like_perl() {
        assert!(!Value::Undef.truthy());
        assert!(!Value::Str("0".to_string()).truthy());
        assert!(!Value::Str(String::new()).truthy());
        assert!(!Value::Num(0.0).truthy());
        assert!(Value::Str("0.0".to_string()).truthy());
        assert!(Value::Num(f64::NAN).truthy());
        assert_eq!(Value::Str(" 12abc".to_string()).num(), 12.0);
        assert_eq!(Value::Undef.num(), 0.0);
        assert_eq!(Value::Num(30.0).text(), "30");
        assert_eq!(Value::Undef.text(), "");
    }

    #[test]
    fn syntax_errors_say_what_and_where() {
        let cases: &[(&str, &str)] = &[
            ("1 +", "syntax error at character 3: an operand is missing after '+'"),
            ("1 + * 2", "syntax error at character 3: an operand is missing after '+'"),
            ("* 2", "syntax error at character 1: unexpected '*'"),
            ("(1 + 2", "syntax error at character 1: '(' is not closed"),
            ("1 + 2)", "syntax error at character 6: unmatched ')'"),
            ("1 2", "syntax error at character 3: unexpected '2'"),
            ("%{a} %{b}", "syntax error at character 6: unexpected '%{b}'"),
            ("1 ? 2", "syntax error at character 3: ':' is missing after '?'"),
            ("'abc", "syntax error at character 1: the string is not closed"),
            ("%{abc", "syntax error at character 1: the variable is not closed by '}'"),
            ("%{}", "syntax error at character 1: the variable has no name"),
            ("1 = 1", "syntax error at character 3: unexpected character '='"),
            ("system('id')", ""),
            ("`id`", "syntax error at character 1: unexpected character '`'"),
            ("$x", "syntax error at character 1: unexpected character '$'"),
            ("%{a} =~ 'x'", "syntax error at character 9: a /pattern/ is expected after a match operator"),
            ("%{a} =~ /x", "syntax error at character 9: the pattern is not closed"),
            ("%{a} =~ /x/z", "syntax error at character 12: unknown pattern flag 'z'"),
            ("%{a} =~ /(/", "invalid pattern at character 9: unclosed group"),
            ("lc(1, 2)", "syntax error at character 1: lc() takes exactly one argument"),
            ("defined()", "syntax error at character 1: defined() takes exactly one argument"),
            ("f(1", "syntax error at character 1: the call of f() is not closed"),
            ("f(1,)", "syntax error at character 4: an operand is missing after ','"),
            ("foo", "syntax error at character 1: unexpected 'foo'"),
            ("1 and", "syntax error at character 3: an operand is missing after 'and'"),
            ("not", "syntax error at character 1: an operand is missing after 'not'"),
            ("1 eq", "syntax error at character 3: an operand is missing after 'eq'"),
            ("()", "syntax error at character 1: an operand is missing after '('"),
        ];
        for (src, expected) in cases {
            let error = syntax_error(src);
            if expected.is_empty() {
                assert!(error.is_empty(), "{src}: {error}");
            } else {
                assert_eq!(error, *expected, "{src}");
            }
        }
    }

    #[test]
    fn paren_variables_only_when_allowed() {
        assert_eq!(parse_paren("%(a)").variables(), vec!["a"]);
        assert!(!syntax_error("(%(a))").is_empty());
        assert_eq!(text_of("10 %(3)"), "1");
        assert_eq!(text_of("10 % 3"), "1");
    }

    #[test]
    fn absurd_nesting_is_refused_not_overflowed() {
        let deep = format!("{}1{}", "(".repeat(5000), ")".repeat(5000));
        let error = syntax_error(&deep);
        assert!(error.contains("too"), "{error}");
        let bangs = format!("{}1", "!".repeat(500));
        assert!(!syntax_error(&bangs).is_empty());
        let long = vec!["1"; 2000].join(" + ");
        assert!(!syntax_error(&long).is_empty());
        let fine = vec!["1"; 400].join(" + ");
        assert_eq!(text_of(&fine), "400");
    }

    proptest! {
        #[test]
        fn parse_never_panics(src in "\\PC*") {
            if let Ok(expr) = Expr::parse_syntax(&src, VariableSyntax::BracesOrParentheses) {
                let _ = expr.eval(&|_: &str| Some(Value::Str("12abc".to_string())));
            }
            let _ = Expr::parse(&src, &STATUS);
        }

        #[test]
        fn parse_never_panics_on_expression_alphabet(
            src in "[%{}()'\"/\\!=~<>&|+*.?:;, 0-9a-z_émx\\-]{0,40}"
        ) {
            for syntax in [VariableSyntax::Braces, VariableSyntax::BracesOrParentheses] {
                if let Ok(expr) = Expr::parse_syntax(&src, syntax) {
                    let _ = expr.variables();
                    let _ = expr.functions();
                    let _ = expr.eval(&|_: &str| Some(Value::Num(0.0)));
                    let _ = expr.is_true(&|_: &str| None);
                }
            }
        }
    }
}
