//! Evaluation datasets read as traces: RAGAS (`EvaluationDataset.to_jsonl()` or `to_list()` as
//! a JSON list) and RAGChecker's input JSON (`{"results": [{query_id, query, gt_answer,
//! response, retrieved_context: [{doc_id, text}]}]}`). Both carry the questions and their
//! reference answers, so they come back with the questions too.
//!
//! RAGAS contexts are plain strings: their hits have an empty `doc`, to be located in the corpus
//! by their text ([`crate::locate_trace_hits`]); `retrieved_context_ids`, when given, names them.

use crate::lines::{lines, read_file, strip_bom};
use crate::record::{accept, type_name, Record};
use crate::trace_format::{match_question, TraceOptions};
use crate::{LoadError, LoadOptions, Result};
use ragdiag_core::{Diagnostic, Diagnostics, Location, Query, TraceHit, TraceRecord};
use serde_json::Value;
use std::path::Path;

type FieldResult<T> = std::result::Result<T, Diagnostic>;

/// One question of a dataset: the trace record, the question, its reference contexts.
pub(crate) struct Sample {
    pub(crate) record: TraceRecord,
    pub(crate) query: Query,
    /// RAGAS `reference_contexts`: located in the corpus later, they become evidence.
    pub(crate) reference_contexts: Vec<String>,
}

fn strings(rec: &Record<'_>, keys: &[&str]) -> FieldResult<Option<(String, Vec<String>)>> {
    for key in keys {
        let Some(v) = rec.get(key) else { continue };
        let Value::Array(items) = v else {
            return Err(rec.err(
                key,
                format!("expected a list of strings, found {}", type_name(v)),
            ));
        };
        let mut out = Vec::with_capacity(items.len());
        for (i, x) in items.iter().enumerate() {
            match x {
                Value::String(s) => out.push(s.clone()),
                Value::Number(n) => out.push(n.to_string()),
                other => {
                    return Err(rec.err(
                        &format!("{key}[{i}]"),
                        format!("expected a string, found {}", type_name(other)),
                    ))
                }
            }
        }
        return Ok(Some(((*key).to_owned(), out)));
    }
    Ok(None)
}

fn first_str(rec: &Record<'_>, keys: &[&str]) -> FieldResult<Option<String>> {
    for key in keys {
        if rec.has(key) {
            return rec.opt_str(key);
        }
    }
    Ok(None)
}

/// The question id: an explicit id field, else the question text matched to the given
/// questions, else `{prefix}{n}` (n: 1-based position in the file).
fn question_id(
    rec: &Record<'_>,
    explicit: &[&str],
    text: &str,
    topts: &TraceOptions<'_>,
    n: usize,
    prefix: &str,
) -> FieldResult<String> {
    for key in explicit {
        if rec.has(key) {
            return rec.id(&[key]);
        }
    }
    if let Some(key) = topts.query_id_key {
        if rec.has(key) {
            return rec.id(&[key]);
        }
    }
    Ok(match_question(topts.questions, text).unwrap_or_else(|| format!("{prefix}{n}")))
}

fn ragas_sample(rec: &Record<'_>, topts: &TraceOptions<'_>, n: usize) -> FieldResult<Sample> {
    let Some(text) = first_str(rec, &["user_input", "question"])? else {
        return Err(rec.err("user_input", "missing required field (or `question`)"));
    };
    let Some((ctx_key, contexts)) = strings(rec, &["retrieved_contexts", "contexts"])? else {
        return Err(rec.err(
            "retrieved_contexts",
            "missing required field (or `contexts`)",
        ));
    };
    let ids = strings(rec, &["retrieved_context_ids"])?.map(|(_, ids)| ids);
    if let Some(ids) = &ids {
        if ids.len() != contexts.len() {
            return Err(rec.err(
                "retrieved_context_ids",
                format!("{} ids for {} {ctx_key}", ids.len(), contexts.len()),
            ));
        }
        for (i, id) in ids.iter().enumerate() {
            rec.id_value(
                &format!("retrieved_context_ids[{i}]"),
                &Value::String(id.clone()),
            )?;
        }
    }
    let retrieved = contexts
        .into_iter()
        .enumerate()
        .map(|(i, t)| TraceHit {
            doc: ids.as_ref().map_or_else(String::new, |ids| ids[i].clone()),
            chunk: None,
            text: Some(t),
            score: None,
        })
        .collect();
    let reference = match rec.get("reference").or_else(|| rec.get("ground_truth")) {
        None => Vec::new(),
        Some(Value::String(s)) if s.trim().is_empty() => Vec::new(),
        Some(Value::String(s)) => vec![s.clone()],
        Some(other) => {
            let key = if rec.has("reference") {
                "reference"
            } else {
                "ground_truth"
            };
            return Err(rec.err(
                key,
                format!("expected a string, found {}", type_name(other)),
            ));
        }
    };
    let reference_contexts =
        strings(rec, &["reference_contexts"])?.map_or_else(Vec::new, |(_, v)| v);
    let id = question_id(
        rec,
        &["id", "query_id", "question_id", "sample_id"],
        &text,
        topts,
        n,
        "ragas-",
    )?;
    Ok(Sample {
        record: TraceRecord {
            query_id: id.clone(),
            retrieved,
            candidates: None,
            answer: first_str(rec, &["response", "answer"])?,
            latency_ms: None,
            prompt_tokens: None,
            completion_tokens: None,
            origin: rec.location().clone(),
        },
        query: Query {
            id,
            text,
            reference_answers: reference,
            origin: rec.location().clone(),
            ..Query::default()
        },
        reference_contexts,
    })
}

