#!/usr/bin/env python3
"""The second trace (BEIR SciFact, scripts/make_second_trace.py) end to end, and `trend`.

1. Builds the second trace, diagnoses it with --price and --target-accuracy, and checks its
   report.html with scripts/check_report_html.py (every section, figures against summary.json,
   no network): the thresholds, review, reranker, fix-first and cost sections are present.
2. Checks that thresholds.parquet and review.csv were written beside it.
3. Degrades the trace (the first retrieved item of every other question dropped), diagnoses it
   again, and runs `ragdiag trend` over the two dated runs and the first again:
   the degrading step must be found (a regression with Holm p < 0.05),
   `--fail-on-regression` must exit 1, and the recovering step must not be a regression.

Reads ../shared/datasets (never copied); fails, never skips, when anything is missing.
"""
import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def fail(msg: str) -> None:
    print(f"check_second_trace: {msg}", file=sys.stderr)
    sys.exit(1)


def run(cmd: list[str], expect: int = 0) -> subprocess.CompletedProcess:
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != expect:
        fail(f"{' '.join(cmd[:3])}…: exit {p.returncode}, expected {expect}\n{p.stderr[-2000:]}")
    return p


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", default=str(REPO / "target" / "release" / "ragdiag"))
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "datasets")
    ap.add_argument("--keep", type=Path, help="keep the reports here (default: a temporary folder)")
    a = ap.parse_args()
    corpus = a.shared / "scifact" / "corpus.jsonl"
    if not corpus.is_file():
        fail(f"{corpus} is missing (BEIR SciFact is read from ../shared/datasets)")
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory() as t:
        out = a.keep or Path(t)
        out.mkdir(parents=True, exist_ok=True)
        second = out / "second"
        run([sys.executable, str(REPO / "scripts" / "make_second_trace.py"), "--bin", a.bin,
             "--shared", str(a.shared), "--out", str(second)])
        questions, trace = second / "questions.jsonl", second / "trace.jsonl"

        def diagnose(trace_path: Path, report: Path) -> dict:
            run([a.bin, "diagnose", "--quiet", "--corpus", str(corpus), "--queries", str(questions),
                 "--trace", str(trace_path), "--target-accuracy", "0.8", "--score-floor", "15",
                 "--price", "prompt=3,completion=15", "--out", str(report)])
            return json.loads((report / "summary.json").read_text(encoding="utf-8"))

        base = out / "run-1"
        s = diagnose(trace, base)
        for key in ("thresholds", "review", "reranker", "cost"):
            if not s.get(key):
                fail(f"{base}/summary.json: no {key} block on the second trace")
        if not s.get("fix_first"):
            fail(f"{base}/summary.json: no fix_first actions on the second trace")
        for f in ("thresholds.parquet", "review.csv", "queries.parquet", "report.html"):
            if not (base / f).is_file():
                fail(f"{base}/{f} was not written")
        run([sys.executable, str(REPO / "scripts" / "check_report_html.py"), str(base / "report.html"),
             str(base / "summary.json"), "--screenshot", str(out / "second-report.png")])

        # A worse run: every other question loses its first retrieved item.
        worse_trace = out / "worse.trace.jsonl"
        lines = trace.read_text(encoding="utf-8").splitlines()
        with worse_trace.open("w", encoding="utf-8") as f:
            for i, line in enumerate(lines):
                r = json.loads(line)
                if i % 2 == 0 and r.get("retrieved"):
                    r["retrieved"] = r["retrieved"][1:]
                f.write(json.dumps(r) + "\n")
        worse = out / "run-2"
        diagnose(worse_trace, worse)
        trend_out = out / "trend"
        dates = ["--date", f"{base}=2026-01-01", "--date", f"{worse}=2026-01-08"]
        # The first run again a week later: the recovering step is no regression.
        again = out / "run-3"
        again.mkdir(exist_ok=True)
        for f in ("summary.json", "queries.parquet"):
            (again / f).write_bytes((base / f).read_bytes())
        dates += ["--date", f"{again}=2026-01-15"]
        p = run([a.bin, "trend", str(base), str(worse), str(again), *dates,
                 "--fail-on-regression", "hit@5=0.02", "--out", str(trend_out)], expect=1)
        if "regression: run-2 hit@5 dropped" not in p.stderr:
            fail(f"trend: the gate did not name the regressing run:\n{p.stderr[-1000:]}")
        tr = json.loads((trend_out / "trend.json").read_text(encoding="utf-8"))
        steps = tr["steps"]
        if [r["name"] for r in tr["runs"]] != ["run-1", "run-2", "run-3"]:
            fail(f"trend: runs out of date order: {[r['name'] for r in tr['runs']]}")
        hit = next((c for c in steps[0]["comparisons"] if c["metric"] == "hit@5"), None)
        if not (steps[0]["regression"] and hit and hit["regression"] and hit["ci_upper"] < 0):
            fail(f"trend: the degrading step is not a regression: {json.dumps(steps[0])[:800]}")
        if steps[1]["regression"]:
            fail("trend: the recovering step is marked a regression")
        html = (trend_out / "trend.html").read_text(encoding="utf-8")
        if "<script" in html or "class=\"line regression\"" not in html:
            fail("trend.html: a script, or no regression segment in the charts")
        if "**regression**" not in (trend_out / "trend.md").read_text(encoding="utf-8"):
            fail("trend.md: the regression is not marked")
    print(f"check_second_trace: ok ({len(lines)} questions; hit@5 {hit['difference']:+.3f}, "
          f"Holm p {hit['p_holm']:.4f}) in {time.monotonic() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
