//! The decision order of DESIGN.md ("Failure attribution"), applied to one question.

use crate::answer::compare_answer;
use crate::config::Config;
use crate::corpus::Corpus;
use crate::ground::{assess_grounding, Grounding};
use crate::input::{QueryInput, RetrievedItem};
use crate::types::{
    AnswerAssessment, Class, Diagnosis, EvidenceRule, Flag, GoldSpan, Mode, Rule, SplitPart,
    StaleHit, WindowItem,
};
use ragdiag_core::{find_quote, Diagnostics, Evidence, Query};
use rustc_hash::FxHashSet;
use std::collections::BTreeSet;

/// Evidence texts shorter than this (code points, trimmed) are not searched for in other
/// documents: short strings ("30 days") occur everywhere and would make label noise meaningless.
const MIN_CROSS_DOC_CHARS: usize = 20;

/// A located evidence span (document by index).
#[derive(Debug, Clone)]
struct Span {
    doc: usize,
    start: usize,
    end: usize,
    evidence: usize,
    labelled: bool,
    normalised: bool,
}

/// The question's evidence, resolved against the corpus.
#[derive(Debug)]
struct Resolved {
    rule: EvidenceRule,
    spans: Vec<Span>,
    /// Relevant documents (grade > 0) present in the corpus.
    relevant: Vec<usize>,
    /// Evidence documents and relevant documents present in the corpus.
    gold_docs: Vec<usize>,
    /// Why labelled evidence could not be used (absent documents, quotes not found).
    missing: Vec<String>,
    /// Accepted answers, normalised (answer-text rule).
    accepted: Vec<String>,
}

/// One pool item with its rank and document index.
struct PoolItem<'i> {
    item: &'i RetrievedItem,
    /// Rank in the ranking (1-based); `None` for a candidate that is not in the ranking.
    rank: Option<usize>,
    doc: Option<usize>,
}

fn code(id: &str) -> String {
    format!("`{id}`")
}

fn quoted(s: &str) -> String {
    const MAX: usize = 100;
    let s = s.trim();
    if s.chars().count() <= MAX {
        format!("\"{s}\"")
    } else {
        let cut: String = s.chars().take(MAX).collect();
        format!("\"{}…\"", cut.trim_end())
    }
}

