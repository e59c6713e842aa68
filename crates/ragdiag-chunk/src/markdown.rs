//! Markdown sections: ATX headings (`#` to `######`, up to three spaces of indent, outside
//! fenced code blocks) cut a document into sections, each with its heading path.
//! Setext headings (underlined with `===` or `---`) are not recognised.

use std::ops::Range;

/// A heading section: from its heading line (or the document start, for text before the first
/// heading) to the next heading line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Section {
    /// Byte range in the document, heading line included.
    pub(crate) range: Range<usize>,
    /// The heading path, outermost first (`["Billing", "Refunds"]`); empty before the first
    /// heading.
    pub(crate) path: Vec<String>,
}

/// The level and text of an ATX heading line, if `line` is one.
fn heading(line: &str) -> Option<(usize, &str)> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    if indent > 3 {
        return None;
    }
    let rest = &line[indent..];
    let level = rest.len() - rest.trim_start_matches('#').len();
    if !(1..=6).contains(&level) {
        return None;
    }
    let after = &rest[level..];
    if !(after.is_empty() || after.starts_with([' ', '\t'])) {
        return None;
    }
    let mut title = after.trim();
    // An optional closing sequence of #s, preceded by a space.
    let without = title.trim_end_matches('#');
    if without.is_empty() {
        title = "";
    } else if without.ends_with([' ', '\t']) {
        title = without.trim_end();
    }
    Some((level, title))
}

/// Whether `line` opens or closes a code fence, and with which character.
fn fence(line: &str) -> Option<(char, usize)> {
    let t = line.trim_start_matches(' ');
    if line.len() - t.len() > 3 {
        return None;
    }
    let c = t.chars().next().filter(|c| matches!(c, '`' | '~'))?;
    let n = t.len() - t.trim_start_matches(c).len();
    (n >= 3).then_some((c, n))
}

/// Cuts `text` into sections at its headings.
pub(crate) fn sections(text: &str) -> Vec<Section> {
    let mut out = Vec::new();
    let mut stack: Vec<(usize, String)> = Vec::new();
    let mut start = 0usize;
    let mut path: Vec<String> = Vec::new();
    let mut open_fence: Option<(char, usize)> = None;
    let mut pos = 0usize;
    for raw in text.split_inclusive('\n') {
        let line_start = pos;
        pos += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        if let Some((c, n)) = fence(line) {
            match open_fence {
                None => open_fence = Some((c, n)),
                Some((oc, on)) if oc == c && n >= on && line.trim()[n..].trim().is_empty() => {
                    open_fence = None;
                }
                Some(_) => {}
            }
            continue;
        }
        if open_fence.is_some() {
            continue;
        }
        let Some((level, title)) = heading(line) else {
            continue;
        };
        if line_start > start {
            out.push(Section {
                range: start..line_start,
                path: path.clone(),
            });
        }
        while stack.last().is_some_and(|(l, _)| *l >= level) {
            stack.pop();
        }
        stack.push((level, title.to_owned()));
        path = stack
            .iter()
            .filter(|(_, t)| !t.is_empty())
            .map(|(_, t)| t.clone())
            .collect();
        start = line_start;
    }
    if text.len() > start {
        out.push(Section {
            range: start..text.len(),
            path,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heading_lines() {
        assert_eq!(heading("# Billing"), Some((1, "Billing")));
        assert_eq!(heading("   ### Refunds ###"), Some((3, "Refunds")));
        assert_eq!(heading("## C# tips"), Some((2, "C# tips")));
        assert_eq!(heading("#"), Some((1, "")));
        assert_eq!(heading("#hashtag"), None);
        assert_eq!(heading("    # code"), None);
        assert_eq!(heading("####### seven"), None);
    }

    #[test]
    fn sections_with_paths_and_fences() {
        let text = "intro\n# Billing\nmoney\n## Refunds\n14 days\n```\n# not a heading\n```\n# Support\nhelp\n";
        let s = sections(text);
        let got: Vec<(&str, String)> = s
            .iter()
            .map(|s| (&text[s.range.clone()], s.path.join(" > ")))
            .collect();
        assert_eq!(
            got,
            [
                ("intro\n", String::new()),
                ("# Billing\nmoney\n", "Billing".into()),
                (
                    "## Refunds\n14 days\n```\n# not a heading\n```\n",
                    "Billing > Refunds".into()
                ),
                ("# Support\nhelp\n", "Support".into()),
            ]
        );
    }
}
