//! Retrieval metrics that agree with trec_eval, and the statistics that make them honest.
//!
//! This crate does no I/O and knows no index, model or file format: it takes judgments
//! ([`ragdiag_core::QueryJudgments`]) and ranked lists of `(docno, score)` and returns numbers.
//!
//! - [`MeasureSet`] parses trec_eval 10.0 measure requests with their parameters (`map`,
//!   `P.5,10`, `iprec_at_recall..1,.25`, `ndcg.1=3,2=9`, the sets `official`, `set` and
//!   `all_trec`) and DESIGN.md's names (`ndcg@10`, `p@5`, `mrr`), and lists the output
//!   [`Column`]s in trec_eval's print order.
//! - [`evaluate_topic`] ranks one query's documents as trec_eval does (score descending, then
//!   docno descending; the file's rank column is ignored) and computes every column.
//! - [`aggregate`] averages (or sums) per-query values exactly as trec_eval's `all` line does.
//! - [`span`] computes Chroma's span metrics for chunking (recall, precision, IoU,
//!   precision-Ω) over code-point ranges.
//! - [`chunking`] is the index-free half of `ragdiag chunking`: its metrics, each question's
//!   values for one strategy's retrieval, and the intervals and paired tests across strategies.
//! - [`power`] plans question counts: the questions a comparison needs and the smallest
//!   difference a question set detects (proportions paired and unpaired, means).
//! - [`stats`] holds Wilson intervals, the percentile bootstrap, the paired randomization test, the paired
//!   bootstrap, effect sizes and Holm's correction.
//!
//! ```
//! use ragdiag_core::QueryJudgments;
//! use ragdiag_eval::{evaluate_topic, EvalParams, MeasureSet, Ranked};
//!
//! let mut judged = QueryJudgments::default();
//! judged.insert("d1", 1);
//! judged.insert("d3", 2);
//! let measures = MeasureSet::parse(&["map", "ndcg_cut.10", "P.1"])?;
//! let mut ranking = vec![Ranked::new("d1", 0.9), Ranked::new("d2", 0.8), Ranked::new("d3", 0.7)];
//! let values = evaluate_topic(&judged, &mut ranking, &measures, &EvalParams::default())?;
//! let map = values[measures.index_of("map").unwrap()];
//! assert!((map - (1.0 + 2.0 / 3.0) / 2.0).abs() < 1e-12);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod aggregate;
pub mod chunking;
pub mod coded;
pub mod golden;
mod measure;
pub mod power;
mod ranking;
mod report;
pub mod span;
pub mod stats;
mod topic;
pub mod zscore;

pub use aggregate::{aggregate, Aggregate, TopicValues};
pub use measure::{alias_of, Column, Kind, MeasureError, MeasureSet, Unit};
pub use ranking::{
    fmt_score, intervals_of, metric_table, per_query_values, sort_trec, trec_run, write_trec_run,
    DocRanking, MetricTable, PerQuery, QueryValues, TableError,
};
pub use report::{csv_field, trec_eval_text, EvalMeta, Evaluation, RunEval};
pub use span::{span_scores, SpanScores};
pub use topic::{evaluate_topic, relstring, DuplicateDoc, EvalParams, Ranked};
