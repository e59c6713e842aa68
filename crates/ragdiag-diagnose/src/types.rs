//! The vocabulary of a diagnosis: classes, flags, rules, and the per-question result.

use crate::answer::Correctness;
use crate::ground::Grounding;
use ragdiag_core::DocId;
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
///
/// This is the one home of everything said about a class: its name ([`Class::as_str`]), the
/// words readers see ([`Class::label`], [`Class::short`], [`Class::cause`], [`Class::help`]),
/// its colour ([`Class::colour`], [`Class::tint`]), whether it is a failure
/// ([`Class::is_failure`]) and its place in the display order ([`Class::ALL`]). Reports and the
/// command line read them from here.
///
/// Variants are declared in [`Class::ALL`]'s order, so `Ord` is that order too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    /// No labels at all: reported, not scored.
    NoLabel,
    /// Unanswerable question with no answer to assess (replay).
    Unanswerable,
    /// Nothing went wrong (or, for unanswerable questions, the answer abstained).
    Ok,
    /// No live document holds the evidence.
    CorpusGap,
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

/// What readers are told about a class.
struct ClassMeta {
    name: &'static str,
    label: &'static str,
    short: &'static str,
    cause: &'static str,
    help: &'static str,
    colour: &'static str,
    tint: &'static str,
}

impl Class {
    /// Every class, in DESIGN.md's decision order: by the first rule that assigns it (1
    /// `no_label`, 2 `unanswerable`, 3 `ok`, 4 `corpus_gap`, 5 `stale_source`, 6
    /// `chunking_split`, 7 `retrieval_miss`, 8 `ranking_miss`, 9 `generation_failure`). Reports
    /// list classes in this order (the failures first, see [`Class::is_failure`]).
    pub const ALL: [Class; 9] = [
        Class::NoLabel,
        Class::Unanswerable,
        Class::Ok,
        Class::CorpusGap,
        Class::StaleSource,
        Class::ChunkingSplit,
        Class::RetrievalMiss,
        Class::RankingMiss,
        Class::GenerationFailure,
    ];

    /// Colours are Okabe–Ito (colour-blind safe); each tint is a light mix of its colour.
    const fn meta(self) -> ClassMeta {
        match self {
            Class::NoLabel => ClassMeta {
                name: "no_label",
                label: "No label",
                short: "no label",
                cause: "no label",
                help: "No relevance labels, evidence or reference answer: reported, not scored.",
                colour: "#BBBBBB",
                tint: "#F1F1F1",
            },
            Class::Unanswerable => ClassMeta {
                name: "unanswerable",
                label: "Unanswerable",
                short: "unanswerable",
                cause: "unanswerable questions",
                help: "Marked unanswerable, with no answer to assess.",
                colour: "#F0E442",
                tint: "#FCFAD9",
            },
            Class::Ok => ClassMeta {
                name: "ok",
                label: "OK",
                short: "ok",
                cause: "ok",
                help: "The evidence reached the context window (and, with a trace, the answer was \
                       correct and grounded).",
                colour: "#009E73",
                tint: "#CCECE3",
            },
            Class::CorpusGap => ClassMeta {
                name: "corpus_gap",
                label: "Corpus gap",
                short: "missing content",
                cause: "missing content (no live page holds the answer)",
                help: "No live document holds the evidence: the knowledge base lacks the fact.",
                colour: "#666666",
                tint: "#E0E0E0",
            },
            Class::StaleSource => ClassMeta {
                name: "stale_source",
                label: "Stale source",
                short: "stale content",
                cause: "stale content (a superseded or expired page won)",
                help: "A stale version of the gold document won a place in the context window, \
                       or the gold document is itself stale.",
                colour: "#D55E00",
                tint: "#F7DFCC",
            },
            Class::ChunkingSplit => ClassMeta {
                name: "chunking_split",
                label: "Chunking split",
                short: "chunking",
                cause: "chunking (the evidence is split across chunks)",
                help: "The evidence exists, but the chunker cut it apart: no single chunk holds \
                       it.",
                colour: "#CC79A7",
                tint: "#F5E4ED",
            },
            Class::RetrievalMiss => ClassMeta {
                name: "retrieval_miss",
                label: "Retrieval miss",
                short: "retrieval misses",
                cause: "retrieval (no chunk with the evidence was retrieved)",
                help: "No chunk holding the evidence was retrieved at all.",
                colour: "#E69F00",
                tint: "#FAECCC",
            },
            Class::RankingMiss => ClassMeta {
                name: "ranking_miss",
                label: "Ranking miss",
                short: "ranking misses",
                cause: "ranking (the evidence ranked below the context window)",
                help: "A chunk holding the evidence was retrieved, but ranked below the context \
                       window.",
                colour: "#56B4E9",
                tint: "#DDF0FB",
            },
            Class::GenerationFailure => ClassMeta {
                name: "generation_failure",
                label: "Generation failure",
                short: "generation",
                cause: "the generator (good context, wrong or ungrounded answer)",
                help: "The evidence was in the context window, but the answer was wrong or not \
                       grounded.",
                colour: "#0072B2",
                tint: "#CCE3F0",
            },
        }
    }

