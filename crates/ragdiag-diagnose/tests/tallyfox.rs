//! The demo data (`corpora/tallyfox`, `queries/tallyfox.*`) in trace mode against its truth file.
#![allow(missing_docs)]

use ragdiag_core::Timestamp;
use ragdiag_diagnose::{
    diagnose_trace, Brief, BriefContext, Briefs, Class, Config, Corpus, Diagnoses, Flag, Mode,
};
use ragdiag_load::{load_corpus, load_queries, load_trace, LoadOptions};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

struct Truth {
    as_of: String,
    context_k: usize,
    cover: f64,
    /// question → (class, flags)
    questions: BTreeMap<String, (String, BTreeSet<String>)>,
}

fn truth() -> Truth {
    let raw = std::fs::read_to_string(root().join("queries/tallyfox.truth.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&raw).unwrap();
    let questions = v["questions"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(id, q)| {
            let class = q["class"].as_str().unwrap().to_string();
            let flags = q["flags"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f.as_str().unwrap().to_string())
                .collect();
            (id.clone(), (class, flags))
        })
        .collect();
    Truth {
        as_of: v["as_of"].as_str().unwrap().to_string(),
        context_k: usize::try_from(v["context_k"].as_u64().unwrap()).unwrap(),
        cover: v["cover"].as_f64().unwrap(),
        questions,
    }
}

fn run(truth: &Truth) -> Diagnoses {
    let (docs, queries, trace) = demo();
    let fresh = audit_at(&docs, truth);
    let corpus = Corpus::new(&docs, &fresh);
    let cfg = trace_config(truth);
    diagnose_trace(&corpus, &queries, &trace, &cfg).unwrap()
}

/// The demo's corpus, questions and trace.
fn demo() -> (
    Vec<ragdiag_core::Document>,
    Vec<ragdiag_core::Query>,
    Vec<ragdiag_core::TraceRecord>,
) {
    let opts = LoadOptions::default();
    let load = |rel: &str| root().join(rel);
    (
        load_corpus(&load("corpora/tallyfox"), &opts).unwrap().items,
        load_queries(&load("queries/tallyfox.jsonl"), &opts)
            .unwrap()
            .items,
        load_trace(&load("queries/tallyfox.trace.jsonl"), &opts)
            .unwrap()
            .items,
    )
}

/// The freshness audit of `docs` at the truth file's date.
/// Trace mode at the truth file's context window and cover.
fn trace_config(truth: &Truth) -> Config<'static> {
    Config {
        mode: Mode::Trace,
        context_k: truth.context_k,
        cover: truth.cover,
        ..Config::default()
    }
}

fn audit_at(docs: &[ragdiag_core::Document], truth: &Truth) -> ragdiag_fresh::Audit {
    ragdiag_fresh::audit(
        docs,
        &ragdiag_fresh::Config::new(Timestamp::parse(&truth.as_of).unwrap()),
    )
}

/// Class agreement: ≥ 90% overall, ≥ 80% within every truth class.
#[test]
fn trace_mode_classes_agree_with_the_truth_file() {
    let truth = truth();
    let out = run(&truth);
    assert_eq!(out.diagnoses.len(), truth.questions.len());
    let mut confusion: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut per_class: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut agree = 0;
    let mut wrong = String::new();
    for d in &out.diagnoses {
        let (want, _) = &truth.questions[&d.query_id];
        let got = d.class.as_str().to_string();
        *confusion.entry((want.clone(), got.clone())).or_default() += 1;
        let e = per_class.entry(want.clone()).or_default();
        e.1 += 1;
        if &got == want {
            agree += 1;
            e.0 += 1;
        } else {
            writeln!(
                wrong,
                "  {}: truth {want}, got {got} (rule {}): {}",
                d.query_id, d.rule, d.reason
            )
            .unwrap();
        }
    }
    let n = out.diagnoses.len();
    let overall = agree as f64 / n as f64;
    let mut table = format!("overall {agree}/{n} = {overall:.3}\nper class:\n");
    for (c, (a, t)) in &per_class {
        writeln!(table, "  {c:<20} {a}/{t} = {:.3}", *a as f64 / *t as f64).unwrap();
    }
    let classes: Vec<&str> = Class::ALL.iter().map(|c| c.as_str()).collect();
    write!(
        table,
        "confusion (rows truth, columns assigned):\n{:<20}",
        ""
    )
    .unwrap();
    for c in &classes {
        write!(table, " {:>5}", &c[..c.len().min(5)]).unwrap();
    }
    table.push('\n');
    for r in &classes {
        write!(table, "{r:<20}").unwrap();
        for c in &classes {
            let v = confusion
                .get(&((*r).to_string(), (*c).to_string()))
                .copied()
                .unwrap_or(0);
            write!(table, " {v:>5}").unwrap();
        }
        table.push('\n');
    }
    table.push_str("disagreements:\n");
    table.push_str(&wrong);
    assert!(overall >= 0.9, "{table}");
    for (c, (a, t)) in &per_class {
        assert!(*a as f64 / *t as f64 >= 0.8, "class {c} below 80%\n{table}");
    }
}

/// Flag agreement, per flag (precision and recall against the truth's flags). The truth file
/// only plants `corpus_gap`, `stale_in_context`, `chunking_split` and `conflicting_versions`;
/// every other flag must be absent.
#[test]
fn trace_mode_flags_agree_with_the_truth_file() {
    let truth = truth();
    let out = run(&truth);
    let mut report = String::new();
    let mut exact = 0;
    let mut ok = true;
    for flag in Flag::ALL {
        let (mut tp, mut fp, mut fn_) = (0, 0, 0);
        for d in &out.diagnoses {
            let want = truth.questions[&d.query_id].1.contains(flag.as_str());
            let got = d.flags.contains(&flag);
            match (want, got) {
                (true, true) => tp += 1,
                (false, true) => {
                    fp += 1;
                    writeln!(report, "  {}: extra {flag}", d.query_id).unwrap();
                }
                (true, false) => {
                    fn_ += 1;
                    writeln!(report, "  {}: missing {flag}", d.query_id).unwrap();
                }
                (false, false) => {}
            }
        }
        writeln!(report, "{flag:<24} tp {tp:>3} fp {fp:>3} fn {fn_:>3}").unwrap();
        ok &= fp + fn_ <= 2;
    }
    for d in &out.diagnoses {
        let want = &truth.questions[&d.query_id].1;
        let got: BTreeSet<String> = d.flags.iter().map(|f| f.as_str().to_string()).collect();
        if &got == want {
            exact += 1;
        }
    }
    let share = exact as f64 / out.diagnoses.len() as f64;
    writeln!(
        report,
        "questions with exactly the truth's flags: {exact}/{} = {share:.3}",
        out.diagnoses.len()
    )
    .unwrap();
    assert!(ok && share >= 0.95, "{report}");
}

/// Same inputs, same output, serialised byte for byte.
#[test]
fn diagnosis_is_deterministic() {
    let truth = truth();
    let a = serde_json::to_string(&run(&truth)).unwrap();
    let b = serde_json::to_string(&run(&truth)).unwrap();
    assert_eq!(a, b);
}

/// Questions are diagnosed in parallel: one thread and four give the same diagnoses and the
/// same warnings, in the same order.
#[test]
fn diagnosis_does_not_depend_on_the_thread_count() {
    let truth = truth();
    let with = |n: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .unwrap();
        let out = pool.install(|| run(&truth));
        (
            serde_json::to_string(&out).unwrap(),
            format!("{:?}", out.warnings),
        )
    };
    assert_eq!(with(1), with(4));
}

