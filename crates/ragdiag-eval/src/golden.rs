//! Golden-set upkeep: what to label next and how labels from several people become one.
//!
//! - [`pool`] is TREC-style depth pooling: the documents that any system ranked in its top
//!   `depth` for a question and that nobody has judged, one item per (question, document)
//!   however many systems retrieved it, ordered by [`PoolItem::priority`], how far one label
//!   can move the systems' metrics.
//! - [`evidence_candidates`] cuts a passage into sentences and marks those that share most of
//!   the question's content words: where a labeller should look first.
//! - [`merge_labels`] resolves the labels of several labellers by one stated rule
//!   ([`resolve_grade`]: the majority grade, a tie going to the lowest tied grade) and measures
//!   their agreement ([`cohen_kappa`] for two labellers, [`fleiss_kappa`] for more).
//! - [`check_label`] holds a label tied to a document version (its `doc_hash`) against the
//!   document as it is now: current, changed, deleted, superseded or missing, and its evidence
//!   found, moved or gone.
//! - [`leakage`] finds questions and reference answers copied into the corpus (word 3-gram
//!   containment in one document, through an inverted index).
//!
//! No I/O: the binary reads the runs and the label files and writes the page and the questions.

pub use ragdiag_core::Label;
use ragdiag_core::{Qrels, Query};
use std::collections::{BTreeMap, BTreeSet};

/// One system's document rankings: the documents of each question, best first.
#[derive(Debug, Clone, Default)]
pub struct PoolSource {
    /// The system's name (a run's file name or tag, a trace's file name).
    pub name: String,
    /// `(question id, documents best first)`; a document listed twice counts at its first rank.
    pub rankings: Vec<(String, Vec<String>)>,
}

/// One (question, document) pair to label.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolItem {
    /// The question.
    pub query_id: String,
    /// The unjudged document.
    pub doc: String,
    /// Each system that ranked it within the depth, with its 1-based rank there (in the order
    /// of the sources).
    pub ranks: Vec<(String, usize)>,
    /// The best (smallest) rank any system gave it.
    pub best_rank: usize,
    /// How much one label can move the metrics: the question's weight times the sum, over the
    /// systems that ranked the document, of DCG's discount at its rank, `1 / log2(rank + 1)`.
    /// A relevant label adds its gain times this to those systems' DCG; a document that many
    /// systems rank high comes first.
    pub priority: f64,
}

/// The unjudged documents in the top `depth` of every source, deduplicated across sources and
/// ordered by priority (highest first; ties by best rank, question id, document id).
///
/// A document counts as judged when `judged` grades it for the question (any grade, 0
/// included). Questions missing from `queries` get weight 1.
#[must_use]
pub fn pool(
    queries: &[Query],
    judged: &Qrels,
    sources: &[PoolSource],
    depth: usize,
) -> Vec<PoolItem> {
    let weight: BTreeMap<&str, f64> = queries.iter().map(|q| (q.id.as_str(), q.weight)).collect();
    let mut items: BTreeMap<(String, String), PoolItem> = BTreeMap::new();
    for source in sources {
        for (qid, docs) in &source.rankings {
            let judgments = judged.get(qid);
            let mut seen = BTreeSet::new();
            let mut rank = 0usize;
            for doc in docs {
                if !seen.insert(doc.as_str()) {
                    continue;
                }
                rank += 1;
                if rank > depth {
                    break;
                }
                if judgments.is_some_and(|j| j.grade(doc).is_some()) {
                    continue;
                }
                let w = weight.get(qid.as_str()).copied().unwrap_or(1.0);
                let item = items
                    .entry((qid.clone(), doc.clone()))
                    .or_insert_with(|| PoolItem {
                        query_id: qid.clone(),
                        doc: doc.clone(),
                        ranks: Vec::new(),
                        best_rank: rank,
                        priority: 0.0,
                    });
                if item.ranks.iter().any(|(s, _)| *s == source.name) {
                    continue;
                }
                item.ranks.push((source.name.clone(), rank));
                item.best_rank = item.best_rank.min(rank);
                #[allow(clippy::cast_precision_loss)]
                let discount = 1.0 / ((rank + 1) as f64).log2();
                item.priority += w * discount;
            }
        }
    }
    let mut out: Vec<PoolItem> = items.into_values().collect();
    out.sort_by(|a, b| {
        b.priority
            .total_cmp(&a.priority)
            .then(a.best_rank.cmp(&b.best_rank))
            .then_with(|| a.query_id.cmp(&b.query_id))
            .then_with(|| a.doc.cmp(&b.doc))
    });
    out
}

/// Judged@k of one source, per question (in the source's order): the share of its top
/// `min(k, retrieved)` distinct documents that `judged` grades (ir_measures' `Judged@k`);
/// a question with nothing retrieved is left out.
#[must_use]
pub fn judged_at(judged: &Qrels, source: &PoolSource, k: usize) -> Vec<f64> {
    judged_at_of(judged, &source.rankings, k)
}

/// [`judged_at`] of rankings given as `(question id, documents best first)`, owned or
/// borrowed.
#[must_use]
#[allow(clippy::cast_precision_loss)]
pub fn judged_at_of<Q: AsRef<str>, D: AsRef<str>>(
    judged: &Qrels,
    rankings: &[(Q, Vec<D>)],
    k: usize,
) -> Vec<f64> {
    rankings
        .iter()
        .filter_map(|(qid, docs)| {
            let qid = qid.as_ref();
            let mut seen = BTreeSet::new();
            let top: Vec<&str> = docs
                .iter()
                .map(AsRef::as_ref)
                .filter(|d| seen.insert(*d))
                .take(k)
                .collect();
            if top.is_empty() {
                return None;
            }
            let j = judged.get(qid);
            let n = top
                .iter()
                .filter(|d| j.is_some_and(|j| j.grade(d).is_some()))
                .count();
            Some(n as f64 / top.len() as f64)
        })
        .collect()
}

/// A piece of a passage: consecutive pieces concatenate to the passage exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// The text of the piece.
    pub text: String,
    /// Whether the piece is a sentence that likely holds the evidence.
    pub candidate: bool,
}

const STOP: &[&str] = &[
    "about", "after", "all", "also", "and", "any", "are", "can", "could", "did", "does", "for",
    "from", "get", "has", "have", "how", "into", "its", "much", "not", "now", "our", "per",
    "should", "that", "the", "their", "then", "there", "this", "what", "when", "where", "which",
    "who", "why", "will", "with", "would", "you", "your",
];

