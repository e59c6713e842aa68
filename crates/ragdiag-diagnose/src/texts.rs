//! The tokens of every retrieved text, computed once per run and shared by all the questions
//! that retrieved it (issue 15: a page retrieved by many questions used to be re-tokenised,
//! re-stemmed and re-shingled for each of them).
//!
//! [`Texts`] maps each retrieved text to its [`Features`] (made on first use, from any thread,
//! by the same pure functions as before, so the result does not depend on who made it). Tokens
//! are interned: every distinct token string gets a `u32`, and comparisons between texts and
//! answers compare ids. An answer token no text holds has no id, and so matches nothing, as its
//! string matched nothing before.
//!
//! Texts are keyed by their document and span (no hashing of the whole text) and told apart by
//! their content: a trace hit located by the normalised match keeps its own text, which differs
//! from the document's slice, and gets its own entry.

use crate::answer::match_tokens;
use crate::ground::content_tokens;
use ragdiag_core::word_shingles;
use rustc_hash::FxHashMap;
use std::sync::{Mutex, OnceLock, PoisonError};

/// A text's tokens, as ids of the run's vocabulary.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Features {
    /// [`match_tokens`], in text order.
    pub(crate) matches: Vec<u32>,
    /// The distinct [`match_tokens`], sorted by id.
    pub(crate) match_set: Vec<u32>,
    /// The distinct [`content_tokens`], sorted by id.
    pub(crate) content_set: Vec<u32>,
    /// [`word_shingles`] (sorted, distinct hashes).
    pub(crate) shingles: Vec<u64>,
}

impl Features {
    /// Whether the text holds the match token `id`.
    pub(crate) fn has_match(&self, id: u32) -> bool {
        self.match_set.binary_search(&id).is_ok()
    }

    /// Whether the text holds the content token `id`.
    pub(crate) fn has_content(&self, id: u32) -> bool {
        self.content_set.binary_search(&id).is_ok()
    }
}

/// A registered text: borrowed for the whole run (a slice of the corpus), or a copy held for
/// one batch of questions (a trace's own text, differing from the document's slice).
#[derive(Debug)]
enum Text<'t> {
    Borrowed(&'t str),
    Owned(Box<str>),
}

impl Text<'_> {
    fn as_str(&self) -> &str {
        match self {
            Text::Borrowed(t) => t,
            Text::Owned(t) => t,
        }
    }
}

/// One distinct text of a key, and its features once made.
type Slot<'t> = (Text<'t>, OnceLock<Features>);

/// The run's retrieved texts with their features, and the vocabulary of their tokens.
#[derive(Debug, Default)]
pub(crate) struct Texts<'t> {
    slots: FxHashMap<(usize, usize, usize), Vec<Slot<'t>>>,
    vocab: Mutex<FxHashMap<Box<str>, u32>>,
}

impl<'t> Texts<'t> {
    /// Registers `text`, the text of document `doc` between code points `span` (nothing is
    /// computed yet).
    pub(crate) fn add(&mut self, doc: usize, span: (usize, usize), text: &'t str) {
        let v = self.slots.entry((doc, span.0, span.1)).or_default();
        if !v.iter().any(|(t, _)| same(t.as_str(), text)) {
            v.push((Text::Borrowed(text), OnceLock::new()));
        }
    }

    /// Registers a copy of `text` (document `doc`, `span`), held until [`Texts::forget_copies`]:
    /// a text that lives shorter than the run (a batch's trace hit).
    pub(crate) fn add_copy(&mut self, doc: usize, span: (usize, usize), text: &str) {
        let v = self.slots.entry((doc, span.0, span.1)).or_default();
        if !v.iter().any(|(t, _)| same(t.as_str(), text)) {
            v.push((Text::Owned(text.into()), OnceLock::new()));
        }
    }

    /// Drops the copies registered by [`Texts::add_copy`] (the borrowed texts and their
    /// features stay, and so does the vocabulary: ids never change).
    pub(crate) fn forget_copies(&mut self) {
        self.slots.retain(|_, v| {
            v.retain(|(t, _)| matches!(t, Text::Borrowed(_)));
            !v.is_empty()
        });
    }