    /// The snake_case name of DESIGN.md (`stale_source`): what reports and `summary.json`
    /// write.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        self.meta().name
    }

    /// The class named `name` (DESIGN.md's snake_case); `None` for an unknown name.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Class> {
        Class::ALL.into_iter().find(|c| c.as_str() == name)
    }

    /// A reader's name, for headings, badges and tables: `Stale source`.
    #[must_use]
    pub const fn label(self) -> &'static str {
        self.meta().label
    }

    /// A short lower-case phrase for lists of causes: `stale content`.
    #[must_use]
    pub const fn short(self) -> &'static str {
        self.meta().short
    }

    /// The cause in plain words, as in "the largest cause of failure is …": `stale content (a
    /// superseded or expired page won)`.
    #[must_use]
    pub const fn cause(self) -> &'static str {
        self.meta().cause
    }

    /// One sentence on what the class means.
    #[must_use]
    pub const fn help(self) -> &'static str {
        self.meta().help
    }

    /// The class's colour (CSS hex), for charts and badges.
    #[must_use]
    pub const fn colour(self) -> &'static str {
        self.meta().colour
    }

    /// A light tint of [`Class::colour`], for backgrounds.
    #[must_use]
    pub const fn tint(self) -> &'static str {
        self.meta().tint
    }

    /// The question failed: every class but `ok`, `no_label` (not scored) and `unanswerable`
    /// (an unanswerable question with no answer to assess).
    #[must_use]
    pub const fn is_failure(self) -> bool {
        !matches!(self, Class::Ok | Class::NoLabel | Class::Unanswerable)
    }

    /// The position in [`Class::ALL`] (the display order).
    #[must_use]
    pub const fn order(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// A condition seen on the way, whatever the class (DESIGN.md, "Flags").
///
/// Like [`Class`], the one home of everything said about a flag: its name ([`Flag::as_str`]),
/// label ([`Flag::label`]), help ([`Flag::help`]) and order ([`Flag::ALL`], which `Ord`
/// follows).
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
    /// The answer's evidence came from a deleted or unknown document: the context chunk the
    /// answer draws on (the best-ranked one that contains an accepted answer, else the one
    /// that shares the most of the answer's content tokens) belongs to a document that is
    /// deleted or not in the corpus. Trace mode, answers that do not abstain.
    GhostCitation,
    /// Trace mode, with `candidates`: the pre-rerank candidates held the evidence inside the
    /// context window (a candidate of rank ≤ `context_k` holds it), the final ranking does not.
    RerankerDemotedGold,
    /// Trace mode, with `candidates`: the final ranking holds the evidence inside the context
    /// window, the pre-rerank candidates did not.
    RerankerPromotedGold,
}

/// What readers are told about a flag.
struct FlagMeta {
    name: &'static str,
    label: &'static str,
    help: &'static str,
}

impl Flag {
    /// Every flag, in DESIGN.md's order, then the ragdiag additions `ghost_citation`,
    /// `reranker_demoted_gold` and `reranker_promoted_gold`.
    pub const ALL: [Flag; 12] = [
        Flag::CorpusGap,
        Flag::StaleInContext,
        Flag::ChunkingSplit,
        Flag::ConflictingVersions,
        Flag::NearDuplicateCrowding,
        Flag::LexicalOnly,
        Flag::SemanticOnly,
        Flag::NormalisedQuoteMatch,
        Flag::LabelNoise,
        Flag::GhostCitation,
        Flag::RerankerDemotedGold,
        Flag::RerankerPromotedGold,
    ];

