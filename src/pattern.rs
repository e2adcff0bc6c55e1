//! Perl-syntax regular expressions written by users in options (`--filter-user`,
//! `--filter-counters`, `--filter-perfdata`, `--change-short-output`, `=~` in expressions).
//!
//! Users write Perl regexes, so look-around and back-references must work (`^(?!svc_)`):
//! patterns are compiled with `fancy_regex` after a small translation of the Perl escapes
//! that engine reads differently (`$`, `\Z`, `\h`, `\v`, `\<`, `\Q…\E`, `[` inside a class).
//! Substitutions follow Perl's `s///` replacement rules for group references, and never
//! evaluate code.

use std::fmt;

use fancy_regex::{Captures, Regex};

use crate::budget;
use crate::error::{Error, Result};
use crate::options::{Text, Values};

/// A compiled user regex, with the text the user gave.
///
/// Exists so every regex option is compiled once at start-up (an invalid one is reported
/// there, not while printing) and matched with Perl's semantics afterwards.
#[derive(Debug, Clone)]
pub struct Pattern {
    source: String,
    regex: Regex,
    /// The same regex for a text without a line end, where Perl's `$` is simply the
    /// end: without the look-ahead `$` needs otherwise, a plain pattern runs on the
    /// `regex` crate's automata rather than `fancy_regex`'s backtracking machine, many
    /// times faster (`--filter-mailbox='^alice@contoso\.com$'` is matched against
    /// every row of a report). `None` for a pattern without `$`. Boxed: patterns sit in
    /// many enums, and a second regex inline would double their size.
    one_line: Option<Box<Regex>>,
    /// The option the pattern comes from (`filter-mailbox`), named when a match gives
    /// up; `None` for a regex inside an expression.
    option: Option<String>,
}

/// The most texts [`Pattern::literal_prefixes`] hands out: more, and reading them all
/// from an index costs about a full read.
const MAX_PREFIXES: usize = 32;

/// How many characters of the text a match gave up on are quoted in the error.
const SUBJECT_EXCERPT: usize = 60;

/// Perl's `\h`: horizontal whitespace, as the inside of a character class.
const HORIZONTAL_SPACE: &str = r"\t\p{Zs}";

/// Perl's `\v`: vertical whitespace, as the inside of a character class.
const VERTICAL_SPACE: &str = r"\n\x0B\f\r\x{85}\x{2028}\x{2029}";

/// Perl's `$` without `/m`: at the end, or before a final newline (also right with `/m`).
const PERL_DOLLAR: &str = r"(?:$|(?=\n\z))";

/// Perl's `\Z`: at the end, or before a final newline.
const PERL_END_Z: &str = r"(?=\n?\z)";

/// Why a regex does not compile: a short, lower-case description (`unclosed group`), to
/// which the caller adds where the regex comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError {
    problem: String,
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.problem)
    }
}

impl std::error::Error for PatternError {}

/// How many matches [`Pattern::replace`] replaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Occurrences {
    /// The first one (`s///`).
    First,
    /// Every one (`s///g`).
    All,
}

impl Pattern {
    /// Compiles a Perl regex.
    ///
    /// ```
    /// use centreon_plugin::pattern::Pattern;
    ///
    /// assert!(Pattern::new("^(?!svc_)").unwrap().is_match("user1"));
    /// assert_eq!(Pattern::new("(").unwrap_err().to_string(), "unclosed group");
    /// ```
    pub fn new(pattern: &str) -> std::result::Result<Pattern, PatternError> {
        Pattern::with_flags(pattern, "")
    }

    /// Compiles a Perl regex with `m//` flags: `i`, `m`, `s`, `x` apply; other letters
    /// (`g` is the caller's business) are ignored.
    pub fn with_flags(pattern: &str, flags: &str) -> std::result::Result<Pattern, PatternError> {
        let inline: String = ['i', 'm', 's', 'x'].into_iter().filter(|f| flags.contains(*f)).collect();
        let prefix = if inline.is_empty() { String::new() } else { format!("(?{inline})") };
        let translated = format!("{prefix}{}", translate(pattern, PERL_DOLLAR));
        let regex = Regex::new(&translated).map_err(|error| PatternError { problem: describe(&error) })?;
        let one_line = if pattern.contains('$') {
            Regex::new(&format!("{prefix}{}", translate(pattern, "$"))).ok().map(Box::new)
        } else {
            None
        };
        Ok(Pattern { source: pattern.to_string(), regex, one_line, option: None })
    }

