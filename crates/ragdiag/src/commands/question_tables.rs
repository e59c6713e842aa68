//! `queries.parquet`, `hits.parquet` and `run.trec` of `ragdiag diagnose`, written a part of
//! the questions at a time (at the end of a run, or as a streamed trace's questions are
//! diagnosed: issue 15) so that no question's rows wait for the others, with what the summary
//! reads of the rankings tallied from the same parts.

use crate::fsutil::{ReportFiles, Staging};
use anyhow::{Context, Result};
use ragdiag_contract::table::{HITS, QUERIES};
use ragdiag_contract::Price;
use ragdiag_core::{Document, Query, TraceRecord};
use ragdiag_diagnose::{Diagnosis, RankFigures, RankTally, RetrievedItem, Sources};
use ragdiag_eval::DocRanking;
use ragdiag_fresh::Audit;
use ragdiag_load::TableWriter;
use std::borrow::Borrow;

/// The tables are written this many questions at a time, so their columns are never held for
/// every question at once; a report of at most this many questions is written in one part.
pub(crate) const QUESTIONS_PER_PART: usize = 4096;

/// The run tag of `run.trec`.
pub(crate) const TREC_TAG: &str = "ragdiag-diagnose";

/// Consecutive questions to write, with what their rows are made of.
pub(crate) struct Rows<'a, D, R> {
    /// The questions.
    pub(crate) queries: &'a [Query],
    /// Their diagnoses.
    pub(crate) diagnoses: &'a [D],
    /// Their retrieved items, best first.
    pub(crate) items: &'a [&'a [RetrievedItem]],
    /// Which retrievers found each item.
    pub(crate) sources: Sources<'a>,
    /// Their document rankings (the metric columns are evaluated on them).
    pub(crate) rankings: &'a [DocRanking],
    /// The trace (trace mode), or at least each question's first record: it gives its latency
    /// and cost.
    pub(crate) trace: Option<&'a [R]>,
}

/// A part's rows are made and handed to the tables this many questions at a time, not a
/// part's at once (on the production-shaped trace a part is 40,960 hits of four texts each, and
/// their Arrow copy: the peak fell 2–4 MB at 100,000 and at 1,000,000 questions).
const QUESTIONS_PER_SLICE: usize = 512;

/// The two tables being written.
pub(crate) struct QuestionTables<'a> {
    queries: TableWriter<Staging>,
    hits: TableWriter<Staging>,
    /// The tables come in several parts, each handed over a slice at a time.
    in_parts: bool,
    /// The corpus's documents with their freshness, by id.
    by_id: std::collections::HashMap<&'a str, (&'a Document, &'a ragdiag_fresh::DocFreshness)>,
    price: Option<Price>,
    /// What the summary reads of the rankings, taken as each part is written.
    tally: RankTally<'a>,
    /// `run.trec`, written a part at a time.
    run: Staging,
}

impl<'a> QuestionTables<'a> {
    /// The tables of the report `files`, for `questions` questions,
    /// with `run.trec` and what the summary reads of the rankings ([`RankTally`], context
    /// window `context_k`; its per-question figures kept in `store` until the end, if given),
    /// all taken from each part as it is written: the rankings need not outlive their part.
    pub(crate) fn new(
        files: &ReportFiles,
        questions: usize,
        (docs, audit): (&'a [Document], &'a Audit),
        price: Option<Price>,
        context_k: usize,
        store: Option<Box<dyn ragdiag_diagnose::Scratch>>,
    ) -> Result<Self> {
        // Above one part, each is written (and let go) as it comes, a row group per part.
        let in_parts = questions > QUESTIONS_PER_PART;
        let open = |table: &ragdiag_contract::table::Table| -> Result<TableWriter<Staging>> {
            let w = TableWriter::new(files.stage(table.file)?, table);
            Ok(if in_parts { w.in_parts() } else { w })
        };
        Ok(QuestionTables {
            queries: open(&QUERIES)?,
            hits: open(&HITS)?,
            in_parts,
            by_id: audit.by_id(docs),
            price,
            tally: match store {
                Some(store) => RankTally::new(context_k, docs, audit).with_store(store),
                None => RankTally::new(context_k, docs, audit),
            },
            run: files.stage("run.trec")?,
        })
    }

    /// Writes the rows of the next questions (in question order).
    pub(crate) fn write<D: Borrow<Diagnosis>, R: Borrow<TraceRecord>>(
        &mut self,
        rows: &Rows<'_, D, R>,
    ) -> Result<()> {
        ragdiag_eval::write_trec_run(&mut self.run, rows.rankings, TREC_TAG)
            .context("writing run.trec")?;
        // trec_eval's measures of each labelled question: a question's values depend on its
        // ranking and judgments alone, so the part's are the whole run's (a part without a
        // labelled question has none: its metric columns are null, as in a whole-run table).
        let table = self.tally.add(rows.queries, rows.rankings)?;
        // In parts, a slice of the part's questions at a time (the part's row group is the
        // same); one part is written whole, as `table_bytes` writes it.
        let n = rows.queries.len();
        let slice = if self.in_parts {
            QUESTIONS_PER_SLICE
        } else {
            n.max(1)
        };
        // The part's metric values by id and its costs and latencies, once for its slices.
        let figures =
            ragdiag_diagnose::RowFigures::new(rows.queries, table.as_ref(), rows.trace, self.price);
        let mut at = 0;
        loop {
            let s = at..(at + slice).min(n);
            let last = s.end == n;
            let queries = ragdiag_diagnose::queries_columns(
                rows.queries,
                rows.diagnoses,
                &figures,
                s.clone(),
            );
            let hits = ragdiag_diagnose::hits_columns(
                &rows.queries[s.clone()],
                &rows.items[s.clone()],
                rows.sources.slice(s.clone()),
                &self.by_id,
            );
            if last {
                self.queries.write(queries)?;
                self.hits.write(hits)?;
                return Ok(());
            }
            self.queries.append(queries)?;
            self.hits.append(hits)?;
            at = s.end;
        }
    }

    /// Closes both tables and `run.trec`, adds them to the report and returns the rankings'
    /// figures.
    pub(crate) fn finish(self, files: &mut ReportFiles) -> Result<RankFigures> {
        files.add(self.queries.finish()?)?;
        files.add(self.hits.finish()?)?;
        files.add(self.run)?;
        Ok(self.tally.finish()?)
    }
}
