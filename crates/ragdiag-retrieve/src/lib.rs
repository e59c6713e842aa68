//! Retrieval: the stack over an index directory, rank fusion and roll-up.
//!
//! - [`build_index`] turns chunks into an index directory (BM25, and with an embedder exact
//!   vectors plus an HNSW graph tuned to a recall target), with the chunk table inside it;
//!   [`Searcher`] opens one and answers queries with [`RetrieverKind::Bm25`], `Dense` (HNSW, or
//!   exact) or `Hybrid`, measuring HNSW recall against exact search as it goes.
//! - [`rrf`]: reciprocal rank fusion, `score = Σ 1 / (k + rank)` over the input lists
//!   (k = 60 by default), independent of the order the lists are given in.
//! - [`weighted`]: weighted score fusion after min-max normalising each list to [0, 1].
//! - [`rollup`]: chunk hits to document hits, each document scored by its best chunk.
//! - [`chunking`]: the engine of `ragdiag chunking` (one strategy measured, a comparison's
//!   typed summary and the rows of `strategies.parquet`).
//!
//! Every fused [`Hit`] keeps where each retriever ranked it and its raw score, so a report can
//! say why a chunk ended where it did. Ties are broken by key (ascending), so results are
//! deterministic.
//!
//! ```
//! use ragdiag_retrieve::{rrf, Ranked};
//! let bm25 = [Ranked::new(7, 12.0), Ranked::new(3, 9.5)];
//! let dense = [Ranked::new(3, 0.81), Ranked::new(9, 0.80)];
//! let fused = rrf(&[("bm25", &bm25[..]), ("dense", &dense[..])], 60.0, 10);
//! assert_eq!(fused[0].key, 3); // ranked by both
//! assert_eq!(fused[0].sources.len(), 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use rustc_hash::FxHashMap;

pub mod chunking;
mod replay;
mod stack;

/// The progress interface, defined in `ragdiag-core` and re-exported for existing callers.
pub use ragdiag_core::{NoProgress, Progress};
pub use replay::{
    cached_index, check_query_model, chunk_depth, chunk_inputs, chunk_inputs_with_tokens,
    corpus_sha256, doc_chunks, doc_rankings, query_model, replay_index, replay_items, CachedIndex,
    ChunkError, IndexKey, ReplayError, ReplaySpec,
};
pub use stack::{
    build_index, ChunkEntry, ChunkInput, Error, Fusion, IndexOptions, IndexReport, Result,
    RetrieverKind, SearchOptions, SearchOutput, Searcher, CHUNKS_FILE,
};

/// One retriever's result: an item key and its raw score, in rank order (best first).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ranked {
    /// The item (chunk) key.
    pub key: u32,
    /// The retriever's raw score.
    pub score: f64,
}

impl Ranked {
    /// A ranked item.
    pub fn new(key: u32, score: f64) -> Self {
        Ranked { key, score }
    }
}

/// Where one retriever put a hit.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceScore {
    /// The retriever's name (`bm25`, `dense`).
    pub retriever: String,
    /// Rank in that retriever's list, from 1.
    pub rank: usize,
    /// The retriever's raw score.
    pub raw: f64,
}

/// A fused hit with its score breakdown.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// The item (chunk) key.
    pub key: u32,
    /// The fused score.
    pub score: f64,
    /// Rank in the fused list, from 1.
    pub rank: usize,
    /// Every retriever that returned the item; absent retrievers did not rank it.
    pub sources: Vec<SourceScore>,
}

fn finish(mut acc: FxHashMap<u32, (f64, Vec<SourceScore>)>, top: usize) -> Vec<Hit> {
    let mut hits: Vec<Hit> = acc
        .drain()
        .map(|(key, (score, mut sources))| {
            sources.sort_by(|a, b| a.retriever.cmp(&b.retriever));
            Hit {
                key,
                score,
                rank: 0,
                sources,
            }
        })
        .collect();
    hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.key.cmp(&b.key)));
    hits.truncate(top);
    for (i, h) in hits.iter_mut().enumerate() {
        h.rank = i + 1;
    }
    hits
}

/// Reciprocal rank fusion of ranked lists: `Σ 1 / (k + rank)`. An item repeated within one list
/// counts at its best rank only.
pub fn rrf(lists: &[(&str, &[Ranked])], k: f64, top: usize) -> Vec<Hit> {
    let mut acc: FxHashMap<u32, (f64, Vec<SourceScore>)> = FxHashMap::default();
    for (name, list) in lists {
        for (i, r) in list.iter().enumerate() {
            let entry = acc.entry(r.key).or_default();
            if entry.1.iter().any(|s| s.retriever == *name) {
                continue;
            }
            entry.0 += 1.0 / (k + (i + 1) as f64);
            entry.1.push(SourceScore {
                retriever: (*name).to_string(),
                rank: i + 1,
                raw: r.score,
            });
        }
    }
    finish(acc, top)
}

