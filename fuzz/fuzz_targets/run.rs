//! TREC and JSON runs (the first byte picks detection, TREC or JSON, and the reader's chunk
//! size): items or a located error; the parallel chunked reader gives the same run (or the
//! same error) for every chunk size; what was accepted, written back as a TREC run, reads back
//! identical, query by query in file order.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ragdiag_fuzz::{check_error, line_count};
use ragdiag_load::{parse_run, parse_run_in_chunks, CompactRun, RunFormat};
use std::fmt::Write as _;
use std::path::Path;

/// Each query's (docno, score bits) in file order.
type Queries = Vec<(String, Vec<(String, u64)>)>;

/// Each query's (docno, score) in file order, and the tag.
fn entries(run: &CompactRun) -> (Queries, String) {
    let queries = run
        .queries
        .iter()
        .map(|q| {
            let docs = q
                .entries
                .iter()
                .map(|e| (run.docno(e).to_owned(), e.score.to_bits()))
                .collect();
            (q.qid.clone(), docs)
        })
        .collect();
    (queries, run.tag.clone())
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let format = match selector % 3 {
        0 => None,
        1 => Some(RunFormat::Trec),
        _ => Some(RunFormat::Json),
    };
    let chunk = usize::from(selector / 3) + 1;
    let path = Path::new("fuzz.run");
    let whole = parse_run(path, body.to_vec(), format);
    let chunked = parse_run_in_chunks(path, body.to_vec(), format, chunk);
    match (&whole, &chunked) {
        (Ok(a), Ok(b)) => assert_eq!(entries(a), entries(b), "chunks of {chunk} bytes"),
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "chunks of {chunk} bytes"),
        (a, b) => panic!(
            "chunks of {chunk} bytes: {:?} vs {:?}",
            a.as_ref().err(),
            b.as_ref().err()
        ),
    }
    let run = match whole {
        Ok(run) => run,
        Err(e) => {
            check_error(&e, path, line_count(body));
            return;
        }
    };
    assert!(!run.is_empty(), "an empty run was accepted");
    let (queries, tag) = entries(&run);
    assert!(
        queries.windows(2).all(|w| w[0].0 < w[1].0),
        "queries not sorted by id"
    );
    let mut text = String::new();
    for (qid, docs) in &queries {
        for (rank, (doc, score)) in docs.iter().enumerate() {
            let _ = writeln!(
                text,
                "{qid} Q0 {doc} {} {} {tag}",
                rank + 1,
                f64::from_bits(*score)
            );
        }
    }
    let back = parse_run(path, text.clone().into_bytes(), Some(RunFormat::Trec))
        .unwrap_or_else(|e| panic!("the run written back does not read: {e}\n{text}"));
    // A JSON run is named after its file; a TREC run carries its tag.
    assert_eq!(
        entries(&back),
        (queries, tag),
        "round trip changed the run\n{text}"
    );
});
