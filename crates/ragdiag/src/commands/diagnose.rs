//! `ragdiag diagnose`: replay (or read a trace), evaluate, check freshness, attribute every
//! failure, and write the reports.

use super::search::{chunk_depth, metrics, DocRanking};
use crate::cli::{DiagnoseArgs, GateOn, GlobalArgs};
use crate::fsutil::file_sha256;
use crate::stack::{
    cached_index, chunk_inputs, corpus_sha256, open_embedder, Bars, CachedIndex, IndexKey,
    ModelChoice,
};
use crate::ExitStatus;
use anyhow::{anyhow, bail, Context, Result};
use arrow::array::{ArrayRef, BooleanArray, Float64Array, Int64Array, StringArray};
use arrow::record_batch::RecordBatch;
use ragdiag_core::{Document, Qrels, Query, Timestamp, TraceRecord};
use ragdiag_diagnose::{
    diagnose, diagnose_trace, Class, Config as DiagConfig, Corpus, Diagnoses, Diagnosis, Mode,
    QueryInput, RetrievedItem, RetrieverRanks,
};
use ragdiag_embed::Embedder;
use ragdiag_eval::stats;
use ragdiag_fresh::{audit, Audit, DocFreshness};
use ragdiag_load::{
    load_beir_queries_with_qrels, load_corpus, load_qrels, load_queries, load_trace, LoadOptions,
};
use ragdiag_retrieve::{build_index, IndexOptions, RetrieverKind, SearchOptions};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Version of `summary.json`, `queries.parquet` and `hits.parquet` written by `diagnose`.
pub(crate) const SCHEMA_VERSION: u32 = 1;

/// Exact vector search is used for diagnosis up to this many chunks (DESIGN.md).
const EXACT_UP_TO: usize = 200_000;

/// Document-level measures of the report, in display order.
const MEASURES: [&str; 4] = ["recall.5,10,100", "ndcg_cut.10", "recip_rank", "map"];

/// Depths of the evidence-recall curve.
const CURVE: [usize; 9] = [1, 2, 3, 5, 10, 20, 30, 50, 100];

/// `ragdiag.toml`: the same settings as the flags (flags win).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    corpus: Option<PathBuf>,
    queries: Option<PathBuf>,
    qrels: Option<PathBuf>,
    trace: Option<PathBuf>,
    retriever: Option<String>,
    chunker: Option<String>,
    model: Option<String>,
    context_k: Option<usize>,
    pool_k: Option<usize>,
    cover: Option<f64>,
    as_of: Option<String>,
    fail_under: Option<BTreeMap<String, f64>>,
    gate_on: Option<String>,
    seed: Option<u64>,
    out: Option<PathBuf>,
    answer_f1: Option<f64>,
    ground_token_share: Option<f64>,
    ground_cosine: Option<f64>,
    ground_embeddings: Option<bool>,
}

/// The settings after merging flags, the config file and defaults.
struct Settings {
    corpus: PathBuf,
    queries: PathBuf,
    qrels: Option<PathBuf>,
    trace: Option<PathBuf>,
    retriever: RetrieverKind,
    chunker: String,
    model: ModelChoice,
    context_k: usize,
    pool_k: usize,
    cover: f64,
    as_of: Timestamp,
    gates: Vec<(String, f64)>,
    gate_lower_ci: bool,
    seed: u64,
    out: PathBuf,
    answer_f1: f64,
    ground_token_share: f64,
    ground_cosine: f64,
    ground_embeddings: bool,
}

/// A threshold in (0, 1].
fn unit(v: f64, name: &str) -> Result<f64> {
    if v > 0.0 && v <= 1.0 {
        Ok(v)
    } else {
        bail!("--{name} must be in (0, 1] (got {v})")
    }
}

fn settings(args: &DiagnoseArgs) -> Result<Settings> {
    let file: FileConfig = match &args.config {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read {}", p.display()))?;
            toml::from_str(&text).map_err(|e| anyhow!("{}: {e}", p.display()))?
        }
        None => FileConfig::default(),
    };
    // Paths in the config file are relative to the file.
    let base = args
        .config
        .as_deref()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let rel = |p: Option<PathBuf>| p.map(|p| if p.is_absolute() { p } else { base.join(p) });
    let need = |v: Option<PathBuf>, name: &str| {
        v.ok_or_else(|| anyhow!("--{name} is required (or `{name}` in the config file)"))
    };
    let retriever = match (args.retriever, file.retriever.as_deref()) {
        (Some(r), _) => r.into(),
        (None, Some(s)) => s.parse().map_err(|e: String| anyhow!("retriever: {e}"))?,
        (None, None) => RetrieverKind::Hybrid,
    };
    let model = match (&args.model, file.model.as_deref()) {
        (Some(m), _) => m.clone(),
        (None, Some(s)) => crate::stack::parse_model(s).map_err(|e| anyhow!("model: {e}"))?,
        (None, None) => ModelChoice::Default,
    };
    let as_of = match (args.as_of, file.as_of.as_deref()) {
        (Some(t), _) => t,
        (None, Some(s)) => {
            Timestamp::parse(s).ok_or_else(|| anyhow!("as_of: {s:?} is not a date"))?
        }
        (None, None) => Timestamp::now(),
    };
    let gates = match (&args.fail_under, file.fail_under) {
        (Some(g), _) => g.0.clone(),
        (None, Some(m)) => m.into_iter().collect(),
        (None, None) => Vec::new(),
    };
    // The command line's parser refuses these already; the config file's values land here.
    if let Some((m, v)) = gates.iter().find(|(_, v)| !v.is_finite()) {
        bail!("fail_under: {m} = {v}: the threshold must be finite");
    }
    let gate_lower_ci = match (args.gate_on, file.gate_on.as_deref()) {
        (Some(g), _) => g == GateOn::LowerCi,
        (None, Some("lower-ci")) => true,
        (None, Some("point") | None) => false,
        (None, Some(other)) => bail!("gate_on: {other:?} (expected point or lower-ci)"),
    };
    let context_k = args.context_k.or(file.context_k).unwrap_or(5);
    let pool_k = args.pool_k.or(file.pool_k).unwrap_or(100);
    let cover = args.cover.or(file.cover).unwrap_or(0.9);
    if context_k == 0 || pool_k < context_k {
        bail!("--context-k must be at least 1 and --pool-k at least --context-k");
    }
    if !(cover > 0.0 && cover <= 1.0) {
        bail!("--cover must be in (0, 1]");
    }
    Ok(Settings {
        corpus: need(args.corpus.clone().or(rel(file.corpus)), "corpus")?,
        queries: need(args.queries.clone().or(rel(file.queries)), "queries")?,
        qrels: args.qrels.clone().or(rel(file.qrels)),
        trace: args.trace.clone().or(rel(file.trace)),
        retriever,
        chunker: args
            .chunker
            .clone()
            .or(file.chunker)
            .unwrap_or_else(|| "doc".into()),
        model,
        context_k,
        pool_k,
        cover,
        as_of,
        gates,
        gate_lower_ci,
        seed: args.seed.or(file.seed).unwrap_or(42),
        out: need(args.out.clone().or(rel(file.out)), "out")?,
        answer_f1: unit(
            args.answer_f1.or(file.answer_f1).unwrap_or(0.8),
            "answer-f1",
        )?,
        ground_token_share: unit(
            args.ground_token_share
                .or(file.ground_token_share)
                .unwrap_or(0.6),
            "ground-token-share",
        )?,
        // Checked by the engine: a cosine in [-1, 1].
        ground_cosine: args.ground_cosine.or(file.ground_cosine).unwrap_or(0.75),
        ground_embeddings: args.ground_embeddings || file.ground_embeddings.unwrap_or(false),
    })
}

