//! `ragdiag compare`: paired comparison of `diagnose` reports question by question.

use crate::cli::{CompareArgs, Format, GlobalArgs};
use crate::ExitStatus;
use anyhow::{anyhow, bail, Context, Result};
use arrow::array::{Array, Float64Array, StringArray};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use ragdiag_eval::stats;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Metric columns of `queries.parquet` that are not metrics.
const NOT_METRICS: [&str; 1] = ["weight"];

/// One report: per question, its class, reason, weight and metric values.
struct Report {
    dir: PathBuf,
    name: String,
    context_k: u64,
    questions: BTreeMap<String, Row>,
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
    let summary: Value = serde_json::from_slice(
        &std::fs::read(&summary_path)
            .with_context(|| format!("{}: not a ragdiag diagnose report", dir.display()))?,
    )
    .with_context(|| format!("{}: unreadable", summary_path.display()))?;
    let version = summary.get("schema_version").and_then(Value::as_u64);
    if version != Some(u64::from(super::diagnose::SCHEMA_VERSION)) {
        bail!(
            "{}: schema_version {}, expected {} (not a report of this ragdiag's diagnose)",
            summary_path.display(),
            summary.get("schema_version").unwrap_or(&Value::Null),
            super::diagnose::SCHEMA_VERSION
        );
    }
    let path = dir.join("queries.parquet");
    let file =
        std::fs::File::open(&path).with_context(|| format!("cannot open {}", path.display()))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .with_context(|| format!("{}: not a Parquet file", path.display()))?
        .build()?;
    let mut questions = BTreeMap::new();
    let mut metrics: Vec<String> = Vec::new();
    let mut rows_before = 0;
    for batch in reader {
        let batch = batch.with_context(|| format!("{}: unreadable", path.display()))?;
        let col = |name: &str| -> Result<&StringArray> {
            batch
                .column_by_name(name)
                .and_then(|c| c.as_any().downcast_ref::<StringArray>())
                .ok_or_else(|| anyhow!("{}: no text column {name:?}", path.display()))
        };
        let (ids, classes, reasons) = (col("query_id")?, col("class")?, col("reason")?);
        let schema = batch.schema();
        let float_cols: Vec<(String, &Float64Array)> = schema
            .fields()
            .iter()
            .zip(batch.columns())
            .filter_map(|(f, c)| {
                c.as_any()
                    .downcast_ref::<Float64Array>()
                    .map(|a| (f.name().clone(), a))
            })
            .collect();
        if metrics.is_empty() {
            metrics = float_cols
                .iter()
                .map(|(n, _)| n.clone())
                .filter(|n| !NOT_METRICS.contains(&n.as_str()))
                .collect();
        }
        for i in 0..batch.num_rows() {
            let mut values = BTreeMap::new();
            let mut weight = 1.0;
            for (name, a) in &float_cols {
                if a.is_null(i) {
                    continue;
                }
                if !a.value(i).is_finite() {
                    bail!(
                        "{}: row {}: {name}: {} is not a finite number",
                        path.display(),
                        rows_before + i + 1,
                        a.value(i)
                    );
                }
                if name == "weight" {
                    weight = a.value(i);
                } else {
                    values.insert(name.clone(), a.value(i));
                }
            }
            questions.insert(
                ids.value(i).to_owned(),
                Row {
                    class: classes.value(i).to_owned(),
                    reason: reasons.value(i).to_owned(),
                    weight,
                    values,
                },
            );
        }
        rows_before += batch.num_rows();
    }
    let name = summary["name"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| dir.display().to_string());
    Ok(Report {
        dir: dir.to_path_buf(),
        name,
        context_k: summary["context_k"].as_u64().unwrap_or(5),
        questions,
        metrics,
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

pub(crate) fn run(args: &CompareArgs, global: &GlobalArgs) -> Result<ExitStatus> {
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
        seed: args.seed,
        ..stats::Config::default()
    };

    // Every (report, metric) paired against the baseline on the questions both scored.
    struct Cmp {
        report: usize,
        metric: String,
        paired: stats::Paired,
        p_holm: f64,
    }
    let mut cmps: Vec<Cmp> = Vec::new();
    for (ri, r) in reports.iter().enumerate().skip(1) {
        if r.context_k != base.context_k {
            eprintln!(
                "warning: {} uses a context window of {}, the baseline {}: hit rates differ in meaning",
                r.dir.display(),
                r.context_k,
                base.context_k
            );
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
            let w = stats::relative_weights(w);
            let paired = stats::paired(&a, &b, w.as_deref(), &cfg);
            cmps.push(Cmp {
                report: ri,
                metric: metric.clone(),
                paired,
                p_holm: 1.0,
            });
        }
    }
    let holm = stats::holm(
        &cmps
            .iter()
            .map(|c| c.paired.p_randomization)
            .collect::<Vec<_>>(),
    );
    for (c, p) in cmps.iter_mut().zip(holm) {
        c.p_holm = p;
    }

    // Class changes.
    let mut changes = Vec::new();
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
            changes.push(json!({"report": r.name, "report_index": ri, "query": qid, "kind": kind, "from": row.class, "to": other.class, "reason": other.reason}));
        }
        let missing: BTreeSet<&String> = base
            .questions
            .keys()
            .filter(|q| !r.questions.contains_key(*q))
            .collect();
        if !missing.is_empty() {
            eprintln!(
                "warning: {} lacks {} of the baseline's questions (compared on the shared ones)",
                r.dir.display(),
                missing.len()
            );
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
        let relevant: Vec<&Cmp> = cmps.iter().filter(|c| c.metric == key).collect();
        if relevant.is_empty() {
            bail!("--fail-on-regression: no metric {metric:?} in these reports");
        }
        for c in relevant {
            let drop = c.paired.mean_a - c.paired.mean_b;
            let failed = drop > *delta && c.p_holm < 0.05;
            gates.push(json!({"report": reports[c.report].name, "metric": metric, "max_drop": delta, "drop": drop, "p_holm": c.p_holm, "passed": !failed}));
        }
    }

    let comparisons: Vec<Value> = cmps
        .iter()
        .map(|c| {
            let r = &reports[c.report];
            json!({
                "baseline": base.name, "report": r.name, "metric": display(&c.metric, r),
                "mean_baseline": c.paired.mean_a, "mean": c.paired.mean_b,
                "difference": c.paired.diff.estimate, "ci_lower": c.paired.diff.lower, "ci_upper": c.paired.diff.upper,
                "n": c.paired.diff.n, "p_randomization": c.paired.p_randomization, "p_bootstrap": c.paired.p_bootstrap,
                "p_holm": c.p_holm, "effect_size": c.paired.effect_size,
                "wins": c.paired.wins, "losses": c.paired.losses, "ties": c.paired.ties,
            })
        })
        .collect();
    let summary = json!({
        "schema_version": 1,
        "baseline": base.dir.display().to_string(),
        "reports": reports.iter().map(|r| r.dir.display().to_string()).collect::<Vec<_>>(),
        "comparisons": comparisons,
        "class_changes": changes,
        "gates": gates,
        "seed": args.seed,
    });

    let table = text_table(&summary);
    match args.format {
        Format::Json => {
            let mut out = serde_json::to_string_pretty(&summary)?;
            out.push('\n');
            std::io::stdout().lock().write_all(out.as_bytes())?;
        }
        _ => std::io::stdout().lock().write_all(table.as_bytes())?,
    }
    if let Some(out) = &args.out {
        std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
        let mut bytes = serde_json::to_vec_pretty(&summary)?;
        bytes.push(b'\n');
        crate::fsutil::write_atomic(&out.join("summary.json"), &bytes)?;
        crate::fsutil::write_atomic(&out.join("report.md"), markdown(&summary).as_bytes())?;
        if !global.quiet {
            eprintln!("comparison written to {}", out.display());
        }
    }
    let failed: Vec<&Value> = summary["gates"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|g| g["passed"] == false)
        .collect();
    for g in &failed {
        eprintln!(
            "regression: {} {} dropped by {:.4} (more than {}, Holm p = {:.4})",
            g["report"].as_str().unwrap_or(""),
            g["metric"].as_str().unwrap_or(""),
            g["drop"].as_f64().unwrap_or(0.0),
            g["max_drop"],
            g["p_holm"].as_f64().unwrap_or(1.0)
        );
    }
    Ok(if failed.is_empty() {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}

fn text_table(summary: &Value) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<14} {:<12} {:>8} {:>8} {:>9}  {:<19} {:>8} {:>5} {:>9}",
        "report", "metric", "base", "mean", "diff", "95% CI", "p (Holm)", "n", "W/L/T"
    );
    for c in summary["comparisons"].as_array().into_iter().flatten() {
        let f = |k: &str| c[k].as_f64().unwrap_or(f64::NAN);
        let _ = writeln!(
            out,
            "{:<14} {:<12} {:>8.4} {:>8.4} {:>+9.4}  [{:+.4}, {:+.4}] {:>8.4} {:>5} {:>3}/{}/{}",
            c["report"].as_str().unwrap_or(""),
            c["metric"].as_str().unwrap_or(""),
            f("mean_baseline"),
            f("mean"),
            f("difference"),
            f("ci_lower"),
            f("ci_upper"),
            f("p_holm"),
            c["n"],
            c["wins"],
            c["losses"],
            c["ties"]
        );
    }
    let changes = summary["class_changes"].as_array().map_or(0, Vec::len);
    if changes > 0 {
        let _ = writeln!(out, "\nclass changes:");
        for ch in summary["class_changes"].as_array().into_iter().flatten() {
            let _ = writeln!(
                out,
                "  {} {:<9} {} → {}  ({}): {}",
                ch["query"].as_str().unwrap_or(""),
                ch["kind"].as_str().unwrap_or(""),
                ch["from"].as_str().unwrap_or(""),
                ch["to"].as_str().unwrap_or(""),
                ch["report"].as_str().unwrap_or(""),
                ch["reason"].as_str().unwrap_or("")
            );
        }
    }
    out
}

