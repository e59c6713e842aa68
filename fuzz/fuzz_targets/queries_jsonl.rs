//! The questions loader with a corpus beside it (the first line of the input is the corpus,
//! the rest the questions): items or a located error, and the cross-checks flag every evidence
//! span that is not inside its document and every quote they cannot find.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ragdiag_core::{find_quote, Evidence};
use ragdiag_fuzz::{check_loads, check_span, line_count, write_scratch};
use ragdiag_load::{cross_check, load_corpus, load_queries, Inputs, LoadOptions};

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
    let (corpus_bytes, query_bytes) = (&data[..split], &data[(split + 1).min(data.len())..]);
    let path = write_scratch("queries.jsonl", query_bytes);
    let strict = load_queries(&path, &LoadOptions::default());
    let lenient = load_queries(&path, &LoadOptions { skip_invalid: true });
    let Some(queries) = check_loads(&strict, &lenient, &path, line_count(query_bytes)) else {
        return;
    };
    for q in queries {
        assert!(!q.id.is_empty(), "a question without an id");
        assert!(
            q.weight.is_finite() && q.weight >= 0.0,
            "weight {}",
            q.weight
        );
    }
    let corpus_path = write_scratch("corpus1.jsonl", corpus_bytes);
    let Ok(corpus) = load_corpus(&corpus_path, &LoadOptions::default()) else {
        return;
    };
    let docs = &corpus.items;
    let findings = cross_check(&Inputs {
        corpus: Some(docs),
        queries: Some(queries),
        qrels: None,
    });
    for q in queries {
        for (i, e) in q.evidence.iter().enumerate() {
            let field = format!("evidence[{i}]");
            let flagged = findings
                .items()
                .iter()
                .any(|d| d.location == q.origin && d.field.starts_with(&field));
            let Some(doc) = docs.iter().find(|d| d.id == e.doc()) else {
                continue;
            };
            match e {
                Evidence::Span { start, end, .. } => {
                    let n = doc.text.chars().count();
                    if !(start <= end && *end <= n) {
                        assert!(
                            flagged,
                            "span {start}..{end} of {:?} ({n} code points) not flagged",
                            doc.id
                        );
                    }
                }
                Evidence::Quote { quote, .. } => match find_quote(&doc.text, quote) {
                    Some(m) => check_span(&doc.text, m.start, m.end, "quote"),
                    None => assert!(flagged, "quote {quote:?} not found and not flagged"),
                },
            }
        }
    }
});
