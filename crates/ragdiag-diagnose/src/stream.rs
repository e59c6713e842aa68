//! A trace diagnosed as it is read (issue 15): batches of trace lines are joined to their
//! questions, located and diagnosed in parallel, and only what the reports need of each
//! question is kept — its diagnosis and record (once released, its [`Brief`]), and its ranked
//! items without their texts — so the memory taken grows with the corpus and a batch, not
//! with the trace's texts.
//!
//! The outcome equals [`crate::diagnose_trace_taking`] on the whole trace: the same diagnoses
//! (less those [`TraceRun::release`] let go of, whose briefs stay), the same warnings in the
//! same order, the same items. Each retrieved text is tokenised once per run (a text equal
//! to its document's slice is shared by every later batch). A hit's text and the answer are
//! kept only where a report can show them: for the questions `report.html` draws
//! ([`drawn_order`], the `keep_texts` first of each class), whose unlocated hits show their
//! own text; the other questions' items keep their document and span, and their answers are
//! dropped once assessed.
//!
//! A caller that writes each question's rows as they are done ([`TraceRun::ready`], the
//! questions in order, a part of `part` at a time, then [`TraceRun::release`]) lets the run
//! keep of every question the report does not draw, once its rows are written, only what the
//! summary reads: its [`Brief`] (with its reason only if `report.md` may list it,
//! [`TraceRun::with_listed`]) and, in [`Ranked`], its first two scores. Its items, its whole
//! diagnosis and its document ranking go: the caller takes what the summary reads of the
//! rankings from each part as it writes it ([`crate::RankTally`]).
//!
//! The run holds a question's diagnosis, items, ranking, answer and record only in a window
//! from the first question not released to the last one diagnosed (the trace's order decides
//! its width: a part and a batch when the trace follows the questions), and past it only
//! those of the questions the report may draw; the lists [`Streamed`] hands back, one entry
//! per question, are made by [`TraceRun::finish`] once the run's texts are freed.

use crate::spill::{Scratch, Spill, Waiting};
use crate::stash;
use crate::table::{Index, Table};
use crate::texts::Texts;
use crate::{
    diagnose_each, doc_ranking, lead_scores, trace_config, Brief, BriefContext, Briefs, Class,
    Config, Corpus, Diagnosis, Error, LeadScores, QueryInput, Ranked, Result, RetrievedItem,
    Summary,
};
use ragdiag_core::{Diagnostics, Evidence, Location, Query, TraceRecord};
use ragdiag_eval::DocRanking;
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use std::borrow::Cow;
use std::cmp::Ordering;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

/// A question's labels that only its diagnosis and brief, the golden-set panel's
/// [`crate::golden::prepare`] (before the run) and a drawn question's drill view read: its
/// evidence and reference answers. A caller that hands them to the run
/// ([`TraceRun::with_labels`], taken out of its questions with [`QueryLabels::take`]) lets the
/// run drop them once the question is released and not drawn, and gets back those it holds
/// ([`Streamed::labels`]) to put back ([`QueryLabels::put`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueryLabels {
    /// The question's evidence.
    pub evidence: Vec<Evidence>,
    /// Its reference answers.
    pub reference_answers: Vec<String>,
}

impl QueryLabels {
    /// Takes `q`'s evidence and reference answers out of it (`None` when it has neither).
    pub fn take(q: &mut Query) -> Option<Box<QueryLabels>> {
        if q.evidence.is_empty() && q.reference_answers.is_empty() {
            return None;
        }
        Some(Box::new(QueryLabels {
            evidence: std::mem::take(&mut q.evidence),
            reference_answers: std::mem::take(&mut q.reference_answers),
        }))
    }

    /// Puts these labels back into `q` (the question they were taken from).
    pub fn put(self, q: &mut Query) {
        q.evidence = self.evidence;
        q.reference_answers = self.reference_answers;
    }

    /// `q` (the question these were taken from) with these labels again.
    fn restored(&self, q: &Query) -> Query {
        Query {
            evidence: self.evidence.clone(),
            reference_answers: self.reference_answers.clone(),
            ..q.clone()
        }
    }
}

/// The order in which a report draws the questions of one class, given as (input position,
/// traffic weight): the most traffic-weighted first, input order among equals. The one rule
/// of the drill-down's sample (`ragdiag-report`'s `drawn_of_class` draws the first of this
/// order; [`TraceRun`] keeps the texts of the same ones).
#[must_use]
pub fn drawn_order(a: (usize, f64), b: (usize, f64)) -> Ordering {
    b.1.total_cmp(&a.1).then(a.0.cmp(&b.0))
}

/// A question's traffic weight as the reports weigh it (a weight that is not finite counts 1).
fn traffic_weight(q: &Query) -> f64 {
    if q.weight.is_finite() {
        q.weight
    } else {
        1.0
    }
}

/// Questions written to a store as they are read ([`QuestionStore::push`]), each with its
/// labels, for a [`TraceRun::of_store`]: where each is and its id's 64-bit hash are written
/// to the store too (tables of fixed-width records: a block of each held, and 16 bytes per
/// block of 256 questions), so that a questions file of any length is never held
/// whole. A finished stored run hands its questions back the same way ([`Streamed::stored`]),
/// without the hashes: each read back when asked for, so that what follows the run (the
/// summary reads the briefs) holds no question it does not use; no more can be pushed to it.
pub struct QuestionStore {
    store: Box<dyn Scratch + 'static>,
    /// Per question, where it is.
    at: Places,
    /// The files the questions' origins name.
    paths: Vec<Arc<Path>>,
    /// Per question, its id's hash (none in a finished run's store).
    hashes: Table<8>,
    buf: Vec<u8>,
}

impl std::fmt::Debug for QuestionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QuestionStore")
            .field("questions", &self.at.len())
            .finish_non_exhaustive()
    }
}

/// A question [`QuestionStore::drop_repeated_ids`] dropped: its id an earlier one's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepeatedId {
    /// The dropped question's number among those pushed.
    pub index: usize,
    /// The id.
    pub id: String,
    /// Where the dropped question was read.
    pub at: Location,
    /// Where the first question with that id was.
    pub first: Location,
}

impl QuestionStore {
    /// An empty set of questions kept in `store`.
    #[must_use]
    pub fn new(store: Box<dyn Scratch + 'static>) -> Self {
        QuestionStore {
            store,
            at: Places::default(),
            paths: Vec::new(),
            hashes: Table::default(),
            buf: Vec::new(),
        }
    }

    /// Writes `q` (its labels with it) to the store, after the questions already there.
    ///
    /// # Errors
    ///
    /// [`Error::Scratch`]: the store cannot be written, the question is past 4 GB, or the store
    /// is a finished run's.
    pub fn push(&mut self, mut q: Query) -> Result<()> {
        if self.hashes.len() != self.at.len() {
            return Err(Error::Scratch(std::io::Error::other(
                "a finished run's questions take no more",
            )));
        }
        let len = |buf: &[u8]| {
            u32::try_from(buf.len())
                .map_err(|_| Error::Scratch(std::io::Error::other("a question past 4 GB")))
        };
        let file = match self.paths.iter().position(|p| *p == q.origin.path) {
            Some(f) => f,
            None => {
                self.paths.push(q.origin.path.clone());
                self.paths.len() - 1
            }
        };
        let labels = QueryLabels::take(&mut q);
        self.buf.clear();
        stash::encode_query(&q, file, &mut self.buf);
        let query_len = len(&self.buf)?;
        if let Some(l) = labels {
            stash::encode_labels(&l, &mut self.buf);
        }
        let labels_len = len(&self.buf)? - query_len;
        let place = Place {
            at: self.store.put(&self.buf).map_err(Error::Scratch)?,
            len: query_len,
            labels: labels_len,
        };
        let store = self.store.as_mut();
        self.at.push(store, place)?;
        self.hashes
            .push(store, id_hash(&q.id).to_le_bytes())
            .map_err(Error::Scratch)?;
        Ok(())
    }

