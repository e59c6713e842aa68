//! The JSON of `ragdiag eval --format json` and `--out DIR`'s `summary.json`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Version of the JSON written by `ragdiag eval`.
pub const EVAL_SCHEMA_VERSION: u32 = 1;

/// Runs evaluated against one qrels file, with intervals and paired tests against the first.
///
/// # Warning
///
/// A compatibility promise; a change bumps [`EVAL_SCHEMA_VERSION`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct EvalSummary {
    /// [`EVAL_SCHEMA_VERSION`] of the writer.
    pub schema_version: u32,
    /// The ragdiag version.
    pub ragdiag_version: String,
    /// The qrels path.
    pub qrels: String,
    /// The lowest grade counted as relevant (`-l`).
    pub relevance_level: i64,
    /// Whether queries missing from a run scored 0 (`-c`).
    pub complete: bool,
    /// How the intervals and tests were made.
    pub statistics: EvalStatistics,
    /// One entry per run, in command-line order.
    pub runs: Vec<EvalRun>,
    /// Each later run against the first, per measure.
    pub comparisons: Vec<EvalComparison>,
}

/// How the intervals and tests were made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct EvalStatistics {
    /// The methods, in words (the correction family included).
    pub method: String,
    /// Bootstrap resamples and randomization permutations.
    pub resamples: usize,
    /// The seed.
    pub seed: u64,
    /// The confidence level of the intervals.
    pub confidence: f64,
}

/// One evaluated run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct EvalRun {
    /// The run's path.
    pub path: String,
    /// Its tag (the run file's last column).
    pub tag: String,
    /// Queries evaluated.
    pub num_queries: usize,
    /// Each measure's `all` value, by trec_eval name.
    pub summary: BTreeMap<String, MeasureValue>,
    /// Each query's values, by query id then measure (with `-q`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_query: Option<BTreeMap<String, BTreeMap<String, Option<f64>>>>,
}

/// A measure's `all` value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum MeasureValue {
    /// `runid`: the run's tag.
    Runid(String),
    /// A ratio measure with its 95% percentile bootstrap interval over queries.
    Interval {
        /// The value (trec_eval's `all` line; `null` when not a number).
        value: Option<f64>,
        /// The lower bound of the interval.
        #[serde(deserialize_with = "required")]
        ci_lower: Option<f64>,
        /// The upper bound of the interval.
        #[serde(deserialize_with = "required")]
        ci_upper: Option<f64>,
        /// Queries behind it.
        n: usize,
    },
    /// A count, or a measure without an interval.
    Point {
        /// The value (trec_eval's `all` line; `null` when not a number).
        value: Option<f64>,
        /// Queries behind it.
        n: usize,
    },
}

/// A field that must be present, possibly `null`.
fn required<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    Option::<f64>::deserialize(d)
}

/// One measure of one run against the first run, on the queries both evaluated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct EvalComparison {
    /// The first run's path.
    pub baseline: String,
    /// This run's path.
    pub run: String,
    /// The measure's trec_eval name.
    pub measure: String,
    /// Paired queries.
    pub n: usize,
    /// The first run's mean.
    pub mean_baseline: f64,
    /// This run's mean.
    pub mean_run: f64,
    /// Mean paired difference, this run − the first.
    pub diff: f64,
    /// Lower bound of its 95% paired-bootstrap interval.
    pub diff_ci_lower: f64,
    /// Upper bound of its 95% paired-bootstrap interval.
    pub diff_ci_upper: f64,
    /// Two-sided p-value of the paired randomization test.
    pub p_randomization: f64,
    /// Two-sided p-value of the paired bootstrap.
    pub p_bootstrap: f64,
    /// The randomization p-value after Holm's correction.
    pub p_holm: f64,
    /// Mean difference over the differences' standard deviation.
    pub effect_size: Option<f64>,
    /// Queries where this run is higher.
    pub wins: usize,
    /// Queries where this run is lower.
    pub losses: usize,
    /// Queries with equal values.
    pub ties: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measure_values_read_back_as_they_were_written() {
        for v in [
            MeasureValue::Runid("bm25".into()),
            MeasureValue::Interval {
                value: Some(0.5),
                ci_lower: None,
                ci_upper: Some(0.7),
                n: 9,
            },
            MeasureValue::Point {
                value: Some(12.0),
                n: 9,
            },
        ] {
            let json = serde_json::to_value(&v).unwrap();
            assert_eq!(serde_json::from_value::<MeasureValue>(json).unwrap(), v);
        }
    }
}
