//! Statistics for honest reporting: Wilson score intervals of proportions, percentile
//! bootstrap confidence intervals of means, the paired
//! randomization (sign-flip) test, the paired bootstrap, effect sizes and Holm's correction.
//!
//! Every procedure is seeded and deterministic: resamples are drawn in fixed blocks, each from
//! its own ChaCha8 stream derived from the seed, so the result does not depend on the number of
//! threads. All columns of one call share the same resamples (a joint bootstrap over questions).
//!
//! [`paired_comparisons`] is the one place a report's paired tests are run and corrected: every
//! (candidate × metric) comparison of one call forms one Holm family.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use std::borrow::Cow;

/// Resampling settings (DESIGN.md: 10,000 resamples, seed 42, 95%).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Config {
    /// Bootstrap resamples and randomization permutations.
    pub resamples: usize,
    /// Seed of every random stream.
    pub seed: u64,
    /// Confidence level of intervals, e.g. 0.95.
    pub level: f64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            resamples: 10_000,
            seed: 42,
            level: 0.95,
        }
    }
}

/// A point estimate with its confidence interval and sample size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    /// The (weighted) mean over all questions.
    pub estimate: f64,
    /// Lower bound of the percentile interval.
    pub lower: f64,
    /// Upper bound of the percentile interval.
    pub upper: f64,
    /// Number of questions.
    pub n: usize,
}

/// The weights to give [`mean`], [`bootstrap_means`] and [`paired`] for questions weighted
/// `w`: `None` (the unweighted mean) when they are all equal, all 1 or all 0 alike, since
/// weights are relative; else `w`.
#[must_use]
pub fn relative_weights(w: Vec<f64>) -> Option<Vec<f64>> {
    weights_differ(w.iter().copied()).then_some(w)
}

/// Whether the weights `w` gives are not all equal ([`relative_weights`]' rule, read where the
/// weights are, so that equal weights need no list): one differs from the first (a NaN differs
/// from everything, itself included).
pub fn weights_differ(mut w: impl Iterator<Item = f64>) -> bool {
    let first = w.next();
    first.is_some_and(|first| w.any(|x| x != first))
}

/// Mean of `values`, weighted by `weights` when given (0 for an empty input or zero weight).
pub fn mean(values: &[f64], weights: Option<&[f64]>) -> f64 {
    mean_by(values.len(), |q| values[q], weights)
}

/// [`mean`] of the `n` values read through `at(q)`: the same terms added in the same order.
fn mean_by(n: usize, at: impl Fn(usize) -> f64, weights: Option<&[f64]>) -> f64 {
    match weights {
        None if n == 0 => 0.0,
        None => (0..n).map(at).sum::<f64>() / n as f64,
        Some(w) => {
            let total: f64 = w.iter().sum();
            if total > 0.0 {
                (0..n.min(w.len())).map(|q| at(q) * w[q]).sum::<f64>() / total
            } else {
                0.0
            }
        }
    }
}

const BLOCK: usize = 250;

/// Runs `per_resample(rng, scratch, out)` for every resample in fixed blocks with per-block
/// streams, returning one row of statistics per resample, in resample order; `scratch` is a
/// list the block's resamples reuse (a resample's indices: not allocated per resample).
fn resample_rows<F>(cfg: &Config, width: usize, per_resample: F) -> Vec<Vec<f64>>
where
    F: Fn(&mut ChaCha8Rng, &mut Vec<usize>, &mut [f64]) + Sync,
{
    resample_rows_with(cfg, width, |rng, idx, _: &mut (), row| {
        per_resample(rng, idx, row);
    })
}

