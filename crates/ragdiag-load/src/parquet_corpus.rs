//! Parquet corpora: one row a document, with the JSONL fields as columns.
//!
//! Rows are converted to JSON objects and validated by the same code as JSONL records, so
//! the field rules and messages are identical. A diagnostic's "line" is the 1-based row number.
//! `updated_at` and `valid_until` may be strings (RFC 3339 or `YYYY-MM-DD`) or Parquet's own
//! date and timestamp types (a timestamp without a time zone is read as UTC).

use crate::document::document_from_record;
use crate::record::{accept, parse_json_line, Record};
use crate::{LoadError, LoadOptions, Loaded, Result};
use arrow::array::{Array, ArrayRef, AsArray, StringArray};
use arrow::datatypes::{
    ArrowTimestampType, DataType, Date32Type, Date64Type, Field, Schema, TimeUnit,
    TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType,
};
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;
use arrow::temporal_conversions::{as_datetime, date32_to_datetime, date64_to_datetime};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use ragdiag_core::{Diagnostics, Location};
use std::path::Path;
use std::sync::Arc;

/// The columns read as dates.
const DATE_COLUMNS: &[&str] = &["updated_at", "valid_until"];

/// Replaces every date column ([`DATE_COLUMNS`]) of an Arrow date or timestamp type with the
/// strings the record rules read: `Date32`/`Date64` as `YYYY-MM-DD`, `Timestamp` (any unit) as
/// RFC 3339 in UTC. Arrow stores a zoned timestamp as a UTC instant, so the zone is not needed;
/// a timestamp without a zone is taken to be UTC. A value chrono cannot represent becomes a
/// string that is no date, so it is warned about as unparseable like any other.
fn dates_as_text(batch: RecordBatch) -> std::result::Result<RecordBatch, ArrowError> {
    dates_as_text_in(batch, DATE_COLUMNS)
}

