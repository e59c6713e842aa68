//! Escaping for HTML text and attributes. Markdown's escapes are `ragdiag-core`'s (`md_escape`,
//! `md_code`, `md_prose`), shared with the command line's other reports.

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

/// HTML for prose in which `` `x` `` marks an identifier (as the attribution engine's reasons
/// do): each paired backtick span becomes `<code>`, everything is escaped, and an unpaired
/// backtick stays literal.
pub(crate) fn prose_html(s: &str) -> String {
    use ragdiag_core::ProsePart;
    let mut out = String::with_capacity(s.len() + 16);
    for part in ragdiag_core::prose_parts(s) {
        match part {
            ProsePart::Unpaired(p) => {
                out.push('`');
                out.push_str(&text(p));
            }
            ProsePart::Code(p) => {
                out.push_str("<code>");
                out.push_str(&text(p));
                out.push_str("</code>");
            }
            ProsePart::Text(p) => out.push_str(&text(p)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(token("stale source/é"), "stale-source--");
        assert_eq!(
            prose_html("`a<b>` ranked 1, `x"),
            "<code>a&lt;b&gt;</code> ranked 1, `x"
        );
    }
}
