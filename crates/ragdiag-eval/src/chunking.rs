//! The measuring half of `ragdiag chunking` that needs no index: which metrics a chunking
//! comparison reports, each question's values for one strategy's retrieval, and the statistics
//! across strategies.
//!
//! - [`ChunkingMetric`]: the seven per-question metrics, in report order, with their ids
//!   (`span_recall`, …, `recall@K`, `ndcg@K`, `context_tokens`), labels and the questions each
//!   is defined for ([`Scope`]).
//! - [`Space`]: every document's code points in one line, with a gap of two between
//!   documents, so a retrieved chunk of another document meets no reference but its length
//!   still counts in the precision and IoU denominators, as in Chroma's
//!   `_scores_from_dataset_and_retrievals`.
//! - [`Questions`]: the question side every strategy shares (evidence located in the space,
//!   relevance judgments, weights); [`Questions::measure`] turns one strategy's chunks and
//!   top-`k` hits into per-question values ([`crate::span`]'s recall, precision, IoU and
//!   precision-Ω, precision-Ω over all chunks of the question's evidence documents; document
//!   `recall@k` and `ndcg@k` through [`per_query_values`]; the tokens of the `k` chunks), and
//!   [`Questions::compare`] gives each metric its bootstrap interval and each strategy after
//!   the first its paired tests against the first ([`stats::paired_comparisons`]: one Holm
//!   family across every strategy × metric).

use crate::ranking::{per_query_values, DocRanking, TableError};
use crate::span;
use crate::stats::{self, Interval, Paired, PairedSample};
use ragdiag_core::{Document, Evidence, Qrels, Query};
use std::collections::HashMap;
use std::ops::Range;

/// Which questions a metric is defined for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Questions with evidence spans (or quotes located in their document).
    Span,
    /// Questions with relevance judgments.
    Doc,
    /// Every question.
    All,
}

/// A per-question metric of a chunking comparison, in report order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkingMetric {
    /// Share of the evidence text the retrieved chunks cover.
    SpanRecall,
    /// Share of the retrieved text that is evidence.
    SpanPrecision,
    /// Evidence covered over retrieved text plus uncovered evidence.
    SpanIou,
    /// The precision of an oracle retrieving exactly the chunks that meet the evidence.
    PrecisionOmega,
    /// Document recall in the top `k` chunks rolled up to documents.
    DocRecall,
    /// Document nDCG at `k`.
    DocNdcg,
    /// The tokens of the `k` retrieved chunks (what a generator reads).
    ContextTokens,
}

impl ChunkingMetric {
    /// Every metric, in report order (the order of [`StrategyValues::values`]).
    pub const ALL: [ChunkingMetric; 7] = [
        ChunkingMetric::SpanRecall,
        ChunkingMetric::SpanPrecision,
        ChunkingMetric::SpanIou,
        ChunkingMetric::PrecisionOmega,
        ChunkingMetric::DocRecall,
        ChunkingMetric::DocNdcg,
        ChunkingMetric::ContextTokens,
    ];

    /// Its position in [`ChunkingMetric::ALL`].
    #[must_use]
    pub fn index(self) -> usize {
        self as usize
    }

    /// Its id in `summary.json` and `strategies.parquet` (`recall@K` and `ndcg@K` name `k`).
    #[must_use]
    pub fn id(self, k: usize) -> String {
        match self {
            ChunkingMetric::SpanRecall => "span_recall".into(),
            ChunkingMetric::SpanPrecision => "span_precision".into(),
            ChunkingMetric::SpanIou => "span_iou".into(),
            ChunkingMetric::PrecisionOmega => "precision_omega".into(),
            ChunkingMetric::DocRecall => format!("recall@{k}"),
            ChunkingMetric::DocNdcg => format!("ndcg@{k}"),
            ChunkingMetric::ContextTokens => "context_tokens".into(),
        }
    }

    /// Its label in tables and prose.
    #[must_use]
    pub fn label(self, k: usize) -> String {
        match self {
            ChunkingMetric::SpanRecall => "recall".into(),
            ChunkingMetric::SpanPrecision => "precision".into(),
            ChunkingMetric::SpanIou => "IoU".into(),
            ChunkingMetric::PrecisionOmega => "precision-Ω".into(),
            ChunkingMetric::DocRecall | ChunkingMetric::DocNdcg => self.id(k),
            ChunkingMetric::ContextTokens => "context tokens".into(),
        }
    }

