//! The engine of `ragdiag chunking`: one chunking strategy measured ([`measure_strategy`]: its
//! index from the cache or built, every question retrieved, the per-question values of
//! [`ragdiag_eval::chunking`], its cost), and a comparison's typed summary
//! ([`chunking_summary`]) and the rows of `strategies.parquet` ([`strategies_columns`]).
//!
//! Indexes are cached under `$RAGDIAG_HOME/indexes/` by [`cached_index`], keyed by the corpus,
//! the canonical spec, the chunker version, the model and whether an HNSW graph was built; an
//! index records its chunks' token counts (`chunk_tokens`), so a cached one needs no
//! re-chunking.

use crate::{
    build_index, cached_index, chunk_inputs_with_tokens, doc_rankings, CachedIndex, ChunkError,
    IndexKey, IndexOptions, RetrieverKind, SearchOptions,
};
use ragdiag_contract::chunking::{
    ChunkingProvenance, ChunkingStrategy, ChunkingSummary, PairedTest, TokensPerChunk,
    CHUNKING_SCHEMA_VERSION,
};
use ragdiag_contract::table::{Column, Values};
use ragdiag_contract::Interval;
use ragdiag_core::{Document, Progress};
use ragdiag_embed::{Cached, Embedder, ModelChoice};
use ragdiag_eval::chunking::{p95, ChunkSpan, ChunkingMetric, Questions, Scope, StrategyValues};
use ragdiag_eval::stats;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// What every strategy of a comparison shares.
#[derive(Debug, Clone, Copy)]
pub struct StrategyOptions<'a> {
    /// `$RAGDIAG_HOME`, the index cache's home.
    pub home: &'a Path,
    /// How the corpus was named on the command line (recorded in the index description).
    pub corpus_label: &'a str,
    /// [`crate::corpus_sha256`] of the corpus.
    pub corpus_sha256: &'a str,
    /// The retriever.
    pub retriever: RetrieverKind,
    /// Exact vector search (else an HNSW graph is built and searched).
    pub exact: bool,
    /// The model whose tokenizer sizes chunks.
    pub model: &'a ModelChoice,
    /// Never download the model's tokenizer.
    pub no_fetch: bool,
    /// No progress from the model provisioning.
    pub quiet: bool,
    /// The seed of the document metrics' intervals.
    pub seed: u64,
}

/// What one strategy measured.
#[derive(Debug, Clone)]
pub struct StrategyRun {
    /// The chunker spec, canonical.
    pub spec: String,
    /// Chunks of the corpus.
    pub chunks: usize,
    /// Every file of the index folder, in bytes.
    pub index_bytes: u64,
    /// The index folder.
    pub index_dir: PathBuf,
    /// Whether the index came from the cache.
    pub from_cache: bool,
    /// Why a cached index that was there was rebuilt (a warning), see
    /// [`CachedIndex::rebuilt`].
    pub cache_rebuilt: Option<String>,
    /// Texts embedded for this strategy.
    pub embedded_texts: usize,
    /// Seconds to chunk, embed and index (`None` from the cache).
    pub build_s: Option<f64>,
    /// HNSW recall against exact search.
    pub ann_recall: Option<f64>,
    /// Each question's values, and every chunk's tokens.
    pub measured: StrategyValues,
}

