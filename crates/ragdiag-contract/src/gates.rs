//! Gate specs as the command line gives them (`--fail-under`, `--fail-on-regression`):
//! `metric=value[,metric=value…]`.

use std::fmt;
use std::str::FromStr;

/// Thresholds, metric by metric, in the order given.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Gates(pub Vec<(String, f64)>);

impl FromStr for Gates {
    type Err = String;

    /// Parses `metric=value[,metric=value…]`: names are trimmed, empty items skipped, every
    /// value a finite number.
    fn from_str(s: &str) -> Result<Gates, String> {
        s.split(',')
            .filter(|p| !p.trim().is_empty())
            .map(|p| {
                let (m, v) = p
                    .split_once('=')
                    .ok_or_else(|| format!("{p:?}: expected metric=value, e.g. recall@10=0.8"))?;
                let v: f64 = v
                    .trim()
                    .parse()
                    .map_err(|_| format!("{p:?}: {v:?} is not a number"))?;
                if !v.is_finite() {
                    return Err(format!("{p:?}: the threshold must be finite"));
                }
                Ok((m.trim().to_owned(), v))
            })
            .collect::<Result<Vec<_>, String>>()
            .map(Gates)
    }
}

/// The canonical form, `metric=value,…`, which parses back to the same gates.
impl fmt::Display for Gates {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (m, v)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{m}={v}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_back() {
        let g: Gates = " recall@10 = 0.8 ,, ndcg@10=6e-1,".parse().unwrap();
        assert_eq!(
            g,
            Gates(vec![("recall@10".into(), 0.8), ("ndcg@10".into(), 0.6)])
        );
        assert_eq!(g.to_string(), "recall@10=0.8,ndcg@10=0.6");
        assert_eq!(g.to_string().parse::<Gates>().unwrap(), g);
        assert_eq!("".parse::<Gates>().unwrap(), Gates::default());
    }

    #[test]
    fn refuses_what_is_not_a_finite_threshold() {
        for bad in [
            "recall@10",
            "recall@10=x",
            "recall@10=inf",
            "a=NaN",
            "a=1,b",
        ] {
            assert!(bad.parse::<Gates>().is_err(), "{bad}");
        }
    }
}
