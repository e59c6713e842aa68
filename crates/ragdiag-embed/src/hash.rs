//! [`HashEmbedder`]: a deterministic, model-free embedder for tests.

use crate::vector::normalize;
use crate::{EmbedError, Embedder};

/// A deterministic embedder that needs no model: a signed, hashed bag of words.
///
/// Each lower-cased word (a run of alphanumeric characters) adds ±1 to one of `dim` buckets, and
/// each of its character trigrams (with `^`/`$` marking the word's ends) adds ±0.5, so texts
/// that share words, or parts of words ("refund" and "refunds"), get a positive cosine. The
/// vector is L2-normalised. A text without words embeds as the word `<empty>`.
///
/// It knows nothing of meaning ("money back" and "refund" share nothing) and exists so tests
/// elsewhere run in milliseconds. Its hash (FNV-1a, 64-bit) is fixed, so vectors are the same on
/// every platform and release.
///
/// ```
/// use ragdiag_embed::{cosine, Embedder, HashEmbedder};
/// let e = HashEmbedder::new(64);
/// let v = e.embed_documents(&["refunds are paid in 14 days", "the API returns JSON"])?;
/// let q = e.embed_query("when are refunds paid")?;
/// assert!(cosine(&q, &v[0]) > cosine(&q, &v[1]));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct HashEmbedder {
    dim: usize,
    model_id: String,
}

impl HashEmbedder {
    /// An embedder of `dim` dimensions; its model id is `hash-{dim}`.
    ///
    /// # Panics
    ///
    /// When `dim` is 0.
    #[must_use]
    pub fn new(dim: usize) -> Self {
        assert!(dim > 0, "HashEmbedder needs at least one dimension");
        Self {
            dim,
            model_id: format!("hash-{dim}"),
        }
    }

    fn embed(&self, text: &str) -> Vec<f32> {
        let mut v = vec![0f32; self.dim];
        let mut any = false;
        let lower = text.to_lowercase();
        for word in lower
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
        {
            any = true;
            self.add(&mut v, word.as_bytes(), 1.0);
            let marked: Vec<char> = std::iter::once('^')
                .chain(word.chars())
                .chain(std::iter::once('$'))
                .collect();
            let mut buf = [0u8; 12];
            for tri in marked.windows(3) {
                let mut len = 0;
                for c in tri {
                    len += c.encode_utf8(&mut buf[len..]).len();
                }
                self.add(&mut v, &buf[..len], 0.5);
            }
        }
        if !any {
            self.add(&mut v, b"<empty>", 1.0);
        }
        normalize(&mut v);
        v
    }

    fn add(&self, v: &mut [f32], token: &[u8], weight: f32) {
        let h = fnv1a(token);
        // The bucket is below `dim`, a `usize`, so the conversion back is lossless.
        #[allow(clippy::cast_possible_truncation)]
        let bucket = (h % self.dim as u64) as usize;
        let sign = if h >> 63 == 0 { 1.0 } else { -1.0 };
        v[bucket] += sign * weight;
    }
}

impl Default for HashEmbedder {
    /// A 64-dimension embedder.
    fn default() -> Self {
        Self::new(64)
    }
}

/// 64-bit FNV-1a, then a final mix so that the high bit (the sign) depends on every byte.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    // splitmix64's finaliser.
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

impl Embedder for HashEmbedder {
    fn model_id(&self) -> &str {
        &self.model_id
    }

    fn dim(&self) -> usize {
        self.dim
    }

    fn embed_documents(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        Ok(texts.iter().map(|t| self.embed(t)).collect())
    }

    fn embed_query(&self, text: &str) -> Result<Vec<f32>, EmbedError> {
        Ok(self.embed(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cosine;

    fn norm(v: &[f32]) -> f32 {
        v.iter().map(|x| x * x).sum::<f32>().sqrt()
    }

    #[test]
    fn vectors_are_unit_length_with_the_right_dimension() {
        let e = HashEmbedder::new(32);
        let texts = ["hello world", "", "   ", "日本語のテキスト", "a"];
        for v in e.embed_documents(&texts).unwrap() {
            assert_eq!(v.len(), 32);
            assert!((norm(&v) - 1.0).abs() < 1e-6);
        }
    }

    #[test]
    fn deterministic_and_case_insensitive() {
        let e = HashEmbedder::new(64);
        let a = e.embed_query("Refunds are paid within 14 days").unwrap();
        let b = e.embed_query("refunds ARE paid within 14 days!").unwrap();
        assert_eq!(a, b);
        assert_eq!(
            a,
            HashEmbedder::new(64)
                .embed_query("refunds are paid within 14 days")
                .unwrap()
        );
    }

    #[test]
    fn pinned_values_do_not_drift() {
        // The hash is part of the contract: tests elsewhere may depend on exact rankings.
        let v = HashEmbedder::new(8).embed_query("Hello, world").unwrap();
        let rounded: Vec<i32> = v.iter().map(|x| (x * 1000.0).round() as i32).collect();
        assert_eq!(rounded, PINNED_HELLO_WORLD);
    }

    const PINNED_HELLO_WORLD: [i32; 8] = [392, -196, 0, 0, 196, 392, 0, 784];

    #[test]
    fn lexical_overlap_gives_similarity() {
        let e = HashEmbedder::new(256);
        let q = e.embed_query("how are refunds paid").unwrap();
        let docs = e
            .embed_documents(&[
                "Refunds are paid within 14 days.",
                "The API returns JSON with cursors.",
            ])
            .unwrap();
        assert!(cosine(&q, &docs[0]) > cosine(&q, &docs[1]) + 0.2);
        // Shared trigrams: a plural is close to its singular.
        let s = e
            .embed_documents(&["refund", "refunds", "pagination"])
            .unwrap();
        assert!(cosine(&s[0], &s[1]) > 0.4);
        assert!(cosine(&s[0], &s[1]) > cosine(&s[0], &s[2]));
    }

    #[test]
    fn documents_and_queries_agree_and_order_is_kept() {
        let e = HashEmbedder::default();
        assert_eq!(e.model_id(), "hash-64");
        assert_eq!(e.dim(), 64);
        let texts = ["one", "two", "three"];
        let docs = e.embed_documents(&texts).unwrap();
        for (t, d) in texts.iter().zip(&docs) {
            assert_eq!(&e.embed_query(t).unwrap(), d);
        }
        assert!(e.embed_documents(&[]).unwrap().is_empty());
    }

    #[test]
    fn usable_as_a_trait_object() {
        let e: Box<dyn Embedder> = Box::new(HashEmbedder::new(16));
        assert_eq!(e.embed_documents(&["x"]).unwrap()[0].len(), 16);
    }
}
