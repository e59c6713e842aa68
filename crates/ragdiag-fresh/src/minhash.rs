//! MinHash signatures and banded LSH: candidate pairs of similar sets without comparing every
//! pair. Candidates are always verified with the exact Jaccard by the caller
//! ([`ragdiag_core::jaccard_sorted`]).

use ragdiag_core::stable_hash;
use rayon::prelude::*;

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
    #[cfg(test)]
    pub(crate) fn signature(&self, elements: &[u64]) -> Vec<u64> {
        self.coeffs
            .iter()
            .map(|&(a, b)| min_hash(elements, a, b))
            .collect()
    }

    /// The band keys of each set (the hash of each band of its signature), made in parallel:
    /// all the banding needs, `bands` words per set instead of a signature of `bands × rows`.
    /// A set whose signature starts with `u64::MAX` (an empty set) takes no part, and so does
    /// every set `skip` names. (The audit makes its keys a batch at a time:
    /// [`MinHasher::band_keys`], [`Bands::push`].)
    #[cfg(test)]
    pub(crate) fn bands<T: Sync>(
        &self,
        sets: &[T],
        elements: impl Fn(&T) -> &[u64] + Sync,
        skip: impl Fn(usize) -> bool + Sync,
    ) -> Bands {
        let per_set: Vec<Option<Box<[u64]>>> = sets
            .par_iter()
            .enumerate()
            .map(|(i, set)| {
                if skip(i) {
                    return None;
                }
                self.band_keys(elements(set))
            })
            .collect();
        self.collect_bands(per_set)
    }

    /// The band keys of one set, or `None` for an empty set (its signature starts with
    /// `u64::MAX`): what [`MinHasher::bands`] keeps of each set, for callers that make the
    /// sets a batch at a time and drop them.
    pub(crate) fn band_keys(&self, elements: &[u64]) -> Option<Box<[u64]>> {
        let mut row = vec![0u64; self.rows];
        let mut keys = Vec::with_capacity(self.bands);
        for band in 0..self.bands {
            for (r, slot) in row.iter_mut().enumerate() {
                let (a, b) = self.coeffs[band * self.rows + r];
                *slot = min_hash(elements, a, b);
            }
            if band == 0 && row[0] == u64::MAX {
                return None;
            }
            keys.push(stable_hash(&row[..]));
        }
        Some(keys.into_boxed_slice())
    }

    /// The [`Bands`] of sets whose keys [`MinHasher::band_keys`] made, in set order (`None`:
    /// the set takes no part).
    pub(crate) fn collect_bands(
        &self,
        per_set: impl IntoIterator<Item = Option<Box<[u64]>>>,
    ) -> Bands {
        let mut bands = self.no_bands();
        for k in per_set {
            bands.push(k.as_deref());
        }
        bands
    }

    /// Bands of no set yet, for [`Bands::push`].
    pub(crate) fn no_bands(&self) -> Bands {
        Bands {
            keys: Vec::new(),
            present: Vec::new(),
            bands: self.bands,
        }
    }

    /// Candidate pairs `(i, j)`, `i < j`, that share at least one band, sorted and unique.
    pub(crate) fn candidates(&self, bands: &Bands) -> Vec<(usize, usize)> {
        self.candidates_where(bands, |_, _| true)
    }

    /// The candidate pairs of [`MinHasher::candidates`] for which `keep(i, j)` holds, sorted
    /// and unique: the same pairs as filtering that list afterwards, but the bands are scanned
    /// in parallel and a pair `keep` refuses is never stored, so millions of chance pairs cost
    /// a test each instead of a place in a list to sort. A pair sharing several bands may be
    /// tested once per band, so `keep` must be a pure function of the pair. Each band's
    /// buckets are runs of one sorted list of (key, set) (16 bytes a set, no allocation per
    /// bucket).
    pub(crate) fn candidates_where(
        &self,
        bands: &Bands,
        keep: impl Fn(usize, usize) -> bool + Sync,
    ) -> Vec<(usize, usize)> {
        let mut pairs: Vec<(usize, usize)> = (0..self.bands)
            .into_par_iter()
            .flat_map_iter(|band| {
                let mut entries: Vec<(u64, usize)> = bands
                    .present
                    .iter()
                    .enumerate()
                    .filter(|&(_, &p)| p)
                    .map(|(i, _)| (bands.keys[i * bands.bands + band], i))
                    .collect();
                entries.sort_unstable();
                let mut kept = Vec::new();
                for bucket in entries.chunk_by(|x, y| x.0 == y.0) {
                    // Very large buckets are boilerplate shared by many items; cap the pairs
                    // they add.
                    for (x, &(_, i)) in bucket.iter().enumerate().take(200) {
                        for &(_, j) in bucket.iter().skip(x + 1).take(200) {
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

/// The band keys of many sets, flat (`bands` keys per set).
pub(crate) struct Bands {
    keys: Vec<u64>,
    present: Vec<bool>,
    bands: usize,
}

impl Bands {
    /// Adds the next set: its band keys from [`MinHasher::band_keys`] (`None`: it takes no
    /// part).
    pub(crate) fn push(&mut self, keys: Option<&[u64]>) {
        self.present.push(keys.is_some());
        match keys {
            Some(k) => self.keys.extend_from_slice(k),
            None => self.keys.extend(std::iter::repeat_n(0, self.bands)),
        }
    }
}

/// The minimum of one hash function over a set (`u64::MAX` for an empty set).
fn min_hash(elements: &[u64], a: u64, b: u64) -> u64 {
    elements
        .iter()
        .map(|&x| a.wrapping_mul(x) ^ b)
        .min()
        .unwrap_or(u64::MAX)
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
        let sets = [base.clone(), near.clone(), far];
        let c = mh.candidates(&mh.bands(&sets, Vec::as_slice, |_| false));
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
        let mut sets = sets;
        sets[3].clear();
        let sigs = mh.bands(&sets, Vec::as_slice, |_| false);
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

    /// The banding as it was written first, over whole signatures with a hash map of buckets:
    /// the band keys and sorted buckets must give exactly its pairs.
    fn candidates_by_signatures(mh: &MinHasher, sets: &[Vec<u64>]) -> Vec<(usize, usize)> {
        let sigs: Vec<Vec<u64>> = sets.iter().map(|s| mh.signature(s)).collect();
        let mut pairs = Vec::new();
        for band in 0..mh.bands {
            let mut buckets: std::collections::HashMap<u64, Vec<usize>> = Default::default();
            for (i, sig) in sigs.iter().enumerate() {
                if sig[0] != u64::MAX {
                    let key = stable_hash(&sig[band * mh.rows..(band + 1) * mh.rows]);
                    buckets.entry(key).or_default().push(i);
                }
            }
            for members in buckets.values() {
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

    #[test]
    fn band_keys_give_the_pairs_of_whole_signatures() {
        for (rows, universe) in [(2u64, 40u64), (4, 300)] {
            let mh = MinHasher::new(16, rows as usize, 11);
            let mut sets: Vec<Vec<u64>> = (0..700u64)
                .map(|i| {
                    let mut s: Vec<u64> = (0..(3 + i % 9))
                        .map(|k| stable_hash(&((i * 7 + k * 13) % universe)))
                        .collect();
                    s.sort_unstable();
                    s.dedup();
                    s
                })
                .collect();
            sets[5].clear();
            let expected = candidates_by_signatures(&mh, &sets);
            assert!(expected.len() > 1_000, "{} pairs", expected.len());
            assert_eq!(
                mh.candidates(&mh.bands(&sets, Vec::as_slice, |_| false)),
                expected
            );
        }
    }
}
