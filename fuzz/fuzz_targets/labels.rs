//! Label files as `ragdiag labels import` reads them (the first byte picks JSONL or CSV): items
//! or a located error, strict and lenient loads agreeing; every label has its ids and labeller;
//! what was accepted, written back in the same format, reads back identical; the merge keeps
//! one resolved grade per pair, taken from its labellers' grades, with a finite kappa of at most 1 (Cohen's at least -1).
#![no_main]

use libfuzzer_sys::fuzz_target;
use ragdiag_core::Label;
use ragdiag_eval::golden::merge_labels;
use ragdiag_fuzz::{check_loads, line_count, write_scratch};
use ragdiag_load::{load_labels, LoadOptions};
use std::collections::BTreeSet;

fn jsonl(labels: &[Label]) -> String {
    let mut out = String::new();
    for l in labels {
        let mut o = serde_json::json!({
            "query_id": l.query_id,
            "doc": l.doc,
            "grade": l.grade,
            "labeller": l.labeller,
        });
        for (k, v) in [
            ("labelled_at", &l.labelled_at),
            ("doc_hash", &l.doc_hash),
            ("note", &l.note),
        ] {
            if let Some(v) = v {
                o[k] = serde_json::Value::String(v.clone());
            }
        }
        out.push_str(&o.to_string());
        out.push('\n');
    }
    out
}

fn csv(labels: &[Label]) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new()
        .quote_style(csv::QuoteStyle::Always)
        .from_writer(Vec::new());
    w.write_record(ragdiag_load::LABEL_FIELDS).expect("header");
    for l in labels {
        let grade = l.grade.to_string();
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        w.write_record([
            l.query_id.as_str(),
            l.doc.as_str(),
            grade.as_str(),
            l.labeller.as_str(),
            &opt(&l.labelled_at),
            &opt(&l.doc_hash),
            &opt(&l.note),
        ])
        .expect("record");
    }
    w.into_inner().expect("csv bytes")
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let name = if selector % 2 == 0 {
        "labels.jsonl"
    } else {
        "labels.csv"
    };
    let path = write_scratch(name, body);
    let strict = load_labels(&path, &LoadOptions::default());
    let lenient = load_labels(&path, &LoadOptions { skip_invalid: true });
    let Some(labels) = check_loads(&strict, &lenient, &path, line_count(body)) else {
        return;
    };
    for l in labels {
        assert!(!l.query_id.is_empty() && !l.doc.is_empty(), "{l:?}");
        assert!(
            !l.labeller.is_empty() && l.labeller.trim() == l.labeller,
            "labeller not trimmed: {l:?}"
        );
        for v in [&l.doc_hash, &l.note].into_iter().flatten() {
            assert!(!v.is_empty(), "an empty optional field is kept: {l:?}");
        }
    }
    let back_bytes = if selector % 2 == 0 {
        jsonl(labels).into_bytes()
    } else {
        csv(labels)
    };
    let back_path = write_scratch(&format!("back.{name}"), &back_bytes);
    let back = load_labels(&back_path, &LoadOptions::default()).unwrap_or_else(|e| {
        panic!(
            "labels written back do not read: {e}\n{}",
            String::from_utf8_lossy(&back_bytes)
        )
    });
    assert_eq!(
        &back.items,
        labels,
        "round trip changed the labels\n{}",
        String::from_utf8_lossy(&back_bytes)
    );

    let merged = merge_labels(labels);
    let pairs: Vec<(&str, &str)> = merged
        .resolved
        .iter()
        .map(|r| (r.query_id.as_str(), r.doc.as_str()))
        .collect();
    assert!(
        pairs.windows(2).all(|w| w[0] < w[1]),
        "resolved pairs are not unique and sorted"
    );
    let given: BTreeSet<(&str, &str)> = labels
        .iter()
        .map(|l| (l.query_id.as_str(), l.doc.as_str()))
        .collect();
    assert_eq!(
        given.len(),
        pairs.len(),
        "a labelled pair was lost or made up"
    );
    for r in &merged.resolved {
        assert!(!r.grades.is_empty(), "{r:?}");
        assert!(
            r.grades.values().any(|g| *g == r.grade),
            "resolved grade {} is no labeller's: {r:?}",
            r.grade
        );
    }
    let labellers: BTreeSet<&str> = labels.iter().map(|l| l.labeller.as_str()).collect();
    match &merged.agreement {
        None => {}
        Some(a) => {
            assert!(labellers.len() >= 2, "agreement with one labeller: {a:?}");
            assert!(a.unanimous <= a.items, "{a:?}");
            if let Some(k) = a.kappa {
                // Cohen's kappa lies in [-1, 1]; Fleiss' is at most 1 (its floor depends on
                // the number of labellers).
                assert!(k.is_finite() && k <= 1.0 + 1e-9, "{a:?}");
                if a.method == "cohen" {
                    assert!(k >= -1.0 - 1e-9, "{a:?}");
                }
            }
        }
    }
});
