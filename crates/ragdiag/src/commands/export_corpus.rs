//! `ragdiag export-corpus`: the documents a running engine stores, read page by page through
//! `ragdiag-engine`'s exporters and written as a JSONL corpus (atomically).

use crate::cli::ExportCorpusArgs;
use crate::printer::Printer;
use crate::ExitStatus;
use anyhow::{anyhow, bail, Result};

pub(crate) fn run(args: &ExportCorpusArgs, printer: Printer) -> Result<ExitStatus> {
    let ext = args.out.extension().and_then(|e| e.to_str()).unwrap_or("");
    if ext != "jsonl" {
        bail!(
            "--out {}: export-corpus writes JSONL (.jsonl); Parquet is not written yet",
            args.out.display()
        );
    }
    let config = crate::settings::read_engine(&args.engine)?;
    let exporter = config.exporter().map_err(|e| anyhow!("--engine: {e}"))?;
    let name = exporter.name();
    let chunks = ragdiag_engine::export::all(exporter.as_ref(), args.page_size)
        .map_err(|e| anyhow!("{name}: cannot read the stored chunks: {e}"))?;
    let (docs, stitched) = ragdiag_engine::export::documents(&chunks, &config.document_fields());
    let mut out = Vec::new();
    for d in &docs {
        out.extend_from_slice(serde_json::to_string(d)?.as_bytes());
        out.push(b'\n');
    }
    crate::fsutil::write_atomic(&args.out, &out)?;
    let list = |v: &[String]| {
        let mut s = v.iter().take(5).cloned().collect::<Vec<_>>().join(", ");
        if v.len() > 5 {
            s.push_str(&format!(" and {} more", v.len() - 5));
        }
        s
    };
    if !stitched.without_text.is_empty() {
        printer.warn(format_args!(
            "{name}: {} documents have no stored text and are left out: {}",
            stitched.without_text.len(),
            list(&stitched.without_text)
        ));
    }
    if !stitched.with_gaps.is_empty() {
        printer.warn(format_args!(
            "{name}: {} documents have text missing between their chunks (filled with spaces, so \
             offsets hold): {}",
            stitched.with_gaps.len(),
            list(&stitched.with_gaps)
        ));
    }
    if !stitched.disagreeing.is_empty() {
        printer.warn(format_args!(
            "{name}: {} documents have chunks that disagree where they overlap (the earlier \
             chunk's text kept): {}",
            stitched.disagreeing.len(),
            list(&stitched.disagreeing)
        ));
    }
    if !stitched.beyond_limit.is_empty() {
        printer.warn(format_args!(
            "{name}: {} documents have chunks whose offsets end past {} code points (joined in \
             order instead of placed at their offsets): {}",
            stitched.beyond_limit.len(),
            ragdiag_engine::export::MAX_PLACED_END,
            list(&stitched.beyond_limit)
        ));
    }
    let dated = docs.iter().filter(|d| d.updated_at.is_some()).count();
    printer.note(format_args!(
        "{name}: exported {} documents ({} chunks, {dated} dated) to {}",
        docs.len(),
        chunks.len(),
        args.out.display()
    ));
    Ok(ExitStatus::Success)
}
