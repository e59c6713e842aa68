//! What the replaying commands (`index`, `search`, `diagnose`, `chunking`, `freshness
//! --index`) share: chunking a corpus by spec into index inputs, the cache of indexes keyed by
//! what they are built from, and document rankings from chunk hits.

use crate::{ChunkEntry, ChunkInput, Hit, Searcher};
use ragdiag_chunk::{Chunker, ChunkerSpec, ModelTokenizer, Strategy, TokenizerChoice};
use ragdiag_core::Document;
use ragdiag_diagnose::{RetrievedItem, RetrieverRanks};
use ragdiag_embed::{ensure_model, Cached, Embedder, ModelChoice};
use ragdiag_eval::{sort_trec, DocRanking};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Why a corpus could not be chunked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChunkError {
    /// The chunker spec is not understood.
    #[error("--chunker")]
    Spec(#[source] ragdiag_chunk::Error),
    /// Semantic chunking was asked for without an embedding model.
    #[error("--chunker {0}: semantic chunking needs an embedding model (not --model none)")]
    SemanticNeedsModel(String),
    /// The model's tokenizer could not be had.
    #[error("the model's tokenizer is not available")]
    Tokenizer(#[source] ragdiag_embed::Error),
    /// The tokenizer file does not load.
    #[error("cannot load {path}")]
    TokenizerFile {
        /// The file.
        path: String,
        /// The cause.
        #[source]
        source: ragdiag_chunk::Error,
    },
    /// The chunker failed.
    #[error(transparent)]
    Chunk(#[from] ragdiag_chunk::Error),
    /// The chunker returned a chunk that does not fit its document (a bug).
    #[error("{0}")]
    Inconsistent(String),
}

/// Chunks of a corpus, ready to index, by the chunker spec of DESIGN.md (`doc`,
/// `tokens:250/125`, `recursive:400/0`, `sentence:300`, `markdown:500`, `semantic:200`, with
/// `@cl100k` to count cl100k tokens). Sizes count the embedding model's tokens otherwise: the
/// tokenizer of `model` (the pinned MiniLM's for `none` and `hash:`). `semantic` needs
/// `embedder`.
///
/// # Errors
///
/// [`ChunkError`].
pub fn chunk_inputs<'a>(
    docs: &'a [Document],
    chunker: &str,
    model: &ModelChoice,
    embedder: Option<&dyn Embedder>,
    no_fetch: bool,
    quiet: bool,
) -> Result<Vec<ChunkInput<'a>>, ChunkError> {
    chunk_inputs_inner(docs, chunker, model, embedder, no_fetch, quiet, false).map(|(c, _)| c)
}

/// [`chunk_inputs`] with each chunk's token count (`ChunkOut::tokens`: the spec's tokenizer;
/// for `doc`, the document's text counted by that tokenizer).
///
/// # Errors
///
/// [`ChunkError`].
pub fn chunk_inputs_with_tokens<'a>(
    docs: &'a [Document],
    chunker: &str,
    model: &ModelChoice,
    embedder: Option<&dyn Embedder>,
    no_fetch: bool,
    quiet: bool,
) -> Result<(Vec<ChunkInput<'a>>, Vec<usize>), ChunkError> {
    chunk_inputs_inner(docs, chunker, model, embedder, no_fetch, quiet, true)
}

