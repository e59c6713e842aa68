//! Command-line types (clap derive only; no logic).

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Diagnose retrieval-augmented generation systems: why did the answer go wrong?
#[derive(Debug, Parser)]
#[command(name = "ragdiag", version, about, max_term_width = 100)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
    #[command(flatten)]
    pub(crate) global: GlobalArgs,
}

/// Flags every subcommand accepts.
#[derive(Debug, Args)]
pub(crate) struct GlobalArgs {
    /// No progress or notes on stderr (errors and warnings still print).
    #[arg(long, global = true)]
    pub(crate) quiet: bool,
    /// The longest record an input may hold (a JSONL line, a file of a folder corpus, a run
    /// line), e.g. 256M [env: RAGDIAG_MAX_RECORD_BYTES; default 32M].
    #[arg(long, global = true, value_name = "SIZE", value_parser = size)]
    pub(crate) max_record_bytes: Option<u64>,
    /// The most JSON values one record may hold [env: RAGDIAG_MAX_RECORD_VALUES; default
    /// 200000].
    #[arg(long, global = true, value_name = "N", value_parser = size)]
    pub(crate) max_record_values: Option<u64>,
    /// The most results one query of a run may have [env: RAGDIAG_MAX_RESULTS_PER_QUERY;
    /// default 1000000].
    #[arg(long, global = true, value_name = "N", value_parser = size)]
    pub(crate) max_results_per_query: Option<u64>,
}

/// A positive size or count: `123`, `64K`, `32M`, `2G` (powers of 1024).
fn size(s: &str) -> Result<u64, String> {
    ragdiag_load::parse_size(s)
        .ok_or_else(|| format!("expected a positive number such as 5000, 64K or 32M, found {s:?}"))
}

/// The knowledge base (`index`, `freshness`, `diagnose`, `lint`).
#[derive(Debug, Clone, Default, Args)]
pub(crate) struct CorpusArgs {
    /// Corpus: JSONL, BEIR folder or corpus.jsonl, folder of Markdown/text/HTML, or Parquet.
    #[arg(long)]
    pub(crate) corpus: Option<PathBuf>,
}

/// The embedding model (`index`, `search`, `diagnose`, `chunking`, `freshness --index`).
#[derive(Debug, Clone, Default, Args)]
pub(crate) struct ModelArgs {
    /// Embedding model: `minilm` (all-MiniLM-L6-v2, fetched on first use), a folder with a
    /// sentence-transformers ONNX export, `none` (BM25 only), or `hash:DIM` (test embedder).
    /// Default: `minilm`, or for a search of an index the model it was built with.
    #[arg(long, value_parser = parse_model)]
    pub(crate) model: Option<ragdiag_embed::ModelChoice>,
    /// Never download the model or runtime: fail with the command to run instead.
    #[arg(long)]
    pub(crate) no_fetch: bool,
}

/// How questions are retrieved (`search`, `diagnose`, `chunking`, `freshness --index`).
#[derive(Debug, Clone, Default, Args)]
pub(crate) struct RetrievalArgs {
    /// The retriever (default hybrid).
    #[arg(long, value_enum)]
    pub(crate) retriever: Option<RetrieverArg>,
    /// Exact vector search, the ground truth (default for `diagnose` up to 200,000 chunks and
    /// for `chunking`).
    #[arg(long, overrides_with = "ann")]
    pub(crate) exact: bool,
    /// Search the HNSW graph, its recall against exact search reported (default for `search`
    /// and `freshness --index`).
    #[arg(long, overrides_with = "exact")]
    pub(crate) ann: bool,
}

/// The statistics (every command that reports intervals or paired tests).
#[derive(Debug, Clone, Default, Args)]
pub(crate) struct StatsArgs {
    /// Seed of the bootstrap intervals and paired tests (default 42).
    #[arg(long)]
    pub(crate) seed: Option<u64>,
}

