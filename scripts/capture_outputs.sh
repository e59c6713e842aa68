#!/usr/bin/env bash
# Runs every report-writing command on the demo (and SciFact, when ../shared is there) and keeps
# what they write in OUT, so that a refactor can prove that nothing changed:
#
#   scripts/capture_outputs.sh target/release/ragdiag /tmp/before   # on the old commit
#   scripts/capture_outputs.sh target/release/ragdiag /tmp/after    # on the new one
#   python3 scripts/same_outputs.py /tmp/before /tmp/after
#
# Replays use the real model (fetched on first use) and the index and embedding caches of
# $RAGDIAG_HOME: the first run embeds the corpora, later runs read the caches.
set -euo pipefail
OUT="$(realpath -m "$2")"
SRC_BIN="$(realpath "$1")"
SHARED="${RAGDIAG_SHARED:-$(dirname "$0")/../../shared}"
cd "$(dirname "$0")/.."
rm -rf "$OUT"
mkdir -p "$OUT/.bin"
# The binary runs from inside OUT, so that command lines in provenance compare equal once
# same_outputs.py replaces each folder's path (and captures running at once do not collide).
BIN="$OUT/.bin/ragdiag"
cp "$SRC_BIN" "$BIN"
run() {
    local name="$1"
    shift
    set +e
    "$BIN" "$@" >"$OUT/$name.stdout" 2>"$OUT/$name.stderr"
    echo $? >"$OUT/$name.status"
    set -e
}
DEMO=(--corpus corpora/tallyfox --queries queries/tallyfox.jsonl --as-of 2026-10-01)
run demo-trace diagnose --quiet "${DEMO[@]}" --trace queries/tallyfox.trace.jsonl \
    --fail-under hit@5=0.99 --out "$OUT/demo-trace"
run demo-replay diagnose --quiet "${DEMO[@]}" --out "$OUT/demo-replay"
run demo-bm25 diagnose --quiet "${DEMO[@]}" --retriever bm25 --chunker tokens:120/20 \
    --out "$OUT/demo-bm25"
run compare compare "$OUT/demo-trace" "$OUT/demo-replay" "$OUT/demo-bm25" --out "$OUT/compare"
run freshness freshness --quiet --corpus corpora/tallyfox --queries queries/tallyfox.jsonl \
    --trace queries/tallyfox.trace.jsonl --as-of 2026-10-01 --out "$OUT/freshness"
run chunking chunking --quiet --corpus corpora/tallyfox --queries queries/tallyfox.jsonl \
    --strategies doc,tokens:120/20,recursive:300/0 --retriever bm25 --out "$OUT/chunking"
run eval eval -q -m official -m ndcg_cut.10 examples/tallyfox/qrels.txt examples/tallyfox/production.trec
run eval-two eval examples/tallyfox/qrels.txt examples/tallyfox/production.trec \
    examples/tallyfox/keyword.trec --out "$OUT/eval-two"
run lint lint --corpus corpora/tallyfox --queries queries/tallyfox.jsonl
if [ -f "$SHARED/datasets/scifact/corpus.jsonl" ]; then
    S="$SHARED/datasets/scifact"
    run scifact diagnose --quiet --corpus "$S/corpus.jsonl" --queries "$S/queries.jsonl" \
        --qrels "$S/qrels/test.tsv" --as-of 2026-10-01 --out "$OUT/scifact"
fi
echo "captured in $OUT: $(ls "$OUT" | wc -l) entries"
