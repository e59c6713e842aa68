//! Cross-checks between loaded inputs: dangling ids, quotes that cannot be found, spans out of
//! range, supersession chains that dangle or loop, labels for unknown queries. Every finding is
//! a warning (a problem of meaning); malformed records are the loaders' business.

use ragdiag_core::{char_len, find_quote, Diagnostics, Document, Evidence, Location, Qrels, Query};
use rustc_hash::{FxHashMap, FxHashSet};

/// The inputs to check; any may be absent.
#[derive(Debug, Default, Clone, Copy)]
pub struct Inputs<'a> {
    /// The corpus.
    pub corpus: Option<&'a [Document]>,
    /// The questions.
    pub queries: Option<&'a [Query]>,
    /// Separate qrels, and where they came from.
    pub qrels: Option<(&'a Qrels, &'a std::path::Path)>,
}

/// Runs every cross-check that the given inputs allow.
pub fn cross_check(inputs: &Inputs<'_>) -> Diagnostics {
    let mut out = Diagnostics::default();
    let docs: Option<FxHashMap<&str, &Document>> = inputs
        .corpus
        .map(|c| c.iter().map(|d| (d.id.as_str(), d)).collect());
    if let Some(corpus) = inputs.corpus {
        check_supersession(corpus, &mut out);
    }
    if let Some(queries) = inputs.queries {
        for q in queries {
            check_query(q, docs.as_ref(), inputs.corpus, &mut out);
        }
    }
    if let Some((qrels, path)) = inputs.qrels {
        let qids: Option<FxHashSet<&str>> = inputs
            .queries
            .map(|qs| qs.iter().map(|q| q.id.as_str()).collect());
        for (qid, judged) in &qrels.queries {
            if let Some(qids) = &qids {
                if !qids.contains(qid.as_str()) {
                    out.warn(
                        Location::file(path),
                        "qid",
                        format!("judgments for unknown query {qid:?}"),
                    );
                }
            }
            if let Some(docs) = &docs {
                for (doc, _) in judged.iter() {
                    if !docs.contains_key(doc) {
                        out.warn(
                            Location::file(path),
                            "docno",
                            format!("query {qid:?} judges {doc:?}, which is not in the corpus"),
                        );
                    }
                }
            }
        }
    }
    out
}

fn check_supersession(corpus: &[Document], out: &mut Diagnostics) {
    let by_id: FxHashMap<&str, &Document> = corpus.iter().map(|d| (d.id.as_str(), d)).collect();
    let mut superseded_by: FxHashMap<&str, &str> = FxHashMap::default();
    for d in corpus {
        let Some(old) = d.supersedes.as_deref() else {
            continue;
        };
        if !by_id.contains_key(old) {
            out.warn(
                d.origin.clone(),
                "supersedes",
                format!("{old:?} is not in the corpus"),
            );
        }
        if let Some(other) = superseded_by.insert(old, d.id.as_str()) {
            out.warn(
                d.origin.clone(),
                "supersedes",
                format!("{old:?} is superseded by both {other:?} and {:?}", d.id),
            );
        }
    }
    // Cycles: follow `supersedes` from each document; report each cycle once, at its smallest id.
    let mut reported: FxHashSet<&str> = FxHashSet::default();
    for d in corpus {
        let mut path = vec![d.id.as_str()];
        let mut cur = d;
        while let Some(next) = cur.supersedes.as_deref().and_then(|id| by_id.get(id)) {
            if let Some(pos) = path.iter().position(|p| *p == next.id) {
                let cycle = &path[pos..];
                let min = cycle.iter().min().copied().unwrap_or(next.id.as_str());
                if min == d.id && reported.insert(min) {
                    let mut names: Vec<&str> = cycle.to_vec();
                    names.push(next.id.as_str());
                    out.warn(
                        d.origin.clone(),
                        "supersedes",
                        format!("supersession cycle: {}", names.join(" → ")),
                    );
                }
                break;
            }
            path.push(next.id.as_str());
            cur = next;
            if path.len() > corpus.len() {
                break;
            }
        }
    }
}

