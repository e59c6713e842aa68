//! Chroma's chunking-evaluation data set: `questions_df.csv` (columns `question`,
//! `references`, `corpus_id`; `references` a JSON list of `{content, start_index, end_index}`
//! with code-point offsets) beside a `corpora/` folder holding `<corpus_id>.md`.
//!
//! Each corpus becomes a [`Document`] (id = corpus id, text = the file as read, offsets count
//! its code points). Each CSV row becomes a [`Query`] whose id is its 0-based row number (the
//! pandas index Chroma uses), with one [`Evidence::Span`] a reference, the corpus as its one
//! relevant document (grade 1), and the corpus id as its tag. A reference whose `content` is not
//! the corpus text at its offsets, or whose offsets fall outside the corpus, is a warning
//! (`path:line: references[i]: reason`); the span is kept as given.

use crate::lines::{read_file, strip_bom};
use crate::record::accept;
use crate::{LoadError, LoadOptions, Loaded, Result};
use ragdiag_core::{Diagnostic, Diagnostics, Document, Evidence, Judgment, Location, Query};
use serde_json::Value;
use std::path::Path;

/// The documents and questions of a Chroma chunking-evaluation folder.
#[derive(Debug, Clone, Default)]
pub struct ChromaDataset {
    /// One document a corpus, in order of first mention in the questions.
    pub documents: Vec<Document>,
    /// One query a CSV row, in file order.
    pub queries: Vec<Query>,
}

/// Loads `dir/questions_df.csv` and the corpora it names from `dir/corpora/<corpus_id>.md`.
///
/// # Errors
///
/// [`LoadError::Unusable`] when a column is missing; [`LoadError::Invalid`] for a malformed
/// row (bad CSV, `references` not a list of `{content, start_index, end_index}`, reversed
/// offsets, an empty `corpus_id`) unless [`LoadOptions::skip_invalid`] lists and skips it;
/// [`LoadError::Io`] when a file cannot be read (a missing corpus file included).
pub fn load_chroma(dir: &Path, opts: &LoadOptions) -> Result<Loaded<ChromaDataset>> {
    let csv_path = dir.join("questions_df.csv");
    let bytes = read_file(&csv_path)?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(strip_bom(&bytes));
    let headers = reader
        .headers()
        .map_err(|e| LoadError::unusable(&csv_path, format!("cannot read the header: {e}")))?
        .clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| LoadError::unusable(&csv_path, format!("no {name:?} column")))
    };
    let (q_col, r_col, c_col) = (
        column("question")?,
        column("references")?,
        column("corpus_id")?,
    );

    let mut diagnostics = Diagnostics::default();
    let mut rows: Vec<(Query, Vec<(usize, String)>)> = Vec::new();
    for (row, record) in reader.records().enumerate() {
        let item = match record {
            Err(e) => {
                let line = e.position().map_or(0, csv::Position::line);
                Err(Diagnostic::error(
                    Location::new(&csv_path, line),
                    "",
                    format!("malformed CSV: {e}"),
                ))
            }
            Ok(rec) => {
                let loc = Location::new(&csv_path, rec.position().map_or(0, csv::Position::line));
                parse_row(&rec, row, loc, (q_col, r_col, c_col))
            }
        };
        accept(&mut rows, &mut diagnostics, opts, item)?;
    }

    // The corpora, in order of first mention.
    let mut documents: Vec<Document> = Vec::new();
    for (query, _) in &rows {
        let id = &query.relevant[0].doc;
        if documents.iter().any(|d| &d.id == id) {
            continue;
        }
        let path = dir.join("corpora").join(format!("{id}.md"));
        let bytes = read_file(&path)?;
        let text = String::from_utf8(strip_bom(&bytes).to_vec()).map_err(|_| {
            LoadError::Invalid(Diagnostic::error(
                Location::file(&path),
                "",
                "invalid UTF-8",
            ))
        })?;
        documents.push(Document {
            id: id.clone(),
            text,
            origin: Location::file(&path),
            ..Document::default()
        });
    }

    // Check every reference against its corpus text.
    let mut queries = Vec::with_capacity(rows.len());
    for (query, contents) in rows {
        let doc = documents
            .iter()
            .find(|d| d.id == query.relevant[0].doc)
            .expect("every corpus was loaded above");
        let chars: Vec<(usize, char)> = doc.text.char_indices().collect();
        let n = chars.len();
        let byte_at = |i: usize| chars.get(i).map_or(doc.text.len(), |(b, _)| *b);
        for (i, (ev, (_, content))) in query
            .evidence
            .iter()
            .zip(contents.iter().enumerate())
            .enumerate()
        {
            let Evidence::Span { start, end, .. } = ev else {
                continue;
            };
            let field = format!("references[{i}]");
            if *end > n {
                diagnostics.warn(
                    query.origin.clone(),
                    field,
                    format!(
                        "span {start}..{end} is out of range: corpus {} has {n} code points",
                        doc.id
                    ),
                );
                continue;
            }
            let found = &doc.text[byte_at(*start)..byte_at(*end)];
            if found != content.1 {
                diagnostics.warn(
                    query.origin.clone(),
                    field,
                    format!(
                        "content does not match the text of corpus {} at {start}..{end} (found {:?})",
                        doc.id,
                        preview(found)
                    ),
                );
            }
        }
        queries.push(query);
    }
    Ok(Loaded {
        items: ChromaDataset { documents, queries },
        diagnostics,
    })
}

