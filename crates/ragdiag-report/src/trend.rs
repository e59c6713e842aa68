//! The output of `ragdiag trend`: `trend.html` (inline SVG charts, no script), `trend.md` (a
//! table for a wiki) and the text table, from the typed [`TrendSummary`]. Figures on the page
//! are read from the summary's JSON with their `data-figure` paths, as on `report.html`.

use crate::escape::{attr, text};
use crate::figure::{ci, fig, fig_tag};
use crate::node::{class_label, class_order, metric_kind, metric_order, Kind, Node};
use crate::svg::class_colour;
use ragdiag_contract::trend::{TrendRun, TrendSummary};
use ragdiag_core::{md_escape, md_prose};
use std::collections::BTreeSet;
use std::fmt::Write as _;

const CSS: &str = include_str!("report.css");
const TREND_CSS: &str = "svg .line.regression { stroke: #C0392B; stroke-width: 3; }\n\
svg .dot.regression { fill: #C0392B; }\n\
.pill.regression { background: #FADBD8; color: #922B21; }\n\
svg.chart .legend { font-size: 12px; }\n";

/// How a metric of the trend is shown (`answer_correct` is a share).
fn kind(metric: &str) -> Kind {
    if metric == "answer_correct" {
        Kind::Rate
    } else {
        metric_kind(metric)
    }
}

fn label(metric: &str) -> String {
    if metric == "answer_correct" {
        "answers correct".to_owned()
    } else {
        metric.to_owned()
    }
}

/// Every metric some run holds, in the report's metric order.
fn metric_names(s: &TrendSummary) -> Vec<String> {
    let set: BTreeSet<&String> = s.runs.iter().flat_map(|r| r.metrics.keys()).collect();
    let mut v: Vec<String> = set.into_iter().cloned().collect();
    v.sort_by(|a, b| metric_order(a, b));
    v
}

fn class_names(s: &TrendSummary) -> Vec<String> {
    let set: BTreeSet<&String> = s.runs.iter().flat_map(|r| r.classes.keys()).collect();
    let mut v: Vec<String> = set.into_iter().cloned().collect();
    v.sort_by(|a, b| class_order(a, b));
    v
}

/// One decimal, without `-0.0`.
fn r1(v: f64) -> String {
    let v = (v * 10.0).round() / 10.0;
    if v == 0.0 {
        "0".to_owned()
    } else {
        format!("{v}")
    }
}

/// A run's figure: mean, lower and upper bound.
type Point = (f64, Option<f64>, Option<f64>);

/// One series of a trend chart: per run, the mean and its interval (`None`: no figure).
struct Series {
    name: String,
    colour: Option<&'static str>,
    points: Vec<Option<Point>>,
}

