//! Corpus hygiene, apart from staleness: empty or near-empty documents (failed extraction),
//! exact duplicates under different ids, and boilerplate (passages shared by many documents).
//!
//! **Units.** Boilerplate is counted in *units*, not documents: exact copies of one text, and
//! the versions of one page (documents with different versions and the same version-free path
//! stem, [`crate::versions`]), count once, so that a page carried by eleven versions of a
//! documentation set is not its own boilerplate, and fifty copies of one page are not either.
//!
//! **Boilerplate shingles.** A word 3-shingle is boilerplate when at least
//! `max(boilerplate_min_docs, ⌈boilerplate_share × units⌉)` units hold it. Document frequencies
//! are estimated in bounded memory (at most 64 MB) with a count-min sketch, and counted exactly for the
//! shingles the sketch lets through (the sketch only overestimates). Boilerplate shingles are
//! left out of the near-duplicate sets; a *passage* is a run of at least
//! [`BOILERPLATE_MIN_RUN_WORDS`] words covered by consecutive boilerplate shingles held by the
//! same number of units (an advertisement block followed by a footer is two passages; a gap of
//! up to three shingles held by more units, a common phrase inside the block, does not cut it),
//! reported with how many documents hold it.
//!
//! **Near-empty.** A document whose own words (words not covered by a boilerplate shingle)
//! number fewer than `near_empty_words` is near-empty: a failed extraction, a stub, or a page of
//! boilerplate only. It takes no part in near-duplicate inference.
//!
//! **Exact duplicates.** Documents whose texts are equal once whitespace runs are collapsed and
//! the ends trimmed, with the same version (or none), are duplicates: a hygiene finding, never
//! supersession. Equal texts with different versions are versions of one page.

use crate::versions::VersionInfo;
use crate::Config;
use ragdiag_core::{stable_hash, Document};
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};
use std::sync::atomic::{AtomicU32, Ordering};

/// The shortest boilerplate passage reported, in words (six consecutive shingles).
pub const BOILERPLATE_MIN_RUN_WORDS: usize = 8;

/// A passage goes on across at most this many shingles held by more units than it.
const MAX_GAP: usize = 3;

/// At most this many passages are kept, most widespread first.
const MAX_PASSAGES: usize = 50;

/// The hygiene findings of a corpus.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Hygiene {
    /// Documents with fewer own words than the threshold, in input order.
    pub near_empty: Vec<NearEmpty>,
    /// Groups of documents with identical text (same version or none), each sorted by id; the
    /// groups sorted by their first id.
    pub duplicate_groups: Vec<Vec<String>>,
    /// Boilerplate passages, most widespread first (at most 50).
    pub boilerplate: Vec<BoilerplatePassage>,
    /// Passages found in all (the list keeps the first 50).
    pub boilerplate_passages_total: usize,
    /// Units counted (exact copies and versions of one page count once).
    pub units: usize,
    /// The document frequency (in units) at which a shingle is boilerplate.
    pub boilerplate_cut: usize,
    /// Distinct boilerplate shingles.
    pub boilerplate_shingles: usize,
    /// The near-empty threshold, in own words.
    pub near_empty_words: usize,
    /// Each input document's own words (not covered by boilerplate), in input order.
    pub own_words: Vec<usize>,
}

/// A document with (almost) no text of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NearEmpty {
    /// Document id.
    pub id: String,
    /// Its words.
    pub words: usize,
    /// Its words not covered by boilerplate.
    pub own_words: usize,
}

impl NearEmpty {
    /// `empty`, `boilerplate only` or `near-empty`.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        if self.words == 0 {
            "empty"
        } else if self.own_words == 0 {
            "boilerplate only"
        } else {
            "near-empty"
        }
    }
}

/// A passage shared by many documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoilerplatePassage {
    /// The passage as it appears in the example document.
    pub text: String,
    /// Documents holding it.
    pub documents: usize,
    /// One of them (the first in input order).
    pub example: String,
}

