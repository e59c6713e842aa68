"""What scripts/check_engines.sh compares between two `ragdiag diagnose` report folders."""

import json
import re
from collections import defaultdict


def load(d):
    """A report folder's summary, its run (question -> document ids in rank order) and each
    failing question's cause line from report.md."""
    s = json.load(open(f"{d}/summary.json"))
    run = defaultdict(list)
    for line in open(f"{d}/run.trec"):
        run[line.split()[0]].append(line.split()[2])
    causes = {}
    for line in open(f"{d}/report.md"):
        m = re.match(r"- `(q\d+)` \*\*", line)
        if m:
            causes[m.group(1)] = line
    return s, run, causes


def counts(s):
    """The class counts of a summary."""
    return {k: v.get("count") for k, v in s["classes"].items()}
