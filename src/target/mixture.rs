//! Gaussian-mixture data `q = Σ_k π_k N(μ_k, Σ_k)`: exact score at every diffusion time
//! (anchors-theory.md §2.3).
//!
//! ```text
//! q_t = Σ_k π_k N(α_t μ_k, C_k),   C_k = α_t² Σ_k + σ_t² I,   α_t = e^{−t},  σ_t² = 1 − e^{−2t}
//! ℓ_k(x) = ln π_k − ½ ln det(2π C_k) − ½ (x − α_t μ_k)ᵀ C_k^{−1} (x − α_t μ_k)
//! r_k(x) = softmax_k ℓ_k(x)                      (log-sum-exp, so no overflow or 0/0)
//! ∇ln q_t(x) = Σ_k r_k(x) C_k^{−1} (α_t μ_k − x)
//! ln q_t(x)  = log-sum-exp_k ℓ_k(x)
//! E[X_0 | X_t = x] = Σ_k r_k(x) [μ_k + α_t Σ_k C_k^{−1} (x − α_t μ_k)]      (Tweedie / denoiser)
//! ```
//! Components are isotropic (`Σ_k = τ_k² I`) or diagonal (`Σ_k = diag(v_k)`). One evaluation
//! costs `O(K·d)`; the responsibilities go through a stable log-sum-exp, so scores stay finite
//! at `d = 65,536`, at `t = 0` and far from every mean.

use super::{Score, Target};
use crate::error::{Error, Result, check_dim, check_finite, check_len, check_nonnegative, check_positive};
use crate::kernels::sq_dist_scaled;
use crate::process::{alpha, sigma2};
use crate::rng::{SampleRng, fill_normal, stream_rng, uniform01};

/// Tolerance on `|Σ_k π_k − 1|` accepted by the constructors.
pub const WEIGHT_SUM_TOL: f64 = 1e-9;

/// Component covariances.
#[derive(Debug, Clone)]
enum MixCov {
    /// `Σ_k = τ_k² I`, one variance per component.
    Iso(Vec<f64>),
    /// `Σ_k = diag(v_k)`, row-major `K × d`.
    Diag(Vec<f64>),
}

/// Gaussian mixture `Σ_k π_k N(μ_k, Σ_k)` with isotropic or diagonal component covariances.
#[derive(Debug, Clone)]
pub struct GaussianMixture {
    dim: usize,
    weights: Vec<f64>,
    log_weights: Vec<f64>,
    /// Row-major `K × d`.
    means: Vec<f64>,
    cov: MixCov,
}

/// Per-time quantities shared by all points evaluated at the same `t`.
struct AtTime {
    a: f64,
    s2: f64,
    /// `ln π_k − ½ ln det(2π C_k)`.
    log_norm: Vec<f64>,
    /// Isotropic case: the scalar `c_k = α²τ_k² + σ²`.
    iso_c: Vec<f64>,
}

impl GaussianMixture {
    /// Mixture with isotropic components `N(μ_k, τ_k² I)`.
    ///
    /// ```text
    /// q = Σ_k π_k N(μ_k, τ_k² I),   k = 1..K
    /// ```
    /// The weights must be non-negative, finite and sum to one within [`WEIGHT_SUM_TOL`]
    /// (`1e-9`); they are then divided by their sum so they sum to one to rounding.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for `K = 0`, empty means, a negative or non-finite weight, a
    /// weight sum off by more than `1e-9`, a non-finite mean entry or a variance that is not
    /// positive and finite; [`Error::DimensionMismatch`] when `weights`, `means` and `vars`
    /// disagree on `K` or the means disagree on `d`.
    pub fn isotropic(weights: Vec<f64>, means: Vec<Vec<f64>>, vars: Vec<f64>) -> Result<Self> {
        let (dim, flat) = validate_means(&means)?;
        check_len("component variances", means.len(), vars.len())?;
        for &v in &vars {
            check_positive("component variance", v)?;
        }
        Self::assemble(weights, dim, flat, MixCov::Iso(vars))
    }

