//! Thresholds and abstention (trace mode): a floor on the top hit's retrieval score below which
//! the system would decline to answer, swept over the observed scores, with the recommended
//! floor for a target accuracy or a maximum false-answer rate.

use crate::report::Leads;
use crate::Briefs;
use ragdiag_contract::{Interval, TagThreshold, ThresholdPoint, ThresholdTarget, Thresholds};
use ragdiag_eval::stats;
use std::collections::BTreeMap;

/// At most this many floors are swept (besides "no floor").
pub const MAX_FLOORS: usize = 100;

/// One question's part in the sweep: its top score and what its own answer was.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outcome {
    /// The top hit's retrieval score (higher: more confident).
    pub score: f64,
    /// Whether the question has an answer in the corpus.
    pub answerable: bool,
    /// The system's own answer declines to answer.
    pub abstained: bool,
    /// The system's own answer is right: correct for an answerable question (never when it
    /// abstained); for an unanswerable one, only abstaining is right.
    pub correct: bool,
}

impl Outcome {
    /// Whether the question is answered at `floor` (`None`: no floor).
    fn answered(&self, floor: Option<f64>) -> bool {
        !self.abstained && floor.is_none_or(|f| self.score >= f)
    }
}

/// Every question's part in the sweep ([`Outcome`], `None`: it takes none): a byte a question
/// beside its top score in the [`Leads`] (a list of outcomes would be 16 bytes a question).
#[derive(Debug, Clone)]
pub struct Outcomes<'a> {
    leads: Option<&'a Leads>,
    /// Per question: [`TAKES_PART`], [`ANSWERABLE`], [`ABSTAINED`], [`CORRECT`].
    facts: Vec<u8>,
}

const TAKES_PART: u8 = 1;
const ANSWERABLE: u8 = 1 << 1;
const ABSTAINED: u8 = 1 << 2;
const CORRECT: u8 = 1 << 3;

impl<'a> Outcomes<'a> {
    /// No question takes part.
    #[must_use]
    pub fn none() -> Self {
        Outcomes {
            leads: None,
            facts: Vec::new(),
        }
    }

    /// Question `i`'s outcome (`None` past the questions).
    #[must_use]
    pub fn get(&self, i: usize) -> Option<Outcome> {
        let facts = *self.facts.get(i)?;
        if facts & TAKES_PART == 0 {
            return None;
        }
        Some(Outcome {
            score: self.leads?.top(i)?,
            answerable: facts & ANSWERABLE != 0,
            abstained: facts & ABSTAINED != 0,
            correct: facts & CORRECT != 0,
        })
    }

    /// Every question's outcome, in order.
    pub fn iter(&self) -> impl Iterator<Item = Option<Outcome>> + Clone + '_ {
        (0..self.facts.len()).map(|i| self.get(i))
    }
}

/// The questions of a diagnosis that take part in the sweep, aligned with `queries`
/// (`None`: left out), and how many judgeable questions were left out for lack of a score.
///
/// A question takes part when it is labelled, its answer can be judged ([`BriefRef::answer_ok`](crate::BriefRef::answer_ok)) and its
/// top item has a finite score ([`Leads::top`]).
#[must_use]
pub fn outcomes<'a>(ds: &Briefs, leads: &'a Leads) -> (Outcomes<'a>, usize) {
    let mut without_score = 0;
    let facts = ds
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let (Some(ok), Some(a)) = (d.answer_ok(), d.answer.as_ref()) else {
                return 0;
            };
            if leads.top(i).is_none() {
                without_score += 1;
                return 0;
            }
            let bit = |on: bool, bit: u8| if on { bit } else { 0 };
            TAKES_PART
                | bit(d.answerable, ANSWERABLE)
                | bit(a.abstained, ABSTAINED)
                | bit(ok && !(d.answerable && a.abstained), CORRECT)
        })
        .collect();
    let leads = Some(leads);
    (Outcomes { leads, facts }, without_score)
}

/// The share `k` of `n` with its 95% Wilson interval; `n` 0: every figure `null`.
fn share(k: usize, n: usize) -> Interval {
    if n == 0 {
        return Interval::empty();
    }
    let i = stats::wilson_count(k, n, stats::Config::default().level);
    Interval::of(i.estimate, i.lower, i.upper, i.n)
}

/// The figures of `outcomes` at `floor` (`None`: no floor).
#[must_use]
pub fn point(outcomes: &[Outcome], floor: Option<f64>) -> ThresholdPoint {
    point_of(outcomes.iter().copied(), floor)
}

