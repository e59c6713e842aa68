//! Cost and latency of a traced system (`ragdiag diagnose --price`, trace mode).

use crate::Interval;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What the traced questions cost and how long they took, overall, per class and for correct
/// against wrong answers.
///
/// Cost is `prompt_tokens × prompt price + completion_tokens × completion price` per question
/// (prices per million tokens, `--price`), over the traced questions with token counts.
/// Intervals: the percentile bootstrap over questions (10,000 resamples, seeded): of the mean
/// (cost per question), of the ratio of total cost to correct answers (cost per correct answer,
/// resampling questions), and of the nearest-rank quantiles (latency p50 and p95).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CostLatency {
    /// The prices, per million tokens; `null` when `--price` was not given (then no cost).
    pub price: Option<Price>,
    /// Mean cost of a question, in the prices' currency.
    pub cost_per_question: Option<Interval>,
    /// Total cost divided by the number of correct answers (a ratio estimate; `null` without a
    /// correct answer).
    pub cost_per_correct_answer: Option<Interval>,
    /// Latency (ms) of the questions answered correctly.
    pub latency_correct: LatencyQuantiles,
    /// Latency (ms) of the questions answered wrongly (abstentions on answerable questions and
    /// answers to unanswerable ones included).
    pub latency_wrong: LatencyQuantiles,
    /// Per class, in DESIGN.md's order (classes with a traced question only).
    pub by_class: Vec<ClassCost>,
}

/// Token prices per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Price {
    /// Price of a million prompt tokens.
    pub prompt: f64,
    /// Price of a million completion tokens.
    pub completion: f64,
}

/// Latency quantiles (nearest rank) with bootstrap intervals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LatencyQuantiles {
    /// The median, ms.
    pub p50: Interval,
    /// The 95th percentile, ms.
    pub p95: Interval,
}

/// One class's cost and latency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ClassCost {
    /// The class.
    pub class: String,
    /// Mean cost of its questions (`null` without prices or token counts).
    pub cost: Option<Interval>,
    /// Latency of its questions.
    pub latency: LatencyQuantiles,
}
