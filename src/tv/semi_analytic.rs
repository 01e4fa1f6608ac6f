//! Semi-analytic TV for samplers that are linear-Gaussian given their random midpoints
//! (tv-methodology.md §1.1).
//!
//! On a Gaussian target with diagonal covariance, whose score is exact or carries a diagonal
//! linear error, every stage of the samplers in [`crate::sampler`] is affine in the state and in
//! its Gaussian noise once the uniforms α are fixed. Conditional on an α-path the output is
//! therefore exactly `N(m_α, S_α)` with diagonal `S_α`, and the sampler's law is the α-mixture
//! ```text
//! mix = E_α N(m_α, S_α),        TV(mix, π) = E_{x∼π} [ (1 − mix(x)/π(x))_+ ]
//! ```
//! with `π = q_δ` the exact law at the end time.
//!
//! * The per-stage affine maps are **read off the real step functions** (applied to the zero
//!   state, to all-ones states and to unit noises), so the estimator checks the code that samples,
//!   and it follows the sampler's own stage list ([`Staged`]), never a second copy of the schedule.
//! * Coordinates sharing the same law and map can be grouped ([`Layout::Repeated`]): the isotropic
//!   case then costs O(N) per α-path whatever `d`, with the sufficient statistics `(Σx, Σx²)` per
//!   group (§1.1.1, fast paths).
//! * [`nested_tv`] is the nested estimator of §1.1.2 with fresh pools per block, its Richardson
//!   correction `2 TV_M − TV_{M/2}`, and a between-block standard error.
//! * [`chi2_ustat`] is the unbiased U-statistic for `χ²(mix‖π)` of §1.1.4: the rigorous upper bound
//!   `TV ≤ ½√χ²` and the LAN estimate `2Φ(√ln(1+χ²)/2) − 1`, a cross-check with no nesting bias.
//! * Never report `E_α TV(N(m_α,S_α), π)` as the TV (§1.1.5): it measures the path-level error.

use rand::RngExt;
use rand_distr::ChiSquared;
use rayon::prelude::*;

use super::nested::{NestedConfig, NestedTv, nested};
use crate::error::{Error, Result};
use crate::rng::{SampleRng, normal, stream_rng, uniform01};
use crate::sampler::predictor::{PredictorWork, ei_step, sde_step};
use crate::sampler::ulmc::UlmcCoeffs;
use crate::sampler::{Corrector, CorrectorWork, OdeKind, Stage, Staged};
use crate::target::Score;

/// How the `k` parameter slots map to the `d` coordinates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// One slot per coordinate (`k = d`).
    Diagonal,
    /// `k` groups of `r` identical coordinates each (`d = k·r`), e.g. `k = 1` for an isotropic
    /// target: the maps are computed once per group.
    Repeated(usize),
}

/// A product of Gaussians `⊗_g N(mean_g, var_g)^{⊗ r}` over `k` slots (`r` from the layout).
#[derive(Debug, Clone, PartialEq)]
pub struct DiagLaw {
    /// Per-slot means.
    pub mean: Vec<f64>,
    /// Per-slot variances.
    pub var: Vec<f64>,
}

impl DiagLaw {
    /// The per-slot law of `q_t` for data `N(μ, diag v)`:
    /// ```text
    /// q_t = N(e^{−t} μ, e^{−2t} v + 1 − e^{−2t})
    /// ```
    pub fn diffused(mean: &[f64], var: &[f64], t: f64) -> DiagLaw {
        let (a, s2) = (crate::process::alpha(t), crate::process::sigma2(t));
        DiagLaw {
            mean: mean.iter().map(|m| a * m).collect(),
            var: var.iter().map(|v| a * a * v + s2).collect(),
        }
    }

    /// `N(0, I)` on `k` slots (the algorithms' start law).
    pub fn standard(k: usize) -> DiagLaw {
        DiagLaw {
            mean: vec![0.0; k],
            var: vec![1.0; k],
        }
    }
}

/// The linear-Gaussian problem: a per-slot score that is affine and separable, the start law at
/// `T`, and the exact reference law `π = q_δ` at the end.
pub struct Problem<'a> {
    /// Score on the `k`-slot space (dimension `k`); coordinates within a group share it.
    pub score: &'a dyn Score,
    /// Law of the start point (exact `q_T` or `N(0, I)`) on the slots.
    pub start: DiagLaw,
    /// Exact law `π` at the end time, on the slots.
    pub reference: DiagLaw,
    /// How slots map to coordinates.
    pub layout: Layout,
}

