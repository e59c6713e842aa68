//! The vocabulary of a diagnosis: classes, flags, rules, and the per-question result.

use crate::answer::Correctness;
use crate::ground::Grounding;
use serde::{Deserialize, Serialize, Serializer};
use std::collections::BTreeSet;
use std::fmt;

/// Where the ranking comes from (DESIGN.md, "Modes").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// ragdiag's own chunker and retriever; the pool is the top `pool_k`; answers are not
    /// assessed.
    #[default]
    Replay,
    /// A production trace: its `retrieved` list is the ranking, `candidates` (when given) the
    /// pool, and its answers are assessed.
    Trace,
}

/// The primary class of a question: the first rule of DESIGN.md's decision order that holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    /// No labels at all: reported, not scored.
    NoLabel,
    /// Nothing went wrong (or, for unanswerable questions, the answer abstained).
    Ok,
    /// No live document holds the evidence.
    CorpusGap,
    /// Unanswerable question with no answer to assess (replay).
    Unanswerable,
    /// A stale version of the gold won, or the gold itself is stale.
    StaleSource,
    /// The evidence exists but the chunks cut it apart.
    ChunkingSplit,
    /// No chunk holding the evidence is in the pool.
    RetrievalMiss,
    /// A chunk holding the evidence is in the pool but below the context window.
    RankingMiss,
    /// The evidence was in the window but the answer is wrong or not grounded.
    GenerationFailure,
}

impl Class {
    /// Every class, in the order reports list them.
    pub const ALL: [Class; 9] = [
        Class::NoLabel,
        Class::Ok,
        Class::CorpusGap,
        Class::Unanswerable,
        Class::StaleSource,
        Class::ChunkingSplit,
        Class::RetrievalMiss,
        Class::RankingMiss,
        Class::GenerationFailure,
    ];

    /// The snake_case name of DESIGN.md.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Class::NoLabel => "no_label",
            Class::Ok => "ok",
            Class::CorpusGap => "corpus_gap",
            Class::Unanswerable => "unanswerable",
            Class::StaleSource => "stale_source",
            Class::ChunkingSplit => "chunking_split",
            Class::RetrievalMiss => "retrieval_miss",
            Class::RankingMiss => "ranking_miss",
            Class::GenerationFailure => "generation_failure",
        }
    }

    /// The class named `name` (DESIGN.md's snake_case).
    #[must_use]
    pub fn from_name(name: &str) -> Option<Class> {
        Class::ALL.into_iter().find(|c| c.as_str() == name)
    }
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// A condition seen on the way, whatever the class (DESIGN.md, "Flags").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    /// The question is unanswerable, or no live document holds its evidence.
    CorpusGap,
    /// A stale document is inside the context window.
    StaleInContext,
    /// No pool chunk holds the evidence, while at least two pool chunks of its document each
    /// hold part of it.
    ChunkingSplit,
    /// The window holds two versions of one document, or both documents of a conflict.
    ConflictingVersions,
    /// Near-identical chunks (word 3-shingle Jaccard at or above the threshold, 0.8 by
    /// default) take at least half of the window's slots.
    NearDuplicateCrowding,
    /// Only the lexical retriever found a chunk holding the evidence.
    LexicalOnly,
    /// Only the dense retriever found a chunk holding the evidence.
    SemanticOnly,
    /// A quote was located only after whitespace and case normalisation.
    NormalisedQuoteMatch,
    /// A live document not labelled relevant holds the evidence.
    LabelNoise,
}

impl Flag {
    /// Every flag, in DESIGN.md's order.
    pub const ALL: [Flag; 9] = [
        Flag::CorpusGap,
        Flag::StaleInContext,
        Flag::ChunkingSplit,
        Flag::ConflictingVersions,
        Flag::NearDuplicateCrowding,
        Flag::LexicalOnly,
        Flag::SemanticOnly,
        Flag::NormalisedQuoteMatch,
        Flag::LabelNoise,
    ];

