//! Pages retrieved by many questions: each question's diagnosis is the same whether the pages'
//! tokens are shared with the other questions of the run (one call) or made for it alone (one
//! call per question).
#![allow(missing_docs)]

use ragdiag_core::{
    Document, Evidence, Judgment, Location, Query, Timestamp, TraceHit, TraceRecord,
};
use ragdiag_diagnose::{diagnose_trace, Config, Corpus};

const PAGES: &[&str] = &[
    "Refunds overview. Annual plans can be refunded within 30 days of purchase. Monthly plans are not refunded.",
    "Pricing. The Growth plan costs $39 per month and includes 3 users. Scale costs $99 in Halifax.",
    "Support is open from 9:30 to 17:00 on weekdays. Tickets are answered within 2 days.",
    "Exports are CSV files. Invoices are numbered per year, starting on 2025-03-01.",
    "Annual plans can be refunded within 30 days of purchase! Refund requests go to billing.",
    "Payroll runs weekly. ΣΟΦΟΣ payroll is a separate product sold by Acme Ltd.",
];

const ANSWERS: &[&str] = &[
    "Annual plans can be refunded within 30 days.",
    "Growth costs $39 per month for 3 users.",
    "Growth costs $45 per month in Toronto.",
    "I don't know.",
    "Support answers tickets within 2 days, from 9:30.",
    "Invoices start on 2025-03-01 and exports are CSV files.",
];

fn docs() -> Vec<Document> {
    PAGES
        .iter()
        .enumerate()
        .map(|(i, t)| Document {
            id: format!("p{i}"),
            text: (*t).into(),
            updated_at: Timestamp::parse("2026-03-01"),
            origin: Location::new("c.jsonl", i as u64 + 1),
            ..Document::default()
        })
        .collect()
}

/// Question `n`: evidence by quote, by relevant page or by reference answer only; hits on
/// shared pages, as the page's text, a differently spaced and cased copy, or no text.
fn case(n: usize) -> (Query, TraceRecord) {
    let gold = n % PAGES.len();
    let (evidence, relevant) = match n % 3 {
        0 => (
            vec![Evidence::Quote {
                doc: format!("p{gold}"),
                quote: PAGES[gold].split(". ").nth(1).unwrap_or(PAGES[gold]).into(),
            }],
            Vec::new(),
        ),
        1 => (
            Vec::new(),
            vec![Judgment {
                doc: format!("p{gold}"),
                grade: 1,
            }],
        ),
        _ => (Vec::new(), Vec::new()),
    };
    let query = Query {
        id: format!("q{n}"),
        text: format!("question {n} about plans in Halifax?"),
        evidence,
        relevant,
        reference_answers: vec![["within 30 days", "$39", "2 days", "CSV"][n % 4].into()],
        origin: Location::new("q.jsonl", n as u64 + 1),
        ..Query::default()
    };
    let retrieved = (0..4)
        .map(|r| {
            let p = (n * 7 + r * 5) % PAGES.len();
            let text = match (n + r) % 5 {
                0 => None,
                1 => Some(PAGES[p].replace(". ", ".  ").to_uppercase()),
                _ => Some(PAGES[p].to_owned()),
            };
            TraceHit {
                doc: format!("p{p}"),
                text,
                ..TraceHit::default()
            }
        })
        .collect();
    let record = TraceRecord {
        query_id: query.id.clone(),
        retrieved,
        answer: Some(ANSWERS[n % ANSWERS.len()].into()),
        origin: Location::new("trace.jsonl", n as u64 + 1),
        ..TraceRecord::default()
    };
    (query, record)
}

#[test]
fn a_page_retrieved_by_many_questions_gives_each_the_verdicts_it_gets_alone() {
    let docs = docs();
    let audit = ragdiag_fresh::audit(
        &docs,
        &ragdiag_fresh::Config::new(Timestamp::parse("2026-10-01").unwrap()),
    );
    let corpus = Corpus::new(&docs, &audit);
    let cfg = Config {
        context_k: 3,
        ..Config::default()
    };
    let (queries, trace): (Vec<Query>, Vec<TraceRecord>) = (0..60).map(case).unzip();
    let together = diagnose_trace(&corpus, &queries, &trace, &cfg).unwrap();
    assert_eq!(together.diagnoses.len(), 60);
    let mut answered = 0;
    for (i, d) in together.diagnoses.iter().enumerate() {
        let alone = diagnose_trace(&corpus, &queries[i..=i], &trace[i..=i], &cfg).unwrap();
        assert_eq!(&alone.diagnoses[0], d, "question {i}");
        answered += usize::from(d.answer.as_ref().is_some_and(|a| a.correct.is_some()));
    }
    // The run exercised the answer checks, with both verdicts and unsupported claims.
    assert!(answered > 30, "{answered}");
    let g: Vec<_> = together
        .diagnoses
        .iter()
        .filter_map(|d| d.answer.as_ref())
        .collect();
    assert!(g.iter().any(|a| a.grounding.grounded) && g.iter().any(|a| !a.grounding.grounded));
    assert!(g.iter().any(|a| !a.grounding.unsupported_claims.is_empty()));
    assert!(
        g.iter().any(|a| a.correct == Some(true)) && g.iter().any(|a| a.correct == Some(false))
    );
}

#[test]
fn taking_the_texts_out_of_the_trace_changes_no_result() {
    let docs = docs();
    let audit = ragdiag_fresh::audit(
        &docs,
        &ragdiag_fresh::Config::new(Timestamp::parse("2026-10-01").unwrap()),
    );
    let corpus = Corpus::new(&docs, &audit);
    let cfg = Config::default();
    let (mut queries, mut trace): (Vec<Query>, Vec<TraceRecord>) = (0..20).map(case).unzip();
    // A line for an unknown question, a second line for q3, and q5 without a line.
    let mut stray = case(3).1;
    stray.query_id = "nobody".into();
    trace.push(stray);
    trace.push(case(4).1);
    trace.last_mut().unwrap().query_id = "q3".into();
    trace.retain(|r| r.query_id != "q5");
    queries.push(case(40).0);
    let (kept, shown) =
        ragdiag_diagnose::diagnose_trace_shown(&corpus, &queries, &trace, &cfg).unwrap();
    let mut taken = trace.clone();
    let (d, s) =
        ragdiag_diagnose::diagnose_trace_taking(&corpus, &queries, &mut taken, &cfg).unwrap();
    assert_eq!(d, kept);
    assert_eq!(s.items, shown.items);
    assert_eq!(s.answers, shown.answers);
    assert!(s.items.iter().flatten().any(|i| i.text.is_some()));
    // The records lost their hits' texts and nothing else.
    assert!(taken
        .iter()
        .flat_map(|r| &r.retrieved)
        .all(|h| h.text.is_none()));
    for r in &mut trace {
        for h in &mut r.retrieved {
            h.text = None;
        }
    }
    assert_eq!(taken, trace);
}