// Parsed once per process: the size of the largest variant costs nothing worth a box.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Evaluate runs against qrels: trec_eval-compatible output, plus CIs and significance.
    Eval(EvalArgs),
    /// Check corpus, queries, qrels and runs for malformed records and problems of meaning.
    Lint(LintArgs),
    /// Audit corpus freshness: stale, superseded, expired, deleted, undated, conflicting pages.
    Freshness(FreshnessArgs),
    /// Chunk, embed and index a corpus: BM25, exact vectors and an HNSW graph in one directory.
    Index(IndexArgs),
    /// Search an index with BM25, dense or hybrid retrieval and write a TREC run.
    Search(SearchArgs),
    /// Replay questions (or read a trace), attribute every failure, and write the reports.
    Diagnose(DiagnoseArgs),
    /// Compare `diagnose` reports question by question against the first (paired tests, Holm).
    Compare(CompareArgs),
    /// Dated `diagnose` reports over time: metrics and class shares with intervals, each step
    /// tested question by question (paired, Holm), regressions marked; trend.html, trend.md,
    /// trend.json.
    Trend(TrendArgs),
    /// Compare chunking strategies: span recall, precision, IoU and precision-Ω, document
    /// metrics and cost, with paired tests against the first strategy.
    Chunking(ChunkingArgs),
    /// How many questions a comparison needs to detect a difference, or the smallest
    /// difference a question set detects (two-sided test, given power).
    Plan(PlanArgs),
    /// Pool the unjudged documents that runs and traces ranked high (TREC depth pooling) into
    /// a self-contained labelling page and a CSV, those that can move the metrics most first.
    Pool(PoolArgs),
    /// Golden-set labels: `import` merges the labelling page's exports into questions or qrels.
    Labels(LabelsArgs),
    /// Read back the documents a running engine stores (pgvector, Chroma), page by page, as a
    /// JSONL or Parquet corpus: chunks stitched at their offsets, dates and versions from metadata
    /// fields.
    ExportCorpus(ExportCorpusArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ExportCorpusArgs {
    /// The engine's settings (an `[engine]` table; `kind = "pgvector"` with `table`, or
    /// `kind = "chroma"`); `updated_field` and `version_field` name the metadata fields of a
    /// document's date and version.
    #[arg(long)]
    pub(crate) engine: PathBuf,
    /// The corpus to write (`.jsonl` or `.parquet`).
    #[arg(long)]
    pub(crate) out: PathBuf,
    /// Chunks read a request.
    #[arg(long, default_value_t = 500)]
    pub(crate) page_size: usize,
}

#[derive(Debug, Args)]
pub(crate) struct PlanArgs {
    /// The metric (`hit@5`, `success@10`, `ndcg@10`, …). `hit@K` and `success@K` are
    /// proportions; any other metric is a mean and needs `--sd`.
    #[arg(long)]
    pub(crate) metric: String,
    /// The metric's current value (the baseline), e.g. 0.8.
    #[arg(long)]
    pub(crate) baseline: f64,
    /// The difference to detect (absolute, e.g. 0.03): prints the questions needed.
    #[arg(
        long,
        required_unless_present = "questions",
        conflicts_with = "questions",
        allow_negative_numbers = true
    )]
    pub(crate) delta: Option<f64>,
    /// A question count: prints the smallest drop it detects.
    #[arg(long)]
    pub(crate) questions: Option<usize>,
    /// For a mean (nDCG, MRR): the standard deviation of its per-question values.
    #[arg(long)]
    pub(crate) sd: Option<f64>,
    /// For a mean, paired: the standard deviation of the per-question differences between
    /// the two systems (default: `--sd` × √2, no correlation — the most questions).
    #[arg(long)]
    pub(crate) sd_diff: Option<f64>,
    /// For a proportion, paired: the share of questions on which the two systems disagree,
    /// e.g. (wins + losses) / n of a past `ragdiag compare` (default: independent outcomes,
    /// the most questions).
    #[arg(long)]
    pub(crate) discordance: Option<f64>,
    /// Two-sided significance level.
    #[arg(long, default_value_t = 0.05)]
    pub(crate) alpha: f64,
    /// Power: the chance of detecting a true difference of that size.
    #[arg(long, default_value_t = 0.8)]
    pub(crate) power: f64,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub(crate) format: Format,
}

#[derive(Debug, Args)]
pub(crate) struct CompareArgs {
    /// Report directories written by `ragdiag diagnose`; the first is the baseline.
    #[arg(required = true, num_args = 2..)]
    pub(crate) reports: Vec<PathBuf>,
    /// Fail (exit 1) when a metric drops by more than this (absolute) with Holm p < 0.05:
    /// `ndcg@10=0.02,hit@5=0.05`.
    #[arg(long, value_parser = parse_gates)]
    pub(crate) fail_on_regression: Option<Gates>,
    #[command(flatten)]
    pub(crate) stats: StatsArgs,
    /// Output format of the table.
    #[arg(long, value_enum, default_value_t)]
    pub(crate) format: Format,
    /// Also write `summary.json` and `report.md` here.
    #[arg(long)]
    pub(crate) out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct TrendArgs {
    /// Report directories written by `ragdiag diagnose`, in any order (they are sorted by date).
    #[arg(required = true, num_args = 1..)]
    pub(crate) reports: Vec<PathBuf>,
    /// A report's date when its `provenance.created_at` is not the date to show:
    /// `DIR=YYYY-MM-DD` (repeatable).
    #[arg(long = "date", value_name = "DIR=YYYY-MM-DD")]
    pub(crate) dates: Vec<String>,
    /// Fail (exit 1) when a metric drops between two consecutive runs by more than this
    /// (absolute) with Holm p < 0.05: `mrr=0.02,hit@5=0.05`.
    #[arg(long, value_parser = parse_gates)]
    pub(crate) fail_on_regression: Option<Gates>,
    #[command(flatten)]
    pub(crate) stats: StatsArgs,
    /// Output format of the table.
    #[arg(long, value_enum, default_value_t)]
    pub(crate) format: Format,
    /// Also write `trend.html`, `trend.md` and `trend.json` here.
    #[arg(long)]
    pub(crate) out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct ChunkingArgs {
    /// Corpus: JSONL, BEIR folder or corpus.jsonl, folder of Markdown/text/HTML, or Parquet.
    #[arg(long, required_unless_present = "chroma", conflicts_with = "chroma")]
    pub(crate) corpus: Option<PathBuf>,
    /// Questions (ragdiag JSONL) with evidence spans or quotes and/or relevant documents.
    #[arg(long, required_unless_present = "chroma", conflicts_with = "chroma")]
    pub(crate) queries: Option<PathBuf>,
    /// A folder of Chroma's chunking evaluation (`questions_df.csv`, `corpora/`) instead of
    /// `--corpus` and `--queries`.
    #[arg(long)]
    pub(crate) chroma: Option<PathBuf>,
    /// Chunker specs to compare, comma-separated; the first is the baseline of the paired
    /// tests: `tokens:250/125@cl100k,recursive:200/0@cl100k`.
    #[arg(long, required = true, value_delimiter = ',')]
    pub(crate) strategies: Vec<String>,
    #[command(flatten)]
    pub(crate) retrieval: RetrievalArgs,
    /// Chunks retrieved per question (the context window).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub(crate) k: u64,
    #[command(flatten)]
    pub(crate) model: ModelArgs,
    /// Skip malformed records (each is listed) instead of stopping.
    #[arg(long)]
    pub(crate) skip_invalid: bool,
    #[command(flatten)]
    pub(crate) stats: StatsArgs,
    /// Output format of the table on stdout.
    #[arg(long, value_enum, default_value_t)]
    pub(crate) format: Format,
    /// Report directory: `report.md`, `summary.json`, `strategies.parquet`.
    #[arg(long)]
    pub(crate) out: PathBuf,
}

/// What `--fail-under` compares with the threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum GateOn {
    /// The point estimate.
    Point,
    /// The lower bound of the 95% confidence interval.
    LowerCi,
}

/// `--stale-labels`: how metrics treat labels that need re-review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum StaleLabelsArg {
    /// Score them as they are.
    Include,
    /// Drop them from the metrics.
    Exclude,
    /// Score them and list them.
    Flag,
}