/// One question's retrieved list as the report shows it (chunk level, best first).
struct Retrieved {
    items: Vec<RetrievedItem>,
    /// Which retrievers found each item (`bm25`, `dense`, `bm25+dense`, `trace`).
    sources: Vec<String>,
    /// The answer the system gave (trace mode).
    answer: Option<String>,
}

pub(crate) fn run(args: &DiagnoseArgs, global: &GlobalArgs) -> Result<ExitStatus> {
    let s = settings(args)?;
    crate::fsutil::check_out_not_inside(&s.out, &[&s.corpus])?;
    let mut warnings: Vec<String> = Vec::new();
    let corpus_loaded = load_corpus(&s.corpus, &LoadOptions::default())?;
    warnings.extend(
        corpus_loaded
            .diagnostics
            .items()
            .iter()
            .map(ToString::to_string),
    );
    let docs = corpus_loaded.items;
    if docs.is_empty() {
        bail!("{}: the corpus holds no documents", s.corpus.display());
    }
    let queries = load_query_set(&s, &mut warnings)?;
    if queries.is_empty() {
        bail!("{}: no questions", s.queries.display());
    }
    let fresh_cfg = ragdiag_fresh::Config::new(s.as_of);
    let report = audit(&docs, &fresh_cfg);
    warnings.extend(report.findings.items().iter().map(ToString::to_string));
    let corpus = Corpus::new(&docs, &report);

    let mut provenance = Map::new();
    let (diagnoses, retrieved, trace) = match &s.trace {
        Some(path) => {
            let trace = load_trace(path, &LoadOptions::default())?;
            warnings.extend(trace.diagnostics.items().iter().map(ToString::to_string));
            let trace = trace.items;
            // Groundedness by embedding similarity too, when asked for (it needs the model).
            let embedder = if s.ground_embeddings {
                open_embedder(&s.model, false, global.quiet)?
            } else {
                None
            };
            let cfg = DiagConfig {
                embedder: embedder.as_ref().map(|e| e as &dyn Embedder),
                ..diag_config(&s, Mode::Trace)
            };
            let d = diagnose_trace(&corpus, &queries, &trace, &cfg)?;
            if let Some(e) = &embedder {
                e.flush().context("cannot save the embedding cache")?;
                provenance.insert("grounding_model_id".into(), json!(e.model_id()));
            }
            let retrieved = trace_retrieved(&queries, &trace, &corpus);
            provenance.insert("trace".into(), json!(path.display().to_string()));
            provenance.insert("trace_sha256".into(), json!(file_sha256(path)?));
            (d, retrieved, Some(trace))
        }
        None => {
            let (d, retrieved, model_id) =
                replay(&s, &docs, &queries, &corpus, global.quiet, &mut provenance)?;
            provenance.insert("model_id".into(), json!(model_id));
            (d, retrieved, None)
        }
    };
    warnings.extend(diagnoses.warnings.items().iter().map(ToString::to_string));

    // Document rankings: each document at its best (first) chunk; scores fall with rank.
    let rankings: Vec<DocRanking> = queries
        .iter()
        .zip(&retrieved)
        .map(|(q, r)| DocRanking {
            qid: q.id.clone(),
            docs: doc_order(&r.items),
        })
        .collect();
    let qrels = Qrels::from_queries(&queries);
    let measures: Vec<String> = MEASURES.iter().map(|m| (*m).to_owned()).collect();
    let table = if qrels.is_empty() {
        None
    } else {
        Some(metrics(&rankings, &qrels, &queries, &measures, s.seed)?)
    };

    let by_id: HashMap<&str, (&Document, &DocFreshness)> = docs
        .iter()
        .zip(&report.documents)
        .map(|(d, f)| (d.id.as_str(), (d, f)))
        .collect();
    let doc_lists: Vec<(String, Vec<String>)> = rankings
        .iter()
        .map(|r| {
            (
                r.qid.clone(),
                r.docs.iter().map(|(d, _)| d.clone()).collect(),
            )
        })
        .collect();
    let fresh =
        super::freshness::retrieval_level(&doc_lists, s.context_k, s.seed, &by_id, Some(&queries));

    let summary = build_summary(
        &s,
        args,
        &docs,
        &report,
        &queries,
        &diagnoses,
        table.as_ref(),
        &fresh,
        trace.as_deref(),
        &warnings,
        provenance,
    )?;

    // Outputs.
    std::fs::create_dir_all(&s.out)
        .with_context(|| format!("cannot create {}", s.out.display()))?;
    let mut json_bytes = serde_json::to_vec_pretty(&summary)?;
    json_bytes.push(b'\n');
    crate::fsutil::write_atomic(&s.out.join("summary.json"), &json_bytes)?;
    let mut run = String::new();
    for r in &rankings {
        for (i, (doc, score)) in r.docs.iter().enumerate() {
            let _ = writeln!(
                run,
                "{} Q0 {doc} {} {} ragdiag-diagnose",
                r.qid,
                i + 1,
                super::search::fmt_score(*score)
            );
        }
    }
    crate::fsutil::write_atomic(&s.out.join("run.trec"), run.as_bytes())?;
    crate::fsutil::write_atomic(
        &s.out.join("queries.parquet"),
        &queries_parquet(&queries, &diagnoses, table.as_ref())?,
    )?;
    crate::fsutil::write_atomic(
        &s.out.join("hits.parquet"),
        &hits_parquet(&queries, &retrieved, &by_id)?,
    )?;
    let views = question_views(
        &queries,
        &diagnoses,
        &retrieved,
        &by_id,
        table.as_ref(),
        s.context_k,
    );
    let md = ragdiag_report::render_markdown(&summary, &views);
    crate::fsutil::write_atomic(&s.out.join("report.md"), md.as_bytes())?;
    let html = ragdiag_report::render_html(&summary, &views);
    crate::fsutil::write_atomic(&s.out.join("report.html"), html.as_bytes())?;

    super::print_warnings(&warnings, &s.out.join("report.md"));
    for line in summary["headline"].as_array().into_iter().flatten() {
        println!("{}", line.as_str().unwrap_or(""));
    }
    println!("reports written to {}", s.out.display());
    let failed: Vec<&Value> = summary["gates"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|g| g["passed"] == false)
        .collect();
    for g in &failed {
        eprintln!(
            "gate failed: {} = {} is below {}{}",
            g["metric"].as_str().unwrap_or(""),
            fmt4(g["value"].as_f64()),
            fmt4(g["threshold"].as_f64()),
            if s.gate_lower_ci {
                " (lower CI bound)"
            } else {
                ""
            }
        );
    }
    Ok(if failed.is_empty() {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}

fn fmt4(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".into(), |v| format!("{v:.4}"))
}

fn load_query_set(s: &Settings, warnings: &mut Vec<String>) -> Result<Vec<Query>> {
    let opts = LoadOptions::default();
    let loaded = match &s.qrels {
        Some(path) => {
            let qrels = load_qrels(path, None, &opts)?;
            warnings.extend(qrels.diagnostics.items().iter().map(ToString::to_string));
            load_beir_queries_with_qrels(&s.queries, &qrels.items, path, &opts)?
        }
        None => load_queries(&s.queries, &opts)?,
    };
    warnings.extend(loaded.diagnostics.items().iter().map(ToString::to_string));
    Ok(loaded.items)
}

fn diag_config(s: &Settings, mode: Mode) -> DiagConfig<'static> {
    DiagConfig {
        mode,
        context_k: s.context_k,
        pool_k: s.pool_k,
        cover: s.cover,
        f1_threshold: s.answer_f1,
        grounding: ragdiag_diagnose::GroundingConfig {
            token_share: s.ground_token_share,
            embedding_cosine: s.ground_cosine,
        },
        ..DiagConfig::default()
    }
}

/// The trace's ranked lists, as items with located spans, in question order.
fn trace_retrieved(
    queries: &[Query],
    trace: &[TraceRecord],
    corpus: &Corpus<'_>,
) -> Vec<Retrieved> {
    let mut by_id: HashMap<&str, &TraceRecord> = HashMap::new();
    for t in trace {
        by_id.entry(t.query_id.as_str()).or_insert(t);
    }
    let mut scratch = ragdiag_core::Diagnostics::default();
    queries
        .iter()
        .map(|q| match by_id.get(q.id.as_str()) {
            Some(t) => {
                let items: Vec<RetrievedItem> = t
                    .retrieved
                    .iter()
                    .enumerate()
                    .map(|(i, h)| {
                        RetrievedItem::from_trace_hit(h, corpus, t, "retrieved", i, &mut scratch)
                    })
                    .collect();
                Retrieved {
                    sources: vec!["trace".into(); items.len()],
                    items,
                    answer: t.answer.clone(),
                }
            }
            None => Retrieved {
                items: Vec::new(),
                sources: Vec::new(),
                answer: None,
            },
        })
        .collect()
}

/// Replay: chunk, embed and index the corpus (cached), retrieve every question's pool, and
/// diagnose. Returns the diagnoses, the retrieved lists and the model id.
fn replay(
    s: &Settings,
    docs: &[Document],
    queries: &[Query],
    corpus: &Corpus<'_>,
    quiet: bool,
    provenance: &mut Map<String, Value>,
) -> Result<(Diagnoses, Vec<Retrieved>, Option<String>)> {
    let model = if s.retriever == RetrieverKind::Bm25 {
        ModelChoice::None
    } else {
        s.model.clone()
    };
    let embedder = open_embedder(&model, false, quiet)?;
    let model_id = embedder.as_ref().map(|e| e.model_id().to_owned());
    let corpus_hash = corpus_sha256(docs);
    let home = ragdiag_embed::cache_home(&ragdiag_embed::ModelOptions::default())?;
    let bars = Bars::new(quiet);
    let key = IndexKey {
        purpose: "diagnose",
        corpus_sha256: &corpus_hash,
        chunker: &s.chunker,
        model_id: model_id.as_deref(),
        variant: "",
    };
    let CachedIndex {
        searcher,
        dir: index_dir,
        ..
    } = cached_index(
        &home,
        &key,
        |_| Some(()),
        |dir| {
            let chunks = chunk_inputs(
                docs,
                &s.chunker,
                &model,
                embedder.as_ref().map(|e| e as &dyn Embedder),
                false,
                quiet,
            )?;
            let meta = json!({
                "corpus": s.corpus.display().to_string(),
                "corpus_sha256": corpus_hash,
                "documents": docs.len(),
                "chunks": chunks.len(),
                "chunker": s.chunker,
                "model_id": model_id,
            });
            let options = IndexOptions {
                // Diagnosis searches exactly (deterministic); the graph is for large corpora.
                hnsw: chunks.len() > EXACT_UP_TO,
                meta,
                ..IndexOptions::default()
            };
            build_index(
                dir,
                &chunks,
                embedder.as_ref().map(|e| e as &dyn Embedder),
                &options,
                &bars,
            )
            .context("cannot build the index")?;
            if let Some(e) = &embedder {
                e.flush().context("cannot save the embedding cache")?;
            }
            Ok(())
        },
    )?;
    let options = SearchOptions {
        retriever: s.retriever,
        k: s.pool_k.min(chunk_depth(&searcher, s.pool_k)).max(1),
        exact: searcher.chunks().len() <= EXACT_UP_TO,
        ..SearchOptions::default()
    };
    let texts: Vec<&str> = queries.iter().map(|q| q.text.as_str()).collect();
    let out = searcher.search(
        &texts,
        &options,
        embedder.as_ref().map(|e| e as &dyn Embedder),
        &bars,
    )?;
    if let Some(e) = &embedder {
        e.flush().context("cannot save the embedding cache")?;
    }
    if let Some(r) = out.ann_recall {
        provenance.insert("ann_recall".into(), json!(r));
    }
    provenance.insert("index".into(), json!(index_dir.display().to_string()));
    let chunks = searcher.chunks();
    let retrieved: Vec<Retrieved> = out
        .hits
        .iter()
        .map(|hits| {
            let mut items = Vec::with_capacity(hits.len());
            let mut sources = Vec::with_capacity(hits.len());
            for h in hits {
                let c = &chunks[h.key as usize];
                let chunk = ragdiag_core::Chunk::new(c.doc.clone(), c.index, c.start, c.end);
                let rank_of = |name: &str| {
                    h.sources
                        .iter()
                        .find(|x| x.retriever == name)
                        .map(|x| u32::try_from(x.rank).unwrap_or(u32::MAX))
                };
                let ranks = RetrieverRanks {
                    lexical: rank_of("bm25"),
                    dense: rank_of("dense"),
                };
                let ranks = (s.retriever == RetrieverKind::Hybrid).then_some(ranks);
                items.push(RetrievedItem::from_chunk(&chunk, h.score, ranks));
                sources.push(
                    h.sources
                        .iter()
                        .map(|x| x.retriever.as_str())
                        .collect::<Vec<_>>()
                        .join("+"),
                );
            }
            Retrieved {
                items,
                sources,
                answer: None,
            }
        })
        .collect();
    let inputs: Vec<QueryInput<'_>> = queries
        .iter()
        .zip(&retrieved)
        .map(|(q, r)| QueryInput::replay(q, r.items.clone()))
        .collect();
    let d = diagnose(corpus, &inputs, &diag_config(s, Mode::Replay))?;
    Ok((d, retrieved, model_id))
}

/// Documents in the order of their first chunk, scored so that trec_eval's order (score
/// descending) is this order: the item's score when scores fall with rank, else 1/rank.
fn doc_order(items: &[RetrievedItem]) -> Vec<(String, f64)> {
    let mut seen = std::collections::HashSet::new();
    let firsts: Vec<(&str, Option<f64>)> = items
        .iter()
        .filter(|i| seen.insert(i.doc.as_str()))
        .map(|i| (i.doc.as_str(), i.score))
        .collect();
    let monotone = firsts.iter().all(|(_, s)| s.is_some_and(f64::is_finite))
        && firsts
            .windows(2)
            .all(|w| w[0].1.unwrap_or(0.0) > w[1].1.unwrap_or(0.0));
    firsts
        .iter()
        .enumerate()
        .map(|(i, (d, sc))| {
            let score = if monotone {
                sc.unwrap_or(0.0)
            } else {
                1.0 / (i + 1) as f64
            };
            ((*d).to_owned(), score)
        })
        .collect()
}

fn interval_json(v: &[f64], weights: Option<&[f64]>, seed: u64) -> Value {
    if v.is_empty() {
        return json!({"mean": null, "ci_lower": null, "ci_upper": null, "n": 0});
    }
    let cfg = stats::Config {
        seed,
        ..stats::Config::default()
    };
    let i = stats::bootstrap_means(&[v], weights, &cfg)[0];
    json!({"mean": i.estimate, "ci_lower": i.lower, "ci_upper": i.upper, "n": i.n})
}

fn pct(x: f64) -> String {
    format!("{:.0}%", 100.0 * x)
}

#[allow(clippy::too_many_arguments)]
fn build_summary(
    s: &Settings,
    args: &DiagnoseArgs,
    docs: &[Document],
    report: &Audit,
    queries: &[Query],
    diagnoses: &Diagnoses,
    table: Option<&super::search::MetricTable>,
    fresh: &Value,
    trace: Option<&[TraceRecord]>,
    warnings: &[String],
    mut provenance: Map<String, Value>,
) -> Result<Value> {
    let ds = &diagnoses.diagnoses;
    let total = ds.len();
    let scored: Vec<usize> = (0..total)
        .filter(|&i| ds[i].class != Class::NoLabel)
        .collect();
    // "Found the right source": answerable, labelled questions whose evidence is in the window.
    let retrieval_scored: Vec<usize> = scored
        .iter()
        .copied()
        .filter(|&i| queries[i].answerable)
        .collect();
    let weights_of = |idx: &[usize]| -> Option<Vec<f64>> {
        stats::relative_weights(idx.iter().map(|&i| queries[i].weight).collect())
    };
    let hit_at = |i: usize, k: usize| -> f64 {
        if ds[i].best_gold_rank.is_some_and(|r| r <= k) {
            1.0
        } else {
            0.0
        }
    };
    let rw = weights_of(&retrieval_scored);
    let mut metrics = Map::new();
    let hit_name = format!("hit@{}", s.context_k);
    let hits: Vec<f64> = retrieval_scored
        .iter()
        .map(|&i| hit_at(i, s.context_k))
        .collect();
    metrics.insert(
        hit_name.clone(),
        interval_json(&hits, rw.as_deref(), s.seed),
    );
    if let Some(t) = table {
        for (name, iv) in t.names.iter().zip(&t.intervals) {
            metrics.insert(
                name.clone(),
                json!({"mean": iv.estimate, "ci_lower": iv.lower, "ci_upper": iv.upper, "n": iv.n}),
            );
        }
    }
    let curve: Vec<Value> = CURVE
        .iter()
        .filter(|&&k| k <= s.pool_k)
        .map(|&k| {
            let v: Vec<f64> = retrieval_scored.iter().map(|&i| hit_at(i, k)).collect();
            let mut j = interval_json(&v, rw.as_deref(), s.seed);
            j["k"] = json!(k);
            j
        })
        .collect();

    // Classes: shares of the scored questions, with intervals.
    let sw = weights_of(&scored);
    let mut classes = Map::new();
    for class in Class::ALL {
        let count = ds.iter().filter(|d| d.class == class).count();
        let mut entry = json!({"count": count});
        if class != Class::NoLabel {
            let v: Vec<f64> = scored
                .iter()
                .map(|&i| f64::from(u8::from(ds[i].class == class)))
                .collect();
            let iv = interval_json(&v, sw.as_deref(), s.seed);
            entry["share"] = iv["mean"].clone();
            entry["ci_lower"] = iv["ci_lower"].clone();
            entry["ci_upper"] = iv["ci_upper"].clone();
        }
        classes.insert(class.as_str().to_owned(), entry);
    }
    let mut flags = Map::new();
    for f in &diagnoses.summary.flags {
        flags.insert(f.flag.as_str().to_owned(), json!({"count": f.count}));
    }

    // Freshness of what was retrieved.
    let stale_docs = report
        .documents
        .iter()
        .filter(|f| f.stale == Some(true))
        .count();
    let undated = report
        .documents
        .iter()
        .filter(|f| f.stale.is_none())
        .count();
    let rate = &fresh["stale_hit_rate_at_k"];
    let top = &fresh["top_hit_stale_share"];
    let freshness = json!({
        "stale_hit_rate": {"k": s.context_k, "mean": rate["value"], "ci_lower": rate["ci_lower"], "ci_upper": rate["ci_upper"], "n": rate["n"]},
        "top_hit_stale_share": {"mean": top["value"], "ci_lower": top["ci_lower"], "ci_upper": top["ci_upper"], "n": top["n"]},
        "superseded_above_current": fresh["superseded_ranked_above_current"],
        "ghost_citations": fresh["ghost_citations"],
        "documents": docs.len(),
        "stale_documents": stale_docs,
        "undated_documents": undated,
        "conflicts": report.conflicts.len(),
    });

    // By tag.
    let mut tags: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for &i in &retrieval_scored {
        for t in &queries[i].tags {
            tags.entry(t.as_str()).or_default().push(i);
        }
    }
    let by_tag: Vec<Value> = tags
        .iter()
        .map(|(tag, idx)| {
            let v: Vec<f64> = idx.iter().map(|&i| hit_at(i, s.context_k)).collect();
            let failures = idx
                .iter()
                .filter(|&&i| !matches!(ds[i].class, Class::Ok))
                .count();
            json!({"tag": tag, "n": idx.len(), "hit_rate": interval_json(&v, None, s.seed), "failures": failures})
        })
        .collect();

    let mut summary = json!({
        "schema_version": SCHEMA_VERSION,
        "mode": if trace.is_some() { "trace" } else { "replay" },
        "name": s.out.file_name().map(|n| n.to_string_lossy().into_owned()),
        "questions": {"total": total, "scored": scored.len(), (Class::NoLabel.as_str()): total - scored.len(), "retrieval_scored": retrieval_scored.len()},
        "context_k": s.context_k,
        "pool_k": s.pool_k,
        "metrics": metrics,
        "recall_curve": curve,
        "classes": classes,
        "flags": flags,
        "freshness": freshness,
        "by_tag": by_tag,
    });

    if let Some(trace) = trace {
        summary["generation"] = generation(ds, queries, s.seed);
        let (lat, tok) = latency_tokens(trace, ds, queries);
        summary["latency_ms"] = lat;
        summary["tokens"] = tok;
    }

    // Gates.
    let mut gates = Vec::new();
    for (metric, threshold) in &s.gates {
        let Some(m) = summary["metrics"].get(metric.as_str()) else {
            let known: Vec<&String> = summary["metrics"]
                .as_object()
                .map(|o| o.keys().collect())
                .unwrap_or_default();
            bail!("--fail-under: unknown metric {metric:?} (this report has {known:?})");
        };
        let value = if s.gate_lower_ci {
            m["ci_lower"].as_f64()
        } else {
            m["mean"].as_f64()
        };
        let passed = value.is_some_and(|v| v >= *threshold);
        gates.push(json!({"metric": metric, "op": ">=", "threshold": threshold, "on": if s.gate_lower_ci {"lower_ci"} else {"point"}, "value": value, "passed": passed}));
    }
    summary["gates"] = json!(gates);
    summary["headline"] = json!(headline(&summary, &hit_name, s.context_k));
    summary["warnings"] = json!(warnings);

    provenance.insert("ragdiag_version".into(), json!(env!("CARGO_PKG_VERSION")));
    provenance.insert(
        "command".into(),
        json!(std::env::args().collect::<Vec<_>>().join(" ")),
    );
    provenance.insert("corpus".into(), json!(s.corpus.display().to_string()));
    provenance.insert("corpus_sha256".into(), json!(corpus_sha256(docs)));
    provenance.insert("queries".into(), json!(s.queries.display().to_string()));
    provenance.insert("queries_sha256".into(), json!(file_sha256(&s.queries)?));
    provenance.insert("chunker".into(), json!(s.chunker));
    provenance.insert("retriever".into(), json!(s.retriever.to_string()));
    provenance.insert("seed".into(), json!(s.seed));
    provenance.insert("as_of".into(), json!(s.as_of.to_string()));
    provenance.insert(
        "config".into(),
        json!(args.config.as_ref().map(|p| p.display().to_string())),
    );
    provenance.insert("created_at".into(), json!(Timestamp::now().to_string()));
    summary["provenance"] = Value::Object(provenance);
    Ok(summary)
}

/// Answer quality (trace mode). An answer to an unanswerable question is correct when it
/// abstains; otherwise it is correct as the attribution engine judged it (questions without a
/// reference answer are left out).
fn generation(ds: &[Diagnosis], queries: &[Query], seed: u64) -> Value {
    let answered: Vec<&Diagnosis> = ds.iter().filter(|d| d.answer.is_some()).collect();
    let correct: Vec<f64> = ds
        .iter()
        .zip(queries)
        .filter_map(|(d, q)| answer_ok(d, q))
        .map(|c| f64::from(u8::from(c)))
        .collect();
    let grounded: Vec<f64> = answered
        .iter()
        .filter_map(|d| d.answer.as_ref())
        .filter(|a| !a.abstained)
        .map(|a| f64::from(u8::from(a.grounded())))
        .collect();
    let abstained: Vec<f64> = answered
        .iter()
        .filter_map(|d| d.answer.as_ref())
        .map(|a| f64::from(u8::from(a.abstained)))
        .collect();
    json!({
        "answers": answered.len(),
        "correct": interval_json(&correct, None, seed),
        "grounded": interval_json(&grounded, None, seed),
        "abstained": interval_json(&abstained, None, seed),
    })
}

fn percentile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    // Nearest rank.
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1])
}

