//! Traces from tracing tools: OpenInference spans (one JSON span a line, as the OpenTelemetry
//! SDK's `ReadableSpan.to_json()` or Phoenix's span export writes them) and OpenTelemetry spans
//! as OTLP JSON (`resourceSpans[].scopeSpans[].spans[]`), grouped by trace id into one
//! [`TraceRecord`] per question.
//!
//! Every span's attributes are flattened to dotted keys first, so the flattened form
//! (`retrieval.documents.0.document.id`) and the nested forms (`retrieval.documents` as a list of
//! `{"document.id": …}` or of `{"document": {"id": …}}`) read the same.
//!
//! Per trace: the RETRIEVER spans' `retrieval.documents` (in start order) are the ranking; when a
//! RERANKER span is present its `reranker.output_documents` are the ranking and the retrieved
//! documents (else its `reranker.input_documents`) the candidates. The answer is the last LLM
//! span's `llm.output_messages.N.message.content` (else its `output.value` unless that is JSON,
//! else `gen_ai.completion.N.content`, else the root span's `output.value`). Tokens are summed
//! over LLM spans (`llm.token_count.prompt`/`completion`, else `gen_ai.usage.input_tokens`/
//! `output_tokens`). The latency is the root span's end minus its start.

use crate::lines::{lines, read_file};
use crate::record::type_name;
use crate::trace_format::{match_question, TraceOptions};
use crate::{LoadError, LoadOptions, Result};
use ragdiag_core::{Diagnostic, Diagnostics, Location, Timestamp, TraceHit, TraceRecord};
use rustc_hash::FxHashMap;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::Path;

type FieldResult<T> = std::result::Result<T, Diagnostic>;

/// One span, normalised: ids, times in nanoseconds, flattened attributes.
#[derive(Debug, Clone)]
pub(crate) struct Span {
    trace_id: String,
    span_id: Option<String>,
    parent: Option<String>,
    start_ns: Option<i128>,
    end_ns: Option<i128>,
    kind: Option<String>,
    attrs: BTreeMap<String, Value>,
    origin: Location,
    /// The span's own field path (`resourceSpans[0].scopeSpans[0].spans[3]`), empty for JSONL.
    field: String,
}

/// Flattens `v` into `out` under `prefix`: objects by `.key`, lists by `.index`. A string that
/// holds a JSON object or list (OpenInference's `metadata`, `gen_ai.output.messages`) is kept
/// and also flattened under its key.
fn flatten(prefix: &str, v: &Value, out: &mut BTreeMap<String, Value>) {
    let join = |k: &str| {
        if prefix.is_empty() {
            k.to_owned()
        } else {
            format!("{prefix}.{k}")
        }
    };
    match v {
        Value::Object(o) => {
            for (k, x) in o {
                flatten(&join(k), x, out);
            }
        }
        Value::Array(items) => {
            for (i, x) in items.iter().enumerate() {
                flatten(&join(&i.to_string()), x, out);
            }
        }
        Value::Null => {}
        Value::String(s) if s.trim_start().starts_with(['{', '[']) => {
            out.insert(prefix.to_owned(), v.clone());
            if let Ok(inner @ (Value::Object(_) | Value::Array(_))) = serde_json::from_str(s) {
                flatten(prefix, &inner, out);
            }
        }
        _ => {
            out.insert(prefix.to_owned(), v.clone());
        }
    }
}

/// A time as nanoseconds since the epoch: RFC 3339 text, or a number read by its magnitude
/// (seconds, milliseconds, microseconds or nanoseconds), or a string of digits (OTLP's
/// `startTimeUnixNano`).
fn time_ns(v: &Value) -> Option<i128> {
    let from_number = |x: f64| -> i128 {
        let scale = if x > 1e17 {
            1.0
        } else if x > 1e14 {
            1e3
        } else if x > 1e11 {
            1e6
        } else {
            1e9
        };
        #[allow(clippy::cast_possible_truncation)]
        let ns = (x * scale) as i128;
        ns
    };
    match v {
        Value::Number(n) => n.as_f64().filter(|x| x.is_finite()).map(from_number),
        Value::String(s) => {
            if let Ok(n) = s.trim().parse::<i128>() {
                return Some(n);
            }
            // A timestamp without a zone (Arrow's JSON of a naive timestamp column) is UTC.
            let t = Timestamp::parse(s)
                .or_else(|| Timestamp::parse(&format!("{}Z", s.trim())))?
                .as_datetime();
            t.timestamp_nanos_opt().map(i128::from)
        }
        _ => None,
    }
}

