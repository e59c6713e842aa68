//! Qrels loaders: TREC (`qid iter docno rel`) and BEIR TSV (`query-id corpus-id score`, header).
//!
//! A line that starts with `#` is a comment, as trec_eval 10.0 reads qrels (only in the first
//! column: `CR#93` inside a line is a document id).

use crate::lines::{lines, read_file};
use crate::record::id_problem;
use crate::{LoadError, LoadOptions, Loaded, Result};
use ragdiag_core::{Diagnostic, Diagnostics, Location, Qrels};
use std::path::Path;

/// The qrels formats ragdiag reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QrelsFormat {
    /// `qid iter docno rel`, whitespace-separated.
    Trec,
    /// `query-id<TAB>corpus-id<TAB>score`, with a header line (BEIR).
    Beir,
}

/// Loads qrels, detecting the format from the first line that is neither blank nor a `#`
/// comment (4 fields: TREC, 3: BEIR) unless `format` names one.
pub fn load_qrels(
    path: &Path,
    format: Option<QrelsFormat>,
    opts: &LoadOptions,
) -> Result<Loaded<Qrels>> {
    let bytes = read_file(path)?;
    parse_qrels(path, &bytes, format, opts)
}

/// Parses qrels from bytes (see [`load_qrels`]); `path` is used in messages.
pub fn parse_qrels(
    path: &Path,
    bytes: &[u8],
    format: Option<QrelsFormat>,
    opts: &LoadOptions,
) -> Result<Loaded<Qrels>> {
    // Hashing while reading, sorting once at the end: qrels files hold many lines per query.
    let mut building: rustc_hash::FxHashMap<String, ragdiag_core::QueryJudgments> =
        Default::default();
    let mut diagnostics = Diagnostics::default();
    let mut format = format;
    let mut first = true;
    for line in lines(path, bytes) {
        let line = match line {
            Ok(l) => l,
            Err(d) if opts.skip_invalid => {
                diagnostics.push(d);
                continue;
            }
            Err(d) => return Err(LoadError::Invalid(d)),
        };
        if line.text.starts_with('#') {
            continue;
        }
        if line.text.contains('\0') {
            // A NUL is no field separator: `d3\0` would silently judge a document no run holds.
            let d = Diagnostic::error(
                Location::new(path, line.number),
                "",
                "NUL byte (binary file?)",
            );
            if !opts.skip_invalid {
                return Err(LoadError::Invalid(d));
            }
            diagnostics.push(d);
            continue;
        }
        let mut fields = [""; 5];
        let mut count = 0;
        for f in line.text.split_ascii_whitespace() {
            if count < fields.len() {
                fields[count] = f;
            }
            count += 1;
        }
        if count == 0 {
            continue;
        }
        let fields = &fields[..count.min(5)];
        let n_fields = count;
        let loc = || Location::new(path, line.number);
        let fmt = *format.get_or_insert(if n_fields == 3 {
            QrelsFormat::Beir
        } else {
            QrelsFormat::Trec
        });
        let is_first = std::mem::replace(&mut first, false);
        let parsed: std::result::Result<(&str, &str, i64), Diagnostic> = match fmt {
            QrelsFormat::Beir => {
                if is_first && n_fields == 3 && fields[2].parse::<i64>().is_err() {
                    continue; // the header line
                }
                if n_fields != 3 {
                    Err(Diagnostic::error(
                        loc(),
                        "",
                        format!(
                            "expected 3 columns (query-id, corpus-id, score), found {}",
                            n_fields
                        ),
                    ))
                } else {
                    parse_grade(fields[2], loc()).map(|g| (fields[0], fields[1], g))
                }
            }
            QrelsFormat::Trec => {
                if n_fields != 4 {
                    Err(Diagnostic::error(
                        loc(),
                        "",
                        format!(
                            "expected 4 columns (qid iter docno rel), found {}",
                            n_fields
                        ),
                    ))
                } else {
                    parse_grade(fields[3], loc()).map(|g| (fields[0], fields[2], g))
                }
            }
        };
        let (qid_field, doc_field) = match fmt {
            QrelsFormat::Trec => ("qid", "docno"),
            QrelsFormat::Beir => ("query-id", "corpus-id"),
        };
        let parsed = parsed.and_then(|(qid, doc, grade)| {
            for (field, id) in [(qid_field, qid), (doc_field, doc)] {
                // Printable ASCII needs no character walk.
                if id.bytes().all(|b| b.wrapping_sub(0x21) < 0x5e) {
                    continue;
                }
                if let Some(reason) = id_problem(id) {
                    return Err(Diagnostic::error(loc(), field, reason));
                }
            }
            Ok((qid, doc, grade))
        });
        match parsed {
            Ok((qid, doc, grade)) => {
                let judged = match building.get_mut(qid) {
                    Some(j) => j,
                    None => building.entry(qid.to_string()).or_default(),
                };
                if let Some(prev) = judged.grade(doc) {
                    let d = Diagnostic::error(
                        loc(),
                        "docno",
                        format!("duplicate judgment of {doc:?} for query {qid:?} (grade {prev} earlier)"),
                    );
                    if !opts.skip_invalid {
                        return Err(LoadError::Invalid(d));
                    }
                    diagnostics.push(d);
                } else {
                    judged.insert(doc, grade);
                }
            }
            Err(d) if opts.skip_invalid => diagnostics.push(d),
            Err(d) => return Err(LoadError::Invalid(d)),
        }
    }
    let qrels = Qrels {
        queries: building.into_iter().collect(),
    };
    if qrels.is_empty() {
        return Err(LoadError::unusable(path, "no judgments (empty qrels file)"));
    }
    Ok(Loaded {
        items: qrels,
        diagnostics,
    })
}

