//! Traces written by other tools' own code (scripts/fixtures/make_trace_fixtures.py) load into
//! the same records as the ragdiag trace of the same questions.

use ragdiag_core::{Query, TraceHit, TraceRecord};
use ragdiag_load::{
    detect_trace_format, load_corpus, load_queries, load_trace, load_trace_as, LoadOptions,
    TraceFile, TraceFormat, TraceOptions, UNLOCATED_DOC,
};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/traces")
        .join(name)
}

fn questions() -> Vec<Query> {
    load_queries(&fixture("questions.jsonl"), &LoadOptions::default())
        .unwrap()
        .items
}

fn expected() -> Vec<TraceRecord> {
    load_trace(&fixture("ragdiag.trace.jsonl"), &LoadOptions::default())
        .unwrap()
        .items
}

fn load(name: &str, opts: &TraceOptions<'_>) -> TraceFile {
    let (t, warnings) = load_warned(name, opts);
    assert!(warnings.is_empty(), "{name}: {warnings:?}");
    t
}

fn load_warned(name: &str, opts: &TraceOptions<'_>) -> (TraceFile, Vec<String>) {
    let docs = load_corpus(&root().join("corpora/tallyfox"), &LoadOptions::default())
        .unwrap()
        .items;
    let mut t = load_trace_as(&fixture(name), opts, &LoadOptions::default())
        .unwrap()
        .items;
    let warnings = t.locate(&docs);
    (
        t,
        warnings.items().iter().map(ToString::to_string).collect(),
    )
}

/// What a format can carry: without scores, latency or tokens when `full` is false.
fn comparable(r: &TraceRecord, full: bool) -> TraceRecord {
    let hit = |h: &TraceHit| TraceHit {
        score: h.score.filter(|_| full),
        ..h.clone()
    };
    TraceRecord {
        query_id: r.query_id.clone(),
        retrieved: r.retrieved.iter().map(hit).collect(),
        candidates: r
            .candidates
            .as_ref()
            .filter(|_| full)
            .map(|c| c.iter().map(hit).collect()),
        answer: r.answer.clone(),
        latency_ms: r.latency_ms.filter(|_| full),
        prompt_tokens: r.prompt_tokens.filter(|_| full),
        completion_tokens: r.completion_tokens.filter(|_| full),
        origin: ragdiag_core::Location::default(),
    }
}

fn same(got: &[TraceRecord], full: bool) {
    let want: Vec<TraceRecord> = expected().iter().map(|r| comparable(r, full)).collect();
    let got: Vec<TraceRecord> = got.iter().map(|r| comparable(r, full)).collect();
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g, w, "{}", w.query_id);
    }
}

#[test]
fn formats_are_detected() {
    for (name, f) in [
        ("ragdiag.trace.jsonl", TraceFormat::Ragdiag),
        ("openinference.jsonl", TraceFormat::OpenInference),
        ("phoenix.parquet", TraceFormat::OpenInference),
        ("otlp.json", TraceFormat::Otel),
        ("ragas.jsonl", TraceFormat::Ragas),
        ("ragchecker.json", TraceFormat::RagChecker),
    ] {
        assert_eq!(detect_trace_format(&fixture(name)).unwrap(), f, "{name}");
    }
}

#[test]
fn openinference_spans_match_the_ragdiag_trace() {
    let qs = questions();
    // By the root span's input text.
    let by_text = load(
        "openinference.jsonl",
        &TraceOptions {
            questions: &qs,
            ..TraceOptions::default()
        },
    );
    assert_eq!(by_text.format, TraceFormat::OpenInference);
    assert!(by_text.questions.is_none());
    same(&by_text.records, true);
    // q006 went through the reranker: the retriever's hits are its candidates.
    let q6 = &by_text.records[5];
    assert_eq!(q6.retrieved.len(), 10);
    assert_eq!(q6.candidates.as_ref().map(Vec::len), Some(12));
    // By a metadata key, without the questions.
    let by_key = load(
        "openinference.jsonl",
        &TraceOptions {
            query_id_key: Some("query_id"),
            ..TraceOptions::default()
        },
    );
    same(&by_key.records, true);
    // Neither: the trace ids stand in.
    let raw = load("openinference.jsonl", &TraceOptions::default());
    assert!(raw.records.iter().all(|r| r.query_id.starts_with("0x")));
}

