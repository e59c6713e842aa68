//! `diagnose --trace` streamed: a ragdiag trace read in batches, from a file or from standard
//! input (`--trace -`), writes the same reports at any batch size.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `diagnose` on the demo with `trace` (a path, or `-` with `stdin` piped in), lines per batch
/// `batch`, on `threads` rayon threads (all the machine's when empty); returns the exit code and
/// standard error.
fn diagnose_on(
    out: &Path,
    trace: &str,
    stdin: Option<&[u8]>,
    batch: &str,
    threads: &str,
) -> (i32, String) {
    let r = repo();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ragdiag"));
    cmd.args(["diagnose", "--quiet", "--corpus"])
        .arg(r.join("corpora/tallyfox"))
        .arg("--queries")
        .arg(r.join("queries/tallyfox.jsonl"))
        .args(["--trace", trace, "--as-of", "2026-10-01", "--out"])
        .arg(out)
        .env("NO_COLOR", "1")
        .env_remove("RAGDIAG_TRACE_BATCH_BYTES")
        .env("RAGDIAG_TRACE_BATCH", batch)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // `LINES:BYTES`: batches closed at either.
    if let Some((lines, bytes)) = batch.split_once(':') {
        cmd.env("RAGDIAG_TRACE_BATCH", lines)
            .env("RAGDIAG_TRACE_BATCH_BYTES", bytes);
    }
    if !threads.is_empty() {
        cmd.env("RAYON_NUM_THREADS", threads);
    }
    let mut child = cmd.spawn().unwrap();
    let mut pipe = child.stdin.take().unwrap();
    if let Some(bytes) = stdin {
        // A reader that stops early (an error) closes the pipe: not a failure of the test.
        let _ = pipe.write_all(bytes);
    }
    drop(pipe);
    let o = child.wait_with_output().unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// [`diagnose_on`] on all the machine's threads.
fn diagnose(out: &Path, trace: &str, stdin: Option<&[u8]>, batch: &str) -> (i32, String) {
    diagnose_on(out, trace, stdin, batch, "")
}

/// The demo trace with a line for an unknown question and a second line for a question
/// (both warnings), lines out of order, and one question left without a line.
fn doctored() -> String {
    let trace = std::fs::read_to_string(repo().join("queries/tallyfox.trace.jsonl")).unwrap();
    let mut lines: Vec<String> = trace.lines().map(str::to_owned).collect();
    lines.reverse();
    lines.pop();
    let second = lines[4].clone();
    lines.insert(9, second);
    lines.insert(
        2,
        lines[0].replacen("\"query_id\": \"", "\"query_id\": \"nope-", 1),
    );
    lines.join("\n") + "\n"
}

/// Every file of a report folder, with the trace's path `trace` read as `<stdin>`, JSON without
/// the entries that name the run (`created_at`, `command`, the trace's path), the page
/// and `report.md` without them.
fn outputs(dir: &Path, trace: &str) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            let mut bytes = std::fs::read(&p).unwrap();
            if name.ends_with(".json") {
                let mut v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
                let prov = v["provenance"].as_object_mut().unwrap();
                for k in ["created_at", "command", "trace"] {
                    prov.remove(k);
                }
                bytes = serde_json::to_vec_pretty(&v).unwrap();
            }
            if !name.ends_with(".parquet") {
                let stdin = if name.ends_with(".html") {
                    "&lt;stdin&gt;"
                } else {
                    "<stdin>"
                };
                let text = String::from_utf8(bytes).unwrap().replace(trace, stdin);
                let kept: Vec<&str> = text
                    .split_inclusive('\n')
                    .filter(|l| {
                        ![
                            "<dt>Command</dt>",
                            "<dt>Created at</dt>",
                            "<dt>Trace</dt>",
                            "<sub>ragdiag ",
                        ]
                        .iter()
                        .any(|dt| l.contains(dt))
                    })
                    .collect();
                bytes = kept.concat().into_bytes();
            }
            (name, bytes)
        })
        .collect();
    files.sort();
    files
}

