//! The drill-down of `ragdiag diagnose`: each question's window, a few hits below it, and the
//! best gold chunk when it ranks lower, with the evidence highlighted.

use crate::node::class_order;
use crate::{AnswerVerdict, GoldView, QuestionView, RetrievedView, RuleView};
use ragdiag_core::{char_len, char_span_to_bytes, Document, Query};
use ragdiag_diagnose::{Briefs, Diagnosis, RetrievedItem};
use ragdiag_eval::MetricTable;
use ragdiag_fresh::Audit;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};

/// Longest snippet shown for a retrieved chunk, in code points.
const SNIPPET: usize = 1200;

/// One question's retrieved list and answer, as the drill-down shows them.
#[derive(Debug, Clone, Copy, Default)]
pub struct Shown<'a> {
    /// The ranked items, best first.
    pub items: &'a [RetrievedItem],
    /// The system's answer (trace mode).
    pub answer: Option<&'a str>,
}

/// What a run holds of each question, or of some of them (by position among the questions).
#[derive(Debug, Clone, Copy)]
pub enum ByQuestion<'a, T> {
    /// One per question, in question order.
    Every(&'a [T]),
    /// Those of some questions, each with its position; positions ascending.
    Some(&'a [(usize, T)]),
}

impl<'a, T> ByQuestion<'a, T> {
    /// Question `i`'s, where held.
    #[must_use]
    pub fn get(&self, i: usize) -> Option<&'a T> {
        match *self {
            ByQuestion::Every(all) => all.get(i),
            ByQuestion::Some(some) => some
                .binary_search_by_key(&i, |(at, _)| *at)
                .ok()
                .map(|k| &some[k].1),
        }
    }
}

/// What the drill-down of a report is made from.
#[derive(Debug, Clone, Copy)]
pub struct DrillInput<'a> {
    /// The questions, where the run holds them (a streamed trace: those the report draws, with
    /// their labels); what the drill-down reads of the others is in their briefs.
    pub queries: ByQuestion<'a, &'a Query>,
    /// The questions' diagnoses, where the run holds them (a streamed trace: those the report
    /// draws).
    pub diagnoses: ByQuestion<'a, &'a Diagnosis>,
    /// What the summary reads of each question's diagnosis: every question's class, rule and
    /// reason (report.md's list of failing questions). One per question: the questions the
    /// drill-down covers.
    pub briefs: &'a Briefs,
    /// The questions' retrieved lists, where the run holds them (none: an empty list).
    pub shown: ByQuestion<'a, Shown<'a>>,
    /// The corpus.
    pub docs: &'a [Document],
    /// Its freshness audit, aligned with `docs`.
    pub audit: &'a Audit,
    /// Document-level metrics per question, when there are judgments.
    pub table: Option<&'a MetricTable>,
    /// The context window.
    pub context_k: usize,
}

impl DrillInput<'_> {
    /// The questions the drill-down covers.
    fn len(&self) -> usize {
        self.briefs.len()
    }

    /// Question `i`'s diagnosis, where held.
    fn diagnosis(&self, i: usize) -> Option<&Diagnosis> {
        self.diagnoses.get(i).copied()
    }
}

/// Code points `start..end` of `text` (clamped).
fn cp_slice(text: &str, start: usize, end: usize) -> &str {
    let n = char_len(text);
    let (s, e) = (start.min(n), end.min(n).max(start.min(n)));
    match char_span_to_bytes(text, s, e) {
        Some((a, b)) => &text[a..b],
        None => "",
    }
}

/// The drill-down view of every question, in input order (in full where `diagnoses` holds
/// the question's diagnosis, else what its brief holds).
#[must_use]
pub fn question_views(input: &DrillInput<'_>) -> Vec<QuestionView> {
    let ctx = Context::new(input, None);
    (0..input.len()).map(|i| ctx.view(i, true)).collect()
}