/// [`point`] of the outcomes `outcomes` gives (not listed).
fn point_of(outcomes: impl Iterator<Item = Outcome>, floor: Option<f64>) -> ThresholdPoint {
    let mut n = 0;
    let (mut answered, mut right, mut unanswerable, mut abstain_ok) = (0, 0, 0, 0);
    for o in outcomes {
        n += 1;
        let ans = o.answered(floor);
        if ans {
            answered += 1;
            if o.correct && o.answerable {
                right += 1;
            }
        }
        if !o.answerable {
            unanswerable += 1;
            if !ans {
                abstain_ok += 1;
            }
        }
    }
    ThresholdPoint {
        floor,
        answered,
        coverage: share(answered, n),
        accuracy: share(right, answered),
        correct_abstention: share(abstain_ok, unanswerable),
        false_answer_rate: share(answered - right, n),
    }
}

/// The floors swept: no floor, then each distinct score ascending (at most [`MAX_FLOORS`],
/// taken at evenly spaced ranks of the distinct scores when there are more).
#[must_use]
pub fn floors(outcomes: &[Outcome]) -> Vec<Option<f64>> {
    floors_of(outcomes.iter().copied())
}

/// [`floors`] of the outcomes `outcomes` gives (only their scores are listed).
fn floors_of(outcomes: impl Iterator<Item = Outcome>) -> Vec<Option<f64>> {
    let mut scores: Vec<f64> = outcomes.map(|o| o.score).collect();
    scores.sort_by(f64::total_cmp);
    scores.dedup();
    let picked: Vec<f64> = if scores.len() <= MAX_FLOORS {
        scores
    } else {
        let last = scores.len() - 1;
        let mut v: Vec<f64> = (0..MAX_FLOORS)
            .map(|i| scores[(i * last + (MAX_FLOORS - 1) / 2) / (MAX_FLOORS - 1)])
            .collect();
        v.dedup();
        v
    };
    std::iter::once(None)
        .chain(picked.into_iter().map(Some))
        .collect()
}

/// Whether `p` meets `target` with its confidence bound.
#[must_use]
pub fn meets(p: &ThresholdPoint, target: ThresholdTarget) -> bool {
    match target {
        ThresholdTarget::Accuracy(t) => p.accuracy.ci_lower.is_some_and(|l| l >= t),
        ThresholdTarget::MaxFalseAnswerRate(m) => {
            p.false_answer_rate.ci_upper.is_some_and(|u| u <= m)
        }
    }
}

/// The sweep of `outcomes` and the lowest floor of it that meets `target`.
#[must_use]
pub fn sweep(
    outcomes: &[Outcome],
    target: ThresholdTarget,
) -> (Vec<ThresholdPoint>, Option<ThresholdPoint>) {
    sweep_of(outcomes.iter().copied(), target)
}

/// [`sweep`] of the outcomes `outcomes` gives (read once for the floors, then once a floor).
fn sweep_of(
    outcomes: impl Iterator<Item = Outcome> + Clone,
    target: ThresholdTarget,
) -> (Vec<ThresholdPoint>, Option<ThresholdPoint>) {
    let sweep: Vec<ThresholdPoint> = floors_of(outcomes.clone())
        .into_iter()
        .map(|f| point_of(outcomes.clone(), f))
        .collect();
    let recommended = sweep.iter().find(|p| meets(p, target)).copied();
    (sweep, recommended)
}

/// The thresholds block of `summary.json`: the sweep, the recommendation, the operating point
/// `current` (a floor), and the same per tag. `None` when no question takes part.
#[must_use]
pub fn thresholds(
    outcomes: &Outcomes<'_>,
    briefs: &Briefs,
    without_score: usize,
    target: ThresholdTarget,
    current: Option<f64>,
) -> Option<Thresholds> {
    // The outcomes are read where they are, and each tag's by position.
    let all = || outcomes.iter().flatten();
    let n = all().count();
    if n == 0 {
        return None;
    }
    let (points, recommended) = sweep_of(all(), target);
    let overall_floor = recommended.and_then(|p| p.floor);
    let mut tags: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, o) in outcomes.iter().enumerate() {
        if o.is_some() {
            for t in briefs.tags(i) {
                tags.entry(t).or_default().push(i);
            }
        }
    }
    let by_tag = tags
        .into_iter()
        .map(|(tag, at)| {
            let os = || at.iter().filter_map(|&i| outcomes.get(i));
            TagThreshold {
                tag: tag.to_owned(),
                n: at.len(),
                recommended: sweep_of(os(), target).1,
                at_overall: point_of(os(), overall_floor),
            }
        })
        .collect();
    Some(Thresholds {
        n,
        n_unanswerable: all().filter(|o| !o.answerable).count(),
        without_score,
        target,
        current: current.map(|f| point_of(all(), Some(f))),
        recommended,
        sweep: points,
        by_tag,
    })
}