#[test]
fn phoenix_parquet_matches_the_ragdiag_trace() {
    // Phoenix keeps the attributes nested (`attributes.retrieval` a struct of lists of structs).
    let qs = questions();
    let t = load(
        "phoenix.parquet",
        &TraceOptions {
            questions: &qs,
            ..TraceOptions::default()
        },
    );
    same(&t.records, true);
    let by_key = load(
        "phoenix.parquet",
        &TraceOptions {
            query_id_key: Some("query_id"),
            ..TraceOptions::default()
        },
    );
    same(&by_key.records, true);
}

#[test]
fn otlp_json_matches_the_ragdiag_trace() {
    let qs = questions();
    let t = load(
        "otlp.json",
        &TraceOptions {
            questions: &qs,
            ..TraceOptions::default()
        },
    );
    assert_eq!(t.format, TraceFormat::Otel);
    same(&t.records, true);
}

#[test]
fn ragas_dataset_matches_and_carries_questions() {
    // Without questions: ids are generated, the texts and answers come from the file.
    let (t, _) = load_warned("ragas.jsonl", &TraceOptions::default());
    let carried = t.questions.as_ref().unwrap();
    let qs = questions();
    assert_eq!(carried.len(), qs.len());
    for (c, q) in carried.iter().zip(&qs) {
        assert_eq!(c.text, q.text);
        assert_eq!(c.reference_answers.first(), q.reference_answers.first());
        // Every reference context is a gold quote, located in its document.
        let gold: Vec<_> = q.evidence.iter().map(ragdiag_core::Evidence::doc).collect();
        let found: Vec<_> = c.evidence.iter().map(ragdiag_core::Evidence::doc).collect();
        assert_eq!(found, gold, "{}", q.id);
    }
    assert_eq!(t.records[0].query_id, "ragas-1");
    // With the questions, their ids; hits located by their text alone. Two of the texts (in q005)
    // are in two documents each: a warning says so, and the first in corpus order is taken,
    // which here is the document the demo trace names.
    let (t, warnings) = load_warned(
        "ragas.jsonl",
        &TraceOptions {
            questions: &qs,
            ..TraceOptions::default()
        },
    );
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("ragas.jsonl:5: retrieved[2]: 2 hit text(s) without a document id are in several documents"),
        "{warnings:?}"
    );
    same(&t.records, false);
}

#[test]
fn ragchecker_input_matches_and_carries_questions() {
    let t = load("ragchecker.json", &TraceOptions::default());
    assert_eq!(t.format, TraceFormat::RagChecker);
    same(&t.records, false);
    let carried = t.questions.unwrap();
    assert_eq!(carried[0].id, "q001");
    assert_eq!(carried[0].reference_answers, vec!["$39".to_owned()]);
}

#[test]
fn text_found_nowhere_is_an_unknown_document_with_one_warning() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("r.jsonl");
    std::fs::write(
        &p,
        concat!(
            r#"{"user_input":"a","retrieved_contexts":["zebra quokka marmot llama","more zebra quokka text here"],"response":"x"}"#,
            "\n",
            r#"{"user_input":"b","contexts":["zebra quokka marmot alpaca"]}"#,
            "\n"
        ),
    )
    .unwrap();
    let docs = load_corpus(&root().join("corpora/tallyfox"), &LoadOptions::default())
        .unwrap()
        .items;
    let mut t = load_trace_as(&p, &TraceOptions::default(), &LoadOptions::default())
        .unwrap()
        .items;
    let w = t.locate(&docs);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w.items()[0].to_string().contains("3 hit text(s)"), "{w:?}");
    assert!(t
        .records
        .iter()
        .flat_map(|r| &r.retrieved)
        .all(|h| h.doc == UNLOCATED_DOC));
}

