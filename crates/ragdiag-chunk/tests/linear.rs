//! Chunking stays linear in a document's length, checked without timing anything: a counting
//! tokenizer measures the bytes every spec hands to the tokenizer, which must stay within a
//! fixed multiple of the text's length whatever that length (recounting growing prefixes or
//! re-tokenizing the remainder a chunk at a time would make the multiple grow with the text);
//! and a long document is chunked by every strategy, its chunks checked through their
//! byte spans (slicing chunks by code points, one scan of the text a chunk, is the quadratic
//! path callers avoid with [`ChunkOut::bytes`]).

use ragdiag_chunk::{ChunkOut, Chunker, ChunkerSpec, Cl100k, Tokenizer, WhitespaceTokenizer};
use ragdiag_embed::HashEmbedder;
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// A tokenizer that adds up the bytes it is given (to count, to locate or to bound).
struct Counting {
    inner: Arc<dyn Tokenizer>,
    bytes: AtomicUsize,
}

impl Counting {
    fn new(inner: Arc<dyn Tokenizer>) -> Arc<Self> {
        Arc::new(Counting {
            inner,
            bytes: AtomicUsize::new(0),
        })
    }

    fn take(&self) -> usize {
        self.bytes.swap(0, Ordering::SeqCst)
    }
}

impl Tokenizer for Counting {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn token_spans(&self, text: &str) -> ragdiag_chunk::Result<Vec<Range<usize>>> {
        self.bytes.fetch_add(text.len(), Ordering::SeqCst);
        self.inner.token_spans(text)
    }

    fn count(&self, text: &str) -> ragdiag_chunk::Result<usize> {
        self.bytes.fetch_add(text.len(), Ordering::SeqCst);
        self.inner.count(text)
    }

    fn at_least(&self, text: &str) -> usize {
        self.bytes.fetch_add(text.len(), Ordering::SeqCst);
        self.inner.at_least(text)
    }
}

/// Every strategy, with and without overlap.
const SPECS: &[&str] = &[
    "doc",
    "tokens:200/0",
    "tokens:250/125",
    "recursive:400/0",
    "recursive:400/200",
    "sentence:200",
    "markdown:400",
    "semantic:400",
];

/// Sentences, paragraphs, Markdown headings, multi-byte text and clusters, repeated to about
/// `bytes` bytes.
fn document(bytes: usize) -> String {
    let parts = [
        "# Billing\n",
        "Refunds take 14 days. ",
        "Invoices are sent monthly!\n",
        "Mr. Smith asked why? ",
        "日本語のテキスト。",
        "Crème brûlée e\u{301} ",
        "👩‍👩‍👧 👍🏽\r\n",
        "\n\n",
        "## Refunds\n",
        "a longer sentence with many plain words that goes on and on without any stop at all ",
    ];
    let mut text = String::with_capacity(bytes + 200);
    let mut i = 0usize;
    while text.len() < bytes {
        // A fixed, irregular walk through the parts, so that pieces vary in length.
        text.push_str(parts[(i * 7 + i / 3) % parts.len()]);
        i += 1;
    }
    text
}

fn chunker(spec: &str, tok: Arc<dyn Tokenizer>) -> Chunker {
    let spec: ChunkerSpec = spec.parse().unwrap();
    Chunker::new(spec, tok)
}

fn chunk(spec: &str, tok: Arc<dyn Tokenizer>, text: &str) -> Vec<ChunkOut> {
    chunker(spec, tok)
        .chunk("d", text, Some(&HashEmbedder::new(8)))
        .unwrap()
}

/// The bytes handed to the tokenizer, per byte of text, for a text of about `bytes` bytes.
fn work_per_byte(spec: &str, inner: Arc<dyn Tokenizer>, bytes: usize) -> f64 {
    let tok = Counting::new(inner);
    let text = document(bytes);
    let chunks = chunk(spec, tok.clone(), &text);
    assert!(!chunks.is_empty(), "{spec}");
    #[allow(clippy::cast_precision_loss)]
    let ratio = tok.take() as f64 / text.len() as f64;
    ratio
}

#[test]
fn tokenizer_work_is_linear_in_the_document() {
    let tokenizers: [Arc<dyn Tokenizer>; 2] =
        [Arc::new(WhitespaceTokenizer), Arc::new(Cl100k::new())];
    for inner in tokenizers {
        for spec in SPECS {
            let small = work_per_byte(spec, inner.clone(), 25_000);
            let large = work_per_byte(spec, inner.clone(), 100_000);
            let name = inner.name();
            // A bounded number of passes: each recursion level counts its pieces once, then
            // every chunk is counted once more (twice the text with half overlap).
            assert!(
                small <= 8.0,
                "{spec} ({name}): {small:.2} bytes tokenized a byte"
            );
            // Four times the text, the same work a byte (up to the edges of the last chunk).
            assert!(
                large <= small * 1.1 + 0.5,
                "{spec} ({name}): {small:.2} bytes tokenized a byte at 25 kB, {large:.2} at 100 kB"
            );
        }
    }
}

/// One pass over the text: every chunk's code-point span agrees with its byte span.
fn check_offsets(spec: &str, text: &str, chunks: &[ChunkOut]) {
    let offsets: Vec<usize> = {
        let mut v: Vec<usize> = chunks
            .iter()
            .flat_map(|c| [c.bytes.start, c.bytes.end])
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let chars = ragdiag_core::byte_to_char_offsets(text, &offsets);
    let char_of = |b: usize| chars[offsets.binary_search(&b).unwrap()];
    for (i, c) in chunks.iter().enumerate() {
        assert_eq!(c.chunk.index as usize, i, "{spec}");
        assert!(c.bytes.start < c.bytes.end, "{spec}: empty chunk {c:?}");
        assert!(text.is_char_boundary(c.bytes.start) && text.is_char_boundary(c.bytes.end));
        assert_eq!(
            (c.chunk.start, c.chunk.end),
            (char_of(c.bytes.start), char_of(c.bytes.end)),
            "{spec}: chunk {i}"
        );
    }
}

#[test]
fn a_long_document_with_every_strategy() {
    let text = document(600_000);
    let tok: Arc<dyn Tokenizer> = Arc::new(WhitespaceTokenizer);
    // One spec a strategy that cuts many chunks (the others are covered above); a debug build
    // chunks it in about half a second a spec, where a scan of the text a chunk would take
    // many times longer.
    for spec in [
        "tokens:250/125",
        "recursive:400/0",
        "sentence:200",
        "markdown:400",
    ] {
        let chunks = chunk(spec, tok.clone(), &text);
        check_offsets(spec, &text, &chunks);
        let overlapping = spec.ends_with("/125");
        let mut end = 0usize;
        for c in &chunks {
            let gap = &text[end.min(c.bytes.start)..c.bytes.start];
            if overlapping {
                assert!(c.bytes.end >= end, "{spec}: out of order");
            } else {
                assert!(c.bytes.start >= end, "{spec}: overlap at {c:?}");
            }
            // Between chunks (for `doc`, none), only whitespace.
            assert!(gap.trim().is_empty(), "{spec}: {gap:?} left out");
            end = end.max(c.bytes.end);
        }
        assert!(text[end..].trim().is_empty(), "{spec}: the end left out");
    }
}
