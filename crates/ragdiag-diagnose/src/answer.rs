//! Answer assessment: SQuAD-style normalisation, token F1, containment, abstention.
//!
//! Answers are compared as *match tokens* ([`match_tokens`]): SQuAD's normalisation with
//! numbers written one way (`1,000` = `1000` = `1000.0`) and every word stemmed by the English
//! Snowball stemmer (the one tantivy's analyzer uses), so "Giant African land snail" matches
//! "Giant African land snails" and "Worms" matches "Worm".

use serde::Serialize;
use std::borrow::Cow;
use std::sync::LazyLock;

/// The English Snowball stemmer, built once.
static STEMMER: LazyLock<frostem::Stemmer> =
    LazyLock::new(|| frostem::Stemmer::new(frostem::Algorithm::English));

/// A number of `text` that starts at byte `at` (a digit not preceded by a digit, a `,` or a
/// `.` that follows a digit): its byte length and canonical form, or `None` when no number
/// starts there. Thousands separators go (`1,000` is `1000`, only in groups of three), a
/// decimal part loses its trailing zeros (`1000.0` is `1000`, `3.90` is `3.9`) and an integer
/// part its leading ones (`03` is `3`).
pub(crate) fn number_at(text: &str, at: usize) -> Option<(usize, String)> {
    let b = text.as_bytes();
    if !b.get(at)?.is_ascii_digit() {
        return None;
    }
    let digits = |from: usize| b[from..].iter().take_while(|c| c.is_ascii_digit()).count();
    let mut end = at + digits(at);
    let mut int: String = text[at..end].to_owned();
    // Thousands groups: only when the first group has at most three digits.
    if end - at <= 3 {
        while b.get(end) == Some(&b',') && digits(end + 1) == 3 {
            let next = end + 1 + 3;
            int.push_str(&text[end + 1..next]);
            end = next;
        }
    }
    let mut frac = String::new();
    if b.get(end) == Some(&b'.') && digits(end + 1) > 0 {
        let n = digits(end + 1);
        frac = text[end + 1..end + 1 + n].trim_end_matches('0').to_owned();
        end += 1 + n;
    }
    let int = int.trim_start_matches('0');
    let mut canon = if int.is_empty() {
        "0".to_owned()
    } else {
        int.to_owned()
    };
    if !frac.is_empty() {
        canon.push('.');
        canon.push_str(&frac);
    }
    Some((end - at, canon))
}

/// Rewrites every number of `text` in its canonical form ([`number_at`]); a number glued to
/// letters (`v2`, `2fa`) is part of a word and left alone.
fn canonical_numbers(text: &str) -> Cow<'_, str> {
    if !text.bytes().any(|c| c.is_ascii_digit()) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut prev: Option<char> = None;
    while i < text.len() {
        let starts = prev.is_none_or(|p| !p.is_alphanumeric());
        if starts {
            if let Some((len, canon)) = number_at(text, i) {
                let next = text[i + len..].chars().next();
                if next.is_none_or(|c| !c.is_alphanumeric()) {
                    out.push_str(&canon);
                    i += len;
                    prev = canon.chars().last();
                    continue;
                }
            }
        }
        let c = text[i..].chars().next().unwrap_or(' ');
        out.push(c);
        prev = Some(c);
        i += c.len_utf8();
    }
    Cow::Owned(out)
}