    /// How many questions.
    #[must_use]
    pub fn len(&self) -> usize {
        self.at.len()
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.at.len() == 0
    }

    /// Question `i` with its labels (those the store still keeps: a finished run's keeps only
    /// those of the questions it did not let go of).
    ///
    /// # Errors
    ///
    /// [`Error::Scratch`]: the store cannot be read, or holds something else.
    ///
    /// # Panics
    ///
    /// When there are not more than `i` questions.
    pub fn get(&mut self, i: usize) -> Result<Query> {
        let mut q = self.question(i)?;
        let place = self.at.get(self.store.as_mut(), i)?;
        if let Some(labels) = read_labels(self.store.as_mut(), place)? {
            labels.put(&mut q);
        }
        Ok(q)
    }

    /// Question `i` as it was pushed, without its labels.
    ///
    /// # Errors
    ///
    /// [`Error::Scratch`]: the store cannot be read, or holds something else.
    ///
    /// # Panics
    ///
    /// When there are not more than `i` questions.
    pub fn question(&mut self, i: usize) -> Result<Query> {
        let place = self.at.get(self.store.as_mut(), i)?;
        read_query(self.store.as_mut(), place, &self.paths)
    }

    /// Drops every question whose id an earlier one has (the first is kept, as
    /// `ragdiag_load::load_queries` keeps it), and says which, in the order they were read.
    ///
    /// # Errors
    ///
    /// [`Error::Scratch`]: a question sharing its id's hash with another cannot be read back.
    pub fn drop_repeated_ids(&mut self) -> Result<Vec<RepeatedId>> {
        let mut index = index_of(self.store.as_mut(), &mut self.hashes)?;
        // The questions of a shared hash are read back: the repeats are those whose id an
        // earlier one of the same hash has.
        let mut repeats: Vec<(usize, usize)> = Vec::new();
        let mut run: Vec<usize> = Vec::new();
        let mut run_hash = None;
        for k in 0..=index.len() {
            let next = if k < index.len() {
                Some(
                    index
                        .entry(self.store.as_mut(), k)
                        .map_err(Error::Scratch)?,
                )
            } else {
                None
            };
            if next.map(|n| n.0) != run_hash {
                if run.len() > 1 {
                    let mut ids: Vec<(usize, String)> = Vec::with_capacity(run.len());
                    for &i in &run {
                        let id = self.question(i)?.id;
                        if let Some(first) = ids.iter().find(|f| f.1 == id) {
                            repeats.push((i, first.0));
                        }
                        ids.push((i, id));
                    }
                }
                run.clear();
                run_hash = next.map(|n| n.0);
            }
            if let Some((_, i)) = next {
                run.push(i);
            }
        }
        drop(index);
        repeats.sort_unstable();
        let mut out = Vec::with_capacity(repeats.len());
        for &(i, first) in &repeats {
            let q = self.question(i)?;
            let first = self.question(first)?;
            out.push(RepeatedId {
                index: i,
                id: q.id,
                at: q.origin,
                first: first.origin,
            });
        }
        if !repeats.is_empty() {
            // The kept questions' places and hashes, written again in order.
            let store = self.store.as_mut();
            let (mut at, mut hashes) = (Places::default(), Table::default());
            let mut dropped = repeats.iter().map(|r| r.0).peekable();
            for i in 0..self.at.len() {
                if dropped.next_if_eq(&i).is_some() {
                    continue;
                }
                let place = self.at.get(store, i)?;
                at.push(store, place)?;
                let hash = self.hashes.get(store, i).map_err(Error::Scratch)?;
                hashes.push(store, hash).map_err(Error::Scratch)?;
            }
            self.at = at;
            self.hashes = hashes;
        }
        Ok(out)
    }
}

impl crate::golden::Questions for QuestionStore {
    fn each(&mut self, f: &mut dyn FnMut(usize, &Query)) -> Result<()> {
        for i in 0..self.len() {
            let q = self.get(i)?;
            f(i, &q);
        }
        Ok(())
    }
}

/// Where a stored run ([`TraceRun::stored`]) keeps a question: the question's bytes at
/// `at`, then its labels' (16 bytes a question, in the store's [`Places`]).
#[derive(Debug, Clone, Copy)]
struct Place {
    /// The question's offset in the store.
    at: u64,
    /// Its length.
    len: u32,
    /// The length of its labels, just after it (0: none, or let go of).
    labels: u32,
}

/// Every question's [`Place`], a table in the store.
#[derive(Debug, Clone, Default)]
struct Places(Table<16>);

impl Places {
    fn len(&self) -> usize {
        self.0.len()
    }

    fn push(&mut self, s: &mut dyn Scratch, p: Place) -> Result<()> {
        self.0.push(s, p.bytes()).map_err(Error::Scratch)
    }

    fn get(&mut self, s: &mut dyn Scratch, i: usize) -> Result<Place> {
        self.0.get(s, i).map(Place::of).map_err(Error::Scratch)
    }

    fn set(&mut self, s: &mut dyn Scratch, i: usize, p: Place) -> Result<()> {
        self.0.set(s, i, p.bytes()).map_err(Error::Scratch)
    }
}

impl Place {
    /// As a table keeps it.
    fn bytes(self) -> [u8; 16] {
        let mut rec = [0; 16];
        rec[..8].copy_from_slice(&self.at.to_le_bytes());
        rec[8..12].copy_from_slice(&self.len.to_le_bytes());
        rec[12..].copy_from_slice(&self.labels.to_le_bytes());
        rec
    }

    /// From [`Place::bytes`].
    fn of(rec: [u8; 16]) -> Self {
        let [a0, a1, a2, a3, a4, a5, a6, a7, l0, l1, l2, l3, b0, b1, b2, b3] = rec;
        Place {
            at: u64::from_le_bytes([a0, a1, a2, a3, a4, a5, a6, a7]),
            len: u32::from_le_bytes([l0, l1, l2, l3]),
            labels: u32::from_le_bytes([b0, b1, b2, b3]),
        }
    }
}

/// A line named a question but carries no line number ([`TraceRun`]'s `named`).
const NO_NUMBER: u64 = u64::MAX;

/// An id's 64-bit hash, by which the questions are found ([`Index`]): a lookup gives every
/// position whose id has the id's hash, in question order, and the caller keeps the first
/// whose own id is the one looked for, so two ids that share a hash are never confused.
fn id_hash(id: &str) -> u64 {
    crate::hash64(id)
}

/// The index of the ids whose hashes are `hashes` (in question order), made in `s`.
fn index_of(s: &mut dyn Scratch, hashes: &mut Table<8>) -> Result<Index> {
    if !crate::table::fits(hashes.len()) {
        return Err(Error::InvalidConfig(crate::table::TOO_MANY.into()));
    }
    Index::new(s, hashes).map_err(Error::Scratch)
}

/// The scratch a run's tables are in: its store, or its own bytes when it has none.
fn scratch_of<'s>(
    store: &'s mut Option<Box<dyn Scratch + 'static>>,
    own: &'s mut Vec<u8>,
) -> &'s mut dyn Scratch {
    match store {
        Some(s) => s.as_mut(),
        None => own,
    }
}

