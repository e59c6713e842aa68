//! [`EmbeddingCache`], a Parquet file of embeddings keyed by model and text, and
//! [`CachedEmbedder`], which puts one in front of any [`Embedder`].

use crate::{EmbedError, Embedder, Error, Result};
use arrow::array::{
    Array, ArrayRef, FixedSizeBinaryArray, FixedSizeListArray, Float32Array, StringArray,
};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::RecordBatch;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fmt;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// The version of the cache file's schema, stored in its metadata under
/// `ragdiag.schema_version`. A file of another version is ignored and rebuilt.
pub const CACHE_SCHEMA_VERSION: &str = "1";
const SCHEMA_KEY: &str = "ragdiag.schema_version";
/// Rows per Parquet record batch when writing.
const WRITE_BATCH: usize = 8192;
/// Texts per call to the wrapped embedder.
const MISS_BATCH: usize = 4096;
/// New vectors held in memory before they are written through to the spill file.
const SPILL_BATCH: usize = 1024;
/// A [`CachedEmbedder`] that has embedded new texts saves the file at most this often while it
/// works, so an interrupted long run keeps most of its work.
const AUTOSAVE: Duration = Duration::from_secs(300);

/// sha256 of a text's UTF-8 bytes: the cache key, with the model id.
type TextKey = [u8; 32];

fn text_key(text: &str) -> TextKey {
    Sha256::digest(text.as_bytes()).into()
}

/// A problem with an existing cache file. The file is ignored (and replaced at the next
/// flush); embedding goes on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheWarning {
    /// The cache file.
    pub path: PathBuf,
    /// What is wrong with it.
    pub message: String,
}

impl fmt::Display for CacheWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}; rebuilding the embedding cache",
            self.path.display(),
            self.message
        )
    }
}

/// Embeddings of one dimension, keyed by (model id, sha256 of the text), kept in a Parquet file.
///
/// # Format
///
/// One row an embedding, in insertion order:
///
/// | column | type | meaning |
/// |---|---|---|
/// | `model_id` | Utf8 | the embedder's model id ([`Embedder::model_id`]), with `#query` appended for [`Embedder::embed_query`] vectors |
/// | `text_sha256` | FixedSizeBinary(32) | sha256 of the text's UTF-8 bytes |
/// | `vector` | FixedSizeList(Float32, dim) | the embedding |
///
/// No column is nullable. The schema metadata holds `ragdiag.schema_version` =
/// [`CACHE_SCHEMA_VERSION`].
///
/// # Warning
///
/// The format is a compatibility promise: change it only with a new schema version. A file of
/// another version, another dimension, or one that cannot be read is reported as a
/// [`CacheWarning`], ignored, and replaced at the next flush.
///
/// # Memory
///
/// The vectors read from the file are held in memory; vectors added since are written through
/// (in batches of 1,024) to an unnamed temporary file in the cache's folder and read back from
/// it when asked for or when the cache file is written, so a run that embeds a large corpus
/// holds only the keys of what it added (44 bytes a row) next to the vectors it uses. The price
/// is disk: that file holds `4 × dim` bytes a vector added until the cache is dropped, beside
/// the cache file itself; a failure to write it is [`Error::CacheWrite`].
#[derive(Debug)]
pub struct EmbeddingCache {
    path: PathBuf,
    dim: usize,
    models: Vec<String>,
    rows: HashMap<(u32, TextKey), u32>,
    /// The key of each row, in row order.
    keys: Vec<(u32, TextKey)>,
    /// The vectors of the rows read from the file (the first `data.len() / dim` rows).
    data: Vec<f32>,
    /// The vectors of the rows added since: the first ones in the spill file, the last ones
    /// still in its buffer.
    spill: Spill,
    dirty: bool,
}

/// The vectors added to a cache, written through to an unnamed temporary file.
#[derive(Debug, Default)]
struct Spill {
    /// Created at the first vector added; deleted by the system when closed.
    file: Option<File>,
    /// Rows written to the file.
    written: usize,
    /// Rows not yet written, after those.
    pending: Vec<f32>,
}

impl EmbeddingCache {
    /// Reads the cache at `path` for vectors of `dim` dimensions. A missing file is an empty
    /// cache; an unusable one is an empty cache and a warning.
    ///
    /// # Panics
    ///
    /// When `dim` is 0.
    pub fn open(path: impl Into<PathBuf>, dim: usize) -> (Self, Option<CacheWarning>) {
        assert!(dim > 0, "an embedding cache needs at least one dimension");
        let path = path.into();
        let mut cache = Self::empty(path.clone(), dim);
        match cache.read() {
            Ok(()) => (cache, None),
            Err(message) => {
                // The file on disk is unusable: start afresh, and replace it at the next flush
                // even if nothing is added.
                let cache = Self {
                    dirty: true,
                    ..Self::empty(path.clone(), dim)
                };
                (cache, Some(CacheWarning { path, message }))
            }
        }
    }

