//! Inline SVG charts: metric means with CI whiskers, class bars, the recall curve, and the
//! small per-tag bars. Coordinates are rounded to one decimal so output is stable and compact.

use crate::escape::{attr, text};
use crate::figure::fig_tag;
use crate::node::{class_label, Kind, Node};
use ragdiag_diagnose::Class;
use std::fmt::Write as _;

/// One decimal, without `-0.0`.
fn r(v: f64) -> String {
    let v = (v * 10.0).round() / 10.0;
    if v == 0.0 {
        "0".to_owned()
    } else {
        format!("{v}")
    }
}

/// A class's colour and tint ([`Class::colour`], [`Class::tint`]); unknown classes are grey.
pub(crate) fn class_colour(class: &str) -> (&'static str, &'static str) {
    Class::from_name(class).map_or(("#999999", "#EBEBEB"), |c| (c.colour(), c.tint()))
}

/// One row of the metric chart.
pub(crate) struct MetricRow<'a> {
    pub(crate) label: String,
    pub(crate) mean: Node<'a>,
    pub(crate) lo: Node<'a>,
    pub(crate) hi: Node<'a>,
    pub(crate) n: Node<'a>,
    pub(crate) kind: Kind,
}

const W: f64 = 760.0;

/// A horizontal dot-and-whisker chart on a 0–1 axis with a light bar to the mean. Rows whose
/// mean is not in 0..=1 are left out (the table still lists them). `None` when no row is left.
pub(crate) fn metric_chart(title: &str, rows: &[MetricRow<'_>]) -> Option<String> {
    let rows: Vec<&MetricRow<'_>> = rows
        .iter()
        .filter(|r| r.mean.num().is_some_and(|m| (0.0..=1.0).contains(&m)))
        .collect();
    if rows.is_empty() {
        return None;
    }
    let (x0, x1, row_h, top) = (150.0, 520.0, 30.0, 12.0);
    let x = |v: f64| x0 + v.clamp(0.0, 1.0) * (x1 - x0);
    #[allow(clippy::cast_precision_loss)]
    let plot_h = rows.len() as f64 * row_h;
    let h = top + plot_h + 30.0;
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg class=\"chart\" viewBox=\"0 0 {} {}\" role=\"img\" aria-label=\"{}\"><title>{}</title>",
        r(W),
        r(h),
        attr(title),
        text(title)
    );
    for t in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let _ = write!(
            s,
            "<line class=\"grid\" x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\"/><text class=\"tick\" x=\"{0}\" y=\"{3}\" text-anchor=\"middle\">{4}</text>",
            r(x(t)),
            r(top - 4.0),
            r(top + plot_h),
            r(top + plot_h + 16.0),
            t
        );
    }
    for (i, row) in rows.iter().enumerate() {
        #[allow(clippy::cast_precision_loss)]
        let cy = top + (i as f64 + 0.5) * row_h;
        let mean = row.mean.num().unwrap_or(0.0);
        let _ = write!(
            s,
            "<text class=\"label\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            r(x0 - 10.0),
            r(cy + 4.5),
            text(&row.label)
        );
        let _ = write!(
            s,
            "<rect class=\"bar\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"14\"/>",
            r(x0),
            r(cy - 7.0),
            r(x(mean) - x0)
        );
        if let (Some(lo), Some(hi)) = (row.lo.num(), row.hi.num()) {
            let (a, b) = (x(lo.min(hi)), x(hi.max(lo)));
            let _ = write!(
                s,
                "<path class=\"whisker\" d=\"M{a} {y0}V{y1}M{a} {cy}H{b}M{b} {y0}V{y1}\"/>",
                a = r(a),
                b = r(b),
                cy = r(cy),
                y0 = r(cy - 6.0),
                y1 = r(cy + 6.0)
            );
        }
        let _ = write!(
            s,
            "<circle class=\"dot\" cx=\"{}\" cy=\"{}\" r=\"5\"/>",
            r(x(mean)),
            r(cy)
        );
        let _ = write!(
            s,
            "<text class=\"val\" x=\"{}\" y=\"{}\">{}",
            r(x1 + 14.0),
            r(cy + 4.5),
            fig_tag("tspan", "strong", &row.mean, row.kind)
        );
        if row.lo.num().is_some() || row.hi.num().is_some() {
            let _ = write!(
                s,
                "<tspan class=\"muted\"> ({}–{})</tspan>",
                fig_tag("tspan", "", &row.lo, row.kind.bare()),
                fig_tag("tspan", "", &row.hi, row.kind)
            );
        }
        if row.n.num().is_some() {
            let _ = write!(
                s,
                "<tspan class=\"muted\"> n = {}</tspan>",
                fig_tag("tspan", "", &row.n, Kind::Count)
            );
        }
        s.push_str("</text>");
    }
    s.push_str("</svg>");
    Some(s)
}

