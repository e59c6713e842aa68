//! `--trace` in other tools' formats (fixtures written by the producers' own packages, see
//! scripts/fixtures/make_trace_fixtures.py): `diagnose` gives the same per-question classes as
//! the ragdiag trace of the same questions; RAGAS and RAGChecker files stand in for
//! `--queries`; `lint` and `freshness` read them too; bad files exit 2 with a located message.

use crate::summary;
use crate::{ragdiag, write};
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixture(name: &str) -> String {
    repo()
        .join("crates/ragdiag-load/tests/fixtures/traces")
        .join(name)
        .display()
        .to_string()
}

fn diagnose(trace: &str, queries: Option<&str>, out: &Path, extra: &[&str]) -> crate::Out {
    let corpus = repo().join("corpora/tallyfox").display().to_string();
    let out = out.display().to_string();
    let mut args = vec!["diagnose", "--quiet", "--corpus", &corpus, "--trace", trace];
    if let Some(q) = queries {
        args.extend(["--queries", q]);
    }
    args.extend(["--as-of", "2026-10-01", "--out", &out]);
    args.extend(extra);
    ragdiag(&args)
}

#[test]
fn every_format_gives_the_classes_of_the_ragdiag_trace() {
    let dir = tempfile::tempdir().unwrap();
    let questions = fixture("questions.jsonl");
    let base = dir.path().join("ragdiag");
    let o = diagnose(
        &fixture("ragdiag.trace.jsonl"),
        Some(&questions),
        &base,
        &[],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    let want = summary(&base);
    assert_eq!(want["provenance"]["trace_format"], "ragdiag");
    let want_rows = std::fs::read(base.join("queries.parquet")).unwrap();
    for (name, format, full) in [
        ("openinference.jsonl", "openinference", true),
        ("phoenix.parquet", "openinference", true),
        ("otlp.json", "otel", true),
        ("ragas.jsonl", "ragas", false),
        ("ragchecker.json", "ragchecker", false),
    ] {
        for declared in [None, Some(format)] {
            let out = dir.path().join(format!("{name}-{}", declared.is_some()));
            let extra: Vec<&str> = declared
                .map(|f| vec!["--trace-format", f])
                .unwrap_or_default();
            let o = diagnose(&fixture(name), Some(&questions), &out, &extra);
            assert_eq!(o.code, 0, "{name}: {}", o.stderr);
            let got = summary(&out);
            assert_eq!(got["mode"], "trace");
            // The format read, declared or detected, is recorded with the trace.
            assert_eq!(got["provenance"]["trace_format"], format, "{name}");
            assert_eq!(got["classes"], want["classes"], "{name}");
            assert_eq!(got["metrics"], want["metrics"], "{name}");
            // One row per question with its class and rule: the same bytes. Datasets carry no
            // reranker input (`candidates`) and no latency or token counts, so their reranker,
            // latency and cost columns alone may differ.
            if full {
                assert!(
                    std::fs::read(out.join("queries.parquet")).unwrap() == want_rows,
                    "{name}: per-question classes differ"
                );
            } else {
                let rows = |dir: &Path| {
                    let mut cols = ragdiag_load::read_table(
                        &dir.join("queries.parquet"),
                        &ragdiag_contract::table::QUERIES,
                    )
                    .unwrap();
                    cols.retain(|c| {
                        !matches!(
                            c.name,
                            "pre_rerank_gold_rank" | "reranker_effect" | "latency_ms" | "cost"
                        )
                    });
                    format!("{cols:?}")
                };
                assert_eq!(
                    rows(&out),
                    rows(&base),
                    "{name}: per-question classes differ"
                );
            }
            if full {
                // Spans carry scores, latency and token counts: the hits table is the same too.
                assert_eq!(got["latency_ms"], want["latency_ms"], "{name}");
                assert_eq!(got["tokens"], want["tokens"], "{name}");
                assert!(
                    std::fs::read(out.join("hits.parquet")).unwrap()
                        == std::fs::read(base.join("hits.parquet")).unwrap(),
                    "{name}: hits differ"
                );
            } else {
                assert!(got["latency_ms"]["n"].as_u64().unwrap_or(0) == 0, "{name}");
            }
        }
    }
}

#[test]
fn datasets_carry_their_questions() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["ragas.jsonl", "ragchecker.json"] {
        let out = dir.path().join(name);
        let o = diagnose(&fixture(name), None, &out, &[]);
        assert_eq!(o.code, 0, "{name}: {}", o.stderr);
        let s = summary(&out);
        assert_eq!(s["questions"]["total"], 8, "{name}");
        assert_eq!(s["provenance"]["queries"], fixture(name));
        assert!(
            s["generation"]["correct"]["n"].as_u64().unwrap() > 0,
            "{name}"
        );
    }
    // Spans do not carry the questions.
    let o = diagnose(&fixture("otlp.json"), None, &dir.path().join("x"), &[]);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr
            .contains("--queries is required: a otel trace does not carry its questions"),
        "{}",
        o.stderr
    );
}

