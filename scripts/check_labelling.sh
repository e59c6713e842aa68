#!/usr/bin/env bash
# The labelling round trip on the demo, end to end:
#   diagnose (before) → pool (trace + keyword run) → two labellers label pairs on label.html
#   in headless Chromium (clicks, keys, note, reload, JSONL and CSV exports) → labels import
#   (agreement, resolution) → pool and diagnose again: judged@5 rises for every pooled system
#   and diagnose reads the new judgments.
#
#   scripts/check_labelling.sh [RAGDIAG_BIN]     (default target/release/ragdiag)
#
# Needs node/npm (installed with apt when missing) and Debian's chromium at /usr/bin/chromium
# (or CHROMIUM=...). Exit 0 when everything holds, 1 otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-target/release/ragdiag}
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
PAIRS=${PAIRS:-20}
if ! command -v npm >/dev/null 2>&1; then
    SUDO=""
    if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nodejs npm >/dev/null
fi
(cd scripts/browser && npm ci --no-audit --no-fund --silent)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
demo=(--corpus corpora/tallyfox)
pool_args=(--run examples/tallyfox/keyword.trec --trace queries/tallyfox.trace.jsonl --depth 5)

"$BIN" pool --quiet "${demo[@]}" --queries queries/tallyfox.jsonl "${pool_args[@]}" \
    --limit 60 --out "$work/pool" >"$work/pool-before.txt"
node scripts/browser/label_roundtrip.mjs "$work/pool/label.html" "$work/labels" "$PAIRS" \
    --chromium "$CHROMIUM"
"$BIN" labels import "$work/labels/ann.jsonl" "$work/labels/bob.csv" \
    --queries queries/tallyfox.jsonl --out "$work/questions.jsonl" | tee "$work/import.txt"
"$BIN" pool --quiet "${demo[@]}" --queries "$work/questions.jsonl" "${pool_args[@]}" \
    --limit 60 --out "$work/pool-after" >"$work/pool-after.txt"
for q in queries/tallyfox.jsonl "$work/questions.jsonl"; do
    tag=$([ "$q" = queries/tallyfox.jsonl ] && echo before || echo after)
    "$BIN" diagnose --quiet "${demo[@]}" --queries "$q" --trace queries/tallyfox.trace.jsonl \
        --as-of 2026-10-01 --out "$work/diagnose-$tag" >/dev/null
done

python3 - "$work" "$PAIRS" <<'EOF'
import json, re, sys
from pathlib import Path

work, pairs = Path(sys.argv[1]), int(sys.argv[2])
problems = []

def judged(path):
    out = {}
    for line in (work / path).read_text().splitlines():
        m = re.match(r"\s+(\S+)\s+([\d.]+)% \(", line)
        if m:
            out[m.group(1)] = float(m.group(2))
    return out

before, after = judged("pool-before.txt"), judged("pool-after.txt")
if set(before) != {"keyword.trec", "tallyfox.trace.jsonl"} or set(after) != set(before):
    problems.append(f"judged@5 lines not found: {before} / {after}")
for system, b in before.items():
    a = after.get(system)
    print(f"judged@5 {system}: {b:.1f}% → {a}%")
    if a is None or not a > b:
        problems.append(f"judged@5 of {system} did not rise: {b} → {a}")

imp = (work / "import.txt").read_text()
m = re.search(r"for (\d+) pair\(s\): (\d+) new judgment", imp)
if not m or int(m.group(1)) != pairs or int(m.group(2)) != pairs:
    problems.append(f"import did not add {pairs} judgments: {imp!r}")
if "Cohen's kappa" not in imp:
    problems.append("import reported no agreement for two labellers")

labelled = {}
for line in (work / "questions.jsonl").read_text().splitlines():
    if line.strip():
        q = json.loads(line)
        for r in q.get("relevant", []):
            if isinstance(r, dict) and "labellers" in r:
                labelled[(q["id"], r["doc"])] = r
if len(labelled) != pairs:
    problems.append(f"questions.jsonl holds {len(labelled)} imported judgments, expected {pairs}")
for (qid, doc), r in labelled.items():
    if set(r["labellers"]) != {"ann", "bob"} or not r.get("doc_hash", "").startswith("sha256:"):
        problems.append(f"{qid} {doc}: imported judgment lacks its labellers or hash: {r}")

def metrics(tag):
    # diagnose's queries.parquet is not readable without pyarrow; its run.trec and summary are.
    return json.loads((work / f"diagnose-{tag}" / "summary.json").read_text())["metrics"]

mb, ma = metrics("before"), metrics("after")
changed = [k for k in mb if k in ma and mb[k] != ma[k]]
print(f"diagnose metrics changed by the new judgments: {', '.join(changed) or 'none'}")
# The new grades include relevant ones (grade 2) unless every pair was judged 0.
if any(r["grade"] > 0 for r in labelled.values()) and not changed:
    problems.append("diagnose's metrics did not change with new relevant judgments")

for p in problems:
    print("FAIL", p)
sys.exit(1 if problems else 0)
EOF
echo "labelling round trip: ok"
