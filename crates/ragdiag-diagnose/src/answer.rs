//! Answer assessment: SQuAD-style normalisation, token F1, containment, abstention.

use serde::Serialize;

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

/// Token F1 between two texts after [`normalize_answer`] (SQuAD's `f1_score`: bag-of-tokens
/// overlap, precision and recall over token counts). Two empty texts score 1, one empty text 0.
///
/// ```
/// use ragdiag_diagnose::token_f1;
/// assert_eq!(token_f1("39 dollars", "$39 dollars"), 1.0);
/// assert!((token_f1("it costs 39 dollars", "39 dollars") - 2.0 / 3.0).abs() < 1e-12);
/// ```
#[must_use]
pub fn token_f1(prediction: &str, gold: &str) -> f64 {
    let p = normalize_answer(prediction);
    let g = normalize_answer(gold);
    f1_normalised(&p, &g)
}

fn f1_normalised(p: &str, g: &str) -> f64 {
    let mut pt: Vec<&str> = p.split_whitespace().collect();
    let mut gt: Vec<&str> = g.split_whitespace().collect();
    if pt.is_empty() || gt.is_empty() {
        return if pt.is_empty() && gt.is_empty() {
            1.0
        } else {
            0.0
        };
    }
    let (np, ng) = (pt.len() as f64, gt.len() as f64);
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

/// How an answer compares with the accepted answers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Correctness {
    /// The normalised answer equals a normalised accepted answer.
    pub exact_match: bool,
    /// The normalised answer contains a normalised accepted answer as whole tokens.
    pub contains: bool,
    /// The best token F1 against any accepted answer.
    pub best_f1: f64,
    /// The accepted answer that matched (containment first, else best F1), if any.
    pub matched: Option<String>,
}

/// Compares `answer` with `accepted` answers: containment after normalisation, exact match and
/// the best token F1. `correct` is `contains || best_f1 >= f1_threshold`.
#[must_use]
pub fn compare_answer(answer: &str, accepted: &[String]) -> Correctness {
    let a = normalize_answer(answer);
    let mut out = Correctness {
        exact_match: false,
        contains: false,
        best_f1: 0.0,
        matched: None,
    };
    let mut best: Option<&String> = None;
    for acc in accepted {
        let g = normalize_answer(acc);
        if g.is_empty() {
            continue;
        }
        if a == g {
            out.exact_match = true;
        }
        if contains_tokens(&a, &g) && !out.contains {
            out.contains = true;
            out.matched = Some(acc.clone());
        }
        let f = f1_normalised(&a, &g);
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
