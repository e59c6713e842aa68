#!/usr/bin/env python3
"""Gathers the fuzz targets' seed corpora from the repository's fixtures into fuzz/corpus/TARGET/.

The seeds are made at run time (fuzz/corpus is not committed): the demo knowledge base
(corpora/tallyfox), its questions, trace, qrels and runs (queries/, examples/tallyfox/), the
trace fixtures of every format (crates/ragdiag-load/tests/fixtures/traces/) and the parity runs
and qrels (crates/ragdiag/tests/data/parity/). Targets whose inputs have no fixture file (HTML,
ragdiag.toml, specs) get a few hand-written seeds in the shapes the README documents. Formats
that take a selector byte (see each target's doc comment) get one seed per useful selector.

Usage: scripts/fuzz_seeds.py [OUT_DIR]   (default fuzz/corpus)
"""

import hashlib
import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "fuzz" / "corpus"
LIMIT = 16 * 1024  # libFuzzer's default -max_len is 4096; keep seeds near it


def seed(target: str, data: bytes, whole: bool = False) -> None:
    """Writes one seed, cut to LIMIT unless `whole` (a Parquet file is useless cut)."""
    d = OUT / target
    d.mkdir(parents=True, exist_ok=True)
    if not whole:
        data = data[:LIMIT]
    (d / hashlib.sha1(data).hexdigest()).write_bytes(data)


def read(rel: str) -> bytes:
    return (ROOT / rel).read_bytes()


def head_lines(data: bytes, n: int) -> bytes:
    return b"".join(data.splitlines(keepends=True)[:n])


def front_matter(text: str):
    """(fields, body) of a Markdown page with a simple `key: value` front matter."""
    fields, body = {}, text
    if text.startswith("---\n"):
        end = text.find("\n---\n", 4)
        if end > 0:
            for line in text[4:end].splitlines():
                k, _, v = line.partition(":")
                fields[k.strip()] = v.strip()
            body = text[end + 5 :]
    return fields, body


pages = sorted((ROOT / "corpora" / "tallyfox").glob("*.md"))
records = {}
for p in pages:
    text = p.read_text(encoding="utf-8")
    seed("frontmatter", text.encode())
    fields, body = front_matter(text)
    rec = {"id": fields.get("id", p.stem), "title": fields.get("title", ""), "text": body}
    if "updated_at" in fields:
        rec["updated_at"] = fields["updated_at"]
    records[rec["id"]] = rec

# Corpus JSONL (ragdiag's fields, and BEIR's `_id`), a few pages per seed.
lines = [json.dumps(r, ensure_ascii=False) for r in records.values()]
for i in range(0, min(len(lines), 24), 3):
    chunk = "\n".join(lines[i : i + 3]).encode() + b"\n"
    seed("corpus_jsonl", chunk)
    seed("parquet_corpus", b"\x01" + chunk)
beir = {"_id": "d1", "title": "", "text": next(iter(records.values()))["text"][:300]}
seed("corpus_jsonl", json.dumps(beir).encode() + b"\n")
seed("parquet_corpus", b"\x00" + read("crates/ragdiag-load/tests/fixtures/traces/phoenix.parquet"), whole=True)

# Questions: the first line is one corpus document, the rest questions whose evidence is in it.
for line in read("queries/tallyfox.jsonl").splitlines()[:40]:
    q = json.loads(line)
    docs = [e["doc"] for e in q.get("evidence", []) if e.get("doc") in records]
    doc = records[docs[0]] if docs else next(iter(records.values()))
    seed("queries_jsonl", json.dumps(doc, ensure_ascii=False).encode() + b"\n" + line + b"\n")

# Traces: selector byte = format index (0 ragdiag, 1 openinference, 2 otel, 3 ragas,
# 4 ragchecker, 5 detect) | 0x80 for a `.json` file name.
fx = "crates/ragdiag-load/tests/fixtures/traces/"
for name, fmt, json_ext in [
    ("ragdiag.trace.jsonl", 0, False),
    ("openinference.jsonl", 1, False),
    ("otlp.json", 2, True),
    ("ragas.jsonl", 3, False),
    ("ragchecker.json", 4, True),
]:
    data = read(fx + name)
    ext = 0x80 if json_ext else 0
    seed("trace", bytes([fmt | ext]) + data)
    seed("trace", bytes([5 | ext]) + data)
