//! MinHash signatures and banded LSH: candidate pairs of similar sets without comparing every
//! pair. Candidates are always verified with the exact Jaccard by the caller
//! ([`ragdiag_core::jaccard_sorted`]).

use ragdiag_core::stable_hash;
use rayon::prelude::*;
use rustc_hash::FxHashMap;

/// A family of `bands × rows` hash functions, seeded.
#[derive(Debug, Clone)]
pub(crate) struct MinHasher {
    coeffs: Vec<(u64, u64)>,
    bands: usize,
    rows: usize,
}

impl MinHasher {
    pub(crate) fn new(bands: usize, rows: usize, seed: u64) -> Self {
        let mut state = seed ^ 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            // splitmix64
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        // h(x) = (a·x mod 2^64) xor b with odd a: a bijection of u64, so each function is a
        // permutation of the element hashes (multiply–xor hashing, no division on the hot path).
        let coeffs = (0..bands * rows).map(|_| (next() | 1, next())).collect();
        MinHasher {
            coeffs,
            bands,
            rows,
        }
    }

    /// The signature of a set given by its element hashes (empty sets get an all-max signature).
    pub(crate) fn signature(&self, elements: &[u64]) -> Vec<u64> {
        self.coeffs
            .iter()
            .map(|&(a, b)| {
                elements
                    .iter()
                    .map(|&x| a.wrapping_mul(x) ^ b)
                    .min()
                    .unwrap_or(u64::MAX)
            })
            .collect()
    }

    /// Candidate pairs `(i, j)`, `i < j`, that share at least one band, sorted and unique.
    pub(crate) fn candidates(&self, signatures: &[Vec<u64>]) -> Vec<(usize, usize)> {
        self.candidates_where(signatures, |_, _| true)
    }

    /// The candidate pairs of [`MinHasher::candidates`] for which `keep(i, j)` holds, sorted
    /// and unique: the same pairs as filtering that list afterwards, but the bands are scanned
    /// in parallel and a pair `keep` refuses is never stored, so millions of chance pairs cost
    /// a test each instead of a place in a list to sort. A pair sharing several bands may be
    /// tested once per band, so `keep` must be a pure function of the pair.
    pub(crate) fn candidates_where(
        &self,
        signatures: &[Vec<u64>],
        keep: impl Fn(usize, usize) -> bool + Sync,
    ) -> Vec<(usize, usize)> {
        let mut pairs: Vec<(usize, usize)> = (0..self.bands)
            .into_par_iter()
            .flat_map_iter(|band| {
                let mut buckets: FxHashMap<u64, Vec<usize>> = FxHashMap::default();
                for (i, sig) in signatures.iter().enumerate() {
                    if sig.first() == Some(&u64::MAX) {
                        continue;
                    }
                    let key = stable_hash(&sig[band * self.rows..(band + 1) * self.rows]);
                    buckets.entry(key).or_default().push(i);
                }
                let mut kept = Vec::new();
                for members in buckets.values() {
                    // Very large buckets are boilerplate shared by many items; cap the pairs
                    // they add.
                    for (x, &i) in members.iter().enumerate().take(200) {
                        for &j in members.iter().skip(x + 1).take(200) {
                            let pair = (i.min(j), i.max(j));
                            if keep(pair.0, pair.1) {
                                kept.push(pair);
                            }
                        }
                    }
                }
                kept
            })
            .collect();
        pairs.par_sort_unstable();
        pairs.dedup();
        pairs
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ragdiag_core::jaccard_sorted;

    #[test]
    fn similar_sets_become_candidates_dissimilar_rarely() {
        let mh = MinHasher::new(16, 4, 1);
        let base: Vec<u64> = (0..200).map(|i| stable_hash(&i)).collect();
        let mut near = base.clone();
        for (k, slot) in near.iter_mut().take(15).enumerate() {
            *slot = stable_hash(&(1000 + k));
        }
        let far: Vec<u64> = (500..700).map(|i| stable_hash(&i)).collect();
        let sigs = vec![mh.signature(&base), mh.signature(&near), mh.signature(&far)];
        let c = mh.candidates(&sigs);
        assert!(c.contains(&(0, 1)));
        assert!(!c.contains(&(0, 2)) && !c.contains(&(1, 2)));
        let mut a = base.clone();
        a.sort_unstable();
        let mut b = near.clone();
        b.sort_unstable();
        assert!((jaccard_sorted(&a, &b) - 185.0 / 215.0).abs() < 1e-12);
    }

    #[test]
    fn filtered_candidates_are_the_candidates_filtered() {
        // Short sets over a small universe: many chance pairs, buckets over the 200 cap.
        let mh = MinHasher::new(16, 2, 7);
        let sets: Vec<Vec<u64>> = (0..900u64)
            .map(|i| {
                let mut s: Vec<u64> = (0..6)
                    .map(|k| stable_hash(&((i * 7 + k * 13) % 40)))
                    .collect();
                s.sort_unstable();
                s.dedup();
                s
            })
            .collect();
        let mut sigs: Vec<Vec<u64>> = sets.iter().map(|s| mh.signature(s)).collect();
        sigs[3] = mh.signature(&[]);
        let all = mh.candidates(&sigs);
        assert!(all.len() > 10_000, "{} pairs", all.len());
        assert!(!all.iter().any(|&(i, j)| i == 3 || j == 3));
        let keep = |i: usize, j: usize| {
            (i + j).is_multiple_of(3) && jaccard_sorted(&sets[i], &sets[j]) >= 0.2
        };
        let filtered: Vec<(usize, usize)> =
            all.iter().copied().filter(|&(i, j)| keep(i, j)).collect();
        assert!(!filtered.is_empty() && filtered.len() < all.len());
        assert_eq!(mh.candidates_where(&sigs, keep), filtered);
    }
}
