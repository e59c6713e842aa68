//! Traces in any supported format: ragdiag's JSONL, OpenInference spans, OTLP JSON, RAGAS
//! datasets and RAGChecker input, detected from the file when not given, read into
//! [`TraceRecord`]s (and, for the datasets, the questions they carry).
//!
//! Hits that carry text but no document id (RAGAS contexts are plain strings) are located in the
//! corpus by [`TraceFile::locate`]: the first document that holds the text (exactly, else after
//! normalising whitespace and case, as [`find_quote`] matches), else the document that holds the
//! largest share of the text's word 3-shingles when that share reaches
//! [`SHINGLE_CONTAINMENT`]; a text found nowhere is a hit on [`UNLOCATED_DOC`], with a warning.

use crate::lines::{for_each_line, read_file, strip_bom};
use crate::trace_datasets::{read_ragas, read_ragchecker};
use crate::trace_spans::{
    read_openinference, read_openinference_parquet, read_otlp, records_from_spans,
};
use crate::{load_trace, LoadError, LoadOptions, Loaded, Result};
use ragdiag_core::{
    find_quote, stable_hash, word_shingles, words, Diagnostics, Document, Evidence, Judgment,
    Location, Query, TraceRecord,
};
use rustc_hash::FxHashMap;
use serde_json::Value;
use std::fmt;
use std::path::Path;
use std::str::FromStr;

/// The least share of a hit text's word 3-shingles a document must hold for the hit to be
/// located in it when the text is not found verbatim.
pub const SHINGLE_CONTAINMENT: f64 = 0.8;

/// The document id given to a hit whose text is in no document of the corpus.
pub const UNLOCATED_DOC: &str = "(unlocated)";

/// A trace file's format (`--trace-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraceFormat {
    /// ragdiag's JSONL: `query_id`, `retrieved`, `answer`, ….
    Ragdiag,
    /// OpenInference spans, one JSON span a line (OpenTelemetry SDK `to_json()`, Phoenix), or
    /// Phoenix's span dataframe as Parquet.
    OpenInference,
    /// OpenTelemetry spans as OTLP JSON (`resourceSpans`), with OpenInference or `gen_ai.*`
    /// attributes.
    Otel,
    /// A RAGAS dataset (JSONL or JSON list of samples).
    Ragas,
    /// RAGChecker input JSON (`{"results": […]}`).
    RagChecker,
}

impl TraceFormat {
    /// Every format, in the order messages list them.
    pub const ALL: [TraceFormat; 5] = [
        TraceFormat::Ragdiag,
        TraceFormat::OpenInference,
        TraceFormat::Otel,
        TraceFormat::Ragas,
        TraceFormat::RagChecker,
    ];

    /// The name `--trace-format` takes.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            TraceFormat::Ragdiag => "ragdiag",
            TraceFormat::OpenInference => "openinference",
            TraceFormat::Otel => "otel",
            TraceFormat::Ragas => "ragas",
            TraceFormat::RagChecker => "ragchecker",
        }
    }

    /// Whether the format carries the questions (and `--queries` is optional).
    #[must_use]
    pub fn carries_questions(self) -> bool {
        matches!(self, TraceFormat::Ragas | TraceFormat::RagChecker)
    }

    fn signature(self) -> &'static str {
        match self {
            TraceFormat::Ragdiag => "query_id + retrieved",
            TraceFormat::OpenInference => "spans with context.trace_id",
            TraceFormat::Otel => "{\"resourceSpans\": …}",
            TraceFormat::Ragas => "user_input/question + retrieved_contexts/contexts",
            TraceFormat::RagChecker => "{\"results\": [{query_id, query, retrieved_context}]}",
        }
    }
}

impl fmt::Display for TraceFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for TraceFormat {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        TraceFormat::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                let names: Vec<&str> = TraceFormat::ALL.iter().map(|f| f.name()).collect();
                format!(
                    "unknown trace format {s:?}; expected one of {}",
                    names.join(", ")
                )
            })
    }
}

/// How to read a trace.
#[derive(Debug, Clone, Copy, Default)]
pub struct TraceOptions<'a> {
    /// The format; `None`: detected from the file.
    pub format: Option<TraceFormat>,
    /// Span attribute (or key of the `metadata` attribute, or dataset field) that holds the
    /// question id.
    pub query_id_key: Option<&'a str>,
    /// Known questions: a trace's question text (a root span's `input.value`, a RAGAS
    /// `user_input`) equal to one of theirs after normalising whitespace takes its id.
    pub questions: &'a [Query],
}

