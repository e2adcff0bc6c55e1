//! Golden conformance: every case recorded from the Perl plugin
//! (`tests/golden/*.json`) is run against this build, with the project's own
//! stand-in for Microsoft (`tests/mock`) serving the case's fixture and
//! fault, and held to what Perl printed and returned: exactly, or by the case's
//! `match` rule (a prefix, a regular expression, or parsed JSON/XML/OpenMetrics).
//!
//! `GOLDEN_ONLY=REGEX` runs only the cases whose name matches;
//! `GOLDEN_BIN='command args'` runs another command instead of this build's binary.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::TempDir;
use crate::mock::{Fault, MockGraph, VALID_SECRET};
use fancy_regex::Regex;
use serde_json::Value;

const PLUGIN: &str = "--plugin=cloud::microsoft::office365::exchange::plugin";
/// golden.py gives every command this long before it counts as a timeout.
const TIMEOUT: Duration = Duration::from_secs(120);

#[test]
fn golden_modes() {
    check_file("cases.json");
}

#[test]
fn golden_output() {
    check_file("cases-output.json");
}

#[test]
fn golden_health() {
    check_file("cases-health.json");
}

/// How a command ended.
#[derive(Debug, PartialEq)]
enum Exit {
    Code(i64),
    Signal,
    Timeout,
}

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Exit::Code(code) => write!(f, "{code}"),
            Exit::Signal => f.write_str("killed by a signal"),
            Exit::Timeout => f.write_str("timeout"),
        }
    }
}

/// What one run printed and returned.
struct Outcome {
    stdout: String,
    stderr: String,
    exit: Exit,
}

/// Runs every selected case of one file and fails, listing the failures, if any failed.
fn check_file(file: &str) {
    let tests = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let path = tests.join("golden").join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let data: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
    let fixtures: HashMap<String, PathBuf> = data["fixtures"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    let dir = tests.join("fixtures").join(v.as_str().unwrap_or_default());
                    (k.clone(), dir)
                })
                .collect()
        })
        .unwrap_or_default();
    let only = std::env::var("GOLDEN_ONLY")
        .ok()
        .map(|re| Regex::new(&re).unwrap_or_else(|e| panic!("GOLDEN_ONLY is not a regex: {e}")));
    let cmd: Vec<String> = match std::env::var("GOLDEN_BIN") {
        Ok(bin) => bin.split_whitespace().map(String::from).collect(),
        Err(_) => vec![env!("CARGO_BIN_EXE_centreon_office365_exchange_api").to_string()],
    };
    assert!(!cmd.is_empty(), "GOLDEN_BIN is empty");
    let cases = data["cases"].as_array().cloned().unwrap_or_default();
    assert!(!cases.is_empty(), "{file} holds no case");

    let mut mocks: HashMap<(String, Fault), MockGraph> = HashMap::new();
    let (mut passed, mut failed) = (0usize, 0usize);
    let mut report = Vec::new();
    for case in &cases {
        let name = case["name"].as_str().unwrap_or("?");
        if let Some(only) = &only {
            if !only.is_match(name).unwrap_or(false) {
                continue;
            }
        }
        match check_case(case, &cmd, &fixtures, &mut mocks) {
            Ok(()) => passed += 1,
            Err(why) => {
                failed += 1;
                report.push(format!("FAIL {name}: {why}"));
            }
        }
    }
    for line in &report {
        println!("{line}");
    }
    println!("{passed} passed, {failed} failed");
    assert_eq!(failed, 0, "{file}: golden cases failed (listed above)");
    assert!(passed > 0 || only.is_some(), "{file}: no case ran");
}

