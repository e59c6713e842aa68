//! Cost and latency of a traced system: cost per question, per correct answer and per class
//! from token prices, and latency quantiles by class and for correct against wrong answers,
//! each with a percentile bootstrap interval.

use crate::{Briefs, Class, RecordFigures};
use ragdiag_contract::{ClassCost, CostLatency, Interval, LatencyQuantiles, Price};
use ragdiag_core::{Query, TraceRecord};
use ragdiag_eval::stats;
use std::collections::HashMap;

/// One traced question's figures.
#[derive(Debug, Clone, Copy)]
struct Row {
    class: Class,
    ok: Option<bool>,
    latency: Option<f64>,
    cost: Option<f64>,
}

fn interval(i: stats::Interval) -> Interval {
    Interval::of(i.estimate, i.lower, i.upper, i.n)
}

/// A cost interval rounded to a millionth of the currency (a thousandth of a cent), so the page
/// and `report.md` show it exactly as `summary.json` holds it.
fn money(i: Interval) -> Interval {
    let r = |v: Option<f64>| v.map(|v| (v * 1e6).round() / 1e6);
    Interval {
        mean: r(i.mean),
        ci_lower: r(i.ci_lower),
        ci_upper: r(i.ci_upper),
        n: i.n,
    }
}

/// The p50 and p95 of `values` (nearest rank) with bootstrap intervals, both over the same
/// resamples (each interval the one a bootstrap of that quantile alone gives: the draws are
/// the same), counted by rank ([`stats::bootstrap_nearest_ranks`]).
fn quantiles(values: &[f64], cfg: &stats::Config) -> LatencyQuantiles {
    if values.is_empty() {
        return LatencyQuantiles {
            p50: Interval::empty(),
            p95: Interval::empty(),
        };
    }
    let intervals = stats::bootstrap_nearest_ranks(values, &[0.5, 0.95], cfg);
    LatencyQuantiles {
        p50: interval(intervals[0]),
        p95: interval(intervals[1]),
    }
}

/// The mean of `values` with its bootstrap interval; `None` when empty.
fn mean(values: &[f64], cfg: &stats::Config) -> Option<Interval> {
    if values.is_empty() {
        return None;
    }
    let est = stats::mean(values, None);
    Some(money(interval(stats::bootstrap_statistic(
        values.len(),
        est,
        cfg,
        |idx| idx.iter().map(|&i| values[i]).sum::<f64>() / idx.len() as f64,
    ))))
}

/// A trace record's cost at `price` (prompt and completion tokens per million; `None` without
/// a price or token counts) and its latency in milliseconds.
fn record_cost_latency(t: &RecordFigures, price: Option<Price>) -> (Option<f64>, Option<f64>) {
    let finite = |v: Option<f64>| v.filter(|x| x.is_finite() && *x >= 0.0);
    let (p, c) = (finite(t.prompt_tokens), finite(t.completion_tokens));
    let cost = price.and_then(|pr| {
        (p.is_some() || c.is_some())
            .then(|| (p.unwrap_or(0.0) * pr.prompt + c.unwrap_or(0.0) * pr.completion) / 1e6)
    });
    (cost, finite(t.latency_ms))
}

/// The first record of `trace` for each of `queries`, with its position in `trace` (aligned
/// with them; `None` where no record names it): the one line of a question that its figures
/// come from.
#[must_use]
pub fn first_records<'t, R: std::borrow::Borrow<TraceRecord>>(
    trace: &'t [R],
    queries: &[Query],
) -> Vec<Option<(usize, &'t TraceRecord)>> {
    let mut first: HashMap<&str, (usize, &TraceRecord)> = HashMap::new();
    for (line, t) in trace.iter().enumerate() {
        let t: &TraceRecord = t.borrow();
        first.entry(t.query_id.as_str()).or_insert((line, t));
    }
    queries
        .iter()
        .map(|q| first.get(q.id.as_str()).copied())
        .collect()
}

/// Each question's cost and latency from the first trace record of its id (`None` where the
/// trace has no record, or no figure), for `queries.parquet`.
#[must_use]
pub fn per_question<R: std::borrow::Borrow<TraceRecord>>(
    trace: Option<&[R]>,
    queries: &[Query],
    price: Option<Price>,
) -> Vec<(Option<f64>, Option<f64>)> {
    first_records(trace.unwrap_or_default(), queries)
        .into_iter()
        .map(|t| {
            t.map_or((None, None), |(line, t)| {
                record_cost_latency(&RecordFigures::of(line, t), price)
            })
        })
        .collect()
}

