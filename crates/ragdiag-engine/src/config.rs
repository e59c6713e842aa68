//! The `[engine]` settings (in `ragdiag.toml` or the file given to `--engine`): the generic HTTP
//! adapter's request and response mapping, or a preset (`chroma`, `typesense`) expanded into
//! one, plus the runner's policy.

use crate::http::{HttpEngine, HttpSpec, ResponseMap};
use crate::runner::Policy;
use crate::EngineError;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// What kind of engine the settings describe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Any HTTP JSON service: `url`, `method`, `body`, `headers` and `response` as given.
    #[default]
    Http,
    /// Chroma's HTTP API v2 (`url` is the server, e.g. `http://127.0.0.1:8000`).
    Chroma,
    /// Typesense (`url` is the server, e.g. `http://127.0.0.1:8108`).
    Typesense,
    /// PostgreSQL with pgvector (`url` is the connection string, or `url_env` names the
    /// variable holding it).
    Pgvector,
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Kind::Http => "http",
            Kind::Chroma => "chroma",
            Kind::Typesense => "typesense",
            Kind::Pgvector => "pgvector",
        })
    }
}

/// How a preset asks: by the query embedding ragdiag computes, or by the question's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QueryMode {
    /// Send the query embedding (`--model` must be the model the engine's vectors were made
    /// with).
    #[default]
    Embedding,
    /// Send the text; the engine searches (or embeds) it itself.
    Text,
}

/// A header's value: written in the file, or read from an environment variable
/// (`{ env = "NAME" }`). Its `Debug` shows a written value as `***`.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum HeaderValue {
    /// The value itself.
    Literal(String),
    /// The name of the environment variable holding it.
    Env {
        /// The variable.
        env: String,
    },
}

impl std::fmt::Debug for HeaderValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HeaderValue::Literal(_) => f.write_str("Literal(***)"),
            HeaderValue::Env { env } => f.debug_struct("Env").field("env", env).finish(),
        }
    }
}

/// The `[engine]` table. Its `Debug` shows no credential: `url` without user information,
/// query string or connection-string password, header values written in the file as `***`.
#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EngineConfig {
    /// `http` (default), `chroma` or `typesense`.
    #[serde(default)]
    pub kind: Kind,
    /// The endpoint (`http`), the server (presets) or the connection string (`pgvector`).
    #[serde(default)]
    pub url: String,
    /// HTTP method of `http` (default `POST`).
    pub method: Option<String>,
    /// Request body template of `http`: `{{query}}`, `{{embedding}}` and `{{k}}` are replaced
    /// by their JSON encodings.
    pub body: Option<String>,
    /// Extra headers.
    #[serde(default)]
    pub headers: BTreeMap<String, HeaderValue>,
    /// Response mapping of `http`.
    pub response: Option<ResponseMap>,
    /// The collection (presets).
    pub collection: Option<String>,
    /// Chroma's tenant (default `default_tenant`).
    pub tenant: Option<String>,
    /// Chroma's database (default `default_database`).
    pub database: Option<String>,
    /// How presets ask (default `embedding`).
    pub query: Option<QueryMode>,
    /// Environment variable holding the API key of a preset (Typesense's
    /// `X-TYPESENSE-API-KEY`, Chroma's `x-chroma-token`).
    pub api_key_env: Option<String>,
    /// Typesense's vector field (default `embedding`).
    pub vector_field: Option<String>,
    /// Typesense's text fields for `query = "text"` (default `text`).
    pub query_by: Option<String>,
    /// Metadata field naming the hit's document (default: the hit's id is the document's).
    pub doc_field: Option<String>,
    /// Metadata field naming the chunk.
    pub chunk_field: Option<String>,
    /// Metadata fields holding the passage's code-point offsets in its document.
    pub start_field: Option<String>,
    /// See `start_field`.
    pub end_field: Option<String>,
    /// Per-request timeout in seconds (default 30).
    pub timeout_s: Option<f64>,
    /// Questions in flight at once (default 4; `--concurrency` wins).
    pub concurrency: Option<usize>,
    /// Retries of a transient failure (default 3).
    pub retries: Option<u32>,
    /// First backoff in milliseconds, doubled each retry (default 250).
    pub backoff_ms: Option<u64>,
    /// At most this many requests a second (default: no limit).
    pub rate: Option<f64>,
    /// `pgvector`: the environment variable holding the connection string (instead of `url`).
    pub url_env: Option<String>,
    /// `pgvector`: the environment variable holding the password.
    pub password_env: Option<String>,
    /// `pgvector`: the table of the built-in queries (`schema.table` allowed).
    pub table: Option<String>,
    /// `pgvector`: the team's own query instead of the built-in ones: `$1` is the query
    /// embedding (`query = "embedding"`) or the question's text (`query = "text"`), `$2`
    /// (optional) is k; it returns `id_field` and `score_field` and the other columns named.
    pub sql: Option<String>,
    /// `pgvector`: the built-in kNN operator, `cosine` (`<=>`, default), `inner_product`
    /// (`<#>`) or `l2` (`<->`).
    pub distance: Option<crate::pg::Distance>,
    /// `pgvector`: the id column (default `id`).
    pub id_field: Option<String>,
    /// `pgvector`: the score column of `sql` (default `score`).
    pub score_field: Option<String>,
    /// `pgvector`: true when `sql`'s score is a distance (lower is better): it is negated.
    pub score_is_distance: Option<bool>,
    /// `pgvector`: the passage text column (returned; searched by `query = "text"`: any word
    /// of the question, ranked by `ts_rank`).
    pub text_field: Option<String>,
    /// `pgvector`: a `json`/`jsonb` column of metadata.
    pub metadata_field: Option<String>,
    /// `pgvector`: a `tsvector` column searched by `query = "text"` instead of
    /// `to_tsvector(text_field)`.
    pub tsvector_field: Option<String>,
    /// `pgvector`: the text search configuration of `query = "text"` (default `english`).
    pub text_search: Option<String>,
    /// `pgvector`: session settings on every connection, e.g. `"hnsw.ef_search" = "100"`.
    #[serde(default)]
    pub set: BTreeMap<String, String>,
    /// `export-corpus`: the metadata field holding a document's date (its `updated_at`).
    pub updated_field: Option<String>,
    /// `export-corpus`: the metadata field holding a document's version.
    pub version_field: Option<String>,
}

