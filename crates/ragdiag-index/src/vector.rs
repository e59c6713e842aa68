//! Exact vector search (the ground truth), the dot product, and recall of one ranking against
//! another.

use std::sync::Arc;

use rayon::prelude::*;

use crate::graph::Rows;
use crate::kernel::{dispatch, dot_dispatched, Kernel, KernelOp};
use crate::topk::TopK;
use crate::Error;

/// How far a vector's squared L2 norm may be from 1 and still count as normalised.
const NORM_TOLERANCE: f32 = 1e-3;

/// Dot product of two equally long slices, summed in a fixed order (16 lanes of multiply then
/// add, a scalar tail, then a fixed pairwise reduction), so the same inputs give the same bits
/// on every run, thread and machine.
///
/// It runs on AVX2 where the CPU has it (detected at run time) and on the build's baseline
/// instruction set otherwise, with bit-identical results: the order of operations is the same
/// and no multiply-add is fused.
#[must_use]
#[inline]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    debug_assert_eq!(a.len(), b.len());
    dot_dispatched(a, b)
}

/// Scales `v` to unit L2 norm in place; a zero vector is left as it is.
pub fn l2_normalize(v: &mut [f32]) {
    let norm = dot(v, v).sqrt();
    if norm > 0.0 {
        for x in v {
            *x /= norm;
        }
    }
}

/// Checks that `v` has dimension `dim`, finite components and unit norm.
pub(crate) fn check_vector(v: &[f32], dim: usize, what: &dyn Fn() -> String) -> crate::Result<()> {
    if v.len() != dim {
        return Err(Error::DimensionMismatch {
            expected: dim,
            found: v.len(),
        });
    }
    if let Some(i) = v.iter().position(|x| !x.is_finite()) {
        return Err(Error::InvalidInput(format!(
            "{}: component {i} is not finite ({})",
            what(),
            v[i]
        )));
    }
    let n2 = dot(v, v);
    if (n2 - 1.0).abs() > NORM_TOLERANCE {
        return Err(Error::InvalidInput(format!(
            "{}: not L2-normalised (norm {:.6}); normalise it (see `l2_normalize`)",
            what(),
            n2.sqrt()
        )));
    }
    Ok(())
}

/// Checks a query: right dimension and finite components (its norm does not matter for the
/// ranking).
pub(crate) fn check_query(q: &[f32], dim: usize) -> crate::Result<()> {
    if q.len() != dim {
        return Err(Error::DimensionMismatch {
            expected: dim,
            found: q.len(),
        });
    }
    if let Some(i) = q.iter().position(|x| !x.is_finite()) {
        return Err(Error::InvalidInput(format!(
            "query vector component {i} is not finite ({})",
            q[i]
        )));
    }
    Ok(())
}

/// L2-normalised `f32` vectors of one dimension, each with a distinct `u32` key, searched
/// exactly by dot product (= cosine similarity).
///
/// This is the ground truth for [`crate::HnswIndex`]: results are sorted by score descending,
/// then key ascending, the top `k` respects that order across ties, and the same inputs give
/// the same bits on every run and thread count.
#[derive(Debug, Clone, PartialEq)]
pub struct FlatIndex {
    dim: usize,
    keys: Vec<u32>,
    /// Row-major, `keys.len() * dim` values, 64-byte aligned; shared with an
    /// [`crate::HnswIndex`] built from (or loaded with) this index when the keys ascend.
    data: Arc<Rows>,
}

