//! The question's evidence: located in the corpus ([`resolve`]), then judged against the pool
//! ([`judge`]): which retrieved items hold it, and which live documents do.

use super::pool::{item_text, text_key, Pool};
use super::prose::code;
use crate::config::Config;
use crate::corpus::Corpus;
use crate::input::{QueryInput, RetrievedItem};
use crate::texts::Texts;
use crate::types::EvidenceRule;
use ragdiag_core::{find_quote, Diagnostics, Evidence, Query};
use rustc_hash::FxHashSet;
use std::collections::BTreeSet;

/// Evidence texts shorter than this (code points, trimmed) are not searched for in other
/// documents: short strings ("30 days") occur everywhere and would make label noise meaningless.
const MIN_CROSS_DOC_CHARS: usize = 20;

/// A located evidence span (document by index).
#[derive(Debug, Clone)]
pub(super) struct Span {
    pub(super) doc: usize,
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) evidence: usize,
    pub(super) labelled: bool,
    pub(super) normalised: bool,
}

/// The question's evidence, resolved against the corpus.
#[derive(Debug)]
pub(super) struct Resolved {
    pub(super) rule: EvidenceRule,
    pub(super) spans: Vec<Span>,
    /// Relevant documents (grade > 0) present in the corpus.
    pub(super) relevant: Vec<usize>,
    /// Evidence documents and relevant documents present in the corpus.
    pub(super) gold_docs: Vec<usize>,
    /// Why labelled evidence could not be used (absent documents, quotes not found).
    pub(super) missing: Vec<String>,
    /// Accepted answers as [`match_tokens`](crate::match_tokens) (answer-text rule).
    pub(super) accepted: Vec<Vec<String>>,
}

/// Code points shared by two spans.
pub(super) fn overlap(a: (usize, usize), b: (usize, usize)) -> usize {
    a.1.min(b.1).saturating_sub(a.0.max(b.0))
}

/// Every exact occurrence of `needle` in `hay`, as code-point spans.
fn exact_occurrences(hay: &str, needle: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    if needle.is_empty() {
        return out;
    }
    let nlen = needle.chars().count();
    let mut from = 0;
    let mut chars_before = 0;
    let mut last_byte = 0;
    while let Some(b) = hay[from..].find(needle) {
        let at = from + b;
        chars_before += hay[last_byte..at].chars().count();
        last_byte = at;
        out.push((chars_before, chars_before + nlen));
        let step = hay[at..].chars().next().map_or(1, char::len_utf8);
        from = at + step;
    }
    out
}

/// Locates the question's evidence: its spans and quotes in their documents, the same texts in
/// other live documents, the relevant documents, and the accepted answers.
pub(super) fn resolve(
    corpus: &Corpus<'_>,
    q: &Query,
    cfg: &Config<'_>,
    warnings: &mut Diagnostics,
) -> Resolved {
    let mut missing = Vec::new();
    let mut relevant = Vec::new();
    for j in q.relevant.iter().filter(|j| j.grade > 0) {
        match corpus.index(&j.doc) {
            Some(d) => relevant.push(d),
            None => missing.push(format!(
                "the relevant document {} is not in the corpus",
                code(&j.doc)
            )),
        }
    }
    relevant.sort_unstable();
    relevant.dedup();
    let mut gold_docs = relevant.clone();
    let accepted: Vec<Vec<String>> = q
        .reference_answers
        .iter()
        .map(|a| crate::answer::match_tokens(a))
        .filter(|a| !a.is_empty())
        .collect();
    if q.evidence.is_empty() {
        let rule = if q.relevant.iter().any(|j| j.grade > 0) {
            EvidenceRule::RelevantDocument
        } else {
            EvidenceRule::AnswerText
        };
        return Resolved {
            rule,
            spans: Vec::new(),
            relevant,
            gold_docs,
            missing,
            accepted,
        };
    }
    gold_docs.extend(q.evidence.iter().filter_map(|e| corpus.index(e.doc())));
    gold_docs.sort_unstable();
    gold_docs.dedup();
    let labelled: FxHashSet<usize> = gold_docs.iter().copied().collect();
    let mut spans = Vec::new();
    for (ei, ev) in q.evidence.iter().enumerate() {
        let home = corpus.index(ev.doc());
        let text = locate_at_home(corpus, q, ei, home, &mut spans, &mut missing, warnings);
        // The same evidence in other documents: relevant ones are gold too; other live, fresh
        // ones are label noise.
        let Some(t) = text else { continue };
        if !cfg.search_other_documents || t.trim().chars().count() < MIN_CROSS_DOC_CHARS {
            continue;
        }
        search_other_documents(corpus, ei, home, &t, &labelled, &mut spans);
    }
    Resolved {
        rule: EvidenceRule::SpanCover,
        spans,
        relevant,
        gold_docs,
        missing,
        accepted,
    }
}

