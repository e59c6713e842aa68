//! `ragdiag pool` and `ragdiag labels import`: pooling, the labelling page and CSV, merging
//! labels into questions and qrels.

use crate::{ragdiag, write};

const CORPUS: &str = r#"{"id": "pricing", "title": "Plans", "text": "Welcome. Growth costs $39 per month. Starter costs $15 per month."}
{"id": "old-pricing", "text": "Growth was $32 per month in 2025."}
{"id": "refunds", "text": "Refunds take five days."}
{"id": "api", "text": "The API allows 100 requests per minute."}
"#;

const QUERIES: &str = r#"{"id": "q1", "text": "growth price per month", "relevant": [{"doc": "pricing", "grade": 3}]}

{"id": "q2", "text": "how long do refunds take", "tags": ["billing"]}
"#;

/// Run a: q1 → pricing, old-pricing, api; q2 → api, refunds. Run b: q1 → old-pricing, refunds.
const RUN_A: &str = "q1 Q0 pricing 1 3.0 a\nq1 Q0 old-pricing 2 2.0 a\nq1 Q0 api 3 1.0 a\nq2 Q0 api 1 2.0 a\nq2 Q0 refunds 2 1.0 a\n";
const RUN_B: &str = "q1 Q0 old-pricing 1 5.0 b\nq1 Q0 refunds 2 4.0 b\n";

fn fixture() -> (tempfile::TempDir, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let corpus = write(dir.path(), "corpus.jsonl", CORPUS.as_bytes());
    let queries = write(dir.path(), "queries.jsonl", QUERIES.as_bytes());
    write(dir.path(), "a.trec", RUN_A.as_bytes());
    write(dir.path(), "b.trec", RUN_B.as_bytes());
    (dir, corpus, queries)
}

