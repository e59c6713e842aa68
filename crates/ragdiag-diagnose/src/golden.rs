//! The golden-set panel of the diagnose report ([`ragdiag_contract::GoldenSet`]): coverage of
//! the ranking by judgments, duplicate questions, gold pages gone, unanswerable questions the
//! corpus now answers, and leakage with the metrics without the leaked questions. Labels
//! needing re-review come from the caller (`ragdiag_eval::golden::check_label`, which needs the
//! `doc_hash` the questions loader does not keep).
//!
//! Rules, stated once:
//! - **Duplicates**: `exact` when the lower-cased alphanumeric words are the same; `near` when
//!   the word 3-shingle Jaccard ([`ragdiag_core::word_shingles`]) of two questions reaches
//!   [`NEAR_DUPLICATE_JACCARD`]; near pairs are linked into groups (single linkage), found
//!   through an inverted index of shingles (only pairs sharing a shingle are compared).
//! - **Gold gone**: a gold document (judged relevant with grade > 0, or holding evidence) that
//!   is not in the corpus (`missing`), marked deleted (`deleted`), or has a newer version by
//!   the freshness audit's supersession, explicit or inferred (`superseded`).
//! - **Unanswerable now answered**: a question labelled unanswerable whose reference answer or
//!   evidence quote (of at least [`ANSWER_MIN_WORDS`] words, so that `no` or `$39` does not
//!   match anywhere) is found in a live document (exact after normalising whitespace and case,
//!   [`ragdiag_core::find_quote`]).
//! - **Leakage**: `ragdiag_eval::golden::leakage` (word 3-gram containment in one document);
//!   a reference answer found in one of its question's gold pages is extractive and inflates
//!   nothing; every other leak marks its question as leaked.

use crate::Corpus;
use ragdiag_contract::{
    AnsweredNow, Coverage, DuplicateGroup, GoldGone, GoldenCounts, GoldenSet, Interval, Leak,
    Leakage, ReviewLabel,
};
use ragdiag_core::Query;
use ragdiag_eval::coded::CodedRows;
use ragdiag_eval::MetricTable;
use std::collections::{BTreeMap, BTreeSet};

/// Word 3-shingle Jaccard at or above which two questions are near-duplicates.
pub const NEAR_DUPLICATE_JACCARD: f64 = 0.5;

/// Reference answers and quotes shorter than this are not searched for in the corpus.
pub const ANSWER_MIN_WORDS: usize = 3;

/// The parts of the panel that read the questions' evidence and reference answers (and their
/// texts) but no ranking: taken before the questions are diagnosed ([`prepare`]), so that a
/// streamed run can let go of each question's labels with its diagnosis.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    duplicates: Vec<DuplicateGroup>,
    gold_gone: Vec<GoldGone>,
    unanswerable_answered: Vec<AnsweredNow>,
    leaks: Vec<Leak>,
    /// The questions a non-extractive leak marks, sorted.
    leaked: Vec<String>,
    leak_threshold: f64,
}

/// The questions the panel's prepared parts are taken over: held, or read back one at a
/// time from where a streamed run keeps them ([`crate::QuestionStore`]).
pub trait Questions {
    /// Calls `f` with each question (with its labels) and its number, in order.
    ///
    /// # Errors
    ///
    /// When a question cannot be read back.
    fn each(&mut self, f: &mut dyn FnMut(usize, &Query)) -> crate::Result<()>;
}

impl Questions for &[Query] {
    fn each(&mut self, f: &mut dyn FnMut(usize, &Query)) -> crate::Result<()> {
        for (i, q) in self.iter().enumerate() {
            f(i, q);
        }
        Ok(())
    }
}

/// The most question shingles [`prepare`] holds for the leak search before it looks for them
/// in the documents (~40 MB with the search's own lists; each batch reads the documents once).
const LEAK_BATCH_SHINGLES: usize = 1 << 20;

