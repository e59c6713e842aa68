//! Corpus hygiene on a synthetic news site (issue 14): failed extractions that hold only an
//! advertisement-feedback boilerplate, a footer on every page, syndicated copies, corrected
//! articles, and a versioned documentation set whose identical pages are versions, not
//! duplicates.
#![allow(missing_docs)]

use ragdiag_core::{Document, Timestamp};
use ragdiag_fresh::{audit, Config, Inference, StaleReason};

/// The 210-character advertisement-feedback block a failed extraction returns.
const AD: &str = "Advertisement. Thank you for your feedback. Was this ad relevant to you? \
Tell us why you do not want to see this ad: it is offensive, it is not relevant, \
it covers the content, it keeps repeating. Close.";

const FOOTER: &str =
    "Sign up for our morning newsletter to get the day's top stories in your inbox. \
Copyright The Riverside Gazette. All rights reserved.";

/// Seeded prose: `n` words over a 3,000-word vocabulary, in sentences of 12.
fn prose(seed: u64, n: usize) -> String {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = String::new();
    for k in 0..n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.push_str(&format!("w{}", x % 3000));
        out.push_str(if k % 12 == 11 { ". " } else { " " });
    }
    out
}

fn doc(id: &str, text: String, date: &str) -> Document {
    Document {
        id: id.into(),
        text,
        updated_at: Timestamp::parse(date),
        ..Document::default()
    }
}

fn date(k: usize) -> String {
    format!("2024-{:02}-{:02}", 1 + k % 12, 1 + k % 28)
}

/// 300 articles (footer on all, the ad block on every third), 55 failed extractions holding
/// only the ad block with different dates, 5 failed ones with a headline before the block,
/// 3 syndicated copies, 4 corrected articles (later date, a few words changed).
fn news_site() -> Vec<Document> {
    let mut docs = Vec::new();
    for k in 0..300 {
        let mut t = prose(k as u64, 250);
        if k % 3 == 0 {
            t.push_str(AD);
            t.push(' ');
        }
        t.push_str(FOOTER);
        docs.push(doc(&format!("article-{k}"), t, &date(k)));
    }
    for k in 0..55 {
        docs.push(doc(&format!("failed-{k}"), AD.to_string(), &date(k + 3)));
    }
    for k in 0..5 {
        docs.push(doc(
            &format!("failed-headline-{k}"),
            format!("Council votes on budget {k}. {AD}"),
            &date(k + 7),
        ));
    }
    for k in 0..3 {
        let original = docs[k * 10].text.clone();
        docs.push(doc(&format!("syndicated-{k}"), original, &date(k * 10)));
    }
    for k in 0..4 {
        let mut w: Vec<String> = docs[100 + k].text.split(' ').map(String::from).collect();
        w[40] = "corrected".into();
        w[41] = "figure".into();
        docs.push(doc(&format!("correction-{k}"), w.join(" "), "2025-06-01"));
    }
    docs
}

