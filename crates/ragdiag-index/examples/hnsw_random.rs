//! HNSW (`HnswIndex`) against exact search on seeded random unit vectors:
//! build time, single-thread queries per second and recall@10 for a ladder of `ef`, and the
//! `ef` that `tune_ef` picks for recall@10 ≥ 0.99.
//!
//! `cargo run --release -p ragdiag-index --example hnsw_random -- [--n 5183] [--dim 384]
//! [--queries 1000] [--out DIR] [--from DIR]`
//!
//! With `--from DIR` it reads real vectors instead (`base.f32`, `queries.f32` and `shape.txt`
//! holding `n dim nq`, as `--out` writes them; `scripts/bench_retrieval.py` exports SciFact's).
//!
//! With `--out DIR` it writes the vectors (`base.f32`, `queries.f32`: little-endian f32, row
//! major) and the exact top 10 (`truth.u32`) for `benches/hnswlib_random.py`.
#![allow(missing_docs, clippy::print_stdout, clippy::print_stderr)]

use std::path::PathBuf;
use std::time::Instant;

use ragdiag_index::{l2_normalize, recall_at_k, tune_ef, FlatIndex, HnswConfig, HnswIndex};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn unit_vectors(n: usize, dim: usize, seed: u64) -> Vec<Vec<f32>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n)
        .map(|_| {
            let mut v: Vec<f32> = (0..dim)
                .map(|_| {
                    let u1: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
                    let u2: f64 = rng.random::<f64>();
                    ((-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()) as f32
                })
                .collect();
            l2_normalize(&mut v);
            v
        })
        .collect()
}

fn keys(lists: &[Vec<(u32, f32)>]) -> Vec<Vec<u32>> {
    lists
        .iter()
        .map(|l| l.iter().map(|h| h.0).collect())
        .collect()
}

fn write_f32(path: &std::path::Path, rows: &[Vec<f32>]) -> std::io::Result<()> {
    let bytes: Vec<u8> = rows
        .iter()
        .flatten()
        .flat_map(|x| x.to_le_bytes())
        .collect();
    std::fs::write(path, bytes)
}

fn read_f32(
    path: &std::path::Path,
    rows: usize,
    dim: usize,
) -> Result<Vec<Vec<f32>>, Box<dyn std::error::Error>> {
    let bytes = std::fs::read(path)?;
    if bytes.len() != rows * dim * 4 {
        return Err(format!("{}: expected {rows} × {dim} f32", path.display()).into());
    }
    let floats: Vec<f32> = bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    Ok(floats.chunks_exact(dim).map(<[f32]>::to_vec).collect())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (mut n, mut dim, mut nq) = (5_183usize, 384usize, 1_000usize);
    let mut out: Option<PathBuf> = None;
    let mut from: Option<PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--n" => n = value()?.parse()?,
            "--dim" => dim = value()?.parse()?,
            "--queries" => nq = value()?.parse()?,
            "--out" => out = Some(value()?.into()),
            "--from" => from = Some(value()?.into()),
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    let (base, queries, what) = match &from {
        Some(dir) => {
            let shape = std::fs::read_to_string(dir.join("shape.txt"))?;
            let v: Vec<usize> = shape
                .split_whitespace()
                .map(str::parse)
                .collect::<Result<_, _>>()?;
            let [vn, vdim, vnq] = v[..] else {
                return Err("shape.txt must hold `n dim nq`".into());
            };
            (n, dim, nq) = (vn, vdim, vnq);
            let base = read_f32(&dir.join("base.f32"), n, dim)?;
            let queries = read_f32(&dir.join("queries.f32"), nq, dim)?;
            (base, queries, format!("vectors from {}", dir.display()))
        }
        None => (
            unit_vectors(n, dim, 7),
            unit_vectors(nq, dim, 8),
            "random unit vectors".to_owned(),
        ),
    };
    let flat = FlatIndex::from_rows(
        dim,
        base.iter()
            .enumerate()
            .map(|(i, v)| (u32::try_from(i).unwrap(), v)),
    )?;

    let start = Instant::now();
    let exact = flat.search_batch(&queries, 10)?;
    let exact_secs = start.elapsed().as_secs_f64();
    let exact = keys(&exact);
    let start = Instant::now();
    for q in &queries {
        std::hint::black_box(flat.search(q, 10)?);
    }
    let flat_qps = nq as f64 / start.elapsed().as_secs_f64();

    let config = HnswConfig::default();
    // The deterministic (batched) build on one thread, the peers' setting; then on every
    // thread (the same graph, checked); then hnswlib-style concurrent insertion.
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build()?;
    let start = Instant::now();
    let index = one.install(|| HnswIndex::build(&flat, &config))?;
    let build_secs = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let all = HnswIndex::build(&flat, &config)?;
    let all_secs = start.elapsed().as_secs_f64();
    let probe = &queries[..nq.min(200)];
    if all.search_batch(probe, 10, 100)? != index.search_batch(probe, 10, 100)? {
        return Err("the deterministic build differs between 1 and all threads".into());
    }
    drop(all);
    let start = Instant::now();
    let parallel = HnswIndex::build(&flat, &config.deterministic(false))?;
    let par_build_secs = start.elapsed().as_secs_f64();
    drop(parallel);

    println!("{n} {what}, d={dim}, {nq} queries, M=16, ef_construction=200");
    println!(
        "exact (flat): {flat_qps:.0} q/s single thread; {:.0} q/s batched on {} threads",
        nq as f64 / exact_secs,
        rayon::current_num_threads()
    );
    println!(
        "HNSW build: {build_secs:.3} s deterministic on 1 thread, {all_secs:.3} s deterministic \
         on {threads} threads (same answers), {par_build_secs:.3} s concurrent (hnswlib-style, \
         {threads} threads)",
        threads = rayon::current_num_threads()
    );
    for ef in [10, 50, 100, 200, 400, 800] {
        let start = Instant::now();
        let mut ann = Vec::with_capacity(nq);
        for q in &queries {
            ann.push(index.search(q, 10, ef)?);
        }
        let qps = nq as f64 / start.elapsed().as_secs_f64();
        let recall = recall_at_k(&keys(&ann), &exact, 10);
        println!("  ef={ef:>3}: {qps:>7.0} q/s single thread, recall@10 {recall:.4}");
    }
    let tuning = tune_ef(&index, &flat, &queries[..nq.min(200)], 10, 0.99)?;
    println!(
        "tune_ef (200 sample queries, target 0.99): ef={} recall@10 {:.4} reached={}",
        tuning.ef, tuning.recall, tuning.reached
    );

    if let Some(dir) = out {
        std::fs::create_dir_all(&dir)?;
        if from.as_ref() != Some(&dir) {
            write_f32(&dir.join("base.f32"), &base)?;
            write_f32(&dir.join("queries.f32"), &queries)?;
        }
        let truth: Vec<u8> = exact
            .iter()
            .flatten()
            .flat_map(|k| k.to_le_bytes())
            .collect();
        std::fs::write(dir.join("truth.u32"), truth)?;
        std::fs::write(dir.join("shape.txt"), format!("{n} {dim} {nq}\n"))?;
    }
    Ok(())
}
