//! Findings about input data, located as `path:line: field: reason`.

use std::cell::RefCell;
use std::fmt;
use std::path::Path;
use std::sync::{Arc, OnceLock};

/// Where a record came from: a file and, when the format has lines, a 1-based line number.
/// The path is shared: the locations of one file's records hold one copy of it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    /// The file the record was read from (empty for in-memory data).
    pub path: Arc<Path>,
    /// 1-based line number; `None` for formats without lines (Parquet rows use the row number).
    pub line: Option<u64>,
}

/// The warning for a question's second trace line, whose first line is at `first` (the first
/// line wins).
#[must_use]
pub fn traced_twice(id: &str, first: &Location) -> String {
    format!("question {id:?} traced twice (first at {first}); this line is ignored")
}

impl Default for Location {
    /// No file: one empty path for the whole process (leaving each thread's last path as it
    /// was).
    fn default() -> Self {
        static EMPTY: OnceLock<Arc<Path>> = OnceLock::new();
        Location {
            path: EMPTY.get_or_init(|| Arc::from(Path::new(""))).clone(),
            line: None,
        }
    }
}

thread_local! {
    /// The path this thread located a record in last: loaders locate many records of one
    /// file in a row, and they all share it.
    static LAST_PATH: RefCell<Option<Arc<Path>>> = const { RefCell::new(None) };
}

/// `path`, shared with this thread's previous location when it names the same file.
fn shared_path(path: &Path) -> Arc<Path> {
    LAST_PATH.with(|last| {
        let mut last = last.borrow_mut();
        match &*last {
            // The same bytes, not merely the same components: a location prints its path
            // as it was given.
            Some(p) if p.as_os_str() == path.as_os_str() => p.clone(),
            _ => {
                let p: Arc<Path> = Arc::from(path);
                *last = Some(p.clone());
                p
            }
        }
    })
}

impl Location {
    /// A location at `line` (1-based) of `path`.
    pub fn new(path: impl AsRef<Path>, line: u64) -> Self {
        Location {
            path: shared_path(path.as_ref()),
            line: Some(line),
        }
    }

    /// A location naming a whole file.
    pub fn file(path: impl AsRef<Path>) -> Self {
        Location {
            path: shared_path(path.as_ref()),
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

impl Diagnostic {
    /// The finding as one JSON object: `path`, `line` (null when unknown), `field`, `reason`
    /// and `severity` (`error` or `warning`), as `lint --format json` and the reports'
    /// `warnings.jsonl` write it.
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "path": self.location.path.display().to_string(),
            "line": self.location.line,
            "field": self.field,
            "reason": self.reason,
            "severity": match self.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            },
        })
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
        if self.items.is_empty() {
            // No copy (a run with a warning per question hands over long lists).
            self.items = other.items;
        } else {
            self.items.extend(other.items);
        }
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

/// Findings of one kind, shown once: the first of them in full, then how many more there are
/// and where the next few are ([`Diagnostics::collapse`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collapsed<'a> {
    /// The first finding of the kind, in input order.
    pub first: &'a Diagnostic,
    /// How many findings of the kind there are, the first included.
    pub count: usize,
    /// Where the next few are (`path:line field`), at most the number asked for.
    pub more_at: Vec<String>,
}

impl fmt::Display for Collapsed<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.first)?;
        if self.count > 1 {
            let more = self.count - 1;
            write!(
                f,
                " [and {more} more like it{}{}{}]",
                if self.more_at.is_empty() { "" } else { ": " },
                self.more_at.join(", "),
                if more > self.more_at.len() {
                    " …"
                } else {
                    ""
                }
            )?;
        }
        Ok(())
    }
}

/// The kind of a finding: its severity, field and reason with numbers and quoted text blanked
/// (`retrieved[7]` and `retrieved[2]` are one kind, so are `"d1" is not in the corpus` and
/// `"d9" is not in the corpus`).
fn kind_of(d: &Diagnostic) -> (Severity, String, String) {
    fn blank(s: &str) -> String {
        let mut out = String::with_capacity(s.len());
        let mut quoted = false;
        let mut digits = false;
        for c in s.chars() {
            if c == '"' {
                quoted = !quoted;
                if quoted {
                    out.push_str("\"…");
                } else {
                    out.push('"');
                }
                digits = false;
            } else if quoted {
            } else if c.is_ascii_digit() {
                if !digits {
                    out.push('#');
                }
                digits = true;
            } else {
                digits = false;
                out.push(c);
            }
        }
        out
    }
    (d.severity, blank(&d.field), blank(&d.reason))
}

