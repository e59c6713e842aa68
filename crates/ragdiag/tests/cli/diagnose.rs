//! `ragdiag diagnose`: the demo knowledge base with its trace (classes against the truth file,
//! determinism, gates), replay mode, the config file, and bad input.

use crate::summary;
use crate::{ragdiag, write};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn demo_args(out: &Path) -> Vec<String> {
    let r = repo();
    vec![
        "diagnose".into(),
        "--quiet".into(),
        "--corpus".into(),
        r.join("corpora/tallyfox").display().to_string(),
        "--queries".into(),
        r.join("queries/tallyfox.jsonl").display().to_string(),
        "--trace".into(),
        r.join("queries/tallyfox.trace.jsonl").display().to_string(),
        "--as-of".into(),
        "2026-10-01".into(),
        "--out".into(),
        out.display().to_string(),
    ]
}

fn run(args: &[String]) -> crate::Out {
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    ragdiag(&refs)
}

#[test]
fn demo_trace_classes_match_the_truth_file_and_runs_are_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a");
    let o = run(&demo_args(&a));
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        o.stdout.starts_with("Retrieval found the right source"),
        "{}",
        o.stdout
    );
    for f in [
        "summary.json",
        "report.md",
        "queries.parquet",
        "hits.parquet",
        "run.trec",
    ] {
        assert!(a.join(f).is_file(), "{f}");
    }
    let html = std::fs::read_to_string(a.join("report.html")).unwrap();
    for id in ["summary", "metrics", "classes", "freshness", "questions"] {
        assert!(html.contains(&format!("id=\"{id}\"")), "{id}");
    }
    // Corpus text may show markup and URLs (escaped, as text); no element loads anything.
    for tag in [
        "<script", "<img", "<link", "<iframe", "<object", "url(http", "@import",
    ] {
        assert!(!html.contains(tag), "{tag}");
    }
    assert!(html.contains("&lt;script src="), "corpus markup is escaped");
    let s = summary(&a);
    assert_eq!(
        s["schema_version"],
        ragdiag_contract::DIAGNOSE_SCHEMA_VERSION
    );
    assert_eq!(s["mode"], "trace");

    // Class counts equal the truth file's.
    let truth: Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("queries/tallyfox.truth.json")).unwrap(),
    )
    .unwrap();
    let mut expected = std::collections::BTreeMap::<String, u64>::new();
    for q in truth["questions"].as_object().unwrap().values() {
        *expected
            .entry(q["class"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    for (class, n) in &expected {
        assert_eq!(s["classes"][class]["count"], *n, "{class}");
    }
    assert_eq!(s["questions"]["total"], 133);

    // Every figure carries its interval and n.
    for (name, m) in s["metrics"].as_object().unwrap() {
        let (mean, lo, hi) = (
            m["mean"].as_f64().unwrap(),
            m["ci_lower"].as_f64().unwrap(),
            m["ci_upper"].as_f64().unwrap(),
        );
        assert!(lo <= mean && mean <= hi, "{name}: {m}");
        assert!(m["n"].as_u64().unwrap() > 0, "{name}");
    }
    assert!(s["generation"]["correct"]["n"].as_u64().unwrap() > 0);
    assert!(s["latency_ms"]["p50"].as_f64().is_some());

    // The run's nDCG@10 is what trec_eval semantics give on run.trec with the queries' labels.
    let qrels = dir.path().join("qrels.txt");
    let mut q = String::new();
    for line in std::fs::read_to_string(repo().join("queries/tallyfox.jsonl"))
        .unwrap()
        .lines()
    {
        let v: Value = serde_json::from_str(line).unwrap();
        for r in v["relevant"].as_array().into_iter().flatten() {
            q.push_str(&format!(
                "{} 0 {} {}\n",
                v["id"].as_str().unwrap(),
                r["doc"].as_str().unwrap(),
                r["grade"]
            ));
        }
    }
    std::fs::write(&qrels, q).unwrap();
    let e = ragdiag(&[
        "eval",
        "-c",
        "-m",
        "ndcg_cut.10",
        qrels.to_str().unwrap(),
        a.join("run.trec").to_str().unwrap(),
    ]);
    assert_eq!(e.code, 0, "{}", e.stderr);
    let from_eval: f64 = e.stdout.split_whitespace().nth(2).unwrap().parse().unwrap();
    let shown = s["metrics"]["ndcg@10"]["mean"].as_f64().unwrap();
    assert!((shown - from_eval).abs() < 1e-4, "{shown} vs {from_eval}");

    // Same inputs and seed: the same bytes, provenance time aside.
    let b = dir.path().join("b");
    let mut args = demo_args(&b);
    // The output directory differs; it appears in the command line and name only.
    args.last_mut()
        .unwrap()
        .clone_from(&b.display().to_string());
    assert_eq!(run(&args).code, 0);
    let strip = |mut v: Value| {
        let p = v["provenance"].as_object_mut().unwrap();
        p.remove("created_at");
        p.remove("command");
        v["name"] = Value::Null;
        v
    };
    assert_eq!(strip(summary(&a)), strip(summary(&b)));
}

#[test]
fn gates_fail_with_exit_1_and_name_the_metric() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("g");
    let mut args = demo_args(&out);
    args.extend(["--fail-under".into(), "hit@5=0.95,mrr=0.0".into()]);
    let o = run(&args);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(o.stderr.contains("gate failed: hit@5"), "{}", o.stderr);
    assert!(!o.stderr.contains("gate failed: mrr"), "{}", o.stderr);
    let s = summary(&out);
    assert_eq!(s["gates"][0]["passed"], false);
    assert_eq!(s["gates"][1]["passed"], true);
    // Each gate says the smallest drop these questions detect: for hit@5 the figure
    // `ragdiag plan` gives for its mean and question count.
    let hit = &s["metrics"]["hit@5"];
    let plan = run(&[
        "plan".into(),
        "--metric".into(),
        "hit@5".into(),
        "--baseline".into(),
        hit["mean"].to_string(),
        "--questions".into(),
        hit["n"].to_string(),
        "--format".into(),
        "json".into(),
    ]);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    let plan: serde_json::Value = serde_json::from_str(&plan.stdout).unwrap();
    let drop = s["gates"][0]["detectable_drop"].as_f64().unwrap();
    assert!((drop - plan["detectable_drop_paired"].as_f64().unwrap()).abs() < 1e-12);
    assert!(drop > 0.05 && drop < 0.5, "{drop}");
    let mrr_drop = s["gates"][1]["detectable_drop"].as_f64().unwrap();
    assert!(mrr_drop > 0.0 && mrr_drop < 0.5, "{mrr_drop}");
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("Smallest detectable drop"), "{md}");

    let mut args = demo_args(&out);
    args.extend([
        "--fail-under".into(),
        "recall@10=0.0".into(),
        "--gate-on".into(),
        "lower-ci".into(),
    ]);
    assert_eq!(run(&args).code, 0);

    let mut args = demo_args(&out);
    args.extend(["--fail-under".into(), "nonsense@3=0.5".into()]);
    let o = run(&args);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("unknown metric"), "{}", o.stderr);
}

