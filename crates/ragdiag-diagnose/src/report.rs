//! From diagnoses to the typed `summary.json` of `ragdiag diagnose`: the figures with their
//! intervals, the gates, and the plain-language headline.

use crate::tally::{RankFigures, RankTally};
use crate::{Briefs, Class, Diagnosis, Flag, RecordFigures, RetrievedItem};
use ragdiag_contract::freshness::RetrievalStaleness;
use ragdiag_contract::table::{Column, Values, QUERIES};
use ragdiag_contract::{
    ClassEntry, DiagnoseSummary, FlagEntry, Gate, GateOn, Generation, Interval, Latency, Mode,
    Provenance, QuestionCounts, RecallPoint, RetrievalFreshness, StaleHitRate, TagEntry,
    ThresholdTarget, Tokens, DIAGNOSE_SCHEMA_VERSION,
};
use ragdiag_core::{pct, Document, Query, TraceRecord};
use ragdiag_eval::{stats, DocRanking, MetricTable};
use ragdiag_fresh::Audit;
use std::collections::{BTreeMap, HashSet};

/// Depths of the evidence-recall curve.
const CURVE: [usize; 9] = [1, 2, 3, 5, 10, 20, 30, 50, 100];

/// Everything a diagnosis summary is made from.
#[derive(Debug)]
pub struct SummaryInput<'a> {
    /// Trace or replay: in trace mode the summary has answer quality, latency, tokens, cost
    /// and the score-floor sweep (from the briefs' answers and records).
    pub mode: Mode,
    /// The report's name.
    pub name: Option<String>,
    /// The context window.
    pub context_k: usize,
    /// The candidate pool.
    pub pool_k: usize,
    /// The seed of the bootstrap intervals (means of graded metrics).
    pub seed: u64,
    /// `--fail-under` thresholds, metric by metric.
    pub gates: &'a [(String, f64)],
    /// What the gates compare.
    pub gate_on: GateOn,
    /// The corpus.
    pub docs: &'a [Document],
    /// Its freshness audit.
    pub audit: &'a Audit,
    /// What the summary reads of each question and its diagnosis ([`Brief::of`], taken with
    /// the thresholds of `thresholds`; in trace mode with each question's record, whose
    /// latency and token figures the summary reads): nothing else of the questions is read
    /// but their judgments when `figures` asks for them.
    pub briefs: &'a Briefs,
    /// What the summary reads of each question's ranked items, aligned with `briefs` (its
    /// rankings may be left empty when `figures` were tallied).
    pub ranked: Ranked,
    /// The figures of the rankings: tallied as they came, or to be tallied here.
    pub figures: Figures<'a>,
    /// Problems of meaning found in the inputs.
    pub warnings: Vec<String>,
    /// What produced the report.
    pub provenance: Provenance,
    /// The score-floor sweep's target and operating point (trace mode).
    pub thresholds: ThresholdOptions,
    /// Token prices per million tokens (`--price`), for the cost figures (trace mode).
    pub price: Option<ragdiag_contract::Price>,
}

/// Where the summary's ranking figures come from.
#[derive(Debug)]
pub enum Figures<'a> {
    /// Tallied as they came ([`crate::RankTally`]: `ragdiag diagnose` tallies them as it
    /// writes each part's rows).
    Tallied(Box<RankFigures>),
    /// Tallied here from [`SummaryInput::ranked`]'s rankings against the judgments of these
    /// questions (aligned with the briefs).
    Tally(&'a [Query]),
}

/// What the summary reads of each question's retrieved items (so that a streamed diagnosis
/// can let the items go once their rows of `hits.parquet` are written): its document ranking
/// and the scores of its first two items.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ranked {
    /// Each question's documents in the order of their first item ([`doc_ranking`]).
    pub rankings: Vec<DocRanking>,
    /// What the summary reads of the scores of each question's first two items
    /// ([`lead_scores`]).
    pub lead_scores: Leads,
}

/// The scores of a question's first two retrieved items (the score-floor sweep reads the
/// first; whether scores rise with rank, both).
pub type LeadScores = [Option<f64>; 2];

/// What the score-floor sweep reads of every question's [`LeadScores`], in 8 bytes a question
/// (not 32): each question's top score when it is finite (the sweep leaves the others out,
/// [`crate::threshold::outcomes`]), and, counted as they come, how many questions have two
/// scores and how many of those rise with rank.
#[derive(Debug, Clone, Default)]
pub struct Leads {
    /// Per question, its top score; NaN when it has none or it is not finite.
    top: Vec<f64>,
    /// Questions with two scores, and those whose second is above the first.
    pairs: usize,
    rising: usize,
}

impl Leads {
    /// Adds the next question's scores.
    pub fn push(&mut self, [first, second]: LeadScores) {
        self.top
            .push(first.filter(|s| s.is_finite()).unwrap_or(f64::NAN));
        if let (Some(a), Some(b)) = (first, second) {
            self.pairs += 1;
            if a < b {
                self.rising += 1;
            }
        }
    }

    /// Room for `n` more questions.
    pub fn reserve(&mut self, n: usize) {
        self.top.reserve(n);
    }

    /// How many questions.
    #[must_use]
    pub fn len(&self) -> usize {
        self.top.len()
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.top.is_empty()
    }

    /// Question `i`'s top score, when it has one and it is finite.
    ///
    /// # Panics
    ///
    /// When there are not more than `i` questions.
    #[must_use]
    pub fn top(&self, i: usize) -> Option<f64> {
        Some(self.top[i]).filter(|s| !s.is_nan())
    }

    /// Whether the scores rise with rank (distances rather than similarities) for most
    /// questions with two scores: then a floor on the top score means nothing.
    #[must_use]
    pub fn rise_with_rank(&self) -> bool {
        self.pairs > 0 && self.rising * 2 > self.pairs
    }
}

