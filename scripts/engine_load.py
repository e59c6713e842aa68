#!/usr/bin/env python3
"""Load a ragdiag index's chunks with their exact vectors into a running engine.

The engine then holds ragdiag's own chunking and embeddings, so `--engine` replays can be
compared with ragdiag's own index (scripts/check_engines.sh). Reads `chunks.jsonl` and
`vectors.bin` (format in crates/ragdiag-index/src/vecfile.rs) of `ragdiag index --out DIR`.
Each chunk is stored with id `DOC#INDEX` and metadata `doc_id`, `start`, `end` (code points).
Standard library only.

    engine_load.py chroma    --index DIR --url http://127.0.0.1:8000 --collection tallyfox
    engine_load.py typesense --index DIR --url http://127.0.0.1:8108 --collection tallyfox \
        --api-key-env TYPESENSE_API_KEY
    engine_load.py pgvector  --index DIR --url "host=127.0.0.1 port=5432 user=u dbname=kb" \
        --collection chunks --psql PATH/psql [--hnsw]    (the password in PGPASSWORD)

For pgvector the table is (id text primary key, doc_id, start, "end", text, metadata jsonb,
embedding vector), loaded by psql's \\copy in CSV; with --corpus, `metadata` holds the document's
`updated_at` and `version` from its front matter; --hnsw adds an HNSW index for inner product.
"""

import argparse
import csv
import io
import json
import os
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.request


def corpus_texts(folder):
    """Document texts of a folder of Markdown files: the body after the front matter, whose `id`
    names the document (else the file name). Close to what ragdiag reads, enough for an engine's
    own text search; the offsets stored come from ragdiag's chunk table."""
    texts = {}
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".md"):
            continue
        raw = open(os.path.join(folder, name), encoding="utf-8").read()
        doc_id, body = name[:-3], raw
        if raw.startswith("---\n"):
            end = raw.find("\n---\n", 4)
            if end > 0:
                for line in raw[4:end].splitlines():
                    if line.startswith("id:"):
                        doc_id = line[3:].strip()
                body = raw[end + 5 :]
        texts[doc_id] = body
    return texts


def corpus_dates(folder):
    """Each document's `updated_at` and `version` from its front matter (those it has), for the
    metadata the engine stores with its chunks."""
    out = {}
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".md"):
            continue
        raw = open(os.path.join(folder, name), encoding="utf-8").read()
        doc_id, meta = name[:-3], {}
        end = raw.find("\n---\n", 4) if raw.startswith("---\n") else -1
        for line in raw[4:end].splitlines() if end > 0 else []:
            key, _, value = line.partition(":")
            value = value.strip().strip('"')
            if key == "id":
                doc_id = value
            elif key in ("updated_at", "version") and value:
                meta[key] = value
        out[doc_id] = meta
    return out


def read_index(folder):
    with open(os.path.join(folder, "chunks.jsonl"), encoding="utf-8") as f:
        chunks = [json.loads(line) for line in f if line.strip()]
    with open(os.path.join(folder, "vectors.bin"), "rb") as f:
        data = f.read()
    if data[:6] != b"RDVEC1":
        sys.exit(f"{folder}/vectors.bin: not a ragdiag vector file")
    (dim,) = struct.unpack_from("<I", data, 8)
    (count,) = struct.unpack_from("<Q", data, 12)
    if len(data) != 20 + 4 * count * (1 + dim):
        sys.exit(f"{folder}/vectors.bin: truncated")
    keys = struct.unpack_from(f"<{count}I", data, 20)
    base = 20 + 4 * count
    vectors = {}
    for row, key in enumerate(keys):
        vectors[key] = list(struct.unpack_from(f"<{dim}f", data, base + 4 * dim * row))
    rows = []
    for key, c in enumerate(chunks):
        if key not in vectors:
            sys.exit(f"{folder}: chunk {key} has no vector (built with --model none?)")
        rows.append(
            {
                "id": f"{c['doc']}#{c['index']}",
                "doc_id": c["doc"],
                "start": c["start"],
                "end": c["end"],
                "vector": vectors[key],
            }
        )
    return rows, dim