/// What the rest of the audit needs from the hygiene pass.
pub(crate) struct Prepared {
    /// Each document's shingles without boilerplate, sorted and unique.
    pub(crate) content: Vec<Vec<u64>>,
    /// The hash of each document's whitespace-normalised text.
    pub(crate) text_hash: Vec<u64>,
    /// Near-empty documents take no part in near-duplicate inference.
    pub(crate) near_empty: Vec<bool>,
    /// The findings.
    pub(crate) hygiene: Hygiene,
}

/// A document's words, own words, and boilerplate passages (key, text).
type DocWords = (usize, usize, Vec<(u64, String)>);

/// The hash of `text` with whitespace runs collapsed and the ends trimmed.
fn normalised_text_hash(text: &str) -> u64 {
    let norm: Vec<&str> = text.split_whitespace().collect();
    stable_hash(&norm)
}

/// Words with their byte spans, lower-cased as [`ragdiag_core::words`] makes them (the
/// reference [`shingles_of`] is tested against).
#[cfg(test)]
fn word_spans(text: &str) -> (Vec<String>, Vec<(usize, usize)>) {
    let (mut words, mut spans) = (Vec::new(), Vec::new());
    let mut start = None;
    for (i, c) in text.char_indices() {
        if c.is_alphanumeric() {
            start.get_or_insert(i);
        } else if let Some(s) = start.take() {
            words.push(text[s..i].to_lowercase());
            spans.push((s, i));
        }
    }
    if let Some(s) = start {
        words.push(text[s..].to_lowercase());
        spans.push((s, text.len()));
    }
    (words, spans)
}

/// The shingle hashes of `words` in order (one shingle for one or two words), as
/// [`ragdiag_core::word_shingles`] hashes them.
#[cfg(test)]
fn ordered_shingles(w: &[String]) -> Vec<u64> {
    match w.len() {
        0 => Vec::new(),
        1 | 2 => vec![stable_hash(w)],
        _ => w.windows(3).map(stable_hash).collect(),
    }
}

/// The shingle hashes of `text`'s words in order and the words' byte spans: what
/// `ordered_shingles(&ragdiag_core::words(text))` and `word_spans` give, without a `String` per word (the words
/// are lower-cased into one buffer, and a slice of `&str` hashes as a slice of `String`s does).
/// This is the first reading of every document, so its allocations were most of the audit's.
fn shingles_of(text: &str) -> (Vec<u64>, Vec<(usize, usize)>) {
    let mut buf = String::with_capacity(text.len());
    // Each word's span in `buf` and in `text`.
    let mut lower: Vec<(usize, usize)> = Vec::new();
    let mut spans: Vec<(usize, usize)> = Vec::new();
    for w in text.split(|c: char| !c.is_alphanumeric()) {
        if w.is_empty() {
            continue;
        }
        let start = buf.len();
        if w.is_ascii() {
            buf.push_str(w);
            buf[start..].make_ascii_lowercase();
        } else {
            buf.push_str(&w.to_lowercase());
        }
        lower.push((start, buf.len()));
        // `w` is a slice of `text`: its offset is the distance between their starts.
        let at = w.as_ptr() as usize - text.as_ptr() as usize;
        spans.push((at, at + w.len()));
    }
    let word = |k: usize| &buf[lower[k].0..lower[k].1];
    let shingles = match lower.len() {
        0 => Vec::new(),
        n @ (1 | 2) => {
            let w: Vec<&str> = (0..n).map(word).collect();
            vec![stable_hash(&w[..])]
        }
        n => (0..n - 2)
            .map(|k| stable_hash(&[word(k), word(k + 1), word(k + 2)][..]))
            .collect(),
    };
    (shingles, spans)
}

/// Union–find over document indexes.
pub(crate) struct Dsu(Vec<usize>);