#[test]
fn a_trace_from_standard_input_in_batches_of_one_or_on_one_thread_writes_the_same_reports() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("t.jsonl");
    std::fs::write(&trace, doctored()).unwrap();
    // The same folder name (the report's title).
    let (a, b, c) = (
        dir.path().join("a/r"),
        dir.path().join("b/r"),
        dir.path().join("c/r"),
    );
    let (code, err) = diagnose(&a, trace.to_str().unwrap(), None, "100000");
    assert_eq!(code, 0, "{err}");
    let (code, err) = diagnose(&b, "-", Some(doctored().as_bytes()), "1");
    assert_eq!(code, 0, "{err}");
    let (code, err) = diagnose(&c, trace.to_str().unwrap(), None, "7");
    assert_eq!(code, 0, "{err}");
    // Batches closed by their bytes (each a few lines of the demo's ~2 KB lines).
    let e = dir.path().join("e/r");
    let (code, err) = diagnose(&e, trace.to_str().unwrap(), None, "100000:5000");
    assert_eq!(code, 0, "{err}");
    // One thread: the reader and the diagnosis take turns; the same reports.
    let d = dir.path().join("d/r");
    let (code, err) = diagnose_on(&d, trace.to_str().unwrap(), None, "7", "1");
    assert_eq!(code, 0, "{err}");
    let t = trace.to_str().unwrap();
    let (fa, fb, fc) = (outputs(&a, t), outputs(&b, t), outputs(&c, t));
    assert!(outputs(&d, t) == fc, "one thread and several differ");
    assert!(outputs(&e, t) == fc, "batches of lines and of bytes differ");
    assert!(
        fa.len() >= 8,
        "{:?}",
        fa.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    for ((x, y), z) in fa.iter().zip(&fb).zip(&fc) {
        assert_eq!(x.0, y.0);
        assert!(
            x.1 == y.1,
            "{} differs between a file and standard input",
            x.0
        );
        assert!(x.1 == z.1, "{} differs between batches", x.0);
    }
    assert_eq!(fa.len(), fb.len());
    let s = crate::summary(&b);
    assert_eq!(s["provenance"]["trace"], "-");
    assert_eq!(
        s["provenance"]["trace_sha256"],
        crate::summary(&a)["provenance"]["trace_sha256"]
    );
    let warnings = std::fs::read_to_string(b.join("warnings.jsonl")).unwrap();
    for w in [
        "is not a known question",
        "traced twice",
        "no trace line for this question",
    ] {
        assert!(warnings.contains(w), "{w}: {warnings}");
    }
    assert!(warnings.contains("<stdin>:"), "{warnings}");
}

#[test]
fn a_malformed_line_on_standard_input_is_located_and_a_bad_batch_size_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut bad = doctored();
    bad.push_str("{\"query_id\": \"q001\"}\n");
    let lines = bad.lines().count();
    let (code, err) = diagnose(&dir.path().join("a"), "-", Some(bad.as_bytes()), "5");
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!(
            "<stdin>:{lines}: retrieved: missing required field"
        )),
        "{err}"
    );
    assert!(!dir.path().join("a").exists());
    let (code, err) = diagnose(&dir.path().join("b"), "-", Some(b"{}"), "0");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("RAGDIAG_TRACE_BATCH"), "{err}");
    let (code, err) = diagnose(&dir.path().join("c"), "-", Some(b"{}"), "5:0");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("RAGDIAG_TRACE_BATCH_BYTES"), "{err}");
}

/// `diagnose` of `queries` against the demo's corpus and trace (streamed), into `out`.
fn diagnose_questions(queries: &Path, out: &Path) -> (i32, String) {
    let r = repo();
    let o = Command::new(env!("CARGO_BIN_EXE_ragdiag"))
        .args(["diagnose", "--quiet", "--corpus"])
        .arg(r.join("corpora/tallyfox"))
        .arg("--queries")
        .arg(queries)
        .arg("--trace")
        .arg(r.join("queries/tallyfox.trace.jsonl"))
        .args(["--as-of", "2026-10-01", "--out"])
        .arg(out)
        .env("NO_COLOR", "1")
        .env_remove("RAGDIAG_TRACE_BATCH")
        .env_remove("RAGDIAG_TRACE_BATCH_BYTES")
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn questions_past_one_part_are_written_as_they_come_with_the_same_rows() {
    use ragdiag_contract::table::{Values, HITS, QUERIES};
    // The demo's 40 labelled questions, then 4,096 unlabelled ones no trace line names: the
    // tables' second part (questions 4,097 on) holds no labelled question.
    let dir = tempfile::tempdir().unwrap();
    let r = repo();
    let demo = std::fs::read_to_string(r.join("queries/tallyfox.jsonl")).unwrap();
    let mut many = demo.clone();
    for i in 0..4096 {
        many.push_str(&format!(
            "{{\"id\": \"u{i:04}\", \"text\": \"which plan includes feature {i}?\"}}\n"
        ));
    }
    let (few_q, many_q) = (dir.path().join("few.jsonl"), dir.path().join("many.jsonl"));
    std::fs::write(&few_q, &demo).unwrap();
    std::fs::write(&many_q, &many).unwrap();
    let (few, big) = (dir.path().join("few"), dir.path().join("many"));
    let (code, err) = diagnose_questions(&few_q, &few);
    assert_eq!(code, 0, "{err}");
    let (code, err) = diagnose_questions(&many_q, &big);
    assert_eq!(code, 0, "{err}");
    let n_demo = demo.lines().count();
    let table = |dir: &Path, t: &ragdiag_contract::table::Table| {
        ragdiag_load::read_table(&dir.join(t.file), t).unwrap()
    };
    // Every row of the demo's questions is the same in both runs, metrics included; the
    // unlabelled questions have null metrics.
    let (a, b) = (table(&few, &QUERIES), table(&big, &QUERIES));
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x.name, y.name);
        let head = |v: &Values| match v {
            Values::Utf8(v) => format!("{:?}", &v[..n_demo]),
            Values::Int64(v) => format!("{:?}", &v[..n_demo]),
            Values::Float64(v) => format!("{:?}", &v[..n_demo]),
            Values::Boolean(v) => format!("{:?}", &v[..n_demo]),
            Values::Utf8List(v) => format!("{:?}", &v[..n_demo]),
        };
        assert_eq!(head(&x.values), head(&y.values), "column {}", x.name);
        if x.name == "ndcg@10" {
            let Values::Float64(v) = &y.values else {
                panic!("ndcg@10 is not a float column")
            };
            assert_eq!(v.len(), n_demo + 4096);
            assert!(v[..n_demo].iter().any(Option::is_some));
            assert!(v[n_demo..].iter().all(Option::is_none));
        }
    }
    assert!(b.iter().any(|c| c.name == "ndcg@10"));
    // The hits: the demo's, nothing for the questions no line named.
    assert_eq!(
        format!("{:?}", table(&few, &HITS)),
        format!("{:?}", table(&big, &HITS))
    );
}

