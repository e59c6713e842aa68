//! Trace questions that wait for their part (issue 15). A streamed run writes its questions'
//! rows a part at a time in question order, so a line that comes long before its turn (the
//! trace is in another order than the questions, or an earlier question's line is late or
//! never comes) would hold its question's diagnosis, items and record until every earlier
//! question is written. [`crate::TraceRun::with_spill`] instead keeps such a question located
//! but not diagnosed, encoded in a [`Scratch`] (a file in the CLI), and diagnoses it when its
//! part is next: the run then holds a few tens of bytes per waiting question, whatever the
//! trace's order. The outcome is the same, byte for byte: a question's diagnosis depends only
//! on its located hits, its answer and the corpus, not on when it is made.
//!
//! The encoding is the run's own (lengths and little-endian numbers, floats as their bits),
//! read back by the run that wrote it: it is not a file format.

use crate::{Corpus, RetrievedItem, RetrieverRanks};
use ragdiag_core::{Location, TraceRecord};
use std::collections::BTreeMap;
use std::io;

/// Where a streamed run keeps the encoded questions that wait for their part
/// ([`crate::TraceRun::with_spill`]): bytes appended, read back by offset. The CLI's is a
/// temporary file; `Vec<u8>` keeps them in memory (tests).
pub trait Scratch: Send {
    /// Appends `bytes`; returns their offset.
    ///
    /// # Errors
    ///
    /// When they cannot be written.
    fn put(&mut self, bytes: &[u8]) -> io::Result<u64>;

    /// The `len` bytes at offset `at` (as [`Scratch::put`] returned it).
    ///
    /// # Errors
    ///
    /// When they cannot be read.
    fn get(&mut self, at: u64, len: usize) -> io::Result<Vec<u8>>;

    /// Writes `bytes` over those at offset `at`, which [`Scratch::put`] wrote before.
    ///
    /// # Errors
    ///
    /// When they cannot be written, or were not all written before.
    fn set(&mut self, at: u64, bytes: &[u8]) -> io::Result<()>;
}

impl Scratch for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) -> io::Result<u64> {
        let at = self.len() as u64;
        self.extend_from_slice(bytes);
        Ok(at)
    }

    fn get(&mut self, at: u64, len: usize) -> io::Result<Vec<u8>> {
        Ok(self[written(self, at, len)?].to_vec())
    }

    fn set(&mut self, at: u64, bytes: &[u8]) -> io::Result<()> {
        let range = written(self, at, bytes.len())?;
        self[range].copy_from_slice(bytes);
        Ok(())
    }
}

/// The `len` bytes of `scratch` at offset `at`, if they were written.
fn written(scratch: &[u8], at: u64, len: usize) -> io::Result<std::ops::Range<usize>> {
    usize::try_from(at)
        .ok()
        .and_then(|at| Some(at..at.checked_add(len)?))
        .filter(|r| r.end <= scratch.len())
        .ok_or_else(|| bad("past the end of the scratch"))
}

/// A located question that waits for its part.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Waiting {
    /// Its line's position among the trace's lines.
    pub(crate) line: usize,
    /// Its record without its hits and answer.
    pub(crate) record: TraceRecord,
    /// Its located ranking.
    pub(crate) retrieved: Vec<RetrievedItem>,
    /// Its located pre-rerank list.
    pub(crate) candidates: Option<Vec<RetrievedItem>>,
    /// Its answer.
    pub(crate) answer: Option<String>,
}

/// The waiting questions: each one's place in the scratch and its record's origin (kept as it
/// is: a path need not be text), by question position.
pub(crate) struct Spill {
    scratch: Box<dyn Scratch + 'static>,
    at: BTreeMap<usize, (u64, usize, Location)>,
    /// Questions that have waited.
    pub(crate) total: usize,
    /// Bytes written.
    pub(crate) bytes: u64,
    /// The encoding's buffer.
    buf: Vec<u8>,
}

impl Spill {
    pub(crate) fn new(scratch: Box<dyn Scratch + 'static>) -> Self {
        Spill {
            scratch,
            at: BTreeMap::new(),
            total: 0,
            bytes: 0,
            buf: Vec::new(),
        }
    }

