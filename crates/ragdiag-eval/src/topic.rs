//! Evaluating one query's ranking, following trec_eval 10.0 (`form_res_rels.c`, `m_*.c`).

use crate::measure::{Column, Kind, MeasureSet};
use ragdiag_core::QueryJudgments;
use rustc_hash::FxHashMap;

/// A retrieved document and its score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ranked<'a> {
    /// Document id.
    pub docno: &'a str,
    /// Score; higher ranks first.
    pub score: f64,
    /// Caller's tag for this entry (e.g. its position in the input), returned in errors.
    pub tag: u32,
}

impl<'a> Ranked<'a> {
    /// A ranked document with tag 0.
    pub fn new(docno: &'a str, score: f64) -> Self {
        Ranked {
            docno,
            score,
            tag: 0,
        }
    }
}

/// Evaluation settings, trec_eval's flags.
#[derive(Debug, Clone, Copy)]
pub struct EvalParams {
    /// `-l`: the lowest grade that counts as relevant (default 1).
    pub relevance_level: i64,
    /// `-M`: evaluate only the top `max_docs` documents of each ranking.
    pub max_docs: usize,
}

impl Default for EvalParams {
    fn default() -> Self {
        EvalParams {
            relevance_level: 1,
            max_docs: usize::MAX,
        }
    }
}

/// A document retrieved twice for one query (an error, as in trec_eval).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("document {docno:?} retrieved twice for one query")]
pub struct DuplicateDoc {
    /// The repeated document id.
    pub docno: String,
    /// The caller's tag of the second occurrence in rank order.
    pub tag: u32,
}

/// Rank value of a retrieved document absent from the qrels.
const NONPOOL: i64 = -1;
/// Rank value of a retrieved document judged with a negative grade ("in pool, unjudged").
const UNJUDGED: i64 = -2;

/// Sorts as trec_eval does: score descending, then docno descending (byte order).
pub(crate) fn sort_trec(ranking: &mut [Ranked<'_>]) {
    ranking.sort_unstable_by(|a, b| {
        b.score
            .partial_cmp(&a.score)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| b.docno.cmp(a.docno))
    });
}

/// The per-query state every measure reads (trec_eval's `RES_RELS`).
struct ResRels {
    /// Value at each rank: the grade (≥ 0), [`UNJUDGED`] or [`NONPOOL`].
    rels: Vec<i64>,
    /// `rel_levels[v]`: judged documents with grade exactly `v` (v ≥ 0), retrieved or not.
    rel_levels: Vec<u64>,
    num_rel: u64,
    num_rel_ret: u64,
    level: i64,
}

impl ResRels {
    fn is_rel(&self, v: i64) -> bool {
        v >= self.level
    }

    fn num_ret(&self) -> usize {
        self.rels.len()
    }
}

/// Ranks `ranking` (in place) and computes every column of `measures` for one query.
/// Values are aligned with `measures.columns()`; columns without a per-query value (`runid`)
/// hold 0, `num_q` holds 1, and `gm_map` holds `ln(max(AP, 1e-5))`, which [`crate::aggregate`]
/// turns into the geometric mean.
pub fn evaluate_topic(
    judgments: &QueryJudgments,
    ranking: &mut Vec<Ranked<'_>>,
    measures: &MeasureSet,
    params: &EvalParams,
) -> Result<Vec<f64>, DuplicateDoc> {
    sort_trec(ranking);
    ranking.truncate(params.max_docs);
    // One hash probe per retrieved document finds both its grade and whether it was already
    // seen: the map starts with the judged documents and gains each retrieved one.
    let mut state: FxHashMap<&str, (i64, bool)> =
        FxHashMap::with_capacity_and_hasher(ranking.len() + judgments.len(), Default::default());
    for (doc, grade) in judgments.iter() {
        state.insert(doc, (if grade >= 0 { grade } else { UNJUDGED }, false));
    }
    let mut rels = Vec::with_capacity(ranking.len());
    for r in ranking.iter() {
        let slot = state.entry(r.docno).or_insert((NONPOOL, false));
        if slot.1 {
            return Err(DuplicateDoc {
                docno: r.docno.to_string(),
                tag: r.tag,
            });
        }
        slot.1 = true;
        rels.push(slot.0);
    }
    Ok(compute(judgments, rels, measures, params))
}

