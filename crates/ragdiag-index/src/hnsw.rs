//! Approximate vector search with hnsw_rs, its persistence, and the choice of `ef`.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use hnsw_rs::prelude::{AnnT, Distance, Hnsw, HnswIo};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::topk::sort_hits;
use crate::vector::{check_query, dot, recall_at_k};
use crate::{Error, FlatIndex};

/// hnsw_rs's fixed number of layers; its dump format requires exactly this value.
const MAX_LAYERS: usize = 16;

/// The file stem of the HNSW dump: hnsw_rs writes `hnsw.hnsw.graph` and `hnsw.hnsw.data`.
pub(crate) const HNSW_BASENAME: &str = "hnsw";

/// The values of `ef` that [`tune_ef`] tries, in order.
const EF_LADDER: [usize; 5] = [50, 100, 200, 400, 800];

/// `1 − dot(a, b)`, clamped at 0, for L2-normalised vectors: the same order as cosine distance,
/// cheaper, and never negative (hnsw_rs asserts non-negative distances; rounding can push the
/// dot product of a vector with itself just above 1).
#[derive(Debug, Default, Clone, Copy)]
pub struct DotDistance;

impl Distance<f32> for DotDistance {
    fn eval(&self, va: &[f32], vb: &[f32]) -> f32 {
        (1.0 - dot(va, vb)).max(0.0)
    }
}

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
    /// Single-threaded insertion in key order (reproducible) rather than parallel.
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

    /// `true`: insert on one thread in key order, so that the same vectors always give the
    /// same graph and the same answers. `false`: insert in parallel on rayon's current pool
    /// (faster; the graph, and so the answers, may vary between builds).
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

/// An HNSW graph (hnsw_rs) over the vectors of a [`FlatIndex`], searched by dot product.
///
/// Results are `(key, dot product)` sorted by score descending then key ascending (the score
/// is `1 − distance`, so it may differ from [`FlatIndex::search`]'s in the last bits). Recall
/// against exact search depends on `ef`; measure it with [`recall_at_k`] or choose `ef` with
/// [`tune_ef`].
pub struct HnswIndex {
    hnsw: Hnsw<'static, f32, DotDistance>,
    dim: usize,
    len: usize,
    config: HnswConfig,
}