/// The parts of the panel over `queries` (as scored: after `--stale-labels exclude`) that
/// need no ranking: duplicates, gold pages gone, unanswerable questions now answered, and the
/// leaks (with the leak `threshold`, containment). The questions are read in two or three
/// passes, none held: what is kept of each is its text's shingles and a hash of its words
/// (for the duplicates); its texts' shingles for the leaks only until its batch is looked for.
///
/// # Errors
///
/// When `queries` cannot be read.
pub fn prepare(
    corpus: &Corpus<'_>,
    queries: &mut dyn Questions,
    threshold: f64,
) -> crate::Result<Prepared> {
    // First pass: what each question alone tells, and what the duplicates and leaks compare.
    let mut gold_gone = Vec::new();
    let mut answered = Vec::new();
    let mut texts = ragdiag_eval::golden::LeakTexts::default();
    let mut compared = Compared::default();
    let docs: Vec<(&str, &str)> = corpus
        .documents()
        .iter()
        .map(|d| (d.id.as_str(), d.text.as_str()))
        .collect();
    // The leaks are looked for a batch of questions at a time (the same leaks as all at once,
    // [`LeakTexts::find`]): their shingles are never held for every question.
    let mut found = Vec::new();
    queries.each(&mut |i, q| {
        gold_gone_of(corpus, q, &mut gold_gone);
        answered_now_of(corpus, q, &mut answered);
        texts.add(i, &q.text, &q.reference_answers);
        if texts.shingles() >= LEAK_BATCH_SHINGLES {
            found.extend(std::mem::take(&mut texts).find(&docs, threshold));
        }
        compared.add(i, &q.text);
    })?;
    found.extend(texts.find(&docs, threshold));
    drop(docs);
    let (exact, near) = duplicates(queries, compared)?;
    // Second pass: the ids the duplicate groups and leaks name, and the leaking questions'
    // gold pages (a reference answer found in one is extractive).
    let mut named: Vec<usize> = exact
        .iter()
        .chain(near.iter().map(|g| &g.0))
        .flatten()
        .copied()
        .chain(found.iter().map(|l| l.question))
        .collect();
    named.sort_unstable();
    named.dedup();
    let mut ids: Vec<String> = Vec::with_capacity(named.len());
    let mut gold: Vec<Vec<String>> = Vec::with_capacity(named.len());
    queries.each(&mut |i, q| {
        if named.binary_search(&i).is_ok() {
            ids.push(q.id.clone());
            gold.push(gold_docs(q).into_iter().map(str::to_owned).collect());
        }
    })?;
    let at = |i: usize| {
        named
            .binary_search(&i)
            .expect("every named question was read")
    };
    let mut duplicates: Vec<DuplicateGroup> = exact
        .iter()
        .map(|g| DuplicateGroup {
            kind: "exact".into(),
            ids: g.iter().map(|&i| ids[at(i)].clone()).collect(),
            similarity: 1.0,
        })
        .collect();
    duplicates.extend(near.iter().map(|(g, similarity)| DuplicateGroup {
        kind: "near".into(),
        ids: g.iter().map(|&i| ids[at(i)].clone()).collect(),
        similarity: *similarity,
    }));
    let leaks: Vec<Leak> = found
        .into_iter()
        .map(|l| {
            let k = at(l.question);
            let extractive = l.field == "reference_answer" && gold[k].contains(&l.doc);
            Leak {
                query_id: ids[k].clone(),
                field: l.field.into(),
                doc: l.doc,
                containment: l.containment,
                extractive,
            }
        })
        .collect();
    let leaked: BTreeSet<&str> = leaks
        .iter()
        .filter(|l| !l.extractive)
        .map(|l| l.query_id.as_str())
        .collect();
    let leaked = leaked.into_iter().map(str::to_owned).collect();
    Ok(Prepared {
        duplicates,
        gold_gone,
        unanswerable_answered: answered,
        leaks,
        leaked,
        leak_threshold: threshold,
    })
}

/// What the panel is built from.
pub struct GoldenInput<'a> {
    /// What [`prepare`] took of the questions.
    pub prepared: Prepared,
    /// The judged@k intervals ([`coverage`] of [`crate::RankFigures::judged_at`]: the
    /// questions as scored, after `--stale-labels exclude`), taken as soon as the shares are
    /// there so that they need not be held until the panel is built.
    pub coverage: Vec<Coverage>,
    /// The summary's measures of each judged question (`None`: none is judged), whose
    /// nDCG@10 and recall@10 the leakage figures read.
    pub table: Option<&'a MetricTable>,
    /// `--stale-labels`.
    pub stale_rule: &'a str,
    /// Labels read, and those carrying `doc_hash`.
    pub labels: usize,
    /// Of those, carrying `doc_hash`.
    pub tied: usize,
    /// Entries dropped by `exclude`.
    pub excluded: usize,
    /// Labels needing re-review.
    pub needs_review: Vec<ReviewLabel>,
    /// The seed of the intervals.
    pub seed: u64,
}

/// Builds the panel, every list whole and counted ([`GoldenSet::listed`] cuts them for
/// `summary.json`).
#[must_use]
pub fn golden_set(input: GoldenInput<'_>) -> GoldenSet {
    let p = input.prepared;
    let mut golden = GoldenSet {
        stale_rule: input.stale_rule.to_owned(),
        labels: input.labels,
        tied: input.tied,
        excluded: input.excluded,
        coverage: input.coverage,
        near_duplicate_threshold: NEAR_DUPLICATE_JACCARD,
        duplicates: p.duplicates,
        gold_gone: p.gold_gone,
        unanswerable_answered: p.unanswerable_answered,
        leakage: leakage(
            input.table,
            (p.leaks, p.leaked, p.leak_threshold),
            input.seed,
        ),
        needs_review: input.needs_review,
        counts: GoldenCounts::default(),
    };
    golden.counts = GoldenCounts::of(&golden);
    golden
}