/// How to read `--trace` when it is not ragdiag's own JSONL.
#[derive(Debug, Args, Clone, Default)]
pub(crate) struct TraceFormatArgs {
    /// The trace's format: ragdiag, openinference (spans, JSONL), otel (OTLP JSON), ragas or
    /// ragchecker (default: detected from the file).
    #[arg(long, value_parser = parse_trace_format)]
    pub(crate) trace_format: Option<ragdiag_load::TraceFormat>,
    /// Span attribute (or `metadata` key, or dataset field) holding the question id; without it
    /// a trace's question is the one whose text its root span's `input.value` equals.
    #[arg(long)]
    pub(crate) trace_query_id_key: Option<String>,
}

fn parse_trace_format(s: &str) -> Result<ragdiag_load::TraceFormat, String> {
    s.parse()
}

#[derive(Debug, Args)]
pub(crate) struct DiagnoseArgs {
    #[command(flatten)]
    pub(crate) corpus: CorpusArgs,
    /// Questions: ragdiag JSONL, or BEIR queries.jsonl with `--qrels` (optional with a RAGAS
    /// or RAGChecker trace, which carries its questions).
    #[arg(long)]
    pub(crate) queries: Option<PathBuf>,
    /// Relevance judgments (TREC or BEIR TSV) for BEIR-style questions.
    #[arg(long)]
    pub(crate) qrels: Option<PathBuf>,
    /// What the team's system retrieved and answered (ragdiag JSONL, OpenInference spans, OTLP
    /// JSON, RAGAS or RAGChecker; see `--trace-format`): diagnose it as it ran.
    #[arg(long)]
    pub(crate) trace: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) trace_format: TraceFormatArgs,
    /// A `ragdiag.toml` with the same settings (flags win; its paths are relative to it).
    #[arg(long)]
    pub(crate) config: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) retrieval: RetrievalArgs,
    /// The replay chunker (default `doc`).
    #[arg(long)]
    pub(crate) chunker: Option<String>,
    #[command(flatten)]
    pub(crate) model: ModelArgs,
    /// The context window: the top this many chunks (default 5).
    #[arg(long)]
    pub(crate) context_k: Option<usize>,
    /// The candidate pool of replays (default 100).
    #[arg(long)]
    pub(crate) pool_k: Option<usize>,
    /// A chunk holds an evidence span when it covers this share of it (default 0.9).
    #[arg(long)]
    pub(crate) cover: Option<f64>,
    /// The freshness date, `YYYY-MM-DD` or RFC 3339 (default: today).
    #[arg(long, value_parser = parse_date)]
    pub(crate) as_of: Option<ragdiag_core::Timestamp>,
    /// Gates: `recall@10=0.8,ndcg@10=0.6`; exit 1 when a metric is below its threshold.
    #[arg(long, value_parser = parse_gates)]
    pub(crate) fail_under: Option<Gates>,
    /// Compare gates with the point estimate or the lower CI bound.
    #[arg(long, value_enum)]
    pub(crate) gate_on: Option<GateOn>,
    #[command(flatten)]
    pub(crate) stats: StatsArgs,
    /// An answer is correct when its token F1 with an accepted answer reaches this (default
    /// 0.8), or when it contains one.
    #[arg(long)]
    pub(crate) answer_f1: Option<f64>,
    /// An answer sentence is grounded when this share of its content tokens is in the context
    /// window (default 0.6).
    #[arg(long)]
    pub(crate) ground_token_share: Option<f64>,
    /// With `--ground-embeddings`, a sentence is also grounded when its cosine with a context
    /// sentence reaches this (default 0.75).
    #[arg(long)]
    pub(crate) ground_cosine: Option<f64>,
    /// Also judge groundedness by embedding similarity (loads the embedding model).
    #[arg(long)]
    pub(crate) ground_embeddings: bool,
    /// The system's current floor on its top hit's retrieval score (it abstains below it):
    /// marked as the operating point of the score-floor sweep (trace mode).
    #[arg(long)]
    pub(crate) score_floor: Option<f64>,
    /// The score-floor sweep recommends the lowest floor whose answered questions' accuracy
    /// has a lower 95% bound of at least this (default 0.95).
    #[arg(long, conflicts_with = "max_false_answer_rate")]
    pub(crate) target_accuracy: Option<f64>,
    /// Instead of `--target-accuracy`: the lowest floor whose false-answer rate (wrong answers
    /// over all questions) has an upper 95% bound of at most this.
    #[arg(long)]
    pub(crate) max_false_answer_rate: Option<f64>,
    /// Token prices per million tokens, `prompt=3,completion=15`: cost per question, per
    /// correct answer and per class (trace mode).
    #[arg(long, value_parser = parse_price)]
    pub(crate) price: Option<ragdiag_contract::Price>,
    /// How metrics treat labels whose document changed since they were made (`doc_hash` no
    /// longer matches; deleted, superseded or missing too): `include` scores them as they are,
    /// `exclude` drops them from the metrics, `flag` scores them and lists them (default).
    #[arg(long, value_enum)]
    pub(crate) stale_labels: Option<StaleLabelsArg>,
    /// A question or reference answer is leaked when one document holds this share of its
    /// word 3-grams (default 0.6): the golden-set panel lists them and the metrics without them.
    #[arg(long)]
    pub(crate) leak_threshold: Option<f64>,
    /// Output directory: report.html, report.md, summary.json, queries.parquet, hits.parquet,
    /// run.trec.
    #[arg(long)]
    pub(crate) out: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) engine: EngineArgs,
}

