//! `ragdiag freshness`: the corpus freshness audit, and staleness inside retrieval results.

use super::open_model;
use crate::cli::FreshnessArgs;
use crate::printer::Printer;
use crate::ExitStatus;
use anyhow::{Context, Result};
use arrow::array::{ArrayRef, BooleanArray, Int64Array, ListBuilder, StringArray, StringBuilder};
use arrow::record_batch::RecordBatch;
use ragdiag_core::{md_code, md_escape, pct, Document, Query, Timestamp};
use ragdiag_embed::Embedder as _;
use ragdiag_fresh::{audit, Audit, Config, DocFreshness};
use ragdiag_load::{load_corpus, load_queries, load_run, load_trace, LoadOptions};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::sync::Arc;

/// Version of `summary.json` and `documents.parquet` written by `ragdiag freshness`.
const SCHEMA_VERSION: u32 = 1;

/// Age buckets of the histogram, upper bounds in days.
const AGE_BUCKETS: &[(i64, &str)] = &[
    (30, "< 30 days"),
    (90, "30–90 days"),
    (180, "90–180 days"),
    (365, "180 days–1 year"),
    (730, "1–2 years"),
    (i64::MAX, "> 2 years"),
];

pub(crate) fn run(args: &FreshnessArgs, printer: Printer) -> Result<ExitStatus> {
    crate::fsutil::check_out_not_inside(&args.out, &[&args.corpus])?;
    let as_of = args.as_of.unwrap_or_else(Timestamp::now);
    // An audit covers what it can: a malformed record (a wrong-typed field) skips that record,
    // which is listed in the report and printed on stderr, and the audit goes on over the rest.
    let load_opts = LoadOptions { skip_invalid: true };
    let loaded = load_corpus(&args.corpus, &load_opts)?;
    let mut findings: Vec<String> = loaded
        .diagnostics
        .items()
        .iter()
        .map(ToString::to_string)
        .collect();
    let docs = loaded.items;
    if docs.is_empty() {
        anyhow::bail!("{}: no documents to audit", args.corpus.display());
    }
    let cfg = Config {
        max_age_days: args.max_age,
        near_duplicate_jaccard: args.near_duplicate,
        ..Config::new(as_of)
    };
    let report = audit(&docs, &cfg);
    findings.extend(report.findings.items().iter().map(ToString::to_string));

    let queries = match &args.queries {
        Some(p) => {
            let q = load_queries(p, &load_opts)?;
            findings.extend(q.diagnostics.items().iter().map(ToString::to_string));
            Some(q.items)
        }
        None => None,
    };
    let by_id: HashMap<&str, (&Document, &DocFreshness)> = docs
        .iter()
        .zip(&report.documents)
        .map(|(d, f)| (d.id.as_str(), (d, f)))
        .collect();

    let corpus_figures = corpus_level(&docs, &report, args);
    let label_figures = queries.as_deref().map(|qs| label_level(qs, &by_id));
    let rankings = match (&args.run, &args.trace, &args.index) {
        (Some(p), None, None) => Some(run_rankings(p)?),
        (None, Some(p), None) => {
            let t = load_trace(p, &load_opts)?;
            findings.extend(t.diagnostics.items().iter().map(ToString::to_string));
            Some(trace_rankings(t.items))
        }
        (None, None, Some(p)) => Some(index_rankings(
            p,
            queries.as_deref().unwrap_or_default(),
            args,
            printer,
        )?),
        (None, None, None) => None,
        _ => anyhow::bail!("give one of --run, --trace and --index"),
    };
    let retrieval_figures = rankings.map(|r| {
        ragdiag_fresh::retrieval_staleness(
            &r,
            usize::try_from(args.k).unwrap_or(usize::MAX),
            args.seed,
            &docs,
            &report,
            queries.as_deref(),
        )
    });

    let summary = json!({
        "schema_version": SCHEMA_VERSION,
        "provenance": {
            "ragdiag_version": env!("CARGO_PKG_VERSION"),
            "command": std::env::args().collect::<Vec<_>>().join(" "),
            "corpus": args.corpus.display().to_string(),
            "queries": args.queries.as_ref().map(|p| p.display().to_string()),
            "run": args.run.as_ref().map(|p| p.display().to_string()),
            "trace": args.trace.as_ref().map(|p| p.display().to_string()),
            "as_of": as_of.to_string(),
            "max_age_days": args.max_age,
            "near_duplicate_jaccard": args.near_duplicate,
            "k": args.k,
            "seed": args.seed,
        },
        "corpus": corpus_figures,
        "labels": label_figures,
        "retrieval": retrieval_figures,
        "findings": findings,
    });
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let mut json_bytes = serde_json::to_vec_pretty(&summary)?;
    json_bytes.push(b'\n');
    crate::fsutil::write_atomic(&args.out.join("summary.json"), &json_bytes)?;
    crate::fsutil::write_atomic(
        &args.out.join("documents.parquet"),
        &documents_parquet(&docs, &report)?,
    )?;
    let md = markdown(&summary, &report);
    crate::fsutil::write_atomic(&args.out.join("report.md"), md.as_bytes())?;
    printer.warning_lines(&findings, &args.out.join("report.md"));
    printer.note(headline(&summary));
    printer.note(format_args!(
        "wrote {}",
        args.out.join("report.md").display()
    ));
    Ok(ExitStatus::Success)
}

