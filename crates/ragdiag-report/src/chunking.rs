//! What `ragdiag chunking` prints and writes, from its typed summary: the verdict, the text
//! table, `report.md`, and the CSV of a declared table (`--format csv`).
//!
//! Metric labels and which metrics are shares come from [`ChunkingMetric`]; a metric is shown
//! for a strategy when some question has it (`n` above 0), else as `-` (text) or `–`
//! (Markdown).

use ragdiag_contract::chunking::{ChunkingStrategy, ChunkingSummary, PairedTest};
use ragdiag_contract::table::{Column, Values};
use ragdiag_contract::Interval;
use ragdiag_eval::chunking::ChunkingMetric;
use ragdiag_eval::csv_field;
use std::fmt::Write as _;

use ChunkingMetric::{ContextTokens, DocNdcg, DocRecall, SpanIou, SpanRecall};

/// A figure as the summary holds it; `null` (not finite) reads back as NaN.
fn val(v: Option<f64>) -> f64 {
    v.unwrap_or(f64::NAN)
}

/// The strategy's interval of `m`, when some question has the metric.
fn estimate(s: &ChunkingStrategy, m: ChunkingMetric, k: usize) -> Option<Interval> {
    s.metrics.get(&m.id(k)).filter(|i| i.n > 0).copied()
}

/// The strategy's paired test of `m` against the first.
fn paired(s: &ChunkingStrategy, m: ChunkingMetric, k: usize) -> Option<&PairedTest> {
    s.vs_first.as_ref()?.get(&m.id(k))
}

fn fmt_value(m: ChunkingMetric, v: f64) -> String {
    if m.percent() {
        ragdiag_core::pct(v, 1)
    } else if m == ContextTokens {
        format!("{v:.0}")
    } else {
        format!("{v:.3}")
    }
}

fn fmt_p(p: f64) -> String {
    if p < 0.001 {
        "p < 0.001".to_owned()
    } else if p < 0.01 {
        "p < 0.01".to_owned()
    } else {
        format!("p = {p:.2}")
    }
}

fn fmt_iv(m: ChunkingMetric, i: &Interval) -> String {
    format!(
        "{} (95% CI {}–{}, n {})",
        fmt_value(m, val(i.mean)),
        fmt_value(m, val(i.ci_lower)),
        fmt_value(m, val(i.ci_upper)),
        i.n
    )
}

fn human_bytes(b: u64) -> String {
    if b >= 1 << 20 {
        format!("{:.1} MB", b as f64 / f64::from(1u32 << 20))
    } else {
        format!("{:.1} kB", b as f64 / 1024.0)
    }
}

/// Plain-language conclusions: the best strategy on span recall and IoU (or, without evidence
/// spans, on document recall), and each strategy against the first on IoU (nDCG), recall and
/// context tokens, with Holm-corrected p-values.
#[must_use]
pub fn chunking_verdict(summary: &ChunkingSummary) -> Vec<String> {
    let mut lines = Vec::new();
    let strategies = &summary.strategies;
    let Some(first) = strategies.first() else {
        return lines;
    };
    let k = summary.k;
    let mean = |s: &ChunkingStrategy, m| estimate(s, m, k).map(|i| val(i.mean));
    let best = |m| {
        strategies
            .iter()
            .filter(|s| mean(s, m).is_some())
            .max_by(|a, b| {
                mean(a, m)
                    .unwrap_or(0.0)
                    .total_cmp(&mean(b, m).unwrap_or(0.0))
            })
    };
    let has_spans = estimate(first, SpanRecall, k).is_some();
    let headline: &[ChunkingMetric] = if has_spans {
        &[SpanRecall, SpanIou]
    } else {
        &[DocRecall]
    };
    for &m in headline {
        let Some(b) = best(m) else {
            continue;
        };
        if let Some(iv) = estimate(b, m, k) {
            lines.push(format!(
                "{} has the best {} ({})",
                b.strategy,
                m.label(k),
                fmt_iv(m, &iv)
            ));
        }
    }
    let (quality, coverage) = if has_spans {
        (SpanIou, SpanRecall)
    } else {
        (DocNdcg, DocRecall)
    };
    for s in strategies.iter().skip(1) {
        let (Some(q1), Some(q0)) = (mean(s, quality), mean(first, quality)) else {
            continue;
        };
        let mut line = if q0 > 0.0 {
            format!(
                "{} gives {:.1}× the {} of {}",
                s.strategy,
                q1 / q0,
                quality.label(k),
                first.strategy
            )
        } else {
            format!(
                "{} has {} {} against 0 for {}",
                s.strategy,
                quality.label(k),
                fmt_value(quality, q1),
                first.strategy
            )
        };
        if let Some(p) = paired(s, quality, k) {
            let _ = write!(line, " ({})", fmt_p(p.p_holm));
        }
        if let (Some(c1), Some(c0), Some(p)) = (
            mean(s, coverage),
            mean(first, coverage),
            paired(s, coverage, k),
        ) {
            let h = p.p_holm;
            let word = if h >= 0.05 {
                "similar"
            } else if c1 > c0 {
                "higher"
            } else {
                "lower"
            };
            let _ = write!(
                line,
                " at {word} {} ({} vs {}, {})",
                coverage.label(k),
                fmt_value(coverage, c1),
                fmt_value(coverage, c0),
                fmt_p(h)
            );
        }
        if let (Some(t1), Some(t0)) = (mean(s, ContextTokens), mean(first, ContextTokens)) {
            if t0 > 0.0 {
                let _ = write!(
                    line,
                    ", with {:.1}× the context tokens ({t1:.0} vs {t0:.0})",
                    t1 / t0
                );
            }
        }
        lines.push(line);
    }
    lines
}

