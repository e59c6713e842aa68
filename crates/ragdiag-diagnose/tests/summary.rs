//! `build_summary` on hand-made diagnoses: every proportion carries a Wilson interval (never
//! degenerate at 0/n, n/n or n = 1), and unanswerable questions without answers are "not
//! assessed": counted, never failures, never the headline's cause.
#![allow(missing_docs)]

use ragdiag_contract::{DiagnoseSummary, GateOn, Interval, Mode, Provenance};
use ragdiag_core::{Document, Judgment, Location, Query, Timestamp, TraceHit, TraceRecord};
use ragdiag_diagnose::{
    build_summary, diagnose, diagnose_trace, trace_inputs, Brief, BriefContext, Briefs, Config,
    Corpus, QueryInput, RetrievedItem, SummaryInput,
};

/// 95% Wilson bounds, computed here from the formula: z = 1.959964.
fn wilson(successes: f64, n: f64) -> (f64, f64) {
    let z: f64 = 1.959_963_984_540_054;
    let p = successes / n;
    let z2 = z * z;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = z / (1.0 + z2 / n) * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

fn close(iv: &Interval, mean: f64, (lo, hi): (f64, f64), n: usize) {
    let (m, l, u) = (iv.mean.unwrap(), iv.ci_lower.unwrap(), iv.ci_upper.unwrap());
    assert!(
        (m - mean).abs() < 1e-9 && (l - lo).abs() < 1e-6 && (u - hi).abs() < 1e-6 && iv.n == n,
        "{iv:?}, want {mean} ({lo}–{hi}, n = {n})"
    );
}

fn doc(id: &str, text: &str, deleted: bool) -> Document {
    Document {
        id: id.into(),
        text: text.into(),
        updated_at: Timestamp::parse("2026-03-01"),
        deleted,
        origin: Location::new("c.jsonl", 1),
        ..Document::default()
    }
}

fn corpus() -> Vec<Document> {
    vec![
        doc(
            "refunds",
            "Annual plans can be refunded within 30 days.",
            false,
        ),
        doc("api", "The API returns JSON with its own limits.", false),
        doc("payroll", "Payroll runs twice a month.", false),
    ]
}

fn item(id: &str, docs: &[Document]) -> RetrievedItem {
    let d = docs.iter().find(|d| d.id == id).unwrap();
    RetrievedItem {
        doc: id.into(),
        span: Some((0, d.text.chars().count())),
        ..RetrievedItem::default()
    }
}

fn labelled(id: &str, tag: &str) -> Query {
    Query {
        id: id.into(),
        text: "refund on an annual plan?".into(),
        relevant: vec![Judgment {
            doc: "refunds".into(),
            grade: 1,
        }],
        reference_answers: vec!["within 30 days".into()],
        tags: vec![tag.into()],
        ..Query::default()
    }
}

fn unanswerable(id: &str) -> Query {
    Query {
        id: id.into(),
        text: "do you sell hardware?".into(),
        answerable: false,
        ..Query::default()
    }
}

/// The sweep's target and the review thresholds of every summary here.
const THRESHOLDS: ragdiag_diagnose::ThresholdOptions = ragdiag_diagnose::ThresholdOptions {
    target: ragdiag_contract::ThresholdTarget::Accuracy(0.95),
    current: None,
    answer_f1: 0.8,
    ground_token_share: 0.6,
};

fn input<'a>(
    mode: Mode,
    docs: &'a [Document],
    audit: &'a ragdiag_fresh::Audit,
    queries: &'a [Query],
    briefs: &'a Briefs,
    items: &'a [Vec<RetrievedItem>],
) -> SummaryInput<'a> {
    SummaryInput {
        mode,
        name: None,
        context_k: 1,
        pool_k: 10,
        seed: 42,
        gates: &[],
        gate_on: GateOn::Point,
        docs,
        audit,
        briefs,
        ranked: ragdiag_diagnose::Ranked::of(queries, items),
        figures: ragdiag_diagnose::Figures::Tally(queries),
        warnings: Vec::new(),
        provenance: Provenance::default(),
        thresholds: THRESHOLDS,
        price: None,
    }
}

/// What the summary reads of `diagnoses` (with their records in `trace`), with the thresholds
/// of [`input`].
fn briefs(
    docs: &[Document],
    audit: &ragdiag_fresh::Audit,
    queries: &[Query],
    diagnoses: &ragdiag_diagnose::Diagnoses,
    trace: Option<&[TraceRecord]>,
) -> Briefs {
    Brief::all(
        &diagnoses.diagnoses,
        queries,
        trace,
        &BriefContext::new(docs, audit, &THRESHOLDS),
    )
}

