//! Property tests: offsets map back to the exact text, cover the document, never cut a
//! grapheme cluster, and are deterministic, for every strategy.

use proptest::prelude::*;
use ragdiag_chunk::{ChunkOut, Chunker, ChunkerSpec, Cl100k, Tokenizer, WhitespaceTokenizer};
use ragdiag_embed::HashEmbedder;
use std::sync::Arc;
use unicode_segmentation::UnicodeSegmentation;

/// Pieces that exercise separators, multi-byte text and grapheme clusters.
const ATOMS: &[&str] = &[
    "word",
    "Refunds",
    "take",
    "14",
    "days",
    ".",
    "?",
    "!",
    " ",
    " ",
    "  ",
    "\n",
    "\n\n",
    "\r\n",
    "\t",
    "# Billing\n",
    "## Refunds\n",
    "```\n",
    "日本語",
    "の",
    "👍🏽",
    "👩‍👩‍👧",
    "e\u{301}",
    " \u{301}",
    "ä",
    "\u{a0}",
    "\u{3000}",
    "x.y",
    "Mr. Smith.",
    "🇫🇷",
];

fn text() -> impl Strategy<Value = String> {
    proptest::collection::vec(proptest::sample::select(ATOMS), 0..120).prop_map(|v| v.concat())
}

fn specs() -> Vec<&'static str> {
    vec![
        "doc",
        "tokens:5/0",
        "tokens:7/3",
        "tokens:1/0",
        "recursive:6/0",
        "recursive:9/4",
        "recursive:1/0",
        "sentence:6",
        "sentence:1",
        "markdown:8",
        "semantic:12",
    ]
}

fn run(spec: &str, tok: Arc<dyn Tokenizer>, text: &str) -> Vec<ChunkOut> {
    let spec: ChunkerSpec = spec.parse().unwrap();
    let chunker = Chunker::new(spec, tok);
    let embedder = HashEmbedder::new(16);
    chunker.chunk("d", text, Some(&embedder)).unwrap()
}

/// Code-point offsets of every grapheme boundary.
fn boundaries(text: &str) -> Vec<usize> {
    let mut v: Vec<usize> = Vec::new();
    let mut chars = 0;
    for g in text.graphemes(true) {
        v.push(chars);
        chars += g.chars().count();
    }
    v.push(chars);
    v
}

fn is_space(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c))
}

