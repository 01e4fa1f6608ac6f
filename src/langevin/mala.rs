//! The Metropolis-adjusted Langevin algorithm (Roberts & Tweedie 1996): a ULA proposal accepted
//! with the Metropolis–Hastings probability, so `π` is exactly invariant.

use crate::potential::Potential;

/// MALA's cached state: `f(x)`, `∇f(x)`, and scratch for the proposal (no allocation per step).
#[derive(Debug, Clone)]
pub struct MalaState {
    /// `f` at the current point.
    pub fx: f64,
    /// `∇f` at the current point.
    pub gx: Vec<f64>,
    /// Standard normals of the next proposal (filled by the caller).
    pub z: Vec<f64>,
    y: Vec<f64>,
    gy: Vec<f64>,
}

impl MalaState {
    /// The state at `x` (1 gradient).
    pub fn new(f: &dyn Potential, x: &[f64]) -> Self {
        let d = x.len();
        let mut gx = vec![0.0; d];
        let fx = f.value_grad(x, &mut gx);
        MalaState {
            fx,
            gx,
            z: vec![0.0; d],
            y: vec![0.0; d],
            gy: vec![0.0; d],
        }
    }
}

/// One MALA step, in place on `x`, with the proposal normals in `state.z` and the uniform `u`
/// given by the caller; returns whether the proposal was accepted. 1 gradient.
/// ```text
/// y = x − h ∇f(x) + √(2h) z
/// ln a = f(x) − f(y) + (|y − x + h∇f(x)|² − |x − y + h∇f(y)|²) / (4h)
/// accept iff ln u < ln a
/// ```
/// A non-finite `f(y)` is rejected.
pub fn mala_step(f: &dyn Potential, h: f64, x: &mut [f64], u: f64, state: &mut MalaState) -> bool {
    let s = (2.0 * h).sqrt();
    for (((yi, xi), gi), zi) in state.y.iter_mut().zip(x.iter()).zip(&state.gx).zip(&state.z) {
        *yi = xi - h * gi + s * zi;
    }
    let fy = f.value_grad(&state.y, &mut state.gy);
    let (mut fwd, mut bwd) = (0.0, 0.0);
    for (((yi, xi), gx), gy) in state.y.iter().zip(x.iter()).zip(&state.gx).zip(&state.gy) {
        let a = yi - xi + h * gx;
        let b = xi - yi + h * gy;
        fwd += a * a;
        bwd += b * b;
    }
    let log_a = state.fx - fy + (fwd - bwd) / (4.0 * h);
    let accept = fy.is_finite() && u.ln() < log_a;
    if accept {
        x.copy_from_slice(&state.y);
        std::mem::swap(&mut state.gx, &mut state.gy);
        state.fx = fy;
    }
    accept
}