/// Every trace text is an exact substring of its page, so locating them warns about nothing.
#[test]
fn demo_trace_locates_every_hit() {
    let truth = truth();
    let out = run(&truth);
    assert!(out.warnings.is_empty(), "{:?}", out.warnings);
    assert_eq!(out.summary.questions, 133);
    assert_eq!(out.summary.count(Class::NoLabel), 12);
}

/// "Fix first" on the demo: every failing question lands in exactly one action, the pages
/// behind each action are its questions' own, stale pages redirect to current ones, the list
/// is ranked by traffic, and the reranker's planted effects come back.
#[test]
fn fix_first_accounts_for_every_failure_and_names_the_pages() {
    use ragdiag_contract::FixKind;
    let truth = truth();
    let (docs, queries, _) = demo();
    let fresh = audit_at(&docs, &truth);
    let out = run(&truth);
    let ds = &out.diagnoses;
    let briefs = Brief::all(
        ds,
        &queries,
        None,
        &BriefContext::new(&docs, &fresh, &thresholds()),
    );
    let actions = ragdiag_diagnose::fix_first(&briefs);
    let failing: BTreeSet<&str> = ds
        .iter()
        .filter(|d| d.class.is_failure())
        .map(|d| d.query_id.as_str())
        .collect();
    let mut seen = BTreeSet::new();
    for a in &actions {
        assert_eq!(a.questions, a.queries.len());
        for q in &a.queries {
            assert!(seen.insert(q.as_str()), "{q} in two actions");
        }
        let own: BTreeSet<&str> = a.queries.iter().map(String::as_str).collect();
        for p in &a.pages {
            assert!(!p.queries.is_empty());
            assert!(p.queries.iter().all(|q| own.contains(q.as_str())), "{p:?}");
        }
        let class_of = |q: &str| ds.iter().find(|d| d.query_id == q).unwrap().class;
        let want = match a.kind {
            FixKind::RetireStalePage | FixKind::UpdateStalePage => Class::StaleSource,
            FixKind::SurfacePage => Class::RetrievalMiss,
            FixKind::KeepEvidenceWhole => Class::ChunkingSplit,
            FixKind::ImproveRanking => Class::RankingMiss,
            FixKind::WritePage => Class::CorpusGap,
            FixKind::FixGeneration => Class::GenerationFailure,
        };
        assert!(a.queries.iter().all(|q| class_of(q) == want), "{a:?}");
        let share = a.share.mean.unwrap();
        assert!(a.share.ci_lower.unwrap() < share && share < a.share.ci_upper.unwrap());
    }
    assert_eq!(
        seen, failing,
        "every failing question in exactly one action"
    );
    assert!(actions.windows(2).all(|w| w[0].weight >= w[1].weight));
    assert!(actions.iter().enumerate().all(|(i, a)| a.rank == i + 1));
    let by_kind = |k: FixKind| actions.iter().find(|a| a.kind == k).unwrap();
    // The 2025 price list outranks the current one for q003 (truth's rationale).
    let retire = by_kind(FixKind::RetireStalePage);
    let p = retire
        .pages
        .iter()
        .find(|p| p.page == "pricing-plans-2025")
        .unwrap();
    assert_eq!(p.successor.as_deref(), Some("pricing-plans"));
    assert!(p.queries.contains(&"q003".to_owned()));
    let stale = |id: &str| {
        fresh
            .documents
            .iter()
            .find(|d| d.id == id)
            .and_then(|d| d.stale)
    };
    for p in &retire.pages {
        assert_eq!(stale(&p.page), Some(true), "{}", p.page);
        assert_ne!(stale(p.successor.as_deref().unwrap()), Some(true));
    }
    // q006's refund evidence straddles a heading: its page is named with the span's size.
    let split = by_kind(FixKind::KeepEvidenceWhole);
    let p = split
        .pages
        .iter()
        .find(|p| p.page == "billing-refund-policy")
        .unwrap();
    assert!(p.queries.contains(&"q006".to_owned()));
    assert!(p.chunk_words.unwrap() >= 5 && p.chunk_chars.unwrap() > p.chunk_words.unwrap());
    assert_eq!(
        split.chunk_words,
        split.pages.iter().filter_map(|p| p.chunk_words).max()
    );

    let impact = ragdiag_diagnose::reranker_impact(&briefs, truth.context_k, 42).unwrap();
    assert_eq!(impact.helped.queries, ["q001", "q007", "q011"]);
    assert_eq!(impact.hurt.queries, ["q009", "q030", "q078"]);
}

/// The demo trace, doctored so that the join has every case: lines out of question order, a
/// line for an unknown question, a second line for a question, questions without a line, and
/// hits whose text is not found (kept), matches only once normalised (kept) or names no
/// document in the corpus (kept).
fn doctored_trace() -> Vec<ragdiag_core::TraceRecord> {
    let opts = LoadOptions::default();
    let mut trace = load_trace(&root().join("queries/tallyfox.trace.jsonl"), &opts)
        .unwrap()
        .items;
    trace.reverse();
    trace.truncate(trace.len() - 5);
    let mut unknown = trace[3].clone();
    unknown.query_id = "no-such-question".into();
    let second = trace[10].clone();
    let (a, b) = trace.split_at_mut(20);
    if let Some(h) = a[0].retrieved.first_mut() {
        h.text = Some("a passage the page does not hold".into());
    }
    if let Some(h) = a[1].retrieved.first_mut() {
        h.text = h.text.as_ref().map(|t| t.to_uppercase());
    }
    if let Some(h) = b[0].retrieved.first_mut() {
        h.doc = "no-such-page".into();
    }
    trace.insert(7, unknown);
    trace.push(second);
    trace
}

/// The review thresholds of the briefs (the CLI's defaults).
fn thresholds() -> ragdiag_diagnose::ThresholdOptions {
    ragdiag_diagnose::ThresholdOptions {
        target: ragdiag_contract::ThresholdTarget::Accuracy(0.95),
        current: None,
        answer_f1: 0.8,
        ground_token_share: 0.6,
    }
}

