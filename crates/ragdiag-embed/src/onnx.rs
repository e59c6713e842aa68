//! [`MiniLmEmbedder`]: all-MiniLM-L6-v2 through fastembed and ONNX Runtime.

use crate::error::BoxError;
use crate::model::{ensure_model, ModelFiles};
use crate::settings::ModelOptions;
use crate::vector::normalize;
use crate::{EmbedError, Embedder, Error, Result};
use fastembed::{
    InitOptionsUserDefined, Pooling, TextEmbedding, TokenizerFiles, UserDefinedEmbeddingModel,
};
use ort::environment::Environment;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

/// Tokens per text: all-MiniLM-L6-v2's training length. Longer texts are truncated.
pub const MAX_LENGTH: usize = 256;
/// Texts per ONNX Runtime call (the fastest batch size on a CPU in the prototype).
const BATCH_SIZE: usize = 32;
/// Bytes of a text tokenized to find its length for batching: [`MAX_LENGTH`] tokens of any
/// ordinary text end well inside them, so a long document is not tokenized twice in full.
const LENGTH_PROBE_BYTES: usize = 8 * 1024;
/// Texts tokenized per call when measuring lengths (bounds the memory of the encodings).
const LENGTH_SLICE: usize = 1024;
/// Texts per fastembed call: fastembed keeps every batch's token-level output until the call
/// returns, so long inputs go in slices to bound memory.
const CALL_SLICE: usize = 256;

/// The process's one ONNX Runtime environment and the library it was loaded from: ort allows
/// one environment per process and loads one library.
static RUNTIME: Mutex<Option<(PathBuf, Environment)>> = Mutex::new(None);

/// A sentence embedder running an ONNX export of all-MiniLM-L6-v2 (or another BERT-style
/// model with mean pooling) on ONNX Runtime, through fastembed.
///
/// Texts are tokenized with the model's `tokenizer.json`, truncated to [`MAX_LENGTH`] tokens,
/// mean-pooled over the attention mask and L2-normalised, as sentence-transformers does.
/// [`embed_documents`](Embedder::embed_documents) sorts the texts by their length in tokens so
/// each batch of 32 holds texts of nearly the same length (almost no padding), and returns the
/// vectors in input order.
///
/// The model id is `{model_name}@onnxruntime-{version}`, e.g.
/// `all-MiniLM-L6-v2-int8@onnxruntime-1.32.0` (the version is read from the library's file name,
/// links resolved; `unknown` when the name carries none).
///
/// ONNX Runtime is loaded from [`ModelFiles::runtime_lib`] with `dlopen`; a missing or wrong
/// library is an [`Error::Runtime`]. One process loads one library: later embedders must use
/// the same one.
pub struct MiniLmEmbedder {
    model: Mutex<TextEmbedding>,
    model_id: String,
    dim: usize,
    files: ModelFiles,
}

impl std::fmt::Debug for MiniLmEmbedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MiniLmEmbedder")
            .field("model_id", &self.model_id)
            .field("dim", &self.dim)
            .field("files", &self.files)
            .finish_non_exhaustive()
    }
}

impl MiniLmEmbedder {
    /// Loads the model in `files`, and ONNX Runtime if this process has not loaded it yet.
    ///
    /// # Errors
    ///
    /// [`Error::Runtime`] when the library cannot be loaded (or another one already was),
    /// [`Error::Io`] when a file cannot be read, [`Error::ModelLoad`] when the model or
    /// tokenizer is invalid.
    pub fn new(files: &ModelFiles) -> Result<Self> {
        let env = environment(&files.runtime_lib)?;
        let read = |p: &Path| std::fs::read(p).map_err(|e| Error::io("reading", p, e));
        let tokenizer_files = TokenizerFiles {
            tokenizer_file: read(&files.tokenizer)?,
            config_file: read(&files.config)?,
            special_tokens_map_file: read(&files.special_tokens_map)?,
            tokenizer_config_file: read(&files.tokenizer_config)?,
        };
        let model = UserDefinedEmbeddingModel::new(read(&files.onnx)?, tokenizer_files)
            .with_pooling(Pooling::Mean);
        let options = InitOptionsUserDefined::new()
            .with_environment(env)
            .with_max_length(MAX_LENGTH);
        let load_error = |source: BoxError| Error::ModelLoad {
            path: files.onnx.clone(),
            source,
        };
        let mut model = TextEmbedding::try_new_from_user_defined(model, options)
            .map_err(|e| load_error(Box::new(e)))?;
        // One empty text: proves the model runs and gives its dimension.
        let probe = model
            .embed([""], None)
            .map_err(|e| load_error(Box::new(e)))?;
        let dim = probe.first().map_or(0, Vec::len);
        if dim == 0 {
            return Err(load_error("the model returned no embedding".into()));
        }
        let model_id = format!(
            "{}@onnxruntime-{}",
            files.model_name,
            runtime_version(&files.runtime_lib)
        );
        Ok(Self {
            model: Mutex::new(model),
            model_id,
            dim,
            files: files.clone(),
        })
    }

