//! The `golden_set` block of the diagnose summary: the state of the labels under the figures.

use crate::Interval;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The golden-set panel: coverage, labels needing re-review, duplicate questions, gold pages
/// deleted or superseded, unanswerable questions the corpus now answers, and leakage. Every
/// list is complete here (the HTML page caps what it shows).
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
    /// made (only labels carrying `doc_hash` can be found changed).
    pub needs_review: Vec<ReviewLabel>,
    /// judged@k of this report's ranking: the mean share of each question's top k documents
    /// that carry a judgment (bootstrap interval over questions).
    pub coverage: Vec<Coverage>,
    /// Word 3-shingle Jaccard at or above which two questions are near-duplicates.
    pub near_duplicate_threshold: f64,
    /// Groups of questions that are the same after normalisation (`exact`: lower-cased
    /// alphanumeric words) or near-duplicates (`near`).
    pub duplicates: Vec<DuplicateGroup>,
    /// Gold pages (judged relevant, or holding evidence) that are missing, deleted or
    /// superseded by a newer version.
    pub gold_gone: Vec<GoldGone>,
    /// Questions labelled unanswerable whose reference answer or evidence quote the corpus now
    /// holds.
    pub unanswerable_answered: Vec<AnsweredNow>,
    /// Questions or reference answers copied into the corpus.
    pub leakage: Leakage,
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
    /// Every leak found, extractive ones included.
    pub leaks: Vec<Leak>,
    /// Questions whose metrics leakage inflates (leaks that are not extractive).
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
