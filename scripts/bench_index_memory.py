#!/usr/bin/env python3
"""Peak memory of `ragdiag index --model hash:384` on a generated corpus, cold then warm.

Generates (seeded, with scripts/gen_chunk_corpus.py) N one-chunk documents into a temporary
folder, then runs `ragdiag index` under GNU time twice with one fresh RAGDIAG_HOME: cold (every
text embedded, the embedding cache written) and warm (every vector read from that cache). Prints
wall, user+sys and peak RSS of each, and the size of one copy of the vectors (N x DIM x 4
bytes) to read them against. Everything generated is deleted at the end.

Usage: bench_index_memory.py --bin target/release/ragdiag [--chunks 100000] [--dim 384]
           [--no-hnsw] [--tmp /tmp]
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile


def timed(cmd, env):
    p = subprocess.run(["/usr/bin/time", "-v"] + cmd, capture_output=True, text=True, env=env)
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")

    def field(name):
        m = re.search(rf"{re.escape(name)}: (.+)", p.stderr)
        return m.group(1).strip() if m else "?"

    wall = field("Elapsed (wall clock) time (h:mm:ss or m:ss)")
    parts = [float(x) for x in wall.split(":")]
    secs = sum(v * 60 ** i for i, v in enumerate(reversed(parts)))
    cpu = float(field("User time (seconds)")) + float(field("System time (seconds)"))
    peak_mb = int(field("Maximum resident set size (kbytes)")) * 1024 / 1e6
    summary = next((l for l in (p.stdout + p.stderr).splitlines() if l.startswith("indexed ")), "")
    return secs, cpu, peak_mb, summary


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--chunks", type=int, default=100000)
    ap.add_argument("--dim", type=int, default=384)
    ap.add_argument("--no-hnsw", action="store_true")
    ap.add_argument("--tmp", default=tempfile.gettempdir())
    a = ap.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    work = tempfile.mkdtemp(prefix="ragdiag-index-mem-", dir=a.tmp)
    try:
        corpus = os.path.join(work, "corpus")
        subprocess.run(
            [sys.executable, os.path.join(here, "gen_chunk_corpus.py"), "--chunks", str(a.chunks),
             "--questions", "300", "--out", corpus],
            check=True, capture_output=True)
        env = dict(os.environ, RAGDIAG_HOME=os.path.join(work, "home"))
        one_copy = a.chunks * a.dim * 4 / 1e6
        print(f"{a.chunks:,} chunks, hash:{a.dim}: one copy of the vectors is {one_copy:,.0f} MB")
        for run in ("cold", "warm"):
            out = os.path.join(work, f"index-{run}")
            cmd = [a.bin, "index", "--corpus", os.path.join(corpus, "corpus.jsonl"),
                   "--model", f"hash:{a.dim}", "--out", out]
            if a.no_hnsw:
                cmd.append("--no-hnsw")
            secs, cpu, peak, summary = timed(cmd, env)
            print(f"{run}: {secs:7.1f} s wall, {cpu:7.1f} s user+sys, peak {peak:8,.0f} MB")
            print(f"      {summary}")
            shutil.rmtree(out)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
