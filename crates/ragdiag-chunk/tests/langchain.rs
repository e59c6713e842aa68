//! The recursive splitter against LangChain's `RecursiveCharacterTextSplitter` (separators
//! `["\n\n", "\n", ".", "?", "!", " ", ""]`, `keep_separator=True`, `strip_whitespace=True`),
//! with lengths counted in whitespace-separated words or in code points. The expected chunks
//! were produced by langchain-text-splitters 1.x and read through by hand (note the separator
//! kept at the start of the following piece: `". Taxes are"`).

use ragdiag_chunk::{Chunker, ChunkerSpec, Tokenizer, WhitespaceTokenizer};
use std::ops::Range;
use std::sync::Arc;

/// One token a code point: LangChain's default `length_function=len`.
struct Chars;

impl Tokenizer for Chars {
    fn name(&self) -> &str {
        "chars"
    }

    fn token_spans(&self, text: &str) -> ragdiag_chunk::Result<Vec<Range<usize>>> {
        Ok(text
            .char_indices()
            .map(|(i, c)| i..i + c.len_utf8())
            .collect())
    }
}

enum Length {
    Words,
    Chars,
}

fn check(text: &str, spec: &str, length: Length, expected: &[&str]) {
    let tok: Arc<dyn Tokenizer> = match length {
        Length::Words => Arc::new(WhitespaceTokenizer),
        Length::Chars => Arc::new(Chars),
    };
    let spec: ChunkerSpec = spec.parse().unwrap();
    let chunks = Chunker::new(spec, tok).chunk("d", text, None).unwrap();
    let got: Vec<&str> = chunks.iter().map(|c| c.chunk.slice(text)).collect();
    assert_eq!(got, expected, "{spec} on {text:?}");
}

#[test]
fn matches_langchain() {
    check(
        "Refunds take 14 days.\n\nInvoices are sent monthly. Taxes are included in every price.",
        "recursive:3/0",
        Length::Words,
        &[
            "Refunds take 14",
            "days",
            ".",
            "Invoices are sent",
            "monthly",
            ". Taxes are",
            "included in every",
            "price",
            ".",
        ],
    );
    check(
        "Refunds take 14 days.\n\nInvoices are sent monthly. Taxes are included in every price.",
        "recursive:10/0",
        Length::Chars,
        &[
            "Refunds", "take 14", "days", ".", "Invoices", "are sent", "monthly", ". Taxes", "are",
            "included", "in every", "price", ".",
        ],
    );
    check(
        "One two three four five six seven eight nine ten eleven twelve. Thirteen? Fourteen! Fifteen sixteen.\nSeventeen eighteen\n\n\nnineteen twenty.",
        "recursive:8/0",
        Length::Words,
        &["One two three four five six seven eight", "nine ten eleven twelve", ". Thirteen? Fourteen! Fifteen sixteen.", "Seventeen eighteen", "nineteen twenty."],
    );
    check(
        "  Leading space. And trailing space.  \n\n  Second paragraph with several words in it, long enough to split.\n",
        "recursive:8/0",
        Length::Words,
        &["Leading space. And trailing space.", "Second paragraph with several words in it, long", "enough to split", "."],
    );
    check(
        "Café prices rose 5%. 日本語の文章です。 Emoji 👍🏽 here! Mr. Smith went to Washington... Did he? Yes!!",
        "recursive:8/0",
        Length::Words,
        &["Café prices rose 5%", ". 日本語の文章です。 Emoji 👍🏽 here! Mr", ". Smith went to Washington..", ". Did he? Yes!!"],
    );
    check(
        "Café prices rose 5%. 日本語の文章です。 Emoji 👍🏽 here! Mr. Smith went to Washington... Did he? Yes!!",
        "recursive:25/10",
        Length::Chars,
        &["Café prices rose 5%", ". 日本語の文章です。 Emoji 👍🏽 here", "! Mr", ". Smith went to", "went to Washington", "... Did he? Yes!!"],
    );
    check(
        "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p",
        "recursive:8/4",
        Length::Words,
        &["a.b.c.d.e.f.g.h", ".e.f.g.h.i.j.k.l", ".i.j.k.l.m.n.o.p"],
    );
}