    /// The questions it is defined for.
    #[must_use]
    pub fn scope(self) -> Scope {
        match self {
            ChunkingMetric::SpanRecall
            | ChunkingMetric::SpanPrecision
            | ChunkingMetric::SpanIou
            | ChunkingMetric::PrecisionOmega => Scope::Span,
            ChunkingMetric::DocRecall | ChunkingMetric::DocNdcg => Scope::Doc,
            ChunkingMetric::ContextTokens => Scope::All,
        }
    }

    /// Whether it is a share, shown as a percentage.
    #[must_use]
    pub fn percent(self) -> bool {
        !matches!(
            self,
            ChunkingMetric::DocNdcg | ChunkingMetric::ContextTokens
        )
    }
}

/// Every document's code points in one line, with a gap of two between documents, so that
/// ranges of different documents never meet (not even by touching).
#[derive(Debug)]
pub struct Space<'a> {
    base: HashMap<&'a str, (usize, usize)>,
    texts: HashMap<&'a str, &'a str>,
}

impl<'a> Space<'a> {
    /// The space of `docs`, in their order.
    #[must_use]
    pub fn new(docs: &'a [Document]) -> Self {
        let mut base = HashMap::with_capacity(docs.len());
        let mut texts = HashMap::with_capacity(docs.len());
        let mut at = 0usize;
        for d in docs {
            let len = d.text.chars().count();
            base.insert(d.id.as_str(), (at, len));
            texts.insert(d.id.as_str(), d.text.as_str());
            at += len + 2;
        }
        Space { base, texts }
    }

    /// `start..end` of `doc` in the shared space (clamped to the document); `None` for an
    /// unknown document.
    #[must_use]
    pub fn range(&self, doc: &str, start: usize, end: usize) -> Option<Range<usize>> {
        let &(b, len) = self.base.get(doc)?;
        let (s, e) = (start.min(len), end.min(len));
        Some(b + s..b + e.max(s))
    }

    /// Each question's evidence in the shared space (quotes located in their document).
    /// Evidence in unknown documents or unlocatable quotes is left out with a warning.
    fn references(&self, queries: &[Query], warnings: &mut Vec<String>) -> Vec<Vec<Reference>> {
        queries
            .iter()
            .map(|q| {
                let mut out = Vec::new();
                for ev in &q.evidence {
                    let (doc, found) = match ev {
                        Evidence::Span { doc, start, end } => (doc, self.range(doc, *start, *end)),
                        Evidence::Quote { doc, quote } => {
                            let r = self.texts.get(doc.as_str()).and_then(|t| {
                                ragdiag_core::find_quote(t, quote)
                                    .and_then(|m| self.range(doc, m.start, m.end))
                            });
                            if r.is_none() && self.base.contains_key(doc.as_str()) {
                                warnings.push(format!(
                                    "{}: evidence: quote not found in {doc}; span metrics ignore it",
                                    q.origin
                                ));
                                continue;
                            }
                            (doc, r)
                        }
                    };
                    match found {
                        Some(range) => out.push(Reference {
                            doc: doc.clone(),
                            range,
                        }),
                        None => warnings.push(format!(
                            "{}: evidence: unknown document {doc}; span metrics ignore it",
                            q.origin
                        )),
                    }
                }
                out
            })
            .collect()
    }
}

/// A piece of evidence in the shared space, with its document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// The document id.
    pub doc: String,
    /// Its code points in the [`Space`].
    pub range: Range<usize>,
}

/// One chunk of a strategy, as its index holds it: its document and code-point span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkSpan<'a> {
    /// The document id.
    pub doc: &'a str,
    /// The first code point in the document.
    pub start: usize,
    /// The code point after the last.
    pub end: usize,
}

/// What one strategy measured, per question.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StrategyValues {
    /// Per metric (as [`ChunkingMetric::ALL`]), the values of its eligible questions in
    /// question order.
    pub values: Vec<Vec<f64>>,
    /// Every chunk's tokens (by the spec's tokenizer), in chunk-key order.
    pub tokens: Vec<usize>,
}

/// The statistics of one strategy.
#[derive(Debug, Clone, PartialEq)]
pub struct StrategyStats {
    /// Per metric, the mean with its bootstrap interval (`None`: no eligible question).
    pub intervals: Vec<Option<Interval>>,
    /// Tokens per chunk, the mean with its bootstrap interval over chunks.
    pub tokens: Option<Interval>,
    /// Per metric, the paired comparison with the first strategy and its Holm-adjusted p
    /// (`None` for the first strategy, and where the first has no eligible question).
    pub vs_first: Vec<Option<(Paired, f64)>>,
}

