//! Chunker specs (`doc`, `tokens:250/125`, `recursive:400/0@cl100k`, …): parsing, the
//! canonical form used as a cache key, and serde as a string.

use crate::Error;
use std::fmt;
use std::str::FromStr;

/// How a chunker cuts a document. Sizes count tokens (see [`TokenizerChoice`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Strategy {
    /// `doc`: the whole document is one chunk; an empty document gives none.
    Doc,
    /// `tokens:SIZE/OVERLAP`: windows of `size` tokens stepping `size - overlap` tokens, as
    /// LangChain's `TokenTextSplitter`.
    Tokens {
        /// Tokens a window.
        size: usize,
        /// Tokens shared by consecutive windows (`< size`).
        overlap: usize,
    },
    /// `recursive:SIZE/OVERLAP`: LangChain's `RecursiveCharacterTextSplitter` as Chroma's study
    /// ran it (separators `\n\n`, `\n`, `.`, `?`, `!`, space, then single characters; separator
    /// kept at the start of the next piece; chunks stripped of whitespace).
    Recursive {
        /// Most tokens a chunk (pieces that cannot be split further may exceed it).
        size: usize,
        /// Tokens carried over between consecutive chunks (`< size`).
        overlap: usize,
    },
    /// `sentence:SIZE`: sentences packed greedily up to `size` tokens; a longer sentence is cut
    /// into token windows.
    Sentence {
        /// Most tokens a chunk.
        size: usize,
    },
    /// `markdown:SIZE`: one chunk a heading section (heading path as context); sections over
    /// `size` tokens are split recursively.
    Markdown {
        /// Most tokens a chunk.
        size: usize,
    },
    /// `semantic:SIZE`: small pieces grouped by embedding similarity into chunks of at most
    /// `size` tokens (Chroma's cluster semantic chunker).
    Semantic {
        /// Most tokens a chunk.
        size: usize,
    },
}

/// Whose tokens a spec's sizes count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TokenizerChoice {
    /// The embedding model's tokenizer (no suffix).
    #[default]
    Model,
    /// OpenAI's `cl100k_base` (suffix `@cl100k`).
    Cl100k,
}

/// A parsed chunker spec: a [`Strategy`] and a [`TokenizerChoice`].
///
/// [`FromStr`] accepts DESIGN.md's forms (`doc`, `tokens:SIZE/OVERLAP`,
/// `recursive:SIZE/OVERLAP`, `sentence:SIZE`, `markdown:SIZE`, `semantic:SIZE`, each with an
/// optional `@cl100k`); an omitted `/OVERLAP` means 0. [`Display`](fmt::Display) writes the
/// canonical form (`tokens:250/0`, `sentence:200@cl100k`), which serde uses too and which keys
/// caches: two specs are equal exactly when their canonical strings are.
///
/// ```
/// use ragdiag_chunk::{ChunkerSpec, Strategy, TokenizerChoice};
/// let spec: ChunkerSpec = "tokens:250/125@cl100k".parse()?;
/// assert_eq!(spec.strategy, Strategy::Tokens { size: 250, overlap: 125 });
/// assert_eq!(spec.tokenizer, TokenizerChoice::Cl100k);
/// assert_eq!(spec.to_string(), "tokens:250/125@cl100k");
/// let err = "tokens:250/300".parse::<ChunkerSpec>().unwrap_err();
/// assert_eq!(err.to_string(), "tokens:250/300: overlap must be smaller than size");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChunkerSpec {
    /// How documents are cut.
    pub strategy: Strategy,
    /// Whose tokens the sizes count.
    pub tokenizer: TokenizerChoice,
}