/// The text table of `ragdiag chunking`: cost and metric means per strategy, the questions
/// behind each metric, each strategy's differences from the first, and the verdict.
#[must_use]
pub fn render_chunking_text(summary: &ChunkingSummary) -> String {
    let k = summary.k;
    let strategies = &summary.strategies;
    let mut out = String::new();
    let width = strategies
        .iter()
        .map(|s| s.strategy.len())
        .max()
        .unwrap_or(8)
        .max(8);
    let _ = write!(
        out,
        "{:<width$} {:>7} {:>9} {:>5} {:>9}",
        "strategy", "chunks", "tok/chunk", "p95", "index"
    );
    for m in ChunkingMetric::ALL {
        let _ = write!(out, " {:>14}", m.label(k));
    }
    out.push('\n');
    for s in strategies {
        let _ = write!(
            out,
            "{:<width$} {:>7} {:>9.1} {:>5} {:>9}",
            s.strategy,
            s.chunks,
            s.tokens_per_chunk.mean.unwrap_or(0.0),
            s.tokens_per_chunk.p95.unwrap_or(0),
            human_bytes(s.index_bytes)
        );
        for m in ChunkingMetric::ALL {
            let cell = estimate(s, m, k).map_or("-".to_owned(), |i| fmt_value(m, val(i.mean)));
            let _ = write!(out, " {cell:>14}");
        }
        out.push('\n');
    }
    if let Some(first) = strategies.first() {
        let ns: Vec<String> = ChunkingMetric::ALL
            .iter()
            .filter_map(|&m| estimate(first, m, k).map(|i| format!("{} n={}", m.label(k), i.n)))
            .collect();
        let _ = writeln!(out, "({})", ns.join(", "));
    }
    if strategies.len() > 1 {
        let _ = writeln!(
            out,
            "\npaired against {} (Holm-corrected randomization p):",
            strategies[0].strategy
        );
        for s in strategies.iter().skip(1) {
            let parts: Vec<String> = ChunkingMetric::ALL
                .iter()
                .filter_map(|&m| {
                    paired(s, m, k).map(|p| {
                        let d = val(p.diff.mean);
                        let sign = if d >= 0.0 { "+" } else { "" };
                        let diff = if m.percent() {
                            format!("{sign}{:.1} pts", 100.0 * d)
                        } else {
                            format!("{sign}{}", fmt_value(m, d))
                        };
                        format!("{} {diff} ({})", m.label(k), fmt_p(p.p_holm))
                    })
                })
                .collect();
            let _ = writeln!(out, "  {}: {}", s.strategy, parts.join("; "));
        }
    }
    if !summary.verdict.is_empty() {
        out.push('\n');
        for v in &summary.verdict {
            let _ = writeln!(out, "{v}.");
        }
    }
    out
}

