//! Code-point offsets: DESIGN.md measures every span in Unicode scalar values (Python `str`
//! indexes), while Rust strings are indexed by bytes. These helpers convert between the two.

/// Number of code points in `s`.
pub fn char_len(s: &str) -> usize {
    s.chars().count()
}

/// Converts the code-point span `start..end` of `s` to a byte span, or `None` when the span is
/// out of range or reversed.
pub fn char_span_to_bytes(s: &str, start: usize, end: usize) -> Option<(usize, usize)> {
    if start > end {
        return None;
    }
    let mut byte_start = None;
    for (i, (b, _)) in s.char_indices().enumerate() {
        if i == start {
            byte_start = Some(b);
        }
        if i == end {
            return byte_start.map(|bs| (bs, b));
        }
    }
    let n = char_len(s);
    if end == n {
        let bs = if start == n { s.len() } else { byte_start? };
        return Some((bs, s.len()));
    }
    None
}

/// Maps each byte offset in `byte_offsets` (sorted ascending, each on a char boundary) to its
/// code-point offset in `s`, in one pass.
pub fn byte_to_char_offsets(s: &str, byte_offsets: &[usize]) -> Vec<usize> {
    let mut out = Vec::with_capacity(byte_offsets.len());
    let mut chars = 0usize;
    let mut pos = 0usize;
    for &b in byte_offsets {
        debug_assert!(b >= pos, "byte offsets must be sorted");
        chars += s[pos..b].chars().count();
        pos = b;
        out.push(chars);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_round_trip_on_multibyte_text() {
        let s = "aé日🙂b";
        assert_eq!(char_len(s), 5);
        assert_eq!(char_span_to_bytes(s, 0, 5), Some((0, s.len())));
        let (b0, b1) = char_span_to_bytes(s, 2, 4).unwrap();
        assert_eq!(&s[b0..b1], "日🙂");
        assert_eq!(char_span_to_bytes(s, 5, 5), Some((s.len(), s.len())));
        assert_eq!(char_span_to_bytes(s, 3, 6), None);
        assert_eq!(char_span_to_bytes(s, 3, 2), None);
        assert_eq!(
            byte_to_char_offsets(s, &[0, 1, 3, 6, 10, 11]),
            vec![0, 1, 2, 3, 4, 5]
        );
    }
}

/// Where a quote was found in a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuoteMatch {
    /// First code point of the match (inclusive).
    pub start: usize,
    /// Last code point of the match (exclusive).
    pub end: usize,
    /// True when only the whitespace- and case-normalised forms matched.
    pub normalised: bool,
}

/// Locates `quote` in `text` as DESIGN.md says: an exact match first, else a match after
/// collapsing whitespace runs to one space and lower-casing both sides (flagged). Offsets are
/// code points of `text`. Returns the first occurrence.
pub fn find_quote(text: &str, quote: &str) -> Option<QuoteMatch> {
    if quote.is_empty() {
        return None;
    }
    // A quote that opens the text (a whole page, a first chunk) is found by one comparison.
    let at = if text.starts_with(quote) {
        Some(0)
    } else {
        text.find(quote)
    };
    if let Some(b) = at {
        let start = text[..b].chars().count();
        return Some(QuoteMatch {
            start,
            end: start + quote.chars().count(),
            normalised: false,
        });
    }
    let (norm_text, map) = normalise_with_map(text);
    let (norm_quote, _) = normalise_with_map(quote.trim());
    if norm_quote.is_empty() {
        return None;
    }
    let b = norm_text.find(&norm_quote)?;
    let first = norm_text[..b].chars().count();
    let last = first + norm_quote.chars().count() - 1;
    Some(QuoteMatch {
        start: map[first],
        end: map[last] + 1,
        normalised: true,
    })
}

/// Lower-cases and collapses whitespace, keeping for each output char the code-point index of
/// the input char it came from.
fn normalise_with_map(s: &str) -> (String, Vec<usize>) {
    let mut out = String::with_capacity(s.len());
    let mut map = Vec::with_capacity(s.len());
    let mut in_space = false;
    for (i, c) in s.chars().enumerate() {
        if c.is_whitespace() {
            if !in_space && !out.is_empty() {
                out.push(' ');
                map.push(i);
            }
            in_space = true;
            continue;
        }
        in_space = false;
        for l in c.to_lowercase() {
            out.push(l);
            map.push(i);
        }
    }
    if out.ends_with(' ') {
        out.pop();
        map.pop();
    }
    (out, map)
}

#[cfg(test)]
mod quote_tests {
    use super::*;

    #[test]
    fn exact_then_normalised() {
        let text = "Refunds are issued\n  within 14 Days. Ünïcode Straße";
        let m = find_quote(text, "within 14 Days").unwrap();
        assert_eq!((m.start, m.end, m.normalised), (21, 35, false));
        let m = find_quote(text, "issued within 14 days").unwrap();
        assert!(m.normalised);
        assert_eq!(
            &text
                .chars()
                .skip(m.start)
                .take(m.end - m.start)
                .collect::<String>(),
            "issued\n  within 14 Days"
        );
        let m = find_quote(text, "ünïcode straße").unwrap();
        assert!(m.normalised);
        assert_eq!(m.end, char_len(text));
        assert!(find_quote(text, "30 days").is_none());
        assert!(find_quote(text, "").is_none());
        assert!(find_quote(text, "   ").is_none());
    }
}
