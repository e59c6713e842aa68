//! Query loaders: ragdiag JSONL (with labels) and BEIR `queries.jsonl` (+ qrels).

use crate::corpus::keep_first;
use crate::record::{load_jsonl, type_name, visit_jsonl, Record};
use crate::{LoadOptions, Loaded, Result};
use ragdiag_core::{Diagnostic, Diagnostics, Evidence, Judgment, Location, Qrels, Query};
use serde_json::Value;
use std::path::Path;

const QUERY_FIELDS: &[&str] = &[
    "id",
    "_id",
    "text",
    "relevant",
    "evidence",
    "reference_answer",
    "answerable",
    "asked_at",
    "tags",
    "weight",
    "metadata",
];

fn as_index(v: Option<&Value>) -> Option<usize> {
    v.and_then(Value::as_u64)
        .and_then(|n| usize::try_from(n).ok())
}

fn query_from_record(
    rec: &Record<'_>,
    warnings: &mut Diagnostics,
) -> std::result::Result<Query, Diagnostic> {
    let id = rec.id(&["id", "_id"])?;
    let text = rec.req_str("text")?;
    if !rec.has("_id") {
        rec.warn_unknown(QUERY_FIELDS, warnings);
    }
    // Every list is sized to its items: a question holds its labels for the whole run, and
    // growing by pushes leaves room for four.
    let mut relevant = Vec::new();
    match rec.get("relevant") {
        None => {}
        Some(Value::Array(items)) => {
            relevant.reserve_exact(items.len());
            for (i, item) in items.iter().enumerate() {
                let field = format!("relevant[{i}]");
                match item {
                    Value::String(_) => relevant.push(Judgment {
                        doc: rec.id_value(&field, item)?,
                        grade: 1,
                    }),
                    Value::Object(o) => {
                        let doc = rec.id_value(
                            &format!("{field}.doc"),
                            o.get("doc").unwrap_or(&Value::Null),
                        )?;
                        let grade = match o.get("grade") {
                            None | Some(Value::Null) => 1,
                            Some(Value::Number(n)) if n.is_i64() => n.as_i64().unwrap_or(1),
                            Some(other) => {
                                return Err(rec.err(
                                    &format!("{field}.grade"),
                                    format!("expected an integer, found {}", type_name(other)),
                                ))
                            }
                        };
                        relevant.push(Judgment { doc, grade });
                    }
                    other => {
                        return Err(rec.err(
                            &field,
                            format!(
                                "expected an object {{doc, grade}}, found {}",
                                type_name(other)
                            ),
                        ))
                    }
                }
            }
        }
        Some(other) => {
            return Err(rec.err(
                "relevant",
                format!("expected a list, found {}", type_name(other)),
            ))
        }
    }
    let listed = rec.opt_object_list("evidence")?;
    let mut evidence = Vec::with_capacity(listed.len());
    for (i, o) in listed.into_iter().enumerate() {
        let field = format!("evidence[{i}]");
        let doc = rec.id_value(
            &format!("{field}.doc"),
            o.get("doc").unwrap_or(&Value::Null),
        )?;
        if let Some(q) = o.get("quote").filter(|v| !v.is_null()) {
            match q {
                Value::String(s) if !s.is_empty() => evidence.push(Evidence::Quote {
                    doc,
                    quote: s.clone(),
                }),
                Value::String(_) => {
                    return Err(rec.err(&format!("{field}.quote"), "must not be empty"))
                }
                other => {
                    return Err(rec.err(
                        &format!("{field}.quote"),
                        format!("expected a string, found {}", type_name(other)),
                    ))
                }
            }
        } else {
            let (start, end) = (as_index(o.get("start")), as_index(o.get("end")));
            match (start, end) {
                (Some(start), Some(end)) if start < end => {
                    evidence.push(Evidence::Span { doc, start, end })
                }
                (Some(_), Some(_)) => return Err(rec.err(&field, "span must have start < end")),
                _ => return Err(rec.err(
                    &field,
                    "expected {doc, quote} or {doc, start, end} with non-negative integer offsets",
                )),
            }
        }
    }
    let weight = rec.opt_f64("weight")?.unwrap_or(1.0);
    if !(0.0..=MAX_WEIGHT).contains(&weight) {
        return Err(rec.err(
            "weight",
            format!("must be a number from 0 to {MAX_WEIGHT:e}, found {weight}"),
        ));
    }
    Ok(Query {
        id,
        text,
        relevant,
        evidence,
        reference_answers: rec.opt_str_list("reference_answer")?,
        answerable: rec.opt_bool("answerable")?.unwrap_or(true),
        asked_at: rec.opt_date("asked_at", warnings)?,
        tags: rec.opt_str_list("tags")?,
        weight,
        origin: rec.location().clone(),
    })
}

