//! `ragdiag chunking`: compare chunking strategies on one corpus and question set.
//!
//! For each chunker spec of `--strategies` the corpus is chunked, indexed into a cache directory
//! under `$RAGDIAG_HOME/indexes/` keyed by (corpus hash, canonical spec, chunker version, model id, graph or
//! not), and every question's top `--k` chunks are retrieved (exact vector search unless
//! `--ann`). Per question:
//!
//! - span recall, precision, IoU and precision-Ω as Chroma's chunking evaluation computes them
//!   (`ragdiag_eval::span`), for questions with evidence spans or quotes. Every document is
//!   placed in one coordinate space with a gap between documents, so a retrieved chunk of
//!   another document meets no reference but its length still counts in the precision and IoU
//!   denominators, as in Chroma's `_scores_from_dataset_and_retrievals`; precision-Ω uses all
//!   chunks of the question's evidence documents;
//! - document-level `recall@k` and `ndcg@k` (the top `k` chunks rolled up to documents), for
//!   questions with relevant documents;
//! - `context_tokens`: the tokens of the `k` retrieved chunks (by the spec's tokenizer), i.e.
//!   what a generator would read.
//!
//! Per strategy, the cost: chunks, tokens per chunk (mean with its CI over chunks, p95), index
//! size on disk (every file of the index directory). Each per-question metric has its mean, 95%
//! bootstrap CI and n; each strategy after the first has a paired test against the first per
//! metric (randomization p, Holm-corrected across all strategy × metric comparisons).
//!
//! `strategies.parquet` (schema version [`SCHEMA_VERSION`], key-value metadata
//! `ragdiag.schema_version`) is long: one row per strategy and metric, with the columns
//! `strategy` (canonical spec), `metric`, `mean`, `ci_lower`, `ci_upper`, `n`, `diff`,
//! `diff_ci_lower`, `diff_ci_upper`, `effect_size`, `p_randomization`, `p_holm` (the last six
//! null for the first strategy and the cost rows). Metrics: `span_recall`, `span_precision`,
//! `span_iou`, `precision_omega`, `recall@K`, `ndcg@K`, `context_tokens`, and the cost rows
//! `chunks`, `tokens_per_chunk` (with CI), `tokens_per_chunk_p95`, `index_bytes` (CI null).
//! `--format csv` prints the same rows.

use super::open_model;
use crate::cli::{ChunkingArgs, Format};
use crate::fsutil::{csv_field, file_sha256};
use crate::printer::{Bars, Printer};
use crate::ExitStatus;
use anyhow::{anyhow, bail, Context, Result};
use arrow::array::{ArrayRef, Float64Array, Int64Array, StringArray};
use arrow::record_batch::RecordBatch;
use ragdiag_chunk::{ChunkerSpec, Strategy};
use ragdiag_core::{Document, Evidence, Qrels, Query, Timestamp};
use ragdiag_embed::{Cached, Embedder, ModelChoice};
use ragdiag_eval::span;
use ragdiag_eval::stats::{self, Interval, Paired, PairedSample};
use ragdiag_load::{load_chroma, load_corpus, load_queries, LoadOptions};
use ragdiag_retrieve::{
    build_index, cached_index, chunk_inputs_with_tokens, corpus_sha256, doc_rankings, CachedIndex,
    IndexKey, IndexOptions, RetrieverKind, SearchOptions,
};
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// Version of `summary.json` and `strategies.parquet` written by `chunking`.
pub(crate) const SCHEMA_VERSION: u32 = 1;

/// Which questions a metric is defined for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// Questions with evidence spans.
    Span,
    /// Questions with relevance judgments.
    Doc,
    /// Every question.
    All,
}

struct MetricDef {
    id: String,
    label: String,
    scope: Scope,
    /// Shown as a percentage.
    percent: bool,
}

fn metric_defs(k: usize) -> Vec<MetricDef> {
    let m = |id: String, label: &str, scope, percent| MetricDef {
        id,
        label: label.to_owned(),
        scope,
        percent,
    };
    vec![
        m("span_recall".into(), "recall", Scope::Span, true),
        m("span_precision".into(), "precision", Scope::Span, true),
        m("span_iou".into(), "IoU", Scope::Span, true),
        m("precision_omega".into(), "precision-Ω", Scope::Span, true),
        m(
            format!("recall@{k}"),
            &format!("recall@{k}"),
            Scope::Doc,
            true,
        ),
        m(format!("ndcg@{k}"), &format!("ndcg@{k}"), Scope::Doc, false),
        m("context_tokens".into(), "context tokens", Scope::All, false),
    ]
}

/// What one strategy measured.
struct StrategyResult {
    spec: String,
    chunks: usize,
    tokens: Vec<usize>,
    index_bytes: u64,
    index_dir: PathBuf,
    cached: bool,
    embedded: usize,
    build_s: Option<f64>,
    ann_recall: Option<f64>,
    /// Per metric (as [`metric_defs`]), the values of its eligible questions in query order.
    values: Vec<Vec<f64>>,
    intervals: Vec<Option<Interval>>,
    tokens_interval: Option<Interval>,
    /// Per metric, the paired comparison with the first strategy and its Holm-adjusted p.
    vs_first: Vec<Option<(Paired, f64)>>,
}

