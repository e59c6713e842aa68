//! `report.html`: one self-contained page (inline CSS and SVG, no script, no external resource).

use crate::drill::Drill;
use crate::escape::{attr, prose_html, text, token};
use crate::figure::{ci, fig};
use crate::highlight::highlight_html;
use crate::node::{
    class_help, class_label, class_order, flag_label, flag_order, humanize, metric_kind,
    metric_order, stat, Kind, Node,
};
use crate::svg::{
    class_chart, class_colour, curve_chart, metric_chart, mini_bar, ClassRow, CurvePoint, MetricRow,
};
use crate::view::{QuestionView, RetrievedView};
use ragdiag_diagnose::Class;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The section ids of the page, in order. Every page has all of them.
pub const SECTION_IDS: [&str; 15] = [
    "summary",
    "fix-first",
    "metrics",
    "classes",
    "recall-curve",
    "freshness",
    "tags",
    "generation",
    "reranker",
    "thresholds",
    "review",
    "golden-set",
    "questions",
    "provenance",
    "warnings",
];

const SECTION_TITLES: [&str; 15] = [
    "Summary",
    "Fix first",
    "Retrieval quality",
    "Failure classes",
    "Recall by depth",
    "Freshness",
    "By tag",
    "Generation",
    "Reranker",
    "Thresholds and abstention",
    "Review queue",
    "Golden set",
    "Questions",
    "Provenance",
    "Warnings",
];

const CSS: &str = include_str!("report.css");

macro_rules! w {
    ($dst:expr, $($arg:tt)*) => {{
        let _ = write!($dst, $($arg)*);
    }};
}

/// Renders `report.html` from the content of `summary.json` and the per-question views.
///
/// Every figure comes from `summary` (so the page always agrees with summary.json) and sits in
/// an element with `data-figure` (its path) and `data-value` (its raw JSON number). Missing or
/// ill-typed fields are shown as an em dash or a note; nothing panics. The output is a
/// deterministic function of the input.
#[must_use]
pub fn render_html_json(summary: &Value, questions: &[QuestionView]) -> String {
    render(summary, &Drill::of(questions))
}

/// [`render_html_json`] over a drill-down.
pub(crate) fn render(summary: &Value, drill: &Drill<'_>) -> String {
    let root = Node::root(summary);
    let name = root.get("name").str().unwrap_or("");
    // Room for the questions drawn in full.
    let drawn = drill.drawn().count();
    let mut out = String::with_capacity(64 * 1024 + drawn * 4096);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    // Defence in depth: even a stray reference could not load anything.
    out.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n");
    out.push_str("<meta name=\"generator\" content=\"ragdiag\">\n");
    w!(
        out,
        "<title>{}</title>\n<style>\n{}{CSS}</style>\n</head>\n<body>\n<main>\n",
        text(&if name.is_empty() {
            "ragdiag diagnosis".to_owned()
        } else {
            format!("ragdiag diagnosis: {name}")
        }),
        class_colours()
    );
    summary_section(&mut out, &root);
    crate::decisions::fix_first_section(&mut out, &root);
    metrics_section(&mut out, &root);
    classes_section(&mut out, &root);
    curve_section(&mut out, &root);
    freshness_section(&mut out, &root);
    tags_section(&mut out, &root);
    generation_section(&mut out, &root);
    crate::decisions::reranker_section(&mut out, &root);
    thresholds_section(&mut out, &root);
    review_section(&mut out, &root);
    golden_section(&mut out, &root);
    questions_section(&mut out, drill);
    provenance_section(&mut out, &root);
    warnings_section(&mut out, &root);
    out.push_str("<footer>Written by ragdiag. This page is self-contained: it loads nothing and runs no script.</footer>\n</main>\n</body>\n</html>\n");
    out
}

/// The CSS custom properties `report.css` takes from the classes' colours: evidence is drawn in
/// `ok`'s colour, stale documents in `stale_source`'s.
fn class_colours() -> String {
    format!(
        ":root {{ --evidence: {}; --stale: {}; }}\n",
        Class::Ok.colour(),
        Class::StaleSource.colour()
    )
}