/// Locates evidence item `ei` in its own document (`home`), pushing its spans, and returns its
/// text (the quote, or the span's text) for the search in other documents.
fn locate_at_home(
    corpus: &Corpus<'_>,
    q: &Query,
    ei: usize,
    home: Option<usize>,
    spans: &mut Vec<Span>,
    missing: &mut Vec<String>,
    warnings: &mut Diagnostics,
) -> Option<String> {
    let ev = &q.evidence[ei];
    let span = |d: usize, (start, end): (usize, usize), normalised: bool| Span {
        doc: d,
        start,
        end,
        evidence: ei,
        labelled: true,
        normalised,
    };
    match (ev, home) {
        (Evidence::Span { doc, .. } | Evidence::Quote { doc, .. }, None) => {
            missing.push(format!(
                "the evidence document {} is not in the corpus",
                code(doc)
            ));
            match ev {
                Evidence::Quote { quote, .. } => Some(quote.clone()),
                Evidence::Span { .. } => None,
            }
        }
        (Evidence::Span { doc, start, end }, Some(d)) => {
            let n = corpus.char_len(d);
            if start < end && *end <= n {
                spans.push(span(d, (*start, *end), false));
                Some(corpus.slice(d, *start, *end).to_string())
            } else {
                warnings.warn(
                    q.origin.clone(),
                    format!("evidence[{ei}].end"),
                    format!("span {start}..{end} is empty or outside {doc:?} ({n} code points)"),
                );
                missing.push(format!(
                    "the evidence span {start}..{end} is outside {}",
                    code(doc)
                ));
                None
            }
        }
        (Evidence::Quote { doc, quote }, Some(d)) => {
            let hay = &corpus.doc(d).text;
            let exact = exact_occurrences(hay, quote);
            if exact.is_empty() {
                match find_quote(hay, quote) {
                    Some(m) => spans.push(span(d, (m.start, m.end), true)),
                    None => missing.push(format!("the quote is not in {}", code(doc))),
                }
            } else {
                spans.extend(exact.into_iter().map(|s| span(d, s, false)));
            }
            Some(quote.clone())
        }
    }
}

/// Looks for evidence item `ei`'s text `t` in every live document but its own: in a labelled
/// document it is gold too; in an unlabelled, non-stale one it is label noise. The normalised
/// match is used only when the evidence's own document lacks it.
fn search_other_documents(
    corpus: &Corpus<'_>,
    ei: usize,
    home: Option<usize>,
    t: &str,
    labelled: &FxHashSet<usize>,
    spans: &mut Vec<Span>,
) {
    let home_live = spans
        .iter()
        .any(|s| s.evidence == ei && corpus.is_live(s.doc));
    let candidates = corpus
        .may_hold(t)
        .unwrap_or_else(|| (0..corpus.documents().len()).collect());
    for j in candidates {
        if Some(j) == home || !corpus.is_live(j) {
            continue;
        }
        let is_labelled = labelled.contains(&j);
        if !is_labelled && corpus.is_stale(j) {
            continue;
        }
        let hay = &corpus.doc(j).text;
        let mut found: Vec<(usize, usize, bool)> = exact_occurrences(hay, t)
            .into_iter()
            .map(|(s, e)| (s, e, false))
            .collect();
        if found.is_empty() && !home_live {
            if let Some(m) = find_quote(hay, t) {
                found.push((m.start, m.end, m.normalised));
            }
        }
        spans.extend(found.into_iter().map(|(start, end, normalised)| Span {
            doc: j,
            start,
            end,
            evidence: ei,
            labelled: is_labelled,
            normalised,
        }));
    }
}

/// The evidence judged against the retrieved items and the pool.
pub(super) struct Judged {
    /// The spans in live documents: only these can be held.
    pub(super) live_spans: Vec<Span>,
    /// One verdict per item of the input's ranking (`QueryInput::retrieved`).
    pub(super) verdicts: Vec<bool>,
    /// The pool items (indexes into `Pool::items`) that hold the evidence, in pool order.
    pub(super) holding: Vec<usize>,
    /// The best-ranked pool item holding the evidence (index into `Pool::items`), with its rank.
    pub(super) best: Option<(usize, usize)>,
    /// The live documents that hold the labelled evidence (span and relevant-document rules).
    pub(super) holder_docs: Vec<usize>,
    /// Some live document holds the evidence (always, under the answer-text rule).
    pub(super) live_evidence: bool,
}

impl Judged {
    /// Rank of the best-ranked chunk holding the evidence.
    pub(super) fn best_gold_rank(&self) -> Option<usize> {
        self.best.map(|(r, _)| r)
    }
}