impl Extend<LeadScores> for Leads {
    fn extend<I: IntoIterator<Item = LeadScores>>(&mut self, leads: I) {
        for lead in leads {
            self.push(lead);
        }
    }
}

impl PartialEq for Leads {
    /// The same scores to the bit (NaN: none), and the same counts.
    fn eq(&self, other: &Self) -> bool {
        (self.pairs, self.rising) == (other.pairs, other.rising)
            && self.top.len() == other.top.len()
            && self
                .top
                .iter()
                .zip(&other.top)
                .all(|(a, b)| a.to_bits() == b.to_bits())
    }
}

/// The scores of `items`' first two items.
#[must_use]
pub fn lead_scores(items: &[RetrievedItem]) -> LeadScores {
    [
        items.first().and_then(|i| i.score),
        items.get(1).and_then(|i| i.score),
    ]
}

impl Ranked {
    /// What the summary reads of `items` (aligned with `queries`).
    #[must_use]
    pub fn of(queries: &[Query], items: &[Vec<RetrievedItem>]) -> Ranked {
        let mut ranked = Ranked::default();
        for (q, list) in queries.iter().zip(items) {
            ranked.push(&q.id, list);
        }
        ranked
    }

    /// Adds question `qid`'s items.
    pub fn push(&mut self, qid: &str, items: &[RetrievedItem]) {
        self.rankings.push(doc_ranking(qid, items));
        self.lead_scores.push(lead_scores(items));
    }
}

/// The settings of the score-floor sweep ([`crate::threshold`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ThresholdOptions {
    /// What the recommended floor must meet.
    pub target: ThresholdTarget,
    /// The system's current floor on the top score (`--score-floor`), if named.
    pub current: Option<f64>,
    /// The answer F1 at which an answer is correct (the review queue's borderline F1, taken
    /// into each question's brief: [`crate::BriefContext::new`]).
    pub answer_f1: f64,
    /// The grounded token share of a sentence (the review queue's borderline groundedness,
    /// likewise).
    pub ground_token_share: f64,
}

/// A diagnosis evaluated: its summary, each question's document ranking as it was handed
/// over, and, with judgments, the document-level metrics per question.
#[derive(Debug, Clone)]
pub struct Evaluated {
    /// `summary.json`.
    pub summary: DiagnoseSummary,
    /// Each question's documents in the order of their first chunk: those of
    /// [`SummaryInput::ranked`] (the report's `run.trec` when they were held whole; when the
    /// figures were tallied as they came, a streamed trace's released questions' entries are
    /// emptied: no id, no document).
    pub rankings: Vec<DocRanking>,
    /// trec_eval's measures of [`ragdiag_contract::table::QUERY_MEASURES`] per question, when
    /// there are judgments.
    pub table: Option<MetricTable>,
    /// [`RankFigures::judged_at`] (the golden-set panel's judged@k).
    pub judged_at: Vec<(usize, ragdiag_eval::coded::CodedRows)>,
    /// Every queued question of the review queue (`review.csv`, each row made from the
    /// briefs as it is written; the summary lists the first
    /// [`ragdiag_contract::REVIEW_LISTED`]).
    pub review_rows: crate::review::Queued,
}

