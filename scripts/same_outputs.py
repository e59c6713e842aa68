#!/usr/bin/env python3
"""Compares two folders written by scripts/capture_outputs.sh: exit 0 when every output is the
same, else 1 with each difference listed.

JSON files are compared as values, without the provenance entries that change from run to run
(`created_at`, `command`, paths of temporary folders); every other file byte for byte, after
replacing the two folders' own paths. `--allow NAME` lets a file differ (a fixed bug), listed
as allowed.
"""
import argparse
import json
import os
import sys

VOLATILE = {"created_at", "command", "elapsed_s"}


def scrub(v, roots):
    if isinstance(v, dict):
        return {k: scrub(x, roots) for k, x in v.items() if k not in VOLATILE}
    if isinstance(v, list):
        return [scrub(x, roots) for x in v]
    if isinstance(v, str):
        for r in roots:
            v = v.replace(r, "<OUT>")
        return v
    return v


def walk(root):
    for dirpath, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d != ".bin"]
        for f in files:
            yield os.path.relpath(os.path.join(dirpath, f), root)


def first_diff(a, b):
    la, lb = a.splitlines(), b.splitlines()
    for i, (x, y) in enumerate(zip(la, lb)):
        if x != y:
            return f"line {i + 1}:\n      - {x[:200]}\n      + {y[:200]}"
    return f"lengths {len(la)} and {len(lb)} lines"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("before")
    p.add_argument("after")
    p.add_argument("--allow", action="append", default=[], help="a relative path that may differ")
    args = p.parse_args()
    roots = [os.path.abspath(args.before), os.path.abspath(args.after)]
    a_files, b_files = set(walk(args.before)), set(walk(args.after))
    problems, allowed = [], []
    for f in sorted(a_files ^ b_files):
        problems.append(f"{f}: only in {'before' if f in a_files else 'after'}")
    for f in sorted(a_files & b_files):
        pa, pb = os.path.join(args.before, f), os.path.join(args.after, f)
        with open(pa, "rb") as x, open(pb, "rb") as y:
            ba, bb = x.read(), y.read()
        if f.endswith(".json"):
            same = scrub(json.loads(ba), roots) == scrub(json.loads(bb), roots)
            detail = "" if same else first_diff(
                json.dumps(scrub(json.loads(ba), roots), indent=1, sort_keys=True),
                json.dumps(scrub(json.loads(bb), roots), indent=1, sort_keys=True))
        elif f.endswith(".parquet"):
            same, detail = ba == bb, "bytes differ"
        else:
            ta, tb = ba.decode("utf-8", "replace"), bb.decode("utf-8", "replace")
            for r in roots:
                ta, tb = ta.replace(r, "<OUT>"), tb.replace(r, "<OUT>")
            if f.endswith(".html"):
                # The provenance table shows the creation time and the command line.
                import re
                strip = lambda t: re.sub(r"\d{4}-\d\d-\d\dT[0-9:.]+Z?", "<TIME>", t)
                ta, tb = strip(ta), strip(tb)
            same = ta == tb
            detail = "" if same else first_diff(ta, tb)
        if not same:
            (allowed if f in args.allow else problems).append(f"{f}: {detail}")
    for a in allowed:
        print(f"allowed difference: {a}")
    for pr in problems:
        print(f"DIFFERENT: {pr}")
    print(f"{len(a_files & b_files)} files compared, {len(problems)} different, {len(allowed)} allowed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
