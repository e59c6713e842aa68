//! `ragdiag compare`: diagnose reports compared question by question against the first.

use ragdiag_contract::{
    ClassChange, CompareGate, CompareSummary, Comparison, Efficiency, Interval, Mode, NotCompared,
    COMPARE_SCHEMA_VERSION,
};
use ragdiag_eval::stats::{self, PairedComparison, PairedSample};
use std::collections::{BTreeMap, BTreeSet};

/// One report as `compare` reads it: per question, its class, reason, weight and metric values.
#[derive(Debug, Clone, Default)]
pub struct ReportRows {
    /// The report's folder, as given.
    pub dir: String,
    /// Its name (`summary.json`'s `name`).
    pub name: String,
    /// Its context window.
    pub context_k: usize,
    /// Whether it diagnosed a trace or a replay (`None`: not said).
    pub mode: Option<Mode>,
    /// Its questions by id.
    pub questions: BTreeMap<String, QuestionRow>,
    /// The metric columns it holds (the declared metrics of `queries.parquet`).
    pub metrics: Vec<String>,
}

/// One question of a report.
#[derive(Debug, Clone, Default)]
pub struct QuestionRow {
    /// Its class.
    pub class: String,
    /// Its reason.
    pub reason: String,
    /// Its traffic weight.
    pub weight: f64,
    /// Its metric values (scored metrics only).
    pub values: BTreeMap<String, f64>,
    /// Whether its answer was judged correct (`None`: no answer judged).
    pub correct: Option<bool>,
    /// Its cost at the report's `--price` (`None`: none).
    pub cost: Option<f64>,
    /// The traced system's latency, in milliseconds (`None`: none).
    pub latency_ms: Option<f64>,
}

/// A `--fail-on-regression` gate names a metric no comparison has.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("--fail-on-regression: no metric {0:?} in these reports")]
pub struct NoSuchMetric(pub String);

/// The display name of the per-question evidence hit: `hit@K`.
pub(crate) fn display(metric: &str, r: &ReportRows) -> String {
    if metric == "hit" {
        format!("hit@{}", r.context_k)
    } else {
        metric.to_owned()
    }
}

/// Every later report against the first: each metric both hold, paired on the questions both
/// scored and weighted by the baseline's weights, Holm-corrected as one family (all the
/// comparisons of the call); the questions whose class changed; and the regression gates
/// (`max_drops`: a metric, `hit@K` for the hit, and the largest drop allowed). Also returns
/// warnings (different context windows, missing questions).
///
/// # Errors
///
/// [`NoSuchMetric`] when a gate names a metric no comparison has.
pub fn compare_reports(
    reports: &[ReportRows],
    max_drops: &[(String, f64)],
    seed: u64,
) -> Result<(CompareSummary, Vec<String>), NoSuchMetric> {
    let mut warnings = Vec::new();
    let Some(base) = reports.first() else {
        return Ok((
            CompareSummary {
                schema_version: COMPARE_SCHEMA_VERSION,
                baseline: String::new(),
                reports: Vec::new(),
                comparisons: Vec::new(),
                class_changes: Vec::new(),
                classes_not_compared: Vec::new(),
                efficiency: Vec::new(),
                gates: Vec::new(),
                seed,
            },
            warnings,
        ));
    };
    let cfg = stats::Config {
        seed,
        ..stats::Config::default()
    };

    let samples = paired_samples(reports, &mut warnings);
    let cmps = stats::paired_comparisons(samples, &cfg);
    let (class_changes, classes_not_compared) = class_changes(reports, &mut warnings);
    let gates = regression_gates(reports, &cmps, max_drops)?;
    let comparisons: Vec<Comparison> = cmps
        .iter()
        .map(|c| {
            let r = &reports[c.key.0];
            contract_comparison(c, &base.name, &r.name, display(&c.key.1, r))
        })
        .collect();
    let summary = CompareSummary {
        schema_version: COMPARE_SCHEMA_VERSION,
        baseline: base.dir.clone(),
        reports: reports.iter().map(|r| r.dir.clone()).collect(),
        comparisons,
        class_changes,
        classes_not_compared,
        efficiency: efficiency(reports, &cfg),
        gates,
        seed,
    };

    Ok((summary, warnings))
}

