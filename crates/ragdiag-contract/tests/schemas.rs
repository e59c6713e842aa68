//! The published JSON Schemas in the repository's `schemas/` folder are the ones the types
//! generate. `UPDATE_SCHEMAS=1 cargo test -p ragdiag-contract` rewrites them.

use std::path::PathBuf;

#[test]
fn published_schemas_match_the_types() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../schemas");
    let update = std::env::var_os("UPDATE_SCHEMAS").is_some();
    let mut stale = Vec::new();
    for (name, schema) in ragdiag_contract::json_schemas() {
        let mut text = serde_json::to_string_pretty(&schema).unwrap();
        text.push('\n');
        let path = dir.join(name);
        if update {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &text).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            stale.push(name);
        }
    }
    assert!(
        stale.is_empty(),
        "schemas/{stale:?} differ from the types: run UPDATE_SCHEMAS=1 cargo test -p ragdiag-contract"
    );
}