    /// Mixture with diagonal components `N(μ_k, diag(v_k))`.
    ///
    /// ```text
    /// q = Σ_k π_k N(μ_k, diag(v_k)),   k = 1..K
    /// ```
    /// Weights are validated as in [`GaussianMixture::isotropic`].
    ///
    /// # Errors
    /// As [`GaussianMixture::isotropic`], and [`Error::DimensionMismatch`] when a variance
    /// vector's length differs from `d`.
    pub fn diagonal(weights: Vec<f64>, means: Vec<Vec<f64>>, vars: Vec<Vec<f64>>) -> Result<Self> {
        let (dim, flat) = validate_means(&means)?;
        check_len("component variance vectors", means.len(), vars.len())?;
        let mut flat_vars = Vec::with_capacity(flat.len());
        for v in &vars {
            check_len("component variance vector", dim, v.len())?;
            for &vi in v {
                check_positive("component variance", vi)?;
            }
            flat_vars.extend_from_slice(v);
        }
        Self::assemble(weights, dim, flat, MixCov::Diag(flat_vars))
    }

    /// Equal-weight isotropic mixture with well-separated random means, deterministic in `seed`.
    ///
    /// ```text
    /// π_k = 1/K,   μ_k = separation · u_k,   Σ_k = component_var · I
    /// K ≤ d:  u_1..u_K orthonormal (Gram–Schmidt of Gaussian vectors), so ‖μ_k − μ_j‖ = √2·separation
    /// K > d:  u_k independent uniform unit vectors (normalized Gaussian vectors)
    /// ```
    /// The Gaussian vectors come from `stream_rng(seed, 0)`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for `dim = 0`, `components = 0`, `components · dim > MAX_LEN`
    /// ([`crate::error::MAX_LEN`]), a negative or non-finite `separation` or a `component_var`
    /// that is not positive and finite.
    pub fn random(dim: usize, components: usize, separation: f64, component_var: f64, seed: u64) -> Result<Self> {
        check_dim(dim)?;
        check_components(components)?;
        crate::error::check_count("components × dim", components.checked_mul(dim))?;
        check_nonnegative("separation", separation)?;
        check_positive("component_var", component_var)?;
        let mut rng = stream_rng(seed, 0);
        let dirs = random_directions(&mut rng, dim, components);
        let means = dirs
            .chunks_exact(dim)
            .map(|u| u.iter().map(|&ui| separation * ui).collect())
            .collect();
        Self::isotropic(
            vec![1.0 / components as f64; components],
            means,
            vec![component_var; components],
        )
    }

    fn assemble(weights: Vec<f64>, dim: usize, means: Vec<f64>, cov: MixCov) -> Result<Self> {
        let k = means.len() / dim;
        check_len("weights", k, weights.len())?;
        let weights = normalized_weights(weights)?;
        let log_weights = weights.iter().map(|w| w.ln()).collect();
        Ok(GaussianMixture {
            dim,
            weights,
            log_weights,
            means,
            cov,
        })
    }

    /// Number of components `K`.
    pub fn num_components(&self) -> usize {
        self.weights.len()
    }