/// Why a diagnosis could not be summarised.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SummaryError {
    /// The document rankings could not be evaluated.
    #[error(transparent)]
    Table(#[from] ragdiag_eval::TableError),
    /// A gate names a metric the summary does not have.
    #[error(transparent)]
    Gate(#[from] UnknownMetric),
    /// The tally's store failed ([`RankTally::with_store`]).
    #[error(transparent)]
    Tally(crate::TallyError),
}

impl From<crate::TallyError> for SummaryError {
    fn from(e: crate::TallyError) -> Self {
        match e {
            crate::TallyError::Table(t) => SummaryError::Table(t),
            other => SummaryError::Tally(other),
        }
    }
}

/// A gate names a metric the summary does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("--fail-under: unknown metric {metric:?} (this report has {known:?})")]
pub struct UnknownMetric {
    /// The metric asked for.
    pub metric: String,
    /// The metrics the summary has.
    pub known: Vec<String>,
}

/// Evaluates a diagnosis and builds its summary: document rankings from the retrieved items,
/// trec_eval's measures per question (with judgments), the staleness of what was retrieved,
/// metrics (hit@K over the answerable scored questions, weighted), the recall curve, class
/// shares, flags, freshness, tags, answer quality, latency and tokens (trace mode), gates and
/// the headline.
///
/// Every proportion (hit@K and the recall curve, class and flag shares, tag hit rates, stale
/// shares, correct, grounded and abstained shares) carries a Wilson score interval
/// ([`stats::wilson`], Kish's effective n for weighted ones), which is not degenerate at 0/n
/// or n/n; the means of graded metrics (recall@k, nDCG, MRR, MAP) carry the percentile
/// bootstrap of [`ragdiag_eval::metric_table`].
///
/// # Errors
///
/// `SummaryError`: a ranking that trec_eval's semantics refuse, or a gate naming a metric
/// the summary does not have.
pub fn build_summary(input: SummaryInput<'_>) -> Result<Evaluated, SummaryError> {
    let ds = input.briefs;
    let Ranked {
        rankings,
        lead_scores,
    } = input.ranked;
    let figures = match input.figures {
        Figures::Tallied(f) => *f,
        Figures::Tally(queries) => {
            let mut tally = RankTally::new(input.context_k, input.docs, input.audit);
            tally.add(queries, &rankings)?;
            tally.finish()?
        }
    };
    let RankFigures {
        per_query,
        retrieval,
        judged_at,
    } = figures;
    let traced = input.mode == Mode::Trace;
    let mut warnings = input.warnings;
    let opts = input.thresholds;
    let (outcomes, thresholds) = if !traced {
        (crate::threshold::Outcomes::none(), None)
    } else if lead_scores.rise_with_rank() {
        warnings.push(
            "thresholds: the trace's scores rise with rank (distances, not similarities), so no score floor was swept".into(),
        );
        (crate::threshold::Outcomes::none(), None)
    } else {
        let (outcomes, without_score) = crate::threshold::outcomes(ds, &lead_scores);
        let t =
            crate::threshold::thresholds(&outcomes, ds, without_score, opts.target, opts.current);
        (outcomes, t)
    };
    let review = crate::review::review_queue(
        ds,
        &outcomes,
        crate::review::ReviewOptions {
            floor: opts.current.or_else(|| {
                thresholds
                    .as_ref()
                    .and_then(|t| t.recommended.and_then(|p| p.floor))
            }),
        },
    );
    let (review, review_rows) = review;
    // The sweep and the queue are made first and let go of the outcomes and lead scores (a byte
    // and 8 bytes a question) before anything is bootstrapped.
    drop(outcomes);
    drop(lead_scores);
    let table = per_query
        .map(|per| MetricTable::of(per, input.seed))
        .transpose()?;
    let (generation, latency_ms, tokens) = if traced {
        let (lat, tok) = latency_tokens(ds);
        (Some(generation(ds)), Some(lat), Some(tok))
    } else {
        (None, None, None)
    };
    let scope = Scope::new(ds);
    let mut summary = DiagnoseSummary {
        schema_version: DIAGNOSE_SCHEMA_VERSION,
        mode: input.mode,
        name: input.name,
        questions: QuestionCounts {
            total: ds.len(),
            scored: scope.scored,
            no_label: ds.len() - scope.scored,
            not_assessed: scope.scored - scope.assessed,
            retrieval_scored: scope.retrieval_scored,
        },
        context_k: input.context_k,
        pool_k: input.pool_k,
        metrics: scope.metrics(input.context_k, table.as_ref()),
        recall_curve: scope.curve(input.pool_k),
        classes: scope.classes(),
        flags: scope.flags(),
        freshness: retrieval_freshness(input.context_k, input.docs, input.audit, &retrieval),
        by_tag: scope.by_tag(input.context_k),
        generation,
        latency_ms,
        tokens,
        fix_first: crate::fix_first::fix_first(ds),
        reranker: crate::rerank::reranker_impact(ds, input.context_k, input.seed),
        thresholds,
        review: Some(review),
        cost: traced.then(|| crate::cost::cost_latency(ds, input.price, input.seed)),
        golden_set: None,
        gates: Vec::new(),
        headline: Vec::new(),
        warnings,
        provenance: input.provenance,
    };
    summary.gates = gates(&summary, input.gates, input.gate_on, table.as_ref())?;
    summary.headline = headline(&summary);
    Ok(Evaluated {
        summary,
        rankings,
        table,
        judged_at,
        review_rows,
    })
}

/// The questions a figure is over: assessed ones for class shares, answerable scored ones for
/// hit rates, all for flag shares, each with its traffic weight. Each list is read off the
/// briefs when a figure needs it (no list of positions is kept per question).
struct Scope<'a> {
    ds: &'a Briefs,
    /// How many questions are scored (labelled), assessed and retrieval-scored.
    scored: usize,
    assessed: usize,
    retrieval_scored: usize,
}

impl<'a> Scope<'a> {
    fn new(ds: &'a Briefs) -> Self {
        let mut scope = Scope {
            ds,
            scored: 0,
            assessed: 0,
            retrieval_scored: 0,
        };
        scope.scored = scope.scored().count();
        scope.assessed = scope.assessed().count();
        scope.retrieval_scored = scope.retrieval_scored().count();
        scope
    }