#[test]
fn pool_writes_the_unjudged_pairs_by_priority_with_judged_at_k() {
    let (dir, corpus, queries) = fixture();
    let d = dir.path();
    let out = d.join("pool");
    let (a, b) = (d.join("a.trec"), d.join("b.trec"));
    let o = ragdiag(&[
        "pool",
        "--corpus",
        &corpus,
        "--queries",
        &queries,
        "--run",
        a.to_str().unwrap(),
        "--run",
        b.to_str().unwrap(),
        "--depth",
        "2",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    // Depth 2: a gives q1 old-pricing@2 (pricing is judged), q2 api@1 and refunds@2; b gives
    // q1 old-pricing@1 and refunds@2. old-pricing: 1/log2(3) + 1 = 1.631; q2 api: 1;
    // q2 refunds and q1 refunds: 1/log2(3) = 0.631 each (ties by question id).
    let csv = std::fs::read_to_string(out.join("pool.csv")).unwrap();
    let rows: Vec<Vec<&str>> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').take(5).collect())
        .collect();
    assert_eq!(
        rows,
        [
            vec!["q1", "old-pricing", "1.6309", "1", "a.trec@2 b.trec@1"],
            vec!["q2", "api", "1.0000", "1", "a.trec@1"],
            vec!["q1", "refunds", "0.6309", "2", "b.trec@2"],
            vec!["q2", "refunds", "0.6309", "2", "a.trec@2"],
        ]
    );
    assert!(
        o.stdout.starts_with("pooled 4 (question, document) pairs"),
        "{}",
        o.stdout
    );
    // judged@2: a judges 1 of 2 for q1 and 0 of 2 for q2: 25%; b judges none.
    assert!(
        o.stdout.contains(&format!("  {:<24} 25.0% (", "a.trec")),
        "{}",
        o.stdout
    );
    assert!(
        o.stdout.contains(&format!("  {:<24} 0.0% (", "b.trec")),
        "{}",
        o.stdout
    );
    let page = std::fs::read_to_string(out.join("label.html")).unwrap();
    assert!(page.contains("\"doc\":\"old-pricing\""));
    // The document hash travels with each pair: sha256 of the text as labelled.
    assert!(page.contains("\"doc_hash\":\"sha256:"));
    // --limit keeps the first pairs.
    let o = ragdiag(&[
        "pool",
        "--corpus",
        &corpus,
        "--queries",
        &queries,
        "--run",
        a.to_str().unwrap(),
        "--depth",
        "2",
        "--limit",
        "1",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        o.stdout.contains("(3 in all; --limit kept the first 1)"),
        "{}",
        o.stdout
    );
    assert_eq!(
        std::fs::read_to_string(out.join("pool.csv"))
            .unwrap()
            .lines()
            .count(),
        2
    );
}

#[test]
fn pool_needs_something_to_pool() {
    let (dir, corpus, queries) = fixture();
    let out = dir.path().join("pool");
    let o = ragdiag(&[
        "pool",
        "--corpus",
        &corpus,
        "--queries",
        &queries,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("give at least one --run or --trace"),
        "{}",
        o.stderr
    );
}

const ANN: &str = r#"{"query_id":"q1","doc":"old-pricing","grade":1,"labeller":"ann","labelled_at":"2026-01-02T00:00:00Z","doc_hash":"sha256:aa","note":"older page"}
{"query_id":"q2","doc":"refunds","grade":3,"labeller":"ann","labelled_at":"2026-01-02T00:00:00Z","doc_hash":"sha256:bb"}
{"query_id":"q1","doc":"pricing","grade":2,"labeller":"ann","labelled_at":"2026-01-02T00:00:00Z"}
"#;
const BOB: &str = "query_id,doc,grade,labeller,labelled_at,doc_hash,note\r\nq1,old-pricing,0,bob,2026-01-03T00:00:00Z,sha256:aa,\r\nq2,refunds,3,bob,2026-01-03T00:00:00Z,sha256:bb,\r\nq9,api,1,bob,,,\r\n";

#[test]
fn import_merges_into_questions_resolves_conflicts_and_reports_kappa() {
    let (dir, _, queries) = fixture();
    let d = dir.path();
    let ann = write(d, "ann.jsonl", ANN.as_bytes());
    let bob = write(d, "bob.csv", BOB.as_bytes());
    let out = d.join("merged.jsonl");
    let o = ragdiag(&[
        "labels",
        "import",
        &ann,
        &bob,
        "--queries",
        &queries,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        o.stdout.starts_with(
            "imported 6 label(s) by 2 labeller(s) (ann, bob) for 4 pair(s): 2 new judgment(s), 1 replaced\n"
        ),
        "{}",
        o.stdout
    );
    // Both labelled (q1, old-pricing) and (q2, refunds): ann (1, 3), bob (0, 3):
    // p_o = 1/2, p_e = 1/2·0 + 0 + 1/2·1/2 = 1/4, κ = (1/2 − 1/4) / (3/4) = 1/3.
    assert!(
        o.stdout.contains(
            "agreement: Cohen's kappa 0.333 over the 2 pair(s) every labeller graded (1 unanimous)"
        ),
        "{}",
        o.stdout
    );
    // ann 1, bob 0: a tie goes to the lower grade.
    assert!(
        o.stdout.contains("  q1 old-pricing: ann 1, bob 0 → 0"),
        "{}",
        o.stdout
    );
    assert!(
        o.stderr
            .contains("labels of 1 question(s) not in the input were not merged (first: q9)"),
        "{}",
        o.stderr
    );
    let text = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3);
    // The blank line is kept as written.
    assert_eq!(lines[1], "");
    let q1: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    let rel = q1["relevant"].as_array().unwrap();
    // ann's grade 2 of pricing replaces the old grade 3; old-pricing is new.
    assert_eq!(rel.len(), 2);
    assert_eq!(rel[0]["doc"], "old-pricing");
    assert_eq!(rel[0]["grade"], 0);
    assert_eq!(rel[0]["labellers"], serde_json::json!({"ann": 1, "bob": 0}));
    assert_eq!(rel[0]["labelled_at"], "2026-01-03T00:00:00Z");
    assert_eq!(rel[0]["doc_hash"], "sha256:aa");
    assert_eq!(rel[0]["notes"], serde_json::json!(["ann: older page"]));
    assert_eq!(rel[1]["doc"], "pricing");
    assert_eq!(rel[1]["grade"], 2);
    let q2: serde_json::Value = serde_json::from_str(lines[2]).unwrap();
    assert_eq!(q2["tags"], serde_json::json!(["billing"]));
    assert_eq!(q2["relevant"][0]["grade"], 3);
    // The merged file loads as questions.
    let o = ragdiag(&["lint", "--queries", out.to_str().unwrap()]);
    assert_eq!(o.code, 0, "{}\n{}", o.stdout, o.stderr);
}

#[test]
fn import_into_qrels_keeps_provenance_beside_it() {
    let (dir, _, _) = fixture();
    let d = dir.path();
    let qrels = write(d, "qrels.txt", b"q1 0 pricing 3\n");
    let ann = write(d, "ann.jsonl", ANN.as_bytes());
    let out = d.join("new.qrels");
    let o = ragdiag(&[
        "labels",
        "import",
        &ann,
        "--qrels",
        &qrels,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "q1 0 pricing 2\nq1 0 old-pricing 1\nq2 0 refunds 3\n"
    );
    let side = std::fs::read_to_string(d.join("new.qrels.labels.jsonl")).unwrap();
    assert_eq!(side.lines().count(), 3);
    assert!(side.contains("\"labellers\":{\"ann\":1}"), "{side}");
}

#[test]
fn import_stops_at_a_malformed_label_with_its_place() {
    let (dir, _, queries) = fixture();
    let d = dir.path();
    let bad = write(
        d,
        "bad.jsonl",
        b"{\"query_id\":\"q1\",\"doc\":\"x\",\"grade\":1,\"labeller\":\"ann\"}\n{\"query_id\":\"q1\",\"doc\":\"x y\",\"grade\":1,\"labeller\":\"ann\"}\n",
    );
    let out = d.join("merged.jsonl");
    let o = ragdiag(&[
        "labels",
        "import",
        &bad,
        "--queries",
        &queries,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("bad.jsonl:2: doc: "), "{}", o.stderr);
    assert!(!out.exists());
}

#[test]
fn check_flags_labels_whose_document_changed_with_their_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let old_text = "Growth costs $32 per month. Refunds take five days.";
    let hash = |t: &str| {
        use sha2::{Digest, Sha256};
        format!("sha256:{:x}", Sha256::digest(t.as_bytes()))
    };
    let corpus = write(
        d,
        "now.jsonl",
        br#"{"id": "pricing", "text": "Intro. Growth costs $39 per month. Refunds take five days."}
{"id": "faq", "text": "Same as before.", "deleted": true}
{"id": "api-v2", "text": "Limits.", "supersedes": "api-v1"}
{"id": "api-v1", "text": "Old limits."}
"#,
    );
    let q = serde_json::json!({
        "id": "q1", "text": "growth price",
        "relevant": [
            {"doc": "pricing", "grade": 2, "doc_hash": hash(old_text)},
            {"doc": "faq", "grade": 1, "doc_hash": hash("Same as before.")},
            {"doc": "api-v1", "grade": 1, "doc_hash": hash("Old limits.")},
            {"doc": "api-v2", "grade": 1, "doc_hash": hash("Limits.")},
            {"doc": "gone", "grade": 1, "doc_hash": "sha256:00"},
            {"doc": "pricing", "grade": 1}
        ],
        "evidence": [
            {"doc": "pricing", "quote": "Growth costs $32 per month.", "doc_hash": hash(old_text)},
            {"doc": "pricing", "quote": "Refunds take five days.", "start": 28, "end": 51, "doc_hash": hash(old_text)}
        ]
    });
    let queries = write(d, "q.jsonl", format!("{q}\n").as_bytes());
    let o = ragdiag(&[
        "labels",
        "check",
        "--corpus",
        &corpus,
        "--queries",
        &queries,
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(
        o.stdout,
        "8 label(s): 7 tied to a document version, 1 not; 6 need re-review
  q1 pricing judgment: document changed
  q1 faq judgment: document deleted
  q1 api-v1 judgment: document superseded by api-v2
  q1 gone judgment: document missing
  q1 pricing evidence: document changed, evidence gone
  q1 pricing evidence: document changed, evidence moved to 35..58
"
    );
    let o = ragdiag(&[
        "labels",
        "check",
        "--corpus",
        &corpus,
        "--queries",
        &queries,
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(v["needs_review"], 6);
    assert_eq!(v["checked"][3]["document"], "current");
    assert_eq!(v["checked"][5]["document"], "untied");
    assert_eq!(v["checked"][7]["moved_to"], serde_json::json!([35, 58]));
}

#[test]
fn leakage_reports_copied_questions_and_the_metrics_without_them() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let corpus = write(
        d,
        "c.jsonl",
        br#"{"id": "faq", "text": "How do I export my invoices to CSV? Open Reports and press Export."}
{"id": "guide", "text": "Refunds are paid back to the original card within five business days."}
"#,
    );
    let queries = write(
        d,
        "q.jsonl",
        br#"{"id": "q1", "text": "how do i export my invoices to csv", "relevant": [{"doc": "faq", "grade": 1}]}
{"id": "q2", "text": "when do refunds arrive", "relevant": [{"doc": "guide", "grade": 1}], "reference_answer": ["paid back to the original card within five business days"]}
{"id": "q3", "text": "where is the refund policy", "relevant": [{"doc": "guide", "grade": 1}]}
"#,
    );
    let run = write(
        d,
        "r.trec",
        b"q1 Q0 faq 1 2 r\nq2 Q0 faq 1 2 r\nq2 Q0 guide 2 1 r\nq3 Q0 faq 1 1 r\n",
    );
    let o = ragdiag(&[
        "labels",
        "leakage",
        "--corpus",
        &corpus,
        "--queries",
        &queries,
        "--run",
        &run,
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stdout.starts_with("leakage (word 3-gram containment in one document >= 0.60, texts of 5+ words): 1 of 3 questions leaked; 1 reference answer(s) found in their own gold page (extractive, not counted)\n"), "{}", o.stdout);
    assert!(
        o.stdout
            .contains("  q1 question in faq: 100% of its 3-grams\n"),
        "{}",
        o.stdout
    );
    assert!(
        o.stdout.contains(
            "  q2 reference answer in guide: 100% of its 3-grams (a gold page: extractive)\n"
        ),
        "{}",
        o.stdout
    );
    // recall@10: q1 1, q2 1, q3 0 → 0.667 with q1; 0.5 without it.
    assert!(
        o.stdout.contains("  all questions        recall@10 0.667"),
        "{}",
        o.stdout
    );
    assert!(
        o.stdout.contains("  without the leaked   recall@10 0.500"),
        "{}",
        o.stdout
    );
    let o = ragdiag(&[
        "labels",
        "leakage",
        "--corpus",
        &corpus,
        "--queries",
        &queries,
        "--threshold",
        "0",
    ]);
    assert_eq!(o.code, 2);
}

fn sha(t: &str) -> String {
    use sha2::{Digest, Sha256};
    format!("sha256:{:x}", Sha256::digest(t.as_bytes()))
}

/// A question labelled on an old text of its page (the page has changed since), one labelled
/// on the current text, diagnosed by BM25 with each `--stale-labels` rule.
fn stale_fixture() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "c.jsonl",
        br#"{"id":"pricing","text":"Growth costs $39 per month. Starter costs $15 per month.","updated_at":"2026-01-01"}
{"id":"shipping","text":"Orders ship within two business days.","updated_at":"2026-01-01"}
{"id":"refunds","text":"Refunds are paid back within 14 days.","updated_at":"2026-01-01"}
"#,
    );
    let old = "Growth costs $32 per month. Starter costs $15 per month.";
    let q1 = serde_json::json!({"id": "q1", "text": "how much does growth cost per month",
        "relevant": [{"doc": "pricing", "grade": 2, "doc_hash": sha(old)}],
        "evidence": [{"doc": "pricing", "quote": "Growth costs $32 per month.", "doc_hash": sha(old)}]});
    let q2 = serde_json::json!({"id": "q2", "text": "when do orders ship",
        "relevant": [{"doc": "shipping", "grade": 1, "doc_hash": sha("Orders ship within two business days.")}]});
    write(d, "q.jsonl", format!("{q1}\n{q2}\n").as_bytes());
    write(
        d,
        "ragdiag.toml",
        b"corpus = \"c.jsonl\"\nqueries = \"q.jsonl\"\nretriever = \"bm25\"\nas_of = \"2026-10-01\"\ncontext_k = 1\npool_k = 3\n",
    );
    let config = d.join("ragdiag.toml").to_str().unwrap().to_owned();
    (dir, config)
}

fn diagnose_stale(
    dir: &std::path::Path,
    config: &str,
    rule: Option<&str>,
) -> (String, serde_json::Value) {
    let out = dir.join(format!("report-{}", rule.unwrap_or("default")));
    let mut args = vec![
        "diagnose",
        "--config",
        config,
        "--out",
        out.to_str().unwrap(),
    ];
    if let Some(r) = rule {
        args.extend(["--stale-labels", r]);
    }
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_ragdiag"))
        .args(&args)
        .env("RAGDIAG_HOME", dir.join("home"))
        .env("RAGDIAG_OFFLINE", "1")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    let s = std::fs::read_to_string(out.join("summary.json")).unwrap();
    (stderr, serde_json::from_str(&s).unwrap())
}

#[test]
fn stale_labels_are_flagged_by_default_excluded_or_included_on_request() {
    let (dir, config) = stale_fixture();
    let d = dir.path();
    // flag (the default): scored as they are, and listed.
    let (err, flagged) = diagnose_stale(d, &config, None);
    assert!(
        err.contains("2 label(s) need re-review (their document changed since they were labelled), scored as they are (--stale-labels flag; first: q1 pricing, q1 pricing)"),
        "{err}"
    );
    assert_eq!(flagged["metrics"]["mrr"]["n"], 2);
    // exclude: q1's judgment and evidence leave the metrics; q1 is left unjudged.
    let (err, excluded) = diagnose_stale(d, &config, Some("exclude"));
    assert!(
        err.contains("2 label(s) need re-review (their document changed since they were labelled): 1 judgment(s) and 1 evidence entr(ies) excluded from the metrics (--stale-labels exclude)"),
        "{err}"
    );
    assert_eq!(excluded["metrics"]["mrr"]["n"], 1);
    assert_eq!(
        excluded["questions"]["total"],
        flagged["questions"]["total"]
    );
    // include: scored as they are, no warning.
    let (err, included) = diagnose_stale(d, &config, Some("include"));
    assert!(!err.contains("warning"), "{err}");
    assert_eq!(included["metrics"], flagged["metrics"]);
    // The file's setting applies without the flag.
    let mut toml = std::fs::read_to_string(&config).unwrap();
    toml.push_str("stale_labels = \"exclude\"\n");
    std::fs::write(&config, toml).unwrap();
    let (_, from_file) = diagnose_stale(d, &config, None);
    assert_eq!(from_file["metrics"]["mrr"]["n"], 1);
}

#[test]
fn diagnose_reports_the_golden_set_panel() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "c.jsonl",
        br#"{"id":"pricing","text":"Growth costs $39 per month. Starter costs $15 per month.","updated_at":"2026-01-01"}
{"id":"pricing-2025","text":"Growth costs $32 per month.","updated_at":"2025-01-01"}
{"id":"pricing-2026","text":"Growth costs $39 per month from 2026.","updated_at":"2026-02-01","supersedes":"pricing-2025"}
{"id":"old-faq","text":"Ask us anything.","updated_at":"2025-01-01","deleted":true}
{"id":"exports","text":"How do I export my invoices to CSV? Open Reports and press Export.","updated_at":"2026-01-01"}
{"id":"linux","text":"A desktop app for Linux is available from the downloads page.","updated_at":"2026-03-01"}
"#,
    );
    let old = "Growth costs $35 per month. Starter costs $15 per month.";
    let lines = [
        serde_json::json!({"id": "q1", "text": "How much does Growth cost?",
            "relevant": [{"doc": "pricing", "grade": 2, "doc_hash": sha(old)}]}),
        serde_json::json!({"id": "q2", "text": "how much does growth cost",
            "relevant": [{"doc": "pricing-2025", "grade": 1}]}),
        serde_json::json!({"id": "q3", "text": "where is the faq", "relevant": [{"doc": "old-faq", "grade": 1}, {"doc": "gone-page", "grade": 1}]}),
        serde_json::json!({"id": "q4", "text": "how do i export my invoices to csv",
            "relevant": [{"doc": "exports", "grade": 1}]}),
        serde_json::json!({"id": "q5", "text": "is there a desktop app for linux", "answerable": false,
            "reference_answer": ["a desktop app for Linux is available"]}),
        serde_json::json!({"id": "q6", "text": "how do i export my invoices to csv files",
            "relevant": [{"doc": "exports", "grade": 1}]}),
    ];
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    write(d, "q.jsonl", text.as_bytes());
    write(
        d,
        "ragdiag.toml",
        b"corpus = \"c.jsonl\"\nqueries = \"q.jsonl\"\nretriever = \"bm25\"\nas_of = \"2026-10-01\"\ncontext_k = 1\npool_k = 3\n",
    );
    let config = d.join("ragdiag.toml").to_str().unwrap().to_owned();
    let (_, s) = diagnose_stale(d, &config, None);
    assert_eq!(
        s["schema_version"],
        ragdiag_contract::DIAGNOSE_SCHEMA_VERSION
    );
    let g = &s["golden_set"];
    assert_eq!(g["stale_rule"], "flag");
    assert_eq!(
        (g["labels"].as_u64(), g["tied"].as_u64()),
        (Some(6), Some(1))
    );
    // Only the tied label on a changed text needs re-review.
    assert_eq!(g["needs_review"].as_array().unwrap().len(), 1);
    assert_eq!(g["needs_review"][0]["query_id"], "q1");
    assert_eq!(g["needs_review"][0]["document"], "changed");
    // Coverage at the context window and at 10 and 20, over the judged questions that
    // retrieved something: 4 of 5 (BM25 finds nothing for q3's words).
    let cov = g["coverage"].as_array().unwrap();
    assert_eq!(
        cov.iter()
            .map(|c| c["k"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        [1, 10, 20]
    );
    assert_eq!(cov[0]["judged"]["n"], 4);
    // q1 and q2 are the same question; q4 and q6 near (6 of 7 shingles shared).
    assert_eq!(
        g["duplicates"],
        serde_json::json!([
            {"kind": "exact", "ids": ["q1", "q2"], "similarity": 1.0},
            {"kind": "near", "ids": ["q4", "q6"], "similarity": 6.0 / 7.0}
        ])
    );
    assert_eq!(
        g["gold_gone"],
        serde_json::json!([
            {"query_id": "q2", "doc": "pricing-2025", "state": "superseded", "by": "pricing-2026"},
            {"query_id": "q3", "doc": "old-faq", "state": "deleted"},
            {"query_id": "q3", "doc": "gone-page", "state": "missing"}
        ])
    );
    assert_eq!(
        g["unanswerable_answered"],
        serde_json::json!([{"query_id": "q5", "doc": "linux", "via": "reference_answer"}])
    );
    // q4 and q6's questions are copied into the exports page, q5's answer into the linux page:
    // leaked; the metrics without them are over fewer judged questions (q5 has none).
    let l = &g["leakage"];
    assert_eq!(l["threshold"], 0.6);
    assert_eq!(l["leaked_questions"], serde_json::json!(["q4", "q5", "q6"]));
    assert_eq!(l["metrics_all"]["ndcg@10"]["n"], 5);
    assert_eq!(l["metrics_without"]["ndcg@10"]["n"], 3);
    assert!(s["headline"]
        .as_array()
        .unwrap()
        .iter()
        .any(|h| h.as_str().unwrap().starts_with("Leakage: 3 question(s)")));
    // Every list counted (summary.json lists the first 100 of each); golden.jsonl has each
    // entry of each, a line each, as the list holds it.
    assert_eq!(
        g["counts"],
        serde_json::json!({
            "needs_review": 1, "duplicates": 2, "gold_gone": 3, "unanswerable_answered": 1,
            "leaks": l["leaks"].as_array().unwrap().len(),
            "extractive_leaks": l["leaks"].as_array().unwrap().iter()
                .filter(|x| x["extractive"] == true).count(),
            "leaked_questions": 3
        })
    );
    let out = d.join("report-default");
    let jsonl = std::fs::read_to_string(out.join("golden.jsonl")).unwrap();
    let lines: Vec<serde_json::Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    for (list, listed) in [
        ("needs_review", &g["needs_review"]),
        ("duplicates", &g["duplicates"]),
        ("gold_gone", &g["gold_gone"]),
        ("unanswerable_answered", &g["unanswerable_answered"]),
        ("leakage.leaks", &l["leaks"]),
    ] {
        let entries: Vec<serde_json::Value> = lines
            .iter()
            .filter(|x| x["list"] == list)
            .map(|x| {
                let mut x = x.clone();
                x.as_object_mut().unwrap().remove("list");
                x
            })
            .collect();
        assert_eq!(serde_json::Value::from(entries), *listed, "{list}");
    }
    let leaked: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|x| x["list"] == "leakage.leaked_questions")
        .map(|x| &x["query_id"])
        .collect();
    assert_eq!(leaked, ["q4", "q5", "q6"]);
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("## Golden set\n\n6 label(s), 1 tied"), "{md}");
    assert!(md.contains("- `q3` `gone-page`: missing\n"), "{md}");
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("<section id=\"golden-set\">"));
    assert!(
        html.contains("data-figure=\"golden_set.leakage.metrics_without.ndcg@10.n\""),
        "{html}"
    );
    // A stricter threshold finds fewer leaks (q6's question is 6 of 7 shingles in the page).
    let (_, strict) = {
        let out = d.join("strict");
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_ragdiag"))
            .args([
                "diagnose",
                "--config",
                &config,
                "--leak-threshold",
                "1",
                "--out",
                out.to_str().unwrap(),
            ])
            .env("RAGDIAG_HOME", d.join("home"))
            .env("RAGDIAG_OFFLINE", "1")
            .output()
            .unwrap();
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        let s: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap())
                .unwrap();
        ((), s)
    };
    assert_eq!(
        strict["golden_set"]["leakage"]["leaked_questions"],
        serde_json::json!(["q4", "q5"])
    );

    // A streamed trace lets go of the labels of the questions the report does not draw once
    // they are written, so the panel's parts that read labels are taken before: with 30 more
    // questions like q5 (one class, more than the page draws), they are the replay's.
    let mut many = text.clone();
    for i in 0..30 {
        let q = serde_json::json!({"id": format!("e{i:02}"),
            "text": format!("is there a desktop app for linux, asked the {i}th time"),
            "answerable": false, "reference_answer": ["a desktop app for Linux is available"]});
        many.push_str(&format!("{q}\n"));
    }
    let many_q = write(d, "many.jsonl", many.as_bytes());
    let trace: String = serde_json::from_str::<Vec<serde_json::Value>>(&format!(
        "[{}]",
        many.lines().collect::<Vec<_>>().join(",")
    ))
    .unwrap()
    .iter()
    .map(|q| {
        let line = serde_json::json!({"query_id": q["id"], "answer": "Yes, there is one.",
            "retrieved": [{"doc": "linux", "score": 2.0}, {"doc": "exports", "score": 1.0}]});
        format!("{line}\n")
    })
    .collect();
    let trace = write(d, "t.jsonl", trace.as_bytes());
    let run_on = |queries: &str, extra: &[&str], out: &str| -> serde_json::Value {
        let out = d.join(out);
        let mut args = vec!["diagnose", "--config", &config, "--queries", queries];
        args.extend(extra);
        args.extend(["--out", out.to_str().unwrap()]);
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_ragdiag"))
            .args(&args)
            .env("RAGDIAG_HOME", d.join("home"))
            .env("RAGDIAG_OFFLINE", "1")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(0), "{err}");
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap()
    };
    let run = |extra: &[&str], out: &str| run_on(&many_q, extra, out);
    let (replayed, traced) = (
        run(&[], "many-replay"),
        run(&["--trace", &trace], "many-trace"),
    );
    assert_eq!(traced["mode"], "trace");
    let (r, t) = (&replayed["golden_set"], &traced["golden_set"]);
    assert_eq!(
        t["unanswerable_answered"].as_array().unwrap().len(),
        31,
        "{t}"
    );
    for block in ["labels", "duplicates", "gold_gone", "unanswerable_answered"] {
        assert_eq!(r[block], t[block], "{block}");
    }
    for block in ["leaks", "leaked_questions"] {
        assert_eq!(r["leakage"][block], t["leakage"][block], "leakage.{block}");
    }
    // The streamed trace's questions go to a temporary file as they are read: a repeated id
    // is dropped there with the warning a file read whole gives, and `--stale-labels exclude`
    // takes the same entries (q1's judgment, its document changed; not the repeat's).
    let repeat = serde_json::json!({"id": "q1", "text": "a repeat of q1, dropped",
        "relevant": [{"doc": "pricing", "grade": 2, "doc_hash": sha(old)}]});
    let repeated = write(d, "repeated.jsonl", format!("{many}{repeat}\n").as_bytes());
    let exclude = ["--stale-labels", "exclude"];
    let (replayed, streamed) = (
        run_on(&repeated, &exclude, "repeat-replay"),
        run_on(
            &repeated,
            &[&exclude[..], &["--trace", &trace]].concat(),
            "repeat-trace",
        ),
    );
    let (r, t) = (&replayed["golden_set"], &streamed["golden_set"]);
    assert_eq!(t["excluded"], 1, "{t}");
    for block in [
        "labels",
        "tied",
        "excluded",
        "needs_review",
        "duplicates",
        "gold_gone",
        "unanswerable_answered",
    ] {
        assert_eq!(r[block], t[block], "{block}");
    }
    assert_eq!(r["leakage"]["leaks"], t["leakage"]["leaks"]);
    assert_eq!(replayed["questions"]["total"], many.lines().count());
    assert_eq!(
        replayed["questions"]["total"],
        streamed["questions"]["total"]
    );
    let repeat_warning = |s: &serde_json::Value| -> Vec<String> {
        s["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|w| w.as_str())
            .filter(|w| w.contains("duplicate query id"))
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(
        repeat_warning(&replayed).len(),
        1,
        "{:?}",
        replayed["warnings"]
    );
    assert_eq!(repeat_warning(&replayed), repeat_warning(&streamed));
    assert_eq!(
        replayed["metrics"]["mrr"]["n"],
        streamed["metrics"]["mrr"]["n"]
    );
    // More questions of one class than the page draws: some were let go.
    let classes = traced["classes"].as_object().unwrap();
    assert!(
        classes
            .values()
            .any(|c| c["count"].as_u64().unwrap() > ragdiag_report::SHOWN_PER_CLASS as u64),
        "{classes:?}"
    );
}

#[test]
fn pool_proposes_the_most_asked_questions_of_unlabelled_traffic() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let corpus = write(d, "c.jsonl", CORPUS.as_bytes());
    let rec = |q: &str| {
        serde_json::json!({"user_input": q, "retrieved_contexts": ["Refunds take five days."], "response": "five days"})
            .to_string()
    };
    let lines = [
        rec("How long do refunds take?"),
        rec("what does growth cost per month"),
        rec("how long do refunds take"),
        rec("what does growth cost per month in euros"),
        rec("How long do refunds take?"),
        rec("=HYPERLINK(\"x\") api limits, per minute"),
    ];
    let trace = write(
        d,
        "production.jsonl",
        format!("{}\n", lines.join("\n")).as_bytes(),
    );
    let out = d.join("cand");
    let o = ragdiag(&[
        "pool",
        "--corpus",
        &corpus,
        "--trace",
        &trace,
        "--trace-format",
        "ragas",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        o.stdout.starts_with("6 question(s) asked, 3 distinct (equal after normalisation, or word 3-shingle Jaccard >= 0.5 merged); the most asked by weight:\n   1. How long do refunds take? (asked 3, weight 3)\n   2. what does growth cost per month (asked 2, weight 2, 2 wordings)\n"),
        "{}",
        o.stdout
    );
    let csv = std::fs::read_to_string(out.join("candidates.csv")).unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows[0], "rank,question,count,weight,variants");
    assert_eq!(
        rows[1],
        "1,How long do refunds take?,3,3,how long do refunds take"
    );
    assert_eq!(
        rows[2],
        "2,what does growth cost per month,2,2,what does growth cost per month | what does growth cost per month in euros"
    );
    // A formula is guarded and quoted.
    assert!(
        rows[3].starts_with("3,\"'=HYPERLINK(\"\"x\"\") api limits, per minute\",1,1,"),
        "{}",
        rows[3]
    );
    // OpenInference spans as their producer wrote them: the root's input is the question (the
    // eight demo questions of the fixture, one trace each).
    let spans = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../ragdiag-load/tests/fixtures/traces/openinference.jsonl");
    let demo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../corpora/tallyfox");
    let o = ragdiag(&[
        "pool",
        "--corpus",
        demo.to_str().unwrap(),
        "--trace",
        spans.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        o.stdout.starts_with("8 question(s) asked, 8 distinct"),
        "{}",
        o.stdout
    );
    let csv = std::fs::read_to_string(out.join("candidates.csv")).unwrap();
    let questions = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../ragdiag-load/tests/fixtures/traces/questions.jsonl"),
    )
    .unwrap();
    for line in questions.lines() {
        let q: serde_json::Value = serde_json::from_str(line).unwrap();
        let text = q["text"].as_str().unwrap();
        assert!(csv.contains(text), "{text} not proposed:\n{csv}");
    }
    // A ragdiag JSONL trace carries no question text: pooling it needs the questions.
    let plain = write(
        d,
        "plain.jsonl",
        b"{\"query_id\": \"q1\", \"retrieved\": [{\"doc\": \"api\"}]}\n",
    );
    let o = ragdiag(&[
        "pool",
        "--corpus",
        &corpus,
        "--trace",
        &plain,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(
        o.stderr
            .contains("does not carry its questions' text; give --queries"),
        "{}",
        o.stderr
    );
}