    /// The weights `π_k` (normalized to sum to one).
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }

    /// The mean `μ_k` of component `k` (panics if `k ≥ K`).
    pub fn mean(&self, k: usize) -> &[f64] {
        &self.means[k * self.dim..(k + 1) * self.dim]
    }

    /// The data variance `(Σ_k)_{ii}` of component `k`, coordinate `i`.
    pub fn var(&self, k: usize, i: usize) -> f64 {
        match &self.cov {
            MixCov::Iso(v) => v[k],
            MixCov::Diag(v) => v[k * self.dim + i],
        }
    }

    /// Whether the components are isotropic.
    pub fn is_isotropic(&self) -> bool {
        matches!(self.cov, MixCov::Iso(_))
    }

    /// Writes the responsibilities `r_k(x) = P(component k | X_t = x)` into `out` (length `K`).
    ///
    /// ```text
    /// r_k(x) = softmax_k [ln π_k − ½ ln det(2π C_k) − ½ (x − α_t μ_k)ᵀ C_k^{−1} (x − α_t μ_k)]
    /// ```
    pub fn responsibilities(&self, t: f64, x: &[f64], out: &mut [f64]) {
        debug_assert_eq!(out.len(), self.num_components());
        let at = self.at_time(t);
        self.fill_logits(&at, x, out);
        softmax_in_place(out);
    }

    /// The posterior mean (denoiser) `E[X_0 | X_t = x]`, written into `out` (length `d`).
    ///
    /// ```text
    /// E[X_0 | X_t = x] = Σ_k r_k(x) [μ_k + α_t Σ_k C_k^{−1} (x − α_t μ_k)]
    /// Tweedie: ∇ln q_t(x) = (α_t E[X_0 | X_t = x] − x) / σ_t²
    /// ```
    /// (anchors-theory.md §2.3.)
    pub fn posterior_mean(&self, t: f64, x: &[f64], out: &mut [f64]) {
        let at = self.at_time(t);
        self.with_responsibilities(&at, x, |me, r| {
            out.iter_mut().for_each(|o| *o = 0.0);
            for (k, &rk) in r.iter().enumerate() {
                let mu = me.mean(k);
                for i in 0..me.dim {
                    let gain = at.a * me.var(k, i) / me.c(&at, k, i);
                    out[i] += rk * (mu[i] + gain * (x[i] - at.a * mu[i]));
                }
            }
        });
    }

    /// `C_k`'s `i`-th diagonal entry `α²(Σ_k)_{ii} + σ²`.
    #[inline]
    fn c(&self, at: &AtTime, k: usize, i: usize) -> f64 {
        match &self.cov {
            MixCov::Iso(_) => at.iso_c[k],
            MixCov::Diag(v) => at.a * at.a * v[k * self.dim + i] + at.s2,
        }
    }

    /// Pre-computes `α`, `σ²`, `C_k` (isotropic) and the log-normalizers at time `t`.
    fn at_time(&self, t: f64) -> AtTime {
        let (a, s2) = (alpha(t), sigma2(t));
        let d = self.dim as f64;
        let ln2pi = (2.0 * std::f64::consts::PI).ln();
        let (log_norm, iso_c) = match &self.cov {
            MixCov::Iso(v) => {
                let c: Vec<f64> = v.iter().map(|&vk| a * a * vk + s2).collect();
                let ln = self
                    .log_weights
                    .iter()
                    .zip(&c)
                    .map(|(lw, ck)| lw - 0.5 * d * (ln2pi + ck.ln()));
                (ln.collect(), c)
            }
            MixCov::Diag(v) => {
                let half_logdet = v
                    .chunks_exact(self.dim)
                    .map(|vk| 0.5 * vk.iter().map(|&vi| ln2pi + (a * a * vi + s2).ln()).sum::<f64>());
                (
                    self.log_weights.iter().zip(half_logdet).map(|(lw, h)| lw - h).collect(),
                    Vec::new(),
                )
            }
        };
        AtTime { a, s2, log_norm, iso_c }
    }

    /// `ℓ_k(x)` for every component.
    fn fill_logits(&self, at: &AtTime, x: &[f64], logits: &mut [f64]) {
        for (k, l) in logits.iter_mut().enumerate() {
            let mu = self.mean(k);
            let quad: f64 = match &self.cov {
                MixCov::Iso(_) => sq_dist_scaled(x, mu, at.a) / at.iso_c[k],
                MixCov::Diag(v) => diag_quad(x, mu, &v[k * self.dim..(k + 1) * self.dim], at.a, at.s2),
            };
            *l = at.log_norm[k] - 0.5 * quad;
        }
    }

    /// Runs `f(self, r)` with the responsibilities `r` in a scratch buffer (on the stack for
    /// `K ≤ 64`).
    fn with_responsibilities<R>(&self, at: &AtTime, x: &[f64], f: impl FnOnce(&Self, &[f64]) -> R) -> R {
        let k = self.num_components();
        let mut stack = [0.0f64; 64];
        let mut heap = Vec::new();
        let r: &mut [f64] = if k <= 64 {
            &mut stack[..k]
        } else {
            heap.resize(k, 0.0);
            &mut heap
        };
        self.fill_logits(at, x, r);
        softmax_in_place(r);
        f(self, r)
    }

    /// `Σ_k r_k C_k^{−1}(α μ_k − x)` at pre-computed time quantities.
    fn score_at(&self, at: &AtTime, x: &[f64], out: &mut [f64]) {
        self.with_responsibilities(at, x, |me, r| match &me.cov {
            MixCov::Iso(_) => {
                // out = Σ_k (r_k/c_k) α μ_k − (Σ_k r_k/c_k) x
                let total: f64 = r.iter().zip(&at.iso_c).map(|(rk, ck)| rk / ck).sum();
                out.iter_mut().zip(x).for_each(|(o, &xi)| *o = -total * xi);
                for (k, (&rk, &ck)) in r.iter().zip(&at.iso_c).enumerate() {
                    crate::kernels::axpy(out, rk * at.a / ck, me.mean(k));
                }
            }
            MixCov::Diag(v) => {
                out.iter_mut().for_each(|o| *o = 0.0);
                for (k, &rk) in r.iter().enumerate() {
                    let vk = &v[k * me.dim..(k + 1) * me.dim];
                    diag_pull(out, rk, x, me.mean(k), vk, at.a, at.s2);
                }
            }
        });
    }

    /// Whether all components share one covariance matrix.
    fn shared_covariance(&self) -> bool {
        match &self.cov {
            MixCov::Iso(v) => v.iter().all(|&vk| vk == v[0]),
            MixCov::Diag(v) => v.chunks_exact(self.dim).all(|vk| vk == &v[..self.dim]),
        }
    }

    /// Largest distance `max_{k,j} ‖μ_k − μ_j‖` between two means.
    fn mean_diameter(&self) -> f64 {
        let k = self.num_components();
        let mut d2 = 0.0f64;
        for i in 0..k {
            for j in (i + 1)..k {
                d2 = d2.max(sq_dist_scaled(self.mean(i), self.mean(j), 1.0));
            }
        }
        d2.sqrt()
    }
}