#[test]
fn bad_trace_files_exit_2_with_a_located_message() {
    let dir = tempfile::tempdir().unwrap();
    let questions = fixture("questions.jsonl");
    let bad = write(
        dir.path(),
        "bad.jsonl",
        b"{\"user_input\":\"a\",\"retrieved_contexts\":[\"x\"]}\n{\"user_input\":\"b\",\"retrieved_contexts\":[1, null]}\n",
    );
    let o = diagnose(&bad, Some(&questions), &dir.path().join("o"), &[]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(
        o.stderr
            .contains("bad.jsonl:2: retrieved_contexts[1]: expected a string, found null"),
        "{}",
        o.stderr
    );
    let odd = write(dir.path(), "odd.jsonl", b"{\"hello\":1}\n");
    let o = diagnose(&odd, Some(&questions), &dir.path().join("o"), &[]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(
        o.stderr.contains("cannot tell the trace format")
            && o.stderr.contains("ragchecker (")
            && o.stderr.contains("give --trace-format"),
        "{}",
        o.stderr
    );
    // A file of another format than declared.
    let o = diagnose(
        &fixture("ragas.jsonl"),
        Some(&questions),
        &dir.path().join("o"),
        &["--trace-format", "otel"],
    );
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(
        o.stderr
            .contains("ragas.jsonl:1: resourceSpans: missing required field"),
        "{}",
        o.stderr
    );
    let o = diagnose(
        &fixture("ragas.jsonl"),
        Some(&questions),
        &dir.path().join("o"),
        &["--trace-format", "phoenix"],
    );
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(
        o.stderr
            .contains("expected one of ragdiag, openinference, otel, ragas, ragchecker"),
        "{}",
        o.stderr
    );
}

#[test]
fn lint_and_freshness_read_any_trace_format() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = repo().join("corpora/tallyfox").display().to_string();
    let bad = write(
        dir.path(),
        "bad.json",
        br#"{"results":[{"query_id":"q1","query":"a","retrieved_context":[]},{"query_id":"q2","retrieved_context":[]},{"query_id":"q3","query":"c","retrieved_context":{}}]}"#,
    );
    let o = ragdiag(&["lint", "--trace", &bad]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    for line in [
        "bad.json: results[1].query: missing required field",
        "bad.json: results[2].retrieved_context: expected a list, found an object",
    ] {
        assert!(
            o.stdout.contains(line) || o.stderr.contains(line),
            "{line}: {}{}",
            o.stdout,
            o.stderr
        );
    }
    let o = ragdiag(&[
        "lint",
        "--corpus",
        &corpus,
        "--trace",
        &fixture("otlp.json"),
    ]);
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);

    let out = dir.path().join("fresh");
    let o = ragdiag(&[
        "freshness",
        "--quiet",
        "--corpus",
        &corpus,
        "--trace",
        &fixture("ragas.jsonl"),
        "--queries",
        &fixture("questions.jsonl"),
        "--as-of",
        "2026-10-01",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    // The questions' texts name the RAGAS samples; the same ranking as the ragdiag trace.
    let base = dir.path().join("fresh-ragdiag");
    let o = ragdiag(&[
        "freshness",
        "--quiet",
        "--corpus",
        &corpus,
        "--trace",
        &fixture("ragdiag.trace.jsonl"),
        "--as-of",
        "2026-10-01",
        "--out",
        base.to_str().unwrap(),
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let (a, b) = (summary(&out), summary(&base));
    assert!(a["retrieval"].is_object(), "{a}");
    assert_eq!(a["retrieval"], b["retrieval"]);
}
