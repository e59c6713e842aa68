#!/usr/bin/env python3
"""Build a second, independent trace of a different shape from BEIR SciFact.

    scripts/make_second_trace.py --out DIR [--bin target/release/ragdiag] [--seed 7]
                                 [--shared ../shared/datasets]

SciFact is read where it lies (`../shared/datasets/scifact`, never copied into the repository);
the script fails when it is missing. It writes to DIR:

- `questions.jsonl`: SciFact's test claims that carry a verdict, as ragdiag questions: the
  qrels' documents as relevant, the verdict (`supported` / `contradicted`) as the reference
  answer, and a tag for the claim's length (`short` / `long`).
- `trace.jsonl`: a plain ragdiag trace. Retrieval is real: `ragdiag index` (BM25 only) and
  `ragdiag search --retriever bm25 --k 30` over the SciFact corpus. Each question has 10
  whole-document hits with their scores; 40% of questions also carry `candidates`, the 30 BM25
  hits in pre-rerank order, their 10 hits then being a seeded noisy rerank of those 30 (the
  reranker's own scores). Answers are seeded and synthetic but follow retrieval: with the gold
  document in the top 5 the answer states the right verdict with a sentence of that document
  (80%), the wrong verdict (10%) or abstains (10%); without it, the right verdict by chance
  (35%), the wrong one with a sentence of the top hit (35%) or abstains (30%). Latency is
  log-normal (median ~2.4 s, heavy tail; the demo's is ~1 s and narrow), prompt tokens follow
  the length of the 10 documents, completion tokens the answer.

What it demonstrates: the score-floor sweep on scores that do carry signal (a low BM25 top
score means the gold document is more often missed, so answers are more often wrong), the
review queue, and, for the reranker and trend reports, a trace with `candidates`. Then:

    ragdiag diagnose --corpus ../shared/datasets/scifact/corpus.jsonl \\
        --queries DIR/questions.jsonl --trace DIR/trace.jsonl --out DIR/report

Standard library only.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def fail(msg: str) -> None:
    print(f"make_second_trace: {msg}", file=sys.stderr)
    sys.exit(1)


def read_run(path: Path) -> dict[str, list[tuple[str, float]]]:
    run: dict[str, list[tuple[str, float]]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) >= 5:
            run.setdefault(parts[0], []).append((parts[2], float(parts[4])))
    for hits in run.values():
        hits.sort(key=lambda h: -h[1])
    return run


def first_sentence(text: str, words: int = 30) -> str:
    cut = text.split(". ")[0].split()
    return " ".join(cut[:words]).rstrip(".") + "."


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--bin", default=str(REPO / "target" / "release" / "ragdiag"))
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "datasets")
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    sf = a.shared / "scifact"
    corpus_path, queries_path, qrels_path = sf / "corpus.jsonl", sf / "queries.jsonl", sf / "qrels" / "test.tsv"
    for p in (corpus_path, queries_path, qrels_path):
        if not p.is_file():
            fail(f"{p} is missing (BEIR SciFact is read from ../shared/datasets)")
    if not Path(a.bin).is_file():
        fail(f"{a.bin}: no ragdiag binary (cargo build --release, or pass --bin)")
    rng = random.Random(a.seed)

    docs: dict[str, str] = {}
    with corpus_path.open(encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            docs[str(d["_id"])] = ((d.get("title") or "") + ". " + (d.get("text") or "")).strip()
    qrels: dict[str, list[str]] = {}
    for line in qrels_path.read_text(encoding="utf-8").splitlines()[1:]:
        qid, doc, score = line.split("\t")
        if int(score) > 0:
            qrels.setdefault(qid, []).append(doc)
    questions = []
    with queries_path.open(encoding="utf-8") as f:
        for line in f:
            q = json.loads(line)
            qid = str(q["_id"])
            labels = {e["label"] for ev in (q.get("metadata") or {}).values() for e in ev}
            if qid in qrels and len(labels) == 1:
                verdict = "supported" if labels == {"SUPPORT"} else "contradicted"
                questions.append((qid, q["text"], verdict))
    if not questions:
        fail(f"{queries_path}: no test claim with a verdict")

    a.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        beir_queries = tmp / "queries.jsonl"
        beir_queries.write_text(
            "".join(json.dumps({"_id": qid, "text": text}) + "\n" for qid, text, _ in questions),
            encoding="utf-8",
        )
        index, run_path = tmp / "index", tmp / "run.trec"
        for cmd in (
            [a.bin, "index", "--corpus", str(corpus_path), "--model", "none", "--out", str(index), "--quiet"],
            [a.bin, "search", "--index", str(index), "--queries", str(beir_queries), "--retriever", "bm25",
             "--k", "30", "--run", str(run_path), "--quiet"],
        ):
            p = subprocess.run(cmd, capture_output=True, text=True)
            if p.returncode != 0:
                fail(f"{' '.join(cmd[:2])} failed: {p.stderr.strip()[-400:]}")
        run = read_run(run_path)

    q_lines, t_lines = [], []
    for qid, text, verdict in questions:
        hits = run.get(qid, [])
        if not hits:
            continue
        gold = qrels[qid]
        q_lines.append({
            "id": qid,
            "text": text,
            "relevant": [{"doc": d, "grade": 1} for d in gold],
            "reference_answer": [verdict],
            "answerable": True,
            "tags": ["short" if len(text.split()) <= 10 else "long"],
        })
        record: dict = {"query_id": qid}
        if rng.random() < 0.4:
            record["candidates"] = [{"doc": d, "score": round(s, 4)} for d, s in hits]
            reranked = sorted(((d, s + rng.gauss(0, 2.0)) for d, s in hits), key=lambda h: -h[1])
            final = reranked[:10]
        else:
            final = hits[:10]
        record["retrieved"] = [{"doc": d, "score": round(s, 4)} for d, s in final]
        in_context = any(d in gold for d, _ in final[:5])
        other = "contradicted" if verdict == "supported" else "supported"
        u = rng.random()
        if in_context:
            g = next(d for d, _ in final[:5] if d in gold)
            if u < 0.8:
                answer = f"The claim is {verdict}: {first_sentence(docs.get(g, ''))}"
            elif u < 0.9:
                answer = f"The claim is {other}: {first_sentence(docs.get(g, ''))}"
            else:
                answer = "I don't know: the documents do not settle it."
        elif u < 0.35:
            answer = f"The claim is {verdict}."
        elif u < 0.7:
            answer = f"The claim is {other}: {first_sentence(docs.get(final[0][0], ''))}"
        else:
            answer = "I could not find this in the documents."
        record["answer"] = answer
        record["latency_ms"] = round(math.exp(rng.gauss(math.log(2400), 0.5)), 1)
        record["prompt_tokens"] = 120 + sum(len(docs.get(d, "").split()) for d, _ in final) * 4 // 3
        record["completion_tokens"] = 8 + len(answer.split()) * 4 // 3
        t_lines.append(record)
    (a.out / "questions.jsonl").write_text("".join(json.dumps(q) + "\n" for q in q_lines), encoding="utf-8")
    (a.out / "trace.jsonl").write_text("".join(json.dumps(r) + "\n" for r in t_lines), encoding="utf-8")
    with_candidates = sum(1 for r in t_lines if "candidates" in r)
    print(f"make_second_trace: {len(t_lines)} questions ({with_candidates} with candidates) in {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