/// Opens the section `id` of [`SECTION_IDS`] with its title.
pub(crate) fn open(out: &mut String, id: &str, title_extra: &str) {
    let idx = SECTION_IDS.iter().position(|s| *s == id).unwrap_or(0);
    w!(
        out,
        "<section id=\"{}\">\n<h2>{}{title_extra}</h2>\n",
        SECTION_IDS[idx],
        SECTION_TITLES[idx]
    );
}

pub(crate) fn close(out: &mut String) {
    out.push_str("</section>\n");
}

pub(crate) fn note(out: &mut String, s: &str) {
    w!(out, "<p class=\"empty\">{}</p>\n", text(s));
}

fn summary_section(out: &mut String, root: &Node<'_>) {
    out.push_str("<section id=\"summary\">\n");
    let name = root.get("name").str().unwrap_or("");
    let mode = root.get("mode").str().unwrap_or("");
    w!(
        out,
        "<h1>Diagnosis{}",
        if name.is_empty() { "" } else { ": " }
    );
    w!(out, "{}", text(name));
    if !mode.is_empty() {
        w!(out, " <span class=\"mode\">{} mode</span>", text(mode));
    }
    out.push_str("</h1>\n");
    let headline: Vec<&str> = root
        .get("headline")
        .items()
        .iter()
        .filter_map(Node::str)
        .collect();
    if headline.is_empty() {
        note(out, "summary.json has no headline.");
    } else {
        out.push_str("<ul class=\"headline\">\n");
        for h in headline {
            w!(out, "<li>{}</li>\n", text(h));
        }
        out.push_str("</ul>\n");
    }
    let q = root.get("questions");
    if q.is_present() {
        let not_assessed = q.get("not_assessed");
        let aside = if not_assessed.num().is_some_and(|n| n > 0.0) {
            format!(
                " of which {} unanswerable without an answer to judge (not assessed)",
                fig(&not_assessed, Kind::Count)
            )
        } else {
            String::new()
        };
        w!(
            out,
            "<p class=\"counts\">{} questions: {} scored{aside}, {} without labels (not scored).</p>\n",
            fig(&q.get("total"), Kind::Count),
            fig(&q.get("scored"), Kind::Count),
            fig(&q.get(Class::NoLabel.as_str()), Kind::Count)
        );
    }
    let gates = root.get("gates").items();
    if !gates.is_empty() {
        let failed = gates
            .iter()
            .filter(|g| g.get("passed").bool() == Some(false))
            .count();
        if failed == 0 {
            w!(
                out,
                "<h3>Gates <span class=\"pill pass\">✓ all {} passed</span></h3>\n",
                gates.len()
            );
        } else {
            w!(
                out,
                "<h3>Gates <span class=\"pill fail\">✗ {failed} of {} failed</span></h3>\n",
                gates.len()
            );
        }
        out.push_str("<table class=\"gates\">\n<thead><tr><th>Metric</th><th>Condition</th><th class=\"num\">Value</th><th class=\"num\" title=\"The smallest drop from the current value that a paired comparison on these questions detects with 80% power at α = 0.05 (uncorrelated systems, the most it can be)\">Smallest detectable drop</th><th>Result</th></tr></thead>\n<tbody>\n");
        for g in &gates {
            let metric = g.get("metric").str().unwrap_or("");
            let kind = metric_kind(metric);
            let result = match g.get("passed").bool() {
                Some(true) => "<span class=\"pill pass\">✓ pass</span>",
                Some(false) => "<span class=\"pill fail\">✗ fail</span>",
                None => "<span class=\"na\">—</span>",
            };
            w!(
                out,
                "<tr><td><code>{}</code></td><td>{} {}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{result}</td></tr>\n",
                text(metric),
                text(&op_symbol(g.get("op").str().unwrap_or(""))),
                fig(&g.get("threshold"), kind),
                fig(&g.get("value"), kind),
                fig(&g.get("detectable_drop"), kind)
            );
        }
        out.push_str("</tbody>\n</table>\n");
    }
    out.push_str("<nav class=\"toc\" aria-label=\"Sections\">");
    for (i, id) in SECTION_IDS.iter().enumerate().skip(1) {
        w!(out, "<a href=\"#{id}\">{}</a>", SECTION_TITLES[i]);
    }
    out.push_str("</nav>\n");
    close(out);
}

fn op_symbol(op: &str) -> String {
    match op {
        ">=" => "≥".to_owned(),
        "<=" => "≤".to_owned(),
        other => other.to_owned(),
    }
}

