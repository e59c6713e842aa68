//! The data model of ragdiag, shared by every other crate.
//!
//! Everything a diagnosis talks about lives here: [`Document`]s with their freshness fields,
//! [`Chunk`]s with code-point offsets into their document, [`Query`]s with graded relevance,
//! evidence and reference answers, [`Qrels`] and [`Run`]s as TREC understands them, and the
//! [`Diagnostic`] type that carries the `path:line: field: reason` findings of DESIGN.md.
//!
//! It also holds the interfaces the other crates meet at: the [`Embedder`] trait with its
//! [`EmbedError`] (implemented on ONNX Runtime in `ragdiag-embed`) and [`cosine`], and the
//! [`Progress`] trait long stages report to. A crate that only consumes vectors therefore links
//! no model runtime.
//!
//! And it holds the one definition of a near-duplicate text: [`word_shingles`] (word 3-shingles,
//! hashed with [`stable_hash`]) compared by [`jaccard_sorted`]; and the string helpers every
//! report writer shares: the Markdown escapes [`md_escape`], [`md_code`] and [`md_prose`], and
//! [`pct`].
//!
//! This crate does no I/O and depends on no index, model or file format; loaders live in
//! `ragdiag-load`, metrics in `ragdiag-eval`.
//!
//! ```
//! use ragdiag_core::{Chunk, Timestamp};
//!
//! let text = "héllo wörld";
//! let chunk = Chunk::new("doc-1", 0, 6, 11);
//! assert_eq!(chunk.slice(text), "wörld");
//! assert!(Timestamp::parse("2026-03-01").is_some());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod diag;
mod doc_id;
mod embed;
mod guard;
mod label;
mod model;
mod packed;
mod progress;
mod render;
mod shingle;
mod text;
mod time;

pub use diag::{
    traced_twice, Collapsed, Diagnostic, Diagnostics, Location, Severity, KEPT_PER_KIND,
};
pub use doc_id::DocId;
pub use embed::{cosine, EmbedError, Embedder};
pub use guard::catch_decoder_panic;
pub use label::Label;
pub use model::{
    Chunk, Document, Evidence, Judgment, Qrels, Query, QueryJudgments, Run, ScoredDoc, TraceHit,
    TraceRecord,
};
pub use packed::{Narrow, Strs};
pub use progress::{NoProgress, Progress};
pub use render::{group_thousands, hex, md_code, md_escape, md_prose, pct, prose_parts, ProsePart};
pub use shingle::{jaccard_sorted, stable_hash, word_shingles, words};
pub use text::{byte_to_char_offsets, char_len, char_span_to_bytes, find_quote, QuoteMatch};
pub use time::Timestamp;
