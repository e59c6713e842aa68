//! The Parquet tables written beside the summaries, declared once.
//!
//! A [`Table`] names its file, its schema version and its columns in order; the writers build
//! [`Column`]s checked against the declaration ([`Table::check`]), and `ragdiag compare` reads
//! exactly the columns whose [`Role`] is [`Role::Metric`] (per-question figures; the long
//! [`STRATEGIES`] table holds [`Role::Estimate`]s, figures over many questions).
//!
//! Every column is written as a nullable Arrow field (the files of schema version 1 were), and
//! each file carries `ragdiag.schema_version` in its key-value metadata.

/// The value type of a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// UTF-8 text.
    Utf8,
    /// A 64-bit signed integer.
    Int64,
    /// A 64-bit float, finite where not null.
    Float64,
    /// A boolean.
    Boolean,
    /// A list of UTF-8 texts (never null; empty for none).
    Utf8List,
}

/// What a column is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Identifies the row (`query_id`).
    Key,
    /// Describes the row; never compared as a figure.
    Attribute,
    /// A per-question figure that `ragdiag compare` tests (null where not scored).
    Metric,
    /// The question's traffic weight (relative).
    Weight,
    /// A figure over many questions (a mean, an interval's bound, a paired test's result) in
    /// a table of one row per figure; `ragdiag compare` never tests it.
    Estimate,
}

/// One declared column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColumnDef {
    /// Its name in the file.
    pub name: &'static str,
    /// Its type.
    pub kind: ColumnKind,
    /// Whether it may hold nulls, and what a null means (`None`: never null).
    pub null_means: Option<&'static str>,
    /// What it is for.
    pub role: Role,
    /// What it holds, with its unit.
    pub doc: &'static str,
}

/// A declared Parquet table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Table {
    /// Its file name in the report folder.
    pub file: &'static str,
    /// The `ragdiag.schema_version` it is written with.
    pub schema_version: u32,
    /// Its columns, in file order.
    pub columns: &'static [ColumnDef],
}

/// The values of one column, as the writers hand them over.
#[derive(Debug, Clone, PartialEq)]
pub enum Values {
    /// [`ColumnKind::Utf8`].
    Utf8(Vec<Option<String>>),
    /// [`ColumnKind::Int64`].
    Int64(Vec<Option<i64>>),
    /// [`ColumnKind::Float64`].
    Float64(Vec<Option<f64>>),
    /// [`ColumnKind::Boolean`].
    Boolean(Vec<Option<bool>>),
    /// [`ColumnKind::Utf8List`].
    Utf8List(Vec<Vec<String>>),
}

impl Values {
    /// The kind of these values.
    #[must_use]
    pub fn kind(&self) -> ColumnKind {
        match self {
            Values::Utf8(_) => ColumnKind::Utf8,
            Values::Int64(_) => ColumnKind::Int64,
            Values::Float64(_) => ColumnKind::Float64,
            Values::Boolean(_) => ColumnKind::Boolean,
            Values::Utf8List(_) => ColumnKind::Utf8List,
        }
    }

    /// The number of rows.
    #[must_use]
    pub fn len(&self) -> usize {
        match self {
            Values::Utf8(v) => v.len(),
            Values::Int64(v) => v.len(),
            Values::Float64(v) => v.len(),
            Values::Boolean(v) => v.len(),
            Values::Utf8List(v) => v.len(),
        }
    }

    /// No rows.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether row `i` is null.
    #[must_use]
    pub fn is_null(&self, i: usize) -> bool {
        match self {
            Values::Utf8(v) => v[i].is_none(),
            Values::Int64(v) => v[i].is_none(),
            Values::Float64(v) => v[i].is_none(),
            Values::Boolean(v) => v[i].is_none(),
            Values::Utf8List(_) => false,
        }
    }
}

/// One column's values, named.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// The declared name.
    pub name: &'static str,
    /// The values.
    pub values: Values,
}

