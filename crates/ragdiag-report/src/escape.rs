//! Escaping for HTML text and attributes, and for Markdown.

/// HTML-escapes text content (`&`, `<`, `>`).
pub(crate) fn text(s: &str) -> String {
    html_escape::encode_text(s).into_owned()
}

/// HTML-escapes a double-quoted attribute value (`&`, `<`, `>`, `"`).
pub(crate) fn attr(s: &str) -> String {
    html_escape::encode_double_quoted_attribute(s).into_owned()
}

/// A token usable inside an `id` or class name: ASCII letters, digits, `_` and `-` kept, every
/// other character replaced by `-`.
pub(crate) fn token(s: &str) -> String {
    let t: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    if t.is_empty() {
        "none".to_owned()
    } else {
        t
    }
}

/// Escapes prose for Markdown: HTML-significant characters become entities, Markdown
/// punctuation is backslash-escaped, and line breaks become spaces so a value stays on its line
/// (and in its table cell).
pub(crate) fn md(s: &str) -> String {
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
pub(crate) fn md_code(s: &str) -> String {
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

/// HTML for prose in which `` `x` `` marks an identifier (as the attribution engine's reasons
/// do): each paired backtick span becomes `<code>`, everything is escaped, and an unpaired
/// backtick stays literal.
pub(crate) fn prose_html(s: &str) -> String {
    let parts: Vec<&str> = s.split('`').collect();
    let paired = if parts.len() % 2 == 1 {
        parts.len()
    } else {
        parts.len() - 1
    };
    let mut out = String::with_capacity(s.len() + 16);
    for (i, p) in parts.iter().enumerate() {
        if i >= paired {
            out.push('`');
            out.push_str(&text(p));
        } else if i % 2 == 1 {
            out.push_str("<code>");
            out.push_str(&text(p));
            out.push_str("</code>");
        } else {
            out.push_str(&text(p));
        }
    }
    out
}

/// Markdown for the same prose: paired backtick spans become code spans, the rest is escaped.
pub(crate) fn prose_md(s: &str) -> String {
    let parts: Vec<&str> = s.split('`').collect();
    let paired = if parts.len() % 2 == 1 {
        parts.len()
    } else {
        parts.len() - 1
    };
    let mut out = String::with_capacity(s.len() + 16);
    for (i, p) in parts.iter().enumerate() {
        if i >= paired {
            out.push_str("\\`");
            out.push_str(&md(p));
        } else if i % 2 == 1 {
            out.push_str(&md_code(p));
        } else {
            out.push_str(&md(p));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_escapes() {
        assert_eq!(md("a|b <x> *y*\nz"), "a\\|b &lt;x&gt; \\*y\\* z");
        assert_eq!(md_code("a`b|c"), "``a`b\\|c``");
        assert_eq!(md_code("`x"), "`` `x ``");
        assert_eq!(token("stale source/é"), "stale-source--");
        assert_eq!(
            prose_html("`a<b>` ranked 1, `x"),
            "<code>a&lt;b&gt;</code> ranked 1, `x"
        );
        assert_eq!(
            prose_md("`a|b` ranked *1*, `x"),
            "`a\\|b` ranked \\*1\\*, \\`x"
        );
    }
}
