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
use ragdiag_core::{Document, Narrow, Query, Strs, TraceRecord};
use ragdiag_eval::coded::CodedRows;
use ragdiag_fresh::{Audit, DocFreshness};
use std::collections::HashMap;
use std::sync::Arc;

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
    ) -> Briefs {
        let first = crate::cost::first_records(trace.unwrap_or_default(), queries);
        ds.iter()
            .zip(queries)
            .zip(first)
            .map(|((d, q), t)| Brief::of(d, q, t, ctx))
            .collect()
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

/// What [`Summary`](crate::Summary) reads of a question: [`Diagnosis`] and [`BriefRef`] both
/// have it.
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

impl<T: Tallied> Tallied for &T {
    fn class(&self) -> Class {
        (**self).class()
    }
    fn weight(&self) -> f64 {
        (**self).weight()
    }
    fn has_flag(&self, flag: Flag) -> bool {
        (**self).has_flag(flag)
    }
}

impl Tallied for BriefRef<'_> {
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

/// Every question's brief, in question order, kept column by column (issue 15: the summary at
/// the end of a streamed run reads every question's brief): the ids in one string, tag lists
/// once per distinct list, the class, rule, flags, verdicts and fix-first kind in 8 bytes, the
/// best evidence rank in 4, the weight and trace figures coded ([`CodedRows`]) and the record's
/// line in 4, and the parts many questions lack (a reason, the reranker's effect, review
/// signals, a fix's pages) only for the questions that have them: each of a fix's pages in 8
/// (page and successor names kept once a run, as the review signals' quoted documents), review
/// signals in 40. ~70 bytes a question on a production-shaped trace (measured at 100,000:
/// BENCHMARKS.md) where a [`Brief`] holds ~0.2 KB in its struct and allocations.
/// [`Briefs::get`] and [`Briefs::iter`] read a question's brief as a [`BriefRef`].
#[derive(Clone, PartialEq)]
pub struct Briefs {
    /// Every id.
    ids: Strs,
    /// The distinct tag lists, in the order first seen, and where each is.
    tag_lists: Vec<Arc<[Box<str>]>>,
    tag_index: HashMap<Arc<[Box<str>]>, u32>,
    /// Per question, its tag list's position in `tag_lists`.
    tags: Narrow,
    facts: Vec<Facts>,
    /// Per question, its best evidence rank plus one (0: none).
    best_gold_rank: Narrow,
    /// Per question, its weight (coded: most traces weigh every question alike).
    weight: CodedRows,
    /// Per question, its record's line and figures (absent ones 0; [`Facts`] says which
    /// there are); empty while no question has a record.
    records: Records,
    /// The names the fixes' pages and the review signals give (pages, successors, quoted
    /// documents), each once: they are the corpus's, while the questions naming them grow.
    names: Names,
    /// The questions with pages to fix, by position (ascending), and where their pages end in
    /// `fix_pages` (they start where the question before's end).
    page_ends: Vec<(usize, usize)>,
    /// Every fix's pages in question order: the page's name and its successor's (plus one; 0:
    /// none), as positions in `names`.
    fix_pages: Vec<(u32, u32)>,
    /// The pages of `fix_pages` (by position, ascending) with a split evidence's size.
    fix_spans: Vec<(usize, (usize, usize))>,
    /// The questions with review signals, by position (ascending), and them.
    reviews: Vec<(usize, Signals)>,
    /// The distinct thresholds the review signals were taken with (answer F1, grounded token
    /// share): one pair in a run.
    review_thresholds: Vec<(f64, f64)>,
    /// The questions with a reason or a reranker effect, by position (ascending).
    extras: Vec<(usize, Extra)>,
}

/// Strings kept once each, by position.
#[derive(Debug, Clone, Default, PartialEq)]
struct Names {
    all: Vec<Box<str>>,
    at: HashMap<Box<str>, u32>,
}

impl Names {
    /// `name`'s position, added if new.
    fn of(&mut self, name: &str) -> u32 {
        if let Some(&at) = self.at.get(name) {
            return at;
        }
        let at = u32::try_from(self.all.len()).unwrap_or(u32::MAX);
        self.all.push(name.into());
        self.at.insert(name.into(), at);
        at
    }

    fn get(&self, at: u32) -> &str {
        self.all.get(at as usize).map_or("", |n| &n[..])
    }
}

/// A question's review signals as [`Briefs`] keeps them ([`ReviewSignals`]).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Signals {
    borderline_f1: f64,
    borderline_grounding: f64,
    /// The quoted document's position in [`Names`] plus one (0: none).
    normalised_quote: u32,
    /// The thresholds' position in `review_thresholds`.
    thresholds: u32,
    /// Bit 0: `borderline_f1` holds; bit 1: `borderline_grounding` does.
    present: u8,
}

