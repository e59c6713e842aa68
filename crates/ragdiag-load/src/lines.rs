//! Reading text files line by line with exact line numbers, BOM and CRLF handling, and
//! per-line UTF-8 validation.

use crate::{LoadError, Result};
use ragdiag_core::{Diagnostic, Location};
use std::path::Path;

/// Reads a whole file, refusing directories with a clear message.
pub(crate) fn read_file(path: &Path) -> Result<Vec<u8>> {
    let meta = std::fs::metadata(path).map_err(|e| LoadError::io(path, e))?;
    if meta.is_dir() {
        return Err(LoadError::unusable(path, "is a directory, expected a file"));
    }
    std::fs::read(path).map_err(|e| LoadError::io(path, e))
}

/// Strips a UTF-8 byte-order mark.
pub(crate) fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

/// One line of a file: its 1-based number and its text without the line terminator.
pub(crate) struct Line<'a> {
    pub(crate) number: u64,
    pub(crate) text: &'a str,
}

/// Iterates over the lines of `bytes` (BOM stripped, `\n` or `\r\n` terminated). A line that is
/// not valid UTF-8 yields an error located at that line.
pub(crate) fn lines<'a>(
    path: &'a Path,
    bytes: &'a [u8],
) -> impl Iterator<Item = std::result::Result<Line<'a>, Diagnostic>> + 'a {
    let bytes = strip_bom(bytes);
    let mut rest = bytes;
    let mut number = 0u64;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        number += 1;
        let (line, next) = match memchr::memchr(b'\n', rest) {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, &rest[rest.len()..]),
        };
        rest = next;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        Some(match std::str::from_utf8(line) {
            Ok(text) => Ok(Line { number, text }),
            Err(e) => Err(Diagnostic::error(
                Location::new(path, number),
                "",
                format!("invalid UTF-8 at byte {} of the line", e.valid_up_to() + 1),
            )),
        })
    })
}
