"""Peer benchmark for `examples/hnsw_random.rs`: hnswlib on the same vectors.

Run the Rust example with `--out DIR` first; it writes the vectors and the exact top 10.
Then, with hnswlib (M=16, ef_construction=200, inner product on unit vectors, one thread):

    python3 -m venv /tmp/peers && /tmp/peers/bin/pip install hnswlib numpy
    /tmp/peers/bin/python crates/ragdiag-index/benches/hnswlib_random.py DIR
"""

import sys
import time

import hnswlib
import numpy as np

d = sys.argv[1] if len(sys.argv) > 1 else "/tmp/hnsw_bench"
n, dim, nq = map(int, open(f"{d}/shape.txt").read().split())
base = np.fromfile(f"{d}/base.f32", dtype="<f4").reshape(n, dim)
queries = np.fromfile(f"{d}/queries.f32", dtype="<f4").reshape(nq, dim)
truth = np.fromfile(f"{d}/truth.u32", dtype="<u4").reshape(nq, 10)

t0 = time.perf_counter()
index = hnswlib.Index(space="ip", dim=dim)
index.init_index(max_elements=n, M=16, ef_construction=200, random_seed=100)
index.set_num_threads(1)
index.add_items(base, np.arange(n))
build = time.perf_counter() - t0
print(f"hnswlib {getattr(hnswlib, '__version__', '?')}: {n} vectors d={dim}, build {build:.3f} s (1 thread)")

for ef in [10, 50, 100, 200, 400, 800]:
    index.set_ef(ef)
    t0 = time.perf_counter()
    found = []
    for q in queries:  # one call per query, as a service would
        labels, _ = index.knn_query(q, k=10)
        found.append(labels[0])
    qps = nq / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    labels, _ = index.knn_query(queries, k=10)  # one batched call, still one thread
    qps_batch = nq / (time.perf_counter() - t0)
    recall = np.mean([len(set(f) & set(t)) / 10 for f, t in zip(found, truth)])
    print(f"  ef={ef:>3}: {qps:>7.0f} q/s one call per query, {qps_batch:>7.0f} q/s batched, recall@10 {recall:.4}")
