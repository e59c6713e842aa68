//! `ragdiag eval`: trec_eval-compatible evaluation, with confidence intervals and paired
//! significance tests when several runs are compared.

use crate::cli::{EvalArgs, Format, QrelsFormatArg, RunFormatArg};
use crate::fsutil::csv_field;
use crate::printer::Printer;
use crate::ExitStatus;
use anyhow::{anyhow, bail, Context, Result};
use ragdiag_core::Qrels;
use ragdiag_eval::stats::{self, Interval};
use ragdiag_eval::{
    aggregate, evaluate_topic, Aggregate, Column, EvalParams, Kind, MeasureSet, Ranked, Unit,
};
use ragdiag_load::{load_qrels, load_run, LoadOptions, QrelsFormat, RunFormat};
use rayon::prelude::*;
use serde_json::{json, Map, Value};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Version of the JSON written by `ragdiag eval --format json`.
const SCHEMA_VERSION: u32 = 1;

/// One evaluated run.
struct RunResult {
    path: PathBuf,
    tag: String,
    agg: Aggregate,
}

pub(crate) fn run(args: &EvalArgs, printer: Printer) -> Result<ExitStatus> {
    let measures = MeasureSet::parse(&args.measures)?;
    let params = EvalParams {
        relevance_level: args.level,
        max_docs: args.max_docs.unwrap_or(usize::MAX),
    };
    let qrels_format = args.qrels_format.map(|f| match f {
        QrelsFormatArg::Trec => QrelsFormat::Trec,
        QrelsFormatArg::Beir => QrelsFormat::Beir,
    });
    let qrels = load_qrels(&args.qrels, qrels_format, &LoadOptions::default())?;
    for d in qrels.diagnostics.items() {
        eprintln!("warning: {d}");
    }
    let qrels = qrels.items;
    let run_format = args.run_format.map(|f| match f {
        RunFormatArg::Trec => RunFormat::Trec,
        RunFormatArg::Json => RunFormat::Json,
    });
    let mut results = Vec::with_capacity(args.runs.len());
    for path in &args.runs {
        results.push(evaluate_run(
            path,
            run_format,
            &qrels,
            &measures,
            &params,
            args.complete,
            printer.quiet(),
        )?);
    }
    let cfg = stats::Config {
        resamples: args.resamples as usize,
        seed: args.stats.seed(),
        level: 0.95,
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    match args.format {
        Format::Text if results.len() == 1 => {
            write_trec_eval(&mut out, &results[0], &measures, args)?
        }
        Format::Text => {
            if args.per_query && !printer.quiet() {
                eprintln!("note: -q with several runs is shown only in --format json or csv");
            }
            write_table(&mut out, &results, &measures, &cfg)?;
        }
        Format::Json => {
            let v = to_json(&results, &measures, &cfg, args);
            serde_json::to_writer_pretty(&mut out, &v)?;
            writeln!(out)?;
        }
        Format::Csv => write_csv(&mut out, &results, &measures, &cfg, args)?,
    }
    out.flush()?;
    if let Some(dir) = &args.out {
        write_report(dir, &results, &measures, &cfg, args)?;
        if !printer.quiet() {
            eprintln!("wrote {}", dir.join("report.md").display());
        }
    }
    Ok(ExitStatus::Success)
}

/// Writes `summary.json`, `report.md` and `per_query.csv` into `dir`, each atomically.
fn write_report(
    dir: &Path,
    results: &[RunResult],
    measures: &MeasureSet,
    cfg: &stats::Config,
    args: &EvalArgs,
) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut json = serde_json::to_vec_pretty(&to_json(results, measures, cfg, args))?;
    json.push(b'\n');
    crate::fsutil::write_atomic(&dir.join("summary.json"), &json)?;
    let mut md = Vec::new();
    writeln!(md, "# ragdiag eval\n")?;
    writeln!(md, "Qrels: {}; {} run(s). Each cell: mean over queries [95% percentile bootstrap CI, {} resamples, seed {}].", ragdiag_core::md_code(&args.qrels.display().to_string()), results.len(), cfg.resamples, cfg.seed)?;
    if results.len() > 1 {
        writeln!(md, "Later runs show the difference from the first and the Holm-corrected p-value of a paired randomization test ({} permutations); `*` marks p < 0.05.", cfg.resamples)?;
    }
    writeln!(md)?;
    writeln!(md, "```")?;
    write_table(&mut md, results, measures, cfg)?;
    writeln!(md, "```")?;
    crate::fsutil::write_atomic(&dir.join("report.md"), &md)?;
    let mut csv = Vec::new();
    let per_query_args = EvalArgs {
        per_query: true,
        ..args.clone()
    };
    write_csv(&mut csv, results, measures, cfg, &per_query_args)?;
    crate::fsutil::write_atomic(&dir.join("per_query.csv"), &csv)?;
    Ok(())
}