/// Retrieval by a team's running engine instead of ragdiag's own index.
#[derive(Debug, Clone, Default, Args)]
pub(crate) struct EngineArgs {
    /// Ask a running engine: a TOML file with its settings (an `[engine]` table, or its keys;
    /// kinds `http`, `chroma`, `typesense`). `diagnose` also reads `[engine]` from `--config`.
    #[arg(long, value_name = "FILE", visible_alias = "engine-config")]
    pub(crate) engine: Option<PathBuf>,
    /// Questions in flight at once with an engine (default 4, or `concurrency` in its settings).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=256))]
    pub(crate) concurrency: Option<u64>,
}

/// Parses `prompt=P,completion=C` (prices per million tokens, finite and not negative; parsed
/// in `ragdiag-contract`, beside the gates).
pub(crate) fn parse_price(s: &str) -> Result<ragdiag_contract::Price, String> {
    s.parse()
}

/// `--fail-under` thresholds, metric by metric (parsed in `ragdiag-contract`, beside the gates).
pub(crate) use ragdiag_contract::Gates;

/// Parses `metric=value[,metric=value…]`.
pub(crate) fn parse_gates(s: &str) -> Result<Gates, String> {
    s.parse()
}

/// Which retriever ranks (DESIGN.md: bm25 | dense | hybrid).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum RetrieverArg {
    /// BM25 over title and text.
    Bm25,
    /// Embedding similarity (HNSW, or exact with `--exact`).
    Dense,
    /// BM25 and dense fused (reciprocal rank fusion by default).
    Hybrid,
}

impl From<RetrieverArg> for ragdiag_retrieve::RetrieverKind {
    fn from(r: RetrieverArg) -> Self {
        match r {
            RetrieverArg::Bm25 => Self::Bm25,
            RetrieverArg::Dense => Self::Dense,
            RetrieverArg::Hybrid => Self::Hybrid,
        }
    }
}

/// How hybrid retrieval fuses its two lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum FusionArg {
    /// Reciprocal rank fusion, `Σ 1/(k + rank)`.
    Rrf,
    /// Min-max normalised scores, weighted (`--weights`).
    Weighted,
}

#[derive(Debug, Args)]
pub(crate) struct IndexArgs {
    #[command(flatten)]
    pub(crate) corpus: CorpusArgs,
    /// The index directory to write (replaced atomically if it holds an index).
    #[arg(long)]
    pub(crate) out: PathBuf,
    #[command(flatten)]
    pub(crate) model: ModelArgs,
    /// Chunker spec: `doc`, `tokens:SIZE/OVERLAP`, `recursive:SIZE/OVERLAP`, `sentence:SIZE`,
    /// `markdown:SIZE`, `semantic:SIZE` (suffix `@cl100k` to count cl100k tokens).
    #[arg(long, default_value = "doc")]
    pub(crate) chunker: String,
    /// Exact vectors only, no HNSW graph.
    #[arg(long)]
    pub(crate) no_hnsw: bool,
    /// Skip malformed corpus records (each is listed) instead of stopping.
    #[arg(long)]
    pub(crate) skip_invalid: bool,
}

