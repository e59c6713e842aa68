//! Label files: what the labelling page of `ragdiag pool` exports (JSONL or CSV) and the pool
//! CSV filled in a spreadsheet, read as [`Label`]s for `ragdiag labels import`.
//!
//! A file ending in `.csv` is CSV with a header naming at least `query_id`, `doc`, `grade` and
//! `labeller` (`labelled_at`, `doc_hash` and `note` are read when present; other columns are
//! ignored, so the pool CSV with its passage columns reads as it is); a row whose `grade` is
//! empty is not labelled and is passed over. Any other file is JSONL, one object a line with
//! the same fields. A malformed record is `path:line: field: reason`.

use crate::lines::{read_file, strip_bom};
use crate::record::{accept, id_problem, load_jsonl, type_name};
use crate::{LoadError, LoadOptions, Loaded, Result};
use ragdiag_core::{Diagnostic, Diagnostics, Label, Location};
use serde_json::Value;
use std::path::Path;

/// The fields of a label record, in the order a CSV export writes its columns (the labelling
/// page's download uses the same order).
pub const LABEL_FIELDS: &[&str] = &[
    "query_id",
    "doc",
    "grade",
    "labeller",
    "labelled_at",
    "doc_hash",
    "note",
];

/// Reads the labels of `path` (CSV when it ends in `.csv`, JSONL otherwise).
///
/// # Errors
/// [`LoadError::Io`] when the file cannot be read, [`LoadError::Unusable`] when a CSV lacks a
/// required column, [`LoadError::Invalid`] for a malformed record (unless `skip_invalid`).
pub fn load_labels(path: &Path, opts: &LoadOptions) -> Result<Loaded<Vec<Label>>> {
    let is_csv = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    if is_csv {
        return load_csv(path, opts);
    }
    let mut diagnostics = Diagnostics::default();
    let items = load_jsonl(path, opts, &mut diagnostics, |rec, warnings| {
        rec.warn_unknown(LABEL_FIELDS, warnings);
        let grade = match rec.get("grade") {
            Some(Value::Number(n)) if n.is_i64() => n.as_i64().unwrap_or_default(),
            None => return Err(rec.err("grade", "missing required field")),
            Some(other) => {
                return Err(rec.err(
                    "grade",
                    format!("expected an integer, found {}", type_name(other)),
                ))
            }
        };
        let labeller = rec.req_str("labeller")?;
        if labeller.trim().is_empty() {
            return Err(rec.err("labeller", "must not be empty"));
        }
        Ok(Label {
            query_id: rec.id(&["query_id"])?,
            doc: rec.id(&["doc"])?,
            grade,
            labeller: labeller.trim().to_owned(),
            labelled_at: rec.opt_str("labelled_at")?,
            doc_hash: rec.opt_str("doc_hash")?.filter(|h| !h.is_empty()),
            note: rec.opt_str("note")?.filter(|n| !n.is_empty()),
        })
    })?;
    Ok(Loaded { items, diagnostics })
}

