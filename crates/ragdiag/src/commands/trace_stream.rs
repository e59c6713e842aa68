//! `diagnose --trace` for a ragdiag JSONL trace, streamed (issue 15): a reader thread reads
//! and hashes the file (or standard input, for `-`) and hands over batches of parsed lines
//! while the batch before is diagnosed, so the memory taken is the corpus and a few batches,
//! whatever the trace's length. Lines that come long before their question's turn (the trace
//! is in another order than the questions, or an earlier question's line is late or never
//! comes) wait in a temporary file, located but not diagnosed, until their part is next
//! ([`TraceRun::with_spill`]), so the trace's order does not change that bound either.

use super::question_tables::QUESTIONS_PER_PART;
use anyhow::{anyhow, Context, Result};
use ragdiag_core::{Diagnostics, TraceRecord};
use ragdiag_diagnose::{Part, Streamed, TraceRun};
use ragdiag_load::{LoadError, LoadOptions, TraceBatch};
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{BufWriter, Read, Write};
#[cfg(not(unix))]
use std::io::{Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// Trace lines per batch unless `RAGDIAG_TRACE_BATCH` says otherwise.
const DEFAULT_BATCH: usize = 256;

/// Bytes of trace lines per batch unless `RAGDIAG_TRACE_BATCH_BYTES` says otherwise: lines
/// that carry whole pages close a batch well before 256 lines, so the batches in flight (one
/// being read, one waiting, one diagnosed) stay a few tens of megabytes.
const DEFAULT_BATCH_BYTES: usize = 4 << 20;

/// How standard input is named for `--trace` and in messages.
pub(crate) const STDIN: &str = "-";

/// The trace streamed and diagnosed.
pub(crate) struct StreamedTrace {
    /// The diagnosis.
    pub(crate) streamed: Streamed,
    /// The reader's findings (malformed lines skipped, unknown fields), in line order, then
    /// the questions traced twice (told by the run), in line order.
    pub(crate) diagnostics: Diagnostics,
    /// The SHA-256 of the bytes read.
    pub(crate) sha256: String,
}

/// Where the questions whose line came long before their turn wait
/// ([`TraceRun::with_spill`]), and where the questions, their labels and their briefs are kept
/// ([`TraceRun::stored`], [`store`]): an unnamed temporary file (`TMPDIR`, removed when closed),
/// made when the first one comes. After a failed write or read it refuses every call (the
/// offsets past it would be wrong).
#[derive(Default)]
struct ScratchFile {
    file: Option<BufWriter<File>>,
    /// Bytes written.
    end: u64,
    /// A call failed.
    broken: bool,
}

/// A store for a run's questions ([`TraceRun::stored`]): a scratch file made now, or why none
/// can be (naming `TMPDIR`).
pub(crate) fn store() -> Result<Box<dyn ragdiag_diagnose::Scratch>, String> {
    let mut s = ScratchFile::default();
    match s.file(true) {
        Ok(_) => Ok(Box::new(s)),
        Err(e) => Err(e.to_string()),
    }
}

impl ScratchFile {
    /// The file, made on the first call (`None`: nothing written yet and `make` is false).
    fn file(&mut self, make: bool) -> std::io::Result<Option<&mut BufWriter<File>>> {
        if self.broken {
            return Err(std::io::Error::other(
                "an earlier write or read of the scratch file failed",
            ));
        }
        if self.file.is_none() && make {
            let file = tempfile::tempfile().map_err(|e| {
                std::io::Error::new(
                    e.kind(),
                    format!(
                        "cannot make a temporary file in {} (TMPDIR): {e}",
                        std::env::temp_dir().display()
                    ),
                )
            })?;
            self.file = Some(BufWriter::with_capacity(1 << 20, file));
        }
        Ok(self.file.as_mut())
    }
}

impl ragdiag_diagnose::Scratch for ScratchFile {
    fn put(&mut self, bytes: &[u8]) -> std::io::Result<u64> {
        let file = self.file(true)?.expect("made on the first write");
        let written = file.write_all(bytes);
        self.broken = written.is_err();
        written?;
        let at = self.end;
        self.end += bytes.len() as u64;
        Ok(at)
    }

    fn get(&mut self, at: u64, len: usize) -> std::io::Result<Vec<u8>> {
        let mut out = vec![0; len];
        self.in_place(at, len, "read", |f| read_at(f, &mut out, at))?;
        Ok(out)
    }

    fn set(&mut self, at: u64, bytes: &[u8]) -> std::io::Result<()> {
        self.in_place(at, bytes.len(), "write", |f| write_at(f, bytes, at))
    }
}

impl ScratchFile {
    /// Does `op` (a `what`: read or write) on the `len` bytes at offset `at`, which must have
    /// been written, once the appends buffered before it are written.
    fn in_place(
        &mut self,
        at: u64,
        len: usize,
        what: &str,
        op: impl FnOnce(&mut File) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        let past_end = at.checked_add(len as u64).is_none_or(|e| e > self.end);
        let Some(file) = self.file(false)? else {
            return Err(std::io::Error::other("nothing was written to the scratch"));
        };
        if past_end {
            return Err(std::io::Error::other(format!(
                "a {what} past the scratch's end"
            )));
        }
        let done = file.flush().and_then(|()| op(file.get_mut()));
        self.broken = done.is_err();
        done
    }
}

/// Reads `out.len()` bytes of `file` at offset `at`, leaving its position (appends go on at
/// the end).
fn read_at(file: &mut File, out: &mut [u8], at: u64) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        std::os::unix::fs::FileExt::read_exact_at(file, out, at)
    }
    #[cfg(not(unix))]
    {
        file.seek(SeekFrom::Start(at))?;
        file.read_exact(out)?;
        file.seek(SeekFrom::End(0)).map(|_| ())
    }
}