    /// The snake_case name of DESIGN.md.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Flag::CorpusGap => "corpus_gap",
            Flag::StaleInContext => "stale_in_context",
            Flag::ChunkingSplit => "chunking_split",
            Flag::ConflictingVersions => "conflicting_versions",
            Flag::NearDuplicateCrowding => "near_duplicate_crowding",
            Flag::LexicalOnly => "lexical_only",
            Flag::SemanticOnly => "semantic_only",
            Flag::NormalisedQuoteMatch => "normalised_quote_match",
            Flag::LabelNoise => "label_noise",
        }
    }

    /// The flag named `name`.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Flag> {
        Flag::ALL.into_iter().find(|c| c.as_str() == name)
    }
}

impl fmt::Display for Flag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// The rule of the decision order that fired. Serialised as `{"number": 5, "name":
/// "stale_gold"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    /// 1: no labels.
    NoLabel,
    /// 2: `answerable: false`, scored on abstention.
    Unanswerable,
    /// 3: trace mode, the answer is correct and grounded.
    CorrectAndGrounded,
    /// 4: no live document holds the evidence.
    NoLiveEvidence,
    /// 5: a stale version of a gold document is in the window above the best gold chunk (or
    /// with no gold chunk in the window).
    StaleVersionInWindow,
    /// 5: the labelled gold document is itself stale.
    StaleGold,
    /// 6: no chunk holds the evidence, while pool chunks of its document each hold part of it.
    EvidenceSplit,
    /// 7: no chunk holding the evidence is in the pool.
    NotInPool,
    /// 8: a chunk holding the evidence is in the pool but not in the window.
    BelowWindow,
    /// 9: trace mode, the evidence is in the window but the answer is wrong or not grounded.
    BadAnswer,
    /// 10: the evidence is in the window and no answer is assessed (replay, or a trace line
    /// without an answer).
    EvidenceInWindow,
}

impl Rule {
    /// The number of the rule in DESIGN.md's decision order.
    #[must_use]
    pub fn number(self) -> u8 {
        match self {
            Rule::NoLabel => 1,
            Rule::Unanswerable => 2,
            Rule::CorrectAndGrounded => 3,
            Rule::NoLiveEvidence => 4,
            Rule::StaleVersionInWindow | Rule::StaleGold => 5,
            Rule::EvidenceSplit => 6,
            Rule::NotInPool => 7,
            Rule::BelowWindow => 8,
            Rule::BadAnswer => 9,
            Rule::EvidenceInWindow => 10,
        }
    }

    /// A short machine name.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Rule::NoLabel => "no_label",
            Rule::Unanswerable => "unanswerable",
            Rule::CorrectAndGrounded => "correct_and_grounded",
            Rule::NoLiveEvidence => "no_live_evidence",
            Rule::StaleVersionInWindow => "stale_version_in_window",
            Rule::StaleGold => "stale_gold",
            Rule::EvidenceSplit => "evidence_split",
            Rule::NotInPool => "not_in_pool",
            Rule::BelowWindow => "below_window",
            Rule::BadAnswer => "bad_answer",
            Rule::EvidenceInWindow => "evidence_in_window",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.number(), self.name())
    }
}

impl Serialize for Rule {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Rule", 2)?;
        st.serialize_field("number", &self.number())?;
        st.serialize_field("name", self.name())?;
        st.end()
    }
}

/// How "a chunk holds the evidence" was decided for a question (DESIGN.md, "Definitions").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceRule {
    /// The question has evidence spans or quotes: a chunk holds the evidence when it covers at
    /// least `cover` of one span's code points.
    SpanCover,
    /// No evidence, but relevant documents: a chunk of a live relevant document (grade > 0)
    /// holds it.
    RelevantDocument,
    /// Only reference answers (a ragdiag extension, DESIGN.md is silent): a chunk holds the
    /// evidence when its text contains an accepted answer after normalisation. Rules 4 to 6
    /// are not assessed.
    AnswerText,
}

/// One located piece of gold evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GoldSpan {
    /// The document.
    pub doc: String,
    /// First code point (inclusive).
    pub start: usize,
    /// Last code point (exclusive).
    pub end: usize,
    /// Index of the query's evidence item it comes from.
    pub evidence: usize,
    /// The document is labelled (the evidence's document or a relevant one); `false` for a
    /// label-noise occurrence in another live document.
    pub labelled: bool,
    /// Located only by the whitespace- and case-normalised match.
    pub normalised: bool,
    /// The document is live (present and not deleted).
    pub live: bool,
}

