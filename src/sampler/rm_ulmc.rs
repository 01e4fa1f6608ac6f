//! Shen–Lee randomized-midpoint ULMC for general friction `γ` (Shen & Lee 2019, Algorithm 1;
//! anchors-theory.md §1.5.1 with `u = 1` and `∇f = −s`).
//!
//! Dynamics as in [`super::ulmc`]: `dX = V dτ, dV = −γV dτ + s(X) dτ + √(2γ) dB`. One step of
//! size `h` with midpoint fraction `α ∈ [0, 1]`, `a = αh`, one Brownian path shared by three
//! integrals (i.i.d. over coordinates, `α` shared by all coordinates):
//! ```text
//! x_mid = x + (1−e^{−γa})/γ · v + (1/γ)(a − (1−e^{−γa})/γ) · s_t(x)   + (√(2γ)/γ) W₁
//! x'    = x + (1−e^{−γh})/γ · v + (h/γ)(1 − e^{−γ(h−a)}) · s_t(x_mid) + (√(2γ)/γ) W₂
//! v'    = e^{−γh} v           + h e^{−γ(h−a)} · s_t(x_mid)           + √(2γ) W₃
//! W₁ = ∫_0^a (1 − e^{−γ(a−r)}) dB_r,  W₂ = ∫_0^h (1 − e^{−γ(h−r)}) dB_r,  W₃ = ∫_0^h e^{−γ(h−r)} dB_r
//! ```
//! Derivation: `x_mid` is the exact frozen-score flow to time `a` ([`OuFlow`]); `x'`, `v'`
//! replace `∫_0^h k(h−r) s(X_r) dr` (`k = (1−e^{−γ·})/γ` for `x`, `e^{−γ·}` for `v`) by the
//! unbiased one-point estimate `h·k(h−a)·s(x_mid)`, `E_α[h k(h−αh) g(αh)] = ∫_0^h k(h−r) g(r) dr`.
//!
//! **volesti pitfalls avoided** (anchors-theory.md §1.5.2): the midpoint score term enters
//! with a **plus** sign in score form (`−(u/γ)(…)∇f` in potential form; volesti has `+`), and
//! `W₂` uses the kernel ending at `h` (volesti's `(G, H)` construction uses `e^{−2a}` where
//! `e^{−2h}` is needed). Here `(W₁, W₂, W₃)` come from their exact 3×3 covariance
//! ([`rm_brownian_cov`]) and a semidefinite-safe Cholesky factor, not from the overflowing
//! `e^{+4h}` forms.

use super::ulmc::{OuFlow, chi, one_minus_exp, phi, psd_cholesky, psi};
use crate::target::Score;

/// Per-coordinate covariance of `(W₁, W₂, W₃)` (anchors-theory.md §1.5.1, re-derived), with
/// `a = αh`, `p = γa`, `q = γh`, `r = q − p`, `E(u) = 1 − e^{−u}`:
/// ```text
/// Var W₁       = a − 2(1−e^{−γa})/γ + (1−e^{−2γa})/(2γ)                  = φ(p)/γ
/// Var W₂       = the same with a → h                                       = φ(q)/γ
/// Var W₃       = (1 − e^{−2γh})/(2γ)                                       = ψ(q)/γ
/// Cov(W₂, W₃)  = (1−e^{−γh})/γ − (1−e^{−2γh})/(2γ)                        = E(q)²/(2γ)
/// Cov(W₁, W₂)  = a − (1−e^{−γa})/γ − (e^{−γ(h−a)} − e^{−γh})/γ
///                + (e^{−γ(h−a)} − e^{−γ(h+a)})/(2γ)                        = (φ(p) + E(r)E(p)²/2)/γ
/// Cov(W₁, W₃)  = (e^{−γ(h−a)} − e^{−γh})/γ − (e^{−γ(h−a)} − e^{−γ(h+a)})/(2γ) = e^{−r} E(p)²/(2γ)
/// φ(u) = ∫_0^u E(w)² dw  (Taylor series for u < 0.5),   ψ(u) = (1 − e^{−2u})/2
/// ```
/// The right-hand forms are sums of non-negative terms (no cancellation for small `γh`, `γa`).
/// `α` is clamped to `[0, 1]`; at `α = 0` the first row and column vanish.
pub fn rm_brownian_cov(gamma: f64, h: f64, alpha: f64) -> [[f64; 3]; 3] {
    let alpha = alpha.clamp(0.0, 1.0);
    let (p, q) = (gamma * alpha * h, gamma * h);
    let r = gamma * (1.0 - alpha) * h;
    let ep = one_minus_exp(p);
    let v11 = phi(p) / gamma;
    let v22 = phi(q) / gamma;
    let v33 = psi(q) / gamma;
    let v12 = (phi(p) + 0.5 * one_minus_exp(r) * ep * ep) / gamma;
    let v13 = 0.5 * (-r).exp() * ep * ep / gamma;
    let v23 = chi(q) / gamma;
    [[v11, v12, v13], [v12, v22, v23], [v13, v23, v33]]
}

