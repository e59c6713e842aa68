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
    // Where an id occurs twice (only when the caller bypasses the loaders, which keep ids
    // unique) the last document with it is the one that `supersedes` leads to.
    let by_id: FxHashMap<&str, usize> = corpus
        .iter()
        .enumerate()
        .map(|(i, d)| (d.id.as_str(), i))
        .collect();
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
    // Cycles: report each once, at its smallest id, in corpus order, written from that id
    // round to itself. One walk over the graph `document → the document it supersedes` (every
    // document has at most one out-edge) finds them all in linear time.
    let next: Vec<Option<usize>> = corpus
        .iter()
        .map(|d| {
            d.supersedes
                .as_deref()
                .and_then(|id| by_id.get(id).copied())
        })
        .collect();
    let followed = |i: usize| by_id.get(corpus[i].id.as_str()) == Some(&i);
    let walks = Walks::new(corpus, &next, followed);
    let mut reported: FxHashSet<&str> = FxHashSet::default();
    for (i, d) in corpus.iter().enumerate() {
        let names = if followed(i) {
            if !walks.cycle_min[i] || reported.contains(d.id.as_str()) {
                continue;
            }
            let mut names = vec![d.id.as_str()];
            let mut k = i;
            while let Some(n) = next[k] {
                names.push(corpus[n].id.as_str());
                if n == i {
                    break;
                }
                k = n;
            }
            names
        } else {
            match walks.back_to_own_id(corpus, &next, &by_id, i) {
                Some(names) if !reported.contains(d.id.as_str()) => names,
                _ => continue,
            }
        };
        reported.insert(d.id.as_str());
        out.warn(
            d.origin.clone(),
            "supersedes",
            format!("supersession cycle: {}", names.join(" → ")),
        );
    }
}

/// Where following `supersedes` leads, computed for every followed document in one pass.
struct Walks {
    /// The document is on a cycle and has the smallest id on it.
    cycle_min: Vec<bool>,
    /// Where the walk from the document ends: its cycle's smallest-id member, or the last
    /// document of its chain. Two documents reach each other only if these agree.
    end: Vec<usize>,
}

impl Walks {
    /// Three-colour walk over the followed documents (each edge is taken once).
    fn new(corpus: &[Document], next: &[Option<usize>], followed: impl Fn(usize) -> bool) -> Self {
        const NEW: u8 = 0;
        const ON_PATH: u8 = 1;
        const DONE: u8 = 2;
        let n = corpus.len();
        let mut state = vec![NEW; n];
        let mut cycle_min = vec![false; n];
        let mut end = vec![usize::MAX; n];
        let mut path: Vec<usize> = Vec::new();
        for start in 0..n {
            if state[start] != NEW || !followed(start) {
                continue;
            }
            let mut k = start;
            let e = loop {
                state[k] = ON_PATH;
                path.push(k);
                match next[k] {
                    None => break k,
                    Some(m) if state[m] == DONE => break end[m],
                    Some(m) if state[m] == ON_PATH => {
                        // The cycle is the path from `m` on; it is found from its end, so the
                        // search costs the cycle's length.
                        let from = path.iter().rposition(|&p| p == m).unwrap_or(0);
                        let min = path[from..]
                            .iter()
                            .copied()
                            .min_by(|&a, &b| corpus[a].id.cmp(&corpus[b].id))
                            .unwrap_or(m);
                        cycle_min[min] = true;
                        break min;
                    }
                    Some(m) => k = m,
                }
            };
            for p in path.drain(..) {
                state[p] = DONE;
                end[p] = e;
            }
        }
        Walks { cycle_min, end }
    }

