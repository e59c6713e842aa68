//! `report.md`: the summary and tables, for pull requests and wikis.

use crate::drill::Drill;
use crate::node::{
    class_label, class_order, flag_label, flag_order, humanize, metric_kind, metric_order, stat,
    Kind, Node,
};
use crate::view::QuestionView;
use ragdiag_core::{md_code, md_escape, md_prose};
use ragdiag_diagnose::Class;
use serde_json::Value;
use std::fmt::Write as _;

macro_rules! w {
    ($dst:expr) => {{
        $dst.push('\n');
    }};
    ($dst:expr, $($arg:tt)*) => {{
        let _ = writeln!($dst, $($arg)*);
    }};
}

/// At most this many failing questions are listed (by class, then in question order); the
/// rest are counted.
pub const MAX_FAILING: usize = 50;
/// At most this many warnings are listed; the rest are counted.
const MAX_WARNINGS: usize = 20;

fn val(n: &Node<'_>, kind: Kind) -> String {
    n.num().map_or_else(|| "—".to_owned(), |v| kind.format(v))
}

fn ci(lo: &Node<'_>, hi: &Node<'_>, kind: Kind) -> String {
    match (lo.num(), hi.num()) {
        (None, None) => "—".to_owned(),
        (l, h) => format!(
            "{}–{}",
            l.map_or_else(|| "—".to_owned(), |v| kind.format_bare(v)),
            h.map_or_else(|| "—".to_owned(), |v| kind.format(v))
        ),
    }
}

/// Renders `report.md` from the content of `summary.json` and the per-question views: the
/// headline, gates, metric, class, freshness, tag and generation tables (means with 95% CIs and
/// n), the failing questions (id, class, rule, reason; the first 50), warnings and provenance.
/// Strings from the input are escaped for Markdown (and its inline HTML); missing sections are
/// left out. Deterministic.
#[must_use]
pub fn render_markdown_json(summary: &Value, questions: &[QuestionView]) -> String {
    render(summary, &Drill::of(questions))
}

