//! The audit against the demo knowledge base's truth file (written from the data, before this
//! code): every planted stale, expired, deleted, superseded and conflicting document is found,
//! with precision and recall ≥ 0.95.
#![allow(missing_docs, clippy::print_stderr)]

use ragdiag_core::Timestamp;
use ragdiag_fresh::{audit, Config};
use ragdiag_load::{load_corpus, LoadOptions};
use std::collections::BTreeSet;
use std::path::PathBuf;

fn pr(name: &str, found: &BTreeSet<String>, truth: &BTreeSet<String>) -> (f64, f64) {
    let tp = found.intersection(truth).count() as f64;
    let p = if found.is_empty() {
        1.0
    } else {
        tp / found.len() as f64
    };
    let r = if truth.is_empty() {
        1.0
    } else {
        tp / truth.len() as f64
    };
    eprintln!(
        "{name}: precision {p:.3} recall {r:.3} (found {}, truth {})",
        found.len(),
        truth.len()
    );
    if p < 0.95 || r < 0.95 {
        eprintln!(
            "  missing: {:?}\n  extra: {:?}",
            truth.difference(found).collect::<Vec<_>>(),
            found.difference(truth).collect::<Vec<_>>()
        );
    }
    (p, r)
}

#[test]
fn demo_truth_is_recovered() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let truth: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("queries/tallyfox.truth.json")).unwrap(),
    )
    .unwrap();
    let docs = load_corpus(&root.join("corpora/tallyfox"), &LoadOptions::default())
        .unwrap()
        .items;
    let as_of = Timestamp::parse(truth["as_of"].as_str().unwrap()).unwrap();
    let report = audit(&docs, &Config::new(as_of));
    let fresh = &truth["freshness"];

    // Stale documents with their reason (superseded / expired / deleted).
    let truth_stale: BTreeSet<String> = fresh["stale"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(id, v)| format!("{id}:{}", v["reason"].as_str().unwrap()))
        .collect();
    let found_stale: BTreeSet<String> = report
        .documents
        .iter()
        .filter(|d| d.stale == Some(true))
        .map(|d| format!("{}:{}", d.id, d.stale_reason().unwrap().as_str()))
        .collect();
    let mut results = vec![pr("stale (with reason)", &found_stale, &truth_stale)];

    let truth_undated: BTreeSet<String> = fresh["undated"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    let found_undated: BTreeSet<String> = report
        .documents
        .iter()
        .filter(|d| d.age_days.is_none())
        .map(|d| d.id.clone())
        .collect();
    results.push(pr("undated", &found_undated, &truth_undated));
    assert!(
        report
            .documents
            .iter()
            .filter(|d| d.age_days.is_none() && d.stale.is_none())
            .count()
            >= truth_undated.len().saturating_sub(1)
    );

    let pair = |v: &serde_json::Value| {
        let mut p: Vec<String> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap().to_string())
            .collect();
        p.sort();
        p.join(" <> ")
    };
    let truth_conflicts: BTreeSet<String> = fresh["conflicts"]
        .as_array()
        .unwrap()
        .iter()
        .map(pair)
        .collect();
    let found_conflicts: BTreeSet<String> = report
        .conflicts
        .iter()
        .map(|c| {
            let mut p = [c.doc_a.clone(), c.doc_b.clone()];
            p.sort();
            p.join(" <> ")
        })
        .collect();
    for c in &report.conflicts {
        eprintln!(
            "conflict {} <> {}:\n  {}\n  {}",
            c.doc_a, c.doc_b, c.sentence_a, c.sentence_b
        );
    }
    results.push(pr("conflicts", &found_conflicts, &truth_conflicts));

    let truth_near: BTreeSet<String> = fresh["near_duplicates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            let a = v.as_array().unwrap();
            format!("{} -> {}", a[0].as_str().unwrap(), a[1].as_str().unwrap())
        })
        .collect();
    let found_near: BTreeSet<String> = report
        .near_duplicates
        .iter()
        .map(|n| format!("{} -> {}", n.older, n.newer))
        .collect();
    results.push(pr(
        "near-duplicates (older -> newer)",
        &found_near,
        &truth_near,
    ));

    for (p, r) in results {
        assert!(p >= 0.95 && r >= 0.95, "precision {p} recall {r}");
    }
}