/// A line chart over the runs (x: the runs in date order, labelled by date; y: a 0–1 range
/// fitted to the figures), each series with its 95% band when it has one; the segments of
/// `regressed` steps drawn in red. `None` when no figure is in 0..=1.
fn trend_chart(
    title: &str,
    k: Kind,
    dates: &[String],
    series: &[Series],
    regressed: &[bool],
) -> Option<String> {
    let all: Vec<f64> = series
        .iter()
        .flat_map(|s| s.points.iter().flatten())
        .flat_map(|(m, lo, hi)| [Some(*m), *lo, *hi])
        .flatten()
        .filter(|v| (0.0..=1.0).contains(v))
        .collect();
    if all.is_empty() || dates.is_empty() {
        return None;
    }
    let lo = (all.iter().copied().fold(1.0, f64::min) * 10.0).floor() / 10.0;
    let hi = ((all.iter().copied().fold(0.0, f64::max) * 10.0).ceil() / 10.0).max(lo + 0.1);
    let (x0, x1, y0, y1) = (64.0, 600.0, 14.0, 214.0);
    let legend = series.len() > 1;
    let w = if legend { 760.0 } else { 640.0 };
    #[allow(clippy::cast_precision_loss)]
    let x = |i: usize| {
        if dates.len() == 1 {
            (x0 + x1) / 2.0
        } else {
            x0 + i as f64 / (dates.len() - 1) as f64 * (x1 - x0)
        }
    };
    let y = |v: f64| y1 - (v.clamp(lo, hi) - lo) / (hi - lo) * (y1 - y0);
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg class=\"chart\" viewBox=\"0 0 {w} 250\" role=\"img\" aria-label=\"{}\"><title>{}</title>",
        attr(title),
        text(title)
    );
    for t in 0..=4 {
        let v = lo + f64::from(t) * (hi - lo) / 4.0;
        let _ = write!(
            s,
            "<line class=\"grid\" x1=\"{}\" y1=\"{yy}\" x2=\"{}\" y2=\"{yy}\"/><text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            r1(x0),
            r1(x1),
            r1(x0 - 8.0),
            r1(y(v) + 4.0),
            k.format(v),
            yy = r1(y(v)),
        );
    }
    let mut last = f64::NEG_INFINITY;
    for (i, d) in dates.iter().enumerate() {
        if x(i) - last >= 70.0 {
            let _ = write!(
                s,
                "<text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                r1(x(i)),
                r1(y1 + 24.0),
                text(d)
            );
            last = x(i);
        }
    }
    for (si, ser) in series.iter().enumerate() {
        let style = ser
            .colour
            .map(|c| format!(" style=\"stroke: {c}\""))
            .unwrap_or_default();
        let pts: Vec<(usize, Point)> = ser
            .points
            .iter()
            .enumerate()
            .filter_map(|(i, p)| p.map(|p| (i, p)))
            .collect();
        if !legend && pts.len() > 1 && pts.iter().all(|(_, p)| p.1.is_some() && p.2.is_some()) {
            let mut d = String::new();
            for (j, (i, p)) in pts.iter().enumerate() {
                let _ = write!(
                    d,
                    "{}{} {}",
                    if j == 0 { "M" } else { "L" },
                    r1(x(*i)),
                    r1(y(p.2.unwrap_or(p.0)))
                );
            }
            for (i, p) in pts.iter().rev() {
                let _ = write!(d, "L{} {}", r1(x(*i)), r1(y(p.1.unwrap_or(p.0))));
            }
            let _ = write!(s, "<path class=\"band\" d=\"{d}Z\"/>");
        }
        for pair in pts.windows(2) {
            let ((i, a), (j, b)) = (pair[0], pair[1]);
            let bad = !legend && j == i + 1 && regressed.get(i).copied().unwrap_or(false);
            let _ = write!(
                s,
                "<path class=\"line{}\" d=\"M{} {}L{} {}\"{style}/>",
                if bad { " regression" } else { "" },
                r1(x(i)),
                r1(y(a.0)),
                r1(x(j)),
                r1(y(b.0))
            );
        }
        for (i, p) in &pts {
            let fill = ser
                .colour
                .map(|c| format!(" style=\"fill: {c}\""))
                .unwrap_or_default();
            let _ = write!(
                s,
                "<circle class=\"dot\" cx=\"{}\" cy=\"{}\" r=\"4\"{fill}><title>{} {}: {}</title></circle>",
                r1(x(*i)),
                r1(y(p.0)),
                text(&ser.name),
                text(&dates[*i]),
                k.format(p.0)
            );
        }
        if legend {
            #[allow(clippy::cast_precision_loss)]
            let ly = 20.0 + si as f64 * 18.0;
            let _ = write!(
                s,
                "<rect x=\"616\" y=\"{}\" width=\"12\" height=\"12\" style=\"fill: {}\"/><text class=\"legend\" x=\"634\" y=\"{}\">{}</text>",
                r1(ly - 10.0),
                ser.colour.unwrap_or("#999999"),
                r1(ly),
                text(&ser.name)
            );
        }
    }
    s.push_str("</svg>");
    Some(s)
}

fn interval_point(r: Option<&ragdiag_contract::Interval>) -> Option<Point> {
    r.and_then(|i| i.mean.map(|m| (m, i.ci_lower, i.ci_upper)))
}