fn compute(
    judgments: &QueryJudgments,
    rels: Vec<i64>,
    measures: &MeasureSet,
    params: &EvalParams,
) -> Vec<f64> {
    let max_grade = judgments.iter().map(|(_, g)| g).max().unwrap_or(-1);
    let mut rel_levels = vec![0u64; usize::try_from(max_grade + 1).unwrap_or(0)];
    for (_, g) in judgments.iter() {
        if let Ok(v) = usize::try_from(g) {
            rel_levels[v] += 1;
        }
    }
    let level = params.relevance_level;
    let num_rel = rel_levels
        .iter()
        .enumerate()
        .filter(|(v, _)| *v as i64 >= level)
        .map(|(_, c)| *c)
        .sum();
    let num_rel_ret = rels.iter().filter(|&&v| v >= level).count() as u64;
    let rr = ResRels {
        rels,
        rel_levels,
        num_rel,
        num_rel_ret,
        level,
    };
    let ap = average_precision(&rr);
    let columns = measures.columns();
    let mut out = Vec::with_capacity(columns.len());
    let mut iprec: Option<[f64; 11]> = None;
    for c in columns {
        out.push(value(&rr, c, ap, &mut iprec));
    }
    out
}

fn value(rr: &ResRels, c: &Column, ap: f64, iprec: &mut Option<[f64; 11]>) -> f64 {
    let k = c
        .cutoff
        .map_or(0, |k| usize::try_from(k).unwrap_or(usize::MAX));
    let r = rr.num_rel as f64;
    match c.kind {
        Kind::Runid => 0.0,
        Kind::NumQ => 1.0,
        Kind::NumRet => rr.num_ret() as f64,
        Kind::NumRel => r,
        Kind::NumRelRet => rr.num_rel_ret as f64,
        Kind::Map => ap,
        Kind::GmMap => ap.max(1e-5).ln(),
        Kind::Rprec => {
            let n = rr.num_ret().min(rr.num_rel as usize);
            if n == 0 {
                0.0
            } else {
                rel_in_top(rr, n) as f64 / r
            }
        }
        Kind::Bpref => bpref(rr),
        Kind::RecipRank => rr
            .rels
            .iter()
            .position(|&v| rr.is_rel(v))
            .map_or(0.0, |i| 1.0 / (i + 1) as f64),
        Kind::IprecAtRecall => {
            let points = iprec.get_or_insert_with(|| iprec_at_recall(rr));
            let idx = (c.recall_point.unwrap_or(0.0) * 10.0).round() as usize;
            points[idx.min(10)]
        }
        Kind::P => rel_in_top(rr, k) as f64 / k as f64,
        Kind::Recall => {
            if rr.num_rel == 0 {
                0.0
            } else {
                rel_in_top(rr, k) as f64 / r
            }
        }
        Kind::Success => {
            if rel_in_top(rr, k) > 0 {
                1.0
            } else {
                0.0
            }
        }
        Kind::Ndcg => ndcg(rr),
        Kind::NdcgCut => ndcg_cut(rr, k),
        Kind::MapCut => {
            if rr.num_rel == 0 {
                return 0.0;
            }
            let mut sum = 0.0;
            let mut so_far = 0u64;
            for (i, &v) in rr.rels.iter().take(k).enumerate() {
                if rr.is_rel(v) {
                    so_far += 1;
                    sum += so_far as f64 / (i + 1) as f64;
                }
            }
            sum / r
        }
        Kind::Judged => {
            let n = rr.num_ret().min(k);
            if n == 0 {
                0.0
            } else {
                rr.rels[..n].iter().filter(|&&v| v != NONPOOL).count() as f64 / n as f64
            }
        }
    }
}

fn rel_in_top(rr: &ResRels, k: usize) -> usize {
    rr.rels.iter().take(k).filter(|&&v| rr.is_rel(v)).count()
}

fn average_precision(rr: &ResRels) -> f64 {
    if rr.num_rel_ret == 0 {
        return 0.0;
    }
    let mut sum = 0.0;
    let mut so_far = 0u64;
    for (i, &v) in rr.rels.iter().enumerate() {
        if rr.is_rel(v) {
            so_far += 1;
            sum += so_far as f64 / (i + 1) as f64;
        }
    }
    sum / rr.num_rel as f64
}