/// Writes `bytes` over `file`'s at offset `at`, leaving its position.
fn write_at(file: &mut File, bytes: &[u8], at: u64) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        std::os::unix::fs::FileExt::write_all_at(file, bytes, at)
    }
    #[cfg(not(unix))]
    {
        file.seek(SeekFrom::Start(at))?;
        file.write_all(bytes)?;
        file.seek(SeekFrom::End(0)).map(|_| ())
    }
}

/// A batch's size: `RAGDIAG_TRACE_BATCH` lines and `RAGDIAG_TRACE_BATCH_BYTES` bytes
/// (positive integers), else [`DEFAULT_BATCH`] and [`DEFAULT_BATCH_BYTES`].
fn batch_size() -> Result<TraceBatch> {
    let var = |name: &str, default: usize| match std::env::var(name) {
        Err(_) => Ok(default),
        Ok(v) => v
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|&n| n > 0)
            .ok_or_else(|| anyhow!("{name}: expected a positive integer, got {v:?}")),
    };
    Ok(TraceBatch {
        lines: var("RAGDIAG_TRACE_BATCH", DEFAULT_BATCH)?,
        bytes: var("RAGDIAG_TRACE_BATCH_BYTES", DEFAULT_BATCH_BYTES)?,
        // The run tells a question's second line ([`TraceRun::with_first_lines`]).
        repeats: true,
    })
}

