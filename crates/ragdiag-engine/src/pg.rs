//! The pgvector engine: PostgreSQL spoken to in its native protocol (the `postgres` crate),
//! asked by the query embedding (`<=>`, `<#>` or `<->` over a `vector` column, bound with the
//! `pgvector` crate), by the question's text (`ts_rank` over a text or `tsvector` column), or by
//! the team's own SQL with `$1` bound to the embedding or the text and an optional `$2` to k.
//!
//! Each of the runner's threads takes a connection from a small pool (made on first use,
//! dropped when it breaks). Every connection sets `statement_timeout` to the per-request
//! timeout, so a slow query ends in [`EngineError::Timeout`]. The password (from the
//! connection string or an environment variable) stays here: [`Engine::name`] and
//! [`Engine::identity`] are built from the connection's host, port, user and database only, and
//! every error message is scrubbed of it.

use crate::config::QueryMode;
use crate::{Engine, EngineError, EngineHit, Request};
use postgres::error::SqlState;
use postgres::types::{ToSql, Type};
use std::collections::BTreeMap;
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

/// The operator of a built-in kNN query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Distance {
    /// `<=>`: cosine distance; the score is the cosine similarity `1 − d`.
    #[default]
    Cosine,
    /// `<#>`: the negative inner product; the score is the inner product.
    InnerProduct,
    /// `<->`: Euclidean distance; the score is `−d`.
    L2,
}

impl Distance {
    fn operator(self) -> &'static str {
        match self {
            Distance::Cosine => "<=>",
            Distance::InnerProduct => "<#>",
            Distance::L2 => "<->",
        }
    }
}

/// How the score column becomes a higher-is-better score.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScoreOrientation {
    /// Used as it is.
    AsIs,
    /// A distance: negated.
    Negated,
    /// A cosine distance: `1 − d`.
    OneMinus,
}

/// The result columns mapped to ragdiag's fields (column names as the query returns them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Columns {
    /// The hit's id (text or an integer; never NULL).
    pub id: String,
    /// The score (a float or an integer).
    pub score: String,
    /// The passage text.
    pub text: Option<String>,
    /// The document id.
    pub doc: Option<String>,
    /// The chunk id.
    pub chunk: Option<String>,
    /// The passage's first code point.
    pub start: Option<String>,
    /// The passage's end (exclusive).
    pub end: Option<String>,
    /// A `json` or `jsonb` object of metadata.
    pub metadata: Option<String>,
}

/// What a pgvector engine asks and how.
#[derive(Debug, Clone)]
pub struct PgSpec {
    /// The connection string (`postgresql://…` or `key=value …`); it may hold a password.
    pub conninfo: String,
    /// The password read from an environment variable, with the variable's name.
    pub password: Option<(String, String)>,
    /// The environment variable the connection string came from, if any (for the identity).
    pub conninfo_env: Option<String>,
    /// The query; `$1` is the embedding (`Embedding`) or the text (`Text`), `$2` (if used) k.
    pub sql: String,
    /// What `$1` is.
    pub mode: QueryMode,
    /// The result columns.
    pub columns: Columns,
    /// How the score is oriented.
    pub orientation: ScoreOrientation,
    /// Session settings applied on every connection (`set_config`), e.g. `hnsw.ef_search`.
    pub settings: BTreeMap<String, String>,
    /// Connection and statement timeout.
    pub timeout: Duration,
    /// The table of the built-in queries (what `export-corpus` pages through).
    pub table: Option<String>,
}

