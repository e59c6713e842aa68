//! Corpus loaders: ragdiag JSONL, BEIR `corpus.jsonl`, folders of Markdown/text/HTML files with
//! YAML front matter, and Parquet.

use crate::document::document_from_record;
use crate::frontmatter::split_front_matter;
use crate::lines::read_record_file;
use crate::record::{accept, load_jsonl, Record};
use crate::{LoadError, LoadOptions, Loaded, Result};
use ragdiag_core::{Diagnostic, Diagnostics, Document, Location};
use std::path::{Path, PathBuf};

/// The corpus formats ragdiag reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CorpusFormat {
    /// One JSON document a line (ragdiag fields, or BEIR's `_id`/`title`/`text`).
    Jsonl,
    /// A folder of `.md`, `.markdown`, `.txt`, `.html` and `.htm` files.
    Directory,
    /// A Parquet file with the JSONL columns.
    Parquet,
}

impl CorpusFormat {
    /// Detects the format of `path`: a directory (or a BEIR dataset folder), `.parquet`, else JSONL.
    pub fn detect(path: &Path) -> CorpusFormat {
        if path.is_dir() {
            CorpusFormat::Directory
        } else if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
        {
            CorpusFormat::Parquet
        } else {
            CorpusFormat::Jsonl
        }
    }
}

/// Loads a corpus, detecting its format. A BEIR dataset folder (one holding `corpus.jsonl`) is
/// read as its `corpus.jsonl`. Duplicate ids are warnings; the first document wins.
pub fn load_corpus(path: &Path, opts: &LoadOptions) -> Result<Loaded<Vec<Document>>> {
    let mut loaded = match CorpusFormat::detect(path) {
        CorpusFormat::Directory if path.join("corpus.jsonl").is_file() => {
            load_jsonl_corpus(&path.join("corpus.jsonl"), opts)?
        }
        CorpusFormat::Directory => load_dir_corpus(path, opts)?,
        CorpusFormat::Parquet => crate::parquet_corpus::load_parquet_corpus(path, opts)?,
        CorpusFormat::Jsonl => load_jsonl_corpus(path, opts)?,
    };
    dedup_ids(&mut loaded);
    Ok(loaded)
}

/// The documents of `records` (JSON objects with the JSONL corpus fields, e.g. a corpus read
/// from an engine), read by the same rules as a JSONL file: the record at index `i` is located
/// at `origin:i+1`.
///
/// # Errors
///
/// A malformed record (unless [`LoadOptions::skip_invalid`]).
pub fn documents_from_records(
    origin: &Path,
    records: &[serde_json::Value],
    opts: &LoadOptions,
) -> Result<Loaded<Vec<ragdiag_core::Document>>> {
    let mut docs = Vec::with_capacity(records.len());
    let mut diagnostics = ragdiag_core::Diagnostics::default();
    for (i, v) in records.iter().enumerate() {
        let loc = ragdiag_core::Location::new(origin, i as u64 + 1);
        let item = crate::record::Record::new(v, &loc)
            .and_then(|rec| document_from_record(&rec, None, None, &mut diagnostics));
        crate::record::accept(&mut docs, &mut diagnostics, opts, item)?;
    }
    let mut loaded = Loaded {
        items: docs,
        diagnostics,
    };
    dedup_ids(&mut loaded);
    Ok(loaded)
}

fn dedup_ids(loaded: &mut Loaded<Vec<Document>>) {
    keep_first(
        &mut loaded.items,
        &mut loaded.diagnostics,
        "id",
        |d| (&d.id, &d.origin),
        |id, first| format!("duplicate document id {id:?} (first at {first}); this one is ignored"),
    );
}

/// Keeps the first item of each id, warning at every later one with `reason(id, first)`.
pub(crate) fn keep_first<T>(
    items: &mut Vec<T>,
    diagnostics: &mut Diagnostics,
    field: &str,
    id_and_origin: impl Fn(&T) -> (&String, &Location),
    reason: impl Fn(&str, &Location) -> String,
) {
    // The ids are borrowed from the items (no copy of an id or a location per item: at load
    // the items are all held, and a copy of every id would be held beside them), then the
    // repeats go.
    let mut keep = vec![true; items.len()];
    {
        use std::collections::hash_map::Entry;
        let mut seen: rustc_hash::FxHashMap<&str, usize> = Default::default();
        seen.reserve(items.len());
        for (i, item) in items.iter().enumerate() {
            let (id, origin) = id_and_origin(item);
            match seen.entry(id.as_str()) {
                Entry::Occupied(first) => {
                    let first = id_and_origin(&items[*first.get()]).1;
                    diagnostics.warn(origin.clone(), field, reason(id, first));
                    keep[i] = false;
                }
                Entry::Vacant(slot) => {
                    slot.insert(i);
                }
            }
        }
    }
    let mut keep = keep.into_iter();
    items.retain(|_| keep.next().unwrap_or(true));
}