fn regressed(s: &TrendSummary) -> Vec<bool> {
    s.steps.iter().map(|st| st.regression).collect()
}

/// Whether the step leading to run `i` regressed `metric`.
fn step_regressed(s: &TrendSummary, i: usize, metric: &str) -> bool {
    s.steps
        .iter()
        .filter(|st| st.to == i)
        .flat_map(|st| &st.comparisons)
        .any(|c| c.metric == metric && c.regression)
}

/// `trend.html`: one self-contained page (inline CSS and SVG, no script, nothing loaded).
#[must_use]
pub fn render_trend_html(summary: &TrendSummary) -> String {
    let value = serde_json::to_value(summary).unwrap_or_default();
    let root = Node::root(&value);
    let runs = root.get("runs").items();
    let dates: Vec<String> = summary.runs.iter().map(|r| r.date.clone()).collect();
    let mut out = String::with_capacity(64 * 1024);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n");
    out.push_str("<meta name=\"generator\" content=\"ragdiag\">\n");
    let _ = write!(
        out,
        "<title>ragdiag trend</title>\n<style>\n{CSS}{TREND_CSS}</style>\n</head>\n<body>\n<main>\n<h1>ragdiag trend</h1>\n"
    );
    // Summary: the regressions first.
    out.push_str("<section id=\"summary\">\n<h2>Summary</h2>\n<ul class=\"headline\">\n");
    for line in headline(summary) {
        let _ = writeln!(out, "<li>{}</li>", text(&line));
    }
    out.push_str("</ul>\n</section>\n");

    // Runs.
    out.push_str("<section id=\"runs\">\n<h2>Runs</h2>\n<table>\n<tr><th>date</th><th>report</th><th>mode</th><th class=\"num\">questions</th><th>folder</th></tr>\n");
    for (run, node) in summary.runs.iter().zip(&runs) {
        let _ = writeln!(
            out,
            "<tr><td>{}{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td><code>{}</code></td></tr>",
            text(&run.date),
            if run.date_source == "override" { " <span class=\"muted\">(given)</span>" } else { "" },
            text(&run.name),
            mode(run),
            fig(&node.get("questions"), Kind::Count),
            text(&run.dir)
        );
    }
    out.push_str("</table>\n</section>\n");

    // Metrics over time.
    out.push_str("<section id=\"metrics\">\n<h2>Metrics over time</h2>\n<p class=\"help\">Each run's figures as its summary.json holds them: 95% Wilson intervals for hit rates and shares, bootstrap intervals for graded means; n questions. A red segment is a step whose paired test found a drop (Holm p &lt; 0.05).</p>\n");
    for m in metric_names(summary) {
        let k = kind(&m);
        let _ = write!(out, "<figure>\n<h3>{}</h3>\n", text(&label(&m)));
        let series = [Series {
            name: label(&m),
            colour: None,
            points: summary
                .runs
                .iter()
                .map(|r| interval_point(r.metrics.get(&m)))
                .collect(),
        }];
        let bad: Vec<bool> = (1..summary.runs.len())
            .map(|i| step_regressed(summary, i, &m))
            .collect();
        if k != Kind::Count {
            if let Some(svg) = trend_chart(
                &format!("{} over time with 95% band", label(&m)),
                k,
                &dates,
                &series,
                &bad,
            ) {
                out.push_str(&svg);
            }
        }
        out.push_str("\n<table>\n<tr><th>date</th><th>report</th><th class=\"num\">mean</th><th>95% CI</th><th class=\"num\">n</th></tr>\n");
        for (i, (run, node)) in summary.runs.iter().zip(&runs).enumerate() {
            let n = node.get("metrics").get(&m);
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}{}</td><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td></tr>",
                text(&run.date),
                text(&run.name),
                if step_regressed(summary, i, &m) { " <span class=\"pill regression\">regression</span>" } else { "" },
                fig(&n.get("mean"), k),
                ci(&n.get("ci_lower"), &n.get("ci_upper"), k),
                fig(&n.get("n"), Kind::Count)
            );
        }
        out.push_str("</table>\n</figure>\n");
    }
    out.push_str("</section>\n");

    // Class shares.
    out.push_str("<section id=\"classes\">\n<h2>Class shares over time</h2>\n<p class=\"help\">Each class's share of the assessed questions with its 95% Wilson interval.</p>\n");
    let classes = class_names(summary);
    if classes.is_empty() {
        out.push_str("<p class=\"empty\">No run has class shares.</p>\n");
    } else {
        let series: Vec<Series> = classes
            .iter()
            .map(|c| Series {
                name: class_label(c),
                colour: Some(class_colour(c).0),
                points: summary
                    .runs
                    .iter()
                    .map(|r| interval_point(r.classes.get(c)))
                    .collect(),
            })
            .collect();
        if let Some(svg) = trend_chart(
            "Class shares over time",
            Kind::Rate,
            &dates,
            &series,
            &regressed(summary),
        ) {
            let _ = writeln!(out, "<figure>{svg}</figure>");
        }
        out.push_str("<table>\n<tr><th>class</th>");
        for run in &summary.runs {
            let _ = write!(
                out,
                "<th>{}<br><span class=\"muted\">{}</span></th>",
                text(&run.date),
                text(&run.name)
            );
        }
        out.push_str("</tr>\n");
        for c in &classes {
            let _ = write!(out, "<tr><td>{}</td>", text(&class_label(c)));
            for node in &runs {
                let n = node.get("classes").get(c);
                if n.is_present() {
                    let _ = write!(
                        out,
                        "<td>{} <span class=\"muted\">({})</span></td>",
                        fig(&n.get("mean"), Kind::Rate),
                        ci(&n.get("ci_lower"), &n.get("ci_upper"), Kind::Rate)
                    );
                } else {
                    out.push_str("<td class=\"na\">—</td>");
                }
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</table>\n");
    }
    out.push_str("</section>\n");

    // Steps.
    out.push_str("<section id=\"steps\">\n<h2>Step by step</h2>\n<p class=\"help\">Each run against the one before it, paired on the questions both hold: mean difference with its 95% paired-bootstrap interval, the randomization test's p-value Holm-corrected over every step and metric.</p>\n");
    if summary.steps.is_empty() {
        out.push_str("<p class=\"empty\">One run: no step to test.</p>\n");
    }
    for (st, node) in summary.steps.iter().zip(root.get("steps").items()) {
        let (a, b) = (&summary.runs[st.from], &summary.runs[st.to]);
        let _ = writeln!(
            out,
            "<h3>{} → {}{}</h3>",
            text(&format!("{} ({})", a.name, a.date)),
            text(&format!("{} ({})", b.name, b.date)),
            if st.regression {
                " <span class=\"pill regression\">regression</span>"
            } else {
                ""
            }
        );
        for n in &st.notes {
            let _ = writeln!(out, "<p class=\"empty\">{}</p>", text(n));
        }
        if !st.paired {
            continue;
        }
        let _ = writeln!(
            out,
            "<p class=\"muted\">Paired on {} shared questions.</p>",
            fig(&node.get("shared_questions"), Kind::Count)
        );
        out.push_str("<table>\n<tr><th>metric</th><th class=\"num\">before</th><th class=\"num\">after</th><th class=\"num\">difference</th><th>95% CI</th><th class=\"num\">p (Holm)</th><th class=\"num\">n</th><th></th></tr>\n");
        for (c, cn) in st.comparisons.iter().zip(node.get("comparisons").items()) {
            let k = kind(&c.metric);
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{} to {}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
                text(&c.metric),
                fig(&cn.get("mean_before"), k),
                fig(&cn.get("mean_after"), k),
                fig_tag("span", "", &cn.get("difference"), Kind::Score),
                fig(&cn.get("ci_lower"), Kind::Score),
                fig(&cn.get("ci_upper"), Kind::Score),
                fig(&cn.get("p_holm"), Kind::Score),
                fig(&cn.get("n"), Kind::Count),
                if c.regression { "<span class=\"pill regression\">regression</span>" } else { "" }
            );
        }
        out.push_str("</table>\n");
    }
    out.push_str("</section>\n");
    if !summary.gates.is_empty() {
        out.push_str("<section id=\"gates\">\n<h2>Regression gates</h2>\n<table>\n<tr><th>report</th><th>metric</th><th class=\"num\">drop</th><th class=\"num\">allowed</th><th class=\"num\">p (Holm)</th><th></th></tr>\n");
        for (g, gn) in summary.gates.iter().zip(root.get("gates").items()) {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td><span class=\"pill {}\">{}</span></td></tr>",
                text(&g.report),
                text(&g.metric),
                fig(&gn.get("drop"), Kind::Score),
                fig(&gn.get("max_drop"), Kind::Score),
                fig(&gn.get("p_holm"), Kind::Score),
                if g.passed { "pass" } else { "fail" },
                if g.passed { "passed" } else { "failed" }
            );
        }
        out.push_str("</table>\n</section>\n");
    }
    out.push_str("<footer>Written by ragdiag. This page is self-contained: it loads nothing and runs no script.</footer>\n</main>\n</body>\n</html>\n");
    out
}

