//! Measure names, parameters, aliases and trec_eval's print order.
//!
//! Parameters are read as trec_eval 10.0 reads them (`meas_init.c`): integer cutoff lists
//! (`P.5,10`; sorted ascending, duplicates and cutoffs ≤ 0 refused, a decimal cutoff such as
//! `23.4` truncated to 23 as C's `atol` does), real cutoff lists (`iprec_at_recall..10,.25`;
//! sorted ascending, printed `%3.2f`), real parameter lists (`utility.2,-1,0,0`, printed as
//! given) and `name=value` pairs (`ndcg.1=3,2=9`, printed as given).

use std::fmt;

/// The measures ragdiag computes. The declaration order is trec_eval's print order
/// (`measures.c`), with `judged` (not a trec_eval measure) last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// The run's tag; summary line only.
    Runid,
    /// Number of evaluated queries; summary line only.
    NumQ,
    /// Retrieved documents (summed in `all`).
    NumRet,
    /// Relevant documents in the qrels (summed in `all`).
    NumRel,
    /// Relevant documents retrieved (summed in `all`).
    NumRelRet,
    /// Mean average precision.
    Map,
    /// Geometric mean of AP (floored at 1e-5); summary line only.
    GmMap,
    /// Precision at R (the number of relevant documents).
    Rprec,
    /// Binary preference.
    Bpref,
    /// Reciprocal rank of the first relevant document (MRR when averaged).
    RecipRank,
    /// Interpolated precision at recall levels (default 0.0, 0.1, …, 1.0).
    IprecAtRecall,
    /// Precision at k.
    P,
    /// The grades of the first N documents as a string; per-query lines only.
    Relstring,
    /// Recall at k.
    Recall,
    /// Inferred AP (Yilmaz & Aslam), for qrels with sampled (negative-grade) documents.
    InfAp,
    /// Geometric mean of bpref (floored at 1e-5); summary line only.
    GmBpref,
    /// Precision at multiples of R.
    RprecMult,
    /// Set utility with four coefficients.
    Utility,
    /// Interpolated precision averaged over recall levels.
    Pt11Avg,
    /// Binary G (Kishida's G with binary gains).
    BinG,
    /// Kishida's G.
    G,
    /// Discounted cumulative gain over the whole ranking.
    Dcg,
    /// The ideal DCG.
    IdealDcg,
    /// nDCG over the whole ranking, gain = grade unless mapped.
    Ndcg,
    /// nDCG averaged over the relevant documents.
    NdcgRel,
    /// nDCG averaged where the ideal gain changes.
    Rndcg,
    /// nDCG at k, gain = grade.
    NdcgCut,
    /// Average precision at k (denominator: all relevant documents).
    MapCut,
    /// Precision at k over the best possible at k.
    RelativeP,
    /// 1 if a relevant document is in the top k.
    Success,
    /// Precision of the whole retrieved set.
    SetP,
    /// Set precision over the best possible for the set's size.
    SetRelativeP,
    /// Recall of the whole retrieved set.
    SetRecall,
    /// Set precision × set recall.
    SetMap,
    /// F-measure of the retrieved set (β parameter, default 1).
    SetF,
    /// Judged non-relevant documents retrieved (summed in `all`).
    NumNonrelJudgedRet,
    /// Rank-biased precision (persistence `p`, default 0.9).
    Rbp,
    /// RBP's residual from unjudged documents.
    RbpResid,
    /// Share of the top k that is unjudged.
    Unj,
    /// Share of the top min(k, retrieved) that is judged (ir_measures' `Judged@k`).
    Judged,
}

/// Whether a column is a count, a ratio or text, which decides how it prints and aggregates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// An integer count, printed with `%ld`.
    Count,
    /// A real value, printed with `%6.4f`.
    Ratio,
    /// Text (`relstring`): printed per query only, never averaged.
    Text,
}

