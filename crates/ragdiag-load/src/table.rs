//! The Parquet tables of reports, through their declarations in `ragdiag-contract`: one
//! writer for every declared table, and the reader `ragdiag compare` uses.

use arrow::array::{
    Array, ArrayRef, BooleanArray, Float64Array, Int64Array, ListArray, ListBuilder, StringArray,
    StringBuilder,
};
use arrow::record_batch::RecordBatch;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use ragdiag_contract::table::{Column, ColumnKind, Table, Values};
use std::path::Path;
use std::sync::Arc;

/// The key-value metadata entry holding a table's schema version.
pub const SCHEMA_VERSION_KEY: &str = "ragdiag.schema_version";

/// A report table could not be written or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TableError {
    /// The columns do not match the declaration (a bug of the writer).
    #[error("{0}")]
    Declaration(String),
    /// Arrow refused the columns.
    #[error("cannot assemble {file}")]
    Arrow {
        /// The table's file name.
        file: &'static str,
        /// The cause.
        #[source]
        source: arrow::error::ArrowError,
    },
    /// Parquet failed to encode or decode.
    #[error("{path}: not a readable Parquet file")]
    Parquet {
        /// The file.
        path: String,
        /// The cause.
        #[source]
        source: parquet::errors::ParquetError,
    },
    /// The file cannot be opened.
    #[error("cannot open {path}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The file lacks a declared column, or holds it with another type.
    #[error("{path}: {reason}")]
    Schema {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
}

/// The Parquet bytes of `columns`, checked against `table`'s declaration, with the table's
/// schema version in the key-value metadata (`ragdiag.schema_version`).
///
/// # Errors
///
/// Columns that do not match the declaration, or an encoding failure.
pub fn table_bytes(table: &Table, columns: Vec<Column>) -> Result<Vec<u8>, TableError> {
    let batch = record_batch(table, columns)?;
    parquet_bytes(&batch, table.schema_version).map_err(|source| TableError::Parquet {
        path: table.file.to_owned(),
        source,
    })
}

/// `columns` as one Arrow batch, checked against `table`'s declaration (a field is nullable
/// when its column holds a null).
fn record_batch(table: &Table, columns: Vec<Column>) -> Result<RecordBatch, TableError> {
    table.check(&columns).map_err(TableError::Declaration)?;
    let arrays = columns.into_iter().map(|c| {
        let array: ArrayRef = match c.values {
            Values::Utf8(v) => Arc::new(StringArray::from(v)),
            Values::Int64(v) => Arc::new(Int64Array::from(v)),
            Values::Float64(v) => Arc::new(Float64Array::from(v)),
            Values::Boolean(v) => Arc::new(BooleanArray::from(v)),
            Values::Utf8List(v) => {
                let mut b = ListBuilder::new(StringBuilder::new());
                for row in v {
                    for t in row {
                        b.values().append_value(t);
                    }
                    b.append(true);
                }
                Arc::new(b.finish())
            }
        };
        (c.name, array)
    });
    RecordBatch::try_from_iter(arrays).map_err(|source| TableError::Arrow {
        file: table.file,
        source,
    })
}

/// The writer properties of every report table: defaults, with the schema version in the
/// key-value metadata.
fn writer_properties(schema_version: u32) -> parquet::file::properties::WriterProperties {
    parquet::file::properties::WriterProperties::builder()
        .set_key_value_metadata(Some(vec![parquet::file::metadata::KeyValue::new(
            SCHEMA_VERSION_KEY.into(),
            schema_version.to_string(),
        )]))
        .build()
}

/// A declared table written part by part (issue 15: a report's per-question tables are
/// written without holding all their rows as columns at once). Each [`TableWriter::write`]
/// hands over the next rows; [`TableWriter::finish`] closes the file.
///
/// A table written in one part is byte for byte [`table_bytes`]'s file. With several parts the
/// rows, their order, the row groups (Parquet's default of 1,048,576 rows) and the column
/// types are the same, but the schema marks nullable every column the declaration lets hold
/// nulls (one part cannot know whether a later one holds a null), and the data pages may be
/// cut at other rows.
///
/// A writer told that several parts come ([`TableWriter::in_parts`]) holds none of them: each
/// is written as it comes, as its own row group (the file is then never the one-part file),
/// and may be handed over in pieces ([`TableWriter::append`], the last one
/// [`TableWriter::write`]).
pub struct TableWriter<W: std::io::Write + Send> {
    table: Table,
    state: State<W>,
    /// Each part written as it comes, as a row group of its own.
    in_parts: bool,
}

