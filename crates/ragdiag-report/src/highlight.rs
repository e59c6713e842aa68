//! Evidence highlighting: code-point ranges inside a snippet, rendered with `<mark>`.

use crate::escape::text;

/// Normalises highlight ranges for a text of `len` code points: each `(start, end)` is clamped
/// to `0..=len`; reversed and empty ranges are dropped; the rest are sorted and overlapping or
/// touching ranges merged. The result is sorted, disjoint and non-adjacent.
#[must_use]
pub fn normalize_ranges(ranges: &[(usize, usize)], len: usize) -> Vec<(usize, usize)> {
    let mut clamped: Vec<(usize, usize)> = ranges
        .iter()
        .map(|&(s, e)| (s.min(len), e.min(len)))
        .filter(|&(s, e)| s < e)
        .collect();
    clamped.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::with_capacity(clamped.len());
    for (s, e) in clamped {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    merged
}

/// The HTML of `snippet` with the code-point `ranges` wrapped in `<mark>`: every character is
/// HTML-escaped, ranges are normalised by [`normalize_ranges`], and since ranges count code
/// points a multi-byte character is never split.
#[must_use]
pub fn highlight_html(snippet: &str, ranges: &[(usize, usize)]) -> String {
    let len = snippet.chars().count();
    let ranges = normalize_ranges(ranges, len);
    if ranges.is_empty() {
        return text(snippet);
    }
    // Byte offset of each code point, plus the end.
    let mut bytes: Vec<usize> = snippet.char_indices().map(|(b, _)| b).collect();
    bytes.push(snippet.len());
    let mut out = String::with_capacity(snippet.len() + ranges.len() * 13);
    let mut at = 0;
    for (s, e) in ranges {
        out.push_str(&text(&snippet[bytes[at]..bytes[s]]));
        out.push_str("<mark>");
        out.push_str(&text(&snippet[bytes[s]..bytes[e]]));
        out.push_str("</mark>");
        at = e;
    }
    out.push_str(&text(&snippet[bytes[at]..]));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clamps_merges_and_drops() {
        assert_eq!(
            normalize_ranges(&[(5, 3), (8, 20), (0, 2), (1, 4), (4, 5), (9, 9)], 10),
            vec![(0, 5), (8, 10)]
        );
        assert_eq!(normalize_ranges(&[(12, 15)], 10), vec![]);
    }

    #[test]
    fn marks_multibyte_and_escapes() {
        assert_eq!(
            highlight_html("é<b>ü & ß", &[(1, 4), (6, 7), (100, 200)]),
            "é<mark>&lt;b&gt;</mark>ü <mark>&amp;</mark> ß"
        );
        assert_eq!(highlight_html("a<b", &[]), "a&lt;b");
    }
}
