//! Reading text files line by line with exact line numbers, BOM and CRLF handling, and
//! per-line UTF-8 validation.

use crate::limits::{max_record_bytes, too_long};
use crate::{LoadError, Result};
use ragdiag_core::{Diagnostic, Location};
use std::io::{BufRead, Read};
use std::path::Path;

/// Reads a whole file, refusing directories with a clear message.
pub(crate) fn read_file(path: &Path) -> Result<Vec<u8>> {
    let meta = std::fs::metadata(path).map_err(|e| LoadError::io(path, e))?;
    if meta.is_dir() {
        return Err(LoadError::unusable(path, "is a directory, expected a file"));
    }
    std::fs::read(path).map_err(|e| LoadError::io(path, e))
}

/// Reads a file that is one record (a document of a folder corpus), refusing one longer than
/// [`max_record_bytes`](crate::max_record_bytes) before reading it.
pub(crate) fn read_record_file(path: &Path) -> Result<Vec<u8>> {
    let limit = max_record_bytes()?;
    let meta = std::fs::metadata(path).map_err(|e| LoadError::io(path, e))?;
    if meta.is_dir() {
        return Err(LoadError::unusable(path, "is a directory, expected a file"));
    }
    if meta.len() > limit {
        return Err(LoadError::Invalid(Diagnostic::error(
            Location::file(path),
            "",
            too_long("the file", limit),
        )));
    }
    // Read at most one byte past the limit: the file may have grown since.
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    let file = std::fs::File::open(path).map_err(|e| LoadError::io(path, e))?;
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| LoadError::io(path, e))?;
    if bytes.len() as u64 > limit {
        return Err(LoadError::Invalid(Diagnostic::error(
            Location::file(path),
            "",
            too_long("the file", limit),
        )));
    }
    Ok(bytes)
}

