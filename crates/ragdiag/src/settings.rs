//! Flags and `ragdiag.toml` resolved into each command's settings before any work: a flag beats
//! the file, the file beats the default, and each default is written once, here.

use crate::cli::{CorpusArgs, DiagnoseArgs, GateOn, ModelArgs, RetrievalArgs, StatsArgs};
use anyhow::{anyhow, bail, Context, Result};
use ragdiag_core::Timestamp;
use ragdiag_embed::ModelChoice;
use ragdiag_retrieve::RetrieverKind;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Defaults of `diagnose` (and of `ragdiag.toml`).
pub(crate) mod defaults {
    /// The replay retriever.
    pub(crate) const RETRIEVER: ragdiag_retrieve::RetrieverKind =
        ragdiag_retrieve::RetrieverKind::Hybrid;
    /// The replay chunker.
    pub(crate) const CHUNKER: &str = "doc";
    /// The context window.
    pub(crate) const CONTEXT_K: usize = 5;
    /// The candidate pool of replays.
    pub(crate) const POOL_K: usize = 100;
    /// The share of an evidence span a chunk must cover.
    pub(crate) const COVER: f64 = 0.9;
    /// The seed of every interval and test.
    pub(crate) const SEED: u64 = 42;
    /// Token F1 at which an answer is correct.
    pub(crate) const ANSWER_F1: f64 = 0.8;
    /// Share of a sentence's content tokens found in the window for it to be grounded.
    pub(crate) const GROUND_TOKEN_SHARE: f64 = 0.6;
    /// Cosine with a window sentence for a sentence to be grounded (`--ground-embeddings`).
    pub(crate) const GROUND_COSINE: f64 = 0.75;
    /// The accuracy the recommended score floor must reach with its lower 95% bound.
    pub(crate) const TARGET_ACCURACY: f64 = 0.95;
    /// Word 3-gram containment at which a question or answer is leaked into the corpus.
    pub(crate) const LEAK_THRESHOLD: f64 = 0.6;
    /// How metrics treat labels needing re-review.
    pub(crate) const STALE_LABELS: ragdiag_eval::golden::StaleLabels =
        ragdiag_eval::golden::StaleLabels::Flag;
}

impl CorpusArgs {
    /// `--corpus`, which this command needs.
    pub(crate) fn required(&self) -> Result<&Path> {
        self.corpus
            .as_deref()
            .ok_or_else(|| anyhow!("--corpus is required"))
    }
}

impl StatsArgs {
    /// `--seed`, else [`defaults::SEED`].
    pub(crate) fn seed(&self) -> u64 {
        self.seed.unwrap_or(defaults::SEED)
    }
}

impl RetrievalArgs {
    /// `--retriever`, else [`defaults::RETRIEVER`].
    pub(crate) fn retriever(&self) -> RetrieverKind {
        self.retriever.map_or(defaults::RETRIEVER, Into::into)
    }

    /// Whether to search exactly: `--exact` or `--ann` (the last one given wins), else the
    /// command's default.
    pub(crate) fn exact_or(&self, default: bool) -> bool {
        if self.exact {
            true
        } else if self.ann {
            false
        } else {
            default
        }
    }
}

impl ModelArgs {
    /// `--model`, else the pinned MiniLM.
    pub(crate) fn model(&self) -> ModelChoice {
        self.model.clone().unwrap_or(ModelChoice::Default)
    }
}

/// `ragdiag.toml`: the same settings as the flags (flags win).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileConfig {
    corpus: Option<PathBuf>,
    queries: Option<PathBuf>,
    qrels: Option<PathBuf>,
    trace: Option<PathBuf>,
    trace_format: Option<String>,
    trace_query_id_key: Option<String>,
    retriever: Option<String>,
    chunker: Option<String>,
    model: Option<String>,
    context_k: Option<usize>,
    pool_k: Option<usize>,
    cover: Option<f64>,
    as_of: Option<String>,
    fail_under: Option<BTreeMap<String, f64>>,
    gate_on: Option<String>,
    seed: Option<u64>,
    out: Option<PathBuf>,
    answer_f1: Option<f64>,
    ground_token_share: Option<f64>,
    ground_cosine: Option<f64>,
    ground_embeddings: Option<bool>,
    /// Retrieval by a running engine (`ragdiag_engine::config::EngineConfig`'s keys).
    engine: Option<toml::Table>,
    score_floor: Option<f64>,
    target_accuracy: Option<f64>,
    max_false_answer_rate: Option<f64>,
    price: Option<PriceConfig>,
    stale_labels: Option<String>,
    leak_threshold: Option<f64>,
}