    /// Keeps question `i` (not kept yet) until [`Spill::take_before`] a position past it.
    pub(crate) fn put(&mut self, i: usize, w: &Waiting) -> io::Result<()> {
        self.buf.clear();
        encode(w, &mut self.buf);
        let at = self.scratch.put(&self.buf)?;
        self.at
            .insert(i, (at, self.buf.len(), w.record.origin.clone()));
        self.total += 1;
        self.bytes += self.buf.len() as u64;
        Ok(())
    }

    /// The questions before `end` that wait, in question order, no longer kept; their
    /// documents' ids are `corpus`'s own (shared, as when located).
    pub(crate) fn take_before(
        &mut self,
        end: usize,
        corpus: &Corpus<'_>,
    ) -> io::Result<Vec<(usize, Waiting)>> {
        let mut out = Vec::new();
        while let Some(entry) = self.at.first_entry() {
            if *entry.key() >= end {
                break;
            }
            let (i, (at, len, origin)) = entry.remove_entry();
            let bytes = self.scratch.get(at, len)?;
            out.push((i, decode(&bytes, origin, corpus)?));
        }
        Ok(out)
    }
}

pub(crate) fn bad(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_owned())
}

pub(crate) fn put_u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}

pub(crate) fn put_str(out: &mut Vec<u8>, s: &str) {
    put_u64(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

pub(crate) fn put_opt<T>(out: &mut Vec<u8>, v: Option<T>, put: impl FnOnce(&mut Vec<u8>, T)) {
    match v {
        None => out.push(0),
        Some(v) => {
            out.push(1);
            put(out, v);
        }
    }
}

pub(crate) fn put_f64(out: &mut Vec<u8>, v: f64) {
    put_u64(out, v.to_bits());
}

fn put_items(out: &mut Vec<u8>, items: &[RetrievedItem]) {
    put_u64(out, items.len() as u64);
    for item in items {
        let RetrievedItem {
            doc,
            span,
            text,
            score,
            retrievers,
        } = item;
        put_str(out, doc.as_str());
        put_opt(out, *span, |o, (a, b)| {
            put_u64(o, a as u64);
            put_u64(o, b as u64);
        });
        put_opt(out, text.as_deref(), put_str);
        put_opt(out, *score, put_f64);
        put_opt(out, *retrievers, |o, r| {
            let RetrieverRanks { lexical, dense } = r;
            put_opt(o, lexical, |o, v| put_u64(o, u64::from(v)));
            put_opt(o, dense, |o, v| put_u64(o, u64::from(v)));
        });
    }
}

/// `w` as bytes, but for its record's origin (kept beside its offset) and its record's hits
/// and answer (stripped: the located ones are `w`'s own). Every field is named, so that one
/// added later is not forgotten here.
fn encode(w: &Waiting, out: &mut Vec<u8>) {
    let Waiting {
        line,
        record,
        retrieved,
        candidates,
        answer,
    } = w;
    let TraceRecord {
        query_id,
        retrieved: _,
        candidates: _,
        answer: _,
        latency_ms,
        prompt_tokens,
        completion_tokens,
        origin: _,
    } = record;
    put_u64(out, *line as u64);
    put_str(out, query_id);
    put_opt(out, *latency_ms, put_f64);
    put_opt(out, *prompt_tokens, put_f64);
    put_opt(out, *completion_tokens, put_f64);
    put_items(out, retrieved);
    put_opt(out, candidates.as_deref(), put_items);
    put_opt(out, answer.as_deref(), put_str);
}

/// Reads what [`encode`] wrote.
pub(crate) struct Reader<'b> {
    pub(crate) rest: &'b [u8],
}

impl<'b> Reader<'b> {
    pub(crate) fn take(&mut self, n: usize) -> io::Result<&'b [u8]> {
        if self.rest.len() < n {
            return Err(bad("the scratch's bytes end early"));
        }
        let (head, rest) = self.rest.split_at(n);
        self.rest = rest;
        Ok(head)
    }

    pub(crate) fn u64(&mut self) -> io::Result<u64> {
        let mut b = [0u8; 8];
        b.copy_from_slice(self.take(8)?);
        Ok(u64::from_le_bytes(b))
    }

    pub(crate) fn usize(&mut self) -> io::Result<usize> {
        usize::try_from(self.u64()?).map_err(|_| bad("a length past this machine's"))
    }

    fn u32(&mut self) -> io::Result<u32> {
        u32::try_from(self.u64()?).map_err(|_| bad("a rank past u32"))
    }

    pub(crate) fn f64(&mut self) -> io::Result<f64> {
        self.u64().map(f64::from_bits)
    }

    pub(crate) fn str(&mut self) -> io::Result<&'b str> {
        let n = self.usize()?;
        std::str::from_utf8(self.take(n)?).map_err(|_| bad("text that is not UTF-8"))
    }

    pub(crate) fn opt<T>(
        &mut self,
        get: impl FnOnce(&mut Self) -> io::Result<T>,
    ) -> io::Result<Option<T>> {
        match self.take(1)?[0] {
            0 => Ok(None),
            1 => get(self).map(Some),
            _ => Err(bad("a tag that is neither 0 nor 1")),
        }
    }

    fn items(&mut self, corpus: &Corpus<'_>) -> io::Result<Vec<RetrievedItem>> {
        let n = self.usize()?;
        let mut items = Vec::with_capacity(n.min(self.rest.len()));
        for _ in 0..n {
            let doc = self.str()?;
            items.push(RetrievedItem {
                doc: corpus
                    .index(doc)
                    .map_or_else(|| doc.into(), |d| corpus.doc_id(d)),
                span: self.opt(|r| Ok((r.usize()?, r.usize()?)))?,
                text: self.opt(|r| r.str().map(str::to_owned))?,
                score: self.opt(Self::f64)?,
                retrievers: self.opt(|r| {
                    Ok(RetrieverRanks {
                        lexical: r.opt(Self::u32)?,
                        dense: r.opt(Self::u32)?,
                    })
                })?,
            });
        }
        Ok(items)
    }
}

