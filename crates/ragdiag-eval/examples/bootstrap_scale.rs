//! Times the percentile bootstraps at the end of `ragdiag diagnose` at a given size, and
//! prints the intervals' bits so that two builds (or two ways) can be compared exactly.
//!
//! `cargo run --release -p ragdiag-eval --example bootstrap_scale -- means QUESTIONS RESAMPLES [weighted]`:
//! the means of a metric table (six measures, a row per question, read in place).
//!
//! `cargo run --release -p ragdiag-eval --example bootstrap_scale -- quantiles QUESTIONS RESAMPLES [float]`:
//! the nearest-rank p50 and p95 of latencies (whole milliseconds, or with `float` fractional
//! ones, nearly all distinct), counted by rank (`bootstrap_nearest_ranks`) and, side by side,
//! each resample's values gathered and selected (`bootstrap_nearest_ranks_selected`, the
//! definition).

#![allow(clippy::print_stdout)] // a benchmark: what it prints is its output

use ragdiag_eval::stats::{
    bootstrap_means_by, bootstrap_nearest_ranks, bootstrap_nearest_ranks_selected,
    relative_weights, Config, Interval,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::time::Instant;

fn bits(intervals: &[Interval]) -> u64 {
    intervals.iter().fold(0u64, |h, iv| {
        h.rotate_left(7)
            ^ iv.estimate.to_bits()
            ^ iv.lower.to_bits().rotate_left(3)
            ^ iv.upper.to_bits()
    })
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg =
        |i: usize, default: usize| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(default);
    let what = args.get(1).map_or("means", String::as_str);
    let (n, resamples) = (arg(2, 100_000), arg(3, 500));
    let option = args.get(4).map_or("", String::as_str);
    let cfg = Config {
        resamples,
        ..Config::default()
    };
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let report = |how: &str, wall: f64, intervals: &[Interval]| {
        println!(
            "{what} {how} n {n} resamples {resamples} {option}: {wall:.2} s wall, {:.2} ns a draw, bits {:016x}, first {:?}",
            wall / (n * resamples) as f64 * 1e9,
            bits(intervals),
            intervals[0]
        );
    };
    match what {
        "means" => {
            let width = 6;
            // Values shaped like trec_eval's: many zeros, reciprocal ranks and ratios.
            let rows: Vec<f64> = (0..n * width)
                .map(|_| {
                    if rng.random_bool(0.3) {
                        0.0
                    } else {
                        1.0 / f64::from(rng.random_range(1..200u32))
                    }
                })
                .collect();
            let weights = (option == "weighted")
                .then(|| {
                    relative_weights(
                        (0..n)
                            .map(|_| f64::from(rng.random_range(1..20u32)))
                            .collect(),
                    )
                })
                .flatten();
            let start = Instant::now();
            let intervals = bootstrap_means_by(
                n,
                width,
                |c, q| rows[q * width + c],
                weights.as_deref(),
                &cfg,
            );
            report("in place", start.elapsed().as_secs_f64(), &intervals);
        }
        "quantiles" => {
            // Log-normal latencies around 665 ms, as `scripts/gen_scale_trace.py` makes them.
            let values: Vec<f64> = (0..n)
                .map(|_| {
                    let z: f64 = (0..12).map(|_| rng.random::<f64>()).sum::<f64>() - 6.0;
                    let ms = (6.5 + 0.5 * z).exp();
                    if option == "float" {
                        ms
                    } else {
                        ms.trunc()
                    }
                })
                .collect();
            let qs = [0.5, 0.95];
            let start = Instant::now();
            let counted = bootstrap_nearest_ranks(&values, &qs, &cfg);
            report("counted", start.elapsed().as_secs_f64(), &counted);
            let start = Instant::now();
            let selected = bootstrap_nearest_ranks_selected(&values, &qs, &cfg);
            report("selected", start.elapsed().as_secs_f64(), &selected);
        }
        other => panic!("unknown: {other} (means or quantiles)"),
    }
}
