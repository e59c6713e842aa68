//! The decision order of DESIGN.md ("Failure attribution"), applied to one question.
//!
//! [`diagnose_one`] is the driver: it builds the pool and the window ([`pool`]), computes the
//! flags that depend only on the window, applies rules 1 and 2, resolves and judges the evidence
//! ([`evidence`]), computes the other flags ([`flags`]), assesses the answer ([`assess`]), and
//! applies rules 3 to 10 ([`rules`]) in order.

mod assess;
mod evidence;
mod flags;
mod pool;
mod prose;
mod rules;

use crate::config::Config;
use crate::corpus::Corpus;
use crate::input::QueryInput;
use crate::texts::{Features, Texts};
use crate::types::{
    Class, Diagnosis, Flag, GoldSpan, Mode, RerankEffect, RerankOutcome, Rule, StaleHit, WindowItem,
};
use evidence::{Judged, Resolved};
use flags::Split;
use pool::{item_text, text_key, Pool, PoolItem};
use ragdiag_core::Diagnostics;
use rules::{Decision, Facts};
use std::borrow::Cow;
use std::collections::BTreeSet;

/// Registers the texts of every located item of `inputs` (rankings and candidates) in the
/// run's `texts`, for [`diagnose_one`] to share: a text equal to its document's slice is that
/// slice (kept for the whole run, so later batches of questions share it), any other text a
/// copy (dropped by [`Texts::forget_copies`] after the batch).
pub(crate) fn register_texts<'c>(
    texts: &mut Texts<'c>,
    corpus: &Corpus<'c>,
    inputs: &[QueryInput<'_>],
) {
    for input in inputs {
        let items = input
            .retrieved
            .iter()
            .chain(input.candidates.iter().flatten());
        for item in items {
            let doc = corpus.index(&item.doc);
            if let (Some(d), Some(span)) = (doc, item.span) {
                let slice = corpus.slice(d, span.0, span.1);
                match item.text.as_deref() {
                    Some(t) if t != slice => texts.add_copy(d, span, t),
                    _ => texts.add(d, span, slice),
                }
            }
        }
    }
}

/// `flags::answer_source`, for the crate's tests against the string implementation.
#[cfg(test)]
pub(crate) fn answer_source_for_tests(
    answer: &str,
    accepted: &[String],
    window: &[&Features],
    texts: &Texts<'_>,
    min_share: f64,
) -> Option<usize> {
    flags::answer_source(answer, accepted, window, texts, min_share)
}