#[test]
fn replay_with_a_config_file() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "c.jsonl",
        concat!(
            r#"{"id":"refunds","text":"Refunds are paid back to the original card within 14 days.","updated_at":"2026-01-01"}"#,
            "\n",
            r#"{"id":"refunds-old","text":"Refunds are paid back to the original card within 30 days.","updated_at":"2024-01-01","deleted":true}"#,
            "\n",
            r#"{"id":"shipping","text":"Orders ship within two business days.","updated_at":"2026-01-01"}"#,
            "\n",
        )
        .as_bytes(),
    );
    write(
        dir.path(),
        "q.jsonl",
        concat!(
            r#"{"id":"q1","text":"how long do refunds take","evidence":[{"doc":"refunds","quote":"within 14 days"}]}"#,
            "\n",
            r#"{"id":"q2","text":"when do orders ship","relevant":[{"doc":"shipping","grade":1}]}"#,
            "\n",
            r#"{"id":"q3","text":"do you sell gift cards"}"#,
            "\n",
        )
        .as_bytes(),
    );
    write(
        dir.path(),
        "ragdiag.toml",
        b"corpus = \"c.jsonl\"\nqueries = \"q.jsonl\"\nretriever = \"bm25\"\nas_of = \"2026-10-01\"\ncontext_k = 1\npool_k = 3\nout = \"report\"\n",
    );
    let home = dir.path().join("home");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_ragdiag"))
        .args([
            "diagnose",
            "--quiet",
            "--config",
            dir.path().join("ragdiag.toml").to_str().unwrap(),
        ])
        .env("RAGDIAG_HOME", &home)
        .env("RAGDIAG_OFFLINE", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    let s = summary(&dir.path().join("report"));
    assert_eq!(s["mode"], "replay");
    assert_eq!(s["provenance"]["retriever"], "bm25");
    assert_eq!(s["classes"]["no_label"]["count"], 1);
    assert_eq!(s["classes"]["ok"]["count"], 2, "{}", s["classes"]);
    // The index is cached: a second run reuses it.
    let again = std::process::Command::new(env!("CARGO_BIN_EXE_ragdiag"))
        .args([
            "diagnose",
            "--config",
            dir.path().join("ragdiag.toml").to_str().unwrap(),
            "--context-k",
            "2",
        ])
        .env("RAGDIAG_HOME", &home)
        .env("RAGDIAG_OFFLINE", "1")
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(0));
    assert!(!String::from_utf8_lossy(&again.stderr).contains("indexing"));
    assert_eq!(
        summary(&dir.path().join("report"))["context_k"],
        2,
        "flags win over the file"
    );

    // An unknown key in the config file is an error.
    write(
        dir.path(),
        "bad.toml",
        b"corpus = \"c.jsonl\"\nretreiver = \"bm25\"\n",
    );
    let o = ragdiag(&[
        "diagnose",
        "--config",
        dir.path().join("bad.toml").to_str().unwrap(),
    ]);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("retreiver"), "{}", o.stderr);

    // A gate threshold the command line would refuse is refused in the file too.
    write(
        dir.path(),
        "nan.toml",
        b"corpus = \"c.jsonl\"\nqueries = \"q.jsonl\"\nout = \"report\"\nfail_under = { \"recall@10\" = nan }\n",
    );
    let o = ragdiag(&[
        "diagnose",
        "--config",
        dir.path().join("nan.toml").to_str().unwrap(),
    ]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(o.stderr.contains("must be finite"), "{}", o.stderr);
}

