//! Staleness inside retrieval results: stale-hit rate@k, stale top hits, superseded documents
//! ranked above their current version, ghost citations and live documents never retrieved.

use crate::Audit;
use ragdiag_contract::freshness::{Ghost, RetrievalStaleness, SupersededAbove};
use ragdiag_contract::Interval;
use ragdiag_core::{Document, Query};
use ragdiag_eval::stats;
use std::collections::{BTreeSet, HashSet};

/// Audits document rankings (ids best first, per question id) against the corpus audit: the
/// figures at depth `k` (at least 1), with bootstrap intervals seeded by `seed`. With `queries`,
/// rankings of other question ids are left out.
#[must_use]
pub fn retrieval_staleness(
    rankings: &[(String, Vec<String>)],
    k: usize,
    seed: u64,
    docs: &[Document],
    audit: &Audit,
    queries: Option<&[Query]>,
) -> RetrievalStaleness {
    let by_id = audit.by_id(docs);
    let k = k.max(1);
    let (mut stale_rate, mut top_stale) = (Vec::new(), Vec::new());
    let mut superseded_above = Vec::new();
    let mut ghosts = Vec::new();
    let mut retrieved_live: HashSet<&str> = HashSet::new();
    let wanted: Option<HashSet<&str>> =
        queries.map(|qs| qs.iter().map(|q| q.id.as_str()).collect());
    for (qid, ranked_docs) in rankings {
        if wanted.as_ref().is_some_and(|w| !w.contains(qid.as_str())) {
            continue;
        }
        let ranked: Vec<&str> = ranked_docs.iter().take(k).map(String::as_str).collect();
        let stale_flags: Vec<bool> = ranked
            .iter()
            .map(|d| by_id.get(d).is_some_and(|(_, f)| f.stale == Some(true)))
            .collect();
        let stale_count = stale_flags.iter().filter(|s| **s).count();
        stale_rate.push(if ranked.is_empty() {
            0.0
        } else {
            stale_count as f64 / ranked.len() as f64
        });
        top_stale.push(if stale_flags.first().copied().unwrap_or(false) {
            1.0
        } else {
            0.0
        });
        for (rank, doc) in ranked.iter().enumerate() {
            let ghost = |why: &str| Ghost {
                query: qid.clone(),
                rank: rank + 1,
                doc: (*doc).to_owned(),
                why: why.to_owned(),
            };
            match by_id.get(doc) {
                None => ghosts.push(ghost("not in the corpus")),
                Some((d, _)) if d.deleted => ghosts.push(ghost("deleted")),
                Some((d, f)) => {
                    retrieved_live.insert(d.id.as_str());
                    if let Some(newer) = &f.superseded_by {
                        let newer_rank = ranked.iter().position(|x| x == newer);
                        if newer_rank.is_none_or(|nr| nr > rank) {
                            superseded_above.push(SupersededAbove {
                                query: qid.clone(),
                                stale: (*doc).to_owned(),
                                stale_rank: rank + 1,
                                current: newer.clone(),
                                current_rank: newer_rank.map(|r| r + 1),
                            });
                        }
                    }
                }
            }
        }
    }
    let cfg = stats::Config {
        seed,
        ..stats::Config::default()
    };
    let ci = |v: &[f64]| {
        let i = stats::bootstrap_means(&[v], None, &cfg)[0];
        Interval::of(i.estimate, i.lower, i.upper, i.n).into()
    };
    let never: BTreeSet<&str> = by_id
        .values()
        .filter(|(d, _)| !d.deleted && !retrieved_live.contains(d.id.as_str()))
        .map(|(d, _)| d.id.as_str())
        .collect();
    RetrievalStaleness {
        k,
        questions: stale_rate.len(),
        stale_hit_rate_at_k: ci(&stale_rate),
        top_hit_stale_share: ci(&top_stale),
        superseded_ranked_above_current: superseded_above.len(),
        superseded_above_current: superseded_above,
        ghost_citations: ghosts.len(),
        ghosts,
        never_retrieved_live_documents: never.into_iter().map(str::to_owned).collect(),
    }
}