fn evaluate_run(
    path: &Path,
    format: Option<RunFormat>,
    qrels: &Qrels,
    measures: &MeasureSet,
    params: &EvalParams,
    complete: bool,
    quiet: bool,
) -> Result<RunResult> {
    let run = load_run(path, format)?;
    let work: Vec<_> = run
        .queries
        .iter()
        .filter_map(|q| qrels.get(&q.qid).map(|j| (q, j)))
        .collect();
    let unjudged = run.queries.len() - work.len();
    if unjudged > 0 && !quiet {
        eprintln!(
            "note: {}: {unjudged} queries without judgments were ignored",
            path.display()
        );
    }
    let evaluated: Vec<(String, Vec<f64>)> = work
        .par_iter()
        .map(|(q, judged)| {
            let mut ranking: Vec<Ranked<'_>> = q
                .entries
                .iter()
                .enumerate()
                .map(|(i, e)| Ranked {
                    docno: run.docno(e),
                    score: e.score,
                    tag: i as u32,
                })
                .collect();
            evaluate_topic(judged, &mut ranking, measures, params)
                .map(|values| (q.qid.clone(), values))
                .map_err(|dup| {
                    anyhow!(
                        "{}: docno: document {:?} retrieved twice for query {:?}",
                        run.location(&q.entries[dup.tag as usize]),
                        dup.docno,
                        q.qid
                    )
                })
        })
        .collect::<Result<_>>()?;
    if evaluated.is_empty() && !complete {
        bail!(
            "{}: no queries with both results and relevance judgments",
            path.display()
        );
    }
    let agg = aggregate(evaluated, qrels, measures, params, complete);
    Ok(RunResult {
        path: path.to_path_buf(),
        tag: run.tag.clone(),
        agg,
    })
}

/// Formats a value as trec_eval prints it (`%ld` for counts, `%6.4f` otherwise; NaN as glibc).
fn trec_value(c: &Column, v: f64) -> String {
    match c.kind.unit() {
        Unit::Count => format!("{}", v as i64),
        Unit::Ratio if v.is_nan() => format!("{:>6}", "-nan"),
        Unit::Ratio => format!("{v:6.4}"),
    }
}

fn write_trec_eval(
    out: &mut impl Write,
    r: &RunResult,
    measures: &MeasureSet,
    args: &EvalArgs,
) -> Result<()> {
    let columns = measures.columns();
    if args.per_query {
        for (qid, values) in r.agg.qids.iter().zip(&r.agg.values) {
            for (c, v) in columns.iter().zip(values) {
                if c.kind.per_query() {
                    writeln!(out, "{:<22}\t{}\t{}", c.name, qid, trec_value(c, *v))?;
                }
            }
        }
    }
    if !args.no_summary {
        for (c, v) in columns.iter().zip(&r.agg.all) {
            if c.kind == Kind::Runid {
                writeln!(out, "{:<22}\tall\t{}", c.name, r.tag)?;
            } else {
                writeln!(out, "{:<22}\tall\t{}", c.name, trec_value(c, *v))?;
            }
        }
    }
    Ok(())
}

/// Summary of one column of one run: the value and, for ratio measures, its bootstrap CI.
struct Summary {
    value: f64,
    ci: Option<Interval>,
}

fn summarise(r: &RunResult, measures: &MeasureSet, cfg: &stats::Config) -> Vec<Summary> {
    let columns = measures.columns();
    let n = r.agg.qids.len();
    let col_values: Vec<Vec<f64>> = (0..columns.len())
        .map(|c| r.agg.values.iter().map(|q| q[c]).collect())
        .collect();
    let ci_cols: Vec<usize> = (0..columns.len())
        .filter(|&c| columns[c].kind.unit() == Unit::Ratio && columns[c].kind != Kind::Runid)
        .collect();
    let refs: Vec<&[f64]> = ci_cols.iter().map(|&c| col_values[c].as_slice()).collect();
    let intervals = if n > 0 {
        stats::bootstrap_means(&refs, None, cfg)
    } else {
        Vec::new()
    };
    let mut out: Vec<Summary> = r
        .agg
        .all
        .iter()
        .map(|&v| Summary { value: v, ci: None })
        .collect();
    for (i, &c) in ci_cols.iter().enumerate() {
        if let Some(iv) = intervals.get(i) {
            out[c].ci = Some(if columns[c].kind == Kind::GmMap {
                // The percentile interval respects monotone transforms: exponentiate the
                // interval of the mean log.
                Interval {
                    estimate: r.agg.all[c],
                    lower: iv.lower.exp(),
                    upper: iv.upper.exp(),
                    n: iv.n,
                }
            } else {
                *iv
            });
        }
    }
    out
}

