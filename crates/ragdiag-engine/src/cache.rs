//! The response cache: one JSON file per (engine identity, request) under
//! `$RAGDIAG_HOME/engine-cache`, so a re-run asks the engine nothing. Only successful answers
//! are kept; files are written atomically and a damaged one is treated as absent.

use crate::{EngineHit, Request};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The cache folder.
#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
}

/// Lower-case hex SHA-256 of `bytes`.
#[must_use]
pub fn digest(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Cache {
    /// The cache in `dir` (created on first write).
    #[must_use]
    pub fn new(dir: impl Into<PathBuf>) -> Cache {
        Cache { dir: dir.into() }
    }

    /// The folder.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The key of `request` asked of the engine with `identity`: its text, embedding and depth
    /// (not the question's id).
    #[must_use]
    pub fn key(identity: &str, request: &Request) -> String {
        let mut h = Sha256::new();
        h.update(identity.as_bytes());
        h.update(b"\0");
        h.update(serde_json::to_vec(request).unwrap_or_default());
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }

    fn path(&self, key: &str) -> PathBuf {
        self.dir.join(&key[..2]).join(format!("{key}.json"))
    }

    /// The hits stored under `key`: `Ok(None)` when none are stored.
    ///
    /// # Errors
    ///
    /// A file that is there but cannot be read or is damaged (truncated, not the hits' JSON):
    /// `PATH: REASON`. The caller asks the engine again, and [`Cache::put`] replaces the file.
    pub fn get(&self, key: &str) -> Result<Option<Vec<EngineHit>>, String> {
        let path = self.path(key);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Stores `hits` under `key` (temporary file, fsync, rename).
    ///
    /// # Errors
    ///
    /// The I/O error.
    pub fn put(&self, key: &str, hits: &[EngineHit]) -> std::io::Result<()> {
        let path = self.path(key);
        let dir = path.parent().unwrap_or(&self.dir);
        std::fs::create_dir_all(dir)?;
        let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
        tmp.write_all(&serde_json::to_vec(hits).map_err(std::io::Error::other)?)?;
        tmp.as_file().sync_all()?;
        tmp.persist(&path).map_err(|e| e.error)?;
        Ok(())
    }
}