/// The corpus, questions and where they came from.
struct Inputs {
    docs: Vec<Document>,
    queries: Vec<Query>,
    corpus_label: String,
    queries_label: String,
    queries_sha256: String,
}

pub(crate) fn run(args: &ChunkingArgs, printer: Printer) -> Result<ExitStatus> {
    let started = Instant::now();
    // Specs first: a bad one is a usage error before anything is loaded or embedded.
    let specs = parse_strategies(&args.strategies)?;
    let folders: Vec<&Path> = [args.corpus.as_deref(), args.chroma.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    crate::fsutil::check_out_not_inside(&args.out, &folders)?;
    let inputs = load_inputs(args)?;
    if inputs.docs.is_empty() {
        bail!("{}: the corpus holds no documents", inputs.corpus_label);
    }
    if inputs.queries.is_empty() {
        bail!("{}: no questions", inputs.queries_label);
    }
    let k = usize::try_from(args.k).unwrap_or(usize::MAX);
    let retriever = args.retrieval.retriever();
    let ann = !args.retrieval.exact_or(true);
    let seed = args.stats.seed();
    let model = args.model.model();
    let needs_embedder = retriever != RetrieverKind::Bm25
        || specs
            .iter()
            .any(|s| matches!(s.strategy, Strategy::Semantic { .. }));
    let embed_choice = if needs_embedder {
        model.clone()
    } else {
        ModelChoice::None
    };
    let embedder = open_model(&embed_choice, args.model.no_fetch, printer)?;
    if needs_embedder && embedder.is_none() {
        bail!("--retriever {retriever} and semantic chunking need an embedding model (not --model none)");
    }
    let model_id = embedder.as_ref().map(|e| e.model_id().to_owned());

    let space = Space::new(&inputs.docs);
    let mut warnings = Vec::new();
    let refs = space.references(&inputs.queries, &mut warnings);
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    let qrels = Qrels::from_queries(&inputs.queries);
    let defs = metric_defs(k);

    let corpus_hash = corpus_sha256(&inputs.docs);
    let home = ragdiag_embed::cache_home(&ragdiag_embed::ModelOptions::default())?;
    let bars = printer.bars();
    let mut results = Vec::with_capacity(specs.len());
    for (i, spec) in specs.iter().enumerate() {
        let canonical = spec.to_string();
        if !printer.quiet() {
            eprintln!("strategy {}/{}: {canonical}", i + 1, specs.len());
        }
        let r = run_strategy(
            args,
            printer.quiet(),
            &Ctx {
                inputs: &inputs,
                space: &space,
                refs: &refs,
                qrels: &qrels,
                defs: &defs,
                k,
                retriever,
                embedder: embedder.as_ref().map(|e| e as &dyn Embedder),
                cached: embedder.as_ref(),
                model_id: model_id.as_deref(),
                corpus_hash: &corpus_hash,
                home: &home,
                bars: &bars,
            },
            &canonical,
        )?;
        if let Some(e) = &embedder {
            e.flush().context("cannot save the embedding cache")?;
        }
        if !printer.quiet() {
            let how = if r.cached {
                "index from the cache".to_owned()
            } else {
                format!(
                    "index built in {:.1} s (embedded {} new texts)",
                    r.build_s.unwrap_or(0.0),
                    r.embedded
                )
            };
            eprintln!("{canonical}: {} chunks; {how}", r.chunks);
        }
        results.push(r);
    }
    let embedded_total = embedder.as_ref().map_or(0, |e| e.embedded_texts());

    // Statistics: intervals, then paired tests against the first with Holm across them all.
    let weights = |scope: Scope| -> Option<Vec<f64>> {
        let w: Vec<f64> = inputs
            .queries
            .iter()
            .enumerate()
            .filter(|(qi, _)| eligible(scope, *qi, &refs, &inputs.queries, &qrels))
            .map(|(_, q)| q.weight)
            .collect();
        stats::relative_weights(w)
    };
    let cfg = stats::Config {
        seed,
        ..stats::Config::default()
    };
    let scope_weights: Vec<Option<Vec<f64>>> = defs.iter().map(|d| weights(d.scope)).collect();
    for r in &mut results {
        r.intervals = r
            .values
            .iter()
            .zip(&scope_weights)
            .map(|(v, w)| {
                (!v.is_empty()).then(|| stats::bootstrap_means(&[v], w.as_deref(), &cfg)[0])
            })
            .collect();
        let t: Vec<f64> = r.tokens.iter().map(|&t| t as f64).collect();
        r.tokens_interval = (!t.is_empty()).then(|| stats::bootstrap_means(&[&t], None, &cfg)[0]);
    }
    let mut samples = Vec::new();
    for (si, r) in results.iter().enumerate().skip(1) {
        for (m, w) in scope_weights.iter().enumerate() {
            let a = &results[0].values[m];
            if !a.is_empty() {
                samples.push(PairedSample::new((si, m), a, &r.values[m]).weighted(w.as_deref()));
            }
        }
    }
    let mut vs_first = vec![vec![None; defs.len()]; results.len()];
    for c in stats::paired_comparisons(samples, &cfg) {
        let (si, m) = c.key;
        vs_first[si][m] = Some((c.paired, c.p_holm));
    }
    for (r, v) in results.iter_mut().zip(vs_first) {
        r.vs_first = v;
    }

    let verdict = verdict(&results, &defs);
    let rows = long_rows(&results, &defs);

    let mut provenance = Map::new();
    provenance.insert("ragdiag_version".into(), json!(env!("CARGO_PKG_VERSION")));
    provenance.insert(
        "command_line".into(),
        json!(std::env::args().collect::<Vec<_>>().join(" ")),
    );
    provenance.insert("corpus".into(), json!(inputs.corpus_label));
    provenance.insert("corpus_sha256".into(), json!(corpus_hash));
    provenance.insert("queries".into(), json!(inputs.queries_label));
    provenance.insert("queries_sha256".into(), json!(inputs.queries_sha256));
    provenance.insert("model".into(), json!(embed_choice.spec()));
    provenance.insert("model_id".into(), json!(model_id));
    provenance.insert("retriever".into(), json!(retriever.to_string()));
    provenance.insert("k".into(), json!(k));
    provenance.insert("exact".into(), json!(!ann));
    provenance.insert("seed".into(), json!(seed));
    provenance.insert("embedded_texts".into(), json!(embedded_total));
    provenance.insert(
        "elapsed_s".into(),
        json!((started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0),
    );
    provenance.insert("created_at".into(), json!(Timestamp::now().to_string()));

    let questions = inputs.queries.len();
    let with_spans = refs.iter().filter(|r| !r.is_empty()).count();
    let judged = (0..questions)
        .filter(|&qi| eligible(Scope::Doc, qi, &refs, &inputs.queries, &qrels))
        .count();
    let summary = json!({
        "schema_version": SCHEMA_VERSION,
        "command": "chunking",
        "k": k,
        "retriever": retriever.to_string(),
        "questions": questions,
        "questions_with_spans": with_spans,
        "questions_judged": judged,
        "baseline": results.first().map(|r| r.spec.clone()),
        "strategies": results.iter().map(|r| strategy_json(r, &defs)).collect::<Vec<_>>(),
        "verdict": verdict,
        "warnings": warnings,
        "provenance": Value::Object(provenance),
    });

    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let json_bytes = serde_json::to_vec_pretty(&summary)?;
    crate::fsutil::write_atomic(&args.out.join("summary.json"), &json_bytes)?;
    crate::fsutil::write_atomic(&args.out.join("strategies.parquet"), &parquet(&rows)?)?;
    let md = report_md(&summary, &results, &defs, &verdict, k);
    crate::fsutil::write_atomic(&args.out.join("report.md"), md.as_bytes())?;

    let out = match args.format {
        Format::Text => text_table(&results, &defs, &verdict),
        Format::Json => {
            let v = json!({
                "strategies": summary["strategies"],
                "verdict": summary["verdict"],
                "embedded_texts": embedded_total,
            });
            format!("{}\n", serde_json::to_string_pretty(&v)?)
        }
        Format::Csv => csv(&rows),
    };
    std::io::stdout().lock().write_all(out.as_bytes())?;
    if !printer.quiet() {
        eprintln!(
            "compared {} strategies on {questions} questions in {:.1} s; reports in {}",
            results.len(),
            started.elapsed().as_secs_f64(),
            args.out.display()
        );
    }
    Ok(ExitStatus::Success)
}

/// Parses and canonicalises the specs; a duplicate (after canonicalisation) is an error.
fn parse_strategies(list: &[String]) -> Result<Vec<ChunkerSpec>> {
    let mut specs: Vec<ChunkerSpec> = Vec::new();
    for s in list {
        let s = s.trim();
        if s.is_empty() {
            bail!("--strategies: an empty chunker spec");
        }
        let spec: ChunkerSpec = s.parse().map_err(|e| anyhow!("--strategies: {e}"))?;
        if specs.contains(&spec) {
            bail!("--strategies: {spec} is listed twice");
        }
        specs.push(spec);
    }
    if specs.is_empty() {
        bail!("--strategies: no chunker spec");
    }
    Ok(specs)
}

fn load_inputs(args: &ChunkingArgs) -> Result<Inputs> {
    let opts = LoadOptions {
        skip_invalid: args.skip_invalid,
    };
    if let Some(dir) = &args.chroma {
        let loaded = load_chroma(dir, &opts)?;
        for d in loaded.diagnostics.items() {
            eprintln!("{d}");
        }
        let csv = dir.join("questions_df.csv");
        return Ok(Inputs {
            docs: loaded.items.documents,
            queries: loaded.items.queries,
            corpus_label: dir.display().to_string(),
            queries_label: csv.display().to_string(),
            queries_sha256: file_sha256(&csv)?,
        });
    }
    let (Some(corpus), Some(queries)) = (&args.corpus, &args.queries) else {
        bail!("--corpus and --queries (or --chroma) are required");
    };
    let docs = load_corpus(corpus, &opts)?;
    for d in docs.diagnostics.items() {
        eprintln!("{d}");
    }
    let qs = load_queries(queries, &opts)?;
    for d in qs.diagnostics.items() {
        eprintln!("{d}");
    }
    Ok(Inputs {
        docs: docs.items,
        queries: qs.items,
        corpus_label: corpus.display().to_string(),
        queries_label: queries.display().to_string(),
        queries_sha256: file_sha256(queries)?,
    })
}

/// Every document's code points in one line, with a gap of two between documents, so that
/// ranges of different documents never meet (not even by touching).
struct Space<'a> {
    base: HashMap<&'a str, (usize, usize)>,
    texts: HashMap<&'a str, &'a str>,
}

impl<'a> Space<'a> {
    fn new(docs: &'a [Document]) -> Self {
        let mut base = HashMap::with_capacity(docs.len());
        let mut texts = HashMap::with_capacity(docs.len());
        let mut at = 0usize;
        for d in docs {
            let len = d.text.chars().count();
            base.insert(d.id.as_str(), (at, len));
            texts.insert(d.id.as_str(), d.text.as_str());
            at += len + 2;
        }
        Space { base, texts }
    }

    /// `start..end` of `doc` in the shared space (clamped to the document).
    fn range(&self, doc: &str, start: usize, end: usize) -> Option<Range<usize>> {
        let &(b, len) = self.base.get(doc)?;
        let (s, e) = (start.min(len), end.min(len));
        Some(b + s..b + e.max(s))
    }

    /// Each question's evidence ranges in the shared space (quotes located in their document),
    /// each with its document. Evidence in unknown documents or unlocatable quotes is a warning.
    fn references(
        &self,
        queries: &[Query],
        warnings: &mut Vec<String>,
    ) -> Vec<Vec<(String, Range<usize>)>> {
        queries
            .iter()
            .map(|q| {
                let mut out = Vec::new();
                for ev in &q.evidence {
                    let (doc, found) = match ev {
                        Evidence::Span { doc, start, end } => (doc, self.range(doc, *start, *end)),
                        Evidence::Quote { doc, quote } => {
                            let r = self.texts.get(doc.as_str()).and_then(|t| {
                                ragdiag_core::find_quote(t, quote)
                                    .and_then(|m| self.range(doc, m.start, m.end))
                            });
                            if r.is_none() && self.base.contains_key(doc.as_str()) {
                                warnings.push(format!(
                                    "{}: evidence: quote not found in {doc}; span metrics ignore it",
                                    q.origin
                                ));
                                continue;
                            }
                            (doc, r)
                        }
                    };
                    match found {
                        Some(r) => out.push((doc.clone(), r)),
                        None => warnings.push(format!(
                            "{}: evidence: unknown document {doc}; span metrics ignore it",
                            q.origin
                        )),
                    }
                }
                out
            })
            .collect()
    }
}

fn eligible(
    scope: Scope,
    qi: usize,
    refs: &[Vec<(String, Range<usize>)>],
    queries: &[Query],
    qrels: &Qrels,
) -> bool {
    match scope {
        Scope::Span => !refs[qi].is_empty(),
        Scope::Doc => qrels.get(&queries[qi].id).is_some(),
        Scope::All => true,
    }
}

/// What every strategy shares.
struct Ctx<'a> {
    inputs: &'a Inputs,
    space: &'a Space<'a>,
    refs: &'a [Vec<(String, Range<usize>)>],
    qrels: &'a Qrels,
    defs: &'a [MetricDef],
    k: usize,
    retriever: RetrieverKind,
    embedder: Option<&'a dyn Embedder>,
    cached: Option<&'a Cached>,
    model_id: Option<&'a str>,
    corpus_hash: &'a str,
    home: &'a Path,
    bars: &'a Bars,
}

