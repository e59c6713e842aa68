//! The `all` line: trec_eval's summary of per-query values.

use crate::measure::{Kind, MeasureSet};
use crate::topic::{missing_topic_values, EvalParams};
use crate::zscore::ZScores;
use ragdiag_core::Qrels;

/// One query's evaluation: its id, one value per column, and its `relstring` (empty when not
/// requested).
pub type TopicValues = (String, Vec<f64>, String);

/// Per-query values and their summary.
#[derive(Debug, Clone, PartialEq)]
pub struct Aggregate {
    /// Query ids, in byte order, of every query that entered the summary.
    pub qids: Vec<String>,
    /// `values[q][c]`: query `q`, column `c` (aligned with [`MeasureSet::columns`]).
    pub values: Vec<Vec<f64>>,
    /// Each query's `relstring` (empty when not requested), aligned with `qids`.
    pub relstrings: Vec<String>,
    /// Summary value per column, as trec_eval's `all` line.
    pub all: Vec<f64>,
    /// Whether the values are z-scores (trec_eval's `-Z`): printed with a `Z` before the name.
    pub zscored: bool,
}

/// Summarises per-query values exactly as trec_eval does. `evaluated` holds every query that
/// is in both the qrels and the run. With `complete` (trec_eval's `-c`), queries of the qrels
/// that the run lacks are added with the values trec_eval 10.0 gives them (evaluated against
/// a one-document ranking of an unjudged document; see `missing_topic_values`), and
/// `num_rel`'s summary becomes the number of qrels lines with a grade above 0. Sums run in
/// query-id order, so rounding matches trec_eval. With `zscores` (trec_eval's `-Z`), every
/// query's values (the added ones too) are converted before they are summarised.
pub fn aggregate(
    mut evaluated: Vec<TopicValues>,
    qrels: &Qrels,
    measures: &MeasureSet,
    params: &EvalParams,
    complete: bool,
    zscores: Option<&ZScores>,
) -> Aggregate {
    if complete {
        let have: rustc_hash::FxHashSet<String> =
            evaluated.iter().map(|(q, _, _)| q.clone()).collect();
        for (qid, judgments) in &qrels.queries {
            if !have.contains(qid) {
                let (values, rel) = missing_topic_values(judgments, measures, params);
                evaluated.push((qid.clone(), values, rel));
            }
        }
    }
    evaluated.sort_by(|a, b| a.0.cmp(&b.0));
    let n = evaluated.len();
    let columns = measures.columns();
    if let Some(z) = zscores {
        for (qid, values, _) in &mut evaluated {
            z.convert(qid, columns, values);
        }
    }
    let mut all = vec![0.0; columns.len()];
    for (_, values, _) in &evaluated {
        for (sum, v) in all.iter_mut().zip(values) {
            *sum += v;
        }
    }
    for (sum, c) in all.iter_mut().zip(columns) {
        *sum = match c.kind {
            Kind::NumRet | Kind::NumRelRet | Kind::NumQ | Kind::NumNonrelJudgedRet => *sum,
            Kind::NumRel if complete => qrels
                .queries
                .values()
                .map(|j| j.iter().filter(|(_, g)| *g > 0).count() as f64)
                .sum(),
            Kind::NumRel => *sum,
            Kind::Runid | Kind::Relstring => 0.0,
            Kind::GmMap | Kind::GmBpref => {
                if n == 0 {
                    0.0
                } else {
                    (*sum / n as f64).exp()
                }
            }
            _ => {
                if n == 0 {
                    0.0
                } else {
                    *sum / n as f64
                }
            }
        };
    }
    let mut qids = Vec::with_capacity(n);
    let mut values = Vec::with_capacity(n);
    let mut relstrings = Vec::with_capacity(n);
    for (q, v, r) in evaluated {
        qids.push(q);
        values.push(v);
        relstrings.push(r);
    }
    Aggregate {
        qids,
        values,
        relstrings,
        all,
        zscored: zscores.is_some(),
    }
}
