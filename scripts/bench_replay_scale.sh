#!/usr/bin/env bash
# `ragdiag diagnose` in replay mode on a large generated corpus (issue 15, item 3): wall, user and
# system time and peak memory (GNU time) of the whole run, the HNSW build time and thread count
# the run reports (summary.json's provenance), the measured ANN recall, and the resident memory
# sampled every 2 s so the phase that holds the peak can be seen.
#
#   scripts/bench_replay_scale.sh                  # 1,000,000 chunks, 300 questions, hash:384
#   CHUNKS=100000 scripts/bench_replay_scale.sh    # a smaller corpus
#
# The corpus (scripts/gen_chunk_corpus.py: N one-chunk documents of 30-110 words, seeded) and the
# run's index and report are written under WORK (default a fresh folder in /tmp) and removed at
# the end. At 1,000,000 chunks this needs about 6 GB of disk (564 MB of JSONL, the index and the
# embedding cache) and, as the target of issue 15, at most 6 GB of memory.
#
# Environment: RAGDIAG (the binary; default target/release/ragdiag), CHUNKS, QUESTIONS, MODEL
# (default hash:384), WORK.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${RAGDIAG:-target/release/ragdiag}
CHUNKS=${CHUNKS:-1000000}
QUESTIONS=${QUESTIONS:-300}
MODEL=${MODEL:-hash:384}
WORK=${WORK:-$(mktemp -d "${TMPDIR:-/tmp}/bench-replay.XXXXXX")}
[ -x "$BIN" ] || { echo "no binary at $BIN (cargo build --release -p ragdiag)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time is needed (apt-get install time)" >&2; exit 2; }
mkdir -p "$WORK"
sampler=""
trap '[ -n "$sampler" ] && kill "$sampler" 2>/dev/null; rm -rf "$WORK"' EXIT

python3 scripts/gen_chunk_corpus.py --chunks "$CHUNKS" --questions "$QUESTIONS" --out "$WORK/corpus" > /dev/null
echo "corpus: $CHUNKS chunks ($(( $(stat -c %s "$WORK/corpus/corpus.jsonl") / 1048576 )) MB of JSONL), $QUESTIONS questions, model $MODEL" >&2

export RAGDIAG_HOME="$WORK/home"
start=$(date +%s)
/usr/bin/time -f "%e %U %S %M" -o "$WORK/t" "$BIN" diagnose --quiet --corpus "$WORK/corpus/corpus.jsonl" \
  --queries "$WORK/corpus/queries.jsonl" --model "$MODEL" --as-of 2026-12-01 --out "$WORK/report" > /dev/null 2> "$WORK/stderr" &
pid=$!
# Resident memory of the run every 2 s (the time command's child), to place the peak in a phase.
(
  while kill -0 "$pid" 2>/dev/null; do
    child=$(pgrep -P "$pid" | head -1 || true)
    if [ -n "$child" ] && [ -r "/proc/$child/status" ]; then
      rss=$(awk '/VmRSS/ {print int($2 / 1024)}' "/proc/$child/status" 2>/dev/null || true)
      [ -n "$rss" ] && echo "$(( $(date +%s) - start )) $rss"
    fi
    sleep 2
  done
) > "$WORK/rss" &
sampler=$!
status=0
wait "$pid" || status=$?
wait "$sampler" 2>/dev/null || true
sampler=""
if [ "$status" -ne 0 ]; then
  echo "diagnose failed ($status):" >&2
  tail -20 "$WORK/stderr" >&2
  exit 1
fi
read -r wall user sys rss < "$WORK/t"
python3 - "$WORK/report/summary.json" "$WORK/rss" "$wall" "$user" "$sys" "$rss" <<'EOF'
import json, sys
summary, rss_file, wall, user, sys_s, rss = sys.argv[1:]
p = json.load(open(summary))["provenance"]
print(f"diagnose (replay): wall {float(wall):.1f} s, user {float(user):.1f} s, sys {float(sys_s):.1f} s, "
      f"peak RSS {int(rss) / 1024:.0f} MB")
print(f"HNSW build: {p.get('ann_build_seconds')} s on {p.get('ann_build_threads')} threads; "
      f"measured ANN recall: {p.get('ann_recall')}")
samples = [tuple(map(int, line.split())) for line in open(rss_file) if line.strip()]
if samples:
    # One line per 10% of the run: when the memory was where.
    step = max(1, len(samples) // 10)
    print("RSS samples (s since start, MB): " + ", ".join(f"{t}:{m}" for t, m in samples[::step]))
EOF
grep -i "hnsw\|graph\|recall" "$WORK/stderr" | head -5 >&2 || true