impl Table {
    /// The declared column called `name`.
    #[must_use]
    pub fn column(&self, name: &str) -> Option<&ColumnDef> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The metric columns, in file order: what `ragdiag compare` tests.
    pub fn metrics(&self) -> impl Iterator<Item = &ColumnDef> {
        self.columns.iter().filter(|c| c.role == Role::Metric)
    }

    /// Checks columns against the declaration: the same names in the same order, the declared
    /// kinds, equal lengths, and no null in a column declared never null.
    ///
    /// # Errors
    ///
    /// The first mismatch, in words (a writer's bug, never the user's input).
    pub fn check(&self, columns: &[Column]) -> Result<(), String> {
        let names: Vec<&str> = columns.iter().map(|c| c.name).collect();
        let declared: Vec<&str> = self.columns.iter().map(|c| c.name).collect();
        if names != declared {
            return Err(format!(
                "{}: columns {names:?}, declared {declared:?}",
                self.file
            ));
        }
        let rows = columns.first().map_or(0, |c| c.values.len());
        for (c, d) in columns.iter().zip(self.columns) {
            if c.values.kind() != d.kind {
                return Err(format!(
                    "{}: column {} is {:?}, declared {:?}",
                    self.file,
                    d.name,
                    c.values.kind(),
                    d.kind
                ));
            }
            if c.values.len() != rows {
                return Err(format!(
                    "{}: column {} has {} rows, the first column {rows}",
                    self.file,
                    d.name,
                    c.values.len()
                ));
            }
            if d.null_means.is_none() && (0..rows).any(|i| c.values.is_null(i)) {
                return Err(format!(
                    "{}: column {} is declared never null",
                    self.file, d.name
                ));
            }
        }
        Ok(())
    }
}

const fn col(
    name: &'static str,
    kind: ColumnKind,
    role: Role,
    null_means: Option<&'static str>,
    doc: &'static str,
) -> ColumnDef {
    ColumnDef {
        name,
        kind,
        null_means,
        role,
        doc,
    }
}

use ColumnKind::{Boolean, Float64, Int64, Utf8, Utf8List};
use Role::{Attribute, Estimate, Key, Metric, Weight};

const NOT_SCORED: Option<&str> = Some("the question has no relevance judgments");

