//! Freshness audit: which documents are stale, why, and which contradict each other.
//!
//! DESIGN.md's definitions: a document is **stale** when it is superseded (explicitly, by another
//! document's `supersedes`, or inferred: an older near-duplicate of a newer document, word
//! 3-shingle Jaccard ≥ 0.8 by default), expired (`valid_until` before the as-of date) or
//! deleted. **Aged** (older than `max_age`) is reported separately and is not stale. A document
//! with no date is **undated**: its stale flag is unknown (`None`), never false, unless a
//! dated fact (supersession, deletion, expiry) makes it stale. **Conflicts** are pairs of current
//! documents whose aligned sentences state different numbers, prices, durations or percentages
//! about the same subject in the same time scope; **updates** are successive values of a
//! changing figure in documents of different dates (the newer wins). See `conflict.rs`.
//!
//! Near-duplicates and aligned sentences are found with MinHash and banded LSH (sub-quadratic)
//! and verified with the exact Jaccard.
//!
//! **Hygiene** is kept apart from staleness ([`Hygiene`]): near-empty documents, exact
//! duplicates and boilerplate passages. Boilerplate shingles are left out of the near-duplicate
//! sets, near-empty documents take no part in the inference, and identical texts are duplicates,
//! not supersession, unless their versions differ. In **versioned docs**, a page is also
//! superseded by the same page (title or path stem) of a newer version that is its best match
//! there, below the near-duplicate cut ([`Inference::SamePage`]); each superseded document gets
//! its current version, and [`StatementChange`]s say what changed between them.
//!
//! ```
//! use ragdiag_core::{Document, Timestamp};
//! use ragdiag_fresh::{audit, Config};
//!
//! let doc = |id: &str, text: &str, date: &str| Document {
//!     id: id.into(), text: text.into(), updated_at: Timestamp::parse(date), ..Document::default()
//! };
//! let docs = vec![
//!     doc("refunds", "Annual plans can be refunded within 30 days of purchase.", "2026-03-01"),
//!     doc("faq", "Annual plans can be refunded within 14 days of purchase.", "2026-02-01"),
//! ];
//! let report = audit(&docs, &Config::new(Timestamp::parse("2026-10-01").unwrap()));
//! assert_eq!(report.conflicts.len(), 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod changes;
mod conflict;
mod hygiene;
mod minhash;
mod report;
mod retrieval;
mod versions;

pub use changes::{StatementChange, CHANGE_MIN_SIMILARITY};
pub use conflict::{Conflict, Quantity, Update};
pub use hygiene::{BoilerplatePassage, Hygiene, NearEmpty, BOILERPLATE_MIN_RUN_WORDS};
pub use report::{corpus_freshness, documents_columns, headline, label_freshness};
pub use retrieval::{retrieval_staleness, RetrievalTally};

use minhash::MinHasher;
use ragdiag_core::{jaccard_sorted, Diagnostics, Document, Timestamp};
use rayon::prelude::*;
use rustc_hash::FxHashMap;

/// Audit settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// The date the audit is made at.
    pub as_of: Timestamp,
    /// Documents older than this many days are reported as aged (not stale).
    pub max_age_days: Option<i64>,
    /// Word-shingle Jaccard at or above which two documents are near-duplicates.
    pub near_duplicate_jaccard: f64,
    /// Template Jaccard at or above which two sentences are aligned (conflict detection).
    pub sentence_jaccard: f64,

    // Hygiene and versioned pages (`hygiene.rs`, `versions.rs`).
    /// A document with fewer words of its own (not boilerplate) is near-empty (default 20).
    pub near_empty_words: usize,
    /// A shingle held by at least this share of the units is boilerplate (default 0.02)…
    pub boilerplate_share: f64,
    /// …and by at least this many units (default 10).
    pub boilerplate_min_docs: usize,
    /// The Jaccard floor of same-page supersession in versioned docs (default 0.3).
    pub same_page_jaccard: f64,
}

impl Config {
    /// Defaults of DESIGN.md at `as_of`: Jaccard 0.8, no max age.
    pub fn new(as_of: Timestamp) -> Self {
        Config {
            as_of,
            max_age_days: None,
            near_duplicate_jaccard: 0.8,
            sentence_jaccard: 0.7,
            near_empty_words: 20,
            boilerplate_share: 0.02,
            boilerplate_min_docs: 10,
            same_page_jaccard: 0.3,
        }
    }
}