fn chunk_inputs_inner<'a>(
    docs: &'a [Document],
    chunker: &str,
    model: &ModelChoice,
    embedder: Option<&dyn Embedder>,
    no_fetch: bool,
    quiet: bool,
    doc_tokens: bool,
) -> Result<(Vec<ChunkInput<'a>>, Vec<usize>), ChunkError> {
    let spec: ChunkerSpec = chunker.parse().map_err(ChunkError::Spec)?;
    let doc_strategy = matches!(spec.strategy, Strategy::Doc);
    if doc_strategy && !doc_tokens {
        return Ok((doc_chunks(docs), Vec::new()));
    }
    if matches!(spec.strategy, Strategy::Semantic { .. }) && embedder.is_none() {
        return Err(ChunkError::SemanticNeedsModel(spec.to_string()));
    }
    let tokenizer: Option<Arc<dyn ragdiag_chunk::Tokenizer>> = if spec.tokenizer
        == TokenizerChoice::Model
    {
        let files = ensure_model(&model.options(no_fetch, quiet)).map_err(ChunkError::Tokenizer)?;
        Some(Arc::new(
            ModelTokenizer::from_file(&files.tokenizer).map_err(|source| {
                ChunkError::TokenizerFile {
                    path: files.tokenizer.display().to_string(),
                    source,
                }
            })?,
        ))
    } else {
        None
    };
    let chunker = Chunker::for_spec(spec, tokenizer)?;
    if doc_strategy {
        let chunks = doc_chunks(docs);
        let tokens = chunks
            .iter()
            .map(|c| chunker.tokenizer().count(c.text))
            .collect::<Result<Vec<usize>, _>>()?;
        return Ok((chunks, tokens));
    }
    let outs = chunker.chunk_corpus(docs, embedder)?;
    let tokens: Vec<usize> = outs.iter().map(|o| o.tokens).collect();
    let by_id: HashMap<&str, &Document> = docs.iter().map(|d| (d.id.as_str(), d)).collect();
    outs.into_iter()
        .map(|o| {
            let d = by_id.get(o.chunk.doc_id.as_str()).ok_or_else(|| {
                ChunkError::Inconsistent("chunker returned an unknown document".into())
            })?;
            // The chunker's byte span: converting the code points back to bytes would scan the
            // text from its start for every chunk, quadratic in a document's length.
            let text = d.text.get(o.bytes.clone()).ok_or_else(|| {
                ChunkError::Inconsistent(format!("chunk span out of range in {}", d.id))
            })?;
            Ok(ChunkInput {
                entry: ChunkEntry {
                    doc: o.chunk.doc_id,
                    index: o.chunk.index,
                    start: o.chunk.start,
                    end: o.chunk.end,
                    context: o.context,
                },
                title: d.title.as_deref().unwrap_or(""),
                text,
            })
        })
        .collect::<Result<Vec<_>, ChunkError>>()
        .map(|c| (c, tokens))
}

/// One chunk a document; a document with a title but no text is still findable.
#[must_use]
pub fn doc_chunks(docs: &[Document]) -> Vec<ChunkInput<'_>> {
    docs.iter()
        .filter(|d| !d.text.trim().is_empty() || !d.title.as_deref().unwrap_or("").is_empty())
        .map(|d| ChunkInput {
            entry: ChunkEntry {
                doc: d.id.clone(),
                index: 0,
                start: 0,
                end: d.text.chars().count(),
                context: None,
            },
            title: d.title.as_deref().unwrap_or(""),
            text: &d.text,
        })
        .collect()
}

/// sha256 over the documents' ids, titles and texts, in order: the corpus's identity in an
/// index's description and in reports' provenance.
#[must_use]
pub fn corpus_sha256(docs: &[Document]) -> String {
    let mut h = Sha256::new();
    for d in docs {
        for part in [
            d.id.as_str(),
            d.title.as_deref().unwrap_or(""),
            d.text.as_str(),
        ] {
            h.update((part.len() as u64).to_le_bytes());
            h.update(part.as_bytes());
        }
    }
    ragdiag_core::hex(&h.finalize())
}

/// What a cached index is built from; each field is part of its key in
/// `$RAGDIAG_HOME/indexes/`.
#[derive(Debug, Clone, Copy)]
pub struct IndexKey<'a> {
    /// The command that owns the index (`diagnose`, `chunking`): commands do not share indexes.
    pub purpose: &'a str,
    /// [`corpus_sha256`] of the documents.
    pub corpus_sha256: &'a str,
    /// The chunker spec (its version, [`ragdiag_chunk::CHUNKER_VERSION`], is added).
    pub chunker: &'a str,
    /// The embedding model's id, `None` for BM25 only.
    pub model_id: Option<&'a str>,
    /// Anything else the index depends on (`hnsw`, `flat`), or empty.
    pub variant: &'a str,
}

impl IndexKey<'_> {
    /// The index's folder in `home`.
    #[must_use]
    pub fn dir(&self, home: &Path) -> PathBuf {
        let key = ragdiag_core::hex(&Sha256::digest(
            format!(
                "{}\n{}\n{}\nchunker v{}\n{}\n{}",
                self.purpose,
                self.corpus_sha256,
                self.chunker,
                ragdiag_chunk::CHUNKER_VERSION,
                self.model_id.unwrap_or("none"),
                self.variant
            )
            .as_bytes(),
        ));
        home.join("indexes").join(&key[..24])
    }
}

