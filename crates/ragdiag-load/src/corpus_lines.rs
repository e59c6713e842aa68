//! A JSONL corpus loaded without its texts: each document keeps the place of its line (byte
//! offset and length), and a text is read again from the file when it is needed. For audits of
//! corpora larger than memory (`ragdiag freshness` over a million pages): the documents'
//! metadata stays in memory, the texts are read a batch at a time.

use crate::corpus::keep_first;
use crate::document::document_from_record;
use crate::lines::{for_each_line, strip_bom};
use crate::record::{accept, parse_json_line, Record};
use crate::{LoadError, LoadOptions, Loaded, Result};
use ragdiag_core::{Diagnostics, Document, Location};
use std::path::{Path, PathBuf};

/// Where each loaded document's line is in its JSONL file.
#[derive(Debug)]
pub struct CorpusLines {
    path: PathBuf,
    file: std::fs::File,
    /// Per document, in load order: (line number, byte offset, length with terminator).
    places: Vec<(u64, u64, u64)>,
}

/// Loads the JSONL corpus at `path` (or a BEIR folder's `corpus.jsonl`) as [`crate::load_corpus`]
/// does (the same records, diagnostics, and duplicate ids dropped), but each document's `text`
/// is left empty; [`CorpusLines::document`] reads a document again.
///
/// # Errors
///
/// As [`crate::load_corpus`]; a corpus that is not a JSONL file is unusable here.
pub fn load_jsonl_corpus_lines(
    path: &Path,
    opts: &LoadOptions,
) -> Result<(Loaded<Vec<Document>>, CorpusLines)> {
    let path = if path.is_dir() && path.join("corpus.jsonl").is_file() {
        path.join("corpus.jsonl")
    } else {
        path.to_path_buf()
    };
    let mut diagnostics = Diagnostics::default();
    let mut items: Vec<(Document, (u64, u64, u64))> = Vec::new();
    for_each_line(&path, |line| {
        let item = match line {
            Err(d) => Err(d),
            Ok(line) if line.text.trim().is_empty() => return Ok(true),
            Ok(line) => {
                let loc = Location::new(&path, line.number);
                let place = (line.number, line.offset, line.raw_len);
                parse_json_line(line.text, &loc)
                    .and_then(|value| {
                        document_from_record(
                            &Record::new(&value, &loc)?,
                            None,
                            None,
                            &mut diagnostics,
                        )
                    })
                    .map(|mut d| {
                        d.text = String::new();
                        (d, place)
                    })
            }
        };
        accept(&mut items, &mut diagnostics, opts, item).map(|()| true)
    })?;
    keep_first(
        &mut items,
        &mut diagnostics,
        "id",
        |(d, _)| (&d.id, &d.origin),
        |id, first| format!("duplicate document id {id:?} (first at {first}); this one is ignored"),
    );
    let (docs, places): (Vec<Document>, Vec<(u64, u64, u64)>) = items.into_iter().unzip();
    let file = std::fs::File::open(&path).map_err(|e| LoadError::io(&path, e))?;
    Ok((
        Loaded {
            items: docs,
            diagnostics,
        },
        CorpusLines { path, file, places },
    ))
}

impl CorpusLines {
    /// The number of documents.
    pub fn len(&self) -> usize {
        self.places.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.places.is_empty()
    }

    /// Document `i` read again from its line, text included (the same record the load made,
    /// unless the file changed since: then an error naming the line).
    ///
    /// # Errors
    ///
    /// `path:line: reason` when the line cannot be read or is no longer a document.
    pub fn document(&self, i: usize) -> std::result::Result<Document, String> {
        let &(number, offset, len) = self
            .places
            .get(i)
            .ok_or_else(|| format!("{}: no document {i}", self.path.display()))?;
        let loc = Location::new(&self.path, number);
        let mut buf = vec![0u8; usize::try_from(len).map_err(|e| format!("{loc}: {e}"))?];
        read_at(&self.file, &mut buf, offset).map_err(|e| {
            format!("{loc}: cannot read the line again ({e}); did the file change?")
        })?;
        let mut line = buf.strip_suffix(b"\n").unwrap_or(&buf);
        line = line.strip_suffix(b"\r").unwrap_or(line);
        if offset == 0 {
            line = strip_bom(line);
        }
        let text = std::str::from_utf8(line)
            .map_err(|e| format!("{loc}: the line changed since it was read ({e})"))?;
        parse_json_line(text, &loc)
            .and_then(|value| {
                document_from_record(
                    &Record::new(&value, &loc)?,
                    None,
                    None,
                    &mut Diagnostics::default(),
                )
            })
            .map_err(|d| format!("{d} (the line changed since it was read)"))
    }
}

#[cfg(unix)]
fn read_at(file: &std::fs::File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(windows)]
fn read_at(file: &std::fs::File, mut buf: &mut [u8], mut offset: u64) -> std::io::Result<()> {
    while !buf.is_empty() {
        match std::os::windows::fs::FileExt::seek_read(file, buf, offset) {
            Ok(0) => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => {
                buf = &mut buf[n..];
                offset += n as u64;
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_read_again_are_the_documents_loaded() {
        let dir = std::env::temp_dir().join(format!("ragdiag-corpus-lines-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("c.jsonl");
        // A BOM, CRLF and LF lines, a blank line, a duplicate id, a malformed record.
        std::fs::write(
            &path,
            "\u{feff}{\"id\":\"a\",\"text\":\"First \\u00e9 text.\",\"updated_at\":\"2025-01-01\"}\r\n\
             \n\
             {\"id\":\"b\",\"title\":\"B\",\"text\":\"Second text.\"}\n\
             {\"id\":\"a\",\"text\":\"dup\"}\n\
             {\"id\":\"c\",\"text\":7}\n\
             {\"id\":\"d\",\"text\":\"Last, no newline.\"}",
        )
        .unwrap();
        let opts = LoadOptions { skip_invalid: true };
        let whole = crate::load_corpus(&path, &opts).unwrap();
        let (lean, lines) = load_jsonl_corpus_lines(&path, &opts).unwrap();
        assert_eq!(lines.len(), whole.items.len());
        assert_eq!(
            format!("{:?}", lean.diagnostics),
            format!("{:?}", whole.diagnostics)
        );
        for (i, d) in whole.items.iter().enumerate() {
            assert!(lean.items[i].text.is_empty());
            assert_eq!(lean.items[i].id, d.id);
            assert_eq!(&lines.document(i).unwrap(), d);
        }
        assert_eq!(whole.items.len(), 3);
        assert!(lines.document(3).is_err());
        // The file changed under the audit: an error naming the line, never a panic.
        std::fs::write(&path, "{}").unwrap();
        let err = lines.document(1).unwrap_err();
        assert!(err.contains("c.jsonl:3"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
