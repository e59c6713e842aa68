//! The HNSW graph on flat arrays: construction, search, and the invariants that loading
//! checks.
//!
//! Nodes are numbered `0..n` in ascending key order, and their vectors are stored in that
//! order, end to end. Layer 0 holds every node's links in one `Vec<u32>` with a fixed stride
//! of `2M + 1` (a count, then up to `2M` neighbours); the upper layers hold, for each node of
//! level `L ≥ 1`, `L` blocks of `M + 1` (count, then up to `M` neighbours) in one compact
//! array, the node's first block at a prefix sum of the levels of the nodes before it.
//!
//! Construction follows Malkov & Yashunin (2018) with hnswlib's choices: levels drawn with
//! `mL = 1 / ln M` (here from a seeded hash of the node number, so they do not depend on the
//! order or the threads of insertion); greedy descent through the layers above the node's
//! level; on each of its layers a beam search with `ef_construction` candidates, seeded with
//! the whole result of the layer above; the heuristic neighbour selection keeping at most `M`
//! links (a candidate is kept when it is closer to the new node than to every neighbour kept
//! before it); links made in both directions, a full list being shrunk back to its capacity
//! (`2M` on layer 0, `M` above) with the same heuristic.
//!
//! Insertion on one thread in node order gives the same graph on every run and machine (the
//! dot product is bit-identical everywhere). The batched mode (the default of
//! [`crate::HnswConfig`]) inserts in batches whose nodes search in parallel, and gives the
//! same graph for any number of threads (see [`build`]). The concurrent mode inserts node 0,
//! then the rest on rayon's pool as hnswlib does: links are atomics, written under a per-node
//! lock and read without one (a reader may see a list being rewritten, never an invalid node).
//!
//! Similarities are dot products: higher is closer. Ties are broken by node number (lower
//! first), which is key order.

use std::cell::RefCell;
use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicU32, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

use rayon::prelude::*;

use crate::kernel::{dispatch, Kernel, KernelOp};

/// The highest level a node may get (levels are 0..=MAX_LEVEL).
pub(crate) const MAX_LEVEL: u8 = 15;

/// Cache lines of a vector prefetched ahead of scoring it (the hardware prefetcher follows
/// the rest of the row); measured on 384-d vectors, 8 did better than 1, 4 or all 24.
const PREFETCH_LINES: usize = 8;

/// Seed of the level draw (fixed: the deterministic build depends on it).
const LEVEL_SEED: u64 = 0x5eed_4e53_5752_6167;

/// A node and its similarity to the current query.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Scored {
    pub(crate) score: f32,
    pub(crate) id: u32,
}

impl Scored {
    /// `Greater` when `self` ranks before `other`: higher score, then lower id.
    #[inline]
    fn rank(&self, other: &Self) -> Ordering {
        self.score
            .total_cmp(&other.score)
            .then(other.id.cmp(&self.id))
    }
}

/// Heap entry with the best candidate on top.
#[derive(Clone, Copy)]
struct Best(Scored);

impl PartialEq for Best {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Best {}
impl PartialOrd for Best {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Best {
    #[inline]
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.rank(&other.0)
    }
}

/// Heap entry with the worst result on top.
#[derive(Clone, Copy)]
struct Worst(Scored);

impl PartialEq for Worst {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Worst {}
impl PartialOrd for Worst {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Worst {
    #[inline]
    fn cmp(&self, other: &Self) -> Ordering {
        other.0.rank(&self.0)
    }
}

/// Where each node's link blocks are, given `M` and the nodes' levels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Layout {
    m: usize,
    levels: Vec<u8>,
    /// For each node, the offset of its level-1 block in the upper array.
    upper_start: Vec<usize>,
    upper_len: usize,
}

impl Layout {
    /// The layout for `levels` (each at most [`MAX_LEVEL`]); `None` when the arrays would
    /// not fit in memory addresses.
    pub(crate) fn new(m: usize, levels: Vec<u8>) -> Option<Self> {
        let stride = m.checked_add(1)?;
        let mut upper_start = Vec::with_capacity(levels.len());
        let mut at = 0usize;
        for &l in &levels {
            upper_start.push(at);
            at = at.checked_add(usize::from(l).checked_mul(stride)?)?;
        }
        levels.len().checked_mul(2 * m + 1)?;
        Some(Layout {
            m,
            levels,
            upper_start,
            upper_len: at,
        })
    }

    pub(crate) fn m(&self) -> usize {
        self.m
    }

    pub(crate) fn len(&self) -> usize {
        self.levels.len()
    }

    pub(crate) fn levels(&self) -> &[u8] {
        &self.levels
    }

    /// Length of the layer-0 array.
    pub(crate) fn l0_len(&self) -> usize {
        self.levels.len() * self.l0_stride()
    }

    /// Length of the upper-layers array.
    pub(crate) fn upper_len(&self) -> usize {
        self.upper_len
    }

    fn l0_stride(&self) -> usize {
        2 * self.m + 1
    }

    /// The most links a node keeps at `level`.
    fn cap(&self, level: usize) -> usize {
        if level == 0 {
            2 * self.m
        } else {
            self.m
        }
    }