    /// The labelled questions.
    fn scored(&self) -> impl Iterator<Item = usize> + Clone + '_ {
        (0..self.ds.len()).filter(|&i| self.ds.class(i) != Class::NoLabel)
    }

    /// Scored questions that could be assessed: all but the unanswerable ones with no answer
    /// to judge (class `unanswerable`), which are neither ok nor failures.
    fn assessed(&self) -> impl Iterator<Item = usize> + Clone + '_ {
        self.scored()
            .filter(|&i| self.ds.class(i) != Class::Unanswerable)
    }

    /// "Found the right source": answerable, labelled questions.
    fn retrieval_scored(&self) -> impl Iterator<Item = usize> + Clone + '_ {
        self.scored().filter(|&i| self.ds.answerable(i))
    }

    /// The weighted share of the questions `idx` gives for which `yes` holds, with its Wilson
    /// interval ([`proportion_of`] their 0/1 outcomes and weights).
    fn share(
        &self,
        idx: impl Iterator<Item = usize> + Clone,
        yes: impl Fn(usize) -> bool + Clone,
    ) -> Interval {
        proportion_of(idx.map(move |i| (f64::from(u8::from(yes(i))), self.ds.weight(i))))
    }

    /// 1 when question `i`'s evidence is in its top `k`.
    fn hit_at(&self, i: usize, k: usize) -> f64 {
        if self.ds.best_gold_rank(i).is_some_and(|r| r <= k) {
            1.0
        } else {
            0.0
        }
    }

    /// The weighted hit rate at `k` over the answerable scored questions (Wilson).
    fn hit_rate(&self, k: usize) -> Interval {
        self.share(self.retrieval_scored(), move |i| self.hit_at(i, k) == 1.0)
    }

    /// hit@K and the document-level metrics.
    fn metrics(&self, context_k: usize, table: Option<&MetricTable>) -> BTreeMap<String, Interval> {
        let mut metrics = BTreeMap::new();
        metrics.insert(hit_name(context_k), self.hit_rate(context_k));
        for (name, iv) in table.iter().flat_map(|t| t.names.iter().zip(&t.intervals)) {
            metrics.insert(
                name.clone(),
                Interval::of(iv.estimate, iv.lower, iv.upper, iv.n),
            );
        }
        metrics
    }

    /// The hit rate at each depth of [`CURVE`] within the pool.
    fn curve(&self, pool_k: usize) -> Vec<RecallPoint> {
        CURVE
            .iter()
            .filter(|&&k| k <= pool_k)
            .map(|&k| RecallPoint {
                k,
                rate: self.hit_rate(k),
            })
            .collect()
    }

    /// Each class's count and its weighted share of the assessed questions, with Wilson
    /// intervals; `no_label` (not scored) and `unanswerable` (not assessed) have a count only.
    fn classes(&self) -> BTreeMap<String, ClassEntry> {
        Class::ALL
            .into_iter()
            .map(|class| {
                let count = (0..self.ds.len())
                    .filter(|&i| self.ds.class(i) == class)
                    .count();
                let mut entry = ClassEntry {
                    count,
                    ..ClassEntry::default()
                };
                if !matches!(class, Class::NoLabel | Class::Unanswerable) {
                    let iv = self.share(self.assessed(), move |i| self.ds.class(i) == class);
                    entry.share = iv.mean;
                    entry.ci_lower = iv.ci_lower;
                    entry.ci_upper = iv.ci_upper;
                }
                (class.as_str().to_owned(), entry)
            })
            .collect()
    }

    /// Each flag's count and its weighted share of all questions, with Wilson intervals.
    fn flags(&self) -> BTreeMap<String, FlagEntry> {
        Flag::ALL
            .into_iter()
            .map(|flag| {
                let has = move |i: usize| self.ds.flags(i).contains(flag);
                let iv = self.share(0..self.ds.len(), has);
                let entry = FlagEntry {
                    count: (0..self.ds.len()).filter(|&i| has(i)).count(),
                    share: iv.mean,
                    ci_lower: iv.ci_lower,
                    ci_upper: iv.ci_upper,
                };
                (flag.as_str().to_owned(), entry)
            })
            .collect()
    }

    /// The hit rate (unweighted, Wilson) and failures per question tag.
    fn by_tag(&self, context_k: usize) -> Vec<TagEntry> {
        // Per tag: its questions, hits and failures, counted (0/1 outcomes sum exactly, so
        // the interval is that of the outcomes listed).
        let mut tags: BTreeMap<&str, [usize; 3]> = BTreeMap::new();
        for i in self.retrieval_scored() {
            let hit = usize::from(self.hit_at(i, context_k) == 1.0);
            let failure = usize::from(self.ds.class(i).is_failure());
            for t in self.ds.tags(i) {
                let counts = tags.entry(t).or_default();
                counts[0] += 1;
                counts[1] += hit;
                counts[2] += failure;
            }
        }
        tags.into_iter()
            .map(|(tag, [n, hits, failures])| TagEntry {
                tag: tag.to_owned(),
                n,
                hit_rate: proportion_of_count(hits, n),
                failures,
            })
            .collect()
    }
}

/// The freshness of the corpus and of what was retrieved, at the context window.
fn retrieval_freshness(
    context_k: usize,
    docs: &[Document],
    audit: &Audit,
    retrieval: &RetrievalStaleness,
) -> RetrievalFreshness {
    RetrievalFreshness {
        stale_hit_rate: StaleHitRate {
            k: context_k,
            rate: retrieval.stale_hit_rate_at_k.into(),
        },
        top_hit_stale_share: retrieval.top_hit_stale_share.into(),
        superseded_above_current: retrieval.superseded_ranked_above_current,
        ghost_citations: retrieval.ghost_citations,
        documents: docs.len(),
        stale_documents: audit
            .documents
            .iter()
            .filter(|f| f.stale == Some(true))
            .count(),
        undated_documents: audit.documents.iter().filter(|f| f.stale.is_none()).count(),
        conflicts: audit.conflicts.len(),
    }
}

/// The name of the evidence hit rate in the context window: `hit@K`.
#[must_use]
pub fn hit_name(context_k: usize) -> String {
    format!("hit@{context_k}")
}

/// The share of successes among the values `pairs` gives (each question's 0/1 outcome, or a
/// share in [0, 1], with its weight) and its 95% Wilson score interval ([`stats::wilson_of`]:
/// Kish's effective n when the weights are not all equal), without listing them; none: every
/// figure `null`.
fn proportion_of(pairs: impl Iterator<Item = (f64, f64)> + Clone) -> Interval {
    if pairs.clone().next().is_none() {
        return Interval::empty();
    }
    let i = stats::wilson_of(pairs, stats::Config::default().level);
    Interval::of(i.estimate, i.lower, i.upper, i.n)
}

/// [`proportion_of`] `n` unweighted 0/1 outcomes of which `successes` are 1, without listing
/// them (the same interval: their sum is exact).
fn proportion_of_count(successes: usize, n: usize) -> Interval {
    if n == 0 {
        return Interval::empty();
    }
    let level = stats::Config::default().level;
    let i = stats::wilson_of_sum(successes as f64, n, level);
    Interval::of(i.estimate, i.lower, i.upper, i.n)
}

/// Each gate against the summary's metrics.
fn gates(
    summary: &DiagnoseSummary,
    specs: &[(String, f64)],
    on: GateOn,
    table: Option<&MetricTable>,
) -> Result<Vec<Gate>, UnknownMetric> {
    specs
        .iter()
        .map(|(metric, threshold)| {
            let Some(m) = summary.metrics.get(metric.as_str()) else {
                return Err(UnknownMetric {
                    metric: metric.clone(),
                    known: summary.metrics.keys().cloned().collect(),
                });
            };
            let value = match on {
                GateOn::LowerCi => m.ci_lower,
                GateOn::Point => m.mean,
            };
            Ok(Gate {
                metric: metric.clone(),
                op: ">=".into(),
                threshold: *threshold,
                on,
                value,
                passed: value.is_some_and(|v| v >= *threshold),
                detectable_drop: detectable_drop(metric, m, table),
            })
        })
        .collect()
}