fn metrics_section(out: &mut String, root: &Node<'_>) {
    open(out, "metrics", "");
    let mut entries = root.get("metrics").entries();
    entries.sort_by(|a, b| metric_order(a.0, b.0));
    if entries.is_empty() {
        note(out, "No metrics in this summary.");
        close(out);
        return;
    }
    out.push_str("<p class=\"lede\">Metrics over the scored questions: the mean, its 95% confidence interval (the whisker; a Wilson score interval for the hit rate, a percentile bootstrap for graded metrics) and the number of questions.</p>\n");
    let rows: Vec<MetricRow<'_>> = entries
        .iter()
        .map(|(name, node)| {
            let [mean, lo, hi, n] = stat(node);
            MetricRow {
                label: (*name).to_owned(),
                mean,
                lo,
                hi,
                n,
                kind: metric_kind(name),
            }
        })
        .collect();
    if let Some(svg) = metric_chart("Metrics: mean with 95% confidence interval", &rows) {
        w!(out, "<figure>{svg}</figure>\n");
    }
    out.push_str("<table>\n<thead><tr><th>Metric</th><th class=\"num\">Mean</th><th class=\"num\">95% CI</th><th class=\"num\">n</th></tr></thead>\n<tbody>\n");
    for row in &rows {
        w!(
            out,
            "<tr><td><code>{}</code></td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
            text(&row.label),
            fig(&row.mean, row.kind),
            ci(&row.lo, &row.hi, row.kind),
            fig(&row.n, Kind::Count)
        );
    }
    out.push_str("</tbody>\n</table>\n");
    close(out);
}

fn classes_section(out: &mut String, root: &Node<'_>) {
    open(out, "classes", "");
    let mut entries = root.get("classes").entries();
    entries.sort_by(|a, b| class_order(a.0, b.0));
    if entries.is_empty() {
        note(out, "No failure classes in this summary.");
    } else {
        out.push_str("<p class=\"lede\">One primary class per question, the first rule of the decision order that holds. Shares of the assessed questions with 95% Wilson score intervals; unanswerable questions without an answer to judge are counted, not assessed.</p>\n");
        let rows: Vec<ClassRow<'_>> = entries
            .iter()
            .map(|(name, node)| {
                let count = if node.num().is_some() {
                    node.clone()
                } else {
                    node.get("count")
                };
                ClassRow {
                    class: (*name).to_owned(),
                    count,
                    share: node.get("share"),
                    lo: node.get("ci_lower"),
                    hi: node.get("ci_upper"),
                }
            })
            .collect();
        if let Some(svg) = class_chart(&rows) {
            w!(out, "<figure>{svg}</figure>\n");
        }
        out.push_str("<table>\n<thead><tr><th>Class</th><th class=\"num\">Questions</th><th class=\"num\">Share</th><th class=\"num\">95% CI</th><th>Meaning</th></tr></thead>\n<tbody>\n");
        for row in &rows {
            w!(
                out,
                "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"help\">{}</td></tr>\n",
                badge(&row.class),
                fig(&row.count, Kind::Count),
                fig(&row.share, Kind::Rate),
                ci(&row.lo, &row.hi, Kind::Rate),
                text(class_help(&row.class))
            );
        }
        out.push_str("</tbody>\n</table>\n");
    }
    let mut flags = root.get("flags").entries();
    flags.sort_by(|a, b| flag_order(a.0, b.0));
    if !flags.is_empty() {
        out.push_str("<h3>Flags</h3>\n<p class=\"lede\">Conditions seen on the way, whatever the class; a question can carry several. Shares of all questions with 95% Wilson score intervals.</p>\n<table>\n<thead><tr><th>Flag</th><th class=\"num\">Questions</th><th class=\"num\">Share</th><th class=\"num\">95% CI</th></tr></thead>\n<tbody>\n");
        for (name, node) in &flags {
            let count = if node.num().is_some() {
                node.clone()
            } else {
                node.get("count")
            };
            w!(
                out,
                "<tr><td><span class=\"flag\">{}</span></td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
                text(&flag_label(name)),
                fig(&count, Kind::Count),
                fig(&node.get("share"), Kind::Rate),
                ci(&node.get("ci_lower"), &node.get("ci_upper"), Kind::Rate)
            );
        }
        out.push_str("</tbody>\n</table>\n");
    }
    close(out);
}

