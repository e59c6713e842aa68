#!/usr/bin/env python3
"""Version-tied labels on ../shared/kb/jest-2023: label on an old version's pages, load the newer.

    scripts/check_label_versions.py [RAGDIAG_BIN] [--kb DIR] [--old 27.x] [--new 29.6]

The knowledge base holds every page of every Jest docs version (ids `VERSION/Page`). This
script makes two snapshots of one knowledge base from it, in a temporary folder: the pages of
the old version and those of the new one, each under its version-free id (`Page`), as a team's
KB looks before and after an upgrade. Questions are labelled on the old snapshot: for every
page in both versions, a judgment with the sha256 of the old page's text (written as a labeller
would, through `ragdiag labels import`), plus evidence quotes: each recorded changed statement of
the old version (truth.json's `changed_statements`) and one sentence of every page that exists
in both versions unchanged. Then `ragdiag labels check` runs against each snapshot:

  - on the old snapshot nothing needs re-review;
  - on the new one exactly the judgments of pages whose text changed are flagged, those of
    byte-identical pages are current, the changed statements' evidence is gone, and the
    unchanged sentences are found or moved;
  - `diagnose --stale-labels flag` on the new snapshot (BM25) lists the same labels in its
    golden-set panel and scores them as `include` does; `exclude` drops exactly them and the
    metrics change (both printed with intervals and n).

Fails (exit 1) when ../shared is missing, never skips. Standard library only.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path


def sha(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def main() -> int:
    here = Path(__file__).resolve().parent.parent
    ap = argparse.ArgumentParser()
    ap.add_argument("bin", nargs="?", default=str(here / "target/release/ragdiag"))
    ap.add_argument("--kb", default=str(here.parent / "shared/kb/jest-2023"))
    ap.add_argument("--old", default="27.x")
    ap.add_argument("--new", default="29.6")
    a = ap.parse_args()
    kb = Path(a.kb)
    if not (kb / "corpus.jsonl").is_file() or not (kb / "truth.json").is_file():
        print(f"FAIL {kb}: jest-2023 knowledge base missing (corpus.jsonl, truth.json)")
        return 1
    pages = [json.loads(l) for l in (kb / "corpus.jsonl").read_text().splitlines() if l.strip()]
    truth = json.loads((kb / "truth.json").read_text())

    def snapshot(version: str) -> dict[str, dict]:
        out = {}
        for p in pages:
            if p["id"].startswith(version + "/"):
                q = {k: v for k, v in p.items() if k in ("title", "text", "updated_at")}
                q["id"] = p["id"][len(version) + 1 :]
                out[q["id"]] = q
        return out

    old, new = snapshot(a.old), snapshot(a.new)
    both = sorted(set(old) & set(new))
    if len(both) < 10:
        print(f"FAIL only {len(both)} pages in both {a.old} and {a.new}")
        return 1
    changed_pages = {p for p in both if old[p]["text"] != new[p]["text"]}
    statements = [
        c for c in truth["changed_statements"]
        if c["old"].startswith(a.old + "/") and c["old"][len(a.old) + 1 :] in both
    ]

    problems: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        for name, snap in (("old", old), ("new", new)):
            with open(t / f"{name}.jsonl", "w") as f:
                for p in snap.values():
                    f.write(json.dumps(p) + "\n")
        # Questions: one per page in both versions; evidence quotes as described above.
        questions, labels, expected_ev = [], [], {}
        for i, page in enumerate(both):
            qid = f"q{i:03d}"
            evidence = []
            for c in statements:
                if c["old"].endswith("/" + page) and c["old_sentence"] in old[page]["text"]:
                    evidence.append({"doc": page, "quote": c["old_sentence"], "doc_hash": sha(old[page]["text"])})
                    expected_ev[(qid, len(evidence) - 1)] = {"gone"}
            if page not in changed_pages or not evidence:
                # One sentence of the page (the longest line of prose under 300 characters).
                lines = [l.strip() for l in old[page]["text"].splitlines()]
                prose = [l for l in lines if 40 <= len(l) <= 300 and re.match(r"[A-Z]", l)]
                if prose:
                    quote = max(prose, key=len)
                    start = old[page]["text"].index(quote)
                    evidence.append({
                        "doc": page, "quote": quote, "doc_hash": sha(old[page]["text"]),
                        "start": len(old[page]["text"][:start]),
                        "end": len(old[page]["text"][:start]) + len(quote),
                    })
                    still = quote in new[page]["text"]
                    expected_ev[(qid, len(evidence) - 1)] = (
                        {"found"} if page not in changed_pages
                        else ({"found", "moved"} if still else {"gone", "found", "moved"})
                    )
            questions.append({"id": qid, "text": f"What does the {old[page].get('title') or page} page say?",
                              "evidence": evidence})
            labels.append({"query_id": qid, "doc": page, "grade": 2, "labeller": "checker",
                           "labelled_at": "2026-01-15T00:00:00Z", "doc_hash": sha(old[page]["text"])})
        with open(t / "questions.jsonl", "w") as f:
            for q in questions:
                f.write(json.dumps(q) + "\n")
        with open(t / "labels.jsonl", "w") as f:
            for l in labels:
                f.write(json.dumps(l) + "\n")
        subprocess.run([a.bin, "labels", "import", "--quiet", str(t / "labels.jsonl"),
                        "--queries", str(t / "questions.jsonl"), "--out", str(t / "labelled.jsonl")],
                       check=True, stdout=subprocess.DEVNULL)

        def check(snap: str) -> dict:
            out = subprocess.run([a.bin, "labels", "check", "--corpus", str(t / f"{snap}.jsonl"),
                                  "--queries", str(t / "labelled.jsonl"), "--format", "json"],
                                 check=True, capture_output=True, text=True).stdout
            return json.loads(out)

        before, after = check("old"), check("new")
        if before["needs_review"] != 0:
            problems.append(f"on the old snapshot {before['needs_review']} labels need re-review, expected 0")
        flagged = {l["doc"] for l in after["checked"] if l["kind"] == "judgment" and l["needs_review"]}
        if flagged != changed_pages:
            problems.append(f"flagged judgments {sorted(flagged ^ changed_pages)} differ from the changed pages")
        ev_rows = [l for l in after["checked"] if l["kind"] == "evidence"]
        counters: dict[str, int] = {}
        by_q: dict[str, list] = {}
        for l in ev_rows:
            by_q.setdefault(l["query_id"], []).append(l)
            counters[l["evidence"]] = counters.get(l["evidence"], 0) + 1
        for (qid, n), allowed in expected_ev.items():
            got = by_q[qid][n]["evidence"]
            if got not in allowed:
                problems.append(f"{qid} evidence {n} ({by_q[qid][n]['doc']}): {got}, expected {sorted(allowed)}")
        gone_statements = sum(1 for v in expected_ev.values() if v == {"gone"})
        print(f"{len(both)} pages in {a.old} and {a.new}, {len(changed_pages)} changed; "
              f"labels tied: {after['tied']}; need re-review on {a.new}: {after['needs_review']} "
              f"(on {a.old}: {before['needs_review']}); evidence on {a.new}: "
              + ", ".join(f"{k} {v}" for k, v in sorted(counters.items()))
              + f"; {gone_statements} changed statements' evidence")
        # diagnose on the new snapshot (BM25 replay): `flag` scores the stale labels and lists
        # them in the golden-set panel; `exclude` drops them from the metrics.
        def diagnose(rule: str) -> dict:
            out = t / f"report-{rule}"
            r = subprocess.run([a.bin, "diagnose", "--quiet", "--corpus", str(t / "new.jsonl"),
                                "--queries", str(t / "labelled.jsonl"), "--retriever", "bm25",
                                "--as-of", "2026-10-01", "--stale-labels", rule, "--out", str(out)],
                               capture_output=True, text=True,
                               env={**os.environ, "RAGDIAG_HOME": str(t / "home")})
            if r.returncode != 0:
                sys.stderr.write(r.stderr)
                raise SystemExit(f"FAIL diagnose --stale-labels {rule} exited {r.returncode}")
            return json.loads((out / "summary.json").read_text())

        flag, exclude, include = diagnose("flag"), diagnose("exclude"), diagnose("include")
        # Every label needing re-review is in golden.jsonl; summary.json lists the first 100 of
        # them and counts them all.
        lines = [json.loads(l) for l in (t / "report-flag" / "golden.jsonl").read_text().splitlines()]
        every = [l for l in lines if l["list"] == "needs_review"]
        listed = {(l["query_id"], l["doc"], l["kind"]) for l in every}
        expected = {(l["query_id"], l["doc"], l["kind"]) for l in after["checked"] if l["needs_review"]}
        if listed != expected:
            problems.append(f"diagnose --stale-labels flag lists {len(listed)} labels, labels check {len(expected)}")
        g = flag["golden_set"]
        if g["counts"]["needs_review"] != len(every):
            problems.append(f"golden_set.counts.needs_review {g['counts']['needs_review']}, golden.jsonl {len(every)}")
        first = [{k: v for k, v in l.items() if k != "list"} for l in every[:100]]
        if g["needs_review"] != first:
            problems.append("golden_set.needs_review is not the first 100 of golden.jsonl's")
        if flag["metrics"] != include["metrics"]:
            problems.append("--stale-labels flag and include score differently")
        n_stale = sum(1 for l in after["checked"] if l["needs_review"])
        if exclude["golden_set"]["excluded"] != n_stale:
            problems.append(f"--stale-labels exclude dropped {exclude['golden_set']['excluded']} entries, expected {n_stale}")
        if exclude["metrics"] == flag["metrics"]:
            problems.append("--stale-labels exclude did not change the metrics")

        def fig(s: dict, m: str) -> str:
            iv = s["metrics"].get(m) or {}
            if iv.get("mean") is None:
                return f"{m} n/a (n = {iv.get('n', 0)})"
            return f"{m} {iv['mean']:.3f} ({iv['ci_lower']:.3f}-{iv['ci_upper']:.3f}, n = {iv['n']})"

        for m in ("hit@5", "ndcg@10"):
            print(f"diagnose on {a.new}: {fig(flag, m)} with the stale labels (flag), "
                  f"{fig(exclude, m)} without them (exclude)")
    for p in problems:
        print("FAIL", p)
    if not problems:
        print("version-tied labels on jest-2023: ok")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
