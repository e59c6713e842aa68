#!/usr/bin/env python3
"""A seeded random sample of reported pairs for hand labelling (all of them when there are fewer).

Usage: sample.py PAIRS.jsonl N SEED  (prints JSONL: the pair's corpus, kind, doc ids, sentences)
"""
import json
import random
import sys

rows = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
n, seed = int(sys.argv[2]), int(sys.argv[3])
pick = rows if len(rows) <= n else random.Random(seed).sample(rows, n)
for r in pick:
    print(json.dumps(r, ensure_ascii=False))