/// A reader that hashes what it reads.
struct Hashing<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// Reads the ragdiag trace at `path` (`-`: standard input, located as `<stdin>:LINE`) in
/// batches and feeds each to `run` as it comes. The parts `run` hands out
/// ([`TraceRun::with_part`]), once all their questions are diagnosed, go to `write` (the last
/// ones when the trace ends); then `run` lets go of what no report reads of them
/// ([`TraceRun::release`]).
pub(crate) fn diagnose_streamed(
    path: &Path,
    run: TraceRun<'_, '_, '_>,
    write: &mut dyn FnMut(Part<'_>) -> Result<()>,
) -> Result<StreamedTrace> {
    let batch = batch_size()?;
    // A trace in the questions' order never holds more than a part and a batch of diagnoses.
    // Lines further ahead wait on disk (a file made when the first one comes).
    // A question's second line is told by the run (which knows where each question's first
    // line was), worded and placed as a trace read whole has it.
    let mut run = run
        .with_spill(
            QUESTIONS_PER_PART.saturating_add(batch.lines),
            Box::new(ScratchFile::default()),
        )
        .with_first_lines();
    let (label, source): (PathBuf, Box<dyn Read + Send>) = if path == Path::new(STDIN) {
        ("<stdin>".into(), Box::new(std::io::stdin()))
    } else {
        if path.is_dir() {
            return Err(LoadError::Unusable {
                path: path.to_path_buf(),
                reason: "is a directory, expected a file".into(),
            }
            .into());
        }
        let file =
            std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
        (path.to_path_buf(), Box::new(file))
    };
    let mut drain = |run: &mut TraceRun<'_, '_, '_>| -> Result<()> {
        while let Some(range) = run.ready()? {
            write(run.part(range.clone())?)?;
            run.release(range)?;
        }
        Ok(())
    };
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<TraceRecord>>(1);
    std::thread::scope(|scope| -> Result<StreamedTrace> {
        let reader = scope.spawn(move || {
            let mut input = std::io::BufReader::with_capacity(
                1 << 20,
                Hashing {
                    inner: source,
                    hasher: Sha256::new(),
                },
            );
            let read = ragdiag_load::stream_trace(
                &mut input,
                &label,
                &LoadOptions::default(),
                batch,
                |records| {
                    // The diagnosis stopped (its error is the one reported).
                    tx.send(records).map_err(|_| LoadError::Io {
                        path: label.clone(),
                        error: std::io::Error::other("the diagnosis stopped"),
                    })
                },
            );
            read.map(|d| (d, ragdiag_core::hex(&input.into_inner().hasher.finalize())))
        });
        let mut diagnosed = Ok(());
        for records in rx {
            diagnosed = run
                .add_batch(records)
                .map_err(Into::into)
                .and_then(|()| drain(&mut run));
            if diagnosed.is_err() {
                break;
            }
        }
        let read = reader
            .join()
            .map_err(|_| anyhow!("the trace reader thread panicked"))?;
        diagnosed?;
        let (mut diagnostics, sha256) = read?;
        run.close();
        drain(&mut run)?;
        let mut streamed = run.finish()?;
        // After each line's own warnings, as the reader of a whole trace has them.
        diagnostics.extend(std::mem::take(&mut streamed.repeated));
        Ok(StreamedTrace {
            streamed,
            diagnostics,
            sha256,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::ScratchFile;
    use ragdiag_diagnose::Scratch;

    /// Bytes read back from the scratch file are the ones written at that offset, whatever
    /// was read or written between (a read does not move where the next write goes); nothing
    /// is made until the first write, and a read past what was written is an error.
    #[test]
    fn the_scratch_file_reads_back_what_was_written() {
        let mut s = ScratchFile::default();
        assert!(s.get(0, 1).is_err());
        assert!(s.file.is_none());
        let a = s.put(b"first question").unwrap();
        let b = s.put(&[0u8, 255, 7]).unwrap();
        assert_eq!((a, b), (0, 14));
        assert_eq!(s.get(a, 14).unwrap(), b"first question");
        let c = s.put("é, after a read".as_bytes()).unwrap();
        assert_eq!(c, 17);
        assert_eq!(s.get(b, 3).unwrap(), [0u8, 255, 7]);
        assert_eq!(s.get(c, 16).unwrap(), "é, after a read".as_bytes());
        assert_eq!(s.get(a + 6, 8).unwrap(), b"question");
        assert!(s.get(c, 17).is_err());
        // A failed read leaves the next write at the end.
        assert_eq!(s.put(b"last").unwrap(), 33);
        assert_eq!(s.get(33, 4).unwrap(), b"last");
        assert_eq!(s.get(a, 5).unwrap(), b"first");
    }
}
