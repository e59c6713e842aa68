//! `ragdiag export-corpus`: the documents a running engine stores, read page by page through
//! `ragdiag-engine`'s exporters (`engine_input::export`) and written as a JSONL or Parquet
//! corpus (atomically).

use crate::cli::ExportCorpusArgs;
use crate::printer::Printer;
use crate::ExitStatus;
use anyhow::{anyhow, bail, Result};

pub(crate) fn run(args: &ExportCorpusArgs, printer: Printer) -> Result<ExitStatus> {
    let ext = args.out.extension().and_then(|e| e.to_str()).unwrap_or("");
    if ext != "jsonl" && ext != "parquet" {
        bail!(
            "--out {}: export-corpus writes JSONL (.jsonl) or Parquet (.parquet)",
            args.out.display()
        );
    }
    let config = crate::settings::read_engine(&args.engine)?;
    let exported = super::engine_input::export(&config, args.page_size, printer)?;
    let out = if ext == "parquet" {
        let records = exported
            .docs
            .iter()
            .map(serde_json::to_value)
            .collect::<Result<Vec<_>, _>>()?;
        ragdiag_load::corpus_parquet_bytes(&records).map_err(|e| {
            anyhow!(
                "--out {}: the documents cannot be written as Parquet ({e:#}); write .jsonl",
                args.out.display()
            )
        })?
    } else {
        let mut out = Vec::new();
        for d in &exported.docs {
            out.extend_from_slice(serde_json::to_string(d)?.as_bytes());
            out.push(b'\n');
        }
        out
    };
    crate::fsutil::write_atomic(&args.out, &out)?;
    let dated = exported
        .docs
        .iter()
        .filter(|d| d.updated_at.is_some())
        .count();
    printer.note(format_args!(
        "{}: exported {} documents ({} chunks, {dated} dated) to {}",
        exported.name,
        exported.docs.len(),
        exported.chunks,
        args.out.display()
    ));
    Ok(ExitStatus::Success)
}
