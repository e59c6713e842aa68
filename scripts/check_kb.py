#!/usr/bin/env python3
"""Conformance of `ragdiag freshness` on the real versioned-docs knowledge base ../shared/kb/jest-2023.

Runs the audit (as-of date fixed) on corpus.jsonl and compares its summary.json with truth.json:
- superseded pairs: a document counts as found when the audit marks it superseded and its
  `current` version (the end of its supersession chain) is the truth's successor; precision over
  every document the audit calls superseded, recall over the truth's 354 pairs;
- the page with no successor (`dropped_without_successor`) must not be called superseded;
- changed statements: a truth statement is found when a reported change has the same old and new
  statement (whitespace collapsed; one may contain the other, since sentence boundaries can
  differ) and its old document is one of the truth's `old_ids_with_same_sentence`.
Fails (exit 1) when the knowledge base is missing or a figure is under its floor.

Then the hygiene rules on real prose (`--scifact`): SciFact's 5,183 undated abstracts must give no
hygiene finding (no empty page, duplicate or boilerplate passage) and nothing stale; and a
synthetic news site built from 600 of those abstracts (dated; a footer on every page, an
advertisement-feedback block on every third, 55 failed extractions holding only that block with
different dates, 3 syndicated copies, 4 corrected articles) must give: the 55 failed pages
boilerplate-only and not stale, one group of 55 duplicates plus the 3 copies, the ad block and the
footer as boilerplate passages with their exact document counts, and exactly the 4 corrected
originals superseded.

Usage: check_kb.py --bin target/release/ragdiag [--kb ../shared/kb] [--scifact ../shared/datasets/scifact]
Python 3 standard library only.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

AS_OF = "2023-08-01"
MIN_PRECISION = 0.99   # measured 1.000 (354 of 354)
MIN_RECALL = 0.99      # measured 1.000 (354 of 354)
MIN_CHANGES_FOUND = 13  # measured 13 of 13 (one is an addition of accepted file names)


def norm(s):
    return " ".join(s.split())


def same_statement(a, b):
    a, b = norm(a), norm(b)
    return a == b or (len(a) > 20 and len(b) > 20 and (a in b or b in a))


AD = ("Advertisement. Thank you for your feedback. Was this ad relevant to you? Tell us why you do "
      "not want to see this ad: it is offensive, it is not relevant, it covers the content, it keeps "
      "repeating. Close.")
FOOTER = ("Sign up for our morning newsletter to get the day's top stories in your inbox. "
          "Copyright The Riverside Gazette. All rights reserved.")


def run_audit(bin_, corpus, as_of, out):
    subprocess.run([bin_, "freshness", "--corpus", corpus, "--as-of", as_of, "--out", out, "--quiet"],
                   check=True)
    return json.load(open(os.path.join(out, "summary.json")))["corpus"]


def check_hygiene(bin_, scifact, problems):
    path = os.path.join(scifact, "corpus.jsonl")
    if not os.path.isfile(path):
        problems.append(f"missing {path}")
        return
    with tempfile.TemporaryDirectory() as tmp:
        c = run_audit(bin_, path, "2026-01-01", os.path.join(tmp, "scifact"))
        h = c["hygiene"]
        print(f"SciFact ({c['documents']} abstracts): {len(h['near_empty'])} near-empty, "
              f"{len(h['duplicate_groups'])} duplicate groups, {h['boilerplate_passages_total']} boilerplate "
              f"passages, {h['boilerplate_shingles']} boilerplate shingles discounted, {c['stale']} stale")
        if h["near_empty"] or h["duplicate_groups"] or h["boilerplate_passages_total"] or c["stale"]:
            problems.append("SciFact: hygiene false alarms")

        abstracts = [json.loads(line) for line in open(path)][:600]
        docs = []
        for k, a in enumerate(abstracts):
            text = a["text"] + (" " + AD if k % 3 == 0 else "") + " " + FOOTER
            docs.append({"id": f"article-{k}", "title": a["title"], "text": text,
                         "updated_at": f"2024-{1 + k % 12:02d}-{1 + k % 28:02d}"})
        for k in range(55):
            docs.append({"id": f"failed-{k}", "text": AD, "updated_at": f"2025-{1 + k % 12:02d}-{1 + k % 28:02d}"})
        for k in range(3):
            docs.append(dict(docs[k * 10], id=f"syndicated-{k}"))
        for k in range(4):
            words = docs[100 + k]["text"].split(" ")
            words[5], words[6] = "corrected", "figure"
            docs.append(dict(docs[100 + k], id=f"correction-{k}", text=" ".join(words),
                             updated_at="2025-06-01"))
        news = os.path.join(tmp, "news.jsonl")
        with open(news, "w") as f:
            for d in docs:
                f.write(json.dumps(d) + "\n")
        c = run_audit(bin_, news, "2025-10-01", os.path.join(tmp, "news"))
    h = c["hygiene"]
    kinds = {}
    for e in h["near_empty"]:
        kinds[e["kind"]] = kinds.get(e["kind"], 0) + 1
    stale = sorted(s["doc"] for s in c["superseded"])
    passages = {p["text"][:13]: p["documents"] for p in h["boilerplate"]}
    ad_text = next((p["text"] for p in h["boilerplate"] if p["text"].startswith("Advertisement")), "")
    print(f"synthetic news ({c['documents']} pages from SciFact abstracts): near-empty {kinds}, "
          f"{len(h['duplicate_groups'])} duplicate groups (sizes {sorted(len(g) for g in h['duplicate_groups'])}), "
          f"passages {passages}, superseded {stale}")
    want_ad = 200 + 55 + 1 + (1 if 102 % 3 == 0 else 0)  # articles, failed, copy of article-0, correction
    expect = [
        (kinds == {"boilerplate only": 55}, "55 boilerplate-only pages"),
        (sorted(len(g) for g in h["duplicate_groups"]) == [2, 2, 2, 55], "duplicate groups 55 + 3 pairs"),
        (passages.get("Advertisement") == want_ad and ad_text.endswith("Close"),
         f"the whole ad block, in {want_ad} documents"),
        (passages.get("Sign up for o") == 600 + 3 + 4, "footer in 607 documents"),
        (stale == [f"article-{100 + k}" for k in range(4)], "exactly the 4 corrected originals superseded"),
    ]
    for ok, what in expect:
        if not ok:
            problems.append(f"synthetic news: expected {what}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    shared = os.environ.get("RAGDIAG_SHARED", "../shared")
    ap.add_argument("--kb", default=os.path.join(shared, "kb"))
    ap.add_argument("--scifact", default=os.path.join(shared, "datasets", "scifact"))
    args = ap.parse_args()
    kb = os.path.join(args.kb, "jest-2023")
    corpus, truth_path = os.path.join(kb, "corpus.jsonl"), os.path.join(kb, "truth.json")
    for f in (corpus, truth_path):
        if not os.path.isfile(f):
            print(f"check_kb: missing {f} (the shared knowledge bases must sit beside the repository)",
                  file=sys.stderr)
            return 1
    truth = json.load(open(truth_path))
    problems = []
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        subprocess.run([args.bin, "freshness", "--corpus", corpus, "--as-of", AS_OF, "--out", out,
                        "--quiet"], check=True)
        elapsed = time.perf_counter() - t0
        summary = json.load(open(os.path.join(out, "summary.json")))
    c = summary["corpus"]
    found = {s["doc"]: s for s in c["superseded"]}
    want = truth["superseded"]
    right = [d for d, s in found.items() if want.get(d) == s["current"]]
    p = len(right) / len(found) if found else 0.0
    r = len(right) / len(want)
    by_how = {}
    for s in found.values():
        by_how[s["how"]] = by_how.get(s["how"], 0) + 1
    print(f"jest-2023: {len(found)} superseded ({by_how}), {len(right)} with the true current version: "
          f"precision {p:.3f}, recall {r:.3f} ({elapsed:.2f} s)")
    if p < MIN_PRECISION:
        problems.append(f"superseded precision {p:.3f} < {MIN_PRECISION}")
    if r < MIN_RECALL:
        problems.append(f"superseded recall {r:.3f} < {MIN_RECALL}")
    for d, s in sorted(found.items()):
        if want.get(d) != s["current"]:
            print(f"  wrong: {d} -> {s['current']} (truth {want.get(d)})")
    for d in sorted(set(want) - set(found)):
        print(f"  missed: {d} (truth {want[d]})")
    for d in truth["dropped_without_successor"]:
        if d in found:
            problems.append(f"{d} has no successor but was called superseded by {found[d]['current']}")

    changes = c["changed_statements"]
    hits = 0
    for t in truth["changed_statements"]:
        olds = set(t["old_ids_with_same_sentence"]) | {t["old"]}
        ok = any(same_statement(x["old_statement"], t["old_sentence"])
                 and same_statement(x["new_statement"], t["new_sentence"])
                 and (olds & ({x["old_doc"]} | set(x["also_in"])))
                 for x in changes)
        hits += ok
        if not ok:
            print(f"  changed statement not found: {t['old']}: {t['old_sentence'][:90]!r}")
    print(f"changed statements: {hits} of {len(truth['changed_statements'])} recorded found; "
          f"{len(changes)} reported in all")
    if hits < MIN_CHANGES_FOUND:
        problems.append(f"changed statements found {hits} < {MIN_CHANGES_FOUND}")
    h = c["hygiene"]
    print(f"hygiene: {len(h['near_empty'])} near-empty, {len(h['duplicate_groups'])} duplicate groups, "
          f"{h['boilerplate_passages_total']} boilerplate passages")
    check_hygiene(args.bin, args.scifact, problems)
    for pr in problems:
        print("check_kb: " + pr, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
