//! Gaussian data `q = N(μ, Σ)`: every quantity is exact (anchors-theory.md §2.1).
//!
//! ```text
//! q_t = N(μ_t, Σ_t),  μ_t = e^{−t} μ,  Σ_t = e^{−2t} Σ + (1 − e^{−2t}) I
//! ∇ln q_t(x) = −Σ_t^{−1} (x − μ_t)
//! PF-ODE flow from time s to time t:  x_t = μ_t + Σ_t^{1/2} Σ_s^{−1/2} (x_s − μ_s)
//! ```
//! `Σ_t` shares the eigenvectors of `Σ`, so one eigendecomposition `Σ = Q Λ Qᵀ` at construction
//! serves every `t`: the eigenvalues of `Σ_t` are `e^{−2t} λ_i + σ_t²`. Diagonal covariances use
//! a fast path (O(d) per evaluation, d up to 65,536 and beyond); full covariances cost O(d²) per
//! evaluation (d up to a few thousand).

use nalgebra::{DMatrix, DVector};

use super::{Score, Target};
use crate::error::{Error, Result, check_finite, check_len, check_positive};
use crate::process::{alpha, sigma2};
use crate::rng::{SampleRng, fill_normal};

/// Covariance representation.
#[derive(Debug, Clone)]
enum Cov {
    /// Diagonal `Σ = diag(v)`.
    Diag(Vec<f64>),
    /// Full `Σ = Q diag(λ) Qᵀ`, with the Cholesky factor for sampling.
    Full {
        q: DMatrix<f64>,
        lambda: Vec<f64>,
        chol: DMatrix<f64>,
    },
}

/// Gaussian data law `N(μ, Σ)` (diagonal fast path or full covariance).
#[derive(Debug, Clone)]
pub struct Gaussian {
    mean: Vec<f64>,
    cov: Cov,
    /// `Some((m, v))` when the covariance is diagonal with every `μ_i = m` and `v_i = v`: the
    /// score then streams `x` alone (no mean and variance arrays), with the same bits.
    uniform: Option<(f64, f64)>,
}

impl Gaussian {
    /// `N(m·1, v·I_d)`.
    ///
    /// # Errors
    /// `dim == 0` or `dim > MAX_LEN` ([`crate::error::MAX_LEN`]), non-finite `mean`, or `var`
    /// not positive and finite.
    pub fn isotropic(dim: usize, mean: f64, var: f64) -> Result<Self> {
        crate::error::check_dim(dim)?;
        crate::error::check_count("dim", Some(dim))?;
        check_finite("mean", mean)?;
        check_positive("var", var)?;
        Ok(Gaussian {
            mean: vec![mean; dim],
            cov: Cov::Diag(vec![var; dim]),
            uniform: Some((mean, var)),
        })
    }

    /// `N(μ, diag(v))`.
    ///
    /// # Errors
    /// Length mismatch, empty vectors, non-finite means or non-positive variances.
    pub fn diagonal(mean: Vec<f64>, var: Vec<f64>) -> Result<Self> {
        crate::error::check_dim(mean.len())?;
        check_len("variance vector", mean.len(), var.len())?;
        for &m in &mean {
            check_finite("mean", m)?;
        }
        for &v in &var {
            check_positive("var", v)?;
        }
        let uniform =
            (mean.iter().all(|&m| m == mean[0]) && var.iter().all(|&v| v == var[0])).then(|| (mean[0], var[0]));
        Ok(Gaussian {
            mean,
            cov: Cov::Diag(var),
            uniform,
        })
    }

    /// `N(μ, Σ)` with a full covariance (symmetrized as `(Σ + Σᵀ)/2` after a symmetry check).
    ///
    /// # Errors
    /// Size mismatch, non-finite entries, asymmetry beyond `1e-10·max|Σ|`, or `Σ` not positive
    /// definite ([`Error::NotPositiveDefinite`]).
    pub fn full(mean: Vec<f64>, cov: DMatrix<f64>) -> Result<Self> {
        let d = crate::error::check_dim(mean.len())?;
        check_len("covariance rows", d, cov.nrows())?;
        check_len("covariance columns", d, cov.ncols())?;
        for &m in &mean {
            check_finite("mean", m)?;
        }
        let scale = cov.iter().fold(0.0f64, |a, &c| a.max(c.abs()));
        for i in 0..d {
            for j in 0..d {
                check_finite("covariance entry", cov[(i, j)])?;
                if (cov[(i, j)] - cov[(j, i)]).abs() > 1e-10 * scale {
                    return Err(Error::NotPositiveDefinite {
                        what: "covariance (not symmetric)",
                    });
                }
            }
        }
        let sym = (&cov + cov.transpose()) * 0.5;
        let chol = cholesky(&sym)?;
        let (q, lambda) = symmetric_eigen(&sym);
        if lambda.iter().any(|&l| l <= 0.0) {
            return Err(Error::NotPositiveDefinite { what: "covariance" });
        }
        Ok(Gaussian {
            mean,
            cov: Cov::Full { q, lambda, chol },
            uniform: None,
        })
    }