/// Cost and latency of the traced questions (the first trace line of each diagnosed question,
/// [`Brief::record`]). `price`: per million prompt and completion tokens; without it no cost
/// is computed.
#[must_use]
pub fn cost_latency(ds: &Briefs, price: Option<Price>, seed: u64) -> CostLatency {
    let cfg = stats::Config {
        seed,
        ..stats::Config::default()
    };
    // Question ids are unique (the loaders drop a repeated one), so each brief is one question.
    // The rows are read off the briefs each time a figure needs them (no list of them is
    // made: 40 bytes a question, the largest list of the end of a 1,000,000-question run).
    let rows = || {
        ds.iter().filter_map(move |d| {
            let t = d.record.as_ref()?;
            let (cost, latency) = record_cost_latency(t, price);
            Some(Row {
                class: d.class,
                ok: d.answer_ok(),
                latency,
                cost,
            })
        })
    };
    // Each figure's list is made, bootstrapped and let go before the next is made (at a
    // million questions they would hold ~40 bytes a question together).
    let cost_per_question = {
        let costs: Vec<f64> = rows().filter_map(|r| r.cost).collect();
        mean(&costs, &cfg)
    };
    // Cost per correct answer: total cost over correct answers, among questions with a cost
    // and a judged answer, resampling questions (costs and verdicts in two lists: 9 bytes a
    // question, not a 16-byte pair).
    let per_correct = {
        let (costs, ok): (Vec<f64>, Vec<bool>) =
            rows().filter_map(|r| Some((r.cost?, r.ok?))).unzip();
        let ratio = |idx: &mut dyn Iterator<Item = usize>| {
            let (mut c, mut k) = (0.0, 0.0);
            for i in idx {
                c += costs[i];
                k += f64::from(u8::from(ok[i]));
            }
            if k > 0.0 {
                c / k
            } else {
                f64::NAN
            }
        };
        let est = ratio(&mut (0..costs.len()));
        est.is_finite().then(|| {
            money(interval(stats::bootstrap_statistic(
                costs.len(),
                est,
                &cfg,
                |idx| ratio(&mut idx.iter().copied()),
            )))
        })
    };
    let lat = |keep: &dyn Fn(&Row) -> bool| -> Vec<f64> {
        rows()
            .filter(|r| keep(r))
            .filter_map(|r| r.latency)
            .collect()
    };
    let latency_correct = quantiles(&lat(&|r| r.ok == Some(true)), &cfg);
    let latency_wrong = quantiles(&lat(&|r| r.ok == Some(false)), &cfg);
    let by_class = Class::ALL
        .into_iter()
        .filter(|c| rows().any(|r| r.class == *c))
        .map(|c| {
            let cost = {
                let cc: Vec<f64> = rows()
                    .filter(|r| r.class == c)
                    .filter_map(|r| r.cost)
                    .collect();
                mean(&cc, &cfg)
            };
            ClassCost {
                class: c.as_str().to_owned(),
                cost,
                latency: quantiles(&lat(&|r| r.class == c), &cfg),
            }
        })
        .collect();
    CostLatency {
        price,
        cost_per_question,
        cost_per_correct_answer: per_correct,
        latency_correct,
        latency_wrong,
        by_class,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_matches_the_definition() {
        let mut v = vec![5.0, 1.0, 4.0, 2.0, 3.0];
        assert_eq!(stats::nearest_rank(&mut v, 0.5), 3.0);
        assert_eq!(stats::nearest_rank(&mut v, 0.95), 5.0);
        assert_eq!(stats::nearest_rank(&mut v, 0.2), 1.0);
        assert!(stats::nearest_rank(&mut [], 0.5).is_nan());
    }

    #[test]
    fn quantile_intervals_cover_the_estimate_and_are_seeded() {
        let v: Vec<f64> = (1..=200).map(f64::from).collect();
        let cfg = stats::Config {
            resamples: 2000,
            ..stats::Config::default()
        };
        let q = quantiles(&v, &cfg);
        assert_eq!(q.p50.mean, Some(100.0));
        assert_eq!(q.p95.mean, Some(190.0));
        let (l, u) = (q.p50.ci_lower.unwrap(), q.p50.ci_upper.unwrap());
        assert!(l < 100.0 && u > 100.0 && l > 80.0 && u < 120.0, "{l}–{u}");
        assert_eq!(quantiles(&v, &cfg), q);
        assert_eq!(quantiles(&[], &cfg).p50, Interval::empty());
    }
}