/// One bar of the class chart.
pub(crate) struct ClassRow<'a> {
    pub(crate) class: String,
    pub(crate) count: Node<'a>,
    pub(crate) share: Node<'a>,
    pub(crate) lo: Node<'a>,
    pub(crate) hi: Node<'a>,
}

/// Horizontal bars of the class shares (or counts, when no share is given), each labelled with
/// its count and share, whiskers for the share's CI. `None` when nothing can be drawn.
pub(crate) fn class_chart(rows: &[ClassRow<'_>]) -> Option<String> {
    let use_share = rows.iter().any(|r| r.share.num().is_some());
    let value = |row: &ClassRow<'_>| {
        if use_share {
            row.share.num()
        } else {
            row.count.num()
        }
        .filter(|v| *v >= 0.0)
    };
    let rows: Vec<&ClassRow<'_>> = rows.iter().filter(|r| value(r).is_some()).collect();
    if rows.is_empty() {
        return None;
    }
    let mut max = rows
        .iter()
        .map(|r| {
            let v = value(r).unwrap_or(0.0);
            if use_share {
                v.max(r.hi.num().unwrap_or(0.0))
            } else {
                v
            }
        })
        .fold(0.0_f64, f64::max);
    // Share axis: a round step (5, 10, 20 or 25 points) with at most five intervals.
    let mut step = 0.25;
    if use_share {
        step = [0.05, 0.1, 0.2, 0.25]
            .into_iter()
            .find(|st| (max / st).ceil() <= 5.0)
            .unwrap_or(0.25);
        max = ((max / step).ceil() * step).clamp(step, 1.0);
    } else if max <= 0.0 {
        max = 1.0;
    }
    let (x0, x1, row_h, top) = (170.0, 540.0, 30.0, 12.0);
    let x = |v: f64| x0 + (v / max).clamp(0.0, 1.0) * (x1 - x0);
    #[allow(clippy::cast_precision_loss)]
    let plot_h = rows.len() as f64 * row_h;
    let h = top + plot_h + if use_share { 30.0 } else { 8.0 };
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg class=\"chart\" viewBox=\"0 0 {} {}\" role=\"img\" aria-label=\"Questions by failure class\"><title>Questions by failure class</title>",
        r(W),
        r(h)
    );
    if use_share {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let ticks = (max / step).round() as u32;
        for i in 0..=ticks {
            let t = step * f64::from(i);
            let _ = write!(
                s,
                "<line class=\"grid\" x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\"/><text class=\"tick\" x=\"{0}\" y=\"{3}\" text-anchor=\"middle\">{4}</text>",
                r(x(t)),
                r(top - 4.0),
                r(top + plot_h),
                r(top + plot_h + 16.0),
                Kind::Rate.format(t).replace(".0%", "%")
            );
        }
    }
    for (i, row) in rows.iter().enumerate() {
        #[allow(clippy::cast_precision_loss)]
        let cy = top + (i as f64 + 0.5) * row_h;
        let v = value(row).unwrap_or(0.0);
        let (colour, _) = class_colour(&row.class);
        let _ = write!(
            s,
            "<text class=\"label\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            r(x0 - 10.0),
            r(cy + 4.5),
            text(&class_label(&row.class))
        );
        let _ = write!(
            s,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"18\" fill=\"{}\" stroke=\"#333\" stroke-width=\"0.5\"/>",
            r(x0),
            r(cy - 9.0),
            r(x(v) - x0),
            colour
        );
        if let (Some(lo), Some(hi)) = (row.lo.num(), row.hi.num()) {
            if use_share {
                let (a, b) = (x(lo.min(hi)), x(hi.max(lo)));
                let _ = write!(
                    s,
                    "<path class=\"whisker\" d=\"M{a} {y0}V{y1}M{a} {cy}H{b}M{b} {y0}V{y1}\"/>",
                    a = r(a),
                    b = r(b),
                    cy = r(cy),
                    y0 = r(cy - 5.0),
                    y1 = r(cy + 5.0)
                );
            }
        }
        let _ = write!(
            s,
            "<text class=\"val\" x=\"{}\" y=\"{}\">{}",
            r(x1 + 14.0),
            r(cy + 4.5),
            fig_tag("tspan", "strong", &row.count, Kind::Count)
        );
        if row.share.num().is_some() {
            let _ = write!(
                s,
                "<tspan class=\"muted\"> · {}</tspan>",
                fig_tag("tspan", "", &row.share, Kind::Rate)
            );
        }
        s.push_str("</text>");
    }
    s.push_str("</svg>");
    Some(s)
}

/// One point of the recall curve.
pub(crate) struct CurvePoint {
    pub(crate) k: f64,
    pub(crate) mean: f64,
    pub(crate) lo: Option<f64>,
    pub(crate) hi: Option<f64>,
}