    /// Compiles `text`, a regex given to the option `--option`; a bad one is refused at
    /// start-up, naming the option.
    ///
    /// Exists so that every option whose value is a regex is refused with the same words.
    ///
    /// ```
    /// use centreon_plugin::pattern::Pattern;
    ///
    /// let error = Pattern::for_option("filter-user", "(").unwrap_err();
    /// assert_eq!(error.message(), "Invalid regular expression in --filter-user '(': unclosed group.");
    /// ```
    pub fn for_option(option: &str, text: &str) -> Result<Pattern> {
        let mut pattern = Pattern::new(text)
            .map_err(|problem| Error::new(format!("Invalid regular expression in --{option} '{text}': {problem}.")))?;
        pattern.option = Some(option.to_string());
        Ok(pattern)
    }

    /// The regex of the option `--option` as [`Pattern::for_option`] compiles it; `None`
    /// when the option is absent or empty (an empty filter keeps everything).
    pub fn from_option(values: &Values, option: &Text) -> Result<Option<Pattern>> {
        values.non_empty(option).map(|text| Pattern::for_option(option.name(), text)).transpose()
    }

    /// The pattern as the user wrote it, for messages.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// The one text the pattern matches when it is `^literal$` (metacharacters
    /// escaped, `^alice@contoso\.com$`), else `None`: a caller holding an index by name
    /// can then look that name up instead of matching every name. (Perl's `$` also
    /// matches before a final line end: the index must file `name\n` under `name`.)
    pub fn exact_literal(&self) -> Option<String> {
        if self.regex.as_str().starts_with("(?") {
            return None; // compiled with flags (`i`: not one text)
        }
        let body = self.source.strip_prefix('^')?.strip_suffix('$')?;
        let mut literal = String::with_capacity(body.len());
        let mut chars = body.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next()? {
                    escaped if escaped.is_ascii_alphanumeric() || escaped == '_' => return None,
                    escaped => literal.push(escaped),
                },
                '.' | '^' | '$' | '|' | '?' | '*' | '+' | '(' | ')' | '[' | ']' | '{' | '}' | '#' => return None,
                c if c.is_whitespace() || c.is_control() => return None,
                c => literal.push(c),
            }
        }
        (!literal.is_empty()).then_some(literal)
    }

    /// The texts every match must start the text with, when the pattern is anchored at
    /// the start of the text (`^user05`, `^(alice|bob)@`) and they are few; else `None`
    /// (no anchor, `/m`, an alternative without the anchor, a leading class or
    /// repetition with too many texts, or a construct only `fancy_regex` reads): a
    /// caller holding an index by name can then read the names in those ranges
    /// instead of matching every name. The pattern must still be matched against
    /// each name found: a literal is where a match starts, not the match.
    pub fn literal_prefixes(&self) -> Option<Vec<Vec<u8>>> {
        use regex_syntax::hir::literal::{ExtractKind, Extractor};
        use regex_syntax::hir::Look;
        // Without `$`, the one pattern; with it, the one `regex` reads, whose plain `$`
        // is, like Perl's, an assertion that consumes nothing: the same prefixes.
        let text = self.one_line.as_deref().unwrap_or(&self.regex).as_str();
        let hir = regex_syntax::Parser::new().parse(text).ok()?;
        if !hir.properties().look_set_prefix().contains(Look::Start) {
            return None;
        }
        let mut extractor = Extractor::new();
        extractor.kind(ExtractKind::Prefix);
        let prefixes = extractor.extract(&hir);
        let literals = prefixes.literals()?;
        let literals: Vec<Vec<u8>> = literals.iter().map(|literal| literal.as_bytes().to_vec()).collect();
        let few = !literals.is_empty() && literals.len() <= MAX_PREFIXES;
        (few && literals.iter().all(|literal| !literal.is_empty())).then_some(literals)
    }

    /// Whether the pattern matches anywhere in `text`. A match that gives up (the
    /// engine's backtracking limit, or the run's deadline passed) answers no and is
    /// recorded in [`budget`], which makes the run UNKNOWN: never a silent "no match".
    pub fn is_match(&self, text: &str) -> bool {
        let regex = match &self.one_line {
            Some(one_line) if !text.contains('\n') => one_line,
            _ => &self.regex,
        };
        self.within_budget(text, |text| regex.is_match(text).map_err(Box::new)).unwrap_or(false)
    }

    /// The groups of the first match, group 0 first; groups that did not take part are
    /// empty strings. `None` when there is no match, or when the match gave up (recorded
    /// as for [`Pattern::is_match`]).
    pub fn captures(&self, text: &str) -> Option<Vec<String>> {
        let captures = self.within_budget(text, |text| self.regex.captures(text).map_err(Box::new))??;
        Some((0..captures.len()).map(|i| group_text(&captures, i).to_string()).collect())
    }

    /// Runs one search on `text` unless the run has given up or is past its deadline;
    /// a search that fails is recorded as the run's error. `None` when nothing was
    /// found out.
    fn within_budget<'t, T>(
        &self,
        text: &'t str,
        search: impl FnOnce(&'t str) -> std::result::Result<T, Box<fancy_regex::Error>>,
    ) -> Option<T> {
        if budget::given_up() {
            return None;
        }
        if let Some(limit) = budget::expired() {
            budget::give_up(Error::new(format!(
                "{}: timed out after {} s (--timeout) while matching",
                self.described(),
                limit.as_secs()
            )));
            return None;
        }
        match search(text) {
            Ok(found) => Some(found),
            Err(error) => {
                budget::give_up(self.gave_up(text, &error));
                None
            }
        }
    }

    /// The error of a search of `text` that failed (in practice: too much backtracking).
    fn gave_up(&self, text: &str, error: &fancy_regex::Error) -> Error {
        let mut subject: String = text.chars().take(SUBJECT_EXCERPT).collect();
        if text.chars().nth(SUBJECT_EXCERPT).is_some() {
            subject.push_str("...");
        }
        let why = match error {
            fancy_regex::Error::RuntimeError(fancy_regex::RuntimeError::BacktrackLimitExceeded) => {
                "it backtracks too much (more than 1000000 steps), rewrite it".to_string()
            }
            other => lower_first(&other.to_string()),
        };
        Error::new(format!("{} gave up on '{subject}': {why}", self.described()))
    }

    /// The pattern in messages: `Regular expression in --filter-user '^a'`.
    fn described(&self) -> String {
        match &self.option {
            Some(option) => format!("Regular expression in --{option} '{}'", self.source),
            None => format!("Regular expression '{}'", self.source),
        }
    }

    /// Perl's `s/PATTERN/REPLACEMENT/` (`/g` with [`Occurrences::All`]) on `text`.
    ///
    /// REPLACEMENT may hold `$1`, `${1}`, `\1` and `$&`, backslash escapes (`\$`, `\\`, `\n`,
    /// `\t`); anything else is literal, and nothing is ever evaluated: Perl built code from
    /// it, which let a command line run anything. As in Perl, an empty match is not
    /// allowed where the previous empty match was.
    ///
    /// ```
    /// use centreon_plugin::pattern::{Occurrences, Pattern};
    ///
    /// let pattern = Pattern::new(r"(\d+)/(\d+)").unwrap();
    /// assert_eq!(pattern.replace("12/40", "$2 of $1", Occurrences::First), "40 of 12");
    /// ```
    pub fn replace(&self, text: &str, replacement: &str, occurrences: Occurrences) -> String {
        let template = parse_replacement(replacement);
        let mut output = String::with_capacity(text.len());
        let mut copied = 0;
        let mut search = 0;
        let mut empty_at = None;
        while let Some(Some(captures)) =
            self.within_budget(text, |text| self.regex.captures_from_pos(text, search).map_err(Box::new))
        {
            let Some(whole) = captures.get(0) else { break };
            if whole.start() == whole.end() && empty_at == Some(whole.start()) {
                match next_boundary(text, whole.start()) {
                    Some(next) => search = next,
                    None => break,
                }
                continue;
            }
            output.push_str(text.get(copied..whole.start()).unwrap_or(""));
            expand(&template, &captures, &mut output);
            copied = whole.end();
            search = whole.end();
            empty_at = (whole.start() == whole.end()).then_some(whole.start());
            if occurrences == Occurrences::First {
                break;
            }
        }
        output.push_str(text.get(copied..).unwrap_or(""));
        output
    }
}

