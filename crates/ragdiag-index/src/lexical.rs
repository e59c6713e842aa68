//! BM25 over tantivy: index building and a lenient, deterministic search.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tantivy::fieldnorm::FieldNormReader;
use tantivy::postings::TermInfo;
use tantivy::query::{BooleanQuery, BoostQuery, EnableScoring, Occur, Query, TermQuery};
use tantivy::schema::{
    Field, FieldType, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{TextAnalyzer, TokenStream};
use tantivy::{
    Index, IndexReader, IndexWriter, InvertedIndexReader, ReloadPolicy, Searcher, TantivyDocument,
    TantivyError, Term,
};

use crate::analysis::{analyzer, indexing_analyzer, ANALYZER_NAME};
use crate::topk::TopK;
use crate::Error;

/// The indexing heap of each tantivy indexing thread. Past it, tantivy flushes a segment; the
/// segments are merged into one at the end, so this only bounds memory.
const WRITER_HEAP_BYTES: usize = 256 << 20;

/// tantivy indexing threads used at most.
const MAX_WRITER_THREADS: usize = 8;

/// Field names of the schema; part of the on-disk format.
const KEY_FIELD: &str = "key";
const TITLE_FIELD: &str = "title";
const TEXT_FIELD: &str = "text";

/// A BM25 index (tantivy, k1 = 1.2, b = 0.75) over items that have a `u32` key, a title and a
/// text.
///
/// Queries are matched against both fields; a document's score is the sum of its BM25 scores in
/// the title and in the text. Each field has its own length statistics.
///
/// The index ends up as a single tantivy segment. Segments of up to 262,144 documents are
/// scored term at a time into a dense accumulator (fastest on small corpora: all of SciFact's
/// matching documents are scored), larger ones with tantivy's block-max WAND. Search results
/// are sorted by score descending, then key ascending, and the top `k` respects that order
/// even across ties; the same items give the same results on every run.
pub struct LexicalIndex {
    searcher: Searcher,
    // Kept so that the searcher's segments stay registered with the index for its lifetime.
    _reader: IndexReader,
    title: Field,
    text: Field,
    analyzer: TextAnalyzer,
    /// `keys[segment_ord][doc_id]` is the item's key.
    keys: Vec<Vec<u32>>,
    /// Per segment, per field (title, text): postings and field norms, for term-at-a-time
    /// scoring.
    segments: Vec<[SegmentField; 2]>,
    /// Per field: BM25's length normalisation `k1 * (1 - b + b * len / avg_len)` for each of
    /// tantivy's 256 field-norm codes.
    tf_norm: [Box<[f32; 256]>; 2],
    num_docs: u64,
}

/// What term-at-a-time scoring needs of one field of one segment.
struct SegmentField {
    postings: Arc<InvertedIndexReader>,
    norms: FieldNormReader,
}

/// tantivy's BM25 constants (fixed in tantivy; see `tantivy::query::Bm25Weight`).
const K1: f32 = 1.2;
const B: f32 = 0.75;

/// Segments with at most this many documents are scored term at a time into a dense
/// accumulator; larger ones use tantivy's block-max WAND, which skips what cannot make the top
/// `k`. Both give the same ranking (scores may differ in the last bit: the sums run in a
/// different order).
const TAAT_MAX_DOCS: u32 = 1 << 18;

/// tantivy's BM25 idf: `ln(1 + (N - n + 0.5) / (n + 0.5))`, in the same `f32` steps.
#[allow(clippy::cast_precision_loss)] // Document counts; tantivy computes in f32 too.
fn idf(doc_freq: u64, num_docs: u64) -> f32 {
    let x = ((num_docs - doc_freq) as f32 + 0.5) / (doc_freq as f32 + 0.5);
    (1.0 + x).ln()
}

impl std::fmt::Debug for LexicalIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LexicalIndex")
            .field("num_docs", &self.num_docs)
            .field("segments", &self.keys.len())
            .finish_non_exhaustive()
    }
}

fn schema() -> (Schema, Field, Field, Field) {
    let mut builder = Schema::builder();
    let key = builder.add_u64_field(KEY_FIELD, NumericOptions::default().set_fast());
    let indexing = TextFieldIndexing::default()
        .set_tokenizer(ANALYZER_NAME)
        .set_index_option(IndexRecordOption::WithFreqs)
        .set_fieldnorms(true);
    let text_options = TextOptions::default().set_indexing_options(indexing);
    let title = builder.add_text_field(TITLE_FIELD, text_options.clone());
    let text = builder.add_text_field(TEXT_FIELD, text_options);
    (builder.build(), key, title, text)
}

