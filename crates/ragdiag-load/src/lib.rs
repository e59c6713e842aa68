//! Loaders for everything ragdiag reads: corpora, queries, qrels and runs.
//!
//! Every loader follows DESIGN.md's rule for bad input: a malformed record (unparseable line,
//! missing required field, wrong type) stops the load with a [`LoadError`] whose message is
//! `path:line: field: reason`; with [`LoadOptions::skip_invalid`] such records are skipped and
//! listed in the returned [`Diagnostics`] instead. Problems of meaning (an unparseable optional
//! date, a duplicate id) are warnings in the same list and never stop the load. No input panics.
//!
//! | format | detected by | function |
//! |---|---|---|
//! | ragdiag JSONL corpus / BEIR `corpus.jsonl` | `.jsonl`/`.json`, `id` or `_id` | [`load_corpus`] |
//! | folder of Markdown / text / HTML with YAML front matter | a directory | [`load_corpus`] |
//! | Parquet with the JSONL columns | `.parquet` | [`load_corpus`] |
//! | ragdiag JSONL queries / BEIR `queries.jsonl` | any file | [`load_queries`] |
//! | TREC qrels (`qid iter docno rel`) / BEIR qrels TSV (header, CRLF) | column count | [`load_qrels`] |
//! | TREC run (`qid Q0 docno rank score tag`) / JSON run (`{qid: {doc: score}}`) | first byte | [`load_run`] |
//! | trace JSONL (`query_id`, `retrieved`, `answer`, …) | — | [`load_trace`] |
//! | any trace: ragdiag, OpenInference spans, OTLP JSON, RAGAS, RAGChecker | content | [`load_trace_as`] |
//!
//! ```no_run
//! use ragdiag_load::{load_corpus, LoadOptions};
//! let corpus = load_corpus("corpora/tallyfox".as_ref(), &LoadOptions::default())?;
//! println!("{} documents, {} warnings", corpus.items.len(), corpus.diagnostics.len());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod check;
mod chroma;
mod corpus;
mod corpus_lines;
mod document;
mod error;
mod frontmatter;
mod html;
mod labels;
mod limits;
mod lines;
mod parquet_corpus;
mod qrels;
mod queries;
mod record;
mod run;
mod run_visit;
mod table;
mod trace;
mod trace_datasets;
mod trace_format;
mod trace_spans;

pub use check::{cross_check, Inputs};
pub use chroma::{load_chroma, ChromaDataset};
pub use corpus::{documents_from_records, load_corpus, CorpusFormat};
pub use corpus_lines::{load_jsonl_corpus_lines, CorpusLines};
pub use error::{LoadError, Result};
pub use html::html_visible_text;
pub use labels::{load_labels, LABEL_FIELDS};
pub use limits::{
    max_record_bytes, max_record_values, max_results_per_query, parse_size, set_flags, LimitFlags,
    DEFAULT_MAX_RECORD_BYTES, DEFAULT_MAX_RECORD_VALUES, DEFAULT_MAX_RESULTS_PER_QUERY,
    MAX_RECORD_BYTES_ENV, MAX_RECORD_BYTES_FLAG, MAX_RECORD_VALUES_ENV, MAX_RECORD_VALUES_FLAG,
    MAX_RESULTS_PER_QUERY_ENV, MAX_RESULTS_PER_QUERY_FLAG,
};
pub use parquet_corpus::corpus_parquet_bytes;
pub use qrels::{load_qrels, parse_qrels, QrelsFormat};
pub use queries::{load_beir_queries_with_qrels, load_queries, repeated_query_id, visit_queries};
pub use run::{
    load_run, parse_run, parse_run_in_chunks, CompactRun, QueryEntries, RunEntry, RunFormat,
};
pub use run_visit::{visit_run, visit_run_bytes, EntryProblem, RunDoc, VisitedRun};
pub use table::{
    parquet_bytes, read_table, table_bytes, TableError, TableWriter, SCHEMA_VERSION_KEY,
};
pub use trace::{load_trace, stream_trace, TraceBatch};
pub use trace_format::{
    detect_trace_format, load_trace_as, TraceFile, TraceFormat, TraceOptions, SHINGLE_CONTAINMENT,
    UNLOCATED_DOC,
};

use ragdiag_core::Diagnostics;

/// How strict a load is.
#[derive(Debug, Clone, Copy, Default)]
pub struct LoadOptions {
    /// Skip malformed records (listing each one) instead of stopping at the first.
    pub skip_invalid: bool,
}

/// What a loader returns: the items and every finding (warnings, and skipped records).
#[derive(Debug, Clone, Default)]
pub struct Loaded<T> {
    /// The loaded items.
    pub items: T,
    /// Warnings, and with `skip_invalid` the skipped records' errors.
    pub diagnostics: Diagnostics,
}
