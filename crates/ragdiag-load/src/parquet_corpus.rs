//! Parquet corpora: one row a document, with the JSONL fields as columns.
//!
//! Rows are converted to JSON objects and validated by the same code as JSONL records, so
//! the field rules and messages are identical. A diagnostic's "line" is the 1-based row number.

use crate::corpus::{accept, document_from_record};
use crate::record::{parse_json_line, Record};
use crate::{LoadError, LoadOptions, Loaded, Result};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use ragdiag_core::{Diagnostics, Location};
use std::path::Path;

pub(crate) fn load_parquet_corpus(
    path: &Path,
    opts: &LoadOptions,
) -> Result<Loaded<Vec<ragdiag_core::Document>>> {
    let meta = std::fs::metadata(path).map_err(|e| LoadError::io(path, e))?;
    if meta.is_dir() {
        return Err(LoadError::unusable(path, "is a directory, expected a file"));
    }
    let file = std::fs::File::open(path).map_err(|e| LoadError::io(path, e))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|b| b.with_batch_size(4096).build())
        .map_err(|e| LoadError::unusable(path, format!("not a readable Parquet file: {e}")))?;
    let mut docs = Vec::new();
    let mut diagnostics = Diagnostics::default();
    let mut row = 0u64;
    for batch in reader {
        let batch =
            batch.map_err(|e| LoadError::unusable(path, format!("corrupt Parquet data: {e}")))?;
        let mut buf = Vec::new();
        {
            let mut writer = arrow::json::LineDelimitedWriter::new(&mut buf);
            writer
                .write(&batch)
                .and_then(|()| writer.finish())
                .map_err(|e| LoadError::unusable(path, format!("unsupported column type: {e}")))?;
        }
        let text = String::from_utf8_lossy(&buf);
        for line in text.lines() {
            row += 1;
            let loc = Location::new(path, row);
            let item = parse_json_line(line, &loc).and_then(|v| {
                let rec = Record::new(&v, &loc)?;
                document_from_record(&rec, None, None, &mut diagnostics)
            });
            accept(&mut docs, &mut diagnostics, opts, item)?;
        }
    }
    Ok(Loaded {
        items: docs,
        diagnostics,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{ArrayRef, BooleanArray, StringArray};
    use arrow::record_batch::RecordBatch;
    use std::sync::Arc;

    #[test]
    fn reads_rows_as_documents() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.parquet");
        let ids: ArrayRef = Arc::new(StringArray::from(vec!["a", "b"]));
        let text: ArrayRef = Arc::new(StringArray::from(vec![Some("alpha"), Some("beta")]));
        let upd: ArrayRef = Arc::new(StringArray::from(vec![Some("2026-01-01"), None]));
        let del: ArrayRef = Arc::new(BooleanArray::from(vec![Some(false), Some(true)]));
        let batch = RecordBatch::try_from_iter(vec![
            ("id", ids),
            ("text", text),
            ("updated_at", upd),
            ("deleted", del),
        ])
        .unwrap();
        let file = std::fs::File::create(&path).unwrap();
        let mut w = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None).unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
        let l = crate::load_corpus(&path, &LoadOptions::default()).unwrap();
        assert_eq!(l.items.len(), 2);
        assert_eq!(l.items[0].text, "alpha");
        assert!(l.items[0].updated_at.is_some());
        assert!(l.items[1].deleted);
        assert!(l.items[1].updated_at.is_none());

        std::fs::write(&path, b"PAR1 not really").unwrap();
        let err = crate::load_corpus(&path, &LoadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("not a readable Parquet file"), "{err}");
    }
}
