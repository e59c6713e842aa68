//! trec_eval's `-Z`: per-query values expressed in standard deviations from a reference mean.
//!
//! The reference file has one line per (query, measure): `qid measure mean stddev`, separated
//! by whitespace. Each per-query value `v` of a measure becomes `(v − mean) / stddev`; with a
//! standard deviation of 0 it becomes 0 when `v` equals the mean and [`MISSING_ZSCORE_VALUE`]
//! otherwise; a query or measure the file lacks also gets [`MISSING_ZSCORE_VALUE`] (as
//! trec_eval 10.0's `convert_zscores.c` does). The `all` line then summarises the converted
//! values as usual. `runid`, `num_q` and `relstring` are not converted.

use crate::measure::{Column, Kind};
use rustc_hash::FxHashMap;

/// The value trec_eval gives a query or measure missing from the reference file.
pub const MISSING_ZSCORE_VALUE: f64 = -1_000_000.0;

/// A malformed line of a z-score reference file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{line}: {reason}")]
pub struct ZScoreError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub reason: String,
}

/// Reference means and standard deviations by query and measure name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ZScores {
    by_qid: FxHashMap<String, FxHashMap<String, (f64, f64)>>,
}

impl ZScores {
    /// Parses a reference file: four whitespace-separated fields a line (`qid measure mean
    /// stddev`); blank lines are skipped. For a (query, measure) given twice the first line
    /// wins.
    ///
    /// # Errors
    ///
    /// [`ZScoreError`] for a line without exactly four fields or whose mean or standard
    /// deviation is not a finite number (trec_eval reads those with `atof`, as 0).
    pub fn parse(text: &str) -> Result<ZScores, ZScoreError> {
        let mut by_qid: FxHashMap<String, FxHashMap<String, (f64, f64)>> = FxHashMap::default();
        for (i, line) in text.lines().enumerate() {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.is_empty() {
                continue;
            }
            let err = |reason: String| ZScoreError {
                line: i + 1,
                reason,
            };
            if fields.len() != 4 {
                return Err(err(format!(
                    "expected 4 fields (qid measure mean stddev), found {}",
                    fields.len()
                )));
            }
            let number = |s: &str, what: &str| {
                s.parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .ok_or_else(|| err(format!("{what} {s:?} is not a number")))
            };
            let mean = number(fields[2], "mean")?;
            let sd = number(fields[3], "stddev")?;
            by_qid
                .entry(fields[0].to_owned())
                .or_default()
                .entry(fields[1].to_owned())
                .or_insert((mean, sd));
        }
        Ok(ZScores { by_qid })
    }

    /// Converts query `qid`'s values (one per column) in place.
    pub fn convert(&self, qid: &str, columns: &[Column], values: &mut [f64]) {
        let refs = self.by_qid.get(qid);
        for (c, v) in columns.iter().zip(values.iter_mut()) {
            let geometric = matches!(c.kind, Kind::GmMap | Kind::GmBpref);
            match c.kind {
                Kind::Runid | Kind::NumQ | Kind::Relstring => continue,
                _ => {}
            }
            // The geometric means hold each query's log value: convert the value itself.
            let raw = if geometric { v.exp() } else { *v };
            let z = match refs.and_then(|r| r.get(&c.name)) {
                None => MISSING_ZSCORE_VALUE,
                Some(&(mean, sd)) if sd != 0.0 => (raw - mean) / sd,
                Some(&(mean, _)) if raw == mean => 0.0,
                Some(_) => MISSING_ZSCORE_VALUE,
            };
            *v = if geometric {
                z.max(crate::topic::MIN_GEO_MEAN).ln()
            } else {
                z
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MeasureSet;

    #[test]
    fn converts_finds_missing_and_refuses_malformed_lines() {
        let z = ZScores::parse("q1 map 0.5 0.25\nq1 P_5 0.2 0\n\nq1 map 9 9\n").unwrap();
        let m = MeasureSet::parse(&["map", "P.5,10", "num_q"]).unwrap();
        let cols = m.columns();
        let idx = |n: &str| cols.iter().position(|c| c.name == n).unwrap();
        let mut v = vec![0.0; cols.len()];
        v[idx("map")] = 0.75;
        v[idx("P_5")] = 0.2;
        v[idx("P_10")] = 0.3;
        v[idx("num_q")] = 1.0;
        z.convert("q1", cols, &mut v);
        assert_eq!(v[idx("map")], 1.0); // (0.75 − 0.5) / 0.25, the first line winning
        assert_eq!(v[idx("P_5")], 0.0); // stddev 0 and the value at the mean
        assert_eq!(v[idx("P_10")], MISSING_ZSCORE_VALUE); // no reference
        assert_eq!(v[idx("num_q")], 1.0); // not converted
        let mut w = vec![0.5; cols.len()];
        z.convert("q2", cols, &mut w);
        assert_eq!(w[idx("map")], MISSING_ZSCORE_VALUE);
        for (bad, expected) in [
            ("q1 map 0.5\n", "1: expected 4 fields"),
            ("\nq1 map x 0.1\n", "2: mean \"x\" is not a number"),
            ("q1 map 0.1 inf\n", "stddev \"inf\" is not a number"),
        ] {
            let e = ZScores::parse(bad).unwrap_err().to_string();
            assert!(e.contains(expected), "{e}");
        }
    }
}
