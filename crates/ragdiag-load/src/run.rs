//! Run loaders: TREC runs (`qid Q0 docno rank score tag`), parsed in parallel into a compact
//! form that borrows document ids from the file's text, and JSON runs (`{qid: {doc: score}}`).
//!
//! The compact form keeps one [`RunEntry`] (16 bytes) per line next to the file's text, so a
//! 150 MB, 5,000,000-line run needs about 230 MB. Ranks in the file are ignored: ordering is
//! the evaluator's job (score descending, then docno descending, as trec_eval).

use crate::lines::{read_file, strip_bom};
use crate::{LoadError, Result};
use ragdiag_core::{Diagnostic, Location, Run};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use std::path::{Path, PathBuf};

/// Run file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunFormat {
    /// Six whitespace-separated columns: `qid Q0 docno rank score tag`.
    Trec,
    /// A JSON object `{qid: {docno: score}}` (pytrec_eval / BEIR results).
    Json,
}

/// One retrieved document: where its id lies in [`CompactRun`]'s text, and its score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunEntry {
    /// Byte offset of the docno in the run's text.
    pub doc_start: u32,
    /// Byte length of the docno.
    pub doc_len: u32,
    /// The score as written.
    pub score: f64,
}

/// The retrieved documents of one query, in file order.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryEntries {
    /// Query id.
    pub qid: String,
    /// Entries in file order.
    pub entries: Vec<RunEntry>,
}

/// A run held as its source text plus compact entries, queries sorted by id.
#[derive(Debug, Clone)]
pub struct CompactRun {
    path: PathBuf,
    text: String,
    /// The run tag (sixth column of the first line).
    pub tag: String,
    /// Queries sorted by id (byte order).
    pub queries: Vec<QueryEntries>,
    has_lines: bool,
}

impl CompactRun {
    /// The docno of `e`.
    pub fn docno(&self, e: &RunEntry) -> &str {
        let s = e.doc_start as usize;
        &self.text[s..s + e.doc_len as usize]
    }

    /// Where `e` was read from (with a line number for TREC files).
    pub fn location(&self, e: &RunEntry) -> Location {
        if !self.has_lines {
            return Location::file(&self.path);
        }
        let upto = &self.text.as_bytes()[..e.doc_start as usize];
        Location::new(
            &self.path,
            memchr::memchr_iter(b'\n', upto).count() as u64 + 1,
        )
    }

    /// The file the run came from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Total number of entries.
    pub fn len(&self) -> usize {
        self.queries.iter().map(|q| q.entries.len()).sum()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.queries.iter().all(|q| q.entries.is_empty())
    }

    /// Builds a compact run from an in-memory [`Run`].
    pub fn from_run(run: &Run, path: &Path) -> CompactRun {
        let mut text = String::new();
        let mut queries = Vec::with_capacity(run.queries.len());
        for (qid, docs) in &run.queries {
            let entries = docs
                .iter()
                .map(|d| {
                    let start = text.len() as u32;
                    text.push_str(&d.docno);
                    text.push('\n');
                    RunEntry {
                        doc_start: start,
                        doc_len: d.docno.len() as u32,
                        score: d.score,
                    }
                })
                .collect();
            queries.push(QueryEntries {
                qid: qid.clone(),
                entries,
            });
        }
        CompactRun {
            path: path.to_path_buf(),
            text,
            tag: run.name.clone(),
            queries,
            has_lines: false,
        }
    }
}

/// Loads a run, detecting JSON (first non-blank byte `{`) unless `format` names one.
pub fn load_run(path: &Path, format: Option<RunFormat>) -> Result<CompactRun> {
    let bytes = read_file(path)?;
    parse_run(path, bytes, format)
}

/// Parses a run from its bytes; see [`load_run`].
pub fn parse_run(path: &Path, mut bytes: Vec<u8>, format: Option<RunFormat>) -> Result<CompactRun> {
    let bom = strip_bom(&bytes).len() != bytes.len();
    if bom {
        bytes.drain(..3);
    }
    let format = format.unwrap_or_else(|| match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => RunFormat::Json,
        _ => RunFormat::Trec,
    });
    match format {
        RunFormat::Json => parse_json_run(path, &bytes),
        RunFormat::Trec => parse_trec_run(path, bytes),
    }
}