impl Problem<'_> {
    fn slots(&self) -> usize {
        self.start.mean.len()
    }
    fn repeat(&self) -> usize {
        match self.layout {
            Layout::Diagonal => 1,
            Layout::Repeated(r) => r,
        }
    }
    fn validate(&self) -> Result<()> {
        let k = self.slots();
        crate::error::check_dim(k)?;
        crate::error::check_len("score dimension (slots)", k, self.score.dim())?;
        for law in [&self.start, &self.reference] {
            crate::error::check_len("law variances", k, law.var.len())?;
            crate::error::check_len("law means", k, law.mean.len())?;
            for &v in &law.var {
                crate::error::check_positive("law variance", v)?;
            }
        }
        if self.repeat() == 0 {
            return Err(Error::InvalidParameter {
                name: "repeat",
                value: 0.0,
                expected: "at least 1",
            });
        }
        Ok(())
    }
}

/// Per-slot state: the law of `x` (mean, var) and, inside a corrector, of `(x, v)`.
#[derive(Debug, Clone)]
struct State {
    mx: Vec<f64>,
    mv: Vec<f64>,
    sxx: Vec<f64>,
    sxv: Vec<f64>,
    svv: Vec<f64>,
}

/// Scratch vectors for reading maps off the step functions, and the last map read (allocated
/// once per α-path: a propagation allocates nothing per stage).
struct Probe {
    x: Vec<f64>,
    z: Vec<f64>,
    ws: PredictorWork,
    cw: CorrectorWork,
    /// The predictor/SDE map `[a, b, c]` of [`ode_map`] and [`sde_map`].
    map: [Vec<f64>; 3],
    /// The corrector map of [`corrector_map`].
    cmap: CorrectorMap,
}

impl Probe {
    fn new(k: usize) -> Self {
        let pair = || (vec![0.0; k], vec![0.0; k]);
        Probe {
            x: vec![0.0; k],
            z: vec![0.0; k],
            ws: PredictorWork::new(k),
            cw: CorrectorWork::new(k),
            map: [vec![0.0; k], vec![0.0; k], vec![0.0; k]],
            cmap: CorrectorMap {
                b: pair(),
                x1: pair(),
                v1: pair(),
                noise: Vec::new(),
            },
        }
    }
}

/// `out = y − base`, element-wise.
fn diff_into(out: &mut [f64], y: &[f64], base: &[f64]) {
    for ((o, &yi), &bi) in out.iter_mut().zip(y).zip(base) {
        *o = yi - bi;
    }
}

/// The affine per-slot map `x' = a x + b` of one ODE predictor step (ei, rm, rm-par), read off
/// the real step at `x = 0` and `x = 1` with the same midpoints: both probes draw from copies of
/// `rng`, which then advances past the step's draws. Leaves `[a, b, 0]` in `p.map`.
fn ode_map(problem: &Problem<'_>, kind: OdeKind, t: f64, h: f64, rng: &mut SampleRng, p: &mut Probe) {
    let start = rng.clone();
    let mut run = |x0: f64, p: &mut Probe| {
        *rng = start.clone();
        p.x.fill(x0);
        kind.step(problem.score, t, h, &mut p.x, &mut p.ws, rng);
    };
    run(0.0, p);
    p.map[1].copy_from_slice(&p.x);
    run(1.0, p);
    let [a, b, c] = &mut p.map;
    diff_into(a, &p.x, b);
    c.fill(0.0);
}

/// The affine per-slot map `x' = a x + b + c z` of a reverse-SDE step, read off the real step at
/// `x = 0`, `x = 1` and `z = 1`. Leaves `[a, b, c]` in `p.map`.
fn sde_map(problem: &Problem<'_>, t: f64, h: f64, p: &mut Probe) {
    let run = |x0: f64, z0: f64, p: &mut Probe| {
        p.x.fill(x0);
        p.z.fill(z0);
        sde_step(problem.score, t, h, &p.z, &mut p.x, &mut p.ws);
    };
    run(0.0, 0.0, p);
    p.map[1].copy_from_slice(&p.x);
    run(1.0, 0.0, p);
    let [a, b, _] = &mut p.map;
    diff_into(a, &p.x, b);
    run(0.0, 1.0, p);
    let [_, b, c] = &mut p.map;
    diff_into(c, &p.x, b);
}

