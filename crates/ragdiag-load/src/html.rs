//! Visible text of an HTML page.
//!
//! A small tokenizer that follows the HTML5 rules where they decide which text is visible:
//! `<` opens a tag only before an ASCII letter, `/` and a letter, `!` or `?`, and is text
//! otherwise (`y < 10`); `<title>` and `<textarea>` hold text up to their end tag (RCDATA, so
//! `<title>a < b</title>` is a title and a tag inside it is text); `<script>`, `<style>` and the
//! other raw-text elements are skipped up to their end tag; comments, doctypes and processing
//! instructions are skipped. It is one pass over the input with no recursion, so deeply nested
//! markup cannot overflow the stack, and it never fails: whatever is not markup is text.

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

/// Elements whose content is raw text that is never visible: skipped up to their end tag.
const RAW_TEXT: &[&str] = &[
    "script", "style", "iframe", "noscript", "noembed", "noframes",
];
/// Elements whose content is markup that is not visible.
const HIDDEN_MARKUP: &[&str] = &["template", "svg", "object"];
/// Elements that may appear in `<head>`; any other start tag ends it (as HTML5 does).
const HEAD_CONTENT: &[&str] = &[
    "title", "meta", "link", "style", "script", "noscript", "base", "template", "basefont",
    "bgsound",
];
/// Phrasing elements: their boundaries do not separate words (`<b>Hel</b>lo` is `Hello`).
/// Every other tag that is not a block element separates words with a space.
const INLINE: &[&str] = &[
    "a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "del", "dfn", "em", "font", "i", "img",
    "ins", "kbd", "label", "mark", "q", "s", "samp", "small", "span", "strong", "sub", "sup",
    "time", "u", "var", "wbr",
];

/// A tag as read: its lower-cased name, whether it is an end tag or self-closing, and the
/// byte just after its `>`.
struct Tag {
    name: String,
    end: bool,
    self_closing: bool,
    next: usize,
}

/// Reads the tag whose `<` is at `lt` (the caller has checked that a tag starts there).
fn read_tag(html: &str, lt: usize) -> Tag {
    let b = html.as_bytes();
    let mut i = lt + 1;
    let end = b.get(i) == Some(&b'/');
    if end {
        i += 1;
    }
    let name_start = i;
    while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'/' && b[i] != b'>' {
        i += 1;
    }
    let name = html[name_start..i].to_ascii_lowercase();
    // Attributes: a quoted value (after `=`) may hold `>`.
    let mut after_eq = false;
    let mut last = 0u8;
    while i < b.len() {
        match b[i] {
            b'>' => {
                return Tag {
                    name,
                    end,
                    self_closing: last == b'/',
                    next: i + 1,
                }
            }
            q @ (b'"' | b'\'') if after_eq => {
                i = memchr::memchr(q, &b[i + 1..]).map_or(b.len(), |k| i + 1 + k);
                after_eq = false;
                last = q;
            }
            c if c.is_ascii_whitespace() => {}
            c => {
                after_eq = c == b'=';
                last = c;
            }
        }
        i += 1;
    }
    // End of input inside a tag: HTML5 drops the tag.
    Tag {
        name,
        end,
        self_closing: false,
        next: b.len(),
    }
}

/// Where the end tag `</name` (any case, followed by whitespace, `/`, `>` or the end) starting
/// at or after `from` begins, and the byte after its `>`; `None` when there is none.
fn find_end_tag(html: &str, from: usize, name: &str) -> Option<(usize, usize)> {
    let b = html.as_bytes();
    let mut i = from;
    while let Some(k) = memchr::memmem::find(&b[i..], b"</") {
        let at = i + k;
        let name_end = at + 2 + name.len();
        if name_end <= b.len()
            && b[at + 2..name_end].eq_ignore_ascii_case(name.as_bytes())
            && b.get(name_end)
                .is_none_or(|&c| c.is_ascii_whitespace() || c == b'/' || c == b'>')
        {
            let next = memchr::memchr(b'>', &b[name_end..]).map_or(b.len(), |k| name_end + k + 1);
            return Some((at, next));
        }
        i = at + 2;
    }
    None
}

/// Collects visible text: words of the current block wait in `pending` and are appended to
/// `out` with their whitespace collapsed when the block ends.
#[derive(Default)]
struct Text {
    out: String,
    pending: String,
}

impl Text {
    fn flush(&mut self) {
        let mut words = self.pending.split_whitespace();
        if let Some(first) = words.next() {
            if !self.out.is_empty() && !self.out.ends_with(['\n', ' ']) {
                self.out.push(' ');
            }
            self.out.push_str(first);
            for w in words {
                self.out.push(' ');
                self.out.push_str(w);
            }
        }
        self.pending.clear();
    }

    fn line_break(&mut self) {
        self.flush();
        if !self.out.is_empty() && !self.out.ends_with('\n') {
            self.out.push('\n');
        }
    }
}

