#!/usr/bin/env python3
"""Assemble queries/tallyfox.trace.jsonl from the hand-written plan corpora/tools/trace_plan.txt.

The plan says, per question, which chunks were retrieved at which ranks and what the
generator answered. This script only does the mechanical part:

* chunks the corpus the way the simulated production system did (one chunk per Markdown
  section, long sections split at paragraph breaks into groups of at most ~150 words);
* resolves chunk references to exact text;
* fills the slots marked `*` (and the tail up to `n`) with lexical look-alike chunks from
  unrelated, current documents (never from a labelled, stale, deleted or conflicting page);
* invents scores (strictly decreasing), latency and token counts deterministically.

Plan syntax (blank lines and lines starting with '#' are ignored):

    [q001]
    n: 10                  optional, list length (default 10, max 20)
    top: 0.87              optional, score of rank 1
    r: doc#3 doc#E * doc#E1 ...   ranked items; doc#E = chunk holding the evidence,
                           doc#E1 / doc#E2 = chunks holding the first / last part of a
                           split evidence span, doc#k = k-th chunk (0-based), * = filler
    x: doc doc ...         optional, documents the filler must not use for this question
    c: 3 1 2 * 4 ...       optional, the pre-rerank candidates: numbers are ranks of the `r:`
                           list, * a filler the reranker dropped; unlisted ranks follow in
                           order, then fillers up to 20 items
    a: answer text, one line

Questions without `c:` get candidates too when a hash of their id falls below CANDIDATE_SHARE
(a system that logs its reranker's input for part of the traffic): the final list with
neighbouring pairs swapped (never across the window's edge at rank 5), then fillers; for
those the reranker moves the evidence within the window or outside it, never across it.

Usage: python3 corpora/tools/build_trace.py [--list FILE]
"""
import hashlib, json, math, os, re, sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
CORPUS = os.path.join(ROOT, 'corpora', 'tallyfox')
QUERIES = os.path.join(ROOT, 'queries', 'tallyfox.jsonl')
PLAN = os.path.join(ROOT, 'corpora', 'tools', 'trace_plan.txt')
OUT = os.path.join(ROOT, 'queries', 'tallyfox.trace.jsonl')
CANDIDATE_SHARE = 0.35
N_CANDIDATES = 20
MAX_WORDS = 150
MIN_WORDS = 12
# older near-duplicates: stale without a `supersedes` pointing at them
INFERRED_STALE = {'online-payment-fees', 'contact-support-hours', 'attachment-storage-limits'}
CONFLICT_DOCS = {'billing-refund-policy', 'billing-faq', 'two-step-verification', 'account-security-faq',
                 'api-rate-limits', 'api-getting-started', 'data-export', 'gdpr-data-requests'}
STOP = set('a an the and or of to in on for is are be can i my me we you your it do does how what when '
           'with at by from this that if not there as was will which who get have has our us much many '
           'any tallyfox'.split())


def load_corpus():
    docs = {}
    for f in sorted(os.listdir(CORPUS)):
        if not f.endswith('.md'):
            continue
        s = open(os.path.join(CORPUS, f), encoding='utf-8').read()
        end = s.index('\n---\n', 3)
        fm = {}
        for line in s[4:end].split('\n'):
            k, _, v = line.partition(':')
            fm[k.strip()] = v.strip().strip('"')
        docs[fm['id']] = {'fm': fm, 'text': s[end + 5:]}
    return docs


def paragraphs(text):
    """(start, end) of blank-line separated blocks; fenced code stays in one block."""
    spans, pos, cur, fence = [], 0, None, False
    for line in text.split('\n'):
        ls, le = pos, pos + len(line)
        pos = le + 1
        if line.strip().startswith('```'):
            fence = not fence
        if line.strip() == '' and not fence:
            if cur:
                spans.append(tuple(cur))
                cur = None
            continue
        if cur is None:
            cur = [ls, le]
        else:
            cur[1] = le
    if cur:
        spans.append(tuple(cur))
    return spans


def words(t):
    return len(t.split())


