//! From an audit to the typed figures of `ragdiag freshness`: the corpus census, the labels that
//! point at stale documents, the plain-language headline, and the rows of `documents.parquet`.

use crate::{Audit, StaleReason};
use ragdiag_contract::freshness::{
    AgeBucket, BoilerplateFinding, ChangedStatement, ConflictPair, CorpusFreshness,
    FreshnessSummary, GroupShare, HygieneFindings, LabelBeforeUpdate, LabelFreshness,
    NearDuplicatePair, NearEmptyDoc, StaleGold, SupersededDoc, UpdatePair,
};
use ragdiag_contract::table::{Column, Values};
use ragdiag_core::{pct, Document, Query};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::Path;

/// Age buckets of the histogram, upper bounds in days.
const AGE_BUCKETS: &[(i64, &str)] = &[
    (30, "< 30 days"),
    (90, "30–90 days"),
    (180, "90–180 days"),
    (365, "180 days–1 year"),
    (730, "1–2 years"),
    (i64::MAX, "> 2 years"),
];

fn share(n: usize, of: usize) -> f64 {
    if of == 0 {
        0.0
    } else {
        n as f64 / of as f64
    }
}

/// The corpus census: stale, undated and fresh documents, reasons, ages, the stale share per
/// tag, source and folder (folders relative to `corpus_root`), chains, near-duplicates and
/// conflicts.
#[must_use]
pub fn corpus_freshness(docs: &[Document], audit: &Audit, corpus_root: &Path) -> CorpusFreshness {
    let n = docs.len();
    let stale = audit
        .documents
        .iter()
        .filter(|d| d.stale == Some(true))
        .count();
    let unknown = audit.documents.iter().filter(|d| d.stale.is_none()).count();
    let mut by_reason: BTreeMap<String, usize> = BTreeMap::new();
    for d in &audit.documents {
        if let Some(r) = d.stale_reason() {
            *by_reason.entry(r.as_str().to_owned()).or_default() += 1;
        }
    }
    let inferred = audit
        .documents
        .iter()
        .filter(|d| d.stale_reason() == Some(StaleReason::SupersededInferred))
        .count();
    let mut hist: Vec<(String, usize)> = AGE_BUCKETS
        .iter()
        .map(|(_, l)| ((*l).to_string(), 0))
        .collect();
    hist.push(("undated".into(), 0));
    for d in &audit.documents {
        match d.age_days {
            Some(a) => {
                let i = AGE_BUCKETS
                    .iter()
                    .position(|(hi, _)| a < *hi)
                    .unwrap_or(AGE_BUCKETS.len() - 1);
                hist[i].1 += 1;
            }
            None => hist[AGE_BUCKETS.len()].1 += 1,
        }
    }
    // Stale share per tag, source and folder (a census of the corpus, so no interval: n is exact).
    let mut groups: BTreeMap<(String, String), (usize, usize)> = BTreeMap::new();
    for (d, f) in docs.iter().zip(&audit.documents) {
        let mut keys: Vec<(String, String)> = d
            .tags
            .iter()
            .map(|t| ("tag".to_string(), t.clone()))
            .collect();
        if let Some(s) = &d.source {
            keys.push(("source".into(), s.clone()));
        }
        if let Ok(rel) = d.origin.path.strip_prefix(corpus_root) {
            if let Some(parent) = rel.parent().filter(|p| !p.as_os_str().is_empty()) {
                keys.push(("folder".into(), parent.display().to_string()));
            }
        }
        for k in keys {
            let e = groups.entry(k).or_default();
            e.0 += 1;
            e.1 += usize::from(f.stale == Some(true));
        }
    }
    CorpusFreshness {
        documents: n,
        stale,
        stale_share: share(stale, n),
        stale_by_reason: by_reason,
        superseded_inferred: inferred,
        unknown_undated: unknown,
        fresh: n - stale - unknown,
        aged: audit.documents.iter().filter(|d| d.aged).count(),
        age_histogram: hist
            .into_iter()
            .map(|(bucket, documents)| AgeBucket { bucket, documents })
            .collect(),
        stale_share_by_group: groups
            .into_iter()
            .map(|((kind, name), (documents, stale))| GroupShare {
                kind,
                name,
                documents,
                stale,
                stale_share: share(stale, documents),
            })
            .collect(),
        supersession_chains: audit.chains.clone(),
        near_duplicates: audit
            .near_duplicates
            .iter()
            .map(|n| NearDuplicatePair {
                older: n.older.clone(),
                newer: n.newer.clone(),
                jaccard: n.jaccard,
                dated: n.dated,
            })
            .collect(),
        conflicts: audit
            .conflicts
            .iter()
            .map(|c| ConflictPair {
                doc_a: c.doc_a.clone(),
                doc_b: c.doc_b.clone(),
                sentence_a: c.sentence_a.clone(),
                sentence_b: c.sentence_b.clone(),
                similarity: c.similarity,
            })
            .collect(),
        conflict_clusters: audit.conflict_clusters(),
        updates: audit
            .updates
            .iter()
            .map(|u| UpdatePair {
                older: u.older.clone(),
                newer: u.newer.clone(),
                sentence_older: u.sentence_older.clone(),
                sentence_newer: u.sentence_newer.clone(),
                similarity: u.similarity,
            })
            .collect(),
        hygiene: hygiene_findings(audit),
        superseded: audit
            .documents
            .iter()
            .filter_map(|d| {
                let by = d.superseded_by.clone()?;
                if !d
                    .reasons
                    .iter()
                    .any(|r| matches!(r, StaleReason::Superseded | StaleReason::SupersededInferred))
                {
                    return None;
                }
                Some(SupersededDoc {
                    doc: d.id.clone(),
                    current: d.current.clone().unwrap_or_else(|| by.clone()),
                    superseded_by: by,
                    how: d
                        .inferred_from
                        .map_or("explicit", crate::Inference::as_str)
                        .to_owned(),
                })
            })
            .collect(),
        changed_statements: audit
            .changes
            .iter()
            .map(|c| ChangedStatement {
                old_doc: c.old_doc.clone(),
                new_doc: c.new_doc.clone(),
                old_statement: c.old_statement.clone(),
                new_statement: c.new_statement.clone(),
                kinds: c.kinds.iter().map(|k| (*k).to_owned()).collect(),
                also_in: c.also_in.clone(),
            })
            .collect(),
    }
}

