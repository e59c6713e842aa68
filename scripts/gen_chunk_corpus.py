#!/usr/bin/env python3
"""A synthetic corpus of many short documents, for the 1,000,000-chunk replay benchmark of issue 15.

Each document is one chunk under ragdiag's default chunker (`doc`): a title and one paragraph of
30-110 words drawn from a Zipf-distributed pronounceable vocabulary, with a date. Questions pick a
document, quote one of its sentences as evidence, and ask with a few of that sentence's words plus
noise, so that retrieval finds the document sometimes, not always (a realistic mix of classes).

Everything is seeded: the same arguments write the same bytes. Both files are written as they are
generated (constant memory, whatever --chunks is).

    python3 scripts/gen_chunk_corpus.py --chunks 100000 --questions 300 --out /tmp/chunks100k
    python3 scripts/gen_chunk_corpus.py --chunks 1000000 --questions 300 --out /tmp/chunks1m

writes OUT/corpus.jsonl and OUT/queries.jsonl.
"""

import argparse
import itertools
import json
import os
import random

# The same seeded vocabulary as the trace generator beside this script.
from gen_scale_trace import vocabulary

VOCAB = 30000
WORDS_PER_SENTENCE = (6, 22)
WORDS_PER_DOC = (30, 110)


def document(rng, vocab, cum):
    """A list of sentences (each a list of words) of 30-110 words in all."""
    target = rng.randint(*WORDS_PER_DOC)
    words = rng.choices(vocab, cum_weights=cum, k=target)
    sentences, at = [], 0
    while at < target:
        n = min(rng.randint(*WORDS_PER_SENTENCE), target - at)
        s = words[at:at + n]
        if rng.random() < 0.2:
            s.insert(rng.randrange(len(s) + 1), str(rng.randint(2, 9999)))
        sentences.append(s)
        at += n
    return sentences


def render(sentences):
    return " ".join(" ".join(s).capitalize() + "." for s in sentences)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--chunks", type=int, default=100000, help="documents (one chunk each)")
    ap.add_argument("--questions", type=int, default=300)
    ap.add_argument("--seed", type=int, default=15)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    if a.chunks < 1 or a.questions < 1 or a.questions > a.chunks:
        ap.error("need 1 <= --questions <= --chunks")
    os.makedirs(a.out, exist_ok=True)
    rng = random.Random(a.seed)
    vocab = vocabulary(rng, VOCAB)
    cum = list(itertools.accumulate(1.0 / (i + 1) ** 1.05 for i in range(VOCAB)))
    # The documents the questions are about, chosen up front so that their sentences can be
    # kept while the corpus streams past.
    gold = sorted(rng.sample(range(a.chunks), a.questions))
    gold_set = set(gold)
    kept = {}
    with open(os.path.join(a.out, "corpus.jsonl"), "w") as f:
        for i in range(a.chunks):
            sentences = document(rng, vocab, cum)
            title = " ".join(rng.choices(vocab, cum_weights=cum, k=rng.randint(2, 5))).title()
            day = 1 + rng.randrange(28)
            month = 1 + rng.randrange(12)
            year = 2019 + rng.randrange(6)
            rec = {"id": f"c{i:07d}", "title": title, "text": render(sentences),
                   "updated_at": f"{year}-{month:02d}-{day:02d}"}
            f.write(json.dumps(rec) + "\n")
            if i in gold_set:
                kept[i] = sentences
    with open(os.path.join(a.out, "queries.jsonl"), "w") as f:
        qrng = random.Random(a.seed + 1)
        for n, i in enumerate(gold):
            sentences = kept[i]
            s = qrng.choice(sentences)
            quote = " ".join(s).capitalize() + "."
            # A few of the sentence's words (more for some questions than others) and noise.
            take = max(1, int(len(s) * qrng.choice([0.2, 0.4, 0.6])))
            words = qrng.sample(s, min(take, len(s)))
            words += qrng.choices(vocab, cum_weights=cum, k=qrng.randint(1, 4))
            qrng.shuffle(words)
            rec = {"id": f"q{n:05d}", "text": " ".join(words) + "?",
                   "relevant": [{"doc": f"c{i:07d}", "grade": 2}],
                   "evidence": [{"doc": f"c{i:07d}", "quote": quote}]}
            f.write(json.dumps(rec) + "\n")


if __name__ == "__main__":
    main()