/// [`resample_rows`] with a second scratch `S` the block's resamples reuse (made with
/// `S::default()` once per block).
fn resample_rows_with<S, F>(cfg: &Config, width: usize, per_resample: F) -> Vec<Vec<f64>>
where
    S: Default,
    F: Fn(&mut ChaCha8Rng, &mut Vec<usize>, &mut S, &mut [f64]) + Sync,
{
    let blocks = cfg.resamples.div_ceil(BLOCK);
    (0..blocks)
        .into_par_iter()
        .flat_map_iter(|b| {
            let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
            rng.set_stream(b as u64 + 1);
            let count = BLOCK.min(cfg.resamples - b * BLOCK);
            let mut scratch = Vec::new();
            let mut own = S::default();
            (0..count)
                .map(|_| {
                    let mut row = vec![0.0; width];
                    per_resample(&mut rng, &mut scratch, &mut own, &mut row);
                    row
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Linear-interpolation quantile of sorted data.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let pos = q * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// The percentile interval of each statistic of `rows` (one row of statistics a resample),
/// around its `estimates`.
fn percentile_intervals(
    rows: &[Vec<f64>],
    estimates: impl IntoIterator<Item = f64>,
    n: usize,
    level: f64,
) -> Vec<Interval> {
    estimates
        .into_iter()
        .enumerate()
        .map(|(c, estimate)| {
            let draws = rows.iter().map(|r| r[c]).collect();
            percentile_interval(estimate, draws, n, level)
        })
        .collect()
}

fn percentile_interval(estimate: f64, mut draws: Vec<f64>, n: usize, level: f64) -> Interval {
    draws.retain(|x| x.is_finite());
    draws.sort_by(f64::total_cmp);
    let alpha = 1.0 - level;
    Interval {
        estimate,
        lower: quantile(&draws, alpha / 2.0),
        upper: quantile(&draws, 1.0 - alpha / 2.0),
        n,
    }
}

/// How many of a resample's draws [`count_draws`] and [`bootstrap_nearest_ranks`] make before
/// they count them.
const DRAWN_AT_ONCE: usize = 512;

/// Draws a resample of `n` questions from `rng` (the draws of `bootstrap_statistics`: each
/// `rng.random_range(0..n)`, in turn), [`DRAWN_AT_ONCE`] at a time into `run`, and hands each
/// to `each` in the order drawn.
#[inline]
fn for_each_draw(
    rng: &mut ChaCha8Rng,
    n: usize,
    run: &mut Vec<usize>,
    mut each: impl FnMut(usize),
) {
    let mut done = 0;
    while done < n {
        let m = DRAWN_AT_ONCE.min(n - done);
        run.clear();
        run.extend((0..m).map(|_| rng.random_range(0..n)));
        done += m;
        run.iter().for_each(|&q| each(q));
    }
}

/// How many columns [`sum_terms`] sums side by side in one pass over a resample.
const SIDE_BY_SIDE: usize = 8;

/// Sums `terms` (a question and its factor: its weight, times how many times it is drawn when
/// the draws are counted), in their order, into `row`: each column's value times the factor, up
/// to [`SIDE_BY_SIDE`] columns side by side a pass over `terms`; returns the sum of the factors
/// (the total weight). A factor of 1 (unweighted, drawn once) adds the value itself, bit for bit.
fn sum_terms<T, V>(terms: impl Fn() -> T, at: &V, row: &mut [f64]) -> f64
where
    T: Iterator<Item = (usize, f64)>,
    V: Fn(usize, usize) -> f64,
{
    fn group<const G: usize, T, V>(terms: T, at: &V, first: usize, out: &mut [f64]) -> f64
    where
        T: Iterator<Item = (usize, f64)>,
        V: Fn(usize, usize) -> f64,
    {
        let mut acc = [0.0; G];
        let mut total = 0.0;
        for (q, factor) in terms {
            total += factor;
            for (k, a) in acc.iter_mut().enumerate() {
                *a += at(first + k, q) * factor;
            }
        }
        out.copy_from_slice(&acc);
        total
    }
    let mut total = 0.0;
    for (g, out) in row.chunks_mut(SIDE_BY_SIDE).enumerate() {
        let (first, terms) = (g * SIDE_BY_SIDE, terms());
        let t = match out.len() {
            8 => group::<8, T, V>(terms, at, first, out),
            7 => group::<7, T, V>(terms, at, first, out),
            6 => group::<6, T, V>(terms, at, first, out),
            5 => group::<5, T, V>(terms, at, first, out),
            4 => group::<4, T, V>(terms, at, first, out),
            3 => group::<3, T, V>(terms, at, first, out),
            2 => group::<2, T, V>(terms, at, first, out),
            _ => group::<1, T, V>(terms, at, first, out),
        };
        if g == 0 {
            total = t;
        }
    }
    total
}

/// Percentile bootstrap intervals of the (weighted) mean of each column. `columns[c][q]` is the
/// value of question `q` in column `c`; every column must have the same length. The same
/// resampled question sets serve all columns.
pub fn bootstrap_means(columns: &[&[f64]], weights: Option<&[f64]>, cfg: &Config) -> Vec<Interval> {
    let n = columns.first().map_or(0, |c| c.len());
    bootstrap_means_by(n, columns.len(), |c, q| columns[c][q], weights, cfg)
}

/// [`bootstrap_means`] of `width` columns of `n` questions read through `at(c, q)` (the value
/// of question `q` in column `c`), so that columns kept some other way (a row per question)
/// need not be copied out: the same intervals, bit for bit, as [`bootstrap_means`] of the
/// columns `at` reads.
pub fn bootstrap_means_by<V>(
    n: usize,
    width: usize,
    at: V,
    weights: Option<&[f64]>,
    cfg: &Config,
) -> Vec<Interval>
where
    V: Fn(usize, usize) -> f64 + Sync,
{
    bootstrap_means_counted_from(n, width, at, weights, cfg, COUNTED_FROM)
}

/// From how many questions [`bootstrap_means_by`] counts each resample's draws and sums the
/// columns in question order ([`sum_counted`]) instead of in the order drawn: a table of 65,536
/// rows of six measures (3 MB) no longer stays in a core's cache, and its random reads, not the
/// draws, became the bootstrap's cost (at a million questions 70% of the end of a run).
const COUNTED_FROM: usize = 1 << 16;

/// [`bootstrap_means_by`], counting the draws from `counted_from` questions on.
fn bootstrap_means_counted_from<V>(
    n: usize,
    width: usize,
    at: V,
    weights: Option<&[f64]>,
    cfg: &Config,
    counted_from: usize,
) -> Vec<Interval>
where
    V: Fn(usize, usize) -> f64 + Sync,
{
    if n == 0 {
        return (0..width)
            .map(|_| Interval {
                estimate: 0.0,
                lower: 0.0,
                upper: 0.0,
                n: 0,
            })
            .collect();
    }
    // A question never drawn adds its values times 0, so only tables of finite values (and
    // weights) are counted: 0 × NaN would be NaN.
    let counted = n >= counted_from
        && (0..n).all(|q| (0..width).all(|c| at(c, q).is_finite()))
        && weights.is_none_or(|w| w.iter().all(|x| x.is_finite()));
    let rows = resample_rows_with(cfg, width, |rng, idx, counts: &mut Vec<u8>, row| {
        let start = rng.clone();
        let total_w = match counted.then(|| count_draws(rng, n, idx, counts)) {
            Some(true) => sum_counted(counts, &at, weights, row),
            // Not counted, or a question drawn 255 times (not in a resample of 65,536 or more
            // draws in practice): the resample drawn again whole from the same point, then
            // summed in the order drawn, up to eight columns side by side a pass over it.
            _ => {
                *rng = start;
                sum_in_order_drawn(rng, n, idx, &at, weights, row)
            }
        };
        for acc in row.iter_mut() {
            *acc = if total_w > 0.0 {
                *acc / total_w
            } else {
                f64::NAN
            };
        }
    });
    let estimates = (0..width).map(|c| mean_by(n, |q| at(c, q), weights));
    percentile_intervals(&rows, estimates, n, cfg.level)
}

/// Draws a resample of `n` questions from `rng` whole into `idx` and sums the columns over
/// them in the order drawn into `row`, up to eight side by side a pass over `idx`; returns the
/// total weight: the draws of `bootstrap_statistics`, summed as one column at a time would.
fn sum_in_order_drawn<V: Fn(usize, usize) -> f64>(
    rng: &mut ChaCha8Rng,
    n: usize,
    idx: &mut Vec<usize>,
    at: &V,
    weights: Option<&[f64]>,
    row: &mut [f64],
) -> f64 {
    idx.clear();
    idx.extend((0..n).map(|_| rng.random_range(0..n)));
    let idx = &*idx;
    // Weighted or not is settled once, not a term at a time.
    match weights {
        None => sum_terms(|| idx.iter().map(|&i| (i, 1.0)), at, row),
        Some(w) => sum_terms(|| idx.iter().map(|&i| (i, w[i])), at, row),
    }
}

/// Draws a resample of `n` questions from `rng` ([`for_each_draw`]) and counts how many times
/// each is drawn into
/// `counts` (a byte a question); false when a question is drawn 255 times or more (the counts
/// are then wrong).
fn count_draws(rng: &mut ChaCha8Rng, n: usize, run: &mut Vec<usize>, counts: &mut Vec<u8>) -> bool {
    counts.clear();
    counts.resize(n, 0);
    let mut full = false;
    for_each_draw(rng, n, run, |q| {
        let c = &mut counts[q];
        full |= *c == u8::MAX - 1;
        *c = c.wrapping_add(1);
    });
    !full
}

/// The sums of a resample counted by [`count_draws`] into `row`: each column's values times
/// the question's count (and weight), added in question order (a pass over the table's rows in
/// order, not a read at random per draw); returns the total weight (`n` unweighted).
fn sum_counted<V: Fn(usize, usize) -> f64>(
    counts: &[u8],
    at: &V,
    weights: Option<&[f64]>,
    row: &mut [f64],
) -> f64 {
    let counted = || counts.iter().map(|&c| f64::from(c)).enumerate();
    // Weighted or not is settled once, not a term at a time.
    match weights {
        None => sum_terms(counted, at, row),
        Some(w) => sum_terms(
            || counted().zip(w).map(|((q, c), &wq)| (q, c * wq)),
            at,
            row,
        ),
    }
}

/// The percentile bootstrap interval of any statistic of the questions: `stat` gets the indices
/// of one resample (drawn with replacement from `0..n`) and returns the statistic, `estimate` is
/// its value on the questions as they are. Draws that are not finite (a ratio with nothing
/// under it) are left out. Seeded and independent of the thread count, like every resampling
/// here. `n` 0 gives NaN bounds.
pub fn bootstrap_statistic<F>(n: usize, estimate: f64, cfg: &Config, stat: F) -> Interval
where
    F: Fn(&[usize]) -> f64 + Sync,
{
    bootstrap_statistics(n, &[estimate], cfg, |idx, _: &mut (), out| {
        out[0] = stat(idx);
    })[0]
}

/// The percentile bootstrap intervals of several statistics of the questions taken over the
/// same resamples: `stat(idx, scratch, out)` gets the indices of one resample (drawn with
/// replacement from `0..n`) and a scratch the resamples of a block reuse, and writes the
/// statistics to `out` (one per `estimates`, their values on the questions as they are). Each
/// interval is the one [`bootstrap_statistic`] gives for that statistic alone, bit for bit: a
/// resample's draws do not depend on how many statistics are taken of it, and they are made
/// once for all of them. `n` 0 gives NaN bounds.
pub fn bootstrap_statistics<S, F>(
    n: usize,
    estimates: &[f64],
    cfg: &Config,
    stat: F,
) -> Vec<Interval>
where
    S: Default,
    F: Fn(&[usize], &mut S, &mut [f64]) + Sync,
{
    if n == 0 {
        return estimates
            .iter()
            .map(|&estimate| Interval {
                estimate,
                lower: f64::NAN,
                upper: f64::NAN,
                n: 0,
            })
            .collect();
    }
    let rows = resample_rows_with(cfg, estimates.len(), |rng, idx, scratch, row| {
        idx.clear();
        idx.extend((0..n).map(|_| rng.random_range(0..n)));
        stat(idx, scratch, row);
    });
    percentile_intervals(&rows, estimates.iter().copied(), n, cfg.level)
}

/// The nearest-rank `q`-quantile of `values` (`q` in (0, 1]): the ⌈q·n⌉-th smallest (at
/// least the first) under [`f64::total_cmp`]; NaN when there are none. `values` is reordered.
pub fn nearest_rank(values: &mut [f64], q: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    *values
        .select_nth_unstable_by(nearest_rank_at(values.len(), q), f64::total_cmp)
        .1
}

/// Where [`nearest_rank`] of `n` values is in their sorted order.
fn nearest_rank_at(n: usize, q: f64) -> usize {
    ((q * n as f64).ceil() as usize).clamp(1, n) - 1
}

/// The percentile bootstrap intervals of the nearest-rank quantiles `qs` of `values`
/// ([`nearest_rank`]), all over the same resamples: each the interval that
/// [`bootstrap_statistic`] gives with [`nearest_rank`] of a resample's values as the statistic,
/// bit for bit (the same draws; a quantile is one of the values, which no arithmetic touches),
/// but a resample's values are not gathered and selected. Each question is given the rank of
/// its value among the distinct values (4 bytes a question); a resample counts its draws by
/// rank (4 bytes a distinct value a thread) and its quantiles are read off the running count.
/// `values` empty: NaN bounds and estimates, `n` 0.
#[must_use]
pub fn bootstrap_nearest_ranks(values: &[f64], qs: &[f64], cfg: &Config) -> Vec<Interval> {
    let n = values.len();
    // Counts and ranks in a u32 (as many values as that counts, so as many distinct ones);
    // beyond, and with no values, the definition itself.
    if n == 0 || u32::try_from(n).is_err() {
        return bootstrap_nearest_ranks_selected(values, qs, cfg);
    }
    let mut distinct = values.to_vec();
    distinct.sort_unstable_by(f64::total_cmp);
    distinct.dedup_by(|a, b| a.to_bits() == b.to_bits());
    let ranks: Vec<u32> = values
        .iter()
        .map(|v| distinct.partition_point(|d| d.total_cmp(v).is_lt()) as u32)
        .collect();
    // The quantiles' places in sorted order, visited from the lowest.
    let mut places: Vec<(usize, usize)> = qs
        .iter()
        .enumerate()
        .map(|(j, &q)| (nearest_rank_at(n, q), j))
        .collect();
    places.sort_unstable();
    // The quantiles of the values counted `counts[r]` times each (`distinct[r]`), into `out`.
    let read_off = |counts: &[u32], out: &mut [f64]| {
        let mut next = places.iter().peekable();
        let mut below = 0usize;
        for (r, &c) in counts.iter().enumerate() {
            if next.peek().is_none() {
                break;
            }
            below += c as usize;
            while let Some(&&(place, j)) = next.peek() {
                if place >= below {
                    break;
                }
                out[j] = distinct[r];
                next.next();
            }
        }
    };
    let mut estimates = vec![f64::NAN; qs.len()];
    let mut counts = vec![0u32; distinct.len()];
    for &r in &ranks {
        counts[r as usize] += 1;
    }
    read_off(&counts, &mut estimates);
    drop(counts);
    let rows = resample_rows_with(cfg, qs.len(), |rng, run, counts: &mut Vec<u32>, row| {
        counts.clear();
        counts.resize(distinct.len(), 0);
        for_each_draw(rng, n, run, |i| counts[ranks[i] as usize] += 1);
        read_off(counts, row);
    });
    percentile_intervals(&rows, estimates, n, cfg.level)
}

/// [`bootstrap_nearest_ranks`] by its definition: each resample's values gathered and the
/// quantiles selected ([`nearest_rank`]; 16 bytes a question a thread). The same bits;
/// `bootstrap_nearest_ranks` stands on it where it cannot count (no values, or more than a
/// u32 counts), and its tests and `examples/bootstrap_scale.rs` compare against it.
#[must_use]
pub fn bootstrap_nearest_ranks_selected(values: &[f64], qs: &[f64], cfg: &Config) -> Vec<Interval> {
    let estimates: Vec<f64> = qs
        .iter()
        .map(|&q| nearest_rank(&mut values.to_vec(), q))
        .collect();
    bootstrap_statistics(
        values.len(),
        &estimates,
        cfg,
        |idx, v: &mut Vec<f64>, out| {
            v.clear();
            v.extend(idx.iter().map(|&i| values[i]));
            for (o, &q) in out.iter_mut().zip(qs) {
                *o = nearest_rank(v, q);
            }
        },
    )
}

/// The Wilson score interval of a (weighted) proportion: `values` are each question's 0/1
/// outcome (any value in [0, 1] is read as a share of a success), `weights` its traffic weight.
///
/// Unlike a percentile bootstrap it is not degenerate at 0/n or n/n (0 of 7 gives 0–35.4% at
/// 95%, not 0–0%) and it is exact enough at small n, where a bootstrap of a proportion is not.
/// With weights, the Kish effective sample size (Σw)²/Σw² stands for n in the formula; the
/// reported `n` stays the number of questions. An empty input (or all weights 0) gives an
/// estimate of 0 with bounds NaN and `n` 0.
#[must_use]
pub fn wilson(values: &[f64], weights: Option<&[f64]>, level: f64) -> Interval {
    let n = values.len();
    let (sum_w, sum_w2) = match weights {
        None => (n as f64, n as f64),
        Some(w) => (w.iter().sum::<f64>(), w.iter().map(|w| w * w).sum::<f64>()),
    };
    if n == 0 || sum_w <= 0.0 || sum_w2 <= 0.0 {
        return Interval {
            estimate: 0.0,
            lower: f64::NAN,
            upper: f64::NAN,
            n: 0,
        };
    }
    let p = mean(values, weights).clamp(0.0, 1.0);
    wilson_at(p, sum_w * sum_w / sum_w2, n, level)
}

/// [`wilson`] of the values and weights `pairs` gives, weighted only when the weights are not
/// all equal ([`relative_weights`]), without listing them: the iterator is read two or three
/// times, the same terms added in the same order, so the interval has [`wilson`]'s bits.
#[must_use]
pub fn wilson_of<I>(pairs: I, level: f64) -> Interval
where
    I: Iterator<Item = (f64, f64)> + Clone,
{
    let weighted = weights_differ(pairs.clone().map(|(_, w)| w));
    let n = pairs.clone().count();
    let (sum_w, sum_w2) = if weighted {
        (
            pairs.clone().map(|(_, w)| w).sum::<f64>(),
            pairs.clone().map(|(_, w)| w * w).sum::<f64>(),
        )
    } else {
        (n as f64, n as f64)
    };
    if n == 0 || sum_w <= 0.0 || sum_w2 <= 0.0 {
        return wilson(&[], None, level);
    }
    // `mean`'s terms: the values alone over n, or each times its weight over the weights' sum.
    // (A NaN weight leaves the sums NaN: `mean` then gives 0, as its total is not above 0.)
    let mean = if weighted {
        if sum_w > 0.0 {
            pairs.map(|(v, w)| v * w).sum::<f64>() / sum_w
        } else {
            0.0
        }
    } else {
        pairs.map(|(v, _)| v).sum::<f64>() / n as f64
    };
    wilson_at(mean.clamp(0.0, 1.0), sum_w * sum_w / sum_w2, n, level)
}

/// The Wilson score interval of `n` unweighted values in [0, 1] whose sum, taken in their
/// order, is `sum`: the same as [`wilson`] over them, without keeping them.
#[must_use]
pub fn wilson_of_sum(sum: f64, n: usize, level: f64) -> Interval {
    if n == 0 {
        return wilson(&[], None, level);
    }
    let p = (sum / n as f64).clamp(0.0, 1.0);
    let nf = n as f64;
    wilson_at(p, nf * nf / nf, n, level)
}

/// The Wilson score interval of `successes` out of `n` unweighted outcomes: the same as
/// [`wilson`] over `n` 0/1 values, without building them (sweeps call it thousands of times).
#[must_use]
pub fn wilson_count(successes: usize, n: usize, level: f64) -> Interval {
    if n == 0 {
        return Interval {
            estimate: 0.0,
            lower: f64::NAN,
            upper: f64::NAN,
            n: 0,
        };
    }
    let p = (successes as f64 / n as f64).clamp(0.0, 1.0);
    wilson_at(p, n as f64, n, level)
}

/// The Wilson interval of a proportion `p` with effective sample size `n_eff` (> 0).
fn wilson_at(p: f64, n_eff: f64, n: usize, level: f64) -> Interval {
    let z = normal_quantile(1.0 - (1.0 - level) / 2.0);
    let z2 = z * z;
    let centre = (p + z2 / (2.0 * n_eff)) / (1.0 + z2 / n_eff);
    let half = z / (1.0 + z2 / n_eff) * (p * (1.0 - p) / n_eff + z2 / (4.0 * n_eff * n_eff)).sqrt();
    Interval {
        estimate: p,
        // Exact at the edges, where rounding would leave 1e-17 or 1 - 1e-16.
        lower: if p == 0.0 {
            0.0
        } else {
            (centre - half).max(0.0)
        },
        upper: if p == 1.0 {
            1.0
        } else {
            (centre + half).min(1.0)
        },
        n,
    }
}

/// The standard normal quantile (inverse CDF) at `p` in (0, 1): Acklam's rational
/// approximation, relative error below 1.2e-9.
#[must_use]
pub fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    if !(p > 0.0 && p < 1.0) {
        return if p == 0.0 {
            f64::NEG_INFINITY
        } else if p == 1.0 {
            f64::INFINITY
        } else {
            f64::NAN
        };
    }
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    const LOW: f64 = 0.024_25;
    if p < LOW {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - LOW {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

/// A paired comparison of system B against system A on the same questions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Paired {
    /// Mean of A.
    pub mean_a: f64,
    /// Mean of B.
    pub mean_b: f64,
    /// Mean difference B − A with its paired-bootstrap interval.
    pub diff: Interval,
    /// Two-sided p-value of the paired randomization (sign-flip) test.
    pub p_randomization: f64,
    /// Two-sided p-value of the paired bootstrap (twice the smaller tail share beyond 0).
    pub p_bootstrap: f64,
    /// Mean of the paired differences over their standard deviation (`None` when they do not vary).
    pub effect_size: Option<f64>,
    /// Questions where B is higher.
    pub wins: usize,
    /// Questions where B is lower.
    pub losses: usize,
    /// Questions with equal values.
    pub ties: usize,
}

/// Compares B with A question by question. `a` and `b` must be aligned (same questions, same
/// order). Weights, when given, weight the means and the resampling.
pub fn paired(a: &[f64], b: &[f64], weights: Option<&[f64]>, cfg: &Config) -> Paired {
    assert_eq!(a.len(), b.len(), "paired samples must be aligned");
    let n = a.len();
    let d: Vec<f64> = b.iter().zip(a).map(|(b, a)| b - a).collect();
    let observed = mean(&d, weights);
    let draws: Vec<f64> = resample_rows(cfg, 1, |rng, _, row| {
        let (mut s, mut tw) = (0.0, 0.0);
        for _ in 0..n {
            let i = rng.random_range(0..n);
            let w = weights.map_or(1.0, |w| w[i]);
            s += d[i] * w;
            tw += w;
        }
        row[0] = if tw > 0.0 { s / tw } else { f64::NAN };
    })
    .into_iter()
    .map(|r| r[0])
    .filter(|x| x.is_finite())
    .collect();
    let p_bootstrap = if n == 0 || draws.is_empty() || d.iter().all(|x| *x == 0.0) {
        1.0
    } else {
        let le = draws.iter().filter(|&&x| x <= 0.0).count() as f64 / draws.len() as f64;
        let ge = draws.iter().filter(|&&x| x >= 0.0).count() as f64 / draws.len() as f64;
        (2.0 * le.min(ge)).min(1.0)
    };
    let diff = percentile_interval(observed, draws, n, cfg.level);
    // Sign-flip randomization test on the (weighted) mean difference.
    let tol = 1e-12 * observed.abs().max(1.0);
    let flips = resample_rows(cfg, 1, |rng, _, row| {
        let (mut s, mut tw) = (0.0, 0.0);
        for (i, di) in d.iter().enumerate() {
            let w = weights.map_or(1.0, |w| w[i]);
            s += if rng.random::<bool>() {
                di * w
            } else {
                -di * w
            };
            tw += w;
        }
        row[0] = if tw > 0.0 { s / tw } else { 0.0 };
    });
    let extreme = flips
        .iter()
        .filter(|r| r[0].abs() >= observed.abs() - tol)
        .count();
    let p_randomization = if n == 0 {
        1.0
    } else {
        (extreme + 1) as f64 / (cfg.resamples + 1) as f64
    };
    let effect_size = if n >= 2 {
        let m = d.iter().sum::<f64>() / n as f64;
        let var = d.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1) as f64;
        (var > 0.0).then(|| m / var.sqrt())
    } else {
        None
    };
    Paired {
        mean_a: mean(a, weights),
        mean_b: mean(b, weights),
        diff,
        p_randomization,
        p_bootstrap,
        effect_size,
        wins: d.iter().filter(|&&x| x > 0.0).count(),
        losses: d.iter().filter(|&&x| x < 0.0).count(),
        ties: d.iter().filter(|&&x| x == 0.0).count(),
    }
}

/// One claim a report makes: a candidate's values of one metric, paired question by question
/// with the baseline's values of the same metric. Give it to [`paired_comparisons`].
#[derive(Debug, Clone, PartialEq)]
pub struct PairedSample<'a, K> {
    /// What the caller names the comparison by, e.g. `(candidate, metric)`; handed back
    /// unchanged in the [`PairedComparison`].
    pub key: K,
    /// The baseline's values, one per question.
    pub baseline: Cow<'a, [f64]>,
    /// The candidate's values on the same questions, in the same order.
    pub candidate: Cow<'a, [f64]>,
    /// The questions' weights, aligned the same way (as [`relative_weights`] gives them);
    /// `None` for the unweighted mean.
    pub weights: Option<Cow<'a, [f64]>>,
}

impl<'a, K> PairedSample<'a, K> {
    /// An unweighted sample: `baseline[i]` and `candidate[i]` are the same question's values.
    pub fn new(
        key: K,
        baseline: impl Into<Cow<'a, [f64]>>,
        candidate: impl Into<Cow<'a, [f64]>>,
    ) -> Self {
        PairedSample {
            key,
            baseline: baseline.into(),
            candidate: candidate.into(),
            weights: None,
        }
    }

    /// The same sample with question weights (`None` keeps it unweighted).
    #[must_use]
    pub fn weighted(self, weights: Option<impl Into<Cow<'a, [f64]>>>) -> Self {
        PairedSample {
            weights: weights.map(Into::into),
            ..self
        }
    }
}

/// The outcome of one [`PairedSample`]: the paired test of the candidate against the baseline
/// and its Holm-adjusted p-value.
#[derive(Debug, Clone, PartialEq)]
pub struct PairedComparison<K> {
    /// The sample's key.
    pub key: K,
    /// Means, the difference candidate − baseline with its paired-bootstrap interval, the
    /// randomization and bootstrap p-values, the effect size, wins, losses and ties.
    pub paired: Paired,
    /// The randomization p-value, Holm-adjusted over every comparison of the call.
    pub p_holm: f64,
}

/// Runs [`paired`] on every sample (candidate against baseline, weighted when the sample says
/// so) and adjusts the randomization p-values with [`holm`], in the input order.
///
/// **The correction family is every comparison of the call**: all (candidate × metric)
/// samples at once, the family of all the claims one report makes. A report that compares
/// three candidates on seven metrics corrects for 21 tests, not for 7 per candidate or 3 per
/// metric, so a `*` or a failed regression gate survives however the report's table is read.
/// Call it once per report with every comparison that report shows.
///
/// # Panics
///
/// When a sample's candidate (or weights) are not as long as its baseline: the pairs must be
/// aligned question by question before the call.
pub fn paired_comparisons<'a, K>(
    samples: impl IntoIterator<Item = PairedSample<'a, K>>,
    cfg: &Config,
) -> Vec<PairedComparison<K>> {
    let tested: Vec<(K, Paired)> = samples
        .into_iter()
        .map(|s| {
            if let Some(w) = &s.weights {
                assert_eq!(
                    w.len(),
                    s.baseline.len(),
                    "paired weights must be aligned with the samples"
                );
            }
            let p = paired(&s.baseline, &s.candidate, s.weights.as_deref(), cfg);
            (s.key, p)
        })
        .collect();
    let adjusted = holm(
        &tested
            .iter()
            .map(|(_, p)| p.p_randomization)
            .collect::<Vec<_>>(),
    );
    tested
        .into_iter()
        .zip(adjusted)
        .map(|((key, paired), p_holm)| PairedComparison {
            key,
            paired,
            p_holm,
        })
        .collect()
}

/// Holm–Bonferroni adjusted p-values, in the input order (each ≤ 1, monotone in rank).
pub fn holm(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&i, &j| p[i].total_cmp(&p[j]));
    let mut adjusted = vec![0.0; m];
    let mut running: f64 = 0.0;
    for (rank, &i) in order.iter().enumerate() {
        let v = ((m - rank) as f64 * p[i]).min(1.0);
        running = running.max(v);
        adjusted[i] = running;
    }
    adjusted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_is_not_degenerate_at_the_edges() {
        // Reference values: the Wilson score interval at 95% (z = 1.959964).
        let zero = wilson(&[0.0; 7], None, 0.95);
        assert_eq!((zero.estimate, zero.lower, zero.n), (0.0, 0.0, 7));
        assert!((zero.upper - 0.354_34).abs() < 1e-4, "{zero:?}");
        let one = wilson(&[1.0], None, 0.95);
        assert_eq!((one.estimate, one.upper, one.n), (1.0, 1.0, 1));
        assert!((one.lower - 0.206_55).abs() < 1e-4, "{one:?}");
        let all = wilson(&[1.0; 20], None, 0.95);
        assert!((all.lower - 0.838_89).abs() < 1e-4, "{all:?}");
        // 7 of 10: 0.3968–0.8922.
        let mut v = vec![1.0; 7];
        v.extend([0.0; 3]);
        let mid = wilson(&v, None, 0.95);
        assert!((mid.lower - 0.396_8).abs() < 1e-4 && (mid.upper - 0.892_2).abs() < 1e-4);
        assert_eq!(wilson(&[], None, 0.95).n, 0);
        assert!(wilson(&[], None, 0.95).lower.is_nan());
    }

    #[test]
    fn wilson_count_equals_wilson_over_the_outcomes() {
        for (k, n) in [(0, 7), (1, 1), (7, 10), (20, 20), (3, 250)] {
            let v: Vec<f64> = (0..n).map(|i| f64::from(u8::from(i < k))).collect();
            let a = wilson(&v, None, 0.95);
            let b = wilson_count(k, n, 0.95);
            assert_eq!((a.estimate, a.n), (b.estimate, b.n));
            assert!((a.lower - b.lower).abs() < 1e-12 && (a.upper - b.upper).abs() < 1e-12);
        }
        assert!(wilson_count(0, 0, 0.95).lower.is_nan());
    }

    /// An interval's bounds and estimate as bits, and its n.
    fn bits(i: Interval) -> (u64, u64, u64, usize) {
        (
            i.estimate.to_bits(),
            i.lower.to_bits(),
            i.upper.to_bits(),
            i.n,
        )
    }

    /// What a tally that keeps only a running sum reports is exactly, to the bit, what the
    /// values kept would give: shares of a top k, and 0/1 outcomes counted.
    #[test]
    fn wilson_of_a_running_sum_is_wilson_over_the_values_bit_for_bit() {
        for n in [1usize, 2, 3, 7, 10, 99, 1000, 4097, 100_000] {
            let shares: Vec<f64> = (0..n).map(|i| ((i * 7 + 3) % 6) as f64 / 5.0).collect();
            let mut sum = 0.0;
            for v in &shares {
                sum += v;
            }
            assert_eq!(
                bits(wilson(&shares, None, 0.95)),
                bits(wilson_of_sum(sum, n, 0.95))
            );
            let k = (n * 3) / 7;
            let outcomes: Vec<f64> = (0..n).map(|i| f64::from(u8::from(i < k))).collect();
            assert_eq!(
                bits(wilson(&outcomes, None, 0.95)),
                bits(wilson_count(k, n, 0.95))
            );
        }
        assert_eq!(
            bits(wilson(&[], None, 0.95)).3,
            bits(wilson_of_sum(0.0, 0, 0.95)).3
        );
        assert!(wilson_of_sum(0.0, 0, 0.95).lower.is_nan());
    }

    /// `wilson_of` the pairs has the bits of `wilson` over the values listed, weighted by the
    /// weights listed when `relative_weights` keeps them: equal weights (unweighted), unequal,
    /// zero and negative sums, a NaN weight, one pair and none.
    #[test]
    fn wilson_of_pairs_is_wilson_over_them_listed() {
        let weightings: [&dyn Fn(usize) -> f64; 6] = [
            &|_| 1.0,
            &|_| 2.5,
            &|i| 0.1 + (i % 7) as f64 * 0.37,
            &|i| if i % 2 == 0 { 1.0 } else { -1.0 },
            &|_| 0.0,
            &|i| if i == 3 { f64::NAN } else { 1.0 },
        ];
        for n in [0usize, 1, 2, 5, 97, 10_000] {
            let values: Vec<f64> = (0..n).map(|i| ((i * 13 + 5) % 11) as f64 / 10.0).collect();
            for (j, weight) in weightings.iter().enumerate() {
                let w: Vec<f64> = (0..n).map(weight).collect();
                let listed = wilson(&values, relative_weights(w.clone()).as_deref(), 0.95);
                let pairs = values.iter().copied().zip(w.iter().copied());
                let streamed = wilson_of(pairs, 0.95);
                let (a, b) = (bits(listed), bits(streamed));
                // NaN bounds compare as NaN, whatever their payload.
                let nan = |x: u64| f64::from_bits(x).is_nan();
                assert_eq!((a.0, a.3), (b.0, b.3), "n {n}, weights {j}");
                for (x, y) in [(a.1, b.1), (a.2, b.2)] {
                    assert!(x == y || (nan(x) && nan(y)), "n {n}, weights {j}");
                }
            }
        }
    }

    #[test]
    fn wilson_weights_shrink_the_effective_sample() {
        // Equal weights change nothing; one dominant weight widens the interval.
        let v = [1.0, 1.0, 0.0, 1.0];
        let plain = wilson(&v, None, 0.95);
        let equal = wilson(&v, Some(&[3.0; 4]), 0.95);
        assert!((plain.lower - equal.lower).abs() < 1e-12);
        let skew = wilson(&v, Some(&[1.0, 1.0, 1.0, 20.0]), 0.95);
        assert!(skew.upper - skew.lower > plain.upper - plain.lower);
        assert_eq!(skew.n, 4);
    }

    #[test]
    fn normal_quantile_matches_tables() {
        assert!((normal_quantile(0.975) - 1.959_963_985).abs() < 1e-8);
        assert!((normal_quantile(0.5)).abs() < 1e-12);
        assert!((normal_quantile(0.01) + 2.326_347_874).abs() < 1e-8);
        assert!((normal_quantile(0.999) - 3.090_232_306).abs() < 1e-8);
        assert!(normal_quantile(1.5).is_nan());
    }

    #[test]
    fn holm_matches_a_hand_example() {
        let adj = holm(&[0.01, 0.04, 0.03, 0.5]);
        let expected = [0.04, 0.09, 0.09, 0.5];
        for (a, e) in adj.iter().zip(expected) {
            assert!((a - e).abs() < 1e-12, "{adj:?}");
        }
        assert!(holm(&[]).is_empty());
    }

    /// The means of columns read in place (a row per question, as a metric table keeps them)
    /// have the intervals of the same columns copied out, bit for bit, with weights and
    /// without, and each column's the same as alone (its resamples do not depend on the other
    /// columns'); no questions, zero intervals.
    #[test]
    fn means_read_in_place_equal_columns_copied_out() {
        let (n, width) = (257, 5);
        let rows: Vec<f64> = (0..n * width)
            .map(|i| f64::from(u32::try_from((i * 7919) % 101).unwrap()) / 37.0 - 0.5)
            .collect();
        let columns: Vec<Vec<f64>> = (0..width)
            .map(|c| (0..n).map(|q| rows[q * width + c]).collect())
            .collect();
        let refs: Vec<&[f64]> = columns.iter().map(Vec::as_slice).collect();
        let weights: Vec<f64> = (0..n).map(|q| [1.0, 2.5, 0.25][q % 3]).collect();
        let cfg = Config {
            resamples: 600,
            ..Config::default()
        };
        let bits = |v: &[Interval]| -> Vec<[u64; 3]> {
            v.iter()
                .map(|i| [i.estimate.to_bits(), i.lower.to_bits(), i.upper.to_bits()])
                .collect()
        };
        for w in [None, Some(weights.as_slice())] {
            let copied = bootstrap_means(&refs, w, &cfg);
            let in_place = bootstrap_means_by(n, width, |c, q| rows[q * width + c], w, &cfg);
            assert_eq!(bits(&copied), bits(&in_place));
            assert!(copied.iter().all(|i| i.n == n && i.lower < i.upper));
            for (c, col) in refs.iter().enumerate() {
                let alone = bootstrap_means(&[col], w, &cfg);
                assert_eq!(bits(&alone), bits(&copied[c..=c]), "column {c}");
            }
        }
        let none = bootstrap_means_by(0, 2, |_, _| unreachable!(), None, &cfg);
        assert!(none
            .iter()
            .all(|i| i.n == 0 && i.lower == 0.0 && i.upper == 0.0));
    }

    /// Several statistics over the same resamples give, each, the interval that statistic
    /// gets alone, bit for bit (a ratio with nothing under it in some resamples too); no
    /// questions, NaN bounds for each.
    #[test]
    fn statistics_together_equal_each_alone() {
        let values: Vec<f64> = (0..300)
            .map(|i| f64::from((i * 37) % 11) / 10.0 - 0.2)
            .collect();
        let cfg = Config {
            resamples: 1200,
            ..Config::default()
        };
        let mean_of = |idx: &[usize]| idx.iter().map(|&i| values[i]).sum::<f64>() / 3.0;
        let max_of = |idx: &[usize]| {
            idx.iter()
                .map(|&i| values[i])
                .fold(f64::NEG_INFINITY, f64::max)
        };
        // The sum over the count of negative values: NaN (left out) when a resample has none
        // (about one in eleven of six draws from the first six values, two of them negative).
        let odd = |idx: &[usize]| {
            let neg = idx.iter().filter(|&&i| values[i] < 0.0).count();
            if neg == 0 {
                f64::NAN
            } else {
                idx.iter().map(|&i| values[i]).sum::<f64>() / neg as f64
            }
        };
        let few = 6;
        for n in [values.len(), few] {
            let estimates = [0.25, 0.9, 0.5];
            let together =
                bootstrap_statistics(n, &estimates, &cfg, |idx, seen: &mut usize, out| {
                    *seen += 1;
                    out[0] = mean_of(idx);
                    out[1] = max_of(idx);
                    out[2] = odd(idx);
                });
            let alone = [
                bootstrap_statistic(n, estimates[0], &cfg, mean_of),
                bootstrap_statistic(n, estimates[1], &cfg, max_of),
                bootstrap_statistic(n, estimates[2], &cfg, odd),
            ];
            assert_eq!(together.len(), 3);
            for (t, a) in together.iter().zip(&alone) {
                assert_eq!(t.estimate.to_bits(), a.estimate.to_bits());
                assert_eq!(t.lower.to_bits(), a.lower.to_bits(), "{t:?} {a:?}");
                assert_eq!(t.upper.to_bits(), a.upper.to_bits(), "{t:?} {a:?}");
                assert_eq!(t.n, a.n);
            }
        }
        let none = bootstrap_statistics(0, &[1.0, 2.0], &cfg, |_, _: &mut (), _| {});
        assert_eq!(none.len(), 2);
        assert!(none
            .iter()
            .all(|i| i.lower.is_nan() && i.upper.is_nan() && i.n == 0));
        assert_eq!(none[1].estimate, 2.0);
    }

    /// Bit for bit, with every float's bits (NaN bounds included).
    fn same_intervals(a: &[Interval], b: &[Interval]) {
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(b) {
            let bits = |i: &Interval| {
                (
                    i.estimate.to_bits(),
                    i.lower.to_bits(),
                    i.upper.to_bits(),
                    i.n,
                )
            };
            assert_eq!(bits(x), bits(y), "{x:?} {y:?}");
        }
    }

    /// The means of resamples drawn a run at a time, up to eight columns a pass, are those of
    /// each resample's questions drawn whole and then summed (the independent reference:
    /// `bootstrap_statistics`' list of draws), bit for bit: around a run's length, around
    /// eight columns, weighted (some weights 0, so some resamples weigh nothing) and not.
    #[test]
    fn means_drawn_in_runs_equal_each_resample_drawn_whole() {
        let cfg = Config {
            resamples: 300,
            seed: 9,
            ..Config::default()
        };
        for n in [
            1,
            2,
            7,
            DRAWN_AT_ONCE - 1,
            DRAWN_AT_ONCE,
            DRAWN_AT_ONCE + 1,
            1300,
        ] {
            for width in [1, 3, SIDE_BY_SIDE, SIDE_BY_SIDE + 1, 2 * SIDE_BY_SIDE + 3] {
                let at = |c: usize, q: usize| ((q * 31 + c * 7) % 13) as f64 / 8.0 - 0.3;
                let w: Vec<f64> = (0..n).map(|q| [0.0, 0.5, 2.0, 3.25][(q * 5) % 4]).collect();
                for weights in [None, relative_weights(w)] {
                    let w = weights.as_deref();
                    let got = bootstrap_means_by(n, width, at, w, &cfg);
                    let estimates: Vec<f64> =
                        (0..width).map(|c| mean_by(n, |q| at(c, q), w)).collect();
                    let whole =
                        bootstrap_statistics(n, &estimates, &cfg, |idx, _: &mut (), out| {
                            let total =
                                w.map_or(idx.len() as f64, |w| idx.iter().map(|&i| w[i]).sum());
                            for (c, o) in out.iter_mut().enumerate() {
                                let sum: f64 = match w {
                                    None => idx.iter().map(|&i| at(c, i)).sum(),
                                    Some(w) => idx.iter().map(|&i| at(c, i) * w[i]).sum(),
                                };
                                *o = if total > 0.0 { sum / total } else { f64::NAN };
                            }
                        });
                    same_intervals(&got, &whole);
                }
            }
        }
    }

    /// Counted resamples (every size, here from one question on) sum each column's values
    /// times their counts in question order: bit for bit those of an independent count of
    /// the same draws, and within rounding of each resample drawn whole and summed in the
    /// order drawn; weighted and not, around a run's length and eight columns; a table with a
    /// value that is not finite is summed in the order drawn (0 × NaN is NaN), bit for bit.
    #[test]
    fn means_counted_equal_the_draws_counted_in_question_order() {
        let cfg = Config {
            resamples: 260,
            seed: 5,
            ..Config::default()
        };
        for n in [1, 3, DRAWN_AT_ONCE + 1, 1300] {
            for width in [1, SIDE_BY_SIDE, SIDE_BY_SIDE + 2] {
                let at = |c: usize, q: usize| ((q * 29 + c * 11) % 17) as f64 / 6.0 - 0.7;
                let w: Vec<f64> = (0..n).map(|q| [0.0, 0.75, 2.0][(q * 7) % 3]).collect();
                for weights in [None, relative_weights(w)] {
                    let w = weights.as_deref();
                    let got = bootstrap_means_counted_from(n, width, at, w, &cfg, 0);
                    let estimates: Vec<f64> =
                        (0..width).map(|c| mean_by(n, |q| at(c, q), w)).collect();
                    let sums = |idx: &[usize], counted: bool, out: &mut [f64]| {
                        let weight = |q: usize| w.map_or(1.0, |w| w[q]);
                        let mut count = vec![0.0; n];
                        for &i in idx {
                            count[i] += 1.0;
                        }
                        let total: f64 = if counted {
                            match w {
                                None => n as f64,
                                Some(_) => (0..n).map(|q| count[q] * weight(q)).sum(),
                            }
                        } else {
                            idx.iter().map(|&i| weight(i)).sum()
                        };
                        for (c, o) in out.iter_mut().enumerate() {
                            let sum: f64 = if counted {
                                (0..n).map(|q| at(c, q) * (count[q] * weight(q))).sum()
                            } else {
                                idx.iter().map(|&i| at(c, i) * weight(i)).sum()
                            };
                            *o = if total > 0.0 { sum / total } else { f64::NAN };
                        }
                    };
                    let counted =
                        bootstrap_statistics(n, &estimates, &cfg, |idx, _: &mut (), out| {
                            sums(idx, true, out);
                        });
                    same_intervals(&got, &counted);
                    let drawn =
                        bootstrap_statistics(n, &estimates, &cfg, |idx, _: &mut (), out| {
                            sums(idx, false, out);
                        });
                    for (g, d) in got.iter().zip(&drawn) {
                        for (x, y) in [(g.lower, d.lower), (g.upper, d.upper)] {
                            assert!((x - y).abs() <= 1e-12 * y.abs().max(1.0), "{g:?} {d:?}");
                        }
                    }
                }
            }
        }
        // Not finite: the order drawn, the bits of `bootstrap_means_by` below the threshold.
        let nan_at = |c: usize, q: usize| if q == 3 { f64::NAN } else { (q + c) as f64 };
        same_intervals(
            &bootstrap_means_counted_from(50, 2, nan_at, None, &cfg, 0),
            &bootstrap_means_by(50, 2, nan_at, None, &cfg),
        );
    }

    /// The threshold itself: a table of `COUNTED_FROM` questions is counted (some of its
    /// resamples' sums differ in the last bits from the order drawn), and within rounding of
    /// it.
    #[test]
    fn tables_from_the_threshold_on_are_counted() {
        let cfg = Config {
            resamples: 8,
            seed: 2,
            ..Config::default()
        };
        let at = |c: usize, q: usize| 1.0 / (1.0 + ((q * 7919 + c) % 1000) as f64);
        let n = COUNTED_FROM;
        let counted = bootstrap_means_by(n, 3, at, None, &cfg);
        let drawn = bootstrap_means_counted_from(n, 3, at, None, &cfg, usize::MAX);
        assert_ne!(format!("{counted:?}"), format!("{drawn:?}"));
        for (a, b) in counted.iter().zip(&drawn) {
            assert_eq!(a.estimate.to_bits(), b.estimate.to_bits());
            assert!((a.lower - b.lower).abs() < 1e-12 && (a.upper - b.upper).abs() < 1e-12);
        }
    }

    /// Quantiles counted by rank are those of each resample's values gathered and selected,
    /// bit for bit: ties, -0 beside 0 (apart under `total_cmp`), one value, the lowest and
    /// highest quantile; no values, NaN throughout.
    #[test]
    fn nearest_ranks_counted_equal_gathered_and_selected() {
        let cfg = Config {
            resamples: 400,
            seed: 3,
            ..Config::default()
        };
        let qs = [0.5, 0.95, 0.001, 1.0, 0.5];
        let shapes: [&dyn Fn(usize) -> f64; 3] = [
            &|i| ((i * 37) % 11) as f64 * 12.5,
            &|i| {
                if i % 3 == 0 {
                    -0.0
                } else {
                    (i % 2) as f64 * 0.0 + (i % 5) as f64
                }
            },
            &|i| 1.0 / (1.0 + i as f64) + (i % 4) as f64 * 1e-300,
        ];
        for shape in shapes {
            for n in [1, 2, 5, 600, DRAWN_AT_ONCE + 3] {
                let values: Vec<f64> = (0..n).map(shape).collect();
                let got = bootstrap_nearest_ranks(&values, &qs, &cfg);
                same_intervals(&got, &bootstrap_nearest_ranks_selected(&values, &qs, &cfg));
            }
        }
        let none = bootstrap_nearest_ranks(&[], &qs, &cfg);
        assert!(none
            .iter()
            .all(|i| i.estimate.is_nan() && i.lower.is_nan() && i.n == 0));
    }

    #[test]
    fn same_seed_same_interval_other_seed_other_interval() {
        let values: Vec<f64> = (0..200).map(|i| f64::from((i * 37) % 11) / 10.0).collect();
        let cfg = Config::default();
        let a = bootstrap_means(&[&values], None, &cfg);
        let b = bootstrap_means(&[&values], None, &cfg);
        assert_eq!(a, b);
        let c = bootstrap_means(&[&values], None, &Config { seed: 7, ..cfg });
        assert_ne!(a[0].lower, c[0].lower);
        assert!(a[0].lower < a[0].estimate && a[0].estimate < a[0].upper);
        assert_eq!(a[0].n, 200);
    }

    #[test]
    fn constant_data_gives_a_point_interval() {
        let v = vec![0.5; 30];
        let i = bootstrap_means(&[&v], None, &Config::default())[0];
        assert_eq!((i.estimate, i.lower, i.upper), (0.5, 0.5, 0.5));
        let p = paired(&v, &v, None, &Config::default());
        assert_eq!(p.p_randomization, 1.0);
        assert_eq!(p.effect_size, None);
        assert_eq!(p.ties, 30);
    }

    #[test]
    fn weights_shift_the_estimate() {
        let v = [0.0, 1.0];
        assert_eq!(mean(&v, Some(&[3.0, 1.0])), 0.25);
        let i = bootstrap_means(&[&v], Some(&[3.0, 1.0]), &Config::default())[0];
        assert_eq!(i.estimate, 0.25);
    }

    #[test]
    fn paired_test_detects_a_real_difference_and_not_a_null_one() {
        let a: Vec<f64> = (0..100).map(|i| f64::from(i % 10) / 10.0).collect();
        let b: Vec<f64> = a
            .iter()
            .enumerate()
            .map(|(i, x)| if i % 3 == 0 { x + 0.2 } else { *x })
            .collect();
        let p = paired(&a, &b, None, &Config::default());
        assert!(p.p_randomization < 0.001, "{p:?}");
        assert!(p.diff.lower > 0.0);
        assert_eq!(p.wins, 34);
        assert!(p.effect_size.unwrap() > 0.5);
        // A shuffled copy differs question by question but not on average: large p.
        let c: Vec<f64> = a
            .iter()
            .enumerate()
            .map(|(i, x)| if i % 2 == 0 { x + 0.1 } else { x - 0.1 })
            .collect();
        let q = paired(&a, &c, None, &Config::default());
        assert!(q.p_randomization > 0.5, "{q:?}");
        assert!(q.diff.lower < 0.0 && q.diff.upper > 0.0);
    }

    /// Values of 80 questions; `shift` is added to every `every`-th one.
    fn shifted(base: &[f64], every: usize, shift: f64) -> Vec<f64> {
        base.iter()
            .enumerate()
            .map(|(i, x)| if i % every == 0 { x + shift } else { *x })
            .collect()
    }

    fn base() -> Vec<f64> {
        (0..80).map(|i| f64::from((i * 7) % 10) / 10.0).collect()
    }

    #[test]
    fn the_family_is_every_comparison_of_the_call() {
        let cfg = Config {
            resamples: 2000,
            ..Config::default()
        };
        let (a, b) = (base(), base().iter().map(|x| 1.0 - x).collect::<Vec<_>>());
        // Two candidates × three metrics (two metrics share a baseline, one has its own).
        let mut samples = Vec::new();
        for cand in 0..2 {
            for (metric, baseline) in [(0, &a), (1, &a), (2, &b)] {
                let every = 2 + cand + 2 * metric;
                let shift = 0.05 * (1 + metric) as f64;
                samples.push(PairedSample::new(
                    (cand, metric),
                    baseline.as_slice(),
                    shifted(baseline, every, shift),
                ));
            }
        }
        let out = paired_comparisons(samples.clone(), &cfg);
        assert_eq!(out.len(), 6);
        let raw: Vec<f64> = out.iter().map(|c| c.paired.p_randomization).collect();
        // Holm over all six, not over each metric's two or each candidate's three.
        let family = holm(&raw);
        for (c, h) in out.iter().zip(&family) {
            assert_eq!(c.p_holm, *h);
        }
        let smallest = raw.iter().copied().fold(f64::INFINITY, f64::min);
        let at_smallest = out
            .iter()
            .find(|c| c.paired.p_randomization == smallest)
            .unwrap();
        assert!(6.0 * smallest < 0.05, "{raw:?}");
        assert!((at_smallest.p_holm - 6.0 * smallest).abs() < 1e-15);
        // A call with one sample corrects nothing.
        let one = paired_comparisons(samples.into_iter().take(1), &cfg);
        assert_eq!(one[0].p_holm, one[0].paired.p_randomization);
        assert!(paired_comparisons(Vec::<PairedSample<'_, ()>>::new(), &cfg).is_empty());
    }

    #[test]
    fn holm_adjusted_p_values_keep_the_order_of_the_raw_ones() {
        let cfg = Config {
            resamples: 2000,
            ..Config::default()
        };
        let a = base();
        let samples: Vec<PairedSample<'_, usize>> = (0..8)
            .map(|k| PairedSample::new(k, a.as_slice(), shifted(&a, 2 + k, 0.02 * k as f64)))
            .collect();
        let out = paired_comparisons(samples, &cfg);
        for x in &out {
            assert!(
                x.p_holm >= x.paired.p_randomization && x.p_holm <= 1.0,
                "{x:?}"
            );
            for y in &out {
                if x.paired.p_randomization <= y.paired.p_randomization {
                    assert!(x.p_holm <= y.p_holm, "{x:?} {y:?}");
                }
            }
        }
        // Holm on its own: monotone in rank even where m·p would fall.
        assert_eq!(holm(&[0.01, 0.011, 0.5]), vec![0.03, 0.03, 0.5]);
    }

    #[test]
    fn each_comparison_pairs_its_own_baseline_and_candidate_in_input_order() {
        let cfg = Config {
            resamples: 500,
            ..Config::default()
        };
        let a = base();
        let up = shifted(&a, 1, 0.1);
        let out = paired_comparisons(
            [
                PairedSample::new("up", a.as_slice(), up.as_slice()),
                PairedSample::new("down", up.as_slice(), a.as_slice()),
                PairedSample::new("same", a.clone(), a.clone()),
            ],
            &cfg,
        );
        let keys: Vec<&str> = out.iter().map(|c| c.key).collect();
        assert_eq!(keys, ["up", "down", "same"]);
        assert!((out[0].paired.diff.estimate - 0.1).abs() < 1e-12);
        assert!((out[1].paired.diff.estimate + 0.1).abs() < 1e-12);
        assert_eq!((out[0].paired.wins, out[1].paired.losses), (80, 80));
        assert_eq!(out[2].paired.ties, 80);
        // The same test as `paired` on the pair alone.
        assert_eq!(out[0].paired, paired(&a, &up, None, &cfg));
    }

    #[test]
    #[should_panic(expected = "aligned")]
    fn unaligned_pairs_are_refused() {
        let _ = paired_comparisons(
            [PairedSample::new((), vec![0.0, 1.0], vec![1.0])],
            &Config::default(),
        );
    }

    #[test]
    #[should_panic(expected = "weights must be aligned")]
    fn unaligned_weights_are_refused() {
        let _ = paired_comparisons(
            [PairedSample::new((), vec![0.0, 1.0], vec![1.0, 1.0]).weighted(Some(vec![1.0]))],
            &Config::default(),
        );
    }

    #[test]
    fn weights_weight_the_comparison() {
        let cfg = Config {
            resamples: 500,
            ..Config::default()
        };
        // The candidate wins question 0 by 1 and loses question 1 by 1.
        let (a, b) = (vec![0.0, 1.0], vec![1.0, 0.0]);
        let w = [3.0, 1.0];
        let out = paired_comparisons(
            [
                PairedSample::new(0, a.as_slice(), b.as_slice()),
                PairedSample::new(1, a.as_slice(), b.as_slice()).weighted(Some(&w[..])),
                PairedSample::new(2, a.as_slice(), b.as_slice()).weighted(None::<Vec<f64>>),
            ],
            &cfg,
        );
        assert_eq!(out[0].paired.diff.estimate, 0.0);
        assert_eq!(out[1].paired.diff.estimate, 0.5);
        assert_eq!((out[1].paired.mean_a, out[1].paired.mean_b), (0.25, 0.75));
        assert_eq!(out[1].paired, paired(&a, &b, Some(&w), &cfg));
        assert_eq!(out[2].paired, out[0].paired);
    }

    #[test]
    fn equal_weights_are_the_unweighted_mean() {
        assert_eq!(relative_weights(vec![1.0, 1.0]), None);
        assert_eq!(relative_weights(vec![0.0, 0.0, 0.0]), None);
        assert_eq!(relative_weights(vec![]), None);
        assert_eq!(relative_weights(vec![2.0, 0.0]), Some(vec![2.0, 0.0]));
        // As adjacent pairs compare: −0 equals 0, one NaN alone is all alike, two differ.
        assert_eq!(relative_weights(vec![0.0, -0.0, 0.0]), None);
        assert_eq!(relative_weights(vec![f64::NAN]), None);
        assert!(relative_weights(vec![f64::NAN, f64::NAN]).is_some());
        assert!(relative_weights(vec![1.0, 1.0, f64::NAN]).is_some());
        assert!(weights_differ([1.0, 2.0, 1.0].into_iter()));
        assert!(!weights_differ(std::iter::empty()));
    }
}