    /// The features of `text` (document `doc`, `span`): shared when registered, else made for
    /// this call.
    pub(crate) fn features(
        &self,
        key: Option<(usize, (usize, usize))>,
        text: &str,
    ) -> std::borrow::Cow<'_, Features> {
        let slot = key
            .and_then(|(d, (s, e))| self.slots.get(&(d, s, e)))
            .and_then(|v| v.iter().find(|(t, _)| same(t.as_str(), text)));
        match slot {
            Some((t, cell)) => {
                std::borrow::Cow::Borrowed(cell.get_or_init(|| self.make(t.as_str())))
            }
            None => std::borrow::Cow::Owned(self.make(text)),
        }
    }

    /// The id of `token`, when some text made so far holds it.
    pub(crate) fn id(&self, token: &str) -> Option<u32> {
        self.vocab
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(token)
            .copied()
    }

    /// The ids of `tokens`; `None` when one of them is in no text made so far.
    pub(crate) fn ids(&self, tokens: &[String]) -> Option<Vec<u32>> {
        let vocab = self.vocab.lock().unwrap_or_else(PoisonError::into_inner);
        tokens
            .iter()
            .map(|t| vocab.get(t.as_str()).copied())
            .collect()
    }

    fn make(&self, text: &str) -> Features {
        let matches = match_tokens(text);
        let content = content_tokens(text);
        let mut shingles = word_shingles(text);
        // Held for the whole run: without the room of the duplicates dropped.
        shingles.shrink_to_fit();
        let (matches, content) = {
            let mut vocab = self.vocab.lock().unwrap_or_else(PoisonError::into_inner);
            let mut intern = |t: String| -> u32 {
                let next = u32::try_from(vocab.len()).unwrap_or(u32::MAX);
                *vocab.entry(t.into_boxed_str()).or_insert(next)
            };
            let m: Vec<u32> = matches.into_iter().map(&mut intern).collect();
            let c: Vec<u32> = content.into_iter().map(&mut intern).collect();
            (m, c)
        };
        let sorted = |v: &[u32]| {
            let mut s = v.to_vec();
            s.sort_unstable();
            s.dedup();
            // A set is a fraction of the tokens: held without the room of the repeats.
            s.shrink_to_fit();
            s
        };
        Features {
            match_set: sorted(&matches),
            content_set: sorted(&content),
            matches,
            shingles,
        }
    }
}

/// The same text: the same slice, or equal contents.
fn same(a: &str, b: &str) -> bool {
    (a.as_ptr() == b.as_ptr() && a.len() == b.len()) || a == b
}

#[cfg(test)]
mod tests {
    //! The shared, interned tokens against the string implementation they replaced, kept here
    //! as the reference.
    use super::*;
    use crate::answer::contains_seq;
    use crate::ground::{assess_grounding, claims, split_sentences, GroundingConfig};
    use proptest::prelude::*;
    use rustc_hash::FxHashSet;

    /// The groundedness verdicts as computed before issue 15: string sets per call.
    fn reference_grounding(
        answer: &str,
        context: &[&str],
        question: &str,
    ) -> (Vec<f64>, Vec<String>) {
        let ctx: FxHashSet<String> = context.iter().flat_map(|t| content_tokens(t)).collect();
        let shares = split_sentences(answer)
            .into_iter()
            .map(|s| {
                let toks = content_tokens(s);
                if toks.is_empty() {
                    1.0
                } else {
                    toks.iter().filter(|t| ctx.contains(*t)).count() as f64 / toks.len() as f64
                }
            })
            .collect();
        let sources: Vec<FxHashSet<String>> = context
            .iter()
            .chain(std::iter::once(&question))
            .map(|t| match_tokens(t).into_iter().collect())
            .collect();
        let mut out: Vec<String> = Vec::new();
        for c in claims(answer) {
            let toks = match_tokens(c);
            let found =
                toks.is_empty() || sources.iter().any(|s| toks.iter().all(|t| s.contains(t)));
            if !found && !out.iter().any(|o| o == c) {
                out.push(c.to_owned());
            }
        }
        (shares, out)
    }