/// Applies one predictor/SDE stage to the per-slot law of `x`.
fn push_predictor(st: &mut State, map: &[Vec<f64>; 3]) {
    let [a, b, c] = map;
    for i in 0..st.mx.len() {
        st.mx[i] = a[i] * st.mx[i] + b[i];
        st.sxx[i] = a[i] * a[i] * st.sxx[i] + c[i] * c[i];
    }
}

/// The per-slot affine map `(x, v)' = A (x, v) + b + C z` of one corrector step: the step
/// function's outputs at the zero state `b`, at `x = 1`, at `v = 1`, and at each unit noise.
struct CorrectorMap {
    b: (Vec<f64>, Vec<f64>),
    x1: (Vec<f64>, Vec<f64>),
    v1: (Vec<f64>, Vec<f64>),
    noise: Vec<(Vec<f64>, Vec<f64>)>,
}

/// Reads the map of one corrector step off the real step function ([`Corrector::step_with`]),
/// with the step's uniforms already in `p.cw.uniforms` (the ULMC-type maps do not change between
/// the steps of one call): one probe per unit state and per unit noise vector. Leaves the map in
/// `p.cmap`.
fn corrector_map(problem: &Problem<'_>, c: &Corrector, coeffs: &UlmcCoeffs, t: f64, p: &mut Probe) {
    let (k, nz) = (p.x.len(), c.kind.normals_per_step());
    let run = |x0: f64, v0: f64, zi: Option<usize>, p: &mut Probe| {
        p.x.fill(x0);
        p.cw.v.fill(v0);
        p.cw.z.clear();
        p.cw.z.resize(nz * k, 0.0);
        if let Some(j) = zi {
            p.cw.z[j * k..(j + 1) * k].fill(1.0);
        }
        c.step_with(problem.score, t, coeffs, &mut p.x, &mut p.cw);
    };
    let keep = |p: &mut Probe, slot: fn(&mut CorrectorMap) -> &mut (Vec<f64>, Vec<f64>)| {
        let (x, v) = slot(&mut p.cmap);
        x.copy_from_slice(&p.x);
        v.copy_from_slice(&p.cw.v);
    };
    run(0.0, 0.0, None, p);
    keep(p, |m| &mut m.b);
    run(1.0, 0.0, None, p);
    keep(p, |m| &mut m.x1);
    run(0.0, 1.0, None, p);
    keep(p, |m| &mut m.v1);
    p.cmap.noise.resize_with(nz, || (vec![0.0; k], vec![0.0; k]));
    for j in 0..nz {
        run(0.0, 0.0, Some(j), p);
        let (x, v) = &mut p.cmap.noise[j];
        x.copy_from_slice(&p.x);
        v.copy_from_slice(&p.cw.v);
    }
}

/// Pushes the per-slot mean and covariance of `(x, v)` through one corrector step's map.
fn push_corrector(st: &mut State, map: &CorrectorMap) {
    let CorrectorMap {
        b: (bx, bv),
        x1: (xx, xv),
        v1: (vx, vv),
        noise,
    } = map;
    for i in 0..st.mx.len() {
        // A = [[axx, axv], [avx, avv]]: column for x, column for v.
        let (axx, avx, axv, avv) = (xx[i] - bx[i], xv[i] - bv[i], vx[i] - bx[i], vv[i] - bv[i]);
        let (mx, mv) = (st.mx[i], st.mv[i]);
        let (sxx, sxv, svv) = (st.sxx[i], st.sxv[i], st.svv[i]);
        st.mx[i] = axx * mx + axv * mv + bx[i];
        st.mv[i] = avx * mx + avv * mv + bv[i];
        let (mut nxx, mut nxv, mut nvv) = (
            axx * axx * sxx + 2.0 * axx * axv * sxv + axv * axv * svv,
            axx * avx * sxx + (axx * avv + axv * avx) * sxv + axv * avv * svv,
            avx * avx * sxx + 2.0 * avx * avv * sxv + avv * avv * svv,
        );
        for (nx, nv) in noise {
            let (cx, cv) = (nx[i] - bx[i], nv[i] - bv[i]);
            nxx += cx * cx;
            nxv += cx * cv;
            nvv += cv * cv;
        }
        st.sxx[i] = nxx;
        st.sxv[i] = nxv;
        st.svv[i] = nvv;
    }
}

