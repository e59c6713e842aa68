//! An index directory: lexical index, vectors, HNSW graph and a manifest written last.

use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::hnsw::{tune_ef, EfTuning};
use crate::{vecfile, Error, FlatIndex, HnswConfig, HnswIndex, LexicalIndex};

/// The manifest's file name inside an index directory.
pub const MANIFEST_FILE: &str = "manifest.json";

/// The version of the directory layout and of [`Manifest`]; [`IndexDir::open`] refuses others.
///
/// 2: the HNSW graph is this crate's own `hnsw.graph` (version 1 held hnsw_rs's dump,
/// `hnsw.hnsw.graph` and `hnsw.hnsw.data`); a version-1 directory must be rebuilt.
/// 3: `hnsw.graph` holds the links only (format version 2), its vectors are `vectors.bin`'s.
pub const SCHEMA_VERSION: u32 = 3;

const LEXICAL_DIR: &str = "lexical";
const VECTORS_FILE: &str = "vectors.bin";

/// `manifest.json`: what an index directory holds, written last and atomically.
///
/// # Warning
///
/// This is an on-disk format. Changing a field's meaning or removing one requires a new
/// [`SCHEMA_VERSION`]; adding an optional field does not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Manifest {
    /// Always [`SCHEMA_VERSION`] for directories this version writes.
    pub schema_version: u32,
    /// The writer, e.g. `ragdiag-index 0.1.0`.
    pub created_by: String,
    /// Number of items in the lexical index.
    pub lexical_docs: u64,
    /// The vectors, if any: count and dimension.
    pub vectors: Option<VectorsInfo>,
    /// The HNSW graph, if any.
    pub hnsw: Option<HnswInfo>,
    /// Every file of the directory except the manifest, with its size and CRC-32.
    pub files: Vec<FileEntry>,
    /// The caller's own description of the index (corpus hash, chunker, model, …), stored as
    /// given.
    pub meta: serde_json::Value,
}

/// Count and dimension of the stored vectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct VectorsInfo {
    /// Number of vectors.
    pub count: u64,
    /// Their dimension.
    pub dim: usize,
}

/// How the HNSW graph was built, and the `ef` to search it with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct HnswInfo {
    /// The build configuration.
    pub config: HnswConfig,
    /// The `ef` to search with: the tuned one when tuning ran, else `config.ef_search`.
    pub ef_search: usize,
    /// The tuning run, when sample queries were given.
    pub tuning: Option<EfTuning>,
    /// Seconds the graph took to build (not counting the tuning), when recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build_seconds: Option<f64>,
    /// Threads of the pool the graph was built on, when recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build_threads: Option<usize>,
}

/// One file of an index directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FileEntry {
    /// Path relative to the index directory, `/`-separated.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// CRC-32 (IEEE) of the content.
    pub crc32: u32,
}

/// Options of [`IndexDir::build_into`].
///
/// ```
/// use ragdiag_index::{BuildOptions, HnswConfig};
/// let options = BuildOptions::default()
///     .threads(2)
///     .hnsw(HnswConfig::default())
///     .meta(serde_json::json!({"chunker": "doc"}));
/// # let _ = options;
/// ```
#[derive(Debug, Clone)]
pub struct BuildOptions {
    threads: usize,
    hnsw: Option<HnswConfig>,
    tune: Option<TuneSample>,
    meta: serde_json::Value,
    extra: Vec<(String, Vec<u8>)>,
}

#[derive(Debug, Clone)]
struct TuneSample {
    queries: Vec<Vec<f32>>,
    k: usize,
    target_recall: f64,
}

impl Default for BuildOptions {
    /// One indexing thread, no HNSW graph, no tuning, `meta` null.
    fn default() -> Self {
        BuildOptions {
            threads: 1,
            hnsw: None,
            tune: None,
            meta: serde_json::Value::Null,
            extra: Vec::new(),
        }
    }
}

