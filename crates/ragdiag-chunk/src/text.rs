//! Text helpers shared by the chunkers: grapheme-cluster boundaries, Python-compatible
//! whitespace trimming, and byte-to-code-point conversion of many spans at once.

use std::ops::Range;
use unicode_segmentation::UnicodeSegmentation;

/// The grapheme-cluster boundaries of a document, so that no chunk boundary falls inside a
/// cluster (a CRLF pair, an emoji ZWJ sequence, a letter with combining marks).
pub(crate) struct Graphemes<'a> {
    text: &'a str,
    /// Sorted byte offsets of every boundary, `0` and `text.len()` included; `None` when every
    /// byte offset is a boundary (ASCII without carriage returns), the common case.
    bounds: Option<Vec<usize>>,
}

impl<'a> Graphemes<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        let trivial = text.is_ascii() && !text.as_bytes().contains(&b'\r');
        let bounds = (!trivial).then(|| {
            let mut v: Vec<usize> = text.grapheme_indices(true).map(|(i, _)| i).collect();
            v.push(text.len());
            v
        });
        Graphemes { text, bounds }
    }

    pub(crate) fn text(&self) -> &'a str {
        self.text
    }

    /// The largest boundary at or before byte `b`.
    pub(crate) fn floor(&self, b: usize) -> usize {
        match &self.bounds {
            None => b.min(self.text.len()),
            Some(v) => match v.binary_search(&b) {
                Ok(_) => b,
                Err(i) => v[i.saturating_sub(1)],
            },
        }
    }

    /// The smallest boundary at or after byte `b`.
    pub(crate) fn ceil(&self, b: usize) -> usize {
        match &self.bounds {
            None => b.min(self.text.len()),
            Some(v) => match v.binary_search(&b) {
                Ok(_) => b,
                Err(i) => v.get(i).copied().unwrap_or(self.text.len()),
            },
        }
    }

    /// The clusters inside `range` (whose ends must be boundaries), as byte ranges.
    pub(crate) fn clusters(&self, range: Range<usize>) -> Vec<Range<usize>> {
        match &self.bounds {
            None => (range.start..range.end).map(|b| b..b + 1).collect(),
            Some(v) => {
                let lo = v.partition_point(|&b| b < range.start);
                let hi = v.partition_point(|&b| b <= range.end);
                v[lo..hi].windows(2).map(|w| w[0]..w[1]).collect()
            }
        }
    }

    /// `range` without leading and trailing whitespace, trimmed by whole clusters (a cluster is
    /// whitespace when all its code points are, in Python's `str.isspace` sense). `None` when
    /// nothing is left.
    pub(crate) fn trim(&self, range: Range<usize>) -> Option<Range<usize>> {
        let s = &self.text[range.clone()];
        let lead = s.len() - s.trim_start_matches(is_py_space).len();
        let trail = s.len() - s.trim_end_matches(is_py_space).len();
        if lead == s.len() {
            return None;
        }
        // Whitespace followed by a combining mark forms one cluster with it: keep the cluster.
        let start = self.floor(range.start + lead);
        let end = self.ceil(range.end - trail);
        Some(start..end)
    }
}

/// Python's `str.isspace` for one code point: Unicode White_Space, plus the information
/// separators U+001C..U+001F, which Python also counts as whitespace.
pub(crate) fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Converts many byte offsets of `text` (each on a char boundary, in any order) to code-point
/// offsets in one pass over the text.
pub(crate) struct CharMap {
    bytes: Vec<usize>,
    chars: Vec<usize>,
    ascii: bool,
}

impl CharMap {
    pub(crate) fn new(text: &str, mut offsets: Vec<usize>) -> Self {
        if text.is_ascii() {
            return CharMap {
                bytes: Vec::new(),
                chars: Vec::new(),
                ascii: true,
            };
        }
        offsets.sort_unstable();
        offsets.dedup();
        let chars = ragdiag_core::byte_to_char_offsets(text, &offsets);
        CharMap {
            bytes: offsets,
            chars,
            ascii: false,
        }
    }

    pub(crate) fn get(&self, b: usize) -> usize {
        if self.ascii {
            return b;
        }
        let i = self
            .bytes
            .binary_search(&b)
            .expect("byte offset registered with CharMap::new");
        self.chars[i]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grapheme_snapping_and_trim() {
        let t = "a\r\nb 👩‍👩‍👧 e\u{301}";
        let g = Graphemes::new(t);
        // Inside "\r\n".
        assert_eq!(g.floor(2), 1);
        assert_eq!(g.ceil(2), 3);
        // Inside the family emoji.
        let fam = t.find('👩').unwrap();
        assert_eq!(g.floor(fam + 5), fam);
        assert_eq!(g.ceil(fam + 5), fam + "👩‍👩‍👧".len());
        assert_eq!(g.trim(0..t.len()), Some(0..t.len()));
        assert_eq!(g.trim(1..4), Some(3..4));
        assert_eq!(g.trim(1..3), None);
        let clusters = g.clusters(0..t.len());
        assert_eq!(
            clusters.iter().map(|r| &t[r.clone()]).collect::<Vec<_>>()[1],
            "\r\n"
        );
        assert!(is_py_space('\u{1f}') && is_py_space('\u{3000}') && !is_py_space('\u{200b}'));
        let m = CharMap::new(t, vec![t.len(), 0, fam]);
        assert_eq!(m.get(fam), 5);
        assert_eq!(m.get(t.len()), t.chars().count());
    }
}