fn curve_section(out: &mut String, root: &Node<'_>) {
    open(out, "recall-curve", "");
    let items = root.get("recall_curve").items();
    if items.is_empty() {
        note(out, "No recall curve in this summary.");
        close(out);
        return;
    }
    out.push_str("<p class=\"lede\">Share of questions whose evidence is held by a chunk within the top k, with its 95% confidence band: how much a larger context window or a better ranking would help.</p>\n");
    let points: Vec<CurvePoint> = items
        .iter()
        .filter_map(|p| {
            Some(CurvePoint {
                k: p.get("k").num()?,
                mean: p.get("mean").num()?,
                lo: p.get("ci_lower").num(),
                hi: p.get("ci_upper").num(),
            })
        })
        .collect();
    if let Some(svg) = curve_chart(&points) {
        w!(out, "<figure>{svg}</figure>\n");
    }
    out.push_str("<table>\n<thead><tr><th class=\"num\">k</th><th class=\"num\">Evidence found by k</th><th class=\"num\">95% CI</th><th class=\"num\">n</th></tr></thead>\n<tbody>\n");
    for p in &items {
        w!(
            out,
            "<tr><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
            fig(&p.get("k"), Kind::Count),
            fig(&p.get("mean"), Kind::Rate),
            ci(&p.get("ci_lower"), &p.get("ci_upper"), Kind::Rate),
            fig(&p.get("n"), Kind::Count)
        );
    }
    out.push_str("</tbody>\n</table>\n");
    close(out);
}

fn stat_card(out: &mut String, title: &str, k: Option<&Node<'_>>, node: &Node<'_>, help: &str) {
    let [mean, lo, hi, n] = stat(node);
    w!(
        out,
        "<div class=\"card\"><div class=\"card-title\">{}",
        text(title)
    );
    if let Some(k) = k.filter(|k| k.num().is_some()) {
        w!(out, " in the top {}", fig(k, Kind::Count));
    }
    w!(
        out,
        "</div><div class=\"big\">{}</div>",
        fig(&mean, Kind::Rate)
    );
    if lo.num().is_some() || hi.num().is_some() {
        w!(
            out,
            "<div class=\"sub\">95% CI {}</div>",
            ci(&lo, &hi, Kind::Rate)
        );
    }
    if n.num().is_some() {
        w!(out, "<div class=\"sub\">n = {}</div>", fig(&n, Kind::Count));
    }
    w!(out, "<div class=\"help\">{}</div></div>\n", text(help));
}

fn count_card(out: &mut String, title: &str, node: &Node<'_>, help: &str) {
    w!(
        out,
        "<div class=\"card\"><div class=\"card-title\">{}</div><div class=\"big\">{}</div><div class=\"help\">{}</div></div>\n",
        text(title),
        fig(node, Kind::Count),
        text(help)
    );
}

fn freshness_section(out: &mut String, root: &Node<'_>) {
    open(out, "freshness", "");
    let f = root.get("freshness");
    if !f.is_present() {
        note(out, "No freshness audit in this summary.");
        close(out);
        return;
    }
    out.push_str("<div class=\"cards\">\n");
    let shr = f.get("stale_hit_rate");
    let k = shr.get("k");
    stat_card(
        out,
        "Stale hits",
        Some(&k),
        &shr,
        "Share of retrieved items that come from stale (superseded, expired or deleted) documents.",
    );
    stat_card(
        out,
        "Top hit stale",
        None,
        &f.get("top_hit_stale_share"),
        "Share of questions whose first hit is stale.",
    );
    count_card(
        out,
        "Superseded above current",
        &f.get("superseded_above_current"),
        "Questions where an old version ranked above its replacement.",
    );
    count_card(
        out,
        "Ghost citations",
        &f.get("ghost_citations"),
        "Hits on deleted or unknown documents.",
    );
    out.push_str("</div>\n");
    out.push_str("<table>\n<thead><tr><th>Corpus</th><th class=\"num\">Documents</th></tr></thead>\n<tbody>\n");
    let known = [
        ("documents", "All documents"),
        ("stale_documents", "Stale (superseded, expired or deleted)"),
        ("undated_documents", "Undated (staleness unknown)"),
        ("conflicts", "Conflict clusters"),
    ];
    for (key, label) in known {
        let node = f.get(key);
        if node.is_present() {
            w!(
                out,
                "<tr><td>{label}</td><td class=\"num\">{}</td></tr>\n",
                fig(&node, Kind::Count)
            );
        }
    }
    let shown = [
        "stale_hit_rate",
        "top_hit_stale_share",
        "superseded_above_current",
        "ghost_citations",
    ];
    for (key, node) in f.entries() {
        if node.num().is_some() && !shown.contains(&key) && !known.iter().any(|(k, _)| *k == key) {
            w!(
                out,
                "<tr><td>{}</td><td class=\"num\">{}</td></tr>\n",
                text(&humanize(key)),
                fig(&node, Kind::Count)
            );
        }
    }
    out.push_str("</tbody>\n</table>\n");
    close(out);
}