#[derive(Debug, Args)]
pub(crate) struct SearchArgs {
    /// The index directory (`ragdiag index --out`); not with `--engine`.
    #[arg(long, required_unless_present = "engine", conflicts_with = "engine")]
    pub(crate) index: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) engine: EngineArgs,
    /// Queries: ragdiag JSONL or BEIR queries.jsonl.
    #[arg(long)]
    pub(crate) queries: PathBuf,
    /// Relevance judgments (TREC or BEIR TSV): only judged queries are searched, and the
    /// headline metrics are printed.
    #[arg(long)]
    pub(crate) qrels: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) retrieval: RetrievalArgs,
    /// Documents per query in the run.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub(crate) k: u64,
    /// Hybrid fusion method.
    #[arg(long, value_enum, default_value = "rrf")]
    pub(crate) fusion: FusionArg,
    /// The RRF constant k.
    #[arg(long, default_value_t = 60.0)]
    pub(crate) rrf_k: f64,
    /// Weights of BM25 and dense for `--fusion weighted`, e.g. `0.3,0.7`.
    #[arg(long, default_value = "0.5,0.5", value_parser = parse_weights)]
    pub(crate) weights: (f64, f64),
    /// Depth of each retriever's list before fusion.
    #[arg(long, default_value_t = 100)]
    pub(crate) fusion_depth: usize,
    /// The TREC run to write (default: stdout).
    #[arg(long)]
    pub(crate) run: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) model: ModelArgs,
    /// Metrics printed with `--qrels`.
    #[arg(short = 'm', long = "measure", default_values = ["ndcg@10", "recall@100", "map", "mrr"])]
    pub(crate) measures: Vec<String>,
    #[command(flatten)]
    pub(crate) stats: StatsArgs,
    /// Output format of the metrics table.
    #[arg(long, value_enum, default_value_t)]
    pub(crate) format: Format,
}

fn parse_weights(s: &str) -> Result<(f64, f64), String> {
    let bad = || format!("{s:?}: expected two non-negative weights like 0.5,0.5");
    let (a, b) = s.split_once(',').ok_or_else(bad)?;
    let a: f64 = a.trim().parse().map_err(|_| bad())?;
    let b: f64 = b.trim().parse().map_err(|_| bad())?;
    if !(a >= 0.0 && b >= 0.0 && a + b > 0.0 && a.is_finite() && b.is_finite()) {
        return Err(bad());
    }
    Ok((a, b))
}

/// Output format of tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub(crate) enum Format {
    /// Human-readable text (for `eval` with one run: byte-identical to trec_eval).
    #[default]
    Text,
    /// JSON on stdout.
    Json,
    /// CSV on stdout.
    Csv,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum QrelsFormatArg {
    Trec,
    Beir,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum RunFormatArg {
    Trec,
    Json,
}

#[derive(Debug, Clone, Args)]
pub(crate) struct EvalArgs {
    /// Qrels file (TREC `qid iter docno rel` or BEIR `query-id corpus-id score` TSV).
    pub(crate) qrels: PathBuf,
    /// Run file(s) (TREC `qid Q0 docno rank score tag`, or JSON `{qid: {docno: score}}`);
    /// `-` reads one from standard input.
    #[arg(required = true)]
    pub(crate) runs: Vec<PathBuf>,
    /// Measure, trec_eval 10.0 style, with its parameters: `map`, `P.5,10`, `ndcg_cut.10`,
    /// `iprec_at_recall..1,.25`, `ndcg.1=3,2=9`, `utility.2,-1,0,0`, `rbp.p=0.8`; the sets
    /// `official`, `set`, `all_trec`; or `ndcg@10`, `mrr`. Repeatable. Default: `official`.
    #[arg(short = 'm', value_name = "MEASURE")]
    pub(crate) measures: Vec<String>,
    /// Print per-query values as well as the summary.
    #[arg(short = 'q')]
    pub(crate) per_query: bool,
    /// Average over every query of the qrels; queries missing from a run score 0.
    #[arg(short = 'c')]
    pub(crate) complete: bool,
    /// No summary (`all`) lines.
    #[arg(short = 'n')]
    pub(crate) no_summary: bool,
    /// Lowest grade that counts as relevant.
    #[arg(
        short = 'l',
        value_name = "LEVEL",
        default_value_t = 1,
        allow_hyphen_values = true
    )]
    pub(crate) level: i64,
    /// Evaluate only the top N documents of each query.
    #[arg(short = 'M', value_name = "N")]
    pub(crate) max_docs: Option<usize>,
    /// Number of documents in the collection (used by `utility` only).
    #[arg(short = 'N', value_name = "N", default_value_t = 0)]
    pub(crate) num_docs_in_coll: u64,
    /// Evaluate only the judged documents of each ranking (unjudged ones are dropped).
    #[arg(short = 'J')]
    pub(crate) judged_only: bool,
    /// Express each query's values as z-scores against a reference file of
    /// `qid measure mean stddev` lines (trec_eval's `-Z`; names printed with a `Z`).
    #[arg(short = 'Z', long = "zscore", value_name = "FILE")]
    pub(crate) zscores: Option<PathBuf>,
    /// Qrels format (default: detected from the column count).
    #[arg(long, value_enum)]
    pub(crate) qrels_format: Option<QrelsFormatArg>,
    /// Run format (default: detected; JSON starts with `{`).
    #[arg(long, value_enum)]
    pub(crate) run_format: Option<RunFormatArg>,
    /// Output format. `text` with one run is trec_eval's format.
    #[arg(long, value_enum, default_value_t)]
    pub(crate) format: Format,
    #[command(flatten)]
    pub(crate) stats: StatsArgs,
    /// Bootstrap resamples and randomization permutations.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(100..=10_000_000))]
    pub(crate) resamples: u64,
    /// Also write a report to this directory: `summary.json` (as `--format json`),
    /// `report.md` (the comparison table) and `per_query.csv`.
    #[arg(long, value_name = "DIR")]
    pub(crate) out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct LintArgs {
    #[command(flatten)]
    pub(crate) corpus: CorpusArgs,
    /// Queries (ragdiag JSONL or BEIR queries.jsonl).
    #[arg(long)]
    pub(crate) queries: Option<PathBuf>,
    /// Qrels (TREC or BEIR TSV).
    #[arg(long)]
    pub(crate) qrels: Option<PathBuf>,
    /// Run file(s) to check for format errors.
    #[arg(long)]
    pub(crate) run: Vec<PathBuf>,
    /// A trace (any `--trace-format`) to check for malformed records.
    #[arg(long)]
    pub(crate) trace: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) trace_format: TraceFormatArgs,
    /// Output format of the findings.
    #[arg(long, value_enum, default_value_t)]
    pub(crate) format: Format,
}