/// Why a document is stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StaleReason {
    /// Marked deleted.
    Deleted,
    /// `valid_until` is before the as-of date.
    Expired,
    /// Another document's `supersedes` names it.
    Superseded,
    /// Inferred: an older near-duplicate of a newer document, or the same page in an older
    /// version ([`DocFreshness::inferred_from`] says which).
    SupersededInferred,
}

impl StaleReason {
    /// The name used in reports (`superseded` for both kinds of supersession).
    pub fn as_str(self) -> &'static str {
        match self {
            StaleReason::Deleted => "deleted",
            StaleReason::Expired => "expired",
            StaleReason::Superseded | StaleReason::SupersededInferred => "superseded",
        }
    }
}

/// The freshness of one document.
#[derive(Debug, Clone, PartialEq)]
pub struct DocFreshness {
    /// Document id.
    pub id: String,
    /// Whole days from `updated_at` to the as-of date; `None` when undated or dated after the
    /// as-of date (a warning in [`Audit::findings`]).
    pub age_days: Option<i64>,
    /// Older than the configured maximum age.
    pub aged: bool,
    /// `Some(true)` stale, `Some(false)` fresh, `None` unknown (undated and nothing else known).
    pub stale: Option<bool>,
    /// Every reason that applies, most decisive first (deleted, expired, superseded).
    pub reasons: Vec<StaleReason>,
    /// The newer document that replaces it, explicit or inferred.
    pub superseded_by: Option<String>,
    /// How an inferred supersession was inferred.
    pub inferred_from: Option<Inference>,
    /// The current document at the end of its supersession chain (`None` when not superseded).
    pub current: Option<String>,
}

/// The evidence of an inferred supersession.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inference {
    /// A newer near-duplicate (content Jaccard at or above the cut), or an identical text in a
    /// newer version.
    NearDuplicate,
    /// The same page (title or path stem) in a newer version, its best match there, below the
    /// cut but at or above the same-page floor.
    SamePage,
}

impl Inference {
    /// The name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Inference::NearDuplicate => "near_duplicate",
            Inference::SamePage => "same_page",
        }
    }
}

impl DocFreshness {
    /// The primary reason, if stale.
    pub fn stale_reason(&self) -> Option<StaleReason> {
        self.reasons.first().copied()
    }
}

/// Two near-identical documents.
#[derive(Debug, Clone, PartialEq)]
pub struct NearDuplicate {
    /// The older (or, when dates do not decide, the first by id) document.
    pub older: String,
    /// The newer document.
    pub newer: String,
    /// Exact word 3-shingle Jaccard similarity.
    pub jaccard: f64,
    /// Whether the dates decided which is older (both dated and different).
    pub dated: bool,
}

/// The whole audit.
#[derive(Debug, Clone, Default)]
pub struct Audit {
    /// One entry per input document, in input order.
    pub documents: Vec<DocFreshness>,
    /// Supersession chains, oldest first, each of length ≥ 2.
    pub chains: Vec<Vec<String>>,
    /// Near-duplicate pairs.
    pub near_duplicates: Vec<NearDuplicate>,
    /// Conflicting statements between current documents.
    pub conflicts: Vec<Conflict>,
    /// Successive values of a changing figure in current documents of different dates.
    pub updates: Vec<Update>,
    /// Data errors found on the way (supersession cycles, dangling ids).
    pub findings: Diagnostics,
    /// Empty and near-empty documents, exact duplicates, boilerplate.
    pub hygiene: Hygiene,
    /// Statements that changed between superseded documents and their current versions,
    /// one per distinct (old, new) pair of statements.
    pub changes: Vec<StatementChange>,
}

