//! `ragdiag compare`: paired comparison of `diagnose` reports question by question.

use crate::cli::{CompareArgs, Format};
use crate::printer::Printer;
use crate::ExitStatus;
use anyhow::{bail, Context, Result};
use ragdiag_diagnose::{compare_reports, ReportRows};

pub(crate) fn run(args: &CompareArgs, printer: Printer) -> Result<ExitStatus> {
    if args.reports.len() < 2 {
        bail!("give at least two report directories (the first is the baseline)");
    }
    let reports: Vec<ReportRows> = args
        .reports
        .iter()
        .map(|d| super::report_dir::load(d).map(|(_, rows)| rows))
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
    Ok(super::report_dir::regression_status(
        &summary.gates,
        printer,
    ))
}