/// A paired comparison of one run against the first, for one column.
struct Comparison {
    run: usize,
    column: usize,
    paired: stats::Paired,
    p_holm: f64,
}

/// Every later run against the first on every ratio measure, Holm-corrected as one family
/// (all the runs × measures the table shows).
fn compare(results: &[RunResult], measures: &MeasureSet, cfg: &stats::Config) -> Vec<Comparison> {
    let columns = measures.columns();
    let Some(base) = results.first() else {
        return Vec::new();
    };
    let mut samples = Vec::new();
    for (c, col) in columns.iter().enumerate() {
        if col.kind.unit() != Unit::Ratio || matches!(col.kind, Kind::Runid | Kind::GmMap) {
            continue;
        }
        for (ri, r) in results.iter().enumerate().skip(1) {
            // Pair on the queries both runs were evaluated on.
            let (mut a, mut b) = (Vec::new(), Vec::new());
            let (mut i, mut j) = (0, 0);
            while i < base.agg.qids.len() && j < r.agg.qids.len() {
                match base.agg.qids[i].cmp(&r.agg.qids[j]) {
                    std::cmp::Ordering::Less => i += 1,
                    std::cmp::Ordering::Greater => j += 1,
                    std::cmp::Ordering::Equal => {
                        a.push(base.agg.values[i][c]);
                        b.push(r.agg.values[j][c]);
                        i += 1;
                        j += 1;
                    }
                }
            }
            samples.push(stats::PairedSample::new((ri, c), a, b));
        }
    }
    stats::paired_comparisons(samples, cfg)
        .into_iter()
        .map(|x| Comparison {
            run: x.key.0,
            column: x.key.1,
            paired: x.paired,
            p_holm: x.p_holm,
        })
        .collect()
}

fn fmt_ci(s: &Summary, c: &Column) -> String {
    match (&s.ci, c.kind.unit()) {
        (_, Unit::Count) => format!("{}", s.value as i64),
        (Some(ci), _) => format!("{:.4} [{:.4}, {:.4}]", s.value, ci.lower, ci.upper),
        (None, _) => format!("{:.4}", s.value),
    }
}

fn write_table(
    out: &mut impl Write,
    results: &[RunResult],
    measures: &MeasureSet,
    cfg: &stats::Config,
) -> Result<()> {
    let summaries: Vec<Vec<Summary>> = results
        .iter()
        .map(|r| summarise(r, measures, cfg))
        .collect();
    let comparisons = compare(results, measures, cfg);
    let columns = measures.columns();
    // Build every cell first, then pad each column to its widest cell.
    let mut rows: Vec<Vec<String>> = Vec::with_capacity(columns.len() + 1);
    let mut header = vec!["measure".to_string()];
    header.extend(
        results
            .iter()
            .map(|r| format!("{} ({})", r.path.display(), r.tag)),
    );
    rows.push(header);
    for (c, col) in columns.iter().enumerate() {
        let mut row = vec![col.name.clone()];
        for (ri, r) in results.iter().enumerate() {
            let mut cell = if col.kind == Kind::Runid {
                r.tag.clone()
            } else {
                fmt_ci(&summaries[ri][c], col)
            };
            if let Some(x) = comparisons.iter().find(|x| x.run == ri && x.column == c) {
                let star = if x.p_holm < 0.05 { "*" } else { "" };
                cell.push_str(&format!(
                    "  {:+.4} p={:.4}{star}",
                    x.paired.diff.estimate, x.p_holm
                ));
            }
            row.push(cell);
        }
        rows.push(row);
    }
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    for row in &rows {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        writeln!(out, "{}", line.join("  ").trim_end())?;
    }
    let ns: Vec<String> = results
        .iter()
        .map(|r| r.agg.qids.len().to_string())
        .collect();
    writeln!(
        out,
        "\nn = {} queries; [95% percentile bootstrap CI, {} resamples, seed {}]; +diff vs the first run, p = paired randomization test ({} permutations), Holm-corrected over all the measures and runs compared; * p < 0.05",
        ns.join(" / "),
        cfg.resamples,
        cfg.seed,
        cfg.resamples
    )?;
    Ok(())
}

