//! What `ragdiag eval` reports about evaluated runs: trec_eval's text, and for several runs the
//! intervals and paired tests, as the typed JSON summary, a text table, CSV and Markdown.

use crate::stats::{self, Interval};
use crate::{Aggregate, Column, Kind, MeasureSet, Unit};
use ragdiag_contract::eval::{
    EvalComparison, EvalRun, EvalStatistics, EvalSummary, MeasureValue, EVAL_SCHEMA_VERSION,
};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// One evaluated run.
#[derive(Debug, Clone)]
pub struct RunEval {
    /// The run's path, as given.
    pub path: String,
    /// Its tag (the run file's last column).
    pub tag: String,
    /// Its per-query values and `all` line.
    pub agg: Aggregate,
}

/// What the summary records about the evaluation besides the runs.
#[derive(Debug, Clone)]
pub struct EvalMeta {
    /// The ragdiag version.
    pub ragdiag_version: String,
    /// The qrels path, as given.
    pub qrels: String,
    /// The lowest grade counted as relevant.
    pub relevance_level: i64,
    /// Whether queries missing from a run scored 0.
    pub complete: bool,
}

/// The figure of one measure of one run: its value and, for ratio measures, its interval.
#[derive(Debug, Clone, Copy)]
struct Figure {
    value: f64,
    ci: Option<Interval>,
}

/// Runs evaluated with one measure set, with every interval and paired test computed once.
#[derive(Debug)]
pub struct Evaluation<'a> {
    runs: &'a [RunEval],
    columns: Vec<Column>,
    cfg: stats::Config,
    figures: Vec<Vec<Figure>>,
    /// Keyed by (run, column).
    comparisons: Vec<stats::PairedComparison<(usize, usize)>>,
}

/// How the intervals and tests are made, in words.
const METHOD: &str = "percentile bootstrap over queries; paired randomization (sign-flip) test; Holm over every measure and run compared";

impl<'a> Evaluation<'a> {
    /// Bootstrap intervals of every ratio measure of every run, and paired tests of every later
    /// run against the first on every ratio measure, Holm-corrected as one family.
    #[must_use]
    pub fn new(runs: &'a [RunEval], measures: &MeasureSet, cfg: &stats::Config) -> Self {
        let columns = measures.columns().to_vec();
        let figures = runs.iter().map(|r| figures(r, &columns, cfg)).collect();
        let comparisons = compare(runs, &columns, cfg);
        Evaluation {
            runs,
            columns,
            cfg: *cfg,
            figures,
            comparisons,
        }
    }

    fn comparison(
        &self,
        run: usize,
        column: usize,
    ) -> Option<&stats::PairedComparison<(usize, usize)>> {
        self.comparisons.iter().find(|x| x.key == (run, column))
    }

