//! Trace loader: one JSON line per question with what the team's system retrieved and answered.

use crate::corpus::keep_first;
use crate::lines::for_each_line_of;
use crate::record::{accept, load_jsonl, parse_json_line, type_name, FieldResult, Record};
use crate::{LoadOptions, Loaded, Result};
use ragdiag_core::{traced_twice, Diagnostic, Diagnostics, Location, TraceHit, TraceRecord};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde_json::Value;
use std::io::BufRead;
use std::path::Path;

const TRACE_FIELDS: &[&str] = &[
    "query_id",
    "retrieved",
    "candidates",
    "answer",
    "latency_ms",
    "prompt_tokens",
    "completion_tokens",
    "metadata",
];

fn hits(rec: &Record<'_>, key: &str) -> std::result::Result<Option<Vec<TraceHit>>, Diagnostic> {
    let Some(v) = rec.get(key) else {
        return Ok(None);
    };
    let Value::Array(items) = v else {
        return Err(rec.err(key, format!("expected a list, found {}", type_name(v))));
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let field = |f: &str| format!("{key}[{i}].{f}");
        let Value::Object(o) = item else {
            return Err(rec.err(
                &format!("{key}[{i}]"),
                format!("expected an object {{doc, …}}, found {}", type_name(item)),
            ));
        };
        let doc = rec.id_value(&field("doc"), o.get("doc").unwrap_or(&Value::Null))?;
        let opt_str = |f: &str| match o.get(f) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) if f == "chunk" => Ok(Some(n.to_string())),
            Some(other) => Err(rec.err(
                &field(f),
                format!("expected a string, found {}", type_name(other)),
            )),
        };
        let score = match o.get("score") {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) => n.as_f64().filter(|x| x.is_finite()),
            Some(other) => {
                return Err(rec.err(
                    &field("score"),
                    format!("expected a number, found {}", type_name(other)),
                ))
            }
        };
        out.push(TraceHit {
            doc,
            chunk: opt_str("chunk")?,
            text: opt_str("text")?,
            score,
        });
    }
    Ok(Some(out))
}

/// One trace line's record (the fields of a ragdiag trace line).
fn trace_record(rec: &Record<'_>, warnings: &mut Diagnostics) -> FieldResult<TraceRecord> {
    rec.warn_unknown(TRACE_FIELDS, warnings);
    Ok(TraceRecord {
        query_id: rec.id(&["query_id"])?,
        retrieved: hits(rec, "retrieved")?
            .ok_or_else(|| rec.err("retrieved", "missing required field"))?,
        candidates: hits(rec, "candidates")?,
        answer: rec.opt_str("answer")?,
        latency_ms: rec.opt_f64("latency_ms")?,
        prompt_tokens: rec.opt_f64("prompt_tokens")?,
        completion_tokens: rec.opt_f64("completion_tokens")?,
        origin: rec.location().clone(),
    })
}

/// Loads a trace (JSONL). Malformed lines stop the load (or are skipped and listed); a
/// question traced twice is a warning and the first line wins.
pub fn load_trace(path: &Path, opts: &LoadOptions) -> Result<Loaded<Vec<TraceRecord>>> {
    let mut diagnostics = Diagnostics::default();
    let mut out = load_jsonl(path, opts, &mut diagnostics, trace_record)?;
    keep_first(
        &mut out,
        &mut diagnostics,
        "query_id",
        |t| (&t.query_id, &t.origin),
        traced_twice,
    );
    Ok(Loaded {
        items: out,
        diagnostics,
    })
}

/// How many lines of a trace [`stream_trace`] parses at a time: a batch closes at `lines`
/// lines or once its lines hold `bytes` bytes, whichever comes first (a longer line is a batch
/// of its own), so the memory a batch takes is bounded whatever the lines' length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceBatch {
    /// Lines per batch (at least one).
    pub lines: usize,
    /// Bytes of lines per batch.
    pub bytes: usize,
    /// Whether a question's second and later lines are passed on like any other, for a
    /// consumer that tells them itself (`ragdiag-diagnose`'s `TraceRun::with_first_lines`
    /// words them as this reader does): the reader then keeps nothing per question. Default
    /// (false): the reader warns of them and drops them.
    pub repeats: bool,
}

