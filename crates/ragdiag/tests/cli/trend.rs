//! `ragdiag trend` on dated demo runs: the regressing step is found and gated; malformed or
//! missing folders are refused with exit 2.

use crate::{ragdiag, write};
use ragdiag_contract::table::{Column, Values, QUERIES};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The demo diagnosed from `trace` into `out`.
fn diagnose(trace: &Path, out: &Path) {
    let r = repo();
    let o = ragdiag(&[
        "diagnose",
        "--quiet",
        "--corpus",
        s(&r.join("corpora/tallyfox")),
        "--queries",
        s(&r.join("queries/tallyfox.jsonl")),
        "--trace",
        s(trace),
        "--as-of",
        "2026-10-01",
        "--out",
        s(out),
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
}

/// Three runs: the demo (`jan`), the same report a week later (`feb`), and a run whose trace
/// lost the first retrieved item of every other question (`mar`).
fn three_runs(dir: &Path) -> [PathBuf; 3] {
    let trace = repo().join("queries/tallyfox.trace.jsonl");
    let jan = dir.join("jan");
    diagnose(&trace, &jan);
    let feb = dir.join("feb");
    std::fs::create_dir_all(&feb).unwrap();
    for f in ["summary.json", "queries.parquet"] {
        std::fs::copy(jan.join(f), feb.join(f)).unwrap();
    }
    let mut worse = String::new();
    for (i, line) in std::fs::read_to_string(&trace).unwrap().lines().enumerate() {
        let mut v: Value = serde_json::from_str(line).unwrap();
        if let Some(list) = v["retrieved"].as_array_mut() {
            if i % 2 == 0 && !list.is_empty() {
                list.remove(0);
            }
        }
        worse.push_str(&v.to_string());
        worse.push('\n');
    }
    let worse = write(dir, "worse.jsonl", worse.as_bytes());
    let mar = dir.join("mar");
    diagnose(Path::new(&worse), &mar);
    [jan, feb, mar]
}

#[test]
fn trend_finds_the_regressing_step_and_gates_on_it() {
    let dir = tempfile::tempdir().unwrap();
    let [jan, feb, mar] = three_runs(dir.path());
    let out = dir.path().join("trend");
    // Given out of date order; the dates come from --date.
    let o = ragdiag(&[
        "trend",
        s(&mar),
        s(&jan),
        s(&feb),
        "--date",
        &format!("{}=2026-01-05", s(&jan)),
        "--date",
        &format!("{}=2026-02-05", s(&feb)),
        "--date",
        &format!("{}=2026-03-05", s(&mar)),
        "--fail-on-regression",
        "hit@5=0.05",
        "--out",
        s(&out),
    ]);
    assert_eq!(o.code, 1, "{}\n{}", o.stdout, o.stderr);
    assert!(
        o.stderr.contains("regression: mar hit@5 dropped"),
        "{}",
        o.stderr
    );
    assert!(o.stdout.contains("REGRESSION"), "{}", o.stdout);

    let t: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("trend.json")).unwrap()).unwrap();
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("schemas/trend-summary.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&t).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    let typed: ragdiag_contract::trend::TrendSummary = serde_json::from_value(t.clone()).unwrap();
    let names: Vec<&str> = typed.runs.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["jan", "feb", "mar"]);
    assert!(typed.runs.iter().all(|r| r.date_source == "override"));
    // Every run carries its intervals and n.
    let hit = &typed.runs[0].metrics["hit@5"];
    assert!(hit.ci_lower.unwrap() < hit.mean.unwrap() && hit.n > 0);
    assert!(typed.runs[0].classes["ok"].n > 0);
    // jan → feb: the same report, nothing moves; feb → mar: hit@5 drops, paired on every question.
    let (s0, s1) = (&typed.steps[0], &typed.steps[1]);
    assert!(!s0.regression && s0.comparisons.iter().all(|c| c.difference == 0.0));
    assert!(s1.regression && s1.paired && s1.only_before == 0 && s1.only_after == 0);
    let c = s1.comparisons.iter().find(|c| c.metric == "hit@5").unwrap();
    assert!(c.regression && c.difference < 0.0 && c.ci_upper < 0.0 && c.p_holm < 0.05);
    assert_eq!(typed.gates.len(), 2);
    assert!(typed.gates[0].passed && !typed.gates[1].passed);

    let html = std::fs::read_to_string(out.join("trend.html")).unwrap();
    assert!(html.contains("<svg class=\"chart\""), "no chart");
    assert!(
        html.contains("class=\"line regression\""),
        "no regression segment"
    );
    assert!(!html.contains("<script"));
    assert!(html.contains(&format!(
        "data-figure=\"steps.1.comparisons.{}.difference\"",
        s1.comparisons
            .iter()
            .position(|c| c.metric == "hit@5")
            .unwrap()
    )));
    let md = std::fs::read_to_string(out.join("trend.md")).unwrap();
    assert!(md.contains("| 2026-03-05 | mar |"), "{md}");
    assert!(md.contains("**regression**"), "{md}");

    // Without the gate the same trend exits 0; dates default to provenance.created_at.
    let o = ragdiag(&["trend", s(&jan), s(&mar), "--format", "json"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let t: Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(t["runs"][0]["date_source"], "created_at");
    assert_eq!(t["runs"][0]["date"].as_str().unwrap().len(), 10);
}

#[test]
fn trend_refuses_missing_and_malformed_folders() {
    let dir = tempfile::tempdir().unwrap();
    let trace = repo().join("queries/tallyfox.trace.jsonl");
    let a = dir.path().join("a");
    diagnose(&trace, &a);
    let expect_2 = |args: &[&str], needle: &str| {
        let o = ragdiag(args);
        assert_eq!(o.code, 2, "{args:?}: {}", o.stderr);
        assert!(o.stderr.contains(needle), "{args:?}: {}", o.stderr);
    };
    // A folder that is not a report.
    let empty = dir.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    expect_2(
        &["trend", s(&a), s(&empty)],
        "not a ragdiag diagnose report",
    );
    expect_2(
        &["trend", s(&a), s(&dir.path().join("nowhere"))],
        "not a ragdiag diagnose report",
    );
    // A summary that is not JSON.
    let bad = dir.path().join("bad");
    std::fs::create_dir_all(&bad).unwrap();
    std::fs::write(bad.join("summary.json"), "{ not json").unwrap();
    expect_2(&["trend", s(&a), s(&bad)], "summary.json: unreadable");
    // A summary without its queries.parquet.
    let lone = dir.path().join("lone");
    std::fs::create_dir_all(&lone).unwrap();
    std::fs::copy(a.join("summary.json"), lone.join("summary.json")).unwrap();
    expect_2(&["trend", s(&a), s(&lone)], "queries.parquet");
    // Rows that cannot be paired: a repeated question id, a negative weight.
    let columns = ragdiag_load::read_table(&a.join("queries.parquet"), &QUERIES).unwrap();
    type Edit = fn(&mut Vec<Column>);
    let edits: [(&str, Edit, &str); 2] = [
        (
            "repeated",
            |c| {
                if let Values::Utf8(ids) = &mut c[0].values {
                    ids[2] = ids[0].clone();
                }
            },
            "row 3: query_id: \"q001\" repeats row 1",
        ),
        (
            "negative",
            |c| {
                let w = c.iter_mut().find(|c| c.name == "weight").unwrap();
                if let Values::Float64(w) = &mut w.values {
                    w[0] = Some(-1.0);
                }
            },
            "row 1: weight: -1 is negative",
        ),
    ];
    for (name, edit, needle) in edits {
        let d = dir.path().join(name);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::copy(a.join("summary.json"), d.join("summary.json")).unwrap();
        let mut c = columns.clone();
        edit(&mut c);
        std::fs::write(
            d.join("queries.parquet"),
            ragdiag_load::table_bytes(&QUERIES, c).unwrap(),
        )
        .unwrap();
        expect_2(&["trend", s(&a), s(&d)], needle);
        expect_2(&["compare", s(&a), s(&d)], needle);
    }
    // A created_at that is no date, without --date.
    let undated = dir.path().join("undated");
    std::fs::create_dir_all(&undated).unwrap();
    std::fs::copy(a.join("queries.parquet"), undated.join("queries.parquet")).unwrap();
    let mut v: Value =
        serde_json::from_str(&std::fs::read_to_string(a.join("summary.json")).unwrap()).unwrap();
    v["provenance"]["created_at"] = "last week".into();
    std::fs::write(undated.join("summary.json"), v.to_string()).unwrap();
    expect_2(
        &["trend", s(&a), s(&undated)],
        "is not a date; give one with --date",
    );
    let o = ragdiag(&[
        "trend",
        s(&a),
        s(&undated),
        "--date",
        &format!("{}=2026-01-01", s(&undated)),
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    // Bad --date values.
    expect_2(
        &["trend", s(&a), "--date", "2026-01-01"],
        "expected DIR=YYYY-MM-DD",
    );
    expect_2(
        &["trend", s(&a), "--date", &format!("{}=01/02/2026", s(&a))],
        "is not a date",
    );
    expect_2(
        &[
            "trend",
            s(&a),
            "--date",
            &format!("{}=2026-01-01", s(&lone)),
        ],
        "is not one of the report folders",
    );
    // A gate on a metric the reports lack.
    expect_2(
        &["trend", s(&a), s(&a), "--fail-on-regression", "nope=0.1"],
        "no metric",
    );
}
