//! What the attribution reads per question: the ranking, the pool, the answer.

use crate::corpus::Corpus;
use ragdiag_core::{find_quote, Chunk, Diagnostics, DocId, Query, TraceHit, TraceRecord};

/// Where each retriever of a hybrid ranked an item (1-based), for the `lexical_only` and
/// `semantic_only` flags. `None`: that retriever did not return it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RetrieverRanks {
    /// Rank from the lexical (BM25) retriever.
    pub lexical: Option<u32>,
    /// Rank from the dense (vector) retriever.
    pub dense: Option<u32>,
}

/// One ranked item: a chunk of a document.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RetrievedItem {
    /// The document.
    pub doc: DocId,
    /// Code-point span in the document's text; `None` when unknown (a trace text not found in
    /// its document, or an unknown document). An item without a span never holds an evidence
    /// span. A trace hit without text is a whole-document hit: its span is the whole text.
    pub span: Option<(usize, usize)>,
    /// The text the generator saw (trace), when it differs from the span's slice of the
    /// document (a normalised match, a text not found, a ghost hit); when `None`, the span's
    /// slice of the document is used, else the whole document.
    pub text: Option<String>,
    /// The retrieval score.
    pub score: Option<f64>,
    /// Which retrievers found it, when known.
    pub retrievers: Option<RetrieverRanks>,
}

impl RetrievedItem {
    /// An item for one of ragdiag's own chunks (replay mode).
    #[must_use]
    pub fn from_chunk(chunk: &Chunk, score: f64, retrievers: Option<RetrieverRanks>) -> Self {
        RetrievedItem {
            doc: chunk.doc_id.as_str().into(),
            span: Some((chunk.start, chunk.end)),
            text: None,
            score: Some(score),
            retrievers,
        }
    }

    /// An item for a trace hit: its `text` is located in its document (exact, then
    /// normalised) to recover the span. A hit without text stands for its whole document (the
    /// system retrieved documents, or the trace left the passage out): its span covers the
    /// whole text, and a warning says so. A text that is not found and a hit on an unknown
    /// document keep `span: None`. Warnings are located at `record`'s origin, field
    /// `{list}[{index}]…`.
    pub fn from_trace_hit(
        hit: &TraceHit,
        corpus: &Corpus<'_>,
        record: &TraceRecord,
        list: &str,
        index: usize,
        warnings: &mut Diagnostics,
    ) -> Self {
        // The hit's own text is copied only where the item cannot read it in its document (a
        // ghost hit, a text not found, a normalised match).
        let found = corpus.index(&hit.doc);
        let mut item = RetrievedItem {
            // A corpus document's id is shared by every item naming it.
            doc: found.map_or_else(|| hit.doc.as_str().into(), |d| corpus.doc_id(d)),
            span: None,
            text: None,
            score: hit.score,
            retrievers: None,
        };
        let Some(d) = found else {
            item.text.clone_from(&hit.text);
            warnings.warn(
                record.origin.clone(),
                format!("{list}[{index}].doc"),
                format!(
                    "{:?} is not in the corpus (ghost hit); it cannot hold evidence",
                    hit.doc
                ),
            );
            return item;
        };
        match hit.text.as_deref() {
            Some(t) => match find_quote(&corpus.doc(d).text, t) {
                Some(m) => {
                    item.span = Some((m.start, m.end));
                    // An exact match is the document's slice: the item reads it there
                    // rather than holding a copy of it.
                    if m.normalised {
                        item.text = Some(t.to_owned());
                    }
                }
                None => {
                    item.text = Some(t.to_owned());
                    warnings.warn(
                        record.origin.clone(),
                        format!("{list}[{index}].text"),
                        format!(
                            "not found in {:?}, even after normalising whitespace and case; its \
                         offsets are unknown, so it cannot hold evidence spans",
                            hit.doc
                        ),
                    );
                }
            },
            None => {
                item.span = Some((0, corpus.char_len(d)));
                warnings.warn(
                    record.origin.clone(),
                    format!("{list}[{index}].text"),
                    "no text: the hit is taken as the whole document (it holds any evidence \
                     in it, and groundedness uses all of it)",
                );
            }
        }
        item
    }
}

/// Everything the attribution needs for one question.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryInput<'q> {
    /// The question with its labels.
    pub query: &'q Query,
    /// The ranking, best first: rank 1 is `retrieved[0]`. Replay: ragdiag's chunks (the pool
    /// is the top `pool_k`); trace: the context candidates as the system ranked them.
    pub retrieved: Vec<RetrievedItem>,
    /// Trace mode: the pre-rerank list, when the trace has one. The pool is then these
    /// candidates together with the ranking.
    pub candidates: Option<Vec<RetrievedItem>>,
    /// Trace mode: the generated answer. Ignored in replay mode.
    pub answer: Option<String>,
}

impl<'q> QueryInput<'q> {
    /// A replay input: `ranked` chunks, best first.
    #[must_use]
    pub fn replay(query: &'q Query, ranked: Vec<RetrievedItem>) -> Self {
        QueryInput {
            query,
            retrieved: ranked,
            candidates: None,
            answer: None,
        }
    }

    /// A trace input: the record's `retrieved` and `candidates` located in their documents
    /// (see [`RetrievedItem::from_trace_hit`]) and its answer.
    pub fn from_trace(
        query: &'q Query,
        record: &TraceRecord,
        corpus: &Corpus<'_>,
        warnings: &mut Diagnostics,
    ) -> Self {
        let locate = |list: &str, hits: &[TraceHit], w: &mut Diagnostics| -> Vec<RetrievedItem> {
            hits.iter()
                .enumerate()
                .map(|(i, h)| RetrievedItem::from_trace_hit(h, corpus, record, list, i, w))
                .collect()
        };
        let retrieved = locate("retrieved", &record.retrieved, warnings);
        let candidates = record
            .candidates
            .as_ref()
            .map(|c| locate("candidates", c, warnings));
        QueryInput {
            query,
            retrieved,
            candidates,
            answer: record.answer.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ragdiag_core::{Document, Location};

    #[test]
    fn trace_hits_share_their_documents_id() {
        let docs = vec![Document {
            id: "https://example.com/docs/billing/refunds".into(),
            text: "Refunds take 5 days.".into(),
            ..Document::default()
        }];
        let audit = ragdiag_fresh::Audit::default();
        let corpus = Corpus::new(&docs, &audit);
        let record = TraceRecord {
            origin: Location::new("t.jsonl", 1),
            ..TraceRecord::default()
        };
        let hit = |doc: &str| TraceHit {
            doc: doc.into(),
            text: Some("Refunds take 5 days.".into()),
            ..TraceHit::default()
        };
        let mut w = Diagnostics::default();
        let items: Vec<RetrievedItem> = [docs[0].id.as_str(), docs[0].id.as_str(), "ghost"]
            .iter()
            .enumerate()
            .map(|(i, d)| {
                RetrievedItem::from_trace_hit(&hit(d), &corpus, &record, "retrieved", i, &mut w)
            })
            .collect();
        assert_eq!(items[0].doc, docs[0].id);
        assert!(std::ptr::eq(items[0].doc.as_str(), items[1].doc.as_str()));
        assert_eq!(items[0].span, Some((0, 20)));
        assert_eq!(items[2].doc, "ghost");
        assert_eq!(items[2].span, None);
    }
}