/// One case, as golden.py's `check` runs it; `Err` says why it failed.
fn check_case(
    case: &Value,
    cmd: &[String],
    fixtures: &HashMap<String, PathBuf>,
    mocks: &mut HashMap<(String, Fault), MockGraph>,
) -> Result<(), String> {
    let fixture = case["fixture"].as_str().unwrap_or("default").to_string();
    let fault: Fault = case["fault"].as_str().unwrap_or("none").parse()?;
    let key = (fixture.clone(), fault);
    if fault.acts_once() {
        // Faults that act once must start fresh for every case.
        mocks.remove(&key);
    }
    if !mocks.contains_key(&key) {
        let dir = fixtures.get(&fixture).ok_or_else(|| format!("no fixture '{fixture}'"))?;
        let started = MockGraph::builder()
            .fixture_dir(dir)
            .fault(fault)
            .start()
            .map_err(|e| format!("cannot start the mock: {e}"))?;
        mocks.insert(key.clone(), started);
    }
    let graph = mocks[&key].url();
    let statedir = TempDir::new("golden-state").map_err(|e| format!("no state dir: {e}"))?;
    let statedir_s = statedir.path().to_string_lossy().into_owned();
    for pre in case["pre"].as_array().into_iter().flatten() {
        let args = expand(pre, false, &graph, &statedir_s);
        run(cmd, &args, case).map_err(|e| format!("pre command: {e}"))?;
    }
    let args = expand(&case["args"], case["auth"].as_bool().unwrap_or(true), &graph, &statedir_s);
    let outcome = run(cmd, &args, case).map_err(|e| format!("cannot run {}: {e}", cmd[0]))?;
    let got = normalize(&outcome.stdout, &graph, &statedir_s);
    let want = case["stdout"].as_str().unwrap_or_default();
    compare(case, &got, &outcome.exit).map_err(|why| {
        let mut text = format!("{why}\n  want: {}\n  got:  {}", excerpt(want), excerpt(&got));
        if !outcome.stderr.trim().is_empty() {
            text.push_str(&format!("\n  stderr: {}", excerpt(&outcome.stderr)));
        }
        text
    })
}

fn excerpt(text: &str) -> String {
    text.trim().chars().take(600).collect()
}

/// The plugin's arguments: the `--plugin` option, the case's, and unless
/// `auth` is false the tenant, secret, endpoints and state directory.
fn expand(args: &Value, auth: bool, graph: &str, statedir: &str) -> Vec<String> {
    let mut all = vec![PLUGIN.to_string()];
    all.extend(args.as_array().into_iter().flatten().map(|a| a.as_str().unwrap_or_default().to_string()));
    if auth {
        all.extend([
            "--tenant=t1".to_string(),
            "--client-id=c1".to_string(),
            format!("--client-secret={VALID_SECRET}"),
            "--login-endpoint={GRAPH}".to_string(),
            "--graph-endpoint={GRAPH}".to_string(),
            "--statefile-dir={STATEDIR}".to_string(),
        ]);
    }
    all.into_iter().map(|a| a.replace("{GRAPH}", graph).replace("{STATEDIR}", statedir)).collect()
}

