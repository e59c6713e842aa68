//! The "Thresholds and abstention" section of `report.html` and `report.md`: the score-floor
//! sweep of `summary.json`'s `thresholds`, its trade-off chart, the operating points and the
//! per-tag recommendations. Every figure is read from the summary.

use crate::escape::text;
use crate::figure::{ci, fig};
use crate::node::{Kind, Node};
use ragdiag_core::md_escape;
use std::fmt::Write as _;

macro_rules! w {
    ($dst:expr, $($arg:tt)*) => {{
        let _ = write!($dst, $($arg)*);
    }};
}

/// One decimal, without `-0.0`.
fn r(v: f64) -> String {
    let v = (v * 10.0).round() / 10.0;
    if v == 0.0 {
        "0".to_owned()
    } else {
        format!("{v}")
    }
}

/// The target in words: `accuracy ≥ 95% (lower 95% bound)`.
fn target_text(root: &Node<'_>) -> Option<String> {
    let t = root.get("target");
    let v = t.get("value").num()?;
    match t.get("kind").str()? {
        "accuracy" => Some(format!(
            "accuracy of the answered ≥ {} (lower 95% bound)",
            Kind::Rate.format(v)
        )),
        "max_false_answer_rate" => Some(format!(
            "false-answer rate ≤ {} (upper 95% bound)",
            Kind::Rate.format(v)
        )),
        _ => None,
    }
}

/// The floor of a point as text: the number, or "no floor".
fn floor_html(p: &Node<'_>) -> String {
    if p.get("floor").num().is_some() {
        fig(&p.get("floor"), Kind::Plain)
    } else {
        "no floor".to_owned()
    }
}

fn floor_md(p: &Node<'_>) -> String {
    p.get("floor")
        .num()
        .map_or_else(|| "no floor".to_owned(), |v| Kind::Plain.format(v))
}

/// A table row of one point: floor, answered, coverage, accuracy, correct abstentions and
/// false-answer rate, each share with its CI.
fn point_row(out: &mut String, label: &str, p: &Node<'_>) {
    let cell = |key: &str| {
        let n = p.get(key);
        format!(
            "<td class=\"num\">{} <span class=\"muted\">{}</span></td>",
            fig(&n.get("mean"), Kind::Rate),
            ci(&n.get("ci_lower"), &n.get("ci_upper"), Kind::Rate)
        )
    };
    w!(
        out,
        "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>{}{}{}{}</tr>\n",
        label,
        floor_html(p),
        fig(&p.get("answered"), Kind::Count),
        cell("coverage"),
        cell("accuracy"),
        cell("correct_abstention"),
        cell("false_answer_rate"),
    );
}

const POINT_HEAD: &str = "<th class=\"num\">Floor</th><th class=\"num\">Answered</th><th class=\"num\">Coverage (95% CI)</th><th class=\"num\">Accuracy of answered</th><th class=\"num\">Correct abstentions</th><th class=\"num\">False answers</th>";

