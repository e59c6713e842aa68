//! Resource limits on input: the largest record a loader holds in memory at once.
//!
//! Three limits, each raised by a global flag of the `ragdiag` binary or an environment
//! variable (the flag wins; [`set_flags`]): a record's length in bytes
//! ([`max_record_bytes`]), and the number of JSON values in one JSON record
//! ([`max_record_values`]: a parsed value takes tens of bytes in memory, so a record of
//! many small values, such as a trace record of a million hits, is bounded by their count),
//! and the results of one query in a run ([`max_results_per_query`]).
//!
//! A JSONL line (a document, a question, a trace record with its hits), a file of a folder
//! corpus (one document), a line of a TREC run and the first record a trace's format is told
//! from are each one *record*. A record longer than [`max_record_bytes`] is refused while it is
//! read, before it is held whole, with a message naming the limit, the flag and
//! [`MAX_RECORD_BYTES_ENV`], which raise it. Files of many records are read a record at a time,
//! so the memory a load takes grows with what it keeps, not with the longest line.

use crate::{LoadError, Result};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::cell::Cell;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// Limits given as flags (`--max-record-bytes`, `--max-record-values`,
/// `--max-results-per-query`); `None` leaves the environment variable or the default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LimitFlags {
    /// [`max_record_bytes`].
    pub record_bytes: Option<u64>,
    /// [`max_record_values`].
    pub record_values: Option<u64>,
    /// [`max_results_per_query`].
    pub results_per_query: Option<u64>,
}

// 0: not set by a flag (every limit is positive).
static FLAG_RECORD_BYTES: AtomicU64 = AtomicU64::new(0);
static FLAG_RECORD_VALUES: AtomicU64 = AtomicU64::new(0);
static FLAG_RESULTS_PER_QUERY: AtomicU64 = AtomicU64::new(0);

/// Sets this process's limits from flags: a limit given here wins over its environment
/// variable. The binary calls it once, before any input is read.
pub fn set_flags(flags: LimitFlags) {
    for (cell, v) in [
        (&FLAG_RECORD_BYTES, flags.record_bytes),
        (&FLAG_RECORD_VALUES, flags.record_values),
        (&FLAG_RESULTS_PER_QUERY, flags.results_per_query),
    ] {
        cell.store(v.unwrap_or(0), Ordering::Relaxed);
    }
}

fn flag(cell: &AtomicU64) -> Option<u64> {
    Some(cell.load(Ordering::Relaxed)).filter(|&v| v > 0)
}

/// The flag that raises the record-bytes limit.
pub const MAX_RECORD_BYTES_FLAG: &str = "--max-record-bytes";
/// The flag that raises the record-values limit.
pub const MAX_RECORD_VALUES_FLAG: &str = "--max-record-values";
/// The flag that raises the results-per-query limit.
pub const MAX_RESULTS_PER_QUERY_FLAG: &str = "--max-results-per-query";

/// How to raise a limit: `raise it with FLAG or VAR`.
fn raise(flag: &str, var: &str) -> String {
    format!("raise it with {flag} or {var}")
}

/// The environment variable that sets [`max_record_bytes`] (a number of bytes, optionally with
/// a `K`, `M` or `G` suffix, powers of 1024).
pub const MAX_RECORD_BYTES_ENV: &str = "RAGDIAG_MAX_RECORD_BYTES";

/// The default largest record: 32 MiB. A long book is a few MB of text; a trace record with a
/// thousand hits of 2 kB each is 2 MB.
pub const DEFAULT_MAX_RECORD_BYTES: u64 = 32 << 20;

/// The environment variable that sets [`max_record_values`].
pub const MAX_RECORD_VALUES_ENV: &str = "RAGDIAG_MAX_RECORD_VALUES";

/// The default largest number of JSON values (objects, lists, strings, numbers, …) in one
/// record: 200,000. Parsed, a JSON object takes about 600 bytes (a small `BTreeMap`), so a
/// record of small objects stays near 100 MB; a trace record of a thousand hits has a few
/// thousand values.
pub const DEFAULT_MAX_RECORD_VALUES: u64 = 200_000;

