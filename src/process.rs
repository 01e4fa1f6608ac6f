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
    let (a, s) = (alpha(t), sigma(t));
    for (x, &zi) in x0.iter_mut().zip(z) {
        *x = a * *x + s * zi;
    }
}