/// The section's body (the caller opens and closes the section).
pub(crate) fn html_body(out: &mut String, root: &Node<'_>) {
    let t = root.get("thresholds");
    if !t.is_present() {
        let mode = root.get("mode").str().unwrap_or("");
        out.push_str(&format!(
            "<p class=\"empty\">{}</p>\n",
            text(if mode == "trace" {
                "No score-floor sweep: no traced question has both a scored top hit and an answer that can be judged."
            } else {
                "The score-floor sweep needs answers: it is made in trace mode only."
            })
        ));
        return;
    }
    w!(
        out,
        "<p class=\"lede\">If the system declined to answer whenever its top hit scores below a floor, how many questions would it answer, how many of those correctly, and how many false answers would it give? Every floor among the observed top scores, on {} questions ({} unanswerable; {} left out without a score). Target: {}.</p>\n",
        fig(&t.get("n"), Kind::Count),
        fig(&t.get("n_unanswerable"), Kind::Count),
        fig(&t.get("without_score"), Kind::Count),
        text(&target_text(&t).unwrap_or_else(|| "—".into()))
    );
    if let Some(svg) = chart(&t) {
        w!(out, "<figure>{svg}</figure>\n");
    }
    let rec = t.get("recommended");
    if rec.is_present() {
        let cov = rec.get("coverage");
        w!(
            out,
            "<p><strong>Recommended floor: {}.</strong> It answers {} of questions (95% CI {}), {} of them correctly (95% CI {}), with {} false answers (95% CI {}).</p>\n",
            floor_html(&rec),
            fig(&cov.get("mean"), Kind::Rate),
            ci(&cov.get("ci_lower"), &cov.get("ci_upper"), Kind::Rate),
            fig(&rec.get("accuracy").get("mean"), Kind::Rate),
            ci(&rec.get("accuracy").get("ci_lower"), &rec.get("accuracy").get("ci_upper"), Kind::Rate),
            fig(&rec.get("false_answer_rate").get("mean"), Kind::Rate),
            ci(&rec.get("false_answer_rate").get("ci_lower"), &rec.get("false_answer_rate").get("ci_upper"), Kind::Rate),
        );
    } else {
        out.push_str("<p><strong>No floor meets the target</strong> on these questions with its confidence bound.</p>\n");
    }
    w!(
        out,
        "<table>\n<thead><tr><th>Operating point</th>{POINT_HEAD}</tr></thead>\n<tbody>\n"
    );
    let sweep = t.get("sweep").items();
    if let Some(first) = sweep.first() {
        point_row(out, "As traced", first);
    }
    if t.get("current").is_present() {
        point_row(out, "Current (--score-floor)", &t.get("current"));
    }
    if rec.is_present() {
        point_row(out, "Recommended", &rec);
    }
    out.push_str("</tbody>\n</table>\n");
    let tags = t.get("by_tag").items();
    if !tags.is_empty() {
        out.push_str("<h3>By tag</h3>\n<table>\n<thead><tr><th>Tag</th><th class=\"num\">n</th><th class=\"num\">Own recommended floor</th><th class=\"num\">Its coverage</th><th class=\"num\">Accuracy at the overall floor</th><th class=\"num\">95% CI</th><th class=\"num\">False answers there</th></tr></thead>\n<tbody>\n");
        for tag in &tags {
            let own = tag.get("recommended");
            let at = tag.get("at_overall");
            w!(
                out,
                "<tr><td><span class=\"tag\">{}</span></td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
                text(&tag.get("tag").scalar_text().unwrap_or_default()),
                fig(&tag.get("n"), Kind::Count),
                if own.is_present() { floor_html(&own) } else { "none meets it".to_owned() },
                if own.is_present() { fig(&own.get("coverage").get("mean"), Kind::Rate) } else { String::new() },
                fig(&at.get("accuracy").get("mean"), Kind::Rate),
                ci(&at.get("accuracy").get("ci_lower"), &at.get("accuracy").get("ci_upper"), Kind::Rate),
                fig(&at.get("false_answer_rate").get("mean"), Kind::Rate),
            );
        }
        out.push_str("</tbody>\n</table>\n");
    }
    w!(
        out,
        "<details><summary>Every floor swept ({})</summary>\n<table>\n<thead><tr><th></th>{POINT_HEAD}</tr></thead>\n<tbody>\n",
        sweep.len()
    );
    for p in &sweep {
        point_row(out, "", p);
    }
    out.push_str("</tbody>\n</table>\n</details>\n");
}

