//! `--engine`: `diagnose` and `search` through an HTTP engine served in-process (a
//! `TcpListener` in a thread). Failed questions are reported with their cause and left out of
//! the figures, a re-run is answered from the cache, and the credential (an environment
//! variable sent as a header) is in no output file, cache file or message. A pgvector engine
//! that is down fails naming it, without its password.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

const SECRET: &str = "Bearer engine-secret-7f3a9c";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A mock engine: every question gets three documents of the demo, except those whose text
/// holds `fail_word`, which get HTTP 500 with a body that echoes the Authorization header.
/// Returns the URL and the count of requests.
fn engine(fail_word: &'static str) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/search", listener.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { break };
            c.fetch_add(1, Ordering::SeqCst);
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let (mut len, mut auth) = (0usize, String::new());
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                let lower = line.to_ascii_lowercase();
                if let Some(v) = lower.strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
                if lower.starts_with("authorization:") {
                    auth = line["authorization:".len()..].trim().to_owned();
                }
            }
            let mut body = vec![0; len];
            let _ = reader.read_exact(&mut body);
            let req: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            let text = req["q"].as_str().unwrap_or("");
            let (status, out) = if text.contains(fail_word) {
                (500, format!("internal error for {auth}"))
            } else {
                let hits = serde_json::json!({"hits": [
                    {"id": "pricing-plans#0", "score": 0.9, "meta": {"doc": "pricing-plans"}},
                    {"id": "support-hours#0", "score": 0.5, "meta": {"doc": "support-hours"}},
                    {"id": "api-keys#0", "score": 0.1, "meta": {"doc": "api-keys"}}]});
                (200, hits.to_string())
            };
            let mut stream = stream;
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{out}",
                out.len()
            );
        }
    });
    (url, count)
}

fn settings(dir: &Path, url: &str) -> String {
    let toml = format!(
        r#"[engine]
url = "{url}"
body = '{{"q": {{{{query}}}}, "size": {{{{k}}}}}}'
doc_field = "doc"
retries = 1
backoff_ms = 10
timeout_s = 5

[engine.headers]
Authorization = {{ env = "RAGDIAG_TEST_ENGINE_KEY" }}

[engine.response]
hits = "/hits"
id = "/id"
score = "/score"
metadata = "/meta"
"#
    );
    crate::write(dir, "engine.toml", toml.as_bytes())
}

fn run(home: &Path, args: &[&str]) -> crate::Out {
    let out = Command::new(env!("CARGO_BIN_EXE_ragdiag"))
        .args(args)
        .env("NO_COLOR", "1")
        .env("RAGDIAG_HOME", home)
        .env("RAGDIAG_TEST_ENGINE_KEY", SECRET)
        .output()
        .expect("run ragdiag");
    crate::Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn assert_no_secret(dir: &Path, texts: &[&str]) {
    let needle = SECRET.as_bytes();
    for f in files(dir) {
        let bytes = std::fs::read(&f).unwrap();
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle),
            "the credential is in {}",
            f.display()
        );
    }
    for t in texts {
        assert!(!t.contains("engine-secret"), "{t}");
    }
}

