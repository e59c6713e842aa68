//! Freshness figures shared by `ragdiag freshness` and `ragdiag diagnose`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A share with its 95% bootstrap interval, as `ragdiag freshness` writes it (`value`, where
/// the other summaries say `mean`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Estimate {
    /// The mean share.
    pub value: Option<f64>,
    /// The lower bound of the 95% interval.
    pub ci_lower: Option<f64>,
    /// The upper bound of the 95% interval.
    pub ci_upper: Option<f64>,
    /// The number of questions.
    pub n: usize,
}

impl From<crate::Interval> for Estimate {
    fn from(i: crate::Interval) -> Estimate {
        Estimate {
            value: i.mean,
            ci_lower: i.ci_lower,
            ci_upper: i.ci_upper,
            n: i.n,
        }
    }
}

impl From<Estimate> for crate::Interval {
    fn from(e: Estimate) -> crate::Interval {
        crate::Interval {
            mean: e.value,
            ci_lower: e.ci_lower,
            ci_upper: e.ci_upper,
            n: e.n,
        }
    }
}

/// Staleness inside what retrieval returned (document rankings, best first, per question).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RetrievalStaleness {
    /// The depth of the figures.
    pub k: usize,
    /// Questions audited.
    pub questions: usize,
    /// The mean share of stale documents in each question's top `k`.
    pub stale_hit_rate_at_k: Estimate,
    /// The share of questions whose top document is stale.
    pub top_hit_stale_share: Estimate,
    /// How many superseded documents rank above their current version (or without it).
    pub superseded_ranked_above_current: usize,
    /// Each of them.
    pub superseded_above_current: Vec<SupersededAbove>,
    /// How many hits are on deleted or unknown documents.
    pub ghost_citations: usize,
    /// Each of them.
    pub ghosts: Vec<Ghost>,
    /// Live documents that no question retrieved in its top `k`, in id order.
    pub never_retrieved_live_documents: Vec<String>,
}

/// A superseded document ranked above its current version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SupersededAbove {
    /// The question.
    pub query: String,
    /// The superseded document.
    pub stale: String,
    /// Its rank, from 1.
    pub stale_rank: usize,
    /// The document that supersedes it.
    pub current: String,
    /// Its rank, or `null` when it is not in the top `k`.
    pub current_rank: Option<usize>,
}

/// A hit on a deleted or unknown document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Ghost {
    /// The question.
    pub query: String,
    /// The rank, from 1.
    pub rank: usize,
    /// The document id.
    pub doc: String,
    /// `deleted` or `not in the corpus`.
    pub why: String,
}
