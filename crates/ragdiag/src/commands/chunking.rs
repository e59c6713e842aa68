//! `ragdiag chunking`: compare chunking strategies on one corpus and question set.
//!
//! Each chunker spec of `--strategies` is measured by
//! `ragdiag_retrieve::chunking::measure_strategy` (its index cached under
//! `$RAGDIAG_HOME/indexes/`, exact vector search unless `--ann`) with the metrics of
//! `ragdiag_eval::chunking` (Chroma's span metrics, document `recall@k` and `ndcg@k`, context
//! tokens; intervals and paired tests against the first strategy). The command writes
//! `summary.json` (a `ChunkingSummary`), `strategies.parquet` (the `STRATEGIES` table) and
//! `report.md`, and prints the table (`--format text`), the strategies and verdict as JSON, or
//! the table's rows as CSV.

use super::open_model;
use crate::cli::{ChunkingArgs, Format};
use crate::fsutil::{file_sha256, ReportFiles};
use crate::printer::Printer;
use crate::ExitStatus;
use anyhow::{anyhow, bail, Context, Result};
use ragdiag_chunk::{ChunkerSpec, Strategy};
use ragdiag_contract::chunking::ChunkingProvenance;
use ragdiag_contract::table::STRATEGIES;
use ragdiag_core::{Document, Query, Timestamp};
use ragdiag_embed::{Embedder as _, ModelChoice};
use ragdiag_eval::chunking::Questions;
use ragdiag_load::{load_chroma, load_corpus, load_queries, LoadOptions};
use ragdiag_retrieve::chunking::{
    chunking_summary, measure_strategy, strategies_columns, StrategyOptions,
};
use ragdiag_retrieve::{corpus_sha256, RetrieverKind};
use std::path::Path;
use std::time::Instant;

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
    let inputs = load_inputs(args, printer)?;
    if inputs.docs.is_empty() {
        bail!("{}: the corpus holds no documents", inputs.corpus_label);
    }
    if inputs.queries.is_empty() {
        bail!("{}: no questions", inputs.queries_label);
    }
    let k = usize::try_from(args.k).unwrap_or(usize::MAX);
    let retriever = args.retrieval.retriever();
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

    let questions = Questions::new(&inputs.docs, &inputs.queries, k);
    for w in &questions.warnings {
        printer.warn(w);
    }
    let corpus_hash = corpus_sha256(&inputs.docs);
    let home = ragdiag_embed::cache_home(&ragdiag_embed::ModelOptions::default())?;
    let options = StrategyOptions {
        home: &home,
        corpus_label: &inputs.corpus_label,
        corpus_sha256: &corpus_hash,
        retriever,
        exact: args.retrieval.exact_or(true),
        model: &model,
        no_fetch: args.model.no_fetch,
        quiet: printer.quiet(),
        seed: args.stats.seed(),
    };
    let bars = printer.bars();
    let mut runs = Vec::with_capacity(specs.len());
    for (i, spec) in specs.iter().map(ToString::to_string).enumerate() {
        printer.note(format_args!("strategy {}/{}: {spec}", i + 1, specs.len()));
        let r = measure_strategy(
            &inputs.docs,
            &questions,
            &spec,
            &options,
            embedder.as_ref(),
            &bars,
        )?;
        if let Some(e) = &embedder {
            e.flush().context("cannot save the embedding cache")?;
        }
        if let Some(w) = &r.cache_rebuilt {
            printer.warn(w);
        }
        let how = if r.from_cache {
            "index from the cache".to_owned()
        } else {
            format!(
                "index built in {:.1} s (embedded {} new texts)",
                r.build_s.unwrap_or(0.0),
                r.embedded_texts
            )
        };
        printer.note(format_args!("{spec}: {} chunks; {how}", r.chunks));
        runs.push(r);
    }

    let provenance = ChunkingProvenance {
        ragdiag_version: env!("CARGO_PKG_VERSION").into(),
        command_line: std::env::args().collect::<Vec<_>>().join(" "),
        corpus: inputs.corpus_label.clone(),
        corpus_sha256: corpus_hash.clone(),
        queries: inputs.queries_label.clone(),
        queries_sha256: inputs.queries_sha256.clone(),
        model: embed_choice.spec(),
        model_id: embedder.as_ref().map(|e| e.model_id().to_owned()),
        retriever: retriever.to_string(),
        k,
        exact: options.exact,
        seed: options.seed,
        embedded_texts: embedder.as_ref().map_or(0, |e| e.embedded_texts()),
        elapsed_s: (started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0,
        created_at: Timestamp::now().to_string(),
    };
    let mut summary = chunking_summary(&questions, &runs, provenance);
    summary.verdict = ragdiag_report::chunking_verdict(&summary);
    let columns = strategies_columns(&summary);

    let mut files = ReportFiles::new(&args.out)?;
    files.write("summary.json", &serde_json::to_vec_pretty(&summary)?)?;
    files.write(
        STRATEGIES.file,
        &ragdiag_load::table_bytes(&STRATEGIES, columns.clone())?,
    )?;
    let md = ragdiag_report::render_chunking_markdown(&summary);
    files.write("report.md", md.as_bytes())?;
    files.commit()?;

    let out = match args.format {
        Format::Text => ragdiag_report::render_chunking_text(&summary),
        Format::Json => {
            let v = serde_json::json!({
                "strategies": summary.strategies,
                "verdict": summary.verdict,
                "embedded_texts": summary.provenance.embedded_texts,
            });
            format!("{}\n", serde_json::to_string_pretty(&v)?)
        }
        Format::Csv => ragdiag_report::table_csv(&columns),
    };
    printer.data(&out)?;
    printer.note(format_args!(
        "compared {} strategies on {} questions in {:.1} s; reports in {}",
        runs.len(),
        summary.questions,
        started.elapsed().as_secs_f64(),
        args.out.display()
    ));
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

/// The corpus and questions: Chroma's folder, or `--corpus` and `--queries`; each load's
/// diagnostics printed.
fn load_inputs(args: &ChunkingArgs, printer: Printer) -> Result<Inputs> {
    let opts = LoadOptions {
        skip_invalid: args.skip_invalid,
    };
    if let Some(dir) = &args.chroma {
        let loaded = load_chroma(dir, &opts)?;
        for d in loaded.diagnostics.items() {
            printer.say(d);
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
        printer.say(d);
    }
    let qs = load_queries(queries, &opts)?;
    for d in qs.diagnostics.items() {
        printer.say(d);
    }
    Ok(Inputs {
        docs: docs.items,
        queries: qs.items,
        corpus_label: corpus.display().to_string(),
        queries_label: queries.display().to_string(),
        queries_sha256: file_sha256(queries)?,
    })
}