/// How a measure takes parameters (trec_eval's `init_meas` families).
#[derive(Debug, Clone, Copy, PartialEq)]
enum ParamKind {
    /// No parameters.
    None,
    /// Integer cutoffs, one column each.
    LongCutoffs(&'static [u64]),
    /// Real cutoffs, one column each.
    DoubleCutoffs(&'static [f64]),
    /// A list of reals for one column.
    Doubles(&'static [f64]),
    /// `name=value` pairs for one column.
    Pairs,
}

const DEFAULT_CUTOFFS: &[u64] = &[5, 10, 15, 20, 30, 100, 200, 500, 1000];
const SUCCESS_CUTOFFS: &[u64] = &[1, 5, 10];
const UNJ_CUTOFFS: &[u64] = &[5, 10, 20];
const JUDGED_CUTOFFS: &[u64] = &[10];
const RECALL_LEVELS: &[f64] = &[0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0];
const RPREC_MULTS: &[f64] = &[0.2, 0.4, 0.6, 0.8, 1.0, 1.2, 1.4, 1.6, 1.8, 2.0];
const UTILITY: &[f64] = &[1.0, -1.0, 0.0, 0.0];
const SET_F: &[f64] = &[1.0];
const RELSTRING: &[f64] = &[10.0];

const OFFICIAL: &[Kind] = &[
    Kind::Runid,
    Kind::NumQ,
    Kind::NumRet,
    Kind::NumRel,
    Kind::NumRelRet,
    Kind::Map,
    Kind::GmMap,
    Kind::Rprec,
    Kind::Bpref,
    Kind::RecipRank,
    Kind::IprecAtRecall,
    Kind::P,
];

const SET: &[Kind] = &[
    Kind::Runid,
    Kind::NumQ,
    Kind::NumRet,
    Kind::NumRel,
    Kind::NumRelRet,
    Kind::Utility,
    Kind::SetP,
    Kind::SetRecall,
    Kind::SetRelativeP,
    Kind::SetMap,
    Kind::SetF,
];

/// Whether `all_trec` of `measures.c` holds the measure: every measure of ragdiag's list
/// ([`Kind::ALL`]) but `dcg`, `ideal_dcg` and `judged`. (Columns are printed in [`Kind`]'s
/// order whatever the order of a set.)
fn in_all_trec(k: Kind) -> bool {
    !matches!(k, Kind::Dcg | Kind::IdealDcg | Kind::Judged)
}

impl Kind {
    const ALL: &'static [Kind] = &[
        Kind::Runid,
        Kind::NumQ,
        Kind::NumRet,
        Kind::NumRel,
        Kind::NumRelRet,
        Kind::Map,
        Kind::GmMap,
        Kind::Rprec,
        Kind::Bpref,
        Kind::RecipRank,
        Kind::IprecAtRecall,
        Kind::P,
        Kind::Relstring,
        Kind::Recall,
        Kind::InfAp,
        Kind::GmBpref,
        Kind::RprecMult,
        Kind::Utility,
        Kind::Pt11Avg,
        Kind::BinG,
        Kind::G,
        Kind::Dcg,
        Kind::IdealDcg,
        Kind::Ndcg,
        Kind::NdcgRel,
        Kind::Rndcg,
        Kind::NdcgCut,
        Kind::MapCut,
        Kind::RelativeP,
        Kind::Success,
        Kind::SetP,
        Kind::SetRelativeP,
        Kind::SetRecall,
        Kind::SetMap,
        Kind::SetF,
        Kind::NumNonrelJudgedRet,
        Kind::Rbp,
        Kind::RbpResid,
        Kind::Unj,
        Kind::Judged,
    ];

    /// trec_eval's name of the measure.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Runid => "runid",
            Kind::NumQ => "num_q",
            Kind::NumRet => "num_ret",
            Kind::NumRel => "num_rel",
            Kind::NumRelRet => "num_rel_ret",
            Kind::Map => "map",
            Kind::GmMap => "gm_map",
            Kind::Rprec => "Rprec",
            Kind::Bpref => "bpref",
            Kind::RecipRank => "recip_rank",
            Kind::IprecAtRecall => "iprec_at_recall",
            Kind::P => "P",
            Kind::Relstring => "relstring",
            Kind::Recall => "recall",
            Kind::InfAp => "infAP",
            Kind::GmBpref => "gm_bpref",
            Kind::RprecMult => "Rprec_mult",
            Kind::Utility => "utility",
            Kind::Pt11Avg => "11pt_avg",
            Kind::BinG => "binG",
            Kind::G => "G",
            Kind::Dcg => "dcg",
            Kind::IdealDcg => "ideal_dcg",
            Kind::Ndcg => "ndcg",
            Kind::NdcgRel => "ndcg_rel",
            Kind::Rndcg => "Rndcg",
            Kind::NdcgCut => "ndcg_cut",
            Kind::MapCut => "map_cut",
            Kind::RelativeP => "relative_P",
            Kind::Success => "success",
            Kind::SetP => "set_P",
            Kind::SetRelativeP => "set_relative_P",
            Kind::SetRecall => "set_recall",
            Kind::SetMap => "set_map",
            Kind::SetF => "set_F",
            Kind::NumNonrelJudgedRet => "num_nonrel_judged_ret",
            Kind::Rbp => "rbp",
            Kind::RbpResid => "rbp_resid",
            Kind::Unj => "unj",
            Kind::Judged => "judged",
        }
    }