fn parse_json_run(path: &Path, bytes: &[u8]) -> Result<CompactRun> {
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
        LoadError::Invalid(Diagnostic::error(
            Location::new(path, e.line() as u64),
            "",
            format!("invalid JSON run: {e}"),
        ))
    })?;
    let obj = value.as_object().ok_or_else(|| {
        LoadError::unusable(path, "a JSON run must be an object {qid: {docno: score}}")
    })?;
    let mut run = Run {
        name: path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default(),
        ..Run::default()
    };
    for (qid, docs) in obj {
        let docs = docs.as_object().ok_or_else(|| {
            LoadError::Invalid(Diagnostic::error(
                Location::file(path),
                qid.clone(),
                "expected an object {docno: score}",
            ))
        })?;
        let list = run.queries.entry(qid.clone()).or_default();
        for (doc, score) in docs {
            let score = score.as_f64().filter(|s| s.is_finite()).ok_or_else(|| {
                LoadError::Invalid(Diagnostic::error(
                    Location::file(path),
                    format!("{qid}.{doc}"),
                    "expected a finite numeric score",
                ))
            })?;
            list.push(ragdiag_core::ScoredDoc {
                docno: doc.clone(),
                score,
            });
        }
    }
    if run.is_empty() {
        return Err(LoadError::unusable(
            path,
            "empty run (no retrieved documents)",
        ));
    }
    Ok(CompactRun::from_run(&run, path))
}

/// What one slice of the file parsed into: groups of consecutive lines of one query.
struct Piece<'a> {
    groups: Vec<(&'a str, Vec<RunEntry>)>,
    tag: Option<&'a str>,
}

/// A parse error at a byte offset (converted to a line number once, at the end).
struct PieceError {
    offset: usize,
    field: &'static str,
    reason: String,
}

fn parse_piece(text: &str, base: usize) -> std::result::Result<Piece<'_>, PieceError> {
    let mut groups: Vec<(&str, Vec<RunEntry>)> = Vec::new();
    let mut tag = None;
    let mut pos = 0usize;
    let bytes = text.as_bytes();
    while pos < bytes.len() {
        let end = memchr::memchr(b'\n', &bytes[pos..]).map_or(bytes.len(), |i| pos + i);
        let line = &text[pos..end];
        let line_start = base + pos;
        pos = end + 1;
        let mut fields = line.split_ascii_whitespace();
        let Some(qid) = fields.next() else { continue };
        let (Some(_q0), Some(docno), Some(_rank), Some(score), Some(run_tag), None) = (
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
        ) else {
            let n = line.split_ascii_whitespace().count();
            return Err(PieceError {
                offset: line_start,
                field: "",
                reason: format!("expected 6 columns (qid Q0 docno rank score tag), found {n}"),
            });
        };
        let score_value = match fast_float2::parse::<f64, _>(score) {
            Ok(v) if v.is_finite() => v,
            _ => {
                return Err(PieceError {
                    offset: line_start,
                    field: "score",
                    reason: format!("expected a number, found {score:?}"),
                })
            }
        };
        if tag.is_none() {
            tag = Some(run_tag);
        }
        let doc_start = docno.as_ptr() as usize - text.as_ptr() as usize + base;
        let entry = RunEntry {
            doc_start: doc_start as u32,
            doc_len: docno.len() as u32,
            score: score_value,
        };
        match groups.last_mut() {
            Some((q, entries)) if *q == qid => entries.push(entry),
            _ => groups.push((qid, vec![entry])),
        }
    }
    Ok(Piece { groups, tag })
}