    const fn meta(self) -> FlagMeta {
        match self {
            Flag::CorpusGap => FlagMeta {
                name: "corpus_gap",
                label: "Corpus gap",
                help: "The question is unanswerable, or no live document holds its evidence.",
            },
            Flag::StaleInContext => FlagMeta {
                name: "stale_in_context",
                label: "Stale in context",
                help: "A stale (superseded, expired or deleted) document is inside the context \
                       window.",
            },
            Flag::ChunkingSplit => FlagMeta {
                name: "chunking_split",
                label: "Chunking split",
                help: "No chunk in the pool holds the evidence, while at least two chunks of its \
                       document each hold part of it.",
            },
            Flag::ConflictingVersions => FlagMeta {
                name: "conflicting_versions",
                label: "Conflicting versions",
                help: "The context window holds two versions of one document, or both \
                       documents of a conflict.",
            },
            Flag::NearDuplicateCrowding => FlagMeta {
                name: "near_duplicate_crowding",
                label: "Near duplicate crowding",
                help: "Near-identical chunks take at least half of the context window.",
            },
            Flag::LexicalOnly => FlagMeta {
                name: "lexical_only",
                label: "Lexical only",
                help: "Only the lexical (BM25) retriever found a chunk holding the evidence.",
            },
            Flag::SemanticOnly => FlagMeta {
                name: "semantic_only",
                label: "Semantic only",
                help: "Only the dense (embedding) retriever found a chunk holding the evidence.",
            },
            Flag::NormalisedQuoteMatch => FlagMeta {
                name: "normalised_quote_match",
                label: "Normalised quote match",
                help: "A quote was found in its document only after normalising whitespace and \
                       case.",
            },
            Flag::LabelNoise => FlagMeta {
                name: "label_noise",
                label: "Label noise",
                help: "A live document not labelled relevant holds the evidence.",
            },
            Flag::GhostCitation => FlagMeta {
                name: "ghost_citation",
                label: "Ghost citation",
                help: "The answer drew on a chunk of a deleted or unknown document.",
            },
            Flag::RerankerDemotedGold => FlagMeta {
                name: "reranker_demoted_gold",
                label: "Reranker demoted gold",
                help: "Before reranking the evidence was inside the context window; the \
                       reranker pushed it out.",
            },
            Flag::RerankerPromotedGold => FlagMeta {
                name: "reranker_promoted_gold",
                label: "Reranker promoted gold",
                help: "Before reranking the evidence was outside the context window; the \
                       reranker brought it in.",
            },
        }
    }

    /// The snake_case name of DESIGN.md (`stale_in_context`).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        self.meta().name
    }

    /// The flag named `name`; `None` for an unknown name.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Flag> {
        Flag::ALL.into_iter().find(|c| c.as_str() == name)
    }

    /// A reader's name: `Stale in context`.
    #[must_use]
    pub const fn label(self) -> &'static str {
        self.meta().label
    }

    /// One sentence on what the flag means.
    #[must_use]
    pub const fn help(self) -> &'static str {
        self.meta().help
    }

    /// The position in [`Flag::ALL`] (the display order).
    #[must_use]
    pub const fn order(self) -> usize {
        self as usize
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
    pub doc: DocId,
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
    pub doc: DocId,
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
    pub doc: DocId,
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
    /// What the reranker did to the evidence (trace mode, a trace line with `candidates`, an
    /// answerable labelled question); `None` otherwise.
    pub rerank: Option<RerankOutcome>,
}

/// What reranking did to a question's evidence: where the pre-rerank candidates (the trace's
/// `candidates`) and the final ranking (`retrieved`) held it, by the same test that decides
/// the class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RerankOutcome {
    /// Rank (1-based) of the best candidate holding the evidence; `None` when none does.
    pub before: Option<usize>,
    /// Rank of the best item of the final ranking holding it ([`Diagnosis::best_gold_rank`]).
    pub after: Option<usize>,
    /// Helped, hurt or neutral, judged at the context window.
    pub effect: RerankEffect,
}

/// The reranker's effect on one question, judged at the context window (`context_k`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RerankEffect {
    /// The evidence entered the window (`reranker_promoted_gold`).
    Helped,
    /// The evidence left the window (`reranker_demoted_gold`).
    Hurt,
    /// The evidence was in the window both times, or in neither.
    Neutral,
}

impl RerankEffect {
    /// The three effects, in display order.
    pub const ALL: [RerankEffect; 3] = [
        RerankEffect::Helped,
        RerankEffect::Hurt,
        RerankEffect::Neutral,
    ];

    /// The effect of moving the evidence from rank `before` to rank `after`, with a window of
    /// `k`.
    #[must_use]
    pub fn of(before: Option<usize>, after: Option<usize>, k: usize) -> Self {
        let inside = |r: Option<usize>| r.is_some_and(|r| r <= k);
        match (inside(before), inside(after)) {
            (false, true) => RerankEffect::Helped,
            (true, false) => RerankEffect::Hurt,
            _ => RerankEffect::Neutral,
        }
    }

    /// `helped`, `hurt` or `neutral`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            RerankEffect::Helped => "helped",
            RerankEffect::Hurt => "hurt",
            RerankEffect::Neutral => "neutral",
        }
    }
}