/// The question side of a chunking comparison, shared by every strategy.
#[derive(Debug)]
pub struct Questions<'a> {
    /// The questions.
    pub queries: &'a [Query],
    /// The corpus's shared code-point space.
    pub space: Space<'a>,
    /// Each question's evidence in the space.
    pub references: Vec<Vec<Reference>>,
    /// The relevance judgments of the questions.
    pub qrels: Qrels,
    /// Chunks retrieved per question.
    pub k: usize,
    /// Evidence the span metrics leave out (unknown documents, quotes not found).
    pub warnings: Vec<String>,
}

impl<'a> Questions<'a> {
    /// The questions over `docs`, their evidence located, judged at depth `k`.
    #[must_use]
    pub fn new(docs: &'a [Document], queries: &'a [Query], k: usize) -> Self {
        let space = Space::new(docs);
        let mut warnings = Vec::new();
        let references = space.references(queries, &mut warnings);
        Questions {
            queries,
            space,
            references,
            qrels: Qrels::from_queries(queries),
            k,
            warnings,
        }
    }

    /// Whether question `qi` has values for metrics of `scope`.
    #[must_use]
    pub fn eligible(&self, scope: Scope, qi: usize) -> bool {
        match scope {
            Scope::Span => !self.references[qi].is_empty(),
            Scope::Doc => self.qrels.get(&self.queries[qi].id).is_some(),
            Scope::All => true,
        }
    }

    /// How many questions have values for metrics of `scope`.
    #[must_use]
    pub fn count(&self, scope: Scope) -> usize {
        (0..self.queries.len())
            .filter(|&qi| self.eligible(scope, qi))
            .count()
    }

    /// The relative weights of the questions of `scope` (`None`: all equal).
    fn weights(&self, scope: Scope) -> Option<Vec<f64>> {
        let w: Vec<f64> = self
            .queries
            .iter()
            .enumerate()
            .filter(|(qi, _)| self.eligible(scope, *qi))
            .map(|(_, q)| q.weight)
            .collect();
        stats::relative_weights(w)
    }