fn share(n: usize, of: usize) -> f64 {
    if of == 0 {
        0.0
    } else {
        n as f64 / of as f64
    }
}

fn corpus_level(docs: &[Document], report: &Audit, args: &FreshnessArgs) -> Value {
    let n = docs.len();
    let stale = report
        .documents
        .iter()
        .filter(|d| d.stale == Some(true))
        .count();
    let unknown = report
        .documents
        .iter()
        .filter(|d| d.stale.is_none())
        .count();
    let mut by_reason: BTreeMap<&str, usize> = BTreeMap::new();
    for d in &report.documents {
        if let Some(r) = d.stale_reason() {
            *by_reason.entry(r.as_str()).or_default() += 1;
        }
    }
    let inferred = report
        .documents
        .iter()
        .filter(|d| d.stale_reason() == Some(ragdiag_fresh::StaleReason::SupersededInferred))
        .count();
    let mut hist: Vec<(String, usize)> = AGE_BUCKETS
        .iter()
        .map(|(_, l)| ((*l).to_string(), 0))
        .collect();
    hist.push(("undated".into(), 0));
    for d in &report.documents {
        match d.age_days {
            Some(a) => {
                let i = AGE_BUCKETS
                    .iter()
                    .position(|(hi, _)| a < *hi)
                    .unwrap_or(AGE_BUCKETS.len() - 1);
                hist[i].1 += 1;
            }
            None => hist[AGE_BUCKETS.len()].1 += 1,
        }
    }
    // Stale share per tag, source and folder (a census of the corpus, so no interval: n is exact).
    let mut groups: BTreeMap<(String, String), (usize, usize)> = BTreeMap::new();
    for (d, f) in docs.iter().zip(&report.documents) {
        let mut keys: Vec<(String, String)> = d
            .tags
            .iter()
            .map(|t| ("tag".to_string(), t.clone()))
            .collect();
        if let Some(s) = &d.source {
            keys.push(("source".into(), s.clone()));
        }
        if let Ok(rel) = d.origin.path.strip_prefix(&args.corpus) {
            if let Some(parent) = rel.parent().filter(|p| !p.as_os_str().is_empty()) {
                keys.push(("folder".into(), parent.display().to_string()));
            }
        }
        for k in keys {
            let e = groups.entry(k).or_default();
            e.0 += 1;
            e.1 += usize::from(f.stale == Some(true));
        }
    }
    let groups: Vec<Value> = groups
        .into_iter()
        .map(|((kind, name), (total, stale))| json!({"kind": kind, "name": name, "documents": total, "stale": stale, "stale_share": share(stale, total)}))
        .collect();
    json!({
        "documents": n,
        "stale": stale,
        "stale_share": share(stale, n),
        "stale_by_reason": by_reason,
        "superseded_inferred": inferred,
        "unknown_undated": unknown,
        "fresh": n - stale - unknown,
        "aged": report.documents.iter().filter(|d| d.aged).count(),
        "age_histogram": hist.into_iter().map(|(b, c)| json!({"bucket": b, "documents": c})).collect::<Vec<_>>(),
        "stale_share_by_group": groups,
        "supersession_chains": report.chains,
        "near_duplicates": report.near_duplicates.iter().map(|n| json!({"older": n.older, "newer": n.newer, "jaccard": n.jaccard, "dated": n.dated})).collect::<Vec<_>>(),
        "conflicts": report.conflicts.iter().map(|c| json!({"doc_a": c.doc_a, "doc_b": c.doc_b, "sentence_a": c.sentence_a, "sentence_b": c.sentence_b, "similarity": c.similarity})).collect::<Vec<_>>(),
        "conflict_clusters": report.conflict_clusters(),
    })
}

