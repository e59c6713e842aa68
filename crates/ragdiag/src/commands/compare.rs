//! `ragdiag compare`: paired comparison of `diagnose` reports question by question.

use crate::cli::{CompareArgs, Format};
use crate::printer::Printer;
use crate::ExitStatus;
use anyhow::{anyhow, bail, Context, Result};
use ragdiag_contract::table::{Values, QUERIES};
use ragdiag_contract::{DiagnoseSummary, DIAGNOSE_SCHEMA_VERSION};
use ragdiag_diagnose::{compare_reports, QuestionRow, ReportRows};
use std::collections::BTreeMap;
use std::path::Path;

/// A report folder read through the contract: its summary and the declared metric columns of
/// its `queries.parquet`.
fn load(dir: &Path) -> Result<ReportRows> {
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
            QuestionRow {
                class: classes[i].clone().unwrap_or_default(),
                reason: reasons[i].clone().unwrap_or_default(),
                weight,
                values,
            },
        );
    }
    Ok(ReportRows {
        dir: dir.display().to_string(),
        name: summary
            .name
            .clone()
            .unwrap_or_else(|| dir.display().to_string()),
        context_k: summary.context_k,
        mode: Some(summary.mode),
        questions,
        metrics: metrics.iter().map(|(n, _)| (*n).to_owned()).collect(),
    })
}

pub(crate) fn run(args: &CompareArgs, printer: Printer) -> Result<ExitStatus> {
    if args.reports.len() < 2 {
        bail!("give at least two report directories (the first is the baseline)");
    }
    let reports: Vec<ReportRows> = args
        .reports
        .iter()
        .map(|d| load(d))
        .collect::<Result<_>>()?;
    let max_drops: Vec<(String, f64)> = args
        .fail_on_regression
        .iter()
        .flat_map(|g| g.0.iter().cloned())
        .collect();
    let (summary, warnings) = compare_reports(&reports, &max_drops, args.stats.seed())?;
    for w in &warnings {
        printer.warn(w);
    }
    match args.format {
        Format::Json => {
            let mut out = serde_json::to_string_pretty(&summary)?;
            out.push('\n');
            printer.data(&out)?;
        }
        _ => printer.data(&ragdiag_report::compare_table(&summary))?,
    }
    if let Some(out) = &args.out {
        std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
        let mut bytes = serde_json::to_vec_pretty(&summary)?;
        bytes.push(b'\n');
        crate::fsutil::write_atomic(&out.join("summary.json"), &bytes)?;
        let md = ragdiag_report::render_compare_markdown(&summary);
        crate::fsutil::write_atomic(&out.join("report.md"), md.as_bytes())?;
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
