//! Tolerant access to `summary.json`: a value together with its figure path, number
//! formatting, the display names of metrics, and the display names and order of classes and
//! flags (read from `ragdiag-diagnose`, with a fallback for unknown names).

use ragdiag_diagnose::{Class, Flag};
use serde_json::Value;
use std::cmp::Ordering;

/// A place in the summary: the value there (if any) and its dotted path.
#[derive(Debug, Clone)]
pub(crate) struct Node<'a> {
    pub(crate) v: Option<&'a Value>,
    pub(crate) path: String,
}

/// Escapes one path segment: `\` → `\\`, `.` → `\.` (see the crate docs on `data-figure`).
fn segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c == '.' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A metric-like object's `[mean, ci_lower, ci_upper, n]`; a bare number is its own mean.
pub(crate) fn stat<'a>(node: &Node<'a>) -> [Node<'a>; 4] {
    if node.num().is_some() {
        let none = Node {
            v: None,
            path: String::new(),
        };
        [node.clone(), none.clone(), none.clone(), none]
    } else {
        ["mean", "ci_lower", "ci_upper", "n"].map(|k| node.get(k))
    }
}

impl<'a> Node<'a> {
    pub(crate) fn root(v: &'a Value) -> Self {
        Node {
            v: Some(v),
            path: String::new(),
        }
    }

    fn child(&self, seg: &str, v: Option<&'a Value>) -> Node<'a> {
        let path = if self.path.is_empty() {
            segment(seg)
        } else {
            format!("{}.{}", self.path, segment(seg))
        };
        Node { v, path }
    }

    /// The member `key` (absent when this is not an object or lacks it).
    pub(crate) fn get(&self, key: &str) -> Node<'a> {
        self.child(key, self.v.and_then(|v| v.get(key)))
    }

    /// The members of an object, in the map's order; empty for anything else.
    pub(crate) fn entries(&self) -> Vec<(&'a str, Node<'a>)> {
        match self.v {
            Some(Value::Object(m)) => m
                .iter()
                .map(|(k, v)| (k.as_str(), self.child(k, Some(v))))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The items of an array; empty for anything else.
    pub(crate) fn items(&self) -> Vec<Node<'a>> {
        match self.v {
            Some(Value::Array(a)) => a
                .iter()
                .enumerate()
                .map(|(i, v)| self.child(&i.to_string(), Some(v)))
                .collect(),
            _ => Vec::new(),
        }
    }

    pub(crate) fn is_present(&self) -> bool {
        self.v.is_some_and(|v| !v.is_null())
    }

    /// The value as a finite number.
    pub(crate) fn num(&self) -> Option<f64> {
        self.v.and_then(Value::as_f64).filter(|f| f.is_finite())
    }

    /// The raw JSON text of a number (what `data-value` holds).
    pub(crate) fn raw(&self) -> Option<String> {
        match self.v {
            Some(Value::Number(n)) if self.num().is_some() => Some(n.to_string()),
            _ => None,
        }
    }

    pub(crate) fn str(&self) -> Option<&'a str> {
        self.v.and_then(Value::as_str)
    }

    pub(crate) fn bool(&self) -> Option<bool> {
        self.v.and_then(Value::as_bool)
    }

    /// A scalar as display text: strings as they are, numbers and booleans as JSON.
    pub(crate) fn scalar_text(&self) -> Option<String> {
        match self.v {
            Some(Value::String(s)) => Some(s.clone()),
            Some(v @ (Value::Number(_) | Value::Bool(_))) => Some(v.to_string()),
            _ => None,
        }
    }
}

/// How a figure is displayed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A share in 0..1, shown as a percentage with one decimal (`78.0%`).
    Rate,
    /// A score in 0..1 that is not a share (nDCG, MRR, MAP), three decimals (`0.712`).
    Score,
    /// A count or other plain number, grouped by thousands (`1,234`; fractions keep one decimal).
    Count,
    /// A number as it is, without grouping (seeds, versions).
    Plain,
}

impl Kind {
    pub(crate) fn format(self, v: f64) -> String {
        match self {
            Kind::Rate => format!("{:.1}%", zero(v * 100.0)),
            Kind::Score => format!("{:.3}", zero(v)),
            Kind::Count => count(v),
            Kind::Plain => format!("{}", zero(v)),
        }
    }

    /// The number part of a CI bound (the `%` sign goes after the upper bound only).
    pub(crate) fn format_bare(self, v: f64) -> String {
        match self {
            Kind::Rate => format!("{:.1}", zero(v * 100.0)),
            _ => self.format(v),
        }
    }
}

/// Turns `-0.0` into `0.0` so nothing prints as `-0.0%`.
fn zero(v: f64) -> f64 {
    if v == 0.0 {
        0.0
    } else {
        v
    }
}

/// A plain number: integers grouped by thousands, other values with at most one decimal
/// (two below 10).
pub(crate) fn count(v: f64) -> String {
    let v = zero(v);
    if v.abs() >= 1e15 {
        return format!("{v}");
    }
    let s = if v.fract() == 0.0 {
        format!("{v:.0}")
    } else if v.abs() < 10.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.1}")
    };
    ragdiag_core::group_thousands(&s)
}

