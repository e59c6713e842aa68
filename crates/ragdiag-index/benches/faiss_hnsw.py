"""Peer benchmark for `examples/hnsw_random.rs`: faiss-cpu's HNSW on the same vectors.

Run the Rust example with `--out DIR` (or `--from DIR --out DIR`) first; it writes the vectors
and the exact top 10. Then, with faiss (IndexHNSWFlat, M=16, efConstruction=200, inner product
on unit vectors, one thread):

    python3 -m venv /tmp/peers && /tmp/peers/bin/pip install faiss-cpu numpy
    /tmp/peers/bin/python crates/ragdiag-index/benches/faiss_hnsw.py DIR
"""

import sys
import time

import faiss
import numpy as np

d = sys.argv[1] if len(sys.argv) > 1 else "/tmp/hnsw_bench"
n, dim, nq = map(int, open(f"{d}/shape.txt").read().split())
base = np.fromfile(f"{d}/base.f32", dtype="<f4").reshape(n, dim)
queries = np.fromfile(f"{d}/queries.f32", dtype="<f4").reshape(nq, dim)
truth = np.fromfile(f"{d}/truth.u32", dtype="<u4").reshape(nq, 10)

faiss.omp_set_num_threads(1)
t0 = time.perf_counter()
index = faiss.IndexHNSWFlat(dim, 16, faiss.METRIC_INNER_PRODUCT)
index.hnsw.efConstruction = 200
index.add(base)
build = time.perf_counter() - t0
print(f"faiss {faiss.__version__}: {n} vectors d={dim}, build {build:.3f} s (1 thread)")

for ef in [10, 50, 100, 200, 400, 800]:
    index.hnsw.efSearch = ef
    t0 = time.perf_counter()
    found = []
    for q in queries:  # one call per query, as a service would
        _, labels = index.search(q.reshape(1, -1), 10)
        found.append(labels[0])
    qps = nq / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    _, labels = index.search(queries, 10)  # one batched call, still one thread
    qps_batch = nq / (time.perf_counter() - t0)
    recall = np.mean([len(set(f) & set(t)) / 10 for f, t in zip(found, truth)])
    print(f"  ef={ef:>3}: {qps:>7.0f} q/s one call per query, {qps_batch:>7.0f} q/s batched, recall@10 {recall:.4}")
