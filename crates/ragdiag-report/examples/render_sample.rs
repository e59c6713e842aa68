//! Renders the test fixtures' made-up report: `cargo run -p ragdiag-report --example
//! render_sample -- OUT_DIR` writes `report.html`, `report.md` and `summary.json` there.
#![allow(missing_docs)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| ".".to_owned()));
    std::fs::create_dir_all(&dir)?;
    let summary = common::sample_summary();
    let questions = common::sample_questions();
    std::fs::write(
        dir.join("report.html"),
        ragdiag_report::render_html_json(&summary, &questions),
    )?;
    std::fs::write(
        dir.join("report.md"),
        ragdiag_report::render_markdown_json(&summary, &questions),
    )?;
    std::fs::write(
        dir.join("summary.json"),
        serde_json::to_string_pretty(&summary)?,
    )?;
    Ok(())
}
