//! The batched audit (texts read a batch at a time from a [`Texts`] source, shingle sets made
//! again instead of held) gives exactly the audit of the documents held in memory, whatever the
//! batch size: the whole `Audit`, printed with `{:#?}`, is compared.
#![allow(missing_docs)]

use ragdiag_core::{Document, Timestamp};
use ragdiag_fresh::{audit, audit_batched, Config, Texts};
use ragdiag_load::{load_corpus, LoadOptions};
use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Texts held apart from the documents (whose `text` is emptied), counting the reads.
struct Apart {
    texts: Vec<String>,
    reads: AtomicUsize,
}

impl Texts for Apart {
    fn text(&self, i: usize) -> Cow<'_, str> {
        self.reads.fetch_add(1, Ordering::Relaxed);
        Cow::Borrowed(&self.texts[i])
    }
}

fn assert_batched_equal(name: &str, docs: &[Document], cfg: &Config) {
    let whole = format!("{:#?}", audit(docs, cfg));
    let meta: Vec<Document> = docs
        .iter()
        .map(|d| Document {
            text: String::new(),
            ..d.clone()
        })
        .collect();
    let apart = Apart {
        texts: docs.iter().map(|d| d.text.clone()).collect(),
        reads: AtomicUsize::new(0),
    };
    for batch in [1, 3, 64, docs.len()] {
        let batched = format!("{:#?}", audit_batched(&meta, &apart, cfg, batch));
        assert!(
            whole == batched,
            "{name}: batch {batch} differs from the held audit"
        );
    }
    assert!(apart.reads.load(Ordering::Relaxed) >= 4 * docs.len());
}

/// Seeded prose over a small vocabulary, with a number in every third sentence.
fn prose(seed: u64, n: usize) -> String {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = String::new();
    for k in 0..n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        if k % 36 == 5 {
            out.push_str(&format!("{} days", x % 90));
        } else {
            out.push_str(&format!("w{}", x % 2000));
        }
        out.push_str(if k % 12 == 11 { ". " } else { " " });
    }
    out
}

#[test]
fn the_demo_corpus_audits_the_same_in_batches() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let docs = load_corpus(&root.join("corpora/tallyfox"), &LoadOptions::default())
        .unwrap()
        .items;
    let cfg = Config::new(Timestamp::parse("2026-10-01").unwrap());
    let r = audit(&docs, &cfg);
    assert!(!r.conflicts.is_empty() && !r.near_duplicates.is_empty());
    assert_batched_equal("tallyfox", &docs, &cfg);
}

#[test]
fn boilerplate_versions_duplicates_and_conflicts_audit_the_same_in_batches() {
    const FOOTER: &str = "Sign up for our morning newsletter to get the day's top stories in \
                          your inbox. Copyright The Riverside Gazette. All rights reserved.";
    let doc = |id: String, text: String, date: String, version: Option<&str>| Document {
        id,
        text,
        updated_at: Timestamp::parse(&date),
        version: version.map(String::from),
        title: version.map(|_| "Setup".to_string()),
        ..Document::default()
    };
    let mut docs = Vec::new();
    for k in 0..120u64 {
        let date = format!("2025-{:02}-{:02}", 1 + k % 12, 1 + k % 28);
        let mut t = prose(k, 200);
        t.push_str(FOOTER);
        docs.push(doc(format!("a{k}"), t.clone(), date.clone(), None));
        match k % 10 {
            // A later edit (near-duplicate supersession and changed statements).
            0 => docs.push(doc(
                format!("a{k}-new"),
                t.replacen("days", "weeks", 1).replacen(" w1", " w1x", 2),
                format!("2026-{:02}-01", 1 + k % 9),
                None,
            )),
            // An exact copy (a duplicate group).
            1 => docs.push(doc(format!("a{k}-copy"), t, date, None)),
            // A conflicting statement in another current document.
            2 if k == 2 => docs.push(doc(
                format!("a{k}-other"),
                format!(
                    "Annual plans can be refunded within {} days of purchase by the billing team.",
                    14
                ),
                date,
                None,
            )),
            _ => {}
        }
    }
    docs.push(doc(
        "refunds".into(),
        "Annual plans can be refunded within 30 days of purchase by the billing team.".into(),
        "2026-01-01".into(),
        None,
    ));
    // Versions of one page, the newer a third rewritten (same-page supersession).
    let old = prose(999, 200);
    let new: Vec<String> = old
        .split(' ')
        .enumerate()
        .map(|(k, w)| {
            if k % 6 == 0 {
                format!("n{k}")
            } else {
                w.into()
            }
        })
        .collect();
    docs.push(doc(
        "1.0/setup".into(),
        old,
        "2024-01-01".into(),
        Some("1.0"),
    ));
    docs.push(doc(
        "2.0/setup".into(),
        new.join(" "),
        "2025-01-01".into(),
        Some("2.0"),
    ));
    // Near-empty pages.
    for k in 0..5 {
        docs.push(doc(
            format!("empty{k}"),
            FOOTER.into(),
            format!("2025-0{}-01", k + 1),
            None,
        ));
    }
    let cfg = Config::new(Timestamp::parse("2026-10-01").unwrap());
    let r = audit(&docs, &cfg);
    assert!(!r.hygiene.boilerplate.is_empty(), "boilerplate found");
    assert!(!r.hygiene.duplicate_groups.is_empty() && !r.hygiene.near_empty.is_empty());
    assert!(!r.near_duplicates.is_empty() && !r.changes.is_empty());
    assert!(r
        .documents
        .iter()
        .any(|d| d.inferred_from == Some(ragdiag_fresh::Inference::SamePage)));
    assert!(!r.conflicts.is_empty());
    assert_batched_equal("synthetic", &docs, &cfg);
}