impl LexicalIndex {
    /// Builds an index in `dir` (created if missing; it must not already hold an index) from
    /// `(key, title, text)` items, and opens it.
    ///
    /// `threads` is the number of tantivy indexing threads (0: one per CPU; at most 8). With
    /// more than one, tantivy writes one segment per thread and they are merged into one at
    /// the end; on two cores that merge costs more than the second thread saves (SciFact:
    /// 0.48 s with one thread, 0.7 s with two), so one is the better choice on small machines.
    /// Results do not depend on `threads`: every score is computed from corpus-wide statistics
    /// and summed in a fixed order (past 262,144 documents, where block-max WAND sums in its own
    /// order, scores may differ in the last bit).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] on a duplicate key; [`Error::Io`] or [`Error::Tantivy`] when
    /// writing fails.
    pub fn build<I, T, X>(dir: &Path, items: I, threads: usize) -> crate::Result<Self>
    where
        I: IntoIterator<Item = (u32, T, X)>,
        T: AsRef<str>,
        X: AsRef<str>,
    {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let (schema, key, title, text) = schema();
        let index = Index::create_in_dir(dir, schema)?;
        index
            .tokenizers()
            .register(ANALYZER_NAME, indexing_analyzer());
        let threads = if threads == 0 {
            std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
        } else {
            threads
        }
        .min(MAX_WRITER_THREADS);
        let mut writer: IndexWriter<TantivyDocument> =
            index.writer_with_num_threads(threads, WRITER_HEAP_BYTES * threads)?;
        writer.set_merge_policy(Box::new(tantivy::indexer::NoMergePolicy));

        let mut seen = Vec::new();
        for (k, t, x) in items {
            seen.push(k);
            let mut doc = TantivyDocument::default();
            doc.add_u64(key, u64::from(k));
            doc.add_text(title, t.as_ref());
            doc.add_text(text, x.as_ref());
            writer.add_document(doc)?;
        }
        seen.sort_unstable();
        if let Some(w) = seen.windows(2).find(|w| w[0] == w[1]) {
            return Err(Error::InvalidInput(format!(
                "key {} appears more than once in the lexical index",
                w[0]
            )));
        }
        drop(seen);
        writer.commit()?;
        let segments = index.searchable_segment_ids()?;
        if segments.len() > 1 {
            writer.merge(&segments).wait()?;
        }
        writer.wait_merging_threads()?;
        Self::from_index(&index, dir)
    }

    /// Opens an index built by [`LexicalIndex::build`].
    ///
    /// # Errors
    ///
    /// [`Error::Corrupt`] when `dir` holds no readable index of this crate's schema (missing or
    /// damaged files included).
    pub fn open(dir: &Path) -> crate::Result<Self> {
        let index = Index::open_in_dir(dir).map_err(|e| corrupt(dir, &e))?;
        index.tokenizers().register(ANALYZER_NAME, analyzer());
        Self::from_index(&index, dir)
    }

