//! Random small corpora with one planted defect each: the attribution must find it.
#![allow(missing_docs)]

use proptest::prelude::*;
use ragdiag_core::{
    Document, Evidence, Judgment, Location, Query, Timestamp, TraceHit, TraceRecord,
};
use ragdiag_diagnose::{diagnose_trace, Class, Config, Corpus, Flag, Mode, Rule};

const QUOTE: &str = "The magic number for the vault is 4711 units.";
const OLD_QUOTE: &str = "The magic number for the vault was 1234 units.";
const OLDER_QUOTE: &str = "The magic number for the vault was 999 units.";

/// A small deterministic generator (splitmix64) so one proptest seed drives every choice.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + usize::try_from(self.next() % (hi - lo + 1) as u64).unwrap()
    }

    fn words(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| format!("w{}", self.range(0, 300)))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Defect {
    Fine,
    StaleAbove,
    Split,
    Deleted,
    StaleGold,
    BelowWindow,
    NotInPool,
    WrongAnswer,
    Ungrounded,
    UnanswerableAbstains,
    UnanswerableAsserts,
    UnanswerableNoAnswer,
}

const DEFECTS: [Defect; 12] = [
    Defect::Fine,
    Defect::StaleAbove,
    Defect::Split,
    Defect::Deleted,
    Defect::StaleGold,
    Defect::BelowWindow,
    Defect::NotInPool,
    Defect::WrongAnswer,
    Defect::Ungrounded,
    Defect::UnanswerableAbstains,
    Defect::UnanswerableAsserts,
    Defect::UnanswerableNoAnswer,
];

fn doc(id: &str, text: String, date: &str) -> Document {
    Document {
        id: id.into(),
        text,
        updated_at: Timestamp::parse(date),
        origin: Location::new("corpus.jsonl", 1),
        ..Document::default()
    }
}

fn char_slice(text: &str, s: usize, e: usize) -> String {
    text.chars().skip(s).take(e - s).collect()
}

fn hit(d: &Document, s: usize, e: usize) -> TraceHit {
    TraceHit {
        doc: d.id.clone(),
        text: Some(char_slice(&d.text, s, e)),
        ..TraceHit::default()
    }
}

struct Case {
    docs: Vec<Document>,
    query: Query,
    record: Option<TraceRecord>,
    k: usize,
    expected: Class,
    rule: u8,
}

