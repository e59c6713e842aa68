//! The JSONL corpus loader (ragdiag's and BEIR's `corpus.jsonl`): items or a located error,
//! strict and lenient loads agreeing, and no document without an id.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ragdiag_fuzz::{check_loads, line_count, write_scratch};
use ragdiag_load::{load_corpus, LoadOptions};

fuzz_target!(|data: &[u8]| {
    let path = write_scratch("corpus.jsonl", data);
    let strict = load_corpus(&path, &LoadOptions::default());
    let lenient = load_corpus(&path, &LoadOptions { skip_invalid: true });
    if let Some(docs) = check_loads(&strict, &lenient, &path, line_count(data)) {
        let mut ids = std::collections::HashSet::new();
        for d in docs {
            assert!(!d.id.is_empty(), "a document without an id");
            assert!(
                ids.insert(d.id.as_str()),
                "two documents with id {:?}",
                d.id
            );
            assert!(*d.origin.path == *path, "origin {:?}", d.origin);
        }
    }
});
