//! `ragdiag chunking`: hand-computed span metrics, report files (the summary against its
//! published schema), paired tests, the warm cache, and bad strategy specs.

use crate::summary;
use crate::write;
use serde_json::Value;
use std::path::Path;

// "Refunds ..." is 58 code points, "within 14 days" is 43..57; "Orders ..." is 56 code points,
// "two business days" is 19..36.
const CORPUS: &str = concat!(
    r#"{"id":"refunds","title":"Refunds","text":"Refunds are paid back to the original card within 14 days."}"#,
    "\n",
    r#"{"id":"shipping","title":"Shipping","text":"Orders ship within two business days from the warehouse."}"#,
    "\n",
    r#"{"id":"api","title":"API","text":"The API returns JSON with pagination cursors and rate limits."}"#,
    "\n",
);

const QUERIES: &str = concat!(
    r#"{"id":"q1","text":"refunds paid within days","relevant":[{"doc":"refunds","grade":1}],"evidence":[{"doc":"refunds","start":43,"end":57}]}"#,
    "\n",
    r#"{"id":"q2","text":"ship warehouse two business","relevant":[{"doc":"shipping","grade":1}],"evidence":[{"doc":"shipping","quote":"two business days"}]}"#,
    "\n",
);

fn run(home: &Path, args: &[&str]) -> crate::Out {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ragdiag"))
        .args(args)
        .env("RAGDIAG_HOME", home)
        .env("RAGDIAG_OFFLINE", "1")
        .env("NO_COLOR", "1")
        .output()
        .expect("run ragdiag");
    crate::Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The summary validates against the published `schemas/chunking-summary.schema.json`.
fn assert_follows_schema(summary: &Value) {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas/chunking-summary.schema.json");
    let schema: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(summary)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let mut broken = summary.clone();
    broken["strategies"][0]["chunks"] = serde_json::json!("three");
    assert!(!validator.is_valid(&broken));
}

fn close(a: &Value, b: f64) {
    let a = a.as_f64().unwrap_or(f64::NAN);
    assert!((a - b).abs() < 1e-12, "{a} != {b}");
}

#[test]
fn span_metrics_by_hand_with_bm25() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = write(dir.path(), "c.jsonl", CORPUS.as_bytes());
    let queries = write(dir.path(), "q.jsonl", QUERIES.as_bytes());
    let out = dir.path().join("rep");
    let o = run(
        &dir.path().join("home"),
        &[
            "chunking",
            "--corpus",
            &corpus,
            "--queries",
            &queries,
            "--strategies",
            "doc@cl100k,tokens:8/0@cl100k",
            "--retriever",
            "bm25",
            "--k",
            "2",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stdout.contains("strategy"), "{}", o.stdout);
    assert!(
        o.stdout.contains("paired against doc@cl100k"),
        "{}",
        o.stdout
    );
    for f in ["summary.json", "report.md", "strategies.parquet"] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let s = summary(&out);
    assert_follows_schema(&s);
    assert_eq!(s["schema_version"], 1);
    assert_eq!(s["k"], 2);
    let first = &s["strategies"][0];
    assert_eq!(first["strategy"], "doc@cl100k");
    assert_eq!(first["chunks"], 3);
    let m = &first["metrics"];
    // q1 retrieves both matching documents whole: the refunds evidence (14 of 58) is covered,
    // and the shipping document (56) counts in precision's denominator (Chroma's rule).
    // q2 retrieves only the shipping document: 17 of 56.
    close(&m["span_recall"]["mean"], 1.0);
    let p = (14.0 / 114.0 + 17.0 / 56.0) / 2.0;
    close(&m["span_precision"]["mean"], p);
    close(&m["span_iou"]["mean"], p);
    close(
        &m["precision_omega"]["mean"],
        (14.0 / 58.0 + 17.0 / 56.0) / 2.0,
    );
    assert_eq!(m["span_recall"]["n"], 2);
    close(&m["recall@2"]["mean"], 1.0);
    assert!(m["ndcg@2"]["ci_lower"].is_number());
    assert!(first["vs_first"].is_null());
    assert!(first["tokens_per_chunk"]["p95"].is_number());
    assert!(first["index_bytes"].as_u64().unwrap() > 0);
    let second = &s["strategies"][1];
    assert_eq!(second["strategy"], "tokens:8/0@cl100k");
    let vs = &second["vs_first"]["span_iou"];
    assert!(
        vs["p_holm"].is_number() && vs["p_randomization"].is_number(),
        "{vs}"
    );
    assert!(vs["diff"]["ci_lower"].is_number());
    assert_eq!(second["vs_first"]["span_recall"]["diff"]["n"], 2);
    assert!(
        s["verdict"].as_array().unwrap().len() >= 2,
        "{}",
        s["verdict"]
    );
    assert!(s["provenance"]["corpus_sha256"].is_string());
    assert_eq!(s["provenance"]["embedded_texts"], 0);
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("`tokens:8/0@cl100k`"), "{md}");
}