#[test]
fn diagnose_through_an_engine_reports_failed_questions_and_caches() {
    let (url, count) = engine("plan");
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let cfg = settings(tmp.path(), &url);
    let out = tmp.path().join("out");
    let r = repo();
    let (corpus, queries) = (r.join("corpora/tallyfox"), r.join("queries/tallyfox.jsonl"));
    let args = [
        "diagnose",
        "--corpus",
        corpus.to_str().unwrap(),
        "--queries",
        queries.to_str().unwrap(),
        "--as-of",
        "2026-10-01",
        "--engine",
        &cfg,
        "--concurrency",
        "3",
        "--out",
        out.to_str().unwrap(),
    ];
    let o = run(&home, &args);
    assert_eq!(o.code, 0, "{}", o.stderr);
    // The 15 questions that mention "plan" failed: each is reported with its cause.
    let failing = std::fs::read_to_string(&queries)
        .unwrap()
        .lines()
        .filter(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["text"].as_str().unwrap().contains("plan")
        })
        .count();
    assert!(failing > 0);
    assert!(o.stderr.contains("retrieval failed"), "{}", o.stderr);
    assert!(
        o.stderr.contains("HTTP 500: internal error for ***"),
        "{}",
        o.stderr
    );
    assert!(
        o.stderr.contains(&format!("{failing} failed")),
        "{}",
        o.stderr
    );
    let s: serde_json::Value = crate::summary(&out);
    // Left out of every figure, not scored as misses.
    assert_eq!(s["questions"]["total"], 133 - failing);
    let warnings = std::fs::read_to_string(out.join("warnings.jsonl")).unwrap();
    assert_eq!(warnings.matches("retrieval failed").count(), failing);
    assert!(s["provenance"]["retriever"]
        .as_str()
        .unwrap()
        .starts_with("engine (http http://127.0.0.1:"));
    let sent = count.load(Ordering::SeqCst);
    // Each failing question is asked twice (one retry); the others once.
    assert_eq!(sent, 133 + failing);

    // A re-run asks only the questions that failed.
    let o2 = run(&home, &args);
    assert_eq!(o2.code, 0, "{}", o2.stderr);
    assert_eq!(count.load(Ordering::SeqCst), sent + 2 * failing);
    assert!(
        o2.stderr
            .contains(&format!("{} answered from the cache", 133 - failing)),
        "{}",
        o2.stderr
    );
    // A damaged cache file (cut short, or not the hits' JSON) is a warning naming it; its
    // question is asked again and the file replaced.
    let cached: Vec<PathBuf> = walk_files(&home.join("engine-cache"));
    assert_eq!(cached.len(), 133 - failing);
    let cut = std::fs::read(&cached[0]).unwrap();
    std::fs::write(&cached[0], &cut[..cut.len() / 2]).unwrap();
    std::fs::write(&cached[1], b"[{\"id\": 7}]").unwrap();
    let before = count.load(Ordering::SeqCst);
    let o3 = run(&home, &args);
    assert_eq!(o3.code, 0, "{}", o3.stderr);
    assert_eq!(count.load(Ordering::SeqCst), before + 2 + 2 * failing);
    for f in &cached[..2] {
        assert!(
            o3.stderr.contains(&format!(
                "a damaged engine cache file was replaced (its question was asked again): {}",
                f.display()
            )),
            "{}",
            o3.stderr
        );
    }
    assert_eq!(std::fs::read(&cached[0]).unwrap(), cut);
    let o4 = run(&home, &args);
    assert!(!o4.stderr.contains("damaged"), "{}", o4.stderr);
    assert_eq!(count.load(Ordering::SeqCst), before + 2 + 4 * failing);
    assert_no_secret(tmp.path(), &[&o.stdout, &o.stderr, &o2.stdout, &o2.stderr]);
}