/// [`render_markdown_json`] over a drill-down.
pub(crate) fn render(summary: &Value, drill: &Drill<'_>) -> String {
    let root = Node::root(summary);
    let mut out = String::new();
    let name = root.get("name").str().unwrap_or("");
    if name.is_empty() {
        w!(out, "# ragdiag diagnosis\n");
    } else {
        w!(out, "# ragdiag diagnosis: {}\n", md_escape(name));
    }
    let headline: Vec<&str> = root
        .get("headline")
        .items()
        .iter()
        .filter_map(Node::str)
        .collect();
    for h in &headline {
        w!(out, "- {}", md_escape(h));
    }
    if !headline.is_empty() {
        w!(out);
    }
    let q = root.get("questions");
    let mode = root.get("mode").str().unwrap_or("");
    if q.is_present() || !mode.is_empty() {
        let mut line = String::new();
        if q.is_present() {
            let not_assessed = q.get("not_assessed");
            let aside = if not_assessed.num().is_some_and(|n| n > 0.0) {
                format!(
                    " ({} unanswerable without an answer to judge: not assessed)",
                    val(&not_assessed, Kind::Count)
                )
            } else {
                String::new()
            };
            let _ = write!(
                line,
                "**Questions:** {} total, {} scored{aside}, {} without labels.",
                val(&q.get("total"), Kind::Count),
                val(&q.get("scored"), Kind::Count),
                val(&q.get(Class::NoLabel.as_str()), Kind::Count)
            );
        }
        if !mode.is_empty() {
            if !line.is_empty() {
                line.push(' ');
            }
            let _ = write!(line, "**Mode:** {}.", md_escape(mode));
        }
        w!(out, "{line}\n");
    }
    gates(&mut out, &root);
    crate::decisions::fix_first_markdown(&mut out, &root);
    metrics(&mut out, &root);
    classes(&mut out, &root);
    freshness(&mut out, &root);
    tags(&mut out, &root);
    generation(&mut out, &root);
    crate::decisions::reranker_markdown(&mut out, &root);
    crate::cost::markdown(&mut out, &root);
    crate::thresholds::markdown(&mut out, &root);
    crate::thresholds::review_markdown(&mut out, &root);
    crate::golden::markdown(&mut out, &root);
    failing(&mut out, drill);
    warnings(&mut out, &root);
    provenance(&mut out, &root);
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

fn gates(out: &mut String, root: &Node<'_>) {
    let gates = root.get("gates").items();
    if gates.is_empty() {
        return;
    }
    let failed = gates
        .iter()
        .filter(|g| g.get("passed").bool() == Some(false))
        .count();
    if failed == 0 {
        w!(out, "## Gates: all {} passed\n", gates.len());
    } else {
        w!(out, "## Gates: {failed} of {} failed\n", gates.len());
    }
    w!(
        out,
        "| Metric | Condition | Value | Smallest detectable drop¹ | Result |\n|---|---|--:|--:|---|"
    );
    for g in &gates {
        let metric = g.get("metric").str().unwrap_or("");
        let kind = metric_kind(metric);
        let op = match g.get("op").str().unwrap_or("") {
            ">=" => "≥".to_owned(),
            "<=" => "≤".to_owned(),
            other => md_escape(other),
        };
        let result = match g.get("passed").bool() {
            Some(true) => "✅ pass",
            Some(false) => "❌ **fail**",
            None => "—",
        };
        w!(
            out,
            "| {} | {op} {} | {} | {} | {result} |",
            md_code(metric),
            val(&g.get("threshold"), kind),
            val(&g.get("value"), kind),
            val(&g.get("detectable_drop"), kind)
        );
    }
    w!(
        out,
        "\n¹ The smallest drop from the current value that a paired comparison on these questions \
         detects with 80% power at α = 0.05 (uncorrelated systems, the most it can be); a smaller \
         regression can pass unnoticed. `ragdiag plan` computes other settings."
    );
    w!(out);
}

fn metrics(out: &mut String, root: &Node<'_>) {
    let mut entries = root.get("metrics").entries();
    if entries.is_empty() {
        return;
    }
    entries.sort_by(|a, b| metric_order(a.0, b.0));
    w!(
        out,
        "## Retrieval quality\n\n| Metric | Mean | 95% CI | n |\n|---|--:|--:|--:|"
    );
    for (name, node) in &entries {
        let kind = metric_kind(name);
        let [mean, lo, hi, n] = stat(node);
        w!(
            out,
            "| {} | {} | {} | {} |",
            md_code(name),
            val(&mean, kind),
            ci(&lo, &hi, kind),
            val(&n, Kind::Count)
        );
    }
    w!(
        out,
        "\nIntervals: Wilson score for proportions (hit rates, shares), percentile bootstrap for \
         means of graded metrics.\n"
    );
}

fn classes(out: &mut String, root: &Node<'_>) {
    let mut entries = root.get("classes").entries();
    if !entries.is_empty() {
        entries.sort_by(|a, b| class_order(a.0, b.0));
        w!(
            out,
            "## Failure classes\n\n| Class | Questions | Share | 95% CI |\n|---|--:|--:|--:|"
        );
        for (name, node) in &entries {
            let count = if node.num().is_some() {
                node.clone()
            } else {
                node.get("count")
            };
            w!(
                out,
                "| {} | {} | {} | {} |",
                md_escape(&class_label(name)),
                val(&count, Kind::Count),
                val(&node.get("share"), Kind::Rate),
                ci(&node.get("ci_lower"), &node.get("ci_upper"), Kind::Rate)
            );
        }
        w!(out);
    }
    let mut flags = root.get("flags").entries();
    flags.sort_by(|a, b| flag_order(a.0, b.0));
    if !flags.is_empty() {
        w!(
            out,
            "| Flag | Questions | Share | 95% CI |\n|---|--:|--:|--:|"
        );
        for (name, node) in &flags {
            let count = if node.num().is_some() {
                node.clone()
            } else {
                node.get("count")
            };
            w!(
                out,
                "| {} | {} | {} | {} |",
                md_escape(&flag_label(name)),
                val(&count, Kind::Count),
                val(&node.get("share"), Kind::Rate),
                ci(&node.get("ci_lower"), &node.get("ci_upper"), Kind::Rate)
            );
        }
        w!(out);
    }
}

fn freshness(out: &mut String, root: &Node<'_>) {
    let f = root.get("freshness");
    if !f.is_present() {
        return;
    }
    w!(
        out,
        "## Freshness\n\n| Figure | Value | 95% CI | n |\n|---|--:|--:|--:|"
    );
    let shr = f.get("stale_hit_rate");
    if shr.is_present() {
        let [mean, lo, hi, n] = stat(&shr);
        let k = shr.get("k").num().map_or_else(String::new, |k| {
            format!(" in the top {}", Kind::Count.format(k))
        });
        w!(
            out,
            "| Stale hits{k} | {} | {} | {} |",
            val(&mean, Kind::Rate),
            ci(&lo, &hi, Kind::Rate),
            val(&n, Kind::Count)
        );
    }
    let top = f.get("top_hit_stale_share");
    if top.is_present() {
        let [mean, lo, hi, n] = stat(&top);
        w!(
            out,
            "| Top hit stale | {} | {} | {} |",
            val(&mean, Kind::Rate),
            ci(&lo, &hi, Kind::Rate),
            val(&n, Kind::Count)
        );
    }
    for (key, label) in [
        ("superseded_above_current", "Superseded above current"),
        ("ghost_citations", "Ghost citations"),
        ("documents", "Documents"),
        ("stale_documents", "Stale documents"),
        ("undated_documents", "Undated documents"),
        ("conflicts", "Conflict clusters"),
    ] {
        let node = f.get(key);
        if node.is_present() {
            w!(out, "| {label} | {} | | |", val(&node, Kind::Count));
        }
    }
    w!(out);
}

fn tags(out: &mut String, root: &Node<'_>) {
    let items = root.get("by_tag").items();
    if items.is_empty() {
        return;
    }
    w!(
        out,
        "## By tag\n\n| Tag | n | Hit rate | 95% CI | Failures |\n|---|--:|--:|--:|--:|"
    );
    for t in &items {
        let [mean, lo, hi, _] = stat(&t.get("hit_rate"));
        w!(
            out,
            "| {} | {} | {} | {} | {} |",
            md_escape(&t.get("tag").scalar_text().unwrap_or_default()),
            val(&t.get("n"), Kind::Count),
            val(&mean, Kind::Rate),
            ci(&lo, &hi, Kind::Rate),
            val(&t.get("failures"), Kind::Count)
        );
    }
    w!(out);
}

fn generation(out: &mut String, root: &Node<'_>) {
    let g = root.get("generation");
    let lat = root.get("latency_ms");
    let tok = root.get("tokens");
    if !g.is_present() && !lat.is_present() && !tok.is_present() {
        return;
    }
    w!(out, "## Generation\n");
    let mut entries = g.entries();
    if !entries.is_empty() {
        let known = ["correct", "grounded", "abstained"];
        entries
            .sort_by_key(|(k, _)| (known.iter().position(|x| x == k).unwrap_or(known.len()), *k));
        w!(out, "| Answers | Share | 95% CI | n |\n|---|--:|--:|--:|");
        for (key, node) in &entries {
            let [mean, lo, hi, n] = stat(node);
            w!(
                out,
                "| {} | {} | {} | {} |",
                md_escape(&humanize(key)),
                val(&mean, Kind::Rate),
                ci(&lo, &hi, Kind::Rate),
                val(&n, Kind::Count)
            );
        }
        w!(out);
    }
    if lat.is_present() {
        w!(
            out,
            "Latency: p50 {} ms, p95 {} ms (n = {}).",
            val(&lat.get("p50"), Kind::Count),
            val(&lat.get("p95"), Kind::Count),
            val(&lat.get("n"), Kind::Count)
        );
    }
    if tok.is_present() {
        w!(
            out,
            "Tokens: prompt p50 {} / p95 {}, completion p50 {} / p95 {}, {} per correct answer.",
            val(&tok.get("prompt_p50"), Kind::Count),
            val(&tok.get("prompt_p95"), Kind::Count),
            val(&tok.get("completion_p50"), Kind::Count),
            val(&tok.get("completion_p95"), Kind::Count),
            val(&tok.get("per_correct_answer"), Kind::Count)
        );
    }
    w!(out);
}

fn failing(out: &mut String, drill: &Drill<'_>) {
    let failing = drill.failing();
    if failing == 0 {
        return;
    }
    w!(out, "## Failing questions ({})\n", failing);
    // The first MAX_FAILING, by class and then in question order.
    for (_, q) in drill.listed() {
        let rule = q.rule.as_ref().map_or_else(String::new, |r| {
            format!(" (rule {} {})", r.number, md_escape(&r.name))
        });
        let reason = if q.reason.is_empty() {
            String::new()
        } else {
            format!(": {}", md_prose(&q.reason))
        };
        w!(
            out,
            "- {} **{}**{rule}{reason}",
            md_code(&q.id),
            md_escape(&class_label(&q.class))
        );
    }
    if failing > MAX_FAILING {
        w!(
            out,
            "- … and {} more (see report.html)",
            failing - MAX_FAILING
        );
    }
    w!(out);
}

fn warnings(out: &mut String, root: &Node<'_>) {
    let items: Vec<String> = root
        .get("warnings")
        .items()
        .iter()
        .filter_map(Node::scalar_text)
        .collect();
    if items.is_empty() {
        return;
    }
    w!(out, "## Warnings ({})\n", items.len());
    for wng in items.iter().take(MAX_WARNINGS) {
        w!(out, "- {}", md_code(wng));
    }
    if items.len() > MAX_WARNINGS {
        w!(
            out,
            "- … and {} more (see report.html)",
            items.len() - MAX_WARNINGS
        );
    }
    w!(out);
}

fn provenance(out: &mut String, root: &Node<'_>) {
    let p = root.get("provenance");
    let mut parts = Vec::new();
    for (key, label) in [
        ("ragdiag_version", "ragdiag"),
        ("retriever", "retriever"),
        ("chunker", "chunker"),
        ("model_id", "model"),
        ("seed", "seed"),
        ("as_of", "as of"),
        ("corpus_sha256", "corpus sha256"),
        ("queries_sha256", "queries sha256"),
    ] {
        if let Some(v) = p.get(key).scalar_text() {
            let v = if key.ends_with("sha256") && v.chars().count() > 12 {
                format!("{}…", v.chars().take(12).collect::<String>())
            } else {
                v
            };
            parts.push(format!("{label} {}", md_code(&v)));
        }
    }
    if let Some(cmd) = p.get("command").scalar_text() {
        parts.push(format!("command {}", md_code(&cmd)));
    }
    if !parts.is_empty() {
        w!(out, "<sub>{}</sub>\n", parts.join(" · "));
    }
}
