//! Groundedness: is every sentence of an answer supported by the context window?

use ragdiag_core::{cosine, Embedder};
use rustc_hash::FxHashSet;
use serde::Serialize;

/// English stop words removed before the content-token overlap.
const STOP_WORDS: &[&str] = &[
    "a", "about", "above", "after", "again", "all", "also", "am", "an", "and", "another", "any",
    "are", "as", "at", "be", "been", "before", "being", "below", "between", "both", "but", "by",
    "can", "could", "did", "do", "does", "doing", "done", "down", "during", "each", "every", "few",
    "for", "from", "further", "had", "has", "have", "having", "he", "her", "here", "hers", "him",
    "his", "how", "i", "if", "in", "into", "is", "it", "its", "itself", "just", "may", "me",
    "might", "more", "most", "must", "my", "no", "nor", "not", "of", "off", "on", "once", "one",
    "only", "onto", "or", "other", "our", "ours", "out", "over", "own", "per", "s", "same",
    "shall", "she", "should", "so", "some", "such", "t", "than", "that", "the", "their", "theirs",
    "them", "then", "there", "these", "they", "this", "those", "through", "to", "too", "under",
    "until", "up", "us", "very", "was", "we", "were", "what", "when", "where", "which", "while",
    "who", "whom", "whose", "why", "will", "with", "without", "would", "yes", "you", "your",
    "yours",
];

fn is_stop(word: &str) -> bool {
    STOP_WORDS.binary_search(&word).is_ok()
}

/// Lower-cased alphanumeric word tokens of `text` with stop words removed.
///
/// ```
/// use ragdiag_diagnose::content_tokens;
/// assert_eq!(content_tokens("The Growth plan costs $39 per month."), ["growth", "plan", "costs", "39", "month"]);
/// ```
#[must_use]
pub fn content_tokens(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .filter(|w| !is_stop(w))
        .collect()
}

/// Splits text into sentences: a sentence ends at `.`, `!` or `?` followed by whitespace, or at
/// a line break. Pieces with no alphanumeric character are dropped; the rest are trimmed.
///
/// ```
/// use ragdiag_diagnose::split_sentences;
/// assert_eq!(split_sentences("It costs $3.90. Really?\nYes"), ["It costs $3.90.", "Really?", "Yes"]);
/// ```
#[must_use]
pub fn split_sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut iter = text.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        let end = match c {
            '\n' => Some(i),
            '.' | '!' | '?' => match iter.peek() {
                Some((_, n)) if n.is_whitespace() => Some(i + c.len_utf8()),
                None => Some(i + c.len_utf8()),
                _ => None,
            },
            _ => None,
        };
        if let Some(e) = end {
            out.push(&text[start..e]);
            start = e;
        }
    }
    out.push(&text[start..]);
    out.into_iter()
        .map(str::trim)
        .filter(|s| s.chars().any(char::is_alphanumeric))
        .collect()
}

/// Groundedness thresholds.
#[derive(Debug, Clone, PartialEq)]
pub struct GroundingConfig {
    /// A sentence is supported when at least this share of its content tokens occurs in the
    /// context window's text (default 0.6).
    pub token_share: f64,
    /// With an embedder, a sentence is also supported when its cosine with some context
    /// sentence reaches this (default 0.75).
    pub embedding_cosine: f64,
}

impl Default for GroundingConfig {
    fn default() -> Self {
        GroundingConfig {
            token_share: 0.6,
            embedding_cosine: 0.75,
        }
    }
}

/// The verdict on one answer sentence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SentenceSupport {
    /// The sentence.
    pub sentence: String,
    /// Share of its content tokens found in the context (1 when it has none).
    pub token_share: f64,
    /// Best cosine with a context sentence, when an embedder was consulted.
    pub best_cosine: Option<f64>,
    /// Whether it is supported.
    pub supported: bool,
}

/// The groundedness of an answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Grounding {
    /// Every sentence with its verdict, in answer order.
    pub sentences: Vec<SentenceSupport>,
    /// Share of supported sentences (1 for an answer without sentences).
    pub grounded_share: f64,
    /// Every sentence is supported.
    pub grounded: bool,
}

