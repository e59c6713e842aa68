//! The decision sections of `report.html` and `report.md`: "Fix first" (ranked actions with
//! the questions behind them) and "Reranker" (what reranking did to the evidence).

use crate::escape::{prose_html, text};
use crate::figure::{ci, fig};
use crate::html::{badge, close, note, open};
use crate::node::{metric_kind, Kind, Node};
use crate::svg::mini_bar;
use ragdiag_core::{md_code, md_escape, md_prose};
use ragdiag_diagnose::Class;
use std::fmt::Write as _;

macro_rules! w {
    ($dst:expr, $($arg:tt)*) => {{
        let _ = write!($dst, $($arg)*);
    }};
}

/// The colour of questions the reranker hurt (a vermillion apart from every class colour).
const HURT: &str = "#d55e00";

/// At most this many actions are shown; the rest are counted (all are in summary.json).
pub(crate) const MAX_ACTIONS: usize = 8;
/// At most this many question ids are listed per action on the page.
const MAX_IDS: usize = 12;
/// At most this many pages are listed per action, in the summary's order (all are in
/// summary.json): an action can name every page of a large corpus.
const MAX_PAGES: usize = 20;

/// The note after a capped list of pages.
fn more_pages(n: usize) -> String {
    format!(
        "and {n} more {} (all in <code>summary.json</code>)",
        if n == 1 { "page" } else { "pages" }
    )
}

/// The colour of an action kind: the class it addresses.
fn kind_class(kind: &str) -> Class {
    match kind {
        "retire_stale_page" | "update_stale_page" => Class::StaleSource,
        "surface_page" => Class::RetrievalMiss,
        "keep_evidence_whole" => Class::ChunkingSplit,
        "improve_ranking" => Class::RankingMiss,
        "write_page" => Class::CorpusGap,
        _ => Class::GenerationFailure,
    }
}

