//! Token counting: the [`Tokenizer`] trait, the embedding model's WordPiece tokenizer
//! ([`ModelTokenizer`]), OpenAI's `cl100k_base` ([`Cl100k`]) and a whitespace tokenizer for
//! tests ([`WhitespaceTokenizer`]).

use crate::{Error, Result};
use std::ops::Range;
use std::path::Path;

/// Counts and locates tokens. Object-safe, so a chunker holds an `Arc<dyn Tokenizer>`.
///
/// Invariants every implementation keeps:
/// - [`token_spans`](Tokenizer::token_spans) returns byte ranges into the given text, in
///   order, non-overlapping; a range may start or end inside a UTF-8 sequence or a grapheme
///   cluster (byte-level BPE does), and the chunkers widen such spans to whole clusters;
/// - [`count`](Tokenizer::count) equals `token_spans(text)?.len()` (implementations override
///   it only to be faster);
/// - the same text gives the same tokens.
pub trait Tokenizer: Send + Sync {
    /// A short name for messages (`cl100k`, `whitespace`, the model's file name).
    fn name(&self) -> &str;

    /// The tokens of `text` as byte ranges, without special tokens.
    ///
    /// # Errors
    ///
    /// When the underlying tokenizer fails.
    fn token_spans(&self, text: &str) -> Result<Vec<Range<usize>>>;

    /// The number of tokens of `text`, without special tokens.
    ///
    /// # Errors
    ///
    /// When the underlying tokenizer fails.
    fn count(&self, text: &str) -> Result<usize> {
        Ok(self.token_spans(text)?.len())
    }

    /// A cheap lower bound of [`count`](Tokenizer::count), which lets the recursive splitter
    /// skip counting pieces it will split anyway. The default, 0, is always safe.
    fn at_least(&self, text: &str) -> usize {
        let _ = text;
        0
    }
}

/// A Hugging Face `tokenizer.json` (the embedding model's: for all-MiniLM-L6-v2, BERT
/// WordPiece, lower-cased). Tokens are counted without special tokens (`[CLS]`, `[SEP]`) and
/// without the file's truncation or padding, so long texts count in full.
pub struct ModelTokenizer {
    inner: tokenizers::Tokenizer,
    name: String,
}

impl std::fmt::Debug for ModelTokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelTokenizer")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl ModelTokenizer {
    /// Loads `tokenizer.json` once; share the result (`Arc`) between chunkers.
    ///
    /// # Errors
    ///
    /// [`Error::LoadTokenizer`] when the file is missing or is not a tokenizer.
    pub fn from_file(path: &Path) -> Result<Self> {
        let load_err = |source| Error::LoadTokenizer {
            path: path.to_path_buf(),
            source,
        };
        let mut inner = tokenizers::Tokenizer::from_file(path).map_err(load_err)?;
        inner.with_truncation(None).map_err(load_err)?;
        inner.with_padding(None);
        let name = path.parent().and_then(Path::file_name).map_or_else(
            || "tokenizer".to_owned(),
            |n| n.to_string_lossy().into_owned(),
        );
        Ok(ModelTokenizer { inner, name })
    }

    fn fail(&self, source: tokenizers::Error) -> Error {
        Error::Tokenize {
            tokenizer: self.name.clone(),
            source,
        }
    }
}

impl Tokenizer for ModelTokenizer {
    fn name(&self) -> &str {
        &self.name
    }

    fn token_spans(&self, text: &str) -> Result<Vec<Range<usize>>> {
        let enc = self.inner.encode(text, false).map_err(|e| self.fail(e))?;
        Ok(enc.get_offsets().iter().map(|&(s, e)| s..e).collect())
    }

    fn count(&self, text: &str) -> Result<usize> {
        let enc = self
            .inner
            .encode_fast(text, false)
            .map_err(|e| self.fail(e))?;
        Ok(enc.len())
    }

    /// Words holding a letter or digit: BERT-style normalisers drop control and format
    /// characters and accents, never letters or digits, and pre-tokenizers split at
    /// whitespace, so each such word gives at least one token.
    fn at_least(&self, text: &str) -> usize {
        text.split_whitespace()
            .filter(|w| w.chars().any(char::is_alphanumeric))
            .count()
    }
}

