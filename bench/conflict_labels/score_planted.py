#!/usr/bin/env python3
"""Scores `plant.py`'s output against the hand labels of `planted-labels.jsonl`.

Labels: numeric (a real conflict on a quantity: must be found), name (a real contradiction by a
changed identifier or version: not a quantity, not expected), none (not a conflict: code, sample
output, a disfluency). Prints recall on `numeric` and what was found among each label, with 95%
Wilson intervals.

Usage: score_planted.py .cache/planted.jsonl bench/conflict_labels/planted-labels.jsonl
"""
import json
import sys

from precision import wilson

found = {json.loads(line)["planted"]: json.loads(line)["found"] for line in open(sys.argv[1])}
labels = [json.loads(line) for line in open(sys.argv[2])]
missing = [r["planted"] for r in labels if r["planted"] not in found]
if missing:
    sys.exit(f"labelled but not planted: {missing[:3]}")
for lab in ("numeric", "name", "none"):
    rows = [r for r in labels if r["label"] == lab]
    k = sum(found[r["planted"]] for r in rows)
    lo, hi = wilson(k, len(rows))
    print(f"{lab}: found {k}/{len(rows)} ({lo:.2f}–{hi:.2f})")
hits = [r for r in labels if found[r["planted"]]]
right = sum(r["label"] != "none" for r in hits)
lo, hi = wilson(right, len(hits))
print(f"found pairs that are real contradictions: {right}/{len(hits)} ({lo:.2f}–{hi:.2f})")
