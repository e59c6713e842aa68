#!/usr/bin/env python3
"""Benchmark `ragdiag eval` against pytrec_eval (trec_eval's C code) as whole processes.

Generates (once, seeded) a synthetic run of 5,000 queries x 1,000 documents (5,000,000 lines,
about 150 MB) with 20 graded judgments (0-3) per query, then times
  ragdiag eval -m map -m ndcg_cut.10 -m recall.100 -m recip_rank -m P.10 QRELS RUN
and the same measures through pytrec_eval in a fresh Python process that reads the same files
(the installable stand-in for the trec_eval 10.0 binary), best of --repeat runs each, with peak
memory from /usr/bin/time, and checks that both give the same figures to 4 decimals.
Optional: --ranx also times ranx; --trec-eval also builds the trec_eval 10.0 binary from
`../shared/oracles/trec_eval-10.0` in a temporary folder and times it on the same files, with
user+sys time beside wall for both (wall times are noisy on a shared machine), and checks that its
output is byte-identical to ragdiag's.

Usage: bench_eval.py --bin target/release/ragdiag [--dir .cache/bench] [--repeat 3] [--ranx]
           [--trec-eval [--shared ../shared]]
"""
import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
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
    p = subprocess.run(["/usr/bin/time", "-f", "%M %U %S"] + cmd, capture_output=True, text=True)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{p.stderr}")
    peak_kb, user, system = p.stderr.strip().splitlines()[-1].split()
    return dt, int(peak_kb), p.stdout, float(user) + float(system)


def build_trec_eval(shared, tmp):
    src = os.path.join(shared, "oracles", "trec_eval-10.0")
    if not os.path.isfile(os.path.join(src, "Makefile")):
        sys.exit(f"missing {src} (the shared oracles must sit beside the repository)")
    te = os.path.join(tmp, "te")
    shutil.copytree(src, te)
    r = subprocess.run(["make", "-s", "-C", te], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"building trec_eval 10.0 failed:\n{r.stdout}{r.stderr}")
    return os.path.join(te, "trec_eval")


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
    ap.add_argument("--trec-eval", action="store_true", help="also time the trec_eval 10.0 binary")
    ap.add_argument("--shared", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared"))
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    qp, rp = generate(a.dir)
    size = os.path.getsize(rp)
    print(f"run file: {size / 1e6:.1f} MB, {sum(1 for _ in open(rp)):,} lines")
    cmd = [a.bin, "eval", "--quiet"]
    for m in MEASURES:
        cmd += ["-m", m]
    if a.trec_eval:
        with tempfile.TemporaryDirectory() as tmp:
            te = build_trec_eval(a.shared, tmp)
            te_cmd = [te]
            for m in MEASURES:
                te_cmd += ["-m", m]
            # Side by side, alternating, so both see the same machine.
            ours_runs, te_runs = [], []
            for _ in range(a.repeat):
                ours_runs.append(timed(cmd + [qp, rp]))
                te_runs.append(timed(te_cmd + [qp, rp]))
        o = min(ours_runs, key=lambda r: r[0])
        t = min(te_runs, key=lambda r: r[0])
        o_cpu = min(r[3] for r in ours_runs)
        t_cpu = min(r[3] for r in te_runs)
        print(f"ragdiag eval   : {o[0]:6.2f} s wall (best of {a.repeat}), {o_cpu:5.2f} s user+sys, "
              f"peak {o[1] / 1024:7.1f} MB ({o[1] * 1024 / size:.2f}x the run file)")
        print(f"trec_eval 10.0 : {t[0]:6.2f} s wall (best of {a.repeat}), {t_cpu:5.2f} s user+sys, "
              f"peak {t[1] / 1024:7.1f} MB   speed-up {t[0] / o[0]:.1f}x wall, {t_cpu / o_cpu:.1f}x user+sys")
        same = o[2] == t[2]
        print("output byte-identical to trec_eval 10.0:", same)
        if not same:
            return 1
        if subprocess.run([sys.executable, "-c", "import pytrec_eval"], capture_output=True).returncode:
            return 0  # pytrec_eval is not installed: trec_eval 10.0 alone is the peer
    t_ours, m_ours, out_ours, _ = best(cmd + [qp, rp], a.repeat)
    script = os.path.join(a.dir, "pytrec_bench.py")
    open(script, "w").write(PYTREC_SCRIPT)
    t_py, m_py, out_py, _ = best([sys.executable, script, qp, rp], 1)
    print(f"ragdiag eval : {t_ours:6.2f} s  peak {m_ours / 1024:7.1f} MB ({m_ours * 1024 / size:.2f}x the run file)")
    print(f"pytrec_eval  : {t_py:6.2f} s  peak {m_py / 1024:7.1f} MB   speed-up {t_py / t_ours:.1f}x")
    if a.ranx:
        rs = os.path.join(a.dir, "ranx_bench.py")
        open(rs, "w").write(RANX_SCRIPT)
        t_rx, m_rx, _, _ = best([sys.executable, rs, qp, rp], 1)
        print(f"ranx         : {t_rx:6.2f} s  peak {m_rx / 1024:7.1f} MB   speed-up {t_rx / t_ours:.1f}x")
    ours, theirs = figures(out_ours), figures(out_py)
    same = all(ours.get(k) == v for k, v in theirs.items()) and len(theirs) == 5
    print("figures:", " ".join(f"{k}={v}" for k, v in ours.items()), "| identical to pytrec_eval:", same)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