fn mode(r: &TrendRun) -> &'static str {
    match r.mode {
        ragdiag_contract::Mode::Trace => "trace",
        ragdiag_contract::Mode::Replay => "replay",
    }
}

/// One line per finding: the span of the trend and each regressing step with its metrics.
fn headline(s: &TrendSummary) -> Vec<String> {
    let mut lines = Vec::new();
    if let (Some(first), Some(last)) = (s.runs.first(), s.runs.last()) {
        lines.push(format!(
            "{} runs from {} to {}.",
            s.runs.len(),
            first.date,
            last.date
        ));
    }
    for st in &s.steps {
        let (a, b) = (&s.runs[st.from], &s.runs[st.to]);
        let dropped: Vec<String> = st
            .comparisons
            .iter()
            .filter(|c| c.regression)
            .map(|c| {
                format!(
                    "{} {:+.3} (95% CI {:+.3} to {:+.3}, Holm p = {:.4})",
                    c.metric, c.difference, c.ci_lower, c.ci_upper, c.p_holm
                )
            })
            .collect();
        if !dropped.is_empty() {
            lines.push(format!(
                "Regression from {} ({}) to {} ({}): {}.",
                a.name,
                a.date,
                b.name,
                b.date,
                dropped.join("; ")
            ));
        } else if !st.paired {
            lines.push(format!(
                "{} → {}: not compared question by question (no shared questions).",
                a.name, b.name
            ));
        }
    }
    if !s.steps.iter().any(|st| st.regression) && !s.steps.is_empty() {
        lines.push("No step shows a significant drop (Holm p < 0.05).".to_owned());
    }
    lines
}

