//! Exponential-integrator ULMC (Cheng et al. 2018; the corrector of CCL+23a and GCC24,
//! paper.md §2.2), plus the frozen-score Ornstein–Uhlenbeck building blocks shared with the
//! Shen–Lee randomized-midpoint step ([`super::rm_ulmc`]).
//!
//! Underdamped Langevin with unit mass, friction `γ` and score `s = ∇ln q` (for a potential,
//! `s = −∇f`), stationary law `q ⊗ N(0, I)`:
//! ```text
//! dX = V dτ,   dV = −γ V dτ + s(X) dτ + √(2γ) dB
//! ```
//! Freezing the score at `g` over `[0, τ]` and integrating the linear SDE exactly gives
//! ```text
//! V(τ) = e^{−γτ} V + b(τ) g + √(2γ) ∫_0^τ e^{−γ(τ−r)} dB_r
//! X(τ) = X + b(τ) V + c(τ) g + (√(2γ)/γ) ∫_0^τ (1 − e^{−γ(τ−r)}) dB_r
//! b(τ) = (1 − e^{−γτ})/γ,   c(τ) = (τ − b(τ))/γ
//! ```
//! All coefficients are evaluated in the dimensionless time `u = γτ` through `expm1` or a
//! Taylor series where `u` is small, so nothing cancels catastrophically (tv-methodology.md §4.3:
//! the textbook closed form of `Var ξ^x` loses ~6 digits at `γh = 5e-4`).

use crate::error::{Result, check_positive};
use crate::kernels::fused_blocks;
use crate::target::Score;

/// Below this dimensionless time `u = γτ` the kernel integrals use their Taylor series.
const SERIES_BELOW: f64 = 0.5;

/// Sums `Σ_{k ≥ k0} coef(k) u^k / k!` until the terms stop mattering (at most 60 terms).
fn taylor(u: f64, k0: u32, coef: impl Fn(u32) -> f64) -> f64 {
    let mut pow_fact = (1..=k0).fold(1.0, |acc, k| acc * u / f64::from(k));
    let mut sum = 0.0;
    for k in k0..k0 + 60 {
        let term = coef(k) * pow_fact;
        sum += term;
        if term.abs() <= 1e-18 * sum.abs() {
            break;
        }
        pow_fact *= u / f64::from(k + 1);
    }
    sum
}

/// `E(u) = 1 − e^{−u} = ∫_0^u e^{−w} dw` (via `expm1`).
pub(crate) fn one_minus_exp(u: f64) -> f64 {
    -(-u).exp_m1()
}

/// `ρ(u) = u − 1 + e^{−u} = ∫_0^u E(w) dw = Σ_{k≥2} (−u)^k/k!`.
pub(crate) fn rho(u: f64) -> f64 {
    if u < SERIES_BELOW {
        taylor(u, 2, |k| if k % 2 == 0 { 1.0 } else { -1.0 })
    } else {
        u - one_minus_exp(u)
    }
}

/// `φ(u) = ∫_0^u E(w)² dw = u − 2E(u) + (1 − e^{−2u})/2 = Σ_{k≥3} (−1)^{k+1} (2^{k−1} − 2) u^k/k!`
/// (`≈ u³/3 − u⁴/4 + 7u⁵/60` near 0).
pub(crate) fn phi(u: f64) -> f64 {
    if u < SERIES_BELOW {
        taylor(u, 3, |k| {
            let c = 2f64.powi(k as i32 - 1) - 2.0;
            if k % 2 == 1 { c } else { -c }
        })
    } else {
        let e = one_minus_exp(u);
        u - e - 0.5 * e * e
    }
}

/// `ψ(u) = ∫_0^u e^{−2w} dw = (1 − e^{−2u})/2`.
pub(crate) fn psi(u: f64) -> f64 {
    0.5 * one_minus_exp(2.0 * u)
}