/// The trade-off chart: coverage, accuracy of the answered (with its 95% band) and the
/// false-answer rate against the floor, the target as a dashed line, the current and
/// recommended floors as vertical markers. `None` without two floors.
fn chart(t: &Node<'_>) -> Option<String> {
    struct P {
        f: f64,
        cov: Option<f64>,
        acc: Option<f64>,
        lo: Option<f64>,
        hi: Option<f64>,
        far: Option<f64>,
    }
    let pts: Vec<P> = t
        .get("sweep")
        .items()
        .iter()
        .filter_map(|p| {
            Some(P {
                f: p.get("floor").num()?,
                cov: p.get("coverage").get("mean").num(),
                acc: p.get("accuracy").get("mean").num(),
                lo: p.get("accuracy").get("ci_lower").num(),
                hi: p.get("accuracy").get("ci_upper").num(),
                far: p.get("false_answer_rate").get("mean").num(),
            })
        })
        .collect();
    if pts.len() < 2 {
        return None;
    }
    let (fmin, fmax) = (pts[0].f, pts[pts.len() - 1].f);
    if fmax <= fmin {
        return None;
    }
    let (x0, x1, y0, y1) = (64.0, 730.0, 14.0, 244.0);
    let x = |f: f64| x0 + (f - fmin) / (fmax - fmin) * (x1 - x0);
    let y = |v: f64| y1 - v.clamp(0.0, 1.0) * (y1 - y0);
    let mut s = String::new();
    w!(
        s,
        "<svg class=\"chart\" viewBox=\"0 0 760 320\" role=\"img\" aria-label=\"Score floor trade-off: coverage, accuracy and false answers\"><title>Score floor trade-off: coverage, accuracy of the answered (95% band) and false-answer rate by floor</title>"
    );
    for v in [0.0, 0.25, 0.5, 0.75, 1.0] {
        w!(
            s,
            "<line class=\"grid\" x1=\"{a}\" y1=\"{yy}\" x2=\"{b}\" y2=\"{yy}\"/><text class=\"tick\" x=\"{c}\" y=\"{d}\" text-anchor=\"end\">{e}</text>",
            a = r(x0),
            yy = r(y(v)),
            b = r(x1),
            c = r(x0 - 8.0),
            d = r(y(v) + 4.0),
            e = Kind::Rate.format(v).replace(".0%", "%")
        );
    }
    for i in 0..=4 {
        let f = fmin + (fmax - fmin) * f64::from(i) / 4.0;
        w!(
            s,
            "<text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            r(x(f)),
            r(y1 + 18.0),
            text(&format!("{f:.3}"))
        );
    }
    // The accuracy band: upper bounds left to right, lower bounds back.
    let banded: Vec<&P> = pts
        .iter()
        .filter(|p| p.lo.is_some() && p.hi.is_some())
        .collect();
    if banded.len() >= 2 {
        let mut d = String::new();
        for (i, p) in banded.iter().enumerate() {
            w!(
                d,
                "{}{} {}",
                if i == 0 { "M" } else { "L" },
                r(x(p.f)),
                r(y(p.hi.unwrap_or(0.0)))
            );
        }
        for p in banded.iter().rev() {
            w!(d, "L{} {}", r(x(p.f)), r(y(p.lo.unwrap_or(0.0))));
        }
        w!(s, "<path class=\"band\" d=\"{d}Z\"/>");
    }
    let line = |s: &mut String, class: &str, get: &dyn Fn(&P) -> Option<f64>| {
        let mut d = String::new();
        let mut first = true;
        for p in &pts {
            if let Some(v) = get(p) {
                w!(
                    d,
                    "{}{} {}",
                    if first { "M" } else { "L" },
                    r(x(p.f)),
                    r(y(v))
                );
                first = false;
            }
        }
        if !d.is_empty() {
            w!(s, "<path class=\"{class}\" d=\"{d}\"/>");
        }
    };
    line(&mut s, "line", &|p| p.acc);
    line(&mut s, "line coverage", &|p| p.cov);
    line(&mut s, "line false-answers", &|p| p.far);
    let target = t.get("target");
    if target.get("kind").str() == Some("accuracy") {
        if let Some(v) = target.get("value").num() {
            w!(
                s,
                "<line class=\"target\" x1=\"{}\" y1=\"{yy}\" x2=\"{}\" y2=\"{yy}\"/>",
                r(x0),
                r(x1),
                yy = r(y(v))
            );
        }
    } else if let Some(v) = target.get("value").num() {
        w!(
            s,
            "<line class=\"target false-answers\" x1=\"{}\" y1=\"{yy}\" x2=\"{}\" y2=\"{yy}\"/>",
            r(x0),
            r(x1),
            yy = r(y(v))
        );
    }
    for (key, label) in [("current", "current"), ("recommended", "recommended")] {
        if let Some(f) = t.get(key).get("floor").num() {
            let px = x(f.clamp(fmin, fmax));
            w!(
                s,
                "<line class=\"marker {key}\" x1=\"{a}\" y1=\"{b}\" x2=\"{a}\" y2=\"{c}\"/><text class=\"axis\" x=\"{a}\" y=\"{d}\" text-anchor=\"middle\">{label} {e}</text>",
                a = r(px),
                b = r(y0),
                c = r(y1),
                d = r(if key == "current" { y0 - 2.0 + 12.0 } else { y0 - 2.0 + 26.0 }),
                e = text(&Kind::Plain.format(f))
            );
        }
    }
    // Legend.
    let legend = [
        ("line", "Accuracy of answered (95% band)"),
        ("line coverage", "Coverage (share answered)"),
        ("line false-answers", "False answers (share of all)"),
    ];
    for (i, (class, label)) in legend.iter().enumerate() {
        let lx = x0 + 250.0 * i as f64;
        w!(
            s,
            "<path class=\"{class}\" d=\"M{} 300H{}\"/><text class=\"axis\" x=\"{}\" y=\"304\">{label}</text>",
            r(lx),
            r(lx + 24.0),
            r(lx + 30.0)
        );
    }
    w!(
        s,
        "<text class=\"axis\" x=\"{}\" y=\"282\" text-anchor=\"middle\">floor on the top hit's retrieval score (abstain below it)</text>",
        r((x0 + x1) / 2.0)
    );
    s.push_str("</svg>");
    Some(s)
}