/// Sets `summary.golden_set` (its lists cut to what `summary.json` lists,
/// [`GoldenSet::listed`]) and adds a headline line when leaked questions move the metrics or
/// labels need re-review.
pub fn attach(summary: &mut ragdiag_contract::DiagnoseSummary, golden: GoldenSet) {
    let fmt = |iv: &Interval| match (iv.mean, iv.ci_lower, iv.ci_upper) {
        (Some(m), Some(lo), Some(hi)) => format!("{m:.3} ({lo:.3}–{hi:.3}, n = {})", iv.n),
        _ => format!("n/a (n = {})", iv.n),
    };
    let l = &golden.leakage;
    if golden.counts.leaked_questions > 0 {
        let parts: Vec<String> = l
            .metrics_all
            .iter()
            .filter_map(|(name, all)| {
                let without = l.metrics_without.get(name)?;
                Some(format!("{name} {} → {}", fmt(all), fmt(without)))
            })
            .collect();
        summary.headline.push(format!(
            "Leakage: {} question(s) or their reference answers are copied into the corpus; without them {}.",
            golden.counts.leaked_questions,
            parts.join(", ")
        ));
    }
    if golden.counts.needs_review > 0 {
        summary.headline.push(format!(
            "{} label(s) need re-review: their document changed since they were made ({}).",
            golden.counts.needs_review,
            match golden.stale_rule.as_str() {
                "exclude" => format!("{} entries excluded from the metrics", golden.excluded),
                "include" => "scored as they are".to_owned(),
                _ => "scored as they are and listed".to_owned(),
            }
        ));
    }
    summary.golden_set = Some(golden.listed());
}

fn interval(iv: &ragdiag_eval::stats::Interval) -> Interval {
    Interval::of(iv.estimate, iv.lower, iv.upper, iv.n)
}

/// The panel's judged@k: per depth of `judged_at` ([`crate::RankFigures::judged_at`]), the
/// mean judged share of the top k with its bootstrap interval. The depths over as many
/// questions (all of them, as the tally makes them) are bootstrapped together, over the same
/// resamples: each depth's interval is the one it gets alone, bit for bit, for one pass of
/// draws instead of one a depth.
#[must_use]
pub fn coverage(judged_at: &[(usize, CodedRows)], seed: u64) -> Vec<Coverage> {
    let cfg = ragdiag_eval::stats::Config {
        seed,
        ..ragdiag_eval::stats::Config::default()
    };
    let mut judged = vec![Interval::empty(); judged_at.len()];
    let mut lengths: Vec<usize> = judged_at.iter().map(|(_, v)| v.len()).collect();
    lengths.sort_unstable();
    lengths.dedup();
    for n in lengths.into_iter().filter(|&n| n > 0) {
        let depths: Vec<usize> = (0..judged_at.len())
            .filter(|&d| judged_at[d].1.len() == n)
            .collect();
        // Each share read where it is (the bits `bootstrap_means` of the columns would give).
        let intervals = ragdiag_eval::stats::bootstrap_means_by(
            n,
            depths.len(),
            |c, q| judged_at[depths[c]].1.value(q, 0),
            None,
            &cfg,
        );
        for (d, iv) in depths.into_iter().zip(&intervals) {
            judged[d] = interval(iv);
        }
    }
    judged_at
        .iter()
        .zip(judged)
        .map(|((k, _), judged)| Coverage { k: *k, judged })
        .collect()
}

fn normalised(text: &str) -> String {
    ragdiag_core::words(text).join(" ")
}

/// What the duplicates compare of each question: a hash of its normalised words (if any),
/// and its shingles.
#[derive(Default)]
struct Compared {
    /// `(words hash, question number)` of every question with words.
    words: Vec<(u64, usize)>,
    shingles: Shingles,
}

impl Compared {
    /// Question `i`'s text (questions added in order).
    fn add(&mut self, i: usize, text: &str) {
        let n = normalised(text);
        if !n.is_empty() {
            // Equal texts, equal hashes: the texts of a shared hash are compared before they
            // are grouped.
            self.words.push((crate::hash64(&n), i));
        }
        self.shingles.push(text);
    }
}

/// Every text's word 3-shingles one after the other.
#[derive(Default)]
struct Shingles {
    flat: Vec<u64>,
    /// Where text r's end.
    ends: ragdiag_core::Narrow,
}

impl Shingles {
    fn push(&mut self, text: &str) {
        self.flat.extend(ragdiag_core::word_shingles(text));
        self.ends.push_index(self.flat.len());
    }

    /// Where text `r`'s shingles are in `flat`.
    fn span(&self, r: usize) -> std::ops::Range<usize> {
        self.ends.span(r)
    }

    fn of(&self, r: usize) -> &[u64] {
        &self.flat[self.span(r)]
    }
}

