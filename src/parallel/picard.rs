//! The Picard engine shared by the parallel samplers: a strictly causal node system
//! `y = Φ(g₀, g)` solved by `K` rounds of batched score evaluations (tv-methodology §3.1, §4.5).
//!
//! ```text
//! g₀ = s_{t₀}(x)                                      anchor round (width 1)
//! y⁽⁰⁾ = Φ(g₀; g₀, …, g₀)                             frozen-anchor guess
//! for k = 1..K:  g_j = s_{t_j}(y_j⁽ᵏ⁻¹⁾) ∀j,  y⁽ᵏ⁾ = Φ(g₀; g)   Picard rounds (width R)
//!                residual_k = max_{j, coord} |y⁽ᵏ⁾ − y⁽ᵏ⁻¹⁾|
//! g_j = s_{t_j}(y_j⁽ᴷ⁾) ∀j                              final round (width R)
//! ```
//! Strict causality (node `i` reads `g₀` and `g_j` for `j < i` only) makes node `i` exact after
//! `i` rounds, so `K ≥ R − 1` gives the sequential forward substitution [`solve_sequential`]. The
//! map in the continuous limit contracts like `L·h` per round (tv-methodology §4.5), so far fewer
//! rounds usually suffice.

use crate::target::Score;

/// A strictly causal node system of one parallel step.
pub trait NodeMap {
    /// Number of nodes `R` (0 is allowed: the step is then its anchor evaluation and output).
    fn nodes(&self) -> usize;
    /// Forward time at which node `i`'s score is evaluated.
    fn node_time(&self, i: usize) -> f64;
    /// Writes all node positions `y` (row-major `R × d`) from the anchor score `g0` and the node
    /// scores `g` (row-major `R × d`). Node `i` must read only `g0` and rows `j < i` of `g`.
    /// `scratch` holds two length-`d` buffers for the scan.
    fn positions(&self, g0: &[f64], g: &[f64], y: &mut [f64], scratch: &mut [Vec<f64>; 2]);
}

/// Buffers of one Picard solve (allocated once per trajectory, resized on first use).
#[derive(Debug, Clone, Default)]
pub struct PicardWork {
    /// Anchor score `g₀` (length `d`).
    pub g0: Vec<f64>,
    /// Node scores at the final positions (`R × d`).
    pub g: Vec<f64>,
    /// Node positions (`R × d`).
    pub y: Vec<f64>,
    /// Previous positions, for the residuals (`R × d`).
    pub y_prev: Vec<f64>,
    /// Node times (length `R`).
    pub times: Vec<f64>,
    /// Scan buffers.
    pub scratch: [Vec<f64>; 2],
    /// Picard residuals of the last solve, `residual_k` for `k = 1..K` (sup-norm over nodes and
    /// coordinates of the change made by round `k`).
    pub residuals: Vec<f64>,
}

impl PicardWork {
    fn fit(&mut self, nodes: usize, d: usize) {
        self.g0.resize(d, 0.0);
        for b in [&mut self.g, &mut self.y, &mut self.y_prev] {
            b.resize(nodes * d, 0.0);
        }
        self.times.resize(nodes, 0.0);
        for b in &mut self.scratch {
            b.resize(d, 0.0);
        }
        self.residuals.clear();
    }
}

/// Solves `map` from the anchor `x` at time `t0` with `picard` Picard rounds; on return `w.g0`
/// and `w.g` hold the anchor score and the node scores at the final node positions `w.y`, and
/// `w.residuals` the per-round residuals. Score calls: one [`Score::score`] (anchor) and
/// `picard + 1` [`Score::round`] calls of width `R` (none if `R = 0`).
pub fn solve<M: NodeMap + ?Sized, S: Score + ?Sized>(
    map: &M,
    score: &S,
    t0: f64,
    x: &[f64],
    picard: usize,
    w: &mut PicardWork,
) {
    let (r, d) = (map.nodes(), x.len());
    w.fit(r, d);
    score.score(t0, x, &mut w.g0);
    if r == 0 {
        return;
    }
    for (i, t) in w.times.iter_mut().enumerate() {
        *t = map.node_time(i);
    }
    for row in w.g.chunks_exact_mut(d) {
        row.copy_from_slice(&w.g0);
    }
    map.positions(&w.g0, &w.g, &mut w.y, &mut w.scratch);
    for _ in 0..picard {
        score.round(&w.times, &w.y, &mut w.g);
        std::mem::swap(&mut w.y, &mut w.y_prev);
        map.positions(&w.g0, &w.g, &mut w.y, &mut w.scratch);
        let res =
            w.y.iter()
                .zip(&w.y_prev)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f64::max);
        w.residuals.push(res);
    }
    score.round(&w.times, &w.y, &mut w.g);
}

/// The sequential scheme the Picard iteration converges to: forward substitution, node by node
/// (`R + 1` rounds of width 1). The reference for the equivalence tests; same outputs as
/// [`solve`].
pub fn solve_sequential<M: NodeMap + ?Sized, S: Score + ?Sized>(
    map: &M,
    score: &S,
    t0: f64,
    x: &[f64],
    w: &mut PicardWork,
) {
    let (r, d) = (map.nodes(), x.len());
    w.fit(r, d);
    score.score(t0, x, &mut w.g0);
    w.g.fill(0.0);
    for i in 0..r {
        // rows ≥ i of g are still unknown; causality keeps them out of node i
        map.positions(&w.g0, &w.g, &mut w.y, &mut w.scratch);
        let (y, g) = (&w.y[i * d..(i + 1) * d], &mut w.g[i * d..(i + 1) * d]);
        score.score(map.node_time(i), y, g);
    }
}
