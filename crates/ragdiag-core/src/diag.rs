//! Findings about input data, located as `path:line: field: reason`.

use std::fmt;
use std::path::{Path, PathBuf};

/// Where a record came from: a file and, when the format has lines, a 1-based line number.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Location {
    /// The file the record was read from (empty for in-memory data).
    pub path: PathBuf,
    /// 1-based line number; `None` for formats without lines (Parquet rows use the row number).
    pub line: Option<u64>,
}

impl Location {
    /// A location at `line` (1-based) of `path`.
    pub fn new(path: impl AsRef<Path>, line: u64) -> Self {
        Location {
            path: path.as_ref().to_path_buf(),
            line: Some(line),
        }
    }

    /// A location naming a whole file.
    pub fn file(path: impl AsRef<Path>) -> Self {
        Location {
            path: path.as_ref().to_path_buf(),
            line: None,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}", self.path.display(), line),
            None => write!(f, "{}", self.path.display()),
        }
    }
}

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// A problem of meaning: reported, and the run goes on.
    Warning,
    /// A malformed record: the load stops (or, with `--skip-invalid`, skips the record).
    Error,
}

/// One finding: `path:line: field: reason`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Diagnostic {
    /// Where the offending record is.
    pub location: Location,
    /// The field at fault (`id`, `relevant[2].grade`, `score`, …); empty for whole-record problems.
    pub field: String,
    /// What is wrong, lower-case, no trailing period.
    pub reason: String,
    /// Whether this stops a load.
    pub severity: Severity,
}

impl Diagnostic {
    /// A malformed-record error.
    pub fn error(location: Location, field: impl Into<String>, reason: impl Into<String>) -> Self {
        Diagnostic {
            location,
            field: field.into(),
            reason: reason.into(),
            severity: Severity::Error,
        }
    }

    /// A problem of meaning.
    pub fn warning(
        location: Location,
        field: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        Diagnostic {
            location,
            field: field.into(),
            reason: reason.into(),
            severity: Severity::Warning,
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}: {}", self.location, self.reason)
        } else {
            write!(f, "{}: {}: {}", self.location, self.field, self.reason)
        }
    }
}

impl std::error::Error for Diagnostic {}

/// An ordered collection of findings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    /// Adds a finding.
    pub fn push(&mut self, d: Diagnostic) {
        self.items.push(d);
    }

    /// Adds a warning.
    pub fn warn(
        &mut self,
        location: Location,
        field: impl Into<String>,
        reason: impl Into<String>,
    ) {
        self.items
            .push(Diagnostic::warning(location, field, reason));
    }

    /// Appends all of `other`.
    pub fn extend(&mut self, other: Diagnostics) {
        self.items.extend(other.items);
    }

    /// The findings, in the order they were found.
    pub fn items(&self) -> &[Diagnostic] {
        &self.items
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// How many there are.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// How many are errors.
    pub fn error_count(&self) -> usize {
        self.items
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
    }

    /// Sorts by location, then field, for stable output.
    pub fn sort(&mut self) {
        self.items.sort();
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}
