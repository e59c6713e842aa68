//! Snapshots of each command's output on the demo (and of `report.md`), so that a refactor
//! that changes what a user sees fails here. Paths, timings and dates of the run are filtered.
//! Nothing here needs the embedding model: replays use BM25 and cl100k token counts.
//! `INSTA_UPDATE=always cargo test -p ragdiag --test cli snapshots` rewrites them after a
//! deliberate change; review the diff.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A file of the repository, as a path relative to its root: commands run there, so output
/// that shows input paths (and pads columns to them) does not depend on where it is checked out.
fn repo(rel: &str) -> String {
    rel.to_owned()
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs ragdiag with its own cache folder and no downloads; exit code, stdout and stderr as
/// one text.
fn run(home: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_ragdiag"))
        .current_dir(repo_root())
        .args(args)
        .env("RAGDIAG_HOME", home)
        .env("RAGDIAG_OFFLINE", "1")
        .env("NO_COLOR", "1")
        .output()
        .expect("run ragdiag");
    format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Filters for what changes from run to run: the temporary folder, the repository's place,
/// the binary's path, timings and creation times.
fn settings(tmp: &Path) -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("snapshots");
    s.set_prepend_module_to_snapshot(false);
    let escape = |p: &str| p.replace('\\', "\\\\").replace('.', "\\.");
    s.add_filter(&escape(&tmp.to_string_lossy()), "[TMP]");
    s.add_filter(&escape(env!("CARGO_BIN_EXE_ragdiag")), "[BIN]");
    s.add_filter(r"\d+\.\d+ s\b", "[T] s");
    s.add_filter(r"\d+ queries/s", "[N] queries/s");
    s.add_filter(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", "[TIME]");
    s
}

#[test]
fn diagnose_trace_mode_with_a_failed_gate() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("demo");
    let shown = run(
        tmp.path(),
        &[
            "diagnose",
            "--corpus",
            &repo("corpora/tallyfox"),
            "--queries",
            &repo("queries/tallyfox.jsonl"),
            "--trace",
            &repo("queries/tallyfox.trace.jsonl"),
            "--as-of",
            "2026-10-01",
            "--fail-under",
            "hit@5=0.99",
            "--out",
            &out.to_string_lossy(),
        ],
    );
    settings(tmp.path()).bind(|| {
        insta::assert_snapshot!("diagnose_trace_output", shown);
        let md = std::fs::read_to_string(out.join("report.md")).unwrap();
        insta::assert_snapshot!("diagnose_trace_report_md", md);
    });
}

#[test]
fn diagnose_replay_bm25_then_compare_and_freshness() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = repo("corpora/tallyfox");
    let queries = repo("queries/tallyfox.jsonl");
    let replay = tmp.path().join("bm25");
    let replay_out = run(
        tmp.path(),
        &[
            "diagnose",
            "--quiet",
            "--corpus",
            &corpus,
            "--queries",
            &queries,
            "--as-of",
            "2026-10-01",
            "--retriever",
            "bm25",
            "--chunker",
            "tokens:120/20@cl100k",
            "--out",
            &replay.to_string_lossy(),
        ],
    );
    let trace = tmp.path().join("trace");
    run(
        tmp.path(),
        &[
            "diagnose",
            "--quiet",
            "--corpus",
            &corpus,
            "--queries",
            &queries,
            "--trace",
            &repo("queries/tallyfox.trace.jsonl"),
            "--as-of",
            "2026-10-01",
            "--out",
            &trace.to_string_lossy(),
        ],
    );
    let compare = run(
        tmp.path(),
        &[
            "compare",
            &trace.to_string_lossy(),
            &replay.to_string_lossy(),
            "--fail-on-regression",
            "hit@5=0.01",
        ],
    );
    let fresh_dir = tmp.path().join("fresh");
    let freshness = run(
        tmp.path(),
        &[
            "freshness",
            "--corpus",
            &corpus,
            "--queries",
            &queries,
            "--trace",
            &repo("queries/tallyfox.trace.jsonl"),
            "--as-of",
            "2026-10-01",
            "--out",
            &fresh_dir.to_string_lossy(),
        ],
    );
    settings(tmp.path()).bind(|| {
        insta::assert_snapshot!("diagnose_replay_bm25_output", replay_out);
        let md = std::fs::read_to_string(replay.join("report.md")).unwrap();
        insta::assert_snapshot!("diagnose_replay_bm25_report_md", md);
        insta::assert_snapshot!("compare_output", compare);
        insta::assert_snapshot!("freshness_output", freshness);
        let md = std::fs::read_to_string(fresh_dir.join("report.md")).unwrap();
        insta::assert_snapshot!("freshness_report_md", md);
    });
}

