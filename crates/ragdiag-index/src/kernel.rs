//! The dot-product kernel and runtime CPU dispatch.
//!
//! The dot product is defined once, by [`dot_portable`]: 16 accumulator lanes, lane `i`
//! summing `a[j] * b[j]` for `j ≡ i (mod 16)` in order, each step a multiply then an add
//! (never a fused multiply-add); then a scalar tail over the last `len % 16` elements; then a
//! fixed pairwise reduction of the lanes (`lane[i] += lane[i + w]` for `w` = 8, 4, 2, 1); then
//! `lane[0] + tail`.
//!
//! [`dispatch`] runs an operation with a [`Kernel`] for the best instruction set the CPU has,
//! detected at run time by `pulp` (safe code): on x86-64 with AVX2 the 16 lanes live in two
//! 8-wide registers, on the baseline in 16 scalars (or what the compiler makes of them). Each
//! lane sees the same IEEE operations in the same order at every level, so the results are
//! bit-identical on every machine (the tests compare the levels bit for bit).
//!
//! Hot loops (exact search, HNSW search and construction) are written as a [`KernelOp`] and
//! dispatched once around the whole loop, so that the kernel is inlined and the dispatch
//! costs nothing per vector.

use pulp::{Simd, WithSimd};

/// Number of accumulator lanes of the dot product.
const LANES: usize = 16;

/// A dot-product implementation for one instruction set.
pub(crate) trait Kernel: Copy {
    /// The dot product of `a` and `b` (over the shorter length), bit-identical to
    /// [`dot_portable`].
    fn dot(self, a: &[f32], b: &[f32]) -> f32;

    /// `[dot(q, rows[0]), …, dot(q, rows[3])]`, each bit-identical to [`Kernel::dot`],
    /// computed together so that the four dependency chains overlap.
    fn dot4(self, q: &[f32], rows: [&[f32]; 4]) -> [f32; 4];

    /// Asks the CPU to bring the start of `data` (up to `lines` cache lines of 64 bytes)
    /// into the cache ahead of use: a hint, which may do nothing.
    #[inline(always)]
    #[allow(clippy::inline_always)]
    fn prefetch<T>(self, data: &[T], lines: usize) {
        let _ = (data, lines);
    }
}

/// An operation that runs with a [`Kernel`]; see [`dispatch`].
pub(crate) trait KernelOp {
    /// What the operation returns.
    type Output;
    /// Runs the operation. Implementations should be `#[inline(always)]` so that the kernel
    /// is inlined into them at the dispatched instruction set.
    fn run<K: Kernel>(self, kernel: K) -> Self::Output;
}

/// Runs `op` with the kernel of the best instruction set available at run time.
#[inline]
pub(crate) fn dispatch<Op: KernelOp>(op: Op) -> Op::Output {
    #[cfg(target_arch = "x86_64")]
    if let Some(v3) = pulp::x86::V3::try_new() {
        return v3.vectorize(
            #[inline(always)]
            move || op.run(Avx2(v3)),
        );
    }
    pulp::Arch::new().dispatch(Dispatched(op))
}

/// The kernel on x86-64-v3 (AVX2): the generic SIMD kernel, plus cache prefetching.
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy)]
pub(crate) struct Avx2(pulp::x86::V3);

#[cfg(target_arch = "x86_64")]
impl Kernel for Avx2 {
    #[inline(always)]
    fn dot(self, a: &[f32], b: &[f32]) -> f32 {
        dot_simd::<pulp::x86::V3, 2>(self.0, a, b)
    }

    #[inline(always)]
    fn dot4(self, q: &[f32], rows: [&[f32]; 4]) -> [f32; 4] {
        dot_simd_many::<pulp::x86::V3, 2, 4>(self.0, q, rows)
    }

    #[inline(always)]
    fn prefetch<T>(self, data: &[T], lines: usize) {
        use std::arch::x86_64::_MM_HINT_T0;
        // One hint per 64-byte line; prefetching never faults.
        let per_line = (64 / std::mem::size_of::<T>().max(1)).max(1);
        for line in data.chunks(per_line).take(lines) {
            self.0.sse._mm_prefetch::<_MM_HINT_T0>(line.as_ptr().cast());
        }
    }
}

