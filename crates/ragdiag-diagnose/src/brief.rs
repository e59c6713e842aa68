//! What the summary reads of one question and its diagnosis (issue 15): the question's id,
//! tags, weight and answerability, and the diagnosis's class, rule, flags, best evidence rank,
//! the answer's verdicts, the reranker's effect, the review queue's signals, the fix-first
//! action it calls for and the reason, in ~200 bytes. The summary's figures
//! ([`crate::build_summary`]) are made from these alone, so a streamed diagnosis can let a
//! question's whole [`Diagnosis`] go once its rows are written and its brief taken, and need not
//! hold the question itself after the stream.

use crate::fix_first::{fix_of, PageFor};
use crate::{Class, Diagnosis, Flag, RerankOutcome, Rule, ThresholdOptions};
use ragdiag_contract::FixKind;
use ragdiag_core::{Document, Query, TraceRecord};
use ragdiag_fresh::{Audit, DocFreshness};
use std::collections::HashMap;

/// Every flag of a question, one bit each in [`Flag::ALL`]'s order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FlagSet(u16);

impl FlagSet {
    fn bit(flag: Flag) -> u16 {
        let at = Flag::ALL
            .iter()
            .position(|f| *f == flag)
            .expect("every flag is in Flag::ALL");
        1 << at
    }

    /// The set of `flags`.
    pub fn of<'f>(flags: impl IntoIterator<Item = &'f Flag>) -> Self {
        FlagSet(flags.into_iter().fold(0, |s, f| s | Self::bit(*f)))
    }

    /// The set's bits ([`FlagSet::from_bits`] reads them back).
    pub(crate) fn bits(self) -> u16 {
        self.0
    }

    /// The set whose bits are `bits`.
    pub(crate) fn from_bits(bits: u16) -> Self {
        FlagSet(bits)
    }

    /// Whether `flag` holds.
    #[must_use]
    pub fn contains(self, flag: Flag) -> bool {
        self.0 & Self::bit(flag) != 0
    }
}

/// The verdicts the summary reads of an answer's assessment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnswerBrief {
    /// [`crate::AnswerAssessment::correct`].
    pub correct: Option<bool>,
    /// It declines to answer.
    pub abstained: bool,
    /// Every sentence is supported by the context window.
    pub grounded: bool,
}

/// The review queue's signals of one question that do not depend on the other questions
/// (every reason but `near_floor`), each with the figure its detail names.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewSignals {
    /// The document whose evidence was found only by the normalised quote match.
    pub normalised_quote: Option<String>,
    /// The answer's best F1, when it is within the margin of the threshold and decides.
    pub borderline_f1: Option<f64>,
    /// The first sentence's grounded token share within the margin of its threshold.
    pub borderline_grounding: Option<f64>,
    /// The answer F1 at which an answer is correct, as the signals were taken.
    pub answer_f1: f64,
    /// The grounded token share of a sentence, as the signals were taken.
    pub ground_token_share: f64,
}

/// The figures of a question's trace record (its first line) that the summary reads, as the
/// line gives them, and where the line is.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RecordFigures {
    /// The line's position among the trace's lines (the summary adds figures in line order).
    pub line: usize,
    /// End-to-end latency in milliseconds.
    pub latency_ms: Option<f64>,
    /// Prompt tokens.
    pub prompt_tokens: Option<f64>,
    /// Completion tokens.
    pub completion_tokens: Option<f64>,
}

impl RecordFigures {
    /// The figures of `t`, the trace's line at position `line`.
    #[must_use]
    pub fn of(line: usize, t: &TraceRecord) -> Self {
        RecordFigures {
            line,
            latency_ms: t.latency_ms,
            prompt_tokens: t.prompt_tokens,
            completion_tokens: t.completion_tokens,
        }
    }
}

/// The fix-first action a failing question calls for, and the pages it names.
#[derive(Debug, Clone, PartialEq)]
pub struct Fix {
    /// The action.
    pub kind: FixKind,
    /// Its pages: id, the page to redirect to, the split evidence's size (words, code points);
    /// sorted, without repeats.
    pub pages: Vec<PageFor>,
}

/// What a brief is taken against: the corpus (fix-first's pages) and the review queue's
/// thresholds.
#[derive(Debug)]
pub struct BriefContext<'a> {
    pub(crate) by_id: HashMap<&'a str, (&'a Document, &'a DocFreshness)>,
    answer_f1: f64,
    ground_token_share: f64,
}

impl<'a> BriefContext<'a> {
    /// The context of a run over `docs` and their `audit`, with the answer F1 at which an
    /// answer is correct and the grounded token share of a sentence of `thresholds`.
    #[must_use]
    pub fn new(docs: &'a [Document], audit: &'a Audit, thresholds: &ThresholdOptions) -> Self {
        BriefContext {
            by_id: audit.by_id(docs),
            answer_f1: thresholds.answer_f1,
            ground_token_share: thresholds.ground_token_share,
        }
    }
}

