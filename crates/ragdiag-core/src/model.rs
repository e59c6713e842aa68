//! Documents, chunks, queries, qrels and runs.

use crate::{Location, Timestamp};
use indexmap::IndexMap;
use rustc_hash::FxBuildHasher;
use std::collections::BTreeMap;

/// One document of a corpus, with the freshness fields of DESIGN.md.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Document {
    /// Unique id within the corpus.
    pub id: String,
    /// Optional title; not part of [`Document::text`], so offsets never count it.
    pub title: Option<String>,
    /// The stored text. Every offset in the project is a code-point index into it.
    pub text: String,
    /// Where the document is published.
    pub url: Option<String>,
    /// The system or folder it came from.
    pub source: Option<String>,
    /// Last update. `None` means undated: its stale flag is unknown, never false.
    pub updated_at: Option<Timestamp>,
    /// Free-form version label.
    pub version: Option<String>,
    /// Id of the older document this one replaces.
    pub supersedes: Option<String>,
    /// After this instant the document is expired.
    pub valid_until: Option<Timestamp>,
    /// Marked deleted: present in the corpus but not live.
    pub deleted: bool,
    /// Product areas or other labels.
    pub tags: Vec<String>,
    /// Any extra fields, as JSON.
    pub metadata: Option<serde_json::Value>,
    /// Where the document was read from.
    pub origin: Location,
}

/// A span of a document: `start..end` in code points of [`Document::text`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Chunk {
    /// The document the chunk belongs to.
    pub doc_id: String,
    /// Position of the chunk within its document (0-based).
    pub index: u32,
    /// First code point (inclusive).
    pub start: usize,
    /// Last code point (exclusive).
    pub end: usize,
}

impl Chunk {
    /// A chunk of `doc_id` covering code points `start..end`.
    ///
    /// # Panics
    /// When `start > end`: chunkers must never produce reversed spans.
    pub fn new(doc_id: impl Into<String>, index: u32, start: usize, end: usize) -> Self {
        assert!(start <= end, "chunk span reversed: {start}..{end}");
        Chunk {
            doc_id: doc_id.into(),
            index,
            start,
            end,
        }
    }

    /// Length in code points.
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    /// Whether the span is empty.
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// The chunk's text within `doc_text` (which must be its document's text). Out-of-range
    /// spans are clamped to the end of the text.
    pub fn slice<'a>(&self, doc_text: &'a str) -> &'a str {
        let n = crate::char_len(doc_text);
        let (s, e) = (self.start.min(n), self.end.min(n));
        let (bs, be) = crate::char_span_to_bytes(doc_text, s, e).unwrap_or((0, 0));
        &doc_text[bs..be]
    }
}

/// A graded relevance judgment of one document for one query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judgment {
    /// The judged document.
    pub doc: String,
    /// The grade; above 0 is relevant (at the default relevance level 1), 0 judged non-relevant.
    pub grade: i64,
}

/// Gold evidence for a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Evidence {
    /// A code-point span of a document's text.
    Span {
        /// The document.
        doc: String,
        /// First code point (inclusive).
        start: usize,
        /// Last code point (exclusive).
        end: usize,
    },
    /// An exact quote, located in the document at load or diagnosis time.
    Quote {
        /// The document.
        doc: String,
        /// The quoted text.
        quote: String,
    },
}

impl Evidence {
    /// The document the evidence points at.
    pub fn doc(&self) -> &str {
        match self {
            Evidence::Span { doc, .. } | Evidence::Quote { doc, .. } => doc,
        }
    }
}

/// A question with its labels.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// Unique id.
    pub id: String,
    /// The question as asked.
    pub text: String,
    /// Graded relevant (and judged non-relevant) documents.
    pub relevant: Vec<Judgment>,
    /// Gold evidence spans or quotes.
    pub evidence: Vec<Evidence>,
    /// Accepted answers.
    pub reference_answers: Vec<String>,
    /// `false` for questions the corpus cannot answer.
    pub answerable: bool,
    /// When the labels were written.
    pub asked_at: Option<Timestamp>,
    /// Product areas or other labels.
    pub tags: Vec<String>,
    /// Traffic weight (default 1).
    pub weight: f64,
    /// Where the query was read from.
    pub origin: Location,
}

