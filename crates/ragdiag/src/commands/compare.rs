//! `ragdiag compare`: paired comparison of `diagnose` reports question by question.

use crate::cli::{CompareArgs, Format};
use crate::printer::Printer;
use crate::ExitStatus;
use anyhow::{anyhow, bail, Context, Result};
use ragdiag_contract::table::{Values, QUERIES};
use ragdiag_contract::{
    ClassChange, CompareGate, CompareSummary, Comparison, DiagnoseSummary, COMPARE_SCHEMA_VERSION,
    DIAGNOSE_SCHEMA_VERSION,
};
use ragdiag_core::{md_code, md_escape, md_prose};
use ragdiag_eval::stats::{self, PairedComparison, PairedSample};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// One report: per question, its class, reason, weight and metric values.
struct Report {
    dir: PathBuf,
    name: String,
    context_k: usize,
    questions: BTreeMap<String, Row>,
    /// The metric columns of `queries.parquet` ([`QUERIES`]'s metrics) this report holds.
    metrics: Vec<String>,
}

struct Row {
    class: String,
    reason: String,
    weight: f64,
    values: BTreeMap<String, f64>,
}

fn load(dir: &Path) -> Result<Report> {
    let summary_path = dir.join("summary.json");
    let bytes = std::fs::read(&summary_path)
        .with_context(|| format!("{}: not a ragdiag diagnose report", dir.display()))?;
    let value: serde_json::Value = serde_json::from_slice(&bytes)
        .with_context(|| format!("{}: unreadable", summary_path.display()))?;
    let version = value
        .get("schema_version")
        .and_then(serde_json::Value::as_u64);
    if version != Some(u64::from(DIAGNOSE_SCHEMA_VERSION)) {
        bail!(
            "{}: schema_version {}, expected {} (not a report of this ragdiag's diagnose)",
            summary_path.display(),
            value
                .get("schema_version")
                .unwrap_or(&serde_json::Value::Null),
            DIAGNOSE_SCHEMA_VERSION
        );
    }
    let summary: DiagnoseSummary = serde_json::from_value(value)
        .with_context(|| format!("{}: not a diagnose summary", summary_path.display()))?;
    let path = dir.join(QUERIES.file);
    let columns = ragdiag_load::read_table(&path, &QUERIES)?;
    let text = |name: &str| -> Result<&Vec<Option<String>>> {
        match columns.iter().find(|c| c.name == name).map(|c| &c.values) {
            Some(Values::Utf8(v)) => Ok(v),
            _ => Err(anyhow!("{}: no text column {name:?}", path.display())),
        }
    };
    let (ids, classes, reasons) = (text("query_id")?, text("class")?, text("reason")?);
    let float = |name: &str| match columns.iter().find(|c| c.name == name).map(|c| &c.values) {
        Some(Values::Float64(v)) => Some(v),
        _ => None,
    };
    let metrics: Vec<(&str, &Vec<Option<f64>>)> = QUERIES
        .metrics()
        .filter_map(|m| float(m.name).map(|v| (m.name, v)))
        .collect();
    let weights = float("weight");
    let mut questions = BTreeMap::new();
    for (i, id) in ids.iter().enumerate() {
        let finite = |name: &str, v: f64| -> Result<f64> {
            if v.is_finite() {
                Ok(v)
            } else {
                bail!(
                    "{}: row {}: {name}: {v} is not a finite number",
                    path.display(),
                    i + 1
                )
            }
        };
        let weight = match weights.and_then(|w| w[i]) {
            Some(w) => finite("weight", w)?,
            None => 1.0,
        };
        let mut values = BTreeMap::new();
        for (name, v) in &metrics {
            if let Some(x) = v[i] {
                values.insert((*name).to_owned(), finite(name, x)?);
            }
        }
        questions.insert(
            id.clone().unwrap_or_default(),
            Row {
                class: classes[i].clone().unwrap_or_default(),
                reason: reasons[i].clone().unwrap_or_default(),
                weight,
                values,
            },
        );
    }
    Ok(Report {
        dir: dir.to_path_buf(),
        name: summary
            .name
            .clone()
            .unwrap_or_else(|| dir.display().to_string()),
        context_k: summary.context_k,
        questions,
        metrics: metrics.iter().map(|(n, _)| (*n).to_owned()).collect(),
    })
}

