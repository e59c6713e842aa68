//! `trend.json` of `ragdiag trend`: diagnose reports over time.

use crate::{CompareGate, Interval, Mode};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Version of the `trend.json` written by `trend --out`.
pub const TREND_SCHEMA_VERSION: u32 = 1;

/// Dated diagnose reports in date order, with each consecutive step tested question by question.
///
/// # Warning
///
/// A compatibility promise; a change of a field's name, type or meaning bumps
/// [`TREND_SCHEMA_VERSION`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TrendSummary {
    /// [`TREND_SCHEMA_VERSION`] of the writer.
    pub schema_version: u32,
    /// The runs, oldest first (ties keep the command line's order).
    pub runs: Vec<TrendRun>,
    /// Each run against the one before it (`steps[i]` compares `runs[i]` with `runs[i + 1]`).
    pub steps: Vec<TrendStep>,
    /// The `--fail-on-regression` gates, per step.
    pub gates: Vec<CompareGate>,
    /// The seed of the paired tests.
    pub seed: u64,
}

/// One dated report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TrendRun {
    /// The report's folder, as given.
    pub dir: String,
    /// The report's name (`summary.json`'s `name`, else the folder).
    pub name: String,
    /// The run's date, `YYYY-MM-DD`.
    pub date: String,
    /// Where the date came from: `created_at` (the report's `provenance.created_at`) or
    /// `override` (`--date`).
    pub date_source: String,
    /// `trace` or `replay`.
    pub mode: Mode,
    /// The context window.
    pub context_k: usize,
    /// Questions read.
    pub questions: usize,
    /// The report's headline metrics as `summary.json` holds them (Wilson for hit rates,
    /// bootstrap for graded means), plus `answer_correct` (`generation.correct`, trace mode).
    pub metrics: BTreeMap<String, Interval>,
    /// Each failure class's share of the assessed questions with its Wilson interval (`n`: the
    /// assessed questions); `no_label` and `unanswerable` have no share and are left out.
    pub classes: BTreeMap<String, Interval>,
}

/// One run against the run before it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TrendStep {
    /// The earlier run's index in `runs`.
    pub from: usize,
    /// The later run's index in `runs`.
    pub to: usize,
    /// Questions both runs hold.
    pub shared_questions: usize,
    /// Questions only the earlier run holds.
    pub only_before: usize,
    /// Questions only the later run holds.
    pub only_after: usize,
    /// Whether the step was tested question by question (`false` when the runs share no
    /// question: their metrics are not comparable pair by pair and no test is made).
    pub paired: bool,
    /// Whether the class shares of the two runs mean the same thing (`false` between a trace
    /// and a replay report: replay assesses no answers).
    pub classes_comparable: bool,
    /// Why the step is not, or only partly, comparable; empty when it is.
    pub notes: Vec<String>,
    /// One paired test per metric both runs scored, Holm-corrected across every step and
    /// metric of the trend as one family.
    pub comparisons: Vec<TrendComparison>,
    /// Whether any metric regressed in this step.
    pub regression: bool,
}

/// One metric of one step, paired on the shared questions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TrendComparison {
    /// The metric (`hit@5`, `mrr`, …).
    pub metric: String,
    /// The earlier run's mean over the shared questions.
    pub mean_before: f64,
    /// The later run's mean over the shared questions.
    pub mean_after: f64,
    /// Mean paired difference, later − earlier.
    pub difference: f64,
    /// Lower bound of its 95% paired-bootstrap interval.
    pub ci_lower: f64,
    /// Upper bound of its 95% paired-bootstrap interval.
    pub ci_upper: f64,
    /// Paired questions.
    pub n: usize,
    /// The paired randomization test's p-value after Holm's correction.
    pub p_holm: f64,
    /// A regression: the metric dropped with Holm p < 0.05.
    pub regression: bool,
}
