//! The "Golden set" section of `report.html` and `report.md`: `summary.json`'s `golden_set`
//! (coverage, labels needing re-review, duplicate questions, gold pages gone, unanswerable
//! questions now answered, leakage). Figures are read from the summary; lists are capped on the
//! page and in `report.md` at [`SHOWN`] with a note (all are in `golden.jsonl`), and counted by
//! `golden_set.counts` (`summary.json` lists the first 100 of each).

use crate::escape::text;
use crate::figure::{ci, fig};
use crate::node::{Kind, Node};
use ragdiag_core::{md_code, md_escape};
use std::fmt::Write as _;

/// Rows shown per list.
pub(crate) const SHOWN: usize = 20;

macro_rules! w {
    ($dst:expr, $($arg:tt)*) => {{
        let _ = write!($dst, $($arg)*);
    }};
}

fn s(n: &Node<'_>, key: &str) -> String {
    n.get(key).scalar_text().unwrap_or_default()
}

/// The panel `g`'s listed leaks that are not extractive (they inflate the metrics), and how
/// many leaks are extractive and how many are not, listed or not.
fn leaks_of<'a>(g: &Node<'a>) -> (Vec<Node<'a>>, [usize; 2]) {
    let (extractive, inflating): (Vec<Node<'a>>, Vec<Node<'a>>) = g
        .get("leakage")
        .get("leaks")
        .items()
        .into_iter()
        .partition(|x| x.get("extractive").bool() == Some(true));
    let extractive_count = count(g, "extractive_leaks", extractive.len());
    let all = count(g, "leaks", extractive.len() + inflating.len());
    (
        inflating,
        [extractive_count, all.saturating_sub(extractive_count)],
    )
}

/// How many entries the panel `g` has in its list counted as `key`: `counts.<key>` (the lists
/// hold the first 100), else the `listed` entries.
fn count(g: &Node<'_>, key: &str, listed: usize) -> usize {
    match g.get("counts").get(key).num() {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        Some(n) if n >= 0.0 && n.fract() == 0.0 && n <= 9e15 => n as usize,
        _ => listed,
    }
}

/// The reason a label needs re-review, in words.
fn review_reason(l: &Node<'_>) -> String {
    let mut why = match (s(l, "document").as_str(), l.get("superseded_by").str()) {
        ("superseded", Some(by)) => format!("document superseded by {by}"),
        (d, _) => format!("document {d}"),
    };
    if let Some(e) = l.get("evidence").str() {
        let moved = l.get("moved_to").items();
        if let (Some(a), Some(b)) = (
            moved.first().and_then(Node::num),
            moved.get(1).and_then(Node::num),
        ) {
            let _ = write!(why, ", evidence moved to {a}..{b}");
        } else {
            let _ = write!(why, ", evidence {e}");
        }
    }
    why
}

fn gone_reason(g: &Node<'_>) -> String {
    match g.get("by").str() {
        Some(by) => format!("{} by {by}", s(g, "state")),
        None => s(g, "state"),
    }
}

/// Opens a table with its header row; a header written `#Name` is a numeric column.
fn table_open(out: &mut String, headers: &[&str]) {
    out.push_str("<table>\n<thead><tr>");
    for h in headers {
        match h.strip_prefix('#') {
            Some(h) => w!(out, "<th class=\"num\">{h}</th>"),
            None => w!(out, "<th>{h}</th>"),
        }
    }
    out.push_str("</tr></thead>\n<tbody>\n");
}

fn more_html(out: &mut String, total: usize) {
    if total > SHOWN {
        w!(
            out,
            "<p class=\"muted\">{} shown of {total}; all are in <code>golden.jsonl</code>.</p>\n",
            SHOWN
        );
    }
}

fn metric_cells(iv: &Node<'_>) -> String {
    format!(
        "<td class=\"num\">{} <span class=\"muted\">{}</span></td><td class=\"num\">{}</td>",
        fig(&iv.get("mean"), Kind::Score),
        ci(&iv.get("ci_lower"), &iv.get("ci_upper"), Kind::Score),
        fig(&iv.get("n"), Kind::Count)
    )
}