#[derive(Debug, Args)]
pub(crate) struct FreshnessArgs {
    #[command(flatten)]
    pub(crate) corpus: CorpusArgs,
    /// Questions (ragdiag JSONL): coverage and label checks.
    #[arg(long)]
    pub(crate) queries: Option<PathBuf>,
    /// A run (TREC or JSON, document ids): stale hits in what retrieval returns.
    #[arg(long)]
    pub(crate) run: Option<PathBuf>,
    /// A trace (ragdiag JSONL or any `--trace-format`): stale hits in what the team's system
    /// retrieved.
    #[arg(long)]
    pub(crate) trace: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) trace_format: TraceFormatArgs,
    /// An index of the corpus (`ragdiag index`): replay `--queries` against it and audit what
    /// it retrieves.
    #[arg(long, requires = "queries")]
    pub(crate) index: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) retrieval: RetrievalArgs,
    #[command(flatten)]
    pub(crate) model: ModelArgs,
    /// Depth of the retrieval-level figures (stale-hit rate@k, coverage).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub(crate) k: u64,
    /// The audit date, `YYYY-MM-DD` or RFC 3339 (default: today).
    #[arg(long, value_parser = parse_date)]
    pub(crate) as_of: Option<ragdiag_core::Timestamp>,
    /// Report documents older than this as aged: `365d`, `52w`, `12m`, `2y`.
    #[arg(long, value_parser = parse_age)]
    pub(crate) max_age: Option<i64>,
    /// Word 3-shingle Jaccard at or above which documents are near-duplicates, in (0, 1].
    #[arg(long, default_value_t = 0.8, value_parser = parse_jaccard)]
    pub(crate) near_duplicate: f64,
    /// Versioned docs: the Jaccard floor at which a page is superseded by the same page (title or
    /// path stem) in a newer version, when it is the best match there, in (0, 1].
    #[arg(long, default_value_t = 0.3, value_parser = parse_jaccard)]
    pub(crate) same_page: f64,
    /// Hygiene: a document with fewer words of its own (not boilerplate) is near-empty.
    #[arg(long, default_value_t = 20)]
    pub(crate) near_empty_words: usize,
    /// Hygiene: a word 3-shingle held by at least this share of the documents (exact copies and
    /// versions of one page counted once) is boilerplate, in (0, 1]…
    #[arg(long, default_value_t = 0.02, value_parser = parse_share)]
    pub(crate) boilerplate_share: f64,
    /// …and by at least this many.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(2..))]
    pub(crate) boilerplate_min_docs: u64,
    #[command(flatten)]
    pub(crate) stats: StatsArgs,
    /// Output directory: `report.md`, `summary.json`, `documents.parquet`.
    #[arg(long)]
    pub(crate) out: PathBuf,
    /// A running engine's settings (an `[engine]` table): without `--corpus`, the documents it
    /// stores (pgvector `table`, Chroma) are read page by page, as `export-corpus` reads them
    /// (dates and versions from `updated_field` and `version_field`), and audited; with
    /// `--queries`, the questions are asked of it and what it retrieves is audited.
    #[arg(long, value_name = "FILE", visible_alias = "engine-config")]
    pub(crate) engine: Option<PathBuf>,
    /// Questions in flight at once with `--engine` (default 4, or `concurrency` in its settings).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=256), requires = "engine")]
    pub(crate) concurrency: Option<u64>,
}