/// The drill-down as the pages read it: how many questions there are of each class, the
/// views of the questions `report.html` draws (at most [`SHOWN_PER_CLASS`](crate::SHOWN_PER_CLASS)
/// of a class, its most traffic-weighted in input order among equals) and the views of the failing questions `report.md` lists (the
/// first [`MAX_FAILING`](crate::MAX_FAILING) by class, then in input order). Each view is held
/// with its position in the input.
///
/// [`Drill::of`] makes it from every question's view (which it borrows);
/// [`drawn_question_views`] from a run, making only the views it holds.
#[derive(Debug, Clone, Default)]
pub struct Drill<'a> {
    classes: BTreeMap<String, usize>,
    drawn: Vec<(usize, Cow<'a, QuestionView>)>,
    listed: Vec<(usize, Cow<'a, QuestionView>)>,
}

impl<'a> Drill<'a> {
    /// The drill-down of these views, one per question in input order.
    #[must_use]
    pub fn of(views: &'a [QuestionView]) -> Self {
        let pick = Pick::new(
            views.len(),
            |i| views[i].class.as_str(),
            |i| views[i].traffic_weight(),
        );
        let at = |i: &usize| (*i, Cow::Borrowed(&views[*i]));
        Drill {
            drawn: pick.drawn.iter().map(at).collect(),
            listed: pick.listed.iter().map(at).collect(),
            classes: pick.classes,
        }
    }
}

impl Drill<'_> {
    /// How many questions there are.
    #[must_use]
    pub fn total(&self) -> usize {
        self.classes.values().sum()
    }

    /// How many of them fail ([`is_failing_class`](crate::is_failing_class)).
    #[must_use]
    pub fn failing(&self) -> usize {
        self.classes
            .iter()
            .filter(|(c, _)| crate::is_failing_class(c))
            .map(|(_, n)| n)
            .sum()
    }

    /// Each class name with its number of questions, in the order the page lists the classes.
    #[must_use]
    pub fn classes(&self) -> Vec<(&str, usize)> {
        let mut v: Vec<(&str, usize)> =
            self.classes.iter().map(|(c, n)| (c.as_str(), *n)).collect();
        v.sort_by(|a, b| class_order(a.0, b.0));
        v
    }

    /// The questions `report.html` draws, with their positions, in input order.
    pub fn drawn(&self) -> impl Iterator<Item = (usize, &QuestionView)> {
        self.drawn.iter().map(|(i, v)| (*i, v.as_ref()))
    }

    /// The failing questions `report.md` lists, in the order it lists them.
    pub fn listed(&self) -> impl Iterator<Item = (usize, &QuestionView)> {
        self.listed.iter().map(|(i, v)| (*i, v.as_ref()))
    }
}

/// Which questions the pages show, from each question's class and traffic weight.
struct Pick {
    classes: BTreeMap<String, usize>,
    /// Positions ascending.
    drawn: Vec<usize>,
    /// In report.md's order.
    listed: Vec<usize>,
}

impl Pick {
    fn new<'c>(n: usize, class: impl Fn(usize) -> &'c str, weight: impl Fn(usize) -> f64) -> Self {
        /// A class's count, its first questions (all `report.md` may list of it) and the ones
        /// drawn so far, best first: nothing is held per question of the run.
        #[derive(Default)]
        struct Group {
            count: usize,
            first: Vec<usize>,
            best: Vec<(usize, f64)>,
        }
        let mut groups: BTreeMap<&str, Group> = BTreeMap::new();
        for i in 0..n {
            let g = groups.entry(class(i)).or_default();
            g.count += 1;
            if g.first.len() < crate::MAX_FAILING {
                g.first.push(i);
            }
            // The class's first SHOWN_PER_CLASS in `drawn_order` (a total order: positions
            // differ), as `drawn_of_class` takes them from the whole class.
            let x = (i, weight(i));
            let worse = |y: &(usize, f64)| ragdiag_diagnose::drawn_order(*y, x).is_lt();
            if g.best.len() < crate::SHOWN_PER_CLASS || g.best.last().is_some_and(|y| !worse(y)) {
                let at = g.best.partition_point(worse);
                g.best.insert(at, x);
                g.best.truncate(crate::SHOWN_PER_CLASS);
            }
        }
        let mut drawn: Vec<usize> = groups
            .values()
            .flat_map(|g| g.best.iter().map(|(i, _)| *i))
            .collect();
        drawn.sort_unstable();
        let mut order: Vec<&str> = groups.keys().copied().collect();
        order.sort_by(|a, b| class_order(a, b));
        let listed = order
            .iter()
            .filter(|c| crate::is_failing_class(c))
            .flat_map(|c| groups[c].first.iter().copied())
            .take(crate::MAX_FAILING)
            .collect();
        Pick {
            classes: groups
                .iter()
                .map(|(c, g)| ((*c).to_owned(), g.count))
                .collect(),
            drawn,
            listed,
        }
    }
}