fn hygiene_findings(audit: &Audit) -> HygieneFindings {
    let h = &audit.hygiene;
    HygieneFindings {
        near_empty_words: h.near_empty_words,
        units: h.units,
        boilerplate_cut: h.boilerplate_cut,
        boilerplate_shingles: h.boilerplate_shingles,
        near_empty: h
            .near_empty
            .iter()
            .map(|e| NearEmptyDoc {
                id: e.id.clone(),
                kind: e.kind().to_owned(),
                words: e.words,
                own_words: e.own_words,
            })
            .collect(),
        duplicate_groups: h.duplicate_groups.clone(),
        boilerplate: h
            .boilerplate
            .iter()
            .map(|b| BoilerplateFinding {
                text: b.text.clone(),
                documents: b.documents,
                example: b.example.clone(),
            })
            .collect(),
        boilerplate_passages_total: h.boilerplate_passages_total,
    }
}

/// The documents a question's labels point at (relevant with grade > 0, and evidence).
fn gold_docs(q: &Query) -> Vec<&str> {
    let mut out: Vec<&str> = q
        .relevant
        .iter()
        .filter(|r| r.grade > 0)
        .map(|r| r.doc.as_str())
        .collect();
    out.extend(q.evidence.iter().map(|e| e.doc()));
    out.sort_unstable();
    out.dedup();
    out
}