fn str_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A span from one flattened JSON object (SDK `to_json()`, Phoenix export).
fn span_from_flat(flat: BTreeMap<String, Value>, origin: Location) -> FieldResult<Span> {
    let first = |keys: &[&str]| keys.iter().find_map(|k| flat.get(*k).and_then(str_of));
    let Some(trace_id) = first(&["context.trace_id", "trace_id", "traceId"]) else {
        return Err(Diagnostic::error(
            origin,
            "context.trace_id",
            "missing required field (a span's trace id)",
        ));
    };
    let mut attrs = BTreeMap::new();
    for (k, v) in &flat {
        if let Some(a) = k.strip_prefix("attributes.") {
            attrs.insert(a.to_owned(), v.clone());
        }
    }
    let kind = attrs
        .get("openinference.span.kind")
        .or_else(|| flat.get("span_kind"))
        .and_then(str_of)
        .map(|s| s.to_ascii_uppercase());
    Ok(Span {
        trace_id,
        span_id: first(&["context.span_id", "span_id", "spanId"]),
        parent: first(&["parent_id", "parent_span_id", "parentSpanId"]),
        start_ns: flat.get("start_time").and_then(time_ns),
        end_ns: flat.get("end_time").and_then(time_ns),
        kind,
        attrs,
        origin,
        field: String::new(),
    })
}

/// Reads OpenInference spans, one JSON object a line (a JSON list of spans is read too).
pub(crate) fn read_openinference(
    path: &Path,
    opts: &LoadOptions,
    diags: &mut Diagnostics,
) -> Result<Vec<Span>> {
    let bytes = read_file(path)?;
    let mut out = Vec::new();
    if let Ok(Value::Array(items)) = serde_json::from_slice::<Value>(&bytes) {
        for (i, item) in items.iter().enumerate() {
            let loc = Location::file(path);
            let span = match item {
                Value::Object(_) => {
                    let mut flat = BTreeMap::new();
                    flatten("", item, &mut flat);
                    span_from_flat(flat, loc).map_err(|mut d| {
                        d.field = format!("[{i}].{}", d.field);
                        d
                    })
                }
                other => Err(Diagnostic::error(
                    loc,
                    format!("[{i}]"),
                    format!("expected a span object, found {}", type_name(other)),
                )),
            };
            crate::record::accept(&mut out, diags, opts, span)?;
        }
        return Ok(out);
    }
    for line in lines(path, &bytes) {
        let span = match line {
            Err(d) => Err(d),
            Ok(line) if line.text.trim().is_empty() => continue,
            Ok(line) => {
                let loc = Location::new(path, line.number);
                match serde_json::from_str::<Value>(line.text) {
                    Ok(v @ Value::Object(_)) => {
                        let mut flat = BTreeMap::new();
                        flatten("", &v, &mut flat);
                        span_from_flat(flat, loc)
                    }
                    Ok(other) => Err(Diagnostic::error(
                        loc,
                        "",
                        format!("expected a span object, found {}", type_name(&other)),
                    )),
                    Err(e) => Err(Diagnostic::error(loc, "", format!("invalid JSON: {e}"))),
                }
            }
        };
        crate::record::accept(&mut out, diags, opts, span)?;
    }
    Ok(out)
}

