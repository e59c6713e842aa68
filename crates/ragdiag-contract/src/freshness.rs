//! Freshness figures shared by `ragdiag freshness` and `ragdiag diagnose`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A share with its 95% Wilson score interval, as `ragdiag freshness` writes it (`value`, where
/// the other summaries say `mean`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Estimate {
    /// The mean share.
    pub value: Option<f64>,
    /// The lower bound of the 95% interval.
    pub ci_lower: Option<f64>,
    /// The upper bound of the 95% interval.
    pub ci_upper: Option<f64>,
    /// The number of questions.
    pub n: usize,
}

impl From<crate::Interval> for Estimate {
    fn from(i: crate::Interval) -> Estimate {
        Estimate {
            value: i.mean,
            ci_lower: i.ci_lower,
            ci_upper: i.ci_upper,
            n: i.n,
        }
    }
}

impl From<Estimate> for crate::Interval {
    fn from(e: Estimate) -> crate::Interval {
        crate::Interval {
            mean: e.value,
            ci_lower: e.ci_lower,
            ci_upper: e.ci_upper,
            n: e.n,
        }
    }
}

/// Staleness inside what retrieval returned (document rankings, best first, per question).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RetrievalStaleness {
    /// The depth of the figures.
    pub k: usize,
    /// Questions audited.
    pub questions: usize,
    /// The mean share of stale documents in each question's top `k`, with a Wilson interval
    /// over the questions (conservative: a per-question share in [0, 1] with mean p varies at
    /// most p(1 − p)).
    pub stale_hit_rate_at_k: Estimate,
    /// The share of questions whose top document is stale (Wilson interval).
    pub top_hit_stale_share: Estimate,
    /// How many superseded documents rank above their current version (or without it).
    pub superseded_ranked_above_current: usize,
    /// Each of them.
    pub superseded_above_current: Vec<SupersededAbove>,
    /// How many hits are on deleted or unknown documents.
    pub ghost_citations: usize,
    /// Each of them.
    pub ghosts: Vec<Ghost>,
    /// Live documents that no question retrieved in its top `k`, in id order.
    pub never_retrieved_live_documents: Vec<String>,
}

/// A superseded document ranked above its current version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SupersededAbove {
    /// The question.
    pub query: String,
    /// The superseded document.
    pub stale: String,
    /// Its rank, from 1.
    pub stale_rank: usize,
    /// The document that supersedes it.
    pub current: String,
    /// Its rank, or `null` when it is not in the top `k`.
    pub current_rank: Option<usize>,
}

/// A hit on a deleted or unknown document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Ghost {
    /// The question.
    pub query: String,
    /// The rank, from 1.
    pub rank: usize,
    /// The document id.
    pub doc: String,
    /// `deleted` or `not in the corpus`.
    pub why: String,
}

/// Version of `summary.json` and `documents.parquet` written by `ragdiag freshness`.
pub const FRESHNESS_SCHEMA_VERSION: u32 = 2;

/// What `ragdiag freshness` found, as written to `summary.json`.
///
/// # Warning
///
/// A compatibility promise; a change bumps [`FRESHNESS_SCHEMA_VERSION`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FreshnessSummary {
    /// [`FRESHNESS_SCHEMA_VERSION`] of the writer.
    pub schema_version: u32,
    /// What produced the audit.
    pub provenance: FreshnessProvenance,
    /// The corpus census.
    pub corpus: CorpusFreshness,
    /// Labels pointing at stale or changed documents (with `--queries`).
    pub labels: Option<LabelFreshness>,
    /// Staleness of what retrieval returned (with `--run`, `--trace` or `--index`).
    pub retrieval: Option<RetrievalStaleness>,
    /// Malformed records skipped and problems of meaning found in the inputs.
    pub findings: Vec<String>,
}

/// What produced a freshness audit. Paths are as given on the command line.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FreshnessProvenance {
    /// The ragdiag version.
    pub ragdiag_version: String,
    /// The command line.
    pub command: String,
    /// The corpus path.
    pub corpus: String,
    /// The questions' path.
    pub queries: Option<String>,
    /// The run's path.
    pub run: Option<String>,
    /// The trace's path.
    pub trace: Option<String>,
    /// The audit date.
    pub as_of: String,
    /// `--max-age`, in days.
    pub max_age_days: Option<i64>,
    /// The near-duplicate Jaccard threshold.
    pub near_duplicate_jaccard: f64,
    /// The depth of the retrieval figures.
    pub k: u64,
    /// The seed of the intervals.
    pub seed: u64,
}

/// The corpus census (exact counts: no interval).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CorpusFreshness {
    /// Documents audited.
    pub documents: usize,
    /// Stale documents.
    pub stale: usize,
    /// Their share of the documents.
    pub stale_share: f64,
    /// Stale documents by their first reason (`superseded`, `expired`, …).
    pub stale_by_reason: std::collections::BTreeMap<String, usize>,
    /// Documents superseded by inference (a newer near-duplicate, or the same page in a newer
    /// version).
    pub superseded_inferred: usize,
    /// Undated documents: freshness unknown.
    pub unknown_undated: usize,
    /// Dated documents that are not stale.
    pub fresh: usize,
    /// Documents older than `--max-age`.
    pub aged: usize,
    /// Documents by age.
    pub age_histogram: Vec<AgeBucket>,
    /// The stale share per tag, source and folder.
    pub stale_share_by_group: Vec<GroupShare>,
    /// Supersession chains, oldest first.
    pub supersession_chains: Vec<Vec<String>>,
    /// Near-duplicate pairs.
    pub near_duplicates: Vec<NearDuplicatePair>,
    /// Conflicting statements between current documents.
    pub conflicts: Vec<ConflictPair>,
    /// Documents linked by conflicts, grouped.
    pub conflict_clusters: Vec<Vec<String>>,
    /// Successive values of a changing figure in current documents of different dates (the
    /// newer wins): not conflicts.
    #[serde(default)]
    pub updates: Vec<UpdatePair>,

    // Hygiene and versioned pages (schema 2).
    /// Corpus hygiene, apart from staleness: near-empty documents, exact duplicates, boilerplate.
    #[serde(default)]
    pub hygiene: HygieneFindings,
    /// Every superseded document with the document that replaces it and its current version.
    #[serde(default)]
    pub superseded: Vec<SupersededDoc>,
    /// Statements that changed between superseded documents and their current versions.
    #[serde(default)]
    pub changed_statements: Vec<ChangedStatement>,
}

