//! Choosing an embedding model by name (`--model`) and opening it behind the embedding cache.

use crate::{
    cache_home, ensure_model, CachedEmbedder, Embedder, HashEmbedder, MiniLmEmbedder, ModelOptions,
};
use std::path::PathBuf;

/// The embedding model a command uses, from `--model`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelChoice {
    /// The pinned all-MiniLM-L6-v2 (int8), fetched on first use.
    Default,
    /// A folder with the five model files of another sentence-transformers ONNX export.
    Dir(PathBuf),
    /// No embeddings: BM25 only.
    None,
    /// The deterministic hashing embedder of `DIM` dimensions (tests and smoke runs; not
    /// semantic).
    Hash(usize),
}

impl std::str::FromStr for ModelChoice {
    type Err = String;

    /// `minilm` (default), `none`, `hash:DIM`, or a model folder.
    fn from_str(s: &str) -> Result<ModelChoice, String> {
        match s {
            "minilm" | "default" | "all-MiniLM-L6-v2" => Ok(ModelChoice::Default),
            "none" => Ok(ModelChoice::None),
            _ => {
                if let Some(dim) = s.strip_prefix("hash:") {
                    match dim.parse::<usize>() {
                        Ok(d) if (2..=4096).contains(&d) => Ok(ModelChoice::Hash(d)),
                        _ => Err(format!("{s:?}: hash:DIM needs a dimension from 2 to 4096")),
                    }
                } else {
                    Ok(ModelChoice::Dir(PathBuf::from(s)))
                }
            }
        }
    }
}

impl ModelChoice {
    /// The `--model` text that chooses this model again (a folder made absolute), as index
    /// descriptions record it.
    #[must_use]
    pub fn spec(&self) -> String {
        match self {
            ModelChoice::Default => "minilm".to_owned(),
            ModelChoice::None => "none".to_owned(),
            ModelChoice::Hash(d) => format!("hash:{d}"),
            ModelChoice::Dir(p) => std::path::absolute(p)
                .unwrap_or_else(|_| p.clone())
                .display()
                .to_string(),
        }
    }

    /// The options that provision this model: its folder, whether downloads are allowed, and
    /// whether progress is printed.
    #[must_use]
    pub fn options(&self, no_fetch: bool, quiet: bool) -> ModelOptions {
        ModelOptions {
            offline: no_fetch,
            quiet,
            model_dir: match self {
                ModelChoice::Dir(d) => Some(d.clone()),
                _ => None,
            },
            ..ModelOptions::default()
        }
    }
}

/// An embedder behind its Parquet cache in `$RAGDIAG_HOME/embeddings/`.
pub type Cached = CachedEmbedder<Box<dyn Embedder>>;

/// Why a model could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The model or ONNX Runtime is missing and could not be fetched.
    #[error("the embedding model is not available")]
    Unavailable(#[source] crate::Error),
    /// The model files are there but do not load.
    #[error("cannot load the embedding model")]
    Load(#[source] crate::Error),
    /// The cache folder cannot be found.
    #[error("cannot find the cache folder")]
    Home(#[source] crate::Error),
}

/// Opens the chosen model behind the embedding cache (`None` for [`ModelChoice::None`]). The
/// model and ONNX Runtime are fetched on first use unless `no_fetch` (or `RAGDIAG_OFFLINE=1`).
/// The cache's warnings (a damaged cache file, rebuilt) are in [`CachedEmbedder::warnings`].
///
/// # Errors
///
/// [`OpenError`] when the model cannot be had or loaded.
pub fn open_embedder(
    choice: &ModelChoice,
    no_fetch: bool,
    quiet: bool,
) -> Result<Option<Cached>, OpenError> {
    let opts = choice.options(no_fetch, quiet);
    let inner: Box<dyn Embedder> = match choice {
        ModelChoice::None => return Ok(None),
        ModelChoice::Hash(dim) => Box::new(HashEmbedder::new(*dim)),
        ModelChoice::Default | ModelChoice::Dir(_) => {
            let files = ensure_model(&opts).map_err(OpenError::Unavailable)?;
            Box::new(MiniLmEmbedder::new(&files).map_err(OpenError::Load)?)
        }
    };
    let home = cache_home(&opts).map_err(OpenError::Home)?;
    let name: String = inner
        .model_id()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let path = home.join("embeddings").join(format!("{name}.parquet"));
    Ok(Some(CachedEmbedder::new(inner, path)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_choices() {
        let parse = |s: &str| s.parse::<ModelChoice>();
        assert_eq!(parse("none"), Ok(ModelChoice::None));
        assert_eq!(parse("minilm"), Ok(ModelChoice::Default));
        assert_eq!(parse("hash:64"), Ok(ModelChoice::Hash(64)));
        assert!(parse("hash:0").is_err() && parse("hash:x").is_err());
        assert_eq!(
            parse("models/mine"),
            Ok(ModelChoice::Dir(PathBuf::from("models/mine")))
        );
    }
}
