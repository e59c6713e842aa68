//! A `diagnose` report folder as `compare` and `trend` read it: `summary.json` (the input up to
//! its first NUL byte) and `queries.parquet` (the rest: a Parquet file as is for an even first
//! byte; for an odd one, JSONL rows made into the declared queries table, so the values are
//! fuzzed inside a well-formed file). Properties: the folder reads or fails with a message that
//! names a file in it; what is read has unique question ids, finite values and weights ≥ 0; a
//! report compared with itself changes nothing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ragdiag_contract::table::{Column, ColumnKind, Values, QUERIES};
use ragdiag_fuzz::scratch_subdir;

/// The declared queries table from JSONL rows: each declared column takes a row's field of its
/// type, else null (or its type's zero where the column is never null).
fn table(rows: &[u8]) -> Option<Vec<u8>> {
    let rows: Vec<serde_json::Value> = rows
        .split(|&b| b == b'\n')
        .filter_map(|l| serde_json::from_slice(l).ok())
        .collect();
    let columns = QUERIES
        .columns
        .iter()
        .map(|d| {
            let field = |r: &serde_json::Value| r.get(d.name).cloned();
            let required = d.null_means.is_none();
            let values = match d.kind {
                ColumnKind::Utf8 => Values::Utf8(
                    rows.iter()
                        .map(|r| match field(r) {
                            Some(serde_json::Value::String(s)) => Some(s),
                            _ => required.then(String::new),
                        })
                        .collect(),
                ),
                ColumnKind::Int64 => Values::Int64(
                    rows.iter()
                        .map(|r| field(r).and_then(|v| v.as_i64()).or(required.then_some(0)))
                        .collect(),
                ),
                ColumnKind::Float64 => Values::Float64(
                    rows.iter()
                        .map(|r| {
                            field(r)
                                .and_then(|v| v.as_f64())
                                .or(required.then_some(0.0))
                        })
                        .collect(),
                ),
                ColumnKind::Boolean => Values::Boolean(
                    rows.iter()
                        .map(|r| {
                            field(r)
                                .and_then(|v| v.as_bool())
                                .or(required.then_some(false))
                        })
                        .collect(),
                ),
                ColumnKind::Utf8List => Values::Utf8List(
                    rows.iter()
                        .map(|r| match field(r) {
                            Some(serde_json::Value::Array(a)) => a
                                .iter()
                                .filter_map(|v| v.as_str().map(str::to_owned))
                                .collect(),
                            _ => Vec::new(),
                        })
                        .collect(),
                ),
            };
            Column {
                name: d.name,
                values,
            }
        })
        .collect();
    ragdiag_load::table_bytes(&QUERIES, columns).ok()
}

fuzz_target!(|data: &[u8]| {
    // The Parquet readers contain the parquet crate's panics on damaged pages (FUZZING.md, 10).
    ragdiag_fuzz::allow_contained_panics();
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let (summary, queries) = match rest.iter().position(|&b| b == 0) {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, &b""[..]),
    };
    let queries = if selector % 2 == 0 {
        queries.to_vec()
    } else {
        match table(queries) {
            Some(t) => t,
            None => return,
        }
    };
    let dir = scratch_subdir("report");
    std::fs::write(dir.join("summary.json"), summary).expect("scratch file");
    std::fs::write(dir.join("queries.parquet"), &queries).expect("scratch file");
    let (_, rows) = match ragdiag::fuzzing::report_dir(&dir) {
        Ok(r) => r,
        Err(e) => {
            let msg = format!("{e:#}");
            assert!(
                msg.starts_with(&dir.display().to_string()),
                "the error names no file of the report: {msg}"
            );
            return;
        }
    };
    for (id, q) in &rows.questions {
        assert!(q.weight.is_finite() && q.weight >= 0.0, "{id}: {q:?}");
        assert!(q.values.values().all(|v| v.is_finite()), "{id}: {q:?}");
    }
    let same = [rows.clone(), rows];
    let (summary, _) = ragdiag_diagnose::compare_reports(&same, &[], 7).expect("no gates given");
    for c in &summary.comparisons {
        assert!(
            c.n == 0 || (c.difference == 0.0 && c.wins == 0 && c.losses == 0),
            "a report differs from itself: {c:?}"
        );
    }
    assert!(
        summary.class_changes.is_empty(),
        "questions changed class against themselves: {:?}",
        summary.class_changes
    );
});