#[test]
fn malformed_records_are_located() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&str, &str, Option<TraceFormat>, &str)] = &[
        (
            "a.jsonl",
            "{\"user_input\":\"a\",\"retrieved_contexts\":\"one\"}\n",
            None,
            "a.jsonl:1: retrieved_contexts: expected a list of strings, found a string",
        ),
        (
            "b.jsonl",
            "{\"user_input\":\"a\",\"contexts\":[\"x\"]}\n{\"question\":\"b\",\"contexts\":[3.5, {}]}\n",
            None,
            "b.jsonl:2: contexts[1]: expected a string, found an object",
        ),
        (
            "c.json",
            r#"{"results":[{"query_id":"q1","query":"a","retrieved_context":[{"doc_id":"d","text":"t"}]},{"query_id":"q2","query":"b","retrieved_context":[{"text":7}]}]}"#,
            None,
            "c.json: results[1].retrieved_context[0].text: expected a string, found a number",
        ),
        (
            "d.json",
            r#"{"results":[{"query":"a","retrieved_context":[]}, {"query_id":"q 2","query":"b","retrieved_context":[]}]}"#,
            None,
            "d.json: results[1].query_id: contains whitespace",
        ),
        (
            "e.jsonl",
            "{\"context\":{\"trace_id\":\"t1\",\"span_id\":\"s1\"},\"attributes\":{\"openinference.span.kind\":\"RETRIEVER\",\"retrieval.documents.0.document.score\":0.5}}\n",
            None,
            "e.jsonl:1: attributes.retrieval.documents.0.document: neither document.id nor document.content",
        ),
        (
            "f.jsonl",
            "{\"context\":{\"trace_id\":\"t1\"}}\n{\"name\":\"x\",\"attributes\":{}}\n",
            Some(TraceFormat::OpenInference),
            "f.jsonl:2: context.trace_id: missing required field",
        ),
        (
            "g.json",
            r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"t","attributes":[{"key":"llm.token_count.prompt","value":{"intValue":"many"}}]}]}]}]}"#,
            None,
            "g.json: resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value: intValue \"many\" is not an integer",
        ),
        (
            "h.json",
            r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"spanId":"s"}]}]}]}"#,
            None,
            "h.json: resourceSpans[0].scopeSpans[0].spans[0].traceId: missing required field",
        ),
        (
            "i.jsonl",
            "{\"query_id\":\"q\",\"retrieved\":[],\"user_input\":\"a\",\"contexts\":[]}\n",
            None,
            "cannot tell the trace format: the first record matches ragdiag and ragas",
        ),
        (
            "j.jsonl",
            "{\"id\":\"q\",\"text\":\"a question\"}\n",
            None,
            "matches none of: ragdiag (query_id + retrieved), openinference",
        ),
        (
            "k.jsonl",
            "not json at all\n",
            None,
            "formats considered: ragdiag",
        ),
        (
            "l.jsonl",
            "{\"user_input\":\"a\",\"contexts\":[\"x\"]}\n",
            Some(TraceFormat::RagChecker),
            "l.jsonl: results: missing required field",
        ),
        (
            "l2.jsonl",
            "{\"user_input\":\"a\",\"contexts\":[\"x\"]}\n{\"user_input\":\"b\",\"contexts\":[\"y\"]}\n",
            Some(TraceFormat::RagChecker),
            "l2.jsonl:2: invalid JSON",
        ),
        (
            "m.jsonl",
            "{\"user_input\":\"a\",\"contexts\":[\"x\"]}\n",
            Some(TraceFormat::Otel),
            "m.jsonl: resourceSpans: missing required field",
        ),
    ];
    for (name, text, format, expected) in cases {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        let opts = TraceOptions {
            format: *format,
            ..TraceOptions::default()
        };
        let e = load_trace_as(&p, &opts, &LoadOptions::default())
            .map(|_| ())
            .unwrap_err()
            .to_string();
        assert!(e.contains(expected), "{name}: {e}\n  expected: {expected}");
    }
}

#[test]
fn gen_ai_attributes_give_answer_and_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("g.json");
    std::fs::write(
        &p,
        r#"{"resourceSpans":[{"scopeSpans":[{"spans":[
          {"traceId":"abc","spanId":"1","startTimeUnixNano":"1000000000","endTimeUnixNano":"1250000000","attributes":[{"key":"input.value","value":{"stringValue":"What  is it?"}}]},
          {"traceId":"abc","spanId":"2","parentSpanId":"1","startTimeUnixNano":"1100000000","endTimeUnixNano":"1200000000","attributes":[
            {"key":"gen_ai.operation.name","value":{"stringValue":"chat"}},
            {"key":"gen_ai.usage.input_tokens","value":{"intValue":"120"}},
            {"key":"gen_ai.usage.output_tokens","value":{"intValue":7}},
            {"key":"gen_ai.completion.0.content","value":{"stringValue":"It is this."}}]}]}]}]}"#,
    )
    .unwrap();
    let qs = vec![Query {
        id: "q9".into(),
        text: "What is it?".into(),
        ..Query::default()
    }];
    let t = load_trace_as(
        &p,
        &TraceOptions {
            questions: &qs,
            ..TraceOptions::default()
        },
        &LoadOptions::default(),
    )
    .unwrap()
    .items;
    let r = &t.records[0];
    assert_eq!(r.query_id, "q9");
    assert_eq!(r.answer.as_deref(), Some("It is this."));
    assert_eq!(r.prompt_tokens, Some(120.0));
    assert_eq!(r.completion_tokens, Some(7.0));
    assert_eq!(r.latency_ms, Some(250.0));
    assert!(r.retrieved.is_empty());
}