/// Extracts the visible text of `html` (entities decoded, scripts and styles dropped, block
/// elements on their own lines) and its first `<title>`. Malformed markup never fails: every
/// `<` that does not open a tag is text, and text outside hidden elements is always kept.
pub fn html_visible_text(html: &str) -> (String, Option<String>) {
    let b = html.as_bytes();
    let mut text = Text::default();
    let mut title: Option<String> = None;
    // Open elements whose markup content is hidden (`<svg>`, `<template>`, …).
    let mut hidden: Vec<String> = Vec::new();
    let mut in_head = false;
    let mut i = 0;
    while i < b.len() {
        // The next `<` that opens markup; everything before it is text.
        let mut from = i;
        let lt = loop {
            match memchr::memchr(b'<', &b[from..]) {
                Some(k) if opens_markup(b, from + k) => break from + k,
                Some(k) => from += k + 1,
                None => break b.len(),
            }
        };
        if hidden.is_empty() && lt > i {
            push_text(&mut text, &mut in_head, &html[i..lt]);
        }
        if lt >= b.len() {
            break;
        }
        match b[lt + 1] {
            b'!' if b[lt + 2..].starts_with(b"--") => {
                // A comment: up to `-->` (`<!-->` and `<!--->` end at once), or the end.
                let body = lt + 4;
                i = if b[body..].starts_with(b">") {
                    body + 1
                } else if b[body..].starts_with(b"->") {
                    body + 2
                } else {
                    memchr::memmem::find(&b[body..], b"-->").map_or(b.len(), |k| body + k + 3)
                };
            }
            b'!' | b'?' => {
                // A doctype, CDATA section or processing instruction: up to the next `>`.
                i = memchr::memchr(b'>', &b[lt..]).map_or(b.len(), |k| lt + k + 1);
            }
            b'/' if !b.get(lt + 2).is_some_and(u8::is_ascii_alphabetic) => {
                // `</>` is nothing; `</3` and the like are bogus comments up to `>`.
                i = memchr::memchr(b'>', &b[lt..]).map_or(b.len(), |k| lt + k + 1);
            }
            _ => {
                let tag = read_tag(html, lt);
                i = tag.next;
                handle_tag(
                    html,
                    tag,
                    &mut i,
                    &mut text,
                    &mut title,
                    &mut hidden,
                    &mut in_head,
                );
            }
        }
    }
    text.flush();
    let out = text.out.trim().to_string();
    (
        if out.is_empty() && !html.contains('<') {
            html.to_string()
        } else {
            out
        },
        title,
    )
}

/// Whether the `<` at `at` opens markup (a tag, an end tag, a comment, a doctype or a
/// processing instruction), as HTML5's tokenizer decides: else it is text.
fn opens_markup(b: &[u8], at: usize) -> bool {
    match b.get(at + 1) {
        Some(c) if c.is_ascii_alphabetic() => true,
        Some(b'!' | b'?') => true,
        // `</` at the very end is text.
        Some(b'/') => at + 2 < b.len(),
        _ => false,
    }
}

/// Appends the text `raw` (entities not yet decoded). Non-blank text ends `<head>`.
fn push_text(text: &mut Text, in_head: &mut bool, raw: &str) {
    if *in_head {
        if raw.trim().is_empty() {
            return;
        }
        *in_head = false;
    }
    text.pending
        .push_str(&html_escape::decode_html_entities(raw));
}