fn audit(docs: &[Document]) -> ragdiag_fresh::Audit {
    ragdiag_fresh::audit(
        docs,
        &ragdiag_fresh::Config::new(Timestamp::parse("2026-10-01").unwrap()),
    )
}

/// The summary of `trace` over `queries` on [`corpus`] (trace mode, a window of 1, the score
/// floor at `current`), with every queued question of the review queue.
fn trace_summary(
    queries: &[Query],
    trace: &[TraceRecord],
    current: Option<f64>,
) -> (DiagnoseSummary, Vec<ragdiag_contract::ReviewItem>) {
    let docs = corpus();
    let audit = audit(&docs);
    let corpus = Corpus::new(&docs, &audit);
    let cfg = Config {
        mode: ragdiag_diagnose::Mode::Trace,
        context_k: 1,
        ..Config::default()
    };
    let diagnoses = diagnose_trace(&corpus, queries, trace, &cfg).unwrap();
    let mut warnings = ragdiag_core::Diagnostics::default();
    let items: Vec<Vec<RetrievedItem>> = trace_inputs(&corpus, queries, trace, &mut warnings)
        .into_iter()
        .map(|i| i.retrieved)
        .collect();
    let briefs = briefs(&docs, &audit, queries, &diagnoses, Some(trace));
    let mut si = input(Mode::Trace, &docs, &audit, queries, &briefs, &items);
    si.thresholds.current = current;
    let e = build_summary(si).unwrap();
    let rows = &e.review_rows;
    let rows = (0..rows.len()).map(|j| rows.item(&briefs, j)).collect();
    (e.summary, rows)
}

/// Replay: 7 `missed` questions whose gold is never retrieved, 1 `solo` question with its gold
/// at rank 1, and 3 unanswerable questions (no answers in a replay).
fn replay_summary() -> DiagnoseSummary {
    let docs = corpus();
    let audit = audit(&docs);
    let mut queries: Vec<Query> = (0..7)
        .map(|i| labelled(&format!("m{i}"), "missed"))
        .collect();
    queries.push(labelled("s0", "solo"));
    queries.extend((0..3).map(|i| unanswerable(&format!("u{i}"))));
    let items: Vec<Vec<RetrievedItem>> = queries
        .iter()
        .map(|q| {
            if q.id == "s0" {
                vec![item("refunds", &docs), item("api", &docs)]
            } else {
                vec![item("api", &docs), item("payroll", &docs)]
            }
        })
        .collect();
    let inputs: Vec<QueryInput<'_>> = queries
        .iter()
        .zip(&items)
        .map(|(q, it)| QueryInput::replay(q, it.clone()))
        .collect();
    let cfg = Config {
        context_k: 1,
        pool_k: 10,
        ..Config::default()
    };
    let corpus = Corpus::new(&docs, &audit);
    let diagnoses = diagnose(&corpus, &inputs, &cfg).unwrap();
    build_summary(input(
        Mode::Replay,
        &docs,
        &audit,
        &queries,
        &briefs(&docs, &audit, &queries, &diagnoses, None),
        &items,
    ))
    .unwrap()
    .summary
}

#[test]
fn tag_hit_rates_are_wilson_intervals_at_0_of_n_and_1_of_1() {
    let s = replay_summary();
    let missed = s.by_tag.iter().find(|t| t.tag == "missed").unwrap();
    // 0 of 7: 0.0% (95% CI 0.0–35.4%), not 0.0–0.0%.
    close(&missed.hit_rate, 0.0, (0.0, wilson(0.0, 7.0).1), 7);
    assert!((missed.hit_rate.ci_upper.unwrap() - 0.354_324).abs() < 1e-5);
    assert_eq!(missed.failures, 7);
    // 1 of 1: 100% (95% CI 20.7–100%), not 100–100%.
    let solo = s.by_tag.iter().find(|t| t.tag == "solo").unwrap();
    close(&solo.hit_rate, 1.0, (wilson(1.0, 1.0).0, 1.0), 1);
    assert!((solo.hit_rate.ci_lower.unwrap() - 0.206_549).abs() < 1e-5);
    assert_eq!(solo.failures, 0);
}

