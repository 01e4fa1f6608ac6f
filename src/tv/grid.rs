//! Grid push-forward TV for PF-ODE predictors on i.i.d. product targets with non-Gaussian
//! coordinates (e.g. the bimodal product).
//!
//! With a coordinate-wise score and a deterministic predictor (EI, or RM given its α-path, α
//! shared by all coordinates as in the paper), every coordinate goes through the same monotone
//! 1-D map `F_α`. The output law given α is therefore the product of the push-forwards of the
//! start law `ν_T` by `F_α`, with density
//! ```text
//! p_α(y) = Π_i ν_T(u_i) / F_α'(u_i),   u_i = F_α^{−1}(y_i)
//! ```
//! and the sampler's law is the α-mixture `E_α p_α`; its TV to `π = ν_δ^{⊗d}` is estimated by the
//! nested estimator ([`super::nested`]).
//!
//! `F_α` is computed by running the real step functions (with the path's α's) on `G` start points
//! `u_j` covering the start law's mean ± `W` sd. The nodes are equidistributed in the arc length
//! `∫ √((du/s_u)² + (dy/s_y)²)` (two passes from a uniform pilot grid), so they are dense where
//! the map is steep — between the modes of a bimodal target the map stretches the start law by
//! factors of hundreds, and a uniform `u` grid leaves gaps of several output sd there. `F_α'`
//! comes from 5-point Lagrange differentiation on the nodes (O(Δ⁴)), and `ln p_α(y)` from 4-point
//! Lagrange interpolation in `y` of the tabulated `ln ν_T(u_j) − ln F'(u_j)` (O(Δ⁴)). Points
//! outside the mapped range get density 0. The tests measure the interpolation error against the
//! exact Gaussian path law and the convergence in `G` on the bimodal target.
//!
//! The estimator refuses maps that are not strictly increasing on the grid (a coarse step on a
//! stiff score can fold the line; the push-forward then has no such density formula), stochastic
//! stages (SDE, correctors), and targets that are not i.i.d. products.

use std::sync::OnceLock;

use super::nested::{NestedConfig, NestedTv, nested};
use crate::driver::Start;
use crate::error::{Error, Result};
use crate::rng::{SampleRng, stream_rng};
use crate::sampler::{OdeKind, Sampler, Stage, StagedSampler};
use crate::target::{Law1d, Product, Target};

/// The estimator's name in errors.
const ESTIMATOR: &str = "grid push-forward";

/// An i.i.d. product problem for the grid estimator.
#[derive(Debug, Clone)]
pub struct GridProblem {
    /// The data law of every coordinate.
    pub law: Law1d,
    /// Dimension `d`.
    pub dim: usize,
    /// Start law at `T`: exact `ν_T` or `N(0, 1)` per coordinate.
    pub start: Start,
    /// Grid size `G` (default 2001).
    pub points: usize,
    /// Half-width `W` of the grid in start-law standard deviations (default 12).
    pub half_width: f64,
}

impl GridProblem {
    /// A problem with the default grid (`G = 4001`, `W = 12`).
    pub fn new(law: Law1d, dim: usize, start: Start) -> Self {
        GridProblem {
            law,
            dim,
            start,
            points: 4001,
            half_width: 12.0,
        }
    }
}

/// One α-path's coordinate map: nodes `y_j = F_α(u_j)` (increasing) with `ln p_α(y_j)`.
///
/// What is interpolated is the log-ratio `r(y) = ln p_α(y) − ln ν_δ(y)` to the reference
/// coordinate law (exact at the nodes): it is small and smooth where the sampler is accurate, so
/// its interpolation error is far below that of `ln p_α` itself, and the nested estimator needs
/// no per-coordinate reference density. The table is **normalized** so that the interpolated
/// density integrates to 1 over the mapped range: a relative error η in the mass of `p̂` would
/// enter the d-fold sum as `d·η` (a bias growing like d while TV grows like √d; at d = 16,384
/// an unnormalized G = 2001 table gave TV 0.099 against a converged 0.153). After
/// normalization the first-order error cancels (`E_p[e] ≈ 0`) and what remains is second order.
/// Tabulated for fast evaluation: for every interval
/// `[y_j, y_{j+1})` the 4-point Lagrange interpolant through the stencil `j−1 … j+2` (clamped at
/// the ends) in Newton form, and a uniform bucket index over `y` that finds the interval in O(1)
/// on average.
#[derive(Debug, Clone)]
pub struct PathMap {
    y: Vec<f64>,
    log_p: Vec<f64>,
    /// Reference law `ν_δ` of one coordinate (law, time).
    reference: (Law1d, f64),
    /// Per interval: the stencil's first three nodes and the Newton divided differences.
    newton: Vec<[f64; 7]>,
    /// `bucket[k]`: the interval containing `y_0 + k·(y_{G−1} − y_0)/K`.
    bucket: Vec<u32>,
    inv_width: f64,
    log_z: f64,
}