/// Propagates the start law through `stages` for one α-path drawn from `rng` (one α per RM
/// predictor stage and per RM-ULMC corrector step, in stage order). Returns the conditional law
/// `N(m_α, S_α)` on the slots. Corrector stages start from a fresh `v ~ N(0, I)`.
pub fn propagate(problem: &Problem<'_>, stages: &[Stage<'_>], rng: &mut SampleRng) -> DiagLaw {
    let j = propagate_joint(problem, stages, rng);
    DiagLaw {
        mean: j.mean_x,
        var: j.var_x,
    }
}

/// The per-slot joint Gaussian law of position and velocity `(x, v)` (the velocity of the last
/// corrector; before any corrector it is the fresh `N(0, 1)`, independent of `x`).
#[derive(Debug, Clone, PartialEq)]
pub struct JointLaw {
    /// `E x`.
    pub mean_x: Vec<f64>,
    /// `E v`.
    pub mean_v: Vec<f64>,
    /// `Var x`.
    pub var_x: Vec<f64>,
    /// `Cov(x, v)`.
    pub cov_xv: Vec<f64>,
    /// `Var v`.
    pub var_v: Vec<f64>,
}

/// As [`propagate`], keeping the joint `(x, v)` law (for lemmas on the underdamped dynamics, e.g.
/// the joint-KL regularization of tv-methodology §4.4).
pub fn propagate_joint(problem: &Problem<'_>, stages: &[Stage<'_>], rng: &mut SampleRng) -> JointLaw {
    let k = problem.slots();
    let mut st = State {
        mx: problem.start.mean.clone(),
        mv: vec![0.0; k],
        sxx: problem.start.var.clone(),
        sxv: vec![0.0; k],
        svv: vec![1.0; k],
    };
    let mut p = Probe::new(k);
    for stage in stages {
        match *stage {
            Stage::Correct { t, corrector } => {
                st.mv.fill(0.0);
                st.sxv.fill(0.0);
                st.svv.fill(1.0);
                let coeffs = corrector.coeffs();
                let draws = corrector.kind.uniforms_per_step();
                // maps without uniforms serve every step of the call; others: one per draw
                if draws == 0 {
                    corrector_map(problem, corrector, &coeffs, t, &mut p);
                }
                for _ in 0..corrector.steps {
                    if draws > 0 {
                        p.cw.uniforms.clear();
                        p.cw.uniforms.extend((0..draws).map(|_| uniform01(rng)));
                        corrector_map(problem, corrector, &coeffs, t, &mut p);
                    }
                    push_corrector(&mut st, &p.cmap);
                }
            }
            Stage::Ode { kind, t, h } => {
                ode_map(problem, kind, t, h, rng, &mut p);
                push_predictor(&mut st, &p.map);
            }
            Stage::Sde { t, h } => {
                sde_map(problem, t, h, &mut p);
                push_predictor(&mut st, &p.map);
            }
        }
    }
    JointLaw {
        mean_x: st.mx,
        mean_v: st.mv,
        var_x: st.sxx,
        cov_xv: st.sxv,
        var_v: st.svv,
    }
}

/// Checks that the problem's score is affine and separable, as the estimator assumes: one
/// exponential-integrator step from a random point must equal the map read off the zero and
/// all-ones points (relative tolerance 1e-9).
///
/// # Errors
/// [`Error::InvalidConfig`] if the score is not affine and coordinate-separable.
pub fn check_linear(problem: &Problem<'_>) -> Result<()> {
    problem.validate()?;
    let k = problem.slots();
    let (t, h) = (0.7, 0.1);
    let mut p = Probe::new(k);
    ode_map(problem, OdeKind::Ei, t, h, &mut stream_rng(0, 0), &mut p);
    let [a, b, _] = p.map.clone();
    let mut rng = stream_rng(0x11a7, 0);
    let x: Vec<f64> = (0..k).map(|_| 2.0 * normal(&mut rng)).collect();
    let mut y = x.clone();
    ei_step(problem.score, t, h, &mut y, &mut p.ws);
    for i in 0..k {
        let want = a[i] * x[i] + b[i];
        if (y[i] - want).abs() > 1e-9 * (1.0 + want.abs()) {
            return Err(Error::InvalidConfig {
                reason: "the score is not affine and coordinate-separable; the semi-analytic TV does not apply".into(),
            });
        }
    }
    Ok(())
}