/// Per question, its trace record's line and figures: the line [`Narrow`] (4 bytes a line
/// under 2^32), the latency and the token counts coded
/// ([`CodedRows`]: token counts take a few thousand values; latencies kept one per question
/// when nearly all differ).
#[derive(Debug, Clone, PartialEq)]
struct Records {
    lines: Narrow,
    latency: CodedRows,
    /// Prompt and completion tokens, each its own column (a pair of counts takes many more
    /// values than either).
    prompt: CodedRows,
    completion: CodedRows,
}

impl Default for Records {
    fn default() -> Self {
        Records {
            lines: Narrow::new(),
            latency: CodedRows::new(1),
            prompt: CodedRows::new(1),
            completion: CodedRows::new(1),
        }
    }
}

impl Records {
    fn len(&self) -> usize {
        self.lines.len()
    }

    fn reserve_exact(&mut self, n: usize) {
        self.lines.reserve_exact(n);
        self.latency.reserve_exact(n);
        self.prompt.reserve_exact(n);
        self.completion.reserve_exact(n);
    }

    fn push(&mut self, line: usize, figures: [f64; 3]) {
        self.lines.push_index(line);
        self.latency.push(&figures[..1]);
        self.prompt.push(&figures[1..2]);
        self.completion.push(&figures[2..]);
    }

    /// Question `i`'s line and figures.
    fn get(&self, i: usize) -> (u64, [f64; 3]) {
        let line = self.lines.get(i);
        let column = |c: &CodedRows| c.value(i, 0);
        (
            line,
            [
                column(&self.latency),
                column(&self.prompt),
                column(&self.completion),
            ],
        )
    }

    fn shrink_to_fit(&mut self) {
        self.lines.shrink_to_fit();
        self.latency.shrink_to_fit();
        self.prompt.shrink_to_fit();
        self.completion.shrink_to_fit();
    }
}

/// A question's class, rule, flags, verdicts and fix-first action's kind (8 bytes: the kind
/// was a position and a kind apart, 16 bytes, for the ~40% of questions that have one).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Facts {
    flags: FlagSet,
    bits: u16,
    class: Class,
    rule: Rule,
    fix: Option<FixKind>,
}

const _: () = assert!(
    std::mem::size_of::<Facts>() <= 8,
    "a question's facts in 8 bytes"
);

/// What few questions have.
#[derive(Debug, Clone, PartialEq)]
struct Extra {
    reason: Box<str>,
    rerank: Option<Box<RerankOutcome>>,
}

/// A question's fix-first action as [`Briefs`] keeps it: [`Fix`], borrowed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FixRef<'a> {
    /// The action.
    pub kind: FixKind,
    /// Its pages ([`Fix::pages`]).
    pub pages: FixPages<'a>,
}

/// A fix's pages as [`Briefs`] keeps them ([`Fix::pages`]), read one by one as [`PageRef`]s.
#[derive(Clone, Copy)]
pub struct FixPages<'a> {
    briefs: &'a Briefs,
    /// Their positions in `fix_pages`.
    from: usize,
    to: usize,
}

/// One page of a fix ([`PageFor`]), borrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct PageRef<'a> {
    /// The page.
    pub page: &'a str,
    /// The page to redirect to.
    pub successor: Option<&'a str>,
    /// The split evidence's size (words, code points).
    pub span: Option<(usize, usize)>,
}

impl<'a> PageRef<'a> {
    /// The page, owned.
    #[must_use]
    pub fn to_owned(&self) -> PageFor {
        (
            self.page.to_owned(),
            self.successor.map(str::to_owned),
            self.span,
        )
    }
}

impl<'a> FixPages<'a> {
    /// How many pages.
    #[must_use]
    pub fn len(&self) -> usize {
        self.to - self.from
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.to == self.from
    }

