//! Evaluating one query's ranking, following trec_eval 10.0 (`form_res_rels.c`, `m_*.c`,
//! `gain_init.c`).

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
    /// `-N`: the number of documents in the collection (used by `utility` only; default 0).
    pub num_docs_in_coll: u64,
    /// `-J`: evaluate only the judged documents of each ranking (others are dropped).
    pub judged_docs_only: bool,
}

impl Default for EvalParams {
    fn default() -> Self {
        EvalParams {
            relevance_level: 1,
            max_docs: usize::MAX,
            num_docs_in_coll: 0,
            judged_docs_only: false,
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
///
/// The stable sort merges the sorted runs it finds, so a ranking already in (or near) score
/// order, as runs usually are, costs about one comparison per document; entries that compare
/// equal (a document given twice with one score) keep their input order.
pub(crate) fn sort_trec(ranking: &mut [Ranked<'_>]) {
    ranking.sort_by(|a, b| {
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
    num_nonpool: u64,
    num_unjudged: u64,
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

/// Ranks `ranking` (in place: sorted as trec_eval sorts, cut to `-M`) and computes every
/// column of `measures` for one query. Values are aligned with `measures.columns()`; columns
/// without a per-query value (`runid`, `relstring`: see [`relstring`]) hold 0, `num_q` holds
/// 1, and `gm_map`/`gm_bpref` hold `ln(max(x, 1e-5))`, which [`crate::aggregate`] turns into the
/// geometric mean.
pub fn evaluate_topic(
    judgments: &QueryJudgments,
    ranking: &mut Vec<Ranked<'_>>,
    measures: &MeasureSet,
    params: &EvalParams,
) -> Result<Vec<f64>, DuplicateDoc> {
    let rels = rank(judgments, ranking, params)?;
    Ok(compute(judgments, rels, measures, params))
}

/// Sorts and cuts `ranking`, and gives each rank its grade (or [`UNJUDGED`]/[`NONPOOL`]).
fn rank(
    judgments: &QueryJudgments,
    ranking: &mut Vec<Ranked<'_>>,
    params: &EvalParams,
) -> Result<Vec<i64>, DuplicateDoc> {
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
    if params.judged_docs_only {
        rels.retain(|&v| v >= 0);
    }
    Ok(rels)
}

/// trec_eval's `relstring` of one query: the grades of the first `len` documents of the
/// ranking as [`evaluate_topic`] left it (`0`–`9`, `>` above 9, `-` not in the qrels, `.`
/// judged with a negative grade).
pub fn relstring(
    judgments: &QueryJudgments,
    ranking: &[Ranked<'_>],
    len: usize,
    params: &EvalParams,
) -> String {
    let rels = ranking.iter().map(|r| match judgments.grade(r.docno) {
        Some(g) if g >= 0 => g,
        Some(_) => UNJUDGED,
        None => NONPOOL,
    });
    let rels: Vec<i64> = if params.judged_docs_only {
        rels.filter(|&v| v >= 0).take(len).collect()
    } else {
        rels.take(len).collect()
    };
    rels.iter().map(|&v| rel_char(v)).collect()
}

fn rel_char(v: i64) -> char {
    match v {
        10.. => '>',
        0..=9 => char::from(b'0' + v as u8),
        NONPOOL => '-',
        UNJUDGED => '.',
        _ => '<',
    }
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
    let num_rel_ret = rels.iter().filter(|&&v| v >= 0 && v >= level).count() as u64;
    let num_nonpool = rels.iter().filter(|&&v| v == NONPOOL).count() as u64;
    let num_unjudged = rels.iter().filter(|&&v| v == UNJUDGED).count() as u64;
    let rr = ResRels {
        rels,
        rel_levels,
        num_rel,
        num_rel_ret,
        num_nonpool,
        num_unjudged,
        level,
    };
    let mut cx = Context {
        rr: &rr,
        params,
        ap: None,
        iprec: None,
    };
    measures.columns().iter().map(|c| cx.value(c)).collect()
}

/// One query's state with the values several columns share, computed once.
struct Context<'a> {
    rr: &'a ResRels,
    params: &'a EvalParams,
    ap: Option<f64>,
    /// Interpolated precision at each count of relevant documents (see [`iprec_table`]).
    iprec: Option<Vec<f64>>,
}

/// C's `lround`: halves away from zero.
fn lround(x: f64) -> i64 {
    x.round() as i64
}

impl Context<'_> {
    fn ap(&mut self) -> f64 {
        let rr = self.rr;
        *self.ap.get_or_insert_with(|| average_precision(rr))
    }

    /// Interpolated precision once `cutoff` relevant documents are retrieved, as
    /// `m_iprec_at_recall.c` assigns it (0 when the run retrieves fewer relevant documents).
    fn iprec_at(&mut self, cutoff: i64) -> f64 {
        let rr = self.rr;
        let judged_only = self.params.judged_docs_only;
        let table = self
            .iprec
            .get_or_insert_with(|| iprec_table(rr, judged_only));
        if cutoff > rr.num_rel_ret as i64 {
            0.0
        } else if cutoff >= 1 {
            table[cutoff as usize]
        } else {
            table[0]
        }
    }

    fn value(&mut self, c: &Column) -> f64 {
        let rr = self.rr;
        let k = c
            .cutoff
            .map_or(0, |k| usize::try_from(k).unwrap_or(usize::MAX));
        let r = rr.num_rel as f64;
        let num_ret = rr.num_ret();
        match c.kind {
            Kind::Runid | Kind::Relstring => 0.0,
            Kind::NumQ => 1.0,
            Kind::NumRet => num_ret as f64,
            Kind::NumRel => r,
            Kind::NumRelRet => rr.num_rel_ret as f64,
            Kind::Map => self.ap(),
            Kind::GmMap => self.ap().max(MIN_GEO_MEAN).ln(),
            Kind::Rprec => {
                let n = num_ret.min(rr.num_rel as usize);
                if n == 0 {
                    0.0
                } else {
                    rel_in_top(rr, n) as f64 / r
                }
            }
            Kind::Bpref => bpref(rr),
            Kind::GmBpref => bpref(rr).max(MIN_GEO_MEAN).ln(),
            Kind::InfAp => inf_ap(rr),
            Kind::RecipRank => rr
                .rels
                .iter()
                .position(|&v| rr.is_rel(v))
                .map_or(0.0, |i| 1.0 / (i + 1) as f64),
            Kind::IprecAtRecall => {
                // trec_eval 10.0: lround(level × R); 9.x added 0.9 and truncated.
                self.iprec_at(lround(c.fraction.unwrap_or(0.0) * r))
            }
            Kind::Pt11Avg => {
                if c.values.is_empty() {
                    return 0.0;
                }
                let sum = iprec_sum(self, &c.values);
                sum / c.values.len() as f64
            }
            Kind::RprecMult => {
                // m_Rprec_mult.c keeps 9.x's +0.9 truncation in 10.0.
                let cut = (c.fraction.unwrap_or(0.0) * r + 0.9) as i64;
                if cut > num_ret as i64 {
                    rr.num_rel_ret as f64 / cut as f64
                } else if cut >= 1 {
                    rel_in_top(rr, cut as usize) as f64 / cut as f64
                } else {
                    0.0
                }
            }
            Kind::Utility => {
                let p = &c.values;
                if p.len() != 4 {
                    return 0.0;
                }
                let (a, ret, rel) = (rr.num_rel_ret as f64, num_ret as f64, r);
                let n = self.params.num_docs_in_coll as f64;
                p[0] * a + p[1] * (ret - a) + p[2] * (rel - a) + p[3] * (n + a - ret - rel)
            }
            Kind::P => rel_in_top(rr, k) as f64 / k as f64,
            Kind::RelativeP => {
                if rr.num_rel == 0 {
                    0.0
                } else {
                    rel_in_top(rr, k) as f64 / k.min(rr.num_rel as usize) as f64
                }
            }
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
            Kind::Ndcg | Kind::Dcg | Kind::IdealDcg => {
                let (dcg, idcg) = dcg_and_ideal(rr, &setup_gains(rr, &c.pairs));
                match c.kind {
                    Kind::Dcg => dcg,
                    Kind::IdealDcg => idcg,
                    _ if idcg > 0.0 => dcg / idcg,
                    _ => 0.0,
                }
            }
            Kind::NdcgRel => ndcg_rel(rr, &setup_gains(rr, &c.pairs)),
            Kind::Rndcg => rndcg(rr, &setup_gains(rr, &c.pairs)),
            Kind::G => kishida_g(rr, &setup_gains(rr, &c.pairs)),
            Kind::BinG => bin_g(rr),
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
            Kind::SetP => {
                if num_ret == 0 {
                    0.0
                } else {
                    rr.num_rel_ret as f64 / num_ret as f64
                }
            }
            Kind::SetRelativeP => {
                if num_ret == 0 || rr.num_rel == 0 {
                    0.0
                } else {
                    rr.num_rel_ret as f64 / num_ret.min(rr.num_rel as usize) as f64
                }
            }
            Kind::SetRecall => {
                if rr.num_rel == 0 {
                    0.0
                } else {
                    rr.num_rel_ret as f64 / r
                }
            }
            Kind::SetMap => {
                if num_ret == 0 || rr.num_rel == 0 {
                    0.0
                } else {
                    (rr.num_rel_ret as f64 * rr.num_rel_ret as f64) / (num_ret as f64 * r)
                }
            }
            Kind::SetF => {
                if rr.num_rel_ret == 0 {
                    return 0.0;
                }
                let p = rr.num_rel_ret as f64 / num_ret as f64;
                let rec = rr.num_rel_ret as f64 / r;
                let beta = c.values.first().copied().unwrap_or(1.0);
                (beta + 1.0) * p * rec / (beta * p + rec)
            }
            Kind::NumNonrelJudgedRet => {
                (num_ret as u64 - rr.num_nonpool - rr.num_unjudged - rr.num_rel_ret) as f64
            }
            Kind::Rbp => rbp(rr, c),
            Kind::RbpResid => rbp_resid(rr, c.persistence()),
            Kind::Unj => {
                let unj = rr.rels.iter().take(k).filter(|&&v| v < 0).count();
                unj as f64 / k as f64
            }
            Kind::Judged => {
                let n = num_ret.min(k);
                if n == 0 {
                    0.0
                } else {
                    rr.rels[..n].iter().filter(|&&v| v != NONPOOL).count() as f64 / n as f64
                }
            }
        }
    }
}

/// `MIN_GEO_MEAN` of trec_eval: the floor of the geometric-mean measures.
pub(crate) const MIN_GEO_MEAN: f64 = 1e-5;
/// `INFAP_EPSILON` of trec_eval.
const INFAP_EPSILON: f64 = 1e-5;

fn iprec_sum(cx: &mut Context<'_>, levels: &[f64]) -> f64 {
    // m_11pt_avg.c walks the levels from the last given to the first and adds each one's
    // interpolated precision; the order of the sum is kept.
    let r = cx.rr.num_rel as f64;
    let mut sum = 0.0;
    for &l in levels.iter().rev() {
        sum += cx.iprec_at(lround(l * r));
    }
    sum
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

fn nonrel_judged(rr: &ResRels) -> u64 {
    rr.rel_levels
        .iter()
        .enumerate()
        .filter(|(v, _)| (*v as i64) < rr.level)
        .map(|(_, c)| *c)
        .sum()
}

fn bpref(rr: &ResRels) -> f64 {
    let nonrel_judged = nonrel_judged(rr);
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

/// Inferred AP (`m_infap.c`).
fn inf_ap(rr: &ResRels) -> f64 {
    let (mut nonrel, mut rel, mut unjudged) = (0u64, 0u64, 0u64);
    let mut sum = 0.0;
    for (j, &v) in rr.rels.iter().enumerate() {
        if v == NONPOOL {
            continue;
        }
        if v == UNJUDGED {
            unjudged += 1;
            continue;
        }
        if v >= 0 && v < rr.level {
            nonrel += 1;
        } else {
            rel += 1;
            if j == 0 {
                sum += 1.0;
            } else {
                let fj = j as f64;
                let seen = (rel - 1 + nonrel + unjudged) as f64;
                sum += 1.0 / (fj + 1.0)
                    + (fj / (fj + 1.0))
                        * (seen / fj)
                        * (((rel - 1) as f64 + INFAP_EPSILON)
                            / ((rel - 1 + nonrel) as f64 + 2.0 * INFAP_EPSILON));
            }
        }
    }
    if rr.num_rel > 0 {
        sum / rr.num_rel as f64
    } else {
        sum
    }
}

/// One relevance level's gain (`gain_init.c`).
#[derive(Debug, Clone, Copy)]
struct Gain {
    level: i64,
    gain: f64,
    count: u64,
}

/// trec_eval's `valid_int`: an optional sign and at least one digit, nothing else.
fn valid_int(s: &str) -> bool {
    let d = s.strip_prefix(['+', '-']).unwrap_or(s);
    !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit())
}

/// The gain of every level: the `level=gain` pairs given (others, such as rbp's `p`, are
/// skipped), then each judged level not given with gain = level; sorted by gain ascending as
/// trec_eval sorts them (see [`sort_gains`]).
fn setup_gains(rr: &ResRels, pairs: &[(String, f64)]) -> Vec<Gain> {
    let mut gains: Vec<Gain> = pairs
        .iter()
        .filter(|(n, _)| valid_int(n))
        .map(|(n, v)| Gain {
            level: n.parse().unwrap_or(0),
            gain: *v,
            count: 0,
        })
        .collect();
    for (i, &count) in rr.rel_levels.iter().enumerate() {
        let i = i as i64;
        match gains.iter_mut().find(|g| g.level == i) {
            Some(g) => g.count = count,
            None => gains.push(Gain {
                level: i,
                gain: i as f64,
                count,
            }),
        }
    }
    sort_gains(&mut gains);
    gains
}

/// trec_eval's order of the gains: `qsort` with a comparator that truncates the difference of
/// two gains to an integer (`comp_rel_gain`), so gains less than 1 apart compare equal and
/// keep their order, which is not transitive. glibc's `qsort` is a top-down merge sort that
/// takes from the left run unless the comparator says greater; the same merge sort is run here
/// so that `ndcg.2=0.5` orders its levels as trec_eval 10.0 does.
fn sort_gains(gains: &mut [Gain]) {
    fn cmp(a: &Gain, b: &Gain) -> i32 {
        (a.gain - b.gain) as i32
    }
    fn msort(b: &mut [Gain], tmp: &mut Vec<Gain>) {
        let n = b.len();
        if n <= 1 {
            return;
        }
        let n1 = n / 2;
        msort(&mut b[..n1], tmp);
        msort(&mut b[n1..], tmp);
        tmp.clear();
        let (mut i, mut j) = (0, n1);
        while i < n1 && j < n {
            if cmp(&b[i], &b[j]) <= 0 {
                tmp.push(b[i]);
                i += 1;
            } else {
                tmp.push(b[j]);
                j += 1;
            }
        }
        tmp.extend_from_slice(&b[i..n1]);
        // What is left of the right run is already in place.
        let done = tmp.len();
        b[..done].copy_from_slice(tmp);
    }
    let mut tmp = Vec::with_capacity(gains.len());
    msort(gains, &mut tmp);
}

fn get_gain(level: i64, gains: &[Gain]) -> f64 {
    gains
        .iter()
        .find(|g| g.level == level)
        .map_or(0.0, |g| g.gain)
}

/// The ideal ranking's gains, walked as trec_eval walks them: from the highest gain level
/// down, one document per step, each level as many times as it has judged documents.
struct IdealWalk<'a> {
    gains: &'a [Gain],
    cur: isize,
    at_level: u64,
    gain: f64,
}

impl<'a> IdealWalk<'a> {
    fn new(gains: &'a [Gain]) -> Self {
        let cur = gains.len() as isize - 1;
        IdealWalk {
            gains,
            cur,
            at_level: 0,
            gain: if cur >= 0 {
                gains[cur as usize].gain
            } else {
                0.0
            },
        }
    }

    /// Moves to the next rank and returns its ideal gain.
    fn step(&mut self) -> f64 {
        self.at_level += 1;
        while self.cur >= 0 && self.at_level > self.gains[self.cur as usize].count {
            self.at_level = 1;
            self.cur -= 1;
            self.gain = if self.cur >= 0 {
                self.gains[self.cur as usize].gain
            } else {
                0.0
            };
        }
        self.gain
    }
}

fn discount(rank0: usize) -> f64 {
    ((rank0 + 2) as f64).log2()
}

/// DCG of the ranking and of the ideal ranking (`m_ndcg.c`).
fn dcg_and_ideal(rr: &ResRels, gains: &[Gain]) -> (f64, f64) {
    let mut walk = IdealWalk::new(gains);
    let (mut dcg, mut idcg) = (0.0, 0.0);
    let mut i = 0;
    while i < rr.num_ret() && walk.gain > 0.0 {
        let g = get_gain(rr.rels[i], gains);
        if g != 0.0 {
            dcg += g / discount(i);
        }
        let ig = walk.step();
        if ig > 0.0 {
            idcg += ig / discount(i);
        }
        i += 1;
    }
    while i < rr.num_ret() {
        let g = get_gain(rr.rels[i], gains);
        if g != 0.0 {
            dcg += g / discount(i);
        }
        i += 1;
    }
    while walk.gain > 0.0 {
        let ig = walk.step();
        if ig > 0.0 {
            idcg += ig / discount(i);
        }
        i += 1;
    }
    (dcg, idcg)
}

/// `m_ndcg_rel.c`: nDCG averaged at each relevant document.
fn ndcg_rel(rr: &ResRels, gains: &[Gain]) -> f64 {
    let mut walk = IdealWalk::new(gains);
    let (mut dcg, mut idcg, mut sum) = (0.0, 0.0, 0.0);
    let (mut num_rel, mut num_rel_ret) = (0u64, 0u64);
    let mut i = 0;
    while i < rr.num_ret() && walk.gain > 0.0 {
        let g = get_gain(rr.rels[i], gains);
        if g != 0.0 {
            dcg += g / discount(i);
        }
        let ig = walk.step();
        if ig > 0.0 {
            num_rel += 1;
            idcg += ig / discount(i);
        }
        if g > 0.0 {
            sum += dcg / idcg;
            num_rel_ret += 1;
        }
        i += 1;
    }
    while i < rr.num_ret() {
        let g = get_gain(rr.rels[i], gains);
        if g != 0.0 {
            dcg += g / discount(i);
        }
        if g > 0.0 {
            sum += dcg / idcg;
            num_rel_ret += 1;
        }
        i += 1;
    }
    while walk.gain > 0.0 {
        let ig = walk.step();
        if ig > 0.0 {
            num_rel += 1;
            idcg += ig / discount(i);
        }
        i += 1;
    }
    sum += (num_rel as f64 - num_rel_ret as f64) * dcg / idcg;
    if sum > 0.0 {
        sum / num_rel as f64
    } else {
        0.0
    }
}

/// `m_Rndcg.c`: nDCG averaged where the ideal gain changes.
fn rndcg(rr: &ResRels, gains: &[Gain]) -> f64 {
    if rr.num_rel == 0 {
        return 0.0;
    }
    let mut walk = IdealWalk::new(gains);
    let mut old = walk.gain;
    let (mut dcg, mut idcg, mut sum) = (0.0, 0.0, 0.0);
    let mut changes = 0u64;
    let mut i = 0;
    while i < rr.num_ret() && walk.gain > 0.0 {
        let g = get_gain(rr.rels[i], gains);
        let ig = walk.step();
        if old != ig {
            if idcg > 0.0 {
                sum += dcg / idcg;
                changes += 1;
            }
            old = ig;
        }
        if g != 0.0 {
            dcg += g / discount(i);
        }
        if ig > 0.0 {
            idcg += ig / discount(i);
        }
        i += 1;
    }
    if i < rr.num_ret() {
        while i < rr.num_ret() {
            let g = get_gain(rr.rels[i], gains);
            if g != 0.0 {
                dcg += g / discount(i);
            }
            i += 1;
        }
        if idcg > 0.0 {
            sum += dcg / idcg;
            changes += 1;
        }
    }
    while walk.gain > 0.0 {
        let ig = walk.step();
        if old != ig {
            if idcg > 0.0 {
                sum += dcg / idcg;
                changes += 1;
            }
            old = ig;
        }
        if ig > 0.0 {
            idcg += ig / discount(i);
        }
        i += 1;
    }
    sum / changes as f64
}

/// `m_G.c`: Kishida's G.
fn kishida_g(rr: &ResRels, gains: &[Gain]) -> f64 {
    const MIN_COST: f64 = 1.0;
    let mut walk = IdealWalk::new(gains);
    let (mut g_sum, mut sum_results, mut sum_ideal, mut sum_cost) = (0.0, 0.0, 0.0, 0.0);
    let mut i = 0;
    while i < rr.num_ret() && walk.gain > 0.0 {
        let g = get_gain(rr.rels[i], gains);
        sum_results += g;
        let ig = walk.step();
        if ig > 0.0 {
            sum_ideal += ig;
        }
        sum_cost += if ig >= MIN_COST { ig } else { MIN_COST };
        if g != 0.0 {
            g_sum += g / (2.0 + sum_cost - sum_results).log2();
        }
        i += 1;
    }
    while i < rr.num_ret() {
        let g = get_gain(rr.rels[i], gains);
        sum_results += g;
        sum_cost += MIN_COST;
        if g != 0.0 {
            g_sum += g / (2.0 + sum_cost - sum_results).log2();
        }
        i += 1;
    }
    while walk.gain > 0.0 {
        let ig = walk.step();
        if ig > 0.0 {
            sum_ideal += ig;
        }
    }
    if sum_ideal > 0.0 {
        g_sum / sum_ideal
    } else {
        0.0
    }
}

/// `m_binG.c`.
fn bin_g(rr: &ResRels) -> f64 {
    let mut rel_so_far = 0u64;
    let mut sum = 0.0;
    for (i, &v) in rr.rels.iter().enumerate() {
        if rr.is_rel(v) {
            rel_so_far += 1;
            sum += 1.0 / ((3 + i as u64 - rel_so_far) as f64).log2();
        }
    }
    if rel_so_far > 0 {
        sum / rr.num_rel as f64
    } else {
        0.0
    }
}

/// `m_rbp.c`: gains as for nDCG, rescaled to [0, 1] when any lies outside.
fn rbp(rr: &ResRels, c: &Column) -> f64 {
    let p = c.persistence();
    let mut gains = setup_gains(rr, &c.pairs);
    // trec_eval 10.0 leaves the running minimum and maximum uninitialised; they are the
    // gains' minimum and maximum here.
    let min = gains.iter().map(|g| g.gain).fold(f64::INFINITY, f64::min);
    let max = gains
        .iter()
        .map(|g| g.gain)
        .fold(f64::NEG_INFINITY, f64::max);
    if min < 0.0 || max > 1.0 {
        for g in &mut gains {
            g.gain = (g.gain - min) / (max - min);
        }
    }
    let mut sum = 0.0;
    let mut cur = 1.0;
    for &v in &rr.rels {
        let g = get_gain(v, &gains);
        if g != 0.0 {
            sum += g * cur;
        }
        cur *= p;
    }
    (1.0 - p) * sum
}

/// `m_rbp_resid.c`.
fn rbp_resid(rr: &ResRels, p: f64) -> f64 {
    let mut unj = 0u64;
    let mut sum = 0.0;
    let mut cur = 1.0;
    for &v in &rr.rels {
        if v < 0 {
            unj += 1;
            sum += cur;
        }
        cur *= p;
    }
    if unj > 0 {
        cur + (1.0 - p) * sum
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

/// Interpolated precision as `m_iprec_at_recall.c` assigns it, indexed by the number of
/// relevant documents retrieved: `table[n]` (1 ≤ n ≤ num_rel_ret) is the best precision at
/// or below the rank of the n-th relevant document, and `table[0]` the value left once the
/// walk ends (the one every cutoff ≤ 0 gets).
///
/// trec_eval divides by num_ret unconditionally: 0/0 = NaN for an empty ranking, which its
/// file reader produces only under `-J` (every document unjudged); ragdiag gives NaN there too
/// and precision 0 to the empty rankings of callers other than `-J` (a search that found
/// nothing).
fn iprec_table(rr: &ResRels, judged_only: bool) -> Vec<f64> {
    let mut table = vec![0.0; rr.num_rel_ret as usize + 1];
    let mut rel_so_far = rr.num_rel_ret;
    let mut int_prec = if rr.num_ret() == 0 && !judged_only {
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
            table[rel_so_far as usize] = int_prec;
            rel_so_far -= 1;
        }
        i -= 1;
    }
    table[0] = int_prec;
    table
}

/// Values of a query that is in the qrels but absent from the run, under trec_eval's `-c`:
/// evaluated against a one-document ranking of a document not in the qrels, then, as
/// `trec_eval.c` does by name, `num_ret`, `utility`, `unj*` and `rbp_resid` set to 0 and
/// `relstring` emptied (the names with parameters, such as `relstring_20`, keep their value).
pub(crate) fn missing_topic_values(
    judgments: &QueryJudgments,
    measures: &MeasureSet,
    params: &EvalParams,
) -> (Vec<f64>, String) {
    let mut values = compute(judgments, vec![NONPOOL], measures, params);
    let mut rel = String::new();
    for (v, c) in values.iter_mut().zip(measures.columns()) {
        match c.name.as_str() {
            "num_ret" | "utility" | "rbp_resid" => *v = 0.0,
            n if n.starts_with("unj") => *v = 0.0,
            _ => {}
        }
        if c.kind == Kind::Relstring && c.name != "relstring" {
            let len = c.values.first().map_or(0, |&l| l.max(0.0) as usize);
            rel = if len > 0 {
                rel_char(NONPOOL).to_string()
            } else {
                String::new()
            };
        }
    }
    (values, rel)
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

    fn get(v: &[(String, f64)], n: &str) -> f64 {
        v.iter()
            .find(|(k, _)| k == n)
            .unwrap_or_else(|| panic!("{n}"))
            .1
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    /// x (not in the qrels), a (1), b (0), d (judged -1: in the pool, unjudged), c (2); e (1)
    /// is relevant and not retrieved. R = 3, 2 relevant retrieved, 5 retrieved.
    fn set_example(m: &[&str]) -> Vec<(String, f64)> {
        let j = judged(&[("a", 1), ("b", 0), ("c", 2), ("d", -1), ("e", 1)]);
        eval(
            &j,
            &[("x", 5.0), ("a", 4.0), ("b", 3.0), ("d", 2.0), ("c", 1.0)],
            m,
        )
    }

    #[test]
    fn set_measures_by_hand() {
        let v = set_example(&["set", "num_nonrel_judged_ret", "unj.2,5", "relative_P.2,4"]);
        assert!(close(get(&v, "set_P"), 0.4));
        assert!(close(get(&v, "set_recall"), 2.0 / 3.0));
        assert!(close(get(&v, "set_relative_P"), 2.0 / 3.0));
        assert!(close(get(&v, "set_map"), 4.0 / 15.0));
        // F1 = 2PR / (P + R) = 2 × 0.4 × 2/3 / (0.4 + 2/3) = 0.5.
        assert!(close(get(&v, "set_F"), 0.5));
        // utility 1, -1, 0, 0: 2 relevant retrieved, 3 others.
        assert!(close(get(&v, "utility"), -1.0));
        // 5 retrieved − 1 not in the qrels − 1 unjudged − 2 relevant.
        assert_eq!(get(&v, "num_nonrel_judged_ret"), 1.0);
        assert!(close(get(&v, "unj_2"), 0.5));
        assert!(close(get(&v, "unj_5"), 0.4));
        // relative_P_2: 1 relevant in the top 2 of at most min(2, R) = 2; _4: 1 of 3.
        assert!(close(get(&v, "relative_P_2"), 0.5));
        assert!(close(get(&v, "relative_P_4"), 1.0 / 3.0));
        let f = set_example(&["set_F.0.5"]);
        let (p, r) = (0.4, 2.0 / 3.0);
        assert!(close(get(&f, "set_F_0.5"), 1.5 * p * r / (0.5 * p + r)));
        let u = set_example(&["utility.2,-1,0.5,0"]);
        assert!(close(get(&u, "utility_2,-1,0.5,0"), 4.0 - 3.0 + 0.5));
    }

    #[test]
    fn rbp_rprec_mult_and_ndcg_gains_by_hand() {
        let v = set_example(&[
            "rbp",
            "rbp_resid",
            "Rprec_mult.1,2",
            "ndcg.1=3,2=9,4=4.5",
            "infAP",
        ]);
        // Gains 0, 1, 2 rescaled to 0, 0.5, 1 (the largest is above 1): a at rank 2, c at 5.
        assert!(close(get(&v, "rbp"), 0.1 * (0.5 * 0.9 + 0.9f64.powi(4))));
        // Unjudged at ranks 1 (x) and 4 (d): p^5 + (1 - p)(1 + p^3).
        assert!(close(
            get(&v, "rbp_resid"),
            0.9f64.powi(5) + 0.1 * (1.0 + 0.9f64.powi(3))
        ));
        // Cutoffs (m × R + 0.9) truncated: 3 (one relevant in the top 3), 6 (> 5 retrieved).
        assert!(close(get(&v, "Rprec_mult_1.00"), 1.0 / 3.0));
        assert!(close(get(&v, "Rprec_mult_2.00"), 2.0 / 6.0));
        // Gains: grade 1 → 3, grade 2 → 9 (grade 4 has no document); ideal 9, 3, 3.
        let dcg = 3.0 / 3f64.log2() + 9.0 / 6f64.log2();
        let idcg = 9.0 + 3.0 / 3f64.log2() + 3.0 / 4f64.log2();
        assert!(close(get(&v, "ndcg_1=3,2=9,4=4.5"), dcg / idcg));
        // infAP: a at rank 2 (j = 1) after one document not in the pool: 1/2 + 1/2 × 0/1 × …;
        // c at rank 5 (j = 4) after a, b and unjudged d.
        let eps = INFAP_EPSILON;
        let at_c = 1.0 / 5.0 + (4.0 / 5.0) * (3.0 / 4.0) * ((1.0 + eps) / (2.0 + 2.0 * eps));
        assert!(close(get(&v, "infAP"), (0.5 + at_c) / 3.0));
    }

    #[test]
    fn gains_less_than_one_apart_keep_trec_evals_order() {
        // Levels in setup order: 2 (given, 0.5), 0, 1, 3. trec_eval's comparator sees 0.5 and
        // 0, and 0.5 and 1, as equal, so level 2 stays below level 0 and the ideal ranking
        // stops at level 0's gain 0 before reaching it: ideal 3, 1.
        let j = judged(&[("a", 3), ("b", 1), ("c", 2), ("d", 0)]);
        let v = eval(&j, &[("c", 1.0)], &["ideal_dcg.2=0.5"]);
        assert!(close(get(&v, "ideal_dcg_2=0.5"), 3.0 + 1.0 / 3f64.log2()));
        let v = eval(&j, &[("c", 1.0)], &["ideal_dcg"]);
        assert!(close(
            get(&v, "ideal_dcg"),
            3.0 + 2.0 / 3f64.log2() + 1.0 / 4f64.log2()
        ));
    }

    #[test]
    fn iprec_rounds_as_trec_eval_10() {
        // R = 2; relevant at ranks 1 and 4 of 5: interpolated precision 1.0 up to the first
        // relevant document, 0.5 up to the second.
        let j = judged(&[("b", 1), ("d", 1)]);
        let docs = [("b", 5.0), ("a", 4.0), ("c", 3.0), ("d", 2.0), ("e", 1.0)];
        let v = eval(&j, &docs, &["iprec_at_recall", "11pt_avg"]);
        // 0.6 × R = 1.2: 10.0 rounds to 1 relevant document (1.0); 9.x's +0.9 truncation gave 2.
        assert_eq!(get(&v, "iprec_at_recall_0.60"), 1.0);
        assert_eq!(get(&v, "iprec_at_recall_0.70"), 1.0);
        assert_eq!(get(&v, "iprec_at_recall_0.80"), 0.5);
        assert_eq!(get(&v, "iprec_at_recall_0.20"), 1.0);
        // Levels 0–0.7 reach 1.0, 0.8–1.0 reach 0.5.
        assert!(close(get(&v, "11pt_avg"), 9.5 / 11.0));
        let v = eval(&j, &docs, &["11pt_avg..8,1"]);
        assert!(close(get(&v, "11pt_avg_.8,1"), 0.5));
    }

    #[test]
    fn relstring_and_judged_only() {
        let j = judged(&[("a", 1), ("b", 0), ("c", 12), ("d", -1)]);
        let measures = MeasureSet::parse(&["P.2", "num_ret"]).unwrap();
        let mut ranking: Vec<Ranked<'_>> =
            [("x", 5.0), ("a", 4.0), ("b", 3.0), ("d", 2.0), ("c", 1.0)]
                .iter()
                .map(|(d, s)| Ranked::new(d, *s))
                .collect();
        let params = EvalParams::default();
        let v = evaluate_topic(&j, &mut ranking, &measures, &params).unwrap();
        assert_eq!(v, [5.0, 0.5]); // num_ret, P_2
        assert_eq!(relstring(&j, &ranking, 10, &params), "-10.>");
        assert_eq!(relstring(&j, &ranking, 2, &params), "-1");
        let judged_only = EvalParams {
            judged_docs_only: true,
            ..EvalParams::default()
        };
        let v = evaluate_topic(&j, &mut ranking, &measures, &judged_only).unwrap();
        // Ranking without x and d: a, b, c.
        assert_eq!(v, [3.0, 0.5]);
        assert_eq!(relstring(&j, &ranking, 10, &judged_only), "10>");
        // Nothing judged retrieved under -J: trec_eval's 0/0 at recall 0 (NaN), 0 elsewhere.
        let iprec = MeasureSet::parse(&["iprec_at_recall..0,.5"]).unwrap();
        let mut none = vec![Ranked::new("x", 1.0), Ranked::new("d", 0.5)];
        let v = evaluate_topic(&j, &mut none, &iprec, &judged_only).unwrap();
        assert!(v[0].is_nan() && v[1] == 0.0, "{v:?}");
        let v = evaluate_topic(&j, &mut Vec::new(), &iprec, &params).unwrap();
        assert_eq!(v, [0.0, 0.0]);
    }
}
