//! Chunks the five corpora of Chroma's chunking evaluation with every strategy but `semantic`
//! and prints, per spec, the chunk count, the mean tokens a chunk, the time taken, and the mean
//! precision-Ω over the 472 questions (Chroma's upper bound on retrieval precision, which
//! depends on the chunking only).
//!
//! ```text
//! cargo run --release -p ragdiag-chunk --example chroma_chunks [DATASET_DIR] [--model TOKENIZER_JSON]
//! ```
//!
//! `DATASET_DIR` defaults to `../shared/datasets/chroma_chunking_eval` (relative to the
//! workspace root). Sizes count cl100k tokens unless `--model` names a `tokenizer.json`, which
//! then also runs the specs without `@cl100k`.
#![allow(missing_docs, clippy::print_stdout)]

use ragdiag_chunk::{Chunker, ChunkerSpec, Cl100k, ModelTokenizer, Tokenizer};
use ragdiag_core::{Evidence, Query};
use ragdiag_eval::span::precision_omega;
use ragdiag_load::{load_chroma, LoadOptions};
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

/// Every non-semantic strategy of Chroma's report at its sizes, plus `doc`, `sentence` and
/// `markdown`.
const SPECS: &[&str] = &[
    "doc",
    "tokens:800/400",
    "tokens:400/200",
    "tokens:250/125",
    "tokens:200/0",
    "recursive:800/400",
    "recursive:400/200",
    "recursive:400/0",
    "recursive:200/0",
    "sentence:200",
    "markdown:400",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mut dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/datasets/chroma_chunking_eval");
    let mut model: Option<PathBuf> = None;
    while let Some(a) = args.next() {
        if a == "--model" {
            model = Some(args.next().ok_or("--model needs a path")?.into());
        } else {
            dir = a.into();
        }
    }
    let t = Instant::now();
    let data = load_chroma(&dir, &LoadOptions::default())?;
    for d in data.diagnostics.items() {
        println!("warning: {d}");
    }
    let docs = data.items.documents;
    let queries = data.items.queries;
    let chars: usize = docs.iter().map(|d| d.text.chars().count()).sum();
    let spans: usize = queries.iter().map(|q| q.evidence.len()).sum();
    println!(
        "{} corpora, {chars} code points, {} questions, {spans} spans, {} warnings, loaded in {:.3} s",
        docs.len(),
        queries.len(),
        data.diagnostics.len(),
        t.elapsed().as_secs_f64()
    );

    let t = Instant::now();
    let cl100k: Arc<dyn Tokenizer> = Arc::new(Cl100k::new());
    cl100k.count("warm up")?;
    println!("cl100k loaded in {:.3} s", t.elapsed().as_secs_f64());
    let mut runs: Vec<(String, Arc<dyn Tokenizer>)> = SPECS
        .iter()
        .map(|s| (format!("{s}@cl100k"), cl100k.clone()))
        .collect();
    if let Some(path) = model {
        let t = Instant::now();
        let tok: Arc<dyn Tokenizer> = Arc::new(ModelTokenizer::from_file(&path)?);
        println!(
            "model tokenizer loaded in {:.3} s",
            t.elapsed().as_secs_f64()
        );
        runs.extend(SPECS.iter().map(|s| ((*s).to_owned(), tok.clone())));
    }

    println!(
        "{:<28} {:>8} {:>10} {:>9} {:>8}",
        "spec", "chunks", "mean tok", "seconds", "prec-Ω %"
    );
    let mut total_secs = 0.0;
    for (spec, tok) in runs {
        let spec: ChunkerSpec = spec.parse()?;
        let chunker = Chunker::new(spec, tok);
        let t = Instant::now();
        let chunks = chunker.chunk_corpus(&docs, None)?;
        let secs = t.elapsed().as_secs_f64();
        total_secs += secs;
        let tokens: usize = chunks.iter().map(|c| c.tokens).sum();
        #[allow(clippy::cast_precision_loss)]
        let mean = tokens as f64 / chunks.len().max(1) as f64;
        let omega = mean_precision_omega(&queries, &chunks);
        println!(
            "{:<28} {:>8} {mean:>10.1} {secs:>9.3} {:>8.2}",
            spec.to_string(),
            chunks.len(),
            100.0 * omega
        );
    }
    println!("chunking time, all specs: {total_secs:.3} s");
    Ok(())
}

/// Mean over questions of precision-Ω, each question against the chunks of its corpus.
fn mean_precision_omega(queries: &[Query], chunks: &[ragdiag_chunk::ChunkOut]) -> f64 {
    let mut sum = 0.0;
    for q in queries {
        let mut doc = "";
        let refs: Vec<Range<usize>> = q
            .evidence
            .iter()
            .filter_map(|e| match e {
                Evidence::Span { doc: d, start, end } => {
                    doc = d;
                    Some(*start..*end)
                }
                Evidence::Quote { .. } => None,
            })
            .collect();
        let ranges: Vec<Range<usize>> = chunks
            .iter()
            .filter(|c| c.chunk.doc_id == doc)
            .map(|c| c.chunk.start..c.chunk.end)
            .collect();
        sum += precision_omega(&ranges, &refs);
    }
    #[allow(clippy::cast_precision_loss)]
    let n = queries.len().max(1) as f64;
    sum / n
}