/// A Perl regex matching `text` and nothing else, anchored at both ends: what a
/// discovery document offers for a filter option, to select one object exactly.
///
/// Exists so that the regex survives every hand it goes through on its way to a
/// command line (a discovery rule's macro, a shell, a Nagios argument) and still means
/// what it says: letters, digits, `@`, `_`, `-` and non-ASCII characters are kept, `.`
/// is written `\.`, and every other ASCII character `\xHH`. The regex thus holds no
/// quote, space, `!`, `;` or `$` but its final anchor, and Perl reads it the same.
///
/// ```
/// use centreon_plugin::pattern::{exactly, Pattern};
///
/// assert_eq!(exactly("alice.smith@contoso.com"), r"^alice\.smith@contoso\.com$");
/// assert_eq!(exactly("o'brien+x@contoso.com"), r"^o\x27brien\x2Bx@contoso\.com$");
/// assert!(!Pattern::new(&exactly("a.b")).unwrap().is_match("axb"));
/// ```
pub fn exactly(text: &str) -> String {
    let mut regex = String::with_capacity(text.len() + 8);
    regex.push('^');
    for c in text.chars() {
        match c {
            '.' => regex.push_str(r"\."),
            c if c.is_ascii_alphanumeric() || matches!(c, '@' | '_' | '-') || !c.is_ascii() => regex.push(c),
            c => regex.push_str(&format!(r"\x{:02X}", u32::from(c))),
        }
    }
    regex.push('$');
    regex
}

