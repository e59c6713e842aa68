//! Traces in every format (ragdiag, OpenInference as JSONL or Parquet, OTLP JSON, RAGAS,
//! RAGChecker, or detected): the first byte picks the format and the file's extension
//! (`.jsonl`, `.json`, `.parquet`), the rest is the file. Items or a
//! located error, strict and lenient loads agreeing; then text-only hits and reference
//! contexts located in a small corpus: every hit ends with a document, every evidence quote is
//! found in its document at a span inside it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ragdiag_core::{find_quote, Document, Evidence};
use ragdiag_fuzz::{check_diagnostic, check_error, check_span, line_count, write_scratch};
use ragdiag_load::{load_trace_as, LoadOptions, TraceFormat, TraceOptions, UNLOCATED_DOC};

fn corpus() -> Vec<Document> {
    let doc = |id: &str, text: &str| Document {
        id: id.into(),
        text: text.into(),
        ..Document::default()
    };
    vec![
        doc(
            "d1",
            "Refunds are issued within 14 days of the request. Naïve café — ß, 日本語 text.",
        ),
        doc(
            "d2",
            "Two-step verification protects the account.\n\nRefunds are issued within 14 days.",
        ),
    ]
}

fuzz_target!(|data: &[u8]| {
    // The Parquet readers contain the parquet crate's panics on damaged pages (FUZZING.md, 10).
    ragdiag_fuzz::allow_contained_panics();
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let format = TraceFormat::ALL.get(usize::from(selector % 8)).copied();
    let parquet = selector & 0x40 != 0;
    let name = if parquet {
        "trace.parquet"
    } else if selector & 0x80 == 0 {
        "trace.jsonl"
    } else {
        "trace.json"
    };
    let path = write_scratch(name, body);
    // A Parquet trace's findings are located by row, which the bytes do not tell.
    let lines = if parquet { u64::MAX } else { line_count(body) };
    let topts = TraceOptions {
        format,
        ..TraceOptions::default()
    };
    let strict = load_trace_as(&path, &topts, &LoadOptions::default());
    let lenient = load_trace_as(&path, &topts, &LoadOptions { skip_invalid: true });
    for r in [&strict, &lenient] {
        match r {
            Ok(l) => l
                .diagnostics
                .items()
                .iter()
                .for_each(|d| check_diagnostic(d, &path, lines)),
            Err(e) => check_error(e, &path, lines),
        }
    }
    let Ok(loaded) = strict else { return };
    let lenient = lenient.expect("only the lenient load failed");
    assert_eq!(
        loaded.items.records, lenient.items.records,
        "skip_invalid changed the records"
    );
    assert_eq!(
        loaded.items.questions, lenient.items.questions,
        "skip_invalid changed the questions"
    );
    assert_eq!(loaded.diagnostics.error_count(), 0);
    if let Some(f) = format {
        assert_eq!(loaded.items.format, f);
    }
    let mut trace = loaded.items;
    let before: Vec<Vec<String>> = trace
        .records
        .iter()
        .map(|r| r.retrieved.iter().map(|h| h.doc.clone()).collect())
        .collect();
    let docs = corpus();
    for d in trace.locate(&docs).items() {
        check_diagnostic(d, &path, lines);
    }
    for (r, was) in trace.records.iter().zip(&before) {
        assert_eq!(r.retrieved.len(), was.len());
        for (h, was) in r.retrieved.iter().zip(was) {
            assert!(!h.doc.is_empty(), "a hit without a document after locate");
            if was.is_empty() {
                assert!(
                    h.doc == UNLOCATED_DOC || docs.iter().any(|d| d.id == h.doc),
                    "located in an unknown document {:?}",
                    h.doc
                );
            } else {
                assert_eq!(&h.doc, was, "locate changed a hit's document");
            }
        }
    }
    for q in trace.questions.iter().flatten() {
        for e in &q.evidence {
            let Some(doc) = docs.iter().find(|d| d.id == e.doc()) else {
                continue;
            };
            match e {
                Evidence::Quote { quote, .. } => {
                    let m =
                        find_quote(&doc.text, quote).expect("evidence quote not in its document");
                    check_span(&doc.text, m.start, m.end, "evidence quote");
                }
                Evidence::Span { start, end, .. } => {
                    check_span(&doc.text, *start, *end, "evidence")
                }
            }
        }
    }
});