impl Default for Query {
    fn default() -> Self {
        Query {
            id: String::new(),
            text: String::new(),
            relevant: Vec::new(),
            evidence: Vec::new(),
            reference_answers: Vec::new(),
            answerable: true,
            asked_at: None,
            tags: Vec::new(),
            weight: 1.0,
            origin: Location::default(),
        }
    }
}

impl Query {
    /// Whether the query carries any label at all (DESIGN.md's `no_label` is the negation).
    pub fn is_labelled(&self) -> bool {
        !self.relevant.is_empty()
            || !self.evidence.is_empty()
            || !self.reference_answers.is_empty()
            || !self.answerable
    }
}

/// The judgments of one query, in file order, with a lookup by document id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueryJudgments {
    grades: IndexMap<String, i64, FxBuildHasher>,
}

impl QueryJudgments {
    /// Adds or replaces the grade of `doc`. Returns the previous grade if `doc` was judged.
    pub fn insert(&mut self, doc: impl Into<String>, grade: i64) -> Option<i64> {
        self.grades.insert(doc.into(), grade)
    }

    /// The grade of `doc`, if judged.
    pub fn grade(&self, doc: &str) -> Option<i64> {
        self.grades.get(doc).copied()
    }

    /// Every judged document with its grade, in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, i64)> {
        self.grades.iter().map(|(d, g)| (d.as_str(), *g))
    }

    /// Number of judged documents.
    pub fn len(&self) -> usize {
        self.grades.len()
    }

    /// Whether nothing is judged.
    pub fn is_empty(&self) -> bool {
        self.grades.is_empty()
    }
}

/// Relevance judgments for a set of queries, keyed by query id (sorted).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Qrels {
    /// Judgments per query id.
    pub queries: BTreeMap<String, QueryJudgments>,
}

impl Qrels {
    /// Builds qrels from the `relevant` lists of queries.
    pub fn from_queries<'a>(queries: impl IntoIterator<Item = &'a Query>) -> Qrels {
        let mut q = Qrels::default();
        for query in queries {
            if query.relevant.is_empty() {
                continue;
            }
            let j = q.queries.entry(query.id.clone()).or_default();
            for r in &query.relevant {
                j.insert(r.doc.clone(), r.grade);
            }
        }
        q
    }

    /// The judgments of `qid`.
    pub fn get(&self, qid: &str) -> Option<&QueryJudgments> {
        self.queries.get(qid)
    }

    /// Number of queries with judgments.
    pub fn len(&self) -> usize {
        self.queries.len()
    }

    /// Whether there are no judgments.
    pub fn is_empty(&self) -> bool {
        self.queries.is_empty()
    }
}

/// A retrieved document with its score.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoredDoc {
    /// Document id.
    pub docno: String,
    /// Retrieval score; higher is better.
    pub score: f64,
}

/// A ranked result list per query, as in a TREC run file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Run {
    /// The run tag (sixth column of a TREC run).
    pub name: String,
    /// Retrieved documents per query id, in file order (ordering is the evaluator's job).
    pub queries: BTreeMap<String, Vec<ScoredDoc>>,
}

impl Run {
    /// Total number of retrieved items.
    pub fn len(&self) -> usize {
        self.queries.values().map(Vec::len).sum()
    }

    /// Whether the run retrieves nothing.
    pub fn is_empty(&self) -> bool {
        self.queries.values().all(Vec::is_empty)
    }
}

/// One item a production system retrieved, as a trace records it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TraceHit {
    /// The document.
    pub doc: String,
    /// The system's chunk id, if it gave one.
    pub chunk: Option<String>,
    /// The chunk's text, located in the document to recover its offsets.
    pub text: Option<String>,
    /// The system's score.
    pub score: Option<f64>,
}

/// What a team's RAG system did for one question (one line of a trace file).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TraceRecord {
    /// The question.
    pub query_id: String,
    /// The context candidates in the order the system ranked them.
    pub retrieved: Vec<TraceHit>,
    /// The pre-rerank list, when given.
    pub candidates: Option<Vec<TraceHit>>,
    /// The generated answer.
    pub answer: Option<String>,
    /// End-to-end latency.
    pub latency_ms: Option<f64>,
    /// Prompt tokens.
    pub prompt_tokens: Option<f64>,
    /// Completion tokens.
    pub completion_tokens: Option<f64>,
    /// Where the line was read from.
    pub origin: Location,
}
