//! The unadjusted Langevin algorithm (Euler–Maruyama for `dX = −∇f(X) dt + √2 dB`).

use crate::potential::Potential;

/// One ULA step, in place, with the standard normals `z` given by the caller:
/// ```text
/// x' = x − h ∇f(x) + √(2h) z
/// ```
/// 1 gradient. On `f = λx²/2` the stationary variance is `1/(λ(1 − λh/2))`, a relative bias of
/// `λh/2 + O(h²)` (first order). `g` is scratch of length `d`; allocates nothing.
pub fn ula_step(f: &dyn Potential, h: f64, x: &mut [f64], z: &[f64], g: &mut [f64]) {
    f.grad(x, g);
    let s = (2.0 * h).sqrt();
    for ((xi, gi), zi) in x.iter_mut().zip(g.iter()).zip(z) {
        *xi += -h * gi + s * zi;
    }
}