#[test]
fn failed_extractions_are_hygiene_findings_not_superseded() {
    let docs = news_site();
    let cfg = Config::new(Timestamp::parse("2025-10-01").unwrap());
    let r = audit(&docs, &cfg);
    let h = &r.hygiene;

    // The 55 + 5 failed pages are near-empty (boilerplate only, or a headline and boilerplate),
    // and none of them is superseded.
    let near: Vec<&str> = h.near_empty.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(near.len(), 60, "{near:?}");
    assert!(near.iter().all(|id| id.starts_with("failed-")));
    for e in &h.near_empty {
        if e.id.starts_with("failed-headline") {
            assert_eq!(e.kind(), "near-empty");
            assert_eq!(e.own_words, 5, "{e:?}");
        } else {
            assert_eq!(e.kind(), "boilerplate only", "{e:?}");
        }
    }
    for d in &r.documents {
        if d.id.starts_with("failed-") {
            assert_eq!(d.stale, Some(false), "{} must not be stale", d.id);
        }
    }
    assert!(
        r.near_duplicates
            .iter()
            .all(|n| !n.older.starts_with("failed") && !n.newer.starts_with("failed")),
        "near-empty pages take no part in near-duplicate inference"
    );

    // The identical failed pages are one duplicate group; the syndicated copies pair with
    // their originals.
    let groups = &h.duplicate_groups;
    assert_eq!(groups.len(), 4, "{groups:?}");
    assert!(groups
        .iter()
        .any(|g| g.len() == 55 && g[0].starts_with("failed-")));
    for k in 0..3 {
        let pair = vec![format!("article-{}", k * 10), format!("syndicated-{k}")];
        assert!(groups.contains(&pair), "{pair:?} in {groups:?}");
    }

    // Boilerplate: the ad block (100 articles, 55 + 5 failed pages, the copy of article-0 and
    // the correction of article-102) and the footer (300 articles, 3 copies, 4 corrections).
    let ad = h
        .boilerplate
        .iter()
        .find(|b| b.text.starts_with("Advertisement"))
        .expect("the ad block is boilerplate");
    assert_eq!(ad.documents, 100 + 55 + 5 + 1 + 1, "{ad:?}");
    assert!(ad.text.ends_with("Close"), "{ad:?}");
    let footer = h
        .boilerplate
        .iter()
        .find(|b| b.text.starts_with("Sign up"))
        .expect("the footer is boilerplate");
    assert_eq!(footer.documents, 300 + 3 + 4, "{footer:?}");
    assert_eq!(h.boilerplate.len(), 2, "{:?}", h.boilerplate);
    assert!(h.boilerplate_cut >= cfg.boilerplate_min_docs);

    // The corrected articles still supersede their originals (boilerplate left out).
    for k in 0..4 {
        let old = r.get(&format!("article-{}", 100 + k)).unwrap();
        assert_eq!(old.stale_reason(), Some(StaleReason::SupersededInferred));
        assert_eq!(
            old.superseded_by.as_deref(),
            Some(format!("correction-{k}").as_str())
        );
        assert_eq!(old.inferred_from, Some(Inference::NearDuplicate));
    }
    let stale: Vec<&str> = r
        .documents
        .iter()
        .filter(|d| d.stale == Some(true))
        .map(|d| d.id.as_str())
        .collect();
    assert_eq!(stale.len(), 4, "{stale:?}");
}

#[test]
fn an_articles_own_words_exclude_the_boilerplate() {
    let docs = news_site();
    let r = audit(&docs, &Config::new(Timestamp::parse("2025-10-01").unwrap()));
    // article-0: 250 words of prose, the ad block and the footer.
    assert_eq!(r.hygiene.own_words[0], 250);
    assert_eq!(r.hygiene.own_words[1], 250);
}

#[test]
fn identical_pages_of_different_versions_are_versions_not_duplicates() {
    let page = |v: &str, name: &str, text: &str, d: &str| Document {
        id: format!("{v}/{name}"),
        version: Some(v.into()),
        title: Some(name.into()),
        text: text.into(),
        updated_at: Timestamp::parse(d),
        ..Document::default()
    };
    let intro = prose(1, 200);
    let setup_old = prose(2, 200);
    // The new setup page: a third of it rewritten (Jaccard well under 0.8).
    let mut w: Vec<String> = setup_old.split(' ').map(String::from).collect();
    for k in (0..w.len()).step_by(6) {
        w[k] = format!("new{k}");
    }
    let setup_new = w.join(" ");
    let other = prose(3, 200);
    let docs = vec![
        page("1.0", "Intro", &intro, "2024-01-01"),
        page("2.0", "Intro", &intro, "2025-01-01"),
        page("1.0", "Setup", &setup_old, "2024-01-01"),
        page("2.0", "Setup", &setup_new, "2025-01-01"),
        page("2.0", "Other", &other, "2025-01-01"),
        // Two identical pages within one version are duplicates.
        page("2.0", "Copy", &other, "2025-01-01"),
    ];
    let r = audit(&docs, &Config::new(Timestamp::parse("2025-10-01").unwrap()));
    let intro_old = r.get("1.0/Intro").unwrap();
    assert_eq!(intro_old.superseded_by.as_deref(), Some("2.0/Intro"));
    assert_eq!(intro_old.inferred_from, Some(Inference::NearDuplicate));
    let setup = r.get("1.0/Setup").unwrap();
    assert_eq!(setup.superseded_by.as_deref(), Some("2.0/Setup"));
    assert_eq!(setup.inferred_from, Some(Inference::SamePage));
    assert_eq!(
        r.hygiene.duplicate_groups,
        vec![vec!["2.0/Copy".to_string(), "2.0/Other".into()]]
    );
    assert!(r.hygiene.near_empty.is_empty());
}