fn run_strategy(
    args: &ChunkingArgs,
    quiet: bool,
    c: &Ctx<'_>,
    spec: &str,
) -> Result<StrategyResult> {
    let hnsw = !args.retrieval.exact_or(true) && c.embedder.is_some();
    let key = IndexKey {
        purpose: "chunking",
        corpus_sha256: c.corpus_hash,
        chunker: spec,
        model_id: c.model_id,
        variant: if hnsw { "hnsw" } else { "flat" },
    };
    let embedded_before = c.cached.map_or(0, Cached::embedded_texts);
    // The chunks' token counts: from the cached index's description, or from the build (with
    // its time).
    let CachedIndex {
        searcher,
        dir: index_dir,
        from_cache: was_cached,
        value: (tokens, build_s),
    } = cached_index(
        c.home,
        &key,
        |sr| {
            let t: Vec<usize> =
                serde_json::from_value(sr.meta().get("chunk_tokens")?.clone()).ok()?;
            (t.len() == sr.chunks().len()).then_some((t, None))
        },
        |dir| {
            let t0 = Instant::now();
            let (chunks, tokens) = chunk_inputs_with_tokens(
                &c.inputs.docs,
                spec,
                &args.model.model(),
                c.embedder,
                args.model.no_fetch,
                quiet,
            )
            .map_err(|e| anyhow!("{spec}: {e:#}"))?;
            if chunks.is_empty() {
                bail!("{spec}: the corpus gives no chunks");
            }
            let meta = json!({
                "corpus": c.inputs.corpus_label,
                "corpus_sha256": c.corpus_hash,
                "documents": c.inputs.docs.len(),
                "chunks": chunks.len(),
                "chunker": spec,
                "model_id": c.model_id,
                "chunk_tokens": tokens,
            });
            let options = IndexOptions {
                hnsw,
                meta,
                ..IndexOptions::default()
            };
            build_index(dir, &chunks, c.embedder, &options, c.bars)
                .with_context(|| format!("{spec}: cannot build the index"))?;
            Ok((tokens, Some(t0.elapsed().as_secs_f64())))
        },
    )?;
    let embedded = c.cached.map_or(0, Cached::embedded_texts) - embedded_before;

    let options = SearchOptions {
        retriever: c.retriever,
        k: c.k.min(searcher.chunks().len()).max(1),
        exact: args.retrieval.exact_or(true),
        ..SearchOptions::default()
    };
    let texts: Vec<&str> = c.inputs.queries.iter().map(|q| q.text.as_str()).collect();
    let out = searcher.search(&texts, &options, c.embedder, c.bars)?;

    // Chunks in the shared space, and per document for precision-Ω.
    let chunks = searcher.chunks();
    let ranges: Vec<Range<usize>> = chunks
        .iter()
        .map(|e| c.space.range(&e.doc, e.start, e.end).unwrap_or(0..0))
        .collect();
    let mut by_doc: HashMap<&str, Vec<Range<usize>>> = HashMap::new();
    for (e, r) in chunks.iter().zip(&ranges) {
        by_doc.entry(e.doc.as_str()).or_default().push(r.clone());
    }

    let mut values: Vec<Vec<f64>> = vec![Vec::new(); c.defs.len()];
    let doc_metrics = if c.qrels.is_empty() {
        HashMap::new()
    } else {
        let ids: Vec<&str> = c.inputs.queries.iter().map(|q| q.id.as_str()).collect();
        let rankings = doc_rankings(&searcher, &ids, &out.hits, c.k);
        let names = [format!("recall@{}", c.k), format!("ndcg@{}", c.k)];
        let table = ragdiag_eval::metric_table(
            &rankings,
            c.qrels,
            &c.inputs.queries,
            &names,
            args.stats.seed(),
        )?;
        let idx: Vec<usize> = names
            .iter()
            .map(|n| table.names.iter().position(|x| x == n).unwrap_or(0))
            .collect();
        table
            .per_query
            .into_iter()
            .map(|(qid, v)| (qid, [v[idx[0]], v[idx[1]]]))
            .collect::<HashMap<String, [f64; 2]>>()
    };
    for (qi, (q, hits)) in c.inputs.queries.iter().zip(&out.hits).enumerate() {
        let top = &hits[..hits.len().min(c.k)];
        let retrieved: Vec<Range<usize>> =
            top.iter().map(|h| ranges[h.key as usize].clone()).collect();
        let refs = &c.refs[qi];
        if !refs.is_empty() {
            let rr: Vec<Range<usize>> = refs.iter().map(|(_, r)| r.clone()).collect();
            let (recall, precision, iou) = span::retrieval_scores(&retrieved, &rr);
            let mut docs: Vec<&str> = refs.iter().map(|(d, _)| d.as_str()).collect();
            docs.sort_unstable();
            docs.dedup();
            let all: Vec<Range<usize>> = docs
                .iter()
                .flat_map(|d| by_doc.get(d).into_iter().flatten().cloned())
                .collect();
            let omega = span::precision_omega(&all, &rr);
            values[0].push(recall);
            values[1].push(precision);
            values[2].push(iou);
            values[3].push(omega);
        }
        if eligible(Scope::Doc, qi, c.refs, &c.inputs.queries, c.qrels) {
            let v = doc_metrics.get(&q.id).copied().unwrap_or([0.0, 0.0]);
            values[4].push(v[0]);
            values[5].push(v[1]);
        }
        values[6].push(top.iter().map(|h| tokens[h.key as usize] as f64).sum());
    }

    Ok(StrategyResult {
        spec: spec.to_owned(),
        chunks: chunks.len(),
        tokens,
        index_bytes: dir_size(&index_dir),
        index_dir,
        cached: was_cached,
        embedded,
        build_s,
        ann_recall: out.ann_recall,
        values,
        intervals: Vec::new(),
        tokens_interval: None,
        vs_first: Vec::new(),
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

fn percentile(sorted: &[usize], q: f64) -> Option<usize> {
    if sorted.is_empty() {
        return None;
    }
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    Some(sorted[i.min(sorted.len() - 1)])
}

fn p95(tokens: &[usize]) -> Option<usize> {
    let mut t = tokens.to_vec();
    t.sort_unstable();
    percentile(&t, 0.95)
}

fn interval_value(iv: Option<&Interval>) -> Value {
    match iv {
        Some(i) => json!({"mean": i.estimate, "ci_lower": i.lower, "ci_upper": i.upper, "n": i.n}),
        None => json!({"mean": null, "ci_lower": null, "ci_upper": null, "n": 0}),
    }
}

fn strategy_json(r: &StrategyResult, defs: &[MetricDef]) -> Value {
    let mut metrics = Map::new();
    let mut vs = Map::new();
    for (m, d) in defs.iter().enumerate() {
        metrics.insert(d.id.clone(), interval_value(r.intervals[m].as_ref()));
        if let Some((p, holm)) = &r.vs_first[m] {
            vs.insert(
                d.id.clone(),
                json!({
                    "diff": {"mean": p.diff.estimate, "ci_lower": p.diff.lower, "ci_upper": p.diff.upper, "n": p.diff.n},
                    "p_randomization": p.p_randomization,
                    "p_holm": holm,
                    "p_bootstrap": p.p_bootstrap,
                    "effect_size": p.effect_size,
                    "wins": p.wins,
                    "losses": p.losses,
                    "ties": p.ties,
                }),
            );
        }
    }
    let mut tokens = interval_value(r.tokens_interval.as_ref());
    tokens["p95"] = json!(p95(&r.tokens));
    json!({
        "strategy": r.spec,
        "chunks": r.chunks,
        "tokens_per_chunk": tokens,
        "index_bytes": r.index_bytes,
        "index": r.index_dir.display().to_string(),
        "index_cached": r.cached,
        "index_build_s": r.build_s,
        "embedded_texts": r.embedded,
        "ann_recall": r.ann_recall,
        "metrics": metrics,
        "vs_first": if vs.is_empty() { Value::Null } else { Value::Object(vs) },
    })
}

/// One row of `strategies.parquet` and `--format csv`.
struct Row {
    strategy: String,
    metric: String,
    mean: Option<f64>,
    lower: Option<f64>,
    upper: Option<f64>,
    n: i64,
    diff: Option<f64>,
    diff_lower: Option<f64>,
    diff_upper: Option<f64>,
    effect_size: Option<f64>,
    p_randomization: Option<f64>,
    p_holm: Option<f64>,
}

fn long_rows(results: &[StrategyResult], defs: &[MetricDef]) -> Vec<Row> {
    let mut rows = Vec::new();
    for r in results {
        for (m, d) in defs.iter().enumerate() {
            let iv = r.intervals[m];
            let p = r.vs_first[m];
            rows.push(Row {
                strategy: r.spec.clone(),
                metric: d.id.clone(),
                mean: iv.map(|i| i.estimate),
                lower: iv.map(|i| i.lower),
                upper: iv.map(|i| i.upper),
                n: iv.map_or(0, |i| i.n as i64),
                diff: p.map(|(p, _)| p.diff.estimate),
                diff_lower: p.map(|(p, _)| p.diff.lower),
                diff_upper: p.map(|(p, _)| p.diff.upper),
                effect_size: p.and_then(|(p, _)| p.effect_size),
                p_randomization: p.map(|(p, _)| p.p_randomization),
                p_holm: p.map(|(_, h)| h),
            });
        }
        let n = r.chunks as i64;
        let cost = |metric: &str, mean: Option<f64>, iv: Option<Interval>| Row {
            strategy: r.spec.clone(),
            metric: metric.to_owned(),
            mean,
            lower: iv.map(|i| i.lower),
            upper: iv.map(|i| i.upper),
            n,
            diff: None,
            diff_lower: None,
            diff_upper: None,
            effect_size: None,
            p_randomization: None,
            p_holm: None,
        };
        rows.push(cost("chunks", Some(r.chunks as f64), None));
        rows.push(cost(
            "tokens_per_chunk",
            r.tokens_interval.map(|i| i.estimate),
            r.tokens_interval,
        ));
        rows.push(cost(
            "tokens_per_chunk_p95",
            p95(&r.tokens).map(|v| v as f64),
            None,
        ));
        rows.push(cost("index_bytes", Some(r.index_bytes as f64), None));
    }
    rows
}

fn parquet(rows: &[Row]) -> Result<Vec<u8>> {
    let f = |g: &dyn Fn(&Row) -> Option<f64>| -> ArrayRef {
        Arc::new(Float64Array::from(rows.iter().map(g).collect::<Vec<_>>()))
    };
    let columns: Vec<(&str, ArrayRef)> = vec![
        (
            "strategy",
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|r| r.strategy.as_str()),
            )),
        ),
        (
            "metric",
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|r| r.metric.as_str()),
            )),
        ),
        ("mean", f(&|r| r.mean)),
        ("ci_lower", f(&|r| r.lower)),
        ("ci_upper", f(&|r| r.upper)),
        (
            "n",
            Arc::new(Int64Array::from(
                rows.iter().map(|r| r.n).collect::<Vec<_>>(),
            )),
        ),
        ("diff", f(&|r| r.diff)),
        ("diff_ci_lower", f(&|r| r.diff_lower)),
        ("diff_ci_upper", f(&|r| r.diff_upper)),
        ("effect_size", f(&|r| r.effect_size)),
        ("p_randomization", f(&|r| r.p_randomization)),
        ("p_holm", f(&|r| r.p_holm)),
    ];
    let batch = RecordBatch::try_from_iter(columns)?;
    Ok(ragdiag_load::parquet_bytes(&batch, SCHEMA_VERSION)?)
}

