//! `vectors.bin`: the on-disk form of a [`FlatIndex`].
//!
//! # Format
//!
//! All integers and floats little-endian:
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 6 | magic `RDVEC1` (the `1` is the format version) |
//! | 6 | 2 | reserved, 0 |
//! | 8 | 4 | `dim`, u32, > 0 |
//! | 12 | 8 | `count`, u64 |
//! | 20 | 4 × `count` | keys, u32, in row order |
//! | 20 + 4 × `count` | 4 × `dim` × `count` | vectors, f32, row-major |
//!
//! The file is exactly `20 + 4 × count × (1 + dim)` bytes long.

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::Path;

use crate::{Error, FlatIndex};

const MAGIC: &[u8; 6] = b"RDVEC1";
const HEADER_LEN: u64 = 20;
const READ_BLOCK: usize = 1 << 20;

/// Size and CRC-32 of a file as written or read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Written {
    pub(crate) size: u64,
    pub(crate) crc32: u32,
}

/// Writes `flat` to `path` (created or truncated) and syncs it to disk.
pub(crate) fn write(path: &Path, flat: &FlatIndex) -> crate::Result<Written> {
    let io = |e| Error::io(path, e);
    let file = File::create(path).map_err(io)?;
    let mut out = CrcWriter {
        inner: BufWriter::with_capacity(READ_BLOCK, file),
        crc: crc32fast::Hasher::new(),
        size: 0,
    };
    let dim = u32::try_from(flat.dim())
        .map_err(|_| Error::InvalidInput(format!("dimension {} is too large", flat.dim())))?;
    let mut header = Vec::with_capacity(20);
    header.extend_from_slice(MAGIC);
    header.extend_from_slice(&0u16.to_le_bytes());
    header.extend_from_slice(&dim.to_le_bytes());
    header.extend_from_slice(&(flat.len() as u64).to_le_bytes());
    out.write_all(&header).map_err(io)?;
    let mut buf = Vec::with_capacity(READ_BLOCK);
    for chunk in flat.keys().chunks(READ_BLOCK / 4) {
        buf.clear();
        for k in chunk {
            buf.extend_from_slice(&k.to_le_bytes());
        }
        out.write_all(&buf).map_err(io)?;
    }
    for chunk in flat.data().chunks(READ_BLOCK / 4) {
        buf.clear();
        for x in chunk {
            buf.extend_from_slice(&x.to_le_bytes());
        }
        out.write_all(&buf).map_err(io)?;
    }
    out.inner.flush().map_err(io)?;
    out.inner
        .get_ref()
        .sync_all()
        .map_err(|e| Error::io(path, e))?;
    Ok(Written {
        size: out.size,
        crc32: out.crc.finalize(),
    })
}

struct CrcWriter<W> {
    inner: W,
    crc: crc32fast::Hasher,
    size: u64,
}

impl<W: Write> Write for CrcWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.crc.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Reads a file written by [`write`], checking its header against its length; returns the
/// index and the file's size and CRC-32.
pub(crate) fn read(path: &Path) -> crate::Result<(FlatIndex, Written)> {
    let corrupt = |reason: String| Error::corrupt(path, reason);
    let mut file = File::open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            corrupt("missing vectors file".into())
        } else {
            Error::io(path, e)
        }
    })?;
    let len = file.metadata().map_err(|e| Error::io(path, e))?.len();
    if len < HEADER_LEN {
        return Err(corrupt(format!(
            "truncated: {len} bytes, shorter than the {HEADER_LEN}-byte header"
        )));
    }
    let mut crc = crc32fast::Hasher::new();
    let mut header = [0u8; HEADER_LEN as usize];
    file.read_exact(&mut header)
        .map_err(|e| Error::io(path, e))?;
    crc.update(&header);
    if &header[..6] != MAGIC {
        return Err(corrupt("not a ragdiag vectors file (bad magic)".into()));
    }
    let dim = u32::from_le_bytes(header[8..12].try_into().expect("4 bytes"));
    let count = u64::from_le_bytes(header[12..20].try_into().expect("8 bytes"));
    if dim == 0 {
        return Err(corrupt("dimension 0 in header".into()));
    }
    let expected = u64::from(dim)
        .checked_add(1)
        .and_then(|per_row| per_row.checked_mul(4))
        .and_then(|per_row| per_row.checked_mul(count))
        .and_then(|body| body.checked_add(HEADER_LEN));
    if expected != Some(len) {
        return Err(corrupt(format!(
            "truncated or padded: {len} bytes, the header ({count} vectors of dimension {dim}) \
             needs {}",
            expected.map_or_else(|| "more than 2^64".to_string(), |e| e.to_string())
        )));
    }
    let count = usize::try_from(count).map_err(|_| corrupt("too many vectors".into()))?;
    let dim = dim as usize;
    let mut keys = Vec::with_capacity(count);
    read_values(&mut file, &mut crc, count, path, |b| {
        keys.push(u32::from_le_bytes(b));
    })?;
    let values = count
        .checked_mul(dim)
        .ok_or_else(|| corrupt("too many values".into()))?;
    let mut data = Vec::with_capacity(values);
    read_values(&mut file, &mut crc, values, path, |b| {
        data.push(f32::from_le_bytes(b));
    })?;
    let flat = FlatIndex::from_parts(dim, keys, data).map_err(|e| match e {
        Error::InvalidInput(reason) => corrupt(reason),
        other => other,
    })?;
    Ok((
        flat,
        Written {
            size: len,
            crc32: crc.finalize(),
        },
    ))
}