/// A stale document inside the context window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StaleHit {
    /// Rank (1-based).
    pub rank: usize,
    /// The document.
    pub doc: String,
    /// `deleted`, `expired` or `superseded`.
    pub reason: &'static str,
    /// The newer document that replaces it, if known.
    pub superseded_by: Option<String>,
    /// It is a stale version of one of the question's gold documents (rule 5).
    pub version_of_gold: bool,
}

/// A pool chunk that holds part, but not enough, of an evidence span.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SplitPart {
    /// Rank in the ranking (1-based); `None` for a pre-rerank candidate only.
    pub rank: Option<usize>,
    /// The document.
    pub doc: String,
    /// First code point of the chunk.
    pub start: usize,
    /// Last code point of the chunk (exclusive).
    pub end: usize,
    /// Share of the evidence span's code points it covers.
    pub coverage: f64,
}

/// A chunk of the context window, as the report shows "what was retrieved instead".
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WindowItem {
    /// Rank (1-based).
    pub rank: usize,
    /// The document.
    pub doc: String,
    /// Code-point span, when known.
    pub span: Option<(usize, usize)>,
    /// It holds the evidence.
    pub holds_evidence: bool,
    /// Its document is stale.
    pub stale: bool,
}

/// The assessment of a trace answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnswerAssessment {
    /// Correct: not an abstention, and it contains an accepted answer after normalisation or
    /// has token F1 ≥ the threshold with one. `None` when the question has no reference answer.
    pub correct: Option<bool>,
    /// Containment, exact match and best F1 against the accepted answers.
    pub correctness: Correctness,
    /// It declines to answer.
    pub abstained: bool,
    /// The abstention phrase that matched (normalised), if any.
    pub abstention_phrase: Option<String>,
    /// Sentence-level groundedness against the context window (abstentions are trivially
    /// grounded).
    pub grounding: Grounding,
}

impl AnswerAssessment {
    /// Every sentence is supported by the context window.
    #[must_use]
    pub fn grounded(&self) -> bool {
        self.grounding.grounded
    }
}

/// The diagnosis of one question.
///
/// # Warning
///
/// The serialised form is what reports write; field names and class, flag and rule names are
/// a compatibility promise ([`SCHEMA_VERSION`](crate::SCHEMA_VERSION)).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diagnosis {
    /// The question.
    pub query_id: String,
    /// The primary class.
    pub class: Class,
    /// Every flag that holds, sorted in DESIGN.md's order.
    pub flags: BTreeSet<Flag>,
    /// The rule that fired.
    pub rule: Rule,
    /// One plain-language sentence naming the evidence.
    pub reason: String,
    /// How "holds the evidence" was decided; `None` when no rule needed it (rules 1 and 2).
    pub evidence_rule: Option<EvidenceRule>,
    /// The located evidence (span rule only).
    pub gold: Vec<GoldSpan>,
    /// Rank of the best-ranked chunk holding the evidence, if one is in the ranking.
    pub best_gold_rank: Option<usize>,
    /// Whether a chunk holding the evidence is in the pool.
    pub gold_in_pool: bool,
    /// Number of distinct items in the candidate pool.
    pub pool_size: usize,
    /// The context window's size (chunks).
    pub context_k: usize,
    /// The context window.
    pub window: Vec<WindowItem>,
    /// One verdict per ranked item of the input ([`QueryInput::retrieved`](crate::QueryInput),
    /// best first): whether it holds the evidence, by exactly the test that decided the class
    /// ([`Diagnosis::evidence_rule`]; only evidence in live documents counts, so a chunk of a
    /// deleted document never does). Items past the pool (replay: below the top `pool_k`) are
    /// judged by the same test, though only the pool counts for the class. All `false` when
    /// no rule needed the evidence (rules 1 and 2).
    pub holds_evidence: Vec<bool>,
    /// The stale documents in the window.
    pub stale_in_window: Vec<StaleHit>,
    /// The pool chunks that each hold part of an evidence span (when the evidence is split).
    pub split: Vec<SplitPart>,
    /// Live documents not labelled relevant that hold the evidence.
    pub label_noise: Vec<String>,
    /// The answer's assessment (trace mode, when the trace has an answer).
    pub answer: Option<AnswerAssessment>,
    /// The question's traffic weight.
    pub weight: f64,
}