/// Why a strategy could not be measured.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChunkingError {
    /// The corpus could not be chunked.
    #[error("{spec}")]
    Chunk {
        /// The chunker spec.
        spec: String,
        /// The cause.
        #[source]
        source: ChunkError,
    },
    /// The chunker gave no chunk.
    #[error("{0}: the corpus gives no chunks")]
    NoChunks(String),
    /// The index could not be built.
    #[error("{spec}: cannot build the index")]
    Build {
        /// The chunker spec.
        spec: String,
        /// The cause.
        #[source]
        source: crate::Error,
    },
    /// The index could not be opened or searched.
    #[error(transparent)]
    Retrieve(#[from] crate::Error),
    /// The document metrics could not be computed.
    #[error(transparent)]
    Metrics(#[from] ragdiag_eval::TableError),
}

/// Measures the chunking `spec` (canonical) of `docs` on `questions`: the index from the cache
/// or chunked, embedded (with `embedder`, also for semantic chunking) and built; every
/// question's top `k` chunks retrieved; their values and the strategy's cost.
///
/// # Errors
///
/// [`ChunkingError`].
pub fn measure_strategy(
    docs: &[Document],
    questions: &Questions<'_>,
    spec: &str,
    options: &StrategyOptions<'_>,
    embedder: Option<&Cached>,
    progress: &dyn Progress,
) -> Result<StrategyRun, ChunkingError> {
    let dyn_embedder = embedder.map(|e| e as &dyn Embedder);
    let model_id = embedder.map(Embedder::model_id);
    let hnsw = !options.exact && embedder.is_some();
    let key = IndexKey {
        purpose: "chunking",
        corpus_sha256: options.corpus_sha256,
        chunker: spec,
        model_id,
        variant: if hnsw { "hnsw" } else { "flat" },
    };
    let embedded_before = embedder.map_or(0, Cached::embedded_texts);
    // The chunks' token counts: from the cached index's description, or from the build (with
    // its time).
    let CachedIndex {
        searcher,
        dir: index_dir,
        from_cache,
        value: (tokens, build_s),
        rebuilt: cache_rebuilt,
    } = cached_index(
        options.home,
        &key,
        |sr| {
            let t: Vec<usize> =
                serde_json::from_value(sr.meta().get("chunk_tokens")?.clone()).ok()?;
            (t.len() == sr.chunks().len()).then_some((t, None))
        },
        |dir| -> Result<_, ChunkingError> {
            let t0 = Instant::now();
            let (chunks, tokens) = chunk_inputs_with_tokens(
                docs,
                spec,
                options.model,
                dyn_embedder,
                options.no_fetch,
                options.quiet,
            )
            .map_err(|source| ChunkingError::Chunk {
                spec: spec.to_owned(),
                source,
            })?;
            if chunks.is_empty() {
                return Err(ChunkingError::NoChunks(spec.to_owned()));
            }
            let meta = serde_json::json!({
                "corpus": options.corpus_label,
                "corpus_sha256": options.corpus_sha256,
                "documents": docs.len(),
                "chunks": chunks.len(),
                "chunker": spec,
                "model_id": model_id,
                "chunk_tokens": tokens,
            });
            let index_options = IndexOptions {
                hnsw,
                meta,
                ..IndexOptions::default()
            };
            build_index(dir, &chunks, dyn_embedder, &index_options, progress).map_err(
                |source| ChunkingError::Build {
                    spec: spec.to_owned(),
                    source,
                },
            )?;
            Ok((tokens, Some(t0.elapsed().as_secs_f64())))
        },
    )?;
    let embedded_texts = embedder.map_or(0, Cached::embedded_texts) - embedded_before;

    let k = questions.k;
    let search = SearchOptions {
        retriever: options.retriever,
        k: k.min(searcher.chunks().len()).max(1),
        exact: options.exact,
        ..SearchOptions::default()
    };
    let texts: Vec<&str> = questions.queries.iter().map(|q| q.text.as_str()).collect();
    let out = searcher.search(&texts, &search, dyn_embedder, progress)?;
    let rankings = (!questions.qrels.is_empty()).then(|| {
        let ids: Vec<&str> = questions.queries.iter().map(|q| q.id.as_str()).collect();
        doc_rankings(&searcher, &ids, &out.hits, k)
    });
    let chunks: Vec<ChunkSpan<'_>> = searcher
        .chunks()
        .iter()
        .map(|e| ChunkSpan {
            doc: &e.doc,
            start: e.start,
            end: e.end,
        })
        .collect();
    let top: Vec<Vec<u32>> = out
        .hits
        .iter()
        .map(|hits| hits.iter().map(|h| h.key).collect())
        .collect();
    let measured = questions.measure(&chunks, tokens, &top, rankings.as_deref())?;
    Ok(StrategyRun {
        spec: spec.to_owned(),
        chunks: chunks.len(),
        index_bytes: dir_size(&index_dir),
        index_dir,
        from_cache,
        cache_rebuilt,
        embedded_texts,
        build_s,
        ann_recall: out.ann_recall,
        measured,
    })
}

/// Sum of the sizes of every file under `dir`.
fn dir_size(dir: &Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            match e.metadata() {
                Ok(m) if m.is_dir() => stack.push(e.path()),
                Ok(m) => total += m.len(),
                Err(_) => {}
            }
        }
    }
    total
}

fn interval(i: &stats::Interval) -> Interval {
    Interval::of(i.estimate, i.lower, i.upper, i.n)
}