/// `queries.parquet` of `ragdiag diagnose`: one row per question, in input order.
pub const QUERIES: Table = Table {
    file: "queries.parquet",
    schema_version: crate::DIAGNOSE_SCHEMA_VERSION,
    columns: &[
        col("query_id", Utf8, Key, None, "the question id"),
        col("text", Utf8, Attribute, None, "the question"),
        col(
            "class",
            Utf8,
            Attribute,
            None,
            "the failure class (DESIGN.md's name)",
        ),
        col(
            "flags",
            Utf8,
            Attribute,
            None,
            "the flags, comma-separated, in DESIGN.md's order",
        ),
        col(
            "rule",
            Int64,
            Attribute,
            None,
            "the number of the rule that fired (1 to 10)",
        ),
        col(
            "rule_name",
            Utf8,
            Attribute,
            None,
            "the rule's machine name",
        ),
        col("reason", Utf8, Attribute, None, "the plain-language reason"),
        col(
            "best_gold_rank",
            Int64,
            Attribute,
            Some("no retrieved chunk holds the evidence"),
            "the rank (from 1) of the best chunk holding the evidence",
        ),
        col(
            "answer_correct",
            Boolean,
            Attribute,
            Some("not assessed (no answer or no reference answer)"),
            "the answer matches an accepted answer",
        ),
        col(
            "answer_grounded",
            Boolean,
            Attribute,
            Some("no answer"),
            "every answer sentence is supported by the context window",
        ),
        col(
            "answer_abstained",
            Boolean,
            Attribute,
            Some("no answer"),
            "the answer abstains",
        ),
        col(
            "hit",
            Float64,
            Metric,
            Some("not scored (no label, or unanswerable)"),
            "1 when a chunk holding the evidence is in the context window, else 0 (hit@K)",
        ),
        col(
            "weight",
            Float64,
            Weight,
            None,
            "the question's traffic weight",
        ),
        col(
            "tags",
            Utf8,
            Attribute,
            None,
            "the question's tags, comma-separated",
        ),
        // The document-level measures of QUERY_MEASURES, in trec_eval's print order.
        col("map", Float64, Metric, NOT_SCORED, "average precision"),
        col(
            "mrr",
            Float64,
            Metric,
            NOT_SCORED,
            "reciprocal rank of the first relevant document",
        ),
        col(
            "recall@5",
            Float64,
            Metric,
            NOT_SCORED,
            "document recall in the top 5",
        ),
        col(
            "recall@10",
            Float64,
            Metric,
            NOT_SCORED,
            "document recall in the top 10",
        ),
        col(
            "recall@100",
            Float64,
            Metric,
            NOT_SCORED,
            "document recall in the top 100",
        ),
        col(
            "ndcg@10",
            Float64,
            Metric,
            NOT_SCORED,
            "nDCG at 10 (trec_eval's ndcg_cut.10)",
        ),
        // The reranker (trace `candidates`), after the metrics.
        col(
            "pre_rerank_gold_rank",
            Int64,
            Attribute,
            Some("no candidates, not assessed, or no candidate holds the evidence"),
            "the rank (from 1) of the best pre-rerank candidate holding the evidence",
        ),
        col(
            "reranker_effect",
            Utf8,
            Attribute,
            Some("no candidates or not assessed"),
            "`helped`, `hurt` or `neutral`: the evidence entered, left or kept its place \
             in or out of the context window",
        ),
        col(
            "latency_ms",
            Float64,
            Attribute,
            Some("no trace record, or it gives no latency (replay mode)"),
            "the traced system's latency for the question, in milliseconds",
        ),
        col(
            "cost",
            Float64,
            Attribute,
            Some("no --price, or the trace record gives no token counts"),
            "the question's cost: prompt and completion tokens at --price (per million tokens)",
        ),
    ],
};

/// The trec_eval measures behind the document-level metric columns of [`QUERIES`]
/// (`recall.5,10,100` gives three columns; trec_eval's print order is the column order).
pub const QUERY_MEASURES: [&str; 4] = ["recall.5,10,100", "ndcg_cut.10", "recip_rank", "map"];

/// `hits.parquet` of `ragdiag diagnose`: one row per retrieved item of each question, in rank
/// order.
pub const HITS: Table = Table {
    file: "hits.parquet",
    schema_version: crate::DIAGNOSE_SCHEMA_VERSION,
    columns: &[
        col("query_id", Utf8, Key, None, "the question id"),
        col("rank", Int64, Attribute, None, "the rank, from 1"),
        col("doc", Utf8, Attribute, None, "the document id"),
        col(
            "start",
            Int64,
            Attribute,
            Some("the hit is a whole document or could not be located"),
            "the chunk's first code point in its document",
        ),
        col(
            "end",
            Int64,
            Attribute,
            Some("the hit is a whole document or could not be located"),
            "the code point after the chunk's last",
        ),
        col(
            "score",
            Float64,
            Attribute,
            Some("the system gave no score"),
            "the retrieval score",
        ),
        col(
            "retriever",
            Utf8,
            Attribute,
            None,
            "which retrievers found it (`bm25`, `dense`, `bm25+dense`, `trace`)",
        ),
        col(
            "stale",
            Boolean,
            Attribute,
            Some("undated: freshness unknown"),
            "the document is stale",
        ),
        col(
            "stale_reason",
            Utf8,
            Attribute,
            Some("not stale"),
            "`superseded`, `superseded_inferred`, `expired`, `deleted` or `unknown_document`",
        ),
    ],
};