/// The question's content words: lower-cased, at least 3 characters, not a stop word, a
/// trailing plural `s` dropped (so "prices" meets "price").
fn content_words(text: &str) -> BTreeSet<String> {
    ragdiag_core::words(text)
        .into_iter()
        .filter(|w| w.chars().count() >= 3 && STOP.binary_search(&w.as_str()).is_err())
        .map(|w| stem(&w))
        .collect()
}

fn stem(w: &str) -> String {
    match w.strip_suffix('s') {
        Some(s) if s.chars().count() >= 3 && !s.ends_with('s') => s.to_owned(),
        _ => w.to_owned(),
    }
}

/// The sentences of `text` (ends at `.`, `!` or `?` followed by whitespace, and at line
/// breaks), each marked a candidate when it holds at least two of the question's content
/// words (or the only one, for a one-word question) and at least half of them. At most the
/// three best-matching sentences are marked (ties: the earlier).
#[must_use]
pub fn evidence_candidates(question: &str, text: &str) -> Vec<Segment> {
    let wanted = content_words(question);
    let pieces = sentences(text);
    let mut scored: Vec<(usize, usize)> = pieces
        .iter()
        .enumerate()
        .filter_map(|(i, s)| {
            let have = content_words(s);
            let hits = wanted.intersection(&have).count();
            let enough = hits >= wanted.len().min(2) && 2 * hits >= wanted.len() && hits > 0;
            enough.then_some((i, hits))
        })
        .collect();
    scored.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let marked: BTreeSet<usize> = scored.iter().take(3).map(|(i, _)| *i).collect();
    pieces
        .into_iter()
        .enumerate()
        .map(|(i, text)| Segment {
            candidate: marked.contains(&i),
            text: text.to_owned(),
        })
        .collect()
}

fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let end = match (c, chars.peek()) {
            ('\n', _) => Some(i + 1),
            ('.' | '!' | '?', Some(&(j, n))) if n.is_whitespace() => Some(j),
            _ => None,
        };
        if let Some(end) = end {
            out.push(&text[start..end]);
            start = end;
        }
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

/// The one grade of a (question, document) pair, resolved from its labellers.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    /// The question.
    pub query_id: String,
    /// The document.
    pub doc: String,
    /// The resolved grade ([`resolve_grade`]).
    pub grade: i64,
    /// Each labeller's grade, by labeller name.
    pub grades: BTreeMap<String, i64>,
    /// The latest labelling date.
    pub labelled_at: Option<String>,
    /// The document hash the labels were made on; when labellers saw different texts, the
    /// latest label's.
    pub doc_hash: Option<String>,
    /// Whether the labellers saw different document texts.
    pub hashes_differ: bool,
    /// The notes, `labeller: note`.
    pub notes: Vec<String>,
}

impl Resolved {
    /// Whether the labellers gave different grades.
    #[must_use]
    pub fn conflict(&self) -> bool {
        let mut g = self.grades.values();
        let first = g.next();
        g.any(|x| Some(x) != first)
    }
}

/// How much the labellers agree, over the pairs every one of them labelled.
#[derive(Debug, Clone, PartialEq)]
pub struct Agreement {
    /// `"cohen"` for two labellers, `"fleiss"` for more.
    pub method: &'static str,
    /// The labellers, sorted.
    pub labellers: Vec<String>,
    /// Pairs labelled by every labeller (the kappa's n).
    pub items: usize,
    /// Of those, pairs on which they all gave the same grade.
    pub unanimous: usize,
    /// The kappa; `None` when chance agreement is 1 (every label in one grade), where it is
    /// undefined.
    pub kappa: Option<f64>,
}

/// Labels merged: one resolved grade per pair, and the agreement when there are several
/// labellers.
#[derive(Debug, Clone, PartialEq)]
pub struct Merged {
    /// Resolved pairs in (question, document) order.
    pub resolved: Vec<Resolved>,
    /// `None` with fewer than two labellers.
    pub agreement: Option<Agreement>,
}

/// The resolution rule: the grade most labellers gave; a tie goes to the lowest of the tied
/// grades (a disputed pair is not counted more relevant than some labeller found it).
///
/// # Panics
/// Never for a non-empty slice; an empty slice gives 0.
#[must_use]
pub fn resolve_grade(grades: &[i64]) -> i64 {
    let mut counts: BTreeMap<i64, usize> = BTreeMap::new();
    for g in grades {
        *counts.entry(*g).or_default() += 1;
    }
    let best = counts.values().copied().max().unwrap_or(0);
    counts
        .into_iter()
        .find(|(_, c)| *c == best)
        .map_or(0, |(g, _)| g)
}

/// Merges labels: a labeller's later label of a pair replaces their earlier one (file order);
/// each pair's grade is [`resolve_grade`] of its labellers' grades.
#[must_use]
pub fn merge_labels(labels: &[Label]) -> Merged {
    let mut by_pair: BTreeMap<(&str, &str), BTreeMap<&str, &Label>> = BTreeMap::new();
    for l in labels {
        by_pair
            .entry((l.query_id.as_str(), l.doc.as_str()))
            .or_default()
            .insert(l.labeller.as_str(), l);
    }
    let labellers: BTreeSet<&str> = labels.iter().map(|l| l.labeller.as_str()).collect();
    let mut resolved = Vec::with_capacity(by_pair.len());
    for ((qid, doc), per) in &by_pair {
        let grades: BTreeMap<String, i64> = per
            .iter()
            .map(|(who, l)| ((*who).to_owned(), l.grade))
            .collect();
        let list: Vec<i64> = grades.values().copied().collect();
        let latest = per
            .values()
            .max_by(|a, b| a.labelled_at.cmp(&b.labelled_at))
            .copied();
        let hashes: BTreeSet<&str> = per.values().filter_map(|l| l.doc_hash.as_deref()).collect();
        resolved.push(Resolved {
            query_id: (*qid).to_owned(),
            doc: (*doc).to_owned(),
            grade: resolve_grade(&list),
            grades,
            labelled_at: latest.and_then(|l| l.labelled_at.clone()),
            doc_hash: latest.and_then(|l| l.doc_hash.clone()),
            hashes_differ: hashes.len() > 1,
            notes: per
                .iter()
                .filter_map(|(who, l)| {
                    l.note
                        .as_deref()
                        .filter(|n| !n.trim().is_empty())
                        .map(|n| format!("{who}: {n}"))
                })
                .collect(),
        });
    }
    let agreement = (labellers.len() >= 2).then(|| {
        let complete: Vec<Vec<i64>> = resolved
            .iter()
            .filter(|r| r.grades.len() == labellers.len())
            .map(|r| r.grades.values().copied().collect())
            .collect();
        let unanimous = complete
            .iter()
            .filter(|g| g.iter().all(|x| *x == g[0]))
            .count();
        let (method, kappa) = if labellers.len() == 2 {
            let a: Vec<i64> = complete.iter().map(|g| g[0]).collect();
            let b: Vec<i64> = complete.iter().map(|g| g[1]).collect();
            ("cohen", cohen_kappa(&a, &b))
        } else {
            ("fleiss", fleiss_kappa(&complete))
        };
        Agreement {
            method,
            labellers: labellers.iter().map(|s| (*s).to_owned()).collect(),
            items: complete.len(),
            unanimous,
            kappa,
        }
    });
    Merged {
        resolved,
        agreement,
    }
}