/// [`dates_as_text`] for the top-level columns named `names` (a trace's span times).
pub(crate) fn dates_as_text_in(
    batch: RecordBatch,
    names: &[&str],
) -> std::result::Result<RecordBatch, ArrowError> {
    let schema = batch.schema();
    let mut changed = false;
    let mut fields = Vec::with_capacity(schema.fields().len());
    let mut columns = Vec::with_capacity(schema.fields().len());
    for (field, column) in schema.fields().iter().zip(batch.columns()) {
        let text = if names.contains(&field.name().as_str()) {
            date_strings(column)
        } else {
            None
        };
        match text {
            Some(strings) => {
                changed = true;
                fields.push(Field::new(field.name(), DataType::Utf8, true));
                columns.push(Arc::new(strings) as ArrayRef);
            }
            None => {
                fields.push(field.as_ref().clone());
                columns.push(Arc::clone(column));
            }
        }
    }
    if !changed {
        return Ok(batch);
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
}

/// `column` as date strings, if it has an Arrow date or timestamp type.
fn date_strings(column: &ArrayRef) -> Option<StringArray> {
    fn timestamps<T: ArrowTimestampType>(column: &ArrayRef, unit: &str) -> StringArray {
        column
            .as_primitive::<T>()
            .iter()
            .map(|v| {
                v.map(|v| match as_datetime::<T>(v) {
                    Some(t) => t.format("%Y-%m-%dT%H:%M:%S%.fZ").to_string(),
                    None => format!("{v} {unit} since 1970 (out of range)"),
                })
            })
            .collect()
    }
    Some(match column.data_type() {
        DataType::Date32 => column
            .as_primitive::<Date32Type>()
            .iter()
            .map(|v| {
                v.map(|v| match date32_to_datetime(v) {
                    Some(t) => t.format("%Y-%m-%d").to_string(),
                    None => format!("{v} days since 1970 (out of range)"),
                })
            })
            .collect(),
        DataType::Date64 => column
            .as_primitive::<Date64Type>()
            .iter()
            .map(|v| {
                v.map(|v| match date64_to_datetime(v) {
                    Some(t) => t.format("%Y-%m-%d").to_string(),
                    None => format!("{v} ms since 1970 (out of range)"),
                })
            })
            .collect(),
        DataType::Timestamp(TimeUnit::Second, _) => timestamps::<TimestampSecondType>(column, "s"),
        DataType::Timestamp(TimeUnit::Millisecond, _) => {
            timestamps::<TimestampMillisecondType>(column, "ms")
        }
        DataType::Timestamp(TimeUnit::Microsecond, _) => {
            timestamps::<TimestampMicrosecondType>(column, "µs")
        }
        DataType::Timestamp(TimeUnit::Nanosecond, _) => {
            timestamps::<TimestampNanosecondType>(column, "ns")
        }
        _ => return None,
    })
}

pub(crate) fn load_parquet_corpus(
    path: &Path,
    opts: &LoadOptions,
) -> Result<Loaded<Vec<ragdiag_core::Document>>> {
    let meta = std::fs::metadata(path).map_err(|e| LoadError::io(path, e))?;
    if meta.is_dir() {
        return Err(LoadError::unusable(path, "is a directory, expected a file"));
    }
    let file = std::fs::File::open(path).map_err(|e| LoadError::io(path, e))?;
    ragdiag_core::catch_decoder_panic(|| read_documents(file, path, opts)).unwrap_or_else(|m| {
        Err(LoadError::unusable(
            path,
            format!("corrupt Parquet data: the decoder failed ({m})"),
        ))
    })
}

/// The documents of a Parquet corpus (the decoder may panic on corrupt data: see
/// [`ragdiag_core::catch_decoder_panic`]).
fn read_documents(
    file: std::fs::File,
    path: &Path,
    opts: &LoadOptions,
) -> Result<Loaded<Vec<ragdiag_core::Document>>> {
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|b| b.with_batch_size(4096).build())
        .map_err(|e| LoadError::unusable(path, format!("not a readable Parquet file: {e}")))?;
    let mut docs = Vec::new();
    let mut diagnostics = Diagnostics::default();
    let mut row = 0u64;
    for batch in reader {
        let batch = batch
            .and_then(dates_as_text)
            .map_err(|e| LoadError::unusable(path, format!("corrupt Parquet data: {e}")))?;
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

/// A Parquet corpus of `records` (JSON objects with the JSONL corpus fields), one row a record
/// and one column a field, which [`crate::load_corpus`] reads back as the same documents. Column
/// types are inferred from the values (arrow's JSON schema inference); `metadata` is a struct
/// column whose fields are the union of the records' keys (a record without a key has it
/// null, which reads back as absent). A metadata key whose values differ in kind between
/// records (a number in one, a string in another) is written as text in every record, as
/// JSON writes it, so one column can hold it; integers and floats mixed become floats.
///
/// # Errors
///
/// Values arrow cannot hold in one column (e.g. a key nested inside metadata that is an object
/// in one record and a string in another), or an encoding failure.
pub fn corpus_parquet_bytes(
    records: &[serde_json::Value],
) -> std::result::Result<Vec<u8>, crate::TableError> {
    use arrow::datatypes::Fields;
    let arrow_err = |source| crate::TableError::Arrow {
        file: "corpus",
        source,
    };
    let records = metadata_kinds_aligned(records);
    let inferred = arrow::json::reader::infer_json_schema_from_iterator(records.iter().map(Ok))
        .map_err(arrow_err)?;
    // The columns of a written corpus in the order of the corpus fields (any others after them,
    // by name).
    let rank = |name: &str| {
        crate::document::DOCUMENT_FIELDS
            .iter()
            .position(|c| *c == name)
            .unwrap_or(usize::MAX)
    };
    let mut fields: Vec<Field> = inferred
        .fields()
        .iter()
        .map(|f| sorted_field(f))
        // Parquet cannot write a struct without fields (metadata `{}` in every record).
        .filter(|f| !matches!(f.data_type(), DataType::Struct(s) if s.is_empty()))
        .collect();
    fields.sort_by(|a, b| {
        rank(a.name())
            .cmp(&rank(b.name()))
            .then_with(|| a.name().cmp(b.name()))
    });
    let schema = Arc::new(Schema::new(Fields::from(fields)));
    let mut decoder = arrow::json::ReaderBuilder::new(Arc::clone(&schema))
        .with_coerce_primitive(true)
        .build_decoder()
        .map_err(arrow_err)?;
    decoder.serialize(&records).map_err(arrow_err)?;
    let batch = match decoder.flush().map_err(arrow_err)? {
        Some(b) => b,
        None => RecordBatch::new_empty(Arc::clone(&schema)),
    };
    let parquet_err = |source| crate::TableError::Parquet {
        path: "corpus".into(),
        source,
    };
    let mut buf = Vec::new();
    let mut w = parquet::arrow::ArrowWriter::try_new(&mut buf, batch.schema(), None)
        .map_err(parquet_err)?;
    w.write(&batch).map_err(parquet_err)?;
    w.close().map_err(parquet_err)?;
    Ok(buf)
}

/// `field` with the fields of its structs (at any depth) in name order, so the file does not
/// depend on the order inference met them in.
fn sorted_field(field: &Field) -> Field {
    fn sorted(t: &DataType) -> DataType {
        match t {
            DataType::Struct(fs) => {
                let mut v: Vec<Field> = fs.iter().map(|f| sorted_field(f)).collect();
                v.sort_by(|a, b| a.name().cmp(b.name()));
                DataType::Struct(v.into())
            }
            DataType::List(item) => DataType::List(Arc::new(sorted_field(item))),
            other => other.clone(),
        }
    }
    Field::new(field.name(), sorted(field.data_type()), true)
}

/// `records` with every top-level metadata key whose values are of different JSON kinds
/// across records (nulls aside; integers and floats are one kind) turned into text.
fn metadata_kinds_aligned(records: &[serde_json::Value]) -> Vec<serde_json::Value> {
    use serde_json::Value;
    use std::collections::{BTreeMap, BTreeSet};
    fn kind(v: &Value) -> Option<u8> {
        match v {
            Value::Null => None,
            Value::Bool(_) => Some(0),
            Value::Number(_) => Some(1),
            Value::String(_) => Some(2),
            Value::Array(_) => Some(3),
            Value::Object(_) => Some(4),
        }
    }
    let mut kinds: BTreeMap<&str, BTreeSet<u8>> = BTreeMap::new();
    for r in records {
        if let Some(Value::Object(m)) = r.get("metadata") {
            for (k, v) in m {
                kinds.entry(k).or_default().extend(kind(v));
            }
        }
    }
    let mixed: BTreeSet<String> = kinds
        .into_iter()
        .filter(|(_, ks)| ks.len() > 1)
        .map(|(k, _)| k.to_owned())
        .collect();
    records
        .iter()
        .map(|r| {
            let mut r = r.clone();
            if let Some(Value::Object(m)) = r.get_mut("metadata") {
                for (k, v) in m.iter_mut() {
                    if mixed.contains(k) && !matches!(v, Value::String(_) | Value::Null) {
                        *v = Value::String(v.to_string());
                    }
                }
            }
            r
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{
        BooleanArray, Date32Array, Date64Array, TimestampMicrosecondArray,
        TimestampMillisecondArray, TimestampNanosecondArray, TimestampSecondArray,
    };

    fn write_parquet(path: &Path, columns: Vec<(&str, ArrayRef)>) {
        let batch = RecordBatch::try_from_iter(columns).unwrap();
        let file = std::fs::File::create(path).unwrap();
        let mut w = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None).unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
    }

    #[test]
    fn written_corpora_read_back_as_the_same_documents() {
        let records: Vec<serde_json::Value> = [
            r#"{"id":"a","text":"Refunds take five days.","updated_at":"2025-03-01","version":"3","metadata":{"team":"billing","rev":3,"tags":["x","y"],"owner":{"name":"Ann","n":1}}}"#,
            r#"{"id":"b","text":"Ask support. é ✓","metadata":{"team":"support","score":0.5,"mixed":"one"}}"#,
            r#"{"id":"c","text":"No metadata, no date.","version":"2"}"#,
            r#"{"id":"d","text":"Mixed kinds.","updated_at":"2024-01-01T10:00:00Z","metadata":{"mixed":7,"flag":true}}"#,
        ]
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
        let dir = tempfile::tempdir().unwrap();
        let (jsonl, parquet) = (dir.path().join("c.jsonl"), dir.path().join("c.parquet"));
        let lines: Vec<String> = records.iter().map(ToString::to_string).collect();
        std::fs::write(&jsonl, lines.join("\n")).unwrap();
        std::fs::write(&parquet, corpus_parquet_bytes(&records).unwrap()).unwrap();
        let read = |p: &Path| {
            let l = crate::load_corpus(p, &LoadOptions::default()).unwrap();
            assert!(l.diagnostics.is_empty(), "{:?}", l.diagnostics);
            l.items
                .into_iter()
                .map(|mut d| {
                    d.origin = Location::file("x");
                    d
                })
                .collect::<Vec<_>>()
        };
        let (from_jsonl, mut from_parquet) = (read(&jsonl), read(&parquet));
        assert_eq!(from_parquet.len(), 4);
        // The one change: a metadata key of two kinds (a string, a number) is text in both.
        let mixed = from_parquet[3].metadata.as_mut().unwrap();
        assert_eq!(mixed["mixed"], serde_json::json!("7"));
        mixed["mixed"] = serde_json::json!(7);
        assert_eq!(from_parquet, from_jsonl);
        assert_eq!(
            from_jsonl[0].metadata.as_ref().unwrap()["owner"],
            serde_json::json!({"name": "Ann", "n": 1})
        );
        // Columns in the corpus order, the same file for the same records.
        let bytes = corpus_parquet_bytes(&records).unwrap();
        assert_eq!(bytes, std::fs::read(&parquet).unwrap());
        let reader =
            ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&parquet).unwrap())
                .unwrap();
        let names: Vec<_> = reader
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        assert_eq!(names, ["id", "text", "updated_at", "version", "metadata"]);
        // Empty metadata everywhere is no column; no records is an empty corpus.
        let bare = vec![serde_json::json!({"id": "a", "text": "x", "metadata": {}})];
        std::fs::write(&parquet, corpus_parquet_bytes(&bare).unwrap()).unwrap();
        assert_eq!(read(&parquet)[0].metadata, None);
        // A nested key of two shapes cannot be one column: an error, not a panic.
        let clash = vec![
            serde_json::json!({"id": "a", "text": "x", "metadata": {"o": {"k": {"z": 1}}}}),
            serde_json::json!({"id": "b", "text": "y", "metadata": {"o": {"k": "s"}}}),
        ];
        assert!(corpus_parquet_bytes(&clash).is_err());
    }

    #[test]
    fn date_and_timestamp_columns_are_dates() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.parquet");
        let ids: ArrayRef = Arc::new(StringArray::from(vec!["a", "b", "c"]));
        let text: ArrayRef = Arc::new(StringArray::from(vec!["x", "y", "z"]));
        // 2020-01-01T00:00:00 and 2021-06-15T12:30:00.250, and a null.
        let (t0, t1) = (1_577_836_800_000i64, 1_623_760_200_250i64);
        let naive_ms: ArrayRef = Arc::new(TimestampMillisecondArray::from(vec![
            Some(t0),
            Some(t1),
            None,
        ]));
        let cases: Vec<(&str, ArrayRef)> = vec![
            ("timestamp[ms]", naive_ms),
            (
                "timestamp[s, +02:00]",
                Arc::new(
                    TimestampSecondArray::from(vec![Some(t0 / 1000), Some(t1 / 1000), None])
                        .with_timezone("+02:00"),
                ),
            ),
            (
                "timestamp[us, UTC]",
                Arc::new(
                    TimestampMicrosecondArray::from(vec![Some(t0 * 1000), Some(t1 * 1000), None])
                        .with_timezone("UTC"),
                ),
            ),
            (
                "timestamp[ns, America/New_York]",
                Arc::new(
                    TimestampNanosecondArray::from(vec![
                        Some(t0 * 1_000_000),
                        Some(t1 * 1_000_000),
                        None,
                    ])
                    .with_timezone("America/New_York"),
                ),
            ),
            (
                "date32",
                Arc::new(Date32Array::from(vec![Some(18_262), Some(18_793), None])),
            ),
            (
                "date64",
                Arc::new(Date64Array::from(vec![
                    Some(t0),
                    Some(18_793 * 86_400_000),
                    None,
                ])),
            ),
        ];
        for (kind, column) in cases {
            write_parquet(
                &path,
                vec![
                    ("id", Arc::clone(&ids)),
                    ("text", Arc::clone(&text)),
                    ("updated_at", Arc::clone(&column)),
                    ("valid_until", column),
                ],
            );
            let l = crate::load_corpus(&path, &LoadOptions::default()).unwrap();
            assert!(l.diagnostics.is_empty(), "{kind}: {:?}", l.diagnostics);
            let dates: Vec<_> = l
                .items
                .iter()
                .map(|d| d.updated_at.map(|t| t.as_datetime().to_rfc3339()))
                .collect();
            let second = if kind.starts_with("date") {
                "2021-06-15T00:00:00+00:00"
            } else if kind.starts_with("timestamp[s") {
                "2021-06-15T12:30:00+00:00"
            } else {
                "2021-06-15T12:30:00.250+00:00"
            };
            assert_eq!(
                dates,
                [
                    Some("2020-01-01T00:00:00+00:00".to_string()),
                    Some(second.to_string()),
                    None
                ],
                "{kind}"
            );
            assert_eq!(l.items[1].valid_until, l.items[1].updated_at, "{kind}");
        }

        // A timestamp chrono cannot hold is an unparseable date (a warning), as in JSONL.
        let huge: ArrayRef = Arc::new(TimestampSecondArray::from(vec![i64::MAX, 0, 0]));
        write_parquet(
            &path,
            vec![("id", ids), ("text", text), ("updated_at", huge)],
        );
        let l = crate::load_corpus(&path, &LoadOptions::default()).unwrap();
        assert!(l.items[0].updated_at.is_none());
        assert_eq!(l.diagnostics.len(), 1, "{:?}", l.diagnostics);
        assert!(
            l.diagnostics.items()[0]
                .to_string()
                .contains("c.parquet:1: updated_at: unparseable date"),
            "{:?}",
            l.diagnostics
        );
    }

    #[test]
    fn ids_a_trec_run_cannot_carry_are_malformed_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.parquet");
        write_parquet(
            &path,
            vec![
                (
                    "id",
                    Arc::new(StringArray::from(vec!["a", "b\0"])) as ArrayRef,
                ),
                ("text", Arc::new(StringArray::from(vec!["x", "y"]))),
            ],
        );
        let err = crate::load_corpus(&path, &LoadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.ends_with("c.parquet:2: id: contains whitespace or a control character (U+0000), which a TREC run cannot carry"),
            "{err}"
        );
    }

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