/// The largest question weight: a sum of a million of them stays exact and finite.
const MAX_WEIGHT: f64 = 1e9;

/// Loads a JSONL query file (ragdiag fields, or BEIR's `_id`/`text`). Duplicate ids are warnings;
/// the first query wins.
pub fn load_queries(path: &Path, opts: &LoadOptions) -> Result<Loaded<Vec<Query>>> {
    let mut diagnostics = Diagnostics::default();
    let mut queries = load_jsonl(path, opts, &mut diagnostics, query_from_record)?;
    keep_first(
        &mut queries,
        &mut diagnostics,
        "id",
        |q| (&q.id, &q.origin),
        repeated_query_id,
    );
    Ok(Loaded {
        items: queries,
        diagnostics,
    })
}

/// Why a question whose id an earlier one (at `first`) has is ignored: the warning of
/// [`load_queries`] (field `id`, at the repeat), for callers that drop the repeats themselves
/// ([`visit_queries`]).
#[must_use]
pub fn repeated_query_id(id: &str, first: &Location) -> String {
    format!("duplicate query id {id:?} (first at {first}); this one is ignored")
}

/// [`load_queries`] handing each question to `keep` as it is read, none held here: `keep`
/// returns whether to go on. Questions whose id an earlier one has are handed on too (the
/// caller drops them, warning with [`repeated_query_id`]).
pub fn visit_queries(
    path: &Path,
    opts: &LoadOptions,
    diagnostics: &mut Diagnostics,
    keep: impl FnMut(Query) -> bool,
) -> Result<()> {
    visit_jsonl(path, opts, diagnostics, query_from_record, keep)
}

