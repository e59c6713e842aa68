//! One module per subcommand; each returns `anyhow::Result<ExitStatus>`.

mod chunking;
mod compare;
mod diagnose;
mod eval;
mod freshness;
mod index;
mod lint;
mod search;

use crate::cli::{Cli, Command};
use crate::ExitStatus;
use std::fmt::Display;
use std::path::Path;

/// Warnings printed on stderr by a command that writes a report; the rest are counted.
const MAX_PRINTED_WARNINGS: usize = 50;

/// Prints a report's warnings on stderr, `warning: ` first, at most [`MAX_PRINTED_WARNINGS`]
/// of them, then how many more `report` lists. `--quiet` does not silence them: it hides
/// progress and notes only.
pub(crate) fn print_warnings<T: Display>(warnings: &[T], report: &Path) {
    for w in warnings.iter().take(MAX_PRINTED_WARNINGS) {
        eprintln!("warning: {w}");
    }
    if warnings.len() > MAX_PRINTED_WARNINGS {
        eprintln!(
            "warning: … and {} more, all listed in {}",
            warnings.len() - MAX_PRINTED_WARNINGS,
            report.display()
        );
    }
}

pub(crate) fn run(cli: Cli) -> anyhow::Result<ExitStatus> {
    match cli.command {
        Command::Eval(args) => eval::run(&args, &cli.global),
        Command::Lint(args) => lint::run(&args, &cli.global),
        Command::Freshness(args) => freshness::run(&args, &cli.global),
        Command::Index(args) => index::run(&args, &cli.global),
        Command::Search(args) => search::run(&args, &cli.global),
        Command::Diagnose(args) => diagnose::run(&args, &cli.global),
        Command::Compare(args) => compare::run(&args, &cli.global),
        Command::Chunking(args) => chunking::run(&args, &cli.global),
    }
}
