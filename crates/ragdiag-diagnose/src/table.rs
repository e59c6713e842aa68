//! Fixed-width records kept in a [`Scratch`], a block at a time (issue 15). A streamed run
//! keeps a few numbers for every question (where it is in the store, the line that named it
//! first, its id's hash and position): held in lists, they were ~40 bytes a question for the
//! whole run, so the run's memory grew with the questions. A [`Table`] writes its records to
//! the scratch in blocks of [`BLOCK`] and holds one block (a few KB) and, per block, where it
//! is (8 bytes per [`BLOCK`] records); an [`Index`] sorts the ids' hashes outside memory, a
//! [`CHUNK`] at a time, and holds the first hash of each block. The records read back are
//! the ones written, whatever the order of the reads and writes (tested).
//!
//! The encoding is the run's own, read back by the run that wrote it: it is not a file format.

use crate::spill::Scratch;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io;

/// Records per block.
pub(crate) const BLOCK: usize = 256;

/// Hashes sorted in memory at once while an [`Index`] is made.
pub(crate) const CHUNK: usize = 1 << 16;

/// Why an [`Index`] refuses more hashes than [`fits`] (a position takes 4 bytes).
pub(crate) const TOO_MANY: &str = "a streamed trace takes at most 4,294,967,296 questions";

/// Whether an [`Index`] takes `n` hashes.
pub(crate) fn fits(n: usize) -> bool {
    u32::try_from(n.saturating_sub(1)).is_ok()
}

/// Where a block is that was never written: its records are all zero.
const UNWRITTEN: u64 = u64::MAX;

/// The block held in memory.
#[derive(Debug, Clone)]
struct Held {
    block: usize,
    bytes: Vec<u8>,
    /// Changed since it was read.
    dirty: bool,
}

/// `len` records of `W` bytes each, in a scratch: a record never set is all zero.
#[derive(Debug, Clone, Default)]
pub(crate) struct Table<const W: usize> {
    /// Where each block is in the scratch ([`UNWRITTEN`]: nowhere yet).
    blocks: Vec<u64>,
    len: usize,
    held: Option<Held>,
}

impl<const W: usize> Table<W> {
    /// `len` records, all zero (nothing is written until one is set).
    pub(crate) fn zeroed(len: usize) -> Self {
        Table {
            blocks: vec![UNWRITTEN; len.div_ceil(BLOCK)],
            len,
            held: None,
        }
    }

    /// How many records.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Appends `rec`.
    pub(crate) fn push(&mut self, s: &mut dyn Scratch, rec: [u8; W]) -> io::Result<()> {
        let i = self.len;
        self.len += 1;
        if self.blocks.len() < self.len.div_ceil(BLOCK) {
            self.blocks.push(UNWRITTEN);
        }
        self.set(s, i, rec)
    }

    /// Record `i`.
    ///
    /// # Panics
    ///
    /// When there are not more than `i` records.
    pub(crate) fn get(&mut self, s: &mut dyn Scratch, i: usize) -> io::Result<[u8; W]> {
        assert!(i < self.len, "record {i} of {}", self.len);
        let held = self.hold(s, i / BLOCK)?;
        let at = (i % BLOCK) * W;
        let mut rec = [0; W];
        rec.copy_from_slice(&held.bytes[at..at + W]);
        Ok(rec)
    }

    /// Sets record `i` to `rec`.
    ///
    /// # Panics
    ///
    /// When there are not more than `i` records.
    pub(crate) fn set(&mut self, s: &mut dyn Scratch, i: usize, rec: [u8; W]) -> io::Result<()> {
        assert!(i < self.len, "record {i} of {}", self.len);
        let held = self.hold(s, i / BLOCK)?;
        let at = (i % BLOCK) * W;
        if held.bytes[at..at + W] != rec {
            held.bytes[at..at + W].copy_from_slice(&rec);
            held.dirty = true;
        }
        Ok(())
    }

