//! Conflicts that are real: synthetic true conflicts (different wording around the same subject)
//! that must stay detected, and false cases of each category of issue 14 (clock-time fragments,
//! captions of different events, different years, weeks, dates and seasons, boilerplate, table
//! rows, code, a document stating both values) that must not; and updates of a changing figure.
#![allow(missing_docs)]

use ragdiag_core::{Document, Timestamp};
use ragdiag_fresh::{audit, Audit, Config};

fn doc(id: &str, text: &str) -> Document {
    Document {
        id: id.into(),
        text: text.into(),
        source: Some("kb".into()),
        ..Document::default()
    }
}

fn dated(id: &str, text: &str, date: &str) -> Document {
    Document {
        updated_at: Timestamp::parse(date),
        ..doc(id, text)
    }
}

fn run(docs: &[Document]) -> Audit {
    audit(docs, &Config::new(Timestamp::parse("2026-10-01").unwrap()))
}

fn pairs(a: &Audit) -> Vec<(String, String)> {
    a.conflicts
        .iter()
        .map(|c| (c.doc_a.clone(), c.doc_b.clone()))
        .collect()
}

/// Each case: two documents' texts; whether they must conflict.
const TRUE_CONFLICTS: &[(&str, &str)] = &[
    (
        "Refunds are accepted within 30 days.",
        "Refunds are accepted within 14 days of purchase.",
    ),
    (
        "The download link is emailed to you and expires after 7 days.",
        "The download link is emailed to you and expires after 72 hours.",
    ),
    (
        "Each API key can make 100 requests per minute.",
        "Each API key can make 120 requests per minute.",
    ),
    (
        "The Pro plan costs $29 per month for each user.",
        "The Pro plan costs $39 per month for each user.",
    ),
    (
        "Card payments carry a fee of 2.9% plus 30 cents per transaction.",
        "Card payments carry a fee of 3.4% plus 30 cents per transaction.",
    ),
    (
        "Attachments larger than 25 MB cannot be uploaded to an invoice.",
        "Attachments larger than 10 MB cannot be uploaded to an invoice.",
    ),
    (
        "In 2026 the nonprofit discount is 50% of the list price.",
        "In 2026 the nonprofit discount is 25% of the list price.",
    ),
    (
        "Support answers chat messages within 2 hours on working days.",
        "Support answers chat messages within 4 hours on working days, by email too.",
    ),
    (
        "Invoices are due 30 days after the issue date.",
        "Invoices are due 45 days after the issue date.",
    ),
    (
        "You can invite up to 5 teammates on the Starter plan.",
        "You can invite up to 3 teammates on the Starter plan.",
    ),
    (
        "Password reset links expire after 1 hour.",
        "Password reset links expire after 24 hours.",
    ),
    (
        "The free trial lasts 14 days and needs no card.",
        "Our free trial lasts 30 days and needs no card.",
    ),
    (
        "Payouts arrive in 2 business days.",
        "Payouts arrive within 3 business days.",
    ),
    (
        "Exports are kept for 7 days.",
        "Exports are kept for 10 days.",
    ),
];

#[test]
fn true_conflicts_reworded_stay_detected() {
    for (a, b) in TRUE_CONFLICTS {
        let r = run(&[doc("a", a), doc("b", b)]);
        assert_eq!(pairs(&r), [("a".into(), "b".into())], "{a} / {b}");
        assert!(r.updates.is_empty());
    }
}

/// Pairs of sentences that look alike and state different numbers, but are not conflicts.
const NOT_CONFLICTS: &[(&str, &str, &str)] = &[
    ("clock-time fragment", "Open to 8 p.m.", "Open to 7 p.m."),
    (
        "clock times are not quantities",
        "The library reading room is open on weekdays until 20:00 for members.",
        "The library reading room is open on weekdays until 18:30 for members.",
    ),
    (
        "short fragment",
        "and what was it in 2015?",
        "and what was it in 2017?",
    ),
    (
        "arithmetic fragment",
        "what is that divided by 1000?",
        "what is that divided by 100?",
    ),
    (
        "captions of different matches",
        "Brazil won 4-1 to advance to the quarterfinals of the tournament.",
        "England won 3-0 to advance to the quarterfinals of the tournament.",
    ),
    (
        "different plans",
        "Starter costs $19 per month and includes 1 user.",
        "Growth costs $39 per month and includes 3 users.",
    ),
    (
        "different years",
        "The full moon rises at 7 p.m. on January 6, 2023 and lasts 12 hours.",
        "The full moon rises at 7 p.m. on January 25, 2024 and lasts 14 hours.",
    ),
    (
        "different weeks",
        "In the week ending July 7, the average mortgage rate was 6.9% for a fixed loan.",
        "In the week ending December 8, the average mortgage rate was 7.1% for a fixed loan.",
    ),
    (
        "different seasons",
        "In summer the ferry runs 12 crossings a day between the islands.",
        "In winter the ferry runs 4 crossings a day between the islands.",
    ),
    (
        "different quarters",
        "Revenue grew by 12% in the first quarter across the company.",
        "Revenue grew by 9% in the third quarter across the company.",
    ),
    (
        "scoped vs unscoped",
        "In 2024 the storage limit was 5 GB for every workspace.",
        "The storage limit is 10 GB for every workspace.",
    ),
    (
        "table rows",
        "net cash provided by operating activities | $674.0 | $669.5",
        "net cash provided by operating activities | $7385 | $6823",
    ),
    (
        "code lines",
        "mockFn.mockImplementation(scalar => 36 + scalar);",
        "mockFn.mockImplementation(scalar => 42 + scalar);",
    ),
    (
        "different bounds",
        "The check passes when a can holds more than 10 ounces of soda.",
        "The check passes when a can holds less than 20 ounces of soda.",
    ),
    (
        "statistics fragment (units are not subject)",
        "12.5 pg/ml, P < 0.001).",
        "14.2 pg/ml, P < 0.001).",
    ),
    (
        "page numbers",
        "44 The PNC Financial Services Group, Inc.",
        "78 The PNC Financial Services Group, Inc.",
    ),
    (
        "section numbers",
        "Notes to consolidated financial statements (continued) 7.",
        "Notes to consolidated financial statements (continued) 13.",
    ),
    (
        "different subject words swapped",
        "Basic accounts store invoices for 30 days in the archive folder.",
        "Premium accounts keep receipts for 90 days in the archive folder.",
    ),
];