impl std::fmt::Debug for HnswIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HnswIndex")
            .field("dim", &self.dim)
            .field("len", &self.len)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl HnswIndex {
    /// Builds a graph over all of `vectors`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for a bad configuration; [`Error::Hnsw`] if hnsw_rs panics.
    pub fn build(vectors: &FlatIndex, config: &HnswConfig) -> crate::Result<Self> {
        config.validate()?;
        let hnsw = Hnsw::<f32, DotDistance>::new(
            config.m,
            vectors.len().max(1),
            MAX_LAYERS,
            config.ef_construction,
            DotDistance,
        );
        let mut rows: Vec<(&[f32], usize)> =
            vectors.rows().map(|(key, v)| (v, key as usize)).collect();
        let inserted = catch_unwind(AssertUnwindSafe(|| {
            if config.deterministic {
                rows.sort_unstable_by_key(|&(_, key)| key);
                for &row in &rows {
                    hnsw.insert_slice(row);
                }
            } else {
                hnsw.parallel_insert_slice(&rows);
            }
        }));
        if inserted.is_err() {
            return Err(Error::Hnsw("hnsw_rs panicked while inserting".into()));
        }
        let mut hnsw = hnsw;
        hnsw.set_searching_mode(true);
        Ok(HnswIndex {
            hnsw,
            dim: vectors.dim(),
            len: vectors.len(),
            config: *config,
        })
    }

    /// Number of indexed vectors.
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the graph is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The vectors' dimension.
    #[must_use]
    pub fn dim(&self) -> usize {
        self.dim
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
        check_query(query, self.dim)?;
        if k == 0 || self.len == 0 {
            return Ok(Vec::new());
        }
        // More than `len` of either is pointless, and hnsw_rs allocates `ef` up front.
        let k = k.min(self.len);
        let ef = ef.max(k).min(self.len);
        let mut hits: Vec<(u32, f32)> = self
            .hnsw
            .search(query, k, ef)
            .into_iter()
            .filter_map(|n| {
                u32::try_from(n.d_id)
                    .ok()
                    .map(|key| (key, 1.0 - n.distance))
            })
            .collect();
        sort_hits(&mut hits);
        Ok(hits)
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

    /// Writes the graph and its vectors to `dir` as hnsw_rs's `hnsw.hnsw.graph` and
    /// `hnsw.hnsw.data` (native byte order: a dump is for the machine kind that wrote it).
    ///
    /// # Errors
    ///
    /// [`Error::Hnsw`] when hnsw_rs fails or panics (it panics when it cannot create a file).
    pub fn dump(&self, dir: &Path) -> crate::Result<()> {
        let dumped = catch_unwind(AssertUnwindSafe(|| self.hnsw.file_dump(dir, HNSW_BASENAME)));
        match dumped {
            Ok(Ok(name)) if name == HNSW_BASENAME => Ok(()),
            Ok(Ok(name)) => Err(Error::Hnsw(format!(
                "hnsw_rs dumped under an unexpected name `{name}`"
            ))),
            Ok(Err(e)) => Err(Error::Hnsw(format!(
                "dump to {} failed: {e:#}",
                dir.display()
            ))),
            Err(_) => Err(Error::Hnsw(format!(
                "hnsw_rs panicked while dumping to {}",
                dir.display()
            ))),
        }
    }

    /// Reloads a graph written by [`HnswIndex::dump`], expecting `len` vectors of dimension
    /// `dim`.
    ///
    /// hnsw_rs ties a reloaded graph's lifetime to its loader; the loader (a few hundred bytes,
    /// no vector data) is therefore leaked, once per call.
    ///
    /// # Errors
    ///
    /// [`Error::Corrupt`] when the files are missing, unreadable or do not match `dim`/`len`.
    /// hnsw_rs asserts on malformed input rather than returning an error; such a panic is
    /// caught and reported as [`Error::Corrupt`] too, but callers should check the files'
    /// integrity first (as [`crate::IndexDir::open`] does) to keep the panic message off
    /// stderr.
    pub fn load(dir: &Path, dim: usize, len: usize, config: &HnswConfig) -> crate::Result<Self> {
        let graph = dir.join(format!("{HNSW_BASENAME}.hnsw.graph"));
        for f in [
            graph.clone(),
            dir.join(format!("{HNSW_BASENAME}.hnsw.data")),
        ] {
            if !f.is_file() {
                return Err(Error::corrupt(f, "missing HNSW dump file"));
            }
        }
        let loader: &'static mut HnswIo = Box::leak(Box::new(HnswIo::new(dir, HNSW_BASENAME)));
        let loaded = catch_unwind(AssertUnwindSafe(move || {
            let loader = loader;
            loader.load_hnsw::<f32, DotDistance>()
        }));
        let mut hnsw = match loaded {
            Ok(Ok(h)) => h,
            Ok(Err(e)) => return Err(Error::corrupt(&graph, format!("cannot reload: {e:#}"))),
            Err(_) => return Err(Error::corrupt(&graph, "hnsw_rs panicked while reloading")),
        };
        if hnsw.get_nb_point() != len {
            return Err(Error::corrupt(
                &graph,
                format!("holds {} points, expected {len}", hnsw.get_nb_point()),
            ));
        }
        let found_dim = hnsw.get_point_indexation().get_data_dimension();
        if len > 0 && found_dim != dim {
            return Err(Error::corrupt(
                &graph,
                format!("holds {found_dim}-d vectors, expected {dim}"),
            ));
        }
        hnsw.set_searching_mode(true);
        Ok(HnswIndex {
            hnsw,
            dim,
            len,
            config: *config,
        })
    }
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
        assert_eq!(
            a.search_batch(&queries, 10, 20).unwrap(),
            b.search_batch(&queries, 10, 20).unwrap()
        );
    }

    #[test]
    fn parallel_build_works() {
        let vectors = flat(1_000, 16, 8);
        let index =
            HnswIndex::build(&vectors, &HnswConfig::default().deterministic(false)).unwrap();
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
        let loaded = HnswIndex::load(dir.path(), 12, 500, &config).unwrap();
        let queries = unit_vectors(30, 12, 13);
        assert_eq!(
            index.search_batch(&queries, 10, 50).unwrap(),
            loaded.search_batch(&queries, 10, 50).unwrap()
        );
        assert!(matches!(
            HnswIndex::load(dir.path(), 12, 499, &config),
            Err(Error::Corrupt { .. })
        ));
        assert!(matches!(
            HnswIndex::load(&dir.path().join("nope"), 12, 500, &config),
            Err(Error::Corrupt { .. })
        ));
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
