//! Approximate vector search with an HNSW graph (own implementation on flat arrays, see the
//! `graph` module), its persistence, and the choice of `ef`.

use std::path::Path;
use std::sync::Arc;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::graph::{self, Graph, Rows};
use crate::vector::{check_query, recall_at_k};
use crate::{graphfile, Error, FlatIndex};

/// The graph's file name inside a directory (see [`HnswIndex::dump`]).
pub(crate) const GRAPH_FILE: &str = "hnsw.graph";

/// The values of `ef` that [`tune_ef`] tries, in order.
const EF_LADDER: [usize; 5] = [50, 100, 200, 400, 800];

/// How an [`HnswIndex`] is built and searched by default.
///
/// ```
/// let config = ragdiag_index::HnswConfig::default().m(32).deterministic(false);
/// assert_eq!((config.m, config.ef_construction), (32, 200));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct HnswConfig {
    /// Maximum number of links per node and layer (layer 0 keeps twice as many); 1 to 256.
    pub m: usize,
    /// Candidate list size while inserting.
    pub ef_construction: usize,
    /// Default candidate list size while searching.
    pub ef_search: usize,
    /// Insertion in batches of key order, each batch searched in parallel (the same graph for
    /// any number of threads), rather than hnswlib's concurrent insertion (not reproducible).
    pub deterministic: bool,
}

impl Default for HnswConfig {
    /// M = 16, ef_construction = 200, ef_search = 100, deterministic.
    fn default() -> Self {
        HnswConfig {
            m: 16,
            ef_construction: 200,
            ef_search: 100,
            deterministic: true,
        }
    }
}

impl HnswConfig {
    /// Maximum number of links per node and layer (layer 0 keeps twice as many); 1 to 256.
    #[must_use]
    pub fn m(mut self, m: usize) -> Self {
        self.m = m;
        self
    }

    /// Candidate list size while inserting.
    #[must_use]
    pub fn ef_construction(mut self, ef: usize) -> Self {
        self.ef_construction = ef;
        self
    }

    /// Default candidate list size while searching (see [`tune_ef`] to choose it).
    #[must_use]
    pub fn ef_search(mut self, ef: usize) -> Self {
        self.ef_search = ef;
        self
    }

    /// `true`: insert in batches of key order, each batch's nodes searching the graph as it
    /// stood at the batch's start in parallel on rayon's current pool, their links then added
    /// in a fixed order, so that the same vectors always give the same graph and the same
    /// answers, whatever the number of threads. `false`: insert every node concurrently as
    /// hnswlib does (the graph, and so the answers, may vary between builds).
    #[must_use]
    pub fn deterministic(mut self, yes: bool) -> Self {
        self.deterministic = yes;
        self
    }

    fn validate(&self) -> crate::Result<()> {
        if self.m == 0 || self.m > 256 {
            return Err(Error::InvalidInput(format!(
                "HNSW M must be between 1 and 256, got {}",
                self.m
            )));
        }
        if self.ef_construction == 0 || self.ef_search == 0 {
            return Err(Error::InvalidInput(
                "HNSW ef values must be positive".into(),
            ));
        }
        Ok(())
    }
}

/// An HNSW graph over the vectors of a [`FlatIndex`], searched by dot product.
///
/// The graph is built and searched by this crate on flat arrays (layer 0 with a fixed stride,
/// upper layers compact, vectors end to end in key order), with the same dot product as
/// [`FlatIndex::search`]: results are `(key, dot product)` sorted by score descending then key
/// ascending, with the same scores and tie order as exact search for the keys both return.
/// Recall against exact search depends on `ef`; measure it with [`recall_at_k`] or choose `ef`
/// with [`tune_ef`].
///
/// The index shares the [`FlatIndex`]'s vectors when their keys ascend (as the keys `0..n` of
/// an index directory do); otherwise it holds its own copy, in key order.
pub struct HnswIndex {
    graph: Graph,
    config: HnswConfig,
}

