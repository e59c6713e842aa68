//! Staleness inside retrieval results: stale-hit rate@k, stale top hits, superseded documents
//! ranked above their current version, ghost citations and live documents never retrieved.

use crate::{Audit, DocFreshness};
use ragdiag_contract::freshness::{Ghost, RetrievalStaleness, SupersededAbove};
use ragdiag_contract::Interval;
use ragdiag_core::{Document, Query};
use ragdiag_eval::stats;
use std::collections::{BTreeSet, HashMap, HashSet};

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
    let mut tally = RetrievalTally::new(k, docs, audit);
    let wanted: Option<HashSet<&str>> =
        queries.map(|qs| qs.iter().map(|q| q.id.as_str()).collect());
    for (qid, ranked_docs) in rankings {
        let qid = qid.as_ref();
        if wanted.as_ref().is_some_and(|w| !w.contains(qid)) {
            continue;
        }
        tally.add(qid, ranked_docs);
    }
    tally.finish()
}

/// [`retrieval_staleness`] taken a ranking at a time, so that the rankings need not all be
/// held at once (a streamed trace lets go of each question's once its part is written).
#[derive(Debug)]
pub struct RetrievalTally<'a> {
    by_id: HashMap<&'a str, (&'a Document, &'a DocFreshness)>,
    k: usize,
    /// Whether the superseded-above and ghost entries and the live documents retrieved are
    /// kept (their counts always are).
    lists: bool,
    /// The questions added.
    questions: usize,
    /// The sum, in question order, of each question's stale share of its top k (the
    /// interval reads only their mean: no per-question list is kept).
    stale_rate_sum: f64,
    /// The questions whose top hit is stale.
    top_stale: usize,
    superseded: usize,
    superseded_above: Vec<SupersededAbove>,
    ghost_count: usize,
    ghosts: Vec<Ghost>,
    retrieved_live: HashSet<&'a str>,
}

impl<'a> RetrievalTally<'a> {
    /// A tally at depth `k` (at least 1) against the audit of `docs`.
    #[must_use]
    pub fn new(k: usize, docs: &'a [Document], audit: &'a Audit) -> Self {
        RetrievalTally {
            by_id: audit.by_id(docs),
            k: k.max(1),
            lists: true,
            questions: 0,
            stale_rate_sum: 0.0,
            top_stale: 0,
            superseded: 0,
            superseded_above: Vec::new(),
            ghost_count: 0,
            ghosts: Vec::new(),
            retrieved_live: HashSet::new(),
        }
    }

    /// The same tally keeping only the figures and counts: its
    /// [`RetrievalStaleness`] lists no superseded-above entry, ghost or never-retrieved
    /// document (a ranking's entries are then not held past it, however many questions).
    #[must_use]
    pub fn counts_only(mut self) -> Self {
        self.lists = false;
        self
    }

    /// Adds question `qid`'s ranking (document ids, best first).
    pub fn add<D: AsRef<str>>(&mut self, qid: &str, ranked_docs: &[D]) {
        let k = self.k;
        let ranked: Vec<&str> = ranked_docs.iter().take(k).map(AsRef::as_ref).collect();
        let by_id = &self.by_id;
        let stale_flags: Vec<bool> = ranked
            .iter()
            .map(|d| by_id.get(d).is_some_and(|(_, f)| f.stale == Some(true)))
            .collect();
        let stale_count = stale_flags.iter().filter(|s| **s).count();
        self.questions += 1;
        self.stale_rate_sum += if ranked.is_empty() {
            0.0
        } else {
            stale_count as f64 / ranked.len() as f64
        };
        if stale_flags.first().copied().unwrap_or(false) {
            self.top_stale += 1;
        }
        for (rank, doc) in ranked.iter().enumerate() {
            let ghost = |why: &str| Ghost {
                query: qid.to_owned(),
                rank: rank + 1,
                doc: (*doc).to_owned(),
                why: why.to_owned(),
            };
            match by_id.get(doc) {
                None => {
                    self.ghost_count += 1;
                    if self.lists {
                        self.ghosts.push(ghost("not in the corpus"));
                    }
                }
                Some((d, _)) if d.deleted => {
                    self.ghost_count += 1;
                    if self.lists {
                        self.ghosts.push(ghost("deleted"));
                    }
                }
                Some((d, f)) => {
                    if self.lists {
                        self.retrieved_live.insert(d.id.as_str());
                    }
                    if let Some(newer) = &f.superseded_by {
                        let newer_rank = ranked.iter().position(|x| x == newer);
                        if newer_rank.is_none_or(|nr| nr > rank) {
                            self.superseded += 1;
                            if self.lists {
                                self.superseded_above.push(SupersededAbove {
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
    }

    /// The figures over the rankings added.
    #[must_use]
    pub fn finish(self) -> RetrievalStaleness {
        let n = self.questions;
        let ci = |i: stats::Interval| {
            if n == 0 {
                return Interval::empty().into();
            }
            Interval::of(i.estimate, i.lower, i.upper, i.n).into()
        };
        let level = stats::Config::default().level;
        let never: BTreeSet<&str> = if self.lists {
            self.by_id
                .values()
                .filter(|(d, _)| !d.deleted && !self.retrieved_live.contains(d.id.as_str()))
                .map(|(d, _)| d.id.as_str())
                .collect()
        } else {
            BTreeSet::new()
        };
        RetrievalStaleness {
            k: self.k,
            questions: n,
            stale_hit_rate_at_k: ci(stats::wilson_of_sum(self.stale_rate_sum, n, level)),
            top_hit_stale_share: ci(stats::wilson_count(self.top_stale, n, level)),
            superseded_ranked_above_current: self.superseded,
            superseded_above_current: self.superseded_above,
            ghost_citations: self.ghost_count,
            ghosts: self.ghosts,
            never_retrieved_live_documents: never.into_iter().map(str::to_owned).collect(),
        }
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