impl TraceBatch {
    /// Batches of `lines` lines, whatever their bytes.
    #[must_use]
    pub fn lines(lines: usize) -> Self {
        TraceBatch {
            lines,
            bytes: usize::MAX,
            repeats: false,
        }
    }
}

/// Reads a trace (JSONL) from `reader` as [`load_trace`] reads a file, but in batches: each
/// batch ([`TraceBatch`]: a number of lines, or of their bytes) is parsed in parallel and handed to `sink` before the next
/// is read, so the memory taken is a batch, not the file. Lines are located as `label:LINE`
/// (`<stdin>` for standard input). The records, diagnostics and their order are
/// [`load_trace`]'s: malformed lines stop the read (or are skipped and listed), each line's
/// warnings in line order, then one warning per question traced twice (the first line wins,
/// whatever batch it was in; unless [`TraceBatch::repeats`] passes those lines on). Returns
/// the diagnostics.
///
/// # Errors
///
/// As [`load_trace`]; an error of `sink` stops the read and is returned.
pub fn stream_trace(
    reader: impl BufRead,
    label: &Path,
    opts: &LoadOptions,
    batch: TraceBatch,
    mut sink: impl FnMut(Vec<TraceRecord>) -> Result<()>,
) -> Result<Diagnostics> {
    let (batch, batch_bytes, repeats) = (batch.lines.max(1), batch.bytes, batch.repeats);
    let mut bytes = 0usize;
    let mut diagnostics = Diagnostics::default();
    let mut twice = Diagnostics::default();
    // The first line of each question traced so far (a question's id and a line number).
    let mut first: FxHashMap<Box<str>, u64> = FxHashMap::default();
    let mut raw: Vec<std::result::Result<(u64, String), Diagnostic>> = Vec::with_capacity(batch);
    let mut flush = |raw: &mut Vec<std::result::Result<(u64, String), Diagnostic>>,
                     diagnostics: &mut Diagnostics|
     -> Result<()> {
        let parsed: Vec<(FieldResult<TraceRecord>, Diagnostics)> = raw
            .par_iter()
            .map(|line| {
                let mut w = Diagnostics::default();
                let item = match line {
                    Err(d) => Err(d.clone()),
                    Ok((number, text)) => {
                        let loc = Location::new(label, *number);
                        parse_json_line(text, &loc)
                            .and_then(|value| trace_record(&Record::new(&value, &loc)?, &mut w))
                    }
                };
                (item, w)
            })
            .collect();
        raw.clear();
        let mut records = Vec::with_capacity(parsed.len());
        for (item, w) in parsed {
            diagnostics.extend(w);
            accept(&mut records, diagnostics, opts, item)?;
        }
        if repeats {
            return sink(records);
        }
        records.retain(|t: &TraceRecord| match first.get(t.query_id.as_str()) {
            Some(&at) => {
                let at = Location::new(label, at);
                twice.warn(t.origin.clone(), "query_id", traced_twice(&t.query_id, &at));
                false
            }
            None => {
                // Every line is `label`'s: its number locates it.
                let line = t.origin.line.unwrap_or_default();
                first.insert(t.query_id.as_str().into(), line);
                true
            }
        });
        sink(records)
    };
    let limit = crate::limits::max_record_bytes()?;
    for_each_line_of(reader, label, limit, |line| {
        match line {
            Err(d) => raw.push(Err(d)),
            Ok(l) if l.text.trim().is_empty() => {}
            Ok(l) => {
                bytes = bytes.saturating_add(l.text.len());
                raw.push(Ok((l.number, l.text.to_owned())));
            }
        }
        if raw.len() >= batch || bytes >= batch_bytes {
            flush(&mut raw, &mut diagnostics)?;
            bytes = 0;
        }
        Ok(true)
    })?;
    if !raw.is_empty() {
        flush(&mut raw, &mut diagnostics)?;
    }
    diagnostics.extend(twice);
    Ok(diagnostics)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_ids_keep_the_first_and_name_it_read_whole_or_streamed() {
        let dir = tempfile::tempdir().unwrap();
        let q = dir.path().join("q.jsonl");
        std::fs::write(
            &q,
            "{\"id\":\"a\",\"text\":\"1\"}\n{\"id\":\"b\",\"text\":\"2\"}\n{\"id\":\"a\",\"text\":\"3\"}\n{\"id\":\"c\",\"text\":\"4\"}\n{\"id\":\"b\",\"text\":\"5\"}\n",
        )
        .unwrap();
        let l = crate::load_queries(&q, &LoadOptions::default()).unwrap();
        let kept: Vec<(&str, &str)> = l
            .items
            .iter()
            .map(|q| (q.id.as_str(), q.text.as_str()))
            .collect();
        assert_eq!(kept, [("a", "1"), ("b", "2"), ("c", "4")]);
        let said: Vec<String> = l.diagnostics.into_iter().map(|d| d.to_string()).collect();
        let at = |line: u64| Location::new(&q, line).to_string();
        assert_eq!(
            said,
            [
                format!(
                    "{}: id: duplicate query id \"a\" (first at {}); this one is ignored",
                    at(3),
                    at(1)
                ),
                format!(
                    "{}: id: duplicate query id \"b\" (first at {}); this one is ignored",
                    at(5),
                    at(2)
                ),
            ]
        );
        // A trace read in batches of two lines: each repeat names the first line, in
        // whichever batch it was.
        let trace = "{\"query_id\":\"x\",\"retrieved\":[]}\n{\"query_id\":\"y\",\"retrieved\":[]}\n{\"query_id\":\"z\",\"retrieved\":[]}\n{\"query_id\":\"x\",\"retrieved\":[]}\n{\"query_id\":\"z\",\"retrieved\":[]}\n";
        let mut ids = Vec::new();
        let said = stream_trace(
            trace.as_bytes(),
            Path::new("<stdin>"),
            &LoadOptions::default(),
            TraceBatch::lines(2),
            |records| {
                ids.extend(records.into_iter().map(|r| r.query_id));
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(ids, ["x", "y", "z"]);
        let said: Vec<String> = said.into_iter().map(|d| d.to_string()).collect();
        assert_eq!(
            said,
            [
                "<stdin>:4: query_id: question \"x\" traced twice (first at <stdin>:1); this line is ignored",
                "<stdin>:5: query_id: question \"z\" traced twice (first at <stdin>:3); this line is ignored",
            ]
        );
        // Passing repeats on: every line comes through, and nothing is said of them.
        let mut ids = Vec::new();
        let said = stream_trace(
            trace.as_bytes(),
            Path::new("<stdin>"),
            &LoadOptions::default(),
            TraceBatch {
                repeats: true,
                ..TraceBatch::lines(2)
            },
            |records| {
                ids.extend(records.into_iter().map(|r| r.query_id));
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(ids, ["x", "y", "z", "x", "z"]);
        assert!(said.is_empty());
    }

    #[test]
    fn reads_traces_and_locates_errors() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.jsonl");
        std::fs::write(&p, concat!(
            r#"{"query_id":"q1","retrieved":[{"doc":"a","text":"x","score":0.5},{"doc":"b","chunk":3}],"answer":"yes","latency_ms":120,"prompt_tokens":900}"#, "\n",
            r#"{"query_id":"q1","retrieved":[]}"#, "\n",
        )).unwrap();
        let l = load_trace(&p, &LoadOptions::default()).unwrap();
        assert_eq!(l.items.len(), 1);
        let t = &l.items[0];
        assert_eq!(t.retrieved[1].chunk.as_deref(), Some("3"));
        assert_eq!(t.retrieved[0].score, Some(0.5));
        assert_eq!(t.latency_ms, Some(120.0));
        assert_eq!(l.diagnostics.len(), 1);
        for (line, expected) in [
            (
                r#"{"retrieved":[]}"#,
                "t.jsonl:1: query_id: missing required field",
            ),
            (
                r#"{"query_id":"q","retrieved":[{"text":"x"}]}"#,
                "t.jsonl:1: retrieved[0].doc: missing required field",
            ),
            (
                r#"{"query_id":"q","retrieved":{"doc":"a"}}"#,
                "t.jsonl:1: retrieved: expected a list, found an object",
            ),
            (
                r#"{"query_id":"q","retrieved":[{"doc":"a","score":"high"}]}"#,
                "t.jsonl:1: retrieved[0].score: expected a number",
            ),
            (
                r#"{"query_id":"q"}"#,
                "t.jsonl:1: retrieved: missing required field",
            ),
            (
                r#"{"query_id":"q 1","retrieved":[]}"#,
                "t.jsonl:1: query_id: contains whitespace or a control character (U+0020), which a TREC run cannot carry",
            ),
            (
                r#"{"query_id":"q","retrieved":[{"doc":"a"}],"candidates":[{"doc":"d\tb"}]}"#,
                "t.jsonl:1: candidates[0].doc: contains whitespace or a control character (U+0009)",
            ),
        ] {
            std::fs::write(&p, format!("{line}\n")).unwrap();
            let e = load_trace(&p, &LoadOptions::default())
                .unwrap_err()
                .to_string();
            assert!(e.contains(expected), "{e} vs {expected}");
        }
    }

    /// Every record and diagnostic of `load_trace`, in the same order, at every batch size;
    /// standard input is located as `<stdin>:LINE`.
    #[test]
    fn a_streamed_trace_reads_as_the_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.jsonl");
        let mut text = String::from("\u{feff}");
        for i in 0..23 {
            let id = if i % 5 == 4 { i - 3 } else { i };
            let extra = if i % 7 == 0 { r#","mood":"odd""# } else { "" };
            text.push_str(&format!(
                "{{\"query_id\":\"q{id}\",\"retrieved\":[{{\"doc\":\"d{i}\",\"text\":\"t\"}}]{extra}}}\r\n"
            ));
            if i == 11 {
                text.push_str("\n{\"query_id\":\"bad\"}\n");
            }
        }
        std::fs::write(&p, &text).unwrap();
        let skip = LoadOptions { skip_invalid: true };
        let whole = load_trace(&p, &skip).unwrap();
        assert_eq!(whole.items.len(), 19);
        // Unknown fields (4), the malformed line (skipped, listed), second lines (4).
        assert_eq!(whole.diagnostics.len(), 9, "{:?}", whole.diagnostics);
        // Streamed at `batch`: the same records and warnings as read whole; each batch's size.
        let streamed = |batch: TraceBatch| -> Vec<usize> {
            let (mut got, mut sizes) = (Vec::new(), Vec::new());
            let file = std::io::BufReader::new(std::fs::File::open(&p).unwrap());
            let d = stream_trace(file, &p, &skip, batch, |records| {
                sizes.push(records.len());
                got.extend(records);
                Ok(())
            })
            .unwrap();
            assert_eq!(got, whole.items, "{batch:?}");
            assert_eq!(
                format!("{d:?}"),
                format!("{:?}", whole.diagnostics),
                "{batch:?}"
            );
            sizes
        };
        for batch in [1, 2, 5, 100] {
            let sizes = streamed(TraceBatch::lines(batch));
            assert!(
                sizes.iter().all(|&n| n <= batch),
                "batch {batch}: {sizes:?}"
            );
            assert!(sizes.len() >= 24 / batch, "batch {batch}: {sizes:?}");
        }
        // Batches bounded by bytes; a line longer than the bound is a batch of its own.
        for bytes in [1, 150, 1000] {
            let sizes = streamed(TraceBatch {
                bytes,
                ..TraceBatch::lines(100)
            });
            assert!(
                bytes > 1 || sizes.iter().all(|&n| n <= 1),
                "bytes {bytes}: {sizes:?}"
            );
            assert!(bytes > 1 || sizes.len() >= 24, "bytes {bytes}: {sizes:?}");
            assert!(bytes < 1000 || sizes.len() < 24, "bytes {bytes}: {sizes:?}");
        }
        // A malformed line stops a strict read with the same error, located on standard input.
        let strict = |label: &Path| {
            let file = std::io::BufReader::new(std::fs::File::open(&p).unwrap());
            stream_trace(
                file,
                label,
                &LoadOptions::default(),
                TraceBatch::lines(3),
                |_| Ok(()),
            )
            .unwrap_err()
            .to_string()
        };
        let e = load_trace(&p, &LoadOptions::default())
            .unwrap_err()
            .to_string();
        assert_eq!(strict(&p), e);
        assert_eq!(
            strict(Path::new("<stdin>")),
            "<stdin>:14: retrieved: missing required field"
        );
    }
}