#[test]
fn false_cases_of_each_category_are_not_conflicts() {
    for (why, a, b) in NOT_CONFLICTS {
        let r = run(&[doc("a", a), doc("b", b)]);
        assert!(r.conflicts.is_empty(), "{why}: {:?}", r.conflicts);
    }
}

#[test]
fn titles_with_different_years_or_versions_are_different_scopes() {
    let mut a = doc(
        "a",
        "The supported Node versions are 12 and above for the runner.",
    );
    let mut b = doc(
        "b",
        "The supported Node versions are 14 and above for the runner.",
    );
    a.title = Some("From v27 to v28".into());
    b.title = Some("From v28 to v29".into());
    assert!(run(&[a.clone(), b.clone()]).conflicts.is_empty());
    a.title = Some("Upgrading".into());
    b.title = None;
    assert_eq!(run(&[a, b]).conflicts.len(), 1, "no scope in one title");
}

#[test]
fn a_form_each_document_fills_with_its_own_value_is_boilerplate() {
    // Three abstracts, each counting its own studies (with a section label in front).
    let docs = [
        doc(
            "p1",
            "RESULTS A total of 15 studies met the inclusion criteria.",
        ),
        doc("p2", "RESULTS 37 studies met the inclusion criteria."),
        doc("p3", "12 studies met the inclusion criteria."),
    ];
    assert!(
        run(&docs).conflicts.is_empty(),
        "{:?}",
        run(&docs).conflicts
    );
    // Two of them: nothing says it is a per-document form.
    assert_eq!(run(&docs[1..]).conflicts.len(), 1);
}

#[test]
fn a_document_stating_both_values_is_no_conflict() {
    let a = doc(
        "a",
        "Approximately 26% of net sales were to international markets. Next segment.\n\
         Approximately 25% of net sales were to international markets.",
    );
    let b = doc(
        "b",
        "Approximately 26% of net sales were to international markets.",
    );
    assert!(run(&[a, b]).conflicts.is_empty());
}

#[test]
fn boilerplate_forms_carry_no_subject() {
    // The same sentence form filled with a different value in each of 3 documents.
    let docs: Vec<Document> = (0..3)
        .map(|i| {
            doc(
                &format!("d{i}"),
                &format!("Your monthly statement total is ${} this cycle.", 10 + i),
            )
        })
        .collect();
    assert!(run(&docs).conflicts.is_empty());
    // Two documents only: a conflict.
    assert_eq!(run(&docs[..2]).conflicts.len(), 1);
}

#[test]
fn a_changing_figure_in_documents_of_different_dates_is_an_update() {
    let old = dated(
        "old",
        "The death toll from the floods has risen to 41 in the region.",
        "2026-03-01",
    );
    let new = dated(
        "new",
        "The death toll from the floods has risen to 63 in the region.",
        "2026-03-04",
    );
    let r = run(&[new.clone(), old.clone()]);
    assert!(r.conflicts.is_empty(), "{:?}", r.conflicts);
    assert_eq!(r.updates.len(), 1);
    assert_eq!(
        (r.updates[0].older.as_str(), r.updates[0].newer.as_str()),
        ("old", "new")
    );
    assert!(r.updates[0].sentence_newer.contains("63"));
    // The same dates without a word of change: a conflict (a KB fact stated two ways).
    let a = dated(
        "a",
        "Refunds are accepted within 30 days of purchase.",
        "2026-03-01",
    );
    let b = dated(
        "b",
        "Refunds are accepted within 14 days of purchase.",
        "2026-05-01",
    );
    let r = run(&[a, b]);
    assert_eq!(r.conflicts.len(), 1);
    assert!(r.updates.is_empty());
    // Undated: the order is unknown, so it stays a conflict.
    let r = run(&[
        doc(
            "x",
            "The death toll from the floods has risen to 41 in the region.",
        ),
        doc(
            "y",
            "The death toll from the floods has risen to 63 in the region.",
        ),
    ]);
    assert_eq!(r.conflicts.len(), 1);
}

proptest::proptest! {
    /// Any text (numbers, clock times, currency signs, dots, pipes, non-ASCII) is read without a
    /// panic, and a document never conflicts with itself.
    #[test]
    fn any_text_is_read_without_panic(
        a in "([A-Za-zé€$£%:|().,;!? 0-9-]|May|p\\.m\\.|FY20|2024|RESULTS ){0,80}",
        b in "([A-Za-zé€$£%:|().,;!? 0-9-]|May|p\\.m\\.|FY20|2024|RESULTS ){0,80}",
    ) {
        let mut t = doc("t", &a);
        t.title = Some(b.clone());
        let r = run(&[doc("a", &a), doc("b", &b), t]);
        proptest::prop_assert!(r.conflicts.iter().all(|c| c.doc_a != c.doc_b));
    }
}
