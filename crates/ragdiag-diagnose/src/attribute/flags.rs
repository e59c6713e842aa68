//! One function per flag of DESIGN.md ("Flags"): conditions seen on the way, whatever the
//! class.

use super::evidence::{overlap, Judged, Resolved, Span};
use super::pool::{Pool, PoolItem};
use crate::answer::{contains_ids, contains_seq, match_tokens};
use crate::corpus::Corpus;
use crate::ground::content_tokens;
use crate::texts::{Features, Texts};
use crate::types::{Flag, SplitPart, StaleHit};
use ragdiag_core::jaccard_sorted;
use std::collections::BTreeSet;

/// `stale_in_context`: the stale documents in the window. `version_of_gold` is left `false`
/// (see [`mark_versions_of_gold`]).
pub(super) fn stale_in_context(corpus: &Corpus<'_>, window: &[PoolItem<'_>]) -> Vec<StaleHit> {
    window
        .iter()
        .filter_map(|p| {
            let (d, rank) = (p.doc?, p.rank?);
            corpus.is_stale(d).then(|| StaleHit {
                rank,
                doc: p.item.doc.clone(),
                reason: corpus.stale_reason(d),
                superseded_by: corpus.superseded_by(d).map(str::to_string),
                version_of_gold: false,
            })
        })
        .collect()
}

/// Marks the stale hits that are stale versions of a gold document (rule 5).
pub(super) fn mark_versions_of_gold(
    corpus: &Corpus<'_>,
    hits: &mut [StaleHit],
    versions: &BTreeSet<usize>,
) {
    for h in hits {
        if let Some(d) = corpus.index(&h.doc) {
            h.version_of_gold = versions.contains(&d);
        }
    }
}

/// `conflicting_versions`: two window documents that are versions of each other, or a
/// conflict pair of the audit.
pub(super) fn conflicting_versions(corpus: &Corpus<'_>, window: &[PoolItem<'_>]) -> bool {
    let mut docs: Vec<usize> = window.iter().filter_map(|p| p.doc).collect();
    docs.sort_unstable();
    docs.dedup();
    docs.iter().enumerate().any(|(i, &a)| {
        docs[i + 1..]
            .iter()
            .any(|&b| corpus.in_conflict(a, b) || corpus.are_versions(a, b))
    })
}

/// `near_duplicate_crowding`: window chunks with a near-identical partner in the window (word
/// 3-shingle Jaccard ≥ `threshold`, as [`ragdiag_core::word_shingles`] defines it) take at least
/// half of its slots, and at least two. Chunks without words are nobody's near-duplicate.
pub(super) fn near_duplicate_crowding(shingles: &[&[u64]], threshold: f64) -> bool {
    if shingles.len() < 2 {
        return false;
    }
    let sh = shingles;
    let crowded = (0..sh.len())
        .filter(|&i| (0..sh.len()).any(|j| j != i && jaccard_sorted(sh[i], sh[j]) >= threshold))
        .count();
    crowded >= 2 && 2 * crowded >= shingles.len()
}

/// The window item an answer draws on: among the window chunks that contain an accepted answer
/// the answer states (as [`match_tokens`]; all chunks when it states none or no chunk holds
/// it), the one holding the largest share of the
/// answer's content tokens, at least `min_share` of them, ties to the better rank. `None`
/// when no chunk reaches `min_share`.
pub(super) fn answer_source(
    answer: &str,
    accepted: &[String],
    window: &[&Features],
    texts: &Texts<'_>,
    min_share: f64,
) -> Option<usize> {
    let toks = content_tokens(answer);
    if toks.is_empty() {
        return None;
    }
    let stated = match_tokens(answer);
    // An accepted answer with a token no window text holds is in none of them.
    let accepted: Vec<Vec<u32>> = accepted
        .iter()
        .map(|a| match_tokens(a))
        .filter(|a| contains_seq(&stated, a))
        .filter_map(|a| texts.ids(&a))
        .collect();
    let holding: Vec<usize> = (0..window.len())
        .filter(|&i| accepted.iter().any(|a| contains_ids(&window[i].matches, a)))
        .collect();
    let candidates = if holding.is_empty() {
        (0..window.len()).collect()
    } else {
        holding
    };
    let ids: Vec<Option<u32>> = toks.iter().map(|t| texts.id(t)).collect();
    let mut best: Option<(usize, f64)> = None;
    for i in candidates {
        let held = ids
            .iter()
            .filter(|id| id.is_some_and(|id| window[i].has_content(id)))
            .count();
        let share = held as f64 / toks.len() as f64;
        if share >= min_share && best.is_none_or(|(_, b)| share > b) {
            best = Some((i, share));
        }
    }
    best.map(|(i, _)| i)
}

