//! The values a mode collects for one group or one instance.

use crate::expr::Value;
use crate::number;

/// One collected value. Integers stay integers so that byte counts beyond 2^53 are
/// summed and printed exactly, as Perl does with its integer scalars.
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
    pub fn value(&self) -> Value {
        match self {
            Field::Int(i) => Value::Num(*i as f64),
            Field::Float(f) => Value::Num(*f),
            Field::Text(t) => Value::Str(t.clone()),
        }
    }
}

/// The named values of one group or instance (`key_values` in Perl's counters).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Record {
    fields: Vec<(&'static str, Field)>,
}

impl Record {
    /// An empty record.
    pub fn new() -> Self {
        Record::default()
    }

    /// Sets a value, replacing an earlier one of the same key.
    pub fn set(&mut self, key: &'static str, field: Field) -> &mut Self {
        match self.fields.iter_mut().find(|(k, _)| *k == key) {
            Some((_, slot)) => *slot = field,
            None => self.fields.push((key, field)),
        }
        self
    }

    /// Builder form of [`Record::set`].
    pub fn with(mut self, key: &'static str, field: Field) -> Self {
        self.set(key, field);
        self
    }

    /// A value, if collected.
    pub fn get(&self, key: &str) -> Option<&Field> {
        self.fields.iter().find(|(k, _)| *k == key).map(|(_, f)| f)
    }

    /// A value as a number; absent counts as 0, as in Perl.
    pub fn num(&self, key: &str) -> f64 {
        self.get(key).map_or(0.0, Field::num)
    }

    /// A value as an integer (absent or fractional values truncated toward zero).
    pub fn int(&self, key: &str) -> i64 {
        match self.get(key) {
            Some(Field::Int(i)) => *i,
            Some(other) => other.num() as i64,
            None => 0,
        }
    }

    /// A value as text; absent is the empty string.
    pub fn text(&self, key: &str) -> String {
        self.get(key).map(Field::text).unwrap_or_default()
    }

    /// Whether every key in `keys` has a value.
    pub fn has_all(&self, keys: &[&str]) -> bool {
        keys.iter().all(|k| self.get(k).is_some())
    }
}