fn check_query(
    q: &Query,
    docs: Option<&FxHashMap<&str, &Document>>,
    corpus: Option<&[Document]>,
    out: &mut Diagnostics,
) {
    let loc = &q.origin;
    if !q.is_labelled() {
        out.warn(loc.clone(), "id", format!("query {:?} has no labels (no relevant, evidence or reference_answer): reported as no_label, not scored", q.id));
    }
    let Some(docs) = docs else { return };
    for (i, r) in q.relevant.iter().enumerate() {
        if !docs.contains_key(r.doc.as_str()) {
            out.warn(
                loc.clone(),
                format!("relevant[{i}].doc"),
                format!("{:?} is not in the corpus", r.doc),
            );
        }
    }
    for (i, e) in q.evidence.iter().enumerate() {
        let field = format!("evidence[{i}]");
        let Some(doc) = docs.get(e.doc()) else {
            out.warn(
                loc.clone(),
                format!("{field}.doc"),
                format!("{:?} is not in the corpus", e.doc()),
            );
            continue;
        };
        match e {
            Evidence::Span { start, end, .. } => {
                let n = char_len(&doc.text);
                if *end > n {
                    out.warn(
                        loc.clone(),
                        field,
                        format!(
                            "span {start}..{end} is beyond the end of {:?} ({n} code points)",
                            doc.id
                        ),
                    );
                }
            }
            Evidence::Quote { quote, .. } => match find_quote(&doc.text, quote) {
                Some(m) if m.normalised => out.warn(
                    loc.clone(),
                    format!("{field}.quote"),
                    format!(
                        "found in {:?} only after whitespace/case normalisation",
                        doc.id
                    ),
                ),
                Some(_) => {}
                None => {
                    let elsewhere = corpus
                        .into_iter()
                        .flatten()
                        .find(|d| d.id != doc.id && d.text.contains(quote.as_str()))
                        .map(|d| format!(" (it occurs in {:?})", d.id))
                        .unwrap_or_default();
                    out.warn(
                        loc.clone(),
                        format!("{field}.quote"),
                        format!("not found in {:?}{elsewhere}", doc.id),
                    );
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(id: &str, text: &str, supersedes: Option<&str>) -> Document {
        Document {
            id: id.into(),
            text: text.into(),
            supersedes: supersedes.map(Into::into),
            origin: Location::new("c.jsonl", 1),
            ..Document::default()
        }
    }

    #[test]
    fn finds_dangling_ids_missing_quotes_and_cycles() {
        let corpus = vec![
            doc("a", "Refunds within 14 days.", Some("b")),
            doc("b", "Refunds within 30 days.", Some("a")),
            doc("c", "Other text.", Some("zzz")),
        ];
        let q = Query {
            id: "q1".into(),
            relevant: vec![ragdiag_core::Judgment {
                doc: "nope".into(),
                grade: 1,
            }],
            evidence: vec![
                Evidence::Quote {
                    doc: "a".into(),
                    quote: "within 30 days".into(),
                },
                Evidence::Quote {
                    doc: "a".into(),
                    quote: "REFUNDS   within".into(),
                },
                Evidence::Span {
                    doc: "c".into(),
                    start: 0,
                    end: 500,
                },
            ],
            origin: Location::new("q.jsonl", 3),
            ..Query::default()
        };
        let unlabelled = Query {
            id: "q2".into(),
            origin: Location::new("q.jsonl", 4),
            ..Query::default()
        };
        let queries = [q, unlabelled];
        let out = cross_check(&Inputs {
            corpus: Some(&corpus),
            queries: Some(&queries),
            qrels: None,
        });
        let msgs: Vec<String> = out.items().iter().map(ToString::to_string).collect();
        let expect = [
            "c.jsonl:1: supersedes: \"zzz\" is not in the corpus",
            "c.jsonl:1: supersedes: supersession cycle: a → b → a",
            "q.jsonl:3: relevant[0].doc: \"nope\" is not in the corpus",
            "q.jsonl:3: evidence[0].quote: not found in \"a\" (it occurs in \"b\")",
            "q.jsonl:3: evidence[1].quote: found in \"a\" only after whitespace/case normalisation",
            "q.jsonl:3: evidence[2]: span 0..500 is beyond the end of \"c\" (11 code points)",
            "q.jsonl:4: id: query \"q2\" has no labels",
        ];
        assert_eq!(msgs.len(), expect.len(), "{msgs:#?}");
        for e in expect {
            assert!(
                msgs.iter().any(|m| m.starts_with(e)),
                "missing {e}\n{msgs:#?}"
            );
        }
    }
}