    /// The pages, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = PageRef<'a>> + 'a {
        let b = self.briefs;
        let spans = &b.fix_spans[b.fix_spans.partition_point(|(at, _)| *at < self.from)..];
        let mut next_span = 0;
        (self.from..self.to).map(move |k| {
            let (page, successor) = b.fix_pages[k];
            let span = match spans.get(next_span) {
                Some(&(at, size)) if at == k => {
                    next_span += 1;
                    Some(size)
                }
                _ => None,
            };
            PageRef {
                page: b.names.get(page),
                successor: successor.checked_sub(1).map(|s| b.names.get(s)),
                span,
            }
        })
    }

    /// The pages, owned.
    #[must_use]
    pub fn to_vec(&self) -> Vec<PageFor> {
        self.iter().map(|p| p.to_owned()).collect()
    }
}

impl std::fmt::Debug for FixPages<'_> {
    /// As a list of [`PageRef`]s.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl PartialEq for FixPages<'_> {
    /// The same pages, in the same order.
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

/// A question's review signals as [`Briefs`] keeps them: [`ReviewSignals`], borrowed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReviewRef<'a> {
    /// [`ReviewSignals::normalised_quote`].
    pub normalised_quote: Option<&'a str>,
    /// [`ReviewSignals::borderline_f1`].
    pub borderline_f1: Option<f64>,
    /// [`ReviewSignals::borderline_grounding`].
    pub borderline_grounding: Option<f64>,
    /// [`ReviewSignals::answer_f1`].
    pub answer_f1: f64,
    /// [`ReviewSignals::ground_token_share`].
    pub ground_token_share: f64,
}

impl ReviewRef<'_> {
    /// The signals, owned.
    #[must_use]
    pub fn to_owned(&self) -> ReviewSignals {
        ReviewSignals {
            normalised_quote: self.normalised_quote.map(str::to_owned),
            borderline_f1: self.borderline_f1,
            borderline_grounding: self.borderline_grounding,
            answer_f1: self.answer_f1,
            ground_token_share: self.ground_token_share,
        }
    }
}

// The bits of [`Facts::bits`].
const ANSWERABLE: u16 = 1;
const ANSWERED: u16 = 1 << 1;
const CORRECT_KNOWN: u16 = 1 << 2;
const CORRECT: u16 = 1 << 3;
const ABSTAINED: u16 = 1 << 4;
const GROUNDED: u16 = 1 << 5;
const RECORD: u16 = 1 << 6;
const LATENCY: u16 = 1 << 7;
const PROMPT: u16 = 1 << 8;
const COMPLETION: u16 = 1 << 9;

/// A question's brief as [`Briefs`] keeps it: [`Brief`]'s fields, borrowed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BriefRef<'a> {
    /// The question's id.
    pub id: &'a str,
    /// The question's tags.
    pub tags: &'a [Box<str>],
    /// The primary class.
    pub class: Class,
    /// The rule that fired.
    pub rule: Rule,
    /// The diagnosis's reason ([`Brief::reason`]).
    pub reason: &'a str,
    /// Every flag that holds.
    pub flags: FlagSet,
    /// Whether the question has an answer in the corpus.
    pub answerable: bool,
    /// Rank of the best-ranked chunk holding the evidence.
    pub best_gold_rank: Option<usize>,
    /// The question's traffic weight.
    pub weight: f64,
    /// The answer's verdicts.
    pub answer: Option<AnswerBrief>,
    /// What the reranker did to the evidence.
    pub rerank: Option<&'a RerankOutcome>,
    /// The review queue's own signals.
    pub review: Option<ReviewRef<'a>>,
    /// The fix-first action.
    pub fix: Option<FixRef<'a>>,
    /// The figures of its trace record.
    pub record: Option<RecordFigures>,
}