/// The files under `dir`, sorted.
fn walk_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn search_through_an_engine_writes_the_retrieved_questions() {
    let (url, _) = engine("2fa");
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let cfg = settings(tmp.path(), &url);
    let queries = repo().join("queries/tallyfox.jsonl");
    let o = run(
        &home,
        &[
            "search",
            "--engine",
            &cfg,
            "--queries",
            queries.to_str().unwrap(),
            "--k",
            "2",
        ],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    let first = o.stdout.lines().next().unwrap();
    assert!(
        first.starts_with("q001 Q0 pricing-plans 1 0.9 ragdiag-engine"),
        "{first}"
    );
    assert_eq!(
        o.stdout.lines().filter(|l| l.starts_with("q001 ")).count(),
        2
    );
    // q002 mentions 2fa: it failed and is not in the run, and the metrics leave it out.
    assert!(!o.stdout.contains("q002 "), "{}", o.stdout);
    assert!(o.stderr.contains("question \"q002\""), "{}", o.stderr);
    assert!(o.stderr.contains("left out of the metrics"), "{}", o.stderr);
    assert_no_secret(tmp.path(), &[&o.stdout, &o.stderr]);
}

/// A port nothing answers on, held for as long as the returned socket lives: bound and not
/// listening, so a connection to it is refused, and no other test binding port 0 can take it (a
/// listener dropped to free its port races with the next one bound).
fn refusing_port() -> (socket2::Socket, u16) {
    let s = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    s.bind(&std::net::SocketAddr::from(([127, 0, 0, 1], 0)).into())
        .unwrap();
    let port = s.local_addr().unwrap().as_socket().unwrap().port();
    (s, port)
}

#[test]
fn nothing_retrieved_exits_2_naming_the_engine() {
    let (_held, port) = refusing_port();
    let tmp = tempfile::tempdir().unwrap();
    let cfg = settings(tmp.path(), &format!("http://127.0.0.1:{port}/search"));
    let queries = repo().join("queries/tallyfox.jsonl");
    let o = run(
        &tmp.path().join("home"),
        &[
            "search",
            "--engine",
            &cfg,
            "--queries",
            queries.to_str().unwrap(),
        ],
    );
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(
        o.stderr.contains(&format!(
            "http http://127.0.0.1:{port}/search: no question could be retrieved (133 failed)"
        )),
        "{}",
        o.stderr
    );
    assert!(o.stderr.contains("cannot connect to"), "{}", o.stderr);
    // --index and --engine exclude each other; one of them is needed.
    let o = run(
        tmp.path(),
        &["search", "--queries", queries.to_str().unwrap()],
    );
    assert_eq!(o.code, 2);
}

#[test]
fn a_pgvector_engine_down_exits_2_naming_it_without_its_password() {
    let (_held, port) = refusing_port();
    let tmp = tempfile::tempdir().unwrap();
    // One password in the connection string, one from the environment.
    let toml = format!(
        r#"[engine]
kind = "pgvector"
url = "postgresql://kb:url-pw-5d1e@127.0.0.1:{port}/docs"
password_env = "RAGDIAG_TEST_PG_PASSWORD"
table = "chunks"
query = "text"
text_field = "text"
retries = 0
"#
    );
    let cfg = crate::write(tmp.path(), "pg.toml", toml.as_bytes());
    let queries = repo().join("queries/tallyfox.jsonl");
    let out = Command::new(env!("CARGO_BIN_EXE_ragdiag"))
        .args(["search", "--engine", &cfg, "--queries"])
        .arg(&queries)
        .env("NO_COLOR", "1")
        .env("RAGDIAG_HOME", tmp.path().join("home"))
        .env("RAGDIAG_TEST_PG_PASSWORD", "env-pw-8c2b")
        .output()
        .expect("run ragdiag");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "pgvector postgresql://kb@127.0.0.1:{port}/docs: no question could be retrieved \
             (133 failed); the first: cannot connect to pgvector postgresql://kb@127.0.0.1:{port}/docs"
        )),
        "{stderr}"
    );
    for secret in ["url-pw-5d1e", "env-pw-8c2b"] {
        assert!(!stderr.contains(secret), "{stderr}");
        for f in files(tmp.path()) {
            let bytes = std::fs::read(&f).unwrap();
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes())
                    || f.ends_with("pg.toml"),
                "the password is in {}",
                f.display()
            );
        }
    }
}