/// The exact groups (question numbers, in order of their first) and the near ones (with the
/// lowest Jaccard that linked each), from what was `compared` of every question.
#[allow(clippy::type_complexity)]
fn duplicates(
    queries: &mut dyn Questions,
    compared: Compared,
) -> crate::Result<(Vec<Vec<usize>>, Vec<(Vec<usize>, f64)>)> {
    let Compared {
        mut words,
        shingles,
    } = compared;
    words.sort_unstable();
    // The questions sharing a hash: their texts are read back and compared (a hash is the
    // same for equal texts, seldom for others).
    let mut shared: Vec<usize> = words
        .chunk_by(|a, b| a.0 == b.0)
        .filter(|run| run.len() > 1)
        .flatten()
        .map(|w| w.1)
        .collect();
    shared.sort_unstable();
    let mut texts: Vec<String> = Vec::with_capacity(shared.len());
    if !shared.is_empty() {
        queries.each(&mut |i, q| {
            if shared.binary_search(&i).is_ok() {
                texts.push(normalised(&q.text));
            }
        })?;
    }
    let text = |i: usize| texts[shared.binary_search(&i).expect("read back")].as_str();
    // One representative per distinct text (its first question), and the groups of more than
    // one question, in the order of their first: no list is made for a text of one question
    // (a list each took ~56 bytes a question, most of the panel's peak at a million).
    let mut reps: Vec<usize> = Vec::with_capacity(words.len());
    let mut exact: Vec<Vec<usize>> = Vec::new();
    for run in words.chunk_by(|a, b| a.0 == b.0) {
        if run.len() == 1 {
            reps.push(run[0].1);
            continue;
        }
        let mut by_text: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for w in run {
            by_text.entry(text(w.1)).or_default().push(w.1);
        }
        for group in by_text.into_values() {
            reps.push(group[0]);
            if group.len() > 1 {
                exact.push(group);
            }
        }
    }
    drop((words, texts, shared));
    reps.sort_unstable();
    reps.shrink_to_fit();
    exact.sort_unstable_by_key(|g| g[0]);
    // Near: one representative per distinct text, pairs sharing a shingle compared.
    let (roots, lowest) = link_near(&reps, &shingles);
    // A group's root is its first member ([`link_near`]): the groups of more than one are made
    // from the members that are not their root (no list for a text linked to none).
    let mut linked: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (r, &root) in roots.iter().enumerate() {
        if root != r {
            linked
                .entry(root)
                .or_insert_with(|| vec![reps[root]])
                .push(reps[r]);
        }
    }
    let near = linked
        .into_iter()
        .map(|(root, members)| (members, lowest.get(&root).copied().unwrap_or(1.0)))
        .collect();
    Ok((exact, near))
}

/// Links texts whose word 3-shingle Jaccard reaches [`NEAR_DUPLICATE_JACCARD`] (single
/// linkage; only pairs sharing a shingle are compared, through an inverted index). Returns each
/// text's group (the index of its group's first text) and, per group, the lowest Jaccard of the
/// pairs that linked it.
fn link_near(reps: &[usize], all: &Shingles) -> (Vec<usize>, BTreeMap<usize, f64>) {
    // The postings as one u64 each: a shingle's upper 32 bits above its representative's
    // number, sorted (by shingle, then representative): 8 bytes a shingle, searched in one
    // run of memory, no list per shingle (a map of lists took ~0.3 KB a question on 300,000
    // questions, (shingle, text) pairs 16 bytes a shingle). Two texts that share those bits
    // and no shingle are compared for nothing: the Jaccard of their whole shingles decides, so
    // the groups are those of a full-shingle index. Representatives past u32 are not indexed.
    let shingles = |r: usize| all.of(reps[r]);
    let n = reps.len();
    const HIGH: u64 = !0 << 32;
    let mut postings: Vec<u64> = Vec::new();
    for r in 0..n {
        let Ok(r32) = u32::try_from(r) else {
            break;
        };
        postings.extend(shingles(r).iter().map(|&h| (h & HIGH) | u64::from(r32)));
    }
    postings.sort_unstable();
    let with = |h: u64| {
        postings[crate::equal_run(&postings, |p| p & HIGH, h & HIGH)]
            .iter()
            .map(|p| (p & !HIGH) as usize)
    };
    fn find(p: &mut [usize], mut x: usize) -> usize {
        while p[x] != x {
            p[x] = p[p[x]];
            x = p[x];
        }
        x
    }
    let mut parent: Vec<usize> = (0..n).collect();
    let mut linked: Vec<(usize, f64)> = Vec::new();
    for a in 0..n {
        let candidates: BTreeSet<usize> = shingles(a)
            .iter()
            .flat_map(|&h| with(h))
            .filter(|&b| b > a)
            .collect();
        for b in candidates {
            let j = ragdiag_core::jaccard_sorted(shingles(a), shingles(b));
            if j >= NEAR_DUPLICATE_JACCARD {
                linked.push((a, j));
                let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
                if ra != rb {
                    parent[ra.max(rb)] = ra.min(rb);
                }
            }
        }
    }
    let roots: Vec<usize> = (0..n).map(|i| find(&mut parent, i)).collect();
    let mut lowest: BTreeMap<usize, f64> = BTreeMap::new();
    for (a, j) in linked {
        let e = lowest.entry(roots[a]).or_insert(1.0);
        *e = e.min(j);
    }
    (roots, lowest)
}