/// Sufficient statistics `(Σx, Σx²)` per slot of one point `x ∼ π` (exact: for a group of `r`
/// coordinates, `Σz ∼ √r N(0,1)` and `Σz² = (Σz)²/r + χ²_{r−1}`, independent).
fn draw_reference_stats(problem: &Problem<'_>, rng: &mut SampleRng) -> Vec<(f64, f64)> {
    let r = problem.repeat() as f64;
    let chi = if r > 1.0 { ChiSquared::new(r - 1.0).ok() } else { None };
    problem
        .reference
        .mean
        .iter()
        .zip(&problem.reference.var)
        .map(|(&mu, &var)| {
            let sz = r.sqrt() * normal(rng);
            let qz = sz * sz / r + chi.as_ref().map_or(0.0, |c| rng.sample(c));
            let sd = var.sqrt();
            (r * mu + sd * sz, r * mu * mu + 2.0 * mu * sd * sz + var * qz)
        })
        .collect()
}

/// `ln N(x; law)` summed over slots as a function of the sufficient statistics `(s1, s2)` of each
/// slot (`r` coordinates per slot; constants in `2π` cancel in every ratio and are left out),
/// with everything that depends on the law alone computed once per α-path:
/// ```text
/// ln N = c₀ − Σ_i (s2_i − 2m_i s1_i + r m_i²) · 1/(2v_i),     c₀ = −½ r Σ_i ln v_i
/// ```
/// Each slot's quadratic keeps its own cancellation (`s2 ≈ r m²` when the point sits on the mean),
/// as in the direct formula; per evaluation it costs four multiply-adds per slot and no logarithm.
struct SlotGaussian {
    c0: f64,
    /// Per slot `(2m, r m², 1/(2v))`.
    coef: Vec<[f64; 3]>,
}

impl SlotGaussian {
    fn new(law: &DiagLaw, r: f64) -> Self {
        let coef = law
            .mean
            .iter()
            .zip(&law.var)
            .map(|(&m, &v)| [2.0 * m, r * m * m, 1.0 / (2.0 * v)])
            .collect();
        let c0 = -0.5 * r * law.var.iter().map(|v| v.ln()).sum::<f64>();
        SlotGaussian { c0, coef }
    }

    fn log_density(&self, stats: &[(f64, f64)]) -> f64 {
        self.c0 - slot_quadratic(&self.coef, stats)
    }
}

crate::kernels::multiversion! {
    /// `Σ_i (s2_i − c_i0 s1_i + c_i1) c_i2`, summed as [`crate::kernels::sum_lanes2`].
    fn slot_quadratic(coef: &[[f64; 3]], stats: &[(f64, f64)]) -> f64 {
        crate::kernels::sum_lanes2(coef, stats, |[m2, rm2, inv2v], (s1, s2)| (s2 - m2 * s1 + rm2) * inv2v)
    }
}

/// The nested estimator of tv-methodology §1.1.2 with `x ∼ π` (see [`super::nested`]) for a
/// linear-Gaussian problem: each α-path's law is [`propagate`]d exactly, `x ∼ π` is drawn through
/// its per-slot sufficient statistics, and
/// ```text
/// TV̂_M = (1/n) Σ_j ( 1 − (1/M) Σ_k N(x_j; m_{α_k}, S_{α_k}) / π(x_j) )_+,   TV̂_R = 2 TV̂_M − TV̂_{M/2}
/// ```
///
/// # Errors
/// Invalid problem or configuration, or a score that is not affine ([`check_linear`]).
pub fn nested_tv(problem: &Problem<'_>, sampler: &dyn Staged, cfg: &NestedConfig) -> Result<NestedTv> {
    check_linear(problem)?;
    let stages = sampler.stages();
    let r = problem.repeat() as f64;
    let reference = SlotGaussian::new(&problem.reference, r);
    nested(
        cfg,
        "semi-analytic",
        |rng| Ok(SlotGaussian::new(&propagate(problem, &stages, rng), r)),
        |rng| {
            let stats = draw_reference_stats(problem, rng);
            let lpi = reference.log_density(&stats);
            (stats, lpi)
        },
        |law, stats| law.log_density(stats),
    )
}

