//! `summary.json` of `ragdiag compare --out`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Version of the `summary.json` written by `compare --out`.
///
/// 2: `classes_not_compared` (reports of another mode than the baseline's).
/// 3: `efficiency` (cost and latency per correct answer, paired against the baseline).
pub const COMPARE_SCHEMA_VERSION: u32 = 3;

/// Reports compared question by question against the first.
///
/// # Warning
///
/// A compatibility promise; a change bumps [`COMPARE_SCHEMA_VERSION`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CompareSummary {
    /// [`COMPARE_SCHEMA_VERSION`] of the writer.
    pub schema_version: u32,
    /// The baseline report's folder.
    pub baseline: String,
    /// Every report's folder, the baseline first.
    pub reports: Vec<String>,
    /// One paired comparison per (report, metric), Holm-corrected across all of them.
    pub comparisons: Vec<Comparison>,
    /// Questions whose class differs from the baseline's.
    pub class_changes: Vec<ClassChange>,
    /// Reports whose classes are not compared with the baseline's, and why: a replay report
    /// against a trace report (or the reverse) — replay assesses no answers, so a trace's
    /// `generation_failure` would read as `ok` there and be called "fixed". Their metrics are
    /// still compared.
    #[serde(default)]
    pub classes_not_compared: Vec<NotCompared>,
    /// Quality per dollar and per second: cost and latency per correct answer of each report
    /// against the baseline, paired on the shared questions (trace reports with answers, and
    /// for cost a `--price`).
    #[serde(default)]
    pub efficiency: Vec<Efficiency>,
    /// The `--fail-on-regression` gates.
    pub gates: Vec<CompareGate>,
    /// The seed of the paired tests.
    pub seed: u64,
}

/// A report whose classes are not compared with the baseline's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct NotCompared {
    /// The report's folder.
    pub report: String,
    /// Why, in a sentence.
    pub reason: String,
}

/// One metric of one report against the baseline, on the questions both scored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Comparison {
    /// The baseline's name.
    pub baseline: String,
    /// The report's name.
    pub report: String,
    /// The metric (`hit@5`, `ndcg@10`, …).
    pub metric: String,
    /// The baseline's mean.
    pub mean_baseline: f64,
    /// The report's mean.
    pub mean: f64,
    /// Mean paired difference, report − baseline.
    pub difference: f64,
    /// Lower bound of its 95% paired-bootstrap interval.
    pub ci_lower: f64,
    /// Upper bound of its 95% paired-bootstrap interval.
    pub ci_upper: f64,
    /// Paired questions.
    pub n: usize,
    /// Two-sided p-value of the paired randomization test.
    pub p_randomization: f64,
    /// Two-sided p-value of the paired bootstrap.
    pub p_bootstrap: f64,
    /// The randomization p-value after Holm's correction.
    pub p_holm: f64,
    /// Mean difference over the differences' standard deviation.
    pub effect_size: Option<f64>,
    /// Questions where the report is higher.
    pub wins: usize,
    /// Questions where the report is lower.
    pub losses: usize,
    /// Questions with equal values.
    pub ties: usize,
}

/// A question whose class changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ClassChange {
    /// The report's name.
    pub report: String,
    /// The report's position in the command line (the baseline is 0).
    pub report_index: usize,
    /// The question id.
    pub query: String,
    /// `fixed` (to `ok`), `regressed` (from `ok`) or `changed`.
    pub kind: String,
    /// The baseline's class.
    pub from: String,
    /// The report's class.
    pub to: String,
    /// The report's reason.
    pub reason: String,
}

/// One `--fail-on-regression` gate of one report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CompareGate {
    /// The report's name.
    pub report: String,
    /// The metric as given.
    pub metric: String,
    /// The largest drop allowed.
    pub max_drop: f64,
    /// The drop measured (baseline − report).
    pub drop: f64,
    /// The Holm-corrected p-value of the drop.
    pub p_holm: f64,
    /// Whether the gate passed.
    pub passed: bool,
}

/// One report's cost or latency per correct answer against the baseline's.
///
/// Over the questions both reports hold with the figure and a judged answer
/// (`queries.parquet`'s `cost` or `latency_ms`, and `answer_correct`): the figure summed over
/// those questions divided by their correct answers, in each report. The difference (report −
/// baseline) has a 95% paired percentile bootstrap interval: each resample draws the shared
/// questions once and recomputes both ratios on them (unweighted; resamples with no correct
/// answer are left out).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Efficiency {
    /// The report's name.
    pub report: String,
    /// `cost_per_correct_answer` (currency of `--price`) or `latency_ms_per_correct_answer`
    /// (milliseconds of waiting per correct answer).
    pub figure: String,
    /// The baseline's figure (`null` when it has no correct answer on these questions).
    pub baseline: Option<f64>,
    /// The report's figure (`null` when it has no correct answer on these questions).
    pub value: Option<f64>,
    /// Correct answers of the baseline on these questions.
    pub correct_baseline: usize,
    /// Correct answers of the report on these questions.
    pub correct: usize,
    /// `value − baseline` with its paired bootstrap interval; `n`: the shared questions.
    pub difference: crate::Interval,
}