/// Reads `n` 4-byte values in blocks, feeding each to `sink` and the CRC.
fn read_values(
    file: &mut File,
    crc: &mut crc32fast::Hasher,
    n: usize,
    path: &Path,
    mut sink: impl FnMut([u8; 4]),
) -> crate::Result<()> {
    let mut buf = vec![0u8; READ_BLOCK];
    let mut left = n;
    while left > 0 {
        let take = left.min(READ_BLOCK / 4);
        let bytes = &mut buf[..take * 4];
        file.read_exact(bytes).map_err(|e| {
            if e.kind() == std::io::ErrorKind::UnexpectedEof {
                Error::corrupt(path, "truncated while reading")
            } else {
                Error::io(path, e)
            }
        })?;
        crc.update(bytes);
        for b in bytes.chunks_exact(4) {
            sink(b.try_into().expect("4 bytes"));
        }
        left -= take;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::flat;

    #[test]
    fn round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vectors.bin");
        let index = flat(123, 7, 1);
        let written = write(&path, &index).unwrap();
        assert_eq!(written.size, 20 + 4 * 123 * 8);
        let (back, read_back) = read(&path).unwrap();
        assert_eq!(back, index);
        assert_eq!(read_back, written);
    }

    #[test]
    fn empty_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vectors.bin");
        let index = FlatIndex::from_parts(5, vec![], vec![]).unwrap();
        write(&path, &index).unwrap();
        assert_eq!(read(&path).unwrap().0, index);
    }

    #[test]
    fn truncated_or_damaged_files_are_corrupt() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vectors.bin");
        write(&path, &flat(10, 4, 2)).unwrap();
        let good = fs::read(&path).unwrap();
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("truncated body", good[..good.len() - 3].to_vec()),
            ("truncated header", good[..11].to_vec()),
            ("empty", Vec::new()),
            ("padded", [good.clone(), vec![0]].concat()),
            ("bad magic", [b"XXVEC1".as_slice(), &good[6..]].concat()),
            ("huge count", {
                let mut b = good.clone();
                b[12..20].copy_from_slice(&u64::MAX.to_le_bytes());
                b
            }),
            ("zero dim", {
                let mut b = good.clone();
                b[8..12].copy_from_slice(&0u32.to_le_bytes());
                b
            }),
            ("NaN value", {
                let mut b = good.clone();
                let at = b.len() - 4;
                b[at..].copy_from_slice(&f32::NAN.to_le_bytes());
                b
            }),
        ];
        for (what, bytes) in cases {
            fs::write(&path, bytes).unwrap();
            let err = read(&path).unwrap_err();
            assert!(matches!(err, Error::Corrupt { .. }), "{what}: {err}");
        }
        fs::remove_file(&path).unwrap();
        assert!(matches!(read(&path), Err(Error::Corrupt { .. })));
    }

    use std::fs;
}