/// Reads OpenInference spans from Parquet (Phoenix's span dataframe saved with `to_parquet`,
/// or a `TraceDataset` saved by Phoenix): each row as Arrow writes it to JSON, then as a JSONL
/// span. Rows are numbered from 1 in messages.
pub(crate) fn read_openinference_parquet(
    path: &Path,
    opts: &LoadOptions,
    diags: &mut Diagnostics,
) -> Result<Vec<Span>> {
    let file = std::fs::File::open(path).map_err(|e| LoadError::io(path, e))?;
    let mut found = Diagnostics::default();
    let spans = ragdiag_core::catch_decoder_panic(|| read_spans(file, path, opts, &mut found))
        .unwrap_or_else(|m| {
            Err(LoadError::unusable(
                path,
                format!("corrupt Parquet data: the decoder failed ({m})"),
            ))
        })?;
    diags.extend(found);
    Ok(spans)
}

/// The spans of a Parquet file (the decoder may panic on corrupt data: see
/// [`ragdiag_core::catch_decoder_panic`]).
fn read_spans(
    file: std::fs::File,
    path: &Path,
    opts: &LoadOptions,
    diags: &mut Diagnostics,
) -> Result<Vec<Span>> {
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|b| b.with_batch_size(4096).build())
        .map_err(|e| LoadError::unusable(path, format!("not a readable Parquet file: {e}")))?;
    let mut out = Vec::new();
    let mut row = 0u64;
    for batch in reader {
        let batch = batch
            .and_then(|b| crate::parquet_corpus::dates_as_text_in(b, &["start_time", "end_time"]))
            .map_err(|e| LoadError::unusable(path, format!("corrupt Parquet data: {e}")))?;
        let mut buf = Vec::new();
        {
            let mut writer = arrow::json::LineDelimitedWriter::new(&mut buf);
            writer
                .write(&batch)
                .and_then(|()| writer.finish())
                .map_err(|e| LoadError::unusable(path, format!("unsupported column type: {e}")))?;
        }
        for line in String::from_utf8_lossy(&buf).lines() {
            row += 1;
            let loc = Location::new(path, row);
            let span = match serde_json::from_str::<Value>(line) {
                Ok(v) => {
                    let mut flat = BTreeMap::new();
                    flatten("", &v, &mut flat);
                    span_from_flat(flat, loc)
                }
                Err(e) => Err(Diagnostic::error(loc, "", format!("invalid JSON: {e}"))),
            };
            crate::record::accept(&mut out, diags, opts, span)?;
        }
    }
    Ok(out)
}

/// An OTLP `AnyValue` (`{"stringValue": …}`, `{"intValue": "3"}`, `{"arrayValue": {"values":
/// […]}}`, `{"kvlistValue": {"values": [{key, value}]}}`, …) as plain JSON.
fn any_value(v: &Value, field: &str, loc: &Location) -> FieldResult<Value> {
    let err = |reason: String| Diagnostic::error(loc.clone(), field, reason);
    let Value::Object(o) = v else {
        return Err(err(format!(
            "expected an OTLP AnyValue object, found {}",
            type_name(v)
        )));
    };
    let Some((k, x)) = o.iter().next() else {
        return Ok(Value::Null);
    };
    Ok(match (k.as_str(), x) {
        ("stringValue" | "boolValue" | "doubleValue" | "bytesValue", x) => x.clone(),
        ("intValue", Value::String(s)) => match s.parse::<i64>() {
            Ok(n) => Value::from(n),
            Err(_) => return Err(err(format!("intValue {s:?} is not an integer"))),
        },
        ("intValue", x @ Value::Number(_)) => x.clone(),
        ("arrayValue", a) => {
            let values = a
                .get("values")
                .and_then(Value::as_array)
                .map_or(&[][..], |v| v);
            let mut out = Vec::with_capacity(values.len());
            for (i, x) in values.iter().enumerate() {
                out.push(any_value(
                    x,
                    &format!("{field}.arrayValue.values[{i}]"),
                    loc,
                )?);
            }
            Value::Array(out)
        }
        ("kvlistValue", kv) => {
            let values = kv
                .get("values")
                .and_then(Value::as_array)
                .map_or(&[][..], |v| v);
            let mut out = Map::new();
            for (i, x) in values.iter().enumerate() {
                let f = format!("{field}.kvlistValue.values[{i}]");
                let (key, value) = key_value(x, &f, loc)?;
                out.insert(key, value);
            }
            Value::Object(out)
        }
        (other, _) => return Err(err(format!("unknown OTLP value type {other:?}"))),
    })
}