/// The name filters of a mode: an including and an excluding regex option over one kind
/// of name (`--filter-NAME`, or `--include-NAME` and `--exclude-NAME`).
///
/// Exists so that every mode filters names alike: unanchored, case-sensitive matches, an
/// absent or empty option keeping everything, a bad regex refused at start-up naming its
/// option. The mode writes its own debug line from the [`Verdict`].
///
/// ```
/// use centreon_plugin::getopt;
/// use centreon_plugin::options::Text;
/// use centreon_plugin::pattern::{NameFilter, Verdict};
///
/// const FILTER_USER: Text = Text::new("filter-user", "Filter users.");
/// let values = getopt::parse(&["--filter-user=^user0".to_string()], &[FILTER_USER.spec()]).values;
/// let filter = NameFilter::from_options(&values, &FILTER_USER, None).unwrap();
/// assert_eq!(filter.verdict("user000006@contoso.com"), Verdict::Kept);
/// assert_eq!(filter.verdict("admin@contoso.com"), Verdict::NotIncluded);
/// ```
#[derive(Debug, Clone, Default)]
pub struct NameFilter {
    include: Option<Pattern>,
    exclude: Option<Pattern>,
}

/// What a [`NameFilter`] decides for one name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The name is kept.
    Kept,
    /// The including regex does not match it.
    NotIncluded,
    /// The excluding regex matches it.
    Excluded,
}

impl NameFilter {
    /// The filter of the options `--include` and, when the mode has one, `--exclude`,
    /// compiled with [`Pattern::from_option`].
    pub fn from_options(values: &Values, include: &Text, exclude: Option<&Text>) -> Result<NameFilter> {
        Ok(NameFilter {
            include: Pattern::from_option(values, include)?,
            exclude: exclude.map(|option| Pattern::from_option(values, option)).transpose()?.flatten(),
        })
    }

    /// The one name this filter can keep, when it is an including `^literal$` and
    /// nothing is excluded (see [`Pattern::exact_literal`]).
    pub fn only(&self) -> Option<String> {
        match (&self.include, &self.exclude) {
            (Some(include), None) => include.exact_literal(),
            _ => None,
        }
    }

    /// The texts every kept name starts with, when the including regex says so
    /// ([`Pattern::literal_prefixes`]); the excluding one only drops more names.
    pub fn prefixes(&self) -> Option<Vec<Vec<u8>>> {
        self.include.as_ref()?.literal_prefixes()
    }

    /// Whether `name` is kept; the including regex is tried first.
    pub fn verdict(&self, name: &str) -> Verdict {
        if self.include.as_ref().is_some_and(|p| !p.is_match(name)) {
            Verdict::NotIncluded
        } else if self.exclude.as_ref().is_some_and(|p| p.is_match(name)) {
            Verdict::Excluded
        } else {
            Verdict::Kept
        }
    }
}

/// The text of group `index`, empty when it did not take part in the match.
fn group_text<'t>(captures: &Captures<'t>, index: usize) -> &'t str {
    captures.get(index).map_or("", |group| group.as_str())
}

/// The byte offset of the character after the one at `at`, `None` at the end of `text`.
fn next_boundary(text: &str, at: usize) -> Option<usize> {
    let character = text.get(at..)?.chars().next()?;
    Some(at + character.len_utf8())
}

