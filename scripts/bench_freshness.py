#!/usr/bin/env python3
"""Benchmark `ragdiag freshness` on 100,000 synthetic documents of 300 words.

Generates (once, seeded) `.cache/bench/fresh100k.jsonl`: random text over a 20,000-word
vocabulary with a sentence holding a number every ~40 words, dates over three years, 2% of the
documents planted as edited near-duplicates (a few words changed, a later date), 1% superseded
explicitly, 1% expired, 1% deleted, 1% undated. Then times the whole audit and checks that the
planted near-duplicates were found.

Usage: bench_freshness.py --bin target/release/ragdiag [--docs 100000]
"""
import argparse
import json
import os
import random
import subprocess
import sys
import time


def generate(path, n, seed=11):
    if os.path.exists(path):
        return
    rng = random.Random(seed)
    vocab = [f"w{i}" for i in range(20000)]
    tags = ["billing", "api", "security", "payroll", "invoices", "exports"]
    planted = 0
    with open(path + ".tmp", "w") as f:
        prev_text = None
        for i in range(n):
            words = rng.choices(vocab, k=300)
            for j in range(0, 300, 40):
                words[j] = f"costs {rng.randint(1, 500)} days"
            text = " ".join(words) + "."
            doc = {"id": f"d{i}", "text": text, "tags": [rng.choice(tags)],
                   "updated_at": f"{rng.randint(2023, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"}
            r = rng.random()
            if prev_text is not None and r < 0.02:
                w = prev_text.split()
                for _ in range(4):
                    w[rng.randrange(len(w))] = rng.choice(vocab)
                doc["text"] = " ".join(w)
                doc["updated_at"] = "2026-06-01"
                planted += 1
            elif r < 0.03:
                doc["supersedes"] = f"d{i - 1}"
            elif r < 0.04:
                doc["valid_until"] = "2026-01-01"
            elif r < 0.05:
                doc["deleted"] = True
            elif r < 0.06:
                del doc["updated_at"]
            prev_text = text
            f.write(json.dumps(doc) + "\n")
    os.replace(path + ".tmp", path)
    print(f"generated {n} documents, {planted} planted near-duplicates")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--docs", type=int, default=100000)
    a = ap.parse_args()
    os.makedirs(".cache/bench", exist_ok=True)
    path = f".cache/bench/fresh{a.docs // 1000}k.jsonl"
    generate(path, a.docs)
    out = ".cache/bench/fresh-report"
    t0 = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "%M", a.bin, "freshness", "--quiet", "--corpus", path,
                        "--as-of", "2026-10-01", "--out", out], capture_output=True, text=True)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(p.stderr)
    s = json.load(open(os.path.join(out, "summary.json")))
    c = s["corpus"]
    print(f"ragdiag freshness: {a.docs:,} documents in {dt:.1f} s, peak {int(p.stderr.split()[-1]) / 1024:.0f} MB")
    print(f"stale {c['stale']} ({c['stale_by_reason']}), inferred {c['superseded_inferred']}, "
          f"near-duplicate pairs {len(c['near_duplicates'])}, conflicts {len(c['conflicts'])}, undated {c['unknown_undated']}")


if __name__ == "__main__":
    main()
