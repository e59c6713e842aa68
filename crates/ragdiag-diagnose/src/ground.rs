//! Groundedness: is every sentence of an answer supported by the context window, and does
//! every specific claim it makes (a number, an amount, a date, a name) occur there?

use crate::answer::match_tokens;
use crate::texts::{Features, Texts};
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
    /// The specific claims of the answer ([`claims`]: numbers, amounts, dates, capitalised
    /// names) that occur in no context chunk and not in the question, as the answer writes
    /// them, in answer order.
    pub unsupported_claims: Vec<String>,
    /// Every sentence is supported and every claim occurs in the context (or the question).
    pub grounded: bool,
}

/// The specific claims of `text`, as spans of it in text order: every run of characters that
/// holds a digit (numbers, amounts with their currency sign or `%`, dates, times, versions:
/// `$40`, `2.9%`, `2025-03-01`, `9:30`), and every run of capitalised words that does not
/// start a sentence, a line or a clause after `:` (`Halifax`, `Regional Municipality`; such
/// first words, the pronoun `I` and capitalised stop words such as `You` or `The` are
/// capitalised by grammar, not because they name something; all-capital words such as `US`
/// are names).
///
/// ```
/// use ragdiag_diagnose::claims;
/// assert_eq!(
///     claims("Pickup is weekly. The City offers a $40 windrow service on 2025-03-01."),
///     ["City", "$40", "2025-03-01"]
/// );
/// ```
#[must_use]
pub fn claims(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for sentence in split_sentences(text) {
        let base = sentence.as_ptr() as usize - text.as_ptr() as usize;
        let mut name: Option<(usize, usize)> = None;
        let mut prev_end: Option<usize> = None;
        for (start, end) in words(sentence) {
            let w = &sentence[start..end];
            let first_word = prev_end.is_none_or(|p| sentence[p..start].contains(':'));
            prev_end = Some(end);
            let is_number = w.bytes().any(|c| c.is_ascii_digit());
            let capitalised = w.chars().next().is_some_and(char::is_uppercase) && !is_number;
            let all_caps = w
                .chars()
                .filter(|c| c.is_alphabetic())
                .all(char::is_uppercase);
            let grammar = matches!(w, "I" | "I'm" | "I've" | "I'd" | "I'll")
                || (!all_caps && is_stop(&w.to_lowercase()));
            let counts = capitalised && !first_word && !grammar;
            let joined = name.is_some_and(|(_, e)| sentence[e..start].chars().all(|c| c == ' '));
            match (counts, name) {
                (true, Some((s, _))) if joined => name = Some((s, end)),
                (true, prev) => {
                    if let Some((s, e)) = prev {
                        out.push((base + s, base + e));
                    }
                    name = Some((start, end));
                }
                (false, prev) => {
                    if let Some((s, e)) = prev {
                        out.push((base + s, base + e));
                    }
                    name = None;
                }
            }
            if is_number {
                // An amount keeps its currency sign and its percent sign.
                let s = if sentence[..start].ends_with(['$', '€', '£', '¥']) {
                    start - 1
                } else {
                    start
                };
                let e = if sentence[end..].starts_with('%') {
                    end + 1
                } else {
                    end
                };
                out.push((base + s, base + e));
            }
        }
        if let Some((s, e)) = name {
            out.push((base + s, base + e));
        }
    }
    out.sort_unstable();
    out.into_iter().map(|(s, e)| &text[s..e]).collect()
}

/// The words of a sentence as byte ranges: runs of alphanumeric characters, joined across one
/// inner `.`, `,`, `:`, `/`, `-` or `'` between two alphanumeric characters (`3.90`,
/// `1,000`, `9:30`, `2025-03-01`, `don't`).
fn words(s: &str) -> Vec<(usize, usize)> {
    let chars: Vec<(usize, char)> = s.char_indices().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].1.is_alphanumeric() {
            i += 1;
            continue;
        }
        let start = chars[i].0;
        let mut j = i + 1;
        while j < chars.len() {
            let c = chars[j].1;
            if c.is_alphanumeric() {
                j += 1;
            } else if matches!(c, '.' | ',' | ':' | '/' | '-' | '\'' | '’')
                && chars.get(j + 1).is_some_and(|n| n.1.is_alphanumeric())
                && (c != ',' || chars[j - 1].1.is_ascii_digit())
            {
                j += 2;
            } else {
                break;
            }
        }
        let end = chars.get(j).map_or(s.len(), |c| c.0);
        out.push((start, end));
        i = j;
    }
    out
}