/// A trace as read.
#[derive(Debug, Clone)]
pub struct TraceFile {
    /// The format it was read as.
    pub format: TraceFormat,
    /// One record per question. Hits read without a document id have an empty `doc` until
    /// [`TraceFile::locate`] runs.
    pub records: Vec<TraceRecord>,
    /// The questions the file carries (RAGAS, RAGChecker): id, text, reference answer; gold
    /// evidence once [`TraceFile::locate`] has found their reference contexts.
    pub questions: Option<Vec<Query>>,
    /// Per record (parallel to `records`; empty for formats without spans): the question text
    /// the trace's root span was asked, when it has one (OpenInference, OTLP). A production
    /// trace without labels carries its traffic's questions here (`pool`).
    pub asked: Vec<Option<String>>,
    /// Per question (parallel to `questions`): reference contexts still to locate.
    reference_contexts: Vec<Vec<String>>,
}

/// Whitespace runs collapsed to one space, ends trimmed.
fn norm(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The id of the question whose text equals `text` after normalising whitespace.
pub(crate) fn match_question(questions: &[Query], text: &str) -> Option<String> {
    let t = norm(text);
    if t.is_empty() {
        return None;
    }
    questions
        .iter()
        .find(|q| norm(&q.text) == t)
        .map(|q| q.id.clone())
}

/// The formats one JSON object looks like.
fn object_formats(v: &Value) -> Vec<TraceFormat> {
    let Value::Object(o) = v else {
        return Vec::new();
    };
    let has = |k: &str| o.contains_key(k);
    let mut out = Vec::new();
    if has("query_id") && has("retrieved") {
        out.push(TraceFormat::Ragdiag);
    }
    let ctx_trace = o.get("context").and_then(|c| c.get("trace_id")).is_some();
    if ctx_trace || has("context.trace_id") || (has("trace_id") && has("span_id")) {
        out.push(TraceFormat::OpenInference);
    }
    if has("resourceSpans") {
        out.push(TraceFormat::Otel);
    }
    if (has("user_input") || has("question")) && (has("retrieved_contexts") || has("contexts")) {
        out.push(TraceFormat::Ragas);
    }
    if o.get("results").is_some_and(Value::is_array) {
        out.push(TraceFormat::RagChecker);
    }
    out
}

fn is_parquet(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
}

/// Detects a trace file's format from its content (a `.parquet` file is OpenInference spans): the whole file as one JSON value (a JSON
/// list's first item), else its first non-blank line.
///
/// # Errors
///
/// The file cannot be read, or its content matches none or several formats (the message lists
/// the formats considered).
pub fn detect_trace_format(path: &Path) -> Result<TraceFormat> {
    let considered = || {
        TraceFormat::ALL
            .iter()
            .map(|f| format!("{} ({})", f.name(), f.signature()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if is_parquet(path) {
        // Phoenix's span dataframe (or TraceDataset) saved as Parquet.
        return Ok(TraceFormat::OpenInference);
    }
    let limit = crate::max_record_bytes()?;
    let budget = crate::max_record_values()?;
    let size = std::fs::metadata(path)
        .map_err(|e| LoadError::io(path, e))?
        .len();
    // A record of too many values is refused (located) rather than parsed whole; one that is
    // not JSON tells nothing.
    let probe_line = |text: &str, number: u64| -> Result<Option<Value>> {
        match crate::limits::parse_bounded(text.as_bytes(), budget) {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.to_string().starts_with(&crate::limits::too_many(budget)) => {
                Err(LoadError::Invalid(ragdiag_core::Diagnostic::error(
                    ragdiag_core::Location::new(path, number),
                    "",
                    crate::limits::too_many(budget),
                )))
            }
            Err(_) => Ok(None),
        }
    };
    let probe: Option<Value> = if size <= limit {
        let bytes = read_file(path)?;
        let bytes = strip_bom(&bytes);
        match crate::limits::parse_bounded(bytes, budget) {
            Ok(Value::Array(items)) => items.into_iter().next(),
            Ok(v) => Some(v),
            Err(_) => match String::from_utf8_lossy(bytes)
                .lines()
                .zip(1u64..)
                .find(|(l, _)| !l.trim().is_empty())
            {
                Some((l, number)) => probe_line(l, number)?,
                None => None,
            },
        }
    } else {
        // Too large to be one JSON record: told from its first non-blank line, read alone.
        let mut first = None;
        for_each_line(path, |line| match line {
            Err(d) => Err(LoadError::Invalid(d)),
            Ok(l) if l.text.trim().is_empty() => Ok(true),
            Ok(l) => {
                first = probe_line(l.text, l.number)?;
                Ok(false)
            }
        })?;
        first
    };
    let Some(probe) = probe else {
        return Err(LoadError::unusable(
            path,
            format!(
                "cannot tell the trace format: the file is empty or its first record is not JSON; \
                 formats considered: {}; give --trace-format",
                considered()
            ),
        ));
    };
    let found = object_formats(&probe);
    match found.as_slice() {
        [one] => Ok(*one),
        [] => Err(LoadError::unusable(
            path,
            format!(
                "cannot tell the trace format: the first record matches none of: {}; give \
                 --trace-format",
                considered()
            ),
        )),
        several => {
            Err(LoadError::unusable(
                path,
                format!(
                "cannot tell the trace format: the first record matches {}; give --trace-format",
                several.iter().map(|f| f.name()).collect::<Vec<_>>().join(" and ")
            ),
            ))
        }
    }
}

/// Reads a trace in any supported format (see [`TraceOptions`]). Malformed records stop the
/// load with `path:line: field: reason` (or, with `skip_invalid`, are skipped and listed).
///
/// # Errors
///
/// The file cannot be read, its format cannot be told, or a record is malformed.
pub fn load_trace_as(
    path: &Path,
    topts: &TraceOptions<'_>,
    opts: &LoadOptions,
) -> Result<Loaded<TraceFile>> {
    let format = match topts.format {
        Some(f) => f,
        None => detect_trace_format(path)?,
    };
    let mut diagnostics = Diagnostics::default();
    let mut questions = None;
    let mut reference_contexts = Vec::new();
    let mut asked = Vec::new();
    let records = match format {
        TraceFormat::Ragdiag => {
            let l = load_trace(path, opts)?;
            diagnostics.extend(l.diagnostics);
            l.items
        }
        TraceFormat::OpenInference | TraceFormat::Otel => {
            let spans = if format == TraceFormat::Otel {
                read_otlp(path, opts, &mut diagnostics)?
            } else if is_parquet(path) {
                read_openinference_parquet(path, opts, &mut diagnostics)?
            } else {
                read_openinference(path, opts, &mut diagnostics)?
            };
            if spans.is_empty() {
                return Err(LoadError::unusable(
                    path,
                    format!("no spans read as {format}"),
                ));
            }
            let (records, inputs) =
                records_from_spans(spans, topts, &mut diagnostics).map_err(LoadError::Invalid)?;
            asked = inputs;
            records
        }
        TraceFormat::Ragas | TraceFormat::RagChecker => {
            let samples = if format == TraceFormat::Ragas {
                read_ragas(path, topts, opts, &mut diagnostics)?
            } else {
                read_ragchecker(path, topts, opts, &mut diagnostics)?
            };
            let mut qs = Vec::with_capacity(samples.len());
            let mut recs = Vec::with_capacity(samples.len());
            for s in samples {
                qs.push(s.query);
                recs.push(s.record);
                reference_contexts.push(s.reference_contexts);
            }
            questions = Some(qs);
            recs
        }
    };
    Ok(Loaded {
        items: TraceFile {
            format,
            records,
            questions,
            asked,
            reference_contexts,
        },
        diagnostics,
    })
}

/// Where a text is in the corpus.
enum Found {
    /// The first document holding it, and how many hold it.
    Exact(usize, usize),
    Shingles(usize, f64),
    Nowhere(f64),
}

/// Lower-cased, whitespace runs collapsed to one space, ends trimmed: the text [`find_quote`]
/// compares when the exact text is not found.
fn normalise(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for w in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(w.chars().flat_map(char::to_lowercase));
    }
    out
}

/// Finds texts in the corpus through an inverted index of the documents' word 3-shingles (built
/// on first need): a document that holds a text verbatim, or after normalising whitespace and
/// case, holds every shingle of the text's interior words (all but the first and last, which
/// may be cut from longer words), so only the documents holding all of those are searched. A
/// text of fewer than five words has no interior shingle and is searched in every document.
struct Locator<'d> {
    docs: &'d [Document],
    normalised: Vec<Option<String>>,
    shingles: Vec<Vec<u64>>,
    postings: FxHashMap<u64, Vec<u32>>,
}

impl<'d> Locator<'d> {
    fn new(docs: &'d [Document]) -> Self {
        Locator {
            docs,
            normalised: vec![None; docs.len()],
            shingles: Vec::new(),
            postings: FxHashMap::default(),
        }
    }

    fn index(&mut self) {
        if !self.shingles.is_empty() || self.docs.is_empty() {
            return;
        }
        self.shingles = self.docs.iter().map(|d| word_shingles(&d.text)).collect();
        for (i, sh) in self.shingles.iter().enumerate() {
            let i = u32::try_from(i).unwrap_or(u32::MAX);
            for h in sh {
                self.postings.entry(*h).or_default().push(i);
            }
        }
    }

    /// The documents that may hold `text`: those holding all its interior shingles, or every
    /// document when it has none.
    fn candidates(&self, text: &str) -> Vec<usize> {
        let w = words(text);
        if w.len() < 5 {
            return (0..self.docs.len()).collect();
        }
        let mut interior: Vec<u64> = w[1..w.len() - 1].windows(3).map(stable_hash).collect();
        interior.sort_unstable();
        interior.dedup();
        let rarest = interior
            .iter()
            .min_by_key(|h| self.postings.get(*h).map_or(0, Vec::len))
            .copied();
        let Some(list) = rarest.and_then(|h| self.postings.get(&h)) else {
            return Vec::new();
        };
        list.iter()
            .map(|&i| i as usize)
            .filter(|&i| {
                interior
                    .iter()
                    .all(|h| self.shingles[i].binary_search(h).is_ok())
            })
            .collect()
    }

    /// The first of `candidates` holding `text` (verbatim, else normalised), and how many do.
    fn holders(&mut self, text: &str, candidates: &[usize]) -> Option<(usize, usize)> {
        let exact = memchr::memmem::Finder::new(text.as_bytes());
        let hits: Vec<usize> = candidates
            .iter()
            .copied()
            .filter(|&i| exact.find(self.docs[i].text.as_bytes()).is_some())
            .collect();
        if let Some(&first) = hits.first() {
            return Some((first, hits.len()));
        }
        let norm = normalise(text);
        if norm.is_empty() {
            return None;
        }
        let finder = memchr::memmem::Finder::new(norm.as_bytes());
        let mut hits = Vec::new();
        for &i in candidates {
            let n = self.normalised[i].get_or_insert_with(|| normalise(&self.docs[i].text));
            if finder.find(n.as_bytes()).is_some() {
                debug_assert!(find_quote(&self.docs[i].text, text).is_some());
                hits.push(i);
            }
        }
        hits.first().map(|&f| (f, hits.len()))
    }

    /// Verbatim, else after normalising whitespace and case (what [`find_quote`] accepts),
    /// else by shingle containment.
    fn find(&mut self, text: &str) -> Found {
        self.index();
        let candidates = self.candidates(text);
        if let Some((first, n)) = self.holders(text, &candidates) {
            return Found::Exact(first, n);
        }
        let mine = word_shingles(text);
        if mine.is_empty() {
            return Found::Nowhere(0.0);
        }
        let mut held: FxHashMap<u32, usize> = FxHashMap::default();
        for h in &mine {
            for &d in self.postings.get(h).map_or(&[][..], Vec::as_slice) {
                *held.entry(d).or_default() += 1;
            }
        }
        // The most shingles held; ties to the first document in corpus order.
        let best = held
            .into_iter()
            .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
            .map_or((0, 0.0), |(d, n)| {
                #[allow(clippy::cast_precision_loss)]
                let share = n as f64 / mine.len() as f64;
                (d as usize, share)
            });
        if best.1 >= SHINGLE_CONTAINMENT {
            Found::Shingles(best.0, best.1)
        } else {
            Found::Nowhere(best.1)
        }
    }
}

impl TraceFile {
    /// Locates in `docs` every hit that has text but no document id, and the reference
    /// contexts of the questions the file carries (each one found verbatim, or after
    /// normalising whitespace and case, becomes an evidence quote and makes its document
    /// relevant). Returns the warnings: one for the hits found in several documents, one for
    /// those located by shingles, one for those found nowhere, one for reference contexts
    /// found nowhere (each with a count and the first place).
    pub fn locate(&mut self, docs: &[Document]) -> Diagnostics {
        let mut warnings = Diagnostics::default();
        let mut loc = Locator::new(docs);
        let mut by_shingles: Vec<(Location, String, f64)> = Vec::new();
        let mut nowhere: Vec<(Location, String, f64)> = Vec::new();
        let mut several: Vec<(Location, String, usize)> = Vec::new();
        for r in &mut self.records {
            let origin = r.origin.clone();
            let lists = std::iter::once(("retrieved", &mut r.retrieved))
                .chain(r.candidates.as_mut().map(|c| ("candidates", c)));
            for (name, hits) in lists {
                for (i, h) in hits.iter_mut().enumerate() {
                    if !h.doc.is_empty() {
                        continue;
                    }
                    let Some(t) = h.text.as_deref() else {
                        h.doc = UNLOCATED_DOC.into();
                        continue;
                    };
                    let field = format!("{name}[{i}]");
                    match loc.find(t) {
                        Found::Exact(d, n) => {
                            h.doc.clone_from(&docs[d].id);
                            if n > 1 {
                                several.push((origin.clone(), field, n));
                            }
                        }
                        Found::Shingles(d, share) => {
                            h.doc.clone_from(&docs[d].id);
                            by_shingles.push((origin.clone(), field, share));
                        }
                        Found::Nowhere(share) => {
                            h.doc = UNLOCATED_DOC.into();
                            nowhere.push((origin.clone(), field, share));
                        }
                    }
                }
            }
        }
        if let Some((l, f, n)) = several.first() {
            warnings.warn(
                l.clone(),
                f.clone(),
                format!(
                    "{} hit text(s) without a document id are in several documents (this one \
                     in {n}); each is given to the first in corpus order",
                    several.len()
                ),
            );
        }
        if let Some((l, f, share)) = by_shingles.first() {
            warnings.warn(
                l.clone(),
                f.clone(),
                format!(
                    "{} hit text(s) without a document id are not in any document verbatim and \
                     were given to the document holding the most of their word 3-shingles (at \
                     least {SHINGLE_CONTAINMENT}; this one {share:.2}); their offsets stay unknown",
                    by_shingles.len()
                ),
            );
        }
        if let Some((l, f, share)) = nowhere.first() {
            warnings.warn(
                l.clone(),
                f.clone(),
                format!(
                    "{} hit text(s) without a document id are in no document of the corpus \
                     (verbatim or by {SHINGLE_CONTAINMENT} of their word 3-shingles; best share \
                     for this one {share:.2}): reported as hits on the unknown document {:?}",
                    nowhere.len(),
                    UNLOCATED_DOC
                ),
            );
        }
        let mut lost: Vec<(Location, String)> = Vec::new();
        if let Some(qs) = &mut self.questions {
            for (q, refs) in qs.iter_mut().zip(&self.reference_contexts) {
                for (i, t) in refs.iter().enumerate() {
                    match loc.find(t) {
                        Found::Exact(d, _) => {
                            let doc = &docs[d].id;
                            q.evidence.push(Evidence::Quote {
                                doc: doc.clone(),
                                quote: t.clone(),
                            });
                            if !q.relevant.iter().any(|j| &j.doc == doc) {
                                q.relevant.push(Judgment {
                                    doc: doc.clone(),
                                    grade: 1,
                                });
                            }
                        }
                        Found::Shingles(..) | Found::Nowhere(_) => {
                            lost.push((q.origin.clone(), format!("reference_contexts[{i}]")));
                        }
                    }
                }
            }
        }
        if let Some((l, f)) = lost.first() {
            warnings.warn(
                l.clone(),
                f.clone(),
                format!(
                    "{} reference context(s) are not in any document verbatim (or after \
                     normalising whitespace and case); they give no gold evidence",
                    lost.len()
                ),
            );
        }
        self.reference_contexts.iter_mut().for_each(Vec::clear);
        warnings
    }
}