impl PathMap {
    fn new(y: Vec<f64>, log_p: Vec<f64>, reference: (Law1d, f64)) -> Self {
        let g = y.len();
        let ratio: Vec<f64> = y
            .iter()
            .zip(&log_p)
            .map(|(&v, &l)| l - log_density_1d(reference, v))
            .collect();
        let mut newton: Vec<[f64; 7]> = (0..g - 1)
            .map(|j| {
                let j0 = j.saturating_sub(1).min(g - 4);
                newton_cubic(&y[j0..j0 + 4], &ratio[j0..j0 + 4])
            })
            .collect();
        let log_z = log_mass(&y, &newton, reference);
        for c in &mut newton {
            c[3] -= log_z;
        }
        let k = 4 * g;
        let inv_width = k as f64 / (y[g - 1] - y[0]);
        let bucket = (0..=k)
            .map(|b| {
                let v = y[0] + b as f64 / inv_width;
                (y.partition_point(|&w| w <= v).clamp(1, g - 1) - 1) as u32
            })
            .collect();
        PathMap {
            y,
            log_p,
            reference,
            newton,
            bucket,
            inv_width,
            log_z,
        }
    }

    /// `ln ∫ p̂_α`: the log-mass of the tabulated density before normalization (0 for an exact
    /// table). The stored log-ratio is normalized by it, see [`PathMap`].
    pub fn log_normalization(&self) -> f64 {
        self.log_z
    }

    /// The tabulated nodes `(y_j, ln p_α(y_j))`.
    pub fn nodes(&self) -> (&[f64], &[f64]) {
        (&self.y, &self.log_p)
    }

    /// `ln p_α(y)` of one coordinate (−∞ outside the mapped range): the interpolated log-ratio
    /// plus the exact `ln ν_δ(y)`.
    pub fn log_density(&self, y: f64) -> f64 {
        self.log_ratio(y) + log_density_1d(self.reference, y)
    }

    /// `ln(p_α(y)/ν_δ(y))` of one coordinate (−∞ outside the mapped range), by 4-point Lagrange
    /// interpolation in `y` on the (non-uniform) nodes.
    pub fn log_ratio(&self, y: f64) -> f64 {
        let g = self.y.len();
        if !(y >= self.y[0] && y <= self.y[g - 1]) {
            return f64::NEG_INFINITY;
        }
        let mut j = self.first_node(y);
        while j + 2 < g && self.y[j + 1] <= y {
            j += 1;
        }
        self.eval(j, y)
    }

    /// A node index `j ≤` the interpolation node of `y ∈ [y_0, y_{G−1}]` (0 for `y` outside or
    /// NaN): the first node of `y`'s bucket, where the forward walk starts.
    fn first_node(&self, y: f64) -> usize {
        let b = (((y - self.y[0]) * self.inv_width) as usize).min(self.bucket.len() - 1);
        if y >= self.y[0] { self.bucket[b] as usize } else { 0 }
    }

