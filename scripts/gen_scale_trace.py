#!/usr/bin/env python3
"""A synthetic production-shaped trace for the speed benchmarks of issue 15.

The shape follows a real production-like trace measured on this kind of machine: every question
retrieved 10 whole web pages (~10 KB each, log-normal lengths), pages are shared between questions
with a heavy-tailed popularity (320 questions touched ~1,800 distinct pages), every record carries a
generated answer, and every question a reference answer and an evidence quote. Pages are dated, a
share of them has an older near-duplicate version (so the freshness audit has supersession to find),
and a share of answers are wrong or abstain.

Everything is seeded: the same arguments write the same bytes. The corpus is fixed by `--pages`; the
trace grows with `--questions` and is written as it is generated (constant memory).

    python3 scripts/gen_scale_trace.py --questions 320 --out /tmp/scale320
    python3 scripts/gen_scale_trace.py --questions 100000 --pages 20000 --out /tmp/scale100k

writes OUT/corpus.jsonl, OUT/queries.jsonl and OUT/trace.jsonl. With `--trace-stdout` the trace goes
to standard output instead (the corpus and the questions are written first), so a trace larger than
the disk can be diagnosed as it is made:

    python3 scripts/gen_scale_trace.py --questions 100000 --out /tmp/scale100k --trace-stdout \
        | ragdiag diagnose --trace - --corpus /tmp/scale100k/corpus.jsonl --queries /tmp/scale100k/queries.jsonl ...

The questions file is complete before the first trace line is written. With `--corpus-only` it
writes the corpus alone, in constant memory, for the freshness audit at scale:

    python3 scripts/gen_scale_trace.py --corpus-only --pages 200000 --mean-page-bytes 6000 --out /tmp/fresh200k
"""

import argparse
import bisect
import json
import math
import os
import random
import sys

WORDS_PER_SENTENCE = (8, 24)
HITS = 10


def vocabulary(rng, n):
    """n pronounceable words; the first ones are the most frequent (Zipf below)."""
    cons = "bcdfghjklmnprstvwz"
    vows = "aeiou"
    out, seen = [], set()
    while len(out) < n:
        syl = rng.randint(1, 4)
        w = "".join(rng.choice(cons) + rng.choice(vows) for _ in range(syl))
        if rng.random() < 0.3:
            w += rng.choice(cons)
        if w not in seen:
            seen.add(w)
            out.append(w)
    return out


class Zipf:
    def __init__(self, n, s, rng):
        weights = [1.0 / (i + 1) ** s for i in range(n)]
        total = 0.0
        self.cum = []
        for w in weights:
            total += w
            self.cum.append(total)
        self.total = total
        self.rng = rng

    def draw(self):
        return bisect.bisect_left(self.cum, self.rng.random() * self.total)


def sentence(rng, vocab, zipf):
    n = rng.randint(*WORDS_PER_SENTENCE)
    words = [vocab[zipf.draw()] for _ in range(n)]
    if rng.random() < 0.25:
        words.insert(rng.randrange(len(words)), str(rng.randint(2, 9999)))
    s = " ".join(words)
    return s[0].upper() + s[1:] + "."


def page_text(rng, vocab, zipf, target_bytes):
    paras, size = [], 0
    while size < target_bytes:
        para = " ".join(sentence(rng, vocab, zipf) for _ in range(rng.randint(2, 7)))
        if rng.random() < 0.15:
            para = "## " + " ".join(vocab[zipf.draw()] for _ in range(3)).title() + "\n\n" + para
        paras.append(para)
        size += len(para) + 2
    return "\n\n".join(paras)