/// The display name of the per-question evidence hit: `hit@K`.
fn display(metric: &str, r: &Report) -> String {
    if metric == "hit" {
        format!("hit@{}", r.context_k)
    } else {
        metric.to_owned()
    }
}

pub(crate) fn run(args: &CompareArgs, printer: Printer) -> Result<ExitStatus> {
    if args.reports.len() < 2 {
        bail!("give at least two report directories (the first is the baseline)");
    }
    let reports: Vec<Report> = args
        .reports
        .iter()
        .map(|d| load(d))
        .collect::<Result<_>>()?;
    let base = &reports[0];
    let cfg = stats::Config {
        seed: args.stats.seed(),
        ..stats::Config::default()
    };

    // Every (report, metric) paired against the baseline on the questions both scored; one
    // Holm family over all of them.
    let mut samples = Vec::new();
    for (ri, r) in reports.iter().enumerate().skip(1) {
        if r.context_k != base.context_k {
            printer.warn(format_args!(
                "{} uses a context window of {}, the baseline {}: hit rates differ in meaning",
                r.dir.display(),
                r.context_k,
                base.context_k
            ));
        }
        for metric in &base.metrics {
            if !r.metrics.contains(metric) {
                continue;
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
                continue;
            }
            samples.push(
                PairedSample::new((ri, metric.clone()), a, b).weighted(stats::relative_weights(w)),
            );
        }
    }
    let cmps = stats::paired_comparisons(samples, &cfg);

    // Class changes.
    let mut class_changes = Vec::new();
    for (ri, r) in reports.iter().enumerate().skip(1) {
        for (qid, row) in &base.questions {
            let Some(other) = r.questions.get(qid) else {
                continue;
            };
            if other.class == row.class {
                continue;
            }
            let ok = ragdiag_diagnose::Class::Ok.as_str();
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
            printer.warn(format_args!(
                "{} lacks {} of the baseline's questions (compared on the shared ones)",
                r.dir.display(),
                missing.len()
            ));
        }
    }

    // Regression gates.
    let mut gates = Vec::new();
    for (metric, delta) in args.fail_on_regression.iter().flat_map(|g| g.0.iter()) {
        let key = if metric.starts_with("hit@") {
            "hit"
        } else {
            metric.as_str()
        };
        let relevant: Vec<&PairedComparison<(usize, String)>> =
            cmps.iter().filter(|c| c.key.1 == key).collect();
        if relevant.is_empty() {
            bail!("--fail-on-regression: no metric {metric:?} in these reports");
        }
        for c in relevant {
            let drop = c.paired.mean_a - c.paired.mean_b;
            let failed = drop > *delta && c.p_holm < 0.05;
            gates.push(CompareGate {
                report: reports[c.key.0].name.clone(),
                metric: metric.clone(),
                max_drop: *delta,
                drop,
                p_holm: c.p_holm,
                passed: !failed,
            });
        }
    }

    let comparisons: Vec<Comparison> = cmps
        .iter()
        .map(|c| {
            let r = &reports[c.key.0];
            Comparison {
                baseline: base.name.clone(),
                report: r.name.clone(),
                metric: display(&c.key.1, r),
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
        })
        .collect();
    let summary = CompareSummary {
        schema_version: COMPARE_SCHEMA_VERSION,
        baseline: base.dir.display().to_string(),
        reports: reports
            .iter()
            .map(|r| r.dir.display().to_string())
            .collect(),
        comparisons,
        class_changes,
        gates,
        seed: args.stats.seed(),
    };

    match args.format {
        Format::Json => {
            let mut out = serde_json::to_string_pretty(&summary)?;
            out.push('\n');
            printer.data(&out)?;
        }
        _ => printer.data(&text_table(&summary))?,
    }
    if let Some(out) = &args.out {
        std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
        let mut bytes = serde_json::to_vec_pretty(&summary)?;
        bytes.push(b'\n');
        crate::fsutil::write_atomic(&out.join("summary.json"), &bytes)?;
        crate::fsutil::write_atomic(&out.join("report.md"), markdown(&summary).as_bytes())?;
        printer.note(format_args!("comparison written to {}", out.display()));
    }
    let mut failed = false;
    for g in summary.gates.iter().filter(|g| !g.passed) {
        failed = true;
        printer.say(format_args!(
            "regression: {} {} dropped by {:.4} (more than {}, Holm p = {:.4})",
            g.report, g.metric, g.drop, g.max_drop, g.p_holm
        ));
    }
    Ok(if failed {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}

fn text_table(summary: &CompareSummary) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<14} {:<12} {:>8} {:>8} {:>9}  {:<19} {:>8} {:>5} {:>9}",
        "report", "metric", "base", "mean", "diff", "95% CI", "p (Holm)", "n", "W/L/T"
    );
    for c in &summary.comparisons {
        let _ = writeln!(
            out,
            "{:<14} {:<12} {:>8.4} {:>8.4} {:>+9.4}  [{:+.4}, {:+.4}] {:>8.4} {:>5} {:>3}/{}/{}",
            c.report,
            c.metric,
            c.mean_baseline,
            c.mean,
            c.difference,
            c.ci_lower,
            c.ci_upper,
            c.p_holm,
            c.n,
            c.wins,
            c.losses,
            c.ties
        );
    }
    if !summary.class_changes.is_empty() {
        let _ = writeln!(out, "\nclass changes:");
        for ch in &summary.class_changes {
            let _ = writeln!(
                out,
                "  {} {:<9} {} → {}  ({}): {}",
                ch.query, ch.kind, ch.from, ch.to, ch.report, ch.reason
            );
        }
    }
    out
}

