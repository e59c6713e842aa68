//! `ragdiag pool`: the unjudged documents that runs and traces ranked in their top k (TREC
//! depth pooling), as a self-contained labelling page and a CSV.

use crate::cli::PoolArgs;
use crate::printer::Printer;
use crate::ExitStatus;
use anyhow::{bail, Context, Result};
use ragdiag_core::{pct, Diagnostics, Document, Qrels};
use ragdiag_eval::golden::{evidence_candidates, judged_at, pool, PoolSource};
use ragdiag_eval::{sort_trec, stats};
use ragdiag_load::{load_corpus, load_qrels, load_queries, load_run, LoadOptions};
use ragdiag_report::{pool_csv, render_labelling_page, LabelTask};
use std::collections::{BTreeSet, HashMap};
use std::path::Path;

pub(crate) fn run(args: &PoolArgs, printer: Printer) -> Result<ExitStatus> {
    if args.runs.is_empty() && args.traces.is_empty() {
        bail!("nothing to pool: give at least one --run or --trace");
    }
    crate::fsutil::check_out_not_inside(&args.out, &[&args.corpus])?;
    let opts = LoadOptions::default();
    let mut findings = Diagnostics::default();
    let loaded = load_corpus(&args.corpus, &opts)?;
    findings.extend(loaded.diagnostics);
    let docs = loaded.items;
    let Some(queries_path) = &args.queries else {
        return traffic(args, &docs, findings, printer);
    };
    let loaded = load_queries(queries_path, &opts)?;
    findings.extend(loaded.diagnostics);
    let queries = loaded.items;
    let mut judged = Qrels::from_queries(&queries);
    if let Some(path) = &args.qrels {
        let extra = load_qrels(path, None, &opts)?;
        findings.extend(extra.diagnostics);
        for (qid, j) in extra.items.queries {
            let mine = judged.queries.entry(qid).or_default();
            for (doc, grade) in j.iter() {
                if mine.grade(doc).is_none() {
                    mine.insert(doc, grade);
                }
            }
        }
    }
    let mut sources = Vec::new();
    let mut names = BTreeSet::new();
    for path in &args.runs {
        let run = load_run(path, None)?;
        let rankings = run
            .queries
            .iter()
            .map(|q| {
                let mut ranked: Vec<(String, f64)> = q
                    .entries
                    .iter()
                    .map(|e| (run.docno(e).to_owned(), e.score))
                    .collect();
                sort_trec(&mut ranked);
                (q.qid.clone(), ranked.into_iter().map(|(d, _)| d).collect())
            })
            .collect();
        sources.push(PoolSource {
            name: source_name(path, &mut names),
            rankings,
        });
    }
    for path in &args.traces {
        let trace = args
            .trace_format
            .read(path, &queries, &docs, &mut findings)?;
        let rankings = trace
            .records
            .iter()
            .map(|r| {
                let docs = r
                    .retrieved
                    .iter()
                    .filter(|h| !h.doc.is_empty())
                    .map(|h| h.doc.clone())
                    .collect();
                (r.query_id.clone(), docs)
            })
            .collect();
        sources.push(PoolSource {
            name: source_name(path, &mut names),
            rankings,
        });
    }
    let depth = usize::try_from(args.depth).unwrap_or(usize::MAX);
    let text: HashMap<&str, &str> = queries
        .iter()
        .map(|q| (q.id.as_str(), q.text.as_str()))
        .collect();
    let by_id: HashMap<&str, &Document> = docs.iter().map(|d| (d.id.as_str(), d)).collect();
    let mut items = pool(&queries, &judged, &sources, depth);
    let unknown: BTreeSet<String> = items
        .iter()
        .filter(|i| !text.contains_key(i.query_id.as_str()))
        .map(|i| i.query_id.clone())
        .collect();
    if !unknown.is_empty() {
        printer.warn(format_args!(
            "{} question(s) retrieved by the runs are not in {} and are not pooled (first: {})",
            unknown.len(),
            queries_path.display(),
            unknown.iter().next().map_or("", String::as_str)
        ));
        items.retain(|i| text.contains_key(i.query_id.as_str()));
    }
    let missing_docs = items
        .iter()
        .filter(|i| !by_id.contains_key(i.doc.as_str()))
        .count();
    if missing_docs > 0 {
        printer.warn(format_args!(
            "{missing_docs} pooled document(s) are not in the corpus: their page shows no text"
        ));
    }
    let unjudged = items.len();
    if let Some(limit) = args.limit {
        items.truncate(limit);
    }
    let hashes: Vec<Option<String>> = items
        .iter()
        .map(|i| by_id.get(i.doc.as_str()).map(|d| super::doc_hash(&d.text)))
        .collect();
    let tasks: Vec<LabelTask<'_>> = items
        .iter()
        .zip(&hashes)
        .map(|(item, hash)| {
            let question = text.get(item.query_id.as_str()).copied().unwrap_or("");
            let doc = by_id.get(item.doc.as_str());
            LabelTask {
                item,
                question,
                title: doc.and_then(|d| d.title.as_deref()),
                doc_hash: hash.as_deref(),
                segments: doc.map_or_else(Vec::new, |d| evidence_candidates(question, &d.text)),
            }
        })
        .collect();
    let pool_id = pool_id(&tasks);
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let title = format!("ragdiag labelling: {} pairs", tasks.len());
    crate::fsutil::write_atomic(
        &args.out.join("label.html"),
        render_labelling_page(&pool_id, &title, &tasks).as_bytes(),
    )?;
    crate::fsutil::write_atomic(&args.out.join("pool.csv"), pool_csv(&tasks).as_bytes())?;
    for line in crate::printer::collapsed_lines(&findings) {
        printer.warn(line);
    }
    let mut out = format!(
        "pooled {} (question, document) pairs to label: the unjudged documents in the top {depth} of {} system(s){}\n",
        tasks.len(),
        sources.len(),
        if tasks.len() < unjudged {
            format!(" ({unjudged} in all; --limit kept the first {})", tasks.len())
        } else {
            String::new()
        }
    );
    out.push_str(&format!(
        "judged@{depth} before labelling (mean over questions, 95% CI):\n"
    ));
    let cfg = stats::Config::default();
    for s in &sources {
        let values = judged_at(&judged, s, depth);
        let iv = &stats::bootstrap_means(&[&values], None, &cfg)[0];
        out.push_str(&format!(
            "  {:<24} {} ({}–{}), n = {}\n",
            s.name,
            pct(iv.estimate, 1),
            pct(iv.lower, 1),
            pct(iv.upper, 1),
            iv.n
        ));
    }
    printer.data(&out)?;
    printer.note(format_args!(
        "wrote {} and {}",
        args.out.join("label.html").display(),
        args.out.join("pool.csv").display()
    ));
    Ok(ExitStatus::Success)
}