    fn from_index(index: &Index, dir: &Path) -> crate::Result<Self> {
        let schema = index.schema();
        let field = |name: &str, want_text: bool| -> crate::Result<Field> {
            let f = schema.get_field(name).map_err(|_| {
                Error::corrupt(
                    dir,
                    format!("not a ragdiag lexical index: no `{name}` field"),
                )
            })?;
            let ok = match schema.get_field_entry(f).field_type() {
                FieldType::Str(options) => {
                    want_text
                        && options
                            .get_indexing_options()
                            .is_some_and(|o| o.tokenizer() == ANALYZER_NAME)
                }
                FieldType::U64(options) => !want_text && options.is_fast(),
                _ => false,
            };
            if ok {
                Ok(f)
            } else {
                Err(Error::corrupt(
                    dir,
                    format!("not a ragdiag lexical index: field `{name}` has the wrong type"),
                ))
            }
        };
        field(KEY_FIELD, false)?;
        let title = field(TITLE_FIELD, true)?;
        let text = field(TEXT_FIELD, true)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(|e| corrupt(dir, &e))?;
        let searcher = reader.searcher();
        let mut keys = Vec::with_capacity(searcher.segment_readers().len());
        for segment in searcher.segment_readers() {
            let column = segment
                .fast_fields()
                .u64(KEY_FIELD)
                .map_err(|e| corrupt(dir, &e))?;
            let mut seg_keys = Vec::with_capacity(segment.max_doc() as usize);
            for doc in 0..segment.max_doc() {
                let key = column.first(doc).ok_or_else(|| {
                    Error::corrupt(dir, format!("document {doc} of a segment has no key"))
                })?;
                let key = u32::try_from(key)
                    .map_err(|_| Error::corrupt(dir, format!("key {key} is not a u32")))?;
                seg_keys.push(key);
            }
            keys.push(seg_keys);
        }
        let num_docs = searcher.num_docs();
        let mut segments = Vec::with_capacity(keys.len());
        let mut tokens = [0u64; 2];
        for segment in searcher.segment_readers() {
            let field =
                |f: Field, i: usize, tokens: &mut [u64; 2]| -> crate::Result<SegmentField> {
                    let postings = segment.inverted_index(f).map_err(|e| corrupt(dir, &e))?;
                    tokens[i] += postings.total_num_tokens();
                    let norms = segment
                        .get_fieldnorms_reader(f)
                        .map_err(|e| corrupt(dir, &e))?;
                    Ok(SegmentField { postings, norms })
                };
            segments.push([field(title, 0, &mut tokens)?, field(text, 1, &mut tokens)?]);
        }
        #[allow(clippy::cast_precision_loss)] // As tantivy: f32 averages of token counts.
        let tf_norm = tokens.map(|t| {
            let avg = if num_docs == 0 {
                1.0
            } else {
                t as f32 / num_docs as f32
            };
            let mut table = Box::new([0f32; 256]);
            for (id, slot) in (0u8..=255).zip(table.iter_mut()) {
                let len = FieldNormReader::id_to_fieldnorm(id) as f32;
                *slot = K1 * (1.0 - B + B * len / avg);
            }
            table
        });
        Ok(LexicalIndex {
            num_docs,
            searcher,
            _reader: reader,
            title,
            text,
            analyzer: analyzer(),
            keys,
            segments,
            tf_norm,
        })
    }

    /// Number of indexed items.
    #[must_use]
    pub fn len(&self) -> usize {
        usize::try_from(self.num_docs).unwrap_or(usize::MAX)
    }

    /// Every key, ascending.
    pub(crate) fn sorted_keys(&self) -> Vec<u32> {
        let mut keys: Vec<u32> = self.keys.iter().flatten().copied().collect();
        keys.sort_unstable();
        keys
    }

