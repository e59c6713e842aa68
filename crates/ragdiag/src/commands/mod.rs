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