/// 4,096 questions no line names, then the demo's: with batches of one line the demo's lines
/// come more than a part and a batch before their turn (the first question's part waits for
/// the trace's end), so they wait in a temporary file in `TMPDIR`. The reports equal those of
/// batches of 256 lines (no line waits), `diagnose` says how many waited, and a `TMPDIR` that
/// does not exist is an error that names it.
#[test]
fn lines_long_before_their_turn_wait_in_a_temporary_file_with_the_same_reports() {
    let dir = tempfile::tempdir().unwrap();
    let r = repo();
    let demo = std::fs::read_to_string(r.join("queries/tallyfox.jsonl")).unwrap();
    let mut many = String::new();
    for i in 0..4096 {
        many.push_str(&format!(
            "{{\"id\": \"u{i:04}\", \"text\": \"which plan includes feature {i}?\"}}\n"
        ));
    }
    many.push_str(&demo);
    let queries = dir.path().join("many.jsonl");
    std::fs::write(&queries, &many).unwrap();
    let trace = r.join("queries/tallyfox.trace.jsonl");
    let tmp = dir.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let run = |out: &Path, batch: &str, tmpdir: &Path| {
        let o = Command::new(env!("CARGO_BIN_EXE_ragdiag"))
            .args(["diagnose", "--corpus"])
            .arg(r.join("corpora/tallyfox"))
            .arg("--queries")
            .arg(&queries)
            .arg("--trace")
            .arg(&trace)
            .args(["--as-of", "2026-10-01", "--out"])
            .arg(out)
            .env("NO_COLOR", "1")
            .env("TMPDIR", tmpdir)
            .env("RAGDIAG_TRACE_BATCH", batch)
            .env_remove("RAGDIAG_TRACE_BATCH_BYTES")
            .output()
            .unwrap();
        (
            o.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    // The same folder name (the report's title).
    let (waited, whole) = (dir.path().join("a/r"), dir.path().join("b/r"));
    let (code, err) = run(&waited, "1", &tmp);
    assert_eq!(code, 0, "{err}");
    let demo_lines = demo.lines().count();
    // The demo's questions sit at 4,096 on; those from 4,097 on wait (4,096 + 1 ahead).
    let note = format!(
        "{} questions' trace lines came long before their turn",
        demo_lines - 1
    );
    assert!(err.contains(&note), "{err}");
    assert!(err.contains("waited in a temporary file"), "{err}");
    // The file is unnamed: nothing is left behind.
    assert_eq!(std::fs::read_dir(&tmp).unwrap().count(), 0);
    let (code, err) = run(&whole, "256", &tmp);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("waited in a temporary file"), "{err}");
    let t = trace.to_string_lossy();
    let (fa, fb) = (outputs(&waited, &t), outputs(&whole, &t));
    assert!(
        fa.len() >= 8,
        "{:?}",
        fa.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    for (x, y) in fa.iter().zip(&fb) {
        assert_eq!(x.0, y.0);
        assert!(x.1 == y.1, "{} differs when lines wait", x.0);
    }
    assert_eq!(fa.len(), fb.len());
    // No such TMPDIR and no line waits: the questions, their labels and briefs are held in memory,
    // with a note naming TMPDIR, and the reports are the same.
    let nowhere = dir.path().join("no-such-dir");
    let held = dir.path().join("d/r");
    let (code, err) = run(&held, "256", &nowhere);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("TMPDIR") && err.contains("no-such-dir") && err.contains("held in memory"),
        "{err}"
    );
    let fd = outputs(&held, &t);
    assert_eq!(fd.len(), fb.len());
    for (x, y) in fd.iter().zip(&fb) {
        assert_eq!(x.0, y.0);
        assert!(x.1 == y.1, "{} differs when held in memory", x.0);
    }
    // No such TMPDIR and lines that must wait: the run stops, naming it, and writes no report.
    let failed = dir.path().join("c/r");
    let (code, err) = run(&failed, "1", &nowhere);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("TMPDIR") && err.contains("no-such-dir"),
        "{err}"
    );
    assert!(!failed.exists());
}
