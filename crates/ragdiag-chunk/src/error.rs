//! The chunkers' error type.

use std::path::PathBuf;

/// A result with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a chunker could not be built or could not chunk a document.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A chunker spec that does not parse or makes no sense (a user error).
    #[error("{spec}: {reason}")]
    Spec {
        /// The spec as given.
        spec: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A tokenizer file that cannot be loaded.
    #[error("{}: cannot load tokenizer", path.display())]
    LoadTokenizer {
        /// The `tokenizer.json` that failed.
        path: PathBuf,
        /// The cause.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The tokenizer failed on a text.
    #[error("tokenizer {tokenizer} failed")]
    Tokenize {
        /// The tokenizer's name.
        tokenizer: String,
        /// The cause.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The spec counts tokens of the embedding model's tokenizer, and none was given.
    #[error(
        "{spec}: needs the embedding model's tokenizer (or add @cl100k to count cl100k tokens)"
    )]
    NoModelTokenizer {
        /// The canonical spec.
        spec: String,
    },
    /// A `semantic:` chunker was run without an embedder.
    #[error("{spec}: the semantic chunker needs an embedder")]
    NoEmbedder {
        /// The canonical spec.
        spec: String,
    },
    /// The embedder failed while chunking a document.
    #[error("embedding the pieces of document {doc_id} failed")]
    Embed {
        /// The document being chunked.
        doc_id: String,
        /// The cause.
        #[source]
        source: ragdiag_core::EmbedError,
    },
    /// The embedder broke its contract (one vector a text).
    #[error("embedding the pieces of document {doc_id}: {vectors} vectors for {texts} texts")]
    EmbedCount {
        /// The document being chunked.
        doc_id: String,
        /// Texts sent.
        texts: usize,
        /// Vectors received.
        vectors: usize,
    },
}
