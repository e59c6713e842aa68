//! `ragdiag index` and `ragdiag search`: end to end with the hashing embedder (no model needed),
//! run format, agreement with `ragdiag eval`, and bad input.

use crate::{ragdiag, write};
use std::path::Path;

const CORPUS: &str = concat!(
    r#"{"id":"refunds","title":"Refunds","text":"Refunds are paid back to the original card within 14 days."}"#,
    "\n",
    r#"{"id":"shipping","title":"Shipping","text":"Orders ship within two business days from the warehouse."}"#,
    "\n",
    r#"{"id":"api","title":"API","text":"The API returns JSON with pagination cursors and rate limits."}"#,
    "\n",
    r#"{"id":"blank","text":""}"#,
    "\n",
    r#"{"id":"sso","title":"Single sign-on","text":"Single sign-on works with SAML identity providers."}"#,
    "\n",
);

const QUERIES: &str = concat!(
    r#"{"id":"q1","text":"when are refunds paid back","relevant":[{"doc":"refunds","grade":1}]}"#,
    "\n",
    r#"{"id":"q2","text":"api pagination cursors","relevant":[{"doc":"api","grade":2}]}"#,
    "\n",
    r#"{"id":"q3","text":"saml single sign-on","relevant":[{"doc":"sso","grade":1}]}"#,
    "\n",
    r#"{"id":"q4","text":"the of and"}"#,
    "\n",
);

fn home(dir: &Path) -> String {
    dir.join("home").to_string_lossy().into_owned()
}

fn ragdiag_home(home: &str, args: &[&str]) -> crate::Out {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ragdiag"))
        .args(args)
        .env("RAGDIAG_HOME", home)
        .env("RAGDIAG_OFFLINE", "1")
        .output()
        .expect("run ragdiag");
    crate::Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn index_then_search_with_every_retriever() {
    let dir = tempfile::tempdir().unwrap();
    let home = home(dir.path());
    let corpus = write(dir.path(), "c.jsonl", CORPUS.as_bytes());
    let queries = write(dir.path(), "q.jsonl", QUERIES.as_bytes());
    let idx = dir.path().join("idx").to_string_lossy().into_owned();
    let o = ragdiag_home(
        &home,
        &[
            "index", "--corpus", &corpus, "--out", &idx, "--model", "hash:64",
        ],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stderr.contains("5 documents as 4 chunks"), "{}", o.stderr);
    assert!(
        o.stderr.contains("1 documents have no text"),
        "{}",
        o.stderr
    );

    for retriever in ["bm25", "dense", "hybrid"] {
        let run = dir.path().join(format!("{retriever}.trec"));
        let run_s = run.to_string_lossy().into_owned();
        let o = ragdiag_home(
            &home,
            &[
                "search",
                "--index",
                &idx,
                "--queries",
                &queries,
                "--retriever",
                retriever,
                "--k",
                "3",
                "--run",
                &run_s,
            ],
        );
        assert_eq!(o.code, 0, "{retriever}: {}", o.stderr);
        // The queries' own labels give the metrics table, on stdout since the run is a file.
        assert!(o.stdout.contains("mrr"), "{retriever}: {}", o.stdout);
        // Measures deeper than the 3-document run are omitted, and the omission is said.
        assert!(!o.stdout.contains("ndcg@10"), "{retriever}: {}", o.stdout);
        assert!(
            !o.stdout.contains("recall@100"),
            "{retriever}: {}",
            o.stdout
        );
        assert!(
            o.stderr
                .contains("recall@100, ndcg@10 omitted: deeper than the run, which keeps 3"),
            "{retriever}: {}",
            o.stderr
        );
        assert!(
            o.stdout.contains("    3"),
            "n = 3 judged queries: {}",
            o.stdout
        );
        if retriever == "bm25" {
            assert!(!o.stderr.contains("HNSW recall"), "{}", o.stderr);
        } else {
            assert!(o.stderr.contains("HNSW recall@3"), "{}", o.stderr);
        }
        let text = std::fs::read_to_string(&run).unwrap();
        let mut per_query = std::collections::BTreeMap::<&str, Vec<f64>>::new();
        for line in text.lines() {
            let f: Vec<&str> = line.split(' ').collect();
            assert_eq!(f.len(), 6, "{line}");
            assert_eq!(f[1], "Q0");
            assert_eq!(f[5], format!("ragdiag-{retriever}"));
            per_query
                .entry(f[0])
                .or_default()
                .push(f[4].parse().unwrap());
        }
        for (q, scores) in &per_query {
            assert!(scores.len() <= 3, "{q}");
            assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{q}: {scores:?}");
        }
        if retriever != "dense" {
            assert!(text.starts_with("q1 Q0 refunds 1 "), "{text}");
        }

        // The printed MAP equals trec_eval's (ragdiag eval) on the written run.
        let qrels = write(
            dir.path(),
            "qrels.txt",
            b"q1 0 refunds 1\nq2 0 api 2\nq3 0 sso 1\n",
        );
        let e = ragdiag(&["eval", "-m", "map", &qrels, &run_s]);
        assert_eq!(e.code, 0, "{}", e.stderr);
        let from_eval: f64 = e.stdout.split_whitespace().nth(2).unwrap().parse().unwrap();
        let line = o.stdout.lines().find(|l| l.starts_with("map ")).unwrap();
        let shown: f64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
        assert!((shown - from_eval).abs() < 1e-4, "{shown} vs {from_eval}");
    }
}

#[test]
fn a_warm_rebuild_embeds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let home = home(dir.path());
    let corpus = write(dir.path(), "c.jsonl", CORPUS.as_bytes());
    let idx = dir.path().join("idx").to_string_lossy().into_owned();
    let args = [
        "index", "--corpus", &corpus, "--out", &idx, "--model", "hash:32",
    ];
    let cold = ragdiag_home(&home, &args);
    assert_eq!(cold.code, 0, "{}", cold.stderr);
    assert!(
        cold.stderr.contains("embedded 4 new texts"),
        "{}",
        cold.stderr
    );
    let warm = ragdiag_home(&home, &args);
    assert_eq!(warm.code, 0, "{}", warm.stderr);
    assert!(
        warm.stderr
            .contains("embedded 0 new texts (4 from the cache)"),
        "{}",
        warm.stderr
    );
}