/// `[price]` of `ragdiag.toml`: per million tokens.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
struct PriceConfig {
    prompt: f64,
    completion: f64,
}

impl FileConfig {
    /// Reads `path` (TOML).
    pub(crate) fn read(path: &Path) -> Result<FileConfig> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("{}: cannot read", path.display()))?;
        FileConfig::parse(&text).map_err(|e| anyhow!("{}: {e}", path.display()))
    }

    fn parse(text: &str) -> std::result::Result<FileConfig, toml::de::Error> {
        toml::from_str(text)
    }
}

/// The settings of `diagnose` after merging flags, the config file and defaults.
#[derive(Debug, Clone)]
pub(crate) struct DiagnoseSettings {
    /// `None` only with an engine: the corpus is then the documents the engine stores.
    pub(crate) corpus: Option<PathBuf>,
    /// `None` only with a trace: its questions then come from the trace (RAGAS, RAGChecker).
    pub(crate) queries: Option<PathBuf>,
    pub(crate) qrels: Option<PathBuf>,
    pub(crate) trace: Option<PathBuf>,
    pub(crate) trace_format: Option<ragdiag_load::TraceFormat>,
    pub(crate) trace_query_id_key: Option<String>,
    pub(crate) config: Option<PathBuf>,
    pub(crate) retriever: RetrieverKind,
    pub(crate) chunker: String,
    pub(crate) model: ModelChoice,
    /// `--exact` (true) or `--ann` (false); `None`: exact up to 200,000 chunks.
    pub(crate) exact: Option<bool>,
    pub(crate) no_fetch: bool,
    pub(crate) context_k: usize,
    pub(crate) pool_k: usize,
    pub(crate) cover: f64,
    pub(crate) as_of: Timestamp,
    pub(crate) gates: Vec<(String, f64)>,
    pub(crate) gate_on: ragdiag_contract::GateOn,
    pub(crate) seed: u64,
    pub(crate) out: PathBuf,
    pub(crate) answer_f1: f64,
    pub(crate) ground_token_share: f64,
    pub(crate) ground_cosine: f64,
    pub(crate) ground_embeddings: bool,
    /// Retrieval by a running engine (`--engine` or `[engine]`), replacing the replay index.
    pub(crate) engine: Option<ragdiag_engine::config::EngineConfig>,
    /// `--concurrency`.
    pub(crate) concurrency: Option<usize>,
    /// The score-floor sweep: its target and the current floor.
    pub(crate) thresholds: ragdiag_diagnose::ThresholdOptions,
    /// `--price` (or `[price]`), per million tokens.
    pub(crate) price: Option<ragdiag_contract::Price>,
    /// `--stale-labels` (or `stale_labels`).
    pub(crate) stale_labels: ragdiag_eval::golden::StaleLabels,
    /// `--leak-threshold` (or `leak_threshold`).
    pub(crate) leak_threshold: f64,
}

/// A threshold in (0, 1].
fn unit(v: f64, name: &str) -> Result<f64> {
    if v > 0.0 && v <= 1.0 {
        Ok(v)
    } else {
        bail!("--{name} must be in (0, 1] (got {v})")
    }
}