impl FlatIndex {
    /// An index of `dim`-dimensional vectors from `keys` and their vectors laid end to end in
    /// `data` (row `i` is `data[i * dim..(i + 1) * dim]` and has key `keys[i]`).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] when `dim` is 0, `data.len() != keys.len() * dim`, a key repeats,
    /// or a vector has a non-finite component or is not L2-normalised (within 1e-3 on the
    /// squared norm).
    pub fn from_parts(dim: usize, keys: Vec<u32>, data: Vec<f32>) -> crate::Result<Self> {
        if dim == 0 {
            return Err(Error::InvalidInput("vector dimension is 0".into()));
        }
        if keys.len().checked_mul(dim) != Some(data.len()) {
            return Err(Error::InvalidInput(format!(
                "{} keys need {} values of dimension {dim}, got {}",
                keys.len(),
                keys.len().saturating_mul(dim),
                data.len()
            )));
        }
        for (key, row) in keys.iter().zip(data.chunks_exact(dim)) {
            check_vector(row, dim, &|| format!("vector of key {key}"))?;
        }
        let mut sorted = keys.clone();
        sorted.sort_unstable();
        if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
            return Err(Error::InvalidInput(format!(
                "key {} appears more than once among the vectors",
                w[0]
            )));
        }
        Ok(FlatIndex {
            dim,
            keys,
            data: Arc::new(Rows::from_vec(data)),
        })
    }

    /// The vectors, shared (for a graph over them).
    pub(crate) fn shared_data(&self) -> Arc<Rows> {
        Arc::clone(&self.data)
    }

    /// An index from `(key, vector)` rows; see [`FlatIndex::from_parts`] for the rules.
    ///
    /// # Errors
    ///
    /// As [`FlatIndex::from_parts`], and [`Error::DimensionMismatch`] for a row of the wrong
    /// length.
    pub fn from_rows<I, V>(dim: usize, rows: I) -> crate::Result<Self>
    where
        I: IntoIterator<Item = (u32, V)>,
        V: AsRef<[f32]>,
    {
        let mut keys = Vec::new();
        let mut data = Vec::new();
        for (key, v) in rows {
            let v = v.as_ref();
            if v.len() != dim {
                return Err(Error::DimensionMismatch {
                    expected: dim,
                    found: v.len(),
                });
            }
            keys.push(key);
            data.extend_from_slice(v);
        }
        Self::from_parts(dim, keys, data)
    }

    /// The vectors' dimension.
    #[must_use]
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Number of vectors.
    #[must_use]
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether there is no vector.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The keys, in insertion order.
    #[must_use]
    pub fn keys(&self) -> &[u32] {
        &self.keys
    }

    /// All vectors end to end, in the order of [`FlatIndex::keys`].
    #[must_use]
    pub fn data(&self) -> &[f32] {
        self.data.as_slice()
    }

    /// The `i`-th vector (in the order of [`FlatIndex::keys`]), if any.
    #[must_use]
    pub fn row(&self, i: usize) -> Option<&[f32]> {
        self.data().chunks_exact(self.dim).nth(i)
    }

    /// The `(key, vector)` rows in insertion order.
    pub fn rows(&self) -> impl ExactSizeIterator<Item = (u32, &[f32])> + '_ {
        self.keys
            .iter()
            .copied()
            .zip(self.data().chunks_exact(self.dim))
    }

    /// The `k` most similar vectors to `query` as `(key, dot product)`, score descending then
    /// key ascending. The query need not be normalised (the order is the same).
    ///
    /// # Errors
    ///
    /// [`Error::DimensionMismatch`], or [`Error::InvalidInput`] for a non-finite component.
    pub fn search(&self, query: &[f32], k: usize) -> crate::Result<Vec<(u32, f32)>> {
        check_query(query, self.dim)?;
        if k == 0 {
            return Ok(Vec::new());
        }
        let mut top = TopK::new(k.min(self.len()));
        dispatch(ScanOp {
            index: self,
            queries: std::slice::from_ref(&query),
            tops: std::slice::from_mut(&mut top),
        });
        Ok(top.into_sorted())
    }

    /// [`FlatIndex::search`] for many queries, in parallel (rayon's current pool); the result
    /// is the same as one [`FlatIndex::search`] per query, whatever the number of threads.
    ///
    /// Queries are taken in tiles of 8 that share one pass over the vectors, which cuts memory
    /// traffic on large indexes.
    ///
    /// # Errors
    ///
    /// As [`FlatIndex::search`], for the first bad query.
    pub fn search_batch(
        &self,
        queries: &[Vec<f32>],
        k: usize,
    ) -> crate::Result<Vec<Vec<(u32, f32)>>> {
        for q in queries {
            check_query(q, self.dim)?;
        }
        if k == 0 {
            return Ok(vec![Vec::new(); queries.len()]);
        }
        let k = k.min(self.len());
        let tiles: Vec<Vec<Vec<(u32, f32)>>> = queries
            .par_chunks(QUERY_TILE)
            .map(|tile| {
                let mut tops: Vec<TopK> = tile.iter().map(|_| TopK::new(k)).collect();
                let queries: Vec<&[f32]> = tile.iter().map(Vec::as_slice).collect();
                dispatch(ScanOp {
                    index: self,
                    queries: &queries,
                    tops: &mut tops,
                });
                tops.into_iter().map(TopK::into_sorted).collect()
            })
            .collect();
        Ok(tiles.into_iter().flatten().collect())
    }
}