    /// Offset of the block (count, then links) of `v` at `level`, in the layer-0 array for
    /// level 0 and in the upper array otherwise. `level` must be at most `v`'s level.
    #[inline]
    fn block(&self, v: usize, level: usize) -> usize {
        if level == 0 {
            v * self.l0_stride()
        } else {
            self.upper_start[v] + (level - 1) * (self.m + 1)
        }
    }
}

/// Vectors end to end, the first at a 64-byte boundary, so that rows of a multiple of 16
/// values (384-d, 768-d, …) each start a cache line and no load straddles two lines.
#[derive(Debug)]
pub(crate) struct Rows {
    buf: Vec<f32>,
    start: usize,
    len: usize,
}

impl Rows {
    /// `len` zeros.
    pub(crate) fn zeroed(len: usize) -> Self {
        let buf = vec![0.0f32; len.saturating_add(15)];
        // The address only, to find the boundary; f32s are at least 4-byte aligned.
        let addr = buf.as_ptr() as usize;
        let start = (64 - addr % 64) % 64 / std::mem::size_of::<f32>();
        Rows { buf, start, len }
    }

    /// `values` aligned in place: the buffer grows by 15 values (a reallocation that a large
    /// buffer's allocator usually makes without copying) and the values move up to the
    /// boundary, so that no second copy of the vectors is ever held.
    pub(crate) fn from_vec(mut values: Vec<f32>) -> Self {
        let len = values.len();
        values.reserve_exact(15);
        values.resize(len + 15, 0.0);
        let addr = values.as_ptr() as usize;
        let start = (64 - addr % 64) % 64 / std::mem::size_of::<f32>();
        values.copy_within(0..len, start);
        Rows {
            buf: values,
            start,
            len,
        }
    }

    /// A copy of `values`.
    pub(crate) fn from_slice(values: &[f32]) -> Self {
        let mut rows = Rows::zeroed(values.len());
        rows.as_mut_slice().copy_from_slice(values);
        rows
    }

    pub(crate) fn as_slice(&self) -> &[f32] {
        &self.buf[self.start..self.start + self.len]
    }

    pub(crate) fn as_mut_slice(&mut self) -> &mut [f32] {
        &mut self.buf[self.start..self.start + self.len]
    }
}

impl Clone for Rows {
    fn clone(&self) -> Self {
        Rows::from_slice(self.as_slice())
    }
}

impl PartialEq for Rows {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

/// A frozen graph with its vectors: what [`crate::HnswIndex`] searches and persists.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Graph {
    pub(crate) dim: usize,
    /// Keys, ascending; node `i` has key `keys[i]`.
    pub(crate) keys: Vec<u32>,
    /// Vectors in node order, `dim` values each: shared with the [`crate::FlatIndex`] the
    /// graph was built from or loaded with when its rows are in key order (else a sorted copy).
    pub(crate) data: Arc<Rows>,
    pub(crate) layout: Layout,
    pub(crate) l0: Vec<u32>,
    pub(crate) upper: Vec<u32>,
    /// The entry node (0 when the graph is empty).
    pub(crate) entry: u32,
    /// The entry node's level, the highest of all.
    pub(crate) max_level: u8,
}

/// Read access to the links, frozen or being built.
trait Links {
    /// Puts the neighbours of `v` at `level` into `out` (cleared first).
    fn neighbours(&self, v: u32, level: usize, out: &mut Vec<u32>);

    /// Prefetches the layer-0 links of `v`.
    fn prefetch<K: Kernel>(&self, kernel: K, v: u32);
}

impl Links for Graph {
    #[inline]
    fn neighbours(&self, v: u32, level: usize, out: &mut Vec<u32>) {
        let at = self.layout.block(v as usize, level);
        let arr = if level == 0 { &self.l0 } else { &self.upper };
        let count = arr[at] as usize;
        out.clear();
        out.extend_from_slice(&arr[at + 1..at + 1 + count]);
    }

    #[inline(always)]
    fn prefetch<K: Kernel>(&self, kernel: K, v: u32) {
        let at = self.layout.block(v as usize, 0);
        kernel.prefetch(&self.l0[at..], 1);
    }
}

/// Vectors in node order.
#[derive(Clone, Copy)]
struct Vectors<'a> {
    dim: usize,
    data: &'a [f32],
}

impl Vectors<'_> {
    #[inline]
    fn row(&self, id: u32) -> &[f32] {
        let at = id as usize * self.dim;
        &self.data[at..at + self.dim]
    }
}

/// `out[i] = dot(q, row(ids[i]))`, four rows at a time.
#[inline(always)]
#[allow(clippy::inline_always)]
fn score_all<K: Kernel>(kernel: K, vecs: Vectors<'_>, q: &[f32], ids: &[u32], out: &mut Vec<f32>) {
    out.clear();
    let mut quads = ids.chunks_exact(4);
    for c in &mut quads {
        let rows = [
            vecs.row(c[0]),
            vecs.row(c[1]),
            vecs.row(c[2]),
            vecs.row(c[3]),
        ];
        out.extend_from_slice(&kernel.dot4(q, rows));
    }
    for &id in quads.remainder() {
        out.push(kernel.dot(q, vecs.row(id)));
    }
}

/// Per-thread buffers reused across searches and insertions.
#[derive(Default)]
struct Scratch {
    /// `marks[v] == epoch`: `v` was visited in the current search.
    marks: Vec<u32>,
    epoch: u32,
    candidates: BinaryHeap<Best>,
    results: BinaryHeap<Worst>,
    links: Vec<u32>,
    /// Unvisited neighbours of the current candidate, and their scores.
    fresh: Vec<u32>,
    scores: Vec<f32>,
    found: Vec<Scored>,
    entries: Vec<Scored>,
    selected: Vec<Scored>,
    shrink: Vec<Scored>,
    shrunk: Vec<Scored>,
}

