//! `ragdiag labels import`: labels from the labelling page (or a filled pool CSV) merged into a
//! questions JSONL or a qrels file, several labellers resolved and their agreement reported.

use super::tied_labels::{check_labels, reason, record_id};
use crate::cli::{
    Format, LabelsArgs, LabelsCheckArgs, LabelsCommand, LabelsImportArgs, LabelsLeakageArgs,
};
use crate::printer::Printer;
use crate::ExitStatus;
use anyhow::{bail, Context, Result};
use ragdiag_core::Diagnostics;
use ragdiag_eval::golden::{merge_labels, EvidenceState, Merged, Resolved};
use ragdiag_load::{load_corpus, load_labels, load_qrels, load_queries, LoadOptions};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

/// Conflicts listed on stdout (all are counted).
const CONFLICTS_SHOWN: usize = 10;

pub(crate) fn run(args: &LabelsArgs, printer: Printer) -> Result<ExitStatus> {
    match &args.command {
        LabelsCommand::Import(a) => import(a, printer),
        LabelsCommand::Check(a) => check(a, printer),
        LabelsCommand::Leakage(a) => leakage(a, printer),
    }
}

fn import(args: &LabelsImportArgs, printer: Printer) -> Result<ExitStatus> {
    let opts = LoadOptions {
        skip_invalid: args.skip_invalid,
    };
    let mut findings = Diagnostics::default();
    let mut labels = Vec::new();
    for path in &args.labels {
        let loaded = load_labels(path, &opts)?;
        findings.extend(loaded.diagnostics);
        labels.extend(loaded.items);
    }
    for line in crate::printer::collapsed_lines(&findings) {
        printer.warn(line);
    }
    if labels.is_empty() {
        bail!("no labels to import: every file given is empty (or every grade blank)");
    }
    let merged = merge_labels(&labels);
    let outcome = match (&args.queries, &args.qrels) {
        (Some(q), _) => into_questions(q, &merged, &args.out)?,
        (None, Some(q)) => into_qrels(q, &merged, &args.out)?,
        (None, None) => bail!("give --queries or --qrels to merge into"),
    };
    if !outcome.unknown.is_empty() {
        printer.warn(format_args!(
            "labels of {} question(s) not in the input were not merged (first: {})",
            outcome.unknown.len(),
            outcome.unknown.iter().next().map_or("", String::as_str)
        ));
    }
    let differ = merged.resolved.iter().filter(|r| r.hashes_differ).count();
    if differ > 0 {
        printer.warn(format_args!(
            "{differ} pair(s) were labelled on different texts of their document (the latest label's hash is kept)"
        ));
    }
    printer.data(&summary(&labels, &merged, &outcome))?;
    printer.note(format_args!("wrote {}", args.out.display()));
    Ok(ExitStatus::Success)
}

/// What a merge did.
struct Outcome {
    added: usize,
    replaced: usize,
    unknown: BTreeSet<String>,
}

fn summary(labels: &[ragdiag_core::Label], merged: &Merged, o: &Outcome) -> String {
    let labellers: BTreeSet<&str> = labels.iter().map(|l| l.labeller.as_str()).collect();
    let mut out = format!(
        "imported {} label(s) by {} labeller(s) ({}) for {} pair(s): {} new judgment(s), {} replaced\n",
        labels.len(),
        labellers.len(),
        labellers.iter().copied().collect::<Vec<_>>().join(", "),
        merged.resolved.len(),
        o.added,
        o.replaced,
    );
    if let Some(a) = &merged.agreement {
        let name = if a.method == "cohen" {
            "Cohen's kappa"
        } else {
            "Fleiss' kappa"
        };
        let kappa = a.kappa.map_or_else(
            || "undefined (every label the same grade)".to_owned(),
            |k| format!("{k:.3}"),
        );
        let _ = writeln!(
            out,
            "agreement: {name} {kappa} over the {} pair(s) every labeller graded ({} unanimous)",
            a.items, a.unanimous
        );
    }
    let conflicts: Vec<&Resolved> = merged.resolved.iter().filter(|r| r.conflict()).collect();
    if !conflicts.is_empty() {
        let _ = writeln!(
            out,
            "{} conflict(s), resolved by majority (a tie goes to the lowest tied grade):",
            conflicts.len()
        );
        for r in conflicts.iter().take(CONFLICTS_SHOWN) {
            let grades: Vec<String> = r.grades.iter().map(|(w, g)| format!("{w} {g}")).collect();
            let _ = writeln!(
                out,
                "  {} {}: {} → {}",
                r.query_id,
                r.doc,
                grades.join(", "),
                r.grade
            );
        }
        if conflicts.len() > CONFLICTS_SHOWN {
            let _ = writeln!(out, "  … and {} more", conflicts.len() - CONFLICTS_SHOWN);
        }
    }
    out
}

