//! `ragdiag search`: replay queries against an index and write a TREC run (and, with judgments,
//! the headline metrics with their confidence intervals).

use crate::cli::{Format, FusionArg, GlobalArgs, SearchArgs};
use crate::stack::{open_embedder, parse_model, Bars, Cached, ModelChoice};
use crate::ExitStatus;
use anyhow::{anyhow, bail, Context, Result};
use ragdiag_core::{Qrels, Query};
use ragdiag_embed::Embedder;
use ragdiag_eval::stats::{self, Interval};
use ragdiag_eval::{evaluate_topic, EvalParams, MeasureSet, Ranked};
use ragdiag_load::{load_beir_queries_with_qrels, load_qrels, load_queries, LoadOptions};
use ragdiag_retrieve::{Fusion, RetrieverKind, SearchOptions, Searcher};
use serde_json::json;
use std::fmt::Write as _;
use std::io::Write as _;
use std::time::Instant;

/// One query's documents, best first, with the scores written to the run.
pub(crate) struct DocRanking {
    pub(crate) qid: String,
    pub(crate) docs: Vec<(String, f64)>,
}

pub(crate) fn run(args: &SearchArgs, global: &GlobalArgs) -> Result<ExitStatus> {
    let searcher = Searcher::open(&args.index)
        .with_context(|| format!("cannot open the index {}", args.index.display()))?;
    let (queries, qrels) = load_inputs(args)?;
    if queries.is_empty() {
        bail!("{}: no queries to search", args.queries.display());
    }
    if qrels.is_some() {
        // A usage error stops here, before the search and before `--run` is written.
        MeasureSet::parse(&args.measures).map_err(|e| anyhow!("--measure: {e}"))?;
    }
    let retriever = RetrieverKind::from(args.retriever);
    let embedder = query_embedder(
        &searcher,
        &args.index,
        args.model.as_ref(),
        retriever,
        args.no_fetch,
        global.quiet,
    )?;

    let k = usize::try_from(args.k).unwrap_or(usize::MAX);
    let options = SearchOptions {
        retriever,
        k: chunk_depth(&searcher, k),
        exact: args.exact,
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
    let bars = Bars::new(global.quiet);
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

    let rankings = doc_rankings(&searcher, &queries, &out.hits, k);
    let tag = format!("ragdiag-{retriever}");
    write_run(args, &rankings, &tag)?;

    if !global.quiet {
        eprintln!(
            "searched {} queries with {retriever} in {:.2} s ({:.0} queries/s; query embedding {:.2} s)",
            queries.len(),
            elapsed.as_secs_f64(),
            queries.len() as f64 / out.search_time.as_secs_f64().max(1e-9),
            out.embed_time.as_secs_f64()
        );
    }
    if let Some(r) = out.ann_recall {
        // Reported on every run that used the HNSW graph, even with --quiet: it qualifies the
        // figures.
        eprintln!(
            "HNSW recall@{} against exact search: {r:.4} (ef {}, {} queries)",
            options.k,
            out.ann_ef.unwrap_or(0),
            queries.len()
        );
    }

    if let Some(qrels) = qrels {
        let table = metrics(&rankings, &qrels, &queries, &args.measures, args.seed)?;
        print_metrics(
            &table,
            args.format,
            out.ann_recall,
            retriever,
            args.run.is_some(),
        )?;
    }
    Ok(ExitStatus::Success)
}

/// The embedder for the queries of a dense or hybrid search (`None` for BM25): `model`, else
/// the model the index was built with; refused when it is not the index's model.
pub(crate) fn query_embedder(
    searcher: &Searcher,
    index: &std::path::Path,
    model: Option<&ModelChoice>,
    retriever: RetrieverKind,
    no_fetch: bool,
    quiet: bool,
) -> Result<Option<Cached>> {
    if retriever == RetrieverKind::Bm25 {
        return Ok(None);
    }
    let meta = searcher.meta();
    let choice = match model {
        Some(c) => c.clone(),
        None => {
            let spec = meta["model"].as_str().unwrap_or("none");
            parse_model(spec).map_err(|e| anyhow!("{}: model: {e}", index.display()))?
        }
    };
    let Some(e) = open_embedder(&choice, no_fetch, quiet)? else {
        bail!(
            "{}: the index was built without an embedding model (--model none), so only \
             --retriever bm25 can search it",
            index.display()
        );
    };
    if let Some(built) = meta["model_id"].as_str() {
        if built != e.model_id() {
            bail!(
                "{}: the index was built with {built}, the queries would be embedded with {}: \
                 rebuild the index or pass the same --model",
                index.display(),
                e.model_id()
            );
        }
    }
    Ok(Some(e))
}

/// Each query's chunk hits rolled up to its top `k` documents, in trec_eval's order.
pub(crate) fn doc_rankings(
    searcher: &Searcher,
    queries: &[Query],
    hits: &[Vec<ragdiag_retrieve::Hit>],
    k: usize,
) -> Vec<DocRanking> {
    queries
        .iter()
        .zip(hits)
        .map(|(q, hits)| {
            let mut docs = searcher.rollup_docs(hits, k);
            sort_trec(&mut docs);
            DocRanking {
                qid: q.id.clone(),
                docs,
            }
        })
        .collect()
}

/// Chunks to retrieve so that `k` documents usually survive the roll-up: `k` times the most
/// chunks any document has (at most 10 times), never more than the index holds.
pub(crate) fn chunk_depth(searcher: &Searcher, k: usize) -> usize {
    let most = searcher.max_chunks_per_doc().clamp(1, 10);
    k.saturating_mul(most).min(searcher.chunks().len().max(1))
}

/// Queries and the judgments to score them with: `--qrels` (then only judged queries are
/// searched), else the queries' own `relevant` lists (if any).
fn load_inputs(args: &SearchArgs) -> Result<(Vec<Query>, Option<Qrels>)> {
    let opts = LoadOptions::default();
    match &args.qrels {
        Some(path) => {
            let qrels = load_qrels(path, None, &opts)?;
            for d in qrels.diagnostics.items() {
                eprintln!("{d}");
            }
            let qrels = qrels.items;
            let queries = load_beir_queries_with_qrels(&args.queries, &qrels, path, &opts)?;
            for d in queries.diagnostics.items() {
                eprintln!("{d}");
            }
            Ok((queries.items, Some(qrels)))
        }
        None => {
            let queries = load_queries(&args.queries, &opts)?;
            for d in queries.diagnostics.items() {
                eprintln!("{d}");
            }
            let qrels = Qrels::from_queries(&queries.items);
            let qrels = (!qrels.is_empty()).then_some(qrels);
            Ok((queries.items, qrels))
        }
    }
}

/// trec_eval's order: score descending, then docno descending.
fn sort_trec(docs: &mut [(String, f64)]) {
    docs.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| b.0.cmp(&a.0)));
}

