#!/usr/bin/env python3
"""Chunking speed beside its peer, in one run on one machine (issue 15 item 6).

ragdiag's `chroma_chunks` example (crates/ragdiag-chunk/examples) against LangChain's
`langchain-text-splitters`, the library Chroma's study took its token and recursive splitters
from, on the five corpora of Chroma's chunking evaluation, the eight token and recursive
specs of the study, sizes in cl100k tokens:

- `tokens:S/O`: LangChain's `TokenTextSplitter(encoding_name="cl100k_base", chunk_size=S,
  chunk_overlap=O)`.
- `recursive:S/O`: `RecursiveCharacterTextSplitter.from_tiktoken_encoder("cl100k_base", S, O)`
  with the study's separators (`\\n\\n`, `\\n`, `.`, `?`, `!`, space, none), the ones ragdiag's
  recursive chunker uses.

Both sides are timed in-process around the chunking alone (corpora already in memory, the
tokenizer loaded and warmed up), `--repeat` rounds interleaved, medians reported; the chunk
counts are printed beside each other (the algorithms are not identical, see BENCHMARKS.md, so
counts are a sanity check, not a parity test). Nothing here is pass/fail.

tiktoken downloads cl100k's ranks from the network on first use, which this environment does
not reach; the script points tiktoken's cache at the copy the `tiktoken-rs` crate ships
(found in Cargo's registry: a dev-dependency of ragdiag-chunk, so `cargo test` has fetched it).

    python3 scripts/bench_chunking.py [--chroma ../shared/datasets/chroma_chunking_eval] [--repeat 3]
"""

import argparse
import glob
import hashlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".cache" / "venv-bench"
SPECS = [
    "tokens:800/400",
    "tokens:400/200",
    "tokens:250/125",
    "tokens:200/0",
    "recursive:800/400",
    "recursive:400/200",
    "recursive:400/0",
    "recursive:200/0",
]
CL100K_URL = "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken"

PEER = r'''
import json, os, sys, time
from pathlib import Path
import tiktoken
from langchain_text_splitters import RecursiveCharacterTextSplitter, TokenTextSplitter

corpora = sorted(Path(sys.argv[1], "corpora").glob("*.md"))
texts = [p.read_text(encoding="utf-8") for p in corpora]
specs = json.loads(sys.argv[2])
tiktoken.get_encoding("cl100k_base").encode("warm up")
seps = ["\n\n", "\n", ".", "?", "!", " ", ""]
out = {}
for spec in specs:
    kind, sizes = spec.split(":")
    size, overlap = (int(x) for x in sizes.split("/"))
    if kind == "tokens":
        sp = TokenTextSplitter(encoding_name="cl100k_base", chunk_size=size, chunk_overlap=overlap)
    else:
        sp = RecursiveCharacterTextSplitter.from_tiktoken_encoder(
            encoding_name="cl100k_base", chunk_size=size, chunk_overlap=overlap, separators=seps)
    t = time.perf_counter()
    n = sum(len(sp.split_text(x)) for x in texts)
    out[spec] = [n, time.perf_counter() - t]
print(json.dumps(out))
'''


def run(cmd, **kw):
    print("$ " + " ".join(str(c) for c in cmd), file=sys.stderr)
    return subprocess.run(cmd, check=True, **kw)


def cl100k_file():
    home = Path(os.environ.get("CARGO_HOME", Path.home() / ".cargo"))
    hits = sorted(glob.glob(str(home / "registry/src/*/tiktoken-rs-*/assets/cl100k_base.tiktoken")))
    if not hits:
        sys.exit("bench_chunking: cl100k_base.tiktoken not found in Cargo's registry "
                 "(run `cargo test -p ragdiag-chunk` once to fetch tiktoken-rs)")
    return hits[-1]


def ours(chroma):
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    exe = target / "release" / "examples" / "chroma_chunks"
    run(["cargo", "build", "--release", "-q", "-p", "ragdiag-chunk", "--example", "chroma_chunks"], cwd=ROOT)
    out = run([exe, chroma], cwd=ROOT, capture_output=True, text=True).stdout
    res = {}
    for line in out.splitlines():
        m = re.match(r"^(\S+)@cl100k\s+(\d+)\s+\S+\s+(\S+)\s", line)
        if m and m.group(1) in SPECS:
            res[m.group(1)] = [int(m.group(2)), float(m.group(3))]
    missing = [s for s in SPECS if s not in res]
    if missing:
        sys.exit(f"bench_chunking: chroma_chunks printed no line for {missing}:\n{out}")
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--chroma", default=str(ROOT.parent / "shared/datasets/chroma_chunking_eval"))
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    if not Path(args.chroma, "corpora").is_dir():
        sys.exit(f"bench_chunking: {args.chroma}/corpora not found")
    if not (VENV / "bin" / "python").exists():
        run([sys.executable, "-m", "venv", VENV])
    py = VENV / "bin" / "python"
    run([py, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "langchain-text-splitters==1.1.3", "tiktoken"])
    cache = tempfile.mkdtemp(prefix="tiktoken-")
    try:
        shutil.copy(cl100k_file(), Path(cache, hashlib.sha1(CL100K_URL.encode()).hexdigest()))
        env = dict(os.environ, TIKTOKEN_CACHE_DIR=cache)
        rounds_ours, rounds_peer = [], []
        for _ in range(args.repeat):
            rounds_ours.append(ours(args.chroma))
            out = run([py, "-c", PEER, args.chroma, json.dumps(SPECS)], env=env,
                      capture_output=True, text=True).stdout
            rounds_peer.append(json.loads(out))
    finally:
        shutil.rmtree(cache, ignore_errors=True)

    def med(rounds, spec):
        return statistics.median(r[spec][1] for r in rounds)

    print(f"\nmedian of {args.repeat} interleaved rounds, seconds to chunk the five corpora")
    print(f"{'spec':<20} {'ragdiag s':>10} {'LangChain s':>12} {'speed-up':>9} {'chunks':>8} {'LC chunks':>10}")
    tot_o = tot_p = 0.0
    for s in SPECS:
        o, p = med(rounds_ours, s), med(rounds_peer, s)
        tot_o += o
        tot_p += p
        print(f"{s:<20} {o:>10.3f} {p:>12.3f} {p / o:>8.1f}x {rounds_ours[0][s][0]:>8} {rounds_peer[0][s][0]:>10}")
    print(f"{'all eight':<20} {tot_o:>10.3f} {tot_p:>12.3f} {tot_p / tot_o:>8.1f}x")


if __name__ == "__main__":
    main()