/// The summary of a comparison of `runs` (the first is the baseline) on `questions`, with
/// the statistics of [`Questions::compare`] (seeded by `provenance.seed`). Its `verdict` is
/// left empty: `ragdiag_report::chunking_verdict` writes it from the summary.
#[must_use]
pub fn chunking_summary(
    questions: &Questions<'_>,
    runs: &[StrategyRun],
    provenance: ChunkingProvenance,
) -> ChunkingSummary {
    let k = questions.k;
    let measured: Vec<&StrategyValues> = runs.iter().map(|r| &r.measured).collect();
    let stats = questions.compare(&measured, provenance.seed);
    let strategies = runs
        .iter()
        .zip(stats)
        .map(|(r, s)| {
            let mut metrics = BTreeMap::new();
            let mut vs = BTreeMap::new();
            for (m, metric) in ChunkingMetric::ALL.iter().enumerate() {
                let id = metric.id(k);
                metrics.insert(
                    id.clone(),
                    s.intervals[m]
                        .as_ref()
                        .map_or_else(Interval::empty, interval),
                );
                if let Some((p, p_holm)) = &s.vs_first[m] {
                    vs.insert(
                        id,
                        PairedTest {
                            diff: interval(&p.diff),
                            p_randomization: p.p_randomization,
                            p_holm: *p_holm,
                            p_bootstrap: p.p_bootstrap,
                            effect_size: p.effect_size,
                            wins: p.wins,
                            losses: p.losses,
                            ties: p.ties,
                        },
                    );
                }
            }
            let tokens = s.tokens.as_ref().map_or_else(Interval::empty, interval);
            ChunkingStrategy {
                strategy: r.spec.clone(),
                chunks: r.chunks,
                tokens_per_chunk: TokensPerChunk {
                    mean: tokens.mean,
                    ci_lower: tokens.ci_lower,
                    ci_upper: tokens.ci_upper,
                    n: tokens.n,
                    p95: p95(&r.measured.tokens),
                },
                index_bytes: r.index_bytes,
                index: r.index_dir.display().to_string(),
                index_cached: r.from_cache,
                index_build_s: r.build_s,
                embedded_texts: r.embedded_texts,
                ann_recall: r.ann_recall,
                metrics,
                vs_first: (!vs.is_empty()).then_some(vs),
            }
        })
        .collect();
    ChunkingSummary {
        schema_version: CHUNKING_SCHEMA_VERSION,
        command: "chunking".into(),
        k,
        retriever: provenance.retriever.clone(),
        questions: questions.queries.len(),
        questions_with_spans: questions.count(Scope::Span),
        questions_judged: questions.count(Scope::Doc),
        baseline: runs.first().map(|r| r.spec.clone()),
        strategies,
        verdict: Vec::new(),
        warnings: questions.warnings.clone(),
        provenance,
    }
}

