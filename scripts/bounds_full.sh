#!/usr/bin/env bash
# The resource-bound tests at the issue's full sizes that take too long for every test run
# (crates/ragdiag/tests/cli/bounds.rs, #[ignore]d): prints each one's figures.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --locked -p ragdiag --test cli bounds:: -- --ignored --nocapture 2>&1 |
    grep -E "peak RSS|test result|panicked|FAILED"