fn markdown(summary: &Value) -> String {
    let mut md = String::from("# ragdiag comparison\n\n");
    let _ = writeln!(
        md,
        "Baseline: `{}`\n",
        summary["baseline"].as_str().unwrap_or("")
    );
    let _ = writeln!(
        md,
        "| report | metric | baseline | mean | difference (95% CI) | p (Holm) | n | wins / losses / ties |\n|---|---|---|---|---|---|---|---|"
    );
    for c in summary["comparisons"].as_array().into_iter().flatten() {
        let f = |k: &str| c[k].as_f64().unwrap_or(f64::NAN);
        let _ = writeln!(
            md,
            "| {} | {} | {:.4} | {:.4} | {:+.4} ({:+.4} to {:+.4}) | {:.4} | {} | {} / {} / {} |",
            c["report"].as_str().unwrap_or(""),
            c["metric"].as_str().unwrap_or(""),
            f("mean_baseline"),
            f("mean"),
            f("difference"),
            f("ci_lower"),
            f("ci_upper"),
            f("p_holm"),
            c["n"],
            c["wins"],
            c["losses"],
            c["ties"]
        );
    }
    let regressed: Vec<&Value> = summary["class_changes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["kind"] == "regressed")
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
                c["query"].as_str().unwrap_or("").replace('|', "\\|"),
                c["report"].as_str().unwrap_or(""),
                c["to"].as_str().unwrap_or(""),
                c["reason"].as_str().unwrap_or("").replace('|', "\\|")
            );
        }
    }
    md
}
