//! `ragdiag search`: replay queries against an index and write a TREC run (and, with judgments,
//! the headline metrics with their confidence intervals).

use super::open_model;
use crate::cli::{Format, FusionArg, SearchArgs};
use crate::printer::Printer;
use crate::ExitStatus;
use anyhow::{anyhow, bail, Context, Result};
use ragdiag_core::{Qrels, Query};
use ragdiag_embed::Embedder;
use ragdiag_eval::{metric_table, trec_run, MeasureSet, MetricTable};
use ragdiag_load::{load_beir_queries_with_qrels, load_qrels, load_queries, LoadOptions};
use ragdiag_retrieve::{
    check_query_model, chunk_depth, doc_rankings, query_model, Fusion, SearchOptions, Searcher,
};
use serde_json::json;
use std::fmt::Write as _;
use std::time::Instant;

pub(crate) fn run(args: &SearchArgs, printer: Printer) -> Result<ExitStatus> {
    let Some(index) = &args.index else {
        return run_engine(args, printer);
    };
    let searcher = Searcher::open(index)
        .with_context(|| format!("cannot open the index {}", index.display()))?;
    let (queries, qrels) = load_inputs(args, printer)?;
    if queries.is_empty() {
        bail!("{}: no queries to search", args.queries.display());
    }
    // A usage error stops here, before the search and before `--run` is written.
    let measures = match qrels {
        Some(_) => Some(MeasureSet::parse(&args.measures).map_err(|e| anyhow!("--measure: {e}"))?),
        None => None,
    };
    let retriever = args.retrieval.retriever();
    let embedder = match query_model(&searcher, index, args.model.model.as_ref(), retriever)? {
        Some(choice) => {
            let e = open_model(&choice, args.model.no_fetch, printer)?;
            check_query_model(&searcher, index, e.as_ref().map(|e| e.model_id()))?;
            e
        }
        None => None,
    };

    let k = usize::try_from(args.k).unwrap_or(usize::MAX);
    let options = SearchOptions {
        retriever,
        k: chunk_depth(&searcher, k),
        exact: args.retrieval.exact_or(false),
        fusion: match args.fusion {
            FusionArg::Rrf => Fusion::Rrf { k: args.rrf_k },
            FusionArg::Weighted => Fusion::Weighted {
                bm25: args.weights.0,
                dense: args.weights.1,
            },
        },
        fusion_depth: args.fusion_depth,
        measure_ann_recall: true,
    };
    let texts: Vec<&str> = queries.iter().map(|q| q.text.as_str()).collect();
    let bars = printer.bars();
    let started = Instant::now();
    let out = searcher.search(
        &texts,
        &options,
        embedder.as_ref().map(|e| e as &dyn Embedder),
        &bars,
    )?;
    if let Some(e) = &embedder {
        e.flush().context("cannot save the embedding cache")?;
    }
    let elapsed = started.elapsed();

    let ids: Vec<&str> = queries.iter().map(|q| q.id.as_str()).collect();
    let rankings = doc_rankings(&searcher, &ids, &out.hits, k);
    let run = trec_run(&rankings, &format!("ragdiag-{retriever}"));
    match &args.run {
        Some(path) => crate::fsutil::write_atomic(path, run.as_bytes())
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => printer.data(&run)?,
    }

    printer.note(format_args!(
        "searched {} queries with {retriever} in {:.2} s ({:.0} queries/s; query embedding {:.2} s)",
        queries.len(),
        elapsed.as_secs_f64(),
        queries.len() as f64 / out.search_time.as_secs_f64().max(1e-9),
        out.embed_time.as_secs_f64()
    ));
    if let Some(r) = out.ann_recall {
        // Reported on every run that used the HNSW graph, even with --quiet: it qualifies the
        // figures.
        printer.say(format_args!(
            "HNSW recall@{} against exact search: {r:.4} (ef {}, {} queries)",
            options.k,
            out.ann_ef.unwrap_or(0),
            queries.len()
        ));
    }

    if let (Some(qrels), Some(measures)) = (qrels, measures) {
        let mut table = metric_table(
            &rankings,
            &qrels,
            &queries,
            &args.measures,
            args.stats.seed(),
        )?;
        let deeper = deeper_than_run(&measures, k);
        if !deeper.is_empty() {
            drop_columns(&mut table, &deeper);
            printer.warn(format_args!(
                "{} omitted: deeper than the run, which keeps {k} documents per question \
                 (--k {k}); raise --k to measure them",
                deeper.join(", ")
            ));
        }
        let text = metrics_text(&table, args.format, out.ann_recall, &retriever.to_string())?;
        if args.run.is_some() {
            printer.data(&text)?;
        } else {
            // The run is on stdout: the table goes to stderr so the run stays clean.
            printer.say(text.trim_end_matches('\n'));
        }
    }
    Ok(ExitStatus::Success)
}