/// The documents a question's labels point at (relevant with grade > 0, and evidence).
fn gold_docs(q: &Query) -> Vec<&str> {
    let mut out: Vec<&str> = q
        .relevant
        .iter()
        .filter(|r| r.grade > 0)
        .map(|r| r.doc.as_str())
        .collect();
    out.extend(q.evidence.iter().map(|e| e.doc()));
    out.sort_unstable();
    out.dedup();
    out
}

fn label_level(queries: &[Query], by_id: &HashMap<&str, (&Document, &DocFreshness)>) -> Value {
    let mut stale_gold = Vec::new();
    let mut labels_dated_before = Vec::new();
    for q in queries.iter().filter(|q| q.answerable) {
        for doc in gold_docs(q) {
            let Some((d, f)) = by_id.get(doc) else {
                continue;
            };
            if f.stale == Some(true) {
                stale_gold.push(json!({"query": q.id, "doc": doc, "stale_reason": f.stale_reason().map(|r| r.as_str())}));
            }
            if let (Some(asked), Some(updated)) = (q.asked_at, d.updated_at) {
                if asked < updated {
                    labels_dated_before.push(json!({"query": q.id, "doc": doc, "asked_at": asked.to_string(), "updated_at": updated.to_string()}));
                }
            }
        }
    }
    json!({
        "questions": queries.len(),
        "answerable_with_stale_gold": stale_gold,
        "labels_dated_before_gold_update": labels_dated_before,
    })
}

/// Document rankings per question from a run, in trec_eval's order.
fn run_rankings(path: &std::path::Path) -> Result<Vec<(String, Vec<String>)>> {
    let run = load_run(path, None)?;
    Ok(run
        .queries
        .iter()
        .map(|q| {
            let mut ranked: Vec<(&str, f64)> =
                q.entries.iter().map(|e| (run.docno(e), e.score)).collect();
            ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| b.0.cmp(a.0)));
            (
                q.qid.clone(),
                ranked.into_iter().map(|(d, _)| d.to_string()).collect(),
            )
        })
        .collect())
}

/// Document rankings per question from replaying the queries against an index.
fn index_rankings(
    index: &std::path::Path,
    queries: &[Query],
    args: &FreshnessArgs,
    printer: Printer,
) -> Result<Vec<(String, Vec<String>)>> {
    use ragdiag_retrieve::{
        check_query_model, chunk_depth, doc_rankings, query_model, RetrieverKind, SearchOptions,
        Searcher,
    };
    let searcher = Searcher::open(index)
        .with_context(|| format!("cannot open the index {}", index.display()))?;
    let retriever = RetrieverKind::from(args.retriever);
    let embedder = match query_model(&searcher, index, None, retriever)? {
        Some(choice) => {
            let e = open_model(&choice, args.no_fetch, printer)?;
            check_query_model(&searcher, index, e.as_ref().map(|e| e.model_id()))?;
            e
        }
        None => None,
    };
    let k = usize::try_from(args.k).unwrap_or(usize::MAX);
    let options = SearchOptions {
        retriever,
        k: chunk_depth(&searcher, k),
        exact: args.exact,
        ..SearchOptions::default()
    };
    let texts: Vec<&str> = queries.iter().map(|q| q.text.as_str()).collect();
    let out = searcher.search(
        &texts,
        &options,
        embedder.as_ref().map(|e| e as &dyn ragdiag_embed::Embedder),
        &printer.bars(),
    )?;
    if let Some(e) = &embedder {
        e.flush().context("cannot save the embedding cache")?;
    }
    let ids: Vec<&str> = queries.iter().map(|q| q.id.as_str()).collect();
    Ok(doc_rankings(&searcher, &ids, &out.hits, k)
        .into_iter()
        .map(|r| (r.qid, r.docs.into_iter().map(|(d, _)| d).collect()))
        .collect())
}

