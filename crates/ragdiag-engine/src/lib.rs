//! Retrieval by a team's running engine: the questions are asked of the engine that serves the
//! real system (its own chunking, embeddings and filters) instead of ragdiag's own index.
//!
//! - [`Engine`] is the one interface: one question in, ranked [`EngineHit`]s or a typed
//!   [`EngineError`] out. It is object-safe; the adapters implement it.
//! - [`http::HttpEngine`] is the generic HTTP JSON adapter (a request body template, headers
//!   from environment variables, the response mapped by JSON Pointer); [`config`] reads its
//!   settings and expands the `chroma` and `typesense` presets into it.
//! - [`pg::PgEngine`] asks PostgreSQL with pgvector in its native protocol: kNN by `<=>`, `<#>`
//!   or `<->`, full text by `ts_rank`, or the team's own SQL; [`config`] builds it for
//!   `kind = "pgvector"` ([`config::EngineConfig::engine`] builds any kind).
//! - [`runner::run`] asks every question around any engine: bounded concurrency, retries with
//!   jittered exponential backoff on 429, 5xx, timeouts and connection errors, a rate limit,
//!   and the response [`cache::Cache`] so a re-run sends nothing.
//! - [`items`] turns hits into document rankings (`search`) and ranked chunks located in their
//!   documents (`diagnose`).
//!
//! Credentials (header values) never leave the adapter: [`Engine::identity`] names the engine
//! without them, and every error message is scrubbed of them.

pub mod cache;
pub mod config;
pub mod export;
pub mod http;
pub mod items;
pub mod pg;
pub mod runner;

use serde::{Deserialize, Serialize};

/// One question to ask an engine.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Request {
    /// The question's id (not sent unless the template asks for it; part of no cache key).
    #[serde(skip)]
    pub id: String,
    /// The question's text.
    pub text: String,
    /// The query embedding, when ragdiag computed one for the engine.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub embedding: Option<Vec<f32>>,
    /// How many hits to ask for.
    pub k: usize,
}

/// One ranked hit as the engine returned it, mapped to ragdiag's fields.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct EngineHit {
    /// The hit's id in the engine (a chunk or a document).
    pub id: String,
    /// The engine's score, oriented so that higher is better (distances are negated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// The passage text, when the engine returns it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The document the hit belongs to (the configured document field), else `None`: the hit's
    /// id is then the document's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
    /// The chunk id (the configured chunk field).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chunk: Option<String>,
    /// Code-point offsets of the passage in its document (the configured start and end
    /// fields), when both are known and `start < end`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub span: Option<(usize, usize)>,
    /// The hit's metadata object (empty when the engine returns none).
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub metadata: serde_json::Map<String, serde_json::Value>,
}

impl EngineHit {
    /// The document this hit stands for: the configured document field, else its id.
    #[must_use]
    pub fn doc_id(&self) -> &str {
        self.doc.as_deref().unwrap_or(&self.id)
    }
}

/// Why one question could not be retrieved. Messages name the engine (its URL without
/// credentials) and never carry a credential.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// The engine could not be reached (refused, reset, name not resolved).
    #[error("cannot connect to {url}: {reason}")]
    Connect {
        /// The engine's URL.
        url: String,
        /// The cause.
        reason: String,
    },
    /// No complete answer within the per-request timeout.
    #[error("no answer from {url} within {secs} s")]
    Timeout {
        /// The engine's URL.
        url: String,
        /// The timeout.
        secs: f64,
    },
    /// The engine answered with an HTTP error status.
    #[error("{url} answered HTTP {status}{}", if body.is_empty() { String::new() } else { format!(": {body}") })]
    Status {
        /// The engine's URL.
        url: String,
        /// The status code.
        status: u16,
        /// The start of the body (scrubbed of credentials).
        body: String,
    },
    /// The answer is not what the response mapping expects.
    #[error("{url}: malformed response: {reason}")]
    Malformed {
        /// The engine's URL.
        url: String,
        /// What is wrong, with the JSON Pointer concerned.
        reason: String,
    },
    /// The request could not be made (e.g. the template needs an embedding and none was
    /// given).
    #[error("{0}")]
    Request(String),
    /// The database answered with an error (PostgreSQL's SQLSTATE and message, e.g. a wrong
    /// password, a missing table).
    #[error("{url}: {message} (SQLSTATE {code})")]
    Database {
        /// The engine's name (no password).
        url: String,
        /// The SQLSTATE.
        code: String,
        /// The server's message (scrubbed of the password).
        message: String,
        /// Whether asking again may succeed (a connection lost, a server shutting down).
        transient: bool,
    },
}

impl EngineError {
    /// Whether asking again may succeed: connection errors, timeouts, 429 and 5xx.
    #[must_use]
    pub fn is_transient(&self) -> bool {
        match self {
            EngineError::Connect { .. } | EngineError::Timeout { .. } => true,
            EngineError::Status { status, .. } => *status == 429 || *status >= 500,
            EngineError::Malformed { .. } | EngineError::Request(_) => false,
            EngineError::Database { transient, .. } => *transient,
        }
    }
}

/// A running retrieval engine. Object-safe; `Send + Sync` so the runner can ask it from several
/// threads.
pub trait Engine: Send + Sync {
    /// What the engine is, without credentials: its kind, URL, request template and response
    /// mapping. Part of the cache key, so a changed template or engine asks again.
    fn identity(&self) -> String;

    /// A short name for messages and provenance (e.g. `chroma http://127.0.0.1:8000`), without
    /// credentials.
    fn name(&self) -> String;

    /// Whether the engine needs the query embedding ([`Request::embedding`]).
    fn needs_embedding(&self) -> bool;

    /// The top `request.k` hits for one question, best first.
    ///
    /// # Errors
    ///
    /// [`EngineError`] with the cause.
    fn retrieve(&self, request: &Request) -> Result<Vec<EngineHit>, EngineError>;
}

impl<E: Engine + ?Sized> Engine for Box<E> {
    fn identity(&self) -> String {
        (**self).identity()
    }
    fn name(&self) -> String {
        (**self).name()
    }
    fn needs_embedding(&self) -> bool {
        (**self).needs_embedding()
    }
    fn retrieve(&self, request: &Request) -> Result<Vec<EngineHit>, EngineError> {
        (**self).retrieve(request)
    }
}
