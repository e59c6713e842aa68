//! `ragdiag trend`: dated `diagnose` reports over time.

use crate::cli::{Format, TrendArgs};
use crate::printer::Printer;
use crate::ExitStatus;
use anyhow::{bail, Result};
use ragdiag_core::Timestamp;
use ragdiag_diagnose::{trend, DatedReport};
use std::path::{Path, PathBuf};

/// The `--date DIR=YYYY-MM-DD` overrides, each folder with its date.
fn overrides(dates: &[String]) -> Result<Vec<(PathBuf, String)>> {
    dates
        .iter()
        .map(|d| {
            let Some((dir, date)) = d.rsplit_once('=') else {
                bail!("--date {d:?}: expected DIR=YYYY-MM-DD");
            };
            if date.len() != 10 || Timestamp::parse(date).is_none() {
                bail!("--date {d:?}: {date:?} is not a date (YYYY-MM-DD)");
            }
            Ok((PathBuf::from(dir), date.to_owned()))
        })
        .collect()
}

/// The same folder, however it was written.
fn same_dir(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

pub(crate) fn run(args: &TrendArgs, printer: Printer) -> Result<ExitStatus> {
    let overrides = overrides(&args.dates)?;
    for (dir, _) in &overrides {
        if !args.reports.iter().any(|r| same_dir(r, dir)) {
            bail!(
                "--date: {} is not one of the report folders given",
                dir.display()
            );
        }
    }
    if let Some(out) = &args.out {
        let inputs: Vec<&Path> = args.reports.iter().map(PathBuf::as_path).collect();
        crate::fsutil::check_out_not_inside(out, &inputs)?;
    }
    let mut reports = Vec::with_capacity(args.reports.len());
    for dir in &args.reports {
        let (summary, mut rows) = super::report_dir::load(dir)?;
        // A trend is of folders: each run is named by its own (a copied report keeps the
        // name it was written under in summary.json).
        if let Some(name) = dir.file_name() {
            rows.name = name.to_string_lossy().into_owned();
        }
        let given = overrides.iter().find(|(d, _)| same_dir(d, dir));
        let (date, date_source) = match given {
            Some((_, date)) => (date.clone(), "override"),
            None => match Timestamp::parse(&summary.provenance.created_at) {
                Some(t) => (t.date().format("%Y-%m-%d").to_string(), "created_at"),
                None => bail!(
                    "{}: provenance.created_at: {:?} is not a date; give one with --date {}=YYYY-MM-DD",
                    dir.join("summary.json").display(),
                    summary.provenance.created_at,
                    dir.display()
                ),
            },
        };
        reports.push(DatedReport {
            rows,
            summary,
            date,
            date_source: date_source.to_owned(),
        });
    }
    let max_drops: Vec<(String, f64)> = args
        .fail_on_regression
        .iter()
        .flat_map(|g| g.0.iter().cloned())
        .collect();
    let (summary, warnings) = trend(&reports, &max_drops, args.stats.seed())?;
    for w in &warnings {
        printer.warn(w);
    }
    let mut json = serde_json::to_vec_pretty(&summary)?;
    json.push(b'\n');
    match args.format {
        Format::Json => printer.data(&String::from_utf8_lossy(&json))?,
        _ => printer.data(&ragdiag_report::trend_table(&summary))?,
    }
    if let Some(out) = &args.out {
        let mut files = crate::fsutil::ReportFiles::new(out)?;
        files.write(
            "trend.html",
            ragdiag_report::render_trend_html(&summary).as_bytes(),
        )?;
        files.write(
            "trend.md",
            ragdiag_report::render_trend_markdown(&summary).as_bytes(),
        )?;
        files.write("trend.json", &json)?;
        files.commit()?;
        printer.note(format_args!("trend written to {}", out.display()));
    }
    Ok(super::report_dir::regression_status(
        &summary.gates,
        printer,
    ))
}