/// `χ(u) = ∫_0^u E(w) e^{−w} dw = E(u)²/2` (no cancellation in this form).
pub(crate) fn chi(u: f64) -> f64 {
    let e = one_minus_exp(u);
    0.5 * e * e
}

/// Lower-triangular Cholesky factor of a symmetric positive **semi**definite `N×N` matrix.
///
/// A pivot that is not positive, or that rounding has reduced below `1e-14` of its diagonal
/// entry (the variable is, to working precision, a linear function of the earlier ones), gets
/// a zero column instead of a division by ~0, so the factor is always finite: no NaN for
/// `Var W₁ = 0` at `α = 0`, or `W₁ = W₂` at `α = 1`. Then `L Lᵀ = C` up to `O(1e-14)` relative
/// to the diagonal.
pub(crate) fn psd_cholesky<const N: usize>(c: &[[f64; N]; N]) -> [[f64; N]; N] {
    let mut l = [[0.0; N]; N];
    for k in 0..N {
        let pivot = c[k][k] - (0..k).map(|j| l[k][j] * l[k][j]).sum::<f64>();
        if !(pivot > 1e-14 * c[k][k] && pivot >= f64::MIN_POSITIVE) {
            continue;
        }
        let lkk = pivot.sqrt();
        l[k][k] = lkk;
        for i in k + 1..N {
            let off = c[i][k] - (0..k).map(|j| l[i][j] * l[k][j]).sum::<f64>();
            l[i][k] = off / lkk;
        }
    }
    l
}

/// The frozen-score OU flow over a time `τ` (the "OU-velocity coefficients" both ULMC steps
/// share): with `g` the frozen score,
/// ```text
/// x(τ) = x + vel·v + force·g,     v(τ) = decay·v + vel·g
/// decay = e^{−γτ},  vel = (1 − e^{−γτ})/γ,  force = (τ − (1 − e^{−γτ})/γ)/γ
/// ```
/// (paper.md §2.2 with `τ = h`; anchors-theory.md §1.5.1 with `u = 1`, `s = −∇f`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OuFlow {
    /// `e^{−γτ}`.
    pub decay: f64,
    /// `(1 − e^{−γτ})/γ`: velocity → position, and frozen score → velocity.
    pub vel: f64,
    /// `(τ − (1 − e^{−γτ})/γ)/γ`: frozen score → position (Taylor series for small `γτ`).
    pub force: f64,
}

impl OuFlow {
    /// Coefficients for friction `gamma > 0` and time `tau ≥ 0` (not validated; finite for
    /// finite positive input).
    pub fn new(gamma: f64, tau: f64) -> Self {
        let u = gamma * tau;
        OuFlow {
            decay: (-u).exp(),
            vel: one_minus_exp(u) / gamma,
            force: rho(u) / (gamma * gamma),
        }
    }
}

/// Per-coordinate covariance of the exponential-integrator ULMC noise pair `(ξ^x, ξ^v)`
/// (paper.md §2.2), with `η = e^{−γh}`, `u = γh`:
/// ```text
/// Var ξ^x      = (2/γ)(h − 2(1−η)/γ + (1−η²)/(2γ)) = 2φ(u)/γ²   ≈ (2/3) γ h³
/// Cov(ξ^x,ξ^v) = (1 − η)²/γ                         = E(u)²/γ
/// Var ξ^v      = 1 − η²                             = −expm1(−2u)
/// φ(u) = ∫_0^u (1 − e^{−w})² dw   (Taylor series for u < 0.5)
/// ```
/// These are `∫_0^h e^{As} B Bᵀ e^{Aᵀs} ds` with `A = [[0, 1], [0, −γ]]`, `B = (0, √(2γ))ᵀ`
/// (Van Loan), i.e. `(2γ/γ²) Var W₂`, `(2γ/γ) Cov(W₂, W₃)` and `2γ Var W₃` in the notation of
/// [`super::rm_ulmc::rm_brownian_cov`]. Returned as `[[Var ξ^x, Cov], [Cov, Var ξ^v]]`.
pub fn ulmc_noise_cov(gamma: f64, h: f64) -> [[f64; 2]; 2] {
    let u = gamma * h;
    let e = one_minus_exp(u);
    let xx = 2.0 * phi(u) / (gamma * gamma);
    let xv = e * e / gamma;
    let vv = 2.0 * psi(u);
    [[xx, xv], [xv, vv]]
}

