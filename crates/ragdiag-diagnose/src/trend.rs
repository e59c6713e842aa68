//! `ragdiag trend`: dated diagnose reports over time, each step tested question by question.

use crate::compare::{display, paired_metric, NoSuchMetric, ReportRows};
use ragdiag_contract::trend::{
    TrendComparison, TrendRun, TrendStep, TrendSummary, TREND_SCHEMA_VERSION,
};
use ragdiag_contract::{CompareGate, DiagnoseSummary, Interval, Mode};
use ragdiag_eval::stats::{self, PairedComparison};
use std::collections::BTreeMap;

/// One report of a trend: its per-question rows (as `compare` reads them), its summary and its
/// date (`YYYY-MM-DD`) with where the date came from.
#[derive(Debug, Clone)]
pub struct DatedReport {
    /// The per-question rows of `queries.parquet`.
    pub rows: ReportRows,
    /// Its `summary.json`.
    pub summary: DiagnoseSummary,
    /// Its date, `YYYY-MM-DD`.
    pub date: String,
    /// `created_at` or `override`.
    pub date_source: String,
}

/// The trend of `reports`: sorted by date (stable), each run's headline metrics and class
/// shares with the intervals its summary holds, and each consecutive step's paired tests on
/// the questions both runs hold (every step and metric one Holm family); a step whose runs
/// share no question is marked and not tested, one between a trace and a replay report has its
/// class shares marked not comparable. `max_drops` are `--fail-on-regression`'s gates (a
/// metric, `hit@K` for the hit, and the largest drop allowed), checked on every step. Also
/// returns warnings (one per note).
///
/// # Errors
///
/// [`NoSuchMetric`] when a gate names a metric no step has.
pub fn trend(
    reports: &[DatedReport],
    max_drops: &[(String, f64)],
    seed: u64,
) -> Result<(TrendSummary, Vec<String>), NoSuchMetric> {
    let mut order: Vec<usize> = (0..reports.len()).collect();
    order.sort_by(|a, b| reports[*a].date.cmp(&reports[*b].date));
    let sorted: Vec<&DatedReport> = order.iter().map(|i| &reports[*i]).collect();
    let runs: Vec<TrendRun> = sorted.iter().map(|r| run_of(r)).collect();

    let mut warnings = Vec::new();
    let mut steps = Vec::new();
    let mut samples = Vec::new();
    for i in 1..sorted.len() {
        let (a, b) = (&sorted[i - 1].rows, &sorted[i].rows);
        let shared = a
            .questions
            .keys()
            .filter(|q| b.questions.contains_key(*q))
            .count();
        let only_before = a.questions.len() - shared;
        let only_after = b.questions.len() - shared;
        let mut notes = Vec::new();
        let step_name = format!("{} → {}", runs[i - 1].name, runs[i].name);
        if shared == 0 {
            notes.push(format!(
                "{step_name}: no question in common, so the step is not tested question by \
                 question (the figures of each run stand alone)"
            ));
        } else if only_before + only_after > 0 {
            notes.push(format!(
                "{step_name}: different question sets; tested on the {shared} shared questions \
                 ({only_before} only before, {only_after} only after)"
            ));
        }
        let classes_comparable = !matches!((a.mode, b.mode), (Some(x), Some(y)) if x != y);
        if !classes_comparable {
            notes.push(format!(
                "{step_name}: a {} report after a {} report: class shares are not comparable \
                 (replay assesses no answers); retrieval metrics are",
                mode_name(b.mode),
                mode_name(a.mode)
            ));
        }
        if a.context_k != b.context_k {
            notes.push(format!(
                "{step_name}: context windows differ ({} then {}): hit rates differ in meaning",
                a.context_k, b.context_k
            ));
        }
        warnings.extend(notes.iter().cloned());
        if shared > 0 {
            for metric in &a.metrics {
                samples.extend(paired_metric((i - 1, metric.clone()), a, b, metric));
            }
        }
        steps.push(TrendStep {
            from: i - 1,
            to: i,
            shared_questions: shared,
            only_before,
            only_after,
            paired: shared > 0,
            classes_comparable,
            notes,
            comparisons: Vec::new(),
            regression: false,
        });
    }
    let cfg = stats::Config {
        seed,
        ..stats::Config::default()
    };
    let cmps = stats::paired_comparisons(samples, &cfg);
    for c in &cmps {
        let step = &mut steps[c.key.0];
        let regression = c.paired.diff.estimate < 0.0 && c.p_holm < 0.05;
        step.regression |= regression;
        step.comparisons.push(TrendComparison {
            metric: display(&c.key.1, &sorted[step.to].rows),
            mean_before: c.paired.mean_a,
            mean_after: c.paired.mean_b,
            difference: c.paired.diff.estimate,
            ci_lower: c.paired.diff.lower,
            ci_upper: c.paired.diff.upper,
            n: c.paired.diff.n,
            p_holm: c.p_holm,
            regression,
        });
    }
    let gates = gates(&runs, &cmps, max_drops)?;
    Ok((
        TrendSummary {
            schema_version: TREND_SCHEMA_VERSION,
            runs,
            steps,
            gates,
            seed,
        },
        warnings,
    ))
}