/// The columns of `strategies.parquet` ([`ragdiag_contract::table::STRATEGIES`]) for
/// `summary`: per strategy, one row per metric (in [`ChunkingMetric::ALL`]'s order) then one
/// per cost figure.
#[must_use]
pub fn strategies_columns(summary: &ChunkingSummary) -> Vec<Column> {
    #[derive(Default)]
    struct Rows {
        strategy: Vec<Option<String>>,
        metric: Vec<Option<String>>,
        estimates: [Vec<Option<f64>>; 3],
        n: Vec<Option<i64>>,
        paired: [Vec<Option<f64>>; 6],
    }
    impl Rows {
        fn push(
            &mut self,
            strategy: &str,
            metric: String,
            estimates: [Option<f64>; 3],
            n: usize,
            paired: Option<&PairedTest>,
        ) {
            self.strategy.push(Some(strategy.to_owned()));
            self.metric.push(Some(metric));
            for (col, v) in self.estimates.iter_mut().zip(estimates) {
                col.push(v);
            }
            self.n.push(Some(i64::try_from(n).unwrap_or(i64::MAX)));
            let p = paired.map(|p| {
                [
                    p.diff.mean,
                    p.diff.ci_lower,
                    p.diff.ci_upper,
                    p.effect_size,
                    Some(p.p_randomization),
                    Some(p.p_holm),
                ]
            });
            for (i, col) in self.paired.iter_mut().enumerate() {
                col.push(p.and_then(|p| p[i]));
            }
        }
    }
    let mut rows = Rows::default();
    for s in &summary.strategies {
        for metric in ChunkingMetric::ALL {
            let id = metric.id(summary.k);
            let iv = s.metrics.get(&id).copied().unwrap_or_default();
            let paired = s.vs_first.as_ref().and_then(|v| v.get(&id));
            rows.push(
                &s.strategy,
                id,
                [iv.mean, iv.ci_lower, iv.ci_upper],
                iv.n,
                paired,
            );
        }
        let t = &s.tokens_per_chunk;
        let as_f64 = |v: u64| Some(v as f64);
        for (name, figures) in [
            ("chunks", [as_f64(s.chunks as u64), None, None]),
            ("tokens_per_chunk", [t.mean, t.ci_lower, t.ci_upper]),
            (
                "tokens_per_chunk_p95",
                [t.p95.map(|v| v as f64), None, None],
            ),
            ("index_bytes", [as_f64(s.index_bytes), None, None]),
        ] {
            rows.push(&s.strategy, name.to_owned(), figures, s.chunks, None);
        }
    }
    let [mean, ci_lower, ci_upper] = rows.estimates;
    let [diff, diff_ci_lower, diff_ci_upper, effect_size, p_randomization, p_holm] = rows.paired;
    let float = |name, v| Column {
        name,
        values: Values::Float64(v),
    };
    vec![
        Column {
            name: "strategy",
            values: Values::Utf8(rows.strategy),
        },
        Column {
            name: "metric",
            values: Values::Utf8(rows.metric),
        },
        float("mean", mean),
        float("ci_lower", ci_lower),
        float("ci_upper", ci_upper),
        Column {
            name: "n",
            values: Values::Int64(rows.n),
        },
        float("diff", diff),
        float("diff_ci_lower", diff_ci_lower),
        float("diff_ci_upper", diff_ci_upper),
        float("effect_size", effect_size),
        float("p_randomization", p_randomization),
        float("p_holm", p_holm),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use ragdiag_contract::table::STRATEGIES;
    use ragdiag_core::{Evidence, Query};

    fn run(spec: &str, questions: &Questions<'_>, ends: usize) -> StrategyRun {
        let chunks = [ChunkSpan {
            doc: "a",
            start: 0,
            end: ends,
        }];
        let measured = questions
            .measure(&chunks, vec![4], &[vec![0], vec![0]], None)
            .unwrap();
        StrategyRun {
            spec: spec.into(),
            chunks: 1,
            index_bytes: 10,
            index_dir: PathBuf::from("/i"),
            from_cache: true,
            cache_rebuilt: None,
            embedded_texts: 0,
            build_s: None,
            ann_recall: None,
            measured,
        }
    }

    #[test]
    fn summary_and_long_rows() {
        let docs = [Document {
            id: "a".into(),
            text: "Refunds take 14 days.".into(),
            ..Document::default()
        }];
        let queries = [
            Query {
                id: "q1".into(),
                evidence: vec![Evidence::Span {
                    doc: "a".into(),
                    start: 13,
                    end: 20,
                }],
                ..Query::default()
            },
            Query {
                id: "q2".into(),
                ..Query::default()
            },
        ];
        let questions = Questions::new(&docs, &queries, 3);
        let runs = [run("doc", &questions, 21), run("half", &questions, 10)];
        let provenance = ChunkingProvenance {
            retriever: "bm25".into(),
            seed: 3,
            ..ChunkingProvenance::default()
        };
        let s = chunking_summary(&questions, &runs, provenance);
        assert_eq!(
            (s.questions, s.questions_with_spans, s.questions_judged),
            (2, 1, 0)
        );
        assert_eq!(s.baseline.as_deref(), Some("doc"));
        assert_eq!(s.retriever, "bm25");
        let first = &s.strategies[0];
        assert!(first.vs_first.is_none());
        assert_eq!(first.metrics["span_recall"].mean, Some(1.0));
        assert_eq!(first.metrics["recall@3"], Interval::empty());
        assert_eq!(first.tokens_per_chunk.p95, Some(4));
        let vs = s.strategies[1].vs_first.as_ref().unwrap();
        assert_eq!(vs["span_recall"].diff.mean, Some(-1.0));
        assert!(
            !vs.contains_key("recall@3"),
            "the first has no judged question"
        );

        let columns = strategies_columns(&s);
        STRATEGIES.check(&columns).unwrap();
        assert_eq!(columns[0].values.len(), 2 * 11);
        let Values::Utf8(metric) = &columns[1].values else {
            panic!("metric is Utf8");
        };
        assert_eq!(metric[4].as_deref(), Some("recall@3"));
        assert_eq!(metric[10].as_deref(), Some("index_bytes"));
        let Values::Float64(p_holm) = &columns[11].values else {
            panic!("p_holm is Float64");
        };
        assert!(p_holm[..11].iter().all(Option::is_none));
        assert!(p_holm[11].is_some() && p_holm[15].is_none());
    }
}
