//! The retrieval stack over an index directory: building one from chunks, and searching it with
//! BM25, dense or hybrid retrieval.

use crate::{rrf, weighted, Hit, Ranked, SourceScore};
use ragdiag_core::{EmbedError, Embedder, Progress};
use ragdiag_index::{BuildOptions, FlatIndex, HnswConfig, IndexDir};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::time::{Duration, Instant};

/// The chunk table's file name inside an index directory.
pub const CHUNKS_FILE: &str = "chunks.jsonl";

/// The smallest `ef` an HNSW search uses.
const MIN_EF: usize = 100;

/// Vectors embedded per call to the embedder while indexing (progress is reported after each).
const EMBED_SLICE: usize = 256;

/// Errors of the retrieval stack.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The index directory failed to build or load.
    #[error(transparent)]
    Index(#[from] ragdiag_index::Error),
    /// The embedder failed.
    #[error(transparent)]
    Embed(#[from] EmbedError),
    /// The request cannot be served by this index (e.g. dense search on an index without
    /// vectors, or a query embedder of another model).
    #[error("{0}")]
    Unsupported(String),
    /// A file of the index cache could not be opened or locked.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// What failed.
        #[source]
        source: std::io::Error,
    },
    /// The chunk table of an index directory is unreadable.
    #[error("{path}: {reason}")]
    Corrupt {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
}

/// The stack's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One chunk of the index: its document, position and code-point span, and the heading path
/// the chunker attached to it (context outside the span).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkEntry {
    /// The document id.
    pub doc: String,
    /// Position of the chunk within its document, from 0.
    pub index: u32,
    /// First code point of the span (inclusive).
    pub start: usize,
    /// Last code point of the span (exclusive).
    pub end: usize,
    /// Context the chunker attached (e.g. a Markdown heading path), indexed with the chunk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
}

/// A chunk to index: its table entry, its document's title and the span's text.
#[derive(Debug, Clone)]
pub struct ChunkInput<'a> {
    /// The table entry.
    pub entry: ChunkEntry,
    /// The document's title (may be empty).
    pub title: &'a str,
    /// The text of the span.
    pub text: &'a str,
}

impl ChunkInput<'_> {
    /// The text the embedder sees: title, context and span text, each non-empty part separated
    /// by a space (BEIR's convention for title + text).
    #[must_use]
    pub fn dense_text(&self) -> String {
        let mut out = String::with_capacity(self.title.len() + self.text.len() + 2);
        for part in [
            self.title,
            self.entry.context.as_deref().unwrap_or(""),
            self.text,
        ] {
            if part.is_empty() {
                continue;
            }
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(part);
        }
        out
    }

    /// The length in bytes of [`dense_text`](ChunkInput::dense_text), without making it.
    #[must_use]
    pub fn dense_len(&self) -> usize {
        let parts = [
            self.title,
            self.entry.context.as_deref().unwrap_or(""),
            self.text,
        ];
        let lens = parts.iter().map(|p| p.len()).filter(|&l| l > 0);
        let (count, sum) = lens.fold((0usize, 0usize), |(n, s), l| (n + 1, s + l));
        sum + count.saturating_sub(1)
    }

    /// The text BM25 indexes: title, context and span text in one field, as [`dense_text`]
    /// (Pyserini's "flat" indexing; on BEIR SciFact it scores nDCG@10 0.684 where separate title
    /// and text fields score 0.666).
    ///
    /// [`dense_text`]: ChunkInput::dense_text
    #[must_use]
    pub fn lexical_text(&self) -> String {
        self.dense_text()
    }
}

/// How [`build_index`] builds.
#[derive(Debug, Clone)]
pub struct IndexOptions {
    /// Build an HNSW graph as well as the exact vectors (default true).
    pub hnsw: bool,
    /// HNSW parameters (M = 16, ef_construction = 200, deterministic build).
    pub hnsw_config: HnswConfig,
    /// Recall@10 the HNSW `ef` is tuned to reach against exact search, on a sample of the
    /// chunks' own vectors used as queries (default 0.99).
    pub target_recall: f64,
    /// tantivy indexing threads (default 1).
    pub threads: usize,
    /// The caller's description of the index, stored in the manifest.
    pub meta: serde_json::Value,
}