fn build(defect: Defect, seed: u64) -> Case {
    let mut rng = Rng(seed);
    let k = rng.range(3, 6);
    let pool_len = rng.range(k + 2, k + 10);
    // Fillers: unrelated current documents.
    let n_fillers = rng.range(3, 7);
    let mut docs: Vec<Document> = (0..n_fillers)
        .map(|i| {
            let n = rng.range(25, 60);
            doc(&format!("filler-{i}"), rng.words(n), "2026-02-01")
        })
        .collect();
    // The gold page, with a multi-byte prefix so code points and bytes differ.
    let pre_n = rng.range(5, 30);
    let prefix = format!("Ünïcode café {}", rng.words(pre_n));
    let post_n = rng.range(5, 30);
    let suffix = rng.words(post_n);
    let gold_text = format!("{prefix} {QUOTE} {suffix}");
    let qs = prefix.chars().count() + 1;
    let qe = qs + QUOTE.chars().count();
    let gold_len = gold_text.chars().count();
    let mut gold = doc("gold", gold_text, "2026-03-01");
    match defect {
        Defect::Deleted => gold.deleted = true,
        Defect::StaleGold => gold.valid_until = Timestamp::parse("2026-06-30"),
        _ => {}
    }
    let chain = rng.range(1, 2);
    if defect == Defect::StaleAbove {
        gold.supersedes = Some("old".into());
        let mut old = doc(
            "old",
            format!("{} {OLD_QUOTE} {}", rng.words(10), rng.words(10)),
            "2025-03-01",
        );
        if chain == 2 {
            old.supersedes = Some("older".into());
            docs.push(doc(
                "older",
                format!("{} {OLDER_QUOTE} {}", rng.words(10), rng.words(10)),
                "2024-03-01",
            ));
        }
        docs.push(old);
    }
    docs.push(gold);
    let gold = docs.last().unwrap().clone();

    // Filler hits for every rank, then the planted items.
    let fillers = &docs[..n_fillers];
    let mut ranking: Vec<TraceHit> = (0..pool_len)
        .map(|_| {
            let d = &fillers[rng.range(0, n_fillers - 1)];
            let n = d.text.chars().count();
            let s = rng.range(0, n / 2);
            let e = rng.range(s + 5, n);
            hit(d, s, e)
        })
        .collect();
    let margin_l = rng.range(0, qs.min(15));
    let margin_r = rng.range(0, (gold_len - qe).min(15));
    let gold_hit = hit(&gold, qs - margin_l, qe + margin_r);
    let mut place = |rank: usize, h: TraceHit| ranking[rank - 1] = h;
    let (expected, rule) = match defect {
        Defect::Fine => {
            place(rng.range(1, k), gold_hit);
            (Class::Ok, 3)
        }
        Defect::WrongAnswer | Defect::Ungrounded => {
            place(rng.range(1, k), gold_hit);
            (Class::GenerationFailure, 9)
        }
        Defect::StaleAbove => {
            let stale_id = if chain == 2 && rng.range(0, 1) == 0 {
                "older"
            } else {
                "old"
            };
            let stale = docs.iter().find(|d| d.id == stale_id).unwrap();
            let n = stale.text.chars().count();
            let s_rank = rng.range(1, k);
            place(s_rank, hit(stale, 0, n));
            // The gold is below the stale version, or missing altogether.
            if rng.range(0, 2) > 0 {
                place(rng.range(s_rank + 1, pool_len), gold_hit);
            }
            (Class::StaleSource, 5)
        }
        Defect::Split => {
            let len = qe - qs;
            let mid = qs + rng.range(len * 15 / 100 + 1, len * 85 / 100 - 1);
            let a = rng.range(1, pool_len);
            let mut b = rng.range(1, pool_len);
            if b == a {
                b = if a == 1 { 2 } else { a - 1 };
            }
            place(a, hit(&gold, qs - margin_l, mid));
            place(b, hit(&gold, mid, qe + margin_r));
            (Class::ChunkingSplit, 6)
        }
        Defect::Deleted => {
            if rng.range(0, 1) == 0 {
                place(rng.range(1, pool_len), gold_hit);
            }
            (Class::CorpusGap, 4)
        }
        Defect::StaleGold => {
            place(rng.range(1, pool_len), gold_hit);
            (Class::StaleSource, 5)
        }
        Defect::BelowWindow => {
            place(rng.range(k + 1, pool_len), gold_hit);
            (Class::RankingMiss, 8)
        }
        Defect::NotInPool => {
            // Perhaps a chunk of the gold page that misses the evidence entirely.
            if rng.range(0, 1) == 0 {
                place(rng.range(1, pool_len), hit(&gold, 0, qs - 1));
            }
            (Class::RetrievalMiss, 7)
        }
        Defect::UnanswerableAbstains => (Class::Ok, 2),
        Defect::UnanswerableAsserts => (Class::GenerationFailure, 2),
        Defect::UnanswerableNoAnswer => (Class::Unanswerable, 2),
    };
    let unanswerable = matches!(
        defect,
        Defect::UnanswerableAbstains | Defect::UnanswerableAsserts | Defect::UnanswerableNoAnswer
    );
    let answer = match defect {
        Defect::Fine => Some(QUOTE.to_string()),
        Defect::Ungrounded => Some(format!(
            "{QUOTE} The vault is guarded by seventeen purple zebras."
        )),
        Defect::StaleAbove => Some(OLD_QUOTE.to_string()),
        Defect::UnanswerableAbstains => Some("I don't know.".to_string()),
        Defect::UnanswerableAsserts => Some("Yes, it is 5555 units.".to_string()),
        Defect::UnanswerableNoAnswer => None,
        _ => Some("It is 9999 units.".to_string()),
    };
    let query = if unanswerable {
        Query {
            id: "q".into(),
            text: "what is the zebra count?".into(),
            answerable: false,
            ..Query::default()
        }
    } else {
        Query {
            id: "q".into(),
            text: "what is the magic number for the vault?".into(),
            relevant: vec![Judgment {
                doc: "gold".into(),
                grade: 2,
            }],
            evidence: vec![Evidence::Quote {
                doc: "gold".into(),
                quote: QUOTE.into(),
            }],
            reference_answers: vec!["4711 units".into(), "4711".into()],
            ..Query::default()
        }
    };
    let record = (defect != Defect::UnanswerableNoAnswer).then(|| TraceRecord {
        query_id: "q".into(),
        retrieved: ranking,
        answer,
        origin: Location::new("trace.jsonl", 1),
        ..TraceRecord::default()
    });
    Case {
        docs,
        query,
        record,
        k,
        expected,
        rule,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn planted_defects_get_their_class(d in 0usize..DEFECTS.len(), seed in any::<u64>()) {
        let defect = DEFECTS[d];
        let case = build(defect, seed);
        let fresh = ragdiag_fresh::audit(
            &case.docs,
            &ragdiag_fresh::Config::new(Timestamp::parse("2026-10-01").unwrap()),
        );
        let corpus = Corpus::new(&case.docs, &fresh);
        let cfg = Config { mode: Mode::Trace, context_k: case.k, ..Config::default() };
        let trace: Vec<TraceRecord> = case.record.iter().cloned().collect();
        let out = diagnose_trace(&corpus, std::slice::from_ref(&case.query), &trace, &cfg).unwrap();
        let got = &out.diagnoses[0];
        prop_assert_eq!(got.class, case.expected, "{:?}: {} ({})", defect, got.reason, got.rule);
        prop_assert_eq!(got.rule.number(), case.rule, "{:?}: {}", defect, got.reason);
        // Every located trace text: no warnings except the missing trace line.
        prop_assert_eq!(out.warnings.len(), usize::from(case.record.is_none()));
        match defect {
            Defect::Split => {
                prop_assert!(got.flags.contains(&Flag::ChunkingSplit));
                prop_assert_eq!(got.split.len(), 2);
            }
            Defect::StaleAbove => {
                prop_assert_eq!(got.rule, Rule::StaleVersionInWindow);
                prop_assert!(got.flags.contains(&Flag::StaleInContext));
                prop_assert!(got.stale_in_window.iter().any(|h| h.version_of_gold));
            }
            Defect::StaleGold => prop_assert_eq!(got.rule, Rule::StaleGold),
            Defect::Deleted | Defect::UnanswerableAbstains | Defect::UnanswerableAsserts
            | Defect::UnanswerableNoAnswer => {
                prop_assert!(got.flags.contains(&Flag::CorpusGap));
            }
            Defect::Fine | Defect::WrongAnswer | Defect::Ungrounded | Defect::BelowWindow
            | Defect::NotInPool => {
                // Random fillers may, rarely, repeat one passage enough to crowd the window.
                let mut flags = got.flags.clone();
                flags.remove(&Flag::NearDuplicateCrowding);
                prop_assert!(flags.is_empty(), "{:?}", got.flags);
            }
        }
        if matches!(defect, Defect::Fine | Defect::WrongAnswer | Defect::Ungrounded | Defect::BelowWindow) {
            let r = got.best_gold_rank.unwrap();
            prop_assert_eq!(r <= case.k, defect != Defect::BelowWindow);
        }
        if defect == Defect::Ungrounded {
            let a = got.answer.as_ref().unwrap();
            prop_assert_eq!(a.correct, Some(true));
            prop_assert!(!a.grounded());
        }
    }
}
