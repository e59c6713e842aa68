//! Property tests: highlighting never panics and marks exactly the clamped, merged ranges;
//! random summaries render without panicking and every figure matches its path.
#![allow(missing_docs)]

mod common;

use proptest::prelude::*;
use ragdiag_report::{
    highlight_html, normalize_ranges, render_html_json, render_markdown_json, QuestionView,
    RetrievedView,
};
use serde_json::{Map, Value};

/// Snippets mixing ASCII, markup characters and multi-byte characters (2, 3 and 4 bytes).
fn snippet() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just('a'),
            Just(' '),
            Just('<'),
            Just('&'),
            Just('"'),
            Just('é'),
            Just('€'),
            Just('😀'),
            Just('\u{301}'),
            Just('\n')
        ],
        0..40,
    )
    .prop_map(|v| v.into_iter().collect())
}

fn ranges() -> impl Strategy<Value = Vec<(usize, usize)>> {
    proptest::collection::vec((0usize..60, 0usize..60), 0..6)
}

proptest! {
    #[test]
    fn highlighting_marks_the_merged_ranges(s in snippet(), rs in ranges()) {
        let len = s.chars().count();
        let norm = normalize_ranges(&rs, len);
        for w in norm.windows(2) {
            prop_assert!(w[0].1 < w[1].0, "not disjoint and separated: {norm:?}");
        }
        for &(a, b) in &norm {
            prop_assert!(a < b && b <= len);
        }
        // Exactly the code points covered by some clamped input range are covered.
        for i in 0..len {
            let want = rs.iter().any(|&(a, b)| a <= i && i < b.min(len));
            let got = norm.iter().any(|&(a, b)| a <= i && i < b);
            prop_assert_eq!(want, got);
        }
        let html = highlight_html(&s, &rs);
        prop_assert_eq!(html.matches("<mark>").count(), norm.len());
        prop_assert_eq!(html.replace("<mark>", "").replace("</mark>", ""), html_escape::encode_text(&s).into_owned());
        // Each mark holds exactly its range's text.
        let chars: Vec<char> = s.chars().collect();
        let mut rest = html.as_str();
        for &(a, b) in &norm {
            let start = rest.find("<mark>").unwrap() + 6;
            let end = rest.find("</mark>").unwrap();
            let inner: String = chars[a..b].iter().collect();
            let want = html_escape::encode_text(&inner).into_owned();
            prop_assert_eq!(&rest[start..end], want.as_str());
            rest = &rest[end + 7..];
        }
    }

    #[test]
    fn questions_with_any_highlights_render(s in snippet(), rs in ranges(), class in "[a-z_<>\"]{0,12}") {
        let q = QuestionView {
            class,
            text: s.clone(),
            retrieved: vec![RetrievedView { text: s, highlight: rs, ..RetrievedView::default() }],
            ..QuestionView::default()
        };
        let html = render_html_json(&serde_json::json!({}), std::slice::from_ref(&q));
        prop_assert!(html.ends_with("</html>\n"));
        let _ = render_markdown_json(&serde_json::json!({}), &[q]);
    }

    #[test]
    fn random_summaries_render_and_figures_match(summary in summary_value()) {
        let html = render_html_json(&summary, &[]);
        let _ = render_markdown_json(&summary, &[]);
        let mut rest = html.as_str();
        while let Some(at) = rest.find("data-figure=\"") {
            rest = &rest[at + 13..];
            let path_end = rest.find('"').unwrap();
            let path = html_escape::decode_html_entities(&rest[..path_end]).into_owned();
            let v_at = rest.find("data-value=\"").unwrap() + 12;
            let v_end = v_at + rest[v_at..].find('"').unwrap();
            let raw: f64 = rest[v_at..v_end].parse().unwrap();
            let want = common::resolve(&summary, &path).and_then(Value::as_f64);
            prop_assert_eq!(Some(raw), want, "{}", path);
        }
    }
}

/// Summaries built from the real keys with values of every type, nested a few levels.
fn summary_value() -> impl Strategy<Value = Value> {
    const KEYS: [&str; 24] = [
        "mode",
        "name",
        "headline",
        "questions",
        "metrics",
        "recall@10",
        "recall_curve",
        "classes",
        "ok",
        "flags",
        "freshness",
        "stale_hit_rate",
        "by_tag",
        "generation",
        "gates",
        "warnings",
        "provenance",
        "mean",
        "ci_lower",
        "ci_upper",
        "n",
        "k",
        "count",
        "a.b\\c",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-2.0f64..2.0).prop_map(|f| serde_json::json!(f)),
        any::<i64>().prop_map(|i| serde_json::json!(i)),
        "[a-z<&\" ]{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 6, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::vec((proptest::sample::select(&KEYS[..]), inner), 0..6).prop_map(
                |kv| {
                    Value::Object(
                        kv.into_iter()
                            .map(|(k, v)| (k.to_owned(), v))
                            .collect::<Map<_, _>>(),
                    )
                }
            ),
        ]
    })
}