impl Diagnostics {
    /// The findings grouped by kind (severity, field and reason up to numbers and quoted text),
    /// in the order each kind first appears, with at most `locations` further places listed per
    /// kind.
    #[must_use]
    pub fn collapse(&self, locations: usize) -> Vec<Collapsed<'_>> {
        let mut index: std::collections::HashMap<(Severity, String, String), usize> =
            std::collections::HashMap::new();
        let mut out: Vec<Collapsed<'_>> = Vec::new();
        for d in &self.items {
            match index.entry(kind_of(d)) {
                std::collections::hash_map::Entry::Occupied(e) => {
                    let c = &mut out[*e.get()];
                    c.count += 1;
                    if c.more_at.len() < locations {
                        c.more_at.push(if d.field.is_empty() {
                            d.location.to_string()
                        } else {
                            format!("{} {}", d.location, d.field)
                        });
                    }
                }
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(out.len());
                    out.push(Collapsed {
                        first: d,
                        count: 1,
                        more_at: Vec::new(),
                    });
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod collapse_tests {
    use super::*;

    #[test]
    fn one_kind_is_said_once_with_its_count_and_first_places() {
        let mut ds = Diagnostics::default();
        for i in 0..2185u64 {
            ds.warn(
                Location::new("trace.jsonl", 4 + i / 10),
                format!("retrieved[{}]", i % 10),
                "no text: taken as the whole document",
            );
        }
        ds.warn(Location::new("c.jsonl", 2), "id", "\"d1\" is a duplicate");
        ds.warn(Location::new("c.jsonl", 9), "id", "\"d7\" is a duplicate");
        let c = ds.collapse(3);
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].count, 2185);
        assert_eq!(
            c[0].to_string(),
            "trace.jsonl:4: retrieved[0]: no text: taken as the whole document [and 2184 more \
             like it: trace.jsonl:4 retrieved[1], trace.jsonl:4 retrieved[2], trace.jsonl:4 \
             retrieved[3] …]"
        );
        assert_eq!(
            c[1].to_string(),
            "c.jsonl:2: id: \"d1\" is a duplicate [and 1 more like it: c.jsonl:9 id]"
        );
        // A single finding reads as itself.
        let mut one = Diagnostics::default();
        one.warn(Location::new("q.jsonl", 3), "weight", "ignored");
        assert_eq!(one.collapse(3)[0].to_string(), "q.jsonl:3: weight: ignored");
        // Different reasons are different kinds.
        one.warn(Location::new("q.jsonl", 4), "weight", "negative");
        assert_eq!(one.collapse(3).len(), 2);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_of_one_file_share_its_path() {
        let a = Location::new("data/queries.jsonl", 1);
        let b = Location::new(Path::new("data/queries.jsonl"), 2);
        let c = Location::new("data/trace.jsonl", 3);
        let d = Location::file("data/trace.jsonl");
        assert!(Arc::ptr_eq(&a.path, &b.path));
        assert!(Arc::ptr_eq(&c.path, &d.path));
        assert!(!Arc::ptr_eq(&a.path, &c.path));
        // Equal components, other bytes, right after: printed as given.
        let _ = Location::new("data/queries.jsonl", 1);
        let e = Location::new("data//queries.jsonl", 4);
        assert_eq!(e.to_string(), "data//queries.jsonl:4");
        assert_eq!(
            (a.to_string(), c.to_string(), d.to_string()),
            (
                "data/queries.jsonl:1".to_owned(),
                "data/trace.jsonl:3".to_owned(),
                "data/trace.jsonl".to_owned()
            )
        );
        assert_eq!(Location::default().to_string(), "");
        // A default location leaves the thread's last path shared.
        let f = Location::new("data/trace.jsonl", 5);
        let _ = Location::default();
        assert!(Arc::ptr_eq(
            &f.path,
            &Location::new("data/trace.jsonl", 6).path
        ));
        assert!(a < b && b < c);
    }
}
