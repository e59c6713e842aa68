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

use crate::minhash::{Bands, MinHasher};
use crate::versions::VersionInfo;
use crate::{Config, Texts};
use ragdiag_core::{stable_hash, Document};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
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
    /// Each document's shingles without boilerplate, sorted and unique (in [`Sets::Batched`],
    /// only of the documents it keeps; the others are empty).
    pub(crate) content: Vec<Vec<u64>>,
    /// The band keys of each document's content set (near-empty documents take no part).
    pub(crate) bands: Bands,
    /// The boilerplate shingles (left out of the content sets) with their unit frequencies.
    pub(crate) boilerplate: FxHashMap<u64, usize>,
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

/// Each document's words counted as [`shingles_of`] reads them (the number of its spans),
/// without making the words.
fn count_words(text: &str) -> usize {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .count()
}

/// `text`'s shingle set (sorted, unique) and its number of words.
fn set_of(text: &str) -> (Vec<u64>, usize) {
    let (mut set, spans) = shingles_of(text);
    set.sort_unstable();
    set.dedup();
    (set, spans.len())
}

/// `text`'s content shingles: its shingle set without `boilerplate`.
pub(crate) fn content_of(text: &str, boilerplate: &FxHashMap<u64, usize>) -> Vec<u64> {
    let (mut set, _) = set_of(text);
    if !boilerplate.is_empty() {
        set.retain(|x| !boilerplate.contains_key(x));
    }
    set
}

/// `f(i, text of i)` for every document, in document order: in parallel over batches of
/// `batch` documents, each batch's texts read (from `texts`) just before it is processed and
/// dropped after, so that no more than one batch of texts is held at a time.
pub(crate) fn per_document<T: Send>(
    n: usize,
    batch: usize,
    texts: &dyn Texts,
    f: impl Fn(usize, &str) -> T + Sync,
) -> Vec<T> {
    let mut out = Vec::with_capacity(n);
    let batch = batch.max(1);
    let mut from = 0;
    while from < n {
        let to = (from + batch).min(n);
        out.par_extend((from..to).into_par_iter().map(|i| f(i, &texts.text(i))));
        from = to;
    }
    out
}

/// How the hygiene pass holds shingle sets.
pub(crate) enum Sets<'a> {
    /// Every document's set, made once and held (the texts are in memory anyway).
    Held,
    /// Made again from the text whenever needed, a batch of `batch` documents at a time; the
    /// content sets of the documents `keep` names are held for the near-duplicate inference.
    Batched {
        /// Documents per batch.
        batch: usize,
        /// Whose content sets to hold.
        keep: &'a [bool],
    },
}