seed("trace", b"\x00" + head_lines(read("queries/tallyfox.trace.jsonl"), 20))
# | 0x40: a `.parquet` file (OpenInference spans as Phoenix saves them).
phoenix = read(fx + "phoenix.parquet")
seed("trace", bytes([0x40 | 1]) + phoenix, whole=True)
seed("trace", bytes([0x40 | 5]) + phoenix, whole=True)

# Qrels: selector 0 detect, 1 TREC, 2 BEIR.
for rel in ["examples/tallyfox/qrels.txt", "crates/ragdiag/tests/data/parity/ties.qrels",
            "crates/ragdiag/tests/data/parity/unique.qrels"]:
    data = head_lines(read(rel), 200)
    seed("qrels", b"\x00" + data)
    seed("qrels", b"\x01" + data)
    tsv = b"query-id\tcorpus-id\tscore\n" + b"".join(
        b"\t".join([f[0], f[2], f[3]]) + b"\n"
        for f in (l.split() for l in data.splitlines()) if len(f) == 4)
    seed("qrels", b"\x02" + tsv)

# Runs: selector % 3 = 0 detect, 1 TREC, 2 JSON; selector / 3 + 1 = the chunk size in bytes.
for rel in ["examples/tallyfox/production.trec", "examples/tallyfox/keyword.trec",
            "crates/ragdiag/tests/data/parity/ties.run", "crates/ragdiag/tests/data/parity/unique.run"]:
    data = head_lines(read(rel), 120)
    for sel in [0, 1, 3 * 9, 3 * 40 + 1, 3 * 84]:
        seed("run", bytes([sel]) + data)
    as_json = {}
    for f in (l.split() for l in data.decode().splitlines()):
        if len(f) >= 6:
            as_json.setdefault(f[0], {})[f[2]] = float(f[4])
    seed("run", b"\x02" + json.dumps(as_json, indent=1).encode())

# HTML: no page is committed; pages in the shapes a crawled help center has.
for html in [
    "<!doctype html><html><head><title>Refunds &amp; credits</title><style>p{}</style></head>"
    "<body><h1>Refunds</h1><p>Refunds are issued within <b>14 days</b>.</p><script>x<1</script>"
    "<ul><li>a &lt; b</li><li>caf&eacute; &#233; &#x1F600;</li></ul><textarea><p></textarea>"
    "<svg><text>hidden</text></svg><!-- note --><p>1 < 2 and a<b</p></body></html>",
    "<title>x</title><pre>  keep\n  lines </pre><br/>tail",
]:
    seed("html", html.encode())
for p in pages[:4]:
    seed("html", front_matter(p.read_text(encoding="utf-8"))[1].encode())

# ragdiag.toml, as the README shows it, and its edge cases.
for toml in [
    "corpus = 'corpora/tallyfox'\nqueries = 'queries/tallyfox.jsonl'\nout = 'reports/r'\n"
    "retriever = 'hybrid'\nchunker = 'recursive:400/50'\ncontext_k = 5\npool_k = 20\ncover = 0.5\n"
    "as_of = '2026-09-01'\nseed = 7\ngate_on = 'lower-ci'\n[fail_under]\n'recall@10' = 0.8\n",
    "trace = 't.jsonl'\ntrace_format = 'ragas'\nmodel = 'hash:64'\nanswer_f1 = 0.5\n"
    "ground_token_share = 0.6\nground_cosine = 0.7\nground_embeddings = true\n",
    "corpus = 'kb'\nout = 'r'\ncover = 1e-9\n",
]:
    seed("config_toml", toml.encode())

for m in ["official", "all_trec", "set", "P.5,10\nrecall.100", "ndcg_cut.10\nmap\nrecip_rank",
          "iprec_at_recall.0.30,0.5", "ndcg@10\nmrr\nrecall@100\np@5", "gm_map\nRprec_mult.0.2",
          "utility.1,-1,0,0", "ndcg.0=0,1=1,2=3", "relstring.10", "11pt_avg.0.2,0.8", "set_F.0.5"]:
    seed("measure_spec", m.encode())