/// `report.md` of `ragdiag chunking`: the verdict, quality with intervals, cost, and the paired
/// differences from the first strategy.
#[must_use]
pub fn render_chunking_markdown(summary: &ChunkingSummary) -> String {
    let k = summary.k;
    let strategies = &summary.strategies;
    let mut md = String::from("# Chunking strategies\n\n");
    let _ = writeln!(
        md,
        "{} questions ({} with evidence spans, {} with relevant documents), top {k} chunks by {} retrieval.\n",
        summary.questions, summary.questions_with_spans, summary.questions_judged, summary.retriever
    );
    for v in &summary.verdict {
        let _ = writeln!(md, "- {v}.");
    }
    md.push_str("\n## Quality (mean, 95% CI)\n\n| strategy |");
    for m in ChunkingMetric::ALL {
        let _ = write!(md, " {} |", m.label(k));
    }
    md.push_str("\n|---|");
    for _ in ChunkingMetric::ALL {
        md.push_str("---:|");
    }
    md.push('\n');
    for s in strategies {
        let _ = write!(md, "| `{}` |", s.strategy);
        for m in ChunkingMetric::ALL {
            match estimate(s, m, k) {
                Some(i) => {
                    let _ = write!(
                        md,
                        " {} [{}, {}] |",
                        fmt_value(m, val(i.mean)),
                        fmt_value(m, val(i.ci_lower)),
                        fmt_value(m, val(i.ci_upper))
                    );
                }
                None => md.push_str(" – |"),
            }
        }
        md.push('\n');
    }
    md.push_str("\n## Cost\n\n| strategy | chunks | tokens/chunk (mean) | tokens/chunk (p95) | index size |\n|---|---:|---:|---:|---:|\n");
    for s in strategies {
        let _ = writeln!(
            md,
            "| `{}` | {} | {:.1} | {} | {} |",
            s.strategy,
            s.chunks,
            s.tokens_per_chunk.mean.unwrap_or(0.0),
            s.tokens_per_chunk.p95.unwrap_or(0),
            human_bytes(s.index_bytes)
        );
    }
    if strategies.len() > 1 {
        let _ = writeln!(
            md,
            "\n## Against `{}` (paired; difference with 95% CI; randomization p, Holm-corrected)\n",
            strategies[0].strategy
        );
        md.push_str(
            "| strategy | metric | difference | CI | p (Holm) |\n|---|---|---:|---|---:|\n",
        );
        for s in strategies.iter().skip(1) {
            for m in ChunkingMetric::ALL {
                if let Some(p) = paired(s, m, k) {
                    let _ = writeln!(
                        md,
                        "| `{}` | {} | {} | [{}, {}] | {:.4} |",
                        s.strategy,
                        m.label(k),
                        fmt_value(m, val(p.diff.mean)),
                        fmt_value(m, val(p.diff.ci_lower)),
                        fmt_value(m, val(p.diff.ci_upper)),
                        p.p_holm
                    );
                }
            }
        }
    }
    md.push_str(
        "\nSpan metrics follow Chroma's chunking evaluation (recall, precision, IoU over the \
         retrieved chunks' character ranges; precision-Ω over every chunk that meets the \
         evidence). `strategies.parquet` holds one row per strategy and metric.\n",
    );
    md
}