impl std::fmt::Debug for EngineConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Destructured, so a new field cannot be left out (or shown unredacted) unnoticed.
        let EngineConfig {
            kind,
            url,
            method,
            body,
            headers,
            response,
            collection,
            tenant,
            database,
            query,
            api_key_env,
            vector_field,
            query_by,
            doc_field,
            chunk_field,
            start_field,
            end_field,
            timeout_s,
            concurrency,
            retries,
            backoff_ms,
            rate,
            url_env,
            password_env,
            table,
            sql,
            distance,
            id_field,
            score_field,
            score_is_distance,
            text_field,
            metadata_field,
            tsvector_field,
            text_search,
            set,
            updated_field,
            version_field,
        } = self;
        f.debug_struct("EngineConfig")
            .field("kind", kind)
            .field("url", &redacted_url(url))
            .field("method", method)
            .field("body", body)
            .field("headers", headers)
            .field("response", response)
            .field("collection", collection)
            .field("tenant", tenant)
            .field("database", database)
            .field("query", query)
            .field("api_key_env", api_key_env)
            .field("vector_field", vector_field)
            .field("query_by", query_by)
            .field("doc_field", doc_field)
            .field("chunk_field", chunk_field)
            .field("start_field", start_field)
            .field("end_field", end_field)
            .field("timeout_s", timeout_s)
            .field("concurrency", concurrency)
            .field("retries", retries)
            .field("backoff_ms", backoff_ms)
            .field("rate", rate)
            .field("url_env", url_env)
            .field("password_env", password_env)
            .field("table", table)
            .field("sql", sql)
            .field("distance", distance)
            .field("id_field", id_field)
            .field("score_field", score_field)
            .field("score_is_distance", score_is_distance)
            .field("text_field", text_field)
            .field("metadata_field", metadata_field)
            .field("tsvector_field", tsvector_field)
            .field("text_search", text_search)
            .field("set", set)
            .field("updated_field", updated_field)
            .field("version_field", version_field)
            .finish()
    }
}