    /// Whether the index holds no item.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.num_docs == 0
    }

    /// The `k` best items for `query` as `(key, BM25 score)`, score descending then key
    /// ascending; only items that share at least one term with the query are returned.
    ///
    /// The query is not parsed: it is analyzed like the documents, so any string is accepted
    /// (`?`, quotes, colons and `AND`/`OR` are plain text; `and`, `or`, `not` are stop words or
    /// ordinary terms). A term repeated in the query counts as many times as it appears. An
    /// empty query, or one made only of stop words and punctuation, matches nothing.
    ///
    /// # Errors
    ///
    /// [`Error::Tantivy`] when reading the index fails (an I/O error on a memory-mapped file).
    pub fn search(&self, query: &str, k: usize) -> crate::Result<Vec<(u32, f32)>> {
        if k == 0 || self.num_docs == 0 {
            return Ok(Vec::new());
        }
        let terms = self.query_terms(query);
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        let mut top = TopK::new(k);
        let mut wand = None;
        for (ord, segment) in self.searcher.segment_readers().iter().enumerate() {
            if segment.max_doc() <= TAAT_MAX_DOCS {
                self.score_term_at_a_time(ord, &terms, &mut top)?;
            } else {
                if wand.is_none() {
                    let query = self.build_query(&terms);
                    wand =
                        Some(query.weight(EnableScoring::enabled_from_searcher(&self.searcher))?);
                }
                let weight = wand.as_ref().expect("set above");
                let keys = &self.keys[ord];
                let threshold = top.threshold();
                weight.for_each_pruning(threshold, segment, &mut |doc, score| {
                    top.push(score, keys[doc as usize]);
                    top.threshold()
                })?;
            }
        }
        Ok(top.into_sorted())
    }

    /// The query's distinct terms with their counts, sorted.
    fn query_terms(&self, query: &str) -> Vec<(String, u32)> {
        let mut analyzer = self.analyzer.clone();
        let mut stream = analyzer.token_stream(query);
        let mut terms: Vec<String> = Vec::new();
        while stream.advance() {
            terms.push(stream.token().text.clone());
        }
        terms.sort_unstable();
        let mut out: Vec<(String, u32)> = Vec::with_capacity(terms.len());
        for t in terms {
            match out.last_mut() {
                Some((last, n)) if *last == t => *n += 1,
                _ => out.push((t, 1)),
            }
        }
        out
    }

    /// Scores every document of segment `ord` that holds a query term into a dense
    /// accumulator, one posting list after the other, then offers them to `top`.
    fn score_term_at_a_time(
        &self,
        ord: usize,
        terms: &[(String, u32)],
        top: &mut TopK,
    ) -> crate::Result<()> {
        let fields = &self.segments[ord];
        let keys = &self.keys[ord];
        let mut acc = vec![0f32; keys.len()];
        for (fi, (field, data)) in [self.title, self.text].into_iter().zip(fields).enumerate() {
            let tf_norm = &self.tf_norm[fi];
            for (text, count) in terms {
                let term = Term::from_field_text(field, text);
                let Some(info) = data.postings.get_term_info(&term).map_err(io_error)? else {
                    continue;
                };
                let doc_freq = self.doc_freq(fi, ord, &term, &info)?;
                #[allow(clippy::cast_precision_loss)] // A term count.
                let weight = idf(doc_freq, self.num_docs) * (1.0 + K1) * *count as f32;
                let mut block = data
                    .postings
                    .read_block_postings_from_terminfo(&info, IndexRecordOption::WithFreqs)
                    .map_err(io_error)?;
                loop {
                    let docs = block.docs();
                    if docs.is_empty() {
                        break;
                    }
                    for (&doc, &tf) in docs.iter().zip(block.freqs()) {
                        #[allow(clippy::cast_precision_loss)] // As tantivy.
                        let tf = tf as f32;
                        let norm = tf_norm[usize::from(data.norms.fieldnorm_id(doc))];
                        acc[doc as usize] += weight * (tf / (tf + norm));
                    }
                    block.advance();
                }
            }
        }
        for (score, &key) in acc.iter().zip(keys) {
            if *score > 0.0 {
                top.push(*score, key);
            }
        }
        Ok(())
    }

    /// The term's document frequency over all segments (`info` is its entry in segment
    /// `ord`, usually the only one).
    fn doc_freq(&self, fi: usize, ord: usize, term: &Term, info: &TermInfo) -> crate::Result<u64> {
        let mut df = u64::from(info.doc_freq);
        for (other, fields) in self.segments.iter().enumerate() {
            if other != ord {
                df += u64::from(fields[fi].postings.doc_freq(term).map_err(io_error)?);
            }
        }
        Ok(df)
    }

    /// The query as a union of term queries over both fields, one clause per distinct term
    /// and field, boosted by the term's count.
    fn build_query(&self, terms: &[(String, u32)]) -> BooleanQuery {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::with_capacity(2 * terms.len());
        for (text, count) in terms {
            for field in [self.title, self.text] {
                let term = Term::from_field_text(field, text);
                let q: Box<dyn Query> =
                    Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs));
                #[allow(clippy::cast_precision_loss)] // A term count.
                let q = if *count > 1 {
                    Box::new(BoostQuery::new(q, *count as f32))
                } else {
                    q
                };
                clauses.push((Occur::Should, q));
            }
        }
        BooleanQuery::new(clauses)
    }
}

fn io_error(e: std::io::Error) -> Error {
    Error::Tantivy(TantivyError::from(e))
}

