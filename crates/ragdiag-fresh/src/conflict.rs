//! Conflicting statements: aligned sentences of two current documents that state different
//! quantities (prices, durations, percentages, counts).
//!
//! Each sentence holding a number becomes a *template*: its words with every quantity replaced
//! by a placeholder of its kind (`<money>`, `<duration>`, `<percent>`, `<number>`). Sentences of
//! different documents whose templates are similar (Jaccard ≥ the threshold, found by MinHash
//! LSH) are aligned; they conflict when their quantities, normalised (durations in hours, money
//! with its currency), differ. "7 days" and "72 hours" conflict; "30 days" and "1 month" do not.

use crate::minhash::MinHasher;
use ragdiag_core::{jaccard_sorted, stable_hash, words, Document};
use rustc_hash::FxHashSet;

/// A normalised quantity.
#[derive(Debug, Clone, PartialEq)]
pub enum Quantity {
    /// An amount of money with its currency sign.
    Money {
        /// `$`, `€` or `£`.
        currency: char,
        /// The amount.
        amount: f64,
    },
    /// A duration, in hours.
    Duration(f64),
    /// A percentage.
    Percent(f64),
    /// A bare number.
    Number(f64),
}

impl Quantity {
    fn placeholder(&self) -> &'static str {
        match self {
            Quantity::Money { .. } => "<money>",
            Quantity::Duration(_) => "<duration>",
            Quantity::Percent(_) => "<percent>",
            Quantity::Number(_) => "<number>",
        }
    }

    fn same(&self, other: &Quantity) -> bool {
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0);
        match (self, other) {
            (
                Quantity::Money {
                    currency: c1,
                    amount: a1,
                },
                Quantity::Money {
                    currency: c2,
                    amount: a2,
                },
            ) => c1 == c2 && close(*a1, *a2),
            (Quantity::Duration(a), Quantity::Duration(b))
            | (Quantity::Percent(a), Quantity::Percent(b))
            | (Quantity::Number(a), Quantity::Number(b)) => close(*a, *b),
            _ => false,
        }
    }
}

/// Two current documents stating different quantities in aligned sentences.
#[derive(Debug, Clone, PartialEq)]
pub struct Conflict {
    /// First document (smaller id).
    pub doc_a: String,
    /// Second document.
    pub doc_b: String,
    /// The sentence of `doc_a`.
    pub sentence_a: String,
    /// The sentence of `doc_b`.
    pub sentence_b: String,
    /// Template similarity of the two sentences.
    pub similarity: f64,
}

fn duration_hours(unit: &str) -> Option<f64> {
    Some(match unit {
        "minute" | "minutes" | "min" | "mins" => 1.0 / 60.0,
        "hour" | "hours" | "hr" | "hrs" | "h" => 1.0,
        "day" | "days" | "calendar" => 24.0,
        "week" | "weeks" => 24.0 * 7.0,
        "month" | "months" => 24.0 * 30.0,
        "year" | "years" => 24.0 * 365.0,
        _ => return None,
    })
}

/// Parses `12`, `1,200`, `12.5`, `$39`, `39%`, `30-day` into a value and its decorations.
fn parse_number(token: &str) -> Option<(Option<char>, f64, bool, Option<&str>)> {
    let mut t = token;
    let currency = t.chars().next().filter(|c| matches!(c, '$' | '€' | '£'));
    if let Some(c) = currency {
        t = &t[c.len_utf8()..];
    }
    let (num, rest) = match t.find(|c: char| !(c.is_ascii_digit() || c == ',' || c == '.')) {
        Some(i) => (&t[..i], &t[i..]),
        None => (t, ""),
    };
    let num = num.trim_end_matches(['.', ',']);
    if num.is_empty() || !num.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let value: f64 = num.replace(',', "").parse().ok()?;
    let percent = rest == "%";
    let suffix = rest.strip_prefix('-').filter(|s| !s.is_empty());
    if !rest.is_empty() && !percent && suffix.is_none() {
        return None;
    }
    Some((currency, value, percent, suffix))
}