    /// The typed summary (`--format json`, `--out`'s `summary.json`); with `per_query`, each
    /// query's values too.
    #[must_use]
    pub fn summary(&self, meta: &EvalMeta, per_query: bool) -> EvalSummary {
        let finite = |v: f64| v.is_finite().then_some(v);
        let runs = self
            .runs
            .iter()
            .zip(&self.figures)
            .map(|(r, figs)| {
                let n = r.agg.qids.len();
                let summary = self
                    .columns
                    .iter()
                    .zip(figs)
                    .filter(|(c, _)| c.kind.unit() != Unit::Text)
                    .map(|(c, f)| {
                        let value = match (c.kind, &f.ci) {
                            (Kind::Runid, _) => MeasureValue::Runid(r.tag.clone()),
                            (_, Some(ci)) => MeasureValue::Interval {
                                value: finite(f.value),
                                ci_lower: finite(ci.lower),
                                ci_upper: finite(ci.upper),
                                n: ci.n,
                            },
                            (_, None) => MeasureValue::Point {
                                value: finite(f.value),
                                n,
                            },
                        };
                        (c.name.clone(), value)
                    })
                    .collect();
                let per_query = per_query.then(|| {
                    r.agg
                        .qids
                        .iter()
                        .zip(&r.agg.values)
                        .map(|(qid, values)| {
                            let m: BTreeMap<String, Option<f64>> = self
                                .columns
                                .iter()
                                .zip(values)
                                .filter(|(c, _)| c.kind.per_query() && c.kind.unit() != Unit::Text)
                                .map(|(c, v)| (c.name.clone(), finite(*v)))
                                .collect();
                            (qid.clone(), m)
                        })
                        .collect()
                });
                EvalRun {
                    path: r.path.clone(),
                    tag: r.tag.clone(),
                    num_queries: n,
                    summary,
                    per_query,
                }
            })
            .collect();
        let comparisons = self
            .comparisons
            .iter()
            .map(|x| {
                let p = &x.paired;
                EvalComparison {
                    baseline: self.runs[0].path.clone(),
                    run: self.runs[x.key.0].path.clone(),
                    measure: self.columns[x.key.1].name.clone(),
                    n: p.diff.n,
                    mean_baseline: p.mean_a,
                    mean_run: p.mean_b,
                    diff: p.diff.estimate,
                    diff_ci_lower: p.diff.lower,
                    diff_ci_upper: p.diff.upper,
                    p_randomization: p.p_randomization,
                    p_bootstrap: p.p_bootstrap,
                    p_holm: x.p_holm,
                    effect_size: p.effect_size,
                    wins: p.wins,
                    losses: p.losses,
                    ties: p.ties,
                }
            })
            .collect();
        EvalSummary {
            schema_version: EVAL_SCHEMA_VERSION,
            ragdiag_version: meta.ragdiag_version.clone(),
            qrels: meta.qrels.clone(),
            relevance_level: meta.relevance_level,
            complete: meta.complete,
            statistics: EvalStatistics {
                method: METHOD.into(),
                resamples: self.cfg.resamples,
                seed: self.cfg.seed,
                confidence: self.cfg.level,
            },
            runs,
            comparisons,
        }
    }

    /// The table of every run: value and interval per measure, and for later runs the
    /// difference from the first with its Holm-corrected p (`*` below 0.05), then a footer.
    #[must_use]
    pub fn table(&self) -> String {
        let mut rows: Vec<Vec<String>> = Vec::with_capacity(self.columns.len() + 1);
        let mut header = vec!["measure".to_string()];
        header.extend(self.runs.iter().map(|r| format!("{} ({})", r.path, r.tag)));
        rows.push(header);
        for (c, col) in self.columns.iter().enumerate() {
            if col.kind.unit() == Unit::Text {
                continue;
            }
            let mut row = vec![col.name.clone()];
            for (ri, r) in self.runs.iter().enumerate() {
                let mut cell = if col.kind == Kind::Runid {
                    r.tag.clone()
                } else {
                    fmt_ci(&self.figures[ri][c], col)
                };
                if let Some(x) = self.comparison(ri, c) {
                    let star = if x.p_holm < 0.05 { "*" } else { "" };
                    let _ = write!(
                        cell,
                        "  {:+.4} p={:.4}{star}",
                        x.paired.diff.estimate, x.p_holm
                    );
                }
                row.push(cell);
            }
            rows.push(row);
        }
        let widths: Vec<usize> = (0..rows[0].len())
            .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
            .collect();
        let mut out = String::new();
        for row in &rows {
            let line: Vec<String> = row
                .iter()
                .zip(&widths)
                .map(|(cell, w)| format!("{cell:<w$}"))
                .collect();
            let _ = writeln!(out, "{}", line.join("  ").trim_end());
        }
        let ns: Vec<String> = self
            .runs
            .iter()
            .map(|r| r.agg.qids.len().to_string())
            .collect();
        let _ = writeln!(
            out,
            "\nn = {} queries; [95% percentile bootstrap CI, {} resamples, seed {}]; +diff vs the first run, p = paired randomization test ({} permutations), Holm-corrected over all the measures and runs compared; * p < 0.05",
            ns.join(" / "),
            self.cfg.resamples,
            self.cfg.seed,
            self.cfg.resamples
        );
        out
    }

