//! Failure attribution: why did a question fail?
//!
//! Given the corpus and its freshness [`Audit`](ragdiag_fresh::Audit), the questions, and per
//! question the ranked retrieved chunks (and, from a trace, the answer), this crate assigns each
//! question one [`Class`] by DESIGN.md's decision order, any number of [`Flag`]s, the [`Rule`]
//! that fired, and a plain-language reason naming the evidence. It does no I/O, no retrieval and
//! no rendering.
//!
//! - [`Corpus`]: the documents and their audit, indexed once.
//! - [`QueryInput`]: one question's ranking ([`RetrievedItem`]s), optional pre-rerank
//!   candidates and answer. Build it from ragdiag's own chunks
//!   ([`RetrievedItem::from_chunk`], [`QueryInput::replay`]) or from a trace line
//!   ([`QueryInput::from_trace`], which locates each hit's text in its document).
//! - [`Config`]: mode, context window, pool, cover, answer and groundedness thresholds, an
//!   optional [`Embedder`](ragdiag_core::Embedder).
//! - [`diagnose`] / [`diagnose_trace`]: [`Diagnoses`] with one [`Diagnosis`] per question in
//!   input order, a [`Summary`] per class and flag, and warnings.
//! - Answer helpers: [`normalize_answer`], [`match_tokens`], [`token_f1`], [`compare_answer`],
//!   [`AbstentionMatcher`], [`assess_grounding`].
//!
//! The crate README lists the decisions taken where DESIGN.md is silent.
//!
//! ```
//! use ragdiag_core::{Document, Evidence, Query, Timestamp};
//! use ragdiag_diagnose::{diagnose, Class, Config, Corpus, Mode, QueryInput, RetrievedItem};
//! use ragdiag_fresh::audit;
//!
//! let docs = vec![Document {
//!     id: "pricing".into(),
//!     text: "Plans. Growth costs $39 per month and includes 3 users. Scale costs more.".into(),
//!     updated_at: Timestamp::parse("2026-03-01"),
//!     ..Document::default()
//! }];
//! let fresh = audit(&docs, &ragdiag_fresh::Config::new(Timestamp::parse("2026-10-01").unwrap()));
//! let corpus = Corpus::new(&docs, &fresh);
//! let query = Query {
//!     id: "q1".into(),
//!     text: "how much is growth?".into(),
//!     evidence: vec![Evidence::Quote { doc: "pricing".into(), quote: "Growth costs $39 per month".into() }],
//!     reference_answers: vec!["$39".into()],
//!     ..Query::default()
//! };
//! let chunk = |s: usize, e: usize| RetrievedItem { doc: "pricing".into(), span: Some((s, e)), ..RetrievedItem::default() };
//! // The chunk holding the evidence (code points 7..54) is ranked 6th: a ranking miss.
//! let mut ranked: Vec<RetrievedItem> = (0..5).map(|_| chunk(0, 6)).collect();
//! ranked.push(chunk(7, 54));
//! let out = diagnose(&corpus, &[QueryInput::replay(&query, ranked)], &Config::default())?;
//! let d = &out.diagnoses[0];
//! assert_eq!(d.class, Class::RankingMiss);
//! assert_eq!(d.reason, "the gold chunk of `pricing` ranked 6, outside the context window of 5");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod answer;
mod attribute;
mod brief;
mod compare;
mod config;
mod corpus;
pub mod cost;
mod fix_first;
pub mod golden;
mod ground;
mod input;
mod report;
mod rerank;
pub mod review;
mod spill;
mod stash;
mod stream;
mod summary;
mod table;
mod tally;
mod texts;
pub mod threshold;
mod trend;
mod types;

