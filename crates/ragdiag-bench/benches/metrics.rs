//! Per-topic evaluation and the bootstrap, the two costs of `ragdiag eval`.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion};
use ragdiag_eval::stats::{bootstrap_means, Config};
use ragdiag_eval::{evaluate_topic, EvalParams, MeasureSet, Ranked};
use std::hint::black_box;

fn topic(c: &mut Criterion) {
    let (judged, docs) = ragdiag_bench::synthetic_topic(1000, 7);
    let measures =
        MeasureSet::parse(&["map", "ndcg_cut.10", "recall.100", "recip_rank", "P.10"]).unwrap();
    let params = EvalParams::default();
    c.bench_function("evaluate_topic/1000 docs, 5 measures", |b| {
        b.iter(|| {
            let mut ranking: Vec<Ranked<'_>> =
                docs.iter().map(|(d, s)| Ranked::new(d, *s)).collect();
            black_box(evaluate_topic(&judged, &mut ranking, &measures, &params).unwrap())
        })
    });
    let official = MeasureSet::parse::<&str>(&[]).unwrap();
    c.bench_function("evaluate_topic/1000 docs, official", |b| {
        b.iter(|| {
            let mut ranking: Vec<Ranked<'_>> =
                docs.iter().map(|(d, s)| Ranked::new(d, *s)).collect();
            black_box(evaluate_topic(&judged, &mut ranking, &official, &params).unwrap())
        })
    });
}

fn bootstrap(c: &mut Criterion) {
    let values: Vec<f64> = (0..300)
        .map(|i| f64::from((i * 37) % 101) / 100.0)
        .collect();
    c.bench_function("bootstrap/300 queries, 10,000 resamples", |b| {
        b.iter(|| black_box(bootstrap_means(&[&values], None, &Config::default())))
    });
}

criterion_group!(benches, topic, bootstrap);
criterion_main!(benches);