impl Default for IndexOptions {
    fn default() -> Self {
        IndexOptions {
            hnsw: true,
            hnsw_config: HnswConfig::default(),
            target_recall: 0.99,
            threads: 1,
            meta: serde_json::Value::Null,
        }
    }
}

/// What [`build_index`] did.
#[derive(Debug, Clone)]
pub struct IndexReport {
    /// Chunks indexed.
    pub chunks: usize,
    /// Time spent embedding (including cache look-ups).
    pub embed_time: Duration,
    /// Time spent building the indexes and writing the directory.
    pub build_time: Duration,
    /// The HNSW `ef` chosen, when a graph was built.
    pub hnsw_ef: Option<usize>,
    /// Recall@10 of the graph at that `ef` against exact search on the tuning sample.
    pub hnsw_recall: Option<f64>,
    /// Time the graph took to build (tuning not counted), when a graph was built.
    pub hnsw_build_time: Option<Duration>,
    /// Threads it was built on.
    pub hnsw_threads: Option<usize>,
}

/// Builds an index directory at `out` from chunks: BM25 over title (+ context) and text, and,
/// with an embedder, the exact vectors and an HNSW graph. Keys are the chunks' positions in
/// `chunks`. Replaces an index directory already at `out`; an interrupted build leaves the old
/// one (or nothing), never a partial directory that opens.
///
/// # Errors
///
/// When embedding fails or the directory cannot be built ([`Error::Index`]).
pub fn build_index(
    out: &Path,
    chunks: &[ChunkInput<'_>],
    embedder: Option<&dyn Embedder>,
    options: &IndexOptions,
    progress: &dyn Progress,
) -> Result<IndexReport> {
    let started = Instant::now();
    let vectors = match embedder {
        Some(e) => Some(embed_chunks(chunks, e, progress)?),
        None => None,
    };
    let embed_time = started.elapsed();

    let started = Instant::now();
    let mut table = Vec::with_capacity(chunks.len() * 64);
    for c in chunks {
        serde_json::to_writer(&mut table, &c.entry).expect("a chunk entry serialises");
        table.push(b'\n');
    }
    let mut build = BuildOptions::default()
        .threads(options.threads)
        .meta(options.meta.clone())
        .file(CHUNKS_FILE, table);
    if let (Some(flat), true) = (&vectors, options.hnsw) {
        build = build.hnsw(options.hnsw_config);
        // Tune `ef` on up to 500 of the chunks' own vectors, evenly spaced.
        let step = (flat.len() / 500).max(1);
        let sample: Vec<Vec<f32>> = (0..flat.len())
            .step_by(step)
            .filter_map(|i| flat.row(i).map(<[f32]>::to_vec))
            .take(500)
            .collect();
        if !sample.is_empty() {
            build = build.tune_ef(sample, 10, options.target_recall);
        }
    }
    progress.start("indexing", 0);
    // Each text is made as tantivy takes it, never all at once.
    let items = chunks
        .iter()
        .enumerate()
        .map(|(i, c)| (key(i), "", c.lexical_text()));
    let manifest = IndexDir::write(out, items, vectors.as_ref(), &build);
    progress.finish();
    let manifest = manifest?;
    let hnsw = manifest.hnsw.as_ref();
    Ok(IndexReport {
        chunks: chunks.len(),
        embed_time,
        build_time: started.elapsed(),
        hnsw_ef: hnsw.map(|h| h.ef_search),
        hnsw_recall: hnsw.and_then(|h| h.tuning.as_ref().map(|t| t.recall)),
        hnsw_build_time: hnsw
            .and_then(|h| h.build_seconds)
            .map(Duration::from_secs_f64),
        hnsw_threads: hnsw.and_then(|h| h.build_threads),
    })
}

fn key(i: usize) -> u32 {
    u32::try_from(i).expect("fewer than 2^32 chunks")
}

/// Embeds every chunk's dense text, longest first in slices so that each batch holds texts of
/// similar length, reporting progress after each slice.
fn embed_chunks(
    chunks: &[ChunkInput<'_>],
    embedder: &dyn Embedder,
    progress: &dyn Progress,
) -> Result<FlatIndex> {
    // The lengths only: each slice's texts are made when it is embedded, so that the texts
    // of the whole corpus are never held beside it.
    let mut order: Vec<usize> = (0..chunks.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(chunks[i].dense_len()));
    let dim = embedder.dim();
    let mut data = vec![0.0f32; chunks.len() * dim];
    progress.start("embedding", chunks.len() as u64);
    for slice in order.chunks(EMBED_SLICE) {
        let texts: Vec<String> = slice.iter().map(|&i| chunks[i].dense_text()).collect();
        let batch: Vec<&str> = texts.iter().map(String::as_str).collect();
        let vectors = embedder.embed_documents(&batch)?;
        for (&i, v) in slice.iter().zip(vectors) {
            data[i * dim..(i + 1) * dim].copy_from_slice(&v);
        }
        progress.advance(slice.len() as u64);
    }
    progress.finish();
    let keys = (0..chunks.len()).map(key).collect();
    Ok(FlatIndex::from_parts(dim, keys, data)?)
}

/// Which retriever ranks the chunks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RetrieverKind {
    /// BM25 over the lexical index.
    Bm25,
    /// Cosine similarity of embeddings (exact or HNSW).
    Dense,
    /// BM25 and dense, fused.
    Hybrid,
}

impl fmt::Display for RetrieverKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RetrieverKind::Bm25 => "bm25",
            RetrieverKind::Dense => "dense",
            RetrieverKind::Hybrid => "hybrid",
        })
    }
}