/// `name` quoted as an SQL identifier; a dotted name is quoted part by part (`schema.table`).
#[must_use]
pub fn quote_ident(name: &str) -> String {
    name.split('.')
        .map(|p| format!("\"{}\"", p.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(".")
}

/// `s` as an SQL string literal.
fn quote_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The built-in queries' settings.
#[derive(Debug, Clone)]
pub struct Builtin<'a> {
    /// The table (optionally `schema.table`).
    pub table: &'a str,
    /// The `vector` column.
    pub vector: &'a str,
    /// The kNN operator.
    pub distance: Distance,
    /// The text column searched by `query = "text"`.
    pub text: &'a str,
    /// A `tsvector` column used as it is instead of `to_tsvector(text)`.
    pub tsvector: Option<&'a str>,
    /// The text search configuration (e.g. `english`).
    pub language: &'a str,
}

/// The SELECT list of the built-in queries: every configured column once, under its own name.
fn select_list(columns: &Columns) -> String {
    let mut names: Vec<&str> = vec![&columns.id];
    for c in [
        &columns.text,
        &columns.doc,
        &columns.chunk,
        &columns.start,
        &columns.end,
        &columns.metadata,
    ]
    .into_iter()
    .flatten()
    {
        if !names.contains(&c.as_str()) {
            names.push(c);
        }
    }
    names
        .iter()
        .map(|n| quote_ident(n))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The SQL of a built-in query and how its score is oriented. The score column is named
/// `columns.score`; ties are broken by id, so a ranking is the same on every run.
#[must_use]
pub fn builtin_sql(
    b: &Builtin<'_>,
    mode: QueryMode,
    columns: &Columns,
) -> (String, ScoreOrientation) {
    let (table, id, score) = (
        quote_ident(b.table),
        quote_ident(&columns.id),
        quote_ident(&columns.score),
    );
    let list = select_list(columns);
    match mode {
        QueryMode::Embedding => {
            let d = format!("{} {} $1", quote_ident(b.vector), b.distance.operator());
            let orientation = match b.distance {
                Distance::Cosine => ScoreOrientation::OneMinus,
                Distance::InnerProduct | Distance::L2 => ScoreOrientation::Negated,
            };
            (
                // The inner query is what an HNSW or IVFFlat index can answer (ORDER BY the
                // distance alone); the outer one breaks ties by id, so a ranking is the same on
                // every run.
                format!(
                    "SELECT * FROM (SELECT {list}, {d} AS {score} FROM {table} ORDER BY {d} \
                     LIMIT $2) AS knn ORDER BY {score}, {id}"
                ),
                orientation,
            )
        }
        QueryMode::Text => {
            let lang = format!("{}::regconfig", quote_literal(b.language));
            let doc = b.tsvector.map_or_else(
                || format!("to_tsvector({lang}, {})", quote_ident(b.text)),
                quote_ident,
            );
            // Any word of the question (plainto_tsquery's AND turned into OR), as BM25 asks.
            let q = format!(
                "to_tsquery({lang}, replace(plainto_tsquery({lang}, $1)::text, ' & ', ' | '))"
            );
            (
                format!(
                    "SELECT {list}, ts_rank({doc}, {q}) AS {score} FROM {table} \
                     WHERE {doc} @@ {q} ORDER BY {score} DESC, {id} LIMIT $2"
                ),
                ScoreOrientation::AsIs,
            )
        }
    }
}

/// One result row's values, read from the row by column type.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RowValues {
    /// The id (NULL: `None`).
    pub id: Option<String>,
    /// The score as returned.
    pub score: Option<f64>,
    /// The text.
    pub text: Option<String>,
    /// The document id.
    pub doc: Option<String>,
    /// The chunk id.
    pub chunk: Option<String>,
    /// The start offset.
    pub start: Option<i64>,
    /// The end offset.
    pub end: Option<i64>,
    /// The metadata value.
    pub metadata: Option<serde_json::Value>,
}

/// Row `n`'s (from 1) values as a hit, or why they cannot be one (a NULL id, a NaN score,
/// metadata that is not an object).
///
/// # Errors
///
/// The reason, naming the row and the column.
pub fn hit_from(
    v: RowValues,
    n: usize,
    columns: &Columns,
    orientation: ScoreOrientation,
) -> Result<EngineHit, String> {
    let id =
        v.id.ok_or_else(|| format!("row {n}: column {}: the id is NULL", columns.id))?;
    let score = match v.score {
        Some(s) if s.is_nan() => {
            return Err(format!(
                "row {n}: column {}: the score is NaN",
                columns.score
            ));
        }
        Some(s) => Some(match orientation {
            ScoreOrientation::AsIs => s,
            ScoreOrientation::Negated => -s,
            ScoreOrientation::OneMinus => 1.0 - s,
        }),
        None => None,
    };
    let metadata = match v.metadata {
        None | Some(serde_json::Value::Null) => serde_json::Map::new(),
        Some(serde_json::Value::Object(m)) => m,
        Some(_) => {
            return Err(format!(
                "row {n}: column {}: the metadata is not a JSON object",
                columns.metadata.as_deref().unwrap_or("?")
            ));
        }
    };
    let span = match (v.start, v.end) {
        (Some(s), Some(e)) if 0 <= s && s < e => {
            usize::try_from(s).ok().zip(usize::try_from(e).ok())
        }
        _ => None,
    };
    Ok(EngineHit {
        id,
        score,
        text: v.text,
        doc: v.doc,
        chunk: v.chunk,
        span,
        metadata,
    })
}

/// A pooled connection with its prepared query and the result columns' positions.
struct Conn {
    client: postgres::Client,
    statement: postgres::Statement,
    at: Positions,
}

/// Where each configured column is in the result.
#[derive(Debug, Clone, Default)]
struct Positions {
    id: usize,
    score: usize,
    text: Option<usize>,
    doc: Option<usize>,
    chunk: Option<usize>,
    start: Option<usize>,
    end: Option<usize>,
    metadata: Option<usize>,
}

/// What every request needs, shared with the thread that asks (see [`PgEngine::retrieve`]).
struct Inner {
    spec: PgSpec,
    config: postgres::Config,
    name: String,
    secrets: Vec<String>,
}

/// A PostgreSQL + pgvector engine.
pub struct PgEngine {
    inner: Arc<Inner>,
    pool: Mutex<Vec<Conn>>,
}

impl std::fmt::Debug for PgEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the connection string or the password.
        f.debug_struct("PgEngine")
            .field("name", &self.inner.name)
            .finish_non_exhaustive()
    }
}