/// `--score-floor` and the sweep's target (`--target-accuracy` or `--max-false-answer-rate`;
/// a flag beats the file, where naming both is an error).
fn threshold_options(
    args: &DiagnoseArgs,
    file: &FileConfig,
    answer_f1: f64,
    ground_token_share: f64,
) -> Result<ragdiag_diagnose::ThresholdOptions> {
    use ragdiag_contract::ThresholdTarget;
    let target = match (args.target_accuracy, args.max_false_answer_rate) {
        (Some(a), _) => ThresholdTarget::Accuracy(a),
        (None, Some(m)) => ThresholdTarget::MaxFalseAnswerRate(m),
        (None, None) => match (file.target_accuracy, file.max_false_answer_rate) {
            (Some(_), Some(_)) => {
                bail!("target_accuracy and max_false_answer_rate: name one of them, not both")
            }
            (Some(a), None) => ThresholdTarget::Accuracy(a),
            (None, Some(m)) => ThresholdTarget::MaxFalseAnswerRate(m),
            (None, None) => ThresholdTarget::Accuracy(defaults::TARGET_ACCURACY),
        },
    };
    match target {
        ThresholdTarget::Accuracy(a) if !(a > 0.0 && a <= 1.0) => {
            bail!("--target-accuracy must be in (0, 1] (got {a})")
        }
        ThresholdTarget::MaxFalseAnswerRate(m) if !(0.0..1.0).contains(&m) => {
            bail!("--max-false-answer-rate must be in [0, 1) (got {m})")
        }
        _ => {}
    }
    let current = args.score_floor.or(file.score_floor);
    if let Some(f) = current.filter(|f| !f.is_finite()) {
        bail!("--score-floor must be a finite number (got {f})");
    }
    Ok(ragdiag_diagnose::ThresholdOptions {
        target,
        current,
        answer_f1,
        ground_token_share,
    })
}

impl DiagnoseSettings {
    /// The corpus as reports and provenance name it: its path, or the engine's name when the
    /// engine's documents stand for it.
    pub(crate) fn corpus_label(&self) -> String {
        self.corpus
            .as_deref()
            .map(|p| p.display().to_string())
            .unwrap_or_default()
    }

    /// Resolves the flags with `--config`'s file, if any.
    pub(crate) fn resolve(args: &DiagnoseArgs) -> Result<DiagnoseSettings> {
        let file = match &args.config {
            Some(p) => FileConfig::read(p)?,
            None => FileConfig::default(),
        };
        Self::merge(args, file)
    }