impl Score for GaussianMixture {
    fn dim(&self) -> usize {
        self.dim
    }

    /// `Σ_k r_k(x) C_k^{−1}(e^{−t} μ_k − x)`.
    fn score(&self, t: f64, x: &[f64], out: &mut [f64]) {
        debug_assert_eq!(x.len(), self.dim);
        self.score_at(&self.at_time(t), x, out);
    }

    /// As [`GaussianMixture::score`] row by row, computing the time-dependent normalizers
    /// (`O(K·d)` logarithms in the diagonal case) once per batch.
    fn score_batch(&self, t: f64, xs: &[f64], out: &mut [f64]) {
        let at = self.at_time(t);
        for (x, o) in xs.chunks_exact(self.dim).zip(out.chunks_exact_mut(self.dim)) {
            self.score_at(&at, x, o);
        }
    }

    /// A bound on `sup_{t ≥ 0, x} ‖∇s_t(x)‖₂` when all components share one covariance `Σ`
    /// (`None` otherwise: with unequal covariances the responsibilities' covariance term is not
    /// bounded by a simple formula, so no bound is claimed).
    ///
    /// ```text
    /// ∇s_t = −Σ_k r_k C_k^{−1} + Cov_r[C_k^{−1}(α μ_k − x)]        (both terms PSD up to sign)
    /// ⇒ ‖∇s_t‖ ≤ max(‖E_r C^{−1}‖, ‖Cov_r‖)
    /// ‖C^{−1}‖ = 1/(α² v_min + σ²) ≤ max(1, 1/v_min)
    /// shared C: C^{−1}(αμ_k − x) − C^{−1}(αμ_j − x) = α C^{−1}(μ_k − μ_j), so by Popoviciu
    /// ‖Cov_r‖ ≤ α² D² / (4 (α² v_min + σ²)²),   D = max_{k,j} ‖μ_k − μ_j‖
    /// sup over u = α² ∈ (0, 1] of u/(u v + 1 − u)²  =  1/v²  (v ≤ 2),  1/(4(v − 1))  (v > 2)
    /// ```
    fn lipschitz(&self) -> Option<f64> {
        if !self.shared_covariance() {
            return None;
        }
        let v_min = (0..self.dim).map(|i| self.var(0, i)).fold(f64::INFINITY, f64::min);
        Some(shared_cov_lipschitz(v_min, self.mean_diameter()))
    }
}