    /// `Σ_i ln(p_α(y_i)/ν_δ(y_i))` for coordinates sorted in increasing order: one merge-like
    /// walk over the nodes (O(d + G), no search), equal to summing [`PathMap::log_ratio`].
    pub fn sum_log_ratio_sorted(&self, ys: &[f64]) -> f64 {
        debug_assert!(ys.windows(2).all(|w| w[0] <= w[1]));
        let g = self.y.len();
        let (lo, hi) = (self.y[0], self.y[g - 1]);
        let mut j = ys.first().map_or(0, |&y| self.first_node(y));
        let mut acc = 0.0;
        for &y in ys {
            if !(y >= lo && y <= hi) {
                return f64::NEG_INFINITY;
            }
            while j + 2 < g && self.y[j + 1] <= y {
                j += 1;
            }
            acc += self.eval(j, y);
        }
        acc
    }

    /// The interval-`j` cubic at `y`.
    #[inline]
    fn eval(&self, j: usize, y: f64) -> f64 {
        let [x0, x1, x2, c0, c1, c2, c3] = self.newton[j];
        c0 + (y - x0) * (c1 + (y - x1) * (c2 + (y - x2) * c3))
    }
}

/// `ln ∫ p̂` of the interpolated density `p̂ = exp(r̂ + ln ν_δ)` over the mapped range: 8-point
/// Gauss–Legendre on every interval (the integrand is smooth there), summed in node order.
fn log_mass(y: &[f64], newton: &[[f64; 7]], reference: (Law1d, f64)) -> f64 {
    let (nodes, weights) = crate::quad::gauss_legendre(8);
    let mut mass = 0.0;
    for (j, c) in newton.iter().enumerate() {
        let (a, w) = (y[j], y[j + 1] - y[j]);
        let [x0, x1, x2, c0, c1, c2, c3] = *c;
        for (t, wt) in nodes.iter().zip(&weights) {
            let v = a + w * t;
            let r = c0 + (v - x0) * (c1 + (v - x1) * (c2 + (v - x2) * c3));
            mass += w * wt * (r + log_density_1d(reference, v)).exp();
        }
    }
    mass.ln()
}

/// `ln ν_t(y)` of one coordinate law (−∞ where it has no closed form).
fn log_density_1d((law, t): (Law1d, f64), y: f64) -> f64 {
    law.log_density_t(t, y).unwrap_or(f64::NEG_INFINITY)
}

/// Newton form of the cubic through four points: `[x0, x1, x2, f[x0], f[x0,x1], f[x0,x1,x2],
/// f[x0..x3]]`.
fn newton_cubic(xs: &[f64], fs: &[f64]) -> [f64; 7] {
    let mut c = [fs[0], fs[1], fs[2], fs[3]];
    for level in 1..4 {
        for i in (level..4).rev() {
            c[i] = (c[i] - c[i - 1]) / (xs[i] - xs[i - level]);
        }
    }
    [xs[0], xs[1], xs[2], c[0], c[1], c[2], c[3]]
}

/// Derivative at `x` of the Lagrange interpolant through `(xs, fs)` (exact for polynomials of
/// degree < `xs.len()`).
fn lagrange_derivative(xs: &[f64], fs: &[f64], x: f64) -> f64 {
    let n = xs.len();
    let mut acc = 0.0;
    for i in 0..n {
        let denom: f64 = (0..n).filter(|&k| k != i).map(|k| xs[i] - xs[k]).product();
        let mut num = 0.0;
        for m in (0..n).filter(|&m| m != i) {
            num += (0..n).filter(|&k| k != i && k != m).map(|k| x - xs[k]).product::<f64>();
        }
        acc += fs[i] * num / denom;
    }
    acc
}

/// `F'` at every node by 5-point Lagrange differentiation on the (non-uniform) grid, the stencil
/// centred where possible: O(Δ⁴).
fn derivative(u: &[f64], f: &[f64]) -> Vec<f64> {
    let g = u.len();
    (0..g)
        .map(|j| {
            let j0 = j.saturating_sub(2).min(g - 5);
            lagrange_derivative(&u[j0..j0 + 5], &f[j0..j0 + 5], u[j])
        })
        .collect()
}