/// Loads a JSONL corpus (ragdiag or BEIR fields). Blank lines are skipped.
pub(crate) fn load_jsonl_corpus(path: &Path, opts: &LoadOptions) -> Result<Loaded<Vec<Document>>> {
    let mut diagnostics = Diagnostics::default();
    let items = load_jsonl(path, opts, &mut diagnostics, |rec, warnings| {
        document_from_record(rec, None, None, warnings)
    })?;
    Ok(Loaded { items, diagnostics })
}

const TEXT_EXTENSIONS: &[&str] = &["md", "markdown", "txt", "text"];
const HTML_EXTENSIONS: &[&str] = &["html", "htm"];

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) -> Result<()> {
    if depth > 64 {
        return Err(LoadError::unusable(dir, "folders nested more than 64 deep"));
    }
    let entries = std::fs::read_dir(dir).map_err(|e| LoadError::io(dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| LoadError::io(dir, e))?;
        let path = entry.path();
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let ft = entry.file_type().map_err(|e| LoadError::io(&path, e))?;
        if ft.is_dir() {
            collect_files(&path, out, depth + 1)?;
        } else if ft.is_file() {
            let ext = path
                .extension()
                .and_then(|e| e.to_str())
                .unwrap_or("")
                .to_ascii_lowercase();
            if TEXT_EXTENSIONS.contains(&ext.as_str()) || HTML_EXTENSIONS.contains(&ext.as_str()) {
                out.push(path);
            }
        }
    }
    Ok(())
}

/// Loads every Markdown, text and HTML file under `dir` (recursively, sorted by path, hidden
/// entries skipped). A file's id is its front matter `id`, else its path relative to `dir`
/// without extension (`/`-separated). HTML files contribute their visible text; their `<title>`
/// is the title unless front matter gives one.
pub(crate) fn load_dir_corpus(dir: &Path, opts: &LoadOptions) -> Result<Loaded<Vec<Document>>> {
    let mut files = Vec::new();
    collect_files(dir, &mut files, 0)?;
    files.sort();
    let mut docs = Vec::new();
    let mut diagnostics = Diagnostics::default();
    for file in files {
        let bytes = match read_record_file(&file) {
            Ok(bytes) => bytes,
            Err(LoadError::Invalid(d)) => {
                accept(&mut docs, &mut diagnostics, opts, Err(d))?;
                continue;
            }
            Err(e) => return Err(e),
        };
        let rel = file.strip_prefix(dir).unwrap_or(&file);
        let default_id = derived_id(rel);
        let item = load_one_file(&file, &bytes, &default_id, &mut diagnostics);
        accept(&mut docs, &mut diagnostics, opts, item)?;
    }
    Ok(Loaded {
        items: docs,
        diagnostics,
    })
}

/// The id of a file that has no front matter `id`: its path `rel` (relative to the corpus
/// folder) without extension, `/`-separated.
///
/// Ids are written into whitespace-separated TREC runs, so a file name may not carry
/// whitespace or control characters into one: each such character is percent-encoded as the
/// `%XX` of its UTF-8 bytes (`Refund Policy.md` → `Refund%20Policy`), and so is `%` itself
/// (`%25`), which keeps the mapping reversible (percent-decoding the id gives the path back).
/// A name that is not UTF-8 is read lossily (U+FFFD for each bad byte).
pub(crate) fn derived_id(rel: &Path) -> String {
    let path = rel
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/");
    let mut id = String::with_capacity(path.len());
    for c in path.chars() {
        if c == '%' || c.is_whitespace() || c.is_control() {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                id.push_str(&format!("%{b:02X}"));
            }
        } else {
            id.push(c);
        }
    }
    id
}