impl Dsu {
    pub(crate) fn new(n: usize) -> Self {
        Dsu((0..n).collect())
    }
    pub(crate) fn find(&mut self, x: usize) -> usize {
        let mut r = x;
        while self.0[r] != r {
            r = self.0[r];
        }
        let mut c = x;
        while self.0[c] != r {
            let n = self.0[c];
            self.0[c] = r;
            c = n;
        }
        r
    }
    pub(crate) fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            self.0[ra.max(rb)] = ra.min(rb);
        }
    }
}

/// A count-min sketch of document frequencies (atomic counters, so units are counted in
/// parallel and the result does not depend on the thread count).
struct Sketch {
    rows: Vec<Vec<AtomicU32>>,
    mask: u64,
}

impl Sketch {
    /// Two rows: the estimate is only a filter (what passes is counted exactly), and every row
    /// is a cache miss per shingle.
    const SEEDS: [u64; 2] = [0x9E37_79B9_7F4A_7C15, 0xC2B2_AE3D_27D4_EB4F];

    fn new(items: usize) -> Self {
        let width = (items.saturating_mul(2))
            .next_power_of_two()
            .clamp(1 << 10, 1 << 23);
        Sketch {
            rows: (0..Self::SEEDS.len())
                .map(|_| (0..width).map(|_| AtomicU32::new(0)).collect())
                .collect(),
            mask: width as u64 - 1,
        }
    }

    fn slot(&self, row: usize, x: u64) -> usize {
        let h = (x ^ Self::SEEDS[row]).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        ((h ^ (h >> 31)) & self.mask) as usize
    }

    fn add(&self, x: u64) {
        for (r, row) in self.rows.iter().enumerate() {
            row[self.slot(r, x)].fetch_add(1, Ordering::Relaxed);
        }
    }

    fn estimate(&self, x: u64) -> u32 {
        self.rows
            .iter()
            .enumerate()
            .map(|(r, row)| row[self.slot(r, x)].load(Ordering::Relaxed))
            .min()
            .unwrap_or(0)
    }
}

