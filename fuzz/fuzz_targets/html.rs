//! The HTML text extractor: never fails; markup-free text comes out word for word; and text
//! escaped as HTML (the writer's side) extracts back to the same words.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ragdiag_load::html_visible_text;

fn words(s: &str) -> Vec<&str> {
    s.split_whitespace().collect()
}

fuzz_target!(|data: &[u8]| {
    let html = String::from_utf8_lossy(data);
    let (text, title) = html_visible_text(&html);
    if let Some(t) = &title {
        assert!(!t.contains('\n'), "a title over several lines: {t:?}");
    }
    if !html.contains(['<', '&']) {
        assert_eq!(words(&text), words(&html), "markup-free text changed");
    }
    // Round trip: the extracted text, escaped, is a page whose visible text is the same words.
    let escaped = html_escape::encode_text(&text);
    let (again, _) = html_visible_text(&escaped);
    assert_eq!(
        words(&again),
        words(&text),
        "escaped text did not extract back\n{escaped}"
    );
});