impl Target for GaussianMixture {
    fn describe(&self) -> String {
        let kind = if self.is_isotropic() { "isotropic" } else { "diagonal" };
        format!(
            "gaussian-mixture(d={}, K={}, {kind} components)",
            self.dim,
            self.num_components()
        )
    }

    /// Component `k` with probability `π_k` (one uniform draw), then `μ_k + Σ_k^{1/2} z`
    /// (`d` normal draws).
    fn sample_data(&self, rng: &mut SampleRng, out: &mut [f64]) {
        let k = pick_component(&self.weights, uniform01(rng));
        fill_normal(rng, out);
        let mu = self.mean(k);
        for i in 0..self.dim {
            out[i] = mu[i] + self.var(k, i).sqrt() * out[i];
        }
    }

    /// `log-sum-exp_k ℓ_k(x)` (closed form).
    fn log_density(&self, t: f64, x: &[f64]) -> Option<f64> {
        let at = self.at_time(t);
        let mut logits = vec![0.0; self.num_components()];
        self.fill_logits(&at, x, &mut logits);
        Some(softmax_in_place(&mut logits))
    }

    /// `Σ_k π_k (‖μ_k‖² + tr Σ_k)`.
    fn second_moment(&self) -> f64 {
        (0..self.num_components())
            .map(|k| {
                let tr: f64 = (0..self.dim).map(|i| self.var(k, i)).sum();
                self.weights[k] * (self.mean(k).iter().map(|m| m * m).sum::<f64>() + tr)
            })
            .sum()
    }

    /// `Σ_k π_k μ_k`.
    fn data_mean(&self) -> Option<Vec<f64>> {
        let mut m = vec![0.0; self.dim];
        for (k, &w) in self.weights.iter().enumerate() {
            m.iter_mut().zip(self.mean(k)).for_each(|(mi, &mu)| *mi += w * mu);
        }
        Some(m)
    }

    /// `Σ_k π_k ((Σ_k)_{ii} + μ_{k,i}²) − (Σ_k π_k μ_{k,i})²`.
    fn data_var(&self) -> Option<Vec<f64>> {
        let mean = self.data_mean()?;
        Some(
            (0..self.dim)
                .map(|i| {
                    let m2: f64 = (0..self.num_components())
                        .map(|k| self.weights[k] * (self.var(k, i) + self.mean(k)[i].powi(2)))
                        .sum();
                    m2 - mean[i] * mean[i]
                })
                .collect(),
        )
    }

    /// `Σ_k π_k exp(i ω·μ_k − ½ ωᵀ Σ_k ω)`.
    fn data_char_fn(&self, omega: &[f64]) -> Option<(f64, f64)> {
        let (mut re, mut im) = (0.0, 0.0);
        for (k, &w) in self.weights.iter().enumerate() {
            let phase: f64 = omega.iter().zip(self.mean(k)).map(|(o, m)| o * m).sum();
            let quad: f64 = omega.iter().enumerate().map(|(i, o)| o * o * self.var(k, i)).sum();
            let m = w * (-0.5 * quad).exp();
            re += m * phase.cos();
            im += m * phase.sin();
        }
        Some((re, im))
    }
}

