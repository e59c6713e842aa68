//! Bad input never panics: exit code 2 with `path:line: field: reason`.

use crate::{ragdiag, write};

fn eval_err(qrels: &[u8], run: &[u8]) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let q = write(dir.path(), "qrels.txt", qrels);
    let r = write(dir.path(), "run.trec", run);
    let out = ragdiag(&["eval", "--quiet", "-m", "map", &q, &r]);
    assert_eq!(out.code, 2, "stdout {} stderr {}", out.stdout, out.stderr);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    assert!(out.stdout.is_empty());
    (out.stderr, dir.path().to_string_lossy().into_owned())
}

const Q: &[u8] = b"1 0 d1 1\n";

#[test]
fn malformed_runs_are_located() {
    for (run, expected) in [
        (
            &b"1 Q0 d1 1 0.5 t\n1 Q0 d2 2 t\n"[..],
            "run.trec:2: expected 6 columns (qid Q0 docno rank score tag), found 5",
        ),
        (
            b"1 Q0 d1 1 high t\n",
            "run.trec:1: score: expected a number, found \"high\"",
        ),
        (
            b"1 Q0 d1 1 0.5 t\n1 Q0 d\xc3\x28 2 0.4 t\n",
            "run.trec:2: invalid UTF-8",
        ),
        (b"", "run.trec: empty run"),
        (
            b"1 Q0 d1 1 0.5 t\n1 Q0 d2 2 0.4 t\n1 Q0 d1 3 0.3 t\n",
            "run.trec:3: docno: document \"d1\" retrieved twice for query \"1\"",
        ),
        (
            b"\x7fELF\x02\x01\x01\x00\x00\x00\x00",
            "run.trec:1: NUL byte",
        ),
        (
            b"2 Q0 d1 1 0.5 t\n",
            "run.trec: no queries with both results and relevance judgments",
        ),
    ] {
        let (err, dir) = eval_err(Q, run);
        let want = format!("error: {dir}/{expected}");
        assert!(err.starts_with(&want), "got {err}\nwant {want}");
    }
}

#[test]
fn malformed_qrels_are_located() {
    for (qrels, expected) in [
        (
            &b"1 d1\n"[..],
            "qrels.txt:1: expected 4 columns (qid iter docno rel), found 2",
        ),
        (
            b"1 0 d1 1\n1 0 d2\n",
            "qrels.txt:2: expected 4 columns (qid iter docno rel), found 3",
        ),
        (
            b"1 0 d1 yes\n",
            "qrels.txt:1: rel: expected an integer grade, found \"yes\"",
        ),
        (
            b"1 0 d1 1\n1 0 d1 1\n",
            "qrels.txt:2: docno: duplicate judgment",
        ),
    ] {
        let (err, dir) = eval_err(qrels, b"1 Q0 d1 1 0.5 t\n");
        let want = format!("error: {dir}/{expected}");
        assert!(err.starts_with(&want), "got {err}\nwant {want}");
    }
}

#[test]
fn bom_and_crlf_are_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let q = write(dir.path(), "q", b"\xEF\xBB\xBF1 0 d1 1\r\n");
    let r = write(dir.path(), "r", b"\xEF\xBB\xBF1 Q0 d1 1 0.5 t\r\n");
    let out = ragdiag(&["eval", "-m", "map", &q, &r]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "map                   \tall\t1.0000\n");
}

#[test]
fn missing_files_directories_and_bad_flags() {
    let dir = tempfile::tempdir().unwrap();
    let q = write(dir.path(), "q", Q);
    let d = dir.path().to_string_lossy().into_owned();
    let out = ragdiag(&["eval", &q, &format!("{d}/nope")]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("nope: cannot read"), "{}", out.stderr);
    // The cause is said once, not once by the error and again by its chain.
    assert_eq!(out.stderr.matches("os error").count(), 1, "{}", out.stderr);
    let out = ragdiag(&["eval", &q, &d]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("is a directory, expected a file"),
        "{}",
        out.stderr
    );
    let out = ragdiag(&["eval", "-m", "bogus", &q, &q]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("unknown measure \"bogus\""),
        "{}",
        out.stderr
    );
    let out = ragdiag(&["eval", "-m", "P.5,5", &q, &q]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("duplicate cutoffs"), "{}", out.stderr);
    let out = ragdiag(&["eval", "--nope"]);
    assert_eq!(out.code, 2);
}
