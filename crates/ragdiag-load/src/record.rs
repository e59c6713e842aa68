//! Typed access to the fields of one JSON record (a JSONL line, a front matter block, a Parquet
//! row), turning every type problem into a located [`Diagnostic`].

use crate::lines::for_each_line;
use crate::{LoadError, LoadOptions, Result};
use ragdiag_core::{Diagnostic, Diagnostics, Location, Timestamp};
use serde_json::{Map, Value};
use std::path::Path;

pub(crate) type FieldResult<T> = std::result::Result<T, Diagnostic>;

/// Reads a JSONL file: every non-blank line is one JSON object, which `parse` turns into an
/// item (pushing warnings onto the diagnostics it is given). A malformed line stops the load
/// with its [`Diagnostic`], or with `skip_invalid` is listed in `diagnostics` and skipped.
pub(crate) fn load_jsonl<T>(
    path: &Path,
    opts: &LoadOptions,
    diagnostics: &mut Diagnostics,
    parse: impl FnMut(&Record<'_>, &mut Diagnostics) -> FieldResult<T>,
) -> Result<Vec<T>> {
    let mut items = Vec::new();
    visit_jsonl(path, opts, diagnostics, parse, |item| {
        items.push(item);
        true
    })?;
    Ok(items)
}

/// [`load_jsonl`] handing each item to `keep` as it is parsed (none is held here): `keep`
/// returns whether to go on.
pub(crate) fn visit_jsonl<T>(
    path: &Path,
    opts: &LoadOptions,
    diagnostics: &mut Diagnostics,
    mut parse: impl FnMut(&Record<'_>, &mut Diagnostics) -> FieldResult<T>,
    mut keep: impl FnMut(T) -> bool,
) -> Result<()> {
    for_each_line(path, |line| {
        let item = match line {
            Err(d) => Err(d),
            Ok(line) if line.text.trim().is_empty() => return Ok(true),
            Ok(line) => {
                let loc = Location::new(path, line.number);
                parse_json_line(line.text, &loc)
                    .and_then(|value| parse(&Record::new(&value, &loc)?, diagnostics))
            }
        };
        Ok(match kept(diagnostics, opts, item)? {
            Some(x) => keep(x),
            None => true,
        })
    })
}

/// Handles one record's outcome: keep it, skip it (listing why), or stop the load.
pub(crate) fn accept<T>(
    out: &mut Vec<T>,
    diagnostics: &mut Diagnostics,
    opts: &LoadOptions,
    item: std::result::Result<T, Diagnostic>,
) -> Result<()> {
    out.extend(kept(diagnostics, opts, item)?);
    Ok(())
}

/// [`accept`]'s rule: the item to keep, `None` when it is skipped (listed in `diagnostics`
/// with `skip_invalid`), or the error that stops the load.
fn kept<T>(
    diagnostics: &mut Diagnostics,
    opts: &LoadOptions,
    item: std::result::Result<T, Diagnostic>,
) -> Result<Option<T>> {
    match item {
        Ok(x) => Ok(Some(x)),
        Err(d) if opts.skip_invalid => {
            diagnostics.push(d);
            Ok(None)
        }
        Err(d) => Err(LoadError::Invalid(d)),
    }
}

/// A JSON object with the location it came from.
pub(crate) struct Record<'a> {
    obj: &'a Map<String, Value>,
    loc: &'a Location,
}

/// A short name for a JSON value's type, for messages.
pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

impl<'a> Record<'a> {
    /// Wraps `v`, which must be a JSON object.
    pub(crate) fn new(v: &'a Value, loc: &'a Location) -> FieldResult<Self> {
        match v {
            Value::Object(obj) => Ok(Record { obj, loc }),
            other => Err(Diagnostic::error(
                loc.clone(),
                "",
                format!("expected a JSON object, found {}", type_name(other)),
            )),
        }
    }

    pub(crate) fn location(&self) -> &Location {
        self.loc
    }

    pub(crate) fn has(&self, key: &str) -> bool {
        self.obj.get(key).is_some_and(|v| !v.is_null())
    }

    pub(crate) fn keys(&self) -> impl Iterator<Item = &str> {
        self.obj.keys().map(String::as_str)
    }

    pub(crate) fn get(&self, key: &str) -> Option<&'a Value> {
        self.obj.get(key).filter(|v| !v.is_null())
    }

    pub(crate) fn err(&self, field: &str, reason: impl Into<String>) -> Diagnostic {
        Diagnostic::error(self.loc.clone(), field, reason)
    }

    /// An identifier: the first present key of `keys`, a non-empty string or an integer, with
    /// no whitespace or control character (see [`id_problem`]).
    pub(crate) fn id(&self, keys: &[&str]) -> FieldResult<String> {
        for key in keys {
            if let Some(v) = self.get(key) {
                return self.id_value(key, v);
            }
        }
        Err(self.err(keys[0], "missing required field"))
    }

    /// An identifier given as `v` (a record's id, or a document named inside a list such as
    /// `relevant[0].doc`), reported as `field`: a non-empty string or an integer, with no
    /// whitespace or control character.
    pub(crate) fn id_value(&self, field: &str, v: &Value) -> FieldResult<String> {
        match v {
            Value::String(s) if s.trim().is_empty() => Err(self.err(field, "must not be empty")),
            Value::String(s) => match id_problem(s) {
                Some(reason) => Err(self.err(field, reason)),
                None => Ok(s.clone()),
            },
            Value::Number(n) if n.is_i64() || n.is_u64() => Ok(n.to_string()),
            Value::Null => Err(self.err(field, "missing required field")),
            other => Err(self.err(
                field,
                format!("expected a string, found {}", type_name(other)),
            )),
        }
    }

    /// An optional identifier (a string or an integer, checked as [`Record::id_value`]).
    pub(crate) fn opt_id(&self, key: &str) -> FieldResult<Option<String>> {
        self.get(key).map(|v| self.id_value(key, v)).transpose()
    }

    /// A required string (may be empty).
    pub(crate) fn req_str(&self, key: &str) -> FieldResult<String> {
        match self.obj.get(key) {
            None | Some(Value::Null) => Err(self.err(key, "missing required field")),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(other) => Err(self.err(
                key,
                format!("expected a string, found {}", type_name(other)),
            )),
        }
    }

    /// An optional string.
    pub(crate) fn opt_str(&self, key: &str) -> FieldResult<Option<String>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(self.err(
                key,
                format!("expected a string, found {}", type_name(other)),
            )),
        }
    }

    /// An optional string that may also be written as a number (versions: `2`, `"2.1"`).
    pub(crate) fn opt_str_or_number(&self, key: &str) -> FieldResult<Option<String>> {
        match self.get(key) {
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            _ => self.opt_str(key),
        }
    }

    /// An optional boolean.
    pub(crate) fn opt_bool(&self, key: &str) -> FieldResult<Option<bool>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(self.err(
                key,
                format!("expected true or false, found {}", type_name(other)),
            )),
        }
    }

    /// An optional finite number.
    pub(crate) fn opt_f64(&self, key: &str) -> FieldResult<Option<f64>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Number(n)) => match n.as_f64() {
                Some(x) if x.is_finite() => Ok(Some(x)),
                _ => Err(self.err(key, "expected a finite number")),
            },
            Some(other) => Err(self.err(
                key,
                format!("expected a number, found {}", type_name(other)),
            )),
        }
    }

    /// An optional list of strings (a single string is accepted as a one-item list).
    pub(crate) fn opt_str_list(&self, key: &str) -> FieldResult<Vec<String>> {
        match self.get(key) {
            None => Ok(Vec::new()),
            Some(Value::String(s)) => Ok(vec![s.clone()]),
            Some(Value::Array(items)) => {
                // Sized to its items (collecting `Result`s grows by pushes, room for four).
                let mut list = Vec::with_capacity(items.len());
                for (i, v) in items.iter().enumerate() {
                    list.push(match v {
                        Value::String(s) => s.clone(),
                        Value::Number(n) => n.to_string(),
                        other => {
                            return Err(self.err(
                                &format!("{key}[{i}]"),
                                format!("expected a string, found {}", type_name(other)),
                            ))
                        }
                    });
                }
                Ok(list)
            }
            Some(other) => Err(self.err(
                key,
                format!("expected a list of strings, found {}", type_name(other)),
            )),
        }
    }

    /// An optional list of objects.
    pub(crate) fn opt_object_list(&self, key: &str) -> FieldResult<Vec<&'a Map<String, Value>>> {
        match self.get(key) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, v)| match v {
                    Value::Object(o) => Ok(o),
                    other => Err(self.err(
                        &format!("{key}[{i}]"),
                        format!("expected an object, found {}", type_name(other)),
                    )),
                })
                .collect(),
            Some(other) => {
                Err(self.err(key, format!("expected a list, found {}", type_name(other))))
            }
        }
    }

    /// An optional date. A string that is not a date is a warning (a problem of meaning) and
    /// reads as absent; a non-string is a type error.
    pub(crate) fn opt_date(
        &self,
        key: &str,
        warnings: &mut Diagnostics,
    ) -> FieldResult<Option<Timestamp>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => match Timestamp::parse(s) {
                Some(t) => Ok(Some(t)),
                None => {
                    warnings.warn(
                        self.loc.clone(),
                        key,
                        format!("unparseable date {s:?} (expected RFC 3339 or YYYY-MM-DD); treated as absent"),
                    );
                    Ok(None)
                }
            },
            Some(other) => Err(self.err(
                key,
                format!("expected a date string, found {}", type_name(other)),
            )),
        }
    }

    /// Warns about keys outside `known` (likely typos such as `updatedAt`).
    pub(crate) fn warn_unknown(&self, known: &[&str], warnings: &mut Diagnostics) {
        for key in self.keys() {
            if !known.contains(&key) {
                warnings.warn(self.loc.clone(), key, "unknown field; ignored");
            }
        }
    }
}