#[test]
fn bad_indexes_and_inputs_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let home = home(dir.path());
    let corpus = write(dir.path(), "c.jsonl", CORPUS.as_bytes());
    let queries = write(dir.path(), "q.jsonl", QUERIES.as_bytes());

    // No index there.
    let missing = dir.path().join("nothing").to_string_lossy().into_owned();
    let o = ragdiag_home(
        &home,
        &["search", "--index", &missing, "--queries", &queries],
    );
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("cannot open the index"), "{}", o.stderr);

    // A BM25-only index refuses dense search, naming the fix.
    let idx = dir.path().join("bm25").to_string_lossy().into_owned();
    let o = ragdiag_home(
        &home,
        &[
            "index", "--corpus", &corpus, "--out", &idx, "--model", "none",
        ],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);

    // An unknown measure is a usage error before the search: an existing run is kept.
    let qrels = write(dir.path(), "qrels.txt", b"q1 0 refunds 1\n");
    let run = write(dir.path(), "old.trec", b"q1 Q0 refunds 1 1.0 previous\n");
    let o = ragdiag_home(
        &home,
        &[
            "search",
            "--index",
            &idx,
            "--queries",
            &queries,
            "--qrels",
            &qrels,
            "--retriever",
            "bm25",
            "-m",
            "bogus",
            "--run",
            &run,
        ],
    );
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(o.stderr.contains("--measure"), "{}", o.stderr);
    assert_eq!(
        std::fs::read_to_string(&run).unwrap(),
        "q1 Q0 refunds 1 1.0 previous\n"
    );

    let o = ragdiag_home(
        &home,
        &[
            "search",
            "--index",
            &idx,
            "--queries",
            &queries,
            "--retriever",
            "dense",
        ],
    );
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("only --retriever bm25"), "{}", o.stderr);

    // A damaged index: truncated vectors, then a removed manifest.
    let idx = dir.path().join("dense").to_string_lossy().into_owned();
    let o = ragdiag_home(
        &home,
        &[
            "index", "--corpus", &corpus, "--out", &idx, "--model", "hash:16",
        ],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    let vectors = Path::new(&idx).join("vectors.bin");
    let bytes = std::fs::read(&vectors).unwrap();
    std::fs::write(&vectors, &bytes[..bytes.len() / 2]).unwrap();
    let o = ragdiag_home(&home, &["search", "--index", &idx, "--queries", &queries]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(o.stderr.contains("vectors.bin"), "{}", o.stderr);
    assert!(!o.stderr.contains("panicked"), "{}", o.stderr);
    std::fs::remove_file(Path::new(&idx).join("manifest.json")).unwrap();
    let o = ragdiag_home(&home, &["search", "--index", &idx, "--queries", &queries]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(o.stderr.contains("manifest"), "{}", o.stderr);

    // Another model than the index's.
    let idx = dir.path().join("h16").to_string_lossy().into_owned();
    ragdiag_home(
        &home,
        &[
            "index", "--corpus", &corpus, "--out", &idx, "--model", "hash:16",
        ],
    );
    let o = ragdiag_home(
        &home,
        &[
            "search",
            "--index",
            &idx,
            "--queries",
            &queries,
            "--model",
            "hash:32",
        ],
    );
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("rebuild the index"), "{}", o.stderr);

    // An empty corpus, and a model that is not installed with downloads off.
    let empty = write(dir.path(), "empty.jsonl", b"");
    let out = dir.path().join("e").to_string_lossy().into_owned();
    let o = ragdiag_home(&home, &["index", "--corpus", &empty, "--out", &out]);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("no documents"), "{}", o.stderr);
    let o = ragdiag_home(
        &home,
        &["index", "--corpus", &corpus, "--out", &out, "--no-fetch"],
    );
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("RAGDIAG")
            || o.stderr.contains("model fetch")
            || o.stderr.contains("pip"),
        "{}",
        o.stderr
    );
    assert!(!Path::new(&out).join("manifest.json").exists());

    // Something that is not an index directory is never replaced.
    let not_index = dir.path().join("docs");
    std::fs::create_dir(&not_index).unwrap();
    std::fs::write(not_index.join("notes.txt"), "keep me").unwrap();
    let o = ragdiag_home(
        &home,
        &[
            "index",
            "--corpus",
            &corpus,
            "--out",
            &not_index.to_string_lossy(),
            "--model",
            "none",
        ],
    );
    assert_eq!(o.code, 2);
    assert_eq!(
        std::fs::read_to_string(not_index.join("notes.txt")).unwrap(),
        "keep me"
    );
}