impl std::fmt::Debug for HnswIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HnswIndex")
            .field("dim", &self.graph.dim)
            .field("len", &self.graph.len())
            .field("config", &self.config)
            .field("max_level", &self.graph.max_level)
            .finish_non_exhaustive()
    }
}

impl HnswIndex {
    /// Builds a graph over all of `vectors` on rayon's current pool: in batches when
    /// `config.deterministic` (the same vectors always give the same graph, whatever their row
    /// order and the number of threads), else concurrently.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for a bad configuration or more than 2^32 vectors.
    pub fn build(vectors: &FlatIndex, config: &HnswConfig) -> crate::Result<Self> {
        config.validate()?;
        let dim = vectors.dim();
        let (keys, data) = in_key_order(vectors);
        let mode = if config.deterministic {
            graph::Mode::Batched
        } else {
            graph::Mode::Concurrent
        };
        let graph = graph::build(dim, keys, data, config.m, config.ef_construction, mode)
            .map_err(Error::InvalidInput)?;
        Ok(HnswIndex {
            graph,
            config: *config,
        })
    }

    /// Number of indexed vectors.
    #[must_use]
    pub fn len(&self) -> usize {
        self.graph.len()
    }

    /// Whether the graph is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.graph.len() == 0
    }

    /// The vectors' dimension.
    #[must_use]
    pub fn dim(&self) -> usize {
        self.graph.dim
    }

    /// The configuration the graph was built with.
    #[must_use]
    pub fn config(&self) -> &HnswConfig {
        &self.config
    }

    /// The approximate `k` most similar vectors to `query`, exploring `ef` candidates (raised
    /// to `k` if smaller, lowered to the number of vectors if larger), as `(key, dot product)`,
    /// score descending then key ascending.
    ///
    /// # Errors
    ///
    /// [`Error::DimensionMismatch`], or [`Error::InvalidInput`] for a non-finite component.
    pub fn search(&self, query: &[f32], k: usize, ef: usize) -> crate::Result<Vec<(u32, f32)>> {
        check_query(query, self.graph.dim)?;
        let len = self.graph.len();
        if k == 0 || len == 0 {
            return Ok(Vec::new());
        }
        let k = k.min(len);
        let ef = ef.max(k).min(len);
        Ok(self.graph.search(query, k, ef))
    }

    /// [`HnswIndex::search`] for many queries, in parallel on rayon's current pool.
    ///
    /// # Errors
    ///
    /// As [`HnswIndex::search`], for the first bad query.
    pub fn search_batch(
        &self,
        queries: &[Vec<f32>],
        k: usize,
        ef: usize,
    ) -> crate::Result<Vec<Vec<(u32, f32)>>> {
        queries.par_iter().map(|q| self.search(q, k, ef)).collect()
    }

    /// Writes the graph and its vectors to `dir` as one checksummed file, `hnsw.graph`
    /// (format in the `graphfile` module docs), atomically: a temporary file is synced, then
    /// renamed over the previous one.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when writing fails.
    pub fn dump(&self, dir: &Path) -> crate::Result<()> {
        graphfile::write(&dir.join(GRAPH_FILE), &self.graph)
    }

    /// Reloads a graph written by [`HnswIndex::dump`] over `vectors` (the index it was built
    /// from: the file holds the links, not the vectors), expecting a graph built with
    /// `config.m`.
    ///
    /// # Errors
    ///
    /// [`Error::Corrupt`] when the file is missing, truncated, altered (its CRC-32), malformed
    /// (every link and level is checked, so that search cannot fail on it) or does not match
    /// the vectors (their number, dimension or keys) or `config.m`; [`Error::Io`] when it
    /// cannot be read.
    pub fn load(dir: &Path, vectors: &FlatIndex, config: &HnswConfig) -> crate::Result<Self> {
        let path = dir.join(GRAPH_FILE);
        let (keys, data) = in_key_order(vectors);
        let graph = graphfile::read(&path, vectors.dim(), data)?;
        if graph.keys != keys {
            return Err(Error::corrupt(
                &path,
                "the graph's keys differ from the vectors' keys",
            ));
        }
        if graph.layout.m() != config.m {
            return Err(Error::corrupt(
                &path,
                format!(
                    "built with M = {}, the configuration says {}",
                    graph.layout.m(),
                    config.m
                ),
            ));
        }
        Ok(HnswIndex {
            graph,
            config: *config,
        })
    }
}