/// `--engine`: the engine retrieves each question's top `--k`, rolled up to documents in its
/// order; a question whose retrieval failed is warned about and left out of the run and the
/// metrics (never scored as a miss).
fn run_engine(args: &SearchArgs, printer: Printer) -> Result<ExitStatus> {
    let path = args
        .engine
        .engine
        .as_ref()
        .context("--index or --engine is required")?;
    let config = crate::settings::read_engine(path)?;
    let (queries, qrels) = load_inputs(args, printer)?;
    if queries.is_empty() {
        bail!("{}: no queries to search", args.queries.display());
    }
    let measures = match qrels {
        Some(_) => Some(MeasureSet::parse(&args.measures).map_err(|e| anyhow!("--measure: {e}"))?),
        None => None,
    };
    let k = usize::try_from(args.k).unwrap_or(usize::MAX);
    let concurrency = args
        .engine
        .concurrency
        .map(|c| usize::try_from(c).unwrap_or(usize::MAX));
    let asked = super::engine_input::ask(
        &config,
        &queries,
        k,
        &args.model.model(),
        args.model.no_fetch,
        concurrency,
        printer,
    )?;
    let failures = asked.failures(&queries);
    for c in failures.collapse(3) {
        printer.warn(c);
    }
    asked.check_any()?;
    let (kept, rankings): (Vec<Query>, Vec<_>) = queries
        .iter()
        .zip(&asked.results)
        .filter_map(|(q, r)| {
            let hits = r.as_ref().ok()?;
            Some((
                q.clone(),
                ragdiag_engine::items::doc_ranking(&q.id, hits, k),
            ))
        })
        .unzip();
    let run = trec_run(&rankings, "ragdiag-engine");
    match &args.run {
        Some(path) => crate::fsutil::write_atomic(path, run.as_bytes())
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => printer.data(&run)?,
    }
    if let (Some(qrels), Some(measures)) = (qrels, measures) {
        let mut table = metric_table(&rankings, &qrels, &kept, &args.measures, args.stats.seed())?;
        let deeper = deeper_than_run(&measures, k);
        if !deeper.is_empty() {
            drop_columns(&mut table, &deeper);
            printer.warn(format_args!(
                "{} omitted: deeper than the run, which keeps {k} documents per question \
                 (--k {k}); raise --k to measure them",
                deeper.join(", ")
            ));
        }
        if kept.len() < queries.len() {
            printer.warn(format_args!(
                "{} of {} questions failed to retrieve and are left out of the metrics",
                queries.len() - kept.len(),
                queries.len()
            ));
        }
        let text = metrics_text(&table, args.format, None, "engine")?;
        if args.run.is_some() {
            printer.data(&text)?;
        } else {
            printer.say(text.trim_end_matches('\n'));
        }
    }
    Ok(ExitStatus::Success)
}

/// Queries and the judgments to score them with: `--qrels` (then only judged queries are
/// searched), else the queries' own `relevant` lists (if any).
fn load_inputs(args: &SearchArgs, printer: Printer) -> Result<(Vec<Query>, Option<Qrels>)> {
    let opts = LoadOptions::default();
    match &args.qrels {
        Some(path) => {
            let qrels = load_qrels(path, None, &opts)?;
            for d in qrels.diagnostics.items() {
                printer.say(d);
            }
            let qrels = qrels.items;
            let queries = load_beir_queries_with_qrels(&args.queries, &qrels, path, &opts)?;
            for d in queries.diagnostics.items() {
                printer.say(d);
            }
            Ok((queries.items, Some(qrels)))
        }
        None => {
            let queries = load_queries(&args.queries, &opts)?;
            for d in queries.diagnostics.items() {
                printer.say(d);
            }
            let qrels = Qrels::from_queries(&queries.items);
            let qrels = (!qrels.is_empty()).then_some(qrels);
            Ok((queries.items, qrels))
        }
    }
}

/// The measures whose cutoff lies beyond the `k` documents a run keeps per question: their
/// figures would be the cutoff-`k` figure (recall) or deflated by it (precision), not what
/// their names say.
fn deeper_than_run(measures: &MeasureSet, k: usize) -> Vec<String> {
    measures
        .columns()
        .iter()
        .filter(|c| {
            c.cutoff
                .is_some_and(|c| usize::try_from(c).map_or(true, |c| c > k))
        })
        .map(ragdiag_eval::Column::alias)
        .collect()
}

/// Removes the columns named `names` from `table`.
fn drop_columns(table: &mut MetricTable, names: &[String]) {
    let keep: Vec<bool> = table.names.iter().map(|n| !names.contains(n)).collect();
    fn retain<T>(v: &mut Vec<T>, keep: &[bool]) {
        let mut flags = keep.iter();
        v.retain(|_| flags.next().copied().unwrap_or(true));
    }
    retain(&mut table.names, &keep);
    retain(&mut table.intervals, &keep);
    table.per_query.retain_columns(&keep);
}

fn metrics_text(
    table: &MetricTable,
    format: Format,
    ann_recall: Option<f64>,
    retriever: &str,
) -> Result<String> {
    let mut out = String::new();
    match format {
        Format::Text => {
            let _ = writeln!(
                out,
                "{:<12} {:>7}  {:<17} {:>5}",
                "measure", "mean", "95% CI", "n"
            );
            for (name, iv) in table.names.iter().zip(&table.intervals) {
                let _ = writeln!(
                    out,
                    "{name:<12} {:>7.4}  [{:.4}, {:.4}]  {:>5}",
                    iv.estimate, iv.lower, iv.upper, iv.n
                );
            }
        }
        Format::Json => {
            let metrics: serde_json::Map<String, serde_json::Value> = table
                .names
                .iter()
                .zip(&table.intervals)
                .map(|(name, iv)| {
                    (
                        name.clone(),
                        json!({"mean": iv.estimate, "ci_lower": iv.lower, "ci_upper": iv.upper, "n": iv.n}),
                    )
                })
                .collect();
            let v = json!({"retriever": retriever, "metrics": metrics, "ann_recall": ann_recall});
            let _ = writeln!(out, "{}", serde_json::to_string_pretty(&v)?);
        }
        Format::Csv => {
            let _ = writeln!(out, "measure,mean,ci_lower,ci_upper,n");
            for (name, iv) in table.names.iter().zip(&table.intervals) {
                let _ = writeln!(
                    out,
                    "{name},{},{},{},{}",
                    iv.estimate, iv.lower, iv.upper, iv.n
                );
            }
        }
    }
    Ok(out)
}