const NOT_STALE: Option<&str> = Some("not stale");

/// `documents.parquet` of `ragdiag freshness`: one row per document, in input order.
pub const DOCUMENTS: Table = Table {
    file: "documents.parquet",
    schema_version: crate::freshness::FRESHNESS_SCHEMA_VERSION,
    columns: &[
        col("id", Utf8, Key, None, "the document id"),
        col("title", Utf8, Attribute, Some("no title"), "the title"),
        col(
            "origin",
            Utf8,
            Attribute,
            None,
            "where it was read (`path:line`)",
        ),
        col(
            "updated_at",
            Utf8,
            Attribute,
            Some("undated"),
            "its date (RFC 3339 or YYYY-MM-DD)",
        ),
        col(
            "age_days",
            Int64,
            Attribute,
            Some("undated"),
            "days from its date to the audit date",
        ),
        col("undated", Boolean, Attribute, None, "it has no date"),
        col("aged", Boolean, Attribute, None, "older than `--max-age`"),
        col(
            "stale",
            Boolean,
            Attribute,
            Some("undated: freshness unknown"),
            "it is stale",
        ),
        col(
            "stale_reason",
            Utf8,
            Attribute,
            NOT_STALE,
            "the first reason it is stale",
        ),
        col(
            "superseded_inferred",
            Boolean,
            Attribute,
            None,
            "superseded by inference (a newer near-duplicate, or the same page in a newer version)",
        ),
        col(
            "superseded_by",
            Utf8,
            Attribute,
            NOT_STALE,
            "the document that replaces it",
        ),
        col(
            "expired",
            Boolean,
            Attribute,
            None,
            "past its `valid_until`",
        ),
        col("deleted", Boolean, Attribute, None, "marked deleted"),
        col(
            "near_duplicate_of",
            Utf8,
            Attribute,
            Some("no near-duplicate"),
            "a near-duplicate document",
        ),
        col(
            "conflicts_with",
            Utf8,
            Attribute,
            Some("no conflict"),
            "current documents it conflicts with, comma-separated",
        ),
        col("tags", Utf8List, Attribute, None, "its tags"),
        col(
            "inferred_from",
            Utf8,
            Attribute,
            Some("not inferred"),
            "how a supersession was inferred: `near_duplicate` or `same_page`",
        ),
        col(
            "current",
            Utf8,
            Attribute,
            Some("not superseded"),
            "the current document at the end of its supersession chain",
        ),
        col(
            "hygiene",
            Utf8,
            Attribute,
            Some("no finding"),
            "`empty`, `boilerplate only`, `near-empty` or `duplicate`",
        ),
        col(
            "duplicate_of",
            Utf8,
            Attribute,
            Some("no duplicate"),
            "the first other document with identical text",
        ),
        col(
            "own_words",
            Int64,
            Attribute,
            None,
            "its words not covered by boilerplate",
        ),
    ],
};

const NO_INTERVAL: Option<&str> = Some(
    "no interval: no question has the metric, or a cost figure without one (`chunks`, \
     `tokens_per_chunk_p95`, `index_bytes`)",
);
const NOT_PAIRED: Option<&str> = Some(
    "not compared: the first strategy, a cost figure, or a metric no question of the first \
     strategy has",
);