/// See [`Gate::detectable_drop`].
fn detectable_drop(metric: &str, m: &Interval, table: Option<&MetricTable>) -> Option<f64> {
    let design = ragdiag_eval::power::Design::default();
    let mean = m.mean?;
    if metric.starts_with("hit@") || metric.starts_with("success@") {
        return ragdiag_eval::power::detectable_drop_paired(mean, m.n, None, &design);
    }
    let t = table?;
    let c = t.names.iter().position(|n| n == metric)?;
    let v: Vec<f64> = t.per_query.iter().map(|(_, v)| v[c]).collect();
    if v.len() < 2 {
        return None;
    }
    let mu = v.iter().sum::<f64>() / v.len() as f64;
    let sd = (v.iter().map(|x| (x - mu).powi(2)).sum::<f64>() / (v.len() - 1) as f64).sqrt();
    ragdiag_eval::power::detectable_mean_difference(
        sd * std::f64::consts::SQRT_2,
        v.len(),
        true,
        &design,
    )
}

/// Answer quality (trace mode), each share with its Wilson interval. An answer to an
/// unanswerable question is correct when it abstains; otherwise it is correct as the
/// attribution engine judged it (questions without a reference answer are left out).
fn generation(ds: &Briefs) -> Generation {
    // Counts over the briefs (their 0/1 outcomes are not listed).
    let (mut answers, mut judged, mut correct) = (0, 0, 0);
    let (mut not_abstaining, mut grounded, mut abstained) = (0, 0, 0);
    for d in ds.iter() {
        if let Some(ok) = d.answer_ok() {
            judged += 1;
            correct += usize::from(ok);
        }
        let Some(a) = d.answer else {
            continue;
        };
        answers += 1;
        abstained += usize::from(a.abstained);
        if !a.abstained {
            not_abstaining += 1;
            grounded += usize::from(a.grounded);
        }
    }
    Generation {
        answers,
        correct: proportion_of_count(correct, judged),
        grounded: proportion_of_count(grounded, not_abstaining),
        abstained: proportion_of_count(abstained, answers),
    }
}

/// The nearest-rank percentile `q` of sorted values.
fn percentile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1])
}

/// Whether the answer is right: correct for an answerable question, abstaining for an
/// unanswerable one; `None` when not assessed.
#[must_use]
pub fn answer_ok(d: &Diagnosis, q: &Query) -> Option<bool> {
    let a = d.answer.as_ref()?;
    judged(q.answerable, a.correct, a.abstained)
}

/// An answer's verdict: its correctness for an answerable question, whether it abstained for
/// an unanswerable one.
pub(crate) fn judged(answerable: bool, correct: Option<bool>, abstained: bool) -> Option<bool> {
    if answerable {
        correct
    } else {
        Some(abstained)
    }
}

/// Latency and token figures of the traced questions: each question's record (its first
/// line), once per question id, in line order.
fn latency_tokens(ds: &Briefs) -> (Latency, Tokens) {
    // Ids are unique (the loaders drop a repeated one): each question is counted once.
    let correct = ds.iter().filter(|d| d.answer_ok() == Some(true)).count();
    let record = |i: usize| ds.record(i).expect("only questions with a record");
    let recorded = || (0..ds.len()).filter(|&i| ds.record(i).is_some());
    // Each figure's values sorted, one figure at a time (the order taken does not matter once
    // sorted), its p50, p95 and count kept and the list let go.
    let quantiles = |f: &dyn Fn(&RecordFigures) -> Option<f64>| {
        let mut v: Vec<f64> = recorded()
            .filter_map(|i| f(&record(i)))
            .filter(|x| x.is_finite())
            .collect();
        v.sort_by(f64::total_cmp);
        (percentile(&v, 0.5), percentile(&v, 0.95), v.len())
    };
    let lat = quantiles(&|t| t.latency_ms);
    let prompt = quantiles(&|t| t.prompt_tokens);
    let completion = quantiles(&|t| t.completion_tokens);
    // In line order, as the trace gave them: the token total is a sum of floats (the questions
    // put in line order only when their records are not already).
    let tokens = |i: usize| {
        let t = record(i);
        t.prompt_tokens.unwrap_or(0.0) + t.completion_tokens.unwrap_or(0.0)
    };
    let total_tokens: f64 = if recorded().map(|i| record(i).line).is_sorted() {
        recorded().map(tokens).sum()
    } else {
        let mut lines: Vec<usize> = recorded().collect();
        lines.sort_by_key(|&i| record(i).line);
        lines.into_iter().map(tokens).sum()
    };
    let per_correct_answer =
        (correct > 0 && (prompt.2 > 0 || completion.2 > 0)).then(|| total_tokens / correct as f64);
    (
        Latency {
            p50: lat.0,
            p95: lat.1,
            n: lat.2,
        },
        Tokens {
            prompt_p50: prompt.0,
            prompt_p95: prompt.1,
            completion_p50: completion.0,
            completion_p95: completion.1,
            per_correct_answer,
            n: prompt.2.max(completion.2),
        },
    )
}

fn fmt4(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".into(), |v| format!("{v:.4}"))
}

