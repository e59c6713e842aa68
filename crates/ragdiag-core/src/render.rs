//! Pure string helpers for what reports print: the Markdown escapes every report writer uses
//! (`report.md` of `diagnose`, `freshness` and `compare`) and percentages.

/// Escapes prose for Markdown, safe in a GFM table cell: HTML-significant characters become
/// entities, Markdown punctuation is backslash-escaped, line breaks and tabs become spaces (so a
/// value stays on its line and in its cell) and other control characters are dropped.
#[must_use]
pub fn md_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '~' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '\r' | '\n' | '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// An inline code span for an identifier, safe inside a GFM table: the fence is one backtick
/// longer than the longest backtick run inside, `|` is escaped, and line breaks become spaces.
#[must_use]
pub fn md_code(s: &str) -> String {
    let clean: String = s
        .chars()
        .filter_map(|c| match c {
            '\r' | '\n' | '\t' => Some(' '),
            c if c.is_control() => None,
            c => Some(c),
        })
        .collect();
    let clean = clean.replace('|', "\\|");
    let mut longest = 0;
    let mut run = 0;
    for c in clean.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let fence = "`".repeat(longest + 1);
    let pad = if clean.starts_with('`') || clean.ends_with('`') || clean.is_empty() {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{clean}{pad}{fence}")
}

/// One piece of prose in which `` `x` `` marks an identifier ([`prose_parts`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProsePart<'a> {
    /// Plain text.
    Text(&'a str),
    /// The inside of a paired backtick span: an identifier.
    Code(&'a str),
    /// A backtick without a partner, then the text after it (both literal).
    Unpaired(&'a str),
}

/// Splits prose at its backticks: paired spans are identifiers, an unpaired backtick stays
/// literal. The one reading of the attribution engine's reasons, for Markdown and HTML alike.
#[must_use]
pub fn prose_parts(s: &str) -> Vec<ProsePart<'_>> {
    let parts: Vec<&str> = s.split('`').collect();
    let paired = if parts.len() % 2 == 1 {
        parts.len()
    } else {
        parts.len() - 1
    };
    parts
        .iter()
        .enumerate()
        .map(|(i, p)| {
            if i >= paired {
                ProsePart::Unpaired(p)
            } else if i % 2 == 1 {
                ProsePart::Code(p)
            } else {
                ProsePart::Text(p)
            }
        })
        .collect()
}

/// Markdown for prose in which `` `x` `` marks an identifier (as the attribution engine's
/// reasons do): each paired backtick span becomes a code span ([`md_code`]), the rest is
/// escaped ([`md_escape`]), and an unpaired backtick stays a literal backtick.
#[must_use]
pub fn md_prose(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    for part in prose_parts(s) {
        match part {
            ProsePart::Unpaired(p) => {
                out.push_str("\\`");
                out.push_str(&md_escape(p));
            }
            ProsePart::Code(p) => out.push_str(&md_code(p)),
            ProsePart::Text(p) => out.push_str(&md_escape(p)),
        }
    }
    out
}

/// A share in 0..1 as a percentage with `decimals` decimals: `pct(0.147, 1)` is `14.7%`.
#[must_use]
pub fn pct(share: f64, decimals: usize) -> String {
    format!("{:.*}%", decimals, 100.0 * share)
}

/// Lower-case hex of `bytes` (digests in reports, cache keys and manifests).
#[must_use]
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Inserts thousands separators into the integer part of a formatted number:
/// `"1234567.5"` → `"1,234,567.5"`, `"-1000"` → `"-1,000"`.
#[must_use]
pub fn group_thousands(s: &str) -> String {
    let (sign, rest) = s.strip_prefix('-').map_or(("", s), |r| ("-", r));
    let (int, frac) = rest
        .split_once('.')
        .map_or((rest, None), |(i, f)| (i, Some(f)));
    let mut out = String::from(sign);
    for (n, c) in int.chars().enumerate() {
        if n > 0 && (int.len() - n) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(group_thousands("1234567.5"), "1,234,567.5");
        assert_eq!(group_thousands("-1000"), "-1,000");
        assert_eq!(group_thousands("999"), "999");
    }

    #[test]
    fn markdown_escapes() {
        assert_eq!(md_escape("a|b <x> *y*\nz"), "a\\|b &lt;x&gt; \\*y\\* z");
        assert_eq!(md_escape("a\r\n\tb\u{7}c"), "a   bc");
        assert_eq!(md_escape("plain-id 42"), "plain-id 42");
        assert_eq!(md_code("a`b|c"), "``a`b\\|c``");
        assert_eq!(md_code("`x"), "`` `x ``");
        assert_eq!(md_code(""), "`  `");
        assert_eq!(
            md_prose("`a|b` ranked *1*, `x"),
            "`a\\|b` ranked \\*1\\*, \\`x"
        );
        assert_eq!(md_prose("no code here"), "no code here");
    }

    #[test]
    fn percentages() {
        assert_eq!(pct(0.147, 1), "14.7%");
        assert_eq!(pct(0.147, 0), "15%");
        assert_eq!(pct(1.0, 0), "100%");
        assert_eq!(pct(0.0, 1), "0.0%");
        assert_eq!(pct(1.0 / 3.0, 2), "33.33%");
    }
}
