//! trec_eval's text output, byte for byte.

use crate::{ragdiag, write};

const QRELS: &[u8] = b"1 0 a 1\n1 0 b 0\n1 0 c 2\n2 0 x 1\n3 0 k 1\n";
// Query 1: a (0.9), then a tie at 0.8 broken by docno descending: z before b.
// Query 3 has judgments but no results; query 9 has results but no judgments.
const RUN: &[u8] = b"1 Q0 a 1 0.9 myrun\n1 Q0 b 2 0.8 myrun\n1 Q0 z 3 0.8 myrun\n2 Q0 y 1 1.0 myrun\n9 Q0 a 1 1 myrun\n";

#[test]
fn per_query_and_summary_lines_match_trec_eval_format() {
    let dir = tempfile::tempdir().unwrap();
    let q = write(dir.path(), "qrels", QRELS);
    let r = write(dir.path(), "run", RUN);
    let out = ragdiag(&[
        "eval", "--quiet", "-q", "-m", "P.2", "-m", "map", "-m", "num_ret", "-m", "runid", &q, &r,
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let expected = "\
num_ret               \t1\t3
map                   \t1\t0.5000
P_2                   \t1\t0.5000
num_ret               \t2\t1
map                   \t2\t0.0000
P_2                   \t2\t0.0000
runid                 \tall\tmyrun
num_ret               \tall\t4
map                   \tall\t0.2500
P_2                   \tall\t0.2500
";
    assert_eq!(out.stdout, expected);
}

#[test]
fn complete_mode_adds_missing_queries_as_zero() {
    let dir = tempfile::tempdir().unwrap();
    let q = write(dir.path(), "qrels", QRELS);
    let r = write(dir.path(), "run", RUN);
    let out = ragdiag(&[
        "eval", "--quiet", "-c", "-q", "-m", "map", "-m", "num_q", "-m", "num_rel", &q, &r,
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let expected = "\
num_rel               \t1\t2
map                   \t1\t0.5000
num_rel               \t2\t1
map                   \t2\t0.0000
num_rel               \t3\t1
map                   \t3\t0.0000
num_q                 \tall\t3
num_rel               \tall\t4
map                   \tall\t0.1667
";
    assert_eq!(out.stdout, expected);
}

#[test]
fn default_measures_are_the_official_set() {
    let dir = tempfile::tempdir().unwrap();
    let q = write(dir.path(), "qrels", QRELS);
    let r = write(dir.path(), "run", RUN);
    let out = ragdiag(&["eval", "--quiet", &q, &r]);
    assert_eq!(out.code, 0);
    let names: Vec<&str> = out
        .stdout
        .lines()
        .map(|l| l.split('\t').next().unwrap().trim_end())
        .collect();
    assert_eq!(names.len(), 30);
    assert_eq!(
        names[..6],
        ["runid", "num_q", "num_ret", "num_rel", "num_rel_ret", "map"]
    );
    assert!(out.stdout.contains("gm_map                \tall\t"));
    assert!(out.stdout.contains("iprec_at_recall_0.10  \tall\t"));
}

#[test]
fn several_runs_give_one_table_with_cis_and_tests() {
    let dir = tempfile::tempdir().unwrap();
    let q = write(dir.path(), "qrels", QRELS);
    let a = write(dir.path(), "a.run", RUN);
    let b = write(
        dir.path(),
        "b.run",
        b"1 Q0 c 1 2 other\n1 Q0 a 2 1 other\n2 Q0 x 1 1 other\n",
    );
    let out = ragdiag(&["eval", "--quiet", "-m", "map", "-m", "ndcg@10", &q, &a, &b]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let map_line = out.stdout.lines().find(|l| l.starts_with("map ")).unwrap();
    assert!(map_line.contains("0.2500 ["), "{map_line}");
    assert!(
        map_line.contains("1.0000 [1.0000, 1.0000]  +0.7500 p="),
        "{map_line}"
    );
    assert!(out.stdout.contains("n = 2 / 2 queries"), "{}", out.stdout);

    let json = ragdiag(&[
        "eval", "--quiet", "--format", "json", "-m", "map", &q, &a, &b,
    ]);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["runs"][1]["summary"]["map"]["value"], 1.0);
    assert_eq!(v["comparisons"][0]["wins"], 2);
    assert_eq!(v["comparisons"][0]["n"], 2);

    let csv = ragdiag(&[
        "eval", "--quiet", "--format", "csv", "-m", "map", &q, &a, &b,
    ]);
    assert!(csv
        .stdout
        .starts_with("run,qid,measure,value,ci_lower,ci_upper,n,diff_vs_first,p_holm\n"));
    assert_eq!(csv.stdout.lines().count(), 3);
}

/// Holm's family is every comparison of the table: on the demo, three measures of one run give
/// three tests, so the smallest p is multiplied by three (per measure it would stay as it is).
#[test]
fn holm_corrects_all_the_measures_of_the_table_together() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/tallyfox");
    let path = |f: &str| root.join(f).to_string_lossy().into_owned();
    let out = ragdiag(&[
        "eval",
        "--quiet",
        "--format",
        "json",
        "-m",
        "map",
        "-m",
        "P.5",
        "-m",
        "Rprec",
        &path("qrels.txt"),
        &path("production.trec"),
        &path("keyword.trec"),
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let comps = v["comparisons"].as_array().unwrap();
    assert_eq!(comps.len(), 3);
    let mut ps: Vec<(f64, f64)> = comps
        .iter()
        .map(|c| {
            (
                c["p_randomization"].as_f64().unwrap(),
                c["p_holm"].as_f64().unwrap(),
            )
        })
        .collect();
    ps.sort_by(|a, b| a.0.total_cmp(&b.0));
    assert!(ps[0].0 < ps[1].0 && ps[1].0 < ps[2].0, "{ps:?}");
    let expected = [3.0 * ps[0].0, (2.0 * ps[1].0).max(3.0 * ps[0].0), ps[2].0];
    for ((_, holm), e) in ps.iter().zip(expected) {
        assert!((holm - e.min(1.0)).abs() < 1e-12, "{ps:?}");
    }
    assert!(v["statistics"]["method"]
        .as_str()
        .unwrap()
        .contains("Holm over every measure and run compared"));
}

#[test]
fn beir_qrels_with_crlf_and_json_runs_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let q = write(
        dir.path(),
        "test.tsv",
        b"query-id\tcorpus-id\tscore\r\nq1\td1\t1\r\nq1\td2\t1\r\n",
    );
    let r = write(dir.path(), "run.json", br#"{"q1": {"d1": 0.5, "d3": 0.9}}"#);
    let out = ragdiag(&[
        "eval",
        "--quiet",
        "-m",
        "recip_rank",
        "-m",
        "recall.2",
        &q,
        &r,
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stdout,
        "recip_rank            \tall\t0.5000\nrecall_2              \tall\t0.5000\n"
    );
}

#[test]
fn out_dir_receives_a_report() {
    let dir = tempfile::tempdir().unwrap();
    let q = write(dir.path(), "qrels", QRELS);
    let r = write(dir.path(), "run", RUN);
    let out_dir = dir.path().join("reports/x");
    let out = ragdiag(&[
        "eval",
        "--quiet",
        "-m",
        "map",
        "--out",
        out_dir.to_str().unwrap(),
        &q,
        &r,
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("summary.json")).unwrap())
            .unwrap();
    assert_eq!(summary["runs"][0]["summary"]["map"]["value"], 0.25);
    assert_eq!(summary["runs"][0]["summary"]["map"]["n"], 2);
    let md = std::fs::read_to_string(out_dir.join("report.md")).unwrap();
    assert!(md.contains("map      0.2500 ["), "{md}");
    let csv = std::fs::read_to_string(out_dir.join("per_query.csv")).unwrap();
    assert!(csv.contains(",1,map,0.5,,,1,,"), "{csv}");
}

#[test]
fn run_on_stdin_with_comments_and_extra_columns_reads_as_the_file() {
    use std::io::Write as _;
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let q = write(
        dir.path(),
        "qrels",
        b"# judged by hand\n1 0 a 1\n1 0 b 0\n1 0 c 2\n",
    );
    let text = b"# a run\n1 Q0 a 1 0.9 first extra columns\n  # indented\n1 Q0 c 2 0.5 last\n";
    let r = write(dir.path(), "run", text);
    let args = [
        "eval",
        "--quiet",
        "-q",
        "-m",
        "runid",
        "-m",
        "P.1,2",
        "-m",
        "relstring.3",
    ];
    let from_file = ragdiag(&[&args[..], &[q.as_str(), r.as_str()]].concat());
    assert_eq!(from_file.code, 0, "{}", from_file.stderr);
    assert_eq!(
        from_file.stdout,
        "P_1                   \t1\t1.0000\nP_2                   \t1\t1.0000\nrelstring_3           \t1\t'12'\nrunid                 \tall\tlast\nP_1                   \tall\t1.0000\nP_2                   \tall\t1.0000\n"
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_ragdiag"))
        .args(args)
        .args([q.as_str(), "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(text).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap(), from_file.stdout);
}

#[test]
fn malformed_measure_parameters_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let q = write(dir.path(), "qrels", QRELS);
    let r = write(dir.path(), "run", RUN);
    for (bad, says) in [
        ("P.5,5", "duplicate cutoffs"),
        ("ndcg.1=", "is not a number"),
        ("utility.1,2", "utility takes 4 coefficients, found 2"),
        ("all_prefs", "not supported"),
    ] {
        let out = ragdiag(&["eval", "-m", bad, &q, &r]);
        assert_eq!(out.code, 2, "{bad}: {}", out.stderr);
        assert!(out.stderr.contains(says), "{bad}: {}", out.stderr);
    }
}

#[test]
fn zscores_against_a_reference_file() {
    // -Z: (value − mean) / stddev per query and measure; a missing reference gives
    // trec_eval's -1000000; counts print as decimals; names gain a Z.
    let dir = tempfile::tempdir().unwrap();
    let q = write(dir.path(), "qrels", QRELS);
    let r = write(dir.path(), "run", RUN);
    let z = write(
        dir.path(),
        "z",
        b"1 map 0.25 0.5\n2 map 0.5 0.25\n1 num_ret 2 2\n",
    );
    let out = ragdiag(&[
        "eval", "--quiet", "-q", "-m", "map", "-m", "num_ret", "-Z", &z, &q, &r,
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let expected = "\
Znum_ret               \t1\t0.5000
Zmap                   \t1\t0.5000
Znum_ret               \t2\t-1000000.0000
Zmap                   \t2\t-2.0000
Znum_ret               \tall\t-999999.5000
Zmap                   \tall\t-0.7500
";
    assert_eq!(out.stdout, expected);
    let bad = write(dir.path(), "bad", b"1 map 0.25 0.5\n1 map x\n");
    let out = ragdiag(&["eval", "-Z", &bad, &q, &r]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("bad:2: expected 4 fields"),
        "{}",
        out.stderr
    );
}
