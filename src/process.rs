//! The forward Ornstein–Uhlenbeck process and the score/noise/data conversions.
//!
//! Convention of the paper (paper.md §1.1, CCL+23a):
//! ```text
//! dX_t = −X_t dt + √2 dB_t,   X_t = α_t X_0 + σ_t Z,   α_t = e^{−t},   σ_t² = 1 − e^{−2t}
//! probability-flow ODE, reverse time τ = T − t:   dY/dτ = Y + ∇ln q_{T−τ}(Y)
//! ```

/// `α_t = e^{−t}`, the signal coefficient of `q_t`.
pub fn alpha(t: f64) -> f64 {
    (-t).exp()
}

/// `σ_t² = 1 − e^{−2t}`, computed with `expm1` so it is accurate for small `t`.
pub fn sigma2(t: f64) -> f64 {
    -(-2.0 * t).exp_m1()
}

/// `σ_t = √(1 − e^{−2t})`.
pub fn sigma(t: f64) -> f64 {
    sigma2(t).sqrt()
}

/// Noise prediction from a score: `ε = −σ_t · s` (in place over a slice).
pub fn eps_from_score(t: f64, score: &[f64], eps: &mut [f64]) {
    let s = sigma(t);
    for (e, &g) in eps.iter_mut().zip(score) {
        *e = -s * g;
    }
}

/// Score from a noise prediction: `s = −ε / σ_t`.
pub fn score_from_eps(t: f64, eps: &[f64], score: &mut [f64]) {
    let s = sigma(t);
    for (g, &e) in score.iter_mut().zip(eps) {
        *g = -e / s;
    }
}

/// Data prediction (Tweedie) from a score: `x̂₀ = (x + σ_t² s) / α_t`.
pub fn x0_from_score(t: f64, x: &[f64], score: &[f64], x0: &mut [f64]) {
    let (a, s2) = (alpha(t), sigma2(t));
    for ((o, &xi), &g) in x0.iter_mut().zip(x).zip(score) {
        *o = (xi + s2 * g) / a;
    }
}

/// Score from a data prediction: `s = (α_t x̂₀ − x) / σ_t²`.
pub fn score_from_x0(t: f64, x: &[f64], x0: &[f64], score: &mut [f64]) {
    let (a, s2) = (alpha(t), sigma2(t));
    for ((g, &xi), &x0i) in score.iter_mut().zip(x).zip(x0) {
        *g = (a * x0i - xi) / s2;
    }
}

/// Diffuses a data point to time `t` with the given standard normal draw:
/// `x_t = α_t x₀ + σ_t z` (in place).
pub fn diffuse(t: f64, x0: &mut [f64], z: &[f64]) {
    crate::kernels::lincomb_in_place(x0, alpha(t), sigma(t), z);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::{Gaussian, Score};

    #[test]
    fn conversions_round_trip_and_match_gaussian_closed_forms() {
        // data N(m, v): E[X0 | X_t = x] = m + v α (x − α m)/(α² v + σ²), the Tweedie form of the score.
        let (m, v, t) = (0.7, 2.5, 0.4);
        let g = Gaussian::isotropic(3, m, v).unwrap();
        let x = [0.1, -1.3, 2.2];
        let mut s = [0.0; 3];
        g.score(t, &x, &mut s);
        let (mut x0, mut eps, mut back) = ([0.0; 3], [0.0; 3], [0.0; 3]);
        x0_from_score(t, &x, &s, &mut x0);
        let (a, s2) = (alpha(t), sigma2(t));
        for i in 0..3 {
            let post = m + v * a * (x[i] - a * m) / (a * a * v + s2);
            assert!((x0[i] - post).abs() < 1e-14);
        }
        score_from_x0(t, &x, &x0, &mut back);
        eps_from_score(t, &s, &mut eps);
        for i in 0..3 {
            assert!((back[i] - s[i]).abs() < 1e-13);
        }
        score_from_eps(t, &eps, &mut back);
        for i in 0..3 {
            assert!((back[i] - s[i]).abs() < 1e-14);
        }
        // 1 − e^{−2t} = 2t − 2t² + …: relative error 1e-12 at t = 1e-12, which a plain 1 − exp(−2t) misses by ~1e-4.
        assert!(
            (sigma2(1e-12) / 2e-12 - 1.0).abs() < 1e-11,
            "expm1 keeps small-t accuracy"
        );
    }
}