fn opt(v: Option<f64>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

fn csv(rows: &[Row]) -> String {
    let mut out = String::from(
        "strategy,metric,mean,ci_lower,ci_upper,n,diff,diff_ci_lower,diff_ci_upper,effect_size,p_randomization,p_holm\n",
    );
    for r in rows {
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{},{}",
            csv_field(&r.strategy),
            csv_field(&r.metric),
            opt(r.mean),
            opt(r.lower),
            opt(r.upper),
            r.n,
            opt(r.diff),
            opt(r.diff_lower),
            opt(r.diff_upper),
            opt(r.effect_size),
            opt(r.p_randomization),
            opt(r.p_holm)
        );
    }
    out
}

fn fmt_value(d: &MetricDef, v: f64) -> String {
    if d.percent {
        ragdiag_core::pct(v, 1)
    } else if d.id == "context_tokens" {
        format!("{v:.0}")
    } else {
        format!("{v:.3}")
    }
}

fn fmt_p(p: f64) -> String {
    if p < 0.001 {
        "p < 0.001".to_owned()
    } else if p < 0.01 {
        "p < 0.01".to_owned()
    } else {
        format!("p = {p:.2}")
    }
}

fn fmt_iv(d: &MetricDef, i: &Interval) -> String {
    format!(
        "{} (95% CI {}–{}, n {})",
        fmt_value(d, i.estimate),
        fmt_value(d, i.lower),
        fmt_value(d, i.upper),
        i.n
    )
}

