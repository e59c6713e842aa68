//! Document rankings as reports use them: trec_eval's order, the TREC run text, and the table
//! of headline metrics with their intervals.

use crate::coded::CodedRows;
use crate::stats::{self, Interval};
use crate::{evaluate_topic, EvalParams, MeasureError, MeasureSet, Ranked};
use ragdiag_core::{DocId, Qrels, Query, Strs};

/// One query's documents, best first, with the scores written to the run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DocRanking {
    /// The query id.
    pub qid: String,
    /// Document ids with their scores, best first (shared with the items they come from).
    pub docs: Vec<(DocId, f64)>,
}

/// trec_eval's order: score descending, then docno descending.
pub fn sort_trec<D: Ord>(docs: &mut [(D, f64)]) {
    docs.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| b.0.cmp(&a.0)));
}

/// A score as written to a run: the shortest text that reads back as the same value (as an
/// `f32` when the score is one, so BM25 and cosine scores stay short).
#[must_use]
pub fn fmt_score(score: f64) -> String {
    let narrow = score as f32;
    if f64::from(narrow) == score {
        format!("{narrow}")
    } else {
        format!("{score}")
    }
}

/// The TREC run of `rankings` (`qid Q0 docno rank score tag`, one line per document, ranks from
/// 1 in the given order): the one run writer of `search` and `diagnose`.
#[must_use]
pub fn trec_run(rankings: &[DocRanking], tag: &str) -> String {
    let mut out = Vec::new();
    write_trec_run(&mut out, rankings, tag).expect("writing to memory cannot fail");
    String::from_utf8(out).expect("the run is UTF-8")
}

/// [`trec_run`] written to `out` line by line, so that a long run is never held whole.
///
/// # Errors
///
/// A failed write.
pub fn write_trec_run(
    out: &mut impl std::io::Write,
    rankings: &[DocRanking],
    tag: &str,
) -> std::io::Result<()> {
    for r in rankings {
        for (i, (doc, score)) in r.docs.iter().enumerate() {
            writeln!(
                out,
                "{} Q0 {doc} {} {} {tag}",
                r.qid,
                i + 1,
                fmt_score(*score)
            )?;
        }
    }
    Ok(())
}

/// The headline metrics: one interval per measure, and each query's values.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricTable {
    /// The measures' names (DESIGN.md's aliases: `ndcg@10`, `recall@100`, `mrr`, …).
    pub names: Vec<String>,
    /// One interval per measure.
    pub intervals: Vec<Interval>,
    /// Per evaluated query: its id and one value per measure.
    pub per_query: QueryValues,
    /// Each evaluated query's weight, aligned with `per_query` (coded: most tables weigh
    /// every query alike).
    pub weights: CodedRows,
}

/// Each evaluated query's id and its values of the same measures, in evaluation order, held in
/// flat vectors: nothing is allocated per query, so a table of 100,000 queries is a few
/// vectors, not 200,000 small blocks. The values are [`CodedRows`]: trec_eval's measures of a
/// query are functions of a few ranks and counts, so a million queries have a few thousand
/// distinct rows, and a query keeps a code of 1 to 4 bytes instead of 8 bytes a measure; the
/// ids are [`Strs`] (4-byte ends while they take under 4 GiB).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueryValues {
    /// The ids.
    ids: Strs,
    /// The values, a row a query.
    rows: CodedRows,
}

impl QueryValues {
    /// No query yet, `width` values each.
    #[must_use]
    pub fn new(width: usize) -> Self {
        QueryValues {
            ids: Strs::new(),
            rows: CodedRows::new(width),
        }
    }

    /// Adds query `id` with its `values`.
    ///
    /// # Panics
    ///
    /// When `values` is not one per measure.
    pub fn push(&mut self, id: &str, values: &[f64]) {
        assert_eq!(values.len(), self.rows.width(), "one value per measure");
        self.ids.push(id);
        self.rows.push(values);
    }

    /// Adds the queries of `next` (the same measures) after these.
    ///
    /// # Panics
    ///
    /// When `next` holds another number of measures.
    pub fn append(&mut self, next: &QueryValues) {
        assert_eq!(self.rows.width(), next.rows.width(), "the same measures");
        self.ids.append(&next.ids);
        self.rows.append(&next.rows);
    }