    fn empty(path: PathBuf, dim: usize) -> Self {
        Self {
            path,
            dim,
            models: Vec::new(),
            rows: HashMap::new(),
            keys: Vec::new(),
            data: Vec::new(),
            spill: Spill::default(),
            dirty: false,
        }
    }

    /// The cache file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The dimension of its vectors.
    #[must_use]
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// How many embeddings it holds.
    #[must_use]
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether it holds no embedding.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The embedding of `text` by `model_id`, if cached.
    ///
    /// # Errors
    ///
    /// [`Error::CacheWrite`] when a vector added earlier cannot be read back from the spill
    /// file.
    pub fn get(&self, model_id: &str, text: &str) -> Result<Option<Vec<f32>>> {
        let Some(model) = self.models.iter().position(|m| m == model_id) else {
            return Ok(None);
        };
        let model = u32::try_from(model).expect("fewer than 2^32 models");
        self.get_key(model, &text_key(text))
    }

    /// Caches the embedding of `text` by `model_id` (replacing an older one).
    ///
    /// # Errors
    ///
    /// [`Error::CacheWrite`] when the vector cannot be written through to the spill file.
    ///
    /// # Panics
    ///
    /// When `vector` does not have [`dim`](Self::dim) values.
    pub fn insert(&mut self, model_id: &str, text: &str, vector: &[f32]) -> Result<()> {
        let model = self.model_index(model_id);
        self.insert_key(model, text_key(text), vector)
    }

    /// Writes the cache file if anything changed since it was read or last written: to a
    /// temporary file in the same folder (created if missing), synced, then renamed over the
    /// old one, so the file on disk is always a complete cache.
    ///
    /// # Errors
    ///
    /// [`Error::CacheWrite`] when the file cannot be written; the old file is then untouched.
    pub fn flush(&mut self) -> Result<()> {
        if !self.dirty {
            return Ok(());
        }
        self.write().map_err(|source| Error::CacheWrite {
            path: self.path.clone(),
            source,
        })?;
        self.dirty = false;
        Ok(())
    }

    fn model_index(&mut self, model_id: &str) -> u32 {
        let i = match self.models.iter().position(|m| m == model_id) {
            Some(i) => i,
            None => {
                self.models.push(model_id.to_owned());
                self.models.len() - 1
            }
        };
        u32::try_from(i).expect("fewer than 2^32 models")
    }

    fn get_key(&self, model: u32, key: &TextKey) -> Result<Option<Vec<f32>>> {
        let Some(&row) = self.rows.get(&(model, *key)) else {
            return Ok(None);
        };
        let mut out = Vec::with_capacity(self.dim);
        self.read_rows(row as usize, 1, &mut out)
            .map_err(|e| self.spill_error(e))?;
        Ok(Some(out))
    }

    fn spill_error(&self, e: std::io::Error) -> Error {
        Error::CacheWrite {
            path: self.path.clone(),
            source: format!("the spill file of vectors added this run: {e}").into(),
        }
    }

    /// Rows held in memory since they were read from the file.
    fn read_rows_in_memory(&self) -> usize {
        self.data.len() / self.dim
    }

    /// Appends the vectors of rows `first..first + n` to `out`.
    fn read_rows(&self, first: usize, n: usize, out: &mut Vec<f32>) -> std::io::Result<()> {
        let dim = self.dim;
        let in_memory = self.read_rows_in_memory();
        let end = first + n;
        if first < in_memory {
            out.extend_from_slice(&self.data[first * dim..end.min(in_memory) * dim]);
        }
        // Rows added this run: spill row `r` is cache row `in_memory + r`.
        let (from, to) = (
            first.max(in_memory) - in_memory,
            end.max(in_memory) - in_memory,
        );
        let written = self.spill.written;
        if from < written.min(to) {
            let file = self.spill.file.as_ref().expect("written rows have a file");
            let mut bytes = vec![0u8; (written.min(to) - from) * dim * 4];
            std::os::unix::fs::FileExt::read_exact_at(file, &mut bytes, (from * dim * 4) as u64)?;
            out.extend(
                bytes
                    .chunks_exact(4)
                    .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
            );
        }
        if to > written {
            let a = from.max(written) - written;
            out.extend_from_slice(&self.spill.pending[a * dim..(to - written) * dim]);
        }
        Ok(())
    }