/// `strategies.parquet` of `ragdiag chunking`: long, one row per strategy and figure, the
/// strategies in command-line order, each with its metrics (in `summary.json`'s order:
/// `span_recall`, `span_precision`, `span_iou`, `precision_omega`, `recall@K`, `ndcg@K`,
/// `context_tokens`) then its cost figures (`chunks`, `tokens_per_chunk`,
/// `tokens_per_chunk_p95`, `index_bytes`). `--format csv` prints the same rows.
pub const STRATEGIES: Table = Table {
    file: "strategies.parquet",
    schema_version: crate::chunking::CHUNKING_SCHEMA_VERSION,
    columns: &[
        col("strategy", Utf8, Key, None, "the chunker spec, canonical"),
        col("metric", Utf8, Key, None, "the metric or cost figure"),
        col(
            "mean",
            Float64,
            Estimate,
            Some("no question has the metric"),
            "the mean over the metric's questions (over chunks for `tokens_per_chunk`), or the \
             cost figure (chunks, tokens, bytes)",
        ),
        col(
            "ci_lower",
            Float64,
            Estimate,
            NO_INTERVAL,
            "the lower bound of its 95% bootstrap interval",
        ),
        col(
            "ci_upper",
            Float64,
            Estimate,
            NO_INTERVAL,
            "the upper bound of its 95% bootstrap interval",
        ),
        col(
            "n",
            Int64,
            Attribute,
            None,
            "the questions behind the mean (the chunks, for cost figures); 0 when none",
        ),
        col(
            "diff",
            Float64,
            Estimate,
            NOT_PAIRED,
            "the mean paired difference, this strategy − the first",
        ),
        col(
            "diff_ci_lower",
            Float64,
            Estimate,
            NOT_PAIRED,
            "the lower bound of its 95% paired-bootstrap interval",
        ),
        col(
            "diff_ci_upper",
            Float64,
            Estimate,
            NOT_PAIRED,
            "the upper bound of its 95% paired-bootstrap interval",
        ),
        col(
            "effect_size",
            Float64,
            Estimate,
            Some("not compared, or the differences do not vary"),
            "the mean difference over the differences' standard deviation",
        ),
        col(
            "p_randomization",
            Float64,
            Estimate,
            NOT_PAIRED,
            "two-sided p-value of the paired randomization test",
        ),
        col(
            "p_holm",
            Float64,
            Estimate,
            NOT_PAIRED,
            "the randomization p-value after Holm's correction across every strategy × metric",
        ),
    ],
};

/// A null in a figure of [`THRESHOLDS`].
const NO_ESTIMATE: Option<&str> = Some("nothing to estimate (n is 0)");