    /// [`ensure_model`] (installing the pinned model on first use), then [`MiniLmEmbedder::new`].
    ///
    /// # Errors
    ///
    /// As [`ensure_model`] and [`MiniLmEmbedder::new`].
    pub fn from_cache(opts: &ModelOptions) -> Result<Self> {
        Self::new(&ensure_model(opts)?)
    }

    /// The files the embedder was loaded from (for provenance: the ONNX file's sha256).
    #[must_use]
    pub fn files(&self) -> &ModelFiles {
        &self.files
    }

    /// Each text's length in model tokens (special tokens included, at most [`MAX_LENGTH`]),
    /// counted on its first [`LENGTH_PROBE_BYTES`] bytes; used only to order the texts.
    fn token_lengths(&self, model: &TextEmbedding, texts: &[&str]) -> Result<Vec<usize>> {
        let mut lengths = Vec::with_capacity(texts.len());
        for slice in texts.chunks(LENGTH_SLICE) {
            let probes: Vec<&str> = slice
                .iter()
                .map(|t| &t[..t.floor_char_boundary(LENGTH_PROBE_BYTES)])
                .collect();
            // The tokenizer pads a batch to its longest text: the attention mask counts the
            // real tokens.
            let encodings =
                model
                    .tokenizer
                    .encode_batch(probes, true)
                    .map_err(|e| Error::Embed {
                        model_id: self.model_id.clone(),
                        count: slice.len(),
                        source: e,
                    })?;
            lengths.extend(encodings.iter().map(|e| {
                e.get_attention_mask()
                    .iter()
                    .map(|&m| usize::from(m != 0))
                    .sum::<usize>()
            }));
        }
        Ok(lengths)
    }

    fn embed_slice(&self, model: &mut TextEmbedding, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        let vectors = model
            .embed(texts, Some(BATCH_SIZE))
            .map_err(|e| Error::Embed {
                model_id: self.model_id.clone(),
                count: texts.len(),
                source: Box::new(e),
            })?;
        if vectors.len() != texts.len() || vectors.iter().any(|v| v.len() != self.dim) {
            return Err(Error::Contract {
                model_id: self.model_id.clone(),
                reason: format!(
                    "fastembed returned {} vectors for {} texts (expected {} dimensions each)",
                    vectors.len(),
                    texts.len(),
                    self.dim
                ),
            });
        }
        Ok(vectors)
    }
}

impl Embedder for MiniLmEmbedder {
    fn model_id(&self) -> &str {
        &self.model_id
    }

    fn dim(&self) -> usize {
        self.dim
    }

    fn embed_documents(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let mut model = self.model.lock().unwrap_or_else(PoisonError::into_inner);
        // Batches are cut from texts sorted by token count, so a batch pads little: on SciFact,
        // 0.2% of the tokens run are padding, against 4% when sorted by characters. Longest
        // first, so the biggest batch (the memory peak) comes first; ties keep input order, so
        // the batches are the same on every run.
        let lengths = self.token_lengths(&model, texts)?;
        let mut order: Vec<(usize, usize)> = lengths.into_iter().enumerate().collect();
        order.sort_by_key(|&(_, len)| std::cmp::Reverse(len));
        let mut out = vec![Vec::new(); texts.len()];
        let mut slice: Vec<&str> = Vec::with_capacity(CALL_SLICE);
        for chunk in order.chunks(CALL_SLICE) {
            slice.clear();
            slice.extend(chunk.iter().map(|&(i, _)| texts[i]));
            for (&(i, _), mut v) in chunk.iter().zip(self.embed_slice(&mut model, &slice)?) {
                normalize(&mut v);
                out[i] = v;
            }
        }
        Ok(out)
    }