/// `ghost_citation`: the window chunk the answer draws on ([`answer_source`]) belongs to a
/// deleted document or to one the corpus does not have.
pub(super) fn ghost_citation(
    corpus: &Corpus<'_>,
    window: &[PoolItem<'_>],
    source: Option<usize>,
) -> bool {
    source
        .and_then(|i| window.get(i))
        .is_some_and(|p| p.doc.is_none_or(|d| !corpus.is_live(d)))
}

/// `corpus_gap` (rules 3 to 10; rule 2 always raises it): no live document holds the
/// evidence.
pub(super) fn corpus_gap(judged: &Judged) -> bool {
    !judged.live_evidence
}

/// `normalised_quote_match`: a labelled quote was located only by the normalised match.
pub(super) fn normalised_quote_match(ev: &Resolved) -> bool {
    ev.spans.iter().any(|s| s.labelled && s.normalised)
}

/// `label_noise`: the live documents not labelled relevant that hold the evidence, sorted.
pub(super) fn label_noise(corpus: &Corpus<'_>, ev: &Resolved) -> Vec<String> {
    let mut noise: Vec<String> = ev
        .spans
        .iter()
        .filter(|s| !s.labelled)
        .map(|s| corpus.id(s.doc).to_string())
        .collect();
    noise.sort();
    noise.dedup();
    noise
}

/// `lexical_only` / `semantic_only`: among the pool items holding the evidence that carry
/// retriever ranks, only one retriever found any.
pub(super) fn retriever_only(pool: &Pool<'_>, judged: &Judged) -> Option<Flag> {
    let infos: Vec<_> = judged
        .holding
        .iter()
        .filter_map(|&i| pool.items[i].item.retrievers)
        .collect();
    let lex = infos.iter().any(|r| r.lexical.is_some());
    let dense = infos.iter().any(|r| r.dense.is_some());
    match (lex, dense) {
        (true, false) => Some(Flag::LexicalOnly),
        (false, true) => Some(Flag::SemanticOnly),
        _ => None,
    }
}

/// The evidence split apart by the chunks (rule 6, and the flag).
pub(super) struct Split {
    /// The live evidence span that is split.
    pub(super) span: Span,
    /// The pool chunks of its document that each hold part of it, ranked ones first by rank.
    pub(super) parts: Vec<SplitPart>,
}

/// `chunking_split` (the rule 6 condition): no pool chunk holds the evidence, while at least two
/// pool chunks of a live evidence span's document each overlap it.
pub(super) fn chunking_split(pool: &Pool<'_>, judged: &Judged) -> Option<Split> {
    if !judged.holding.is_empty() {
        return None;
    }
    for s in &judged.live_spans {
        let len = (s.end - s.start) as f64;
        let mut parts: Vec<SplitPart> = pool
            .items
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
            parts.sort_by(|a, b| {
                (a.rank.is_none(), a.rank, a.start).cmp(&(b.rank.is_none(), b.rank, b.start))
            });
            return Some(Split {
                span: s.clone(),
                parts,
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use crate::texts::Texts;
    use ragdiag_core::word_shingles;

    fn answer_source(
        answer: &str,
        accepted: &[String],
        window: &[&str],
        min: f64,
    ) -> Option<usize> {
        let texts = Texts::default();
        let feats: Vec<_> = window.iter().map(|t| texts.features(None, t)).collect();
        let feats: Vec<&_> = feats.iter().map(AsRef::as_ref).collect();
        super::answer_source(answer, accepted, &feats, &texts, min)
    }

    fn near_duplicate_crowding(window: &[&str], threshold: f64) -> bool {
        let sh: Vec<Vec<u64>> = window.iter().map(|t| word_shingles(t)).collect();
        let sh: Vec<&[u64]> = sh.iter().map(Vec::as_slice).collect();
        super::near_duplicate_crowding(&sh, threshold)
    }

    #[test]
    fn the_answer_source_is_the_chunk_it_draws_on() {
        let window = [
            "Refunds are sent within 14 days of the request.",
            "Crypto payments: pay invoices in Bitcoin with a 1% fee.",
            "Invoices can be paid by card or bank transfer.",
        ];
        let accepted = vec!["Bitcoin".to_string()];
        // A correct answer: the chunk with the accepted answer, wherever it ranks.
        assert_eq!(
            answer_source(
                "You can pay invoices in Bitcoin for a 1% fee.",
                &accepted,
                &window,
                0.6
            ),
            Some(1)
        );
        // No chunk holds an accepted answer: the one that shares the most of the answer.
        assert_eq!(
            answer_source("Invoices can be paid by card.", &accepted, &window, 0.6),
            Some(2)
        );
        // Nothing supports it enough, or nothing to compare.
        assert_eq!(
            answer_source("Parrots sing.", &accepted, &window, 0.6),
            None
        );
        assert_eq!(answer_source("It is.", &accepted, &window, 0.6), None);
        // Ties go to the better rank.
        assert_eq!(
            answer_source("card", &[], &[window[2], window[2]], 0.6),
            Some(0)
        );
    }

    #[test]
    fn near_duplicates_crowd_a_window_when_they_fill_half_of_it() {
        let a = "Annual plans can be refunded within 30 days of purchase.";
        let b = "annual plans can be refunded within 30 days of purchase!";
        let c = "Support is open from nine to five on weekdays.";
        assert!(near_duplicate_crowding(&[a, b, c], 0.8));
        let (d, e) = ("Exports are CSV files.", "Invoices are numbered per year.");
        assert!(near_duplicate_crowding(&[a, b, c, d], 0.8));
        assert!(!near_duplicate_crowding(&[a, b, c, d, e], 0.8));
        assert!(!near_duplicate_crowding(&[a, c], 0.8));
        assert!(!near_duplicate_crowding(&[a], 0.8));
        // Chunks without words share no shingle: not near-duplicates (the string shingles this
        // replaced called two of them identical).
        assert!(!near_duplicate_crowding(&["---", "* * *"], 0.8));
    }
}