/// The briefs of `whole` (each with its first record in `trace`), with (`listed`: `Some`) the reason of every question let go that
/// is not among the first `listed` of its failing class in question order (what `report.md`
/// may list).
fn briefs_of(
    whole: &Diagnoses,
    queries: &[ragdiag_core::Query],
    trace: &[ragdiag_core::TraceRecord],
    briefing: &BriefContext<'_>,
    listed: Option<usize>,
) -> Briefs {
    let out = Brief::all(&whole.diagnoses, queries, Some(trace), briefing);
    let Some(listed) = listed else {
        return out;
    };
    let mut seen: BTreeMap<Class, usize> = BTreeMap::new();
    out.iter()
        .map(|b| {
            let mut b = b.to_brief();
            let n = seen.entry(b.class).or_default();
            let is_listed = b.class.is_failure() && *n < listed;
            if b.class.is_failure() {
                *n += 1;
            }
            if !is_listed {
                b.reason = Box::default();
            }
            b
        })
        .collect()
}

thread_local! {
    /// How many times a run said it let go of much at once ([`count_freed`]).
    static FREED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Counts a run's calls on this thread ([`ragdiag_diagnose::TraceRun::with_freed`]).
fn count_freed() {
    FREED.set(FREED.get() + 1);
}

/// The labels a run hands back: those it was handed and holds, or, for a stored run, those
/// of the questions it hands back whole (those whose diagnosis it holds, each of which equals
/// the question it took); every question it keeps in its store equals the question it took
/// but for its labels.
fn held_labels(
    got: &mut ragdiag_diagnose::Streamed,
    slim: &[ragdiag_core::Query],
    stored: bool,
    at: &str,
) -> Vec<Option<Box<ragdiag_diagnose::QueryLabels>>> {
    if !stored {
        assert!(got.held.iter().all(|(_, h)| h.query.is_none()), "{at}");
        assert!(got.stored.is_none(), "{at}");
        return got.labels.clone();
    }
    assert!(got.labels.is_empty(), "{at}");
    assert_eq!(got.briefs.len(), slim.len(), "{at}");
    let questions = got
        .stored
        .as_mut()
        .expect("a stored run hands its store back");
    assert_eq!(questions.len(), slim.len(), "{at}");
    for (i, s) in slim.iter().enumerate() {
        let q = questions.question(i).unwrap();
        assert_eq!(format!("{q:?}"), format!("{s:?}"), "{at}");
    }
    (0..slim.len())
        .zip(slim)
        .map(|(i, s)| {
            let held = got.held(i)?;
            let mut q = held
                .query
                .as_deref()
                .expect("a stored run hands back each question it holds")
                .clone();
            let l = ragdiag_diagnose::QueryLabels::take(&mut q);
            assert_eq!(format!("{q:?}"), format!("{s:?}"), "{at}");
            l
        })
        .collect()
}

/// The diagnoses a streamed run hands back, one entry per question (`None` where it holds
/// none), as JSON: what [`held`] gives for the questions it holds.
fn held_diagnoses(got: &ragdiag_diagnose::Streamed) -> String {
    let n = got.briefs.len();
    assert!(got.held.windows(2).all(|w| w[0].0 < w[1].0));
    assert!(got.held.last().is_none_or(|(i, _)| *i < n));
    let held: Vec<Option<&ragdiag_diagnose::Diagnosis>> =
        (0..n).map(|i| got.held(i).map(|h| &*h.diagnosis)).collect();
    serde_json::to_string(&held).unwrap()
}

/// The items and answers a streamed run hands back, one entry per question (empty and `None`
/// where it holds none).
fn held_shown(got: &ragdiag_diagnose::Streamed) -> ragdiag_diagnose::Shown {
    let n = got.briefs.len();
    ragdiag_diagnose::Shown {
        items: (0..n)
            .map(|i| got.held(i).map_or_else(Vec::new, |h| h.items.clone()))
            .collect(),
        answers: (0..n)
            .map(|i| got.held(i).and_then(|h| h.answer.clone()))
            .collect(),
    }
}

/// The diagnoses a run holds of `whole`: those of `drawn`, or (`None`) all of them; as JSON.
fn held(whole: &Diagnoses, drawn: Option<&BTreeSet<usize>>) -> String {
    let held: Vec<Option<&ragdiag_diagnose::Diagnosis>> = (0..whole.diagnoses.len())
        .map(|i| {
            drawn
                .is_none_or(|d| d.contains(&i))
                .then(|| &whole.diagnoses[i])
        })
        .collect();
    serde_json::to_string(&held).unwrap()
}

/// The questions each class's drawn sample holds with one per class: the first in
/// [`drawn_order`](ragdiag_diagnose::drawn_order) (weights not finite count 1).
fn first_drawn(ds: &Diagnoses, queries: &[ragdiag_core::Query]) -> BTreeSet<usize> {
    let mut groups: BTreeMap<Class, Vec<(usize, f64)>> = BTreeMap::new();
    for (i, d) in ds.diagnoses.iter().enumerate() {
        let w = queries[i].weight;
        groups
            .entry(d.class)
            .or_default()
            .push((i, if w.is_finite() { w } else { 1.0 }));
    }
    groups
        .values_mut()
        .map(|g| {
            g.sort_by(|a, b| ragdiag_diagnose::drawn_order(*a, *b));
            g[0].0
        })
        .collect()
}

/// A trace in question order is released part by part as it comes, so a question kept for the
/// drill-down when released can be displaced later by a heavier one of its class and let go
/// then: the outcome is the same as when everything is released at the end (every brief
/// taken, the unlisted reasons let go; the items and diagnoses of all but the drawn questions
/// let go), whether the questions carry their evidence and reference answers or hand them to
/// the run (which then holds at the end only the drawn questions').
#[test]
fn a_trace_in_question_order_is_released_as_it_comes() {
    use ragdiag_diagnose::{QueryLabels, TraceRun};
    let truth = truth();
    let (docs, all, trace) = demo();
    // The questions in the trace's order, each weighing more than the one before: the last of
    // a class is the one drawn, so every earlier one kept at its release is displaced later.
    let mut seen = BTreeSet::new();
    let mut queries: Vec<ragdiag_core::Query> = trace
        .iter()
        .filter(|t| seen.insert(t.query_id.clone()))
        .filter_map(|t| all.iter().find(|q| q.id == t.query_id).cloned())
        .collect();
    for (i, q) in queries.iter_mut().enumerate() {
        q.weight = 1.0 + f64::from(u32::try_from(i).unwrap());
    }
    let fresh = audit_at(&docs, &truth);
    let corpus = Corpus::new(&docs, &fresh);
    let cfg = trace_config(&truth);
    let (whole, _) =
        ragdiag_diagnose::diagnose_trace_shown(&corpus, &queries, &trace, &cfg).unwrap();
    let drawn = first_drawn(&whole, &queries);
    let briefing = BriefContext::new(&docs, &fresh, &thresholds());
    let expected = briefs_of(&whole, &queries, &trace, &briefing, Some(1));
    // Some failing class has an earlier question than its drawn one (displaced after release),
    // and that earlier one is listed (its brief keeps the reason after the late let-go).
    let displaced_and_listed = whole.diagnoses.iter().enumerate().any(|(i, d)| {
        d.class.is_failure()
            && !drawn.contains(&i)
            && !expected.get(i).reason.is_empty()
            && expected.get(i).reason == d.reason
    });
    assert!(displaced_and_listed);
    // The same questions with their evidence and reference answers handed to the run.
    let mut slim = queries.clone();
    let labels: Vec<_> = slim.iter_mut().map(QueryLabels::take).collect();
    assert!(labels.iter().flatten().count() > 10);
    assert!(slim
        .iter()
        .all(|q| q.evidence.is_empty() && q.reference_answers.is_empty()));
    // Labels kept by the caller, handed to the run, or handed to it and kept in its store.
    let runs = [(1, 1), (1, 3), (4, 1), (4, 5)]
        .into_iter()
        .flat_map(|bp| [(false, false), (true, false), (true, true)].map(move |(t, s)| (bp, t, s)));
    for ((batch, part), taken, stored) in runs {
        let at = format!("batch {batch}, part {part}, labels taken {taken}, stored {stored}");
        let mut run = if stored {
            let store = Box::new(Vec::<u8>::new());
            TraceRun::stored(&corpus, &briefing, queries.clone(), &cfg, 1, store).unwrap()
        } else if taken {
            TraceRun::new(&corpus, &briefing, &slim, &cfg, 1)
                .unwrap()
                .with_labels(labels.clone())
        } else {
            TraceRun::new(&corpus, &briefing, &queries, &cfg, 1).unwrap()
        }
        .with_part(part)
        .with_listed(1)
        // In the questions' order no line comes a part and a batch before its turn.
        .with_spill(part + batch, Box::new(Vec::<u8>::new()));
        let mut released_early = 0;
        for chunk in trace.chunks(batch) {
            run.add_batch(chunk.to_vec()).unwrap();
            while let Some(range) = run.ready().unwrap() {
                released_early = range.end;
                run.release(range).unwrap();
            }
        }
        assert!(
            released_early + part >= queries.len(),
            "{at}: {released_early}"
        );
        run.close();
        while let Some(range) = run.ready().unwrap() {
            run.release(range).unwrap();
        }
        let mut got = run.finish().unwrap();
        // In the questions' order the run holds at most a part and a batch at once, and no line
        // waits in the scratch.
        assert!(got.most_held <= part + batch, "{at}: {}", got.most_held);
        assert_eq!((got.waited, got.waited_bytes), (0, 0), "{at}");
        assert_eq!(got.briefs, expected, "{at}");
        assert_eq!(held_diagnoses(&got), held(&whole, Some(&drawn)), "{at}");
        // The labels held are the drawn questions' (the others went with their diagnosis).
        let held_labels = held_labels(&mut got, &slim, stored, &at);
        if taken {
            assert_eq!(held_labels.len(), queries.len(), "{at}");
            for (i, l) in held_labels.iter().enumerate() {
                let expect = drawn.contains(&i).then(|| labels[i].clone()).flatten();
                assert_eq!(l, &expect, "{at}: question {i}");
            }
        } else {
            assert!(got.labels.is_empty(), "{at}");
        }
        for (i, items) in held_shown(&got).items.iter().enumerate() {
            if !drawn.contains(&i) {
                assert!(items.is_empty(), "{at}: question {i}");
            }
        }
    }
    // Without the first question's line every later question waits for it (its part cannot
    // be written before the trace ends), and the run says how many it held.
    let without_first: Vec<_> = trace
        .iter()
        .filter(|t| t.query_id != queries[0].id)
        .cloned()
        .collect();
    let mut run = TraceRun::new(&corpus, &briefing, &queries, &cfg, 1)
        .unwrap()
        .with_part(1);
    for chunk in without_first.chunks(1) {
        run.add_batch(chunk.to_vec()).unwrap();
        assert_eq!(run.ready().unwrap(), None);
    }
    assert_eq!(run.finish().unwrap().most_held, queries.len());
}

/// A trace with a line for every question, in blocks of six lines each reversed: with a
/// scratch, the lines that come `ahead` or more questions before their turn wait there while
/// the parts before them are written as they come, and the outcome is the same as the whole
/// trace's and as a run without a scratch, whatever the batch, the part and `ahead`: every
/// brief, the diagnoses and items held (all, or the drawn questions'), the answers, the
/// summary, the warnings in order, the rankings, each part's rows.
#[test]
fn a_shuffled_trace_waits_in_the_scratch_and_is_released_as_it_comes() {
    use ragdiag_diagnose::{Streamed, TraceRun};
    let truth = truth();
    let (docs, all, trace) = demo();
    let mut seen = BTreeSet::new();
    let firsts: Vec<_> = trace
        .iter()
        .filter(|t| seen.insert(t.query_id.clone()))
        .cloned()
        .collect();
    let queries: Vec<ragdiag_core::Query> = firsts
        .iter()
        .filter_map(|t| all.iter().find(|q| q.id == t.query_id).cloned())
        .collect();
    assert_eq!(queries.len(), firsts.len(), "a question for every line");
    let shuffled: Vec<_> = firsts
        .chunks(6)
        .flat_map(|c| c.iter().rev().cloned())
        .collect();
    let fresh = audit_at(&docs, &truth);
    let corpus = Corpus::new(&docs, &fresh);
    let cfg = trace_config(&truth);
    let (whole, shown) =
        ragdiag_diagnose::diagnose_trace_shown(&corpus, &queries, &shuffled, &cfg).unwrap();
    let briefing = BriefContext::new(&docs, &fresh, &thresholds());
    let briefs = briefs_of(&whole, &queries, &shuffled, &briefing, None);
    let drawn = first_drawn(&whole, &queries);
    let ranked = ragdiag_diagnose::Ranked::of(&queries, &shown.items);
    // One run: the parts' rows as JSON, what was released before the trace ended, the outcome.
    let stream = |batch: usize, part: usize, keep: usize, ahead: Option<usize>| {
        let mut run = TraceRun::new(&corpus, &briefing, &queries, &cfg, keep)
            .unwrap()
            .with_part(part);
        if let Some(a) = ahead {
            run = run.with_spill(a, Box::new(Vec::<u8>::new()));
        }
        let mut rows: Vec<(std::ops::Range<usize>, String, Vec<String>)> = Vec::new();
        let drain = |run: &mut TraceRun<'_, '_, '_>, rows: &mut Vec<_>| {
            while let Some(range) = run.ready().unwrap() {
                let p = run.part(range.clone()).unwrap();
                for (j, i) in range.clone().enumerate() {
                    assert_eq!(
                        serde_json::to_string(p.diagnoses[j]).unwrap(),
                        serde_json::to_string(&whole.diagnoses[i]).unwrap(),
                        "question {i}"
                    );
                    assert_eq!(p.rankings[j], ranked.rankings[i], "question {i}");
                }
                let records: Vec<String> = p.trace.iter().map(|t| format!("{t:?}")).collect();
                rows.push((range.clone(), format!("{:?}", p.items), records));
                run.release(range).unwrap();
            }
        };
        for chunk in shuffled.chunks(batch) {
            run.add_batch(chunk.to_vec()).unwrap();
            drain(&mut run, &mut rows);
        }
        let early = rows.last().map_or(0, |r| r.0.end);
        run.close();
        drain(&mut run, &mut rows);
        (rows, early, run.finish().unwrap())
    };
    let same = |a: &Streamed, b: &Streamed, at: &str| {
        assert_eq!(format!("{:?}", a.briefs), format!("{:?}", b.briefs), "{at}");
        assert_eq!(held_diagnoses(a), held_diagnoses(b), "{at}");
        let (a_shown, b_shown) = (held_shown(a), held_shown(b));
        assert_eq!(a_shown.items, b_shown.items, "{at}");
        assert_eq!(a_shown.answers, b_shown.answers, "{at}");
        assert_eq!(a.summary, b.summary, "{at}");
        assert_eq!(
            format!("{:?}", a.warnings),
            format!("{:?}", b.warnings),
            "{at}"
        );
        assert_eq!(a.ranked, b.ranked, "{at}");
    };
    for (batch, part, keep, ahead) in [1, 3, 50]
        .into_iter()
        .flat_map(|b| [1, 4].map(move |p| (b, p)))
        .flat_map(|(b, p)| [usize::MAX, 1].map(move |k| (b, p, k)))
        .flat_map(|(b, p, k)| [1, 2, 4].map(move |a| (b, p, k, a)))
    {
        let at = format!("batch {batch}, part {part}, keep {keep}, ahead {ahead}");
        let (rows, early, got) = stream(batch, part, keep, Some(ahead));
        let (plain_rows, _, plain) = stream(batch, part, keep, None);
        assert!(got.waited > 0 && got.waited_bytes > 0, "{at}");
        assert_eq!(plain.waited, 0, "{at}");
        // Every line came before the trace ended: all but a last, partial part were written
        // by then.
        assert!(early + part > queries.len(), "{at}: {early}");
        assert!(got.most_held <= ahead.max(part), "{at}: {}", got.most_held);
        assert_eq!(rows, plain_rows, "{at}");
        same(&got, &plain, &at);
        assert_eq!(format!("{:?}", got.briefs), format!("{briefs:?}"), "{at}");
        assert_eq!(got.summary, whole.summary, "{at}");
        assert_eq!(
            format!("{:?}", got.warnings),
            format!("{:?}", whole.warnings),
            "{at}"
        );
        let drawn_held = (keep == 1).then_some(&drawn);
        assert_eq!(held_diagnoses(&got), held(&whole, drawn_held), "{at}");
        let got_shown = held_shown(&got);
        for (i, items) in got_shown.items.iter().enumerate() {
            if keep == usize::MAX || drawn.contains(&i) {
                assert_eq!(items, &shown.items[i], "{at}: question {i}");
                assert_eq!(got_shown.answers[i], shown.answers[i], "{at}: question {i}");
            } else {
                assert!(items.is_empty(), "{at}: question {i}");
            }
        }
    }
}