impl BuildOptions {
    /// tantivy indexing threads for the lexical index (default 1; 0: one per CPU, at most 8).
    /// See [`LexicalIndex::build`]: more threads pay off only with more than two free cores.
    #[must_use]
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = threads;
        self
    }

    /// Also store a file of the caller's (e.g. the chunk table) at the top of the directory,
    /// checksummed like the rest; read it back with [`IndexDir::read_file`]. `name` must be a
    /// plain file name that the index does not use itself.
    #[must_use]
    pub fn file(mut self, name: impl Into<String>, bytes: Vec<u8>) -> Self {
        self.extra.push((name.into(), bytes));
        self
    }

    /// Also build an HNSW graph over the vectors (by default none: exact search only).
    #[must_use]
    pub fn hnsw(mut self, config: HnswConfig) -> Self {
        self.hnsw = Some(config);
        self
    }

    /// Tune the HNSW `ef` with these sample queries (see [`tune_ef`]); the result goes to
    /// the manifest.
    #[must_use]
    pub fn tune_ef(mut self, queries: Vec<Vec<f32>>, k: usize, target_recall: f64) -> Self {
        self.tune = Some(TuneSample {
            queries,
            k,
            target_recall,
        });
        self
    }

    /// The caller's description of the index, stored in the manifest's `meta` as given.
    #[must_use]
    pub fn meta(mut self, meta: serde_json::Value) -> Self {
        self.meta = meta;
        self
    }
}

/// Options of [`IndexDir::open_with`].
#[derive(Debug, Clone, Copy)]
pub struct OpenOptions {
    verify_checksums: bool,
}

impl Default for OpenOptions {
    /// Checksums verified.
    fn default() -> Self {
        OpenOptions {
            verify_checksums: true,
        }
    }
}

impl OpenOptions {
    /// Whether to read every file and compare its CRC-32 with the manifest (default `true`).
    /// Sizes and the presence of every file are always checked.
    #[must_use]
    pub fn verify_checksums(mut self, yes: bool) -> Self {
        self.verify_checksums = yes;
        self
    }
}

/// An opened index directory.
///
/// # Layout
///
/// ```text
/// DIR/
///   manifest.json        written last (temporary file, fsync, rename); see `Manifest`
///   lexical/             tantivy index (`LexicalIndex`)
///   vectors.bin          the vectors (`FlatIndex`), format in the `vecfile` module docs
///   hnsw.graph           the HNSW graph and its vectors (checksummed; format in the
///                        `graphfile` module docs), when a graph was built over vectors
/// ```
///
/// [`IndexDir::build_into`] builds in a hidden sibling directory and renames it into place only
/// when complete, so an interrupted build leaves either the previous index or nothing at `DIR`
/// (plus, after a crash, a `.DIR.building-*` directory that never opens as an index). The next
/// build of `DIR` removes such leftovers (and `.DIR.old-*` ones) whose builder process is gone.
#[derive(Debug)]
pub struct IndexDir {
    path: PathBuf,
    manifest: Manifest,
    lexical: LexicalIndex,
    vectors: Option<FlatIndex>,
    hnsw: Option<HnswIndex>,
}

impl IndexDir {
    /// Builds an index directory at `final_dir` from `(key, title, text)` items and optional
    /// vectors (one per item: the same set of keys), replacing the index already there, and
    /// opens it.
    ///
    /// `final_dir` must not exist, be empty, or hold an index directory (a `manifest.json`);
    /// anything else is refused rather than deleted.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for a `final_dir` that is not replaceable or bad items/options;
    /// [`Error::Io`], [`Error::Tantivy`] when writing fails. On error nothing at
    /// `final_dir` has changed and the temporary directory is removed.
    pub fn build_into<I, T, X>(
        final_dir: &Path,
        items: I,
        vectors: Option<&FlatIndex>,
        options: &BuildOptions,
    ) -> crate::Result<Self>
    where
        I: IntoIterator<Item = (u32, T, X)>,
        T: AsRef<str>,
        X: AsRef<str>,
    {
        Self::write(final_dir, items, vectors, options)?;
        Self::open_with(final_dir, OpenOptions::default().verify_checksums(false))
    }