/// The tokens answers are compared by: numbers in canonical form (`1,000`, `1000` and
/// `1000.0` are all `1000`; a decimal point between digits is kept, so `3.9` is not `39`),
/// then [`normalize_answer`]'s lower-casing, punctuation removal and article dropping, and
/// every word stemmed by the English Snowball stemmer (numbers are not stemmed).
///
/// ```
/// use ragdiag_diagnose::match_tokens;
/// assert_eq!(match_tokens("Giant African land snails"), match_tokens("giant African Land snail"));
/// assert_eq!(match_tokens("It costs $1,000.00"), ["it", "cost", "1000"]);
/// assert_eq!(match_tokens("3.90%"), ["3.9"]);
/// ```
#[must_use]
pub fn match_tokens(text: &str) -> Vec<String> {
    let text = canonical_numbers(text);
    let mut cleaned = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut prev = ' ';
    while let Some(c) = chars.next() {
        if c.is_alphanumeric() {
            cleaned.extend(c.to_lowercase());
        } else if c.is_whitespace() {
            cleaned.push(' ');
        } else if c == '.'
            && prev.is_ascii_digit()
            && chars.peek().is_some_and(char::is_ascii_digit)
        {
            cleaned.push('.');
        }
        prev = c;
    }
    cleaned
        .split_whitespace()
        .filter(|w| !matches!(*w, "a" | "an" | "the"))
        .map(|w| {
            if w.bytes().any(|c| c.is_ascii_digit()) {
                w.to_owned()
            } else {
                STEMMER.stem(w).into_owned()
            }
        })
        .collect()
}

