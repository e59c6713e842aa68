//! Chroma's chunking-evaluation folder as `chunking --chroma` reads it: `questions_df.csv` (the
//! input up to its first NUL byte) beside `corpora/c1.md` (the rest) and a fixed
//! `corpora/chatlogs.md`. Properties: items or a located error, strict and lenient loads
//! agreeing (an I/O error only for a corpus file that is not there); every question's one
//! relevant document is loaded, its text the file's; every evidence span is inside its
//! document's text or warned about as out of range.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ragdiag_core::Evidence;
use ragdiag_fuzz::{check_diagnostic, check_error, line_count, scratch_subdir};
use ragdiag_load::{load_chroma, LoadError, LoadOptions};

const CHATLOGS: &str = "User: Café prices rose 5%?\nBot: Refunds take 14 days 👍, ΟΔΟΣ.\n";

fuzz_target!(|data: &[u8]| {
    let (csv, corpus) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &b""[..]),
    };
    let dir = scratch_subdir("chroma");
    std::fs::create_dir_all(dir.join("corpora")).expect("scratch folder");
    std::fs::write(dir.join("questions_df.csv"), csv).expect("scratch file");
    std::fs::write(dir.join("corpora/c1.md"), corpus).expect("scratch file");
    std::fs::write(dir.join("corpora/chatlogs.md"), CHATLOGS).expect("scratch file");
    let lines = line_count(csv);
    let strict = load_chroma(&dir, &LoadOptions::default());
    let lenient = load_chroma(&dir, &LoadOptions { skip_invalid: true });
    for r in [&strict, &lenient] {
        match r {
            Ok(l) => l
                .diagnostics
                .items()
                .iter()
                .for_each(|d| check_diagnostic(d, &dir, lines)),
            Err(LoadError::Io { path, .. }) => {
                assert!(
                    path.starts_with(dir.join("corpora")) && !path.exists(),
                    "an I/O error for a file that is there: {path:?}"
                );
            }
            Err(e) => check_error(e, &dir, lines),
        }
    }
    if let (Ok(s), Ok(l)) = (&strict, &lenient) {
        assert_eq!(
            s.items.queries, l.items.queries,
            "skip_invalid changed a valid input"
        );
    }
    let Ok(loaded) = strict else { return };
    let data = &loaded.items;
    for q in &data.queries {
        assert_eq!(q.relevant.len(), 1, "{q:?}");
        let doc = data
            .documents
            .iter()
            .find(|d| d.id == q.relevant[0].doc)
            .expect("the question's corpus is loaded");
        let n = doc.text.chars().count();
        for (i, ev) in q.evidence.iter().enumerate() {
            let Evidence::Span { start, end, .. } = ev else {
                panic!("a reference that is not a span: {ev:?}");
            };
            assert!(start <= end, "{ev:?}");
            if *end > n {
                let field = format!("references[{i}]");
                assert!(
                    loaded
                        .diagnostics
                        .items()
                        .iter()
                        .any(|d| d.field == field && d.reason.contains("out of range")),
                    "span {start}..{end} beyond {n} code points, not warned"
                );
            }
        }
    }
    for d in &data.documents {
        let file = std::fs::read(dir.join("corpora").join(format!("{}.md", d.id))).expect("read");
        let file = file.strip_prefix("\u{feff}".as_bytes()).unwrap_or(&file);
        assert_eq!(
            d.text.as_bytes(),
            file,
            "{}: the text is not the file's",
            d.id
        );
    }
});
