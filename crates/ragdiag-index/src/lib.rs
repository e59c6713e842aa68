//! ragdiag's indexes: BM25 over tantivy, exact and HNSW vector search, and an index directory
//! that is either complete and valid or refused.
//!
//! This crate knows nothing of file formats or models. It indexes items identified by a `u32`
//! key (the caller maps keys to chunk or document ids) that have a title, a text and,
//! optionally, an L2-normalised `f32` vector.
//!
//! - [`LexicalIndex`]: BM25 (k1 = 1.2, b = 0.75) over the title and text fields with the
//!   `en_bm25` [`analyzer`] (simple tokenizer, long-token removal, lower-casing, English stop
//!   words, Snowball stemming). Any query string is accepted: it is analyzed, not parsed.
//! - [`FlatIndex`]: exact search by dot product, the ground truth; [`HnswIndex`]: HNSW
//!   (this crate's own, on flat arrays) with M = 16, ef_construction = 200 and a
//!   deterministic (single-threaded, key-ordered) build by default; [`tune_ef`] picks the search `ef` that reaches a recall target, measured
//!   with [`recall_at_k`].
//! - [`IndexDir`]: all of the above in one directory with a [`Manifest`] (sizes, CRC-32s,
//!   counts, the caller's `meta`) written last; [`IndexDir::open`] returns
//!   [`Error::Corrupt`] rather than loading a damaged or partial directory.
//!
//! Every ranking is sorted by score descending, then key ascending, and the same inputs give
//! the same results on every run.
//!
//! ```
//! use ragdiag_index::{BuildOptions, FlatIndex, HnswConfig, IndexDir};
//!
//! let dir = tempfile::tempdir()?;
//! let docs = [
//!     (0, "Refund policy", "Refunds are issued within 14 days of purchase."),
//!     (1, "Shipping", "Orders ship in two business days."),
//! ];
//! let vectors = FlatIndex::from_rows(2, [(0, [1.0, 0.0]), (1, [0.0, 1.0])])?;
//! let options = BuildOptions::default()
//!     .hnsw(HnswConfig::default())
//!     .meta(serde_json::json!({"corpus": "demo"}));
//! let built = IndexDir::build_into(&dir.path().join("idx"), docs, Some(&vectors), &options)?;
//! drop(built);
//!
//! let index = IndexDir::open(&dir.path().join("idx"))?;
//! let hits = index.lexical().search("How do I get a refund?", 10)?;
//! assert_eq!(hits[0].0, 0);
//! let exact = index.vectors().unwrap().search(&[0.6, 0.8], 1)?;
//! assert_eq!(exact[0].0, 1);
//! let ann = index.hnsw().unwrap().search(&[0.6, 0.8], 1, index.hnsw_ef().unwrap())?;
//! assert_eq!(ann[0].0, exact[0].0);
//! assert_eq!(index.meta()["corpus"], "demo");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod analysis;
mod dir;
mod error;
mod graph;
mod graphfile;
mod hnsw;
mod kernel;
mod lexical;
#[cfg(test)]
mod testutil;
mod topk;
mod vecfile;
mod vector;

pub use analysis::{analyze, analyzer, ANALYZER_NAME};
pub use dir::{
    BuildOptions, FileEntry, HnswInfo, IndexDir, Manifest, OpenOptions, VectorsInfo, MANIFEST_FILE,
    SCHEMA_VERSION,
};
pub use error::Error;
pub use hnsw::{tune_ef, EfTuning, HnswConfig, HnswIndex};
pub use lexical::LexicalIndex;
pub use vector::{dot, l2_normalize, recall_at_k, FlatIndex};

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
