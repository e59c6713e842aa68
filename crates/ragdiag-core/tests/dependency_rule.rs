//! The dependency rule of ARCHITECTURE.md: the pure crates link no model runtime, no search index
//! and no columnar file format.
//!
//! The test reads the workspace's resolved graph from `cargo metadata`, walks it from each pure
//! crate over normal and build edges (dev-dependencies may link anything: tests embed with
//! `HashEmbedder`), and fails naming the path to every banned crate it reaches. `cargo metadata`
//! unifies features across the workspace, so an edge a feature of another crate turns on counts
//! too; the graph is filtered to the host platform, which keeps the run offline (the banned crates
//! are the same on every platform).

use serde_json::Value;
use std::collections::{HashMap, VecDeque};
use std::path::Path;
use std::process::Command;

/// The crates that must stay light, and why.
const PURE: &[(&str, &str)] = &[
    (
        "ragdiag-core",
        "ragdiag-core is the data model and the traits every crate meets at: no I/O, no model, \
         no index",
    ),
    (
        "ragdiag-eval",
        "ragdiag-eval is pure: no I/O, no model, no index (metrics and statistics over runs and \
         qrels)",
    ),
    (
        "ragdiag-fresh",
        "ragdiag-fresh finds stale and conflicting documents in loaded data: no model, no index",
    ),
    (
        "ragdiag-diagnose",
        "ragdiag-diagnose works on loaded data; its embedder comes in as a `dyn Embedder`, so it \
         links no runtime",
    ),
    (
        "ragdiag-report",
        "ragdiag-report renders plain data as HTML and Markdown: no model, no index, no Parquet",
    ),
    (
        "ragdiag-chunk",
        "ragdiag-chunk tokenizes but runs no model: the semantic chunker takes a `dyn Embedder`",
    ),
];

/// What the pure crates must not reach: a crate name, or `prefix-*` for a family of crates, and
/// what it is.
const BANNED: &[(&str, &str)] = &[
    (
        "ort",
        "ONNX Runtime's bindings, the model runtime of ragdiag-embed",
    ),
    ("ort-sys", "ONNX Runtime's C API"),
    ("fastembed", "the ONNX embedding pipeline of ragdiag-embed"),
    ("tantivy", "the BM25 index of ragdiag-index"),
    ("tantivy-*", "a part of the BM25 index"),
    (
        "arrow",
        "Arrow, read and written by ragdiag-load and the embedding cache",
    ),
    ("arrow-*", "a part of Arrow"),
    (
        "parquet",
        "the Parquet format of ragdiag-load and the embedding cache",
    ),
    ("ureq", "the HTTP client of ragdiag-engine (network I/O)"),
];

/// Whether a crate name matches a [`BANNED`] pattern.
fn matches(pattern: &str, name: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => name.starts_with(prefix),
        None => name == pattern,
    }
}

/// The resolved graph: package names by id, and each package's normal and build dependencies.
struct Graph<'a> {
    names: HashMap<&'a str, &'a str>,
    deps: HashMap<&'a str, Vec<&'a str>>,
    members: Vec<&'a str>,
}

impl<'a> Graph<'a> {
    fn new(metadata: &'a Value) -> Result<Self, String> {
        let str_of = |v: &'a Value, what: &str| {
            v.as_str()
                .ok_or_else(|| format!("cargo metadata: {what} is not a string"))
        };
        let array = |v: &'a Value, what: &str| {
            v.as_array()
                .ok_or_else(|| format!("cargo metadata: no {what} list"))
        };
        let mut names = HashMap::new();
        for p in array(&metadata["packages"], "packages")? {
            names.insert(
                str_of(&p["id"], "a package id")?,
                str_of(&p["name"], "a name")?,
            );
        }
        let mut deps = HashMap::new();
        for node in array(&metadata["resolve"]["nodes"], "resolve.nodes")? {
            let mut out = Vec::new();
            for dep in array(&node["deps"], "deps")? {
                let linked = array(&dep["dep_kinds"], "dep_kinds")?
                    .iter()
                    .any(|k| k["kind"].is_null() || k["kind"] == "build");
                if linked {
                    out.push(str_of(&dep["pkg"], "a dependency")?);
                }
            }
            deps.insert(str_of(&node["id"], "a node id")?, out);
        }
        let members = array(&metadata["workspace_members"], "workspace_members")?
            .iter()
            .map(|m| str_of(m, "a member"))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            names,
            deps,
            members,
        })
    }

    fn name(&self, id: &'a str) -> &'a str {
        self.names.get(id).copied().unwrap_or(id)
    }

    /// Every banned crate reachable from the workspace member `root`, each with the shortest
    /// path to it (`root → … → crate`). The walk does not go past a banned crate, so a family
    /// (`arrow` and its `arrow-*` parts) is reported once, where it is entered.
    fn banned_paths(&self, root: &str, banned: &[(&str, &str)]) -> Result<Vec<String>, String> {
        let start = self
            .members
            .iter()
            .copied()
            .find(|id| self.name(id) == root)
            .ok_or_else(|| format!("{root} is not a workspace member"))?;
        let is_banned = |id: &str| {
            banned
                .iter()
                .find(|(pattern, _)| matches(pattern, self.name(id)))
        };
        let mut parent: HashMap<&str, &str> = HashMap::new();
        let mut queue = VecDeque::from([start]);
        let mut found = Vec::new();
        while let Some(id) = queue.pop_front() {
            if let Some((_, what)) = is_banned(id) {
                let mut path = vec![self.name(id)];
                let mut at = id;
                while let Some(&p) = parent.get(at) {
                    path.push(self.name(p));
                    at = p;
                }
                path.reverse();
                found.push(format!("{}: {} is {what}", path.join(" → "), self.name(id)));
                continue;
            }
            for &dep in self.deps.get(id).into_iter().flatten() {
                if dep != start && !parent.contains_key(dep) {
                    parent.insert(dep, id);
                    queue.push_back(dep);
                }
            }
        }
        Ok(found)
    }
}