#[test]
fn eval_lint_chunking_index_and_search() {
    let tmp = tempfile::tempdir().unwrap();
    let eval = run(
        tmp.path(),
        &[
            "eval",
            "-m",
            "official",
            "-m",
            "ndcg_cut.10",
            &repo("examples/tallyfox/qrels.txt"),
            &repo("examples/tallyfox/production.trec"),
        ],
    );
    let eval_two = run(
        tmp.path(),
        &[
            "eval",
            &repo("examples/tallyfox/qrels.txt"),
            &repo("examples/tallyfox/production.trec"),
            &repo("examples/tallyfox/keyword.trec"),
        ],
    );
    let lint = run(
        tmp.path(),
        &[
            "lint",
            "--corpus",
            &repo("corpora/tallyfox"),
            "--queries",
            &repo("queries/tallyfox.jsonl"),
        ],
    );
    let chunk_dir = tmp.path().join("chunking");
    let chunking = run(
        tmp.path(),
        &[
            "chunking",
            "--quiet",
            "--corpus",
            &repo("corpora/tallyfox"),
            "--queries",
            &repo("queries/tallyfox.jsonl"),
            "--strategies",
            "tokens:120/20@cl100k,recursive:300/0@cl100k",
            "--retriever",
            "bm25",
            "--out",
            &chunk_dir.to_string_lossy(),
        ],
    );
    let index_dir = tmp.path().join("index");
    let index = run(
        tmp.path(),
        &[
            "index",
            "--corpus",
            &repo("corpora/tallyfox"),
            "--model",
            "none",
            "--out",
            &index_dir.to_string_lossy(),
        ],
    );
    let search = run(
        tmp.path(),
        &[
            "search",
            "--index",
            &index_dir.to_string_lossy(),
            "--queries",
            &repo("queries/tallyfox.jsonl"),
            "--retriever",
            "bm25",
            "--k",
            "2",
        ],
    );
    settings(tmp.path()).bind(|| {
        insta::assert_snapshot!("eval_output", eval);
        insta::assert_snapshot!("eval_two_runs_output", eval_two);
        insta::assert_snapshot!("lint_output", lint);
        insta::assert_snapshot!("chunking_output", chunking);
        let md = std::fs::read_to_string(chunk_dir.join("report.md")).unwrap();
        insta::assert_snapshot!("chunking_report_md", md);
        insta::assert_snapshot!("index_output", index);
        insta::assert_snapshot!("search_output", search);
    });
}

/// A summary read back through its contract type serialises to the same JSON (every field is
/// typed: nothing is lost or added on the way).
fn round_trips<T: serde::Serialize + serde::de::DeserializeOwned>(summary: &serde_json::Value) {
    let typed: T = serde_json::from_value(summary.clone()).expect("reads as its contract type");
    assert_eq!(&serde_json::to_value(&typed).unwrap(), summary);
}