/// A sentence's template (sorted, unique token hashes) and its quantities, in order.
struct Statement {
    doc: usize,
    text: String,
    template: Vec<u64>,
    quantities: Vec<Quantity>,
}

fn statement(doc: usize, sentence: &str) -> Option<Statement> {
    let raw: Vec<&str> = sentence.split_whitespace().collect();
    let mut tokens: Vec<String> = Vec::new();
    let mut quantities = Vec::new();
    let mut i = 0;
    while i < raw.len() {
        let tok = raw[i].trim_matches(|c: char| {
            matches!(
                c,
                '(' | ')' | '*' | '`' | '"' | ',' | ';' | ':' | '.' | '!' | '?' | '[' | ']'
            )
        });
        if let Some((currency, value, percent, suffix)) = parse_number(tok) {
            let next = raw.get(i + 1).map(|n| {
                n.trim_matches(|c: char| !c.is_alphanumeric())
                    .to_lowercase()
            });
            let unit = suffix.map(str::to_lowercase).or(next.clone());
            let q = if let Some(c) = currency {
                Quantity::Money {
                    currency: c,
                    amount: value,
                }
            } else if percent || next.as_deref() == Some("percent") {
                Quantity::Percent(value)
            } else if let Some(h) = unit.as_deref().and_then(duration_hours) {
                if suffix.is_none() {
                    i += 1; // the unit word is part of the quantity
                }
                Quantity::Duration(value * h)
            } else {
                Quantity::Number(value)
            };
            tokens.push(q.placeholder().to_string());
            quantities.push(q);
        } else {
            tokens.extend(words(tok));
        }
        i += 1;
    }
    if quantities.is_empty() || tokens.len() < 4 {
        return None;
    }
    let mut template: Vec<u64> = tokens.iter().map(stable_hash).collect();
    // Bigrams keep some word order, so "14 days to 30" and "30 days to 14" stay apart.
    template.extend(tokens.windows(2).map(stable_hash));
    template.sort_unstable();
    template.dedup();
    Some(Statement {
        doc,
        text: sentence.trim().to_string(),
        template,
        quantities,
    })
}

/// Sentences: split at `.`, `!` or `?` followed by whitespace, and at line breaks.
fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for line in text.lines() {
        let mut start = 0;
        let bytes = line.as_bytes();
        for (i, &b) in bytes.iter().enumerate() {
            if matches!(b, b'.' | b'!' | b'?')
                && bytes.get(i + 1).is_some_and(|n| n.is_ascii_whitespace())
            {
                out.push(&line[start..=i]);
                start = i + 1;
            }
        }
        if start < line.len() {
            out.push(&line[start..]);
        }
    }
    out.into_iter()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

/// Whether two documents are about the same thing: they share a tag when both are tagged;
/// otherwise they come from the same source, or their vocabularies overlap (Jaccard of words of
/// four letters or more ≥ 0.2). A password-reset link and a client-portal link may both "expire
/// after" some hours without contradicting each other.
fn same_topic(a: &Document, b: &Document) -> bool {
    if !a.tags.is_empty() && !b.tags.is_empty() {
        return a
            .tags
            .iter()
            .any(|t| b.tags.iter().any(|u| t.eq_ignore_ascii_case(u)));
    }
    if a.source.is_some() && a.source == b.source {
        return true;
    }
    let vocab = |d: &Document| -> FxHashSet<String> {
        words(&d.text)
            .into_iter()
            .filter(|w| w.chars().count() >= 4)
            .collect()
    };
    let (va, vb) = (vocab(a), vocab(b));
    let inter = va.intersection(&vb).count();
    let union = va.len() + vb.len() - inter;
    union > 0 && inter as f64 / union as f64 >= 0.2
}