fn check(spec: &str, tok: Arc<dyn Tokenizer>, text: &str) -> Result<(), TestCaseError> {
    let chunks = run(spec, tok.clone(), text);
    let n = text.chars().count();
    let cuts = boundaries(text);
    let chars: Vec<char> = text.chars().collect();
    let slice = |a: usize, b: usize| chars[a..b].iter().collect::<String>();
    let overlapping = spec.starts_with("tokens:7") || spec.starts_with("recursive:9");
    for (i, c) in chunks.iter().enumerate() {
        let ch = &c.chunk;
        prop_assert_eq!(ch.index as usize, i);
        prop_assert_eq!(&ch.doc_id, "d");
        prop_assert!(ch.start < ch.end && ch.end <= n, "{spec}: bad span {ch:?}");
        // The offsets are code points: the slice is the text between them.
        prop_assert_eq!(ch.slice(text), slice(ch.start, ch.end));
        // The byte span is the same span.
        prop_assert_eq!(&text[c.bytes.clone()], ch.slice(text));
        prop_assert!(
            cuts.binary_search(&ch.start).is_ok(),
            "{spec}: start inside a cluster: {ch:?}"
        );
        prop_assert!(
            cuts.binary_search(&ch.end).is_ok(),
            "{spec}: end inside a cluster: {ch:?}"
        );
        if !spec.starts_with("doc") && !spec.starts_with("tokens") {
            let s = ch.slice(text);
            prop_assert!(
                !is_space(s.graphemes(true).next().unwrap()),
                "{spec}: starts on whitespace: {s:?}"
            );
            prop_assert!(
                !is_space(s.graphemes(true).next_back().unwrap()),
                "{spec}: ends on whitespace: {s:?}"
            );
        }
    }
    for w in chunks.windows(2) {
        let (a, b) = (&w[0].chunk, &w[1].chunk);
        prop_assert!(
            a.start <= b.start && a.end <= b.end,
            "{spec}: out of order {a:?} {b:?}"
        );
        if !overlapping {
            // No overlap, and only whitespace (or, for token windows, what no token covers)
            // between consecutive chunks.
            prop_assert!(a.end <= b.start, "{spec}: overlap {a:?} {b:?}");
            prop_assert!(
                is_space(&slice(a.end, b.start)),
                "{spec}: gap {:?}",
                slice(a.end, b.start)
            );
        }
    }
    // Every non-whitespace character is in some chunk.
    let mut covered = vec![false; n];
    for c in &chunks {
        covered[c.chunk.start..c.chunk.end]
            .iter_mut()
            .for_each(|x| *x = true);
    }
    for (i, ch) in chars.iter().enumerate() {
        prop_assert!(
            covered[i] || ch.is_whitespace(),
            "{spec}: {ch:?} at {i} not covered"
        );
    }
    if !overlapping {
        // Outside chunks there is only whitespace.
        let outside: String = chars
            .iter()
            .zip(&covered)
            .filter(|(_, c)| !**c)
            .map(|(c, _)| *c)
            .collect();
        prop_assert!(is_space(&outside));
    }
    // Deterministic.
    prop_assert_eq!(run(spec, tok, text), chunks);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]

    #[test]
    fn whitespace_tokens(text in text()) {
        for spec in specs() {
            check(spec, Arc::new(WhitespaceTokenizer), &text)?;
        }
    }

    #[test]
    fn cl100k_tokens(text in text()) {
        for spec in specs() {
            check(spec, Arc::new(Cl100k::new()), &text)?;
        }
    }

    #[test]
    fn cl100k_token_windows_keep_every_token(text in text(), size in 1usize..6) {
        let spec = format!("tokens:{size}/0");
        let chunks = run(&spec, Arc::new(Cl100k::new()), &text);
        let cuts = boundaries(&text);
        let n = text.chars().count();
        for c in &chunks {
            prop_assert!(cuts.binary_search(&c.chunk.start).is_ok());
            prop_assert!(cuts.binary_search(&c.chunk.end).is_ok());
            prop_assert!(c.chunk.start < c.chunk.end);
        }
        // cl100k tokens cover every byte, so the windows cover the whole text.
        if n > 0 {
            prop_assert_eq!(chunks.first().map(|c| c.chunk.start), Some(0));
            prop_assert_eq!(chunks.last().map(|c| c.chunk.end), Some(n));
        }
        // Byte-level BPE cuts clusters (even code points), yet windows widened to whole
        // clusters still tile the text exactly.
        for w in chunks.windows(2) {
            prop_assert_eq!(w[0].chunk.end, w[1].chunk.start);
        }
    }
}

#[test]
fn empty_and_blank_documents() {
    for spec in specs() {
        assert!(
            run(spec, Arc::new(WhitespaceTokenizer), "").is_empty(),
            "{spec}"
        );
        let blank = run(spec, Arc::new(WhitespaceTokenizer), " \n\t ");
        if spec == "doc" {
            assert_eq!(blank.len(), 1);
        } else {
            assert!(blank.is_empty(), "{spec}: {blank:?}");
        }
    }
}

/// Any text: every code point class that tiktoken's pre-tokenizer tells apart (letters, digits,
/// punctuation, apostrophe contractions, every kind of whitespace, CR and LF runs, marks, CJK,
/// emoji), in random runs.
fn wild_text() -> impl Strategy<Value = String> {
    let atom = prop_oneof![
        text(),
        proptest::sample::select(vec![
            "'s",
            "'T",
            "'re",
            "'VE",
            "'m",
            "'ll",
            "'d",
            "'x",
            "123456",
            "1",
            "  \n",
            " \n ",
            "\n \n",
            "\r",
            "\r\r\n",
            "   x",
            "\t\t",
            " ?!",
            "?\n\n",
            "...",
            "—",
            "\u{85}",
            "\u{2028}",
            "\u{feff}",
            "<|endoftext|>",
            "Ωmega",
            "ÅSTRÖM",
            "١٢٣",
            "\u{0}",
        ])
        .prop_map(str::to_owned),
        any::<char>().prop_map(String::from),
    ];
    proptest::collection::vec(atom, 0..40).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// The cl100k encoder gives exactly tiktoken's tokens (`tiktoken-rs` as the oracle), so
    /// sizes in `@cl100k` are the ones Chroma's study counted.
    #[test]
    fn cl100k_equals_tiktoken(text in wild_text()) {
        let want = tiktoken_rs::cl100k_base_singleton().encode_ordinary(&text);
        let tok = Cl100k::new();
        prop_assert_eq!(tok.encode(&text), want.clone());
        prop_assert_eq!(tok.count(&text).unwrap(), want.len());
        let spans = tok.token_spans(&text).unwrap();
        prop_assert_eq!(spans.len(), want.len());
        prop_assert_eq!(spans.last().map_or(0, |r| r.end), text.len());
    }
}