impl PgEngine {
    /// An engine from its settings; nothing is connected yet.
    ///
    /// # Errors
    ///
    /// A message (without the password) when the connection string cannot be parsed.
    pub fn new(spec: PgSpec) -> Result<PgEngine, String> {
        let mut config: postgres::Config = spec.conninfo.parse().map_err(|e| {
            format!("the connection string cannot be read ({e}); it is not shown, it may hold a password")
        })?;
        let mut secrets = Vec::new();
        if let Some(p) = config.get_password() {
            secrets.push(String::from_utf8_lossy(p).into_owned());
        }
        if let Some((p, _)) = &spec.password {
            config.password(p.as_str());
            secrets.push(p.clone());
        }
        secrets.retain(|s| !s.is_empty());
        config
            .connect_timeout(spec.timeout)
            .application_name("ragdiag")
            .keepalives(true)
            .keepalives_idle(Duration::from_secs(10))
            .tcp_user_timeout(spec.timeout + Duration::from_secs(5));
        let name = format!("pgvector {}", describe(&config));
        Ok(PgEngine {
            inner: Arc::new(Inner {
                spec,
                config,
                name,
                secrets,
            }),
            pool: Mutex::new(Vec::new()),
        })
    }

    /// The query this engine sends.
    #[must_use]
    pub fn sql(&self) -> &str {
        &self.inner.spec.sql
    }
}

impl Inner {
    /// `s` without any password.
    fn scrub(&self, s: &str) -> String {
        let mut out = s.to_owned();
        for secret in &self.secrets {
            out = out.replace(secret.as_str(), "***");
        }
        out
    }

    /// What went wrong, as an [`EngineError`] naming the engine.
    fn classify(&self, e: &postgres::Error) -> EngineError {
        let url = self.name.clone();
        if let Some(db) = e.as_db_error() {
            let code = db.code();
            if *code == SqlState::QUERY_CANCELED {
                return EngineError::Timeout {
                    url,
                    secs: self.spec.timeout.as_secs_f64(),
                };
            }
            let transient = code.code().starts_with("08")
                || [
                    SqlState::ADMIN_SHUTDOWN,
                    SqlState::CRASH_SHUTDOWN,
                    SqlState::CANNOT_CONNECT_NOW,
                    SqlState::TOO_MANY_CONNECTIONS,
                ]
                .contains(code);
            return EngineError::Database {
                url,
                code: code.code().to_owned(),
                message: self.scrub(db.message()),
                transient,
            };
        }
        let chain = self.scrub(&error_chain(e));
        let timed_out = std::error::Error::source(e)
            .and_then(|s| s.downcast_ref::<std::io::Error>())
            .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
            || chain.contains("timeout");
        if timed_out {
            EngineError::Timeout {
                url,
                secs: self.spec.timeout.as_secs_f64(),
            }
        } else if e.is_closed()
            || std::error::Error::source(e).is_some_and(|s| s.is::<std::io::Error>())
        {
            EngineError::Connect { url, reason: chain }
        } else {
            EngineError::Request(format!("{url}: {chain}"))
        }
    }

