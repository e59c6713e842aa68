//! Rows of numbers kept as codes into their distinct rows (issue 15: the lists a run of a
//! million questions holds to its end): per-question figures such as trec_eval's measures,
//! traffic weights or token counts take few distinct values, so a question keeps a code of
//! 1, 2 or 4 bytes (the narrowest its distinct rows fit) instead of 8 bytes a number. Each
//! distinct row keeps its exact bits (−0 apart from 0, every NaN as it came), so whatever
//! reads a row reads the number it was given.

use hashbrown::HashTable;
use ragdiag_core::Narrow;
use std::hash::Hasher;

/// Rows of `width` numbers, one per question, in order: coded while few rows are distinct,
/// one after the other once more than [`PLAIN_PAST`] distinct rows are over half the rows
/// (coding them would then save little and its index cost more).
#[derive(Clone, Default)]
pub struct CodedRows {
    width: usize,
    rows: Rows,
}

#[derive(Debug, Clone)]
enum Rows {
    /// Per row a code into `distinct`, whose rows (`width` numbers each) are found by their
    /// bits through `index`: each distinct row's code, by the hash of its bits (4 bytes and a
    /// control byte a row; the bits are read in `distinct`, not copied).
    Coded {
        codes: Narrow,
        distinct: Vec<f64>,
        index: HashTable<u32>,
    },
    /// A row's `width` numbers after the other's.
    Plain(Vec<f64>),
}

impl Default for Rows {
    fn default() -> Self {
        Rows::Coded {
            codes: Narrow::new(),
            distinct: Vec::new(),
            index: HashTable::new(),
        }
    }
}

/// The hash of a row's bits.
fn bits_hash(row: &[f64]) -> u64 {
    let mut h = rustc_hash::FxHasher::default();
    for v in row {
        h.write_u64(v.to_bits());
    }
    h.finish()
}

/// Whether two rows have the same bits, number by number.
fn same_bits(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

/// Distinct row `code` of `distinct` (`width` numbers each).
fn distinct_row(distinct: &[f64], width: usize, code: u32) -> &[f64] {
    let c = code as usize;
    &distinct[c * width..(c + 1) * width]
}

/// How many distinct rows [`CodedRows`] codes before it may keep its rows one after the other.
pub const PLAIN_PAST: usize = 1 << 16;

impl std::fmt::Debug for CodedRows {
    /// The rows, however they are kept (two equal [`CodedRows`] show the same).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries((0..self.len()).map(|i| self.row(i)))
            .finish()
    }
}

impl PartialEq for CodedRows {
    /// The same width and, row by row, equal numbers (however each is kept).
    fn eq(&self, other: &Self) -> bool {
        self.width == other.width
            && self.len() == other.len()
            && (0..self.len()).all(|i| self.row(i) == other.row(i))
    }
}

impl CodedRows {
    /// No row yet, `width` numbers each.
    #[must_use]
    pub fn new(width: usize) -> Self {
        CodedRows {
            width,
            rows: Rows::default(),
        }
    }

    /// One number a row, `len` rows taken from `values` (room for `len` and no more).
    #[must_use]
    pub fn column(len: usize, values: impl IntoIterator<Item = f64>) -> Self {
        let mut out = CodedRows::new(1);
        out.reserve_exact(len);
        for v in values {
            out.push(&[v]);
        }
        out
    }

    /// Adds the rows of `next` (the same width) after these.
    ///
    /// # Panics
    ///
    /// When `next` has another width.
    pub fn append(&mut self, next: &CodedRows) {
        assert_eq!(self.width, next.width, "the same width");
        for i in 0..next.len() {
            self.push(next.row(i));
        }
    }

    /// Numbers per row.
    #[must_use]
    pub fn width(&self) -> usize {
        self.width
    }

    /// How many rows.
    #[must_use]
    pub fn len(&self) -> usize {
        match &self.rows {
            Rows::Coded { codes, .. } => codes.len(),
            Rows::Plain(all) => all.len().checked_div(self.width).unwrap_or(0),
        }
    }

    /// Whether there is no row.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds a row.
    ///
    /// # Panics
    ///
    /// When `row` is not `width` numbers, or (coded) past 2^32 distinct rows, which a
    /// width of 0 cannot reach and any other keeps plainly long before.
    pub fn push(&mut self, row: &[f64]) {
        assert_eq!(row.len(), self.width, "one value per measure");
        let plain = match &mut self.rows {
            Rows::Plain(all) => {
                all.extend_from_slice(row);
                false
            }
            Rows::Coded {
                codes,
                distinct,
                index,
            } => {
                let w = self.width;
                let hash = bits_hash(row);
                let found = index
                    .find(hash, |&c| same_bits(distinct_row(distinct, w, c), row))
                    .copied();
                let code = match found {
                    Some(code) => code,
                    None => {
                        let code = u32::try_from(index.len()).expect("fewer rows than 2^32");
                        distinct.extend_from_slice(row);
                        let distinct = &*distinct;
                        index.insert_unique(hash, code, |&c| {
                            bits_hash(distinct_row(distinct, w, c))
                        });
                        code
                    }
                };
                codes.push(u64::from(code));
                self.width > 0 && index.len() > PLAIN_PAST && index.len() > codes.len() / 2
            }
        };
        if plain {
            self.keep_plain();
        }
    }