/// `url` without credentials: a URL without its user information and query string
/// ([`crate::http::redact_url`]); a PostgreSQL key-value connection string with its password
/// as `***` (all of it, when it does not parse).
fn redacted_url(url: &str) -> String {
    if url.contains("://") {
        return crate::http::redact_url(url);
    }
    match url.parse::<postgres::Config>() {
        Ok(c) => match c.get_password() {
            Some(p) if !p.is_empty() => url.replace(&*String::from_utf8_lossy(p), "***"),
            _ => url.to_owned(),
        },
        Err(_) if url.is_empty() => String::new(),
        Err(_) => "***".to_owned(),
    }
}

/// Defaults of the runner's policy.
pub mod defaults {
    /// Questions in flight at once.
    pub const CONCURRENCY: usize = 4;
    /// Per-request timeout, seconds.
    pub const TIMEOUT_S: f64 = 30.0;
    /// Retries of a transient failure.
    pub const RETRIES: u32 = 3;
    /// First backoff, milliseconds.
    pub const BACKOFF_MS: u64 = 250;
    /// Longest backoff, milliseconds.
    pub const BACKOFF_MAX_MS: u64 = 8_000;
}

impl EngineConfig {
    /// Reads the settings from a parsed document (TOML converted to JSON): either one with an
    /// `[engine]` table, like `ragdiag.toml`, or the table's keys at the top level.
    ///
    /// # Errors
    ///
    /// A message naming the key at fault.
    pub fn from_value(value: serde_json::Value) -> Result<EngineConfig, String> {
        let value = match value {
            serde_json::Value::Object(mut m) if m.contains_key("engine") => {
                m.remove("engine").unwrap_or_default()
            }
            v => v,
        };
        serde_json::from_value(value).map_err(|e| e.to_string())
    }

    /// The runner's policy; `concurrency` (a flag) wins over the file.
    #[must_use]
    pub fn policy(&self, concurrency: Option<usize>) -> Policy {
        Policy {
            concurrency: concurrency
                .or(self.concurrency)
                .unwrap_or(defaults::CONCURRENCY)
                .max(1),
            retries: self.retries.unwrap_or(defaults::RETRIES),
            backoff: Duration::from_millis(self.backoff_ms.unwrap_or(defaults::BACKOFF_MS)),
            backoff_max: Duration::from_millis(defaults::BACKOFF_MAX_MS),
            rate: self.rate.filter(|r| r.is_finite() && *r > 0.0),
            seed: 0,
        }
    }

