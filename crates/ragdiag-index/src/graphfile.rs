//! `hnsw.graph`: the on-disk form of an HNSW graph (its links; the vectors are the index's
//! `vectors.bin`, shared with exact search, and are given to [`read`]).
//!
//! # Format
//!
//! All integers and floats little-endian:
//!
//! | size | field |
//! |---|---|
//! | 6 | magic `RDHNSW` |
//! | 2 | format version, u16 = 2 (1 also held the vectors) |
//! | 4 | `dim`, u32, > 0 |
//! | 4 | `M`, u32, 1 to 256 |
//! | 8 | `n`, u64, number of nodes |
//! | 4 | entry node, u32 (0 when `n` = 0) |
//! | 1 | entry node's level, u8 (the highest) |
//! | 3 | reserved, 0 |
//! | 8 | `U`, u64, length of the upper-layers array |
//! | 4 × `n` | keys, u32, strictly ascending (node `i` has key `i`-th) |
//! | `n`, padded with zeros to a multiple of 4 | levels, u8, at most 15 |
//! | 4 × `n` × (2`M` + 1) | layer 0: per node a count then `2M` slots, u32 |
//! | 4 × `U` | upper layers: per node of level `L`, `L` blocks of a count then `M` slots |
//! | 4 | CRC-32 (IEEE) of everything before it |
//!
//! The reader checks the length against the header before allocating anything, the header
//! against the vectors it is given (number and dimension), the CRC, and then every invariant
//! search relies on (counts within capacity, neighbours that exist at that level, an entry
//! node of the highest level), so that a damaged file gives [`Error::Corrupt`] and never a
//! panic. The vectors were checked (finite, normalised) when their index was read.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::Path;
use std::sync::Arc;

use crate::graph::{Graph, Layout, Rows, MAX_LEVEL};
use crate::Error;

const MAGIC: &[u8; 6] = b"RDHNSW";
const VERSION: u16 = 2;
const HEADER_LEN: u64 = 40;
const BLOCK: usize = 1 << 16;

