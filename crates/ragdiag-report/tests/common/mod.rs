//! Shared fixtures: a made-up trace-mode summary and a handful of questions, one per class.
#![allow(dead_code, unreachable_pub)]

use ragdiag_report::{AnswerVerdict, GoldView, QuestionView, RetrievedView, RuleView};
use serde_json::{json, Value};

/// A full trace-mode summary with every section.
pub fn sample_summary() -> Value {
    json!({
        "schema_version": 1,
        "mode": "trace",
        "name": "tallyfox-support",
        "headline": [
            "Retrieval found the right source for 78% of questions (95% CI 71–84%, n = 121).",
            "The largest cause of failure is stale content: 16 questions (13%) got an outdated page in the context window, mostly about pricing.",
            "When the right source was in the context, the assistant answered correctly 91% of the time."
        ],
        "questions": {"total": 133, "scored": 121, "no_label": 12},
        "metrics": {
            "mrr": {"mean": 0.6523, "ci_lower": 0.5871, "ci_upper": 0.7148, "n": 121},
            "ndcg@10": {"mean": 0.7012, "ci_lower": 0.6425, "ci_upper": 0.7571, "n": 121},
            "recall@10": {"mean": 0.78, "ci_lower": 0.7107, "ci_upper": 0.8430, "n": 121},
            "hit@5": {"mean": 0.7438, "ci_lower": 0.6694, "ci_upper": 0.8182, "n": 121},
            "recall@100": {"mean": 0.9174, "ci_lower": 0.8678, "ci_upper": 0.9587, "n": 121},
            "map@100": {"mean": 0.6120, "ci_lower": 0.5502, "ci_upper": 0.6733, "n": 121}
        },
        "recall_curve": [
            {"k": 1, "mean": 0.45, "ci_lower": 0.36, "ci_upper": 0.54, "n": 121},
            {"k": 3, "mean": 0.62, "ci_lower": 0.53, "ci_upper": 0.70, "n": 121},
            {"k": 5, "mean": 0.70, "ci_lower": 0.62, "ci_upper": 0.78, "n": 121},
            {"k": 10, "mean": 0.78, "ci_lower": 0.7107, "ci_upper": 0.843, "n": 121},
            {"k": 20, "mean": 0.85, "ci_lower": 0.79, "ci_upper": 0.91, "n": 121},
            {"k": 50, "mean": 0.89, "ci_lower": 0.83, "ci_upper": 0.94, "n": 121},
            {"k": 100, "mean": 0.9174, "ci_lower": 0.8678, "ci_upper": 0.9587, "n": 121}
        ],
        "classes": {
            "ok": {"count": 71, "share": 0.5868, "ci_lower": 0.4959, "ci_upper": 0.6777},
            "stale_source": {"count": 16, "share": 0.1322, "ci_lower": 0.0744, "ci_upper": 0.1983},
            "retrieval_miss": {"count": 11, "share": 0.0909, "ci_lower": 0.0413, "ci_upper": 0.1488},
            "ranking_miss": {"count": 9, "share": 0.0744, "ci_lower": 0.0331, "ci_upper": 0.124},
            "chunking_split": {"count": 5, "share": 0.0413, "ci_lower": 0.0083, "ci_upper": 0.0826},
            "generation_failure": {"count": 6, "share": 0.0496, "ci_lower": 0.0165, "ci_upper": 0.0909},
            "corpus_gap": {"count": 3, "share": 0.0248, "ci_lower": 0.0, "ci_upper": 0.0579},
            "no_label": {"count": 12}
        },
        "flags": {
            "stale_in_context": {"count": 21, "share": 0.1579, "ci_lower": 0.1058, "ci_upper": 0.2292},
            "conflicting_versions": {"count": 7, "share": 0.0526, "ci_lower": 0.0258, "ci_upper": 0.1047},
            "near_duplicate_crowding": {"count": 4},
            "label_noise": {"count": 2}
        },
        "freshness": {
            "stale_hit_rate": {"k": 5, "mean": 0.1124, "ci_lower": 0.0851, "ci_upper": 0.1421, "n": 121},
            "top_hit_stale_share": {"mean": 0.0826, "ci_lower": 0.0413, "ci_upper": 0.1322, "n": 121},
            "superseded_above_current": 7,
            "ghost_citations": 2,
            "documents": 109,
            "stale_documents": 16,
            "undated_documents": 5,
            "conflicts": 4
        },
        "by_tag": [
            {"tag": "pricing", "n": 14, "hit_rate": {"mean": 0.5714, "ci_lower": 0.2857, "ci_upper": 0.8571}, "failures": 6},
            {"tag": "billing", "n": 22, "hit_rate": {"mean": 0.7727, "ci_lower": 0.5909, "ci_upper": 0.9545}, "failures": 5},
            {"tag": "security", "n": 18, "hit_rate": {"mean": 0.9444, "ci_lower": 0.8333, "ci_upper": 1.0}, "failures": 1}
        ],
        "generation": {
            "correct": {"mean": 0.7438, "ci_lower": 0.6694, "ci_upper": 0.8182, "n": 121},
            "grounded": {"mean": 0.8926, "ci_lower": 0.8347, "ci_upper": 0.9421, "n": 121},
            "abstained": {"mean": 0.0579, "ci_lower": 0.0248, "ci_upper": 0.0992, "n": 121}
        },
        "latency_ms": {"p50": 812, "p95": 2315.5, "n": 133},
        "tokens": {"prompt_p50": 1840, "prompt_p95": 3120, "completion_p50": 96, "completion_p95": 231, "per_correct_answer": 2673.4},
        "gates": [
            {"metric": "recall@10", "op": ">=", "threshold": 0.8, "value": 0.78, "passed": false, "detectable_drop": 0.0712},
            {"metric": "ndcg@10", "op": ">=", "threshold": 0.6, "value": 0.7012, "passed": true, "detectable_drop": 0.0815}
        ],
        "warnings": [
            "queries.jsonl:14: relevant: unknown document `pricing-2023`",
            "docs.jsonl:88: updated_at: unparseable date \"last spring\""
        ],
        "provenance": {
            "ragdiag_version": "0.1.0",
            "command": "ragdiag diagnose --corpus docs.jsonl --queries queries.jsonl --trace trace.jsonl --out reports/tallyfox-support",
            "corpus_sha256": "9f2c6d1e4b7a8c0d3e5f61728394a5b6c7d8e9f0a1b2c3d4e5f60718293a4b5c",
            "queries_sha256": "0a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5061728394a5b6c7d8e9f",
            "model_id": "sentence-transformers/all-MiniLM-L6-v2",
            "chunker": "recursive:256/32",
            "retriever": "hybrid",
            "seed": 42,
            "as_of": "2026-10-01",
            "created_at": "2026-10-01T09:14:03Z"
        }
    })
}