/// An index from [`cached_index`].
pub struct CachedIndex<T> {
    /// The index, opened.
    pub searcher: Searcher,
    /// Its folder.
    pub dir: PathBuf,
    /// Whether it came from the cache (else it was just built).
    pub from_cache: bool,
    /// What the caller's `accept` read from the cached index, or its `build` returned.
    pub value: T,
    /// When a cached index was there but not used (damaged, truncated, of another corpus),
    /// why, as a warning: `cached index DIR is unusable (REASON); rebuilt it`.
    pub rebuilt: Option<String>,
}

/// The index for `key` from the cache in `home`, or a new one that `build` writes into the
/// folder it is given (`build_index` writes atomically, so a build cut short leaves no index
/// that opens). A cached index is used only when it opens, its description names the same
/// corpus, and `accept` takes it, returning what the caller needs from it.
///
/// # Errors
///
/// What `build` returns, or the index just built failing to open.
pub fn cached_index<T, E: From<crate::Error>>(
    home: &Path,
    key: &IndexKey<'_>,
    accept: impl FnOnce(&Searcher) -> Option<T>,
    build: impl FnOnce(&Path) -> Result<T, E>,
) -> Result<CachedIndex<T>, E> {
    let dir = key.dir(home);
    // One process at a time looks at, builds and opens a cached index: a second process
    // building the same one waits, then finds it built (instead of replacing the directory
    // under the first one's searcher).
    let _lock = lock_cached(&dir)?;
    let mut unusable = None;
    if dir.exists() {
        match Searcher::open(&dir) {
            Ok(searcher) => {
                if searcher.meta()["corpus_sha256"] != serde_json::json!(key.corpus_sha256) {
                    unusable = Some("it describes another corpus".to_owned());
                } else if let Some(value) = accept(&searcher) {
                    return Ok(CachedIndex {
                        searcher,
                        dir,
                        from_cache: true,
                        value,
                        rebuilt: None,
                    });
                } else {
                    unusable = Some("it lacks what this run reads from it".to_owned());
                }
            }
            Err(e) => {
                let mut reason = e.to_string();
                let mut source = std::error::Error::source(&e);
                while let Some(s) = source {
                    reason.push_str(": ");
                    reason.push_str(&s.to_string());
                    source = s.source();
                }
                unusable = Some(reason);
            }
        }
    }
    let value = build(&dir)?;
    let searcher = Searcher::open(&dir)?;
    Ok(CachedIndex {
        searcher,
        rebuilt: unusable.map(|reason| {
            format!(
                "cached index {} is unusable ({reason}); rebuilt it",
                dir.display()
            )
        }),
        dir,
        from_cache: false,
        value,
    })
}