/// Writes `graph` to `path` atomically: a temporary file beside it, synced, then renamed.
pub(crate) fn write(path: &Path, graph: &Graph) -> crate::Result<()> {
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    let result = write_to(&tmp, graph).and_then(|()| {
        std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))?;
        if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            File::open(dir)
                .and_then(|f| f.sync_all())
                .map_err(|e| Error::io(dir, e))?;
        }
        Ok(())
    });
    if result.is_err() {
        // Best effort: the error that matters is the write's.
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn write_to(path: &Path, g: &Graph) -> crate::Result<()> {
    let io = |e| Error::io(path, e);
    let too_large = |what: &str| Error::InvalidInput(format!("HNSW graph: {what} is too large"));
    let file = File::create(path).map_err(io)?;
    let mut out = BufWriter::with_capacity(BLOCK, file);
    let mut crc = crc32fast::Hasher::new();
    let mut put = |out: &mut BufWriter<File>, bytes: &[u8]| -> crate::Result<()> {
        crc.update(bytes);
        out.write_all(bytes).map_err(io)
    };
    let mut header = Vec::with_capacity(HEADER_LEN as usize);
    header.extend_from_slice(MAGIC);
    header.extend_from_slice(&VERSION.to_le_bytes());
    header.extend_from_slice(
        &u32::try_from(g.dim)
            .map_err(|_| too_large("dim"))?
            .to_le_bytes(),
    );
    header.extend_from_slice(
        &u32::try_from(g.layout.m())
            .map_err(|_| too_large("M"))?
            .to_le_bytes(),
    );
    header.extend_from_slice(&(g.len() as u64).to_le_bytes());
    header.extend_from_slice(&g.entry.to_le_bytes());
    header.push(g.max_level);
    header.extend_from_slice(&[0; 3]);
    header.extend_from_slice(&(g.layout.upper_len() as u64).to_le_bytes());
    debug_assert_eq!(header.len() as u64, HEADER_LEN);
    put(&mut out, &header)?;
    let mut buf = Vec::with_capacity(BLOCK);
    for chunk in g.keys.chunks(BLOCK / 4) {
        buf.clear();
        chunk
            .iter()
            .for_each(|k| buf.extend_from_slice(&k.to_le_bytes()));
        put(&mut out, &buf)?;
    }
    let levels = g.layout.levels();
    put(&mut out, levels)?;
    put(&mut out, &[0; 3][..padding(levels.len())])?;
    for arr in [&g.l0, &g.upper] {
        for chunk in arr.chunks(BLOCK / 4) {
            buf.clear();
            chunk
                .iter()
                .for_each(|x| buf.extend_from_slice(&x.to_le_bytes()));
            put(&mut out, &buf)?;
        }
    }
    let sum = crc.finalize();
    out.write_all(&sum.to_le_bytes()).map_err(io)?;
    out.flush().map_err(io)?;
    out.get_ref().sync_all().map_err(io)
}

/// Bytes of zero padding after `n` level bytes.
fn padding(n: usize) -> usize {
    (4 - n % 4) % 4
}

/// Reads a file written by [`write`], over `data` (its vectors of dimension `dim`, in node
/// order).
pub(crate) fn read(path: &Path, dim: usize, data: Arc<Rows>) -> crate::Result<Graph> {
    let expect_dim = dim;
    let corrupt = |reason: String| Error::corrupt(path, reason);
    let file = File::open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            corrupt("missing HNSW graph file".into())
        } else {
            Error::io(path, e)
        }
    })?;
    let file_len = file.metadata().map_err(|e| Error::io(path, e))?.len();
    if file_len < HEADER_LEN + 4 {
        return Err(corrupt(format!(
            "truncated: {file_len} bytes, shorter than the {HEADER_LEN}-byte header"
        )));
    }
    let mut r = Reader {
        inner: BufReader::with_capacity(BLOCK, file),
        crc: crc32fast::Hasher::new(),
        path,
    };
    let mut header = [0u8; HEADER_LEN as usize];
    r.read(&mut header)?;
    if &header[..6] != MAGIC {
        return Err(corrupt("not a ragdiag HNSW graph (bad magic)".into()));
    }
    let u32_at = |at: usize| u32::from_le_bytes(header[at..at + 4].try_into().expect("4 bytes"));
    let u64_at = |at: usize| u64::from_le_bytes(header[at..at + 8].try_into().expect("8 bytes"));
    let version = u16::from_le_bytes([header[6], header[7]]);
    if version != VERSION {
        return Err(corrupt(format!(
            "graph format version {version}, this version reads {VERSION}: rebuild the index"
        )));
    }
    let (file_dim, m, n, entry, max_level, upper) = (
        u32_at(8),
        u32_at(12),
        u64_at(16),
        u32_at(24),
        header[28],
        u64_at(32),
    );
    if file_dim == 0 || m == 0 || m > 256 || header[29..32] != [0; 3] || max_level > MAX_LEVEL {
        return Err(corrupt(format!(
            "bad header (dim {file_dim}, M {m}, top level {max_level})"
        )));
    }
    if file_dim as usize != expect_dim {
        return Err(corrupt(format!(
            "holds {file_dim}-d vectors, expected {expect_dim}"
        )));
    }
    let len = (data.as_slice().len() / expect_dim.max(1)) as u64;
    if n != len {
        return Err(corrupt(format!("holds {n} vectors, expected {len}")));
    }
    // The length the header implies, in u64 with overflow checks, before any allocation.
    let expected = (|| {
        let n4 = n.checked_mul(4)?;
        let levels = n.checked_add(padding_u64(n))?;
        let l0 = n4.checked_mul(2 * u64::from(m) + 1)?;
        let up = upper.checked_mul(4)?;
        HEADER_LEN
            .checked_add(n4)?
            .checked_add(levels)?
            .checked_add(l0)?
            .checked_add(up)?
            .checked_add(4)
    })();
    if expected != Some(file_len) {
        return Err(corrupt(format!(
            "truncated or padded: {file_len} bytes, the header ({n} nodes, M {m}) needs {}",
            expected.map_or_else(|| "more than 2^64".to_string(), |e| e.to_string())
        )));
    }
    let too_many = || corrupt("too large for this machine".into());
    let n = usize::try_from(n).map_err(|_| too_many())?;
    let upper = usize::try_from(upper).map_err(|_| too_many())?;
    let m = m as usize;
    let keys = r.u32s(n)?;
    let mut levels = vec![0u8; n];
    r.read(&mut levels)?;
    let mut pad = [0u8; 3];
    r.read(&mut pad[..padding(n)])?;
    let layout = Layout::new(m, levels).ok_or_else(too_many)?;
    if layout.upper_len() != upper {
        return Err(corrupt(format!(
            "upper layers hold {upper} slots, the levels need {}",
            layout.upper_len()
        )));
    }
    let l0 = r.u32s(layout.l0_len())?;
    let upper = r.u32s(upper)?;
    let sum = r.crc.clone().finalize();
    let mut stored = [0u8; 4];
    r.inner.read_exact(&mut stored).map_err(|e| r.error(e))?;
    if u32::from_le_bytes(stored) != sum {
        return Err(corrupt(format!(
            "checksum {sum:08x}, the file says {:08x} (altered)",
            u32::from_le_bytes(stored)
        )));
    }
    let graph = Graph {
        dim: expect_dim,
        keys,
        data,
        layout,
        l0,
        upper,
        entry,
        max_level,
    };
    graph.validate().map_err(corrupt)?;
    Ok(graph)
}

fn padding_u64(n: u64) -> u64 {
    (4 - n % 4) % 4
}

/// Reads and checksums.
struct Reader<'a> {
    inner: BufReader<File>,
    crc: crc32fast::Hasher,
    path: &'a Path,
}

