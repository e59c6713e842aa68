//! The `ragdiag` binary: parses arguments, runs one command, maps the outcome to an exit code
//! (0 ok, 1 a gate failed, 2 usage error, unusable input or internal failure). The work is in
//! the library half of this crate (`lib.rs`).

fn main() -> std::process::ExitCode {
    ragdiag::main()
}