/// The drill-down of a run as the reports use it: the questions `report.html` draws
/// (each class's most traffic-weighted, at most
/// [`SHOWN_PER_CLASS`](crate::SHOWN_PER_CLASS)) in full, and the failing ones `report.md` lists with only
/// what it reads of them (id, class, rule, reason). The pages are the
/// same as from every question's view ([`Drill::of`] of [`question_views`]); no other question's
/// view is made, so the drill-down stays small at any question count.
#[must_use]
pub fn drawn_question_views(input: &DrillInput<'_>) -> Drill<'static> {
    let n = input.len();
    let pick = Pick::new(
        n,
        |i| input.briefs.class(i).as_str(),
        |i| traffic_weight(Some(input.briefs.weight(i))),
    );
    let needed: HashSet<&str> = pick
        .drawn
        .iter()
        .chain(&pick.listed)
        .map(|&i| input.briefs.id(i))
        .collect();
    let ctx = Context::new(input, Some(&needed));
    let drawn = pick
        .drawn
        .iter()
        .map(|&i| {
            debug_assert!(
                input.diagnosis(i).is_some(),
                "question {i} is drawn: its diagnosis is held"
            );
            (i, Cow::Owned(ctx.view(i, true)))
        })
        .collect();
    let listed = pick
        .listed
        .iter()
        .map(|&i| (i, Cow::Owned(ctx.view(i, false))))
        .collect();
    Drill {
        classes: pick.classes,
        drawn,
        listed,
    }
}

/// A question's traffic weight as the page ranks questions: its weight, 1 when unknown or not
/// finite.
pub(crate) fn traffic_weight(weight: Option<f64>) -> f64 {
    weight.filter(|w| w.is_finite()).unwrap_or(1.0)
}

/// What every view is made from, indexed once.
struct Context<'a> {
    input: &'a DrillInput<'a>,
    by_id: HashMap<&'a str, (&'a Document, &'a ragdiag_fresh::DocFreshness)>,
    per_query: HashMap<&'a str, (&'a [String], &'a [f64])>,
}

impl<'a> Context<'a> {
    /// Indexed for every question, or only for the `needed` ids' metrics.
    fn new(input: &'a DrillInput<'a>, needed: Option<&HashSet<&str>>) -> Self {
        let by_id = input.audit.by_id(input.docs);
        let per_query = input
            .table
            .map(|t| {
                t.per_query
                    .iter()
                    .filter(|(q, _)| needed.is_none_or(|n| n.contains(q)))
                    .map(|(q, v)| (q, (t.names.as_slice(), v)))
                    .collect()
            })
            .unwrap_or_default();
        Context {
            input,
            by_id,
            per_query,
        }
    }