    /// The engine these settings describe. A Chroma preset asks the server for the
    /// collection's id here.
    ///
    /// # Errors
    ///
    /// [`EngineError::Request`] for settings that cannot work (a missing key, an unset
    /// environment variable, a bad pointer), or the error of Chroma's collection lookup.
    pub fn build(&self) -> Result<HttpEngine, EngineError> {
        let bad = |m: String| EngineError::Request(format!("engine ({}): {m}", self.kind));
        let timeout = self.timeout_s.unwrap_or(defaults::TIMEOUT_S);
        if !(timeout.is_finite() && timeout > 0.0) {
            return Err(bad("timeout_s must be a positive number of seconds".into()));
        }
        let mut headers = Vec::new();
        for (name, v) in &self.headers {
            headers.push(resolve_header(name, v).map_err(bad)?);
        }
        let base = self.url.trim_end_matches('/').to_owned();
        if base.is_empty() {
            return Err(bad("url is required".into()));
        }
        let mode = self.query.unwrap_or_default();
        let collection = || {
            self.collection
                .clone()
                .ok_or_else(|| bad("collection is required".into()))
        };
        let spec = match self.kind {
            Kind::Pgvector => {
                return Err(bad(
                    "not an HTTP engine: build it with EngineConfig::engine".into(),
                ))
            }
            Kind::Http => HttpSpec {
                kind: "http".into(),
                method: self.method.clone().unwrap_or_else(|| "POST".into()),
                url: base,
                body: self.body.clone(),
                headers,
                response: self
                    .response
                    .clone()
                    .ok_or_else(|| bad("[engine.response] is required".into()))?,
            },
            Kind::Chroma => {
                if let Some(env) = &self.api_key_env {
                    headers.push(
                        resolve_header("x-chroma-token", &HeaderValue::Env { env: env.clone() })
                            .map_err(bad)?,
                    );
                }
                if mode == QueryMode::Text {
                    return Err(bad(
                        "Chroma's HTTP API takes query embeddings only: use query = \"embedding\" \
                         with the collection's model"
                            .into(),
                    ));
                }
                let tenant = self.tenant.as_deref().unwrap_or("default_tenant");
                let database = self.database.as_deref().unwrap_or("default_database");
                let coll = collection()?;
                let prefix = format!(
                    "{base}/api/v2/tenants/{}/databases/{}/collections",
                    path_segment(tenant),
                    path_segment(database)
                );
                let id = HttpEngine::lookup_string(
                    &format!("{prefix}/{}", path_segment(&coll)),
                    &headers,
                    Duration::from_secs_f64(timeout),
                    "/id",
                )?;
                HttpSpec {
                    kind: "chroma".into(),
                    method: "POST".into(),
                    url: format!("{prefix}/{}/query", path_segment(&id)),
                    body: Some(
                        r#"{"query_embeddings": [{{embedding}}], "n_results": {{k}}, "include": ["documents", "metadatas", "distances"]}"#
                            .into(),
                    ),
                    headers,
                    response: ResponseMap {
                        hits: None,
                        id: "/ids/0".into(),
                        score: Some("/distances/0".into()),
                        score_is_distance: true,
                        text: Some("/documents/0".into()),
                        metadata: Some("/metadatas/0".into()),
                        error: Some("/error".into()),
                    },
                }
            }
            Kind::Typesense => {
                let env = self.api_key_env.clone().ok_or_else(|| {
                    bad("api_key_env is required (the variable holding the API key)".into())
                })?;
                headers.push(
                    resolve_header("X-TYPESENSE-API-KEY", &HeaderValue::Env { env })
                        .map_err(bad)?,
                );
                let coll = serde_json::to_string(&collection()?).unwrap_or_default();
                let (search, score) = match mode {
                    QueryMode::Embedding => {
                        let field = self.vector_field.as_deref().unwrap_or("embedding");
                        let field_json = serde_json::to_string(field).unwrap_or_default();
                        let query =
                            serde_json::to_string(&format!("{field}:(")).unwrap_or_default();
                        // The vector query is a string: its JSON is cut open to hold the
                        // embedding's JSON (numbers only, nothing to escape).
                        let open = &query[..query.len() - 1];
                        (
                            format!(
                                r#""q": "*", "vector_query": {open}{{{{embedding}}}}, k:{{{{k}}}})", "exclude_fields": {field_json}"#
                            ),
                            ("/vector_distance", true),
                        )
                    }
                    QueryMode::Text => {
                        let by = serde_json::to_string(self.query_by.as_deref().unwrap_or("text"))
                            .unwrap_or_default();
                        (
                            format!(r#""q": {{{{query}}}}, "query_by": {by}"#),
                            ("/text_match", false),
                        )
                    }
                };
                HttpSpec {
                    kind: "typesense".into(),
                    method: "POST".into(),
                    url: format!("{base}/multi_search"),
                    body: Some(format!(
                        r#"{{"searches": [{{"collection": {coll}, {search}, "per_page": {{{{k}}}}}}]}}"#
                    )),
                    headers,
                    response: ResponseMap {
                        hits: Some("/results/0/hits".into()),
                        id: "/document/id".into(),
                        score: Some(score.0.into()),
                        score_is_distance: score.1,
                        text: Some("/document/text".into()),
                        metadata: Some("/document".into()),
                        error: Some("/results/0/error".into()),
                    },
                }
            }
        };
        HttpEngine::new(
            spec,
            crate::http::Fields {
                doc: self.doc_field.clone(),
                chunk: self.chunk_field.clone(),
                start: self.start_field.clone(),
                end: self.end_field.clone(),
            },
            Duration::from_secs_f64(timeout),
        )
        .map_err(bad)
    }
}

impl EngineConfig {
    /// The engine of any kind these settings describe.
    ///
    /// # Errors
    ///
    /// As [`EngineConfig::build`], and for `pgvector` a missing table or query, an unset
    /// variable, or a connection string that cannot be read.
    pub fn engine(&self) -> Result<Box<dyn crate::Engine>, EngineError> {
        match self.kind {
            Kind::Pgvector => Ok(Box::new(self.build_pg()?)),
            _ => Ok(Box::new(self.build()?)),
        }
    }