/// Assesses `answer` against the context window's texts. Sentences are first checked by
/// content-token overlap; only those that fail it are embedded (with `embedder`), together
/// with the context sentences. Then every claim of the answer ([`claims`]) must occur, as
/// [`match_tokens`] (stemmed, numbers in one form), in some context text or in `question`
/// (a name the user wrote is supported by the question): a claim found nowhere makes the
/// answer ungrounded, however well its sentences overlap the context.
///
/// # Errors
///
/// When the embedder fails.
pub fn assess_grounding(
    answer: &str,
    context: &[&str],
    question: &str,
    cfg: &GroundingConfig,
    embedder: Option<&dyn Embedder>,
) -> crate::Result<Grounding> {
    let texts = Texts::default();
    let feats: Vec<_> = context.iter().map(|t| texts.features(None, t)).collect();
    let feats: Vec<&Features> = feats.iter().map(AsRef::as_ref).collect();
    assess_grounding_with(answer, context, &feats, &texts, question, cfg, embedder)
}

/// [`assess_grounding`] with the context texts' tokens made already (`feats[i]` are those of
/// `context[i]`, their ids from `texts`): what the diagnosis calls, once per question, with
/// the features shared by every question that retrieved the same texts.
pub(crate) fn assess_grounding_with(
    answer: &str,
    context: &[&str],
    feats: &[&Features],
    texts: &Texts<'_>,
    question: &str,
    cfg: &GroundingConfig,
    embedder: Option<&dyn Embedder>,
) -> crate::Result<Grounding> {
    // A token is in the context when some context text holds it.
    let in_context = |t: &str| {
        texts
            .id(t)
            .is_some_and(|id| feats.iter().any(|f| f.has_content(id)))
    };
    let mut sentences: Vec<SentenceSupport> = split_sentences(answer)
        .into_iter()
        .map(|s| {
            let toks = content_tokens(s);
            let share = if toks.is_empty() {
                1.0
            } else {
                toks.iter().filter(|t| in_context(t)).count() as f64 / toks.len() as f64
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
    let unsupported_claims = unsupported_claims(answer, feats, texts, question);
    Ok(Grounding {
        grounded_share: if n == 0 { 1.0 } else { ok as f64 / n as f64 },
        grounded: ok == n && unsupported_claims.is_empty(),
        unsupported_claims,
        sentences,
    })
}

/// The claims of `answer` whose match tokens are not all among those of one context text
/// (`feats`) or of the question, deduplicated, in answer order.
fn unsupported_claims(
    answer: &str,
    feats: &[&Features],
    texts: &Texts<'_>,
    question: &str,
) -> Vec<String> {
    let cl = claims(answer);
    if cl.is_empty() {
        return Vec::new();
    }
    let asked: FxHashSet<String> = match_tokens(question).into_iter().collect();
    let mut out: Vec<String> = Vec::new();
    for c in cl {
        let toks = match_tokens(c);
        let found = toks.is_empty()
            || texts
                .ids(&toks)
                .is_some_and(|ids| feats.iter().any(|f| ids.iter().all(|&i| f.has_match(i))))
            || toks.iter().all(|t| asked.contains(t));
        if !found && !out.iter().any(|o| o == c) {
            out.push(c.to_owned());
        }
    }
    out
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
        let g =
            assess_grounding("The Growth plan costs $39 per month.", &ctx, "", &cfg, None).unwrap();
        assert!(g.grounded);
        assert_eq!(g.grounded_share, 1.0);
        let g = assess_grounding(
            "Growth costs $39 per month. It also ships with a free parrot named Kevin.",
            &ctx,
            "",
            &cfg,
            None,
        )
        .unwrap();
        assert!(!g.grounded);
        assert_eq!(g.grounded_share, 0.5);
        assert!(!g.sentences[1].supported);
        assert!(g.sentences[1].token_share < 0.6);
        // No sentences at all: trivially grounded.
        let g = assess_grounding("...", &ctx, "", &cfg, None).unwrap();
        assert!(g.grounded && g.sentences.is_empty());
        // Stop words alone are trivially supported.
        let g = assess_grounding("It is.", &[], "", &cfg, None).unwrap();
        assert!(g.grounded);
    }

    #[test]
    fn claims_are_numbers_amounts_dates_and_names_inside_sentences() {
        assert_eq!(
            claims("Growth costs $39 per month, or 2.9% + 30c per card payment."),
            ["$39", "2.9%", "30c"]
        );
        assert_eq!(
            claims("Giant African land snails. They live in Nova Scotia since March 2021."),
            ["African", "Nova Scotia", "March", "2021"]
        );
        // Sentence-, line- and clause-initial capitals, capitalised stop words and the pronoun
        // I are grammar, not names; an all-capital word is a name.
        assert!(claims("Yes. Pickup is weekly.\nWorms eat it. I think so.").is_empty());
        assert!(
            claims("Note: Pickup is weekly, and You pay nothing. So The fee is waived.").is_empty()
        );
        assert_eq!(claims("Shipping to the US is free."), ["US"]);
        assert_eq!(
            claims("It opened at 9:30 on 2025-03-01, with 1,000 seats."),
            ["9:30", "2025-03-01", "1,000"]
        );
        assert!(claims("").is_empty());
    }

    #[test]
    fn a_claim_in_no_context_chunk_makes_a_fluent_answer_ungrounded() {
        let ctx = [
            "Windrow clearing: the City clears the snow ridge left at the end of your driveway \
             after the plough passes, for residents who register as eligible.",
        ];
        let cfg = GroundingConfig::default();
        let question = "Does the City clear windrows?";
        let base =
            "Yes, the City clears the windrow at the end of your driveway after the plough passes";
        let g = assess_grounding(&format!("{base}."), &ctx, question, &cfg, None).unwrap();
        assert!(g.grounded, "{g:?}");
        let added = format!("{base}, and the City offers a $40 windrow clearing service.");
        let g = assess_grounding(&added, &ctx, question, &cfg, None).unwrap();
        assert!(
            g.sentences.iter().all(|s| s.supported),
            "sentences overlap: {g:?}"
        );
        assert!(!g.grounded);
        assert_eq!(g.unsupported_claims, ["$40"]);
        // The same number in another chunk supports it, written another way.
        let ctx2 = [ctx[0], "The windrow service costs 40.00 dollars a season."];
        let g = assess_grounding(&added, &ctx2, question, &cfg, None).unwrap();
        assert!(g.grounded, "{g:?}");
        // A name the user wrote is supported by the question; one from nowhere is not.
        let g = assess_grounding(
            "Yes, in Halifax the City clears the windrow after the plough passes.",
            &ctx,
            "Does the City clear windrows in Halifax?",
            &cfg,
            None,
        )
        .unwrap();
        assert!(g.grounded, "{g:?}");
        let g = assess_grounding(
            "Yes, in Dartmouth the City clears the windrow after the plough passes.",
            &ctx,
            question,
            &cfg,
            None,
        )
        .unwrap();
        assert_eq!(g.unsupported_claims, ["Dartmouth"]);
        // A claim must occur within one chunk: tokens scattered over two do not make it.
        let g =
            assess_grounding("It is in Nova Scotia.", &["Nova", "Scotia"], "", &cfg, None).unwrap();
        assert_eq!(g.unsupported_claims, ["Nova Scotia"]);
    }

    #[test]
    fn threshold_is_inclusive() {
        // Five content tokens, three in context: share 0.6 meets the default.
        let ctx = ["alpha beta gamma"];
        let g = assess_grounding(
            "alpha beta gamma delta epsilon",
            &ctx,
            "",
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
        let without = assess_grounding(answer, &ctx, "", &cfg, None).unwrap();
        assert!(!without.grounded);
        let with = assess_grounding(answer, &ctx, "", &cfg, Some(&e)).unwrap();
        assert!(with.sentences[0].best_cosine.unwrap() >= 0.5);
        assert!(with.grounded);
        let strict = GroundingConfig {
            token_share: 1.0,
            embedding_cosine: 0.999,
        };
        let g = assess_grounding(answer, &ctx, "", &strict, Some(&e)).unwrap();
        assert!(!g.grounded);
        assert!(g.sentences[0].best_cosine.is_some());
    }
}