/// Runs the command with the case's TZ (default UTC) and environment, as
/// Python's `subprocess.run(..., text=True)` would: line endings read as `\n`.
fn run(cmd: &[String], args: &[String], case: &Value) -> std::io::Result<Outcome> {
    let mut command = Command::new(&cmd[0]);
    command
        .args(&cmd[1..])
        .args(args)
        .env("TZ", case["tz"].as_str().unwrap_or("UTC"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in case["env"].as_object().into_iter().flatten() {
        command.env(k, v.as_str().unwrap_or_default());
    }
    let mut child = command.spawn()?;
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                // What was read before an error is all there is to compare.
                let _ = pipe.read_to_end(&mut bytes);
            }
            bytes
        })
    };
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let deadline = Instant::now() + TIMEOUT;
    let exit = loop {
        if let Some(status) = child.try_wait()? {
            break status.code().map_or(Exit::Signal, |c| Exit::Code(i64::from(c)));
        }
        if Instant::now() >= deadline {
            child.kill()?;
            child.wait()?;
            break Exit::Timeout;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let text = |bytes: Vec<u8>| String::from_utf8_lossy(&bytes).replace("\r\n", "\n").replace('\r', "\n");
    Ok(Outcome {
        stdout: text(stdout.join().unwrap_or_default()),
        stderr: text(stderr.join().unwrap_or_default()),
        exit,
    })
}

/// The mock's URL and the state directory by their placeholders; Perl's
/// ` at /path/File.pm line N.` (not part of the contract) by `.`.
fn normalize(stdout: &str, graph: &str, statedir: &str) -> String {
    let s = stdout.replace(graph, "{GRAPH}").replace(statedir, "{STATEDIR}");
    let perl_at = Regex::new(r" at /\S+ line \d+\.").expect("a valid regex");
    perl_at.replace_all(&s, ".").into_owned()
}

/// golden.py's `compare`: `Err` says how the run differs from the case.
fn compare(case: &Value, got: &str, exit: &Exit) -> Result<(), String> {
    let want = case["stdout"].as_str().unwrap_or_default();
    let want_exit = Exit::Code(case["exit"].as_i64().unwrap_or(-1));
    if *exit != want_exit {
        return Err(format!("exit {exit}, want {want_exit}"));
    }
    let how = case["match"].as_str().unwrap_or("exact");
    if how == "exact" {
        if got.trim_end() != want.trim_end() {
            return Err("stdout differs".into());
        }
    } else if let Some(n) = how.strip_prefix("prefix:") {
        let n: usize = n.parse().map_err(|e| format!("bad match '{how}': {e}"))?;
        let head = |s: &str| s.trim().chars().take(n).collect::<String>();
        if head(got) != head(want) {
            return Err(format!("first {n} chars differ"));
        }
    } else if let Some(re) = how.strip_prefix("regex:") {
        // The cases are Python regular expressions: Python's `\Z` is Rust's `\z`.
        let re = Regex::new(&re.replace(r"\Z", r"\z")).map_err(|e| format!("bad regex in '{how}': {e}"))?;
        if !re.is_match(got).map_err(|e| format!("regex failed: {e}"))? {
            return Err(format!("stdout does not match {how}"));
        }
    } else if how == "json" {
        let parse = |s: &str| serde_json::from_str::<Value>(s).map_err(|e| format!("not JSON: {e}"));
        if canon_json(&parse(got)?) != canon_json(&parse(want)?) {
            return Err("JSON document differs".into());
        }
    } else if how == "xml" {
        let parse = |s: &str| xml::parse(s.trim()).map_err(|e| format!("not XML: {e}"));
        if canon_xml(&parse(got)?) != canon_xml(&parse(want)?) {
            return Err("XML document differs".into());
        }
    } else if how == "openmetrics" {
        if openmetrics_lines(got) != openmetrics_lines(want) {
            return Err("OpenMetrics lines differ (timestamps aside)".into());
        }
    } else if how != "exit" {
        return Err(format!("unknown match '{how}'"));
    }
    Ok(())
}

/// A JSON value with what the contract leaves open taken out.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Canon {
    Null,
    Bool(bool),
    Text(String),
    List(Vec<Canon>),
    Map(BTreeMap<String, Canon>),
}

/// Key order, number-vs-string spelling and the order of the severity
/// groups in `outputs` (random in Perl) are not part of the contract.
fn canon_json(v: &Value) -> Canon {
    match v {
        Value::Null => Canon::Null,
        Value::Bool(b) => Canon::Bool(*b),
        Value::Number(n) => Canon::Text(python_number(n)),
        Value::String(s) => Canon::Text(s.clone()),
        Value::Array(items) => Canon::List(items.iter().map(canon_json).collect()),
        Value::Object(map) => Canon::Map(
            map.iter()
                .map(|(k, x)| {
                    let x = match x {
                        Value::Array(items) if k == "outputs" => {
                            let mut items: Vec<Canon> = items.iter().map(canon_json).collect();
                            items.sort();
                            Canon::List(items)
                        }
                        _ => canon_json(x),
                    };
                    (k.clone(), x)
                })
                .collect(),
        ),
    }
}

/// `str()` of the number Python's json module would have read: integers
/// as written, floats in Python's shortest repr (`1.0`, `1e+16`, `1.5e-05`).
fn python_number(n: &serde_json::Number) -> String {
    if n.is_i64() || n.is_u64() {
        return n.to_string();
    }
    let f = n.as_f64().unwrap_or(f64::NAN);
    let debug = format!("{f:?}");
    match debug.split_once('e') {
        Some((mantissa, exp)) => {
            let exp: i32 = exp.parse().unwrap_or(0);
            let sign = if exp < 0 { '-' } else { '+' };
            format!("{mantissa}e{sign}{:02}", exp.abs())
        }
        None => debug,
    }
}

