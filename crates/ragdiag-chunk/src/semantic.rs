//! The cluster semantic chunker of Chroma's study, made exact and deterministic: adjacent
//! pieces are grouped by dynamic programming into chunks of at most `size` tokens that
//! maximise the summed, mean-centred cosine similarity of the pieces within each chunk.
//!
//! With `S` the pieces' similarity matrix, `m` the mean of its off-diagonal entries and the
//! diagonal set to 0, a chunk of pieces `j..=i` scores `Σ_{a,b in j..=i, a≠b} (S[a][b] - m)`;
//! a segmentation scores the sum of its chunks. A chunk holds at most `max_pieces` pieces
//! (Chroma's `size / 50`) and, so that the spec's `size` holds even for short pieces, at most
//! `size` tokens (the sum of its pieces' counts); a single piece is always a chunk. Ties go to
//! the shorter last chunk, so the result depends only on the vectors.
//!
//! One deliberate difference from Chroma's code: its dynamic programme starts every score at
//! 0 rather than minus infinity, so where no grouping of the first pieces scores above 0 it
//! joins all of them, whatever the cap, into one chunk; here they stay single pieces.

/// Groups pieces with token counts `tokens` and unit vectors `vectors` into `(first, last)`
/// index pairs covering `0..tokens.len()` in order, at most `max_pieces` pieces and `size`
/// tokens a chunk.
pub(crate) fn segment(
    tokens: &[usize],
    vectors: &[Vec<f32>],
    size: usize,
    max_pieces: usize,
) -> Vec<(usize, usize)> {
    let n = tokens.len();
    if n == 0 {
        return Vec::new();
    }
    let dot = |a: usize, b: usize| -> f64 {
        vectors[a]
            .iter()
            .zip(&vectors[b])
            .map(|(x, y)| f64::from(*x) * f64::from(*y))
            .sum()
    };
    // Mean of the off-diagonal similarities from the sum vector: (|Σv|² - Σ|v|²) / (n(n-1)).
    let mean = if n > 1 {
        let dim = vectors[0].len();
        let mut sum = vec![0f64; dim];
        let mut norms = 0f64;
        for v in vectors {
            for (s, x) in sum.iter_mut().zip(v) {
                *s += f64::from(*x);
            }
            norms += v.iter().map(|x| f64::from(*x) * f64::from(*x)).sum::<f64>();
        }
        let total: f64 = sum.iter().map(|s| s * s).sum();
        #[allow(clippy::cast_precision_loss)]
        let pairs = (n * (n - 1)) as f64;
        (total - norms) / pairs
    } else {
        0.0
    };
    // best[i + 1]: the best score of pieces 0..=i; from[i]: the first piece of the last chunk.
    let mut best = vec![f64::NEG_INFINITY; n + 1];
    best[0] = 0.0;
    let mut from = vec![0usize; n];
    for i in 0..n {
        let mut reward = 0f64;
        let mut used = 0usize;
        let mut j = i + 1;
        while j > 0 {
            let k = j - 1;
            used += tokens[k];
            if k < i && (used > size || i - k + 1 > max_pieces) {
                break;
            }
            // Adding piece k to the chunk k+1..=i adds its pairs with every piece after it.
            for b in k + 1..=i {
                reward += 2.0 * (dot(k, b) - mean);
            }
            let score = best[k] + reward;
            if score > best[i + 1] {
                best[i + 1] = score;
                from[i] = k;
            }
            j = k;
        }
    }
    let mut out = Vec::new();
    let mut i = n;
    while i > 0 {
        let start = from[i - 1];
        out.push((start, i - 1));
        i = start;
    }
    out.reverse();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_similar_neighbours() {
        let a = vec![1.0, 0.0];
        let b = vec![0.0, 1.0];
        let vectors = vec![a.clone(), a.clone(), b.clone(), b.clone(), a];
        let tokens = [10; 5];
        assert_eq!(segment(&tokens, &vectors, 30, 9), [(0, 1), (2, 3), (4, 4)]);
        // A budget of one piece a chunk, in tokens or in pieces.
        let singles = [(0, 0), (1, 1), (2, 2), (3, 3), (4, 4)];
        assert_eq!(segment(&tokens, &vectors, 10, 9), singles);
        assert_eq!(segment(&tokens, &vectors, 100, 1), singles);
        // An oversized single piece is still a chunk.
        assert_eq!(segment(&[50], &vectors[..1], 10, 1), [(0, 0)]);
        assert!(segment(&[], &[], 10, 1).is_empty());
    }

    #[test]
    fn the_piece_cap_binds_when_pieces_are_short() {
        // Six identical pieces of 5 tokens: one chunk by tokens, but at most 4 pieces a chunk
        // (4 + 2 and 2 + 4 score the same; the tie goes to the shorter last chunk).
        let v = vec![1.0, 0.0];
        let w = vec![0.0, 1.0];
        let mut vectors = vec![v; 6];
        vectors.push(w);
        let tokens = [5; 7];
        assert_eq!(segment(&tokens, &vectors, 200, 4), [(0, 3), (4, 5), (6, 6)]);
        assert_eq!(segment(&tokens, &vectors, 200, 9), [(0, 5), (6, 6)]);
    }
}