/// Nodes equidistributed in the arc length `∫ √((du/s_u)² + (dy/s_y)²)` of the polyline
/// `(u, y)`: dense where the map is steep, so the output spacing stays `≲ S s_y/(G−1)`.
fn equidistribute(u: &[f64], y: &[f64], s_u: f64, s_y: f64, g: usize) -> Vec<f64> {
    let mut arc = vec![0.0; u.len()];
    for i in 1..u.len() {
        arc[i] = arc[i - 1] + (((u[i] - u[i - 1]) / s_u).powi(2) + ((y[i] - y[i - 1]) / s_y).powi(2)).sqrt();
    }
    let total = arc[u.len() - 1];
    (0..g)
        .map(|k| {
            let target = total * k as f64 / (g - 1) as f64;
            let i = arc.partition_point(|&a| a < target).clamp(1, u.len() - 1);
            let span = arc[i] - arc[i - 1];
            let frac = if span > 0.0 { (target - arc[i - 1]) / span } else { 0.0 };
            u[i - 1] + frac * (u[i] - u[i - 1])
        })
        .collect()
}

/// Checks that a built-in sampler is a deterministic PF-ODE predictor (EI/RM stages only).
fn check_ode_only(sampler: &dyn StagedSampler) -> Result<()> {
    if sampler.stages().iter().all(|st| matches!(st, Stage::Ode { .. })) {
        Ok(())
    } else {
        Err(Error::EstimatorNotApplicable {
            estimator: ESTIMATOR,
            reason: "it needs a deterministic PF-ODE predictor (ei or rm) without SDE or corrector stages".into(),
        })
    }
}

/// Mean and standard deviation of the start law of one coordinate.
fn start_moments(p: &GridProblem, t_start: f64) -> (f64, f64) {
    match p.start {
        Start::Gaussian => (0.0, 1.0),
        Start::Exact => {
            let a = crate::process::alpha(t_start);
            (
                a * p.law.mean(),
                (a * a * p.law.variance() + crate::process::sigma2(t_start)).sqrt(),
            )
        }
    }
}

/// `ln ν_T(u)` of the start law.
fn start_log_density(p: &GridProblem, t_start: f64, u: f64) -> f64 {
    match p.start {
        Start::Gaussian => -0.5 * u * u - 0.5 * (2.0 * std::f64::consts::PI).ln(),
        Start::Exact => p.law.log_density_t(t_start, u).unwrap_or(f64::NEG_INFINITY),
    }
}

/// Everything a path computation needs, built once per estimate.
struct Mapper<'a> {
    problem: &'a GridProblem,
    sampler: &'a dyn Sampler,
    t_start: f64,
    lo: f64,
    hi: f64,
    s_u: f64,
    s_y: f64,
}

impl<'a> Mapper<'a> {
    fn new(problem: &'a GridProblem, sampler: &'a dyn Sampler) -> Result<Self> {
        let (t_start, t_end) = (sampler.t_start(), sampler.t_end());
        if problem.points < 16 {
            return Err(Error::InvalidParameter {
                name: "points",
                value: problem.points as f64,
                expected: "at least 16",
            });
        }
        crate::error::check_positive("half_width", problem.half_width)?;
        let (m, s_u) = start_moments(problem, t_start);
        let a = crate::process::alpha(t_end);
        let s_y = (a * a * problem.law.variance() + crate::process::sigma2(t_end)).sqrt();
        let (lo, hi) = (m - problem.half_width * s_u, m + problem.half_width * s_u);
        Ok(Mapper {
            problem,
            sampler,
            t_start,
            lo,
            hi,
            s_u,
            s_y,
        })
    }

    /// Runs the sampler on the points `u` (as one trajectory of a `u.len()`-dimensional product
    /// target) with the random stream `(path_seed, 0)`: every call with the same seed replays the
    /// same α-path, whatever the points.
    fn run(&self, u: &[f64], path_seed: u64) -> Result<Vec<f64>> {
        let score = Product::iid(self.problem.law, u.len())?;
        let mut xs = u.to_vec();
        self.sampler.run(&score, &mut xs, &mut stream_rng(path_seed, 0));
        Ok(xs)
    }