pub(crate) fn find_conflicts(docs: &[Document], current: &[bool], threshold: f64) -> Vec<Conflict> {
    let statements: Vec<Statement> = docs
        .iter()
        .enumerate()
        .filter(|(i, _)| current[*i])
        .flat_map(|(i, d)| {
            sentences(&d.text)
                .into_iter()
                .filter_map(move |s| statement(i, s))
        })
        .collect();
    let hasher = MinHasher::new(12, 3, 0xc0ff);
    let signatures: Vec<Vec<u64>> = statements
        .iter()
        .map(|s| hasher.signature(&s.template))
        .collect();
    let mut seen_pairs: FxHashSet<(usize, usize)> = FxHashSet::default();
    let mut out = Vec::new();
    for (i, j) in hasher.candidates(&signatures) {
        let (a, b) = (&statements[i], &statements[j]);
        if a.doc == b.doc || a.quantities.len() != b.quantities.len() {
            continue;
        }
        let sim = jaccard_sorted(&a.template, &b.template);
        if sim < threshold {
            continue;
        }
        let kinds_match = a
            .quantities
            .iter()
            .zip(&b.quantities)
            .all(|(x, y)| x.placeholder() == y.placeholder());
        let differ = a
            .quantities
            .iter()
            .zip(&b.quantities)
            .any(|(x, y)| !x.same(y));
        if !kinds_match || !differ {
            continue;
        }
        let (a, b) = if docs[a.doc].id <= docs[b.doc].id {
            (a, b)
        } else {
            (b, a)
        };
        if seen_pairs.contains(&(a.doc, b.doc)) || !same_topic(&docs[a.doc], &docs[b.doc]) {
            continue;
        }
        seen_pairs.insert((a.doc, b.doc));
        out.push(Conflict {
            doc_a: docs[a.doc].id.clone(),
            doc_b: docs[b.doc].id.clone(),
            sentence_a: a.text.clone(),
            sentence_b: b.text.clone(),
            similarity: sim,
        });
    }
    out.sort_by(|x, y| x.doc_a.cmp(&y.doc_a).then(x.doc_b.cmp(&y.doc_b)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_are_normalised() {
        let s = statement(
            0,
            "The download link expires after 72 hours and costs $5, or 10% of 3 items.",
        )
        .unwrap();
        assert_eq!(
            s.quantities,
            vec![
                Quantity::Duration(72.0),
                Quantity::Money {
                    currency: '$',
                    amount: 5.0
                },
                Quantity::Percent(10.0),
                Quantity::Number(3.0)
            ]
        );
        let t = statement(0, "Offers a 30-day trial for 1,200 users.").unwrap();
        assert_eq!(
            t.quantities,
            vec![Quantity::Duration(720.0), Quantity::Number(1200.0)]
        );
        assert!(statement(0, "No numbers in this sentence at all.").is_none());
    }

    fn d(id: &str, text: &str) -> Document {
        Document {
            id: id.into(),
            text: text.into(),
            ..Document::default()
        }
    }

    #[test]
    fn aligned_sentences_with_different_quantities_conflict() {
        let docs = vec![
            d("a", "# Export\n\nThe download link is emailed to you and expires after 7 days. Ask again if needed."),
            d("b", "Intro text. The download link is emailed to you and expires after 72 hours.\n"),
            d("c", "The download link is emailed to you and expires after 168 hours."),
            d("e", "Growth costs $39 per month and includes 3 users."),
            d("f", "Starter costs $19 per month and includes 1 user."),
        ];
        let c = find_conflicts(&docs, &[true; 5], 0.7);
        let pairs: Vec<(&str, &str)> = c
            .iter()
            .map(|x| (x.doc_a.as_str(), x.doc_b.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [("a", "b"), ("b", "c")],
            "7 days = 168 hours; plan prices are different statements"
        );
        assert!(c[0].sentence_a.contains("7 days"));
        let mut tagged = docs.clone();
        tagged[0].tags = vec!["exports".into()];
        tagged[1].tags = vec!["security".into()];
        tagged[2].tags = vec!["Exports".into()];
        let c = find_conflicts(&tagged, &[true; 5], 0.7);
        assert!(c.is_empty(), "different topics, and a/c agree: {c:?}");
        let none = find_conflicts(&docs, &[true, false, true, true, true], 0.7);
        assert!(
            none.is_empty(),
            "stale documents are not compared: {none:?}"
        );
    }
}