/// Cost and latency per correct answer of every later report against the baseline, paired on
/// the questions both hold with the figure and a judged answer (see [`Efficiency`]).
fn efficiency(reports: &[ReportRows], cfg: &stats::Config) -> Vec<Efficiency> {
    type Get = fn(&QuestionRow) -> Option<f64>;
    let figures: [(&str, Get); 2] = [
        ("cost_per_correct_answer", |q| q.cost),
        ("latency_ms_per_correct_answer", |q| q.latency_ms),
    ];
    let base = &reports[0];
    let mut out = Vec::new();
    for r in reports.iter().skip(1) {
        for (figure, get) in figures {
            // (baseline figure, baseline correct, report figure, report correct)
            let rows: Vec<[f64; 4]> = base
                .questions
                .iter()
                .filter_map(|(qid, a)| {
                    let b = r.questions.get(qid)?;
                    Some([
                        get(a)?,
                        f64::from(u8::from(a.correct?)),
                        get(b)?,
                        f64::from(u8::from(b.correct?)),
                    ])
                })
                .collect();
            if rows.is_empty() {
                continue;
            }
            let ratios = |idx: &mut dyn Iterator<Item = usize>| {
                let mut s = [0.0; 4];
                for i in idx {
                    for (acc, v) in s.iter_mut().zip(rows[i]) {
                        *acc += v;
                    }
                }
                let ratio = |x: f64, k: f64| if k > 0.0 { x / k } else { f64::NAN };
                (ratio(s[0], s[1]), ratio(s[2], s[3]), s[1], s[3])
            };
            let (a, b, ka, kb) = ratios(&mut (0..rows.len()));
            let iv = stats::bootstrap_statistic(rows.len(), b - a, cfg, |idx| {
                let (a, b, _, _) = ratios(&mut idx.iter().copied());
                b - a
            });
            let finite = |v: f64| v.is_finite().then_some(v);
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            out.push(Efficiency {
                report: r.name.clone(),
                figure: figure.to_owned(),
                baseline: finite(a),
                value: finite(b),
                correct_baseline: ka as usize,
                correct: kb as usize,
                difference: Interval::of(iv.estimate, iv.lower, iv.upper, iv.n),
            });
        }
    }
    out
}

/// Every (report, metric) of the later reports paired with the baseline on the questions both
/// scored, weighted by the baseline's weights.
fn paired_samples<'a>(
    reports: &[ReportRows],
    warnings: &mut Vec<String>,
) -> Vec<PairedSample<'a, (usize, String)>> {
    let base = &reports[0];
    let mut samples = Vec::new();
    for (ri, r) in reports.iter().enumerate().skip(1) {
        if r.context_k != base.context_k {
            warnings.push(format!(
                "{} uses a context window of {}, the baseline {}: hit rates differ in meaning",
                r.dir, r.context_k, base.context_k
            ));
        }
        for metric in &base.metrics {
            samples.extend(paired_metric((ri, metric.clone()), base, r, metric));
        }
    }
    samples
}

/// `metric` on the questions both `base` and `r` scored, `base`'s values first, weighted by
/// `base`'s weights; `None` when `r` lacks the metric or no question has both values.
pub(crate) fn paired_metric<K>(
    key: K,
    base: &ReportRows,
    r: &ReportRows,
    metric: &str,
) -> Option<PairedSample<'static, K>> {
    if !r.metrics.iter().any(|m| m == metric) {
        return None;
    }
    let (mut a, mut b, mut w) = (Vec::new(), Vec::new(), Vec::new());
    for (qid, row) in &base.questions {
        let (Some(va), Some(vb)) = (
            row.values.get(metric),
            r.questions.get(qid).and_then(|x| x.values.get(metric)),
        ) else {
            continue;
        };
        a.push(*va);
        b.push(*vb);
        w.push(row.weight);
    }
    if a.is_empty() {
        return None;
    }
    Some(PairedSample::new(key, a, b).weighted(stats::relative_weights(w)))
}

/// The questions whose class differs from the baseline's: `fixed` (to `ok`), `regressed`
/// (from `ok`) or `changed`; and the reports whose classes cannot be compared with the
/// baseline's (another mode).
fn class_changes(
    reports: &[ReportRows],
    warnings: &mut Vec<String>,
) -> (Vec<ClassChange>, Vec<NotCompared>) {
    let base = &reports[0];
    let mut class_changes = Vec::new();
    let mut not_compared = Vec::new();
    for (ri, r) in reports.iter().enumerate().skip(1) {
        if let (Some(a), Some(b)) = (base.mode, r.mode) {
            if a != b {
                let mode = |m: Mode| match m {
                    Mode::Trace => "trace",
                    Mode::Replay => "replay",
                };
                let reason = format!(
                    "{} is a {} report and the baseline a {} report: classes are not compared \
                     (replay assesses no answers, so a generation failure in the trace would \
                     read as ok); metrics are",
                    r.dir,
                    mode(b),
                    mode(a)
                );
                warnings.push(reason.clone());
                not_compared.push(NotCompared {
                    report: r.dir.clone(),
                    reason,
                });
                continue;
            }
        }
        for (qid, row) in &base.questions {
            let Some(other) = r.questions.get(qid) else {
                continue;
            };
            if other.class == row.class {
                continue;
            }
            let ok = crate::Class::Ok.as_str();
            let kind = match (row.class == ok, other.class == ok) {
                (true, false) => "regressed",
                (false, true) => "fixed",
                _ => "changed",
            };
            class_changes.push(ClassChange {
                report: r.name.clone(),
                report_index: ri,
                query: qid.clone(),
                kind: kind.into(),
                from: row.class.clone(),
                to: other.class.clone(),
                reason: other.reason.clone(),
            });
        }
        let missing: BTreeSet<&String> = base
            .questions
            .keys()
            .filter(|q| !r.questions.contains_key(*q))
            .collect();
        if !missing.is_empty() {
            warnings.push(format!(
                "{} lacks {} of the baseline's questions (compared on the shared ones)",
                r.dir,
                missing.len()
            ));
        }
    }

    (class_changes, not_compared)
}

