//! One test per rule detail and flag, on hand-made corpora.
#![allow(missing_docs)]

use ragdiag_core::{
    Document, Evidence, Judgment, Location, Query, Timestamp, TraceHit, TraceRecord,
};
use ragdiag_diagnose::{
    diagnose, diagnose_trace, Class, Config, Corpus, Diagnosis, EvidenceRule, Flag, Mode,
    QueryInput, RetrievedItem, RetrieverRanks, Rule,
};
use ragdiag_embed::HashEmbedder;

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

fn fillers() -> Vec<Document> {
    vec![
        doc(
            "api",
            "The API returns JSON. Each key has its own limits and scopes.",
        ),
        doc(
            "payroll",
            "Payroll runs twice a month for salaried staff in both countries.",
        ),
        doc(
            "mobile",
            "The mobile app works offline and syncs receipts when back online.",
        ),
    ]
}

fn refunds_text() -> String {
    format!("Refunds overview. {QUOTE} Monthly plans are not refunded.")
}

fn query(evidence: bool) -> Query {
    Query {
        id: "q1".into(),
        text: "can i get my money back on an annual plan?".into(),
        relevant: vec![Judgment {
            doc: "refunds".into(),
            grade: 2,
        }],
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

fn quote_chunk(docs: &[Document], id: &str) -> RetrievedItem {
    let d = docs.iter().find(|d| d.id == id).unwrap();
    let m = ragdiag_core::find_quote(&d.text, QUOTE).unwrap();
    RetrievedItem {
        doc: id.into(),
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

fn replay() -> Config<'static> {
    Config::default()
}

#[test]
fn replay_ok_ignores_answers_and_names_the_rule() {
    let mut docs = fillers();
    docs.push(doc("refunds", &refunds_text()));
    let q = query(true);
    let ranked = vec![whole(&docs[0]), quote_chunk(&docs, "refunds")];
    let mut input = QueryInput::replay(&q, ranked);
    input.answer = Some("no idea".into());
    let d = run(&docs, input, &replay());
    assert_eq!((d.class, d.rule), (Class::Ok, Rule::EvidenceInWindow));
    assert_eq!(d.evidence_rule, Some(EvidenceRule::SpanCover));
    assert_eq!(d.best_gold_rank, Some(2));
    assert!(d.answer.is_none());
    assert_eq!(
        d.reason,
        "the gold chunk of `refunds` ranked 2, inside the context window of 5; generation is not \
         assessed in replay"
    );
    assert!(d.window[1].holds_evidence && !d.window[0].holds_evidence);
}

#[test]
fn replay_pool_is_the_top_pool_k() {
    let mut docs = fillers();
    docs.push(doc("refunds", &refunds_text()));
    let q = query(true);
    let mut ranked: Vec<RetrievedItem> = (0..7).map(|i| whole(&docs[i % 3])).collect();
    ranked.push(quote_chunk(&docs, "refunds"));
    let cfg = Config {
        pool_k: 8,
        ..Config::default()
    };
    let d = run(&docs, QueryInput::replay(&q, ranked.clone()), &cfg);
    assert_eq!((d.class, d.best_gold_rank), (Class::RankingMiss, Some(8)));
    let cfg = Config {
        pool_k: 7,
        ..Config::default()
    };
    let d = run(&docs, QueryInput::replay(&q, ranked), &cfg);
    assert_eq!(d.class, Class::RetrievalMiss);
    assert_eq!(d.pool_size, 7);
}

#[test]
fn cover_threshold_decides_whether_a_chunk_holds_the_evidence() {
    let mut docs = fillers();
    docs.push(doc("refunds", &refunds_text()));
    let q = query(true);
    let full = quote_chunk(&docs, "refunds");
    let (s, e) = full.span.unwrap();
    let len = e - s;
    let cut = |end: usize| RetrievedItem {
        doc: "refunds".into(),
        span: Some((s, end)),
        ..RetrievedItem::default()
    };
    // 90% of the span (rounded up) holds it; one code point fewer does not.
    let need = (len * 9).div_ceil(10);
    let d = run(
        &docs,
        QueryInput::replay(&q, vec![cut(s + need)]),
        &replay(),
    );
    assert_eq!(d.class, Class::Ok);
    let d = run(
        &docs,
        QueryInput::replay(&q, vec![cut(s + need - 1)]),
        &replay(),
    );
    assert_eq!(d.class, Class::RetrievalMiss);
}

#[test]
fn relevant_document_fallback_without_evidence() {
    let mut docs = fillers();
    docs.push(doc("refunds", &refunds_text()));
    let q = query(false);
    let ranked = vec![whole(&docs[0]), whole(&docs[3])];
    let d = run(&docs, QueryInput::replay(&q, ranked), &replay());
    assert_eq!(d.evidence_rule, Some(EvidenceRule::RelevantDocument));
    assert_eq!((d.class, d.best_gold_rank), (Class::Ok, Some(2)));
    docs[3].deleted = true;
    let ranked = vec![whole(&docs[0]), whole(&docs[3])];
    let d = run(&docs, QueryInput::replay(&q, ranked), &replay());
    assert_eq!(d.class, Class::CorpusGap);
    assert!(d.flags.contains(&Flag::CorpusGap));
    assert_eq!(
        d.reason,
        "no live document holds the evidence: `refunds` is deleted"
    );
}

#[test]
fn answer_text_rule_when_only_reference_answers_exist() {
    let mut docs = fillers();
    docs.push(doc("refunds", &refunds_text()));
    let q = Query {
        relevant: Vec::new(),
        ..query(false)
    };
    let ranked: Vec<RetrievedItem> = (0..5)
        .map(|i| whole(&docs[i % 3]))
        .chain([whole(&docs[3])])
        .collect();
    let d = run(&docs, QueryInput::replay(&q, ranked), &replay());
    assert_eq!(d.evidence_rule, Some(EvidenceRule::AnswerText));
    assert_eq!((d.class, d.best_gold_rank), (Class::RankingMiss, Some(6)));
}

#[test]
fn grade_zero_judgments_alone_are_not_labels() {
    let docs = fillers();
    let q = Query {
        id: "q".into(),
        relevant: vec![Judgment {
            doc: "api".into(),
            grade: 0,
        }],
        ..Query::default()
    };
    let d = run(
        &docs,
        QueryInput::replay(&q, vec![whole(&docs[0])]),
        &replay(),
    );
    assert_eq!((d.class, d.rule), (Class::NoLabel, Rule::NoLabel));
}

#[test]
fn unanswerable_in_replay_has_no_answer_to_assess() {
    let docs = fillers();
    let q = Query {
        id: "q".into(),
        answerable: false,
        ..Query::default()
    };
    let d = run(
        &docs,
        QueryInput::replay(&q, vec![whole(&docs[0])]),
        &replay(),
    );
    assert_eq!((d.class, d.rule), (Class::Unanswerable, Rule::Unanswerable));
    assert!(d.flags.contains(&Flag::CorpusGap));
}

#[test]
fn label_noise_counts_the_other_document_and_flags_it() {
    let mut docs = fillers();
    docs.push(doc("refunds", &refunds_text()));
    docs.push(doc("faq", &format!("Billing questions. {QUOTE}")));
    let q = query(true);
    let d = run(
        &docs,
        QueryInput::replay(&q, vec![quote_chunk(&docs, "faq")]),
        &replay(),
    );
    assert_eq!(d.class, Class::Ok);
    assert!(d.flags.contains(&Flag::LabelNoise));
    assert_eq!(d.label_noise, ["faq"]);
    // Switched off, the other page neither holds the evidence nor is noise.
    let cfg = Config {
        search_other_documents: false,
        ..Config::default()
    };
    let d = run(
        &docs,
        QueryInput::replay(&q, vec![quote_chunk(&docs, "faq")]),
        &cfg,
    );
    assert_eq!(d.class, Class::RetrievalMiss);
    assert!(!d.flags.contains(&Flag::LabelNoise));
}

#[test]
fn quote_found_only_after_normalising_is_flagged() {
    let mut docs = fillers();
    docs.push(doc(
        "refunds",
        "Refunds. Annual plans can be REFUNDED\n   within 30 days of purchase. More text.",
    ));
    let q = query(true);
    let d = run(
        &docs,
        QueryInput::replay(&q, vec![whole(&docs[3])]),
        &replay(),
    );
    assert_eq!(d.class, Class::Ok);
    assert!(d.flags.contains(&Flag::NormalisedQuoteMatch));
    assert!(d.gold[0].normalised);
}

#[test]
fn lexical_and_semantic_only_flags() {
    let mut docs = fillers();
    docs.push(doc("refunds", &refunds_text()));
    let q = query(true);
    let with = |r: RetrieverRanks| {
        let mut c = quote_chunk(&docs, "refunds");
        c.retrievers = Some(r);
        c
    };
    let lex = RetrieverRanks {
        lexical: Some(1),
        dense: None,
    };
    let dense = RetrieverRanks {
        lexical: None,
        dense: Some(3),
    };
    let both = RetrieverRanks {
        lexical: Some(2),
        dense: Some(1),
    };
    let d = run(&docs, QueryInput::replay(&q, vec![with(lex)]), &replay());
    assert!(d.flags.contains(&Flag::LexicalOnly) && !d.flags.contains(&Flag::SemanticOnly));
    let d = run(&docs, QueryInput::replay(&q, vec![with(dense)]), &replay());
    assert!(d.flags.contains(&Flag::SemanticOnly) && !d.flags.contains(&Flag::LexicalOnly));
    let d = run(&docs, QueryInput::replay(&q, vec![with(both)]), &replay());
    assert!(!d.flags.contains(&Flag::SemanticOnly) && !d.flags.contains(&Flag::LexicalOnly));
    // Two holding chunks, one found by each retriever: neither flag.
    let d = run(
        &docs,
        QueryInput::replay(&q, vec![with(lex), with(dense)]),
        &replay(),
    );
    assert!(!d.flags.contains(&Flag::SemanticOnly) && !d.flags.contains(&Flag::LexicalOnly));
}

#[test]
fn near_identical_chunks_crowding_the_window() {
    let mut docs = fillers();
    docs.push(doc("refunds", &refunds_text()));
    let q = query(true);
    let api = whole(&docs[0]);
    let ranked = vec![
        api.clone(),
        api.clone(),
        api.clone(),
        quote_chunk(&docs, "refunds"),
        whole(&docs[1]),
    ];
    let d = run(&docs, QueryInput::replay(&q, ranked), &replay());
    assert!(d.flags.contains(&Flag::NearDuplicateCrowding));
    let ranked = vec![
        api.clone(),
        api,
        whole(&docs[2]),
        quote_chunk(&docs, "refunds"),
        whole(&docs[1]),
    ];
    let d = run(&docs, QueryInput::replay(&q, ranked), &replay());
    assert!(!d.flags.contains(&Flag::NearDuplicateCrowding));
}

#[test]
fn conflict_pairs_in_the_window_are_conflicting_versions() {
    let mut docs = fillers();
    docs.push(doc("refunds", &refunds_text()));
    docs.push(doc(
        "faq",
        "Billing questions. Annual plans can be refunded within 14 days of purchase.",
    ));
    let q = query(true);
    let ranked = vec![whole(&docs[4]), quote_chunk(&docs, "refunds")];
    let d = run(&docs, QueryInput::replay(&q, ranked), &replay());
    assert_eq!(d.class, Class::Ok);
    assert!(d.flags.contains(&Flag::ConflictingVersions));
    assert!(!d.flags.contains(&Flag::StaleInContext));
}

#[test]
fn stale_version_below_the_gold_is_only_a_flag() {
    let mut docs = fillers();
    let mut current = doc("refunds", &refunds_text());
    current.supersedes = Some("refunds-2024".into());
    docs.push(current);
    let mut old = doc(
        "refunds-2024",
        "Our 2024 policy: annual plans can be refunded within 45 days of purchase.",
    );
    old.updated_at = Timestamp::parse("2024-01-01");
    docs.push(old);
    let q = query(true);
    let ranked = vec![quote_chunk(&docs, "refunds"), whole(&docs[4])];
    let d = run(&docs, QueryInput::replay(&q, ranked), &replay());
    assert_eq!(d.class, Class::Ok);
    assert!(d.flags.contains(&Flag::StaleInContext));
    assert!(d.flags.contains(&Flag::ConflictingVersions));
    assert_eq!(d.stale_in_window[0].rank, 2);
    assert!(d.stale_in_window[0].version_of_gold);
    let ranked = vec![whole(&docs[4]), quote_chunk(&docs, "refunds")];
    let d = run(&docs, QueryInput::replay(&q, ranked), &replay());
    assert_eq!(
        (d.class, d.rule),
        (Class::StaleSource, Rule::StaleVersionInWindow)
    );
    assert_eq!(
        d.reason,
        "`refunds-2024` (superseded by `refunds`) ranked 1, above the best gold chunk at rank 2"
    );
}

fn trace_record(
    hits: Vec<TraceHit>,
    candidates: Option<Vec<TraceHit>>,
    answer: &str,
) -> TraceRecord {
    TraceRecord {
        query_id: "q1".into(),
        retrieved: hits,
        candidates,
        answer: Some(answer.into()),
        origin: Location::new("trace.jsonl", 3),
        ..TraceRecord::default()
    }
}

fn th(doc: &str, text: &str) -> TraceHit {
    TraceHit {
        doc: doc.into(),
        text: Some(text.into()),
        ..TraceHit::default()
    }
}

fn run_trace(
    docs: &[Document],
    q: &Query,
    records: &[TraceRecord],
    cfg: &Config<'_>,
) -> ragdiag_diagnose::Diagnoses {
    let fresh = ragdiag_fresh::audit(
        docs,
        &ragdiag_fresh::Config::new(Timestamp::parse("2026-10-01").unwrap()),
    );
    let corpus = Corpus::new(docs, &fresh);
    diagnose_trace(&corpus, std::slice::from_ref(q), records, cfg).unwrap()
}

#[test]
fn trace_answers_are_assessed() {
    let mut docs = fillers();
    docs.push(doc("refunds", &refunds_text()));
    let q = query(true);
    let hits = vec![th("api", "The API returns JSON."), th("refunds", QUOTE)];
    let cfg = Config::default();
    let out = run_trace(
        &docs,
        &q,
        &[trace_record(
            hits.clone(),
            None,
            "Annual plans can be refunded within 30 days.",
        )],
        &cfg,
    );
    let d = &out.diagnoses[0];
    assert_eq!((d.class, d.rule), (Class::Ok, Rule::CorrectAndGrounded));
    let a = d.answer.as_ref().unwrap();
    assert!(a.correctness.contains && a.grounded() && !a.abstained);
    let out = run_trace(
        &docs,
        &q,
        &[trace_record(hits.clone(), None, "Within 14 days.")],
        &cfg,
    );
    let d = &out.diagnoses[0];
    assert_eq!(
        (d.class, d.rule),
        (Class::GenerationFailure, Rule::BadAnswer)
    );
    let out = run_trace(
        &docs,
        &q,
        &[trace_record(hits, None, "I don't know.")],
        &cfg,
    );
    let d = &out.diagnoses[0];
    assert_eq!(d.class, Class::GenerationFailure);
    assert!(
        d.reason
            .ends_with("but the answer abstains (\"i dont know\")"),
        "{}",
        d.reason
    );
}

#[test]
fn inflected_and_renumbered_answers_are_correct() {
    let mut docs = fillers();
    docs.push(doc(
        "pests",
        "Garden pests. Giant African land snails eat most garden plants. Worms are harmless. \
         A colony holds 1,000 snails.",
    ));
    let cases = [
        ("Giant African land snails", "Giant African land snail"),
        ("Worm", "Worms."),
        ("1000 snails", "1,000.0 snails"),
    ];
    for (accepted, answer) in cases {
        let q = Query {
            id: "q1".into(),
            text: "which pest eats garden plants?".into(),
            relevant: vec![Judgment {
                doc: "pests".into(),
                grade: 2,
            }],
            reference_answers: vec![accepted.into()],
            ..Query::default()
        };
        let hits = vec![th("pests", &docs[3].text)];
        let out = run_trace(
            &docs,
            &q,
            &[trace_record(hits, None, answer)],
            &Config::default(),
        );
        let d = &out.diagnoses[0];
        assert_eq!(
            (d.class, d.rule),
            (Class::Ok, Rule::CorrectAndGrounded),
            "{answer}: {}",
            d.reason
        );
    }
}

#[test]
fn a_correct_answer_with_an_invented_amount_is_not_grounded() {
    let mut docs = fillers();
    docs.push(doc("refunds", &refunds_text()));
    let q = query(true);
    let hits = vec![th("refunds", QUOTE), th("api", "The API returns JSON.")];
    let answer = "Annual plans can be refunded within 30 days of purchase, for a $40 fee.";
    let out = run_trace(
        &docs,
        &q,
        &[trace_record(hits, None, answer)],
        &Config::default(),
    );
    let d = &out.diagnoses[0];
    let a = d.answer.as_ref().unwrap();
    assert_eq!(a.correct, Some(true));
    assert!(a.grounding.sentences.iter().all(|s| s.supported), "{a:?}");
    assert_eq!(a.grounding.unsupported_claims, ["$40"]);
    assert_eq!(
        (d.class, d.rule),
        (Class::GenerationFailure, Rule::BadAnswer)
    );
    assert!(
        d.reason.ends_with(
            "but the answer is not grounded: it states \"$40\" found in no chunk of the \
             context window (nor in the question)"
        ),
        "{}",
        d.reason
    );
}

#[test]
fn an_answer_drawn_from_a_deleted_page_is_a_ghost_citation() {
    let mut docs = fillers();
    docs.push(doc("refunds", &refunds_text()));
    let mut old = doc("refunds-old", &refunds_text());
    old.deleted = true;
    docs.push(old);
    let q = query(true);
    let answer = "Annual plans can be refunded within 30 days.";
    let cfg = Config::default();
    // The deleted copy at rank 1 is what the answer draws on, whatever the class.
    let hits = vec![th("refunds-old", QUOTE), th("refunds", "Refunds overview.")];
    let out = run_trace(&docs, &q, &[trace_record(hits, None, answer)], &cfg);
    let d = &out.diagnoses[0];
    assert!(d.flags.contains(&Flag::GhostCitation), "{:?}", d.flags);
    // A page the corpus does not have is a ghost too.
    let hits = vec![th("refunds-cache", QUOTE), th("refunds", QUOTE)];
    let out = run_trace(&docs, &q, &[trace_record(hits, None, answer)], &cfg);
    let d = &out.diagnoses[0];
    assert_eq!(d.class, Class::Ok, "{}", d.reason);
    assert!(d.flags.contains(&Flag::GhostCitation), "{:?}", d.flags);
    // Drawn from the live page: no flag, even with the deleted copy in the window.
    let hits = vec![th("refunds", QUOTE), th("refunds-old", "Refunds overview.")];
    let out = run_trace(&docs, &q, &[trace_record(hits, None, answer)], &cfg);
    let d = &out.diagnoses[0];
    assert_eq!((d.class, d.rule), (Class::Ok, Rule::CorrectAndGrounded));
    assert!(!d.flags.contains(&Flag::GhostCitation));
    // An abstention draws on nothing.
    let hits = vec![th("refunds-old", QUOTE)];
    let out = run_trace(
        &docs,
        &q,
        &[trace_record(hits, None, "I don't know.")],
        &cfg,
    );
    assert!(!out.diagnoses[0].flags.contains(&Flag::GhostCitation));
}

#[test]
fn embedder_groundedness_is_wired_in() {
    let mut docs = fillers();
    docs.push(doc("refunds", &refunds_text()));
    let q = query(true);
    let hits = vec![th("refunds", QUOTE)];
    let answer =
        "Within 30 days. Annual subscriptions get refunded after purchase for thirty days.";
    let strict = Config {
        grounding: ragdiag_diagnose::GroundingConfig {
            token_share: 0.95,
            embedding_cosine: 0.3,
        },
        ..Config::default()
    };
    let out = run_trace(
        &docs,
        &q,
        &[trace_record(hits.clone(), None, answer)],
        &strict,
    );
    assert_eq!(out.diagnoses[0].class, Class::GenerationFailure);
    let e = HashEmbedder::new(256);
    let with = Config {
        embedder: Some(&e),
        ..strict
    };
    let out = run_trace(&docs, &q, &[trace_record(hits, None, answer)], &with);
    let d = &out.diagnoses[0];
    assert_eq!(d.class, Class::Ok, "{}", d.reason);
    assert!(d.answer.as_ref().unwrap().grounding.sentences[1]
        .best_cosine
        .is_some());
}

#[test]
fn candidates_extend_the_pool() {
    let mut docs = fillers();
    docs.push(doc("refunds", &refunds_text()));
    let q = query(true);
    let hits = vec![th("api", "The API returns JSON.")];
    let cands = vec![th("api", "The API returns JSON."), th("refunds", QUOTE)];
    let out = run_trace(
        &docs,
        &q,
        &[trace_record(
            hits.clone(),
            Some(cands),
            "Not sure, 14 days?",
        )],
        &Config::default(),
    );
    let d = &out.diagnoses[0];
    assert_eq!(
        (d.class, d.best_gold_rank, d.pool_size),
        (Class::RankingMiss, None, 2)
    );
    assert!(d.gold_in_pool);
    let out = run_trace(
        &docs,
        &q,
        &[trace_record(hits, None, "Not sure, 14 days?")],
        &Config::default(),
    );
    assert_eq!(out.diagnoses[0].class, Class::RetrievalMiss);
}

#[test]
fn a_hit_without_text_is_its_whole_document() {
    // Traces of document retrievers list ids only: such a hit holds the evidence of its
    // document, so a wrong answer over it is the generator's failure, not retrieval's.
    let mut docs = fillers();
    docs.push(doc("refunds", &refunds_text()));
    let q = query(true);
    let bare = |d: &str| TraceHit {
        doc: d.into(),
        score: Some(0.9),
        ..TraceHit::default()
    };
    let out = run_trace(
        &docs,
        &q,
        &[trace_record(
            vec![bare("api"), bare("refunds")],
            None,
            "Within 14 days.",
        )],
        &Config::default(),
    );
    let d = &out.diagnoses[0];
    assert_eq!(
        (d.class, d.best_gold_rank),
        (Class::GenerationFailure, Some(2)),
        "{}",
        d.reason
    );
    let w: Vec<String> = out
        .warnings
        .items()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(
        w.iter()
            .any(|m| m.contains("retrieved[1].text") && m.contains("whole document")),
        "{w:#?}"
    );
    let out = run_trace(
        &docs,
        &q,
        &[trace_record(
            vec![bare("refunds")],
            None,
            "Annual plans can be refunded within 30 days.",
        )],
        &Config::default(),
    );
    assert_eq!(
        out.diagnoses[0].class,
        Class::Ok,
        "{}",
        out.diagnoses[0].reason
    );
}

#[test]
fn trace_problems_are_warnings() {
    let mut docs = fillers();
    docs.push(doc("refunds", &refunds_text()));
    let q = query(true);
    let good = trace_record(
        vec![
            th("refunds", "this text is not in the page"),
            th("ghost", "boo"),
        ],
        None,
        "x",
    );
    let mut stray = good.clone();
    stray.query_id = "nobody".into();
    let out = run_trace(&docs, &q, &[good.clone(), good, stray], &Config::default());
    let w: Vec<String> = out
        .warnings
        .items()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(w.len(), 4, "{w:#?}");
    assert!(w
        .iter()
        .any(|m| m.contains("retrieved[0].text") && m.contains("not found")));
    assert!(w
        .iter()
        .any(|m| m.contains("retrieved[1].doc") && m.contains("ghost")));
    assert!(w.iter().any(|m| m.contains("second trace line")));
    assert!(w.iter().any(|m| m.contains("not a known question")));
    assert_eq!(out.diagnoses[0].class, Class::RetrievalMiss);
}

#[test]
fn summary_counts_every_class_and_flag() {
    let mut docs = fillers();
    docs.push(doc("refunds", &refunds_text()));
    let fresh = ragdiag_fresh::audit(
        &docs,
        &ragdiag_fresh::Config::new(Timestamp::parse("2026-10-01").unwrap()),
    );
    let corpus = Corpus::new(&docs, &fresh);
    let q = query(true);
    let nolabel = Query {
        id: "q2".into(),
        ..Query::default()
    };
    let inputs = vec![
        QueryInput::replay(&q, vec![quote_chunk(&docs, "refunds")]),
        QueryInput::replay(&q, vec![whole(&docs[0])]),
        QueryInput::replay(&nolabel, vec![]),
    ];
    let out = diagnose(&corpus, &inputs, &Config::default()).unwrap();
    let s = &out.summary;
    assert_eq!((s.questions, s.scored), (3, 2));
    assert_eq!(s.classes.len(), Class::ALL.len());
    assert_eq!(s.flags.len(), Flag::ALL.len());
    assert_eq!(s.count(Class::Ok), 1);
    assert_eq!(s.count(Class::RetrievalMiss), 1);
    let ok = s.classes.iter().find(|c| c.class == Class::Ok).unwrap();
    assert_eq!(ok.share_of_scored, Some(0.5));
    assert!((ok.share - 1.0 / 3.0).abs() < 1e-12);
    let json = serde_json::to_value(&out.diagnoses[0]).unwrap();
    assert_eq!(json["class"], "ok");
    assert_eq!(json["rule"]["number"], 10);
    assert_eq!(json["rule"]["name"], "evidence_in_window");
    assert_eq!(json["evidence_rule"], "span_cover");
}

#[test]
fn invalid_settings_are_errors() {
    let docs = fillers();
    let fresh = ragdiag_fresh::audit(
        &docs,
        &ragdiag_fresh::Config::new(Timestamp::parse("2026-10-01").unwrap()),
    );
    let corpus = Corpus::new(&docs, &fresh);
    for cfg in [
        Config {
            context_k: 0,
            ..Config::default()
        },
        Config {
            cover: 1.5,
            ..Config::default()
        },
        Config {
            mode: Mode::Trace,
            f1_threshold: f64::NAN,
            ..Config::default()
        },
    ] {
        let err = diagnose(&corpus, &[], &cfg).unwrap_err();
        assert!(err.to_string().starts_with("invalid diagnosis setting"));
    }
}