impl Scratch {
    /// Starts a search over `n` nodes: nothing visited, heaps empty.
    fn start(&mut self, n: usize) {
        if self.marks.len() < n {
            self.marks.resize(n, 0);
        }
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            self.marks.fill(0);
            self.epoch = 1;
        }
        self.candidates.clear();
        self.results.clear();
    }
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// This thread's scratch buffers (left empty in their place until [`put_scratch`]).
///
/// Taken and put back rather than borrowed in a closure, so that the hot loops stay inlined
/// in the dispatched function (a closure could be compiled without the wide instructions).
fn take_scratch() -> Scratch {
    SCRATCH.with(RefCell::take)
}

fn put_scratch(s: Scratch) {
    SCRATCH.with(|cell| cell.replace(s));
}

/// The upper-layer search: from `entry`, a greedy walk on each of `levels`, highest first; the
/// closest node reached, where the search of the levels below starts (search and build alike).
#[inline(always)]
#[allow(clippy::inline_always)] // Inlined into the dispatched search, as `greedy` is.
fn descend<K: Kernel, L: Links>(
    kernel: K,
    vecs: Vectors<'_>,
    links: &L,
    query: &[f32],
    entry: u32,
    levels: std::ops::RangeInclusive<usize>,
    s: &mut Scratch,
) -> Scored {
    let mut cur = Scored {
        score: kernel.dot(query, vecs.row(entry)),
        id: entry,
    };
    for level in levels.rev() {
        cur = greedy(kernel, vecs, links, query, cur, level, s);
    }
    cur
}

/// Greedy descent at one level: moves to the best neighbour until none is better.
#[inline(always)]
#[allow(clippy::inline_always)] // Inlined into the dispatched search.
fn greedy<K: Kernel, L: Links>(
    kernel: K,
    vecs: Vectors<'_>,
    links: &L,
    query: &[f32],
    mut cur: Scored,
    level: usize,
    s: &mut Scratch,
) -> Scored {
    let Scratch {
        links: buf, scores, ..
    } = s;
    loop {
        let mut changed = false;
        links.neighbours(cur.id, level, buf);
        score_all(kernel, vecs, query, buf, scores);
        for (&nb, &score) in buf.iter().zip(scores.iter()) {
            let c = Scored { score, id: nb };
            if c.rank(&cur) == Ordering::Greater {
                cur = c;
                changed = true;
            }
        }
        if !changed {
            return cur;
        }
    }
}

/// Beam search at `level` from the entries in `s.results`/`s.candidates` (already marked
/// visited), keeping the `ef` best in `s.results`.
#[inline(always)]
#[allow(clippy::inline_always)]
fn search_layer<K: Kernel, L: Links>(
    kernel: K,
    vecs: Vectors<'_>,
    links: &L,
    query: &[f32],
    level: usize,
    ef: usize,
    s: &mut Scratch,
) {
    let Scratch {
        marks,
        epoch,
        candidates,
        results,
        links: buf,
        fresh,
        scores,
        ..
    } = s;
    let epoch = *epoch;
    while let Some(Best(c)) = candidates.pop() {
        if results.len() >= ef {
            if let Some(w) = results.peek() {
                if c.score < w.0.score {
                    break;
                }
            }
        }
        links.neighbours(c.id, level, buf);
        fresh.clear();
        for &nb in buf.iter() {
            let mark = &mut marks[nb as usize];
            if *mark != epoch {
                *mark = epoch;
                fresh.push(nb);
                kernel.prefetch(vecs.row(nb), PREFETCH_LINES);
            }
        }
        score_all(kernel, vecs, query, fresh, scores);
        for (&nb, &score) in fresh.iter().zip(scores.iter()) {
            let cand = Scored { score, id: nb };
            let admit = results.len() < ef
                || results
                    .peek()
                    .is_some_and(|w| cand.rank(&w.0) == Ordering::Greater);
            if admit {
                candidates.push(Best(cand));
                results.push(Worst(cand));
                if results.len() > ef {
                    results.pop();
                }
            }
        }
        if level == 0 {
            if let Some(next) = candidates.peek() {
                links.prefetch(kernel, next.0.id);
            }
        }
    }
}

/// Marks the entries visited and puts them in both heaps (at most `ef` results kept).
fn seed(s: &mut Scratch, entries: &[Scored], ef: usize) {
    for &e in entries {
        let mark = &mut s.marks[e.id as usize];
        if *mark == s.epoch {
            continue;
        }
        *mark = s.epoch;
        s.candidates.push(Best(e));
        s.results.push(Worst(e));
        if s.results.len() > ef {
            s.results.pop();
        }
    }
}

/// Moves the results into `out`, best first.
fn take_results(s: &mut Scratch, out: &mut Vec<Scored>) {
    out.clear();
    out.extend(s.results.drain().map(|w| w.0));
    out.sort_unstable_by(|a, b| b.rank(a));
}

