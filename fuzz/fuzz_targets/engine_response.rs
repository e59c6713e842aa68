//! An engine's answer as the generic HTTP adapter maps it (`--engine FILE`). The first byte
//! picks the mapping: a columnar answer shaped like Chroma's, a row answer shaped like
//! Typesense's, a plain row answer, or a fuzzed `--engine` file (the input up to its first NUL
//! byte; the answer follows). Properties: the settings load or fail with a message naming the
//! file; an answer gives hits or `Malformed` naming the engine, never a credential; every hit
//! has an id, a finite score, its document when a document field is set, and offsets with
//! `start < end`; hits stored in the response cache read back identical; the document ranking
//! keeps each document once, in order, scores not rising; located hits lie inside their
//! documents, and a hit outside the corpus is a warning naming the engine.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ragdiag_core::Document;
use ragdiag_engine::cache::Cache;
use ragdiag_engine::config::Kind;
use ragdiag_engine::items::{doc_ranking, retrieved_items};
use ragdiag_engine::{Engine, EngineError, EngineHit, Request};
use ragdiag_fuzz::{check_span, scratch_subdir, write_scratch};
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

/// The credential every fixed mapping sends; it must never appear in an error or identity.
const SECRET: &str = "sekret-token-4711";

const COLUMNAR: &str = r#"
url = "http://127.0.0.1:9/api/v2/collections/c/query"
body = '{"query_embeddings": [{{embedding}}], "n_results": {{k}}}'
doc_field = "doc_id"
start_field = "start"
end_field = "end"
[headers]
Authorization = "Bearer sekret-token-4711"
[response]
id = "/ids/0"
score = "/distances/0"
score_is_distance = true
text = "/documents/0"
metadata = "/metadatas/0"
error = "/error"
"#;

const ROWS: &str = r#"
[engine]
url = "http://user:sekret-token-4711@127.0.0.1:9/multi_search?key=sekret-token-4711"
body = '{"searches": [{"q": {{query}}, "per_page": {{k}}}]}'
doc_field = "doc_id"
chunk_field = "chunk"
start_field = "start"
end_field = "end"
[engine.headers]
X-API-KEY = "sekret-token-4711"
[engine.response]
hits = "/results/0/hits"
id = "/document/id"
score = "/vector_distance"
score_is_distance = true
text = "/document/text"
metadata = "/document"
error = "/results/0/error"
"#;

const PLAIN: &str = r#"
url = "http://127.0.0.1:9/search"
method = "GET"
[headers]
Authorization = "sekret-token-4711"
[response]
hits = "/hits"
id = "/id"
score = "/score"
"#;

fn corpus() -> &'static Vec<Document> {
    static DOCS: OnceLock<Vec<Document>> = OnceLock::new();
    DOCS.get_or_init(|| {
        [
            (
                "d1",
                "Héllo wörld: the cache is rebuilt when its file is truncated.",
            ),
            ("d2", "Ünïcode ✓ text\twith tabs and a final sigma: ΟΔΟΣ."),
            ("7", "An integer id."),
        ]
        .into_iter()
        .map(|(id, text)| Document {
            id: id.into(),
            text: text.into(),
            ..Document::default()
        })
        .collect()
    })
}