/// An element as golden.py's `canon_xml` sees it: tag, sorted attributes,
/// stripped leading text, children (sorted unless their order is a list's).
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct CanonXml {
    tag: String,
    attrs: Vec<(String, String)>,
    text: String,
    kids: Vec<CanonXml>,
}

/// Children order counts in lists (perfdatas), not inside a record nor in
/// `outputs` (its severity groups come in random order from Perl).
fn canon_xml(e: &xml::Element) -> CanonXml {
    let mut kids: Vec<CanonXml> = e.children.iter().map(canon_xml).collect();
    let mut tags: Vec<&str> = e.children.iter().map(|k| k.tag.as_str()).collect();
    tags.sort_unstable();
    tags.dedup();
    if tags.len() == e.children.len() || e.tag == "outputs" {
        kids.sort();
    }
    let mut attrs = e.attrs.clone();
    attrs.sort();
    CanonXml { tag: e.tag.clone(), attrs, text: e.text.trim().to_string(), kids }
}

/// The lines of an OpenMetrics text without their 13-digit millisecond timestamps.
fn openmetrics_lines(text: &str) -> Vec<String> {
    python_splitlines(text.trim())
        .into_iter()
        .map(|line| {
            let bytes = line.as_bytes();
            let n = bytes.len();
            let stamped = n >= 14 && bytes[n - 14] == b' ' && bytes[n - 13..].iter().all(u8::is_ascii_digit);
            if stamped {
                line[..n - 14].to_string()
            } else {
                line.to_string()
            }
        })
        .collect()
}

/// `str.splitlines()`: every line boundary Python knows, CRLF as one.
fn python_splitlines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let boundary =
            matches!(c, '\n' | '\r' | '\x0b' | '\x0c' | '\x1c' | '\x1d' | '\x1e' | '\u{85}' | '\u{2028}' | '\u{2029}');
        if boundary {
            lines.push(&text[start..i]);
            let mut end = i + c.len_utf8();
            if c == '\r' {
                if let Some(&(j, '\n')) = chars.peek() {
                    chars.next();
                    end = j + 1;
                }
            }
            start = end;
        }
    }
    if start < text.len() {
        lines.push(&text[start..]);
    }
    lines
}

/// Just enough XML for the plugin's `--output-xml` and discovery documents:
/// a prolog, elements, attributes, character data, entity and character
/// references, CDATA sections, comments and processing instructions.
mod xml {
    /// An element: its text is what comes before its first child (ElementTree's `.text`).
    pub struct Element {
        /// The element's name.
        pub tag: String,
        /// Its attributes, in document order, values unescaped.
        pub attrs: Vec<(String, String)>,
        /// The character data before its first child, unescaped.
        pub text: String,
        /// Its child elements, in document order.
        pub children: Vec<Element>,
    }

