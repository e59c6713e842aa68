"""Embedding throughput of onnxruntime's Python API, for comparison with embed_throughput.rs.

Same model files (the ragdiag cache), same texts (the first N SciFact passages, title + " " +
text), same recipe: tokenizer truncation 256, padding to the longest in the batch, batch 32, mean
pooling over the attention mask, L2 normalisation. Three batch orders: input order, texts sorted
by characters (the usual recipe), and texts sorted by token count (ragdiag's: the counting is
timed). Default onnxruntime session options (as
fastembed, graph optimisation level "all" is the default there too).

    python3 -m venv /tmp/ortbench && /tmp/ortbench/bin/pip install onnxruntime==1.32.0 tokenizers numpy
    /tmp/ortbench/bin/python crates/ragdiag-embed/benches/onnxruntime_python.py [N] [CORPUS] [--vectors OUT]
"""

import argparse
import json
import os
import time

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

here = os.path.dirname(os.path.abspath(__file__))
parser = argparse.ArgumentParser()
parser.add_argument("n", nargs="?", type=int, default=500)
parser.add_argument("corpus", nargs="?", default=os.path.join(here, "../../../../shared/datasets/scifact/corpus.jsonl"))
parser.add_argument("--vectors", help="write the vectors (input order), one JSON array a line")
parser.add_argument("--threads", type=int, default=0, help="intra-op threads (default: onnxruntime's)")
opts = parser.parse_args()
n, corpus = opts.n, opts.corpus
home = os.environ.get("RAGDIAG_HOME") or os.path.join(os.environ["HOME"], ".cache", "ragdiag")
model_dir = os.environ.get("RAGDIAG_MODEL_DIR") or os.path.join(home, "models", "all-MiniLM-L6-v2-int8")

texts = []
with open(corpus, encoding="utf-8") as f:
    for line in f:
        if len(texts) == n:
            break
        d = json.loads(line)
        texts.append(d["title"] + " " + d["text"])

tok = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
tok.enable_truncation(256)
tok.enable_padding(pad_id=0, pad_token="[PAD]")
so = ort.SessionOptions()
so.intra_op_num_threads = opts.threads
sess = ort.InferenceSession(os.path.join(model_dir, "model.onnx"), so, providers=["CPUExecutionProvider"])
names = {i.name for i in sess.get_inputs()}


def embed(batch):
    enc = tok.encode_batch(batch)
    ids = np.array([e.ids for e in enc], dtype=np.int64)
    mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
    feed = {"input_ids": ids, "attention_mask": mask}
    if "token_type_ids" in names:
        feed["token_type_ids"] = np.zeros_like(ids)
    out = sess.run(None, feed)[0]
    m = mask[:, :, None].astype(np.float32)
    pooled = (out * m).sum(1) / np.clip(m.sum(1), 1e-9, None)
    return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)


def run(order):
    vecs = [None] * len(texts)
    for s in range(0, len(order), 32):
        idx = order[s : s + 32]
        for i, v in zip(idx, embed([texts[i] for i in idx])):
            vecs[i] = v
    return vecs


def by_chars():
    return sorted(range(len(texts)), key=lambda i: -len(texts[i]))


def by_tokens():
    # ragdiag's recipe: count tokens first (timed), then batch texts of nearly equal length.
    lengths = [sum(e.attention_mask) for e in tok.encode_batch(texts)]
    return sorted(range(len(texts)), key=lambda i: -lengths[i])


embed(texts[:64])  # warm-up
for label, order in [
    ("input order", lambda: list(range(len(texts)))),
    ("sorted by characters", by_chars),
    ("sorted by tokens", by_tokens),
]:
    t = time.perf_counter()
    vecs = run(order())
    dt = time.perf_counter() - t
    print(f"{label}: {dt:.2f} s, {len(texts) / dt:.1f} passages/s")

if opts.vectors:
    with open(opts.vectors, "w") as f:
        for v in vecs:
            f.write(json.dumps([float(x) for x in v]) + "\n")
print(f"onnxruntime {ort.__version__}, {len(texts)} passages, intra-op threads {opts.threads or 'default'}")
