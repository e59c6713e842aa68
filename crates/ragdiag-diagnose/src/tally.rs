//! What the summary and the golden-set panel read of the document rankings, taken a part of
//! the questions at a time (issue 15): trec_eval's measures of each judged question, the
//! staleness of what was retrieved, and the judged share of each question's top k. A streamed
//! trace hands each part's rankings over as the part is written and lets go of them; a run
//! that holds every ranking hands them over at once. Either way the figures are the same: each
//! question's values depend on its own ranking and judgments alone, and are kept in question
//! order.

use ragdiag_contract::freshness::RetrievalStaleness;
use ragdiag_contract::table::QUERY_MEASURES;
use ragdiag_core::{Document, Qrels, Query};
use ragdiag_eval::{DocRanking, MetricTable, PerQuery, TableError};
use ragdiag_fresh::{Audit, RetrievalTally};

/// The depths of the golden-set panel's judged@k, besides the context window.
pub(crate) const COVERAGE_DEPTHS: [usize; 2] = [10, 20];

/// The rankings' figures, gathered a part at a time ([`RankTally::add`]).
#[derive(Debug)]
pub struct RankTally<'a> {
    measures: Vec<String>,
    /// Each part's measures, at their size (a clone holds no spare room), joined once by
    /// [`RankTally::finish`]: a list grown question by question would hold up to twice its
    /// size, and copy itself as it grows.
    per: Vec<PerQuery>,
    retrieval: RetrievalTally<'a>,
    /// Per depth, each part's judged shares (joined likewise).
    judged_at: Vec<(usize, Vec<Vec<f64>>)>,
}

/// What [`RankTally::finish`] gives: what the summary ([`crate::SummaryInput`]) and the
/// golden-set panel read of the rankings.
#[derive(Debug)]
pub struct RankFigures {
    /// trec_eval's measures of [`QUERY_MEASURES`] of each judged question (`None`: no question
    /// has judgments).
    pub per_query: Option<PerQuery>,
    /// The staleness of what was retrieved, at the context window (counts only: no entry
    /// lists).
    pub retrieval: RetrievalStaleness,
    /// Per depth k (the context window, 10 and 20, ascending), the judged share
    /// of each judged question's top k documents (questions that retrieved nothing left out).
    pub judged_at: Vec<(usize, Vec<f64>)>,
}

impl<'a> RankTally<'a> {
    /// An empty tally for a context window of `context_k`, against the audit of `docs`.
    #[must_use]
    pub fn new(context_k: usize, docs: &'a [Document], audit: &'a Audit) -> Self {
        let mut ks: Vec<usize> = std::iter::once(context_k).chain(COVERAGE_DEPTHS).collect();
        ks.sort_unstable();
        ks.dedup();
        RankTally {
            measures: QUERY_MEASURES.iter().map(|m| (*m).to_owned()).collect(),
            per: Vec::new(),
            retrieval: RetrievalTally::new(context_k, docs, audit).counts_only(),
            judged_at: ks.into_iter().map(|k| (k, Vec::new())).collect(),
        }
    }

    /// Adds the next questions (in question order) with their rankings (aligned); returns the
    /// part's measures (no intervals), for its rows of `queries.parquet`, when one of them has
    /// judgments.
    ///
    /// # Errors
    ///
    /// A ranking that trec_eval's semantics refuse (a document ranked twice).
    pub fn add(
        &mut self,
        queries: &[Query],
        rankings: &[DocRanking],
    ) -> Result<Option<MetricTable>, TableError> {
        debug_assert_eq!(queries.len(), rankings.len(), "aligned");
        let lists: Vec<(&str, Vec<&str>)> = rankings
            .iter()
            .map(|r| {
                (
                    r.qid.as_str(),
                    r.docs.iter().map(|(d, _)| d.as_str()).collect(),
                )
            })
            .collect();
        for (qid, docs) in &lists {
            self.retrieval.add(qid, docs);
        }
        if !queries.iter().any(|q| !q.relevant.is_empty()) {
            return Ok(None);
        }
        let judged = Qrels::from_queries(queries);
        let per = ragdiag_eval::per_query_values(rankings, &judged, queries, &self.measures)?;
        let source: Vec<(&str, Vec<&str>)> = lists
            .into_iter()
            .filter(|(qid, _)| judged.get(qid).is_some())
            .collect();
        for (k, parts) in &mut self.judged_at {
            let mut values = ragdiag_eval::golden::judged_at_of(&judged, &source, *k);
            values.shrink_to_fit();
            parts.push(values);
        }
        // The part's values go to its table; the run's are copied from them.
        self.per.push(per.clone());
        Ok(Some(MetricTable {
            names: per.names,
            intervals: Vec::new(),
            per_query: per.values,
            weights: per.weights,
        }))
    }

    /// The figures over every question added.
    #[must_use]
    pub fn finish(self) -> RankFigures {
        RankFigures {
            per_query: PerQuery::concat(self.per),
            retrieval: self.retrieval.finish(),
            judged_at: self
                .judged_at
                .into_iter()
                .map(|(k, parts)| (k, parts.concat()))
                .collect(),
        }
    }
}