/// Cohen's kappa of two labellers' grades of the same items (`a[i]` and `b[i]` grade item
/// `i`): `(p_o − p_e) / (1 − p_e)`, observed against chance agreement from each labeller's own
/// grade shares. `None` for no items, different lengths, or `p_e = 1`.
#[must_use]
#[allow(clippy::cast_precision_loss)]
pub fn cohen_kappa(a: &[i64], b: &[i64]) -> Option<f64> {
    if a.is_empty() || a.len() != b.len() {
        return None;
    }
    let n = a.len() as f64;
    let observed = a.iter().zip(b).filter(|(x, y)| x == y).count() as f64 / n;
    let mut share_a: BTreeMap<i64, f64> = BTreeMap::new();
    let mut share_b: BTreeMap<i64, f64> = BTreeMap::new();
    for (x, y) in a.iter().zip(b) {
        *share_a.entry(*x).or_default() += 1.0 / n;
        *share_b.entry(*y).or_default() += 1.0 / n;
    }
    let chance: f64 = share_a
        .iter()
        .map(|(g, p)| p * share_b.get(g).copied().unwrap_or(0.0))
        .sum();
    if (1.0 - chance).abs() < 1e-12 {
        return None;
    }
    Some((observed - chance) / (1.0 - chance))
}

/// Fleiss' kappa: `items[i]` holds the grades item `i` received, every item from the same
/// number (≥ 2) of labellers. `None` for no items, unequal or too few ratings, or when
/// chance agreement is 1.
#[must_use]
#[allow(clippy::cast_precision_loss)]
pub fn fleiss_kappa(items: &[Vec<i64>]) -> Option<f64> {
    let raters = items.first()?.len();
    if raters < 2 || items.iter().any(|g| g.len() != raters) {
        return None;
    }
    let (n_items, m) = (items.len() as f64, raters as f64);
    let mut totals: BTreeMap<i64, f64> = BTreeMap::new();
    let mut p_bar = 0.0;
    for grades in items {
        let mut counts: BTreeMap<i64, f64> = BTreeMap::new();
        for g in grades {
            *counts.entry(*g).or_default() += 1.0;
            *totals.entry(*g).or_default() += 1.0;
        }
        let sq: f64 = counts.values().map(|c| c * c).sum();
        p_bar += (sq - m) / (m * (m - 1.0)) / n_items;
    }
    let chance: f64 = totals.values().map(|t| (t / (n_items * m)).powi(2)).sum();
    if (1.0 - chance).abs() < 1e-12 {
        return None;
    }
    Some((p_bar - chance) / (1.0 - chance))
}

/// A label tied to the document text it was made on: a judgment, or an evidence quote or span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TiedLabel {
    /// The question.
    pub query_id: String,
    /// The document.
    pub doc: String,
    /// The hash of the document text the label was made on (`None`: not tied to a version).
    pub doc_hash: Option<String>,
    /// For evidence: the quoted text.
    pub quote: Option<String>,
    /// For evidence: its code-point span in the text as labelled.
    pub span: Option<(usize, usize)>,
}

/// What became of the document a label points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocState {
    /// The text hashes as it did when labelled.
    Current,
    /// The text changed since the label was made: the label needs re-review.
    Changed,
    /// The label carries no hash: whether the text changed is unknown.
    Untied,
    /// No document of that id in the corpus.
    Missing,
    /// The document is marked deleted.
    Deleted,
    /// Another document supersedes it (explicitly, its `supersedes` field).
    Superseded(String),
}

impl DocState {
    /// Whether a label on a document in this state needs re-review.
    #[must_use]
    pub fn needs_review(&self) -> bool {
        !matches!(self, DocState::Current | DocState::Untied)
    }

    /// A short name (`current`, `changed`, `untied`, `missing`, `deleted`, `superseded`).
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            DocState::Current => "current",
            DocState::Changed => "changed",
            DocState::Untied => "untied",
            DocState::Missing => "missing",
            DocState::Deleted => "deleted",
            DocState::Superseded(_) => "superseded",
        }
    }
}

/// Where an evidence label's text is in the current document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EvidenceState {
    /// At the same place (or, without a recorded span, somewhere).
    Found,
    /// Elsewhere: its span in the current text.
    Moved(usize, usize),
    /// Not in the current text (not even after normalising whitespace and case).
    Gone,
    /// A span without a quote on a changed text: nothing to look for.
    Unverifiable,
}

impl EvidenceState {
    /// A short name (`found`, `moved`, `gone`, `unverifiable`).
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            EvidenceState::Found => "found",
            EvidenceState::Moved(..) => "moved",
            EvidenceState::Gone => "gone",
            EvidenceState::Unverifiable => "unverifiable",
        }
    }
}

/// The current corpus as [`check_label`] sees one document.
#[derive(Debug, Clone, Copy)]
pub struct CurrentDoc<'a> {
    /// Its text now.
    pub text: &'a str,
    /// The hash of that text (the same function as the label's).
    pub hash: &'a str,
    /// Marked deleted.
    pub deleted: bool,
    /// The document that supersedes it, if any.
    pub superseded_by: Option<&'a str>,
}