    fn from_name(s: &str) -> Option<Kind> {
        Kind::ALL.iter().copied().find(|k| k.name() == s)
    }

    fn params(self) -> ParamKind {
        match self {
            Kind::P | Kind::Recall | Kind::NdcgCut | Kind::MapCut | Kind::RelativeP => {
                ParamKind::LongCutoffs(DEFAULT_CUTOFFS)
            }
            Kind::Success => ParamKind::LongCutoffs(SUCCESS_CUTOFFS),
            Kind::Unj => ParamKind::LongCutoffs(UNJ_CUTOFFS),
            Kind::Judged => ParamKind::LongCutoffs(JUDGED_CUTOFFS),
            Kind::IprecAtRecall => ParamKind::DoubleCutoffs(RECALL_LEVELS),
            Kind::RprecMult => ParamKind::DoubleCutoffs(RPREC_MULTS),
            Kind::Utility => ParamKind::Doubles(UTILITY),
            Kind::Pt11Avg => ParamKind::Doubles(RECALL_LEVELS),
            Kind::SetF => ParamKind::Doubles(SET_F),
            Kind::Relstring => ParamKind::Doubles(RELSTRING),
            Kind::G
            | Kind::Dcg
            | Kind::IdealDcg
            | Kind::Ndcg
            | Kind::NdcgRel
            | Kind::Rndcg
            | Kind::Rbp
            | Kind::RbpResid => ParamKind::Pairs,
            _ => ParamKind::None,
        }
    }

    /// The unit of the measure's values.
    pub fn unit(self) -> Unit {
        match self {
            Kind::NumQ
            | Kind::NumRet
            | Kind::NumRel
            | Kind::NumRelRet
            | Kind::NumNonrelJudgedRet => Unit::Count,
            Kind::Relstring => Unit::Text,
            _ => Unit::Ratio,
        }
    }

    /// Whether trec_eval prints a per-query line for it.
    pub fn per_query(self) -> bool {
        !matches!(self, Kind::Runid | Kind::NumQ | Kind::GmMap | Kind::GmBpref)
    }

    /// Whether trec_eval prints an `all` line for it.
    pub fn summary(self) -> bool {
        self != Kind::Relstring
    }
}

/// One output column: a measure at one parameter (`P_10`, `iprec_at_recall_0.30`, `map`).
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// The measure.
    pub kind: Kind,
    /// The cutoff k for cutoff measures.
    pub cutoff: Option<u64>,
    /// The real cutoff of `iprec_at_recall` (a recall level) and `Rprec_mult` (a multiple of R).
    pub fraction: Option<f64>,
    /// The real parameters of `utility` (4 coefficients), `11pt_avg` (recall levels),
    /// `set_F` (β) and `relstring` (length); empty for the others.
    pub values: Vec<f64>,
    /// The `name=value` parameters of the gain measures (`ndcg`, `rbp`, …), as given.
    pub pairs: Vec<(String, f64)>,
    /// The printed name, as trec_eval writes it.
    pub name: String,
}

impl Column {
    fn plain(kind: Kind, name: String) -> Column {
        Column {
            kind,
            cutoff: None,
            fraction: None,
            values: Vec::new(),
            pairs: Vec::new(),
            name,
        }
    }

    /// The name used everywhere outside `ragdiag eval`'s trec_eval output (`ndcg@10`, `p@5`,
    /// `mrr`), or the trec_eval name where DESIGN.md defines no alias.
    pub fn alias(&self) -> String {
        alias_of(self.kind, self.cutoff).unwrap_or_else(|| self.name.clone())
    }

    /// The `p` pair of `rbp`/`rbp_resid` (default 0.9; the last one given wins, as in trec_eval).
    pub fn persistence(&self) -> f64 {
        self.pairs
            .iter()
            .rev()
            .find(|(n, _)| n == "p")
            .map_or(0.9, |(_, v)| *v)
    }
}