fn answer_ok(d: &Diagnosis, q: &Query) -> Option<bool> {
    let a = d.answer.as_ref()?;
    if q.answerable {
        a.correct
    } else {
        Some(a.abstained)
    }
}

fn latency_tokens(trace: &[TraceRecord], ds: &[Diagnosis], queries: &[Query]) -> (Value, Value) {
    let correct: std::collections::HashSet<&str> = ds
        .iter()
        .zip(queries)
        .filter(|(d, q)| answer_ok(d, q) == Some(true))
        .map(|(d, _)| d.query_id.as_str())
        .collect();
    let known: std::collections::HashSet<&str> = ds.iter().map(|d| d.query_id.as_str()).collect();
    let mut seen = std::collections::HashSet::new();
    let lines: Vec<&TraceRecord> = trace
        .iter()
        .filter(|t| known.contains(t.query_id.as_str()) && seen.insert(t.query_id.as_str()))
        .collect();
    let sorted = |f: &dyn Fn(&TraceRecord) -> Option<f64>| {
        let mut v: Vec<f64> = lines
            .iter()
            .filter_map(|t| f(t))
            .filter(|x| x.is_finite())
            .collect();
        v.sort_by(f64::total_cmp);
        v
    };
    let lat = sorted(&|t| t.latency_ms);
    let prompt = sorted(&|t| t.prompt_tokens);
    let completion = sorted(&|t| t.completion_tokens);
    let total_tokens: f64 = lines
        .iter()
        .map(|t| t.prompt_tokens.unwrap_or(0.0) + t.completion_tokens.unwrap_or(0.0))
        .sum();
    let per_correct = (!correct.is_empty() && (!prompt.is_empty() || !completion.is_empty()))
        .then(|| total_tokens / correct.len() as f64);
    (
        json!({"p50": percentile(&lat, 0.5), "p95": percentile(&lat, 0.95), "n": lat.len()}),
        json!({
            "prompt_p50": percentile(&prompt, 0.5), "prompt_p95": percentile(&prompt, 0.95),
            "completion_p50": percentile(&completion, 0.5), "completion_p95": percentile(&completion, 0.95),
            "per_correct_answer": per_correct, "n": prompt.len().max(completion.len()),
        }),
    )
}