    /// Adds a row read from the cache file: held in memory.
    fn push_read_row(&mut self, model: u32, key: TextKey, vector: &[f32]) {
        debug_assert!(self.spill.file.is_none() && self.spill.pending.is_empty());
        let row = u32::try_from(self.keys.len()).expect("fewer than 2^32 cached embeddings");
        self.rows.insert((model, key), row);
        self.keys.push((model, key));
        self.data.extend_from_slice(vector);
    }

    fn insert_key(&mut self, model: u32, key: TextKey, vector: &[f32]) -> Result<()> {
        assert_eq!(
            vector.len(),
            self.dim,
            "vector dimension differs from the cache's"
        );
        self.dirty = true;
        let dim = self.dim;
        let in_memory = self.read_rows_in_memory();
        if let Some(&row) = self.rows.get(&(model, key)) {
            let row = row as usize;
            if row < in_memory {
                self.data[row * dim..(row + 1) * dim].copy_from_slice(vector);
            } else if row - in_memory >= self.spill.written {
                let r = row - in_memory - self.spill.written;
                self.spill.pending[r * dim..(r + 1) * dim].copy_from_slice(vector);
            } else {
                let file = self.spill.file.as_ref().expect("written rows have a file");
                let bytes: Vec<u8> = vector.iter().flat_map(|v| v.to_le_bytes()).collect();
                std::os::unix::fs::FileExt::write_all_at(
                    file,
                    &bytes,
                    ((row - in_memory) * dim * 4) as u64,
                )
                .map_err(|e| self.spill_error(e))?;
            }
            return Ok(());
        }
        let row = u32::try_from(self.keys.len()).expect("fewer than 2^32 cached embeddings");
        self.rows.insert((model, key), row);
        self.keys.push((model, key));
        self.spill.pending.extend_from_slice(vector);
        if self.spill.pending.len() >= SPILL_BATCH * dim {
            self.write_pending().map_err(|e| self.spill_error(e))?;
        }
        Ok(())
    }

    /// Writes the buffered new vectors to the spill file (made now if it is the first time).
    fn write_pending(&mut self) -> std::io::Result<()> {
        if self.spill.file.is_none() {
            let dir = self.dir();
            std::fs::create_dir_all(dir)?;
            self.spill.file = Some(tempfile::tempfile_in(dir)?);
        }
        let file = self.spill.file.as_ref().expect("made above");
        let bytes: Vec<u8> = self
            .spill
            .pending
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let at = (self.spill.written * self.dim * 4) as u64;
        std::os::unix::fs::FileExt::write_all_at(file, &bytes, at)?;
        self.spill.written += self.spill.pending.len() / self.dim;
        self.spill.pending.clear();
        Ok(())
    }

    /// The folder of the cache file.
    fn dir(&self) -> &Path {
        self.path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
    }

    fn schema(&self) -> Result<Arc<Schema>, String> {
        let dim =
            i32::try_from(self.dim).map_err(|_| format!("dimension {} is too large", self.dim))?;
        Ok(Arc::new(
            Schema::new(vec![
                Field::new("model_id", DataType::Utf8, false),
                Field::new("text_sha256", DataType::FixedSizeBinary(32), false),
                Field::new(
                    "vector",
                    DataType::FixedSizeList(
                        Arc::new(Field::new("item", DataType::Float32, false)),
                        dim,
                    ),
                    false,
                ),
            ])
            .with_metadata(HashMap::from([(
                SCHEMA_KEY.to_owned(),
                CACHE_SCHEMA_VERSION.to_owned(),
            )])),
        ))
    }