fn parse_trec_run(path: &Path, bytes: Vec<u8>) -> Result<CompactRun> {
    if bytes.len() >= u32::MAX as usize {
        return Err(LoadError::unusable(
            path,
            "run files of 4 GiB or more are not supported; split the file by query",
        ));
    }
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let upto = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            let line = memchr::memchr_iter(b'\n', upto).count() as u64 + 1;
            return Err(LoadError::Invalid(Diagnostic::error(
                Location::new(path, line),
                "",
                "invalid UTF-8",
            )));
        }
    };
    if let Some(i) = memchr::memchr(0, text.as_bytes()) {
        let line = memchr::memchr_iter(b'\n', &text.as_bytes()[..i]).count() as u64 + 1;
        return Err(LoadError::Invalid(Diagnostic::error(
            Location::new(path, line),
            "",
            "NUL byte (binary file?)",
        )));
    }
    // Cut the text into pieces at line boundaries, one per ~4 MB, and parse them in parallel.
    let target = (4 << 20).max(text.len() / (rayon::current_num_threads() * 8).max(1));
    let mut bounds = vec![0usize];
    let mut at = 0usize;
    while at + target < text.len() {
        let cut = memchr::memchr(b'\n', &text.as_bytes()[at + target..])
            .map_or(text.len(), |i| at + target + i + 1);
        bounds.push(cut);
        at = cut;
    }
    if *bounds.last().unwrap_or(&0) != text.len() {
        bounds.push(text.len());
    }
    let pieces: Vec<std::result::Result<Piece<'_>, PieceError>> = bounds
        .par_windows(2)
        .map(|w| parse_piece(&text[w[0]..w[1]], w[0]))
        .collect();
    let mut index: FxHashMap<&str, usize> = FxHashMap::default();
    let mut queries: Vec<(&str, Vec<RunEntry>)> = Vec::new();
    let mut tag = None;
    for piece in pieces {
        let piece = match piece {
            Ok(p) => p,
            Err(e) => {
                let line =
                    memchr::memchr_iter(b'\n', &text.as_bytes()[..e.offset]).count() as u64 + 1;
                return Err(LoadError::Invalid(Diagnostic::error(
                    Location::new(path, line),
                    e.field,
                    e.reason,
                )));
            }
        };
        if tag.is_none() {
            tag = piece.tag;
        }
        for (qid, entries) in piece.groups {
            match index.get(qid) {
                Some(&i) => queries[i].1.extend(entries),
                None => {
                    index.insert(qid, queries.len());
                    queries.push((qid, entries));
                }
            }
        }
    }
    let Some(tag) = tag.map(str::to_string) else {
        return Err(LoadError::unusable(
            path,
            "empty run (no retrieved documents)",
        ));
    };
    queries.sort_unstable_by(|a, b| a.0.cmp(b.0));
    let queries = queries
        .into_iter()
        .map(|(qid, entries)| QueryEntries {
            qid: qid.to_string(),
            entries,
        })
        .collect();
    Ok(CompactRun {
        path: path.to_path_buf(),
        text,
        tag,
        queries,
        has_lines: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &[u8]) -> Result<CompactRun> {
        parse_run(Path::new("r.trec"), s.to_vec(), None)
    }

    #[test]
    fn parses_trec_and_json() {
        let r = parse(b"\xEF\xBB\xBF2 Q0 d1 1 1.5 tagA\r\n1 Q0 d2 1 0.5 tagA\n\n1 Q0 d3 2 -1e-3 tagA\n2\tQ0\td4\t2\t7\ttagA").unwrap();
        assert_eq!(r.tag, "tagA");
        assert_eq!(r.queries.len(), 2);
        assert_eq!(r.queries[0].qid, "1");
        let docs: Vec<_> = r.queries[0]
            .entries
            .iter()
            .map(|e| (r.docno(e), e.score))
            .collect();
        assert_eq!(docs, [("d2", 0.5), ("d3", -0.001)]);
        assert_eq!(r.location(&r.queries[0].entries[1]).to_string(), "r.trec:4");
        let docs: Vec<_> = r.queries[1].entries.iter().map(|e| r.docno(e)).collect();
        assert_eq!(docs, ["d1", "d4"]);

        let j = parse(br#" {"q1": {"a": 1.0, "b": 2}, "q0": {"c": 0.1}}"#).unwrap();
        assert_eq!(j.queries[0].qid, "q0");
        assert_eq!(j.len(), 3);
    }

    #[test]
    fn bad_runs_are_located() {
        for (input, expected) in [
            (
                &b"1 Q0 d1 1 0.5 t\n1 Q0 d2 1 t\n"[..],
                "r.trec:2: expected 6 columns (qid Q0 docno rank score tag), found 5",
            ),
            (
                b"1 Q0 d1 1 abc t\n",
                "r.trec:1: score: expected a number, found \"abc\"",
            ),
            (b"1 Q0 d1 1 NaN t\n", "r.trec:1: score: expected a number"),
            (b"1 Q0 d1 1 0.5 t extra\n", "r.trec:1: expected 6 columns"),
            (
                b"1 Q0 d1 1 0.5 t\n1 Q0 \xff 1 0.4 t\n",
                "r.trec:2: invalid UTF-8",
            ),
            (b"\x00\x01\x02binary", "r.trec:1: NUL byte"),
            (b"", "r.trec: empty run"),
            (b"\n \n", "r.trec: empty run"),
            (b"{\"q\": 3}", "r.trec: q: expected an object"),
            (b"{\"q\": {}}", "r.trec: empty run"),
        ] {
            let e = parse(input).unwrap_err().to_string();
            assert!(e.starts_with(expected), "{e} vs {expected}");
        }
        let dir = tempfile::tempdir().unwrap();
        let e = load_run(dir.path(), None).unwrap_err().to_string();
        assert!(e.ends_with("is a directory, expected a file"), "{e}");
        let e = load_run(&dir.path().join("missing"), None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("cannot read"), "{e}");
    }

    #[test]
    fn large_runs_split_into_pieces_keep_every_line() {
        let mut s = String::new();
        for q in 0..300 {
            for d in 0..1000 {
                s.push_str(&format!("q{q} Q0 doc{d} {d} {}.5 tag\n", 1000 - d));
            }
        }
        assert!(s.len() > 8 << 20);
        let r = parse(s.as_bytes()).unwrap();
        assert_eq!(r.queries.len(), 300);
        assert!(r.queries.iter().all(|q| q.entries.len() == 1000));
        let last = r.queries.iter().find(|q| q.qid == "q299").unwrap();
        assert_eq!(r.docno(&last.entries[999]), "doc999");
        assert_eq!(r.location(&last.entries[999]).line, Some(300_000));
    }
}
