//! The small pieces of the plain-language reasons.

use crate::corpus::Corpus;

/// An identifier as the reasons mark it: `` `id` ``.
pub(super) fn code(id: &str) -> String {
    format!("`{id}`")
}

/// A text in double quotes, cut after 100 code points.
pub(super) fn quoted(s: &str) -> String {
    const MAX: usize = 100;
    let s = s.trim();
    if s.chars().count() <= MAX {
        format!("\"{s}\"")
    } else {
        let cut: String = s.chars().take(MAX).collect();
        format!("\"{}…\"", cut.trim_end())
    }
}

/// `a`, `a and b`, `a, b and c`.
pub(super) fn and_list(parts: &[String]) -> String {
    match parts.len() {
        0 => String::new(),
        1 => parts[0].clone(),
        n => format!("{} and {}", parts[..n - 1].join(", "), parts[n - 1]),
    }
}

/// Ranks as `3`, `3 and 5`, `3, 5 and 8`.
pub(super) fn list_ranks(ranks: &[usize]) -> String {
    let s: Vec<String> = ranks.iter().map(ToString::to_string).collect();
    and_list(&s)
}

/// A stale document with why it is stale: `` `old` (superseded by `new`) ``, `` `x` (expired) ``.
pub(super) fn stale_desc(corpus: &Corpus<'_>, d: usize) -> String {
    let reason = corpus.stale_reason(d);
    match (reason, corpus.superseded_by(d)) {
        ("superseded", Some(by)) => format!("{} (superseded by {})", code(corpus.id(d)), code(by)),
        _ => format!("{} ({reason})", code(corpus.id(d))),
    }
}