impl FromStr for ChunkerSpec {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let err = |reason: &str| Error::Spec {
            spec: s.to_owned(),
            reason: reason.to_owned(),
        };
        let (body, tokenizer) = match s.split_once('@') {
            None => (s, TokenizerChoice::Model),
            Some((body, "cl100k")) => (body, TokenizerChoice::Cl100k),
            Some(_) => return Err(err("unknown tokenizer (the only suffix is @cl100k)")),
        };
        let (name, args) = match body.split_once(':') {
            Some((n, a)) => (n, Some(a)),
            None => (body, None),
        };
        let number = |t: &str, what: &str| -> Result<usize, Error> {
            if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err(&format!("{what} must be a whole number, got {t:?}")));
            }
            t.parse::<usize>()
                .map_err(|_| err(&format!("{what} is too large")))
        };
        let size_only = |args: Option<&str>| -> Result<usize, Error> {
            let a = args.ok_or_else(|| err(&format!("expected {name}:SIZE")))?;
            let size = number(a, "size")?;
            if size == 0 {
                return Err(err("size must be at least 1"));
            }
            Ok(size)
        };
        let size_overlap = |args: Option<&str>| -> Result<(usize, usize), Error> {
            let a = args.ok_or_else(|| err(&format!("expected {name}:SIZE/OVERLAP")))?;
            let (size, overlap) = match a.split_once('/') {
                Some((s, o)) => (number(s, "size")?, number(o, "overlap")?),
                None => (number(a, "size")?, 0),
            };
            if size == 0 {
                return Err(err("size must be at least 1"));
            }
            if overlap >= size {
                return Err(err("overlap must be smaller than size"));
            }
            Ok((size, overlap))
        };
        let strategy = match name {
            "doc" => {
                if args.is_some() {
                    return Err(err("doc takes no size"));
                }
                Strategy::Doc
            }
            "tokens" => {
                let (size, overlap) = size_overlap(args)?;
                Strategy::Tokens { size, overlap }
            }
            "recursive" => {
                let (size, overlap) = size_overlap(args)?;
                Strategy::Recursive { size, overlap }
            }
            "sentence" => Strategy::Sentence {
                size: size_only(args)?,
            },
            "markdown" => Strategy::Markdown {
                size: size_only(args)?,
            },
            "semantic" => Strategy::Semantic {
                size: size_only(args)?,
            },
            _ => return Err(err(
                "unknown chunker (expected doc, tokens, recursive, sentence, markdown or semantic)",
            )),
        };
        Ok(ChunkerSpec {
            strategy,
            tokenizer,
        })
    }
}

impl fmt::Display for ChunkerSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.strategy {
            Strategy::Doc => f.write_str("doc")?,
            Strategy::Tokens { size, overlap } => write!(f, "tokens:{size}/{overlap}")?,
            Strategy::Recursive { size, overlap } => write!(f, "recursive:{size}/{overlap}")?,
            Strategy::Sentence { size } => write!(f, "sentence:{size}")?,
            Strategy::Markdown { size } => write!(f, "markdown:{size}")?,
            Strategy::Semantic { size } => write!(f, "semantic:{size}")?,
        }
        match self.tokenizer {
            TokenizerChoice::Model => Ok(()),
            TokenizerChoice::Cl100k => f.write_str("@cl100k"),
        }
    }
}

impl serde::Serialize for ChunkerSpec {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for ChunkerSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<ChunkerSpec, String> {
        s.parse::<ChunkerSpec>().map_err(|e| e.to_string())
    }

    #[test]
    fn canonical_round_trip() {
        for (input, canonical) in [
            ("doc", "doc"),
            ("doc@cl100k", "doc@cl100k"),
            ("tokens:250/125@cl100k", "tokens:250/125@cl100k"),
            ("tokens:250", "tokens:250/0"),
            ("recursive:400/0", "recursive:400/0"),
            ("sentence:200", "sentence:200"),
            ("markdown:512@cl100k", "markdown:512@cl100k"),
            ("semantic:400", "semantic:400"),
        ] {
            let spec = parse(input).unwrap();
            assert_eq!(spec.to_string(), canonical);
            assert_eq!(parse(canonical).unwrap(), spec);
            let json = serde_json::to_string(&spec).unwrap();
            assert_eq!(json, format!("\"{canonical}\""));
            assert_eq!(serde_json::from_str::<ChunkerSpec>(&json).unwrap(), spec);
        }
    }

    #[test]
    fn bad_specs_say_why() {
        for (input, message) in [
            ("tokens:250/300", "tokens:250/300: overlap must be smaller than size"),
            ("tokens:250/250", "tokens:250/250: overlap must be smaller than size"),
            ("tokens:0/0", "tokens:0/0: size must be at least 1"),
            ("tokens", "tokens: expected tokens:SIZE/OVERLAP"),
            ("sentence:-3", "sentence:-3: size must be a whole number, got \"-3\""),
            ("sentence:20/5", "sentence:20/5: size must be a whole number, got \"20/5\""),
            ("doc:5", "doc:5: doc takes no size"),
            ("tokens:10/2@gpt2", "tokens:10/2@gpt2: unknown tokenizer (the only suffix is @cl100k)"),
            ("fixed:10", "fixed:10: unknown chunker (expected doc, tokens, recursive, sentence, markdown or semantic)"),
            ("sentence:99999999999999999999999", "sentence:99999999999999999999999: size is too large"),
        ] {
            assert_eq!(parse(input).unwrap_err(), message, "{input}");
        }
        assert!(serde_json::from_str::<ChunkerSpec>("\"tokens:1/1\"").is_err());
    }
}
