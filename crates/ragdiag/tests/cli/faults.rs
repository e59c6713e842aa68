//! Faults lose nothing: an output folder that cannot be written, a full disk (a file-size
//! limit: `ulimit -f` with SIGXFSZ ignored, so writes fail with EFBIG — unprivileged, so it
//! works in any CI container, unlike mounting a small tmpfs), SIGINT/SIGTERM part-way through
//! `diagnose`, `index` and `chunking`, two processes building one cached index, and documents
//! dated after the clock.

use crate::bounds::ragdiag_cmd;
use crate::Out;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn demo_diagnose(out: &Path) -> Vec<String> {
    let r = repo();
    [
        "diagnose",
        "--quiet",
        "--corpus",
        &r.join("corpora/tallyfox").display().to_string(),
        "--queries",
        &r.join("queries/tallyfox.jsonl").display().to_string(),
        "--trace",
        &r.join("queries/tallyfox.trace.jsonl").display().to_string(),
        "--as-of",
        "2026-10-01",
        "--out",
        &out.display().to_string(),
    ]
    .map(String::from)
    .to_vec()
}

const DIAGNOSE_FILES: [&str; 10] = [
    "summary.json",
    "golden.jsonl",
    "run.trec",
    "queries.parquet",
    "hits.parquet",
    "thresholds.parquet",
    "review.csv",
    "warnings.jsonl",
    "report.md",
    "report.html",
];

fn output(cmd: &mut Command) -> Out {
    let o = cmd.env("NO_COLOR", "1").output().expect("run");
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

fn names(dir: &Path) -> Vec<String> {
    let mut n: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    n.sort();
    n
}

fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    names(dir)
        .into_iter()
        .map(|n| {
            let bytes = std::fs::read(dir.join(&n)).unwrap();
            (n, bytes)
        })
        .collect()
}

#[test]
fn an_output_folder_that_cannot_be_created_or_written_is_named_and_nothing_is_left() {
    let dir = tempfile::tempdir().unwrap();
    // A file where a folder is needed: refused even for root.
    let blocker = dir.path().join("taken");
    std::fs::write(&blocker, b"a file").unwrap();
    let out = blocker.join("report");
    let args = demo_diagnose(&out);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = output(&mut ragdiag_cmd(&refs));
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(
        o.stderr
            .contains(&format!("error: cannot create {}", out.display())),
        "{}",
        o.stderr
    );
    assert_eq!(std::fs::read(&blocker).unwrap(), b"a file");
    // A read-only folder (not read-only for root, which this test may run as: then only the
    // case above applies).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let ro = dir.path().join("ro");
        std::fs::create_dir(&ro).unwrap();
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
        if std::fs::write(ro.join("probe"), b"").is_err() {
            let args = demo_diagnose(&ro);
            let refs: Vec<&str> = args.iter().map(String::as_str).collect();
            let o = output(&mut ragdiag_cmd(&refs));
            assert_eq!(o.code, 2, "{}", o.stderr);
            assert!(
                o.stderr.contains(&format!(
                    "error: creating a temporary file in {}",
                    ro.display()
                )),
                "{}",
                o.stderr
            );
            assert!(names(&ro).is_empty(), "{:?}", names(&ro));
        }
    }
}

#[test]
fn a_full_disk_while_writing_leaves_the_previous_report_whole() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report");
    let args = demo_diagnose(&out);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = output(&mut ragdiag_cmd(&refs));
    assert_eq!(o.code, 0, "{}", o.stderr);
    let before = snapshot(&out);
    assert_eq!(before.len(), DIAGNOSE_FILES.len());
    let html_kib = std::fs::metadata(out.join("report.html")).unwrap().len() >> 10;
    assert!(
        html_kib > 200,
        "report.html is {html_kib} KiB: the limit must cut it"
    );
    // 200 blocks: 100 KiB (dash, POSIX 512-byte blocks) or 200 KiB (bash): report.html, at
    // ~800 KiB, cannot be written.
    let mut script = String::from("trap '' XFSZ; ulimit -f 200; exec \"$0\" \"$@\"");
    script.push(' ');
    let o = output(
        Command::new("sh")
            .arg("-c")
            .arg(script.trim_end())
            .arg(env!("CARGO_BIN_EXE_ragdiag"))
            .args(&args)
            .env_remove("RAGDIAG_MAX_RECORD_BYTES"),
    );
    assert_eq!(o.code, 2, "{}\n{}", o.stdout, o.stderr);
    // Whichever report file first passes the limit is named (summary.json, with the sweep and
    // cost blocks, can be the one).
    assert!(
        DIAGNOSE_FILES.iter().any(|f| o.stderr.contains(&format!(
            "error: writing {}: File too large",
            out.join(f).display()
        ))),
        "{}",
        o.stderr
    );
    assert!(before == snapshot(&out), "the previous report changed");
    // The next run, with room, replaces it.
    let o = output(&mut ragdiag_cmd(&refs));
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(names(&out), sorted(&DIAGNOSE_FILES));
}

