//! The reranker's impact: the pre-rerank candidates against the final ranking, question by
//! question (trace mode, `candidates`).

use crate::{Briefs, Class, RerankEffect};
use ragdiag_contract::{Comparison, Interval, RerankShare, RerankerImpact};
use ragdiag_eval::stats::{self, PairedComparison, PairedSample};

/// A per-question value of the best evidence rank (`None`: not found).
type RankMetric<'a> = dyn Fn(Option<usize>) -> f64 + 'a;

/// The reranker's impact over the answerable labelled questions with candidates; `None` when
/// there are none. Shares are weighted by traffic (Wilson, Kish's effective n); the paired
/// tests (final ranking against candidates on `hit@1`, `hit@K` and `evidence_mrr`) are
/// weighted the same way and Holm-corrected together.
#[must_use]
pub fn reranker_impact(ds: &Briefs, context_k: usize, seed: u64) -> Option<RerankerImpact> {
    let idx: Vec<usize> = (0..ds.len())
        .filter(|&i| {
            ds.get(i).rerank.is_some() && ds.class(i) != Class::NoLabel && ds.answerable(i)
        })
        .collect();
    if idx.is_empty() {
        return None;
    }
    let weights = stats::relative_weights(idx.iter().map(|&i| ds.weight(i)).collect());
    let level = stats::Config::default().level;
    let share = |effect: RerankEffect| -> RerankShare {
        let had = |i: usize| ds.get(i).rerank.is_some_and(|r| r.effect == effect);
        let v: Vec<f64> = idx.iter().map(|&i| f64::from(u8::from(had(i)))).collect();
        let iv = stats::wilson(&v, weights.as_deref(), level);
        let mut ids: Vec<usize> = idx.iter().copied().filter(|&i| had(i)).collect();
        ids.sort_by(|&a, &b| {
            ds.weight(b)
                .total_cmp(&ds.weight(a))
                .then_with(|| ds.id(a).cmp(ds.id(b)))
        });
        RerankShare {
            count: ids.len(),
            share: Interval::of(iv.estimate, iv.lower, iv.upper, iv.n),
            queries: ids.into_iter().map(|i| ds.id(i).to_string()).collect(),
        }
    };
    let hit = |r: Option<usize>, k: usize| f64::from(u8::from(r.is_some_and(|r| r <= k)));
    let rr = |r: Option<usize>| r.map_or(0.0, |r| 1.0 / r as f64);
    let column = |f: &dyn Fn(Option<usize>) -> f64, before: bool| -> Vec<f64> {
        idx.iter()
            .map(|&i| {
                let o = ds.get(i).rerank.expect("filtered on rerank");
                f(if before { o.before } else { o.after })
            })
            .collect()
    };
    let metrics: [(String, &RankMetric<'_>); 3] = [
        ("hit@1".to_owned(), &|r| hit(r, 1)),
        (format!("hit@{context_k}"), &|r| hit(r, context_k)),
        ("evidence_mrr".to_owned(), &rr),
    ];
    let samples = metrics.iter().map(|(name, f)| {
        PairedSample::new(name.clone(), column(*f, true), column(*f, false))
            .weighted(weights.clone())
    });
    let cfg = stats::Config {
        seed,
        ..stats::Config::default()
    };
    let comparisons = stats::paired_comparisons(samples, &cfg)
        .into_iter()
        .map(comparison)
        .collect();
    Some(RerankerImpact {
        questions: idx.len(),
        context_k,
        helped: share(RerankEffect::Helped),
        hurt: share(RerankEffect::Hurt),
        neutral: share(RerankEffect::Neutral),
        comparisons,
    })
}

/// One paired test as the contract writes it: `retrieved` against `candidates`.
fn comparison(c: PairedComparison<String>) -> Comparison {
    let metric = c.key.clone();
    crate::compare::contract_comparison(&c, "candidates", "retrieved", metric)
}
