//! The reranker's impact: per-question outcomes, flags, and the summary's counts and tests.
#![allow(missing_docs)]

use ragdiag_core::{Document, Evidence, Location, Query, Timestamp, TraceHit, TraceRecord};
use ragdiag_diagnose::{
    diagnose_trace, reranker_impact, Brief, BriefContext, Briefs, Config, Corpus, Diagnosis, Flag,
    RerankEffect, RerankOutcome,
};

/// What the reranker's impact reads of `ds`.
fn briefs(ds: &[Diagnosis], queries: &[Query]) -> Briefs {
    let docs = docs();
    let fresh = ragdiag_fresh::audit(
        &docs,
        &ragdiag_fresh::Config::new(Timestamp::parse("2026-10-01").unwrap()),
    );
    Brief::all(
        ds,
        queries,
        None,
        &BriefContext::new(
            &docs,
            &fresh,
            &ragdiag_diagnose::ThresholdOptions {
                target: ragdiag_contract::ThresholdTarget::Accuracy(0.95),
                current: None,
                answer_f1: 0.8,
                ground_token_share: 0.6,
            },
        ),
    )
}

const QUOTE: &str = "Annual plans can be refunded within 30 days of purchase.";

fn doc(id: &str, text: &str) -> Document {
    Document {
        id: id.into(),
        text: text.into(),
        updated_at: Timestamp::parse("2026-03-01"),
        origin: Location::new("c.jsonl", 1),
        ..Document::default()
    }
}

fn docs() -> Vec<Document> {
    let mut v: Vec<Document> = (0..8)
        .map(|i| {
            doc(
                &format!("f{i}"),
                &format!("Filler page {i} talks about payroll run {i}."),
            )
        })
        .collect();
    v.push(doc(
        "refunds",
        &format!("Refunds overview. {QUOTE} Monthly plans are not refunded."),
    ));
    v
}

fn query(id: &str, weight: f64) -> Query {
    Query {
        id: id.into(),
        text: "can i get my money back on an annual plan?".into(),
        evidence: vec![Evidence::Quote {
            doc: "refunds".into(),
            quote: QUOTE.into(),
        }],
        reference_answers: vec!["within 30 days".into()],
        weight,
        ..Query::default()
    }
}

fn hit(d: &str) -> TraceHit {
    let text = if d == "refunds" {
        QUOTE.to_owned()
    } else {
        format!(
            "Filler page {} talks about payroll run {}.",
            &d[1..],
            &d[1..]
        )
    };
    TraceHit {
        doc: d.into(),
        text: Some(text),
        ..TraceHit::default()
    }
}

/// A list with the evidence at `gold` (1-based), fillers elsewhere, `n` long.
fn list(gold: Option<usize>, n: usize) -> Vec<TraceHit> {
    (1..=n)
        .map(|r| {
            if Some(r) == gold {
                hit("refunds")
            } else {
                hit(&format!("f{}", r % 8))
            }
        })
        .collect()
}

fn record(id: &str, after: Option<usize>, before: Option<Option<usize>>) -> TraceRecord {
    TraceRecord {
        query_id: id.into(),
        retrieved: list(after, 8),
        candidates: before.map(|b| list(b, 8)),
        answer: Some("Within 30 days of purchase.".into()),
        origin: Location::new("trace.jsonl", 1),
        ..TraceRecord::default()
    }
}