    /// A new connection with `statement_timeout` and the session settings.
    fn open(&self) -> Result<postgres::Client, EngineError> {
        let mut client = self
            .config
            .connect(postgres::NoTls)
            .map_err(|e| self.classify(&e))?;
        let ms = self.spec.timeout.as_millis().max(1).to_string();
        let mut settings: Vec<(&str, &str)> = vec![("statement_timeout", ms.as_str())];
        settings.extend(
            self.spec
                .settings
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str())),
        );
        for (k, v) in settings {
            client
                .query("SELECT set_config($1, $2, false)", &[&k, &v])
                .map_err(|e| self.classify(&e))?;
        }
        Ok(client)
    }

    /// A new connection with the session settings and the prepared query.
    fn connect(&self) -> Result<Conn, EngineError> {
        let mut client = self.open()?;
        let statement = client
            .prepare(&self.spec.sql)
            .map_err(|e| self.classify(&e))?;
        let at = self.positions(&statement)?;
        Ok(Conn {
            client,
            statement,
            at,
        })
    }

    /// The configured columns' positions in the query's result, and a check of its parameters.
    fn positions(&self, statement: &postgres::Statement) -> Result<Positions, EngineError> {
        let bad = |m: String| EngineError::Request(format!("{}: {m}", self.name));
        let params = statement.params();
        if params.is_empty() || params.len() > 2 {
            return Err(bad(format!(
                "the query takes {} parameters; it must take $1 (the {}) and optionally $2 (k)",
                params.len(),
                match self.spec.mode {
                    QueryMode::Embedding => "query embedding",
                    QueryMode::Text => "question's text",
                }
            )));
        }
        match self.spec.mode {
            QueryMode::Embedding if params[0].name() != "vector" => {
                return Err(bad(format!(
                    "$1 is a {}, not a vector (write $1::vector)",
                    params[0].name()
                )));
            }
            QueryMode::Text if !is_text(&params[0]) => {
                return Err(bad(format!(
                    "$1 is a {}, not text (write $1::text)",
                    params[0].name()
                )));
            }
            _ => {}
        }
        if let Some(t) = params.get(1) {
            if ![Type::INT2, Type::INT4, Type::INT8].contains(t) {
                return Err(bad(format!("$2 (k) is a {}, not an integer", t.name())));
            }
        }
        let names: Vec<&str> = statement.columns().iter().map(|c| c.name()).collect();
        let find = |c: &str| names.iter().position(|n| *n == c);
        let need = |c: &str| {
            find(c).ok_or_else(|| {
                bad(format!(
                    "the query returns no column {c} (it returns {})",
                    names.join(", ")
                ))
            })
        };
        let c = &self.spec.columns;
        let opt = |c: &Option<String>| c.as_deref().map(need).transpose();
        Ok(Positions {
            id: need(&c.id)?,
            score: need(&c.score)?,
            text: opt(&c.text)?,
            doc: opt(&c.doc)?,
            chunk: opt(&c.chunk)?,
            start: opt(&c.start)?,
            end: opt(&c.end)?,
            metadata: opt(&c.metadata)?,
        })
    }

    fn query(&self, conn: &mut Conn, request: &Request) -> Result<Vec<EngineHit>, EngineError> {
        let k = i64::try_from(request.k).unwrap_or(i64::MAX);
        let vector;
        let first: &(dyn ToSql + Sync) = match self.spec.mode {
            QueryMode::Embedding => {
                let Some(e) = &request.embedding else {
                    return Err(EngineError::Request(format!(
                        "{}: the query takes an embedding and none was computed",
                        self.name
                    )));
                };
                vector = pgvector::Vector::from(e.clone());
                &vector
            }
            QueryMode::Text => &request.text,
        };
        let (k2, k4, k8) = (
            i16::try_from(k).unwrap_or(i16::MAX),
            i32::try_from(k).unwrap_or(i32::MAX),
            k,
        );
        let mut params: Vec<&(dyn ToSql + Sync)> = vec![first];
        if let Some(t) = conn.statement.params().get(1) {
            params.push(match *t {
                Type::INT2 => &k2,
                Type::INT4 => &k4,
                _ => &k8,
            });
        }
        let rows = conn
            .client
            .query(&conn.statement, &params)
            .map_err(|e| self.classify(&e))?;
        let malformed = |reason: String| EngineError::Malformed {
            url: self.name.clone(),
            reason: self.scrub(&reason),
        };
        let at = &conn.at;
        let mut hits = Vec::with_capacity(rows.len().min(request.k));
        for (i, row) in rows.iter().enumerate().take(request.k) {
            let n = i + 1;
            let read = |idx: Option<usize>, what: Kind| -> Result<Cell, String> {
                idx.map_or(Ok(Cell::Null), |idx| read_cell(row, idx, what))
                    .map_err(|e| format!("row {n}: {e}"))
            };
            let v = RowValues {
                id: read(Some(at.id), Kind::Id).map_err(malformed)?.text(),
                score: read(Some(at.score), Kind::Number)
                    .map_err(malformed)?
                    .number(),
                text: read(at.text, Kind::Text).map_err(malformed)?.text(),
                doc: read(at.doc, Kind::Id).map_err(malformed)?.text(),
                chunk: read(at.chunk, Kind::Id).map_err(malformed)?.text(),
                start: read(at.start, Kind::Integer).map_err(malformed)?.integer(),
                end: read(at.end, Kind::Integer).map_err(malformed)?.integer(),
                metadata: read(at.metadata, Kind::Json).map_err(malformed)?.json(),
            };
            hits.push(
                hit_from(v, n, &self.spec.columns, self.spec.orientation).map_err(malformed)?,
            );
        }
        Ok(hits)
    }
}