/// The plain-language summary: what a product manager reads first.
fn headline(summary: &Value, hit_name: &str, k: usize) -> Vec<String> {
    let mut out = Vec::new();
    let hit = &summary["metrics"][hit_name];
    if let (Some(m), Some(l), Some(u)) = (
        hit["mean"].as_f64(),
        hit["ci_lower"].as_f64(),
        hit["ci_upper"].as_f64(),
    ) {
        out.push(format!(
            "Retrieval found the right source within the top {k} for {} of questions (95% CI {}–{}, n = {}).",
            pct(m),
            pct(l),
            pct(u),
            hit["n"]
        ));
    } else {
        out.push(
            "No question has relevance labels or evidence, so retrieval was not scored.".into(),
        );
    }
    let classes = summary["classes"].as_object();
    let scored = summary["questions"]["scored"].as_u64().unwrap_or(0);
    if let Some(classes) = classes {
        let mut failures: Vec<(Class, u64)> = Class::ALL
            .into_iter()
            .filter(|c| !matches!(c, Class::Ok | Class::NoLabel))
            .filter_map(|c| Some((c, classes.get(c.as_str())?["count"].as_u64().unwrap_or(0))))
            .filter(|(_, n)| *n > 0)
            .collect();
        failures.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.as_str().cmp(b.0.as_str())));
        let ok = classes
            .get(Class::Ok.as_str())
            .and_then(|v| v["count"].as_u64())
            .unwrap_or(0);
        if let Some((top, count)) = failures.first() {
            let total_fail: u64 = failures.iter().map(|f| f.1).sum();
            let share = &classes[top.as_str()];
            out.push(format!(
                "{total_fail} of {scored} scored questions fail and {ok} are ok. The largest cause of failure is {}: {count} questions, {} of those scored (95% CI {}–{}).",
                top.cause(),
                pct(share["share"].as_f64().unwrap_or(0.0)),
                pct(share["ci_lower"].as_f64().unwrap_or(0.0)),
                pct(share["ci_upper"].as_f64().unwrap_or(0.0)),
            ));
            if failures.len() > 1 {
                let rest: Vec<String> = failures[1..]
                    .iter()
                    .map(|(n, c)| format!("{} {c}", n.short()))
                    .collect();
                out.push(format!("Then: {}.", rest.join("; ")));
            }
        } else if scored > 0 {
            out.push(format!("All {scored} scored questions are ok."));
        }
    }
    let f = &summary["freshness"];
    let undated = f["undated_documents"].as_u64().unwrap_or(0);
    let documents = f["documents"].as_u64().unwrap_or(0);
    if documents > 0 && undated == documents {
        out.push(format!(
            "Freshness is unknown: none of the {documents} documents has a date (updated_at)."
        ));
    } else if let Some(rate) = f["stale_hit_rate"]["mean"].as_f64() {
        let unknown = if undated > 0 {
            format!(", {undated} undated")
        } else {
            String::new()
        };
        out.push(format!(
            "Stale content: {} of the top-{k} hits are stale ({} of {documents} documents are stale{unknown}); the top hit is stale for {} of questions.",
            pct(rate),
            f["stale_documents"],
            pct(f["top_hit_stale_share"]["mean"].as_f64().unwrap_or(0.0)),
        ));
    }
    if let Some(c) = summary["generation"]["correct"]["mean"].as_f64() {
        out.push(format!(
            "Answers: {} correct (95% CI {}–{}, n = {}).",
            pct(c),
            pct(summary["generation"]["correct"]["ci_lower"]
                .as_f64()
                .unwrap_or(0.0)),
            pct(summary["generation"]["correct"]["ci_upper"]
                .as_f64()
                .unwrap_or(0.0)),
            summary["generation"]["correct"]["n"]
        ));
    }
    for g in summary["gates"].as_array().into_iter().flatten() {
        if g["passed"] == false {
            out.push(format!(
                "Gate failed: {} is {} (must be at least {}).",
                g["metric"].as_str().unwrap_or(""),
                fmt4(g["value"].as_f64()),
                fmt4(g["threshold"].as_f64())
            ));
        }
    }
    out
}