/// The keys of `vectors` ascending and their vectors in that order: the index's own buffer
/// when its keys already ascend, else a sorted copy.
fn in_key_order(vectors: &FlatIndex) -> (Vec<u32>, Arc<Rows>) {
    let keys_in = vectors.keys();
    if keys_in.windows(2).all(|w| w[0] < w[1]) {
        return (keys_in.to_vec(), vectors.shared_data());
    }
    let dim = vectors.dim();
    let mut order: Vec<usize> = (0..vectors.len()).collect();
    order.sort_unstable_by_key(|&i| keys_in[i]);
    let keys: Vec<u32> = order.iter().map(|&i| keys_in[i]).collect();
    let mut data = Rows::zeroed(vectors.data().len());
    for (to, &i) in data.as_mut_slice().chunks_exact_mut(dim).zip(&order) {
        to.copy_from_slice(&vectors.data()[i * dim..(i + 1) * dim]);
    }
    (keys, Arc::new(data))
}

/// What [`tune_ef`] found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EfTuning {
    /// The chosen `ef`: the first that reached the target, else the largest tried.
    pub ef: usize,
    /// Recall@k measured at that `ef` on the sample.
    pub recall: f64,
    /// Whether the target was reached.
    pub reached: bool,
    /// Every `(ef, recall)` tried, in order.
    pub trials: Vec<(usize, f64)>,
    /// Number of sample queries.
    pub queries: usize,
    /// The `k` of recall@k.
    pub k: usize,
}