/// Corpus hygiene findings (not staleness).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct HygieneFindings {
    /// A document with fewer own words (words not covered by boilerplate) is near-empty.
    pub near_empty_words: usize,
    /// Units counted for boilerplate (exact copies and versions of one page count once).
    pub units: usize,
    /// A word 3-shingle held by at least this many units is boilerplate.
    pub boilerplate_cut: usize,
    /// Distinct boilerplate shingles (left out of near-duplicate inference).
    pub boilerplate_shingles: usize,
    /// Empty, boilerplate-only and near-empty documents.
    pub near_empty: Vec<NearEmptyDoc>,
    /// Groups of documents with identical text (whitespace aside) and the same version or none.
    pub duplicate_groups: Vec<Vec<String>>,
    /// Boilerplate passages, most widespread first (at most 50).
    pub boilerplate: Vec<BoilerplateFinding>,
    /// Boilerplate passages found in all.
    pub boilerplate_passages_total: usize,
}

/// A document with (almost) no text of its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct NearEmptyDoc {
    /// The document.
    pub id: String,
    /// `empty`, `boilerplate only` or `near-empty`.
    pub kind: String,
    /// Its words.
    pub words: usize,
    /// Its words not covered by boilerplate.
    pub own_words: usize,
}

/// A passage shared by many documents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct BoilerplateFinding {
    /// The passage, as the example document has it.
    pub text: String,
    /// Documents holding it.
    pub documents: usize,
    /// One of them.
    pub example: String,
}

/// A superseded document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SupersededDoc {
    /// The superseded document.
    pub doc: String,
    /// The document that replaces it.
    pub superseded_by: String,
    /// The current document at the end of its supersession chain.
    pub current: String,
    /// `explicit` (a `supersedes` field), `near_duplicate` or `same_page` (inferred).
    pub how: String,
}

/// A statement that changed between a superseded document and its current version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ChangedStatement {
    /// The superseded document (the newest one holding the old statement).
    pub old_doc: String,
    /// The current document.
    pub new_doc: String,
    /// The old statement.
    pub old_statement: String,
    /// The new statement.
    pub new_statement: String,
    /// What changed: `number`, `version`, `flag`, `code`, `name`, `default`.
    pub kinds: Vec<String>,
    /// Older superseded documents holding the same old statement with the same replacement.
    pub also_in: Vec<String>,
}

/// One bar of the age histogram.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AgeBucket {
    /// The age range (`< 30 days`, …, `undated`).
    pub bucket: String,
    /// Documents in it.
    pub documents: usize,
}

/// The stale share of one group of documents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GroupShare {
    /// `tag`, `source` or `folder`.
    pub kind: String,
    /// The group's name.
    pub name: String,
    /// Documents in the group.
    pub documents: usize,
    /// Stale documents in it.
    pub stale: usize,
    /// Their share.
    pub stale_share: f64,
}

/// Two near-duplicate documents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct NearDuplicatePair {
    /// The older document.
    pub older: String,
    /// The newer document.
    pub newer: String,
    /// Word 3-shingle Jaccard similarity.
    pub jaccard: f64,
    /// Whether dates decided which is older.
    pub dated: bool,
}

/// Two current documents that state different quantities for the same thing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ConflictPair {
    /// The first document.
    pub doc_a: String,
    /// The second document.
    pub doc_b: String,
    /// The first document's sentence.
    pub sentence_a: String,
    /// The second document's sentence.
    pub sentence_b: String,
    /// How alike the two sentences' templates are.
    pub similarity: f64,
}

/// A changing figure stated with different values by two current documents of different dates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct UpdatePair {
    /// The older document.
    pub older: String,
    /// The newer document, whose value wins.
    pub newer: String,
    /// The older document's sentence.
    pub sentence_older: String,
    /// The newer document's sentence.
    pub sentence_newer: String,
    /// How alike the two sentences' templates are.
    pub similarity: f64,
}

/// Labels that point at stale or changed documents.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct LabelFreshness {
    /// Questions read.
    pub questions: usize,
    /// Answerable questions whose gold document is stale.
    pub answerable_with_stale_gold: Vec<StaleGold>,
    /// Labels made before their gold document's last update.
    pub labels_dated_before_gold_update: Vec<LabelBeforeUpdate>,
}

/// A question whose gold document is stale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct StaleGold {
    /// The question.
    pub query: String,
    /// The gold document.
    pub doc: String,
    /// Why it is stale.
    pub stale_reason: Option<String>,
}

/// A label older than its gold document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct LabelBeforeUpdate {
    /// The question.
    pub query: String,
    /// The gold document.
    pub doc: String,
    /// When the question was labelled.
    pub asked_at: String,
    /// When the document was last updated.
    pub updated_at: String,
}
