//! Resource limits on input: the largest record a loader holds in memory at once.
//!
//! A JSONL line (a document, a question, a trace record with its hits), a file of a folder
//! corpus (one document), a line of a TREC run and the first record a trace's format is told
//! from are each one *record*. A record longer than [`max_record_bytes`] is refused while it is
//! read, before it is held whole, with a message naming the limit and
//! [`MAX_RECORD_BYTES_ENV`], which raises it. Files of many records are read a record at a time,
//! so the memory a load takes grows with what it keeps, not with the longest line.

use crate::{LoadError, Result};
use std::path::Path;

/// The environment variable that sets [`max_record_bytes`] (a number of bytes, optionally with
/// a `K`, `M` or `G` suffix, powers of 1024).
pub const MAX_RECORD_BYTES_ENV: &str = "RAGDIAG_MAX_RECORD_BYTES";

/// The default largest record: 32 MiB. A long book is a few MB of text; a trace record with a
/// thousand hits of 2 kB each is 2 MB.
pub const DEFAULT_MAX_RECORD_BYTES: u64 = 32 << 20;

/// The largest record a loader reads, from [`MAX_RECORD_BYTES_ENV`] or the default.
///
/// # Errors
///
/// [`LoadError::Unusable`] (naming the variable) when the variable is set to something that is
/// not a positive size.
pub fn max_record_bytes() -> Result<u64> {
    match std::env::var(MAX_RECORD_BYTES_ENV) {
        Err(std::env::VarError::NotPresent) => Ok(DEFAULT_MAX_RECORD_BYTES),
        Ok(v) => parse_size(&v).ok_or_else(|| bad_setting(&v)),
        Err(std::env::VarError::NotUnicode(v)) => Err(bad_setting(&v.to_string_lossy())),
    }
}

fn bad_setting(v: &str) -> LoadError {
    LoadError::unusable(
        Path::new(MAX_RECORD_BYTES_ENV),
        format!("expected a positive number of bytes (e.g. 64M), found {v:?}"),
    )
}

/// `123`, `64K`, `32M`, `2G` (powers of 1024, case-insensitive, an optional `B`/`iB`).
fn parse_size(s: &str) -> Option<u64> {
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
    if limit >= 1 << 20 && limit % (1 << 20) == 0 {
        format!("{limit} bytes ({} MiB)", limit >> 20)
    } else {
        format!("{limit} bytes")
    }
}

/// The reason given for a record over the limit: `what` (`the line`, `the file`) is longer
/// than the limit, and how to raise it.
pub(crate) fn too_long(what: &str, limit: u64) -> String {
    format!(
        "{what} is longer than {}, the limit of one record; set {MAX_RECORD_BYTES_ENV} to raise it",
        describe(limit)
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
}
