#!/usr/bin/env python3
"""Independent checker for the tallyfox demo data set.

Run from the repository root:  python3 scripts/check_demo.py
Exit status 0 when every check passes, 1 otherwise (each problem is printed).

It does not trust queries/tallyfox.truth.json: it re-derives what it can from the corpus, the
questions and the trace with the rules of shared/DESIGN.md (trace mode), and compares.
Python 3 standard library only.
"""
import itertools
import json
import os
import re
import sys
from datetime import date

CORPUS_DIR = 'corpora/tallyfox'
QUERIES = 'queries/tallyfox.jsonl'
TRACE = 'queries/tallyfox.trace.jsonl'
TRUTH = 'queries/tallyfox.truth.json'

NEAR_DUP = 0.8          # DESIGN.md default for inferred supersession
PLANTED_NEAR_DUP = 0.85  # planted pairs must clear this
OTHER_PAIR_MAX = 0.6     # no other pair may reach this
GROUNDED = 0.5           # share of a sentence's content words found in the context window
CLASSES = ['no_label', 'ok', 'corpus_gap', 'stale_source', 'chunking_split', 'retrieval_miss',
           'ranking_miss', 'generation_failure']
UNITS = {'second', 'seconds', 'minute', 'minutes', 'hour', 'hours', 'day', 'days', 'week', 'weeks',
         'month', 'months', 'year', 'years'}
FLAGS_CHECKED = {'corpus_gap', 'stale_in_context', 'chunking_split', 'conflicting_versions',
                 'reranker_demoted_gold', 'reranker_promoted_gold'}
ABSTAIN = ["i don't know", 'i do not know', "don't know", 'not in the documents',
           "doesn't cover", 'does not cover', "couldn't find", 'could not find', 'cannot find',
           "can't find", 'no information', 'not mentioned', 'unable to find', "i'm not sure"]
STOP = set('''a an the and or but if then than so of to in on at by for from with without into onto
over under about as is are was were be been being am do does did done have has had having it its
this that these those there here i me my we us our you your he she they them their what which who
whom whose when where why how can could would should will shall may might must not no yes also
just only very too up out off any all each every some such more most other another own same per
one''' .split())

problems = []
notes = []


def fail(msg):
    problems.append(msg)


# ---------------------------------------------------------------- corpus

def parse_front_matter(path, raw):
    if not raw.startswith('---\n'):
        fail('%s: no front matter' % path)
        return None, None
    end = raw.find('\n---\n', 3)
    if end < 0:
        fail('%s: front matter not closed' % path)
        return None, None
    fm = {}
    for n, line in enumerate(raw[4:end].split('\n'), 2):
        m = re.match(r'^([A-Za-z_]+):\s*(.*)$', line)
        if not m:
            fail('%s:%d: unparseable front matter line %r' % (path, n, line))
            continue
        key, val = m.group(1), m.group(2).strip()
        if key in fm:
            fail('%s:%d: duplicate key %s' % (path, n, key))
        if val.startswith('[') and val.endswith(']'):
            val = [v.strip().strip('"\'') for v in val[1:-1].split(',') if v.strip()]
        elif len(val) >= 2 and val[0] == val[-1] and val[0] in '"\'':
            val = val[1:-1]
        elif val in ('true', 'false'):
            val = val == 'true'
        fm[key] = val
    return fm, raw[end + 5:]


def valid_date(s):
    try:
        date.fromisoformat(s)
        return True
    except (TypeError, ValueError):
        return False


def load_corpus():
    docs = {}
    for f in sorted(os.listdir(CORPUS_DIR)):
        if not f.endswith('.md'):
            continue
        path = os.path.join(CORPUS_DIR, f)
        fm, text = parse_front_matter(path, open(path, encoding='utf-8').read())
        if fm is None:
            continue
        for req in ('id', 'title'):
            if not isinstance(fm.get(req), str) or not fm.get(req):
                fail('%s: missing %s' % (path, req))
        if fm.get('id') != f[:-3]:
            fail('%s: id %r does not match the file name' % (path, fm.get('id')))
        for k in ('updated_at', 'valid_until'):
            if k in fm and not valid_date(fm[k]):
                fail('%s: %s is not YYYY-MM-DD' % (path, k))
        if 'deleted' in fm and not isinstance(fm['deleted'], bool):
            fail('%s: deleted must be true/false' % path)
        if 'tags' in fm and not isinstance(fm['tags'], list):
            fail('%s: tags must be a list' % path)
        unknown = set(fm) - {'id', 'title', 'updated_at', 'version', 'supersedes', 'valid_until',
                             'deleted', 'tags'}
        if unknown:
            fail('%s: unknown front matter keys %s' % (path, sorted(unknown)))
        words = len(text.split())
        if not 150 <= words <= 1000:
            fail('%s: %d words (want 150-1000)' % (path, words))
        docs[fm.get('id', f[:-3])] = {'fm': fm, 'text': text}
    return docs


