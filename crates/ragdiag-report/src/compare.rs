//! The output of `ragdiag compare`: its text table and `report.md`, from the typed summary.

use ragdiag_contract::{ClassChange, CompareSummary};
use ragdiag_core::{md_code, md_escape, md_prose};
use std::fmt::Write as _;

/// The label of an [`ragdiag_contract::Efficiency`] figure.
fn efficiency_label(figure: &str) -> &str {
    match figure {
        "cost_per_correct_answer" => "cost",
        "latency_ms_per_correct_answer" => "latency (ms)",
        other => other,
    }
}

/// A figure with four significant decimals, or an em dash.
fn num(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_owned(), |v| format!("{v:.4}"))
}

fn signed(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_owned(), |v| format!("{v:+.4}"))
}

/// The comparison as a text table, then the class changes.
#[must_use]
pub fn compare_table(summary: &CompareSummary) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<14} {:<12} {:>8} {:>8} {:>9}  {:<19} {:>8} {:>5} {:>9}",
        "report", "metric", "base", "mean", "diff", "95% CI", "p (Holm)", "n", "W/L/T"
    );
    for c in &summary.comparisons {
        let _ = writeln!(
            out,
            "{:<14} {:<12} {:>8.4} {:>8.4} {:>+9.4}  [{:+.4}, {:+.4}] {:>8.4} {:>5} {:>3}/{}/{}",
            c.report,
            c.metric,
            c.mean_baseline,
            c.mean,
            c.difference,
            c.ci_lower,
            c.ci_upper,
            c.p_holm,
            c.n,
            c.wins,
            c.losses,
            c.ties
        );
    }
    for n in &summary.classes_not_compared {
        let _ = writeln!(out, "\nclasses not compared: {}", n.reason);
    }
    if !summary.efficiency.is_empty() {
        let _ = writeln!(
            out,
            "\n{:<14} {:<30} {:>12} {:>12} {:>12}  {:<27} {:>5}",
            "report",
            "per correct answer",
            "base",
            "value",
            "diff",
            "95% CI (paired bootstrap)",
            "n"
        );
        for e in &summary.efficiency {
            let _ = writeln!(
                out,
                "{:<14} {:<30} {:>12} {:>12} {:>12}  {:<27} {:>5}",
                e.report,
                efficiency_label(&e.figure),
                num(e.baseline),
                num(e.value),
                signed(e.difference.mean),
                format!(
                    "[{}, {}]",
                    signed(e.difference.ci_lower),
                    signed(e.difference.ci_upper)
                ),
                e.difference.n
            );
        }
    }
    if !summary.class_changes.is_empty() {
        let _ = writeln!(out, "\nclass changes:");
        for ch in &summary.class_changes {
            let _ = writeln!(
                out,
                "  {} {:<9} {} → {}  ({}): {}",
                ch.query, ch.kind, ch.from, ch.to, ch.report, ch.reason
            );
        }
    }
    out
}

/// The cells a paired test fills in a Markdown table, as `compare` and `trend` both write them:
/// `difference (lower to upper) | p (Holm) | n`.
pub(crate) fn paired_cells(
    difference: f64,
    lower: f64,
    upper: f64,
    p_holm: f64,
    n: usize,
) -> String {
    format!("{difference:+.4} ({lower:+.4} to {upper:+.4}) | {p_holm:.4} | {n}")
}

/// The comparison as `report.md`.
#[must_use]
pub fn render_compare_markdown(summary: &CompareSummary) -> String {
    let mut md = String::from("# ragdiag comparison\n\n");
    let _ = writeln!(md, "Baseline: {}\n", md_code(&summary.baseline));
    let _ = writeln!(
        md,
        "| report | metric | baseline | mean | difference (95% CI) | p (Holm) | n | wins / losses / ties |\n|---|---|---|---|---|---|---|---|"
    );
    for c in &summary.comparisons {
        let _ = writeln!(
            md,
            "| {} | {} | {:.4} | {:.4} | {} | {} / {} / {} |",
            md_escape(&c.report),
            md_escape(&c.metric),
            c.mean_baseline,
            c.mean,
            paired_cells(c.difference, c.ci_lower, c.ci_upper, c.p_holm, c.n),
            c.wins,
            c.losses,
            c.ties
        );
    }
    for n in &summary.classes_not_compared {
        let _ = writeln!(md, "\n**Classes not compared:** {}", md_escape(&n.reason));
    }
    if !summary.efficiency.is_empty() {
        let _ = writeln!(
            md,
            "\n## Quality per dollar and per second\n\nEach figure summed over the questions \
             both reports hold with it and a judged answer, divided by the correct answers; the \
             difference with its 95% paired bootstrap interval.\n\n| report | per correct answer | \
             baseline | report | difference (95% CI) | correct (baseline / report) | n |\n\
             |---|---|---|---|---|---|---|"
        );
        for e in &summary.efficiency {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} ({} to {}) | {} / {} | {} |",
                md_escape(&e.report),
                efficiency_label(&e.figure),
                num(e.baseline),
                num(e.value),
                signed(e.difference.mean),
                signed(e.difference.ci_lower),
                signed(e.difference.ci_upper),
                e.correct_baseline,
                e.correct,
                e.difference.n
            );
        }
    }
    let regressed: Vec<&ClassChange> = summary
        .class_changes
        .iter()
        .filter(|c| c.kind == "regressed")
        .collect();
    if !regressed.is_empty() {
        let _ = writeln!(
            md,
            "\n## Regressed questions\n\n| question | report | now | why |\n|---|---|---|---|"
        );
        for c in regressed {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} |",
                md_escape(&c.query),
                md_escape(&c.report),
                c.to,
                md_prose(&c.reason)
            );
        }
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;
    use ragdiag_contract::{Comparison, COMPARE_SCHEMA_VERSION};

    /// Report names, question ids and reasons are escaped in `report.md` (they were only
    /// `|`-escaped, and report names not at all); reasons keep their code spans.
    #[test]
    fn markdown_escapes_what_the_reports_name() {
        let summary = CompareSummary {
            schema_version: COMPARE_SCHEMA_VERSION,
            baseline: "runs/`base`".into(),
            reports: Vec::new(),
            comparisons: vec![Comparison {
                baseline: "base".into(),
                report: "<b>new|er</b>".into(),
                metric: "hit@5".into(),
                mean_baseline: 0.5,
                mean: 0.75,
                difference: 0.25,
                ci_lower: 0.1,
                ci_upper: 0.4,
                n: 10,
                p_randomization: 0.01,
                p_bootstrap: 0.01,
                p_holm: 0.02,
                effect_size: None,
                wins: 3,
                losses: 0,
                ties: 7,
            }],
            class_changes: vec![ClassChange {
                report: "*new*".into(),
                report_index: 1,
                query: "q|1".into(),
                kind: "regressed".into(),
                from: "ok".into(),
                to: "ranking_miss".into(),
                reason: "`doc|a` ranked 6, outside the context window of *5*".into(),
            }],
            classes_not_compared: Vec::new(),
            efficiency: Vec::new(),
            gates: Vec::new(),
            seed: 42,
        };
        let md = render_compare_markdown(&summary);
        assert!(md.contains("Baseline: `` runs/`base` ``\n"), "{md}");
        assert!(
            md.contains("| &lt;b&gt;new\\|er&lt;/b&gt; | hit@5 | 0.5000 |"),
            "{md}"
        );
        assert!(
            md.contains(
                "| q\\|1 | \\*new\\* | ranking_miss | `doc\\|a` ranked 6, outside the context \
                 window of \\*5\\* |"
            ),
            "{md}"
        );
    }
}
