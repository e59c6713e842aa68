//! Helpers shared by the unit tests: seeded random unit vectors.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::{l2_normalize, FlatIndex};

/// `n` random unit vectors of dimension `dim` (normal components, then normalised).
pub(crate) fn unit_vectors(n: usize, dim: usize, seed: u64) -> Vec<Vec<f32>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n)
        .map(|_| {
            let mut v: Vec<f32> = (0..dim).map(|_| normal(&mut rng)).collect();
            l2_normalize(&mut v);
            v
        })
        .collect()
}

fn normal(rng: &mut ChaCha8Rng) -> f32 {
    // Box–Muller.
    let u1: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
    let u2: f64 = rng.random::<f64>();
    #[allow(clippy::cast_possible_truncation)]
    let z = ((-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()) as f32;
    z
}

/// A flat index over [`unit_vectors`] with keys `0..n`.
pub(crate) fn flat(n: usize, dim: usize, seed: u64) -> FlatIndex {
    let rows = unit_vectors(n, dim, seed);
    FlatIndex::from_rows(
        dim,
        rows.iter()
            .enumerate()
            .map(|(i, v)| (u32::try_from(i).unwrap(), v)),
    )
    .unwrap()
}
