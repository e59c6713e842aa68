//! The shape of every estimated figure: a mean, its 95% interval and its sample size.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A mean with its 95% confidence interval over `n` questions.
///
/// `mean`, `ci_lower` and `ci_upper` are `null` when `n` is 0 (nothing to estimate) and never
/// non-finite: a non-finite value is written as `null`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Interval {
    /// The (weighted) mean.
    pub mean: Option<f64>,
    /// The lower bound of the 95% interval.
    pub ci_lower: Option<f64>,
    /// The upper bound of the 95% interval.
    pub ci_upper: Option<f64>,
    /// The number of questions (or units) behind the figure.
    pub n: usize,
}

impl Interval {
    /// An estimate with its bounds.
    #[must_use]
    pub fn of(mean: f64, ci_lower: f64, ci_upper: f64, n: usize) -> Interval {
        let finite = |v: f64| v.is_finite().then_some(v);
        Interval {
            mean: finite(mean),
            ci_lower: finite(ci_lower),
            ci_upper: finite(ci_upper),
            n,
        }
    }

    /// Nothing to estimate: every figure `null`, `n` 0.
    #[must_use]
    pub fn empty() -> Interval {
        Interval::default()
    }
}
