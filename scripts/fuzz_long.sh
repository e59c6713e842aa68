#!/usr/bin/env bash
# The long fuzz runs recorded in FUZZING.md: each target runs until its process has used
# FUZZ_CPU_SECONDS of CPU time (default 600: ten CPU-minutes, measured from /proc, so a run on a
# busy machine is not cut short by wall time), FUZZ_JOBS targets at a time (default 1), from the
# corpus fuzz/corpus/TARGET that scripts/fuzz.sh seeds and earlier runs grew. Prints one line a
# target: CPU seconds, wall seconds, inputs executed, corpus size and the outcome; a crash, a
# timeout or an out-of-memory input is kept in fuzz/artifacts/TARGET/ and fails the script.
# Not run in CI (it takes FUZZ_CPU_SECONDS × targets / FUZZ_JOBS); build first with
# scripts/fuzz.sh or `(cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz build --sanitizer none)`.
#
# Usage: scripts/fuzz_long.sh [TARGET...]   (default: every target)
set -euo pipefail
cd "$(dirname "$0")/.."

CPU="${FUZZ_CPU_SECONDS:-600}"
JOBS="${FUZZ_JOBS:-1}"
bin_dir="fuzz/target/x86_64-unknown-linux-gnu/release"
logs="fuzz/logs/long"
mkdir -p "$logs"
if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz list)
fi
tick=$(getconf CLK_TCK)

cpu_seconds() { # utime + stime of a process, in seconds
    awk -v t="$tick" '{ sub(/^.*\) /, ""); print int(($12 + $13) / t) }' "/proc/$1/stat" 2>/dev/null || echo 0
}

run_one() {
    local t="$1" start used pid rc
    [ -x "$bin_dir/$t" ] || { echo "fuzz-long: $t: not built ($bin_dir/$t)"; return 1; }
    mkdir -p "fuzz/artifacts/$t" "fuzz/corpus/$t"
    start=$(date +%s)
    "$bin_dir/$t" "fuzz/corpus/$t" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="fuzz/artifacts/$t/" -print_final_stats=1 \
        >"$logs/$t.log" 2>&1 &
    pid=$!
    used=0
    while kill -0 "$pid" 2>/dev/null; do
        used=$(cpu_seconds "$pid")
        if [ "$used" -ge "$CPU" ]; then
            kill -INT "$pid" 2>/dev/null || true
            break
        fi
        sleep 5
    done
    rc=0
    wait "$pid" || rc=$?
    local execs corpus
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$logs/$t.log" | grep -o '[0-9]*$' | tail -1)
    corpus=$(ls "fuzz/corpus/$t" | wc -l)
    local found
    found=$(ls "fuzz/artifacts/$t" | grep -E '^(crash|timeout|oom|leak)-' || true)
    if [ -n "$found" ] || { [ "$rc" -ne 0 ] && [ "$rc" -ne 72 ] && [ "$rc" -ne 130 ]; }; then
        echo "fuzz-long: $t: FAILED after ${used} CPU s (exit $rc): ${found:-see $logs/$t.log}"
        tail -n 30 "$logs/$t.log"
        return 1
    fi
    echo "fuzz-long: $t: ok, ${used} CPU s in $(( $(date +%s) - start )) s wall, ${execs:-?} inputs, corpus $corpus"
}

for t in "${targets[@]}"; do rm -f "$logs/$t.result"; done
running=0
for t in "${targets[@]}"; do
    { run_one "$t" || true; } | tee "$logs/$t.result" &
    running=$((running + 1))
    if [ "$running" -ge "$JOBS" ]; then
        wait -n || true
        running=$((running - 1))
    fi
done
wait
failed=0
for t in "${targets[@]}"; do
    if grep -q FAILED "$logs/$t.result"; then failed=1; fi
done
if [ "$failed" -ne 0 ]; then
    exit 1
fi
