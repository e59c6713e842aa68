//! Index directories: round trip, atomic replacement, and refusal of damaged directories.

use std::fs;
use std::path::{Path, PathBuf};

use ragdiag_index::{
    l2_normalize, BuildOptions, Error, FlatIndex, HnswConfig, IndexDir, OpenOptions, SCHEMA_VERSION,
};

const DOCS: &[(u32, &str, &str)] = &[
    (
        0,
        "Refund policy",
        "Refunds are issued within 14 days of purchase.",
    ),
    (1, "Shipping", "Orders ship in two business days."),
    (2, "Returns", "Unopened items may be returned for a refund."),
    (3, "Warranty", "The warranty covers defects for one year."),
];

fn vectors(n: u32, dim: usize) -> FlatIndex {
    let rows = (0..n).map(|i| {
        let mut v: Vec<f32> = (0..dim)
            .map(|j| ((i as usize * 31 + j * 17) % 23) as f32 - 11.0)
            .collect();
        v[i as usize % dim] += 40.0;
        l2_normalize(&mut v);
        (i, v)
    });
    FlatIndex::from_rows(dim, rows).unwrap()
}

fn build(dir: &Path) -> IndexDir {
    let options = BuildOptions::default()
        .threads(1)
        .hnsw(HnswConfig::default())
        .tune_ef(
            vectors(4, 8).rows().map(|(_, v)| v.to_vec()).collect(),
            2,
            0.99,
        )
        .meta(serde_json::json!({"corpus_sha256": "abc", "chunker": "doc"}));
    IndexDir::build_into(dir, DOCS.iter().copied(), Some(&vectors(4, 8)), &options).unwrap()
}

fn assert_corrupt(dir: &Path, what: &str) -> String {
    match IndexDir::open(dir) {
        Err(e @ Error::Corrupt { .. }) => e.to_string(),
        Err(e) => panic!("{what}: expected Corrupt, got {e:?}"),
        Ok(_) => panic!("{what}: a damaged index opened"),
    }
}

fn lexical_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir.join("lexical"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_str().unwrap();
            !name.starts_with('.') && !name.ends_with(".json")
        })
        .collect();
    files.sort();
    files
}

#[test]
fn round_trip() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("idx");
    let built = build(&dir);
    let opened = IndexDir::open(&dir).unwrap();

    assert_eq!(opened.manifest(), built.manifest());
    assert_eq!(opened.manifest().schema_version, SCHEMA_VERSION);
    assert_eq!(opened.meta()["chunker"], "doc");
    assert_eq!(opened.manifest().lexical_docs, 4);
    assert_eq!(opened.lexical().len(), 4);
    assert_eq!(
        opened.lexical().search("refunds?", 10).unwrap(),
        built.lexical().search("refunds?", 10).unwrap()
    );
    assert_eq!(opened.vectors(), Some(&vectors(4, 8)));
    let q = vectors(4, 8).row(2).unwrap().to_vec();
    let ef = opened.hnsw_ef().unwrap();
    assert_eq!(
        opened.hnsw().unwrap().search(&q, 3, ef).unwrap(),
        built.hnsw().unwrap().search(&q, 3, ef).unwrap()
    );
    assert_eq!(opened.vectors().unwrap().search(&q, 1).unwrap()[0].0, 2);
    let tuning = opened
        .manifest()
        .hnsw
        .as_ref()
        .unwrap()
        .tuning
        .as_ref()
        .unwrap();
    assert!(tuning.reached);

    // Every file but the manifest is listed, with its size.
    let files = &opened.manifest().files;
    for name in ["vectors.bin", "hnsw.graph", "lexical/meta.json"] {
        let entry = files.iter().find(|f| f.path == name).unwrap();
        assert_eq!(entry.size, fs::metadata(dir.join(name)).unwrap().len());
    }
    assert!(!files.iter().any(|f| f.path.contains("manifest")));
    // No temporary directory is left beside it.
    let siblings: Vec<_> = fs::read_dir(tmp.path()).unwrap().collect();
    assert_eq!(siblings.len(), 1);
}

#[test]
fn lexical_only_and_empty() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("empty");
    IndexDir::build_into(
        &dir,
        std::iter::empty::<(u32, &str, &str)>(),
        None,
        &BuildOptions::default(),
    )
    .unwrap();
    let opened = IndexDir::open(&dir).unwrap();
    assert!(opened.lexical().is_empty());
    assert!(opened.vectors().is_none() && opened.hnsw().is_none());
    assert!(opened.lexical().search("anything", 5).unwrap().is_empty());

    let dir = tmp.path().join("empty-vectors");
    let none = FlatIndex::from_parts(8, vec![], vec![]).unwrap();
    let options = BuildOptions::default().hnsw(HnswConfig::default());
    IndexDir::build_into(
        &dir,
        std::iter::empty::<(u32, &str, &str)>(),
        Some(&none),
        &options,
    )
    .unwrap();
    let opened = IndexDir::open(&dir).unwrap();
    assert!(opened.hnsw().unwrap().is_empty());
    assert!(opened
        .vectors()
        .unwrap()
        .search(&[0.0; 8], 3)
        .unwrap()
        .is_empty());
}

