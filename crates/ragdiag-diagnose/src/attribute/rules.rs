//! The rules of DESIGN.md's decision order, one function each: the first that holds gives the
//! class, the rule and the reason. Rules 1 and 2 read only the question (and the answer); rules 3
//! to 9 read the [`Facts`] and are applied in [`ORDER`]; rule 10 is what is left.

use super::evidence::{Judged, Resolved};
use super::flags::Split;
use super::pool::Pool;
use super::prose::{and_list, code, list_ranks, quoted, stale_desc};
use crate::config::Config;
use crate::corpus::Corpus;
use crate::input::QueryInput;
use crate::types::{AnswerAssessment, Class, EvidenceRule, Mode, Rule, StaleHit};
use ragdiag_core::pct;
use ragdiag_core::Query;
use rustc_hash::FxHashSet;

/// The outcome of the rule that fired.
pub(super) struct Decision {
    pub(super) class: Class,
    pub(super) rule: Rule,
    pub(super) reason: String,
}

fn decided(class: Class, rule: Rule, reason: String) -> Option<Decision> {
    Some(Decision {
        class,
        rule,
        reason,
    })
}

/// Everything rules 3 to 10 read: the pool, the judged evidence, the flags' findings and the
/// answer.
pub(super) struct Facts<'a> {
    pub(super) corpus: &'a Corpus<'a>,
    pub(super) cfg: &'a Config<'a>,
    pub(super) input: &'a QueryInput<'a>,
    pub(super) pool: &'a Pool<'a>,
    pub(super) ev: &'a Resolved,
    pub(super) judged: &'a Judged,
    /// The stale documents in the window, with `version_of_gold` set.
    pub(super) stale_hits: &'a [StaleHit],
    pub(super) split: Option<&'a Split>,
    pub(super) answer: Option<&'a AnswerAssessment>,
}

impl Facts<'_> {
    /// The document the reasons name as "the gold": the best-ranked holder, else the first
    /// pool item holding the evidence, else the first live holder, else the first labelled
    /// document.
    fn gold_name(&self) -> String {
        let (q, corpus, j) = (self.input.query, self.corpus, self.judged);
        j.best
            .map(|(_, i)| self.pool.items[i].item.doc.to_string())
            .or_else(|| {
                j.holding
                    .first()
                    .map(|&i| self.pool.items[i].item.doc.to_string())
            })
            .or_else(|| j.holder_docs.first().map(|&d| corpus.id(d).to_string()))
            .or_else(|| self.ev.gold_docs.first().map(|&d| corpus.id(d).to_string()))
            .or_else(|| q.evidence.first().map(|e| e.doc().to_string()))
            .or_else(|| q.relevant.first().map(|j| j.doc.clone()))
            .unwrap_or_default()
    }

    /// A chunk holding the evidence is inside the context window.
    fn gold_in_window(&self) -> bool {
        self.judged
            .best_gold_rank()
            .is_some_and(|r| r <= self.cfg.context_k)
    }

    /// "the gold chunk of `doc` ranked 2, inside the context window of 5" (rules 9 and 10).
    fn in_window_head(&self) -> String {
        format!(
            "the gold chunk of {} ranked {}, inside the context window of {}",
            code(&self.gold_name()),
            self.judged.best_gold_rank().unwrap_or(0),
            self.cfg.context_k
        )
    }
}

/// Rule 1, `no_label`: the reason when the question has no usable label (it is reported, not
/// scored).
pub(super) fn no_label(q: &Query) -> Option<String> {
    let positive = q.relevant.iter().any(|j| j.grade > 0);
    let labelled = positive || !q.evidence.is_empty() || !q.reference_answers.is_empty();
    if q.is_labelled() && (labelled || !q.answerable) {
        return None;
    }
    Some(if q.is_labelled() {
        "every relevance judgment is 0 and there is no evidence or reference answer: reported, \
         not scored"
            .to_string()
    } else {
        "no relevance labels, evidence or reference answer: reported, not scored".to_string()
    })
}

/// Rule 2, `unanswerable`: an `answerable: false` question, scored on abstention: an abstaining
/// answer is `ok`, an asserted one `generation_failure`, no answer `unanswerable`.
pub(super) fn unanswerable(
    input: &QueryInput<'_>,
    answer: Option<&AnswerAssessment>,
    mode: Mode,
) -> Decision {
    let (class, reason) = match answer {
        Some(a) if a.abstained => (
            Class::Ok,
            match a.abstention_phrase.as_deref() {
                Some("") | None => "`answerable: false` and the answer is empty (abstains)".into(),
                Some(p) => format!("`answerable: false` and the answer abstains (\"{p}\")"),
            },
        ),
        Some(_) => (
            Class::GenerationFailure,
            format!(
                "`answerable: false` but the answer asserts one instead of abstaining: {}",
                quoted(input.answer.as_deref().unwrap_or(""))
            ),
        ),
        None => (
            Class::Unanswerable,
            if mode == Mode::Trace {
                "`answerable: false`; the trace has no answer to assess".into()
            } else {
                "`answerable: false`; generation is not assessed in replay".into()
            },
        ),
    };
    Decision {
        class,
        rule: Rule::Unanswerable,
        reason,
    }
}

