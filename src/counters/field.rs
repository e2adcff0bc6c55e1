//! The values counters read from a mode's records.

use crate::expr::Value;
use crate::number;

/// One value as the counter template sees it. Integers stay integers so that byte
/// counts beyond 2^53 are summed and printed exactly, as Perl does with its integer
/// scalars.
#[derive(Debug, Clone, PartialEq)]
pub enum Field {
    Int(i64),
    Float(f64),
    Text(String),
}

impl Field {
    /// The value as a number (text by Perl's leading-number rule).
    pub fn num(&self) -> f64 {
        match self {
            Field::Int(i) => *i as f64,
            Field::Float(f) => *f,
            Field::Text(t) => number::parse_leading(t),
        }
    }

    /// The value as Perl would print it.
    pub fn text(&self) -> String {
        match self {
            Field::Int(i) => i.to_string(),
            Field::Float(f) => number::perl(*f),
            Field::Text(t) => t.clone(),
        }
    }

    /// The value as an expression variable.
    pub fn value(self) -> Value {
        match self {
            Field::Int(i) => Value::Num(i as f64),
            Field::Float(f) => Value::Num(f),
            Field::Text(t) => Value::Str(t),
        }
    }
}

/// What a record accessor may return: a plain value, or an `Option` of one when the
/// value can be absent. An absent counter value makes the counter show Perl's
/// `LABEL : skipped (no value(s))`; an absent status variable is `undef`.
pub trait Scalar {
    /// The value, or `None` when absent.
    fn into_field(self) -> Option<Field>;
}

impl Scalar for i64 {
    fn into_field(self) -> Option<Field> {
        Some(Field::Int(self))
    }
}

impl Scalar for f64 {
    fn into_field(self) -> Option<Field> {
        Some(Field::Float(self))
    }
}

impl Scalar for String {
    fn into_field(self) -> Option<Field> {
        Some(Field::Text(self))
    }
}

impl<T: Scalar> Scalar for Option<T> {
    fn into_field(self) -> Option<Field> {
        self.and_then(Scalar::into_field)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_print_exactly_beyond_float_precision() {
        let big = (1i64 << 53) + 1;
        assert_eq!(big.into_field().map(|f| f.text()), Some("9007199254740993".to_string()));
    }

    #[test]
    fn an_absent_value_stays_absent() {
        assert_eq!(None::<i64>.into_field(), None);
        assert_eq!(Some(2.5).into_field(), Some(Field::Float(2.5)));
    }

    #[test]
    fn text_counts_by_its_leading_number_and_is_a_string_variable() {
        let field = "12abc".to_string().into_field().expect("present");
        assert_eq!(field.num(), 12.0);
        assert_eq!(field.value(), Value::Str("12abc".into()));
    }
}