/// The question `store` keeps at `place`, its origin's file one of `paths`.
fn read_query(store: &mut dyn Scratch, place: Place, paths: &[Arc<Path>]) -> Result<Query> {
    let bytes = store
        .get(place.at, place.len as usize)
        .map_err(Error::Scratch)?;
    stash::decode_query(&bytes, paths).map_err(Error::Scratch)
}

/// The labels `store` keeps at `place`, just after its question (`None`: none are kept).
fn read_labels(store: &mut dyn Scratch, place: Place) -> Result<Option<QueryLabels>> {
    if place.labels == 0 {
        return Ok(None);
    }
    let bytes = store
        .get(place.at + u64::from(place.len), place.labels as usize)
        .map_err(Error::Scratch)?;
    stash::decode_labels(&bytes)
        .map(Some)
        .map_err(Error::Scratch)
}

/// What a streamed trace diagnosis hands back.
#[derive(Debug)]
pub struct Streamed {
    /// What the summary reads of each question's diagnosis, in question order (a released
    /// question's reason only when `report.md` may list it, [`TraceRun::with_listed`]).
    pub briefs: Briefs,
    /// The questions whose diagnosis the run holds, by position (ascending): every question
    /// not released, and the released ones the report draws ([`TraceRun::release`]); nothing
    /// is handed back per question for the others but its brief and lead scores.
    pub held: Vec<(usize, HeldQuestion)>,
    /// Counts and shares per class and flag.
    pub summary: Summary,
    /// The warnings of the join, the location of the hits and the diagnoses, in
    /// [`crate::diagnose_trace`]'s order.
    pub warnings: Diagnostics,
    /// The questions' second and later trace lines, told the way a trace read whole tells
    /// them, in line order ([`TraceRun::with_first_lines`]; empty otherwise: they are among
    /// [`Streamed::warnings`]).
    pub repeated: Diagnostics,
    /// What the summary reads of each question's items: what it reads of every question's
    /// first two scores ([`crate::Leads`]); the document rankings only of the questions not released, which are the
    /// last `ranked.rankings.len()` questions (a released question's went with its part,
    /// [`Part::rankings`]: nothing is kept for it, not even an empty entry).
    pub ranked: Ranked,
    /// The labels handed to the run ([`TraceRun::with_labels`]) that it still holds: those of
    /// the questions whose diagnosis it holds (empty when none were handed).
    pub labels: Vec<Option<Box<QueryLabels>>>,
    /// Every question a stored run took, read back from its store when asked for; `None` for
    /// a run over the caller's questions.
    pub stored: Option<QuestionStore>,
    /// The most questions the run held at once in its window ([`TraceRun::holding`]): about a
    /// part and a batch when the trace's lines follow the questions' order, up to every
    /// question when they do not (unless they wait in the scratch, [`TraceRun::with_spill`]).
    pub most_held: usize,
    /// The questions whose line came so far ahead of their turn that they waited in the
    /// scratch, located but not diagnosed ([`TraceRun::with_spill`]).
    pub waited: usize,
    /// The bytes those questions took in the scratch.
    pub waited_bytes: u64,
}

/// What a streamed run hands back of a question whose diagnosis it holds
/// ([`Streamed::held`]); the run keeps the same of a released question the report may draw.
#[derive(Debug)]
pub struct HeldQuestion {
    /// Its diagnosis.
    pub diagnosis: Box<Diagnosis>,
    /// Its located items (texts kept only for the drawn questions' hits that differ from
    /// their document's slice).
    pub items: Vec<RetrievedItem>,
    /// Its answer (kept only for the drawn questions).
    pub answer: Option<String>,
    /// The question, read back from the store with its labels, when a stored run took it
    /// ([`TraceRun::stored`]; its evidence and reference answers went with the diagnoses of
    /// the others: [`Streamed::stored`] reads the rest of them); `None` for a run over the
    /// caller's questions.
    pub query: Option<Box<Query>>,
}

impl Streamed {
    /// What the run hands back of question `i`, when it holds its diagnosis.
    #[must_use]
    pub fn held(&self, i: usize) -> Option<&HeldQuestion> {
        self.held
            .binary_search_by_key(&i, |(at, _)| *at)
            .ok()
            .map(|k| &self.held[k].1)
    }
}

/// Questions whose rows can be written ([`TraceRun::ready`]): consecutive questions, all
/// diagnosed.
#[derive(Debug)]
pub struct Part<'a> {
    /// Their positions among the questions.
    pub range: Range<usize>,
    /// The questions (without their evidence and reference answers when they were handed to
    /// the run, [`TraceRun::with_labels`], or it keeps them, [`TraceRun::stored`]).
    pub queries: Cow<'a, [Query]>,
    /// Their diagnoses.
    pub diagnoses: Vec<&'a Diagnosis>,
    /// Their located items.
    pub items: Vec<&'a [RetrievedItem]>,
    /// Their document rankings.
    pub rankings: &'a [DocRanking],
    /// Their trace records (each question's first line; none for a question no line named).
    pub trace: Vec<&'a TraceRecord>,
}

/// What a [`TraceRun`] holds of a question from its diagnosis to its release.
#[derive(Default)]
struct Slot {
    /// Its diagnosis.
    diagnosis: Option<Box<Diagnosis>>,
    /// Its located items (their texts only while the report may draw it).
    items: Vec<RetrievedItem>,
    /// The scores of its first two items.
    lead: LeadScores,
    /// Its answer (only while the report may draw it).
    answer: Option<String>,
    /// Its record (the first line that named it, with its position among the lines) without
    /// its hits and answer: its brief takes the figures.
    record: Option<Box<(usize, TraceRecord)>>,
}

/// Where a [`TraceRun`]'s questions are.
enum Source<'q> {
    /// The caller's ([`TraceRun::new`]).
    Borrowed(&'q [Query]),
    /// In the run's store ([`TraceRun::stored`]): per question, where it and its labels
    /// are, and the files the questions' origins name.
    Stored { at: Places, paths: Vec<Arc<Path>> },
}

impl Source<'_> {
    /// How many questions.
    fn len(&self) -> usize {
        match self {
            Source::Borrowed(queries) => queries.len(),
            Source::Stored { at, .. } => at.len(),
        }
    }
}

