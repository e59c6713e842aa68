//! How many questions a comparison needs, and the smallest difference a question set can
//! detect: sample sizes for a two-sided test at level α with the given power.
//!
//! - **Proportions, unpaired** (two independent question sets, e.g. hit@5 of two systems on
//!   different questions): the two-proportion z test without continuity correction,
//!   `n = (z_α·√(2·p̄·q̄) + z_β·√(p₁q₁ + p₂q₂))² / δ²` per set (Fleiss).
//! - **Proportions, paired** (both systems on the same questions, as `ragdiag compare` tests
//!   them): McNemar's test, `n = (z_α·√ψ + z_β·√(ψ − δ²))² / δ²` (Connor 1987), where ψ is the
//!   discordant share (questions one system gets right and the other wrong). Without a measured
//!   ψ the outcomes of the two systems are taken as independent, `ψ = p₁q₂ + p₂q₁`: the most
//!   questions a positively correlated pair (every real pair of retrievers) can need.
//! - **Means of graded metrics** (nDCG, MRR): the z test of a mean difference,
//!   `n = 2·(z_α + z_β)²·σ² / δ²` per set unpaired (σ the per-question standard deviation) and
//!   `n = (z_α + z_β)²·σ_d² / δ²` paired (σ_d that of the per-question differences).
//!
//! `z_α = Φ⁻¹(1 − α/2)`, `z_β = Φ⁻¹(power)`. The tests check each formula against Monte Carlo
//! simulation of the test it plans for.

use crate::stats::normal_quantile;

/// The test a plan is for: two-sided level and power.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Design {
    /// Two-sided significance level, e.g. 0.05.
    pub alpha: f64,
    /// Probability of detecting a true difference of the planned size, e.g. 0.8.
    pub power: f64,
}

impl Default for Design {
    fn default() -> Self {
        Design {
            alpha: 0.05,
            power: 0.8,
        }
    }
}

impl Design {
    fn z(&self) -> (f64, f64) {
        (
            normal_quantile(1.0 - self.alpha / 2.0),
            normal_quantile(self.power),
        )
    }

    fn valid(&self) -> bool {
        self.alpha > 0.0 && self.alpha < 1.0 && self.power > 0.0 && self.power < 1.0
    }
}

fn ceil_count(x: f64) -> Option<usize> {
    (x.is_finite() && x >= 0.0).then(|| x.ceil().max(1.0) as usize)
}

/// Questions per set to tell a proportion `p1` from `p1 + delta` with two independent
/// question sets. `None` when `p1` or `p1 + delta` is outside [0, 1] or `delta` is 0.
#[must_use]
pub fn unpaired_proportion(p1: f64, delta: f64, design: &Design) -> Option<usize> {
    let p2 = p1 + delta;
    if !(0.0..=1.0).contains(&p1) || !(0.0..=1.0).contains(&p2) || delta == 0.0 {
        return None;
    }
    if !design.valid() {
        return None;
    }
    let (za, zb) = design.z();
    let pbar = (p1 + p2) / 2.0;
    let a = za * (2.0 * pbar * (1.0 - pbar)).sqrt();
    let b = zb * (p1 * (1.0 - p1) + p2 * (1.0 - p2)).sqrt();
    ceil_count((a + b).powi(2) / (delta * delta))
}

/// The discordant share of two systems with hit rates `p1` and `p2` whose outcomes are
/// independent: `p1·(1 − p2) + p2·(1 − p1)`.
#[must_use]
pub fn independent_discordance(p1: f64, p2: f64) -> f64 {
    p1 * (1.0 - p2) + p2 * (1.0 - p1)
}

/// Questions to tell a proportion `p1` from `p1 + delta` when both systems answer the same
/// questions, with discordant share `discordance` (independent outcomes when `None`). `None`
/// when the proportions are outside [0, 1], `delta` is 0, or the discordance is below
/// `|delta|` or above 1 (no such pair of systems).
#[must_use]
pub fn paired_proportion(
    p1: f64,
    delta: f64,
    discordance: Option<f64>,
    design: &Design,
) -> Option<usize> {
    let p2 = p1 + delta;
    if !(0.0..=1.0).contains(&p1) || !(0.0..=1.0).contains(&p2) || delta == 0.0 {
        return None;
    }
    let psi = discordance.unwrap_or_else(|| independent_discordance(p1, p2));
    if !(psi >= delta.abs() && psi <= 1.0 && design.valid()) {
        return None;
    }
    let (za, zb) = design.z();
    let n =
        (za * psi.sqrt() + zb * (psi - delta * delta).max(0.0).sqrt()).powi(2) / (delta * delta);
    ceil_count(n)
}