#[test]
fn rebuild_replaces_and_refuses_foreign_directories() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("idx");
    build(&dir);
    let smaller = IndexDir::build_into(
        &dir,
        DOCS[..2].iter().copied(),
        None,
        &BuildOptions::default(),
    )
    .unwrap();
    assert_eq!(smaller.lexical().len(), 2);
    assert!(!dir.join("vectors.bin").exists());
    assert_eq!(IndexDir::open(&dir).unwrap().lexical().len(), 2);
    assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 1);

    let foreign = tmp.path().join("photos");
    fs::create_dir(&foreign).unwrap();
    fs::write(foreign.join("cat.jpg"), b"meow").unwrap();
    let err = IndexDir::build_into(
        &foreign,
        DOCS.iter().copied(),
        None,
        &BuildOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)), "{err}");
    assert!(foreign.join("cat.jpg").exists());
}

#[test]
fn a_failed_build_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("idx");
    build(&dir);
    let before = fs::read(dir.join("manifest.json")).unwrap();
    // Duplicate keys fail the build half-way, after the lexical index is written.
    let dup = [(1, "a", "b"), (1, "c", "d")];
    let err = IndexDir::build_into(&dir, dup, None, &BuildOptions::default()).unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)), "{err}");
    assert_eq!(fs::read(dir.join("manifest.json")).unwrap(), before);
    IndexDir::open(&dir).unwrap();
    assert_eq!(
        fs::read_dir(tmp.path()).unwrap().count(),
        1,
        "temporary directory left"
    );

    // Same for a directory that did not exist: it still does not.
    let fresh = tmp.path().join("fresh");
    assert!(IndexDir::build_into(&fresh, dup, None, &BuildOptions::default()).is_err());
    assert!(!fresh.exists());
}

#[test]
fn the_next_build_removes_what_a_killed_build_left() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("idx");
    // A killed builder's leftovers: its process (an id above any pid_max) is gone.
    let dead = tmp.path().join(".idx.building-4294967295-17-0");
    let dead_old = tmp.path().join(".idx.old-4294967294-18-0");
    // A builder that is still running (this process, and process 1) must not lose its work;
    // another index's leftover and names that merely look alike are not ours to remove.
    let alive = tmp
        .path()
        .join(format!(".idx.building-{}-19-0", std::process::id()));
    let init = tmp.path().join(".idx.building-1-20-0");
    let other = tmp.path().join(".other.building-4294967295-21-0");
    let odd = tmp.path().join(".idx.building-notapid");
    for d in [&dead, &dead_old, &alive, &init, &other, &odd] {
        fs::create_dir_all(d.join("lexical")).unwrap();
        fs::write(d.join("lexical/x"), b"partial").unwrap();
    }
    build(&dir);
    assert!(
        !dead.exists() && !dead_old.exists(),
        "abandoned builds left"
    );
    for d in [&alive, &init, &other, &odd] {
        assert!(d.exists(), "{} removed", d.display());
    }
    IndexDir::open(&dir).unwrap();
}

#[test]
fn an_unfinished_build_directory_does_not_open() {
    // What a crash leaves: everything but the manifest.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("idx");
    build(&dir);
    fs::remove_file(dir.join("manifest.json")).unwrap();
    let msg = assert_corrupt(&dir, "no manifest");
    assert!(msg.contains("missing manifest"), "{msg}");
}

#[test]
fn missing_manifest() {
    let tmp = tempfile::tempdir().unwrap();
    assert_corrupt(tmp.path(), "empty directory");
    assert_corrupt(&tmp.path().join("does-not-exist"), "no directory");
}

#[test]
fn garbage_manifest() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("idx");
    build(&dir);
    let manifest = dir.join("manifest.json");
    let good = fs::read_to_string(&manifest).unwrap();
    for (what, text) in [
        ("binary", "\u{0}\u{1}garbage".to_string()),
        ("truncated", good[..good.len() / 2].to_string()),
        ("not an object", "[1, 2, 3]".to_string()),
        ("no version", "{}".to_string()),
        (
            "wrong fields",
            format!("{{\"schema_version\": {SCHEMA_VERSION}}}"),
        ),
        (
            "escaping path",
            good.replace("\"vectors.bin\"", "\"../vectors.bin\""),
        ),
    ] {
        fs::write(&manifest, text).unwrap();
        assert_corrupt(&dir, what);
    }
    fs::write(&manifest, &good).unwrap();
    IndexDir::open(&dir).unwrap();
}

/// Rewrites the `schema_version` of `dir`'s manifest (which must hold the current one).
fn set_schema_version(dir: &Path, version: u32) {
    let manifest = dir.join("manifest.json");
    let good = fs::read_to_string(&manifest).unwrap();
    let needle = format!("\"schema_version\": {SCHEMA_VERSION}");
    assert!(good.contains(&needle));
    let bad = good.replace(&needle, &format!("\"schema_version\": {version}"));
    fs::write(&manifest, bad).unwrap();
}

