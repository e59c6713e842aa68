#!/usr/bin/env python3
"""Issue 4's speed comparisons, side by side in one run on one machine, on BEIR SciFact.

1. BM25: `ragdiag-index`'s `bm25_scifact` example (index time, single-thread queries/s) against
   bm25s (`crates/ragdiag-index/benches/bm25s_scifact.py`).
2. Embedding: `cargo bench -p ragdiag-embed --bench embed_throughput` against onnxruntime's
   Python API on the same model files and texts (`crates/ragdiag-embed/benches/onnxruntime_python.py`).
3. HNSW on SciFact's own vectors (M=16, efConstruction=200, one thread): `hnsw_random --from`
   against hnswlib and faiss-cpu. The passage vectors come from a `ragdiag index` of SciFact, the
   query vectors of the 300 test queries from ragdiag's embedding cache (a `ragdiag search
   --retriever dense` run puts them there).

The peers are installed into `.cache/venv-bench` (pip). Nothing here is a pass/fail test: it
prints the figures, which go into BENCHMARKS.md. `--repeat N` runs the embedding pair and the three HNSW
benchmarks N times, interleaved, for a machine that is not idle (report medians); `--skip-bm25` skips part 1.
Binaries are taken from `$CARGO_TARGET_DIR` when it is set, else from `target/`.

    python3 scripts/bench_retrieval.py --scifact ../shared/datasets/scifact [--skip-bm25] [--skip-embed] [--skip-hnsw] [--repeat 3]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.path.join(ROOT, ".cache", "venv-bench")
PEERS = ["bm25s==0.3.16", "PyStemmer", "numpy", "hnswlib", "faiss-cpu", "onnxruntime==1.32.0",
         "tokenizers", "pyarrow"]


def sh(cmd: list[str], **kw) -> str:
    print("$", " ".join(cmd), flush=True)
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, **kw)
    if p.returncode != 0:
        print(p.stdout, p.stderr, sep="\n", file=sys.stderr)
        raise SystemExit(f"failed: {' '.join(cmd)}")
    return p.stdout


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--scifact", required=True)
    ap.add_argument("--skip-embed", action="store_true", help="skip the embedding comparison")
    ap.add_argument("--skip-bm25", action="store_true", help="skip the BM25 comparison")
    ap.add_argument("--skip-hnsw", action="store_true", help="skip the HNSW comparison")
    ap.add_argument("--repeat", type=int, default=1, help="runs of the embedding pair and of each HNSW benchmark (interleaved)")
    args = ap.parse_args()
    scifact = os.path.abspath(args.scifact)

    py = os.path.join(VENV, "bin", "python")
    if not os.path.exists(py):
        sh([sys.executable, "-m", "venv", VENV])
    sh([py, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"] + PEERS)
    sh(["cargo", "build", "--release", "-q", "-p", "ragdiag", "-p", "ragdiag-index", "--examples"])
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")
    ragdiag = os.path.join(target, "release", "ragdiag")
    print("$ uptime:", open("/proc/loadavg").read().strip(), flush=True)

    if not args.skip_bm25:
        print("\n== BM25 on SciFact: ragdiag (tantivy + own scorer) vs bm25s")
        print(sh(["cargo", "run", "--release", "-q", "-p", "ragdiag-index", "--example", "bm25_scifact", "--", scifact]))
        print(sh([py, "crates/ragdiag-index/benches/bm25s_scifact.py", scifact]))

    if not args.skip_embed:
        print("== Embedding throughput, 500 SciFact passages: ragdiag (fastembed) vs onnxruntime Python")
        corpus = os.path.join(scifact, "corpus.jsonl")
        for run in range(args.repeat):
            if args.repeat > 1:
                print(f"-- run {run + 1} of {args.repeat}, load average {open('/proc/loadavg').read().strip()}")
            print(sh(["cargo", "bench", "-q", "-p", "ragdiag-embed", "--bench", "embed_throughput", "--", "500", corpus]))
            print(sh([py, "crates/ragdiag-embed/benches/onnxruntime_python.py", "500", corpus]))

    if args.skip_hnsw:
        return 0
    print("== HNSW on SciFact vectors (M=16, efConstruction=200, one thread)")
    with tempfile.TemporaryDirectory() as tmp:
        index = os.path.join(tmp, "idx")
        sh([ragdiag, "index", "--quiet", "--corpus", os.path.join(scifact, "corpus.jsonl"), "--out", index, "--no-hnsw"])
        sh([ragdiag, "search", "--quiet", "--index", index, "--queries", os.path.join(scifact, "queries.jsonl"),
            "--qrels", os.path.join(scifact, "qrels", "test.tsv"), "--retriever", "dense", "--exact",
            "--run", os.path.join(tmp, "dense.trec")])
        with open(os.path.join(index, "vectors.bin"), "rb") as f:
            raw = f.read()
        assert raw[:6] == b"RDVEC1", "unknown vectors.bin"
        dim, count = struct.unpack_from("<IQ", raw, 8)
        start = 20 + 4 * count
        base = raw[start:start + 4 * dim * count]
        # Test query vectors from the embedding cache, keyed by sha256 of the text.
        queries = {}
        for line in open(os.path.join(scifact, "queries.jsonl")):
            q = json.loads(line)
            queries[q["_id"]] = q["text"]
        test = []
        with open(os.path.join(scifact, "qrels", "test.tsv")) as f:
            next(f)
            for line in f:
                qid = line.split("\t")[0]
                if qid not in test:
                    test.append(qid)
        export = os.path.join(tmp, "vectors")
        os.makedirs(export)
        with open(os.path.join(export, "base.f32"), "wb") as f:
            f.write(base)
        code = f"""
import hashlib, json, sys, glob, os
import pyarrow.parquet as pq
home = os.environ.get("RAGDIAG_HOME") or os.path.join(os.environ["HOME"], ".cache", "ragdiag")
want = json.load(open(sys.argv[1]))
rows = {{}}
for path in glob.glob(os.path.join(home, "embeddings", "*.parquet")):
    t = pq.read_table(path).to_pydict()
    for m, h, v in zip(t["model_id"], t["text_sha256"], t["vector"]):
        if m.endswith("#query") and len(v) == {dim}:
            rows[bytes(h)] = v
out = open(sys.argv[2], "wb")
import struct
n = 0
for text in want:
    v = rows.get(hashlib.sha256(text.encode()).digest())
    if v is None:
        sys.exit("query vector not in the cache: " + text[:60])
    out.write(struct.pack("<%df" % len(v), *v))
    n += 1
print(n)
"""
        want = os.path.join(tmp, "want.json")
        json.dump([queries[q] for q in test], open(want, "w"))
        nq = int(sh([py, "-c", code, want, os.path.join(export, "queries.f32")]).strip())
        with open(os.path.join(export, "shape.txt"), "w") as f:
            f.write(f"{count} {dim} {nq}\n")
        example = os.path.join(target, "release", "examples", "hnsw_random")
        for run in range(args.repeat):
            if args.repeat > 1:
                print(f"-- run {run + 1} of {args.repeat}, load average {open('/proc/loadavg').read().strip()}")
            print(sh([example, "--from", export, "--out", export]))
            print(sh([py, "crates/ragdiag-index/benches/hnswlib_random.py", export]))
            print(sh([py, "crates/ragdiag-index/benches/faiss_hnsw.py", export]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