    fn embed_query(&self, text: &str) -> Result<Vec<f32>, EmbedError> {
        let mut model = self.model.lock().unwrap_or_else(PoisonError::into_inner);
        let mut v = self
            .embed_slice(&mut model, &[text])?
            .pop()
            .expect("one vector for one text");
        normalize(&mut v);
        Ok(v)
    }

    fn embed_queries(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        // A symmetric model: queries are embedded as passages are.
        self.embed_documents(texts)
    }
}

/// The process's ONNX Runtime environment, loading the library at `lib` on first use.
fn environment(lib: &Path) -> Result<Environment> {
    let runtime_error = |source: BoxError| Error::Runtime {
        path: lib.to_owned(),
        source,
    };
    let mut slot = RUNTIME.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((loaded, env)) = slot.as_ref() {
        return if loaded == lib {
            Ok(env.clone())
        } else {
            Err(runtime_error(
                format!(
                    "this process already loaded ONNX Runtime from {}, and can load only one",
                    loaded.display()
                )
                .into(),
            ))
        };
    }
    if !lib.is_absolute() {
        // ort resolves a relative path against the executable's folder first; refuse it.
        return Err(runtime_error("the path must be absolute".into()));
    }
    let env = ort::init_from(lib)
        .map_err(|e| runtime_error(Box::new(e)))?
        .with_name("ragdiag")
        .build()
        .map_err(|e| runtime_error(Box::new(e)))?;
    *slot = Some((lib.to_owned(), env.clone()));
    Ok(env)
}

/// The loaded ONNX Runtime's version: from the library's file name after resolving links
/// (`libonnxruntime.so.1.32.0`), else from its build string (`git-branch=rel-1.32.0`), else
/// `unknown`.
fn runtime_version(lib: &Path) -> String {
    let canonical = std::fs::canonicalize(lib).unwrap_or_else(|_| lib.to_owned());
    version_from_file_name(&canonical)
        .or_else(|| version_from_file_name(lib))
        .or_else(|| {
            ort::info()
                .split([',', ' '])
                .find_map(|part| part.strip_prefix("git-branch=rel-"))
                .filter(|v| looks_like_version(v))
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

fn version_from_file_name(lib: &Path) -> Option<String> {
    let name = lib.file_name()?.to_str()?;
    let v = name
        .strip_prefix("libonnxruntime.so.")
        .or_else(|| name.strip_prefix("libonnxruntime.")?.strip_suffix(".dylib"))?;
    looks_like_version(v).then(|| v.to_owned())
}

fn looks_like_version(v: &str) -> bool {
    !v.is_empty()
        && v.split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_recognised() {
        assert!(looks_like_version("1.32.0"));
        assert!(!looks_like_version("1.32.0-dev"));
        let v = |p: &str| version_from_file_name(Path::new(p));
        assert_eq!(v("/x/libonnxruntime.so.1.32.0").as_deref(), Some("1.32.0"));
        assert_eq!(
            v("/x/libonnxruntime.1.24.1.dylib").as_deref(),
            Some("1.24.1")
        );
        assert_eq!(v("/x/libonnxruntime.so"), None);
        assert!(!looks_like_version(""));
    }

    #[test]
    fn a_bad_runtime_path_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let lib = dir.path().join("libonnxruntime.so.1.32.0");
        std::fs::write(&lib, b"not a library").unwrap();
        let err = environment(&lib).unwrap_err();
        assert!(matches!(err, Error::Runtime { .. }), "{err}");
        assert!(
            err.to_string().starts_with("cannot load ONNX Runtime from"),
            "{err}"
        );
        let err = environment(Path::new("relative/libonnxruntime.so")).unwrap_err();
        assert!(matches!(err, Error::Runtime { .. }), "{err}");
    }
}