impl crate::export::Exporter for PgEngine {
    fn name(&self) -> String {
        self.inner.name.clone()
    }

    /// The table's rows in id order (`LIMIT`/`OFFSET`), the configured columns mapped as for
    /// a hit (no score).
    fn page(&self, offset: usize, limit: usize) -> Result<Vec<EngineHit>, EngineError> {
        let inner = &self.inner;
        let Some(table) = &inner.spec.table else {
            return Err(EngineError::Request(format!(
                "{}: export-corpus reads a table: give table, not sql",
                inner.name
            )));
        };
        let c = &inner.spec.columns;
        let sql = format!(
            "SELECT {} FROM {} ORDER BY {} LIMIT $1 OFFSET $2",
            select_list(c),
            quote_ident(table),
            quote_ident(&c.id)
        );
        let mut client = inner.open()?;
        let (limit, offset) = (
            i64::try_from(limit).unwrap_or(i64::MAX),
            i64::try_from(offset).unwrap_or(i64::MAX),
        );
        let rows = client
            .query(sql.as_str(), &[&limit, &offset])
            .map_err(|e| inner.classify(&e))?;
        let malformed = |reason: String| EngineError::Malformed {
            url: inner.name.clone(),
            reason: inner.scrub(&reason),
        };
        let mut out = Vec::with_capacity(rows.len());
        for (i, row) in rows.iter().enumerate() {
            let n = usize::try_from(offset).unwrap_or(0) + i + 1;
            let at = |name: &Option<String>| {
                name.as_deref()
                    .and_then(|name| row.columns().iter().position(|col| col.name() == name))
            };
            let read = |idx: Option<usize>, what: Kind| -> Result<Cell, EngineError> {
                idx.map_or(Ok(Cell::Null), |idx| read_cell(row, idx, what))
                    .map_err(|e| malformed(format!("row {n}: {e}")))
            };
            let v = RowValues {
                id: read(Some(0), Kind::Id)?.text(),
                score: None,
                text: read(at(&c.text), Kind::Text)?.text(),
                doc: read(at(&c.doc), Kind::Id)?.text(),
                chunk: read(at(&c.chunk), Kind::Id)?.text(),
                start: read(at(&c.start), Kind::Integer)?.integer(),
                end: read(at(&c.end), Kind::Integer)?.integer(),
                metadata: read(at(&c.metadata), Kind::Json)?.json(),
            };
            out.push(hit_from(v, n, c, ScoreOrientation::AsIs).map_err(malformed)?);
        }
        Ok(out)
    }
}

/// What a column is read as.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Id,
    Text,
    Number,
    Integer,
    Json,
}

/// One value read from a row.
enum Cell {
    Null,
    Text(String),
    Number(f64),
    Integer(i64),
    Json(serde_json::Value),
}

impl Cell {
    fn text(self) -> Option<String> {
        match self {
            Cell::Text(s) => Some(s),
            Cell::Integer(i) => Some(i.to_string()),
            _ => None,
        }
    }
    fn number(self) -> Option<f64> {
        match self {
            Cell::Number(x) => Some(x),
            #[allow(clippy::cast_precision_loss)]
            Cell::Integer(i) => Some(i as f64),
            _ => None,
        }
    }
    fn integer(self) -> Option<i64> {
        match self {
            Cell::Integer(i) => Some(i),
            _ => None,
        }
    }
    fn json(self) -> Option<serde_json::Value> {
        match self {
            Cell::Json(v) => Some(v),
            _ => None,
        }
    }
}

fn is_text(t: &Type) -> bool {
    [Type::TEXT, Type::VARCHAR, Type::BPCHAR, Type::NAME].contains(t)
}

