//! Embedding throughput of [`MiniLmEmbedder`] on SciFact passages (a whole-workload benchmark,
//! not a criterion one).
//!
//! `cargo bench -p ragdiag-embed --bench embed_throughput -- [N] [CORPUS]`: embeds the first N
//! (default 500) passages (`title + " " + text`) of a BEIR `corpus.jsonl` (default
//! `../shared/datasets/scifact/corpus.jsonl` beside the workspace) and prints passages/s:
//! - `sorted`: one `embed_documents` call (texts sorted by token count, batches of 32);
//! - `input order`: `embed_documents` per 32 consecutive texts, i.e. batches in file order.
//!
//! Without the corpus it says so and exits 0, so `cargo bench --no-run` and CI stay green.
//! `onnxruntime_python.py` beside this file measures onnxruntime's Python API on the same texts.

#![allow(clippy::print_stdout, clippy::print_stderr, missing_docs)]

use ragdiag_embed::{Embedder, MiniLmEmbedder, ModelOptions};
use std::io::BufRead;
use std::path::PathBuf;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // `cargo bench` passes `--bench`; skip flags.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let n: usize = args.first().map_or(Ok(500), |a| a.parse())?;
    let corpus = args.get(1).map_or_else(
        || {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../../shared/datasets/scifact/corpus.jsonl")
        },
        PathBuf::from,
    );
    if !corpus.is_file() {
        eprintln!("embed_throughput: {} not found; skipped", corpus.display());
        return Ok(());
    }
    let mut texts = Vec::with_capacity(n);
    for line in std::io::BufReader::new(std::fs::File::open(&corpus)?)
        .lines()
        .take(n)
    {
        let doc: serde_json::Value = serde_json::from_str(&line?)?;
        let title = doc["title"].as_str().unwrap_or_default();
        let text = doc["text"].as_str().unwrap_or_default();
        texts.push(format!("{title} {text}"));
    }
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();

    let start = Instant::now();
    let model = MiniLmEmbedder::from_cache(&ModelOptions::default())?;
    println!(
        "model {} loaded in {:.2} s",
        model.model_id(),
        start.elapsed().as_secs_f64()
    );
    // Warm-up: the first runs pay for allocations and kernel selection.
    model.embed_documents(&refs[..refs.len().min(64)])?;

    let start = Instant::now();
    let sorted = model.embed_documents(&refs)?;
    let t_sorted = start.elapsed().as_secs_f64();

    let start = Instant::now();
    let mut in_order = Vec::with_capacity(refs.len());
    for batch in refs.chunks(32) {
        in_order.extend(model.embed_documents(batch)?);
    }
    let t_order = start.elapsed().as_secs_f64();

    let min_cos = sorted
        .iter()
        .zip(&in_order)
        .map(|(a, b)| ragdiag_embed::cosine(a, b))
        .fold(f64::INFINITY, f64::min);
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    println!("{} passages, {threads} threads", refs.len());
    println!(
        "sorted by tokens: {:.2} s, {:.1} passages/s",
        t_sorted,
        refs.len() as f64 / t_sorted
    );
    println!(
        "input order:     {:.2} s, {:.1} passages/s",
        t_order,
        refs.len() as f64 / t_order
    );
    println!("min cosine between the two: {min_cos:.7}");
    if let Ok(out) = std::env::var("RAGDIAG_BENCH_VECTORS") {
        // One JSON array a line, input order: for comparing with the Python script's output.
        let mut s = String::new();
        for v in &sorted {
            s.push_str(&serde_json::to_string(v)?);
            s.push('\n');
        }
        std::fs::write(out, s)?;
    }
    Ok(())
}