/// Loads BEIR-style queries and attaches the judgments of `qrels` as their `relevant` lists.
/// Only queries that have judgments are kept (BEIR evaluates the ids of one qrels split);
/// judged query ids absent from the query file are warnings.
pub fn load_beir_queries_with_qrels(
    queries_path: &Path,
    qrels: &Qrels,
    qrels_path: &Path,
    opts: &LoadOptions,
) -> Result<Loaded<Vec<Query>>> {
    let mut loaded = load_queries(queries_path, opts)?;
    let mut found = rustc_hash::FxHashSet::default();
    loaded.items.retain_mut(|q| match qrels.get(&q.id) {
        Some(j) => {
            found.insert(q.id.clone());
            q.relevant = j
                .iter()
                .map(|(d, g)| Judgment {
                    doc: d.to_string(),
                    grade: g,
                })
                .collect();
            true
        }
        None => false,
    });
    for qid in qrels.queries.keys() {
        if !found.contains(qid) {
            loaded.diagnostics.warn(
                Location::file(qrels_path),
                "query-id",
                format!("judged query {qid:?} is not in {}", queries_path.display()),
            );
        }
    }
    Ok(loaded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_labels_and_rejects_bad_types() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("q.jsonl");
        std::fs::write(&p, concat!(
            r#"{"id":"q1","text":"how?","relevant":[{"doc":"a","grade":2},"b"],"evidence":[{"doc":"a","quote":"x"},{"doc":"a","start":0,"end":3}],"reference_answer":"yes","asked_at":"2026-01-01","weight":2}"#, "\n",
            r#"{"id":"q2","text":"why?","answerable":false,"reference_answer":["a","b"]}"#, "\n",
            r#"{"id":"q1","text":"dup"}"#, "\n",
        )).unwrap();
        let l = load_queries(&p, &LoadOptions::default()).unwrap();
        assert_eq!(l.items.len(), 2);
        let q1 = &l.items[0];
        assert_eq!(
            q1.relevant,
            vec![
                Judgment {
                    doc: "a".into(),
                    grade: 2
                },
                Judgment {
                    doc: "b".into(),
                    grade: 1
                }
            ]
        );
        assert_eq!(q1.evidence.len(), 2);
        assert_eq!(q1.reference_answers, ["yes"]);
        assert_eq!(q1.weight, 2.0);
        assert!(!l.items[1].answerable);
        assert_eq!(l.diagnostics.len(), 1);
        // A question holds its lists for the whole run: no spare room in them.
        let q2 = &l.items[1];
        for (what, len, capacity) in [
            ("relevant", q1.relevant.len(), q1.relevant.capacity()),
            ("evidence", q1.evidence.len(), q1.evidence.capacity()),
            (
                "reference answers",
                q2.reference_answers.len(),
                q2.reference_answers.capacity(),
            ),
        ] {
            assert_eq!(capacity, len, "{what}");
        }

        for (line, expected) in [
            (
                r#"{"id":"q","text":"t","relevant":[{"grade":1}]}"#,
                "relevant[0].doc: missing required field",
            ),
            (
                r#"{"id":"q","text":"t","relevant":[{"doc":"a","grade":"high"}]}"#,
                "relevant[0].grade: expected an integer, found a string",
            ),
            (
                r#"{"id":"q","text":"t","evidence":[{"doc":"a","start":5,"end":2}]}"#,
                "evidence[0]: span must have start < end",
            ),
            (
                r#"{"id":"q","text":"t","evidence":[{"doc":"a"}]}"#,
                "evidence[0]: expected {doc, quote}",
            ),
            (
                r#"{"id":"q","text":"t","answerable":"no"}"#,
                "answerable: expected true or false",
            ),
            (
                r#"{"id":"q","text":"t","weight":-1}"#,
                "weight: must be a number from 0 to 1e9, found -1",
            ),
            (r#"{"id":"q"}"#, "text: missing required field"),
            (
                r#"{"id":"q 1","text":"t"}"#,
                "id: contains whitespace or a control character (U+0020), which a TREC run cannot carry",
            ),
            (
                r#"{"id":"q","text":"t","relevant":["d 1"]}"#,
                "relevant[0]: contains whitespace or a control character (U+0020)",
            ),
            (
                r#"{"id":"q","text":"t","relevant":[""]}"#,
                "relevant[0]: must not be empty",
            ),
            (
                r#"{"id":"q","text":"t","relevant":[{"doc":"d\n1","grade":1}]}"#,
                "relevant[0].doc: contains whitespace or a control character (U+000A)",
            ),
            (
                r#"{"id":"q","text":"t","relevant":[{"doc":"","grade":1}]}"#,
                "relevant[0].doc: must not be empty",
            ),
            (
                r#"{"id":"q","text":"t","evidence":[{"doc":"d\u0000","quote":"x"}]}"#,
                "evidence[0].doc: contains whitespace or a control character (U+0000)",
            ),
        ] {
            std::fs::write(&p, format!("{line}\n")).unwrap();
            let err = load_queries(&p, &LoadOptions::default())
                .unwrap_err()
                .to_string();
            assert!(
                err.contains(&format!("q.jsonl:1: {expected}")),
                "{err} vs {expected}"
            );
        }
    }
}
