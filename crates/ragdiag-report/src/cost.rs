//! Cost and latency (`summary.json`'s `cost`), inside the "Generation" section of the page and
//! of `report.md`. Every figure is read from the summary.

use crate::escape::text;
use crate::figure::{ci, fig};
use crate::node::{class_label, Kind, Node};
use std::fmt::Write as _;

macro_rules! w {
    ($dst:expr, $($arg:tt)*) => {{
        let _ = write!($dst, $($arg)*);
    }};
}

/// A figure with its CI: `1,040 (980–1,120)`.
fn with_ci(n: &Node<'_>, kind: Kind) -> String {
    if !n.get("mean").is_present() {
        return "<span class=\"na\">—</span>".to_owned();
    }
    format!(
        "{} <span class=\"muted\">({})</span>",
        fig(&n.get("mean"), kind),
        ci(&n.get("ci_lower"), &n.get("ci_upper"), kind)
    )
}

/// A cost: four decimals, as the prices' currency is unknown.
fn money(v: f64) -> String {
    format!("{v:.4}")
}

/// The cost and latency tables (the caller is inside the Generation section).
pub(crate) fn html(out: &mut String, root: &Node<'_>) {
    let c = root.get("cost");
    if !c.is_present() {
        return;
    }
    out.push_str("<h3>Cost and latency</h3>\n");
    let price = c.get("price");
    if price.is_present() {
        w!(
            out,
            "<p class=\"lede\">At {} per million prompt tokens and {} per million completion tokens: cost per question {}, per correct answer {} (percentile bootstrap 95% CIs; per correct answer is total cost over correct answers).</p>\n",
            fig(&price.get("prompt"), Kind::Plain),
            fig(&price.get("completion"), Kind::Plain),
            with_ci(&c.get("cost_per_question"), Kind::Plain),
            with_ci(&c.get("cost_per_correct_answer"), Kind::Plain),
        );
    } else {
        out.push_str("<p class=\"lede\">No token prices were given (<code>--price prompt=…,completion=…</code>), so no cost. Latency quantiles carry percentile bootstrap 95% CIs.</p>\n");
    }
    out.push_str("<table>\n<thead><tr><th>Questions</th><th class=\"num\">Latency p50 (ms)</th><th class=\"num\">Latency p95 (ms)</th><th class=\"num\">n</th><th class=\"num\">Mean cost</th></tr></thead>\n<tbody>\n");
    let row = |out: &mut String, label: &str, lat: &Node<'_>, cost: Option<&Node<'_>>| {
        w!(
            out,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
            text(label),
            with_ci(&lat.get("p50"), Kind::Count),
            with_ci(&lat.get("p95"), Kind::Count),
            fig(&lat.get("p50").get("n"), Kind::Count),
            cost.map_or_else(String::new, |n| with_ci(n, Kind::Plain)),
        );
    };
    row(out, "Answered correctly", &c.get("latency_correct"), None);
    row(out, "Answered wrongly", &c.get("latency_wrong"), None);
    for cl in c.get("by_class").items() {
        let name = cl.get("class").scalar_text().unwrap_or_default();
        row(
            out,
            &format!("Class: {}", class_label(&name)),
            &cl.get("latency"),
            Some(&cl.get("cost")),
        );
    }
    out.push_str("</tbody>\n</table>\n");
}

/// The same in `report.md`.
pub(crate) fn markdown(out: &mut String, root: &Node<'_>) {
    let c = root.get("cost");
    if !c.is_present() {
        return;
    }
    let iv = |n: &Node<'_>, f: &dyn Fn(f64) -> String| match n.get("mean").num() {
        None => "—".to_owned(),
        Some(m) => match (n.get("ci_lower").num(), n.get("ci_upper").num()) {
            (Some(l), Some(u)) => format!("{} ({}–{})", f(m), f(l), f(u)),
            _ => f(m),
        },
    };
    let ms = |v: f64| Kind::Count.format(v);
    let _ = writeln!(out, "### Cost and latency\n");
    if c.get("price").is_present() {
        let _ = writeln!(
            out,
            "Cost per question {}, per correct answer {} (prices per million tokens: prompt {}, completion {}; percentile bootstrap 95% CIs).\n",
            iv(&c.get("cost_per_question"), &money),
            iv(&c.get("cost_per_correct_answer"), &money),
            c.get("price").get("prompt").num().map_or_else(String::new, |v| Kind::Plain.format(v)),
            c.get("price").get("completion").num().map_or_else(String::new, |v| Kind::Plain.format(v)),
        );
    }
    let _ = writeln!(
        out,
        "| Questions | Latency p50 ms (95% CI) | Latency p95 ms (95% CI) | n | Mean cost |\n|---|--:|--:|--:|--:|"
    );
    let row = |out: &mut String, label: &str, lat: &Node<'_>, cost: Option<&Node<'_>>| {
        let _ = writeln!(
            out,
            "| {label} | {} | {} | {} | {} |",
            iv(&lat.get("p50"), &ms),
            iv(&lat.get("p95"), &ms),
            lat.get("p50")
                .get("n")
                .num()
                .map_or_else(|| "0".into(), |v| Kind::Count.format(v)),
            cost.map_or_else(String::new, |n| iv(n, &money)),
        );
    };
    row(out, "answered correctly", &c.get("latency_correct"), None);
    row(out, "answered wrongly", &c.get("latency_wrong"), None);
    for cl in c.get("by_class").items() {
        let name = cl.get("class").scalar_text().unwrap_or_default();
        row(
            out,
            &ragdiag_core::md_escape(&class_label(&name)),
            &cl.get("latency"),
            Some(&cl.get("cost")),
        );
    }
    out.push('\n');
}