    /// Block `b`, held (the one held before written back if it changed).
    fn hold(&mut self, s: &mut dyn Scratch, b: usize) -> io::Result<&mut Held> {
        if self.held.as_ref().is_none_or(|h| h.block != b) {
            self.write_back(s)?;
            let bytes = match self.blocks[b] {
                UNWRITTEN => vec![0; BLOCK * W],
                at => s.get(at, BLOCK * W)?,
            };
            self.held = Some(Held {
                block: b,
                bytes,
                dirty: false,
            });
        }
        Ok(self.held.as_mut().expect("held just now"))
    }

    /// Writes the held block to the scratch if it changed.
    fn write_back(&mut self, s: &mut dyn Scratch) -> io::Result<()> {
        let Some(held) = self.held.as_mut().filter(|h| h.dirty) else {
            return Ok(());
        };
        match self.blocks[held.block] {
            UNWRITTEN => self.blocks[held.block] = s.put(&held.bytes)?,
            at => s.set(at, &held.bytes)?,
        }
        held.dirty = false;
        Ok(())
    }
}

/// An `Index` entry: a hash and the position it was given for.
fn entry(hash: u64, position: u32) -> [u8; 12] {
    let mut rec = [0; 12];
    rec[..8].copy_from_slice(&hash.to_le_bytes());
    rec[8..].copy_from_slice(&position.to_le_bytes());
    rec
}

/// An `Index` entry's hash and position.
fn unentry(rec: [u8; 12]) -> (u64, u32) {
    let mut h = [0; 8];
    h.copy_from_slice(&rec[..8]);
    let mut p = [0; 4];
    p.copy_from_slice(&rec[8..]);
    (u64::from_le_bytes(h), u32::from_le_bytes(p))
}

/// Positions by 64-bit hash, sorted in a scratch: [`Index::of`] gives every position given a
/// hash, ascending. What is held is the first hash of each block of [`BLOCK`] entries.
#[derive(Debug, Clone, Default)]
pub(crate) struct Index {
    /// (hash, position) sorted, 12 bytes each.
    sorted: Table<12>,
    /// The first hash of each block of `sorted`.
    firsts: Vec<u64>,
}

impl Index {
    /// The index of `hashes` (hash `i` given position `i`), made in `s`: sorted a [`CHUNK`] at
    /// a time, then the chunks merged (holding a block of each).
    ///
    /// # Errors
    ///
    /// The scratch cannot be written or read, or there are more hashes than [`fits`].
    pub(crate) fn new(s: &mut dyn Scratch, hashes: &mut Table<8>) -> io::Result<Self> {
        let n = hashes.len();
        if !fits(n) {
            return Err(io::Error::other(TOO_MANY));
        }
        let mut runs: Table<12> = Table::default();
        let mut chunk: Vec<(u64, u32)> = Vec::with_capacity(CHUNK.min(n));
        for start in (0..n).step_by(CHUNK) {
            chunk.clear();
            for i in start..n.min(start + CHUNK) {
                let h = u64::from_le_bytes(hashes.get(s, i)?);
                chunk.push((h, i as u32));
            }
            chunk.sort_unstable();
            for &(h, p) in &chunk {
                runs.push(s, entry(h, p))?;
            }
        }
        drop(chunk);
        let sorted = if n <= CHUNK {
            runs
        } else {
            merge(s, &mut runs)?
        };
        Index::over(s, sorted)
    }

    /// The index over entries already sorted.
    fn over(s: &mut dyn Scratch, mut sorted: Table<12>) -> io::Result<Self> {
        let mut firsts = Vec::with_capacity(sorted.len().div_ceil(BLOCK));
        for k in (0..sorted.len()).step_by(BLOCK) {
            firsts.push(unentry(sorted.get(s, k)?).0);
        }
        Ok(Index { sorted, firsts })
    }

    /// How many entries.
    pub(crate) fn len(&self) -> usize {
        self.sorted.len()
    }

    /// Entry `k` in hash order: its hash and position.
    pub(crate) fn entry(&mut self, s: &mut dyn Scratch, k: usize) -> io::Result<(u64, usize)> {
        let (h, p) = unentry(self.sorted.get(s, k)?);
        Ok((h, p as usize))
    }

