//! Parquet corpora. An even first byte: the rest is a Parquet file as is (mutated files).
//! An odd one: the rest is a JSONL corpus, written to Parquet through arrow's JSON reader; both
//! files load to the same documents when both load. Every load gives documents or an error
//! naming the file (rows as lines: a row that exists).
#![no_main]

use arrow::json::reader::{infer_json_schema, ReaderBuilder};
use libfuzzer_sys::fuzz_target;
use parquet::arrow::ArrowWriter;
use ragdiag_fuzz::{check_loads, write_scratch};
use ragdiag_load::{load_corpus, LoadOptions};
use std::io::{BufReader, Cursor};
use std::sync::Arc;

/// The JSONL records as one Parquet file, or `None` when arrow cannot convert them.
fn to_parquet(jsonl: &[u8]) -> Option<Vec<u8>> {
    let (schema, _) = infer_json_schema(BufReader::new(Cursor::new(jsonl)), None).ok()?;
    let schema = Arc::new(schema);
    let reader = ReaderBuilder::new(schema.clone())
        .build(BufReader::new(Cursor::new(jsonl)))
        .ok()?;
    let mut out = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut out, schema, None).ok()?;
    for batch in reader {
        writer.write(&batch.ok()?).ok()?;
    }
    writer.close().ok()?;
    Some(out)
}

fuzz_target!(|data: &[u8]| {
    // The Parquet readers contain the parquet crate's panics on damaged pages (FUZZING.md, 10).
    ragdiag_fuzz::allow_contained_panics();
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let (parquet, jsonl) = if selector % 2 == 0 {
        (body.to_vec(), None)
    } else {
        let Some(p) = to_parquet(body) else { return };
        (p, Some(body))
    };
    let rows = u64::MAX; // rows are numbered from 1; any row the file holds
    let path = write_scratch("corpus.parquet", &parquet);
    let strict = load_corpus(&path, &LoadOptions::default());
    let lenient = load_corpus(&path, &LoadOptions { skip_invalid: true });
    let Some(docs) = check_loads(&strict, &lenient, &path, rows) else {
        return;
    };
    let Some(jsonl) = jsonl else { return };
    let jpath = write_scratch("corpus2.jsonl", jsonl);
    if let Ok(j) = load_corpus(&jpath, &LoadOptions::default()) {
        let key = |d: &ragdiag_core::Document| (d.id.clone(), d.title.clone(), d.text.clone());
        let a: Vec<_> = docs.iter().map(key).collect();
        let b: Vec<_> = j.items.iter().map(key).collect();
        assert_eq!(a, b, "Parquet and JSONL of the same records differ");
    }
});