fn sorted(files: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = files.iter().map(|s| (*s).to_owned()).collect();
    v.sort();
    v
}

/// Sends `signal` (`INT`, `TERM`) to `pid`.
fn kill(pid: u32, signal: &str) {
    let _ = Command::new("sh")
        .arg("-c")
        .arg(format!("kill -s {signal} {pid}"))
        .status();
}

/// Runs `cmd` to the end once to time it, then again several times, interrupted by `signal`
/// at fractions of that time; after each, `check` looks at what was left.
fn interrupt_at_fractions(mut make: impl FnMut() -> Command, mut check: impl FnMut(bool)) {
    let t0 = Instant::now();
    let o = make()
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    check(true);
    let full = t0.elapsed();
    for (i, fraction) in [0.1, 0.3, 0.5, 0.7, 0.9].into_iter().enumerate() {
        let signal = if i % 2 == 0 { "INT" } else { "TERM" };
        let mut child = make()
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(full.mul_f64(fraction));
        kill(child.id(), signal);
        let status = child.wait().unwrap();
        check(status.success());
    }
}

/// A report folder after a run that may have been killed: complete (`summary.json` there and
/// every file whole) or without a `summary.json`; temporaries only of a killed run.
fn check_report(out: &Path, files: &[&str], finished: bool) {
    let present = names(out);
    let temps = present
        .iter()
        .filter(|n| n.starts_with(".ragdiag-tmp-"))
        .count();
    if finished {
        assert_eq!(temps, 0, "{present:?}");
    }
    if present.iter().any(|n| n == "summary.json") {
        for f in files {
            assert!(
                out.join(f).is_file(),
                "{f} missing beside summary.json: {present:?}"
            );
        }
        let _: Value =
            serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
        if files.contains(&"report.html") {
            let html = std::fs::read_to_string(out.join("report.html")).unwrap();
            assert!(
                html.trim_end().ends_with("</html>"),
                "report.html cut short"
            );
        }
    }
}

#[test]
fn diagnose_interrupted_leaves_no_half_report_and_the_next_run_cleans_up() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report");
    let args = demo_diagnose(&out);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    interrupt_at_fractions(
        || ragdiag_cmd(&refs),
        |finished| check_report(&out, &DIAGNOSE_FILES, finished),
    );
    let o = output(&mut ragdiag_cmd(&refs));
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(names(&out), sorted(&DIAGNOSE_FILES), "temporaries removed");
}

#[test]
fn index_interrupted_leaves_the_old_index_or_none_and_the_next_build_cleans_up() {
    let dir = tempfile::tempdir().unwrap();
    let ix = dir.path().join("ix");
    let corpus = repo().join("corpora/tallyfox").display().to_string();
    let ix_s = ix.display().to_string();
    let args = [
        "index", "--quiet", "--corpus", &corpus, "--model", "hash:64", "--out", &ix_s,
    ];
    let home = dir.path().join("home");
    let search = |ix: &str| {
        let q = dir.path().join("q.jsonl");
        std::fs::write(&q, "{\"id\":\"q1\",\"text\":\"refund policy\"}\n").unwrap();
        output(
            ragdiag_cmd(&["search", "--index", ix, "--queries", q.to_str().unwrap()])
                .env("RAGDIAG_HOME", &home),
        )
    };
    interrupt_at_fractions(
        || {
            let mut c = ragdiag_cmd(&args);
            c.env("RAGDIAG_HOME", &home);
            c
        },
        |_| {
            // Built once already, so the index is always there and opens.
            let o = search(&ix_s);
            assert_eq!(o.code, 0, "{}", o.stderr);
        },
    );
    let o = output(ragdiag_cmd(&args).env("RAGDIAG_HOME", &home));
    assert_eq!(o.code, 0, "{}", o.stderr);
    let left: Vec<String> = names(dir.path())
        .into_iter()
        .filter(|n| n.starts_with(".ix."))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    assert_eq!(search(&ix_s).code, 0);
}

