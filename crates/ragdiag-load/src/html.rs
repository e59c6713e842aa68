//! Visible text of an HTML page.

/// Elements whose content is never visible.
const HIDDEN: &[&str] = &[
    "script", "style", "noscript", "template", "head", "svg", "iframe", "object",
];
/// Elements that start a new line of text.
const BLOCK: &[&str] = &[
    "p",
    "div",
    "br",
    "li",
    "ul",
    "ol",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "tr",
    "table",
    "section",
    "article",
    "header",
    "footer",
    "blockquote",
    "pre",
    "hr",
    "dt",
    "dd",
    "main",
    "nav",
    "aside",
    "figure",
    "figcaption",
    "form",
    "details",
    "summary",
];

/// Extracts the visible text of `html` (entities decoded, scripts and styles dropped, block
/// elements on their own lines) and its `<title>`. Malformed markup never fails: whatever the
/// parser recovers is used, and if it recovers nothing the raw text is kept.
pub fn html_visible_text(html: &str) -> (String, Option<String>) {
    let Ok(dom) = tl::parse(html, tl::ParserOptions::default()) else {
        return (html.to_string(), None);
    };
    let parser = dom.parser();
    let mut out = String::new();
    let title = dom
        .query_selector("title")
        .and_then(|mut it| it.next())
        .and_then(|h| h.get(parser))
        .map(|n| {
            html_escape::decode_html_entities(&n.inner_text(parser))
                .trim()
                .to_string()
        })
        .filter(|t| !t.is_empty());
    let mut stack: Vec<(tl::NodeHandle, bool)> =
        dom.children().iter().rev().map(|h| (*h, false)).collect();
    // Iterative walk (no recursion: deeply nested markup cannot overflow the stack).
    while let Some((handle, closing)) = stack.pop() {
        let Some(node) = handle.get(parser) else {
            continue;
        };
        match node {
            tl::Node::Tag(tag) => {
                let name = tag.name().as_utf8_str().to_ascii_lowercase();
                let is_block = BLOCK.contains(&name.as_str());
                if closing {
                    if is_block && !out.ends_with('\n') && !out.is_empty() {
                        out.push('\n');
                    }
                    continue;
                }
                if HIDDEN.contains(&name.as_str()) || name == "title" {
                    continue;
                }
                if is_block && !out.ends_with('\n') && !out.is_empty() {
                    out.push('\n');
                }
                stack.push((handle, true));
                let children: Vec<tl::NodeHandle> = tag.children().top().iter().copied().collect();
                for child in children.into_iter().rev() {
                    stack.push((child, false));
                }
            }
            tl::Node::Raw(bytes) => {
                let raw = bytes.as_utf8_str();
                let decoded = html_escape::decode_html_entities(&raw);
                let collapsed = decoded.split_whitespace().collect::<Vec<_>>().join(" ");
                if !collapsed.is_empty() {
                    if !out.is_empty() && !out.ends_with('\n') && !out.ends_with(' ') {
                        out.push(' ');
                    }
                    out.push_str(&collapsed);
                }
            }
            tl::Node::Comment(_) => {}
        }
    }
    let text = out.trim().to_string();
    (
        if text.is_empty() && !html.contains('<') {
            html.to_string()
        } else {
            text
        },
        title,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_visible_text_only() {
        let (t, title) = html_visible_text(
            "<!doctype html><html><head><title>A &amp; B</title></head><body><h1>Head</h1><p>One <b>two</b>&nbsp;three</p><script>var x = '<p>no</p>';</script><ul><li>i</li><li>ii</li></ul></body></html>",
        );
        assert_eq!(title.as_deref(), Some("A & B"));
        assert_eq!(t, "Head\nOne two three\ni\nii");
    }

    #[test]
    fn survives_garbage_and_deep_nesting() {
        let deep = "<div>".repeat(50_000) + "x";
        let (t, _) = html_visible_text(&deep);
        assert!(t.contains('x'));
        let (t, _) = html_visible_text("<<<>>><p>unclosed &bogus; text");
        assert!(t.contains("text"), "{t}");
    }
}
