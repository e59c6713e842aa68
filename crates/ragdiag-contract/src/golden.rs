//! The `golden_set` block of the diagnose summary: the state of the labels under the figures.

use crate::Interval;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How many entries each list of the golden-set panel holds at most in `summary.json` (schema
/// 7): [`GoldenSet::counts`] counts them all, and `golden.jsonl` has every one.
pub const GOLDEN_LISTED: usize = 100;

/// The golden-set panel: coverage, labels needing re-review, duplicate questions, gold pages
/// deleted or superseded, unanswerable questions the corpus now answers, and leakage. Each list
/// holds its first [`GOLDEN_LISTED`] entries (schema 6: all of them), [`GoldenSet::counts`]
/// how many there are, and `golden.jsonl` every one, a line each: the lists grow with the
/// questions, `summary.json` does not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GoldenSet {
    /// `--stale-labels`: `include`, `exclude` or `flag`.
    pub stale_rule: String,
    /// Labels read (`relevant` and `evidence` entries of the questions file).
    pub labels: usize,
    /// Of those, labels carrying the hash of the text they were made on (`doc_hash`).
    pub tied: usize,
    /// Judgment and evidence entries dropped from the metrics (`exclude` only; else 0).
    pub excluded: usize,
    /// Labels whose document changed, was deleted, superseded or is missing since they were
    /// made (only labels carrying `doc_hash` can be found changed): the first
    /// [`GOLDEN_LISTED`] (schema 6: all of them).
    pub needs_review: Vec<ReviewLabel>,
    /// judged@k of this report's ranking: the mean share of each question's top k documents
    /// that carry a judgment (bootstrap interval over questions).
    pub coverage: Vec<Coverage>,
    /// Word 3-shingle Jaccard at or above which two questions are near-duplicates.
    pub near_duplicate_threshold: f64,
    /// Groups of questions that are the same after normalisation (`exact`: lower-cased
    /// alphanumeric words) or near-duplicates (`near`): the first [`GOLDEN_LISTED`] (schema 6:
    /// all of them).
    pub duplicates: Vec<DuplicateGroup>,
    /// Gold pages (judged relevant, or holding evidence) that are missing, deleted or
    /// superseded by a newer version: the first [`GOLDEN_LISTED`] (schema 6: all of them).
    pub gold_gone: Vec<GoldGone>,
    /// Questions labelled unanswerable whose reference answer or evidence quote the corpus now
    /// holds: the first [`GOLDEN_LISTED`] (schema 6: all of them).
    pub unanswerable_answered: Vec<AnsweredNow>,
    /// Questions or reference answers copied into the corpus.
    pub leakage: Leakage,
    /// How many entries each list has in all (schema 7).
    pub counts: GoldenCounts,
}

/// How many entries each list of the golden-set panel has, listed or not.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct GoldenCounts {
    /// Labels needing re-review (`needs_review`).
    pub needs_review: usize,
    /// Groups of duplicate questions (`duplicates`).
    pub duplicates: usize,
    /// Gold pages gone (`gold_gone`).
    pub gold_gone: usize,
    /// Unanswerable questions the corpus now answers (`unanswerable_answered`).
    pub unanswerable_answered: usize,
    /// Leaks (`leakage.leaks`), extractive ones included.
    pub leaks: usize,
    /// Of those, the extractive ones.
    pub extractive_leaks: usize,
    /// Leaked questions (`leakage.leaked_questions`).
    pub leaked_questions: usize,
}

impl GoldenCounts {
    /// The counts of `g`'s lists, each whole.
    #[must_use]
    pub fn of(g: &GoldenSet) -> Self {
        let l = &g.leakage;
        GoldenCounts {
            needs_review: g.needs_review.len(),
            duplicates: g.duplicates.len(),
            gold_gone: g.gold_gone.len(),
            unanswerable_answered: g.unanswerable_answered.len(),
            leaks: l.leaks.len(),
            extractive_leaks: l.leaks.iter().filter(|x| x.extractive).count(),
            leaked_questions: l.leaked_questions.len(),
        }
    }
}

impl GoldenSet {
    /// The panel as `summary.json` holds it: each list cut to its first [`GOLDEN_LISTED`]
    /// entries (the leaks that are not extractive first, each kind in the order found); the
    /// counts are kept as they are.
    #[must_use]
    pub fn listed(mut self) -> Self {
        fn cut<T>(list: &mut Vec<T>) {
            list.truncate(GOLDEN_LISTED);
            list.shrink_to_fit();
        }
        let l = &mut self.leakage;
        // Stable: each kind keeps the order found.
        l.leaks.sort_by_key(|x| x.extractive);
        cut(&mut l.leaks);
        cut(&mut l.leaked_questions);
        cut(&mut self.needs_review);
        cut(&mut self.duplicates);
        cut(&mut self.gold_gone);
        cut(&mut self.unanswerable_answered);
        self
    }

