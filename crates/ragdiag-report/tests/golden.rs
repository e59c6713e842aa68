//! The golden-set section of `report.md` and `report.html` reads its counts from
//! `golden_set.counts` (schema 7: `summary.json` lists the first 100 of each list), and says
//! where the rest are.

use serde_json::json;

/// A panel whose lists hold fewer entries than their counts, as `summary.json` lists them.
fn summary() -> serde_json::Value {
    let leaks: Vec<serde_json::Value> = (0..30)
        .map(|i| {
            json!({"query_id": format!("q{i}"), "field": "question", "doc": "d",
                   "containment": 0.8, "extractive": i >= 25})
        })
        .collect();
    let review: Vec<serde_json::Value> = (0..30)
        .map(|i| json!({"query_id": format!("q{i}"), "doc": "d", "kind": "judgment", "document": "changed"}))
        .collect();
    json!({
        "golden_set": {
            "stale_rule": "flag", "labels": 900, "tied": 900, "excluded": 0,
            "needs_review": review, "coverage": [], "near_duplicate_threshold": 0.9,
            "duplicates": [], "gold_gone": [], "unanswerable_answered": [],
            "leakage": {"threshold": 0.6, "min_words": 5, "leaks": leaks,
                        "leaked_questions": ["q0", "q1"], "metrics_all": {}, "metrics_without": {}},
            "counts": {"needs_review": 712, "duplicates": 0, "gold_gone": 0,
                       "unanswerable_answered": 0, "leaks": 460, "extractive_leaks": 60,
                       "leaked_questions": 388}
        }
    })
}

#[test]
fn counts_come_from_the_panel_and_the_rest_is_in_golden_jsonl() {
    let s = summary();
    let md = ragdiag_report::render_markdown_json(&s, &[]);
    assert!(md.contains("; 712 need re-review"), "{md}");
    assert!(md.contains("**Leakage:** 388 question(s)"), "{md}");
    // 400 leaks inflate the metrics (460 less the 60 extractive); the first 20 are shown.
    assert!(
        md.contains("20 shown of 712; all are in `golden.jsonl`."),
        "{md}"
    );
    assert!(
        md.contains("20 shown of 400; all are in `golden.jsonl`."),
        "{md}"
    );
    let html = ragdiag_report::render_html_json(&s, &[]);
    assert!(
        html.contains("<h3>Labels needing re-review (712)</h3>"),
        "{html}"
    );
    assert!(
        html.contains("<h3>Leakage (388 question(s))</h3>"),
        "{html}"
    );
    assert!(
        html.contains("60 reference answer(s) found in their own gold page"),
        "{html}"
    );
    assert!(
        html.contains("20 shown of 400; all are in <code>golden.jsonl</code>."),
        "{html}"
    );
    // Without counts (lists whole), the lists are counted.
    let mut whole = s.clone();
    whole["golden_set"]
        .as_object_mut()
        .unwrap()
        .remove("counts");
    let md = ragdiag_report::render_markdown_json(&whole, &[]);
    assert!(md.contains("; 30 need re-review"), "{md}");
    assert!(md.contains("**Leakage:** 2 question(s)"), "{md}");
    assert!(md.contains("20 shown of 25;"), "{md}");
    let html = ragdiag_report::render_html_json(&whole, &[]);
    assert!(
        html.contains("5 reference answer(s) found in their own gold page"),
        "{html}"
    );
}