/// The plain-language summary: what a product manager reads first.
#[must_use]
pub fn headline(summary: &DiagnoseSummary) -> Vec<String> {
    let k = summary.context_k;
    let mut out = Vec::new();
    let hit = summary.metrics.get(&hit_name(k));
    if let Some((m, l, u, n)) = hit.and_then(|h| Some((h.mean?, h.ci_lower?, h.ci_upper?, h.n))) {
        out.push(format!(
            "Retrieval found the right source within the top {k} for {} of questions (95% CI {}–{}, n = {n}).",
            pct(m, 0),
            pct(l, 0),
            pct(u, 0),
        ));
    } else {
        out.push(
            "No question has relevance labels or evidence, so retrieval was not scored.".into(),
        );
    }
    let not_assessed = summary.questions.not_assessed;
    let assessed = summary.questions.scored - not_assessed.min(summary.questions.scored);
    let count_of = |c: Class| summary.classes.get(c.as_str()).map_or(0, |e| e.count);
    let mut failures: Vec<(Class, usize)> = Class::ALL
        .into_iter()
        .filter(|c| c.is_failure())
        .map(|c| (c, count_of(c)))
        .filter(|(_, n)| *n > 0)
        .collect();
    failures.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.as_str().cmp(b.0.as_str())));
    let ok = count_of(Class::Ok);
    // Without questions left unassessed, the assessed questions are the scored ones.
    let of = if not_assessed == 0 {
        "scored"
    } else {
        "assessed"
    };
    let aside = match (not_assessed, summary.mode) {
        (0, _) => String::new(),
        (n, Mode::Replay) => format!(
            " {n} unanswerable {} not assessed (a replay has no answers to judge).",
            if n == 1 {
                "question is"
            } else {
                "questions are"
            }
        ),
        (n, Mode::Trace) => format!(
            " {n} unanswerable {} not assessed (the trace has no answer to judge).",
            if n == 1 {
                "question is"
            } else {
                "questions are"
            }
        ),
    };
    if let Some((top, count)) = failures.first() {
        let total_fail: usize = failures.iter().map(|f| f.1).sum();
        let share = summary
            .classes
            .get(top.as_str())
            .copied()
            .unwrap_or_default();
        out.push(format!(
            "{total_fail} of {assessed} {of} questions fail and {ok} are ok.{aside} The largest cause of failure is {}: {count} questions, {} of those {of} (95% CI {}–{}).",
            top.cause(),
            pct(share.share.unwrap_or(0.0), 0),
            pct(share.ci_lower.unwrap_or(0.0), 0),
            pct(share.ci_upper.unwrap_or(0.0), 0),
        ));
        if failures.len() > 1 {
            let rest: Vec<String> = failures[1..]
                .iter()
                .map(|(n, c)| format!("{} {c}", n.short()))
                .collect();
            out.push(format!("Then: {}.", rest.join("; ")));
        }
    } else if assessed > 0 {
        out.push(format!("All {assessed} {of} questions are ok.{aside}"));
    } else if not_assessed > 0 {
        out.push(aside.trim_start().to_owned());
    }
    let f = &summary.freshness;
    let (undated, documents) = (f.undated_documents, f.documents);
    if documents > 0 && undated == documents {
        out.push(format!(
            "Freshness is unknown: none of the {documents} documents has a date (updated_at)."
        ));
    } else if let Some(rate) = f.stale_hit_rate.rate.mean {
        let unknown = if undated > 0 {
            format!(", {undated} undated")
        } else {
            String::new()
        };
        out.push(format!(
            "Stale content: {} of the top-{k} hits are stale ({} of {documents} documents are stale{unknown}); the top hit is stale for {} of questions.",
            pct(rate, 0),
            f.stale_documents,
            pct(f.top_hit_stale_share.mean.unwrap_or(0.0), 0),
        ));
    }
    if let Some(c) = summary.generation.as_ref().map(|g| g.correct) {
        if let Some(mean) = c.mean {
            out.push(format!(
                "Answers: {} correct (95% CI {}–{}, n = {}).",
                pct(mean, 0),
                pct(c.ci_lower.unwrap_or(0.0), 0),
                pct(c.ci_upper.unwrap_or(0.0), 0),
                c.n
            ));
        }
    }
    if let Some(t) = &summary.thresholds {
        out.push(threshold_headline(t));
    }
    for g in summary.failed_gates() {
        out.push(format!(
            "Gate failed: {} is {} (must be at least {}).",
            g.metric,
            fmt4(g.value),
            fmt4(Some(g.threshold))
        ));
    }
    out
}

/// The headline's sentence on the score floor: the recommendation and what it costs.
fn threshold_headline(t: &ragdiag_contract::Thresholds) -> String {
    let goal = match t.target {
        ThresholdTarget::Accuracy(a) => format!("{} accuracy (lower 95% bound)", pct(a, 0)),
        ThresholdTarget::MaxFalseAnswerRate(m) => {
            format!("at most {} false answers (upper 95% bound)", pct(m, 0))
        }
    };
    let at = |p: &ragdiag_contract::ThresholdPoint| {
        format!(
            "{} of questions answered, {} of them correctly (95% CI {}–{}), {} false answers",
            pct(p.coverage.mean.unwrap_or(0.0), 0),
            pct(p.accuracy.mean.unwrap_or(0.0), 0),
            pct(p.accuracy.ci_lower.unwrap_or(0.0), 0),
            pct(p.accuracy.ci_upper.unwrap_or(0.0), 0),
            pct(p.false_answer_rate.mean.unwrap_or(0.0), 0),
        )
    };
    match &t.recommended {
        Some(p) => match p.floor {
            Some(f) => format!(
                "Score floor: abstaining below a top score of {f} meets {goal}: {} (n = {}).",
                at(p),
                t.n
            ),
            None => format!(
                "Score floor: the system meets {goal} without a floor: {} (n = {}).",
                at(p),
                t.n
            ),
        },
        None => format!(
            "Score floor: no floor on the top score meets {goal} on these {} questions.",
            t.n
        ),
    }
}

