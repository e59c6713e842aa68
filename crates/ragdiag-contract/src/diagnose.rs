//! `summary.json` of `ragdiag diagnose`.

use crate::Interval;
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::BTreeMap;

/// Version of `summary.json`, `queries.parquet` and `hits.parquet` written by `diagnose`.
///
/// 2: every proportion carries a Wilson score interval (1: percentile bootstrap); class shares
/// are over the assessed questions (`questions.not_assessed` added); flags carry their share.
/// 3: `reranker` (trace `candidates`), `fix_first`, the flags `reranker_demoted_gold` and
/// `reranker_promoted_gold`, and the `queries.parquet` columns `pre_rerank_gold_rank` and
/// `reranker_effect`; `thresholds` (the score-floor sweep of trace mode), `review` (the review
/// queue) and `cost` (cost and latency with intervals); `provenance.trace_format`.
/// 4: `golden_set` (coverage, labels needing re-review, duplicates, gold pages gone,
/// unanswerable questions now answered, leakage); the `queries.parquet` columns `latency_ms`
/// and `cost` (per question, for `compare`).
/// 5: `provenance.ann_build_seconds` and `provenance.ann_build_threads` (the HNSW graph's
/// build, when the replay searched one).
/// 6: `review.queued`, and `review.items` lists the first `REVIEW_LISTED` (100) of them;
/// `fix_first[].pages[].questions`, and the actions' and pages' `queries` list the first
/// `LISTED_IDS` (50): `summary.json` no longer grows with the questions (issue 15).
/// 7: `golden_set.counts`, and each list of `golden_set` holds its first `GOLDEN_LISTED` (100)
/// entries (the leaks that are not extractive first); `golden.jsonl` has every one (6 listed
/// them all in `summary.json`, which grew with the questions through them).
pub const DIAGNOSE_SCHEMA_VERSION: u32 = 7;

/// What `ragdiag diagnose` found, as written to `summary.json`.
///
/// # Figures and intervals
///
/// Every [`Interval`] and share is a point estimate with a 95% interval. Proportions (a share of
/// questions, or of hits, with a yes/no outcome) carry a **Wilson score interval**, which is not
/// degenerate at 0/n or n/n (0 of 7 is 0.0%, 95% CI 0.0–35.4%; 1 of 1 is 100%, 20.7–100%);
/// weighted ones use Kish's effective sample size. Means of graded metrics carry the 95%
/// **percentile bootstrap** over questions (10,000 resamples, seeded). Per field:
///
/// | Figure | Interval |
/// |---|---|
/// | `metrics["hit@K"]`, `recall_curve` | Wilson, weighted |
/// | `metrics` from trec_eval (`recall@k`, `ndcg@10`, `mrr`, `map`) | bootstrap, weighted |
/// | `classes.*.share`, `flags.*.share` | Wilson, weighted |
/// | `by_tag[].hit_rate` | Wilson |
/// | `freshness.stale_hit_rate`, `freshness.top_hit_stale_share` | Wilson |
/// | `generation.correct`, `.grounded`, `.abstained` | Wilson |
/// | `thresholds.*.coverage`, `.accuracy`, `.correct_abstention`, `.false_answer_rate` | Wilson |
/// # Warning
///
/// A compatibility promise: `ragdiag compare`, CI gates and users' scripts read it. A change of
/// a field's name, type or meaning bumps [`DIAGNOSE_SCHEMA_VERSION`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DiagnoseSummary {
    /// [`DIAGNOSE_SCHEMA_VERSION`] of the writer.
    pub schema_version: u32,
    /// `trace` (what the team's system retrieved and answered) or `replay` (ragdiag's own
    /// retrieval).
    pub mode: Mode,
    /// The report's name: its folder's name.
    pub name: Option<String>,
    /// How many questions were read and scored.
    pub questions: QuestionCounts,
    /// The context window: the top this many chunks.
    pub context_k: usize,
    /// The candidate pool of replays.
    pub pool_k: usize,
    /// Retrieval metrics by name (`hit@5`, `recall@10`, `ndcg@10`, `mrr`, `map`, …).
    pub metrics: BTreeMap<String, Interval>,
    /// The evidence hit rate at growing depths.
    pub recall_curve: Vec<RecallPoint>,
    /// Each failure class (DESIGN.md's names) with its count and share of the assessed
    /// questions (Wilson interval).
    pub classes: BTreeMap<String, ClassEntry>,
    /// Each flag with the number of questions carrying it and their share of all questions
    /// (Wilson interval).
    pub flags: BTreeMap<String, FlagEntry>,
    /// Freshness of the corpus and of what was retrieved.
    pub freshness: RetrievalFreshness,
    /// The evidence hit rate and failures per question tag, in tag order.
    pub by_tag: Vec<TagEntry>,
    /// Answer quality (trace mode only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generation: Option<Generation>,
    /// Latency of the traced system (trace mode only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<Latency>,
    /// Token use of the traced system (trace mode only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens: Option<Tokens>,
    /// What to fix first: actions ranked by the traffic weight of the failing questions each
    /// would address.
    #[serde(default)]
    pub fix_first: Vec<crate::FixAction>,
    /// What the reranker did (trace mode, when the trace has `candidates`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reranker: Option<crate::RerankerImpact>,
    /// Thresholds and abstention: the score-floor sweep (trace mode, with scores and judgeable
    /// answers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thresholds: Option<crate::Thresholds>,
    /// The review queue: questions near the score floor or whose class rests on a weak signal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<crate::Review>,
    /// Cost (with `--price`) and latency per question, per correct answer and per class (trace
    /// mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<crate::CostLatency>,
    /// The golden set under the figures: coverage, labels needing re-review, duplicates, gold
    /// pages gone, unanswerable questions now answered, leakage (questions from a ragdiag
    /// questions file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub golden_set: Option<crate::GoldenSet>,
    /// The `--fail-under` gates and whether each passed.
    pub gates: Vec<Gate>,
    /// The plain-language summary, one sentence group per line.
    pub headline: Vec<String>,
    /// Problems of meaning found in the inputs.
    pub warnings: Vec<String>,
    /// What produced the report.
    pub provenance: Provenance,
}