/// A trace naming one question of many: once it is over, the others are diagnosed a part at a
/// time as the parts are handed out (the run holds one part, not all of them), with the same
/// diagnoses, warnings and summary as the whole trace.
#[test]
fn questions_no_line_names_are_diagnosed_a_part_at_a_time() {
    use ragdiag_diagnose::TraceRun;
    let truth = truth();
    let (docs, queries, trace) = demo();
    // A trace naming one question of many: the others are diagnosed once it is over.
    let first = trace
        .iter()
        .find(|t| t.query_id == queries[0].id)
        .cloned()
        .unwrap();
    let few = vec![first];
    let fresh = audit_at(&docs, &truth);
    let corpus = Corpus::new(&docs, &fresh);
    let cfg = trace_config(&truth);
    let (whole, _) = ragdiag_diagnose::diagnose_trace_shown(&corpus, &queries, &few, &cfg).unwrap();
    assert!(queries.len() > 20);
    let briefing = BriefContext::new(&docs, &fresh, &thresholds());
    for part in [1, 3, 7] {
        let mut run = TraceRun::new(&corpus, &briefing, &queries, &cfg, 1)
            .unwrap()
            .with_part(part);
        run.add_batch(few.clone()).unwrap();
        run.close();
        let mut handed = 0;
        while let Some(range) = run.ready().unwrap() {
            // Only the part handed out is held, not every question left.
            assert!(run.holding() <= part, "part {part}: {}", run.holding());
            let p = run.part(range.clone()).unwrap();
            for (j, i) in range.clone().enumerate() {
                assert_eq!(
                    serde_json::to_string(p.diagnoses[j]).unwrap(),
                    serde_json::to_string(&whole.diagnoses[i]).unwrap(),
                    "part {part}: question {i}"
                );
            }
            handed = range.end;
            run.release(range).unwrap();
        }
        assert_eq!(handed, queries.len());
        let got = run.finish().unwrap();
        assert!(
            got.most_held <= part.max(1),
            "part {part}: {}",
            got.most_held
        );
        // The same warnings in the same order (one per question without a line).
        assert_eq!(
            format!("{:?}", got.warnings),
            format!("{:?}", whole.warnings),
            "part {part}"
        );
        assert_eq!(
            got.warnings
                .items()
                .iter()
                .filter(|w| w.reason.starts_with("no trace line"))
                .count(),
            queries.len() - 1
        );
        assert_eq!(got.summary, whole.summary, "part {part}");
    }
}

