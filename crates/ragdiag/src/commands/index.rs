//! `ragdiag index`: chunk, embed (cached) and index a corpus into one directory.

use super::open_model;
use crate::cli::IndexArgs;
use crate::printer::Printer;
use crate::ExitStatus;
use anyhow::{Context, Result};
use ragdiag_embed::Embedder;
use ragdiag_load::{load_corpus, LoadOptions};
use ragdiag_retrieve::{build_index, chunk_inputs, corpus_sha256, IndexOptions};
use serde_json::json;
use std::time::Instant;

pub(crate) fn run(args: &IndexArgs, printer: Printer) -> Result<ExitStatus> {
    let started = Instant::now();
    let corpus = args.corpus.required()?;
    let loaded = load_corpus(
        corpus,
        &LoadOptions {
            skip_invalid: args.skip_invalid,
        },
    )?;
    for d in loaded.diagnostics.items() {
        printer.say(d);
    }
    let docs = loaded.items;
    if docs.is_empty() {
        anyhow::bail!("{}: the corpus holds no documents", corpus.display());
    }
    let model = args.model.model();
    let embedder = open_model(&model, args.model.no_fetch, printer)?;
    let chunks = chunk_inputs(
        &docs,
        &args.chunker,
        &model,
        embedder.as_ref().map(|e| e as &dyn Embedder),
        args.model.no_fetch,
        printer.quiet(),
    )?;
    let empty = docs.len() - chunks.iter().map(|c| &c.entry.doc).dedup_count();
    if empty > 0 {
        printer.note(format_args!(
            "note: {empty} documents have no text and give no chunks"
        ));
    }

    let meta = json!({
        "corpus": corpus.display().to_string(),
        "corpus_sha256": corpus_sha256(&docs),
        "documents": docs.len(),
        "chunks": chunks.len(),
        "chunker": args.chunker,
        "model": model.spec(),
        "model_id": embedder.as_ref().map(|e| e.model_id().to_owned()),
    });
    let options = IndexOptions {
        hnsw: !args.no_hnsw,
        meta,
        ..IndexOptions::default()
    };
    let bars = printer.bars();
    let report = build_index(
        &args.out,
        &chunks,
        embedder.as_ref().map(|e| e as &dyn Embedder),
        &options,
        &bars,
    )
    .with_context(|| format!("cannot build the index at {}", args.out.display()))?;
    if let Some(e) = &embedder {
        e.flush().context("cannot save the embedding cache")?;
    }
    if !printer.quiet() {
        let embedded = embedder.as_ref().map_or(0, |e| e.embedded_texts());
        let mut line = format!(
            "indexed {} documents as {} chunks into {} in {:.1} s",
            docs.len(),
            report.chunks,
            args.out.display(),
            started.elapsed().as_secs_f64()
        );
        if embedder.is_some() {
            line.push_str(&format!(
                "; embedded {embedded} new texts ({} from the cache) in {:.1} s",
                report.chunks.saturating_sub(embedded),
                report.embed_time.as_secs_f64()
            ));
        }
        if let Some(t) = report.hnsw_build_time {
            line.push_str(&format!(
                "; HNSW graph built in {:.1} s on {} threads",
                t.as_secs_f64(),
                report.hnsw_threads.unwrap_or(1)
            ));
        }
        if let (Some(ef), Some(r)) = (report.hnsw_ef, report.hnsw_recall) {
            line.push_str(&format!("; HNSW ef {ef} (recall@10 {r:.4} on a sample)"));
        }
        printer.note(line);
    }
    Ok(ExitStatus::Success)
}

/// Counts distinct consecutive values (chunks come grouped by document).
trait DedupCount {
    fn dedup_count(self) -> usize;
}

impl<'a, I: Iterator<Item = &'a String>> DedupCount for I {
    fn dedup_count(self) -> usize {
        let mut last: Option<&String> = None;
        let mut n = 0;
        for v in self {
            if last != Some(v) {
                n += 1;
                last = Some(v);
            }
        }
        n
    }
}