/// Where the retrieved lists came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// What the team's system retrieved and answered.
    Trace,
    /// ragdiag's own chunker, embeddings and retriever.
    Replay,
}

/// Question counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct QuestionCounts {
    /// Questions read.
    pub total: usize,
    /// Questions with labels (every class but `no_label`).
    pub scored: usize,
    /// Questions without any label.
    pub no_label: usize,
    /// Scored questions that could not be assessed: unanswerable questions with no answer to
    /// judge (class `unanswerable`; every one in replay mode). Counted and shown, neither ok
    /// nor failures, and left out of the class shares.
    #[serde(default)]
    pub not_assessed: usize,
    /// Scored questions that are answerable: the denominator of the hit rates.
    pub retrieval_scored: usize,
}

/// One depth of the evidence hit-rate curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RecallPoint {
    /// The depth.
    pub k: usize,
    /// The share of questions with evidence in the top `k` (Wilson interval, weighted).
    #[serde(flatten)]
    pub rate: Interval,
}

/// One failure class.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ClassEntry {
    /// Questions of this class.
    pub count: usize,
    /// Its weighted share of the assessed questions (absent for `no_label`, which is not
    /// scored, and `unanswerable`, which is not assessed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share: Option<f64>,
    /// The lower bound of the share's 95% Wilson interval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci_lower: Option<f64>,
    /// The upper bound of the share's 95% Wilson interval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci_upper: Option<f64>,
}

/// One flag.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FlagEntry {
    /// Questions carrying it.
    pub count: usize,
    /// Their weighted share of all questions (absent when there are none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share: Option<f64>,
    /// The lower bound of the share's 95% Wilson interval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci_lower: Option<f64>,
    /// The upper bound of the share's 95% Wilson interval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci_upper: Option<f64>,
}

/// Freshness figures of a diagnosis.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RetrievalFreshness {
    /// The share of stale hits in the context window.
    pub stale_hit_rate: StaleHitRate,
    /// The share of questions whose top hit is stale (Wilson interval).
    pub top_hit_stale_share: Interval,
    /// Superseded documents ranked above their current version.
    pub superseded_above_current: usize,
    /// Hits on deleted or unknown documents.
    pub ghost_citations: usize,
    /// Documents in the corpus.
    pub documents: usize,
    /// Stale documents in the corpus.
    pub stale_documents: usize,
    /// Undated documents (freshness unknown).
    pub undated_documents: usize,
    /// Conflicting pairs of current documents.
    pub conflicts: usize,
}

/// The stale-hit rate at the context window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct StaleHitRate {
    /// The depth (the context window).
    pub k: usize,
    /// The mean share of stale hits per question, with a Wilson interval over the questions
    /// (conservative: a per-question share in [0, 1] with mean p varies at most p(1 − p)).
    #[serde(flatten)]
    pub rate: Interval,
}

/// One question tag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TagEntry {
    /// The tag.
    pub tag: String,
    /// Answerable scored questions with the tag.
    pub n: usize,
    /// Their evidence hit rate in the context window (Wilson interval, unweighted).
    pub hit_rate: Interval,
    /// How many of them failed (any class but `ok`, `no_label` and `unanswerable`).
    pub failures: usize,
}

/// Answer quality (trace mode).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Generation {
    /// Questions with an answer.
    pub answers: usize,
    /// The share of correct answers (abstaining is correct for unanswerable questions; Wilson).
    pub correct: Interval,
    /// The share of grounded answers among those that did not abstain (Wilson).
    pub grounded: Interval,
    /// The share of answers that abstained (Wilson).
    pub abstained: Interval,
}