    /// [`IndexDir::build_into`] without opening the result: its manifest. Items may be owned
    /// strings made as they are read, so that the caller need not hold every text at once;
    /// the caller can drop its vectors before opening the directory.
    ///
    /// # Errors
    ///
    /// As [`IndexDir::build_into`].
    pub fn write<I, T, X>(
        final_dir: &Path,
        items: I,
        vectors: Option<&FlatIndex>,
        options: &BuildOptions,
    ) -> crate::Result<Manifest>
    where
        I: IntoIterator<Item = (u32, T, X)>,
        T: AsRef<str>,
        X: AsRef<str>,
    {
        check_replaceable(final_dir)?;
        let (parent, name) = split_dir(final_dir)?;
        fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, e))?;
        remove_abandoned(&parent, &name);
        let tmp = parent.join(format!(".{name}.building-{}", unique_suffix()));
        fs::create_dir(&tmp).map_err(|e| Error::io(&tmp, e))?;
        let guard = RemoveOnDrop(Some(tmp.clone()));

        let lexical = LexicalIndex::build(&tmp.join(LEXICAL_DIR), items, options.threads)?;
        let lexical_docs = lexical.len() as u64;
        if let Some(flat) = vectors {
            check_same_keys(&lexical.sorted_keys(), flat.keys())?;
        }
        drop(lexical);

        let mut vectors_info = None;
        let mut hnsw_info = None;
        if let Some(flat) = vectors {
            vecfile::write(&tmp.join(VECTORS_FILE), flat)?;
            vectors_info = Some(VectorsInfo {
                count: flat.len() as u64,
                dim: flat.dim(),
            });
            if let Some(config) = &options.hnsw {
                let started = std::time::Instant::now();
                let hnsw = HnswIndex::build(flat, config)?;
                let build_seconds = started.elapsed().as_secs_f64();
                let tuning = match &options.tune {
                    Some(t) if !flat.is_empty() => {
                        Some(tune_ef(&hnsw, flat, &t.queries, t.k, t.target_recall)?)
                    }
                    _ => None,
                };
                if !flat.is_empty() {
                    hnsw.dump(&tmp)?;
                }
                hnsw_info = Some(HnswInfo {
                    config: *config,
                    ef_search: tuning.as_ref().map_or(config.ef_search, |t| t.ef),
                    tuning,
                    build_seconds: Some(build_seconds),
                    build_threads: Some(rayon::current_num_threads()),
                });
            }
        } else if options.hnsw.is_some() {
            return Err(Error::InvalidInput(
                "an HNSW graph was asked for without vectors".into(),
            ));
        }

        for (name, bytes) in &options.extra {
            let reserved = [MANIFEST_FILE, VECTORS_FILE, LEXICAL_DIR];
            let plain = Path::new(name).components().count() == 1
                && matches!(
                    Path::new(name).components().next(),
                    Some(Component::Normal(_))
                );
            if !plain || reserved.contains(&name.as_str()) || name.starts_with("hnsw") {
                return Err(Error::InvalidInput(format!(
                    "{name:?} cannot be stored in an index directory: it must be a plain file \
                     name the index does not use"
                )));
            }
            let path = tmp.join(name);
            fs::write(&path, bytes).map_err(|e| Error::io(&path, e))?;
        }

        let manifest = Manifest {
            schema_version: SCHEMA_VERSION,
            created_by: concat!("ragdiag-index ", env!("CARGO_PKG_VERSION")).to_string(),
            lexical_docs,
            vectors: vectors_info,
            hnsw: hnsw_info,
            files: list_files(&tmp)?,
            meta: options.meta.clone(),
        };
        write_manifest(&tmp, &manifest)?;
        swap_into_place(&tmp, final_dir, &parent, &name)?;
        guard.disarm();
        Ok(manifest)
    }

    /// Opens and validates an index directory, verifying checksums.
    ///
    /// # Errors
    ///
    /// [`Error::Corrupt`] for a missing or unreadable manifest, an unknown `schema_version`, a
    /// missing, resized or altered file, or a component that does not load; [`Error::Io`] when
    /// the machine fails to read a file that is there.
    pub fn open(dir: &Path) -> crate::Result<Self> {
        Self::open_with(dir, OpenOptions::default())
    }

    /// [`IndexDir::open`] with options.
    ///
    /// # Errors
    ///
    /// As [`IndexDir::open`].
    pub fn open_with(dir: &Path, options: OpenOptions) -> crate::Result<Self> {
        let manifest = read_manifest(dir)?;
        for entry in &manifest.files {
            // vectors.bin is checksummed while it is read, below.
            let verify = options.verify_checksums && entry.path != VECTORS_FILE;
            check_file(dir, entry, verify)?;
        }
        let lexical = LexicalIndex::open(&dir.join(LEXICAL_DIR))?;
        if lexical.len() as u64 != manifest.lexical_docs {
            return Err(Error::corrupt(
                dir.join(LEXICAL_DIR),
                format!(
                    "holds {} documents, the manifest says {}",
                    lexical.len(),
                    manifest.lexical_docs
                ),
            ));
        }
        let vectors = match &manifest.vectors {
            None => None,
            Some(info) => {
                let path = dir.join(VECTORS_FILE);
                let (flat, read) = vecfile::read(&path)?;
                let listed = manifest.files.iter().find(|f| f.path == VECTORS_FILE);
                match listed {
                    None => {
                        return Err(Error::corrupt(
                            dir.join(MANIFEST_FILE),
                            "vectors.bin is not listed among the files",
                        ))
                    }
                    Some(f) if options.verify_checksums && f.crc32 != read.crc32 => {
                        return Err(Error::corrupt(
                            &path,
                            format!(
                                "checksum {:08x}, the manifest says {:08x} (altered)",
                                read.crc32, f.crc32
                            ),
                        ))
                    }
                    Some(_) => {}
                }
                if flat.len() as u64 != info.count || flat.dim() != info.dim {
                    return Err(Error::corrupt(
                        path,
                        format!(
                            "holds {} vectors of dimension {}, the manifest says {} of {}",
                            flat.len(),
                            flat.dim(),
                            info.count,
                            info.dim
                        ),
                    ));
                }
                Some(flat)
            }
        };
        let hnsw = match (&manifest.hnsw, &vectors) {
            (None, _) => None,
            (Some(_), None) => {
                return Err(Error::corrupt(
                    dir.join(MANIFEST_FILE),
                    "an HNSW graph is listed without vectors",
                ))
            }
            (Some(info), Some(flat)) if flat.is_empty() => {
                Some(HnswIndex::build(flat, &info.config)?)
            }
            (Some(info), Some(flat)) => Some(HnswIndex::load(dir, flat, &info.config)?),
        };
        Ok(IndexDir {
            path: dir.to_path_buf(),
            manifest,
            lexical,
            vectors,
            hnsw,
        })
    }

    /// The directory.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The manifest.
    #[must_use]
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The caller's `meta` value from the manifest.
    #[must_use]
    pub fn meta(&self) -> &serde_json::Value {
        &self.manifest.meta
    }

    /// Reads a file stored with [`BuildOptions::file`], checking its size and checksum.
    ///
    /// # Errors
    ///
    /// [`Error::Corrupt`] when the manifest does not list `name` or the file differs from it;
    /// [`Error::Io`] when it cannot be read.
    pub fn read_file(&self, name: &str) -> crate::Result<Vec<u8>> {
        let path = self.path.join(name);
        let Some(entry) = self.manifest.files.iter().find(|f| f.path == name) else {
            return Err(Error::corrupt(
                self.path.join(MANIFEST_FILE),
                format!("{name} is not listed among the files"),
            ));
        };
        let bytes = fs::read(&path).map_err(|e| Error::io(&path, e))?;
        if bytes.len() as u64 != entry.size || crc32fast::hash(&bytes) != entry.crc32 {
            return Err(Error::corrupt(
                &path,
                "size or checksum differs from the manifest (altered)",
            ));
        }
        Ok(bytes)
    }

    /// The BM25 index.
    #[must_use]
    pub fn lexical(&self) -> &LexicalIndex {
        &self.lexical
    }

    /// The vectors, for exact search, if the index has any.
    #[must_use]
    pub fn vectors(&self) -> Option<&FlatIndex> {
        self.vectors.as_ref()
    }

    /// The HNSW graph, if one was built.
    #[must_use]
    pub fn hnsw(&self) -> Option<&HnswIndex> {
        self.hnsw.as_ref()
    }

    /// The `ef` to search the HNSW graph with (tuned at build time when sample queries were
    /// given), if there is a graph.
    #[must_use]
    pub fn hnsw_ef(&self) -> Option<usize> {
        self.manifest.hnsw.as_ref().map(|h| h.ef_search)
    }
}

