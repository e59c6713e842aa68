//! Doors into the binary's parsers of outside input, for the fuzz targets (`fuzz/`) and tests.
//!
//! Only `ragdiag.toml` and the `--engine` file are parsed in the binary itself; every other
//! input format is read by a library crate, which the fuzz targets call directly.

use crate::cli::{Cli, Command};
use crate::settings::{DiagnoseSettings, FileConfig};
use clap::Parser;
use std::path::Path;

/// What `diagnose --config PATH` (with `--corpus`, `--queries`, `--out`) resolves from a
/// `ragdiag.toml`: the figures whose ranges the settings promise to hold.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedConfig {
    /// Items in the context window (at least 1).
    pub context_k: usize,
    /// Items in the pool (at least `context_k`).
    pub pool_k: usize,
    /// Share of the evidence the window must cover, in (0, 1].
    pub cover: f64,
    /// Answer F1 threshold, in (0, 1].
    pub answer_f1: f64,
    /// Groundedness token share, in (0, 1].
    pub ground_token_share: f64,
    /// The gates (`fail_under`), each finite.
    pub gates: Vec<(String, f64)>,
    /// The chunker spec as given (not yet parsed).
    pub chunker: String,
}

/// Reads `path` as `ragdiag.toml` and resolves it as `ragdiag diagnose --config PATH --corpus
/// kb --queries q.jsonl --out out` does (the three flags make the required settings present, so
/// every other setting comes from the file or its default).
///
/// # Errors
///
/// The file cannot be read or parsed (the message starts with the path), or a value is out of
/// range.
pub fn diagnose_config(path: &Path) -> anyhow::Result<ResolvedConfig> {
    let cli = Cli::try_parse_from([
        "ragdiag".as_ref(),
        "diagnose".as_ref(),
        "--corpus".as_ref(),
        "kb".as_ref(),
        "--queries".as_ref(),
        "q.jsonl".as_ref(),
        "--out".as_ref(),
        "out".as_ref(),
        "--config".as_ref(),
        path.as_os_str(),
    ])?;
    let Command::Diagnose(args) = cli.command else {
        anyhow::bail!("parsed as another command");
    };
    let file = FileConfig::read(path)?;
    let s = DiagnoseSettings::merge(&args, file)?;
    Ok(ResolvedConfig {
        context_k: s.context_k,
        pool_k: s.pool_k,
        cover: s.cover,
        answer_f1: s.answer_f1,
        ground_token_share: s.ground_token_share,
        gates: s.gates,
        chunker: s.chunker,
    })
}

/// Reads `path` as `--engine PATH` does (TOML: an `[engine]` table, or its keys at the top
/// level).
///
/// # Errors
///
/// The file cannot be read or parsed, or a key is unknown or of the wrong type (the message
/// starts with the path).
pub fn engine_config(path: &Path) -> anyhow::Result<ragdiag_engine::config::EngineConfig> {
    crate::settings::read_engine(path)
}

/// Reads a `diagnose` report folder as `compare` and `trend` do: its summary and its
/// questions' rows.
///
/// # Errors
///
/// A file is missing, unreadable or malformed (the message names it), a row is malformed (a
/// missing or repeated question id, a value that is not finite, a negative weight).
pub fn report_dir(
    dir: &Path,
) -> anyhow::Result<(
    ragdiag_contract::DiagnoseSummary,
    ragdiag_diagnose::ReportRows,
)> {
    crate::commands::report_dir::load(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_a_config_file_or_says_where_it_is_wrong() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ragdiag.toml");
        std::fs::write(
            &path,
            "context_k = 3\npool_k = 9\n[fail_under]\n'hit@5' = 0.8\n",
        )
        .unwrap();
        let s = diagnose_config(&path).unwrap();
        assert_eq!((s.context_k, s.pool_k), (3, 9));
        assert_eq!(s.gates, vec![("hit@5".to_owned(), 0.8)]);
        std::fs::write(&path, "context_k = 'x'\n").unwrap();
        let e = format!("{:#}", diagnose_config(&path).unwrap_err());
        assert!(e.starts_with(&path.display().to_string()), "{e}");
        std::fs::write(&path, "pool_k = 1\ncontext_k = 2\n").unwrap();
        assert!(diagnose_config(&path).is_err());
    }
}
