#!/usr/bin/env bash
# `ragdiag freshness` at scale (issue 15, item 2 and the freshness part of item 3; a benchmark,
# not CI). Three seeded corpora, generated into a temporary folder and removed at exit:
#   pages20k   gen_scale_trace.py --corpus-only --pages 20000 (22,006 pages, mean 10 KB, 230 MB)
#   pagesBIG   gen_scale_trace.py --corpus-only --pages $BENCH_BIG_PAGES --mean-page-bytes 6000
#              (default 100,000 pages of 2–10 KB for most, about 650 MB)
#   chunks1m   gen_chunk_corpus.py --chunks $BENCH_CHUNKS (default 1,000,000 short documents, 564 MB)
#   pages1m    gen_scale_trace.py --corpus-only --pages 909091 --mean-page-bytes 6000
#              --min-page-bytes 2000 --max-page-bytes 10000 (1,000,000 documents of 2–10 KB,
#              about 5.6 GB; not in the default sets: it needs 6 GB of disk, and the base binary
#              is not run on it, as it held every text: about 19 GB)
# Each corpus is audited as `ragdiag freshness` chooses (a JSONL corpus over 1 GiB in batches,
# texts read again from the file); with BENCH_BATCHED=1 also in batches whatever its size
# (RAGDIAG_FRESHNESS_IN_MEMORY_BYTES=0, label "batch"), its outputs compared with ours.
# For each: `ragdiag freshness --quiet --as-of 2026-10-01` under GNU time -v, printing pages/s
# (documents over wall seconds, loading included), user+sys CPU seconds and peak RSS; with a second
# binary (BASE) the same runs are made with it right after, and its outputs (report.md,
# documents.parquet, warnings.jsonl) are compared with ours byte for byte.
#
# Usage: flock /tmp/bigrun.lock scripts/bench_freshness_scale.sh [RAGDIAG_BINARY [BASE_BINARY]]
#        (default target/release/ragdiag; BENCH_SETS="pages20k pagesBIG chunks1m" to choose)
# Needs about 1.5 GB of disk at a time (each corpus is deleted once measured) and, at 1,000,000
# chunks, about 3 GB of memory (5.2 GB for the binary of 2026-12-02 before issue 15's compaction).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${1:-$PWD/target/release/ragdiag}"
BASE="${2:-}"
SETS="${BENCH_SETS:-pages20k pagesBIG chunks1m}"
BIG="${BENCH_BIG_PAGES:-100000}"
CHUNKS="${BENCH_CHUNKS:-1000000}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/bench-freshness.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
fail() { echo "bench_freshness_scale: $*" >&2; exit 1; }
[ -x /usr/bin/time ] || fail "/usr/bin/time is needed (apt-get install time)"
[ -x "$BIN" ] || fail "$BIN: no such binary (cargo build --release)"
[ -z "$BASE" ] || [ -x "$BASE" ] || fail "$BASE: no such binary"

generate() {
  case "$1" in
    pages20k) python3 scripts/gen_scale_trace.py --corpus-only --pages 20000 --out "$WORK/$1" ;;
    pagesBIG) python3 scripts/gen_scale_trace.py --corpus-only --pages "$BIG" --mean-page-bytes 6000 --out "$WORK/$1" ;;
    chunks1m) python3 scripts/gen_chunk_corpus.py --chunks "$CHUNKS" --questions 1 --out "$WORK/$1" ;;
    pages1m) python3 scripts/gen_scale_trace.py --corpus-only --pages 909091 --mean-page-bytes 6000 \
      --min-page-bytes 2000 --max-page-bytes 10000 --out "$WORK/$1" ;;
    *) fail "unknown set $1" ;;
  esac
}

# measure NAME LABEL BINARY [IN_MEMORY_BYTES]: one audit, one line of figures.
measure() {
  local set="$1" label="$2" bin="$3" out="$WORK/out-$1-$2"
  local docs
  docs=$(wc -l < "$WORK/$set/corpus.jsonl")
  RAGDIAG_FRESHNESS_IN_MEMORY_BYTES="${4:-1073741824}" /usr/bin/time -v "$bin" freshness --quiet --corpus "$WORK/$set/corpus.jsonl" --as-of 2026-10-01 \
    --out "$out" > /dev/null 2> "$WORK/time-$set-$label" || fail "$label on $set failed: $(tail -3 "$WORK/time-$set-$label")"
  awk -v set="$set" -v label="$label" -v docs="$docs" -F': ' '
    /User time/ {u=$2} /System time/ {s=$2} /Maximum resident/ {r=$2}
    /Elapsed \(wall clock\)/ { n=split($2, p, ":"); w=0; for (i=1;i<=n;i++) w=w*60+p[i] }
    END { printf "%-9s %-5s %9d docs  wall %7.1f s  %7.0f docs/s  user+sys %7.1f s  peak RSS %6.0f MB\n",
          set, label, docs, w, docs/w, u+s, r/1024 }' "$WORK/time-$set-$label"
}

for set in $SETS; do
  generate "$set"
  measure "$set" ours "$BIN"
  if [ "${BENCH_BATCHED:-0}" = 1 ]; then
    measure "$set" batch "$BIN" 0
    for f in report.md documents.parquet warnings.jsonl; do
      cmp -s "$WORK/out-$set-ours/$f" "$WORK/out-$set-batch/$f" || fail "$set: $f differs between the held and the batched audit"
    done
    echo "$set: report.md, documents.parquet and warnings.jsonl identical held and in batches"
  fi
  if [ -n "$BASE" ] && [ "$set" != pages1m ]; then
    measure "$set" base "$BASE"
    for f in report.md documents.parquet warnings.jsonl; do
      cmp -s "$WORK/out-$set-ours/$f" "$WORK/out-$set-base/$f" || fail "$set: $f differs from the base binary's"
    done
    echo "$set: report.md, documents.parquet and warnings.jsonl identical to the base binary's"
  fi
  rm -rf "${WORK:?}/$set" "$WORK"/out-"$set"-*
done
