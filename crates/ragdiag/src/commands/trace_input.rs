//! Reading `--trace` in any format, shared by `diagnose` and `freshness`: load it, then locate
//! the hits that carry text but no document id in the corpus.

use crate::cli::TraceFormatArgs;
use anyhow::Result;
use ragdiag_core::{Diagnostics, Document, Query};
use ragdiag_load::{load_trace_as, LoadOptions, TraceFile, TraceFormat, TraceOptions};
use std::path::Path;

/// Reads the trace at `path` (`format` or detected), naming questions by `key` or by matching
/// their text to `questions`, and locates its text-only hits in `docs`; warnings go to
/// `findings`.
pub(crate) fn read_trace(
    path: &Path,
    format: Option<TraceFormat>,
    key: Option<&str>,
    questions: &[Query],
    docs: &[Document],
    findings: &mut Diagnostics,
) -> Result<TraceFile> {
    let opts = TraceOptions {
        format,
        query_id_key: key,
        questions,
    };
    let loaded = load_trace_as(path, &opts, &LoadOptions::default())?;
    findings.extend(loaded.diagnostics);
    let mut file = loaded.items;
    findings.extend(file.locate(docs));
    Ok(file)
}

impl TraceFormatArgs {
    /// [`read_trace`] with these flags.
    pub(crate) fn read(
        &self,
        path: &Path,
        questions: &[Query],
        docs: &[Document],
        findings: &mut Diagnostics,
    ) -> Result<TraceFile> {
        read_trace(
            path,
            self.trace_format,
            self.trace_query_id_key.as_deref(),
            questions,
            docs,
            findings,
        )
    }
}