/// Normalises an answer the SQuAD way: lower-case, remove punctuation and symbols (every char
/// that is neither alphanumeric nor whitespace, so `$39` becomes `39` and `don't` becomes
/// `dont`), drop the articles `a`, `an`, `the`, and collapse whitespace to single spaces.
///
/// ```
/// use ragdiag_diagnose::normalize_answer;
/// assert_eq!(normalize_answer("  The Growth plan costs $39!"), "growth plan costs 39");
/// assert_eq!(normalize_answer("I don’t know."), "i dont know");
/// ```
#[must_use]
pub fn normalize_answer(text: &str) -> String {
    let mut stripped = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_alphanumeric() {
            stripped.extend(c.to_lowercase());
        } else if c.is_whitespace() {
            stripped.push(' ');
        }
    }
    let mut out = String::with_capacity(stripped.len());
    for word in stripped.split_whitespace() {
        if matches!(word, "a" | "an" | "the") {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Token F1 between two texts over their [`match_tokens`] (SQuAD's `f1_score`: bag-of-tokens
/// overlap, precision and recall over token counts). Two empty texts score 1, one empty text 0.
///
/// ```
/// use ragdiag_diagnose::token_f1;
/// assert_eq!(token_f1("39 dollars", "$39 dollars"), 1.0);
/// assert_eq!(token_f1("1,000 worms", "1000.0 Worm"), 1.0);
/// assert!((token_f1("it costs 39 dollars", "39 dollars") - 2.0 / 3.0).abs() < 1e-12);
/// ```
#[must_use]
pub fn token_f1(prediction: &str, gold: &str) -> f64 {
    f1_tokens(&match_tokens(prediction), &match_tokens(gold))
}

fn f1_tokens(p: &[String], g: &[String]) -> f64 {
    if p.is_empty() || g.is_empty() {
        return if p.is_empty() && g.is_empty() {
            1.0
        } else {
            0.0
        };
    }
    let (np, ng) = (p.len() as f64, g.len() as f64);
    let mut pt: Vec<&str> = p.iter().map(String::as_str).collect();
    let mut gt: Vec<&str> = g.iter().map(String::as_str).collect();
    pt.sort_unstable();
    gt.sort_unstable();
    // Multiset intersection of two sorted lists.
    let (mut i, mut j, mut same) = (0, 0, 0usize);
    while i < pt.len() && j < gt.len() {
        match pt[i].cmp(gt[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                same += 1;
                i += 1;
                j += 1;
            }
        }
    }
    if same == 0 {
        return 0.0;
    }
    let precision = same as f64 / np;
    let recall = same as f64 / ng;
    2.0 * precision * recall / (precision + recall)
}

/// Whether normalised `needle` occurs in normalised `hay` as whole tokens.
fn contains_tokens(hay: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return false;
    }
    let h = format!(" {hay} ");
    let n = format!(" {needle} ");
    h.contains(&n)
}

/// Whether the token sequence `needle` occurs in `hay` (non-empty needles only).
pub(crate) fn contains_seq(hay: &[String], needle: &[String]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

/// [`contains_seq`] on interned token ids.
pub(crate) fn contains_ids(hay: &[u32], needle: &[u32]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

/// The default abstention phrases (matched after [`normalize_answer`], as whole tokens).
pub const DEFAULT_ABSTAIN_PHRASES: &[&str] = &[
    "I don't know",
    "I do not know",
    "I dont know",
    "not in the documents",
    "not in the provided documents",
    "not in the context",
    "I couldn't find",
    "I could not find",
    "I can't find",
    "I cannot find",
    "unable to find",
    "no information",
    "I'm not sure",
    "I am not sure",
    "cannot answer",
    "can't answer",
    "unable to answer",
    "doesn't cover",
    "does not cover",
    "not mentioned",
    "not covered",
    "doesn't say",
    "does not say",
    "don't have information",
    "do not have information",
    "don't have enough information",
    "no relevant information",
];

/// Decides whether an answer declines to answer: its normalised text contains one of a list of
/// normalised phrases as whole tokens, or it is empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AbstentionMatcher {
    phrases: Vec<String>,
}

impl Default for AbstentionMatcher {
    fn default() -> Self {
        AbstentionMatcher::new(DEFAULT_ABSTAIN_PHRASES.iter().copied())
    }
}

impl AbstentionMatcher {
    /// A matcher for `phrases` (normalised on the way in; empty phrases are dropped).
    pub fn new<I, S>(phrases: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut phrases: Vec<String> = phrases
            .into_iter()
            .map(|p| normalize_answer(p.as_ref()))
            .filter(|p| !p.is_empty())
            .collect();
        phrases.sort();
        phrases.dedup();
        AbstentionMatcher { phrases }
    }

    /// The normalised phrases, sorted.
    #[must_use]
    pub fn phrases(&self) -> &[String] {
        &self.phrases
    }

    /// The first phrase (in sorted order) found in `answer`, or `Some("")` for an empty answer.
    #[must_use]
    pub fn matched(&self, answer: &str) -> Option<&str> {
        let a = normalize_answer(answer);
        if a.is_empty() {
            return Some("");
        }
        self.phrases
            .iter()
            .find(|p| contains_tokens(&a, p))
            .map(String::as_str)
    }

    /// Whether `answer` abstains.
    #[must_use]
    pub fn abstains(&self, answer: &str) -> bool {
        self.matched(answer).is_some()
    }
}

/// How an answer compares with the accepted answers (over [`match_tokens`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Correctness {
    /// The answer's match tokens equal an accepted answer's.
    pub exact_match: bool,
    /// The answer's match tokens contain an accepted answer's as a run of whole tokens.
    pub contains: bool,
    /// The best token F1 against any accepted answer.
    pub best_f1: f64,
    /// The accepted answer that matched (containment first, else best F1), if any.
    pub matched: Option<String>,
}

/// Compares `answer` with `accepted` answers over their [`match_tokens`] (stemmed, numbers
/// canonical): containment, exact match and the best token F1. `correct` is `contains ||
/// best_f1 >= f1_threshold`.
#[must_use]
pub fn compare_answer(answer: &str, accepted: &[String]) -> Correctness {
    let a = match_tokens(answer);
    let mut out = Correctness {
        exact_match: false,
        contains: false,
        best_f1: 0.0,
        matched: None,
    };
    let mut best: Option<&String> = None;
    for acc in accepted {
        let g = match_tokens(acc);
        if g.is_empty() {
            continue;
        }
        if a == g {
            out.exact_match = true;
        }
        if contains_seq(&a, &g) && !out.contains {
            out.contains = true;
            out.matched = Some(acc.clone());
        }
        let f = f1_tokens(&a, &g);
        if f > out.best_f1 {
            out.best_f1 = f;
            best = Some(acc);
        }
    }
    if out.matched.is_none() {
        out.matched = best.cloned();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_is_squad_style() {
        assert_eq!(normalize_answer("The  answer is: A cat."), "answer is cat");
        assert_eq!(normalize_answer("An apple, the pear"), "apple pear");
        assert_eq!(normalize_answer("Théâtre\tÉTÉ\n"), "théâtre été");
        assert_eq!(normalize_answer("2:00 pm ET"), "200 pm et");
        assert_eq!(normalize_answer("...!"), "");
        assert_eq!(normalize_answer("anthem theatre"), "anthem theatre");
    }

    #[test]
    fn f1_counts_repeated_tokens_once_per_match() {
        assert_eq!(token_f1("", ""), 1.0);
        assert_eq!(token_f1("x", ""), 0.0);
        assert_eq!(token_f1("the", "a"), 1.0);
        assert_eq!(token_f1("a b c", "d e"), 0.0);
        // pred "a a b" vs gold "a b b": overlap 2 of 3 each way.
        assert!((token_f1("x x y", "x y y") - 2.0 / 3.0).abs() < 1e-12);
        assert!((token_f1("14 business days", "within 14 days") - 2.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn containment_is_token_bounded() {
        let acc = vec!["$15".to_string(), "15 dollars".to_string()];
        let c = compare_answer("Starter costs $15 a month.", &acc);
        assert!(c.contains && !c.exact_match);
        assert_eq!(c.matched.as_deref(), Some("$15"));
        let c = compare_answer("Starter costs $150 a month.", &acc);
        assert!(!c.contains);
        let c = compare_answer("15 Dollars", &acc);
        assert!(c.exact_match && c.contains && c.best_f1 == 1.0);
        let c = compare_answer("anything", &[]);
        assert!(!c.contains && c.best_f1 == 0.0 && c.matched.is_none());
        // Tokens, not characters: "15" is not inside "150".
        assert!(!contains_tokens("costs 150", "15") && contains_tokens("costs 15 now", "15"));
    }

    #[test]
    fn inflected_answers_match_their_accepted_form() {
        let acc = vec!["Giant African land snails".to_string()];
        let c = compare_answer("Giant African land snail", &acc);
        assert!(c.exact_match && c.contains && c.best_f1 == 1.0);
        let c = compare_answer("Worms", &["Worm".to_string()]);
        assert!(c.exact_match && c.contains);
        let c = compare_answer("It is eaten by worms.", &["Worm".to_string()]);
        assert!(c.contains && !c.exact_match);
        // A different word is still different.
        let c = compare_answer("Wormwood", &["Worm".to_string()]);
        assert!(!c.contains && c.best_f1 == 0.0);
    }

    #[test]
    fn numbers_are_compared_in_one_form() {
        for (a, b) in [
            ("1,000", "1000"),
            ("1000.0", "1000"),
            ("$1,000.00", "1000"),
            ("3.90", "3.9"),
            ("1,234,567", "1234567"),
            ("07", "7"),
        ] {
            assert_eq!(match_tokens(a), match_tokens(b), "{a} vs {b}");
        }
        // Not the same number: the decimal point is kept, lists are not thousands.
        assert_ne!(match_tokens("3.9"), match_tokens("39"));
        assert_eq!(
            match_tokens("2,500 users."),
            ["2500", "user"].map(String::from)
        );
        // Numbers glued to letters belong to their word.
        assert_eq!(match_tokens("2fa v2.0"), ["2fa", "v2.0"].map(String::from));
        let c = compare_answer("The limit is 1000 invoices.", &["1,000".to_string()]);
        assert!(c.contains);
        let c = compare_answer("The limit is 10000 invoices.", &["1,000".to_string()]);
        assert!(!c.contains);
    }

    #[test]
    fn abstention_phrases_match_on_normalised_text() {
        let m = AbstentionMatcher::default();
        assert!(m.abstains("I don't know."));
        assert!(m.abstains("Sorry — I DON’T KNOW that"));
        assert!(m.abstains("I couldn't find that in the documents."));
        assert!(m.abstains("The help centre doesn't cover that."));
        assert!(m.abstains("That is not in the documents"));
        assert!(m.abstains("   "));
        assert!(!m.abstains("Growth costs $39 per month."));
        assert!(!m.abstains("I know: it is 14 days."));
        let custom = AbstentionMatcher::new(["No idea", ""]);
        assert_eq!(custom.phrases(), ["no idea"]);
        assert!(custom.abstains("no idea, sorry"));
        assert!(!custom.abstains("I don't know"));
        assert_eq!(custom.matched("No idea!"), Some("no idea"));
    }
}