/// The waiting question `bytes` encode ([`encode`]), its record read at `origin`.
fn decode(bytes: &[u8], origin: Location, corpus: &Corpus<'_>) -> io::Result<Waiting> {
    let mut r = Reader { rest: bytes };
    let line = r.usize()?;
    let query_id = r.str()?.to_owned();
    let latency_ms = r.opt(Reader::f64)?;
    let prompt_tokens = r.opt(Reader::f64)?;
    let completion_tokens = r.opt(Reader::f64)?;
    let w = Waiting {
        line,
        record: TraceRecord {
            query_id,
            retrieved: Vec::new(),
            candidates: None,
            answer: None,
            latency_ms,
            prompt_tokens,
            completion_tokens,
            origin,
        },
        retrieved: r.items(corpus)?,
        candidates: r.opt(|r| r.items(corpus))?,
        answer: r.opt(|r| r.str().map(str::to_owned))?,
    };
    if !r.rest.is_empty() {
        return Err(bad("bytes left after a waiting question"));
    }
    Ok(w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ragdiag_core::Document;

    fn corpus_docs() -> Vec<Document> {
        vec![Document {
            id: "kb/refunds".into(),
            text: "Refunds take 5 days.".into(),
            ..Document::default()
        }]
    }

    fn item(doc: &str) -> RetrievedItem {
        RetrievedItem {
            doc: doc.into(),
            ..RetrievedItem::default()
        }
    }

    /// A record's origin in a file whose name is not UTF-8 (where the system allows one).
    fn non_utf8_origin() -> Location {
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt;
            let name = std::ffi::OsStr::from_bytes(b"traces/day\xff 1.jsonl");
            Location::new(std::path::Path::new(name), 42)
        }
        #[cfg(not(unix))]
        Location::new("traces/day 1.jsonl", 42)
    }

    /// Every field of a waiting question, set and unset, comes back as it went in: texts with
    /// multi-byte characters, scores that are not finite (their bits), ranks, a ghost
    /// document, its record's origin (a path that is not UTF-8); a corpus document's id comes
    /// back shared with the corpus's.
    #[test]
    fn a_waiting_question_comes_back_as_it_went() {
        let docs = corpus_docs();
        let audit = ragdiag_fresh::Audit::default();
        let corpus = Corpus::new(&docs, &audit);
        let full = Waiting {
            line: 41,
            record: TraceRecord {
                query_id: "q-é 7".into(),
                latency_ms: Some(812.5),
                prompt_tokens: Some(f64::NAN),
                completion_tokens: Some(-0.0),
                origin: non_utf8_origin(),
                ..TraceRecord::default()
            },
            retrieved: vec![
                RetrievedItem {
                    span: Some((0, 20)),
                    score: Some(0.25),
                    retrievers: Some(RetrieverRanks {
                        lexical: Some(3),
                        dense: None,
                    }),
                    ..item("kb/refunds")
                },
                RetrievedItem {
                    text: Some("ünïcode — text".into()),
                    score: Some(f64::INFINITY),
                    ..item("ghost")
                },
            ],
            candidates: Some(vec![item("kb/refunds"), item("other ghost")]),
            answer: Some("Five days.".into()),
        };
        let bare = Waiting {
            line: 0,
            record: TraceRecord {
                origin: Location::file("t.jsonl"),
                ..TraceRecord::default()
            },
            retrieved: Vec::new(),
            candidates: None,
            answer: None,
        };
        let mut spill = Spill::new(Box::new(Vec::<u8>::new()));
        spill.put(9, &full).unwrap();
        spill.put(3, &bare).unwrap();
        spill.put(12, &bare).unwrap();
        assert_eq!(spill.total, 3);
        let back = spill.take_before(10, &corpus).unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!(back[0], (3, bare.clone()));
        assert_eq!(back[1].0, 9);
        let got = &back[1].1;
        // (Debug: a NaN is not equal to itself.)
        assert_eq!(format!("{got:?}"), format!("{full:?}"));
        assert_eq!(got.record.origin, full.record.origin);
        assert_eq!(
            got.record.prompt_tokens.map(f64::to_bits),
            Some(f64::NAN.to_bits())
        );
        assert!(got.record.completion_tokens.unwrap().is_sign_negative());
        assert!(std::ptr::eq(
            got.retrieved[0].doc.as_str(),
            corpus.doc_id(0).as_str()
        ));
        // Taken once: only the question past 10 is left.
        assert!(spill.take_before(10, &corpus).unwrap().is_empty());
        assert_eq!(spill.take_before(13, &corpus).unwrap(), vec![(12, bare)]);
    }

    /// Bytes cut short, with a stray tag, or with bytes left over are an error, not a panic
    /// or a wrong question.
    #[test]
    fn damaged_bytes_are_an_error() {
        let docs = corpus_docs();
        let audit = ragdiag_fresh::Audit::default();
        let corpus = Corpus::new(&docs, &audit);
        let w = Waiting {
            line: 1,
            record: TraceRecord {
                query_id: "q".into(),
                origin: Location::new("t.jsonl", 2),
                ..TraceRecord::default()
            },
            retrieved: vec![item("kb/refunds")],
            candidates: None,
            answer: Some("a".into()),
        };
        let mut bytes = Vec::new();
        encode(&w, &mut bytes);
        let origin = || w.record.origin.clone();
        assert_eq!(decode(&bytes, origin(), &corpus).unwrap(), w);
        for cut in 0..bytes.len() {
            assert!(
                decode(&bytes[..cut], origin(), &corpus).is_err(),
                "cut at {cut}"
            );
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(decode(&longer, origin(), &corpus).is_err());
        let mut tag = bytes.clone();
        // The answer's tag: 1 byte, then its length (8) and its one byte.
        let at = bytes.len() - 1 - 1 - 8;
        tag[at] = 7;
        assert!(decode(&tag, origin(), &corpus).is_err());
        // A length no scratch holds.
        let mut huge = bytes;
        huge[8..16].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(decode(&huge, origin(), &corpus).is_err());
        assert!(Scratch::get(&mut Vec::<u8>::new(), 0, 1).is_err());
    }
}