/// A trace diagnosed batch by batch (`TraceRun`) equals the whole trace diagnosed at once, at
/// every batch size: the same diagnoses, warnings in the same order, items and answers; the
/// hit texts and answers are kept for every question when asked, and else exactly for the
/// questions the report draws; released questions keep their brief (its reason only when
/// `report.md` may list them) and let go of their items and diagnosis unless drawn; with the
/// questions' evidence and reference answers handed to the run, the same, and the labels held
/// at the end are those of the diagnoses held.
#[test]
fn a_streamed_trace_equals_the_whole_trace_at_any_batch_size() {
    use ragdiag_diagnose::{RetrievedItem, TraceRun};
    let truth = truth();
    let (docs, mut queries, _) = demo();
    for (i, q) in queries.iter_mut().enumerate() {
        q.weight = [1.0, 3.0, 2.0, f64::NAN, 0.5][i % 5];
    }
    let fresh = audit_at(&docs, &truth);
    let corpus = Corpus::new(&docs, &fresh);
    let cfg = trace_config(&truth);
    let trace = doctored_trace();
    let (whole, shown) =
        ragdiag_diagnose::diagnose_trace_shown(&corpus, &queries, &trace, &cfg).unwrap();
    let kept_texts = shown
        .items
        .iter()
        .flatten()
        .filter(|i| i.text.is_some())
        .count();
    assert_eq!(
        kept_texts, 3,
        "the not-found, the normalised and the ghost hit"
    );
    assert!(whole.warnings.len() >= 8, "{:?}", whole.warnings);
    let without_text = |items: &[Vec<RetrievedItem>]| -> Vec<Vec<RetrievedItem>> {
        items
            .iter()
            .map(|v| {
                v.iter()
                    .map(|i| RetrievedItem {
                        text: None,
                        ..i.clone()
                    })
                    .collect()
            })
            .collect()
    };
    let ranked = ragdiag_diagnose::Ranked::of(&queries, &shown.items);
    // Kept one per class: the first of each class in the drawn order.
    let drawn = first_drawn(&whole, &queries);
    assert!(drawn.len() < queries.len(), "some diagnosis to let go");
    let briefing = BriefContext::new(&docs, &fresh, &thresholds());
    let briefs = briefs_of(&whole, &queries, &trace, &briefing, None);
    // Listing one per class: a released question's reason is let go unless it is the first
    // of its failing class in question order.
    let unlisted = briefs_of(&whole, &queries, &trace, &briefing, Some(1));
    assert_ne!(
        format!("{unlisted:?}"),
        format!("{briefs:?}"),
        "some reason to let go"
    );
    // The same questions with their evidence and reference answers handed to the run.
    let mut slim = queries.clone();
    let labels: Vec<_> = slim
        .iter_mut()
        .map(ragdiag_diagnose::QueryLabels::take)
        .collect();
    assert!(labels.iter().flatten().count() > 10);
    for (batch, keep, part, listed, taken, ahead, stored) in [1, 2, 7, 40, 1000]
        .into_iter()
        .flat_map(|b| [usize::MAX, 1].map(move |k| (b, k)))
        .flat_map(|(b, k)| [None, Some(1), Some(4)].map(move |p| (b, k, p)))
        .flat_map(|(b, k, p)| [None, Some(1)].map(move |l| (b, k, p, l)))
        // Labels handed to the run: with the listing (half the settings).
        .flat_map(|(b, k, p, l)| [false, true].map(move |t| (b, k, p, l, t)))
        .filter(|&(.., l, t)| !t || l.is_some())
        // Lines far ahead of their turn wait in a scratch (the trace is reversed): with one
        // drawn question per class.
        .flat_map(|(b, k, p, l, t)| [None, Some(1), Some(4)].map(move |a| (b, k, p, l, t, a)))
        .filter(|&(_, k, .., a)| a.is_none() || k == 1)
        // The labels handed to the run, and the briefs it releases, kept in its store.
        .flat_map(|(b, k, p, l, t, a)| [false, true].map(move |s| (b, k, p, l, t, a, s)))
        .filter(|&(.., t, _, s)| !s || t)
    {
        let mut run = if stored {
            let store = Box::new(Vec::<u8>::new());
            TraceRun::stored(&corpus, &briefing, queries.clone(), &cfg, keep, store).unwrap()
        } else if taken {
            TraceRun::new(&corpus, &briefing, &slim, &cfg, keep)
                .unwrap()
                .with_labels(labels.clone())
        } else {
            TraceRun::new(&corpus, &briefing, &queries, &cfg, keep).unwrap()
        };
        if let Some(l) = listed {
            run = run.with_listed(l);
        }
        if let Some(p) = part {
            run = run.with_part(p);
        }
        if let Some(a) = ahead {
            run = run.with_spill(a, Box::new(Vec::<u8>::new()));
        }
        // A stored run says each time it let go of much at once (the caller gives that memory
        // back to the system): after each batch and release, and at the end.
        FREED.set(0);
        if stored {
            run = run.with_freed(count_freed);
        }

        let at = format!(
            "batch {batch}, keep {keep}, part {part:?}, listed {listed:?}, labels taken {taken}, \
             ahead {ahead:?}, stored {stored}"
        );
        // Each part handed out (when asked for) is checked against the whole diagnosis, then
        // released.
        let mut handed = 0;
        let mut releases = 0;
        let mut drain = |run: &mut TraceRun<'_, '_, '_>| {
            while let Some(range) = part.and_then(|_| run.ready().unwrap()) {
                assert_eq!(range.start, handed, "{at}");
                assert!(
                    range.len() == part.unwrap() || range.end == queries.len(),
                    "{at}: {range:?}"
                );
                let p = run.part(range.clone()).unwrap();
                for (j, i) in range.clone().enumerate() {
                    assert_eq!(p.queries[j].id, queries[i].id, "{at}");
                    assert_eq!(
                        serde_json::to_string(p.diagnoses[j]).unwrap(),
                        serde_json::to_string(&whole.diagnoses[i]).unwrap(),
                        "{at}: question {i}"
                    );
                    assert_eq!(
                        without_text(&[p.items[j].to_vec()]),
                        without_text(&[shown.items[i].clone()]),
                        "{at}: question {i}"
                    );
                    assert_eq!(p.rankings[j], ranked.rankings[i], "{at}: question {i}");
                }
                // The part's records: each of its questions' first line, in question order.
                let expected: Vec<String> = p
                    .queries
                    .iter()
                    .filter_map(|q| trace.iter().find(|t| t.query_id == q.id))
                    .map(|t| format!("{:?}", (&t.query_id, t.latency_ms, &t.origin)))
                    .collect();
                let got: Vec<String> = p
                    .trace
                    .iter()
                    .map(|t| format!("{:?}", (&t.query_id, t.latency_ms, &t.origin)))
                    .collect();
                assert_eq!(got, expected, "{at}: {range:?}");
                handed = range.end;
                releases += 1;
                run.release(range).unwrap();
            }
        };
        for chunk in trace.chunks(batch) {
            run.add_batch(chunk.to_vec()).unwrap();
            drain(&mut run);
        }
        run.close();
        drain(&mut run);
        let mut got = run.finish().unwrap();
        let batches = trace.len().div_ceil(batch);
        let said = if stored { batches + releases + 1 } else { 0 };
        assert_eq!(FREED.get(), said, "{at}");
        assert_eq!(
            handed,
            if part.is_some() { queries.len() } else { 0 },
            "{at}"
        );
        // The reversed trace's lines come before their turn: with a scratch, they wait there
        // and the run never holds more diagnoses than `ahead` or a part.
        match ahead {
            None => assert_eq!((got.waited, got.waited_bytes), (0, 0), "{at}"),
            Some(a) => {
                assert!(got.waited > queries.len() / 2, "{at}: {}", got.waited);
                assert!(got.waited_bytes > 0, "{at}");
                let most = a.max(part.unwrap_or(queries.len()));
                assert!(got.most_held <= most, "{at}: {}", got.most_held);
            }
        }
        // Released questions' rankings are let go of (their parts had them; those left are
        // the last questions'); the first two scores stay.
        let mut expected_ranked = ranked.clone();
        if part.is_some() {
            expected_ranked.rankings.clear();
        }
        assert_eq!(got.ranked, expected_ranked, "{at}");
        // Released (parts handed out): the briefs lose the unlisted reasons, and the run holds
        // only the drawn diagnoses (all when every question is drawn).
        let expected = match (part, listed) {
            (Some(_), Some(_)) => &unlisted,
            _ => &briefs,
        };
        // (Debug: some weights are NaN.)
        assert_eq!(format!("{:?}", got.briefs), format!("{expected:?}"), "{at}");
        let drawn_held = (part.is_some() && keep == 1).then_some(&drawn);
        assert_eq!(held_diagnoses(&got), held(&whole, drawn_held), "{at}");
        assert_eq!(got.summary, whole.summary, "{at}");
        assert_eq!(
            format!("{:?}", got.warnings),
            format!("{:?}", whole.warnings),
            "{at}"
        );
        // The labels held at the end: those of the questions whose diagnosis is held.
        let held_labels = held_labels(&mut got, &slim, stored, &at);
        if taken {
            assert_eq!(held_labels.len(), queries.len(), "{at}");
            for (i, l) in held_labels.iter().enumerate() {
                let expect = got.held(i).is_some().then(|| labels[i].clone()).flatten();
                assert_eq!(l, &expect, "{at}: question {i}");
            }
        } else {
            assert!(got.labels.is_empty(), "{at}");
        }
        let got_shown = held_shown(&got);
        if keep == usize::MAX {
            // Every question is drawn: nothing is let go.
            assert_eq!(got_shown.items, shown.items, "{at}");
            assert_eq!(got_shown.answers, shown.answers, "{at}");
            continue;
        }
        if part.is_none() {
            assert_eq!(
                without_text(&got_shown.items),
                without_text(&shown.items),
                "{at}"
            );
        }
        // Texts kept: exactly the first of each class in the drawn order.
        for (i, (g, w)) in got_shown.items.iter().zip(&shown.items).enumerate() {
            if drawn.contains(&i) {
                assert_eq!(g, w, "{at}: question {i}");
                assert_eq!(got_shown.answers[i], shown.answers[i], "{at}: question {i}");
            } else {
                assert!(g.iter().all(|x| x.text.is_none()), "{at}: question {i}");
                assert_eq!(got_shown.answers[i], None, "{at}: question {i}");
                // Released once written: the items of an undrawn question are let go.
                if part.is_some() {
                    assert!(g.is_empty(), "{at}: question {i}");
                }
            }
        }
        // The drawn questions' answers are there to show (the trace answers most).
        assert!(
            drawn.iter().any(|&i| got_shown.answers[i].is_some()),
            "{at}"
        );
    }
}