fn key_value(x: &Value, field: &str, loc: &Location) -> FieldResult<(String, Value)> {
    let err =
        |f: &str, reason: String| Diagnostic::error(loc.clone(), format!("{field}{f}"), reason);
    let Value::Object(o) = x else {
        return Err(err(
            "",
            format!("expected {{key, value}}, found {}", type_name(x)),
        ));
    };
    let key = match o.get("key") {
        Some(Value::String(s)) => s.clone(),
        Some(other) => {
            return Err(err(
                ".key",
                format!("expected a string, found {}", type_name(other)),
            ))
        }
        None => return Err(err(".key", "missing required field".into())),
    };
    let value = match o.get("value") {
        Some(v) => any_value(v, &format!("{field}.value"), loc)?,
        None => Value::Null,
    };
    Ok((key, value))
}

fn list<'v>(
    o: &'v Map<String, Value>,
    key: &str,
    field: &str,
    loc: &Location,
) -> FieldResult<&'v [Value]> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(a)) => Ok(a),
        Some(other) => Err(Diagnostic::error(
            loc.clone(),
            format!("{field}{key}"),
            format!("expected a list, found {}", type_name(other)),
        )),
    }
}

/// The spans of one `ExportTraceServiceRequest` (`{"resourceSpans": […]}`) read at `loc`.
fn otlp_request(v: &Value, loc: &Location, out: &mut Vec<Span>) -> FieldResult<()> {
    let Value::Object(root) = v else {
        return Err(Diagnostic::error(
            loc.clone(),
            "",
            format!(
                "expected an object {{\"resourceSpans\": …}}, found {}",
                type_name(v)
            ),
        ));
    };
    if !root.contains_key("resourceSpans") {
        return Err(Diagnostic::error(
            loc.clone(),
            "resourceSpans",
            "missing required field",
        ));
    }
    for (r, rs) in list(root, "resourceSpans", "", loc)?.iter().enumerate() {
        let rf = format!("resourceSpans[{r}]");
        let Value::Object(rs) = rs else {
            return Err(Diagnostic::error(loc.clone(), rf, "expected an object"));
        };
        for (s, ss) in list(rs, "scopeSpans", &format!("{rf}."), loc)?
            .iter()
            .enumerate()
        {
            let sf = format!("{rf}.scopeSpans[{s}]");
            let Value::Object(ss) = ss else {
                return Err(Diagnostic::error(loc.clone(), sf, "expected an object"));
            };
            for (i, sp) in list(ss, "spans", &format!("{sf}."), loc)?
                .iter()
                .enumerate()
            {
                let f = format!("{sf}.spans[{i}]");
                let Value::Object(sp) = sp else {
                    return Err(Diagnostic::error(
                        loc.clone(),
                        f,
                        format!("expected a span object, found {}", type_name(sp)),
                    ));
                };
                let Some(trace_id) = sp.get("traceId").and_then(str_of) else {
                    return Err(Diagnostic::error(
                        loc.clone(),
                        format!("{f}.traceId"),
                        "missing required field",
                    ));
                };
                let mut attrs = BTreeMap::new();
                for (a, kv) in list(sp, "attributes", &format!("{f}."), loc)?
                    .iter()
                    .enumerate()
                {
                    let (key, value) = key_value(kv, &format!("{f}.attributes[{a}]"), loc)?;
                    flatten(&key, &value, &mut attrs);
                }
                let kind = attrs
                    .get("openinference.span.kind")
                    .and_then(str_of)
                    .map(|s| s.to_ascii_uppercase())
                    .or_else(|| {
                        attrs
                            .get("gen_ai.operation.name")
                            .and_then(str_of)
                            .and_then(|op| {
                                matches!(
                                    op.as_str(),
                                    "chat" | "text_completion" | "generate_content"
                                )
                                .then(|| "LLM".to_owned())
                            })
                    });
                out.push(Span {
                    trace_id,
                    span_id: sp.get("spanId").and_then(str_of),
                    parent: sp.get("parentSpanId").and_then(str_of),
                    start_ns: sp.get("startTimeUnixNano").and_then(time_ns),
                    end_ns: sp.get("endTimeUnixNano").and_then(time_ns),
                    kind,
                    attrs,
                    origin: loc.clone(),
                    field: f,
                });
            }
        }
    }
    Ok(())
}