/// Rules 3 to 9, in DESIGN.md's order; rule 10 ([`evidence_in_window`]) applies when none
/// holds.
pub(super) const ORDER: [fn(&Facts<'_>) -> Option<Decision>; 8] = [
    correct_and_grounded,
    no_live_evidence,
    stale_version_in_window,
    stale_gold,
    evidence_split,
    not_in_pool,
    below_window,
    bad_answer,
];

/// Rule 3, `correct_and_grounded` (trace): the answer is correct, grounded and not an
/// abstention.
fn correct_and_grounded(f: &Facts<'_>) -> Option<Decision> {
    let a = f
        .answer
        .filter(|a| a.correct == Some(true) && a.grounded() && !a.abstained)?;
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
            "the answer {how} and {} supported by the top {}",
            match n {
                0 => "has no sentence to check, so is trivially".to_string(),
                1 => "its one sentence is".to_string(),
                n => format!("all {n} of its sentences are"),
            },
            f.cfg.context_k
        ),
    )
}

/// Rule 4, `no_live_evidence`: no live document holds the evidence.
fn no_live_evidence(f: &Facts<'_>) -> Option<Decision> {
    if f.judged.live_evidence {
        return None;
    }
    let mut why: Vec<String> = Vec::new();
    let mut deleted: Vec<String> =
        f.ev.gold_docs
            .iter()
            .filter(|&&d| !f.corpus.is_live(d))
            .map(|&d| code(f.corpus.id(d)))
            .collect();
    deleted.dedup();
    if !deleted.is_empty() {
        why.push(format!(
            "{} {} deleted",
            deleted.join(", "),
            if deleted.len() == 1 { "is" } else { "are" }
        ));
    }
    why.extend(f.ev.missing.iter().cloned());
    if why.is_empty() {
        why.push("the evidence is not found in any live document".into());
    }
    decided(
        Class::CorpusGap,
        Rule::NoLiveEvidence,
        format!("no live document holds the evidence: {}", why.join("; ")),
    )
}

/// Rule 5, first half, `stale_version_in_window`: a stale version of a gold document is in the
/// window, above the best gold chunk or with no gold chunk in the window.
fn stale_version_in_window(f: &Facts<'_>) -> Option<Decision> {
    let best = f.judged.best_gold_rank();
    let h = f
        .stale_hits
        .iter()
        .find(|h| h.version_of_gold && best.is_none_or(|g| h.rank < g))?;
    let k = f.cfg.context_k;
    let tail = match best {
        Some(g) if g <= k => format!("above the best gold chunk at rank {g}"),
        Some(g) => {
            format!("and no gold chunk is in the context window of {k} (the best is at rank {g})")
        }
        None => format!("and no gold chunk is in the context window of {k}"),
    };
    let d = f
        .corpus
        .index(&h.doc)
        .expect("stale hits are in the corpus");
    decided(
        Class::StaleSource,
        Rule::StaleVersionInWindow,
        format!("{} ranked {}, {tail}", stale_desc(f.corpus, d), h.rank),
    )
}

/// Rule 5, second half, `stale_gold`: every live labelled document holding the evidence is
/// stale.
fn stale_gold(f: &Facts<'_>) -> Option<Decision> {
    let holders = &f.judged.holder_docs;
    let stale: Vec<usize> = holders
        .iter()
        .copied()
        .filter(|&d| f.corpus.is_stale(d))
        .collect();
    if stale.is_empty() || stale.len() != holders.len() {
        return None;
    }
    let names: Vec<String> = stale.iter().map(|&d| stale_desc(f.corpus, d)).collect();
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
}

/// Rule 6, `evidence_split`: no chunk holds the evidence, while pool chunks of its document
/// each hold part of it.
fn evidence_split(f: &Facts<'_>) -> Option<Decision> {
    let split = f.split?;
    let parts: Vec<String> = split
        .parts
        .iter()
        .map(|p| match p.rank {
            Some(r) => format!("rank {r} ({})", pct(p.coverage, 0)),
            None => format!("a pre-rerank candidate ({})", pct(p.coverage, 0)),
        })
        .collect();
    decided(
        Class::ChunkingSplit,
        Rule::EvidenceSplit,
        format!(
            "the evidence in {} is split across chunks: {} each hold part of it, and no chunk \
             holds {}",
            code(f.corpus.id(split.span.doc)),
            and_list(&parts),
            pct(f.cfg.cover, 0)
        ),
    )
}