fn tags_section(out: &mut String, root: &Node<'_>) {
    open(out, "tags", "");
    let items = root.get("by_tag").items();
    if items.is_empty() {
        note(out, "No tagged questions in this summary.");
        close(out);
        return;
    }
    out.push_str("<p class=\"lede\">Hit rate per question tag, with its 95% confidence interval, and the number of failing questions.</p>\n");
    out.push_str("<table>\n<thead><tr><th>Tag</th><th class=\"num\">n</th><th class=\"num\">Hit rate</th><th class=\"num\">95% CI</th><th></th><th class=\"num\">Failures</th></tr></thead>\n<tbody>\n");
    for t in &items {
        let hr = t.get("hit_rate");
        let [mean, lo, hi, _] = stat(&hr);
        w!(
            out,
            "<tr><td><span class=\"tag\">{}</span></td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td></tr>\n",
            text(&t.get("tag").scalar_text().unwrap_or_default()),
            fig(&t.get("n"), Kind::Count),
            fig(&mean, Kind::Rate),
            ci(&lo, &hi, Kind::Rate),
            mini_bar(mean.num(), lo.num(), hi.num()),
            fig(&t.get("failures"), Kind::Count)
        );
    }
    out.push_str("</tbody>\n</table>\n");
    close(out);
}

fn generation_section(out: &mut String, root: &Node<'_>) {
    open(out, "generation", "");
    let g = root.get("generation");
    let lat = root.get("latency_ms");
    let tok = root.get("tokens");
    if !g.is_present() && !lat.is_present() && !tok.is_present() {
        let mode = root.get("mode").str().unwrap_or("");
        note(
            out,
            if mode == "trace" {
                "No generation figures in this summary."
            } else {
                "Answers are assessed in trace mode only; this run did not assess generation."
            },
        );
        close(out);
        return;
    }
    if g.is_present() {
        out.push_str("<table>\n<thead><tr><th>Answers</th><th class=\"num\">Share</th><th class=\"num\">95% CI</th><th class=\"num\">n</th></tr></thead>\n<tbody>\n");
        let mut entries = g.entries();
        let known = ["correct", "grounded", "abstained"];
        entries
            .sort_by_key(|(k, _)| (known.iter().position(|x| x == k).unwrap_or(known.len()), *k));
        for (key, node) in &entries {
            // A plain number (`answers`, the count of assessed answers) is a count, not a share.
            if node.num().is_some() {
                w!(
                    out,
                    "<tr><td>{}</td><td></td><td></td><td class=\"num\">{}</td></tr>\n",
                    text(&humanize(key)),
                    fig(node, Kind::Count)
                );
                continue;
            }
            let [mean, lo, hi, n] = stat(node);
            w!(
                out,
                "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
                text(&humanize(key)),
                fig(&mean, Kind::Rate),
                ci(&lo, &hi, Kind::Rate),
                fig(&n, Kind::Count)
            );
        }
        out.push_str("</tbody>\n</table>\n");
    }
    if lat.is_present() || tok.is_present() {
        out.push_str("<table>\n<thead><tr><th>Cost</th><th class=\"num\">p50</th><th class=\"num\">p95</th><th class=\"num\">Other</th></tr></thead>\n<tbody>\n");
        if lat.is_present() {
            w!(
                out,
                "<tr><td>Latency (ms)</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">n = {}</td></tr>\n",
                fig(&lat.get("p50"), Kind::Count),
                fig(&lat.get("p95"), Kind::Count),
                fig(&lat.get("n"), Kind::Count)
            );
        }
        if tok.is_present() {
            w!(
                out,
                "<tr><td>Prompt tokens</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td></td></tr>\n",
                fig(&tok.get("prompt_p50"), Kind::Count),
                fig(&tok.get("prompt_p95"), Kind::Count)
            );
            w!(
                out,
                "<tr><td>Completion tokens</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td></td></tr>\n",
                fig(&tok.get("completion_p50"), Kind::Count),
                fig(&tok.get("completion_p95"), Kind::Count)
            );
            w!(
                out,
                "<tr><td>Tokens per correct answer</td><td></td><td></td><td class=\"num\">{}</td></tr>\n",
                fig(&tok.get("per_correct_answer"), Kind::Count)
            );
        }
        out.push_str("</tbody>\n</table>\n");
    }
    crate::cost::html(out, root);
    close(out);
}

