//! Long supersession chains: the audit stays linear in the chain's length (a regression test
//! for a cycle search that walked the chain from every document, cubic in its length), and its
//! results on the chain are right.
#![allow(missing_docs)]

use ragdiag_core::{Document, Location, Timestamp};
use ragdiag_fresh::{audit, Config, StaleReason};

/// `n` documents, each superseding the one before. No text, so that near-duplicate and
/// conflict detection (linear too, but slow unoptimised) leave the time to the chain.
fn chain(n: usize) -> Vec<Document> {
    (0..n)
        .map(|i| Document {
            id: format!("v{i}"),
            updated_at: Timestamp::parse("2026-01-01"),
            supersedes: (i > 0).then(|| format!("v{}", i - 1)),
            origin: Location::new("chain.jsonl", i as u64 + 1),
            ..Document::default()
        })
        .collect()
}

#[test]
fn a_chain_of_a_hundred_thousand_documents() {
    let n = 100_000;
    let docs = chain(n);
    let r = audit(&docs, &Config::new(Timestamp::parse("2026-10-01").unwrap()));
    assert!(r.findings.is_empty(), "{:?}", r.findings.items().first());
    assert_eq!(r.documents.len(), n);
    for (i, d) in r.documents[..n - 1].iter().enumerate() {
        assert_eq!(d.stale, Some(true), "v{i}");
        assert_eq!(d.reasons, [StaleReason::Superseded], "v{i}");
        assert_eq!(d.superseded_by, Some(format!("v{}", i + 1)));
        // The current version is the chain's end (found in linear time).
        assert_eq!(d.current, Some(format!("v{}", n - 1)));
    }
    let head = &r.documents[n - 1];
    assert_eq!(head.id, format!("v{}", n - 1));
    assert_eq!(
        (head.stale, head.superseded_by.as_deref()),
        (Some(false), None)
    );
    assert_eq!(r.chains.len(), 1);
    assert_eq!(r.chains[0].len(), n);
    assert!(r.chains[0]
        .iter()
        .enumerate()
        .all(|(i, id)| *id == format!("v{i}")));
}

#[test]
fn a_long_chain_closed_into_a_cycle_is_one_finding_and_nothing_stale() {
    let n = 20_000;
    let mut docs = chain(n);
    docs[0].supersedes = Some(format!("v{}", n - 1));
    let r = audit(&docs, &Config::new(Timestamp::parse("2026-10-01").unwrap()));
    let msgs: Vec<String> = r.findings.items().iter().map(ToString::to_string).collect();
    assert_eq!(msgs.len(), 1);
    assert!(msgs[0].starts_with("chain.jsonl:1: supersedes: supersession cycle: v0 → v1 → v2 → "));
    assert!(msgs[0].ends_with(&format!(" → v{} → v0", n - 1)));
    assert!(r.documents.iter().all(|d| d.stale == Some(false)));
    assert!(r.chains.is_empty());
}