/// Plain-language conclusions: the best strategy on recall and IoU (or document recall), and
/// each strategy against the first on IoU, recall and context tokens.
fn verdict(results: &[StrategyResult], defs: &[MetricDef]) -> Vec<String> {
    let mut lines = Vec::new();
    let Some(first) = results.first() else {
        return lines;
    };
    let mean = |r: &StrategyResult, m: usize| r.intervals[m].map(|i| i.estimate);
    let best = |m: usize| {
        results
            .iter()
            .filter(|r| mean(r, m).is_some())
            .max_by(|a, b| {
                mean(a, m)
                    .unwrap_or(0.0)
                    .total_cmp(&mean(b, m).unwrap_or(0.0))
            })
    };
    let has_spans = first.intervals[0].is_some();
    let headline: &[usize] = if has_spans { &[0, 2] } else { &[4] };
    for &m in headline {
        if let Some(b) = best(m) {
            if let Some(iv) = &b.intervals[m] {
                lines.push(format!(
                    "{} has the best {} ({})",
                    b.spec,
                    defs[m].label,
                    fmt_iv(&defs[m], iv)
                ));
            }
        }
    }
    let (quality, coverage) = if has_spans { (2, 0) } else { (5, 4) };
    for r in results.iter().skip(1) {
        let (Some(q1), Some(q0)) = (mean(r, quality), mean(first, quality)) else {
            continue;
        };
        let mut s = if q0 > 0.0 {
            format!(
                "{} gives {:.1}× the {} of {}",
                r.spec,
                q1 / q0,
                defs[quality].label,
                first.spec
            )
        } else {
            format!(
                "{} has {} {} against 0 for {}",
                r.spec,
                defs[quality].label,
                fmt_value(&defs[quality], q1),
                first.spec
            )
        };
        if let Some((_, h)) = r.vs_first[quality] {
            let _ = write!(s, " ({})", fmt_p(h));
        }
        if let (Some(c1), Some(c0), Some((_, h))) = (
            mean(r, coverage),
            mean(first, coverage),
            r.vs_first[coverage],
        ) {
            let word = if h >= 0.05 {
                "similar"
            } else if c1 > c0 {
                "higher"
            } else {
                "lower"
            };
            let _ = write!(
                s,
                " at {word} {} ({} vs {}, {})",
                defs[coverage].label,
                fmt_value(&defs[coverage], c1),
                fmt_value(&defs[coverage], c0),
                fmt_p(h)
            );
        }
        if let (Some(t1), Some(t0)) = (mean(r, 6), mean(first, 6)) {
            if t0 > 0.0 {
                let _ = write!(
                    s,
                    ", with {:.1}× the context tokens ({t1:.0} vs {t0:.0})",
                    t1 / t0
                );
            }
        }
        lines.push(s);
    }
    lines
}