/// Whether one retrieved item holds the evidence, by the question's evidence rule. Only
/// evidence in live documents counts.
fn holds(
    corpus: &Corpus<'_>,
    texts: &Texts<'_>,
    ev: &Resolved,
    live_spans: &[Span],
    cover: f64,
    item: &RetrievedItem,
    doc: Option<usize>,
) -> bool {
    match ev.rule {
        EvidenceRule::SpanCover => {
            let (Some(d), Some(span)) = (doc, item.span) else {
                return false;
            };
            live_spans.iter().any(|s| {
                s.doc == d
                    && overlap(span, (s.start, s.end)) as f64 + 1e-9
                        >= cover * (s.end - s.start) as f64
            })
        }
        EvidenceRule::RelevantDocument => {
            doc.is_some_and(|d| corpus.is_live(d) && ev.relevant.contains(&d))
        }
        EvidenceRule::AnswerText => {
            let f = texts.features(text_key(item, doc), item_text(corpus, item, doc));
            ev.accepted.iter().any(|a| {
                texts
                    .ids(a)
                    .is_some_and(|a| crate::answer::contains_ids(&f.matches, &a))
            })
        }
    }
}

/// Judges every retrieved item and pool item, and finds the live documents holding the
/// evidence.
pub(super) fn judge(
    corpus: &Corpus<'_>,
    texts: &Texts<'_>,
    input: &QueryInput<'_>,
    pool: &Pool<'_>,
    ev: &Resolved,
    cover: f64,
) -> Judged {
    let live_spans: Vec<Span> = ev
        .spans
        .iter()
        .filter(|s| corpus.is_live(s.doc))
        .cloned()
        .collect();
    let verdicts: Vec<bool> = input
        .retrieved
        .iter()
        .map(|item| {
            holds(
                corpus,
                texts,
                ev,
                &live_spans,
                cover,
                item,
                corpus.index(&item.doc),
            )
        })
        .collect();
    // A ranked pool item is `retrieved[rank - 1]`: its verdict is already known.
    let holding: Vec<usize> = (0..pool.items.len())
        .filter(|&i| {
            let p = &pool.items[i];
            match p.rank {
                Some(r) => verdicts[r - 1],
                None => holds(corpus, texts, ev, &live_spans, cover, p.item, p.doc),
            }
        })
        .collect();
    let best = holding
        .iter()
        .filter_map(|&i| pool.items[i].rank.map(|r| (r, i)))
        .min_by_key(|(r, _)| *r);
    let holder_docs: Vec<usize> = match ev.rule {
        EvidenceRule::SpanCover => {
            let mut v: Vec<usize> = live_spans
                .iter()
                .filter(|s| s.labelled)
                .map(|s| s.doc)
                .collect();
            v.sort_unstable();
            v.dedup();
            v
        }
        EvidenceRule::RelevantDocument => ev
            .relevant
            .iter()
            .copied()
            .filter(|&d| corpus.is_live(d))
            .collect(),
        EvidenceRule::AnswerText => Vec::new(),
    };
    let live_evidence = match ev.rule {
        EvidenceRule::SpanCover => !live_spans.is_empty(),
        EvidenceRule::RelevantDocument => !holder_docs.is_empty(),
        EvidenceRule::AnswerText => true,
    };
    Judged {
        live_spans,
        verdicts,
        holding,
        best,
        holder_docs,
        live_evidence,
    }
}

/// The stale versions of the gold documents (rule 5): stale documents reachable through
/// "replaces" edges that do not themselves hold the labelled evidence.
pub(super) fn stale_versions_of_gold(
    corpus: &Corpus<'_>,
    ev: &Resolved,
    judged: &Judged,
) -> BTreeSet<usize> {
    let mut out = BTreeSet::new();
    for &g in &ev.gold_docs {
        for o in corpus.older_versions(g) {
            if corpus.is_stale(o) && !judged.holder_docs.contains(&o) {
                out.insert(o);
            }
        }
    }
    out
}

/// Rank (1-based) of the best pre-rerank candidate holding the evidence, by the same test as
/// the ranking's items; `None` when none does.
pub(super) fn candidate_gold_rank(
    corpus: &Corpus<'_>,
    texts: &Texts<'_>,
    candidates: &[RetrievedItem],
    ev: &Resolved,
    judged: &Judged,
    cover: f64,
) -> Option<usize> {
    candidates
        .iter()
        .position(|c| {
            holds(
                corpus,
                texts,
                ev,
                &judged.live_spans,
                cover,
                c,
                corpus.index(&c.doc),
            )
        })
        .map(|i| i + 1)
}