/// One figure of a [`ThresholdPoint`].
type Figure = fn(&ThresholdPoint) -> Interval;

/// The rows of `thresholds.parquet` ([`ragdiag_contract::table::THRESHOLDS`]) from the
/// summary's `thresholds` block: the overall sweep, the current and recommended points, and
/// per tag its recommendation and its figures at the overall one.
#[must_use]
pub fn thresholds_columns(t: &Thresholds) -> Vec<ragdiag_contract::Column> {
    use ragdiag_contract::{Column, Values};
    let mut rows: Vec<(Option<&str>, &str, usize, &ThresholdPoint)> = Vec::new();
    for p in &t.sweep {
        rows.push((None, "sweep", t.n, p));
    }
    if let Some(p) = &t.current {
        rows.push((None, "current", t.n, p));
    }
    if let Some(p) = &t.recommended {
        rows.push((None, "recommended", t.n, p));
    }
    for tag in &t.by_tag {
        if let Some(p) = &tag.recommended {
            rows.push((Some(&tag.tag), "recommended", tag.n, p));
        }
        rows.push((Some(&tag.tag), "at_overall", tag.n, &tag.at_overall));
    }
    let count = |v: usize| Some(i64::try_from(v).unwrap_or(i64::MAX));
    let mut columns = vec![
        Column {
            name: "tag",
            values: Values::Utf8(rows.iter().map(|r| r.0.map(str::to_owned)).collect()),
        },
        Column {
            name: "point",
            values: Values::Utf8(rows.iter().map(|r| Some(r.1.to_owned())).collect()),
        },
        Column {
            name: "floor",
            values: Values::Float64(rows.iter().map(|r| r.3.floor).collect()),
        },
        Column {
            name: "n",
            values: Values::Int64(rows.iter().map(|r| count(r.2)).collect()),
        },
        Column {
            name: "answered",
            values: Values::Int64(rows.iter().map(|r| count(r.3.answered)).collect()),
        },
    ];
    let figures: [(&[&str; 4], Figure); 4] = [
        (
            &[
                "coverage",
                "coverage_ci_lower",
                "coverage_ci_upper",
                "coverage_n",
            ],
            |p| p.coverage,
        ),
        (
            &[
                "accuracy",
                "accuracy_ci_lower",
                "accuracy_ci_upper",
                "accuracy_n",
            ],
            |p| p.accuracy,
        ),
        (
            &[
                "correct_abstention",
                "correct_abstention_ci_lower",
                "correct_abstention_ci_upper",
                "correct_abstention_n",
            ],
            |p| p.correct_abstention,
        ),
        (
            &[
                "false_answer_rate",
                "false_answer_rate_ci_lower",
                "false_answer_rate_ci_upper",
                "false_answer_rate_n",
            ],
            |p| p.false_answer_rate,
        ),
    ];
    for (names, get) in figures {
        let iv: Vec<Interval> = rows.iter().map(|r| get(r.3)).collect();
        columns.push(Column {
            name: names[0],
            values: Values::Float64(iv.iter().map(|i| i.mean).collect()),
        });
        columns.push(Column {
            name: names[1],
            values: Values::Float64(iv.iter().map(|i| i.ci_lower).collect()),
        });
        columns.push(Column {
            name: names[2],
            values: Values::Float64(iv.iter().map(|i| i.ci_upper).collect()),
        });
        columns.push(Column {
            name: names[3],
            values: Values::Int64(iv.iter().map(|i| count(i.n)).collect()),
        });
    }
    columns
}

#[cfg(test)]
mod tests {
    use super::*;

    fn o(score: f64, answerable: bool, abstained: bool, correct: bool) -> Outcome {
        Outcome {
            score,
            answerable,
            abstained,
            correct,
        }
    }