def call(method, url, body=None, headers=None, raw=None):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            text = resp.read().decode()
    except urllib.error.HTTPError as e:
        sys.exit(f"{method} {url}: HTTP {e.code}: {e.read().decode()[:500]}")
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def load_chroma(args, rows, dim):
    base = f"{args.url.rstrip('/')}/api/v2/tenants/default_tenant/databases/default_database/collections"
    try:
        existing = call("GET", f"{base}/{args.collection}")
        call("DELETE", f"{base}/{args.collection}")
        del existing
    except SystemExit:
        pass
    # Chroma indexes what was added in the background: wait until a query sees every chunk. On
    # a loaded machine a collection was once still short of chunks after three minutes (and the
    # comparison with ragdiag's own rankings then failed): each try waits up to 90 s, then the
    # collection is made again; after three tries the load fails, saying so.
    for attempt in range(3):
        if attempt:
            call("DELETE", f"{base}/{args.collection}")
        coll, seen = load_chroma_once(base, args, rows)
        if seen == len(rows):
            break
        print(
            f"chroma: try {attempt + 1}: a query sees {seen} of {len(rows)} chunks after 90 s",
            file=sys.stderr,
        )
    else:
        sys.exit(f"chroma: a query does not see all {len(rows)} chunks after three loads")
    n = call("GET", f"{base}/{coll['id']}/count")
    print(f"chroma: {n} chunks of dimension {dim} in {args.collection}")


def load_chroma_once(base, args, rows):
    """Creates the collection, adds the rows, and waits up to 90 s for a query to see them all:
    (the collection, how many chunks the last query saw)."""
    # Inner product on ragdiag's unit vectors: the same order as its exact dot product.
    coll = call(
        "POST",
        base,
        {
            "name": args.collection,
            # Up to batch_size vectors stay in Chroma's brute-force buffer: exact search for
            # collections this small (--exact-limit), as ragdiag's own diagnosis searches.
            "configuration": {
                "hnsw": {
                    "space": "ip",
                    "ef_search": 1000,
                    "ef_construction": 400,
                    "batch_size": args.exact_limit,
                    "sync_threshold": args.exact_limit,
                }
            },
        },
    )
    for i in range(0, len(rows), 500):
        part = rows[i : i + 500]
        call(
            "POST",
            f"{base}/{coll['id']}/add",
            {
                "ids": [r["id"] for r in part],
                "embeddings": [r["vector"] for r in part],
                "metadatas": [
                    {"doc_id": r["doc_id"], "start": r["start"], "end": r["end"]} for r in part
                ],
            },
        )
    seen = 0
    for _ in range(360):
        got = call(
            "POST",
            f"{base}/{coll['id']}/query",
            {"query_embeddings": [rows[0]["vector"]], "n_results": len(rows), "include": []},
        )
        seen = len(got["ids"][0])
        if seen == len(rows):
            break
        time.sleep(0.25)
    return coll, seen


