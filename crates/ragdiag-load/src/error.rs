//! The loaders' error type.

use ragdiag_core::Diagnostic;
use std::path::PathBuf;

/// A result with [`LoadError`].
pub type Result<T, E = LoadError> = std::result::Result<T, E>;

/// Why a load stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// A malformed record, located as `path:line: field: reason`.
    #[error("{0}")]
    Invalid(Diagnostic),
    /// The file could not be read. The cause is part of the message and not a `source`, so
    /// an error chain does not print it twice.
    #[error("{}: cannot read: {error}", path.display())]
    Io {
        /// The path that failed.
        path: PathBuf,
        /// The cause.
        error: std::io::Error,
    },
    /// The input as a whole is unusable (empty run, unknown format, …).
    #[error("{}: {reason}", path.display())]
    Unusable {
        /// The offending input.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

impl LoadError {
    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        LoadError::Io {
            path: path.to_path_buf(),
            error: source,
        }
    }

    pub(crate) fn unusable(path: &std::path::Path, reason: impl Into<String>) -> Self {
        LoadError::Unusable {
            path: path.to_path_buf(),
            reason: reason.into(),
        }
    }
}