/// A mock Chroma holding five chunks of two documents, served by `get` with limit and offset.
fn chroma() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let chunks = [
            ("b#0", "b", 0, 4, "Beta"),
            ("a#1", "a", 6, 11, "world"),
            ("a#0", "a", 0, 6, "Hello "),
            ("b#1", "b", 4, 9, " page"),
            ("a#2", "a", 11, 12, "!"),
        ];
        for stream in listener.incoming() {
            let Ok(stream) = stream else { break };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let (mut len, mut first) = (0usize, String::new());
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if first.is_empty() {
                    first = line.clone();
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; len];
            let _ = reader.read_exact(&mut body);
            let req: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            let meta = |c: &(&str, &str, usize, usize, &str)| {
                serde_json::json!({
                "doc_id": c.1, "start": c.2, "end": c.3,
                "modified": format!("2025-0{}-01", if c.1 == "a" { 1 } else { 2 }),
                "team": "docs"})
            };
            let out = if first.starts_with("GET ") {
                serde_json::json!({"id": "c1", "name": "kb"})
            } else if req.get("n_results").is_some() {
                // A query: the first chunk of each page, page a first, whatever is asked.
                let hits = [chunks[2], chunks[0]];
                serde_json::json!({
                    "ids": [hits.iter().map(|c| c.0).collect::<Vec<_>>()],
                    "distances": [[0.1, 0.2]],
                    "documents": [hits.iter().map(|c| c.4).collect::<Vec<_>>()],
                    "metadatas": [hits.iter().map(meta).collect::<Vec<_>>()],
                })
            } else {
                let (limit, offset) = (
                    req["limit"].as_u64().unwrap_or(0) as usize,
                    req["offset"].as_u64().unwrap_or(0) as usize,
                );
                let page: Vec<_> = chunks.iter().skip(offset).take(limit).collect();
                serde_json::json!({
                    "ids": page.iter().map(|c| c.0).collect::<Vec<_>>(),
                    "documents": page.iter().map(|c| c.4).collect::<Vec<_>>(),
                    "metadatas": page.iter().map(|c| meta(c)).collect::<Vec<_>>(),
                })
            }
            .to_string();
            let mut stream = stream;
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{out}",
                out.len()
            );
        }
    });
    base
}

/// The settings of the mock Chroma at `base`: chunks to documents by `doc_id` at their offsets,
/// dated by `modified`.
fn chroma_config(dir: &Path, base: &str) -> String {
    let toml = format!(
        r#"[engine]
kind = "chroma"
url = "{base}"
collection = "kb"
doc_field = "doc_id"
start_field = "start"
end_field = "end"
updated_field = "modified"
"#
    );
    crate::write(dir, "chroma.toml", toml.as_bytes())
}

#[test]
fn export_corpus_pages_through_chroma_and_stitches_documents() {
    let base = chroma();
    let tmp = tempfile::tempdir().unwrap();
    let cfg = chroma_config(tmp.path(), &base);
    let out = tmp.path().join("corpus.jsonl");
    let o = run(
        &tmp.path().join("home"),
        &[
            "export-corpus",
            "--engine",
            &cfg,
            "--out",
            out.to_str().unwrap(),
            "--page-size",
            "2",
        ],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        o.stderr
            .contains("exported 2 documents (5 chunks, 2 dated)"),
        "{}",
        o.stderr
    );
    let docs: Vec<serde_json::Value> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        docs,
        [
            serde_json::json!({"id": "a", "text": "Hello world!", "updated_at": "2025-01-01",
                "metadata": {"team": "docs"}}),
            serde_json::json!({"id": "b", "text": "Beta page", "updated_at": "2025-02-01",
                "metadata": {"team": "docs"}}),
        ]
    );
    // The written corpus is one ragdiag reads.
    let lint = run(tmp.path(), &["lint", "--corpus", out.to_str().unwrap()]);
    assert_eq!(lint.code, 0, "{}", lint.stderr);
    // Parquet: the same documents, read back by `--corpus x.parquet`'s reader.
    let pq = tmp.path().join("corpus.parquet");
    let o = run(
        &tmp.path().join("home"),
        &[
            "export-corpus",
            "--engine",
            &cfg,
            "--out",
            pq.to_str().unwrap(),
        ],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    let read = |p: &Path| {
        let l = ragdiag_load::load_corpus(p, &ragdiag_load::LoadOptions::default()).unwrap();
        assert!(l.diagnostics.is_empty(), "{:?}", l.diagnostics);
        l.items
            .into_iter()
            .map(|mut d| {
                d.origin = ragdiag_core::Location::file("-");
                d
            })
            .collect::<Vec<_>>()
    };
    let from_parquet = read(&pq);
    assert_eq!(from_parquet.len(), 2);
    assert_eq!(from_parquet, read(&out));
    let o = run(
        tmp.path(),
        &["export-corpus", "--engine", &cfg, "--out", "x.csv"],
    );
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("writes JSONL (.jsonl) or Parquet"),
        "{}",
        o.stderr
    );
    assert!(!tmp.path().join("x.csv").exists());
}

