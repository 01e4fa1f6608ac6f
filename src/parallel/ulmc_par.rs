//! ACV24's parallel ULMC (Anari, Chewi & Vuong 2024; paper.md §2.5, §6.3): one coarse step of
//! length `H` split into `M` cells of `δ = H/M`, the Brownian path pre-sampled once per coarse
//! step and fixed across Picard rounds, so that the fixed point is sequential exponential-
//! integrator ULMC with step `δ` driven by the same normals.
//!
//! Nodes are the interior fine-grid positions `X_1 … X_{M−1}` (`R = M − 1`); the anchor is
//! `X_0 = x` with `g₀ = s_t(x)`. The node map is the sequential scan itself, one
//! [`ulmc_update`] per cell with the scores of the previous round frozen:
//! ```text
//! (X_0, V_0) = (x, v);   (X_{m+1}, V_{m+1}) = ulmc_update_δ(X_m, V_m; g_m, z^x_m, z^v_m)
//! g_0 = s_t(x),  g_m = s_t(X_m⁽ᵏ⁻¹⁾)  (m ≥ 1);   output (X_M, V_M)
//! ```
//! Cell `m` reads only `g_0 … g_m`, so the system is strictly causal: `K ≥ M − 2` Picard rounds
//! (plus the anchor and final rounds, `M` rounds in all) reproduce sequential ULMC bit for bit.
//! ACV initialize all nodes at `x`; the frozen-anchor guess used here (the first scan with
//! `g_m = g₀`) is what their second round computes, so the round counts agree.

use super::picard::{NodeMap, PicardWork, solve};
use crate::sampler::ulmc::{UlmcCoeffs, ulmc_update};
use crate::target::Score;

/// The node system of one coarse step.
struct UlmcParMap<'a> {
    t: f64,
    fine: &'a UlmcCoeffs,
    cells: usize,
    x: &'a [f64],
    v: &'a [f64],
    z: &'a [f64],
}

impl UlmcParMap<'_> {
    /// Runs the scan over cells `0..upto`, calling `node(m, X_{m+1})` after each cell.
    fn scan(
        &self,
        g0: &[f64],
        g: &[f64],
        upto: usize,
        p: &mut [f64],
        q: &mut [f64],
        mut node: impl FnMut(usize, &[f64]),
    ) {
        let d = self.x.len();
        p.copy_from_slice(self.x);
        q.copy_from_slice(self.v);
        for m in 0..upto {
            let gm = if m == 0 { g0 } else { &g[(m - 1) * d..m * d] };
            let z = &self.z[2 * m * d..2 * (m + 1) * d];
            ulmc_update(self.fine, p, q, gm, &z[..d], &z[d..]);
            node(m, p);
        }
    }
}

impl NodeMap for UlmcParMap<'_> {
    fn nodes(&self) -> usize {
        self.cells.saturating_sub(1)
    }
    fn node_time(&self, _i: usize) -> f64 {
        self.t
    }
    fn positions(&self, g0: &[f64], g: &[f64], y: &mut [f64], scratch: &mut [Vec<f64>; 2]) {
        let d = self.x.len();
        let [p, q] = scratch;
        self.scan(g0, g, self.cells.saturating_sub(1), p, q, |m, pm| {
            y[m * d..(m + 1) * d].copy_from_slice(pm)
        });
    }
}

/// One ACV24 coarse step at frozen forward time `t`, in place on `(x, v)`: `cells = M ≥ 1`
/// cells with the fine coefficients `fine = UlmcCoeffs(γ, H/M)`, `picard` Picard rounds, and the
/// pre-sampled standard normals `z` (row-major `2M × d`: `z^x_0, z^v_0, z^x_1, …`, the order in
/// which sequential ULMC draws them). Score calls: 1 anchor evaluation, then `picard + 1` rounds
/// of width `M − 1` (none when `M = 1`, which is one plain ULMC step). Residuals are left in
/// `w.residuals`.
#[allow(clippy::too_many_arguments)]
pub fn ulmc_par_step<S: Score + ?Sized>(
    score: &S,
    t: f64,
    fine: &UlmcCoeffs,
    cells: usize,
    picard: usize,
    x: &mut [f64],
    v: &mut [f64],
    z: &[f64],
    w: &mut PicardWork,
) {
    let map = UlmcParMap {
        t,
        fine,
        cells,
        x,
        v,
        z,
    };
    solve(&map, score, t, x, picard, w);
    let [p, q] = &mut w.scratch;
    map.scan(&w.g0, &w.g, cells, p, q, |_, _| {});
    x.copy_from_slice(p);
    v.copy_from_slice(q);
}