fn bpref(rr: &ResRels) -> f64 {
    let nonrel_judged: u64 = rr
        .rel_levels
        .iter()
        .enumerate()
        .filter(|(v, _)| (*v as i64) < rr.level)
        .map(|(_, c)| *c)
        .sum();
    let mut nonrel_so_far = 0u64;
    let mut sum = 0.0;
    for &v in &rr.rels {
        if v == NONPOOL || v == UNJUDGED {
            continue;
        }
        if rr.is_rel(v) {
            if nonrel_so_far > 0 {
                sum += 1.0
                    - nonrel_so_far.min(rr.num_rel) as f64 / nonrel_judged.min(rr.num_rel) as f64;
            } else {
                sum += 1.0;
            }
        } else {
            nonrel_so_far += 1;
        }
    }
    if rr.num_rel > 0 {
        sum / rr.num_rel as f64
    } else {
        0.0
    }
}

/// Ideal gains: every judged document with a positive grade, highest first.
fn ideal_gains(rr: &ResRels) -> impl Iterator<Item = f64> + '_ {
    rr.rel_levels
        .iter()
        .enumerate()
        .rev()
        .filter(|(v, _)| *v > 0)
        .flat_map(|(v, &c)| std::iter::repeat_n(v as f64, usize::try_from(c).unwrap_or(0)))
}

fn discount(rank0: usize) -> f64 {
    ((rank0 + 2) as f64).log2()
}

fn ndcg(rr: &ResRels) -> f64 {
    let mut dcg = 0.0;
    for (i, &v) in rr.rels.iter().enumerate() {
        if v > 0 {
            dcg += v as f64 / discount(i);
        }
    }
    let mut idcg = 0.0;
    for (j, g) in ideal_gains(rr).enumerate() {
        idcg += g / discount(j);
    }
    if idcg > 0.0 {
        dcg / idcg
    } else {
        0.0
    }
}

fn ndcg_cut(rr: &ResRels, k: usize) -> f64 {
    let mut dcg = 0.0;
    for (i, &v) in rr.rels.iter().take(k).enumerate() {
        if v > 0 {
            dcg += v as f64 / discount(i);
        }
    }
    let mut idcg = 0.0;
    for (j, g) in ideal_gains(rr).take(k).enumerate() {
        idcg += g / discount(j);
    }
    if idcg > 0.0 {
        dcg / idcg
    } else {
        dcg
    }
}

/// Interpolated precision at recall 0.0, 0.1, …, 1.0 (`m_iprec_at_recall.c`).
fn iprec_at_recall(rr: &ResRels) -> [f64; 11] {
    let mut values = [0.0; 11];
    let cutoff_rel: Vec<u64> = (0..=10)
        .map(|i| (f64::from(i) / 10.0 * rr.num_rel as f64 + 0.9) as u64)
        .collect();
    let mut current: isize = 10;
    while current >= 0 && cutoff_rel[current as usize] > rr.num_rel_ret {
        values[current as usize] = 0.0;
        current -= 1;
    }
    let mut rel_so_far = rr.num_rel_ret;
    // trec_eval divides by num_ret unconditionally (0/0 = NaN for an empty ranking, a case its
    // file reader cannot produce); an empty ranking here has precision 0 at every recall.
    let mut int_prec = if rr.num_ret() == 0 {
        0.0
    } else {
        rel_so_far as f64 / rr.num_ret() as f64
    };
    let mut i = rr.num_ret();
    while i > 0 && rel_so_far > 0 {
        let prec = rel_so_far as f64 / i as f64;
        if int_prec < prec {
            int_prec = prec;
        }
        if rr.is_rel(rr.rels[i - 1]) {
            while current >= 0 && rel_so_far == cutoff_rel[current as usize] {
                values[current as usize] = int_prec;
                current -= 1;
            }
            rel_so_far -= 1;
        }
        i -= 1;
    }
    while current >= 0 {
        values[current as usize] = int_prec;
        current -= 1;
    }
    values
}

