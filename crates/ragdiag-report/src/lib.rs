//! Rendering of the reports of `ragdiag diagnose`: `report.html` and `report.md`.
//!
//! Pure rendering: the input is data, the output a string; no I/O.
//!
//! - [`render_html`] (typed, from a [`DiagnoseSummary`]) and [`render_html_json`] (from the
//!   JSON of `summary.json`, also of a partial or hand-written one): one self-contained HTML page (inline CSS and inline SVG charts, no
//!   script, no external resource of any kind, a Content-Security-Policy that forbids loading
//!   anything). Sections, with the stable ids of [`SECTION_IDS`], in order: `summary`,
//!   `metrics`, `classes`, `recall-curve`, `freshness`, `tags`, `generation`, `thresholds`,
//!   `review`, `golden-set`, `questions`, `provenance`, `warnings`. Every page has all of them; a section with no data says so.
//! - [`render_markdown`] / [`render_markdown_json`]: the headline, gates and tables, and the failing questions, for pull
//!   requests and wikis.
//!
//! - [`question_views`]: the drill-down views of a diagnosis (the window, a few hits below it,
//!   the best gold chunk), built from the diagnoses, the retrieved items and the corpus.
//!
//! # Input
//!
//! - `summary`: the exact content of `summary.json` as a [`serde_json::Value`]. Every figure on
//!   the page is read from it, so the page always agrees with the file. Any field may be absent
//!   or of the wrong type: it is then shown as an em dash, or its section as empty.
//! - `questions`: one [`QuestionView`] per question for the drill-down (failing questions first,
//!   grouped by class in DESIGN.md's decision order; `ok`, `no_label` and `unanswerable` ones
//!   folded in `<details>`). The typed renderers ([`render_html`], [`render_markdown`]) take a
//!   [`Drill`] instead: the counts per class and only the views the pages show
//!   ([`Drill::of`] makes one from every question's view, [`drawn_question_views`] from a run).
//!
//! # Figures
//!
//! Each number shown from the summary sits in an element with `data-figure` naming its path and
//! `data-value` holding the number's JSON text, e.g.
//! `<span data-figure="metrics.recall@10.mean" data-value="0.78">78.0%</span>`. A path joins
//! object keys and array indexes with `.`; inside a key, `\` is written `\\` and `.` is written
//! `\.`. Shares are shown as percentages with one decimal (`78.0%`) and CIs as `71.2–84.1%`;
//! rate-like metrics (recall, precision, hit, success, judged) as percentages, other scores
//! (nDCG, MRR, MAP, bpref) with three decimals. Metrics are listed by family, then cut-off, and
//! classes in the decision order, whatever the order of the JSON object.
//!
//! # Escaping
//!
//! Every string from the input (question, answer, snippet, document id, tag, warning, even keys)
//! is HTML-escaped in the page, and escaped for Markdown in `report.md`. Highlights are
//! code-point ranges, clamped and merged ([`normalize_ranges`]) before marking.
//!
//! ```
//! use ragdiag_report::{render_html_json, render_markdown_json, QuestionView, RetrievedView};
//!
//! let summary = serde_json::json!({
//!     "schema_version": 1, "mode": "replay", "name": "demo",
//!     "headline": ["Retrieval found the right source for 78% of questions."],
//!     "metrics": {"recall@10": {"mean": 0.78, "ci_lower": 0.71, "ci_upper": 0.84, "n": 121}},
//! });
//! let question = QuestionView {
//!     id: "q1".into(),
//!     text: "How much is <Growth>?".into(),
//!     class: "ranking_miss".into(),
//!     reason: "the gold chunk of `pricing` ranked 7, outside the context window of 5".into(),
//!     retrieved: vec![RetrievedView {
//!         rank: 7,
//!         doc: "pricing".into(),
//!         text: "Growth costs $39 per month.".into(),
//!         holds_evidence: true,
//!         highlight: vec![(0, 26)],
//!         ..RetrievedView::default()
//!     }],
//!     ..QuestionView::default()
//! };
//! let html = render_html_json(&summary, &[question.clone()]);
//! assert!(html.contains(r#"data-figure="metrics.recall@10.mean" data-value="0.78">78.0%<"#));
//! assert!(html.contains("How much is &lt;Growth&gt;?"));
//! assert!(html.contains("<mark>Growth costs $39 per month</mark>."));
//! let md = render_markdown_json(&summary, &[question]);
//! assert!(md.contains("| `recall@10` | 78.0% | 71.0–84.0% | 121 |"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod chunking;
mod compare;
mod cost;
mod decisions;
mod drill;
mod escape;
mod figure;
mod freshness;
mod golden;
mod highlight;
mod html;
mod labelling;
mod markdown;
mod node;
mod svg;
mod thresholds;
mod trend;
mod view;

pub use chunking::{chunking_verdict, render_chunking_markdown, render_chunking_text, table_csv};
pub use compare::{compare_table, render_compare_markdown};
pub use drill::{drawn_question_views, question_views, ByQuestion, Drill, DrillInput, Shown};
pub use freshness::render_freshness_markdown;
pub use highlight::{highlight_html, normalize_ranges};
pub use html::{render_html_json, SECTION_IDS, SHOWN_PER_CLASS};
pub use labelling::{pool_csv, render_labelling_page, traffic_csv, LabelTask, GRADES};
pub use markdown::{render_markdown_json, MAX_FAILING};
pub use trend::{render_trend_html, render_trend_markdown, trend_table};

use ragdiag_contract::DiagnoseSummary;

/// `report.html` of a diagnosis: [`render_html_json`] over its summary's [`summary_tree`], so
/// every `data-figure` path is the figure's path in `summary.json`.
#[must_use]
pub fn render_html(tree: &serde_json::Value, drill: &Drill<'_>) -> String {
    html::render(tree, drill)
}

/// `report.md` of a diagnosis: [`render_markdown_json`] over its summary's [`summary_tree`].
#[must_use]
pub fn render_markdown(tree: &serde_json::Value, drill: &Drill<'_>) -> String {
    markdown::render(tree, drill)
}

/// The summary as written to `summary.json`, as the JSON tree the pages are rendered from (a
/// struct of plain fields always serialises). The caller may let go of the summary itself
/// before rendering: the tree holds all the pages read.
#[must_use]
pub fn summary_tree(summary: &DiagnoseSummary) -> serde_json::Value {
    serde_json::to_value(summary).unwrap_or_default()
}
pub use view::{is_failing_class, AnswerVerdict, GoldView, QuestionView, RetrievedView, RuleView};
