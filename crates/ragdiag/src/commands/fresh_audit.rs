//! The freshness audit as `freshness` and `diagnose` run it: in memory, or in batches over a
//! limit of text (`RAGDIAG_FRESHNESS_IN_MEMORY_BYTES`), with a large JSONL corpus's texts read
//! again from its file.

use anyhow::{Context, Result};
use ragdiag_fresh::{audit, audit_batched, Config};

/// Documents per batch of a batched audit (about 40 MB of 10 KB pages).
pub(crate) const AUDIT_BATCH: usize = 4096;

/// JSONL corpora larger than this many bytes are audited a batch at a time
/// (`RAGDIAG_FRESHNESS_IN_MEMORY_BYTES`; 0: always): holding a corpus's texts and the audit's
/// shingle sets takes about 3.2 bytes of memory per byte of text, the batched audit a few
/// hundred bytes per document whatever its length, and reads each text about five times.
const IN_MEMORY_BYTES: u64 = 1 << 30;

/// The audit of documents whose texts are held (`diagnose` holds them for its chunks): over the
/// in-memory limit of text, in batches, so that the audit does not hold every document's
/// shingle sets besides (about 1.2 bytes per byte of text); the same result either way.
pub(crate) fn audit_held_texts(
    docs: &[ragdiag_core::Document],
    cfg: &Config,
) -> Result<ragdiag_fresh::Audit> {
    let text_bytes: u64 = docs.iter().map(|d| d.text.len() as u64).sum();
    Ok(if text_bytes > in_memory_limit()? {
        audit_batched(docs, &docs, cfg, AUDIT_BATCH)
    } else {
        audit(docs, cfg)
    })
}

/// The in-memory limit: `RAGDIAG_FRESHNESS_IN_MEMORY_BYTES`, else [`IN_MEMORY_BYTES`].
fn in_memory_limit() -> Result<u64> {
    match std::env::var("RAGDIAG_FRESHNESS_IN_MEMORY_BYTES") {
        Ok(v) => v.trim().parse::<u64>().with_context(|| {
            format!("RAGDIAG_FRESHNESS_IN_MEMORY_BYTES={v:?}: expected a number of bytes")
        }),
        Err(_) => Ok(IN_MEMORY_BYTES),
    }
}

/// Whether the corpus at `path` is a JSONL file (or a BEIR folder's `corpus.jsonl`) larger than
/// the in-memory limit.
pub(crate) fn audit_in_batches(path: &std::path::Path) -> Result<bool> {
    let file = match ragdiag_load::CorpusFormat::detect(path) {
        ragdiag_load::CorpusFormat::Jsonl => path.to_path_buf(),
        ragdiag_load::CorpusFormat::Directory if path.join("corpus.jsonl").is_file() => {
            path.join("corpus.jsonl")
        }
        _ => return Ok(false),
    };
    let limit = in_memory_limit()?;
    // A file that cannot be read is reported by the loader.
    Ok(std::fs::metadata(&file).is_ok_and(|m| m.len() > limit))
}

/// The texts of a corpus loaded without them, read again from its file; the first read that
/// fails (the file changed) is kept, and the audit is refused after it.
pub(crate) struct FileTexts<'a> {
    pub(crate) lines: &'a ragdiag_load::CorpusLines,
    pub(crate) docs: &'a [ragdiag_core::Document],
    pub(crate) error: std::sync::Mutex<Option<String>>,
}

impl ragdiag_fresh::Texts for FileTexts<'_> {
    fn text(&self, i: usize) -> std::borrow::Cow<'_, str> {
        let read = self.lines.document(i).and_then(|d| {
            if d.id == self.docs[i].id {
                Ok(d.text)
            } else {
                Err(format!(
                    "{}: the document read again is {:?}, not {:?}",
                    self.docs[i].origin, d.id, self.docs[i].id
                ))
            }
        });
        match read {
            Ok(text) => std::borrow::Cow::Owned(text),
            Err(e) => {
                let mut first = self
                    .error
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                first.get_or_insert(e);
                std::borrow::Cow::Borrowed("")
            }
        }
    }
}
