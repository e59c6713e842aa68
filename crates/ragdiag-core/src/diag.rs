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

/// At most this many warnings of one kind are kept ([`Diagnostics::items`], what
/// `warnings.jsonl` lists): the others are counted, not kept ([`Diagnostics::collapse`] gives
/// each kind's full count). A run with a warning per record (a trace whose hits carry no text:
/// ten a question) would otherwise hold, and list, millions of the same finding. Errors are
/// all kept.
pub const KEPT_PER_KIND: usize = 10_000;

/// The kind of a finding ([`kind_of`]).
type Kind = (Severity, String, String);

/// An ordered collection of findings: every error, and of each kind of warning the first
/// [`KEPT_PER_KIND`] in order, the others counted. What is kept does not depend on how the
/// collection was put together (pushed one at a time or extended by others): it is always the
/// first of each kind in the collection's order.
#[derive(Debug, Clone, Default)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
    /// Once the collection holds more than [`KEPT_PER_KIND`] findings (before, no kind can
    /// pass it): per kind of warning, how many are kept and how many were let go.
    kinds: Option<std::collections::HashMap<Kind, (usize, usize)>>,
}

impl PartialEq for Diagnostics {
    /// The same findings kept, and as many let go of each kind.
    fn eq(&self, other: &Self) -> bool {
        self.items == other.items && self.unlisted() == other.unlisted()
    }
}

impl Eq for Diagnostics {}

impl Diagnostics {
    /// Adds a finding (a warning past [`KEPT_PER_KIND`] of its kind is counted, not kept).
    pub fn push(&mut self, d: Diagnostic) {
        if self.kinds.is_none() && self.items.len() < KEPT_PER_KIND {
            self.items.push(d);
            return;
        }
        let kinds = self.kinds.get_or_insert_with(|| {
            // Counted now that a kind could pass the cap (none has yet).
            let mut kinds = std::collections::HashMap::new();
            for d in &self.items {
                if d.severity == Severity::Warning {
                    kinds.entry(kind_of(d)).or_insert((0, 0)).0 += 1;
                }
            }
            kinds
        });
        if d.severity == Severity::Error {
            self.items.push(d);
            return;
        }
        let counts = kinds.entry(kind_of(&d)).or_insert((0, 0));
        if counts.0 < KEPT_PER_KIND {
            counts.0 += 1;
            self.items.push(d);
        } else {
            counts.1 += 1;
        }
    }

    /// Adds a warning.
    pub fn warn(
        &mut self,
        location: Location,
        field: impl Into<String>,
        reason: impl Into<String>,
    ) {
        self.push(Diagnostic::warning(location, field, reason));
    }

    /// Appends all of `other` (what it kept, in order, and the count of what it let go).
    pub fn extend(&mut self, other: Diagnostics) {
        if self.items.is_empty() && self.kinds.is_none() {
            // No copy (a run with a warning per question hands over long lists).
            *self = other;
            return;
        }
        if self.kinds.is_none()
            && other.kinds.is_none()
            && self.items.len() + other.items.len() <= KEPT_PER_KIND
        {
            self.items.extend(other.items);
            return;
        }
        let unlisted = other.unlisted();
        for d in other.items {
            self.push(d);
        }
        // `other` let these go after keeping the first of their kind: so would `self`.
        for (kind, n) in unlisted {
            if let Some(kinds) = &mut self.kinds {
                kinds.entry(kind).or_insert((0, 0)).1 += n;
            }
        }
    }

    /// The findings kept, in the order they were found: every error, and the first
    /// [`KEPT_PER_KIND`] warnings of each kind.
    pub fn items(&self) -> &[Diagnostic] {
        &self.items
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// How many there are, those counted but not kept included.
    pub fn len(&self) -> usize {
        self.items.len()
            + self
                .kinds
                .iter()
                .flat_map(|k| k.values())
                .map(|c| c.1)
                .sum::<usize>()
    }

    /// Per kind of warning, how many were let go past [`KEPT_PER_KIND`] (sorted by kind).
    fn unlisted(&self) -> Vec<(Kind, usize)> {
        let mut out: Vec<(Kind, usize)> = self
            .kinds
            .iter()
            .flat_map(|k| k.iter())
            .filter(|(_, c)| c.1 > 0)
            .map(|(k, c)| (k.clone(), c.1))
            .collect();
        out.sort();
        out
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
            let kind = kind_of(d);
            let unlisted = self
                .kinds
                .as_ref()
                .and_then(|k| k.get(&kind))
                .map_or(0, |c| c.1);
            match index.entry(kind) {
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
                        count: 1 + unlisted,
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

    /// The findings of a stream: many warnings of one kind (a field per hit), a few of
    /// another, errors between them.
    fn stream(n: u64) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        for i in 0..n {
            out.push(Diagnostic::warning(
                Location::new("trace.jsonl", 1 + i / 10),
                format!("retrieved[{}].text", i % 10),
                "no text: the hit is taken as the whole document",
            ));
            if i % 5000 == 1 {
                out.push(Diagnostic::error(
                    Location::new("trace.jsonl", 1 + i / 10),
                    "score",
                    "not a number",
                ));
                out.push(Diagnostic::warning(
                    Location::new("q.jsonl", i),
                    "weight",
                    format!("{i} is negative"),
                ));
            }
        }
        out
    }

    /// Past [`KEPT_PER_KIND`] of a kind, warnings are counted, not kept: the first of the kind
    /// stay, in order, every error stays, and the collapsed line and `len` count them all.
    #[test]
    fn a_kind_keeps_its_first_warnings_and_counts_the_rest() {
        let all = stream(25_000);
        let mut ds = Diagnostics::default();
        for d in all.clone() {
            ds.push(d);
        }
        assert_eq!(ds.len(), all.len());
        let kept: Vec<Diagnostic> = {
            let mut seen = 0;
            all.iter()
                .filter(|d| {
                    if d.field.starts_with("retrieved") {
                        seen += 1;
                        seen <= KEPT_PER_KIND
                    } else {
                        true
                    }
                })
                .cloned()
                .collect()
        };
        assert_eq!(ds.items(), kept.as_slice());
        assert_eq!(ds.error_count(), 5);
        let c = ds.collapse(3);
        assert_eq!(
            c.iter().map(|c| c.count).collect::<Vec<_>>(),
            [25_000, 5, 5],
            "{c:?}"
        );
        assert!(c[0].to_string().contains("[and 24999 more like it: "));
        // Put together from parts of any size, the same is kept and counted.
        for part in [1, 7, 9_999, 10_001, 17_000] {
            let mut joined = Diagnostics::default();
            for chunk in all.chunks(part) {
                let mut p = Diagnostics::default();
                for d in chunk {
                    p.push(d.clone());
                }
                joined.extend(p);
            }
            assert_eq!(joined, ds, "parts of {part}");
            assert_eq!(joined.len(), all.len(), "parts of {part}");
        }
        // Fewer than the cap in all: nothing is counted apart.
        let mut few = Diagnostics::default();
        for d in stream(900) {
            few.push(d);
        }
        assert_eq!(few.items().len(), few.len());
    }

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