impl BriefRef<'_> {
    /// Whether the answer is right: correct for an answerable question, abstaining for an
    /// unanswerable one; `None` when not assessed ([`crate::answer_ok`]).
    #[must_use]
    pub fn answer_ok(&self) -> Option<bool> {
        let a = self.answer.as_ref()?;
        crate::report::judged(self.answerable, a.correct, a.abstained)
    }

    /// The brief, owned.
    #[must_use]
    pub fn to_brief(&self) -> Brief {
        Brief {
            id: self.id.into(),
            tags: self.tags.into(),
            class: self.class,
            rule: self.rule,
            reason: self.reason.into(),
            flags: self.flags,
            answerable: self.answerable,
            best_gold_rank: self.best_gold_rank,
            weight: self.weight,
            answer: self.answer,
            rerank: self.rerank.map(|r| Box::new(*r)),
            review: self.review.map(|r| Box::new(r.to_owned())),
            fix: self.fix.map(|f| {
                Box::new(Fix {
                    kind: f.kind,
                    pages: f.pages.to_vec(),
                })
            }),
            record: self.record,
        }
    }
}

impl Default for Briefs {
    fn default() -> Self {
        Briefs {
            ids: Strs::new(),
            tag_lists: Vec::new(),
            tag_index: HashMap::new(),
            tags: Narrow::new(),
            facts: Vec::new(),
            best_gold_rank: Narrow::new(),
            weight: CodedRows::new(1),
            records: Records::default(),
            names: Names::default(),
            page_ends: Vec::new(),
            fix_pages: Vec::new(),
            fix_spans: Vec::new(),
            reviews: Vec::new(),
            review_thresholds: Vec::new(),
            extras: Vec::new(),
        }
    }
}

impl Briefs {
    /// No briefs.
    #[must_use]
    pub fn new() -> Self {
        Briefs::default()
    }

    /// How many questions.
    #[must_use]
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Room for `more` questions' fixed-size columns.
    pub fn reserve(&mut self, more: usize) {
        self.ids.reserve(more);
        self.tags.reserve(more);
        self.facts.reserve(more);
        self.best_gold_rank.reserve(more);
        self.weight.reserve(more);
    }

    /// Adds `b`, the next question's brief.
    pub fn push(&mut self, b: Brief) {
        let i = self.len();
        self.ids.push(&b.id);
        let tags = match self.tag_index.get(&b.tags[..]) {
            Some(&at) => at,
            None => {
                let at = u32::try_from(self.tag_lists.len()).unwrap_or(u32::MAX);
                let list: Arc<[Box<str>]> = Arc::from(b.tags);
                self.tag_lists.push(list.clone());
                self.tag_index.insert(list, at);
                at
            }
        };
        self.tags.push(u64::from(tags));
        let mut bits = 0;
        let mut set = |bit: u16, on: bool| {
            if on {
                bits |= bit;
            }
        };
        set(ANSWERABLE, b.answerable);
        if let Some(a) = b.answer {
            set(ANSWERED, true);
            set(CORRECT_KNOWN, a.correct.is_some());
            set(CORRECT, a.correct == Some(true));
            set(ABSTAINED, a.abstained);
            set(GROUNDED, a.grounded);
        }
        if let Some(r) = b.record {
            set(RECORD, true);
            if self.records.lines.capacity() == 0 {
                // Room for every question reserved (a trace gives most a record).
                self.records.reserve_exact(self.ids.capacity());
            }
            set(LATENCY, r.latency_ms.is_some());
            set(PROMPT, r.prompt_tokens.is_some());
            set(COMPLETION, r.completion_tokens.is_some());
            while self.records.len() < i {
                self.records.push(0, [0.0; 3]);
            }
            let f = |x: Option<f64>| x.unwrap_or(0.0);
            self.records.push(
                r.line,
                [f(r.latency_ms), f(r.prompt_tokens), f(r.completion_tokens)],
            );
        }
        self.facts.push(Facts {
            flags: b.flags,
            bits,
            class: b.class,
            rule: b.rule,
            fix: b.fix.as_ref().map(|f| f.kind),
        });
        self.best_gold_rank
            .push_index(b.best_gold_rank.map_or(0, |r| r.saturating_add(1)));
        self.weight.push(&[b.weight]);
        if let Some(f) = b.fix {
            if !f.pages.is_empty() {
                for (page, successor, span) in &f.pages {
                    if let Some(size) = *span {
                        self.fix_spans.push((self.fix_pages.len(), size));
                    }
                    let page = self.names.of(page);
                    let successor = successor
                        .as_deref()
                        .map_or(0, |s| self.names.of(s).saturating_add(1));
                    self.fix_pages.push((page, successor));
                }
                self.page_ends.push((i, self.fix_pages.len()));
            }
        }
        if let Some(r) = b.review {
            self.push_review(i, &r);
        }
        if !b.reason.is_empty() || b.rerank.is_some() {
            self.extras.push((
                i,
                Extra {
                    reason: b.reason,
                    rerank: b.rerank,
                },
            ));
        }
    }