    /// The view of question `i`; without `full`, only what report.md's list of failing
    /// questions reads of a question the page does not draw: its id, class, rule and reason
    /// (and its weight).
    fn view(&self, i: usize, full: bool) -> QuestionView {
        let (input, by_id, per_query) = (self.input, &self.by_id, &self.per_query);
        let b = input.briefs.get(i);
        let r = input.shown.get(i).copied().unwrap_or_default();
        let rule = Some(RuleView {
            number: u32::from(b.rule.number()),
            name: b.rule.name().to_owned(),
        });
        // A question drawn in full whose diagnosis the run let go of (it never is: the run
        // keeps the ones the report draws) shows what its brief holds.
        let (Some(d), Some(&q)) = (input.diagnosis(i).filter(|_| full), input.queries.get(i))
        else {
            // The reason is the diagnosis's where it is held: a streamed run may have emptied
            // the brief's of a question it draws.
            let reason = input.diagnosis(i).map_or(b.reason, |d| d.reason.as_str());
            return QuestionView {
                id: b.id.to_string(),
                class: b.class.as_str().to_owned(),
                rule,
                reason: reason.to_owned(),
                weight: Some(b.weight),
                ..QuestionView::default()
            };
        };

        let mut gold: Vec<GoldView> = d
            .gold
            .iter()
            .filter(|g| g.labelled)
            .map(|g| GoldView {
                doc: g.doc.clone(),
                text: by_id
                    .get(g.doc.as_str())
                    .map(|(doc, _)| cp_slice(&doc.text, g.start, g.end).to_owned())
                    .unwrap_or_default(),
            })
            .collect();
        if gold.is_empty() {
            gold = q
                .relevant
                .iter()
                .filter(|j| j.grade > 0)
                .map(|j| GoldView {
                    doc: j.doc.clone(),
                    text: String::new(),
                })
                .collect();
        }
        let show = input.context_k + 3;
        let mut ranks: Vec<usize> = (0..r.items.len().min(show)).collect();
        if let Some(b) = d.best_gold_rank {
            if b > show && b <= r.items.len() {
                ranks.push(b - 1);
            }
        }
        let views = ranks
            .into_iter()
            .map(|i| {
                let item = &r.items[i];
                let entry = by_id.get(item.doc.as_str());
                let (span_text, offset) = match (item.span, entry) {
                    (Some((a, b)), Some((doc, _))) => (cp_slice(&doc.text, a, b), a),
                    _ => (item.text.as_deref().unwrap_or(""), 0),
                };
                let golds: Vec<(usize, usize)> = d
                    .gold
                    .iter()
                    .filter(|g| g.doc == item.doc)
                    .map(|g| (g.start, g.end))
                    .collect();
                // A window of the chunk around its first gold overlap.
                let len = char_len(span_text);
                let first = item.span.and_then(|(a, b)| {
                    golds
                        .iter()
                        .filter(|&&(gs, ge)| gs < b && ge > a)
                        .map(|&(gs, _)| gs.saturating_sub(a))
                        .min()
                });
                let from = if len > SNIPPET {
                    first
                        .map_or(0, |f| f.saturating_sub(SNIPPET / 4))
                        .min(len - SNIPPET)
                } else {
                    0
                };
                let to = (from + SNIPPET).min(len);
                let mut text = cp_slice(span_text, from, to).to_owned();
                if to < len {
                    text.push_str(" …");
                }
                let lo = offset + from;
                let highlight = if item.span.is_some() {
                    golds
                        .iter()
                        .filter_map(|&(gs, ge)| {
                            let (s, e) = (gs.max(lo), ge.min(offset + to));
                            (s < e).then(|| (s - lo, e - lo))
                        })
                        .collect()
                } else {
                    Vec::new()
                };
                let fresh = entry.map(|(_, f)| *f);
                RetrievedView {
                    rank: i + 1,
                    doc: item.doc.to_string(),
                    title: entry.and_then(|(doc, _)| doc.title.clone()),
                    text,
                    score: item.score,
                    stale: fresh.and_then(|f| f.stale),
                    stale_reason: fresh
                        .and_then(|f| f.stale_reason().map(|r| r.as_str().to_owned()))
                        .or_else(|| entry.is_none().then(|| "unknown document".to_owned())),
                    // The engine's own verdict, by the test that decided the class.
                    holds_evidence: d.holds_evidence.get(i).copied().unwrap_or(false),
                    in_window: i < input.context_k,
                    highlight,
                }
            })
            .collect();
        let metrics = per_query
            .get(q.id.as_str())
            .map(|(names, values)| names.iter().cloned().zip(values.iter().copied()).collect())
            .unwrap_or_default();
        QuestionView {
            id: q.id.clone(),
            text: q.text.clone(),
            tags: q.tags.clone(),
            class: d.class.as_str().to_owned(),
            flags: d.flags.iter().map(|f| f.as_str().to_owned()).collect(),
            rule,
            reason: d.reason.clone(),
            evidence_rule: d.evidence_rule.map(|e| {
                serde_json::to_value(e)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default()
            }),
            gold,
            reference_answers: q.reference_answers.clone(),
            answer: r.answer.map(str::to_owned),
            verdict: d
                .answer
                .as_ref()
                .map(|a| AnswerVerdict {
                    correct: a.correct,
                    grounded: Some(a.grounded()),
                    abstained: Some(a.abstained),
                })
                .unwrap_or_default(),
            retrieved: views,
            metrics,
            weight: Some(q.weight),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ragdiag_core::{Evidence, Location, Timestamp, TraceHit, TraceRecord};
    use ragdiag_diagnose::{diagnose_trace, Config, Corpus};

    /// The questions of one class that `report.html` draws in full, given as (input position,
    /// traffic weight): all of them up to [`SHOWN_PER_CLASS`](crate::SHOWN_PER_CLASS), else that
    /// many of the most traffic-weighted (input order among equals); positions ascending.
    fn drawn_of_class(group: &[(usize, f64)]) -> Vec<usize> {
        let mut v = group.to_vec();
        if v.len() > crate::SHOWN_PER_CLASS {
            v.sort_by(|a, b| ragdiag_diagnose::drawn_order(*a, *b));
            v.truncate(crate::SHOWN_PER_CLASS);
        }
        let mut out: Vec<usize> = v.into_iter().map(|(i, _)| i).collect();
        out.sort_unstable();
        out
    }

    /// Which questions the pages show, picked as they come (a class's count, its first
    /// questions and its best drawn so far), are those of every class listed whole:
    /// [`drawn_of_class`] of each class, and the failing classes' questions in class order.
    #[test]
    fn the_questions_shown_are_those_of_the_classes_listed_whole() {
        const CLASSES: [&str; 4] = ["ok", "retrieval_miss", "ranking_miss", "corpus_gap"];
        // A small linear congruential generator: the draws need only vary.
        let mut state: u64 = 7;
        let mut next = |below: u64| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) % below
        };
        for n in [0, 1, 24, 25, 26, 60, 400, 3000] {
            for spread in [1, 3, 1000] {
                let class: Vec<&str> = (0..n).map(|_| CLASSES[next(4) as usize]).collect();
                // Few distinct weights (many ties), NaN and infinite ones counted as 1.
                let weight: Vec<f64> = (0..n)
                    .map(|_| match next(spread + 2) {
                        0 => f64::NAN,
                        1 => f64::INFINITY,
                        k => k as f64,
                    })
                    .map(|w| traffic_weight(Some(w)))
                    .collect();
                let pick = Pick::new(n, |i| class[i], |i| weight[i]);
                let mut groups: BTreeMap<&str, Vec<(usize, f64)>> = BTreeMap::new();
                for i in 0..n {
                    groups.entry(class[i]).or_default().push((i, weight[i]));
                }
                let mut drawn: Vec<usize> =
                    groups.values().flat_map(|g| drawn_of_class(g)).collect();
                drawn.sort_unstable();
                assert_eq!(pick.drawn, drawn, "{n} {spread}");
                let mut order: Vec<&str> = groups.keys().copied().collect();
                order.sort_by(|a, b| class_order(a, b));
                let listed: Vec<usize> = order
                    .iter()
                    .filter(|c| crate::is_failing_class(c))
                    .flat_map(|c| groups[c].iter().map(|(i, _)| *i))
                    .take(crate::MAX_FAILING)
                    .collect();
                assert_eq!(pick.listed, listed, "{n} {spread}");
                let classes: BTreeMap<String, usize> = groups
                    .iter()
                    .map(|(c, g)| ((*c).to_owned(), g.len()))
                    .collect();
                assert_eq!(pick.classes, classes, "{n} {spread}");
            }
        }
    }