/// Checks a label against the document as it is now: the document's state and, for evidence,
/// whether its text is found where it was, moved, or gone. Evidence on a missing document is
/// gone; on an unchanged one it is found.
#[must_use]
pub fn check_label(
    label: &TiedLabel,
    current: Option<CurrentDoc<'_>>,
) -> (DocState, Option<EvidenceState>) {
    let is_evidence = label.quote.is_some() || label.span.is_some();
    let Some(doc) = current else {
        return (
            DocState::Missing,
            is_evidence.then_some(EvidenceState::Gone),
        );
    };
    let state = if doc.deleted {
        DocState::Deleted
    } else if let Some(by) = doc.superseded_by {
        DocState::Superseded(by.to_owned())
    } else {
        match &label.doc_hash {
            None => DocState::Untied,
            Some(h) if h == doc.hash => DocState::Current,
            Some(_) => DocState::Changed,
        }
    };
    if !is_evidence {
        return (state, None);
    }
    let unchanged = label.doc_hash.as_deref() == Some(doc.hash);
    let evidence = match (&label.quote, label.span) {
        _ if unchanged => EvidenceState::Found,
        (Some(q), span) => match ragdiag_core::find_quote(doc.text, q) {
            None => EvidenceState::Gone,
            Some(m) => match span {
                Some((s, _)) if s != m.start => EvidenceState::Moved(m.start, m.end),
                _ => EvidenceState::Found,
            },
        },
        (None, _) => EvidenceState::Unverifiable,
    };
    (state, Some(evidence))
}

/// How metrics treat labels that need re-review (`--stale-labels`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StaleLabels {
    /// Score them as they are, silently.
    Include,
    /// Drop them from the metrics (a question left without labels is unjudged).
    Exclude,
    /// Score them as they are and list them (the default).
    #[default]
    Flag,
}

impl StaleLabels {
    /// `include`, `exclude` or `flag`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            StaleLabels::Include => "include",
            StaleLabels::Exclude => "exclude",
            StaleLabels::Flag => "flag",
        }
    }
}

impl std::str::FromStr for StaleLabels {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "include" => Ok(StaleLabels::Include),
            "exclude" => Ok(StaleLabels::Exclude),
            "flag" => Ok(StaleLabels::Flag),
            other => Err(format!("{other:?} (expected include, exclude or flag)")),
        }
    }
}

/// Removes `labels` (those needing re-review) from the questions: a judgment label drops its
/// question's `relevant` entry for that document; an evidence label drops the evidence entries
/// of that document with the same quote (or, for a span label, the same span). Returns how many
/// judgment and evidence entries were dropped.
pub fn drop_labels(queries: &mut [Query], labels: &[TiedLabel]) -> (usize, usize) {
    let dropper = LabelDropper::new(labels);
    let (mut judgments, mut evidence) = (0, 0);
    for q in queries.iter_mut() {
        let (j, e) = dropper.apply(q);
        judgments += j;
        evidence += e;
    }
    (judgments, evidence)
}

/// [`drop_labels`] one question at a time (for questions read as a stream).
#[derive(Debug)]
pub struct LabelDropper<'l> {
    by_query: BTreeMap<&'l str, Vec<&'l TiedLabel>>,
}

impl<'l> LabelDropper<'l> {
    /// Drops `labels` from the questions it is applied to.
    #[must_use]
    pub fn new(labels: &'l [TiedLabel]) -> Self {
        let mut by_query: BTreeMap<&str, Vec<&TiedLabel>> = BTreeMap::new();
        for l in labels {
            by_query.entry(l.query_id.as_str()).or_default().push(l);
        }
        LabelDropper { by_query }
    }

    /// Drops the labels of `q`'s; returns how many judgment and evidence entries went.
    pub fn apply(&self, q: &mut Query) -> (usize, usize) {
        let (mut judgments, mut evidence) = (0, 0);
        let Some(ls) = self.by_query.get(q.id.as_str()) else {
            return (0, 0);
        };
        for l in ls {
            let is_evidence = l.quote.is_some() || l.span.is_some();
            if is_evidence {
                let before = q.evidence.len();
                q.evidence.retain(|e| {
                    let same = match e {
                        ragdiag_core::Evidence::Quote { doc, quote } => {
                            *doc == l.doc && l.quote.as_deref() == Some(quote.as_str())
                        }
                        ragdiag_core::Evidence::Span { doc, start, end } => {
                            *doc == l.doc && l.quote.is_none() && l.span == Some((*start, *end))
                        }
                    };
                    !same
                });
                evidence += before - q.evidence.len();
            } else {
                let before = q.relevant.len();
                q.relevant.retain(|j| j.doc != l.doc);
                judgments += before - q.relevant.len();
            }
        }
        (judgments, evidence)
    }
}

/// Texts with fewer words than this are not tested for leakage: too short to tell a copy from
/// a coincidence (`$39` is in many pages).
pub const LEAK_MIN_WORDS: usize = 5;

/// A question or reference answer copied into the corpus.
#[derive(Debug, Clone, PartialEq)]
pub struct Leak {
    /// The question.
    pub query_id: String,
    /// `question` or `reference_answer`.
    pub field: &'static str,
    /// The document holding most of it.
    pub doc: String,
    /// The share of the text's word 3-shingles that the document holds (containment).
    pub containment: f64,
}

/// Questions and reference answers whose word 3-shingles the corpus holds at least
/// `threshold` of, in one document (containment `|S ∩ D| / |S|`, exact on the shingle hashes).
/// Texts under [`LEAK_MIN_WORDS`] words are passed over. One leak per question and field: the
/// most contained (ties: the first document); in question order, the question before its
/// answers.
///
/// The index is of the tested texts' shingles (a few per question), and the documents stream
/// past it in parallel: memory is the questions' plus a little per thread, whatever the corpus
/// size (an index of the corpus's shingles held 0.8 GB at 250,000 short documents).
#[must_use]
pub fn leakage(queries: &[Query], docs: &[(&str, &str)], threshold: f64) -> Vec<Leak> {
    let mut texts = LeakTexts::default();
    for (i, q) in queries.iter().enumerate() {
        texts.add(i, &q.text, &q.reference_answers);
    }
    texts
        .find(docs, threshold)
        .into_iter()
        .map(|l| Leak {
            query_id: queries[l.question].id.clone(),
            field: l.field,
            doc: l.doc,
            containment: l.containment,
        })
        .collect()
}