/// Coefficients of one exponential-integrator ULMC step, computed once per `(γ, h)`.
///
/// ```text
/// X' = X + vel·V + force·g + ξ^x,      V' = η V + vel·g + ξ^v,      g = s_t(X), η = e^{−γh}
/// (ξ^x, ξ^v) = L (z_x, z_v),   L = chol(ulmc_noise_cov(γ, h))
/// ```
/// (paper.md §2.2; Cheng, Chatterji, Bartlett & Jordan 2018.)
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UlmcCoeffs {
    /// Friction `γ`.
    pub gamma: f64,
    /// Step size `h`.
    pub h: f64,
    /// Frozen-score flow over `h`.
    pub flow: OuFlow,
    /// Lower Cholesky factor of [`ulmc_noise_cov`]: `[[l_xx, 0], [l_vx, l_vv]]`.
    pub chol: [[f64; 2]; 2],
}

impl UlmcCoeffs {
    /// Validated coefficients.
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] unless `gamma` and `h` are positive and finite.
    pub fn new(gamma: f64, h: f64) -> Result<Self> {
        check_positive("gamma", gamma)?;
        check_positive("h", h)?;
        Ok(Self::compute(gamma, h))
    }

    /// Unvalidated constructor for callers that validated `(γ, h)` already (never panics).
    pub(crate) fn compute(gamma: f64, h: f64) -> Self {
        let chol = psd_cholesky(&ulmc_noise_cov(gamma, h));
        UlmcCoeffs {
            gamma,
            h,
            flow: OuFlow::new(gamma, h),
            chol,
        }
    }

    /// The covariance this step injects per coordinate, [`ulmc_noise_cov`]`(γ, h)`.
    pub fn noise_cov(&self) -> [[f64; 2]; 2] {
        ulmc_noise_cov(self.gamma, self.h)
    }

    /// The noise pair from two standard normals, exactly as [`ulmc_step`] forms it:
    /// `ξ^x = l_xx z_x`, `ξ^v = l_vx z_x + l_vv z_v`.
    #[inline]
    pub fn noise(&self, z_x: f64, z_v: f64) -> (f64, f64) {
        let l = &self.chol;
        (l[0][0] * z_x, l[1][0] * z_x + l[1][1] * z_v)
    }
}

/// One exponential-integrator ULMC step at frozen forward time `t` (paper.md §2.2), 1 NFE,
/// in place on `(x, v)`, with the standard normals `z_x`, `z_v` given by the caller:
/// ```text
/// g  = s_t(x)
/// x' = x + (1−η)/γ · v + (1/γ)(h − (1−η)/γ) · g + ξ^x
/// v' = η v + (1−η)/γ · g + ξ^v,          η = e^{−γh},   (ξ^x, ξ^v) = L (z_x, z_v)
/// ```
/// i.i.d. over coordinates with the covariance [`ulmc_noise_cov`]. `g_buf` is scratch of
/// length `d`. Exact for a constant score. Allocates nothing. Block by block for separable
/// scores ([`fused_blocks`]), with the same bits.
#[allow(clippy::too_many_arguments)]
pub fn ulmc_step<S: Score + ?Sized>(
    score: &S,
    t: f64,
    coeffs: &UlmcCoeffs,
    x: &mut [f64],
    v: &mut [f64],
    z_x: &[f64],
    z_v: &[f64],
    g_buf: &mut [f64],
) {
    fused_blocks(score, x.len(), |eval, r| {
        eval(t, r.start, &x[r.clone()], &mut g_buf[r.clone()]);
        let (xb, vb) = (&mut x[r.clone()], &mut v[r.clone()]);
        ulmc_update(coeffs, xb, vb, &g_buf[r.clone()], &z_x[r.clone()], &z_v[r]);
    });
}

