//! What the summary and the golden-set panel read of the document rankings, taken a part of
//! the questions at a time (issue 15): trec_eval's measures of each judged question, the
//! staleness of what was retrieved, and the judged share of each question's top k. A streamed
//! trace hands each part's rankings over as the part is written and lets go of them; a run
//! that holds every ranking hands them over at once. Either way the figures are the same: each
//! question's values depend on its own ranking and judgments alone, and are kept in question
//! order.

use crate::spill::{bad, put_f64, put_str, put_u64, Reader, Scratch};
use ragdiag_contract::freshness::RetrievalStaleness;
use ragdiag_contract::table::QUERY_MEASURES;
use ragdiag_core::{Document, Qrels, Query};
use ragdiag_eval::coded::CodedRows;
use ragdiag_eval::{DocRanking, MetricTable, PerQuery, QueryValues, TableError};
use ragdiag_fresh::{Audit, RetrievalTally};
use std::io;

/// The depths of the golden-set panel's judged@k, besides the context window.
pub(crate) const COVERAGE_DEPTHS: [usize; 2] = [10, 20];

/// The rankings' figures, gathered a part at a time ([`RankTally::add`]).
pub struct RankTally<'a> {
    measures: Vec<String>,
    /// Each part's measures, at their size (a clone holds no spare room), joined once by
    /// [`RankTally::finish`]: a list grown question by question would hold up to twice its
    /// size, and copy itself as it grows.
    per: Vec<PerQuery>,
    retrieval: RetrievalTally<'a>,
    /// Per depth, each part's judged shares (joined likewise).
    judged_at: Vec<(usize, Vec<Vec<f64>>)>,
    /// Where each part's measures and judged shares wait instead ([`RankTally::with_store`]):
    /// the store, and each part's offset and length in it.
    store: Option<(Box<dyn Scratch + 'static>, Vec<Stored>)>,
}

/// Where a part's figures are in a [`RankTally`]'s store: offset and length.
type Stored = (u64, usize);

impl std::fmt::Debug for RankTally<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RankTally")
            .field("measures", &self.measures)
            .field("parts", &self.per.len())
            .field("stored_parts", &self.store.as_ref().map(|(_, at)| at.len()))
            .finish_non_exhaustive()
    }
}

/// What can stop a [`RankTally`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TallyError {
    /// A ranking that trec_eval's semantics refuse (a document ranked twice).
    #[error(transparent)]
    Table(#[from] TableError),
    /// The store of [`RankTally::with_store`] failed, or gave back other bytes.
    #[error("keeping or reading back the rankings' measures failed")]
    Scratch(#[source] io::Error),
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
    /// The shares are [`CodedRows`] of one number (a share of k takes at most k + 1 values:
    /// a byte a question instead of 8 while k < 256).
    pub judged_at: Vec<(usize, CodedRows)>,
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
            store: None,
        }
    }

    /// The same tally keeping each part's per-question figures (the judged questions'
    /// measures and weights, and judged@k) in `scratch` until [`RankTally::finish`] reads them
    /// back, instead of in memory: a streamed trace then holds none of them while its texts
    /// are (they are what the summary's bootstrap intervals resample, so `finish` joins them).
    /// The figures are the same.
    #[must_use]
    pub fn with_store(mut self, scratch: Box<dyn Scratch + 'static>) -> Self {
        self.store = Some((scratch, Vec::new()));
        self
    }

    /// Adds the next questions (in question order) with their rankings (aligned); returns the
    /// part's measures (no intervals), for its rows of `queries.parquet`, when one of them has
    /// judgments.
    ///
    /// # Errors
    ///
    /// A ranking that trec_eval's semantics refuse (a document ranked twice), or the store
    /// failed ([`RankTally::with_store`]).
    pub fn add(
        &mut self,
        queries: &[Query],
        rankings: &[DocRanking],
    ) -> Result<Option<MetricTable>, TallyError> {
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
        let shares: Vec<Vec<f64>> = self
            .judged_at
            .iter()
            .map(|(k, _)| {
                let mut values = ragdiag_eval::golden::judged_at_of(&judged, &source, *k);
                values.shrink_to_fit();
                values
            })
            .collect();
        // The part's values go to its table; the run's are copied from them.
        match &mut self.store {
            Some((store, at)) => {
                let mut buf = Vec::new();
                encode_part(&per, &shares, &mut buf);
                at.push((store.put(&buf).map_err(TallyError::Scratch)?, buf.len()));
            }
            None => {
                for ((_, parts), values) in self.judged_at.iter_mut().zip(shares) {
                    parts.push(values);
                }
                self.per.push(per.clone());
            }
        }
        Ok(Some(MetricTable {
            names: per.names,
            intervals: Vec::new(),
            per_query: per.values,
            weights: per.weights,
        }))
    }

    /// The figures over every question added.
    ///
    /// # Errors
    ///
    /// The store failed, or gave back other bytes ([`RankTally::with_store`]).
    pub fn finish(mut self) -> Result<RankFigures, TallyError> {
        if let Some((store, at)) = self.store.take() {
            return self.join_stored(store, &at);
        }
        Ok(RankFigures {
            per_query: PerQuery::concat(self.per),
            retrieval: self.retrieval.finish(),
            judged_at: self
                .judged_at
                .into_iter()
                .map(|(k, parts)| {
                    let len = parts.iter().map(Vec::len).sum();
                    (k, CodedRows::column(len, parts.into_iter().flatten()))
                })
                .collect(),
        })
    }

    /// [`RankTally::finish`] of a tally whose parts wait in `store` at `at`: read twice, their
    /// sizes first, so that the joined lists are made once at their size; then each part is
    /// appended and let go (never every part and the joined lists at once: they would hold
    /// twice the figures).
    fn join_stored(
        self,
        mut store: Box<dyn Scratch + 'static>,
        at: &[Stored],
    ) -> Result<RankFigures, TallyError> {
        let depths = self.judged_at.len();
        let mut read = |&(offset, len): &Stored| {
            let bytes = store.get(offset, len).map_err(TallyError::Scratch)?;
            decode_part(&bytes, depths).map_err(TallyError::Scratch)
        };
        let (mut queries, mut id_bytes, mut shares_n) = (0, 0, vec![0; depths]);
        let mut names = None;
        for part in at {
            let (per, shares) = read(part)?;
            queries += per.values.len();
            id_bytes += per.values.id_bytes();
            for (n, s) in shares_n.iter_mut().zip(&shares) {
                *n += s.len();
            }
            names.get_or_insert(per.names);
        }
        let mut joined = names.map(|names| {
            let mut values = QueryValues::new(names.len());
            values.reserve_exact(queries, id_bytes);
            PerQuery {
                names,
                values,
                weights: CodedRows::column(queries, std::iter::empty()),
            }
        });
        let mut shares_joined: Vec<CodedRows> = shares_n
            .iter()
            .map(|&n| CodedRows::column(n, std::iter::empty()))
            .collect();
        for part in at {
            let (per, shares) = read(part)?;
            if let Some(j) = &mut joined {
                j.append(&per);
            }
            for (j, s) in shares_joined.iter_mut().zip(shares) {
                for v in s {
                    j.push(&[v]);
                }
            }
        }
        Ok(RankFigures {
            per_query: joined,
            retrieval: self.retrieval.finish(),
            judged_at: self
                .judged_at
                .into_iter()
                .zip(shares_joined)
                .map(|((k, _), shares)| (k, shares))
                .collect(),
        })
    }
}

