#!/usr/bin/env python3
"""Conflict pairs that `ragdiag freshness` reports on real text, for hand labelling.

Builds ragdiag corpus JSONL files from the shared data (read from `$RAGDIAG_SHARED`, default
`../shared`; never copied into the repository) under `.cache/conflict-bench/`, runs
`ragdiag freshness` on each, and writes every reported pair (corpus, doc ids, sentences) to
`--out` as JSONL. Fails when the shared data is missing.

Corpora and how they are split into documents (all current: undated, except Jest's pages,
which carry their own date; every document of a corpus has the corpus as its `source`, so
the audit's topic gate lets every pair through and the sentence rules alone decide):
- scifact: each abstract of datasets/scifact/corpus.jsonl (5,183);
- wikitexts: each article of chroma_chunking_eval/corpora/wikitexts.md (` = Title = ` lines);
- pubmed: each article (`PMID:` lines);
- finance: each paragraph (blank-line separated) of finance.md;
- state_of_the_union: each paragraph;
- chatlogs: each conversation (one per line), its messages joined;
- jest: the pages of the latest version (29.6) of kb/jest-2023/corpus.jsonl;
- jest-all: all 11 versions' pages together, as the KB holds them;
- jest-undated: the same without dates (every version current: real disagreements).

Usage: make_pairs.py --bin target/debug/ragdiag --out .cache/pairs-after.jsonl
"""
import argparse
import ast
import json
import os
import re
import subprocess
import sys

AS_OF = "2026-10-01"


def shared():
    root = os.environ.get("RAGDIAG_SHARED", "../shared")
    if not os.path.isdir(root):
        sys.exit(f"shared data missing: {root}")
    return root


def paragraphs(text):
    return [p.strip() for p in re.split(r"\n\s*\n", text) if len(p.strip()) > 0]


def corpora(root):
    chroma = os.path.join(root, "datasets/chroma_chunking_eval/corpora")
    read = lambda name: open(os.path.join(chroma, name), encoding="utf-8").read()
    out = {}
    docs = []
    for line in open(os.path.join(root, "datasets/scifact/corpus.jsonl"), encoding="utf-8"):
        d = json.loads(line)
        docs.append({"id": "scifact/" + d["_id"], "title": d["title"], "text": d["text"]})
    out["scifact"] = docs
    docs, cur, title = [], [], None
    for line in read("wikitexts.md").splitlines():
        m = re.match(r"^ = ([^=].*) = $", line)
        if m:
            if title and cur:
                docs.append({"id": f"wiki/{len(docs)}", "title": title, "text": "\n".join(cur)})
            title, cur = m.group(1).strip(), []
        elif line.strip():
            cur.append(line.strip())
    if title and cur:
        docs.append({"id": f"wiki/{len(docs)}", "title": title, "text": "\n".join(cur)})
    out["wikitexts"] = docs
    docs = []
    for i, part in enumerate(re.split(r"(?m)^(?=PMID: )", read("pubmed.md"))):
        if part.strip():
            docs.append({"id": f"pubmed/{i}", "text": part.strip()})
    out["pubmed"] = docs
    for name in ("finance", "state_of_the_union"):
        out[name] = [{"id": f"{name}/{i}", "text": p} for i, p in enumerate(paragraphs(read(name + ".md")))]
    docs = []
    for i, line in enumerate(read("chatlogs.md").splitlines()):
        if not line.strip():
            continue
        try:
            msgs = ast.literal_eval(line.strip())
            text = "\n".join(m["content"] for m in msgs)
        except (ValueError, SyntaxError, TypeError, KeyError):
            text = line.strip()
        docs.append({"id": f"chat/{i}", "text": text})
    out["chatlogs"] = docs
    docs = []
    for line in open(os.path.join(root, "kb/jest-2023/corpus.jsonl"), encoding="utf-8"):
        d = json.loads(line)
        if d.get("version") == "29.6":
            docs.append(d)
    out["jest"] = docs
    # All 11 versions loaded together, as the shared KB holds them (each page dated).
    out["jest-all"] = [json.loads(line) for line in
                       open(os.path.join(root, "kb/jest-2023/corpus.jsonl"), encoding="utf-8")]
    # The same pages without their dates: nothing is superseded, every version is current, and
    # pages whose statements changed between versions disagree for real.
    out["jest-undated"] = [{k: v for k, v in d.items() if k != "updated_at"} for d in out["jest-all"]]
    for name, ds in out.items():
        if not ds:
            sys.exit(f"{name}: no documents read")
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--work", default=".cache/conflict-bench")
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    rows = []
    for name, docs in corpora(shared()).items():
        path = os.path.join(args.work, name + ".jsonl")
        with open(path, "w", encoding="utf-8") as f:
            for d in docs:
                # One source per corpus, as a crawl of one site has: every pair of documents is
                # then "same topic", and only the sentence rules decide.
                f.write(json.dumps({**d, "source": name}) + "\n")
        outdir = os.path.join(args.work, name + "-out")
        subprocess.run([args.bin, "freshness", "--corpus", path, "--as-of", AS_OF, "--out", outdir],
                       check=True, stdout=subprocess.DEVNULL)
        summary = json.load(open(os.path.join(outdir, "summary.json"), encoding="utf-8"))
        corpus = summary["corpus"]
        for kind in ("conflicts", "updates"):
            for c in corpus.get(kind, []):
                rows.append({"corpus": name, "kind": kind, **c})
        print(f"{name}: {len(docs)} documents, {len(corpus['conflicts'])} conflicts, "
              f"{len(corpus.get('updates', []))} updates", file=sys.stderr)
    tmp = args.out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    os.replace(tmp, args.out)


if __name__ == "__main__":
    main()