body = front_matter(pages[0].read_text(encoding="utf-8"))[1][:1500] if pages else "text"
for spec in ["doc", "tokens:64/8", "tokens:32@cl100k", "recursive:100/10", "recursive:40/0@cl100k",
             "sentence:50", "markdown:80", "markdown:30@cl100k", "semantic:200"]:
    seed("chunker_spec", (spec + "\n" + body).encode())

# gate_spec: an even first byte for `--fail-under` gates, odd for `--price`.
for g in ["recall@10=0.8,ndcg@10=0.6", "hit@5=0.8", " mrr = 1e-3 ,", "class.ok=0.5,stale_hit_rate@5=-0.1"]:
    seed("gate_spec", b"\x00" + g.encode())
for p in ["prompt=3,completion=15", " completion = 0.6 ,prompt=0.15,", "prompt=1e-3,completion=0,prompt=2"]:
    seed("gate_spec", b"\x01" + p.encode())

# Label files as the labelling page exports them (JSONL; CSV with the pool's extra columns),
# on the demo's questions and documents.
qids = [json.loads(l)["id"] for l in read("queries/tallyfox.jsonl").splitlines()[:4] if l.strip()]
dids = list(records)[:3]
labels = []
for i, (q, d) in enumerate([(q, d) for q in qids for d in dids][:9]):
    for who in ["ann", "bo"] if i % 3 else ["ann"]:
        labels.append({"query_id": q, "doc": d, "grade": (i + len(who)) % 3, "labeller": who,
                       "labelled_at": f"2026-11-0{1 + i % 9}T10:00:00Z",
                       "doc_hash": "sha256:" + "ab" * 32, "note": "" if i % 2 else "évidence, \"quoted\""})
seed("labels", b"\x00" + "".join(json.dumps(l, ensure_ascii=False) + "\n" for l in labels).encode())
rows = ["query_id,doc,title,passage,grade,labeller,labelled_at,doc_hash,note"]
for l in labels:
    rows.append(",".join([l["query_id"], l["doc"], "A title", '"a passage, with ""quotes""\nand a line"',
                          str(l["grade"]) if l["grade"] else "", l["labeller"], l["labelled_at"],
                          l["doc_hash"], l["note"].replace('"', '""').join('""')]))
seed("labels", b"\x01" + ("\r\n".join(rows) + "\r\n").encode())

# Engine answers for the target's three fixed mappings (selector 0 columnar, 1 rows, 2 plain),
# and each example engine file with an answer of its shape after a NUL byte (selector 3).
columnar = {"ids": [["c1", "c2", "c3"]], "distances": [[0.12, 0.3, 0.31]],
            "documents": [["Héllo wörld", "final sigma: ΟΔΟΣ", None]],
            "metadatas": [[{"doc_id": "d1", "start": 0, "end": 11}, {"doc_id": "d2", "start": 3},
                           {"doc_id": "missing"}]], "error": None}
rows_answer = {"results": [{"hits": [
    {"document": {"id": "c1", "doc_id": "d1", "chunk": "d1#0", "start": 0, "end": 11,
                  "text": "Héllo wörld"}, "vector_distance": 0.1},
    {"document": {"id": 7, "doc_id": "7", "text": "An integer id."}, "vector_distance": 0.4}]}]}
plain = {"hits": [{"id": "d1", "score": 3.5}, {"id": "d2", "score": 1.25}, {"id": 7}]}
seed("engine_response", b"\x00" + json.dumps(columnar, ensure_ascii=False).encode())
seed("engine_response", b"\x01" + json.dumps(rows_answer, ensure_ascii=False).encode())
seed("engine_response", b"\x02" + json.dumps(plain).encode())
seed("engine_response", b"\x01" + json.dumps({"results": [{"error": "Not found."}]}).encode())
for p in sorted((ROOT / "examples/engines").glob("*.toml")):
    shape = rows_answer if "typesense" in p.name else columnar
    seed("engine_response", b"\x03" + p.read_bytes() + b"\x00" + json.dumps(shape).encode())
seed("engine_response", b"\x03" + b"url = 'http://127.0.0.1:9/s'\n[response]\nhits = '/hits'\nid = '/id'\n"
     b"score = '/score'\n\x00" + json.dumps(plain).encode())