/// A trace diagnosis fed batch by batch ([`TraceRun::add_batch`]) and closed by
/// [`TraceRun::finish`].
pub struct TraceRun<'r, 'c, 'q> {
    corpus: &'r Corpus<'c>,
    /// What a released question's brief is taken against.
    briefing: &'r BriefContext<'c>,
    /// The questions.
    source: Source<'q>,
    cfg: Config<'r>,
    texts: Texts<'c>,
    /// The questions' positions by their ids' hashes ([`id_hash`]): a line's question is the
    /// first one whose own id is the line's. In the store (or `own`).
    ids: Index,
    /// Per question, the line that named it first: its number, [`NO_NUMBER`] when the line
    /// has none, 0 when no line named it yet. In the store (or `own`).
    named: Table<8>,
    /// Where the run's tables are when it has no store.
    own: Vec<u8>,
    /// The first line of each unknown question ([`TraceRun::with_first_lines`]; otherwise
    /// empty): its number, if the line has one.
    unknown: FxHashMap<Box<str>, Option<u64>>,
    /// Whether a question's second line is told the way a trace read whole tells it
    /// ([`TraceRun::with_first_lines`]).
    first_lines: bool,
    /// Those warnings, in line order.
    repeated: Diagnostics,
    /// What the run holds of the questions not released, from the first one on
    /// (`window[j]` is question `released + j`; empty until it is diagnosed): nothing is
    /// held per question outside this window but what the reports read.
    window: Vec<Slot>,
    /// Their document rankings (`rankings[j]` is question `released + j`; empty until it is
    /// diagnosed), apart so that a part's are one slice.
    rankings: Vec<DocRanking>,
    /// What the run keeps of the released questions the report may draw, by position (their
    /// questions are read back only by [`TraceRun::finish`]: `query` is `None` until then).
    held: FxHashMap<usize, HeldQuestion>,
    /// The briefs of the released questions, in question order.
    briefs: Vec<Brief>,
    /// The lead scores of the released questions, in question order (with a store, of the
    /// last release at most: the others are there).
    lead_scores: Vec<LeadScores>,
    /// Questions per part handed out by [`TraceRun::ready`].
    part: usize,
    /// The questions before this one are diagnosed.
    diagnosed_upto: usize,
    /// The questions before this one were handed out by [`TraceRun::ready`] and released.
    released: usize,
    /// Whether the trace is over ([`TraceRun::close`]): the questions no line named are then
    /// diagnosed a part at a time, as [`TraceRun::ready`] comes to them.
    closed: bool,
    /// The questions before this one that no line named are diagnosed (once closed).
    missing_upto: usize,
    /// The longest the window has been.
    most_held: usize,
    /// Lines of questions this many or more past the first one not released wait, located,
    /// in the spill ([`TraceRun::with_spill`]; `None`: none waits).
    spill: Option<(usize, Spill)>,
    /// The lines read so far.
    lines_read: usize,
    /// Warnings of lines for unknown questions and second lines, in line order.
    lines: Diagnostics,
    /// Per question not released (position, warnings): locating its hits, or its missing
    /// line.
    located: Vec<(usize, Diagnostics)>,
    /// Per question not released (position, warnings): its diagnosis.
    diagnosed: Vec<(usize, Diagnostics)>,
    /// The released questions' warnings of `located` and `diagnosed`, in question order (a
    /// kind's past [`ragdiag_core::KEPT_PER_KIND`] counted, not kept): nothing is held per
    /// question once it is released.
    settled: [Diagnostics; 2],
    keep_texts: usize,
    /// Per class, the questions whose texts are kept, in [`drawn_order`].
    kept: FxHashMap<Class, Vec<(usize, f64)>>,
    /// How many questions of each failing class, the first in question order, keep their
    /// reason past their release (`None`: every question keeps it).
    listed_per_class: Option<usize>,
    /// Called each time the run has let go of much at once ([`TraceRun::with_freed`]).
    freed: Option<fn()>,
    /// Per failing class, the questions released so far.
    released_of: FxHashMap<Class, usize>,
    /// The labels taken out of the questions ([`TraceRun::with_labels`]; empty: the questions
    /// carry their own, or they are in the store), each until its question's diagnosis is let
    /// go of.
    labels: Vec<Option<Box<QueryLabels>>>,
    /// Where the questions, their labels and the released questions' briefs are kept
    /// ([`TraceRun::stored`]; `None`: in memory).
    store: Option<Box<dyn Scratch + 'static>>,
    /// Where the released questions' lead scores are in the store, a release at a time, in
    /// question order (empty: they are in `lead_scores`).
    lead_at: Vec<(u64, usize)>,
    /// Where the released questions' briefs are in the store, a release at a time, in
    /// question order (empty: they are in `briefs`).
    brief_at: Vec<(u64, usize)>,
    /// The store's encoding buffer.
    buf: Vec<u8>,
}

impl<'r, 'c, 'q> TraceRun<'r, 'c, 'q> {
    /// A run over `queries` (trace mode, whatever `cfg.mode` says), keeping the hit texts of
    /// the first `keep_texts` questions of each class in [`drawn_order`] and taking each
    /// question's [`Brief`] against `briefing`. [`TraceRun::ready`] hands out questions
    /// [`TraceRun::with_part`] at a time (default: all at the end).
    ///
    /// # Errors
    ///
    /// [`crate::Error::InvalidConfig`] for out-of-range settings.
    pub fn new(
        corpus: &'r Corpus<'c>,
        briefing: &'r BriefContext<'c>,
        queries: &'q [Query],
        cfg: &Config<'r>,
        keep_texts: usize,
    ) -> Result<Self> {
        let mut own = Vec::new();
        let mut hashes = Table::default();
        for q in queries {
            hashes
                .push(&mut own, id_hash(&q.id).to_le_bytes())
                .map_err(Error::Scratch)?;
        }
        let ids = index_of(&mut own, &mut hashes)?;
        TraceRun::over(
            corpus,
            briefing,
            (Source::Borrowed(queries), ids, own),
            cfg,
            keep_texts,
        )
    }

    /// The same run over `queries` taken and kept in `scratch` with their labels (apart) and
    /// the briefs of the questions it releases, each read back when it is needed: a question
    /// when it is diagnosed, briefed and its part handed out ([`Part::queries`]); its labels
    /// when it is diagnosed and briefed; the briefs, and the questions again
    /// ([`Streamed::queries`], with the labels of those the run still holds), by
    /// [`TraceRun::finish`] once the run's texts are freed. Where each question and its labels
    /// are, the questions' index by id and the line that named each first are kept in the
    /// store too (tables of fixed-width records): the run holds a few bytes per block of questions, not
    /// ~1 KB a question; the outcome is the same as [`TraceRun::new`]'s over them.
    ///
    /// # Errors
    ///
    /// [`crate::Error::InvalidConfig`] as [`TraceRun::new`], and [`crate::Error::Scratch`] when
    /// the questions cannot be written to `scratch`.
    pub fn stored(
        corpus: &'r Corpus<'c>,
        briefing: &'r BriefContext<'c>,
        queries: Vec<Query>,
        cfg: &Config<'r>,
        keep_texts: usize,
        scratch: Box<dyn Scratch + 'static>,
    ) -> Result<Self> {
        let mut questions = QuestionStore::new(scratch);
        // Each question is freed as it is written: its bytes, then its labels'.
        for q in queries {
            questions.push(q)?;
        }
        TraceRun::of_store(corpus, briefing, questions, cfg, keep_texts)
    }

    /// [`TraceRun::stored`] over questions already in their store.
    ///
    /// # Errors
    ///
    /// [`crate::Error::InvalidConfig`] as [`TraceRun::new`].
    pub fn of_store(
        corpus: &'r Corpus<'c>,
        briefing: &'r BriefContext<'c>,
        questions: QuestionStore,
        cfg: &Config<'r>,
        keep_texts: usize,
    ) -> Result<Self> {
        let QuestionStore {
            mut store,
            at,
            paths,
            mut hashes,
            buf,
        } = questions;
        let ids = index_of(store.as_mut(), &mut hashes)?;
        drop(hashes);
        let mut run = TraceRun::over(
            corpus,
            briefing,
            (Source::Stored { at, paths }, ids, Vec::new()),
            cfg,
            keep_texts,
        )?;
        run.store = Some(store);
        // The briefs and lead scores go to the store: no room for them here.
        run.briefs = Vec::new();
        run.lead_scores = Vec::new();
        run.buf = buf;
        Ok(run)
    }