fn ragchecker_sample(rec: &Record<'_>, topts: &TraceOptions<'_>, n: usize) -> FieldResult<Sample> {
    let text = rec.req_str("query")?;
    let id = question_id(rec, &["query_id"], &text, topts, n, "ragchecker-")?;
    let Some(v) = rec.get("retrieved_context") else {
        return Err(rec.err("retrieved_context", "missing required field"));
    };
    let Value::Array(items) = v else {
        return Err(rec.err(
            "retrieved_context",
            format!("expected a list, found {}", type_name(v)),
        ));
    };
    let mut retrieved = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let f = |x: &str| format!("retrieved_context[{i}].{x}");
        let Value::Object(o) = item else {
            return Err(rec.err(
                &format!("retrieved_context[{i}]"),
                format!(
                    "expected an object {{doc_id, text}}, found {}",
                    type_name(item)
                ),
            ));
        };
        let doc = match o.get("doc_id") {
            None | Some(Value::Null) => String::new(),
            Some(d) => rec.id_value(&f("doc_id"), d)?,
        };
        let text = match o.get("text") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => {
                return Err(rec.err(
                    &f("text"),
                    format!("expected a string, found {}", type_name(other)),
                ))
            }
        };
        if doc.is_empty() && text.is_none() {
            return Err(rec.err(
                &f("doc_id"),
                "missing required field (a context needs doc_id or text)",
            ));
        }
        retrieved.push(TraceHit {
            doc,
            chunk: None,
            text,
            score: None,
        });
    }
    let reference = rec.opt_str("gt_answer")?.filter(|s| !s.trim().is_empty());
    Ok(Sample {
        record: TraceRecord {
            query_id: id.clone(),
            retrieved,
            candidates: None,
            answer: rec.opt_str("response")?,
            latency_ms: None,
            prompt_tokens: None,
            completion_tokens: None,
            origin: rec.location().clone(),
        },
        query: Query {
            id,
            text,
            reference_answers: reference.into_iter().collect(),
            origin: rec.location().clone(),
            ..Query::default()
        },
        reference_contexts: Vec::new(),
    })
}

type Parse = fn(&Record<'_>, &TraceOptions<'_>, usize) -> FieldResult<Sample>;

/// Reads the items of a JSON list (`list_field` names it in messages: `""` for a top-level list,
/// `results` for RAGChecker), each located at `path` with field `{list_field}[i]`.
fn read_list(
    path: &Path,
    items: &[Value],
    list_field: &str,
    parse: Parse,
    topts: &TraceOptions<'_>,
    opts: &LoadOptions,
    diags: &mut Diagnostics,
) -> Result<Vec<Sample>> {
    let loc = Location::file(path);
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let r = Record::new(item, &loc)
            .and_then(|rec| parse(&rec, topts, i + 1))
            .map_err(|mut d| {
                d.field = if d.field.is_empty() {
                    format!("{list_field}[{i}]")
                } else {
                    format!("{list_field}[{i}].{}", d.field)
                };
                d
            });
        accept(&mut out, diags, opts, r)?;
    }
    Ok(out)
}

/// RAGAS: JSONL (one sample a line) or a JSON list of samples.
pub(crate) fn read_ragas(
    path: &Path,
    topts: &TraceOptions<'_>,
    opts: &LoadOptions,
    diags: &mut Diagnostics,
) -> Result<Vec<Sample>> {
    let bytes = read_file(path)?;
    if let Ok(Value::Array(items)) = serde_json::from_slice::<Value>(strip_bom(&bytes)) {
        return read_list(path, &items, "", ragas_sample, topts, opts, diags);
    }
    let mut out = Vec::new();
    let mut n = 0;
    for line in lines(path, &bytes) {
        let r = match line {
            Err(d) => Err(d),
            Ok(line) if line.text.trim().is_empty() => continue,
            Ok(line) => {
                n += 1;
                let loc = Location::new(path, line.number);
                match serde_json::from_str::<Value>(line.text) {
                    Ok(v) => Record::new(&v, &loc).and_then(|rec| ragas_sample(&rec, topts, n)),
                    Err(e) => Err(Diagnostic::error(loc, "", format!("invalid JSON: {e}"))),
                }
            }
        };
        accept(&mut out, diags, opts, r)?;
    }
    Ok(out)
}

/// RAGChecker input JSON: `{"results": […]}`.
pub(crate) fn read_ragchecker(
    path: &Path,
    topts: &TraceOptions<'_>,
    opts: &LoadOptions,
    diags: &mut Diagnostics,
) -> Result<Vec<Sample>> {
    let bytes = read_file(path)?;
    let v: Value = serde_json::from_slice(strip_bom(&bytes)).map_err(|e| {
        LoadError::Invalid(Diagnostic::error(
            Location::new(path, u64::try_from(e.line()).unwrap_or(0)),
            "",
            format!("invalid JSON: {e}"),
        ))
    })?;
    let loc = Location::file(path);
    let items = match v.get("results") {
        Some(Value::Array(items)) => items,
        Some(other) => {
            return Err(LoadError::Invalid(Diagnostic::error(
                loc,
                "results",
                format!("expected a list, found {}", type_name(other)),
            )))
        }
        None => {
            return Err(LoadError::Invalid(Diagnostic::error(
                loc,
                "results",
                "missing required field",
            )))
        }
    };
    read_list(
        path,
        items,
        "results",
        ragchecker_sample,
        topts,
        opts,
        diags,
    )
}