/// Where a [`TableWriter`] is.
enum State<W: std::io::Write + Send> {
    /// No part yet, or the first one, held until a second comes or the file is closed.
    Waiting { out: W, first: Option<RecordBatch> },
    /// Parts written through Parquet's writer under the declaration's schema.
    Writing {
        writer: Box<parquet::arrow::ArrowWriter<W>>,
        schema: arrow::datatypes::SchemaRef,
    },
    /// An error left the writer unusable.
    Failed,
}

impl<W: std::io::Write + Send> TableWriter<W> {
    /// A writer of `table` into `out`.
    pub fn new(out: W, table: &Table) -> Self {
        TableWriter {
            table: *table,
            state: State::Waiting { out, first: None },
            in_parts: false,
        }
    }

    /// The same writer, told that the table comes in several parts: each is written (and its
    /// memory let go) as it comes, a row group per part, under the declaration's schema.
    #[must_use]
    pub fn in_parts(mut self) -> Self {
        self.in_parts = true;
        self
    }

    /// Parquet's writer on `out` for batches shaped as `first`, under the declaration's schema
    /// (nullable wherever it may be: one part cannot know whether a later one holds a null).
    fn open(&self, out: W, first: &RecordBatch) -> Result<State<W>, TableError> {
        let fields: Vec<arrow::datatypes::Field> = first
            .schema()
            .fields()
            .iter()
            .zip(self.table.columns)
            .map(|(f, def)| {
                f.as_ref()
                    .clone()
                    .with_nullable(f.is_nullable() || def.null_means.is_some())
            })
            .collect();
        let schema = Arc::new(arrow::datatypes::Schema::new(fields));
        let writer = parquet::arrow::ArrowWriter::try_new(
            out,
            schema.clone(),
            Some(writer_properties(self.table.schema_version)),
        )
        .map_err(|e| self.parquet_error(e))?;
        Ok(State::Writing {
            writer: Box::new(writer),
            schema,
        })
    }

    /// Writes `batch` through Parquet's writer (when in parts, closing its row group if `ends`
    /// the part).
    fn put(
        &self,
        writer: &mut parquet::arrow::ArrowWriter<W>,
        schema: &arrow::datatypes::SchemaRef,
        batch: RecordBatch,
        ends: bool,
    ) -> Result<(), TableError> {
        let b = batch
            .with_schema(schema.clone())
            .map_err(|e| self.arrow_error(e))?;
        writer.write(&b).map_err(|e| self.parquet_error(e))?;
        if self.in_parts && ends {
            writer.flush().map_err(|e| self.parquet_error(e))?;
        }
        Ok(())
    }

    fn parquet_error(&self, source: parquet::errors::ParquetError) -> TableError {
        TableError::Parquet {
            path: self.table.file.to_owned(),
            source,
        }
    }

    fn arrow_error(&self, source: arrow::error::ArrowError) -> TableError {
        TableError::Arrow {
            file: self.table.file,
            source,
        }
    }

    /// Writes the next rows.
    ///
    /// # Errors
    ///
    /// Columns that do not match the declaration, or an encoding or output failure.
    pub fn write(&mut self, columns: Vec<Column>) -> Result<(), TableError> {
        self.write_rows(columns, true)
    }

    /// Writes the first rows of the next part, or the next ones, the part staying open: the
    /// next [`TableWriter::write`] ends it. A part may so be handed over in pieces, its rows
    /// never all held as columns at once; its row group is the same.
    ///
    /// # Errors
    ///
    /// As [`TableWriter::write`].
    pub fn append(&mut self, columns: Vec<Column>) -> Result<(), TableError> {
        self.write_rows(columns, false)
    }

    /// [`TableWriter::write`] (`ends` the part) and [`TableWriter::append`].
    fn write_rows(&mut self, columns: Vec<Column>, ends: bool) -> Result<(), TableError> {
        let batch = record_batch(&self.table, columns)?;
        match std::mem::replace(&mut self.state, State::Failed) {
            State::Waiting { out, first: None } if self.in_parts => {
                let mut state = self.open(out, &batch)?;
                if let State::Writing { writer, schema } = &mut state {
                    self.put(writer, schema, batch, ends)?;
                }
                self.state = state;
                Ok(())
            }
            State::Waiting { out, first: None } => {
                self.state = State::Waiting {
                    out,
                    first: Some(batch),
                };
                Ok(())
            }
            State::Waiting {
                out,
                first: Some(first),
            } => {
                // A second part: written under the declaration's schema.
                let mut state = self.open(out, &first)?;
                if let State::Writing { writer, schema } = &mut state {
                    self.put(writer, schema, first, ends)?;
                    self.put(writer, schema, batch, ends)?;
                }
                self.state = state;
                Ok(())
            }
            State::Writing { mut writer, schema } => {
                self.put(&mut writer, &schema, batch, ends)?;
                self.state = State::Writing { writer, schema };
                Ok(())
            }
            State::Failed => Err(TableError::Declaration(format!(
                "{}: written after a failure",
                self.table.file
            ))),
        }
    }