class TraceAfterQueries:
    """The trace for standard output, written once the questions file is complete: each line is
    remembered by its ingredients (the page numbers and the record without its texts), not its
    text, so memory stays small; the page texts are put back as the lines are written."""

    def __init__(self, out):
        self.out = out
        self.lines = []

    def write_record(self, rec):
        """Keeps `rec` (its hits marked `has_text` instead of carrying their page's text)."""
        self.lines.append(json.dumps(rec))

    def close(self):
        pass

    def replay(self):
        texts = {}
        with open(os.path.join(self.out, "corpus.jsonl")) as f:
            for line in f:
                d = json.loads(line)
                texts[d["id"]] = d["text"]
        out = sys.stdout
        try:
            for line in self.lines:
                rec = json.loads(line)
                for h in rec["retrieved"]:
                    if h.pop("has_text", False):
                        h["text"] = texts[h["doc"]]
                out.write(json.dumps(rec) + "\n")
            out.flush()
        except BrokenPipeError:
            # The reader stopped (an error it reports itself).
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(1)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--questions", type=int, default=320)
    ap.add_argument("--pages", type=int, default=3400)
    ap.add_argument("--mean-page-bytes", type=int, default=10_000)
    ap.add_argument("--min-page-bytes", type=int, default=800,
                    help="page lengths are clamped to [min, max] (issue 15's 1M pages: 2000 and 10000)")
    ap.add_argument("--max-page-bytes", type=int, default=120_000)
    ap.add_argument("--popularity", type=float, default=0.5, help="Zipf exponent of page popularity")
    ap.add_argument("--versioned-share", type=float, default=0.1,
                    help="share of pages that also have an older near-duplicate version")
    ap.add_argument("--hit-text", choices=["full", "none"], default="full",
                    help="hits carry the whole page text (as production traces do) or only the id")
    ap.add_argument("--seed", type=int, default=15)
    ap.add_argument("--corpus-only", action="store_true",
                    help="write OUT/corpus.jsonl alone, holding no page in memory (freshness at scale)")
    ap.add_argument("--trace-stdout", action="store_true",
                    help="write the trace to standard output (after OUT/queries.jsonl is complete)")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    rng = random.Random(a.seed)
    vocab = vocabulary(rng, 20_000)
    words = Zipf(len(vocab), 1.05, rng)

    # Log-normal page lengths with the requested mean (sigma 0.6: 2-25 KB for most pages).
    sigma = 0.6
    mu = math.log(a.mean_page_bytes) - sigma * sigma / 2
    pages = []  # (id, text, date)
    with open(os.path.join(a.out, "corpus.jsonl.tmp"), "w") as f:
        for i in range(a.pages):
            size = int(min(max(rng.lognormvariate(mu, sigma), a.min_page_bytes), a.max_page_bytes))
            text = page_text(rng, vocab, words, size)
            doc = f"page-{i:06d}"
            month = rng.randint(1, 12)
            date = f"2025-{month:02d}-{rng.randint(1, 28):02d}"
            title = " ".join(vocab[words.draw()] for _ in range(4)).title()
            if rng.random() < a.versioned_share:
                # An older version: same page with a few sentences edited, dated a year before.
                old = text.split(". ")
                for _ in range(max(1, len(old) // 20)):
                    j = rng.randrange(len(old))
                    old[j] = sentence(rng, vocab, words).rstrip(".")
                rec = {"id": doc + "-old", "title": title, "text": ". ".join(old),
                       "updated_at": f"2024-{month:02d}-{rng.randint(1, 28):02d}", "url": f"https://docs.example/{doc}/old"}
                f.write(json.dumps(rec) + "\n")
            rec = {"id": doc, "title": title, "text": text, "updated_at": date, "url": f"https://docs.example/{doc}"}
            f.write(json.dumps(rec) + "\n")
            if not a.corpus_only:
                pages.append((doc, text))
    os.replace(os.path.join(a.out, "corpus.jsonl.tmp"), os.path.join(a.out, "corpus.jsonl"))
    if a.corpus_only:
        return

    popular = Zipf(len(pages), a.popularity, rng)
    order = list(range(len(pages)))
    rng.shuffle(order)  # popularity independent of page number
    qf = open(os.path.join(a.out, "queries.jsonl.tmp"), "w")
    if a.trace_stdout:
        # The trace lines are held back until the questions file is complete (the reader needs
        # it first); the random draws are the same as when writing both files together.
        tf = TraceAfterQueries(a.out)
    else:
        tf = open(os.path.join(a.out, "trace.jsonl.tmp"), "w")
    for q in range(a.questions):
        qid = f"q{q:06d}"
        hits = []
        while len(hits) < HITS:
            p = order[popular.draw()]
            if p not in hits:
                hits.append(p)
        gold = hits[rng.randrange(min(len(hits), 4))] if rng.random() < 0.85 else order[rng.randrange(len(pages))]
        gdoc, gtext = pages[gold]
        sents = [s for s in gtext.replace("\n", " ").split(". ") if len(s.split()) >= 8]
        quote = (rng.choice(sents).strip() if sents else gtext[:200]).rstrip(".") + "."
        qwords = quote.split()
        start = rng.randrange(max(1, len(qwords) - 3))
        reference = " ".join(qwords[start:start + 3]).rstrip(".")
        text = " ".join(rng.sample(qwords, min(6, len(qwords)))).lower() + "?"
        qrec = {"id": qid, "text": text, "relevant": [{"doc": gdoc, "grade": 2}],
                "evidence": [{"doc": gdoc, "quote": quote}], "reference_answer": [reference],
                "answerable": True, "asked_at": "2026-06-01"}
        qf.write(json.dumps(qrec) + "\n")
        r = rng.random()
        if r < 0.6:
            answer = f"According to the documentation, {quote[0].lower() + quote[1:]}"
        elif r < 0.9:
            answer = sentence(rng, vocab, words)
        else:
            answer = "I don't know."
        retrieved = []
        for rank, p in enumerate(hits):
            hit = {"doc": pages[p][0], "score": round(0.9 - 0.03 * rank - rng.random() * 0.01, 4)}
            if a.hit_text == "full":
                # Held back for standard output: the text is put back as the line is written.
                if a.trace_stdout:
                    hit["has_text"] = True
                else:
                    hit["text"] = pages[p][1]
            retrieved.append(hit)
        trec = {"query_id": qid, "retrieved": retrieved, "answer": answer,
                "latency_ms": int(rng.lognormvariate(6.5, 0.5)),
                "prompt_tokens": sum(len(pages[p][1]) for p in hits) // 4,
                "completion_tokens": len(answer.split()) * 4 // 3}
        if a.trace_stdout:
            tf.write_record(trec)
        else:
            tf.write(json.dumps(trec) + "\n")
    qf.close()
    tf.close()
    for name in ("queries.jsonl",) if a.trace_stdout else ("queries.jsonl", "trace.jsonl"):
        os.replace(os.path.join(a.out, name + ".tmp"), os.path.join(a.out, name))
    if a.trace_stdout:
        tf.replay()


if __name__ == "__main__":
    main()
