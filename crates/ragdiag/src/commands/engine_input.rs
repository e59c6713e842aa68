//! Asking `--engine` the questions, shared by `search` and `diagnose`: the engine built from
//! its settings, query embeddings when it takes them, the runner with its cache under
//! `$RAGDIAG_HOME/engine-cache`, and one note of what was sent. Failures stay per question.
//! And reading back what an engine stores (`export`), shared by `export-corpus`, and as the
//! documents of a corpus (`engine_documents`) by `freshness --engine` and `diagnose --engine`
//! without `--corpus`.

use super::open_model;
use crate::printer::Printer;
use anyhow::{anyhow, bail, Context, Result};
use ragdiag_core::{Diagnostic, Diagnostics, Location, Query};
use ragdiag_embed::{Embedder, ModelChoice};
use ragdiag_engine::cache::Cache;
use ragdiag_engine::config::EngineConfig;
use ragdiag_engine::{Engine, EngineError, EngineHit, Request};

/// Every question's answer from the engine.
pub(crate) struct Asked {
    /// The engine's name (kind and URL, no credentials).
    pub(crate) name: String,
    /// The query model, when ragdiag embedded the questions.
    pub(crate) model_id: Option<String>,
    /// Each question's hits or why it failed, in the questions' order.
    pub(crate) results: Vec<Result<Vec<EngineHit>, EngineError>>,
}

impl Asked {
    /// One warning per failed question (`engine: question "q": retrieval failed: cause`).
    pub(crate) fn failures(&self, queries: &[Query]) -> Diagnostics {
        let mut out = Diagnostics::default();
        for (q, r) in queries.iter().zip(&self.results) {
            if let Err(e) = r {
                out.push(Diagnostic::warning(
                    Location::file(&self.name),
                    format!("question \"{}\"", q.id),
                    format!("retrieval failed, the question is left out of every figure: {e}"),
                ));
            }
        }
        out
    }

    /// Fails (exit 2) when no question could be retrieved.
    pub(crate) fn check_any(&self) -> Result<()> {
        if !self.results.is_empty() && self.results.iter().all(Result::is_err) {
            let first = self.results.iter().find_map(|r| r.as_ref().err());
            bail!(
                "{}: no question could be retrieved ({} failed){}",
                self.name,
                self.results.len(),
                first.map_or_else(String::new, |e| format!("; the first: {e}"))
            );
        }
        Ok(())
    }
}

/// Asks `config`'s engine the top `k` for every question; the query model is `model` when the
/// engine takes embeddings.
pub(crate) fn ask(
    config: &EngineConfig,
    queries: &[Query],
    k: usize,
    model: &ModelChoice,
    no_fetch: bool,
    concurrency: Option<usize>,
    printer: Printer,
) -> Result<Asked> {
    let engine = config.engine().map_err(|e| anyhow!("--engine: {e}"))?;
    let name = engine.name();
    let (embeddings, model_id) = if engine.needs_embedding() {
        let Some(e) = open_model(model, no_fetch, printer)? else {
            bail!(
                "--engine: {name} takes query embeddings: give --model, the model its vectors \
                 were made with"
            );
        };
        let texts: Vec<&str> = queries.iter().map(|q| q.text.as_str()).collect();
        let v = e
            .embed_queries(&texts)
            .context("cannot embed the questions")?;
        e.flush().context("cannot save the embedding cache")?;
        (Some(v), Some(e.model_id().to_owned()))
    } else {
        (None, None)
    };
    let requests: Vec<Request> = queries
        .iter()
        .enumerate()
        .map(|(i, q)| Request {
            id: q.id.clone(),
            text: q.text.clone(),
            embedding: embeddings.as_ref().map(|v| v[i].clone()),
            k,
        })
        .collect();
    let home = ragdiag_embed::cache_home(&ragdiag_embed::ModelOptions::default())?;
    let cache = Cache::new(home.join("engine-cache"));
    let out = ragdiag_engine::runner::run(
        &engine,
        &requests,
        &config.policy(concurrency),
        Some(&cache),
    );
    for e in &out.cache_errors {
        printer.warn(format_args!("cannot write the engine cache: {e}"));
    }
    const SHOWN: usize = 3;
    for e in out.damaged.iter().take(SHOWN) {
        printer.warn(format_args!(
            "a damaged engine cache file was replaced (its question was asked again): {e}"
        ));
    }
    if out.damaged.len() > SHOWN {
        printer.warn(format_args!(
            "… and {} more damaged engine cache files, replaced",
            out.damaged.len() - SHOWN
        ));
    }
    printer.note(format_args!(
        "{name}: {} questions, {} requests sent ({} answered from the cache, {} retries), \
         {} failed; engine time {:.2} s",
        requests.len(),
        out.sent,
        out.cached,
        out.retried,
        out.failed(),
        out.engine_time.as_secs_f64()
    ));
    Ok(Asked {
        name,
        model_id,
        results: out.results,
    })
}