fn markdown(summary: &CompareSummary) -> String {
    let mut md = String::from("# ragdiag comparison\n\n");
    let _ = writeln!(md, "Baseline: {}\n", md_code(&summary.baseline));
    let _ = writeln!(
        md,
        "| report | metric | baseline | mean | difference (95% CI) | p (Holm) | n | wins / losses / ties |\n|---|---|---|---|---|---|---|---|"
    );
    for c in &summary.comparisons {
        let _ = writeln!(
            md,
            "| {} | {} | {:.4} | {:.4} | {:+.4} ({:+.4} to {:+.4}) | {:.4} | {} | {} / {} / {} |",
            md_escape(&c.report),
            md_escape(&c.metric),
            c.mean_baseline,
            c.mean,
            c.difference,
            c.ci_lower,
            c.ci_upper,
            c.p_holm,
            c.n,
            c.wins,
            c.losses,
            c.ties
        );
    }
    let regressed: Vec<&ClassChange> = summary
        .class_changes
        .iter()
        .filter(|c| c.kind == "regressed")
        .collect();
    if !regressed.is_empty() {
        let _ = writeln!(
            md,
            "\n## Regressed questions\n\n| question | report | now | why |\n|---|---|---|---|"
        );
        for c in regressed {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} |",
                md_escape(&c.query),
                md_escape(&c.report),
                c.to,
                md_prose(&c.reason)
            );
        }
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Report names, question ids and reasons are escaped in `report.md` (they were only
    /// `|`-escaped, and report names not at all); reasons keep their code spans.
    #[test]
    fn markdown_escapes_what_the_reports_name() {
        let summary = CompareSummary {
            schema_version: COMPARE_SCHEMA_VERSION,
            baseline: "runs/`base`".into(),
            reports: Vec::new(),
            comparisons: vec![Comparison {
                baseline: "base".into(),
                report: "<b>new|er</b>".into(),
                metric: "hit@5".into(),
                mean_baseline: 0.5,
                mean: 0.75,
                difference: 0.25,
                ci_lower: 0.1,
                ci_upper: 0.4,
                n: 10,
                p_randomization: 0.01,
                p_bootstrap: 0.01,
                p_holm: 0.02,
                effect_size: None,
                wins: 3,
                losses: 0,
                ties: 7,
            }],
            class_changes: vec![ClassChange {
                report: "*new*".into(),
                report_index: 1,
                query: "q|1".into(),
                kind: "regressed".into(),
                from: "ok".into(),
                to: "ranking_miss".into(),
                reason: "`doc|a` ranked 6, outside the context window of *5*".into(),
            }],
            gates: Vec::new(),
            seed: 42,
        };
        let md = markdown(&summary);
        assert!(md.contains("Baseline: `` runs/`base` ``\n"), "{md}");
        assert!(
            md.contains("| &lt;b&gt;new\\|er&lt;/b&gt; | hit@5 | 0.5000 |"),
            "{md}"
        );
        assert!(
            md.contains(
                "| q\\|1 | \\*new\\* | ranking_miss | `doc\\|a` ranked 6, outside the context \
                 window of \\*5\\* |"
            ),
            "{md}"
        );
    }
}
