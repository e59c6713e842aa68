//! Diagnosis settings.

use crate::answer::AbstentionMatcher;
use crate::ground::GroundingConfig;
use crate::types::Mode;
use ragdiag_core::Embedder;
use std::fmt;

/// Diagnosis settings, with DESIGN.md's defaults.
///
/// ```
/// use ragdiag_diagnose::{Config, Mode};
/// let cfg = Config { mode: Mode::Trace, ..Config::default() };
/// assert_eq!((cfg.context_k, cfg.pool_k, cfg.cover), (5, 100, 0.9));
/// ```
#[derive(Clone)]
pub struct Config<'e> {
    /// Replay or trace.
    pub mode: Mode,
    /// The context window: the top this many chunks (default 5).
    pub context_k: usize,
    /// Replay: the candidate pool is the top this many chunks (default 100). Trace mode ignores
    /// it (the pool is the trace's list).
    pub pool_k: usize,
    /// A chunk holds an evidence span when it covers at least this share of its code points
    /// (default 0.9).
    pub cover: f64,
    /// An answer is correct when its token F1 with an accepted answer reaches this (default
    /// 0.8), or when it contains one.
    pub f1_threshold: f64,
    /// What counts as declining to answer.
    pub abstention: AbstentionMatcher,
    /// Groundedness thresholds.
    pub grounding: GroundingConfig,
    /// Near-duplicate chunks: word 3-shingle Jaccard at or above this (default 0.8, the
    /// freshness audit's default).
    pub near_duplicate_jaccard: f64,
    /// Look for each evidence text (quotes, and span texts of at least 20 code points) in every
    /// other live document too (default `true`): relevant ones then hold the evidence as well,
    /// and fresh unlabelled ones are label noise. This scans the corpus once per evidence item.
    pub search_other_documents: bool,
    /// Optional embedder for embedding-similarity groundedness; without one, token overlap
    /// alone decides.
    pub embedder: Option<&'e dyn Embedder>,
}

impl Default for Config<'_> {
    fn default() -> Self {
        Config {
            mode: Mode::Replay,
            context_k: 5,
            pool_k: 100,
            cover: 0.9,
            f1_threshold: 0.8,
            abstention: AbstentionMatcher::default(),
            grounding: GroundingConfig::default(),
            near_duplicate_jaccard: 0.8,
            search_other_documents: true,
            embedder: None,
        }
    }
}

impl fmt::Debug for Config<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("mode", &self.mode)
            .field("context_k", &self.context_k)
            .field("pool_k", &self.pool_k)
            .field("cover", &self.cover)
            .field("f1_threshold", &self.f1_threshold)
            .field("abstention", &self.abstention)
            .field("grounding", &self.grounding)
            .field("near_duplicate_jaccard", &self.near_duplicate_jaccard)
            .field("search_other_documents", &self.search_other_documents)
            .field("embedder", &self.embedder.map(|e| e.model_id().to_string()))
            .finish()
    }
}

impl Config<'_> {
    /// Checks the settings.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`](crate::Error::InvalidConfig) when `context_k` or `pool_k` is 0,
    /// or a share is outside `(0, 1]`.
    pub fn validate(&self) -> crate::Result<()> {
        let bad = |what: &str| Err(crate::Error::InvalidConfig(what.to_string()));
        if self.context_k == 0 {
            return bad("context_k must be at least 1");
        }
        if self.pool_k == 0 {
            return bad("pool_k must be at least 1");
        }
        for (name, v) in [
            ("cover", self.cover),
            ("f1_threshold", self.f1_threshold),
            ("grounding.token_share", self.grounding.token_share),
            ("near_duplicate_jaccard", self.near_duplicate_jaccard),
        ] {
            if !(v > 0.0 && v <= 1.0) {
                return bad(&format!("{name} must be in (0, 1], got {v}"));
            }
        }
        let c = self.grounding.embedding_cosine;
        if !(-1.0..=1.0).contains(&c) {
            return bad(&format!(
                "grounding.embedding_cosine must be in [-1, 1], got {c}"
            ));
        }
        Ok(())
    }
}