#[test]
fn a_json_root_input_names_its_question_by_a_string_field() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("j.jsonl");
    let line = serde_json::json!({
        "context": {"trace_id": "t", "span_id": "r"},
        "attributes": {"input.value": "{\"question\": \"How  much is Growth?\", \"k\": 5}"}
    });
    std::fs::write(&p, format!("{line}\n")).unwrap();
    let qs = vec![Query {
        id: "q1".into(),
        text: "How much is Growth?".into(),
        ..Query::default()
    }];
    let opts = TraceOptions {
        questions: &qs,
        ..TraceOptions::default()
    };
    let t = load_trace_as(&p, &opts, &LoadOptions::default())
        .unwrap()
        .items;
    assert_eq!(t.records[0].query_id, "q1");
}

#[test]
fn gen_ai_output_messages_as_a_json_string_give_the_answer() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("m.json");
    let messages = r#"[{"role":"assistant","parts":[{"type":"text","content":"Thirty days."}]}]"#;
    let request = serde_json::json!({"resourceSpans": [{"scopeSpans": [{"spans": [{
        "traceId": "t", "spanId": "1",
        "attributes": [
            {"key": "gen_ai.operation.name", "value": {"stringValue": "chat"}},
            {"key": "gen_ai.output.messages", "value": {"stringValue": messages}}
        ]
    }]}]}]});
    std::fs::write(&p, request.to_string()).unwrap();
    let t = load_trace_as(&p, &TraceOptions::default(), &LoadOptions::default())
        .unwrap()
        .items;
    assert_eq!(t.records[0].answer.as_deref(), Some("Thirty days."));
}

#[test]
fn nested_document_lists_read_like_flattened_keys() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("n.jsonl");
    std::fs::write(
        &p,
        concat!(
            r#"{"context.trace_id":"t","context.span_id":"a","span_kind":"RETRIEVER","attributes.retrieval.documents":[{"document.id":"d1","document.score":0.9,"document.content":"x"},{"document":{"id":"d2","score":0.5}}]}"#,
            "\n"
        ),
    )
    .unwrap();
    let t = load_trace_as(&p, &TraceOptions::default(), &LoadOptions::default())
        .unwrap()
        .items;
    let docs: Vec<(&str, Option<f64>)> = t.records[0]
        .retrieved
        .iter()
        .map(|h| (h.doc.as_str(), h.score))
        .collect();
    assert_eq!(docs, vec![("d1", Some(0.9)), ("d2", Some(0.5))]);
}

#[test]
fn edited_text_is_located_by_its_shingles() {
    let docs = load_corpus(&root().join("corpora/tallyfox"), &LoadOptions::default())
        .unwrap()
        .items;
    let d = docs
        .iter()
        .find(|d| d.id == "billing-refund-policy")
        .unwrap();
    // Forty words of the document with one word changed: not verbatim, most shingles held.
    let words: Vec<&str> = d.text.split_whitespace().take(40).collect();
    let mut edited = words.clone();
    edited[20] = "zzzz";
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("e.jsonl");
    let line = serde_json::json!({"user_input": "q", "retrieved_contexts": [edited.join(" ")]});
    std::fs::write(&p, format!("{line}\n")).unwrap();
    let mut t = load_trace_as(&p, &TraceOptions::default(), &LoadOptions::default())
        .unwrap()
        .items;
    let w = t.locate(&docs);
    assert_eq!(t.records[0].retrieved[0].doc, "billing-refund-policy");
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w.items()[0]
            .to_string()
            .contains("e.jsonl:1: retrieved[0]: 1 hit text(s)")
            && w.items()[0].to_string().contains("word 3-shingles"),
        "{w:?}"
    );
}