    fn push_review(&mut self, i: usize, r: &ReviewSignals) {
        let pair = (r.answer_f1.to_bits(), r.ground_token_share.to_bits());
        let thresholds = match self
            .review_thresholds
            .iter()
            .rposition(|t| (t.0.to_bits(), t.1.to_bits()) == pair)
        {
            Some(at) => at,
            None => {
                self.review_thresholds
                    .push((r.answer_f1, r.ground_token_share));
                self.review_thresholds.len() - 1
            }
        };
        let normalised_quote = r
            .normalised_quote
            .as_deref()
            .map_or(0, |d| self.names.of(d).saturating_add(1));
        self.reviews.push((
            i,
            Signals {
                borderline_f1: r.borderline_f1.unwrap_or(0.0),
                borderline_grounding: r.borderline_grounding.unwrap_or(0.0),
                normalised_quote,
                thresholds: u32::try_from(thresholds).unwrap_or(u32::MAX),
                present: u8::from(r.borderline_f1.is_some())
                    | u8::from(r.borderline_grounding.is_some()) << 1,
            },
        ));
    }

    /// Question `i`'s review signals as kept.
    fn review_of(&self, s: &Signals) -> ReviewRef<'_> {
        let (answer_f1, ground_token_share) = self
            .review_thresholds
            .get(s.thresholds as usize)
            .copied()
            .unwrap_or((f64::NAN, f64::NAN));
        ReviewRef {
            normalised_quote: s.normalised_quote.checked_sub(1).map(|d| self.names.get(d)),
            borderline_f1: (s.present & 1 != 0).then_some(s.borderline_f1),
            borderline_grounding: (s.present & 2 != 0).then_some(s.borderline_grounding),
            answer_f1,
            ground_token_share,
        }
    }

    /// The pages of the `k`-th entry of `page_ends`.
    fn pages_at(&self, k: usize) -> FixPages<'_> {
        FixPages {
            briefs: self,
            from: k.checked_sub(1).map_or(0, |p| self.page_ends[p].1),
            to: self.page_ends[k].1,
        }
    }

    /// Question `i`'s id.
    ///
    /// # Panics
    ///
    /// When there are not more than `i` questions (as every accessor here).
    #[must_use]
    pub fn id(&self, i: usize) -> &str {
        self.ids.get(i)
    }

    /// Question `i`'s class.
    #[must_use]
    pub fn class(&self, i: usize) -> Class {
        self.facts[i].class
    }

    /// Question `i`'s flags.
    #[must_use]
    pub fn flags(&self, i: usize) -> FlagSet {
        self.facts[i].flags
    }

    /// Question `i`'s tags.
    #[must_use]
    pub fn tags(&self, i: usize) -> &[Box<str>] {
        self.tag_lists
            .get(self.tags.index(i))
            .map_or(&[], |t| &t[..])
    }

    /// Question `i`'s traffic weight.
    #[must_use]
    pub fn weight(&self, i: usize) -> f64 {
        self.weight.value(i, 0)
    }

    /// Whether question `i` has an answer in the corpus.
    #[must_use]
    pub fn answerable(&self, i: usize) -> bool {
        self.facts[i].bits & ANSWERABLE != 0
    }

    /// Question `i`'s best evidence rank.
    #[must_use]
    pub fn best_gold_rank(&self, i: usize) -> Option<usize> {
        self.best_gold_rank.index(i).checked_sub(1)
    }

    /// Question `i`'s trace record figures.
    #[must_use]
    pub fn record(&self, i: usize) -> Option<RecordFigures> {
        let bits = self.facts[i].bits;
        if bits & RECORD == 0 {
            return None;
        }
        let (line, r) = self.records.get(i);
        let f = |bit: u16, x: f64| (bits & bit != 0).then_some(x);
        Some(RecordFigures {
            line: usize::try_from(line).unwrap_or(usize::MAX),
            latency_ms: f(LATENCY, r[0]),
            prompt_tokens: f(PROMPT, r[1]),
            completion_tokens: f(COMPLETION, r[2]),
        })
    }

    /// Lets go of the room the lists hold beyond their questions.
    pub fn shrink_to_fit(&mut self) {
        self.ids.shrink_to_fit();
        self.tags.shrink_to_fit();
        self.facts.shrink_to_fit();
        self.best_gold_rank.shrink_to_fit();
        self.weight.shrink_to_fit();
        self.records.shrink_to_fit();
        self.names.all.shrink_to_fit();
        self.names.at.shrink_to_fit();
        self.page_ends.shrink_to_fit();
        self.fix_pages.shrink_to_fit();
        self.fix_spans.shrink_to_fit();
        self.reviews.shrink_to_fit();
        self.review_thresholds.shrink_to_fit();
        self.extras.shrink_to_fit();
    }

    /// Question `i`'s brief.
    #[must_use]
    pub fn get(&self, i: usize) -> BriefRef<'_> {
        fn find<T>(list: &[(usize, T)], i: usize) -> Option<usize> {
            list.binary_search_by_key(&i, |(at, _)| *at).ok()
        }
        self.brief(
            i,
            Parts {
                pages: find(&self.page_ends, i),
                review: find(&self.reviews, i).map(|k| &self.reviews[k].1),
                extra: find(&self.extras, i).map(|k| &self.extras[k].1),
            },
        )
    }

    /// Every question's brief, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = BriefRef<'_>> + Clone + '_ {
        /// The entry of `list` (ascending by position) at question `i`, if any, `next` being
        /// the first entry not yet passed.
        fn next_at<T>(list: &[(usize, T)], next: &mut usize, i: usize) -> Option<usize> {
            match list.get(*next) {
                Some((at, _)) if *at == i => {
                    *next += 1;
                    Some(*next - 1)
                }
                _ => None,
            }
        }
        let mut next = [0usize; 3];
        (0..self.len()).map(move |i| {
            let [p, r, e] = &mut next;
            let parts = Parts {
                pages: next_at(&self.page_ends, p, i),
                review: next_at(&self.reviews, r, i).map(|k| &self.reviews[k].1),
                extra: next_at(&self.extras, e, i).map(|k| &self.extras[k].1),
            };
            self.brief(i, parts)
        })
    }

    fn brief<'a>(&'a self, i: usize, parts: Parts<'a>) -> BriefRef<'a> {
        let Facts {
            flags,
            bits,
            class,
            rule,
            fix,
        } = self.facts[i];
        let on = |bit: u16| bits & bit != 0;
        let Parts {
            pages,
            review,
            extra,
        } = parts;
        BriefRef {
            id: self.id(i),
            tags: self.tags(i),
            class,
            rule,
            reason: extra.map_or("", |e| &e.reason),
            flags,
            answerable: on(ANSWERABLE),
            best_gold_rank: self.best_gold_rank(i),
            weight: self.weight(i),
            answer: on(ANSWERED).then_some(AnswerBrief {
                correct: on(CORRECT_KNOWN).then_some(on(CORRECT)),
                abstained: on(ABSTAINED),
                grounded: on(GROUNDED),
            }),
            rerank: extra.and_then(|e| e.rerank.as_deref()),
            review: review.map(|s| self.review_of(s)),
            fix: fix.map(|kind| FixRef {
                kind,
                pages: pages.map_or(
                    FixPages {
                        briefs: self,
                        from: 0,
                        to: 0,
                    },
                    |k| self.pages_at(k),
                ),
            }),
            record: self.record(i),
        }
    }
}

/// What of a question's brief is kept apart, found.
#[derive(Clone, Copy)]
struct Parts<'a> {
    /// Its entry in `page_ends`.
    pages: Option<usize>,
    review: Option<&'a Signals>,
    extra: Option<&'a Extra>,
}

impl std::fmt::Debug for Briefs {
    /// Question by question, as a list of [`BriefRef`]s.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl FromIterator<Brief> for Briefs {
    fn from_iter<I: IntoIterator<Item = Brief>>(iter: I) -> Self {
        let mut out = Briefs::new();
        for b in iter {
            out.push(b);
        }
        out
    }
}

impl Extend<Brief> for Briefs {
    fn extend<I: IntoIterator<Item = Brief>>(&mut self, iter: I) {
        for b in iter {
            self.push(b);
        }
    }
}