/// Assesses `answer` against the context window's texts. Sentences are first checked by
/// content-token overlap; only those that fail it are embedded (with `embedder`), together
/// with the context sentences.
///
/// # Errors
///
/// When the embedder fails.
pub fn assess_grounding(
    answer: &str,
    context: &[&str],
    cfg: &GroundingConfig,
    embedder: Option<&dyn Embedder>,
) -> crate::Result<Grounding> {
    let ctx_tokens: FxHashSet<String> = context.iter().flat_map(|t| content_tokens(t)).collect();
    let mut sentences: Vec<SentenceSupport> = split_sentences(answer)
        .into_iter()
        .map(|s| {
            let toks = content_tokens(s);
            let share = if toks.is_empty() {
                1.0
            } else {
                toks.iter().filter(|t| ctx_tokens.contains(*t)).count() as f64 / toks.len() as f64
            };
            SentenceSupport {
                sentence: s.to_string(),
                token_share: share,
                best_cosine: None,
                supported: share >= cfg.token_share,
            }
        })
        .collect();
    if let Some(emb) = embedder {
        let pending: Vec<usize> = (0..sentences.len())
            .filter(|&i| !sentences[i].supported)
            .collect();
        let ctx_sents: Vec<&str> = context.iter().flat_map(|t| split_sentences(t)).collect();
        if !pending.is_empty() && !ctx_sents.is_empty() {
            let ctx_vecs = emb.embed_documents(&ctx_sents)?;
            let texts: Vec<&str> = pending
                .iter()
                .map(|&i| sentences[i].sentence.as_str())
                .collect();
            let vecs = emb.embed_documents(&texts)?;
            for (&i, v) in pending.iter().zip(&vecs) {
                let best = ctx_vecs
                    .iter()
                    .map(|c| cosine(v, c))
                    .fold(f64::NEG_INFINITY, f64::max);
                sentences[i].best_cosine = Some(best);
                sentences[i].supported = best >= cfg.embedding_cosine;
            }
        }
    }
    let n = sentences.len();
    let ok = sentences.iter().filter(|s| s.supported).count();
    Ok(Grounding {
        grounded_share: if n == 0 { 1.0 } else { ok as f64 / n as f64 },
        grounded: ok == n,
        sentences,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ragdiag_embed::HashEmbedder;

    #[test]
    fn stop_words_are_sorted_for_binary_search() {
        assert!(STOP_WORDS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn sentences_split_on_terminators_and_lines() {
        assert_eq!(
            split_sentences("First one. Second one! Third?  Fourth"),
            ["First one.", "Second one!", "Third?", "Fourth"]
        );
        assert_eq!(
            split_sentences("Fees are 2.9% + 30c."),
            ["Fees are 2.9% + 30c."]
        );
        assert_eq!(split_sentences("- a\n- b\n\n..."), ["- a", "- b"]);
        assert!(split_sentences("").is_empty());
    }

    #[test]
    fn grounded_when_every_sentence_is_supported() {
        let ctx = ["Growth costs $39 per month and includes 3 users."];
        let cfg = GroundingConfig::default();
        let g = assess_grounding("The Growth plan costs $39 per month.", &ctx, &cfg, None).unwrap();
        assert!(g.grounded);
        assert_eq!(g.grounded_share, 1.0);
        let g = assess_grounding(
            "Growth costs $39 per month. It also ships with a free parrot named Kevin.",
            &ctx,
            &cfg,
            None,
        )
        .unwrap();
        assert!(!g.grounded);
        assert_eq!(g.grounded_share, 0.5);
        assert!(!g.sentences[1].supported);
        assert!(g.sentences[1].token_share < 0.6);
        // No sentences at all: trivially grounded.
        let g = assess_grounding("...", &ctx, &cfg, None).unwrap();
        assert!(g.grounded && g.sentences.is_empty());
        // Stop words alone are trivially supported.
        let g = assess_grounding("It is.", &[], &cfg, None).unwrap();
        assert!(g.grounded);
    }

    #[test]
    fn threshold_is_inclusive() {
        // Five content tokens, three in context: share 0.6 meets the default.
        let ctx = ["alpha beta gamma"];
        let g = assess_grounding(
            "alpha beta gamma delta epsilon",
            &ctx,
            &GroundingConfig::default(),
            None,
        )
        .unwrap();
        assert!((g.sentences[0].token_share - 0.6).abs() < 1e-12);
        assert!(g.grounded);
    }

    #[test]
    fn embedder_rescues_paraphrases_only_above_its_threshold() {
        let e = HashEmbedder::new(256);
        let ctx = ["Refunds reach your card within ten business days."];
        let cfg = GroundingConfig {
            token_share: 1.0,
            embedding_cosine: 0.5,
        };
        let answer = "Refunds arrive on the card in ten days.";
        let without = assess_grounding(answer, &ctx, &cfg, None).unwrap();
        assert!(!without.grounded);
        let with = assess_grounding(answer, &ctx, &cfg, Some(&e)).unwrap();
        assert!(with.sentences[0].best_cosine.unwrap() >= 0.5);
        assert!(with.grounded);
        let strict = GroundingConfig {
            token_share: 1.0,
            embedding_cosine: 0.999,
        };
        let g = assess_grounding(answer, &ctx, &strict, Some(&e)).unwrap();
        assert!(!g.grounded);
        assert!(g.sentences[0].best_cosine.is_some());
    }
}