/// Document rankings per question from a trace: its order, each document at its first chunk.
fn trace_rankings(trace: Vec<ragdiag_core::TraceRecord>) -> Vec<(String, Vec<String>)> {
    trace
        .into_iter()
        .map(|t| {
            let mut seen = HashSet::new();
            let docs = t
                .retrieved
                .into_iter()
                .map(|h| h.doc)
                .filter(|d| seen.insert(d.clone()))
                .collect();
            (t.query_id, docs)
        })
        .collect()
}

fn documents_parquet(docs: &[Document], report: &Audit) -> Result<Vec<u8>> {
    let mut conflicts_with: HashMap<&str, Vec<&str>> = HashMap::new();
    for c in &report.conflicts {
        conflicts_with.entry(&c.doc_a).or_default().push(&c.doc_b);
        conflicts_with.entry(&c.doc_b).or_default().push(&c.doc_a);
    }
    let near: HashMap<&str, &str> = report
        .near_duplicates
        .iter()
        .flat_map(|n| {
            [
                (n.older.as_str(), n.newer.as_str()),
                (n.newer.as_str(), n.older.as_str()),
            ]
        })
        .collect();
    let f = &report.documents;
    let strings = |v: Vec<Option<String>>| -> ArrayRef { Arc::new(StringArray::from(v)) };
    let mut tags = ListBuilder::new(StringBuilder::new());
    for d in docs {
        for t in &d.tags {
            tags.values().append_value(t);
        }
        tags.append(true);
    }
    let columns: Vec<(&str, ArrayRef)> = vec![
        (
            "id",
            strings(docs.iter().map(|d| Some(d.id.clone())).collect()),
        ),
        (
            "title",
            strings(docs.iter().map(|d| d.title.clone()).collect()),
        ),
        (
            "origin",
            strings(docs.iter().map(|d| Some(d.origin.to_string())).collect()),
        ),
        (
            "updated_at",
            strings(
                docs.iter()
                    .map(|d| d.updated_at.map(|t| t.to_string()))
                    .collect(),
            ),
        ),
        (
            "age_days",
            Arc::new(Int64Array::from(
                f.iter().map(|x| x.age_days).collect::<Vec<_>>(),
            )),
        ),
        (
            "undated",
            Arc::new(BooleanArray::from(
                f.iter()
                    .map(|x| Some(x.age_days.is_none()))
                    .collect::<Vec<_>>(),
            )),
        ),
        (
            "aged",
            Arc::new(BooleanArray::from(
                f.iter().map(|x| Some(x.aged)).collect::<Vec<_>>(),
            )),
        ),
        (
            "stale",
            Arc::new(BooleanArray::from(
                f.iter().map(|x| x.stale).collect::<Vec<_>>(),
            )),
        ),
        (
            "stale_reason",
            strings(
                f.iter()
                    .map(|x| x.stale_reason().map(|r| r.as_str().to_string()))
                    .collect(),
            ),
        ),
        (
            "superseded_inferred",
            Arc::new(BooleanArray::from(
                f.iter()
                    .map(|x| {
                        Some(
                            x.reasons
                                .contains(&ragdiag_fresh::StaleReason::SupersededInferred),
                        )
                    })
                    .collect::<Vec<_>>(),
            )),
        ),
        (
            "superseded_by",
            strings(f.iter().map(|x| x.superseded_by.clone()).collect()),
        ),
        (
            "expired",
            Arc::new(BooleanArray::from(
                f.iter()
                    .map(|x| Some(x.reasons.contains(&ragdiag_fresh::StaleReason::Expired)))
                    .collect::<Vec<_>>(),
            )),
        ),
        (
            "deleted",
            Arc::new(BooleanArray::from(
                docs.iter().map(|d| Some(d.deleted)).collect::<Vec<_>>(),
            )),
        ),
        (
            "near_duplicate_of",
            strings(
                docs.iter()
                    .map(|d| near.get(d.id.as_str()).map(|s| (*s).to_string()))
                    .collect(),
            ),
        ),
        (
            "conflicts_with",
            strings(
                docs.iter()
                    .map(|d| conflicts_with.get(d.id.as_str()).map(|v| v.join(",")))
                    .collect(),
            ),
        ),
        ("tags", Arc::new(tags.finish())),
    ];
    let batch = RecordBatch::try_from_iter(columns)?;
    Ok(ragdiag_load::parquet_bytes(&batch, SCHEMA_VERSION)?)
}