/// Diagnoses one question.
pub(crate) fn diagnose_one(
    corpus: &Corpus<'_>,
    input: &QueryInput<'_>,
    cfg: &Config<'_>,
    texts: &Texts<'_>,
    warnings: &mut Diagnostics,
) -> crate::Result<Diagnosis> {
    let q = input.query;
    let pool = Pool::new(corpus, input, cfg);
    let window = pool.window();
    let window_texts: Vec<&str> = window
        .iter()
        .map(|p| item_text(corpus, p.item, p.doc))
        .collect();
    // Each text's tokens, made once per run and shared with every question that retrieved it.
    let feats: Vec<Cow<'_, Features>> = window
        .iter()
        .zip(&window_texts)
        .map(|(p, t)| texts.features(text_key(p.item, p.doc), t))
        .collect();
    let feats: Vec<&Features> = feats.iter().map(AsRef::as_ref).collect();
    let w = Window {
        feats: &feats,
        vocab: texts,
    };

    let (mut flags, mut stale_hits) = window_flags(corpus, window, &w, cfg);
    let mut diag = blank(q, pool.len(), cfg.context_k);
    // Rules 1 and 2 judge no item.
    let unjudged = || vec![false; input.retrieved.len()];

    // Rule 1.
    if let Some(reason) = rules::no_label(q) {
        diag.reason = reason;
        finish(&mut diag, flags, stale_hits, &pool, unjudged(), corpus);
        return Ok(diag);
    }

    // Rule 2.
    if !q.answerable {
        flags.insert(Flag::CorpusGap);
        diag.answer = assess::assess_answer(input, cfg, &window_texts, &feats, texts)?;
        answer_flags(corpus, input, window, &w, &diag, cfg, &mut flags);
        let decision = rules::unanswerable(input, diag.answer.as_ref(), cfg.mode);
        decide(&mut diag, decision);
        finish(&mut diag, flags, stale_hits, &pool, unjudged(), corpus);
        return Ok(diag);
    }

    // The evidence, judged against the pool.
    let ev = evidence::resolve(corpus, q, cfg, warnings);
    let judged = evidence::judge(corpus, texts, input, &pool, &ev, cfg.cover);
    diag.evidence_rule = Some(ev.rule);
    diag.best_gold_rank = judged.best_gold_rank();
    diag.gold_in_pool = !judged.holding.is_empty();
    let versions = evidence::stale_versions_of_gold(corpus, &ev, &judged);
    flags::mark_versions_of_gold(corpus, &mut stale_hits, &versions);

    let (split, noise) = evidence_flags(corpus, &pool, &ev, &judged, &mut flags);
    diag.label_noise = noise;
    diag.rerank = rerank_outcome(corpus, texts, input, cfg, &ev, &judged, &mut flags);

    // Rules 3 to 10: the first that holds.
    diag.answer = assess::assess_answer(input, cfg, &window_texts, &feats, texts)?;
    answer_flags(corpus, input, window, &w, &diag, cfg, &mut flags);
    let facts = Facts {
        corpus,
        cfg,
        input,
        pool: &pool,
        ev: &ev,
        judged: &judged,
        stale_hits: &stale_hits,
        split: split.as_ref(),
        answer: diag.answer.as_ref(),
    };
    let decision = rules::ORDER
        .iter()
        .find_map(|rule| rule(&facts))
        .unwrap_or_else(|| rules::evidence_in_window(&facts));
    decide(&mut diag, decision);
    diag.gold = gold_spans(corpus, &ev);
    diag.split = split.map(|s| s.parts).unwrap_or_default();
    finish(&mut diag, flags, stale_hits, &pool, judged.verdicts, corpus);
    Ok(diag)
}

/// The tokens of the window's texts, in rank order, and the run's vocabulary.
struct Window<'a, 't> {
    feats: &'a [&'a Features],
    vocab: &'a Texts<'t>,
}

