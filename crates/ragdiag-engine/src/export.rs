//! Reading back what an engine stores, page by page, as documents: `ragdiag export-corpus`.
//! Chunks are grouped by their document, ordered by their offsets (else their ids) and stitched
//! into the document's text; the configured date and version fields of the metadata become the
//! document's `updated_at` and `version`, so the freshness audit can read them.

use crate::{EngineError, EngineHit};
use std::collections::BTreeMap;

/// An engine whose stored chunks can be listed.
pub trait Exporter {
    /// The engine's name (no credentials).
    fn name(&self) -> String;

    /// Up to `limit` stored chunks from position `offset`, in a stable order; fewer than
    /// `limit` at the end.
    ///
    /// # Errors
    ///
    /// [`EngineError`] with the cause.
    fn page(&self, offset: usize, limit: usize) -> Result<Vec<EngineHit>, EngineError>;
}

/// Every stored chunk, `page_size` at a time.
///
/// # Errors
///
/// The first page's error.
pub fn all(e: &dyn Exporter, page_size: usize) -> Result<Vec<EngineHit>, EngineError> {
    let page_size = page_size.max(1);
    let mut out = Vec::new();
    loop {
        let page = e.page(out.len(), page_size)?;
        let n = page.len();
        out.extend(page);
        if n < page_size {
            return Ok(out);
        }
    }
}

/// One document made of its stored chunks.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ExportedDocument {
    /// The document id.
    pub id: String,
    /// The stitched text.
    pub text: String,
    /// The configured date field of the first chunk's metadata.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    /// The configured version field of the first chunk's metadata.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The first chunk's other metadata.
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    pub metadata: serde_json::Map<String, serde_json::Value>,
}

/// What the stitching found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stitched {
    /// Documents whose chunks carried no text (left out).
    pub without_text: Vec<String>,
    /// Documents with gaps between their chunks' offsets (filled with spaces, so offsets hold).
    pub with_gaps: Vec<String>,
    /// Documents whose chunks disagree where they overlap (the earlier chunk's text kept).
    pub disagreeing: Vec<String>,
    /// Documents with a chunk whose offsets end past [`MAX_PLACED_END`]: their chunks are
    /// joined in order instead of placed (placing them would take that much memory).
    pub beyond_limit: Vec<String>,
}

/// The furthest code point a chunk's offsets may reach for the chunk to be placed at them:
/// 32 Mi code points, as long as the largest record ragdiag reads by default. Offsets from an
/// engine are outside input: one chunk saying it starts at 10^15 must not allocate that.
pub const MAX_PLACED_END: usize = 32 << 20;

/// The metadata fields mapped to a document's dates and version, and those left out of its
/// metadata (the engine's own mapping fields).
#[derive(Debug, Clone, Default)]
pub struct DocumentFields {
    /// The date field (`updated_field`).
    pub updated: Option<String>,
    /// The version field (`version_field`).
    pub version: Option<String>,
    /// Fields dropped from the metadata (document, chunk, offsets).
    pub drop: Vec<String>,
}