    /// Loads the file; `Err` says why it is unusable (the cache is then left partly filled,
    /// and the caller resets it).
    fn read(&mut self) -> Result<(), String> {
        let file = match File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(format!("cannot open: {e}")),
        };
        let builder = ParquetRecordBatchReaderBuilder::try_new(file)
            .map_err(|e| format!("not a Parquet file: {e}"))?;
        let schema = builder.schema().clone();
        let version = schema.metadata().get(SCHEMA_KEY);
        if version.map(String::as_str) != Some(CACHE_SCHEMA_VERSION) {
            return Err(format!(
                "schema version {} is not {CACHE_SCHEMA_VERSION}",
                version.map_or("(none)", String::as_str)
            ));
        }
        let expected = self.schema()?;
        if schema.fields() != expected.fields() {
            let found: Vec<String> = schema
                .fields()
                .iter()
                .map(|f| format!("{}: {}", f.name(), f.data_type()))
                .collect();
            return Err(format!(
                "columns are [{}], expected {}-dimension vectors",
                found.join(", "),
                self.dim
            ));
        }
        let reader = builder.build().map_err(|e| format!("cannot read: {e}"))?;
        // The decoder may panic on a damaged page (ragdiag_core::catch_decoder_panic): the
        // cache is then unusable like any other damaged one.
        ragdiag_core::catch_decoder_panic(|| {
            for batch in reader {
                let batch = batch.map_err(|e| format!("cannot read: {e}"))?;
                self.read_batch(&batch)?;
            }
            Ok::<(), String>(())
        })
        .map_err(|m| format!("cannot read: the decoder failed ({m})"))??;
        self.dirty = false;
        Ok(())
    }

    fn read_batch(&mut self, batch: &RecordBatch) -> Result<(), String> {
        let column = |i: usize| batch.column(i).as_ref();
        let models = column(0).as_any().downcast_ref::<StringArray>();
        let keys = column(1).as_any().downcast_ref::<FixedSizeBinaryArray>();
        let vectors = column(2).as_any().downcast_ref::<FixedSizeListArray>();
        let (Some(models), Some(keys), Some(vectors)) = (models, keys, vectors) else {
            return Err("unexpected column types".into());
        };
        let values = vectors.values().as_any().downcast_ref::<Float32Array>();
        let Some(values) = values else {
            return Err("vectors are not Float32".into());
        };
        if [column(0), column(1), column(2)]
            .iter()
            .any(|c| c.null_count() > 0)
            || values.null_count() > 0
        {
            return Err("null values".into());
        }
        let values = values.values();
        let offset = vectors.offset() * self.dim;
        for row in 0..batch.num_rows() {
            let key: TextKey = keys
                .value(row)
                .try_into()
                .map_err(|_| "a text_sha256 is not 32 bytes")?;
            let start = offset + row * self.dim;
            let vector = values
                .get(start..start + self.dim)
                .ok_or("truncated vectors")?;
            let model = self.model_index(models.value(row));
            if !self.rows.contains_key(&(model, key)) {
                self.push_read_row(model, key, vector);
            }
        }
        Ok(())
    }

    fn write(&self) -> Result<(), crate::error::BoxError> {
        let dir = self.dir();
        std::fs::create_dir_all(dir)?;
        let schema = self.schema()?;
        let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
        let mut writer = ArrowWriter::try_new(tmp.as_file_mut(), schema.clone(), None)?;
        let item = Arc::new(Field::new("item", DataType::Float32, false));
        let dim = i32::try_from(self.dim)?;
        for (b, keys) in self.keys.chunks(WRITE_BATCH).enumerate() {
            let first = b * WRITE_BATCH;
            let models: StringArray = keys
                .iter()
                .map(|(m, _)| Some(self.models[*m as usize].as_str()))
                .collect();
            let hashes = FixedSizeBinaryArray::try_from_iter(keys.iter().map(|(_, k)| k))?;
            let mut values = Vec::with_capacity(keys.len() * self.dim);
            self.read_rows(first, keys.len(), &mut values)?;
            let values = Float32Array::from(values);
            let vectors = FixedSizeListArray::try_new(item.clone(), dim, Arc::new(values), None)?;
            let columns: Vec<ArrayRef> =
                vec![Arc::new(models), Arc::new(hashes), Arc::new(vectors)];
            writer.write(&RecordBatch::try_new(schema.clone(), columns)?)?;
        }
        writer.close()?;
        tmp.as_file().sync_all()?;
        // On failure the temporary file is deleted (with the `PersistError` holding it).
        tmp.persist(&self.path).map_err(|e| e.error)?;
        Ok(())
    }
}

/// An [`Embedder`] that remembers: texts already in its [`EmbeddingCache`] file are not embedded
/// again, so a warm re-run on an unchanged corpus embeds nothing.
///
/// Misses go to the wrapped embedder in calls of up to 4,096 texts (identical texts once). The
/// file is written by [`flush`](Self::flush), when dropped (errors then go unreported: call
/// `flush` to see them), and every five minutes while new texts are being embedded.
///
/// ```
/// use ragdiag_embed::{CachedEmbedder, Embedder, HashEmbedder};
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("embeddings.parquet");
/// let cached = CachedEmbedder::new(HashEmbedder::new(32), &path);
/// cached.embed_documents(&["a", "b"])?;
/// cached.flush()?;
/// drop(cached);
/// let warm = CachedEmbedder::new(HashEmbedder::new(32), &path);
/// warm.embed_documents(&["b", "a"])?;
/// assert_eq!(warm.embedded_texts(), 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct CachedEmbedder<E: Embedder> {
    inner: E,
    query_model_id: String,
    cache: Mutex<CacheState>,
    warnings: Vec<CacheWarning>,
    inner_calls: AtomicUsize,
    embedded_texts: AtomicUsize,
}