fn hit(rank: usize, doc: &str, text: &str, score: f64) -> RetrievedView {
    RetrievedView {
        rank,
        doc: doc.into(),
        title: None,
        text: text.into(),
        score: Some(score),
        stale: Some(false),
        stale_reason: None,
        holds_evidence: false,
        in_window: rank <= 5,
        highlight: Vec::new(),
    }
}

/// Questions covering failing and ok classes.
pub fn sample_questions() -> Vec<QuestionView> {
    let stale = QuestionView {
        id: "q-017".into(),
        text: "How much does the Growth plan cost per month?".into(),
        tags: vec!["pricing".into()],
        class: "stale_source".into(),
        flags: vec!["stale_in_context".into(), "conflicting_versions".into()],
        rule: Some(RuleView { number: 5, name: "stale_version_in_window".into() }),
        reason: "`pricing-plans-2025` (superseded by `pricing-plans`) ranked 1, above the best gold chunk at rank 4".into(),
        evidence_rule: Some("span_cover".into()),
        gold: vec![GoldView { doc: "pricing-plans".into(), text: "Growth costs $39 per month and includes 3 users.".into() }],
        reference_answers: vec!["$39".into(), "39 dollars".into()],
        answer: Some("The Growth plan costs $29 per month.".into()),
        verdict: AnswerVerdict { correct: Some(false), grounded: Some(true), abstained: Some(false) },
        retrieved: vec![
            RetrievedView {
                title: Some("Pricing plans (2025)".into()),
                stale: Some(true),
                stale_reason: Some("superseded".into()),
                ..hit(1, "pricing-plans-2025", "Plans. Growth costs $29 per month and includes 2 users. Scale costs $99.", 0.8412)
            },
            hit(2, "billing-faq", "You can change plans at any time; the difference is prorated.", 0.7731),
            RetrievedView { stale: None, ..hit(3, "blog-launch", "We launched Growth for small teams who outgrew Starter.", 0.7012) },
            RetrievedView {
                title: Some("Pricing plans".into()),
                holds_evidence: true,
                highlight: vec![(7, 55)],
                ..hit(4, "pricing-plans", "Plans. Growth costs $39 per month and includes 3 users. Scale costs $119.", 0.6954)
            },
            hit(5, "seats", "Each seat is billed monthly.", 0.6511),
            hit(6, "invoices", "Invoices are sent on the first of the month.", 0.6032),
        ],
        metrics: [("recall@10".to_owned(), 1.0), ("ndcg@10".to_owned(), 0.4307), ("mrr".to_owned(), 0.25)].into_iter().collect(),
        weight: None,
    };
    let ranking = QuestionView {
        id: "q-042".into(),
        text: "What is the storage limit on the Scale plan?".into(),
        tags: vec!["limits".into()],
        class: "ranking_miss".into(),
        rule: Some(RuleView {
            number: 8,
            name: "below_window".into(),
        }),
        reason: "the gold chunk of `storage-limits` ranked 7, outside the context window of 5"
            .into(),
        evidence_rule: Some("span_cover".into()),
        gold: vec![GoldView {
            doc: "storage-limits".into(),
            text: "Scale workspaces store up to 2 TB.".into(),
        }],
        reference_answers: vec!["2 TB".into()],
        answer: Some("I couldn't find that in the documents.".into()),
        verdict: AnswerVerdict {
            correct: Some(false),
            grounded: Some(true),
            abstained: Some(true),
        },
        retrieved: vec![
            hit(1, "plans-overview", "Scale is for growing companies.", 12.4),
            hit(2, "storage-faq", "Files count toward storage.", 11.9),
            hit(
                7,
                "storage-limits",
                "Scale workspaces store up to 2 TB. Ünïcödé — “quotes”.",
                9.1,
            ),
        ]
        .into_iter()
        .map(|mut h| {
            if h.rank == 7 {
                h.holds_evidence = true;
                h.highlight = vec![(0, 34)];
            }
            h
        })
        .collect(),
        metrics: [("recall@10".to_owned(), 1.0), ("mrr".to_owned(), 0.1429)]
            .into_iter()
            .collect(),
        ..QuestionView::default()
    };
    let miss = QuestionView {
        id: "q-051".into(),
        text: "Does Tallyfox support SAML single sign-on?".into(),
        tags: vec!["security".into()],
        class: "retrieval_miss".into(),
        flags: vec!["label_noise".into()],
        rule: Some(RuleView {
            number: 7,
            name: "not_in_pool".into(),
        }),
        reason: "no chunk of `sso-setup` holding the evidence is among the 100 retrieved".into(),
        evidence_rule: Some("relevant_document".into()),
        gold: vec![GoldView {
            doc: "sso-setup".into(),
            text: String::new(),
        }],
        retrieved: vec![hit(
            1,
            "login-help",
            "Reset your password from the login page.",
            0.51,
        )],
        ..QuestionView::default()
    };
    let ok = QuestionView {
        id: "q-003".into(),
        text: "Can I export my data as CSV?".into(),
        tags: vec!["export".into()],
        class: "ok".into(),
        rule: Some(RuleView {
            number: 3,
            name: "correct_and_grounded".into(),
        }),
        reason: "the answer is correct and grounded in the context window".into(),
        answer: Some("Yes: Settings → Export → CSV.".into()),
        reference_answers: vec!["yes".into()],
        verdict: AnswerVerdict {
            correct: Some(true),
            grounded: Some(true),
            abstained: Some(false),
        },
        retrieved: vec![RetrievedView {
            holds_evidence: true,
            highlight: vec![(0, 22)],
            ..hit(1, "export", "Export any report as CSV from Settings.", 0.93)
        }],
        ..QuestionView::default()
    };
    let no_label = QuestionView {
        id: "q-120".into(),
        text: "Who founded Tallyfox?".into(),
        class: "no_label".into(),
        rule: Some(RuleView {
            number: 1,
            name: "no_label".into(),
        }),
        reason: "no relevance labels, evidence or reference answer".into(),
        ..QuestionView::default()
    };
    vec![ok, stale, no_label, miss, ranking]
}

/// Resolves a `data-figure` path (keys and indexes joined by `.`, `\.` and `\\` escaped).
pub fn resolve<'a>(root: &'a Value, path: &str) -> Option<&'a Value> {
    let mut segs = Vec::new();
    let mut cur = String::new();
    let mut chars = path.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => cur.push(chars.next()?),
            '.' => segs.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    segs.push(cur);
    let mut v = root;
    for s in segs {
        v = match v {
            Value::Object(m) => m.get(&s)?,
            Value::Array(a) => a.get(s.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(v)
}