#[test]
fn hit_rates_class_and_flag_shares_are_wilson_intervals() {
    let s = replay_summary();
    // hit@1 and the recall curve: 1 of the 8 answerable scored questions.
    close(&s.metrics["hit@1"], 1.0 / 8.0, wilson(1.0, 8.0), 8);
    for p in &s.recall_curve {
        close(&p.rate, 1.0 / 8.0, wilson(1.0, 8.0), 8);
    }
    // Class shares are over the 8 assessed questions; unanswerable ones are not assessed.
    let miss = &s.classes["retrieval_miss"];
    assert_eq!(miss.count, 7);
    let (lo, hi) = wilson(7.0, 8.0);
    assert!((miss.share.unwrap() - 7.0 / 8.0).abs() < 1e-12);
    assert!(
        (miss.ci_lower.unwrap() - lo).abs() < 1e-6 && (miss.ci_upper.unwrap() - hi).abs() < 1e-6
    );
    let gap = &s.classes["corpus_gap"];
    assert_eq!(
        (gap.count, gap.share, gap.ci_lower),
        (0, Some(0.0), Some(0.0))
    );
    assert!((gap.ci_upper.unwrap() - wilson(0.0, 8.0).1).abs() < 1e-6);
    let un = &s.classes["unanswerable"];
    assert_eq!(
        (un.count, un.share, un.ci_lower, un.ci_upper),
        (3, None, None, None)
    );
    // Flags: a share of all 11 questions; the 3 unanswerable ones carry corpus_gap.
    let f = &s.flags["corpus_gap"];
    assert_eq!(f.count, 3);
    let (lo, hi) = wilson(3.0, 11.0);
    assert!((f.share.unwrap() - 3.0 / 11.0).abs() < 1e-12);
    assert!((f.ci_lower.unwrap() - lo).abs() < 1e-6 && (f.ci_upper.unwrap() - hi).abs() < 1e-6);
    assert_eq!(s.flags["ghost_citation"].count, 0);
    // Stale shares: nothing is stale, and still not 0–0.
    let top = &s.freshness.top_hit_stale_share;
    close(top, 0.0, (0.0, wilson(0.0, 11.0).1), 11);
    close(
        &s.freshness.stale_hit_rate.rate,
        0.0,
        (0.0, wilson(0.0, 11.0).1),
        11,
    );
}

#[test]
fn replay_unanswerable_questions_are_not_assessed_and_never_the_cause() {
    let s = replay_summary();
    assert_eq!(s.questions.total, 11);
    assert_eq!(s.questions.scored, 11);
    assert_eq!(s.questions.not_assessed, 3);
    assert_eq!(s.questions.retrieval_scored, 8);
    let text = s.headline.join("\n");
    assert!(
        text.contains(
            "7 of 8 assessed questions fail and 1 are ok. 3 unanswerable questions are not \
             assessed (a replay has no answers to judge). The largest cause of failure is \
             retrieval (no chunk with the evidence was retrieved): 7 questions, 88% of those \
             assessed (95% CI 53%–98%)."
        ),
        "{text}"
    );
    assert!(!text.contains("Then:"), "{text}");
    assert!(!text.contains("unanswerable questions:"), "{text}");
}

#[test]
fn only_unanswerable_questions_in_a_replay_fail_nothing() {
    let docs = corpus();
    let audit = audit(&docs);
    let queries = vec![unanswerable("u0")];
    let items = vec![vec![item("api", &docs)]];
    let inputs = vec![QueryInput::replay(&queries[0], items[0].clone())];
    let corpus = Corpus::new(&docs, &audit);
    let diagnoses = diagnose(&corpus, &inputs, &Config::default()).unwrap();
    let s = build_summary(input(
        Mode::Replay,
        &docs,
        &audit,
        &queries,
        &briefs(&docs, &audit, &queries, &diagnoses, None),
        &items,
    ))
    .unwrap()
    .summary;
    assert_eq!(s.questions.not_assessed, 1);
    assert_eq!(
        s.headline[1],
        "1 unanswerable question is not assessed (a replay has no answers to judge)."
    );
    // No assessed question: class shares have nothing to estimate.
    assert_eq!(s.classes["ok"].share, None);
    assert_eq!(s.metrics["hit@1"], Interval::empty());
}