/// Turns `logits` into `softmax(logits)` in place and returns `log Σ_k exp(logits_k)`.
///
/// ```text
/// M = max_k ℓ_k,   lse = M + ln Σ_k e^{ℓ_k − M},   r_k = e^{ℓ_k − lse}
/// ```
/// Entries equal to `−∞` (zero weights) get `r_k = 0`; at least one entry must be finite.
pub(crate) fn softmax_in_place(logits: &mut [f64]) -> f64 {
    let m = logits.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let mut sum = 0.0;
    for l in logits.iter_mut() {
        *l = (*l - m).exp();
        sum += *l;
    }
    logits.iter_mut().for_each(|l| *l /= sum);
    m + sum.ln()
}

/// Bound on `sup_{t, x} ‖∇s_t(x)‖` for a mixture whose components share one covariance with
/// smallest eigenvalue `v_min` and whose means have diameter `diameter` (derivation in
/// [`GaussianMixture::lipschitz`]).
///
/// ```text
/// L = max( max(1, 1/v_min),  (D²/4) · g(v_min) ),   g(v) = 1/v² (v ≤ 2),  1/(4(v − 1)) (v > 2)
/// ```
pub(crate) fn shared_cov_lipschitz(v_min: f64, diameter: f64) -> f64 {
    let curvature = (1.0 / v_min).max(1.0);
    let g = if v_min <= 2.0 {
        1.0 / (v_min * v_min)
    } else {
        1.0 / (4.0 * (v_min - 1.0))
    };
    curvature.max(0.25 * diameter * diameter * g)
}

crate::kernels::multiversion! {
    /// `Σ_i (x_i − α μ_i)² / (α² v_i + σ²)`, the quadratic form of one diagonal component at
    /// time `t` (summed as [`crate::kernels::sum_lanes3`]).
    fn diag_quad(x: &[f64], mu: &[f64], v: &[f64], a: f64, s2: f64) -> f64 {
        crate::kernels::sum_lanes3(x, mu, v, |xi, mi, vi| {
            let r = xi - a * mi;
            r * r / (a * a * vi + s2)
        })
    }
}

crate::kernels::multiversion! {
    /// `out_i += r_k (α μ_i − x_i)/(α² v_i + σ²)`: one diagonal component's pull, weighted by its
    /// responsibility.
    fn diag_pull(out: &mut [f64], rk: f64, x: &[f64], mu: &[f64], v: &[f64], a: f64, s2: f64) {
        for (((o, &xi), &m), &vi) in out.iter_mut().zip(x).zip(mu).zip(v) {
            *o += rk * (a * m - xi) / (a * a * vi + s2);
        }
    }
}

/// Index `k` with `Σ_{j<k} π_j ≤ u < Σ_{j≤k} π_j` (the last positive-weight component if
/// rounding leaves `u` beyond the cumulative sum).
fn pick_component(weights: &[f64], u: f64) -> usize {
    let mut acc = 0.0;
    for (k, &w) in weights.iter().enumerate() {
        acc += w;
        if u < acc && w > 0.0 {
            return k;
        }
    }
    weights.iter().rposition(|&w| w > 0.0).unwrap_or(0)
}

/// Checks `K ≥ 1`.
fn check_components(k: usize) -> Result<()> {
    if k >= 1 {
        Ok(())
    } else {
        Err(Error::InvalidParameter {
            name: "components",
            value: 0.0,
            expected: "at least 1",
        })
    }
}

/// Checks `K ≥ 1`, `d ≥ 1`, equal lengths and finite entries; returns `d` and the flat means.
fn validate_means(means: &[Vec<f64>]) -> Result<(usize, Vec<f64>)> {
    check_components(means.len())?;
    let dim = check_dim(means[0].len())?;
    let mut flat = Vec::with_capacity(dim * means.len());
    for m in means {
        check_len("component mean", dim, m.len())?;
        for &mi in m {
            check_finite("component mean entry", mi)?;
        }
        flat.extend_from_slice(m);
    }
    Ok((dim, flat))
}