fn thresholds_section(out: &mut String, root: &Node<'_>) {
    open(out, "thresholds", "");
    crate::thresholds::html_body(out, root);
    close(out);
}

fn golden_section(out: &mut String, root: &Node<'_>) {
    open(out, "golden-set", "");
    crate::golden::html_body(out, root);
    close(out);
}

fn review_section(out: &mut String, root: &Node<'_>) {
    open(out, "review", "");
    crate::thresholds::review_html_body(out, root);
    close(out);
}

pub(crate) fn badge(class: &str) -> String {
    let (colour, tint) = class_colour(class);
    format!(
        "<span class=\"badge\" style=\"border-color:{colour};background:{tint}\">{}</span>",
        text(&class_label(class))
    )
}

/// At most this many questions of one class are drawn in full (about 13 KB each with long
/// pages), so the page stays a few megabytes however many questions there are.
pub const SHOWN_PER_CLASS: usize = 25;

fn questions_section(out: &mut String, drill: &Drill<'_>) {
    let (total, failing) = (drill.total(), drill.failing());
    open(out, "questions", "");
    if total == 0 {
        note(out, "No per-question details were given.");
        close(out);
        return;
    }
    // By class; input order inside a class.
    let classes = drill.classes();
    w!(
        out,
        "<p class=\"lede\">{} failing question{} of {}, grouped by class; then the questions that did not fail, folded.</p>\n",
        failing,
        if failing == 1 { "" } else { "s" },
        total
    );
    out.push_str("<nav class=\"jump\" aria-label=\"Classes\">");
    for (c, n) in &classes {
        w!(
            out,
            "<a href=\"#qclass-{}\">{} ({})</a>",
            attr(&token(c)),
            text(&class_label(c)),
            n
        );
    }
    out.push_str("</nav>\n");
    // The drawn views by class (input order inside a class), gathered once.
    let mut drawn: BTreeMap<&str, Vec<(usize, &QuestionView)>> = BTreeMap::new();
    for (i, q) in drill.drawn() {
        drawn.entry(q.class.as_str()).or_default().push((i, q));
    }
    for &(c, n) in &classes {
        let fold = !crate::view::is_failing_class(c);
        w!(
            out,
            "<div class=\"qgroup\" id=\"qclass-{}\">\n",
            attr(&token(c))
        );
        if fold {
            w!(
                out,
                "<details>\n<summary>{} <span class=\"muted\">({} question{})</span></summary>\n",
                badge(c),
                n,
                if n == 1 { "" } else { "s" }
            );
        } else {
            w!(
                out,
                "<h3>{} <span class=\"muted\">{} question{}</span></h3>\n",
                badge(c),
                n,
                if n == 1 { "" } else { "s" }
            );
        }
        let help = class_help(c);
        if !help.is_empty() {
            w!(out, "<p class=\"help\">{}</p>\n", text(help));
        }
        // A large class shows its most traffic-weighted questions (input order among equals;
        // the drill-down's `Pick`); every question is in queries.parquet and hits.parquet.
        if n > SHOWN_PER_CLASS {
            w!(
                out,
                "<p class=\"help muted\">Showing the {} most traffic-weighted of these {} questions; \
                 every question is in <code>queries.parquet</code> and <code>hits.parquet</code>.</p>\n",
                SHOWN_PER_CLASS,
                n
            );
        }
        for &(i, q) in drawn.get(c).into_iter().flatten() {
            question(out, i, q);
        }
        if fold {
            out.push_str("</details>\n");
        }
        out.push_str("</div>\n");
    }
    close(out);
}

