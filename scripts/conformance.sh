#!/usr/bin/env bash
# Conformance checks that need ../shared/datasets and ../shared/oracles (and PyPI for the
# oracle packages).
# Fails, never skips, when the data is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED="${RAGDIAG_SHARED:-../shared}"
SCIFACT="$SHARED/datasets/scifact"
for f in corpus.jsonl queries.jsonl qrels/test.tsv; do
    if [ ! -f "$SCIFACT/$f" ]; then
        echo "conformance: missing $SCIFACT/$f (the shared datasets must sit beside the repository)" >&2
        exit 1
    fi
done

if [ ! -f "$SHARED/oracles/trec_eval-10.0/Makefile" ]; then
    echo "conformance: missing $SHARED/oracles/trec_eval-10.0 (the shared oracles must sit beside the repository)" >&2
    exit 1
fi

echo "== build (release)"
cargo build --release --locked -p ragdiag
BIN="$PWD/target/release/ragdiag"

echo "== ragdiag eval against trec_eval 10.0 (built from $SHARED/oracles; its test suite, and -q on generated runs)"
# Fails, never skips, when $SHARED/oracles/trec_eval-10.0 is missing.
python3 scripts/check_trec_eval10.py --bin "$BIN" --shared "$SHARED"

echo "== python oracle (pytrec-eval-terrier = trec_eval 9.x's C code, ir-measures)"
VENV=.cache/venv-conformance
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    "pytrec-eval-terrier==0.5.11" "ir-measures==0.4.3"

echo "== demo knowledge base: independent checker"
python3 scripts/check_demo.py

echo "== freshness on a real versioned knowledge base (../shared/kb/jest-2023) and hygiene on SciFact"
python3 scripts/check_kb.py --bin "$BIN" --kb "$SHARED/kb" --scifact "$SCIFACT"

echo "== ragdiag eval parity with trec_eval 9.x where 9.x and 10.0 agree (synthetic cases and SciFact)"
"$VENV/bin/python" scripts/parity_trec_eval.py --bin "$BIN" --scifact "$SCIFACT"

echo "== embedding correctness against the reference vectors"
FIXTURE="$SHARED/fixtures/minilm_reference.jsonl"
if [ ! -f "$FIXTURE" ]; then
    echo "conformance: missing $FIXTURE" >&2
    exit 1
fi
cargo run --release --locked -q -p ragdiag-embed --example fixture_check -- "$FIXTURE"

echo "== BEIR SciFact through ragdiag index and search (BM25, dense, hybrid, HNSW recall)"
python3 scripts/check_scifact_retrieval.py --bin "$BIN" --scifact "$SCIFACT"

echo "== Chroma's chunking evaluation through ragdiag chunking (the report's ten strategies)"
# Tokens and recursive at the report's sizes and the cluster semantic chunker at 400 and 200,
# MiniLM, exact search, 5 chunks: about 18,000 texts to embed cold (16 min on a loaded 2-core
# machine), nothing on a warm re-run.
python3 scripts/check_chroma_study.py --bin "$BIN" --chroma "$SHARED/datasets/chroma_chunking_eval"

echo "== engines: Chroma and Typesense on 127.0.0.1 through --engine (scripts/check_engines.sh)"
scripts/check_engines.sh "$BIN"
echo "== version-tied labels on ../shared/kb/jest-2023 (labelled on 27.x pages, checked on 29.6)"
python3 scripts/check_label_versions.py "$BIN" --kb "$SHARED/kb/jest-2023"

echo "== the second trace (SciFact): diagnose with --price and --target-accuracy, report.html checked; trend finds a regression"
# About 45 s with a debug binary on a loaded 2-core machine (BM25 index of SciFact, three
# diagnoses, one headless Chromium render).
python3 scripts/check_second_trace.py --bin "$BIN" --shared "$SHARED/datasets"

echo "conformance: all checks passed"
