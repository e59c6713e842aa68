//! BM25 on a BEIR dataset (SciFact by default): index build time, single-thread queries per
//! second, nDCG@10 and Recall@100.
//!
//! `cargo run --release -p ragdiag-index --example bm25_scifact -- [DATASET_DIR] [--threads N]
//! [--run RUN_FILE]`
#![allow(missing_docs, clippy::print_stdout, clippy::print_stderr)]

mod common;

use std::path::PathBuf;
use std::time::Instant;

use ragdiag_index::LexicalIndex;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut dataset = PathBuf::from("/work/shared/datasets/scifact");
    let mut threads = 1usize;
    let mut run_out: Option<PathBuf> = None;
    let mut rounds = 20usize;
    let mut replicate = 1usize;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--threads" => threads = args.next().ok_or("--threads N")?.parse()?,
            "--run" => run_out = Some(args.next().ok_or("--run FILE")?.into()),
            "--rounds" => rounds = args.next().ok_or("--rounds N")?.parse()?,
            "--replicate" => replicate = args.next().ok_or("--replicate N")?.parse()?,
            _ => dataset = a.into(),
        }
    }
    let corpus = common::load_corpus(&dataset);
    let qrels = common::load_qrels(&dataset.join("qrels/test.tsv"));
    let queries = common::load_queries(&dataset, &qrels);
    eprintln!("{} documents, {} test queries", corpus.len(), queries.len());

    // Build five times; report the median.
    let mut times = Vec::new();
    let mut index = None;
    for _ in 0..5 {
        let tmp = tempfile::tempdir()?;
        // `--replicate N` indexes the corpus N times over (a larger index for timing only).
        let items = (0..corpus.len() * replicate).map(|i| {
            let d = &corpus[i % corpus.len()];
            (u32::try_from(i).unwrap(), d.title.as_str(), d.text.as_str())
        });
        let start = Instant::now();
        let built = LexicalIndex::build(&tmp.path().join("lexical"), items, threads)?;
        times.push(start.elapsed().as_secs_f64());
        index = Some((built, tmp));
    }
    times.sort_by(f64::total_cmp);
    let (index, _tmp) = index.expect("built");

    // Single thread: the queries, `rounds` times over, for top-10 and top-100.
    let mut qps = Vec::new();
    for k in [10, 100] {
        let start = Instant::now();
        let mut total = 0usize;
        for _ in 0..rounds {
            for (_, q) in &queries {
                total += index.search(q, k)?.len();
            }
        }
        let secs = start.elapsed().as_secs_f64();
        qps.push((k, (rounds * queries.len()) as f64 / secs));
        std::hint::black_box(total);
    }

    let runs: Vec<(String, Vec<(String, f32)>)> = queries
        .iter()
        .map(|(qid, q)| {
            let hits = index.search(q, 100).expect("search");
            let hits = hits
                .into_iter()
                .map(|(k, s)| (corpus[k as usize % corpus.len()].id.clone(), s))
                .collect();
            (qid.clone(), hits)
        })
        .collect();
    let (ndcg, recall) = common::ndcg_recall(&runs, &qrels);
    if let Some(path) = run_out {
        let mut out = String::new();
        for (qid, hits) in &runs {
            for (rank, (doc, score)) in hits.iter().enumerate() {
                out.push_str(&format!(
                    "{qid} Q0 {doc} {} {score} ragdiag-bm25\n",
                    rank + 1
                ));
            }
        }
        std::fs::write(path, out)?;
    }
    println!(
        "build (threads={threads}): median {:.3} s (min {:.3}, max {:.3})",
        times[2], times[0], times[4]
    );
    for (k, qps) in qps {
        println!(
            "queries: {qps:.0} q/s single thread (top-{k}, {} queries x {rounds})",
            queries.len()
        );
    }
    if replicate == 1 {
        println!("nDCG@10 {ndcg:.4}  Recall@100 {recall:.4}");
    }
    Ok(())
}