/// A leak of [`LeakTexts::find`]: [`Leak`] with its question's number instead of its id.
#[derive(Debug, Clone, PartialEq)]
pub struct FoundLeak {
    /// The question's number, as [`LeakTexts::add`] was given it.
    pub question: usize,
    /// `question` or `reference_answer`.
    pub field: &'static str,
    /// The document holding most of it.
    pub doc: String,
    /// The share of the text's word 3-shingles that the document holds (containment).
    pub containment: f64,
}

/// The texts [`leakage`] tests, added a question at a time ([`LeakTexts::add`]; the questions
/// need not be held), then looked for in the documents ([`LeakTexts::find`]).
#[derive(Debug, Default)]
pub struct LeakTexts {
    /// Per tested text, its shingle count and whose it is: (question number, an answer).
    sizes: Vec<usize>,
    owners: Vec<(usize, bool)>,
    /// (shingle, text) for every text's shingles.
    pairs: Vec<(u64, u32)>,
}

impl LeakTexts {
    /// Question `question`'s text and reference answers (questions added in order).
    pub fn add(&mut self, question: usize, text: &str, answers: &[String]) {
        for (t, answer) in
            std::iter::once((text, false)).chain(answers.iter().map(|a| (a.as_str(), true)))
        {
            if ragdiag_core::words(t).len() < LEAK_MIN_WORDS {
                continue;
            }
            let sh = ragdiag_core::word_shingles(t);
            let id = u32::try_from(self.sizes.len()).unwrap_or(u32::MAX);
            self.sizes.push(sh.len());
            self.owners.push((question, answer));
            self.pairs.extend(sh.into_iter().map(|h| (h, id)));
        }
    }

    /// How many shingles the texts added so far hold (what they take: ~40 bytes each while
    /// [`LeakTexts::find`] looks for them).
    #[must_use]
    pub fn shingles(&self) -> usize {
        self.pairs.len()
    }