pub use answer::{
    compare_answer, match_tokens, normalize_answer, token_f1, AbstentionMatcher, Correctness,
    DEFAULT_ABSTAIN_PHRASES,
};
pub use brief::{
    AnswerBrief, Brief, BriefContext, BriefRef, Briefs, Fix, FixPages, FixRef, FlagSet, PageRef,
    RecordFigures, ReviewRef, ReviewSignals, Tallied,
};
pub use compare::{compare_reports, NoSuchMetric, QuestionRow, ReportRows};
pub use config::Config;
pub use corpus::Corpus;
pub use fix_first::{fix_first, PageFor};
pub use ground::{
    assess_grounding, claims, content_tokens, split_sentences, Grounding, GroundingConfig,
    SentenceSupport,
};
pub use input::{QueryInput, RetrievedItem, RetrieverRanks};
pub use report::{
    answer_ok, build_summary, doc_ranking, headline, hit_name, hits_columns, lead_scores,
    queries_columns, Figures, LeadScores, Leads, Ranked, RowFigures, Sources, SummaryInput,
    ThresholdOptions, UnknownMetric,
};
pub use rerank::reranker_impact;
pub use spill::Scratch;
pub use stream::{
    drawn_order, HeldQuestion, Part, QueryLabels, QuestionStore, RepeatedId, Streamed, TraceRun,
};
pub use summary::{ClassCount, FlagCount, Summary};
pub use tally::{RankFigures, RankTally, TallyError};
pub use trend::{trend, DatedReport};
pub use types::{
    AnswerAssessment, Class, Diagnosis, EvidenceRule, Flag, GoldSpan, Mode, RerankEffect,
    RerankOutcome, Rule, SplitPart, StaleHit, WindowItem,
};

use ragdiag_core::{Diagnostics, EmbedError, Query, TraceRecord};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::Serialize;

/// Version of the serialised [`Diagnosis`] and [`Summary`].
///
/// 2: the flag `ghost_citation` and `Grounding::unsupported_claims`.
/// 3: the flags `reranker_demoted_gold` and `reranker_promoted_gold`, `Diagnosis::rerank`.
pub const SCHEMA_VERSION: u32 = 3;