fn mode_name(m: Option<Mode>) -> &'static str {
    match m {
        Some(Mode::Trace) => "trace",
        Some(Mode::Replay) => "replay",
        None => "unknown-mode",
    }
}

/// One run's figures, read from its summary (never recomputed).
fn run_of(r: &DatedReport) -> TrendRun {
    let s = &r.summary;
    let mut metrics = s.metrics.clone();
    if let Some(g) = &s.generation {
        metrics.insert("answer_correct".into(), g.correct);
    }
    let assessed = s.questions.scored.saturating_sub(s.questions.not_assessed);
    let classes = s
        .classes
        .iter()
        .filter_map(|(name, c)| {
            let share = c.share?;
            Some((
                name.clone(),
                Interval {
                    mean: Some(share),
                    ci_lower: c.ci_lower,
                    ci_upper: c.ci_upper,
                    n: assessed,
                },
            ))
        })
        .collect::<BTreeMap<_, _>>();
    TrendRun {
        dir: r.rows.dir.clone(),
        name: r.rows.name.clone(),
        date: r.date.clone(),
        date_source: r.date_source.clone(),
        mode: s.mode,
        context_k: s.context_k,
        questions: s.questions.total,
        metrics,
        classes,
    }
}

/// Each gate on every step that tested its metric: failed when the metric dropped by more
/// than allowed with a Holm-corrected p below 0.05 (as `compare`).
fn gates(
    runs: &[TrendRun],
    cmps: &[PairedComparison<(usize, String)>],
    max_drops: &[(String, f64)],
) -> Result<Vec<CompareGate>, NoSuchMetric> {
    crate::compare::gates_by(cmps, max_drops, |i| runs[i + 1].name.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::QuestionRow;

    fn report(name: &str, date: &str, hits: &[f64], mode: Mode) -> DatedReport {
        let rows = ReportRows {
            dir: format!("reports/{name}"),
            name: name.into(),
            context_k: 5,
            mode: Some(mode),
            questions: hits
                .iter()
                .enumerate()
                .map(|(i, h)| {
                    let row = QuestionRow {
                        class: if *h > 0.0 { "ok" } else { "ranking_miss" }.into(),
                        reason: String::new(),
                        weight: 1.0,
                        values: [("hit".to_owned(), *h)].into_iter().collect(),
                        ..QuestionRow::default()
                    };
                    (format!("{name}-q{i:02}"), row)
                })
                .collect(),
            metrics: vec!["hit".into()],
        };
        let summary = DiagnoseSummary {
            schema_version: ragdiag_contract::DIAGNOSE_SCHEMA_VERSION,
            mode,
            name: Some(name.into()),
            questions: ragdiag_contract::QuestionCounts::default(),
            context_k: 5,
            pool_k: 0,
            metrics: BTreeMap::new(),
            recall_curve: Vec::new(),
            classes: BTreeMap::new(),
            flags: BTreeMap::new(),
            freshness: ragdiag_contract::RetrievalFreshness::default(),
            by_tag: Vec::new(),
            generation: None,
            latency_ms: None,
            tokens: None,
            fix_first: Vec::new(),
            reranker: None,
            thresholds: None,
            review: None,
            cost: None,
            golden_set: None,
            gates: Vec::new(),
            headline: Vec::new(),
            warnings: Vec::new(),
            provenance: ragdiag_contract::Provenance::default(),
        };
        DatedReport {
            rows,
            summary,
            date: date.into(),
            date_source: "created_at".into(),
        }
    }

    /// Renames the questions so that `r` shares its ids with the report named `like`.
    fn same_questions(mut r: DatedReport, like: &str) -> DatedReport {
        let name = r.rows.name.clone();
        r.rows.questions = r
            .rows
            .questions
            .into_iter()
            .map(|(k, v)| (k.replacen(&name, like, 1), v))
            .collect();
        r
    }

    #[test]
    fn runs_are_dated_in_order_and_the_regressing_step_is_marked() {
        let good = report("good", "2026-01-01", &[1.0; 40], Mode::Trace);
        let mut hits = vec![1.0; 40];
        hits[..15].fill(0.0);
        // Given out of order: the later, worse run first.
        let worse = same_questions(report("worse", "2026-01-15", &hits, Mode::Trace), "good");
        let same = same_questions(
            report("same", "2026-01-08", &[1.0; 40], Mode::Trace),
            "good",
        );
        let (t, warnings) = trend(&[worse, good, same], &[("hit@5".into(), 0.1)], 42).unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        let names: Vec<&str> = t.runs.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["good", "same", "worse"]);
        assert_eq!(t.steps.len(), 2);
        assert!(!t.steps[0].regression);
        assert_eq!(t.steps[0].comparisons[0].difference, 0.0);
        let s = &t.steps[1];
        assert!(s.regression && s.paired && s.shared_questions == 40);
        let c = &s.comparisons[0];
        assert_eq!((c.metric.as_str(), c.n), ("hit@5", 40));
        assert!((c.difference + 15.0 / 40.0).abs() < 1e-12 && c.p_holm < 0.05);
        assert!(c.ci_upper < 0.0);
        // The gate fails on the second step only.
        assert_eq!(t.gates.len(), 2);
        assert!(t.gates[0].passed && !t.gates[1].passed);
        assert_eq!(t.gates[1].report, "worse");
        // A gate on a metric no step tested is refused.
        let err = trend(
            &[report("a", "2026-01-01", &[1.0], Mode::Trace)],
            &[("mrr".into(), 0.1)],
            1,
        );
        assert_eq!(err.unwrap_err(), NoSuchMetric("mrr".into()));
    }

    #[test]
    fn steps_that_cannot_be_paired_are_marked_not_paired() {
        // Disjoint question sets: nothing is paired, whatever the figures.
        let a = report("a", "2026-01-01", &[1.0; 30], Mode::Trace);
        let b = report("b", "2026-01-02", &[0.0; 30], Mode::Trace);
        let (t, warnings) = trend(&[a.clone(), b], &[], 42).unwrap();
        let s = &t.steps[0];
        assert!(!s.paired && !s.regression && s.comparisons.is_empty());
        assert_eq!(
            (s.shared_questions, s.only_before, s.only_after),
            (0, 30, 30)
        );
        assert!(
            warnings[0].contains("no question in common"),
            "{warnings:?}"
        );
        // A replay after a trace: metrics paired, classes marked not comparable.
        let r = same_questions(report("r", "2026-01-03", &[1.0; 30], Mode::Replay), "a");
        let (t, warnings) = trend(&[a, r], &[], 42).unwrap();
        let s = &t.steps[0];
        assert!(s.paired && !s.classes_comparable && s.comparisons.len() == 1);
        assert!(
            warnings[0].contains("class shares are not comparable"),
            "{warnings:?}"
        );
    }
}
