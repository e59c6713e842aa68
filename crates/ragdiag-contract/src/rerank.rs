//! The reranker's impact in `summary.json` of `ragdiag diagnose` (trace mode, `candidates`).

use crate::{Comparison, Interval};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What the reranker did, over the answerable labelled questions whose trace line has
/// `candidates` (the pre-rerank list; `retrieved` is the final ranking).
///
/// Each question's evidence is judged in both lists by the test that decides its class; the
/// reranker *helped* when the evidence entered the context window (`reranker_promoted_gold`),
/// *hurt* when it left it (`reranker_demoted_gold`), and was *neutral* otherwise. Shares carry
/// Wilson intervals (weighted, Kish's effective n); the comparisons are the paired tests of the
/// final ranking against the candidates (randomization test, paired bootstrap, Holm over the
/// comparisons of this section).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RerankerImpact {
    /// Questions assessed: answerable, labelled, with candidates.
    pub questions: usize,
    /// The context window the effects are judged at.
    pub context_k: usize,
    /// The evidence entered the window.
    pub helped: RerankShare,
    /// The evidence left the window.
    pub hurt: RerankShare,
    /// In the window both times, or in neither.
    pub neutral: RerankShare,
    /// The final ranking (`report`: `retrieved`) against the candidates (`baseline`:
    /// `candidates`) on evidence metrics: `hit@1`, `hit@K` (the window) and `evidence_mrr`
    /// (the reciprocal rank of the best item holding the evidence, 0 when none does).
    pub comparisons: Vec<Comparison>,
}

/// One effect of the reranker: how many questions, their share and their ids.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RerankShare {
    /// Questions with this effect.
    pub count: usize,
    /// Their weighted share of [`RerankerImpact::questions`] (Wilson interval).
    pub share: Interval,
    /// Their ids, heaviest traffic first.
    pub queries: Vec<String>,
}