    /// One α-path: draws its seed, maps a uniform pilot grid, equidistributes the nodes in arc
    /// length twice (replaying the same α-path), and tabulates `ln p_α` at the final nodes.
    fn path(&self, rng: &mut SampleRng) -> Result<PathMap> {
        let path_seed = rand::Rng::next_u64(rng);
        let g = self.problem.points;
        let pilot = (g / 4).max(16);
        let mut u: Vec<f64> = (0..pilot)
            .map(|j| self.lo + (self.hi - self.lo) * j as f64 / (pilot - 1) as f64)
            .collect();
        let mut y = self.run(&u, path_seed)?;
        for _ in 0..2 {
            u = equidistribute(&u, &y, self.s_u, self.s_y, g);
            y = self.run(&u, path_seed)?;
        }
        let dy = derivative(&u, &y);
        let increasing = dy.iter().all(|&v| v > 0.0) && y.windows(2).all(|w| w[1] > w[0]);
        if !increasing {
            return Err(Error::FoldedMap {
                reason: "the sampler's 1-D map is not strictly increasing on the grid (step too coarse for this score)"
                    .into(),
            });
        }
        let log_p = u
            .iter()
            .zip(&dy)
            .map(|(&uj, d)| start_log_density(self.problem, self.t_start, uj) - d.ln())
            .collect();
        Ok(PathMap::new(y, log_p, (self.problem.law, self.sampler.t_end())))
    }
}

/// Draws the α-path map of `sampler` on `problem` (for tests and diagnostics).
///
/// # Errors
/// As [`grid_nested_tv`].
pub fn path_map(problem: &GridProblem, sampler: &dyn Sampler, rng: &mut SampleRng) -> Result<PathMap> {
    Mapper::new(problem, sampler)?.path(rng)
}

/// The nested estimator of `TV(E_α p_α, ν_δ^{⊗d})` with the grid push-forward path laws, for any
/// [`Sampler`] — built-in or a user's — that acts on each coordinate by the same deterministic
/// map given its random stream (coordinate-wise score, randomness shared by all coordinates and
/// drawn in an order that does not depend on the point, as for EI and RM). For built-in samplers
/// prefer [`grid_nested_tv_checked`], which refuses stochastic stages.
///
/// # Errors
/// A non-monotone map, a grid with fewer than 16 points, `dim == 0`, or an invalid nested
/// configuration.
pub fn grid_nested_tv(problem: &GridProblem, sampler: &dyn Sampler, cfg: &NestedConfig) -> Result<NestedTv> {
    estimate(problem, sampler, cfg, false)
}

/// The estimate; with `deterministic` (the sampler draws no randomness, e.g. EI), one path map
/// is computed and shared by every inner draw — the same law, at 1/(M·blocks) of the cost.
fn estimate(problem: &GridProblem, sampler: &dyn Sampler, cfg: &NestedConfig, deterministic: bool) -> Result<NestedTv> {
    let mapper = Mapper::new(problem, sampler)?;
    let t_end = sampler.t_end();
    let reference = Product::iid(problem.law, problem.dim)?;
    let shared: OnceLock<Result<PathMap>> = OnceLock::new();
    nested(
        cfg,
        &format!("grid push-forward (G = {})", problem.points),
        |rng| {
            if deterministic {
                shared.get_or_init(|| mapper.path(rng)).clone()
            } else {
                mapper.path(rng)
            }
        },
        |rng| {
            let mut x = vec![0.0; problem.dim];
            reference.sample_marginal(t_end, rng, &mut x);
            // the product law is exchangeable: sorting changes nothing but lets every path
            // evaluate all coordinates in one walk over its nodes
            x.sort_unstable_by(f64::total_cmp);
            // the path maps carry the log-ratio to ν_δ, so ln π(x) is not needed separately
            (x, 0.0)
        },
        |map, x| map.sum_log_ratio_sorted(x),
    )
}