/// Coefficients of one Shen–Lee step for given `(γ, h, α)` (computed per step: `α` changes).
///
/// ```text
/// x_mid = x + mid.vel·v + mid.force·s_t(x) + (√(2γ)/γ) W₁          (mid  = OuFlow(γ, a))
/// x'    = x + full.vel·v + h·rest.vel·s_t(x_mid) + (√(2γ)/γ) W₂     (full = OuFlow(γ, h))
/// v'    = full.decay·v + h·rest.decay·s_t(x_mid) + √(2γ) W₃         (rest = OuFlow(γ, h − a))
/// (W₁, W₂, W₃) = L (z₁, z₂, z₃),   L = chol(rm_brownian_cov(γ, h, α))
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RmUlmcCoeffs {
    /// Friction `γ`.
    pub gamma: f64,
    /// Step size `h`.
    pub h: f64,
    /// Midpoint fraction `α ∈ [0, 1]`.
    pub alpha: f64,
    /// Frozen-score flow over `a = αh` (to the midpoint).
    pub mid: OuFlow,
    /// Frozen-score flow over `h`.
    pub full: OuFlow,
    /// Frozen-score flow over `h − a` (weights of the midpoint score).
    pub rest: OuFlow,
    /// Lower Cholesky factor of [`rm_brownian_cov`] (semidefinite-safe: finite for all `α`).
    pub chol: [[f64; 3]; 3],
}

impl RmUlmcCoeffs {
    /// Coefficients for `gamma > 0`, `h > 0` (finite) and `alpha` (clamped to `[0, 1]`).
    /// Not validated (the step is infallible; [`super::Corrector::new`] validates `γ`, `h`);
    /// never panics, and the Cholesky factor is finite even where the covariance is singular
    /// (`α = 0`: `W₁ = 0`; `α = 1`: `W₁ = W₂`).
    pub fn new(gamma: f64, h: f64, alpha: f64) -> Self {
        let alpha = alpha.clamp(0.0, 1.0);
        let a = alpha * h;
        RmUlmcCoeffs {
            gamma,
            h,
            alpha,
            mid: OuFlow::new(gamma, a),
            full: OuFlow::new(gamma, h),
            rest: OuFlow::new(gamma, (1.0 - alpha) * h),
            chol: psd_cholesky(&rm_brownian_cov(gamma, h, alpha)),
        }
    }

    /// `(W₁, W₂, W₃) = L z` for one coordinate, exactly as [`rm_ulmc_step`] forms it.
    #[inline]
    pub fn noise(&self, z: [f64; 3]) -> [f64; 3] {
        let l = &self.chol;
        [
            l[0][0] * z[0],
            l[1][0] * z[0] + l[1][1] * z[1],
            l[2][0] * z[0] + l[2][1] * z[1] + l[2][2] * z[2],
        ]
    }
}

/// Scratch buffers for [`rm_ulmc_step`] (allocate once, reuse across steps).
#[derive(Debug, Clone)]
pub struct RmUlmcWork {
    /// Score buffer.
    pub g: Vec<f64>,
    /// Midpoint buffer.
    pub mid: Vec<f64>,
}

impl RmUlmcWork {
    /// Buffers for dimension `d`.
    pub fn new(d: usize) -> Self {
        RmUlmcWork {
            g: vec![0.0; d],
            mid: vec![0.0; d],
        }
    }
}