#[test]
fn warm_run_embeds_nothing_and_formats() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let corpus = write(dir.path(), "c.jsonl", CORPUS.as_bytes());
    let queries = write(dir.path(), "q.jsonl", QUERIES.as_bytes());
    let out = dir.path().join("rep");
    let args = [
        "chunking",
        "--corpus",
        &corpus,
        "--queries",
        &queries,
        "--strategies",
        "tokens:8/0@cl100k,recursive:12/0@cl100k",
        "--retriever",
        "dense",
        "--model",
        "hash:32",
        "--out",
        out.to_str().unwrap(),
    ];
    let cold = run(&home, &args);
    assert_eq!(cold.code, 0, "{}", cold.stderr);
    assert!(
        cold.stderr.lines().any(|l| l.starts_with("embedding:")),
        "{}",
        cold.stderr
    );
    let s = summary(&out);
    assert!(s["provenance"]["embedded_texts"].as_u64().unwrap() > 0);
    assert_eq!(s["strategies"][0]["index_cached"], false);

    let mut warm_args = args.to_vec();
    warm_args.extend(["--format", "json"]);
    let warm = run(&home, &warm_args);
    assert_eq!(warm.code, 0, "{}", warm.stderr);
    assert!(
        !warm.stderr.lines().any(|l| l.starts_with("embedding:")),
        "{}",
        warm.stderr
    );
    let s2 = summary(&out);
    assert_follows_schema(&s2);
    assert_eq!(s2["provenance"]["embedded_texts"], 0);
    assert_eq!(s2["strategies"][1]["index_cached"], true);
    assert_eq!(
        s["strategies"][1]["metrics"], s2["strategies"][1]["metrics"],
        "a warm run measures the same"
    );
    let j: Value = serde_json::from_str(&warm.stdout).unwrap();
    assert_eq!(j["embedded_texts"], 0);

    let mut csv_args = args.to_vec();
    csv_args.extend(["--format", "csv", "--quiet"]);
    let c = run(&home, &csv_args);
    assert_eq!(c.code, 0, "{}", c.stderr);
    assert!(c.stderr.is_empty(), "{}", c.stderr);
    assert!(
        c.stdout.starts_with("strategy,metric,mean,ci_lower"),
        "{}",
        c.stdout
    );
    assert!(
        c.stdout.contains("recursive:12/0@cl100k,span_iou,"),
        "{}",
        c.stdout
    );
}

#[test]
fn bad_strategies_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = write(dir.path(), "c.jsonl", CORPUS.as_bytes());
    let queries = write(dir.path(), "q.jsonl", QUERIES.as_bytes());
    let out = dir.path().join("rep");
    for bad in [
        "tokens:abc",
        "nope:3",
        "tokens:10/0@gpt2",
        "tokens:10/10@cl100k",
        "doc@cl100k,doc@cl100k",
        "doc@cl100k,",
    ] {
        let o = run(
            &dir.path().join("home"),
            &[
                "chunking",
                "--corpus",
                &corpus,
                "--queries",
                &queries,
                "--strategies",
                bad,
                "--retriever",
                "bm25",
                "--out",
                out.to_str().unwrap(),
            ],
        );
        assert_eq!(o.code, 2, "{bad}: {}", o.stderr);
        assert!(o.stderr.contains("--strategies"), "{bad}: {}", o.stderr);
    }
    assert!(!out.exists());
    // --corpus without --queries, and both with --chroma, are usage errors.
    let o = run(
        &dir.path().join("home"),
        &[
            "chunking",
            "--corpus",
            &corpus,
            "--strategies",
            "doc",
            "--out",
            "x",
        ],
    );
    assert_eq!(o.code, 2);
}

#[test]
fn a_chunker_failure_keeps_its_cause() {
    // Model-token sizes need the model's tokenizer; offline with an empty home, the error says
    // why it is missing and what to do, after the spec.
    let dir = tempfile::tempdir().unwrap();
    let corpus = write(dir.path(), "c.jsonl", CORPUS.as_bytes());
    let queries = write(dir.path(), "q.jsonl", QUERIES.as_bytes());
    let out = dir.path().join("rep");
    let o = run(
        &dir.path().join("home"),
        &[
            "chunking",
            "--corpus",
            &corpus,
            "--queries",
            &queries,
            "--strategies",
            "tokens:8/0",
            "--retriever",
            "bm25",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(
        o.stderr
            .contains("tokens:8/0: the model's tokenizer is not available: "),
        "{}",
        o.stderr
    );
    assert!(o.stderr.contains("RAGDIAG_OFFLINE"), "{}", o.stderr);
}
