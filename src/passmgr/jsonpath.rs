//! JSONPath lookups of the password managers: RFC 9535 JSONPath (`serde_json_path`),
//! plus the Perl filters of Perl's JSON::Path that real command lines use, which are
//! translated, never executed: `[?($_->{name} =~ /re/flags)]`, `!~`, `eq`, `ne`,
//! `==`, `!=` on one field, joined by `&&` / `||` (and parentheses).
//!
//! A path is cut at each Perl filter: the part before it is an RFC 9535 query, the
//! filter keeps the children of the nodes found that satisfy it, and the rest of the
//! path goes on from each child kept. JSON::Path's `.[` is read as `[`.

use serde_json::Value;
use serde_json_path::JsonPath;

use crate::pattern::Pattern;

/// The forms a Perl filter may take, for error messages.
const SUPPORTED: &str = "supported Perl filters are $_->{field} =~ /regex/flags, !~, eq, ne, == and != \
                         joined by && or ||; or use an RFC 9535 filter such as [?@.field == 'value']";

/// The first value `path` selects in `document`, as text (a string as it is, a
/// number or boolean as Perl prints it, an object or array as JSON); `None` when
/// nothing matches. The error says what is wrong with the path.
pub fn first(path: &str, document: &Value) -> Result<Option<String>, String> {
    let path = path.trim().replace(".[", "[");
    let stages = split(&path)?;
    let mut nodes: Vec<Value> = vec![document.clone()];
    for (index, (fragment, filter)) in stages.iter().enumerate() {
        let query = if index == 0 { fragment.clone() } else { format!("${fragment}") };
        let query = if query.is_empty() { "$".to_string() } else { query };
        let compiled = JsonPath::parse(&query).map_err(|e| {
            let hint = if path.contains("[?(") { format!(" ({SUPPORTED})") } else { String::new() };
            format!("invalid JSONPath '{path}': {e}{hint}")
        })?;
        let mut found: Vec<Value> = Vec::new();
        for node in &nodes {
            found.extend(compiled.query(node).all().into_iter().cloned());
        }
        nodes = match filter {
            None => found,
            Some(condition) => {
                let mut kept = Vec::new();
                for node in found {
                    let children: Vec<Value> = match node {
                        Value::Array(items) => items,
                        Value::Object(map) => map.into_iter().map(|(_, v)| v).collect(),
                        _ => Vec::new(),
                    };
                    for child in children {
                        if condition.holds(&child) {
                            kept.push(child);
                        }
                    }
                }
                kept
            }
        };
    }
    Ok(nodes.first().map(text))
}

/// A value as the managers map it into an option.
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        Value::Bool(b) => if *b { "1" } else { "" }.to_string(),
        other => other.to_string(),
    }
}

/// The path cut at its Perl filters: `(fragment before, filter after it)`, the last
/// fragment without a filter.
fn split(path: &str) -> Result<Vec<(String, Option<Condition>)>, String> {
    let mut stages = Vec::new();
    let mut rest = path;
    while let Some(start) = perl_filter_start(rest) {
        let body_start = start + "[?(".len();
        let end = filter_end(&rest[body_start..])
            .ok_or_else(|| format!("unterminated filter in JSONPath '{path}' ({SUPPORTED})"))?;
        let body = &rest[body_start..body_start + end];
        let condition = Parser::new(body).parse().map_err(|why| format!("filter '{body}': {why} ({SUPPORTED})"))?;
        stages.push((rest[..start].to_string(), Some(condition)));
        rest = &rest[body_start + end + ")]".len()..];
    }
    stages.push((rest.to_string(), None));
    Ok(stages)
}

/// Where the next filter written in Perl (`[?(` … `$_` …) starts.
fn perl_filter_start(path: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(at) = path[from..].find("[?(") {
        let start = from + at;
        let body = &path[start + 3..];
        let end = filter_end(body).unwrap_or(body.len());
        if body[..end].contains("$_") {
            return Some(start);
        }
        from = start + 3;
    }
    None
}