/// Longest snippet shown for a retrieved chunk, in code points.
const SNIPPET: usize = 1200;

/// Code points `start..end` of `text` (clamped).
fn cp_slice(text: &str, start: usize, end: usize) -> &str {
    let n = ragdiag_core::char_len(text);
    let (s, e) = (start.min(n), end.min(n).max(start.min(n)));
    match ragdiag_core::char_span_to_bytes(text, s, e) {
        Some((a, b)) => &text[a..b],
        None => "",
    }
}

/// The drill-down of every question: the window and a few hits below it, and the best gold
/// chunk when it ranks lower, each with its evidence highlighted.
fn question_views(
    queries: &[Query],
    diagnoses: &Diagnoses,
    retrieved: &[Retrieved],
    by_id: &HashMap<&str, (&Document, &DocFreshness)>,
    table: Option<&super::search::MetricTable>,
    context_k: usize,
) -> Vec<ragdiag_report::QuestionView> {
    use ragdiag_report::{AnswerVerdict, GoldView, QuestionView, RetrievedView, RuleView};
    let per_query: HashMap<&str, (&[String], &Vec<f64>)> = table
        .map(|t| {
            t.per_query
                .iter()
                .map(|(q, v)| (q.as_str(), (t.names.as_slice(), v)))
                .collect()
        })
        .unwrap_or_default();
    queries
        .iter()
        .zip(&diagnoses.diagnoses)
        .zip(retrieved)
        .map(|((q, d), r)| {
            let mut gold: Vec<GoldView> = d
                .gold
                .iter()
                .filter(|g| g.labelled)
                .map(|g| GoldView {
                    doc: g.doc.clone(),
                    text: by_id
                        .get(g.doc.as_str())
                        .map(|(doc, _)| cp_slice(&doc.text, g.start, g.end).to_owned())
                        .unwrap_or_default(),
                })
                .collect();
            if gold.is_empty() {
                gold = q
                    .relevant
                    .iter()
                    .filter(|j| j.grade > 0)
                    .map(|j| GoldView {
                        doc: j.doc.clone(),
                        text: String::new(),
                    })
                    .collect();
            }
            let show = context_k + 3;
            let mut ranks: Vec<usize> = (0..r.items.len().min(show)).collect();
            if let Some(b) = d.best_gold_rank {
                if b > show && b <= r.items.len() {
                    ranks.push(b - 1);
                }
            }
            let views = ranks
                .into_iter()
                .map(|i| {
                    let item = &r.items[i];
                    let entry = by_id.get(item.doc.as_str());
                    let (span_text, offset) = match (item.span, entry) {
                        (Some((a, b)), Some((doc, _))) => (cp_slice(&doc.text, a, b), a),
                        _ => (item.text.as_deref().unwrap_or(""), 0),
                    };
                    let golds: Vec<(usize, usize)> = d
                        .gold
                        .iter()
                        .filter(|g| g.doc == item.doc)
                        .map(|g| (g.start, g.end))
                        .collect();
                    // A window of the chunk around its first gold overlap.
                    let len = ragdiag_core::char_len(span_text);
                    let first = item.span.and_then(|(a, b)| {
                        golds
                            .iter()
                            .filter(|&&(gs, ge)| gs < b && ge > a)
                            .map(|&(gs, _)| gs.saturating_sub(a))
                            .min()
                    });
                    let from = if len > SNIPPET {
                        first
                            .map_or(0, |f| f.saturating_sub(SNIPPET / 4))
                            .min(len - SNIPPET)
                    } else {
                        0
                    };
                    let to = (from + SNIPPET).min(len);
                    let mut text = cp_slice(span_text, from, to).to_owned();
                    if to < len {
                        text.push_str(" …");
                    }
                    let lo = offset + from;
                    let highlight = if item.span.is_some() {
                        golds
                            .iter()
                            .filter_map(|&(gs, ge)| {
                                let (s, e) = (gs.max(lo), ge.min(offset + to));
                                (s < e).then(|| (s - lo, e - lo))
                            })
                            .collect()
                    } else {
                        Vec::new()
                    };
                    let fresh = entry.map(|(_, f)| *f);
                    RetrievedView {
                        rank: i + 1,
                        doc: item.doc.clone(),
                        title: entry.and_then(|(doc, _)| doc.title.clone()),
                        text,
                        score: item.score,
                        stale: fresh.and_then(|f| f.stale),
                        stale_reason: fresh
                            .and_then(|f| f.stale_reason().map(|r| r.as_str().to_owned()))
                            .or_else(|| entry.is_none().then(|| "unknown document".to_owned())),
                        // The engine's own verdict, by the test that decided the class.
                        holds_evidence: d.holds_evidence.get(i).copied().unwrap_or(false),
                        in_window: i < context_k,
                        highlight,
                    }
                })
                .collect();
            let metrics = per_query
                .get(q.id.as_str())
                .map(|(names, values)| names.iter().cloned().zip(values.iter().copied()).collect())
                .unwrap_or_default();
            QuestionView {
                id: q.id.clone(),
                text: q.text.clone(),
                tags: q.tags.clone(),
                class: d.class.as_str().to_owned(),
                flags: d.flags.iter().map(|f| f.as_str().to_owned()).collect(),
                rule: Some(RuleView {
                    number: u32::from(d.rule.number()),
                    name: d.rule.name().to_owned(),
                }),
                reason: d.reason.clone(),
                evidence_rule: d.evidence_rule.map(|e| {
                    serde_json::to_value(e)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default()
                }),
                gold,
                reference_answers: q.reference_answers.clone(),
                answer: r.answer.clone(),
                verdict: d
                    .answer
                    .as_ref()
                    .map(|a| AnswerVerdict {
                        correct: a.correct,
                        grounded: Some(a.grounded()),
                        abstained: Some(a.abstained),
                    })
                    .unwrap_or_default(),
                retrieved: views,
                metrics,
            }
        })
        .collect()
}

