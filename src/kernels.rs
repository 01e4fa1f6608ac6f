//! Element-wise slice kernels of the samplers' hot loops, compiled twice and chosen at run time.
//!
//! Every kernel is one plain Rust loop over slices (no `unsafe` arithmetic, no intrinsics). The
//! crate-private `multiversion!` macro compiles it once for the baseline target
//! (x86-64: SSE2, two doubles per instruction) and once with AVX2 enabled (four doubles per
//! instruction), and picks the AVX2 copy when the CPU has it
//! (`is_x86_feature_detected!("avx2")`, a cached flag). FMA is **not** enabled, and Rust never
//! contracts `a * b + c` into a fused multiply-add on its own, so each element goes through the
//! same IEEE-754 operations in the same order on both paths: **the results are bitwise identical**
//! on every x86-64 CPU, with or without AVX2 (tested in `tests/kernels.rs` against the baseline
//! path, forced by [`force_baseline`]). Reductions ([`sq_dist_scaled`]) fix their summation order
//! explicitly (eight interleaved partial sums, [`sum_lanes2`]), so they too are path-independent.
//!
//! Why: a packed AVX2 division or multiply-add does four coordinates where SSE2 does two. The
//! diagonal-Gaussian score drops from 0.78 to about 0.43 ns per coordinate and the EI update from
//! 0.34 to 0.15 (paper-notes/performance.md). `-C target-cpu=native` would give the same speed but
//! binaries that fail on older CPUs (style.md §5.3).

use std::sync::atomic::{AtomicBool, Ordering};

static BASELINE_ONLY: AtomicBool = AtomicBool::new(false);

/// Forces every kernel onto its baseline (non-AVX2) path while `on` is true, process-wide.
///
/// For tests and reference runs only: both paths give bitwise identical results, so this changes
/// speed, never values.
pub fn force_baseline(on: bool) {
    BASELINE_ONLY.store(on, Ordering::Relaxed);
}

