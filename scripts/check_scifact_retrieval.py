#!/usr/bin/env python3
"""BEIR SciFact through `ragdiag index` and `ragdiag search`: the acceptance figures of issue 4.

Builds one index of SciFact (title + text, one chunk per document, all-MiniLM-L6-v2 int8) into a
temporary folder, searches the 300 test queries with BM25, dense (exact and HNSW) and hybrid,
checks every figure against its bar, and checks that `ragdiag eval` on each written run gives the
figure `search` printed. Embeddings are cached under $RAGDIAG_HOME as usual, so a second run
embeds nothing; nothing is written into the repository.

Exit 0 when every check passes, 1 otherwise (the data missing is a failure, never a skip).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

BARS = {
    # retriever: (nDCG@10 at least, Recall@100 at least)
    "bm25": (0.665, 0.90),
    "dense-exact": (0.64, 0.91),
}
HNSW_RECALL_AT_10 = 0.99


def run(cmd: list[str]) -> subprocess.CompletedProcess:
    started = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True)
    took = time.perf_counter() - started
    print(f"$ {' '.join(cmd)}  ({took:.1f} s, exit {p.returncode})")
    if p.returncode != 0:
        print(p.stdout)
        print(p.stderr, file=sys.stderr)
        raise SystemExit(f"command failed with exit {p.returncode}")
    for line in p.stderr.splitlines():
        if line.startswith(("indexed", "searched", "HNSW")):
            print("   ", line)
    return p


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--scifact", required=True)
    args = ap.parse_args()
    corpus = os.path.join(args.scifact, "corpus.jsonl")
    queries = os.path.join(args.scifact, "queries.jsonl")
    qrels = os.path.join(args.scifact, "qrels", "test.tsv")
    for p in (corpus, queries, qrels):
        if not os.path.isfile(p):
            print(f"missing {p}", file=sys.stderr)
            return 1

    failures: list[str] = []
    figures: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        index = os.path.join(tmp, "scifact-index")
        run([args.bin, "index", "--corpus", corpus, "--out", index, "--quiet"])
        # A warm rebuild embeds nothing.
        warm = run([args.bin, "index", "--corpus", corpus, "--out", index])
        if "embedded 0 new texts" not in warm.stderr:
            failures.append(f"warm re-index embedded something: {warm.stderr.strip()}")

        cases = [
            ("bm25", ["--retriever", "bm25"]),
            ("dense-exact", ["--retriever", "dense", "--exact"]),
            ("dense-hnsw", ["--retriever", "dense"]),
            ("hybrid", ["--retriever", "hybrid", "--exact"]),
            ("hybrid-weighted", ["--retriever", "hybrid", "--exact", "--fusion", "weighted"]),
        ]
        for name, flags in cases:
            trec = os.path.join(tmp, f"{name}.trec")
            p = run(
                [args.bin, "search", "--index", index, "--queries", queries, "--qrels", qrels,
                 "--k", "100", "--run", trec, "--format", "json"] + flags
            )
            out = json.loads(p.stdout)
            m = out["metrics"]
            figures[name] = {
                "ndcg@10": m["ndcg@10"]["mean"],
                "recall@100": m["recall@100"]["mean"],
                "n": m["ndcg@10"]["n"],
            }
            if m["ndcg@10"]["n"] != 300:
                failures.append(f"{name}: {m['ndcg@10']['n']} queries evaluated, expected 300")
            # trec_eval semantics on the written run give the same figure.
            e = run([args.bin, "eval", "-m", "ndcg_cut.10", "-m", "recall.100", qrels, trec])
            ev = {line.split()[0]: float(line.split()[2]) for line in e.stdout.splitlines()}
            for measure, key in (("ndcg_cut_10", "ndcg@10"), ("recall_100", "recall@100")):
                if abs(ev[measure] - figures[name][key]) > 5e-5:
                    failures.append(
                        f"{name}: search printed {key} {figures[name][key]:.4f}, "
                        f"ragdiag eval on its run gives {ev[measure]:.4f}"
                    )

        # `diagnose` end to end without a trace (replay, hybrid, exact): warm, in seconds, and
        # its nDCG@10 is what trec_eval semantics give on its run.trec.
        report = os.path.join(tmp, "diagnose")
        diag = [args.bin, "diagnose", "--quiet", "--corpus", corpus, "--queries", queries,
                "--qrels", qrels, "--out", report]
        run(diag)  # builds (or reuses) the replay index
        started = time.perf_counter()
        run(diag)
        warm = time.perf_counter() - started
        figures["diagnose_warm_s"] = warm
        if warm >= 10:
            failures.append(f"warm diagnose on SciFact took {warm:.1f} s (bar: under 10 s)")
        with open(os.path.join(report, "summary.json")) as f:
            summary = json.load(f)
        shown = summary["metrics"]["ndcg@10"]["mean"]
        e = run([args.bin, "eval", "-m", "ndcg_cut.10", qrels, os.path.join(report, "run.trec")])
        from_eval = float(e.stdout.split()[2])
        figures["diagnose_ndcg@10"] = shown
        if abs(shown - from_eval) > 5e-5:
            failures.append(f"diagnose nDCG@10 {shown:.4f} but ragdiag eval on its run.trec gives {from_eval:.4f}")
        if summary["questions"]["total"] != 300:
            failures.append(f"diagnose saw {summary['questions']['total']} questions, expected 300")

        # HNSW recall@10 against exact search.
        p = run([args.bin, "search", "--index", index, "--queries", queries, "--qrels", qrels,
                 "--retriever", "dense", "--k", "10", "--run", os.path.join(tmp, "h10.trec"),
                 "--format", "json"])
        recall10 = json.loads(p.stdout)["ann_recall"]
        figures["hnsw_recall@10"] = recall10

    print()
    print(f"{'run':<16} {'nDCG@10':>8} {'R@100':>8}  bar")
    for name, f in figures.items():
        if not isinstance(f, dict):
            continue
        bar = BARS.get(name)
        bar_s = f"≥ {bar[0]} / ≥ {bar[1]}" if bar else ""
        print(f"{name:<16} {f['ndcg@10']:>8.4f} {f['recall@100']:>8.4f}  {bar_s}")
    print(f"HNSW recall@10 vs exact: {figures['hnsw_recall@10']:.4f} (bar ≥ {HNSW_RECALL_AT_10})")
    print(f"diagnose (replay, hybrid): nDCG@10 {figures['diagnose_ndcg@10']:.4f}, warm run {figures['diagnose_warm_s']:.1f} s (bar < 10 s)")

    for name, (ndcg, r100) in BARS.items():
        f = figures[name]
        if f["ndcg@10"] < ndcg:
            failures.append(f"{name}: nDCG@10 {f['ndcg@10']:.4f} < {ndcg}")
        if f["recall@100"] < r100:
            failures.append(f"{name}: Recall@100 {f['recall@100']:.4f} < {r100}")
    better = max(figures["bm25"]["ndcg@10"], figures["dense-exact"]["ndcg@10"])
    if figures["hybrid"]["ndcg@10"] < better:
        failures.append(
            f"hybrid nDCG@10 {figures['hybrid']['ndcg@10']:.4f} < the better of BM25 and dense ({better:.4f})"
        )
    if recall10 is None or recall10 < HNSW_RECALL_AT_10:
        failures.append(f"HNSW recall@10 {recall10} < {HNSW_RECALL_AT_10}")

    if failures:
        print("\nFAILED:", file=sys.stderr)
        for f in failures:
            print("  " + f, file=sys.stderr)
        return 1
    print("\nSciFact retrieval: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