/// The `relevant` entry of a resolved pair: its grade with who gave which grade, when, on
/// which text.
fn judgment(r: &Resolved) -> Value {
    let mut v = json!({
        "doc": r.doc,
        "grade": r.grade,
        "labellers": r.grades,
    });
    if let Some(at) = &r.labelled_at {
        v["labelled_at"] = json!(at);
    }
    if let Some(h) = &r.doc_hash {
        v["doc_hash"] = json!(h);
    }
    if !r.notes.is_empty() {
        v["notes"] = json!(r.notes);
    }
    v
}

/// Merges into a questions JSONL: a labelled question's line gets its new `relevant` entries
/// (replacing an entry for the same document); every other line is written as it was.
fn into_questions(path: &Path, merged: &Merged, out: &Path) -> Result<Outcome> {
    // The file must load as questions first: a malformed record stops here, located.
    let known: BTreeSet<String> = load_queries(path, &LoadOptions::default())?
        .items
        .into_iter()
        .map(|q| q.id)
        .collect();
    let mut by_query: BTreeMap<&str, Vec<&Resolved>> = BTreeMap::new();
    for r in &merged.resolved {
        by_query.entry(r.query_id.as_str()).or_default().push(r);
    }
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut outcome = Outcome {
        added: 0,
        replaced: 0,
        unknown: by_query
            .keys()
            .filter(|q| !known.contains(**q))
            .map(|q| (*q).to_owned())
            .collect(),
    };
    let mut done = BTreeSet::new();
    let mut written = String::with_capacity(text.len() + 64 * merged.resolved.len());
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        let mut value: Option<Value> = None;
        if !body.trim().is_empty() {
            if let Ok(v) = serde_json::from_str::<Value>(body) {
                value = Some(v);
            }
        }
        let Some(mut v) = value else {
            written.push_str(line);
            continue;
        };
        let Some(id) = record_id(&v) else {
            written.push_str(line);
            continue;
        };
        // The loader keeps the first record of a repeated id: so does the merge.
        let Some(rs) = by_query
            .get(id.as_str())
            .filter(|_| done.insert(id.clone()))
        else {
            written.push_str(line);
            continue;
        };
        let mut relevant = match v.get("relevant") {
            Some(Value::Array(a)) => a.clone(),
            _ => Vec::new(),
        };
        for r in rs {
            let before = relevant.len();
            relevant.retain(|e| {
                let doc = match e {
                    Value::Object(o) => o.get("doc"),
                    other => Some(other),
                };
                doc.and_then(|d| match d {
                    Value::String(s) => Some(s.clone()),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                })
                .is_none_or(|d| d != r.doc)
            });
            if relevant.len() < before {
                outcome.replaced += 1;
            } else {
                outcome.added += 1;
            }
            relevant.push(judgment(r));
        }
        v["relevant"] = Value::Array(relevant);
        written.push_str(&serde_json::to_string(&v)?);
        written.push_str(if line.ends_with("\r\n") { "\r\n" } else { "\n" });
    }
    crate::fsutil::write_atomic(out, written.as_bytes())?;
    Ok(outcome)
}

