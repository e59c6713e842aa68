//! Per-question lists kept small (issue 15: what a run of a million questions holds to its
//! end).
//!
//! [`Narrow`] is a list of unsigned numbers, each in the fewest bytes that hold every number so
//! far: one byte while all are under 256, two while under 65,536, four while under 2^32, eight
//! past. It is widened once at each step, in place of the narrower list and with room for as
//! many numbers as that had, so a list has no limit and pays only for the numbers it holds:
//! codes into a few distinct rows (`ragdiag-eval`'s `CodedRows`), tag lists, ranks, and where
//! the items of a flat list end. [`Strs`] keeps strings one after the other in one `String`
//! with their ends so kept (a million question ids are two allocations, not a million).

use std::ops::Range;

/// Unsigned numbers, in order, each kept in as few bytes as the largest so far needs.
///
/// The numbers are little-endian, `width` bytes each, followed by [`PAD`] zero bytes, so that
/// a read is one 8-byte load and a mask whatever the width: no branch on it (a read in a
/// bootstrap's inner loop costs what a read of a `Vec<u32>` does).
#[derive(Clone)]
pub struct Narrow {
    /// The numbers, then `PAD` zeros (empty while there is none).
    bytes: Vec<u8>,
    /// Bytes a number: 1, 2, 4 or 8.
    width: usize,
    /// The bits of a number's `width` bytes.
    mask: u64,
    len: usize,
}

/// Zero bytes after the last number, so that reading it reads 8 bytes.
const PAD: usize = 7;

impl Default for Narrow {
    fn default() -> Self {
        Narrow {
            bytes: Vec::new(),
            width: 1,
            mask: 0xff,
            len: 0,
        }
    }
}

impl std::fmt::Debug for Narrow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl PartialEq for Narrow {
    /// The same numbers, however wide each list keeps them.
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

impl Eq for Narrow {}

/// The bits of `width` bytes.
fn mask_of(width: usize) -> u64 {
    if width >= 8 {
        u64::MAX
    } else {
        (1u64 << (8 * width)) - 1
    }
}

impl Narrow {
    /// An empty list.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// How many numbers.
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there is none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Number `i`.
    ///
    /// # Panics
    ///
    /// When `i` is out of range.
    #[must_use]
    #[inline]
    pub fn get(&self, i: usize) -> u64 {
        assert!(i < self.len, "number {i} of {}", self.len);
        let at = i * self.width;
        let mut word = [0u8; 8];
        word.copy_from_slice(&self.bytes[at..at + 8]);
        u64::from_le_bytes(word) & self.mask
    }

    /// Number `i` as an index (every number pushed as one, [`Narrow::push_index`], reads back).
    ///
    /// # Panics
    ///
    /// When `i` is out of range.
    #[must_use]
    #[inline]
    pub fn index(&self, i: usize) -> usize {
        usize::try_from(self.get(i)).unwrap_or(usize::MAX)
    }

    /// Adds `n` (the list widens here when `n` is the first past its width).
    pub fn push(&mut self, n: u64) {
        if n > self.mask {
            let width = if n <= mask_of(2) {
                2
            } else if n <= mask_of(4) {
                4
            } else {
                8
            };
            self.widen(width);
        }
        // The padding's first bytes become the number's, and as many zeros follow.
        let end = self.len * self.width;
        self.bytes.resize(end + self.width + PAD, 0);
        self.bytes[end..end + self.width].copy_from_slice(&n.to_le_bytes()[..self.width]);
        self.len += 1;
    }

    /// The same numbers `width` bytes each, with room for as many as there was room for (and
    /// one more).
    fn widen(&mut self, width: usize) {
        let room = self.capacity().max(self.len + 1);
        let mut bytes = Vec::with_capacity(room * width + PAD);
        for i in 0..self.len {
            bytes.extend_from_slice(&self.get(i).to_le_bytes()[..width]);
        }
        bytes.extend_from_slice(&[0; PAD]);
        self.bytes = bytes;
        self.width = width;
        self.mask = mask_of(width);
    }

    /// Adds the index `n`.
    pub fn push_index(&mut self, n: usize) {
        self.push(u64::try_from(n).unwrap_or(u64::MAX));
    }

    /// Read as where the items of a flat list end ([`Narrow::push_index`] of each end), where
    /// item `i` is: from the end of the item before to its own.
    ///
    /// # Panics
    ///
    /// When `i` is out of range.
    #[must_use]
    #[inline]
    pub fn span(&self, i: usize) -> Range<usize> {
        let start = if i == 0 { 0 } else { self.index(i - 1) };
        start..self.index(i)
    }

    /// Room for `more` more numbers, and no more.
    pub fn reserve_exact(&mut self, more: usize) {
        let want = (self.len + more) * self.width + PAD;
        self.bytes
            .reserve_exact(want.saturating_sub(self.bytes.len()));
    }

    /// Room for at least `more` more numbers.
    pub fn reserve(&mut self, more: usize) {
        let want = (self.len + more) * self.width + PAD;
        self.bytes.reserve(want.saturating_sub(self.bytes.len()));
    }