    /// How many queries.
    #[must_use]
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// The bytes of every id together.
    #[must_use]
    pub fn id_bytes(&self) -> usize {
        self.ids.bytes()
    }

    /// Room for `queries` more queries whose ids take `id_bytes` bytes together, and no more
    /// (lists appended to within it are not copied as they grow).
    pub fn reserve_exact(&mut self, queries: usize, id_bytes: usize) {
        self.ids.reserve_exact(queries, id_bytes);
        self.rows.reserve_exact(queries);
    }

    /// Whether there is no query.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The `i`th query's id.
    #[must_use]
    pub fn id(&self, i: usize) -> &str {
        self.ids.get(i)
    }

    /// The `i`th query's values.
    #[must_use]
    #[inline]
    pub fn row(&self, i: usize) -> &[f64] {
        self.rows.row(i)
    }

    /// Query `i`'s value of measure `c`.
    ///
    /// # Panics
    ///
    /// When `i` or `c` is out of range.
    #[must_use]
    #[inline]
    pub fn value(&self, i: usize, c: usize) -> f64 {
        self.rows.value(i, c)
    }

    /// Keeps the measures whose flag in `keep` is set (one flag per measure; a measure without
    /// one is kept), in order.
    pub fn retain_columns(&mut self, keep: &[bool]) {
        self.rows = self.rows.retained(keep);
    }

    /// Each query's id and values, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &[f64])> + '_ {
        (0..self.len()).map(|i| (self.id(i), self.row(i)))
    }
}

impl MetricTable {
    /// The table of values already evaluated ([`per_query_values`], perhaps a part at a time:
    /// [`PerQuery::append`]), each measure with its bootstrap interval: [`metric_table`]'s.
    ///
    /// # Errors
    ///
    /// [`TableError::NoJudgedQuery`] when `per` holds no query.
    pub fn of(per: PerQuery, seed: u64) -> Result<MetricTable, TableError> {
        let intervals = intervals_of(&per, |_| true, seed)?;
        Ok(MetricTable {
            names: per.names,
            intervals,
            per_query: per.values,
            weights: per.weights,
        })
    }

    /// The intervals of the measures `names` (each one the table has, in the table's order)
    /// over the queries `keep` keeps (by query id): each the same as [`intervals_of`] gives that
    /// measure (a measure's resamples do not depend on the others').
    ///
    /// # Errors
    ///
    /// [`TableError::NoJudgedQuery`] when `keep` keeps none.
    pub fn intervals_where(
        &self,
        names: &[String],
        keep: impl Fn(&str) -> bool,
        seed: u64,
    ) -> Result<Vec<(String, Interval)>, TableError> {
        let columns: Vec<usize> = (0..self.names.len())
            .filter(|&c| names.contains(&self.names[c]))
            .collect();
        let intervals = column_intervals(&self.per_query, &self.weights, &columns, keep, seed)?;
        Ok(columns
            .iter()
            .map(|&c| self.names[c].clone())
            .zip(intervals)
            .collect())
    }

    /// Query `qid`'s value of every measure, if it was evaluated.
    #[must_use]
    pub fn query(&self, qid: &str) -> Option<&[f64]> {
        self.per_query
            .iter()
            .find(|(q, _)| *q == qid)
            .map(|(_, v)| v)
    }
}

/// Why a metric table could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TableError {
    /// A measure request is not understood.
    #[error("--measure: {0}")]
    Measure(#[from] MeasureError),
    /// A document appears twice in one ranking.
    #[error("document {doc:?} ranked twice for {qid}")]
    Duplicate {
        /// The query.
        qid: String,
        /// The document.
        doc: String,
    },
    /// No ranking has judgments.
    #[error("no searched query has relevance judgments")]
    NoJudgedQuery,
}

/// Each judged query's values of the requested measures, without intervals.
#[derive(Debug, Clone, PartialEq)]
pub struct PerQuery {
    /// The measures' names (DESIGN.md's aliases), in trec_eval's print order.
    pub names: Vec<String>,
    /// Per evaluated query: its id and one value per measure.
    pub values: QueryValues,
    /// Each evaluated query's weight, aligned with `values` (coded: most tables weigh every
    /// query alike).
    pub weights: CodedRows,
}

