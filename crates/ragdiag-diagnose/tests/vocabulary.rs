//! Classes and flags are defined once: their names, words, colours and order live in
//! `src/types.rs`, and no other source file of the workspace spells a class or flag name.
#![allow(missing_docs)]

use ragdiag_diagnose::{Class, Flag};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

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

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every class and flag name, as a string literal (`"stale_source"`), appears in the sources of
/// the workspace's crates (`crates/*/src`, comments and `#[cfg(test)]` modules left out) only in
/// `ragdiag-diagnose/src/types.rs`: the binary, the report and the engine read names, words,
/// colours and order from `Class` and `Flag`.
#[test]
fn class_and_flag_names_are_spelled_in_one_place() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let home = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/types.rs");
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&crates).unwrap() {
        let src = entry.unwrap().path().join("src");
        if src.is_dir() {
            rust_files(&src, &mut files);
        }
    }
    assert!(files.len() > 50, "found only {} source files", files.len());
    let names: BTreeSet<&str> = Class::ALL
        .iter()
        .map(|c| c.as_str())
        .chain(Flag::ALL.iter().map(|f| f.as_str()))
        .collect();
    let mut at_home = BTreeSet::new();
    let mut elsewhere = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        for (n, line) in code.lines().enumerate() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            for name in &names {
                if line.contains(&format!("\"{name}\"")) {
                    if path.canonicalize().unwrap() == home.canonicalize().unwrap() {
                        at_home.insert(*name);
                    } else {
                        elsewhere.push(format!("{}:{}: {name}", path.display(), n + 1));
                    }
                }
            }
        }
    }
    assert!(
        elsewhere.is_empty(),
        "class or flag names spelled outside types.rs:\n{}",
        elsewhere.join("\n")
    );
    assert_eq!(at_home, names);
}