struct CacheState {
    cache: EmbeddingCache,
    last_save: Instant,
}

impl<E: Embedder> fmt::Debug for CachedEmbedder<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CachedEmbedder")
            .field("model_id", &self.inner.model_id())
            .field("inner_calls", &self.inner_calls())
            .field("embedded_texts", &self.embedded_texts())
            .finish_non_exhaustive()
    }
}

impl<E: Embedder> CachedEmbedder<E> {
    /// Wraps `inner` with the cache file at `path` (read now; see [`warnings`](Self::warnings)).
    pub fn new(inner: E, path: impl Into<PathBuf>) -> Self {
        let (cache, warning) = EmbeddingCache::open(path, inner.dim());
        Self {
            query_model_id: format!("{}#query", inner.model_id()),
            inner,
            cache: Mutex::new(CacheState {
                cache,
                last_save: Instant::now(),
            }),
            warnings: warning.into_iter().collect(),
            inner_calls: AtomicUsize::new(0),
            embedded_texts: AtomicUsize::new(0),
        }
    }

    /// Problems found in the cache file when it was opened (it was then ignored).
    #[must_use]
    pub fn warnings(&self) -> &[CacheWarning] {
        &self.warnings
    }

    /// The wrapped embedder.
    #[must_use]
    pub fn inner(&self) -> &E {
        &self.inner
    }

    /// How many times the wrapped embedder was called.
    #[must_use]
    pub fn inner_calls(&self) -> usize {
        self.inner_calls.load(Ordering::Relaxed)
    }

    /// How many texts the wrapped embedder was given.
    #[must_use]
    pub fn embedded_texts(&self) -> usize {
        self.embedded_texts.load(Ordering::Relaxed)
    }

    /// How many embeddings the cache holds.
    #[must_use]
    pub fn cached(&self) -> usize {
        self.state().cache.len()
    }

    /// Writes the cache file if it changed (see [`EmbeddingCache::flush`]).
    ///
    /// # Errors
    ///
    /// [`Error::CacheWrite`] when the file cannot be written.
    pub fn flush(&self) -> Result<()> {
        let mut state = self.state();
        state.cache.flush()?;
        state.last_save = Instant::now();
        Ok(())
    }

    /// Looks every text up under `model_id`, embeds the distinct misses with `embed` in
    /// batches (saving the file at most every [`AUTOSAVE`]), and returns one vector a text.
    fn embed_cached(
        &self,
        texts: &[&str],
        model_id: &str,
        embed: impl Fn(&[&str]) -> Result<Vec<Vec<f32>>>,
    ) -> Result<Vec<Vec<f32>>> {
        let keys: Vec<TextKey> = texts.iter().map(|t| text_key(t)).collect();
        let model = self.state().cache.model_index(model_id);
        let mut out: Vec<Option<Vec<f32>>> = vec![None; texts.len()];
        // The first occurrence of each distinct text not in the cache.
        let mut misses: Vec<usize> = Vec::new();
        // Each missed text's first position, which its repeats copy.
        let mut first_miss: HashMap<TextKey, usize> = HashMap::new();
        {
            let state = self.state();
            for (i, key) in keys.iter().enumerate() {
                match state.cache.get_key(model, key)? {
                    Some(v) => out[i] = Some(v),
                    None => {
                        if let std::collections::hash_map::Entry::Vacant(e) = first_miss.entry(*key)
                        {
                            e.insert(i);
                            misses.push(i);
                        }
                    }
                }
            }
        }
        for batch in misses.chunks(MISS_BATCH) {
            let batch_texts: Vec<&str> = batch.iter().map(|&i| texts[i]).collect();
            let vectors = embed(&batch_texts)?;
            self.count_call(batch.len());
            self.check(&vectors, batch.len())?;
            let mut state = self.state();
            for (&i, v) in batch.iter().zip(vectors) {
                state.cache.insert_key(model, keys[i], &v)?;
                out[i] = Some(v);
            }
            if state.last_save.elapsed() >= AUTOSAVE {
                state.cache.flush()?;
                state.last_save = Instant::now();
            }
        }
        // Repeats of a missed text take its first position's vector.
        for i in 0..out.len() {
            if out[i].is_none() {
                let first = first_miss[&keys[i]];
                out[i] = out[first].clone();
            }
        }
        Ok(out.into_iter().map(|v| v.expect("filled above")).collect())
    }