/// The Markdown section: target, the operating points and the per-tag recommendations.
pub(crate) fn markdown(out: &mut String, root: &Node<'_>) {
    let t = root.get("thresholds");
    if !t.is_present() {
        return;
    }
    let pct = |n: &Node<'_>| {
        n.num()
            .map_or_else(|| "—".to_owned(), |v| Kind::Rate.format(v))
    };
    let ci = |n: &Node<'_>| match (n.get("ci_lower").num(), n.get("ci_upper").num()) {
        (Some(l), Some(u)) => format!("{}–{}", Kind::Rate.format_bare(l), Kind::Rate.format(u)),
        _ => "—".to_owned(),
    };
    let count = |n: &Node<'_>| {
        n.num()
            .map_or_else(|| "—".to_owned(), |v| Kind::Count.format(v))
    };
    let _ = writeln!(
        out,
        "## Thresholds and abstention\n\nAbstaining when the top hit scores below a floor, on {} questions ({} unanswerable, {} without a score). Target: {}.\n",
        count(&t.get("n")),
        count(&t.get("n_unanswerable")),
        count(&t.get("without_score")),
        md_escape(&target_text(&t).unwrap_or_else(|| "—".into()))
    );
    let _ = writeln!(
        out,
        "| Operating point | Floor | Answered | Coverage | 95% CI | Accuracy of answered | 95% CI | Correct abstentions | 95% CI | False answers | 95% CI |\n|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
    );
    let row = |out: &mut String, label: &str, p: &Node<'_>| {
        let _ = writeln!(
            out,
            "| {label} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            floor_md(p),
            count(&p.get("answered")),
            pct(&p.get("coverage").get("mean")),
            ci(&p.get("coverage")),
            pct(&p.get("accuracy").get("mean")),
            ci(&p.get("accuracy")),
            pct(&p.get("correct_abstention").get("mean")),
            ci(&p.get("correct_abstention")),
            pct(&p.get("false_answer_rate").get("mean")),
            ci(&p.get("false_answer_rate")),
        );
    };
    if let Some(first) = t.get("sweep").items().first() {
        row(out, "As traced", first);
    }
    if t.get("current").is_present() {
        row(out, "Current (`--score-floor`)", &t.get("current"));
    }
    let recommended = t.get("recommended").is_present();
    if recommended {
        row(out, "Recommended", &t.get("recommended"));
    }
    out.push('\n');
    if !recommended {
        out.push_str("No floor meets the target with its confidence bound.\n\n");
    }
    let tags = t.get("by_tag").items();
    if !tags.is_empty() {
        let _ = writeln!(
            out,
            "| Tag | n | Own recommended floor | Its coverage | Accuracy at the overall floor | 95% CI | False answers there |\n|---|--:|--:|--:|--:|--:|--:|"
        );
        for tag in &tags {
            let own = tag.get("recommended");
            let at = tag.get("at_overall");
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} |",
                md_escape(&tag.get("tag").scalar_text().unwrap_or_default()),
                count(&tag.get("n")),
                if own.is_present() {
                    floor_md(&own)
                } else {
                    "none meets it".into()
                },
                if own.is_present() {
                    pct(&own.get("coverage").get("mean"))
                } else {
                    "—".into()
                },
                pct(&at.get("accuracy").get("mean")),
                ci(&at.get("accuracy")),
                pct(&at.get("false_answer_rate").get("mean")),
            );
        }
        out.push('\n');
    }
}

/// At most this many queued questions are listed on the page and in `report.md`; `review.csv`
/// has them all.
const MAX_REVIEW: usize = 100;