/// Questions to tell two means `delta` apart: per set with independent sets (`sd`: the
/// per-question standard deviation), or in all when paired (`sd`: that of the per-question
/// differences). `None` for a `delta` of 0 or a negative or non-finite `sd`.
#[must_use]
pub fn mean_difference(sd: f64, delta: f64, paired: bool, design: &Design) -> Option<usize> {
    if delta == 0.0 || !(sd.is_finite() && sd >= 0.0) || !design.valid() {
        return None;
    }
    let (za, zb) = design.z();
    let factor = if paired { 1.0 } else { 2.0 };
    ceil_count(factor * (za + zb).powi(2) * sd * sd / (delta * delta))
}

/// The smallest drop `d` (from `p1` to `p1 − d`) that `n` questions detect with the design's
/// power, by bisection on a planning function `needed(delta)` (negative deltas). `None` when
/// even a drop to 0 needs more than `n` questions.
fn smallest_drop(p1: f64, n: usize, needed: impl Fn(f64) -> Option<usize>) -> Option<f64> {
    if n == 0 || !(p1 > 0.0 && p1 <= 1.0) {
        return None;
    }
    let fits = |d: f64| needed(-d).is_some_and(|m| m <= n);
    if !fits(p1) {
        return None;
    }
    let (mut lo, mut hi) = (0.0_f64, p1);
    for _ in 0..60 {
        let mid = (lo + hi) / 2.0;
        if fits(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Some(hi)
}

/// The smallest drop of a proportion `p1` that two independent sets of `n` questions each
/// detect.
#[must_use]
pub fn detectable_drop_unpaired(p1: f64, n: usize, design: &Design) -> Option<f64> {
    smallest_drop(p1, n, |d| unpaired_proportion(p1, d, design))
}

/// The smallest drop of a proportion `p1` that `n` questions detect when both systems answer
/// them (discordance as in [`paired_proportion`]).
#[must_use]
pub fn detectable_drop_paired(
    p1: f64,
    n: usize,
    discordance: Option<f64>,
    design: &Design,
) -> Option<f64> {
    smallest_drop(p1, n, |d| paired_proportion(p1, d, discordance, design))
}

/// The smallest difference of means `n` questions detect (the inverse of
/// [`mean_difference`]).
#[must_use]
pub fn detectable_mean_difference(sd: f64, n: usize, paired: bool, design: &Design) -> Option<f64> {
    if n == 0 || !(sd.is_finite() && sd >= 0.0) || !design.valid() {
        return None;
    }
    let (za, zb) = design.z();
    let factor = if paired { 1.0 } else { 2.0 };
    Some((za + zb) * sd * (factor / n as f64).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    const D: Design = Design {
        alpha: 0.05,
        power: 0.8,
    };

    #[test]
    fn textbook_values() {
        // Two-proportion sample size for 0.80 vs 0.90 at α = 0.05, 80% power: 199 per group
        // (Fleiss without continuity correction).
        assert_eq!(unpaired_proportion(0.8, 0.1, &D), Some(199));
        // Means: σ = 1, δ = 0.5 → 2·(1.96 + 0.8416)²·4 = 62.8 → 63 per group; paired 32.
        assert_eq!(mean_difference(1.0, 0.5, false, &D), Some(63));
        assert_eq!(mean_difference(1.0, 0.5, true, &D), Some(32));
        // McNemar (Connor): ψ = 0.2, δ = 0.1 → (1.96·√0.2 + 0.8416·√0.19)² / 0.01 = 154.1.
        assert_eq!(paired_proportion(0.5, 0.1, Some(0.2), &D), Some(155));
        // Impossible designs.
        assert_eq!(unpaired_proportion(0.95, 0.1, &D), None);
        assert_eq!(paired_proportion(0.5, 0.1, Some(0.05), &D), None);
        assert_eq!(unpaired_proportion(0.5, 0.0, &D), None);
        // The detectable drop inverts the sample size.
        let d = detectable_drop_unpaired(0.9, 199, &D).unwrap();
        assert!(unpaired_proportion(0.9, -d, &D).unwrap() <= 199);
        assert!(unpaired_proportion(0.9, -(d - 0.002), &D).unwrap() > 199);
        let m = detectable_mean_difference(1.0, 63, false, &D).unwrap();
        assert!((m - 0.4990).abs() < 1e-3, "{m}");
    }

    #[test]
    fn independence_is_the_conservative_paired_case() {
        // Correlated systems disagree less, and need fewer questions than independent ones.
        let independent = paired_proportion(0.8, 0.03, None, &D).unwrap();
        let correlated = paired_proportion(0.8, 0.03, Some(0.1), &D).unwrap();
        assert!(correlated < independent, "{correlated} vs {independent}");
        // Independent outcomes need about as many questions as two separate sets.
        let unpaired = unpaired_proportion(0.8, 0.03, &D).unwrap();
        assert!((independent as f64 / unpaired as f64 - 1.0).abs() < 0.05);
    }

    fn bernoulli(rng: &mut ChaCha8Rng, p: f64) -> bool {
        rng.random::<f64>() < p
    }

    /// The share of simulated studies whose test rejects at α, for `n` questions.
    fn simulated_power(sims: usize, mut study: impl FnMut(&mut ChaCha8Rng) -> f64) -> f64 {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let za = normal_quantile(0.975);
        let rejected = (0..sims).filter(|_| study(&mut rng).abs() > za).count();
        rejected as f64 / sims as f64
    }

    #[test]
    fn unpaired_sample_size_gives_the_planned_power_in_simulation() {
        for (p1, delta) in [(0.8, 0.1), (0.5, -0.15), (0.9, 0.06)] {
            let n = unpaired_proportion(p1, delta, &D).unwrap();
            let p2 = p1 + delta;
            let power = simulated_power(4000, |rng| {
                let x1 = (0..n).filter(|_| bernoulli(rng, p1)).count() as f64;
                let x2 = (0..n).filter(|_| bernoulli(rng, p2)).count() as f64;
                let nf = n as f64;
                let pbar = (x1 + x2) / (2.0 * nf);
                let se = (pbar * (1.0 - pbar) * 2.0 / nf).sqrt();
                if se == 0.0 {
                    0.0
                } else {
                    (x2 / nf - x1 / nf) / se
                }
            });
            // 4,000 simulations: the standard error of a power near 0.8 is 0.006.
            assert!(
                (0.77..=0.84).contains(&power),
                "{p1} {delta}: n {n}, power {power}"
            );
        }
    }

    #[test]
    fn paired_sample_size_gives_the_planned_power_in_simulation() {
        for (p1, delta, psi) in [
            (0.8, 0.05, Some(0.12)),
            (0.7, -0.1, Some(0.3)),
            (0.6, 0.1, None),
        ] {
            let n = paired_proportion(p1, delta, psi, &D).unwrap();
            let psi = psi.unwrap_or_else(|| independent_discordance(p1, p1 + delta));
            // Cells: system 1 right only (p10), system 2 right only (p01), p01 − p10 = δ.
            let p10 = (psi - delta) / 2.0;
            let p01 = (psi + delta) / 2.0;
            let power = simulated_power(4000, |rng| {
                let (mut n10, mut n01) = (0.0_f64, 0.0_f64);
                for _ in 0..n {
                    let u: f64 = rng.random();
                    if u < p10 {
                        n10 += 1.0;
                    } else if u < p10 + p01 {
                        n01 += 1.0;
                    }
                }
                if n10 + n01 == 0.0 {
                    0.0
                } else {
                    (n01 - n10) / (n01 + n10).sqrt()
                }
            });
            assert!(
                (0.77..=0.84).contains(&power),
                "{p1} {delta}: n {n}, power {power}"
            );
        }
    }

    #[test]
    fn mean_sample_size_gives_the_planned_power_in_simulation() {
        // Graded values: a per-question difference with σ_d = 0.3, δ = 0.05 (paired z test).
        let n = mean_difference(0.3, 0.05, true, &D).unwrap();
        let power = simulated_power(4000, |rng| {
            let d: Vec<f64> = (0..n)
                .map(|_| {
                    // Uniform noise with σ 0.3 around 0.05: half-width 0.3·√3.
                    0.05 + (rng.random::<f64>() * 2.0 - 1.0) * 0.3 * 3f64.sqrt()
                })
                .collect();
            let nf = n as f64;
            let mean = d.iter().sum::<f64>() / nf;
            let var = d.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (nf - 1.0);
            mean / (var / nf).sqrt()
        });
        assert!((0.77..=0.84).contains(&power), "n {n}, power {power}");
    }
}
