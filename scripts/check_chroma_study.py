#!/usr/bin/env python3
"""Run `ragdiag chunking` on Chroma's chunking-evaluation set and print our span metrics beside
the figures Chroma's report "Evaluating Chunking Strategies for Retrieval" publishes for
all-MiniLM-L6-v2 (mean over the 472 questions, %, 5 chunks retrieved).

Only two all-MiniLM-L6-v2 figures are recorded (in ../shared/datasets/README.md):
TokenTextSplitter 250/125 has the best recall (82.4) and ClusterSemanticChunker 200 the best IoU
(7.2). Both are checked: the recall within 2 points, the IoU within 1 point, and, when the study
runs more than one strategy, that ClusterSemanticChunker 200 has the highest IoU of them all.
The rest of the published table is not recorded here, so the other strategies are checked for
internal consistency only (0 <= metric <= 1, IoU <= precision and recall, n = 472, every
question answered).

Exit 0 when every check passes, 1 when one fails or the data or binary is missing (never a
skip), 2 on a usage error.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

STRATEGIES = [
    ("TokenTextSplitter 800/400", "tokens:800/400@cl100k"),
    ("TokenTextSplitter 400/200", "tokens:400/200@cl100k"),
    ("TokenTextSplitter 250/125", "tokens:250/125@cl100k"),
    ("TokenTextSplitter 200/0", "tokens:200/0@cl100k"),
    ("RecursiveCharacterTextSplitter 800/400", "recursive:800/400@cl100k"),
    ("RecursiveCharacterTextSplitter 400/200", "recursive:400/200@cl100k"),
    ("RecursiveCharacterTextSplitter 400/0", "recursive:400/0@cl100k"),
    ("RecursiveCharacterTextSplitter 200/0", "recursive:200/0@cl100k"),
    ("ClusterSemanticChunker 400", "semantic:400@cl100k"),
    ("ClusterSemanticChunker 200", "semantic:200@cl100k"),
]

# (spec, metric) -> (published %, tolerance in points).
PUBLISHED = {
    ("tokens:250/125@cl100k", "span_recall"): (82.4, 2.0),
    ("semantic:200@cl100k", "span_iou"): (7.2, 1.0),
}

# The strategy the report names best on IoU.
BEST_IOU = "semantic:200@cl100k"

METRICS = ["span_recall", "span_precision", "span_iou", "precision_omega"]
QUESTIONS = 472


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", required=True, help="the ragdiag binary (release build)")
    ap.add_argument("--chroma", required=True, help="the chroma_chunking_eval folder")
    ap.add_argument("--out", help="report directory (default: a temporary one)")
    ap.add_argument("--strategies", help="comma-separated subset of specs (default: all ten)")
    args = ap.parse_args()

    if not os.path.isfile(args.bin) or not os.access(args.bin, os.X_OK):
        print(f"FAIL: {args.bin} is not an executable", file=sys.stderr)
        return 1
    for rel in ["questions_df.csv", "corpora"]:
        if not os.path.exists(os.path.join(args.chroma, rel)):
            print(f"FAIL: {os.path.join(args.chroma, rel)} is missing", file=sys.stderr)
            return 1
    specs = [s for _, s in STRATEGIES]
    if args.strategies:
        specs = [s.strip() for s in args.strategies.split(",") if s.strip()]
    names = {s: n for n, s in STRATEGIES}
    out = args.out or tempfile.mkdtemp(prefix="chroma-study-")
    cmd = [args.bin, "chunking", "--chroma", args.chroma, "--strategies", ",".join(specs),
           "--retriever", "dense", "--k", "5", "--model", "minilm", "--out", out,
           "--format", "json"]
    print("$ " + " ".join(cmd), file=sys.stderr)
    t0 = time.time()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE)
    elapsed = time.time() - t0
    if proc.returncode != 0:
        print(f"FAIL: ragdiag chunking exited {proc.returncode}", file=sys.stderr)
        return 1
    with open(os.path.join(out, "summary.json"), encoding="utf-8") as f:
        summary = json.load(f)

    failures = []
    print(f"{'strategy':<42} {'recall':>7} {'prec':>6} {'IoU':>6} {'precΩ':>6}  published")
    for s in summary["strategies"]:
        spec = s["strategy"]
        m = s["metrics"]
        vals = []
        for k in METRICS:
            v = m[k]
            if v["n"] != QUESTIONS:
                failures.append(f"{spec}: {k}: n {v['n']}, expected {QUESTIONS}")
            if v["mean"] is None or not 0.0 <= v["mean"] <= 1.0:
                failures.append(f"{spec}: {k}: mean {v['mean']} outside [0, 1]")
            vals.append(100.0 * (v["mean"] or 0.0))
        rec, prec, iou, omega = vals
        if iou > prec + 1e-9 or iou > rec + 1e-9:
            failures.append(f"{spec}: IoU {iou:.2f} above precision or recall")
        pub = []
        for k, v in zip(METRICS, vals):
            if (spec, k) in PUBLISHED:
                want, tol = PUBLISHED[(spec, k)]
                ok = abs(v - want) <= tol
                pub.append(f"{k} {want} ({'ok' if ok else 'OFF'}, ±{tol})")
                if not ok:
                    failures.append(f"{spec}: {k} {v:.1f} vs published {want} (±{tol})")
        label = f"{names.get(spec, spec)}"
        print(f"{label:<42} {rec:7.1f} {prec:6.2f} {iou:6.2f} {omega:6.2f}  {'; '.join(pub) or '-'}")
    ious = {s["strategy"]: s["metrics"]["span_iou"]["mean"] or 0.0 for s in summary["strategies"]}
    if BEST_IOU in ious and len(ious) > 1:
        best = max(ious, key=ious.get)
        if best != BEST_IOU:
            failures.append(f"best IoU is {best} ({100 * ious[best]:.2f}), "
                            f"not {BEST_IOU} ({100 * ious[BEST_IOU]:.2f}) as published")
        else:
            print(f"best IoU: {names.get(best, best)}, as published")
    print(f"elapsed {elapsed:.0f} s; embedded {summary['provenance'].get('embedded_texts')} new texts; "
          f"report in {out}")
    for f in failures:
        print("FAIL: " + f, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
