//! A `diagnose` report folder as `compare` and `trend` read it.

use anyhow::{anyhow, bail, Context, Result};
use ragdiag_contract::table::{Values, QUERIES};
use ragdiag_contract::{DiagnoseSummary, DIAGNOSE_SCHEMA_VERSION};
use ragdiag_diagnose::{QuestionRow, ReportRows};
use std::collections::BTreeMap;
use std::path::Path;

/// A report folder read through the contract: its summary, and its questions with the declared
/// metric columns of its `queries.parquet` (`compare`, `trend`).
pub(crate) fn load(dir: &Path) -> Result<(DiagnoseSummary, ReportRows)> {
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
    let (costs, latencies) = (float("cost"), float("latency_ms"));
    let correct = match columns
        .iter()
        .find(|c| c.name == "answer_correct")
        .map(|c| &c.values)
    {
        Some(Values::Boolean(v)) => Some(v),
        _ => None,
    };
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
        let Some(id) = id else {
            bail!("{}: row {}: query_id: missing", path.display(), i + 1);
        };
        if questions.contains_key(id) {
            let first = ids.iter().position(|x| x.as_ref() == Some(id)).unwrap_or(i);
            bail!(
                "{}: row {}: query_id: {id:?} repeats row {} (a question is one row)",
                path.display(),
                i + 1,
                first + 1
            );
        }
        let weight = match weights.and_then(|w| w[i]) {
            Some(w) if w < 0.0 => bail!(
                "{}: row {}: weight: {w} is negative (a traffic weight is ≥ 0)",
                path.display(),
                i + 1
            ),
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
            id.clone(),
            QuestionRow {
                class: classes[i].clone().unwrap_or_default(),
                reason: reasons[i].clone().unwrap_or_default(),
                weight,
                values,
                correct: correct.and_then(|c| c[i]),
                cost: costs.and_then(|c| c[i]).filter(|v| v.is_finite()),
                latency_ms: latencies.and_then(|c| c[i]).filter(|v| v.is_finite()),
            },
        );
    }
    let rows = ReportRows {
        dir: dir.display().to_string(),
        name: summary
            .name
            .clone()
            .unwrap_or_else(|| dir.display().to_string()),
        context_k: summary.context_k,
        mode: Some(summary.mode),
        questions,
        metrics: metrics.iter().map(|(n, _)| (*n).to_owned()).collect(),
    };
    Ok((summary, rows))
}

/// Says each failed `--fail-on-regression` gate and gives the exit status: a failure when any
/// failed (`compare`, `trend`).
pub(crate) fn regression_status(
    gates: &[ragdiag_contract::CompareGate],
    printer: crate::printer::Printer,
) -> crate::ExitStatus {
    let mut failed = false;
    for g in gates.iter().filter(|g| !g.passed) {
        failed = true;
        printer.say(format_args!(
            "regression: {} {} dropped by {:.4} (more than {}, Holm p = {:.4})",
            g.report, g.metric, g.drop, g.max_drop, g.p_holm
        ));
    }
    if failed {
        crate::ExitStatus::Failure
    } else {
        crate::ExitStatus::Success
    }
}