/// The vectors must be those of the items: the same set of keys.
fn check_same_keys(items: &[u32], vectors: &[u32]) -> crate::Result<()> {
    let mut vectors = vectors.to_vec();
    vectors.sort_unstable();
    if items == vectors.as_slice() {
        return Ok(());
    }
    let (mut i, mut v) = (0, 0);
    while i < items.len() && v < vectors.len() && items[i] == vectors[v] {
        i += 1;
        v += 1;
    }
    let reason = match (items.get(i), vectors.get(v)) {
        (Some(a), Some(b)) if a < b => format!("item {a} has no vector"),
        (Some(_), Some(b)) | (None, Some(b)) => format!("vector {b} has no item"),
        (Some(a), None) => format!("item {a} has no vector"),
        (None, None) => unreachable!("the lists differ"),
    };
    Err(Error::InvalidInput(format!(
        "the vectors' keys differ from the items' keys ({} items, {} vectors): {reason}",
        items.len(),
        vectors.len()
    )))
}

/// Removes a directory when dropped, unless disarmed.
struct RemoveOnDrop(Option<PathBuf>);

impl RemoveOnDrop {
    fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            // Best effort: a leftover temporary directory never opens as an index.
            let _ = fs::remove_dir_all(p);
        }
    }
}

/// Removes `.NAME.building-PID-*` and `.NAME.old-PID-*` directories in `parent` left by an
/// interrupted build whose process `PID` is no longer running. Best effort: what cannot be read
/// or removed stays. A directory whose builder may still be running is never touched: on
/// Linux a builder is running when `/proc/PID` exists; elsewhere (no way to tell) only
/// leftovers older than a day are removed.
fn remove_abandoned(parent: &Path, name: &str) {
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(rest) = file_name.to_str().and_then(|n| {
            n.strip_prefix(&format!(".{name}.building-"))
                .or_else(|| n.strip_prefix(&format!(".{name}.old-")))
        }) else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if entry.file_type().is_ok_and(|t| t.is_dir()) && builder_gone(pid, &entry.path()) {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

/// Whether the process that made `dir` (process id `pid`) has certainly ended.
fn builder_gone(pid: u32, dir: &Path) -> bool {
    if pid == std::process::id() {
        return false;
    }
    if cfg!(target_os = "linux") && Path::new("/proc/self").exists() {
        return !Path::new(&format!("/proc/{pid}")).exists();
    }
    const DAY: std::time::Duration = std::time::Duration::from_secs(24 * 3600);
    fs::metadata(dir)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .is_some_and(|age| age > DAY)
}

fn unique_suffix() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "{}-{nanos}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

fn split_dir(dir: &Path) -> crate::Result<(PathBuf, String)> {
    let name = dir
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| {
            Error::InvalidInput(format!(
                "index directory {} needs a final path component in UTF-8",
                dir.display()
            ))
        })?
        .to_string();
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok((parent, name))
}

/// `dir` may be replaced when it does not exist, is an empty directory, or holds a manifest.
fn check_replaceable(dir: &Path) -> crate::Result<()> {
    match fs::symlink_metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io(dir, e)),
        Ok(m) if m.is_dir() => {
            let empty = fs::read_dir(dir)
                .map_err(|e| Error::io(dir, e))?
                .next()
                .is_none();
            if empty || dir.join(MANIFEST_FILE).is_file() {
                Ok(())
            } else {
                Err(Error::InvalidInput(format!(
                    "refusing to replace {}: it is neither empty nor an index directory",
                    dir.display()
                )))
            }
        }
        Ok(_) => Err(Error::InvalidInput(format!(
            "refusing to replace {}: it is not a directory",
            dir.display()
        ))),
    }
}