fn parquet_bytes(columns: Vec<(String, ArrayRef)>) -> Result<Vec<u8>> {
    let batch = RecordBatch::try_from_iter(columns)?;
    crate::fsutil::parquet_bytes(&batch, SCHEMA_VERSION)
}

fn queries_parquet(
    queries: &[Query],
    diagnoses: &Diagnoses,
    table: Option<&super::search::MetricTable>,
) -> Result<Vec<u8>> {
    let ds = &diagnoses.diagnoses;
    let per_query: HashMap<&str, &Vec<f64>> = table
        .map(|t| t.per_query.iter().map(|(q, v)| (q.as_str(), v)).collect())
        .unwrap_or_default();
    let columns: Vec<(&str, ArrayRef)> = vec![
        (
            "query_id",
            Arc::new(StringArray::from_iter_values(
                queries.iter().map(|q| q.id.as_str()),
            )),
        ),
        (
            "text",
            Arc::new(StringArray::from_iter_values(
                queries.iter().map(|q| q.text.as_str()),
            )),
        ),
        (
            "class",
            Arc::new(StringArray::from_iter_values(
                ds.iter().map(|d| d.class.as_str()),
            )),
        ),
        (
            "flags",
            Arc::new(StringArray::from_iter_values(ds.iter().map(|d| {
                d.flags
                    .iter()
                    .map(|f| f.as_str())
                    .collect::<Vec<_>>()
                    .join(",")
            }))),
        ),
        (
            "rule",
            Arc::new(Int64Array::from_iter_values(
                ds.iter().map(|d| i64::from(d.rule.number())),
            )),
        ),
        (
            "rule_name",
            Arc::new(StringArray::from_iter_values(
                ds.iter().map(|d| d.rule.name()),
            )),
        ),
        (
            "reason",
            Arc::new(StringArray::from_iter_values(
                ds.iter().map(|d| d.reason.as_str()),
            )),
        ),
        (
            "best_gold_rank",
            Arc::new(Int64Array::from(
                ds.iter()
                    .map(|d| d.best_gold_rank.map(|r| r as i64))
                    .collect::<Vec<_>>(),
            )),
        ),
        (
            "answer_correct",
            Arc::new(BooleanArray::from(
                ds.iter()
                    .map(|d| d.answer.as_ref().and_then(|a| a.correct))
                    .collect::<Vec<_>>(),
            )),
        ),
        (
            "answer_grounded",
            Arc::new(BooleanArray::from(
                ds.iter()
                    .map(|d| d.answer.as_ref().map(|a| a.grounded()))
                    .collect::<Vec<_>>(),
            )),
        ),
        (
            "answer_abstained",
            Arc::new(BooleanArray::from(
                ds.iter()
                    .map(|d| d.answer.as_ref().map(|a| a.abstained))
                    .collect::<Vec<_>>(),
            )),
        ),
        (
            "hit",
            Arc::new(Float64Array::from(
                ds.iter()
                    .zip(queries)
                    .map(|(d, q)| {
                        (d.class != Class::NoLabel && q.answerable).then(|| {
                            f64::from(u8::from(d.best_gold_rank.is_some_and(|r| r <= d.context_k)))
                        })
                    })
                    .collect::<Vec<_>>(),
            )),
        ),
        (
            "weight",
            Arc::new(Float64Array::from_iter_values(
                queries.iter().map(|q| q.weight),
            )),
        ),
        (
            "tags",
            Arc::new(StringArray::from_iter_values(
                queries.iter().map(|q| q.tags.join(",")),
            )),
        ),
    ];
    let mut columns: Vec<(String, ArrayRef)> = columns
        .into_iter()
        .map(|(n, a)| (n.to_owned(), a))
        .collect();
    for (c, name) in table
        .map(|t| t.names.clone())
        .unwrap_or_default()
        .into_iter()
        .enumerate()
    {
        let values: Vec<Option<f64>> = queries
            .iter()
            .map(|q| per_query.get(q.id.as_str()).map(|v| v[c]))
            .collect();
        columns.push((name, Arc::new(Float64Array::from(values))));
    }
    parquet_bytes(columns)
}