/// Trace mode: one correct, grounded answer and one unanswerable question that abstains;
/// unanswerable questions with answers are assessed as before.
#[test]
fn trace_mode_answers_are_wilson_shares_and_unanswerables_are_assessed() {
    let queries = vec![labelled("q1", "solo"), unanswerable("u0")];
    let hit = |doc: &str, text: &str| TraceHit {
        doc: doc.into(),
        text: Some(text.into()),
        ..TraceHit::default()
    };
    let record = |qid: &str, hits: Vec<TraceHit>, answer: &str| TraceRecord {
        query_id: qid.into(),
        retrieved: hits,
        answer: Some(answer.into()),
        origin: Location::new("trace.jsonl", 1),
        ..TraceRecord::default()
    };
    let trace = vec![
        record(
            "q1",
            vec![hit(
                "refunds",
                "Annual plans can be refunded within 30 days.",
            )],
            "Annual plans can be refunded within 30 days.",
        ),
        record(
            "u0",
            vec![hit("api", "The API returns JSON with its own limits.")],
            "I don't know.",
        ),
    ];
    let s = trace_summary(&queries, &trace, None).0;
    assert_eq!(s.questions.not_assessed, 0);
    assert_eq!(s.classes["ok"].count, 2);
    let ok = &s.classes["ok"];
    assert_eq!((ok.share, ok.ci_upper), (Some(1.0), Some(1.0)));
    assert!((ok.ci_lower.unwrap() - wilson(2.0, 2.0).0).abs() < 1e-6);
    let g = s.generation.unwrap();
    assert_eq!(g.answers, 2);
    close(&g.correct, 1.0, (wilson(2.0, 2.0).0, 1.0), 2);
    // One answer did not abstain: 1 of 1 grounded, 20.7–100%.
    close(&g.grounded, 1.0, (wilson(1.0, 1.0).0, 1.0), 1);
    close(&g.abstained, 0.5, wilson(1.0, 2.0), 2);
    assert_eq!(s.headline[1], "All 2 scored questions are ok.");
}

/// Tokens per correct answer add the records' tokens in the trace's line order, whatever the
/// questions' order: a sum of floats depends on its order (here 1e16 − 1e16 + 1 = 1 in line
/// order, 0 in question order).
#[test]
fn tokens_are_added_in_line_order() {
    let queries = vec![
        labelled("q1", "a"),
        labelled("q2", "a"),
        labelled("q3", "a"),
    ];
    let record = |qid: &str, tokens: f64| TraceRecord {
        query_id: qid.into(),
        retrieved: vec![TraceHit {
            doc: "refunds".into(),
            text: Some("Annual plans can be refunded within 30 days.".into()),
            ..TraceHit::default()
        }],
        answer: Some("Annual plans can be refunded within 30 days.".into()),
        prompt_tokens: Some(tokens),
        origin: Location::new("trace.jsonl", 1),
        ..TraceRecord::default()
    };
    let trace = vec![record("q3", 1e16), record("q2", -1e16), record("q1", 1.0)];
    let s = trace_summary(&queries, &trace, None).0;
    assert_eq!(s.generation.unwrap().correct.mean, Some(1.0));
    let t = s.tokens.unwrap();
    assert_eq!(t.n, 3);
    assert_eq!(t.per_correct_answer, Some(1.0 / 3.0));
}

/// `summary.json` does not grow with the questions: with 130 questions missing the same page
/// and all near the score floor, the fix-first action and its page list the first
/// `LISTED_IDS` ids and count all 130, the review queue lists the first `REVIEW_LISTED` and
/// counts them all, and `review_rows` (for `review.csv`) holds every queued question.
#[test]
fn long_lists_are_capped_and_counted() {
    use ragdiag_contract::{FixKind, LISTED_IDS, REVIEW_LISTED};
    let queries: Vec<Query> = (0..130)
        .map(|i| labelled(&format!("q{i:03}"), "billing"))
        .collect();
    let trace: Vec<TraceRecord> = queries
        .iter()
        .enumerate()
        .map(|(i, q)| TraceRecord {
            query_id: q.id.clone(),
            retrieved: vec![TraceHit {
                doc: "api".into(),
                text: Some("The API returns JSON with its own limits.".into()),
                // The top scores span 0.5–0.6; all but two sit on the floor of 0.55.
                score: Some(match i {
                    0 => 0.5,
                    1 => 0.6,
                    _ => 0.55,
                }),
                ..TraceHit::default()
            }],
            answer: Some("Annual plans can be refunded within 30 days.".into()),
            origin: Location::new("trace.jsonl", i as u64 + 1),
            ..TraceRecord::default()
        })
        .collect();
    let (s, review_rows) = trace_summary(&queries, &trace, Some(0.55));
    let s = &s;
    let miss = s
        .fix_first
        .iter()
        .find(|a| a.kind == FixKind::SurfacePage)
        .unwrap_or_else(|| panic!("{:?}", s.fix_first));
    assert_eq!(miss.questions, 130);
    assert_eq!(miss.queries.len(), LISTED_IDS);
    assert_eq!(miss.queries[0], "q000");
    let page = &miss.pages[0];
    assert_eq!((page.page.as_str(), page.questions), ("refunds", 130));
    assert_eq!(page.queries, miss.queries);
    let review = s.review.as_ref().unwrap();
    assert_eq!(review.queued, 128, "{:?}", review.reasons);
    assert_eq!(review.items.len(), REVIEW_LISTED);
    assert_eq!(review_rows.len(), 128);
    assert_eq!(review_rows[..REVIEW_LISTED], review.items[..]);
}