/// Orders flag names by [`Flag::ALL`], then by name (unknown flags after the known ones).
pub(crate) fn flag_order(a: &str, b: &str) -> Ordering {
    let key = |n: &str| Flag::from_name(n).map_or(Flag::ALL.len(), Flag::order);
    key(a).cmp(&key(b)).then_with(|| a.cmp(b))
}

/// A reader's name for a flag ([`Flag::label`]); an unknown name humanized.
pub(crate) fn flag_label(f: &str) -> String {
    Flag::from_name(f).map_or_else(|| humanize(f), |f| f.label().to_owned())
}

/// The display kind of a metric by its name.
pub(crate) fn metric_kind(name: &str) -> Kind {
    let family = family(name);
    if family.starts_with("num_") || family == "num" {
        Kind::Count
    } else if matches!(
        family,
        "recall"
            | "p"
            | "precision"
            | "hit"
            | "success"
            | "judged"
            | "r-precision"
            | "rprec"
            | "r_precision"
    ) {
        Kind::Rate
    } else {
        Kind::Score
    }
}

fn family(name: &str) -> &str {
    name.split(['@', '.']).next().unwrap_or(name)
}

/// Display order of metric families; unknown families come after, by name.
const FAMILIES: [&str; 14] = [
    "recall",
    "ndcg",
    "mrr",
    "map",
    "p",
    "precision",
    "r-precision",
    "rprec",
    "success",
    "hit",
    "bpref",
    "judged",
    "ndcg_cut",
    "recip_rank",
];

/// Orders metric names: by family (recall, nDCG, MRR, MAP, P, …), then by cut-off k (no
/// cut-off first), then by name. Independent of the JSON map's order, so the page does not
/// depend on how serde_json was built.
pub(crate) fn metric_order(a: &str, b: &str) -> Ordering {
    let key = |n: &str| {
        let fam = family(n).to_ascii_lowercase();
        let rank = FAMILIES
            .iter()
            .position(|f| *f == fam)
            .unwrap_or(FAMILIES.len());
        let k = n
            .rsplit(['@', '.'])
            .next()
            .filter(|_| n.contains(['@', '.']))
            .and_then(|k| k.parse::<u64>().ok())
            .unwrap_or(0);
        (rank, fam, k)
    };
    key(a).cmp(&key(b)).then_with(|| a.cmp(b))
}

/// Orders class names as the page lists them: the failures in [`Class::ALL`]'s order (DESIGN.md's
/// decision order), then unknown names (failures too) by name, then the classes that are not
/// failures, in [`Class::ALL`]'s order (so `ok` comes last).
pub(crate) fn class_order(a: &str, b: &str) -> Ordering {
    let key = |n: &str| match Class::from_name(n) {
        Some(c) => (!c.is_failure(), c.order()),
        None => (false, Class::ALL.len()),
    };
    key(a).cmp(&key(b)).then_with(|| a.cmp(b))
}

/// A reader's name for a class ([`Class::label`]); `Unclassified` for an empty name, an unknown
/// name humanized.
pub(crate) fn class_label(c: &str) -> String {
    match Class::from_name(c) {
        Some(class) => class.label().to_owned(),
        None if c.is_empty() => "Unclassified".to_owned(),
        None => humanize(c),
    }
}

/// One sentence on what a class means ([`Class::help`]); empty for an unknown name.
pub(crate) fn class_help(c: &str) -> &'static str {
    Class::from_name(c).map_or("", Class::help)
}

/// `stale_in_context` → `Stale in context`.
pub(crate) fn humanize(s: &str) -> String {
    let spaced = s.replace('_', " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(f) => f.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(Kind::Rate.format(0.78), "78.0%");
        assert_eq!(Kind::Rate.format(-0.0), "0.0%");
        assert_eq!(Kind::Score.format(0.71234), "0.712");
        assert_eq!(count(1_234_567.0), "1,234,567");
        assert_eq!(count(-1234.0), "-1,234");
        assert_eq!(count(3.25), "3.25");
        assert_eq!(count(412.26), "412.3");
        assert_eq!(count(2315.5), "2,315.5");
        assert_eq!(count(-0.0), "0");
    }

    #[test]
    fn orders_metrics() {
        let mut names = vec![
            "mrr",
            "ndcg@10",
            "recall@100",
            "recall@10",
            "p@5",
            "zeta",
            "ndcg",
        ];
        names.sort_by(|a, b| metric_order(a, b));
        assert_eq!(
            names,
            [
                "recall@10",
                "recall@100",
                "ndcg",
                "ndcg@10",
                "mrr",
                "p@5",
                "zeta"
            ]
        );
    }

    #[test]
    fn escapes_path_segments() {
        let v = serde_json::json!({"a.b": {"c\\d": 1}});
        let n = Node::root(&v).get("a.b").get("c\\d");
        assert_eq!(n.path, "a\\.b.c\\\\d");
        assert_eq!(n.num(), Some(1.0));
    }
}