/// A part's per-question figures as bytes: the measures' names, each judged question's id and
/// values, the weights, then each depth's judged shares (floats as their bits).
fn encode_part(per: &PerQuery, shares: &[Vec<f64>], out: &mut Vec<u8>) {
    put_u64(out, per.names.len() as u64);
    for n in &per.names {
        put_str(out, n);
    }
    put_u64(out, per.values.len() as u64);
    for (id, row) in per.values.iter() {
        put_str(out, id);
        for &v in row {
            put_f64(out, v);
        }
    }
    put_u64(out, per.weights.len() as u64);
    for i in 0..per.weights.len() {
        put_f64(out, per.weights.value(i, 0));
    }
    for values in shares {
        put_u64(out, values.len() as u64);
        for &v in values {
            put_f64(out, v);
        }
    }
}

/// The part `bytes` encode ([`encode_part`]), with `depths` lists of judged shares.
fn decode_part(bytes: &[u8], depths: usize) -> io::Result<(PerQuery, Vec<Vec<f64>>)> {
    let mut r = Reader { rest: bytes };
    let floats = |r: &mut Reader<'_>, n: usize| -> io::Result<Vec<f64>> {
        let mut out = Vec::with_capacity(n.min(r.rest.len() / 8));
        for _ in 0..n {
            out.push(r.f64()?);
        }
        Ok(out)
    };
    let names = (0..r.usize()?)
        .map(|_| r.str().map(str::to_owned))
        .collect::<io::Result<Vec<String>>>()?;
    let mut values = QueryValues::new(names.len());
    for _ in 0..r.usize()? {
        let id = r.str()?;
        let row = floats(&mut r, names.len())?;
        values.push(id, &row);
    }
    let n = r.usize()?;
    let weights = floats(&mut r, n)?.into_iter().collect();
    let mut shares = Vec::with_capacity(depths);
    for _ in 0..depths {
        let n = r.usize()?;
        shares.push(floats(&mut r, n)?);
    }
    if !r.rest.is_empty() {
        return Err(bad("bytes left after a part's measures"));
    }
    Ok((
        PerQuery {
            names,
            values,
            weights,
        },
        shares,
    ))
}

#[cfg(test)]
mod tests {
    use super::{decode_part, encode_part};
    use ragdiag_eval::{PerQuery, QueryValues};

    /// A part comes back as it went (ids, values to the bit, weights, each depth's shares),
    /// and every cut of its bytes, or one byte more, is refused.
    #[test]
    fn a_part_comes_back_as_it_went() {
        let mut values = QueryValues::new(2);
        values.push("q1", &[0.5, f64::NAN]);
        values.push("é-2", &[-0.0, 1.0]);
        let per = PerQuery {
            names: vec!["ndcg@10".into(), "recall@10".into()],
            values,
            weights: [1.0, 3.5].into_iter().collect(),
        };
        let shares = vec![vec![0.2, 1.0], Vec::new(), vec![f64::INFINITY]];
        let mut bytes = Vec::new();
        encode_part(&per, &shares, &mut bytes);
        let (back, back_shares) = decode_part(&bytes, 3).unwrap();
        assert_eq!(back.names, per.names);
        let rows = |p: &PerQuery| -> Vec<(String, Vec<u64>)> {
            p.values
                .iter()
                .map(|(id, row)| (id.to_owned(), row.iter().map(|v| v.to_bits()).collect()))
                .collect()
        };
        assert_eq!(rows(&back), rows(&per));
        assert_eq!(back.weights, per.weights);
        assert_eq!(format!("{back_shares:?}"), format!("{shares:?}"));
        for cut in 0..bytes.len() {
            assert!(decode_part(&bytes[..cut], 3).is_err(), "{cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(decode_part(&longer, 3).is_err());
    }
}
