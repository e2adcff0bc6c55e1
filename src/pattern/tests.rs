use super::*;
use proptest::prelude::*;

fn prefixes(pattern: &str) -> Option<Vec<String>> {
    let prefixes = Pattern::new(pattern).expect("compiles").literal_prefixes()?;
    Some(prefixes.into_iter().map(|p| String::from_utf8(p).expect("UTF-8")).collect())
}

#[test]
fn a_filter_anchored_on_literals_names_them() {
    let one = |p: &str| prefixes(p).map(|found| found.join(" "));
    assert_eq!(one(r"^user05000").as_deref(), Some("user05000"));
    assert_eq!(one(r"^user050000@contoso\.onmicrosoft\.com$").as_deref(), Some("user050000@contoso.onmicrosoft.com"));
    assert_eq!(one(r"^(alice|bob)@").as_deref(), Some("alice@ bob@"));
    assert_eq!(one(r"^ali|^bo").as_deref(), Some("ali bo"));
    assert_eq!(one(r"^user0[12]").as_deref(), Some("user01 user02"));
    assert_eq!(one(r"^a*b").as_deref(), Some("a b"));
    // Case folded: every spelling, still a finite set.
    assert_eq!(one(r"(?i)^ab").map(|p| p.split(' ').count()), Some(4));
    // No anchor, an alternative without it, `/m`, an empty or unbounded start, a
    // construct only fancy_regex reads: no prefix, every row is read.
    for pattern in [r"user05", r"^a|b", r"(?m)^user", r"^", r"^.*x", r"^\w+@", r"^(?=a)ab", r"x^a"] {
        assert_eq!(prefixes(pattern), None, "{pattern}");
    }
}

proptest! {
    #[test]
    fn every_name_a_filter_keeps_starts_with_one_of_its_prefixes(
        pattern in prop::sample::select(vec![
            r"^ab", r"^a(b|c)", r"^(ab|b)c?$", r"^a\.b", r"^[ab]c", r"(?i)^Ab", r"^ab$", r"^a{2}", r"^(?:a|bc)+",
            r"^a|^cb", r"^ab?c", r"^a\nb", r"^\x61b",
        ]),
        name in "[abc.\n]{0,6}",
    ) {
        let compiled = Pattern::new(pattern).expect("compiles");
        let prefixes = compiled.literal_prefixes().expect("prefixes");
        if compiled.is_match(&name) {
            prop_assert!(prefixes.iter().any(|p| name.as_bytes().starts_with(p)), "{pattern} {name:?} {prefixes:?}");
        }
    }
}

#[test]
fn an_anchored_literal_is_the_one_name_it_matches() {
    let literal = |p: &str| Pattern::new(p).expect("compiles").exact_literal();
    assert_eq!(
        literal(r"^user050000@contoso\.onmicrosoft\.com$").as_deref(),
        Some("user050000@contoso.onmicrosoft.com")
    );
    assert_eq!(literal(r"^a\+b\$$").as_deref(), Some("a+b$"));
    for pattern in [r"user@x\.com$", r"^user@x\.com", r"^user@x.com$", r"^a\d$", r"^(a|b)$", r"^$", r"^a b$", r"^a*$"] {
        assert_eq!(literal(pattern), None, "{pattern}");
    }
    let filter = |include: &str, exclude: Option<&str>| NameFilter {
        include: Some(Pattern::new(include).expect("compiles")),
        exclude: exclude.map(|e| Pattern::new(e).expect("compiles")),
    };
    assert_eq!(filter(r"^a@b$", None).only().as_deref(), Some("a@b"));
    assert_eq!(filter(r"^a@b$", Some("x")).only(), None);
    assert_eq!(NameFilter::default().only(), None);
}

proptest! {
    /// The regex of [`exactly`] matches its text, not a longer or shorter one, and
    /// holds nothing an engine or a shell would act on.
    #[test]
    fn exactly_matches_its_text_only(text in "[a-zA-Z0-9.@_'!#^~$;\"` +*?()|\\{}\\[\\]\\\\é-]{0,24}") {
        let regex = exactly(&text);
        let compiled = pattern(&regex);
        prop_assert!(compiled.is_match(&text), "{} does not match {:?}", regex, text);
        prop_assert!(!compiled.is_match(&format!("{text}x")), "{}", regex);
        prop_assert!(!compiled.is_match(&format!("x{text}")), "{}", regex);
        let body = &regex[1..regex.len() - 1];
        prop_assert!(!body.contains(['\'', '"', '`', ' ', '!', ';', '$']), "{}", regex);
    }
}