/// Answerable questions whose gold document is stale, and labels made before their gold
/// document's last update.
#[must_use]
pub fn label_freshness(queries: &[Query], docs: &[Document], audit: &Audit) -> LabelFreshness {
    let by_id = audit.by_id(docs);
    let mut stale_gold = Vec::new();
    let mut dated_before = Vec::new();
    for q in queries.iter().filter(|q| q.answerable) {
        for doc in gold_docs(q) {
            let Some((d, f)) = by_id.get(doc) else {
                continue;
            };
            if f.stale == Some(true) {
                stale_gold.push(StaleGold {
                    query: q.id.clone(),
                    doc: doc.to_owned(),
                    stale_reason: f.stale_reason().map(|r| r.as_str().to_owned()),
                });
            }
            if let (Some(asked), Some(updated)) = (q.asked_at, d.updated_at) {
                if asked < updated {
                    dated_before.push(LabelBeforeUpdate {
                        query: q.id.clone(),
                        doc: doc.to_owned(),
                        asked_at: asked.to_string(),
                        updated_at: updated.to_string(),
                    });
                }
            }
        }
    }
    LabelFreshness {
        questions: queries.len(),
        answerable_with_stale_gold: stale_gold,
        labels_dated_before_gold_update: dated_before,
    }
}

/// The plain-language summary of an audit.
#[must_use]
pub fn headline(summary: &FreshnessSummary) -> String {
    let c = &summary.corpus;
    let mut s = format!(
        "{} documents audited as of {}: {} stale ({}), {} of unknown freshness (undated), {} fresh.",
        c.documents,
        summary.provenance.as_of,
        c.stale,
        pct(c.stale_share, 1),
        c.unknown_undated,
        c.fresh
    );
    let by = c
        .stale_by_reason
        .iter()
        .map(|(k, v)| format!("{v} {k}"))
        .collect::<Vec<_>>()
        .join(", ");
    let same_page = c.superseded.iter().filter(|x| x.how == "same_page").count();
    if !by.is_empty() {
        let _ = write!(
            s,
            " Stale by reason: {by} ({} superseded by inference from a newer near-duplicate{}).",
            c.superseded_inferred - same_page,
            if same_page > 0 {
                format!(", {same_page} from the same page in a newer version")
            } else {
                String::new()
            }
        );
    }
    let _ = write!(
        s,
        " {} near-duplicate pairs, {} conflicting pairs of current documents.",
        c.near_duplicates.len(),
        c.conflicts.len()
    );
    if !c.updates.is_empty() {
        let _ = write!(
            s,
            " {} updates of a changing figure between documents of different dates (the newer \
             wins; not conflicts).",
            c.updates.len()
        );
    }
    if !c.changed_statements.is_empty() {
        let _ = write!(
            s,
            " {} statements changed between superseded documents and their current versions.",
            c.changed_statements.len()
        );
    }
    let h = &c.hygiene;
    let dup_docs: usize = h.duplicate_groups.iter().map(Vec::len).sum();
    if !h.near_empty.is_empty()
        || !h.duplicate_groups.is_empty()
        || h.boilerplate_passages_total > 0
    {
        let _ = write!(
            s,
            " Hygiene (not staleness): {} empty or near-empty documents, {} documents in {} groups of exact duplicates, {} boilerplate passages.",
            h.near_empty.len(),
            dup_docs,
            h.duplicate_groups.len(),
            h.boilerplate_passages_total
        );
    }
    if let Some(r) = &summary.retrieval {
        let rate = &r.stale_hit_rate_at_k;
        let _ = write!(
            s,
            " In retrieval, {} of the top {} hits are stale (95% CI {}–{}, n = {} questions); the top hit is stale for {} of questions.",
            pct(rate.value.unwrap_or(0.0), 1),
            r.k,
            pct(rate.ci_lower.unwrap_or(0.0), 1),
            pct(rate.ci_upper.unwrap_or(0.0), 1),
            rate.n,
            pct(r.top_hit_stale_share.value.unwrap_or(0.0), 1)
        );
    }
    s
}