    /// A run over the questions at `source`, found by id through `ids`.
    fn over(
        corpus: &'r Corpus<'c>,
        briefing: &'r BriefContext<'c>,
        (source, ids, own): (Source<'q>, Index, Vec<u8>),
        cfg: &Config<'r>,
        keep_texts: usize,
    ) -> Result<Self> {
        let n = source.len();
        Ok(TraceRun {
            corpus,
            briefing,
            source,
            cfg: trace_config(cfg)?,
            texts: Texts::default(),
            ids,
            named: Table::zeroed(n),
            own,
            unknown: FxHashMap::default(),
            first_lines: false,
            repeated: Diagnostics::default(),
            window: Vec::new(),
            rankings: Vec::new(),
            held: FxHashMap::default(),
            // One per question in the end: reserved at once, without the spare room of growth
            // (the pages are touched as the questions are released).
            briefs: Vec::with_capacity(n),
            lead_scores: Vec::with_capacity(n),
            part: n.max(1),
            diagnosed_upto: 0,
            released: 0,
            closed: false,
            missing_upto: 0,
            most_held: 0,
            spill: None,
            lines_read: 0,
            lines: Diagnostics::default(),
            located: Vec::new(),
            diagnosed: Vec::new(),
            settled: Default::default(),
            keep_texts,
            kept: FxHashMap::default(),
            listed_per_class: None,
            freed: None,
            released_of: FxHashMap::default(),
            labels: Vec::new(),
            store: None,
            brief_at: Vec::new(),
            lead_at: Vec::new(),
            buf: Vec::new(),
        })
    }

    /// The same run for questions whose evidence and reference answers were taken out of them
    /// ([`QueryLabels::take`], one entry per question), given before the first batch: each
    /// question's diagnosis and brief read it with its labels, and the run lets go of the
    /// labels with the diagnosis ([`TraceRun::release`]) and hands back the rest
    /// ([`Streamed::labels`]).
    ///
    /// # Panics
    ///
    /// When `labels` is not one entry per question, or the run keeps its questions in its
    /// store ([`TraceRun::stored`], which takes their labels itself), or (debug builds) a batch
    /// came before.
    #[must_use]
    pub fn with_labels(mut self, labels: Vec<Option<Box<QueryLabels>>>) -> Self {
        assert_eq!(labels.len(), self.source.len(), "one entry per question");
        assert!(
            matches!(self.source, Source::Borrowed(_)),
            "a stored run takes its questions' labels itself"
        );
        debug_assert_eq!(
            self.lines_read, 0,
            "labels are handed before the first batch"
        );
        self.labels = labels;
        self
    }

    /// Question `i` with its labels (those handed to the run, if any; the question and its
    /// labels read from the store where they are kept there).
    fn full(&mut self, i: usize) -> Result<Cow<'q, Query>> {
        let queries = match self.source {
            Source::Borrowed(queries) => queries,
            Source::Stored { .. } => {
                let q = self.stored_query(i)?;
                return self.with_stored_labels(i, q).map(Cow::Owned);
            }
        };
        let q = &queries[i];
        Ok(match self.labels.get(i) {
            Some(Some(l)) => Cow::Owned(l.restored(q)),
            _ => Cow::Borrowed(q),
        })
    }

    /// Question `i` without its labels, read from the store ([`TraceRun::stored`]).
    ///
    /// # Panics
    ///
    /// When the run's questions are not in its store.
    fn stored_query(&mut self, i: usize) -> Result<Query> {
        let (Source::Stored { at, paths }, Some(store)) = (&mut self.source, self.store.as_mut())
        else {
            unreachable!("only a stored run reads its questions from its store")
        };
        let place = at.get(store.as_mut(), i)?;
        read_query(store.as_mut(), place, paths)
    }

    /// `q`, question `i` read from the store, with its labels as the store keeps them.
    fn with_stored_labels(&mut self, i: usize, mut q: Query) -> Result<Query> {
        if let Some(labels) = self.stored_labels(i)? {
            labels.put(&mut q);
        }
        Ok(q)
    }

    /// Question `i`'s labels as the store keeps them (`None`: none are kept there).
    fn stored_labels(&mut self, i: usize) -> Result<Option<QueryLabels>> {
        let (Source::Stored { at, .. }, Some(store)) = (&mut self.source, self.store.as_mut())
        else {
            return Ok(None);
        };
        let place = at.get(store.as_mut(), i)?;
        read_labels(store.as_mut(), place)
    }

    /// The same run handing out `part` questions at a time (at least one).
    #[must_use]
    pub fn with_part(mut self, part: usize) -> Self {
        self.part = part.max(1);
        self
    }

    /// The same run keeping the questions whose line comes `ahead` or more questions past the
    /// first one not released (at least one) in `scratch`, located but not diagnosed, until
    /// their part is next ([`TraceRun::ready`]): however the trace's lines are ordered, the
    /// run holds the diagnoses of at most `ahead` questions (or a part, if more), and a few
    /// tens of bytes for each question that waits. The outcome is the same as without.
    #[must_use]
    pub fn with_spill(mut self, ahead: usize, scratch: Box<dyn Scratch + 'static>) -> Self {
        self.spill = Some((ahead.max(1), Spill::new(scratch)));
        self
    }

    /// The same run keeping, past their release, the reason of only the first `listed`
    /// questions of each failing class in question order (`report.md` lists the first failing
    /// ones by class, then question order) besides the drawn ones; default: every reason.
    #[must_use]
    pub fn with_listed(mut self, listed: usize) -> Self {
        self.listed_per_class = Some(listed);
        self
    }

    /// The same run calling `freed` each time it has let go of much at once: after a batch
    /// ([`TraceRun::add_batch`]), after a release, and once the run's texts are freed
    /// ([`TraceRun::finish`]), so that the caller can have
    /// that memory given back to the system (an allocator keeps what other threads freed).
    #[must_use]
    pub fn with_freed(mut self, freed: fn()) -> Self {
        self.freed = Some(freed);
        self
    }

    /// The same run telling a question's second and later trace lines the way a trace read
    /// whole tells them (`question "q1" traced twice (first at FILE:LINE); this line is
    /// ignored`, also for a question that is not known), in [`Streamed::repeated`], for a
    /// reader that passes every line on (`ragdiag_load::stream_trace` with
    /// `TraceBatch::repeats`): the reader then keeps nothing per question. Default: a second
    /// line is a warning of the join (`a second trace line for "q1"; the first one is used`),
    /// as [`crate::diagnose_trace`] words it. Either way the first line wins.
    #[must_use]
    pub fn with_first_lines(mut self) -> Self {
        self.first_lines = true;
        self
    }

    /// Where the line `rec` names its question, if the questions know its id: the first
    /// question whose id it is, and that question (without its labels) when it was read from
    /// the store to compare ids.
    fn find(&mut self, id: &str) -> Result<Option<(usize, Option<Query>)>> {
        let scratch = scratch_of(&mut self.store, &mut self.own);
        let candidates = self.ids.of(scratch, id_hash(id)).map_err(Error::Scratch)?;
        for i in candidates {
            match self.source {
                Source::Borrowed(queries) => {
                    if queries[i].id == id {
                        return Ok(Some((i, None)));
                    }
                }
                Source::Stored { .. } => {
                    let q = self.stored_query(i)?;
                    if q.id == id {
                        return Ok(Some((i, Some(q))));
                    }
                }
            }
        }
        Ok(None)
    }

    /// Warns of `rec`, a second line for its question, whose first line was line `first`
    /// ([`TraceRun::with_first_lines`]).
    fn repeat(&mut self, rec: &TraceRecord, first: Option<u64>) {
        let at = ragdiag_core::Location {
            path: rec.origin.path.clone(),
            line: first,
        };
        self.repeated.warn(
            rec.origin.clone(),
            "query_id",
            ragdiag_core::traced_twice(&rec.query_id, &at),
        );
    }

