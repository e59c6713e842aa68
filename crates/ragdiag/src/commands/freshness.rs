//! `ragdiag freshness`: the corpus freshness audit, and staleness inside retrieval results.

use super::fresh_audit::{audit_in_batches, FileTexts, AUDIT_BATCH};
use super::open_model;
use crate::cli::FreshnessArgs;
use crate::printer::collapsed_lines;
use crate::printer::Printer;
use crate::ExitStatus;
use anyhow::{Context, Result};
use ragdiag_contract::freshness::{
    FreshnessProvenance, FreshnessSummary, FRESHNESS_SCHEMA_VERSION,
};
use ragdiag_contract::table::DOCUMENTS;
use ragdiag_core::{Diagnostics, Query, Timestamp};
use ragdiag_embed::Embedder as _;
use ragdiag_fresh::{audit, audit_batched, Config};
use ragdiag_load::{load_corpus, load_queries, load_run, LoadOptions};
use std::collections::HashSet;

pub(crate) fn run(args: &FreshnessArgs, printer: Printer) -> Result<ExitStatus> {
    let engine = match &args.engine {
        Some(p) => Some(crate::settings::read_engine(p)?),
        None => None,
    };
    let as_of = args.as_of.unwrap_or_else(Timestamp::now);
    // An audit covers what it can: a malformed record (a wrong-typed field) skips that record,
    // which is listed in the report and printed on stderr, and the audit goes on over the rest.
    let load_opts = LoadOptions { skip_invalid: true };
    let mut lines = None;
    let (corpus, loaded) = match (&args.corpus.corpus, &engine) {
        (Some(c), _) => {
            crate::fsutil::check_out_not_inside(&args.out, &[c])?;
            // A large JSONL corpus is loaded without its texts (read again a batch at a time
            // by the audit); a trace needs the texts to locate its quotes.
            if args.trace.is_none() && audit_in_batches(c)? {
                let (loaded, l) = ragdiag_load::load_jsonl_corpus_lines(c, &load_opts)?;
                lines = Some(l);
                (c.clone(), loaded)
            } else {
                (c.clone(), load_corpus(c, &load_opts)?)
            }
        }
        (None, Some(config)) => super::engine_input::engine_documents(config, &load_opts, printer)?,
        (None, None) => anyhow::bail!(
            "--corpus is required (or --engine, to audit the documents a running engine stores)"
        ),
    };
    let corpus = corpus.as_path();
    let mut findings: Diagnostics = loaded.diagnostics;
    let docs = loaded.items;
    if docs.is_empty() {
        anyhow::bail!("{}: no documents to audit", corpus.display());
    }
    let cfg = Config {
        max_age_days: args.max_age,
        near_duplicate_jaccard: args.near_duplicate,
        same_page_jaccard: args.same_page,
        near_empty_words: args.near_empty_words,
        boilerplate_share: args.boilerplate_share,
        boilerplate_min_docs: usize::try_from(args.boilerplate_min_docs).unwrap_or(usize::MAX),
        ..Config::new(as_of)
    };
    let report = match &lines {
        None => audit(&docs, &cfg),
        Some(lines) => {
            let texts = FileTexts {
                lines,
                docs: &docs,
                error: std::sync::Mutex::new(None),
            };
            let report = audit_batched(&docs, &texts, &cfg, AUDIT_BATCH);
            let error = texts
                .error
                .into_inner()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some(e) = error {
                anyhow::bail!("{e}: the corpus changed while it was audited; run again");
            }
            report
        }
    };
    findings.extend(report.findings.clone());

    let queries = match &args.queries {
        Some(p) => {
            let q = load_queries(p, &load_opts)?;
            findings.extend(q.diagnostics);
            Some(q.items)
        }
        None => None,
    };
    let asked_engine = engine.as_ref().filter(|_| args.queries.is_some());
    let rankings = match (&args.run, &args.trace, &args.index, asked_engine) {
        (None, None, None, Some(config)) => Some(engine_rankings(
            config,
            queries.as_deref().unwrap_or_default(),
            args,
            printer,
            &mut findings,
        )?),
        (_, _, _, Some(_)) => anyhow::bail!(
            "--engine with --queries audits what the engine retrieves: it cannot be used with \
             --run, --trace or --index"
        ),
        (Some(p), None, None, None) => Some(run_rankings(p)?),
        (None, Some(p), None, None) => {
            let t = args.trace_format.read(
                p,
                queries.as_deref().unwrap_or_default(),
                &docs,
                &mut findings,
            )?;
            Some(trace_rankings(t.records))
        }
        (None, None, Some(p), None) => Some(index_rankings(
            p,
            queries.as_deref().unwrap_or_default(),
            args,
            printer,
        )?),
        (None, None, None, None) => None,
        _ => anyhow::bail!("give one of --run, --trace and --index"),
    };
    let path = |p: &Option<std::path::PathBuf>| p.as_ref().map(|p| p.display().to_string());
    let summary = FreshnessSummary {
        schema_version: FRESHNESS_SCHEMA_VERSION,
        provenance: FreshnessProvenance {
            ragdiag_version: env!("CARGO_PKG_VERSION").into(),
            command: std::env::args().collect::<Vec<_>>().join(" "),
            corpus: corpus.display().to_string(),
            queries: path(&args.queries),
            run: path(&args.run),
            trace: path(&args.trace),
            as_of: as_of.to_string(),
            max_age_days: args.max_age,
            near_duplicate_jaccard: args.near_duplicate,
            k: args.k,
            seed: args.stats.seed(),
        },
        corpus: ragdiag_fresh::corpus_freshness(&docs, &report, corpus),
        labels: queries
            .as_deref()
            .map(|qs| ragdiag_fresh::label_freshness(qs, &docs, &report)),
        retrieval: rankings.map(|r| {
            ragdiag_fresh::retrieval_staleness(
                &r,
                usize::try_from(args.k).unwrap_or(usize::MAX),
                &docs,
                &report,
                queries.as_deref(),
            )
        }),
        findings: collapsed_lines(&findings),
    };
    let mut files = crate::fsutil::ReportFiles::new(&args.out)?;
    let mut json_bytes = serde_json::to_vec_pretty(&summary)?;
    json_bytes.push(b'\n');
    files.write("summary.json", &json_bytes)?;
    files.write(
        DOCUMENTS.file,
        &ragdiag_load::table_bytes(&DOCUMENTS, ragdiag_fresh::documents_columns(&docs, &report))?,
    )?;
    super::write_warnings(&mut files, &findings)?;
    let md = ragdiag_report::render_freshness_markdown(&summary, &report);
    files.write("report.md", md.as_bytes())?;
    files.commit()?;
    printer.warning_lines(&summary.findings, &args.out.join("report.md"));
    printer.note(ragdiag_fresh::headline(&summary));
    printer.note(format_args!(
        "wrote {}",
        args.out.join("report.md").display()
    ));
    Ok(ExitStatus::Success)
}

