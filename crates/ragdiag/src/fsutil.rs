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

/// sha256 of a file's bytes, in hex (reports' provenance), hashed as the file is read (it is
/// never held whole).
pub(crate) fn file_sha256(path: &Path) -> Result<String> {
    let cannot = || format!("cannot read {}", path.display());
    let mut file = std::fs::File::open(path).with_context(cannot)?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher).with_context(cannot)?;
    Ok(ragdiag_core::hex(&hasher.finalize()))
}

/// Writes `bytes` to `path` atomically: to a temporary file in the same directory, flushed to
/// disk, then renamed over `path`. A reader sees the old file or the new one, never a part.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    remove_abandoned_temporaries(dir);
    staged(dir, path, bytes)?
        .persist(path)
        .with_context(|| format!("replacing {}", path.display()))?;
    Ok(())
}

/// The prefix of the temporary files written in an output folder: `.ragdiag-tmp-PID-`.
const TMP_PREFIX: &str = ".ragdiag-tmp-";

/// `bytes` written to a temporary file in `dir` (for `path`), flushed to disk. Dropped, it is
/// removed; a process killed before that leaves it, and [`remove_abandoned_temporaries`]
/// removes it on the next write into `dir`.
fn staged(dir: &Path, path: &Path, bytes: &[u8]) -> Result<tempfile::NamedTempFile> {
    staged_with(dir, path, |w| w.write_all(bytes).map_err(Into::into))
}

/// A temporary file in `dir` (for `path`) that `write` fills through a buffer, flushed to
/// disk; as [`staged`].
fn staged_with(
    dir: &Path,
    path: &Path,
    write: impl FnOnce(&mut std::io::BufWriter<&mut std::fs::File>) -> Result<()>,
) -> Result<tempfile::NamedTempFile> {
    let mut tmp = temporary(dir)?;
    {
        let mut out = std::io::BufWriter::with_capacity(1 << 16, tmp.as_file_mut());
        write(&mut out)
            .and_then(|()| out.flush().map_err(Into::into))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    synced(tmp, path)
}

/// An empty temporary file in `dir`, readable as reports are (0644).
fn temporary(dir: &Path) -> Result<tempfile::NamedTempFile> {
    let tmp = tempfile::Builder::new()
        .prefix(&format!("{TMP_PREFIX}{}-", std::process::id()))
        .suffix(".tmp")
        .tempfile_in(dir)
        .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
    // Reports are for reading: the usual 0644, not the temporary file's 0600.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = tmp
            .as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644));
    }
    Ok(tmp)
}

/// `tmp` (written for `path`) flushed to disk.
fn synced(tmp: tempfile::NamedTempFile, path: &Path) -> Result<tempfile::NamedTempFile> {
    tmp.as_file()
        .sync_all()
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(tmp)
}

/// A file of a report written over time ([`ReportFiles::stage`]), e.g. a table whose rows are
/// written as the questions are diagnosed; [`ReportFiles::add`] puts it in the set.
pub(crate) struct Staging {
    path: std::path::PathBuf,
    out: std::io::BufWriter<tempfile::NamedTempFile>,
}

impl Write for Staging {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.out.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// Removes `.ragdiag-tmp-PID-*.tmp` files in `dir` whose process has ended (left by a run that
/// was killed while writing). Best effort. On Linux a process is running when `/proc/PID`
/// exists; elsewhere only files older than a day are removed.
fn remove_abandoned_temporaries(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(TMP_PREFIX))
            .filter(|n| n.ends_with(".tmp"))
            .and_then(|rest| rest.split('-').next())
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        let gone = if pid == std::process::id() {
            false
        } else if cfg!(target_os = "linux") && Path::new("/proc/self").exists() {
            !Path::new(&format!("/proc/{pid}")).exists()
        } else {
            entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > std::time::Duration::from_secs(24 * 3600))
        };
        if gone && entry.file_type().is_ok_and(|t| t.is_file()) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// The files of one report, written as a set: [`ReportFiles::write`] stages each file (written
/// and flushed to a temporary file beside it) and [`ReportFiles::commit`] renames them all into
/// place, `summary.json` last. A run that fails (a full disk, an unwritable folder) or is
/// killed before the commit leaves the folder's previous report whole and no new file; the
/// commit itself is only renames, over in microseconds.
pub(crate) struct ReportFiles {
    dir: std::path::PathBuf,
    staged: Vec<(std::path::PathBuf, tempfile::NamedTempFile)>,
    /// The folder did not exist: a run that fails leaves none (when nothing else went in).
    created: bool,
    committed: bool,
}

impl Drop for ReportFiles {
    fn drop(&mut self) {
        if self.created && !self.committed {
            // The staged temporaries go first; `remove_dir` removes only an empty folder.
            self.staged.clear();
            let _ = std::fs::remove_dir(&self.dir);
        }
    }
}