impl PerQuery {
    /// Adds the values of the next queries (the same measures), as if evaluated together.
    pub fn append(&mut self, next: &PerQuery) {
        debug_assert_eq!(self.names, next.names, "the same measures");
        self.values.append(&next.values);
        self.weights.append(&next.weights);
    }

    /// The values of `parts` (the same measures) one after the other, as if evaluated
    /// together, each list allocated once at its size (no room beyond it, no copy on growth);
    /// `None` when there are no parts.
    #[must_use]
    pub fn concat(parts: Vec<PerQuery>) -> Option<PerQuery> {
        let first = parts.first()?;
        let (names, width) = (first.names.clone(), first.values.rows.width());
        let sum = |f: &dyn Fn(&PerQuery) -> usize| parts.iter().map(f).sum::<usize>();
        let mut values = QueryValues::new(width);
        values.reserve_exact(sum(&|p| p.values.len()), sum(&|p| p.values.ids.len()));
        let mut weights = CodedRows::column(sum(&|p| p.weights.len()), std::iter::empty());
        for p in parts {
            debug_assert_eq!(names, p.names, "the same measures");
            values.append(&p.values);
            weights.append(&p.weights);
        }
        Some(PerQuery {
            names,
            values,
            weights,
        })
    }
}

/// Evaluates document rankings over every judged query (`queries` gives each ranking's weight,
/// aligned with `rankings`). A query with no results scores 0, as `trec_eval -c`.
///
/// # Errors
///
/// An unknown measure, a document ranked twice, or no judged query.
pub fn per_query_values(
    rankings: &[DocRanking],
    qrels: &Qrels,
    queries: &[Query],
    requested: &[String],
) -> Result<PerQuery, TableError> {
    let measures = MeasureSet::parse(requested)?;
    let params = EvalParams::default();
    let names: Vec<String> = measures.columns().iter().map(|c| c.alias()).collect();
    let (mut values, mut weights) = (QueryValues::new(names.len()), CodedRows::new(1));
    for (r, q) in rankings.iter().zip(queries) {
        let Some(judged) = qrels.get(&r.qid) else {
            continue;
        };
        let mut ranking: Vec<Ranked<'_>> = r
            .docs
            .iter()
            .enumerate()
            .map(|(i, (d, s))| Ranked {
                docno: d,
                score: *s,
                tag: i as u32,
            })
            .collect();
        let evaluated = evaluate_topic(judged, &mut ranking, &measures, &params).map_err(|d| {
            TableError::Duplicate {
                qid: r.qid.clone(),
                doc: d.docno,
            }
        })?;
        values.push(&r.qid, &evaluated);
        weights.push(&[q.weight]);
    }
    if values.is_empty() {
        return Err(TableError::NoJudgedQuery);
    }
    Ok(PerQuery {
        names,
        values,
        weights,
    })
}

/// Evaluates document rankings over every judged query ([`per_query_values`]) and gives each
/// measure its bootstrap interval (weighted by `queries`' weights, aligned with `rankings`;
/// seeded by `seed`). `trec_eval` on the written run agrees whenever every query has a result.
///
/// # Errors
///
/// An unknown measure, a document ranked twice, or no judged query.
pub fn metric_table(
    rankings: &[DocRanking],
    qrels: &Qrels,
    queries: &[Query],
    requested: &[String],
    seed: u64,
) -> Result<MetricTable, TableError> {
    MetricTable::of(per_query_values(rankings, qrels, queries, requested)?, seed)
}

/// The intervals [`metric_table`] gives over the queries of `per` that `keep` keeps (by query
/// id), from their values already evaluated: the same intervals as `metric_table` on those
/// queries' rankings alone, without copying or evaluating them again.
///
/// # Errors
///
/// [`TableError::NoJudgedQuery`] when `keep` keeps none.
pub fn intervals_of(
    per: &PerQuery,
    keep: impl Fn(&str) -> bool,
    seed: u64,
) -> Result<Vec<Interval>, TableError> {
    let columns: Vec<usize> = (0..per.names.len()).collect();
    column_intervals(&per.values, &per.weights, &columns, keep, seed)
}