/// Why `id` cannot be an identifier, if it cannot: ids are written into whitespace-separated
/// TREC runs and qrels, so whitespace (Unicode's, not only ASCII's) and control characters
/// (NUL included) would make a file no reader can parse. Names the first offending character.
pub(crate) fn id_problem(id: &str) -> Option<String> {
    id.chars()
        .find(|c| c.is_whitespace() || c.is_control())
        .map(|c| {
            format!(
                "contains whitespace or a control character (U+{:04X}), which a TREC run cannot carry",
                u32::from(c)
            )
        })
}

/// Parses one JSON line into a value, locating syntax errors.
pub(crate) fn parse_json_line(text: &str, loc: &Location) -> FieldResult<Value> {
    if text.contains('\0') {
        return Err(Diagnostic::error(loc.clone(), "", "NUL byte in line"));
    }
    let budget = crate::limits::max_record_values()
        .map_err(|e| Diagnostic::error(loc.clone(), "", e.to_string()))?;
    crate::limits::parse_bounded(text.as_bytes(), budget).map_err(|e| {
        let msg = e.to_string();
        if msg.starts_with(&crate::limits::too_many(budget)) {
            return Diagnostic::error(loc.clone(), "", crate::limits::too_many(budget));
        }
        let msg = msg.rfind(" at line ").map_or(msg.as_str(), |i| &msg[..i]);
        Diagnostic::error(
            loc.clone(),
            "",
            format!("invalid JSON at column {}: {msg}", e.column()),
        )
    })
}