/// Rule 7, `not_in_pool`: no chunk holding the evidence is in the pool.
fn not_in_pool(f: &Facts<'_>) -> Option<Decision> {
    if !f.judged.holding.is_empty() {
        return None;
    }
    let pool_len = f.pool.len();
    let reason = match f.ev.rule {
        EvidenceRule::SpanCover | EvidenceRule::RelevantDocument => {
            let gold_set: FxHashSet<usize> = f
                .judged
                .holder_docs
                .iter()
                .copied()
                .chain(f.judged.live_spans.iter().map(|s| s.doc))
                .collect();
            let others: Vec<usize> = f
                .pool
                .items
                .iter()
                .filter(|p| p.doc.is_some_and(|d| gold_set.contains(&d)))
                .filter_map(|p| p.rank)
                .collect();
            let gold_name = f.gold_name();
            let what = if f.ev.rule == EvidenceRule::SpanCover {
                format!("the evidence from {}", code(&gold_name))
            } else {
                format!("a chunk of the relevant document {}", code(&gold_name))
            };
            let mut r = format!("no chunk in the pool of {pool_len} holds {what}");
            if !others.is_empty() && f.ev.rule == EvidenceRule::SpanCover {
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
        EvidenceRule::AnswerText => {
            format!("no chunk in the pool of {pool_len} contains an accepted answer")
        }
    };
    decided(Class::RetrievalMiss, Rule::NotInPool, reason)
}

/// Rule 8, `below_window`: a chunk holding the evidence is in the pool but not in the window.
fn below_window(f: &Facts<'_>) -> Option<Decision> {
    if f.judged.holding.is_empty() || f.gold_in_window() {
        return None;
    }
    let gold_name = code(&f.gold_name());
    let reason = match f.judged.best_gold_rank() {
        Some(r) => format!(
            "the gold chunk of {gold_name} ranked {r}, outside the context window of {}",
            f.cfg.context_k
        ),
        None => format!(
            "a chunk of {gold_name} holding the evidence is among the pre-rerank candidates but \
             not in the ranked context list"
        ),
    };
    decided(Class::RankingMiss, Rule::BelowWindow, reason)
}

/// Rule 9, `bad_answer` (trace): the evidence is in the window, but the answer abstains, is
/// wrong, or is not grounded.
fn bad_answer(f: &Facts<'_>) -> Option<Decision> {
    if !f.gold_in_window() {
        return None;
    }
    let problem = answer_problem(f, f.answer?)?;
    decided(
        Class::GenerationFailure,
        Rule::BadAnswer,
        format!("{}, but {problem}", f.in_window_head()),
    )
}

/// What is wrong with an answer whose context held the evidence, if anything.
fn answer_problem(f: &Facts<'_>, a: &AnswerAssessment) -> Option<String> {
    if a.abstained {
        return Some(match a.abstention_phrase.as_deref() {
            Some("") | None => "the answer is empty".to_string(),
            Some(p) => format!("the answer abstains (\"{p}\")"),
        });
    }
    if a.correct == Some(false) {
        let answer = quoted(f.input.answer.as_deref().unwrap_or(""));
        return Some(match &a.correctness.matched {
            Some(m) => format!(
                "the answer {answer} is wrong (best token F1 {:.2}, against {})",
                a.correctness.best_f1,
                quoted(m)
            ),
            None => format!(
                "the answer {answer} is wrong (it shares no token with {})",
                quoted(
                    f.input
                        .query
                        .reference_answers
                        .first()
                        .map_or("", String::as_str)
                )
            ),
        });
    }
    if a.grounded() {
        return None;
    }
    let bad: Vec<&str> = a
        .grounding
        .sentences
        .iter()
        .filter(|s| !s.supported)
        .map(|s| s.sentence.as_str())
        .collect();
    let claims = &a.grounding.unsupported_claims;
    let claim_part = (!claims.is_empty()).then(|| {
        let list: Vec<String> = claims.iter().map(|c| quoted(c)).collect();
        format!(
            "it states {} found in no chunk of the context window (nor in the question)",
            list.join(", ")
        )
    });
    let sentence_part = (!bad.is_empty()).then(|| {
        format!(
            "{} of its {} sentences {} not supported by the context ({})",
            bad.len(),
            a.grounding.sentences.len(),
            if bad.len() == 1 { "is" } else { "are" },
            quoted(bad[0])
        )
    });
    let parts: Vec<String> = [claim_part, sentence_part].into_iter().flatten().collect();
    Some(format!("the answer is not grounded: {}", parts.join("; ")))
}

/// Rule 10, `evidence_in_window`: the evidence is in the window and no answer problem is
/// seen (replay, a trace line without an answer, or an answer without reference answers
/// that is grounded).
pub(super) fn evidence_in_window(f: &Facts<'_>) -> Decision {
    let head = f.in_window_head();
    let reason = match (f.answer, f.cfg.mode) {
        (Some(_), _) => format!(
            "{head}, and the answer is grounded (its correctness is not assessed: no reference \
             answer)"
        ),
        (None, Mode::Trace) => format!("{head}; the trace has no answer to assess"),
        (None, Mode::Replay) => format!("{head}; generation is not assessed in replay"),
    };
    Decision {
        class: Class::Ok,
        rule: Rule::EvidenceInWindow,
        reason,
    }
}
