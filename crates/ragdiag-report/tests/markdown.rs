//! Tests of `render_markdown_json`: a snapshot of the sample report, escaping, empty input.
#![allow(missing_docs)]

mod common;

use common::{sample_questions, sample_summary};
use ragdiag_report::{render_markdown_json, QuestionView};
use serde_json::json;

#[test]
fn sample_report() {
    insta::assert_snapshot!(render_markdown_json(&sample_summary(), &sample_questions()));
}

#[test]
fn empty_summary() {
    assert_eq!(
        render_markdown_json(&json!({}), &[]),
        "# ragdiag diagnosis\n"
    );
    assert_eq!(
        render_markdown_json(&json!(null), &[QuestionView::default()])
            .lines()
            .next(),
        Some("# ragdiag diagnosis")
    );
}

#[test]
fn table_cells_and_html_are_escaped() {
    let summary = json!({
        "headline": ["<script>x</script> | *bold*"],
        "by_tag": [{"tag": "a|b\nc", "n": 1}],
    });
    let q = QuestionView {
        id: "q|1`".into(),
        class: "ranking_miss".into(),
        reason: "<b>".into(),
        ..QuestionView::default()
    };
    let md = render_markdown_json(&summary, &[q]);
    assert!(md.contains("- &lt;script&gt;x&lt;/script&gt; \\| \\*bold\\*"));
    assert!(md.contains("| a\\|b c | 1 |"));
    assert!(md.contains("- `` q\\|1` `` **Ranking miss**: &lt;b&gt;"));
    assert!(!md.contains("<script") && !md.contains("<b>"));
}