def chunk(text):
    paras = paragraphs(text)
    sections = []
    for p in paras:
        if text[p[0]] == '#' or not sections:
            sections.append([p])
        else:
            sections[-1].append(p)
    chunks = []
    for sec in sections:
        group = []
        for p in sec:
            gw = sum(words(text[a:b]) for a, b in group)
            head_only = len(group) == 1 and text[group[0][0]] == '#'
            if group and not head_only and gw + words(text[p[0]:p[1]]) > MAX_WORDS:
                chunks.append((group[0][0], group[-1][1]))
                group = []
            group.append(p)
        if group:
            chunks.append((group[0][0], group[-1][1]))
    merged = []
    i = 0
    while i < len(chunks):
        a, b = chunks[i]
        while words(text[a:b]) < MIN_WORDS and i + 1 < len(chunks):
            i += 1
            b = chunks[i][1]
        merged.append((a, b))
        i += 1
    return merged


def toks(t):
    return [w for w in re.findall(r'[a-z0-9]+', t.lower()) if w not in STOP]


def rnd(seed, lo, hi):
    h = int(hashlib.sha256(seed.encode()).hexdigest()[:8], 16) / 0xffffffff
    return lo + (hi - lo) * h


def parse_plan():
    plan, cur = {}, None
    for raw in open(PLAN, encoding='utf-8'):
        line = raw.rstrip('\n')
        if not line.strip() or line.lstrip().startswith('#'):
            continue
        m = re.match(r'^\[(q\d+)\]$', line.strip())
        if m:
            cur = plan.setdefault(m.group(1), {})
            continue
        k, _, v = line.partition(':')
        cur[k.strip()] = v.strip()
    return plan


def candidate_order(qid, spec, n):
    """The pre-rerank order as indexes into the final list (None: a filler), or None when the
    question has no candidates."""
    if spec is None:
        if rnd(qid + 'cand', 0, 1) >= CANDIDATE_SHARE:
            return None
        order = list(range(n))
        for a in range(0, n - 1, 2):
            if (a < 5) == (a + 1 < 5):
                order[a], order[a + 1] = order[a + 1], order[a]
        return order
    order, seen = [], set()
    for ref in spec.split():
        if ref == '*':
            order.append(None)
            continue
        r = int(ref) - 1
        if not 0 <= r < n or r in seen:
            sys.exit('%s: bad candidate reference %s' % (qid, ref))
        seen.add(r)
        order.append(r)
    order += [r for r in range(n) if r not in seen]
    return order


