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
    assert!(
        md.contains("1 updates of a changing figure between documents of different dates"),
        "{md}"
    );
}

/// Issue 14: failed extractions holding only boilerplate are hygiene findings, not superseded;
/// an edited page of a newer docs version supersedes the old one below the near-duplicate cut;
/// `summary.json` and `documents.parquet` say which is the current version and what changed.
#[test]
fn hygiene_and_versioned_pages_in_the_outputs() {
    use ragdiag_contract::table::{Values, DOCUMENTS};
    let dir = tempfile::tempdir().unwrap();
    let ad = "Advertisement. Thank you for your feedback. Was this ad relevant to you? Tell us why you do not want to see this ad. Close.";
    let words = |seed: usize, n: usize| -> String {
        (0..n)
            .map(|k| format!("w{}", (seed * 7919 + k * 104_729) % 5003))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut lines = Vec::new();
    for k in 0..4 {
        lines.push(serde_json::json!({"id": format!("failed-{k}"), "text": ad, "updated_at": format!("2026-0{}-01", k + 1)}));
    }
    for k in 0..4 {
        lines.push(serde_json::json!({"id": format!("story-{k}"), "text": format!("{} {ad}", words(k + 10, 80)), "updated_at": "2026-05-01"}));
    }
    let old = format!(
        "{}. The default timeout is 5 seconds. {}.",
        words(1, 60),
        words(2, 60)
    );
    // One word in eight changed: Jaccard about 0.45, well under 0.8.
    let new_text = {
        let mut w: Vec<String> = old.split(' ').map(String::from).collect();
        for k in (0..w.len()).step_by(8) {
            if !w[k].starts_with('w') {
                continue;
            }
            w[k] = format!("z{k}");
        }
        w.join(" ").replace("5 seconds", "10 seconds")
    };
    lines.push(serde_json::json!({"id": "1.0/setup", "title": "Setup", "version": "1.0", "text": old, "updated_at": "2025-01-01"}));
    lines.push(serde_json::json!({"id": "2.0/setup", "title": "Setup", "version": "2.0", "text": new_text, "updated_at": "2026-01-01"}));
    lines.push(serde_json::json!({"id": "2.0/other", "title": "Other", "version": "2.0", "text": words(3, 120), "updated_at": "2026-01-01"}));
    let body: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let corpus = write(dir.path(), "c.jsonl", body.as_bytes());
    let out = dir.path().join("out");
    let o = ragdiag(&[
        "freshness",
        "--corpus",
        &corpus,
        "--as-of",
        "2026-10-01",
        "--boilerplate-min-docs",
        "3",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        o.stderr.contains("Hygiene (not staleness): 4 empty or near-empty documents, 4 documents in 1 groups of exact duplicates, 1 boilerplate passages."),
        "{}",
        o.stderr
    );
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let c = &s["corpus"];
    assert_eq!(c["stale"], 1, "only the old setup page is stale: {c}");
    assert_eq!(
        c["superseded"],
        serde_json::json!([{"doc": "1.0/setup", "superseded_by": "2.0/setup", "current": "2.0/setup", "how": "same_page"}])
    );
    let h = &c["hygiene"];
    assert_eq!(h["boilerplate_cut"], 3);
    let kinds: Vec<&str> = h["near_empty"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["boilerplate only"; 4]);
    assert_eq!(
        h["duplicate_groups"],
        serde_json::json!([["failed-0", "failed-1", "failed-2", "failed-3"]])
    );
    assert_eq!(h["boilerplate"][0]["documents"], 8);
    let ch = &c["changed_statements"][0];
    assert_eq!(ch["old_statement"], "The default timeout is 5 seconds.");
    assert_eq!(ch["new_statement"], "The default timeout is 10 seconds.");
    assert_eq!(ch["kinds"], serde_json::json!(["default", "number"]));

    let cols = ragdiag_load::read_table(&out.join("documents.parquet"), &DOCUMENTS).unwrap();
    let utf8 = |name: &str| -> Vec<Option<String>> {
        match &cols.iter().find(|c| c.name == name).unwrap().values {
            Values::Utf8(v) => v.clone(),
            v => panic!("{name}: {v:?}"),
        }
    };
    let hygiene = utf8("hygiene");
    assert_eq!(hygiene[0].as_deref(), Some("boilerplate only"));
    assert_eq!(hygiene[4], None);
    assert_eq!(utf8("duplicate_of")[1].as_deref(), Some("failed-0"));
    assert_eq!(utf8("current")[8].as_deref(), Some("2.0/setup"));
    assert_eq!(utf8("inferred_from")[8].as_deref(), Some("same_page"));
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("## Hygiene (not staleness)"), "{md}");
    assert!(
        md.contains(
            "| 1.0/setup | superseded (inferred: same page in a newer version) | 2.0/setup |"
        ),
        "{md}"
    );
}

/// Issue 15: a JSONL corpus over `RAGDIAG_FRESHNESS_IN_MEMORY_BYTES` is loaded without its
/// texts and audited a batch at a time (texts read again by byte offset): every output is
/// byte-identical to the audit in memory. The demo corpus, written as JSONL with a BOM, CRLF
/// lines, a blank line, a malformed record and a duplicate id, with a run and questions.
#[test]
fn a_corpus_audited_in_batches_gives_the_same_outputs() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let docs = ragdiag_load::load_corpus(
        &root.join("corpora/tallyfox"),
        &ragdiag_load::LoadOptions::default(),
    )
    .unwrap()
    .items;
    assert!(docs.len() > 50);
    let mut body = String::from("\u{feff}");
    for (k, d) in docs.iter().enumerate() {
        let line = serde_json::json!({
            "id": d.id, "title": d.title, "text": d.text, "url": d.url, "source": d.source,
            "updated_at": d.updated_at.map(|t| t.to_string()), "version": d.version,
            "supersedes": d.supersedes, "valid_until": d.valid_until.map(|t| t.to_string()),
            "deleted": d.deleted, "tags": d.tags,
        });
        body.push_str(&line.to_string());
        body.push_str(if k % 2 == 0 { "\r\n" } else { "\n" });
        if k == 3 {
            body.push_str("\n{\"id\":\"typed\",\"text\":\"Wrong type.\",\"deleted\":\"yes\"}\n");
            body.push_str(&serde_json::json!({"id": d.id, "text": "a duplicate id"}).to_string());
            body.push('\n');
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let corpus = write(dir.path(), "c.jsonl", body.as_bytes());
    let run = write(
        dir.path(),
        "r.trec",
        format!(
            "q001 Q0 {} 1 2.0 t\nq001 Q0 {} 2 1.0 t\nq001 Q0 ghost 3 0.5 t\n",
            docs[0].id, docs[1].id
        )
        .as_bytes(),
    );
    let out = dir.path().join("out");
    let audit = |in_memory_bytes: &str| {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_ragdiag"))
            .args([
                "freshness",
                "--corpus",
                &corpus,
                "--queries",
                root.join("queries/tallyfox.jsonl").to_str().unwrap(),
                "--run",
                &run,
                "--as-of",
                "2026-10-01",
                "--out",
                out.to_str().unwrap(),
            ])
            .env("NO_COLOR", "1")
            .env("RAGDIAG_FRESHNESS_IN_MEMORY_BYTES", in_memory_bytes)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
        assert_eq!(o.status.code(), Some(0), "{stderr}");
        let files: Vec<Vec<u8>> = [
            "summary.json",
            "report.md",
            "documents.parquet",
            "warnings.jsonl",
        ]
        .iter()
        .map(|f| std::fs::read(out.join(f)).unwrap())
        .collect();
        std::fs::remove_dir_all(&out).unwrap();
        (stderr, files)
    };
    let (held_err, held) = audit("100000000000");
    let (batched_err, batched) = audit("0");
    assert!(held_err.contains("duplicate document id"), "{held_err}");
    assert!(
        held_err.contains("deleted: expected true or false"),
        "{held_err}"
    );
    let md = String::from_utf8_lossy(&held[1]).into_owned();
    assert!(md.contains("onflict"), "{md}");
    assert_eq!(held_err, batched_err);
    for (k, (a, b)) in held.iter().zip(&batched).enumerate() {
        assert!(a == b, "output {k} differs");
    }
    // A bad setting is a usage error, not ignored.
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_ragdiag"))
        .args([
            "freshness",
            "--corpus",
            &corpus,
            "--out",
            out.to_str().unwrap(),
        ])
        .env("RAGDIAG_FRESHNESS_IN_MEMORY_BYTES", "lots")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}