/// Every breach of the rule, one line each with the crate's reason.
fn violations(
    metadata: &Value,
    pure: &[(&str, &str)],
    banned: &[(&str, &str)],
) -> Result<Vec<String>, String> {
    let graph = Graph::new(metadata)?;
    let mut out = Vec::new();
    for (root, why) in pure {
        for path in graph.banned_paths(root, banned)? {
            out.push(format!("{path} ({why})"));
        }
    }
    Ok(out)
}

/// The host's target triple, from the `rustc` beside the `cargo` running the tests.
fn host_triple() -> String {
    let beside = Path::new(env!("CARGO")).with_file_name("rustc");
    let rustc = if beside.is_file() {
        beside.into_os_string()
    } else {
        "rustc".into()
    };
    let out = Command::new(&rustc)
        .arg("-vV")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {rustc:?} -vV: {e}"));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .unwrap_or_else(|| panic!("{rustc:?} -vV names no host"))
        .trim()
        .to_owned()
}

/// `cargo metadata` of the whole workspace, resolved for the host platform.
fn workspace_metadata() -> Value {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    let out = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--locked", "--offline"])
        .arg("--filter-platform")
        .arg(host_triple())
        .arg("--manifest-path")
        .arg(&manifest)
        .output()
        .expect("cannot run cargo metadata");
    assert!(
        out.status.success(),
        "cargo metadata failed (run `cargo fetch` first if packages are missing):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("cargo metadata printed no JSON")
}

#[test]
fn pure_crates_link_no_model_runtime_index_or_columnar_format() {
    let metadata = workspace_metadata();
    let found = violations(&metadata, PURE, BANNED).unwrap();
    assert!(
        found.is_empty(),
        "the dependency rule (ARCHITECTURE.md) is broken:\n{}",
        found.join("\n")
    );
    // A pattern that matches nothing in the workspace is a typo or stale, and would guard nothing.
    let names: Vec<&str> = metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    for (pattern, _) in BANNED {
        assert!(
            names.iter().any(|n| matches(pattern, n)),
            "banned crate {pattern} is in no dependency of the workspace: fix or drop the entry"
        );
    }
}

/// A package of a synthetic graph, with its dependencies as `(name, kind)`.
fn package(name: &str, deps: &[(&str, Option<&str>)]) -> (Value, Value) {
    let id = format!("id-{name}");
    let deps: Vec<Value> = deps
        .iter()
        .map(|(dep, kind)| {
            serde_json::json!({
                "name": dep.replace('-', "_"),
                "pkg": format!("id-{dep}"),
                "dep_kinds": [{ "kind": kind, "target": null }],
            })
        })
        .collect();
    (
        serde_json::json!({ "id": id, "name": name }),
        serde_json::json!({ "id": id, "deps": deps }),
    )
}

fn synthetic(packages: &[(Value, Value)], members: &[&str]) -> Value {
    serde_json::json!({
        "packages": packages.iter().map(|p| p.0.clone()).collect::<Vec<_>>(),
        "resolve": { "nodes": packages.iter().map(|p| p.1.clone()).collect::<Vec<_>>() },
        "workspace_members": members.iter().map(|m| format!("id-{m}")).collect::<Vec<_>>(),
    })
}

#[test]
fn the_walker_names_the_path_to_a_banned_crate_behind_other_crates() {
    let metadata = synthetic(
        &[
            package(
                "pure",
                &[
                    ("helper", None),
                    ("codegen", Some("build")),
                    ("arrow-array", Some("dev")),
                ],
            ),
            package("helper", &[("model", None), ("pure", None)]),
            package("model", &[("ort", None)]),
            package("ort", &[("ort-sys", None)]),
            package("ort-sys", &[]),
            package("codegen", &[("arrow-schema", None)]),
            package("arrow-schema", &[]),
            package("arrow-array", &[("arrow-schema", None)]),
            package("heavy", &[("tantivy", None)]),
            package("tantivy", &[]),
        ],
        &["pure", "heavy", "helper"],
    );
    let pure = [("pure", "pure is pure")];
    let found = violations(&metadata, &pure, BANNED).unwrap();
    assert_eq!(
        found,
        [
            "pure → codegen → arrow-schema: arrow-schema is a part of Arrow (pure is pure)",
            "pure → helper → model → ort: ort is ONNX Runtime's bindings, the model runtime of \
             ragdiag-embed (pure is pure)",
        ]
    );
    // A crate with no path to a banned one passes; one that reaches one directly is named.
    assert!(violations(&metadata, &[("helper", "")], &[("tantivy", "")])
        .unwrap()
        .is_empty());
    assert_eq!(
        violations(&metadata, &[("heavy", "why")], BANNED).unwrap(),
        ["heavy → tantivy: tantivy is the BM25 index of ragdiag-index (why)"]
    );
    // A pure crate that is not a workspace member is an error, not a pass.
    let err = violations(&metadata, &[("ragdiag-gone", "")], BANNED).unwrap_err();
    assert_eq!(err, "ragdiag-gone is not a workspace member");
}