/// Each gate against every report that holds its metric: failed when the metric dropped by
/// more than allowed with a Holm-corrected p below 0.05.
fn regression_gates(
    reports: &[ReportRows],
    cmps: &[PairedComparison<(usize, String)>],
    max_drops: &[(String, f64)],
) -> Result<Vec<CompareGate>, NoSuchMetric> {
    gates_by(cmps, max_drops, |i| reports[i].name.clone())
}

/// Each gate (`metric`, largest drop allowed) on every comparison of its metric, keyed
/// (report index, metric), the report named by `report`: failed when the metric dropped by
/// more than allowed with a Holm-corrected p below 0.05 (`compare` and `trend`).
pub(crate) fn gates_by(
    cmps: &[PairedComparison<(usize, String)>],
    max_drops: &[(String, f64)],
    report: impl Fn(usize) -> String,
) -> Result<Vec<CompareGate>, NoSuchMetric> {
    let mut gates = Vec::new();
    for (metric, delta) in max_drops {
        let key = if metric.starts_with("hit@") {
            "hit"
        } else {
            metric.as_str()
        };
        let relevant: Vec<&PairedComparison<(usize, String)>> =
            cmps.iter().filter(|c| c.key.1 == key).collect();
        if relevant.is_empty() {
            return Err(NoSuchMetric(metric.clone()));
        }
        for c in relevant {
            let drop = c.paired.mean_a - c.paired.mean_b;
            gates.push(CompareGate {
                report: report(c.key.0),
                metric: metric.clone(),
                max_drop: *delta,
                drop,
                p_holm: c.p_holm,
                passed: !(drop > *delta && c.p_holm < 0.05),
            });
        }
    }
    Ok(gates)
}