# report_dir: a demo report's summary.json, a NUL byte, its queries.parquet (selector 0), and
# the same rows as JSONL (selector 1). Made with the ragdiag binary when one is built (CI builds
# it before fuzzing; the newer of the release and debug builds); without one, or if it fails,
# these seeds are left out, said on stderr.
built = [p for p in (ROOT / "target" / b / "ragdiag" for b in ["release", "debug"]) if p.exists()]
binary = max(built, key=lambda p: p.stat().st_mtime) if built else None
if binary is None:
    print("fuzz_seeds: no target/*/ragdiag: report_dir has no report seed", file=sys.stderr)
else:
    import subprocess
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        out = pathlib.Path(tmp) / "report"
        made = subprocess.run([str(binary), "diagnose", "--quiet", "--corpus", str(ROOT / "corpora/tallyfox"),
                               "--queries", str(ROOT / "queries/tallyfox.jsonl"),
                               "--trace", str(ROOT / "queries/tallyfox.trace.jsonl"),
                               "--as-of", "2026-10-01", "--out", str(out)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if made.returncode != 0:
            print(f"fuzz_seeds: {binary} diagnose failed, report_dir has no report seed:\n{made.stderr}",
                  file=sys.stderr)
        else:
            summary = (out / "summary.json").read_bytes()
            seed("report_dir", b"\x00" + summary + b"\x00" + (out / "queries.parquet").read_bytes(), whole=True)
            rows = [json.dumps({"query_id": f"q{i}", "class": c, "reason": "r", "weight": w,
                                "hit": h, "map": h / 2, "answer_correct": h > 0})
                    for i, (c, w, h) in enumerate([("ok", 1.0, 1.0), ("retrieval_miss", 2.5, 0.0),
                                                   ("ok", 0.0, 1.0)])]
            seed("report_dir", b"\x01" + summary + b"\x00" + "\n".join(rows).encode(), whole=True)

# export_stitch: chunks as an engine stores them (overlapping, with gaps, without offsets, far
# offsets, no text).
seed("export_stitch", "\n".join(json.dumps(c, ensure_ascii=False) for c in [
    {"id": "b#1", "doc": "b", "start": 4, "end": 10, "text": "é fgh "},
    {"id": "b#0", "doc": "b", "start": 0, "end": 6, "text": "abcdé "},
    {"id": "a#2", "doc": "a", "text": "second"}, {"id": "a#1", "doc": "a", "text": "first"},
    {"id": "c#0", "doc": "c", "start": 0, "end": 2, "text": "xy"},
    {"id": "c#1", "doc": "c", "start": 5, "end": 7, "text": "zw"},
    {"id": "d#0", "doc": "d", "start": 0, "end": 3, "text": "abc"},
    {"id": "d#1", "doc": "d", "start": 2, "end": 4, "text": "Xd"},
    {"id": "e#0", "doc": "e", "start": 40000000, "end": 40000002, "text": "yz"},
    {"id": "f#0", "doc": "f"}, {"id": "g"}]).encode())

# chroma: a questions_df.csv in Chroma's shape, a NUL byte, the text of corpora/c1.md (the
# target also writes a fixed corpora/chatlogs.md).
c1 = "Café prices rose 5%.\nRefunds take 14 days 👍."
refs = lambda spans: json.dumps([{"content": t, "start_index": s, "end_index": e} for t, s, e in spans],
                                ensure_ascii=False).replace('"', '""')
csv_text = "question,references,corpus_id\n" + "\n".join([
    f'"How fast are refunds?","{refs([("Refunds take 14 days", 21, 41)])}",c1',
    f'"Prices?","{refs([("Café prices rose 5%.", 0, 20), ("wrong", 3, 8), ("far", 90, 93)])}",c1',
    f'"Bot said?","{refs([("Refunds take 14 days", 32, 52)])}",chatlogs',
]) + "\n"
seed("chroma", csv_text.encode() + b"\x00" + c1.encode())
seed("chroma", b"\xef\xbb\xbf" + csv_text.encode() + b"\x00" + b"\xef\xbb\xbf" + c1.encode())

print(f"seeds in {OUT}: " + ", ".join(
    f"{d.name} {len(list(d.iterdir()))}" for d in sorted(OUT.iterdir()) if d.is_dir()))