fn human_bytes(b: u64) -> String {
    if b >= 1 << 20 {
        format!("{:.1} MB", b as f64 / f64::from(1u32 << 20))
    } else {
        format!("{:.1} kB", b as f64 / 1024.0)
    }
}

fn text_table(results: &[StrategyResult], defs: &[MetricDef], verdict: &[String]) -> String {
    let mut out = String::new();
    let width = results
        .iter()
        .map(|r| r.spec.len())
        .max()
        .unwrap_or(8)
        .max(8);
    let _ = write!(
        out,
        "{:<width$} {:>7} {:>9} {:>5} {:>9}",
        "strategy", "chunks", "tok/chunk", "p95", "index"
    );
    for d in defs {
        let _ = write!(out, " {:>14}", d.label);
    }
    out.push('\n');
    for r in results {
        let _ = write!(
            out,
            "{:<width$} {:>7} {:>9.1} {:>5} {:>9}",
            r.spec,
            r.chunks,
            r.tokens_interval.map_or(0.0, |i| i.estimate),
            p95(&r.tokens).unwrap_or(0),
            human_bytes(r.index_bytes)
        );
        for (m, d) in defs.iter().enumerate() {
            let cell = r.intervals[m].map_or("-".to_owned(), |i| fmt_value(d, i.estimate));
            let _ = write!(out, " {cell:>14}");
        }
        out.push('\n');
    }
    if let Some(first) = results.first() {
        let ns: Vec<String> = defs
            .iter()
            .zip(&first.intervals)
            .filter_map(|(d, i)| i.map(|i| format!("{} n={}", d.label, i.n)))
            .collect();
        let _ = writeln!(out, "({})", ns.join(", "));
    }
    if results.len() > 1 {
        let _ = writeln!(
            out,
            "\npaired against {} (Holm-corrected randomization p):",
            results[0].spec
        );
        for r in results.iter().skip(1) {
            let parts: Vec<String> = defs
                .iter()
                .zip(&r.vs_first)
                .filter_map(|(d, v)| {
                    v.map(|(p, h)| {
                        let sign = if p.diff.estimate >= 0.0 { "+" } else { "" };
                        let diff = if d.percent {
                            format!("{sign}{:.1} pts", 100.0 * p.diff.estimate)
                        } else {
                            format!("{sign}{}", fmt_value(d, p.diff.estimate))
                        };
                        format!("{} {diff} ({})", d.label, fmt_p(h))
                    })
                })
                .collect();
            let _ = writeln!(out, "  {}: {}", r.spec, parts.join("; "));
        }
    }
    if !verdict.is_empty() {
        out.push('\n');
        for v in verdict {
            let _ = writeln!(out, "{v}.");
        }
    }
    out
}

