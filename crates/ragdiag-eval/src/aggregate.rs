//! The `all` line: trec_eval's summary of per-query values.

use crate::measure::{Kind, MeasureSet};
use crate::topic::{missing_topic_values, EvalParams};
use ragdiag_core::Qrels;

/// Per-query values and their summary.
#[derive(Debug, Clone, PartialEq)]
pub struct Aggregate {
    /// Query ids, in byte order, of every query that entered the summary.
    pub qids: Vec<String>,
    /// `values[q][c]`: query `q`, column `c` (aligned with [`MeasureSet::columns`]).
    pub values: Vec<Vec<f64>>,
    /// Summary value per column, as trec_eval's `all` line.
    pub all: Vec<f64>,
}

/// Summarises per-query values exactly as trec_eval does. `evaluated` holds `(qid, values)` for
/// every query that is in both the qrels and the run. With `complete` (trec_eval's `-c`),
/// queries of the qrels that the run lacks are added with the values trec_eval gives them
/// (every measure 0 except `num_rel`), and `num_rel`'s summary becomes the number of qrels
/// lines with a grade above 0. Sums run in query-id order, so rounding matches trec_eval.
pub fn aggregate(
    mut evaluated: Vec<(String, Vec<f64>)>,
    qrels: &Qrels,
    measures: &MeasureSet,
    params: &EvalParams,
    complete: bool,
) -> Aggregate {
    if complete {
        let have: rustc_hash::FxHashSet<String> =
            evaluated.iter().map(|(q, _)| q.clone()).collect();
        for (qid, judgments) in &qrels.queries {
            if !have.contains(qid) {
                evaluated.push((
                    qid.clone(),
                    missing_topic_values(judgments, measures, params),
                ));
            }
        }
    }
    evaluated.sort_by(|a, b| a.0.cmp(&b.0));
    let n = evaluated.len();
    let columns = measures.columns();
    let mut all = vec![0.0; columns.len()];
    for (_, values) in &evaluated {
        for (sum, v) in all.iter_mut().zip(values) {
            *sum += v;
        }
    }
    for (sum, c) in all.iter_mut().zip(columns) {
        *sum = match c.kind {
            Kind::NumRet | Kind::NumRelRet | Kind::NumQ => *sum,
            Kind::NumRel if complete => qrels
                .queries
                .values()
                .map(|j| j.iter().filter(|(_, g)| *g > 0).count() as f64)
                .sum(),
            Kind::NumRel => *sum,
            Kind::Runid => 0.0,
            Kind::GmMap => {
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
    let (qids, values) = evaluated.into_iter().unzip();
    Aggregate { qids, values, all }
}