    /// Closes the file (a table given no rows is written with none) and hands the output back.
    ///
    /// # Errors
    ///
    /// An encoding or output failure, or a writer that failed before.
    pub fn finish(mut self) -> Result<W, TableError> {
        match std::mem::replace(&mut self.state, State::Failed) {
            State::Writing { writer, .. } => writer.into_inner().map_err(|e| self.parquet_error(e)),
            State::Waiting { mut out, first } => {
                let batch = match first {
                    Some(b) => b,
                    None => record_batch(&self.table, empty_columns(&self.table))?,
                };
                write_parquet(&mut out, &batch, self.table.schema_version)
                    .map_err(|e| self.parquet_error(e))?;
                Ok(out)
            }
            State::Failed => Err(TableError::Declaration(format!(
                "{}: closed after a failure",
                self.table.file
            ))),
        }
    }
}

/// `table`'s columns with no rows.
fn empty_columns(table: &Table) -> Vec<Column> {
    table
        .columns
        .iter()
        .map(|d| Column {
            name: d.name,
            values: match d.kind {
                ColumnKind::Utf8 => Values::Utf8(Vec::new()),
                ColumnKind::Int64 => Values::Int64(Vec::new()),
                ColumnKind::Float64 => Values::Float64(Vec::new()),
                ColumnKind::Boolean => Values::Boolean(Vec::new()),
                ColumnKind::Utf8List => Values::Utf8List(Vec::new()),
            },
        })
        .collect()
}

/// Writes `batch` to `out` as one Parquet file with `ragdiag.schema_version`.
fn write_parquet<W: std::io::Write + Send>(
    out: W,
    batch: &RecordBatch,
    schema_version: u32,
) -> Result<(), parquet::errors::ParquetError> {
    let mut w = parquet::arrow::ArrowWriter::try_new(
        out,
        batch.schema(),
        Some(writer_properties(schema_version)),
    )?;
    w.write(batch)?;
    w.close()?;
    Ok(())
}

/// A Parquet file holding `batch`, with `ragdiag.schema_version` in its key-value metadata.
///
/// # Errors
///
/// An encoding failure.
pub fn parquet_bytes(
    batch: &RecordBatch,
    schema_version: u32,
) -> Result<Vec<u8>, parquet::errors::ParquetError> {
    let mut buf = Vec::new();
    write_parquet(&mut buf, batch, schema_version)?;
    Ok(buf)
}

/// Reads the declared columns of `table` that the file at `path` holds, in declaration order
/// (a column the file lacks is left out; one of another type is an error).
///
/// # Errors
///
/// A file that cannot be opened or decoded, or a declared column of the wrong type.
pub fn read_table(path: &Path, table: &Table) -> Result<Vec<Column>, TableError> {
    let shown = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|source| TableError::Io {
        path: shown.clone(),
        source,
    })?;
    ragdiag_core::catch_decoder_panic(|| read_columns(file, &shown, table)).unwrap_or_else(|m| {
        Err(TableError::Parquet {
            path: shown.clone(),
            source: parquet::errors::ParquetError::General(format!(
                "corrupt data: the decoder failed ({m})"
            )),
        })
    })
}

