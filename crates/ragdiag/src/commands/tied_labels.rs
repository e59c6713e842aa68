//! Labels tied to document versions, read from a questions JSONL and checked against the corpus
//! as it is now: what `labels check` lists and `diagnose --stale-labels` applies. The
//! questions loader does not keep `doc_hash`, so the same lines are read again here.

use anyhow::{Context, Result};
use ragdiag_core::Document;
use ragdiag_eval::golden::{check_label, CurrentDoc, DocState, EvidenceState, TiedLabel};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::io::BufRead as _;
use std::path::Path;

/// One label with what became of its document and evidence.
#[derive(Debug, Clone)]
pub(crate) struct CheckedLabel {
    /// `judgment` (a `relevant` entry) or `evidence`.
    pub(crate) kind: &'static str,
    pub(crate) label: TiedLabel,
    pub(crate) state: DocState,
    pub(crate) evidence: Option<EvidenceState>,
}

/// Every label of a questions file, checked.
#[derive(Debug, Clone, Default)]
pub(crate) struct CheckedLabels {
    /// The labels checked (with [`Rows::NeedingReview`], only those needing re-review; the
    /// others are counted in `tied` and `untied`).
    pub(crate) rows: Vec<CheckedLabel>,
    /// Labels carrying a `doc_hash`.
    pub(crate) tied: usize,
    /// Labels without one.
    pub(crate) untied: usize,
}

impl CheckedLabels {
    /// The labels that need re-review: tied to a document version (`doc_hash`) whose document
    /// is no longer that text (changed, deleted, superseded or missing). An untied label on a
    /// deleted or superseded page is not a stale label but a gold page gone (the golden-set
    /// panel lists those separately).
    pub(crate) fn needing_review(&self) -> impl Iterator<Item = &CheckedLabel> {
        self.rows.iter().filter(|r| r.needs_review())
    }
}

impl CheckedLabel {
    /// Whether this label needs re-review ([`CheckedLabels::needing_review`]).
    fn needs_review(&self) -> bool {
        self.label.doc_hash.is_some() && self.state.needs_review()
    }
}

pub(crate) fn record_id(v: &Value) -> Option<String> {
    let id = v.get("id").or_else(|| v.get("_id"))?;
    match id {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The labels of one question line: its `relevant` objects and its `evidence` entries, with
/// their `doc_hash` when they carry one.
fn tied_labels(qid: &str, v: &Value) -> Vec<(&'static str, TiedLabel)> {
    let mut out = Vec::new();
    let id_of = |x: Option<&Value>| match x {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let str_of = |o: &serde_json::Map<String, Value>, k: &str| {
        o.get(k).and_then(Value::as_str).map(str::to_owned)
    };
    for (kind, key) in [("judgment", "relevant"), ("evidence", "evidence")] {
        for e in v.get(key).and_then(Value::as_array).into_iter().flatten() {
            let Some(o) = e.as_object() else { continue };
            let Some(doc) = id_of(o.get("doc")) else {
                continue;
            };
            let span = match (
                o.get("start").and_then(Value::as_u64),
                o.get("end").and_then(Value::as_u64),
            ) {
                (Some(a), Some(b)) => usize::try_from(a).ok().zip(usize::try_from(b).ok()),
                _ => None,
            };
            out.push((
                kind,
                TiedLabel {
                    query_id: qid.to_owned(),
                    doc,
                    doc_hash: str_of(o, "doc_hash"),
                    quote: if kind == "evidence" {
                        str_of(o, "quote")
                    } else {
                        None
                    },
                    span: if kind == "evidence" { span } else { None },
                },
            ));
        }
    }
    out
}

/// Reads the labels of `queries` (a ragdiag questions JSONL that has already loaded: its
/// records are valid) and checks each against `docs`. The first record of a repeated id counts,
/// as in the loader.
/// Which checked labels [`check_labels`] keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rows {
    /// Every one (`labels check` lists them).
    All,
    /// Only those needing re-review (`diagnose` counts the others): a row per label of a
    /// large questions file would be held at once.
    NeedingReview,
}

pub(crate) fn check_labels(queries: &Path, docs: &[Document], keep: Rows) -> Result<CheckedLabels> {
    let cannot = || format!("cannot read {}", queries.display());
    // Line by line: the file is never held whole.
    let lines = std::io::BufReader::new(std::fs::File::open(queries).with_context(cannot)?).lines();
    let hashes: Vec<String> = docs.iter().map(|d| super::doc_hash(&d.text)).collect();
    let mut superseded_by: BTreeMap<&str, &str> = BTreeMap::new();
    for d in docs {
        if let Some(old) = &d.supersedes {
            superseded_by.entry(old.as_str()).or_insert(d.id.as_str());
        }
    }
    let by_id: BTreeMap<&str, usize> = docs
        .iter()
        .enumerate()
        .map(|(i, d)| (d.id.as_str(), i))
        .collect();
    let mut seen = BTreeSet::new();
    let mut out = CheckedLabels::default();
    for line in lines {
        let line = line.with_context(cannot)?;
        if line.trim().is_empty() {
            continue;
        }
        let Ok(v) = serde_json::from_str::<Value>(&line) else {
            continue;
        };
        let Some(qid) = record_id(&v) else { continue };
        if !seen.insert(qid.clone()) {
            continue;
        }
        for (kind, label) in tied_labels(&qid, &v) {
            let current = by_id.get(label.doc.as_str()).map(|&i| CurrentDoc {
                text: &docs[i].text,
                hash: &hashes[i],
                deleted: docs[i].deleted,
                superseded_by: superseded_by.get(docs[i].id.as_str()).copied(),
            });
            if label.doc_hash.is_some() {
                out.tied += 1;
            } else {
                out.untied += 1;
            }
            let (state, evidence) = check_label(&label, current);
            let row = CheckedLabel {
                kind,
                label,
                state,
                evidence,
            };
            if keep == Rows::All || row.needs_review() {
                out.rows.push(row);
            }
        }
    }
    Ok(out)
}

/// Why a label needs re-review, in words: `document changed, evidence moved to 10..20`.
pub(crate) fn reason(r: &CheckedLabel) -> String {
    let why = match &r.state {
        DocState::Superseded(by) => format!("superseded by {by}"),
        other => other.name().to_owned(),
    };
    let ev = match &r.evidence {
        Some(EvidenceState::Moved(a, b)) => format!(", evidence moved to {a}..{b}"),
        Some(e) => format!(", evidence {}", e.name()),
        None => String::new(),
    };
    format!("document {why}{ev}")
}

/// The summary's entry of a label needing re-review.
pub(crate) fn review_label(r: &CheckedLabel) -> ragdiag_contract::ReviewLabel {
    ragdiag_contract::ReviewLabel {
        query_id: r.label.query_id.clone(),
        doc: r.label.doc.clone(),
        kind: r.kind.to_owned(),
        document: r.state.name().to_owned(),
        superseded_by: match &r.state {
            DocState::Superseded(by) => Some(by.clone()),
            _ => None,
        },
        evidence: r.evidence.as_ref().map(|e| e.name().to_owned()),
        moved_to: match r.evidence {
            Some(EvidenceState::Moved(a, b)) => Some((a, b)),
            _ => None,
        },
    }
}