/// The first 60 characters of `s`, for messages.
fn preview(s: &str) -> String {
    let mut out: String = s.chars().take(60).collect();
    if s.chars().nth(60).is_some() {
        out.push('…');
    }
    out
}

/// One CSV row: the query and each reference's `content` (by reference index).
fn parse_row(
    rec: &csv::StringRecord,
    row: usize,
    loc: Location,
    (q_col, r_col, c_col): (usize, usize, usize),
) -> std::result::Result<(Query, Vec<(usize, String)>), Diagnostic> {
    let err = |field: &str, reason: &str| Diagnostic::error(loc.clone(), field, reason);
    let field = |col: usize, name: &str| {
        rec.get(col)
            .ok_or_else(|| err(name, "missing required field"))
    };
    let question = field(q_col, "question")?;
    let corpus_id = field(c_col, "corpus_id")?;
    if corpus_id.is_empty() {
        return Err(err("corpus_id", "empty corpus id"));
    }
    if corpus_id.contains(['/', '\\']) || corpus_id.starts_with('.') {
        return Err(err("corpus_id", "not a file name"));
    }
    if let Some(reason) = crate::record::id_problem(corpus_id) {
        return Err(err("corpus_id", &reason));
    }
    let refs: Value = serde_json::from_str(field(r_col, "references")?)
        .map_err(|e| err("references", &format!("not JSON: {e}")))?;
    let Value::Array(items) = refs else {
        return Err(err("references", "expected a JSON list"));
    };
    let mut evidence = Vec::with_capacity(items.len());
    let mut contents = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let name = format!("references[{i}]");
        let Value::Object(o) = item else {
            return Err(err(&name, "expected an object"));
        };
        let content = match o.get("content") {
            Some(Value::String(s)) => s.clone(),
            None => return Err(err(&format!("{name}.content"), "missing required field")),
            Some(_) => return Err(err(&format!("{name}.content"), "expected a string")),
        };
        let index = |key: &str| -> std::result::Result<usize, Diagnostic> {
            let f = format!("{name}.{key}");
            match o.get(key) {
                None => Err(err(&f, "missing required field")),
                Some(v) => v
                    .as_u64()
                    .and_then(|n| usize::try_from(n).ok())
                    .ok_or_else(|| err(&f, "expected a non-negative integer")),
            }
        };
        let (start, end) = (index("start_index")?, index("end_index")?);
        if start > end {
            return Err(err(
                &name,
                &format!("start_index {start} is after end_index {end}"),
            ));
        }
        evidence.push(Evidence::Span {
            doc: corpus_id.to_owned(),
            start,
            end,
        });
        contents.push((i, content));
    }
    let query = Query {
        id: row.to_string(),
        text: question.to_owned(),
        relevant: vec![Judgment {
            doc: corpus_id.to_owned(),
            grade: 1,
        }],
        evidence,
        tags: vec![corpus_id.to_owned()],
        origin: loc.clone(),
        ..Query::default()
    };
    Ok((query, contents))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_dataset(csv: &str, corpora: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("questions_df.csv"), csv).unwrap();
        std::fs::create_dir(dir.path().join("corpora")).unwrap();
        for (id, text) in corpora {
            std::fs::write(dir.path().join("corpora").join(format!("{id}.md")), text).unwrap();
        }
        dir
    }

    const CORPUS: &str = "Café prices rose 5%.\nRefunds take 14 days 👍.";

    #[test]
    fn loads_questions_and_checks_spans_by_code_point() {
        // "Refunds take 14 days" starts at code point 21 (the é is one code point, two bytes).
        let csv = "question,references,corpus_id\n\
            How long do refunds take?,\"[{\"\"content\"\": \"\"Refunds take 14 days\"\", \"\"start_index\"\": 21, \"\"end_index\"\": 41}]\",shop\n\
            \"What rose,\nand by how much?\",\"[{\"\"content\"\": \"\"Caf\\u00e9 prices rose 5%\"\", \"\"start_index\"\": 0, \"\"end_index\"\": 19}, {\"\"content\"\": \"\"wrong\"\", \"\"start_index\"\": 0, \"\"end_index\"\": 4}]\",shop\n";
        let dir = write_dataset(csv, &[("shop", CORPUS)]);
        let loaded = load_chroma(dir.path(), &LoadOptions::default()).unwrap();
        let data = &loaded.items;
        assert_eq!(data.documents.len(), 1);
        assert_eq!(data.documents[0].id, "shop");
        assert_eq!(data.documents[0].text, CORPUS);
        assert_eq!(data.queries.len(), 2);
        let q = &data.queries[1];
        assert_eq!(q.id, "1");
        assert_eq!(q.text, "What rose,\nand by how much?");
        assert_eq!(q.tags, ["shop"]);
        assert_eq!(q.relevant[0].doc, "shop");
        assert_eq!(
            q.evidence[0],
            Evidence::Span {
                doc: "shop".into(),
                start: 0,
                end: 19
            }
        );
        // Only the wrong reference is reported, at the line its row starts on.
        let messages: Vec<String> = loaded
            .diagnostics
            .items()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(messages.len(), 1, "{messages:?}");
        let expected = format!(
            "{}:3: references[1]: content does not match the text of corpus shop at 0..4 (found \"Café\")",
            dir.path().join("questions_df.csv").display()
        );
        assert_eq!(messages[0], expected);
    }

    #[test]
    fn out_of_range_spans_warn() {
        let csv = "question,references,corpus_id\nq,\"[{\"\"content\"\": \"\"x\"\", \"\"start_index\"\": 40, \"\"end_index\"\": 99}]\",shop\n";
        let dir = write_dataset(csv, &[("shop", CORPUS)]);
        let loaded = load_chroma(dir.path(), &LoadOptions::default()).unwrap();
        let d = &loaded.diagnostics.items()[0];
        assert_eq!(d.field, "references[0]");
        assert!(d.reason.contains("out of range"), "{d}");
    }

    #[test]
    fn malformed_rows_stop_or_are_skipped() {
        let csv = "question,references,corpus_id\n\
            a,not json,shop\n\
            b,\"[{\"\"content\"\": \"\"x\"\", \"\"start_index\"\": 5, \"\"end_index\"\": 2}]\",shop\n\
            c,\"[{\"\"content\"\": \"\"Café\"\", \"\"start_index\"\": 0, \"\"end_index\"\": 4}]\",shop\n";
        let dir = write_dataset(csv, &[("shop", CORPUS)]);
        let err = load_chroma(dir.path(), &LoadOptions::default()).unwrap_err();
        assert!(
            err.to_string()
                .ends_with(":2: references: not JSON: expected ident at line 1 column 2"),
            "{err}"
        );
        let loaded = load_chroma(dir.path(), &LoadOptions { skip_invalid: true }).unwrap();
        assert_eq!(loaded.items.queries.len(), 1);
        assert_eq!(loaded.items.queries[0].id, "2");
        let reasons: Vec<&str> = loaded
            .diagnostics
            .items()
            .iter()
            .map(|d| d.reason.as_str())
            .collect();
        assert_eq!(reasons[1], "start_index 5 is after end_index 2");
    }

    #[test]
    fn missing_columns_and_corpora_are_errors() {
        let dir = write_dataset("question,corpus_id\nq,shop\n", &[]);
        let err = load_chroma(dir.path(), &LoadOptions::default()).unwrap_err();
        assert!(
            err.to_string().ends_with("no \"references\" column"),
            "{err}"
        );
        let dir = write_dataset("question,references,corpus_id\nq,[],gone\n", &[]);
        let err = load_chroma(dir.path(), &LoadOptions::default()).unwrap_err();
        assert!(err.to_string().contains("gone.md: cannot read"), "{err}");
    }
}