fn load_csv(path: &Path, opts: &LoadOptions) -> Result<Loaded<Vec<Label>>> {
    let bytes = read_file(path)?;
    let body = strip_bom(&bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(body);
    let headers = reader
        .headers()
        .map_err(|e| LoadError::unusable(path, format!("cannot read the header: {e}")))?
        .clone();
    let column = |name: &str| headers.iter().position(|h| h.trim() == name);
    let required = |name: &str| {
        column(name).ok_or_else(|| LoadError::unusable(path, format!("no {name:?} column")))
    };
    let (q, d, g, l) = (
        required("query_id")?,
        required("doc")?,
        required("grade")?,
        required("labeller")?,
    );
    let (at, hash, note) = (column("labelled_at"), column("doc_hash"), column("note"));
    let mut diagnostics = Diagnostics::default();
    let mut items = Vec::new();
    for record in reader.records() {
        let item = match record {
            Err(e) => Err(Diagnostic::error(
                Location::new(path, e.position().map_or(0, csv::Position::line)),
                "",
                format!("malformed CSV: {e}"),
            )),
            Ok(rec) => {
                let loc = Location::new(path, rec.position().map_or(0, csv::Position::line));
                let get = |i: usize| rec.get(i).unwrap_or("").trim();
                let opt =
                    |i: Option<usize>| i.map(get).filter(|s| !s.is_empty()).map(str::to_owned);
                if get(g).is_empty() {
                    continue;
                }
                csv_label(&loc, get(q), get(d), get(g), get(l)).map(|mut label| {
                    label.labelled_at = opt(at);
                    label.doc_hash = opt(hash);
                    label.note = opt(note);
                    label
                })
            }
        };
        accept(&mut items, &mut diagnostics, opts, item)?;
    }
    Ok(Loaded { items, diagnostics })
}

fn csv_label(
    loc: &Location,
    query_id: &str,
    doc: &str,
    grade: &str,
    labeller: &str,
) -> std::result::Result<Label, Diagnostic> {
    let err = |field: &str, reason: String| Diagnostic::error(loc.clone(), field, reason);
    let id = |field: &str, v: &str| {
        if v.is_empty() {
            return Err(err(field, "missing required field".to_owned()));
        }
        match id_problem(v) {
            Some(reason) => Err(err(field, reason)),
            None => Ok(v.to_owned()),
        }
    };
    let query_id = id("query_id", query_id)?;
    let doc = id("doc", doc)?;
    let grade = grade
        .parse::<i64>()
        .map_err(|_| err("grade", format!("expected an integer, found {grade:?}")))?;
    if labeller.is_empty() {
        return Err(err("labeller", "missing: who gave this grade?".to_owned()));
    }
    Ok(Label {
        query_id,
        doc,
        grade,
        labeller: labeller.to_owned(),
        labelled_at: None,
        doc_hash: None,
        note: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(name: &str, text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn reads_the_pages_jsonl_export() {
        let (_d, p) = write(
            "l.jsonl",
            "{\"query_id\":\"q1\",\"doc\":\"a\",\"grade\":2,\"labeller\":\"ann\",\"labelled_at\":\"2026-01-01T00:00:00Z\",\"doc_hash\":\"sha256:ab\",\"note\":\"\"}\n\n",
        );
        let l = load_labels(&p, &LoadOptions::default()).unwrap().items;
        assert_eq!(l.len(), 1);
        assert_eq!((l[0].grade, l[0].labeller.as_str()), (2, "ann"));
        assert_eq!(l[0].doc_hash.as_deref(), Some("sha256:ab"));
        assert_eq!(l[0].note, None);
    }

    #[test]
    fn malformed_jsonl_is_located() {
        let (_d, p) = write(
            "l.jsonl",
            "{\"query_id\":\"q1\",\"doc\":\"a\",\"grade\":2,\"labeller\":\"ann\"}\n{\"query_id\":\"q1\",\"doc\":\"a\",\"grade\":\"high\",\"labeller\":\"ann\"}\n",
        );
        let e = load_labels(&p, &LoadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            e.ends_with("l.jsonl:2: grade: expected an integer, found a string"),
            "{e}"
        );
        let (_d, p) = write(
            "m.jsonl",
            "{\"query_id\":\"q1\",\"doc\":\"a\",\"grade\":1}\n",
        );
        let e = load_labels(&p, &LoadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            e.ends_with("m.jsonl:1: labeller: missing required field"),
            "{e}"
        );
    }

    #[test]
    fn reads_a_filled_pool_csv_and_passes_over_empty_grades() {
        let (_d, p) = write(
            "pool.csv",
            "query_id,doc,priority,passage,grade,labeller,note\nq1,a,1.0,\"x, y\",3,bob,fine\nq1,b,0.5,z,,,\nq2,c,0.2,w,x,bob,\n",
        );
        let e = load_labels(&p, &LoadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            e.ends_with("pool.csv:4: grade: expected an integer, found \"x\""),
            "{e}"
        );
        let opts = LoadOptions { skip_invalid: true };
        let l = load_labels(&p, &opts).unwrap();
        assert_eq!(l.items.len(), 1);
        assert_eq!((l.items[0].doc.as_str(), l.items[0].grade), ("a", 3));
        assert_eq!(l.items[0].note.as_deref(), Some("fine"));
        assert_eq!(l.diagnostics.len(), 1);
        let (_d, p) = write("bad.csv", "query_id,doc,grade\nq1,a,1\n");
        let e = load_labels(&p, &LoadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("no \"labeller\" column"), "{e}");
    }
}