/// The declared columns of `file` (the decoder may panic on corrupt data: see
/// [`ragdiag_core::catch_decoder_panic`]).
fn read_columns(
    file: std::fs::File,
    shown: &str,
    table: &Table,
) -> Result<Vec<Column>, TableError> {
    let shown = shown.to_owned();
    let parquet = |source| TableError::Parquet {
        path: shown.clone(),
        source,
    };
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(parquet)?
        .build()
        .map_err(parquet)?;
    let mut columns: Vec<Column> = Vec::new();
    for batch in reader {
        let batch = batch.map_err(|e| TableError::Parquet {
            path: shown.clone(),
            source: parquet::errors::ParquetError::ArrowError(e.to_string()),
        })?;
        let mut at = 0;
        for def in table.columns {
            let Some(array) = batch.column_by_name(def.name) else {
                continue;
            };
            let wrong = || TableError::Schema {
                path: shown.clone(),
                reason: format!(
                    "column {:?} is {}, expected {:?}",
                    def.name,
                    array.data_type(),
                    def.kind
                ),
            };
            let values = match def.kind {
                ColumnKind::Utf8 => {
                    let a = array
                        .as_any()
                        .downcast_ref::<StringArray>()
                        .ok_or_else(wrong)?;
                    Values::Utf8(a.iter().map(|v| v.map(str::to_owned)).collect())
                }
                ColumnKind::Int64 => {
                    let a = array
                        .as_any()
                        .downcast_ref::<Int64Array>()
                        .ok_or_else(wrong)?;
                    Values::Int64(a.iter().collect())
                }
                ColumnKind::Float64 => {
                    let a = array
                        .as_any()
                        .downcast_ref::<Float64Array>()
                        .ok_or_else(wrong)?;
                    Values::Float64(a.iter().collect())
                }
                ColumnKind::Boolean => {
                    let a = array
                        .as_any()
                        .downcast_ref::<BooleanArray>()
                        .ok_or_else(wrong)?;
                    Values::Boolean(a.iter().collect())
                }
                ColumnKind::Utf8List => {
                    let a = array
                        .as_any()
                        .downcast_ref::<ListArray>()
                        .ok_or_else(wrong)?;
                    let mut rows = Vec::with_capacity(a.len());
                    for i in 0..a.len() {
                        let item = a.value(i);
                        let texts = item
                            .as_any()
                            .downcast_ref::<StringArray>()
                            .ok_or_else(wrong)?;
                        rows.push(texts.iter().flatten().map(str::to_owned).collect());
                    }
                    Values::Utf8List(rows)
                }
            };
            match columns.get_mut(at) {
                Some(c) => append(&mut c.values, values),
                None => columns.push(Column {
                    name: def.name,
                    values,
                }),
            }
            at += 1;
        }
    }
    Ok(columns)
}