const CORPUS: &str = concat!(
    r#"{"id":"refunds","title":"Refunds","text":"Refunds are paid back to the original card within 14 days."}"#,
    "\n",
    r#"{"id":"shipping","title":"Shipping","text":"Orders ship within two business days from the warehouse."}"#,
    "\n",
    r#"{"id":"api","title":"API","text":"The API returns JSON with pagination cursors and rate limits."}"#,
    "\n",
);

const QUERIES: &str = concat!(
    r#"{"id":"q1","text":"refunds paid within days","relevant":[{"doc":"refunds","grade":1}]}"#,
    "\n",
    r#"{"id":"q2","text":"ship warehouse two business","relevant":[{"doc":"shipping","grade":1}]}"#,
    "\n",
);

fn chunking_args(corpus: &str, queries: &str, out: &Path) -> Vec<String> {
    [
        "chunking",
        "--quiet",
        "--corpus",
        corpus,
        "--queries",
        queries,
        "--strategies",
        "doc@cl100k,recursive:60/10@cl100k,sentence:40@cl100k",
        "--retriever",
        "hybrid",
        "--model",
        "hash:64",
        "--k",
        "2",
        "--out",
        &out.display().to_string(),
    ]
    .map(String::from)
    .to_vec()
}

#[test]
fn chunking_interrupted_leaves_no_half_report() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = crate::write(dir.path(), "c.jsonl", CORPUS.as_bytes());
    let queries = crate::write(dir.path(), "q.jsonl", QUERIES.as_bytes());
    let out = dir.path().join("out");
    let home = dir.path().join("home");
    let args = chunking_args(&corpus, &queries, &out);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let files = ["summary.json", "strategies.parquet", "report.md"];
    interrupt_at_fractions(
        || {
            let mut c = ragdiag_cmd(&refs);
            c.env("RAGDIAG_HOME", &home).env("RAGDIAG_OFFLINE", "1");
            c
        },
        |finished| check_report(&out, &files, finished),
    );
    let o = output(
        ragdiag_cmd(&refs)
            .env("RAGDIAG_HOME", &home)
            .env("RAGDIAG_OFFLINE", "1"),
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(names(&out), sorted(&files));
}