/// Takes the exclusive lock of the cached index `dir` (the file `DIR.lock` beside it), waiting
/// while another process holds it; released when the returned file is dropped (or the process
/// ends).
fn lock_cached(dir: &Path) -> crate::Result<std::fs::File> {
    let path = dir.with_extension("lock");
    let io = |source| crate::Error::Io {
        path: path.display().to_string(),
        source,
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(io)?;
    fs4::fs_std::FileExt::lock_exclusive(&file).map_err(io)?;
    Ok(file)
}

/// The model to embed the queries of a dense or hybrid search of the index at `index` with
/// (`None` for BM25): `requested`, else the model the index was built with.
///
/// # Errors
///
/// [`crate::Error::Unsupported`] when the index records a model spec that does not parse.
pub fn query_model(
    searcher: &Searcher,
    index: &Path,
    requested: Option<&ModelChoice>,
    retriever: crate::RetrieverKind,
) -> crate::Result<Option<ModelChoice>> {
    if retriever == crate::RetrieverKind::Bm25 {
        return Ok(None);
    }
    match requested {
        Some(c) => Ok(Some(c.clone())),
        None => {
            let spec = searcher.meta()["model"].as_str().unwrap_or("none");
            spec.parse().map(Some).map_err(|e: String| {
                crate::Error::Unsupported(format!("{}: model: {e}", index.display()))
            })
        }
    }
}

/// Checks that queries embedded by `model_id` (`None`: no model) can search the index at
/// `index`: the index has vectors, made by the same model.
///
/// # Errors
///
/// [`crate::Error::Unsupported`] naming the mismatch and what to do.
pub fn check_query_model(
    searcher: &Searcher,
    index: &Path,
    model_id: Option<&str>,
) -> crate::Result<()> {
    let Some(model_id) = model_id else {
        return Err(crate::Error::Unsupported(format!(
            "{}: the index was built without an embedding model (--model none), so only \
             --retriever bm25 can search it",
            index.display()
        )));
    };
    if let Some(built) = searcher.meta()["model_id"].as_str() {
        if built != model_id {
            return Err(crate::Error::Unsupported(format!(
                "{}: the index was built with {built}, the queries would be embedded with \
                 {model_id}: rebuild the index or pass the same --model",
                index.display()
            )));
        }
    }
    Ok(())
}

/// What a replay's cached index is built from.
pub struct ReplaySpec<'a> {
    /// The command that owns the index (`diagnose`): commands do not share indexes.
    pub purpose: &'a str,
    /// The corpus.
    pub docs: &'a [Document],
    /// How the corpus was named on the command line (recorded in the index description).
    pub corpus_label: &'a str,
    /// The chunker spec.
    pub chunker: &'a str,
    /// The model whose tokenizer sizes chunks.
    pub model: &'a ModelChoice,
    /// The embedder behind its cache (`None`: BM25 only).
    pub embedder: Option<&'a Cached>,
    /// An HNSW graph is built above this many chunks (exact search below); a cached index
    /// of more chunks without a graph is rebuilt.
    pub hnsw_above: usize,
    /// Never download the model's tokenizer.
    pub no_fetch: bool,
    /// No progress from the model provisioning.
    pub quiet: bool,
}

