//! An engine's hits as the rest of the pipeline takes them: document rankings for a TREC run
//! and metrics (`search`), and ranked chunks located in their documents for the attribution
//! engine (`diagnose`).

use crate::EngineHit;
use ragdiag_core::{char_len, find_quote, Diagnostic, Diagnostics, Document, Location};
use ragdiag_diagnose::RetrievedItem;
use ragdiag_eval::DocRanking;
use std::collections::HashMap;

/// The scores a ranking is written with: the engine's, when every hit has one and they do not
/// rise down the list; else `n − rank`, so the engine's order is kept either way.
#[must_use]
pub fn ordered_scores(hits: &[EngineHit]) -> Vec<f64> {
    let given: Option<Vec<f64>> = hits.iter().map(|h| h.score).collect();
    match given {
        Some(s) if s.windows(2).all(|w| w[0] >= w[1]) => s,
        _ => (0..hits.len()).map(|i| (hits.len() - i) as f64).collect(),
    }
}

/// One question's hits rolled up to its top `k` documents (each document at its best hit), in
/// the engine's order.
#[must_use]
pub fn doc_ranking(qid: &str, hits: &[EngineHit], k: usize) -> DocRanking {
    let scores = ordered_scores(hits);
    let mut seen = std::collections::HashSet::new();
    let docs = hits
        .iter()
        .zip(scores)
        .filter(|(h, _)| seen.insert(h.doc_id().to_owned()))
        .map(|(h, s)| (h.doc_id().into(), s))
        .take(k)
        .collect();
    DocRanking {
        qid: qid.to_owned(),
        docs,
    }
}

/// One question's hits as ranked items of `docs`: the span is the configured offsets when they
/// fit the document, else the hit's text located in it, else (no text) the whole document. A
/// hit on a document not in the corpus, offsets beyond its text, and a text not found are
/// warnings located at `engine` (the engine's name) and the question.
#[must_use]
pub fn retrieved_items(
    engine: &str,
    qid: &str,
    hits: &[EngineHit],
    docs: &HashMap<&str, &Document>,
) -> (Vec<RetrievedItem>, Diagnostics) {
    let mut warnings = Diagnostics::default();
    let scores = ordered_scores(hits);
    let mut items = Vec::with_capacity(hits.len());
    for (i, (h, score)) in hits.iter().zip(scores).enumerate() {
        let field = format!("question \"{qid}\" hit[{i}]");
        let warn = |w: &mut Diagnostics, reason: String| {
            w.push(Diagnostic::warning(
                Location::file(engine),
                field.clone(),
                reason,
            ));
        };
        let doc = h.doc_id();
        let span = match docs.get(doc) {
            None => {
                warn(
                    &mut warnings,
                    format!("document \"{doc}\" is not in the corpus"),
                );
                None
            }
            Some(d) => {
                let len = char_len(&d.text);
                match (h.span, &h.text) {
                    (Some((s, e)), _) if e <= len => Some((s, e)),
                    (span, text) => {
                        if let Some((_, e)) = span {
                            warn(
                                &mut warnings,
                                format!(
                                    "offsets end at {e}, beyond document \"{doc}\" ({len} code points)"
                                ),
                            );
                        }
                        match text {
                            Some(t) => match find_quote(&d.text, t) {
                                Some(m) => Some((m.start, m.end)),
                                None => {
                                    warn(
                                        &mut warnings,
                                        format!(
                                            "the hit's text is not found in document \"{doc}\""
                                        ),
                                    );
                                    None
                                }
                            },
                            None => Some((0, len)),
                        }
                    }
                }
            }
        };
        items.push(RetrievedItem {
            doc: doc.into(),
            span,
            text: None,
            score: Some(score),
            retrievers: None,
        });
    }
    (items, warnings)
}

/// What [`dates_from_hits`] gave the corpus.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FromMetadata {
    /// Documents that had no date and took one from their hits' metadata.
    pub dated: usize,
    /// Documents that had no version and took one.
    pub versioned: usize,
    /// Warnings: an unparseable date, hits of one document that disagree.
    pub warnings: Diagnostics,
}