/// The columns of `documents.parquet` ([`ragdiag_contract::table::DOCUMENTS`]): one row per
/// document, in input order.
#[must_use]
pub fn documents_columns(docs: &[Document], audit: &Audit) -> Vec<Column> {
    let mut conflicts_with: HashMap<&str, Vec<&str>> = HashMap::new();
    for c in &audit.conflicts {
        conflicts_with.entry(&c.doc_a).or_default().push(&c.doc_b);
        conflicts_with.entry(&c.doc_b).or_default().push(&c.doc_a);
    }
    let near: HashMap<&str, &str> = audit
        .near_duplicates
        .iter()
        .flat_map(|n| {
            [
                (n.older.as_str(), n.newer.as_str()),
                (n.newer.as_str(), n.older.as_str()),
            ]
        })
        .collect();
    let near_empty: HashMap<&str, &str> = audit
        .hygiene
        .near_empty
        .iter()
        .map(|e| (e.id.as_str(), e.kind()))
        .collect();
    let mut duplicate_of: HashMap<&str, &str> = HashMap::new();
    for g in &audit.hygiene.duplicate_groups {
        for (k, id) in g.iter().enumerate() {
            let other = if k == 0 { &g[1] } else { &g[0] };
            duplicate_of.insert(id.as_str(), other.as_str());
        }
    }
    let f = &audit.documents;
    let col = |name, values| Column { name, values };
    let has = |r: StaleReason| -> Values {
        Values::Boolean(f.iter().map(|x| Some(x.reasons.contains(&r))).collect())
    };
    vec![
        col(
            "id",
            Values::Utf8(docs.iter().map(|d| Some(d.id.clone())).collect()),
        ),
        col(
            "title",
            Values::Utf8(docs.iter().map(|d| d.title.clone()).collect()),
        ),
        col(
            "origin",
            Values::Utf8(docs.iter().map(|d| Some(d.origin.to_string())).collect()),
        ),
        col(
            "updated_at",
            Values::Utf8(
                docs.iter()
                    .map(|d| d.updated_at.map(|t| t.to_string()))
                    .collect(),
            ),
        ),
        col(
            "age_days",
            Values::Int64(f.iter().map(|x| x.age_days).collect()),
        ),
        col(
            "undated",
            Values::Boolean(f.iter().map(|x| Some(x.age_days.is_none())).collect()),
        ),
        col(
            "aged",
            Values::Boolean(f.iter().map(|x| Some(x.aged)).collect()),
        ),
        col(
            "stale",
            Values::Boolean(f.iter().map(|x| x.stale).collect()),
        ),
        col(
            "stale_reason",
            Values::Utf8(
                f.iter()
                    .map(|x| x.stale_reason().map(|r| r.as_str().to_owned()))
                    .collect(),
            ),
        ),
        col("superseded_inferred", has(StaleReason::SupersededInferred)),
        col(
            "superseded_by",
            Values::Utf8(f.iter().map(|x| x.superseded_by.clone()).collect()),
        ),
        col("expired", has(StaleReason::Expired)),
        col(
            "deleted",
            Values::Boolean(docs.iter().map(|d| Some(d.deleted)).collect()),
        ),
        col(
            "near_duplicate_of",
            Values::Utf8(
                docs.iter()
                    .map(|d| near.get(d.id.as_str()).map(|s| (*s).to_owned()))
                    .collect(),
            ),
        ),
        col(
            "conflicts_with",
            Values::Utf8(
                docs.iter()
                    .map(|d| conflicts_with.get(d.id.as_str()).map(|v| v.join(",")))
                    .collect(),
            ),
        ),
        col(
            "tags",
            Values::Utf8List(docs.iter().map(|d| d.tags.clone()).collect()),
        ),
        col(
            "inferred_from",
            Values::Utf8(
                f.iter()
                    .map(|x| x.inferred_from.map(|i| i.as_str().to_owned()))
                    .collect(),
            ),
        ),
        col(
            "current",
            Values::Utf8(f.iter().map(|x| x.current.clone()).collect()),
        ),
        col(
            "hygiene",
            Values::Utf8(
                docs.iter()
                    .map(|d| {
                        near_empty
                            .get(d.id.as_str())
                            .map(|k| (*k).to_owned())
                            .or_else(|| {
                                duplicate_of
                                    .contains_key(d.id.as_str())
                                    .then(|| "duplicate".to_owned())
                            })
                    })
                    .collect(),
            ),
        ),
        col(
            "duplicate_of",
            Values::Utf8(
                docs.iter()
                    .map(|d| duplicate_of.get(d.id.as_str()).map(|s| (*s).to_owned()))
                    .collect(),
            ),
        ),
        col(
            "own_words",
            Values::Int64(
                audit
                    .hygiene
                    .own_words
                    .iter()
                    .map(|&w| Some(i64::try_from(w).unwrap_or(i64::MAX)))
                    .collect(),
            ),
        ),
    ]
}
