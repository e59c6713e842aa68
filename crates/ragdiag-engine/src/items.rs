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
        .map(|(h, s)| (h.doc_id().to_owned(), s))
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
            doc: doc.to_owned(),
            span,
            text: None,
            score: Some(score),
            retrievers: None,
        });
    }
    (items, warnings)
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