/// What the rows of `queries.parquet` read of consecutive questions besides their questions and
/// diagnoses: the metric table's values by question id, and each question's cost and latency
/// from its first trace record. Made once for questions whose rows are then made a slice at a
/// time ([`queries_columns`]), so that neither lookup is rebuilt a slice.
pub struct RowFigures<'a> {
    /// The measures' names, where the questions were evaluated.
    names: Option<&'a [String]>,
    /// Each evaluated question's values, by its id.
    per_query: std::collections::HashMap<&'a str, &'a [f64]>,
    /// Each question's cost and latency (`None` without a record, or a figure), by position.
    cost_latency: Vec<(Option<f64>, Option<f64>)>,
}

impl<'a> RowFigures<'a> {
    /// The figures of `queries`: their measures in `table` (`None` without judgments), their
    /// costs and latencies from the first record of each id in `trace` at `price`.
    #[must_use]
    pub fn new<R: std::borrow::Borrow<TraceRecord>>(
        queries: &[Query],
        table: Option<&'a MetricTable>,
        trace: Option<&[R]>,
        price: Option<ragdiag_contract::Price>,
    ) -> Self {
        RowFigures {
            names: table.map(|t| t.names.as_slice()),
            per_query: table
                .map(|t| t.per_query.iter().collect())
                .unwrap_or_default(),
            cost_latency: crate::cost::per_question(trace, queries, price),
        }
    }
}

/// The columns of `queries.parquet` ([`ragdiag_contract::table::QUERIES`]) for the questions
/// `range` of `queries` (with their `diagnoses`, and their `figures` made of all of `queries`):
/// one row per question. The metric columns hold the metric table's per-question values (null
/// where a question was not evaluated, or everywhere without judgments).
#[must_use]
pub fn queries_columns<D: std::borrow::Borrow<Diagnosis>>(
    queries: &[Query],
    diagnoses: &[D],
    figures: &RowFigures<'_>,
    range: std::ops::Range<usize>,
) -> Vec<Column> {
    let cost_latency = &figures.cost_latency[range.clone()];
    let (queries, diagnoses) = (&queries[range.clone()], &diagnoses[range]);
    let text = |f: &dyn Fn(usize) -> String| -> Values {
        Values::Utf8((0..queries.len()).map(|i| Some(f(i))).collect())
    };
    let d: Vec<&Diagnosis> = diagnoses.iter().map(std::borrow::Borrow::borrow).collect();
    let per_query = &figures.per_query;
    let mut columns = vec![
        Column {
            name: "query_id",
            values: text(&|i| queries[i].id.clone()),
        },
        Column {
            name: "text",
            values: text(&|i| queries[i].text.clone()),
        },
        Column {
            name: "class",
            values: text(&|i| d[i].class.as_str().to_owned()),
        },
        Column {
            name: "flags",
            values: text(&|i| {
                d[i].flags
                    .iter()
                    .map(|f| f.as_str())
                    .collect::<Vec<_>>()
                    .join(",")
            }),
        },
        Column {
            name: "rule",
            values: Values::Int64(d.iter().map(|d| Some(i64::from(d.rule.number()))).collect()),
        },
        Column {
            name: "rule_name",
            values: text(&|i| d[i].rule.name().to_owned()),
        },
        Column {
            name: "reason",
            values: text(&|i| d[i].reason.clone()),
        },
        Column {
            name: "best_gold_rank",
            values: Values::Int64(
                d.iter()
                    .map(|d| d.best_gold_rank.map(|r| r as i64))
                    .collect(),
            ),
        },
        Column {
            name: "answer_correct",
            values: Values::Boolean(
                d.iter()
                    .map(|d| d.answer.as_ref().and_then(|a| a.correct))
                    .collect(),
            ),
        },
        Column {
            name: "answer_grounded",
            values: Values::Boolean(
                d.iter()
                    .map(|d| d.answer.as_ref().map(|a| a.grounded()))
                    .collect(),
            ),
        },
        Column {
            name: "answer_abstained",
            values: Values::Boolean(
                d.iter()
                    .map(|d| d.answer.as_ref().map(|a| a.abstained))
                    .collect(),
            ),
        },
        Column {
            name: "hit",
            values: Values::Float64(
                d.iter()
                    .zip(queries)
                    .map(|(d, q)| {
                        (d.class != Class::NoLabel && q.answerable).then(|| {
                            f64::from(u8::from(d.best_gold_rank.is_some_and(|r| r <= d.context_k)))
                        })
                    })
                    .collect(),
            ),
        },
        Column {
            name: "weight",
            values: Values::Float64(queries.iter().map(|q| Some(q.weight)).collect()),
        },
        Column {
            name: "tags",
            values: text(&|i| queries[i].tags.join(",")),
        },
    ];
    let fixed = columns.len();
    for def in QUERIES.metrics().filter(|c| c.name != "hit") {
        let at = figures
            .names
            .and_then(|names| names.iter().position(|n| n == def.name));
        columns.push(Column {
            name: def.name,
            values: Values::Float64(
                queries
                    .iter()
                    .map(|q| {
                        let v = per_query.get(q.id.as_str())?;
                        at.map(|c| v[c])
                    })
                    .collect(),
            ),
        });
    }
    debug_assert_eq!(columns.len() - fixed, QUERIES.metrics().count() - 1);
    columns.push(Column {
        name: "pre_rerank_gold_rank",
        values: Values::Int64(
            d.iter()
                .map(|d| d.rerank.and_then(|r| r.before).map(|r| r as i64))
                .collect(),
        ),
    });
    columns.push(Column {
        name: "reranker_effect",
        values: Values::Utf8(
            d.iter()
                .map(|d| d.rerank.map(|r| r.effect.as_str().to_owned()))
                .collect(),
        ),
    });
    columns.push(Column {
        name: "latency_ms",
        values: Values::Float64(cost_latency.iter().map(|c| c.1).collect()),
    });
    columns.push(Column {
        name: "cost",
        values: Values::Float64(cost_latency.iter().map(|c| c.0).collect()),
    });
    columns
}