/// The section's body (the caller opens and closes the section).
pub(crate) fn html_body(out: &mut String, root: &Node<'_>) {
    let g = root.get("golden_set");
    if !g.is_present() {
        out.push_str("<p class=\"empty\">No golden-set checks: they need questions in ragdiag JSONL (BEIR qrels and trace-only questions carry no labels to check).</p>\n");
        return;
    }
    let review = g.get("needs_review").items();
    let reviews = count(&g, "needs_review", review.len());
    w!(
        out,
        "<p class=\"lede\">The labels under the figures: {} label(s), {} tied to the document text they were made on; {} need re-review (rule <code>--stale-labels {}</code>{}).</p>\n",
        fig(&g.get("labels"), Kind::Count),
        fig(&g.get("tied"), Kind::Count),
        reviews,
        text(&s(&g, "stale_rule")),
        if s(&g, "stale_rule") == "exclude" {
            format!(": {} entries excluded from the metrics", fig(&g.get("excluded"), Kind::Count))
        } else {
            String::new()
        }
    );
    // Coverage.
    out.push_str("<h3>Coverage</h3>\n");
    table_open(out, &["Depth", "#Judged@k (95% CI)", "#n"]);
    for c in g.get("coverage").items() {
        let j = c.get("judged");
        w!(
            out,
            "<tr><td>judged@{}</td><td class=\"num\">{} <span class=\"muted\">{}</span></td><td class=\"num\">{}</td></tr>\n",
            text(&s(&c, "k")),
            fig(&j.get("mean"), Kind::Rate),
            ci(&j.get("ci_lower"), &j.get("ci_upper"), Kind::Rate),
            fig(&j.get("n"), Kind::Count)
        );
    }
    out.push_str("</tbody>\n</table>\n<p class=\"muted\">The share of each judged question's top k documents that carry a judgment; unjudged hits count as misses in every metric.</p>\n");
    // Labels needing re-review.
    w!(out, "<h3>Labels needing re-review ({reviews})</h3>\n");
    if review.is_empty() {
        out.push_str("<p class=\"empty\">None: every label tied to a document version matches its text.</p>\n");
    } else {
        table_open(out, &["Question", "Document", "Label", "Why"]);
        for l in review.iter().take(SHOWN) {
            w!(
                out,
                "<tr><td><code>{}</code></td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>\n",
                text(&s(l, "query_id")),
                text(&s(l, "doc")),
                text(&s(l, "kind")),
                text(&review_reason(l))
            );
        }
        out.push_str("</tbody>\n</table>\n");
        more_html(out, reviews);
    }
    // Duplicates.
    let dups = g.get("duplicates").items();
    let groups = count(&g, "duplicates", dups.len());
    w!(
        out,
        "<h3>Duplicate questions ({} group(s))</h3>\n<p class=\"muted\">Exact: the same lower-cased words; near: word 3-shingle Jaccard ≥ {}.</p>\n",
        groups,
        fig(&g.get("near_duplicate_threshold"), Kind::Plain)
    );
    if dups.is_empty() {
        out.push_str("<p class=\"empty\">None.</p>\n");
    } else {
        table_open(out, &["Kind", "Questions", "#Jaccard"]);
        for d in dups.iter().take(SHOWN) {
            let ids: Vec<String> = d
                .get("ids")
                .items()
                .iter()
                .map(|i| {
                    format!(
                        "<code>{}</code>",
                        text(&i.scalar_text().unwrap_or_default())
                    )
                })
                .collect();
            w!(
                out,
                "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td></tr>\n",
                text(&s(d, "kind")),
                ids.join(", "),
                fig(&d.get("similarity"), Kind::Score)
            );
        }
        out.push_str("</tbody>\n</table>\n");
        more_html(out, groups);
    }
    // Gold pages gone.
    let gone = g.get("gold_gone").items();
    let gone_count = count(&g, "gold_gone", gone.len());
    w!(
        out,
        "<h3>Gold pages deleted or superseded ({gone_count})</h3>\n"
    );
    if gone.is_empty() {
        out.push_str(
            "<p class=\"empty\">None: every gold page is in the corpus, live and current.</p>\n",
        );
    } else {
        table_open(out, &["Question", "Gold page", "State"]);
        for x in gone.iter().take(SHOWN) {
            w!(
                out,
                "<tr><td><code>{}</code></td><td><code>{}</code></td><td>{}</td></tr>\n",
                text(&s(x, "query_id")),
                text(&s(x, "doc")),
                text(&gone_reason(x))
            );
        }
        out.push_str("</tbody>\n</table>\n");
        more_html(out, gone_count);
    }
    // Unanswerable, now answered.
    let now = g.get("unanswerable_answered").items();
    let now_count = count(&g, "unanswerable_answered", now.len());
    w!(
        out,
        "<h3>Unanswerable questions the corpus now answers ({now_count})</h3>\n<p class=\"muted\">A question labelled unanswerable whose reference answer or evidence quote (3 words or more) is found in a live document.</p>\n"
    );
    if now.is_empty() {
        out.push_str("<p class=\"empty\">None.</p>\n");
    } else {
        table_open(out, &["Question", "Document", "Found"]);
        for x in now.iter().take(SHOWN) {
            w!(
                out,
                "<tr><td><code>{}</code></td><td><code>{}</code></td><td>{}</td></tr>\n",
                text(&s(x, "query_id")),
                text(&s(x, "doc")),
                text(&s(x, "via").replace('_', " "))
            );
        }
        out.push_str("</tbody>\n</table>\n");
        more_html(out, now_count);
    }
    // Leakage.
    let l = g.get("leakage");
    let leaked = count(
        &g,
        "leaked_questions",
        l.get("leaked_questions").items().len(),
    );
    w!(
        out,
        "<h3>Leakage ({} question(s))</h3>\n<p class=\"muted\">A question or reference answer of {}+ words is leaked when one document holds at least {} of its word 3-grams; a reference answer found in its own gold page is extractive and not counted.</p>\n",
        leaked,
        fig(&l.get("min_words"), Kind::Count),
        fig(&l.get("threshold"), Kind::Plain)
    );
    table_open(
        out,
        &[
            "Metric",
            "#All judged questions (95% CI)",
            "#n",
            "#Without the leaked (95% CI)",
            "#n",
        ],
    );
    let without = l.get("metrics_without");
    for (name, all) in l.get("metrics_all").entries() {
        w!(
            out,
            "<tr><td><code>{}</code></td>{}{}</tr>\n",
            text(name),
            metric_cells(&all),
            metric_cells(&without.get(name))
        );
    }
    out.push_str("</tbody>\n</table>\n");
    let (leaks, [extractive, inflating]) = leaks_of(&g);
    if extractive > 0 {
        w!(
            out,
            "<p class=\"muted\">{extractive} reference answer(s) found in their own gold page (extractive) are not listed (all are in <code>golden.jsonl</code>).</p>\n"
        );
    }
    if !leaks.is_empty() {
        table_open(
            out,
            &["Question", "Field", "Document", "#3-grams contained"],
        );
        for x in leaks.iter().take(SHOWN) {
            w!(
                out,
                "<tr><td><code>{}</code></td><td>{}</td><td><code>{}</code></td><td class=\"num\">{}</td></tr>\n",
                text(&s(x, "query_id")),
                text(&s(x, "field").replace('_', " ")),
                text(&s(x, "doc")),
                fig(&x.get("containment"), Kind::Rate),
            );
        }
        out.push_str("</tbody>\n</table>\n");
        more_html(out, inflating);
    }
}

