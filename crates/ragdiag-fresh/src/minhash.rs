//! MinHash signatures and banded LSH: candidate pairs of similar sets without comparing every
//! pair. Candidates are always verified with the exact Jaccard by the caller
//! ([`ragdiag_core::jaccard_sorted`]).

use ragdiag_core::stable_hash;
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
        let mut pairs = Vec::new();
        for band in 0..self.bands {
            let mut buckets: FxHashMap<u64, Vec<usize>> = FxHashMap::default();
            for (i, sig) in signatures.iter().enumerate() {
                if sig.first() == Some(&u64::MAX) {
                    continue;
                }
                let key = stable_hash(&sig[band * self.rows..(band + 1) * self.rows]);
                buckets.entry(key).or_default().push(i);
            }
            for members in buckets.values() {
                // Very large buckets are boilerplate shared by many items; cap the pairs they add.
                for (x, &i) in members.iter().enumerate().take(200) {
                    for &j in members.iter().skip(x + 1).take(200) {
                        pairs.push((i.min(j), i.max(j)));
                    }
                }
            }
        }
        pairs.sort_unstable();
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
}
