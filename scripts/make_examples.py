#!/usr/bin/env python3
"""Writes the bundled example files of `ragdiag eval` from the demo knowledge base.

- examples/tallyfox/qrels.txt      : TREC qrels from queries/tallyfox.jsonl (`relevant` grades)
- examples/tallyfox/production.trec: the production system's ranking from
                                     queries/tallyfox.trace.jsonl, rolled up to documents by
                                     each document's best chunk (score of its first chunk)
- examples/tallyfox/keyword.trec   : a plain TF-IDF ranking of the corpus pages (top 100)

Run from the repository root: python3 scripts/make_examples.py (stdlib only, deterministic).
"""
import json
import math
import os
import re
from collections import Counter, defaultdict

OUT = "examples/tallyfox"
os.makedirs(OUT, exist_ok=True)

queries = [json.loads(l) for l in open("queries/tallyfox.jsonl", encoding="utf-8") if l.strip()]
with open(os.path.join(OUT, "qrels.txt"), "w") as f:
    for q in queries:
        for r in q.get("relevant", []):
            f.write(f"{q['id']} 0 {r['doc']} {r.get('grade', 1)}\n")

with open(os.path.join(OUT, "production.trec"), "w") as f:
    for line in open("queries/tallyfox.trace.jsonl", encoding="utf-8"):
        t = json.loads(line)
        seen = set()
        rank = 0
        for hit in t["retrieved"]:
            if hit["doc"] in seen:
                continue
            seen.add(hit["doc"])
            rank += 1
            f.write(f"{t['query_id']} Q0 {hit['doc']} {rank} {hit['score']:.4f} production\n")

docs = {}
for name in sorted(os.listdir("corpora/tallyfox")):
    text = open(os.path.join("corpora/tallyfox", name), encoding="utf-8").read()
    m = re.match(r"---\n(.*?)\n---\n", text, re.S)
    front, body = (m.group(1), text[m.end():]) if m else ("", text)
    did = re.search(r"^id:\s*(\S+)", front, re.M).group(1)
    title = re.search(r"^title:\s*(.+)$", front, re.M)
    docs[did] = ((title.group(1) if title else "") + " " + body).lower()
tok = re.compile(r"[a-z0-9]+")
df = Counter()
tfs = {}
for did, text in docs.items():
    tf = Counter(tok.findall(text))
    tfs[did] = tf
    df.update(tf.keys())
n = len(docs)
with open(os.path.join(OUT, "keyword.trec"), "w") as f:
    for q in queries:
        terms = set(tok.findall(q["text"].lower()))
        scores = defaultdict(float)
        for did, tf in tfs.items():
            for t in terms:
                if tf.get(t):
                    scores[did] += (1 + math.log(tf[t])) * math.log(n / df[t])
        ranked = sorted(scores.items(), key=lambda x: (-round(x[1], 4), x[0]))[:100]
        for rank, (did, s) in enumerate(ranked, 1):
            f.write(f"{q['id']} Q0 {did} {rank} {s:.4f} keyword\n")
print("wrote", OUT)