/// Reads OTLP JSON: one `ExportTraceServiceRequest` in the file, or one a line (the
/// OpenTelemetry Collector's file exporter).
pub(crate) fn read_otlp(
    path: &Path,
    opts: &LoadOptions,
    diags: &mut Diagnostics,
) -> Result<Vec<Span>> {
    let bytes = read_file(path)?;
    let mut out = Vec::new();
    if let Ok(v) = serde_json::from_slice::<Value>(&bytes) {
        otlp_request(&v, &Location::file(path), &mut out).map_err(LoadError::Invalid)?;
        return Ok(out);
    }
    for line in lines(path, &bytes) {
        let r = match line {
            Err(d) => Err(d),
            Ok(line) if line.text.trim().is_empty() => continue,
            Ok(line) => {
                let loc = Location::new(path, line.number);
                match serde_json::from_str::<Value>(line.text) {
                    Ok(v) => otlp_request(&v, &loc, &mut out),
                    Err(e) => Err(Diagnostic::error(loc, "", format!("invalid JSON: {e}"))),
                }
            }
        };
        let mut sink = Vec::new();
        crate::record::accept(&mut sink, diags, opts, r)?;
    }
    Ok(out)
}

/// The documents listed under `prefix` (`retrieval.documents`): `prefix.N.document.{id,
/// content, score}` by N. A document without an id keeps `doc` empty (located later by its
/// text); one with neither id nor content is an error.
fn documents(span: &Span, prefix: &str) -> FieldResult<Option<Vec<TraceHit>>> {
    let lead = format!("{prefix}.");
    let mut by_index: BTreeMap<usize, BTreeMap<&str, &Value>> = BTreeMap::new();
    for (k, v) in span.attrs.range(lead.clone()..) {
        let Some(rest) = k.strip_prefix(&lead) else {
            break;
        };
        let (n, field) = rest.split_once('.').unwrap_or((rest, ""));
        let Ok(n) = n.parse::<usize>() else { continue };
        by_index.entry(n).or_default().insert(field, v);
    }
    if by_index.is_empty() {
        return Ok(None);
    }
    let mut out = Vec::with_capacity(by_index.len());
    for (n, fields) in by_index {
        let err = |f: &str, reason: String| {
            let base = if span.field.is_empty() {
                "attributes.".to_owned()
            } else {
                format!("{}.attributes.", span.field)
            };
            Diagnostic::error(
                span.origin.clone(),
                format!("{base}{prefix}.{n}.document{f}"),
                reason,
            )
        };
        let doc = match fields.get("document.id") {
            None => String::new(),
            Some(v) => match str_of(v) {
                Some(s) if crate::record::id_problem(&s).is_none() => s,
                Some(s) => {
                    return Err(err(
                        ".id",
                        crate::record::id_problem(&s).unwrap_or_default(),
                    ))
                }
                None => {
                    return Err(err(
                        ".id",
                        format!("expected a string, found {}", type_name(v)),
                    ))
                }
            },
        };
        let text = match fields.get("document.content") {
            None => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(v) => {
                return Err(err(
                    ".content",
                    format!("expected a string, found {}", type_name(v)),
                ))
            }
        };
        let score = match fields.get("document.score") {
            None => None,
            Some(Value::Number(x)) => x.as_f64().filter(|x| x.is_finite()),
            // OTLP JSON writes non-finite doubles as "NaN"/"Infinity": no score, as in ragdiag's
            // own traces.
            Some(Value::String(s)) => match s.trim().parse::<f64>() {
                Ok(x) => Some(x).filter(|x| x.is_finite()),
                Err(_) => return Err(err(".score", format!("expected a number, found {s:?}"))),
            },
            Some(v) => {
                return Err(err(
                    ".score",
                    format!("expected a number, found {}", type_name(v)),
                ))
            }
        };
        if doc.is_empty() && text.is_none() {
            return Err(err("", "neither document.id nor document.content".into()));
        }
        out.push(TraceHit {
            doc,
            chunk: None,
            text,
            score,
        });
    }
    Ok(Some(out))
}