/// Gives the documents of `docs` that have no date (no version) the configured date field
/// (version field) of their hits' metadata, so the freshness audit and the stale-version rule
/// read them as they would from a corpus carrying them. A document's first hit with the field
/// decides (questions in order, hits best first); later hits with another value and dates that
/// do not parse are warnings located at `engine`. Documents that carry the field keep theirs.
#[must_use]
pub fn dates_from_hits<'a>(
    engine: &str,
    docs: &mut [Document],
    hits: impl IntoIterator<Item = &'a EngineHit>,
    fields: &crate::export::DocumentFields,
) -> FromMetadata {
    let mut out = FromMetadata::default();
    if fields.updated.is_none() && fields.version.is_none() {
        return out;
    }
    let index: HashMap<String, usize> = docs
        .iter()
        .enumerate()
        .map(|(i, d)| (d.id.clone(), i))
        .collect();
    // The value each field took per document, and whether it came from the metadata.
    let mut date: HashMap<usize, String> = HashMap::new();
    let mut version: HashMap<usize, String> = HashMap::new();
    let (mut disagree, mut unparseable) = (Vec::new(), Vec::new());
    for h in hits {
        let Some(&i) = index.get(h.doc_id()) else {
            continue;
        };
        let value = |f: &Option<String>| {
            f.as_ref()
                .and_then(|f| h.metadata.get(f))
                .and_then(|v| match v {
                    serde_json::Value::Null => None,
                    serde_json::Value::String(s) => Some(s.clone()),
                    other => Some(other.to_string()),
                })
        };
        if let Some(v) = value(&fields.updated) {
            match date.get(&i) {
                Some(had) if *had != v => disagree.push(docs[i].id.clone()),
                Some(_) => {}
                None if docs[i].updated_at.is_some() => {}
                None => {
                    match ragdiag_core::Timestamp::parse(&v) {
                        Some(t) => {
                            docs[i].updated_at = Some(t);
                            out.dated += 1;
                        }
                        None => unparseable.push((docs[i].id.clone(), v.clone())),
                    }
                    date.insert(i, v);
                }
            }
        }
        if let Some(v) = value(&fields.version) {
            match version.get(&i) {
                Some(had) if *had != v => disagree.push(docs[i].id.clone()),
                Some(_) => {}
                None if docs[i].version.is_some() => {}
                None => {
                    docs[i].version = Some(v.clone());
                    out.versioned += 1;
                    version.insert(i, v);
                }
            }
        }
    }
    disagree.sort();
    disagree.dedup();
    for id in disagree {
        out.warnings.push(Diagnostic::warning(
            Location::file(engine),
            format!("document \"{id}\""),
            "its hits carry different dates or versions in their metadata; the first one \
             retrieved is used"
                .to_owned(),
        ));
    }
    for (id, v) in unparseable {
        out.warnings.push(Diagnostic::warning(
            Location::file(engine),
            format!("document \"{id}\""),
            format!(
                "unparseable date {v:?} in the hits' metadata (expected RFC 3339 or YYYY-MM-DD); \
                 treated as absent"
            ),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(id: &str, doc: Option<&str>, score: Option<f64>) -> EngineHit {
        EngineHit {
            id: id.into(),
            doc: doc.map(Into::into),
            score,
            ..EngineHit::default()
        }
    }

    #[test]
    fn rankings_keep_the_engine_order_and_each_document_once() {
        let hits = [
            hit("c1", Some("a"), Some(0.9)),
            hit("c2", Some("b"), Some(0.8)),
            hit("c3", Some("a"), Some(0.7)),
            hit("c4", Some("c"), Some(0.1)),
        ];
        let r = doc_ranking("q", &hits, 2);
        assert_eq!(r.docs, vec![("a".into(), 0.9), ("b".into(), 0.8)]);
        // A rising score (a re-ranked list) or a missing one: ranks stand in.
        let hits = [hit("x", None, Some(0.1)), hit("y", None, Some(0.5))];
        assert_eq!(ordered_scores(&hits), vec![2.0, 1.0]);
        assert_eq!(doc_ranking("q", &hits, 5).docs[0].0, "x");
    }

    #[test]
    fn documents_without_dates_take_them_from_their_hits_metadata() {
        let doc = |id: &str, dated: bool| Document {
            id: id.into(),
            text: "x".into(),
            updated_at: dated.then(|| ragdiag_core::Timestamp::parse("2020-01-01").unwrap()),
            ..Document::default()
        };
        let mut docs = vec![
            doc("a", false),
            doc("b", true),
            doc("c", false),
            doc("d", false),
        ];
        let with = |id: &str, doc: &str, meta: serde_json::Value| EngineHit {
            id: id.into(),
            doc: Some(doc.into()),
            metadata: meta.as_object().unwrap().clone(),
            ..EngineHit::default()
        };
        let hits = [
            with(
                "a#0",
                "a",
                serde_json::json!({"modified": "2025-03-01", "rev": 2}),
            ),
            with(
                "a#1",
                "a",
                serde_json::json!({"modified": "2025-04-01", "rev": 2}),
            ),
            with(
                "b#0",
                "b",
                serde_json::json!({"modified": "2025-03-01", "rev": "v9"}),
            ),
            with("c#0", "c", serde_json::json!({"modified": "last week"})),
            with("zz#0", "zz", serde_json::json!({"modified": "2025-03-01"})),
        ];
        let fields = crate::export::DocumentFields {
            updated: Some("modified".into()),
            version: Some("rev".into()),
            drop: vec![],
        };
        let got = dates_from_hits("pg", &mut docs, &hits, &fields);
        let date = |d: &Document| d.updated_at.map(|t| t.to_string());
        assert_eq!(date(&docs[0]).as_deref(), Some("2025-03-01"));
        assert_eq!(docs[0].version.as_deref(), Some("2"));
        // A document's own date stays; its missing version is filled.
        assert_eq!(date(&docs[1]).as_deref(), Some("2020-01-01"));
        assert_eq!(docs[1].version.as_deref(), Some("v9"));
        assert_eq!(docs[2].updated_at, None);
        assert_eq!(docs[3], doc("d", false));
        assert_eq!((got.dated, got.versioned), (1, 2));
        let w: Vec<String> = got
            .warnings
            .items()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(
            w[0].contains("document \"a\": its hits carry different dates"),
            "{w:?}"
        );
        assert!(w[1].contains("unparseable date \"last week\""), "{w:?}");
        // No fields configured: nothing changes.
        let mut again = vec![doc("a", false)];
        let none = dates_from_hits("pg", &mut again, &hits, &Default::default());
        assert_eq!((none.dated, again[0].updated_at), (0, None));
    }

    #[test]
    fn hits_are_located_by_offsets_text_or_whole_document() {
        let d = Document {
            id: "d".into(),
            text: "Refunds take five days. Ask support.".into(),
            ..Document::default()
        };
        let docs: HashMap<&str, &Document> = [("d", &d)].into_iter().collect();
        let mut by_offsets = hit("1", Some("d"), None);
        by_offsets.span = Some((0, 23));
        let mut by_text = hit("2", Some("d"), None);
        by_text.text = Some("Ask support.".into());
        let mut lost = hit("3", Some("d"), None);
        lost.text = Some("not there".into());
        let (items, w) = retrieved_items(
            "http x",
            "q1",
            &[
                by_offsets,
                by_text,
                hit("4", Some("d"), None),
                hit("5", Some("zz"), None),
                lost,
            ],
            &docs,
        );
        let spans: Vec<_> = items.iter().map(|i| i.span).collect();
        assert_eq!(
            spans,
            vec![Some((0, 23)), Some((24, 36)), Some((0, 36)), None, None]
        );
        let reasons: Vec<&str> = w.items().iter().map(|d| d.reason.as_str()).collect();
        assert_eq!(
            reasons,
            vec![
                "document \"zz\" is not in the corpus",
                "the hit's text is not found in document \"d\""
            ]
        );
        assert!(w.items()[0].to_string().contains("question \"q1\" hit[3]"));
    }
}
