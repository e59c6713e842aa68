//! What `index`, `search` and the commands built on them share: choosing the embedding model,
//! chunking a corpus, describing an index, the index cache of `diagnose` and `chunking`, and
//! progress bars.

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use ragdiag_core::Document;
use ragdiag_embed::{
    cache_home, ensure_model, CachedEmbedder, Embedder, HashEmbedder, MiniLmEmbedder, ModelOptions,
};
use ragdiag_retrieve::{ChunkEntry, ChunkInput, Progress, Searcher};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

/// The embedding model a command uses, from `--model`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ModelChoice {
    /// The pinned all-MiniLM-L6-v2 (int8), fetched on first use.
    Default,
    /// A folder with the five model files of another sentence-transformers ONNX export.
    Dir(PathBuf),
    /// No embeddings: BM25 only.
    None,
    /// The deterministic hashing embedder of `DIM` dimensions (tests and smoke runs; not
    /// semantic).
    Hash(usize),
}

/// Parses `--model`: `minilm` (default), `none`, `hash:DIM`, or a model folder.
pub(crate) fn parse_model(s: &str) -> Result<ModelChoice, String> {
    match s {
        "minilm" | "default" | "all-MiniLM-L6-v2" => Ok(ModelChoice::Default),
        "none" => Ok(ModelChoice::None),
        _ => {
            if let Some(dim) = s.strip_prefix("hash:") {
                match dim.parse::<usize>() {
                    Ok(d) if (2..=4096).contains(&d) => Ok(ModelChoice::Hash(d)),
                    _ => Err(format!("{s:?}: hash:DIM needs a dimension from 2 to 4096")),
                }
            } else {
                Ok(ModelChoice::Dir(PathBuf::from(s)))
            }
        }
    }
}

/// An embedder with its Parquet cache in `$RAGDIAG_HOME/embeddings/`.
pub(crate) type Cached = CachedEmbedder<Box<dyn Embedder>>;

/// Opens the chosen model behind the embedding cache (`None` for `--model none`). The model and
/// ONNX Runtime are fetched on first use unless `no_fetch` (or `RAGDIAG_OFFLINE=1`).
pub(crate) fn open_embedder(
    choice: &ModelChoice,
    no_fetch: bool,
    quiet: bool,
) -> Result<Option<Cached>> {
    let opts = ModelOptions {
        offline: no_fetch,
        quiet,
        model_dir: match choice {
            ModelChoice::Dir(d) => Some(d.clone()),
            _ => None,
        },
        ..ModelOptions::default()
    };
    let inner: Box<dyn Embedder> = match choice {
        ModelChoice::None => return Ok(None),
        ModelChoice::Hash(dim) => Box::new(HashEmbedder::new(*dim)),
        ModelChoice::Default | ModelChoice::Dir(_) => {
            let files = ensure_model(&opts).context("the embedding model is not available")?;
            Box::new(MiniLmEmbedder::new(&files).context("cannot load the embedding model")?)
        }
    };
    let home = cache_home(&opts)?;
    let name: String = inner
        .model_id()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let path = home.join("embeddings").join(format!("{name}.parquet"));
    let cached = CachedEmbedder::new(inner, path);
    for w in cached.warnings() {
        eprintln!("warning: {w}");
    }
    Ok(Some(cached))
}

/// Chunks of a corpus, ready to index, by the chunker spec of DESIGN.md (`doc`,
/// `tokens:250/125`, `recursive:400/0`, `sentence:300`, `markdown:500`, `semantic:200`, with
/// `@cl100k` to count cl100k tokens). Sizes count the embedding model's tokens otherwise: the
/// tokenizer of `model` (the pinned MiniLM's for `none` and `hash:`). `semantic` needs
/// `embedder`.
pub(crate) fn chunk_inputs<'a>(
    docs: &'a [Document],
    chunker: &str,
    model: &ModelChoice,
    embedder: Option<&dyn Embedder>,
    no_fetch: bool,
    quiet: bool,
) -> Result<Vec<ChunkInput<'a>>> {
    chunk_inputs_inner(docs, chunker, model, embedder, no_fetch, quiet, false).map(|(c, _)| c)
}

