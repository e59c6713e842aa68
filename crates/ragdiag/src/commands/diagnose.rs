//! `ragdiag diagnose`: replay (or read a trace), evaluate, check freshness, attribute every
//! failure, and write the reports.

use super::open_model;
use super::question_tables::{QuestionTables, Rows, QUESTIONS_PER_PART};
use crate::cli::DiagnoseArgs;
use crate::fsutil::{file_sha256, ReportFiles};
use crate::printer::{collapsed_lines, Printer};
use crate::settings::DiagnoseSettings;
use crate::ExitStatus;
use anyhow::{bail, Context, Result};
use ragdiag_contract::table::THRESHOLDS;
use ragdiag_contract::{Mode, Provenance};
use ragdiag_core::{Diagnostics, Document, Query, Timestamp, TraceRecord};
use ragdiag_diagnose::{
    golden, Brief, BriefContext, Briefs, Corpus, Diagnosis, HeldQuestion, QueryLabels,
    QuestionStore, Ranked, RetrievedItem, SummaryInput,
};
use ragdiag_embed::{Embedder, ModelChoice};
use ragdiag_load::{
    load_beir_queries_with_qrels, load_corpus, load_qrels, load_queries, LoadOptions,
};
use ragdiag_report::ByQuestion;
use ragdiag_retrieve::{
    chunk_depth, corpus_sha256, replay_index, replay_items, ReplaySpec, RetrieverKind,
    SearchOptions,
};
use std::path::Path;

/// Exact vector search is used for diagnosis up to this many chunks (DESIGN.md).
const EXACT_UP_TO: usize = 200_000;

/// Which retrievers found each item: one name for all (trace, engine) or per item (replay).
enum SourceList {
    All(&'static str),
    Each(Vec<Vec<String>>),
}

impl SourceList {
    fn as_sources(&self) -> ragdiag_diagnose::Sources<'_> {
        match self {
            SourceList::All(s) => ragdiag_diagnose::Sources::All(s),
            SourceList::Each(v) => ragdiag_diagnose::Sources::Each(v),
        }
    }
}

/// The diagnoses of a run, as it holds them.
enum Held {
    /// Every question's diagnosis (replay, an engine, a trace read whole).
    Whole(Vec<Diagnosis>),
    /// A streamed trace: every question's brief, and what the run holds of the questions the
    /// report draws (their diagnoses, items and answers; with a store, the questions), by
    /// position.
    Streamed {
        briefs: Box<Briefs>,
        held: Vec<(usize, HeldQuestion)>,
    },
}

/// What was retrieved for each question, aligned with the questions.
struct Retrieved {
    diagnoses: Held,
    /// Problems of meaning found on the way (the diagnoses' warnings).
    warnings: Diagnostics,
    /// The ranked items (chunk level, best first); empty for a streamed trace (the questions
    /// the report draws have theirs in [`Held::Streamed`]).
    items: Vec<Vec<RetrievedItem>>,
    /// What the summary reads of the items.
    ranked: Ranked,
    /// Which retrievers found each item (`bm25`, `dense`, `bm25+dense`, `trace`).
    sources: SourceList,
    /// The answer the system gave (trace mode; empty for a streamed trace, as `items`).
    answers: Vec<Option<String>>,
    /// The trace read whole (trace mode; a streamed trace keeps its records' figures in the
    /// briefs).
    trace: Option<Vec<TraceRecord>>,
    /// A streamed trace's questions when its run kept them in its store, each read back on
    /// demand (those the report draws are in [`Held::Streamed`], with their labels).
    stored: Option<QuestionStore>,
}