fn hits_parquet(
    queries: &[Query],
    retrieved: &[Retrieved],
    by_id: &HashMap<&str, (&Document, &DocFreshness)>,
) -> Result<Vec<u8>> {
    let mut qid = Vec::new();
    let mut rank = Vec::new();
    let mut doc = Vec::new();
    let mut start = Vec::new();
    let mut end = Vec::new();
    let mut score = Vec::new();
    let mut retriever = Vec::new();
    let mut stale = Vec::new();
    let mut reason = Vec::new();
    for (q, r) in queries.iter().zip(retrieved) {
        for (i, (item, src)) in r.items.iter().zip(&r.sources).enumerate() {
            qid.push(q.id.as_str());
            rank.push(i as i64 + 1);
            doc.push(item.doc.as_str());
            start.push(item.span.map(|s| s.0 as i64));
            end.push(item.span.map(|s| s.1 as i64));
            score.push(item.score);
            retriever.push(src.as_str());
            let f = by_id.get(item.doc.as_str()).map(|(_, f)| *f);
            stale.push(f.and_then(|f| f.stale));
            reason.push(
                f.and_then(|f| f.stale_reason().map(|r| r.as_str()))
                    .or(if f.is_none() {
                        Some("unknown_document")
                    } else {
                        None
                    }),
            );
        }
    }
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("query_id", Arc::new(StringArray::from(qid))),
        ("rank", Arc::new(Int64Array::from(rank))),
        ("doc", Arc::new(StringArray::from(doc))),
        ("start", Arc::new(Int64Array::from(start))),
        ("end", Arc::new(Int64Array::from(end))),
        ("score", Arc::new(Float64Array::from(score))),
        ("retriever", Arc::new(StringArray::from(retriever))),
        ("stale", Arc::new(BooleanArray::from(stale))),
        ("stale_reason", Arc::new(StringArray::from(reason))),
    ];
    parquet_bytes(
        columns
            .into_iter()
            .map(|(n, a)| (n.to_owned(), a))
            .collect(),
    )
}