fn pct(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

fn list_ranks(ranks: &[usize]) -> String {
    let s: Vec<String> = ranks.iter().map(ToString::to_string).collect();
    match s.len() {
        0 => String::new(),
        1 => s[0].clone(),
        _ => format!("{} and {}", s[..s.len() - 1].join(", "), s[s.len() - 1]),
    }
}

fn overlap(a: (usize, usize), b: (usize, usize)) -> usize {
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

fn resolve(
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
    let accepted: Vec<String> = q
        .reference_answers
        .iter()
        .map(|a| crate::answer::normalize_answer(a))
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
    let evidence_docs: Vec<usize> = q
        .evidence
        .iter()
        .filter_map(|e| corpus.index(e.doc()))
        .collect();
    gold_docs.extend(&evidence_docs);
    gold_docs.sort_unstable();
    gold_docs.dedup();
    let labelled: FxHashSet<usize> = gold_docs.iter().copied().collect();
    let mut spans = Vec::new();
    for (ei, ev) in q.evidence.iter().enumerate() {
        let field = format!("evidence[{ei}]");
        let home = corpus.index(ev.doc());
        let mut text: Option<String> = None;
        match (ev, home) {
            (Evidence::Span { doc, .. }, None) | (Evidence::Quote { doc, .. }, None) => {
                missing.push(format!(
                    "the evidence document {} is not in the corpus",
                    code(doc)
                ));
                if let Evidence::Quote { quote, .. } = ev {
                    text = Some(quote.clone());
                }
            }
            (Evidence::Span { doc, start, end }, Some(d)) => {
                let n = corpus.char_len(d);
                if start < end && *end <= n {
                    spans.push(Span {
                        doc: d,
                        start: *start,
                        end: *end,
                        evidence: ei,
                        labelled: true,
                        normalised: false,
                    });
                    text = Some(corpus.slice(d, *start, *end).to_string());
                } else {
                    warnings.warn(
                        q.origin.clone(),
                        format!("{field}.end"),
                        format!(
                            "span {start}..{end} is empty or outside {doc:?} ({n} code points)"
                        ),
                    );
                    missing.push(format!(
                        "the evidence span {start}..{end} is outside {}",
                        code(doc)
                    ));
                }
            }
            (Evidence::Quote { doc, quote }, Some(d)) => {
                text = Some(quote.clone());
                let hay = &corpus.doc(d).text;
                let exact = exact_occurrences(hay, quote);
                if exact.is_empty() {
                    match find_quote(hay, quote) {
                        Some(m) => spans.push(Span {
                            doc: d,
                            start: m.start,
                            end: m.end,
                            evidence: ei,
                            labelled: true,
                            normalised: true,
                        }),
                        None => missing.push(format!("the quote is not in {}", code(doc))),
                    }
                } else {
                    for (s, e) in exact {
                        spans.push(Span {
                            doc: d,
                            start: s,
                            end: e,
                            evidence: ei,
                            labelled: true,
                            normalised: false,
                        });
                    }
                }
            }
        }
        // The same evidence in other documents: relevant ones are gold too; other live, fresh
        // ones are label noise.
        let Some(t) = text else { continue };
        if !cfg.search_other_documents || t.trim().chars().count() < MIN_CROSS_DOC_CHARS {
            continue;
        }
        let home_live = spans
            .iter()
            .any(|s| s.evidence == ei && corpus.is_live(s.doc));
        for j in 0..corpus.documents().len() {
            if Some(j) == home || !corpus.is_live(j) {
                continue;
            }
            let is_labelled = labelled.contains(&j);
            if !is_labelled && corpus.is_stale(j) {
                continue;
            }
            let hay = &corpus.doc(j).text;
            let mut found: Vec<(usize, usize, bool)> = exact_occurrences(hay, &t)
                .into_iter()
                .map(|(s, e)| (s, e, false))
                .collect();
            if found.is_empty() && !home_live {
                if let Some(m) = find_quote(hay, &t) {
                    found.push((m.start, m.end, m.normalised));
                }
            }
            for (s, e, normalised) in found {
                spans.push(Span {
                    doc: j,
                    start: s,
                    end: e,
                    evidence: ei,
                    labelled: is_labelled,
                    normalised,
                });
            }
        }
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

/// Word 3-shingles (as strings) of a text, for chunk near-duplicates.
fn shingles(text: &str) -> BTreeSet<String> {
    let w: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    if w.len() < 3 {
        return std::iter::once(w.join(" "))
            .filter(|s| !s.is_empty())
            .collect();
    }
    w.windows(3).map(|x| x.join(" ")).collect()
}

fn jaccard(a: &BTreeSet<String>, b: &BTreeSet<String>) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let inter = a.intersection(b).count();
    inter as f64 / (a.len() + b.len() - inter) as f64
}

fn same_item(a: &RetrievedItem, b: &RetrievedItem) -> bool {
    a.doc == b.doc
        && match (a.span, b.span, a.text.as_deref(), b.text.as_deref()) {
            (Some(x), Some(y), _, _) => x == y,
            (_, _, Some(x), Some(y)) => x == y,
            _ => false,
        }
}

/// The text the generator saw for an item.
fn item_text<'a>(corpus: &Corpus<'a>, item: &'a RetrievedItem, doc: Option<usize>) -> &'a str {
    if let Some(t) = item.text.as_deref() {
        return t;
    }
    match (doc, item.span) {
        (Some(d), Some((s, e))) => corpus.slice(d, s, e),
        (Some(d), None) => &corpus.doc(d).text,
        (None, _) => "",
    }
}

fn stale_desc(corpus: &Corpus<'_>, d: usize) -> String {
    let reason = corpus.stale_reason(d);
    match (reason, corpus.superseded_by(d)) {
        ("superseded", Some(by)) => format!("{} (superseded by {})", code(corpus.id(d)), code(by)),
        _ => format!("{} ({reason})", code(corpus.id(d))),
    }
}

/// Diagnoses one question.
pub(crate) fn diagnose_one(
    corpus: &Corpus<'_>,
    input: &QueryInput<'_>,
    cfg: &Config<'_>,
    warnings: &mut Diagnostics,
) -> crate::Result<Diagnosis> {
    let q = input.query;
    let k = cfg.context_k;
    let trace = cfg.mode == Mode::Trace;

    // The ranking, the pool and the window.
    let ranking: &[RetrievedItem] = match cfg.mode {
        Mode::Replay => &input.retrieved[..input.retrieved.len().min(cfg.pool_k)],
        Mode::Trace => &input.retrieved,
    };
    let mut pool: Vec<PoolItem<'_>> = ranking
        .iter()
        .enumerate()
        .map(|(i, item)| PoolItem {
            item,
            rank: Some(i + 1),
            doc: corpus.index(&item.doc),
        })
        .collect();
    if let (Mode::Trace, Some(cands)) = (cfg.mode, input.candidates.as_ref()) {
        for c in cands {
            if !pool.iter().any(|p| same_item(p.item, c)) {
                pool.push(PoolItem {
                    item: c,
                    rank: None,
                    doc: corpus.index(&c.doc),
                });
            }
        }
    }
    let window: Vec<&PoolItem<'_>> = pool
        .iter()
        .filter(|p| p.rank.is_some_and(|r| r <= k))
        .collect();
    let window_texts: Vec<&str> = window
        .iter()
        .map(|p| item_text(corpus, p.item, p.doc))
        .collect();

    // Flags that depend only on the window.
    let mut flags = BTreeSet::new();
    let mut stale_in_window = Vec::new();
    for p in &window {
        if let (Some(d), Some(rank)) = (p.doc, p.rank) {
            if corpus.is_stale(d) {
                stale_in_window.push(StaleHit {
                    rank,
                    doc: p.item.doc.clone(),
                    reason: corpus.stale_reason(d),
                    superseded_by: corpus.superseded_by(d).map(str::to_string),
                    version_of_gold: false,
                });
            }
        }
    }
    if !stale_in_window.is_empty() {
        flags.insert(Flag::StaleInContext);
    }
    let mut window_docs: Vec<usize> = window.iter().filter_map(|p| p.doc).collect();
    window_docs.sort_unstable();
    window_docs.dedup();
    'pairs: for (i, &a) in window_docs.iter().enumerate() {
        for &b in &window_docs[i + 1..] {
            if corpus.in_conflict(a, b) || corpus.are_versions(a, b) {
                flags.insert(Flag::ConflictingVersions);
                break 'pairs;
            }
        }
    }
    if window.len() >= 2 {
        let sh: Vec<BTreeSet<String>> = window_texts.iter().map(|t| shingles(t)).collect();
        // Chunks with a near-identical partner in the window; they "fill" it when they take at
        // least half of its slots.
        let crowded = (0..sh.len())
            .filter(|&i| {
                (0..sh.len())
                    .any(|j| j != i && jaccard(&sh[i], &sh[j]) >= cfg.near_duplicate_jaccard)
            })
            .count();
        if crowded >= 2 && 2 * crowded >= window.len() {
            flags.insert(Flag::NearDuplicateCrowding);
        }
    }

    let mut diag = Diagnosis {
        query_id: q.id.clone(),
        class: Class::NoLabel,
        flags: BTreeSet::new(),
        rule: Rule::NoLabel,
        reason: String::new(),
        evidence_rule: None,
        gold: Vec::new(),
        best_gold_rank: None,
        gold_in_pool: false,
        pool_size: pool.len(),
        context_k: k,
        window: Vec::new(),
        stale_in_window: Vec::new(),
        split: Vec::new(),
        label_noise: Vec::new(),
        answer: None,
        weight: q.weight,
    };

    // The answer, assessed in trace mode.
    let assess = |accepted_raw: &[String]| -> crate::Result<Option<AnswerAssessment>> {
        let (true, Some(answer)) = (trace, input.answer.as_deref()) else {
            return Ok(None);
        };
        let phrase = cfg.abstention.matched(answer).map(str::to_string);
        let abstained = phrase.is_some();
        let correctness = compare_answer(answer, accepted_raw);
        let correct = if accepted_raw
            .iter()
            .all(|a| crate::answer::normalize_answer(a).is_empty())
        {
            if abstained {
                Some(false)
            } else {
                None
            }
        } else {
            Some(!abstained && (correctness.contains || correctness.best_f1 >= cfg.f1_threshold))
        };
        let grounding = if abstained {
            Grounding {
                sentences: Vec::new(),
                grounded_share: 1.0,
                grounded: true,
            }
        } else {
            assess_grounding(answer, &window_texts, &cfg.grounding, cfg.embedder)?
        };
        Ok(Some(AnswerAssessment {
            correct,
            correctness,
            abstained,
            abstention_phrase: phrase,
            grounding,
        }))
    };

    // Rule 1.
    let positive = q.relevant.iter().any(|j| j.grade > 0);
    let labelled = positive || !q.evidence.is_empty() || !q.reference_answers.is_empty();
    if !q.is_labelled() || (q.answerable && !labelled) {
        diag.reason = if q.is_labelled() {
            "every relevance judgment is 0 and there is no evidence or reference answer: \
             reported, not scored"
                .to_string()
        } else {
            "no relevance labels, evidence or reference answer: reported, not scored".to_string()
        };
        finish(&mut diag, flags, stale_in_window, &window, &[], corpus);
        return Ok(diag);
    }

    // Rule 2.
    if !q.answerable {
        flags.insert(Flag::CorpusGap);
        diag.rule = Rule::Unanswerable;
        diag.answer = assess(&q.reference_answers)?;
        match &diag.answer {
            Some(a) if a.abstained => {
                diag.class = Class::Ok;
                diag.reason = match a.abstention_phrase.as_deref() {
                    Some("") | None => {
                        "`answerable: false` and the answer is empty (abstains)".into()
                    }
                    Some(p) => format!("`answerable: false` and the answer abstains (\"{p}\")"),
                };
            }
            Some(_) => {
                diag.class = Class::GenerationFailure;
                diag.reason = format!(
                    "`answerable: false` but the answer asserts one instead of abstaining: {}",
                    quoted(input.answer.as_deref().unwrap_or(""))
                );
            }
            None => {
                diag.class = Class::Unanswerable;
                diag.reason = if trace {
                    "`answerable: false`; the trace has no answer to assess".into()
                } else {
                    "`answerable: false`; generation is not assessed in replay".into()
                };
            }
        }
        finish(&mut diag, flags, stale_in_window, &window, &[], corpus);
        return Ok(diag);
    }

    let ev = resolve(corpus, q, cfg, warnings);
    diag.evidence_rule = Some(ev.rule);
    let live_spans: Vec<&Span> = ev.spans.iter().filter(|s| corpus.is_live(s.doc)).collect();
    let holds = |p: &PoolItem<'_>| -> bool {
        match ev.rule {
            EvidenceRule::SpanCover => {
                let (Some(d), Some(span)) = (p.doc, p.item.span) else {
                    return false;
                };
                live_spans.iter().any(|s| {
                    s.doc == d
                        && overlap(span, (s.start, s.end)) as f64 + 1e-9
                            >= cfg.cover * (s.end - s.start) as f64
                })
            }
            EvidenceRule::RelevantDocument => p
                .doc
                .is_some_and(|d| corpus.is_live(d) && ev.relevant.contains(&d)),
            EvidenceRule::AnswerText => {
                let t = crate::answer::normalize_answer(item_text(corpus, p.item, p.doc));
                let padded = format!(" {t} ");
                ev.accepted
                    .iter()
                    .any(|a| padded.contains(&format!(" {a} ")))
            }
        }
    };
    let holding: Vec<&PoolItem<'_>> = pool.iter().filter(|p| holds(p)).collect();
    let best = holding
        .iter()
        .filter_map(|p| p.rank.map(|r| (r, *p)))
        .min_by_key(|(r, _)| *r);
    diag.best_gold_rank = best.map(|(r, _)| r);
    diag.gold_in_pool = !holding.is_empty();
    let gold_in_window = diag.best_gold_rank.is_some_and(|r| r <= k);
    let holding_ranks: BTreeSet<usize> = holding.iter().filter_map(|p| p.rank).collect();

    // Which documents hold the labelled evidence, and their stale versions.
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
    let mut stale_versions: BTreeSet<usize> = BTreeSet::new();
    for &g in &ev.gold_docs {
        for o in corpus.older_versions(g) {
            if corpus.is_stale(o) && !holder_docs.contains(&o) {
                stale_versions.insert(o);
            }
        }
    }
    for h in &mut stale_in_window {
        if let Some(d) = corpus.index(&h.doc) {
            h.version_of_gold = stale_versions.contains(&d);
        }
    }
    let live_evidence = match ev.rule {
        EvidenceRule::SpanCover => !live_spans.is_empty(),
        EvidenceRule::RelevantDocument => !holder_docs.is_empty(),
        EvidenceRule::AnswerText => true,
    };
    if !live_evidence {
        flags.insert(Flag::CorpusGap);
    }
    if ev.spans.iter().any(|s| s.labelled && s.normalised) {
        flags.insert(Flag::NormalisedQuoteMatch);
    }
    let mut noise: Vec<String> = ev
        .spans
        .iter()
        .filter(|s| !s.labelled)
        .map(|s| corpus.id(s.doc).to_string())
        .collect();
    noise.sort();
    noise.dedup();
    if !noise.is_empty() {
        flags.insert(Flag::LabelNoise);
    }
    let infos: Vec<_> = holding.iter().filter_map(|p| p.item.retrievers).collect();
    if !infos.is_empty() {
        let lex = infos.iter().any(|r| r.lexical.is_some());
        let dense = infos.iter().any(|r| r.dense.is_some());
        if lex && !dense {
            flags.insert(Flag::LexicalOnly);
        }
        if dense && !lex {
            flags.insert(Flag::SemanticOnly);
        }
    }

    // The split: no pool chunk holds the evidence, while ≥ 2 pool chunks of its document each
    // hold part of a live span.
    let mut split: Vec<SplitPart> = Vec::new();
    let mut split_span: Option<&Span> = None;
    if holding.is_empty() {
        for s in &live_spans {
            let len = (s.end - s.start) as f64;
            let parts: Vec<SplitPart> = pool
                .iter()
                .filter_map(|p| {
                    let span = p.item.span?;
                    if p.doc != Some(s.doc) {
                        return None;
                    }
                    let o = overlap(span, (s.start, s.end));
                    (o > 0).then(|| SplitPart {
                        rank: p.rank,
                        doc: p.item.doc.clone(),
                        start: span.0,
                        end: span.1,
                        coverage: o as f64 / len,
                    })
                })
                .collect();
            if parts.len() >= 2 {
                split = parts;
                split_span = Some(s);
                break;
            }
        }
        split.sort_by(|a, b| {
            (a.rank.is_none(), a.rank, a.start).cmp(&(b.rank.is_none(), b.rank, b.start))
        });
    }
    if split_span.is_some() {
        flags.insert(Flag::ChunkingSplit);
    }

    diag.answer = assess(&q.reference_answers)?;
    let gold_name: String = best
        .map(|(_, p)| p.item.doc.clone())
        .or_else(|| holding.first().map(|p| p.item.doc.clone()))
        .or_else(|| holder_docs.first().map(|&d| corpus.id(d).to_string()))
        .or_else(|| ev.gold_docs.first().map(|&d| corpus.id(d).to_string()))
        .or_else(|| q.evidence.first().map(|e| e.doc().to_string()))
        .or_else(|| q.relevant.first().map(|j| j.doc.clone()))
        .unwrap_or_default();

    let decided = |class: Class, rule: Rule, reason: String| (class, rule, reason);
    let answer_ok = diag
        .answer
        .as_ref()
        .is_some_and(|a| a.correct == Some(true) && a.grounded() && !a.abstained);
    let stale_above = stale_in_window
        .iter()
        .find(|h| h.version_of_gold && diag.best_gold_rank.is_none_or(|g| h.rank < g));
    let stale_holders: Vec<usize> = holder_docs
        .iter()
        .copied()
        .filter(|&d| corpus.is_stale(d))
        .collect();

    let (class, rule, reason) = if answer_ok {
        let a = diag.answer.as_ref().expect("answer_ok implies an answer");
        let how = match (&a.correctness.matched, a.correctness.contains) {
            (Some(m), true) => format!("contains the accepted answer {}", quoted(m)),
            (Some(m), false) => format!(
                "matches the accepted answer {} with token F1 {:.2}",
                quoted(m),
                a.correctness.best_f1
            ),
            (None, _) => "is correct".into(),
        };
        let n = a.grounding.sentences.len();
        decided(
            Class::Ok,
            Rule::CorrectAndGrounded,
            format!(
                "the answer {how} and {} supported by the top {k}",
                match n {
                    0 => "has no sentence to check, so is trivially".to_string(),
                    1 => "its one sentence is".to_string(),
                    n => format!("all {n} of its sentences are"),
                }
            ),
        )
    } else if !live_evidence {
        let mut why: Vec<String> = Vec::new();
        let mut deleted: Vec<String> = ev
            .gold_docs
            .iter()
            .filter(|&&d| !corpus.is_live(d))
            .map(|&d| code(corpus.id(d)))
            .collect();
        deleted.dedup();
        if !deleted.is_empty() {
            why.push(format!(
                "{} {} deleted",
                deleted.join(", "),
                if deleted.len() == 1 { "is" } else { "are" }
            ));
        }
        why.extend(ev.missing.iter().cloned());
        if why.is_empty() {
            why.push("the evidence is not found in any live document".into());
        }
        decided(
            Class::CorpusGap,
            Rule::NoLiveEvidence,
            format!("no live document holds the evidence: {}", why.join("; ")),
        )
    } else if let Some(h) = stale_above {
        let tail = match diag.best_gold_rank {
            Some(g) if g <= k => format!("above the best gold chunk at rank {g}"),
            Some(g) => format!(
                "and no gold chunk is in the context window of {k} (the best is at rank {g})"
            ),
            None => format!("and no gold chunk is in the context window of {k}"),
        };
        decided(
            Class::StaleSource,
            Rule::StaleVersionInWindow,
            format!(
                "{} ranked {}, {tail}",
                stale_desc(
                    corpus,
                    corpus.index(&h.doc).expect("stale hits are in the corpus")
                ),
                h.rank
            ),
        )
    } else if !stale_holders.is_empty() && stale_holders.len() == holder_docs.len() {
        let names: Vec<String> = stale_holders
            .iter()
            .map(|&d| stale_desc(corpus, d))
            .collect();
        decided(
            Class::StaleSource,
            Rule::StaleGold,
            if names.len() == 1 {
                format!("the labelled gold document {} is itself stale", names[0])
            } else {
                format!(
                    "the labelled gold documents {} are themselves stale",
                    names.join(", ")
                )
            },
        )
    } else if let Some(s) = split_span {
        let parts: Vec<String> = split
            .iter()
            .map(|p| match p.rank {
                Some(r) => format!("rank {r} ({})", pct(p.coverage)),
                None => format!("a pre-rerank candidate ({})", pct(p.coverage)),
            })
            .collect();
        decided(
            Class::ChunkingSplit,
            Rule::EvidenceSplit,
            format!(
                "the evidence in {} is split across chunks: {} each hold part of it, and no \
                 chunk holds {}",
                code(corpus.id(s.doc)),
                list_ranks_str(&parts),
                pct(cfg.cover)
            ),
        )
    } else if holding.is_empty() {
        let reason = match ev.rule {
            EvidenceRule::SpanCover | EvidenceRule::RelevantDocument => {
                let gold_set: FxHashSet<usize> = holder_docs
                    .iter()
                    .copied()
                    .chain(live_spans.iter().map(|s| s.doc))
                    .collect();
                let others: Vec<usize> = pool
                    .iter()
                    .filter(|p| p.doc.is_some_and(|d| gold_set.contains(&d)))
                    .filter_map(|p| p.rank)
                    .collect();
                let what = if ev.rule == EvidenceRule::SpanCover {
                    format!("the evidence from {}", code(&gold_name))
                } else {
                    format!("a chunk of the relevant document {}", code(&gold_name))
                };
                let mut r = format!("no chunk in the pool of {} holds {what}", pool.len());
                if !others.is_empty() && ev.rule == EvidenceRule::SpanCover {
                    r.push_str(&if others.len() == 1 {
                        format!(
                            "; a chunk of the same document at rank {} misses it",
                            others[0]
                        )
                    } else {
                        format!(
                            "; chunks of the same document at ranks {} miss it",
                            list_ranks(&others)
                        )
                    });
                }
                r
            }
            EvidenceRule::AnswerText => format!(
                "no chunk in the pool of {} contains an accepted answer",
                pool.len()
            ),
        };
        decided(Class::RetrievalMiss, Rule::NotInPool, reason)
    } else if !gold_in_window {
        let reason = match diag.best_gold_rank {
            Some(r) => format!(
                "the gold chunk of {} ranked {r}, outside the context window of {k}",
                code(&gold_name)
            ),
            None => format!(
                "a chunk of {} holding the evidence is among the pre-rerank candidates but not \
                 in the ranked context list",
                code(&gold_name)
            ),
        };
        decided(Class::RankingMiss, Rule::BelowWindow, reason)
    } else {
        let r = diag.best_gold_rank.unwrap_or(0);
        let head = format!(
            "the gold chunk of {} ranked {r}, inside the context window of {k}",
            code(&gold_name)
        );
        match diag.answer.as_ref() {
            Some(a) => {
                let problem = if a.abstained {
                    match a.abstention_phrase.as_deref() {
                        Some("") | None => "the answer is empty".to_string(),
                        Some(p) => format!("the answer abstains (\"{p}\")"),
                    }
                } else if a.correct == Some(false) {
                    let answer = quoted(input.answer.as_deref().unwrap_or(""));
                    match &a.correctness.matched {
                        Some(m) => format!(
                            "the answer {answer} is wrong (best token F1 {:.2}, against {})",
                            a.correctness.best_f1,
                            quoted(m)
                        ),
                        None => format!(
                            "the answer {answer} is wrong (it shares no token with {})",
                            quoted(q.reference_answers.first().map_or("", String::as_str))
                        ),
                    }
                } else if !a.grounded() {
                    let bad: Vec<&str> = a
                        .grounding
                        .sentences
                        .iter()
                        .filter(|s| !s.supported)
                        .map(|s| s.sentence.as_str())
                        .collect();
                    format!(
                        "the answer is not grounded: {} of its {} sentences {} not supported by \
                         the context ({})",
                        bad.len(),
                        a.grounding.sentences.len(),
                        if bad.len() == 1 { "is" } else { "are" },
                        quoted(bad.first().copied().unwrap_or(""))
                    )
                } else {
                    String::new()
                };
                if problem.is_empty() {
                    decided(
                        Class::Ok,
                        Rule::EvidenceInWindow,
                        format!(
                            "{head}, and the answer is grounded (its correctness is not assessed: \
                             no reference answer)"
                        ),
                    )
                } else {
                    decided(
                        Class::GenerationFailure,
                        Rule::BadAnswer,
                        format!("{head}, but {problem}"),
                    )
                }
            }
            None => decided(
                Class::Ok,
                Rule::EvidenceInWindow,
                if trace {
                    format!("{head}; the trace has no answer to assess")
                } else {
                    format!("{head}; generation is not assessed in replay")
                },
            ),
        }
    };
    diag.class = class;
    diag.rule = rule;
    diag.reason = reason;
    diag.gold = ev
        .spans
        .iter()
        .map(|s| GoldSpan {
            doc: corpus.id(s.doc).to_string(),
            start: s.start,
            end: s.end,
            evidence: s.evidence,
            labelled: s.labelled,
            normalised: s.normalised,
            live: corpus.is_live(s.doc),
        })
        .collect();
    diag.split = split;
    diag.label_noise = noise;
    let holding_ranks: Vec<usize> = holding_ranks.into_iter().collect();
    finish(
        &mut diag,
        flags,
        stale_in_window,
        &window,
        &holding_ranks,
        corpus,
    );
    Ok(diag)
}

fn list_ranks_str(parts: &[String]) -> String {
    match parts.len() {
        0 => String::new(),
        1 => parts[0].clone(),
        n => format!("{} and {}", parts[..n - 1].join(", "), parts[n - 1]),
    }
}

fn finish(
    diag: &mut Diagnosis,
    flags: BTreeSet<Flag>,
    stale_in_window: Vec<StaleHit>,
    window: &[&PoolItem<'_>],
    holding_ranks: &[usize],
    corpus: &Corpus<'_>,
) {
    diag.flags = flags;
    diag.stale_in_window = stale_in_window;
    diag.window = window
        .iter()
        .map(|p| WindowItem {
            rank: p.rank.unwrap_or(0),
            doc: p.item.doc.clone(),
            span: p.item.span,
            holds_evidence: p.rank.is_some_and(|r| holding_ranks.contains(&r)),
            stale: p.doc.is_some_and(|d| corpus.is_stale(d)),
        })
        .collect();
}