pub(crate) fn run(args: &DiagnoseArgs, printer: Printer) -> Result<ExitStatus> {
    crate::memory::map_large_blocks();
    let mut s = DiagnoseSettings::resolve(args)?;
    let mut findings = Diagnostics::default();
    let loaded = match (&s.corpus, &s.engine) {
        (Some(corpus), _) => {
            crate::fsutil::check_out_not_inside(&s.out, &[corpus])?;
            load_corpus(corpus, &LoadOptions::default())?
        }
        (None, Some(config)) => {
            // The documents the engine stores stand for the corpus (settings allow no other
            // way to be without one); the engine's name labels it in findings and provenance.
            let (origin, loaded) =
                super::engine_input::engine_documents(config, &LoadOptions::default(), printer)?;
            s.corpus = Some(origin);
            loaded
        }
        (None, None) => bail!("--corpus is required"),
    };
    findings.extend(loaded.diagnostics);
    let mut docs = loaded.items;
    if docs.is_empty() {
        bail!("{}: the corpus holds no documents", s.corpus_label());
    }
    let fresh = ragdiag_fresh::Config::new(s.as_of);
    // Without an engine the documents are final: they are audited before the questions are
    // loaded, so that the audit's working tables and the questions are never held at once
    // (an engine's hits may date documents: then the audit follows them).
    let mut audit = match s.engine {
        None => {
            let audit = super::fresh_audit::audit_held_texts(&docs, &fresh)?;
            crate::memory::release_freed();
            Some(audit)
        }
        Some(_) => None,
    };
    // A ragdiag JSONL trace with its questions given is streamed (after the audit); any
    // other trace is read whole here.
    let streamed = streams_trace(&s)?;
    // Labels needing re-review (checked against the documents before the questions are read).
    let checked = checked_labels(&s, &docs)?;
    let review: Vec<_> = checked
        .as_ref()
        .map(|c| c.needing_review().map(|r| r.label.clone()).collect())
        .unwrap_or_default();
    let exclude =
        s.stale_labels == ragdiag_eval::golden::StaleLabels::Exclude && !review.is_empty();
    // A streamed trace's questions (from a ragdiag file) go to a temporary file as they are
    // read, none held; when none can be made, or for any other run, they are read whole.
    let mut in_store = None;
    let mut dropped = (0, 0);
    let store = match (streamed, &s.queries, &s.qrels) {
        (true, Some(_), None) => super::trace_stream::store().ok(),
        _ => None,
    };
    let mut queries = match store {
        Some(store) => {
            let dropper = exclude.then(|| ragdiag_eval::golden::LabelDropper::new(&review));
            let (questions, d) = load_into_store(&s, store, dropper.as_ref(), &mut findings)?;
            (in_store, dropped) = (Some(questions), d);
            Vec::new()
        }
        None => {
            let mut queries = load_query_set(&s, &mut findings)?;
            if exclude {
                dropped = ragdiag_eval::golden::drop_labels(&mut queries, &review);
            }
            queries
        }
    };
    let trace = match &s.trace {
        Some(_) if streamed => None,
        Some(p) => Some(crate::commands::trace_input::read_trace(
            p,
            s.trace_format,
            s.trace_query_id_key.as_deref(),
            &queries,
            &docs,
            &mut findings,
        )?),
        None => None,
    };
    if s.queries.is_none() {
        // Only with a trace (settings): the questions are the ones it carries.
        match trace.as_ref().and_then(|t| t.questions.clone()) {
            Some(q) => queries = q,
            None => bail!(
                "--queries is required: a {} trace does not carry its questions",
                trace
                    .as_ref()
                    .map_or("ragdiag".into(), |t| t.format.to_string())
            ),
        }
    }
    // The questions read (those the trace carries without --queries).
    let count = in_store.as_ref().map_or(queries.len(), QuestionStore::len);
    if count == 0 {
        let from = s.queries.as_ref().or(s.trace.as_ref());
        bail!(
            "{}: no questions",
            from.map_or_else(String::new, |p| p.display().to_string())
        );
    }
    if s.engine.is_some() && s.trace.is_some() {
        bail!("--engine replays the questions: it cannot be used with --trace");
    }
    // The engine is asked before the audit: documents the corpus leaves undated (unversioned)
    // take the configured date (version) field of their hits' metadata.
    let asked = match &s.engine {
        Some(config) => Some(ask_engine(
            &s,
            config,
            &mut docs,
            &queries,
            printer,
            &mut findings,
        )?),
        None => None,
    };
    // Of the checked labels only what the golden-set panel reads is kept (not a row per label).
    let stale = stale_labels(&s, checked, dropped, printer).map(|(checked, excluded)| {
        let needs_review: Vec<_> = checked
            .needing_review()
            .map(super::tied_labels::review_label)
            .collect();
        (
            checked.tied + checked.untied,
            checked.tied,
            needs_review,
            excluded,
        )
    });
    let audit = match audit.take() {
        Some(audit) => audit,
        None => super::fresh_audit::audit_held_texts(&docs, &fresh)?,
    };
    if !streamed {
        findings.extend(audit.findings.clone());
    }
    let corpus = Corpus::new(&docs, &audit);
    // What each question's brief (what the summary reads of its diagnosis) is taken against.
    let briefing = BriefContext::new(&docs, &audit, &s.thresholds);
    let mut provenance = provenance(&s, &docs)?;
    let mut files = ReportFiles::new(&s.out)?;
    // What the summary reads of the rankings, when a streamed trace tallied them as it wrote
    // `queries.parquet`, `hits.parquet` and `run.trec` (and let go of them).
    let mut figures = None;
    // The golden-set panel's parts taken before a streamed trace (they read every question's
    // labels, which the run lets go of).
    let mut prepared = None;
    let r = match (&s.trace, trace) {
        (Some(path), None) if streamed => {
            // The judged questions' measures wait in a temporary file until the summary (in
            // memory when none can be made: the run then says why).
            let store = super::trace_stream::store().ok();
            let mut tables =
                QuestionTables::new(&files, count, (&docs, &audit), s.price, s.context_k, store)?;
            // The golden-set panel's parts that read the questions' evidence and reference
            // answers are taken first; then the questions go to the run, which lets go of the
            // labels of those the report does not draw once they are written.
            if stale.is_some() {
                prepared = Some(match &mut in_store {
                    Some(questions) => golden::prepare(&corpus, questions, s.leak_threshold)?,
                    None => golden::prepare(&corpus, &mut queries.as_slice(), s.leak_threshold)?,
                });
            }
            let (r, read) = from_trace_stream(
                &s,
                path,
                (&mut queries, in_store.take()),
                (&corpus, &briefing),
                &mut tables,
                printer,
                &mut provenance,
            )?;
            figures = Some(tables.finish(&mut files)?);
            // In the order of a trace read whole: the reader's findings before the audit's.
            findings.extend(read);
            findings.extend(audit.findings.clone());
            r
        }
        (Some(path), Some(t)) => {
            provenance.trace_format = Some(t.format.to_string());
            from_trace(
                &s,
                path,
                t.records,
                &queries,
                &corpus,
                printer,
                &mut provenance,
            )?
        }
        _ => match asked {
            Some(asked) => {
                let (r, kept) = from_engine(
                    &s,
                    asked,
                    &docs,
                    &queries,
                    &corpus,
                    &mut provenance,
                    &mut findings,
                )?;
                queries = kept;
                r
            }
            None => replay(&s, &docs, &queries, &corpus, printer, &mut provenance)?,
        },
    };
    let mut r = r;
    findings.extend(std::mem::take(&mut r.warnings));
    let mut stored = r.stored.take();
    let (briefs, ds, drawn) = match std::mem::replace(&mut r.diagnoses, Held::Whole(Vec::new())) {
        Held::Whole(ds) => (
            Brief::all(&ds, &queries, r.trace.as_deref(), &briefing),
            ds,
            None,
        ),
        Held::Streamed { briefs, held } => (*briefs, Vec::new(), Some(held)),
    };
    let items: Vec<&[RetrievedItem]> = r.items.iter().map(Vec::as_slice).collect();
    // The other modes hold every ranking: their tables and `run.trec` are written now, by the
    // same parts, and tallied the same way.
    let figures = match figures {
        Some(figures) => figures,
        None => {
            let mut tables = QuestionTables::new(
                &files,
                queries.len(),
                (&docs, &audit),
                s.price,
                s.context_k,
                None,
            )?;
            // Each question's first trace record, found once (not once per part).
            let firsts = r
                .trace
                .as_deref()
                .map(|t| ragdiag_diagnose::cost::first_records(t, &queries));
            for at in (0..queries.len()).step_by(QUESTIONS_PER_PART) {
                let part = at..(at + QUESTIONS_PER_PART).min(queries.len());
                let trace: Option<Vec<&TraceRecord>> = firsts
                    .as_ref()
                    .map(|f| f[part.clone()].iter().flatten().map(|(_, t)| *t).collect());
                tables.write(&Rows {
                    queries: &queries[part.clone()],
                    diagnoses: &ds[part.clone()],
                    items: &items[part.clone()],
                    sources: r.sources.as_sources().slice(part.clone()),
                    rankings: &r.ranked.rankings[part],
                    trace: trace.as_deref(),
                })?;
            }
            tables.finish(&mut files)?
        }
    };
    // Every ranking was tallied and written: the summary reads the figures.
    r.ranked.rankings = Vec::new();
    // The golden-set panel's judged@k intervals are taken now and the shares let go of (8
    // bytes a question a depth), before the summary's own figures are made.
    let mut figures = figures;
    let coverage = stale
        .is_some()
        .then(|| golden::coverage(&figures.judged_at, s.seed));
    figures.judged_at = Vec::new();

    let evaluated = ragdiag_diagnose::build_summary(SummaryInput {
        mode: if s.trace.is_some() {
            Mode::Trace
        } else {
            Mode::Replay
        },
        name: s.out.file_name().map(|n| n.to_string_lossy().into_owned()),
        context_k: s.context_k,
        pool_k: s.pool_k,
        seed: s.seed,
        gates: &s.gates,
        gate_on: s.gate_on,
        docs: &docs,
        audit: &audit,
        briefs: &briefs,
        ranked: std::mem::take(&mut r.ranked),
        figures: ragdiag_diagnose::Figures::Tallied(Box::new(figures)),
        warnings: collapsed_lines(&findings),
        provenance,
        thresholds: s.thresholds,
        price: s.price,
    })?;
    let mut evaluated = evaluated;
    if let Some((labels, tied, needs_review, excluded)) = stale {
        let prepared = match prepared {
            Some(p) => p,
            None => golden::prepare(&corpus, &mut queries.as_slice(), s.leak_threshold)?,
        };
        let golden = golden::golden_set(golden::GoldenInput {
            prepared,
            coverage: coverage.unwrap_or_default(),
            table: evaluated.table.as_ref(),
            stale_rule: s.stale_labels.name(),
            labels,
            tied,
            excluded,
            needs_review,
            seed: s.seed,
        });
        // Every entry of the panel's lists, a line each (`summary.json` lists the first
        // GOLDEN_LISTED of each and counts them all).
        let mut out = files.stage("golden.jsonl")?;
        golden
            .write_jsonl(&mut out)
            .context("writing golden.jsonl")?;
        files.add(out)?;
        ragdiag_diagnose::golden::attach(&mut evaluated.summary, golden);
    }
    let (summary, table) = (&evaluated.summary, evaluated.table.as_ref());

    // Outputs.
    let mut json = serde_json::to_vec_pretty(summary)?;
    json.push(b'\n');
    files.write("summary.json", &json)?;
    // Let go of before the pages are rendered (8.5 MB at a million questions, whose leak list
    // summary.json carries whole).
    drop(json);
    if summary.review.is_some() {
        // A row at a time, each queued question's text read as its row is written (a stored
        // run's from its store): neither the file nor the texts are held whole.
        use std::io::Write;
        let mut out = files.stage("review.csv")?;
        out.write_all(ragdiag_diagnose::review::REVIEW_CSV_HEADER.as_bytes())
            .context("writing review.csv")?;
        let rows = &evaluated.review_rows;
        for j in 0..rows.len() {
            let i = rows.position(j);
            let text = match &mut stored {
                Some(questions) => questions.question(i)?.text,
                None => queries[i].text.clone(),
            };
            let row = ragdiag_diagnose::review::review_csv_row(&rows.item(&briefs, j), &text);
            out.write_all(row.as_bytes())
                .context("writing review.csv")?;
        }
        files.add(out)?;
    }
    if let Some(t) = &summary.thresholds {
        let table = ragdiag_diagnose::threshold::thresholds_columns(t);
        files.write(
            THRESHOLDS.file,
            &ragdiag_load::table_bytes(&THRESHOLDS, table)?,
        )?;
    }
    super::write_warnings(&mut files, &findings)?;
    // The pages are rendered from the summary's JSON tree (as `summary.json` holds it): the
    // typed summary is let go of once the tree is made (14 MB at a million questions, beside a
    // tree of 39), keeping what the end prints.
    let tree = ragdiag_report::summary_tree(summary);
    let ending = Ending {
        headline: summary.headline.clone(),
        warnings: summary.warnings.clone(),
        failed_gates: summary.failed_gates().cloned().collect(),
    };
    drop(evaluated.summary);
    // Each question's diagnosis, items, answer and question where the run holds them: every
    // question's, or a streamed trace's drawn ones (by position; the questions themselves
    // there only when its run kept them in its store, else they are all in `queries`).
    let every_diagnosis: Vec<&Diagnosis> = ds.iter().collect();
    let every_shown: Vec<ragdiag_report::Shown<'_>> = items
        .iter()
        .zip(&r.answers)
        .map(|(items, answer)| ragdiag_report::Shown {
            items,
            answer: answer.as_deref(),
        })
        .collect();
    let every_query: Vec<&Query> = queries.iter().collect();
    let drawn = drawn.as_deref().unwrap_or_default();
    let some_diagnoses: Vec<(usize, &Diagnosis)> =
        drawn.iter().map(|(i, h)| (*i, &*h.diagnosis)).collect();
    let some_shown: Vec<(usize, ragdiag_report::Shown<'_>)> = drawn
        .iter()
        .map(|(i, h)| {
            let shown = ragdiag_report::Shown {
                items: &h.items,
                answer: h.answer.as_deref(),
            };
            (*i, shown)
        })
        .collect();
    let some_queries: Vec<(usize, &Query)> = drawn
        .iter()
        .filter_map(|(i, h)| Some((*i, h.query.as_deref()?)))
        .collect();
    let (diagnoses, shown) = if streamed {
        (
            ByQuestion::Some(&some_diagnoses),
            ByQuestion::Some(&some_shown),
        )
    } else {
        (
            ByQuestion::Every(&every_diagnosis),
            ByQuestion::Every(&every_shown),
        )
    };
    let held_queries = if stored.is_some() {
        ByQuestion::Some(&some_queries)
    } else {
        ByQuestion::Every(&every_query)
    };
    // Hits and snippets only of the questions the page draws (at most 25 per class).
    let drill = ragdiag_report::drawn_question_views(&ragdiag_report::DrillInput {
        queries: held_queries,
        diagnoses,
        briefs: &briefs,
        shown,
        docs: &docs,
        audit: &audit,
        table,
        context_k: s.context_k,
    });
    let md = ragdiag_report::render_markdown(&tree, &drill);
    files.write("report.md", md.as_bytes())?;
    let html = ragdiag_report::render_html(&tree, &drill);
    files.write("report.html", html.as_bytes())?;
    files.commit()?;

    drop((html, md, drill, tree));
    printer.warning_lines(&ending.warnings, &s.out.join("report.md"));
    print_outcome(&ending, &s.out, printer)
}

/// What the end of a diagnosis prints of its summary.
struct Ending {
    headline: Vec<String>,
    warnings: Vec<String>,
    failed_gates: Vec<ragdiag_contract::Gate>,
}

/// The headline on stdout, then each failed gate on stderr.
fn print_outcome(summary: &Ending, out: &Path, printer: Printer) -> Result<ExitStatus> {
    let mut text = String::new();
    for line in &summary.headline {
        text.push_str(line);
        text.push('\n');
    }
    text.push_str(&format!("reports written to {}\n", out.display()));
    printer.data(&text)?;
    let mut failed = false;
    for g in &summary.failed_gates {
        failed = true;
        printer.say(format_args!(
            "gate failed: {} = {} is below {:.4}{}",
            g.metric,
            g.value.map_or_else(|| "n/a".into(), |v| format!("{v:.4}")),
            g.threshold,
            if g.on == ragdiag_contract::GateOn::LowerCi {
                " (lower CI bound)"
            } else {
                ""
            }
        ));
    }
    Ok(if failed {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}

/// What produced the report; the mode adds its own entries.
fn provenance(s: &DiagnoseSettings, docs: &[Document]) -> Result<Provenance> {
    // Without --queries the questions are the trace's.
    let questions = s
        .queries
        .as_ref()
        .or(s.trace.as_ref())
        .context("--queries is required")?;
    Ok(Provenance {
        ragdiag_version: env!("CARGO_PKG_VERSION").into(),
        command: std::env::args().collect::<Vec<_>>().join(" "),
        corpus: s.corpus_label(),
        corpus_sha256: corpus_sha256(docs),
        queries: questions.display().to_string(),
        queries_sha256: file_sha256(questions)?,
        chunker: s.chunker.clone(),
        retriever: s.retriever.to_string(),
        seed: s.seed,
        as_of: s.as_of.to_string(),
        config: s.config.as_ref().map(|p| p.display().to_string()),
        created_at: Timestamp::now().to_string(),
        ..Provenance::default()
    })
}

/// `--queries` (none without it: the trace then carries them).
fn load_query_set(s: &DiagnoseSettings, findings: &mut Diagnostics) -> Result<Vec<Query>> {
    let opts = LoadOptions::default();
    let Some(queries) = &s.queries else {
        return Ok(Vec::new());
    };
    let loaded = match &s.qrels {
        Some(path) => {
            let qrels = load_qrels(path, None, &opts)?;
            findings.extend(qrels.diagnostics);
            load_beir_queries_with_qrels(queries, &qrels.items, path, &opts)?
        }
        None => load_queries(queries, &opts)?,
    };
    findings.extend(loaded.diagnostics);
    // Held for the whole run: without the spare room of the loader's growth.
    let mut queries = loaded.items;
    queries.shrink_to_fit();
    Ok(queries)
}

/// The questions' labels checked against the documents (ragdiag questions only: BEIR qrels
/// carry no `doc_hash`).
fn checked_labels(
    s: &DiagnoseSettings,
    docs: &[Document],
) -> Result<Option<super::tied_labels::CheckedLabels>> {
    let (Some(path), None) = (&s.queries, &s.qrels) else {
        return Ok(None);
    };
    super::tied_labels::check_labels(path, docs, super::tied_labels::Rows::NeedingReview).map(Some)
}

/// Labels needing re-review, applied by `--stale-labels`: with `exclude` they left the
/// questions as they were read (`dropped`: the judgments and evidence entries that went),
/// before anything was scored. Returns the checked labels and how many entries were excluded.
fn stale_labels(
    s: &DiagnoseSettings,
    checked: Option<super::tied_labels::CheckedLabels>,
    (j, e): (usize, usize),
    printer: Printer,
) -> Option<(super::tied_labels::CheckedLabels, usize)> {
    use ragdiag_eval::golden::StaleLabels;
    let checked = checked?;
    let review: Vec<_> = checked.needing_review().collect();
    if review.is_empty() {
        return Some((checked, 0));
    }
    let mut excluded = 0;
    match s.stale_labels {
        StaleLabels::Include => printer.note(format_args!(
            "{} label(s) need re-review (their document changed since they were labelled); scored as they are (--stale-labels include)",
            review.len()
        )),
        StaleLabels::Exclude => {
            excluded = j + e;
            printer.warn(format_args!(
                "{} label(s) need re-review (their document changed since they were labelled): {j} judgment(s) and {e} evidence entr(ies) excluded from the metrics (--stale-labels exclude)",
                review.len()
            ));
        }
        StaleLabels::Flag => {
            let first: Vec<String> = review
                .iter()
                .take(3)
                .map(|r| format!("{} {}", r.label.query_id, r.label.doc))
                .collect();
            printer.warn(format_args!(
                "{} label(s) need re-review (their document changed since they were labelled), scored as they are (--stale-labels flag; first: {}); see the golden-set section of report.md",
                review.len(),
                first.join(", ")
            ));
        }
    }
    Some((checked, excluded))
}

/// `--queries` read into `store` as each question is parsed (with `dropper`'s stale labels
/// dropped from it), none held; questions whose id an earlier one has are dropped with the
/// warning `load_queries` gives. Returns the questions and how many judgment and evidence
/// entries `dropper` took from those kept.
fn load_into_store(
    s: &DiagnoseSettings,
    store: Box<dyn ragdiag_diagnose::Scratch>,
    dropper: Option<&ragdiag_eval::golden::LabelDropper<'_>>,
    findings: &mut Diagnostics,
) -> Result<(QuestionStore, (usize, usize))> {
    let path = s.queries.as_ref().context("--queries is required")?;
    let mut questions = QuestionStore::new(store);
    let mut failed = None;
    let mut read = Diagnostics::default();
    // Entries dropped per question (only questions with a stale label: few).
    let mut dropped: Vec<(usize, (usize, usize))> = Vec::new();
    ragdiag_load::visit_queries(path, &LoadOptions::default(), &mut read, |mut q| {
        if let Some(d) = dropper {
            let took = d.apply(&mut q);
            if took != (0, 0) {
                dropped.push((questions.len(), took));
            }
        }
        match questions.push(q) {
            Ok(()) => true,
            Err(e) => {
                failed = Some(e);
                false
            }
        }
    })?;
    if let Some(e) = failed {
        return Err(e).context("cannot keep the questions in a temporary file");
    }
    let repeated = questions.drop_repeated_ids()?;
    for r in &repeated {
        read.warn(
            r.at.clone(),
            "id",
            ragdiag_load::repeated_query_id(&r.id, &r.first),
        );
    }
    // What was dropped from a repeat does not count: the repeat is gone.
    let mut total = (0, 0);
    for (i, (j, e)) in dropped {
        if repeated.binary_search_by_key(&i, |r| r.index).is_err() {
            total = (total.0 + j, total.1 + e);
        }
    }
    findings.extend(read);
    Ok((questions, total))
}

/// Trace mode: what the team's system retrieved and answered (read from `path`), located in
/// the corpus.
fn from_trace(
    s: &DiagnoseSettings,
    path: &Path,
    trace: Vec<TraceRecord>,
    queries: &[Query],
    corpus: &Corpus<'_>,
    printer: Printer,
    provenance: &mut Provenance,
) -> Result<Retrieved> {
    let mut warnings = Diagnostics::default();
    // Groundedness by embedding similarity too, when asked for (it needs the model).
    let embedder = if s.ground_embeddings {
        open_model(&s.model, s.no_fetch, printer)?
    } else {
        None
    };
    let cfg = ragdiag_diagnose::Config {
        embedder: embedder.as_ref().map(|e| e as &dyn Embedder),
        ..s.diag_config(ragdiag_diagnose::Mode::Trace)
    };
    // The hits' texts move from the records into the located items (held once).
    let mut trace = trace;
    let (mut diagnoses, shown) =
        ragdiag_diagnose::diagnose_trace_taking(corpus, queries, &mut trace, &cfg)?;
    warnings.extend(std::mem::take(&mut diagnoses.warnings));
    diagnoses.warnings = warnings;
    if let Some(e) = &embedder {
        e.flush().context("cannot save the embedding cache")?;
        provenance.grounding_model_id = Some(e.model_id().to_owned());
    }
    provenance.trace = Some(path.display().to_string());
    provenance.trace_sha256 = Some(file_sha256(path)?);
    Ok(Retrieved {
        diagnoses: Held::Whole(diagnoses.diagnoses),
        warnings: diagnoses.warnings,
        sources: SourceList::All("trace"),
        ranked: Ranked::of(queries, &shown.items),
        items: shown.items,
        answers: shown.answers,
        trace: Some(trace),
        stored: None,
    })
}

/// Whether `--trace` is streamed: a ragdiag JSONL trace (named by `--trace-format`, or
/// detected; standard input is one) whose questions `--queries` gives. Other formats are read
/// whole, and only from a file.
fn streams_trace(s: &DiagnoseSettings) -> Result<bool> {
    use ragdiag_load::TraceFormat;
    let Some(path) = &s.trace else {
        return Ok(false);
    };
    let stdin = path == Path::new(super::trace_stream::STDIN);
    let format = match (s.trace_format, stdin) {
        (Some(f), _) => f,
        (None, true) => TraceFormat::Ragdiag,
        (None, false) => ragdiag_load::detect_trace_format(path)?,
    };
    if stdin && (format != TraceFormat::Ragdiag || s.queries.is_none()) {
        bail!(
            "--trace -: standard input is read as a ragdiag JSONL trace with --queries              (a {format} trace, or one without --queries, must be a file)"
        );
    }
    Ok(format == TraceFormat::Ragdiag && s.queries.is_some())
}

/// Trace mode, streamed: the ragdiag trace at `path` (`-`: standard input) read in batches,
/// each diagnosed while the next is read; returns what was retrieved and the reader's
/// findings. The questions are taken from `queries` into a temporary file and stay there:
/// what follows reads the summary's part of each in its brief, holds only the questions the
/// report draws and reads the others back when it needs them ([`Retrieved::stored`]). If no
/// temporary file can be made they stay in `queries`. Either way, from then on only the
/// questions the report draws have their evidence and reference answers: nothing past the
/// stream may read the others'.
fn from_trace_stream<'c>(
    s: &DiagnoseSettings,
    path: &Path,
    (queries, in_store): (&mut Vec<Query>, Option<QuestionStore>),
    (corpus, briefing): (&Corpus<'c>, &BriefContext<'c>),
    tables: &mut QuestionTables<'_>,
    printer: Printer,
    provenance: &mut Provenance,
) -> Result<(Retrieved, Diagnostics)> {
    let embedder = if s.ground_embeddings {
        open_model(&s.model, s.no_fetch, printer)?
    } else {
        None
    };
    let cfg = ragdiag_diagnose::Config {
        embedder: embedder.as_ref().map(|e| e as &dyn Embedder),
        ..s.diag_config(ragdiag_diagnose::Mode::Trace)
    };
    // Each part's rows are written as soon as its questions are diagnosed; the run then keeps
    // of each its brief (what the summary reads; its reason only if report.md may list it)
    // and lets go of its record, and of the items and whole diagnosis of those the report
    // does not draw. The questions, their labels (until each is diagnosed) and the released
    // questions' briefs (until the summary) are kept in a temporary file, unless none can be
    // made: the questions are then the caller's, their labels held in memory.
    let shown = ragdiag_report::SHOWN_PER_CLASS;
    let mut held_in_memory = None;
    let run = match in_store {
        Some(questions) => {
            ragdiag_diagnose::TraceRun::of_store(corpus, briefing, questions, &cfg, shown)?
        }
        None => match super::trace_stream::store() {
            Ok(store) => {
                let taken = std::mem::take(queries);
                ragdiag_diagnose::TraceRun::stored(corpus, briefing, taken, &cfg, shown, store)?
            }
            Err(why) => {
                held_in_memory = Some(why);
                let labels = queries.iter_mut().map(QueryLabels::take).collect();
                ragdiag_diagnose::TraceRun::new(corpus, briefing, queries, &cfg, shown)?
                    .with_labels(labels)
            }
        },
    }
    .with_part(QUESTIONS_PER_PART)
    .with_listed(ragdiag_report::MAX_FAILING)
    // What the worker threads freed (a part's diagnoses and texts; at the end the run's
    // texts) is given back to the system, not kept beside what the main thread takes next.
    .with_freed(crate::memory::release_freed);
    let read = super::trace_stream::diagnose_streamed(path, run, &mut |part| {
        tables.write(&Rows {
            queries: &part.queries,
            diagnoses: &part.diagnoses,
            items: &part.items,
            sources: ragdiag_diagnose::Sources::All("trace"),
            rankings: part.rankings,
            trace: Some(&part.trace),
        })
    })?;
    if let Some(e) = &embedder {
        e.flush().context("cannot save the embedding cache")?;
        provenance.grounding_model_id = Some(e.model_id().to_owned());
    }
    provenance.trace_format = Some(ragdiag_load::TraceFormat::Ragdiag.to_string());
    provenance.trace = Some(path.display().to_string());
    provenance.trace_sha256 = Some(read.sha256);
    let mut streamed = read.streamed;
    let mut stored = None;
    match &held_in_memory {
        None => {
            stored = streamed.stored.take();
        }
        Some(why) => {
            printer.note(format_args!(
                "{why}: the questions, their labels and briefs were held in memory instead (the \
                 reports are the same)"
            ));
            for (q, l) in queries.iter_mut().zip(std::mem::take(&mut streamed.labels)) {
                if let Some(l) = l {
                    l.put(q);
                }
            }
        }
    }
    let (waited, bytes) = (streamed.waited, streamed.waited_bytes);
    if waited > 0 {
        printer.note(format_args!(
            "{waited} questions' trace lines came long before their turn (lines out of the \
             questions' order, or an earlier question's line late or missing) and waited in a \
             temporary file ({:.1} MB) until their part was written; the reports are the same",
            bytes as f64 / 1e6
        ));
    }
    Ok((
        Retrieved {
            diagnoses: Held::Streamed {
                briefs: Box::new(streamed.briefs),
                held: streamed.held,
            },
            warnings: streamed.warnings,
            sources: SourceList::All("trace"),
            items: Vec::new(),
            ranked: streamed.ranked,
            answers: Vec::new(),
            // Each record's figures are in its question's brief.
            trace: None,
            stored,
        },
        read.diagnostics,
    ))
}

/// Asks the engine every question's pool (failures are findings; none retrieved is an error)
/// and gives the documents the corpus leaves undated or unversioned the configured date and
/// version fields of their hits' metadata (`updated_field`, `version_field`).
fn ask_engine(
    s: &DiagnoseSettings,
    config: &ragdiag_engine::config::EngineConfig,
    docs: &mut [Document],
    queries: &[Query],
    printer: Printer,
    findings: &mut Diagnostics,
) -> Result<super::engine_input::Asked> {
    let asked = super::engine_input::ask(
        config,
        queries,
        s.pool_k,
        &s.model,
        s.no_fetch,
        s.concurrency,
        printer,
    )?;
    findings.extend(asked.failures(queries));
    asked.check_any()?;
    let hits = asked.results.iter().flatten().flatten();
    let filled =
        ragdiag_engine::items::dates_from_hits(&asked.name, docs, hits, &config.document_fields());
    findings.extend(filled.warnings);
    if filled.dated + filled.versioned > 0 {
        printer.note(format_args!(
            "{}: {} documents dated and {} versioned from the hits' metadata (the corpus had \
             none for them)",
            asked.name, filled.dated, filled.versioned
        ));
    }
    Ok(asked)
}

/// Replay through a running engine: it retrieves each question's pool; its hits are located in
/// the corpus (configured offsets, else their text, else the whole document) and diagnosed as
/// a replay. A question whose retrieval failed is a warning and is left out of the diagnosis
/// (never scored as a miss); the questions kept are returned.
#[allow(clippy::too_many_arguments)]
fn from_engine(
    s: &DiagnoseSettings,
    asked: super::engine_input::Asked,
    docs: &[Document],
    queries: &[Query],
    corpus: &Corpus<'_>,
    provenance: &mut Provenance,
    findings: &mut Diagnostics,
) -> Result<(Retrieved, Vec<Query>)> {
    let by_id: std::collections::HashMap<&str, &Document> =
        docs.iter().map(|d| (d.id.as_str(), d)).collect();
    let (mut kept, mut items) = (Vec::new(), Vec::new());
    for (q, r) in queries.iter().zip(&asked.results) {
        if let Ok(hits) = r {
            let (list, warnings) =
                ragdiag_engine::items::retrieved_items(&asked.name, &q.id, hits, &by_id);
            findings.extend(warnings);
            kept.push(q.clone());
            items.push(list);
        }
    }
    provenance.retriever = format!("engine ({})", asked.name);
    provenance.chunker = "the engine's own".into();
    provenance.model_id = Some(asked.model_id.clone());
    let inputs: Vec<ragdiag_diagnose::QueryInput<'_>> = kept
        .iter()
        .zip(&items)
        .map(|(q, list)| ragdiag_diagnose::QueryInput::replay(q, list.clone()))
        .collect();
    let diagnoses = ragdiag_diagnose::diagnose(
        corpus,
        &inputs,
        &s.diag_config(ragdiag_diagnose::Mode::Replay),
    )?;
    Ok((
        Retrieved {
            diagnoses: Held::Whole(diagnoses.diagnoses),
            warnings: diagnoses.warnings,
            answers: vec![None; items.len()],
            sources: SourceList::All("engine"),
            ranked: Ranked::of(&kept, &items),
            items,
            trace: None,
            stored: None,
        },
        kept,
    ))
}

/// Replay: chunk, embed and index the corpus (cached), retrieve every question's pool, and
/// diagnose.
fn replay(
    s: &DiagnoseSettings,
    docs: &[Document],
    queries: &[Query],
    corpus: &Corpus<'_>,
    printer: Printer,
    provenance: &mut Provenance,
) -> Result<Retrieved> {
    let model = if s.retriever == RetrieverKind::Bm25 {
        ModelChoice::None
    } else {
        s.model.clone()
    };
    let embedder = open_model(&model, s.no_fetch, printer)?;
    let home = ragdiag_embed::cache_home(&ragdiag_embed::ModelOptions::default())?;
    let bars = printer.bars();
    let spec = ReplaySpec {
        purpose: "diagnose",
        docs,
        corpus_label: &s.corpus_label(),
        chunker: &s.chunker,
        model: &model,
        embedder: embedder.as_ref(),
        // `--ann` searches a graph, so one is built whatever the size.
        hnsw_above: if s.exact == Some(false) {
            0
        } else {
            EXACT_UP_TO
        },
        no_fetch: s.no_fetch,
        quiet: printer.quiet(),
    };
    let index = replay_index(&home, &spec, &bars)?;
    if let Some(w) = &index.rebuilt {
        printer.warn(w);
    }
    let searcher = &index.searcher;
    let options = SearchOptions {
        retriever: s.retriever,
        k: s.pool_k.min(chunk_depth(searcher, s.pool_k)).max(1),
        exact: s.exact.unwrap_or(searcher.chunks().len() <= EXACT_UP_TO),
        ..SearchOptions::default()
    };
    let texts: Vec<&str> = queries.iter().map(|q| q.text.as_str()).collect();
    let embedder_ref = embedder.as_ref().map(|e| e as &dyn Embedder);
    let out = searcher.search(&texts, &options, embedder_ref, &bars)?;
    if let Some(e) = &embedder {
        e.flush().context("cannot save the embedding cache")?;
    }
    provenance.ann_recall = out.ann_recall;
    if out.ann_recall.is_some() {
        // The graph's build, recorded in the index when it was built (this run or the one
        // that cached it).
        let built = searcher.dir().manifest().hnsw.as_ref();
        provenance.ann_build_seconds = built.and_then(|h| h.build_seconds);
        provenance.ann_build_threads = built.and_then(|h| h.build_threads);
        if let (Some(recall), Some(secs)) = (out.ann_recall, provenance.ann_build_seconds) {
            printer.note(format_args!(
                "note: searched the HNSW graph of {} chunks (built in {secs:.1} s on {} \
                 threads, ef {}): recall@{} {recall:.4} against exact search",
                searcher.chunks().len(),
                provenance.ann_build_threads.unwrap_or(1),
                out.ann_ef.unwrap_or(0),
                options.k,
            ));
        }
    }
    provenance.index = Some(index.dir.display().to_string());
    provenance.model_id = Some(embedder.as_ref().map(|e| e.model_id().to_owned()));
    let (items, sources) = replay_items(searcher, &out.hits, s.retriever == RetrieverKind::Hybrid);
    let inputs: Vec<ragdiag_diagnose::QueryInput<'_>> = queries
        .iter()
        .zip(&items)
        .map(|(q, list)| ragdiag_diagnose::QueryInput::replay(q, list.clone()))
        .collect();
    let diagnoses = ragdiag_diagnose::diagnose(
        corpus,
        &inputs,
        &s.diag_config(ragdiag_diagnose::Mode::Replay),
    )?;
    Ok(Retrieved {
        diagnoses: Held::Whole(diagnoses.diagnoses),
        warnings: diagnoses.warnings,
        answers: vec![None; items.len()],
        ranked: Ranked::of(queries, &items),
        items,
        sources: SourceList::Each(sources),
        trace: None,
        stored: None,
    })
}