/// A score as written to a run: the shortest text that reads back as the same value (as an
/// `f32` when the score is one, so BM25 and cosine scores stay short).
pub(crate) fn fmt_score(score: f64) -> String {
    let narrow = score as f32;
    if f64::from(narrow) == score {
        format!("{narrow}")
    } else {
        format!("{score}")
    }
}

fn write_run(args: &SearchArgs, rankings: &[DocRanking], tag: &str) -> Result<()> {
    let mut buf = String::new();
    for r in rankings {
        for (i, (doc, score)) in r.docs.iter().enumerate() {
            let _ = writeln!(
                buf,
                "{} Q0 {doc} {} {} {tag}",
                r.qid,
                i + 1,
                fmt_score(*score)
            );
        }
    }
    match &args.run {
        Some(path) => crate::fsutil::write_atomic(path, buf.as_bytes())
            .with_context(|| format!("cannot write {}", path.display())),
        None => {
            std::io::stdout().lock().write_all(buf.as_bytes())?;
            Ok(())
        }
    }
}

/// The headline metrics: one interval per measure.
pub(crate) struct MetricTable {
    pub(crate) names: Vec<String>,
    pub(crate) intervals: Vec<Interval>,
    /// Per evaluated query: its id and one value per measure.
    pub(crate) per_query: Vec<(String, Vec<f64>)>,
}