    /// Keeps the rows one after the other from now on (room for as many as the codes had).
    fn keep_plain(&mut self) {
        let Rows::Coded {
            codes, distinct, ..
        } = &self.rows
        else {
            return;
        };
        let w = self.width;
        let mut all = Vec::with_capacity(codes.capacity() * w);
        for k in 0..codes.len() {
            let c = codes.index(k);
            all.extend_from_slice(&distinct[c * w..(c + 1) * w]);
        }
        self.rows = Rows::Plain(all);
    }

    /// Room for `more` rows, and no more.
    pub fn reserve_exact(&mut self, more: usize) {
        match &mut self.rows {
            Rows::Coded { codes, .. } => codes.reserve_exact(more),
            Rows::Plain(all) => all.reserve_exact(more * self.width),
        }
    }

    /// Room for at least `more` rows (a list grown by it doubles).
    pub fn reserve(&mut self, more: usize) {
        match &mut self.rows {
            Rows::Coded { codes, .. } => codes.reserve(more),
            Rows::Plain(all) => all.reserve(more * self.width),
        }
    }

    /// How many rows there is room for without growing.
    #[must_use]
    pub fn capacity(&self) -> usize {
        match &self.rows {
            Rows::Coded { codes, .. } => codes.capacity(),
            Rows::Plain(all) => all.capacity().checked_div(self.width).unwrap_or(0),
        }
    }

    /// Lets go of the room beyond the rows.
    pub fn shrink_to_fit(&mut self) {
        match &mut self.rows {
            Rows::Coded {
                codes, distinct, ..
            } => {
                codes.shrink_to_fit();
                distinct.shrink_to_fit();
            }
            Rows::Plain(all) => all.shrink_to_fit(),
        }
    }

    /// Row `i`.
    ///
    /// # Panics
    ///
    /// When there are not more than `i` rows.
    #[must_use]
    #[inline]
    pub fn row(&self, i: usize) -> &[f64] {
        let w = self.width;
        match &self.rows {
            Rows::Coded {
                codes, distinct, ..
            } => {
                let c = codes.index(i);
                &distinct[c * w..(c + 1) * w]
            }
            Rows::Plain(all) => &all[i * w..(i + 1) * w],
        }
    }

    /// Row `i`'s number `c`.
    ///
    /// # Panics
    ///
    /// When `i` or `c` is out of range.
    #[must_use]
    #[inline]
    pub fn value(&self, i: usize, c: usize) -> f64 {
        assert!(c < self.width, "measure {c} of {}", self.width);
        match &self.rows {
            Rows::Coded {
                codes, distinct, ..
            } => distinct[codes.index(i) * self.width + c],
            Rows::Plain(all) => all[i * self.width + c],
        }
    }

    /// How many distinct rows are kept apart from the rows' codes (`None`: the rows are kept
    /// one after the other).
    #[must_use]
    pub fn distinct(&self) -> Option<usize> {
        match &self.rows {
            Rows::Coded { index, .. } => Some(index.len()),
            Rows::Plain(_) => None,
        }
    }

    /// The rows with only the numbers whose flag in `keep` is set (one flag per number; one
    /// without a flag is kept), in order.
    #[must_use]
    pub fn retained(&self, keep: &[bool]) -> CodedRows {
        let kept: Vec<usize> = (0..self.width)
            .filter(|&c| keep.get(c).copied().unwrap_or(true))
            .collect();
        let mut out = CodedRows::new(kept.len());
        out.reserve_exact(self.len());
        let mut row = Vec::with_capacity(kept.len());
        for i in 0..self.len() {
            row.clear();
            row.extend(kept.iter().map(|&c| self.value(i, c)));
            out.push(&row);
        }
        out
    }
}

