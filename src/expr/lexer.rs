//! The tokens of an expression: numbers, strings, variables, regexes, words and
//! operators, each with its position for messages.

use std::fmt;

use super::error::ExprError;
use crate::number;
use crate::pattern::Pattern;

/// How a use site lets users write variables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VariableSyntax {
    /// `%{name}` only: status options, where Perl reads `%(name)` as a syntax error.
    Braces,
    /// `%{name}` and `%(name)`: `--filter-perfdata-adv` and `--change-output-adv`.
    BracesOrParentheses,
}

/// What a token is.
#[derive(Debug, Clone)]
pub(super) enum Kind {
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
pub(super) struct Token {
    pub(super) kind: Kind,
    pub(super) at: usize,
    pub(super) text: String,
}

impl Token {
    /// Whether the token is the operator `op`.
    pub(super) fn is_op(&self, op: &str) -> bool {
        matches!(self.kind, Kind::Op(own) if own == op)
    }

    /// Whether the token is the word `word`.
    pub(super) fn is_word(&self, word: &str) -> bool {
        matches!(&self.kind, Kind::Word(own) if own == word)
    }

    /// Whether an operand has just ended with this token (so `.` and `%` are operators).
    pub(super) fn ends_operand(&self) -> bool {
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
pub(super) fn syntax(at: usize, problem: impl fmt::Display) -> ExprError {
    ExprError::Syntax(format!("syntax error at character {at}: {problem}"))
}

/// Splits an expression into tokens, ending with [`Kind::End`].
pub(super) fn tokenize(src: &str, syntax: VariableSyntax) -> std::result::Result<Vec<Token>, ExprError> {
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

/// Words that are operators, never function names.
pub(super) fn is_operator_word(word: &str) -> bool {
    matches!(word, "and" | "or" | "not" | "eq" | "ne" | "lt" | "gt" | "le" | "ge")
}
