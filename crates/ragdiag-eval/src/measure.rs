//! Measure names, parameters, aliases and trec_eval's print order.

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
    /// Interpolated precision at recall 0.0, 0.1, …, 1.0.
    IprecAtRecall,
    /// Precision at k.
    P,
    /// Recall at k.
    Recall,
    /// nDCG over the whole ranking, gain = grade.
    Ndcg,
    /// nDCG at k, gain = grade.
    NdcgCut,
    /// Average precision at k (denominator: all relevant documents).
    MapCut,
    /// 1 if a relevant document is in the top k.
    Success,
    /// Share of the top min(k, retrieved) that is judged (ir_measures' `Judged@k`).
    Judged,
}

/// Whether a column is a count or a ratio, which decides how it prints and aggregates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// An integer count, printed with `%ld`.
    Count,
    /// A real value, printed with `%6.4f`.
    Ratio,
}

const DEFAULT_CUTOFFS: &[u64] = &[5, 10, 15, 20, 30, 100, 200, 500, 1000];
const SUCCESS_CUTOFFS: &[u64] = &[1, 5, 10];
const JUDGED_CUTOFFS: &[u64] = &[10];

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
        Kind::Recall,
        Kind::Ndcg,
        Kind::NdcgCut,
        Kind::MapCut,
        Kind::Success,
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
            Kind::Recall => "recall",
            Kind::Ndcg => "ndcg",
            Kind::NdcgCut => "ndcg_cut",
            Kind::MapCut => "map_cut",
            Kind::Success => "success",
            Kind::Judged => "judged",
        }
    }

    fn from_name(s: &str) -> Option<Kind> {
        Kind::ALL.iter().copied().find(|k| k.name() == s)
    }

    /// Default cutoffs of a cutoff measure (empty for the others).
    fn default_cutoffs(self) -> &'static [u64] {
        match self {
            Kind::P | Kind::Recall | Kind::NdcgCut | Kind::MapCut => DEFAULT_CUTOFFS,
            Kind::Success => SUCCESS_CUTOFFS,
            Kind::Judged => JUDGED_CUTOFFS,
            _ => &[],
        }
    }

    /// The unit of the measure's values.
    pub fn unit(self) -> Unit {
        match self {
            Kind::NumQ | Kind::NumRet | Kind::NumRel | Kind::NumRelRet => Unit::Count,
            _ => Unit::Ratio,
        }
    }

    /// Whether trec_eval prints a per-query line for it.
    pub fn per_query(self) -> bool {
        !matches!(self, Kind::Runid | Kind::NumQ | Kind::GmMap)
    }
}

/// One output column: a measure at one parameter (`P_10`, `iprec_at_recall_0.30`, `map`).
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// The measure.
    pub kind: Kind,
    /// The cutoff k for cutoff measures.
    pub cutoff: Option<u64>,
    /// The recall level for `iprec_at_recall`.
    pub recall_point: Option<f64>,
    /// The printed name, as trec_eval writes it.
    pub name: String,
}

impl Column {
    /// The name used everywhere outside `ragdiag eval`'s trec_eval output (`ndcg@10`, `p@5`,
    /// `mrr`), or the trec_eval name where DESIGN.md defines no alias.
    pub fn alias(&self) -> String {
        alias_of(self.kind, self.cutoff).unwrap_or_else(|| self.name.clone())
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
    names.push("official");
    names.join(", ")
}

/// A set of requested measures with their parameters, in print order.
#[derive(Debug, Clone, PartialEq)]
pub struct MeasureSet {
    columns: Vec<Column>,
}

fn parse_cutoffs(request: &str, params: &str) -> Result<Vec<u64>, MeasureError> {
    let bad = |reason: String| MeasureError::BadParams {
        measure: request.to_string(),
        reason,
    };
    if params.is_empty() {
        return Err(bad("empty parameter list".into()));
    }
    let mut cutoffs = Vec::new();
    for p in params.split(',') {
        let k: i64 = p
            .trim()
            .parse()
            .map_err(|_| bad(format!("cutoff {p:?} is not an integer")))?;
        if k <= 0 {
            return Err(bad(format!("cutoff {k} must be positive")));
        }
        cutoffs.push(k as u64);
    }
    cutoffs.sort_unstable();
    if cutoffs.windows(2).any(|w| w[0] == w[1]) {
        return Err(bad("duplicate cutoffs".into()));
    }
    Ok(cutoffs)
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

impl MeasureSet {
    /// Parses measure requests as trec_eval's `-m` does: `name` or `name.params`, the nickname
    /// `official` (trec_eval's default set), and DESIGN.md's names (`ndcg@10`). Cutoffs are
    /// sorted ascending; when a measure is requested twice with parameters, the first wins
    /// (as in trec_eval). An empty request list means `official`.
    pub fn parse<S: AsRef<str>>(requests: &[S]) -> Result<MeasureSet, MeasureError> {
        let mut chosen: Vec<(Kind, Option<Vec<u64>>)> = Vec::new();
        let mut add = |kind: Kind, cutoffs: Option<Vec<u64>>| match chosen
            .iter_mut()
            .find(|(k, _)| *k == kind)
        {
            Some((_, existing @ None)) => *existing = cutoffs,
            Some(_) => {}
            None => chosen.push((kind, cutoffs)),
        };
        let requests: Vec<String> = if requests.is_empty() {
            vec!["official".into()]
        } else {
            requests.iter().map(|s| s.as_ref().to_string()).collect()
        };
        for raw in &requests {
            let request = from_alias(raw).unwrap_or_else(|| raw.clone());
            if request == "official" {
                for k in [
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
                ] {
                    add(k, None);
                }
                continue;
            }
            let (name, params) = match request.split_once('.') {
                Some((n, p)) => (n, Some(p)),
                None => (request.as_str(), None),
            };
            let kind = Kind::from_name(name).ok_or_else(|| MeasureError::Unknown(raw.clone()))?;
            match params {
                None => add(kind, None),
                Some(p) if !kind.default_cutoffs().is_empty() => {
                    add(kind, Some(parse_cutoffs(raw, p)?))
                }
                Some(_) => {
                    return Err(MeasureError::BadParams {
                        measure: raw.clone(),
                        reason: format!("{name} takes no parameters in ragdiag"),
                    })
                }
            }
        }
        chosen.sort_by_key(|(k, _)| *k);
        let mut columns = Vec::new();
        for (kind, cutoffs) in chosen {
            if kind == Kind::IprecAtRecall {
                for i in 0..=10 {
                    let p = f64::from(i) / 10.0;
                    columns.push(Column {
                        kind,
                        cutoff: None,
                        recall_point: Some(p),
                        name: format!("iprec_at_recall_{p:3.2}"),
                    });
                }
            } else if kind.default_cutoffs().is_empty() {
                columns.push(Column {
                    kind,
                    cutoff: None,
                    recall_point: None,
                    name: kind.name().into(),
                });
            } else {
                let cutoffs = cutoffs.unwrap_or_else(|| kind.default_cutoffs().to_vec());
                for k in cutoffs {
                    columns.push(Column {
                        kind,
                        cutoff: Some(k),
                        recall_point: None,
                        name: format!("{}_{k}", kind.name()),
                    });
                }
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
        for bad in ["nope", "P.", "P.0", "P.5,5", "P.x", "map.5", "ndcg.1=3"] {
            assert!(MeasureSet::parse(&[bad]).is_err(), "{bad}");
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
}
