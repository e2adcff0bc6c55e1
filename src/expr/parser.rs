//! Recursive descent from tokens to the syntax tree, one function per Perl precedence
//! level, refusing names the dialect does not define.

use super::error::ExprError;
use super::eval::{numeric, textual, Arith, Builtin, Compare, Node, Test};
use super::lexer::{is_operator_word, syntax, Kind, Token};
use super::value::Value;

/// Deepest accepted nesting of parentheses, unary operators and conditionals.
const MAX_NESTING: usize = 64;

/// Recursive descent over the tokens, one function per Perl precedence level.
pub(super) struct Parser {
    pub(super) tokens: Vec<Token>,
    pub(super) pos: usize,
    pub(super) depth: usize,
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
    pub(super) fn parse_all(&mut self) -> Parsed {
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