fn headline(summary: &Value) -> String {
    let c = &summary["corpus"];
    let mut s = format!(
        "{} documents audited as of {}: {} stale ({}), {} of unknown freshness (undated), {} fresh.",
        c["documents"], summary["provenance"]["as_of"].as_str().unwrap_or(""), c["stale"], pct(c["stale_share"].as_f64().unwrap_or(0.0), 1), c["unknown_undated"], c["fresh"]
    );
    let by = c["stale_by_reason"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{v} {k}"))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    if !by.is_empty() {
        let _ = write!(
            s,
            " Stale by reason: {by} ({} superseded by inference from a newer near-duplicate).",
            c["superseded_inferred"]
        );
    }
    let _ = write!(
        s,
        " {} near-duplicate pairs, {} conflicting pairs of current documents.",
        c["near_duplicates"].as_array().map_or(0, Vec::len),
        c["conflicts"].as_array().map_or(0, Vec::len)
    );
    if let Some(r) = summary["retrieval"].as_object() {
        let rate = &r["stale_hit_rate_at_k"];
        let _ = write!(
            s,
            " In retrieval, {} of the top {} hits are stale (95% CI {}–{}, n = {} questions); the top hit is stale for {} of questions.",
            pct(rate["value"].as_f64().unwrap_or(0.0), 1), r["k"], pct(rate["ci_lower"].as_f64().unwrap_or(0.0), 1), pct(rate["ci_upper"].as_f64().unwrap_or(0.0), 1), rate["n"], pct(r["top_hit_stale_share"]["value"].as_f64().unwrap_or(0.0), 1)
        );
    }
    s
}

