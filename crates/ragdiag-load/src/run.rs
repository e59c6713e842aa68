//! Run loaders: TREC runs (`qid Q0 docno rank score tag`) and JSON runs (`{qid: {doc: score}}`).
//!
//! A TREC run is read in 1 MB chunks by one thread while the others validate and parse the
//! chunks already read, so reading the file overlaps with parsing it and no buffer the size of
//! the file is ever held (a chunk small enough to stay in cache while it is parsed). Each
//! chunk counts its own lines, so line numbers are fixed up only when a chunk's errors are
//! reported. A line of the common shape (six fields of printable ASCII, a plain decimal
//! score) is read on a fast path that scans fields eight bytes at a time and needs no UTF-8
//! or id check; any other line goes through the general reader, which decides what trec_eval
//! 10.0 would. Each chunk keeps its document ids in a small arena; one [`RunEntry`] (16
//! bytes) per line points into it. A 165 MB, 5,000,000-line run needs about 140 MB. Ranks in the file are ignored: ordering is the evaluator's job (score descending,
//! then docno descending, as trec_eval).
//!
//! As trec_eval 10.0 reads a TREC run: a line whose first non-blank character is `#` is a
//! comment, blank lines are skipped, columns after the sixth are ignored, and the run's tag is
//! the sixth column of its last line.

use crate::lines::strip_bom;
use crate::record::id_problem;
use crate::{LoadError, Result};
use ragdiag_core::{Diagnostic, Location, Run};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Run file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunFormat {
    /// Six whitespace-separated columns: `qid Q0 docno rank score tag` (more are ignored).
    Trec,
    /// A JSON object `{qid: {docno: score}}` (pytrec_eval / BEIR results).
    Json,
}

/// One retrieved document: where its id lies in the run's arenas, and its score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunEntry {
    /// Byte offset of the docno in its chunk's arena.
    pub doc_start: u32,
    /// Byte length of the docno.
    pub doc_len: u16,
    /// The chunk (arena) holding the docno.
    pub chunk: u16,
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

/// Where a chunk of a TREC run file began, to turn an entry back into a line number.
#[derive(Debug, Clone, Copy)]
struct ChunkStart {
    byte: u64,
    line: u64,
}

/// A run: document ids in per-chunk arenas plus compact entries, queries sorted by id.
#[derive(Debug, Clone)]
pub struct CompactRun {
    path: PathBuf,
    /// Document ids of each chunk, each followed by `\n`, in line order.
    arenas: Vec<String>,
    /// Where each chunk began in the file (empty for runs not read from a TREC file).
    starts: Vec<ChunkStart>,
    /// The run tag (sixth column of the last line, as trec_eval reports it).
    pub tag: String,
    /// Queries sorted by id (byte order).
    pub queries: Vec<QueryEntries>,
}

impl CompactRun {
    /// The docno of `e`.
    #[inline]
    pub fn docno(&self, e: &RunEntry) -> &str {
        let s = e.doc_start as usize;
        &self.arenas[e.chunk as usize][s..s + e.doc_len as usize]
    }

    /// The line `e` was read from. This re-reads the file (it is meant for error messages);
    /// without a file, or if it changed, the location names the file alone.
    pub fn location(&self, e: &RunEntry) -> Location {
        self.find_line(e).map_or_else(
            || Location::file(&self.path),
            |l| Location::new(&self.path, l),
        )
    }