fn cache() -> &'static Cache {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    CACHE.get_or_init(|| Cache::new(scratch_subdir("engine-cache")))
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let (config, body, fixed) = match selector % 4 {
        0 => (COLUMNAR.as_bytes(), rest, true),
        1 => (ROWS.as_bytes(), rest, true),
        2 => (PLAIN.as_bytes(), rest, true),
        _ => match rest.iter().position(|&b| b == 0) {
            Some(i) => (&rest[..i], &rest[i + 1..], false),
            None => (rest, &b""[..], false),
        },
    };
    let path = write_scratch("engine.toml", config);
    let settings = match ragdiag::fuzzing::engine_config(&path) {
        Ok(s) => s,
        Err(e) => {
            assert!(!fixed, "a fixed mapping does not load: {e:#}");
            let msg = format!("{e:#}");
            assert!(
                msg.starts_with(&path.display().to_string()),
                "the error does not name the file: {msg}"
            );
            return;
        }
    };
    // Chroma's preset asks the server for the collection's id when it is built: no network
    // here.
    if settings.kind == Kind::Chroma {
        return;
    }
    let engine = match settings.build() {
        Ok(e) => e,
        Err(e) => {
            assert!(!fixed, "a fixed mapping does not build: {e}");
            assert!(matches!(e, EngineError::Request(_)), "{e:?}");
            assert!(!e.to_string().trim().is_empty());
            return;
        }
    };
    let identity = engine.identity();
    if fixed {
        assert!(
            !identity.contains(SECRET),
            "identity shows a credential: {identity}"
        );
    }
    let hits = match engine.parse_answer(body) {
        Ok(h) => h,
        Err(e) => {
            let EngineError::Malformed { url, reason } = &e else {
                panic!("an answer's fault is not Malformed: {e:?}");
            };
            assert!(!reason.trim().is_empty(), "{e:?}");
            // No user information (an `@` in the authority) and no query or fragment; an `@`
            // in the path is no credential.
            let rest = url.split_once("://").map_or(url.as_str(), |(_, r)| r);
            let authority = rest.split('/').next().unwrap_or("");
            assert!(
                !authority.contains('@') && !url.contains(['?', '#']),
                "{url}"
            );
            if fixed {
                assert!(
                    !e.to_string().contains(SECRET),
                    "error shows a credential: {e}"
                );
            }
            return;
        }
    };
    for (i, h) in hits.iter().enumerate() {
        assert!(!h.id.is_empty(), "hit {i} without an id: {h:?}");
        assert!(h.score.map_or(true, f64::is_finite), "{h:?}");
        if settings.doc_field.is_some() {
            assert!(h.doc.as_deref().is_some_and(|d| !d.is_empty()), "{h:?}");
        }
        if let Some((s, e)) = h.span {
            assert!(s < e, "{h:?}");
        }
    }

    // The response cache stores hits as this JSON: they read back identical. (Through the
    // cache itself once per process: its writes are synced, too slow for every input.)
    let stored = serde_json::to_vec(&hits).expect("hits serialise");
    let back: Vec<EngineHit> = serde_json::from_slice(&stored).expect("stored hits parse");
    assert_eq!(back, hits, "hits read back from the cache's JSON differ");
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let request = Request {
            id: "q".into(),
            text: String::from_utf8_lossy(body).into_owned(),
            embedding: None,
            k: hits.len(),
        };
        let key = Cache::key(&identity, &request);
        cache().put(&key, &hits).expect("cache write");
        assert_eq!(cache().get(&key), Ok(Some(hits.clone())), "cache read back");
    });

    let ranking = doc_ranking("q", &hits, 5);
    assert!(ranking.docs.len() <= 5);
    let mut seen = HashSet::new();
    for (doc, _) in &ranking.docs {
        assert!(seen.insert(doc.as_str()), "document {doc} ranked twice");
        assert!(hits.iter().any(|h| h.doc_id() == doc));
    }
    assert!(
        ranking.docs.windows(2).all(|w| w[0].1 >= w[1].1),
        "scores rise down the ranking: {:?}",
        ranking.docs
    );

    let docs: HashMap<&str, &Document> = corpus().iter().map(|d| (d.id.as_str(), d)).collect();
    let (items, warnings) = retrieved_items("engine", "q", &hits, &docs);
    assert_eq!(items.len(), hits.len());
    for (item, hit) in items.iter().zip(&hits) {
        assert_eq!(item.doc, hit.doc_id());
        match (docs.get(item.doc.as_str()), item.span) {
            (Some(d), Some((s, e))) => check_span(&d.text, s, e, "located hit"),
            (None, Some(_)) => panic!("a hit outside the corpus has a span: {item:?}"),
            _ => {}
        }
    }
    for w in warnings.items() {
        assert_eq!(w.location.path.to_str(), Some("engine"), "{w}");
    }
});