fn pattern(text: &str) -> Pattern {
    match Pattern::new(text) {
        Ok(compiled) => compiled,
        Err(error) => panic!("{text:?} should compile: {error}"),
    }
}

fn flagged(text: &str, flags: &str) -> Pattern {
    match Pattern::with_flags(text, flags) {
        Ok(compiled) => compiled,
        Err(error) => panic!("{text:?}/{flags} should compile: {error}"),
    }
}

const LINE: &str = "OK: Active users on 2026-11-22 : 12/40 (30.00%) - Total (active users) \
                    Send Count: 250, Receive Count: 1295, Read Count: 1332 ";

#[test]
fn perl_features_work() {
    let cases: &[(&str, &str, bool)] = &[
        ("^(?!svc_)", "user1", true),
        ("^(?!svc_)", "svc_backup", false),
        (r"(a)\1", "xaax", true),
        (r"(a)\1", "xabx", false),
        ("[[:digit:]]+", "abc1", true),
        ("[[:^alpha:]]", "abc", false),
        ("(?i)abc", "xABCx", true),
        (r"\d+\s\w", "12 a", true),
        (r"(?<=ab)c", "abc", true),
        ("user00000[6-9]", "user000006@contoso.onmicrosoft.com", true),
        ("", "anything", true),
    ];
    for (source, text, expected) in cases {
        assert_eq!(pattern(source).is_match(text), *expected, "{source:?} on {text:?}");
    }
}

#[test]
fn perl_escapes_are_translated() {
    let cases: &[(&str, &str, bool)] = &[
        ("a$", "a\n", true),
        ("a$", "a\nb", false),
        ("a$", "ba", true),
        (r"a\Z", "a\n", true),
        (r"a\Z", "a\nb", false),
        (r"\h", " ", true),
        (r"\h", "f", false),
        (r"\H", "f", true),
        (r"[\h]", "\t", true),
        (r"\v", "\n", true),
        (r"\V", "\n", false),
        (r"\<b\>", "a<b>", true),
        (r"\<", "ab", false),
        (r"\Q.*\E", "a.*b", true),
        (r"\Q.*\E", "ab", false),
        (r"\Q.*", "x.*", true),
        ("[[]", "[", true),
        ("[]a]", "]", true),
        ("[^]a]", "]", false),
        ("[a&&b]", "&", true),
        ("[~]", "~", true),
        (r"[\$]", "$", true),
        ("[$]", "$", true),
        (r"\$", "$", true),
        (r"a\E", "a", true),
        ("a(?#cost in $)b", "ab", true),
    ];
    for (source, text, expected) in cases {
        assert_eq!(pattern(source).is_match(text), *expected, "{source:?} on {text:?}");
    }
}

/// On a text without a line end, the plain-`$` regex answers as the Perl one.
#[test]
fn one_line_texts_match_without_the_look_ahead() {
    let sources = ["^alice@contoso\\.com$", "a$", "a$|b", "(?:x$)?y", "[$]$", "^$", "a$*", "(?<=a)$"];
    let texts = ["alice@contoso.com", "alice@contoso.com.evil", "a", "ba", "ab", "b", "y", "$", "", "xy"];
    for source in sources {
        for flags in ["", "m", "i"] {
            let compiled = flagged(source, flags);
            for text in texts {
                let perl = compiled.regex.is_match(text).unwrap_or(false);
                assert_eq!(compiled.is_match(text), perl, "{source:?} /{flags} on {text:?}");
            }
        }
    }
    assert!(pattern("^alice@contoso\\.com$").one_line.is_some());
    assert!(pattern("^alice").one_line.is_none(), "nothing to spare without a $");
    assert!(pattern("a$").is_match("a\n"), "a line end still counts as Perl counts it");
}

#[test]
fn flags_apply_and_unknown_letters_are_ignored() {
    assert!(flagged("abc", "gi").is_match("xABCx"));
    assert!(!flagged("abc", "g").is_match("xABCx"));
    assert!(flagged("^b", "m").is_match("a\nb"));
    assert!(!pattern("^b").is_match("a\nb"));
    assert!(flagged("a.b", "s").is_match("a\nb"));
    assert!(flagged("a b # comment", "x").is_match("ab"));
    assert!(flagged("abc", "zqe").is_match("abc"));
    assert_eq!(flagged("abc", "i").as_str(), "abc");
}