/// Chooses `ef` for `index`: tries 50, 100, 200, 400, 800 (each raised to `k` if smaller) and
/// stops at the first whose recall@`k` against exact search on `queries` reaches
/// `target_recall` (0.99 is the project's bar).
///
/// # Errors
///
/// As [`FlatIndex::search`] for a bad query.
pub fn tune_ef(
    index: &HnswIndex,
    flat: &FlatIndex,
    queries: &[Vec<f32>],
    k: usize,
    target_recall: f64,
) -> crate::Result<EfTuning> {
    let keys = |lists: Vec<Vec<(u32, f32)>>| -> Vec<Vec<u32>> {
        lists
            .into_iter()
            .map(|l| l.into_iter().map(|(key, _)| key).collect())
            .collect()
    };
    let exact = keys(flat.search_batch(queries, k)?);
    let mut trials = Vec::new();
    for ef in EF_LADDER {
        let ef = ef.max(k);
        let ann = keys(index.search_batch(queries, k, ef)?);
        let recall = recall_at_k(&ann, &exact, k);
        trials.push((ef, recall));
        if recall >= target_recall {
            return Ok(EfTuning {
                ef,
                recall,
                reached: true,
                trials,
                queries: queries.len(),
                k,
            });
        }
    }
    let (ef, recall) = *trials.last().expect("the ladder is not empty");
    Ok(EfTuning {
        ef,
        recall,
        reached: false,
        trials,
        queries: queries.len(),
        k,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dot;
    use crate::testutil::{flat, unit_vectors};

    fn keys(lists: Vec<Vec<(u32, f32)>>) -> Vec<Vec<u32>> {
        lists
            .into_iter()
            .map(|l| l.into_iter().map(|h| h.0).collect())
            .collect()
    }

    #[test]
    fn recall_at_10_reaches_099_on_random_vectors() {
        let vectors = flat(2_000, 64, 42);
        let index = HnswIndex::build(&vectors, &HnswConfig::default()).unwrap();
        let queries = unit_vectors(200, 64, 43);
        let tuning = tune_ef(&index, &vectors, &queries, 10, 0.99).unwrap();
        assert!(tuning.reached, "{tuning:?}");
        assert!(tuning.recall >= 0.99, "{tuning:?}");
        // And at the default ef of 100 itself.
        let exact = keys(vectors.search_batch(&queries, 10).unwrap());
        let ann = keys(index.search_batch(&queries, 10, 100).unwrap());
        let recall = recall_at_k(&ann, &exact, 10);
        assert!(recall >= 0.99, "recall@10 at ef=100: {recall}");
    }

    #[test]
    fn deterministic_builds_are_identical() {
        let vectors = flat(700, 24, 5);
        let queries = unit_vectors(50, 24, 6);
        let a = HnswIndex::build(&vectors, &HnswConfig::default()).unwrap();
        let b = HnswIndex::build(&vectors, &HnswConfig::default()).unwrap();
        assert_eq!(a.graph, b.graph);
        assert_eq!(
            a.search_batch(&queries, 10, 20).unwrap(),
            b.search_batch(&queries, 10, 20).unwrap()
        );
        // The same vectors in another row order give the same graph.
        let mut rows: Vec<(u32, Vec<f32>)> = vectors.rows().map(|(k, v)| (k, v.to_vec())).collect();
        rows.reverse();
        let shuffled = FlatIndex::from_rows(24, rows).unwrap();
        let c = HnswIndex::build(&shuffled, &HnswConfig::default()).unwrap();
        assert_eq!(a.graph, c.graph);
    }

    #[test]
    fn scores_and_ties_match_exact_search() {
        // Duplicated vectors tie; HNSW must order them by key, with exact search's scores.
        let base = unit_vectors(200, 16, 30);
        let mut rows: Vec<(u32, Vec<f32>)> = Vec::new();
        for (i, v) in base.iter().enumerate() {
            let i = u32::try_from(i).unwrap();
            rows.push((i * 2 + 1, v.clone()));
            if i % 5 == 0 {
                rows.push((i * 2, v.clone()));
            }
        }
        let vectors = FlatIndex::from_rows(16, rows).unwrap();
        let index = HnswIndex::build(&vectors, &HnswConfig::default().m(8)).unwrap();
        let mut same = 0;
        for q in base.iter().take(40).chain(&unit_vectors(40, 16, 31)) {
            let ann = index.search(q, 10, 200).unwrap();
            let exact = vectors.search(q, 10).unwrap();
            if ann == exact {
                same += 1;
            }
            for (key, score) in &ann {
                let row = vectors.keys().iter().position(|k| k == key).unwrap();
                assert_eq!(score.to_bits(), dot(q, vectors.row(row).unwrap()).to_bits());
            }
        }
        assert!(
            same >= 78,
            "only {same} of 80 rankings equal exact search's"
        );
    }

    #[test]
    fn parallel_build_works() {
        let vectors = flat(1_000, 16, 8);
        // More threads than cores, so that insertions really interleave.
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(4)
            .build()
            .unwrap();
        let index = pool
            .install(|| HnswIndex::build(&vectors, &HnswConfig::default().deterministic(false)))
            .unwrap();
        index.graph.validate().unwrap();
        let queries = unit_vectors(50, 16, 9);
        let exact = keys(vectors.search_batch(&queries, 10).unwrap());
        let ann = keys(index.search_batch(&queries, 10, 200).unwrap());
        assert!(recall_at_k(&ann, &exact, 10) >= 0.95);
    }

    #[test]
    fn scores_are_dot_products_sorted() {
        let vectors = flat(300, 8, 10);
        let index = HnswIndex::build(&vectors, &HnswConfig::default()).unwrap();
        let q = unit_vectors(1, 8, 11).remove(0);
        let hits = index.search(&q, 5, 100).unwrap();
        assert_eq!(hits.len(), 5);
        for w in hits.windows(2) {
            assert!(w[0].1 >= w[1].1);
        }
        let exact = vectors.search(&q, 5).unwrap();
        for ((ka, sa), (ke, se)) in hits.iter().zip(&exact) {
            assert_eq!(ka, ke);
            assert!((sa - se).abs() < 1e-5);
        }
    }

    #[test]
    fn dump_and_load_round_trip() {
        let vectors = flat(500, 12, 12);
        let config = HnswConfig::default();
        let index = HnswIndex::build(&vectors, &config).unwrap();
        let dir = tempfile::tempdir().unwrap();
        index.dump(dir.path()).unwrap();
        let loaded = HnswIndex::load(dir.path(), &vectors, &config).unwrap();
        let queries = unit_vectors(30, 12, 13);
        assert_eq!(
            index.search_batch(&queries, 10, 50).unwrap(),
            loaded.search_batch(&queries, 10, 50).unwrap()
        );
        // The vectors it was built over, and no others.
        let fewer = FlatIndex::from_rows(12, vectors.rows().take(499)).unwrap();
        let other_dim = flat(500, 11, 12);
        let other_keys =
            FlatIndex::from_rows(12, vectors.rows().map(|(k, v)| (k + 1000, v))).unwrap();
        for (what, v) in [
            ("fewer", &fewer),
            ("dimension", &other_dim),
            ("keys", &other_keys),
        ] {
            assert!(
                matches!(
                    HnswIndex::load(dir.path(), v, &config),
                    Err(Error::Corrupt { .. })
                ),
                "{what}"
            );
        }
        assert!(matches!(
            HnswIndex::load(dir.path(), &vectors, &config.m(8)),
            Err(Error::Corrupt { .. })
        ));
        assert!(matches!(
            HnswIndex::load(&dir.path().join("nope"), &vectors, &config),
            Err(Error::Corrupt { .. })
        ));
        // Built over vectors whose keys ascend, the graph shares them (no second copy).
        assert!(Arc::ptr_eq(&index.graph.data, &vectors.shared_data()));
        assert!(Arc::ptr_eq(&loaded.graph.data, &vectors.shared_data()));
    }

    #[test]
    fn empty_and_tiny_graphs() {
        let empty = FlatIndex::from_parts(4, vec![], vec![]).unwrap();
        let index = HnswIndex::build(&empty, &HnswConfig::default()).unwrap();
        assert!(index
            .search(&[1.0, 0.0, 0.0, 0.0], 3, 10)
            .unwrap()
            .is_empty());
        let one = FlatIndex::from_rows(2, [(7, [1.0, 0.0])]).unwrap();
        let index = HnswIndex::build(&one, &HnswConfig::default()).unwrap();
        assert_eq!(index.search(&[0.0, 1.0], 3, 10).unwrap(), [(7, 0.0)]);
        let some = flat(50, 4, 15);
        let index = HnswIndex::build(&some, &HnswConfig::default()).unwrap();
        let q = [0.5, 0.5, 0.5, 0.5];
        assert_eq!(index.search(&q, usize::MAX, usize::MAX).unwrap().len(), 50);
        assert_eq!(index.search(&q, 5, 0).unwrap().len(), 5);
    }

    #[test]
    fn bad_config_and_queries() {
        let vectors = flat(10, 4, 14);
        assert!(HnswIndex::build(&vectors, &HnswConfig::default().m(0)).is_err());
        assert!(HnswIndex::build(&vectors, &HnswConfig::default().m(300)).is_err());
        let index = HnswIndex::build(&vectors, &HnswConfig::default()).unwrap();
        assert!(matches!(
            index.search(&[1.0], 3, 10),
            Err(Error::DimensionMismatch { .. })
        ));
        assert!(index.search(&[f32::NAN, 0.0, 0.0, 0.0], 3, 10).is_err());
    }
}
