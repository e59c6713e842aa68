//! A run handed over one query at a time, while it is read ([`visit_run`]).
//!
//! `ragdiag eval` needs each query's documents once, to evaluate them; holding the whole run
//! ([`crate::CompactRun`], 16 bytes a line plus its ids) costs memory, page faults and a
//! second pass. Here the chunk workers of the TREC reader give every query that lies wholly
//! inside their chunk to the visitor at once, while the chunk is in cache, and keep only the
//! queries at a chunk's two edges (which may go on in the next chunk). A query found in more
//! than one place (continued across chunks, or given again further down the file, which
//! trec_eval 10.0 merges) is visited once more at the end with all its documents in file
//! order: its edge parts as kept, its other parts read again from the input. So the result,
//! the errors and their order are those of [`crate::load_run`] followed by a visit of each
//! query: malformed lines and the results limit first, in file order, then the visitor's
//! problems, the first by query id.

use crate::run::{
    detect_format, parse_chunk, parse_json_run, skipped_line, stream_chunks, too_many_results,
    ChunkError, Group, RawChunk, RunEntry, RunFormat, CHUNK,
};
use crate::{CompactRun, LoadError, Result};
use ragdiag_core::{Diagnostic, Location};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use std::io::{Read, Seek};
use std::path::Path;

/// One retrieved document as the visitor sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunDoc<'a> {
    /// Document id.
    pub docno: &'a str,
    /// The score as written.
    pub score: f64,
}

/// Why a visitor refused a query: which of its documents (index in file order), the field
/// and the reason, reported as `path:line: field: reason` at that document's line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryProblem {
    /// Index of the document in the query's documents as handed over.
    pub entry: usize,
    /// The field at fault.
    pub field: &'static str,
    /// What is wrong.
    pub reason: String,
}

/// What a visit of a run gave.
#[derive(Debug, Clone, PartialEq)]
pub struct VisitedRun<T> {
    /// The run tag (sixth column of the last line, as trec_eval reports it).
    pub tag: String,
    /// The number of distinct query ids in the run.
    pub queries: usize,
    /// What the visitor returned for each query it kept (`Some`), sorted by query id.
    pub results: Vec<(String, T)>,
}

