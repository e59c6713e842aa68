//! `ragdiag eval`: trec_eval-compatible evaluation, with confidence intervals and paired
//! significance tests when several runs are compared.

use crate::cli::{EvalArgs, Format, QrelsFormatArg, RunFormatArg};
use crate::printer::Printer;
use crate::ExitStatus;
use anyhow::{anyhow, bail, Context, Result};
use ragdiag_core::Qrels;
use ragdiag_eval::stats;
use ragdiag_eval::zscore::ZScores;
use ragdiag_eval::{
    aggregate, evaluate_topic, relstring, trec_eval_text, EvalMeta, EvalParams, Evaluation, Kind,
    MeasureSet, Ranked, RunEval, TopicValues,
};
use ragdiag_load::{
    load_qrels, visit_run, visit_run_bytes, EntryProblem, LoadOptions, QrelsFormat, RunDoc,
    RunFormat, VisitedRun,
};
use std::path::Path;

pub(crate) fn run(args: &EvalArgs, printer: Printer) -> Result<ExitStatus> {
    let measures = MeasureSet::parse(&args.measures)?;
    let params = EvalParams {
        relevance_level: args.level,
        max_docs: args.max_docs.unwrap_or(usize::MAX),
        num_docs_in_coll: args.num_docs_in_coll,
        judged_docs_only: args.judged_only,
    };
    if args.runs.iter().filter(|p| is_stdin(p)).count() > 1 {
        bail!("standard input (`-`) can be read as one run only");
    }
    let qrels_format = args.qrels_format.map(|f| match f {
        QrelsFormatArg::Trec => QrelsFormat::Trec,
        QrelsFormatArg::Beir => QrelsFormat::Beir,
    });
    let run_format = args.run_format.map(|f| match f {
        RunFormatArg::Trec => RunFormat::Trec,
        RunFormatArg::Json => RunFormat::Json,
    });
    // The qrels are read first: each query of a run is evaluated as soon as it is read.
    let qrels = load_qrels(&args.qrels, qrels_format, &LoadOptions::default())?;
    for d in qrels.diagnostics.items() {
        printer.warn(d);
    }
    let qrels = qrels.items;
    let zscores = match &args.zscores {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            Some(ZScores::parse(&text).map_err(|e| anyhow!("{}:{e}", path.display()))?)
        }
        None => None,
    };
    let judging = Judging {
        qrels: &qrels,
        measures: &measures,
        params: &params,
        complete: args.complete,
        zscores: zscores.as_ref(),
    };
    let mut results = Vec::with_capacity(args.runs.len());
    for path in &args.runs {
        results.push(evaluate_run(path, run_format, &judging, printer)?);
    }
    let cfg = stats::Config {
        resamples: usize::try_from(args.resamples).unwrap_or(usize::MAX),
        seed: args.stats.seed(),
        level: 0.95,
    };
    let meta = EvalMeta {
        ragdiag_version: env!("CARGO_PKG_VERSION").into(),
        qrels: args.qrels.display().to_string(),
        relevance_level: args.level,
        complete: args.complete,
    };
    if args.format == Format::Text && results.len() == 1 && args.out.is_none() {
        // trec_eval's own output: no intervals to compute.
        printer.data(&trec_eval_text(
            &results[0],
            &measures,
            args.per_query,
            args.no_summary,
        ))?;
        return Ok(ExitStatus::Success);
    }
    let evaluation = Evaluation::new(&results, &measures, &cfg);
    // The summary (with per-query values under -q) is built once, for stdout and --out alike.
    let json = match (args.format, &args.out) {
        (Format::Json, _) | (_, Some(_)) => {
            let mut json =
                serde_json::to_string_pretty(&evaluation.summary(&meta, args.per_query))?;
            json.push('\n');
            json
        }
        _ => String::new(),
    };
    let text = match args.format {
        Format::Text if results.len() == 1 => {
            trec_eval_text(&results[0], &measures, args.per_query, args.no_summary)
        }
        Format::Text => {
            if args.per_query {
                printer.note("note: -q with several runs is shown only in --format json or csv");
            }
            evaluation.table()
        }
        Format::Json => json.clone(),
        Format::Csv => evaluation.csv(args.per_query),
    };
    printer.data(&text)?;
    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        crate::fsutil::write_atomic(&dir.join("summary.json"), json.as_bytes())?;
        crate::fsutil::write_atomic(
            &dir.join("report.md"),
            evaluation.markdown(&meta).as_bytes(),
        )?;
        crate::fsutil::write_atomic(&dir.join("per_query.csv"), evaluation.csv(true).as_bytes())?;
        printer.note(format_args!("wrote {}", dir.join("report.md").display()));
    }
    Ok(ExitStatus::Success)
}