#[test]
fn invalid_patterns_are_described() {
    let cases: &[(&str, &str)] = &[
        ("(", "unclosed group"),
        (")", "unmatched closing parenthesis"),
        ("*", "quantifier follows nothing"),
        ("[", "unclosed or invalid character class"),
        (r"\", "trailing backslash"),
        ("(?<=a+)b", "variable-length look-behind is not supported"),
        (r"\N", r"unsupported escape \N"),
    ];
    for (source, expected) in cases {
        let problem = Pattern::new(source).map(|p| p.as_str().to_string()).map_err(|e| e.to_string());
        assert_eq!(problem, Err(expected.to_string()));
    }
    let range = Pattern::new("[z-a]").map(|p| p.as_str().to_string()).map_err(|e| e.to_string());
    assert!(matches!(&range, Err(text) if !text.is_empty() && !text.contains('\n')), "{range:?}");
}

#[test]
fn options_are_compiled_with_their_name_in_errors() {
    const FILTER_USER: Text = Text::new("filter-user", "");
    let spec = FILTER_USER.spec();
    let mut values = Values::default();
    assert!(Pattern::from_option(&values, &FILTER_USER).expect("absent").is_none());
    values.set(&spec, String::new());
    assert!(Pattern::from_option(&values, &FILTER_USER).expect("empty").is_none());
    values.set(&spec, "^user0".into());
    let compiled = Pattern::from_option(&values, &FILTER_USER).expect("valid").expect("set");
    assert!(compiled.is_match("user000006"));
    values.set(&spec, "(".into());
    let error = Pattern::from_option(&values, &FILTER_USER).expect_err("invalid");
    assert_eq!(error.message(), "Invalid regular expression in --filter-user '(': unclosed group.");
}

#[test]
fn name_filters_include_then_exclude() {
    const INCLUDE: Text = Text::new("include-name", "");
    const EXCLUDE: Text = Text::new("exclude-name", "");
    let (include, exclude) = (INCLUDE.spec(), EXCLUDE.spec());
    let mut values = Values::default();
    let filter = |values: &Values| NameFilter::from_options(values, &INCLUDE, Some(&EXCLUDE));
    assert_eq!(filter(&values).expect("no options").verdict("anything"), Verdict::Kept);
    values.set(&include, "Exchange".into());
    values.set(&exclude, "Online$".into());
    let both = filter(&values).expect("valid");
    assert_eq!(both.verdict("Exchange Server"), Verdict::Kept);
    assert_eq!(both.verdict("SharePoint"), Verdict::NotIncluded);
    assert_eq!(both.verdict("Exchange Online"), Verdict::Excluded);
    assert_eq!(both.verdict("SharePoint Online"), Verdict::NotIncluded, "the including regex is tried first");
    let no_exclude = NameFilter::from_options(&values, &INCLUDE, None).expect("valid");
    assert_eq!(no_exclude.verdict("Exchange Online"), Verdict::Kept);
    values.set(&exclude, "(".into());
    let error = filter(&values).expect_err("bad regex");
    assert_eq!(error.message(), "Invalid regular expression in --exclude-name '(': unclosed group.");
}

#[test]
fn captures_lists_every_group() {
    let groups = pattern(r"(\d+)/(\d+)").captures(LINE);
    assert_eq!(groups, Some(vec!["12/40".to_string(), "12".to_string(), "40".to_string()]));
    let optional = pattern("(a)|(b)").captures("b");
    assert_eq!(optional, Some(vec!["b".to_string(), String::new(), "b".to_string()]));
    assert_eq!(pattern("x").captures("abc"), None);
}

/// `--change-short-output` rules: pattern, replacement, flags, expected start of the
/// result.
#[test]
fn change_short_output_examples() {
    let cases: &[(&str, &str, &str, &str)] = &[
        ("Active", "Working", "g", "OK: Working users on 2026-11-22 : 12/40 (30.00%) - "),
        ("OK", "Up", "gi", "Up: Active users on"),
        ("^OK: ", "", "", "Active users on 2026-11-22 : 12/40 (30.00%) - "),
        ("^OK:", "", "", " Active users on 2026-11-22 : "),
        (r"(\d+)/(\d+)", "$2 of $1", "", "OK: Active users on 2026-11-22 : 40 of 12 (30.00%) - "),
        ("users", "", "", "OK: Active  on 2026-11-22 : "),
    ];
    for (source, replacement, flags, expected) in cases {
        let result = flagged(source, flags).replace(
            LINE,
            replacement,
            if flags.contains('g') { Occurrences::All } else { Occurrences::First },
        );
        assert!(result.starts_with(expected), "{source:?}~{replacement:?}~{flags}: {result:?}");
    }
    let trimmed = pattern(r"\s+$").replace(LINE, "", Occurrences::First);
    assert!(trimmed.ends_with("Read Count: 1332"), "{trimmed:?}");
    let all = flagged("OK", "gi").replace("ok Ok OK", "Up", Occurrences::All);
    assert_eq!(all, "Up Up Up");
    assert_eq!(pattern("o").replace("foo", "0", Occurrences::First), "f0o");
}

#[test]
fn replacement_follows_perl_rules() {
    let cases: &[(&str, &str, &str, &str)] = &[
        ("(a)", "ab", r"$1x\$1\\$&", r"ax$1\ab"),
        ("(a)", "ab", r"\1-$12-${1}z", "a--azb"),
        ("(a)", "ab", "$1abc", "aabcb"),
        ("a", "ab", "$", "$b"),
        ("a", "ab", "x$", "x$b"),
        ("a", "ab", "$x", "$xb"),
        ("a", "ab", "${x}", "${x}b"),
        ("a", "ab", "${1", "${1b"),
        ("a", "ab", "$9", "b"),
        ("a", "ab", "${99999999999999999999999}", "b"),
        ("a", "ab", r"\n\t\q\", "\n\tq\\b"),
        ("Total", "Total", "${\\ `id` }", "${ `id` }"),
        ("Total", "Total", "@{[ `id` ]}", "@{[ `id` ]}"),
    ];
    for (source, text, replacement, expected) in cases {
        assert_eq!(pattern(source).replace(text, replacement, Occurrences::First), *expected, "{replacement:?}");
    }
}

#[test]
fn empty_matches_advance_like_perl() {
    assert_eq!(pattern("b*").replace("abc", "-", Occurrences::All), "-a--c-");
    assert_eq!(pattern("x*").replace("abc", "-", Occurrences::All), "-a-b-c-");
    assert_eq!(pattern("x*").replace("é", "-", Occurrences::All), "-é-");
    assert_eq!(pattern("$").replace("ab", "!", Occurrences::All), "ab!");
    assert_eq!(pattern("$").replace("ab\n", "!", Occurrences::All), "ab!\n!");
    assert_eq!(pattern("x*").replace("", "-", Occurrences::All), "-");
}

/// A search that exceeds the backtracking limit is no "no match": the run's error
/// names the option, the regex and the text, and later searches answer at once.
#[test]
fn runaway_backtracking_gives_up_the_run() {
    budget::reset();
    let runaway = Pattern::for_option("filter-mailbox", r"(a*)*\1b").expect("compiles");
    let text = "a".repeat(40);
    assert!(!runaway.is_match(&text));
    let error = budget::take().map(|e| e.message().to_string()).unwrap_or_default();
    assert_eq!(
        error,
        format!(
            "Regular expression in --filter-mailbox '(a*)*\\1b' gave up on '{text}': it backtracks too much \
             (more than 1000000 steps), rewrite it"
        )
    );
    assert_eq!(runaway.captures(&text), None);
    assert_eq!(runaway.replace(&text, "x", Occurrences::All), text);
    assert!(budget::take().is_some(), "captures and replace give up alike");
    budget::give_up(Error::new("earlier"));
    assert!(!pattern("a").is_match("a"), "once the run gave up, no search runs");
    budget::reset();
}

/// Past the run's deadline a search does not start: the run times out, naming the
/// option.
#[test]
fn no_search_starts_past_the_deadline() {
    budget::reset();
    budget::set_deadline(std::time::Instant::now(), std::time::Duration::from_secs(3));
    let filter = Pattern::for_option("filter-user", "^a").expect("compiles");
    assert!(!filter.is_match("alice"));
    let error = budget::take().map(|e| e.message().to_string());
    assert_eq!(
        error.as_deref(),
        Some("Regular expression in --filter-user '^a': timed out after 3 s (--timeout) while matching")
    );
    budget::reset();
    assert!(filter.is_match("alice"));
}

proptest! {
    #[test]
    fn new_never_panics(source in "\\PC*", text in "\\PC{0,20}") {
        if let Ok(compiled) = Pattern::new(&source) {
            let _ = compiled.is_match(&text);
            let _ = compiled.captures(&text);
            let _ = compiled.replace(&text, "$1${2}$&\\1", Occurrences::All);
        }
    }

    #[test]
    fn regex_alphabet_never_panics(
        source in "[\\\\()\\[\\]{}^$.*+?|:!=<>&~QEZhvV0-9a-c ]{0,16}",
        flags in "[gimsxz]{0,4}",
        text in "[a-c0-9 \\n<>é]{0,12}",
        replacement in "[$&{}\\\\0-9a ]{0,8}",
    ) {
        if let Ok(compiled) = Pattern::with_flags(&source, &flags) {
            let _ = compiled.is_match(&text);
            let _ = compiled.captures(&text);
            let _ = compiled.replace(&text, &replacement, Occurrences::All);
            let _ = compiled.replace(&text, &replacement, Occurrences::First);
        }
    }
}