#[test]
fn freshness_audits_the_documents_an_engine_stores_as_it_would_their_export() {
    let base = chroma();
    let tmp = tempfile::tempdir().unwrap();
    let cfg = chroma_config(tmp.path(), &base);
    let home = tmp.path().join("home");
    let exported = tmp.path().join("corpus.jsonl");
    let o = run(
        &home,
        &[
            "export-corpus",
            "--engine",
            &cfg,
            "--out",
            exported.to_str().unwrap(),
        ],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    let audit = |source: &[&str], out: &str| {
        let out = tmp.path().join(out);
        let mut args = vec!["freshness"];
        args.extend_from_slice(source);
        args.extend_from_slice(&["--as-of", "2025-06-01", "--max-age", "100d"]);
        args.extend_from_slice(&["--out", out.to_str().unwrap()]);
        let o = run(&home, &args);
        assert_eq!(o.code, 0, "{}", o.stderr);
        let s: serde_json::Value = crate::summary(&out);
        (s, o.stderr)
    };
    let (live, stderr) = audit(&["--engine", &cfg], "live");
    assert!(stderr.contains("read 2 documents (5 chunks)"), "{stderr}");
    let (file, _) = audit(&["--corpus", exported.to_str().unwrap()], "file");
    assert_eq!(live["corpus"], file["corpus"]);
    assert_eq!(live["findings"], file["findings"]);
    // The dates came from the engine's metadata: both documents are dated and aged.
    assert_eq!(live["corpus"]["documents"], 2, "{}", live["corpus"]);
    assert!(live["provenance"]["corpus"]
        .as_str()
        .unwrap()
        .starts_with("chroma http://127.0.0.1:"));
    assert_eq!(live["corpus"]["unknown_undated"], 0, "{}", live["corpus"]);
    assert_eq!(live["corpus"]["aged"], 2, "{}", live["corpus"]);
    // Neither a corpus nor an engine: a usage error.
    let o = run(
        &home,
        &["freshness", "--out", tmp.path().join("x").to_str().unwrap()],
    );
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("--corpus is required (or --engine"),
        "{}",
        o.stderr
    );
}

#[test]
fn freshness_audits_what_an_engine_retrieves() {
    let (url, _count) = engine("plan");
    let tmp = tempfile::tempdir().unwrap();
    let cfg = settings(tmp.path(), &url);
    let r = repo();
    let (corpus, queries) = (r.join("corpora/tallyfox"), r.join("queries/tallyfox.jsonl"));
    let out = tmp.path().join("out");
    let args = [
        "freshness",
        "--corpus",
        corpus.to_str().unwrap(),
        "--queries",
        queries.to_str().unwrap(),
        "--engine",
        &cfg,
        "--as-of",
        "2026-10-01",
        "--k",
        "3",
        "--out",
        out.to_str().unwrap(),
    ];
    let o = run(&tmp.path().join("home"), &args);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let s: serde_json::Value = crate::summary(&out);
    let failing = std::fs::read_to_string(&queries)
        .unwrap()
        .lines()
        .filter(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["text"].as_str().unwrap().contains("plan")
        })
        .count();
    // The questions whose retrieval failed are findings, not rankings.
    assert!(failing > 0);
    assert_eq!(s["retrieval"]["questions"], 133 - failing);
    let warnings = std::fs::read_to_string(out.join("warnings.jsonl")).unwrap();
    assert!(warnings.contains("retrieval failed"), "{warnings}");
    assert_eq!(s["retrieval"]["k"], 3);
    // --engine with --queries and --run: which ranking is audited would be ambiguous.
    let run_file = r.join("examples/tallyfox/keyword.trec");
    let mut both = args.to_vec();
    both.extend_from_slice(&["--run", run_file.to_str().unwrap()]);
    let o = run(&tmp.path().join("home"), &both);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(o.stderr.contains("cannot be used with"), "{}", o.stderr);
}

