//! The score-floor sweep of `ragdiag diagnose` (trace mode): where a system that abstains
//! below a retrieval-score floor would stand, floor by floor.

use crate::Interval;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Thresholds and abstention: a floor on the top hit's retrieval score below which the system
/// would decline to answer, swept over the observed scores.
///
/// A question takes part when the trace gives its top hit a score and its answer can be
/// judged: an answerable question with a reference answer (correct or not), or an unanswerable
/// one (answering it is a false answer, abstaining is correct). At a floor `f`, a question whose
/// top score is below `f` abstains; one at or above keeps the trace's own answer (which may
/// itself abstain). Scores are read as "higher is more confident". Every share carries a 95%
/// Wilson interval and its `n`; the figures are unweighted (one question, one vote).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Thresholds {
    /// Questions taking part (a top score and a judgeable answer).
    pub n: usize,
    /// Of them, unanswerable questions.
    pub n_unanswerable: usize,
    /// Judgeable questions left out because their top hit has no score.
    pub without_score: usize,
    /// What the recommendation aims for.
    pub target: ThresholdTarget,
    /// The figures at the operating point named by `--score-floor` (or `score_floor` in
    /// `ragdiag.toml`); `null` when none is named.
    #[serde(default)]
    pub current: Option<ThresholdPoint>,
    /// The lowest swept floor that meets the target with its confidence bound (accuracy: the
    /// lower bound ≥ the target; false-answer rate: the upper bound ≤ the maximum); `null` when
    /// no floor does.
    #[serde(default)]
    pub recommended: Option<ThresholdPoint>,
    /// Every swept floor, ascending: first no floor (`floor` null: the trace as it ran), then
    /// each distinct top score (at most 100, at quantiles of the scores when there are more).
    pub sweep: Vec<ThresholdPoint>,
    /// The same recommendation per question tag (tag order), with the figures of the overall
    /// recommended floor for that tag's questions.
    pub by_tag: Vec<TagThreshold>,
}

/// The target of the recommendation: `--target-accuracy` or `--max-false-answer-rate`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum ThresholdTarget {
    /// The accuracy of the answered questions: its 95% lower bound must reach this.
    Accuracy(f64),
    /// The false-answer rate over all questions: its 95% upper bound must stay at or below
    /// this.
    MaxFalseAnswerRate(f64),
}

/// The figures at one floor.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ThresholdPoint {
    /// The floor on the top hit's score; `null`: no floor.
    pub floor: Option<f64>,
    /// Questions answered at this floor.
    pub answered: usize,
    /// The share of questions answered (over `n`).
    pub coverage: Interval,
    /// The share of correct answers among the answered (an answer to an unanswerable
    /// question is wrong).
    pub accuracy: Interval,
    /// The share of the unanswerable questions that abstain (by the floor or by the system).
    pub correct_abstention: Interval,
    /// The share of all questions given a wrong answer (false answers, hallucinations
    /// included), over `n`.
    pub false_answer_rate: Interval,
}

/// One tag's thresholds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TagThreshold {
    /// The tag.
    pub tag: String,
    /// Questions with the tag taking part.
    pub n: usize,
    /// The tag's own recommended floor (`null` when none meets the target).
    #[serde(default)]
    pub recommended: Option<ThresholdPoint>,
    /// The tag's figures at the overall recommended floor (at no floor when there is none).
    pub at_overall: ThresholdPoint,
}

/// At most this many queued questions are listed in `review.items` (`review.queued` counts
/// them all; `review.csv` has every row).
pub const REVIEW_LISTED: usize = 100;

/// The review queue: the questions a person should look at, because the system's decision on
/// them sits near the chosen score floor or their class rests on a weak signal. Ordered by
/// traffic weight (heaviest first), then question id; `review.csv` holds the same rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Review {
    /// The floor the band is around: `--score-floor` when named, else the recommended floor;
    /// `null` when there is neither (then no question is queued for `near_floor`).
    pub floor: Option<f64>,
    /// The band's half-width: 5% of the range of the top scores (`null` without a floor).
    pub band: Option<f64>,
    /// The distance from a threshold under which answer F1 or a sentence's grounded token share
    /// counts as borderline.
    pub margin: f64,
    /// Queued questions per reason (`near_floor`, `normalised_quote`, `borderline_f1`,
    /// `borderline_grounding`); a question may have several.
    pub reasons: std::collections::BTreeMap<String, usize>,
    /// How many questions are queued.
    #[serde(default)]
    pub queued: usize,
    /// The queued questions: the first [`REVIEW_LISTED`] (schema 5: all of them).
    pub items: Vec<ReviewItem>,
}

/// One queued question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ReviewItem {
    /// The question.
    pub query_id: String,
    /// Its traffic weight.
    pub weight: f64,
    /// Its class.
    pub class: String,
    /// Its top hit's score, when known.
    pub top_score: Option<f64>,
    /// Why it is queued (the reasons' names).
    pub reasons: Vec<String>,
    /// The reasons in words, with the figures behind them.
    pub detail: String,
}