fn markdown(summary: &Value, report: &Audit) -> String {
    let c = &summary["corpus"];
    let mut md = String::new();
    let _ = writeln!(md, "# Freshness audit\n\n{}\n", headline(summary));
    let _ = writeln!(md, "## Age\n\n| age | documents |\n|---|---|");
    for b in c["age_histogram"].as_array().into_iter().flatten() {
        let _ = writeln!(
            md,
            "| {} | {} |",
            b["bucket"].as_str().unwrap_or(""),
            b["documents"]
        );
    }
    let _ = writeln!(
        md,
        "\n## Stale documents\n\n| document | reason | replaced by |\n|---|---|---|"
    );
    for d in report.documents.iter().filter(|d| d.stale == Some(true)) {
        let reason = match d.stale_reason() {
            Some(ragdiag_fresh::StaleReason::SupersededInferred) => {
                "superseded (inferred: older near-duplicate)".to_string()
            }
            Some(r) => r.as_str().to_string(),
            None => String::new(),
        };
        let _ = writeln!(
            md,
            "| {} | {} | {} |",
            md_escape(&d.id),
            reason,
            d.superseded_by
                .as_deref()
                .map(md_escape)
                .unwrap_or_default()
        );
    }
    let undated: Vec<&str> = report
        .documents
        .iter()
        .filter(|d| d.stale.is_none())
        .map(|d| d.id.as_str())
        .collect();
    let _ = writeln!(
        md,
        "\n## Undated (freshness unknown)\n\n{}",
        if undated.is_empty() {
            "None.".to_string()
        } else {
            undated
                .iter()
                .map(|d| format!("- {}", md_escape(d)))
                .collect::<Vec<_>>()
                .join("\n")
        }
    );
    let _ = writeln!(
        md,
        "\n## Stale share by group\n\n| group | documents | stale | share |\n|---|---|---|---|"
    );
    for g in c["stale_share_by_group"].as_array().into_iter().flatten() {
        let _ = writeln!(
            md,
            "| {} {} | {} | {} | {} |",
            g["kind"].as_str().unwrap_or(""),
            md_code(g["name"].as_str().unwrap_or("")),
            g["documents"],
            g["stale"],
            pct(g["stale_share"].as_f64().unwrap_or(0.0), 1)
        );
    }
    let _ = writeln!(md, "\n## Supersession chains\n");
    for ch in &report.chains {
        let _ = writeln!(
            md,
            "- {}",
            ch.iter()
                .map(|s| md_escape(s))
                .collect::<Vec<_>>()
                .join(" → ")
        );
    }
    let _ = writeln!(
        md,
        "\n## Near-duplicates\n\n| older | newer | Jaccard |\n|---|---|---|"
    );
    for n in &report.near_duplicates {
        let _ = writeln!(
            md,
            "| {} | {} | {:.3} |",
            md_escape(&n.older),
            md_escape(&n.newer),
            n.jaccard
        );
    }
    let _ = writeln!(md, "\n## Conflicts between current documents\n");
    for x in &report.conflicts {
        let _ = writeln!(
            md,
            "- **{}** vs **{}**\n  - {}: “{}”\n  - {}: “{}”",
            md_escape(&x.doc_a),
            md_escape(&x.doc_b),
            md_escape(&x.doc_a),
            md_escape(&x.sentence_a),
            md_escape(&x.doc_b),
            md_escape(&x.sentence_b)
        );
    }
    if let Some(l) = summary["labels"].as_object() {
        let _ = writeln!(md, "\n## Labels\n");
        for s in l["answerable_with_stale_gold"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let _ = writeln!(
                md,
                "- question {}: gold {} is stale ({})",
                md_code(s["query"].as_str().unwrap_or("")),
                md_code(s["doc"].as_str().unwrap_or("")),
                s["stale_reason"].as_str().unwrap_or("")
            );
        }
        for s in l["labels_dated_before_gold_update"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let _ = writeln!(
                md,
                "- question {}: labelled {} but {} was updated {}",
                md_code(s["query"].as_str().unwrap_or("")),
                s["asked_at"].as_str().unwrap_or(""),
                md_code(s["doc"].as_str().unwrap_or("")),
                s["updated_at"].as_str().unwrap_or("")
            );
        }
    }
    if let Some(r) = summary["retrieval"].as_object() {
        let _ = writeln!(md, "\n## In retrieval (top {})\n", r["k"]);
        let _ = writeln!(
            md,
            "- superseded documents ranked above their current version: {}",
            r["superseded_ranked_above_current"]
        );
        let _ = writeln!(
            md,
            "- ghost citations (hits on deleted or unknown documents): {}",
            r["ghost_citations"]
        );
        let never = r["never_retrieved_live_documents"]
            .as_array()
            .map_or(0, Vec::len);
        let _ = writeln!(md, "- live documents no question retrieves: {never}");
    }
    let findings = summary["findings"].as_array().map_or(0, Vec::len);
    if findings > 0 {
        let _ = writeln!(md, "\n## Data findings\n");
        for f in summary["findings"].as_array().into_iter().flatten() {
            let _ = writeln!(md, "- {}", md_escape(f.as_str().unwrap_or("")));
        }
    }
    md
}