/// Weighted score fusion: each list's scores are min-max normalised to [0, 1] (a list whose
/// scores are all equal maps to 1), multiplied by the list's weight and summed; an item a list
/// did not return gets 0 from it.
pub fn weighted(lists: &[(&str, f64, &[Ranked])], top: usize) -> Vec<Hit> {
    let mut acc: FxHashMap<u32, (f64, Vec<SourceScore>)> = FxHashMap::default();
    for (name, weight, list) in lists {
        let (lo, hi) = list
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), r| {
                (lo.min(r.score), hi.max(r.score))
            });
        for (i, r) in list.iter().enumerate() {
            let entry = acc.entry(r.key).or_default();
            if entry.1.iter().any(|s| s.retriever == *name) {
                continue;
            }
            let norm = if hi > lo {
                (r.score - lo) / (hi - lo)
            } else {
                1.0
            };
            entry.0 += weight * norm;
            entry.1.push(SourceScore {
                retriever: (*name).to_string(),
                rank: i + 1,
                raw: r.score,
            });
        }
    }
    finish(acc, top)
}

/// A document hit rolled up from its chunks.
#[derive(Debug, Clone, PartialEq)]
pub struct DocHit {
    /// The document's index (as given by `doc_of`).
    pub doc: u32,
    /// Its best chunk's score.
    pub score: f64,
    /// Its best chunk.
    pub best_chunk: u32,
    /// Rank among documents, from 1.
    pub rank: usize,
}

/// Rolls chunk hits (best first) up to documents: each document takes its best chunk's score
/// and position. `doc_of` maps a chunk key to its document.
pub fn rollup(hits: &[Hit], doc_of: impl Fn(u32) -> u32) -> Vec<DocHit> {
    let mut seen = rustc_hash::FxHashSet::default();
    let mut out = Vec::new();
    for h in hits {
        let doc = doc_of(h.key);
        if seen.insert(doc) {
            out.push(DocHit {
                doc,
                score: h.score,
                best_chunk: h.key,
                rank: out.len() + 1,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn list(keys: &[u32]) -> Vec<Ranked> {
        keys.iter()
            .enumerate()
            .map(|(i, &k)| Ranked::new(k, 10.0 - i as f64))
            .collect()
    }

    #[test]
    fn rrf_scores_and_breakdown() {
        let a = list(&[1, 2, 3]);
        let b = list(&[3, 1]);
        let hits = rrf(&[("bm25", &a), ("dense", &b)], 60.0, 10);
        assert_eq!(hits.iter().map(|h| h.key).collect::<Vec<_>>(), [1, 3, 2]);
        assert!((hits[0].score - (1.0 / 61.0 + 1.0 / 62.0)).abs() < 1e-15);
        assert_eq!(
            hits[1].sources[1],
            SourceScore {
                retriever: "dense".into(),
                rank: 1,
                raw: 10.0
            }
        );
        assert_eq!(hits[2].sources.len(), 1);
        assert_eq!(rrf(&[("bm25", &a)], 60.0, 2).len(), 2);
    }

    #[test]
    fn weighted_normalises_each_list() {
        let a = vec![
            Ranked::new(1, 30.0),
            Ranked::new(2, 20.0),
            Ranked::new(3, 10.0),
        ];
        let b = vec![Ranked::new(3, 0.9), Ranked::new(1, 0.1)];
        let hits = weighted(&[("bm25", 0.5, &a), ("dense", 0.5, &b)], 10);
        let score = |k: u32| hits.iter().find(|h| h.key == k).unwrap().score;
        assert!((score(1) - 0.5).abs() < 1e-12);
        assert!((score(2) - 0.25).abs() < 1e-12);
        assert!((score(3) - 0.5).abs() < 1e-12);
        assert_eq!(hits[0].key, 1, "ties broken by key");
        let flat = weighted(
            &[("x", 1.0, &[Ranked::new(4, 2.0), Ranked::new(5, 2.0)][..])],
            10,
        );
        assert!(flat.iter().all(|h| h.score == 1.0));
    }

    #[test]
    fn rollup_keeps_best_chunk_per_document() {
        let hits = rrf(&[("x", &list(&[10, 11, 20, 12])[..])], 60.0, 10);
        let docs = rollup(&hits, |k| k / 10);
        assert_eq!(
            docs.iter()
                .map(|d| (d.doc, d.best_chunk, d.rank))
                .collect::<Vec<_>>(),
            [(1, 10, 1), (2, 20, 2)]
        );
    }

    proptest! {
        #[test]
        fn rrf_ignores_list_order(a in prop::collection::vec(0u32..50, 0..30), b in prop::collection::vec(0u32..50, 0..30)) {
            let (la, lb) = (list(&a), list(&b));
            let x = rrf(&[("a", &la[..]), ("b", &lb[..])], 60.0, 100);
            let y = rrf(&[("b", &lb[..]), ("a", &la[..])], 60.0, 100);
            prop_assert_eq!(x, y);
        }
    }
}