#[test]
fn malformed_questions_stop_with_their_location() {
    let dir = tempfile::tempdir().unwrap();
    let q = write(
        dir.path(),
        "q.jsonl",
        b"{\"id\":\"q1\",\"text\":\"fine\"}\n{\"id\":\"q2\",\"text\":[\"not a string\"]}\n",
    );
    let o = ragdiag(&[
        "diagnose",
        "--corpus",
        repo().join("corpora/tallyfox").to_str().unwrap(),
        "--queries",
        &q,
        "--trace",
        repo()
            .join("queries/tallyfox.trace.jsonl")
            .to_str()
            .unwrap(),
        "--out",
        dir.path().join("o").to_str().unwrap(),
    ]);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("q.jsonl:2: text"), "{}", o.stderr);
}

#[test]
fn compare_finds_the_regression_and_gates_on_it() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a");
    assert_eq!(run(&demo_args(&a)).code, 0);
    // B: a trace where every question's first retrieved item is dropped.
    let trace = std::fs::read_to_string(repo().join("queries/tallyfox.trace.jsonl")).unwrap();
    let mut worse = String::new();
    for line in trace.lines() {
        let mut v: Value = serde_json::from_str(line).unwrap();
        if let Some(list) = v["retrieved"].as_array_mut() {
            if !list.is_empty() {
                list.remove(0);
            }
        }
        worse.push_str(&v.to_string());
        worse.push('\n');
    }
    let worse_path = write(dir.path(), "worse.jsonl", worse.as_bytes());
    let b = dir.path().join("b");
    let mut args = demo_args(&b);
    let t = args.iter().position(|x| x == "--trace").unwrap();
    args[t + 1] = worse_path;
    assert_eq!(run(&args).code, 0);

    let out = dir.path().join("cmp");
    let o = ragdiag(&[
        "compare",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "--fail-on-regression",
        "mrr=0.02",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.code, 1, "{}\n{}", o.stdout, o.stderr);
    assert!(
        o.stderr.contains("regression: b mrr dropped"),
        "{}",
        o.stderr
    );
    assert!(o.stdout.contains("hit@5"), "{}", o.stdout);
    let s: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let mrr = s["comparisons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["metric"] == "mrr")
        .unwrap();
    assert!(mrr["difference"].as_f64().unwrap() < 0.0);
    assert!(mrr["p_holm"].as_f64().unwrap() < 0.05);
    assert!(s["class_changes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["kind"] == "regressed"));
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("## Regressed questions"), "{md}");

    // A report against itself: no differences, no failure.
    let o = ragdiag(&[
        "compare",
        a.to_str().unwrap(),
        a.to_str().unwrap(),
        "--fail-on-regression",
        "mrr=0.0",
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    // Not a report.
    let o = ragdiag(&["compare", a.to_str().unwrap(), dir.path().to_str().unwrap()]);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("not a ragdiag diagnose report"),
        "{}",
        o.stderr
    );
    // A report of another schema version is refused, not compared.
    let other = dir.path().join("other-version");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::copy(a.join("queries.parquet"), other.join("queries.parquet")).unwrap();
    let mut s = summary(&a);
    s["schema_version"] = serde_json::json!(99);
    std::fs::write(other.join("summary.json"), s.to_string()).unwrap();
    let o = ragdiag(&["compare", a.to_str().unwrap(), other.to_str().unwrap()]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(
        o.stderr.contains(&format!(
            "schema_version 99, expected {}",
            ragdiag_contract::DIAGNOSE_SCHEMA_VERSION
        )),
        "{}",
        o.stderr
    );
}

#[test]
fn answer_and_grounding_thresholds_are_settings() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base");
    assert_eq!(run(&demo_args(&base)).code, 0);
    let lenient = dir.path().join("lenient");
    let mut args = demo_args(&lenient);
    args.extend([
        "--answer-f1".into(),
        "0.01".into(),
        "--ground-token-share".into(),
        "0.01".into(),
    ]);
    assert_eq!(run(&args).code, 0);
    let (b, l) = (summary(&base), summary(&lenient));
    let correct = |s: &Value| s["generation"]["correct"]["mean"].as_f64().unwrap();
    let grounded = |s: &Value| s["generation"]["grounded"]["mean"].as_f64().unwrap();
    assert!(
        correct(&l) > correct(&b),
        "{} vs {}",
        correct(&l),
        correct(&b)
    );
    assert!(
        grounded(&l) > grounded(&b),
        "{} vs {}",
        grounded(&l),
        grounded(&b)
    );
    assert!(
        l["classes"]["generation_failure"]["count"].as_u64()
            < b["classes"]["generation_failure"]["count"].as_u64()
    );

    // Embedding similarity as well (the hashing embedder here: no model download).
    let emb = dir.path().join("emb");
    let mut args = demo_args(&emb);
    args.extend([
        "--ground-embeddings".into(),
        "--model".into(),
        "hash:64".into(),
    ]);
    let home = dir.path().join("home");
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_ragdiag"))
        .args(&refs)
        .env("RAGDIAG_HOME", &home)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(summary(&emb)["provenance"]["grounding_model_id"], "hash-64");

    let mut args = demo_args(&dir.path().join("bad"));
    args.extend(["--ground-token-share".into(), "1.5".into()]);
    let o = run(&args);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("--ground-token-share"), "{}", o.stderr);
}

/// `thresholds.parquet` holds the sweep's rows as `summary.json` holds them: every floor, the
/// operating points and the per-tag rows, with each figure's interval and n.
#[test]
fn thresholds_parquet_holds_the_sweep_of_the_summary() {
    use ragdiag_contract::table::THRESHOLDS;
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a");
    let mut args = demo_args(&a);
    args.extend(["--score-floor".to_owned(), "0.8".to_owned()]);
    assert_eq!(run(&args).code, 0);
    let s: ragdiag_contract::DiagnoseSummary =
        serde_json::from_str(&std::fs::read_to_string(a.join("summary.json")).unwrap()).unwrap();
    let t = s.thresholds.expect("the demo trace has a sweep");
    let cols = ragdiag_load::read_table(&a.join(THRESHOLDS.file), &THRESHOLDS).unwrap();
    let col = |name: &str| &cols.iter().find(|c| c.name == name).unwrap().values;
    let ragdiag_contract::Values::Utf8(point) = col("point") else {
        panic!("point")
    };
    let ragdiag_contract::Values::Utf8(tag) = col("tag") else {
        panic!("tag")
    };
    let ragdiag_contract::Values::Float64(floor) = col("floor") else {
        panic!("floor")
    };
    let ragdiag_contract::Values::Float64(acc_lo) = col("accuracy_ci_lower") else {
        panic!("accuracy_ci_lower")
    };
    let ragdiag_contract::Values::Int64(acc_n) = col("accuracy_n") else {
        panic!("accuracy_n")
    };
    let sweep: Vec<usize> = (0..point.len())
        .filter(|&i| point[i].as_deref() == Some("sweep"))
        .collect();
    assert_eq!(sweep.len(), t.sweep.len());
    for (i, p) in sweep.iter().zip(&t.sweep) {
        assert!(tag[*i].is_none());
        assert_eq!(floor[*i], p.floor);
        assert_eq!(acc_lo[*i], p.accuracy.ci_lower);
        assert_eq!(acc_n[*i], Some(p.accuracy.n as i64));
    }
    let current = point.iter().position(|p| p.as_deref() == Some("current"));
    assert_eq!(
        floor[current.expect("--score-floor names a current point")],
        Some(0.8)
    );
    let at_overall = point
        .iter()
        .filter(|p| p.as_deref() == Some("at_overall"))
        .count();
    assert_eq!(at_overall, t.by_tag.len());
}

/// `compare` gives the cost and latency per correct answer of each report against the first,
/// paired: a trace whose prompts are three times as long and answers 1.5 times as slow costs
/// more and waits longer per correct answer, with intervals above zero.
#[test]
fn compare_pairs_cost_and_latency_per_correct_answer() {
    let dir = tempfile::tempdir().unwrap();
    let trace = std::fs::read_to_string(repo().join("queries/tallyfox.trace.jsonl")).unwrap();
    let mut dear = String::new();
    for line in trace.lines() {
        let mut v: Value = serde_json::from_str(line).unwrap();
        if let Some(p) = v["prompt_tokens"].as_f64() {
            v["prompt_tokens"] = (p * 3.0).into();
        }
        if let Some(l) = v["latency_ms"].as_f64() {
            v["latency_ms"] = (l * 1.5).into();
        }
        dear.push_str(&v.to_string());
        dear.push('\n');
    }
    let dear_path = write(dir.path(), "dear.jsonl", dear.as_bytes());
    let mut outs = Vec::new();
    for (name, trace) in [
        (
            "base",
            repo()
                .join("queries/tallyfox.trace.jsonl")
                .display()
                .to_string(),
        ),
        ("dear", dear_path),
    ] {
        let out = dir.path().join(name);
        let mut args = demo_args(&out);
        let t = args.iter().position(|x| x == "--trace").unwrap();
        args[t + 1] = trace;
        args.extend(["--price".to_owned(), "prompt=3,completion=15".to_owned()]);
        assert_eq!(run(&args).code, 0);
        outs.push(out);
    }
    let cmp = dir.path().join("cmp");
    let o = ragdiag(&[
        "compare",
        outs[0].to_str().unwrap(),
        outs[1].to_str().unwrap(),
        "--out",
        cmp.to_str().unwrap(),
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let s: ragdiag_contract::CompareSummary =
        serde_json::from_str(&std::fs::read_to_string(cmp.join("summary.json")).unwrap()).unwrap();
    let fig = |name: &str| s.efficiency.iter().find(|e| e.figure == name).unwrap();
    let cost = fig("cost_per_correct_answer");
    assert!(cost.difference.n > 100 && cost.correct > 0);
    assert!(cost.value.unwrap() > cost.baseline.unwrap());
    assert!(cost.difference.ci_lower.unwrap() > 0.0, "{cost:?}");
    let latency = fig("latency_ms_per_correct_answer");
    let ratio = latency.value.unwrap() / latency.baseline.unwrap();
    assert!((ratio - 1.5).abs() < 1e-6, "{ratio}");
    assert!(latency.difference.ci_lower.unwrap() > 0.0);
    let md = std::fs::read_to_string(cmp.join("report.md")).unwrap();
    assert!(md.contains("## Quality per dollar and per second"), "{md}");
    assert!(o.stdout.contains("per correct answer"), "{}", o.stdout);
}

/// Replay with `--ann` searches an HNSW graph at any size: one is built (a cached index without
/// one is rebuilt, with a warning), and the graph's build time, threads and recall against
/// exact search go to the provenance; the default below 200,000 chunks is exact search, which
/// records none of them.
#[test]
fn replay_with_ann_builds_a_graph_and_records_its_build() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let r = repo();
    let replay = |out: &Path, extra: &[&str]| {
        let mut args = vec![
            "diagnose".to_owned(),
            "--corpus".into(),
            r.join("corpora/tallyfox").display().to_string(),
            "--queries".into(),
            r.join("queries/tallyfox.jsonl").display().to_string(),
            "--as-of".into(),
            "2026-10-01".into(),
            "--retriever".into(),
            "dense".into(),
            "--model".into(),
            "hash:64".into(),
            "--out".into(),
            out.display().to_string(),
        ];
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_ragdiag"))
            .args(&args)
            .env("RAGDIAG_HOME", &home)
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
        assert_eq!(o.status.code(), Some(0), "{stderr}");
        (summary(out)["provenance"].clone(), stderr)
    };
    let (exact, _) = replay(&dir.path().join("exact"), &["--quiet"]);
    for field in ["ann_recall", "ann_build_seconds", "ann_build_threads"] {
        assert!(exact.get(field).is_none(), "{field} in {exact}");
    }
    // The exact run cached an index without a graph: --ann rebuilds it with one.
    let (ann, stderr) = replay(&dir.path().join("ann"), &["--ann"]);
    assert!(stderr.contains("it lacks what this run reads"), "{stderr}");
    assert!(stderr.contains("searched the HNSW graph of"), "{stderr}");
    let recall = ann["ann_recall"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&recall), "{ann}");
    assert!(ann["ann_build_seconds"].as_f64().unwrap() >= 0.0, "{ann}");
    assert!(ann["ann_build_threads"].as_u64().unwrap() >= 1, "{ann}");
    assert_eq!(ann["index"], exact["index"]);
    // The next --ann run takes the graph from the cache, with the build it recorded.
    let (again, stderr) = replay(&dir.path().join("again"), &["--ann"]);
    assert!(!stderr.contains("lacks"), "{stderr}");
    assert_eq!(again["ann_build_seconds"], ann["ann_build_seconds"]);
    assert_eq!(again["ann_recall"], ann["ann_recall"]);
}

/// Issue 15: over `RAGDIAG_FRESHNESS_IN_MEMORY_BYTES` of text, `diagnose` runs the freshness
/// audit in batches (no shingle set of every document held); the report is the same.
#[test]
fn the_freshness_audit_in_batches_leaves_the_diagnosis_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o");
    let diagnose = |in_memory_bytes: &str| {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_ragdiag"))
            .args(demo_args(&out))
            .env("NO_COLOR", "1")
            .env("RAGDIAG_FRESHNESS_IN_MEMORY_BYTES", in_memory_bytes)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0));
        let mut s = summary(&out);
        s["provenance"]
            .as_object_mut()
            .unwrap()
            .remove("created_at");
        let md = std::fs::read(out.join("report.md")).unwrap();
        std::fs::remove_dir_all(&out).unwrap();
        (s, md)
    };
    let held = diagnose("100000000000");
    assert!(held.0["freshness"].is_object(), "{}", held.0);
    assert!(held == diagnose("0"));
}