/// The length of a filter's body: up to the `)]` outside quotes and regexes.
fn filter_end(body: &str) -> Option<usize> {
    let bytes = body.as_bytes();
    let mut i = 0;
    let mut quote: Option<u8> = None;
    let mut regex = false;
    while i < bytes.len() {
        let c = bytes[i];
        match (quote, regex) {
            (Some(q), _) => {
                if c == b'\\' {
                    i += 1;
                } else if c == q {
                    quote = None;
                }
            }
            (None, true) => {
                if c == b'\\' {
                    i += 1;
                } else if c == b'/' {
                    regex = false;
                }
            }
            (None, false) => {
                if c == b'\'' || c == b'"' {
                    quote = Some(c);
                } else if c == b'/' && body[..i].trim_end().ends_with('~') {
                    regex = true;
                } else if c == b')' && bytes.get(i + 1) == Some(&b']') {
                    return Some(i);
                }
            }
        }
        i += 1;
    }
    None
}

/// A translated Perl filter.
#[derive(Debug)]
enum Condition {
    Or(Box<Condition>, Box<Condition>),
    And(Box<Condition>, Box<Condition>),
    Compare { field: Vec<String>, op: Op, operand: Operand },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Match,
    NoMatch,
    StrEq,
    StrNe,
    NumEq,
    NumNe,
}

#[derive(Debug)]
enum Operand {
    Regex(Pattern),
    Text(String),
}

impl Condition {
    fn holds(&self, node: &Value) -> bool {
        match self {
            Condition::Or(a, b) => a.holds(node) || b.holds(node),
            Condition::And(a, b) => a.holds(node) && b.holds(node),
            Condition::Compare { field, op, operand } => {
                let mut value = Some(node);
                for key in field {
                    value = value.and_then(|v| v.get(key));
                }
                let left = value.map(text).unwrap_or_default();
                match (op, operand) {
                    (Op::Match, Operand::Regex(re)) => re.is_match(&left),
                    (Op::NoMatch, Operand::Regex(re)) => !re.is_match(&left),
                    (Op::StrEq, Operand::Text(right)) => left == *right,
                    (Op::StrNe, Operand::Text(right)) => left != *right,
                    (Op::NumEq, Operand::Text(right)) => perl_number(&left) == perl_number(right),
                    (Op::NumNe, Operand::Text(right)) => perl_number(&left) != perl_number(right),
                    _ => false,
                }
            }
        }
    }
}

/// A string's numeric value as Perl reads it: its leading number, else 0.
fn perl_number(text: &str) -> f64 {
    let text = text.trim_start();
    let end = text
        .char_indices()
        .take_while(|(i, c)| c.is_ascii_digit() || *c == '.' || (*i == 0 && (*c == '-' || *c == '+')))
        .map(|(i, c)| i + c.len_utf8())
        .last()
        .unwrap_or(0);
    text[..end].parse().unwrap_or(0.0)
}