/// Result of [`chi2_ustat`].
#[derive(Debug, Clone, PartialEq)]
pub struct Chi2Bound {
    /// The U-statistic estimate of `χ²(mix‖π)` (unbiased; `+∞` if some pair integral diverges).
    pub chi2: f64,
    /// `½√χ²`, an upper bound on TV (Cauchy–Schwarz) up to the Monte Carlo error of `χ²`.
    pub tv_upper: f64,
    /// The LAN estimate `2Φ(√ln(1+χ²)/2) − 1`.
    pub tv_lan: f64,
    /// Paths in the pool.
    pub pool: usize,
}

/// The χ² U-statistic of tv-methodology §1.1.4 over a pool of `pool` α-paths:
/// ```text
/// χ²(mix‖π) = E_{α≠α'} ∫ N(x; m_α, S_α) N(x; m_α', S_α') / π(x) dx − 1
/// 1-D factor: ∫ N(m₁,s₁) N(m₂,s₂) / N(μ,v) = √(v/(s₁ s₂ a)) exp(b²/(2a) − c/2),
///   a = 1/s₁ + 1/s₂ − 1/v,  b = m₁/s₁ + m₂/s₂ − μ/v,  c = m₁²/s₁ + m₂²/s₂ − μ²/v   (a > 0)
/// ```
/// averaged over distinct pairs (unbiased for χ²; no nesting bias).
///
/// # Errors
/// As [`nested_tv`] for the problem; `pool < 2`.
pub fn chi2_ustat(problem: &Problem<'_>, sampler: &dyn Staged, pool: usize, seed: u64) -> Result<Chi2Bound> {
    check_linear(problem)?;
    if pool < 2 {
        return Err(Error::InvalidParameter {
            name: "pool",
            value: pool as f64,
            expected: "at least 2",
        });
    }
    let stages = sampler.stages();
    let laws: Vec<DiagLaw> = (0..pool)
        .map(|i| propagate(problem, &stages, &mut stream_rng(seed, i as u64)))
        .collect();
    let r = problem.repeat() as f64;
    let rows: Vec<f64> = (0..pool)
        .into_par_iter()
        .map(|i| {
            (i + 1..pool)
                .map(|j| pair_log_integral(&laws[i], &laws[j], &problem.reference, r).exp())
                .sum()
        })
        .collect();
    let pairs = (pool * (pool - 1) / 2) as f64;
    let chi2 = rows.iter().sum::<f64>() / pairs - 1.0;
    let tv_lan = if chi2 > 0.0 {
        2.0 * crate::special::std_normal_cdf(chi2.ln_1p().sqrt() / 2.0) - 1.0
    } else {
        0.0
    };
    Ok(Chi2Bound {
        chi2,
        tv_upper: 0.5 * chi2.max(0.0).sqrt(),
        tv_lan,
        pool,
    })
}

/// `ln ∫ N(m₁, s₁) N(m₂, s₂) / π` over all coordinates (`r` per slot); `+∞` if it diverges.
fn pair_log_integral(p: &DiagLaw, q: &DiagLaw, pi: &DiagLaw, r: f64) -> f64 {
    let mut acc = 0.0;
    for i in 0..p.mean.len() {
        let (m1, s1, m2, s2, mu, v) = (p.mean[i], p.var[i], q.mean[i], q.var[i], pi.mean[i], pi.var[i]);
        let a = 1.0 / s1 + 1.0 / s2 - 1.0 / v;
        if a <= 0.0 {
            return f64::INFINITY;
        }
        let b = m1 / s1 + m2 / s2 - mu / v;
        let c = m1 * m1 / s1 + m2 * m2 / s2 - mu * mu / v;
        acc += r * (0.5 * (v / (s1 * s2 * a)).ln() + b * b / (2.0 * a) - 0.5 * c);
    }
    acc
}