impl ReportFiles {
    /// A report in `dir`, created if missing (temporaries of killed runs there are removed).
    pub(crate) fn new(dir: &Path) -> Result<Self> {
        let created = !dir.exists();
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        remove_abandoned_temporaries(dir);
        Ok(ReportFiles {
            dir: dir.to_path_buf(),
            staged: Vec::new(),
            created,
            committed: false,
        })
    }

    /// Stages the file `name` of the report.
    pub(crate) fn write(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        let path = self.dir.join(name);
        let tmp = staged(&self.dir, &path, bytes)?;
        self.staged.push((path, tmp));
        Ok(())
    }

    /// Starts the file `name` of the report, written a part at a time through the
    /// [`Staging`] and added with [`ReportFiles::add`] (dropped unadded, it is removed).
    pub(crate) fn stage(&self, name: &str) -> Result<Staging> {
        Ok(Staging {
            path: self.dir.join(name),
            out: std::io::BufWriter::with_capacity(1 << 16, temporary(&self.dir)?),
        })
    }

    /// Adds a file [`ReportFiles::stage`] started, flushed to disk, to the report.
    pub(crate) fn add(&mut self, file: Staging) -> Result<()> {
        let Staging { path, out } = file;
        let tmp = out
            .into_inner()
            .map_err(|e| anyhow::Error::new(e.into_error()))
            .with_context(|| format!("writing {}", path.display()))?;
        let tmp = synced(tmp, &path)?;
        self.staged.push((path, tmp));
        Ok(())
    }

    /// Renames every staged file into place, `summary.json` last: a folder with a new
    /// `summary.json` holds the whole new report.
    pub(crate) fn commit(mut self) -> Result<()> {
        self.committed = true;
        let mut staged = std::mem::take(&mut self.staged);
        staged.sort_by_key(|(path, _)| path.file_name() == Some("summary.json".as_ref()));
        for (path, tmp) in staged {
            tmp.persist(&path)
                .with_context(|| format!("replacing {}", path.display()))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_hashed_as_read() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("q.jsonl");
        std::fs::write(&p, b"abc").unwrap();
        // FIPS 180-2's first example.
        assert_eq!(
            file_sha256(&p).unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        // Longer than any read buffer: the same as hashing the bytes at once.
        let big: Vec<u8> = (0..1_000_003u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&p, &big).unwrap();
        assert_eq!(
            file_sha256(&p).unwrap(),
            ragdiag_core::hex(&Sha256::digest(&big))
        );
        let err = file_sha256(&dir.path().join("missing")).unwrap_err();
        assert!(format!("{err:#}").contains("cannot read"), "{err:#}");
    }

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
    fn a_report_is_replaced_as_a_set_and_leftovers_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        // A killed run's temporary (no process has id u32::MAX - 1) and another's file.
        let dead = d.join(format!("{TMP_PREFIX}{}-abc.tmp", u32::MAX - 1));
        let mine = d.join(format!("{TMP_PREFIX}{}-abc.tmp", std::process::id()));
        std::fs::write(&dead, b"half").unwrap();
        std::fs::write(&mine, b"in flight").unwrap();
        std::fs::write(d.join("notes.txt"), b"keep").unwrap();
        let mut files = ReportFiles::new(d).unwrap();
        assert!(!dead.exists() && mine.exists());
        std::fs::remove_file(&mine).unwrap();
        files.write("summary.json", b"{}").unwrap();
        files.write("report.md", b"# new").unwrap();
        // Nothing is in place before the commit.
        assert!(!d.join("summary.json").exists() && !d.join("report.md").exists());
        files.commit().unwrap();
        assert_eq!(std::fs::read(d.join("report.md")).unwrap(), b"# new");
        assert_eq!(std::fs::read(d.join("summary.json")).unwrap(), b"{}");
        let mut names: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["notes.txt", "report.md", "summary.json"]);
        // A run into a new folder that fails leaves no folder (a staged file and a table being
        // written included).
        let fresh = d.join("new/report");
        let mut files = ReportFiles::new(&fresh).unwrap();
        files.write("report.md", b"# half").unwrap();
        let mut table = files.stage("hits.parquet").unwrap();
        table.write_all(b"rows").unwrap();
        drop(table);
        drop(files);
        assert!(!fresh.exists() && d.join("new").exists());
        std::fs::remove_dir(d.join("new")).unwrap();
        // Dropped uncommitted (an error part-way): nothing changes, no temporary stays.
        let mut files = ReportFiles::new(d).unwrap();
        files.write("report.md", b"# newer").unwrap();
        drop(files);
        assert_eq!(std::fs::read(d.join("report.md")).unwrap(), b"# new");
        assert_eq!(std::fs::read_dir(d).unwrap().count(), 3);
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