impl Reader<'_> {
    fn error(&self, e: std::io::Error) -> Error {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            Error::corrupt(self.path, "truncated while reading")
        } else {
            Error::io(self.path, e)
        }
    }

    fn read(&mut self, buf: &mut [u8]) -> crate::Result<()> {
        self.inner.read_exact(buf).map_err(|e| self.error(e))?;
        self.crc.update(buf);
        Ok(())
    }

    fn words(&mut self, n: usize, mut sink: impl FnMut([u8; 4])) -> crate::Result<()> {
        let mut buf = vec![0u8; BLOCK];
        let mut left = n;
        while left > 0 {
            let take = left.min(BLOCK / 4);
            let bytes = &mut buf[..take * 4];
            self.read(bytes)?;
            for b in bytes.chunks_exact(4) {
                sink(b.try_into().expect("4 bytes"));
            }
            left -= take;
        }
        Ok(())
    }

    fn u32s(&mut self, n: usize) -> crate::Result<Vec<u32>> {
        let mut out = Vec::with_capacity(n);
        self.words(n, |b| out.push(u32::from_le_bytes(b)))?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::unit_vectors;

    fn graph(n: usize) -> Graph {
        let dim = 5;
        let data = Arc::new(Rows::from_slice(&unit_vectors(n, dim, 4).concat()));
        let keys = (10..10 + n as u32).collect();
        crate::graph::build(dim, keys, data, 3, 20, crate::graph::Mode::Sequential).unwrap()
    }

    fn read_over(path: &Path, g: &Graph) -> crate::Result<Graph> {
        read(path, g.dim, g.data.clone())
    }

    #[test]
    fn round_trip() {
        let dir = tempfile::tempdir().unwrap();
        for n in [0, 1, 2, 3, 5, 200] {
            let path = dir.path().join(format!("g{n}"));
            let g = graph(n);
            write(&path, &g).unwrap();
            assert_eq!(read_over(&path, &g).unwrap(), g, "n {n}");
        }
        // Only the files written are there (no temporary left).
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 6);
    }

    #[test]
    fn every_truncation_and_bit_flip_is_corrupt() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g");
        let g = graph(30);
        write(&path, &g).unwrap();
        let good = std::fs::read(&path).unwrap();
        let read = |path: &Path| read_over(path, &g);
        for cut in 0..good.len() {
            std::fs::write(&path, &good[..cut]).unwrap();
            assert!(
                matches!(read(&path), Err(Error::Corrupt { .. })),
                "truncated to {cut}"
            );
        }
        std::fs::write(&path, [good.as_slice(), &[0]].concat()).unwrap();
        assert!(matches!(read(&path), Err(Error::Corrupt { .. })), "padded");
        for at in 0..good.len() {
            for bit in [0, 3, 7] {
                let mut bad = good.clone();
                bad[at] ^= 1 << bit;
                std::fs::write(&path, &bad).unwrap();
                assert!(
                    matches!(read(&path), Err(Error::Corrupt { .. })),
                    "bit {bit} of byte {at}"
                );
            }
        }
        std::fs::remove_file(&path).unwrap();
        assert!(matches!(read(&path), Err(Error::Corrupt { .. })), "missing");
    }

    /// A file whose checksum is right but whose content breaks an invariant (as a bug or a
    /// forgery would make it) is refused too, so that search can trust what it loads.
    #[test]
    fn consistent_checksums_do_not_hide_broken_graphs() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g");
        let good = graph(50);
        let mut broken = good.clone();
        broken.l0[1] = 50;
        write(&path, &broken).unwrap();
        let read = |path: &Path| read_over(path, &good);
        let err = read(&path).unwrap_err();
        assert!(err.to_string().contains("links to 50"), "{err}");
        // Vectors that are not the graph's: another number or dimension.
        write(&path, &good).unwrap();
        let fewer = Arc::new(Rows::from_slice(&good.data.as_slice()[5..]));
        let err = super::read(&path, 5, fewer).unwrap_err();
        assert!(
            err.to_string().contains("holds 50 vectors, expected 49"),
            "{err}"
        );
        let err = super::read(&path, 10, good.data.clone()).unwrap_err();
        assert!(
            err.to_string().contains("holds 5-d vectors, expected 10"),
            "{err}"
        );
        // A header promising an enormous graph fails before allocating it.
        write(&path, &good).unwrap();
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[32..40].copy_from_slice(&(u64::MAX / 8).to_le_bytes());
        std::fs::write(&path, &bytes).unwrap();
        let err = read(&path).unwrap_err();
        assert!(err.to_string().contains("needs"), "{err}");
        // Another version of the format asks for a rebuild.
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[32..40].copy_from_slice(&(good.upper.len() as u64).to_le_bytes());
        bytes[6] = 9;
        std::fs::write(&path, &bytes).unwrap();
        let err = read(&path).unwrap_err();
        assert!(err.to_string().contains("rebuild"), "{err}");
    }
}
