//! Figures: a number from the summary in an element carrying `data-figure` (its path) and
//! `data-value` (its raw JSON text), so the page can be checked against summary.json.

use crate::escape::attr;
use crate::node::{Kind, Node};

/// How a figure's text is written.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Style {
    /// The kind's full format (`78.0%`).
    Full(Kind),
    /// The number without its unit (`71.2`, for a CI's lower bound).
    Bare(Kind),
}

impl From<Kind> for Style {
    fn from(k: Kind) -> Self {
        Style::Full(k)
    }
}

impl Kind {
    /// The bare style of this kind.
    pub(crate) fn bare(self) -> Style {
        Style::Bare(self)
    }
}

/// The number at `node` in a `tag` element (class `class`, may be empty) with its
/// `data-figure` and `data-value`; an em dash (no attributes) when it is absent or not a number.
pub(crate) fn fig_tag(tag: &str, class: &str, node: &Node<'_>, style: impl Into<Style>) -> String {
    let (Some(v), Some(raw)) = (node.num(), node.raw()) else {
        return format!("<{tag} class=\"na\">—</{tag}>");
    };
    let shown = match style.into() {
        Style::Full(k) => k.format(v),
        Style::Bare(k) => k.format_bare(v),
    };
    let class = if class.is_empty() {
        String::new()
    } else {
        format!(" class=\"{class}\"")
    };
    format!(
        "<{tag}{class} data-figure=\"{}\" data-value=\"{}\">{shown}</{tag}>",
        attr(&node.path),
        attr(&raw)
    )
}

/// A figure in a `span`.
pub(crate) fn fig(node: &Node<'_>, kind: Kind) -> String {
    fig_tag("span", "", node, kind)
}

/// A confidence interval as `71.2–84.1%`, each bound a figure; an em dash when neither bound
/// is given.
pub(crate) fn ci(lo: &Node<'_>, hi: &Node<'_>, kind: Kind) -> String {
    if lo.num().is_none() && hi.num().is_none() {
        return "<span class=\"na\">—</span>".to_owned();
    }
    format!(
        "{}–{}",
        fig_tag("span", "", lo, kind.bare()),
        fig_tag("span", "", hi, kind)
    )
}