    /// The pgvector engine of these settings (nothing is connected yet).
    ///
    /// # Errors
    ///
    /// [`EngineError::Request`] naming the setting at fault.
    pub fn build_pg(&self) -> Result<crate::pg::PgEngine, EngineError> {
        use crate::pg::{builtin_sql, Builtin, Columns, PgEngine, PgSpec, ScoreOrientation};
        let bad = |m: String| EngineError::Request(format!("engine (pgvector): {m}"));
        let timeout = self.timeout_s.unwrap_or(defaults::TIMEOUT_S);
        if !(timeout.is_finite() && timeout > 0.0) {
            return Err(bad("timeout_s must be a positive number of seconds".into()));
        }
        let env = |name: &str, what: &str| match std::env::var(name) {
            Ok(s) if !s.is_empty() => Ok(s),
            _ => Err(bad(format!(
                "{what}: the environment variable {name} is not set"
            ))),
        };
        let conninfo =
            match &self.url_env {
                Some(v) => env(v, "url_env")?,
                None if !self.url.trim().is_empty() => self.url.clone(),
                None => return Err(bad(
                    "url (a connection string) or url_env (the variable holding one) is required"
                        .into(),
                )),
            };
        let password = match &self.password_env {
            Some(v) => Some((env(v, "password_env")?, v.clone())),
            None => None,
        };
        let mode = self.query.unwrap_or_default();
        let mut columns = Columns {
            id: self.id_field.clone().unwrap_or_else(|| "id".into()),
            score: self.score_field.clone().unwrap_or_else(|| "score".into()),
            text: self.text_field.clone(),
            doc: self.doc_field.clone(),
            chunk: self.chunk_field.clone(),
            start: self.start_field.clone(),
            end: self.end_field.clone(),
            metadata: self.metadata_field.clone(),
        };
        let (sql, orientation) = match (&self.sql, &self.table) {
            (Some(_), Some(_)) => return Err(bad("give either sql or table, not both".into())),
            (Some(sql), None) => (
                sql.clone(),
                if self.score_is_distance.unwrap_or(false) {
                    ScoreOrientation::Negated
                } else {
                    ScoreOrientation::AsIs
                },
            ),
            (None, Some(table)) => {
                if self.score_field.is_none() {
                    // A name no table column is likely to have.
                    columns.score = "ragdiag_score".into();
                }
                let text = self.text_field.as_deref();
                if mode == QueryMode::Text && text.is_none() && self.tsvector_field.is_none() {
                    return Err(bad(
                        "query = \"text\" needs text_field or tsvector_field".into()
                    ));
                }
                builtin_sql(
                    &Builtin {
                        table,
                        vector: self.vector_field.as_deref().unwrap_or("embedding"),
                        distance: self.distance.unwrap_or_default(),
                        text: text.unwrap_or("text"),
                        tsvector: self.tsvector_field.as_deref(),
                        language: self.text_search.as_deref().unwrap_or("english"),
                    },
                    mode,
                    &columns,
                )
            }
            (None, None) => {
                return Err(bad("table (built-in queries) or sql is required".into()));
            }
        };
        PgEngine::new(PgSpec {
            conninfo,
            password,
            conninfo_env: self.url_env.clone(),
            sql,
            mode,
            columns,
            orientation,
            settings: self.set.clone(),
            timeout: Duration::from_secs_f64(timeout),
            table: self.table.clone(),
        })
        .map_err(bad)
    }
}

impl EngineConfig {
    /// What `export-corpus` pages through: a pgvector table or a Chroma collection.
    ///
    /// # Errors
    ///
    /// [`EngineError::Request`] for another kind or unusable settings, or the error of
    /// Chroma's collection lookup.
    pub fn exporter(&self) -> Result<Box<dyn crate::export::Exporter>, EngineError> {
        match self.kind {
            Kind::Pgvector => Ok(Box::new(self.build_pg()?)),
            Kind::Chroma => {
                // The query engine's settings give the collection's URL (its id looked up).
                let query = self.build()?;
                let url = query.url().trim_end_matches("/query").to_owned() + "/get";
                Ok(Box::new(ChromaExport {
                    config: self.clone(),
                    url,
                    name: crate::Engine::name(&query),
                }))
            }
            other => Err(EngineError::Request(format!(
                "engine ({other}): export-corpus reads pgvector and chroma engines"
            ))),
        }
    }