    /// Each question's values for one strategy: `chunks` are its chunks by key, `tokens` their
    /// token counts, `top` each question's retrieved chunk keys, best first (the first `k`
    /// count), and `rankings` each question's documents rolled up from its top `k` chunks
    /// (needed when some question is judged).
    ///
    /// # Errors
    ///
    /// [`per_query_values`]'s, for rankings that rank a document twice.
    pub fn measure(
        &self,
        chunks: &[ChunkSpan<'_>],
        tokens: Vec<usize>,
        top: &[Vec<u32>],
        rankings: Option<&[DocRanking]>,
    ) -> Result<StrategyValues, TableError> {
        // Chunks in the shared space, and per document for precision-Ω.
        let ranges: Vec<Range<usize>> = chunks
            .iter()
            .map(|c| self.space.range(c.doc, c.start, c.end).unwrap_or(0..0))
            .collect();
        let mut by_doc: HashMap<&str, Vec<Range<usize>>> = HashMap::new();
        for (c, r) in chunks.iter().zip(&ranges) {
            by_doc.entry(c.doc).or_default().push(r.clone());
        }
        let doc_metrics = match rankings {
            Some(rankings) if !self.qrels.is_empty() => self.doc_metrics(rankings)?,
            _ => HashMap::new(),
        };
        let mut values: Vec<Vec<f64>> = vec![Vec::new(); ChunkingMetric::ALL.len()];
        let mut push = |m: ChunkingMetric, v: f64| values[m.index()].push(v);
        for (qi, (q, hits)) in self.queries.iter().zip(top).enumerate() {
            let top = &hits[..hits.len().min(self.k)];
            let refs = &self.references[qi];
            if !refs.is_empty() {
                let retrieved: Vec<Range<usize>> = top
                    .iter()
                    .map(|&key| ranges[key as usize].clone())
                    .collect();
                let rr: Vec<Range<usize>> = refs.iter().map(|r| r.range.clone()).collect();
                let (recall, precision, iou) = span::retrieval_scores(&retrieved, &rr);
                let mut docs: Vec<&str> = refs.iter().map(|r| r.doc.as_str()).collect();
                docs.sort_unstable();
                docs.dedup();
                let all: Vec<Range<usize>> = docs
                    .iter()
                    .flat_map(|d| by_doc.get(d).into_iter().flatten().cloned())
                    .collect();
                push(ChunkingMetric::SpanRecall, recall);
                push(ChunkingMetric::SpanPrecision, precision);
                push(ChunkingMetric::SpanIou, iou);
                push(
                    ChunkingMetric::PrecisionOmega,
                    span::precision_omega(&all, &rr),
                );
            }
            if self.eligible(Scope::Doc, qi) {
                let v = doc_metrics.get(&q.id).copied().unwrap_or([0.0, 0.0]);
                push(ChunkingMetric::DocRecall, v[0]);
                push(ChunkingMetric::DocNdcg, v[1]);
            }
            let context: usize = top.iter().map(|&key| tokens[key as usize]).sum();
            push(ChunkingMetric::ContextTokens, context as f64);
        }
        Ok(StrategyValues { values, tokens })
    }

    /// Each judged question's `[recall@k, ndcg@k]`.
    fn doc_metrics(
        &self,
        rankings: &[DocRanking],
    ) -> Result<HashMap<String, [f64; 2]>, TableError> {
        let names = [
            ChunkingMetric::DocRecall.id(self.k),
            ChunkingMetric::DocNdcg.id(self.k),
        ];
        // Per-question values only: the intervals across strategies are made later, so none
        // are bootstrapped here.
        let evaluated = per_query_values(rankings, &self.qrels, self.queries, &names)?;
        let idx: Vec<usize> = names
            .iter()
            .map(|n| evaluated.names.iter().position(|x| x == n).unwrap_or(0))
            .collect();
        Ok(evaluated
            .values
            .iter()
            .map(|(qid, v)| (qid.to_owned(), [v[idx[0]], v[idx[1]]]))
            .collect())
    }

    /// The statistics of every strategy (the first is the baseline): each metric's mean with
    /// its bootstrap interval (weighted by the questions' weights), tokens per chunk with its
    /// interval, and each later strategy's paired tests against the first, Holm-corrected
    /// across every strategy × metric.
    #[must_use]
    pub fn compare(&self, strategies: &[&StrategyValues], seed: u64) -> Vec<StrategyStats> {
        let cfg = stats::Config {
            seed,
            ..stats::Config::default()
        };
        let weights: Vec<Option<Vec<f64>>> = ChunkingMetric::ALL
            .iter()
            .map(|m| self.weights(m.scope()))
            .collect();
        let mut out: Vec<StrategyStats> = strategies
            .iter()
            .map(|s| {
                let intervals = s
                    .values
                    .iter()
                    .zip(&weights)
                    .map(|(v, w)| {
                        (!v.is_empty()).then(|| stats::bootstrap_means(&[v], w.as_deref(), &cfg)[0])
                    })
                    .collect();
                let t: Vec<f64> = s.tokens.iter().map(|&t| t as f64).collect();
                let tokens = (!t.is_empty()).then(|| stats::bootstrap_means(&[&t], None, &cfg)[0]);
                StrategyStats {
                    intervals,
                    tokens,
                    vs_first: vec![None; ChunkingMetric::ALL.len()],
                }
            })
            .collect();
        let mut samples = Vec::new();
        for (si, s) in strategies.iter().enumerate().skip(1) {
            for (m, w) in weights.iter().enumerate() {
                let a = &strategies[0].values[m];
                if !a.is_empty() {
                    samples
                        .push(PairedSample::new((si, m), a, &s.values[m]).weighted(w.as_deref()));
                }
            }
        }
        for c in stats::paired_comparisons(samples, &cfg) {
            let (si, m) = c.key;
            out[si].vs_first[m] = Some((c.paired, c.p_holm));
        }
        out
    }
}

/// The 95th percentile of `tokens` (nearest rank, rounded), `None` when empty.
#[must_use]
pub fn p95(tokens: &[usize]) -> Option<usize> {
    let mut t = tokens.to_vec();
    t.sort_unstable();
    if t.is_empty() {
        return None;
    }
    let i = ((t.len() as f64 - 1.0) * 0.95).round() as usize;
    Some(t[i.min(t.len() - 1)])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(id: &str, text: &str) -> Document {
        Document {
            id: id.into(),
            text: text.into(),
            ..Document::default()
        }
    }

    fn query(id: &str, evidence: Vec<Evidence>, relevant: &[&str]) -> Query {
        Query {
            id: id.into(),
            text: id.into(),
            evidence,
            relevant: relevant
                .iter()
                .map(|d| ragdiag_core::Judgment {
                    doc: (*d).into(),
                    grade: 1,
                })
                .collect(),
            weight: 1.0,
            ..Query::default()
        }
    }

    #[test]
    fn documents_never_meet_in_the_space() {
        let docs = [doc("a", "héllo"), doc("b", "world!")];
        let s = Space::new(&docs);
        assert_eq!(s.range("a", 0, 5), Some(0..5));
        assert_eq!(s.range("a", 3, 99), Some(3..5));
        assert_eq!(s.range("b", 0, 6), Some(7..13));
        assert_eq!(s.range("c", 0, 1), None);
    }

    #[test]
    fn evidence_is_located_or_warned_about() {
        let docs = [doc("a", "Refunds take 14 days."), doc("b", "Ship fast.")];
        let quote = |d: &str, q: &str| Evidence::Quote {
            doc: d.into(),
            quote: q.into(),
        };
        let queries = [
            query(
                "q1",
                vec![quote("a", "14 days"), quote("a", "never")],
                &["a"],
            ),
            query(
                "q2",
                vec![Evidence::Span {
                    doc: "zz".into(),
                    start: 0,
                    end: 1,
                }],
                &[],
            ),
        ];
        let q = Questions::new(&docs, &queries, 1);
        assert_eq!(
            q.references[0],
            [Reference {
                doc: "a".into(),
                range: 13..20
            }]
        );
        assert!(q.references[1].is_empty());
        assert_eq!(q.warnings.len(), 2, "{:?}", q.warnings);
        assert!(q.warnings[0].contains("quote not found in a"));
        assert!(q.warnings[1].contains("unknown document zz"));
        assert_eq!(q.count(Scope::Span), 1);
        assert_eq!(q.count(Scope::Doc), 1);
        assert_eq!(q.count(Scope::All), 2);
    }

    #[test]
    fn measure_and_compare_two_strategies() {
        // "Refunds take 14 days." (21 code points), evidence "14 days" at 13..20.
        let docs = [doc("a", "Refunds take 14 days."), doc("b", "Ship fast.")];
        let queries = [query(
            "q1",
            vec![Evidence::Span {
                doc: "a".into(),
                start: 13,
                end: 20,
            }],
            &["a"],
        )];
        let q = Questions::new(&docs, &queries, 1);
        let whole = [
            ChunkSpan {
                doc: "a",
                start: 0,
                end: 21,
            },
            ChunkSpan {
                doc: "b",
                start: 0,
                end: 10,
            },
        ];
        let rankings = [DocRanking {
            qid: "q1".into(),
            docs: vec![("a".into(), 1.0)],
        }];
        let a = q
            .measure(&whole, vec![5, 3], &[vec![0, 1]], Some(&rankings))
            .unwrap();
        assert_eq!(a.values[ChunkingMetric::SpanRecall.index()], [1.0]);
        assert_eq!(
            a.values[ChunkingMetric::SpanPrecision.index()],
            [7.0 / 21.0]
        );
        assert_eq!(a.values[ChunkingMetric::DocRecall.index()], [1.0]);
        // Only the first k = 1 chunk counts.
        assert_eq!(a.values[ChunkingMetric::ContextTokens.index()], [5.0]);
        let halves = [
            ChunkSpan {
                doc: "a",
                start: 0,
                end: 13,
            },
            ChunkSpan {
                doc: "a",
                start: 13,
                end: 21,
            },
        ];
        let b = q
            .measure(&halves, vec![3, 2], &[vec![1]], Some(&rankings))
            .unwrap();
        assert_eq!(b.values[ChunkingMetric::SpanIou.index()], [7.0 / 8.0]);
        // The first half touches the evidence, so it meets it (Chroma's rule): Ω spans both.
        assert_eq!(
            b.values[ChunkingMetric::PrecisionOmega.index()],
            [7.0 / 21.0]
        );
        let stats = q.compare(&[&a, &b], 7);
        assert!(stats[0].vs_first.iter().all(Option::is_none));
        let (p, holm) = stats[1].vs_first[ChunkingMetric::SpanIou.index()].unwrap();
        assert!((p.diff.estimate - (7.0 / 8.0 - 7.0 / 21.0)).abs() < 1e-12);
        assert!(holm >= p.p_randomization);
        assert_eq!(stats[1].tokens.unwrap().estimate, 2.5);
        assert_eq!(p95(&[1, 9, 3]), Some(9));
        assert_eq!(p95(&[]), None);
    }

    #[test]
    fn metric_ids_and_labels() {
        let ids: Vec<String> = ChunkingMetric::ALL.iter().map(|m| m.id(5)).collect();
        assert_eq!(
            ids,
            [
                "span_recall",
                "span_precision",
                "span_iou",
                "precision_omega",
                "recall@5",
                "ndcg@5",
                "context_tokens"
            ]
        );
        assert_eq!(ChunkingMetric::PrecisionOmega.label(5), "precision-Ω");
        assert!(!ChunkingMetric::DocNdcg.percent());
        assert_eq!(ChunkingMetric::ContextTokens.index(), 6);
    }
}