/// The most JSON values one record may hold: the flag, else [`MAX_RECORD_VALUES_ENV`], else
/// the default.
///
/// # Errors
///
/// [`LoadError::Unusable`] (naming the variable) when it is set to something that is not a
/// positive number.
pub fn max_record_values() -> Result<u64> {
    if let Some(v) = flag(&FLAG_RECORD_VALUES) {
        return Ok(v);
    }
    match std::env::var(MAX_RECORD_VALUES_ENV) {
        Err(std::env::VarError::NotPresent) => Ok(DEFAULT_MAX_RECORD_VALUES),
        Ok(v) => parse_size(&v)
            .ok_or_else(|| bad_number(MAX_RECORD_VALUES_ENV, &v, "a positive number (e.g. 5M)")),
        Err(std::env::VarError::NotUnicode(v)) => Err(bad_number(
            MAX_RECORD_VALUES_ENV,
            &v.to_string_lossy(),
            "a positive number (e.g. 5M)",
        )),
    }
}

/// The environment variable that sets [`max_results_per_query`].
pub const MAX_RESULTS_PER_QUERY_ENV: &str = "RAGDIAG_MAX_RESULTS_PER_QUERY";

/// The default largest number of retrieved documents of one query in a run: 1,000,000 (a
/// TREC run has 1,000). Read, a result takes about 24 bytes; evaluated, about 100.
pub const DEFAULT_MAX_RESULTS_PER_QUERY: u64 = 1_000_000;

/// The most results one query of a run may have: the flag, else
/// [`MAX_RESULTS_PER_QUERY_ENV`], else the default.
///
/// # Errors
///
/// [`LoadError::Unusable`] (naming the variable) when it is set to something that is not a
/// positive number.
pub fn max_results_per_query() -> Result<u64> {
    if let Some(v) = flag(&FLAG_RESULTS_PER_QUERY) {
        return Ok(v);
    }
    match std::env::var(MAX_RESULTS_PER_QUERY_ENV) {
        Err(std::env::VarError::NotPresent) => Ok(DEFAULT_MAX_RESULTS_PER_QUERY),
        Ok(v) => parse_size(&v).ok_or_else(|| {
            bad_number(MAX_RESULTS_PER_QUERY_ENV, &v, "a positive number (e.g. 5M)")
        }),
        Err(std::env::VarError::NotUnicode(v)) => Err(bad_number(
            MAX_RESULTS_PER_QUERY_ENV,
            &v.to_string_lossy(),
            "a positive number (e.g. 5M)",
        )),
    }
}

/// Parses one JSON record into a [`Value`], refusing it once it holds more than `budget`
/// values, before they are all allocated.
///
/// # Errors
///
/// serde_json's error: invalid JSON, or (a custom error) too many values.
pub(crate) fn parse_bounded(text: &[u8], budget: u64) -> serde_json::Result<Value> {
    let mut de = serde_json::Deserializer::from_slice(text);
    let left = Cell::new(budget);
    let value = Bounded {
        left: &left,
        budget,
    }
    .deserialize(&mut de)?;
    de.end()?;
    Ok(value)
}

/// A [`Value`] deserializer that counts the values it makes against a budget.
#[derive(Clone, Copy)]
struct Bounded<'a> {
    left: &'a Cell<u64>,
    budget: u64,
}

impl Bounded<'_> {
    fn take<E: de::Error>(self) -> std::result::Result<(), E> {
        match self.left.get() {
            0 => Err(E::custom(too_many(self.budget))),
            n => {
                self.left.set(n - 1);
                Ok(())
            }
        }
    }
}

/// The reason given for a record of more than `limit` JSON values.
pub(crate) fn too_many(limit: u64) -> String {
    format!(
        "the record holds more than {limit} JSON values, the limit of one record; {}",
        raise(MAX_RECORD_VALUES_FLAG, MAX_RECORD_VALUES_ENV)
    )
}

