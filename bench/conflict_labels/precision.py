#!/usr/bin/env python3
"""Precision of hand-labelled pairs with a 95% Wilson score interval.

Usage: precision.py LABELS.jsonl  (labels: real / update / false)
Prints n, the counts, precision (real only) and precision counting updates as right.
"""
import json
import math
import sys


def wilson(k, n, z=1.959963984540054):
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return (max(0.0, c - h), min(1.0, c + h))


def main():
    rows = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
    n = len(rows)
    real = sum(r["label"] == "real" for r in rows)
    upd = sum(r["label"] == "update" for r in rows)
    for name, k in (("real", real), ("real or update", real + upd)):
        lo, hi = wilson(k, n)
        print(f"{sys.argv[1]}: n = {n}, {name}: {k}/{n} = {k / n if n else 0:.2f} (95% Wilson {lo:.2f}–{hi:.2f})")


if __name__ == "__main__":
    main()