/// Column `idx` of `row` read as `what` by its SQL type.
fn read_cell(row: &postgres::Row, idx: usize, what: Kind) -> Result<Cell, String> {
    let col = &row.columns()[idx];
    let t = col.type_();
    let get_err = |e: postgres::Error| format!("column {}: {e}", col.name());
    let int = |row: &postgres::Row| -> Result<Option<i64>, String> {
        Ok(match *t {
            Type::INT2 => row
                .try_get::<_, Option<i16>>(idx)
                .map_err(get_err)?
                .map(i64::from),
            Type::INT4 => row
                .try_get::<_, Option<i32>>(idx)
                .map_err(get_err)?
                .map(i64::from),
            _ => row.try_get::<_, Option<i64>>(idx).map_err(get_err)?,
        })
    };
    let is_int = [Type::INT2, Type::INT4, Type::INT8].contains(t);
    let cell = match what {
        Kind::Id | Kind::Text if is_text(t) => row
            .try_get::<_, Option<String>>(idx)
            .map_err(get_err)?
            .map(Cell::Text),
        Kind::Id | Kind::Integer if is_int => int(row)?.map(Cell::Integer),
        Kind::Number if *t == Type::FLOAT8 => row
            .try_get::<_, Option<f64>>(idx)
            .map_err(get_err)?
            .map(Cell::Number),
        Kind::Number if *t == Type::FLOAT4 => row
            .try_get::<_, Option<f32>>(idx)
            .map_err(get_err)?
            .map(|x| Cell::Number(f64::from(x))),
        Kind::Number if is_int => int(row)?.map(Cell::Integer),
        Kind::Json if *t == Type::JSON || *t == Type::JSONB => row
            .try_get::<_, Option<serde_json::Value>>(idx)
            .map_err(get_err)?
            .map(Cell::Json),
        _ => {
            let want = match what {
                Kind::Id => "text or an integer",
                Kind::Text => "text",
                Kind::Number => "float8, float4 or an integer (cast it: ::float8)",
                Kind::Integer => "an integer",
                Kind::Json => "json or jsonb",
            };
            return Err(format!(
                "column {}: its type is {}, expected {want}",
                col.name(),
                t.name()
            ));
        }
    };
    Ok(cell.unwrap_or(Cell::Null))
}

/// `e` and its sources, joined by `: ` (a source already quoted by its parent is left out).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

/// The connection as `postgresql://user@host:port/db`, without the password.
fn describe(c: &postgres::Config) -> String {
    let host = match c.get_hosts().first() {
        Some(postgres::config::Host::Tcp(h)) => h.clone(),
        #[cfg(unix)]
        Some(postgres::config::Host::Unix(p)) => p.display().to_string(),
        None => "localhost".to_owned(),
    };
    let port = c.get_ports().first().copied().unwrap_or(5432);
    let user = c.get_user().map(|u| format!("{u}@")).unwrap_or_default();
    let db = c.get_dbname().unwrap_or_default();
    format!("postgresql://{user}{host}:{port}/{db}")
}

impl Engine for PgEngine {
    fn identity(&self) -> String {
        let s = &self.inner.spec;
        format!(
            "pgvector\n{}\n{}\nconninfo_env={:?} password_env={:?}\n{:?} {:?} {:?}\n{:?}",
            self.inner.name,
            s.sql,
            s.conninfo_env,
            s.password.as_ref().map(|p| &p.1),
            s.mode,
            s.columns,
            s.orientation,
            s.settings
        )
    }

    fn name(&self) -> String {
        self.inner.name.clone()
    }

    fn needs_embedding(&self) -> bool {
        self.inner.spec.mode == QueryMode::Embedding
    }