/// DESIGN.md's name for a measure at a cutoff, where one exists.
pub fn alias_of(kind: Kind, cutoff: Option<u64>) -> Option<String> {
    let with_k = |base: &str| cutoff.map(|k| format!("{base}@{k}"));
    match kind {
        Kind::P => with_k("p"),
        Kind::Recall => with_k("recall"),
        Kind::NdcgCut => with_k("ndcg"),
        Kind::MapCut => with_k("map"),
        Kind::Success => with_k("success"),
        Kind::Judged => with_k("judged"),
        Kind::RecipRank => Some("mrr".into()),
        Kind::Rprec => Some("r-precision".into()),
        Kind::Map => Some("map".into()),
        Kind::Ndcg => Some("ndcg".into()),
        Kind::Bpref => Some("bpref".into()),
        _ => None,
    }
}

/// Why a measure request is not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MeasureError {
    /// The name is not a measure ragdiag knows.
    #[error("unknown measure {0:?} (known: {known})", known = known_names())]
    Unknown(String),
    /// A trec_eval measure or set that needs input ragdiag does not read.
    #[error("measure {measure:?} is not supported: {reason}")]
    Unsupported {
        /// The request as given.
        measure: String,
        /// Why.
        reason: &'static str,
    },
    /// The parameters are malformed.
    #[error("measure {measure:?}: {reason}")]
    BadParams {
        /// The request as given.
        measure: String,
        /// What is wrong.
        reason: String,
    },
}

fn known_names() -> String {
    let mut names: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
    names.extend(["official", "set", "all_trec"]);
    names.join(", ")
}

/// trec_eval 10.0 measures and sets ragdiag does not compute, with the reason.
fn unsupported(name: &str) -> Option<&'static str> {
    const PREFS: &str = "it reads preference judgments (trec_eval -R prefs / qrels_prefs)";
    const JG: &str = "it reads judgment groups (trec_eval -R qrels_jg)";
    Some(match name {
        "all_prefs" | "prefs" => PREFS,
        n if n.starts_with("prefs_") => PREFS,
        "qrels_jg" | "map_avgjg" | "P_avgjg" | "Rprec_mult_avgjg" => JG,
        "yaap" => "it is outside trec_eval's all_trec set and has no test in its suite",
        _ => return None,
    })
}

/// A set of requested measures with their parameters, in print order.
#[derive(Debug, Clone, PartialEq)]
pub struct MeasureSet {
    columns: Vec<Column>,
}

/// The parameters of one measure as parsed.
#[derive(Debug, Clone, PartialEq)]
enum Parsed {
    Long(Vec<u64>),
    Double(Vec<f64>),
    Doubles(Vec<f64>),
    Pairs(Vec<(String, f64)>),
}

/// C's `atol` on the forms ragdiag accepts: an optional sign, digits, and optionally a
/// decimal fraction, which is dropped (`23.4` → 23).
fn parse_long(p: &str) -> Option<i64> {
    let t = p.trim();
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    let digits = int.strip_prefix(['+', '-']).unwrap_or(int);
    if digits.is_empty()
        || !digits.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    int.parse().ok()
}

fn parse_double(p: &str) -> Option<f64> {
    let t = p.trim();
    // Rust reads "inf" and "nan"; a measure parameter must be a finite number.
    if !t
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'))
    {
        return None;
    }
    t.parse::<f64>().ok().filter(|v| v.is_finite())
}