/// A recursive-descent reader of the supported Perl filter forms.
struct Parser<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Self {
        Parser { text, at: 0 }
    }

    fn parse(mut self) -> Result<Condition, String> {
        let condition = self.or()?;
        self.skip();
        if self.at < self.text.len() {
            return Err(format!("unexpected '{}'", &self.text[self.at..]));
        }
        Ok(condition)
    }

    fn rest(&self) -> &'a str {
        &self.text[self.at..]
    }

    fn skip(&mut self) {
        let rest = self.rest();
        self.at += rest.len() - rest.trim_start().len();
    }

    fn eat(&mut self, token: &str) -> bool {
        self.skip();
        if self.rest().starts_with(token) {
            self.at += token.len();
            true
        } else {
            false
        }
    }

    fn or(&mut self) -> Result<Condition, String> {
        let mut left = self.and()?;
        while self.eat("||") {
            left = Condition::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Condition, String> {
        let mut left = self.comparison()?;
        while self.eat("&&") {
            left = Condition::And(Box::new(left), Box::new(self.comparison()?));
        }
        Ok(left)
    }

    fn comparison(&mut self) -> Result<Condition, String> {
        if self.eat("(") {
            let inner = self.or()?;
            if !self.eat(")") {
                return Err("missing ')'".to_string());
            }
            return Ok(inner);
        }
        let field = self.field()?;
        self.skip();
        let op = [
            ("=~", Op::Match),
            ("!~", Op::NoMatch),
            ("==", Op::NumEq),
            ("!=", Op::NumNe),
            ("eq", Op::StrEq),
            ("ne", Op::StrNe),
        ]
        .into_iter()
        .find(|(token, _)| self.rest().starts_with(token))
        .map(|(token, op)| {
            self.at += token.len();
            op
        })
        .ok_or_else(|| format!("unsupported operator at '{}'", self.rest()))?;
        self.skip();
        let operand = match op {
            Op::Match | Op::NoMatch => Operand::Regex(self.regex()?),
            Op::NumEq | Op::NumNe => Operand::Text(self.number_or_string()?),
            Op::StrEq | Op::StrNe => Operand::Text(self.string()?),
        };
        Ok(Condition::Compare { field, op, operand })
    }

    /// `$_->{a}` or `$_->{a}->{b}` / `$_->{a}{b}`, keys bare or quoted.
    fn field(&mut self) -> Result<Vec<String>, String> {
        if !self.eat("$_") {
            return Err(format!("expected $_->{{field}} at '{}'", self.rest()));
        }
        let mut keys = Vec::new();
        loop {
            let arrow = self.eat("->");
            if !self.eat("{") {
                if arrow {
                    return Err("expected '{' after '->'".to_string());
                }
                break;
            }
            self.skip();
            let key = match self.rest().chars().next() {
                Some('\'' | '"') => self.string()?,
                _ => {
                    let end = self.rest().find('}').ok_or("missing '}'")?;
                    let key = self.rest()[..end].trim().to_string();
                    self.at += end;
                    key
                }
            };
            if !self.eat("}") {
                return Err("missing '}'".to_string());
            }
            keys.push(key);
        }
        if keys.is_empty() {
            return Err("expected $_->{field}".to_string());
        }
        Ok(keys)
    }

    /// `/re/flags` or `m/re/flags` (flags among i, m, s, x).
    fn regex(&mut self) -> Result<Pattern, String> {
        if self.rest().starts_with("m/") {
            self.at += 1;
        }
        if !self.eat("/") {
            return Err(format!("expected /regex/ at '{}'", self.rest()));
        }
        let rest = self.rest();
        let mut end = None;
        let mut escaped = false;
        for (i, c) in rest.char_indices() {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '/' => {
                    end = Some(i);
                    break;
                }
                _ => {}
            }
        }
        let end = end.ok_or("unterminated regex")?;
        let pattern = &rest[..end];
        self.at += end + 1;
        let flags: String = self.rest().chars().take_while(char::is_ascii_alphabetic).collect();
        self.at += flags.len();
        if let Some(bad) = flags.chars().find(|c| !"imsx".contains(*c)) {
            return Err(format!("unsupported regex flag '{bad}'"));
        }
        Pattern::with_flags(pattern, &flags).map_err(|e| format!("invalid regex /{pattern}/: {e}"))
    }

    /// A quoted string (`'…'` or `"…"`, backslash escapes taken literally).
    fn string(&mut self) -> Result<String, String> {
        self.skip();
        let quote = self.rest().chars().next().filter(|c| *c == '\'' || *c == '"');
        let Some(quote) = quote else {
            return Err(format!("expected a quoted string at '{}'", self.rest()));
        };
        if quote == '"'
            && self.rest().contains(['$', '@'])
            && self.rest()[1..].find('"').is_some_and(|end| self.rest()[1..=end].contains(['$', '@']))
        {
            return Err("interpolated strings are not supported".to_string());
        }
        self.at += 1;
        let mut value = String::new();
        let mut chars = self.rest().char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => {
                    if let Some((_, next)) = chars.next() {
                        value.push(next);
                    }
                }
                c if c == quote => {
                    self.at += i + 1;
                    return Ok(value);
                }
                c => value.push(c),
            }
        }
        Err("unterminated string".to_string())
    }

    fn number_or_string(&mut self) -> Result<String, String> {
        self.skip();
        if self.rest().starts_with(['\'', '"']) {
            return self.string();
        }
        let number: String = self
            .rest()
            .chars()
            .take_while(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'))
            .collect();
        if number.is_empty() {
            return Err(format!("expected a number at '{}'", self.rest()));
        }
        self.at += number.len();
        Ok(number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entries() -> Value {
        json!({"entries": [
            {"title": "ServeurX", "username": "admin", "password": "p1", "port": 8080},
            {"title": "serveury", "username": "root", "password": "p2", "port": 22}
        ]})
    }

    #[test]
    fn rfc_9535_paths_work() {
        let doc = entries();
        assert_eq!(first("$.entries[1].password", &doc).expect("ok"), Some("p2".into()));
        assert_eq!(first("$..entries[?@.title == 'serveury'].username", &doc).expect("ok"), Some("root".into()));
        assert_eq!(first("$.entries[0].port", &doc).expect("ok"), Some("8080".into()));
        assert_eq!(first("$.nothing", &doc).expect("ok"), None);
        assert!(first("$.entries[", &doc).expect_err("bad").contains("invalid JSONPath"));
    }

    #[test]
    fn perl_filters_are_translated() {
        let doc = entries();
        let cases = [
            ("$..entries.[?($_->{title} =~ /serveurx/i)].password", Some("p1")),
            ("$..entries[?($_->{title} =~ /serveurx/)].password", None),
            ("$..entries[?($_->{title} !~ /x$/i)].password", Some("p2")),
            ("$..entries[?($_->{title} eq \"serveury\")].password", Some("p2")),
            ("$..entries[?($_->{'title'} ne 'serveury')].password", Some("p1")),
            ("$..entries[?($_->{port} == 22)].username", Some("root")),
            ("$..entries[?($_->{port} != 22 && $_->{username} eq 'admin')].password", Some("p1")),
            ("$..entries[?($_->{port} == 1 || ($_->{username} eq 'root'))].password", Some("p2")),
        ];
        for (path, expected) in cases {
            assert_eq!(first(path, &doc).expect(path).as_deref(), expected, "{path}");
        }
    }

    #[test]
    fn nested_perl_filters_follow_the_keepass_tree() {
        let tree = json!({"Root": {"Group": [{"Entry": [
            {"Title": "other", "String": [{"Key": "Password", "Value": {"Protected": "True", "content": "no"}}]},
            {"Title": "o365", "String": [
                {"Key": "Title", "Value": "o365"},
                {"Key": "Password", "Value": {"Protected": "True", "content": "s3cret"}}
            ]}
        ]}]}});
        let path = "$..Entry[?($_->{Title} eq \"o365\")].String[?($_->{Key} eq \"Password\")].Value.content";
        assert_eq!(first(path, &tree).expect("ok"), Some("s3cret".into()));
    }

    #[test]
    fn other_perl_code_is_refused_with_the_supported_forms() {
        let doc = entries();
        for path in [
            "$..entries[?(system('id'))].password",
            "$..entries[?($_->{title} =~ /x/e)].password",
            "$..entries[?(do { 1 } && $_->{a} eq 'b')].password",
            "$..entries[?($_->{title} eq \"$ENV{HOME}\")].password",
            "$..entries[?($_->{title} lt 'a')].password",
        ] {
            let error = first(path, &doc).expect_err(path);
            assert!(error.contains("supported Perl filters are"), "{path}: {error}");
        }
    }
}
