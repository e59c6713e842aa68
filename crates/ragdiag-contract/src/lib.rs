//! The report contracts of ragdiag: what its commands write for other programs to read.
//!
//! Every `summary.json` is one of the serde types here, written and read through the same type,
//! so a renamed or retyped field is a compile error in every reader (the gates, the headline,
//! the renderers, `ragdiag compare`) rather than a silent `null`. Each summary carries a
//! `schema_version`; a JSON Schema generated from the types ([`json_schemas`]) is published in
//! the repository's `schemas/` folder and checked against the code by a test.
//!
//! The Parquet files beside the summaries are declared once, as [`Table`]s of [`ColumnDef`]s,
//! in [`table`]: names, types, nullability and which columns are metrics. The writers and the
//! reader of `ragdiag compare` both go through these declarations.
//!
//! - [`DiagnoseSummary`]: `ragdiag diagnose`'s `summary.json`.
//! - [`CompareSummary`]: `ragdiag compare --out`'s `summary.json`.
//! - [`freshness::FreshnessSummary`]: `ragdiag freshness`'s `summary.json`.
//! - [`chunking::ChunkingSummary`]: `ragdiag chunking`'s `summary.json`.
//! - [`eval::EvalSummary`]: `ragdiag eval --format json` (and `--out`'s `summary.json`).
//! - [`Interval`]: a mean with its 95% interval (Wilson score for proportions, percentile
//!   bootstrap for means of graded metrics) and sample size, the shape of every
//!   estimated figure.
//!
//! # Warning
//!
//! Everything here is a compatibility promise: a change to a field's name, type or meaning
//! bumps the summary's `SCHEMA_VERSION`.
//!
//! ```
//! use ragdiag_contract::{DiagnoseSummary, Interval};
//!
//! let iv = Interval::of(0.78, 0.71, 0.84, 121);
//! assert_eq!(serde_json::to_value(iv)?, serde_json::json!(
//!     {"mean": 0.78, "ci_lower": 0.71, "ci_upper": 0.84, "n": 121}));
//! assert_eq!(Interval::empty().n, 0);
//! // The generated schema names every top-level field of the summary.
//! let schema = serde_json::to_value(schemars::schema_for!(DiagnoseSummary))?;
//! assert!(schema["properties"]["metrics"].is_object());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod chunking;
mod compare;
mod cost;
mod diagnose;
pub mod eval;
mod fix;
pub mod freshness;
mod gates;
mod golden;
mod interval;
mod rerank;
pub mod table;
mod threshold;
pub mod trend;

pub use compare::{
    ClassChange, CompareGate, CompareSummary, Comparison, Efficiency, NotCompared,
    COMPARE_SCHEMA_VERSION,
};
pub use cost::{ClassCost, CostLatency, LatencyQuantiles, Price};
pub use diagnose::{
    ClassEntry, DiagnoseSummary, FlagEntry, Gate, GateOn, Generation, Latency, Mode, Provenance,
    QuestionCounts, RecallPoint, RetrievalFreshness, StaleHitRate, TagEntry, Tokens,
    DIAGNOSE_SCHEMA_VERSION,
};
pub use fix::{FixAction, FixKind, FixPage, LISTED_IDS};
pub use gates::Gates;
pub use golden::{
    AnsweredNow, Coverage, DuplicateGroup, GoldGone, GoldenCounts, GoldenSet, Leak, Leakage,
    ReviewLabel, GOLDEN_LISTED,
};
pub use interval::Interval;
pub use rerank::{RerankShare, RerankerImpact};
pub use table::{Column, ColumnDef, ColumnKind, Role, Table, Values};
pub use threshold::{
    Review, ReviewItem, TagThreshold, ThresholdPoint, ThresholdTarget, Thresholds, REVIEW_LISTED,
};

/// Every published JSON Schema: its file name in `schemas/` and the schema, generated from the
/// types.
#[must_use]
pub fn json_schemas() -> Vec<(&'static str, serde_json::Value)> {
    let to_value = |s: schemars::Schema| s.to_value();
    vec![
        (
            "diagnose-summary.schema.json",
            to_value(schemars::schema_for!(DiagnoseSummary)),
        ),
        (
            "compare-summary.schema.json",
            to_value(schemars::schema_for!(CompareSummary)),
        ),
        (
            "eval-summary.schema.json",
            to_value(schemars::schema_for!(eval::EvalSummary)),
        ),
        (
            "freshness-summary.schema.json",
            to_value(schemars::schema_for!(freshness::FreshnessSummary)),
        ),
        (
            "chunking-summary.schema.json",
            to_value(schemars::schema_for!(chunking::ChunkingSummary)),
        ),
        (
            "trend-summary.schema.json",
            to_value(schemars::schema_for!(trend::TrendSummary)),
        ),
    ]
}