/// How many questions the review queue holds: `review.queued` (schema 6, whose `items` lists the
/// first 100), else the items listed.
fn queued(review: &Node<'_>, listed: usize) -> usize {
    review
        .get("queued")
        .num()
        .map_or(listed, |n| n as usize)
        .max(listed)
}

/// The review queue's reasons in words.
fn reason_label(r: &str) -> &str {
    match r {
        "near_floor" => "near the score floor",
        "normalised_quote" => "evidence found by the normalised quote match only",
        "borderline_f1" => "answer F1 near its threshold",
        "borderline_grounding" => "groundedness near its threshold",
        other => other,
    }
}

/// The review section's body (the caller opens and closes the section).
pub(crate) fn review_html_body(out: &mut String, root: &Node<'_>) {
    let r = root.get("review");
    if !r.is_present() {
        out.push_str("<p class=\"empty\">No review queue in this summary.</p>\n");
        return;
    }
    let items = r.get("items").items();
    let band = if r.get("band").num().is_some() {
        format!(
            "top score within ±{} of the floor {}",
            fig(&r.get("band"), Kind::Plain),
            fig(&r.get("floor"), Kind::Plain)
        )
    } else {
        "no floor named or recommended, so no band".to_owned()
    };
    w!(
        out,
        "<p class=\"lede\">Questions a person should check, heaviest traffic first: those whose decision sits near the score floor ({band}), and those whose class or answer verdict rests on a weak signal (evidence located only by the normalised quote match; answer F1 or a sentence's grounded token share within {} of its threshold). <code>review.csv</code> lists them all.</p>\n",
        fig(&r.get("margin"), Kind::Plain)
    );
    let reasons = r.get("reasons").entries();
    if !reasons.is_empty() {
        out.push_str("<p>");
        let parts: Vec<String> = reasons
            .iter()
            .map(|(k, n)| format!("{}: {}", text(reason_label(k)), fig(n, Kind::Count)))
            .collect();
        out.push_str(&parts.join(" · "));
        out.push_str("</p>\n");
    }
    if items.is_empty() {
        out.push_str("<p class=\"empty\">No question is queued for review.</p>\n");
        return;
    }
    out.push_str("<table>\n<thead><tr><th>Question</th><th class=\"num\">Weight</th><th>Class</th><th class=\"num\">Top score</th><th>Why</th></tr></thead>\n<tbody>\n");
    for it in items.iter().take(MAX_REVIEW) {
        let id = it.get("query_id").scalar_text().unwrap_or_default();
        w!(
            out,
            "<tr><td><code>{}</code></td><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td></tr>\n",
            text(&id),
            fig(&it.get("weight"), Kind::Count),
            text(&crate::node::class_label(&it.get("class").scalar_text().unwrap_or_default())),
            fig(&it.get("top_score"), Kind::Plain),
            text(&it.get("detail").scalar_text().unwrap_or_default()),
        );
    }
    out.push_str("</tbody>\n</table>\n");
    let queued = queued(&r, items.len());
    if queued > MAX_REVIEW {
        w!(
            out,
            "<p class=\"muted\">… and {} more in <code>review.csv</code>.</p>\n",
            queued - MAX_REVIEW
        );
    }
}

/// The review queue in `report.md`: counts per reason and the first rows.
pub(crate) fn review_markdown(out: &mut String, root: &Node<'_>) {
    let r = root.get("review");
    let items = r.get("items").items();
    if !r.is_present() || items.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "## Review queue\n\n{} questions to check, heaviest traffic first (all in `review.csv`).\n",
        queued(&r, items.len())
    );
    let _ = writeln!(
        out,
        "| Question | Weight | Class | Top score | Why |\n|---|--:|---|--:|---|"
    );
    for it in items.iter().take(MAX_REVIEW) {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            ragdiag_core::md_code(&it.get("query_id").scalar_text().unwrap_or_default()),
            it.get("weight")
                .num()
                .map_or_else(|| "—".into(), |v| Kind::Count.format(v)),
            md_escape(&it.get("class").scalar_text().unwrap_or_default()),
            it.get("top_score")
                .num()
                .map_or_else(|| "—".into(), |v| Kind::Plain.format(v)),
            md_escape(&it.get("detail").scalar_text().unwrap_or_default()),
        );
    }
    let queued = queued(&r, items.len());
    if queued > MAX_REVIEW {
        let _ = writeln!(out, "\n… and {} more in `review.csv`.", queued - MAX_REVIEW);
    }
    out.push('\n');
}
