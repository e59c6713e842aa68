//! The `en_bm25` analyzer, and a memoising variant of it for indexing.

use rustc_hash::FxHashMap;
use tantivy::tokenizer::{
    Language, LowerCaser, RawTokenizer, RemoveLongFilter, SimpleTokenizer, Stemmer, StopWordFilter,
    TextAnalyzer, Token, TokenFilter, TokenStream, Tokenizer,
};

/// The name under which the analyzer is registered in the tantivy index.
pub const ANALYZER_NAME: &str = "en_bm25";

/// Tokens of this many bytes or more are dropped (tantivy's `RemoveLongFilter`).
const MAX_TOKEN_LEN: usize = 40;

/// Distinct words the indexing analyzer remembers; past this, new words are analyzed each
/// time they occur (word frequencies are Zipfian, so the common ones are in by then).
const MEMO_CAPACITY: usize = 200_000;

fn stop_words() -> StopWordFilter {
    StopWordFilter::new(Language::English)
        .expect("tantivy's `stopwords` feature (on by default) provides the English list")
}

/// The analyzer used for documents and queries alike: `SimpleTokenizer` (splits on
/// non-alphanumeric characters), `RemoveLongFilter(40)` (drops tokens of 40 bytes or more),
/// `LowerCaser`, `StopWordFilter` (Lucene's 33 English stop words), `Stemmer` (Snowball
/// English).
#[must_use]
pub fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_LEN))
        .filter(LowerCaser)
        .filter(stop_words())
        .filter(Stemmer::new(Language::English))
        .build()
}

/// Runs [`analyzer`] over `text` and returns the terms, in order, duplicates kept.
///
/// ```
/// assert_eq!(ragdiag_index::analyze("The Refunds are processed"), ["refund", "process"]);
/// ```
#[must_use]
pub fn analyze(text: &str) -> Vec<String> {
    let mut analyzer = analyzer();
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        out.push(stream.token().text.clone());
    }
    out
}

/// [`analyzer`] with the stop-word and stemming steps memoised per distinct lower-cased word:
/// the same tokens, computed once per word instead of once per occurrence. For indexing, where
/// one analyzer instance sees the whole corpus (cloning it copies the memo).
pub(crate) fn indexing_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_LEN))
        .filter(LowerCaser)
        .filter(MemoStopStem::default())
        .build()
}

/// A token filter equal to `StopWordFilter(English)` followed by `Stemmer(English)`, with a
/// memo of each word's outcome.
#[derive(Clone)]
struct MemoStopStem {
    /// Analyzes one lower-cased word: no token for a stop word, else its stem.
    reference: TextAnalyzer,
    /// Word → `None` (stop word) or `Some(stem)`.
    memo: FxHashMap<String, Option<String>>,
}

impl Default for MemoStopStem {
    fn default() -> Self {
        MemoStopStem {
            reference: TextAnalyzer::builder(RawTokenizer::default())
                .filter(stop_words())
                .filter(Stemmer::new(Language::English))
                .build(),
            memo: FxHashMap::default(),
        }
    }
}

impl MemoStopStem {
    fn outcome(&mut self, word: &str) -> Option<String> {
        if let Some(known) = self.memo.get(word) {
            return known.clone();
        }
        let mut stream = self.reference.token_stream(word);
        let out = stream.advance().then(|| stream.token().text.clone());
        if self.memo.len() < MEMO_CAPACITY {
            self.memo.insert(word.to_string(), out.clone());
        }
        out
    }
}

impl TokenFilter for MemoStopStem {
    type Tokenizer<T: Tokenizer> = MemoStopStemTokenizer<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> MemoStopStemTokenizer<T> {
        MemoStopStemTokenizer {
            inner: tokenizer,
            state: self,
        }
    }
}

#[derive(Clone)]
pub(crate) struct MemoStopStemTokenizer<T> {
    inner: T,
    state: MemoStopStem,
}

impl<T: Tokenizer> Tokenizer for MemoStopStemTokenizer<T> {
    type TokenStream<'a> = MemoStopStemStream<'a, T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        MemoStopStemStream {
            tail: self.inner.token_stream(text),
            state: &mut self.state,
        }
    }
}

pub(crate) struct MemoStopStemStream<'a, T> {
    tail: T,
    state: &'a mut MemoStopStem,
}

impl<T: TokenStream> TokenStream for MemoStopStemStream<'_, T> {
    fn advance(&mut self) -> bool {
        while self.tail.advance() {
            let token = self.tail.token_mut();
            if let Some(known) = self.state.memo.get(&token.text) {
                match known {
                    Some(stem) => {
                        token.text.clear();
                        token.text.push_str(stem);
                        return true;
                    }
                    None => continue,
                }
            }
            if let Some(stem) = self.state.outcome(&token.text) {
                token.text = stem;
                return true;
            }
        }
        false
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<Token> {
        let mut stream = analyzer.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            out.push(stream.token().clone());
        }
        out
    }

    #[test]
    fn stems_lowercases_and_drops_stop_words() {
        assert_eq!(analyze("The REFUNDS of it"), ["refund"]);
        assert_eq!(analyze("running runs"), ["run", "run"]);
        // tantivy's RemoveLongFilter(40) keeps tokens shorter than 40 bytes.
        assert!(analyze(&"x".repeat(40)).is_empty());
        assert_eq!(analyze(&"x".repeat(39)).len(), 1);
    }

    #[test]
    fn memo_gives_the_same_tokens_on_a_known_text() {
        let text = "The refunds, THE Refund and the refunding: it is not what they were \
                    running to; generously generous generalisations 123 abc_def";
        let mut memo = indexing_analyzer();
        let mut plain = analyzer();
        for _ in 0..3 {
            assert_eq!(tokens(&mut memo, text), tokens(&mut plain, text));
        }
    }

    proptest! {
        #[test]
        fn memo_gives_the_same_tokens(
            words in proptest::collection::vec(
                prop_oneof![
                    Just("the".to_string()),
                    Just("And".to_string()),
                    Just("refunds".to_string()),
                    "[a-zA-Z]{1,12}",
                    "[a-zé0-9]{1,6}",
                    "\\PC{1,5}",
                ],
                0..60,
            ),
            seps in proptest::collection::vec("[ ,.;:!?'\"()-]{1,3}", 60),
        ) {
            let text: String = words
                .iter()
                .zip(&seps)
                .map(|(w, s)| format!("{w}{s}"))
                .collect();
            let mut memo = indexing_analyzer();
            let mut plain = analyzer();
            // Twice through the same memo: the second pass is served from it.
            prop_assert_eq!(tokens(&mut memo, &text), tokens(&mut plain, &text));
            prop_assert_eq!(tokens(&mut memo, &text), tokens(&mut plain, &text));
        }
    }
}