fn parse_params(request: &str, kind: Kind, params: &str) -> Result<Parsed, MeasureError> {
    let bad = |reason: String| MeasureError::BadParams {
        measure: request.to_string(),
        reason,
    };
    if params.is_empty() {
        return Err(bad("empty parameter list".into()));
    }
    match kind.params() {
        ParamKind::None => Err(bad(format!("{} takes no parameters", kind.name()))),
        ParamKind::LongCutoffs(_) => {
            let mut cutoffs = Vec::new();
            for p in params.split(',') {
                let k =
                    parse_long(p).ok_or_else(|| bad(format!("cutoff {p:?} is not a number")))?;
                cutoffs.push(k);
            }
            cutoffs.sort_unstable();
            if cutoffs[0] <= 0 {
                return Err(bad(format!("cutoff {} must be positive", cutoffs[0])));
            }
            if cutoffs.windows(2).any(|w| w[0] == w[1]) {
                return Err(bad("duplicate cutoffs".into()));
            }
            Ok(Parsed::Long(
                cutoffs.into_iter().map(|k| k as u64).collect(),
            ))
        }
        ParamKind::DoubleCutoffs(_) => {
            let mut cutoffs = Vec::new();
            for p in params.split(',') {
                cutoffs.push(
                    parse_double(p).ok_or_else(|| bad(format!("cutoff {p:?} is not a number")))?,
                );
            }
            cutoffs.sort_by(f64::total_cmp);
            if cutoffs.windows(2).any(|w| w[0] == w[1]) {
                return Err(bad("duplicate cutoffs".into()));
            }
            Ok(Parsed::Double(cutoffs))
        }
        ParamKind::Doubles(_) => {
            let mut values = Vec::new();
            for p in params.split(',') {
                values.push(
                    parse_double(p)
                        .ok_or_else(|| bad(format!("parameter {p:?} is not a number")))?,
                );
            }
            if kind == Kind::Utility && values.len() != 4 {
                return Err(bad(format!(
                    "utility takes 4 coefficients, found {}",
                    values.len()
                )));
            }
            if kind == Kind::Relstring && values[0] < 0.0 {
                return Err(bad("the length must not be negative".into()));
            }
            Ok(Parsed::Doubles(values))
        }
        ParamKind::Pairs => {
            let mut pairs = Vec::new();
            for item in params.split(',') {
                let (name, value) = item
                    .split_once('=')
                    .filter(|(n, v)| !n.is_empty() && !v.contains('='))
                    .ok_or_else(|| bad(format!("{item:?} is not name=value")))?;
                let v = parse_double(value)
                    .ok_or_else(|| bad(format!("value {value:?} is not a number")))?;
                pairs.push((name.to_string(), v));
            }
            Ok(Parsed::Pairs(pairs))
        }
    }
}

/// Parses a DESIGN.md name (`ndcg@10`, `p@5`, `recall@100`, `mrr`, `map@100`, `success@10`,
/// `judged@10`, `r-precision`) into a trec_eval request (`ndcg_cut.10`, …).
fn from_alias(s: &str) -> Option<String> {
    let lower = s.to_ascii_lowercase();
    if let Some((base, k)) = lower.split_once('@') {
        let kind = match base {
            "p" | "precision" => "P",
            "recall" => "recall",
            "ndcg" => "ndcg_cut",
            "map" | "ap" => "map_cut",
            "success" => "success",
            "judged" => "judged",
            _ => return None,
        };
        return Some(format!("{kind}.{k}"));
    }
    match lower.as_str() {
        "mrr" => Some("recip_rank".into()),
        "r-precision" | "rprec" => Some("Rprec".into()),
        _ => None,
    }
}

/// `%3.2f`.
fn fmt_fraction(v: f64) -> String {
    format!("{v:3.2}")
}

