//! Tests of `render_html_json`: escaping, self-containment, figures against the summary, section
//! ids, tolerance of missing and ill-typed fields, the drill-down's order and highlighting.
#![allow(missing_docs)]

mod common;

use common::{resolve, sample_questions, sample_summary};
use ragdiag_report::{render_html_json, QuestionView, RetrievedView, SECTION_IDS};
use serde_json::{json, Value};

/// A start tag: its lower-cased name and attributes (values entity-decoded).
#[derive(Debug)]
struct Tag {
    name: String,
    attrs: Vec<(String, String)>,
}

/// Scans the start tags of the page. Text is escaped, so every `<` starts markup; `<style>`
/// content (CSS without `<`) is skipped by the same rule.
fn tags(html: &str) -> Vec<Tag> {
    let mut out = Vec::new();
    let b = html.as_bytes();
    let mut i = 0;
    while let Some(off) = html[i..].find('<') {
        i += off + 1;
        if html[i..].starts_with('/') || html[i..].starts_with('!') {
            continue;
        }
        let name_end = html[i..]
            .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
            .map_or(html.len(), |e| i + e);
        let name = html[i..name_end].to_ascii_lowercase();
        let mut attrs = Vec::new();
        let mut j = name_end;
        loop {
            while j < b.len() && (b[j] as char).is_whitespace() {
                j += 1;
            }
            if j >= b.len() || b[j] == b'>' || b[j] == b'/' {
                break;
            }
            let k_end = html[j..]
                .find(|c: char| c == '=' || c.is_whitespace() || c == '>')
                .map_or(html.len(), |e| j + e);
            let key = html[j..k_end].to_ascii_lowercase();
            j = k_end;
            let mut value = String::new();
            if b.get(j) == Some(&b'=') {
                j += 1;
                assert_eq!(b[j], b'"', "unquoted attribute {key} in <{name}>");
                let v_end = j + 1 + html[j + 1..].find('"').expect("closing quote");
                value = html_escape::decode_html_entities(&html[j + 1..v_end]).into_owned();
                j = v_end + 1;
            }
            attrs.push((key, value));
        }
        out.push(Tag { name, attrs });
    }
    out
}

fn figures(html: &str) -> Vec<(String, String)> {
    tags(html)
        .into_iter()
        .filter_map(|t| {
            let get = |k: &str| t.attrs.iter().find(|(a, _)| a == k).map(|(_, v)| v.clone());
            Some((
                get("data-figure")?,
                get("data-value").expect("data-value beside data-figure"),
            ))
        })
        .collect()
}

/// Every `data-figure` resolves in the summary to a number equal to its `data-value`.
fn check_figures(summary: &Value, html: &str) -> Vec<String> {
    let figs = figures(html);
    for (path, raw) in &figs {
        let v = resolve(summary, path).unwrap_or_else(|| panic!("{path} is not in the summary"));
        let want = v
            .as_f64()
            .unwrap_or_else(|| panic!("{path} is not a number: {v}"));
        let got: f64 = raw
            .parse()
            .unwrap_or_else(|_| panic!("{path}: bad data-value {raw}"));
        assert_eq!(got, want, "{path}");
    }
    figs.into_iter().map(|(p, _)| p).collect()
}

/// The paths of every number in a JSON value.
fn numeric_paths(v: &Value, prefix: &str, out: &mut Vec<String>) {
    let join = |k: &str| {
        let k = k.replace('\\', "\\\\").replace('.', "\\.");
        if prefix.is_empty() {
            k
        } else {
            format!("{prefix}.{k}")
        }
    };
    match v {
        Value::Number(_) => out.push(prefix.to_owned()),
        Value::Object(m) => m.iter().for_each(|(k, v)| numeric_paths(v, &join(k), out)),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, v)| numeric_paths(v, &join(&i.to_string()), out)),
        _ => {}
    }
}