/// [`chunk_inputs`] with each chunk's token count (`ChunkOut::tokens`: the spec's tokenizer;
/// for `doc`, the document's text counted by that tokenizer).
pub(crate) fn chunk_inputs_with_tokens<'a>(
    docs: &'a [Document],
    chunker: &str,
    model: &ModelChoice,
    embedder: Option<&dyn Embedder>,
    no_fetch: bool,
    quiet: bool,
) -> Result<(Vec<ChunkInput<'a>>, Vec<usize>)> {
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
) -> Result<(Vec<ChunkInput<'a>>, Vec<usize>)> {
    use ragdiag_chunk::{Chunker, ChunkerSpec, ModelTokenizer, Strategy, TokenizerChoice};
    let spec: ChunkerSpec = chunker
        .parse()
        .map_err(|e| anyhow::anyhow!("--chunker: {e}"))?;
    let doc_strategy = matches!(spec.strategy, Strategy::Doc);
    if doc_strategy && !doc_tokens {
        return Ok((doc_chunks(docs), Vec::new()));
    }
    if matches!(spec.strategy, Strategy::Semantic { .. }) && embedder.is_none() {
        anyhow::bail!(
            "--chunker {spec}: semantic chunking needs an embedding model (not --model none)"
        );
    }
    let tokenizer: Option<std::sync::Arc<dyn ragdiag_chunk::Tokenizer>> =
        if spec.tokenizer == TokenizerChoice::Model {
            let opts = ModelOptions {
                offline: no_fetch,
                quiet,
                model_dir: match model {
                    ModelChoice::Dir(d) => Some(d.clone()),
                    _ => None,
                },
                ..ModelOptions::default()
            };
            let files = ensure_model(&opts).context("the model's tokenizer is not available")?;
            Some(std::sync::Arc::new(
                ModelTokenizer::from_file(&files.tokenizer)
                    .with_context(|| format!("cannot load {}", files.tokenizer.display()))?,
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
            .collect::<std::result::Result<Vec<usize>, _>>()?;
        return Ok((chunks, tokens));
    }
    let outs = chunker.chunk_corpus(docs, embedder)?;
    let tokens: Vec<usize> = outs.iter().map(|o| o.tokens).collect();
    let by_id: std::collections::HashMap<&str, &Document> =
        docs.iter().map(|d| (d.id.as_str(), d)).collect();
    outs.into_iter()
        .map(|o| {
            let d = by_id
                .get(o.chunk.doc_id.as_str())
                .ok_or_else(|| anyhow::anyhow!("chunker returned an unknown document"))?;
            // The chunker's byte span: converting the code points back to bytes would scan the
            // text from its start for every chunk, quadratic in a document's length.
            let text = d
                .text
                .get(o.bytes.clone())
                .ok_or_else(|| anyhow::anyhow!("chunk span out of range in {}", d.id))?;
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
        .collect::<Result<Vec<_>>>()
        .map(|c| (c, tokens))
}

/// One chunk a document; a document with a title but no text is still findable.
fn doc_chunks(docs: &[Document]) -> Vec<ChunkInput<'_>> {
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
pub(crate) fn corpus_sha256(docs: &[Document]) -> String {
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
    crate::fsutil::hex(&h.finalize())
}

/// What a cached index is built from; each field is part of its key in
/// `$RAGDIAG_HOME/indexes/`.
pub(crate) struct IndexKey<'a> {
    /// The command that owns the index (`diagnose`, `chunking`): commands do not share indexes.
    pub(crate) purpose: &'a str,
    /// [`corpus_sha256`] of the documents.
    pub(crate) corpus_sha256: &'a str,
    /// The chunker spec (its version, [`ragdiag_chunk::CHUNKER_VERSION`], is added).
    pub(crate) chunker: &'a str,
    /// The embedding model's id, `None` for BM25 only.
    pub(crate) model_id: Option<&'a str>,
    /// Anything else the index depends on (`hnsw`, `flat`), or empty.
    pub(crate) variant: &'a str,
}

impl IndexKey<'_> {
    /// The index's folder in `home`.
    fn dir(&self, home: &Path) -> PathBuf {
        let key = crate::fsutil::hex(&Sha256::digest(
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
pub(crate) struct CachedIndex<T> {
    pub(crate) searcher: Searcher,
    /// Its folder.
    pub(crate) dir: PathBuf,
    /// Whether it came from the cache (else it was just built).
    pub(crate) from_cache: bool,
    /// What the caller's `accept` read from the cached index, or its `build` returned.
    pub(crate) value: T,
}

/// The index for `key` from the cache in `home`, or a new one that `build` writes into the
/// folder it is given (`build_index` writes atomically, so a build cut short leaves no index
/// that opens). A cached index is used only when it opens, its description names the same
/// corpus, and `accept` takes it, returning what the caller needs from it.
pub(crate) fn cached_index<T>(
    home: &Path,
    key: &IndexKey<'_>,
    accept: impl FnOnce(&Searcher) -> Option<T>,
    build: impl FnOnce(&Path) -> Result<T>,
) -> Result<CachedIndex<T>> {
    let dir = key.dir(home);
    if let Ok(searcher) = Searcher::open(&dir) {
        if searcher.meta()["corpus_sha256"] == serde_json::json!(key.corpus_sha256) {
            if let Some(value) = accept(&searcher) {
                return Ok(CachedIndex {
                    searcher,
                    dir,
                    from_cache: true,
                    value,
                });
            }
        }
    }
    let value = build(&dir)?;
    let searcher = Searcher::open(&dir)
        .with_context(|| format!("cannot open the index just built in {}", dir.display()))?;
    Ok(CachedIndex {
        searcher,
        dir,
        from_cache: false,
        value,
    })
}

/// indicatif bars on stderr, one stage at a time; nothing with `--quiet` or when stderr is not a
/// terminal (then each stage prints one line when it ends, unless quiet).
pub(crate) struct Bars {
    quiet: bool,
    current: Mutex<Option<(String, ProgressBar)>>,
}

impl Bars {
    pub(crate) fn new(quiet: bool) -> Self {
        Bars {
            quiet,
            current: Mutex::new(None),
        }
    }
}

impl Progress for Bars {
    fn start(&self, stage: &str, total: u64) {
        if self.quiet {
            return;
        }
        let bar = if total > 0 {
            ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr())
        } else {
            ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
        };
        let style = if total > 0 {
            ProgressStyle::with_template("{msg:>18} [{bar:30}] {pos}/{len} ({per_sec}, {eta} left)")
        } else {
            ProgressStyle::with_template("{msg:>18} {spinner} {elapsed}")
        };
        if let Ok(style) = style {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(stage.to_owned());
        bar.enable_steady_tick(Duration::from_millis(200));
        let mut cur = self.current.lock().unwrap_or_else(|e| e.into_inner());
        *cur = Some((stage.to_owned(), bar));
    }

    fn advance(&self, n: u64) {
        if let Some((_, bar)) = &*self.current.lock().unwrap_or_else(|e| e.into_inner()) {
            bar.inc(n);
        }
    }

    fn finish(&self) {
        let taken = self
            .current
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some((stage, bar)) = taken {
            let elapsed = bar.elapsed();
            let done = bar.position();
            bar.finish_and_clear();
            if done > 0 {
                eprintln!("{stage}: {done} in {:.1} s", elapsed.as_secs_f64());
            } else {
                eprintln!("{stage}: {:.1} s", elapsed.as_secs_f64());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_choices() {
        assert_eq!(parse_model("none"), Ok(ModelChoice::None));
        assert_eq!(parse_model("minilm"), Ok(ModelChoice::Default));
        assert_eq!(parse_model("hash:64"), Ok(ModelChoice::Hash(64)));
        assert!(parse_model("hash:0").is_err() && parse_model("hash:x").is_err());
        assert_eq!(
            parse_model("models/mine"),
            Ok(ModelChoice::Dir(PathBuf::from("models/mine")))
        );
    }

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
            cached_index(
                home.path(),
                &key(&corpus, "doc"),
                |_| accept.then_some(()),
                |dir| {
                    builds.set(builds.get() + 1);
                    let options = ragdiag_retrieve::IndexOptions {
                        meta: serde_json::json!({ "corpus_sha256": corpus_in_meta }),
                        ..ragdiag_retrieve::IndexOptions::default()
                    };
                    ragdiag_retrieve::build_index(
                        dir,
                        &doc_chunks(&docs),
                        None,
                        &options,
                        &ragdiag_retrieve::NoProgress,
                    )?;
                    Ok(())
                },
            )
            .unwrap()
        };
        let first = open(&corpus, true);
        assert!(!first.from_cache && builds.get() == 1);
        assert_eq!(first.searcher.chunks().len(), 1);
        let second = open(&corpus, true);
        assert!(second.from_cache && builds.get() == 1 && second.dir == first.dir);
        // Refused by the caller: rebuilt.
        assert!(!open(&corpus, false).from_cache && builds.get() == 2);
        // A description naming another corpus (a hash collision on the folder name): rebuilt.
        assert!(!open("another corpus", false).from_cache && builds.get() == 3);
        assert!(!open(&corpus, true).from_cache && builds.get() == 4);
        // A damaged index: rebuilt, never an error.
        std::fs::write(first.dir.join(ragdiag_retrieve::CHUNKS_FILE), b"garbage").unwrap();
        assert!(!open(&corpus, true).from_cache && builds.get() == 5);
        assert!(open(&corpus, true).from_cache && builds.get() == 5);
    }
}