fn ids(items: &[Node<'_>], max: usize) -> (Vec<String>, usize) {
    let all: Vec<String> = items
        .iter()
        .filter_map(|n| n.str().map(str::to_owned))
        .collect();
    let rest = all.len().saturating_sub(max);
    (all.into_iter().take(max).collect(), rest)
}

/// [`ids`] of a node's `queries`, the rest counted from its `questions` when it has them (schema
/// 6 lists the first 50 ids of an action or page).
fn counted_ids(node: &Node<'_>, max: usize) -> (Vec<String>, usize) {
    let (shown, rest) = ids(&node.get("queries").items(), max);
    let total = node.get("questions").num().map_or(0, |n| n as usize);
    let listed = shown.len();
    (shown, rest.max(total.saturating_sub(listed)))
}

/// The pages of an action, each with its successor or chunk size and its questions.
fn pages_html(pages: &[Node<'_>]) -> String {
    if pages.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "<details><summary>{} {}</summary><ul>",
        pages.len(),
        if pages.len() == 1 { "page" } else { "pages" }
    );
    for p in pages.iter().take(MAX_PAGES) {
        let mut line = format!("<code>{}</code>", text(p.get("page").str().unwrap_or("")));
        if let Some(s) = p.get("successor").str() {
            w!(line, " → <code>{}</code>", text(s));
        }
        if p.get("chunk_words").is_present() {
            w!(
                line,
                " (evidence of {} words, {} code points)",
                fig(&p.get("chunk_words"), Kind::Count),
                fig(&p.get("chunk_chars"), Kind::Count)
            );
        }
        let (shown, rest) = counted_ids(p, MAX_IDS);
        let mut list: Vec<String> = shown
            .iter()
            .map(|q| format!("<code>{}</code>", text(q)))
            .collect();
        if rest > 0 {
            list.push(format!("and {rest} more"));
        }
        w!(out, "<li>{line}: {}</li>", list.join(", "));
    }
    if pages.len() > MAX_PAGES {
        w!(out, "<li>{}</li>", more_pages(pages.len() - MAX_PAGES));
    }
    out.push_str("</ul></details>");
    out
}

/// `fix-first`: the ranked actions.
pub(crate) fn fix_first_section(out: &mut String, root: &Node<'_>) {
    open(out, "fix-first", "");
    let actions = root.get("fix_first").items();
    if actions.is_empty() {
        note(
            out,
            if root.get("fix_first").is_present() {
                "No failing question calls for an action."
            } else {
                "This summary has no fix-first list."
            },
        );
        close(out);
        return;
    }
    out.push_str("<p class=\"lede\">What to fix first: each action with the failing questions it would address, ranked by their traffic weight. The share is of the assessed questions (weighted), with its 95% interval.</p>\n");
    out.push_str("<table class=\"fix\">\n<thead><tr><th class=\"num\">#</th><th>Action</th><th class=\"num\">Questions</th><th class=\"num\">Traffic weight</th><th class=\"num\">Share</th><th class=\"num\">95% CI</th><th></th></tr></thead>\n<tbody>\n");
    for a in actions.iter().take(MAX_ACTIONS) {
        let kind = a.get("kind").str().unwrap_or("");
        let class = kind_class(kind);
        let share = a.get("share");
        let (shown, rest) = counted_ids(a, MAX_IDS);
        let mut id_list: Vec<String> = shown
            .iter()
            .map(|q| format!("<code>{}</code>", text(q)))
            .collect();
        if rest > 0 {
            id_list.push(format!("and {rest} more"));
        }
        w!(
            out,
            "<tr><td class=\"num\">{}</td><td>{} {}<br><span class=\"help\">Questions: {}</span></td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>\n",
            fig(&a.get("rank"), Kind::Count),
            badge(class.as_str()),
            format!(
                "{}{}",
                prose_html(a.get("action").str().unwrap_or("")),
                pages_html(&a.get("pages").items())
            ),
            id_list.join(", "),
            fig(&a.get("questions"), Kind::Count),
            fig(&a.get("weight"), Kind::Count),
            fig(&share.get("mean"), Kind::Rate),
            ci(&share.get("ci_lower"), &share.get("ci_upper"), Kind::Rate),
            mini_bar(share.get("mean").num(), share.get("ci_lower").num(), share.get("ci_upper").num())
        );
    }
    out.push_str("</tbody>\n</table>\n");
    if actions.len() > MAX_ACTIONS {
        note(
            out,
            &format!(
                "{} more actions in summary.json (fix_first).",
                actions.len() - MAX_ACTIONS
            ),
        );
    }
    close(out);
}

/// `reranker`: helped, hurt and neutral, and the paired tests of the final ranking against
/// the candidates.
pub(crate) fn reranker_section(out: &mut String, root: &Node<'_>) {
    open(out, "reranker", "");
    let r = root.get("reranker");
    if !r.is_present() {
        note(
            out,
            "No trace line has candidates (the reranker's input), so the reranker is not assessed.",
        );
        close(out);
        return;
    }
    w!(
        out,
        "<p class=\"lede\">For {} answerable questions the trace gives the reranker's input (<code>candidates</code>). The reranker <em>helped</em> when it brought the evidence into the top {}, <em>hurt</em> when it pushed it out.</p>\n",
        fig(&r.get("questions"), Kind::Count),
        fig(&r.get("context_k"), Kind::Count)
    );
    let parts: Vec<(&str, Node<'_>, &str)> = vec![
        ("helped", r.get("helped"), Class::Ok.colour()),
        ("hurt", r.get("hurt"), HURT),
        ("neutral", r.get("neutral"), "#b8b8b8"),
    ];
    let total: f64 = parts
        .iter()
        .filter_map(|(_, n, _)| n.get("count").num())
        .sum();
    if total > 0.0 {
        out.push_str("<figure><svg viewBox=\"0 0 600 28\" width=\"600\" height=\"28\" role=\"img\" aria-label=\"Reranker effect per question\">");
        let mut x = 0.0;
        for (name, n, colour) in &parts {
            let c = n.get("count").num().unwrap_or(0.0);
            let wdt = 600.0 * c / total;
            if wdt > 0.0 {
                w!(
                    out,
                    "<rect x=\"{:.1}\" y=\"2\" width=\"{:.1}\" height=\"24\" fill=\"{colour}\"><title>{name}: {c}</title></rect>",
                    x,
                    wdt
                );
                if wdt > 60.0 {
                    w!(
                        out,
                        "<text x=\"{:.1}\" y=\"19\" font-size=\"12\" fill=\"#fff\">{name} {c}</text>",
                        x + 6.0
                    );
                }
            }
            x += wdt;
        }
        out.push_str("</svg><figcaption>Questions the reranker helped, hurt or left as they were, at the context window:");
        for (name, n, colour) in &parts {
            w!(
                out,
                " <svg width=\"10\" height=\"10\" aria-hidden=\"true\"><rect width=\"10\" height=\"10\" fill=\"{colour}\"/></svg> {name} {}",
                n.get("count").num().map_or_else(String::new, |c| Kind::Count.format(c))
            );
        }
        out.push_str(".</figcaption></figure>\n");
    }
    out.push_str("<table>\n<thead><tr><th>Effect</th><th class=\"num\">Questions</th><th class=\"num\">Share</th><th class=\"num\">95% CI</th><th class=\"num\">n</th><th>Question ids</th></tr></thead>\n<tbody>\n");
    for (name, n, _) in &parts {
        let s = n.get("share");
        let (shown, rest) = if *name == "neutral" {
            (Vec::new(), 0)
        } else {
            ids(&n.get("queries").items(), MAX_IDS)
        };
        let mut list: Vec<String> = shown
            .iter()
            .map(|q| format!("<code>{}</code>", text(q)))
            .collect();
        if rest > 0 {
            list.push(format!("and {rest} more"));
        }
        w!(
            out,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>\n",
            text(name),
            fig(&n.get("count"), Kind::Count),
            fig(&s.get("mean"), Kind::Rate),
            ci(&s.get("ci_lower"), &s.get("ci_upper"), Kind::Rate),
            fig(&s.get("n"), Kind::Count),
            list.join(", ")
        );
    }
    out.push_str("</tbody>\n</table>\n");
    let cmps = r.get("comparisons").items();
    if !cmps.is_empty() {
        out.push_str("<table>\n<thead><tr>");
        for (i, h) in COMPARISON_COLUMNS.iter().enumerate() {
            let class = if i == 0 { "" } else { " class=\"num\"" };
            w!(out, "<th{class}>{h}</th>");
        }
        out.push_str("</tr></thead>\n<tbody>\n");
        for c in &cmps {
            let cells = comparison_cells(c, fig, ci);
            w!(out, "<tr><td><code>{}</code></td>", text(&cells[0]));
            for cell in &cells[1..] {
                w!(out, "<td class=\"num\">{cell}</td>");
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</tbody>\n</table>\n");
    }
    close(out);
}

/// The columns of the reranker's paired comparisons, in the HTML and Markdown tables alike.
const COMPARISON_COLUMNS: [&str; 7] = [
    "Evidence metric",
    "Before rerank",
    "After",
    "Difference",
    "95% CI",
    "p (Holm)",
    "Better / worse / same",
];

/// One comparison's cells under [`COMPARISON_COLUMNS`]: the metric's name (raw, for the caller
/// to escape), then its figures written by `val` and `interval` (HTML or Markdown).
fn comparison_cells(
    c: &Node<'_>,
    val: fn(&Node<'_>, Kind) -> String,
    interval: fn(&Node<'_>, &Node<'_>, Kind) -> String,
) -> [String; 7] {
    let metric = c.get("metric").str().unwrap_or("");
    let kind = if metric == "evidence_mrr" {
        Kind::Score
    } else {
        metric_kind(metric)
    };
    [
        metric.to_owned(),
        val(&c.get("mean_baseline"), kind),
        val(&c.get("mean"), kind),
        val(&c.get("difference"), kind),
        interval(&c.get("ci_lower"), &c.get("ci_upper"), kind),
        val(&c.get("p_holm"), Kind::Score),
        format!(
            "{} / {} / {}",
            val(&c.get("wins"), Kind::Count),
            val(&c.get("losses"), Kind::Count),
            val(&c.get("ties"), Kind::Count)
        ),
    ]
}

fn md_val(n: &Node<'_>, kind: Kind) -> String {
    n.num().map_or_else(|| "—".to_owned(), |v| kind.format(v))
}

fn md_ci(lo: &Node<'_>, hi: &Node<'_>, kind: Kind) -> String {
    match (lo.num(), hi.num()) {
        (Some(l), Some(h)) => format!("{}–{}", kind.format_bare(l), kind.format(h)),
        _ => "—".to_owned(),
    }
}

/// `## Fix first` of report.md.
pub(crate) fn fix_first_markdown(out: &mut String, root: &Node<'_>) {
    let actions = root.get("fix_first").items();
    if actions.is_empty() {
        return;
    }
    out.push_str("## Fix first\n\n| # | Action | Questions | Weight | Share | 95% CI | Question ids |\n|--:|---|--:|--:|--:|--:|---|\n");
    for a in actions.iter().take(MAX_ACTIONS) {
        let share = a.get("share");
        let (shown, rest) = counted_ids(a, MAX_IDS);
        let mut list: Vec<String> = shown.iter().map(|q| md_code(q)).collect();
        if rest > 0 {
            list.push(format!("and {rest} more"));
        }
        w!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |\n",
            md_val(&a.get("rank"), Kind::Count),
            md_prose(a.get("action").str().unwrap_or("")),
            md_val(&a.get("questions"), Kind::Count),
            md_val(&a.get("weight"), Kind::Count),
            md_val(&share.get("mean"), Kind::Rate),
            md_ci(&share.get("ci_lower"), &share.get("ci_upper"), Kind::Rate),
            list.join(", ")
        );
    }
    if actions.len() > MAX_ACTIONS {
        w!(
            out,
            "\n{} more actions in summary.json (`fix_first`).\n",
            actions.len() - MAX_ACTIONS
        );
    }
    out.push('\n');
    for a in actions.iter().take(MAX_ACTIONS) {
        let pages = a.get("pages").items();
        if pages.is_empty() {
            continue;
        }
        w!(
            out,
            "Pages of action {}:\n\n",
            md_val(&a.get("rank"), Kind::Count)
        );
        for p in pages.iter().take(MAX_PAGES) {
            let mut line = md_code(p.get("page").str().unwrap_or(""));
            if let Some(s) = p.get("successor").str() {
                w!(line, " → {}", md_code(s));
            }
            if p.get("chunk_words").is_present() {
                w!(
                    line,
                    " (evidence of {} words, {} code points)",
                    md_val(&p.get("chunk_words"), Kind::Count),
                    md_val(&p.get("chunk_chars"), Kind::Count)
                );
            }
            let (shown, rest) = counted_ids(p, MAX_IDS);
            let mut list: Vec<String> = shown.iter().map(|q| md_code(q)).collect();
            if rest > 0 {
                list.push(format!("and {rest} more"));
            }
            w!(out, "- {line}: {}\n", list.join(", "));
        }
        if pages.len() > MAX_PAGES {
            w!(
                out,
                "- {}\n",
                more_pages(pages.len() - MAX_PAGES)
                    .replace("<code>", "`")
                    .replace("</code>", "`")
            );
        }
        out.push('\n');
    }
}

/// `## Reranker` of report.md.
pub(crate) fn reranker_markdown(out: &mut String, root: &Node<'_>) {
    let r = root.get("reranker");
    if !r.is_present() {
        return;
    }
    w!(
        out,
        "## Reranker\n\n{} answerable questions with candidates; effect at the top {}.\n\n| Effect | Questions | Share | 95% CI | Question ids |\n|---|--:|--:|--:|---|\n",
        md_val(&r.get("questions"), Kind::Count),
        md_val(&r.get("context_k"), Kind::Count)
    );
    for name in ["helped", "hurt", "neutral"] {
        let n = r.get(name);
        let s = n.get("share");
        let list = if name == "neutral" {
            String::new()
        } else {
            let (shown, rest) = ids(&n.get("queries").items(), MAX_IDS);
            let mut l: Vec<String> = shown.iter().map(|q| md_code(q)).collect();
            if rest > 0 {
                l.push(format!("and {rest} more"));
            }
            l.join(", ")
        };
        w!(
            out,
            "| {name} | {} | {} | {} | {list} |\n",
            md_val(&n.get("count"), Kind::Count),
            md_val(&s.get("mean"), Kind::Rate),
            md_ci(&s.get("ci_lower"), &s.get("ci_upper"), Kind::Rate)
        );
    }
    let cmps = r.get("comparisons").items();
    if !cmps.is_empty() {
        w!(
            out,
            "\n| {} |\n|---|{}\n",
            COMPARISON_COLUMNS.join(" | "),
            "--:|".repeat(COMPARISON_COLUMNS.len() - 1)
        );
        for c in &cmps {
            let mut cells = comparison_cells(c, md_val, md_ci);
            cells[0] = md_escape(&cells[0]);
            w!(out, "| {} |\n", cells.join(" | "));
        }
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_action_lists_at_most_twenty_pages_and_counts_the_rest() {
        let pages: Vec<serde_json::Value> = (0..33)
            .map(|i| serde_json::json!({"page": format!("page-{i:03}"), "queries": [format!("q{i}")]}))
            .collect();
        let summary = serde_json::json!({"fix_first": [{
            "rank": 1, "kind": "surface_page", "action": "Make pages findable",
            "queries": ["q1"], "pages": pages
        }]});
        let md = crate::render_markdown_json(&summary, &[]);
        let html = crate::render_html_json(&summary, &[]);
        for page in [&md, &html] {
            assert!(page.contains("page-019") && !page.contains("page-020"));
            assert!(page.contains("and 13 more pages (all in"), "{page}");
        }
        assert!(md.contains("(all in `summary.json`)"));
    }

    /// Schema 6 lists the first 50 ids of an action or a page and the first 100 queued
    /// questions: the pages count the rest from `questions` and `review.queued`.
    #[test]
    fn capped_lists_are_counted_from_their_totals() {
        let ids: Vec<String> = (0..50).map(|i| format!("q{i:03}")).collect();
        let queued: Vec<serde_json::Value> = (0..100)
            .map(|i| serde_json::json!({"query_id": format!("q{i:03}"), "weight": 1.0, "class": "ok", "reasons": ["near_floor"], "detail": "near"}))
            .collect();
        let summary = serde_json::json!({
            "fix_first": [{
                "rank": 1, "kind": "surface_page", "action": "Make pages findable",
                "questions": 130, "queries": ids,
                "pages": [{"page": "refunds", "questions": 130, "queries": ids}]
            }],
            "review": {"margin": 0.05, "reasons": {"near_floor": 128}, "queued": 128, "items": queued}
        });
        let md = crate::render_markdown_json(&summary, &[]);
        let html = crate::render_html_json(&summary, &[]);
        for page in [&md, &html] {
            assert_eq!(page.matches("and 118 more").count(), 2, "{page}");
            assert!(page.contains("and 28 more in"), "{page}");
        }
        assert!(md.contains("128 questions to check"), "{md}");
    }
}
