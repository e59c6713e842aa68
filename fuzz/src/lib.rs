//! What the fuzz targets share: a scratch folder for the loaders that read files, and the
//! properties every loader keeps (DESIGN.md's rule for bad input).
//!
//! - A load returns items or a [`LoadError`]; a malformed record is `path:line: field: reason`
//!   located in the input (the line exists), never an I/O error for a file that is there.
//! - Every finding names the input's path and a line that exists.
//! - With `skip_invalid`, a load that succeeds strictly gives the same items and findings; a
//!   strict load stopped by a malformed record lists that record among the lenient findings.

use ragdiag_core::{Diagnostic, Severity};
use ragdiag_load::{LoadError, Loaded};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// This process's scratch folder (one per process, so parallel fuzz jobs don't collide).
pub fn scratch_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("ragdiag-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("scratch folder");
        dir
    })
}

/// Writes `bytes` to `name` in the scratch folder and returns its path.
pub fn write_scratch(name: &str, bytes: &[u8]) -> PathBuf {
    let path = scratch_dir().join(name);
    std::fs::write(&path, bytes).expect("scratch file");
    path
}

/// A fresh, empty folder `name` in the scratch folder.
pub fn scratch_subdir(name: &str) -> PathBuf {
    let dir = scratch_dir().join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch subfolder");
    dir
}

/// How many lines a text of `bytes` has (a last line without `\n` counts).
pub fn line_count(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u64 + 1
}

/// A finding names `path` (or a file inside it) and, when it has a line, one of `1..=lines`;
/// its reason is said, and it prints as `path:line: field: reason`.
pub fn check_diagnostic(d: &Diagnostic, path: &Path, lines: u64) {
    assert!(
        d.location.path.starts_with(path) || d.location.path.as_os_str().is_empty(),
        "finding names another file: {d}"
    );
    if let Some(line) = d.location.line {
        assert!(
            (1..=lines).contains(&line),
            "line {line} of an input of {lines} lines: {d}"
        );
    }
    assert!(
        !d.reason.trim().is_empty(),
        "finding without a reason: {d:?}"
    );
    let shown = d.to_string();
    let expected = if d.field.is_empty() {
        format!("{}: {}", d.location, d.reason)
    } else {
        format!("{}: {}: {}", d.location, d.field, d.reason)
    };
    assert_eq!(shown, expected);
}

/// A load error is a located malformed record or an unusable input naming `path`; never an
/// I/O error (the file is there).
pub fn check_error(e: &LoadError, path: &Path, lines: u64) {
    match e {
        LoadError::Invalid(d) => {
            assert_eq!(d.severity, Severity::Error, "{d}");
            check_diagnostic(d, path, lines);
        }
        LoadError::Unusable { path: p, reason } => {
            assert!(p.starts_with(path), "{e}");
            assert!(!reason.trim().is_empty(), "{e:?}");
        }
        LoadError::Io { .. } => panic!("I/O error reading a file that exists: {e}"),
        _ => panic!("unexpected error kind: {e:?}"),
    }
    assert!(
        e.to_string().starts_with(&path.display().to_string()),
        "message does not start with the path: {e}"
    );
}

/// Checks a strict and a lenient (`skip_invalid`) load of the same input against each other
/// and against the rules above; returns the strict load's items when it succeeded.
pub fn check_loads<'a, T: PartialEq + std::fmt::Debug>(
    strict: &'a Result<Loaded<T>, LoadError>,
    lenient: &Result<Loaded<T>, LoadError>,
    path: &Path,
    lines: u64,
) -> Option<&'a T> {
    for r in [strict, lenient] {
        match r {
            Ok(l) => {
                for d in l.diagnostics.items() {
                    check_diagnostic(d, path, lines);
                }
            }
            Err(e) => check_error(e, path, lines),
        }
    }
    match (strict, lenient) {
        (Ok(s), Ok(l)) => {
            assert_eq!(
                s.items, l.items,
                "skip_invalid changed a valid input's items"
            );
            assert_eq!(
                s.diagnostics.error_count(),
                0,
                "a strict load kept an error"
            );
            assert_eq!(
                s.diagnostics.items(),
                l.diagnostics.items(),
                "skip_invalid changed a valid input's findings"
            );
        }
        (Ok(_), Err(e)) => panic!("only the lenient load failed: {e}"),
        (Err(LoadError::Invalid(d)), Ok(l)) => assert!(
            l.diagnostics.items().contains(d),
            "the skipped record is not listed: {d}"
        ),
        _ => {}
    }
    strict.as_ref().ok().map(|l| &l.items)
}

/// Checks that the code-point span `start..end` lies in `text`.
pub fn check_span(text: &str, start: usize, end: usize, what: &str) {
    let n = text.chars().count();
    assert!(
        start <= end && end <= n,
        "{what}: span {start}..{end} outside a text of {n} code points"
    );
    assert!(
        ragdiag_core::char_span_to_bytes(text, start, end).is_some(),
        "{what}: span {start}..{end} has no byte span"
    );
}

/// Lets a loader contain a dependency's panic (`ragdiag_core::catch_decoder_panic`, around the
/// Parquet decoder): libfuzzer-sys's panic hook aborts at the panic, before any `catch_unwind`
/// runs, so this puts the default hook back. A panic that escapes the target is still a crash:
/// libfuzzer-sys catches it at the target's edge and aborts.
pub fn allow_contained_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| drop(std::panic::take_hook()));
}
