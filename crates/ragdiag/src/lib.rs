//! The `ragdiag` command line as a library: `main.rs` calls [`main`]. Modules stay private (the
//! binary's own code); [`fuzzing`] is the one door that fuzz targets and tests use into the
//! binary's parsers of outside input (`ragdiag.toml`).
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod cli;
mod commands;
mod fsutil;
mod memory;
mod printer;
mod settings;

pub mod fuzzing;

use clap::Parser;
use std::process::ExitCode;

/// What a command reports back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExitStatus {
    /// Everything ran and passed.
    Success,
    /// The run completed and a gate failed (used by the gating commands).
    Failure,
    /// Unusable input found while the command still completed its report (lint).
    Error,
}

impl From<ExitStatus> for ExitCode {
    fn from(s: ExitStatus) -> ExitCode {
        match s {
            ExitStatus::Success => ExitCode::from(0),
            ExitStatus::Failure => ExitCode::from(1),
            ExitStatus::Error => ExitCode::from(2),
        }
    }
}

/// Parses the arguments, runs one command and maps the outcome to the process's exit code.
pub fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    ragdiag_load::set_flags(ragdiag_load::LimitFlags {
        record_bytes: cli.global.max_record_bytes,
        record_values: cli.global.max_record_values,
        results_per_query: cli.global.max_results_per_query,
    });
    match commands::run(cli) {
        Ok(status) => status.into(),
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::from(0);
            }
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