/// Recall@k against k (log scale when k spans more than one value), with the CI as a band.
/// `None` when no point has a positive k and a mean in 0..=1.
pub(crate) fn curve_chart(points: &[CurvePoint]) -> Option<String> {
    let mut pts: Vec<&CurvePoint> = points
        .iter()
        .filter(|p| p.k > 0.0 && (0.0..=1.0).contains(&p.mean))
        .collect();
    if pts.is_empty() {
        return None;
    }
    pts.sort_by(|a, b| a.k.total_cmp(&b.k));
    let (x0, x1, y0, y1) = (64.0, 730.0, 14.0, 244.0);
    let (kmin, kmax) = (pts[0].k.ln(), pts[pts.len() - 1].k.ln());
    let x = |k: f64| {
        if kmax > kmin {
            x0 + (k.ln() - kmin) / (kmax - kmin) * (x1 - x0)
        } else {
            (x0 + x1) / 2.0
        }
    };
    let y = |v: f64| y1 - v.clamp(0.0, 1.0) * (y1 - y0);
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg class=\"chart\" viewBox=\"0 0 {} 290\" role=\"img\" aria-label=\"Recall at k with 95% confidence band\"><title>Recall at k with 95% confidence band</title>",
        r(W)
    );
    for t in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let _ = write!(
            s,
            "<line class=\"grid\" x1=\"{a}\" y1=\"{yy}\" x2=\"{b}\" y2=\"{yy}\"/><text class=\"tick\" x=\"{c}\" y=\"{d}\" text-anchor=\"end\">{e}</text>",
            a = r(x0),
            yy = r(y(t)),
            b = r(x1),
            c = r(x0 - 8.0),
            d = r(y(t) + 4.0),
            e = Kind::Rate.format(t).replace(".0%", "%")
        );
    }
    // The band: upper bounds left to right, then lower bounds right to left.
    if pts.iter().any(|p| p.lo.is_some() || p.hi.is_some()) {
        let mut d = String::new();
        for (i, p) in pts.iter().enumerate() {
            let _ = write!(
                d,
                "{}{} {}",
                if i == 0 { "M" } else { "L" },
                r(x(p.k)),
                r(y(p.hi.unwrap_or(p.mean)))
            );
        }
        for p in pts.iter().rev() {
            let _ = write!(d, "L{} {}", r(x(p.k)), r(y(p.lo.unwrap_or(p.mean))));
        }
        let _ = write!(s, "<path class=\"band\" d=\"{d}Z\"/>");
    }
    let mut line = String::new();
    for (i, p) in pts.iter().enumerate() {
        let _ = write!(
            line,
            "{}{} {}",
            if i == 0 { "M" } else { "L" },
            r(x(p.k)),
            r(y(p.mean))
        );
    }
    let _ = write!(s, "<path class=\"line\" d=\"{line}\"/>");
    let mut last_label = f64::NEG_INFINITY;
    for p in &pts {
        let px = x(p.k);
        let _ = write!(
            s,
            "<circle class=\"dot\" cx=\"{}\" cy=\"{}\" r=\"4\"><title>recall@{}: {}</title></circle>",
            r(px),
            r(y(p.mean)),
            Kind::Count.format(p.k),
            Kind::Rate.format(p.mean)
        );
        if px - last_label >= 28.0 {
            let _ = write!(
                s,
                "<text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                r(px),
                r(y1 + 18.0),
                Kind::Count.format(p.k)
            );
            last_label = px;
        }
    }
    let _ = write!(
        s,
        "<text class=\"axis\" x=\"{}\" y=\"284\" text-anchor=\"middle\">k, chunks retrieved{}</text>",
        r((x0 + x1) / 2.0),
        if kmax > kmin { " (log scale)" } else { "" }
    );
    s.push_str("</svg>");
    Some(s)
}

/// A 120×14 bar with a CI whisker for a table cell; empty when the mean is not in 0..=1.
pub(crate) fn mini_bar(mean: Option<f64>, lo: Option<f64>, hi: Option<f64>) -> String {
    let Some(m) = mean.filter(|m| (0.0..=1.0).contains(m)) else {
        return String::new();
    };
    let x = |v: f64| 1.0 + v.clamp(0.0, 1.0) * 118.0;
    let mut s = format!(
        "<svg class=\"mini\" viewBox=\"0 0 120 14\" width=\"120\" height=\"14\" aria-hidden=\"true\"><rect class=\"track\" x=\"1\" y=\"3\" width=\"118\" height=\"8\"/><rect class=\"bar\" x=\"1\" y=\"3\" width=\"{}\" height=\"8\"/>",
        r(x(m) - 1.0)
    );
    if let (Some(lo), Some(hi)) = (lo, hi) {
        let _ = write!(
            s,
            "<path class=\"whisker\" d=\"M{a} 2V12M{a} 7H{b}M{b} 2V12\"/>",
            a = r(x(lo.min(hi))),
            b = r(x(hi.max(lo)))
        );
    }
    s.push_str("</svg>");
    s
}
