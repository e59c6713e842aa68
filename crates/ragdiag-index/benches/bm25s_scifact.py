"""Peer benchmark for `examples/bm25_scifact.rs`: bm25s on a BEIR dataset (SciFact by default).

Same work as the Rust example: title + text per document, English stop words, Snowball
stemming (PyStemmer), BM25 (bm25s defaults: Lucene variant, k1=1.5, b=0.75), top 100 per query,
one thread for querying. Prints the median index time of five builds (tokenize + index),
queries/s, nDCG@10 and Recall@100 (trec_eval semantics).

    python3 -m venv /tmp/peers && /tmp/peers/bin/pip install bm25s PyStemmer numpy
    /tmp/peers/bin/python crates/ragdiag-index/benches/bm25s_scifact.py [DATASET_DIR]
"""

import json
import math
import statistics
import sys
import time

import bm25s
import Stemmer

dataset = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/datasets/scifact"
rounds = 5

corpus = [json.loads(l) for l in open(f"{dataset}/corpus.jsonl") if l.strip()]
ids = [d["_id"] for d in corpus]
texts = [(d.get("title") or "") + " " + (d.get("text") or "") for d in corpus]
qrels = {}
with open(f"{dataset}/qrels/test.tsv") as f:
    next(f)
    for line in f:
        q, d, g = line.rstrip("\r\n").split("\t")
        qrels.setdefault(q, {})[d] = int(g)
queries = sorted(
    (q["_id"], q["text"])
    for q in (json.loads(l) for l in open(f"{dataset}/queries.jsonl") if l.strip())
    if q["_id"] in qrels
)
stemmer = Stemmer.Stemmer("english")

times = []
for _ in range(5):
    t0 = time.perf_counter()
    tokens = bm25s.tokenize(texts, stopwords="en", stemmer=stemmer, show_progress=False)
    retriever = bm25s.BM25()
    retriever.index(tokens, show_progress=False)
    times.append(time.perf_counter() - t0)

qtexts = [q for _, q in queries]
t0 = time.perf_counter()
for _ in range(rounds):
    qtok = bm25s.tokenize(qtexts, stopwords="en", stemmer=stemmer, show_progress=False)
    docs, scores = retriever.retrieve(qtok, k=100, n_threads=1, show_progress=False)
qps = rounds * len(queries) / (time.perf_counter() - t0)

# Same work, one call per query (a service answering one question at a time).
t0 = time.perf_counter()
for q in qtexts:
    qtok = bm25s.tokenize([q], stopwords="en", stemmer=stemmer, show_progress=False)
    retriever.retrieve(qtok, k=100, n_threads=1, show_progress=False)
qps_one = len(queries) / (time.perf_counter() - t0)

ndcg = recall = 0.0
for (qid, _), row, srow in zip(queries, docs, scores):
    ranked = sorted(((float(s), ids[i]) for i, s in zip(row, srow)), key=lambda x: (-x[0], tuple(-ord(c) for c in x[1])))
    judged = qrels[qid]
    dcg = sum(judged.get(d, 0) / math.log2(r + 2) for r, (_, d) in enumerate(ranked[:10]) if judged.get(d, 0) > 0)
    ideal = sorted((g for g in judged.values() if g > 0), reverse=True)
    idcg = sum(g / math.log2(r + 2) for r, g in enumerate(ideal[:10]))
    ndcg += dcg / idcg if idcg else 0.0
    recall += sum(1 for _, d in ranked[:100] if judged.get(d, 0) > 0) / len(ideal)
n = len(queries)
print(f"bm25s {bm25s.__version__}: index median {statistics.median(times):.3f} s (min {min(times):.3f})")
print(f"queries: {qps:.0f} q/s batched, {qps_one:.0f} q/s one call per query (single thread, top-100)")
print(f"nDCG@10 {ndcg / n:.4f}  Recall@100 {recall / n:.4f}")
