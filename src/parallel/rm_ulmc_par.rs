//! Shen–Lee's parallel randomized-midpoint ULMC (SL19 Algorithm 2, paper.md §6.1.2) for general
//! friction γ, in the parametrization of [`rm_ulmc_step`](crate::sampler::rm_ulmc::rm_ulmc_step)
//! (`dX = V dτ`, `dV = −γV dτ + s(X) dτ + √(2γ) dB`).
//!
//! One step of length `h`: `R` stratified midpoints `a_i = α_i h`, `α_i = (i + u_i)/R`, and
//! the Brownian path sampled at `0 < a_0 < … < a_{R−1} < h` once, fixed across Picard rounds.
//! The path enters only through the noise of the free OU flow of `(X, V)` over each of the `R + 1`
//! intervals, which is exactly ULMC's pair `(ξ^x, ξ^v)` for that interval length (paper.md §2.2;
//! `√(2γ)/γ·W₁(a) = ξ^x` of `[0, a]`, `√(2γ)/γ·W₂` and `√(2γ)W₃` the position and velocity noise
//! at `h`). The node map is a scan of free [`ulmc_update`] steps (`g = 0`) with velocity
//! impulses `(h/R) g_i` at the nodes:
//! ```text
//! (P, Q) = (x, v)
//! for i = 0..R−1:  (P, Q) ← free flow over [a_{i−1}, a_i] with its noise;
//!                  y_i = P + force(a_i − ih/R) · g_{i−1}      (g_{−1} = g₀ = s_t(x))
//!                  Q ← Q + (h/R) g_i
//! (x', v') = free flow of (P, Q) over [a_{R−1}, h] with its noise
//! ```
//! so that `y_i = x + vel(a_i) v + Σ_{j<i} (h/R) vel(a_i − a_j) g_j + …`,
//! `x' = x + vel(h) v + Σ_j (h/R) vel(h − a_j) g_j + …` and
//! `v' = e^{−γh} v + Σ_j (h/R) e^{−γ(h − a_j)} g_j + …` — SL19 Algorithm 2 with `γ = 2`, `u = 1`.
//!
//! **Reconstructed** (paper.md §6.1.2 is RECALL med): the partial cell `[ih/R, a_i]` is added
//! with the previous node's score frozen (`force` is the OU double integral, [`OuFlow`]); SL19's
//! sums omit it. With it, `R = 1, K = 0` is SL19 Algorithm 1 (same law; the path is drawn as two
//! interval increments instead of the 3×3 Cholesky), and the system is strictly causal.

use super::picard::{NodeMap, PicardWork, solve};
use crate::sampler::ulmc::{OuFlow, UlmcCoeffs, ulmc_update};
use crate::target::Score;

/// Buffers of [`rm_ulmc_par_step`] (allocated once per trajectory).
#[derive(Debug, Clone, Default)]
pub struct RmUlmcParWork {
    /// The Picard solve.
    pub picard: PicardWork,
    alpha: Vec<f64>,
    flows: Vec<UlmcCoeffs>,
    partial: Vec<f64>,
    zero: Vec<f64>,
}

/// The node system of one step.
struct RmUlmcParMap<'a> {
    t: f64,
    h: f64,
    x: &'a [f64],
    v: &'a [f64],
    z: &'a [f64],
    flows: &'a [UlmcCoeffs],
    partial: &'a [f64],
    zero: &'a [f64],
}

impl RmUlmcParMap<'_> {
    /// Free flow with noise over interval `k`.
    fn flow(&self, k: usize, p: &mut [f64], q: &mut [f64]) {
        let d = self.x.len();
        let z = &self.z[2 * k * d..2 * (k + 1) * d];
        ulmc_update(&self.flows[k], p, q, self.zero, &z[..d], &z[d..]);
    }

    /// The scan through all nodes, calling `node(i, P(a_i))` before node `i`'s impulse; leaves
    /// `(P, Q)` just after the last impulse.
    fn scan(&self, g: &[f64], p: &mut [f64], q: &mut [f64], mut node: impl FnMut(usize, &[f64])) {
        let d = self.x.len();
        let w = self.h / self.partial.len() as f64;
        p.copy_from_slice(self.x);
        q.copy_from_slice(self.v);
        for (i, gi) in g.chunks_exact(d).enumerate() {
            self.flow(i, p, q);
            node(i, p);
            for (qk, &gk) in q.iter_mut().zip(gi) {
                *qk += w * gk;
            }
        }
    }
}

impl NodeMap for RmUlmcParMap<'_> {
    fn nodes(&self) -> usize {
        self.partial.len()
    }
    fn node_time(&self, _i: usize) -> f64 {
        self.t
    }
    fn positions(&self, g0: &[f64], g: &[f64], y: &mut [f64], scratch: &mut [Vec<f64>; 2]) {
        let d = self.x.len();
        let [p, q] = scratch;
        self.scan(g, p, q, |i, pi| {
            let gp = if i == 0 { g0 } else { &g[(i - 1) * d..i * d] };
            let c = self.partial[i];
            for ((yk, &pk), &gk) in y[i * d..(i + 1) * d].iter_mut().zip(pi).zip(gp) {
                *yk = pk + c * gk;
            }
        });
    }
}

/// One parallel Shen–Lee step at frozen forward time `t`, in place on `(x, v)`, with friction
/// `gamma`, step `h`, the `R = uniforms.len() ≥ 1` stratum offsets `u_i ∈ [0, 1)`, `picard`
/// Picard rounds, and the pre-sampled standard normals `z` (row-major `2(R + 1) × d`: `z^x, z^v`
/// of interval `0`, then interval `1`, …). Score calls: 1 anchor evaluation, then `picard + 1`
/// rounds of width `R`. Residuals are left in `w.picard.residuals`.
#[allow(clippy::too_many_arguments)]
pub fn rm_ulmc_par_step<S: Score + ?Sized>(
    score: &S,
    t: f64,
    gamma: f64,
    h: f64,
    uniforms: &[f64],
    picard: usize,
    x: &mut [f64],
    v: &mut [f64],
    z: &[f64],
    w: &mut RmUlmcParWork,
) {
    let (r, d) = (uniforms.len(), x.len());
    let rf = r as f64;
    w.alpha.clear();
    w.alpha
        .extend(uniforms.iter().enumerate().map(|(i, &u)| (i as f64 + u) / rf));
    w.flows.clear();
    w.partial.clear();
    let mut prev = 0.0;
    for (i, &a) in w.alpha.iter().enumerate() {
        w.flows.push(UlmcCoeffs::compute(gamma, (a - prev).max(0.0) * h));
        w.partial
            .push(OuFlow::new(gamma, (a - i as f64 / rf).max(0.0) * h).force);
        prev = a;
    }
    w.flows.push(UlmcCoeffs::compute(gamma, (1.0 - prev).max(0.0) * h));
    w.zero.clear();
    w.zero.resize(d, 0.0);
    let map = RmUlmcParMap {
        t,
        h,
        x,
        v,
        z,
        flows: &w.flows,
        partial: &w.partial,
        zero: &w.zero,
    };
    solve(&map, score, t, x, picard, &mut w.picard);
    let [p, q] = &mut w.picard.scratch;
    map.scan(&w.picard.g, p, q, |_, _| {});
    map.flow(r, p, q);
    x.copy_from_slice(p);
    v.copy_from_slice(q);
}
