//! "Fix first": the failing questions grouped into actions (retire stale pages, surface pages
//! never retrieved, keep evidence whole, write missing pages, fix generation, …), ranked by
//! the traffic they would address.

use crate::{Briefs, Class, Diagnosis, Rule};
use ragdiag_contract::{FixAction, FixKind, FixPage, Interval};
use ragdiag_core::{Document, Query};
use ragdiag_eval::stats;
use ragdiag_fresh::DocFreshness;
use std::collections::{BTreeMap, HashMap};

/// A page one question calls for: its id, the page to redirect to, and the split evidence's
/// size (words, code points).
pub type PageFor = (String, Option<String>, Option<(usize, usize)>);

/// How many pages an action's sentence names (all are in `pages`).
const NAMED: usize = 3;

/// One page of an action while it is being gathered.
#[derive(Default)]
struct PageAcc<'a> {
    successor: Option<&'a str>,
    span: Option<(usize, usize)>,
    idx: Vec<usize>,
}

/// The actions for the failing questions of `briefs`, ranked by summed traffic weight (then
/// number of questions, then kind). Each failing question goes to the action its class and
/// rule call for ([`Brief::fix`], taken by `fix_of`):
///
/// - `stale_source`, a stale version above the gold → retire that page or redirect it to the
///   current version (the end of its supersession chain);
/// - `stale_source`, the gold itself stale → update the gold page;
/// - `retrieval_miss` → make its labelled page findable;
/// - `chunking_split` → keep the page's evidence whole, with the longest split span in words
///   and code points (a chunk, or an overlap, that long holds it);
/// - `ranking_miss` → ranking; `corpus_gap` → write the page; `generation_failure` (the
///   evidence was in the window, or an unanswerable question was answered) → prompt or model.
///
/// Shares are over the assessed questions (every class but `no_label` and `unanswerable`),
/// weighted, with Wilson intervals.
#[must_use]
pub fn fix_first(briefs: &Briefs) -> Vec<FixAction> {
    let mut groups: BTreeMap<FixKind, (Vec<usize>, BTreeMap<&str, PageAcc<'_>>)> = BTreeMap::new();
    for (i, b) in briefs.iter().enumerate() {
        let Some(fix) = b.fix else {
            continue;
        };
        let (idx, accs) = groups.entry(fix.kind).or_default();
        idx.push(i);
        for p in fix.pages.iter() {
            let acc = accs.entry(p.page).or_default();
            acc.successor = acc.successor.take().or(p.successor);
            if let Some((w, c)) = p.span {
                let (w0, c0) = acc.span.unwrap_or((0, 0));
                acc.span = Some((w0.max(w), c0.max(c)));
            }
            acc.idx.push(i);
        }
    }
    // The assessed questions, read off the briefs for each action (no list of them is made).
    let assessed = || {
        (0..briefs.len())
            .filter(|&i| !matches!(briefs.class(i), Class::NoLabel | Class::Unanswerable))
    };
    let level = stats::Config::default().level;
    let heaviest_first = |idx: &mut Vec<usize>| {
        idx.sort_by(|&a, &b| {
            briefs
                .weight(b)
                .total_cmp(&briefs.weight(a))
                .then_with(|| briefs.id(a).cmp(briefs.id(b)))
        });
    };
    let weight_of = |idx: &[usize]| idx.iter().map(|&i| briefs.weight(i)).sum::<f64>();
    // The first LISTED_IDS ids (the counts say how many there are).
    let ids = |idx: &[usize]| {
        idx.iter()
            .take(ragdiag_contract::LISTED_IDS)
            .map(|&i| briefs.id(i).to_string())
            .collect::<Vec<_>>()
    };
    let mut actions: Vec<FixAction> = groups
        .into_iter()
        .map(|(kind, (mut idx, accs))| {
            // Whether each question is of this action (a lookup per assessed question, not a
            // scan of the action's questions).
            let mut of_kind = vec![false; briefs.len()];
            for &i in &idx {
                of_kind[i] = true;
            }
            heaviest_first(&mut idx);
            let iv = stats::wilson_of(
                assessed().map(|i| (f64::from(u8::from(of_kind[i])), briefs.weight(i))),
                level,
            );
            let mut pages: Vec<(f64, FixPage)> = accs
                .into_iter()
                .map(|(page, mut acc)| {
                    heaviest_first(&mut acc.idx);
                    let w = weight_of(&acc.idx);
                    let page = FixPage {
                        page: page.to_owned(),
                        successor: acc.successor.map(str::to_owned),
                        chunk_words: acc.span.map(|s| s.0),
                        chunk_chars: acc.span.map(|s| s.1),
                        questions: acc.idx.len(),
                        queries: ids(&acc.idx),
                    };
                    (w, page)
                })
                .collect();
            pages.sort_by(|a, b| {
                b.0.total_cmp(&a.0)
                    .then(b.1.questions.cmp(&a.1.questions))
                    .then_with(|| a.1.page.cmp(&b.1.page))
            });
            let pages: Vec<FixPage> = pages.into_iter().map(|(_, p)| p).collect();
            let chunk_words = pages.iter().filter_map(|p| p.chunk_words).max();
            FixAction {
                rank: 0,
                kind,
                action: sentence(kind, &pages, idx.len(), chunk_words),
                questions: idx.len(),
                weight: weight_of(&idx),
                share: Interval::of(iv.estimate, iv.lower, iv.upper, iv.n),
                queries: ids(&idx),
                pages,
                chunk_words,
            }
        })
        .collect();
    actions.sort_by(|a, b| {
        b.weight
            .total_cmp(&a.weight)
            .then(b.questions.cmp(&a.questions))
            .then(a.kind.cmp(&b.kind))
    });
    for (r, a) in actions.iter_mut().enumerate() {
        a.rank = r + 1;
    }
    actions
}

/// The action failing question `d` (of `q`) calls for and its pages, sorted without repeats;
/// `None` when `d` does not fail.
pub(crate) fn fix_of(
    d: &Diagnosis,
    q: &Query,
    by_id: &HashMap<&str, (&Document, &DocFreshness)>,
) -> Option<(FixKind, Vec<PageFor>)> {
    if !d.class.is_failure() {
        return None;
    }
    let is_stale = |d: &str| by_id.get(d).is_some_and(|(_, f)| f.stale == Some(true));
    let mut pages: Vec<PageFor> = Vec::new();
    let kind = match (d.class, d.rule) {
        (Class::StaleSource, Rule::StaleVersionInWindow) => {
            pages.extend(
                d.stale_in_window
                    .iter()
                    .filter(|s| s.version_of_gold && d.best_gold_rank.is_none_or(|b| s.rank < b))
                    .map(|s| {
                        // Redirect to the end of the chain: the current version.
                        let current = by_id
                            .get(s.doc.as_str())
                            .and_then(|(_, f)| f.current.clone())
                            .or_else(|| s.superseded_by.clone());
                        (s.doc.to_string(), current, None)
                    }),
            );
            FixKind::RetireStalePage
        }
        (Class::StaleSource, _) => {
            pages.extend(
                gold_pages(d, q)
                    .into_iter()
                    .filter(|p| is_stale(p))
                    .map(|p| (p, None, None)),
            );
            FixKind::UpdateStalePage
        }
        (Class::RetrievalMiss, _) => {
            pages.extend(
                gold_pages(d, q)
                    .into_iter()
                    .find(|p| by_id.contains_key(p.as_str()))
                    .map(|p| (p, None, None)),
            );
            FixKind::SurfacePage
        }
        (Class::ChunkingSplit, _) => {
            let split_docs: Vec<&str> = d.split.iter().map(|p| p.doc.as_str()).collect();
            pages.extend(
                d.gold
                    .iter()
                    .filter(|g| g.labelled && split_docs.contains(&g.doc.as_str()))
                    .max_by_key(|g| g.end - g.start)
                    .map(|g| {
                        let size = span_size(by_id, &g.doc, g.start, g.end);
                        (g.doc.clone(), None, Some(size))
                    }),
            );
            FixKind::KeepEvidenceWhole
        }
        (Class::RankingMiss, _) => FixKind::ImproveRanking,
        (Class::CorpusGap, _) => FixKind::WritePage,
        _ => FixKind::FixGeneration,
    };
    pages.sort();
    pages.dedup();
    Some((kind, pages))
}

/// The question's labelled pages: its located labelled evidence, else its evidence and
/// relevant documents as labelled.
fn gold_pages(d: &Diagnosis, q: &Query) -> Vec<String> {
    let mut pages: Vec<String> = d
        .gold
        .iter()
        .filter(|g| g.labelled)
        .map(|g| g.doc.clone())
        .collect();
    if pages.is_empty() {
        pages.extend(q.evidence.iter().map(|e| e.doc().to_owned()));
        pages.extend(
            q.relevant
                .iter()
                .filter(|j| j.grade > 0)
                .map(|j| j.doc.clone()),
        );
    }
    let mut seen = std::collections::HashSet::new();
    pages.retain(|p| seen.insert(p.clone()));
    pages
}

/// Words and code points of a document's span.
fn span_size(
    by_id: &HashMap<&str, (&Document, &DocFreshness)>,
    doc: &str,
    start: usize,
    end: usize,
) -> (usize, usize) {
    let len = end.saturating_sub(start);
    let Some((d, _)) = by_id.get(doc) else {
        return (0, len);
    };
    let text: String = d.text.chars().skip(start).take(len).collect();
    (text.split_whitespace().count(), len)
}

/// The action in one sentence, naming up to [`NAMED`] pages.
fn sentence(kind: FixKind, pages: &[FixPage], n: usize, words: Option<usize>) -> String {
    let qs = if n == 1 {
        "1 failing question".to_owned()
    } else {
        format!("{n} failing questions")
    };
    let named = |f: &dyn Fn(&FixPage) -> String| -> String {
        let mut v: Vec<String> = pages.iter().take(NAMED).map(f).collect();
        if pages.len() > NAMED {
            v.push(format!("{} more", pages.len() - NAMED));
        }
        v.join(", ")
    };
    let plain = |p: &FixPage| format!("`{}`", p.page);
    let pl = |one: &'static str, many: &'static str| if pages.len() == 1 { one } else { many };
    match kind {
        FixKind::RetireStalePage => format!(
            "Retire or redirect {} superseded {} that outrank their successors ({}): {qs}.",
            pages.len(),
            pl("page", "pages"),
            named(&|p| match &p.successor {
                Some(s) => format!("`{}` → `{s}`", p.page),
                None => plain(p),
            })
        ),
        FixKind::UpdateStalePage => format!(
            "Update {} stale source {} ({}): {qs}.",
            pages.len(),
            pl("page", "pages"),
            named(&plain)
        ),
        FixKind::SurfacePage => format!(
            "Make {} {} findable that {} the evidence but {} never retrieved ({}); check indexing and the questions' wording: {qs}.",
            pages.len(),
            pl("page", "pages"),
            pl("holds", "hold"),
            pl("was", "were"),
            named(&plain)
        ),
        FixKind::KeepEvidenceWhole => format!(
            "Keep evidence whole on {} {} the chunker splits ({}); a chunk overlap of at least {} words gives every span a chunk that holds it whole: {qs}.",
            pages.len(),
            pl("page", "pages"),
            named(&|p| format!("`{}` {} words", p.page, p.chunk_words.unwrap_or(0))),
            words.unwrap_or(0)
        ),
        FixKind::ImproveRanking => format!(
            "Improve ranking (reranker, fusion weights or a larger context window): the evidence was retrieved below the window for {qs}."
        ),
        FixKind::WritePage => {
            format!("Write the missing pages: no live page holds the answer for {qs}.")
        }
        FixKind::FixGeneration => format!(
            "Fix the prompt or the model: the answer was wrong, not grounded or not an abstention although the context was right for {qs}."
        ),
    }
}