    /// The metadata fields of an exported document.
    #[must_use]
    pub fn document_fields(&self) -> crate::export::DocumentFields {
        crate::export::DocumentFields {
            updated: self.updated_field.clone(),
            version: self.version_field.clone(),
            drop: [
                &self.doc_field,
                &self.chunk_field,
                &self.start_field,
                &self.end_field,
            ]
            .into_iter()
            .flatten()
            .cloned()
            .collect(),
        }
    }
}

/// A Chroma collection read by its `get` endpoint, `limit` and `offset` a page.
struct ChromaExport {
    config: EngineConfig,
    url: String,
    name: String,
}

impl crate::export::Exporter for ChromaExport {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn page(&self, offset: usize, limit: usize) -> Result<Vec<crate::EngineHit>, EngineError> {
        let bad = |m: String| EngineError::Request(format!("engine (chroma): {m}"));
        let mut headers = Vec::new();
        if let Some(env) = &self.config.api_key_env {
            headers.push(
                resolve_header("x-chroma-token", &HeaderValue::Env { env: env.clone() })
                    .map_err(bad)?,
            );
        }
        let spec = HttpSpec {
            kind: "chroma".into(),
            method: "POST".into(),
            url: self.url.clone(),
            body: Some(format!(
                r#"{{"limit": {limit}, "offset": {offset}, "include": ["documents", "metadatas"]}}"#
            )),
            headers,
            response: ResponseMap {
                hits: None,
                id: "/ids".into(),
                score: None,
                score_is_distance: false,
                text: Some("/documents".into()),
                metadata: Some("/metadatas".into()),
                error: Some("/error".into()),
            },
        };
        let engine = HttpEngine::new(
            spec,
            crate::http::Fields {
                doc: self.config.doc_field.clone(),
                chunk: self.config.chunk_field.clone(),
                start: self.config.start_field.clone(),
                end: self.config.end_field.clone(),
            },
            Duration::from_secs_f64(self.config.timeout_s.unwrap_or(defaults::TIMEOUT_S)),
        )
        .map_err(bad)?;
        crate::Engine::retrieve(
            &engine,
            &crate::Request {
                id: String::new(),
                text: String::new(),
                embedding: None,
                k: limit,
            },
        )
    }
}

/// A header's name and value; the value is a secret when it came from the environment.
fn resolve_header(name: &str, v: &HeaderValue) -> Result<(String, String, Option<String>), String> {
    match v {
        HeaderValue::Literal(s) => Ok((name.to_owned(), s.clone(), None)),
        HeaderValue::Env { env } => match std::env::var(env) {
            Ok(s) if !s.is_empty() => Ok((name.to_owned(), s, Some(env.clone()))),
            _ => Err(format!(
                "header {name}: the environment variable {env} is not set"
            )),
        },
    }
}

/// `s` percent-encoded for one URL path segment.
fn path_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Engine;

    fn parse(s: &str) -> EngineConfig {
        let v: serde_json::Value = serde_json::from_str(s).unwrap();
        EngineConfig::from_value(v).unwrap()
    }

