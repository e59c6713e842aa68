//! `ragdiag lint`: every malformed record listed, cross-checks as warnings.

use crate::{ragdiag, write};

#[test]
fn lists_all_errors_and_warnings_then_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let c = write(
        dir.path(),
        "corpus.jsonl",
        b"{\"id\":\"a\",\"text\":\"Refunds within 14 days.\",\"supersedes\":\"ghost\"}\n{\"id\":\"b\"}\nnot json\n{\"id\":\"a\",\"text\":\"again\"}\n",
    );
    let q = write(
        dir.path(),
        "queries.jsonl",
        b"{\"id\":\"q1\",\"text\":\"refund?\",\"evidence\":[{\"doc\":\"a\",\"quote\":\"within 30 days\"}],\"relevant\":[{\"doc\":\"zz\",\"grade\":1}]}\n{\"id\":\"q1\",\"text\":\"dup\"}\n",
    );
    let out = ragdiag(&["lint", "--corpus", &c, "--queries", &q]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    let lines: Vec<&str> = out.stdout.lines().collect();
    let expect = [
        "error: CORPUS:2: text: missing required field",
        "error: CORPUS:3: invalid JSON at column 2: expected ident",
        "warning: CORPUS:4: id: duplicate document id \"a\"",
        "warning: CORPUS:1: supersedes: \"ghost\" is not in the corpus",
        "warning: QUERIES:2: id: duplicate query id \"q1\"",
        "warning: QUERIES:1: relevant[0].doc: \"zz\" is not in the corpus",
        "warning: QUERIES:1: evidence[0].quote: not found in \"a\"",
    ];
    for e in expect {
        let e = e.replace("CORPUS", &c).replace("QUERIES", &q);
        assert!(
            lines.iter().any(|l| l.starts_with(&e)),
            "missing {e}\n{}",
            out.stdout
        );
    }
    assert_eq!(lines.len(), expect.len(), "{}", out.stdout);
    assert!(
        out.stderr.contains("2 errors, 5 warnings"),
        "{}",
        out.stderr
    );
}

#[test]
fn clean_inputs_exit_0() {
    let dir = tempfile::tempdir().unwrap();
    let c = write(
        dir.path(),
        "c.jsonl",
        b"{\"id\":\"a\",\"text\":\"Refunds within 14 days.\"}\n",
    );
    let q = write(dir.path(), "q.jsonl", b"{\"id\":\"q1\",\"text\":\"refund?\",\"evidence\":[{\"doc\":\"a\",\"quote\":\"within 14 days\"}]}\n");
    let out = ragdiag(&["lint", "--corpus", &c, "--queries", &q, "--format", "json"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["errors"], 0);
    assert_eq!(v["warnings"], 0);
}
