//! "Fix first": the ranked actions of `summary.json` of `ragdiag diagnose`.

use crate::Interval;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What an action changes.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum FixKind {
    /// A superseded page outranks its successor: retire it or redirect it to the successor
    /// (`stale_source`, rule 5, a stale version in the window).
    RetireStalePage,
    /// The labelled source page is itself stale (expired, deleted or superseded): update it
    /// (`stale_source`, rule 5, stale gold).
    UpdateStalePage,
    /// The page holding the evidence was never retrieved (`retrieval_miss`).
    SurfacePage,
    /// The chunker cuts the page's evidence apart (`chunking_split`).
    KeepEvidenceWhole,
    /// The evidence was retrieved, but below the context window (`ranking_miss`).
    ImproveRanking,
    /// No live page holds the answer: write it (`corpus_gap`, answerable questions).
    WritePage,
    /// The evidence was in the context window, the answer was wrong or not grounded: the
    /// prompt or the model (`generation_failure`).
    FixGeneration,
}

/// One action, with the failing questions it would address and the pages it acts on.
///
/// Every action is traceable: `queries` lists the questions behind it (each question's class
/// and reason in `queries.parquet` say why it is there), and each of `pages` lists its own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FixAction {
    /// Its place in the list (1 first): by the traffic weight of its questions, then their
    /// number, then kind.
    pub rank: usize,
    /// What it changes.
    pub kind: FixKind,
    /// The action in one sentence, naming the pages (the first few).
    pub action: String,
    /// Failing questions it addresses.
    pub questions: usize,
    /// Their summed traffic weight.
    pub weight: f64,
    /// Their weighted share of the assessed questions (Wilson interval, Kish's effective n).
    pub share: Interval,
    /// Their ids, heaviest traffic first: the first [`LISTED_IDS`] (schema 5: all of them).
    pub queries: Vec<String>,
    /// The pages to act on (retire, update, surface, re-chunk), heaviest traffic first; empty
    /// for actions without pages (write a page, ranking, generation).
    pub pages: Vec<FixPage>,
    /// Chunking: the longest evidence span split on any of `pages`, in words. With a chunk
    /// overlap of at least this many words, every one of them lies whole in some chunk (a
    /// chunk at least this long is needed, not enough: its edges must fall around the span).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chunk_words: Option<usize>,
}

/// At most this many question ids are listed per action and per page (`questions` counts them
/// all; `queries.parquet` has every question's class), so `summary.json` stays small at any
/// question count.
pub const LISTED_IDS: usize = 50;

/// One page of an action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FixPage {
    /// The page (document id).
    pub page: String,
    /// The current page a stale one should redirect to (the end of its supersession chain),
    /// when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub successor: Option<String>,
    /// Chunking: the longest of its evidence spans that the chunker split, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chunk_words: Option<usize>,
    /// The same span in code points.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chunk_chars: Option<usize>,
    /// How many of the action's failing questions are behind it.
    #[serde(default)]
    pub questions: usize,
    /// Their ids, heaviest traffic first: the first [`LISTED_IDS`] (schema 5: all of them).
    pub queries: Vec<String>,
}