/// The hygiene pass: units, boilerplate, near-empty documents, exact duplicates, and the
/// content shingle sets the near-duplicate inference uses.
pub(crate) fn prepare(docs: &[Document], versions: &[VersionInfo], cfg: &Config) -> Prepared {
    let n = docs.len();
    // Each document's shingle set and word count, from one reading of its words.
    let (sets, word_counts): (Vec<Vec<u64>>, Vec<usize>) = docs
        .par_iter()
        .map(|d| {
            let (mut set, spans) = shingles_of(&d.text);
            set.sort_unstable();
            set.dedup();
            (set, spans.len())
        })
        .unzip();
    let text_hash: Vec<u64> = docs
        .par_iter()
        .map(|d| normalised_text_hash(&d.text))
        .collect();

    // Units: exact copies, and versions of one page.
    let mut dsu = Dsu::new(n);
    let mut first_by_text: FxHashMap<u64, usize> = FxHashMap::default();
    let mut first_by_page: FxHashMap<&str, usize> = FxHashMap::default();
    for i in 0..n {
        let f = *first_by_text.entry(text_hash[i]).or_insert(i);
        dsu.union(f, i);
        if let (Some(_), Some(stem)) = (&versions[i].version, &versions[i].stem) {
            let f = *first_by_page.entry(stem.as_str()).or_insert(i);
            dsu.union(f, i);
        }
    }
    let mut members: FxHashMap<usize, Vec<usize>> = FxHashMap::default();
    for i in 0..n {
        let r = dsu.find(i);
        members.entry(r).or_default().push(i);
    }
    let mut units: Vec<Vec<usize>> = members.into_values().collect();
    units.sort_unstable();
    let unit_count = units.len();
    let cut = cfg
        .boilerplate_min_docs
        .max((cfg.boilerplate_share * unit_count as f64).ceil() as usize)
        .max(2);

    // Document frequencies in units: sketch, then exact counts for what passes it.
    let unit_sets: Vec<std::borrow::Cow<'_, [u64]>> = units
        .par_iter()
        .map(|m| {
            if m.len() == 1 {
                std::borrow::Cow::Borrowed(sets[m[0]].as_slice())
            } else {
                let mut all: Vec<u64> = m.iter().flat_map(|&i| sets[i].iter().copied()).collect();
                all.sort_unstable();
                all.dedup();
                std::borrow::Cow::Owned(all)
            }
        })
        .collect();
    let total: usize = unit_sets.iter().map(|s| s.len()).sum();
    // Boilerplate shingles with their document frequency in units.
    let mut boilerplate: FxHashMap<u64, usize> = FxHashMap::default();
    if unit_count >= cut {
        let sketch = Sketch::new(total);
        unit_sets
            .par_iter()
            .for_each(|s| s.iter().for_each(|&x| sketch.add(x)));
        let limit = u32::try_from(cut).unwrap_or(u32::MAX);
        let candidates: FxHashSet<u64> = unit_sets
            .par_iter()
            .flat_map_iter(|s| {
                s.iter()
                    .copied()
                    .filter(|&x| sketch.estimate(x) >= limit)
                    .collect::<Vec<_>>()
            })
            .collect();
        drop(sketch);
        let mut counts: FxHashMap<u64, usize> = FxHashMap::default();
        for s in &unit_sets {
            for x in s.iter().filter(|x| candidates.contains(x)) {
                *counts.entry(*x).or_default() += 1;
            }
        }
        boilerplate = counts.into_iter().filter(|&(_, c)| c >= cut).collect();
    }
    drop(unit_sets);

    // Per document: own words, boilerplate passages, content shingles.
    let per_doc: Vec<DocWords> = docs
        .par_iter()
        .enumerate()
        .map(|(i, d)| {
            if !sets[i].iter().any(|x| boilerplate.contains_key(x)) {
                return (word_counts[i], word_counts[i], Vec::new());
            }
            let (sh, spans) = shingles_of(&d.text);
            let mut covered = vec![false; spans.len()];
            let mut runs = Vec::new();
            let mut k = 0;
            while k < sh.len() {
                let Some(&df) = boilerplate.get(&sh[k]) else {
                    k += 1;
                    continue;
                };
                // A passage: consecutive boilerplate shingles held by the same number of units
                // (so that an advertisement block followed by a footer is two passages), across
                // gaps of up to three shingles held by more units (a common phrase inside it).
                let start = k;
                let mut end = k;
                while k < sh.len() {
                    match boilerplate.get(&sh[k]) {
                        Some(&x) if x == df => {
                            k += 1;
                            end = k;
                        }
                        Some(&x) if x > df && k - end < MAX_GAP => k += 1,
                        _ => break,
                    }
                }
                k = end;
                // Shingles start..end cover words start..end+2 (all words of a short text).
                let end_word = (end + 2).min(spans.len());
                for c in &mut covered[start..end_word] {
                    *c = true;
                }
                if end_word - start >= BOILERPLATE_MIN_RUN_WORDS {
                    let key = stable_hash(&sh[start..end]);
                    let text = d.text[spans[start].0..spans[end_word - 1].1].to_string();
                    runs.push((key, text));
                }
            }
            runs.sort_by_key(|r| r.0);
            runs.dedup_by_key(|r| r.0);
            let own = covered.iter().filter(|c| !**c).count();
            (spans.len(), own, runs)
        })
        .collect();
    let near_empty: Vec<bool> = per_doc
        .iter()
        .map(|(_, own, _)| *own < cfg.near_empty_words)
        .collect();
    let content: Vec<Vec<u64>> = if boilerplate.is_empty() {
        sets
    } else {
        sets.into_par_iter()
            .map(|s| {
                s.into_iter()
                    .filter(|x| !boilerplate.contains_key(x))
                    .collect()
            })
            .collect()
    };

    let mut passages: FxHashMap<u64, (usize, usize, String)> = FxHashMap::default();
    for (i, (_, _, runs)) in per_doc.iter().enumerate() {
        for (key, text) in runs {
            passages
                .entry(*key)
                .and_modify(|e| e.0 += 1)
                .or_insert_with(|| (1, i, text.clone()));
        }
    }
    let mut passages: Vec<BoilerplatePassage> = passages
        .into_values()
        .filter(|(count, _, _)| *count >= cut)
        .map(|(documents, i, text)| BoilerplatePassage {
            text,
            documents,
            example: docs[i].id.clone(),
        })
        .collect();
    passages.sort_by(|a, b| {
        b.documents
            .cmp(&a.documents)
            .then_with(|| b.text.len().cmp(&a.text.len()))
            .then_with(|| a.example.cmp(&b.example))
            .then_with(|| a.text.cmp(&b.text))
    });
    let passages_total = passages.len();
    passages.truncate(MAX_PASSAGES);

    // Exact duplicates: equal normalised text, same version (or none), words present.
    let mut groups: FxHashMap<(u64, Option<&str>), Vec<usize>> = FxHashMap::default();
    for i in 0..n {
        if per_doc[i].0 > 0 {
            groups
                .entry((text_hash[i], versions[i].version.as_deref()))
                .or_default()
                .push(i);
        }
    }
    let mut duplicate_groups: Vec<Vec<String>> = groups
        .into_values()
        .filter(|g| g.len() > 1)
        .map(|g| {
            let mut ids: Vec<String> = g.iter().map(|&i| docs[i].id.clone()).collect();
            ids.sort();
            ids
        })
        .collect();
    duplicate_groups.sort();

    let hygiene = Hygiene {
        near_empty: per_doc
            .iter()
            .enumerate()
            .filter(|(i, _)| near_empty[*i])
            .map(|(i, (words, own, _))| NearEmpty {
                id: docs[i].id.clone(),
                words: *words,
                own_words: *own,
            })
            .collect(),
        duplicate_groups,
        boilerplate: passages,
        boilerplate_passages_total: passages_total,
        units: unit_count,
        boilerplate_cut: cut,
        boilerplate_shingles: boilerplate.len(),
        near_empty_words: cfg.near_empty_words,
        own_words: per_doc.iter().map(|p| p.1).collect(),
    };
    Prepared {
        content,
        text_hash,
        near_empty,
        hygiene,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_spans_match_core_words() {
        let t = "Café-Ünïcode, 30 DAYS!\n(v2)";
        let (w, spans) = word_spans(t);
        assert_eq!(w, ragdiag_core::words(t));
        assert_eq!(&t[spans[0].0..spans[0].1], "Café");
        let mut o = ordered_shingles(&w);
        o.sort_unstable();
        o.dedup();
        assert_eq!(o, ragdiag_core::word_shingles(t));
        assert_eq!(
            ordered_shingles(&word_spans("Hello, World").0),
            ragdiag_core::word_shingles("Hello, World")
        );
        for t in [
            "",
            "one",
            "Two words",
            "ΣΊΣΥΦΟΣ and ΟΔΟΣ: final sigma, İstanbul, straße; 30 DAYS!\n(v2) three more words",
            "Café-Ünïcode, 30 DAYS!\n(v2)",
        ] {
            let w = ragdiag_core::words(t);
            assert_eq!(
                shingles_of(t),
                (ordered_shingles(&w), word_spans(t).1),
                "{t:?}"
            );
        }
    }

    #[test]
    fn the_sketch_never_underestimates() {
        let s = Sketch::new(100);
        for x in 0..5000u64 {
            for _ in 0..(x % 7) {
                s.add(stable_hash(&x));
            }
        }
        for x in 0..5000u64 {
            assert!(s.estimate(stable_hash(&x)) >= (x % 7) as u32);
        }
    }
}
