//! Property tests on planted cases: supersession chains and near-duplicates.
#![allow(missing_docs)]

use proptest::prelude::*;
use ragdiag_core::{Document, Timestamp};
use ragdiag_fresh::{audit, Config, StaleReason};

fn cfg() -> Config {
    Config::new(Timestamp::parse("2026-10-01").unwrap())
}

fn text(seed: u64, n: usize) -> Vec<String> {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            format!("w{}", (x >> 33) % 5000)
        })
        .collect()
}

fn shingle_jaccard(a: &[String], b: &[String]) -> f64 {
    let s = |w: &[String]| {
        w.windows(3)
            .map(|x| x.join(" "))
            .collect::<std::collections::HashSet<_>>()
    };
    let (x, y) = (s(a), s(b));
    x.intersection(&y).count() as f64 / x.union(&y).count() as f64
}

proptest! {
    #[test]
    fn every_link_of_a_chain_but_the_last_is_superseded(len in 2usize..8, seed in any::<u64>()) {
        let docs: Vec<Document> = (0..len)
            .map(|i| Document {
                id: format!("v{i}"),
                text: text(seed + i as u64, 50).join(" "),
                updated_at: Timestamp::parse(&format!("20{}-01-01", 10 + i)),
                supersedes: (i > 0).then(|| format!("v{}", i - 1)),
                ..Document::default()
            })
            .collect();
        let r = audit(&docs, &cfg());
        for (i, d) in r.documents.iter().enumerate() {
            if i + 1 < len {
                prop_assert_eq!(d.stale_reason(), Some(StaleReason::Superseded));
                let next = format!("v{}", i + 1);
                prop_assert_eq!(d.superseded_by.as_deref(), Some(next.as_str()));
            } else {
                prop_assert_eq!(d.stale, Some(false));
            }
        }
        prop_assert_eq!(r.chains.len(), 1);
        prop_assert_eq!(r.chains[0].len(), len);
    }

    #[test]
    fn small_edits_are_near_duplicates_and_large_ones_are_not(seed in any::<u64>(), edits in 0usize..60) {
        let base = text(seed, 300);
        let mut edited = base.clone();
        let noise = text(seed ^ 0xabcdef, edits);
        for (k, w) in noise.into_iter().enumerate() {
            let at = (k * 7919 + seed as usize % 300) % 300;
            edited[at] = format!("x{w}");
        }
        let j = shingle_jaccard(&base, &edited);
        let docs = vec![
            Document { id: "old".into(), text: base.join(" "), updated_at: Timestamp::parse("2025-01-01"), ..Document::default() },
            Document { id: "new".into(), text: edited.join(" "), updated_at: Timestamp::parse("2026-01-01"), ..Document::default() },
        ];
        let r = audit(&docs, &cfg());
        if base == edited {
            // Identical texts without versions are duplicates (hygiene), never supersession.
            prop_assert!(r.near_duplicates.is_empty());
            prop_assert_eq!(&r.hygiene.duplicate_groups, &vec![vec!["new".to_string(), "old".into()]]);
            prop_assert_eq!(r.get("old").unwrap().stale, Some(false));
            return Ok(());
        }
        if j >= 0.9 {
            prop_assert_eq!(r.near_duplicates.len(), 1, "J = {}", j);
            prop_assert_eq!(r.get("old").unwrap().stale_reason(), Some(StaleReason::SupersededInferred));
        }
        if j < 0.8 {
            prop_assert!(r.near_duplicates.is_empty(), "J = {}", j);
            prop_assert_eq!(r.get("old").unwrap().stale, Some(false));
        }
        for n in &r.near_duplicates {
            prop_assert!((n.jaccard - j).abs() < 1e-9, "reported {} exact {}", n.jaccard, j);
        }
    }
}