impl MeasureSet {
    /// Parses measure requests as trec_eval's `-m` does: `name` or `name.params`, the sets
    /// `official` (trec_eval's default), `set` and `all_trec`, and DESIGN.md's names
    /// (`ndcg@10`). When a measure is requested twice with parameters, the first wins (as in
    /// trec_eval). An empty request list means `official`.
    pub fn parse<S: AsRef<str>>(requests: &[S]) -> Result<MeasureSet, MeasureError> {
        // Per measure: its parameters as given (raw text for the printed name) and parsed.
        let mut chosen: Vec<(Kind, Option<(String, Parsed)>)> = Vec::new();
        let mut add = |kind: Kind, params: Option<(String, Parsed)>| match chosen
            .iter_mut()
            .find(|(k, _)| *k == kind)
        {
            Some((_, existing @ None)) => *existing = params,
            Some(_) => {}
            None => chosen.push((kind, params)),
        };
        let requests: Vec<String> = if requests.is_empty() {
            vec!["official".into()]
        } else {
            requests.iter().map(|s| s.as_ref().to_string()).collect()
        };
        for raw in &requests {
            let request = from_alias(raw).unwrap_or_else(|| raw.clone());
            let (name, params) = match request.split_once('.') {
                Some((n, p)) => (n, Some(p)),
                None => (request.as_str(), None),
            };
            let set: Option<Vec<Kind>> = match name {
                "official" => Some(OFFICIAL.to_vec()),
                "set" => Some(SET.to_vec()),
                "all_trec" => Some(
                    Kind::ALL
                        .iter()
                        .copied()
                        .filter(|&k| in_all_trec(k))
                        .collect(),
                ),
                _ => None,
            };
            if let Some(set) = set {
                if params.is_some() {
                    return Err(MeasureError::BadParams {
                        measure: raw.clone(),
                        reason: format!("the set {name} takes no parameters"),
                    });
                }
                for k in set {
                    add(k, None);
                }
                continue;
            }
            if let Some(reason) = unsupported(name) {
                return Err(MeasureError::Unsupported {
                    measure: raw.clone(),
                    reason,
                });
            }
            let kind = Kind::from_name(name).ok_or_else(|| MeasureError::Unknown(raw.clone()))?;
            match params {
                None => add(kind, None),
                Some(p) => add(kind, Some((p.to_string(), parse_params(raw, kind, p)?))),
            }
        }
        chosen.sort_by_key(|(k, _)| *k);
        let mut columns = Vec::new();
        for (kind, params) in chosen {
            let base = kind.name();
            match (kind.params(), params) {
                (ParamKind::None, _) => columns.push(Column::plain(kind, base.into())),
                (ParamKind::LongCutoffs(default), p) => {
                    let cutoffs = match p {
                        Some((_, Parsed::Long(c))) => c,
                        _ => default.to_vec(),
                    };
                    for k in cutoffs {
                        columns.push(Column {
                            cutoff: Some(k),
                            ..Column::plain(kind, format!("{base}_{k}"))
                        });
                    }
                }
                (ParamKind::DoubleCutoffs(default), p) => {
                    let cutoffs = match p {
                        Some((_, Parsed::Double(c))) => c,
                        _ => default.to_vec(),
                    };
                    for f in cutoffs {
                        columns.push(Column {
                            fraction: Some(f),
                            ..Column::plain(kind, format!("{base}_{}", fmt_fraction(f)))
                        });
                    }
                }
                (ParamKind::Doubles(default), p) => columns.push(match p {
                    Some((raw, Parsed::Doubles(values))) => Column {
                        values,
                        ..Column::plain(kind, format!("{base}_{raw}"))
                    },
                    _ => Column {
                        values: default.to_vec(),
                        ..Column::plain(kind, base.into())
                    },
                }),
                (ParamKind::Pairs, p) => columns.push(match p {
                    Some((raw, Parsed::Pairs(pairs))) => Column {
                        pairs,
                        ..Column::plain(kind, format!("{base}_{raw}"))
                    },
                    _ => Column::plain(kind, base.into()),
                }),
            }
        }
        Ok(MeasureSet { columns })
    }

    /// The output columns, in trec_eval's print order.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// Position of the column printed as `name` (trec_eval name or DESIGN.md alias).
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.columns
            .iter()
            .position(|c| c.name == name || c.alias() == name)
    }

    /// Whether any column needs the given kind.
    pub fn has(&self, kind: Kind) -> bool {
        self.columns.iter().any(|c| c.kind == kind)
    }
}

