//! Classes and flags are defined once: their names, words, colours and order live in
//! `src/types.rs`.
#![allow(missing_docs)]

use ragdiag_diagnose::{Class, Flag};
use std::collections::BTreeSet;

fn is_hex_colour(s: &str) -> bool {
    s.len() == 7 && s.starts_with('#') && s[1..].chars().all(|c| c.is_ascii_hexdigit())
}

#[test]
fn every_class_has_its_words_and_colours() {
    let mut colours = BTreeSet::new();
    for (i, c) in Class::ALL.into_iter().enumerate() {
        assert_eq!(Class::from_name(c.as_str()), Some(c));
        assert_eq!(c.order(), i);
        assert_eq!(c.to_string(), c.as_str());
        for (what, text) in [
            ("label", c.label()),
            ("short", c.short()),
            ("cause", c.cause()),
            ("help", c.help()),
        ] {
            assert!(!text.trim().is_empty(), "{c}: empty {what}");
            assert!(!text.contains("  "), "{c}: {what} {text:?}");
        }
        assert!(c.help().ends_with('.'), "{c}");
        assert!(is_hex_colour(c.colour()) && is_hex_colour(c.tint()), "{c}");
        assert!(colours.insert(c.colour()), "{c}: colour shared");
    }
    assert_eq!(Class::from_name("Stale_source"), None);
    assert_eq!(Class::from_name(""), None);
    // Ord follows the display order.
    assert!(Class::ALL.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn classes_are_listed_in_the_decision_order() {
    // DESIGN.md: 1 no_label, 2 unanswerable (abstaining is ok, asserting generation_failure),
    // 3 ok, 4 corpus_gap, 5 stale_source, 6 chunking_split, 7 retrieval_miss, 8 ranking_miss,
    // 9 generation_failure, 10 ok.
    let names: Vec<&str> = Class::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(
        names,
        [
            "no_label",
            "unanswerable",
            "ok",
            "corpus_gap",
            "stale_source",
            "chunking_split",
            "retrieval_miss",
            "ranking_miss",
            "generation_failure"
        ]
    );
    let failures: Vec<Class> = Class::ALL.into_iter().filter(|c| c.is_failure()).collect();
    assert_eq!(failures.len(), 6);
    assert!(!failures.contains(&Class::Unanswerable));
}

#[test]
fn every_flag_has_its_words() {
    for (i, f) in Flag::ALL.into_iter().enumerate() {
        assert_eq!(Flag::from_name(f.as_str()), Some(f));
        assert_eq!(f.order(), i);
        assert!(!f.label().is_empty() && f.help().ends_with('.'), "{f}");
        assert!(!f.help().contains("  "), "{f}");
    }
    assert!(Flag::ALL.windows(2).all(|w| w[0] < w[1]));
}
