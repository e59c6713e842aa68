//! Staleness inside retrieval results: stale-hit rate@k, stale top hits, superseded documents
//! ranked above their current version, ghost citations and live documents never retrieved.

use crate::Audit;
use ragdiag_contract::freshness::{Ghost, RetrievalStaleness, SupersededAbove};
use ragdiag_contract::Interval;
use ragdiag_core::{Document, Query};
use ragdiag_eval::stats;
use std::collections::{BTreeSet, HashSet};

/// Audits document rankings (ids best first, per question id) against the corpus audit: the
/// figures at depth `k` (at least 1). Both shares carry a 95% Wilson score interval over the
/// questions ([`stats::wilson`]): the top-hit stale share is a proportion of questions; the
/// stale-hit rate is the mean of each question's stale share of its top `k`, for which the
/// Wilson interval over questions is conservative (a share in [0, 1] with mean p has variance
/// at most p(1 − p)). With `queries`, rankings of other question ids are left out.
#[must_use]
pub fn retrieval_staleness<Q: AsRef<str>, D: AsRef<str>>(
    rankings: &[(Q, Vec<D>)],
    k: usize,
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
        let qid = qid.as_ref();
        if wanted.as_ref().is_some_and(|w| !w.contains(qid)) {
            continue;
        }
        let ranked: Vec<&str> = ranked_docs.iter().take(k).map(AsRef::as_ref).collect();
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
                query: qid.to_owned(),
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
                                query: qid.to_owned(),
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
    let ci = |v: &[f64]| {
        if v.is_empty() {
            return Interval::empty().into();
        }
        let i = stats::wilson(v, None, stats::Config::default().level);
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

#[cfg(test)]
mod tests {
    use super::retrieval_staleness;
    use crate::{audit, Config};
    use ragdiag_core::{Document, Location, Timestamp};

    fn doc(id: &str, text: &str, supersedes: Option<&str>) -> Document {
        Document {
            id: id.into(),
            text: text.into(),
            updated_at: Timestamp::parse("2026-03-01"),
            supersedes: supersedes.map(Into::into),
            origin: Location::new("c.jsonl", 1),
            ..Document::default()
        }
    }

    fn ranking(q: &str, docs: &[&str]) -> (String, Vec<String>) {
        (q.into(), docs.iter().map(|d| (*d).to_owned()).collect())
    }

    /// 0 of n and n of n stale top hits get Wilson bounds, not 0–0% or 100–100%.
    #[test]
    fn stale_shares_carry_wilson_intervals() {
        let docs = vec![
            doc("old", "Refunds take 14 days.", None),
            doc("new", "Refunds take 10 days.", Some("old")),
            doc("api", "The API returns JSON.", None),
        ];
        let a = audit(&docs, &Config::new(Timestamp::parse("2026-10-01").unwrap()));
        let z2 = 1.959_963_984_540_054_f64.powi(2);
        // None of 4 questions has a stale top hit: 0% (95% CI 0–49.0%).
        let fresh: Vec<_> = (0..4)
            .map(|i| ranking(&format!("q{i}"), &["api"]))
            .collect();
        let r = retrieval_staleness(&fresh, 1, &docs, &a, None);
        let top = r.top_hit_stale_share;
        assert_eq!((top.value, top.ci_lower, top.n), (Some(0.0), Some(0.0), 4));
        assert!((top.ci_upper.unwrap() - z2 / (4.0 + z2)).abs() < 1e-9);
        // The one question has a stale top hit: 100% (95% CI 20.7–100%).
        let stale = vec![ranking("q0", &["old", "new"])];
        let r = retrieval_staleness(&stale, 2, &docs, &a, None);
        let top = r.top_hit_stale_share;
        assert_eq!((top.value, top.ci_upper, top.n), (Some(1.0), Some(1.0), 1));
        assert!((top.ci_lower.unwrap() - 1.0 / (1.0 + z2)).abs() < 1e-9);
        // Half of its top 2 is stale: the mean share 0.5 with the Wilson interval of n = 1.
        let rate = r.stale_hit_rate_at_k;
        assert_eq!(rate.value, Some(0.5));
        assert!(rate.ci_lower.unwrap() > 0.0 && rate.ci_upper.unwrap() < 1.0);
        assert_eq!(r.superseded_ranked_above_current, 1);
        // No question: nothing estimated.
        let r = retrieval_staleness::<String, String>(&[], 1, &docs, &a, None);
        assert_eq!(r.top_hit_stale_share.value, None);
        assert_eq!(r.top_hit_stale_share.n, 0);
    }
}