/// Rewrites the Perl constructs that `fancy_regex` reads differently or not at all;
/// `$` outside a class becomes `dollar`.
fn translate(pattern: &str, dollar: &str) -> String {
    let mut output = String::with_capacity(pattern.len() + 16);
    let mut chars = pattern.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match (c, in_class) {
            ('\\', _) => match chars.next() {
                Some('Q') => quote_until_e(&mut chars, &mut output),
                Some(escaped) => output.push_str(&escape_for(escaped, in_class)),
                None => output.push('\\'),
            },
            ('(', false) if chars.peek() == Some(&'?') && chars.clone().nth(1) == Some('#') => {
                copy_comment(&mut chars, &mut output)
            }
            ('[', false) => {
                in_class = true;
                output.push('[');
                open_class(&mut chars, &mut output);
            }
            ('$', false) => output.push_str(dollar),
            (']', true) => {
                in_class = false;
                output.push(']');
            }
            ('[', true) if chars.peek() == Some(&':') => posix_class(&mut chars, &mut output),
            ('[' | '&' | '~', true) => {
                output.push('\\');
                output.push(c);
            }
            _ => output.push(c),
        }
    }
    output
}

/// Copies the start of a class that Perl reads literally: `^` then a leading `]`.
fn open_class(chars: &mut std::iter::Peekable<std::str::Chars<'_>>, output: &mut String) {
    if chars.peek() == Some(&'^') {
        chars.next();
        output.push('^');
    }
    if chars.peek() == Some(&']') {
        chars.next();
        output.push_str(r"\]");
    }
}

/// Copies a `(?#…)` comment (the `(` already consumed) up to its closing `)`.
fn copy_comment(chars: &mut std::iter::Peekable<std::str::Chars<'_>>, output: &mut String) {
    output.push('(');
    for c in chars.by_ref() {
        output.push(c);
        if c == ')' {
            return;
        }
    }
}

/// Copies a POSIX class `[:name:]` (the `[` already consumed) up to its closing `:]`.
fn posix_class(chars: &mut std::iter::Peekable<std::str::Chars<'_>>, output: &mut String) {
    output.push('[');
    let mut previous = '[';
    for c in chars.by_ref() {
        output.push(c);
        if previous == ':' && c == ']' {
            return;
        }
        previous = c;
    }
}

/// Copies `\Q…\E` (the `\Q` already consumed) as literal text.
fn quote_until_e(chars: &mut std::iter::Peekable<std::str::Chars<'_>>, output: &mut String) {
    let mut literal = String::new();
    while let Some(c) = chars.next() {
        if c == '\\' && chars.peek() == Some(&'E') {
            chars.next();
            break;
        }
        literal.push(c);
    }
    output.push_str(&fancy_regex::escape(&literal));
}

/// The `fancy_regex` form of the Perl escape `\c`, inside or outside a class.
fn escape_for(c: char, in_class: bool) -> String {
    match (c, in_class) {
        ('h', false) => format!("[{HORIZONTAL_SPACE}]"),
        ('H', false) => format!("[^{HORIZONTAL_SPACE}]"),
        ('v', false) => format!("[{VERTICAL_SPACE}]"),
        ('V', false) => format!("[^{VERTICAL_SPACE}]"),
        ('Z', false) => PERL_END_Z.to_string(),
        ('E', _) => String::new(),
        ('h', true) => HORIZONTAL_SPACE.to_string(),
        ('v', true) => VERTICAL_SPACE.to_string(),
        ('<' | '>', _) => c.to_string(),
        _ => format!("\\{c}"),
    }
}

/// A short, lower-case description of why a pattern does not compile.
fn describe(error: &fancy_regex::Error) -> String {
    use fancy_regex::{CompileError, Error, ParseError};
    match error {
        Error::ParseError(_, kind) => match kind {
            ParseError::UnclosedOpenParen => "unclosed group".to_string(),
            ParseError::GeneralParseError(text) if text.contains("end of string") => {
                "unmatched closing parenthesis".to_string()
            }
            ParseError::InvalidRepeat => "invalid quantifier".to_string(),
            ParseError::TargetNotRepeatable => "quantifier follows nothing".to_string(),
            ParseError::TrailingBackslash => "trailing backslash".to_string(),
            ParseError::InvalidEscape(escape) => format!("unsupported escape {escape}"),
            ParseError::InvalidClass => "unclosed or invalid character class".to_string(),
            ParseError::UnknownFlag(flag) => format!("unsupported group {flag}"),
            ParseError::InvalidBackref => "invalid back reference".to_string(),
            other => lower_first(&other.to_string()),
        },
        Error::CompileError(CompileError::LookBehindNotConst) => {
            "variable-length look-behind is not supported".to_string()
        }
        Error::CompileError(CompileError::InnerError(inner)) => innermost_message(inner),
        other => lower_first(&other.to_string()),
    }
}