    /// Calls the caller's [`TraceRun::with_freed`], if any.
    fn say_freed(&self) {
        if let Some(freed) = self.freed {
            freed();
        }
    }

    /// Joins the next lines of the trace (in line order) to their questions, locates their
    /// hits and diagnoses them. A line for an unknown question, and a second line for one
    /// question, are warnings (the first line wins).
    ///
    /// # Errors
    ///
    /// As [`crate::diagnose`] (the embedder failed).
    pub fn add_batch(&mut self, records: Vec<TraceRecord>) -> Result<()> {
        debug_assert!(!self.closed, "a batch after the trace is over");
        // The lines told as second lines (`with_first_lines`): not counted among the lines,
        // as a reader that drops them does not count them.
        let mut repeats = vec![false; records.len()];
        let mut joined: Vec<(usize, usize)> = Vec::new();
        // The joined questions read from the store to find them (without their labels).
        let mut read: Vec<Option<Query>> = Vec::new();
        for (r, rec) in records.iter().enumerate() {
            // A line number 0 or `NO_NUMBER` is taken as none.
            let line = rec.origin.line.filter(|&l| l != 0 && l != NO_NUMBER);
            match self.find(&rec.query_id)? {
                None => {
                    if self.first_lines {
                        if let Some(&first) = self.unknown.get(rec.query_id.as_str()) {
                            self.repeat(rec, first);
                            repeats[r] = true;
                            continue;
                        }
                        self.unknown.insert(rec.query_id.as_str().into(), line);
                    }
                    self.lines.warn(
                        rec.origin.clone(),
                        "query_id",
                        format!(
                            "{:?} is not a known question; the line is ignored",
                            rec.query_id
                        ),
                    );
                }
                Some((i, _)) if self.named(i)? != 0 => {
                    if self.first_lines {
                        let first = self.named(i)?;
                        self.repeat(rec, (first != NO_NUMBER).then_some(first));
                        repeats[r] = true;
                    } else {
                        self.lines.warn(
                            rec.origin.clone(),
                            "query_id",
                            format!(
                                "a second trace line for {:?}; the first one is used",
                                rec.query_id
                            ),
                        );
                    }
                }
                Some((i, q)) => {
                    let scratch = scratch_of(&mut self.store, &mut self.own);
                    self.named
                        .set(scratch, i, line.unwrap_or(NO_NUMBER).to_le_bytes())
                        .map_err(Error::Scratch)?;
                    joined.push((i, r));
                    read.push(q);
                }
            }
        }
        let corpus = self.corpus;
        let mut full: Vec<Cow<'q, Query>> = Vec::with_capacity(joined.len());
        for (&(i, _), q) in joined.iter().zip(read) {
            full.push(match q {
                Some(q) => Cow::Owned(self.with_stored_labels(i, q)?),
                None => self.full(i)?,
            });
        }
        let located: Vec<(QueryInput<'_>, Diagnostics)> = joined
            .par_iter()
            .zip(&full)
            .map(|(&(_, r), q)| {
                let mut w = Diagnostics::default();
                let input = QueryInput::from_trace(q, &records[r], corpus, &mut w);
                (input, w)
            })
            .collect();
        let (inputs, warnings): (Vec<QueryInput<'_>>, Vec<Diagnostics>) =
            located.into_iter().unzip();
        for (&(i, _), w) in joined.iter().zip(warnings) {
            if !w.is_empty() {
                self.located.push((i, w));
            }
        }
        // `joined` is in line order: each joined line's record, with its position among the
        // lines.
        let mut at = joined.iter().peekable();
        let mut stripped = Vec::with_capacity(joined.len());
        // Each line's position among the lines counted.
        let mut counted = 0;
        for (r, rec) in records.into_iter().enumerate() {
            let line = self.lines_read + counted;
            counted += usize::from(!repeats[r]);
            if at.next_if(|j| j.1 == r).is_some() {
                stripped.push((line, strip(rec)));
            }
        }
        self.lines_read += counted;
        // Each question is diagnosed now, or waits for its part in the scratch.
        let mut positions = Vec::with_capacity(joined.len());
        let mut now = Vec::with_capacity(joined.len());
        for ((&(i, _), input), (line, record)) in joined.iter().zip(inputs).zip(stripped) {
            // A line `ahead` or more questions past the first one not released waits.
            let released = self.released;
            let waits = self
                .spill
                .as_mut()
                .filter(|(a, _)| i.saturating_sub(released) >= *a);
            if let Some((_, spill)) = waits {
                let waiting = Waiting {
                    line,
                    record,
                    retrieved: input.retrieved,
                    candidates: input.candidates,
                    answer: input.answer,
                };
                spill.put(i, &waiting).map_err(Error::Scratch)?;
            } else {
                self.slot_mut(i).record = Some(Box::new((line, record)));
                positions.push(i);
                now.push(input);
            }
        }
        self.diagnose(&positions, now)?;
        // The batch's records and the texts only its questions read are gone.
        self.say_freed();
        Ok(())
    }

    /// Diagnoses the questions before `end` that wait in the scratch
    /// ([`TraceRun::with_spill`]).
    fn diagnose_waiting(&mut self, end: usize) -> Result<()> {
        let Some((_, spill)) = &mut self.spill else {
            return Ok(());
        };
        let waiting = spill
            .take_before(end, self.corpus)
            .map_err(Error::Scratch)?;
        if waiting.is_empty() {
            return Ok(());
        }
        let full = waiting
            .iter()
            .map(|&(i, _)| self.full(i))
            .collect::<Result<Vec<Cow<'q, Query>>>>()?;
        let mut positions = Vec::with_capacity(waiting.len());
        let mut inputs = Vec::with_capacity(waiting.len());
        for ((i, w), q) in waiting.into_iter().zip(&full) {
            self.slot_mut(i).record = Some(Box::new((w.line, w.record)));
            positions.push(i);
            inputs.push(QueryInput {
                query: q,
                retrieved: w.retrieved,
                candidates: w.candidates,
                answer: w.answer,
            });
        }
        self.diagnose(&positions, inputs)
    }

    /// Diagnoses `inputs` (the questions at `positions`) and keeps what the reports need.
    fn diagnose(&mut self, positions: &[usize], inputs: Vec<QueryInput<'_>>) -> Result<()> {
        let each = diagnose_each(self.corpus, &inputs, &self.cfg, &mut self.texts);
        self.texts.forget_copies();
        let mut first_error = None;
        for ((&i, input), (d, w)) in positions.iter().zip(inputs).zip(each) {
            if !w.is_empty() {
                self.diagnosed.push((i, w));
            }
            match d {
                Ok(d) => {
                    let class = d.class;
                    let ranking = doc_ranking(&input.query.id, &input.retrieved);
                    let weight = traffic_weight(input.query);
                    let slot = self.slot_mut(i);
                    slot.diagnosis = Some(Box::new(d));
                    slot.lead = lead_scores(&input.retrieved);
                    slot.items = input.retrieved;
                    slot.answer = input.answer;
                    self.rankings[i - self.released] = ranking;
                    if let Err(e) = self.keep(class, i, weight) {
                        first_error.get_or_insert((i, e));
                    }
                }
                Err(e) => {
                    first_error.get_or_insert((i, e));
                }
            }
        }
        while self
            .slot(self.diagnosed_upto)
            .is_some_and(|s| s.diagnosis.is_some())
        {
            self.diagnosed_upto += 1;
        }
        match first_error {
            Some((_, e)) => Err(e),
            None => Ok(()),
        }
    }

    /// The next questions whose rows can be written, in question order: `part` of them once all
    /// are diagnosed (after [`TraceRun::close`], whatever remains, the questions no line named
    /// diagnosed here, a part at a time); `None` while the next question waits for its line
    /// (or before the last one comes).
    ///
    /// # Errors
    ///
    /// As [`crate::diagnose`] (diagnosing the questions no line named).
    pub fn ready(&mut self) -> Result<Option<Range<usize>>> {
        let end = (self.released + self.part).min(self.source.len());
        if self.closed {
            self.diagnose_missing(end)?;
        }
        self.diagnose_waiting(end)?;
        let whole = end - self.released == self.part || self.closed;
        Ok((end > self.released && whole && self.diagnosed_upto >= end)
            .then_some(self.released..end))
    }

    /// The length of the run's window: the questions from the first one not released to the
    /// last one diagnosed (some may still wait for their line), the drawn ones it keeps past
    /// their release aside.
    #[must_use]
    pub fn holding(&self) -> usize {
        self.window.len()
    }

    /// Questions `range` (as [`TraceRun::ready`] gave it) to write.
    ///
    /// # Errors
    ///
    /// [`crate::Error::Scratch`] when the questions cannot be read from the store
    /// ([`TraceRun::stored`]).
    ///
    /// # Panics
    ///
    /// When `range` holds a question not diagnosed.
    pub fn part(&mut self, range: Range<usize>) -> Result<Part<'_>> {
        assert!(
            range.start >= self.released && range.end - self.released <= self.window.len(),
            "a part of diagnosed questions not released"
        );
        let queries = match self.source {
            Source::Borrowed(queries) => Cow::Borrowed(&queries[range.clone()]),
            Source::Stored { .. } => Cow::Owned(
                range
                    .clone()
                    .map(|i| self.stored_query(i))
                    .collect::<Result<Vec<Query>>>()?,
            ),
        };
        let at = range.start - self.released..range.end - self.released;
        let slots = &self.window[at.clone()];
        Ok(Part {
            queries,
            diagnoses: slots
                .iter()
                .map(|s| {
                    s.diagnosis
                        .as_deref()
                        .expect("a ready question is diagnosed")
                })
                .collect(),
            items: slots.iter().map(|s| s.items.as_slice()).collect(),
            rankings: &self.rankings[at],
            trace: slots
                .iter()
                .filter_map(|s| s.record.as_deref().map(|(_, t)| t))
                .collect(),
            range,
        })
    }

    /// What the run holds of question `i` (not released; `None` past the last diagnosed).
    fn slot(&self, i: usize) -> Option<&Slot> {
        i.checked_sub(self.released)
            .and_then(|j| self.window.get(j))
    }

    /// What the run holds of question `i` (not released), the window grown to it.
    fn slot_mut(&mut self, i: usize) -> &mut Slot {
        let j = i - self.released;
        if j >= self.window.len() {
            self.window.resize_with(j + 1, Slot::default);
            self.rankings.resize_with(j + 1, DocRanking::default);
            self.most_held = self.most_held.max(j + 1);
        }
        &mut self.window[j]
    }

    /// Moves the released questions' warnings from `located` and `diagnosed` to `settled`,
    /// in question order (each question's in the order they came): what the run hands back is
    /// in the order of sorting the whole lists at the end, and nothing stays per question.
    fn settle_warnings(&mut self) {
        let released = self.released;
        for (list, settled) in [&mut self.located, &mut self.diagnosed]
            .into_iter()
            .zip(&mut self.settled)
        {
            if !list.iter().any(|(i, _)| *i < released) {
                continue;
            }
            let (mut done, rest): (Vec<_>, Vec<_>) = std::mem::take(list)
                .into_iter()
                .partition(|(i, _)| *i < released);
            *list = rest;
            done.sort_by_key(|(i, _)| *i);
            for (_, w) in done {
                settled.extend(w);
            }
        }
    }

    /// Questions `range` (the one [`TraceRun::ready`] gave) are written: each one's
    /// [`Brief`] is taken (with its reason only if `report.md` may list it,
    /// [`TraceRun::with_listed`]), their document rankings are dropped, and so are the items
    /// and diagnosis of those the report does not draw.
    ///
    /// # Errors
    ///
    /// [`crate::Error::Scratch`] when the store cannot be read or written
    /// ([`TraceRun::stored`]).
    ///
    /// # Panics
    ///
    /// When `range` holds a question not diagnosed.
    pub fn release(&mut self, range: Range<usize>) -> Result<()> {
        debug_assert_eq!(range.start, self.released);
        let slots: Vec<Slot> = self.window.drain(..range.len()).collect();
        // Its part was written, and with it what the summary reads of its ranking
        // ([`crate::RankTally`]).
        self.rankings.drain(..range.len());
        self.released = range.end;
        self.settle_warnings();
        for (i, slot) in range.zip(slots) {
            let d = slot
                .diagnosis
                .expect("a question is released once it is diagnosed");
            let mut brief = self.brief(i, &d, slot.record.as_deref())?;
            let listed = match self.listed_per_class {
                None => true,
                Some(listed) if brief.class.is_failure() => {
                    let seen = self.released_of.entry(brief.class).or_default();
                    *seen += 1;
                    *seen <= listed
                }
                Some(_) => false,
            };
            if !listed {
                brief.reason = Box::default();
            }
            self.briefs.push(brief);
            self.lead_scores.push(slot.lead);
            if self.is_kept(d.class, i) {
                let held = HeldQuestion {
                    diagnosis: d,
                    items: slot.items,
                    answer: slot.answer,
                    query: None,
                };
                self.held.insert(i, held);
            } else {
                self.let_go(i)?;
            }
        }
        // With a store, this release's briefs go there; `briefs` then holds one release at most.
        if let Some(store) = &mut self.store {
            self.buf.clear();
            stash::encode_briefs(&self.briefs, &mut self.buf);
            self.briefs.clear();
            let at = store.put(&self.buf).map_err(Error::Scratch)?;
            self.brief_at.push((at, self.buf.len()));
            self.buf.clear();
            stash::encode_leads(&self.lead_scores, &mut self.buf);
            self.lead_scores.clear();
            let at = store.put(&self.buf).map_err(Error::Scratch)?;
            self.lead_at.push((at, self.buf.len()));
        }
        self.say_freed();
        Ok(())
    }

    /// The brief of question `i`, diagnosed `d`, whose record is `record`.
    fn brief(
        &mut self,
        i: usize,
        d: &Diagnosis,
        record: Option<&(usize, TraceRecord)>,
    ) -> Result<Brief> {
        let record = record.map(|(line, t)| (*line, t));
        let q = self.full(i)?;
        Ok(Brief::of(d, &q, record, self.briefing))
    }

    /// Lets go of what no report reads of question `i` (released, not drawn, its brief
    /// taken): its items, its diagnosis and its labels.
    fn let_go(&mut self, i: usize) -> Result<()> {
        self.held.remove(&i);
        if let Some(l) = self.labels.get_mut(i) {
            *l = None;
        }
        if let (Source::Stored { at, .. }, Some(store)) = (&mut self.source, self.store.as_mut()) {
            let store = store.as_mut();
            let place = at.get(store, i)?;
            at.set(store, i, Place { labels: 0, ..place })?;
        }
        Ok(())
    }

    /// The line that named question `i` first (`named`).
    fn named(&mut self, i: usize) -> Result<u64> {
        let scratch = scratch_of(&mut self.store, &mut self.own);
        let rec = self.named.get(scratch, i).map_err(Error::Scratch)?;
        Ok(u64::from_le_bytes(rec))
    }

    /// Whether question `i`, of `class`, is among the ones whose texts are kept.
    fn is_kept(&self, class: Class, i: usize) -> bool {
        self.kept
            .get(&class)
            .is_some_and(|set| set.iter().any(|e| e.0 == i))
    }

    /// Keeps question `i`'s hit texts and answer if it is among the first `keep_texts` of its
    /// class in [`drawn_order`] so far (it weighs `weight`); those of a question that leaves
    /// that set are dropped.
    fn keep(&mut self, class: Class, i: usize, weight: f64) -> Result<()> {
        let entry = (i, weight);
        let set = self.kept.entry(class).or_default();
        let at = set
            .binary_search_by(|probe| drawn_order(*probe, entry))
            .unwrap_or_else(|e| e);
        let dropped = if at < self.keep_texts {
            set.insert(at, entry);
            (set.len() > self.keep_texts)
                .then(|| set.pop().map(|e| e.0))
                .flatten()
        } else {
            Some(i)
        };
        if let Some(d) = dropped {
            if d < self.released {
                self.let_go(d)?;
            } else {
                let slot = self.slot_mut(d);
                for item in &mut slot.items {
                    item.text = None;
                }
                slot.answer = None;
            }
        }
        Ok(())
    }

    /// The trace is over: the questions no line named are to be diagnosed (with nothing
    /// retrieved and no answer, and a warning each), a part at a time as [`TraceRun::ready`]
    /// hands them out (all at once in [`TraceRun::finish`]), so that a trace naming few of many
    /// questions holds no more than one part of them at a time.
    pub fn close(&mut self) {
        self.closed = true;
    }

    /// Diagnoses the questions before `end` that no line named and are not diagnosed yet
    /// (the run is closed).
    fn diagnose_missing(&mut self, end: usize) -> Result<()> {
        debug_assert!(
            self.closed,
            "only a closed run diagnoses the unnamed questions"
        );
        if end <= self.missing_upto {
            return Ok(());
        }
        let mut missing: Vec<usize> = Vec::new();
        for i in self.missing_upto..end {
            if self.named(i)? == 0 {
                missing.push(i);
            }
        }
        self.missing_upto = end;
        if missing.is_empty() {
            return Ok(());
        }
        let full = missing
            .iter()
            .map(|&i| self.full(i))
            .collect::<Result<Vec<Cow<'q, Query>>>>()?;
        let inputs: Vec<QueryInput<'_>> = missing
            .iter()
            .zip(&full)
            .map(|(&i, q)| {
                let q: &Query = q;
                let mut w = Diagnostics::default();
                w.warn(
                    q.origin.clone(),
                    "id",
                    "no trace line for this question: diagnosed with nothing retrieved and no answer",
                );
                self.located.push((i, w));
                QueryInput {
                    query: q,
                    retrieved: Vec::new(),
                    candidates: None,
                    answer: None,
                }
            })
            .collect();
        self.diagnose(&missing, inputs)
    }

    /// Closes the run ([`TraceRun::close`]) and hands everything back, warnings in
    /// [`crate::diagnose_trace`]'s order: the lines', then each question's location in
    /// question order, then each question's diagnosis in question order.
    ///
    /// # Errors
    ///
    /// As [`crate::diagnose`].
    pub fn finish(mut self) -> Result<Streamed> {
        self.close();
        let n = self.source.len();
        self.diagnose_missing(n)?;
        self.diagnose_waiting(n)?;
        // The run's texts (tokens and shingles of every retrieved text) are not needed past
        // the last diagnosis: freed before the diagnoses are handed over.
        drop(std::mem::take(&mut self.texts));
        self.say_freed();
        // The questions whose diagnosis the run holds (its window and the drawn ones), by
        // position: nothing is made per question for the others.
        let mut held: Vec<(usize, HeldQuestion)> =
            std::mem::take(&mut self.held).into_iter().collect();
        held.sort_unstable_by_key(|(i, _)| *i);
        // Only the questions not released have a ranking left (the last ones): a released
        // question's went with its part, and no empty entry is made for it.
        let rankings = std::mem::take(&mut self.rankings);
        // The released questions' briefs (read from the store, where they are kept there), then
        // those of the questions not released, which keep their diagnosis (and reason).
        let mut briefs = Briefs::new();
        briefs.reserve(n);
        if let Some(store) = &mut self.store {
            for &(at, len) in &self.brief_at {
                let bytes = store.get(at, len).map_err(Error::Scratch)?;
                stash::decode_briefs(&bytes, &mut briefs).map_err(Error::Scratch)?;
            }
        }
        briefs.extend(std::mem::take(&mut self.briefs));
        let mut lead_scores = crate::Leads::default();
        lead_scores.reserve(n);
        if let Some(store) = &mut self.store {
            for &(at, len) in &self.lead_at {
                let bytes = store.get(at, len).map_err(Error::Scratch)?;
                stash::decode_leads(&bytes, &mut lead_scores).map_err(Error::Scratch)?;
            }
        }
        lead_scores.extend(std::mem::take(&mut self.lead_scores));
        for (i, slot) in (self.released..).zip(std::mem::take(&mut self.window)) {
            let d = slot
                .diagnosis
                .expect("every question is diagnosed once the run is closed");
            briefs.push(self.brief(i, &d, slot.record.as_deref())?);
            lead_scores.push(slot.lead);
            held.push((
                i,
                HeldQuestion {
                    diagnosis: d,
                    items: slot.items,
                    answer: slot.answer,
                    query: None,
                },
            ));
        }
        briefs.shrink_to_fit();
        // The labels the run still holds (with their questions, read from the store where they
        // are kept there).
        let labels = std::mem::take(&mut self.labels);
        let mut stored = None;
        if matches!(self.source, Source::Stored { .. }) {
            for (i, h) in &mut held {
                h.query = Some(Box::new(self.full(*i)?.into_owned()));
            }
            if let (Source::Stored { at, paths }, Some(store)) = (
                std::mem::replace(&mut self.source, Source::Borrowed(&[])),
                self.store.take(),
            ) {
                stored = Some(QuestionStore {
                    store,
                    at,
                    paths,
                    hashes: Table::default(),
                    buf: Vec::new(),
                });
            }
        }
        let mut warnings = self.lines;
        let [located, diagnosed] = self.settled;
        for (list, settled) in [
            (&mut self.located, located),
            (&mut self.diagnosed, diagnosed),
        ] {
            list.sort_by_key(|(i, _)| *i);
            warnings.extend(settled);
            for (_, w) in list.drain(..) {
                warnings.extend(w);
            }
        }
        Ok(Streamed {
            summary: Summary::of(briefs.iter()),
            briefs,
            held,
            warnings,
            repeated: self.repeated,
            ranked: Ranked {
                rankings,
                lead_scores,
            },
            labels,
            stored,
            most_held: self.most_held,
            waited: self.spill.as_ref().map_or(0, |(_, s)| s.total),
            waited_bytes: self.spill.as_ref().map_or(0, |(_, s)| s.bytes),
        })
    }
}

/// A record without its hits and answer (the run has located and kept them).
fn strip(mut r: TraceRecord) -> TraceRecord {
    r.retrieved = Vec::new();
    r.candidates = None;
    r.answer = None;
    r
}