    /// Every position given `h`, ascending.
    pub(crate) fn of(&mut self, s: &mut dyn Scratch, h: u64) -> io::Result<Vec<usize>> {
        // The first block that may hold `h`: the last one starting below it (a run of `h`
        // may start in it), or the first.
        let b = self.firsts.partition_point(|&f| f < h).saturating_sub(1);
        let mut out = Vec::new();
        for k in b * BLOCK..self.len() {
            let (hk, p) = self.entry(s, k)?;
            if hk > h {
                break;
            }
            if hk == h {
                out.push(p);
            }
        }
        Ok(out)
    }
}

/// The runs of [`CHUNK`] sorted entries in `runs`, merged into one sorted table.
fn merge(s: &mut dyn Scratch, runs: &mut Table<12>) -> io::Result<Table<12>> {
    const _: () = assert!(CHUNK.is_multiple_of(BLOCK), "a run starts a block");
    // Every block of `runs` in the scratch: each run is read through a table of its own
    // over its blocks, holding one.
    runs.write_back(s)?;
    let n = runs.len();
    let mut cursors: Vec<(Table<12>, usize)> = (0..n)
        .step_by(CHUNK)
        .map(|start| {
            let end = n.min(start + CHUNK);
            let run = Table {
                blocks: runs.blocks[start / BLOCK..end.div_ceil(BLOCK)].to_vec(),
                len: end - start,
                held: None,
            };
            (run, 0)
        })
        .collect();
    let mut heap = BinaryHeap::with_capacity(cursors.len());
    for (r, (run, next)) in cursors.iter_mut().enumerate() {
        let (h, p) = unentry(run.get(s, 0)?);
        *next = 1;
        heap.push(Reverse((h, p, r)));
    }
    let mut out: Table<12> = Table::default();
    while let Some(Reverse((h, p, r))) = heap.pop() {
        out.push(s, entry(h, p))?;
        let (run, next) = &mut cursors[r];
        if *next < run.len() {
            let (h, p) = unentry(run.get(s, *next)?);
            *next += 1;
            heap.push(Reverse((h, p, r)));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What a table does to its records, checked against a list.
    #[derive(Debug, Clone)]
    enum Op {
        Push(u8),
        Set(usize, u8),
        Get(usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (any::<u8>()).prop_map(Op::Push),
            (any::<usize>(), any::<u8>()).prop_map(|(i, v)| Op::Set(i, v)),
            (any::<usize>()).prop_map(Op::Get),
        ]
    }

    /// A record made of `v`, its position and its width, so that a record in the wrong place
    /// or block reads back wrong.
    fn rec<const W: usize>(i: usize, v: u8) -> [u8; W] {
        let mut r = [v; W];
        r[0] = (i % 251) as u8;
        r[W - 1] = (i / 251) as u8;
        r
    }

    proptest! {
        /// Whatever the order of pushes, sets and reads (within a block, across blocks, on
        /// blocks never written), a record reads back as last written, and one never written
        /// as zero.
        #[test]
        fn records_read_back_as_last_written(
            zeroed in 0usize..1_000,
            ops in prop::collection::vec(op(), 0..600),
        ) {
            let mut s: Vec<u8> = Vec::new();
            let mut table: Table<12> = Table::zeroed(zeroed);
            let mut model: Vec<[u8; 12]> = vec![[0; 12]; zeroed];
            for op in ops {
                match op {
                    Op::Push(v) => {
                        let r = rec(model.len(), v);
                        table.push(&mut s, r).unwrap();
                        model.push(r);
                    }
                    Op::Set(i, v) if !model.is_empty() => {
                        let i = i % model.len();
                        let r = rec(i, v);
                        table.set(&mut s, i, r).unwrap();
                        model[i] = r;
                    }
                    Op::Get(i) if !model.is_empty() => {
                        let i = i % model.len();
                        prop_assert_eq!(table.get(&mut s, i).unwrap(), model[i]);
                    }
                    _ => {}
                }
                prop_assert_eq!(table.len(), model.len());
            }
            for (i, r) in model.iter().enumerate() {
                prop_assert_eq!(&table.get(&mut s, i).unwrap(), r);
            }
            // Only a block per `BLOCK` records is held.
            prop_assert!(table.blocks.len() == model.len().div_ceil(BLOCK));
        }

        /// Every position given a hash comes back for it, ascending, and none for a hash
        /// not given (hashes from a small set, so that runs of one hash cross blocks).
        #[test]
        fn an_index_gives_every_position_of_a_hash(
            hashes in prop::collection::vec(prop_oneof![0u64..8, Just(u64::MAX), any::<u64>()], 0..2_000),
            probe in any::<u64>(),
        ) {
            let mut s: Vec<u8> = Vec::new();
            let mut table: Table<8> = Table::default();
            for h in &hashes {
                table.push(&mut s, h.to_le_bytes()).unwrap();
            }
            let mut index = Index::new(&mut s, &mut table).unwrap();
            prop_assert_eq!(index.len(), hashes.len());
            for h in hashes.iter().copied().chain([probe, 8, u64::MAX - 1]) {
                let want: Vec<usize> = (0..hashes.len()).filter(|&i| hashes[i] == h).collect();
                prop_assert_eq!(index.of(&mut s, h).unwrap(), want);
            }
        }
    }

    /// Past a chunk, the sorted chunks are merged: every entry in hash order, positions
    /// ascending within a hash, a hash's positions found across chunks and blocks.
    #[test]
    fn an_index_past_a_chunk_is_merged_in_order() {
        let n = 2 * CHUNK + 1_000;
        // A few hashes, each given positions in every chunk; one given once, last.
        let hash = |i: usize| -> u64 {
            if i == n - 1 {
                u64::MAX
            } else {
                (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) % 5
            }
        };
        let mut s: Vec<u8> = Vec::new();
        let mut table: Table<8> = Table::default();
        for i in 0..n {
            table.push(&mut s, hash(i).to_le_bytes()).unwrap();
        }
        let mut index = Index::new(&mut s, &mut table).unwrap();
        let mut before = (0, 0);
        for k in 0..index.len() {
            let e = index.entry(&mut s, k).unwrap();
            assert!(k == 0 || before < e, "entry {k}: {e:?} after {before:?}");
            assert_eq!(hash(e.1), e.0);
            before = e;
        }
        for h in 0..5 {
            let want: Vec<usize> = (0..n).filter(|&i| hash(i) == h).collect();
            assert_eq!(index.of(&mut s, h).unwrap(), want);
        }
        assert_eq!(index.of(&mut s, u64::MAX).unwrap(), [n - 1]);
        assert!(index.of(&mut s, 6).unwrap().is_empty());
    }

    /// A scratch that cannot be read or written is an error, never a panic or a record made
    /// up.
    #[test]
    fn a_failing_scratch_is_an_error() {
        struct Failing;
        impl Scratch for Failing {
            fn put(&mut self, _: &[u8]) -> io::Result<u64> {
                Err(io::Error::other("disk full"))
            }
            fn get(&mut self, _: u64, _: usize) -> io::Result<Vec<u8>> {
                Err(io::Error::other("gone"))
            }
            fn set(&mut self, _: u64, _: &[u8]) -> io::Result<()> {
                Err(io::Error::other("gone"))
            }
        }
        let mut table: Table<8> = Table::default();
        for i in 0..BLOCK {
            table.push(&mut Failing, [i as u8; 8]).unwrap();
        }
        // The next block: the full one must be written first.
        let e = table.push(&mut Failing, [0; 8]).unwrap_err();
        assert_eq!(e.to_string(), "disk full");
        let mut s: Vec<u8> = Vec::new();
        let mut table: Table<8> = Table::zeroed(2 * BLOCK);
        table.set(&mut s, 0, [1; 8]).unwrap();
        table.get(&mut s, BLOCK).unwrap();
        assert_eq!(table.get(&mut Failing, 0).unwrap_err().to_string(), "gone");
    }
}