/// Values of a query that is in the qrels but absent from the run, under trec_eval's `-c`:
/// evaluated against a one-document ranking of an unjudged document, then `num_ret` set to 0.
pub(crate) fn missing_topic_values(
    judgments: &QueryJudgments,
    measures: &MeasureSet,
    params: &EvalParams,
) -> Vec<f64> {
    let mut values = compute(judgments, vec![NONPOOL], measures, params);
    for (v, c) in values.iter_mut().zip(measures.columns()) {
        if c.kind == Kind::NumRet {
            *v = 0.0;
        }
    }
    values
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judged(pairs: &[(&str, i64)]) -> QueryJudgments {
        let mut j = QueryJudgments::default();
        for (d, g) in pairs {
            j.insert(*d, *g);
        }
        j
    }

    fn eval(j: &QueryJudgments, docs: &[(&str, f64)], m: &[&str]) -> Vec<(String, f64)> {
        let measures = MeasureSet::parse(m).unwrap();
        let mut ranking: Vec<Ranked<'_>> = docs.iter().map(|(d, s)| Ranked::new(d, *s)).collect();
        let v = evaluate_topic(j, &mut ranking, &measures, &EvalParams::default()).unwrap();
        measures
            .columns()
            .iter()
            .map(|c| c.name.clone())
            .zip(v)
            .collect()
    }

    #[test]
    fn hand_computed_example() {
        // Ranking after sort: d4 (0.9), d2 (0.5, tie broken by docno descending over d1), d1, d3.
        let j = judged(&[("d1", 2), ("d2", 0), ("d3", 1), ("d9", 3), ("dx", -1)]);
        let v = eval(
            &j,
            &[("d1", 0.5), ("d2", 0.5), ("d3", 0.1), ("d4", 0.9)],
            &[
                "map",
                "P.2,4",
                "recip_rank",
                "Rprec",
                "bpref",
                "ndcg_cut.3",
                "success.1,3",
                "judged.2",
                "num_rel",
                "num_rel_ret",
            ],
        );
        let get = |n: &str| v.iter().find(|(k, _)| k == n).unwrap().1;
        // Relevant: d1 (rank 3), d3 (rank 4), d9 (not retrieved). R = 3.
        assert!((get("map") - (1.0 / 3.0 + 2.0 / 4.0) / 3.0).abs() < 1e-12);
        assert_eq!(get("P_2"), 0.0);
        assert_eq!(get("P_4"), 0.5);
        assert!((get("recip_rank") - 1.0 / 3.0).abs() < 1e-12);
        assert!((get("Rprec") - 1.0 / 3.0).abs() < 1e-12);
        // bpref: N = 1 judged non-relevant (d2). d1 after 1 nonrel: 1 - 1/1 = 0; d3 likewise.
        assert_eq!(get("bpref"), 0.0);
        let dcg3 = 2.0 / 4f64.log2();
        let idcg3 = 3.0 + 2.0 / 3f64.log2() + 1.0 / 4f64.log2();
        assert!((get("ndcg_cut_3") - dcg3 / idcg3).abs() < 1e-12);
        assert_eq!(get("success_1"), 0.0);
        assert_eq!(get("success_3"), 1.0);
        assert_eq!(get("judged_2"), 0.5);
        assert_eq!(get("num_rel"), 3.0);
        assert_eq!(get("num_rel_ret"), 2.0);
    }

    #[test]
    fn duplicates_are_errors() {
        let j = judged(&[("a", 1)]);
        let measures = MeasureSet::parse(&["map"]).unwrap();
        let mut ranking = vec![
            Ranked::new("a", 1.0),
            Ranked {
                docno: "a",
                score: 0.5,
                tag: 7,
            },
        ];
        let e = evaluate_topic(&j, &mut ranking, &measures, &EvalParams::default()).unwrap_err();
        assert_eq!(
            e,
            DuplicateDoc {
                docno: "a".into(),
                tag: 7
            }
        );
    }

    #[test]
    fn iprec_matches_a_worked_example() {
        // R = 2; relevant at ranks 2 and 4 of 5.
        let j = judged(&[("b", 1), ("d", 1)]);
        let v = eval(
            &j,
            &[("a", 5.0), ("b", 4.0), ("c", 3.0), ("d", 2.0), ("e", 1.0)],
            &["iprec_at_recall"],
        );
        let expected = [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5];
        for (i, (_, x)) in v.iter().enumerate() {
            assert!((x - expected[i]).abs() < 1e-12, "{i}: {x}");
        }
    }
}