    #[test]
    fn debug_shows_no_credential() {
        let cases = [
            (
                r#"{"url": "http://admin:hunter2-pw@127.0.0.1:8108/x?api_key=k3y-s3cret",
                    "headers": {"Authorization": "Bearer tok-s3cret", "X-Key": {"env": "KEY_VAR"}},
                    "response": {"id": "/id"}}"#,
                "http://127.0.0.1:8108/x",
            ),
            (
                r#"{"kind": "pgvector", "table": "t",
                    "url": "host=127.0.0.1 port=5432 user=u password=hunter2-pw dbname=kb"}"#,
                "host=127.0.0.1 port=5432 user=u password=*** dbname=kb",
            ),
            (
                r#"{"kind": "pgvector", "table": "t",
                    "url": "postgresql://u:hunter2-pw@127.0.0.1:5432/kb?sslmode=disable"}"#,
                "postgresql://127.0.0.1:5432/kb",
            ),
        ];
        for (json, shown) in cases {
            let c = parse(json);
            for text in [format!("{c:?}"), format!("{c:#?}")] {
                for secret in ["hunter2-pw", "k3y-s3cret", "tok-s3cret"] {
                    assert!(!text.contains(secret), "{secret} in {text}");
                }
                assert!(text.contains(&format!("{shown:?}")), "{text}");
            }
        }
        let http = format!("{:?}", parse(cases[0].0));
        assert!(http.contains(r#""Authorization": Literal(***)"#), "{http}");
        assert!(
            http.contains(r#""X-Key": Env { env: "KEY_VAR" }"#),
            "{http}"
        );
        // A connection string that does not parse is not shown at all.
        assert_eq!(redacted_url("password='unclosed"), "***");
    }

    #[test]
    fn a_typesense_preset_makes_a_valid_body() {
        std::env::set_var("RAGDIAG_TEST_TS_KEY", "s3cret");
        let c = parse(
            r#"{"engine": {"kind": "typesense", "url": "http://127.0.0.1:1/", "collection": "kb\"x",
                "api_key_env": "RAGDIAG_TEST_TS_KEY"}}"#,
        );
        let e = c.build().unwrap();
        let body = e
            .body_for(&crate::Request {
                id: "q".into(),
                text: "t".into(),
                embedding: Some(vec![0.5, -1.0]),
                k: 7,
            })
            .unwrap();
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["searches"][0]["collection"], "kb\"x");
        assert_eq!(
            v["searches"][0]["vector_query"],
            "embedding:([0.5,-1.0], k:7)"
        );
        assert_eq!(v["searches"][0]["per_page"], 7);
        assert!(!e.identity().contains("s3cret"));
        assert!(e.identity().contains("RAGDIAG_TEST_TS_KEY"));
    }

    #[test]
    fn a_missing_variable_is_named_and_unknown_keys_refused() {
        let c = parse(
            r#"{"kind": "typesense", "url": "http://x", "collection": "c", "api_key_env": "RAGDIAG_TEST_UNSET_VAR"}"#,
        );
        let err = c.build().unwrap_err().to_string();
        assert!(err.contains("RAGDIAG_TEST_UNSET_VAR is not set"), "{err}");
        let v: serde_json::Value =
            serde_json::from_str(r#"{"url": "x", "colection": "c"}"#).unwrap();
        let err = EngineConfig::from_value(v).unwrap_err();
        assert!(err.contains("colection"), "{err}");
    }

    #[test]
    fn pgvector_settings_name_what_is_missing_and_keep_the_password_out() {
        let err = parse(r#"{"kind": "pgvector", "url": "host=x"}"#)
            .engine()
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("table (built-in queries) or sql is required"),
            "{err}"
        );
        let err =
            parse(r#"{"kind": "pgvector", "url_env": "RAGDIAG_TEST_UNSET_PG", "table": "t"}"#)
                .engine()
                .err()
                .unwrap()
                .to_string();
        assert!(err.contains("RAGDIAG_TEST_UNSET_PG is not set"), "{err}");
        let err = parse(r#"{"kind": "pgvector", "url": "host=x", "table": "t", "query": "text"}"#)
            .engine()
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("text_field or tsvector_field"), "{err}");
        std::env::set_var("RAGDIAG_TEST_PG_PASSWORD", "pg-secret-47");
        let e = parse(
            r#"{"engine": {"kind": "pgvector", "url": "host=127.0.0.1 port=5433 user=kb dbname=docs",
                "password_env": "RAGDIAG_TEST_PG_PASSWORD", "table": "chunks", "doc_field": "doc_id",
                "set": {"hnsw.ef_search": "200"}}}"#,
        )
        .engine()
        .unwrap();
        assert!(e.needs_embedding());
        assert_eq!(e.name(), "pgvector postgresql://kb@127.0.0.1:5433/docs");
        assert!(!e.identity().contains("pg-secret-47"));
        assert!(e.identity().contains("hnsw.ef_search"));
        let custom = parse(
            r#"{"kind": "pgvector", "url": "host=x", "query": "text", "score_is_distance": true,
                "sql": "SELECT id, 0.5 AS score FROM t WHERE body @@ plainto_tsquery($1)"}"#,
        )
        .build_pg()
        .unwrap();
        assert!(custom.sql().starts_with("SELECT id, 0.5 AS score"));
        assert!(!custom.needs_embedding());
    }

    #[test]
    fn path_segments_are_escaped() {
        assert_eq!(path_segment("a b/c"), "a%20b%2Fc");
    }
}