/// The hygiene pass: units, boilerplate, near-empty documents, exact duplicates, and the
/// content shingle sets the near-duplicate inference uses with their band keys.
pub(crate) fn prepare(
    docs: &[Document],
    texts: &dyn Texts,
    versions: &[VersionInfo],
    cfg: &Config,
    hasher: &MinHasher,
    mode: &Sets<'_>,
) -> Prepared {
    let n = docs.len();
    let batch = match mode {
        Sets::Held => n,
        Sets::Batched { batch, .. } => *batch,
    };
    // Each document's shingle set (held) and word count, and its normalised text hash.
    let (held, word_counts, text_hash): (Option<Vec<Vec<u64>>>, Vec<usize>, Vec<u64>) = match mode {
        Sets::Held => {
            let (sets, word_counts): (Vec<Vec<u64>>, Vec<usize>) =
                per_document(n, batch, texts, |_, t| set_of(t))
                    .into_iter()
                    .unzip();
            let text_hash = per_document(n, batch, texts, |_, t| normalised_text_hash(t));
            (Some(sets), word_counts, text_hash)
        }
        Sets::Batched { .. } => {
            let (word_counts, text_hash) = per_document(n, batch, texts, |_, t| {
                (count_words(t), normalised_text_hash(t))
            })
            .into_iter()
            .unzip();
            (None, word_counts, text_hash)
        }
    };

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

    // A unit's shingle set: its one member's, or the union of its members'.
    let unit_set = |m: &[usize]| -> std::borrow::Cow<'_, [u64]> {
        match &held {
            Some(sets) if m.len() == 1 => std::borrow::Cow::Borrowed(sets[m[0]].as_slice()),
            Some(sets) => {
                let mut all: Vec<u64> = m.iter().flat_map(|&i| sets[i].iter().copied()).collect();
                all.sort_unstable();
                all.dedup();
                std::borrow::Cow::Owned(all)
            }
            None => {
                let mut all: Vec<u64> = Vec::new();
                for &i in m {
                    all.extend(set_of(&texts.text(i)).0);
                }
                if m.len() > 1 {
                    all.sort_unstable();
                    all.dedup();
                }
                std::borrow::Cow::Owned(all)
            }
        }
    };
    // Each unit's set in parallel, a batch of units at a time.
    let for_units = |f: &(dyn Fn(&[u64]) + Sync)| {
        for chunk in units.chunks(batch.max(1)) {
            chunk.par_iter().for_each(|m| f(&unit_set(m)));
        }
    };

    // Document frequencies in units: sketch, then exact counts for what passes it. The sketch
    // is only a filter (it never underestimates, and what passes is counted exactly), so its
    // width, from the number of shingles or a bound on it, changes no count.
    let total: usize = match &held {
        Some(_) => units.par_iter().map(|m| unit_set(m).len()).sum(),
        // A document has no more distinct shingles than words.
        None => word_counts.iter().sum(),
    };
    // Boilerplate shingles with their document frequency in units.
    let mut boilerplate: FxHashMap<u64, usize> = FxHashMap::default();
    if unit_count >= cut {
        let sketch = Sketch::new(total);
        for_units(&|s| s.iter().for_each(|&x| sketch.add(x)));
        let limit = u32::try_from(cut).unwrap_or(u32::MAX);
        // Exact counts of every shingle that passes the sketch (counted once per unit).
        let counts = std::sync::Mutex::new(FxHashMap::<u64, usize>::default());
        for_units(&|s| {
            let passed: Vec<u64> = s
                .iter()
                .copied()
                .filter(|&x| sketch.estimate(x) >= limit)
                .collect();
            if !passed.is_empty() {
                let mut c = counts
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                for x in passed {
                    *c.entry(x).or_default() += 1;
                }
            }
        });
        drop(sketch);
        boilerplate = counts
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .into_iter()
            .filter(|&(_, c)| c >= cut)
            .collect();
    }

    // Per document: own words, boilerplate passages, content shingles and their band keys.
    let passages_of = |text: &str, word_count: usize, set: &[u64]| -> DocWords {
        if !set.iter().any(|x| boilerplate.contains_key(x)) {
            return (word_count, word_count, Vec::new());
        }
        let (sh, spans) = shingles_of(text);
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
                let text = text[spans[start].0..spans[end_word - 1].1].to_string();
                runs.push((key, text));
            }
        }
        runs.sort_by_key(|r| r.0);
        runs.dedup_by_key(|r| r.0);
        let own = covered.iter().filter(|c| !**c).count();
        (spans.len(), own, runs)
    };
    let without_boilerplate = |s: Vec<u64>| -> Vec<u64> {
        if boilerplate.is_empty() {
            s
        } else {
            s.into_iter()
                .filter(|x| !boilerplate.contains_key(x))
                .collect()
        }
    };
    type BandKeys = Vec<Option<Box<[u64]>>>;
    let (per_doc, content, keys): (Vec<DocWords>, Vec<Vec<u64>>, BandKeys) =
        if let Some(sets) = held {
            let per_doc: Vec<DocWords> = per_document(n, batch, texts, |i, t| {
                passages_of(t, word_counts[i], &sets[i])
            });
            let content: Vec<Vec<u64>> = sets.into_par_iter().map(without_boilerplate).collect();
            let keys = content
                .par_iter()
                .enumerate()
                .map(|(i, c)| {
                    (per_doc[i].1 >= cfg.near_empty_words)
                        .then(|| hasher.band_keys(c))
                        .flatten()
                })
                .collect();
            (per_doc, content, keys)
        } else {
            let keep: &[bool] = match mode {
                Sets::Batched { keep, .. } => keep,
                Sets::Held => &[],
            };
            let mut per_doc = Vec::with_capacity(n);
            let mut content = Vec::with_capacity(n);
            let mut keys = Vec::with_capacity(n);
            for (p, c, k) in per_document(n, batch, texts, |i, t| {
                let (set, words) = set_of(t);
                let p = passages_of(t, words, &set);
                let c = without_boilerplate(set);
                let k = (p.1 >= cfg.near_empty_words)
                    .then(|| hasher.band_keys(&c))
                    .flatten();
                let kept = if keep.get(i).copied().unwrap_or(false) {
                    c
                } else {
                    Vec::new()
                };
                (p, kept, k)
            }) {
                per_doc.push(p);
                content.push(c);
                keys.push(k);
            }
            (per_doc, content, keys)
        };
    let near_empty: Vec<bool> = per_doc
        .iter()
        .map(|(_, own, _)| *own < cfg.near_empty_words)
        .collect();
    let bands = hasher.collect_bands(keys);

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
        bands,
        boilerplate,
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