/// [`grid_nested_tv`] for a built-in sampler, after checking that it has only PF-ODE stages;
/// an EI-only sampler (deterministic) gets one shared path map.
///
/// # Errors
/// SDE or corrector stages, and as [`grid_nested_tv`].
pub fn grid_nested_tv_checked(
    problem: &GridProblem,
    sampler: &dyn StagedSampler,
    cfg: &NestedConfig,
) -> Result<NestedTv> {
    check_ode_only(sampler)?;
    let deterministic = sampler
        .stages()
        .iter()
        .all(|st| matches!(st, Stage::Ode { kind: OdeKind::Ei, .. }));
    estimate(problem, sampler, cfg, deterministic)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `Σ_i f_i Π_{k≠i} (x − x_k)/(x_i − x_k)` on the given nodes.
    fn lagrange(xs: &[f64], fs: &[f64], x: f64) -> f64 {
        let mut acc = 0.0;
        for (i, (&xi, &fi)) in xs.iter().zip(fs).enumerate() {
            let w: f64 = xs
                .iter()
                .enumerate()
                .filter(|&(k, _)| k != i)
                .map(|(_, &xk)| (x - xk) / (xi - xk))
                .product();
            acc += fi * w;
        }
        acc
    }

    #[test]
    fn newton_table_equals_four_point_lagrange() {
        // graded nodes, a wiggly table: the fast lookup must pick the same stencil as a binary
        // search and evaluate the same cubic (of the log-ratio to the reference law)
        let reference = (Law1d::Gaussian1d { mean: 0.0, var: 1.0 }, 0.5);
        let y: Vec<f64> = (0..300).map(|j| (j as f64 / 299.0).powi(3) * 7.0 - 2.0).collect();
        let lp: Vec<f64> = y.iter().map(|v| (3.0 * v).sin() - 0.5 * v * v).collect();
        let ratio: Vec<f64> = y
            .iter()
            .zip(&lp)
            .map(|(&v, l)| l - log_density_1d(reference, v))
            .collect();
        let map = PathMap::new(y.clone(), lp.clone(), reference);
        let g = y.len();
        let xs: Vec<f64> = (0..=5000).map(|i| -2.0 + 7.0 * i as f64 / 5000.0).collect();
        for &x in &xs {
            let j = y.partition_point(|&v| v <= x).clamp(1, g - 1) - 1;
            let j0 = j.saturating_sub(1).min(g - 4);
            let want = lagrange(&y[j0..j0 + 4], &ratio[j0..j0 + 4], x);
            // the stored table is normalized: it differs from the raw cubic by ln Z
            let want = want - map.log_normalization();
            let got = map.log_ratio(x);
            assert!(
                (got - want).abs() <= 1e-12 * (1.0 + want.abs()),
                "x = {x}: {got} vs {want}"
            );
            let full = want + log_density_1d(reference, x);
            assert!((map.log_density(x) - full).abs() <= 1e-12 * (1.0 + full.abs()));
        }
        let sum: f64 = xs.iter().map(|&x| map.log_ratio(x)).sum();
        assert!((map.sum_log_ratio_sorted(&xs) - sum).abs() <= 1e-12 * sum.abs());
        assert_eq!(map.log_density(-2.0 - 1e-9), f64::NEG_INFINITY);
        assert_eq!(map.log_density(5.0 + 1e-9), f64::NEG_INFINITY);
    }

    #[test]
    fn derivative_is_fourth_order_on_non_uniform_nodes() {
        let err = |h: f64| {
            // smoothly graded nodes u_j = jh + 0.3 (jh)²
            let u: Vec<f64> = (0..41).map(|j| j as f64 * h + 0.3 * (j as f64 * h).powi(2)).collect();
            let f: Vec<f64> = u.iter().map(|x| (1.3 * x).sin()).collect();
            let d = derivative(&u, &f);
            d.iter()
                .zip(&u)
                .map(|(v, x)| (v - 1.3 * (1.3 * x).cos()).abs())
                .fold(0.0, f64::max)
        };
        let ratio = err(0.02) / err(0.01);
        assert!((12.0..20.0).contains(&ratio), "ratio {ratio}");
        assert!(err(0.01) < 1e-7);
    }

    #[test]
    fn equidistributed_nodes_bound_both_spacings() {
        let u: Vec<f64> = (0..101).map(|j| -1.0 + 0.02 * j as f64).collect();
        let y: Vec<f64> = u.iter().map(|x| 50.0 * x * x * x + x).collect();
        let v = equidistribute(&u, &y, 1.0, 1.0, 400);
        assert_eq!(v.len(), 400);
        assert!(v.windows(2).all(|w| w[1] > w[0]));
        assert!((v[0] + 1.0).abs() < 1e-12 && (v[399] - 1.0).abs() < 1e-12);
    }
}