def main():
    docs = load_corpus()
    chunks = {d: chunk(v['text']) for d, v in docs.items()}
    if len(sys.argv) > 2 and sys.argv[1] == '--list':
        with open(sys.argv[2], 'w') as out:
            for d, cs in chunks.items():
                for i, (a, b) in enumerate(cs):
                    t = docs[d]['text'][a:b]
                    out.write('%s#%d [%d w] %s\n' % (d, i, words(t), ' '.join(t.split())[:110]))
        return
    stale = set(INFERRED_STALE)
    for d, v in docs.items():
        fm = v['fm']
        if fm.get('supersedes'):
            stale.add(fm['supersedes'])
        if fm.get('deleted') == 'true' or (fm.get('valid_until') and fm['valid_until'] < '2026-10-01'):
            stale.add(d)
    queries = [json.loads(l) for l in open(QUERIES, encoding='utf-8') if l.strip()]
    plan = parse_plan()
    # idf for the filler
    df = {}
    for d, cs in chunks.items():
        for a, b in cs:
            for w in set(toks(docs[d]['text'][a:b])):
                df[w] = df.get(w, 0) + 1
    ndocs = sum(len(c) for c in chunks.values())
    out_lines = []
    for q in queries:
        qid = q['id']
        p = plan.get(qid)
        if p is None:
            sys.exit('no plan for %s' % qid)
        spans = []
        for e in q.get('evidence', []):
            t = docs[e['doc']]['text']
            s = t.find(e['quote'])
            if s < 0:
                sys.exit('%s: quote not found in %s' % (qid, e['doc']))
            spans.append((e['doc'], s, s + len(e['quote'])))
        labelled = {r['doc'] for r in q.get('relevant', [])} | {s[0] for s in spans}
        n = int(p.get('n', 10))
        refs = p.get('r', '').split()
        items = []

        def resolve(ref):
            d, _, sel = ref.partition('#')
            if d not in docs:
                sys.exit('%s: unknown doc %s' % (qid, d))
            cs = chunks[d]
            if sel.startswith('E'):
                sp = [s for s in spans if s[0] == d]
                if not sp:
                    sys.exit('%s: no evidence in %s' % (qid, d))
                _, s0, s1 = sp[0]
                if sel == 'E':
                    best = max(cs, key=lambda c: min(c[1], s1) - max(c[0], s0))
                    if min(best[1], s1) - max(best[0], s0) < 0.9 * (s1 - s0):
                        sys.exit('%s: no single chunk of %s holds the evidence' % (qid, d))
                    return d, best
                pos = s0 if sel == 'E1' else s1 - 1
                for c in cs:
                    if c[0] <= pos < c[1]:
                        return d, c
                sys.exit('%s: %s part not in any chunk of %s' % (qid, sel, d))
            k = int(sel)
            return d, cs[k]

        for ref in refs:
            items.append(None if ref == '*' else resolve(ref))
        while len(items) < n:
            items.append(None)
        excluded = set(p.get('x', '').split())
        qt = set(toks(q['text']))
        used = {(d, c) for it in items if it for d, c in [it]}
        cands = []
        for d, cs in chunks.items():
            if d in labelled or d in stale or d in CONFLICT_DOCS or d in excluded:
                continue
            for c in cs:
                ct = set(toks(docs[d]['text'][c[0]:c[1]]))
                sc = sum(math.log(ndocs / df[w]) for w in qt & ct)
                if (d, c) not in used:
                    # chunks sharing no word with the question come last, in a fixed pseudo-random order
                    cands.append((-sc, rnd('%s/%s/%d' % (qid, d, c[0]), 0, 1) if sc == 0 else 0, d, c))
        cands.sort()
        cands = [(k, d, c) for k, _, d, c in cands]
        fill = iter([(d, c) for _, d, c in cands])
        for i in range(len(items)):
            if items[i] is None:
                items[i] = next(fill)
        top = float(p.get('top', 0) or rnd(qid + 'top', 0.78, 0.92))
        score, retrieved = top, []
        for i, (d, c) in enumerate(items):
            if i:
                score -= rnd('%s-%d' % (qid, i), 0.004, 0.035)
            retrieved.append({'doc': d, 'text': docs[d]['text'][c[0]:c[1]], 'score': round(score, 4)})
        cand_order = candidate_order(qid, p.get('c'), len(items))
        candidates = None
        if cand_order is not None:
            citems = [items[o] if o is not None else next(fill) for o in cand_order]
            while len(citems) < N_CANDIDATES:
                citems.append(next(fill))
            cscore, candidates = float(rnd(qid + 'ctop', 0.55, 0.7)), []
            for i, (d, c) in enumerate(citems):
                if i:
                    cscore -= rnd('%s-c%d' % (qid, i), 0.002, 0.02)
                candidates.append({'doc': d, 'text': docs[d]['text'][c[0]:c[1]], 'score': round(cscore, 4)})
        ans = p.get('a', '')
        ctx_words = sum(words(r['text']) for r in retrieved[:5])
        prompt = int(240 + 1.33 * ctx_words + 1.3 * words(q['text']))
        compl = max(3, int(1.35 * words(ans) + rnd(qid + 'c', 0, 6)))
        lat = int(420 + 0.18 * prompt + 14 * compl + rnd(qid + 'l', 0, 380))
        line = {'query_id': qid, 'retrieved': retrieved}
        if candidates is not None:
            line['candidates'] = candidates
        line.update({'answer': ans, 'latency_ms': lat, 'prompt_tokens': prompt,
                     'completion_tokens': compl})
        out_lines.append(json.dumps(line, ensure_ascii=False))
    with open(OUT, 'w', encoding='utf-8') as f:
        f.write('\n'.join(out_lines) + '\n')
    print('wrote %d trace lines to %s' % (len(out_lines), os.path.relpath(OUT, ROOT)))


if __name__ == '__main__':
    main()