def shingles(text):
    w = re.findall(r'[a-z0-9]+', text.lower())
    return {tuple(w[i:i + 3]) for i in range(len(w) - 2)}


def jaccard(a, b):
    return len(a & b) / len(a | b) if a | b else 0.0


# ---------------------------------------------------------------- text helpers

def norm(s, punct_to_space):
    s = s.lower()
    s = re.sub(r"[^\w\s]", ' ' if punct_to_space else '', s)
    s = re.sub(r'\b(a|an|the)\b', ' ', s)
    return ' '.join(s.split())


def f1(pred, gold):
    p, g = pred.split(), gold.split()
    common = {}
    for t in p:
        if t in g:
            common[t] = min(p.count(t), g.count(t))
    same = sum(common.values())
    if not same:
        return 0.0
    prec, rec = same / len(p), same / len(g)
    return 2 * prec * rec / (prec + rec)


def correctness(answer, accepted):
    """(token-level correct under both normalisations, loosely correct under either)."""
    strict, loose = True, False
    for mode in (False, True):
        a = norm(answer, mode)
        hit_tok = hit_char = False
        for acc in accepted:
            g = norm(acc, mode)
            if not g:
                continue
            if (' ' + g + ' ') in (' ' + a + ' ') or f1(a, g) >= 0.8:
                hit_tok = True
            if g in a or f1(a, g) >= 0.8:
                hit_char = True
        strict = strict and hit_tok
        loose = loose or hit_char
    return strict, loose


def abstains(answer):
    a = answer.lower().replace('\u2019', "'")
    return any(p in a for p in ABSTAIN)


def content_tokens(s):
    return [t for t in re.findall(r'[a-z0-9]+', s.lower()) if t not in STOP]


def sentences(s):
    return [x for x in re.split(r'(?<=[.!?])\s+', s.strip()) if x]


def grounding(answer, context_texts):
    ctx = set()
    for t in context_texts:
        ctx.update(content_tokens(t))
    scores = []
    for sent in sentences(answer):
        toks = content_tokens(sent)
        if toks:
            scores.append(sum(t in ctx for t in toks) / len(toks))
    return min(scores) if scores else 1.0


def overlap(a0, a1, b0, b1):
    return max(0, min(a1, b1) - max(a0, b0))


# ---------------------------------------------------------------- main