/// Evaluates document rankings over every judged query searched (a query with no results scores
/// 0, as `trec_eval -c`; `trec_eval` on the written run agrees whenever every query has a
/// result).
pub(crate) fn metrics(
    rankings: &[DocRanking],
    qrels: &Qrels,
    queries: &[Query],
    requested: &[String],
    seed: u64,
) -> Result<MetricTable> {
    let measures = MeasureSet::parse(requested).map_err(|e| anyhow!("--measure: {e}"))?;
    let columns = measures.columns();
    let params = EvalParams::default();
    let weights: Vec<f64> = queries.iter().map(|q| q.weight).collect();
    let mut per_column: Vec<Vec<f64>> = vec![Vec::new(); columns.len()];
    let mut used_weights = Vec::new();
    let mut per_query = Vec::new();
    for (r, w) in rankings.iter().zip(&weights) {
        let Some(judged) = qrels.get(&r.qid) else {
            continue;
        };
        let mut ranking: Vec<Ranked<'_>> = r
            .docs
            .iter()
            .enumerate()
            .map(|(i, (d, s))| Ranked {
                docno: d,
                score: *s,
                tag: i as u32,
            })
            .collect();
        let values = evaluate_topic(judged, &mut ranking, &measures, &params)
            .map_err(|d| anyhow!("document {:?} ranked twice for {}", d.docno, r.qid))?;
        for (c, v) in values.iter().enumerate() {
            per_column[c].push(*v);
        }
        per_query.push((r.qid.clone(), values));
        used_weights.push(*w);
    }
    if used_weights.is_empty() {
        bail!("no searched query has relevance judgments");
    }
    let weights = stats::relative_weights(used_weights);
    let refs: Vec<&[f64]> = per_column.iter().map(Vec::as_slice).collect();
    let cfg = stats::Config {
        seed,
        ..stats::Config::default()
    };
    let intervals = stats::bootstrap_means(&refs, weights.as_deref(), &cfg);
    Ok(MetricTable {
        names: columns.iter().map(|c| c.alias()).collect(),
        intervals,
        per_query,
    })
}

fn print_metrics(
    table: &MetricTable,
    format: Format,
    ann_recall: Option<f64>,
    retriever: RetrieverKind,
    to_stdout: bool,
) -> Result<()> {
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
            let v = json!({"retriever": retriever.to_string(), "metrics": metrics, "ann_recall": ann_recall});
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
    if to_stdout {
        std::io::stdout().lock().write_all(out.as_bytes())?;
    } else {
        // The run is on stdout: the table goes to stderr so the run stays clean.
        eprint!("{out}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_round_trip_and_stay_short() {
        assert_eq!(fmt_score(f64::from(12.5f32)), "12.5");
        assert_eq!(fmt_score(f64::from(0.1f32)), "0.1");
        let rrf = 1.0 / 61.0 + 1.0 / 62.0;
        assert_eq!(fmt_score(rrf).parse::<f64>().unwrap(), rrf);
    }

    #[test]
    fn trec_order_breaks_ties_by_docno_descending() {
        let mut d = vec![
            ("a".to_owned(), 1.0),
            ("c".to_owned(), 1.0),
            ("b".to_owned(), 2.0),
        ];
        sort_trec(&mut d);
        let names: Vec<&str> = d.iter().map(|x| x.0.as_str()).collect();
        assert_eq!(names, ["b", "c", "a"]);
    }
}