/// `thresholds.parquet` of `ragdiag diagnose` (trace mode, when `summary.json` has
/// `thresholds`): the rows of the score-floor sweep. One row per floor of the sweep over all
/// questions (`point` `sweep`), the operating points (`current`, `recommended`) and, per tag,
/// its recommendation and its figures at the overall recommendation (`at_overall`). Every
/// figure is `summary.json`'s, with its Wilson interval and n.
pub const THRESHOLDS: Table = Table {
    file: "thresholds.parquet",
    schema_version: crate::DIAGNOSE_SCHEMA_VERSION,
    columns: &[
        col(
            "tag",
            Utf8,
            Key,
            Some("all questions"),
            "the question tag the row is about",
        ),
        col(
            "point",
            Utf8,
            Key,
            None,
            "`sweep` (a floor of the sweep), `current` (`--score-floor`), `recommended`, or \
             `at_overall` (a tag at the overall recommendation)",
        ),
        col(
            "floor",
            Float64,
            Key,
            Some("no floor: every question answered"),
            "the floor on the top hit's retrieval score",
        ),
        col(
            "n",
            Int64,
            Attribute,
            None,
            "questions taking part (with a scored top hit and a judgeable answer)",
        ),
        col(
            "answered",
            Int64,
            Attribute,
            None,
            "questions answered at this floor",
        ),
        col(
            "coverage",
            Float64,
            Estimate,
            NO_ESTIMATE,
            "the share answered",
        ),
        col(
            "coverage_ci_lower",
            Float64,
            Estimate,
            NO_ESTIMATE,
            "its 95% Wilson lower bound",
        ),
        col(
            "coverage_ci_upper",
            Float64,
            Estimate,
            NO_ESTIMATE,
            "its 95% Wilson upper bound",
        ),
        col("coverage_n", Int64, Attribute, None, "its n"),
        col(
            "accuracy",
            Float64,
            Estimate,
            NO_ESTIMATE,
            "the share of correct answers among the answered",
        ),
        col(
            "accuracy_ci_lower",
            Float64,
            Estimate,
            NO_ESTIMATE,
            "its 95% Wilson lower bound",
        ),
        col(
            "accuracy_ci_upper",
            Float64,
            Estimate,
            NO_ESTIMATE,
            "its 95% Wilson upper bound",
        ),
        col("accuracy_n", Int64, Attribute, None, "its n (the answered)"),
        col(
            "correct_abstention",
            Float64,
            Estimate,
            NO_ESTIMATE,
            "the share of unanswerable questions that abstain",
        ),
        col(
            "correct_abstention_ci_lower",
            Float64,
            Estimate,
            NO_ESTIMATE,
            "its 95% Wilson lower bound",
        ),
        col(
            "correct_abstention_ci_upper",
            Float64,
            Estimate,
            NO_ESTIMATE,
            "its 95% Wilson upper bound",
        ),
        col(
            "correct_abstention_n",
            Int64,
            Attribute,
            None,
            "its n (the unanswerable)",
        ),
        col(
            "false_answer_rate",
            Float64,
            Estimate,
            NO_ESTIMATE,
            "the share of all questions given a wrong answer",
        ),
        col(
            "false_answer_rate_ci_lower",
            Float64,
            Estimate,
            NO_ESTIMATE,
            "its 95% Wilson lower bound",
        ),
        col(
            "false_answer_rate_ci_upper",
            Float64,
            Estimate,
            NO_ESTIMATE,
            "its 95% Wilson upper bound",
        ),
        col("false_answer_rate_n", Int64, Attribute, None, "its n"),
    ],
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declarations_are_unique_and_compare_tests_exactly_the_metrics() {
        for t in [QUERIES, HITS, DOCUMENTS, STRATEGIES, THRESHOLDS] {
            let mut names: Vec<&str> = t.columns.iter().map(|c| c.name).collect();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), t.columns.len(), "{}", t.file);
        }
        let metrics: Vec<&str> = QUERIES.metrics().map(|c| c.name).collect();
        assert_eq!(
            metrics,
            [
                "hit",
                "map",
                "mrr",
                "recall@5",
                "recall@10",
                "recall@100",
                "ndcg@10"
            ]
        );
        // The weight is a Float64 column that is not a metric.
        assert_eq!(QUERIES.column("weight").map(|c| c.role), Some(Role::Weight));
        // The long table of chunking holds estimates, never per-question figures.
        assert_eq!(STRATEGIES.metrics().count(), 0);
        assert_eq!(THRESHOLDS.metrics().count(), 0);
        assert_eq!(
            STRATEGIES.column("mean").map(|c| c.role),
            Some(Role::Estimate)
        );
    }

    #[test]
    fn check_names_the_mismatch() {
        const T: Table = Table {
            file: "t.parquet",
            schema_version: 1,
            columns: &[
                col("a", Utf8, Key, None, ""),
                col("b", Float64, Metric, Some("x"), ""),
            ],
        };
        let t = T;
        let a = |v: Vec<Option<String>>| Column {
            name: "a",
            values: Values::Utf8(v),
        };
        let b = Column {
            name: "b",
            values: Values::Float64(vec![None]),
        };
        assert!(t.check(&[a(vec![Some("q".into())]), b.clone()]).is_ok());
        let e = t.check(&[a(vec![None]), b.clone()]).unwrap_err();
        assert!(e.contains("declared never null"), "{e}");
        let e = t
            .check(&[b.clone(), a(vec![Some("q".into())])])
            .unwrap_err();
        assert!(e.contains("declared"), "{e}");
        let wrong = Column {
            name: "b",
            values: Values::Int64(vec![None]),
        };
        let e = t.check(&[a(vec![Some("q".into())]), wrong]).unwrap_err();
        assert!(e.contains("is Int64, declared Float64"), "{e}");
    }
}