/// What the summary reads of one question's diagnosis.
#[derive(Debug, Clone, PartialEq)]
pub struct Brief {
    /// The question's id.
    pub id: Box<str>,
    /// The question's tags (product areas or other labels).
    pub tags: Box<[Box<str>]>,
    /// The primary class.
    pub class: Class,
    /// The rule that fired.
    pub rule: Rule,
    /// The diagnosis's reason; a streamed run empties it on release unless `report.md` may list
    /// the question (the drill-down of a drawn question reads its diagnosis's reason).
    pub reason: Box<str>,
    /// Every flag that holds.
    pub flags: FlagSet,
    /// Whether the question has an answer in the corpus.
    pub answerable: bool,
    /// Rank of the best-ranked chunk holding the evidence.
    pub best_gold_rank: Option<usize>,
    /// The question's traffic weight.
    pub weight: f64,
    /// The answer's verdicts (trace mode, when the trace has an answer).
    pub answer: Option<AnswerBrief>,
    /// What the reranker did to the evidence.
    pub rerank: Option<Box<RerankOutcome>>,
    /// The review queue's own signals (`None`: none holds).
    pub review: Option<Box<ReviewSignals>>,
    /// The fix-first action (failing questions only).
    pub fix: Option<Box<Fix>>,
    /// The figures of its trace record (`None`: no line named it, or no trace).
    pub record: Option<RecordFigures>,
}

impl Brief {
    /// The brief of `d`, the diagnosis of `q`, whose trace record (first line) is `record`
    /// (with its position among the trace's lines).
    #[must_use]
    pub fn of(
        d: &Diagnosis,
        q: &Query,
        record: Option<(usize, &TraceRecord)>,
        ctx: &BriefContext<'_>,
    ) -> Self {
        Brief {
            id: q.id.as_str().into(),
            tags: q.tags.iter().map(|t| t.as_str().into()).collect(),
            class: d.class,
            rule: d.rule,
            reason: d.reason.as_str().into(),
            flags: FlagSet::of(&d.flags),
            answerable: q.answerable,
            best_gold_rank: d.best_gold_rank,
            weight: d.weight,
            answer: d.answer.as_ref().map(|a| AnswerBrief {
                correct: a.correct,
                abstained: a.abstained,
                grounded: a.grounded(),
            }),
            rerank: d.rerank.map(Box::new),
            review: review_signals(d, q, ctx).map(Box::new),
            fix: fix_of(d, q, &ctx.by_id).map(|(kind, pages)| Box::new(Fix { kind, pages })),
            record: record.map(|(line, t)| RecordFigures::of(line, t)),
        }
    }

    /// The briefs of `ds`, the diagnoses of `queries`, each with the first record of `trace`
    /// that names it.
    #[must_use]
    pub fn all(
        ds: &[Diagnosis],
        queries: &[Query],
        trace: Option<&[TraceRecord]>,
        ctx: &BriefContext<'_>,
    ) -> Vec<Brief> {
        let first = crate::cost::first_records(trace.unwrap_or_default(), queries);
        ds.iter()
            .zip(queries)
            .zip(first)
            .map(|((d, q), t)| Brief::of(d, q, t, ctx))
            .collect()
    }

    /// Whether the answer is right: correct for an answerable question, abstaining for an
    /// unanswerable one; `None` when not assessed ([`crate::answer_ok`]).
    #[must_use]
    pub fn answer_ok(&self) -> Option<bool> {
        let a = self.answer.as_ref()?;
        crate::report::judged(self.answerable, a.correct, a.abstained)
    }
}

/// The review queue's signals of `d` ([`crate::review::review_queue`]).
fn review_signals(d: &Diagnosis, q: &Query, ctx: &BriefContext<'_>) -> Option<ReviewSignals> {
    use crate::review::MARGIN;
    let normalised_quote = d
        .gold
        .iter()
        .find(|g| g.normalised && g.labelled && g.live)
        .map(|g| g.doc.clone());
    let (mut borderline_f1, mut borderline_grounding) = (None, None);
    if let Some(a) = d.answer.as_ref().filter(|a| !a.abstained) {
        let c = &a.correctness;
        if q.answerable
            && a.correct.is_some()
            && !c.contains
            && (c.best_f1 - ctx.answer_f1).abs() <= MARGIN
        {
            borderline_f1 = Some(c.best_f1);
        }
        borderline_grounding = a
            .grounding
            .sentences
            .iter()
            .find(|s| {
                s.best_cosine.is_none() && (s.token_share - ctx.ground_token_share).abs() <= MARGIN
            })
            .map(|s| s.token_share);
    }
    let any =
        normalised_quote.is_some() || borderline_f1.is_some() || borderline_grounding.is_some();
    any.then_some(ReviewSignals {
        normalised_quote,
        borderline_f1,
        borderline_grounding,
        answer_f1: ctx.answer_f1,
        ground_token_share: ctx.ground_token_share,
    })
}

/// What [`Summary`](crate::Summary) reads of a question: [`Diagnosis`] and [`Brief`] both have it.
pub trait Tallied {
    /// The primary class.
    fn class(&self) -> Class;
    /// The traffic weight.
    fn weight(&self) -> f64;
    /// Whether `flag` holds.
    fn has_flag(&self, flag: Flag) -> bool;
}

impl Tallied for Diagnosis {
    fn class(&self) -> Class {
        self.class
    }
    fn weight(&self) -> f64 {
        self.weight
    }
    fn has_flag(&self, flag: Flag) -> bool {
        self.flags.contains(&flag)
    }
}

impl Tallied for Brief {
    fn class(&self) -> Class {
        self.class
    }
    fn weight(&self) -> f64 {
        self.weight
    }
    fn has_flag(&self, flag: Flag) -> bool {
        self.flags.contains(flag)
    }
}
