#!/usr/bin/env python3
"""Conformance of `ragdiag eval` with trec_eval 10.0, the version it claims to match.

Usage: check_trec_eval10.py --bin target/release/ragdiag [--shared ../shared] [--keep DIR]

1. Builds trec_eval 10.0 from `$SHARED/oracles/trec_eval-10.0` in a temporary folder (fails
   when the oracle is missing; never skips) and runs its own `make quicktest`.
2. Runs every invocation of that Makefile's `quicktest` target through `ragdiag eval` and
   compares with the expected `test/out.*` file: byte for byte where every measure it asks for
   is one ragdiag computes, else the lines of the measures ragdiag computes (exactly, in order).
   Invocations whose input ragdiag does not read (`-R prefs`, `-R qrels_jg`) are listed with the reason.
3. Compares `ragdiag eval` with the 10.0 binary, byte for byte, on generated runs: graded
   qrels with negative grades, score ties, `-q`, `-c`, `-l`, `-M`, `-J`, `#` comments in runs
   and qrels, extra run columns, the run on standard input, and measure parameters.

Exits 1 on any difference, printing a unified diff of the first lines that differ.
"""
import argparse
import difflib
import os
import random
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

# Measures of trec_eval 10.0 that ragdiag does not compute (they need inputs it does not read).
UNSUPPORTED_PREFIXES = ("prefs_", "map_avgjg", "P_avgjg", "Rprec_mult_avgjg", "yaap")


def fail(msg):
    print(f"check_trec_eval10: {msg}", file=sys.stderr)
    sys.exit(1)


def build_oracle(shared, tmp):
    src = os.path.join(shared, "oracles", "trec_eval-10.0")
    if not os.path.isfile(os.path.join(src, "Makefile")):
        fail(f"missing {src} (the shared oracles must sit beside the repository)")
    te = os.path.join(tmp, "te")
    shutil.copytree(src, te)
    r = subprocess.run(["make", "-s", "-C", te], capture_output=True, text=True)
    if r.returncode != 0:
        fail(f"building trec_eval 10.0 failed:\n{r.stdout}{r.stderr}")
    r = subprocess.run(["make", "-s", "-C", te, "quicktest"], capture_output=True, text=True)
    if r.returncode != 0 or "Test succeeeded" not in r.stdout:
        fail(f"trec_eval 10.0's own quicktest failed:\n{r.stdout}{r.stderr}")
    return te


def quicktest_invocations(te):
    """(args, expected file) of each `./trec_eval ARGS | diff - FILE` line of `quicktest`."""
    out, inside = [], False
    with open(os.path.join(te, "Makefile")) as f:
        for line in f:
            if line.startswith("quicktest:"):
                inside = True
                continue
            if inside:
                if not line.startswith("\t"):
                    break
                m = re.match(r"\t\./trec_eval (.*) \| diff - (\S+)\s*$", line)
                if m:
                    out.append((shlex.split(m.group(1)), m.group(2)))
    if len(out) < 10:
        fail(f"found only {len(out)} quicktest invocations in the Makefile")
    return out


def split_args(args):
    """trec_eval's argv -> (flags, measure requests, rel_info format, zscores, positionals)."""
    flags, measures, positionals = [], [], []
    rformat, zscore = "qrels", False
    i = 0
    while i < len(args):
        a = args[i]
        if a in ("-m", "-R", "-l", "-M", "-N", "-Z"):
            v = args[i + 1]
            i += 2
        elif re.match(r"-[mRlMN].", a):
            a, v = a[:2], a[2:]
            i += 1
        else:
            (positionals if not a.startswith("-") or a == "-" else flags).append(a)
            i += 1
            continue
        if a == "-m":
            measures.append(v)
        elif a == "-R":
            rformat = v
        elif a == "-Z":
            zscore = True
            flags += [a, v]
        else:
            flags += [a, v]
    return flags, measures, rformat, zscore, positionals


