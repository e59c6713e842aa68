//! A folder corpus of one Markdown file with YAML front matter: a document or a located error
//! (strict and lenient loads agreeing), whose text is the end of the file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ragdiag_fuzz::{check_loads, line_count, scratch_subdir};
use ragdiag_load::{load_corpus, LoadOptions};

fuzz_target!(|data: &[u8]| {
    let dir = scratch_subdir("kb");
    let file = dir.join("page.md");
    std::fs::write(&file, data).expect("scratch file");
    let strict = load_corpus(&dir, &LoadOptions::default());
    let lenient = load_corpus(&dir, &LoadOptions { skip_invalid: true });
    let Some(docs) = check_loads(&strict, &lenient, &dir, line_count(data)) else {
        return;
    };
    assert!(docs.len() <= 1, "one file gave {} documents", docs.len());
    if let (Some(doc), Ok(source)) = (docs.first(), std::str::from_utf8(data)) {
        let source = source.strip_prefix('\u{feff}').unwrap_or(source);
        let body = doc.text.trim();
        assert!(
            source
                .replace("\r\n", "\n")
                .contains(&body.replace("\r\n", "\n")),
            "the text is not in the file: {body:?}"
        );
    }
});