impl Audit {
    /// Each document of `docs` (the audited documents, in audit order) with its freshness, by
    /// id: the one join of a corpus and its audit that reports use.
    #[must_use]
    pub fn by_id<'a>(
        &'a self,
        docs: &'a [Document],
    ) -> std::collections::HashMap<&'a str, (&'a Document, &'a DocFreshness)> {
        docs.iter()
            .zip(&self.documents)
            .map(|(d, f)| (d.id.as_str(), (d, f)))
            .collect()
    }

    /// The freshness of `id`.
    pub fn get(&self, id: &str) -> Option<&DocFreshness> {
        self.documents.iter().find(|d| d.id == id)
    }

    /// Conflict clusters: connected groups of documents linked by conflicts, sorted.
    pub fn conflict_clusters(&self) -> Vec<Vec<String>> {
        let mut parent: FxHashMap<&str, &str> = FxHashMap::default();
        fn find<'a>(p: &mut FxHashMap<&'a str, &'a str>, x: &'a str) -> &'a str {
            let mut r = x;
            while let Some(&n) = p.get(r) {
                if n == r {
                    break;
                }
                r = n;
            }
            p.insert(x, r);
            r
        }
        for c in &self.conflicts {
            parent.entry(&c.doc_a).or_insert(&c.doc_a);
            parent.entry(&c.doc_b).or_insert(&c.doc_b);
            let (ra, rb) = (find(&mut parent, &c.doc_a), find(&mut parent, &c.doc_b));
            if ra != rb {
                parent.insert(ra.max(rb), ra.min(rb));
            }
        }
        let keys: Vec<&str> = parent.keys().copied().collect();
        let mut groups: FxHashMap<&str, Vec<String>> = FxHashMap::default();
        for k in keys {
            let r = find(&mut parent, k);
            groups.entry(r).or_default().push(k.to_string());
        }
        let mut out: Vec<Vec<String>> = groups
            .into_values()
            .map(|mut g| {
                g.sort();
                g
            })
            .collect();
        out.sort();
        out
    }
}

/// Marks the documents on supersession cycles and reports each cycle at its smallest id (at
/// every member with that id, should ids repeat), written from there round to itself, in
/// document order. `successor` is a functional graph, so one three-colour walk that takes
/// every edge once finds all the cycles: linear in the number of documents.
fn report_cycles(
    docs: &[Document],
    successor: &[Option<usize>],
    findings: &mut Diagnostics,
) -> Vec<bool> {
    const NEW: u8 = 0;
    const ON_PATH: u8 = 1;
    const DONE: u8 = 2;
    let mut state = vec![NEW; docs.len()];
    let mut in_cycle = vec![false; docs.len()];
    let mut starts: Vec<usize> = Vec::new();
    let mut path: Vec<usize> = Vec::new();
    for first in 0..docs.len() {
        if state[first] != NEW {
            continue;
        }
        let mut cur = first;
        loop {
            state[cur] = ON_PATH;
            path.push(cur);
            match successor[cur] {
                Some(next) if state[next] == ON_PATH => {
                    // The cycle is the path from `next` on, found from its end.
                    let from = path.iter().rposition(|&k| k == next).unwrap_or(0);
                    let cycle = &path[from..];
                    let min = cycle.iter().map(|&k| docs[k].id.as_str()).min();
                    for &k in cycle {
                        in_cycle[k] = true;
                        if Some(docs[k].id.as_str()) == min {
                            starts.push(k);
                        }
                    }
                    break;
                }
                Some(next) if state[next] == NEW => cur = next,
                _ => break,
            }
        }
        for k in path.drain(..) {
            state[k] = DONE;
        }
    }
    starts.sort_unstable();
    for start in starts {
        let mut names = vec![docs[start].id.as_str()];
        let mut cur = start;
        while let Some(next) = successor[cur] {
            names.push(docs[next].id.as_str());
            if next == start {
                break;
            }
            cur = next;
        }
        findings.warn(
            docs[start].origin.clone(),
            "supersedes",
            format!("supersession cycle: {}", names.join(" → ")),
        );
    }
    in_cycle
}

/// The end of each document's supersession chain (`None` for a document nothing replaces),
/// each edge followed once (a chain of n documents costs n steps, not n²). A cycle, which
/// only mixed explicit and inferred edges could make, ends at the node where it closes.
fn chain_ends(next: &[Option<usize>]) -> Vec<Option<usize>> {
    let mut end: Vec<Option<usize>> = vec![None; next.len()];
    let mut done = vec![false; next.len()];
    let mut on_path = vec![false; next.len()];
    let mut path = Vec::new();
    for first in 0..next.len() {
        if done[first] || next[first].is_none() {
            continue;
        }
        let mut cur = first;
        // Walk until a resolved node, the end of the chain, or a node already on this path.
        let tail = loop {
            if done[cur] {
                break end[cur].unwrap_or(cur);
            }
            if on_path[cur] {
                break cur;
            }
            match next[cur] {
                None => break cur,
                Some(n) => {
                    on_path[cur] = true;
                    path.push(cur);
                    cur = n;
                }
            }
        };
        for k in path.drain(..) {
            end[k] = Some(tail);
            done[k] = true;
            on_path[k] = false;
        }
    }
    end
}