    fn find_line(&self, e: &RunEntry) -> Option<u64> {
        let start = self.starts.get(e.chunk as usize)?;
        let arena = &self.arenas[e.chunk as usize];
        // The k-th docno of a chunk's arena comes from its k-th data line.
        let k = memchr::memchr_iter(b'\n', &arena.as_bytes()[..e.doc_start as usize]).count();
        let mut file = std::fs::File::open(&self.path).ok()?;
        std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(start.byte)).ok()?;
        let mut text = Vec::new();
        file.take(CHUNK as u64 * 2).read_to_end(&mut text).ok()?;
        let mut data_lines = 0usize;
        for (i, line) in text.split(|&b| b == b'\n').enumerate() {
            if skipped_line(line) {
                continue;
            }
            if data_lines == k {
                return Some(start.line + i as u64);
            }
            data_lines += 1;
        }
        None
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
    ///
    /// # Panics
    /// When a document id is longer than 65,535 bytes or the run's ids exceed 4 GiB.
    pub fn from_run(run: &Run, path: &Path) -> CompactRun {
        let mut arena = String::new();
        let mut queries = Vec::with_capacity(run.queries.len());
        for (qid, docs) in &run.queries {
            let entries = docs
                .iter()
                .map(|d| {
                    let start = u32::try_from(arena.len()).expect("run ids exceed 4 GiB");
                    arena.push_str(&d.docno);
                    arena.push('\n');
                    let doc_len =
                        u16::try_from(d.docno.len()).expect("docno longer than 65,535 bytes");
                    RunEntry {
                        doc_start: start,
                        doc_len,
                        chunk: 0,
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
            arenas: vec![arena],
            starts: Vec::new(),
            tag: run.name.clone(),
            queries,
        }
    }
}

/// Size of the chunks a TREC run is read in.
pub(crate) const CHUNK: usize = 1 << 20;

/// Loads a run, detecting JSON (first non-blank byte `{`) unless `format` names one.
pub fn load_run(path: &Path, format: Option<RunFormat>) -> Result<CompactRun> {
    let meta = std::fs::metadata(path).map_err(|e| LoadError::io(path, e))?;
    if meta.is_dir() {
        return Err(LoadError::unusable(path, "is a directory, expected a file"));
    }
    let mut file = std::fs::File::open(path).map_err(|e| LoadError::io(path, e))?;
    let mut head = Vec::with_capacity(4096);
    (&mut file)
        .take(4096)
        .read_to_end(&mut head)
        .map_err(|e| LoadError::io(path, e))?;
    let format = format.unwrap_or_else(|| detect_format(&head));
    match format {
        RunFormat::Json => {
            let mut bytes = head;
            file.read_to_end(&mut bytes)
                .map_err(|e| LoadError::io(path, e))?;
            parse_json_run(path, strip_bom(&bytes))
        }
        RunFormat::Trec => parse_trec_stream(path, std::io::Cursor::new(head).chain(file), CHUNK),
    }
}

pub(crate) fn detect_format(head: &[u8]) -> RunFormat {
    match strip_bom(head).iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => RunFormat::Json,
        _ => RunFormat::Trec,
    }
}

/// Parses a run from its bytes; see [`load_run`].
pub fn parse_run(path: &Path, bytes: Vec<u8>, format: Option<RunFormat>) -> Result<CompactRun> {
    parse_run_in_chunks(path, bytes, format, CHUNK)
}

/// [`parse_run`] with a TREC run read in chunks of `chunk` bytes (at least 1) instead of 1 MB,
/// so that tests and fuzz targets reach the parallel reader's chunk boundaries with small
/// inputs. The result is the same for every chunk size.
pub fn parse_run_in_chunks(
    path: &Path,
    bytes: Vec<u8>,
    format: Option<RunFormat>,
    chunk: usize,
) -> Result<CompactRun> {
    match format.unwrap_or_else(|| detect_format(&bytes)) {
        RunFormat::Json => parse_json_run(path, strip_bom(&bytes)),
        RunFormat::Trec => parse_trec_stream(path, std::io::Cursor::new(bytes), chunk.max(1)),
    }
}

pub(crate) fn parse_json_run(path: &Path, bytes: &[u8]) -> Result<CompactRun> {
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
    // serde_json's maps keep one value of a repeated key; find repeats (and ids a TREC run
    // cannot carry) in the text, which also gives their lines.
    check_json_run_keys(bytes).map_err(|(line, field, reason)| {
        LoadError::Invalid(Diagnostic::error(Location::new(path, line), field, reason))
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
            if doc.len() > usize::from(u16::MAX) {
                return Err(LoadError::Invalid(Diagnostic::error(
                    Location::file(path),
                    qid.to_string(),
                    "docno longer than 65,535 bytes",
                )));
            }
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

/// One open container while scanning a JSON run.
struct Frame {
    /// Whether it is an object (else an array).
    object: bool,
    /// In an object, whether the next string is a key.
    expect_key: bool,
    /// The keys seen so far with their lines, for the run object (query ids) and the objects
    /// directly inside it (one query's document ids).
    keys: Option<FxHashMap<String, u64>>,
}

/// Checks the keys of a JSON run `{qid: {docno: score}}` that serde_json has already parsed
/// (`bytes` is valid JSON): a query id or a document id of one query given twice, or an id
/// that is empty or holds whitespace or a control character, is returned as
/// `(line, field, reason)`. One pass over the bytes, no recursion.
fn check_json_run_keys(bytes: &[u8]) -> std::result::Result<(), (u64, String, String)> {
    let mut stack: Vec<Frame> = Vec::new();
    let mut line = 1u64;
    // The query id whose value is being read, if that value is an object at depth 2.
    let mut qid = String::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => line += 1,
            b'{' | b'[' => {
                let object = bytes[i] == b'{';
                // Track keys for the run object (depth 1) and the query objects (depth 2).
                let tracked = object && stack.len() < 2;
                stack.push(Frame {
                    object,
                    expect_key: object,
                    keys: tracked.then(FxHashMap::default),
                });
            }
            b'}' | b']' => {
                stack.pop();
            }
            b',' => {
                if let Some(top) = stack.last_mut() {
                    top.expect_key = top.object;
                }
            }
            b':' => {
                if let Some(top) = stack.last_mut() {
                    top.expect_key = false;
                }
            }
            b'"' => {
                let start = i;
                i += 1;
                let mut escaped = false;
                while i < bytes.len() && bytes[i] != b'"' {
                    if bytes[i] == b'\\' {
                        escaped = true;
                        i += 1;
                    }
                    i += 1;
                }
                let depth = stack.len();
                let Some(top) = stack.last_mut() else {
                    i += 1;
                    continue;
                };
                if top.expect_key {
                    if let Some(keys) = top.keys.as_mut() {
                        let raw = &bytes[start..=i.min(bytes.len() - 1)];
                        let key: String = if escaped {
                            serde_json::from_slice(raw).unwrap_or_default()
                        } else {
                            String::from_utf8_lossy(&raw[1..raw.len() - 1]).into_owned()
                        };
                        let field = if depth == 1 {
                            key.clone()
                        } else {
                            format!("{qid}.{key}")
                        };
                        let problem = if key.is_empty() {
                            Some("empty id".to_string())
                        } else {
                            crate::record::id_problem(&key)
                        };
                        if let Some(reason) = problem {
                            return Err((line, field, reason));
                        }
                        if let Some(first) = keys.get(&key) {
                            let reason = if depth == 1 {
                                format!("query {key:?} given twice (first at line {first}); a JSON run holds one object per query")
                            } else {
                                format!("document {key:?} retrieved twice for query {qid:?} (first at line {first})")
                            };
                            return Err((line, field, reason));
                        }
                        keys.insert(key.clone(), line);
                        if depth == 1 {
                            qid = key;
                        }
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

/// One chunk of the file as read: whole lines, its index, and where it began in the file.
/// Its first line number is known only once the chunks before it are parsed (each counts its
/// lines), so the reader thread never scans the bytes.
pub(crate) struct RawChunk {
    pub(crate) index: usize,
    pub(crate) byte: u64,
    pub(crate) bytes: Vec<u8>,
}

/// Consecutive lines of one query within a chunk.
pub(crate) struct Group {
    pub(crate) qid: String,
    pub(crate) entries: Vec<RunEntry>,
    /// Byte offsets in the chunk of the start of its first line and of the end of its last
    /// line (past the `\n`).
    pub(crate) span: (usize, usize),
    /// The number of line ends in the chunk before its first line.
    pub(crate) newlines: u64,
}

/// What one chunk parsed into: groups of consecutive lines of one query, and its docno arena.
pub(crate) struct Piece {
    pub(crate) groups: Vec<Group>,
    pub(crate) arena: String,
    pub(crate) tag: Option<String>,
    /// Where the chunk began in the file.
    pub(crate) byte: u64,
    /// The number of line ends (`\n`) in the chunk.
    pub(crate) lines: u64,
}

/// Why a chunk (or the reader, at the chunk it was about to send) stopped.
pub(crate) enum ChunkError {
    /// A malformed line: how many line ends precede it in the chunk, the field and the reason.
    Line {
        newlines: u64,
        field: &'static str,
        reason: String,
    },
    /// The line starting at the chunk's first byte is longer than the record limit.
    TooLong { limit: u64 },
    /// Any other failure (reading the file, too many chunks).
    Load(LoadError),
}

impl ChunkError {
    /// The load error, with the line number now that `first_line` (the chunk's first line) is
    /// known.
    pub(crate) fn located(self, path: &Path, first_line: u64) -> LoadError {
        match self {
            ChunkError::Line {
                newlines,
                field,
                reason,
            } => LoadError::Invalid(Diagnostic::error(
                Location::new(path, first_line + newlines),
                field,
                reason,
            )),
            ChunkError::TooLong { limit } => LoadError::Invalid(Diagnostic::error(
                Location::new(path, first_line),
                "",
                crate::limits::too_long("the line", limit),
            )),
            ChunkError::Load(e) => e,
        }
    }
}

/// C's `isspace` in the C locale, which is what separates trec_eval's fields.
#[inline]
fn is_space(b: u8) -> bool {
    // Every such byte is at most b' ', so most bytes are decided by the first comparison.
    b <= b' ' && (b == b' ' || (b'\t'..=b'\r').contains(&b))
}

/// Printable ASCII other than the space (`!` to `~`): the bytes of a field on the fast path.
#[inline(always)]
fn printable(b: u8) -> bool {
    b.wrapping_sub(0x21) < 0x5e
}

/// Whether a TREC run line holds no entry: blank, or a comment (first non-blank byte `#`).
pub(crate) fn skipped_line(line: &[u8]) -> bool {
    match line.iter().find(|&&b| !is_space(b)) {
        None => true,
        Some(&b) => b == b'#',
    }
}

/// Splits one line (no `\n`) into at most 7 whitespace-separated fields, as byte ranges.
/// Returns the number of fields found (7 means "more than 6").
#[inline]
fn split_fields(line: &[u8], out: &mut [(usize, usize); 7]) -> usize {
    let mut n = 0;
    let mut i = 0;
    let len = line.len();
    while n < 7 {
        while i < len && is_space(line[i]) {
            i += 1;
        }
        if i == len {
            break;
        }
        let start = i;
        while i < len && !is_space(line[i]) {
            i += 1;
        }
        out[n] = (start, i);
        n += 1;
    }
    n
}

/// Powers of ten that are exact in an `f64`.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// A score as `strtod` reads it (`None`: not a finite number).
///
/// The common form, `-?digits(.digits)?` of at most 19 digits with a mantissa of at most
/// 2^53, is one division of two exactly represented numbers, which IEEE arithmetic rounds
/// correctly (Clinger's fast path); everything else goes to `fast_float2`.
#[inline(always)]
fn parse_score(s: &[u8]) -> Option<f64> {
    let (negative, digits) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, s),
    };
    if !digits.is_empty() && digits.len() <= 19 {
        let mut mantissa = 0u64;
        let mut dot = usize::MAX;
        let mut plain = true;
        for (k, &b) in digits.iter().enumerate() {
            let d = b.wrapping_sub(b'0');
            if d < 10 {
                mantissa = mantissa * 10 + u64::from(d);
            } else if b == b'.' && dot == usize::MAX {
                dot = k;
            } else {
                plain = false;
                break;
            }
        }
        let frac_digits = if dot == usize::MAX {
            0
        } else {
            digits.len() - dot - 1
        };
        // Digits on both sides of a dot, as `fast_float2` is given them below.
        let whole = dot == usize::MAX || (dot > 0 && frac_digits > 0);
        if plain && whole && mantissa <= 1 << 53 {
            let v = mantissa as f64 / POW10[frac_digits];
            return Some(if negative { -v } else { v });
        }
    }
    parse_score_general(s)
}

/// Any score `parse_score`'s fast path does not take.
#[cold]
#[inline(never)]
fn parse_score_general(s: &[u8]) -> Option<f64> {
    match fast_float2::parse::<f64, _>(s) {
        Ok(v) if v.is_finite() => Some(v),
        _ => None,
    }
}

/// The number of bytes at the start of `bytes[i..]` that are [`printable`], read eight at a
/// time (bytes in a word are flagged without carries between them).
#[inline(always)]
fn printable_run(bytes: &[u8], mut i: usize) -> usize {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    while let Some(word) = bytes.get(i..i + 8) {
        let x = u64::from_le_bytes([
            word[0], word[1], word[2], word[3], word[4], word[5], word[6], word[7],
        ]);
        let low = x & LOW7;
        // High bit of each byte: its low seven bits are at least 0x21; they are 0x7f; the
        // byte itself is at least 0x80.
        let at_least_21 = low + 0x5f5f_5f5f_5f5f_5f5f;
        let is_7f = low + 0x0101_0101_0101_0101;
        let not_printable = !(at_least_21 & !is_7f & !x) & HIGH;
        if not_printable != 0 {
            return i + (not_printable.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < bytes.len() && printable(bytes[i]) {
        i += 1;
    }
    i
}

/// One line read on the fast path: field ranges in the chunk, the score, and where the line
/// ends (its `\n`, or the end of the chunk).
struct FastLine {
    qid: (usize, usize),
    docno: (usize, usize),
    tag: (usize, usize),
    score: f64,
    /// Where the score field ends.
    score_end: usize,
    end: usize,
}

/// The parts of the last line read on the fast path that the next line of a run usually
/// repeats byte for byte: its start up to the docno (query id, `Q0` and the separators) and
/// its end from the score on (separator, tag, line end).
#[derive(Clone, Copy, Default)]
struct Repeat {
    qid: (usize, usize),
    /// The line's bytes before its docno; empty when there is no previous line.
    head: (usize, usize),
    /// The line's bytes after its score, its `\n` included; empty when it had none.
    tail: (usize, usize),
    /// The tag within `tail`, as offsets from its start.
    tag: (usize, usize),
}

impl Repeat {
    fn of(line_start: usize, l: &FastLine, bytes: &[u8]) -> Repeat {
        let tail = if bytes.get(l.end) == Some(&b'\n') {
            (l.score_end, l.end + 1)
        } else {
            (0, 0)
        };
        Repeat {
            qid: l.qid,
            head: (line_start, l.docno.0),
            tail,
            tag: (l.tag.0 - l.score_end, l.tag.1 - l.score_end),
        }
    }
}

/// Reads the line at `bytes[start]` when it begins with the same bytes as the line `r` was
/// made of, up to the docno, and ends with the same bytes from its score on: the query id,
/// `Q0` field and tag are then that line's (already checked), and only the docno, rank and
/// score are read, with [`fast_line`]'s rules. `None`: read the line with [`fast_line`].
#[inline]
fn repeat_line(bytes: &[u8], start: usize, r: &Repeat) -> Option<FastLine> {
    let head = &bytes[r.head.0..r.head.1];
    let tail = &bytes[r.tail.0..r.tail.1];
    if head.is_empty() || tail.is_empty() || !bytes[start..].starts_with(head) {
        return None;
    }
    let sep = |b: u8| b == b' ' || b == b'\t';
    let doc_start = start + head.len();
    let doc_end = printable_run(bytes, doc_start);
    if doc_end == doc_start || doc_end - doc_start > usize::from(u16::MAX) {
        return None;
    }
    // Separators, the rank, separators.
    let mut i = doc_end;
    if !bytes.get(i).copied().is_some_and(sep) {
        return None;
    }
    while bytes.get(i).copied().is_some_and(sep) {
        i += 1;
    }
    let rank_end = printable_run(bytes, i);
    if rank_end == i || !bytes.get(rank_end).copied().is_some_and(sep) {
        return None;
    }
    i = rank_end;
    while bytes.get(i).copied().is_some_and(sep) {
        i += 1;
    }
    let score_start = i;
    let score_end = printable_run(bytes, i);
    if score_end == score_start || !bytes[score_end..].starts_with(tail) {
        return None;
    }
    let score = parse_score(&bytes[score_start..score_end])?;
    Some(FastLine {
        qid: r.qid,
        docno: (doc_start, doc_end),
        tag: (score_end + r.tag.0, score_end + r.tag.1),
        score,
        score_end,
        end: score_end + tail.len() - 1,
    })
}

/// Reads the line starting at `bytes[start]` when it has the common shape: six fields of
/// printable ASCII separated by spaces or tabs, a score of the common form, nothing after the
/// tag but an optional `\r`. Such a line is valid UTF-8 without a NUL, and its ids need no
/// further check. `None` sends the line to [`slow_line`], which reads any line.
#[inline]
fn fast_line(bytes: &[u8], start: usize) -> Option<FastLine> {
    let mut f = [(0usize, 0usize); 6];
    let mut i = start;
    for (k, field) in f.iter_mut().enumerate() {
        if k > 0 {
            // The previous field stopped at a space or a tab.
            i += 1;
            while i < bytes.len() && (bytes[i] == b' ' || bytes[i] == b'\t') {
                i += 1;
            }
        }
        let s = i;
        i = printable_run(bytes, i);
        if i == s {
            return None;
        }
        *field = (s, i);
        if k < 5 && !(i < bytes.len() && (bytes[i] == b' ' || bytes[i] == b'\t')) {
            return None;
        }
    }
    if bytes[f[0].0] == b'#' || f[2].1 - f[2].0 > usize::from(u16::MAX) {
        return None;
    }
    let end = match bytes.get(i) {
        None | Some(b'\n') => i,
        Some(b'\r') if bytes.get(i + 1) == Some(&b'\n') => i + 1,
        Some(_) => return None,
    };
    let score = parse_score(&bytes[f[4].0..f[4].1])?;
    Some(FastLine {
        qid: f[0],
        docno: f[2],
        tag: f[5],
        score,
        score_end: f[4].1,
        end,
    })
}

/// What [`slow_line`] found on a line: nothing (blank or a comment), or its fields.
enum SlowLine<'a> {
    Skip,
    Entry {
        qid: &'a str,
        docno: &'a str,
        score: f64,
        /// The tag's range within the line.
        tag: (usize, usize),
    },
}

/// Reads any line (without its `\n`) as trec_eval 10.0 does, or says why it cannot be read.
fn slow_line(line: &[u8]) -> std::result::Result<SlowLine<'_>, (&'static str, String)> {
    // The first byte that cannot be read (invalid UTF-8 or a NUL) is reported before anything
    // else on its line. A line end never lies inside a UTF-8 sequence, so checking line by
    // line finds what checking the whole file would.
    let text = match std::str::from_utf8(line) {
        Ok(t) => t,
        Err(e) => {
            let valid = &line[..e.valid_up_to()];
            if memchr::memchr(0, valid).is_some() {
                return Err(("", "NUL byte (binary file?)".into()));
            }
            return Err(("", "invalid UTF-8".into()));
        }
    };
    if memchr::memchr(0, line).is_some() {
        return Err(("", "NUL byte (binary file?)".into()));
    }
    let mut f = [(0usize, 0usize); 7];
    let n = split_fields(line, &mut f);
    if n == 0 || line[f[0].0] == b'#' {
        return Ok(SlowLine::Skip);
    }
    if n < 6 {
        return Err((
            "",
            format!("expected 6 columns (qid Q0 docno rank score tag), found {n}"),
        ));
    }
    // Field boundaries are ASCII bytes, so these slices are on char boundaries.
    let field = |k: usize| &text[f[k].0..f[k].1];
    let score = field(4);
    let Some(score_value) = parse_score(score.as_bytes()) else {
        return Err(("score", format!("expected a number, found {score:?}")));
    };
    let docno = field(2);
    let qid = field(0);
    for (name, id) in [("qid", qid), ("docno", docno)] {
        if let Some(reason) = id_problem(id) {
            return Err((name, reason));
        }
    }
    if docno.len() > usize::from(u16::MAX) {
        return Err(("docno", "longer than 65,535 bytes".into()));
    }
    Ok(SlowLine::Entry {
        qid,
        docno,
        score: score_value,
        tag: f[5],
    })
}

pub(crate) fn parse_chunk(path: &Path, chunk: &RawChunk) -> std::result::Result<Piece, ChunkError> {
    let bytes = chunk.bytes.as_slice();
    let chunk_id = u16::try_from(chunk.index).map_err(|_| {
        ChunkError::Load(LoadError::unusable(
            path,
            "run file too large (over 65,535 chunks of 1 MB, 64 GB)",
        ))
    })?;
    let mut groups: Vec<Group> = Vec::new();
    // The docnos of the chunk, each followed by `\n`; only valid UTF-8 is ever added.
    let mut arena: Vec<u8> = Vec::with_capacity(bytes.len() / 4);
    // The current group's entries and query id.
    let mut entries: Vec<RunEntry> = Vec::new();
    let mut qid: Option<&[u8]> = None;
    // The current group's first byte, line ends before it, and its end.
    let (mut group_start, mut group_newlines, mut group_end) = (0usize, 0u64, 0usize);
    let mut last_tag: Option<(usize, usize)> = None;
    let mut lines = 0u64;
    let mut pos = 0usize;
    let mut repeat = Repeat::default();
    while pos < bytes.len() {
        let line = match repeat_line(bytes, pos, &repeat) {
            Some(l) => Some(l),
            None => fast_line(bytes, pos).inspect(|l| repeat = Repeat::of(pos, l, bytes)),
        };
        let (q, docno, score, tag, end) = match line {
            Some(l) => (
                &bytes[l.qid.0..l.qid.1],
                &bytes[l.docno.0..l.docno.1],
                l.score,
                l.tag,
                l.end,
            ),
            None => {
                let end = memchr::memchr(b'\n', &bytes[pos..]).map_or(bytes.len(), |e| pos + e);
                match slow_line(&bytes[pos..end]) {
                    Ok(SlowLine::Skip) => {
                        lines += u64::from(end < bytes.len());
                        pos = end + 1;
                        continue;
                    }
                    Ok(SlowLine::Entry {
                        qid,
                        docno,
                        score,
                        tag,
                    }) => (
                        qid.as_bytes(),
                        docno.as_bytes(),
                        score,
                        (pos + tag.0, pos + tag.1),
                        end,
                    ),
                    Err((field, reason)) => {
                        return Err(ChunkError::Line {
                            newlines: lines,
                            field,
                            reason,
                        })
                    }
                }
            }
        };
        let entry = RunEntry {
            doc_start: arena.len() as u32,
            doc_len: docno.len() as u16,
            chunk: chunk_id,
            score,
        };
        arena.extend_from_slice(docno);
        arena.push(b'\n');
        if qid != Some(q) {
            if let Some(prev) = qid {
                let hint = entries.len();
                groups.push(Group {
                    qid: utf8(prev),
                    entries: std::mem::replace(&mut entries, Vec::with_capacity(hint)),
                    span: (group_start, group_end),
                    newlines: group_newlines,
                });
            }
            qid = Some(q);
            (group_start, group_newlines) = (pos, lines);
        }
        entries.push(entry);
        last_tag = Some(tag);
        lines += u64::from(end < bytes.len());
        pos = end + 1;
        group_end = pos.min(bytes.len());
    }
    if let Some(prev) = qid {
        groups.push(Group {
            qid: utf8(prev),
            entries,
            span: (group_start, group_end),
            newlines: group_newlines,
        });
    }
    let tag = last_tag.map(|(a, b)| utf8(&bytes[a..b]));
    let arena = String::from_utf8(arena).expect("the arena holds valid UTF-8 only");
    Ok(Piece {
        groups,
        arena,
        tag,
        byte: chunk.byte,
        lines,
    })
}

/// Bytes already known to be valid UTF-8 (a field of a line that was checked) as a string.
fn utf8(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Reads `reader` in chunks that end at line ends, sending each with its index and first
/// byte; a failure is sent with the index the next chunk would have had, so that it sorts
/// after every chunk read before it.
fn read_chunks(
    path: &Path,
    limit: u64,
    mut reader: impl Read,
    chunk_size: usize,
    tx: std::sync::mpsc::SyncSender<std::result::Result<RawChunk, (usize, ChunkError)>>,
    recycled: std::sync::mpsc::Receiver<Vec<u8>>,
) {
    let mut carry: Vec<u8> = Vec::new();
    let (mut index, mut byte) = (0usize, 0u64);
    let mut first = true;
    loop {
        // Reuse a parsed chunk's buffer when one is back: fresh pages cost a fault each.
        let mut buf = recycled.try_recv().unwrap_or_default();
        buf.clear();
        buf.extend_from_slice(&carry);
        carry.clear();
        let had = buf.len();
        buf.reserve(chunk_size);
        let got = match (&mut reader).take(chunk_size as u64).read_to_end(&mut buf) {
            Ok(n) => n,
            Err(e) => {
                let _ = tx.send(Err((index, ChunkError::Load(LoadError::io(path, e)))));
                return;
            }
        };
        // The byte order mark is decided once the first bytes can tell (a chunk shorter than
        // the mark would otherwise keep it as part of the first query id).
        const BOM: &[u8] = b"\xEF\xBB\xBF";
        if first && (buf.len() >= BOM.len() || got == 0 || !BOM.starts_with(&buf)) {
            first = false;
            if buf.starts_with(BOM) {
                buf.drain(..BOM.len());
                byte = BOM.len() as u64;
            }
        }
        if got == 0 && had == 0 {
            return;
        }
        if got > 0 {
            // Keep the unfinished last line for the next chunk.
            if let Some(nl) = memchr::memrchr(b'\n', &buf) {
                carry.extend_from_slice(&buf[nl + 1..]);
                buf.truncate(nl + 1);
            } else {
                // One unfinished line: held whole only up to the record limit.
                if buf.len() as u64 > limit {
                    let _ = tx.send(Err((index, ChunkError::TooLong { limit })));
                    return;
                }
                carry = std::mem::take(&mut buf);
                continue;
            }
        }
        let len = buf.len() as u64;
        if tx
            .send(Ok(RawChunk {
                index,
                byte,
                bytes: buf,
            }))
            .is_err()
        {
            return;
        }
        index += 1;
        byte += len;
        if got == 0 {
            return;
        }
    }
}

/// Reads `reader` in chunks of whole lines on one thread while rayon workers hand each chunk
/// read to `work`; returns what `work` made of each chunk (or why the reader stopped), in
/// file order.
pub(crate) fn stream_chunks<O: Send>(
    path: &Path,
    reader: impl Read + Send,
    chunk_size: usize,
    work: &(impl Fn(&RawChunk) -> std::result::Result<O, ChunkError> + Sync),
) -> Result<Vec<(usize, std::result::Result<O, ChunkError>)>> {
    let limit = crate::max_record_bytes()?;
    let (tx, rx) = std::sync::mpsc::sync_channel(4);
    let (give_back, recycled) = std::sync::mpsc::channel::<Vec<u8>>();
    type Done<O> = (usize, std::result::Result<O, ChunkError>);
    let mut done: Vec<Done<O>> = std::thread::scope(|scope| {
        scope.spawn(move || read_chunks(path, limit, reader, chunk_size, tx, recycled));
        rx.into_iter()
            .par_bridge()
            .map(|chunk| match chunk {
                Ok(c) => {
                    let out = work(&c);
                    let _ = give_back.send(c.bytes);
                    (c.index, out)
                }
                Err((index, e)) => (index, Err(e)),
            })
            .collect()
    });
    done.sort_unstable_by_key(|(i, _)| *i);
    Ok(done)
}

/// The error of a query with more results than `max`.
pub(crate) fn too_many_results(path: &Path, qid: &str, max: u64) -> LoadError {
    LoadError::unusable(
        path,
        format!(
            "query {qid:?} has more than {max} results, the limit of one \
             query; raise it with {} or {}",
            crate::limits::MAX_RESULTS_PER_QUERY_FLAG,
            crate::limits::MAX_RESULTS_PER_QUERY_ENV
        ),
    )
}

fn parse_trec_stream(
    path: &Path,
    reader: impl Read + Send,
    chunk_size: usize,
) -> Result<CompactRun> {
    let pieces = stream_chunks(path, reader, chunk_size, &|c: &RawChunk| {
        parse_chunk(path, c)
    })?;
    let mut index: FxHashMap<String, usize> = FxHashMap::default();
    let mut queries: Vec<QueryEntries> = Vec::new();
    let mut arenas = Vec::with_capacity(pieces.len());
    let mut tag = None;
    let max_results = crate::limits::max_results_per_query()?;
    let mut starts = Vec::with_capacity(pieces.len());
    // The first line of the next chunk: chunks count their own lines.
    let mut line = 1u64;
    for (_, piece) in pieces {
        let piece = piece.map_err(|e| e.located(path, line))?;
        starts.push(ChunkStart {
            byte: piece.byte,
            line,
        });
        line += piece.lines;
        if piece.tag.is_some() {
            tag = piece.tag;
        }
        arenas.push(piece.arena);
        for Group { qid, entries, .. } in piece.groups {
            let i = match index.get(&qid) {
                Some(&i) => {
                    queries[i].entries.extend(entries);
                    i
                }
                None => {
                    index.insert(qid.clone(), queries.len());
                    queries.push(QueryEntries { qid, entries });
                    queries.len() - 1
                }
            };
            if queries[i].entries.len() as u64 > max_results {
                return Err(too_many_results(path, &queries[i].qid, max_results));
            }
        }
    }
    let Some(tag) = tag else {
        return Err(LoadError::unusable(
            path,
            "empty run (no retrieved documents)",
        ));
    };
    queries.sort_unstable_by(|a, b| a.qid.cmp(&b.qid));
    Ok(CompactRun {
        path: path.to_path_buf(),
        arenas,
        starts,
        tag,
        queries,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &[u8]) -> Result<CompactRun> {
        parse_run(Path::new("r.trec"), s.to_vec(), None)
    }

    fn load(dir: &Path, s: &[u8]) -> CompactRun {
        let p = dir.join("r.trec");
        std::fs::write(&p, s).unwrap();
        load_run(&p, None).unwrap()
    }

    #[test]
    fn parses_trec_and_json() {
        let dir = tempfile::tempdir().unwrap();
        let r = load(dir.path(), b"\xEF\xBB\xBF2 Q0 d1 1 1.5 tagA\r\n1 Q0 d2 1 0.5 tagA\n\n1 Q0 d3 2 -1e-3 tagA\n2\tQ0\td4\t2\t7\ttagA");
        assert_eq!(r.tag, "tagA");
        assert_eq!(r.queries.len(), 2);
        assert_eq!(r.queries[0].qid, "1");
        let docs: Vec<_> = r.queries[0]
            .entries
            .iter()
            .map(|e| (r.docno(e), e.score))
            .collect();
        assert_eq!(docs, [("d2", 0.5), ("d3", -0.001)]);
        assert_eq!(
            r.location(&r.queries[0].entries[1]).to_string(),
            format!("{}:4", dir.path().join("r.trec").display())
        );
        assert_eq!(
            parse(b"1 Q0 d 1 1 t\n")
                .unwrap()
                .location(&RunEntry {
                    doc_start: 0,
                    doc_len: 1,
                    chunk: 0,
                    score: 1.0
                })
                .to_string(),
            "r.trec"
        );
        let docs: Vec<_> = r.queries[1].entries.iter().map(|e| r.docno(e)).collect();
        assert_eq!(docs, ["d1", "d4"]);

        // Keys are compared per object: the same document under two queries, and a document
        // id equal to a query id, are fine.
        let j = parse(br#"{"q1": {"a": 1}, "q2": {"a": 2, "q1": 3}}"#).unwrap();
        assert_eq!(j.len(), 3);
        let j = parse(br#" {"q1": {"a": 1.0, "b": 2}, "q0": {"c": 0.1}}"#).unwrap();
        assert_eq!(j.queries[0].qid, "q0");
        assert_eq!(j.len(), 3);
    }

    #[test]
    fn comments_extra_columns_and_the_last_tag_as_trec_eval_10() {
        let dir = tempfile::tempdir().unwrap();
        let r = load(
            dir.path(),
            b"# a comment\n1 Q0 d#1 1 2.0 first more junk at\n  # indented comment\n1 Q0 d2 2 1.0 last end of line\n",
        );
        assert_eq!(r.tag, "last");
        let docs: Vec<_> = r.queries[0].entries.iter().map(|e| r.docno(e)).collect();
        assert_eq!(docs, ["d#1", "d2"]);
        assert_eq!(
            r.location(&r.queries[0].entries[1]).to_string(),
            format!("{}:4", dir.path().join("r.trec").display())
        );
        let e = parse_run(Path::new("-"), b"# only a comment\n".to_vec(), None).unwrap_err();
        assert_eq!(e.to_string(), "-: empty run (no retrieved documents)");
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
            (
                b"1 Q0 d1 1 0.5 t\n1 Q0 \xff 1 0.4 t\n",
                "r.trec:2: invalid UTF-8",
            ),
            (b"\x00\x01\x02binary", "r.trec:1: NUL byte"),
            (b"", "r.trec: empty run"),
            (b"\n \n", "r.trec: empty run"),
            (b"{\"q\": 3}", "r.trec: q: expected an object"),
            (b"{\"q\": {}}", "r.trec: empty run"),
            (
                b"{\"q1\": {\"d1\": 0.9},\n \"q1\": {\"d2\": 0.5}}",
                "r.trec:2: q1: query \"q1\" given twice (first at line 1); a JSON run holds one object per query",
            ),
            (
                b"{\"q1\": {\"d1\": 0.9,\n\"d2\": 0.8,\n\"d1\": 0.5}, \"q2\": {\"d1\": 1}}",
                "r.trec:3: q1.d1: document \"d1\" retrieved twice for query \"q1\" (first at line 1)",
            ),
            (
                // Escapes are decoded before comparing: \u0031 is 1.
                b"{\"q\\u0031\": {\"d\": 1}, \"q1\": {\"e\": 1}}",
                "r.trec:1: q1: query \"q1\" given twice",
            ),
            (
                b"{\"q 1\": {\"d\": 1}}",
                "r.trec:1: q 1: contains whitespace or a control character (U+0020), which a TREC run cannot carry",
            ),
            (
                b"{\"q1\": {\"d\\t2\": 1}}",
                "r.trec:1: q1.d\t2: contains whitespace or a control character (U+0009)",
            ),
            (b"{\"q1\": {\"\": 1}}", "r.trec:1: q1.: empty id"),
            (
                b"1 Q0 d1 1 0.5 t\n1 Q0 d\x012 2 0.4 t\n",
                "r.trec:2: docno: contains whitespace or a control character (U+0001), which a TREC run cannot carry",
            ),
            (
                "q\u{a0}1 Q0 d1 1 0.5 t\n".as_bytes(),
                "r.trec:1: qid: contains whitespace or a control character (U+00A0)",
            ),
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

    /// Each query's docnos and scores in file order.
    type Queries = Vec<(String, Vec<(String, f64)>)>;

    /// Each query's docnos and scores in file order, and the tag.
    fn contents(r: &CompactRun) -> (Queries, String) {
        let qs = r
            .queries
            .iter()
            .map(|q| {
                let docs = q.entries.iter().map(|e| (r.docno(e).to_owned(), e.score));
                (q.qid.clone(), docs.collect())
            })
            .collect();
        (qs, r.tag.clone())
    }

    #[test]
    fn every_chunk_size_reads_the_same_run() {
        let text = b"\xEF\xBB\xBFq2 Q0 b 1 2.5 t1\n# note\nq1 Q0 a 1 1 t1\r\n\nq2 Q0 c 2 -1e3 t2";
        let whole = contents(&parse(text).unwrap());
        assert_eq!(whole.0.len(), 2);
        for chunk in 1..=text.len() + 1 {
            let r = parse_run_in_chunks(Path::new("r.trec"), text.to_vec(), None, chunk).unwrap();
            assert_eq!(contents(&r), whole, "chunks of {chunk} bytes");
        }
        // The first bad line in file order is the one reported, also when a later line is
        // not UTF-8 or holds a NUL (found by the `run` fuzz target: the whole chunk's UTF-8
        // was checked before its lines, so the error depended on where chunks ended).
        for (bad, expected) in [
            (
                &b"q1 Q0 a 1 1 t\nq1 Q0 b 2 x t\n"[..],
                "r.trec:2: score: expected a number",
            ),
            (
                b"q1 Q0 a 1 1 t\nq1 Q0 b\nq1 Q0 \xff 3 1 t\n",
                "r.trec:2: expected 6 columns",
            ),
            (
                b"q1 Q0 a 1 1 t\nq1 Q0 b\nq1 Q0 \0 3 1 t\n",
                "r.trec:2: expected 6 columns",
            ),
            (
                b"q1 Q0 a 1 1 t\nq1 Q0 \xff 3 1 t\nq1 Q0 b\n",
                "r.trec:2: invalid UTF-8",
            ),
            (
                b"q1 Q0 a 1 1 t\nq1 Q0 \0 3 1 t\nq1 \xff\n",
                "r.trec:2: NUL byte",
            ),
        ] {
            let e = parse(bad).unwrap_err().to_string();
            assert!(e.starts_with(expected), "{e}");
            for chunk in 1..=bad.len() {
                let r = parse_run_in_chunks(Path::new("r.trec"), bad.to_vec(), None, chunk);
                assert_eq!(r.unwrap_err().to_string(), e, "chunks of {chunk} bytes");
            }
        }
    }

    #[test]
    fn the_word_scan_finds_what_the_byte_scan_finds() {
        // Every byte value, at every position of a word and near the end of the input.
        for b in 0..=255u8 {
            for at in 0..12 {
                let mut s = vec![b'x'; 12];
                s[at] = b;
                for start in 0..s.len() {
                    let slow = start + s[start..].iter().take_while(|&&c| printable(c)).count();
                    assert_eq!(printable_run(&s, start), slow, "byte {b:#x} at {at}");
                }
            }
        }
    }

    proptest::proptest! {
        /// The fast path of `parse_score` gives `fast_float2`'s value, bit for bit, and
        /// refuses what it refuses.
        #[test]
        fn scores_read_as_fast_float2_reads_them(
            s in "-?[0-9]{0,12}(\\.[0-9]{0,10})?|[-+.0-9eE]{1,8}|-?[0-9]{15,22}(\\.[0-9]{1,3})?"
        ) {
            let expected = fast_float2::parse::<f64, _>(&s).ok().filter(|v| v.is_finite());
            proptest::prop_assert_eq!(parse_score(s.as_bytes()).map(f64::to_bits), expected.map(f64::to_bits), "{}", s);
        }

        /// Any bytes read the same through the fast and the slow path of a line: the same
        /// entries, or an error at the same line.
        #[test]
        fn fast_and_slow_lines_agree(lines in proptest::collection::vec("[ \t]?[#qa-c\\x00\\x0b\\xa0é]{1,3}[ \t\r]{1,2}Q0 ([a-d\\x01]{1,3}|[a-d]{60,70})\t?[ ]1 -?[0-9.e]{1,5}[ ]t[a-z ]{0,3}\r?", 1..6)) {
            agrees_with_slow_lines(&lines.join("\n"))?;
        }

        /// Lines that mostly repeat the previous line's start and end (as a run's lines do,
        /// read by `repeat_line`) too.
        #[test]
        fn repeated_line_parts_read_as_slow_lines_read_them(lines in proptest::collection::vec("q1[ \t]Q0 [a-c]{1,2}[ \t]{1,2}[0-9]{1,2} -?[0-9]{1,2}\\.?[0-9e]?[ \t]t[ab\r ]?", 1..12)) {
            agrees_with_slow_lines(&(lines.join("\n") + "\n"))?;
        }
    }

    /// Reads `text` as a run and line by line through `slow_line` alone: the same entries and
    /// tag, or the same first error.
    fn agrees_with_slow_lines(
        text: &str,
    ) -> std::result::Result<(), proptest::test_runner::TestCaseError> {
        let whole = parse(text.as_bytes())
            .map(|r| contents(&r))
            .map_err(|e| e.to_string());
        // Each line alone, through `slow_line` only, decides the same.
        let mut expected = Vec::new();
        let mut error = None;
        let mut last_tag = String::new();
        for (n, line) in text.split('\n').enumerate() {
            match slow_line(line.as_bytes()) {
                Ok(SlowLine::Skip) => {}
                Ok(SlowLine::Entry {
                    qid,
                    docno,
                    score,
                    tag,
                }) => {
                    expected.push((qid.to_string(), docno.to_string(), score.to_bits()));
                    last_tag = line[tag.0..tag.1].to_string();
                }
                Err((field, reason)) => {
                    let field = if field.is_empty() {
                        String::new()
                    } else {
                        format!("{field}: ")
                    };
                    error = Some(format!("r.trec:{}: {field}{reason}", n + 1));
                    break;
                }
            }
        }
        match (whole, error) {
            (Err(e), Some(x)) => proptest::prop_assert_eq!(e, x),
            (Ok((queries, tag)), None) => {
                proptest::prop_assert_eq!(tag, last_tag);
                let mut got: Vec<_> = queries
                    .iter()
                    .flat_map(|(q, docs)| {
                        docs.iter()
                            .map(move |(d, s)| (q.clone(), d.clone(), s.to_bits()))
                    })
                    .collect();
                got.sort();
                expected.sort();
                proptest::prop_assert_eq!(got, expected);
            }
            (Err(e), None) => {
                proptest::prop_assert!(e.contains("empty run") && expected.is_empty(), "{}", e)
            }
            (Ok(_), Some(x)) => proptest::prop_assert!(false, "accepted, expected {}", x),
        }
        Ok(())
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
        let dir = tempfile::tempdir().unwrap();
        let r = load(dir.path(), s.as_bytes());
        assert!(r.arenas.len() >= 2, "the file spans several chunks");
        assert_eq!(r.queries.len(), 300);
        assert!(r.queries.iter().all(|q| q.entries.len() == 1000));
        let last = r.queries.iter().find(|q| q.qid == "q299").unwrap();
        assert_eq!(r.docno(&last.entries[999]), "doc999");
        assert_eq!(r.location(&last.entries[999]).line, Some(300_000));
    }
}