/// Which retrievers found each retrieved item, for `hits.parquet`'s `retriever` column.
#[derive(Debug, Clone, Copy)]
pub enum Sources<'a> {
    /// The same for every item (`trace`, `engine`).
    All(&'a str),
    /// `[q][i]` names the retrievers of question `q`'s item `i`.
    Each(&'a [Vec<String>]),
}

impl<'a> Sources<'a> {
    /// The sources of questions `range`.
    #[must_use]
    pub fn slice(self, range: std::ops::Range<usize>) -> Sources<'a> {
        match self {
            Sources::All(s) => Sources::All(s),
            Sources::Each(v) => Sources::Each(&v[range.start.min(v.len())..range.end.min(v.len())]),
        }
    }

    /// Item `i` of question `q` (relative to this slice); `None` past the list.
    fn of(self, q: usize, i: usize) -> Option<&'a str> {
        match self {
            Sources::All(s) => Some(s),
            Sources::Each(v) => v.get(q).and_then(|l| l.get(i)).map(String::as_str),
        }
    }
}

/// The columns of `hits.parquet` ([`ragdiag_contract::table::HITS`]): one row per retrieved
/// item of each question, in rank order, with the retrievers `sources` names for it (an item
/// `Sources::Each` does not name is left out, as before). `by_id` is the corpus's documents
/// with their freshness by id ([`Audit::by_id`]), made once for all the parts of a run.
#[must_use]
pub fn hits_columns(
    queries: &[Query],
    items: &[&[RetrievedItem]],
    sources: Sources<'_>,
    by_id: &std::collections::HashMap<&str, (&Document, &ragdiag_fresh::DocFreshness)>,
) -> Vec<Column> {
    let (mut qid, mut rank, mut doc, mut start, mut end) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut score, mut retriever, mut stale, mut reason) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (n, (q, list)) in queries.iter().zip(items).enumerate() {
        if matches!(sources, Sources::Each(v) if v.len() <= n) {
            break;
        }
        for (i, item) in list.iter().enumerate() {
            let Some(src) = sources.of(n, i) else {
                break;
            };
            qid.push(Some(q.id.clone()));
            rank.push(Some(i as i64 + 1));
            doc.push(Some(item.doc.to_string()));
            start.push(item.span.map(|s| s.0 as i64));
            end.push(item.span.map(|s| s.1 as i64));
            score.push(item.score);
            retriever.push(Some(src.to_owned()));
            let f = by_id.get(item.doc.as_str()).map(|(_, f)| *f);
            stale.push(f.and_then(|f| f.stale));
            reason.push(match f {
                Some(f) => f.stale_reason().map(|r| r.as_str().to_owned()),
                None => Some("unknown_document".to_owned()),
            });
        }
    }
    let col = |name, values| Column { name, values };
    vec![
        col("query_id", Values::Utf8(qid)),
        col("rank", Values::Int64(rank)),
        col("doc", Values::Utf8(doc)),
        col("start", Values::Int64(start)),
        col("end", Values::Int64(end)),
        col("score", Values::Float64(score)),
        col("retriever", Values::Utf8(retriever)),
        col("stale", Values::Boolean(stale)),
        col("stale_reason", Values::Utf8(reason)),
    ]
}

/// A question's documents in the order of their first chunk, scored so that trec_eval's order
/// (score descending) is this order: the item's score when scores fall with rank, else 1/rank.
#[must_use]
pub fn doc_ranking(qid: &str, items: &[RetrievedItem]) -> ragdiag_eval::DocRanking {
    let mut seen = HashSet::new();
    let firsts: Vec<(&ragdiag_core::DocId, Option<f64>)> = items
        .iter()
        .filter(|i| seen.insert(i.doc.as_str()))
        .map(|i| (&i.doc, i.score))
        .collect();
    let monotone = firsts.iter().all(|(_, s)| s.is_some_and(f64::is_finite))
        && firsts
            .windows(2)
            .all(|w| w[0].1.unwrap_or(0.0) > w[1].1.unwrap_or(0.0));
    ragdiag_eval::DocRanking {
        qid: qid.to_owned(),
        docs: firsts
            .iter()
            .enumerate()
            .map(|(i, (d, sc))| {
                let score = if monotone {
                    sc.unwrap_or(0.0)
                } else {
                    1.0 / (i + 1) as f64
                };
                ((*d).clone(), score)
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::Leads;

    /// A top score is kept only when it is finite; the scores rise with rank when more than
    /// half the questions with two scores have the second above the first (a pair with a NaN
    /// counts as a pair, not as rising; a question with one score is no pair).
    #[test]
    fn leads_keep_finite_top_scores_and_count_rising_pairs() {
        let mut leads = Leads::default();
        leads.extend([
            [Some(0.9), Some(0.8)],
            [None, Some(0.5)],
            [Some(f64::NAN), Some(0.1)],
            [Some(f64::INFINITY), None],
            [Some(0.2), Some(0.3)],
        ]);
        assert_eq!(leads.len(), 5);
        let tops: Vec<Option<f64>> = (0..leads.len()).map(|i| leads.top(i)).collect();
        assert_eq!(tops, [Some(0.9), None, None, None, Some(0.2)]);
        // Pairs: 0.9/0.8, NaN/0.1, 0.2/0.3; one rises.
        assert!(!leads.rise_with_rank());
        leads.extend([[Some(0.1), Some(0.4)], [Some(-1.0), Some(0.0)]]);
        assert!(leads.rise_with_rank(), "3 of 5 pairs rise");
        assert!(!Leads::default().rise_with_rank(), "no pair: no rise");
        let mut same = Leads::default();
        same.extend([[Some(0.9), Some(0.8)]]);
        let mut other = Leads::default();
        other.extend([[Some(0.9), None]]);
        assert_ne!(same, other, "the same top scores, not the same pairs");
    }
}