#[test]
fn two_processes_building_one_cached_index_agree_and_the_cache_opens() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = crate::write(dir.path(), "c.jsonl", CORPUS.as_bytes());
    let queries = crate::write(dir.path(), "q.jsonl", QUERIES.as_bytes());
    let home = dir.path().join("home");
    let run = |out: &Path| {
        let args = chunking_args(&corpus, &queries, out);
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut c = ragdiag_cmd(&refs);
        c.env("RAGDIAG_HOME", &home)
            .env("RAGDIAG_OFFLINE", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c
    };
    // Four at once (two raced rarely enough to pass while one could replace the index under
    // the other's searcher; a lock per cached index now serialises the builds).
    let outs: Vec<_> = ["a", "b", "a2", "b2"]
        .iter()
        .map(|n| dir.path().join(n))
        .collect();
    let children: Vec<_> = outs.iter().map(|o| run(o).spawn().unwrap()).collect();
    for child in children {
        let o = child.wait_with_output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let (a, b) = (outs[0].clone(), outs[1].clone());
    let metrics = |out: &Path| -> Vec<Value> {
        let s: Value =
            serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
        s["strategies"]
            .as_array()
            .unwrap()
            .iter()
            .map(|st| {
                let mut st = st.clone();
                // What differs between a build and a cache hit, not the results.
                for k in [
                    "index_build_s",
                    "index_cached",
                    "embedded_texts",
                    "index_bytes",
                ] {
                    st.as_object_mut().unwrap().remove(k);
                }
                st
            })
            .collect()
    };
    let ma = metrics(&a);
    assert_eq!(ma.len(), 3);
    assert_eq!(ma, metrics(&b));
    assert_eq!(ma, metrics(&outs[2]));
    assert_eq!(ma, metrics(&outs[3]));
    // The cache opens: a third run takes every index from it, with no warning.
    let c = dir.path().join("c");
    let o = output(&mut run(&c));
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(!o.stderr.contains("warning"), "{}", o.stderr);
    let s: Value = serde_json::from_slice(&std::fs::read(c.join("summary.json")).unwrap()).unwrap();
    assert!(
        s["strategies"]
            .as_array()
            .unwrap()
            .iter()
            .all(|st| st["index_cached"] == Value::Bool(true)),
        "{s}"
    );
    assert_eq!(metrics(&c), ma);
}

#[test]
fn a_damaged_cached_index_is_rebuilt_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = crate::write(dir.path(), "c.jsonl", CORPUS.as_bytes());
    let queries = crate::write(dir.path(), "q.jsonl", QUERIES.as_bytes());
    let home = dir.path().join("home");
    let run = |out: &Path| {
        let mut args = chunking_args(&corpus, &queries, out);
        args.retain(|a| a != "--quiet");
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        output(
            ragdiag_cmd(&refs)
                .env("RAGDIAG_HOME", &home)
                .env("RAGDIAG_OFFLINE", "1"),
        )
    };
    let o = run(&dir.path().join("a"));
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(!o.stderr.contains("warning: cached index"), "{}", o.stderr);
    // Truncate one file of every cached index.
    let indexes = home.join("indexes");
    let mut damaged = 0;
    for ix in std::fs::read_dir(&indexes).unwrap() {
        let p = ix.unwrap().path().join("chunks.jsonl");
        if p.is_file() {
            let bytes = std::fs::read(&p).unwrap();
            std::fs::write(&p, &bytes[..bytes.len() / 2]).unwrap();
            damaged += 1;
        }
    }
    assert_eq!(damaged, 3);
    let o = run(&dir.path().join("b"));
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(
        o.stderr.matches("warning: cached index ").count(),
        3,
        "{}",
        o.stderr
    );
    assert!(o.stderr.contains("is unusable ("), "{}", o.stderr);
    assert!(o.stderr.contains("); rebuilt it"), "{}", o.stderr);
    // Rebuilt whole: the next run is silent.
    let o = run(&dir.path().join("c"));
    assert!(!o.stderr.contains("warning: cached index"), "{}", o.stderr);
}

#[test]
fn documents_dated_after_the_clock_are_a_warning_not_fresh() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = crate::write(
        dir.path(),
        "c.jsonl",
        concat!(
            r#"{"id":"old","text":"Refunds take 14 days.","updated_at":"2020-01-01"}"#,
            "\n",
            r#"{"id":"future","text":"Shipping takes two days.","updated_at":"2999-01-01"}"#,
            "\n",
        )
        .as_bytes(),
    );
    // The real clock (no --as-of), and an --as-of before every date.
    for as_of in [None, Some("2019-06-01")] {
        let out = dir.path().join(format!("f{}", as_of.is_some()));
        let out_s = out.display().to_string();
        let mut args = vec!["freshness", "--corpus", &corpus, "--out", &out_s];
        args.extend(as_of.iter().flat_map(|d| ["--as-of", d]));
        let o = output(&mut ragdiag_cmd(&args));
        assert_eq!(o.code, 0, "{}", o.stderr);
        assert!(!o.stderr.contains("panicked"), "{}", o.stderr);
        let expected = if as_of.is_some() { 2 } else { 1 };
        assert_eq!(
            o.stderr
                .matches("updated_at: dated after the audit date")
                .count()
                .min(1),
            1,
            "{}",
            o.stderr
        );
        let findings = std::fs::read_to_string(out.join("warnings.jsonl")).unwrap();
        assert_eq!(
            findings.matches("dated after the audit date").count(),
            expected,
            "{findings}"
        );
    }
}