def supported(name):
    return not name.startswith(UNSUPPORTED_PREFIXES)


def ragdiag(binary, args, cwd, stdin=None):
    r = subprocess.run([binary, "eval", "--quiet"] + args, cwd=cwd, capture_output=True,
                       text=True, input=stdin)
    return r.returncode, r.stdout, r.stderr


def oracle(te, args, cwd, stdin=None):
    r = subprocess.run([os.path.join(te, "trec_eval")] + args, cwd=cwd, capture_output=True,
                       text=True, input=stdin)
    if r.returncode != 0:
        fail(f"trec_eval 10.0 {' '.join(args)} exited {r.returncode}: {r.stderr}")
    return r.stdout


def show_diff(label, want, got, failures):
    diff = list(difflib.unified_diff(want.splitlines(), got.splitlines(), "trec_eval 10.0",
                                     "ragdiag", lineterm="", n=0))
    failures.append(label)
    print(f"DIFFERENT {label}")
    for line in diff[:24]:
        print("   ", line)
    if len(diff) > 24:
        print(f"    ... {len(diff) - 24} more diff lines")


def check_quicktest(binary, te, failures):
    print("== trec_eval 10.0's quicktest invocations through ragdiag eval")
    exact = 0
    for args, expected_path in quicktest_invocations(te):
        shown = "trec_eval " + " ".join(args)
        flags, measures, rformat, zscore, pos = split_args(args)
        with open(os.path.join(te, expected_path)) as f:
            expected = f.read()
        if rformat == "prefs":
            print(f"NOT RUN   {shown}: -R prefs reads preference judgments, a format ragdiag does not read")
            continue
        if rformat == "qrels_jg":
            print(f"NOT RUN   {shown}: -R qrels_jg judges a document once per judgment group, which ragdiag's qrels reader refuses as a duplicate")
            continue
        if rformat == "qrels_prefs":
            # all_prefs holds only runid and num_q among the measures ragdiag computes; the
            # judgments are ordinary TREC qrels.
            measures = ["runid", "num_q"]
        rc, got, err = ragdiag(binary, flags + sum((["-m", m] for m in measures), []) + pos, te)
        if rc != 0:
            show_diff(f"{shown} (ragdiag exited {rc}: {err.strip()})", expected, got, failures)
            continue
        if rformat == "qrels":
            if got == expected:
                exact += 1
                print(f"IDENTICAL {shown} ({len(expected.splitlines())} lines, byte for byte)")
            else:
                show_diff(shown, expected, got, failures)
            continue
        keep = [l for l in expected.splitlines(keepends=True)
                if supported(l.split("\t")[0].strip()) and l.split("\t")[0].strip() in ("runid", "num_q")]
        want = "".join(keep)
        if got == want:
            print(f"SAME      {shown}: the {len(keep)} lines of runid and num_q (the rest: -R {rformat} measures)")
        else:
            show_diff(shown, want, got, failures)
    return exact


def generated_case(seed, ties, graded, missing, extra_run_queries, comments, extra_columns):
    """qrels text and run text: 30 topics, grades 0-4 and -1 when graded."""
    rng = random.Random(seed)
    qids = [f"{q}" for q in range(401, 431)]
    qlines, rlines = [], []
    if comments:
        qlines.append("# generated qrels, seed %d\n" % seed)
        rlines.append("# generated run\n")
    judged = {}
    for q in qids:
        pool = rng.sample(range(300), rng.randint(1, 60))
        judged[q] = pool
        for i, d in enumerate(pool):
            if graded:
                r = rng.random()
                g = 0 if r < 0.5 else 1 if r < 0.7 else 2 if r < 0.82 else 3 if r < 0.9 else 4 if r < 0.93 else -1
            else:
                g = 1 if rng.random() < 0.3 else 0
            if rng.random() < 0.08 and not comments:
                g = 0
            qlines.append(f"{q} 0 D{d:04d} {g}\n")
            if comments and i == 3:
                qlines.append("# comment inside the judgments\n")
    run_q = [q for q in qids if not (missing and rng.random() < 0.2)]
    run_q += [f"9{n}" for n in range(extra_run_queries)]
    tag = "genrun"
    for q in run_q:
        n = rng.randint(1, 250)
        docs = rng.sample(range(400), n)
        for rank, d in enumerate(docs):
            s = rng.randint(0, 12) / 4 if ties else rng.randint(1, 10 ** 6) / 1000
            extra = " trailing junk" if extra_columns and rank % 3 == 0 else ""
            rlines.append(f"{q} Q0 D{d:04d} {rank + 1} {s} {tag}{extra}\n")
            if comments and rank == 5:
                rlines.append("   # indented comment\n")
        tag = "genrun"
    return "".join(qlines), "".join(rlines)


