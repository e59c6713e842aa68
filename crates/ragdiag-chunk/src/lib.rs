//! Chunkers for ragdiag: documents in, chunks with exact code-point offsets out.
//!
//! A [`ChunkerSpec`] names a strategy and its sizes in tokens (DESIGN.md's `doc`,
//! `tokens:SIZE/OVERLAP`, `recursive:SIZE/OVERLAP`, `sentence:SIZE`, `markdown:SIZE`,
//! `semantic:SIZE`, with `@cl100k` to count OpenAI cl100k tokens instead of the embedding
//! model's). A [`Chunker`] applies it with a [`Tokenizer`]: [`ModelTokenizer`] (the model's
//! `tokenizer.json`), [`Cl100k`] (built in, offline) or [`WhitespaceTokenizer`] (tests).
//! Every [`ChunkOut`] holds a [`ragdiag_core::Chunk`] whose `start..end` are code points of
//! the document's text (Python `str` indexes), so `chunk.slice(text)` is its exact text, and
//! no boundary falls inside a grapheme cluster. See [`Chunker`] for the invariants.
//!
//! `recursive:` reproduces LangChain's `RecursiveCharacterTextSplitter` as Chroma's chunking
//! study ran it, so chunk sets match theirs (with offsets, which Chroma recovers by searching).
//!
//! ```
//! use std::sync::Arc;
//! use ragdiag_chunk::{Chunker, ChunkerSpec, WhitespaceTokenizer};
//!
//! let spec: ChunkerSpec = "recursive:8/0".parse()?;
//! let chunker = Chunker::new(spec, Arc::new(WhitespaceTokenizer));
//! let text = "Refunds take 14 days.\n\nInvoices are sent monthly. Taxes are included in every price.";
//! let chunks = chunker.chunk("billing", text, None)?;
//! let texts: Vec<&str> = chunks.iter().map(|c| c.chunk.slice(text)).collect();
//! assert_eq!(
//!     texts,
//!     // LangChain keeps a separator at the start of the piece that follows it.
//!     ["Refunds take 14 days.", "Invoices are sent monthly", ". Taxes are included in every price."]
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod chunker;
mod error;
mod markdown;
mod recursive;
mod semantic;
mod spec;
mod text;
mod tokenizer;

pub use chunker::{ChunkOut, Chunker, CHUNKER_VERSION, SEMANTIC_PIECE_TOKENS};
pub use error::{Error, Result};
pub use spec::{ChunkerSpec, Strategy, TokenizerChoice};
pub use tokenizer::{Cl100k, ModelTokenizer, Tokenizer, WhitespaceTokenizer};