/// The intervals of `columns` of `values` (weighted by `weights`) over the queries `keep`
/// keeps.
fn column_intervals(
    values: &QueryValues,
    weights: &CodedRows,
    columns: &[usize],
    keep: impl Fn(&str) -> bool,
    seed: u64,
) -> Result<Vec<Interval>, TableError> {
    // The queries kept, by position (`None`: every one, so no list of them is made).
    let n = (0..values.len()).filter(|&i| keep(values.id(i))).count();
    if n == 0 {
        return Err(TableError::NoJudgedQuery);
    }
    let kept = (n < values.len()).then(|| {
        (0..values.len())
            .filter(|&i| keep(values.id(i)))
            .collect::<Vec<_>>()
    });
    let row = |k: usize| kept.as_ref().map_or(k, |kept| kept[k]);
    // Listed only when they differ (`relative_weights`' rule, checked where they are: most
    // tables weigh every query alike, and the list would be 8 bytes a query).
    let weight = |k: usize| weights.value(row(k), 0);
    let weights: Option<Vec<f64>> =
        stats::weights_differ((0..n).map(weight)).then(|| (0..n).map(weight).collect());
    let cfg = stats::Config {
        seed,
        ..stats::Config::default()
    };
    // Each column read where it is (a row per query), not copied out.
    Ok(stats::bootstrap_means_by(
        n,
        columns.len(),
        |c, k| values.value(row(k), columns[c]),
        weights.as_deref(),
        &cfg,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parts joined by `concat` equal the same parts appended one after the other, and hold no
    /// room beyond their values; no parts, no values.
    #[test]
    fn parts_joined_equal_parts_appended() {
        let part = |ids: &[&str], w: f64| {
            let mut values = QueryValues::new(2);
            for (i, id) in ids.iter().enumerate() {
                values.push(id, &[i as f64, -0.5 * i as f64]);
            }
            PerQuery {
                names: vec!["map".into(), "ndcg".into()],
                values,
                weights: std::iter::repeat_n(w, ids.len()).collect(),
            }
        };
        let parts = vec![
            part(&["q1", "q2"], 1.0),
            part(&[], 2.0),
            part(&["é", "", "q5"], 0.25),
        ];
        let mut appended = parts[0].clone();
        for p in &parts[1..] {
            appended.append(p);
        }
        let joined = PerQuery::concat(parts).unwrap();
        assert_eq!(joined, appended);
        assert_eq!(joined.values.len(), 5);
        assert_eq!(joined.values.id(2), "é");
        assert_eq!(joined.values.row(4), &[2.0, -1.0]);
        assert_eq!(joined.values.rows.capacity(), joined.values.len());
        assert_eq!(joined.weights.capacity(), joined.weights.len());
        assert_eq!(PerQuery::concat(Vec::new()), None);
    }

    #[test]
    fn query_values_hold_each_query_flat() {
        let mut a = QueryValues::new(3);
        assert!(a.is_empty());
        a.push("q1", &[0.1, 0.2, 0.3]);
        a.push("", &[1.0, f64::NAN, 3.0]);
        a.push("q-3 é", &[4.0, 5.0, 6.0]);
        assert_eq!(a.len(), 3);
        assert_eq!((a.id(0), a.id(1), a.id(2)), ("q1", "", "q-3 é"));
        assert_eq!(a.row(2), &[4.0, 5.0, 6.0]);
        let mut b = QueryValues::new(3);
        b.push("q4", &[7.0, 8.0, 9.0]);
        let mut ab = a.clone();
        ab.append(&b);
        let rows: Vec<(&str, Vec<f64>)> = ab.iter().map(|(q, v)| (q, v.to_vec())).collect();
        assert_eq!(rows.len(), 4);
        assert_eq!(rows[0], ("q1", vec![0.1, 0.2, 0.3]));
        assert_eq!(rows[3], ("q4", vec![7.0, 8.0, 9.0]));
        assert_eq!(ab.id(2), "q-3 é");
        // Appending part by part is pushing one by one.
        let mut one = QueryValues::new(3);
        for (q, v) in a.iter().chain(b.iter()) {
            one.push(q, v);
        }
        assert_eq!(
            one.iter().map(|(q, _)| q).collect::<Vec<_>>(),
            ["q1", "", "q-3 é", "q4"]
        );
        assert_eq!(one.ids, ab.ids);
        // Dropping a measure keeps the others in order, row by row.
        ab.retain_columns(&[true, false, true]);
        assert_eq!(ab.row(0), &[0.1, 0.3]);
        assert_eq!(ab.row(1), &[1.0, 3.0]);
        assert_eq!(ab.row(3), &[7.0, 9.0]);
        assert_eq!(ab.id(3), "q4");
        ab.retain_columns(&[false, false]);
        assert_eq!((ab.len(), ab.row(3).len()), (4, 0));
    }

    #[test]
    #[should_panic(expected = "one value per measure")]
    fn query_values_refuse_a_row_of_another_width() {
        QueryValues::new(2).push("q", &[1.0]);
    }

    #[test]
    fn scores_round_trip_and_stay_short() {
        assert_eq!(fmt_score(f64::from(12.5f32)), "12.5");
        assert_eq!(fmt_score(f64::from(0.1f32)), "0.1");
        let rrf = 1.0 / 61.0 + 1.0 / 62.0;
        assert_eq!(fmt_score(rrf).parse::<f64>().unwrap(), rrf);
    }

    #[test]
    fn trec_order_breaks_ties_by_docno_descending() {
        let mut d = vec![
            ("a".to_owned(), 1.0),
            ("c".to_owned(), 1.0),
            ("b".to_owned(), 2.0),
        ];
        sort_trec(&mut d);
        let names: Vec<&str> = d.iter().map(|x| x.0.as_str()).collect();
        assert_eq!(names, ["b", "c", "a"]);
    }

    #[test]
    fn run_lines_rank_from_one() {
        let r = DocRanking {
            qid: "q1".into(),
            docs: vec![("d2".into(), 2.5), ("d1".into(), 1.0)],
        };
        assert_eq!(trec_run(&[r], "t"), "q1 Q0 d2 1 2.5 t\nq1 Q0 d1 2 1 t\n");
    }

    #[test]
    fn intervals_of_a_subset_are_the_table_of_that_subset() {
        use ragdiag_core::Judgment;
        // 40 questions, weights varying, each with one relevant document.
        let queries: Vec<Query> = (0..40)
            .map(|i| Query {
                id: format!("q{i}"),
                relevant: vec![Judgment {
                    doc: format!("d{}", i % 7),
                    grade: 1 + (i % 2) as i64,
                }],
                weight: [1.0, 2.0, 0.5][i % 3],
                ..Query::default()
            })
            .collect();
        let rankings: Vec<DocRanking> = (0..40)
            .map(|i| DocRanking {
                qid: format!("q{i}"),
                // Seven distinct documents, the relevant one at rank 1..=7 by question.
                docs: (0..7)
                    .map(|k| {
                        (
                            DocId::from(format!("d{}", (i * 3 + k) % 7)),
                            10.0 - k as f64,
                        )
                    })
                    .collect(),
            })
            .collect();
        let qrels = Qrels::from_queries(&queries);
        let measures: Vec<String> = ["ndcg_cut.10", "recall.10"].map(String::from).to_vec();
        let per = per_query_values(&rankings, &qrels, &queries, &measures).unwrap();
        let keep = |id: &str| id.trim_start_matches('q').parse::<usize>().unwrap() % 4 != 1;
        let qs: Vec<Query> = queries.iter().filter(|q| keep(&q.id)).cloned().collect();
        let rs: Vec<DocRanking> = rankings.iter().filter(|r| keep(&r.qid)).cloned().collect();
        let table = metric_table(&rs, &qrels, &qs, &measures, 7).unwrap();
        let subset = intervals_of(&per, keep, 7).unwrap();
        assert_eq!(subset, table.intervals);
        assert_eq!(subset[0].n, 30);
        // And the whole set is metric_table's own.
        let all = metric_table(&rankings, &qrels, &queries, &measures, 7).unwrap();
        assert_eq!(intervals_of(&per, |_| true, 7).unwrap(), all.intervals);
        assert_ne!(all.intervals, table.intervals);
        assert!(matches!(
            intervals_of(&per, |_| false, 7),
            Err(TableError::NoJudgedQuery)
        ));
    }
}