impl Graph {
    /// Number of nodes.
    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }

    /// The approximate `k` nearest nodes to `query` exploring `ef` candidates (`k ≤ ef ≤ n`,
    /// `n > 0`), as `(key, dot product)`, best first.
    pub(crate) fn search(&self, query: &[f32], k: usize, ef: usize) -> Vec<(u32, f32)> {
        if self.keys.is_empty() || k == 0 {
            return Vec::new();
        }
        dispatch(SearchOp {
            graph: self,
            query,
            k,
            ef,
        })
    }

    /// Checks every invariant that search relies on; the reason when one fails.
    pub(crate) fn validate(&self) -> Result<(), String> {
        let n = self.keys.len();
        let layout = &self.layout;
        if layout.len() != n {
            return Err(format!("{} levels for {n} nodes", layout.len()));
        }
        if self.data.as_slice().len() != n.saturating_mul(self.dim) || self.dim == 0 {
            return Err("vector data does not match the node count".into());
        }
        if self.l0.len() != layout.l0_len() || self.upper.len() != layout.upper_len() {
            return Err("link arrays do not match the levels".into());
        }
        if let Some(w) = self.keys.windows(2).find(|w| w[0] >= w[1]) {
            return Err(format!(
                "keys not strictly ascending ({} then {})",
                w[0], w[1]
            ));
        }
        if let Some(l) = layout.levels.iter().find(|&&l| l > MAX_LEVEL) {
            return Err(format!("level {l} above the maximum {MAX_LEVEL}"));
        }
        if n == 0 {
            return if self.entry == 0 && self.max_level == 0 {
                Ok(())
            } else {
                Err("an empty graph with an entry point".into())
            };
        }
        let top = layout.levels.iter().copied().max().unwrap_or(0);
        if self.entry as usize >= n
            || layout.levels[self.entry as usize] != top
            || self.max_level != top
        {
            return Err(format!(
                "entry point {} (level {}) is not a node of the highest level {top}",
                self.entry, self.max_level
            ));
        }
        for v in 0..n {
            for level in 0..=usize::from(layout.levels[v]) {
                let at = layout.block(v, level);
                let arr = if level == 0 { &self.l0 } else { &self.upper };
                let count = arr[at] as usize;
                if count > layout.cap(level) {
                    return Err(format!(
                        "node {v} has {count} links at level {level}, more than {}",
                        layout.cap(level)
                    ));
                }
                for &nb in &arr[at + 1..at + 1 + count] {
                    let ok = (nb as usize) < n && usize::from(layout.levels[nb as usize]) >= level;
                    if !ok {
                        return Err(format!(
                            "node {v} links to {nb} at level {level}, which has no such layer"
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

struct SearchOp<'a> {
    graph: &'a Graph,
    query: &'a [f32],
    k: usize,
    ef: usize,
}

impl KernelOp for SearchOp<'_> {
    type Output = Vec<(u32, f32)>;

    #[inline(always)]
    fn run<K: Kernel>(self, kernel: K) -> Self::Output {
        let g = self.graph;
        let vecs = Vectors {
            dim: g.dim,
            data: g.data.as_slice(),
        };
        let q = self.query;
        let mut scratch = take_scratch();
        let s = &mut scratch;
        let hits = {
            let cur = descend(kernel, vecs, g, q, g.entry, 1..=usize::from(g.max_level), s);
            s.start(g.len());
            seed(s, &[cur], self.ef);
            search_layer(kernel, vecs, g, q, 0, self.ef, s);
            let mut found = std::mem::take(&mut s.found);
            take_results(s, &mut found);
            let hits = found
                .iter()
                .take(self.k)
                .map(|c| (g.keys[c.id as usize], c.score))
                .collect();
            s.found = found;
            hits
        };
        put_scratch(scratch);
        hits
    }
}

/// The level of node `v`: `⌊−ln(u) / ln M⌋` for `u` uniform in (0, 1] drawn from a hash of
/// `v`, capped at [`MAX_LEVEL`]; computed as the largest `l` with `u ≤ M^−l` by repeated
/// division (IEEE operations only, no `ln` from the platform's maths library, so that every
/// machine draws the same levels).
fn draw_level(v: u64, m: usize) -> u8 {
    // SplitMix64.
    let mut z = LEVEL_SEED.wrapping_add(v.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    #[allow(clippy::cast_precision_loss)] // 53 bits, exact.
    let u = ((z >> 11) + 1) as f64 / (1u64 << 53) as f64;
    #[allow(clippy::cast_precision_loss)] // m ≤ 256.
    let m = m.max(2) as f64;
    let mut level = 0;
    let mut threshold = 1.0f64;
    while level < MAX_LEVEL {
        threshold /= m;
        if u > threshold {
            break;
        }
        level += 1;
    }
    level
}

/// A graph being built: links are atomics so that parallel insertion is safe code.
struct Builder<'a> {
    vecs: Vectors<'a>,
    layout: Layout,
    l0: Vec<AtomicU32>,
    upper: Vec<AtomicU32>,
    locks: Vec<Mutex<()>>,
    /// Entry node and its level; `None` before the first insertion.
    entry: Mutex<Option<(u32, u8)>>,
    ef_construction: usize,
}

impl Links for Builder<'_> {
    #[inline]
    fn neighbours(&self, v: u32, level: usize, out: &mut Vec<u32>) {
        let at = self.layout.block(v as usize, level);
        let arr = if level == 0 { &self.l0 } else { &self.upper };
        let count = (arr[at].load(Relaxed) as usize).min(self.layout.cap(level));
        out.clear();
        out.extend(arr[at + 1..at + 1 + count].iter().map(|a| a.load(Relaxed)));
    }

    #[inline(always)]
    fn prefetch<K: Kernel>(&self, kernel: K, v: u32) {
        let at = self.layout.block(v as usize, 0);
        kernel.prefetch(&self.l0[at..], 1);
    }
}

/// How [`build`] inserts the nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// One thread, one node at a time in node order (the reference the batches follow).
    #[cfg(test)]
    Sequential,
    /// In batches on rayon's pool (see [`build`]): the same graph for any number of threads.
    Batched,
    /// hnswlib's way: every node inserted concurrently under per-node locks (not
    /// reproducible).
    Concurrent,
}

/// The most nodes inserted in one batch.
const MAX_BATCH: usize = 256;

/// Nodes in the batch that starts after `inserted` nodes: a sixteenth of the graph so far
/// (so that the frozen graph a batch searches is never much smaller than the real one), at
/// least 1 and at most [`MAX_BATCH`]. A function of `inserted` alone, never of the threads.
fn batch_len(inserted: usize) -> usize {
    (inserted / 16).clamp(1, MAX_BATCH)
}

/// Builds the graph over `data` (`n` vectors of `dim`, in node order) with `M = m`.
///
/// [`Mode::Batched`] inserts node 0, then the others in consecutive batches ([`batch_len`]).
/// Each node of a batch searches the graph as it stood at the batch's start (in parallel; the
/// graph does not change meanwhile), takes the batch's earlier nodes as further candidates
/// (scored exactly, so a batch's nodes can link to each other), and selects its links with the
/// heuristic. Then every node of the batch sets its own links (in parallel, each its own
/// block), and the reverse links are added grouped by target, each target's in node order (in
/// parallel over targets). Nothing depends on which thread does what, so the graph is the
/// same for any number of threads; a batch of one node is [`Mode::Sequential`]'s insertion.
pub(crate) fn build(
    dim: usize,
    keys: Vec<u32>,
    data: Arc<Rows>,
    m: usize,
    ef_construction: usize,
    mode: Mode,
) -> Result<Graph, String> {
    build_with(dim, keys, data, m, ef_construction, mode, batch_len)
}

fn build_with(
    dim: usize,
    keys: Vec<u32>,
    data: Arc<Rows>,
    m: usize,
    ef_construction: usize,
    mode: Mode,
    batches: fn(usize) -> usize,
) -> Result<Graph, String> {
    let n = keys.len();
    if u32::try_from(n).is_err() {
        return Err(format!("{n} vectors are more than an HNSW graph holds"));
    }
    let levels: Vec<u8> = (0..n as u64).map(|v| draw_level(v, m)).collect();
    let layout = Layout::new(m, levels).ok_or("the graph would not fit in memory")?;
    let atomics = |len: usize| (0..len).map(|_| AtomicU32::new(0)).collect::<Vec<_>>();
    let builder = Builder {
        vecs: Vectors {
            dim,
            data: data.as_slice(),
        },
        l0: atomics(layout.l0_len()),
        upper: atomics(layout.upper_len()),
        locks: (0..n).map(|_| Mutex::new(())).collect(),
        layout,
        entry: Mutex::new(None),
        // More candidates than nodes would change nothing.
        ef_construction: ef_construction.clamp(1, n.max(1)),
    };
    match mode {
        Mode::Concurrent if n > 1 => {
            builder.insert(0);
            (1..n as u32)
                .into_par_iter()
                .for_each(|v| builder.insert(v));
        }
        Mode::Batched if n > 1 => {
            builder.insert(0);
            let mut at = 1;
            while at < n {
                let len = batches(at).min(n - at);
                builder.insert_batch(at as u32..(at + len) as u32);
                at += len;
            }
        }
        _ => {
            for v in 0..n as u32 {
                builder.insert(v);
            }
        }
    }
    let entry = lock(&builder.entry).unwrap_or((0, 0));
    let Builder {
        layout, l0, upper, ..
    } = builder;
    let graph = Graph {
        dim,
        keys,
        data,
        layout,
        l0: l0.into_iter().map(AtomicU32::into_inner).collect(),
        upper: upper.into_iter().map(AtomicU32::into_inner).collect(),
        entry: entry.0,
        max_level: entry.1,
    };
    Ok(graph)
}

/// What one node of a batch links to: per level, from its own level down to 0, the selected
/// neighbours (scored against the node).
struct Plan {
    v: u32,
    /// `links[i]` is level `level - i`.
    links: Vec<Vec<Scored>>,
}

/// Locks a mutex, ignoring poisoning (the data is plain values, always consistent).
fn lock<T: Copy>(m: &Mutex<T>) -> T {
    *m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Builder<'_> {
    fn insert(&self, v: u32) {
        dispatch(InsertOp { builder: self, v });
    }

    /// Inserts the nodes `batch` (after every node before it): see [`build`].
    fn insert_batch(&self, batch: std::ops::Range<u32>) {
        let frozen = lock(&self.entry).expect("node 0 is inserted first");
        let first = batch.start;
        let plans: Vec<Plan> = batch
            .clone()
            .into_par_iter()
            .map(|v| {
                dispatch(PlanOp {
                    builder: self,
                    v,
                    first,
                    entry: frozen,
                })
            })
            .collect();
        plans.par_iter().for_each(|p| {
            let level = self.layout.levels[p.v as usize];
            for (i, links) in p.links.iter().enumerate() {
                self.set_links(p.v, usize::from(level) - i, links);
            }
        });
        // Reverse links, grouped by (level, target) and in node order within a group.
        let mut reverse: Vec<(u8, u32, Scored)> = Vec::new();
        for p in &plans {
            let level = self.layout.levels[p.v as usize];
            for (i, links) in p.links.iter().enumerate() {
                let l = level - u8::try_from(i).expect("levels fit in u8");
                reverse.extend(links.iter().map(|nb| {
                    (
                        l,
                        nb.id,
                        Scored {
                            score: nb.score,
                            id: p.v,
                        },
                    )
                }));
            }
        }
        // Stable: plans are in node order, so each group stays in node order.
        reverse.sort_by_key(|&(l, t, _)| (l, t));
        let groups: Vec<&[(u8, u32, Scored)]> =
            reverse.chunk_by(|a, b| (a.0, a.1) == (b.0, b.1)).collect();
        groups.par_iter().for_each(|g| {
            dispatch(LinkOp {
                builder: self,
                adds: g,
            })
        });
        let mut entry = frozen;
        for v in batch {
            let level = self.layout.levels[v as usize];
            if level > entry.1 {
                entry = (v, level);
            }
        }
        *self
            .entry
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(entry);
    }

    /// The heuristic neighbour selection: from `cands` (best first, scored against the base
    /// vector) keeps at most `max` in `out`, each closer to the base than to those kept before
    /// it.
    #[inline(always)]
    #[allow(clippy::inline_always)]
    fn select<K: Kernel>(&self, kernel: K, cands: &[Scored], max: usize, out: &mut Vec<Scored>) {
        out.clear();
        if cands.len() <= max {
            out.extend_from_slice(cands);
            return;
        }
        for &c in cands {
            if out.len() >= max {
                break;
            }
            let row = self.vecs.row(c.id);
            // A plain loop, not `Iterator::all`: a closure might not be inlined into the
            // dispatched function, and the kernel would then run without wide registers.
            let mut good = true;
            let mut quads = out.chunks_exact(4);
            for k in &mut quads {
                let rows = [
                    self.vecs.row(k[0].id),
                    self.vecs.row(k[1].id),
                    self.vecs.row(k[2].id),
                    self.vecs.row(k[3].id),
                ];
                let d = kernel.dot4(row, rows);
                if d[0] > c.score || d[1] > c.score || d[2] > c.score || d[3] > c.score {
                    good = false;
                    break;
                }
            }
            if good {
                for kept in quads.remainder() {
                    if kernel.dot(row, self.vecs.row(kept.id)) > c.score {
                        good = false;
                        break;
                    }
                }
            }
            if good {
                out.push(c);
            }
        }
    }

    fn array(&self, level: usize) -> &[AtomicU32] {
        if level == 0 {
            &self.l0
        } else {
            &self.upper
        }
    }

    /// Sets the links of `v` at `level`.
    fn set_links(&self, v: u32, level: usize, links: &[Scored]) {
        let _guard = self.locks[v as usize]
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let at = self.layout.block(v as usize, level);
        let arr = self.array(level);
        let links = &links[..links.len().min(self.layout.cap(level))];
        for (slot, l) in arr[at + 1..].iter().zip(links) {
            slot.store(l.id, Relaxed);
        }
        arr[at].store(links.len() as u32, Relaxed);
    }

    /// Adds `new` (similarity `score` to `v`) to the links of `v` at `level`, shrinking the
    /// list with the heuristic when it is full.
    #[inline(always)]
    #[allow(clippy::inline_always)]
    fn add_link<K: Kernel>(&self, kernel: K, v: u32, level: usize, new: Scored, s: &mut Scratch) {
        let _guard = self.locks[v as usize]
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let at = self.layout.block(v as usize, level);
        let arr = self.array(level);
        let cap = self.layout.cap(level);
        let count = (arr[at].load(Relaxed) as usize).min(cap);
        if count < cap {
            arr[at + 1 + count].store(new.id, Relaxed);
            arr[at].store(count as u32 + 1, Relaxed);
            return;
        }
        let base = self.vecs.row(v);
        s.fresh.clear();
        s.fresh
            .extend(arr[at + 1..at + 1 + count].iter().map(|a| a.load(Relaxed)));
        score_all(kernel, self.vecs, base, &s.fresh, &mut s.scores);
        s.shrink.clear();
        for (&id, &score) in s.fresh.iter().zip(s.scores.iter()) {
            s.shrink.push(Scored { score, id });
        }
        s.shrink.push(new);
        s.shrink.sort_unstable_by(|a, b| b.rank(a));
        let mut shrunk = std::mem::take(&mut s.shrunk);
        self.select(kernel, &s.shrink, cap, &mut shrunk);
        for (slot, l) in arr[at + 1..].iter().zip(&shrunk) {
            slot.store(l.id, Relaxed);
        }
        arr[at].store(shrunk.len() as u32, Relaxed);
        s.shrunk = shrunk;
    }
}

struct InsertOp<'a, 'b> {
    builder: &'a Builder<'b>,
    v: u32,
}

impl KernelOp for InsertOp<'_, '_> {
    type Output = ();

    #[inline(always)]
    fn run<K: Kernel>(self, kernel: K) {
        let b = self.builder;
        let v = self.v;
        let level = b.layout.levels[v as usize];
        let top = {
            let mut entry = b
                .entry
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            match *entry {
                None => {
                    *entry = Some((v, level));
                    return;
                }
                Some(e) => e,
            }
        };
        let (entry, max_level) = top;
        let q = b.vecs.row(v);
        let n = b.layout.len();
        let mut scratch = take_scratch();
        let s = &mut scratch;
        {
            let levels = usize::from(level) + 1..=usize::from(max_level);
            let cur = descend(kernel, b.vecs, b, q, entry, levels, s);
            s.entries.clear();
            s.entries.push(cur);
            let m = b.layout.m();
            for l in (0..=usize::from(level.min(max_level))).rev() {
                s.start(n);
                s.marks[v as usize] = s.epoch;
                let entries = std::mem::take(&mut s.entries);
                seed(s, &entries, b.ef_construction);
                search_layer(kernel, b.vecs, b, q, l, b.ef_construction, s);
                let mut found = entries;
                take_results(s, &mut found);
                let mut selected = std::mem::take(&mut s.selected);
                b.select(kernel, &found, m, &mut selected);
                b.set_links(v, l, &selected);
                for &nb in &selected {
                    b.add_link(
                        kernel,
                        nb.id,
                        l,
                        Scored {
                            score: nb.score,
                            id: v,
                        },
                        s,
                    );
                }
                s.selected = selected;
                s.entries = found;
            }
        }
        put_scratch(scratch);
        if level > max_level {
            let mut entry = b
                .entry
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if entry.is_none_or(|(_, l)| level > l) {
                *entry = Some((v, level));
            }
        }
    }
}

/// The links of one node of a batch, found on the graph frozen at the batch's start and among
/// the batch's earlier nodes.
struct PlanOp<'a, 'b> {
    builder: &'a Builder<'b>,
    v: u32,
    /// The batch's first node.
    first: u32,
    /// The entry node and top level at the batch's start.
    entry: (u32, u8),
}

impl KernelOp for PlanOp<'_, '_> {
    type Output = Plan;

    #[inline(always)]
    fn run<K: Kernel>(self, kernel: K) -> Plan {
        let b = self.builder;
        let v = self.v;
        let level = b.layout.levels[v as usize];
        let (entry, max_level) = self.entry;
        let q = b.vecs.row(v);
        let n = b.layout.len();
        let m = b.layout.m();
        let mut scratch = take_scratch();
        let s = &mut scratch;
        // The batch's earlier nodes, scored once for every level.
        let peers: Vec<u32> = (self.first..v).collect();
        let mut peer_scores = Vec::new();
        score_all(kernel, b.vecs, q, &peers, &mut peer_scores);
        let mut links = Vec::with_capacity(usize::from(level) + 1);
        let levels = usize::from(level) + 1..=usize::from(max_level);
        let cur = descend(kernel, b.vecs, b, q, entry, levels, s);
        s.entries.clear();
        s.entries.push(cur);
        for l in (0..=usize::from(level)).rev() {
            let mut found = std::mem::take(&mut s.entries);
            if l <= usize::from(max_level) {
                s.start(n);
                s.marks[v as usize] = s.epoch;
                seed(s, &found, b.ef_construction);
                search_layer(kernel, b.vecs, b, q, l, b.ef_construction, s);
                take_results(s, &mut found);
            } else {
                // Above the graph's top level only the batch's nodes are there.
                found.clear();
            }
            // The search's results seed the level below; the peers join only the selection.
            let mut cands = found.clone();
            for (&p, &score) in peers.iter().zip(&peer_scores) {
                if usize::from(b.layout.levels[p as usize]) >= l {
                    cands.push(Scored { score, id: p });
                }
            }
            cands.sort_unstable_by(|a, b| b.rank(a));
            let mut selected = Vec::with_capacity(m);
            b.select(kernel, &cands, m, &mut selected);
            links.push(selected);
            if found.is_empty() {
                // Nothing found at this level (above the graph's top): start the level below
                // from the entry point's descent again.
                found.push(cur);
            }
            s.entries = found;
        }
        put_scratch(scratch);
        Plan { v, links }
    }
}

/// Adds reverse links to one target at one level, in the order given.
struct LinkOp<'a, 'b, 'c> {
    builder: &'a Builder<'b>,
    adds: &'c [(u8, u32, Scored)],
}

impl KernelOp for LinkOp<'_, '_, '_> {
    type Output = ();

    #[inline(always)]
    fn run<K: Kernel>(self, kernel: K) {
        let mut scratch = take_scratch();
        for &(l, target, new) in self.adds {
            self.builder
                .add_link(kernel, target, usize::from(l), new, &mut scratch);
        }
        put_scratch(scratch);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::unit_vectors;

    fn rows(n: usize, dim: usize, seed: u64) -> Arc<Rows> {
        Arc::new(Rows::from_slice(&unit_vectors(n, dim, seed).concat()))
    }

    fn random_graph(n: usize, dim: usize, m: usize, seed: u64, mode: Mode) -> Graph {
        let keys = (0..n as u32).map(|i| i * 3 + 1).collect();
        build(dim, keys, rows(n, dim, seed), m, 64, mode).unwrap()
    }

    #[test]
    fn built_graphs_hold_the_invariants() {
        use Mode::{Batched, Concurrent, Sequential};
        for (n, m, mode) in [
            (0, 16, Sequential),
            (1, 16, Sequential),
            (2, 1, Sequential),
            (3, 2, Concurrent),
            (40, 2, Sequential),
            (500, 4, Sequential),
            (500, 4, Concurrent),
            (800, 16, Concurrent),
            (0, 16, Batched),
            (1, 16, Batched),
            (2, 1, Batched),
            (40, 2, Batched),
            (800, 16, Batched),
            (5000, 4, Batched),
        ] {
            let g = random_graph(n, 8, m, n as u64, mode);
            g.validate().unwrap_or_else(|e| panic!("n {n} m {m}: {e}"));
            assert_eq!(g.len(), n);
            if n > 1 {
                // Every node but a lone one has links on layer 0.
                let stride = 2 * m + 1;
                assert!((0..n).all(|v| g.l0[v * stride] > 0), "n {n} m {m}");
            }
        }
    }

    #[test]
    fn the_sequential_build_is_deterministic() {
        let a = random_graph(600, 12, 8, 3, Mode::Sequential);
        let b = random_graph(600, 12, 8, 3, Mode::Sequential);
        assert_eq!(a, b);
        // And it did not merely come out empty or flat.
        assert!(a.max_level >= 1);
        assert!(a.upper.iter().any(|&x| x > 0));
    }

    #[test]
    fn with_ef_n_search_is_exact() {
        // Small enough that every node is reachable and ef = n explores them all.
        let dim = 6;
        let rows = unit_vectors(120, dim, 21);
        let data = Arc::new(Rows::from_slice(&rows.concat()));
        let g = build(dim, (0..120).collect(), data, 4, 40, Mode::Sequential).unwrap();
        for q in unit_vectors(20, dim, 22) {
            let mut exact: Vec<(u32, f32)> = rows
                .iter()
                .enumerate()
                .map(|(i, r)| (i as u32, crate::dot(&q, r)))
                .collect();
            exact.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            exact.truncate(10);
            assert_eq!(g.search(&q, 10, 120), exact);
        }
    }

    #[test]
    fn validate_rejects_broken_graphs() {
        let good = random_graph(300, 4, 4, 9, Mode::Sequential);
        good.validate().unwrap();
        let top = good.entry as usize;
        let low = (0..good.len())
            .find(|&v| good.layout.levels[v] == 0)
            .unwrap();
        let mut cases: Vec<(&str, Graph)> = Vec::new();
        let mut g = good.clone();
        g.l0[1] = 300;
        cases.push(("neighbour out of range", g));
        let mut g = good.clone();
        g.l0[0] = 9;
        cases.push(("count above capacity", g));
        let mut g = good.clone();
        g.entry = low as u32;
        cases.push(("entry not on the top level", g));
        let mut g = good.clone();
        g.max_level += 1;
        cases.push(("wrong top level", g));
        let mut g = good.clone();
        let at = g.layout.block(top, 1);
        g.upper[at] = 1;
        g.upper[at + 1] = low as u32;
        cases.push(("upper link to a level-0 node", g));
        let mut g = good.clone();
        g.keys.swap(0, 1);
        cases.push(("keys out of order", g));
        let mut g = good.clone();
        let short = &g.data.as_slice()[1..];
        g.data = Arc::new(Rows::from_slice(short));
        cases.push(("short data", g));
        for (what, g) in cases {
            assert!(g.validate().is_err(), "{what}");
        }
    }

    #[test]
    fn the_batched_build_is_the_same_on_any_number_of_threads() {
        let build_on = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| random_graph(3000, 12, 6, 5, Mode::Batched))
        };
        let one = build_on(1);
        one.validate().unwrap();
        // Batches of more than one node were really inserted (3000 / 16 > 1).
        assert!(batch_len(3000) > 100);
        for threads in [2, 3, 8] {
            assert!(build_on(threads) == one, "{threads} threads");
        }
    }

    #[test]
    fn a_batch_of_one_is_the_sequential_insertion() {
        let (n, dim, m) = (700, 10, 6);
        let keys: Vec<u32> = (0..n as u32).collect();
        let data = rows(n, dim, 17);
        let seq = build(dim, keys.clone(), data.clone(), m, 50, Mode::Sequential).unwrap();
        let ones = build_with(dim, keys, data, m, 50, Mode::Batched, |_| 1).unwrap();
        assert!(seq == ones);
    }

    #[test]
    #[allow(clippy::cast_precision_loss)]
    fn batched_graphs_find_what_sequential_ones_find() {
        // Recall@10 at a modest ef, against exact search, of both builds.
        let (n, dim) = (4000, 16);
        let vecs = unit_vectors(n, dim, 23);
        let data = Arc::new(Rows::from_slice(&vecs.concat()));
        let keys: Vec<u32> = (0..n as u32).collect();
        let queries = unit_vectors(200, dim, 24);
        let recall = |g: &Graph| {
            let mut hit = 0;
            for q in &queries {
                let mut exact: Vec<(u32, f32)> = vecs
                    .iter()
                    .enumerate()
                    .map(|(i, r)| (i as u32, crate::dot(q, r)))
                    .collect();
                exact.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                let got = g.search(q, 10, 40);
                hit += exact[..10]
                    .iter()
                    .filter(|e| got.iter().any(|h| h.0 == e.0))
                    .count();
            }
            hit as f64 / (10.0 * queries.len() as f64)
        };
        let seq = build(dim, keys.clone(), data.clone(), 8, 100, Mode::Sequential).unwrap();
        let bat = build(dim, keys, data, 8, 100, Mode::Batched).unwrap();
        let (rs, rb) = (recall(&seq), recall(&bat));
        assert!(
            rb >= 0.95 && rb >= rs - 0.01,
            "batched {rb}, sequential {rs}"
        );
    }

    #[test]
    fn aligned_rows_from_a_vec_keep_their_values() {
        for len in [0, 1, 15, 16, 17, 1000] {
            let values: Vec<f32> = (0..len).map(|i| i as f32 * 0.5).collect();
            let rows = Rows::from_vec(values.clone());
            assert_eq!(rows.as_slice(), values.as_slice());
            assert_eq!(rows.as_slice().as_ptr() as usize % 64, 0, "len {len}");
        }
    }

    #[test]
    fn levels_follow_the_geometric_law() {
        let n = 200_000u64;
        let levels: Vec<u8> = (0..n).map(|v| draw_level(v, 16)).collect();
        let above0 = levels.iter().filter(|&&l| l >= 1).count();
        let above1 = levels.iter().filter(|&&l| l >= 2).count();
        // P(level ≥ 1) = 1/16, P(level ≥ 2) = 1/256.
        #[allow(clippy::cast_precision_loss)]
        let (p1, p2) = (above0 as f64 / n as f64, above1 as f64 / n as f64);
        assert!((p1 - 1.0 / 16.0).abs() < 0.003, "{p1}");
        assert!((p2 - 1.0 / 256.0).abs() < 0.001, "{p2}");
        assert!(levels.iter().all(|&l| l <= MAX_LEVEL));
    }

    #[test]
    fn layout_offsets_are_prefix_sums() {
        let layout = Layout::new(4, vec![0, 2, 0, 1, 3]).unwrap();
        assert_eq!(layout.l0_len(), 5 * 9);
        assert_eq!(layout.upper_len(), (2 + 1 + 3) * 5);
        assert_eq!(layout.block(1, 1), 0);
        assert_eq!(layout.block(1, 2), 5);
        assert_eq!(layout.block(3, 1), 10);
        assert_eq!(layout.block(4, 3), 25);
        assert_eq!(layout.block(2, 0), 18);
    }
}
