//! The corpus as the attribution sees it: documents by id, their freshness, version families
//! and conflict pairs, computed once for all questions.

use ragdiag_core::{char_span_to_bytes, DocId, Document};
use ragdiag_fresh::{Audit, DocFreshness};
use rustc_hash::{FxHashMap, FxHashSet, FxHasher};
use std::hash::Hasher;
use std::sync::OnceLock;

/// A whitespace-delimited token lower-cased character by character (as
/// [`ragdiag_core::find_quote`] normalises), hashed.
fn token_hash(word: &str, buf: &mut String) -> u64 {
    buf.clear();
    for c in word.chars() {
        buf.extend(c.to_lowercase());
    }
    let mut h = FxHasher::default();
    h.write(buf.as_bytes());
    h.finish()
}

/// Every document's distinct token hashes → the documents holding them, ascending.
/// `None` beyond 2^32 documents.
fn token_postings(docs: &[Document]) -> Option<FxHashMap<u64, Vec<u32>>> {
    u32::try_from(docs.len()).ok()?;
    let mut index: FxHashMap<u64, Vec<u32>> = FxHashMap::default();
    let mut buf = String::new();
    let mut seen: Vec<u64> = Vec::new();
    for (i, d) in docs.iter().enumerate() {
        seen.clear();
        seen.extend(
            d.text
                .split(char::is_whitespace)
                .filter(|w| !w.is_empty())
                .map(|w| token_hash(w, &mut buf)),
        );
        seen.sort_unstable();
        seen.dedup();
        for &h in &seen {
            index.entry(h).or_default().push(i as u32);
        }
    }
    Some(index)
}

/// The documents and their freshness audit, indexed for the diagnosis.
///
/// Version families: a document's *older versions* are everything reachable through
/// "replaces" edges: explicit `supersedes` (and the audit's `superseded_by`, which includes
/// inferred supersession), and near-duplicate pairs from the newer to the older document (both
/// ways when the dates do not decide). A *stale version* of a document is an older version that
/// is stale (superseded, expired or deleted).
#[derive(Debug)]
pub struct Corpus<'a> {
    docs: &'a [Document],
    by_id: FxHashMap<&'a str, usize>,
    fresh: Vec<Option<&'a DocFreshness>>,
    /// Newer → older edges, sorted and deduplicated per document.
    older: Vec<Vec<usize>>,
    conflicts: FxHashSet<(usize, usize)>,
    char_lens: Vec<usize>,
    /// Hashed tokens → the documents holding them, built on first use ([`Corpus::tokens`]).
    tokens: OnceLock<Option<FxHashMap<u64, Vec<u32>>>>,
    /// Each document's id, shared ([`Corpus::doc_id`]), made on first use.
    shared_ids: OnceLock<Vec<DocId>>,
}

impl<'a> Corpus<'a> {
    /// Indexes `docs` with their `audit` (from [`ragdiag_fresh::audit`] over the same
    /// documents). Ids that occur twice keep their first document.
    #[must_use]
    pub fn new(docs: &'a [Document], audit: &'a Audit) -> Self {
        let mut by_id: FxHashMap<&'a str, usize> = FxHashMap::default();
        for (i, d) in docs.iter().enumerate() {
            by_id.entry(d.id.as_str()).or_insert(i);
        }
        let mut fresh_by_id: FxHashMap<&str, &DocFreshness> = FxHashMap::default();
        for f in &audit.documents {
            fresh_by_id.entry(f.id.as_str()).or_insert(f);
        }
        let fresh: Vec<Option<&DocFreshness>> = docs
            .iter()
            .map(|d| fresh_by_id.get(d.id.as_str()).copied())
            .collect();
        let mut older: Vec<Vec<usize>> = vec![Vec::new(); docs.len()];
        for (i, d) in docs.iter().enumerate() {
            if let Some(&o) = d.supersedes.as_deref().and_then(|s| by_id.get(s)) {
                if o != i {
                    older[i].push(o);
                }
            }
        }
        for (i, f) in fresh.iter().enumerate() {
            if let Some(&n) = f
                .and_then(|f| f.superseded_by.as_deref())
                .and_then(|s| by_id.get(s))
            {
                if n != i {
                    older[n].push(i);
                }
            }
        }
        for nd in &audit.near_duplicates {
            let (Some(&o), Some(&n)) = (by_id.get(nd.older.as_str()), by_id.get(nd.newer.as_str()))
            else {
                continue;
            };
            if o == n {
                continue;
            }
            older[n].push(o);
            if !nd.dated {
                older[o].push(n);
            }
        }
        for v in &mut older {
            v.sort_unstable();
            v.dedup();
        }
        let mut conflicts = FxHashSet::default();
        for c in &audit.conflicts {
            if let (Some(&a), Some(&b)) = (by_id.get(c.doc_a.as_str()), by_id.get(c.doc_b.as_str()))
            {
                conflicts.insert((a.min(b), a.max(b)));
            }
        }
        let char_lens = docs.iter().map(|d| d.text.chars().count()).collect();
        Corpus {
            docs,
            by_id,
            fresh,
            older,
            conflicts,
            char_lens,
            tokens: OnceLock::new(),
            shared_ids: OnceLock::new(),
        }
    }

