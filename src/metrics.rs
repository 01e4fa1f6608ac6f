//! Error metrics against exact laws: moments and the exact 1-D Wasserstein-2 distance between
//! an empirical marginal and a 1-D Gaussian mixture (the exact marginal of the Gaussian,
//! mixture-of-Gaussian and bimodal-product targets at any `t`).
//!
//! TV estimators, N*(d, ε) and exponent fits are the next layer (issue 3); this module only
//! holds what the foundation's `randmid check` and tests need.

use crate::special::normal_mass;

use crate::error::{Error, Result, check_finite, check_positive};

/// Per-coordinate mean and (unbiased) variance of row-major `n × d` samples, reduced
/// sequentially in sample order (bitwise reproducible).
pub fn moments(samples: &[f64], d: usize) -> (Vec<f64>, Vec<f64>) {
    let n = samples.len() / d;
    let mut mean = vec![0.0; d];
    for x in samples.chunks_exact(d) {
        mean.iter_mut().zip(x).for_each(|(m, &xi)| *m += xi);
    }
    mean.iter_mut().for_each(|m| *m /= n as f64);
    let mut var = vec![0.0; d];
    for x in samples.chunks_exact(d) {
        var.iter_mut()
            .zip(x)
            .zip(&mean)
            .for_each(|((v, &xi), &m)| *v += (xi - m) * (xi - m));
    }
    var.iter_mut().for_each(|v| *v /= (n as f64 - 1.0).max(1.0));
    (mean, var)
}

/// Least-squares slope of `ln y` against `ln x` (the fitted order of an error curve
/// `y ≈ C x^p`). Points must be positive; NaN otherwise.
pub fn loglog_slope(x: &[f64], y: &[f64]) -> f64 {
    let (lx, ly): (Vec<f64>, Vec<f64>) = x.iter().zip(y).map(|(a, b)| (a.ln(), b.ln())).unzip();
    crate::scaling::fit_line(&lx, &ly, None).map_or(f64::NAN, |f| f.slope)
}

/// A 1-D Gaussian mixture `Σ_k w_k N(m_k, s_k²)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Mixture1d {
    w: Vec<f64>,
    m: Vec<f64>,
    s: Vec<f64>,
}

