//! The bundled demo knowledge base (`corpora/tallyfox`, `queries/tallyfox.*`) loads cleanly with
//! the project's own loaders and meets issue 5's counts. The independent, rule-by-rule check
//! of the trace against the truth file is `scripts/check_demo.py`, run by `.ci/run`.

use ragdiag_core::{find_quote, Evidence, Severity};
use ragdiag_load::{cross_check, load_corpus, load_queries, Inputs, LoadOptions};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn demo_corpus_and_queries_load_and_cross_check() {
    let corpus = load_corpus(&root().join("corpora/tallyfox"), &LoadOptions::default()).unwrap();
    assert!(corpus.diagnostics.is_empty(), "{:?}", corpus.diagnostics);
    let docs = corpus.items;
    assert!((80..=120).contains(&docs.len()), "{} documents", docs.len());
    for d in &docs {
        let words = d.text.split_whitespace().count();
        assert!((150..=1000).contains(&words), "{}: {words} words", d.id);
        assert!(d.title.is_some(), "{} has no title", d.id);
    }
    let queries = load_queries(
        &root().join("queries/tallyfox.jsonl"),
        &LoadOptions::default(),
    )
    .unwrap();
    assert!(queries.diagnostics.is_empty(), "{:?}", queries.diagnostics);
    let queries = queries.items;
    assert!(
        (120..=150).contains(&queries.len()),
        "{} queries",
        queries.len()
    );
    let by_id: HashMap<&str, &ragdiag_core::Document> =
        docs.iter().map(|d| (d.id.as_str(), d)).collect();
    for q in &queries {
        for e in &q.evidence {
            let Evidence::Quote { doc, quote } = e else {
                panic!("{}: demo evidence is quotes", q.id)
            };
            let m = find_quote(&by_id[doc.as_str()].text, quote)
                .unwrap_or_else(|| panic!("{}: quote not in {doc}", q.id));
            assert!(
                !m.normalised,
                "{}: quote in {doc} matches only after normalisation",
                q.id
            );
        }
    }
    let findings = cross_check(&Inputs {
        corpus: Some(&docs),
        queries: Some(&queries),
        qrels: None,
    });
    for f in findings.items() {
        assert_eq!(f.severity, Severity::Warning);
        assert!(
            f.reason.contains("has no labels"),
            "unexpected finding: {f}"
        );
    }
    let unlabelled = queries.iter().filter(|q| !q.is_labelled()).count();
    assert_eq!(findings.len(), unlabelled);
}

#[test]
fn truth_file_covers_every_class_and_trace_points_into_the_corpus() {
    let truth: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("queries/tallyfox.truth.json")).unwrap(),
    )
    .unwrap();
    let queries = load_queries(
        &root().join("queries/tallyfox.jsonl"),
        &LoadOptions::default(),
    )
    .unwrap()
    .items;
    let answerable: HashMap<&str, bool> = queries
        .iter()
        .map(|q| (q.id.as_str(), q.answerable))
        .collect();
    let classes = truth["questions"].as_object().unwrap();
    assert_eq!(
        classes.len(),
        queries.len(),
        "every question has a truth class"
    );
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let (mut abstaining, mut asserted) = (0, 0);
    for (qid, t) in classes {
        let class = t["class"].as_str().unwrap().to_string();
        assert!(!t["rationale"].as_str().unwrap().is_empty());
        if answerable[qid.as_str()] {
            *counts.entry(class).or_default() += 1;
        } else if class == "ok" {
            abstaining += 1;
        } else {
            assert_eq!(class, "generation_failure", "{qid}");
            asserted += 1;
        }
    }
    for class in [
        "no_label",
        "ok",
        "corpus_gap",
        "stale_source",
        "chunking_split",
        "retrieval_miss",
        "ranking_miss",
        "generation_failure",
    ] {
        assert!(
            counts.get(class).copied().unwrap_or(0) >= 10,
            "{class}: {counts:?}"
        );
    }
    assert!(
        abstaining >= 10 && asserted >= 10,
        "{abstaining} abstaining, {asserted} asserted"
    );

    let docs = load_corpus(&root().join("corpora/tallyfox"), &LoadOptions::default())
        .unwrap()
        .items;
    let texts: HashMap<&str, &str> = docs
        .iter()
        .map(|d| (d.id.as_str(), d.text.as_str()))
        .collect();
    let trace = std::fs::read_to_string(root().join("queries/tallyfox.trace.jsonl")).unwrap();
    let mut lines = 0;
    for line in trace.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let qid = v["query_id"].as_str().unwrap();
        assert!(answerable.contains_key(qid), "trace line for unknown {qid}");
        let retrieved = v["retrieved"].as_array().unwrap();
        assert!(!retrieved.is_empty() && retrieved.len() <= 20);
        for hit in retrieved {
            let doc = hit["doc"].as_str().unwrap();
            let text = hit["text"].as_str().unwrap();
            assert!(
                texts[doc].contains(text),
                "{qid}: retrieved text is not in {doc}"
            );
        }
        lines += 1;
    }
    assert_eq!(lines, queries.len());
}