/// The last `error: …` line of the innermost cause (the `regex` crate's message, without
/// the pattern excerpt it draws).
fn innermost_message(error: &dyn std::error::Error) -> String {
    let mut innermost = error;
    while let Some(source) = innermost.source() {
        innermost = source;
    }
    let text = innermost.to_string();
    let line = text.lines().rev().find_map(|line| line.trim().strip_prefix("error: ")).unwrap_or(text.as_str());
    lower_first(line)
}

/// `text` with its first letter in lower case.
fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|first| first.to_lowercase().chain(chars).collect()).unwrap_or_default()
}

/// A piece of a parsed `s///` replacement.
#[derive(Debug, PartialEq)]
enum Piece {
    Literal(String),
    Group(usize),
}

/// Splits a replacement into literal text and group references.
fn parse_replacement(replacement: &str) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut literal = String::new();
    let mut chars = replacement.chars().peekable();
    while let Some(c) = chars.next() {
        let group = match c {
            '$' => dollar_reference(&mut chars),
            '\\' => backslash(&mut chars, &mut literal),
            _ => {
                literal.push(c);
                continue;
            }
        };
        match group {
            Some(index) => {
                if !literal.is_empty() {
                    pieces.push(Piece::Literal(std::mem::take(&mut literal)));
                }
                pieces.push(Piece::Group(index));
            }
            None if c == '$' => literal.push('$'),
            None => {}
        }
    }
    if !literal.is_empty() {
        pieces.push(Piece::Literal(literal));
    }
    pieces
}

/// After `$`: the group of `$N`, `${N}` or `$&`; `None` leaves the `$` literal.
fn dollar_reference(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<usize> {
    match chars.peek()? {
        '&' => {
            chars.next();
            Some(0)
        }
        '{' => braced_group(chars),
        c if c.is_ascii_digit() => Some(take_number(chars)),
        _ => None,
    }
}

/// `{N}` after `$`, consumed only when complete.
fn braced_group(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<usize> {
    let mut lookahead = chars.clone();
    lookahead.next();
    let mut digits = String::new();
    while let Some(c) = lookahead.next_if(char::is_ascii_digit) {
        digits.push(c);
    }
    if digits.is_empty() || lookahead.next() != Some('}') {
        return None;
    }
    *chars = lookahead;
    Some(group_number(&digits))
}

/// After `\`: a group for `\1`…, else the escaped character is added to `literal`.
fn backslash(chars: &mut std::iter::Peekable<std::str::Chars<'_>>, literal: &mut String) -> Option<usize> {
    match chars.peek().copied() {
        Some('1'..='9') => Some(take_number(chars)),
        Some(c) => {
            chars.next();
            literal.push(escaped_char(c));
            None
        }
        None => {
            literal.push('\\');
            None
        }
    }
}

/// The character a Perl double-quoted string gives for `\c`.
fn escaped_char(c: char) -> char {
    match c {
        'n' => '\n',
        't' => '\t',
        'r' => '\r',
        'f' => '\x0C',
        'e' => '\x1B',
        'a' => '\x07',
        '0' => '\0',
        other => other,
    }
}

/// Consumes a run of ASCII digits as a group number.
fn take_number(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> usize {
    let mut digits = String::new();
    while let Some(c) = chars.next_if(char::is_ascii_digit) {
        digits.push(c);
    }
    group_number(&digits)
}

/// A group number; absurdly large numbers name a group that does not exist.
fn group_number(digits: &str) -> usize {
    digits.parse().unwrap_or(usize::MAX)
}

/// Appends the replacement for one match.
fn expand(template: &[Piece], captures: &Captures<'_>, output: &mut String) {
    for piece in template {
        match piece {
            Piece::Literal(text) => output.push_str(text),
            Piece::Group(index) => output.push_str(group_text(captures, *index)),
        }
    }
}

#[cfg(test)]
mod tests;
