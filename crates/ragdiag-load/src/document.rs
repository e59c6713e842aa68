//! A [`Document`] from one record, whatever the corpus format (JSONL line, front matter block,
//! Parquet row).

use crate::record::{type_name, Record};
use ragdiag_core::{Diagnostic, Diagnostics, Document};

/// Field names a corpus record may carry (a written Parquet corpus orders its columns by them).
pub(crate) const DOCUMENT_FIELDS: &[&str] = &[
    "id",
    "_id",
    "title",
    "text",
    "url",
    "source",
    "updated_at",
    "version",
    "supersedes",
    "valid_until",
    "deleted",
    "tags",
    "metadata",
];

/// Builds a document from one record. `text_override` supplies the body for front-matter files.
pub(crate) fn document_from_record(
    rec: &Record<'_>,
    text_override: Option<String>,
    default_id: Option<&str>,
    warnings: &mut Diagnostics,
) -> std::result::Result<Document, Diagnostic> {
    let id = match (rec.has("id") || rec.has("_id"), default_id) {
        (false, Some(d)) => d.to_string(),
        _ => rec.id(&["id", "_id"])?,
    };
    // Once the id is known, every finding about this record names it.
    let mut own = Diagnostics::default();
    let result = document_fields(rec, text_override, id.clone(), &mut own);
    let name = |mut d: Diagnostic| {
        d.reason.push_str(&format!(" (document {id:?})"));
        d
    };
    for d in own {
        warnings.push(name(d));
    }
    result.map_err(name)
}

fn document_fields(
    rec: &Record<'_>,
    text_override: Option<String>,
    id: String,
    warnings: &mut Diagnostics,
) -> std::result::Result<Document, Diagnostic> {
    let text = match text_override {
        Some(t) => {
            if rec.has("text") {
                warnings.warn(
                    rec.location().clone(),
                    "text",
                    "front matter `text` ignored; the body is the text",
                );
            }
            t
        }
        None => rec.req_str("text")?,
    };
    let beir = rec.has("_id");
    if !beir {
        rec.warn_unknown(DOCUMENT_FIELDS, warnings);
    }
    let metadata = match rec.get("metadata") {
        None => None,
        Some(v @ serde_json::Value::Object(_)) => Some(v.clone()),
        Some(other) => {
            return Err(rec.err(
                "metadata",
                format!("expected an object, found {}", type_name(other)),
            ))
        }
    };
    let supersedes = rec.opt_id("supersedes")?;
    if supersedes.as_deref() == Some(id.as_str()) {
        warnings.warn(
            rec.location().clone(),
            "supersedes",
            "a document cannot supersede itself; ignored",
        );
    }
    Ok(Document {
        title: rec.opt_str("title")?,
        url: rec.opt_str("url")?,
        source: rec.opt_str("source")?,
        updated_at: rec.opt_date("updated_at", warnings)?,
        version: rec.opt_str_or_number("version")?,
        supersedes: supersedes.filter(|s| s != &id),
        valid_until: rec.opt_date("valid_until", warnings)?,
        deleted: rec.opt_bool("deleted")?.unwrap_or(false),
        tags: rec.opt_str_list("tags")?,
        metadata,
        origin: rec.location().clone(),
        text,
        id,
    })
}