/// One paired test as the contract writes it (`compare`, and the reranker's pre- against
/// post-rerank tests).
pub(crate) fn contract_comparison<K>(
    c: &PairedComparison<K>,
    baseline: &str,
    report: &str,
    metric: String,
) -> Comparison {
    Comparison {
        baseline: baseline.to_owned(),
        report: report.to_owned(),
        metric,
        mean_baseline: c.paired.mean_a,
        mean: c.paired.mean_b,
        difference: c.paired.diff.estimate,
        ci_lower: c.paired.diff.lower,
        ci_upper: c.paired.diff.upper,
        n: c.paired.diff.n,
        p_randomization: c.paired.p_randomization,
        p_bootstrap: c.paired.p_bootstrap,
        p_holm: c.p_holm,
        effect_size: c.paired.effect_size,
        wins: c.paired.wins,
        losses: c.paired.losses,
        ties: c.paired.ties,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(name: &str, hits: &[f64], classes: &[&str]) -> ReportRows {
        ReportRows {
            dir: format!("reports/{name}"),
            name: name.into(),
            context_k: 5,
            mode: Some(Mode::Trace),
            questions: hits
                .iter()
                .zip(classes)
                .enumerate()
                .map(|(i, (h, c))| {
                    let row = QuestionRow {
                        class: (*c).into(),
                        reason: format!("reason {i}"),
                        weight: 1.0,
                        values: [("hit".to_owned(), *h)].into_iter().collect(),
                        ..QuestionRow::default()
                    };
                    (format!("q{i:02}"), row)
                })
                .collect(),
            metrics: vec!["hit".into()],
        }
    }

    #[test]
    fn a_drop_beyond_the_gate_fails_and_changed_classes_are_listed() {
        let ok = crate::Class::Ok.as_str();
        let miss = crate::Class::RankingMiss.as_str();
        let base = report("base", &[1.0; 30], &[ok; 30]);
        let mut worse_classes = vec![ok; 30];
        worse_classes[..20].fill(miss);
        let mut hits = vec![1.0; 30];
        hits[..20].fill(0.0);
        let worse = report("worse", &hits, &worse_classes);
        let gates = [("hit@5".to_owned(), 0.1)];
        let (summary, warnings) = compare_reports(&[base.clone(), worse], &gates, 42).unwrap();
        assert!(warnings.is_empty());
        assert_eq!(summary.comparisons.len(), 1);
        let c = &summary.comparisons[0];
        assert_eq!((c.metric.as_str(), c.n, c.losses), ("hit@5", 30, 20));
        assert!(c.p_holm < 0.05, "{}", c.p_holm);
        assert!(!summary.gates[0].passed);
        assert_eq!(summary.class_changes.len(), 20);
        assert!(summary.class_changes.iter().all(|x| x.kind == "regressed"));
        // The same report against itself passes, and an unknown metric is refused.
        let (same, _) = compare_reports(&[base.clone(), base.clone()], &gates, 42).unwrap();
        assert!(same.gates[0].passed && same.class_changes.is_empty());
        let err = compare_reports(&[base.clone(), base], &[("mrr".into(), 0.1)], 42);
        assert_eq!(err.unwrap_err(), NoSuchMetric("mrr".into()));
    }

    #[test]
    fn a_replay_report_is_not_compared_class_by_class_with_a_trace_report() {
        // In the trace the answers were wrong over good context (generation_failure); the
        // replay, which assesses no answers, calls the same questions ok. That is no fix.
        let gen = crate::Class::GenerationFailure.as_str();
        let ok = crate::Class::Ok.as_str();
        let trace = report("trace", &[1.0; 12], &[gen; 12]);
        let mut replay = report("replay", &[1.0; 12], &[ok; 12]);
        replay.mode = Some(Mode::Replay);
        let (summary, warnings) = compare_reports(&[trace.clone(), replay], &[], 42).unwrap();
        assert!(
            summary.class_changes.is_empty(),
            "{:?}",
            summary.class_changes
        );
        assert_eq!(summary.classes_not_compared.len(), 1);
        assert_eq!(summary.classes_not_compared[0].report, "reports/replay");
        assert!(warnings[0].contains("replay report and the baseline a trace report"));
        // Metrics are still compared.
        assert_eq!(summary.comparisons.len(), 1);
        // Two trace reports are compared as before.
        let mut fixed = report("fixed", &[1.0; 12], &[ok; 12]);
        fixed.mode = Some(Mode::Trace);
        let (summary, _) = compare_reports(&[trace, fixed], &[], 42).unwrap();
        assert_eq!(summary.class_changes.len(), 12);
        assert!(summary.classes_not_compared.is_empty());
    }

    #[test]
    fn cost_and_latency_per_correct_answer_are_paired_against_the_baseline() {
        let ok = crate::Class::Ok.as_str();
        let with = |name: &str, cost: f64, latency: f64, wrong: usize| {
            let mut r = report(name, &[1.0; 40], &[ok; 40]);
            for (i, q) in r.questions.values_mut().enumerate() {
                q.correct = Some(i >= wrong);
                q.cost = Some(cost);
                q.latency_ms = Some(latency);
            }
            r
        };
        // The candidate costs twice as much a question and is as often right: its cost per
        // correct answer doubles; it answers as fast, with 10 more wrong answers.
        let base = with("base", 0.001, 1000.0, 0);
        let dear = with("dear", 0.002, 1000.0, 10);
        let (summary, _) = compare_reports(&[base, dear], &[], 42).unwrap();
        let e = &summary.efficiency;
        assert_eq!(e.len(), 2);
        let cost = e
            .iter()
            .find(|e| e.figure == "cost_per_correct_answer")
            .unwrap();
        assert_eq!(
            (cost.correct_baseline, cost.correct, cost.difference.n),
            (40, 30, 40)
        );
        assert!((cost.baseline.unwrap() - 0.001).abs() < 1e-12);
        assert!((cost.value.unwrap() - 0.08 / 30.0).abs() < 1e-12);
        assert!(cost.difference.ci_lower.unwrap() > 0.0, "{cost:?}");
        let latency = e
            .iter()
            .find(|e| e.figure == "latency_ms_per_correct_answer")
            .unwrap();
        let expected = 40_000.0 / 30.0 - 1000.0;
        assert!((latency.difference.mean.unwrap() - expected).abs() < 1e-9);
        assert!(latency.difference.ci_lower.unwrap() > 0.0);
        // Without costs (no --price) there is no cost figure.
        let mut plain = with("plain", 0.0, 1000.0, 0);
        for q in plain.questions.values_mut() {
            q.cost = None;
        }
        let (summary, _) = compare_reports(&[plain.clone(), plain], &[], 42).unwrap();
        assert_eq!(summary.efficiency.len(), 1);
        assert_eq!(summary.efficiency[0].difference.mean, Some(0.0));
    }
}
