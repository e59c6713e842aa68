#!/usr/bin/env python3
"""Recall on real sentences: plant one changed copy of real sentences and see which are found.

Reads the corpora that `make_pairs.py` wrote under `.cache/conflict-bench/` (scifact, jest,
state_of_the_union); draws 20 sentences holding a digit from each (seed 14); for each, adds a
document `planted/N` holding the sentence with its first number changed (n -> n + 1 for
integers, x 2 for decimals), with the host's source; runs `ragdiag freshness` on each corpus with
its planted documents and writes, per planted sentence, the two sentences and whether the
audit reported the pair (host, planted) as a conflict. Hand labels (should / should not
conflict) are in `planted-labels.jsonl`, keyed by `planted`.

Usage: plant.py --bin target/debug/ragdiag --out .cache/planted.jsonl  (after make_pairs.py)
"""
import argparse
import json
import os
import random
import re
import subprocess

CORPORA = ("scifact", "jest", "state_of_the_union")
NUM = re.compile(r"\d+(?:[.,]\d+)*")


def sentences(text):
    out = []
    for line in text.splitlines():
        for s in re.split(r"(?<=[.!?])\s+", line):
            s = s.strip()
            if len(s.split()) >= 5 and NUM.search(s):
                out.append(s)
    return out


def change(s):
    m = NUM.search(s)
    t = m.group(0)
    if re.fullmatch(r"\d+", t):
        new = str(int(t) + 1)
    else:
        try:
            new = str(round(float(t.replace(",", "")) * 2, 3))
        except ValueError:
            new = t + "1"
    return s[:m.start()] + new + s[m.end():]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--work", default=".cache/conflict-bench")
    args = ap.parse_args()
    rng = random.Random(14)
    rows = []
    for name in CORPORA:
        path = os.path.join(args.work, name + ".jsonl")
        if not os.path.exists(path):
            raise SystemExit(f"{path} missing: run make_pairs.py first")
        docs = [json.loads(line) for line in open(path, encoding="utf-8")]
        cands = [(d, s) for d in docs for s in sentences(d["text"])]
        picks = rng.sample(cands, 20)
        planted = []
        for i, (d, s) in enumerate(picks):
            pid = f"planted/{name}/{i}"
            p = {"id": pid, "text": change(s), "source": d.get("source")}
            if "updated_at" in d:
                p["updated_at"] = d["updated_at"]
            planted.append((pid, d["id"], s, p))
        ppath = os.path.join(args.work, name + "-planted.jsonl")
        with open(ppath, "w", encoding="utf-8") as f:
            for d in docs:
                f.write(json.dumps(d) + "\n")
            for *_, p in planted:
                f.write(json.dumps(p) + "\n")
        outdir = os.path.join(args.work, name + "-planted-out")
        subprocess.run([args.bin, "freshness", "--quiet", "--corpus", ppath, "--as-of", "2026-10-01",
                        "--out", outdir], check=True)
        summary = json.load(open(os.path.join(outdir, "summary.json"), encoding="utf-8"))
        found = {frozenset((c["doc_a"], c["doc_b"])) for c in summary["corpus"]["conflicts"]}
        found |= {frozenset((u["older"], u["newer"])) for u in summary["corpus"].get("updates", [])}
        for pid, host, s, p in planted:
            rows.append({"planted": pid, "host": host, "sentence": s, "changed": p["text"],
                         "found": frozenset((pid, host)) in found})
    with open(args.out + ".tmp", "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    os.replace(args.out + ".tmp", args.out)


if __name__ == "__main__":
    main()