fn report_md(
    summary: &Value,
    results: &[StrategyResult],
    defs: &[MetricDef],
    verdict: &[String],
    k: usize,
) -> String {
    let mut md = String::from("# Chunking strategies\n\n");
    let _ = writeln!(
        md,
        "{} questions ({} with evidence spans, {} with relevant documents), top {k} chunks by {} retrieval.\n",
        summary["questions"], summary["questions_with_spans"], summary["questions_judged"], summary["retriever"].as_str().unwrap_or("")
    );
    for v in verdict {
        let _ = writeln!(md, "- {v}.");
    }
    md.push_str("\n## Quality (mean, 95% CI)\n\n| strategy |");
    for d in defs {
        let _ = write!(md, " {} |", d.label);
    }
    md.push_str("\n|---|");
    for _ in defs {
        md.push_str("---:|");
    }
    md.push('\n');
    for r in results {
        let _ = write!(md, "| `{}` |", r.spec);
        for (m, d) in defs.iter().enumerate() {
            match &r.intervals[m] {
                Some(i) => {
                    let _ = write!(
                        md,
                        " {} [{}, {}] |",
                        fmt_value(d, i.estimate),
                        fmt_value(d, i.lower),
                        fmt_value(d, i.upper)
                    );
                }
                None => md.push_str(" – |"),
            }
        }
        md.push('\n');
    }
    md.push_str("\n## Cost\n\n| strategy | chunks | tokens/chunk (mean) | tokens/chunk (p95) | index size |\n|---|---:|---:|---:|---:|\n");
    for r in results {
        let _ = writeln!(
            md,
            "| `{}` | {} | {:.1} | {} | {} |",
            r.spec,
            r.chunks,
            r.tokens_interval.map_or(0.0, |i| i.estimate),
            p95(&r.tokens).unwrap_or(0),
            human_bytes(r.index_bytes)
        );
    }
    if results.len() > 1 {
        let _ = writeln!(
            md,
            "\n## Against `{}` (paired; difference with 95% CI; randomization p, Holm-corrected)\n",
            results[0].spec
        );
        md.push_str(
            "| strategy | metric | difference | CI | p (Holm) |\n|---|---|---:|---|---:|\n",
        );
        for r in results.iter().skip(1) {
            for (d, v) in defs.iter().zip(&r.vs_first) {
                if let Some((p, h)) = v {
                    let _ = writeln!(
                        md,
                        "| `{}` | {} | {} | [{}, {}] | {:.4} |",
                        r.spec,
                        d.label,
                        fmt_value(d, p.diff.estimate),
                        fmt_value(d, p.diff.lower),
                        fmt_value(d, p.diff.upper),
                        h
                    );
                }
            }
        }
    }
    md.push_str(
        "\nSpan metrics follow Chroma's chunking evaluation (recall, precision, IoU over the \
         retrieved chunks' character ranges; precision-Ω over every chunk that meets the \
         evidence). `strategies.parquet` holds one row per strategy and metric.\n",
    );
    md
}