    /// Asks on a pooled connection (or a new one) in a thread of its own, waited for at most
    /// twice the timeout and a second (a connection, then a statement): `statement_timeout`
    /// ends a slow query on the server, and this deadline a server that accepts and never
    /// answers (the thread is then left to end when its socket does).
    fn retrieve(&self, request: &Request) -> Result<Vec<EngineHit>, EngineError> {
        let pooled = self
            .pool
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .pop();
        let inner = Arc::clone(&self.inner);
        let req = request.clone();
        let (tx, rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("ragdiag-pgvector".into())
            .spawn(move || {
                let mut conn = match pooled {
                    Some(c) if !c.client.is_closed() => c,
                    _ => match inner.connect() {
                        Ok(c) => c,
                        Err(e) => {
                            let _ = tx.send((None, Err(e)));
                            return;
                        }
                    },
                };
                let r = inner.query(&mut conn, &req);
                let _ = tx.send((Some(conn), r));
            })
            .map_err(|e| {
                EngineError::Request(format!("{}: cannot start a thread: {e}", self.inner.name))
            })?;
        let timeout = self.inner.spec.timeout;
        match rx.recv_timeout(timeout * 2 + Duration::from_secs(1)) {
            Ok((conn, result)) => {
                if let Some(c) = conn.filter(|c| !c.client.is_closed()) {
                    self.pool
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .push(c);
                }
                result
            }
            Err(_) => Err(EngineError::Timeout {
                url: self.inner.name.clone(),
                secs: timeout.as_secs_f64(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpListener;

    fn columns() -> Columns {
        Columns {
            id: "id".into(),
            score: "ragdiag_score".into(),
            text: Some("text".into()),
            doc: Some("doc_id".into()),
            chunk: None,
            start: Some("start".into()),
            end: Some("end".into()),
            metadata: Some("meta".into()),
        }
    }

    fn builtin(distance: Distance) -> Builtin<'static> {
        Builtin {
            table: "kb.ch\"unks",
            vector: "embedding",
            distance,
            text: "text",
            tsvector: None,
            language: "eng'lish",
        }
    }

    fn spec(conninfo: &str, timeout_ms: u64) -> PgSpec {
        let (sql, orientation) =
            builtin_sql(&builtin(Distance::Cosine), QueryMode::Embedding, &columns());
        PgSpec {
            conninfo: conninfo.into(),
            password: None,
            conninfo_env: None,
            sql,
            mode: QueryMode::Embedding,
            columns: columns(),
            orientation,
            settings: BTreeMap::new(),
            timeout: Duration::from_millis(timeout_ms),
            table: None,
        }
    }

    fn request() -> Request {
        Request {
            id: "q1".into(),
            text: "how?".into(),
            embedding: Some(vec![0.5, 0.5]),
            k: 3,
        }
    }

    #[test]
    fn built_in_queries_quote_names_and_orient_scores() {
        let c = columns();
        let (sql, o) = builtin_sql(&builtin(Distance::Cosine), QueryMode::Embedding, &c);
        assert_eq!(
            sql,
            "SELECT * FROM (SELECT \"id\", \"text\", \"doc_id\", \"start\", \"end\", \"meta\", \
             \"embedding\" <=> $1 AS \"ragdiag_score\" FROM \"kb\".\"ch\"\"unks\" \
             ORDER BY \"embedding\" <=> $1 LIMIT $2) AS knn ORDER BY \"ragdiag_score\", \"id\""
        );
        assert_eq!(o, ScoreOrientation::OneMinus);
        let (sql, o) = builtin_sql(&builtin(Distance::InnerProduct), QueryMode::Embedding, &c);
        assert!(sql.contains("\"embedding\" <#> $1 AS"), "{sql}");
        assert_eq!(o, ScoreOrientation::Negated);
        let (sql, o) = builtin_sql(&builtin(Distance::L2), QueryMode::Embedding, &c);
        assert!(sql.contains("\"embedding\" <-> $1 AS"), "{sql}");
        assert_eq!(o, ScoreOrientation::Negated);
        let (sql, o) = builtin_sql(&builtin(Distance::Cosine), QueryMode::Text, &c);
        assert!(
            sql.contains(
                "ts_rank(to_tsvector('eng''lish'::regconfig, \"text\"), \
                 to_tsquery('eng''lish'::regconfig, replace(plainto_tsquery('eng''lish'::regconfig, \
                 $1)::text, ' & ', ' | '))) AS \"ragdiag_score\""
            ),
            "{sql}"
        );
        assert!(
            sql.contains("ORDER BY \"ragdiag_score\" DESC, \"id\" LIMIT $2"),
            "{sql}"
        );
        assert_eq!(o, ScoreOrientation::AsIs);
    }

    #[test]
    fn rows_become_hits_or_name_their_fault() {
        let c = columns();
        let v = RowValues {
            id: Some("d1#0".into()),
            score: Some(0.25),
            doc: Some("d1".into()),
            start: Some(3),
            end: Some(9),
            metadata: Some(serde_json::json!({"version": "2"})),
            ..RowValues::default()
        };
        let h = hit_from(v.clone(), 1, &c, ScoreOrientation::OneMinus).unwrap();
        assert_eq!(h.score, Some(0.75));
        assert_eq!(h.doc_id(), "d1");
        assert_eq!(h.span, Some((3, 9)));
        assert_eq!(h.metadata["version"], "2");
        let h = hit_from(v.clone(), 1, &c, ScoreOrientation::Negated).unwrap();
        assert_eq!(h.score, Some(-0.25));
        let backwards = RowValues {
            start: Some(9),
            end: Some(3),
            ..v.clone()
        };
        assert_eq!(
            hit_from(backwards, 1, &c, ScoreOrientation::AsIs)
                .unwrap()
                .span,
            None
        );
        let no_id = RowValues {
            id: None,
            ..v.clone()
        };
        let e = hit_from(no_id, 4, &c, ScoreOrientation::AsIs).unwrap_err();
        assert_eq!(e, "row 4: column id: the id is NULL");
        let nan = RowValues {
            score: Some(f64::NAN),
            ..v.clone()
        };
        let e = hit_from(nan, 2, &c, ScoreOrientation::AsIs).unwrap_err();
        assert_eq!(e, "row 2: column ragdiag_score: the score is NaN");
        let list = RowValues {
            metadata: Some(serde_json::json!([1])),
            ..v
        };
        let e = hit_from(list, 1, &c, ScoreOrientation::AsIs).unwrap_err();
        assert!(
            e.contains("column meta: the metadata is not a JSON object"),
            "{e}"
        );
    }

    #[test]
    fn the_password_is_in_no_name_identity_or_debug() {
        let mut s = spec("postgresql://kb:pw-in-url-42@127.0.0.1:1/docs", 500);
        s.password = Some(("pw-from-env-43".into(), "PGPASS_VAR".into()));
        let e = PgEngine::new(s).unwrap();
        assert_eq!(e.name(), "pgvector postgresql://kb@127.0.0.1:1/docs");
        for text in [e.name(), e.identity(), format!("{e:?}")] {
            assert!(
                !text.contains("pw-in-url-42") && !text.contains("pw-from-env-43"),
                "{text}"
            );
        }
        assert!(e.identity().contains("PGPASS_VAR"));
        assert_eq!(
            e.inner.scrub("x pw-from-env-43 y pw-in-url-42"),
            "x *** y ***"
        );
        // A string that cannot be read is not echoed (it may hold the password).
        let err = PgEngine::new(spec("postgresql://kb:pw-bad-44@[::1", 500)).unwrap_err();
        assert!(!err.contains("pw-bad-44"), "{err}");
    }

    #[test]
    fn a_server_down_is_a_transient_connection_error_naming_the_engine() {
        // Bound and not listening: refused, and no other test's port 0 can take it meanwhile.
        let held =
            socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
        held.bind(&std::net::SocketAddr::from(([127, 0, 0, 1], 0)).into())
            .unwrap();
        let port = held.local_addr().unwrap().as_socket().unwrap().port();
        let e = PgEngine::new(spec(
            &format!("host=127.0.0.1 port={port} user=kb password=pw-down-45 dbname=docs"),
            2000,
        ))
        .unwrap();
        let err = e.retrieve(&request()).unwrap_err();
        assert!(matches!(err, EngineError::Connect { .. }), "{err:?}");
        assert!(err.is_transient());
        let msg = err.to_string();
        assert!(
            msg.starts_with(&format!(
                "cannot connect to pgvector postgresql://kb@127.0.0.1:{port}/docs"
            )),
            "{msg}"
        );
        assert!(!msg.contains("pw-down-45"), "{msg}");
    }

    /// A server that reads the startup message and answers with `reply` (or nothing).
    fn fake_server(reply: Option<Vec<u8>>) -> (u16, std::thread::JoinHandle<()>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let handle = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            loop {
                let mut len = [0u8; 4];
                if s.read_exact(&mut len).is_err() {
                    return;
                }
                let mut rest = vec![0u8; u32::from_be_bytes(len) as usize - 4];
                s.read_exact(&mut rest).unwrap();
                if rest[..4] == 80_877_103u32.to_be_bytes() {
                    s.write_all(b"N").unwrap(); // no TLS
                    continue;
                }
                break;
            }
            match reply {
                Some(r) => s.write_all(&r).unwrap(),
                None => std::thread::sleep(Duration::from_secs(3)),
            }
        });
        (port, handle)
    }

    #[test]
    fn a_wrong_password_is_a_clear_lasting_error() {
        let mut fields = Vec::new();
        for (t, v) in [
            (b'S', "FATAL"),
            (b'V', "FATAL"),
            (b'C', "28P01"),
            (b'M', "password authentication failed for user \"kb\""),
        ] {
            fields.push(t);
            fields.extend_from_slice(v.as_bytes());
            fields.push(0);
        }
        fields.push(0);
        let mut msg = vec![b'E'];
        msg.extend_from_slice(&u32::try_from(fields.len() + 4).unwrap().to_be_bytes());
        msg.extend_from_slice(&fields);
        let (port, server) = fake_server(Some(msg));
        let e = PgEngine::new(spec(
            &format!("host=127.0.0.1 port={port} user=kb password=pw-wrong-46 dbname=docs"),
            5000,
        ))
        .unwrap();
        let err = e.retrieve(&request()).unwrap_err();
        server.join().unwrap();
        assert!(!err.is_transient(), "{err:?}");
        assert_eq!(
            err.to_string(),
            format!(
                "pgvector postgresql://kb@127.0.0.1:{port}/docs: password authentication \
                 failed for user \"kb\" (SQLSTATE 28P01)"
            )
        );
    }

    #[test]
    fn a_server_that_never_answers_times_out() {
        let (port, server) = fake_server(None);
        let e = PgEngine::new(spec(
            &format!("host=127.0.0.1 port={port} user=kb dbname=docs"),
            300,
        ))
        .unwrap();
        let started = std::time::Instant::now();
        let err = e.retrieve(&request()).unwrap_err();
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
        assert!(matches!(err, EngineError::Timeout { .. }), "{err:?}");
        server.join().unwrap();
    }
}