impl FromStr for RetrieverKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "bm25" => Ok(RetrieverKind::Bm25),
            "dense" => Ok(RetrieverKind::Dense),
            "hybrid" => Ok(RetrieverKind::Hybrid),
            _ => Err(format!(
                "unknown retriever {s:?} (expected bm25, dense or hybrid)"
            )),
        }
    }
}

/// How hybrid retrieval fuses BM25 and dense.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "method")]
pub enum Fusion {
    /// Reciprocal rank fusion with constant `k` (60 by default).
    Rrf {
        /// The RRF constant.
        k: f64,
    },
    /// Min-max normalised scores, weighted and summed.
    Weighted {
        /// Weight of BM25.
        bm25: f64,
        /// Weight of dense.
        dense: f64,
    },
}

impl Default for Fusion {
    fn default() -> Self {
        Fusion::Rrf { k: 60.0 }
    }
}

/// How [`Searcher::search`] searches.
#[derive(Debug, Clone, Copy)]
pub struct SearchOptions {
    /// The retriever.
    pub retriever: RetrieverKind,
    /// Chunks to return per query.
    pub k: usize,
    /// Exact vector search instead of HNSW.
    pub exact: bool,
    /// Hybrid fusion method.
    pub fusion: Fusion,
    /// Depth of each retriever's list before fusion (at least `k`; default 100).
    pub fusion_depth: usize,
    /// Measure HNSW recall@`k` against exact search on every query (when HNSW is used).
    pub measure_ann_recall: bool,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions {
            retriever: RetrieverKind::Hybrid,
            k: 100,
            exact: false,
            fusion: Fusion::default(),
            fusion_depth: 100,
            measure_ann_recall: true,
        }
    }
}

/// The results of [`Searcher::search`].
#[derive(Debug, Clone)]
pub struct SearchOutput {
    /// Per query, the fused chunk hits, best first (keys index [`Searcher::chunks`]).
    pub hits: Vec<Vec<Hit>>,
    /// HNSW recall@`k` against exact search, averaged over queries, when HNSW was used.
    pub ann_recall: Option<f64>,
    /// The `ef` HNSW was searched with.
    pub ann_ef: Option<usize>,
    /// Time spent embedding queries.
    pub embed_time: Duration,
    /// Time spent searching (retrieval and fusion, not embedding).
    pub search_time: Duration,
}