PARAMS = ["-m", "iprec_at_recall..10,.20,.25,.75,.50", "-m", "P.5,7,3", "-m", "recall.20,2000",
          "-m", "Rprec_mult.5.0,0.2,0.35", "-mutility.2,-1,0,0", "-m", "11pt_avg..25,.5,.75",
          "-mndcg.1=3,2=9,4=4.5", "-mndcg_cut.10,20,23.4", "-msuccess.2,5,20", "-m", "set_F.0.5",
          "-m", "rbp.p=0.8", "-m", "rbp_resid.p=0.95", "-m", "relstring.15", "-m", "unj.3,50",
          "-m", "relative_P.4,40", "-m", "map_cut.7", "-m", "G.1=2,3=1", "-m", "ndcg_rel.2=5",
          "-m", "Rndcg.0=-1,1=2", "-m", "binG"]
# trec_eval 10.0's dcg, ideal_dcg and ndcg share one parameter block (m_ndcg.c): asking for two of
# them when one has parameters crashes it (double free), so they are asked for apart.
DCG = [["-q", "-m", "dcg", "-m", "ideal_dcg", "-m", "ndcg"], ["-q", "-m", "dcg.1=2,3=7"],
       ["-q", "-m", "ideal_dcg.2=0.5"]]


def zscores_file(seed):
    """A -Z reference file for the generated topics: some measures (all, for every seventh
    topic) missing, some standard deviations 0 (with a mean of 0, which values of 0 meet).
    Every topic also gets a measure named `~last`, which sorts after every real name:
    trec_eval 10.0's binary search (convert_zscores.c) reads one entry past its array when a
    name sorts after all of them, and crashes at the end of the file."""
    rng = random.Random(seed)
    names = ["map", "gm_map", "P_5", "P_10", "num_ret", "num_rel_ret", "num_rel", "ndcg_cut_10",
             "recip_rank", "bpref", "gm_bpref", "iprec_at_recall_0.10", "utility", "set_F",
             "Rprec_mult_0.20", "success_1", "relative_P_5", "unj_10", "rbp", "infAP", "Rprec"]
    lines = []
    for q in range(401, 431):
        lines.append(f"{q} ~last 0 1\n")
        if q % 7 == 0:
            continue
        for m in names:
            if rng.random() < 0.15:
                continue
            if rng.random() < 0.1:
                lines.append(f"{q} {m} 0.0000 0.0000\n")
            else:
                lines.append(f"{q}\t{m}  {rng.random() * 50:.4f} {rng.random() * 30 + 0.01:.4f}\n")
    rng.shuffle(lines)
    return "".join(lines)