/// The demo's summaries validate against the schemas published in `schemas/`, and read back
/// through their contract types unchanged.
#[test]
fn demo_summaries_follow_the_published_schemas() {
    let tmp = tempfile::tempdir().unwrap();
    let schema = |name: &str| -> serde_json::Value {
        serde_json::from_str(
            &std::fs::read_to_string(repo_root().join("schemas").join(name)).unwrap(),
        )
        .unwrap()
    };
    let diagnose_schema =
        jsonschema::validator_for(&schema("diagnose-summary.schema.json")).unwrap();
    let compare_schema = jsonschema::validator_for(&schema("compare-summary.schema.json")).unwrap();
    let mut dirs = Vec::new();
    for (name, extra) in [
        ("trace", vec!["--trace", "queries/tallyfox.trace.jsonl"]),
        ("bm25", vec!["--retriever", "bm25"]),
    ] {
        let out = tmp.path().join(name);
        let extra: Vec<String> = extra
            .iter()
            .map(|a| {
                if a.ends_with(".jsonl") {
                    repo(a)
                } else {
                    (*a).to_owned()
                }
            })
            .collect();
        let mut args = vec![
            "diagnose".to_owned(),
            "--quiet".into(),
            "--corpus".into(),
            repo("corpora/tallyfox"),
            "--queries".into(),
            repo("queries/tallyfox.jsonl"),
            "--as-of".into(),
            "2026-10-01".into(),
            "--out".into(),
            out.to_string_lossy().into_owned(),
        ];
        args.extend(extra);
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let shown = run(tmp.path(), &argv);
        assert!(shown.starts_with("exit: 0"), "{shown}");
        let summary: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
        let errors: Vec<String> = diagnose_schema
            .iter_errors(&summary)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{name}: {errors:#?}");
        round_trips::<ragdiag_contract::DiagnoseSummary>(&summary);
        // The schema can fail: a figure of the wrong type is refused.
        let mut broken = summary.clone();
        broken["context_k"] = serde_json::json!("five");
        assert!(!diagnose_schema.is_valid(&broken));
        dirs.push(out);
    }
    let out = tmp.path().join("cmp");
    run(
        tmp.path(),
        &[
            "compare",
            &dirs[0].to_string_lossy(),
            &dirs[1].to_string_lossy(),
            "--out",
            &out.to_string_lossy(),
        ],
    );
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    let errors: Vec<String> = compare_schema
        .iter_errors(&summary)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    round_trips::<ragdiag_contract::CompareSummary>(&summary);

    let freshness_schema =
        jsonschema::validator_for(&schema("freshness-summary.schema.json")).unwrap();
    let out = tmp.path().join("fresh");
    let shown = run(
        tmp.path(),
        &[
            "freshness",
            "--quiet",
            "--corpus",
            &repo("corpora/tallyfox"),
            "--queries",
            &repo("queries/tallyfox.jsonl"),
            "--trace",
            &repo("queries/tallyfox.trace.jsonl"),
            "--as-of",
            "2026-10-01",
            "--out",
            &out.to_string_lossy(),
        ],
    );
    assert!(shown.starts_with("exit: 0"), "{shown}");
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    let errors: Vec<String> = freshness_schema
        .iter_errors(&summary)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert!(summary["retrieval"].is_object() && summary["labels"].is_object());
    round_trips::<ragdiag_contract::freshness::FreshnessSummary>(&summary);

    let eval_schema = jsonschema::validator_for(&schema("eval-summary.schema.json")).unwrap();
    let shown = run(
        tmp.path(),
        &[
            "eval",
            "-q",
            "--format",
            "json",
            "examples/tallyfox/qrels.txt",
            "examples/tallyfox/production.trec",
            "examples/tallyfox/keyword.trec",
        ],
    );
    let json = shown
        .split_once("--- stdout\n")
        .and_then(|(_, rest)| rest.split_once("--- stderr\n"))
        .map(|(stdout, _)| stdout)
        .unwrap();
    let summary: serde_json::Value = serde_json::from_str(json).unwrap();
    let errors: Vec<String> = eval_schema
        .iter_errors(&summary)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(summary["runs"].as_array().map(Vec::len), Some(2));
    assert!(summary["runs"][0]["per_query"].is_object());
    round_trips::<ragdiag_contract::eval::EvalSummary>(&summary);
}