#[test]
fn a_reranker_without_a_retriever_span_ranks_its_input_as_candidates() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("r.jsonl");
    std::fs::write(
        &p,
        concat!(
            r#"{"context":{"trace_id":"t","span_id":"r"},"parent_id":null,"start_time":"2026-01-01T00:00:00Z","end_time":"2026-01-01T00:00:01.5Z","attributes":{"openinference.span.kind":"CHAIN","input.value":"q","output.value":"root answer"}}"#,
            "\n",
            r#"{"context":{"trace_id":"t","span_id":"k"},"parent_id":"r","attributes":{"openinference.span.kind":"RERANKER","reranker.input_documents.0.document.id":"a","reranker.input_documents.1.document.id":"b","reranker.output_documents.0.document.id":"b"}}"#,
            "\n"
        ),
    )
    .unwrap();
    let t = load_trace_as(&p, &TraceOptions::default(), &LoadOptions::default())
        .unwrap()
        .items;
    let r = &t.records[0];
    let ids = |h: &[TraceHit]| h.iter().map(|h| h.doc.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&r.retrieved), ["b"]);
    assert_eq!(ids(r.candidates.as_deref().unwrap()), ["a", "b"]);
    assert_eq!(r.answer.as_deref(), Some("root answer"));
    assert_eq!(r.latency_ms, Some(1500.0));
}

mod no_panic {
    use super::*;
    use proptest::prelude::*;

    fn json_value() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::from),
            any::<i64>().prop_map(serde_json::Value::from),
            any::<i128>().prop_map(|x| serde_json::Value::from(x.to_string())),
            any::<f64>().prop_map(|x| serde_json::json!(x)),
            "[a-z0-9 .]{0,8}".prop_map(serde_json::Value::from),
        ];
        let keys = prop_oneof![
            Just("context".to_owned()),
            Just("trace_id".to_owned()),
            Just("attributes".to_owned()),
            Just("resourceSpans".to_owned()),
            Just("scopeSpans".to_owned()),
            Just("spans".to_owned()),
            Just("traceId".to_owned()),
            Just("key".to_owned()),
            Just("value".to_owned()),
            Just("intValue".to_owned()),
            Just("retrieval.documents.0.document.id".to_owned()),
            Just("user_input".to_owned()),
            Just("retrieved_contexts".to_owned()),
            Just("results".to_owned()),
            Just("query_id".to_owned()),
            Just("query".to_owned()),
            Just("retrieved_context".to_owned()),
            Just("retrieved".to_owned()),
            Just("start_time".to_owned()),
            Just("end_time".to_owned()),
            Just("parent_id".to_owned()),
            Just("llm.output_messages".to_owned()),
            "[a-z_.]{1,6}",
        ];
        leaf.prop_recursive(4, 48, 6, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
                prop::collection::btree_map(keys.clone(), inner, 0..5)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn any_json_in_any_declared_format_never_panics(
            values in prop::collection::vec(json_value(), 1..4),
            as_lines in any::<bool>(),
            format in prop::option::of(prop::sample::select(TraceFormat::ALL.to_vec())),
        ) {
            let dir = tempfile::tempdir().unwrap();
            let p = dir.path().join("t.json");
            let text = if as_lines {
                values.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
            } else {
                values[0].to_string()
            };
            std::fs::write(&p, text).unwrap();
            let opts = TraceOptions { format, query_id_key: Some("query_id"), ..TraceOptions::default() };
            for skip_invalid in [false, true] {
                if let Ok(l) = load_trace_as(&p, &opts, &LoadOptions { skip_invalid }) {
                    let mut t = l.items;
                    let _ = t.locate(&[]);
                }
            }
        }
    }
}

#[test]
fn a_parquet_trace_the_decoder_panics_on_is_an_error() {
    // `damaged-levels.parquet` is phoenix.parquet as the `trace` fuzz target damaged it: the
    // parquet crate panics reading its definition levels (`offset + len out of bounds`).
    for format in [None, Some(TraceFormat::OpenInference)] {
        let e = load_trace_as(
            &fixture("damaged-levels.parquet"),
            &TraceOptions {
                format,
                ..TraceOptions::default()
            },
            &LoadOptions::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("damaged-levels.parquet: corrupt Parquet data: the decoder failed"),
            "{e}"
        );
    }
}