/// Why a replay index could not be had.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReplayError {
    /// The corpus could not be chunked.
    #[error(transparent)]
    Chunk(#[from] ChunkError),
    /// The index could not be built or opened.
    #[error("cannot build the index")]
    Build(#[from] crate::Error),
    /// The embedding cache could not be saved.
    #[error("cannot save the embedding cache")]
    Flush(#[source] ragdiag_embed::Error),
}

/// The replay index of `spec` from the cache in `home`, or built (chunked, embedded with the
/// embedding cache saved, indexed) and cached.
///
/// # Errors
///
/// [`ReplayError`].
pub fn replay_index(
    home: &Path,
    spec: &ReplaySpec<'_>,
    progress: &dyn crate::Progress,
) -> Result<CachedIndex<()>, ReplayError> {
    let corpus_hash = corpus_sha256(spec.docs);
    let model_id = spec.embedder.map(|e| e.model_id().to_owned());
    let embedder = spec.embedder.map(|e| e as &dyn Embedder);
    let key = IndexKey {
        purpose: spec.purpose,
        corpus_sha256: &corpus_hash,
        chunker: spec.chunker,
        model_id: model_id.as_deref(),
        variant: "",
    };
    // A cached index without a graph serves a run that needs one (more chunks than
    // `hnsw_above`, e.g. 0 for `--ann`) no more: it is rebuilt with one.
    let has_what_is_needed = |searcher: &Searcher| {
        let needs_graph = spec.embedder.is_some() && searcher.chunks().len() > spec.hnsw_above;
        (!needs_graph || searcher.dir().hnsw().is_some()).then_some(())
    };
    cached_index(
        home,
        &key,
        has_what_is_needed,
        |dir| -> Result<(), ReplayError> {
            let chunks = chunk_inputs(
                spec.docs,
                spec.chunker,
                spec.model,
                embedder,
                spec.no_fetch,
                spec.quiet,
            )?;
            let meta = serde_json::json!({
                "corpus": spec.corpus_label,
                "corpus_sha256": corpus_hash,
                "documents": spec.docs.len(),
                "chunks": chunks.len(),
                "chunker": spec.chunker,
                "model_id": model_id,
            });
            let options = crate::IndexOptions {
                hnsw: chunks.len() > spec.hnsw_above,
                meta,
                ..crate::IndexOptions::default()
            };
            crate::build_index(dir, &chunks, embedder, &options, progress)?;
            if let Some(e) = spec.embedder {
                e.flush().map_err(ReplayError::Flush)?;
            }
            Ok(())
        },
    )
}

/// A replay's hits as the attribution engine takes them: per question, each chunk hit as a
/// [`RetrievedItem`] (with the lexical and dense ranks when `hybrid`), and which retrievers
/// found it (`bm25`, `dense`, `bm25+dense`).
#[must_use]
pub fn replay_items(
    searcher: &Searcher,
    hits: &[Vec<Hit>],
    hybrid: bool,
) -> (Vec<Vec<RetrievedItem>>, Vec<Vec<String>>) {
    let chunks = searcher.chunks();
    let mut items = Vec::with_capacity(hits.len());
    let mut sources = Vec::with_capacity(hits.len());
    for hits in hits {
        let mut list = Vec::with_capacity(hits.len());
        let mut names = Vec::with_capacity(hits.len());
        for h in hits {
            let c = &chunks[h.key as usize];
            let chunk = ragdiag_core::Chunk::new(c.doc.clone(), c.index, c.start, c.end);
            let rank_of = |name: &str| {
                h.sources
                    .iter()
                    .find(|x| x.retriever == name)
                    .map(|x| u32::try_from(x.rank).unwrap_or(u32::MAX))
            };
            let ranks = hybrid.then(|| RetrieverRanks {
                lexical: rank_of("bm25"),
                dense: rank_of("dense"),
            });
            list.push(RetrievedItem::from_chunk(&chunk, h.score, ranks));
            names.push(
                h.sources
                    .iter()
                    .map(|x| x.retriever.as_str())
                    .collect::<Vec<_>>()
                    .join("+"),
            );
        }
        items.push(list);
        sources.push(names);
    }
    (items, sources)
}

/// Chunks to retrieve so that `k` documents usually survive the roll-up: `k` times the most
/// chunks any document has (at most 10 times), never more than the index holds.
#[must_use]
pub fn chunk_depth(searcher: &Searcher, k: usize) -> usize {
    let most = searcher.max_chunks_per_doc().clamp(1, 10);
    k.saturating_mul(most).min(searcher.chunks().len().max(1))
}

/// Each query's chunk hits rolled up to its top `k` documents, in trec_eval's order.
#[must_use]
pub fn doc_rankings(
    searcher: &Searcher,
    query_ids: &[&str],
    hits: &[Vec<Hit>],
    k: usize,
) -> Vec<DocRanking> {
    query_ids
        .iter()
        .zip(hits)
        .map(|(q, hits)| {
            let mut docs = searcher.rollup_docs(hits, k);
            sort_trec(&mut docs);
            DocRanking {
                qid: (*q).to_owned(),
                docs: docs.into_iter().map(|(d, s)| (d.into(), s)).collect(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corpus_hash_separates_fields() {
        let a = Document {
            id: "ab".into(),
            text: "c".into(),
            ..Document::default()
        };
        let b = Document {
            id: "a".into(),
            text: "bc".into(),
            ..Document::default()
        };
        assert_ne!(corpus_sha256(std::slice::from_ref(&a)), corpus_sha256(&[b]));
        assert_eq!(corpus_sha256(std::slice::from_ref(&a)), corpus_sha256(&[a]));
    }

    fn key<'a>(corpus: &'a str, chunker: &'a str) -> IndexKey<'a> {
        IndexKey {
            purpose: "diagnose",
            corpus_sha256: corpus,
            chunker,
            model_id: None,
            variant: "",
        }
    }

    #[test]
    fn index_key_separates_every_field() {
        let home = Path::new("/h");
        let base = key("c1", "doc");
        let others = [
            IndexKey {
                purpose: "chunking",
                ..key("c1", "doc")
            },
            key("c2", "doc"),
            key("c1", "tokens:200/0"),
            IndexKey {
                model_id: Some("m"),
                ..key("c1", "doc")
            },
            IndexKey {
                variant: "hnsw",
                ..key("c1", "doc")
            },
        ];
        assert_eq!(base.dir(home), key("c1", "doc").dir(home));
        for (i, o) in others.iter().enumerate() {
            assert_ne!(base.dir(home), o.dir(home), "field {i}");
        }
        assert!(base.dir(home).starts_with("/h/indexes"));
    }

    #[test]
    fn a_second_builder_waits_for_the_first_and_takes_its_index() {
        let home = tempfile::tempdir().unwrap();
        let docs = [Document {
            id: "d1".into(),
            text: "refunds are paid within ten days".into(),
            ..Document::default()
        }];
        let corpus = corpus_sha256(&docs);
        let build = |dir: &Path| -> crate::Result<()> {
            let options = crate::IndexOptions {
                meta: serde_json::json!({ "corpus_sha256": corpus }),
                ..crate::IndexOptions::default()
            };
            crate::build_index(dir, &doc_chunks(&docs), None, &options, &crate::NoProgress)?;
            Ok(())
        };
        let k = key(&corpus, "doc");
        let dir = k.dir(home.path());
        // Another process is building this index: it holds the lock.
        let held = lock_cached(&dir).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::scope(|s| {
            s.spawn(|| {
                let got = cached_index::<(), crate::Error>(
                    home.path(),
                    &k,
                    |_| Some(()),
                    |_| panic!("the index being built elsewhere was built again"),
                )
                .unwrap();
                tx.send(got.from_cache).unwrap();
            });
            // The second one waits while the first holds the lock …
            let waited = rx.recv_timeout(std::time::Duration::from_millis(300));
            assert!(waited.is_err(), "did not wait: {waited:?}");
            // … the first finishes its index and lets go …
            build(&dir).unwrap();
            drop(held);
            // … and the second takes the finished index from the cache.
            let from_cache = rx.recv_timeout(std::time::Duration::from_secs(60)).unwrap();
            assert!(from_cache);
        });
    }

    #[test]
    fn cached_index_builds_once_and_rebuilds_what_it_cannot_trust() {
        let home = tempfile::tempdir().unwrap();
        let docs = [Document {
            id: "d1".into(),
            text: "refunds are paid within ten days".into(),
            ..Document::default()
        }];
        let corpus = corpus_sha256(&docs);
        let builds = std::cell::Cell::new(0);
        let open = |corpus_in_meta: &str, accept: bool| {
            cached_index::<(), crate::Error>(
                home.path(),
                &key(&corpus, "doc"),
                |_| accept.then_some(()),
                |dir| {
                    builds.set(builds.get() + 1);
                    let options = crate::IndexOptions {
                        meta: serde_json::json!({ "corpus_sha256": corpus_in_meta }),
                        ..crate::IndexOptions::default()
                    };
                    crate::build_index(
                        dir,
                        &doc_chunks(&docs),
                        None,
                        &options,
                        &crate::NoProgress,
                    )?;
                    Ok(())
                },
            )
            .unwrap()
        };
        let first = open(&corpus, true);
        assert!(!first.from_cache && builds.get() == 1);
        assert_eq!(first.rebuilt, None, "nothing was there: no warning");
        assert_eq!(first.searcher.chunks().len(), 1);
        let second = open(&corpus, true);
        assert!(second.from_cache && builds.get() == 1 && second.dir == first.dir);
        // Refused by the caller: rebuilt.
        let refused = open(&corpus, false);
        assert!(!refused.from_cache && builds.get() == 2);
        assert!(refused
            .rebuilt
            .unwrap()
            .contains("it lacks what this run reads"));
        // A description naming another corpus (a hash collision on the folder name): rebuilt.
        assert!(!open("another corpus", false).from_cache && builds.get() == 3);
        assert!(!open(&corpus, true).from_cache && builds.get() == 4);
        // A damaged index: rebuilt, never an error, with a warning that says so.
        std::fs::write(first.dir.join(crate::CHUNKS_FILE), b"garbage").unwrap();
        let damaged = open(&corpus, true);
        assert!(!damaged.from_cache && builds.get() == 5);
        let warning = damaged.rebuilt.unwrap();
        assert!(
            warning.starts_with(&format!(
                "cached index {} is unusable (",
                first.dir.display()
            )) && warning.ends_with("); rebuilt it"),
            "{warning}"
        );
        assert!(warning.contains("chunks.jsonl"), "{warning}");
        let healed = open(&corpus, true);
        assert!(healed.from_cache && builds.get() == 5 && healed.rebuilt.is_none());
        // Truncated: the same.
        let manifest = first.dir.join("manifest.json");
        let bytes = std::fs::read(&manifest).unwrap();
        std::fs::write(&manifest, &bytes[..bytes.len() / 2]).unwrap();
        let truncated = open(&corpus, true);
        assert!(!truncated.from_cache && builds.get() == 6);
        assert!(truncated.rebuilt.unwrap().contains("manifest.json"));
    }
}