impl<'de> DeserializeSeed<'de> for Bounded<'_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Bounded<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> std::result::Result<Value, E> {
        self.take()?;
        Ok(Value::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<Value, E> {
        self.take()?;
        Ok(Value::from(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<Value, E> {
        self.take()?;
        Ok(Value::from(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<Value, E> {
        self.take()?;
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Value, E> {
        self.take()?;
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> std::result::Result<Value, E> {
        self.take()?;
        Ok(Value::String(v))
    }
    fn visit_unit<E: de::Error>(self) -> std::result::Result<Value, E> {
        self.take()?;
        Ok(Value::Null)
    }
    fn visit_none<E: de::Error>(self) -> std::result::Result<Value, E> {
        self.visit_unit()
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Value, A::Error> {
        self.take()?;
        let mut items = Vec::new();
        while let Some(v) = seq.next_element_seed(self)? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Value, A::Error> {
        self.take()?;
        let mut obj = serde_json::Map::new();
        while let Some(k) = map.next_key::<String>()? {
            let v = map.next_value_seed(self)?;
            obj.insert(k, v);
        }
        Ok(Value::Object(obj))
    }
}

/// The largest record a loader reads: the flag, else [`MAX_RECORD_BYTES_ENV`], else the
/// default.
///
/// # Errors
///
/// [`LoadError::Unusable`] (naming the variable) when the variable is set to something that is
/// not a positive size.
pub fn max_record_bytes() -> Result<u64> {
    if let Some(v) = flag(&FLAG_RECORD_BYTES) {
        return Ok(v);
    }
    match std::env::var(MAX_RECORD_BYTES_ENV) {
        Err(std::env::VarError::NotPresent) => Ok(DEFAULT_MAX_RECORD_BYTES),
        Ok(v) => parse_size(&v).ok_or_else(|| bad_setting(&v)),
        Err(std::env::VarError::NotUnicode(v)) => Err(bad_setting(&v.to_string_lossy())),
    }
}

fn bad_setting(v: &str) -> LoadError {
    bad_number(
        MAX_RECORD_BYTES_ENV,
        v,
        "a positive number of bytes (e.g. 64M)",
    )
}

fn bad_number(var: &str, v: &str, expected: &str) -> LoadError {
    LoadError::unusable(Path::new(var), format!("expected {expected}, found {v:?}"))
}

/// `123`, `64K`, `32M`, `2G` (powers of 1024, case-insensitive, an optional `B`/`iB`);
/// `None` for anything else, zero included.
#[must_use]
pub fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let lower = s.to_ascii_lowercase();
    let body = lower
        .strip_suffix("ib")
        .or_else(|| lower.strip_suffix('b'))
        .unwrap_or(&lower);
    let (digits, shift) = match body.chars().last()? {
        'k' => (&body[..body.len() - 1], 10),
        'm' => (&body[..body.len() - 1], 20),
        'g' => (&body[..body.len() - 1], 30),
        _ => (body, 0),
    };
    let n: u64 = digits.trim().parse().ok()?;
    n.checked_mul(1u64 << shift).filter(|&n| n > 0)
}

/// `limit` for people: `33554432 bytes (32 MiB)`.
pub(crate) fn describe(limit: u64) -> String {
    if limit >= 1 << 20 && limit.is_multiple_of(1 << 20) {
        format!("{limit} bytes ({} MiB)", limit >> 20)
    } else {
        format!("{limit} bytes")
    }
}

/// The reason given for a record over the limit: `what` (`the line`, `the file`) is longer
/// than the limit, and how to raise it.
pub(crate) fn too_long(what: &str, limit: u64) -> String {
    format!(
        "{what} is longer than {}, the limit of one record; {}",
        describe(limit),
        raise(MAX_RECORD_BYTES_FLAG, MAX_RECORD_BYTES_ENV)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("123"), Some(123));
        assert_eq!(parse_size("64K"), Some(64 << 10));
        assert_eq!(parse_size("32m"), Some(32 << 20));
        assert_eq!(parse_size("2GiB"), Some(2 << 30));
        assert_eq!(parse_size(" 5 MB "), Some(5 << 20));
        for bad in ["", "0", "-1", "x", "1.5M", "99999999999999999999G"] {
            assert_eq!(parse_size(bad), None, "{bad}");
        }
        assert_eq!(describe(32 << 20), "33554432 bytes (32 MiB)");
        assert_eq!(describe(1000), "1000 bytes");
    }

    #[test]
    fn values_are_counted_and_parsed_as_serde_json_does() {
        for text in [
            r#"{"a":[1,-2,3.5,"x",null,true,{"b":{}}],"a":"last","c":18446744073709551615}"#,
            r#"[]"#,
            r#" "s\u00e9" "#,
        ] {
            let want: Value = serde_json::from_str(text).unwrap();
            assert_eq!(parse_bounded(text.as_bytes(), 100).unwrap(), want, "{text}");
        }
        // [1,2,3] is four values.
        assert!(parse_bounded(b"[1,2,3]", 4).is_ok());
        let err = parse_bounded(b"[1,2,3]", 3).unwrap_err().to_string();
        assert!(err.starts_with(&too_many(3)), "{err}");
        assert!(parse_bounded(b"{} x", 10).is_err());
        assert!(parse_bounded(b"[1,", 10).is_err());
    }
}