    /// Flags beat `file`, which beats the defaults. Paths in the file are relative to it.
    pub(crate) fn merge(args: &DiagnoseArgs, file: FileConfig) -> Result<DiagnoseSettings> {
        let base = args
            .config
            .as_deref()
            .and_then(Path::parent)
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let rel = |p: Option<PathBuf>| p.map(|p| if p.is_absolute() { p } else { base.join(p) });
        let need = |v: Option<PathBuf>, name: &str| {
            v.ok_or_else(|| anyhow!("--{name} is required (or `{name}` in the config file)"))
        };
        let answer_f1 = unit(
            args.answer_f1
                .or(file.answer_f1)
                .unwrap_or(defaults::ANSWER_F1),
            "answer-f1",
        )?;
        let ground_token_share = unit(
            args.ground_token_share
                .or(file.ground_token_share)
                .unwrap_or(defaults::GROUND_TOKEN_SHARE),
            "ground-token-share",
        )?;
        let thresholds = threshold_options(args, &file, answer_f1, ground_token_share)?;
        let stale_labels = match (args.stale_labels, file.stale_labels.as_deref()) {
            (Some(a), _) => match a {
                crate::cli::StaleLabelsArg::Include => ragdiag_eval::golden::StaleLabels::Include,
                crate::cli::StaleLabelsArg::Exclude => ragdiag_eval::golden::StaleLabels::Exclude,
                crate::cli::StaleLabelsArg::Flag => ragdiag_eval::golden::StaleLabels::Flag,
            },
            (None, Some(v)) => v.parse().map_err(|e| anyhow!("stale_labels: {e}"))?,
            (None, None) => defaults::STALE_LABELS,
        };
        let leak_threshold = args
            .leak_threshold
            .or(file.leak_threshold)
            .unwrap_or(defaults::LEAK_THRESHOLD);
        if !(leak_threshold > 0.0 && leak_threshold <= 1.0) {
            bail!("--leak-threshold must be in (0, 1], got {leak_threshold}");
        }
        let price = match (args.price, file.price) {
            (Some(p), _) => Some(p),
            (None, Some(p)) => {
                if !(p.prompt.is_finite()
                    && p.prompt >= 0.0
                    && p.completion.is_finite()
                    && p.completion >= 0.0)
                {
                    bail!("price: prompt and completion must be finite numbers ≥ 0");
                }
                Some(ragdiag_contract::Price {
                    prompt: p.prompt,
                    completion: p.completion,
                })
            }
            (None, None) => None,
        };
        let retriever = match (args.retrieval.retriever, file.retriever.as_deref()) {
            (Some(r), _) => r.into(),
            (None, Some(s)) => s.parse().map_err(|e: String| anyhow!("retriever: {e}"))?,
            (None, None) => defaults::RETRIEVER,
        };
        let model = match (&args.model.model, file.model.as_deref()) {
            (Some(m), _) => m.clone(),
            (None, Some(s)) => s.parse().map_err(|e: String| anyhow!("model: {e}"))?,
            (None, None) => ModelChoice::Default,
        };
        let as_of = match (args.as_of, file.as_of.as_deref()) {
            (Some(t), _) => t,
            (None, Some(s)) => {
                Timestamp::parse(s).ok_or_else(|| anyhow!("as_of: {s:?} is not a date"))?
            }
            (None, None) => Timestamp::now(),
        };
        let gates = match (&args.fail_under, file.fail_under) {
            (Some(g), _) => g.0.clone(),
            (None, Some(m)) => m.into_iter().collect(),
            (None, None) => Vec::new(),
        };
        // The command line's parser refuses these already; the config file's values land here.
        if let Some((m, v)) = gates.iter().find(|(_, v)| !v.is_finite()) {
            bail!("fail_under: {m} = {v}: the threshold must be finite");
        }
        let gate_on = match (args.gate_on, file.gate_on.as_deref()) {
            (Some(GateOn::LowerCi), _) | (None, Some("lower-ci")) => {
                ragdiag_contract::GateOn::LowerCi
            }
            (Some(GateOn::Point), _) | (None, Some("point") | None) => {
                ragdiag_contract::GateOn::Point
            }
            (None, Some(other)) => bail!("gate_on: {other:?} (expected point or lower-ci)"),
        };
        let trace = args.trace.clone().or(rel(file.trace));
        let queries = args.queries.clone().or(rel(file.queries));
        let queries = if trace.is_some() {
            queries
        } else {
            Some(need(queries, "queries")?)
        };
        let trace_format = match (args.trace_format.trace_format, file.trace_format.as_deref()) {
            (Some(f), _) => Some(f),
            (None, Some(s)) => Some(
                s.parse()
                    .map_err(|e: String| anyhow!("trace_format: {e}"))?,
            ),
            (None, None) => None,
        };
        let context_k = args
            .context_k
            .or(file.context_k)
            .unwrap_or(defaults::CONTEXT_K);
        let pool_k = args.pool_k.or(file.pool_k).unwrap_or(defaults::POOL_K);
        let cover = args.cover.or(file.cover).unwrap_or(defaults::COVER);
        if context_k == 0 || pool_k < context_k {
            bail!("--context-k must be at least 1 and --pool-k at least --context-k");
        }
        if !(cover > 0.0 && cover <= 1.0) {
            bail!("--cover must be in (0, 1]");
        }
        let engine = match (&args.engine.engine, file.engine) {
            (Some(p), _) => Some(read_engine(p)?),
            (None, Some(t)) => Some(
                engine_from_table(t).map_err(|e| anyhow!("[engine] in the config file: {e}"))?,
            ),
            (None, None) => None,
        };
        let corpus = args.corpus.corpus.clone().or(rel(file.corpus));
        if corpus.is_none() && engine.is_none() {
            bail!(
                "--corpus is required (or --engine, to diagnose against the documents a running \
                 engine stores)"
            );
        }
        Ok(DiagnoseSettings {
            corpus,
            queries,
            qrels: args.qrels.clone().or(rel(file.qrels)),
            trace,
            trace_format,
            trace_query_id_key: args
                .trace_format
                .trace_query_id_key
                .clone()
                .or(file.trace_query_id_key),
            config: args.config.clone(),
            retriever,
            chunker: args
                .chunker
                .clone()
                .or(file.chunker)
                .unwrap_or_else(|| defaults::CHUNKER.into()),
            model,
            context_k,
            pool_k,
            cover,
            as_of,
            gates,
            gate_on,
            seed: args.stats.seed.or(file.seed).unwrap_or(defaults::SEED),
            exact: (args.retrieval.exact || args.retrieval.ann).then_some(args.retrieval.exact),
            no_fetch: args.model.no_fetch,
            out: need(args.out.clone().or(rel(file.out)), "out")?,
            answer_f1,
            ground_token_share,
            // Checked by the engine: a cosine in [-1, 1].
            ground_cosine: args
                .ground_cosine
                .or(file.ground_cosine)
                .unwrap_or(defaults::GROUND_COSINE),
            ground_embeddings: args.ground_embeddings || file.ground_embeddings.unwrap_or(false),
            engine,
            concurrency: args
                .engine
                .concurrency
                .map(|c| usize::try_from(c).unwrap_or(usize::MAX)),
            thresholds,
            price,
            stale_labels,
            leak_threshold,
        })
    }