    #[test]
    fn the_pages_are_the_same_with_only_the_drawn_questions_hits() {
        let docs: Vec<Document> = (0..4)
            .map(|i| Document {
                id: format!("d{i}"),
                text: format!("Page {i}. Plans cost ${i}9 per month. Refunds take {i} days."),
                updated_at: Timestamp::parse("2026-03-01"),
                ..Document::default()
            })
            .collect();
        let audit = ragdiag_fresh::audit(
            &docs,
            &ragdiag_fresh::Config::new(Timestamp::parse("2026-10-01").unwrap()),
        );
        let corpus = Corpus::new(&docs, &audit);
        // 70 questions: most in one class (more than the page draws), weights repeating.
        let (queries, trace): (Vec<Query>, Vec<TraceRecord>) = (0..70)
            .map(|n| {
                let q = Query {
                    id: format!("q{n}"),
                    text: format!("question {n}"),
                    evidence: vec![Evidence::Quote {
                        doc: format!("d{}", n % 4),
                        quote: format!("Plans cost ${}9 per month.", n % 4),
                    }],
                    reference_answers: vec![format!("${}9", n % 4)],
                    weight: [1.0, 3.0, 2.0, 3.0, 0.5][n % 5],
                    ..Query::default()
                };
                let r = TraceRecord {
                    query_id: q.id.clone(),
                    retrieved: (0..3)
                        .map(|k| TraceHit {
                            doc: format!("d{}", (n + k + 1) % 4),
                            ..TraceHit::default()
                        })
                        .collect(),
                    answer: Some(format!("It costs ${}9.", (n + 1) % 4)),
                    origin: Location::new("t.jsonl", n as u64 + 1),
                    ..TraceRecord::default()
                };
                (q, r)
            })
            .unzip();
        let cfg = Config {
            context_k: 2,
            ..Config::default()
        };
        let ds = diagnose_trace(&corpus, &queries, &trace, &cfg).unwrap();
        let (diagnoses, shown) =
            ragdiag_diagnose::diagnose_trace_shown(&corpus, &queries, &trace, &cfg).unwrap();
        assert_eq!(ds.diagnoses, diagnoses.diagnoses);
        let shown: Vec<Shown<'_>> = shown
            .items
            .iter()
            .zip(&shown.answers)
            .map(|(items, a)| Shown {
                items,
                answer: a.as_deref(),
            })
            .collect();
        let held: Vec<&ragdiag_diagnose::Diagnosis> = ds.diagnoses.iter().collect();
        let briefs = ragdiag_diagnose::Brief::all(
            &ds.diagnoses,
            &queries,
            Some(&trace),
            &ragdiag_diagnose::BriefContext::new(
                &docs,
                &audit,
                &ragdiag_diagnose::ThresholdOptions {
                    target: ragdiag_contract::ThresholdTarget::Accuracy(0.95),
                    current: None,
                    answer_f1: 0.8,
                    ground_token_share: 0.6,
                },
            ),
        );
        let held_queries: Vec<&Query> = queries.iter().collect();
        let input = DrillInput {
            queries: ByQuestion::Every(&held_queries),
            diagnoses: ByQuestion::Every(&held),
            briefs: &briefs,
            shown: ByQuestion::Every(&shown),
            docs: &docs,
            audit: &audit,
            table: None,
            context_k: 2,
        };
        let all = question_views(&input);
        let drawn = drawn_question_views(&input);
        let largest = all
            .iter()
            .map(|v| all.iter().filter(|w| w.class == v.class).count())
            .max()
            .unwrap();
        assert!(largest > crate::SHOWN_PER_CLASS, "{largest}");
        // The drawn questions' views are their full views; report.md's listed ones carry the
        // id, class, rule and reason; no other question's view is made.
        let whole = Drill::of(&all);
        assert_eq!(drawn.classes(), whole.classes());
        assert_eq!(drawn.total(), all.len());
        let drawn_views: Vec<(usize, &QuestionView)> = drawn.drawn().collect();
        assert_eq!(drawn_views, whole.drawn().collect::<Vec<_>>());
        assert!(drawn_views.len() < all.len() && drawn_views.len() >= crate::SHOWN_PER_CLASS);
        assert!(drawn_views.iter().all(|(i, v)| *v == &all[*i]));
        assert!(drawn_views.iter().all(|(_, v)| !v.retrieved.is_empty()));
        let listed: Vec<(usize, &QuestionView)> = drawn.listed().collect();
        assert_eq!(
            listed.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
            whole.listed().map(|(i, _)| i).collect::<Vec<_>>()
        );
        assert!(!listed.is_empty());
        for (i, v) in &listed {
            let w = &all[*i];
            assert_eq!(
                (&v.id, &v.class, &v.rule, &v.reason),
                (&w.id, &w.class, &w.rule, &w.reason)
            );
            assert!(!v.id.is_empty() && !v.reason.is_empty() && v.is_failing());
        }
        // Some listed questions are not drawn: their views are the light ones.
        assert!(listed
            .iter()
            .any(|(i, v)| v.retrieved.is_empty() && !drawn_views.iter().any(|(j, _)| j == i)));
        // Every listed view is light, those of drawn questions too (the streamed run below
        // empties those questions' brief reasons: their listed views read the diagnosis's).
        assert!(listed.iter().all(|(_, v)| v.retrieved.is_empty()));
        assert!(listed
            .iter()
            .any(|(i, _)| drawn_views.iter().any(|(j, _)| j == i)));
        let summary = serde_json::json!({});
        assert_eq!(
            crate::render_html_json(&summary, &all),
            crate::html::render(&summary, &drawn)
        );
        assert_eq!(
            crate::render_markdown_json(&summary, &all),
            crate::markdown::render(&summary, &drawn)
        );
        // A streamed run holds only the drawn questions and their diagnoses, and may have let
        // go of their briefs' reasons (the views of drawn questions read the diagnosis): the
        // same views.
        let mut groups: HashMap<ragdiag_diagnose::Class, Vec<(usize, f64)>> = HashMap::new();
        for (i, d) in ds.diagnoses.iter().enumerate() {
            groups
                .entry(d.class)
                .or_default()
                .push((i, queries[i].weight));
        }
        let drawn_at: Vec<usize> = groups.values().flat_map(|g| drawn_of_class(g)).collect();
        let mut drawn_at = drawn_at;
        drawn_at.sort_unstable();
        let only_drawn: Vec<(usize, &ragdiag_diagnose::Diagnosis)> =
            drawn_at.iter().map(|&i| (i, &ds.diagnoses[i])).collect();
        let streamed_briefs: ragdiag_diagnose::Briefs = briefs
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let mut b = b.to_brief();
                if drawn_at.contains(&i) {
                    b.reason = Box::default();
                }
                b
            })
            .collect();
        let only_drawn_queries: Vec<(usize, &Query)> =
            drawn_at.iter().map(|&i| (i, &queries[i])).collect();
        // Only the drawn questions' retrieved lists, too.
        let only_drawn_shown: Vec<(usize, Shown<'_>)> =
            drawn_at.iter().map(|&i| (i, shown[i])).collect();
        let streamed = drawn_question_views(&DrillInput {
            queries: ByQuestion::Some(&only_drawn_queries),
            diagnoses: ByQuestion::Some(&only_drawn),
            briefs: &streamed_briefs,
            shown: ByQuestion::Some(&only_drawn_shown),
            ..input
        });
        assert_eq!(streamed.classes(), drawn.classes());
        assert_eq!(
            streamed.drawn().collect::<Vec<_>>(),
            drawn.drawn().collect::<Vec<_>>()
        );
        assert_eq!(
            streamed.listed().collect::<Vec<_>>(),
            drawn.listed().collect::<Vec<_>>()
        );
    }
}