def check_generated(binary, te, tmp, failures):
    print("== ragdiag eval against the trec_eval 10.0 binary on generated runs (-q, byte for byte)")
    cases = [
        # name, case args, flag sets
        ("graded-ties", dict(seed=1, ties=True, graded=True, missing=False, extra_run_queries=2,
                             comments=False, extra_columns=False),
         [["-q", "-m", "all_trec"], ["-q", "-m", "all_trec", "-l2"], ["-q", "-m", "all_trec", "-M", "20"],
          ["-q", "-m", "all_trec", "-J"], ["-q", "-N", "5000"] + PARAMS, ["-q"], [],
          ["-q", "-m", "all_trec", "-Z", "ZFILE"]] + DCG),
        ("graded-missing", dict(seed=2, ties=False, graded=True, missing=True, extra_run_queries=0,
                                comments=False, extra_columns=False),
         [["-q", "-c", "-m", "all_trec"], ["-q", "-c", "-l3", "-m", "all_trec"],
          ["-q", "-c", "-M7", "-m", "all_trec", "-m", "relstring.5"], ["-q", "-c"] + PARAMS,
          ["-q", "-c", "-m", "all_trec", "-Z", "ZFILE"]]),
        ("binary-comments", dict(seed=3, ties=True, graded=False, missing=False, extra_run_queries=1,
                                 comments=True, extra_columns=True),
         [["-q", "-m", "all_trec"], ["-q", "-m", "official", "-m", "set"], ["-q"] + PARAMS]),
        ("stdin", dict(seed=4, ties=True, graded=True, missing=False, extra_run_queries=0,
                       comments=True, extra_columns=True),
         [["-q", "-m", "all_trec"], ["-q"]]),
    ]
    compared = 0
    zpath = os.path.join(tmp, "zscores")
    with open(zpath, "w") as f:
        f.write(zscores_file(5))
    for name, spec, flag_sets in cases:
        qrels, run = generated_case(**spec)
        qp = os.path.join(tmp, f"{name}.qrels")
        rp = os.path.join(tmp, f"{name}.run")
        with open(qp, "w") as f:
            f.write(qrels)
        with open(rp, "w") as f:
            f.write(run)
        for flags in flag_sets:
            flags = [zpath if a == "ZFILE" else a for a in flags]
            stdin = run if name == "stdin" else None
            target = "-" if stdin is not None else rp
            want = oracle(te, flags + [qp, target], tmp, stdin)
            rc, got, err = ragdiag(binary, flags + [qp, target], tmp, stdin)
            label = f"{name}: {' '.join('ZFILE' if a == zpath else a for a in flags) or '(defaults)'}"
            if rc != 0:
                show_diff(f"{label} (ragdiag exited {rc}: {err.strip()})", want, got, failures)
            elif got != want:
                show_diff(label, want, got, failures)
            else:
                compared += len(want.splitlines())
                print(f"IDENTICAL {label} ({len(want.splitlines())} lines)")
    return compared


def check_errors(binary, tmp, failures):
    print("== malformed measure requests are usage errors (exit 2)")
    qp = os.path.join(tmp, "graded-ties.qrels")
    rp = os.path.join(tmp, "graded-ties.run")
    for bad in ["P.", "P.0", "P.5,5", "P.x", "map.5", "ndcg.1=", "ndcg.1=3,2", "utility.1,2",
                "iprec_at_recall..1,.1", "nope", "all_prefs", "official.5"]:
        rc, out, err = ragdiag(binary, ["-m", bad, qp, rp], tmp)
        if rc != 2 or not err.strip():
            failures.append(f"-m {bad}: exit {rc}, stderr {err.strip()!r}")
            print(f"DIFFERENT -m {bad}: exit {rc} (expected 2 with a message)")
    print("checked 12 malformed requests")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--shared", default=os.environ.get("RAGDIAG_SHARED", "../shared"))
    a = ap.parse_args()
    binary = os.path.abspath(a.bin)
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        te = build_oracle(a.shared, tmp)
        print(f"built trec_eval 10.0 in {te}; its own quicktest passes")
        exact = check_quicktest(binary, te, failures)
        n = check_generated(binary, te, tmp, failures)
        check_errors(binary, tmp, failures)
    print(f"{exact} quicktest invocations identical byte for byte; {n} lines identical on generated runs")
    print(f"{len(failures)} differences")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