/// A candidate question for the golden set, from traffic.
#[derive(Debug, Clone, PartialEq)]
pub struct TrafficCandidate {
    /// The most asked wording (the heaviest; ties: the first seen).
    pub text: String,
    /// How many times the group was asked.
    pub count: usize,
    /// The summed traffic weight.
    pub weight: f64,
    /// The distinct wordings merged into it (normalised text), the candidate's first.
    pub variants: Vec<String>,
}

/// The distinct questions of traffic (`(text, weight)` per record), heaviest first: texts equal
/// after normalisation (lower-cased alphanumeric words) count as one; near-duplicates (word
/// 3-shingle Jaccard ≥ [`NEAR_DUPLICATE_JACCARD`], single linkage) are merged. Ordered by summed
/// weight, then count, then first appearance. Empty texts are skipped.
#[must_use]
pub fn traffic_candidates(records: &[(&str, f64)]) -> Vec<TrafficCandidate> {
    // Distinct normalised texts in first-seen order, with each wording's weight.
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    let mut distinct: Vec<(String, usize, f64, BTreeMap<&str, f64>)> = Vec::new();
    for (text, weight) in records {
        let n = normalised(text);
        if n.is_empty() {
            continue;
        }
        let i = *index.entry(n.clone()).or_insert_with(|| {
            distinct.push((n, 0, 0.0, BTreeMap::new()));
            distinct.len() - 1
        });
        let d = &mut distinct[i];
        d.1 += 1;
        d.2 += weight;
        *d.3.entry(text.trim()).or_default() += weight;
    }
    let mut shingles = Shingles::default();
    for d in &distinct {
        shingles.push(&d.0);
    }
    let all: Vec<usize> = (0..distinct.len()).collect();
    let (roots, _) = link_near(&all, &shingles);
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, root) in roots.iter().enumerate() {
        groups.entry(*root).or_default().push(i);
    }
    let mut out: Vec<(usize, TrafficCandidate)> = groups
        .into_iter()
        .map(|(root, mut members)| {
            // The heaviest wording of the heaviest distinct text names the group.
            members.sort_by(|a, b| distinct[*b].2.total_cmp(&distinct[*a].2).then(a.cmp(b)));
            let top = &distinct[members[0]];
            let text = top
                .3
                .iter()
                .max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(a.0)))
                .map_or_else(|| top.0.clone(), |(t, _)| (*t).to_owned());
            (
                root,
                TrafficCandidate {
                    text,
                    count: members.iter().map(|&m| distinct[m].1).sum(),
                    weight: members.iter().map(|&m| distinct[m].2).sum(),
                    variants: members.iter().map(|&m| distinct[m].0.clone()).collect(),
                },
            )
        })
        .collect();
    out.sort_by(|a, b| {
        b.1.weight
            .total_cmp(&a.1.weight)
            .then(b.1.count.cmp(&a.1.count))
            .then(a.0.cmp(&b.0))
    });
    out.into_iter().map(|(_, c)| c).collect()
}

/// The gold documents of a question: judged relevant (grade > 0) or holding evidence, in
/// first-mention order.
fn gold_docs(q: &Query) -> Vec<&str> {
    let mut seen = BTreeSet::new();
    q.relevant
        .iter()
        .filter(|j| j.grade > 0)
        .map(|j| j.doc.as_str())
        .chain(q.evidence.iter().map(ragdiag_core::Evidence::doc))
        .filter(|d| seen.insert(*d))
        .collect()
}

fn gold_gone_of(corpus: &Corpus<'_>, q: &Query, out: &mut Vec<GoldGone>) {
    for doc in gold_docs(q) {
        let (state, by) = match corpus.index(doc) {
            None => ("missing", None),
            Some(i) if corpus.doc(i).deleted => ("deleted", None),
            Some(i) => match corpus.superseded_by(i) {
                Some(by) => ("superseded", Some(by.to_owned())),
                None => continue,
            },
        };
        out.push(GoldGone {
            query_id: q.id.clone(),
            doc: doc.to_owned(),
            state: state.into(),
            by,
        });
    }
}

fn answered_now_of(corpus: &Corpus<'_>, q: &Query, out: &mut Vec<AnsweredNow>) {
    if q.answerable {
        return;
    }
    let texts = q
        .reference_answers
        .iter()
        .map(|a| ("reference_answer", a.as_str()))
        .chain(q.evidence.iter().filter_map(|e| match e {
            ragdiag_core::Evidence::Quote { quote, .. } => Some(("evidence", quote.as_str())),
            ragdiag_core::Evidence::Span { .. } => None,
        }));
    for (via, text) in texts {
        if ragdiag_core::words(text).len() < ANSWER_MIN_WORDS {
            continue;
        }
        let candidates = corpus
            .may_hold(text)
            .unwrap_or_else(|| (0..corpus.documents().len()).collect());
        for i in candidates {
            if corpus.is_live(i) && ragdiag_core::find_quote(&corpus.doc(i).text, text).is_some() {
                out.push(AnsweredNow {
                    query_id: q.id.clone(),
                    doc: corpus.id(i).to_owned(),
                    via: via.into(),
                });
                return;
            }
        }
    }
}