/// Moves the finished `tmp` to `final_dir`, moving any previous index aside first and
/// deleting it after.
fn swap_into_place(tmp: &Path, final_dir: &Path, parent: &Path, name: &str) -> crate::Result<()> {
    let old = if final_dir.exists() {
        let old = parent.join(format!(".{name}.old-{}", unique_suffix()));
        fs::rename(final_dir, &old).map_err(|e| Error::io(final_dir, e))?;
        Some(old)
    } else {
        None
    };
    if let Err(e) = fs::rename(tmp, final_dir) {
        if let Some(old) = &old {
            // Put the previous index back; the build's error is the one to report.
            let _ = fs::rename(old, final_dir);
        }
        return Err(Error::io(final_dir, e));
    }
    sync_dir(parent)?;
    if let Some(old) = old {
        fs::remove_dir_all(&old).map_err(|e| Error::io(&old, e))?;
    }
    Ok(())
}

fn sync_dir(dir: &Path) -> crate::Result<()> {
    File::open(dir)
        .and_then(|f| f.sync_all())
        .map_err(|e| Error::io(dir, e))
}

/// tantivy's lock files come and go with readers and writers; they are not index content.
fn is_lock_file(name: &str) -> bool {
    name.starts_with(".tantivy-") && name.ends_with(".lock")
}