fn to_json(
    results: &[RunResult],
    measures: &MeasureSet,
    cfg: &stats::Config,
    args: &EvalArgs,
) -> Value {
    let columns = measures.columns();
    let comparisons = compare(results, measures, cfg);
    let runs: Vec<Value> = results
        .iter()
        .map(|r| {
            let summaries = summarise(r, measures, cfg);
            let mut summary = Map::new();
            for (c, s) in columns.iter().zip(&summaries) {
                let entry = match (c.kind, &s.ci) {
                    (Kind::Runid, _) => json!(r.tag),
                    (_, Some(ci)) => json!({"value": s.value, "ci_lower": ci.lower, "ci_upper": ci.upper, "n": ci.n}),
                    (_, None) => json!({"value": s.value, "n": r.agg.qids.len()}),
                };
                summary.insert(c.name.clone(), entry);
            }
            let mut obj = json!({
                "path": r.path.display().to_string(),
                "tag": r.tag,
                "num_queries": r.agg.qids.len(),
                "summary": summary,
            });
            if args.per_query {
                let mut per = Map::new();
                for (qid, values) in r.agg.qids.iter().zip(&r.agg.values) {
                    let mut m = Map::new();
                    for (c, v) in columns.iter().zip(values) {
                        if c.kind.per_query() {
                            m.insert(c.name.clone(), json!(v));
                        }
                    }
                    per.insert(qid.clone(), Value::Object(m));
                }
                obj["per_query"] = Value::Object(per);
            }
            obj
        })
        .collect();
    let comps: Vec<Value> = comparisons
        .iter()
        .map(|x| {
            let p = &x.paired;
            json!({
                "baseline": results[0].path.display().to_string(),
                "run": results[x.run].path.display().to_string(),
                "measure": columns[x.column].name,
                "n": p.diff.n,
                "mean_baseline": p.mean_a,
                "mean_run": p.mean_b,
                "diff": p.diff.estimate,
                "diff_ci_lower": p.diff.lower,
                "diff_ci_upper": p.diff.upper,
                "p_randomization": p.p_randomization,
                "p_bootstrap": p.p_bootstrap,
                "p_holm": x.p_holm,
                "effect_size": p.effect_size,
                "wins": p.wins,
                "losses": p.losses,
                "ties": p.ties,
            })
        })
        .collect();
    json!({
        "schema_version": SCHEMA_VERSION,
        "ragdiag_version": env!("CARGO_PKG_VERSION"),
        "qrels": args.qrels.display().to_string(),
        "relevance_level": args.level,
        "complete": args.complete,
        "statistics": {"method": "percentile bootstrap over queries; paired randomization (sign-flip) test; Holm over every measure and run compared", "resamples": cfg.resamples, "seed": cfg.seed, "confidence": cfg.level},
        "runs": runs,
        "comparisons": comps,
    })
}

fn write_csv(
    out: &mut impl Write,
    results: &[RunResult],
    measures: &MeasureSet,
    cfg: &stats::Config,
    args: &EvalArgs,
) -> Result<()> {
    let columns = measures.columns();
    let comparisons = compare(results, measures, cfg);
    writeln!(
        out,
        "run,qid,measure,value,ci_lower,ci_upper,n,diff_vs_first,p_holm"
    )?;
    for (ri, r) in results.iter().enumerate() {
        let run = csv_field(&r.path.display().to_string());
        if args.per_query {
            for (qid, values) in r.agg.qids.iter().zip(&r.agg.values) {
                for (c, v) in columns.iter().zip(values) {
                    if c.kind.per_query() {
                        writeln!(out, "{run},{},{},{v},,,1,,", csv_field(qid), c.name)?;
                    }
                }
            }
        }
        let summaries = summarise(r, measures, cfg);
        for (ci, (c, s)) in columns.iter().zip(&summaries).enumerate() {
            if c.kind == Kind::Runid {
                writeln!(out, "{run},all,runid,{},,,,,", csv_field(&r.tag))?;
                continue;
            }
            let (lo, hi) = s.ci.map_or((String::new(), String::new()), |i| {
                (i.lower.to_string(), i.upper.to_string())
            });
            let cmp = comparisons.iter().find(|x| x.run == ri && x.column == ci);
            let (d, p) = cmp.map_or((String::new(), String::new()), |x| {
                (x.paired.diff.estimate.to_string(), x.p_holm.to_string())
            });
            writeln!(
                out,
                "{run},all,{},{},{lo},{hi},{},{d},{p}",
                c.name,
                s.value,
                r.agg.qids.len()
            )?;
        }
    }
    Ok(())
}