struct Dispatched<Op>(Op);

impl<Op: KernelOp> WithSimd for Dispatched<Op> {
    type Output = Op::Output;

    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) -> Self::Output {
        self.0.run(SimdKernel(simd))
    }
}

/// The kernel on `pulp`'s SIMD type `S`.
#[derive(Clone, Copy)]
pub(crate) struct SimdKernel<S>(pub(crate) S);

impl<S: Simd> Kernel for SimdKernel<S> {
    #[inline(always)]
    fn dot(self, a: &[f32], b: &[f32]) -> f32 {
        match std::mem::size_of::<S::f32s>() / std::mem::size_of::<f32>() {
            16 => dot_simd::<S, 1>(self.0, a, b),
            8 => dot_simd::<S, 2>(self.0, a, b),
            4 => dot_simd::<S, 4>(self.0, a, b),
            _ => dot_portable(a, b),
        }
    }

    #[inline(always)]
    fn dot4(self, q: &[f32], rows: [&[f32]; 4]) -> [f32; 4] {
        match std::mem::size_of::<S::f32s>() / std::mem::size_of::<f32>() {
            16 => dot_simd_many::<S, 1, 4>(self.0, q, rows),
            8 => dot_simd_many::<S, 2, 4>(self.0, q, rows),
            4 => dot_simd_many::<S, 4, 4>(self.0, q, rows),
            _ => [
                dot_portable(q, rows[0]),
                dot_portable(q, rows[1]),
                dot_portable(q, rows[2]),
                dot_portable(q, rows[3]),
            ],
        }
    }
}

/// The portable kernel: [`dot_portable`] on the build's baseline instruction set.
#[cfg(test)]
#[derive(Clone, Copy)]
pub(crate) struct Portable;

#[cfg(test)]
impl Kernel for Portable {
    #[inline(always)]
    fn dot(self, a: &[f32], b: &[f32]) -> f32 {
        dot_portable(a, b)
    }

    fn dot4(self, q: &[f32], rows: [&[f32]; 4]) -> [f32; 4] {
        [
            dot_portable(q, rows[0]),
            dot_portable(q, rows[1]),
            dot_portable(q, rows[2]),
            dot_portable(q, rows[3]),
        ]
    }
}

/// The definition of the dot product, in plain Rust (see the module documentation).
#[inline(always)]
#[allow(clippy::inline_always)] // Inlined into the dispatched loops.
pub(crate) fn dot_portable(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; LANES];
    let (a_chunks, b_chunks) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let (a_tail, b_tail) = (a_chunks.remainder(), b_chunks.remainder());
    for (x, y) in a_chunks.zip(b_chunks) {
        for i in 0..LANES {
            acc[i] += x[i] * y[i];
        }
    }
    let mut tail = 0.0f32;
    for (x, y) in a_tail.iter().zip(b_tail) {
        tail += x * y;
    }
    reduce(&mut acc);
    acc[0] + tail
}

/// `lane[i] += lane[i + w]` for `w` = `len / 2`, …, 1 (`len` a power of two).
#[inline(always)]
#[allow(clippy::inline_always)]
fn reduce(acc: &mut [f32]) {
    let mut width = acc.len() / 2;
    while width > 0 {
        for i in 0..width {
            acc[i] += acc[i + width];
        }
        width /= 2;
    }
}