fn parse_grade(s: &str, loc: Location) -> std::result::Result<i64, Diagnostic> {
    s.parse::<i64>().map_err(|_| {
        Diagnostic::error(
            loc,
            "rel",
            format!("expected an integer grade, found {s:?}"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Loaded<Qrels>> {
        parse_qrels(
            Path::new("q.txt"),
            s.as_bytes(),
            None,
            &LoadOptions::default(),
        )
    }

    #[test]
    fn trec_and_beir_are_detected() {
        let t = parse("1 0 d1 2\n1 0 d2 0\n2 0 d1 1\n").unwrap().items;
        assert_eq!(t.len(), 2);
        assert_eq!(t.get("1").unwrap().grade("d1"), Some(2));
        let b = parse("\u{feff}query-id\tcorpus-id\tscore\r\nq1\td1\t1\r\nq1\td2\t0\r\n")
            .unwrap()
            .items;
        assert_eq!(b.get("q1").unwrap().len(), 2);
        let e = parse("1 0 d1 1\n1 0 d1 2\n").unwrap_err().to_string();
        assert_eq!(
            e,
            "q.txt:2: docno: duplicate judgment of \"d1\" for query \"1\" (grade 1 earlier)"
        );
        let skipped = parse_qrels(
            Path::new("q.txt"),
            b"1 0 d1 1\n1 0 d1 2\n",
            None,
            &LoadOptions { skip_invalid: true },
        )
        .unwrap();
        assert_eq!(skipped.items.get("1").unwrap().grade("d1"), Some(1));
        assert_eq!(skipped.diagnostics.error_count(), 1);
    }

    #[test]
    fn comment_lines_are_skipped_and_do_not_decide_the_format() {
        let t = parse("# comment here\n301 0 d1 0\n# and comment here\n301 0 CR#93E 1\n")
            .unwrap()
            .items;
        assert_eq!(t.get("301").unwrap().len(), 2);
        assert_eq!(t.get("301").unwrap().grade("CR#93E"), Some(1));
        // The 3-word comment first ("# comment here") is not read as a BEIR header: the
        // format comes from the first judgment (4 columns: TREC).
        let t = parse("# comment here\n1 0 d1 2\n").unwrap().items;
        assert_eq!(t.get("1").unwrap().grade("d1"), Some(2));
        assert!(parse("# only comments\n").is_err());
    }

    #[test]
    fn bad_qrels_are_located() {
        for (input, expected) in [
            ("1 0 d1 1\n1 0 d2\n", "q.txt:2: expected 4 columns"),
            (
                "1 0 d1 x\n",
                "q.txt:1: rel: expected an integer grade, found \"x\"",
            ),
            ("", "q.txt: no judgments"),
            ("\n\n", "q.txt: no judgments"),
        ] {
            let e = parse(input).unwrap_err().to_string();
            assert!(e.starts_with(expected), "{e}");
        }
        let e = parse_qrels(
            Path::new("q.txt"),
            b"1 0 d\xff 1\n",
            None,
            &LoadOptions::default(),
        )
        .unwrap_err();
        assert!(e.to_string().starts_with("q.txt:1: invalid UTF-8"), "{e}");
    }

    #[test]
    fn ids_a_trec_file_cannot_carry_stop_the_load() {
        for (input, expected) in [
            (
                "q1 0 d\u{a0}1 1\n",
                "q.txt:1: docno: contains whitespace or a control character (U+00A0), which a TREC run cannot carry",
            ),
            (
                "q\u{1}1 0 d1 1\n",
                "q.txt:1: qid: contains whitespace or a control character (U+0001)",
            ),
            (
                "query-id\tcorpus-id\tscore\nq1\td\u{2028}1\t1\n",
                "q.txt:2: corpus-id: contains whitespace or a control character (U+2028)",
            ),
        ] {
            let e = parse(input).unwrap_err().to_string();
            assert!(e.starts_with(expected), "{e} vs {expected}");
        }
    }

    #[test]
    fn nul_bytes_stop_the_load() {
        for input in [
            &b"q1 0 d1 1\nq2 0 d3\x00 2\n"[..],
            b"query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td3\x00\t2\n",
        ] {
            let e = parse_qrels(Path::new("q.txt"), input, None, &LoadOptions::default())
                .unwrap_err()
                .to_string();
            let line = if input.starts_with(b"query") { 3 } else { 2 };
            assert_eq!(e, format!("q.txt:{line}: NUL byte (binary file?)"));
            let skipped = parse_qrels(
                Path::new("q.txt"),
                input,
                None,
                &LoadOptions { skip_invalid: true },
            )
            .unwrap();
            assert_eq!(skipped.diagnostics.error_count(), 1);
            assert!(skipped.items.get("q2").is_none());
        }
    }
}