/// The flags that depend only on the window, and the stale hits in it.
fn window_flags(
    corpus: &Corpus<'_>,
    window: &[PoolItem<'_>],
    w: &Window<'_, '_>,
    cfg: &Config<'_>,
) -> (BTreeSet<Flag>, Vec<StaleHit>) {
    let mut flags = BTreeSet::new();
    let stale_hits = flags::stale_in_context(corpus, window);
    if !stale_hits.is_empty() {
        flags.insert(Flag::StaleInContext);
    }
    if flags::conflicting_versions(corpus, window) {
        flags.insert(Flag::ConflictingVersions);
    }
    let shingles: Vec<&[u64]> = w.feats.iter().map(|f| f.shingles.as_slice()).collect();
    if flags::near_duplicate_crowding(&shingles, cfg.near_duplicate_jaccard) {
        flags.insert(Flag::NearDuplicateCrowding);
    }
    (flags, stale_hits)
}

/// Adds the flags that depend on the assessed answer (`ghost_citation`).
fn answer_flags(
    corpus: &Corpus<'_>,
    input: &QueryInput<'_>,
    window: &[PoolItem<'_>],
    w: &Window<'_, '_>,
    diag: &Diagnosis,
    cfg: &Config<'_>,
    flags: &mut BTreeSet<Flag>,
) {
    let (Some(a), Some(answer)) = (diag.answer.as_ref(), input.answer.as_deref()) else {
        return;
    };
    if a.abstained {
        return;
    }
    let source = flags::answer_source(
        answer,
        &input.query.reference_answers,
        w.feats,
        w.vocab,
        cfg.grounding.token_share,
    );
    if flags::ghost_citation(corpus, window, source) {
        flags.insert(Flag::GhostCitation);
    }
}

/// Adds the flags that depend on the judged evidence, and returns the split, if any
/// (`chunking_split`), and the label-noise documents (`label_noise`).
fn evidence_flags(
    corpus: &Corpus<'_>,
    pool: &Pool<'_>,
    ev: &Resolved,
    judged: &Judged,
    flags: &mut BTreeSet<Flag>,
) -> (Option<Split>, Vec<String>) {
    if flags::corpus_gap(judged) {
        flags.insert(Flag::CorpusGap);
    }
    if flags::normalised_quote_match(ev) {
        flags.insert(Flag::NormalisedQuoteMatch);
    }
    flags.extend(flags::retriever_only(pool, judged));
    let split = flags::chunking_split(pool, judged);
    if split.is_some() {
        flags.insert(Flag::ChunkingSplit);
    }
    let noise = flags::label_noise(corpus, ev);
    if !noise.is_empty() {
        flags.insert(Flag::LabelNoise);
    }
    (split, noise)
}

/// What the reranker did to the evidence (trace mode, with candidates), and its flag.
fn rerank_outcome(
    corpus: &Corpus<'_>,
    texts: &Texts<'_>,
    input: &QueryInput<'_>,
    cfg: &Config<'_>,
    ev: &Resolved,
    judged: &Judged,
    flags: &mut BTreeSet<Flag>,
) -> Option<RerankOutcome> {
    let candidates = input
        .candidates
        .as_deref()
        .filter(|_| cfg.mode == Mode::Trace)?;
    let before = evidence::candidate_gold_rank(corpus, texts, candidates, ev, judged, cfg.cover);
    let after = judged.best_gold_rank();
    let effect = RerankEffect::of(before, after, cfg.context_k);
    match effect {
        RerankEffect::Helped => {
            flags.insert(Flag::RerankerPromotedGold);
        }
        RerankEffect::Hurt => {
            flags.insert(Flag::RerankerDemotedGold);
        }
        RerankEffect::Neutral => {}
    }
    Some(RerankOutcome {
        before,
        after,
        effect,
    })
}

/// The located evidence, as the diagnosis reports it.
fn gold_spans(corpus: &Corpus<'_>, ev: &Resolved) -> Vec<GoldSpan> {
    ev.spans
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
        .collect()
}

/// A diagnosis with nothing decided yet (rule 1's class and rule).
fn blank(q: &ragdiag_core::Query, pool_size: usize, context_k: usize) -> Diagnosis {
    Diagnosis {
        query_id: q.id.clone(),
        class: Class::NoLabel,
        flags: BTreeSet::new(),
        rule: Rule::NoLabel,
        reason: String::new(),
        evidence_rule: None,
        gold: Vec::new(),
        best_gold_rank: None,
        gold_in_pool: false,
        pool_size,
        context_k,
        window: Vec::new(),
        holds_evidence: Vec::new(),
        stale_in_window: Vec::new(),
        split: Vec::new(),
        label_noise: Vec::new(),
        answer: None,
        weight: q.weight,
        rerank: None,
    }
}

fn decide(diag: &mut Diagnosis, d: Decision) {
    diag.class = d.class;
    diag.rule = d.rule;
    diag.reason = d.reason;
}

/// Fills in the flags, the stale hits, the window and every retrieved item's verdict.
fn finish(
    diag: &mut Diagnosis,
    flags: BTreeSet<Flag>,
    stale_hits: Vec<StaleHit>,
    pool: &Pool<'_>,
    verdicts: Vec<bool>,
    corpus: &Corpus<'_>,
) {
    diag.flags = flags;
    diag.stale_in_window = stale_hits;
    diag.window = pool
        .window()
        .iter()
        .map(|p| WindowItem {
            rank: p.rank.unwrap_or(0),
            doc: p.item.doc.clone(),
            span: p.item.span,
            holds_evidence: p.rank.is_some_and(|r| verdicts[r - 1]),
            stale: p.doc.is_some_and(|d| corpus.is_stale(d)),
        })
        .collect();
    diag.holds_evidence = verdicts;
}