/// [`dot_portable`] with the 16 lanes in `R` registers of `16 / R` lanes each (lane
/// `r * (16 / R) + j` is element `j` of register `r`).
#[inline(always)]
#[allow(clippy::inline_always)]
fn dot_simd<S: Simd, const R: usize>(simd: S, a: &[f32], b: &[f32]) -> f32 {
    let len = a.len().min(b.len());
    let body = len / LANES * LANES;
    let (a_vecs, _) = S::as_simd_f32s(&a[..body]);
    let (b_vecs, _) = S::as_simd_f32s(&b[..body]);
    let zero = simd.splat_f32s(0.0);
    let mut acc = [zero; R];
    for (x, y) in a_vecs.chunks_exact(R).zip(b_vecs.chunks_exact(R)) {
        for r in 0..R {
            acc[r] = simd.add_f32s(acc[r], simd.mul_f32s(x[r], y[r]));
        }
    }
    let mut tail = 0.0f32;
    for (x, y) in a[body..len].iter().zip(&b[body..len]) {
        tail += x * y;
    }
    // The reduction steps of width ≥ one register add whole registers.
    let mut regs = R / 2;
    while regs > 0 {
        for r in 0..regs {
            acc[r] = simd.add_f32s(acc[r], acc[r + regs]);
        }
        regs /= 2;
    }
    // The rest within the first register, lane by lane.
    let mut lanes = [0.0f32; LANES];
    let first: &[f32] = pulp::bytemuck::cast_slice(std::slice::from_ref(&acc[0]));
    let lanes = &mut lanes[..first.len()];
    lanes.copy_from_slice(first);
    reduce(lanes);
    lanes[0] + tail
}

/// [`dot_simd`] of `q` with `N` rows at once (each row over the length of the shortest
/// slice), with the same operations per row.
#[inline(always)]
#[allow(clippy::inline_always)]
fn dot_simd_many<S: Simd, const R: usize, const N: usize>(
    simd: S,
    q: &[f32],
    rows: [&[f32]; N],
) -> [f32; N] {
    let mut len = q.len();
    for row in &rows {
        len = len.min(row.len());
    }
    let body = len / LANES * LANES;
    let (q_vecs, _) = S::as_simd_f32s(&q[..body]);
    let zero = simd.splat_f32s(0.0);
    let mut row_vecs: [&[S::f32s]; N] = [&[]; N];
    for (v, row) in row_vecs.iter_mut().zip(&rows) {
        *v = S::as_simd_f32s(&row[..body]).0;
    }
    let mut acc = [[zero; R]; N];
    let chunks = q_vecs.len() / R;
    for c in 0..chunks {
        for r in 0..R {
            let x = q_vecs[c * R + r];
            for j in 0..N {
                acc[j][r] = simd.add_f32s(acc[j][r], simd.mul_f32s(x, row_vecs[j][c * R + r]));
            }
        }
    }
    let mut out = [0.0f32; N];
    for j in 0..N {
        let mut tail = 0.0f32;
        for (x, y) in q[body..len].iter().zip(&rows[j][body..len]) {
            tail += x * y;
        }
        let acc = &mut acc[j];
        let mut regs = R / 2;
        while regs > 0 {
            for r in 0..regs {
                acc[r] = simd.add_f32s(acc[r], acc[r + regs]);
            }
            regs /= 2;
        }
        let mut lanes = [0.0f32; LANES];
        let first: &[f32] = pulp::bytemuck::cast_slice(std::slice::from_ref(&acc[0]));
        let lanes = &mut lanes[..first.len()];
        lanes.copy_from_slice(first);
        reduce(lanes);
        out[j] = lanes[0] + tail;
    }
    out
}

/// [`dispatch`]ed [`Kernel::dot`].
struct DotOp<'a>(&'a [f32], &'a [f32]);

impl KernelOp for DotOp<'_> {
    type Output = f32;

    #[inline(always)]
    fn run<K: Kernel>(self, kernel: K) -> f32 {
        kernel.dot(self.0, self.1)
    }
}