/// The rankings' figures tallied a part at a time (as a streamed trace writes its parts and
/// lets go of their rankings) equal those tallied at once, at every part size: each judged
/// question's measures and weight, the staleness of what was retrieved, judged@k; the table
/// made of them equals `metric_table` on every ranking; and the leakage figures drawn from
/// two of its measures equal those measures evaluated alone.
#[test]
fn rankings_tallied_part_by_part_equal_the_whole_tally() {
    use ragdiag_diagnose::{RankFigures, RankTally};
    let truth = truth();
    let (docs, mut queries, trace) = demo();
    for (i, q) in queries.iter_mut().enumerate() {
        q.weight = [1.0, 3.0, 2.0, 0.5][i % 4];
    }
    let fresh = audit_at(&docs, &truth);
    assert!(
        fresh.documents.iter().any(|f| f.stale == Some(true)),
        "the demo has stale pages"
    );
    let corpus = Corpus::new(&docs, &fresh);
    let mut warnings = ragdiag_core::Diagnostics::default();
    let items: Vec<_> = ragdiag_diagnose::trace_inputs(&corpus, &queries, &trace, &mut warnings)
        .into_iter()
        .map(|i| i.retrieved)
        .collect();
    let ranked = ragdiag_diagnose::Ranked::of(&queries, &items);
    let k = truth.context_k;
    let show = |f: &RankFigures| format!("{f:?}");
    let mut whole = RankTally::new(k, &docs, &fresh);
    whole.add(&queries, &ranked.rankings).unwrap();
    let whole = whole.finish().unwrap();
    let per = whole.per_query.clone().expect("the demo has judgments");
    assert!(per.values.len() > 10 && whole.retrieval.questions == queries.len());
    assert!(whole
        .retrieval
        .stale_hit_rate_at_k
        .value
        .is_some_and(|m| m > 0.0));
    assert!(whole.judged_at.iter().all(|(_, v)| !v.is_empty()));
    // Each part's figures held, or kept in a store until the end: the same.
    for (part, stored) in [1, 3, 7, 16, queries.len()]
        .into_iter()
        .flat_map(|p| [false, true].map(move |s| (p, s)))
    {
        let mut tally = RankTally::new(k, &docs, &fresh);
        if stored {
            tally = tally.with_store(Box::new(Vec::<u8>::new()));
        }
        for at in (0..queries.len()).step_by(part) {
            let end = (at + part).min(queries.len());
            let table = tally
                .add(&queries[at..end], &ranked.rankings[at..end])
                .unwrap();
            // The part's own measures: those of its judged questions.
            let judged = queries[at..end]
                .iter()
                .filter(|q| !q.relevant.is_empty())
                .count();
            assert_eq!(
                table.map_or(0, |t| t.per_query.len()),
                judged,
                "part {part}, stored {stored}"
            );
        }
        assert_eq!(
            show(&tally.finish().unwrap()),
            show(&whole),
            "part {part}, stored {stored}"
        );
    }
    // The table of the tallied values is `metric_table`'s.
    let measures: Vec<String> = ragdiag_contract::table::QUERY_MEASURES
        .iter()
        .map(|m| (*m).to_owned())
        .collect();
    let qrels = ragdiag_core::Qrels::from_queries(&queries);
    let direct =
        ragdiag_eval::metric_table(&ranked.rankings, &qrels, &queries, &measures, 7).unwrap();
    let table = ragdiag_eval::MetricTable::of(per, 7).unwrap();
    assert_eq!(table, direct);
    // Two measures drawn from the table, over all questions and over a subset, equal them
    // evaluated alone.
    let alone: Vec<String> = ["ndcg_cut.10", "recall.10"].map(String::from).to_vec();
    let names: Vec<String> = ["ndcg@10", "recall@10"].map(String::from).to_vec();
    let some = |id: &str| id.bytes().map(u32::from).sum::<u32>() % 3 != 0;
    for keep in [&(|_: &str| true) as &dyn Fn(&str) -> bool, &some] {
        let only =
            ragdiag_eval::per_query_values(&ranked.rankings, &qrels, &queries, &alone).unwrap();
        let expected: Vec<(String, _)> = only
            .names
            .clone()
            .into_iter()
            .zip(ragdiag_eval::intervals_of(&only, keep, 7).unwrap())
            .collect();
        let mut got = table.intervals_where(&names, keep, 7).unwrap();
        got.sort_by(|a, b| a.0.cmp(&b.0));
        let mut expected = expected;
        expected.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(got.len(), 2);
        assert_eq!(format!("{got:?}"), format!("{expected:?}"));
    }
}