/// Reads the run at `path` as [`crate::load_run`] does, handing each query (its id and its
/// documents in file order) to `visit` once; see the module documentation. A path that is not
/// a regular file (a pipe) is read whole first, since parts of it may be read again.
pub fn visit_run<T, F>(path: &Path, format: Option<RunFormat>, visit: &F) -> Result<VisitedRun<T>>
where
    T: Send,
    F: Fn(&str, &[RunDoc<'_>]) -> std::result::Result<Option<T>, EntryProblem> + Sync,
{
    let meta = std::fs::metadata(path).map_err(|e| LoadError::io(path, e))?;
    if meta.is_dir() {
        return Err(LoadError::unusable(path, "is a directory, expected a file"));
    }
    let mut file = std::fs::File::open(path).map_err(|e| LoadError::io(path, e))?;
    if !meta.is_file() {
        // A pipe (`<(…)`) cannot be read twice: held whole, as standard input is.
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .map_err(|e| LoadError::io(path, e))?;
        return visit_run_bytes(path, &bytes, format, CHUNK, visit);
    }
    let mut head = Vec::with_capacity(4096);
    (&mut file)
        .take(4096)
        .read_to_end(&mut head)
        .map_err(|e| LoadError::io(path, e))?;
    match format.unwrap_or_else(|| detect_format(&head)) {
        RunFormat::Json => {
            let mut bytes = head;
            file.read_to_end(&mut bytes)
                .map_err(|e| LoadError::io(path, e))?;
            visit_compact(
                &parse_json_run(path, crate::lines::strip_bom(&bytes))?,
                visit,
            )
        }
        RunFormat::Trec => visit_trec(
            path,
            Source::File(path),
            std::io::Cursor::new(head).chain(file),
            CHUNK,
            visit,
        ),
    }
}

/// [`visit_run`] of a run held in memory (standard input), read in chunks of `chunk` bytes
/// (at least 1; [`crate::parse_run`] uses 1 MB). The result is the same for every chunk size.
pub fn visit_run_bytes<T, F>(
    path: &Path,
    bytes: &[u8],
    format: Option<RunFormat>,
    chunk: usize,
    visit: &F,
) -> Result<VisitedRun<T>>
where
    T: Send,
    F: Fn(&str, &[RunDoc<'_>]) -> std::result::Result<Option<T>, EntryProblem> + Sync,
{
    match format.unwrap_or_else(|| detect_format(bytes)) {
        RunFormat::Json => visit_compact(
            &parse_json_run(path, crate::lines::strip_bom(bytes))?,
            visit,
        ),
        RunFormat::Trec => visit_trec(path, Source::Bytes(bytes), bytes, chunk.max(1), visit),
    }
}

/// Visits each query of a run already held whole.
fn visit_compact<T, F>(run: &CompactRun, visit: &F) -> Result<VisitedRun<T>>
where
    T: Send,
    F: Fn(&str, &[RunDoc<'_>]) -> std::result::Result<Option<T>, EntryProblem> + Sync,
{
    let outcomes: Vec<Result<Option<(String, T)>>> = run
        .queries
        .par_iter()
        .map(|q| {
            let docs: Vec<RunDoc<'_>> = q
                .entries
                .iter()
                .map(|e| RunDoc {
                    docno: run.docno(e),
                    score: e.score,
                })
                .collect();
            match visit(&q.qid, &docs) {
                Ok(v) => Ok(v.map(|t| (q.qid.clone(), t))),
                Err(p) => Err(LoadError::Invalid(Diagnostic::error(
                    q.entries
                        .get(p.entry)
                        .map_or_else(|| Location::file(run.path()), |e| run.location(e)),
                    p.field,
                    p.reason,
                ))),
            }
        })
        .collect();
    Ok(VisitedRun {
        tag: run.tag.clone(),
        queries: run.queries.len(),
        results: outcomes.into_iter().flatten_ok()?,
    })
}

/// Keeps the `Some`s of results already in query-id order, or the first error.
trait FlattenOk<T> {
    fn flatten_ok(self) -> Result<Vec<T>>;
}

impl<T, I: Iterator<Item = Result<Option<T>>>> FlattenOk<T> for I {
    fn flatten_ok(self) -> Result<Vec<T>> {
        let mut out = Vec::new();
        for r in self {
            if let Some(t) = r? {
                out.push(t);
            }
        }
        Ok(out)
    }
}

/// Where the bytes of a run can be read again (for the parts of a query found in several
/// places, and to locate a document's line).
#[derive(Clone, Copy)]
enum Source<'a> {
    File(&'a Path),
    Bytes(&'a [u8]),
}

impl Source<'_> {
    /// Bytes `start..end` of the input, or `None` when they cannot be read whole.
    fn reread(self, start: u64, end: u64) -> Option<Vec<u8>> {
        match self {
            Source::Bytes(b) => b
                .get(usize::try_from(start).ok()?..usize::try_from(end).ok()?)
                .map(<[u8]>::to_vec),
            Source::File(path) => {
                let mut file = std::fs::File::open(path).ok()?;
                file.seek(std::io::SeekFrom::Start(start)).ok()?;
                let mut bytes = Vec::new();
                file.take(end - start).read_to_end(&mut bytes).ok()?;
                (bytes.len() as u64 == end - start).then_some(bytes)
            }
        }
    }
}

/// What became of one query's lines within a chunk.
enum Body<T> {
    /// Visited in the chunk: the visitor's answer, or its problem with the line ends in the
    /// chunk before the document's line.
    Visited(std::result::Result<Option<T>, (u64, &'static str, String)>),
    /// Lines at a chunk's edge, kept (their ids in a small arena) until the chunks around them
    /// are read.
    Kept {
        arena: String,
        entries: Vec<RunEntry>,
    },
}

/// One query's consecutive lines in a chunk.
struct Part<T> {
    qid: String,
    /// Number of documents.
    len: usize,
    /// Where its lines begin and end in the input.
    start: u64,
    end: u64,
    /// Line ends in the chunk before its first line.
    newlines: u64,
    body: Body<T>,
}

/// A query's parts in file order, each with the first line of its chunk.
type Parts<T> = Vec<(u64, Part<T>)>;

/// What a chunk worker hands back.
struct ChunkOut<T> {
    parts: Vec<Part<T>>,
    tag: Option<String>,
    lines: u64,
}

/// The number of line ends in `bytes` before the `k`-th line holding an entry, counting from
/// `start` (where `newlines` line ends precede it).
fn entry_newlines(bytes: &[u8], start: usize, newlines: u64, k: usize) -> Option<u64> {
    let mut seen = 0usize;
    for (i, line) in bytes[start..].split(|&b| b == b'\n').enumerate() {
        if skipped_line(line) {
            continue;
        }
        if seen == k {
            return Some(newlines + i as u64);
        }
        seen += 1;
    }
    None
}

fn docs_of<'a>(arena: &'a str, entries: &[RunEntry], out: &mut Vec<RunDoc<'a>>) {
    out.extend(entries.iter().map(|e| {
        let s = e.doc_start as usize;
        RunDoc {
            docno: &arena[s..s + e.doc_len as usize],
            score: e.score,
        }
    }));
}

/// Parses one chunk and visits the queries wholly inside it.
fn visit_chunk<T, F>(
    path: &Path,
    chunk: &RawChunk,
    visit: &F,
) -> std::result::Result<ChunkOut<T>, ChunkError>
where
    F: Fn(&str, &[RunDoc<'_>]) -> std::result::Result<Option<T>, EntryProblem> + Sync,
{
    let piece = parse_chunk(path, chunk)?;
    let n = piece.groups.len();
    let mut docs = Vec::new();
    let parts = piece
        .groups
        .into_iter()
        .enumerate()
        .map(|(k, g)| {
            let Group {
                qid,
                entries,
                span,
                newlines,
            } = g;
            let body = if k == 0 || k + 1 == n {
                let mut arena = String::new();
                let entries = entries
                    .iter()
                    .map(|e| {
                        let s = e.doc_start as usize;
                        let doc_start = arena.len() as u32;
                        arena.push_str(&piece.arena[s..s + e.doc_len as usize]);
                        RunEntry { doc_start, ..*e }
                    })
                    .collect();
                Body::Kept { arena, entries }
            } else {
                docs.clear();
                docs_of(&piece.arena, &entries, &mut docs);
                Body::Visited(visit(&qid, &docs).map_err(|p| {
                    let at =
                        entry_newlines(&chunk.bytes, span.0, newlines, p.entry).unwrap_or(newlines);
                    (at, p.field, p.reason)
                }))
            };
            Part {
                len: entries.len(),
                qid,
                start: chunk.byte + span.0 as u64,
                end: chunk.byte + span.1 as u64,
                newlines,
                body,
            }
        })
        .collect();
    Ok(ChunkOut {
        parts,
        tag: piece.tag,
        lines: piece.lines,
    })
}

fn visit_trec<T, F>(
    path: &Path,
    source: Source<'_>,
    reader: impl Read + Send,
    chunk_size: usize,
    visit: &F,
) -> Result<VisitedRun<T>>
where
    T: Send,
    F: Fn(&str, &[RunDoc<'_>]) -> std::result::Result<Option<T>, EntryProblem> + Sync,
{
    let outs = stream_chunks(path, reader, chunk_size, &|c: &RawChunk| {
        visit_chunk(path, c, visit)
    })?;
    let max_results = crate::limits::max_results_per_query()?;
    // Each query's parts in file order, with the first line of their chunk.
    let mut index: FxHashMap<String, usize> = FxHashMap::default();
    let mut queries: Vec<(Parts<T>, u64)> = Vec::new();
    let mut tag = None;
    let mut line = 1u64;
    for (_, out) in outs {
        let out = out.map_err(|e| e.located(path, line))?;
        let first_line = line;
        line += out.lines;
        if out.tag.is_some() {
            tag = out.tag;
        }
        for part in out.parts {
            let i = match index.get(&part.qid) {
                Some(&i) => i,
                None => {
                    index.insert(part.qid.clone(), queries.len());
                    queries.push((Vec::new(), 0));
                    queries.len() - 1
                }
            };
            let (parts, count) = &mut queries[i];
            *count += part.len as u64;
            if *count > max_results {
                return Err(too_many_results(path, &part.qid, max_results));
            }
            parts.push((first_line, part));
        }
    }
    let Some(tag) = tag else {
        return Err(LoadError::unusable(
            path,
            "empty run (no retrieved documents)",
        ));
    };
    let count = queries.len();
    let mut outcomes: Vec<(String, Result<Option<T>>)> = queries
        .into_par_iter()
        .map(|(parts, _)| finish_query(path, source, parts, visit))
        .collect();
    outcomes.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    Ok(VisitedRun {
        tag,
        queries: count,
        results: outcomes
            .into_iter()
            .map(|(q, r)| r.map(|v| v.map(|t| (q, t))))
            .flatten_ok()?,
    })
}

/// The visitor's answer for one query from its parts: the one visited in its chunk, or a
/// visit of all its documents.
fn finish_query<T, F>(
    path: &Path,
    source: Source<'_>,
    mut parts: Parts<T>,
    visit: &F,
) -> (String, Result<Option<T>>)
where
    F: Fn(&str, &[RunDoc<'_>]) -> std::result::Result<Option<T>, EntryProblem> + Sync,
{
    if parts.len() == 1 {
        if let (
            first_line,
            Part {
                body: Body::Visited(_),
                ..
            },
        ) = &parts[0]
        {
            let first_line = *first_line;
            let Some((_, part)) = parts.pop() else {
                unreachable!("one part")
            };
            let Body::Visited(answer) = part.body else {
                unreachable!("a visited part")
            };
            let answer = answer.map_err(|(newlines, field, reason)| {
                LoadError::Invalid(Diagnostic::error(
                    Location::new(path, first_line + newlines),
                    field,
                    reason,
                ))
            });
            return (part.qid, answer);
        }
    }
    let qid = parts[0].1.qid.clone();
    // Every part's ids and entries: kept ones as they are, visited ones read again.
    let mut held: Vec<(String, Vec<RunEntry>)> = Vec::with_capacity(parts.len());
    for (_, part) in &mut parts {
        match &mut part.body {
            Body::Kept { arena, entries } => {
                held.push((std::mem::take(arena), std::mem::take(entries)));
            }
            Body::Visited(_) => match reparse(path, source, part) {
                Some(h) => held.push(h),
                None => {
                    return (
                        qid,
                        Err(LoadError::unusable(
                            path,
                            "the run changed while it was read",
                        )),
                    )
                }
            },
        }
    }
    let mut docs = Vec::with_capacity(parts.iter().map(|(_, p)| p.len).sum());
    for (arena, entries) in &held {
        docs_of(arena, entries, &mut docs);
    }
    let answer = visit(&qid, &docs).map_err(|p| {
        // The part holding the document, and the document's index in it.
        let mut k = p.entry;
        let mut location = Location::file(path);
        for (first_line, part) in &parts {
            if k < part.len {
                if let Some(n) = source
                    .reread(part.start, part.end)
                    .and_then(|b| entry_newlines(&b, 0, part.newlines, k))
                {
                    location = Location::new(path, first_line + n);
                }
                break;
            }
            k -= part.len;
        }
        LoadError::Invalid(Diagnostic::error(location, p.field, p.reason))
    });
    (qid, answer)
}

/// The ids and entries of a part visited in its chunk, read again; `None` if the input no
/// longer holds the same query there.
fn reparse<T>(path: &Path, source: Source<'_>, part: &Part<T>) -> Option<(String, Vec<RunEntry>)> {
    let bytes = source.reread(part.start, part.end)?;
    let chunk = RawChunk {
        index: 0,
        byte: part.start,
        bytes,
    };
    let mut piece = parse_chunk(path, &chunk).ok()?;
    match piece.groups.pop() {
        Some(g) if piece.groups.is_empty() && g.qid == part.qid && g.entries.len() == part.len => {
            Some((piece.arena, g.entries))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Docs = Vec<(String, u64)>;

    /// Keeps queries not starting with `x`; a document given twice is a problem at its second
    /// occurrence (as `ragdiag eval` reports it).
    fn visitor(qid: &str, docs: &[RunDoc<'_>]) -> std::result::Result<Option<Docs>, EntryProblem> {
        if qid.starts_with('x') {
            return Ok(None);
        }
        let mut seen = std::collections::HashSet::new();
        for (i, d) in docs.iter().enumerate() {
            if !seen.insert(d.docno) {
                return Err(EntryProblem {
                    entry: i,
                    field: "docno",
                    reason: format!("document {:?} retrieved twice", d.docno),
                });
            }
        }
        Ok(Some(
            docs.iter()
                .map(|d| (d.docno.to_string(), d.score.to_bits()))
                .collect(),
        ))
    }

    /// The run read whole, then visited: what the streamed visit must equal.
    fn reference(path: &Path) -> std::result::Result<VisitedRun<Docs>, String> {
        crate::load_run(path, None)
            .and_then(|run| visit_compact(&run, &visitor))
            .map_err(|e| e.to_string())
    }

    fn streamed(
        path: &Path,
        text: &[u8],
        chunk: usize,
    ) -> [std::result::Result<VisitedRun<Docs>, String>; 2] {
        let file = std::fs::File::open(path).unwrap();
        [
            visit_trec(path, Source::File(path), file, chunk, &visitor).map_err(|e| e.to_string()),
            visit_run_bytes(path, text, Some(RunFormat::Trec), chunk, &visitor)
                .map_err(|e| e.to_string()),
        ]
    }

    #[test]
    fn queries_split_across_chunks_and_given_again_are_merged() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.trec");
        // q1 comes back after q2; q3 holds a duplicate four lines apart; xq is not kept.
        let text =
            b"q1 Q0 a 1 3 t\nq1 Q0 b 2 2 t\n# c\nq2 Q0 a 1 1 t\nq2 Q0 c 2 1 t\nq1 Q0 c 3 1 t\n\
xq Q0 a 1 1 t\nq3 Q0 a 1 1 t\nq3 Q0 b 1 1 t\n\nq3 Q0 c 1 1 t\nq3 Q0 a 1 1 t2\nq4 Q0 z 1 1 u\n";
        std::fs::write(&path, text).unwrap();
        let expected = reference(&path);
        let e = expected.as_ref().unwrap_err();
        assert!(
            e.ends_with("r.trec:12: docno: document \"a\" retrieved twice"),
            "{e}"
        );
        for chunk in 1..=text.len() + 1 {
            for got in streamed(&path, text, chunk) {
                assert_eq!(got, expected, "chunks of {chunk} bytes");
            }
        }
        // Without the duplicate: q1's three documents in file order, xq left out.
        let text = String::from_utf8(text.to_vec())
            .unwrap()
            .replace("q3 Q0 a 1 1 t2\n", "");
        let text = text.as_bytes();
        std::fs::write(&path, text).unwrap();
        let expected = reference(&path).unwrap();
        assert_eq!(expected.queries, 5);
        assert_eq!(expected.tag, "u");
        let q1: Vec<_> = expected.results[0].1.iter().map(|d| d.0.as_str()).collect();
        assert_eq!(
            (expected.results[0].0.as_str(), q1),
            ("q1", vec!["a", "b", "c"])
        );
        for chunk in 1..=text.len() + 1 {
            for got in streamed(&path, text, chunk) {
                assert_eq!(got.as_ref(), Ok(&expected), "chunks of {chunk} bytes");
            }
        }
    }

    /// A pipe cannot be read twice: a query given in two places inside a chunk (so visited
    /// there, then read again to merge) comes out as from a regular file.
    #[cfg(unix)]
    #[test]
    fn a_pipe_is_read_once() {
        let dir = tempfile::tempdir().unwrap();
        let text = "q0 Q0 a 1 1 t\nq1 Q0 a 1 1 t\nq2 Q0 a 1 1 t\nq1 Q0 b 1 1 t\nq3 Q0 a 1 1 t\n";
        let file = dir.path().join("r.trec");
        std::fs::write(&file, text).unwrap();
        let expected = reference(&file).unwrap();
        assert_eq!(expected.results[1].1.len(), 2, "q1 has both its documents");
        let fifo = dir.path().join("pipe");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if !made.is_ok_and(|s| s.success()) {
            panic!("mkfifo failed");
        }
        let writer = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::write(fifo, text).unwrap())
        };
        let got = visit_run(&fifo, None, &visitor).map_err(|e| e.to_string());
        writer.join().unwrap();
        assert_eq!(got, Ok(expected));
    }

    proptest::proptest! {
        /// Any run, read in chunks of any size, gives what reading it whole and visiting each
        /// query gives: the same kept queries, tag and count, or the same first error.
        #[test]
        fn a_streamed_visit_equals_a_visit_of_the_whole_run(
            lines in proptest::collection::vec("(q[1-3]|x1) Q0 [a-e] 1 [0-9] t[0-2]|# c||q1 Q0 a", 1..40),
            chunk in 1usize..64,
        ) {
            let text = lines.join("\n");
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("r.trec");
            std::fs::write(&path, &text).unwrap();
            let expected = reference(&path);
            for got in streamed(&path, text.as_bytes(), chunk) {
                proptest::prop_assert_eq!(&got, &expected);
            }
        }
    }
}
