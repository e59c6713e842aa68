//! [`compare_with_reference`]: an embedder against reference vectors computed elsewhere.

use crate::{cosine, Embedder, Error, Result};
use std::path::Path;

/// The lowest cosine accepted against `int8_onnx` vectors (the same model files run by
/// onnxruntime's Python API): only float rounding may differ.
pub const INT8_ONNX_MIN_COSINE: f64 = 0.9999;
/// The lowest cosine accepted against `fp32_sentence_transformers` vectors (the original fp32
/// model run by sentence-transformers): the int8 weights cost a little.
pub const FP32_MIN_COSINE: f64 = 0.999;

/// One text of a reference comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct ReferenceRow {
    /// The text.
    pub text: String,
    /// Cosine with the `int8_onnx` vector.
    pub int8_onnx: f64,
    /// Cosine with the `fp32_sentence_transformers` vector, when the fixture has one.
    pub fp32: Option<f64>,
}

/// What [`compare_with_reference`] measured.
#[derive(Debug, Clone, PartialEq)]
pub struct ReferenceReport {
    /// The embedder's model id.
    pub model_id: String,
    /// One row a fixture line, in file order.
    pub rows: Vec<ReferenceRow>,
}

impl ReferenceReport {
    /// The lowest cosine with the `int8_onnx` vectors, and its row.
    #[must_use]
    pub fn min_int8_onnx(&self) -> Option<(f64, &ReferenceRow)> {
        self.rows
            .iter()
            .map(|r| (r.int8_onnx, r))
            .min_by(|a, b| a.0.total_cmp(&b.0))
    }

    /// The lowest cosine with the `fp32_sentence_transformers` vectors, and its row.
    #[must_use]
    pub fn min_fp32(&self) -> Option<(f64, &ReferenceRow)> {
        self.rows
            .iter()
            .filter_map(|r| Some((r.fp32?, r)))
            .min_by(|a, b| a.0.total_cmp(&b.0))
    }

    /// Whether every row reaches [`INT8_ONNX_MIN_COSINE`] and [`FP32_MIN_COSINE`].
    #[must_use]
    pub fn passes(&self) -> bool {
        !self.rows.is_empty()
            && self
                .min_int8_onnx()
                .is_some_and(|(c, _)| c >= INT8_ONNX_MIN_COSINE)
            && self.min_fp32().is_none_or(|(c, _)| c >= FP32_MIN_COSINE)
    }
}

/// Embeds the texts of a reference fixture and compares them with its vectors.
///
/// The fixture is JSONL, one object a line: `text` (string), `int8_onnx` (array of numbers),
/// optional `fp32_sentence_transformers` (array of numbers); vectors have the embedder's
/// dimension. The texts are embedded in one [`Embedder::embed_documents`] call, so the
/// comparison covers batching and length sorting.
///
/// # Errors
///
/// [`Error::Io`] when the file cannot be read, [`Error::Fixture`] when a line is malformed,
/// and the embedder's errors.
pub fn compare_with_reference(embedder: &dyn Embedder, path: &Path) -> Result<ReferenceReport> {
    let content = std::fs::read_to_string(path).map_err(|e| Error::io("reading", path, e))?;
    let mut texts = Vec::new();
    let mut int8 = Vec::new();
    let mut fp32 = Vec::new();
    for (i, line) in content
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let bad = |reason: String| Error::Fixture {
            path: path.to_owned(),
            line: i + 1,
            reason,
        };
        let value: serde_json::Value =
            serde_json::from_str(line).map_err(|e| bad(e.to_string()))?;
        let text = value["text"]
            .as_str()
            .ok_or_else(|| bad("text: missing or not a string".into()))?;
        let vector = |field: &str| -> Result<Option<Vec<f32>>> {
            let Some(v) = value.get(field) else {
                return Ok(None);
            };
            let numbers = v
                .as_array()
                .ok_or_else(|| bad(format!("{field}: not an array")))?
                .iter()
                .map(|x| x.as_f64().map(|f| f as f32))
                .collect::<Option<Vec<f32>>>()
                .ok_or_else(|| bad(format!("{field}: not all numbers")))?;
            if numbers.len() != embedder.dim() {
                return Err(bad(format!(
                    "{field}: {} values, the embedder has {} dimensions",
                    numbers.len(),
                    embedder.dim()
                )));
            }
            Ok(Some(numbers))
        };
        let reference = vector("int8_onnx")?.ok_or_else(|| bad("int8_onnx: missing".into()))?;
        fp32.push(vector("fp32_sentence_transformers")?);
        int8.push(reference);
        texts.push(text.to_owned());
    }
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let vectors = embedder.embed_documents(&refs)?;
    let rows = texts
        .into_iter()
        .zip(vectors)
        .zip(int8.iter().zip(&fp32))
        .map(|((text, v), (i8v, f32v))| ReferenceRow {
            text,
            int8_onnx: cosine(&v, i8v),
            fp32: f32v.as_ref().map(|r| cosine(&v, r)),
        })
        .collect();
    Ok(ReferenceReport {
        model_id: embedder.model_id().to_owned(),
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::HashEmbedder;

    #[test]
    fn compares_and_reports_the_worst_text() {
        let e = HashEmbedder::new(4);
        let good = e.embed_query("alpha").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ref.jsonl");
        let line = |text: &str, v: &[f32]| {
            serde_json::json!({"text": text, "int8_onnx": v, "fp32_sentence_transformers": v})
                .to_string()
        };
        std::fs::write(
            &path,
            format!("{}\n{}\n", line("alpha", &good), line("beta", &good)),
        )
        .unwrap();
        let report = compare_with_reference(&e, &path).unwrap();
        assert_eq!(report.rows.len(), 2);
        assert!((report.rows[0].int8_onnx - 1.0).abs() < 1e-6);
        let (min, row) = report.min_int8_onnx().unwrap();
        assert_eq!(row.text, "beta");
        assert!(min < 0.9999);
        assert!(!report.passes());

        std::fs::write(&path, line("alpha", &good)).unwrap();
        assert!(compare_with_reference(&e, &path).unwrap().passes());
    }

    #[test]
    fn malformed_lines_are_located() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ref.jsonl");
        std::fs::write(&path, "{\"text\": \"a\", \"int8_onnx\": [1, 2]}\n").unwrap();
        let err = compare_with_reference(&HashEmbedder::new(4), &path).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "{}:1: int8_onnx: 2 values, the embedder has 4 dimensions",
                path.display()
            )
        );
    }
}