/// A store that cannot be written, or read back, stops the run with its error: never a panic,
/// never a question diagnosed without its labels.
#[test]
fn a_store_that_fails_stops_the_run_with_its_error() {
    use ragdiag_diagnose::{Error, Scratch, TraceRun};
    struct Failing {
        writes: bool,
    }
    impl Scratch for Failing {
        fn put(&mut self, _: &[u8]) -> std::io::Result<u64> {
            if self.writes {
                Ok(0)
            } else {
                Err(std::io::Error::other("disk full"))
            }
        }
        fn get(&mut self, _: u64, _: usize) -> std::io::Result<Vec<u8>> {
            Err(std::io::Error::other("gone"))
        }
        fn set(&mut self, _: u64, _: &[u8]) -> std::io::Result<()> {
            Err(std::io::Error::other("gone"))
        }
    }
    let truth = truth();
    let (docs, queries, trace) = demo();
    let fresh = audit_at(&docs, &truth);
    let corpus = Corpus::new(&docs, &fresh);
    let cfg = trace_config(&truth);
    let briefing = BriefContext::new(&docs, &fresh, &thresholds());
    let run = |writes| {
        let store = Box::new(Failing { writes });
        TraceRun::stored(&corpus, &briefing, queries.clone(), &cfg, 1, store)
    };
    match run(false) {
        Err(Error::Scratch(e)) => assert_eq!(e.to_string(), "disk full"),
        _ => panic!("a store that cannot be written is an error"),
    }
    let mut r = run(true).unwrap();
    match r.add_batch(trace) {
        Err(Error::Scratch(e)) => assert_eq!(e.to_string(), "gone"),
        _ => panic!("questions that cannot be read back are an error"),
    }
    // The rank tally's store likewise: a write that fails stops `add`, a read `finish`.
    let ranked = ragdiag_diagnose::Ranked::of(&queries, &vec![Vec::new(); queries.len()]);
    let tally = |writes| {
        ragdiag_diagnose::RankTally::new(truth.context_k, &docs, &fresh)
            .with_store(Box::new(Failing { writes }))
    };
    match tally(false).add(&queries, &ranked.rankings) {
        Err(ragdiag_diagnose::TallyError::Scratch(e)) => assert_eq!(e.to_string(), "disk full"),
        other => panic!("a tally store that cannot be written is an error: {other:?}"),
    }
    let mut t = tally(true);
    t.add(&queries, &ranked.rankings).unwrap();
    match t.finish() {
        Err(ragdiag_diagnose::TallyError::Scratch(e)) => assert_eq!(e.to_string(), "gone"),
        other => panic!("measures that cannot be read back are an error: {other:?}"),
    }
}