/// Whether the kernels currently run their AVX2 copies (the CPU has AVX2 and
/// [`force_baseline`] is off).
#[inline]
pub fn uses_avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        !BASELINE_ONLY.load(Ordering::Relaxed) && std::arch::is_x86_feature_detected!("avx2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Defines a function whose body is compiled for the baseline target and with AVX2, dispatching
/// at run time ([`uses_avx2`]). The body must be safe code without generics; both copies compute
/// bitwise identical results because FMA is not enabled (module docs).
macro_rules! multiversion {
    ($(#[$m:meta])* $vis:vis fn $name:ident($($arg:ident : $ty:ty),* $(,)?) $(-> $ret:ty)? $body:block) => {
        $(#[$m])*
        $vis fn $name($($arg: $ty),*) $(-> $ret)? {
            #[inline(always)]
            fn imp($($arg: $ty),*) $(-> $ret)? $body
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx2")]
            fn imp_avx2($($arg: $ty),*) $(-> $ret)? {
                imp($($arg),*)
            }
            #[cfg(target_arch = "x86_64")]
            if $crate::kernels::uses_avx2() {
                // SAFETY: the CPU supports AVX2 (checked at run time just above).
                return unsafe { imp_avx2($($arg),*) };
            }
            imp($($arg),*)
        }
    };
}
pub(crate) use multiversion;

multiversion! {
    /// `out_i = a·x_i + b·y_i` (the exponential-integrator map; lengths must agree).
    pub fn lincomb(out: &mut [f64], a: f64, x: &[f64], b: f64, y: &[f64]) {
        for ((o, &xi), &yi) in out.iter_mut().zip(x).zip(y) {
            *o = a * xi + b * yi;
        }
    }
}

multiversion! {
    /// `x_i ← a·x_i + b·y_i`, in place.
    pub fn lincomb_in_place(x: &mut [f64], a: f64, b: f64, y: &[f64]) {
        for (xi, &yi) in x.iter_mut().zip(y) {
            *xi = a * *xi + b * yi;
        }
    }
}

multiversion! {
    /// `x_i ← a·x_i + b·y_i + c·z_i`, in place (summed left to right).
    pub fn lincomb3_in_place(x: &mut [f64], a: f64, b: f64, y: &[f64], c: f64, z: &[f64]) {
        for ((xi, &yi), &zi) in x.iter_mut().zip(y).zip(z) {
            *xi = a * *xi + b * yi + c * zi;
        }
    }
}

multiversion! {
    /// `out_i ← out_i + a·y_i` (axpy).
    pub fn axpy(out: &mut [f64], a: f64, y: &[f64]) {
        for (o, &yi) in out.iter_mut().zip(y) {
            *o += a * yi;
        }
    }
}

multiversion! {
    /// The diagonal-Gaussian score at `(α, σ²)`: `out_i = −(x_i − α m_i)/(α² v_i + σ²)`
    /// (anchors-theory.md §2.1).
    pub fn diag_gauss_score(out: &mut [f64], x: &[f64], m: &[f64], v: &[f64], a: f64, s2: f64) {
        for (((o, &xi), &mi), &vi) in out.iter_mut().zip(x).zip(m).zip(v) {
            *o = -(xi - a * mi) / (a * a * vi + s2);
        }
    }
}

multiversion! {
    /// The isotropic-Gaussian score with the time constants given: `out_i = −(x_i − am)/c` with
    /// `am = α m`, `c = α² v + σ²` (the bits of [`diag_gauss_score`] with constant `m_i, v_i`).
    pub fn uniform_gauss_score(out: &mut [f64], x: &[f64], am: f64, c: f64) {
        for (o, &xi) in out.iter_mut().zip(x) {
            *o = -(xi - am) / c;
        }
    }
}

/// The fixed combination of eight lane sums: `((s0+s4)+(s2+s6)) + ((s1+s5)+(s3+s7))`.
#[inline(always)]
fn combine(s: [f64; 8]) -> f64 {
    ((s[0] + s[4]) + (s[2] + s[6])) + ((s[1] + s[5]) + (s[3] + s[7]))
}

/// `Σ_i term(a_i, b_i)` over the common length in a fixed order: element `8k + j` goes to lane
/// `j` of eight partial sums over whole blocks of eight, the lanes are combined as
/// `((s0+s4)+(s2+s6)) + ((s1+s5)+(s3+s7))`, then the tail is added in index order. The order does
/// not depend on the CPU, so neither does the result; the blocks (`as_chunks::<8>`) carry no
/// bounds checks, so the lanes become packed registers (LLVM keeps them in four two-wide
/// registers on both paths; `objdump` check in paper-notes/performance.md).
#[inline(always)]
pub fn sum_lanes2<A: Copy, B: Copy>(a: &[A], b: &[B], term: impl Fn(A, B) -> f64) -> f64 {
    let n = a.len().min(b.len());
    let ((ac, at), (bc, bt)) = (a[..n].as_chunks::<8>(), b[..n].as_chunks::<8>());
    let mut s = [0.0f64; 8];
    for (a8, b8) in ac.iter().zip(bc) {
        for j in 0..8 {
            s[j] += term(a8[j], b8[j]);
        }
    }
    let mut total = combine(s);
    for (&x, &y) in at.iter().zip(bt) {
        total += term(x, y);
    }
    total
}

/// [`sum_lanes2`] over three slices (same order).
#[inline(always)]
pub fn sum_lanes3<A: Copy, B: Copy, C: Copy>(a: &[A], b: &[B], c: &[C], term: impl Fn(A, B, C) -> f64) -> f64 {
    let n = a.len().min(b.len()).min(c.len());
    let ((ac, at), (bc, bt), (cc, ct)) = (
        a[..n].as_chunks::<8>(),
        b[..n].as_chunks::<8>(),
        c[..n].as_chunks::<8>(),
    );
    let mut s = [0.0f64; 8];
    for ((a8, b8), c8) in ac.iter().zip(bc).zip(cc) {
        for j in 0..8 {
            s[j] += term(a8[j], b8[j], c8[j]);
        }
    }
    let mut total = combine(s);
    for ((&x, &y), &z) in at.iter().zip(bt).zip(ct) {
        total += term(x, y, z);
    }
    total
}

multiversion! {
    /// `Σ_i (x_i − a·y_i)²` over the common length, summed as [`sum_lanes2`].
    pub fn sq_dist_scaled(x: &[f64], y: &[f64], a: f64) -> f64 {
        sum_lanes2(x, y, |xi, yi| {
            let r = xi - a * yi;
            r * r
        })
    }
}

/// Coordinates per block of the fused sampler steps: five arrays of 512 doubles (20 KiB) stay in
/// a 32 KiB L1 data cache.
pub const BLOCK: usize = 512;

/// A score restricted to a range of coordinates: `eval(t, start, x_block, out_block)`.
pub type BlockScore<'a> = &'a dyn Fn(f64, usize, &[f64], &mut [f64]);

/// Runs a sampler step's element-wise passes block by block when `score` is coordinate-separable
/// ([`crate::target::Score::separable`]), and once over all `d` coordinates otherwise:
/// `body(eval, range)` gets the score restricted to `range` and works on that range only.
///
/// A step written once as `body` thus streams each block through evaluate → update while it is in
/// cache (one pass over memory instead of one per operation), and still works for any score.
/// The results are bitwise identical either way, because every pass is element-wise.
pub fn fused_blocks<S: crate::target::Score + ?Sized>(
    score: &S,
    d: usize,
    mut body: impl FnMut(BlockScore<'_>, std::ops::Range<usize>),
) {
    match score.separable() {
        Some(sep) => {
            let eval = |t: f64, start: usize, x: &[f64], out: &mut [f64]| sep.score_coords(t, start, x, out);
            let mut start = 0;
            while start < d {
                let end = (start + BLOCK).min(d);
                body(&eval, start..end);
                start = end;
            }
        }
        None => {
            let eval = |t: f64, _start: usize, x: &[f64], out: &mut [f64]| score.score(t, x, out);
            body(&eval, 0..d);
        }
    }
}