    /// `run,qid,measure,value,ci_lower,ci_upper,n,diff_vs_first,p_holm` rows: each run's `all`
    /// values, and with `per_query` each query's values first.
    #[must_use]
    pub fn csv(&self, per_query: bool) -> String {
        let mut out =
            String::from("run,qid,measure,value,ci_lower,ci_upper,n,diff_vs_first,p_holm\n");
        for (ri, r) in self.runs.iter().enumerate() {
            let run = csv_field(&r.path);
            if per_query {
                for (qid, values) in r.agg.qids.iter().zip(&r.agg.values) {
                    for (c, v) in self.columns.iter().zip(values) {
                        if c.kind.per_query() && c.kind.unit() != Unit::Text {
                            let _ = writeln!(out, "{run},{},{},{v},,,1,,", csv_field(qid), c.name);
                        }
                    }
                }
            }
            for (ci, (c, f)) in self.columns.iter().zip(&self.figures[ri]).enumerate() {
                if c.kind == Kind::Runid {
                    let _ = writeln!(out, "{run},all,runid,{},,,,,", csv_field(&r.tag));
                    continue;
                }
                if c.kind.unit() == Unit::Text {
                    continue;
                }
                let (lo, hi) = f.ci.map_or((String::new(), String::new()), |i| {
                    (i.lower.to_string(), i.upper.to_string())
                });
                let (d, p) = self
                    .comparison(ri, ci)
                    .map_or((String::new(), String::new()), |x| {
                        (x.paired.diff.estimate.to_string(), x.p_holm.to_string())
                    });
                let _ = writeln!(
                    out,
                    "{run},all,{},{},{lo},{hi},{},{d},{p}",
                    c.name,
                    f.value,
                    r.agg.qids.len()
                );
            }
        }
        out
    }

    /// `report.md`: what was evaluated and how, then the table.
    #[must_use]
    pub fn markdown(&self, meta: &EvalMeta) -> String {
        let mut md = String::from("# ragdiag eval\n\n");
        let _ = writeln!(md, "Qrels: {}; {} run(s). Each cell: mean over queries [95% percentile bootstrap CI, {} resamples, seed {}].", ragdiag_core::md_code(&meta.qrels), self.runs.len(), self.cfg.resamples, self.cfg.seed);
        if self.runs.len() > 1 {
            let _ = writeln!(md, "Later runs show the difference from the first and the Holm-corrected p-value of a paired randomization test ({} permutations); `*` marks p < 0.05.", self.cfg.resamples);
        }
        let _ = writeln!(md, "\n```");
        md.push_str(&self.table());
        let _ = writeln!(md, "```");
        md
    }
}

/// A CSV field, quoted when it holds a comma, a quote or a line break.
#[must_use]
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// A value as trec_eval prints it (`%ld` for counts, `%6.4f` otherwise; NaN as glibc).
/// A z-score as trec_eval prints it (`%6.4f`, counts included).
fn z_value(v: f64) -> String {
    if v.is_nan() {
        format!("{:>6}", "-nan")
    } else {
        format!("{v:6.4}")
    }
}

fn trec_value(c: &Column, v: f64) -> String {
    match c.kind.unit() {
        Unit::Count => format!("{}", v as i64),
        Unit::Ratio | Unit::Text if v.is_nan() => format!("{:>6}", "-nan"),
        Unit::Ratio | Unit::Text => format!("{v:6.4}"),
    }
}

/// trec_eval's text output of one run: each query's lines (with `per_query`), then the `all`
/// lines (unless `no_summary`).
#[must_use]
pub fn trec_eval_text(
    r: &RunEval,
    measures: &MeasureSet,
    per_query: bool,
    no_summary: bool,
) -> String {
    let columns = measures.columns();
    let mut out = String::new();
    if per_query {
        for ((qid, values), rel) in r.agg.qids.iter().zip(&r.agg.values).zip(&r.agg.relstrings) {
            for (c, v) in columns.iter().zip(values) {
                if c.kind == Kind::Relstring {
                    let _ = writeln!(out, "{:<22}\t{}\t'{}'", c.name, qid, rel);
                } else if c.kind.per_query() && r.agg.zscored {
                    let _ = writeln!(out, "Z{:<22}\t{}\t{}", c.name, qid, z_value(*v));
                } else if c.kind.per_query() {
                    let _ = writeln!(out, "{:<22}\t{}\t{}", c.name, qid, trec_value(c, *v));
                }
            }
        }
    }
    if !no_summary {
        for (c, v) in columns.iter().zip(&r.agg.all) {
            if !c.kind.summary() {
                continue;
            }
            if c.kind == Kind::Runid {
                let _ = writeln!(out, "{:<22}\tall\t{}", c.name, r.tag);
            } else if r.agg.zscored {
                let _ = writeln!(out, "Z{:<22}\tall\t{}", c.name, z_value(*v));
            } else {
                let _ = writeln!(out, "{:<22}\tall\t{}", c.name, trec_value(c, *v));
            }
        }
    }
    out
}