/// An engine that answers every request with `body`.
fn fixed_engine(body: String) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/search", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { break };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut len = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
            }
            let mut req = vec![0; len];
            let _ = reader.read_exact(&mut req);
            let mut stream = stream;
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    url
}

#[test]
fn diagnose_dates_undated_documents_from_the_engines_metadata() {
    // Two versions of one page; the corpus carries no dates, the engine's metadata does. The
    // older version ranks first, above the gold page holding the answer: with the dates, the
    // older one is a superseded near-duplicate, and the question is stale_source, as it is with a
    // corpus carrying the same dates.
    let page = |days: &str| {
        format!(
            "Refunds for annual plans are paid back within {days} business days of the request. \
             The money goes to the card or bank account that paid the invoice, and the owner of \
             the workspace gets an email when the refund is sent. Monthly plans are not refunded \
             for the current month, but you can cancel at any time before the next renewal date \
             and keep access until the end of the period you paid for."
        )
    };
    let tmp = tempfile::tempdir().unwrap();
    let doc = |id: &str, days: &str, date: Option<&str>| {
        let mut d = serde_json::json!({"id": id, "title": "Refunds", "text": page(days)});
        if let Some(date) = date {
            d["updated_at"] = date.into();
        }
        d.to_string()
    };
    let undated = crate::write(
        tmp.path(),
        "undated.jsonl",
        format!(
            "{}\n{}\n",
            doc("refunds-2024", "14", None),
            doc("refunds-2025", "5", None)
        )
        .as_bytes(),
    );
    let dated = crate::write(
        tmp.path(),
        "dated.jsonl",
        format!(
            "{}\n{}\n",
            doc("refunds-2024", "14", Some("2024-02-01")),
            doc("refunds-2025", "5", Some("2025-03-01"))
        )
        .as_bytes(),
    );
    let questions = crate::write(
        tmp.path(),
        "q.jsonl",
        br#"{"id": "q1", "text": "how long do refunds take for annual plans?", "relevant": [{"doc": "refunds-2025", "grade": 2}], "evidence": [{"doc": "refunds-2025", "quote": "paid back within 5 business days"}]}
"#,
    );
    let hits = serde_json::json!({"hits": [
        {"id": "refunds-2024#0", "score": 0.9,
         "meta": {"doc": "refunds-2024", "modified": "2024-02-01", "rev": "2024"}},
        {"id": "refunds-2025#0", "score": 0.8,
         "meta": {"doc": "refunds-2025", "modified": "2025-03-01", "rev": "2025"}}]});
    let url = fixed_engine(hits.to_string());
    let config = |mapped: bool| {
        let fields = if mapped {
            "updated_field = \"modified\"\nversion_field = \"rev\"\n"
        } else {
            ""
        };
        let toml = format!(
            "[engine]\nurl = \"{url}\"\nbody = '{{\"q\": {{{{query}}}}}}'\ndoc_field = \"doc\"\n\
             {fields}\n[engine.response]\nhits = \"/hits\"\nid = \"/id\"\nscore = \"/score\"\n\
             metadata = \"/meta\"\n"
        );
        crate::write(tmp.path(), &format!("e{mapped}.toml"), toml.as_bytes())
    };
    let diagnose = |corpus: &str, mapped: bool, name: &str| {
        let out = tmp.path().join(name);
        let o = run(
            &tmp.path().join("home"),
            &[
                "diagnose",
                "--corpus",
                corpus,
                "--queries",
                &questions,
                "--engine",
                &config(mapped),
                "--as-of",
                "2025-06-01",
                "--out",
                out.to_str().unwrap(),
            ],
        );
        assert_eq!(o.code, 0, "{}", o.stderr);
        let s: serde_json::Value = crate::summary(&out);
        (s, o.stderr)
    };
    let count = |s: &serde_json::Value, class: &str| s["classes"][class]["count"].as_u64();
    let (from_engine, stderr) = diagnose(&undated, true, "mapped");
    assert!(
        stderr.contains("2 documents dated and 2 versioned from the hits' metadata"),
        "{stderr}"
    );
    assert_eq!(
        count(&from_engine, "stale_source"),
        Some(1),
        "{}",
        from_engine["classes"]
    );
    let (from_corpus, _) = diagnose(&dated, false, "corpus");
    assert_eq!(
        count(&from_corpus, "stale_source"),
        Some(1),
        "{}",
        from_corpus["classes"]
    );
    assert_eq!(from_engine["classes"], from_corpus["classes"]);
    // Without the mapping (or the corpus's dates) nothing is known to be stale.
    let (neither, _) = diagnose(&undated, false, "neither");
    assert_ne!(
        count(&neither, "stale_source"),
        Some(1),
        "{}",
        neither["classes"]
    );
}