/// One pass over all vectors, offering each to the top-k of every query.
struct ScanOp<'a> {
    index: &'a FlatIndex,
    queries: &'a [&'a [f32]],
    tops: &'a mut [TopK],
}

impl KernelOp for ScanOp<'_> {
    type Output = ();

    #[inline(always)]
    fn run<K: Kernel>(self, kernel: K) {
        for (key, row) in self.index.rows() {
            for (q, top) in self.queries.iter().zip(self.tops.iter_mut()) {
                top.push(kernel.dot(q, row), key);
            }
        }
    }
}

/// Number of queries [`FlatIndex::search_batch`] scores in one pass over the vectors.
const QUERY_TILE: usize = 8;

/// Mean over queries of |top-`k` of `ann` ∩ top-`k` of `exact`| / min(`k`, |`exact`|).
///
/// Queries whose exact list is empty are left out; with no query left the recall is 1.
/// A key that ties with the exact `k`-th key but is not in the exact list counts as a miss.
///
/// # Panics
///
/// When `ann` and `exact` have different lengths.
#[must_use]
pub fn recall_at_k(ann: &[Vec<u32>], exact: &[Vec<u32>], k: usize) -> f64 {
    assert_eq!(
        ann.len(),
        exact.len(),
        "recall_at_k needs one ANN list per exact list"
    );
    let mut sum = 0.0;
    let mut n = 0usize;
    for (a, e) in ann.iter().zip(exact) {
        let e = &e[..e.len().min(k)];
        if e.is_empty() {
            continue;
        }
        let a = &a[..a.len().min(k)];
        let hits = a.iter().filter(|key| e.contains(key)).count();
        #[allow(clippy::cast_precision_loss)] // Counts far below 2^52.
        {
            sum += hits as f64 / e.len() as f64;
        }
        n += 1;
    }
    if n == 0 {
        1.0
    } else {
        #[allow(clippy::cast_precision_loss)]
        let n = n as f64;
        sum / n
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::testutil::{flat, unit_vectors};

    /// The reference: score everything with `dot`, sort fully, cut at `k`.
    fn naive(index: &FlatIndex, q: &[f32], k: usize) -> Vec<(u32, f32)> {
        let mut all: Vec<(u32, f32)> = index.rows().map(|(key, v)| (key, dot(q, v))).collect();
        all.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        all.truncate(k);
        all
    }

    #[test]
    fn dot_matches_f64() {
        for dim in [1, 3, 15, 16, 17, 64, 384, 385] {
            let v = unit_vectors(2, dim, 7);
            let want: f64 = v[0]
                .iter()
                .zip(&v[1])
                .map(|(a, b)| f64::from(*a) * f64::from(*b))
                .sum();
            assert!((f64::from(dot(&v[0], &v[1])) - want).abs() < 1e-5, "{dim}");
        }
    }

    #[test]
    fn ties_break_by_key() {
        let rows = [
            (9, [1.0, 0.0]),
            (2, [0.0, 1.0]),
            (4, [1.0, 0.0]),
            (1, [1.0, 0.0]),
        ];
        let index = FlatIndex::from_rows(2, rows).unwrap();
        let hits = index.search(&[1.0, 0.0], 2).unwrap();
        assert_eq!(hits, [(1, 1.0), (4, 1.0)]);
        assert_eq!(index.search(&[1.0, 0.0], 10).unwrap().len(), 4);
    }

    #[test]
    fn rejects_bad_vectors() {
        let bad = |rows: Vec<(u32, Vec<f32>)>| FlatIndex::from_rows(2, rows).unwrap_err();
        assert!(matches!(
            bad(vec![(1, vec![2.0, 0.0])]),
            Error::InvalidInput(_)
        ));
        assert!(matches!(
            bad(vec![(1, vec![f32::NAN, 0.0])]),
            Error::InvalidInput(_)
        ));
        assert!(matches!(
            bad(vec![(1, vec![0.0, 0.0])]),
            Error::InvalidInput(_)
        ));
        assert!(matches!(
            bad(vec![(1, vec![1.0, 0.0, 0.0])]),
            Error::DimensionMismatch {
                expected: 2,
                found: 3
            }
        ));
        assert!(matches!(
            bad(vec![(1, vec![1.0, 0.0]), (1, vec![0.0, 1.0])]),
            Error::InvalidInput(_)
        ));
        assert!(FlatIndex::from_parts(0, vec![], vec![]).is_err());
        assert!(FlatIndex::from_parts(2, vec![1], vec![1.0]).is_err());
    }

    #[test]
    fn rejects_bad_queries() {
        let index = flat(10, 4, 1);
        assert!(matches!(
            index.search(&[1.0, 0.0], 3),
            Err(Error::DimensionMismatch {
                expected: 4,
                found: 2
            })
        ));
        assert!(index.search(&[f32::INFINITY, 0.0, 0.0, 0.0], 3).is_err());
        assert!(index.search(&[0.0; 4], 0).unwrap().is_empty());
    }

    #[test]
    fn huge_k_is_fine() {
        let index = flat(20, 3, 2);
        let q = [1.0, 0.0, 0.0];
        assert_eq!(index.search(&q, usize::MAX).unwrap().len(), 20);
        let batch = index.search_batch(&[q.to_vec()], usize::MAX).unwrap();
        assert_eq!(batch[0].len(), 20);
    }

    #[test]
    fn empty_index_finds_nothing() {
        let index = FlatIndex::from_parts(3, vec![], vec![]).unwrap();
        assert!(index.is_empty());
        assert!(index.search(&[1.0, 0.0, 0.0], 5).unwrap().is_empty());
    }

    #[test]
    fn batch_equals_one_by_one() {
        let index = flat(500, 16, 3);
        let queries = unit_vectors(40, 16, 4);
        let batch = index.search_batch(&queries, 7).unwrap();
        for (q, got) in queries.iter().zip(&batch) {
            assert_eq!(got, &index.search(q, 7).unwrap());
        }
    }

    #[test]
    fn recall_counts_overlap() {
        let exact = vec![vec![1, 2, 3], vec![4, 5], vec![]];
        let ann = vec![vec![3, 2, 9], vec![5, 4], vec![1]];
        let r = recall_at_k(&ann, &exact, 3);
        assert!((r - (2.0 / 3.0 + 1.0) / 2.0).abs() < 1e-12);
        assert!((recall_at_k(&ann, &exact, 1) - 0.0).abs() < 1e-12);
        assert!((recall_at_k(&[], &[], 10) - 1.0).abs() < 1e-12);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn flat_equals_naive_reference(
            n in 0usize..300,
            dim in 1usize..40,
            k in 0usize..50,
            seed in any::<u64>(),
            dup in 0usize..4,
        ) {
            // Some duplicated vectors force score ties.
            let mut rows = unit_vectors(n, dim, seed);
            for i in 0..dup.min(n / 2) {
                rows[n - 1 - i] = rows[i].clone();
            }
            // Keys in a scrambled order.
            let keys: Vec<u32> = (0..n).map(|i| u32::try_from((i * 7919) % 100_003).unwrap()).collect();
            let index = FlatIndex::from_rows(dim, keys.iter().copied().zip(&rows)).unwrap();
            for q in unit_vectors(5, dim, seed ^ 1) {
                prop_assert_eq!(index.search(&q, k).unwrap(), naive(&index, &q, k));
            }
            if let Some(q) = rows.first() {
                prop_assert_eq!(index.search(q, k).unwrap(), naive(&index, q, k));
            }
        }
    }
}
