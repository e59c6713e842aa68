//! `Diagnosis::holds_evidence`: the engine's own verdict on every retrieved item agrees with
//! the class it assigned (live documents only, every evidence rule).
#![allow(missing_docs)]

use ragdiag_core::{Document, Evidence, Judgment, Location, Query, Timestamp};
use ragdiag_diagnose::{
    diagnose, diagnose_trace, Class, Config, Corpus, Diagnosis, EvidenceRule, Flag, Mode,
    QueryInput, RetrievedItem, Rule,
};
use ragdiag_load::{load_corpus, load_queries, load_trace, LoadOptions};
use std::path::PathBuf;

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

fn corpus_with(refunds: Document) -> Vec<Document> {
    vec![
        doc(
            "api",
            "The API returns JSON. Each key has its own limits and scopes.",
        ),
        doc(
            "payroll",
            "Payroll runs twice a month for salaried staff in both countries.",
        ),
        refunds,
    ]
}

fn refunds() -> Document {
    doc(
        "refunds",
        &format!("Refunds overview. {QUOTE} Monthly plans are not refunded."),
    )
}

fn query(evidence: bool, relevant: bool) -> Query {
    Query {
        id: "q1".into(),
        text: "can i get my money back on an annual plan?".into(),
        relevant: if relevant {
            vec![Judgment {
                doc: "refunds".into(),
                grade: 2,
            }]
        } else {
            Vec::new()
        },
        evidence: if evidence {
            vec![Evidence::Quote {
                doc: "refunds".into(),
                quote: QUOTE.into(),
            }]
        } else {
            Vec::new()
        },
        reference_answers: vec!["within 30 days".into()],
        ..Query::default()
    }
}

fn whole(d: &Document) -> RetrievedItem {
    RetrievedItem {
        doc: d.id.as_str().into(),
        span: Some((0, d.text.chars().count())),
        ..RetrievedItem::default()
    }
}

/// The chunk of `d` that is exactly the quote.
fn quote_chunk(d: &Document) -> RetrievedItem {
    let m = ragdiag_core::find_quote(&d.text, QUOTE).unwrap();
    RetrievedItem {
        doc: d.id.as_str().into(),
        span: Some((m.start, m.end)),
        ..RetrievedItem::default()
    }
}

fn run(docs: &[Document], input: QueryInput<'_>, cfg: &Config<'_>) -> Diagnosis {
    let fresh = ragdiag_fresh::audit(
        docs,
        &ragdiag_fresh::Config::new(Timestamp::parse("2026-10-01").unwrap()),
    );
    let corpus = Corpus::new(docs, &fresh);
    let mut out = diagnose(&corpus, &[input], cfg).unwrap();
    out.diagnoses.remove(0)
}

/// The verdicts agree with the diagnosis' other fields: one per ranked item, the first `true`
/// is the best gold rank (within the pool), and the window's flags are the same verdicts.
fn assert_consistent(d: &Diagnosis, ranked: usize, pool_k: usize) {
    assert_eq!(d.holds_evidence.len(), ranked, "{}", d.query_id);
    let first = d.holds_evidence.iter().take(pool_k).position(|&h| h);
    assert_eq!(first.map(|i| i + 1), d.best_gold_rank, "{}", d.query_id);
    for w in &d.window {
        assert_eq!(
            w.holds_evidence,
            d.holds_evidence[w.rank - 1],
            "{} rank {}",
            d.query_id,
            w.rank
        );
    }
    if matches!(d.class, Class::CorpusGap | Class::RetrievalMiss) {
        assert!(
            !d.holds_evidence.iter().take(pool_k).any(|&h| h),
            "{}: {} but a pool item holds the evidence",
            d.query_id,
            d.class
        );
    }
}

#[test]
fn a_deleted_documents_chunk_covering_the_evidence_does_not_hold_it() {
    let q = query(true, true);
    // Live: the quote chunk holds the evidence.
    let docs = corpus_with(refunds());
    let ranked = vec![quote_chunk(&docs[2]), whole(&docs[0])];
    let d = run(&docs, QueryInput::replay(&q, ranked), &Config::default());
    assert_eq!((d.class, d.best_gold_rank), (Class::Ok, Some(1)));
    assert_eq!(d.holds_evidence, [true, false]);
    assert_consistent(&d, 2, 100);
    // Deleted: the very same chunk covers the quote, but no live document holds it.
    let mut gone = refunds();
    gone.deleted = true;
    let docs = corpus_with(gone);
    let ranked = vec![quote_chunk(&docs[2]), whole(&docs[0])];
    let d = run(&docs, QueryInput::replay(&q, ranked), &Config::default());
    assert_eq!((d.class, d.rule), (Class::CorpusGap, Rule::NoLiveEvidence));
    assert_eq!(d.gold.len(), 1);
    assert!(!d.gold[0].live);
    assert_eq!(d.holds_evidence, [false, false]);
    assert!(!d.window[0].holds_evidence);
    assert_consistent(&d, 2, 100);
}

#[test]
fn a_deleted_relevant_document_does_not_hold_the_evidence() {
    let q = query(false, true);
    let mut gone = refunds();
    gone.deleted = true;
    let docs = corpus_with(gone);
    let ranked = vec![whole(&docs[2]), whole(&docs[0])];
    let d = run(&docs, QueryInput::replay(&q, ranked), &Config::default());
    assert_eq!(d.evidence_rule, Some(EvidenceRule::RelevantDocument));
    assert_eq!(d.class, Class::CorpusGap);
    assert_eq!(d.holds_evidence, [false, false]);
    assert_consistent(&d, 2, 100);
}