#[test]
fn a_ten_megabyte_document_is_indexed() {
    let dir = tempfile::tempdir().unwrap();
    let home = home(dir.path());
    let mut big = String::from(r#"{"id":"big","text":""#);
    while big.len() < 10 * 1024 * 1024 {
        big.push_str("quarterly invoices reconcile against the ledger ");
    }
    big.push_str("needle\"}\n");
    big.push_str(r#"{"id":"small","text":"a small page about refunds"}"#);
    big.push('\n');
    let corpus = write(dir.path(), "big.jsonl", big.as_bytes());
    let queries = write(
        dir.path(),
        "q.jsonl",
        br#"{"id":"q1","text":"needle"}
{"id":"q2","text":"refunds"}
"#,
    );
    let idx = dir.path().join("idx").to_string_lossy().into_owned();
    let o = ragdiag_home(
        &home,
        &[
            "index", "--corpus", &corpus, "--out", &idx, "--model", "hash:16",
        ],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    let o = ragdiag_home(
        &home,
        &[
            "search",
            "--index",
            &idx,
            "--queries",
            &queries,
            "--retriever",
            "bm25",
        ],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stdout.contains("q1 Q0 big 1 "), "{}", o.stdout);
    assert!(o.stdout.contains("q2 Q0 small 1 "), "{}", o.stdout);
}

#[test]
fn chunkers_split_documents_and_bad_specs_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let home = home(dir.path());
    let mut long = String::from(r##"{"id":"guide","title":"Guide","text":"# Billing\n\n"##);
    for i in 0..40 {
        long.push_str(&format!(
            "Paragraph {i} explains invoices, refunds and the ledger in detail. "
        ));
        if i % 5 == 4 {
            long.push_str("\\n\\n## Section\\n\\n");
        }
    }
    long.push_str("\"}\n");
    let corpus = write(dir.path(), "c.jsonl", long.as_bytes());
    let idx = dir.path().join("idx").to_string_lossy().into_owned();
    let o = ragdiag_home(
        &home,
        &[
            "index",
            "--corpus",
            &corpus,
            "--out",
            &idx,
            "--model",
            "hash:16",
            "--chunker",
            "recursive:60/0@cl100k",
        ],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(&idx).join("manifest.json")).unwrap(),
    )
    .unwrap();
    let chunks = manifest["meta"]["chunks"].as_u64().unwrap();
    assert!(chunks >= 5, "{chunks} chunks");
    // The chunk table's spans cover text of the document.
    let table = std::fs::read_to_string(Path::new(&idx).join("chunks.jsonl")).unwrap();
    assert_eq!(table.lines().count() as u64, chunks);
    for bad in ["tokens:250/300", "paragraphs:3", "recursive:0/0"] {
        let o = ragdiag_home(
            &home,
            &[
                "index",
                "--corpus",
                &corpus,
                "--out",
                &idx,
                "--model",
                "none",
                "--chunker",
                bad,
            ],
        );
        assert_eq!(o.code, 2, "{bad}");
        assert!(o.stderr.contains("--chunker"), "{bad}: {}", o.stderr);
    }
}
