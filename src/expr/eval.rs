//! The syntax tree and its evaluation with Perl's value semantics.

use super::value::{Scope, Value};
use crate::number;
use crate::pattern::Pattern;

/// Arithmetic and concatenation operators.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Arith {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Concat,
}

/// A comparison: what it compares (numbers or strings) and how.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Compare {
    pub(super) numeric: bool,
    pub(super) test: Test,
}

/// The relation a comparison tests.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Test {
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
}

impl Test {
    /// Whether `a` and `b` are in this relation (false for NaN except `!=`, as in Perl).
    pub(super) fn holds<T: PartialOrd + ?Sized>(self, a: &T, b: &T) -> bool {
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
pub(super) const fn numeric(test: Test) -> Compare {
    Compare { numeric: true, test }
}

/// A string comparison.
pub(super) const fn textual(test: Test) -> Compare {
    Compare { numeric: false, test }
}

/// Functions evaluated here rather than by the scope.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Builtin {
    Lc,
    Uc,
    Length,
    Defined,
}

/// A node of the syntax tree.
#[derive(Debug, Clone)]
pub(super) enum Node {
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
    pub(super) fn eval(&self, scope: &dyn Scope) -> Value {
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
    pub(super) fn visit(&self, visit: &mut dyn FnMut(&Node)) {
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
