//! File-system and output helpers shared by the commands.

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::Path;

/// Refuses an output folder that is, or lies inside, an input folder (a folder corpus): the
/// report would be read back as a document on the next run. Paths are compared after resolving
/// links, the output's through its nearest existing ancestor.
pub(crate) fn check_out_not_inside(out: &Path, inputs: &[&Path]) -> Result<()> {
    let resolve = |p: &Path| -> Option<std::path::PathBuf> {
        let mut missing = Vec::new();
        let mut cur = std::path::absolute(p).ok()?;
        loop {
            if let Ok(c) = cur.canonicalize() {
                return Some(missing.iter().rev().fold(c, |acc, part| acc.join(part)));
            }
            missing.push(cur.file_name()?.to_owned());
            cur = cur.parent()?.to_path_buf();
        }
    };
    let Some(out_abs) = resolve(out) else {
        return Ok(());
    };
    for input in inputs.iter().filter(|p| p.is_dir()) {
        if let Some(in_abs) = resolve(input) {
            if out_abs.starts_with(&in_abs) {
                anyhow::bail!(
                    "--out {} is inside the input folder {}: the report would become part of \
                     the input; write it elsewhere",
                    out.display(),
                    input.display()
                );
            }
        }
    }
    Ok(())
}

/// sha256 of a file's bytes, in hex (reports' provenance).
pub(crate) fn file_sha256(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(ragdiag_core::hex(&Sha256::digest(&bytes)))
}

/// Writes `bytes` to `path` atomically: to a temporary file in the same directory, flushed to
/// disk, then renamed over `path`. A reader sees the old file or the new one, never a part.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
    // Reports are for reading: the usual 0644, not the temporary file's 0600.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = tmp
            .as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644));
    }
    tmp.write_all(bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .with_context(|| format!("writing {}", path.display()))?;
    tmp.persist(path)
        .with_context(|| format!("replacing {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_whole_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.json");
        write_atomic(&p, b"first").unwrap();
        write_atomic(&p, b"second").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"second");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary file left behind"
        );
    }

    #[test]
    fn an_output_inside_an_input_folder_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let kb = dir.path().join("kb");
        std::fs::create_dir_all(kb.join("sub")).unwrap();
        let file = dir.path().join("c.jsonl");
        std::fs::write(&file, b"").unwrap();
        for out in [
            kb.clone(),
            kb.join("sub"),
            kb.join("new/deeper"),
            kb.join("sub/../x"),
        ] {
            let err = check_out_not_inside(&out, &[&kb]).unwrap_err().to_string();
            assert!(err.contains("is inside the input folder"), "{out:?}: {err}");
        }
        for out in [
            dir.path().join("reports"),
            dir.path().join("kb2"),
            dir.path().to_path_buf(),
        ] {
            assert!(check_out_not_inside(&out, &[&kb, &file]).is_ok(), "{out:?}");
        }
        // A corpus file, not a folder, has nothing inside it.
        assert!(check_out_not_inside(&dir.path().join("out"), &[&file]).is_ok());
    }
}