/// The documents an engine stores, read back page by page.
pub(crate) struct Exported {
    /// The engine's name (kind and URL, no credentials).
    pub(crate) name: String,
    /// The documents, in id order.
    pub(crate) docs: Vec<ragdiag_engine::export::ExportedDocument>,
    /// How many chunks they were stitched from.
    pub(crate) chunks: usize,
}

/// Reads every chunk `config`'s engine stores, `page_size` a request, and stitches them into
/// documents with the configured date and version fields mapped; what the stitching found is
/// printed as warnings.
/// Chunks read a request when the corpus is read from `--engine`.
const ENGINE_PAGE_SIZE: usize = 500;

/// The documents an engine stores, read as a JSONL corpus of them would be: findings are located
/// at the engine's name (returned as the corpus's path) and the document's position in id order.
pub(crate) fn engine_documents(
    config: &EngineConfig,
    opts: &ragdiag_load::LoadOptions,
    printer: Printer,
) -> Result<(
    std::path::PathBuf,
    ragdiag_load::Loaded<Vec<ragdiag_core::Document>>,
)> {
    let exported = export(config, ENGINE_PAGE_SIZE, printer)?;
    let records = exported
        .docs
        .iter()
        .map(serde_json::to_value)
        .collect::<Result<Vec<_>, _>>()?;
    let origin = std::path::PathBuf::from(&exported.name);
    let loaded = ragdiag_load::documents_from_records(&origin, &records, opts)?;
    printer.note(format_args!(
        "{}: read {} documents ({} chunks)",
        exported.name,
        exported.docs.len(),
        exported.chunks
    ));
    Ok((origin, loaded))
}

pub(crate) fn export(
    config: &EngineConfig,
    page_size: usize,
    printer: Printer,
) -> Result<Exported> {
    let exporter = config.exporter().map_err(|e| anyhow!("--engine: {e}"))?;
    let name = exporter.name();
    let chunks = ragdiag_engine::export::all(exporter.as_ref(), page_size)
        .map_err(|e| anyhow!("{name}: cannot read the stored chunks: {e}"))?;
    let (docs, stitched) = ragdiag_engine::export::documents(&chunks, &config.document_fields());
    let list = |v: &[String]| {
        let mut s = v.iter().take(5).cloned().collect::<Vec<_>>().join(", ");
        if v.len() > 5 {
            s.push_str(&format!(" and {} more", v.len() - 5));
        }
        s
    };
    if !stitched.without_text.is_empty() {
        printer.warn(format_args!(
            "{name}: {} documents have no stored text and are left out: {}",
            stitched.without_text.len(),
            list(&stitched.without_text)
        ));
    }
    if !stitched.with_gaps.is_empty() {
        printer.warn(format_args!(
            "{name}: {} documents have text missing between their chunks (filled with spaces, so \
             offsets hold): {}",
            stitched.with_gaps.len(),
            list(&stitched.with_gaps)
        ));
    }
    if !stitched.disagreeing.is_empty() {
        printer.warn(format_args!(
            "{name}: {} documents have chunks that disagree where they overlap (the earlier \
             chunk's text kept): {}",
            stitched.disagreeing.len(),
            list(&stitched.disagreeing)
        ));
    }
    if !stitched.beyond_limit.is_empty() {
        printer.warn(format_args!(
            "{name}: {} documents have chunks whose offsets end past {} code points (joined in \
             order instead of placed at their offsets): {}",
            stitched.beyond_limit.len(),
            ragdiag_engine::export::MAX_PLACED_END,
            list(&stitched.beyond_limit)
        ));
    }
    Ok(Exported {
        name,
        docs,
        chunks: chunks.len(),
    })
}
