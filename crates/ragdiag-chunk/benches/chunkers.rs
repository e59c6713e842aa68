//! Chunking throughput on the Chroma corpora (or, where `../shared` is absent, on synthetic
//! text), one benchmark a strategy, sizes in cl100k tokens.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ragdiag_chunk::{Chunker, ChunkerSpec, Cl100k, Tokenizer};
use ragdiag_core::Document;
use std::hint::black_box;
use std::sync::Arc;

fn corpus() -> Vec<Document> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/datasets/chroma_chunking_eval/corpora");
    let mut docs: Vec<Document> = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "md"))
        .filter_map(|e| {
            Some(Document {
                id: e.path().file_stem()?.to_string_lossy().into_owned(),
                text: std::fs::read_to_string(e.path()).ok()?,
                ..Document::default()
            })
        })
        .collect();
    docs.sort_by(|a, b| a.id.cmp(&b.id));
    if docs.is_empty() {
        let para =
            "Refunds are issued within 14 days. Invoices are sent monthly! Is tax included? \
                    Yes.\n\n# Billing\nPrices rose 5% in 2024.\n";
        docs.push(Document {
            id: "synthetic".into(),
            text: para.repeat(5_000),
            ..Document::default()
        });
    }
    docs
}

fn chunkers(c: &mut Criterion) {
    let docs = corpus();
    let bytes: usize = docs.iter().map(|d| d.text.len()).sum();
    let tok: Arc<dyn Tokenizer> = Arc::new(Cl100k::new());
    let mut group = c.benchmark_group("chunk_corpus");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(bytes as u64));
    for spec in [
        "tokens:250/125@cl100k",
        "recursive:400/0@cl100k",
        "sentence:200@cl100k",
        "markdown:400@cl100k",
    ] {
        let chunker = Chunker::new(spec.parse::<ChunkerSpec>().unwrap(), tok.clone());
        group.bench_function(spec, |b| {
            b.iter(|| black_box(chunker.chunk_corpus(&docs, None).unwrap().len()));
        });
    }
    group.finish();
}

criterion_group!(benches, chunkers);
criterion_main!(benches);