    /// The attribution engine's configuration.
    pub(crate) fn diag_config(
        &self,
        mode: ragdiag_diagnose::Mode,
    ) -> ragdiag_diagnose::Config<'static> {
        ragdiag_diagnose::Config {
            mode,
            context_k: self.context_k,
            pool_k: self.pool_k,
            cover: self.cover,
            f1_threshold: self.answer_f1,
            grounding: ragdiag_diagnose::GroundingConfig {
                token_share: self.ground_token_share,
                embedding_cosine: self.ground_cosine,
            },
            ..ragdiag_diagnose::Config::default()
        }
    }
}

/// The engine settings in `path` (TOML: an `[engine]` table, or its keys at the top level).
pub(crate) fn read_engine(path: &Path) -> Result<ragdiag_engine::config::EngineConfig> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    let table: toml::Table =
        toml::from_str(&text).map_err(|e| anyhow!("{}: {e}", path.display()))?;
    engine_from_table(table).map_err(|e| anyhow!("{}: {e}", path.display()))
}

fn engine_from_table(
    table: toml::Table,
) -> std::result::Result<ragdiag_engine::config::EngineConfig, String> {
    let value = serde_json::to_value(table).map_err(|e| e.to_string())?;
    ragdiag_engine::config::EngineConfig::from_value(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser;

    fn args(flags: &[&str]) -> DiagnoseArgs {
        let cli = Cli::try_parse_from(
            ["ragdiag", "diagnose"]
                .iter()
                .copied()
                .chain(flags.iter().copied()),
        )
        .unwrap();
        match cli.command {
            Command::Diagnose(a) => a,
            _ => unreachable!("parsed as diagnose"),
        }
    }

    fn file(toml: &str) -> FileConfig {
        FileConfig::parse(toml).unwrap()
    }

    const REQUIRED: &str = "corpus = 'kb'\nqueries = 'q.jsonl'\nout = 'r'\n";

    #[test]
    fn the_engine_comes_from_the_file_and_a_flag_beats_it() {
        let with_engine = format!(
            "{REQUIRED}[engine]\nkind = 'typesense'\nurl = 'http://127.0.0.1:8108'\n\
             collection = 'kb'\napi_key_env = 'TS_KEY'\nconcurrency = 2\n"
        );
        let s = DiagnoseSettings::merge(&args(&[]), file(&with_engine)).unwrap();
        let e = s.engine.expect("[engine] read");
        assert_eq!(e.kind, ragdiag_engine::config::Kind::Typesense);
        assert_eq!(e.policy(None).concurrency, 2);
        assert_eq!(e.policy(Some(6)).concurrency, 6);
        let s = DiagnoseSettings::merge(&args(&["--concurrency", "3"]), file(REQUIRED)).unwrap();
        assert!(s.engine.is_none());
        assert_eq!(s.concurrency, Some(3));
        let bad = format!("{REQUIRED}[engine]\nurl = 'http://x'\ncolection = 'kb'\n");
        let err = DiagnoseSettings::merge(&args(&[]), file(&bad)).unwrap_err();
        assert!(err.to_string().contains("colection"), "{err}");
    }

    #[test]
    fn stale_labels_flag_beats_the_file_which_beats_the_default() {
        use ragdiag_eval::golden::StaleLabels;
        let s = DiagnoseSettings::merge(&args(&[]), file(REQUIRED)).unwrap();
        assert_eq!(s.stale_labels, StaleLabels::Flag);
        let f = format!("{REQUIRED}stale_labels = 'exclude'\n");
        let s = DiagnoseSettings::merge(&args(&[]), file(&f)).unwrap();
        assert_eq!(s.stale_labels, StaleLabels::Exclude);
        let s = DiagnoseSettings::merge(&args(&["--stale-labels", "include"]), file(&f)).unwrap();
        assert_eq!(s.stale_labels, StaleLabels::Include);
        let bad = format!("{REQUIRED}stale_labels = 'drop'\n");
        let err = DiagnoseSettings::merge(&args(&[]), file(&bad)).unwrap_err();
        assert!(err.to_string().contains("stale_labels"), "{err}");
    }

    #[test]
    fn a_flag_beats_the_file_which_beats_the_default() {
        let s = DiagnoseSettings::merge(&args(&[]), file(REQUIRED)).unwrap();
        assert_eq!(
            (s.context_k, s.pool_k, s.seed, s.chunker.as_str()),
            (
                defaults::CONTEXT_K,
                defaults::POOL_K,
                defaults::SEED,
                defaults::CHUNKER
            )
        );
        assert_eq!(s.retriever, defaults::RETRIEVER);
        assert_eq!(s.gate_on, ragdiag_contract::GateOn::Point);
        let with_file = file(&format!(
            "{REQUIRED}context_k = 3\nseed = 7\nchunker = 'tokens:100/0'\nretriever = 'bm25'\n\
             gate_on = 'lower-ci'\nanswer_f1 = 0.5\n[fail_under]\n'hit@3' = 0.5\n"
        ));
        let s = DiagnoseSettings::merge(&args(&[]), with_file).unwrap();
        assert_eq!(
            (s.context_k, s.seed, s.chunker.as_str()),
            (3, 7, "tokens:100/0")
        );
        assert_eq!(s.retriever, RetrieverKind::Bm25);
        assert_eq!(s.gate_on, ragdiag_contract::GateOn::LowerCi);
        assert_eq!(s.gates, [("hit@3".to_owned(), 0.5)]);
        assert!((s.answer_f1 - 0.5).abs() < 1e-12);
        let with_file = file(&format!(
            "{REQUIRED}context_k = 3\nseed = 7\nretriever = 'bm25'\ngate_on = 'lower-ci'\n"
        ));
        let flags = args(&[
            "--context-k",
            "8",
            "--seed",
            "9",
            "--retriever",
            "dense",
            "--gate-on",
            "point",
            "--fail-under",
            "recall@10=0.7",
        ]);
        let s = DiagnoseSettings::merge(&flags, with_file).unwrap();
        assert_eq!((s.context_k, s.seed), (8, 9));
        assert_eq!(s.exact, None);
        assert_eq!(s.retriever, RetrieverKind::Dense);
        assert_eq!(s.gate_on, ragdiag_contract::GateOn::Point);
        assert_eq!(s.gates, [("recall@10".to_owned(), 0.7)]);
    }

    #[test]
    fn shared_groups_resolve_to_their_one_default() {
        let a = args(&[]);
        assert_eq!(a.stats.seed(), defaults::SEED);
        assert_eq!(a.retrieval.retriever(), defaults::RETRIEVER);
        assert!(a.retrieval.exact_or(true) && !a.retrieval.exact_or(false));
        assert_eq!(a.model.model(), ModelChoice::Default);
        let a = args(&[
            "--exact",
            "--ann",
            "--seed",
            "3",
            "--model",
            "hash:8",
            "--no-fetch",
        ]);
        assert!(
            !a.retrieval.exact_or(true),
            "the last of --exact/--ann wins"
        );
        let a2 = args(&["--ann", "--exact"]);
        assert!(a2.retrieval.exact_or(false));
        assert_eq!((a.stats.seed(), a.model.model()), (3, ModelChoice::Hash(8)));
        let s = DiagnoseSettings::merge(&a, file(REQUIRED)).unwrap();
        assert_eq!((s.exact, s.no_fetch), (Some(false), true));
    }

    #[test]
    fn paths_in_the_file_are_relative_to_it_and_required_ones_are_named() {
        let flags = args(&["--config", "conf/ragdiag.toml"]);
        let s = DiagnoseSettings::merge(&flags, file(REQUIRED)).unwrap();
        assert_eq!(s.corpus.as_deref(), Some(Path::new("conf/kb")));
        assert_eq!(s.out, Path::new("conf/r"));
        let s = DiagnoseSettings::merge(&args(&["--out", "x"]), file(REQUIRED)).unwrap();
        assert_eq!(s.out, Path::new("x"));
        let e = DiagnoseSettings::merge(&args(&[]), file("corpus = 'kb'\n")).unwrap_err();
        assert!(e.to_string().contains("--queries is required"), "{e}");
        // Without a corpus, only an engine can stand for it.
        let e = DiagnoseSettings::merge(&args(&[]), file("queries = 'q.jsonl'\nout = 'r'\n"))
            .unwrap_err();
        assert!(
            e.to_string().contains("--corpus is required (or --engine"),
            "{e}"
        );
    }

    #[test]
    fn a_trace_makes_queries_optional_and_its_format_comes_from_flag_or_file() {
        let toml = "corpus = 'kb'\nout = 'r'\ntrace = 't.jsonl'\ntrace_format = 'ragas'\n";
        let s = DiagnoseSettings::merge(&args(&[]), file(toml)).unwrap();
        assert_eq!(s.queries, None);
        assert_eq!(s.trace_format, Some(ragdiag_load::TraceFormat::Ragas));
        let flags = args(&["--trace-format", "otel", "--trace-query-id-key", "qid"]);
        let s = DiagnoseSettings::merge(&flags, file(toml)).unwrap();
        assert_eq!(s.trace_format, Some(ragdiag_load::TraceFormat::Otel));
        assert_eq!(s.trace_query_id_key.as_deref(), Some("qid"));
        let bad = format!("{REQUIRED}trace_format = 'phoenix'\n");
        let e = DiagnoseSettings::merge(&args(&[]), file(&bad)).unwrap_err();
        assert!(
            e.to_string().contains("trace_format: unknown trace format"),
            "{e}"
        );
    }

    #[test]
    fn out_of_range_values_are_refused_wherever_they_come_from() {
        let bad = [
            format!("{REQUIRED}cover = 1.5\n"),
            format!("{REQUIRED}context_k = 0\n"),
            format!("{REQUIRED}context_k = 10\npool_k = 5\n"),
            format!("{REQUIRED}answer_f1 = 0\n"),
            format!("{REQUIRED}gate_on = 'median'\n"),
            format!("{REQUIRED}as_of = 'soon'\n"),
            format!("{REQUIRED}[fail_under]\n'hit@5' = nan\n"),
        ];
        for toml in bad {
            assert!(
                DiagnoseSettings::merge(&args(&[]), file(&toml)).is_err(),
                "{toml}"
            );
        }
        assert!(FileConfig::parse("unknown_key = 1\n").is_err());
        let e = DiagnoseSettings::merge(&args(&["--cover", "2"]), file(REQUIRED)).unwrap_err();
        assert!(e.to_string().contains("--cover"), "{e}");
    }
}