    /// `golden.jsonl`: every entry of every list, a line each, in the panel's order (labels
    /// needing re-review, duplicates, gold pages gone, unanswerable questions answered, leaks,
    /// leaked questions), each the entry as the list holds it with `list` naming the list.
    ///
    /// # Errors
    ///
    /// When `out` cannot be written.
    pub fn write_jsonl(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        #[derive(Serialize)]
        struct Line<'a, T: Serialize> {
            list: &'a str,
            #[serde(flatten)]
            entry: &'a T,
        }
        #[derive(Serialize)]
        struct Question<'a> {
            query_id: &'a str,
        }
        fn lines<T: Serialize>(
            out: &mut impl std::io::Write,
            list: &str,
            entries: impl IntoIterator<Item = T>,
        ) -> std::io::Result<()> {
            for entry in entries {
                serde_json::to_writer(
                    &mut *out,
                    &Line {
                        list,
                        entry: &entry,
                    },
                )?;
                out.write_all(b"\n")?;
            }
            Ok(())
        }
        lines(out, "needs_review", &self.needs_review)?;
        lines(out, "duplicates", &self.duplicates)?;
        lines(out, "gold_gone", &self.gold_gone)?;
        lines(out, "unanswerable_answered", &self.unanswerable_answered)?;
        lines(out, "leakage.leaks", &self.leakage.leaks)?;
        lines(
            out,
            "leakage.leaked_questions",
            self.leakage
                .leaked_questions
                .iter()
                .map(|q| Question { query_id: q }),
        )
    }
}

/// A label needing re-review.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ReviewLabel {
    /// The question.
    pub query_id: String,
    /// The document labelled.
    pub doc: String,
    /// `judgment` or `evidence`.
    pub kind: String,
    /// What became of the document: `changed`, `deleted`, `superseded` or `missing`.
    pub document: String,
    /// The document that supersedes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub superseded_by: Option<String>,
    /// For evidence: `found`, `moved`, `gone` or `unverifiable` in the current text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    /// For moved evidence: its code-point span in the current text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moved_to: Option<(usize, usize)>,
}

/// judged@k at one depth.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Coverage {
    /// The depth.
    pub k: usize,
    /// The mean share of judged documents in the top k (n: questions with a ranking).
    pub judged: Interval,
}

/// Questions that duplicate each other.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DuplicateGroup {
    /// `exact` or `near`.
    pub kind: String,
    /// The questions, in input order.
    pub ids: Vec<String>,
    /// The lowest Jaccard of the question pairs that joined the group (1 for `exact`).
    pub similarity: f64,
}

/// A question whose gold page is gone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GoldGone {
    /// The question.
    pub query_id: String,
    /// The gold page.
    pub doc: String,
    /// `missing`, `deleted` or `superseded`.
    pub state: String,
    /// The newer version, for `superseded`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
}

/// An unanswerable question the corpus now answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AnsweredNow {
    /// The question.
    pub query_id: String,
    /// The document holding the text.
    pub doc: String,
    /// `reference_answer` or `evidence`.
    pub via: String,
}

/// Leakage: questions or reference answers copied into the corpus, and the metrics without
/// them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Leakage {
    /// The containment threshold (share of the text's word 3-grams in one document).
    pub threshold: f64,
    /// Texts shorter than this many words are not tested.
    pub min_words: usize,
    /// The leaks found, extractive ones included: the first [`GOLDEN_LISTED`], those that are
    /// not extractive first (schema 6: all of them).
    pub leaks: Vec<Leak>,
    /// Questions whose metrics leakage inflates (leaks that are not extractive), sorted: the
    /// first [`GOLDEN_LISTED`] (schema 6: all of them).
    pub leaked_questions: Vec<String>,
    /// Document-level metrics of all judged questions.
    pub metrics_all: BTreeMap<String, Interval>,
    /// The same metrics without the leaked questions.
    pub metrics_without: BTreeMap<String, Interval>,
}