/// Merges into qrels, written as TREC qrels (`qid 0 doc grade`, queries in id order, each
/// query's documents in their first order); the labellers, dates and hashes, which qrels
/// cannot carry, go to `OUT.labels.jsonl` beside it.
fn into_qrels(path: &Path, merged: &Merged, out: &Path) -> Result<Outcome> {
    let mut qrels = load_qrels(path, None, &LoadOptions::default())?.items;
    let mut outcome = Outcome {
        added: 0,
        replaced: 0,
        unknown: BTreeSet::new(),
    };
    let mut provenance = String::new();
    for r in &merged.resolved {
        let j = qrels.queries.entry(r.query_id.clone()).or_default();
        if j.insert(r.doc.clone(), r.grade).is_some() {
            outcome.replaced += 1;
        } else {
            outcome.added += 1;
        }
        let mut v = judgment(r);
        v["query_id"] = json!(r.query_id);
        provenance.push_str(&serde_json::to_string(&v)?);
        provenance.push('\n');
    }
    let mut text = String::new();
    for (qid, j) in &qrels.queries {
        for (doc, grade) in j.iter() {
            let _ = writeln!(text, "{qid} 0 {doc} {grade}");
        }
    }
    crate::fsutil::write_atomic(out, text.as_bytes())?;
    let mut side = out.as_os_str().to_owned();
    side.push(".labels.jsonl");
    crate::fsutil::write_atomic(Path::new(&side), provenance.as_bytes())?;
    Ok(outcome)
}

fn check(args: &LabelsCheckArgs, printer: Printer) -> Result<ExitStatus> {
    let opts = LoadOptions::default();
    let docs = load_corpus(&args.corpus, &opts)?.items;
    // The questions must load (a malformed record stops here, located); the hashes are read
    // from the same lines.
    load_queries(&args.queries, &opts)?;
    let checked = check_labels(&args.queries, &docs, super::tied_labels::Rows::All)?;
    let (tied, untied) = (checked.tied, checked.untied);
    let rows: Vec<_> = checked
        .rows
        .iter()
        .map(|r| (r.kind, &r.label, &r.state, &r.evidence))
        .collect();
    let review = checked.needing_review().count();
    let out = match args.format {
        Format::Json => {
            let labels: Vec<Value> = rows
                .iter()
                .map(|(kind, l, st, ev)| {
                    let mut o = json!({
                        "query_id": l.query_id,
                        "doc": l.doc,
                        "kind": kind,
                        "document": st.name(),
                        "needs_review": l.doc_hash.is_some() && st.needs_review(),
                        "evidence": ev.as_ref().map(EvidenceState::name),
                    });
                    if let ragdiag_eval::golden::DocState::Superseded(by) = st {
                        o["superseded_by"] = json!(by);
                    }
                    if let Some(EvidenceState::Moved(s, e)) = ev {
                        o["moved_to"] = json!([s, e]);
                    }
                    o
                })
                .collect();
            let mut s = serde_json::to_string_pretty(&json!({
                "labels": labels.len(),
                "tied": tied,
                "untied": untied,
                "needs_review": review,
                "checked": labels,
            }))?;
            s.push('\n');
            s
        }
        Format::Text | Format::Csv => {
            let mut s = format!(
                "{} label(s): {tied} tied to a document version, {untied} not; {} need re-review\n",
                rows.len(),
                review
            );
            for r in checked.needing_review() {
                let _ = writeln!(
                    s,
                    "  {} {} {}: {}",
                    r.label.query_id,
                    r.label.doc,
                    r.kind,
                    reason(r)
                );
            }
            s
        }
    };
    if args.format == Format::Csv {
        printer.note("note: labels check prints text or JSON; CSV is shown as text");
    }
    printer.data(&out)?;
    Ok(ExitStatus::Success)
}