/// Where the audit reads documents' texts: document `i`'s text is `text(i)`, as
/// `docs[i].text` would be. A slice of documents is its own source; a caller that does not
/// hold the texts (a large corpus) reads them again from where they came, e.g. by byte offset
/// from a JSONL file. A source that cannot read a text gives an empty one and says so itself
/// (the audit has no I/O and no error path).
pub trait Texts: Sync {
    /// The text of document `i`.
    fn text(&self, i: usize) -> std::borrow::Cow<'_, str>;
}

impl Texts for &[Document] {
    fn text(&self, i: usize) -> std::borrow::Cow<'_, str> {
        std::borrow::Cow::Borrowed(self.get(i).map_or("", |d| d.text.as_str()))
    }
}

/// Audits `docs` at `cfg.as_of`, with their texts in memory.
pub fn audit(docs: &[Document], cfg: &Config) -> Audit {
    audit_with(docs, &docs, cfg, None)
}

/// Audits `docs` (their metadata: the `text` fields are not read) whose texts `texts` gives,
/// reading the texts a batch of `batch` documents at a time and keeping compact facts of each
/// (text hashes, word counts, band keys, statements as byte spans), never every text or every
/// shingle set at once: memory is the documents' metadata plus the facts, whatever the texts'
/// length. Texts are read several times (one pass per fact that needs the whole corpus, then
/// again for the few documents a finding names). The result is the one [`audit`] gives for the
/// same documents with their texts.
pub fn audit_batched(docs: &[Document], texts: &dyn Texts, cfg: &Config, batch: usize) -> Audit {
    audit_with(docs, texts, cfg, Some(batch.max(1)))
}