/// A declared table's columns as CSV: a header of the column names, then one line per row;
/// a null is an empty field, a list its items joined by `;`.
#[must_use]
pub fn table_csv(columns: &[Column]) -> String {
    let names: Vec<&str> = columns.iter().map(|c| c.name).collect();
    let mut out = names.join(",");
    out.push('\n');
    let rows = columns.first().map_or(0, |c| c.values.len());
    for i in 0..rows {
        let cells: Vec<String> = columns
            .iter()
            .map(|c| match &c.values {
                Values::Utf8(v) => v[i].as_deref().map(csv_field).unwrap_or_default(),
                Values::Int64(v) => v[i].map(|x| x.to_string()).unwrap_or_default(),
                Values::Float64(v) => v[i].map(|x| x.to_string()).unwrap_or_default(),
                Values::Boolean(v) => v[i].map(|x| x.to_string()).unwrap_or_default(),
                Values::Utf8List(v) => csv_field(&v[i].join(";")),
            })
            .collect();
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ragdiag_contract::chunking::{ChunkingProvenance, TokensPerChunk};
    use std::collections::BTreeMap;

    fn strategy(name: &str, iou: f64, recall: f64, tokens: f64) -> ChunkingStrategy {
        let mut metrics = BTreeMap::new();
        for m in ChunkingMetric::ALL {
            let v = match m {
                SpanIou => Interval::of(iou, iou / 2.0, iou * 1.5, 10),
                SpanRecall => Interval::of(recall, 0.5, 0.9, 10),
                ContextTokens => Interval::of(tokens, tokens - 1.0, tokens + 1.0, 12),
                DocRecall | DocNdcg => Interval::empty(),
                _ => Interval::of(0.1, 0.05, 0.15, 10),
            };
            metrics.insert(m.id(5), v);
        }
        ChunkingStrategy {
            strategy: name.into(),
            chunks: 100,
            tokens_per_chunk: TokensPerChunk {
                mean: Some(42.5),
                ci_lower: Some(40.0),
                ci_upper: Some(45.0),
                n: 100,
                p95: Some(60),
            },
            index_bytes: 2048,
            index: "/i".into(),
            index_cached: true,
            index_build_s: None,
            embedded_texts: 0,
            ann_recall: None,
            metrics,
            vs_first: None,
        }
    }

    fn summary() -> ChunkingSummary {
        let mut b = strategy("tokens:100/0", 0.3, 0.7, 500.0);
        let test = |d: f64, p_holm: f64| PairedTest {
            diff: Interval::of(d, d - 0.1, d + 0.1, 10),
            p_randomization: p_holm / 2.0,
            p_holm,
            p_bootstrap: p_holm / 2.0,
            effect_size: Some(1.0),
            wins: 7,
            losses: 2,
            ties: 1,
        };
        b.vs_first = Some(BTreeMap::from([
            (SpanIou.id(5), test(0.2, 0.004)),
            (SpanRecall.id(5), test(-0.1, 0.5)),
        ]));
        ChunkingSummary {
            schema_version: 1,
            command: "chunking".into(),
            k: 5,
            retriever: "bm25".into(),
            questions: 12,
            questions_with_spans: 10,
            questions_judged: 0,
            baseline: Some("doc".into()),
            strategies: vec![strategy("doc", 0.1, 0.8, 1000.0), b],
            verdict: Vec::new(),
            warnings: Vec::new(),
            provenance: ChunkingProvenance::default(),
        }
    }

    #[test]
    fn verdict_names_the_best_and_each_against_the_first() {
        let v = chunking_verdict(&summary());
        assert_eq!(
            v,
            [
                "doc has the best recall (80.0% (95% CI 50.0%–90.0%, n 10))",
                "tokens:100/0 has the best IoU (30.0% (95% CI 15.0%–45.0%, n 10))",
                "tokens:100/0 gives 3.0× the IoU of doc (p < 0.01) at similar recall (70.0% vs \
                 80.0%, p = 0.50), with 0.5× the context tokens (500 vs 1000)",
            ]
        );
    }

    #[test]
    fn text_and_markdown_show_missing_metrics_as_dashes() {
        let mut s = summary();
        s.verdict = chunking_verdict(&s);
        let text = render_chunking_text(&s);
        assert!(text.contains("paired against doc"), "{text}");
        assert!(text.contains("IoU +20.0 pts (p < 0.01)"), "{text}");
        assert!(text.contains("              -"), "{text}");
        assert!(text.ends_with("(500 vs 1000).\n"), "{text}");
        let md = render_chunking_markdown(&s);
        assert!(md.contains("| `doc` | 100 | 42.5 | 60 | 2.0 kB |"), "{md}");
        assert!(md.contains(" – |"), "{md}");
        assert!(md.contains("| `tokens:100/0` | IoU | 20.0% | [10.0%, 30.0%] | 0.0040 |"));
    }

    #[test]
    fn csv_of_columns() {
        let columns = [
            Column {
                name: "strategy",
                values: Values::Utf8(vec![Some("a,b".into()), Some("c".into())]),
            },
            Column {
                name: "n",
                values: Values::Int64(vec![Some(3), None]),
            },
            Column {
                name: "mean",
                values: Values::Float64(vec![Some(0.25), None]),
            },
        ];
        assert_eq!(
            table_csv(&columns),
            "strategy,n,mean\n\"a,b\",3,0.25\nc,,\n"
        );
    }
}