#[test]
fn a_stale_but_live_gold_chunk_holds_the_evidence() {
    let q = query(true, true);
    let mut expired = refunds();
    expired.valid_until = Timestamp::parse("2026-06-01");
    let docs = corpus_with(expired);
    let ranked = vec![whole(&docs[0]), quote_chunk(&docs[2])];
    let d = run(&docs, QueryInput::replay(&q, ranked), &Config::default());
    assert_eq!((d.class, d.rule), (Class::StaleSource, Rule::StaleGold));
    assert_eq!(d.holds_evidence, [false, true]);
    assert_consistent(&d, 2, 100);
}

#[test]
fn label_noise_holds_the_evidence_and_a_deleted_copy_does_not() {
    let q = query(true, true);
    let mut docs = corpus_with(refunds());
    docs.push(doc("faq", &format!("FAQ. {QUOTE}")));
    let mut copy = doc("faq-old", &format!("Old FAQ. {QUOTE}"));
    copy.deleted = true;
    docs.push(copy);
    let ranked = vec![
        whole(&docs[0]),
        quote_chunk(&docs[4]),
        quote_chunk(&docs[3]),
    ];
    let d = run(&docs, QueryInput::replay(&q, ranked), &Config::default());
    assert!(d.flags.contains(&Flag::LabelNoise));
    assert_eq!(d.label_noise, ["faq"]);
    assert_eq!((d.class, d.best_gold_rank), (Class::Ok, Some(3)));
    assert_eq!(d.holds_evidence, [false, false, true]);
    assert_consistent(&d, 3, 100);
}

#[test]
fn answer_text_rule_verdicts() {
    let q = query(false, false);
    let docs = corpus_with(refunds());
    let ranked = vec![whole(&docs[0]), whole(&docs[2])];
    let d = run(&docs, QueryInput::replay(&q, ranked), &Config::default());
    assert_eq!(d.evidence_rule, Some(EvidenceRule::AnswerText));
    assert_eq!((d.class, d.best_gold_rank), (Class::Ok, Some(2)));
    assert_eq!(d.holds_evidence, [false, true]);
    assert_consistent(&d, 2, 100);
}

#[test]
fn rules_1_and_2_judge_nothing() {
    let docs = corpus_with(refunds());
    let ranked = vec![quote_chunk(&docs[2])];
    let unlabelled = Query {
        relevant: Vec::new(),
        evidence: Vec::new(),
        reference_answers: Vec::new(),
        ..query(false, false)
    };
    let d = run(
        &docs,
        QueryInput::replay(&unlabelled, ranked.clone()),
        &Config::default(),
    );
    assert_eq!(d.class, Class::NoLabel);
    assert_eq!(d.holds_evidence, [false]);
    let unanswerable = Query {
        answerable: false,
        ..unlabelled
    };
    let d = run(
        &docs,
        QueryInput::replay(&unanswerable, ranked),
        &Config::default(),
    );
    assert_eq!(d.class, Class::Unanswerable);
    assert_eq!(d.holds_evidence, [false]);
}

#[test]
fn items_past_the_pool_are_judged_but_do_not_count() {
    let q = query(true, true);
    let docs = corpus_with(refunds());
    let mut ranked: Vec<RetrievedItem> = (0..3).map(|i| whole(&docs[i % 2])).collect();
    ranked.push(quote_chunk(&docs[2]));
    let cfg = Config {
        pool_k: 3,
        ..Config::default()
    };
    let d = run(&docs, QueryInput::replay(&q, ranked), &cfg);
    assert_eq!(d.class, Class::RetrievalMiss);
    assert_eq!(d.holds_evidence, [false, false, false, true]);
    assert_consistent(&d, 4, 3);
}

/// On the demo data in trace mode, every question's verdicts agree with its diagnosis.
#[test]
fn demo_verdicts_agree_with_the_classes() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let opts = LoadOptions::default();
    let docs = load_corpus(&root.join("corpora/tallyfox"), &opts)
        .unwrap()
        .items;
    let queries = load_queries(&root.join("queries/tallyfox.jsonl"), &opts)
        .unwrap()
        .items;
    let trace = load_trace(&root.join("queries/tallyfox.trace.jsonl"), &opts)
        .unwrap()
        .items;
    let fresh = ragdiag_fresh::audit(
        &docs,
        &ragdiag_fresh::Config::new(Timestamp::parse("2026-10-01").unwrap()),
    );
    let corpus = Corpus::new(&docs, &fresh);
    let cfg = Config {
        mode: Mode::Trace,
        ..Config::default()
    };
    let out = diagnose_trace(&corpus, &queries, &trace, &cfg).unwrap();
    let mut judged = 0;
    for d in &out.diagnoses {
        let ranked = trace
            .iter()
            .find(|t| t.query_id == d.query_id)
            .map_or(0, |t| t.retrieved.len());
        assert_consistent(d, ranked, usize::MAX);
        judged += d.holds_evidence.iter().filter(|&&h| h).count();
    }
    assert!(judged > 0);
}
