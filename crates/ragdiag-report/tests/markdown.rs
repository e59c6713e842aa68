//! Tests of `render_markdown_json`: a snapshot of the sample report, escaping, empty input.
#![allow(missing_docs)]

mod common;

use common::{sample_questions, sample_summary};
use ragdiag_report::{render_markdown_json, QuestionView};
use serde_json::json;

#[test]
fn sample_report() {
    insta::assert_snapshot!(render_markdown_json(&sample_summary(), &sample_questions()));
}

#[test]
fn empty_summary() {
    assert_eq!(
        render_markdown_json(&json!({}), &[]),
        "# ragdiag diagnosis\n"
    );
    assert_eq!(
        render_markdown_json(&json!(null), &[QuestionView::default()])
            .lines()
            .next(),
        Some("# ragdiag diagnosis")
    );
}

#[test]
fn table_cells_and_html_are_escaped() {
    let summary = json!({
        "headline": ["<script>x</script> | *bold*"],
        "by_tag": [{"tag": "a|b\nc", "n": 1}],
    });
    let q = QuestionView {
        id: "q|1`".into(),
        class: "ranking_miss".into(),
        reason: "<b>".into(),
        ..QuestionView::default()
    };
    let md = render_markdown_json(&summary, &[q]);
    assert!(md.contains("- &lt;script&gt;x&lt;/script&gt; \\| \\*bold\\*"));
    assert!(md.contains("| a\\|b c | 1 |"));
    assert!(md.contains("- `` q\\|1` `` **Ranking miss**: &lt;b&gt;"));
    assert!(!md.contains("<script") && !md.contains("<b>"));
}

/// Through the summary builder: a tag with 0 of 7 hits and one with 1 of 1 show Wilson bounds
/// (not 0.0–0.0% and 100–100%), and unanswerable questions of a replay are counted, not failed.
#[test]
fn builder_intervals_and_not_assessed_questions_reach_the_report() {
    use ragdiag_contract::{GateOn, Mode, Provenance};
    use ragdiag_core::{Document, Judgment, Location, Query, Timestamp};
    use ragdiag_diagnose::{build_summary, diagnose, Config, Corpus, RetrievedItem, SummaryInput};

    let doc = |id: &str, text: &str| Document {
        id: id.into(),
        text: text.into(),
        updated_at: Timestamp::parse("2026-03-01"),
        origin: Location::new("c.jsonl", 1),
        ..Document::default()
    };
    let docs = vec![
        doc("refunds", "Annual plans can be refunded within 30 days."),
        doc("api", "The API returns JSON with its own limits."),
    ];
    let audit = ragdiag_fresh::audit(
        &docs,
        &ragdiag_fresh::Config::new(Timestamp::parse("2026-10-01").unwrap()),
    );
    let labelled = |id: &str, tag: &str| Query {
        id: id.into(),
        text: "refund on an annual plan?".into(),
        relevant: vec![Judgment {
            doc: "refunds".into(),
            grade: 1,
        }],
        tags: vec![tag.into()],
        ..Query::default()
    };
    let mut queries: Vec<Query> = (0..7)
        .map(|i| labelled(&format!("m{i}"), "missed"))
        .collect();
    queries.push(labelled("s0", "solo"));
    queries.push(Query {
        id: "u0".into(),
        text: "do you sell hardware?".into(),
        answerable: false,
        ..Query::default()
    });
    let whole = |id: &str| {
        let d = docs.iter().find(|d| d.id == id).unwrap();
        RetrievedItem {
            doc: id.into(),
            span: Some((0, d.text.chars().count())),
            ..RetrievedItem::default()
        }
    };
    let items: Vec<Vec<RetrievedItem>> = queries
        .iter()
        .map(|q| vec![whole(if q.id == "s0" { "refunds" } else { "api" })])
        .collect();
    let inputs: Vec<_> = queries
        .iter()
        .zip(&items)
        .map(|(q, it)| ragdiag_diagnose::QueryInput::replay(q, it.clone()))
        .collect();
    let corpus = Corpus::new(&docs, &audit);
    let cfg = Config {
        context_k: 1,
        ..Config::default()
    };
    let diagnoses = diagnose(&corpus, &inputs, &cfg).unwrap();
    let thresholds = ragdiag_diagnose::ThresholdOptions {
        target: ragdiag_contract::ThresholdTarget::Accuracy(0.95),
        current: None,
        answer_f1: 0.8,
        ground_token_share: 0.6,
    };
    let summary = build_summary(SummaryInput {
        mode: Mode::Replay,
        name: None,
        context_k: 1,
        pool_k: 100,
        seed: 42,
        gates: &[],
        gate_on: GateOn::Point,
        docs: &docs,
        audit: &audit,
        briefs: &ragdiag_diagnose::Brief::all(
            &diagnoses.diagnoses,
            &queries,
            None,
            &ragdiag_diagnose::BriefContext::new(&docs, &audit, &thresholds),
        ),
        ranked: ragdiag_diagnose::Ranked::of(&queries, &items),
        figures: ragdiag_diagnose::Figures::Tally(&queries),
        warnings: Vec::new(),
        provenance: Provenance::default(),
        thresholds,
        price: None,
    })
    .unwrap()
    .summary;
    let md = ragdiag_report::render_markdown(
        &ragdiag_report::summary_tree(&summary),
        &ragdiag_report::Drill::default(),
    );
    assert!(md.contains("| missed | 7 | 0.0% | 0.0–35.4% | 7 |"), "{md}");
    assert!(
        md.contains("| solo | 1 | 100.0% | 20.7–100.0% | 0 |"),
        "{md}"
    );
    assert!(
        md.contains("**Questions:** 9 total, 9 scored (1 unanswerable without an answer to judge: not assessed), 0 without labels."),
        "{md}"
    );
    assert!(md.contains("| Unanswerable | 1 | — | — |"), "{md}");
    assert!(
        md.contains(
            "7 of 8 assessed questions fail and 1 are ok. 1 unanswerable question is not assessed"
        ),
        "{md}"
    );
    let html = ragdiag_report::render_html(
        &ragdiag_report::summary_tree(&summary),
        &ragdiag_report::Drill::default(),
    );
    assert!(html.contains("35.4%"), "the HTML shows the same bounds");
}