fn cell(i: Option<&ragdiag_contract::Interval>, k: Kind) -> String {
    match i.and_then(|i| i.mean.map(|m| (m, i))) {
        Some((m, i)) => match (i.ci_lower, i.ci_upper) {
            (Some(lo), Some(hi)) => format!(
                "{} ({}–{}) n={}",
                k.format(m),
                k.format_bare(lo),
                k.format(hi),
                i.n
            ),
            _ => format!("{} n={}", k.format(m), i.n),
        },
        None => "—".to_owned(),
    }
}

/// `trend.md`: the headline, a table of runs × metrics for a wiki, the class shares and the
/// steps.
#[must_use]
pub fn render_trend_markdown(s: &TrendSummary) -> String {
    let mut md = String::from("# ragdiag trend\n\n");
    for line in headline(s) {
        let _ = writeln!(md, "- {}", md_escape(&line));
    }
    let metrics = metric_names(s);
    let _ = write!(md, "\n## Metrics\n\n| date | report |");
    for m in &metrics {
        let _ = write!(md, " {} |", md_escape(&label(m)));
    }
    md.push_str("\n|---|---|");
    md.push_str(&"---|".repeat(metrics.len()));
    md.push('\n');
    for (i, r) in s.runs.iter().enumerate() {
        let _ = write!(md, "| {} | {} |", md_escape(&r.date), md_escape(&r.name));
        for m in &metrics {
            let mark = if step_regressed(s, i, m) {
                " **regression**"
            } else {
                ""
            };
            let _ = write!(md, " {}{mark} |", cell(r.metrics.get(m), kind(m)));
        }
        md.push('\n');
    }
    let classes = class_names(s);
    if !classes.is_empty() {
        let _ = write!(md, "\n## Class shares\n\n| date | report |");
        for c in &classes {
            let _ = write!(md, " {} |", md_escape(c));
        }
        md.push_str("\n|---|---|");
        md.push_str(&"---|".repeat(classes.len()));
        md.push('\n');
        for r in &s.runs {
            let _ = write!(md, "| {} | {} |", md_escape(&r.date), md_escape(&r.name));
            for c in &classes {
                let _ = write!(md, " {} |", cell(r.classes.get(c), Kind::Rate));
            }
            md.push('\n');
        }
    }
    if !s.steps.is_empty() {
        md.push_str("\n## Steps\n\n| from | to | metric | difference (95% CI) | p (Holm) | n | |\n|---|---|---|---|---|---|---|\n");
        for st in &s.steps {
            let (a, b) = (&s.runs[st.from], &s.runs[st.to]);
            if !st.paired {
                let _ = writeln!(
                    md,
                    "| {} | {} | — | not paired | — | 0 | |",
                    md_escape(&a.name),
                    md_escape(&b.name)
                );
            }
            for c in &st.comparisons {
                let _ = writeln!(
                    md,
                    "| {} | {} | {} | {} | {} |",
                    md_escape(&a.name),
                    md_escape(&b.name),
                    md_escape(&c.metric),
                    crate::compare::paired_cells(
                        c.difference,
                        c.ci_lower,
                        c.ci_upper,
                        c.p_holm,
                        c.n
                    ),
                    if c.regression { "**regression**" } else { "" }
                );
            }
        }
        let notes: Vec<&String> = s.steps.iter().flat_map(|st| &st.notes).collect();
        for n in notes {
            let _ = writeln!(md, "\n> {}", md_prose(n));
        }
    }
    md
}

