//! A bounded top-k of `(score, key)` pairs with a total, deterministic order.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// The `k` best `(score, key)` pairs seen so far: higher score first, then lower key.
pub(crate) struct TopK {
    k: usize,
    heap: BinaryHeap<Worst>,
}

/// Heap entry ordered so that the heap's top is the worst entry kept.
#[derive(Clone, Copy)]
struct Worst {
    score: f32,
    key: u32,
}

impl Worst {
    /// `Less` when `self` ranks before `other` (higher score, then lower key).
    fn rank_cmp(&self, other: &Self) -> Ordering {
        other
            .score
            .total_cmp(&self.score)
            .then(self.key.cmp(&other.key))
    }
}

impl PartialEq for Worst {
    fn eq(&self, other: &Self) -> bool {
        self.rank_cmp(other) == Ordering::Equal
    }
}
impl Eq for Worst {}
impl PartialOrd for Worst {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Worst {
    fn cmp(&self, other: &Self) -> Ordering {
        self.rank_cmp(other)
    }
}

impl TopK {
    pub(crate) fn new(k: usize) -> Self {
        TopK {
            k,
            heap: BinaryHeap::with_capacity(k.min(1 << 16) + 1),
        }
    }

    pub(crate) fn push(&mut self, score: f32, key: u32) {
        let entry = Worst { score, key };
        if self.heap.len() < self.k {
            self.heap.push(entry);
        } else if let Some(mut worst) = self.heap.peek_mut() {
            if entry < *worst {
                *worst = entry;
            }
        }
    }

    /// The score a document must exceed to be offered: just below the worst kept score once
    /// the heap is full, so that a tie is still offered and decided by key.
    pub(crate) fn threshold(&self) -> f32 {
        if self.heap.len() < self.k {
            f32::MIN
        } else {
            self.heap.peek().map_or(f32::MIN, |w| next_down(w.score))
        }
    }

    pub(crate) fn into_sorted(self) -> Vec<(u32, f32)> {
        self.heap
            .into_sorted_vec()
            .into_iter()
            .map(|w| (w.key, w.score))
            .collect()
    }
}

/// The largest `f32` below `x` (for finite `x`).
fn next_down(x: f32) -> f32 {
    if x.is_nan() || x == f32::NEG_INFINITY {
        return x;
    }
    if x == 0.0 {
        return -f32::from_bits(1);
    }
    let bits = x.to_bits();
    if x > 0.0 {
        f32::from_bits(bits - 1)
    } else {
        f32::from_bits(bits + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_best_with_key_tie_break() {
        let mut top = TopK::new(3);
        for (s, k) in [(1.0, 5), (2.0, 9), (2.0, 1), (0.5, 0), (2.0, 4), (1.0, 2)] {
            top.push(s, k);
        }
        assert_eq!(top.into_sorted(), [(1, 2.0), (4, 2.0), (9, 2.0)]);
    }

    #[test]
    fn threshold_admits_ties() {
        let mut top = TopK::new(1);
        assert_eq!(top.threshold(), f32::MIN);
        top.push(2.0, 7);
        assert!(top.threshold() < 2.0);
        assert!(2.0 > top.threshold());
    }

    #[test]
    fn next_down_is_the_predecessor() {
        for x in [1.0f32, 0.5, 123.25, -1.0, f32::MIN_POSITIVE] {
            let d = next_down(x);
            assert!(d < x);
            // Nothing lies strictly between the two.
            let mid = (f64::from(x) + f64::from(d)) / 2.0;
            #[allow(clippy::cast_possible_truncation)]
            let mid = mid as f32;
            assert!(mid == d || mid == x, "{x}");
        }
        assert!(next_down(0.0) < 0.0);
    }
}