#[test]
fn diagnose_without_a_corpus_reads_the_documents_the_engine_stores() {
    let base = chroma();
    let tmp = tempfile::tempdir().unwrap();
    let cfg = chroma_config(tmp.path(), &base);
    let home = tmp.path().join("home");
    let questions = crate::write(
        tmp.path(),
        "q.jsonl",
        br#"{"id": "q1", "text": "what does the greeting say?", "relevant": [{"doc": "a", "grade": 2}], "evidence": [{"doc": "a", "quote": "world"}]}
{"id": "q2", "text": "which page is beta?", "relevant": [{"doc": "b", "grade": 1}], "evidence": [{"doc": "b", "quote": "Beta page"}]}
"#,
    );
    let exported = tmp.path().join("corpus.jsonl");
    let o = run(
        &home,
        &[
            "export-corpus",
            "--engine",
            &cfg,
            "--out",
            exported.to_str().unwrap(),
        ],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    let diagnose = |corpus: Option<&str>, name: &str| {
        let out = tmp.path().join(name);
        let mut args = vec!["diagnose"];
        if let Some(c) = corpus {
            args.extend_from_slice(&["--corpus", c]);
        }
        args.extend_from_slice(&["--queries", &questions, "--engine", &cfg]);
        args.extend_from_slice(&["--model", "hash:16", "--as-of", "2025-06-01"]);
        args.extend_from_slice(&["--out", out.to_str().unwrap()]);
        let o = run(&home, &args);
        assert_eq!(o.code, 0, "{}", o.stderr);
        let s: serde_json::Value = crate::summary(&out);
        (s, o.stderr)
    };
    let (live, stderr) = diagnose(None, "live");
    assert!(stderr.contains("read 2 documents (5 chunks)"), "{stderr}");
    let (file, _) = diagnose(Some(exported.to_str().unwrap()), "file");
    // The engine's documents stand for the corpus: the same diagnosis as from their export.
    assert_eq!(live["classes"], file["classes"]);
    assert_eq!(live["metrics"], file["metrics"]);
    assert_eq!(live["freshness"], file["freshness"]);
    assert_eq!(live["questions"]["total"], 2, "{live}");
    assert_eq!(live["questions"], file["questions"]);
    assert!(
        live["provenance"]["corpus"]
            .as_str()
            .unwrap()
            .starts_with("chroma http://127.0.0.1:"),
        "{}",
        live["provenance"]
    );
    // Neither a corpus nor an engine: a usage error naming both ways.
    let o = run(
        &home,
        &[
            "diagnose",
            "--queries",
            &questions,
            "--out",
            tmp.path().join("x").to_str().unwrap(),
        ],
    );
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("--corpus is required (or --engine"),
        "{}",
        o.stderr
    );
}