/// Parses `--model`: `minilm` (default), `none`, `hash:DIM`, or a model folder.
pub(crate) fn parse_model(s: &str) -> Result<ragdiag_embed::ModelChoice, String> {
    s.parse()
}

fn parse_date(s: &str) -> Result<ragdiag_core::Timestamp, String> {
    ragdiag_core::Timestamp::parse(s)
        .ok_or_else(|| format!("{s:?} is not a date (YYYY-MM-DD or RFC 3339)"))
}

/// Parses `365d`, `52w`, `12m` (30 days), `2y` (365 days) or a bare number of days.
pub(crate) fn parse_age(s: &str) -> Result<i64, String> {
    let s = s.trim();
    let (num, mult) = match s.char_indices().last() {
        Some((i, 'd')) => (&s[..i], 1),
        Some((i, 'w')) => (&s[..i], 7),
        Some((i, 'm')) => (&s[..i], 30),
        Some((i, 'y')) => (&s[..i], 365),
        _ => (s, 1),
    };
    match num.parse::<i64>().ok().and_then(|n| n.checked_mul(mult)) {
        Some(days) if (1..=MAX_AGE_DAYS).contains(&days) => Ok(days),
        _ => Err(format!(
            "{s:?} is not an age like 365d, 52w, 12m or 2y (at most {MAX_AGE_DAYS} days)"
        )),
    }
}

/// The longest `--max-age`, ten thousand of its 365-day years: beyond any date the audit holds.
const MAX_AGE_DAYS: i64 = 3_650_000;

/// A Jaccard threshold in (0, 1].
fn parse_share(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v > 0.0 && v <= 1.0 => Ok(v),
        _ => Err(format!("{s:?}: expected a share in (0, 1]")),
    }
}

fn parse_jaccard(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v > 0.0 && v <= 1.0 => Ok(v),
        _ => Err(format!("{s:?}: expected a Jaccard similarity in (0, 1]")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("ragdiag").chain(args.iter().copied())).unwrap()
    }

    #[test]
    fn eval_flags_accept_trec_eval_spellings() {
        let Command::Eval(e) = parse(&[
            "eval", "-q", "-c", "-mmap", "-m", "P.5,10", "-l2", "-M", "100", "-J", "-N1000",
            "qrels", "a", "-",
        ])
        .command
        else {
            panic!("not eval")
        };
        assert!(e.per_query && e.complete);
        assert_eq!(e.measures, ["map", "P.5,10"]);
        assert_eq!(e.level, 2);
        assert_eq!(e.max_docs, Some(100));
        assert!(e.judged_only);
        assert_eq!(e.num_docs_in_coll, 1000);
        assert_eq!(e.runs, [PathBuf::from("a"), PathBuf::from("-")]);
        assert_eq!(e.format, Format::Text);
    }

    #[test]
    fn quiet_is_long_only_and_global() {
        let cli = parse(&["eval", "qrels", "run", "--quiet"]);
        assert!(cli.global.quiet);
        let Command::Eval(e) = cli.command else {
            panic!()
        };
        assert!(!e.per_query);
    }

    #[test]
    fn freshness_ages_and_dates() {
        assert_eq!(parse_age("365d"), Ok(365));
        assert_eq!(parse_age("2y"), Ok(730));
        assert_eq!(parse_age("52w"), Ok(364));
        assert_eq!(parse_age("90"), Ok(90));
        assert!(
            parse_age("soon").is_err() && parse_age("0d").is_err() && parse_age("-3d").is_err()
        );
        // Overflow is an error, not a wrapped (or, in a debug build, panicking) product.
        assert!(parse_age("99999999999999999y").is_err() && parse_age("10001y").is_err());
        assert_eq!(parse_age("10000y"), Ok(MAX_AGE_DAYS));
        assert_eq!(parse_jaccard("0.8"), Ok(0.8));
        assert_eq!(parse_share("0.02"), Ok(0.02));
        assert!(parse_share("0").is_err() && parse_share("1.5").is_err());
        assert_eq!(parse_jaccard("1"), Ok(1.0));
        for bad in ["nan", "0", "1.5", "-0.2", "inf", "x"] {
            assert!(parse_jaccard(bad).is_err(), "{bad}");
        }
        let k0 = Cli::try_parse_from([
            "ragdiag",
            "freshness",
            "--corpus",
            "c",
            "--out",
            "o",
            "--k",
            "0",
        ]);
        assert!(k0.is_err());
        let Command::Freshness(f) = parse(&[
            "freshness",
            "--corpus",
            "c",
            "--as-of",
            "2026-10-01",
            "--max-age",
            "1y",
            "--out",
            "o",
        ])
        .command
        else {
            panic!()
        };
        assert_eq!(f.max_age, Some(365));
        assert_eq!(f.as_of.unwrap().to_string(), "2026-10-01");
        assert!(Cli::try_parse_from([
            "ragdiag",
            "freshness",
            "--corpus",
            "c",
            "--as-of",
            "yesterday",
            "--out",
            "o"
        ])
        .is_err());
    }

    #[test]
    fn lint_takes_optional_inputs() {
        let Command::Lint(l) =
            parse(&["lint", "--corpus", "c", "--run", "r1", "--run", "r2"]).command
        else {
            panic!()
        };
        assert!(l.queries.is_none());
        assert_eq!(l.corpus.corpus.as_deref(), Some(std::path::Path::new("c")));
        assert_eq!(l.run.len(), 2);
    }
}

