//! Word 3-shingles and their Jaccard similarity: how ragdiag tells near-duplicate texts apart
//! (documents in the freshness audit, chunks of one context window in the diagnosis).
//!
//! A text's words are its maximal runs of alphanumeric characters (Unicode's definition),
//! lower-cased; every other character separates words. Its shingles are its runs of three
//! consecutive words, each hashed with [`stable_hash`] and kept once: a text of one or two words
//! is one shingle of those words, a text without words has none. Two texts are compared with the
//! exact Jaccard similarity of their shingle sets ([`jaccard_sorted`]); two texts without words
//! have nothing in common to measure, so their similarity is 0.

use rustc_hash::FxHasher;
use std::hash::{Hash, Hasher};

/// The lower-cased words of `text`: maximal runs of alphanumeric characters.
#[must_use]
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// A stable 64-bit hash (FxHash: the same value on every run and on every platform of one
/// pointer width, unlike the standard library's randomly keyed hasher).
#[must_use]
pub fn stable_hash<T: Hash + ?Sized>(x: &T) -> u64 {
    let mut h = FxHasher::default();
    x.hash(&mut h);
    h.finish()
}

/// The sorted, unique hashes of the word 3-shingles of `text` (a text of one or two words is
/// one shingle; a text without words has none).
#[must_use]
pub fn word_shingles(text: &str) -> Vec<u64> {
    let w = words(text);
    let mut out: Vec<u64> = if w.len() < 3 {
        if w.is_empty() {
            Vec::new()
        } else {
            vec![stable_hash(&w[..])]
        }
    } else {
        w.windows(3).map(stable_hash).collect()
    };
    out.sort_unstable();
    out.dedup();
    out
}

/// The exact Jaccard similarity of two sorted, deduplicated slices (such as two
/// [`word_shingles`]): shared elements over all elements, 0 when both are empty.
#[must_use]
pub fn jaccard_sorted(a: &[u64], b: &[u64]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 0.0;
    }
    let (mut i, mut j, mut inter) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                inter += 1;
                i += 1;
                j += 1;
            }
        }
    }
    inter as f64 / (a.len() + b.len() - inter) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_lower_cased_alphanumeric_runs() {
        assert_eq!(
            words("Café-Ünïcode, 30 DAYS!\n(v2)"),
            ["café", "ünïcode", "30", "days", "v2"]
        );
        assert!(words(" -- ... ").is_empty());
    }

    #[test]
    fn shingles_are_three_word_windows_and_short_texts_one_shingle() {
        let s = word_shingles("a b c d a b c");
        // abc, bcd, cda, dab, abc again: four distinct.
        assert_eq!(s.len(), 4);
        assert!(s.windows(2).all(|p| p[0] < p[1]));
        assert!(s.contains(&stable_hash(&["a", "b", "c"].map(String::from)[..])));
        assert_eq!(
            word_shingles("Hello, World"),
            vec![stable_hash(&["hello", "world"].map(String::from)[..])]
        );
        assert!(word_shingles("?!").is_empty());
        // Case and punctuation do not matter; word order does.
        assert_eq!(word_shingles("A b, C"), word_shingles("a B c"));
        assert_ne!(word_shingles("a b c"), word_shingles("c b a"));
    }

    #[test]
    fn jaccard_of_shingle_sets() {
        let a = word_shingles("annual plans can be refunded within 30 days");
        let b = word_shingles("annual plans can be refunded within 14 days");
        // Six shingles each, four shared.
        assert!((jaccard_sorted(&a, &b) - 4.0 / 8.0).abs() < 1e-12);
        assert_eq!(jaccard_sorted(&a, &a), 1.0);
        assert_eq!(jaccard_sorted(&a, &[]), 0.0);
        assert_eq!(jaccard_sorted(&[], &[]), 0.0);
    }
}