    fn state(&self) -> std::sync::MutexGuard<'_, CacheState> {
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn count_call(&self, texts: usize) {
        self.inner_calls.fetch_add(1, Ordering::Relaxed);
        self.embedded_texts.fetch_add(texts, Ordering::Relaxed);
    }

    fn check(&self, got: &[Vec<f32>], expected: usize) -> Result<()> {
        if got.len() != expected || got.iter().any(|v| v.len() != self.inner.dim()) {
            return Err(Error::Contract {
                model_id: self.inner.model_id().to_owned(),
                reason: format!(
                    "returned {} vectors for {expected} texts (expected {} dimensions each)",
                    got.len(),
                    self.inner.dim()
                ),
            });
        }
        Ok(())
    }
}

impl<E: Embedder> Embedder for CachedEmbedder<E> {
    fn model_id(&self) -> &str {
        self.inner.model_id()
    }

    fn dim(&self) -> usize {
        self.inner.dim()
    }

    fn embed_documents(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        self.embed_cached(texts, self.inner.model_id(), |batch| {
            self.inner.embed_documents(batch).map_err(Error::from)
        })
        .map_err(EmbedError::from)
    }

    fn embed_query(&self, text: &str) -> Result<Vec<f32>, EmbedError> {
        let key = text_key(text);
        let model = {
            let mut state = self.state();
            let model = state.cache.model_index(&self.query_model_id);
            if let Some(v) = state.cache.get_key(model, &key)? {
                return Ok(v);
            }
            model
        };
        let v = self.inner.embed_query(text)?;
        self.count_call(1);
        self.check(std::slice::from_ref(&v), 1)?;
        self.state().cache.insert_key(model, key, &v)?;
        Ok(v)
    }

    fn embed_queries(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        self.embed_cached(texts, &self.query_model_id, |batch| {
            self.inner.embed_queries(batch).map_err(Error::from)
        })
        .map_err(EmbedError::from)
    }
}

impl<E: Embedder> Drop for CachedEmbedder<E> {
    fn drop(&mut self) {
        // Errors cannot be reported from here; callers who care call `flush` first.
        let _ = self.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::HashEmbedder;

    const DOCS: [&str; 5] = [
        "Refunds are paid within 14 days.",
        "The API returns JSON with pagination cursors.",
        "",
        "Refunds are paid within 14 days.",
        "日本語のテキスト",
    ];

    #[test]
    fn a_warm_run_embeds_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/cache.parquet");
        let plain = HashEmbedder::new(48).embed_documents(&DOCS).unwrap();
        {
            let cold = CachedEmbedder::new(HashEmbedder::new(48), &path);
            assert!(cold.warnings().is_empty());
            assert_eq!(cold.embed_documents(&DOCS).unwrap(), plain);
            assert_eq!(cold.inner_calls(), 1);
            // The duplicate text is embedded once.
            assert_eq!(cold.embedded_texts(), 4);
            assert_eq!(cold.embed_query("when are refunds paid").unwrap().len(), 48);
            assert_eq!(cold.inner_calls(), 2);
            let batch = cold
                .embed_queries(&["when are refunds paid", "new query", "new query"])
                .unwrap();
            assert_eq!(batch[0], cold.embed_query("when are refunds paid").unwrap());
            assert_eq!(batch[1], batch[2]);
            // Only the one new distinct query reached the model.
            assert_eq!(cold.inner_calls(), 3);
            assert_eq!(cold.embedded_texts(), 6);
            // Dropped here: the cache is written.
        }
        let warm = CachedEmbedder::new(HashEmbedder::new(48), &path);
        assert!(warm.warnings().is_empty(), "{:?}", warm.warnings());
        // Four distinct passages and two distinct queries.
        assert_eq!(warm.cached(), 6);
        let mut reversed = DOCS;
        reversed.reverse();
        let mut expected = plain.clone();
        expected.reverse();
        assert_eq!(warm.embed_documents(&reversed).unwrap(), expected);
        warm.embed_query("when are refunds paid").unwrap();
        warm.embed_queries(&["new query"]).unwrap();
        assert_eq!(warm.inner_calls(), 0);
        assert_eq!(warm.embedded_texts(), 0);
        // A new text is the only one embedded.
        warm.embed_documents(&["new text", DOCS[0]]).unwrap();
        assert_eq!((warm.inner_calls(), warm.embedded_texts()), (1, 1));
    }