/// The text table of `trend`: runs with their headline metrics, then each step's tests.
#[must_use]
pub fn trend_table(s: &TrendSummary) -> String {
    let mut out = String::new();
    let metrics = metric_names(s);
    for (i, r) in s.runs.iter().enumerate() {
        let _ = writeln!(
            out,
            "{}  {}  ({}, {} questions)",
            r.date,
            r.name,
            mode(r),
            r.questions
        );
        for m in &metrics {
            let mark = if step_regressed(s, i, m) {
                "  REGRESSION"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "  {:<16} {}{mark}",
                label(m),
                cell(r.metrics.get(m), kind(m))
            );
        }
    }
    for st in &s.steps {
        let (a, b) = (&s.runs[st.from], &s.runs[st.to]);
        let _ = writeln!(
            out,
            "\n{} → {}: {} shared questions{}",
            a.name,
            b.name,
            st.shared_questions,
            if st.regression { "  REGRESSION" } else { "" }
        );
        for n in &st.notes {
            let _ = writeln!(out, "  note: {n}");
        }
        for c in &st.comparisons {
            let _ = writeln!(
                out,
                "  {:<12} {:+.4}  [{:+.4}, {:+.4}]  p (Holm) {:.4}  n {}{}",
                c.metric,
                c.difference,
                c.ci_lower,
                c.ci_upper,
                c.p_holm,
                c.n,
                if c.regression { "  regression" } else { "" }
            );
        }
    }
    out
}