/// Checks the weights (non-negative, finite, `|Σ π_k − 1| ≤ 1e-9`) and divides them by their sum.
fn normalized_weights(weights: Vec<f64>) -> Result<Vec<f64>> {
    for &w in &weights {
        check_nonnegative("weight", w)?;
    }
    let sum: f64 = weights.iter().sum();
    if (sum - 1.0).abs() > WEIGHT_SUM_TOL {
        return Err(Error::InvalidParameter {
            name: "weights (sum)",
            value: sum,
            expected: "equal to 1 within 1e-9",
        });
    }
    Ok(weights.into_iter().map(|w| w / sum).collect())
}

/// `k` unit vectors in `ℝ^d`, row-major: orthonormal (modified Gram–Schmidt, applied twice) when
/// `k ≤ d`, independent uniform on the sphere otherwise.
fn random_directions(rng: &mut SampleRng, dim: usize, k: usize) -> Vec<f64> {
    let mut dirs: Vec<f64> = Vec::with_capacity(k * dim);
    let mut v = vec![0.0; dim];
    for _ in 0..k {
        loop {
            fill_normal(rng, &mut v);
            if k <= dim {
                for _pass in 0..2 {
                    for u in dirs.chunks_exact(dim) {
                        let p: f64 = u.iter().zip(&v).map(|(a, b)| a * b).sum();
                        v.iter_mut().zip(u).for_each(|(vi, &ui)| *vi -= p * ui);
                    }
                }
            }
            let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
            if norm > 1e-8 {
                dirs.extend(v.iter().map(|x| x / norm));
                break;
            }
        }
    }
    dirs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn softmax_handles_minus_infinity_and_huge_logits() {
        // ulp(1e6) ≈ 1.2e-10 bounds the representable gap, hence the 1e-9 tolerance.
        let mut l = [f64::NEG_INFINITY, -1e6, -1e6 + 2f64.ln()];
        let lse = softmax_in_place(&mut l);
        assert_eq!(l[0], 0.0);
        assert!((l[1] - 1.0 / 3.0).abs() < 1e-9 && (l[2] - 2.0 / 3.0).abs() < 1e-9);
        assert!((lse - (-1e6 + 3f64.ln())).abs() < 1e-9);
    }

    #[test]
    fn random_means_are_orthogonal_with_the_right_norm() {
        let m = GaussianMixture::random(10, 4, 3.0, 0.5, 1).unwrap();
        for i in 0..4 {
            for j in 0..4 {
                let p: f64 = m.mean(i).iter().zip(m.mean(j)).map(|(a, b)| a * b).sum();
                let want = if i == j { 9.0 } else { 0.0 };
                assert!((p - want).abs() < 1e-12, "{i} {j} {p}");
            }
        }
        let again = GaussianMixture::random(10, 4, 3.0, 0.5, 1).unwrap();
        assert_eq!(m.means, again.means);
    }

    #[test]
    fn lipschitz_bound_dominates_the_hessian_on_a_grid() {
        // 1-D, two components with shared variance: |s'| computed by central differences.
        let m = GaussianMixture::isotropic(vec![0.5, 0.5], vec![vec![-2.0], vec![2.0]], vec![0.3, 0.3]).unwrap();
        let l = m.lipschitz().unwrap();
        let mut worst = 0.0f64;
        for &t in &[0.0, 0.01, 0.1, 0.3, 0.6, 1.0, 2.0] {
            for j in -400..=400 {
                let x = j as f64 * 0.01;
                let (mut sp, mut sm) = ([0.0], [0.0]);
                m.score(t, &[x + 1e-5], &mut sp);
                m.score(t, &[x - 1e-5], &mut sm);
                worst = worst.max(((sp[0] - sm[0]) / 2e-5).abs());
            }
        }
        assert!(worst <= l, "{worst} > {l}");
    }
}