/// A run that tells a question's second line itself ([`TraceRun::with_first_lines`], fed by a
/// reader that passes every line on) says what the reader that drops them says, where it says
/// it, and its outcome equals the run fed by that reader: the same warnings, briefs, summary
/// and rankings, whether the run keeps its questions in a store or borrows them.
#[test]
fn a_run_that_tells_second_lines_says_what_the_reader_said() {
    use ragdiag_diagnose::TraceRun;
    use ragdiag_load::{stream_trace, TraceBatch};
    let truth = truth();
    let (docs, queries, _) = demo();
    let fresh = audit_at(&docs, &truth);
    let corpus = Corpus::new(&docs, &fresh);
    let cfg = trace_config(&truth);
    let briefing = BriefContext::new(&docs, &fresh, &thresholds());
    // The demo trace reversed, with second lines for known questions (one right after its
    // first, one far from it, one a third line) and for an unknown one.
    let text = std::fs::read_to_string(root().join("queries/tallyfox.trace.jsonl")).unwrap();
    let mut lines: Vec<String> = text.lines().rev().map(str::to_owned).collect();
    let unknown = lines[4].replacen("\"query_id\": \"", "\"query_id\": \"not-asked-", 1);
    assert_ne!(unknown, lines[4]);
    let (second, far) = (lines[2].clone(), lines[30].clone());
    lines.insert(3, second.clone());
    lines.insert(9, unknown.clone());
    lines.push(far);
    lines.push(unknown);
    lines.push(second);
    let text = lines.join("\n") + "\n";
    for (stored, batch) in [false, true]
        .into_iter()
        .flat_map(|s| [1, 5, 1000].map(move |b| (s, b)))
    {
        let at = format!("stored {stored}, batch {batch}");
        let outcome = |repeats: bool| {
            let mut run = if stored {
                let store = Box::new(Vec::<u8>::new());
                TraceRun::stored(&corpus, &briefing, queries.clone(), &cfg, 1, store).unwrap()
            } else {
                TraceRun::new(&corpus, &briefing, &queries, &cfg, 1).unwrap()
            }
            .with_part(7);
            if repeats {
                run = run.with_first_lines();
            }
            let mut read = stream_trace(
                text.as_bytes(),
                std::path::Path::new("<stdin>"),
                &LoadOptions::default(),
                TraceBatch {
                    repeats,
                    ..TraceBatch::lines(batch)
                },
                |records| {
                    run.add_batch(records).unwrap();
                    while let Some(range) = run.ready().unwrap() {
                        run.release(range).unwrap();
                    }
                    Ok(())
                },
            )
            .unwrap();
            run.close();
            while let Some(range) = run.ready().unwrap() {
                run.release(range).unwrap();
            }
            let mut got = run.finish().unwrap();
            read.extend(std::mem::take(&mut got.repeated));
            (read, got)
        };
        let ((said, dropped), (told, passed)) = (outcome(false), outcome(true));
        let twice: Vec<String> = told
            .items()
            .iter()
            .map(ToString::to_string)
            .filter(|w| w.contains("traced twice"))
            .collect();
        assert_eq!(twice.len(), 4, "{at}: {told:?}");
        assert!(twice.iter().any(|w| w.contains("not-asked-")), "{at}");
        assert_eq!(format!("{said:?}"), format!("{told:?}"), "{at}");
        assert_eq!(
            format!("{:?}", dropped.warnings),
            format!("{:?}", passed.warnings),
            "{at}"
        );
        assert!(!passed
            .warnings
            .items()
            .iter()
            .any(|w| w.to_string().contains("second trace line")));
        assert_eq!(
            format!("{:?}", dropped.briefs),
            format!("{:?}", passed.briefs),
            "{at}"
        );
        assert_eq!(dropped.summary, passed.summary, "{at}");
        assert_eq!(dropped.ranked, passed.ranked, "{at}");
        assert!(dropped.repeated.is_empty(), "{at}");
    }
}