    #[test]
    fn rows_added_are_written_through_and_read_back_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.parquet");
        let v = |i: usize| [i as f32, -(i as f32), 0.5, i as f32 * 1e-3];
        // Rows read from a file (held in memory), then enough added ones that some are in the
        // spill file and some still in its buffer.
        let (mut cache, _) = EmbeddingCache::open(&path, 4);
        for i in 0..10 {
            cache.insert("m", &i.to_string(), &v(i)).unwrap();
        }
        cache.flush().unwrap();
        let (mut cache, warning) = EmbeddingCache::open(&path, 4);
        assert!(warning.is_none());
        let n = 10 + 2 * SPILL_BATCH + 300;
        for i in 10..n {
            cache.insert("m", &i.to_string(), &v(i)).unwrap();
        }
        assert!(cache.spill.written >= 2 * SPILL_BATCH && !cache.spill.pending.is_empty());
        assert_eq!(
            cache.data.len(),
            10 * 4,
            "added rows are not held in memory"
        );
        // Replacing a row read from the file, one in the spill file and one in the buffer.
        for i in [3, 500, n - 1] {
            cache
                .insert("m", &i.to_string(), &[9.0, 9.0, 9.0, 9.0])
                .unwrap();
        }
        let expected = |i: usize| {
            if [3, 500, n - 1].contains(&i) {
                vec![9.0; 4]
            } else {
                v(i).to_vec()
            }
        };
        for i in 0..n {
            assert_eq!(cache.get("m", &i.to_string()).unwrap(), Some(expected(i)));
        }
        assert_eq!(cache.len(), n);
        cache.flush().unwrap();
        let (cache, warning) = EmbeddingCache::open(&path, 4);
        assert!(warning.is_none());
        assert_eq!(cache.len(), n);
        for i in 0..n {
            assert_eq!(cache.get("m", &i.to_string()).unwrap(), Some(expected(i)));
        }
    }

    #[test]
    fn keys_include_the_model() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.parquet");
        let (mut cache, warning) = EmbeddingCache::open(&path, 2);
        assert!(warning.is_none() && cache.is_empty());
        cache.insert("a", "text", &[1.0, 0.0]).unwrap();
        cache.insert("b", "text", &[0.0, 1.0]).unwrap();
        cache.flush().unwrap();
        let (cache, warning) = EmbeddingCache::open(&path, 2);
        assert!(warning.is_none());
        assert_eq!(cache.len(), 2);
        assert_eq!(cache.get("a", "text").unwrap(), Some(vec![1.0, 0.0]));
        assert_eq!(cache.get("b", "text").unwrap(), Some(vec![0.0, 1.0]));
        assert_eq!(cache.get("c", "text").unwrap(), None);
        assert_eq!(cache.get("a", "other").unwrap(), None);
    }

    #[test]
    fn the_file_has_the_documented_schema() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.parquet");
        let (mut cache, _) = EmbeddingCache::open(&path, 3);
        cache.insert("m", "x", &[1.0, 2.0, 3.0]).unwrap();
        cache.flush().unwrap();
        let builder = ParquetRecordBatchReaderBuilder::try_new(File::open(&path).unwrap()).unwrap();
        let schema = builder.schema();
        let described: Vec<String> = schema
            .fields()
            .iter()
            .map(|f| format!("{}: {}", f.name(), f.data_type()))
            .collect();
        assert_eq!(
            described,
            [
                "model_id: Utf8",
                "text_sha256: FixedSizeBinary(32)",
                "vector: FixedSizeList(3 x non-null Float32)",
            ]
        );
        assert_eq!(
            schema.metadata().get(SCHEMA_KEY).map(String::as_str),
            Some("1")
        );
    }

    #[test]
    fn a_corrupt_file_is_a_warning_and_is_rebuilt() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.parquet");
        std::fs::write(&path, b"PAR1 this is not parquet").unwrap();
        let cached = CachedEmbedder::new(HashEmbedder::new(8), &path);
        assert_eq!(cached.warnings().len(), 1);
        let w = cached.warnings()[0].to_string();
        assert!(
            w.contains("not a Parquet file") && w.ends_with("rebuilding the embedding cache"),
            "{w}"
        );
        cached.embed_documents(&["a", "b"]).unwrap();
        assert_eq!(cached.embedded_texts(), 2);
        cached.flush().unwrap();
        drop(cached);
        let warm = CachedEmbedder::new(HashEmbedder::new(8), &path);
        assert!(warm.warnings().is_empty());
        warm.embed_documents(&["a", "b"]).unwrap();
        assert_eq!(warm.embedded_texts(), 0);
    }

    #[test]
    fn a_truncated_file_is_a_warning() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.parquet");
        let (mut cache, _) = EmbeddingCache::open(&path, 4);
        for i in 0..100 {
            cache
                .insert("m", &i.to_string(), &[1.0, 2.0, 3.0, 4.0])
                .unwrap();
        }
        cache.flush().unwrap();
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
        let (cache, warning) = EmbeddingCache::open(&path, 4);
        assert!(warning.is_some());
        assert!(cache.is_empty());
    }

    #[test]
    fn another_dimension_is_a_warning() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.parquet");
        CachedEmbedder::new(HashEmbedder::new(8), &path)
            .embed_documents(&["a"])
            .unwrap();
        let other = CachedEmbedder::new(HashEmbedder::new(16), &path);
        assert_eq!(other.warnings().len(), 1);
        assert!(
            other.warnings()[0]
                .message
                .contains("expected 16-dimension vectors"),
            "{}",
            other.warnings()[0]
        );
        other.embed_documents(&["a"]).unwrap();
        assert_eq!(other.embedded_texts(), 1);
    }

    #[test]
    fn writes_are_atomic() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.parquet");
        let (mut cache, _) = EmbeddingCache::open(&path, 2);
        cache.insert("m", "a", &[1.0, 0.0]).unwrap();
        cache.flush().unwrap();
        let before = std::fs::read(&path).unwrap();
        // Nothing changed: nothing is written.
        cache.flush().unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), before);
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary file left"
        );

        // A failed write (the target is now a folder) leaves no temporary file and no partial
        // cache behind.
        let blocked = dir.path().join("blocked.parquet");
        std::fs::create_dir(&blocked).unwrap();
        std::fs::write(blocked.join("keep"), b"").unwrap();
        let (mut cache, _) = EmbeddingCache::open(&blocked, 2);
        cache.insert("m", "a", &[1.0, 0.0]).unwrap();
        let err = cache.flush().unwrap_err();
        assert!(matches!(err, Error::CacheWrite { .. }), "{err}");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
    }

    #[test]
    fn a_broken_inner_embedder_is_an_error() {
        struct Short;
        impl Embedder for Short {
            fn model_id(&self) -> &str {
                "short"
            }
            fn dim(&self) -> usize {
                4
            }
            fn embed_documents(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
                Ok(texts.iter().map(|_| vec![1.0]).collect())
            }
            fn embed_query(&self, _: &str) -> Result<Vec<f32>, EmbedError> {
                Ok(vec![1.0])
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let cached = CachedEmbedder::new(Short, dir.path().join("c.parquet"));
        let err = cached.embed_documents(&["a"]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "short: returned 1 vectors for 1 texts (expected 4 dimensions each)"
        );
        assert!(cached.embed_query("a").is_err());
    }

    #[test]
    fn queries_reach_the_inner_embedder_in_one_batch_and_its_errors_unchanged() {
        use std::sync::Mutex;
        /// Records the size of each `embed_queries` batch; a query of "fail" fails.
        #[derive(Default)]
        struct Batches(Mutex<Vec<usize>>);
        impl Embedder for Batches {
            fn model_id(&self) -> &str {
                "batches"
            }
            fn dim(&self) -> usize {
                1
            }
            fn embed_documents(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
                Ok(vec![vec![1.0]; texts.len()])
            }
            fn embed_query(&self, _: &str) -> Result<Vec<f32>, EmbedError> {
                self.0.lock().unwrap().push(1);
                Ok(vec![1.0])
            }
            fn embed_queries(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
                if texts.contains(&"fail") {
                    return Err(EmbedError::new("the batch failed"));
                }
                self.0.lock().unwrap().push(texts.len());
                Ok(vec![vec![1.0]; texts.len()])
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let inner = Arc::new(Batches::default());
        let cached = CachedEmbedder::new(Arc::clone(&inner), dir.path().join("c.parquet"));
        // Through `&dyn`, the `Arc` and the cache: one batch of the three distinct texts.
        let e: &dyn Embedder = &cached;
        assert_eq!(e.embed_queries(&["a", "b", "a", "c"]).unwrap().len(), 4);
        assert_eq!(*inner.0.lock().unwrap(), vec![3]);
        // Another crate's error comes out as it went in, not as this crate's.
        let err = e.embed_queries(&["fail"]).unwrap_err();
        assert_eq!(err.to_string(), "the batch failed");
        assert!(err.downcast_ref::<Error>().is_none());
    }
}