impl FromIterator<f64> for CodedRows {
    /// One number a row.
    fn from_iter<I: IntoIterator<Item = f64>>(iter: I) -> Self {
        let mut out = CodedRows::new(1);
        for v in iter {
            out.push(&[v]);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each row comes back with its bits whichever way the rows are kept: coded while few are
    /// distinct (−0 apart from 0, NaN kept), one after the other once more than `PLAIN_PAST`
    /// distinct rows are over half the rows (unchanged by the switch, which keeps the room
    /// reserved); dropping a number merges the rows it told apart.
    #[test]
    fn rows_keep_their_bits_coded_or_plain() {
        let bits = |r: &[f64]| r.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        let rows = [[0.0, 1.0], [-0.0, 1.0], [f64::NAN, 0.5], [0.0, 1.0]];
        let mut a = CodedRows::new(2);
        for r in &rows {
            a.push(r);
        }
        assert_eq!((a.len(), a.distinct()), (4, Some(3)));
        for (i, r) in rows.iter().enumerate() {
            assert_eq!(bits(a.row(i)), bits(r));
            assert_eq!(a.value(i, 0).to_bits(), r[0].to_bits());
        }
        let b = a.retained(&[false, true]);
        assert_eq!((b.len(), b.width(), b.distinct()), (4, 1, Some(2)));
        assert_eq!(bits(b.row(3)), bits(&[1.0]));
        assert_eq!(bits(b.row(2)), bits(&[0.5]));

        let n = 3 * PLAIN_PAST;
        let value = |i: usize| 0.5 + i as f64 / 7.0;
        let (mut many, mut few) = (CodedRows::new(1), CodedRows::new(1));
        many.reserve_exact(n);
        for i in 0..n {
            many.push(&[value(i)]);
            few.push(&[(i % 10) as f64]);
            if i == PLAIN_PAST - 1 {
                assert_eq!(many.distinct(), Some(PLAIN_PAST));
            }
        }
        assert_eq!((many.distinct(), many.capacity()), (None, n));
        assert_eq!((few.distinct(), few.len()), (Some(10), n));
        assert!((0..n).all(|i| many.value(i, 0).to_bits() == value(i).to_bits()));
        assert!((0..n).all(|i| few.value(i, 0) == (i % 10) as f64));
        assert_ne!(many, few);
        assert_eq!(few.retained(&[]), few);

        // No number a row: rows are counted, never switched.
        let mut empty = CodedRows::new(0);
        for _ in 0..5 {
            empty.push(&[]);
        }
        assert_eq!((empty.len(), empty.distinct()), (5, Some(1)));
        assert!(empty.row(4).is_empty());
    }

    /// Rows drawn from a pool of numbers whose bits differ where their values do not (−0 and
    /// 0, NaNs of other payloads and signs) are coded as a list of their distinct bit-rows
    /// codes them: the same count of distinct rows, each row read back with its own bits.
    #[test]
    fn distinct_rows_are_told_by_their_bits() {
        let pool = [
            0.0,
            -0.0,
            f64::NAN,
            -f64::NAN,
            f64::from_bits(0x7ff8_0000_0000_0001),
            f64::INFINITY,
            f64::NEG_INFINITY,
            1.0,
            f64::MIN_POSITIVE,
        ];
        for width in [1usize, 2, 3] {
            let mut coded = CodedRows::new(width);
            let mut model: Vec<Vec<u64>> = Vec::new();
            let mut rows: Vec<Vec<f64>> = Vec::new();
            let mut state = 7u64 + width as u64;
            for _ in 0..2_000 {
                let row: Vec<f64> = (0..width)
                    .map(|_| {
                        state = state
                            .wrapping_mul(6_364_136_223_846_793_005)
                            .wrapping_add(1_442_695_040_888_963_407);
                        pool[(state >> 33) as usize % pool.len()]
                    })
                    .collect();
                let bits: Vec<u64> = row.iter().map(|v| v.to_bits()).collect();
                if !model.contains(&bits) {
                    model.push(bits);
                }
                coded.push(&row);
                rows.push(row);
            }
            assert_eq!(coded.distinct(), Some(model.len()), "width {width}");
            for (i, row) in rows.iter().enumerate() {
                let got: Vec<u64> = coded.row(i).iter().map(|v| v.to_bits()).collect();
                let want: Vec<u64> = row.iter().map(|v| v.to_bits()).collect();
                assert_eq!(got, want, "row {i}, width {width}");
            }
        }
    }

    /// Codes widen from one byte to two past 256 distinct rows and to four past 65,536, and
    /// every row reads back the same across each widening, with the room reserved kept.
    #[test]
    fn codes_widen_as_distinct_rows_grow() {
        let n = 4 * PLAIN_PAST;
        // 70,000 distinct rows, each three times in a row: never over half the rows, so
        // never plain.
        let value = |i: usize| ((i / 3) % 70_000) as f64 * 0.25;
        let mut rows = CodedRows::new(1);
        rows.reserve_exact(n);
        for i in 0..n {
            rows.push(&[value(i)]);
            let width = match &rows.rows {
                Rows::Coded { codes, .. } => codes.width(),
                Rows::Plain(_) => 8,
            };
            let distinct = (i / 3 + 1).min(70_000);
            let want = if distinct <= 256 {
                1
            } else if distinct <= 1 << 16 {
                2
            } else {
                4
            };
            assert_eq!(width, want, "row {i}");
        }
        assert_eq!((rows.distinct(), rows.capacity()), (Some(70_000), n));
        assert!((0..n).all(|i| rows.value(i, 0).to_bits() == value(i).to_bits()));
    }

    #[test]
    #[should_panic(expected = "one value per measure")]
    fn rows_refuse_another_width() {
        CodedRows::new(2).push(&[1.0]);
    }
}