    /// Each question's outcome read back from its byte and the lead scores: none without an
    /// answer that can be judged or without a finite top score (those counted), else the
    /// answer's verdicts as [`BriefRef::answer_ok`](crate::BriefRef::answer_ok) gives them.
    #[test]
    fn outcomes_come_back_from_a_byte_and_the_lead_scores() {
        use crate::{AnswerBrief, Brief, Class, FlagSet, Rule};
        let answer = |correct, abstained| {
            Some(AnswerBrief {
                correct,
                abstained,
                grounded: false,
            })
        };
        // (answerable, answer, top score) and the outcome expected.
        let cases = [
            (
                true,
                answer(Some(true), false),
                Some(0.9),
                Some(o(0.9, true, false, true)),
            ),
            (
                true,
                answer(Some(false), false),
                Some(-0.0),
                Some(o(-0.0, true, false, false)),
            ),
            (
                true,
                answer(Some(true), true),
                Some(0.5),
                Some(o(0.5, true, true, false)),
            ),
            (
                false,
                answer(None, true),
                Some(0.2),
                Some(o(0.2, false, true, true)),
            ),
            (
                false,
                answer(None, false),
                Some(0.1),
                Some(o(0.1, false, false, false)),
            ),
            (true, answer(None, false), Some(0.4), None), // not judged
            (true, None, Some(0.4), None),                // no answer
            (true, answer(Some(true), false), None, None), // no score
            (true, answer(Some(true), false), Some(f64::NAN), None),
            (true, answer(Some(true), false), Some(f64::INFINITY), None),
        ];
        let mut leads = Leads::default();
        let briefs: Briefs = cases
            .iter()
            .enumerate()
            .map(|(i, &(answerable, answer, score, _))| {
                leads.push([score, None]);
                Brief {
                    id: format!("q{i}").into(),
                    tags: Box::default(),
                    class: Class::Ok,
                    rule: Rule::CorrectAndGrounded,
                    reason: Box::default(),
                    flags: FlagSet::default(),
                    answerable,
                    best_gold_rank: None,
                    weight: 1.0,
                    answer,
                    rerank: None,
                    review: None,
                    fix: None,
                    record: None,
                }
            })
            .collect();
        let (outcomes, without_score) = outcomes(&briefs, &leads);
        assert_eq!(without_score, 3);
        for (i, case) in cases.iter().enumerate() {
            let got = outcomes.get(i);
            assert_eq!(
                got.map(|o| o.score.to_bits()),
                case.3.map(|o| o.score.to_bits()),
                "{i}"
            );
            assert_eq!(got, case.3, "{i}");
        }
        assert_eq!(outcomes.iter().count(), cases.len());
        assert!(outcomes.iter().zip(0..).all(|(o, i)| o == outcomes.get(i)));
        assert_eq!(outcomes.get(cases.len()), None);
        assert_eq!(Outcomes::none().get(0), None);
    }

    #[test]
    fn a_point_counts_answers_abstentions_and_false_answers() {
        let os = [
            o(0.9, true, false, true),   // right
            o(0.8, true, false, false),  // wrong
            o(0.3, true, false, true),   // right, but below 0.5
            o(0.2, false, false, false), // hallucination, below 0.5
            o(0.7, false, true, true),   // correct abstention by the system
            o(0.6, true, true, false),   // abstained though answerable
        ];
        let p = point(&os, None);
        assert_eq!(p.answered, 4);
        assert_eq!(p.accuracy.mean, Some(0.5));
        assert_eq!(p.coverage.mean, Some(4.0 / 6.0));
        assert_eq!(p.false_answer_rate.mean, Some(2.0 / 6.0));
        assert_eq!(p.correct_abstention.mean, Some(0.5));
        assert_eq!(p.correct_abstention.n, 2);
        let p = point(&os, Some(0.5));
        assert_eq!(p.answered, 2);
        assert_eq!(p.accuracy.mean, Some(0.5));
        assert_eq!(p.false_answer_rate.mean, Some(1.0 / 6.0));
        assert_eq!(p.correct_abstention.mean, Some(1.0));
        let p = point(&os, Some(0.95));
        assert_eq!(p.answered, 0);
        assert_eq!(p.accuracy, Interval::empty());
        assert_eq!(p.false_answer_rate.mean, Some(0.0));
    }

