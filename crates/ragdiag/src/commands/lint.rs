//! `ragdiag lint`: run every loader on the given inputs (listing every malformed record, not
//! just the first) and the cross-checks; print `path:line: field: reason` lines.

use crate::cli::{Format, LintArgs};
use crate::printer::Printer;
use crate::ExitStatus;
use anyhow::{bail, Result};
use ragdiag_core::{Diagnostic, Diagnostics, Severity};
use ragdiag_load::{
    cross_check, load_corpus, load_qrels, load_queries, load_run, load_trace_as, Inputs, LoadError,
    LoadOptions, TraceOptions,
};
use std::fmt::Write as _;

fn absorb<T>(
    all: &mut Diagnostics,
    r: Result<ragdiag_load::Loaded<T>, LoadError>,
) -> Result<Option<T>> {
    match r {
        Ok(l) => {
            all.extend(l.diagnostics);
            Ok(Some(l.items))
        }
        Err(LoadError::Invalid(d)) => {
            all.push(d);
            Ok(None)
        }
        Err(e) => {
            all.push(Diagnostic::error(
                ragdiag_core::Location::default(),
                "",
                e.to_string(),
            ));
            Ok(None)
        }
    }
}

pub(crate) fn run(args: &LintArgs, printer: Printer) -> Result<ExitStatus> {
    if args.corpus.corpus.is_none()
        && args.queries.is_none()
        && args.qrels.is_none()
        && args.run.is_empty()
        && args.trace.is_none()
    {
        bail!("nothing to lint: give --corpus, --queries, --qrels, --run and/or --trace");
    }
    let opts = LoadOptions { skip_invalid: true };
    let mut all = Diagnostics::default();
    let corpus = match &args.corpus.corpus {
        Some(p) => absorb(&mut all, load_corpus(p, &opts))?,
        None => None,
    };
    let queries = match &args.queries {
        Some(p) => absorb(&mut all, load_queries(p, &opts))?,
        None => None,
    };
    let qrels = match &args.qrels {
        Some(p) => absorb(&mut all, load_qrels(p, None, &opts))?,
        None => None,
    };
    for p in &args.run {
        match load_run(p, None) {
            Ok(_) => {}
            Err(LoadError::Invalid(d)) => all.push(d),
            Err(e) => all.push(Diagnostic::error(
                ragdiag_core::Location::default(),
                "",
                e.to_string(),
            )),
        }
    }
    if let Some(p) = &args.trace {
        // Every malformed record is listed; with a corpus, text-only hits are located too.
        let topts = TraceOptions {
            format: args.trace_format.trace_format,
            query_id_key: args.trace_format.trace_query_id_key.as_deref(),
            questions: queries.as_deref().unwrap_or_default(),
        };
        if let Some(mut t) = absorb(&mut all, load_trace_as(p, &topts, &opts))? {
            if let Some(docs) = &corpus {
                all.extend(t.locate(docs));
            }
        }
    }
    let inputs = Inputs {
        corpus: corpus.as_deref(),
        queries: queries.as_deref(),
        qrels: qrels.as_ref().zip(args.qrels.as_deref()),
    };
    all.extend(cross_check(&inputs));
    let errors = all.error_count();
    let warnings = all.len() - errors;
    let mut out = String::new();
    match args.format {
        Format::Json => {
            let items: Vec<_> = all.items().iter().map(Diagnostic::to_json).collect();
            out = serde_json::to_string_pretty(
                &serde_json::json!({"errors": errors, "warnings": warnings, "findings": items}),
            )?;
            out.push('\n');
        }
        Format::Csv => {
            let _ = writeln!(out, "severity,path,line,field,reason");
            for d in all.items() {
                let sev = if d.severity == Severity::Error {
                    "error"
                } else {
                    "warning"
                };
                let esc = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
                let _ = writeln!(
                    out,
                    "{sev},{},{},{},{}",
                    esc(&d.location.path.display().to_string()),
                    d.location.line.map_or(String::new(), |l| l.to_string()),
                    esc(&d.field),
                    esc(&d.reason)
                );
            }
        }
        Format::Text => {
            for d in all.items() {
                let sev = if d.severity == Severity::Error {
                    "error"
                } else {
                    "warning"
                };
                let _ = writeln!(out, "{sev}: {d}");
            }
        }
    }
    printer.data(&out)?;
    if !printer.quiet() {
        let mut summary = Vec::new();
        if let Some(c) = &corpus {
            summary.push(format!("{} documents", c.len()));
        }
        if let Some(q) = &queries {
            summary.push(format!("{} queries", q.len()));
        }
        if let Some(q) = &qrels {
            summary.push(format!("judgments for {} queries", q.len()));
        }
        printer.note(format_args!(
            "lint: {}; {errors} errors, {warnings} warnings",
            summary.join(", ")
        ));
    }
    Ok(if errors > 0 {
        ExitStatus::Error
    } else {
        ExitStatus::Success
    })
}
