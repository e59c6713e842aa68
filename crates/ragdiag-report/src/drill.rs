//! The drill-down of `ragdiag diagnose`: each question's window, a few hits below it, and the
//! best gold chunk when it ranks lower, with the evidence highlighted.

use crate::{AnswerVerdict, GoldView, QuestionView, RetrievedView, RuleView};
use ragdiag_core::{char_len, char_span_to_bytes, Document, Query};
use ragdiag_diagnose::{Diagnosis, RetrievedItem};
use ragdiag_eval::MetricTable;
use ragdiag_fresh::Audit;
use std::collections::HashMap;

/// Longest snippet shown for a retrieved chunk, in code points.
const SNIPPET: usize = 1200;

/// One question's retrieved list and answer, as the drill-down shows them.
#[derive(Debug, Clone, Copy)]
pub struct Shown<'a> {
    /// The ranked items, best first.
    pub items: &'a [RetrievedItem],
    /// The system's answer (trace mode).
    pub answer: Option<&'a str>,
}

/// What the drill-down of a report is made from.
#[derive(Debug, Clone, Copy)]
pub struct DrillInput<'a> {
    /// The questions.
    pub queries: &'a [Query],
    /// One diagnosis per question.
    pub diagnoses: &'a [Diagnosis],
    /// One retrieved list per question.
    pub shown: &'a [Shown<'a>],
    /// The corpus.
    pub docs: &'a [Document],
    /// Its freshness audit, aligned with `docs`.
    pub audit: &'a Audit,
    /// Document-level metrics per question, when there are judgments.
    pub table: Option<&'a MetricTable>,
    /// The context window.
    pub context_k: usize,
}

/// Code points `start..end` of `text` (clamped).
fn cp_slice(text: &str, start: usize, end: usize) -> &str {
    let n = char_len(text);
    let (s, e) = (start.min(n), end.min(n).max(start.min(n)));
    match char_span_to_bytes(text, s, e) {
        Some((a, b)) => &text[a..b],
        None => "",
    }
}

/// The drill-down view of every question, in input order.
#[must_use]
pub fn question_views(input: &DrillInput<'_>) -> Vec<QuestionView> {
    let by_id = input.audit.by_id(input.docs);
    let per_query: HashMap<&str, (&[String], &Vec<f64>)> = input
        .table
        .map(|t| {
            t.per_query
                .iter()
                .map(|(q, v)| (q.as_str(), (t.names.as_slice(), v)))
                .collect()
        })
        .unwrap_or_default();
    input
        .queries
        .iter()
        .zip(input.diagnoses)
        .zip(input.shown)
        .map(|((q, d), r)| {
            let mut gold: Vec<GoldView> = d
                .gold
                .iter()
                .filter(|g| g.labelled)
                .map(|g| GoldView {
                    doc: g.doc.clone(),
                    text: by_id
                        .get(g.doc.as_str())
                        .map(|(doc, _)| cp_slice(&doc.text, g.start, g.end).to_owned())
                        .unwrap_or_default(),
                })
                .collect();
            if gold.is_empty() {
                gold = q
                    .relevant
                    .iter()
                    .filter(|j| j.grade > 0)
                    .map(|j| GoldView {
                        doc: j.doc.clone(),
                        text: String::new(),
                    })
                    .collect();
            }
            let show = input.context_k + 3;
            let mut ranks: Vec<usize> = (0..r.items.len().min(show)).collect();
            if let Some(b) = d.best_gold_rank {
                if b > show && b <= r.items.len() {
                    ranks.push(b - 1);
                }
            }
            let views = ranks
                .into_iter()
                .map(|i| {
                    let item = &r.items[i];
                    let entry = by_id.get(item.doc.as_str());
                    let (span_text, offset) = match (item.span, entry) {
                        (Some((a, b)), Some((doc, _))) => (cp_slice(&doc.text, a, b), a),
                        _ => (item.text.as_deref().unwrap_or(""), 0),
                    };
                    let golds: Vec<(usize, usize)> = d
                        .gold
                        .iter()
                        .filter(|g| g.doc == item.doc)
                        .map(|g| (g.start, g.end))
                        .collect();
                    // A window of the chunk around its first gold overlap.
                    let len = char_len(span_text);
                    let first = item.span.and_then(|(a, b)| {
                        golds
                            .iter()
                            .filter(|&&(gs, ge)| gs < b && ge > a)
                            .map(|&(gs, _)| gs.saturating_sub(a))
                            .min()
                    });
                    let from = if len > SNIPPET {
                        first
                            .map_or(0, |f| f.saturating_sub(SNIPPET / 4))
                            .min(len - SNIPPET)
                    } else {
                        0
                    };
                    let to = (from + SNIPPET).min(len);
                    let mut text = cp_slice(span_text, from, to).to_owned();
                    if to < len {
                        text.push_str(" …");
                    }
                    let lo = offset + from;
                    let highlight = if item.span.is_some() {
                        golds
                            .iter()
                            .filter_map(|&(gs, ge)| {
                                let (s, e) = (gs.max(lo), ge.min(offset + to));
                                (s < e).then(|| (s - lo, e - lo))
                            })
                            .collect()
                    } else {
                        Vec::new()
                    };
                    let fresh = entry.map(|(_, f)| *f);
                    RetrievedView {
                        rank: i + 1,
                        doc: item.doc.clone(),
                        title: entry.and_then(|(doc, _)| doc.title.clone()),
                        text,
                        score: item.score,
                        stale: fresh.and_then(|f| f.stale),
                        stale_reason: fresh
                            .and_then(|f| f.stale_reason().map(|r| r.as_str().to_owned()))
                            .or_else(|| entry.is_none().then(|| "unknown document".to_owned())),
                        // The engine's own verdict, by the test that decided the class.
                        holds_evidence: d.holds_evidence.get(i).copied().unwrap_or(false),
                        in_window: i < input.context_k,
                        highlight,
                    }
                })
                .collect();
            let metrics = per_query
                .get(q.id.as_str())
                .map(|(names, values)| names.iter().cloned().zip(values.iter().copied()).collect())
                .unwrap_or_default();
            QuestionView {
                id: q.id.clone(),
                text: q.text.clone(),
                tags: q.tags.clone(),
                class: d.class.as_str().to_owned(),
                flags: d.flags.iter().map(|f| f.as_str().to_owned()).collect(),
                rule: Some(RuleView {
                    number: u32::from(d.rule.number()),
                    name: d.rule.name().to_owned(),
                }),
                reason: d.reason.clone(),
                evidence_rule: d.evidence_rule.map(|e| {
                    serde_json::to_value(e)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default()
                }),
                gold,
                reference_answers: q.reference_answers.clone(),
                answer: r.answer.map(str::to_owned),
                verdict: d
                    .answer
                    .as_ref()
                    .map(|a| AnswerVerdict {
                        correct: a.correct,
                        grounded: Some(a.grounded()),
                        abstained: Some(a.abstained),
                    })
                    .unwrap_or_default(),
                retrieved: views,
                metrics,
                weight: Some(q.weight),
            }
        })
        .collect()
}