/// Everything that can go wrong in a diagnosis. Problems of the data are warnings in
/// [`Diagnoses::warnings`], never errors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A setting is out of range (a user error).
    #[error("invalid diagnosis setting: {0}")]
    InvalidConfig(String),
    /// The embedder failed while assessing groundedness.
    #[error("embedding answer and context sentences failed")]
    Embed(#[source] EmbedError),
    /// The scratch that keeps a streamed trace's waiting questions failed
    /// ([`TraceRun::with_spill`]).
    #[error("keeping or reading back the trace questions that wait for their turn failed")]
    Scratch(#[source] std::io::Error),
}

impl From<EmbedError> for Error {
    fn from(e: EmbedError) -> Self {
        Error::Embed(e)
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The outcome of a diagnosis run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diagnoses {
    /// One diagnosis per question, in input order.
    pub diagnoses: Vec<Diagnosis>,
    /// Counts and shares per class and flag.
    pub summary: Summary,
    /// Problems of meaning found on the way (trace texts not found in their documents, ghost
    /// hits, evidence spans out of range, trace lines for unknown questions, …).
    #[serde(skip)]
    pub warnings: Diagnostics,
}

/// Diagnoses every question of `inputs`, in order.
///
/// # Errors
///
/// [`Error::InvalidConfig`] for out-of-range settings, [`Error::Embed`] when the embedder
/// fails. Problems of the data never fail the run.
pub fn diagnose(
    corpus: &Corpus<'_>,
    inputs: &[QueryInput<'_>],
    cfg: &Config<'_>,
) -> Result<Diagnoses> {
    cfg.validate()?;
    let mut texts = texts::Texts::default();
    let each = diagnose_each(corpus, inputs, cfg, &mut texts);
    let mut warnings = Diagnostics::default();
    let mut diagnoses = Vec::with_capacity(inputs.len());
    for (d, w) in each {
        warnings.extend(w);
        diagnoses.push(d?);
    }
    Ok(Diagnoses {
        summary: Summary::of(diagnoses.iter()),
        diagnoses,
        warnings,
    })
}

/// Diagnoses every question of `inputs` with the run's `texts` (each retrieved text registered
/// and tokenised once, on first use, for all the questions sharing it), each with its
/// warnings, in input order. Questions are independent: diagnosed in parallel, then taken in
/// input order (results, warnings and the first error alike), so the output does not depend
/// on the thread count.
fn diagnose_each<'c>(
    corpus: &Corpus<'c>,
    inputs: &[QueryInput<'_>],
    cfg: &Config<'_>,
    texts: &mut texts::Texts<'c>,
) -> Vec<(Result<Diagnosis>, Diagnostics)> {
    attribute::register_texts(texts, corpus, inputs);
    let texts = &*texts;
    inputs
        .par_iter()
        .map(|input| {
            let mut w = Diagnostics::default();
            (
                attribute::diagnose_one(corpus, input, cfg, texts, &mut w),
                w,
            )
        })
        .collect()
}

/// Diagnoses `queries` in trace mode against `trace` (whatever `cfg.mode` says): each question
/// is joined to its trace line by id. A question without a trace line is diagnosed with an
/// empty ranking and no answer; a trace line for an unknown question, and a second line for one
/// question, are warnings (the first line wins).
///
/// # Errors
///
/// As [`diagnose`].
pub fn diagnose_trace(
    corpus: &Corpus<'_>,
    queries: &[Query],
    trace: &[TraceRecord],
    cfg: &Config<'_>,
) -> Result<Diagnoses> {
    diagnose_trace_shown(corpus, queries, trace, cfg).map(|(d, _)| d)
}

/// What a diagnosis saw of each question, as the reports show it.
#[derive(Debug, Clone, Default)]
pub struct Shown {
    /// The ranked items of each question (its located trace hits), best first.
    pub items: Vec<Vec<RetrievedItem>>,
    /// The answer the system gave each question.
    pub answers: Vec<Option<String>>,
}

/// [`diagnose_trace`], also handing back each question's located hits and answer (the hits are
/// located once, for the diagnosis and the reports).
///
/// # Errors
///
/// As [`diagnose`].
pub fn diagnose_trace_shown(
    corpus: &Corpus<'_>,
    queries: &[Query],
    trace: &[TraceRecord],
    cfg: &Config<'_>,
) -> Result<(Diagnoses, Shown)> {
    let cfg = trace_config(cfg)?;
    let mut warnings = Diagnostics::default();
    let inputs = trace_inputs(corpus, queries, trace, &mut warnings);
    diagnose_inputs(corpus, inputs, &cfg, warnings)
}

/// [`diagnose_trace_shown`] taking the hits' texts out of `trace` ([`take_trace_inputs`]):
/// the same diagnoses and shown items, with the trace's texts held once. The records keep
/// everything else (answers, latency, tokens, scores).
///
/// # Errors
///
/// As [`diagnose`].
pub fn diagnose_trace_taking(
    corpus: &Corpus<'_>,
    queries: &[Query],
    trace: &mut [TraceRecord],
    cfg: &Config<'_>,
) -> Result<(Diagnoses, Shown)> {
    let cfg = trace_config(cfg)?;
    let mut warnings = Diagnostics::default();
    let inputs = take_trace_inputs(corpus, queries, trace, &mut warnings);
    diagnose_inputs(corpus, inputs, &cfg, warnings)
}

/// A 64-bit hash of `text` (FxHash: the same in every run), where a text is found by its hash
/// and only the texts of a shared hash are compared.
pub(crate) fn hash64(text: &str) -> u64 {
    use std::hash::BuildHasher;
    rustc_hash::FxBuildHasher.hash_one(text)
}

/// The entries of `sorted` (sorted by `key`) whose key is `h`.
pub(crate) fn equal_run<T>(
    sorted: &[T],
    key: impl Fn(&T) -> u64,
    h: u64,
) -> std::ops::Range<usize> {
    let from = sorted.partition_point(|x| key(x) < h);
    from..from + sorted[from..].partition_point(|x| key(x) == h)
}

/// `cfg` in trace mode, validated.
pub(crate) fn trace_config<'a>(cfg: &Config<'a>) -> Result<Config<'a>> {
    let cfg = Config {
        mode: Mode::Trace,
        ..cfg.clone()
    };
    cfg.validate()?;
    Ok(cfg)
}

/// Diagnoses trace `inputs` (after `warnings` of the join) and hands the items over.
fn diagnose_inputs(
    corpus: &Corpus<'_>,
    inputs: Vec<QueryInput<'_>>,
    cfg: &Config<'_>,
    mut warnings: Diagnostics,
) -> Result<(Diagnoses, Shown)> {
    let mut out = diagnose(corpus, &inputs, cfg)?;
    warnings.extend(std::mem::take(&mut out.warnings));
    out.warnings = warnings;
    // Handed over, not copied: the located hits hold the trace's texts.
    let (items, answers) = inputs.into_iter().map(|i| (i.retrieved, i.answer)).unzip();
    let shown = Shown { items, answers };
    Ok((out, shown))
}

/// Joins `queries` to their trace lines by id and locates each hit in its document: one input
/// per question, in order (what [`diagnose_trace`] diagnoses; callers that also show the hits
/// use these items rather than locating them again). A question without a trace line gets an
/// empty ranking and no answer; a trace line for an unknown question, and a second line for one
/// question, are warnings (the first line wins).
pub fn trace_inputs<'a>(
    corpus: &Corpus<'_>,
    queries: &'a [Query],
    trace: &[TraceRecord],
    warnings: &mut Diagnostics,
) -> Vec<QueryInput<'a>> {
    join_trace(
        corpus,
        queries,
        trace.len(),
        |i| &trace[i],
        |_| {},
        warnings,
    )
}