fn iv_md(iv: &Node<'_>) -> String {
    match (
        iv.get("mean").num(),
        iv.get("ci_lower").num(),
        iv.get("ci_upper").num(),
    ) {
        (Some(m), Some(lo), Some(hi)) => format!(
            "{} ({}–{}, n = {})",
            Kind::Score.format(m),
            Kind::Score.format_bare(lo),
            Kind::Score.format(hi),
            s(iv, "n")
        ),
        _ => format!("— (n = {})", s(iv, "n")),
    }
}

fn more_md(out: &mut String, total: usize) {
    if total > SHOWN {
        w!(
            out,
            "\n{SHOWN} shown of {total}; all are in `golden.jsonl`.\n"
        );
    }
}

/// The section in `report.md` (nothing without a `golden_set`).
pub(crate) fn markdown(out: &mut String, root: &Node<'_>) {
    let g = root.get("golden_set");
    if !g.is_present() {
        return;
    }
    let review = g.get("needs_review").items();
    let reviews = count(&g, "needs_review", review.len());
    w!(
        out,
        "## Golden set\n\n{} label(s), {} tied to the document text they were made on; {} need re-review (`--stale-labels {}`{}).\n\n",
        s(&g, "labels"),
        s(&g, "tied"),
        reviews,
        md_escape(&s(&g, "stale_rule")),
        if s(&g, "stale_rule") == "exclude" {
            format!(": {} entries excluded from the metrics", s(&g, "excluded"))
        } else {
            String::new()
        }
    );
    let cov: Vec<String> = g
        .get("coverage")
        .items()
        .iter()
        .map(|c| {
            let j = c.get("judged");
            let v = |k: &str| {
                j.get(k)
                    .num()
                    .map_or_else(|| "—".into(), |v| Kind::Rate.format(v))
            };
            format!(
                "judged@{} {} ({}–{}, n = {})",
                s(c, "k"),
                v("mean"),
                v("ci_lower"),
                v("ci_upper"),
                s(&j, "n")
            )
        })
        .collect();
    w!(out, "**Coverage:** {}.\n\n", cov.join("; "));
    if !review.is_empty() {
        out.push_str("| Question | Document | Label | Why |\n|---|---|---|---|\n");
        for l in review.iter().take(SHOWN) {
            w!(
                out,
                "| {} | {} | {} | {} |\n",
                md_code(&s(l, "query_id")),
                md_code(&s(l, "doc")),
                md_escape(&s(l, "kind")),
                md_escape(&review_reason(l))
            );
        }
        more_md(out, reviews);
        out.push('\n');
    }
    let dups = g.get("duplicates").items();
    let groups = count(&g, "duplicates", dups.len());
    w!(
        out,
        "**Duplicate questions:** {} group(s) (exact after normalisation; near: word 3-shingle Jaccard ≥ {}){}",
        groups,
        s(&g, "near_duplicate_threshold"),
        if dups.is_empty() { ".\n\n" } else { ":\n\n" }
    );
    for d in dups.iter().take(SHOWN) {
        let ids: Vec<String> = d
            .get("ids")
            .items()
            .iter()
            .map(|i| md_code(&i.scalar_text().unwrap_or_default()))
            .collect();
        w!(
            out,
            "- {} ({}): {}\n",
            md_escape(&s(d, "kind")),
            Kind::Score.format(d.get("similarity").num().unwrap_or(f64::NAN)),
            ids.join(", ")
        );
    }
    if !dups.is_empty() {
        more_md(out, groups);
        out.push('\n');
    }
    for (key, title) in [
        ("gold_gone", "Gold pages deleted or superseded"),
        (
            "unanswerable_answered",
            "Unanswerable questions the corpus now answers",
        ),
    ] {
        let items = g.get(key).items();
        let n = count(&g, key, items.len());
        w!(
            out,
            "**{title}:** {n}{}",
            if items.is_empty() { ".\n\n" } else { ":\n\n" }
        );
        for x in items.iter().take(SHOWN) {
            let why = if key == "gold_gone" {
                gone_reason(x)
            } else {
                format!("{} found", s(x, "via").replace('_', " "))
            };
            w!(
                out,
                "- {} {}: {}\n",
                md_code(&s(x, "query_id")),
                md_code(&s(x, "doc")),
                md_escape(&why)
            );
        }
        if !items.is_empty() {
            more_md(out, n);
            out.push('\n');
        }
    }
    let l = g.get("leakage");
    let leaked = count(
        &g,
        "leaked_questions",
        l.get("leaked_questions").items().len(),
    );
    w!(
        out,
        "**Leakage:** {} question(s) copied into the corpus (word 3-gram containment ≥ {} in one document, texts of {}+ words; extractive answers in their own gold page not counted).\n\n",
        leaked,
        s(&l, "threshold"),
        s(&l, "min_words")
    );
    let without = l.get("metrics_without");
    out.push_str(
        "| Metric | All judged questions (95% CI) | Without the leaked |\n|---|--:|--:|\n",
    );
    for (name, all) in l.get("metrics_all").entries() {
        w!(
            out,
            "| {} | {} | {} |\n",
            md_code(name),
            iv_md(&all),
            iv_md(&without.get(name))
        );
    }
    out.push('\n');
    let (leaks, [_, n]) = leaks_of(&g);
    for x in leaks.iter().take(SHOWN) {
        w!(
            out,
            "- {} {} in {}: {} of its 3-grams\n",
            md_code(&s(x, "query_id")),
            md_escape(&s(x, "field").replace('_', " ")),
            md_code(&s(x, "doc")),
            Kind::Rate.format(x.get("containment").num().unwrap_or(f64::NAN)),
        );
    }
    if n > 0 {
        more_md(out, n);
        out.push('\n');
    }
}
