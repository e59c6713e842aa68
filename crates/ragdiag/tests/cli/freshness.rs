//! `ragdiag freshness`: outputs, per-document bad input, and the demo corpus.

use crate::{ragdiag, write};

#[test]
fn audit_writes_reports_and_survives_bad_documents() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = write(
        dir.path(),
        "c.jsonl",
        concat!(
            r#"{"id":"old","text":"Plans cost $10.","updated_at":"2025-01-01"}"#,
            "\n",
            r#"{"id":"new","text":"Plans cost $12.","updated_at":"2026-01-01","supersedes":"old"}"#,
            "\n",
            r#"{"id":"weird","text":"Has a bad date.","updated_at":"last tuesday"}"#,
            "\n",
            r#"{"id":"typed","text":"Wrong type.","deleted":"yes"}"#,
            "\n",
            r#"{"id":"gone","text":"Removed page.","updated_at":"2025-06-01","deleted":true}"#,
            "\n",
        )
        .as_bytes(),
    );
    let run = write(
        dir.path(),
        "r.trec",
        b"q1 Q0 old 1 2.0 t\nq1 Q0 new 2 1.0 t\nq1 Q0 ghost 3 0.5 t\n",
    );
    let out = dir.path().join("out");
    let o = ragdiag(&[
        "freshness",
        "--corpus",
        &corpus,
        "--run",
        &run,
        "--as-of",
        "2026-10-01",
        "--k",
        "3",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    // The skipped record is printed, not only written to the report.
    assert!(
        o.stderr.contains(":4: deleted: expected true or false"),
        "{}",
        o.stderr
    );
    assert!(
        o.stderr.contains(
            "4 documents audited as of 2026-10-01: 2 stale (50.0%), 1 of unknown freshness"
        ),
        "{}",
        o.stderr
    );
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(s["schema_version"], 2);
    let findings: Vec<&str> = s["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert!(
        findings
            .iter()
            .any(|f| f.contains("c.jsonl:3: updated_at: unparseable date")),
        "{findings:?}"
    );
    assert!(
        findings
            .iter()
            .any(|f| f.contains("c.jsonl:4: deleted: expected true or false")),
        "{findings:?}"
    );
    let r = &s["retrieval"];
    assert_eq!(r["superseded_ranked_above_current"], 1);
    assert_eq!(r["ghost_citations"], 1);
    assert_eq!(r["top_hit_stale_share"]["value"], 1.0);
    assert_eq!(r["top_hit_stale_share"]["n"], 1);
    assert!((r["stale_hit_rate_at_k"]["value"].as_f64().unwrap() - 1.0 / 3.0).abs() < 1e-12);
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("| old | superseded | new |"), "{md}");
    assert!(
        md.contains("- weird"),
        "undated section lists the bad-date page: {md}"
    );
    let trace = write(dir.path(), "t.jsonl", br#"{"query_id":"q1","retrieved":[{"doc":"new","text":"Plans cost $12."},{"doc":"new"},{"doc":"gone"}],"answer":"$12"}
{"query_id":"q2","retrieved":[{"doc":"old"}]}
"#);
    let out2 = dir.path().join("out2");
    let o = ragdiag(&[
        "freshness",
        "--quiet",
        "--corpus",
        &corpus,
        "--trace",
        &trace,
        "--as-of",
        "2026-10-01",
        "--k",
        "2",
        "--out",
        out2.to_str().unwrap(),
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let s2: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out2.join("summary.json")).unwrap()).unwrap();
    let r2 = &s2["retrieval"];
    assert_eq!(r2["questions"], 2);
    assert_eq!(
        r2["ghost_citations"], 1,
        "the deleted page at rank 2 (chunks of one page count once)"
    );
    assert_eq!(r2["top_hit_stale_share"]["value"], 0.5);
    let bad = ragdiag(&[
        "freshness",
        "--corpus",
        &corpus,
        "--trace",
        &trace,
        "--run",
        &run,
        "--out",
        out2.to_str().unwrap(),
    ]);
    assert_eq!(bad.code, 2);
    let parquet = std::fs::read(out.join("documents.parquet")).unwrap();
    assert!(parquet.starts_with(b"PAR1") && parquet.ends_with(b"PAR1"));
}

#[test]
fn demo_corpus_audit_matches_its_truth_counts() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o");
    let o = ragdiag(&[
        "freshness",
        "--quiet",
        "--corpus",
        root.join("corpora/tallyfox").to_str().unwrap(),
        "--queries",
        root.join("queries/tallyfox.jsonl").to_str().unwrap(),
        "--as-of",
        "2026-10-01",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(s["corpus"]["stale"], 16);
    assert_eq!(s["corpus"]["unknown_undated"], 5);
    assert_eq!(s["corpus"]["conflicts"].as_array().unwrap().len(), 4);
    let dated_before: Vec<&str> = s["labels"]["labels_dated_before_gold_update"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["query"].as_str().unwrap())
        .collect();
    for q in ["q025", "q048", "q056", "q077", "q104", "q123"] {
        assert!(
            dated_before.contains(&q),
            "{q} missing from {dated_before:?}"
        );
    }
}

#[test]
fn replay_against_an_index_finds_the_superseded_page_above_the_current_one() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = write(
        dir.path(),
        "c.jsonl",
        concat!(
            r#"{"id":"old","text":"The Team plan costs $10 per month per seat.","updated_at":"2025-01-01"}"#,
            "\n",
            r#"{"id":"new","text":"Pricing changed in 2026: see the plans page.","updated_at":"2026-01-01","supersedes":"old"}"#,
            "\n",
            r#"{"id":"other","text":"Exports run nightly.","updated_at":"2026-02-01"}"#,
            "\n",
        )
        .as_bytes(),
    );
    let queries = write(
        dir.path(),
        "q.jsonl",
        br#"{"id":"q1","text":"team plan cost per month","relevant":[{"doc":"new","grade":1}]}
"#,
    );
    let idx = dir.path().join("idx");
    let o = ragdiag(&[
        "index",
        "--quiet",
        "--corpus",
        &corpus,
        "--out",
        idx.to_str().unwrap(),
        "--model",
        "none",
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let out = dir.path().join("out");
    let o = ragdiag(&[
        "freshness",
        "--quiet",
        "--corpus",
        &corpus,
        "--queries",
        &queries,
        "--index",
        idx.to_str().unwrap(),
        "--retriever",
        "bm25",
        "--as-of",
        "2026-10-01",
        "--k",
        "2",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let r = &s["retrieval"];
    assert_eq!(r["questions"], 1);
    assert_eq!(r["top_hit_stale_share"]["value"], 1.0, "{r}");
    assert_eq!(r["superseded_ranked_above_current"], 1, "{r}");
    // --index needs --queries.
    let o = ragdiag(&[
        "freshness",
        "--corpus",
        &corpus,
        "--index",
        idx.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.code, 2);
}

/// Ids, tags and sentences from the corpus are escaped in `report.md`: table cells and list
/// items with Markdown's escapes, tags in code spans (ids were only `|`-escaped and tags not at
/// all).
#[test]
fn report_md_escapes_what_the_corpus_names() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = write(
        dir.path(),
        "c.jsonl",
        concat!(
            r#"{"id":"<b>old*","text":"Plans cost $10.","updated_at":"2025-01-01","tags":["a_b`c"]}"#,
            "\n",
            r#"{"id":"new|1","text":"Plans cost $12.","updated_at":"2026-01-01","supersedes":"<b>old*","tags":["a_b`c"]}"#,
            "\n",
        )
        .as_bytes(),
    );
    let out = dir.path().join("out");
    let o = ragdiag(&[
        "freshness",
        "--quiet",
        "--corpus",
        &corpus,
        "--as-of",
        "2026-10-01",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        md.contains("| &lt;b&gt;old\\* | superseded | new\\|1 |"),
        "{md}"
    );
    assert!(md.contains("| tag ``a_b`c`` | 2 | 1 | 50.0% |"), "{md}");
    assert!(md.contains("- &lt;b&gt;old\\* → new\\|1"), "{md}");
    assert!(!md.contains("<b>"), "{md}");
}

#[test]
fn long_lists_in_report_md_are_cut_and_point_to_the_tables() {
    // 120 undated documents with distinct texts and 60 dated ones superseded by their
    // successors: report.md lists the first 50 of each and says where the rest are.
    let dir = tempfile::tempdir().unwrap();
    let mut lines = String::new();
    for i in 0..120 {
        lines.push_str(&format!(
            "{{\"id\":\"u{i:03}\",\"text\":\"Undated page {i} about topic {}.\"}}\n",
            i * 7919
        ));
    }
    for i in 0..60 {
        lines.push_str(&format!(
            "{{\"id\":\"old{i:02}\",\"text\":\"Old {i}.\",\"updated_at\":\"2025-01-01\"}}\n\
             {{\"id\":\"new{i:02}\",\"text\":\"New {i}.\",\"updated_at\":\"2026-01-01\",\"supersedes\":\"old{i:02}\"}}\n"
        ));
    }
    let corpus = write(dir.path(), "c.jsonl", lines.as_bytes());
    let out = dir.path().join("out");
    let o = ragdiag(&[
        "freshness",
        "--corpus",
        &corpus,
        "--as-of",
        "2026-10-01",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    let undated = md
        .split("## Undated")
        .nth(1)
        .unwrap()
        .split("\n## ")
        .next()
        .unwrap();
    assert_eq!(undated.lines().filter(|l| l.starts_with("- u")).count(), 50);
    assert!(
        undated.contains("- u049") && !undated.contains("- u050"),
        "{undated}"
    );
    assert!(
        undated.contains(
            "… and 70 more (the first 50 are listed; all 120 are in `documents.parquet`)."
        ),
        "{undated}"
    );
    let stale = md
        .split("## Stale documents")
        .nth(1)
        .unwrap()
        .split("\n## ")
        .next()
        .unwrap();
    assert_eq!(stale.lines().filter(|l| l.starts_with("| old")).count(), 50);
    assert!(stale.contains("… and 10 more"), "{stale}");
    // The table holds every row.
    let columns = ragdiag_load::read_table(
        &out.join("documents.parquet"),
        &ragdiag_contract::table::DOCUMENTS,
    )
    .unwrap();
    assert_eq!(columns[0].values.len(), 240);
}

#[test]
fn updates_of_a_changing_figure_are_reported_apart_from_conflicts() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = write(
        dir.path(),
        "c.jsonl",
        concat!(
            r#"{"id":"day1","text":"The death toll from the floods has risen to 41 in the region.","updated_at":"2026-03-01","source":"news"}"#,
            "\n",
            r#"{"id":"day4","text":"The death toll from the floods has risen to 63 in the region.","updated_at":"2026-03-04","source":"news"}"#,
            "\n",
            r#"{"id":"faq","text":"Refunds are accepted within 30 days of purchase.","updated_at":"2026-03-01","source":"kb"}"#,
            "\n",
            r#"{"id":"policy","text":"Refunds are accepted within 14 days of purchase.","updated_at":"2026-04-01","source":"kb"}"#,
            "\n",
        )
        .as_bytes(),
    );
    let out = dir.path().join("out");
    let o = ragdiag(&[
        "freshness",
        "--quiet",
        "--corpus",
        &corpus,
        "--as-of",
        "2026-10-01",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let c = &s["corpus"];
    assert_eq!(c["conflicts"].as_array().unwrap().len(), 1, "{c}");
    assert_eq!(c["conflicts"][0]["doc_a"], "faq");
    assert_eq!(c["updates"].as_array().unwrap().len(), 1, "{c}");
    assert_eq!(c["updates"][0]["older"], "day1");
    assert_eq!(c["updates"][0]["newer"], "day4");
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("## Updates of a changing figure"), "{md}");
    assert!(md.contains("- **day1** (older) → **day4** (newer)"), "{md}");
}