/// Latency percentiles (nearest rank), in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Latency {
    /// The median.
    pub p50: Option<f64>,
    /// The 95th percentile.
    pub p95: Option<f64>,
    /// Traced questions with a latency.
    pub n: usize,
}

/// Token use percentiles (nearest rank).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Tokens {
    /// Median prompt tokens.
    pub prompt_p50: Option<f64>,
    /// 95th percentile of prompt tokens.
    pub prompt_p95: Option<f64>,
    /// Median completion tokens.
    pub completion_p50: Option<f64>,
    /// 95th percentile of completion tokens.
    pub completion_p95: Option<f64>,
    /// All tokens of the traced questions divided by the correct answers.
    pub per_correct_answer: Option<f64>,
    /// Traced questions with a token count.
    pub n: usize,
}

/// What a gate compares with its threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum GateOn {
    /// The point estimate.
    Point,
    /// The lower bound of the 95% interval.
    LowerCi,
}

/// One `--fail-under` gate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Gate {
    /// The metric's name in [`DiagnoseSummary::metrics`].
    pub metric: String,
    /// The comparison: always `>=`.
    pub op: String,
    /// The threshold.
    pub threshold: f64,
    /// What is compared.
    pub on: GateOn,
    /// The value compared (`null` when the metric has no estimate).
    pub value: Option<f64>,
    /// Whether the gate passed.
    pub passed: bool,
    /// The smallest drop of the metric (from its current mean) that a paired comparison on
    /// these questions detects with 80% power at two-sided α = 0.05 (`ragdiag compare`'s
    /// test), assuming the two systems' per-question outcomes uncorrelated — the most a
    /// comparison can need, so real, correlated systems detect smaller drops. `hit@K` and
    /// `success@K`: McNemar's test; graded metrics: the z test of the mean difference, with
    /// the per-question standard deviation × √2 as that of the differences. A regression
    /// smaller than this can pass unnoticed. `null` when nothing can be detected (or no
    /// estimate). `ragdiag plan` computes it for other settings.
    #[serde(default)]
    pub detectable_drop: Option<f64>,
}

/// What produced a report. Paths are as given on the command line.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Provenance {
    /// The ragdiag version.
    pub ragdiag_version: String,
    /// The command line.
    pub command: String,
    /// The corpus path.
    pub corpus: String,
    /// sha256 over the documents' ids, titles and texts.
    pub corpus_sha256: String,
    /// The questions' path.
    pub queries: String,
    /// sha256 of the questions file.
    pub queries_sha256: String,
    /// The chunker spec of replays.
    pub chunker: String,
    /// The retriever of replays.
    pub retriever: String,
    /// The seed of every interval.
    pub seed: u64,
    /// The freshness date.
    pub as_of: String,
    /// The `ragdiag.toml` read, if any.
    pub config: Option<String>,
    /// When the report was written (RFC 3339, UTC).
    pub created_at: String,
    /// The trace's path (trace mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<String>,
    /// sha256 of the trace file (trace mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_sha256: Option<String>,
    /// The format the trace was read as (`ragdiag`, `openinference`, `otel`, `ragas`,
    /// `ragchecker`; trace mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_format: Option<String>,
    /// The embedding model of `--ground-embeddings` (trace mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grounding_model_id: Option<String>,
    /// The embedding model of the replay: present in replay mode, `null` for BM25 alone.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub model_id: Option<Option<String>>,
    /// The index folder of the replay.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<String>,
    /// HNSW recall against exact search, when the replay searched the graph.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ann_recall: Option<f64>,
    /// Seconds the HNSW graph the replay searched took to build (when its index was built,
    /// by this run or the one that cached it; the build is deterministic for any thread count).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ann_build_seconds: Option<f64>,
    /// Threads that graph was built on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ann_build_threads: Option<usize>,
}

/// A field that is present (possibly `null`): `Some(value)`; an absent one is `None` by
/// `#[serde(default)]`.
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

impl DiagnoseSummary {
    /// The gates that failed.
    pub fn failed_gates(&self) -> impl Iterator<Item = &Gate> {
        self.gates.iter().filter(|g| !g.passed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_id_keeps_absent_null_and_value_apart() {
        let p = |m: Option<Option<String>>| Provenance {
            model_id: m,
            ..Provenance::default()
        };
        for m in [None, Some(None), Some(Some("minilm".to_owned()))] {
            let v = serde_json::to_value(p(m.clone())).unwrap();
            assert_eq!(v.get("model_id").is_some(), m.is_some());
            let back: Provenance = serde_json::from_value(v).unwrap();
            assert_eq!(back.model_id, m);
        }
    }
}