def load_typesense(args, rows, dim):
    key = os.environ.get(args.api_key_env or "")
    if not key:
        sys.exit("--api-key-env: the variable is not set")
    h = {"X-TYPESENSE-API-KEY": key}
    base = args.url.rstrip("/")
    try:
        call("DELETE", f"{base}/collections/{args.collection}", headers=h)
    except SystemExit:
        pass
    call(
        "POST",
        f"{base}/collections",
        {
            "name": args.collection,
            "fields": [
                {"name": "doc_id", "type": "string"},
                {"name": "start", "type": "int32"},
                {"name": "end", "type": "int32"},
                {"name": "text", "type": "string", "optional": True},
                {"name": "embedding", "type": "float[]", "num_dim": dim},
            ],
        },
        headers=h,
    )
    texts = corpus_texts(args.corpus) if args.corpus else {}

    def doc(r):
        d = {"id": r["id"], "doc_id": r["doc_id"], "start": r["start"], "end": r["end"], "embedding": r["vector"]}
        if r["doc_id"] in texts:
            d["text"] = texts[r["doc_id"]][r["start"] : r["end"]]
        return d

    lines = "\n".join(json.dumps(doc(r)) for r in rows)
    out = call(
        "POST",
        f"{base}/collections/{args.collection}/documents/import?action=create",
        headers=h,
        raw=lines.encode(),
    )
    failed = [line for line in str(out).splitlines() if '"success":false' in line.replace(" ", "")]
    if failed:
        sys.exit(f"typesense import: {len(failed)} failed, e.g. {failed[0][:300]}")
    info = call("GET", f"{base}/collections/{args.collection}", headers=h)
    print(f"typesense: {info['num_documents']} chunks of dimension {dim} in {args.collection}")


def load_pgvector(args, rows, dim):
    if not args.psql:
        sys.exit("--psql: the psql program is required for pgvector")
    texts = corpus_texts(args.corpus) if args.corpus else {}
    dates = corpus_dates(args.corpus) if args.corpus else {}
    table = '"' + args.collection.replace('"', '""') + '"'

    def psql(sql, data=None, flags=()):
        cmd = [args.psql, args.url, "-X", "-q", "-v", "ON_ERROR_STOP=1", *flags, "-c", sql]
        p = subprocess.run(cmd, input=data, capture_output=True, text=True)
        if p.returncode != 0:
            sys.exit(f"psql: {sql[:80]}: {p.stderr.strip()[:500]}")
        return p.stdout

    psql(
        f"CREATE EXTENSION IF NOT EXISTS vector; DROP TABLE IF EXISTS {table}; "
        f'CREATE TABLE {table} (id text PRIMARY KEY, doc_id text NOT NULL, start int, "end" int, '
        f"text text, metadata jsonb, embedding vector({dim}) NOT NULL)"
    )
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    for r in rows:
        text = texts[r["doc_id"]][r["start"] : r["end"]] if r["doc_id"] in texts else None
        # repr of a float32 widened to a double reads back as the same float32.
        vec = "[" + ",".join(repr(x) for x in r["vector"]) + "]"
        meta = json.dumps(dates[r["doc_id"]]) if dates.get(r["doc_id"]) else None
        w.writerow([r["id"], r["doc_id"], r["start"], r["end"], text, meta, vec])
    psql(f'\\copy {table} (id, doc_id, start, "end", text, metadata, embedding) FROM STDIN WITH (FORMAT csv)', out.getvalue())
    if args.hnsw:
        psql(f"CREATE INDEX ON {table} USING hnsw (embedding vector_ip_ops)")
    psql(f"ANALYZE {table}")
    n = psql(f"SELECT count(*) FROM {table}", flags=["-At"]).strip()
    print(f"pgvector: {n} chunks of dimension {dim} in {args.collection}{' (HNSW index)' if args.hnsw else ''}")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("engine", choices=["chroma", "typesense", "pgvector"])
    p.add_argument("--index", required=True)
    p.add_argument("--url", required=True)
    p.add_argument("--collection", required=True)
    p.add_argument("--api-key-env")
    p.add_argument("--corpus", help="Typesense: a folder of Markdown files whose text is stored too")
    p.add_argument("--exact-limit", type=int, default=10000, help="Chroma: vectors kept in its exact buffer")
    p.add_argument("--psql", help="pgvector: the psql program")
    p.add_argument("--hnsw", action="store_true", help="pgvector: add an HNSW index")
    args = p.parse_args()
    rows, dim = read_index(args.index)
    if args.engine == "chroma":
        load_chroma(args, rows, dim)
    elif args.engine == "pgvector":
        load_pgvector(args, rows, dim)
    else:
        load_typesense(args, rows, dim)


if __name__ == "__main__":
    main()