/// Traffic mode (no `--queries`): the questions the traces carry, grouped (equal after
/// normalisation, or near-duplicates) and ordered by summed weight, as golden-set candidates.
fn traffic(
    args: &PoolArgs,
    docs: &[Document],
    mut findings: Diagnostics,
    printer: Printer,
) -> Result<ExitStatus> {
    if !args.runs.is_empty() {
        bail!("--run needs --queries: a run's question ids mean nothing without them");
    }
    let mut asked: Vec<(String, f64)> = Vec::new();
    for path in &args.traces {
        let trace = args.trace_format.read(path, &[], docs, &mut findings)?;
        // RAGAS and RAGChecker carry their questions; span traces the text each root span was
        // asked (one request each).
        let texts: Vec<(String, f64)> = match trace.questions {
            Some(questions) => questions.into_iter().map(|q| (q.text, q.weight)).collect(),
            None => trace
                .asked
                .into_iter()
                .flatten()
                .map(|t| (t, 1.0))
                .collect(),
        };
        if texts.is_empty() {
            bail!(
                "{}: a {} trace does not carry its questions' text; give --queries (the golden set) to pool it, or a trace that carries them (RAGAS, RAGChecker, OpenInference or OTLP spans with the question as the root's input) to propose candidates from traffic",
                path.display(),
                trace.format
            );
        }
        asked.extend(texts);
    }
    for line in crate::printer::collapsed_lines(&findings) {
        printer.warn(line);
    }
    let records: Vec<(&str, f64)> = asked.iter().map(|(t, w)| (t.as_str(), *w)).collect();
    let mut candidates = ragdiag_diagnose::golden::traffic_candidates(&records);
    let distinct = candidates.len();
    if let Some(limit) = args.limit {
        candidates.truncate(limit);
    }
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let path = args.out.join("candidates.csv");
    crate::fsutil::write_atomic(&path, ragdiag_report::traffic_csv(&candidates).as_bytes())?;
    let mut out = format!(
        "{} question(s) asked, {distinct} distinct (equal after normalisation, or word 3-shingle Jaccard >= {} merged); the most asked by weight:\n",
        records.len(),
        ragdiag_diagnose::golden::NEAR_DUPLICATE_JACCARD
    );
    for (i, c) in candidates.iter().take(10).enumerate() {
        out.push_str(&format!(
            "  {:>2}. {} (asked {}, weight {}{})\n",
            i + 1,
            c.text,
            c.count,
            c.weight,
            if c.variants.len() > 1 {
                format!(", {} wordings", c.variants.len())
            } else {
                String::new()
            }
        ));
    }
    printer.data(&out)?;
    printer.note(format_args!("wrote {}", path.display()));
    Ok(ExitStatus::Success)
}

/// A source's name: its file name, or its path when another source has that file name.
fn source_name(path: &Path, taken: &mut BTreeSet<String>) -> String {
    let short = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let name = if taken.contains(&short) {
        path.display().to_string()
    } else {
        short
    };
    taken.insert(name.clone());
    name
}

/// The pool's id: a stable hash of its pairs, so the page opened again (or the same pool
/// written again) finds the labels already made in the browser.
fn pool_id(tasks: &[LabelTask<'_>]) -> String {
    let pairs: Vec<(&str, &str)> = tasks
        .iter()
        .map(|t| (t.item.query_id.as_str(), t.item.doc.as_str()))
        .collect();
    format!("{:016x}", ragdiag_core::stable_hash(&pairs))
}