/// Every file under `root` (recursively, except lock files), sorted by path, with size and
/// CRC-32; each is synced to disk on the way.
fn list_files(root: &Path) -> crate::Result<Vec<FileEntry>> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let abs = root.join(&rel);
        for entry in fs::read_dir(&abs).map_err(|e| Error::io(&abs, e))? {
            let entry = entry.map_err(|e| Error::io(&abs, e))?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else {
                return Err(Error::InvalidInput(format!(
                    "non-UTF-8 file name in {}",
                    abs.display()
                )));
            };
            let rel_child = rel.join(name);
            let kind = entry.file_type().map_err(|e| Error::io(entry.path(), e))?;
            if kind.is_dir() {
                stack.push(rel_child);
            } else if !is_lock_file(name) && name != MANIFEST_FILE {
                let path = root.join(&rel_child);
                let (size, crc32) = checksum(&path, true)?;
                let parts: Vec<&str> = rel_child
                    .components()
                    .filter_map(|c| c.as_os_str().to_str())
                    .collect();
                out.push(FileEntry {
                    path: parts.join("/"),
                    size,
                    crc32,
                });
            }
        }
        sync_dir(&abs)?;
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// Size and CRC-32 of a file, read in blocks; `sync` also flushes it to disk first.
fn checksum(path: &Path, sync: bool) -> crate::Result<(u64, u32)> {
    let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
    if sync {
        file.sync_all().map_err(|e| Error::io(path, e))?;
    }
    let mut crc = crc32fast::Hasher::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf).map_err(|e| Error::io(path, e))?;
        if n == 0 {
            break;
        }
        crc.update(&buf[..n]);
        size += n as u64;
    }
    Ok((size, crc.finalize()))
}