    struct Parser<'a> {
        s: &'a str,
        pos: usize,
    }

    /// Parses one document; `Err` tells where it stops being XML.
    pub fn parse(s: &str) -> Result<Element, String> {
        let mut p = Parser { s, pos: 0 };
        p.skip_misc()?;
        if p.s[p.pos..].starts_with("<!DOCTYPE") {
            p.skip_past(">")?;
            p.skip_misc()?;
        }
        let root = p.element()?;
        p.skip_misc()?;
        if p.pos != p.s.len() {
            return Err(p.error("junk after document element"));
        }
        Ok(root)
    }

    impl Parser<'_> {
        fn rest(&self) -> &str {
            &self.s[self.pos..]
        }

        fn error(&self, what: &str) -> String {
            format!("{what} at byte {}", self.pos)
        }

        fn skip_past(&mut self, end: &str) -> Result<(), String> {
            match self.rest().find(end) {
                Some(i) => {
                    self.pos += i + end.len();
                    Ok(())
                }
                None => Err(self.error(&format!("no closing '{end}'"))),
            }
        }

        fn skip_space(&mut self) {
            let rest = self.rest();
            self.pos += rest.len() - rest.trim_start().len();
        }

        /// White space, comments and processing instructions between elements.
        fn skip_misc(&mut self) -> Result<(), String> {
            loop {
                self.skip_space();
                if self.rest().starts_with("<?") {
                    self.skip_past("?>")?;
                } else if self.rest().starts_with("<!--") {
                    self.skip_past("-->")?;
                } else {
                    return Ok(());
                }
            }
        }

        fn name(&mut self) -> Result<String, String> {
            let rest = self.rest();
            let len =
                rest.find(|c: char| c.is_whitespace() || matches!(c, '/' | '>' | '=' | '<')).unwrap_or(rest.len());
            if len == 0 {
                return Err(self.error("name expected"));
            }
            let name = rest[..len].to_string();
            self.pos += len;
            Ok(name)
        }

        fn element(&mut self) -> Result<Element, String> {
            if !self.rest().starts_with('<') {
                return Err(self.error("'<' expected"));
            }
            self.pos += 1;
            let tag = self.name()?;
            let mut e = Element { tag, attrs: Vec::new(), text: String::new(), children: Vec::new() };
            loop {
                self.skip_space();
                if self.rest().starts_with("/>") {
                    self.pos += 2;
                    return Ok(e);
                }
                if self.rest().starts_with('>') {
                    self.pos += 1;
                    break;
                }
                let key = self.name()?;
                self.skip_space();
                if !self.rest().starts_with('=') {
                    return Err(self.error("'=' expected"));
                }
                self.pos += 1;
                self.skip_space();
                let quote = self
                    .rest()
                    .chars()
                    .next()
                    .filter(|c| *c == '"' || *c == '\'')
                    .ok_or_else(|| self.error("quoted value expected"))?;
                self.pos += 1;
                let len = self.rest().find(quote).ok_or_else(|| self.error("unterminated attribute"))?;
                let raw = self.rest()[..len].replace(['\t', '\n', '\r'], " ");
                let value = unescape(&raw).map_err(|w| self.error(&w))?;
                self.pos += len + 1;
                if e.attrs.iter().any(|(k, _)| *k == key) {
                    return Err(self.error("duplicate attribute"));
                }
                e.attrs.push((key, value));
            }
            loop {
                let rest = self.rest();
                if rest.starts_with("</") {
                    self.pos += 2;
                    let close = self.name()?;
                    self.skip_space();
                    if close != e.tag || !self.rest().starts_with('>') {
                        return Err(self.error("mismatched tag"));
                    }
                    self.pos += 1;
                    return Ok(e);
                } else if rest.starts_with("<!--") {
                    self.skip_past("-->")?;
                } else if rest.starts_with("<?") {
                    self.skip_past("?>")?;
                } else if let Some(cdata) = rest.strip_prefix("<![CDATA[") {
                    let len = cdata.find("]]>").ok_or_else(|| self.error("unterminated CDATA"))?;
                    if e.children.is_empty() {
                        e.text.push_str(&cdata[..len]);
                    }
                    self.pos += "<![CDATA[".len() + len + 3;
                } else if rest.starts_with('<') {
                    let child = self.element()?;
                    e.children.push(child);
                } else if rest.is_empty() {
                    return Err(self.error("unclosed element"));
                } else {
                    let len = rest.find('<').unwrap_or(rest.len());
                    let text = unescape(&rest[..len]).map_err(|w| self.error(&w))?;
                    if e.children.is_empty() {
                        e.text.push_str(&text);
                    }
                    self.pos += len;
                }
            }
        }
    }

    /// Replaces the predefined entities and character references.
    fn unescape(raw: &str) -> Result<String, String> {
        if raw.contains('<') {
            return Err("'<' in a value".into());
        }
        let mut out = String::with_capacity(raw.len());
        let mut rest = raw;
        while let Some(amp) = rest.find('&') {
            out.push_str(&rest[..amp]);
            let after = &rest[amp + 1..];
            let semi = after.find(';').ok_or("unterminated reference")?;
            let name = &after[..semi];
            let c = match name {
                "lt" => '<',
                "gt" => '>',
                "amp" => '&',
                "quot" => '"',
                "apos" => '\'',
                _ => {
                    let code = if let Some(hex) = name.strip_prefix("#x") {
                        u32::from_str_radix(hex, 16).ok()
                    } else if let Some(dec) = name.strip_prefix('#') {
                        dec.parse().ok()
                    } else {
                        None
                    };
                    code.and_then(char::from_u32).ok_or_else(|| format!("undefined entity &{name};"))?
                }
            };
            out.push(c);
            rest = &after[semi + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }
}