/// The measures of the leakage figures (DESIGN.md's aliases; the summary's measures hold them).
const LEAK_MEASURES: [&str; 2] = ["ndcg@10", "recall@10"];

/// The leakage block: `leaks` with the questions they mark (`leaked`, sorted), and the metrics
/// with and without those questions.
fn leakage(
    measured: Option<&MetricTable>,
    (leaks, leaked, threshold): (Vec<Leak>, Vec<String>, f64),
    seed: u64,
) -> Leakage {
    let leaked_ids: BTreeSet<&str> = leaked.iter().map(String::as_str).collect();
    // The summary's values of each judged question (evaluated once, for the metrics); the
    // tables with and without the leaked ones are drawn from them. A measure's intervals do
    // not depend on the other measures beside it, so these are the intervals of the two
    // measures evaluated alone.
    let names: Vec<String> = LEAK_MEASURES.iter().map(|m| (*m).to_owned()).collect();
    let table = |keep: &dyn Fn(&str) -> bool| -> BTreeMap<String, Interval> {
        let Some(measured) = measured else {
            return BTreeMap::new();
        };
        match measured.intervals_where(&names, keep, seed) {
            Ok(iv) => iv
                .into_iter()
                .map(|(name, iv)| (name, interval(&iv)))
                .collect(),
            Err(_) => BTreeMap::new(),
        }
    };
    // Over every question, the table's own intervals are those (each measure's the same alone,
    // [`MetricTable::intervals_where`]): taken, not bootstrapped again; likewise without the
    // leaked questions when none leaked.
    let metrics_all: BTreeMap<String, Interval> = measured
        .map(|m| {
            m.names
                .iter()
                .zip(&m.intervals)
                .filter(|(name, _)| names.contains(name))
                .map(|(name, iv)| (name.clone(), interval(iv)))
                .collect()
        })
        .unwrap_or_default();
    let metrics_without = if leaked_ids.is_empty() {
        metrics_all.clone()
    } else {
        table(&|id| !leaked_ids.contains(id))
    };
    Leakage {
        threshold,
        min_words: ragdiag_eval::golden::LEAK_MIN_WORDS,
        leaked_questions: leaked,
        leaks,
        metrics_all,
        metrics_without,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(150))]
        /// Questions of a four-word vocabulary, in varied case and punctuation (many equal
        /// after normalisation, many near): the exact groups are the questions of each
        /// normalised text with more than one, and the near groups those of linking every pair
        /// of distinct texts (each by its first question), in the order of their first.
        #[test]
        fn duplicate_groups_are_those_of_every_text_compared(
            texts in proptest::collection::vec(
                proptest::collection::vec((0usize..4, proptest::bool::ANY), 0..7), 0..30),
        ) {
            const WORDS: [&str; 4] = ["refund", "invoice", "csv", "export"];
            let qs: Vec<Query> = texts
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    let words: Vec<String> = t
                        .iter()
                        .map(|&(w, up)| if up { WORDS[w].to_uppercase() } else { WORDS[w].into() })
                        .collect();
                    q(&format!("q{i}"), &format!("{}?", words.join(" ")))
                })
                .collect();
            let mut compared = Compared::default();
            for (i, x) in qs.iter().enumerate() {
                compared.add(i, &x.text);
            }
            let (exact, near) = duplicates(&mut &qs[..], compared).unwrap();
            // Every text compared with every other.
            let norm: Vec<String> = qs.iter().map(|x| normalised(&x.text)).collect();
            let mut expected_exact = Vec::new();
            let mut reps = Vec::new();
            for i in 0..qs.len() {
                if norm[i].is_empty() || norm[..i].contains(&norm[i]) {
                    continue;
                }
                let group: Vec<usize> = (i..qs.len()).filter(|&j| norm[j] == norm[i]).collect();
                if group.len() > 1 {
                    expected_exact.push(group);
                }
                reps.push(i);
            }
            proptest::prop_assert_eq!(&exact, &expected_exact);
            let shingles: Vec<Vec<u64>> = qs
                .iter()
                .map(|x| {
                    let mut all = Shingles::default();
                    all.push(&x.text);
                    all.of(0).to_vec()
                })
                .collect();
            let mut root: Vec<usize> = (0..reps.len()).collect();
            let mut pairs = Vec::new();
            for a in 0..reps.len() {
                for b in a + 1..reps.len() {
                    let j = ragdiag_core::jaccard_sorted(&shingles[reps[a]], &shingles[reps[b]]);
                    if j >= NEAR_DUPLICATE_JACCARD {
                        pairs.push((a, b, j));
                    }
                }
            }
            // Single linkage to the smallest member, until nothing changes.
            let mut changed = true;
            while changed {
                changed = false;
                for &(a, b, _) in &pairs {
                    let low = root[a].min(root[b]);
                    for r in [a, b] {
                        if root[r] != low {
                            root[r] = low;
                            changed = true;
                        }
                    }
                }
            }
            let mut expected_near = Vec::new();
            for g in 0..reps.len() {
                let members: Vec<usize> = (0..reps.len()).filter(|&r| root[r] == g).collect();
                if members.len() > 1 {
                    let lowest = pairs
                        .iter()
                        .filter(|(a, _, _)| root[*a] == g)
                        .map(|p| p.2)
                        .fold(1.0, f64::min);
                    expected_near.push((members.iter().map(|&r| reps[r]).collect::<Vec<_>>(), lowest));
                }
            }
            proptest::prop_assert_eq!(near, expected_near);
        }

        /// Texts of a five-word vocabulary (many share shingles, some pass the Jaccard cut):
        /// the groups and their lowest Jaccard are those of comparing every pair.
        #[test]
        fn near_links_are_those_of_every_pair_compared(
            texts in proptest::collection::vec(proptest::collection::vec(0usize..5, 0..9), 0..30),
        ) {
            const WORDS: [&str; 5] = ["refund", "invoice", "csv", "export", "plan"];
            let mut all = Shingles::default();
            for t in &texts {
                all.push(&t.iter().map(|&i| WORDS[i]).collect::<Vec<_>>().join(" "));
            }
            let reps: Vec<usize> = (0..texts.len()).collect();
            let (roots, lowest) = link_near(&reps, &all);
            // Every pair compared, single linkage by union-find to the smallest member.
            let n = texts.len();
            let mut root: Vec<usize> = (0..n).collect();
            fn top(r: &mut [usize], mut x: usize) -> usize {
                while r[x] != x {
                    x = r[x];
                }
                x
            }
            let mut pairs = Vec::new();
            for a in 0..n {
                for b in a + 1..n {
                    let (sa, sb) = (all.of(a), all.of(b));
                    if sa.is_empty() || sb.is_empty() {
                        continue;
                    }
                    let j = ragdiag_core::jaccard_sorted(sa, sb);
                    if j >= NEAR_DUPLICATE_JACCARD {
                        pairs.push((a, j));
                        let (ra, rb) = (top(&mut root, a), top(&mut root, b));
                        if ra != rb {
                            root[ra.max(rb)] = ra.min(rb);
                        }
                    }
                }
            }
            let expected: Vec<usize> = (0..n).map(|i| top(&mut root, i)).collect();
            proptest::prop_assert_eq!(&roots, &expected);
            let mut low: BTreeMap<usize, f64> = BTreeMap::new();
            for (a, j) in pairs {
                let e = low.entry(expected[a]).or_insert(1.0);
                *e = e.min(j);
            }
            proptest::prop_assert_eq!(lowest, low);
        }
    }

    /// The depths bootstrapped together get each the interval it gets alone (bit for bit),
    /// whatever their lengths; a depth with no shares gets the empty interval.
    #[test]
    fn coverage_together_equals_each_depth_alone() {
        let share = |n: usize, k: usize| -> Vec<f64> {
            (0..n)
                .map(|i| ((i * 7 + k) % (k + 1)) as f64 / k as f64)
                .collect()
        };
        let plain = [
            (5, share(400, 5)),
            (10, share(400, 10)),
            (20, Vec::new()),
            (30, share(37, 30)),
            (40, share(400, 40)),
        ];
        let judged_at: Vec<(usize, CodedRows)> = plain
            .iter()
            .map(|(k, v)| (*k, CodedRows::column(v.len(), v.iter().copied())))
            .collect();
        let together = coverage(&judged_at, 11);
        // Read from the coded shares, the bits of the shares themselves bootstrapped.
        let cfg = ragdiag_eval::stats::Config {
            seed: 11,
            ..ragdiag_eval::stats::Config::default()
        };
        let columns: Vec<&[f64]> = [0, 1, 4].iter().map(|&d| plain[d].1.as_slice()).collect();
        let direct = ragdiag_eval::stats::bootstrap_means(&columns, None, &cfg);
        for (d, iv) in [0, 1, 4].into_iter().zip(&direct) {
            assert_eq!(together[d].judged, interval(iv));
        }
        assert_eq!(together.len(), judged_at.len());
        for (got, depth) in together.iter().zip(&judged_at) {
            let alone = coverage(std::slice::from_ref(depth), 11);
            assert_eq!(got.k, depth.0);
            assert_eq!(
                format!("{:?}", got.judged),
                format!("{:?}", alone[0].judged)
            );
            assert_eq!(got.judged, alone[0].judged);
            assert_eq!(got.judged.n, depth.1.len());
        }
        assert_eq!(together[2].judged, Interval::empty());
    }

    /// The leakage block's metrics over every question are the table's own intervals (taken,
    /// not bootstrapped again), equal to those bootstrapped over every question; without
    /// the leaked questions they are bootstrapped over the others, and with none leaked they
    /// are the same as over every question.
    #[test]
    fn leakage_metrics_are_the_tables_own_over_every_question() {
        let names: Vec<String> = ["recall@10", "mrr", "ndcg@10"]
            .iter()
            .map(|n| (*n).to_owned())
            .collect();
        let mut values = ragdiag_eval::QueryValues::new(3);
        for i in 0..40u32 {
            let x = f64::from(i % 7) / 7.0;
            values.push(&format!("q{i}"), &[x, 1.0 - x, (x * 3.0) % 1.0]);
        }
        let per = ragdiag_eval::PerQuery {
            names: names.clone(),
            values,
            weights: (0..40).map(|i| f64::from(1 + i % 3)).collect(),
        };
        let table = MetricTable::of(per, 7).unwrap();
        let leak_names: Vec<String> = LEAK_MEASURES.iter().map(|m| (*m).to_owned()).collect();
        let bootstrapped = |keep: &dyn Fn(&str) -> bool| -> BTreeMap<String, Interval> {
            table
                .intervals_where(&leak_names, keep, 7)
                .unwrap()
                .into_iter()
                .map(|(n, iv)| (n, interval(&iv)))
                .collect()
        };
        let all = bootstrapped(&|_| true);
        assert_eq!(all.len(), 2);
        let none = leakage(Some(&table), (Vec::new(), Vec::new(), 0.5), 7);
        assert_eq!(none.metrics_all, all);
        assert_eq!(none.metrics_without, all);
        let leaked = vec!["q3".to_owned(), "q10".to_owned()];
        let some = leakage(Some(&table), (Vec::new(), leaked, 0.5), 7);
        assert_eq!(some.metrics_all, all);
        let without = bootstrapped(&|id| id != "q3" && id != "q10");
        assert_eq!(some.metrics_without, without);
        assert_ne!(without, all, "the leaked questions were left out");
        let empty = leakage(None, (Vec::new(), Vec::new(), 0.5), 7);
        assert!(empty.metrics_all.is_empty() && empty.metrics_without.is_empty());
    }

    fn q(id: &str, text: &str) -> Query {
        Query {
            id: id.into(),
            text: text.into(),
            ..Query::default()
        }
    }

    #[test]
    fn traffic_merges_repeats_and_near_duplicates_heaviest_first() {
        let c = traffic_candidates(&[
            ("When do refunds arrive?", 1.0),
            ("how do i export invoices to csv", 1.0),
            ("when do refunds arrive", 1.0),
            ("How do I export invoices to CSV files", 3.0),
            ("When do refunds arrive?", 1.0),
            ("what is the api rate limit", 1.0),
            ("  ", 5.0),
        ]);
        assert_eq!(c.len(), 3, "{c:?}");
        // Exports: weight 1 + 3 (two records, two wordings merged as near-duplicates).
        assert_eq!(c[0].text, "How do I export invoices to CSV files");
        assert_eq!((c[0].count, c[0].weight), (2, 4.0));
        assert_eq!(
            c[0].variants,
            [
                "how do i export invoices to csv files",
                "how do i export invoices to csv"
            ]
        );
        // Refunds: three records of one normalised text, the commonest wording shown.
        assert_eq!(c[1].text, "When do refunds arrive?");
        assert_eq!((c[1].count, c[1].weight), (3, 3.0));
        assert_eq!(c[2].text, "what is the api rate limit");
    }

    #[test]
    fn duplicates_are_exact_after_normalisation_or_near_by_shingle_jaccard() {
        let qs = [
            q("a", "How do I export invoices to CSV?"),
            q("b", "how do i export invoices to csv"),
            q("c", "how do i export invoices to csv files"),
            q("d", "when do refunds arrive"),
            q("e", "what is the api rate limit"),
        ];
        let d = dups(&qs);
        assert_eq!(d.len(), 2, "{d:?}");
        assert_eq!(
            (d[0].kind.as_str(), d[0].ids.clone()),
            ("exact", vec!["a".to_owned(), "b".to_owned()])
        );
        // a's 5 shingles and c's 6 share 5: Jaccard 5/6.
        assert_eq!(
            (d[1].kind.as_str(), d[1].ids.clone()),
            ("near", vec!["a".to_owned(), "c".to_owned()])
        );
        assert!((d[1].similarity - 5.0 / 6.0).abs() < 1e-12);
        // Below the threshold: one word changed in a four-word question.
        let d = dups(&[
            q("x", "when do refunds arrive"),
            q("y", "when do payouts arrive"),
        ]);
        assert!(d.is_empty(), "{d:?}");
    }

    /// The duplicate groups of `qs`, as [`prepare`] takes them.
    fn dups(qs: &[Query]) -> Vec<DuplicateGroup> {
        let mut compared = Compared::default();
        for (i, q) in qs.iter().enumerate() {
            compared.add(i, &q.text);
        }
        let (exact, near) = duplicates(&mut &qs[..], compared).unwrap();
        let ids = |g: &[usize]| g.iter().map(|&i| qs[i].id.clone()).collect();
        exact
            .iter()
            .map(|g| DuplicateGroup {
                kind: "exact".into(),
                ids: ids(g),
                similarity: 1.0,
            })
            .chain(near.iter().map(|(g, similarity)| DuplicateGroup {
                kind: "near".into(),
                ids: ids(g),
                similarity: *similarity,
            }))
            .collect()
    }
}