#[test]
fn outcomes_flags_counts_and_paired_tests() {
    let docs = docs();
    let fresh = ragdiag_fresh::audit(
        &docs,
        &ragdiag_fresh::Config::new(Timestamp::parse("2026-10-01").unwrap()),
    );
    let corpus = Corpus::new(&docs, &fresh);
    // (after, before): promoted 7 → 1, demoted 2 → 7, kept 1 → 2, missing both times,
    // lost 3 → none, and one question without candidates.
    let plan: [(Option<usize>, Option<Option<usize>>); 6] = [
        (Some(1), Some(Some(7))),
        (Some(7), Some(Some(2))),
        (Some(2), Some(Some(1))),
        (None, Some(None)),
        (None, Some(Some(3))),
        (Some(1), None),
    ];
    let queries: Vec<Query> = (0..plan.len())
        .map(|i| query(&format!("q{i}"), if i == 1 { 3.0 } else { 1.0 }))
        .collect();
    let trace: Vec<TraceRecord> = plan
        .iter()
        .enumerate()
        .map(|(i, (after, before))| record(&format!("q{i}"), *after, *before))
        .collect();
    let cfg = Config::default();
    let out = diagnose_trace(&corpus, &queries, &trace, &cfg).unwrap();
    let ds = &out.diagnoses;
    let outcome = |i: usize| ds[i].rerank;
    assert_eq!(
        outcome(0),
        Some(RerankOutcome {
            before: Some(7),
            after: Some(1),
            effect: RerankEffect::Helped
        })
    );
    assert_eq!(outcome(1).map(|o| o.effect), Some(RerankEffect::Hurt));
    assert_eq!(outcome(2).map(|o| o.effect), Some(RerankEffect::Neutral));
    assert_eq!(
        outcome(3).map(|o| (o.before, o.effect)),
        Some((None, RerankEffect::Neutral))
    );
    assert_eq!(
        outcome(4).map(|o| (o.before, o.after)),
        Some((Some(3), None))
    );
    assert_eq!(outcome(4).map(|o| o.effect), Some(RerankEffect::Hurt));
    assert_eq!(outcome(5), None);
    assert!(ds[0].flags.contains(&Flag::RerankerPromotedGold));
    assert!(!ds[0].flags.contains(&Flag::RerankerDemotedGold));
    for i in [1, 4] {
        assert!(ds[i].flags.contains(&Flag::RerankerDemotedGold), "{i}");
    }
    for i in [2, 3, 5] {
        assert!(!ds[i].flags.contains(&Flag::RerankerDemotedGold));
        assert!(!ds[i].flags.contains(&Flag::RerankerPromotedGold));
    }

    let impact = reranker_impact(&briefs(ds, &queries), cfg.context_k, 7).unwrap();
    assert_eq!(impact.questions, 5);
    assert_eq!(
        (impact.helped.count, impact.hurt.count, impact.neutral.count),
        (1, 2, 2)
    );
    // The heavier question comes first.
    assert_eq!(impact.hurt.queries, ["q1", "q4"]);
    // Weighted shares: q1 weighs 3 of the 7 units.
    let hurt = impact.hurt.share;
    assert!((hurt.mean.unwrap() - 4.0 / 7.0).abs() < 1e-12);
    assert!(hurt.ci_lower.unwrap() < 4.0 / 7.0 && hurt.ci_upper.unwrap() > 4.0 / 7.0);
    let by = |m: &str| impact.comparisons.iter().find(|c| c.metric == m).unwrap();
    // hit@5 before: q1, q2, q4 (and q0 no) = 1+3+1 of 7 → 5/7; after: q0, q2 = 2/7.
    let h = by("hit@5");
    assert!((h.mean_baseline - 5.0 / 7.0).abs() < 1e-12, "{h:?}");
    assert!((h.mean - 2.0 / 7.0).abs() < 1e-12);
    assert_eq!((h.wins, h.losses, h.ties), (1, 2, 2));
    assert!(h.ci_lower <= h.difference && h.difference <= h.ci_upper);
    assert!(h.p_holm >= h.p_randomization);
    let rr = by("evidence_mrr");
    let before = (1.0 / 7.0 + 3.0 * 0.5 + 1.0 + 0.0 + 1.0 / 3.0) / 7.0;
    let after = (1.0 + 3.0 / 7.0 + 0.5 + 0.0 + 0.0) / 7.0;
    assert!((rr.mean_baseline - before).abs() < 1e-12);
    assert!((rr.mean - after).abs() < 1e-12);
    assert_eq!(impact.comparisons.len(), 3);
}

#[test]
fn no_candidates_no_impact() {
    let docs = docs();
    let fresh = ragdiag_fresh::audit(
        &docs,
        &ragdiag_fresh::Config::new(Timestamp::parse("2026-10-01").unwrap()),
    );
    let corpus = Corpus::new(&docs, &fresh);
    let queries = vec![query("q0", 1.0)];
    let trace = vec![record("q0", Some(1), None)];
    let out = diagnose_trace(&corpus, &queries, &trace, &Config::default()).unwrap();
    assert!(reranker_impact(&briefs(&out.diagnoses, &queries), 5, 7).is_none());
}
