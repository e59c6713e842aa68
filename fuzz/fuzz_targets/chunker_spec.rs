//! Chunker specs and the chunkers they name: the input is `spec\ntext`. An accepted spec prints
//! (Display, its canonical form) to a spec that parses back equal; chunking the text gives
//! non-empty chunks in order, inside the text, with byte spans equal to their code-point spans,
//! covering every character that is not whitespace (Python's `str.isspace`, as the chunkers).
#![no_main]

use libfuzzer_sys::fuzz_target;
use ragdiag_chunk::{Chunker, ChunkerSpec, Strategy, WhitespaceTokenizer};
use ragdiag_fuzz::check_span;
use std::sync::Arc;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let (spec_text, text) = s.split_once('\n').unwrap_or((s, ""));
    let Ok(spec) = spec_text.parse::<ChunkerSpec>() else {
        return;
    };
    let canonical = spec.to_string();
    let back: ChunkerSpec = canonical
        .parse()
        .unwrap_or_else(|e| panic!("canonical form {canonical:?} does not parse: {e}"));
    assert_eq!(back, spec, "round trip through {canonical:?}");
    if matches!(spec.strategy, Strategy::Semantic { .. }) {
        return; // needs an embedder
    }
    // The model's WordPiece vocabulary is not in the repository: words stand in for its tokens.
    let chunker = Chunker::for_spec(spec, Some(Arc::new(WhitespaceTokenizer))).expect("a chunker");
    let chunks = chunker
        .chunk("d", text, None)
        .expect("chunking never fails without semantic");
    let mut covered = vec![false; text.len()];
    let mut last = (0, 0);
    for c in &chunks {
        let (start, end) = (c.chunk.start, c.chunk.end);
        check_span(text, start, end, &canonical);
        assert!(start < end, "{canonical}: empty chunk at {start}");
        assert!((start, end) >= last, "{canonical}: chunks out of order");
        last = (start, end);
        assert!(text.is_char_boundary(c.bytes.start) && text.is_char_boundary(c.bytes.end));
        assert_eq!(
            &text[c.bytes.clone()],
            c.chunk.slice(text),
            "{canonical}: byte span"
        );
        covered[c.bytes.clone()].iter_mut().for_each(|b| *b = true);
    }
    // Whitespace as the chunkers (LangChain-exact, so Python's `str.isspace`) define it.
    let space = |c: char| c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c);
    for (i, ch) in text.char_indices() {
        assert!(
            space(ch) || covered[i],
            "{canonical}: {ch:?} at byte {i} in no chunk"
        );
    }
});