/// What every run is judged against, and how.
struct Judging<'a> {
    qrels: &'a Qrels,
    measures: &'a MeasureSet,
    params: &'a EvalParams,
    /// trec_eval's `-c`.
    complete: bool,
    /// trec_eval's `-Z`.
    zscores: Option<&'a ZScores>,
}

/// Reads the run at `path` (`-`: standard input), evaluating each query as it is read.
fn evaluate_run(
    path: &Path,
    format: Option<RunFormat>,
    judging: &Judging<'_>,
    printer: Printer,
) -> Result<RunEval> {
    let Judging {
        qrels,
        measures,
        params,
        complete,
        zscores,
    } = *judging;
    let relstring_len = measures
        .columns()
        .iter()
        .find(|c| c.kind == Kind::Relstring)
        .map(|c| c.values.first().map_or(0, |&l| l.max(0.0) as usize));
    // A query without judgments is not evaluated; a document retrieved twice is an error at
    // its second line.
    let evaluate = |qid: &str,
                    docs: &[RunDoc<'_>]|
     -> std::result::Result<Option<(Vec<f64>, String)>, EntryProblem> {
        let Some(judged) = qrels.get(qid) else {
            return Ok(None);
        };
        let mut ranking: Vec<Ranked<'_>> = docs
            .iter()
            .enumerate()
            .map(|(i, d)| Ranked {
                docno: d.docno,
                score: d.score,
                tag: i as u32,
            })
            .collect();
        match evaluate_topic(judged, &mut ranking, measures, params) {
            Ok(values) => {
                let rel = relstring_len
                    .map_or_else(String::new, |len| relstring(judged, &ranking, len, params));
                Ok(Some((values, rel)))
            }
            Err(dup) => Err(EntryProblem {
                entry: dup.tag as usize,
                field: "docno",
                reason: format!("document {:?} retrieved twice for query {qid:?}", dup.docno),
            }),
        }
    };
    let run: VisitedRun<(Vec<f64>, String)> = if is_stdin(path) {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut bytes)
            .context("reading the run from standard input")?;
        visit_run_bytes(path, &bytes, format, 1 << 20, &evaluate)?
    } else {
        visit_run(path, format, &evaluate)?
    };
    let unjudged = run.queries - run.results.len();
    if unjudged > 0 {
        printer.note(format_args!(
            "note: {}: {unjudged} queries without judgments were ignored",
            path.display()
        ));
    }
    let evaluated: Vec<TopicValues> = run
        .results
        .into_iter()
        .map(|(qid, (values, rel))| (qid, values, rel))
        .collect();
    if evaluated.is_empty() && !complete {
        bail!(
            "{}: no queries with both results and relevance judgments",
            path.display()
        );
    }
    let agg = aggregate(evaluated, qrels, measures, params, complete, zscores);
    Ok(RunEval {
        path: path.display().to_string(),
        tag: run.tag,
        agg,
    })
}

/// Whether a run path names standard input (`-`, as trec_eval 10.0 reads it).
fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == "-"
}