/// The dot product on the best instruction set available (one dispatch per call).
#[inline]
pub(crate) fn dot_dispatched(a: &[f32], b: &[f32]) -> f32 {
    dispatch(DotOp(a, b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::unit_vectors;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Every kernel available on this machine gives the bits of the portable one, for every
    /// length and for values of very different magnitudes (where any reordering would show).
    #[test]
    fn every_kernel_is_bit_identical_to_portable() {
        let mut rng = ChaCha8Rng::seed_from_u64(99);
        let mut checked = 0usize;
        for len in (0..=200).chain([255, 256, 257, 383, 384, 385, 768, 1000, 1536]) {
            for round in 0..6 {
                let value = |rng: &mut ChaCha8Rng| -> f32 {
                    let m: f32 = rng.random_range(-1.0..1.0);
                    if round % 2 == 0 {
                        m
                    } else {
                        m * 10f32.powi(rng.random_range(-20..20))
                    }
                };
                let a: Vec<f32> = (0..len).map(|_| value(&mut rng)).collect();
                let b: Vec<f32> = (0..len).map(|_| value(&mut rng)).collect();
                let want = Portable.dot(&a, &b).to_bits();
                assert_eq!(
                    dot_dispatched(&a, &b).to_bits(),
                    want,
                    "dispatched, len {len}"
                );
                assert_eq!(crate::dot(&a, &b).to_bits(), want, "dot, len {len}");
                let scalar = SimdKernel(pulp::Scalar::new());
                assert_eq!(scalar.dot(&a, &b).to_bits(), want, "scalar, len {len}");
                let rows = [b.as_slice(), a.as_slice(), b.as_slice(), a.as_slice()];
                let want4 = Portable.dot4(&a, rows).map(f32::to_bits);
                assert_eq!(want4[0], want);
                assert_eq!(Portable.dot(&a, &a).to_bits(), want4[1]);
                assert_eq!(
                    dispatch(Dot4Op(&a, rows)).map(f32::to_bits),
                    want4,
                    "len {len}"
                );
                assert_eq!(scalar.dot4(&a, rows).map(f32::to_bits), want4, "len {len}");
                #[cfg(target_arch = "x86_64")]
                if let Some(v3) = pulp::x86::V3::try_new() {
                    let avx2 = v3.vectorize(
                        #[inline(always)]
                        || Avx2(v3).dot(&a, &b),
                    );
                    assert_eq!(avx2.to_bits(), want, "Avx2, len {len}");
                    let got = v3.vectorize(
                        #[inline(always)]
                        || SimdKernel(v3).dot(&a, &b),
                    );
                    assert_eq!(got.to_bits(), want, "AVX2, len {len}");
                    let got4 = v3.vectorize(
                        #[inline(always)]
                        || SimdKernel(v3).dot4(&a, rows),
                    );
                    assert_eq!(got4.map(f32::to_bits), want4, "AVX2 dot4, len {len}");
                    checked += 1;
                }
                // Emulated register widths, as on other architectures.
                assert_eq!(
                    dot_simd::<pulp::Scalar, 16>(pulp::Scalar::new(), &a, &b).to_bits(),
                    want
                );
            }
        }
        #[cfg(target_arch = "x86_64")]
        if pulp::x86::V3::try_new().is_some() {
            assert!(checked > 0);
        }
    }

    struct Dot4Op<'a>(&'a [f32], [&'a [f32]; 4]);

    impl KernelOp for Dot4Op<'_> {
        type Output = [f32; 4];

        #[inline(always)]
        fn run<K: Kernel>(self, kernel: K) -> [f32; 4] {
            kernel.dot4(self.0, self.1)
        }
    }

    /// The reference, written out lane by lane: the kernel's order of operations is the
    /// documented one.
    #[test]
    fn dot_follows_the_documented_order() {
        for dim in [1, 7, 16, 31, 64, 384, 385] {
            let v = unit_vectors(2, dim, 5);
            let (a, b) = (&v[0], &v[1]);
            let mut acc = [0.0f32; 16];
            let full = dim / 16 * 16;
            for c in (0..full).step_by(16) {
                for (i, lane) in acc.iter_mut().enumerate() {
                    let p = a[c + i] * b[c + i];
                    *lane += p;
                }
            }
            let mut tail = 0.0f32;
            for i in full..dim {
                let p = a[i] * b[i];
                tail += p;
            }
            for width in [8, 4, 2, 1] {
                for i in 0..width {
                    acc[i] += acc[i + width];
                }
            }
            let want = acc[0] + tail;
            assert_eq!(crate::dot(a, b).to_bits(), want.to_bits(), "dim {dim}");
        }
    }
}
