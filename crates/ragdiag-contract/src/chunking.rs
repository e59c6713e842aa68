//! `summary.json` of `ragdiag chunking`.

use crate::Interval;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Version of `summary.json` and `strategies.parquet` written by `ragdiag chunking`.
pub const CHUNKING_SCHEMA_VERSION: u32 = 1;

/// Chunking strategies compared on one corpus and question set, each after the first paired
/// with the first.
///
/// # Warning
///
/// A compatibility promise; a change bumps [`CHUNKING_SCHEMA_VERSION`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ChunkingSummary {
    /// [`CHUNKING_SCHEMA_VERSION`] of the writer.
    pub schema_version: u32,
    /// `chunking`.
    pub command: String,
    /// Chunks retrieved per question (the context window).
    pub k: usize,
    /// The retriever (`bm25`, `dense`, `hybrid`).
    pub retriever: String,
    /// Questions asked.
    pub questions: usize,
    /// Questions with evidence located in the corpus: those of the span metrics.
    pub questions_with_spans: usize,
    /// Questions with relevance judgments: those of `recall@K` and `ndcg@K`.
    pub questions_judged: usize,
    /// The first strategy, the baseline of the paired tests.
    pub baseline: Option<String>,
    /// One entry per strategy, in command-line order.
    pub strategies: Vec<ChunkingStrategy>,
    /// Plain-language conclusions.
    pub verdict: Vec<String>,
    /// Evidence the span metrics leave out (unknown documents, quotes not found).
    pub warnings: Vec<String>,
    /// What produced the comparison.
    pub provenance: ChunkingProvenance,
}

/// One strategy: its cost, its index and its metrics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ChunkingStrategy {
    /// The chunker spec, canonical (`tokens:250/125@cl100k`).
    pub strategy: String,
    /// Chunks of the corpus.
    pub chunks: usize,
    /// Tokens per chunk (by the spec's tokenizer), with its interval over chunks.
    pub tokens_per_chunk: TokensPerChunk,
    /// The index's size on disk: every file of its folder, in bytes.
    pub index_bytes: u64,
    /// The index's folder.
    pub index: String,
    /// Whether the index came from the cache.
    pub index_cached: bool,
    /// Seconds to chunk, embed and index (`null` from the cache).
    pub index_build_s: Option<f64>,
    /// Texts embedded for this strategy (not found in the embedding cache).
    pub embedded_texts: usize,
    /// HNSW recall against exact search (`null` for exact search).
    pub ann_recall: Option<f64>,
    /// Each metric's mean over its questions, with its 95% bootstrap interval, by id:
    /// `span_recall`, `span_precision`, `span_iou`, `precision_omega`, `recall@K`, `ndcg@K`,
    /// `context_tokens`.
    pub metrics: BTreeMap<String, Interval>,
    /// Each metric against the first strategy (`null` for the first).
    pub vs_first: Option<BTreeMap<String, PairedTest>>,
}

/// Tokens per chunk: the mean with its 95% bootstrap interval over chunks, and the 95th
/// percentile.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TokensPerChunk {
    /// The mean.
    pub mean: Option<f64>,
    /// The lower bound of the 95% interval.
    pub ci_lower: Option<f64>,
    /// The upper bound of the 95% interval.
    pub ci_upper: Option<f64>,
    /// Chunks.
    pub n: usize,
    /// The 95th percentile (nearest rank).
    pub p95: Option<usize>,
}

/// One metric of a strategy against the first, paired question by question.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PairedTest {
    /// The mean difference (this strategy − the first) with its 95% paired-bootstrap
    /// interval.
    pub diff: Interval,
    /// Two-sided p-value of the paired randomization test.
    pub p_randomization: f64,
    /// The randomization p-value after Holm's correction across every strategy × metric.
    pub p_holm: f64,
    /// Two-sided p-value of the paired bootstrap.
    pub p_bootstrap: f64,
    /// Mean difference over the differences' standard deviation.
    pub effect_size: Option<f64>,
    /// Questions where this strategy is higher.
    pub wins: usize,
    /// Questions where it is lower.
    pub losses: usize,
    /// Questions with equal values.
    pub ties: usize,
}

/// What produced a chunking comparison. Paths are as given on the command line.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ChunkingProvenance {
    /// The ragdiag version.
    pub ragdiag_version: String,
    /// The command line.
    pub command_line: String,
    /// The corpus path (or Chroma's folder).
    pub corpus: String,
    /// sha256 over the documents' ids, titles and texts.
    pub corpus_sha256: String,
    /// The questions' path.
    pub queries: String,
    /// sha256 of the questions' file.
    pub queries_sha256: String,
    /// The embedding model as given (`none` when nothing needed one).
    pub model: String,
    /// The embedding model's id (`null`: none).
    pub model_id: Option<String>,
    /// The retriever.
    pub retriever: String,
    /// Chunks retrieved per question.
    pub k: usize,
    /// Whether vector search was exact.
    pub exact: bool,
    /// The seed of the intervals and tests.
    pub seed: u64,
    /// Texts embedded (not found in the embedding cache).
    pub embedded_texts: usize,
    /// Seconds the command ran.
    pub elapsed_s: f64,
    /// When it ran (RFC 3339).
    pub created_at: String,
}