/// Calls `f` with each line of the file at `path`, read one line at a time (BOM stripped, `\n`
/// or `\r\n` terminated): a line that is not valid UTF-8, or longer than
/// [`max_record_bytes`](crate::max_record_bytes), is an error located at that line. A long line
/// is refused as soon as the limit is passed and the rest of it skipped unread into memory, so
/// the memory taken is one line at most. `f` returns whether to go on, or an error to stop.
pub(crate) fn for_each_line(
    path: &Path,
    f: impl FnMut(std::result::Result<Line<'_>, Diagnostic>) -> Result<bool>,
) -> Result<()> {
    for_each_line_within(path, max_record_bytes()?, f)
}

/// [`for_each_line`] with the record limit `limit`.
fn for_each_line_within(
    path: &Path,
    limit: u64,
    f: impl FnMut(std::result::Result<Line<'_>, Diagnostic>) -> Result<bool>,
) -> Result<()> {
    let meta = std::fs::metadata(path).map_err(|e| LoadError::io(path, e))?;
    if meta.is_dir() {
        return Err(LoadError::unusable(path, "is a directory, expected a file"));
    }
    let file = std::fs::File::open(path).map_err(|e| LoadError::io(path, e))?;
    let reader = std::io::BufReader::with_capacity(1 << 16, file);
    for_each_line_of(reader, path, limit, f)
}

/// [`for_each_line`] over any reader (standard input, for `--trace -`): lines are located as
/// `path:LINE` with the label `path` (e.g. `<stdin>`), with the record limit `limit`.
pub(crate) fn for_each_line_of(
    mut reader: impl BufRead,
    path: &Path,
    limit: u64,
    mut f: impl FnMut(std::result::Result<Line<'_>, Diagnostic>) -> Result<bool>,
) -> Result<()> {
    let io = |e| LoadError::io(path, e);
    let mut buf = Vec::new();
    let mut number = 0u64;
    // The byte offset of the next line in the input.
    let mut pos = 0u64;
    loop {
        buf.clear();
        // The line, its terminator (and on the first line a BOM), and one byte more tell a
        // line over the limit.
        let cap = limit + if number == 0 { 6 } else { 3 };
        let got = (&mut reader)
            .take(cap)
            .read_until(b'\n', &mut buf)
            .map_err(io)?;
        if got == 0 {
            return Ok(());
        }
        let offset = pos;
        pos += got as u64;
        number += 1;
        let mut line = buf.strip_suffix(b"\n").unwrap_or(&buf);
        let terminated = line.len() < buf.len();
        line = line.strip_suffix(b"\r").unwrap_or(line);
        if number == 1 {
            line = strip_bom(line);
        }
        // A line cut off by `take` before its end is over the limit whatever was stripped.
        if line.len() as u64 > limit || (!terminated && got as u64 == cap) {
            let go_on = f(Err(Diagnostic::error(
                Location::new(path, number),
                "",
                too_long("the line", limit),
            )))?;
            if !go_on {
                return Ok(());
            }
            if !terminated {
                pos += reader.skip_until(b'\n').map_err(io)? as u64;
            }
            continue;
        }
        let go_on = f(match std::str::from_utf8(line) {
            Ok(text) => Ok(Line {
                number,
                text,
                offset,
                raw_len: got as u64,
            }),
            Err(e) => Err(Diagnostic::error(
                Location::new(path, number),
                "",
                format!("invalid UTF-8 at byte {} of the line", e.valid_up_to() + 1),
            )),
        })?;
        if !go_on {
            return Ok(());
        }
    }
}

/// Strips a UTF-8 byte-order mark.
pub(crate) fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

/// One line of a file: its 1-based number and its text without the line terminator.
pub(crate) struct Line<'a> {
    pub(crate) number: u64,
    pub(crate) text: &'a str,
    /// The byte offset of the line's start in its input (0 for the first line, before a BOM).
    pub(crate) offset: u64,
    /// The line's length in the input, terminator (and a BOM) included.
    pub(crate) raw_len: u64,
}

/// Iterates over the lines of `bytes` (BOM stripped, `\n` or `\r\n` terminated). A line that is
/// not valid UTF-8 yields an error located at that line.
pub(crate) fn lines<'a>(
    path: &'a Path,
    bytes: &'a [u8],
) -> impl Iterator<Item = std::result::Result<Line<'a>, Diagnostic>> + 'a {
    let whole = bytes.len();
    let bytes = strip_bom(bytes);
    let mut rest = bytes;
    let mut number = 0u64;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        number += 1;
        let offset = if number == 1 {
            0
        } else {
            (whole - rest.len()) as u64
        };
        let (line, next) = match memchr::memchr(b'\n', rest) {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, &rest[rest.len()..]),
        };
        rest = next;
        let raw_len = (whole - rest.len()) as u64 - offset;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        Some(match std::str::from_utf8(line) {
            Ok(text) => Ok(Line {
                number,
                text,
                offset,
                raw_len,
            }),
            Err(e) => Err(Diagnostic::error(
                Location::new(path, number),
                "",
                format!("invalid UTF-8 at byte {} of the line", e.valid_up_to() + 1),
            )),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each line's number and text, or its error's reason.
    fn read(bytes: &[u8], limit: u64) -> Vec<(u64, String)> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.jsonl");
        std::fs::write(&p, bytes).unwrap();
        let mut out = Vec::new();
        for_each_line_within(&p, limit, |l| {
            out.push(match l {
                Ok(l) => (l.number, l.text.to_owned()),
                Err(d) => (d.location.line.unwrap_or(0), d.reason.clone()),
            });
            Ok(true)
        })
        .unwrap();
        out
    }

    #[test]
    fn lines_over_the_limit_are_refused_and_skipped() {
        let long = "the line is longer than 8 bytes, the limit of one record; raise it \
                    with --max-record-bytes or RAGDIAG_MAX_RECORD_BYTES";
        let got = read(
            b"\xEF\xBB\xBFabc\r\n12345678\r\n123456789\nok\n0123456789abc",
            8,
        );
        let want: Vec<(u64, String)> = vec![
            (1, "abc".into()),
            (2, "12345678".into()),
            (3, long.into()),
            (4, "ok".into()),
            (5, long.into()),
        ];
        assert_eq!(got, want);
        // Exactly the limit, without a terminator, and a BOM that does not count.
        assert_eq!(
            read(b"\xEF\xBB\xBF12345678", 8),
            vec![(1, "12345678".into())]
        );
        assert_eq!(read(b"1234567890\n", 8), vec![(1, long.into())]);
        assert_eq!(
            read(b"\xff\n", 8)[0].1,
            "invalid UTF-8 at byte 1 of the line"
        );
        // The same lines as the in-memory reader.
        let bytes = b"a\r\n\nb\nc";
        let mem: Vec<(u64, String)> = lines(Path::new("f"), bytes)
            .map(|l| l.map(|l| (l.number, l.text.to_owned())).unwrap())
            .collect();
        assert_eq!(read(bytes, 100), mem);
    }
}
