//! `export-corpus`'s stitching of an engine's stored chunks into documents: the input is JSONL,
//! one chunk a line (`{"id", "doc", "start", "end", "text"}`, any of them missing or of another
//! type). Properties: every document appears once, or is listed as having no text; a document
//! whose chunks all carry offsets that match their text is placed: each chunk's text is at its
//! offsets unless the document is listed as disagreeing, and the text ends at the furthest
//! chunk; otherwise every chunk's text is in the document; offsets past the limit are never
//! allocated (the document is listed, its chunks joined).
#![no_main]

use libfuzzer_sys::fuzz_target;
use ragdiag_engine::export::{documents, DocumentFields, MAX_PLACED_END};
use ragdiag_engine::EngineHit;
use std::collections::{BTreeMap, BTreeSet};

fn chunk(line: &[u8]) -> Option<EngineHit> {
    let v: serde_json::Value = serde_json::from_slice(line).ok()?;
    let offset = |k: &str| {
        v.get(k)
            .and_then(serde_json::Value::as_u64)
            .map(|n| n as usize)
    };
    let span = match (offset("start"), offset("end")) {
        (Some(s), Some(e)) if s < e => Some((s, e)),
        _ => None,
    };
    Some(EngineHit {
        id: v.get("id")?.as_str()?.to_owned(),
        doc: v.get("doc").and_then(|d| d.as_str()).map(str::to_owned),
        text: v.get("text").and_then(|t| t.as_str()).map(str::to_owned),
        span,
        ..EngineHit::default()
    })
}

fuzz_target!(|data: &[u8]| {
    let chunks: Vec<EngineHit> = data.split(|&b| b == b'\n').filter_map(chunk).collect();
    let (docs, report) = documents(&chunks, &DocumentFields::default());
    let mut by_doc: BTreeMap<&str, Vec<&EngineHit>> = BTreeMap::new();
    for c in &chunks {
        by_doc.entry(c.doc_id()).or_default().push(c);
    }
    let out: BTreeSet<&str> = docs.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(out.len(), docs.len(), "a document exported twice");
    for (doc, parts) in &by_doc {
        let without = report.without_text.iter().any(|d| d == doc);
        assert_eq!(
            without,
            parts.iter().all(|p| p.text.is_none()),
            "{doc}: listed without text wrongly"
        );
        assert_eq!(out.contains(doc), !without, "{doc}: lost or made up");
        if without {
            continue;
        }
        let text: Vec<char> = docs
            .iter()
            .find(|d| d.id == *doc)
            .expect("exported")
            .text
            .chars()
            .collect();
        let beyond = parts
            .iter()
            .any(|p| p.span.is_some_and(|(_, e)| e > MAX_PLACED_END));
        assert_eq!(
            beyond,
            report.beyond_limit.iter().any(|d| d == doc),
            "{doc}: the offset limit is not reported"
        );
        let placed = !beyond
            && parts.iter().all(|p| {
                p.span.is_some_and(|(s, e)| {
                    p.text.as_ref().is_some_and(|t| t.chars().count() == e - s)
                })
            });
        if placed {
            let end = parts.iter().filter_map(|p| p.span).map(|(_, e)| e).max();
            assert_eq!(
                Some(text.len()),
                end,
                "{doc}: the text does not end at the last chunk"
            );
            if !report.disagreeing.iter().any(|d| d == doc) {
                for p in parts {
                    let (s, e) = p.span.expect("placed");
                    let at: String = text[s..e].iter().collect();
                    assert_eq!(Some(&at), p.text.as_ref(), "{doc}: chunk {} moved", p.id);
                }
            }
        } else {
            let joined: String = text.iter().collect();
            for t in parts.iter().filter_map(|p| p.text.as_deref()) {
                assert!(joined.contains(t), "{doc}: a chunk's text is missing");
            }
        }
    }
});