/// One Shen–Lee randomized-midpoint ULMC step at frozen forward time `t` (Shen & Lee 2019,
/// Algorithm 1; anchors-theory.md §1.5.1 with `u = 1`, `∇f = −s`), 2 NFE (`s_t` at `x` and at
/// `x_mid`), in place on `(x, v)`:
/// ```text
/// x_mid = x + (1−e^{−γa})/γ · v + (1/γ)(a − (1−e^{−γa})/γ) · s_t(x)   + (√(2γ)/γ) W₁
/// x'    = x + (1−e^{−γh})/γ · v + (h/γ)(1 − e^{−γ(h−a)}) · s_t(x_mid) + (√(2γ)/γ) W₂
/// v'    = e^{−γh} v + h e^{−γ(h−a)} · s_t(x_mid) + √(2γ) W₃,           a = αh
/// ```
/// The caller supplies `alpha ∈ [0, 1]` and three standard-normal vectors `z1, z2, z3`
/// (`(W₁, W₂, W₃)_i = L (z1_i, z2_i, z3_i)`, see [`RmUlmcCoeffs`]). Allocates nothing.
#[allow(clippy::too_many_arguments)]
pub fn rm_ulmc_step<S: Score + ?Sized>(
    score: &S,
    t: f64,
    gamma: f64,
    h: f64,
    alpha: f64,
    z1: &[f64],
    z2: &[f64],
    z3: &[f64],
    x: &mut [f64],
    v: &mut [f64],
    work: &mut RmUlmcWork,
) {
    let c = RmUlmcCoeffs::new(gamma, h, alpha);
    rm_ulmc_step_with(score, t, &c, z1, z2, z3, x, v, work);
}

/// [`rm_ulmc_step`] with precomputed coefficients.
#[allow(clippy::too_many_arguments)]
pub fn rm_ulmc_step_with<S: Score + ?Sized>(
    score: &S,
    t: f64,
    c: &RmUlmcCoeffs,
    z1: &[f64],
    z2: &[f64],
    z3: &[f64],
    x: &mut [f64],
    v: &mut [f64],
    work: &mut RmUlmcWork,
) {
    let sigma = (2.0 * c.gamma).sqrt();
    let sx = sigma / c.gamma;
    let RmUlmcWork { g, mid } = work;
    crate::kernels::fused_blocks(score, x.len(), |eval, r| {
        let (xb, vb, gb, mb) = (
            &mut x[r.clone()],
            &mut v[r.clone()],
            &mut g[r.clone()],
            &mut mid[r.clone()],
        );
        eval(t, r.start, xb, gb);
        let zb = [&z1[r.clone()], &z2[r.clone()], &z3[r.clone()]];
        rm_ulmc_first_pass(c, sigma, sx, zb, xb, vb, gb, mb);
        eval(t, r.start, mb, gb);
        crate::kernels::axpy(xb, c.h * c.rest.vel, gb);
        crate::kernels::axpy(vb, c.h * c.rest.decay, gb);
    });
}

crate::kernels::multiversion! {
    /// The midpoint, and the parts of `(x', v')` that do not depend on `s_t(x_mid)`
    /// (the first loop of [`rm_ulmc_step_with`]; baseline and AVX2 copies, bitwise identical).
    #[allow(clippy::too_many_arguments)]
    fn rm_ulmc_first_pass(
        c: &RmUlmcCoeffs,
        sigma: f64,
        sx: f64,
        z: [&[f64]; 3],
        x: &mut [f64],
        v: &mut [f64],
        g: &[f64],
        mid: &mut [f64],
    ) {
        let [z1, z2, z3] = z;
        let it = x.iter_mut().zip(v.iter_mut()).zip(g).zip(mid.iter_mut());
        for ((((xi, vi), &gi), mi), ((&a, &b), &e)) in it.zip(z1.iter().zip(z2).zip(z3)) {
            let [w1, w2, w3] = c.noise([a, b, e]);
            let (x0, v0) = (*xi, *vi);
            *mi = x0 + c.mid.vel * v0 + c.mid.force * gi + sx * w1;
            *xi = x0 + c.full.vel * v0 + sx * w2;
            *vi = c.full.decay * v0 + sigma * w3;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cholesky_is_finite_at_the_ends() {
        for alpha in [0.0, 1e-300, 1e-17, 1e-9, 0.5, 1.0 - 1e-12, 1.0] {
            for (gamma, h) in [(2.0, 0.1), (0.5, 1e-6), (5.0, 3.0)] {
                let c = RmUlmcCoeffs::new(gamma, h, alpha);
                assert!(
                    c.chol.iter().flatten().all(|x| x.is_finite()),
                    "α={alpha} γ={gamma} h={h}"
                );
            }
        }
        let c = RmUlmcCoeffs::new(2.0, 0.1, 0.0);
        assert_eq!(c.noise([1.0, 0.0, 0.0])[0], 0.0);
    }

    #[test]
    fn alpha_one_gives_w1_equal_w2() {
        let c = RmUlmcCoeffs::new(2.0, 0.3, 1.0);
        let w = c.noise([0.7, -1.2, 0.4]);
        assert!((w[0] - w[1]).abs() < 1e-9 * w[1].abs().max(1e-3));
    }
}