#[derive(Debug, Args)]
pub(crate) struct PoolArgs {
    /// Corpus: JSONL, BEIR folder or corpus.jsonl, folder of Markdown/text/HTML, or Parquet.
    #[arg(long)]
    pub(crate) corpus: PathBuf,
    /// Questions (ragdiag JSONL); their `relevant` documents count as judged. Without it,
    /// `--trace` is production traffic: its most asked distinct questions (near-duplicates
    /// merged) are proposed as golden-set candidates (`candidates.csv`).
    #[arg(long)]
    pub(crate) queries: Option<PathBuf>,
    /// More judgments (TREC or BEIR qrels): documents graded there count as judged too.
    #[arg(long)]
    pub(crate) qrels: Option<PathBuf>,
    /// A TREC run to pool (repeatable), e.g. the `run.trec` of a `diagnose` report.
    #[arg(long = "run")]
    pub(crate) runs: Vec<PathBuf>,
    /// A trace to pool (repeatable): what a production system retrieved.
    #[arg(long = "trace")]
    pub(crate) traces: Vec<PathBuf>,
    #[command(flatten)]
    pub(crate) trace_format: TraceFormatArgs,
    /// Pool depth: each system's top k documents per question.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub(crate) depth: u64,
    /// Keep only the first N pairs (highest priority).
    #[arg(long)]
    pub(crate) limit: Option<usize>,
    /// Output folder: `label.html` (the labelling page) and `pool.csv`; without `--queries`,
    /// `candidates.csv`.
    #[arg(long)]
    pub(crate) out: PathBuf,
}

#[derive(Debug, Args)]
pub(crate) struct LabelsArgs {
    #[command(subcommand)]
    pub(crate) command: LabelsCommand,
}

#[derive(Debug, Subcommand)]
pub(crate) enum LabelsCommand {
    /// Merge labels (the labelling page's JSONL or CSV exports, or a filled `pool.csv`) into a
    /// questions JSONL or a qrels file; several labellers are resolved by majority (a tie goes
    /// to the lowest tied grade) and their agreement reported (Cohen's or Fleiss' kappa).
    Import(LabelsImportArgs),
    /// Check labels tied to document versions (`doc_hash`) against the corpus as it is now:
    /// labels whose document changed, was deleted, superseded or is missing need re-review,
    /// and each evidence quote is found, moved or gone.
    Check(LabelsCheckArgs),
    /// Questions and reference answers copied into the corpus (word 3-gram containment in one
    /// document); with `--run`, the metrics with and without the leaked questions.
    Leakage(LabelsLeakageArgs),
}

#[derive(Debug, Args)]
pub(crate) struct LabelsLeakageArgs {
    /// Corpus: JSONL, BEIR folder or corpus.jsonl, folder of files, or Parquet.
    #[arg(long)]
    pub(crate) corpus: PathBuf,
    /// Questions (ragdiag JSONL).
    #[arg(long)]
    pub(crate) queries: PathBuf,
    /// The share of a text's word 3-grams one document must hold for it to count as leaked.
    #[arg(long, default_value_t = 0.6)]
    pub(crate) threshold: f64,
    /// A TREC run (e.g. a `diagnose` report's `run.trec`): nDCG@10 and recall@10 over the
    /// judged questions, with and without the leaked ones.
    #[arg(long)]
    pub(crate) run: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct LabelsCheckArgs {
    /// Corpus as it is now: JSONL, BEIR folder or corpus.jsonl, folder of files, or Parquet.
    #[arg(long)]
    pub(crate) corpus: PathBuf,
    /// Questions (ragdiag JSONL) whose `relevant` and `evidence` entries may carry `doc_hash`.
    #[arg(long)]
    pub(crate) queries: PathBuf,
    /// Output format: a text list of the labels needing re-review, or JSON of every label.
    #[arg(long, value_enum, default_value_t)]
    pub(crate) format: Format,
}

#[derive(Debug, Args)]
pub(crate) struct LabelsImportArgs {
    /// Label files: JSONL, or CSV (`.csv`).
    #[arg(required = true)]
    pub(crate) labels: Vec<PathBuf>,
    /// The questions JSONL to merge into: each label becomes a `relevant` entry with its
    /// labellers' grades, date and document hash; every other field is kept as written.
    #[arg(long, required_unless_present = "qrels", conflicts_with = "qrels")]
    pub(crate) queries: Option<PathBuf>,
    /// Or the qrels to merge into (written as TREC qrels).
    #[arg(long)]
    pub(crate) qrels: Option<PathBuf>,
    /// Skip malformed label records (each is listed) instead of stopping.
    #[arg(long)]
    pub(crate) skip_invalid: bool,
    /// The file to write (may be the input itself: it is replaced atomically).
    #[arg(long)]
    pub(crate) out: PathBuf,
}