fn assert_self_contained(html: &str) {
    const FORBIDDEN_TAGS: [&str; 14] = [
        "script", "img", "link", "iframe", "object", "embed", "base", "audio", "video", "source",
        "form", "image", "use", "frame",
    ];
    const FORBIDDEN_ATTRS: [&str; 7] = [
        "src",
        "srcset",
        "action",
        "formaction",
        "poster",
        "xlink:href",
        "background",
    ];
    for t in tags(html) {
        assert!(
            !FORBIDDEN_TAGS.contains(&t.name.as_str()),
            "<{}> in the page",
            t.name
        );
        for (k, v) in &t.attrs {
            assert!(
                !FORBIDDEN_ATTRS.contains(&k.as_str()),
                "{k}= on <{}>",
                t.name
            );
            assert!(!k.starts_with("on"), "event handler {k} on <{}>", t.name);
            if k == "href" {
                assert!(v.starts_with('#'), "href=\"{v}\" leaves the page");
            }
            if k == "style" {
                assert!(!v.contains("url("), "url() in a style attribute");
            }
        }
    }
    let style = &html[html.find("<style>").unwrap()..html.find("</style>").unwrap()];
    assert!(!style.contains("url(") && !style.contains("@import") && !style.contains("//"));
}

#[test]
fn every_figure_matches_the_summary_and_every_number_is_shown() {
    let summary = sample_summary();
    let html = render_html_json(&summary, &sample_questions());
    let shown = check_figures(&summary, &html);
    let mut all = Vec::new();
    numeric_paths(&summary, "", &mut all);
    let missing: Vec<&String> = all.iter().filter(|p| !shown.contains(p)).collect();
    assert!(
        missing.is_empty(),
        "numbers of summary.json not on the page: {missing:?}"
    );
    assert!(html.contains(r#"data-figure="metrics.recall@10.mean" data-value="0.78">78.0%</span>"#));
    assert!(html.contains(r#"data-figure="metrics.recall@10.ci_lower" data-value="0.7107">71.1</span>–<span data-figure="metrics.recall@10.ci_upper" data-value="0.843">84.3%</span>"#));
}

#[test]
fn sample_page_has_no_external_reference_at_all() {
    let html = render_html_json(&sample_summary(), &sample_questions());
    assert_self_contained(&html);
    assert!(!html.contains("http://") && !html.contains("https://"));
    assert!(!html.contains("src="));
}

#[test]
fn section_ids_are_present_once_and_in_order() {
    for summary in [sample_summary(), json!({}), json!({"mode": "replay"})] {
        let html = render_html_json(&summary, &sample_questions());
        let mut last = 0;
        for id in SECTION_IDS {
            let needle = format!("<section id=\"{id}\">");
            assert_eq!(html.matches(&needle).count(), 1, "{id}");
            let at = html.find(&needle).unwrap();
            assert!(at > last, "{id} out of order");
            last = at;
        }
    }
    // The headline is the first text of the page.
    let html = render_html_json(&sample_summary(), &[]);
    let body = &html[html.find("<main>").unwrap()..];
    assert!(body.find("Retrieval found the right source").unwrap() < body.find("<h2>").unwrap());
}

#[test]
fn strings_from_the_input_are_escaped() {
    let evil = "<script>alert('x')</script> & \"quoted\"";
    let summary = json!({
        "name": evil,
        "mode": evil,
        "headline": [evil, "<img src=https://evil.example/x.png onerror=alert(1)>"],
        "metrics": {"<b>m\"@10": {"mean": 0.5, "ci_lower": 0.4, "ci_upper": 0.6, "n": 3}},
        "classes": {"\"><script>": {"count": 2, "share": 0.5}},
        "flags": {"<i>flag": {"count": 1}},
        "by_tag": [{"tag": evil, "n": 1, "hit_rate": {"mean": 1.0}, "failures": 0}],
        "gates": [{"metric": evil, "op": "<script>", "threshold": 0.1, "value": 0.2, "passed": true}],
        "warnings": [evil, "see https://example.com/docs"],
        "provenance": {"command": evil, evil: evil}
    });
    let q = QuestionView {
        id: "q\"><script>".into(),
        text: "What is <script>alert(1)</script> & why?".into(),
        tags: vec![evil.into()],
        class: "\"><img src=x>".into(),
        flags: vec![evil.into()],
        reason: "`<doc>` ranked 1 & `x".into(),
        answer: Some(evil.into()),
        reference_answers: vec![evil.into()],
        retrieved: vec![RetrievedView {
            rank: 1,
            doc: "doc\" onmouseover=\"alert(1)".into(),
            title: Some(evil.into()),
            text: "He said \"hi\" <b>&amp; left</b> https://example.com".into(),
            stale: Some(true),
            stale_reason: Some(evil.into()),
            highlight: vec![(3, 12)],
            ..RetrievedView::default()
        }],
        metrics: [(evil.to_owned(), 0.5)].into_iter().collect(),
        ..QuestionView::default()
    };
    let html = render_html_json(&summary, &[q]);
    assert!(
        !html.to_ascii_lowercase().contains("<script"),
        "unescaped script tag"
    );
    assert!(!html.contains("<img") && !html.contains("<b>") && !html.contains("<i>"));
    assert!(html.contains("What is &lt;script&gt;alert(1)&lt;/script&gt; &amp; why?"));
    assert!(html.contains("He <mark>said \"hi\"</mark> &lt;b&gt;&amp;amp; left&lt;/b&gt;"));
    assert!(html.contains("<code>&lt;doc&gt;</code> ranked 1 &amp; `x"));
    assert_self_contained(&html);
    check_figures(&summary, &html);
    // The data-figure path of an odd key is escaped inside its attribute.
    assert!(html.contains(r#"data-figure="metrics.&lt;b&gt;m&quot;@10.mean""#));
}

#[test]
fn missing_and_ill_typed_fields_do_not_panic() {
    let odd = [
        json!({}),
        json!(null),
        json!([1, 2]),
        json!("summary"),
        json!({
            "schema_version": "one", "mode": 3, "name": ["x"], "headline": "not a list",
            "questions": [], "metrics": {"recall@10": 0.5, "ndcg@10": "high", "mrr": {"mean": null},
            "p@5": {"mean": 7.5, "ci_lower": "a"}},
            "recall_curve": [{"k": "ten", "mean": 0.5}, 3, {"k": 0, "mean": 2.0}, {"k": 10}],
            "classes": {"ok": 3, "stale_source": {"share": "x"}, "mystery": {"count": 1.5, "share": 1.7}},
            "flags": [1], "freshness": 1, "by_tag": {"a": 1}, "generation": {"correct": 0.5},
            "latency_ms": {"p50": -0.0}, "tokens": [], "gates": [{"passed": "yes"}, 7],
            "warnings": [1, null, {"a": 1}], "provenance": {"seed": 1e300, "x": {"y": [1]}}
        }),
    ];
    for summary in &odd {
        for questions in [vec![], sample_questions(), vec![QuestionView::default()]] {
            let html = render_html_json(summary, &questions);
            check_figures(summary, &html);
            assert_self_contained(&html);
            for id in SECTION_IDS {
                assert!(html.contains(&format!("<section id=\"{id}\">")));
            }
        }
    }
}

#[test]
fn failing_questions_come_first_grouped_by_class_and_ok_ones_are_folded() {
    let html = render_html_json(&sample_summary(), &sample_questions());
    let at = |s: &str| html.find(s).unwrap_or_else(|| panic!("{s} missing"));
    // Decision order: stale_source, retrieval_miss, ranking_miss; then no_label and ok.
    assert!(at(">q-017<") < at(">q-051<"));
    assert!(at(">q-051<") < at(">q-042<"));
    assert!(at(">q-042<") < at(">q-120<"));
    assert!(at(">q-120<") < at(">q-003<"));
    let ok_group = &html[at("id=\"qclass-ok\"")..];
    assert!(ok_group
        .trim_start_matches(|c| c != '<')
        .contains("<details>"));
    assert!(ok_group.find("<details>").unwrap() < ok_group.find(">q-003<").unwrap());
    let stale_group = &html[at("id=\"qclass-stale_source\"")..at("id=\"qclass-retrieval_miss\"")];
    assert!(!stale_group.contains("<details"));
    // Evidence is marked, stale hits badged, the window's end shown.
    assert!(html.contains(
        "Plans. <mark>Growth costs $39 per month and includes 3 users.</mark> Scale costs $119."
    ));
    assert!(html.contains("⚠ stale: superseded"));
    assert!(html.contains("end of the context window"));
    assert!(html.contains("<span class=\"rule\">Rule 5 · stale_version_in_window</span>"));
}

#[test]
fn replay_page_says_generation_was_not_assessed() {
    let mut summary = sample_summary();
    let m = summary.as_object_mut().unwrap();
    m.insert("mode".into(), json!("replay"));
    for k in ["generation", "latency_ms", "tokens"] {
        m.remove(k);
    }
    let html = render_html_json(&summary, &[]);
    let gen = &html[html.find("<section id=\"generation\">").unwrap()
        ..html.find("<section id=\"questions\">").unwrap()];
    assert!(gen.contains("trace mode only"));
}

#[test]
fn output_is_deterministic() {
    let a = render_html_json(&sample_summary(), &sample_questions());
    let b = render_html_json(&sample_summary(), &sample_questions());
    assert_eq!(a, b);
}

#[test]
fn question_views_round_trip_through_json_and_accept_query_id() {
    let qs = sample_questions();
    let text = serde_json::to_string(&qs).unwrap();
    let back: Vec<QuestionView> = serde_json::from_str(&text).unwrap();
    assert_eq!(qs, back);
    let loose: QuestionView = serde_json::from_value(json!({
        "query_id": "q9", "class": "ranking_miss", "rule": {"number": 8, "name": "below_window"}
    }))
    .unwrap();
    assert_eq!(loose.id, "q9");
    assert!(loose.is_failing());
}

#[test]
fn class_and_flag_words_colours_and_order_come_from_the_engine() {
    use ragdiag_diagnose::{Class, Flag};
    use ragdiag_report::{is_failing_class, render_markdown_json};
    let counts = |names: Vec<&str>| -> serde_json::Map<String, Value> {
        names
            .into_iter()
            .map(|n| (n.to_owned(), json!({"count": 1, "share": 0.1})))
            .collect()
    };
    let summary = json!({
        "classes": counts(Class::ALL.iter().rev().map(|c| c.as_str()).collect()),
        "flags": counts(Flag::ALL.iter().rev().map(|f| f.as_str()).collect()),
    });
    let questions: Vec<QuestionView> = Class::ALL
        .iter()
        .rev()
        .map(|c| QuestionView {
            id: format!("q-{c}"),
            class: c.as_str().into(),
            flags: Flag::ALL.iter().map(|f| f.as_str().into()).collect(),
            ..QuestionView::default()
        })
        .collect();
    let html = render_html_json(&summary, &questions);
    let md = render_markdown_json(&summary, &questions);
    for c in Class::ALL {
        assert!(html.contains(&format!(
            "<span class=\"badge\" style=\"border-color:{};background:{}\">{}</span>",
            c.colour(),
            c.tint(),
            c.label()
        )));
        assert!(html.contains(&format!("fill=\"{}\"", c.colour())), "{c}");
        assert!(html.contains(c.help()), "{c}");
        assert!(md.contains(&format!("| {} |", c.label())), "{c}");
        assert_eq!(is_failing_class(c.as_str()), c.is_failure());
    }
    assert!(is_failing_class("mystery"));
    for f in Flag::ALL {
        assert!(html.contains(&format!("<span class=\"flag\">{}</span>", f.label())));
        assert!(md.contains(&format!("| {} |", f.label())), "{f}");
    }
    assert!(html.contains(&format!(
        "--evidence: {}; --stale: {};",
        Class::Ok.colour(),
        Class::StaleSource.colour()
    )));
    // One order everywhere: the failures in Class::ALL's order, then the others (ok last).
    let order: Vec<Class> = Class::ALL
        .iter()
        .filter(|c| c.is_failure())
        .chain(Class::ALL.iter().filter(|c| !c.is_failure()))
        .copied()
        .collect();
    assert_eq!(order.last(), Some(&Class::Ok));
    let increasing = |page: &str, key: &dyn Fn(Class) -> String| {
        let at: Vec<usize> = order
            .iter()
            .map(|&c| page.find(&key(c)).unwrap_or_else(|| panic!("{c} missing")))
            .collect();
        assert!(at.windows(2).all(|w| w[0] < w[1]), "{order:?} at {at:?}");
    };
    increasing(&html, &|c| format!("data-figure=\"classes.{c}.count\""));
    increasing(&html, &|c| format!("id=\"qclass-{c}\""));
    increasing(&md, &|c| format!("| {} |", c.label()));
    let flag_at: Vec<usize> = Flag::ALL
        .iter()
        .map(|f| {
            html.find(&format!("<td><span class=\"flag\">{}", f.label()))
                .unwrap()
        })
        .collect();
    assert!(flag_at.windows(2).all(|w| w[0] < w[1]));
}

/// A large class draws only its most traffic-weighted questions (in input order), says how
/// many it holds and where the rest are; the page's size does not grow with the class.
#[test]
fn a_large_class_shows_its_heaviest_questions_and_says_so() {
    use ragdiag_report::SHOWN_PER_CLASS;
    let many = |n: usize| -> Vec<QuestionView> {
        (0..n)
            .map(|i| QuestionView {
                id: format!("q{i}"),
                class: "retrieval_miss".into(),
                // Every seventh question carries ten times the traffic.
                weight: Some(if i % 7 == 3 { 10.0 } else { 1.0 }),
                ..QuestionView::default()
            })
            .collect()
    };
    let summary = json!({});
    let html = render_html_json(&summary, &many(400));
    let drawn: Vec<usize> = (1..=400)
        .filter(|i| html.contains(&format!("<article class=\"q\" id=\"q-{i}\">")))
        .collect();
    assert_eq!(drawn.len(), SHOWN_PER_CLASS);
    // The heavy ones first (57 of them, more than the cap): all drawn are heavy, earliest first.
    assert!(drawn.iter().all(|i| (i - 1) % 7 == 3), "{drawn:?}");
    assert_eq!(drawn[0], 4);
    assert!(drawn.windows(2).all(|w| w[0] < w[1]));
    assert!(html.contains(&format!(
        "Showing the {SHOWN_PER_CLASS} most traffic-weighted of these 400 questions"
    )));
    // The jump list counts the whole class.
    assert!(
        html.contains("#qclass-retrieval_miss\">"),
        "jump link missing"
    );
    assert!(html.contains(" (400)</a>"));
    // A class at the cap is drawn whole, without the note.
    let small = render_html_json(&summary, &many(SHOWN_PER_CLASS));
    assert!(!small.contains("most traffic-weighted"));
    assert!(small.contains(&format!("id=\"q-{SHOWN_PER_CLASS}\"")));
    // 4,000 questions make a page no bigger than 400 do (within a few per cent).
    let big = render_html_json(&summary, &many(4000));
    assert!(
        big.len() < html.len() * 11 / 10,
        "{} vs {}",
        big.len(),
        html.len()
    );
}

/// Fix first and the reranker: on the page (every figure from the summary, ids and pages
/// escaped) and in report.md.
#[test]
fn fix_first_and_reranker_sections_show_the_summary() {
    use ragdiag_report::render_markdown_json;
    let share =
        |m: f64| json!({"mean": m, "ci_lower": m / 2.0, "ci_upper": (m * 2.0).min(1.0), "n": 40});
    let mut summary = sample_summary();
    summary["fix_first"] = json!([
        {"rank": 1, "kind": "retire_stale_page",
         "action": "Retire or redirect 1 superseded page that outranks its successor (`old<b>` → `new`): 2 failing questions.",
         "questions": 2, "weight": 3.5, "share": share(0.08), "queries": ["q<1>", "q2"],
         "pages": [{"page": "old<b>", "successor": "new", "queries": ["q<1>", "q2"]}]},
        {"rank": 2, "kind": "keep_evidence_whole", "action": "Keep evidence whole on 1 page.",
         "questions": 1, "weight": 1.0, "share": share(0.025), "queries": ["q3"], "chunk_words": 31,
         "pages": [{"page": "split", "chunk_words": 31, "chunk_chars": 190, "queries": ["q3"]}]}
    ]);
    let effect =
        |c: usize, m: f64, ids: &[&str]| json!({"count": c, "share": share(m), "queries": ids});
    summary["reranker"] = json!({
        "questions": 40, "context_k": 5,
        "helped": effect(3, 0.075, &["q1", "q<7>"]), "hurt": effect(2, 0.05, &["q9"]),
        "neutral": effect(35, 0.875, &[]),
        "comparisons": [{"baseline": "candidates", "report": "retrieved", "metric": "hit@5",
            "mean_baseline": 0.5, "mean": 0.525, "difference": 0.025, "ci_lower": -0.05,
            "ci_upper": 0.1, "n": 40, "p_randomization": 0.6, "p_bootstrap": 0.6, "p_holm": 0.9,
            "effect_size": 0.1, "wins": 3, "losses": 2, "ties": 35}]
    });
    let html = render_html_json(&summary, &sample_questions());
    let paths = check_figures(&summary, &html);
    assert_self_contained(&html);
    for p in [
        "fix_first.0.weight",
        "fix_first.0.share.mean",
        "fix_first.1.pages.0.chunk_words",
        "reranker.helped.count",
        "reranker.hurt.share.ci_upper",
        "reranker.comparisons.0.p_holm",
    ] {
        assert!(paths.iter().any(|x| x == p), "{p} not on the page");
    }
    assert!(html.contains("<code>old&lt;b&gt;</code> → <code>new</code>"));
    assert!(html.contains("<code>q&lt;7&gt;</code>") && !html.contains("q<7>"));
    let fix = html.find("<section id=\"fix-first\">").unwrap();
    assert!(fix < html.find("<section id=\"metrics\">").unwrap());
    let md = render_markdown_json(&summary, &sample_questions());
    assert!(md.contains("## Fix first") && md.contains("## Reranker"));
    assert!(md.contains("`old<b>` → `new`: `q<1>`, `q2`"), "{md}");
    assert!(
        md.contains("| hurt | 2 | 5.0% | 2.5–10.0% | `q9` |"),
        "{md}"
    );
    // Without the sections in the summary, the page says so and report.md leaves them out.
    let bare = render_html_json(&sample_summary(), &sample_questions());
    assert!(bare.contains("not assessed") && bare.contains("no fix-first list"));
    let md = render_markdown_json(&sample_summary(), &sample_questions());
    assert!(!md.contains("## Reranker"));
}

/// `generation.answers` is a count of assessed answers: shown as a count, never as a share.
#[test]
fn the_count_of_answers_is_not_a_percentage() {
    let mut summary = sample_summary();
    summary["generation"]["answers"] = json!(121);
    let html = render_html_json(&summary, &sample_questions());
    assert!(
        html.contains("data-figure=\"generation.answers\" data-value=\"121\">121</span>"),
        "{}",
        &html[html.find("id=\"generation\"").unwrap_or(0)..][..2000.min(html.len())]
    );
    assert!(!html.contains("12100"));
}