/// Acts on one tag; `i` is the byte after it and moves past the content of RCDATA and
/// raw-text elements.
fn handle_tag(
    html: &str,
    tag: Tag,
    i: &mut usize,
    text: &mut Text,
    title: &mut Option<String>,
    hidden: &mut Vec<String>,
    in_head: &mut bool,
) {
    let name = tag.name.as_str();
    if tag.end {
        if let Some(at) = hidden.iter().rposition(|h| h == name) {
            hidden.truncate(at);
        } else if name == "head" {
            *in_head = false;
        } else if hidden.is_empty() && BLOCK.contains(&name) {
            text.line_break();
        } else if hidden.is_empty() && !INLINE.contains(&name) {
            text.pending.push(' ');
        }
        return;
    }
    if *in_head && !HEAD_CONTENT.contains(&name) {
        *in_head = false;
    }
    if tag.self_closing && (HIDDEN_MARKUP.contains(&name) || RAW_TEXT.contains(&name)) {
        return;
    }
    if name == "title" || name == "textarea" {
        // RCDATA: text (entities decoded) up to the end tag, or to the end of the input.
        let (content_end, next) = find_end_tag(html, *i, name).unwrap_or((html.len(), html.len()));
        let content = html_escape::decode_html_entities(&html[*i..content_end]);
        *i = next;
        if !hidden.is_empty() {
            return;
        }
        if name == "title" {
            if title.is_none() {
                let t = content.split_whitespace().collect::<Vec<_>>().join(" ");
                *title = Some(t).filter(|t| !t.is_empty());
            }
        } else {
            text.pending.push(' ');
            text.pending.push_str(&content);
            text.pending.push(' ');
        }
        return;
    }
    if RAW_TEXT.contains(&name) {
        *i = find_end_tag(html, *i, name).map_or(html.len(), |(_, next)| next);
        return;
    }
    if HIDDEN_MARKUP.contains(&name) {
        hidden.push(tag.name);
        return;
    }
    if name == "head" {
        *in_head = true;
        return;
    }
    if !hidden.is_empty() {
        return;
    }
    if BLOCK.contains(&name) {
        text.line_break();
    } else if !INLINE.contains(&name) {
        text.pending.push(' ');
    }
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
        assert_eq!(t, "<<<>>>\nunclosed &bogus; text");
    }

    #[test]
    fn a_bare_less_than_is_text() {
        let (t, _) = html_visible_text("<p>Use y < 10 to filter rows. Price > 3 is flagged.</p>");
        assert_eq!(t, "Use y < 10 to filter rows. Price > 3 is flagged.");
        for (html, expected) in [
            ("<p>a <3 b</p>", "a <3 b"),
            ("<p>a<=b and c <- d</p>", "a<=b and c <- d"),
            ("<p>\u{e9}<\u{e9}</p>", "\u{e9}<\u{e9}"),
            ("x < y", "x < y"),
            ("ends with <", "ends with <"),
            ("<p>ends with </", "ends with </"),
            ("a </> b", "a b"),
            ("a <!-- <p>hidden</p> --> b", "a b"),
            ("a<!---->b<!-->c", "abc"),
            ("<?xml version=\"1.0\"?><p>x</p>", "x"),
        ] {
            assert_eq!(html_visible_text(html).0, expected, "{html}");
        }
    }

    #[test]
    fn title_and_textarea_are_rcdata() {
        let (t, title) = html_visible_text(
            "<html><head><title>a < b</title></head><body><p>Refunds take 30 days.</p></body></html>",
        );
        assert_eq!(title.as_deref(), Some("a < b"));
        assert_eq!(t, "Refunds take 30 days.");
        let (t, title) = html_visible_text(
            "<html><head><title>T <x></title></head><body><p>Refunds take 14 days.</p></body></html>",
        );
        assert_eq!(title.as_deref(), Some("T <x>"));
        assert_eq!(t, "Refunds take 14 days.");
        let (t, title) = html_visible_text("<TITLE>One</Title ><title>Two</title><p>Body</p>");
        assert_eq!(title.as_deref(), Some("One"));
        assert_eq!(t, "Body");
        let (t, _) = html_visible_text(
            "<p>Before</p><textarea name=\"n\"><b>not bold</b> &amp; x</textareax></textarea><p>After</p>",
        );
        assert_eq!(t, "Before\n<b>not bold</b> & x</textareax>\nAfter");
    }

    #[test]
    fn raw_text_and_hidden_elements_are_skipped_and_nothing_else() {
        for (html, expected) in [
            (
                "<script>if (a<b) { s = \"</p>\" }</script><p>Shown</p>",
                "Shown",
            ),
            ("<SCRIPT type=x>x</SCRIPT ><P>y</P>", "y"),
            ("<style>p > a {}</style>z", "z"),
            ("<p>a</p><svg><text>chart</text></svg><p>b</p>", "a\nb"),
            ("<svg/><p>kept</p>", "kept"),
            ("<template><p>t</p></template>after", "after"),
            // A `<head>` left open ends at the first body element, as in HTML5.
            ("<html><head><title>T</title><p>Body text</p>", "Body text"),
            ("<head><meta charset=utf-8>Loose text", "Loose text"),
            ("<a title=\"x > y\" href='>'>link</a> text", "link text"),
            ("<p>Hel<b>lo</b> wor<i>ld</i></p>", "Hello world"),
            ("<table><tr><td>a</td><td>b</td></tr></table>", "a b"),
            ("<p>unclosed <b attr=\"x", "unclosed"),
        ] {
            assert_eq!(html_visible_text(html).0, expected, "{html}");
        }
    }

    proptest::proptest! {
        #[test]
        fn plain_text_survives(text in "[^<&]*") {
            let (t, _) = html_visible_text(&format!("<p>{text}</p>"));
            proptest::prop_assert_eq!(t, text.split_whitespace().collect::<Vec<_>>().join(" "));
        }

        #[test]
        fn plain_words_survive_unchanged(text in "[^<&\\s]{1,12}( [^<&\\s]{1,12}){0,8}") {
            let (t, _) = html_visible_text(&format!("<p>{text}</p>"));
            proptest::prop_assert_eq!(t, text);
        }

        #[test]
        fn any_input_is_handled(html in "(<[/!?]?[a-z]{0,3}|[<>&;\"'=/ a-z]|-->|</title>|<script>){0,40}") {
            let _ = html_visible_text(&html);
        }
    }
}