/// Standard normal density, 0 at ±∞.
fn phi(z: f64) -> f64 {
    if z.is_infinite() {
        0.0
    } else {
        (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt()
    }
}

/// `z φ(z)`, 0 at ±∞.
fn z_phi(z: f64) -> f64 {
    if z.is_infinite() { 0.0 } else { z * phi(z) }
}

impl Mixture1d {
    /// A mixture from weights (non-negative, summing to 1 within 1e-9), means and standard
    /// deviations.
    ///
    /// # Errors
    /// Length mismatch, empty, negative or non-finite weights, weights not summing to one,
    /// non-finite means, non-positive standard deviations.
    pub fn new(w: Vec<f64>, m: Vec<f64>, s: Vec<f64>) -> Result<Self> {
        crate::error::check_dim(w.len())?;
        crate::error::check_len("mixture means", w.len(), m.len())?;
        crate::error::check_len("mixture standard deviations", w.len(), s.len())?;
        for &wk in &w {
            crate::error::check_nonnegative("weight", wk)?;
        }
        let total: f64 = w.iter().sum();
        if (total - 1.0).abs() > 1e-9 {
            return Err(Error::InvalidParameter {
                name: "weights (sum)",
                value: total,
                expected: "summing to 1",
            });
        }
        for (&mk, &sk) in m.iter().zip(&s) {
            check_finite("mean", mk)?;
            check_positive("sd", sk)?;
        }
        Ok(Mixture1d { w, m, s })
    }

    /// A single Gaussian `N(m, s²)`.
    ///
    /// # Errors
    /// As [`Mixture1d::new`].
    pub fn gaussian(m: f64, s: f64) -> Result<Self> {
        Mixture1d::new(vec![1.0], vec![m], vec![s])
    }

    /// The law at forward time `t` of `e^{−t} X + σ_t Z` when `X` has this law: components
    /// `N(e^{−t} m_k, e^{−2t} s_k² + σ_t²)`.
    pub fn diffused(&self, t: f64) -> Mixture1d {
        let (a, s2) = (crate::process::alpha(t), crate::process::sigma2(t));
        Mixture1d {
            w: self.w.clone(),
            m: self.m.iter().map(|m| a * m).collect(),
            s: self.s.iter().map(|s| (a * a * s * s + s2).sqrt()).collect(),
        }
    }

    /// Cumulative distribution function.
    pub fn cdf(&self, x: f64) -> f64 {
        self.components()
            .map(|(w, m, s)| w * normal_mass(f64::NEG_INFINITY, (x - m) / s))
            .sum()
    }

    /// Mean `Σ w_k m_k`.
    pub fn mean(&self) -> f64 {
        self.components().map(|(w, m, _)| w * m).sum()
    }

    /// Variance `Σ w_k (s_k² + m_k²) − mean²`.
    pub fn variance(&self) -> f64 {
        let mu = self.mean();
        self.components().map(|(w, m, s)| w * (s * s + m * m)).sum::<f64>() - mu * mu
    }

    /// Quantile `F^{−1}(u)` for `u ∈ (0, 1)` by bisection to machine precision (`±∞` at 0, 1).
    pub fn quantile(&self, u: f64) -> f64 {
        if u <= 0.0 {
            return f64::NEG_INFINITY;
        }
        if u >= 1.0 {
            return f64::INFINITY;
        }
        let spread = self.s.iter().cloned().fold(0.0, f64::max);
        let (mut lo, mut hi) = (
            self.m.iter().cloned().fold(f64::INFINITY, f64::min) - 40.0 * spread,
            self.m.iter().cloned().fold(f64::NEG_INFINITY, f64::max) + 40.0 * spread,
        );
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if mid <= lo || mid >= hi {
                break;
            }
            if self.cdf(mid) < u { lo = mid } else { hi = mid }
        }
        0.5 * (lo + hi)
    }

    /// `P(a < X ≤ b)`, tail-accurate (erfc on the far side of each component); 0 if `b ≤ a`.
    pub fn mass(&self, a: f64, b: f64) -> f64 {
        if b <= a {
            return 0.0;
        }
        self.components()
            .map(|(w, m, s)| w * normal_mass((a - m) / s, (b - m) / s))
            .sum()
    }

    /// `(∫_a^b p, ∫_a^b y p(y) dy, ∫_a^b y² p(y) dy)` in closed form (a, b may be infinite).
    pub fn partial_moments(&self, a: f64, b: f64) -> (f64, f64, f64) {
        let mut acc = (0.0, 0.0, 0.0);
        for (w, m, s) in self.components() {
            let (za, zb) = ((a - m) / s, (b - m) / s);
            let mass = normal_mass(za, zb);
            let dphi = phi(za) - phi(zb);
            acc.0 += w * mass;
            acc.1 += w * (m * mass + s * dphi);
            acc.2 += w * ((m * m + s * s) * mass + 2.0 * m * s * dphi + s * s * (z_phi(za) - z_phi(zb)));
        }
        acc
    }

    /// Exact `W_2` between the empirical law of `xs` and this law:
    /// ```text
    /// W_2² = Σ_i ∫_{(i−1)/n}^{i/n} (x_(i) − F^{−1}(u))² du
    ///      = Σ_i [ x_(i)²/n − 2 x_(i) M_1(cell i) + M_2(cell i) ]
    /// ```
    /// with `M_k(cell) = ∫_{F^{−1}((i−1)/n)}^{F^{−1}(i/n)} y^k p(y) dy` in closed form. The only
    /// approximation is the bisection quantile (machine precision). Sorts a copy of `xs`.
    pub fn w2_empirical(&self, xs: &[f64]) -> f64 {
        let mut sorted = xs.to_vec();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len() as f64;
        let mut lo = f64::NEG_INFINITY;
        let mut total = 0.0;
        for (i, &x) in sorted.iter().enumerate() {
            let hi = self.quantile((i + 1) as f64 / n);
            let (_, m1, m2) = self.partial_moments(lo, hi);
            total += x * x / n - 2.0 * x * m1 + m2;
            lo = hi;
        }
        total.max(0.0).sqrt()
    }

    fn components(&self) -> impl Iterator<Item = (f64, f64, f64)> + '_ {
        self.w.iter().zip(&self.m).zip(&self.s).map(|((&w, &m), &s)| (w, m, s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loglog_slope_recovers_a_planted_power() {
        let x = [0.1, 0.2, 0.4, 0.8];
        let y: Vec<f64> = x.iter().map(|v: &f64| 3.0 * v.powf(1.5)).collect();
        assert!((loglog_slope(&x, &y) - 1.5).abs() < 1e-12);
    }

    #[test]
    fn moments_of_known_rows() {
        let xs = [1.0, 10.0, 3.0, 20.0, 5.0, 30.0];
        let (m, v) = moments(&xs, 2);
        assert_eq!(m, vec![3.0, 20.0]);
        assert_eq!(v, vec![4.0, 100.0]);
    }

    #[test]
    fn partial_moments_total_match_closed_form() {
        let mix = Mixture1d::new(vec![0.3, 0.7], vec![-2.0, 1.5], vec![0.5, 1.2]).unwrap();
        let (m0, m1, m2) = mix.partial_moments(f64::NEG_INFINITY, f64::INFINITY);
        assert!((m0 - 1.0).abs() < 1e-15);
        assert!((m1 - mix.mean()).abs() < 1e-14);
        assert!((m2 - (mix.variance() + mix.mean().powi(2))).abs() < 1e-13);
    }

    #[test]
    fn quantile_inverts_cdf() {
        let mix = Mixture1d::new(vec![0.5, 0.5], vec![-3.0, 3.0], vec![0.3, 0.3]).unwrap();
        for &u in &[1e-9, 0.01, 0.3, 0.5, 0.77, 0.999999] {
            assert!((mix.cdf(mix.quantile(u)) - u).abs() < 1e-13, "u={u}");
        }
    }

    #[test]
    fn w2_of_a_point_mass_is_the_rms_distance() {
        // all samples at c: W2² = E(X − c)² = Var + (mean − c)² exactly.
        let mix = Mixture1d::new(vec![0.4, 0.6], vec![-1.0, 2.0], vec![0.7, 0.4]).unwrap();
        let c = 0.3;
        let xs = vec![c; 37];
        let exact = (mix.variance() + (mix.mean() - c).powi(2)).sqrt();
        assert!((mix.w2_empirical(&xs) - exact).abs() < 1e-12);
    }

    #[test]
    fn w2_matches_fine_quadrature_in_u() {
        // independent oracle: midpoint rule in u with 2e6 cells on (F_n^{-1}(u) − F^{-1}(u))².
        let g = Mixture1d::gaussian(0.5, 1.3).unwrap();
        let xs = [-0.4, 2.0, 0.1, 1.7, -1.9, 0.6, 0.55];
        let mut sorted = xs.to_vec();
        sorted.sort_by(f64::total_cmp);
        let cells = 400_000;
        let mut acc = 0.0;
        for j in 0..cells {
            let u = (j as f64 + 0.5) / cells as f64;
            let xi = sorted[((u * xs.len() as f64) as usize).min(xs.len() - 1)];
            acc += (xi - g.quantile(u)).powi(2);
        }
        let quad = (acc / cells as f64).sqrt();
        // midpoint error is dominated by the tail cells: ≲ 1e-4 here.
        assert!(
            (g.w2_empirical(&xs) - quad).abs() < 2e-4,
            "{} vs {quad}",
            g.w2_empirical(&xs)
        );
    }
}