    #[test]
    fn floors_are_distinct_ascending_and_capped() {
        let os: Vec<Outcome> = (0..1000)
            .map(|i| o(f64::from(i % 500) / 500.0, true, false, true))
            .collect();
        let f = floors(&os);
        assert_eq!(f[0], None);
        assert!(f.len() <= MAX_FLOORS + 1 && f.len() > MAX_FLOORS / 2);
        assert_eq!(f[1], Some(0.0));
        assert_eq!(f.last().copied().flatten(), Some(499.0 / 500.0));
        assert!(f[1..].windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn the_recommendation_is_the_lowest_floor_meeting_the_target() {
        // Below 0.5 every answer is wrong, above it every answer is right.
        let os: Vec<Outcome> = (0..100)
            .map(|i| {
                let s = f64::from(i) / 100.0;
                o(s, true, false, s >= 0.5)
            })
            .collect();
        // 50 of 50 right has a lower bound of 92.9%; 50 of 51 (floor 0.49) 89.6%.
        let (points, rec) = sweep(&os, ThresholdTarget::Accuracy(0.9));
        let rec = rec.expect("a floor meets 90%");
        assert_eq!(rec.floor, Some(0.5));
        assert!(rec.accuracy.ci_lower.unwrap() >= 0.9);
        assert_eq!(rec.coverage.mean, Some(0.5));
        // Every lower floor misses the target.
        assert!(points
            .iter()
            .take_while(|p| p.floor != rec.floor)
            .all(|p| !meets(p, ThresholdTarget::Accuracy(0.9))));
        // No false answer of 100 has an upper bound of 3.7%; 1 of 100 5.4%.
        let (_, rec) = sweep(&os, ThresholdTarget::MaxFalseAnswerRate(0.05));
        let rec = rec.expect("a floor keeps false answers under 5%");
        assert!(rec.false_answer_rate.ci_upper.unwrap() <= 0.05);
        assert_eq!(rec.floor, Some(0.5));
        // Nothing reaches 100% with its lower bound.
        assert_eq!(sweep(&os, ThresholdTarget::Accuracy(1.0)).1, None);
    }

    /// splitmix64: a seeded stream of uniform numbers for the simulation.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> f64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            (z >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    /// A population where the chance of a right answer rises with the score, and 10% of
    /// questions are unanswerable, with weaker top hits (scores below 0.6), answered (wrongly)
    /// 70% of the time.
    fn population(rng: &mut Rng, size: usize) -> Vec<Outcome> {
        (0..size)
            .map(|_| {
                let score = (rng.next() * 1000.0).round() / 1000.0;
                if rng.next() < 0.1 {
                    let abstained = rng.next() < 0.3;
                    o(score * 0.6, false, abstained, abstained)
                } else {
                    let p = 1.0 / (1.0 + (-(10.0 * score - 4.0)).exp());
                    o(score, true, false, rng.next() < p)
                }
            })
            .collect()
    }

    /// The recommended floor meets the target on the population in at least 95% of
    /// simulated samples: the lower confidence bound guards against picking a floor whose
    /// sample accuracy is high by chance.
    #[test]
    fn the_recommended_floor_meets_the_target_in_95_percent_of_resamples() {
        let mut rng = Rng(17);
        let pop = population(&mut rng, 100_000);
        for (target, n) in [
            (ThresholdTarget::Accuracy(0.9), 400),
            (ThresholdTarget::Accuracy(0.95), 1000),
            (ThresholdTarget::MaxFalseAnswerRate(0.1), 400),
        ] {
            let (mut made, mut met) = (0, 0);
            for _ in 0..300 {
                let sample: Vec<Outcome> = (0..n)
                    .map(|_| pop[(rng.next() * pop.len() as f64) as usize])
                    .collect();
                let Some(rec) = sweep(&sample, target).1 else {
                    continue;
                };
                made += 1;
                let truth = point(&pop, rec.floor);
                let ok = match target {
                    ThresholdTarget::Accuracy(t) => truth.accuracy.mean.unwrap_or(0.0) >= t,
                    ThresholdTarget::MaxFalseAnswerRate(m) => {
                        truth.false_answer_rate.mean.unwrap_or(1.0) <= m
                    }
                };
                met += usize::from(ok);
            }
            assert!(
                made >= 250,
                "{target:?}: only {made} of 300 samples recommend a floor"
            );
            let rate = f64::from(met as u32) / f64::from(made as u32);
            assert!(
                rate >= 0.95,
                "{target:?}: the recommended floor meets the target in {met} of {made} samples"
            );
        }
    }
}
