//! The expression language against Perl's behaviour.

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
    let perfdata =
        Dialect { syntax: VariableSyntax::BracesOrParentheses, variables: &["value"], functions: &["alert_triggered"] };
    assert!(Expr::parse("alert_triggered() or %(value) > 1", &perfdata).is_ok());
    let typo = Expr::parse("alert_trigered()", &perfdata).err().map(|e| e.to_string()).unwrap_or_default();
    assert_eq!(typo, "unknown function alert_trigered() (known: lc(), uc(), length(), defined(), alert_triggered())");
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