/// The last message content under `prefix` (`llm.output_messages`).
fn last_message(span: &Span, prefix: &str) -> Option<String> {
    let lead = format!("{prefix}.");
    let mut best: Option<(usize, String)> = None;
    for (k, v) in span.attrs.range(lead.clone()..) {
        let Some(rest) = k.strip_prefix(&lead) else {
            break;
        };
        let Some((n, field)) = rest.split_once('.') else {
            continue;
        };
        let Ok(n) = n.parse::<usize>() else { continue };
        let is_content = field == "message.content"
            || field == "content"
            || (field.starts_with("message.contents.") && field.ends_with("message_content.text"))
            || (field.starts_with("parts.") && field.ends_with(".content"));
        if let (true, Some(s)) = (is_content, v.as_str()) {
            if best.as_ref().is_none_or(|(m, _)| n >= *m) {
                match &mut best {
                    Some((m, t)) if *m == n => t.push_str(s),
                    _ => best = Some((n, s.to_owned())),
                }
            }
        }
    }
    best.map(|(_, s)| s)
}

fn number(span: &Span, keys: &[&str]) -> Option<f64> {
    keys.iter().find_map(|k| match span.attrs.get(*k)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

fn answer_of(llm: &Span) -> Option<String> {
    last_message(llm, "llm.output_messages")
        .or_else(|| {
            let json = llm
                .attrs
                .get("output.mime_type")
                .and_then(Value::as_str)
                .is_some_and(|m| m.contains("json"));
            (!json)
                .then(|| {
                    llm.attrs
                        .get("output.value")
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                })
                .flatten()
        })
        .or_else(|| last_message(llm, "gen_ai.completion"))
        .or_else(|| last_message(llm, "gen_ai.output.messages"))
}

/// Groups spans by trace into one record per question (first trace first), each with the
/// question text its root span was asked (`input.value`, or the first text field of it when it
/// is JSON), when it has one.
pub(crate) fn records_from_spans(
    spans: Vec<Span>,
    topts: &TraceOptions<'_>,
    diags: &mut Diagnostics,
) -> FieldResult<(Vec<TraceRecord>, Vec<Option<String>>)> {
    let mut order: Vec<String> = Vec::new();
    let mut by_trace: FxHashMap<String, Vec<Span>> = FxHashMap::default();
    for s in spans {
        let e = by_trace.entry(s.trace_id.clone()).or_insert_with(|| {
            order.push(s.trace_id.clone());
            Vec::new()
        });
        e.push(s);
    }
    let mut out = Vec::with_capacity(order.len());
    let mut asked = Vec::with_capacity(order.len());
    let mut unmatched: Vec<(Location, String)> = Vec::new();
    for tid in order {
        let mut spans = by_trace.remove(&tid).unwrap_or_default();
        spans.sort_by_key(|s| s.start_ns.unwrap_or(i128::MAX));
        let ids: rustc_hash::FxHashSet<&str> =
            spans.iter().filter_map(|s| s.span_id.as_deref()).collect();
        let root = spans
            .iter()
            .find(|s| s.parent.as_deref().is_none_or(|p| !ids.contains(p)))
            .unwrap_or(&spans[0]);
        let origin = root.origin.clone();
        let kind = |k: &'static str| spans.iter().filter(move |s| s.kind.as_deref() == Some(k));
        let mut retrieved_docs: Option<Vec<TraceHit>> = None;
        for s in kind("RETRIEVER") {
            if let Some(d) = documents(s, "retrieval.documents")? {
                retrieved_docs.get_or_insert_with(Vec::new).extend(d);
            }
        }
        let mut reranked: Option<(Option<Vec<TraceHit>>, Vec<TraceHit>)> = None;
        for s in kind("RERANKER") {
            let input = documents(s, "reranker.input_documents")?;
            let output = documents(s, "reranker.output_documents")?.unwrap_or_default();
            reranked = Some((input, output));
        }
        let (retrieved, candidates) = match (reranked, retrieved_docs) {
            (Some((input, output)), docs) => (output, docs.or(input)),
            (None, Some(docs)) => (docs, None),
            (None, None) => (Vec::new(), None),
        };
        let llms: Vec<&Span> = kind("LLM").collect();
        let answer = llms.iter().rev().find_map(|s| answer_of(s)).or_else(|| {
            root.attrs
                .get("output.value")
                .and_then(Value::as_str)
                .map(str::to_owned)
        });
        let sum = |keys: &[&str]| {
            let xs: Vec<f64> = llms.iter().filter_map(|s| number(s, keys)).collect();
            (!xs.is_empty()).then(|| xs.iter().sum())
        };
        #[allow(clippy::cast_precision_loss)]
        let latency_ms = match (root.start_ns, root.end_ns) {
            (Some(a), Some(b)) => b.checked_sub(a).filter(|d| *d >= 0).map(|d| d as f64 / 1e6),
            _ => None,
        };
        // The input text, or a string field of it when it is JSON (LangChain's
        // `{"question": …}`).
        let inputs: Vec<&str> = root
            .attrs
            .range("input.value".to_owned()..)
            .take_while(|(k, _)| k.starts_with("input.value"))
            .filter(|(k, _)| *k == "input.value" || k.starts_with("input.value."))
            .filter_map(|(_, v)| v.as_str())
            .collect();
        asked.push(
            inputs
                .iter()
                .find(|t| !t.trim().is_empty())
                .map(|t| (*t).to_owned()),
        );
        // The question: a configured key, else the root's input text, else the trace id.
        let keyed = topts.query_id_key.and_then(|key| {
            std::iter::once(root).chain(spans.iter()).find_map(|s| {
                s.attrs
                    .get(key)
                    .or_else(|| s.attrs.get(&format!("metadata.{key}")))
                    .and_then(str_of)
            })
        });
        let query_id = match keyed {
            Some(id) => id,
            None => {
                let mut found = None;
                for t in inputs {
                    found = match_question(topts.questions, t);
                    if found.is_some() {
                        break;
                    }
                }
                match found {
                    Some(id) => id,
                    None => {
                        if !topts.questions.is_empty() {
                            unmatched.push((origin.clone(), tid.clone()));
                        }
                        tid.clone()
                    }
                }
            }
        };
        let query_id = match crate::record::id_problem(&query_id) {
            None => query_id,
            Some(_) => query_id.split_whitespace().collect::<Vec<_>>().join("_"),
        };
        out.push(TraceRecord {
            query_id,
            retrieved,
            candidates,
            answer,
            latency_ms,
            prompt_tokens: sum(&[
                "llm.token_count.prompt",
                "gen_ai.usage.input_tokens",
                "gen_ai.usage.prompt_tokens",
            ]),
            completion_tokens: sum(&[
                "llm.token_count.completion",
                "gen_ai.usage.output_tokens",
                "gen_ai.usage.completion_tokens",
            ]),
            origin,
        });
    }
    if let Some((loc, tid)) = unmatched.first() {
        diags.warn(
            loc.clone(),
            "input.value",
            format!(
                "{} trace(s) (first: {tid}) have a root input that matches no question's text \
                 (after normalising whitespace) and no query id key; their trace ids are used \
                 as question ids",
                unmatched.len()
            ),
        );
    }
    Ok((out, asked))
}
