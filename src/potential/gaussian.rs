//! Diagonal Gaussian potentials `f(x) = ½ Σ_i λ_i (x_i − μ_i)²`, `π = N(μ, diag(1/λ))`, with
//! `m = min λ`, `L = max λ`. Rotations do not matter for the built-in samplers (their noise is
//! isotropic and their steps are equivariant), so the diagonal form covers every condition number.

use super::Potential;
use crate::error::{Error, Result, check_finite, check_positive};

/// `f(x) = ½ Σ_i λ_i (x_i − μ_i)²` (precisions `λ_i > 0`).
#[derive(Debug, Clone, PartialEq)]
pub struct DiagGaussian {
    mean: Vec<f64>,
    precision: Vec<f64>,
}

impl DiagGaussian {
    /// `N(μ, diag(1/λ))` from means and precisions.
    ///
    /// # Errors
    /// Empty or unequal lengths, a non-finite mean, a precision that is not positive and finite.
    pub fn new(mean: Vec<f64>, precision: Vec<f64>) -> Result<Self> {
        if mean.is_empty() {
            return Err(Error::InvalidParameter {
                name: "dim",
                value: 0.0,
                expected: "at least 1",
            });
        }
        crate::error::check_len("precision", mean.len(), precision.len())?;
        for &m in &mean {
            check_finite("mean", m)?;
        }
        for &l in &precision {
            check_positive("precision", l)?;
        }
        Ok(DiagGaussian { mean, precision })
    }

    /// `N(0, I_d / λ)`.
    ///
    /// # Errors
    /// `d == 0`, `d > MAX_LEN` ([`crate::error::MAX_LEN`]) or `λ` not positive and finite.
    pub fn isotropic(d: usize, precision: f64) -> Result<Self> {
        crate::error::check_count("dim", Some(d))?;
        Self::new(vec![0.0; d], vec![precision; d])
    }

    /// The ill-conditioned Gaussian of the BlackJAX tests (anchors-theory §2.2): precisions
    /// `logspace(−½ log₁₀ κ, ½ log₁₀ κ, d)`, so `m = κ^{−1/2}`, `L = κ^{1/2}`, `L/m = κ`.
    ///
    /// # Errors
    /// `d == 0`, `d > MAX_LEN` ([`crate::error::MAX_LEN`]), or `κ < 1` or not finite.
    pub fn ill_conditioned(d: usize, kappa: f64) -> Result<Self> {
        if !(kappa.is_finite() && kappa >= 1.0) {
            return Err(Error::InvalidParameter {
                name: "kappa",
                value: kappa,
                expected: "finite and at least 1",
            });
        }
        crate::error::check_count("dim", Some(d))?;
        let half = 0.5 * kappa.log10();
        let prec = (0..d)
            .map(|i| {
                let s = if d == 1 { 0.0 } else { i as f64 / (d - 1) as f64 };
                10f64.powf(-half + 2.0 * half * s)
            })
            .collect();
        Self::new(vec![0.0; d], prec)
    }

    /// Means `μ`.
    pub fn mean(&self) -> &[f64] {
        &self.mean
    }

    /// Precisions `λ`.
    pub fn precision(&self) -> &[f64] {
        &self.precision
    }
}

impl Potential for DiagGaussian {
    fn dim(&self) -> usize {
        self.mean.len()
    }

    fn value(&self, x: &[f64]) -> f64 {
        x.iter()
            .zip(&self.mean)
            .zip(&self.precision)
            .map(|((xi, m), l)| 0.5 * l * (xi - m) * (xi - m))
            .sum()
    }

    fn grad(&self, x: &[f64], out: &mut [f64]) {
        for (((o, xi), m), l) in out.iter_mut().zip(x).zip(&self.mean).zip(&self.precision) {
            *o = l * (xi - m);
        }
    }

    fn strong_convexity(&self) -> f64 {
        self.precision.iter().cloned().fold(f64::INFINITY, f64::min)
    }

    fn smoothness(&self) -> f64 {
        self.precision.iter().cloned().fold(0.0, f64::max)
    }

    fn minimizer(&self) -> Option<Vec<f64>> {
        Some(self.mean.clone())
    }

    fn describe(&self) -> String {
        format!(
            "diag-gaussian(d={}, m={:.4}, L={:.4})",
            self.dim(),
            self.strong_convexity(),
            self.smoothness()
        )
    }
}