    /// The diagonal score `−(x_j − α μ_j)/(α² v_j + σ²)` for coordinates `j = start ..` (through
    /// [`crate::kernels::uniform_gauss_score`] when all coordinates share `μ_j, v_j`, else
    /// [`crate::kernels::diag_gauss_score`]; same bits). Writes nothing for a full covariance or
    /// a range beyond the dimension.
    fn diag_score(&self, a: f64, s2: f64, start: usize, x: &[f64], out: &mut [f64]) {
        let r = start..start.saturating_add(x.len());
        if let Some((m, v)) = self.uniform {
            if r.end <= self.mean.len() {
                crate::kernels::uniform_gauss_score(out, x, a * m, a * a * v + s2);
            }
        } else if let Cov::Diag(v) = &self.cov
            && let (Some(m), Some(v)) = (self.mean.get(r.clone()), v.get(r))
        {
            crate::kernels::diag_gauss_score(out, x, m, v, a, s2);
        }
    }

    /// The data mean `μ`.
    pub fn mean(&self) -> &[f64] {
        &self.mean
    }

    /// The eigenvalues of `Σ` (the variances themselves in the diagonal case, in coordinate
    /// order; in the full case in nalgebra's eigen order).
    pub fn cov_eigenvalues(&self) -> &[f64] {
        match &self.cov {
            Cov::Diag(v) => v,
            Cov::Full { lambda, .. } => lambda,
        }
    }

    /// Whether the covariance is stored diagonally.
    pub fn is_diagonal(&self) -> bool {
        matches!(self.cov, Cov::Diag(_))
    }

    /// The full data covariance `Σ` as a matrix (diagonal case expanded): a dense `d × d`
    /// allocation (8·d² bytes, 32 GiB at d = 65,536). Nothing in the library calls it; for diagonal
    /// targets use [`Gaussian::cov_eigenvalues`] (the variances) instead.
    pub fn covariance(&self) -> DMatrix<f64> {
        match &self.cov {
            Cov::Diag(v) => DMatrix::from_diagonal(&DVector::from_column_slice(v)),
            Cov::Full { q, lambda, .. } => {
                q * DMatrix::from_diagonal(&DVector::from_column_slice(lambda)) * q.transpose()
            }
        }
    }

    /// Exact probability-flow-ODE map from forward time `s` to forward time `t` (either order):
    /// `x_t = μ_t + Σ_t^{1/2} Σ_s^{−1/2} (x_s − μ_s)`.
    pub fn flow(&self, s: f64, t: f64, x: &[f64], out: &mut [f64]) {
        let (a_s, a_t) = (alpha(s), alpha(t));
        let ratio = |l: f64| ((a_t * a_t * l + sigma2(t)) / (a_s * a_s * l + sigma2(s))).sqrt();
        match &self.cov {
            Cov::Diag(v) => {
                for (((o, &xi), &m), &vi) in out.iter_mut().zip(x).zip(&self.mean).zip(v) {
                    *o = a_t * m + ratio(vi) * (xi - a_s * m);
                }
            }
            Cov::Full { q, lambda, .. } => {
                let c = rotate_in(q, x, &self.mean, a_s, |i| ratio(lambda[i]));
                rotate_out(q, &c, out);
                out.iter_mut().zip(&self.mean).for_each(|(o, &m)| *o += a_t * m);
            }
        }
    }
}

impl Score for Gaussian {
    fn dim(&self) -> usize {
        self.mean.len()
    }

    /// `−Σ_t^{−1}(x − e^{−t}μ)`.
    fn score(&self, t: f64, x: &[f64], out: &mut [f64]) {
        let (a, s2) = (alpha(t), sigma2(t));
        match &self.cov {
            Cov::Diag(_) => self.diag_score(a, s2, 0, x, out),
            Cov::Full { q, lambda, .. } => {
                let c = rotate_in(q, x, &self.mean, a, |k| -1.0 / (a * a * lambda[k] + s2));
                rotate_out(q, &c, out);
            }
        }
    }

    /// Separable when the covariance is diagonal.
    fn separable(&self) -> Option<&dyn super::SeparableScore> {
        match self.cov {
            Cov::Diag(_) => Some(self),
            Cov::Full { .. } => None,
        }
    }

    /// `sup_t ‖Σ_t^{−1}‖ = max(1, 1/λ_min(Σ))`.
    fn lipschitz(&self) -> Option<f64> {
        let lmin = self.cov_eigenvalues().iter().cloned().fold(f64::INFINITY, f64::min);
        Some((1.0 / lmin).max(1.0))
    }
}

impl super::SeparableScore for Gaussian {
    /// `−(x_j − e^{−t}μ_j)/(e^{−2t} v_j + σ_t²)` for the given coordinates. Writes nothing for a
    /// full covariance (not separable) or a range beyond the dimension.
    fn score_coords(&self, t: f64, start: usize, x: &[f64], out: &mut [f64]) {
        self.diag_score(alpha(t), sigma2(t), start, x, out);
    }
}