fn write_manifest(dir: &Path, manifest: &Manifest) -> crate::Result<()> {
    let tmp = dir.join(format!("{MANIFEST_FILE}.tmp"));
    let mut bytes = serde_json::to_vec_pretty(manifest)
        .map_err(|e| Error::InvalidInput(format!("manifest cannot be serialised: {e}")))?;
    bytes.push(b'\n');
    let mut f = File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
    f.write_all(&bytes).map_err(|e| Error::io(&tmp, e))?;
    f.sync_all().map_err(|e| Error::io(&tmp, e))?;
    drop(f);
    let path = dir.join(MANIFEST_FILE);
    fs::rename(&tmp, &path).map_err(|e| Error::io(&path, e))?;
    sync_dir(dir)
}

fn read_manifest(dir: &Path) -> crate::Result<Manifest> {
    let path = dir.join(MANIFEST_FILE);
    let bytes = match fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::corrupt(
                &path,
                "missing manifest (not an index directory, or an interrupted build)",
            ))
        }
        Err(e) => return Err(Error::io(&path, e)),
    };
    let value: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| Error::corrupt(&path, format!("not valid JSON: {e}")))?;
    match value
        .get("schema_version")
        .and_then(serde_json::Value::as_u64)
    {
        Some(v) if v == u64::from(SCHEMA_VERSION) => {}
        Some(v) if v < u64::from(SCHEMA_VERSION) => {
            return Err(Error::corrupt(
                &path,
                format!(
                    "unsupported schema_version {v}: written by an older ragdiag-index (this \
                     version reads {SCHEMA_VERSION}); rebuild the index"
                ),
            ))
        }
        Some(v) => {
            return Err(Error::corrupt(
                &path,
                format!(
                    "unsupported schema_version {v}: written by a newer ragdiag-index (this \
                     version reads {SCHEMA_VERSION})"
                ),
            ))
        }
        None => {
            return Err(Error::corrupt(
                &path,
                "no numeric schema_version: not a ragdiag index manifest",
            ))
        }
    }
    let manifest: Manifest = serde_json::from_value(value)
        .map_err(|e| Error::corrupt(&path, format!("malformed manifest: {e}")))?;
    for entry in &manifest.files {
        let rel = Path::new(&entry.path);
        let safe =
            !entry.path.is_empty() && rel.components().all(|c| matches!(c, Component::Normal(_)));
        if !safe {
            return Err(Error::corrupt(
                &path,
                format!("file path `{}` is not a plain relative path", entry.path),
            ));
        }
    }
    Ok(manifest)
}

fn check_file(dir: &Path, entry: &FileEntry, verify: bool) -> crate::Result<()> {
    let path = dir.join(&entry.path);
    let meta = match fs::metadata(&path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::corrupt(&path, "missing file listed in the manifest"))
        }
        Err(e) => return Err(Error::io(&path, e)),
    };
    if !meta.is_file() {
        return Err(Error::corrupt(&path, "not a regular file"));
    }
    if meta.len() != entry.size {
        return Err(Error::corrupt(
            &path,
            format!(
                "size {} bytes, the manifest says {} (truncated or altered)",
                meta.len(),
                entry.size
            ),
        ));
    }
    if verify {
        let (_, crc) = checksum(&path, false)?;
        if crc != entry.crc32 {
            return Err(Error::corrupt(
                &path,
                format!(
                    "checksum {crc:08x}, the manifest says {:08x} (altered)",
                    entry.crc32
                ),
            ));
        }
    }
    Ok(())
}
