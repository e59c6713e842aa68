//! YAML front matter: a block between a first line `---` and a closing `---` (or `...`) line.

use ragdiag_core::{Diagnostic, Location};
use serde_json::Value;
use std::path::Path;

/// Splits `text` into its front matter (parsed, as a JSON value) and its body: everything after
/// the newline that ends the closing line. Without front matter the body is the whole text.
pub(crate) fn split_front_matter<'a>(
    path: &Path,
    text: &'a str,
) -> Result<(Option<Value>, &'a str), Diagnostic> {
    let first_end = match text.find('\n') {
        Some(i) => i,
        None => return Ok((None, text)),
    };
    if text[..first_end].trim_end_matches('\r') != "---" {
        return Ok((None, text));
    }
    let mut pos = first_end + 1;
    let yaml_start = pos;
    let mut closing = None;
    while pos <= text.len() {
        let end = text[pos..].find('\n').map_or(text.len(), |i| pos + i);
        let line = text[pos..end].trim_end_matches('\r');
        if line == "---" || line == "..." {
            closing = Some((pos, (end + 1).min(text.len())));
            break;
        }
        if end == text.len() {
            break;
        }
        pos = end + 1;
    }
    let Some((yaml_end, body_start)) = closing else {
        return Err(Diagnostic::error(
            Location::new(path, 1),
            "front matter",
            "no closing `---` line",
        ));
    };
    let yaml = &text[yaml_start..yaml_end];
    let value: Value = if yaml.trim().is_empty() {
        Value::Object(Default::default())
    } else {
        serde_yaml_ng::from_str(yaml).map_err(|e| {
            // The file's line of the error's byte: YAML's own line count also breaks lines at
            // a lone `\r`, which no other reader here does (found by the `frontmatter` fuzz
            // target: a line past the end of the file).
            let line = e.location().map_or(1, |l| {
                let before = &yaml.as_bytes()[..l.index().min(yaml.len())];
                2 + memchr::memchr_iter(b'\n', before).count() as u64
            });
            let msg = e.to_string();
            let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
            Diagnostic::error(
                Location::new(path, line),
                "front matter",
                format!("invalid YAML: {msg}"),
            )
        })?
    };
    let value = match value {
        Value::Null => Value::Object(Default::default()),
        v @ Value::Object(_) => v,
        _ => {
            return Err(Diagnostic::error(
                Location::new(path, 2),
                "front matter",
                "expected key: value pairs",
            ))
        }
    };
    Ok((Some(value), &text[body_start..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_and_parses() {
        let p = Path::new("x.md");
        let (fm, body) = split_front_matter(p, "---\r\nid: a\r\n---\r\nbody\n").unwrap();
        assert_eq!(fm.unwrap()["id"], "a");
        assert_eq!(body, "body\n");
        let (fm, body) = split_front_matter(p, "no front matter\n---\n").unwrap();
        assert!(fm.is_none());
        assert_eq!(body, "no front matter\n---\n");
        let (fm, body) = split_front_matter(p, "---\n---\n").unwrap();
        assert_eq!(fm.unwrap(), serde_json::json!({}));
        assert_eq!(body, "");
        let (fm, _) =
            split_front_matter(p, "---\nupdated_at: 2026-02-01\nversion: 2\n...\nx").unwrap();
        let fm = fm.unwrap();
        assert_eq!(fm["updated_at"], "2026-02-01");
        assert_eq!(fm["version"], 2);
        let err = split_front_matter(p, "---\nid: a\n  bad: [\n---\n").unwrap_err();
        assert_eq!(err.location.line, Some(3), "{err}");
        // Lone carriage returns are no line ends here; the error's line is one of the file's
        // three (the unclosed `[` runs to the closing line; YAML's own count goes past the end).
        let err = split_front_matter(p, "---\nid: a\r\r\r\r\rb: [\n---\n").unwrap_err();
        assert_eq!(err.location.line, Some(3), "{err}");
        assert!(split_front_matter(p, "---\n- a\n- b\n---\n").is_err());
    }
}