#[test]
fn wrong_schema_version() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("idx");
    build(&dir);
    set_schema_version(&dir, 999);
    let msg = assert_corrupt(&dir, "future version");
    assert!(msg.contains("schema_version 999"), "{msg}");
}

#[test]
fn truncated_vectors_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("idx");
    build(&dir);
    let path = dir.join("vectors.bin");
    let bytes = fs::read(&path).unwrap();
    fs::write(&path, &bytes[..bytes.len() - 10]).unwrap();
    let msg = assert_corrupt(&dir, "truncated vectors.bin");
    assert!(msg.contains("vectors.bin") && msg.contains("size"), "{msg}");

    // Altered in place (same size): caught by the checksum, or not when checks are off.
    let mut altered = bytes.clone();
    let low_mantissa_byte = altered.len() - 4;
    altered[low_mantissa_byte] ^= 0x01;
    fs::write(&path, &altered).unwrap();
    let msg = assert_corrupt(&dir, "altered vectors.bin");
    assert!(msg.contains("checksum"), "{msg}");
    assert!(IndexDir::open_with(&dir, OpenOptions::default().verify_checksums(false)).is_ok());
}

#[test]
fn deleted_tantivy_segment_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("idx");
    build(&dir);
    let victim = lexical_files(&dir)
        .into_iter()
        .find(|p| p.extension().is_some_and(|e| e == "idx"))
        .expect("a segment's .idx file");
    fs::remove_file(&victim).unwrap();
    let msg = assert_corrupt(&dir, "deleted segment file");
    assert!(msg.contains("missing file"), "{msg}");
}

#[test]
fn tantivy_damage_is_caught_even_when_the_manifest_agrees() {
    // A segment file removed and also struck from the manifest: tantivy itself must refuse.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("idx");
    build(&dir);
    for victim in lexical_files(&dir) {
        let copy = tmp.path().join("copy");
        if copy.exists() {
            fs::remove_dir_all(&copy).unwrap();
        }
        copy_dir(&dir, &copy);
        let name = victim.file_name().unwrap().to_str().unwrap().to_string();
        fs::remove_file(copy.join("lexical").join(&name)).unwrap();
        let manifest = copy.join("manifest.json");
        let mut value: serde_json::Value =
            serde_json::from_slice(&fs::read(&manifest).unwrap()).unwrap();
        let files = value["files"].as_array_mut().unwrap();
        files.retain(|f| f["path"] != format!("lexical/{name}"));
        fs::write(&manifest, serde_json::to_vec(&value).unwrap()).unwrap();
        assert_corrupt(&copy, &name);
    }
}

#[test]
fn truncated_or_altered_hnsw_graph() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("idx");
    build(&dir);
    let path = dir.join("hnsw.graph");
    let bytes = fs::read(&path).unwrap();
    for cut in [0, 10, bytes.len() / 2, bytes.len() - 1] {
        fs::write(&path, &bytes[..cut]).unwrap();
        let msg = assert_corrupt(&dir, "truncated hnsw.graph");
        assert!(msg.contains("hnsw.graph"), "{msg}");
        // Without the manifest's size check, the file's own header catches it.
        let unchecked = IndexDir::open_with(&dir, OpenOptions::default().verify_checksums(false));
        assert!(
            matches!(unchecked, Err(Error::Corrupt { .. })),
            "cut at {cut}"
        );
    }
    // A bit flipped anywhere: the manifest's CRC catches it, and so does the file's own CRC
    // when the manifest's is not checked.
    for at in (0..bytes.len()).step_by(7) {
        let mut altered = bytes.clone();
        altered[at] ^= 1 << (at % 8);
        fs::write(&path, &altered).unwrap();
        assert_corrupt(&dir, "altered hnsw.graph");
        let unchecked = IndexDir::open_with(&dir, OpenOptions::default().verify_checksums(false));
        assert!(
            matches!(unchecked, Err(Error::Corrupt { .. })),
            "bit flipped at byte {at}"
        );
    }
    fs::write(&path, &bytes).unwrap();
    IndexDir::open(&dir).unwrap();
}

#[test]
fn an_index_of_the_previous_schema_asks_for_a_rebuild() {
    // Version 1 stored hnsw_rs's dump; this version refuses it rather than misreading it.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("idx");
    build(&dir);
    set_schema_version(&dir, 1);
    let msg = assert_corrupt(&dir, "schema 1");
    assert!(
        msg.contains("schema_version 1") && msg.contains("rebuild"),
        "{msg}"
    );
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn vectors_must_match_the_items() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("idx");
    for (what, flat) in [("one short", vectors(3, 8)), ("one extra", vectors(5, 8))] {
        let err = IndexDir::build_into(
            &dir,
            DOCS.iter().copied(),
            Some(&flat),
            &BuildOptions::default(),
        )
        .unwrap_err();
        assert!(matches!(err, Error::InvalidInput(_)), "{what}: {err}");
        assert!(!dir.exists());
    }
}
