#!/usr/bin/env bash
# Runs the cargo-fuzz targets in fuzz/ (see FUZZING.md), each for FUZZ_SECONDS (default 30),
# FUZZ_JOBS targets at a time (default 2), seeded from the repository's fixtures
# (scripts/fuzz_seeds.py). Fails when any target finds a crash, a timeout (10 s for one input)
# or an input that needs more than 2 GB; the input is kept in fuzz/artifacts/TARGET/ and
# printed as base64, so a CI log is enough to reproduce it:
#   echo BASE64 | base64 -d > crash && fuzz/target/x86_64-unknown-linux-gnu/release/TARGET crash
#
# Usage: scripts/fuzz.sh [TARGET...]   (default: every target, `cargo fuzz list`)
#
# cargo-fuzz needs nightly's -Z flags: the stable toolchain accepts them with RUSTC_BOOTSTRAP=1.
# No sanitizer (`-s none`): the workspace forbids unsafe code; the targets are built with
# debug assertions and overflow checks, so panics, overflows and failed properties crash.
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZ_SECONDS="${FUZZ_SECONDS:-30}"
FUZZ_JOBS="${FUZZ_JOBS:-2}"
export RUSTC_BOOTSTRAP=1
export CARGO_INCREMENTAL=0

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz: installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked
fi

if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cd fuzz && cargo fuzz list)
fi

python3 scripts/fuzz_seeds.py fuzz/corpus >&2
(cd fuzz && cargo fuzz build --sanitizer none)
bin_dir="fuzz/target/x86_64-unknown-linux-gnu/release"

# The targets write their inputs to a scratch folder under TMPDIR (fuzz/src/lib.rs), one per
# process, which a fuzzer stopped at its time limit cannot remove: it goes with the run.
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
export TMPDIR="$scratch"

logs="fuzz/logs"
mkdir -p "$logs"
stamp="$logs/.started"
touch "$stamp"
run_one() {
    local t="$1"
    mkdir -p "fuzz/artifacts/$t" "fuzz/corpus/$t"
    rm -f "$logs/$t.failed"
    if "$bin_dir/$t" "fuzz/corpus/$t" \
        -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="fuzz/artifacts/$t/" -print_final_stats=1 \
        >"$logs/$t.log" 2>&1; then
        echo "fuzz: $t: ok ($(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$logs/$t.log" | grep -o '[0-9]*$') runs in ${FUZZ_SECONDS} s, corpus $(ls "fuzz/corpus/$t" | wc -l))"
    else
        echo "fuzz: $t: FAILED"
        tail -n 40 "$logs/$t.log"
        touch "$logs/$t.failed"
    fi
}

failed=()
running=0
declare -A pids
for t in "${targets[@]}"; do
    run_one "$t" &
    pids[$t]=$!
    running=$((running + 1))
    if [ "$running" -ge "$FUZZ_JOBS" ]; then
        wait -n || true
        running=$((running - 1))
    fi
done
for t in "${!pids[@]}"; do
    wait "${pids[$t]}" || true
done

for t in "${targets[@]}"; do
    [ -e "$logs/$t.failed" ] && failed+=("$t")
    # This run's failing inputs (older ones stay in the folder, not reported again).
    while IFS= read -r f; do
        echo "fuzz: $t: failing input kept in $f; base64:"
        base64 -w0 "$f"
        echo
    done < <(find "fuzz/artifacts/$t" -type f -newer "$stamp")
done
if [ "${#failed[@]}" -gt 0 ]; then
    echo "fuzz: FAILED: ${failed[*]}" >&2
    exit 1
fi
echo "fuzz: every target ran ${FUZZ_SECONDS} s without a failure" >&2