fn verdict(label: &str, v: Option<bool>, good: bool) -> String {
    match v {
        None => String::new(),
        Some(b) => {
            let ok = b == good;
            format!(
                "<span class=\"pill {}\">{} {}{}</span> ",
                if ok { "pass" } else { "fail" },
                if ok { "✓" } else { "✗" },
                if b { "" } else { "not " },
                label
            )
        }
    }
}

fn question(out: &mut String, i: usize, q: &QuestionView) {
    w!(out, "<article class=\"q\" id=\"q-{}\">\n<header>", i + 1);
    w!(
        out,
        "{} <code class=\"qid\">{}</code>",
        badge(&q.class),
        text(&q.id)
    );
    for f in &q.flags {
        w!(out, " <span class=\"flag\">{}</span>", text(&flag_label(f)));
    }
    for t in &q.tags {
        w!(out, " <span class=\"tag\">{}</span>", text(t));
    }
    out.push_str("</header>\n");
    w!(out, "<p class=\"qtext\">{}</p>\n", text(&q.text));
    if !q.reason.is_empty() || q.rule.is_some() {
        out.push_str("<p class=\"reason\">");
        if let Some(rule) = &q.rule {
            w!(
                out,
                "<span class=\"rule\">Rule {} · {}</span> ",
                rule.number,
                text(&rule.name)
            );
        }
        w!(out, "{}</p>\n", prose_html(&q.reason));
    }
    if !q.gold.is_empty() {
        out.push_str("<h4>Gold evidence");
        if let Some(er) = &q.evidence_rule {
            w!(
                out,
                " <span class=\"muted\">({})</span>",
                text(&humanize(er).to_lowercase())
            );
        }
        out.push_str("</h4>\n");
        for g in &q.gold {
            w!(
                out,
                "<blockquote class=\"gold\"><div class=\"doc\"><code>{}</code></div>",
                text(&g.doc)
            );
            if !g.text.is_empty() {
                w!(out, "{}", text(&g.text));
            }
            out.push_str("</blockquote>\n");
        }
    }
    if q.answer.is_some() || !q.reference_answers.is_empty() {
        out.push_str("<div class=\"answer\">");
        if let Some(a) = &q.answer {
            w!(
                out,
                "<h4>Answer {}{}{}</h4><p class=\"ans\">{}</p>",
                verdict("correct", q.verdict.correct, true),
                verdict("grounded", q.verdict.grounded, true),
                verdict("abstained", q.verdict.abstained, false),
                text(a)
            );
        }
        if !q.reference_answers.is_empty() {
            out.push_str("<p class=\"refs\"><span class=\"muted\">Accepted answers:</span> ");
            for (n, r) in q.reference_answers.iter().enumerate() {
                if n > 0 {
                    out.push_str(" · ");
                }
                w!(out, "<q>{}</q>", text(r));
            }
            out.push_str("</p>");
        }
        out.push_str("</div>\n");
    }
    if !q.retrieved.is_empty() {
        out.push_str("<h4>Retrieved</h4>\n<div class=\"hits\">\n");
        let mut prev_in_window = false;
        for (n, h) in q.retrieved.iter().enumerate() {
            if n > 0 && prev_in_window && !h.in_window {
                out.push_str("<div class=\"window-end\">end of the context window</div>\n");
            }
            prev_in_window = h.in_window;
            hit(out, h);
        }
        out.push_str("</div>\n");
    }
    if !q.metrics.is_empty() {
        out.push_str("<p class=\"qmetrics\">");
        for (n, (k, v)) in q.metrics.iter().enumerate() {
            if n > 0 {
                out.push_str(" · ");
            }
            let shown = if v.is_finite() {
                metric_kind(k).format(*v)
            } else {
                "—".to_owned()
            };
            w!(out, "<code>{}</code> {}", text(k), text(&shown));
        }
        out.push_str("</p>\n");
    }
    out.push_str("</article>\n");
}

