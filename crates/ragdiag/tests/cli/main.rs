//! End-to-end tests of the `ragdiag` binary.
#![allow(missing_docs)]

mod bad_input;
mod chunking;
mod demo_data;
mod diagnose;
mod engine;
mod eval_parity;
mod eval_text;
mod freshness;
mod golden;
mod house_style;
mod lint;
mod plan;
mod search;
mod snapshots;
mod trace_formats;
mod trace_stream;
mod trend;

mod bounds;
mod faults;

use std::path::{Path, PathBuf};
use std::process::Command;

/// Output of one invocation.
pub(crate) struct Out {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

pub(crate) fn ragdiag(args: &[&str]) -> Out {
    let out = Command::new(env!("CARGO_BIN_EXE_ragdiag"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run ragdiag");
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

pub(crate) fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(rel)
}

/// The `summary.json` a command wrote into `dir`.
pub(crate) fn summary(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap()
}

pub(crate) fn write(dir: &Path, name: &str, content: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p.to_string_lossy().into_owned()
}