    /// For a document whose id a later document also has (so `supersedes` never leads to it):
    /// the cycle through its id when the walk from it comes back to that id with no smaller id
    /// on the way, as the per-document walk this replaces decided.
    fn back_to_own_id<'a>(
        &self,
        corpus: &'a [Document],
        next: &[Option<usize>],
        by_id: &FxHashMap<&str, usize>,
        i: usize,
    ) -> Option<Vec<&'a str>> {
        let own = corpus[i].id.as_str();
        let target = *by_id.get(own)?;
        let mut k = next[i]?;
        if self.end[k] != self.end[target] {
            return None;
        }
        let mut names = vec![own];
        let mut seen: FxHashSet<usize> = FxHashSet::default();
        loop {
            let id = corpus[k].id.as_str();
            names.push(id);
            if k == target {
                return Some(names);
            }
            if id < own || !seen.insert(k) {
                return None;
            }
            k = next[k]?;
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

    /// The per-document walk `check_supersession` replaced (cubic on a long chain), kept as the
    /// reference its findings must equal.
    fn supersession_by_walking(corpus: &[Document]) -> Vec<String> {
        let by_id: FxHashMap<&str, &Document> = corpus.iter().map(|d| (d.id.as_str(), d)).collect();
        let mut out = Diagnostics::default();
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
        out.items().iter().map(ToString::to_string).collect()
    }

    fn supersession(corpus: &[Document]) -> Vec<String> {
        let mut out = Diagnostics::default();
        check_supersession(corpus, &mut out);
        out.items().iter().map(ToString::to_string).collect()
    }

    fn at(id: String, supersedes: Option<String>, line: u64) -> Document {
        Document {
            id,
            supersedes,
            origin: Location::new("c.jsonl", line),
            ..Document::default()
        }
    }

    #[test]
    fn a_cycle_closing_a_long_chain_with_a_tail_into_it_is_reported_once() {
        // v0 → v299 → v298 → … → v1 → v0 (each supersedes the one before, v0 closes the loop),
        // and a tail w299 → … → w0 → v150 running into the middle of it (a "rho").
        let n = 300;
        let mut corpus: Vec<Document> = (0..n)
            .map(|i| {
                let old = if i == 0 { n - 1 } else { i - 1 };
                at(format!("v{i}"), Some(format!("v{old}")), i as u64 + 1)
            })
            .collect();
        corpus.extend((0..n).map(|j| {
            let old = if j == 0 {
                "v150".to_string()
            } else {
                format!("w{}", j - 1)
            };
            at(format!("w{j}"), Some(old), (n + j) as u64 + 1)
        }));
        let msgs = supersession(&corpus);
        let mut cycle = vec!["v0".to_string()];
        cycle.extend((1..n).rev().map(|i| format!("v{i}")));
        cycle.push("v0".into());
        assert_eq!(
            msgs,
            [
                format!(
                    "c.jsonl:{}: supersedes: \"v150\" is superseded by both \"v151\" and \"w0\"",
                    n + 1
                ),
                format!(
                    "c.jsonl:1: supersedes: supersession cycle: {}",
                    cycle.join(" → ")
                ),
            ]
        );
        assert_eq!(msgs, supersession_by_walking(&corpus));
    }

    #[test]
    fn a_tail_into_a_small_cycle_is_reported_at_the_smallest_id() {
        // t0 → t1 → … → t49 → c3 → c1 → c2 → c3, with the cycle's members listed out of order.
        let mut corpus: Vec<Document> = (0..50)
            .map(|i| {
                let old = if i == 49 {
                    "c3".to_string()
                } else {
                    format!("t{}", i + 1)
                };
                at(format!("t{i}"), Some(old), i + 1)
            })
            .collect();
        corpus.push(at("c3".into(), Some("c1".into()), 51));
        corpus.push(at("c2".into(), Some("c3".into()), 52));
        corpus.push(at("c1".into(), Some("c2".into()), 53));
        let msgs = supersession(&corpus);
        assert_eq!(
            msgs,
            [
                "c.jsonl:52: supersedes: \"c3\" is superseded by both \"t49\" and \"c2\"",
                "c.jsonl:53: supersedes: supersession cycle: c1 → c2 → c3 → c1",
            ]
        );
        assert_eq!(msgs, supersession_by_walking(&corpus));
    }

    #[test]
    fn a_chain_of_a_hundred_thousand_documents_is_checked_in_linear_time() {
        // Each document supersedes the one before: no finding. The per-document walk took
        // minutes on 8,000 documents; this must take well under a second, even unoptimised.
        let n = 100_000;
        let corpus: Vec<Document> = (0..n)
            .map(|i| {
                at(
                    format!("v{i}"),
                    (i > 0).then(|| format!("v{}", i - 1)),
                    i + 1,
                )
            })
            .collect();
        assert_eq!(supersession(&corpus), Vec::<String>::new());
        // Closed into one cycle, it is reported once, at v0, with every id.
        let mut corpus = corpus;
        corpus[0].supersedes = Some(format!("v{}", n - 1));
        let msgs = supersession(&corpus);
        assert_eq!(msgs.len(), 1);
        assert!(
            msgs[0]
                .starts_with("c.jsonl:1: supersedes: supersession cycle: v0 → v99999 → v99998 → "),
            "{}",
            &msgs[0][..100]
        );
        assert!(msgs[0].ends_with(" → v1 → v0"));
        assert_eq!(msgs[0].matches(" → ").count(), n as usize);
    }

    proptest::proptest! {
        /// Random `supersedes` graphs over a few ids (dangling, doubled, repeated ids, self
        /// loops, cycles with tails): exactly the reference's findings, in its order.
        #[test]
        fn same_findings_as_the_per_document_walk(
            edges in proptest::collection::vec((0u8..12, proptest::option::of(0u8..14)), 0..24)
        ) {
            let corpus: Vec<Document> = edges
                .iter()
                .enumerate()
                .map(|(line, &(id, old))| {
                    at(format!("d{id}"), old.map(|o| format!("d{o}")), line as u64 + 1)
                })
                .collect();
            proptest::prop_assert_eq!(supersession(&corpus), supersession_by_walking(&corpus));
        }
    }
}