/// Document rankings per question from asking `--engine` (its top `--k` hits rolled up to
/// documents); a question whose retrieval failed is a finding and has no ranking.
fn engine_rankings(
    config: &ragdiag_engine::config::EngineConfig,
    queries: &[Query],
    args: &FreshnessArgs,
    printer: Printer,
    findings: &mut Diagnostics,
) -> Result<Vec<(String, Vec<String>)>> {
    let k = usize::try_from(args.k).unwrap_or(usize::MAX);
    let concurrency = args
        .concurrency
        .map(|c| usize::try_from(c).unwrap_or(usize::MAX));
    let asked = super::engine_input::ask(
        config,
        queries,
        k,
        &args.model.model(),
        args.model.no_fetch,
        concurrency,
        printer,
    )?;
    findings.extend(asked.failures(queries));
    asked.check_any()?;
    Ok(queries
        .iter()
        .zip(&asked.results)
        .filter_map(|(q, r)| {
            let ranking = ragdiag_engine::items::doc_ranking(&q.id, r.as_ref().ok()?, k);
            Some((
                ranking.qid,
                ranking.docs.into_iter().map(|(d, _)| d.into()).collect(),
            ))
        })
        .collect())
}

/// Document rankings per question from a run, in trec_eval's order.
fn run_rankings(path: &std::path::Path) -> Result<Vec<(String, Vec<String>)>> {
    let run = load_run(path, None)?;
    Ok(run
        .queries
        .iter()
        .map(|q| {
            let mut ranked: Vec<(&str, f64)> =
                q.entries.iter().map(|e| (run.docno(e), e.score)).collect();
            ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| b.0.cmp(a.0)));
            (
                q.qid.clone(),
                ranked.into_iter().map(|(d, _)| d.to_string()).collect(),
            )
        })
        .collect())
}

/// Document rankings per question from replaying the queries against an index.
fn index_rankings(
    index: &std::path::Path,
    queries: &[Query],
    args: &FreshnessArgs,
    printer: Printer,
) -> Result<Vec<(String, Vec<String>)>> {
    use ragdiag_retrieve::{
        check_query_model, chunk_depth, doc_rankings, query_model, SearchOptions, Searcher,
    };
    let searcher = Searcher::open(index)
        .with_context(|| format!("cannot open the index {}", index.display()))?;
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
        ..SearchOptions::default()
    };
    let texts: Vec<&str> = queries.iter().map(|q| q.text.as_str()).collect();
    let out = searcher.search(
        &texts,
        &options,
        embedder.as_ref().map(|e| e as &dyn ragdiag_embed::Embedder),
        &printer.bars(),
    )?;
    if let Some(e) = &embedder {
        e.flush().context("cannot save the embedding cache")?;
    }
    let ids: Vec<&str> = queries.iter().map(|q| q.id.as_str()).collect();
    Ok(doc_rankings(&searcher, &ids, &out.hits, k)
        .into_iter()
        .map(|r| (r.qid, r.docs.into_iter().map(|(d, _)| d.into()).collect()))
        .collect())
}

/// Document rankings per question from a trace: its order, each document at its first chunk.
fn trace_rankings(trace: Vec<ragdiag_core::TraceRecord>) -> Vec<(String, Vec<String>)> {
    trace
        .into_iter()
        .map(|t| {
            let mut seen = HashSet::new();
            let docs = t
                .retrieved
                .into_iter()
                .map(|h| h.doc)
                .filter(|d| seen.insert(d.clone()))
                .collect();
            (t.query_id, docs)
        })
        .collect()
}