    /// `answer_source` as computed before issue 15.
    fn reference_source(
        answer: &str,
        accepted: &[String],
        window: &[&str],
        min: f64,
    ) -> Option<usize> {
        let toks = content_tokens(answer);
        if toks.is_empty() {
            return None;
        }
        let stated = match_tokens(answer);
        let accepted: Vec<Vec<String>> = accepted
            .iter()
            .map(|a| match_tokens(a))
            .filter(|a| contains_seq(&stated, a))
            .collect();
        let holding: Vec<usize> = (0..window.len())
            .filter(|&i| {
                let t = match_tokens(window[i]);
                accepted.iter().any(|a| contains_seq(&t, a))
            })
            .collect();
        let candidates = if holding.is_empty() {
            (0..window.len()).collect()
        } else {
            holding
        };
        let mut best: Option<(usize, f64)> = None;
        for i in candidates {
            let chunk: FxHashSet<String> = content_tokens(window[i]).into_iter().collect();
            let share =
                toks.iter().filter(|t| chunk.contains(*t)).count() as f64 / toks.len() as f64;
            if share >= min && best.is_none_or(|(_, b)| share > b) {
                best = Some((i, share));
            }
        }
        best.map(|(i, _)| i)
    }

    const WORDS: &[&str] = &[
        "The",
        "plan",
        "Plans",
        "costs",
        "$39",
        "39",
        "per",
        "month",
        "Halifax",
        "refunds",
        "refunded",
        "within",
        "30",
        "days",
        "1,000",
        "3.90",
        "2025-03-01",
        "is",
        "a",
        "of",
        "ΣΟΦΟΣ",
        "σοφος",
        "card",
        "Bitcoin",
        "fee.",
        "It",
        "weekly.",
        "\n",
        "?",
        "and",
    ];

    fn text() -> impl Strategy<Value = String> {
        proptest::collection::vec(0..WORDS.len(), 0..40)
            .prop_map(|v| v.iter().map(|&i| WORDS[i]).collect::<Vec<_>>().join(" "))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        #[test]
        fn shared_tokens_give_the_verdicts_of_the_string_implementation(
            window in proptest::collection::vec(text(), 0..6),
            answer in text(),
            question in text(),
            accepted in proptest::collection::vec(text(), 0..3),
        ) {
            let window: Vec<&str> = window.iter().map(String::as_str).collect();
            let g = assess_grounding(&answer, &window, &question, &GroundingConfig::default(), None).unwrap();
            let (shares, unsupported) = reference_grounding(&answer, &window, &question);
            let got: Vec<f64> = g.sentences.iter().map(|s| s.token_share).collect();
            prop_assert_eq!(got, shares);
            prop_assert_eq!(g.unsupported_claims, unsupported);

            // One vocabulary for several windows, as in a run: the texts registered once.
            let mut texts = Texts::default();
            for (i, t) in window.iter().enumerate() {
                texts.add(i, (0, t.len()), t);
            }
            for min in [0.0, 0.6] {
                let feats: Vec<_> = window.iter().enumerate().map(|(i, t)| texts.features(Some((i, (0, t.len()))), t)).collect();
                let feats: Vec<&Features> = feats.iter().map(AsRef::as_ref).collect();
                let got = crate::attribute::answer_source_for_tests(&answer, &accepted, &feats, &texts, min);
                prop_assert_eq!(got, reference_source(&answer, &accepted, &window, min));
            }
        }
    }

    #[test]
    fn a_text_is_made_once_and_told_apart_from_a_different_text_of_its_key() {
        let (a, b) = (
            "Growth costs $39 per month.",
            "growth  costs $39 per month.",
        );
        let mut texts = Texts::default();
        texts.add(0, (0, 27), a);
        texts.add(0, (0, 27), a);
        texts.add(0, (0, 27), b);
        assert_eq!(texts.slots[&(0, 0, 27)].len(), 2);
        let fa = texts.features(Some((0, (0, 27))), a);
        assert!(matches!(fa, std::borrow::Cow::Borrowed(_)));
        let copy = String::from(a);
        let again = texts.features(Some((0, (0, 27))), &copy);
        assert!(
            std::ptr::eq(fa.as_ref(), again.as_ref()),
            "equal contents share one entry"
        );
        let ids = texts.ids(&match_tokens(a)).unwrap();
        assert_eq!(fa.matches, ids);
        // Unregistered: made for the call, same tokens.
        let fresh = texts.features(None, a);
        assert!(matches!(fresh, std::borrow::Cow::Owned(_)));
        assert_eq!(fresh.as_ref(), fa.as_ref());
        assert_eq!(texts.id("unheard"), None);
    }
}