/// An opened index directory with its chunk table, ready to search.
#[derive(Debug)]
pub struct Searcher {
    dir: IndexDir,
    chunks: Vec<ChunkEntry>,
    /// Per chunk, the ordinal of its document in `doc_names`.
    doc_of: Vec<u32>,
    doc_names: Vec<String>,
}

impl Searcher {
    /// Opens and validates the index directory at `path`.
    ///
    /// # Errors
    ///
    /// [`Error::Index`] for a missing, partial or altered directory; [`Error::Corrupt`] for an
    /// unreadable chunk table.
    pub fn open(path: &Path) -> Result<Self> {
        let dir = IndexDir::open(path)?;
        let bytes = dir.read_file(CHUNKS_FILE)?;
        let shown = path.join(CHUNKS_FILE).display().to_string();
        let mut chunks = Vec::new();
        for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
            if line.is_empty() {
                continue;
            }
            let entry: ChunkEntry = serde_json::from_slice(line).map_err(|e| Error::Corrupt {
                path: format!("{shown}:{}", i + 1),
                reason: e.to_string(),
            })?;
            chunks.push(entry);
        }
        if chunks.len() != dir.lexical().len() {
            return Err(Error::Corrupt {
                path: shown,
                reason: format!(
                    "lists {} chunks, the index holds {}",
                    chunks.len(),
                    dir.lexical().len()
                ),
            });
        }
        let mut ordinal: rustc_hash::FxHashMap<String, u32> = Default::default();
        let mut doc_names = Vec::new();
        let doc_of = chunks
            .iter()
            .map(|c| {
                *ordinal.entry(c.doc.clone()).or_insert_with(|| {
                    doc_names.push(c.doc.clone());
                    key(doc_names.len() - 1)
                })
            })
            .collect();
        Ok(Searcher {
            dir,
            chunks,
            doc_of,
            doc_names,
        })
    }

    /// Rolls chunk hits (best first) up to at most `k` documents, each scored by its best
    /// chunk: `(document id, score)` best first.
    #[must_use]
    pub fn rollup_docs(&self, hits: &[Hit], k: usize) -> Vec<(String, f64)> {
        crate::rollup(hits, |key| self.doc_of[key as usize])
            .into_iter()
            .take(k)
            .map(|d| (self.doc_names[d.doc as usize].clone(), d.score))
            .collect()
    }

    /// The most chunks any one document has in the index (0 for an empty index).
    #[must_use]
    pub fn max_chunks_per_doc(&self) -> usize {
        let mut counts = vec![0usize; self.doc_names.len()];
        for &d in &self.doc_of {
            counts[d as usize] += 1;
        }
        counts.into_iter().max().unwrap_or(0)
    }

    /// The index directory.
    #[must_use]
    pub fn dir(&self) -> &IndexDir {
        &self.dir
    }

    /// The chunk table; a hit's key is a position in it.
    #[must_use]
    pub fn chunks(&self) -> &[ChunkEntry] {
        &self.chunks
    }

    /// The caller's description stored at build time.
    #[must_use]
    pub fn meta(&self) -> &serde_json::Value {
        self.dir.meta()
    }

    /// Searches every query (in parallel) and returns each one's top `options.k` chunks.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] for dense or hybrid retrieval without vectors or without an
    /// embedder, or an embedder whose dimension differs from the index's; [`Error::Embed`] when
    /// embedding the queries fails.
    pub fn search(
        &self,
        queries: &[&str],
        options: &SearchOptions,
        embedder: Option<&dyn Embedder>,
        progress: &dyn Progress,
    ) -> Result<SearchOutput> {
        let k = options.k.max(1);
        let dense = options.retriever != RetrieverKind::Bm25;
        let started = Instant::now();
        let query_vectors = if dense {
            let Some(flat) = self.dir.vectors() else {
                return Err(Error::Unsupported(format!(
                    "{}: the index has no vectors (it was built without an embedding model), so \
                     only --retriever bm25 can search it",
                    self.dir.path().display()
                )));
            };
            let Some(embedder) = embedder else {
                return Err(Error::Unsupported(
                    "dense retrieval needs the embedding model the index was built with".into(),
                ));
            };
            if embedder.dim() != flat.dim() {
                return Err(Error::Unsupported(format!(
                    "the query embedder ({}) gives {} dimensions, the index holds {}",
                    embedder.model_id(),
                    embedder.dim(),
                    flat.dim()
                )));
            }
            progress.start("embedding queries", queries.len() as u64);
            let v = embedder.embed_queries(queries)?;
            progress.advance(queries.len() as u64);
            progress.finish();
            Some(v)
        } else {
            None
        };
        let embed_time = started.elapsed();

        let started = Instant::now();
        let depth = match options.retriever {
            RetrieverKind::Hybrid => options.fusion_depth.max(k),
            _ => k,
        };
        let use_hnsw = dense && !options.exact && self.dir.hnsw().is_some();
        // The tuned `ef` comes from the chunks' own vectors, easier queries than real ones: never
        // search with less than 100 (hnswlib's usual setting) or twice the depth.
        let ef = self
            .dir
            .hnsw_ef()
            .map(|ef| ef.max(MIN_EF).max(depth.saturating_mul(2)));
        progress.start("searching", queries.len() as u64);
        let per_query: Vec<Result<(Vec<Hit>, Option<f64>)>> = queries
            .par_iter()
            .enumerate()
            .map(|(i, q)| {
                let lexical = if options.retriever == RetrieverKind::Dense {
                    None
                } else {
                    Some(to_ranked(&self.dir.lexical().search(q, depth)?))
                };
                let mut recall = None;
                let dense_list = match &query_vectors {
                    None => None,
                    Some(vs) => {
                        let flat = self.dir.vectors().expect("checked above");
                        let qv = &vs[i];
                        if use_hnsw {
                            let hnsw = self.dir.hnsw().expect("checked above");
                            let ann = hnsw.search(qv, depth, ef.unwrap_or(depth))?;
                            if options.measure_ann_recall {
                                let exact = flat.search(qv, depth)?;
                                recall = Some(overlap_at(&ann, &exact, k));
                            }
                            Some(to_ranked(&ann))
                        } else {
                            Some(to_ranked(&flat.search(qv, depth)?))
                        }
                    }
                };
                let hits = match (lexical, dense_list) {
                    (Some(l), None) => single("bm25", &l, k),
                    (None, Some(d)) => single("dense", &d, k),
                    (Some(l), Some(d)) => match options.fusion {
                        Fusion::Rrf { k: c } => rrf(&[("bm25", &l), ("dense", &d)], c, k),
                        Fusion::Weighted { bm25, dense } => {
                            weighted(&[("bm25", bm25, &l), ("dense", dense, &d)], k)
                        }
                    },
                    (None, None) => Vec::new(),
                };
                progress.advance(1);
                Ok((hits, recall))
            })
            .collect();
        progress.finish();
        let mut hits = Vec::with_capacity(queries.len());
        let mut recalls = Vec::new();
        for r in per_query {
            let (h, recall) = r?;
            hits.push(h);
            recalls.extend(recall);
        }
        let ann_recall =
            (!recalls.is_empty()).then(|| recalls.iter().sum::<f64>() / recalls.len() as f64);
        Ok(SearchOutput {
            hits,
            ann_recall,
            ann_ef: if use_hnsw { ef } else { None },
            embed_time,
            search_time: started.elapsed(),
        })
    }
}