    /// The documents that may hold `text` exactly or whitespace- and case-normalised (as
    /// [`ragdiag_core::find_quote`] matches), ascending; `None` when `text` has too few words to
    /// narrow the search (then every document may).
    ///
    /// Any such match holds each *interior* word of `text` (a whitespace-delimited token with
    /// whitespace on both sides), lower-cased character by character, as a whole token of the
    /// document. The postings of every token are built once, on the first call, so a question
    /// costs the length of its rarest words' postings rather than a pass over the corpus.
    pub(crate) fn may_hold(&self, text: &str) -> Option<Vec<usize>> {
        let mut buf = String::new();
        let words: Vec<&str> = text
            .split(char::is_whitespace)
            .filter(|w| !w.is_empty())
            .collect();
        if words.len() < 3 {
            return None;
        }
        let index = self
            .tokens
            .get_or_init(|| token_postings(self.docs))
            .as_ref()?;
        let mut lists: Vec<&[u32]> = words[1..words.len() - 1]
            .iter()
            .map(|w| {
                index
                    .get(&token_hash(w, &mut buf))
                    .map_or(&[][..], Vec::as_slice)
            })
            .collect();
        lists.sort_by_key(|l| l.len());
        let mut out: Vec<u32> = lists[0].to_vec();
        for l in lists.iter().skip(1).take(2) {
            out.retain(|d| l.binary_search(d).is_ok());
        }
        Some(out.into_iter().map(|d| d as usize).collect())
    }

