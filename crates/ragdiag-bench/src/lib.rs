//! Benchmarks of ragdiag's hot paths; see `benches/`. Whole-process comparisons with the peer
//! tools live in `scripts/bench_*.py` and their figures in `BENCHMARKS.md`.

/// A seeded synthetic topic: 20 judged documents (grades 0–3) and a ranking of `n` documents.
pub fn synthetic_topic(n: usize, seed: u64) -> (ragdiag_core::QueryJudgments, Vec<(String, f64)>) {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut judged = ragdiag_core::QueryJudgments::default();
    for _ in 0..20 {
        judged.insert(
            format!("D{}", rng.random_range(0..2 * n)),
            rng.random_range(0..4),
        );
    }
    let ranking = (0..n)
        .map(|i| (format!("D{i}"), rng.random::<f64>()))
        .collect();
    (judged, ranking)
}