fn to_ranked(list: &[(u32, f32)]) -> Vec<Ranked> {
    list.iter()
        .map(|&(key, s)| Ranked::new(key, f64::from(s)))
        .collect()
}

/// One retriever's list as hits: the fused score is the raw score.
fn single(name: &str, list: &[Ranked], k: usize) -> Vec<Hit> {
    list.iter()
        .take(k)
        .enumerate()
        .map(|(i, r)| Hit {
            key: r.key,
            score: r.score,
            rank: i + 1,
            sources: vec![SourceScore {
                retriever: name.to_owned(),
                rank: i + 1,
                raw: r.score,
            }],
        })
        .collect()
}

/// Share of exact's top `k` that `ann`'s top `k` holds (1 when exact is empty).
fn overlap_at(ann: &[(u32, f32)], exact: &[(u32, f32)], k: usize) -> f64 {
    let truth: Vec<u32> = exact.iter().take(k).map(|h| h.0).collect();
    if truth.is_empty() {
        return 1.0;
    }
    let found = ann.iter().take(k).filter(|h| truth.contains(&h.0)).count();
    found as f64 / truth.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use ragdiag_core::NoProgress;
    use ragdiag_embed::{CachedEmbedder, HashEmbedder};

    fn entry(doc: &str, index: u32, len: usize) -> ChunkEntry {
        ChunkEntry {
            doc: doc.into(),
            index,
            start: 0,
            end: len,
            context: None,
        }
    }

    const DOCS: [(&str, &str, &str); 4] = [
        (
            "refunds",
            "Refunds",
            "Refunds are paid back to the card within 14 days.",
        ),
        (
            "shipping",
            "Shipping",
            "Orders ship in two business days from our warehouse.",
        ),
        (
            "api",
            "API",
            "The API returns JSON with pagination cursors.",
        ),
        ("empty", "", ""),
    ];

    fn inputs() -> Vec<ChunkInput<'static>> {
        DOCS.iter()
            .map(|(id, title, text)| ChunkInput {
                entry: entry(id, 0, text.chars().count()),
                title,
                text,
            })
            .collect()
    }

    #[test]
    fn dense_text_joins_non_empty_parts() {
        let mut c = inputs().remove(0);
        assert_eq!(
            c.dense_text(),
            "Refunds Refunds are paid back to the card within 14 days."
        );
        c.entry.context = Some("Billing > Refunds".into());
        assert!(c
            .dense_text()
            .starts_with("Refunds Billing > Refunds Refunds are"));
        assert_eq!(c.lexical_text(), c.dense_text());
        assert_eq!(c.dense_len(), c.dense_text().len());
        for c in inputs() {
            assert_eq!(c.dense_len(), c.dense_text().len());
        }
        assert_eq!(inputs()[3].dense_text(), "");
    }

    #[test]
    fn build_search_and_reopen() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("idx");
        let embedder = HashEmbedder::new(64);
        let report = build_index(
            &out,
            &inputs(),
            Some(&embedder),
            &IndexOptions::default(),
            &NoProgress,
        )
        .unwrap();
        assert_eq!(report.chunks, 4);
        assert!(report.hnsw_ef.is_some());
        let s = Searcher::open(&out).unwrap();
        assert_eq!(s.chunks().len(), 4);
        assert_eq!(s.chunks()[1].doc, "shipping");

        let q = ["when do refunds get paid", "pagination cursors json"];
        for retriever in [
            RetrieverKind::Bm25,
            RetrieverKind::Dense,
            RetrieverKind::Hybrid,
        ] {
            let opts = SearchOptions {
                retriever,
                k: 3,
                ..SearchOptions::default()
            };
            let got = s.search(&q, &opts, Some(&embedder), &NoProgress).unwrap();
            assert_eq!(got.hits.len(), 2);
            assert!(got.hits.iter().all(|h| h.len() <= 3));
            if retriever != RetrieverKind::Dense {
                assert_eq!(got.hits[0][0].key, 0, "{retriever}");
                assert_eq!(got.hits[1][0].key, 2, "{retriever}");
            }
            if retriever == RetrieverKind::Hybrid {
                assert!(got.hits[0][0].sources.iter().any(|s| s.retriever == "bm25"));
            }
            if retriever == RetrieverKind::Bm25 {
                assert!(got.ann_recall.is_none());
            } else {
                assert_eq!(got.ann_recall, Some(1.0));
            }
            for hits in &got.hits {
                assert!(hits.windows(2).all(|w| w[0].score >= w[1].score));
                assert!(hits.iter().enumerate().all(|(i, h)| h.rank == i + 1));
            }
        }
        let exact = SearchOptions {
            retriever: RetrieverKind::Dense,
            exact: true,
            k: 4,
            ..SearchOptions::default()
        };
        let got = s.search(&q, &exact, Some(&embedder), &NoProgress).unwrap();
        assert!(got.ann_recall.is_none());
        assert_eq!(got.hits[0].len(), 4);
    }

    #[test]
    fn dense_needs_vectors_and_a_matching_embedder() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("idx");
        build_index(&out, &inputs(), None, &IndexOptions::default(), &NoProgress).unwrap();
        let s = Searcher::open(&out).unwrap();
        let e = HashEmbedder::new(8);
        let dense = SearchOptions {
            retriever: RetrieverKind::Dense,
            ..SearchOptions::default()
        };
        let err = s.search(&["x"], &dense, Some(&e), &NoProgress).unwrap_err();
        assert!(err.to_string().contains("only --retriever bm25"), "{err}");
        let bm25 = SearchOptions {
            retriever: RetrieverKind::Bm25,
            ..SearchOptions::default()
        };
        assert_eq!(
            s.search(&["refunds"], &bm25, None, &NoProgress)
                .unwrap()
                .hits[0]
                .len(),
            1
        );

        let out2 = tmp.path().join("idx2");
        build_index(
            &out2,
            &inputs(),
            Some(&HashEmbedder::new(16)),
            &IndexOptions::default(),
            &NoProgress,
        )
        .unwrap();
        let s2 = Searcher::open(&out2).unwrap();
        let err = s2
            .search(&["x"], &dense, Some(&e), &NoProgress)
            .unwrap_err();
        assert!(err.to_string().contains("dimensions"), "{err}");
    }

    #[test]
    fn a_warm_rebuild_embeds_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let cache = tmp.path().join("cache.parquet");
        for (round, expected) in [(0, 3), (1, 0)] {
            let e = CachedEmbedder::new(HashEmbedder::new(32), &cache);
            let out = tmp.path().join(format!("idx{round}"));
            build_index(
                &out,
                &inputs(),
                Some(&e),
                &IndexOptions::default(),
                &NoProgress,
            )
            .unwrap();
            // The empty document's text is embedded once too, on the cold run.
            assert_eq!(e.embedded_texts(), expected + usize::from(round == 0));
            e.flush().unwrap();
        }
    }

    #[test]
    fn altered_chunk_table_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("idx");
        build_index(&out, &inputs(), None, &IndexOptions::default(), &NoProgress).unwrap();
        let path = out.join(CHUNKS_FILE);
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[2] ^= 0x20;
        std::fs::write(&path, bytes).unwrap();
        let err = Searcher::open(&out).unwrap_err();
        assert!(err.to_string().contains("chunks.jsonl"), "{err}");
    }

    #[test]
    fn an_empty_index_searches_to_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("idx");
        let e = HashEmbedder::new(8);
        build_index(&out, &[], Some(&e), &IndexOptions::default(), &NoProgress).unwrap();
        let s = Searcher::open(&out).unwrap();
        let got = s
            .search(
                &["anything"],
                &SearchOptions::default(),
                Some(&e),
                &NoProgress,
            )
            .unwrap();
        assert!(got.hits[0].is_empty());
    }

    #[test]
    fn overlap_counts_shared_keys() {
        let a = [(1, 0.9), (2, 0.8), (3, 0.7)];
        let b = [(1, 0.9), (4, 0.85), (2, 0.8)];
        assert!((overlap_at(&a, &b, 3) - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(overlap_at(&a, &[], 3), 1.0);
    }

    #[test]
    fn retriever_names_round_trip() {
        for r in [
            RetrieverKind::Bm25,
            RetrieverKind::Dense,
            RetrieverKind::Hybrid,
        ] {
            assert_eq!(r.to_string().parse::<RetrieverKind>().unwrap(), r);
        }
        assert!("splade".parse::<RetrieverKind>().is_err());
        let _ = entry("x", 0, 0);
    }
}
