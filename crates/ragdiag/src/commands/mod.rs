//! One module per subcommand; each resolves its settings, calls the libraries, prints through
//! the [`Printer`] and returns an [`ExitStatus`]. Commands never import each other: what two of
//! them share lives in a library crate, or (for the binary's own glue) here.

mod chunking;
mod compare;
mod diagnose;
mod engine_input;
mod eval;
mod export_corpus;
mod fresh_audit;
mod freshness;
mod index;
mod labels;
mod lint;
mod plan;
mod pool;
mod question_tables;
pub(crate) mod report_dir;
mod search;
mod tied_labels;
mod trace_input;
mod trace_stream;
mod trend;

use crate::cli::{Cli, Command};
use crate::printer::Printer;
use crate::ExitStatus;
use ragdiag_embed::{open_embedder, Cached, ModelChoice};

pub(crate) fn run(cli: Cli) -> anyhow::Result<ExitStatus> {
    let printer = Printer::new(cli.global.quiet);
    match cli.command {
        Command::Eval(args) => eval::run(&args, printer),
        Command::Lint(args) => lint::run(&args, printer),
        Command::Freshness(args) => freshness::run(&args, printer),
        Command::Index(args) => index::run(&args, printer),
        Command::Search(args) => search::run(&args, printer),
        Command::Diagnose(args) => diagnose::run(&args, printer),
        Command::Compare(args) => compare::run(&args, printer),
        Command::Trend(args) => trend::run(&args, printer),
        Command::Chunking(args) => chunking::run(&args, printer),
        Command::Plan(args) => plan::run(&args, printer),
        Command::Pool(args) => pool::run(&args, printer),
        Command::Labels(args) => labels::run(&args, printer),
        Command::ExportCorpus(args) => export_corpus::run(&args, printer),
    }
}

/// The embedder of `choice` behind its cache (`None` for `--model none`), with the cache's
/// warnings printed.
pub(crate) fn open_model(
    choice: &ModelChoice,
    no_fetch: bool,
    printer: Printer,
) -> anyhow::Result<Option<Cached>> {
    let e = open_embedder(choice, no_fetch, printer.quiet())?;
    for w in e.iter().flat_map(|e| e.warnings()) {
        printer.warn(w);
    }
    Ok(e)
}

/// Stages `warnings.jsonl` in `files`: every finding, one JSON object a line
/// ([`ragdiag_core::Diagnostic::to_json`]), the full list behind a report's collapsed warnings,
/// written a line at a time (a run with a warning per question never holds the file whole).
pub(crate) fn write_warnings(
    files: &mut crate::fsutil::ReportFiles,
    findings: &ragdiag_core::Diagnostics,
) -> anyhow::Result<()> {
    use anyhow::Context;
    use std::io::Write;
    let mut out = files.stage("warnings.jsonl")?;
    for d in findings.items() {
        serde_json::to_writer(&mut out, &d.to_json()).context("writing warnings.jsonl")?;
        out.write_all(b"\n").context("writing warnings.jsonl")?;
    }
    files.add(out)
}

/// The content hash of a document's text as labels record it: `sha256:` and the hex digest of
/// its UTF-8 bytes.
pub(crate) fn doc_hash(text: &str) -> String {
    use sha2::{Digest, Sha256};
    format!(
        "sha256:{}",
        ragdiag_core::hex(&Sha256::digest(text.as_bytes()))
    )
}
