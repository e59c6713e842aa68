//! The crate's one error type.

use std::io;
use std::path::PathBuf;

/// Everything that can go wrong while building, opening or searching an index.
///
/// [`Error::InvalidInput`] and [`Error::DimensionMismatch`] are the caller's mistakes (a user
/// error upstream: wrong model, duplicate ids); [`Error::Corrupt`] means files on disk are not
/// what this crate wrote; the rest are internal or environmental failures.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input cannot be indexed (duplicate key, non-finite or non-normalised vector, …).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// A vector's (or query's) dimension differs from the index's.
    #[error("dimension mismatch: the index holds {expected}-d vectors, got {found}")]
    DimensionMismatch {
        /// The index's dimension.
        expected: usize,
        /// The offending vector's length.
        found: usize,
    },
    /// An index file or directory is missing, truncated, altered or not an index at all.
    #[error("corrupt index at {}: {reason}", path.display())]
    Corrupt {
        /// The file or directory at fault.
        path: PathBuf,
        /// What is wrong with it, in words.
        reason: String,
    },
    /// Reading or writing a file failed.
    #[error("I/O error on {}", path.display())]
    Io {
        /// The file or directory being read or written.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// tantivy failed for a reason other than a corrupt index.
    #[error("lexical index (tantivy) failed")]
    Tantivy(#[from] tantivy::TantivyError),
    /// The HNSW graph could not be built or written (kept for compatibility; this version
    /// reports such failures as [`Error::InvalidInput`] or [`Error::Io`]).
    #[error("HNSW index failed: {0}")]
    Hnsw(String),
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn corrupt(path: impl Into<PathBuf>, reason: impl Into<String>) -> Self {
        Error::Corrupt {
            path: path.into(),
            reason: reason.into(),
        }
    }
}