/// Appends the rows of `more` (of the same kind) to `to`.
fn append(to: &mut Values, more: Values) {
    match (to, more) {
        (Values::Utf8(a), Values::Utf8(b)) => a.extend(b),
        (Values::Int64(a), Values::Int64(b)) => a.extend(b),
        (Values::Float64(a), Values::Float64(b)) => a.extend(b),
        (Values::Boolean(a), Values::Boolean(b)) => a.extend(b),
        (Values::Utf8List(a), Values::Utf8List(b)) => a.extend(b),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ragdiag_contract::table::{DOCUMENTS, HITS, QUERIES};

    fn columns_of(table: &Table, n: usize) -> Vec<Column> {
        table
            .columns
            .iter()
            .map(|d| Column {
                name: d.name,
                values: match d.kind {
                    ColumnKind::Utf8 => {
                        Values::Utf8((0..n).map(|i| Some(format!("v{i}"))).collect())
                    }
                    ColumnKind::Int64 => Values::Int64((0..n).map(|i| Some(i as i64)).collect()),
                    ColumnKind::Float64 => {
                        Values::Float64((0..n).map(|i| Some(i as f64 / 2.0)).collect())
                    }
                    ColumnKind::Boolean => {
                        Values::Boolean((0..n).map(|i| Some(i % 2 == 0)).collect())
                    }
                    ColumnKind::Utf8List => {
                        Values::Utf8List((0..n).map(|i| vec![format!("t{i}"); i]).collect())
                    }
                },
            })
            .collect()
    }

    #[test]
    fn a_written_table_reads_back_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hits.parquet");
        let columns = columns_of(&HITS, 5);
        std::fs::write(&path, table_bytes(&HITS, columns.clone()).unwrap()).unwrap();
        assert_eq!(read_table(&path, &HITS).unwrap(), columns);
        // Read through another declaration: only the columns both declare come back.
        let back = read_table(&path, &QUERIES).unwrap();
        let names: Vec<&str> = back.iter().map(|c| c.name).collect();
        assert_eq!(names, ["query_id"]);
        // Lists of texts too.
        let columns = columns_of(&DOCUMENTS, 4);
        std::fs::write(&path, table_bytes(&DOCUMENTS, columns.clone()).unwrap()).unwrap();
        assert_eq!(read_table(&path, &DOCUMENTS).unwrap(), columns);
    }

    /// Rows `range` of `columns`.
    fn rows_of(columns: &[Column], range: std::ops::Range<usize>) -> Vec<Column> {
        columns
            .iter()
            .map(|c| Column {
                name: c.name,
                values: match &c.values {
                    Values::Utf8(v) => Values::Utf8(v[range.clone()].to_vec()),
                    Values::Int64(v) => Values::Int64(v[range.clone()].to_vec()),
                    Values::Float64(v) => Values::Float64(v[range.clone()].to_vec()),
                    Values::Boolean(v) => Values::Boolean(v[range.clone()].to_vec()),
                    Values::Utf8List(v) => Values::Utf8List(v[range.clone()].to_vec()),
                },
            })
            .collect()
    }

    fn written_in_parts(table: &Table, columns: &[Column], parts: &[usize]) -> Vec<u8> {
        written(TableWriter::new(Vec::new(), table), columns, parts)
    }

    fn written(mut w: TableWriter<Vec<u8>>, columns: &[Column], parts: &[usize]) -> Vec<u8> {
        let mut at = 0;
        for &n in parts {
            w.write(rows_of(columns, at..at + n)).unwrap();
            at += n;
        }
        w.finish().unwrap()
    }

    #[test]
    fn a_table_written_in_parts_holds_the_same_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        let mut columns = columns_of(&HITS, 3000);
        // Nulls only in a later part: the first part's schema would call the column required.
        if let Values::Int64(v) = &mut columns[3].values {
            v[2500] = None;
        }
        let whole = table_bytes(&HITS, columns.clone()).unwrap();
        // One part: the same bytes as the whole table.
        assert_eq!(written_in_parts(&HITS, &columns, &[3000]), whole);
        // `bytes` read back: the same rows as `columns`; the file's metadata.
        use parquet::file::reader::FileReader;
        let read_back = |bytes: &[u8], parts: &[usize]| {
            std::fs::write(&path, bytes).unwrap();
            assert_eq!(
                read_table(&path, &HITS).unwrap(),
                columns,
                "parts {parts:?}"
            );
            parquet::file::reader::SerializedFileReader::new(std::fs::File::open(&path).unwrap())
                .unwrap()
                .metadata()
                .clone()
        };
        for parts in [&[1000, 1000, 1000][..], &[1, 2998, 1], &[2999, 0, 1]] {
            let meta = read_back(&written_in_parts(&HITS, &columns, parts), parts);
            let kv = meta.file_metadata().key_value_metadata().unwrap();
            assert!(kv.iter().any(|k| k.key == SCHEMA_VERSION_KEY
                && k.value.as_deref() == Some(&HITS.schema_version.to_string()[..])));
        }
        // Told that parts come, the writer holds none: a row group per part, the same rows.
        for parts in [&[1000, 1000, 1000][..], &[3000], &[1, 2998, 1]] {
            let in_parts = TableWriter::new(Vec::new(), &HITS).in_parts();
            let meta = read_back(&written(in_parts, &columns, parts), parts);
            let groups: Vec<i64> = meta.row_groups().iter().map(|g| g.num_rows()).collect();
            let expected: Vec<i64> = parts.iter().map(|&n| n as i64).collect();
            assert_eq!(groups, expected, "parts {parts:?}");
        }
        // A part handed over in pieces (appended, the last written): the same row groups and
        // rows as the part whole.
        let mut pieces = TableWriter::new(Vec::new(), &HITS).in_parts();
        for (range, ends) in [
            (0..400, false),
            (400..401, false),
            (401..1000, true),
            (1000..1000, false),
            (1000..2999, false),
            (2999..3000, true),
        ] {
            let rows = rows_of(&columns, range);
            if ends {
                pieces.write(rows).unwrap();
            } else {
                pieces.append(rows).unwrap();
            }
        }
        let meta = read_back(&pieces.finish().unwrap(), &[1000, 2000]);
        let groups: Vec<i64> = meta.row_groups().iter().map(|g| g.num_rows()).collect();
        assert_eq!(groups, [1000, 2000]);
        // Lists of texts, and a table given no rows.
        let docs = columns_of(&DOCUMENTS, 7);
        std::fs::write(&path, written_in_parts(&DOCUMENTS, &docs, &[3, 4])).unwrap();
        assert_eq!(read_table(&path, &DOCUMENTS).unwrap(), docs);
        assert_eq!(
            written_in_parts(&HITS, &columns, &[]),
            table_bytes(&HITS, columns_of(&HITS, 0)).unwrap()
        );
        // A part off the declaration is refused.
        let mut w = TableWriter::new(Vec::new(), &HITS);
        assert!(matches!(
            w.write(columns_of(&QUERIES, 2)),
            Err(TableError::Declaration(_))
        ));
    }

    #[test]
    fn columns_off_the_declaration_are_refused() {
        let mut columns = columns_of(&HITS, 2);
        columns.swap(0, 1);
        assert!(matches!(
            table_bytes(&HITS, columns),
            Err(TableError::Declaration(_))
        ));
    }
}