/// Each column's `all` value and, for ratio measures, its bootstrap interval.
fn figures(r: &RunEval, columns: &[Column], cfg: &stats::Config) -> Vec<Figure> {
    let n = r.agg.qids.len();
    let col_values: Vec<Vec<f64>> = (0..columns.len())
        .map(|c| r.agg.values.iter().map(|q| q[c]).collect())
        .collect();
    let ci_cols: Vec<usize> = (0..columns.len())
        .filter(|&c| columns[c].kind.unit() == Unit::Ratio && columns[c].kind != Kind::Runid)
        .collect();
    let refs: Vec<&[f64]> = ci_cols.iter().map(|&c| col_values[c].as_slice()).collect();
    let intervals = if n > 0 {
        stats::bootstrap_means(&refs, None, cfg)
    } else {
        Vec::new()
    };
    let mut out: Vec<Figure> = r
        .agg
        .all
        .iter()
        .map(|&v| Figure { value: v, ci: None })
        .collect();
    for (i, &c) in ci_cols.iter().enumerate() {
        if let Some(iv) = intervals.get(i) {
            out[c].ci = Some(if matches!(columns[c].kind, Kind::GmMap | Kind::GmBpref) {
                // The percentile interval respects monotone transforms: exponentiate the
                // interval of the mean log.
                Interval {
                    estimate: r.agg.all[c],
                    lower: iv.lower.exp(),
                    upper: iv.upper.exp(),
                    n: iv.n,
                }
            } else {
                *iv
            });
        }
    }
    out
}

/// Every later run against the first on every ratio measure, Holm-corrected as one family
/// (all the runs × measures the table shows), paired on the queries both runs evaluated.
fn compare(
    runs: &[RunEval],
    columns: &[Column],
    cfg: &stats::Config,
) -> Vec<stats::PairedComparison<(usize, usize)>> {
    let Some(base) = runs.first() else {
        return Vec::new();
    };
    let mut samples = Vec::new();
    for (c, col) in columns.iter().enumerate() {
        if col.kind.unit() != Unit::Ratio
            || matches!(col.kind, Kind::Runid | Kind::GmMap | Kind::GmBpref)
        {
            continue;
        }
        for (ri, r) in runs.iter().enumerate().skip(1) {
            let (mut a, mut b) = (Vec::new(), Vec::new());
            let (mut i, mut j) = (0, 0);
            while i < base.agg.qids.len() && j < r.agg.qids.len() {
                match base.agg.qids[i].cmp(&r.agg.qids[j]) {
                    std::cmp::Ordering::Less => i += 1,
                    std::cmp::Ordering::Greater => j += 1,
                    std::cmp::Ordering::Equal => {
                        a.push(base.agg.values[i][c]);
                        b.push(r.agg.values[j][c]);
                        i += 1;
                        j += 1;
                    }
                }
            }
            samples.push(stats::PairedSample::new((ri, c), a, b));
        }
    }
    stats::paired_comparisons(samples, cfg)
}

fn fmt_ci(f: &Figure, c: &Column) -> String {
    match (&f.ci, c.kind.unit()) {
        (_, Unit::Count) => format!("{}", f.value as i64),
        (Some(ci), _) => format!("{:.4} [{:.4}, {:.4}]", f.value, ci.lower, ci.upper),
        (None, _) => format!("{:.4}", f.value),
    }
}