/// Whether a tantivy error means the files are bad rather than the machine.
fn corrupt(dir: &Path, e: &TantivyError) -> Error {
    Error::Corrupt {
        path: PathBuf::from(dir),
        reason: format!("cannot open the lexical index: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl LexicalIndex {
        /// The search through tantivy's block-max WAND on every segment, for comparison.
        fn search_wand(&self, query: &str, k: usize) -> Vec<(u32, f32)> {
            let terms = self.query_terms(query);
            let mut top = TopK::new(k);
            if terms.is_empty() {
                return Vec::new();
            }
            let query = self.build_query(&terms);
            let weight = query
                .weight(EnableScoring::enabled_from_searcher(&self.searcher))
                .unwrap();
            for (ord, segment) in self.searcher.segment_readers().iter().enumerate() {
                let keys = &self.keys[ord];
                weight
                    .for_each_pruning(top.threshold(), segment, &mut |doc, score| {
                        top.push(score, keys[doc as usize]);
                        top.threshold()
                    })
                    .unwrap();
            }
            top.into_sorted()
        }
    }

    fn build(items: &[(u32, &str, &str)], threads: usize) -> (LexicalIndex, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let index =
            LexicalIndex::build(&dir.path().join("lex"), items.iter().copied(), threads).unwrap();
        (index, dir)
    }

    const DOCS: &[(u32, &str, &str)] = &[
        (10, "Refund policy", "We refund purchases within 14 days."),
        (11, "Shipping", "Orders ship within two business days."),
        (
            12,
            "Returns",
            "Items can be returned unopened; the refund follows inspection.",
        ),
        (13, "", "Warranty claims need the original receipt."),
    ];

    fn keys(hits: &[(u32, f32)]) -> Vec<u32> {
        hits.iter().map(|h| h.0).collect()
    }

    fn synthetic(n: u32) -> Vec<(u32, String, String)> {
        (0..n)
            .map(|i| {
                (
                    // Keys not in insertion order.
                    (i * 7919) % 100_003,
                    format!("doc {}", i % 7),
                    format!(
                        "alpha{} beta{} gamma{} alpha{}",
                        i % 13,
                        i % 5,
                        i % 29,
                        i % 3
                    ),
                )
            })
            .collect()
    }

    fn borrowed(docs: &[(u32, String, String)]) -> Vec<(u32, &str, &str)> {
        docs.iter()
            .map(|(k, t, x)| (*k, t.as_str(), x.as_str()))
            .collect()
    }

    #[test]
    fn stemmed_words_match() {
        let (index, _dir) = build(DOCS, 1);
        let hits = index.search("refunds", 10).unwrap();
        assert_eq!(keys(&hits), [10, 12]);
        assert!(hits[0].1 > hits[1].1);
        assert_eq!(keys(&index.search("shipped", 10).unwrap()), [11]);
    }

    #[test]
    fn title_counts_too() {
        let (index, _dir) = build(DOCS, 1);
        assert_eq!(keys(&index.search("policy", 10).unwrap()), [10]);
    }

    #[test]
    fn stop_words_and_punctuation_match_nothing() {
        let (index, _dir) = build(DOCS, 1);
        for q in [
            "the",
            "the of and",
            "",
            "???",
            "AND OR NOT",
            "   ",
            "!!! ... ;;;",
        ] {
            assert!(index.search(q, 10).unwrap().is_empty(), "{q:?}");
        }
    }

    #[test]
    fn odd_queries_never_fail() {
        let (index, _dir) = build(DOCS, 1);
        let long = ["refund receipt"; 5_000].join(" ");
        let many: String = (0..10_000).map(|i| format!("w{i} ")).collect();
        for q in [
            "\"unclosed",
            "title:refund",
            "refund AND NOT shipping",
            "(refund",
            "refund^2 ship~ *",
            "+refund -shipping",
            "\u{0}\u{ffff} réfund 退款",
            long.as_str(),
            many.as_str(),
        ] {
            index.search(q, 10).unwrap();
        }
        assert_eq!(index.search(&many, 10).unwrap(), []);
        let mut found = keys(&index.search(&long, 10).unwrap());
        found.sort_unstable();
        assert_eq!(found, [10, 12, 13]);
        assert_eq!(
            keys(&index.search("\"refund?\": AND", 10).unwrap()),
            keys(&index.search("refund", 10).unwrap())
        );
    }

    #[test]
    fn repeated_query_terms_weigh_more() {
        let (index, _dir) = build(DOCS, 1);
        let once = index.search("refund receipt", 10).unwrap();
        let twice = index.search("receipt refund receipt", 10).unwrap();
        let score = |hits: &[(u32, f32)], k| hits.iter().find(|h| h.0 == k).unwrap().1;
        assert!((score(&twice, 13) - 2.0 * score(&once, 13)).abs() < 1e-5);
        assert!((score(&twice, 10) - score(&once, 10)).abs() < 1e-6);
    }

    #[test]
    fn ties_break_by_key_whatever_the_insertion_order() {
        let docs: Vec<(u32, &str, &str)> = [9, 5, 3, 7]
            .into_iter()
            .map(|k| (k, "", "same words here"))
            .collect();
        let (index, _dir) = build(&docs, 1);
        assert_eq!(keys(&index.search("words", 10).unwrap()), [3, 5, 7, 9]);
        assert_eq!(keys(&index.search("words", 2).unwrap()), [3, 5]);
        assert_eq!(keys(&index.search("words", 1).unwrap()), [3]);
        assert_eq!(keys(&index.search_wand("words", 2)), [3, 5]);
    }

    #[test]
    fn deterministic_across_builds_and_threads() {
        let docs = synthetic(600);
        let items = borrowed(&docs);
        let (a, _da) = build(&items, 1);
        let (b, _db) = build(&items, 1);
        let (c, _dc) = build(&items, 3);
        for q in ["alpha1 beta2", "gamma7 doc", "alpha2 alpha2 beta4 gamma28"] {
            let ra = a.search(q, 25).unwrap();
            assert_eq!(ra, a.search(q, 25).unwrap());
            assert_eq!(ra, b.search(q, 25).unwrap());
            assert_eq!(ra, c.search(q, 25).unwrap());
            let all = a.search(q, 1_000).unwrap();
            assert_eq!(&all[..25], &ra[..]);
        }
    }

    #[test]
    fn term_at_a_time_agrees_with_tantivy_scoring() {
        let docs = synthetic(900);
        let (index, _dir) = build(&borrowed(&docs), 1);
        for q in [
            "alpha1 beta2",
            "gamma7 doc",
            "alpha2 alpha2 beta4 gamma28",
            "doc 3 alpha0",
            "nothing-matches",
        ] {
            for k in [1, 10, 100, 2_000] {
                let ours = index.search(q, k).unwrap();
                let theirs = index.search_wand(q, k);
                assert_eq!(ours.len(), theirs.len(), "{q} @{k}");
                for (o, t) in ours.iter().zip(&theirs) {
                    assert!(
                        (o.1 - t.1).abs() <= 1e-5 * t.1.max(1.0),
                        "{q} @{k}: {o:?} {t:?}"
                    );
                }
                // Same scores up to rounding, so the same keys unless two scores are within
                // rounding of each other (none are in this corpus).
                assert_eq!(keys(&ours), keys(&theirs), "{q} @{k}");
            }
        }
    }

    #[test]
    fn k_limits_and_zero() {
        let (index, _dir) = build(DOCS, 1);
        assert!(index.search("refund", 0).unwrap().is_empty());
        assert_eq!(index.search("refund", 1).unwrap().len(), 1);
        assert_eq!(index.search("refund", usize::MAX).unwrap().len(), 2);
    }

    #[test]
    fn empty_index() {
        let (index, dir) = build(&[], 1);
        assert!(index.is_empty());
        assert!(index.search("anything", 10).unwrap().is_empty());
        let reopened = LexicalIndex::open(&dir.path().join("lex")).unwrap();
        assert_eq!(reopened.len(), 0);
    }

    #[test]
    fn reopen_gives_same_results() {
        let (index, dir) = build(DOCS, 1);
        let reopened = LexicalIndex::open(&dir.path().join("lex")).unwrap();
        assert_eq!(reopened.len(), 4);
        assert_eq!(
            index.search("refund receipt", 10).unwrap(),
            reopened.search("refund receipt", 10).unwrap()
        );
    }

    #[test]
    fn duplicate_keys_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let err = LexicalIndex::build(&dir.path().join("lex"), [(1, "a", "b"), (1, "c", "d")], 1)
            .unwrap_err();
        assert!(matches!(err, Error::InvalidInput(_)), "{err}");
    }

    #[test]
    fn open_refuses_a_non_index() {
        let dir = tempfile::tempdir().unwrap();
        let err = LexicalIndex::open(dir.path()).unwrap_err();
        assert!(matches!(err, Error::Corrupt { .. }), "{err}");
    }
}
