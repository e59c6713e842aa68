//! TREC and BEIR qrels (the first byte picks detection, TREC or BEIR): items or a located error,
//! strict and lenient loads agreeing, and what was accepted, written back as TREC qrels and as
//! BEIR TSV, reads back identical.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ragdiag_core::Qrels;
use ragdiag_fuzz::{check_loads, line_count};
use ragdiag_load::{parse_qrels, LoadOptions, QrelsFormat};
use std::fmt::Write as _;
use std::path::Path;

/// A line that starts with `#` is a comment (trec_eval 10.0's `get_qrels.c`), so a query id
/// that starts with `#` (legal: read from an indented line) is written indented.
fn indent(qid: &str) -> &'static str {
    if qid.starts_with('#') {
        " "
    } else {
        ""
    }
}

fn trec(q: &Qrels) -> String {
    let mut out = String::new();
    for (qid, judged) in &q.queries {
        for (doc, grade) in judged.iter() {
            let _ = writeln!(out, "{}{qid} 0 {doc} {grade}", indent(qid));
        }
    }
    out
}

fn beir(q: &Qrels) -> String {
    let mut out = String::from("query-id\tcorpus-id\tscore\n");
    for (qid, judged) in &q.queries {
        for (doc, grade) in judged.iter() {
            let _ = writeln!(out, "{}{qid}\t{doc}\t{grade}", indent(qid));
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let format = match selector % 3 {
        0 => None,
        1 => Some(QrelsFormat::Trec),
        _ => Some(QrelsFormat::Beir),
    };
    let path = Path::new("fuzz.qrels");
    let strict = parse_qrels(path, body, format, &LoadOptions::default());
    let lenient = parse_qrels(path, body, format, &LoadOptions { skip_invalid: true });
    let Some(qrels) = check_loads(&strict, &lenient, path, line_count(body)) else {
        return;
    };
    for (text, f) in [
        (trec(qrels), QrelsFormat::Trec),
        (beir(qrels), QrelsFormat::Beir),
    ] {
        let back = parse_qrels(path, text.as_bytes(), Some(f), &LoadOptions::default())
            .unwrap_or_else(|e| panic!("{f:?} qrels written back do not read: {e}\n{text}"));
        assert_eq!(
            &back.items, qrels,
            "{f:?} round trip changed the qrels\n{text}"
        );
    }
});