def main():
    if not os.path.isdir(CORPUS_DIR):
        print('run from the repository root')
        return 1
    docs = load_corpus()
    truth = json.load(open(TRUTH, encoding='utf-8'))
    as_of = truth.get('as_of', '2026-10-01')
    k = int(truth.get('context_k', 5))
    cover = float(truth.get('cover', 0.9))
    if not 90 <= len(docs) <= 110:
        fail('corpus has %d pages (want 90-110)' % len(docs))

    # ---- freshness, re-derived from the pages
    live = {d for d, v in docs.items() if v['fm'].get('deleted') is not True}
    updated = {d: v['fm'].get('updated_at') for d, v in docs.items()}
    stale = {}
    older_versions = {d: set() for d in docs}   # newer -> direct older versions
    for d, v in docs.items():
        fm = v['fm']
        sup = fm.get('supersedes')
        if sup:
            if sup not in docs:
                fail('%s: supersedes unknown id %s' % (d, sup))
            else:
                stale.setdefault(sup, {'reason': 'superseded', 'by': d, 'inferred': False})
                older_versions[d].add(sup)
    sh = {d: shingles(v['text']) for d, v in docs.items()}
    near = []
    for a, b in itertools.combinations(sorted(docs), 2):
        j = jaccard(sh[a], sh[b])
        if j >= NEAR_DUP:
            ua, ub = updated[a], updated[b]
            if ua and ub and ua != ub:
                old, new = (a, b) if ua < ub else (b, a)
                near.append((old, new, j))
                older_versions[new].add(old)
                stale.setdefault(old, {'reason': 'superseded', 'by': new, 'inferred': True})
            else:
                fail('near-duplicate pair %s / %s without two different dates' % (a, b))
        elif j >= OTHER_PAIR_MAX:
            fail('pages %s and %s have shingle Jaccard %.3f (>= %.1f) but are not a planted pair'
                 % (a, b, j, OTHER_PAIR_MAX))
    for old, new, j in near:
        if j < PLANTED_NEAR_DUP:
            fail('planted near-duplicate %s / %s has Jaccard %.3f < %.2f' % (old, new, j, PLANTED_NEAR_DUP))
        notes.append('near-duplicate %s -> %s: Jaccard %.3f' % (old, new, j))
    for d, v in docs.items():
        fm = v['fm']
        if d in stale:
            continue
        if fm.get('valid_until') and fm['valid_until'] < as_of:
            stale[d] = {'reason': 'expired', 'by': None, 'inferred': False}
        if fm.get('deleted') is True:
            stale[d] = {'reason': 'deleted', 'by': None, 'inferred': False}
    for d, v in docs.items():
        fm = v['fm']
        reasons = [r for r, c in (('superseded', any(d in o for o in older_versions.values())),
                                  ('expired', bool(fm.get('valid_until')) and fm.get('valid_until', '') < as_of),
                                  ('deleted', fm.get('deleted') is True)) if c]
        if len(reasons) > 1:
            fail('%s is stale for several reasons %s; keep one per page' % (d, reasons))
    undated = sorted(d for d, v in docs.items() if not v['fm'].get('updated_at'))
    if not 4 <= len(undated) <= 6:
        fail('%d undated pages (want 4-6)' % len(undated))
    for d in undated:
        if d in stale:
            fail('undated page %s is also stale; keep undated pages unambiguous' % d)

    tf = truth['freshness']
    if tf['stale'] != stale:
        for d in sorted(set(tf['stale']) | set(stale)):
            if tf['stale'].get(d) != stale.get(d):
                fail('freshness.stale[%s]: truth %s, derived %s' % (d, tf['stale'].get(d), stale.get(d)))
    if sorted(tf['undated']) != undated:
        fail('freshness.undated: truth %s, derived %s' % (sorted(tf['undated']), undated))
    if sorted(map(tuple, tf['near_duplicates'])) != sorted((o, n) for o, n, _ in near):
        fail('freshness.near_duplicates: truth %s, derived %s'
             % (tf['near_duplicates'], [(o, n) for o, n, _ in near]))

    # conflicts: both current, and an aligned sentence pair differing only in numbers
    def sents(text):
        out = []
        for s in re.split(r'(?<=[.!?])\s+|\n+', text):
            toks = re.findall(r'[a-z]+|\d+(?:[.,]\d+)*', s.lower())
            if len(toks) >= 5:
                out.append(toks)
        return out
    conflict_pairs = set()
    for pair in tf['conflicts']:
        a, b = pair
        conflict_pairs.add(frozenset(pair))
        if a not in docs or b not in docs:
            fail('conflict %s: unknown page' % pair)
            continue
        for d in pair:
            if d in stale or d not in live or d in undated:
                fail('conflict %s: %s is not a current, dated page' % (pair, d))
        found = False
        for sa in sents(docs[a]['text']):
            for sb in sents(docs[b]['text']):
                if len(sa) != len(sb) or sa == sb:
                    continue
                diff = [(x, y) for x, y in zip(sa, sb) if x != y]
                # numbers may differ, and so may the unit of a duration (7 days vs 72 hours)
                if diff and any(x[0].isdigit() for x, _ in diff) and all(
                        (x[0].isdigit() and y[0].isdigit()) or (x in UNITS and y in UNITS) for x, y in diff):
                    found = True
        if not found:
            fail('conflict %s: no aligned sentences that differ only in numbers' % pair)
    if len(tf['conflicts']) < 3:
        fail('fewer than 3 conflict pairs')

    html = docs.get('payment-button-embed', {}).get('text', '')
    for needle in ('<script src="https://', "<script>alert('x')</script>", '"><img src=x onerror=alert(1)>'):
        if needle not in html:
            fail('payment-button-embed lacks %r' % needle)

    def older_closure(d):
        seen, todo = set(), [d]
        while todo:
            x = todo.pop()
            for o in older_versions.get(x, ()):
                if o not in seen:
                    seen.add(o)
                    todo.append(o)
        return seen

    version_pairs = set()
    for d in docs:
        for o in older_closure(d):
            version_pairs.add(frozenset((d, o)))

    # ---- questions and trace
    queries = []
    for n, line in enumerate(open(QUERIES, encoding='utf-8'), 1):
        if line.strip():
            try:
                queries.append(json.loads(line))
            except ValueError as e:
                fail('%s:%d: %s' % (QUERIES, n, e))
    if not 130 <= len(queries) <= 150:
        fail('%d questions (want 130-150)' % len(queries))
    ids = [q['id'] for q in queries]
    if len(set(ids)) != len(ids):
        fail('duplicate question ids')
    trace = {}
    for n, line in enumerate(open(TRACE, encoding='utf-8'), 1):
        if not line.strip():
            continue
        t = json.loads(line)
        if t['query_id'] in trace:
            fail('%s:%d: second trace line for %s' % (TRACE, n, t['query_id']))
        trace[t['query_id']] = t
    if set(trace) != set(ids):
        fail('trace ids and question ids differ: %s' % sorted(set(trace) ^ set(ids)))
    if set(truth['questions']) != set(ids):
        fail('truth ids and question ids differ: %s' % sorted(set(truth['questions']) ^ set(ids)))

    counts = {c: 0 for c in CLASSES}
    unans_abstain = unans_assert = 0
    label_before = []
    rerank_effects = {'helped': 0, 'hurt': 0, 'neutral': 0}
    with_candidates = 0
    for q in queries:
        qid = q['id']
        t = trace.get(qid)
        tr = truth['questions'].get(qid)
        if t is None or tr is None:
            continue
        where = qid
        for key in ('latency_ms', 'prompt_tokens', 'completion_tokens'):
            if not isinstance(t.get(key), int):
                fail('%s: trace %s must be an int' % (where, key))
        if not isinstance(t.get('answer'), str):
            fail('%s: trace answer must be a string' % where)
            continue
        with_candidates += 'candidates' in t
        ret = t.get('retrieved', [])
        if not 1 <= len(ret) <= 20:
            fail('%s: %d retrieved items (want 1-20)' % (where, len(ret)))
        items = []
        for r, it in enumerate(ret, 1):
            d = it.get('doc')
            if d not in docs:
                fail('%s: rank %d: unknown doc %s' % (where, r, d))
                continue
            text = docs[d]['text']
            s = text.find(it.get('text', '\0'))
            if s < 0:
                fail('%s: rank %d: text is not an exact substring of %s' % (where, r, d))
                continue
            if text.find(it['text'], s + 1) >= 0:
                fail('%s: rank %d: text occurs more than once in %s' % (where, r, d))
            if r > 1 and not it['score'] < ret[r - 2]['score']:
                fail('%s: scores not strictly decreasing at rank %d' % (where, r))
            items.append((r, d, s, s + len(it['text']), it['text']))
        # candidates: the reranker's input; it reorders them, so every final item is among them
        cands = []
        if 'candidates' in t:
            cl = t['candidates']
            if not isinstance(cl, list) or not len(ret) <= len(cl) <= 50:
                fail('%s: candidates must be a list of %d to 50 items' % (where, len(ret)))
                cl = []
            seen = set()
            for r, it in enumerate(cl, 1):
                d = it.get('doc')
                s = docs[d]['text'].find(it.get('text', '\0')) if d in docs else -1
                if s < 0:
                    fail('%s: candidate %d: text is not an exact substring of %s' % (where, r, d))
                    continue
                if (d, s) in seen:
                    fail('%s: candidate %d repeats an earlier candidate' % (where, r))
                seen.add((d, s))
                if r > 1 and not it['score'] < cl[r - 2]['score']:
                    fail('%s: candidate scores not strictly decreasing at %d' % (where, r))
                cands.append((r, d, s, s + len(it['text']), it['text']))
            for it in items:
                if (it[1], it[2]) not in seen:
                    fail('%s: rank %d is not among the candidates' % (where, it[0]))
        labelled = any(key in q for key in ('relevant', 'evidence', 'reference_answer'))
        spans = []
        for e in q.get('evidence', []):
            d = e['doc']
            if d not in docs:
                fail('%s: evidence doc %s unknown' % (where, d))
                continue
            qt = e['quote']
            s = docs[d]['text'].find(qt)
            if s < 0:
                fail('%s: quote not an exact substring of %s: %r' % (where, d, qt[:60]))
                continue
            if docs[d]['text'].find(qt, s + 1) >= 0:
                fail('%s: quote occurs twice in %s' % (where, d))
            if not 5 <= len(qt.split()) <= 40:
                fail('%s: quote has %d words (want 5-40)' % (where, len(qt.split())))
            gold_docs_q = {r['doc'] for r in q.get('relevant', [])}
            for other, v in docs.items():
                if other != d and other not in gold_docs_q and qt in v['text'] and other in live:
                    fail('%s: unlabelled live page %s also holds the quote (label noise)' % (where, other))
            spans.append((d, s, s + len(qt)))
        for r in q.get('relevant', []):
            if r['doc'] not in docs:
                fail('%s: relevant doc %s unknown' % (where, r['doc']))
            if r.get('grade') not in (1, 2, 3):
                fail('%s: grade must be 1..3' % where)
        gold = {r['doc'] for r in q.get('relevant', []) if r.get('grade', 0) > 0} | {s[0] for s in spans}
        for g in gold:
            ua = updated.get(g)
            if ua and q.get('asked_at') and q['asked_at'] < ua:
                label_before.append('%s (asked %s, %s updated %s)' % (qid, q['asked_at'], g, ua))

        answer = t['answer']
        window = [it for it in items if it[0] <= k]
        window_docs = {it[1] for it in window}
        accepted = q.get('reference_answer', [])
        if isinstance(accepted, str):
            accepted = [accepted]
        strict, loose = correctness(answer, accepted) if accepted else (False, False)
        ground = grounding(answer, [it[4] for it in window])

        def holds(it, sp):
            return it[1] == sp[0] and overlap(it[2], it[3], sp[1], sp[2]) >= cover * (sp[2] - sp[1])

        holding = [it for it in items if any(holds(it, sp) for sp in spans)]
        split_spans = []
        for sp in spans:
            parts = [it for it in items if it[1] == sp[0] and 0 < overlap(it[2], it[3], sp[1], sp[2])
                     and not holds(it, sp)]
            if len(parts) >= 2:
                split_spans.append(sp)
        live_evidence = any(sp[0] in live for sp in spans) or (not spans and any(g in live for g in gold))
        stale_versions = set()
        for g in gold:
            stale_versions |= {o for o in older_closure(g) if o in stale}
        gold_ranks = [it[0] for it in window if it[1] in gold]
        best_gold = min(gold_ranks) if gold_ranks else None
        stale_above = [it for it in window if it[1] in stale_versions and (best_gold is None or it[0] < best_gold)]

        # decision order (trace mode)
        if not labelled and q.get('answerable', True) is not False:
            cls, rule = 'no_label', 1
        elif q.get('answerable', True) is False:
            cls, rule = ('ok' if abstains(answer) else 'generation_failure'), 2
        elif strict and ground >= GROUNDED and not abstains(answer):
            cls, rule = 'ok', 3
        elif not live_evidence:
            cls, rule = 'corpus_gap', 4
        elif any(g in stale for g in gold) or stale_above:
            cls, rule = 'stale_source', 5
        elif not holding and split_spans and any(sp[0] in live for sp in split_spans):
            cls, rule = 'chunking_split', 6
        elif not holding:
            cls, rule = 'retrieval_miss', 7
        elif min(it[0] for it in holding) > k:
            cls, rule = 'ranking_miss', 8
        else:
            cls, rule = 'generation_failure', 9

        if cls != tr['class']:
            fail('%s: truth says %s, trace rules give %s (rule %d; correct=%s grounded=%.2f)'
                 % (qid, tr['class'], cls, rule, strict, ground))
        if rule == 2:
            if cls == 'ok':
                unans_abstain += 1
            else:
                unans_assert += 1
        else:
            counts[cls] += 1

        # flags
        flags = set()
        if q.get('answerable', True) is False or cls == 'corpus_gap':
            flags.add('corpus_gap')
        if any(d in stale for d in window_docs):
            flags.add('stale_in_context')
        if spans and not holding and split_spans:
            flags.add('chunking_split')
        for a, b in itertools.combinations(sorted(window_docs), 2):
            if frozenset((a, b)) in conflict_pairs or frozenset((a, b)) in version_pairs:
                flags.add('conflicting_versions')
        if cands and rule > 2:
            def best(lst):
                ranks = [it[0] for it in lst if any(holds(it, sp) for sp in spans)]
                return min(ranks) if ranks else None
            before, after = best(cands), best(items)
            inside = lambda r: r is not None and r <= k
            if inside(before) and not inside(after):
                flags.add('reranker_demoted_gold')
                rerank_effects['hurt'] += 1
            elif inside(after) and not inside(before):
                flags.add('reranker_promoted_gold')
                rerank_effects['helped'] += 1
            else:
                rerank_effects['neutral'] += 1
        tf_flags = set(tr.get('flags', []))
        if tf_flags & FLAGS_CHECKED != flags:
            fail('%s: truth flags %s, derived %s' % (qid, sorted(tf_flags), sorted(flags)))
        if not tr.get('rationale'):
            fail('%s: truth rationale missing' % qid)

        # make every case clear-cut
        if cls == 'ok' and rule == 3 and ground < 0.6:
            fail('%s: ok answer only %.2f grounded; copy the context more closely' % (qid, ground))
        if rule == 3 and abstains(answer):
            fail('%s: ok answer contains an abstention phrase' % qid)
        if rule in (4, 5, 6, 7, 8) and loose:
            fail('%s: %s answer loosely matches an accepted answer; make it clearly wrong' % (qid, cls))
        if rule == 9 and loose and ground >= 0.4:
            fail('%s: generation_failure answer is correct and only weakly ungrounded (%.2f)' % (qid, ground))
        if rule in (4, 6, 7, 8, 9) and any(d in stale for d in window_docs):
            fail('%s: %s question has a stale page in the context window' % (qid, cls))
        if rule == 7:
            for it in items:
                for sp in spans:
                    if it[1] == sp[0] and overlap(it[2], it[3], sp[1], sp[2]):
                        fail('%s: retrieval_miss but rank %d overlaps the evidence' % (qid, it[0]))
        if rule == 8 and not 6 <= min(it[0] for it in holding) <= 20:
            fail('%s: ranking_miss evidence rank out of 6-20' % qid)
        if rule == 2 and cls == 'generation_failure' and abstains(answer):
            fail('%s: asserted answer contains an abstention phrase' % qid)
        if q.get('answerable', True) is False and any(key in q for key in ('relevant', 'evidence', 'reference_answer')):
            fail('%s: unanswerable question carries labels' % qid)
        if labelled and not (spans and accepted):
            fail('%s: labelled question needs evidence and a reference answer' % qid)

    for c in CLASSES:
        if counts[c] < 10:
            fail('class %s occurs %d times (want >= 10, unanswerable questions excluded)' % (c, counts[c]))
    if unans_abstain < 10:
        fail('%d unanswerable questions with abstaining answers (want >= 10)' % unans_abstain)
    if unans_assert < 10:
        fail('%d unanswerable questions with asserted answers (want >= 10)' % unans_assert)

    if not 0.2 <= with_candidates / max(1, len(queries)) <= 0.6:
        fail('%d of %d trace lines carry candidates (want 20-60%%)' % (with_candidates, len(queries)))
    if rerank_effects['helped'] < 3 or rerank_effects['hurt'] < 3:
        fail('the reranker helps %(helped)d and hurts %(hurt)d questions (want >= 3 each)' % rerank_effects)
    print('pages: %d (%d live), questions: %d' % (len(docs), len(live), len(queries)))
    print('candidates: %d trace lines; reranker helped=%d hurt=%d neutral=%d'
          % (with_candidates, rerank_effects['helped'], rerank_effects['hurt'], rerank_effects['neutral']))
    print('classes (answerable or unlabelled): ' + ', '.join('%s=%d' % (c, counts[c]) for c in CLASSES))
    print('unanswerable: abstaining=%d asserted=%d' % (unans_abstain, unans_assert))
    print('stale pages: %d, undated: %d, conflicts: %d, near-duplicates: %d'
          % (len(stale), len(undated), len(tf['conflicts']), len(near)))
    for n in notes:
        print(n)
    print('labels dated before their gold page was updated: ' + '; '.join(label_before))
    if problems:
        print('\n%d problem(s):' % len(problems))
        for p in problems:
            print('  - ' + p)
        return 1
    print('all checks passed')
    return 0


if __name__ == '__main__':
    sys.exit(main())