/// The linear part of [`ulmc_step`] with the frozen score `g` given (no evaluation), in place on
/// `(x, v)`:
/// ```text
/// x' = x + vel·v + force·g + ξ^x,      v' = η v + vel·g + ξ^v,      (ξ^x, ξ^v) = L (z_x, z_v)
/// ```
/// The cell update of the parallel samplers' scans ([`crate::parallel`]); with `g = 0` it is the
/// free OU flow of position and velocity plus the exact Brownian increments over `h`.
pub fn ulmc_update(coeffs: &UlmcCoeffs, x: &mut [f64], v: &mut [f64], g: &[f64], z_x: &[f64], z_v: &[f64]) {
    ulmc_update_kernel(coeffs, x, v, g, z_x, z_v);
}

crate::kernels::multiversion! {
    /// The loop of [`ulmc_update`] (baseline and AVX2 copies, bitwise identical).
    fn ulmc_update_kernel(coeffs: &UlmcCoeffs, x: &mut [f64], v: &mut [f64], g: &[f64], z_x: &[f64], z_v: &[f64]) {
        let f = coeffs.flow;
        for ((((xi, vi), &gi), &zx), &zv) in x.iter_mut().zip(v.iter_mut()).zip(g).zip(z_x).zip(z_v) {
            let (nx, nv) = coeffs.noise(zx, zv);
            let v0 = *vi;
            *xi += f.vel * v0 + f.force * gi + nx;
            *vi = f.decay * v0 + f.vel * gi + nv;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_and_closed_forms_agree_at_the_switch() {
        for u in [0.3, 0.499_999, 0.5, 0.7] {
            let e = one_minus_exp(u);
            let closed_phi = u - 2.0 * e + 0.5 * (1.0 - (-2.0 * u).exp());
            let series_phi = taylor(u, 3, |k| {
                let c = 2f64.powi(k as i32 - 1) - 2.0;
                if k % 2 == 1 { c } else { -c }
            });
            assert!((phi(u) - closed_phi).abs() < 1e-14, "phi({u})");
            assert!((series_phi - closed_phi).abs() < 1e-14, "phi series({u})");
            let series_rho = taylor(u, 2, |k| if k % 2 == 0 { 1.0 } else { -1.0 });
            assert!((series_rho - (u - e)).abs() < 1e-15, "rho({u})");
        }
    }

    #[test]
    fn small_u_leading_terms() {
        let u: f64 = 1e-4;
        let lead = u * u * u / 3.0 - u.powi(4) / 4.0 + 7.0 * u.powi(5) / 60.0;
        assert!((phi(u) / lead - 1.0).abs() < 1e-12);
        assert!((rho(u) / (u * u / 2.0 - u * u * u / 6.0 + u.powi(4) / 24.0) - 1.0).abs() < 1e-13);
    }

    #[test]
    fn psd_cholesky_handles_singular() {
        let l = psd_cholesky(&[[0.0, 0.0], [0.0, 2.0]]);
        assert_eq!(l, [[0.0, 0.0], [0.0, 2f64.sqrt()]]);
        let l = psd_cholesky(&[[1.0, 1.0], [1.0, 1.0]]);
        assert!(l.iter().flatten().all(|x| x.is_finite()));
        assert_eq!(l[1][1], 0.0);
    }

    #[test]
    fn constructor_validates() {
        assert!(UlmcCoeffs::new(0.0, 0.1).is_err());
        assert!(UlmcCoeffs::new(1.0, f64::NAN).is_err());
        assert!(UlmcCoeffs::new(1.0, f64::INFINITY).is_err());
        assert!(UlmcCoeffs::new(1.0, 0.1).is_ok());
    }
}
