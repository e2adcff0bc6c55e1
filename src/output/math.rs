//! The arithmetic of the `math(EXPR)` perfdata method: numbers, `current`, `+ - * / **`
//! and parentheses, nothing else.
//!
//! Perl `eval`s the expression; this is a tiny evaluator instead, so a command line can
//! never run code. The grammar follows Perl precedence: `**` binds tighter than unary
//! minus and is right-associative (`-2**2` = −4, `2**3**2` = 512).

/// Longest accepted expression, in tokens.
pub const MAX_TOKENS: usize = 256;

/// A parsed `math()` expression.
#[derive(Debug, Clone, PartialEq)]
pub enum MathExpr {
    /// A literal number.
    Number(f64),
    /// The record's value (`current`).
    Current,
    /// Unary minus.
    Negate(Box<MathExpr>),
    /// A binary operation.
    Binary(Op, Box<MathExpr>, Box<MathExpr>),
}

/// A binary operator.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Op {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
}

impl MathExpr {
    /// Parses an expression; `None` on any syntax error or when it is longer than
    /// [`MAX_TOKENS`] (which bounds the parser's recursion).
    pub fn parse(text: &str) -> Option<MathExpr> {
        let tokens = tokenize(text)?;
        if tokens.len() > MAX_TOKENS {
            return None;
        }
        let mut parser = Parser { tokens: &tokens, pos: 0 };
        let expr = parser.sum()?;
        (parser.pos == tokens.len()).then_some(expr)
    }

    /// The result with `current` = `value`; `None` on a division by zero (Perl's eval
    /// fails and the value is left unchanged).
    pub fn eval(&self, value: f64) -> Option<f64> {
        Some(match self {
            MathExpr::Number(n) => *n,
            MathExpr::Current => value,
            MathExpr::Negate(inner) => -inner.eval(value)?,
            MathExpr::Binary(op, left, right) => {
                let (l, r) = (left.eval(value)?, right.eval(value)?);
                match op {
                    Op::Add => l + r,
                    Op::Sub => l - r,
                    Op::Mul => l * r,
                    Op::Div if r == 0.0 => return None,
                    Op::Div => l / r,
                    Op::Pow => l.powf(r),
                }
            }
        })
    }
}

/// A lexical token.
#[derive(Debug, Clone, PartialEq)]
enum Token {
    Number(f64),
    Current,
    Plus,
    Minus,
    Star,
    Slash,
    Power,
    Open,
    Close,
}

/// Splits the text into tokens; `None` on a character outside the grammar.
fn tokenize(text: &str) -> Option<Vec<Token>> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut pos = 0;
    while pos < bytes.len() {
        let rest = &text[pos..];
        let (token, len) = match bytes[pos] {
            c if c.is_ascii_whitespace() => {
                pos += 1;
                continue;
            }
            b'+' => (Token::Plus, 1),
            b'-' => (Token::Minus, 1),
            b'*' if rest.starts_with("**") => (Token::Power, 2),
            b'*' => (Token::Star, 1),
            b'/' => (Token::Slash, 1),
            b'(' => (Token::Open, 1),
            b')' => (Token::Close, 1),
            b'0'..=b'9' | b'.' => {
                let len = rest.bytes().take_while(|b| b.is_ascii_digit() || *b == b'.').count();
                let literal = &rest[..len];
                if literal == "." || literal.matches('.').count() > 1 {
                    return None;
                }
                (Token::Number(literal.parse().ok()?), len)
            }
            _ if rest.starts_with("current") => (Token::Current, "current".len()),
            _ => return None,
        };
        tokens.push(token);
        pos += len;
    }
    Some(tokens)
}

/// Recursive-descent parser over the tokens.
struct Parser<'a> {
    tokens: &'a [Token],
    pos: usize,
}

impl Parser<'_> {
    fn next_is(&mut self, token: &Token) -> bool {
        let found = self.tokens.get(self.pos) == Some(token);
        if found {
            self.pos += 1;
        }
        found
    }

    fn sum(&mut self) -> Option<MathExpr> {
        let mut left = self.product()?;
        loop {
            let op = if self.next_is(&Token::Plus) {
                Op::Add
            } else if self.next_is(&Token::Minus) {
                Op::Sub
            } else {
                return Some(left);
            };
            left = MathExpr::Binary(op, Box::new(left), Box::new(self.product()?));
        }
    }

    fn product(&mut self) -> Option<MathExpr> {
        let mut left = self.unary()?;
        loop {
            let op = if self.next_is(&Token::Star) {
                Op::Mul
            } else if self.next_is(&Token::Slash) {
                Op::Div
            } else {
                return Some(left);
            };
            left = MathExpr::Binary(op, Box::new(left), Box::new(self.unary()?));
        }
    }

    fn unary(&mut self) -> Option<MathExpr> {
        if self.next_is(&Token::Minus) {
            return Some(MathExpr::Negate(Box::new(self.unary()?)));
        }
        if self.next_is(&Token::Plus) {
            return self.unary();
        }
        self.power()
    }

    fn power(&mut self) -> Option<MathExpr> {
        let base = self.primary()?;
        if self.next_is(&Token::Power) {
            return Some(MathExpr::Binary(Op::Pow, Box::new(base), Box::new(self.unary()?)));
        }
        Some(base)
    }

    fn primary(&mut self) -> Option<MathExpr> {
        let token = self.tokens.get(self.pos)?.clone();
        self.pos += 1;
        match token {
            Token::Number(n) => Some(MathExpr::Number(n)),
            Token::Current => Some(MathExpr::Current),
            Token::Open => {
                let inner = self.sum()?;
                self.next_is(&Token::Close).then_some(inner)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(text: &str, current: f64) -> Option<f64> {
        MathExpr::parse(text)?.eval(current)
    }

    #[test]
    fn follows_perl_precedence() {
        assert_eq!(eval("current / 1000000", 130010988069.0), Some(130010.988069));
        assert_eq!(eval("current ** 2", 250.0), Some(62500.0));
        assert_eq!(eval("-2**2", 0.0), Some(-4.0));
        assert_eq!(eval("2**3**2", 0.0), Some(512.0));
        assert_eq!(eval("2**-1", 0.0), Some(0.5));
        assert_eq!(eval("(current + 10) * 2 - .5", 5.0), Some(29.5));
    }

    #[test]
    fn division_by_zero_and_syntax_errors_give_none() {
        assert_eq!(eval("current / 0", 5.0), None);
        for bad in ["", "current +", "1 2", "(1", "1..2", "current()", "system(1)", "1 % 2"] {
            assert_eq!(MathExpr::parse(bad), None, "{bad}");
        }
    }
}