/// [`trace_inputs`] taking each hit's text from the record into its located item: the records
/// are left without their hits' texts (the lines not used lose them too), so a trace's texts
/// are held once, not once in the records and again in the items.
pub fn take_trace_inputs<'a>(
    corpus: &Corpus<'_>,
    queries: &'a [Query],
    trace: &mut [TraceRecord],
    warnings: &mut Diagnostics,
) -> Vec<QueryInput<'a>> {
    let cell = std::cell::RefCell::new(trace);
    let n = cell.borrow().len();
    let mut inputs = join_trace(
        corpus,
        queries,
        n,
        |i| std::cell::Ref::map(cell.borrow(), |t| &t[i]),
        |i| {
            let mut t = cell.borrow_mut();
            let r = &mut t[i];
            for h in r
                .retrieved
                .iter_mut()
                .chain(r.candidates.iter_mut().flatten())
            {
                h.text = None;
            }
        },
        warnings,
    );
    inputs.shrink_to_fit();
    inputs
}

/// The join of [`trace_inputs`]: `record(i)` reads line `i`, `done(i)` is called once line `i`
/// is no longer needed.
fn join_trace<'a, R: std::ops::Deref<Target = TraceRecord>>(
    corpus: &Corpus<'_>,
    queries: &'a [Query],
    lines: usize,
    record: impl Fn(usize) -> R,
    mut done: impl FnMut(usize),
    warnings: &mut Diagnostics,
) -> Vec<QueryInput<'a>> {
    let known: FxHashMap<&str, ()> = queries.iter().map(|q| (q.id.as_str(), ())).collect();
    let mut by_id: FxHashMap<String, usize> = FxHashMap::default();
    for i in 0..lines {
        let r = record(i);
        let used = if !known.contains_key(r.query_id.as_str()) {
            warnings.warn(
                r.origin.clone(),
                "query_id",
                format!(
                    "{:?} is not a known question; the line is ignored",
                    r.query_id
                ),
            );
            false
        } else if by_id.contains_key(r.query_id.as_str()) {
            warnings.warn(
                r.origin.clone(),
                "query_id",
                format!(
                    "a second trace line for {:?}; the first one is used",
                    r.query_id
                ),
            );
            false
        } else {
            by_id.insert(r.query_id.clone(), i);
            true
        };
        drop(r);
        if !used {
            done(i);
        }
    }
    // A line is done after its last question (ids are unique, but a line is never read after
    // `done` whatever the questions).
    let mut uses: FxHashMap<usize, usize> = FxHashMap::default();
    for q in queries {
        if let Some(&i) = by_id.get(q.id.as_str()) {
            *uses.entry(i).or_default() += 1;
        }
    }
    let mut inputs = Vec::with_capacity(queries.len());
    for q in queries {
        match by_id.get(q.id.as_str()) {
            Some(&i) => {
                let input = QueryInput::from_trace(q, &record(i), corpus, warnings);
                let left = uses.get_mut(&i).map(|n| {
                    *n -= 1;
                    *n
                });
                if left == Some(0) {
                    done(i);
                }
                inputs.push(input);
            }
            None => {
                warnings.warn(
                    q.origin.clone(),
                    "id",
                    "no trace line for this question: diagnosed with nothing retrieved and no answer",
                );
                inputs.push(QueryInput {
                    query: q,
                    retrieved: Vec::new(),
                    candidates: None,
                    answer: None,
                });
            }
        }
    }
    inputs
}
