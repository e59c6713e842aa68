//! The per-question input of the drill-down: what the `diagnose` command hands the renderer.

use ragdiag_diagnose::Class;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One question as the drill-down shows it.
///
/// Every field has a default, so a partial view (or one deserialised from a looser JSON) still
/// renders. Strings are shown verbatim after HTML escaping; nothing is interpreted as markup.
///
/// The class and flag names are DESIGN.md's snake_case names (`stale_source`,
/// `stale_in_context`, …) as plain strings, as `summary.json` and a looser JSON carry them. They
/// are parsed with `Class::from_name` / `Flag::from_name` for labels, colours and order; an
/// unknown name still renders (under its own heading, after the known failure classes).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct QuestionView {
    /// The question id (`Diagnosis::query_id`).
    #[serde(alias = "query_id")]
    pub id: String,
    /// The question text.
    pub text: String,
    /// The question's tags.
    pub tags: Vec<String>,
    /// The primary class (`Class::as_str`).
    pub class: String,
    /// The flags (`Flag::as_str`), in the order to show them.
    pub flags: Vec<String>,
    /// The rule that fired, as `ragdiag-diagnose` serialises it.
    pub rule: Option<RuleView>,
    /// The plain-language reason (`Diagnosis::reason`).
    pub reason: String,
    /// How "holds the evidence" was decided (`span_cover`, `relevant_document`, `answer_text`).
    pub evidence_rule: Option<String>,
    /// The gold evidence: the located spans' text, or quotes, or relevant documents.
    pub gold: Vec<GoldView>,
    /// The accepted answers.
    pub reference_answers: Vec<String>,
    /// The generated answer (trace mode).
    pub answer: Option<String>,
    /// The answer's assessment (trace mode).
    pub verdict: AnswerVerdict,
    /// What was retrieved, in rank order. Pass the context window and a few hits below it (and
    /// the best gold chunk when it is further down); the page shows every item given.
    pub retrieved: Vec<RetrievedView>,
    /// Per-question metrics (`recall@10` → 1.0), shown in key order.
    pub metrics: BTreeMap<String, f64>,
    /// The question's traffic weight (`None`: 1). The page shows the most weighted questions
    /// of a large class first.
    pub weight: Option<f64>,
}

impl QuestionView {
    /// The question counts as failing: its class is neither `ok`, nor `no_label`, nor
    /// `unanswerable` (see [`is_failing_class`]).
    #[must_use]
    pub fn is_failing(&self) -> bool {
        is_failing_class(&self.class)
    }
}

impl QuestionView {
    /// The question's traffic weight as the page ranks questions: its weight, 1 when unknown or
    /// not finite.
    pub(crate) fn traffic_weight(&self) -> f64 {
        crate::drill::traffic_weight(self.weight)
    }
}

/// Whether a class is a failure ([`Class::is_failure`]): `ok` is not; `no_label` (not scored)
/// and `unanswerable` (an unanswerable question with no answer to assess) are not failures
/// either. Every other name, including unknown ones, is.
#[must_use]
pub fn is_failing_class(class: &str) -> bool {
    Class::from_name(class).is_none_or(Class::is_failure)
}

/// The rule of the decision order that fired: `{"number": 5, "name": "stale_gold"}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RuleView {
    /// Its number in DESIGN.md's decision order (1 to 10).
    pub number: u32,
    /// Its machine name (`stale_version_in_window`, `below_window`, …).
    pub name: String,
}

/// One piece of gold evidence.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct GoldView {
    /// The document that holds it.
    pub doc: String,
    /// The evidence text (the located span's text or the quote); empty for a relevant-document
    /// label without evidence.
    pub text: String,
}

/// The assessment of the answer; `None` where it was not assessed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AnswerVerdict {
    /// The answer contains (or matches) an accepted answer.
    pub correct: Option<bool>,
    /// Every sentence is supported by the context window.
    pub grounded: Option<bool>,
    /// The answer declines to answer.
    pub abstained: Option<bool>,
}

/// One retrieved chunk.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RetrievedView {
    /// Rank, from 1.
    pub rank: usize,
    /// The document id.
    pub doc: String,
    /// The document title, if any.
    pub title: Option<String>,
    /// The chunk text (or an excerpt of it), shown in full.
    pub text: String,
    /// The retrieval score.
    pub score: Option<f64>,
    /// The document is stale (`Some(true)`), current (`Some(false)`) or undated (`None`).
    pub stale: Option<bool>,
    /// `superseded`, `expired` or `deleted`, when stale.
    pub stale_reason: Option<String>,
    /// The chunk holds the evidence.
    pub holds_evidence: bool,
    /// The chunk is inside the context window.
    pub in_window: bool,
    /// Code-point ranges `[start, end)` of `text` to mark as evidence. Ranges that are empty,
    /// reversed or out of bounds are clamped or dropped, and overlapping or touching ranges
    /// merged (see [`normalize_ranges`](crate::normalize_ranges)).
    pub highlight: Vec<(usize, usize)>,
}