    /// The leaks at or above `threshold` in `docs` ([`leakage`]'s rule), in question order.
    ///
    /// A text's leak depends on that text and the documents alone: the questions may be
    /// looked for a batch at a time (each batch's leaks after the previous one's), with the
    /// same leaks as all at once, so that what is held is bounded by the batch, not by the
    /// questions ([`LeakTexts::shingles`] tells when to look).
    #[must_use]
    #[allow(clippy::cast_precision_loss)]
    pub fn find(self, docs: &[(&str, &str)], threshold: f64) -> Vec<FoundLeak> {
        use rayon::prelude::*;
        let LeakTexts {
            sizes,
            owners,
            mut pairs,
        } = self;
        // Sorted, each shingle's texts are one run of `held`, found through `holders` (no
        // list per shingle: those took ~0.3 KB a question).
        pairs.sort_unstable();
        let held: Vec<u32> = pairs.iter().map(|p| p.1).collect();
        let mut holders: rustc_hash::FxHashMap<u64, (u32, u32)> = rustc_hash::FxHashMap::default();
        for (run, at) in pairs.chunk_by(|a, b| a.0 == b.0).scan(0usize, |at, run| {
            let start = *at;
            *at += run.len();
            Some((run, start))
        }) {
            let (start, end) = (at, at + run.len());
            // Positions past u32: the run is left out (as a text past u32 was numbered u32::MAX).
            if let (Ok(s), Ok(e)) = (u32::try_from(start), u32::try_from(end)) {
                holders.insert(run[0].0, (s, e));
            }
        }
        drop(pairs);
        // Per text, the best document: (shared shingles, document number); more shared wins, then
        // the earlier document. Documents are scanned in parallel and the bests merged by that
        // rule, so the result does not depend on the thread count.
        let better = |a: (usize, usize), b: (usize, usize)| -> (usize, usize) {
            if b.0 > a.0 || (b.0 == a.0 && b.0 > 0 && b.1 < a.1) {
                b
            } else {
                a
            }
        };
        let merge = |mut a: Vec<(usize, usize)>, b: Vec<(usize, usize)>| {
            for (x, y) in a.iter_mut().zip(b) {
                *x = better(*x, y);
            }
            a
        };
        let best: Vec<(usize, usize)> = if sizes.is_empty() {
            Vec::new()
        } else {
            // A few documents' worth per task at least: each task's bests are a list as long as
            // the texts, so tasks are kept to about one per thread.
            let per_task = docs
                .len()
                .div_ceil(rayon::current_num_threads().max(1))
                .max(1);
            docs.par_iter()
                .enumerate()
                .with_min_len(per_task)
                .fold(
                    || (vec![(0usize, usize::MAX); sizes.len()], Vec::<u32>::new()),
                    |(mut best, mut touched), (i, (_, text))| {
                        touched.clear();
                        for h in ragdiag_core::word_shingles(text) {
                            if let Some(&(s, e)) = holders.get(&h) {
                                touched.extend_from_slice(&held[s as usize..e as usize]);
                            }
                        }
                        touched.sort_unstable();
                        for run in touched.chunk_by(|a, b| a == b) {
                            let t = run[0] as usize;
                            best[t] = better(best[t], (run.len(), i));
                        }
                        (best, touched)
                    },
                )
                .map(|(best, _)| best)
                .reduce(|| vec![(0usize, usize::MAX); sizes.len()], merge)
        };
        let found = |t: usize| -> Option<(usize, f64)> {
            let (n, doc) = best[t];
            (n > 0).then(|| (doc, n as f64 / sizes[t] as f64))
        };
        // Per question, the question's leak, then its answers' most contained.
        let mut out = Vec::new();
        let mut t = 0;
        while t < owners.len() {
            let question = owners[t].0;
            let end = t + owners[t..].partition_point(|o| o.0 == question);
            let mut push = |field: &'static str, found: Option<(usize, f64)>| {
                if let Some((d, c)) = found.filter(|(_, c)| *c >= threshold) {
                    out.push(FoundLeak {
                        question,
                        field,
                        doc: docs[d].0.to_owned(),
                        containment: c,
                    });
                }
            };
            let asked = (t..end).find(|&k| !owners[k].1).and_then(&found);
            push("question", asked);
            let answer = (t..end)
                .filter(|&k| owners[k].1)
                .filter_map(&found)
                .max_by(|a, b| a.1.total_cmp(&b.1));
            push("reference_answer", answer);
            t = end;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ragdiag_core::Judgment;

    fn src(name: &str, q: &str, docs: &[&str]) -> PoolSource {
        PoolSource {
            name: name.into(),
            rankings: vec![(q.into(), docs.iter().map(|d| (*d).to_owned()).collect())],
        }
    }

    #[test]
    fn pool_keeps_unjudged_within_depth_once_and_orders_by_discounted_rank() {
        let q = Query {
            id: "q1".into(),
            text: "x".into(),
            relevant: vec![Judgment {
                doc: "a".into(),
                grade: 0,
            }],
            ..Query::default()
        };
        let judged = Qrels::from_queries([&q]);
        let sources = [
            src("s1", "q1", &["a", "b", "c", "d"]),
            src("s2", "q1", &["c", "b", "b", "e"]),
        ];
        let items = pool(std::slice::from_ref(&q), &judged, &sources, 3);
        let docs: Vec<&str> = items.iter().map(|i| i.doc.as_str()).collect();
        // a is judged (grade 0 counts); d lies below depth 3; s2's second "b" counts once,
        // so e is its rank 3.
        assert_eq!(docs, ["c", "b", "e"]);
        // c: rank 3 in s1 and 1 in s2; b: rank 2 in both.
        let c = 1.0 / 4f64.log2() + 1.0;
        let b = 2.0 / 3f64.log2();
        assert!((items[0].priority - c).abs() < 1e-12);
        assert!((items[1].priority - b).abs() < 1e-12);
        assert!((items[2].priority - 0.5).abs() < 1e-12);
        assert_eq!(items[0].ranks, [("s1".to_owned(), 3), ("s2".to_owned(), 1)]);
        assert_eq!(items[0].best_rank, 1);
    }

    #[test]
    fn judged_at_counts_distinct_top_documents() {
        let q = Query {
            id: "q1".into(),
            relevant: vec![Judgment {
                doc: "b".into(),
                grade: 0,
            }],
            ..Query::default()
        };
        let judged = Qrels::from_queries([&q]);
        let s = PoolSource {
            name: "s".into(),
            rankings: vec![
                (
                    "q1".into(),
                    vec!["a".into(), "a".into(), "b".into(), "c".into()],
                ),
                ("q2".into(), vec!["x".into()]),
                ("q3".into(), vec![]),
            ],
        };
        // q1's top 2 distinct documents are a and b: one judged. q2: none. q3: left out.
        assert_eq!(judged_at(&judged, &s, 2), [0.5, 0.0]);
    }

    #[test]
    fn pool_priority_scales_with_the_question_weight() {
        let heavy = Query {
            id: "q1".into(),
            weight: 5.0,
            ..Query::default()
        };
        let sources = [PoolSource {
            name: "s".into(),
            rankings: vec![
                ("q1".into(), vec!["x".into()]),
                ("q2".into(), vec!["y".into()]),
            ],
        }];
        let items = pool(&[heavy], &Qrels::default(), &sources, 10);
        assert_eq!(items[0].doc, "x");
        assert!((items[0].priority - 5.0).abs() < 1e-12);
        assert!((items[1].priority - 1.0).abs() < 1e-12);
    }

    #[test]
    fn candidates_mark_sentences_sharing_the_question_words() {
        let text = "Welcome to billing. Growth costs $39 per month and includes 3 users.\nRefunds take 5 days.";
        let segs = evidence_candidates("how much is the growth plan per month now?", text);
        let joined: String = segs.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(joined, text);
        let marked: Vec<&str> = segs
            .iter()
            .filter(|s| s.candidate)
            .map(|s| s.text.trim())
            .collect();
        assert_eq!(marked, ["Growth costs $39 per month and includes 3 users."]);
    }

    #[test]
    fn stop_list_is_sorted() {
        assert!(STOP.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn cohen_kappa_matches_the_textbook_example() {
        // 50 items: both yes 20, a yes b no 5, a no b yes 10, both no 15:
        // p_o = 0.7, p_e = 0.5·0.6 + 0.5·0.4 = 0.5, κ = 0.4.
        let mut a = Vec::new();
        let mut b = Vec::new();
        for (x, y, n) in [(1, 1, 20), (1, 0, 5), (0, 1, 10), (0, 0, 15)] {
            for _ in 0..n {
                a.push(x);
                b.push(y);
            }
        }
        assert!((cohen_kappa(&a, &b).unwrap() - 0.4).abs() < 1e-12);
        assert_eq!(cohen_kappa(&[1, 1], &[1, 1]), None);
        assert_eq!(cohen_kappa(&[1], &[1, 0]), None);
    }

    #[test]
    fn fleiss_kappa_matches_fleiss_worked_example() {
        // Fleiss (1971)'s layout as usually reproduced: 10 items, 14 raters, 5 categories;
        // P̄ = 0.378, P̄e = 0.213, κ ≈ 0.210.
        let table: [[usize; 5]; 10] = [
            [0, 0, 0, 0, 14],
            [0, 2, 6, 4, 2],
            [0, 0, 3, 5, 6],
            [0, 3, 9, 2, 0],
            [2, 2, 8, 1, 1],
            [7, 7, 0, 0, 0],
            [3, 2, 6, 3, 0],
            [2, 5, 3, 2, 2],
            [6, 5, 2, 1, 0],
            [0, 2, 2, 3, 7],
        ];
        let items: Vec<Vec<i64>> = table
            .iter()
            .map(|row| {
                row.iter()
                    .enumerate()
                    .flat_map(|(g, n)| std::iter::repeat_n(i64::try_from(g).unwrap(), *n))
                    .collect()
            })
            .collect();
        let k = fleiss_kappa(&items).unwrap();
        assert!((k - 0.2099).abs() < 5e-4, "{k}");
        // Two raters: Fleiss' kappa is Scott's pi, perfect agreement on two grades gives 1.
        assert!((fleiss_kappa(&[vec![1, 1], vec![0, 0]]).unwrap() - 1.0).abs() < 1e-12);
        assert_eq!(fleiss_kappa(&[vec![1, 1], vec![0]]), None);
    }

    #[test]
    fn resolution_is_the_majority_and_a_tie_goes_low() {
        assert_eq!(resolve_grade(&[2, 2, 0]), 2);
        assert_eq!(resolve_grade(&[3, 1]), 1);
        assert_eq!(resolve_grade(&[0, 3, 3, 1, 1]), 1);
    }

    fn label(q: &str, d: &str, g: i64, who: &str, at: &str) -> Label {
        Label {
            query_id: q.into(),
            doc: d.into(),
            grade: g,
            labeller: who.into(),
            labelled_at: Some(at.into()),
            doc_hash: Some(format!("h-{who}")),
            note: None,
        }
    }

    #[test]
    fn merge_resolves_pairs_and_measures_agreement_on_shared_pairs() {
        let labels = [
            label("q1", "a", 3, "ann", "2026-01-01"),
            label("q1", "a", 2, "bob", "2026-01-02"),
            label("q1", "b", 0, "ann", "2026-01-01"),
            label("q1", "b", 0, "bob", "2026-01-02"),
            label("q1", "c", 1, "ann", "2026-01-01"),
            // ann changes her mind: the later label wins.
            label("q1", "b", 1, "ann", "2026-01-03"),
        ];
        let m = merge_labels(&labels);
        assert_eq!(m.resolved.len(), 3);
        let a = &m.resolved[0];
        assert_eq!((a.doc.as_str(), a.grade, a.conflict()), ("a", 2, true));
        assert_eq!(a.doc_hash.as_deref(), Some("h-bob"));
        assert!(a.hashes_differ);
        let b = &m.resolved[1];
        assert_eq!((b.grade, b.grades["ann"]), (0, 1));
        let ag = m.agreement.unwrap();
        assert_eq!((ag.method, ag.items, ag.unanimous), ("cohen", 2, 0));
        // ann (3, 1) vs bob (2, 0): no agreement and no shared grade: κ = 0.
        assert!((ag.kappa.unwrap() - 0.0).abs() < 1e-12);
        assert!(merge_labels(&labels[..1]).agreement.is_none());
    }

    fn tied(hash: Option<&str>, quote: Option<&str>, span: Option<(usize, usize)>) -> TiedLabel {
        TiedLabel {
            query_id: "q".into(),
            doc: "d".into(),
            doc_hash: hash.map(str::to_owned),
            quote: quote.map(str::to_owned),
            span,
        }
    }

    #[test]
    fn labels_on_changed_documents_need_review_and_evidence_is_found_moved_or_gone() {
        let now = CurrentDoc {
            text: "Intro. Growth costs $39 per month.",
            hash: "h2",
            deleted: false,
            superseded_by: None,
        };
        // A judgment: current, changed, untied.
        assert_eq!(
            check_label(&tied(Some("h2"), None, None), Some(now)),
            (DocState::Current, None)
        );
        let (st, ev) = check_label(&tied(Some("h1"), None, None), Some(now));
        assert!(st.needs_review() && ev.is_none());
        assert_eq!(
            check_label(&tied(None, None, None), Some(now)).0,
            DocState::Untied
        );
        // Evidence on the changed text: at its old start (7), elsewhere, or gone.
        let q = "Growth costs $39 per month.";
        assert_eq!(
            check_label(&tied(Some("h1"), Some(q), Some((7, 34))), Some(now)).1,
            Some(EvidenceState::Found)
        );
        assert_eq!(
            check_label(&tied(Some("h1"), Some(q), Some((0, 27))), Some(now)).1,
            Some(EvidenceState::Moved(7, 34))
        );
        assert_eq!(
            check_label(
                &tied(Some("h1"), Some("Growth costs $32 per month."), None),
                Some(now)
            )
            .1,
            Some(EvidenceState::Gone)
        );
        assert_eq!(
            check_label(&tied(Some("h1"), None, Some((0, 5))), Some(now)).1,
            Some(EvidenceState::Unverifiable)
        );
        // Unchanged text: found without looking.
        assert_eq!(
            check_label(&tied(Some("h2"), None, Some((0, 5))), Some(now)).1,
            Some(EvidenceState::Found)
        );
        // Missing, deleted, superseded documents.
        assert_eq!(
            check_label(&tied(Some("h1"), Some(q), None), None),
            (DocState::Missing, Some(EvidenceState::Gone))
        );
        let gone = CurrentDoc {
            deleted: true,
            ..now
        };
        assert_eq!(
            check_label(&tied(Some("h2"), None, None), Some(gone)).0,
            DocState::Deleted
        );
        let old = CurrentDoc {
            superseded_by: Some("d2"),
            ..now
        };
        let st = check_label(&tied(Some("h2"), None, None), Some(old)).0;
        assert_eq!(st, DocState::Superseded("d2".into()));
        assert!(st.needs_review());
    }

    #[test]
    fn leakage_finds_copied_questions_and_answers_by_containment() {
        let docs = [
            (
                "faq",
                "Q: how do i export my invoices to csv? A: Use Reports, then Export.",
            ),
            (
                "guide",
                "Invoices can be exported from the reports page as a spreadsheet.",
            ),
        ];
        let q = |id: &str, text: &str, answers: &[&str]| Query {
            id: id.into(),
            text: text.into(),
            reference_answers: answers.iter().map(|a| (*a).to_owned()).collect(),
            ..Query::default()
        };
        let queries = [
            // All 6 shingles of the question are in faq: containment 1.
            q("q1", "How do I export my invoices to CSV", &["$39"]),
            // 3 of its 4 shingles ("how do i", "do i export", "i export my"): 0.75.
            q("q2", "how do i export my receipts", &[]),
            // Its answer is copied (4 words: too short to test) and so is nothing else.
            q(
                "q3",
                "what is the refund window for annual plans",
                &["Use Reports, then Export"],
            ),
            q("q4", "a b", &["reports page as a spreadsheet for you"]),
        ];
        let leaks = leakage(&queries, &docs, 0.6);
        let got: Vec<(&str, &str, &str, f64)> = leaks
            .iter()
            .map(|l| (l.query_id.as_str(), l.field, l.doc.as_str(), l.containment))
            .collect();
        assert_eq!(
            got,
            [
                ("q1", "question", "faq", 1.0),
                ("q2", "question", "faq", 0.75),
                // 3 of its 5 shingles are in guide: exactly the threshold.
                ("q4", "reference_answer", "guide", 0.6),
            ]
        );
        assert_eq!(leakage(&queries, &docs, 0.61).len(), 2);
    }

    /// The former implementation, an inverted index of every document's shingles: the
    /// reference the streaming one must equal.
    #[allow(clippy::cast_precision_loss)]
    fn leakage_by_corpus_index(
        queries: &[Query],
        docs: &[(&str, &str)],
        threshold: f64,
    ) -> Vec<Leak> {
        let mut postings: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
        for (i, (_, text)) in docs.iter().enumerate() {
            for h in ragdiag_core::word_shingles(text) {
                postings.entry(h).or_default().push(i);
            }
        }
        let best = |text: &str| -> Option<(usize, f64)> {
            if ragdiag_core::words(text).len() < LEAK_MIN_WORDS {
                return None;
            }
            let sh = ragdiag_core::word_shingles(text);
            let mut counts: BTreeMap<usize, usize> = BTreeMap::new();
            for h in &sh {
                for d in postings.get(h).into_iter().flatten() {
                    *counts.entry(*d).or_default() += 1;
                }
            }
            let (doc, n) = counts
                .into_iter()
                .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))?;
            Some((doc, n as f64 / sh.len() as f64))
        };
        let mut out = Vec::new();
        for q in queries {
            let mut push = |field: &'static str, found: Option<(usize, f64)>| {
                if let Some((d, c)) = found.filter(|(_, c)| *c >= threshold) {
                    out.push(Leak {
                        query_id: q.id.clone(),
                        field,
                        doc: docs[d].0.to_owned(),
                        containment: c,
                    });
                }
            };
            push("question", best(&q.text));
            let answer = q
                .reference_answers
                .iter()
                .filter_map(|a| best(a))
                .max_by(|a, b| a.1.total_cmp(&b.1));
            push("reference_answer", answer);
        }
        out
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]
        /// Texts of a six-word vocabulary, so that documents share shingles with the questions
        /// and with each other (ties between documents included), on 1 to 40 documents: the
        /// streamed scan finds what the corpus index found, in the same order.
        #[test]
        fn leakage_equals_the_corpus_index(
            docs in proptest::collection::vec(proptest::collection::vec(0usize..6, 0..30), 1..40),
            qs in proptest::collection::vec(
                (proptest::collection::vec(0usize..6, 0..12),
                 proptest::collection::vec(proptest::collection::vec(0usize..6, 0..12), 0..3)),
                0..8),
            threshold in 0.0f64..1.0,
        ) {
            const WORDS: [&str; 6] = ["export", "Invoices", "csv", "the", "reports", "plan"];
            let text = |w: &[usize]| w.iter().map(|&i| WORDS[i]).collect::<Vec<_>>().join(" ");
            let names: Vec<String> = (0..docs.len()).map(|i| format!("d{i}")).collect();
            let bodies: Vec<String> = docs.iter().map(|d| text(d)).collect();
            let docs: Vec<(&str, &str)> = names
                .iter()
                .zip(&bodies)
                .map(|(n, b)| (n.as_str(), b.as_str()))
                .collect();
            let queries: Vec<Query> = qs
                .iter()
                .enumerate()
                .map(|(i, (q, answers))| Query {
                    id: format!("q{i}"),
                    text: text(q),
                    reference_answers: answers.iter().map(|a| text(a)).collect(),
                    ..Query::default()
                })
                .collect();
            proptest::prop_assert_eq!(
                leakage(&queries, &docs, threshold),
                leakage_by_corpus_index(&queries, &docs, threshold)
            );
            // Looked for a batch of questions at a time (a new batch after every `cut`
            // questions), the leaks are the same, in the same order.
            let all = |cut: usize| -> Vec<FoundLeak> {
                let (mut texts, mut found) = (LeakTexts::default(), Vec::new());
                for (i, q) in queries.iter().enumerate() {
                    texts.add(i, &q.text, &q.reference_answers);
                    if (i + 1) % cut == 0 {
                        found.extend(std::mem::take(&mut texts).find(&docs, threshold));
                    }
                }
                found.extend(texts.find(&docs, threshold));
                found
            };
            let whole = all(usize::MAX);
            for cut in 1..=3 {
                proptest::prop_assert_eq!(&all(cut), &whole, "{}", cut);
            }
        }
    }

    #[test]
    fn drop_labels_removes_only_the_stale_judgments_and_evidence() {
        let mut qs = vec![Query {
            id: "q1".into(),
            relevant: vec![
                Judgment {
                    doc: "a".into(),
                    grade: 2,
                },
                Judgment {
                    doc: "b".into(),
                    grade: 1,
                },
            ],
            evidence: vec![
                ragdiag_core::Evidence::Quote {
                    doc: "a".into(),
                    quote: "old words".into(),
                },
                ragdiag_core::Evidence::Quote {
                    doc: "a".into(),
                    quote: "other words".into(),
                },
                ragdiag_core::Evidence::Span {
                    doc: "b".into(),
                    start: 0,
                    end: 4,
                },
            ],
            ..Query::default()
        }];
        let stale = [
            TiedLabel {
                query_id: "q1".into(),
                doc: "a".into(),
                doc_hash: Some("sha256:old".into()),
                quote: None,
                span: None,
            },
            TiedLabel {
                query_id: "q1".into(),
                doc: "a".into(),
                doc_hash: Some("sha256:old".into()),
                quote: Some("old words".into()),
                span: None,
            },
            TiedLabel {
                query_id: "q1".into(),
                doc: "b".into(),
                doc_hash: Some("sha256:old".into()),
                quote: None,
                span: Some((0, 4)),
            },
            // Another question's label touches nothing here.
            TiedLabel {
                query_id: "q2".into(),
                doc: "b".into(),
                doc_hash: None,
                quote: None,
                span: None,
            },
        ];
        assert_eq!(drop_labels(&mut qs, &stale), (1, 2));
        assert_eq!(qs[0].relevant.len(), 1);
        assert_eq!(qs[0].relevant[0].doc, "b");
        assert_eq!(
            qs[0].evidence,
            [ragdiag_core::Evidence::Quote {
                doc: "a".into(),
                quote: "other words".into(),
            }]
        );
        assert_eq!("exclude".parse(), Ok(StaleLabels::Exclude));
        assert!("drop".parse::<StaleLabels>().is_err());
        assert_eq!(StaleLabels::default().name(), "flag");
    }
}