fn leakage(args: &LabelsLeakageArgs, printer: Printer) -> Result<ExitStatus> {
    if !(args.threshold > 0.0 && args.threshold <= 1.0) {
        bail!("--threshold must be in (0, 1], got {}", args.threshold);
    }
    let opts = LoadOptions::default();
    let docs = load_corpus(&args.corpus, &opts)?.items;
    let queries = load_queries(&args.queries, &opts)?.items;
    let texts: Vec<(&str, &str)> = docs
        .iter()
        .map(|d| (d.id.as_str(), d.text.as_str()))
        .collect();
    let leaks = ragdiag_eval::golden::leakage(&queries, &texts, args.threshold);
    // A reference answer found in one of its question's own gold pages is an extractive
    // answer, as expected; it inflates nothing. Every other leak does.
    let gold: BTreeMap<&str, BTreeSet<&str>> = queries
        .iter()
        .map(|q| {
            let docs = q
                .relevant
                .iter()
                .filter(|j| j.grade > 0)
                .map(|j| j.doc.as_str())
                .chain(q.evidence.iter().map(ragdiag_core::Evidence::doc))
                .collect();
            (q.id.as_str(), docs)
        })
        .collect();
    let extractive = |l: &ragdiag_eval::golden::Leak| {
        l.field == "reference_answer"
            && gold
                .get(l.query_id.as_str())
                .is_some_and(|g| g.contains(l.doc.as_str()))
    };
    let leaked: BTreeSet<&str> = leaks
        .iter()
        .filter(|l| !extractive(l))
        .map(|l| l.query_id.as_str())
        .collect();
    let mut out = format!(
        "leakage (word 3-gram containment in one document >= {:.2}, texts of {}+ words): {} of {} questions leaked; {} reference answer(s) found in their own gold page (extractive, not counted)\n",
        args.threshold,
        ragdiag_eval::golden::LEAK_MIN_WORDS,
        leaked.len(),
        queries.len(),
        leaks.iter().filter(|l| extractive(l)).count(),
    );
    for l in &leaks {
        let _ = writeln!(
            out,
            "  {} {} in {}: {} of its 3-grams{}",
            l.query_id,
            l.field.replace('_', " "),
            l.doc,
            ragdiag_core::pct(l.containment, 0),
            if extractive(l) {
                " (a gold page: extractive)"
            } else {
                ""
            }
        );
    }
    if let Some(path) = &args.run {
        let run = ragdiag_load::load_run(path, None)?;
        let by_q: BTreeMap<&str, &ragdiag_load::QueryEntries> =
            run.queries.iter().map(|q| (q.qid.as_str(), q)).collect();
        let ranking = |q: &ragdiag_core::Query| ragdiag_eval::DocRanking {
            qid: q.id.clone(),
            docs: by_q.get(q.id.as_str()).map_or_else(Vec::new, |e| {
                e.entries
                    .iter()
                    .map(|x| (run.docno(x).into(), x.score))
                    .collect()
            }),
        };
        let qrels = ragdiag_core::Qrels::from_queries(&queries);
        let measures = ["ndcg_cut.10".to_owned(), "recall.10".to_owned()];
        let kept: Vec<ragdiag_core::Query> = queries
            .iter()
            .filter(|q| !leaked.contains(q.id.as_str()))
            .cloned()
            .collect();
        let _ = writeln!(out, "{} (95% CI, n judged questions):", path.display());
        for (label, set) in [("all questions", &queries), ("without the leaked", &kept)] {
            let rankings: Vec<_> = set.iter().map(ranking).collect();
            match ragdiag_eval::metric_table(&rankings, &qrels, set, &measures, 42) {
                Ok(t) => {
                    let cells: Vec<String> = t
                        .names
                        .iter()
                        .zip(&t.intervals)
                        .map(|(n, iv)| {
                            format!(
                                "{n} {:.3} ({:.3}–{:.3}, n = {})",
                                iv.estimate, iv.lower, iv.upper, iv.n
                            )
                        })
                        .collect();
                    let _ = writeln!(out, "  {label:<20} {}", cells.join("   "));
                }
                Err(e) => {
                    let _ = writeln!(out, "  {label:<20} not measured: {e}");
                }
            }
        }
    }
    printer.data(&out)?;
    Ok(ExitStatus::Success)
}