/// [`audit`] (`batch` `None`: shingle sets held) or [`audit_batched`].
fn audit_with(docs: &[Document], texts: &dyn Texts, cfg: &Config, batch: Option<usize>) -> Audit {
    let mut findings = Diagnostics::default();
    let index: FxHashMap<&str, usize> = docs
        .iter()
        .enumerate()
        .map(|(i, d)| (d.id.as_str(), i))
        .collect();
    let mut reasons: Vec<Vec<StaleReason>> = vec![Vec::new(); docs.len()];
    let mut superseded_by: Vec<Option<String>> = vec![None; docs.len()];

    // Explicit supersession, with dangling ids and cycles as data errors.
    let mut successor: Vec<Option<usize>> = vec![None; docs.len()];
    for (i, d) in docs.iter().enumerate() {
        let Some(old) = d.supersedes.as_deref() else {
            continue;
        };
        match index.get(old) {
            None => findings.warn(
                d.origin.clone(),
                "supersedes",
                format!("{old:?} is not in the corpus (dangling supersession)"),
            ),
            Some(&j) if j == i => {}
            Some(&j) => successor[j] = Some(i),
        }
    }
    let in_cycle = report_cycles(docs, &successor, &mut findings);
    for (j, s) in successor.iter().enumerate() {
        if let (Some(i), false) = (s, in_cycle[j]) {
            reasons[j].push(StaleReason::Superseded);
            superseded_by[j] = Some(docs[*i].id.clone());
        }
    }
    let mut chains = Vec::new();
    for (j, d) in docs.iter().enumerate() {
        // A chain starts at a document that replaces nothing in the corpus.
        let starts_chain = d.supersedes.as_deref().and_then(|o| index.get(o)).is_none();
        if !starts_chain || successor[j].is_none() || in_cycle[j] {
            continue;
        }
        let mut chain = vec![d.id.clone()];
        let mut cur = j;
        while let Some(n) = successor[cur] {
            if in_cycle[n] || chain.len() > docs.len() {
                break;
            }
            chain.push(docs[n].id.clone());
            cur = n;
        }
        chains.push(chain);
    }

    // Hygiene: boilerplate shingles are left out of the sets, near-empty documents out of the
    // inference, identical texts without version evidence are duplicates.
    let info: Vec<versions::VersionInfo> = docs.par_iter().map(versions::version_info).collect();
    // Near-duplicates: MinHash LSH candidates, verified with the exact Jaccard.
    let hasher = MinHasher::new(16, 4, 0x5eed);
    // Batched, the content sets of versioned documents are kept (the same-page rule reads
    // them); those of the near-duplicate candidates are made again below.
    let versioned: Vec<bool> = info.iter().map(|v| v.version.is_some()).collect();
    let mode = match batch {
        None => hygiene::Sets::Held,
        Some(batch) => hygiene::Sets::Batched {
            batch,
            keep: &versioned,
        },
    };
    let prepared = hygiene::prepare(docs, texts, &info, cfg, &hasher, &mode);
    let hygiene::Prepared {
        mut content,
        bands,
        boilerplate,
        text_hash,
        near_empty,
        hygiene,
    } = prepared;
    let version_separated = |i: usize, j: usize| matches!((&info[i].version, &info[j].version), (Some(a), Some(b)) if a != b);

    // Near-empty documents took no part in the banding (their signature was all-max, which
    // banding skips).
    let candidates = hasher.candidates(&bands);
    drop(bands);
    if let Some(batch) = batch {
        // The content sets the exact Jaccard of the candidates needs, made again (a pair of
        // identical texts needs none).
        let mut wanted = vec![false; docs.len()];
        for &(i, j) in &candidates {
            if text_hash[i] != text_hash[j] {
                wanted[i] = true;
                wanted[j] = true;
            }
        }
        let missing: Vec<usize> = (0..docs.len())
            .filter(|&i| wanted[i] && !versioned[i])
            .collect();
        for chunk in missing.chunks(batch) {
            let made: Vec<Vec<u64>> = chunk
                .par_iter()
                .map(|&i| hygiene::content_of(&texts.text(i), &boilerplate))
                .collect();
            for (&i, c) in chunk.iter().zip(made) {
                content[i] = c;
            }
        }
    }
    drop(boilerplate);
    let mut near_duplicates = Vec::new();
    // The best newer candidate of each older document: (Jaccard, newer index).
    let mut best_newer: Vec<Option<(f64, usize)>> = vec![None; docs.len()];
    for (i, j) in candidates {
        let identical = text_hash[i] == text_hash[j];
        if identical && !version_separated(i, j) {
            continue; // a duplicate (hygiene), not a version
        }
        let jac = if identical {
            1.0
        } else {
            jaccard_sorted(&content[i], &content[j])
        };
        if jac < cfg.near_duplicate_jaccard {
            continue;
        }
        let (a, b) = (&docs[i], &docs[j]);
        let (older, newer, dated) = match (a.updated_at, b.updated_at) {
            (Some(x), Some(y)) if x < y => (i, j, true),
            (Some(x), Some(y)) if y < x => (j, i, true),
            _ => {
                if a.id <= b.id {
                    (i, j, false)
                } else {
                    (j, i, false)
                }
            }
        };
        if dated && !docs[older].deleted && successor[older].is_none() {
            let better = match best_newer[older] {
                None => true,
                Some((bj, bn)) => {
                    jac > bj
                        || (jac == bj
                            && (docs[newer].updated_at, &docs[bn].id)
                                > (docs[bn].updated_at, &docs[newer].id))
                }
            };
            if better {
                best_newer[older] = Some((jac, newer));
            }
        }
        near_duplicates.push(NearDuplicate {
            older: docs[older].id.clone(),
            newer: docs[newer].id.clone(),
            jaccard: jac,
            dated,
        });
    }
    near_duplicates.sort_by(|x, y| x.older.cmp(&y.older).then(x.newer.cmp(&y.newer)));
    let mut inferred_from: Vec<Option<Inference>> = vec![None; docs.len()];
    for (older, best) in best_newer.iter().enumerate() {
        if let Some((_, newer)) = best {
            reasons[older].push(StaleReason::SupersededInferred);
            superseded_by[older] = Some(docs[*newer].id.clone());
            inferred_from[older] = Some(Inference::NearDuplicate);
        }
    }

    // The same page in a newer version, edited below the cut.
    let eligible: Vec<bool> = (0..docs.len())
        .map(|i| !docs[i].deleted && !near_empty[i])
        .collect();
    let open: Vec<usize> = (0..docs.len())
        .filter(|&i| {
            eligible[i]
                && superseded_by[i].is_none()
                && successor[i].is_none()
                && docs[i].updated_at.is_some()
                && info[i].version.is_some()
        })
        .collect();
    for sp in versions::same_page(
        docs,
        &info,
        &content,
        &open,
        &eligible,
        cfg.same_page_jaccard,
    ) {
        reasons[sp.old].push(StaleReason::SupersededInferred);
        superseded_by[sp.old] = Some(docs[sp.new].id.clone());
        inferred_from[sp.old] = Some(Inference::SamePage);
    }
    // The shingle sets (about 1.2 bytes for each byte of text) are not needed past here: the
    // conflict search, whose statements are the next largest thing held, runs without them.
    drop(content);

    // The current version at the end of each supersession chain.
    let next: Vec<Option<usize>> = superseded_by
        .iter()
        .map(|s| s.as_deref().and_then(|id| index.get(id).copied()))
        .collect();
    let current_of = chain_ends(&next);

    // Expiry, deletion, age.
    let mut documents = Vec::with_capacity(docs.len());
    for (i, d) in docs.iter().enumerate() {
        let mut r = std::mem::take(&mut reasons[i]);
        if d.valid_until.is_some_and(|v| v.date() < cfg.as_of.date()) {
            r.push(StaleReason::Expired);
        }
        if d.deleted {
            r.push(StaleReason::Deleted);
        }
        r.sort();
        r.dedup();
        // A document dated after the audit date (a wrong date, or a wrong clock) has no age
        // to go by: like an undated one, unknown unless something else makes it stale.
        let age_days = d
            .updated_at
            .map(|u| u.days_until(cfg.as_of))
            .filter(|&a| a >= 0);
        if d.updated_at.is_some() && age_days.is_none() {
            findings.warn(
                d.origin.clone(),
                "updated_at",
                "dated after the audit date (--as-of, or today's clock): its age is unknown; \
                 check the date or the clock",
            );
        }
        let stale = if !r.is_empty() {
            Some(true)
        } else if age_days.is_none() {
            None
        } else {
            Some(false)
        };
        documents.push(DocFreshness {
            id: d.id.clone(),
            age_days,
            aged: matches!((age_days, cfg.max_age_days), (Some(a), Some(m)) if a > m),
            stale,
            reasons: r,
            superseded_by: superseded_by[i].take(),
            inferred_from: inferred_from[i],
            current: current_of[i].map(|c| docs[c].id.clone()),
        });
    }

    // Conflicts between current documents (not stale; undated ones count as current).
    let current: Vec<bool> = documents.iter().map(|f| f.stale != Some(true)).collect();
    let conflict::Disagreements { conflicts, updates } = conflict::find_conflicts(
        docs,
        texts,
        &current,
        cfg.sentence_jaccard,
        batch.unwrap_or(docs.len()),
    );

    let changes = changes::all_changes(docs, texts, &current_of, &near_empty);

    Audit {
        documents,
        chains,
        near_duplicates,
        conflicts,
        updates,
        findings,
        hygiene,
        changes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ragdiag_core::Location;

    fn doc(id: &str, text: &str, date: Option<&str>) -> Document {
        Document {
            id: id.into(),
            text: text.into(),
            updated_at: date.and_then(Timestamp::parse),
            origin: Location::new("c.jsonl", 1),
            ..Document::default()
        }
    }

    fn cfg() -> Config {
        Config::new(Timestamp::parse("2026-10-01").unwrap())
    }

    const LONG: &str = "Our support team answers chat messages from Monday to Friday between nine in the morning and six in the evening. Email requests are answered within one business day, and urgent payroll problems are handled by the on-call team at weekends. Customers on the Scale plan also get a named account manager who can join calls.";

    #[test]
    fn explicit_chains_cycles_and_dangling_ids() {
        let mut a = doc("v1", "first version text here", Some("2024-01-01"));
        let mut b = doc("v2", "second version text here", Some("2025-01-01"));
        let mut c = doc("v3", "third version text here", Some("2026-01-01"));
        b.supersedes = Some("v1".into());
        c.supersedes = Some("v2".into());
        let mut x = doc("x", "cycle one", Some("2026-01-01"));
        let mut y = doc("y", "cycle two", Some("2026-01-01"));
        x.supersedes = Some("y".into());
        y.supersedes = Some("x".into());
        let mut z = doc("z", "dangling", Some("2026-01-01"));
        z.supersedes = Some("ghost".into());
        a.tags = vec![];
        let r = audit(&[a, b, c, x, y, z], &cfg());
        assert_eq!(
            r.get("v1").unwrap().stale_reason(),
            Some(StaleReason::Superseded)
        );
        assert_eq!(r.get("v1").unwrap().superseded_by.as_deref(), Some("v2"));
        assert_eq!(r.get("v2").unwrap().superseded_by.as_deref(), Some("v3"));
        assert_eq!(r.get("v3").unwrap().stale, Some(false));
        assert_eq!(
            r.chains,
            vec![vec!["v1".to_string(), "v2".into(), "v3".into()]]
        );
        assert_eq!(
            r.get("x").unwrap().stale,
            Some(false),
            "cycle members are not marked"
        );
        let msgs: Vec<String> = r.findings.items().iter().map(ToString::to_string).collect();
        assert!(
            msgs.iter()
                .any(|m| m.contains("supersession cycle: x → y → x")),
            "{msgs:?}"
        );
        assert!(
            msgs.iter()
                .any(|m| m.contains("\"ghost\" is not in the corpus")),
            "{msgs:?}"
        );
        assert_eq!(msgs.len(), 2);
    }

    #[test]
    fn near_duplicates_with_a_later_date_supersede_the_older() {
        let edited = LONG.replace("six in the evening", "seven in the evening");
        let r = audit(
            &[doc("old", LONG, Some("2025-01-01")), doc("new", &edited, Some("2026-01-01")), doc("other", "Completely different text about invoices and taxes and VAT returns for the quarter.", Some("2026-01-01"))],
            &cfg(),
        );
        assert_eq!(r.near_duplicates.len(), 1);
        assert_eq!(
            (
                r.near_duplicates[0].older.as_str(),
                r.near_duplicates[0].newer.as_str()
            ),
            ("old", "new")
        );
        assert!(r.near_duplicates[0].jaccard >= 0.8);
        assert_eq!(
            r.get("old").unwrap().stale_reason(),
            Some(StaleReason::SupersededInferred)
        );
        assert_eq!(r.get("new").unwrap().stale, Some(false));
        assert_eq!(r.get("other").unwrap().stale, Some(false));
        // Same date: reported as near-duplicates, neither stale.
        let r = audit(
            &[
                doc("a", LONG, Some("2026-01-01")),
                doc("b", &edited, Some("2026-01-01")),
            ],
            &cfg(),
        );
        assert_eq!(r.near_duplicates.len(), 1);
        assert!(!r.near_duplicates[0].dated);
        assert!(r.documents.iter().all(|d| d.stale == Some(false)));
    }

    #[test]
    fn documents_dated_after_the_audit_are_of_unknown_age_with_a_warning() {
        // cfg() audits at 2026-10-01.
        let future = doc("f", "from the future", Some("2027-03-01"));
        let mut future_deleted = doc("fd", "deleted, from the future", Some("2027-03-01"));
        future_deleted.deleted = true;
        let today = doc("t", "written on the day", Some("2026-10-01"));
        let mut c = cfg();
        c.max_age_days = Some(30);
        let r = audit(&[future, future_deleted, today], &c);
        let f = r.get("f").unwrap();
        assert_eq!((f.age_days, f.aged, f.stale), (None, false, None));
        let fd = r.get("fd").unwrap();
        assert_eq!((fd.age_days, fd.stale), (None, Some(true)));
        let t = r.get("t").unwrap();
        assert_eq!((t.age_days, t.stale), (Some(0), Some(false)));
        let msgs: Vec<String> = r.findings.items().iter().map(ToString::to_string).collect();
        assert_eq!(msgs.len(), 2, "{msgs:?}");
        assert!(
            msgs.iter()
                .all(|m| m.contains("updated_at: dated after the audit date")),
            "{msgs:?}"
        );
    }

    #[test]
    fn expired_deleted_undated_and_aged() {
        let mut e = doc("e", "promo", Some("2025-01-01"));
        e.valid_until = Timestamp::parse("2026-09-30");
        let mut same_day = doc("s", "maintenance", Some("2026-09-01"));
        same_day.valid_until = Timestamp::parse("2026-10-01");
        let mut d = doc("d", "gone", Some("2025-01-01"));
        d.deleted = true;
        let u = doc("u", "no date", None);
        let mut ud = doc("ud", "no date but deleted", None);
        ud.deleted = true;
        let mut c = cfg();
        c.max_age_days = Some(365);
        let r = audit(&[e, same_day, d, u, ud], &c);
        assert_eq!(
            r.get("e").unwrap().stale_reason(),
            Some(StaleReason::Expired)
        );
        assert_eq!(r.get("e").unwrap().age_days, Some(638));
        assert!(r.get("e").unwrap().aged);
        assert_eq!(
            r.get("s").unwrap().stale,
            Some(false),
            "valid on its last day"
        );
        assert_eq!(
            r.get("d").unwrap().stale_reason(),
            Some(StaleReason::Deleted)
        );
        assert_eq!(
            r.get("u").unwrap().stale,
            None,
            "undated is unknown, never fresh"
        );
        assert_eq!(r.get("ud").unwrap().stale, Some(true));
    }

    /// The per-document walk `report_cycles` replaced (cubic on a long chain), kept as the
    /// reference its findings and marks must equal.
    fn cycles_by_walking(
        docs: &[Document],
        successor: &[Option<usize>],
    ) -> (Vec<String>, Vec<bool>) {
        let mut findings = Diagnostics::default();
        let mut in_cycle = vec![false; docs.len()];
        for start in 0..docs.len() {
            let mut seen = vec![start];
            let mut cur = start;
            while let Some(next) = successor[cur] {
                if next == start {
                    for &k in &seen {
                        in_cycle[k] = true;
                    }
                    if seen.iter().all(|&k| docs[k].id >= docs[start].id) {
                        let names: Vec<&str> = seen
                            .iter()
                            .map(|&k| docs[k].id.as_str())
                            .chain([docs[start].id.as_str()])
                            .collect();
                        findings.warn(
                            docs[start].origin.clone(),
                            "supersedes",
                            format!("supersession cycle: {}", names.join(" → ")),
                        );
                    }
                    break;
                }
                if seen.contains(&next) || seen.len() > docs.len() {
                    break;
                }
                seen.push(next);
                cur = next;
            }
        }
        let msgs = findings.items().iter().map(ToString::to_string).collect();
        (msgs, in_cycle)
    }

    fn cycles(docs: &[Document], successor: &[Option<usize>]) -> (Vec<String>, Vec<bool>) {
        let mut findings = Diagnostics::default();
        let in_cycle = report_cycles(docs, successor, &mut findings);
        let msgs = findings.items().iter().map(ToString::to_string).collect();
        (msgs, in_cycle)
    }

    #[test]
    fn a_long_cycle_is_found_once_without_walking_from_every_member() {
        let n = 100_000;
        let docs: Vec<Document> = (0..n)
            .map(|i| {
                let mut d = doc(&format!("v{i}"), "", None);
                d.origin = Location::new("c.jsonl", i as u64 + 1);
                d
            })
            .collect();
        // A chain v0 → v1 → … (each superseded by the next): no cycle.
        let mut successor: Vec<Option<usize>> =
            (0..n).map(|i| (i + 1 < n).then_some(i + 1)).collect();
        let (msgs, in_cycle) = cycles(&docs, &successor);
        assert!(msgs.is_empty() && !in_cycle.contains(&true));
        // Closed: one cycle through all, reported at v0.
        successor[n - 1] = Some(0);
        let (msgs, in_cycle) = cycles(&docs, &successor);
        assert!(in_cycle.iter().all(|&c| c));
        assert_eq!(msgs.len(), 1);
        assert!(msgs[0].starts_with("c.jsonl:1: supersedes: supersession cycle: v0 → v1 → v2 → "));
        assert!(msgs[0].ends_with(&format!(" → v{} → v0", n - 1)));
    }

    #[test]
    fn chain_ends_follow_each_edge_once_and_stop_at_cycles() {
        // 0 → 1 → 2, 3 → 2, 4 alone, 5 → 6 → 5.
        let next = [Some(1), Some(2), None, Some(2), None, Some(6), Some(5)];
        assert_eq!(
            chain_ends(&next),
            [Some(2), Some(2), None, Some(2), None, Some(5), Some(5)]
        );
    }

    proptest::proptest! {
        /// Random successor graphs (cycles with and without tails, self loops, repeated ids):
        /// exactly the reference's findings, order and marks.
        #[test]
        fn same_cycles_as_the_per_document_walk(
            nodes in proptest::collection::vec((0u8..10, proptest::option::of(0usize..24)), 1..24)
        ) {
            let docs: Vec<Document> = nodes
                .iter()
                .enumerate()
                .map(|(line, &(id, _))| {
                    let mut d = doc(&format!("d{id}"), "", None);
                    d.origin = Location::new("c.jsonl", line as u64 + 1);
                    d
                })
                .collect();
            let successor: Vec<Option<usize>> = nodes
                .iter()
                .map(|&(_, s)| s.filter(|&s| s < nodes.len()))
                .collect();
            proptest::prop_assert_eq!(cycles(&docs, &successor), cycles_by_walking(&docs, &successor));
        }
    }
}