fn hit(out: &mut String, h: &RetrievedView) {
    let mut classes = String::from("hit");
    if h.in_window {
        classes.push_str(" in-window");
    }
    if h.holds_evidence {
        classes.push_str(" evidence");
    }
    if h.stale == Some(true) {
        classes.push_str(" stale");
    }
    w!(out, "<div class=\"{classes}\"><div class=\"hitmeta\"><span class=\"rank\">#{}</span> <code>{}</code>", h.rank, text(&h.doc));
    if let Some(t) = h.title.as_deref().filter(|t| !t.is_empty()) {
        w!(out, " <span class=\"title\">{}</span>", text(t));
    }
    if let Some(s) = h.score.filter(|s| s.is_finite()) {
        w!(
            out,
            " <span class=\"score\">score {}</span>",
            text(&format_score(s))
        );
    }
    match h.stale {
        Some(true) => {
            let reason = h.stale_reason.as_deref().unwrap_or("");
            w!(
                out,
                " <span class=\"pill stale\">⚠ stale{}{}</span>",
                if reason.is_empty() { "" } else { ": " },
                text(reason)
            );
        }
        None => out.push_str(" <span class=\"pill undated\">undated</span>"),
        Some(false) => {}
    }
    if h.holds_evidence {
        out.push_str(" <span class=\"pill ev\">★ holds the evidence</span>");
    }
    out.push_str("</div>\n");
    w!(
        out,
        "<p class=\"snippet\">{}</p></div>\n",
        highlight_html(&h.text, &h.highlight)
    );
}

/// Scores: four significant decimals for small ones, two for large.
fn format_score(s: f64) -> String {
    if s.abs() >= 100.0 {
        format!("{s:.1}")
    } else if s.abs() >= 1.0 {
        format!("{s:.2}")
    } else {
        format!("{s:.4}")
    }
}

fn provenance_section(out: &mut String, root: &Node<'_>) {
    open(out, "provenance", "");
    let p = root.get("provenance");
    let sv = root.get("schema_version");
    let mut entries = p.entries();
    if entries.is_empty() && !sv.is_present() {
        note(out, "No provenance in this summary.");
        close(out);
        return;
    }
    let known = [
        ("ragdiag_version", "ragdiag version"),
        ("command", "Command"),
        ("corpus_sha256", "Corpus sha256"),
        ("queries_sha256", "Queries sha256"),
        ("model_id", "Model"),
        ("chunker", "Chunker"),
        ("retriever", "Retriever"),
        ("seed", "Seed"),
        ("as_of", "As of"),
        ("created_at", "Created at"),
    ];
    entries.sort_by_key(|(k, _)| {
        known
            .iter()
            .position(|(x, _)| x == k)
            .unwrap_or(known.len())
    });
    out.push_str("<dl class=\"prov\">\n");
    for (key, node) in &entries {
        let label = known
            .iter()
            .find(|(k, _)| k == key)
            .map_or_else(|| humanize(key), |(_, l)| (*l).to_owned());
        let value = if node.num().is_some() {
            fig(node, Kind::Plain)
        } else if let Some(s) = node.scalar_text() {
            format!("<code>{}</code>", text(&s))
        } else if node.is_present() {
            format!(
                "<code>{}</code>",
                text(&node.v.map(Value::to_string).unwrap_or_default())
            )
        } else {
            "<span class=\"na\">—</span>".to_owned()
        };
        w!(out, "<dt>{}</dt><dd>{value}</dd>\n", text(&label));
    }
    if sv.is_present() {
        w!(
            out,
            "<dt>summary.json schema</dt><dd>version {}</dd>\n",
            fig(&sv, Kind::Plain)
        );
    }
    out.push_str("</dl>\n");
    close(out);
}

fn warnings_section(out: &mut String, root: &Node<'_>) {
    let items: Vec<String> = root
        .get("warnings")
        .items()
        .iter()
        .filter_map(Node::scalar_text)
        .collect();
    open(
        out,
        "warnings",
        &if items.is_empty() {
            String::new()
        } else {
            format!(" <span class=\"muted\">({})</span>", items.len())
        },
    );
    if items.is_empty() {
        note(out, "No warnings.");
    } else {
        out.push_str("<ol class=\"warnings\">\n");
        for wng in &items {
            w!(out, "<li><code>{}</code></li>\n", text(wng));
        }
        out.push_str("</ol>\n");
    }
    close(out);
}