/// One leak.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Leak {
    /// The question.
    pub query_id: String,
    /// `question` or `reference_answer`.
    pub field: String,
    /// The document holding most of it.
    pub doc: String,
    /// The share of its word 3-grams the document holds.
    pub containment: f64,
    /// A reference answer found in its own gold page (an extractive answer, as expected): it
    /// inflates nothing.
    pub extractive: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A panel with `n` entries in every list, every third leak extractive.
    fn panel(n: usize) -> GoldenSet {
        let q = |i: usize| format!("q{i:04}");
        let mut g = GoldenSet {
            stale_rule: "flag".into(),
            labels: n,
            tied: n,
            excluded: 0,
            needs_review: (0..n)
                .map(|i| ReviewLabel {
                    query_id: q(i),
                    doc: format!("d{i}"),
                    kind: "evidence".into(),
                    document: "changed".into(),
                    superseded_by: None,
                    evidence: Some("moved".into()),
                    moved_to: Some((i, i + 3)),
                })
                .collect(),
            coverage: Vec::new(),
            near_duplicate_threshold: 0.9,
            duplicates: (0..n)
                .map(|i| DuplicateGroup {
                    kind: "exact".into(),
                    ids: vec![q(i), q(i + n)],
                    similarity: 1.0,
                })
                .collect(),
            gold_gone: (0..n)
                .map(|i| GoldGone {
                    query_id: q(i),
                    doc: format!("d{i}"),
                    state: "superseded".into(),
                    by: Some(format!("d{i}-v2")),
                })
                .collect(),
            unanswerable_answered: (0..n)
                .map(|i| AnsweredNow {
                    query_id: q(i),
                    doc: format!("d{i}"),
                    via: "evidence".into(),
                })
                .collect(),
            leakage: Leakage {
                threshold: 0.5,
                min_words: 8,
                leaks: (0..n)
                    .map(|i| Leak {
                        query_id: q(i),
                        field: "question".into(),
                        doc: format!("d{i}"),
                        containment: 0.75,
                        extractive: i % 3 == 0,
                    })
                    .collect(),
                leaked_questions: (0..n).filter(|i| i % 3 != 0).map(q).collect(),
                metrics_all: BTreeMap::new(),
                metrics_without: BTreeMap::new(),
            },
            counts: GoldenCounts::default(),
        };
        g.counts = GoldenCounts::of(&g);
        g
    }

    /// `summary.json` lists the first `GOLDEN_LISTED` of each list (the leaks that inflate the
    /// metrics first) and counts them all; `golden.jsonl` has every entry, a line each, as the
    /// list holds it.
    #[test]
    fn lists_are_cut_counted_and_written_whole() {
        for n in [
            0,
            1,
            GOLDEN_LISTED,
            GOLDEN_LISTED + 1,
            3 * GOLDEN_LISTED + 2,
        ] {
            let whole = panel(n);
            let c = whole.counts;
            let extractive = n.div_ceil(3);
            assert_eq!(
                c,
                GoldenCounts {
                    needs_review: n,
                    duplicates: n,
                    gold_gone: n,
                    unanswerable_answered: n,
                    leaks: n,
                    extractive_leaks: extractive,
                    leaked_questions: n - extractive,
                }
            );
            let listed = whole.clone().listed();
            let m = n.min(GOLDEN_LISTED);
            assert_eq!(listed.counts, c, "{n}: counts kept");
            assert_eq!(listed.needs_review[..], whole.needs_review[..m]);
            assert_eq!(listed.duplicates[..], whole.duplicates[..m]);
            assert_eq!(listed.gold_gone[..], whole.gold_gone[..m]);
            assert_eq!(
                listed.unanswerable_answered[..],
                whole.unanswerable_answered[..m]
            );
            let l = &listed.leakage;
            assert_eq!(
                l.leaked_questions[..],
                whole.leakage.leaked_questions[..(n - extractive).min(GOLDEN_LISTED)]
            );
            // The inflating leaks first, each kind in the order found.
            let (inflating, kept): (Vec<&Leak>, Vec<&Leak>) =
                whole.leakage.leaks.iter().partition(|x| !x.extractive);
            let expected: Vec<&Leak> = inflating.into_iter().chain(kept).take(m).collect();
            assert_eq!(l.leaks.iter().collect::<Vec<_>>(), expected, "{n}");
            assert_eq!(
                listed.clone().listed(),
                listed,
                "{n}: listing twice changes nothing"
            );

            let mut out = Vec::new();
            whole.write_jsonl(&mut out).unwrap();
            let lines: Vec<serde_json::Value> = String::from_utf8(out)
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect();
            let of = |list: &str| -> Vec<serde_json::Value> {
                lines
                    .iter()
                    .filter(|l| l["list"] == list)
                    .map(|l| {
                        let mut l = l.clone();
                        l.as_object_mut().unwrap().remove("list");
                        l
                    })
                    .collect()
            };
            fn json<T: Serialize>(v: &[T]) -> serde_json::Value {
                serde_json::to_value(v).unwrap()
            }
            assert_eq!(json(&of("needs_review")), json(&whole.needs_review[..]));
            assert_eq!(json(&of("duplicates")), json(&whole.duplicates[..]));
            assert_eq!(json(&of("gold_gone")), json(&whole.gold_gone[..]));
            assert_eq!(
                json(&of("unanswerable_answered")),
                json(&whole.unanswerable_answered[..])
            );
            assert_eq!(json(&of("leakage.leaks")), json(&whole.leakage.leaks[..]));
            let leaked: Vec<serde_json::Value> = whole
                .leakage
                .leaked_questions
                .iter()
                .map(|q| serde_json::json!({ "query_id": q }))
                .collect();
            assert_eq!(of("leakage.leaked_questions"), leaked);
            assert_eq!(lines.len(), 6 * n - extractive, "{n}: nothing else");
        }
    }
}