    /// Room for how many numbers in all without growing.
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.bytes.capacity().saturating_sub(PAD) / self.width
    }

    /// Lets go of the room beyond the numbers.
    pub fn shrink_to_fit(&mut self) {
        self.bytes.shrink_to_fit();
    }

    /// Drops every number, keeping the room.
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.len = 0;
    }

    /// Bytes a number takes now.
    #[must_use]
    pub fn width(&self) -> usize {
        self.width
    }

    /// Every number, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = u64> + '_ {
        (0..self.len).map(|i| self.get(i))
    }
}

/// Strings kept one after the other in one `String`, with where each ends.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Strs {
    text: String,
    /// Where each string ends in `text`.
    ends: Narrow,
}

impl Strs {
    /// No string yet.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// How many strings.
    #[must_use]
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there is no string.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The bytes of every string together.
    #[must_use]
    pub fn bytes(&self) -> usize {
        self.text.len()
    }

    /// String `i`.
    ///
    /// # Panics
    ///
    /// When `i` is out of range.
    #[must_use]
    #[inline]
    pub fn get(&self, i: usize) -> &str {
        &self.text[self.ends.span(i)]
    }

    /// Adds `s` after the others.
    pub fn push(&mut self, s: &str) {
        self.text.push_str(s);
        self.ends.push_index(self.text.len());
    }

    /// Adds the strings of `next` after these.
    pub fn append(&mut self, next: &Strs) {
        let at = self.text.len();
        self.text.push_str(&next.text);
        self.ends.reserve(next.len());
        for i in 0..next.len() {
            self.ends.push_index(at + next.ends.index(i));
        }
    }

    /// Room for `more` more strings.
    pub fn reserve(&mut self, more: usize) {
        self.ends.reserve(more);
    }

    /// Room for `strings` more strings of `bytes` bytes together, and no more.
    pub fn reserve_exact(&mut self, strings: usize, bytes: usize) {
        self.text.reserve_exact(bytes);
        self.ends.reserve_exact(strings);
    }

    /// Room for how many strings in all, without another allocation of their ends.
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.ends.capacity()
    }

    /// Lets go of the room past the strings.
    pub fn shrink_to_fit(&mut self) {
        self.text.shrink_to_fit();
        self.ends.shrink_to_fit();
    }

    /// Drops every string, keeping the room.
    pub fn clear(&mut self) {
        self.text.clear();
        self.ends.clear();
    }

    /// Every string, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }
}

impl<'a> FromIterator<&'a str> for Strs {
    fn from_iter<I: IntoIterator<Item = &'a str>>(iter: I) -> Self {
        let mut s = Strs::new();
        for x in iter {
            s.push(x);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Strings pushed and appended read back as a plain list of them.
        #[test]
        fn strings_read_back_as_pushed(
            first in proptest::collection::vec(".{0,6}", 0..40),
            second in proptest::collection::vec(".{0,6}", 0..40),
        ) {
            let mut a: Strs = first.iter().map(String::as_str).collect();
            let b: Strs = second.iter().map(String::as_str).collect();
            a.append(&b);
            let all: Vec<&String> = first.iter().chain(&second).collect();
            prop_assert_eq!(a.len(), all.len());
            for (i, s) in all.iter().enumerate() {
                prop_assert_eq!(a.get(i), s.as_str());
            }
            prop_assert_eq!(a.bytes(), all.iter().map(|s| s.len()).sum::<usize>());
        }
    }

    /// Numbers widen from one byte to two, four and eight as the largest so far needs, and
    /// every number reads back the same across each widening, with the room reserved kept.
    #[test]
    fn numbers_widen_as_they_grow_and_read_back() {
        let steps = [
            (0, 1),
            (255, 1),
            (256, 2),
            (65_535, 2),
            (65_536, 4),
            (u64::from(u32::MAX), 4),
            (u64::from(u32::MAX) + 1, 8),
            (u64::MAX, 8),
        ];
        let mut list = Narrow::new();
        list.reserve_exact(100);
        let mut pushed = Vec::new();
        for (n, width) in steps {
            for small in [3, n, 7] {
                list.push(small);
                pushed.push(small);
            }
            assert_eq!(list.width(), width, "after {n}");
            assert_eq!(list.iter().collect::<Vec<_>>(), pushed);
            assert_eq!(list.capacity(), 100, "the room reserved is kept");
        }
        let mut ends = Narrow::new();
        for e in [3usize, 3, 300, 70_000] {
            ends.push_index(e);
        }
        assert_eq!(
            (0..4).map(|i| ends.span(i)).collect::<Vec<_>>(),
            [0..3, 3..3, 3..300, 300..70_000]
        );
        assert_eq!(
            ends,
            [3u64, 3, 300, 70_000]
                .iter()
                .fold(Narrow::new(), |mut l, &n| {
                    l.push(n);
                    l
                })
        );
    }

    /// The padding after the last number is never read as one.
    #[test]
    #[should_panic(expected = "number 2 of 2")]
    fn a_number_past_the_end_is_refused() {
        let mut list = Narrow::new();
        list.push(1);
        list.push(2);
        let _ = list.get(2);
    }
}