impl fmt::Display for MeasureSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.columns.iter().map(|c| c.name.as_str()).collect();
        write!(f, "{}", names.join(" "))
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    fn names(reqs: &[&str]) -> Vec<String> {
        MeasureSet::parse(reqs)
            .unwrap()
            .columns()
            .iter()
            .map(|c| c.name.clone())
            .collect()
    }

    #[test]
    fn print_order_is_trec_evals_not_the_request_order() {
        assert_eq!(
            names(&["ndcg_cut.10", "map", "P.10,5"]),
            ["map", "P_5", "P_10", "ndcg_cut_10"]
        );
        assert_eq!(names(&["P.5", "P.10"]), ["P_5"]);
        assert_eq!(names(&["P", "P.10"]), ["P_10"]);
        assert_eq!(
            names(&["ndcg@10", "mrr", "recall@100", "p@5"]),
            ["recip_rank", "P_5", "recall_100", "ndcg_cut_10"]
        );
        let official = names(&[]);
        assert_eq!(official.len(), 30);
        assert_eq!(official[..3], ["runid", "num_q", "num_ret"]);
        assert_eq!(official[10], "iprec_at_recall_0.00");
        assert_eq!(official[20], "iprec_at_recall_1.00");
        assert_eq!(official[29], "P_1000");
    }

    #[test]
    fn bad_requests_are_errors() {
        for bad in [
            "nope",
            "P.",
            "P.0",
            "P.5,5",
            "P.x",
            "P.-5,10",
            "P.10,10.5",
            "map.5",
            "ndcg.1=",
            "ndcg.=3",
            "ndcg.1=3,2",
            "ndcg.1=3=4",
            "utility.1,2",
            "iprec_at_recall..1,.10",
            "iprec_at_recall.nan",
            "official.5",
        ] {
            assert!(MeasureSet::parse(&[bad]).is_err(), "{bad}");
        }
        for unsupported in ["all_prefs", "prefs_simp", "qrels_jg", "P_avgjg"] {
            let e = MeasureSet::parse(&[unsupported]).unwrap_err();
            assert!(matches!(e, MeasureError::Unsupported { .. }), "{e}");
        }
    }

    #[test]
    fn aliases_round_trip() {
        let m = MeasureSet::parse(&["ndcg@10", "map@100", "success@1", "judged@10", "mrr", "p@5"])
            .unwrap();
        let aliases: Vec<String> = m.columns().iter().map(Column::alias).collect();
        assert_eq!(
            aliases,
            ["mrr", "p@5", "ndcg@10", "map@100", "success@1", "judged@10"]
        );
        assert_eq!(m.index_of("ndcg@10"), m.index_of("ndcg_cut_10"));
    }

    #[test]
    fn parameters_are_read_as_trec_eval_10_reads_them() {
        // The measure-parameter invocation of trec_eval 10.0's quicktest, in its print order.
        assert_eq!(
            names(&[
                "iprec_at_recall..10,.20,.25,.75,.50",
                "P.5,7,3",
                "recall.20,2000",
                "Rprec_mult.5.0,0.2,0.35",
                "utility.2,-1,0,0",
                "11pt_avg..25,.5,.75",
                "ndcg.1=3,2=9,4=4.5",
                "ndcg_cut.10,20,23.4",
                "success.2,5,20",
            ]),
            [
                "iprec_at_recall_0.10",
                "iprec_at_recall_0.20",
                "iprec_at_recall_0.25",
                "iprec_at_recall_0.50",
                "iprec_at_recall_0.75",
                "P_3",
                "P_5",
                "P_7",
                "recall_20",
                "recall_2000",
                "Rprec_mult_0.20",
                "Rprec_mult_0.35",
                "Rprec_mult_5.00",
                "utility_2,-1,0,0",
                "11pt_avg_.25,.5,.75",
                "ndcg_1=3,2=9,4=4.5",
                "ndcg_cut_10",
                "ndcg_cut_20",
                "ndcg_cut_23",
                "success_2",
                "success_5",
                "success_20",
            ]
        );
        let m =
            MeasureSet::parse(&["utility.2,-1,0,0", "ndcg.1=3,2=9", "rbp.p=0.8,p=0.7"]).unwrap();
        assert_eq!(m.columns()[0].values, [2.0, -1.0, 0.0, 0.0]);
        assert_eq!(
            m.columns()[1].pairs,
            [("1".to_string(), 3.0), ("2".to_string(), 9.0)]
        );
        // The last p given wins, as in m_rbp.c's loop.
        assert_eq!(m.columns()[2].persistence(), 0.7);
        assert_eq!(
            MeasureSet::parse(&["rbp"]).unwrap().columns()[0].persistence(),
            0.9
        );
        // Defaults of the parameterised measures without parameters.
        let d = MeasureSet::parse(&["utility", "set_F", "relstring", "11pt_avg"]).unwrap();
        let d: Vec<(&str, usize)> = d
            .columns()
            .iter()
            .map(|c| (c.name.as_str(), c.values.len()))
            .collect();
        assert_eq!(
            d,
            [
                ("relstring", 1),
                ("utility", 4),
                ("11pt_avg", 11),
                ("set_F", 1)
            ]
        );
    }

    #[test]
    fn the_sets_are_trec_evals() {
        let all = names(&["all_trec"]);
        // 99 summary lines in trec_eval 10.0's test/out.test.a, and relstring.
        assert_eq!(all.len(), 100);
        assert!(!all.iter().any(|n| n == "dcg" || n == "ideal_dcg"));
        assert_eq!(all[0], "runid");
        assert_eq!(all.last().unwrap(), "unj_20");
        assert!(!all.iter().any(|n| n.starts_with("judged")));
        assert_eq!(
            names(&["set"]),
            [
                "runid",
                "num_q",
                "num_ret",
                "num_rel",
                "num_rel_ret",
                "utility",
                "set_P",
                "set_relative_P",
                "set_recall",
                "set_map",
                "set_F"
            ]
        );
    }
}