fn load_one_file(
    file: &Path,
    bytes: &[u8],
    default_id: &str,
    warnings: &mut Diagnostics,
) -> std::result::Result<Document, Diagnostic> {
    let bytes = crate::lines::strip_bom(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64
            + 1;
        Diagnostic::error(Location::new(file, line), "", "invalid UTF-8")
    })?;
    if text.contains('\0') {
        let line = text[..text.find('\0').unwrap_or(0)].matches('\n').count() as u64 + 1;
        return Err(Diagnostic::error(
            Location::new(file, line),
            "",
            "NUL byte in text file",
        ));
    }
    let is_html = file
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| HTML_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()));
    let (front, body) = split_front_matter(file, text)?;
    let (body, html_title) = if is_html {
        let (t, title) = crate::html::html_visible_text(body);
        (t, title)
    } else {
        (body.to_string(), None)
    };
    let empty = serde_json::Value::Object(Default::default());
    let value = front.as_ref().unwrap_or(&empty);
    let loc = Location::new(file, 1);
    let rec = Record::new(value, &loc)?;
    let mut doc = document_from_record(&rec, Some(body), Some(default_id), warnings)?;
    if doc.title.is_none() {
        doc.title = html_title;
    }
    Ok(doc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn write(dir: &Path, name: &str, content: &[u8]) -> PathBuf {
        let p = dir.join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::File::create(&p)
            .unwrap()
            .write_all(content)
            .unwrap();
        p
    }

    #[test]
    fn jsonl_corpus_reads_all_fields_and_warns_on_meaning() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "c.jsonl",
            b"\xEF\xBB\xBF{\"id\":\"a\",\"text\":\"x\",\"updated_at\":\"2026-01-02\",\"tags\":[\"t\"],\"deleted\":false}\r\n\n{\"_id\":\"b\",\"title\":\"T\",\"text\":\"y\",\"metadata\":{}}\n{\"id\":\"c\",\"text\":\"z\",\"updated_at\":\"last week\",\"supersedes\":\"a\"}\n{\"id\":\"a\",\"text\":\"dup\"}\n",
        );
        let l = load_corpus(&p, &LoadOptions::default()).unwrap();
        let ids: Vec<_> = l.items.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "c"]);
        assert_eq!(l.items[0].updated_at.unwrap().to_string(), "2026-01-02");
        assert_eq!(l.items[1].title.as_deref(), Some("T"));
        assert_eq!(l.items[2].supersedes.as_deref(), Some("a"));
        let msgs: Vec<String> = l
            .diagnostics
            .items()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(msgs.len(), 2, "{msgs:?}");
        assert!(msgs[0].ends_with("c.jsonl:4: updated_at: unparseable date \"last week\" (expected RFC 3339 or YYYY-MM-DD); treated as absent (document \"c\")"), "{msgs:?}");
        assert!(
            msgs[1].contains("c.jsonl:5: id: duplicate document id \"a\""),
            "{msgs:?}"
        );
    }

    #[test]
    fn malformed_records_stop_the_load_with_their_location() {
        let dir = tempfile::tempdir().unwrap();
        let cases: &[(&[u8], &str)] = &[
            (
                b"{\"id\":\"a\",\"text\":\"x\"}\n{\"id\":\"b\"}\n",
                ":2: text: missing required field",
            ),
            (b"{\"text\":\"x\"}\n", ":1: id: missing required field"),
            (
                b"{\"id\":\"a\",\"text\":5}\n",
                ":1: text: expected a string, found a number",
            ),
            (
                b"{\"id\":\"a\",\"text\":\"x\",\"deleted\":\"yes\"}\n",
                ":1: deleted: expected true or false",
            ),
            (
                b"{\"id\":\"a\",\"text\":\"x\",\"tags\":[1,{}]}\n",
                ":1: tags[1]: expected a string, found an object",
            ),
            (b"{\"id\":\"a\",\"text\":\"x\"\n", ":1: invalid JSON"),
            (b"[1,2]\n", ":1: expected a JSON object, found a list"),
            (b"{\"id\":\"a\",\"text\":\"\xff\"}\n", ":1: invalid UTF-8"),
            (b"{\"id\":\"a\",\"text\":\"x\"}\x00\n", ":1: NUL byte"),
            (
                b"{\"id\":\"doc one\",\"text\":\"x\"}\n",
                ":1: id: contains whitespace or a control character (U+0020), which a TREC run cannot carry",
            ),
            (
                b"{\"_id\":\"doc\\ttwo\",\"text\":\"x\"}\n",
                ":1: _id: contains whitespace or a control character (U+0009)",
            ),
            (
                b"{\"id\":\"a\\nb\",\"text\":\"x\"}\n",
                ":1: id: contains whitespace or a control character (U+000A)",
            ),
            (
                b"{\"id\":\"a\\u0000\",\"text\":\"x\"}\n",
                ":1: id: contains whitespace or a control character (U+0000)",
            ),
            (
                b"{\"id\":\"a\\u00a0b\\u0001\",\"text\":\"x\"}\n",
                ":1: id: contains whitespace or a control character (U+00A0)",
            ),
            (
                b"{\"id\":\"a\\u007f\",\"text\":\"x\"}\n",
                ":1: id: contains whitespace or a control character (U+007F)",
            ),
            (
                b"{\"id\":\"a\",\"text\":\"x\",\"supersedes\":\"old a\"}\n",
                ":1: supersedes: contains whitespace or a control character (U+0020)",
            ),
        ];
        for (content, expected) in cases {
            let p = write(dir.path(), "bad.jsonl", content);
            let err = load_corpus(&p, &LoadOptions::default())
                .unwrap_err()
                .to_string();
            assert!(err.contains(expected), "{err} should contain {expected}");
            let skipped = load_corpus(&p, &LoadOptions { skip_invalid: true }).unwrap();
            assert_eq!(skipped.diagnostics.error_count(), 1, "{expected}");
        }
    }

    #[test]
    fn deeply_nested_and_huge_lines_do_not_crash() {
        let dir = tempfile::tempdir().unwrap();
        let nested = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let p = write(
            dir.path(),
            "n.jsonl",
            format!("{{\"id\":\"a\",\"text\":\"x\",\"metadata\":{nested}}}\n").as_bytes(),
        );
        let err = load_corpus(&p, &LoadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("n.jsonl:1: invalid JSON"), "{err}");
        let big = "word ".repeat(2_000_000);
        let p = write(
            dir.path(),
            "big.jsonl",
            format!("{{\"id\":\"a\",\"text\":\"{big}\"}}\n").as_bytes(),
        );
        let l = load_corpus(&p, &LoadOptions::default()).unwrap();
        assert_eq!(l.items[0].text.len(), 10_000_000);
    }

    #[test]
    fn folder_corpus_reads_front_matter_markdown_and_html() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "b.md", b"---\nid: billing\ntitle: Billing\nupdated_at: 2026-02-01\ntags: [billing, pricing]\nsupersedes: old-billing\n---\n# Billing\n\nPlans cost $10.\n");
        write(dir.path(), "sub/plain.txt", b"No front matter here.\n");
        write(dir.path(), "page.html", b"<html><head><title>Hi &amp; bye</title><style>p{}</style></head><body><p>Visible &lt;text&gt;</p><script>alert(1)</script></body></html>");
        write(dir.path(), ".hidden.md", b"ignored");
        write(dir.path(), "notes.csv", b"ignored");
        let l = load_corpus(dir.path(), &LoadOptions::default()).unwrap();
        let ids: Vec<_> = l.items.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(ids, ["billing", "page", "sub/plain"]);
        assert_eq!(l.items[0].text, "# Billing\n\nPlans cost $10.\n");
        assert_eq!(l.items[0].tags, ["billing", "pricing"]);
        assert_eq!(l.items[0].supersedes.as_deref(), Some("old-billing"));
        assert_eq!(l.items[1].title.as_deref(), Some("Hi & bye"));
        assert!(l.items[1].text.contains("Visible <text>"));
        assert!(!l.items[1].text.contains("alert"));
        assert_eq!(l.items[2].text, "No front matter here.\n");
        assert!(l.diagnostics.is_empty(), "{:?}", l.diagnostics);
    }

    #[test]
    fn derived_ids_percent_encode_what_a_trec_run_cannot_carry() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "Refund Policy.md", b"Refunds take 30 days.\n");
        write(dir.path(), "100% sure.txt", b"Sure.\n");
        write(dir.path(), "sub dir/a\tb.md", b"Tab.\n");
        write(dir.path(), "plain.md", b"Plain.\n");
        let l = load_corpus(dir.path(), &LoadOptions::default()).unwrap();
        let ids: Vec<_> = l.items.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "100%25%20sure",
                "Refund%20Policy",
                "plain",
                "sub%20dir/a%09b"
            ]
        );
        assert!(l.diagnostics.is_empty(), "{:?}", l.diagnostics);
        assert_eq!(
            derived_id(Path::new("caf\u{e9}\u{3000}x.md")),
            "caf\u{e9}%E3%80%80x"
        );

        // An id given in front matter is checked, not encoded.
        write(
            dir.path(),
            "Refund Policy.md",
            b"---\nid: refund policy\n---\nbody\n",
        );
        let err = load_corpus(dir.path(), &LoadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("Refund Policy.md:1: id: contains whitespace or a control character (U+0020), which a TREC run cannot carry"),
            "{err}"
        );
    }

    #[test]
    fn bad_front_matter_is_located() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "a.md",
            b"---\nid: a\ntitle: [unclosed\n---\nbody\n",
        );
        let err = load_corpus(dir.path(), &LoadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("a.md:"), "{err}");
        assert!(err.contains("front matter"), "{err}");
        write(
            dir.path(),
            "a.md",
            b"---\nid: a\ndeleted: maybe\n---\nbody\n",
        );
        let err = load_corpus(dir.path(), &LoadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("a.md:1: deleted: expected true or false"),
            "{err}"
        );
        write(dir.path(), "a.md", b"---\nid: a\nno closing line\n");
        let err = load_corpus(dir.path(), &LoadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("a.md:1: front matter: no closing `---` line"),
            "{err}"
        );
    }
}
