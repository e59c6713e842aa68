//! Compares [`MiniLmEmbedder`] with reference vectors (the conformance script runs this).
//!
//! `cargo run --release -p ragdiag-embed --example fixture_check -- [FIXTURE]`, where FIXTURE
//! defaults to `../shared/fixtures/minilm_reference.jsonl` (relative to the workspace root).
//! Prints one line a text and the minimum cosines; exits 1 when a threshold is missed and 2 on
//! an error (including a missing fixture).

#![allow(clippy::print_stdout, clippy::print_stderr)]

use ragdiag_embed::{
    compare_with_reference, Embedder, MiniLmEmbedder, ModelOptions, FP32_MIN_COSINE,
    INT8_ONNX_MIN_COSINE,
};
use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let path = std::env::args_os().nth(1).map_or_else(
        || {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../../shared/fixtures/minilm_reference.jsonl")
        },
        PathBuf::from,
    );
    let result = MiniLmEmbedder::from_cache(&ModelOptions::default())
        .and_then(|m| compare_with_reference(&m, &path).map(|r| (m, r)));
    let (model, report) = match result {
        Ok(x) => x,
        Err(e) => {
            let mut msg = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                msg.push_str(&format!(": {s}"));
                source = s.source();
            }
            eprintln!("fixture_check: {msg}");
            return ExitCode::from(2);
        }
    };
    println!("model {}  fixture {}", model.model_id(), path.display());
    for row in &report.rows {
        let fp32 = row
            .fp32
            .map_or_else(|| "-".to_owned(), |c| format!("{c:.7}"));
        println!(
            "{:.7}  {fp32}  {:?}",
            row.int8_onnx,
            row.text.chars().take(60).collect::<String>()
        );
    }
    let int8 = report.min_int8_onnx().map_or(f64::NAN, |(c, _)| c);
    let fp32 = report.min_fp32().map_or(f64::NAN, |(c, _)| c);
    println!(
        "min cosine vs int8_onnx {int8:.7} (need {INT8_ONNX_MIN_COSINE}); vs fp32_sentence_transformers {fp32:.7} (need {FP32_MIN_COSINE})"
    );
    if report.passes() {
        println!("ok");
        ExitCode::SUCCESS
    } else {
        println!("FAILED");
        ExitCode::from(1)
    }
}