impl Target for Gaussian {
    fn describe(&self) -> String {
        let kind = if self.is_diagonal() { "diagonal" } else { "full" };
        format!("gaussian(d={}, {kind} covariance)", self.dim())
    }

    fn sample_data(&self, rng: &mut SampleRng, out: &mut [f64]) {
        fill_normal(rng, out);
        match &self.cov {
            Cov::Diag(v) => {
                for ((o, &m), &vi) in out.iter_mut().zip(&self.mean).zip(v) {
                    *o = m + vi.sqrt() * *o;
                }
            }
            Cov::Full { chol, .. } => {
                let lz = chol * DVector::from_column_slice(out);
                for ((o, &m), &l) in out.iter_mut().zip(&self.mean).zip(lz.iter()) {
                    *o = m + l;
                }
            }
        }
    }

    /// `−½ Σ_i [ln(2π c_i) + y_i²/c_i]`, `c_i` the eigenvalues of `Σ_t`, `y = Qᵀ(x − μ_t)`.
    fn log_density(&self, t: f64, x: &[f64]) -> Option<f64> {
        let (a, s2) = (alpha(t), sigma2(t));
        let ln2pi = (2.0 * std::f64::consts::PI).ln();
        let quad = |y: f64, c: f64| -0.5 * (ln2pi + c.ln() + y * y / c);
        Some(match &self.cov {
            Cov::Diag(v) => x
                .iter()
                .zip(&self.mean)
                .zip(v)
                .map(|((&xi, &m), &vi)| quad(xi - a * m, a * a * vi + s2))
                .sum(),
            Cov::Full { q, lambda, .. } => {
                let y = rotate_in(q, x, &self.mean, a, |_| 1.0);
                y.iter().zip(lambda).map(|(&yi, &l)| quad(yi, a * a * l + s2)).sum()
            }
        })
    }

    fn second_moment(&self) -> f64 {
        self.mean.iter().map(|m| m * m).sum::<f64>() + self.cov_eigenvalues().iter().sum::<f64>()
    }

    fn data_mean(&self) -> Option<Vec<f64>> {
        Some(self.mean.clone())
    }

    fn data_var(&self) -> Option<Vec<f64>> {
        Some(match &self.cov {
            Cov::Diag(v) => v.clone(),
            Cov::Full { chol, .. } => chol.row_iter().map(|r| r.norm_squared()).collect(),
        })
    }

    /// `exp(i ω·μ − ½ ωᵀ Σ ω)`.
    fn data_char_fn(&self, omega: &[f64]) -> Option<(f64, f64)> {
        let phase = dot(omega, &self.mean);
        let quad = match &self.cov {
            Cov::Diag(v) => omega.iter().zip(v).map(|(w, v)| w * w * v).sum::<f64>(),
            Cov::Full { chol, .. } => {
                let lt_w = chol.transpose() * DVector::from_column_slice(omega);
                lt_w.norm_squared()
            }
        };
        let m = (-0.5 * quad).exp();
        Some((m * phase.cos(), m * phase.sin()))
    }
}

/// `f(k) · (Qᵀ (x − a μ))_k` for each eigen-coordinate k (one matrix–vector product).
fn rotate_in(q: &DMatrix<f64>, x: &[f64], mean: &[f64], a: f64, f: impl Fn(usize) -> f64) -> Vec<f64> {
    let centered = DVector::from_iterator(x.len(), x.iter().zip(mean).map(|(&xi, &m)| xi - a * m));
    q.tr_mul(&centered).iter().enumerate().map(|(k, &y)| f(k) * y).collect()
}

/// `out = Q c`.
fn rotate_out(q: &DMatrix<f64>, c: &[f64], out: &mut [f64]) {
    let qc = q * DVector::from_column_slice(c);
    out.copy_from_slice(qc.as_slice());
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[cfg(not(feature = "lapack"))]
fn cholesky(m: &DMatrix<f64>) -> Result<DMatrix<f64>> {
    nalgebra::Cholesky::new(m.clone())
        .map(|c| c.l())
        .ok_or(Error::NotPositiveDefinite { what: "covariance" })
}

#[cfg(not(feature = "lapack"))]
fn symmetric_eigen(m: &DMatrix<f64>) -> (DMatrix<f64>, Vec<f64>) {
    let e = nalgebra::SymmetricEigen::new(m.clone());
    (e.eigenvectors, e.eigenvalues.iter().cloned().collect())
}

#[cfg(feature = "lapack")]
fn cholesky(m: &DMatrix<f64>) -> Result<DMatrix<f64>> {
    nalgebra_lapack::Cholesky::new(m.clone())
        .map(|c| c.l())
        .ok_or(Error::NotPositiveDefinite { what: "covariance" })
}

#[cfg(feature = "lapack")]
fn symmetric_eigen(m: &DMatrix<f64>) -> (DMatrix<f64>, Vec<f64>) {
    let e = nalgebra_lapack::SymmetricEigen::new(m.clone());
    (e.eigenvectors, e.eigenvalues.iter().cloned().collect())
}