/// OpenAI's `cl100k_base` byte-level BPE (the tokenizer of Chroma's chunking study), built into
/// the binary: it works offline. Special-token text such as `<|endoftext|>` is encoded as
/// ordinary text, as Chroma's `openai_token_count` does.
///
/// The encoder is `bpe-openai`'s, which gives tiktoken's tokens (a property test checks it
/// against `tiktoken-rs`) in about half the time.
#[derive(Clone, Copy)]
pub struct Cl100k {
    bpe: &'static bpe_openai::Tokenizer,
}

impl std::fmt::Debug for Cl100k {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Cl100k")
    }
}

impl Default for Cl100k {
    fn default() -> Self {
        Cl100k::new()
    }
}

impl Cl100k {
    /// The shared encoder (built on first use, then reused).
    pub fn new() -> Self {
        Cl100k {
            bpe: bpe_openai::cl100k_base(),
        }
    }

    /// The token ids of `text` (tiktoken's `encode_ordinary`).
    pub fn encode(&self, text: &str) -> Vec<u32> {
        self.bpe.encode(text)
    }
}

impl Tokenizer for Cl100k {
    fn name(&self) -> &str {
        "cl100k"
    }

    fn token_spans(&self, text: &str) -> Result<Vec<Range<usize>>> {
        let ids = self.bpe.encode(text);
        let mut spans = Vec::with_capacity(ids.len());
        let mut pos = 0;
        for id in ids {
            let len = self.bpe.bpe.token_len(id);
            spans.push(pos..pos + len);
            pos += len;
        }
        if pos != text.len() {
            return Err(Error::Tokenize {
                tokenizer: "cl100k".into(),
                source: format!("tokens cover {pos} of {} bytes", text.len()).into(),
            });
        }
        Ok(spans)
    }

    fn count(&self, text: &str) -> Result<usize> {
        Ok(self.bpe.count(text))
    }

    /// No pre-tokenizer piece of cl100k holds two whitespace-separated words.
    fn at_least(&self, text: &str) -> usize {
        text.split_whitespace().count()
    }
}

/// Runs of non-whitespace characters: one token a word. For tests and examples that need no
/// model file.
#[derive(Debug, Clone, Copy, Default)]
pub struct WhitespaceTokenizer;

impl Tokenizer for WhitespaceTokenizer {
    fn name(&self) -> &str {
        "whitespace"
    }

    fn token_spans(&self, text: &str) -> Result<Vec<Range<usize>>> {
        let mut spans = Vec::new();
        let mut start = None;
        for (i, c) in text.char_indices() {
            match (c.is_whitespace(), start) {
                (true, Some(s)) => {
                    spans.push(s..i);
                    start = None;
                }
                (false, None) => start = Some(i),
                _ => {}
            }
        }
        if let Some(s) = start {
            spans.push(s..text.len());
        }
        Ok(spans)
    }

    fn count(&self, text: &str) -> Result<usize> {
        Ok(text.split_whitespace().count())
    }

    fn at_least(&self, text: &str) -> usize {
        text.split_whitespace().count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_spans() {
        let t = " héllo  wörld\n";
        let spans = WhitespaceTokenizer.token_spans(t).unwrap();
        let words: Vec<&str> = spans.iter().map(|r| &t[r.clone()]).collect();
        assert_eq!(words, ["héllo", "wörld"]);
        assert_eq!(WhitespaceTokenizer.count(t).unwrap(), 2);
    }

    #[test]
    fn cl100k_spans_cover_the_bytes() {
        let tok = Cl100k::new();
        let t = "Hello world, 日本語 👩‍👩‍👧!";
        let spans = tok.token_spans(t).unwrap();
        assert_eq!(spans.first().unwrap().start, 0);
        assert_eq!(spans.last().unwrap().end, t.len());
        assert!(spans.windows(2).all(|w| w[0].end == w[1].start));
        assert_eq!(tok.count(t).unwrap(), spans.len());
        // Known count: "Hello world" is two cl100k tokens.
        assert_eq!(tok.count("Hello world").unwrap(), 2);
    }
}