    /// The documents.
    #[must_use]
    pub fn documents(&self) -> &'a [Document] {
        self.docs
    }

    /// The index of document `id`.
    #[must_use]
    pub fn index(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    pub(crate) fn doc(&self, i: usize) -> &'a Document {
        &self.docs[i]
    }

    pub(crate) fn id(&self, i: usize) -> &'a str {
        &self.docs[i].id
    }

    /// Document `i`'s id, shared: every call for one document hands out the same text (the
    /// ids are made once, on the first call).
    pub(crate) fn doc_id(&self, i: usize) -> DocId {
        self.shared_ids.get_or_init(|| {
            self.docs
                .iter()
                .map(|d| DocId::from(d.id.as_str()))
                .collect()
        })[i]
            .clone()
    }

    pub(crate) fn char_len(&self, i: usize) -> usize {
        self.char_lens[i]
    }

    /// Present and not deleted.
    pub(crate) fn is_live(&self, i: usize) -> bool {
        !self.docs[i].deleted
    }

    /// Stale per the audit (deleted documents always are).
    pub(crate) fn is_stale(&self, i: usize) -> bool {
        self.docs[i].deleted || self.fresh[i].is_some_and(|f| f.stale == Some(true))
    }

    /// `deleted`, `expired` or `superseded`.
    pub(crate) fn stale_reason(&self, i: usize) -> &'static str {
        if self.docs[i].deleted {
            return "deleted";
        }
        self.fresh[i]
            .and_then(DocFreshness::stale_reason)
            .map_or("stale", |r| r.as_str())
    }

    pub(crate) fn superseded_by(&self, i: usize) -> Option<&'a str> {
        self.fresh[i].and_then(|f| f.superseded_by.as_deref())
    }

    /// Every older version of `i` (not `i` itself), sorted.
    pub(crate) fn older_versions(&self, i: usize) -> Vec<usize> {
        let mut seen = FxHashSet::default();
        let mut todo = vec![i];
        seen.insert(i);
        while let Some(x) = todo.pop() {
            for &o in &self.older[x] {
                if seen.insert(o) {
                    todo.push(o);
                }
            }
        }
        seen.remove(&i);
        let mut out: Vec<usize> = seen.into_iter().collect();
        out.sort_unstable();
        out
    }

    /// `a` and `b` are versions of each other (one is an older version of the other).
    pub(crate) fn are_versions(&self, a: usize, b: usize) -> bool {
        a != b && (self.older_versions(a).contains(&b) || self.older_versions(b).contains(&a))
    }

    /// The audit found conflicting statements between `a` and `b`.
    pub(crate) fn in_conflict(&self, a: usize, b: usize) -> bool {
        self.conflicts.contains(&(a.min(b), a.max(b)))
    }

    /// The text of `i` between code points `start..end` (clamped).
    pub(crate) fn slice(&self, i: usize, start: usize, end: usize) -> &'a str {
        let text = &self.docs[i].text;
        let n = self.char_lens[i];
        let (s, e) = (start.min(n), end.min(n));
        if n == text.len() {
            // ASCII: code points are bytes.
            return &text[s..e.max(s)];
        }
        match char_span_to_bytes(text, s, e) {
            Some((bs, be)) => &text[bs..be],
            None => "",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use ragdiag_core::{find_quote, Timestamp};

    const WORDS: &[&str] = &[
        "Plan",
        "plan",
        "PLAN",
        "ΣΟΦΟΣ",
        "σοφος",
        "costs",
        "$39",
        "a",
        "day",
        "İstanbul",
        "x",
    ];
    const GAPS: &[&str] = &[" ", "  ", "\n", "\t ", "\u{a0}", "-", ""];

    fn text(picks: &[(usize, usize)]) -> String {
        picks
            .iter()
            .map(|&(w, g)| format!("{}{}", WORDS[w % WORDS.len()], GAPS[g % GAPS.len()]))
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]
        /// Every document where `find_quote` matches (exactly or normalised) is a candidate.
        #[test]
        fn candidates_include_every_document_that_matches(
            docs in proptest::collection::vec(
                proptest::collection::vec((0usize..20, 0usize..20), 1..30), 1..6),
            from in 0usize..5, at in 0usize..400, len in 1usize..80, upper in any::<bool>(),
        ) {
            let docs: Vec<Document> = docs
                .iter()
                .enumerate()
                .map(|(i, p)| Document { id: format!("d{i}"), text: text(p), ..Document::default() })
                .collect();
            // A quote cut from one of the documents, sometimes re-cased.
            let src: Vec<char> = docs[from % docs.len()].text.chars().collect();
            let s = at % src.len();
            let quote: String = src[s..(s + len).min(src.len())].iter().collect();
            let quote = if upper { quote.to_uppercase() } else { quote };
            let audit = ragdiag_fresh::audit(
                &docs,
                &ragdiag_fresh::Config::new(Timestamp::parse("2026-01-01").unwrap()),
            );
            let corpus = Corpus::new(&docs, &audit);
            if let Some(candidates) = corpus.may_hold(&quote) {
                for (j, d) in docs.iter().enumerate() {
                    if find_quote(&d.text, &quote).is_some() {
                        prop_assert!(candidates.contains(&j), "{quote:?} is in {:?}", d.text);
                    }
                }
            }
        }
    }
}