fn scalar(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// The documents of `chunks` (grouped by document, in id order).
#[must_use]
pub fn documents(
    chunks: &[EngineHit],
    fields: &DocumentFields,
) -> (Vec<ExportedDocument>, Stitched) {
    let mut by_doc: BTreeMap<&str, Vec<&EngineHit>> = BTreeMap::new();
    for c in chunks {
        by_doc.entry(c.doc_id()).or_default().push(c);
    }
    let mut report = Stitched::default();
    let mut out = Vec::with_capacity(by_doc.len());
    for (doc, mut parts) in by_doc {
        parts.sort_by(|a, b| {
            let key = |h: &EngineHit| h.span.map_or(usize::MAX, |s| s.0);
            key(a).cmp(&key(b)).then_with(|| a.id.cmp(&b.id))
        });
        if parts.iter().all(|p| p.text.is_none()) {
            report.without_text.push(doc.to_owned());
            continue;
        }
        let beyond = parts
            .iter()
            .any(|p| p.span.is_some_and(|(_, e)| e > MAX_PLACED_END));
        if beyond {
            report.beyond_limit.push(doc.to_owned());
        }
        let placed = !beyond
            && parts.iter().all(|p| {
                p.span.is_some_and(|(s, e)| {
                    p.text.as_ref().is_some_and(|t| t.chars().count() == e - s)
                })
            });
        let text = if placed {
            let mut chars: Vec<char> = Vec::new();
            let (mut gap, mut disagree) = (false, false);
            for p in &parts {
                let (s, _) = p.span.unwrap_or_default();
                if s > chars.len() {
                    gap = true;
                    chars.resize(s, ' ');
                }
                for (i, ch) in p.text.as_deref().unwrap_or_default().chars().enumerate() {
                    match chars.get(s + i) {
                        Some(&have) => disagree |= have != ch,
                        None => chars.push(ch),
                    }
                }
            }
            if gap {
                report.with_gaps.push(doc.to_owned());
            }
            if disagree {
                report.disagreeing.push(doc.to_owned());
            }
            chars.into_iter().collect()
        } else {
            parts
                .iter()
                .filter_map(|p| p.text.as_deref())
                .collect::<Vec<_>>()
                .join("\n\n")
        };
        let mut metadata = parts[0].metadata.clone();
        let mut take = |f: &Option<String>| {
            f.as_ref()
                .and_then(|f| metadata.remove(f))
                .as_ref()
                .and_then(scalar)
        };
        let updated_at = take(&fields.updated);
        let version = take(&fields.version);
        for f in &fields.drop {
            metadata.remove(f);
        }
        out.push(ExportedDocument {
            id: doc.to_owned(),
            text,
            updated_at,
            version,
            metadata,
        });
    }
    (out, report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(id: &str, doc: &str, span: Option<(usize, usize)>, text: &str) -> EngineHit {
        let mut metadata = serde_json::Map::new();
        metadata.insert("doc_id".into(), doc.into());
        metadata.insert("modified".into(), "2025-03-01".into());
        metadata.insert("rev".into(), 3.into());
        metadata.insert("team".into(), "billing".into());
        EngineHit {
            id: id.into(),
            doc: Some(doc.into()),
            span,
            text: Some(text.into()),
            metadata,
            ..EngineHit::default()
        }
    }

    #[test]
    fn chunks_are_stitched_at_their_offsets_with_dates_and_versions_mapped() {
        let fields = DocumentFields {
            updated: Some("modified".into()),
            version: Some("rev".into()),
            drop: vec!["doc_id".into()],
        };
        let rows = vec![
            chunk("b#1", "b", Some((4, 10)), "é fgh "),
            chunk("b#0", "b", Some((0, 6)), "abcdé "),
            chunk("a#2", "a", None, "second"),
            chunk("a#1", "a", None, "first"),
            chunk("c#0", "c", Some((0, 2)), "xy"),
            chunk("c#1", "c", Some((5, 7)), "zw"),
        ];
        let (docs, report) = documents(&rows, &fields);
        assert_eq!(
            docs.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(),
            ["a", "b", "c"]
        );
        assert_eq!(docs[0].text, "first\n\nsecond");
        // "abcdé " at 0 and "é fgh " at 4 overlap on "é ".
        assert_eq!(docs[1].text, "abcdé fgh ");
        assert_eq!(docs[2].text, "xy   zw");
        assert_eq!(report.with_gaps, ["c"]);
        assert!(report.disagreeing.is_empty() && report.without_text.is_empty());
        assert_eq!(docs[1].updated_at.as_deref(), Some("2025-03-01"));
        assert_eq!(docs[1].version.as_deref(), Some("3"));
        assert_eq!(docs[1].metadata.keys().collect::<Vec<_>>(), ["team"]);
        let rows = vec![
            chunk("d#0", "d", Some((0, 3)), "abc"),
            chunk("d#1", "d", Some((2, 4)), "Xd"),
        ];
        let (docs, report) = documents(&rows, &DocumentFields::default());
        assert_eq!(docs[0].text, "abcd");
        assert_eq!(report.disagreeing, ["d"]);
        assert_eq!(docs[0].updated_at, None);
        // Offsets far past any real document are not allocated: the chunks are joined.
        let far = 1_000_000_000_000_000;
        let rows = vec![
            chunk("e#0", "e", Some((0, 3)), "abc"),
            chunk("e#1", "e", Some((far, far + 2)), "yz"),
        ];
        let (docs, report) = documents(&rows, &DocumentFields::default());
        assert_eq!(docs[0].text, "abc\n\nyz");
        assert_eq!(report.beyond_limit, ["e"]);
    }
}
