//! The C3 sweep (log-concave sampling in TV: GCC24 claim Õ(d^{5/12}) gradients, against Õ(√d)
//! for ULMC), run by [`super::run_sweep`].
//!
//! Targets: Gaussian potentials `f(x) = ½ Σ λ_i x_i²` ([`C3Family`]), where every kinetic sampler
//! is affine given its random midpoints, so its law is an exact α-mixture of Gaussians and the
//! semi-analytic nested estimator ([`crate::tv::semi_analytic`]) measures its TV; samplers with
//! no α (ULA, ULMC) have an exactly Gaussian law and get the exact TV of
//! [`crate::tv::oracle::GaussianPair`] (zero-width intervals). Design choices that keep log
//! factors out (tv-methodology §2.5): the chains start at `π` exactly and run for a fixed
//! horizon `T`, so TV measures the discretization error alone; the resolution is the number of
//! steps `N` on `[0, T]`.
//!
//! Samplers (`h = T/N`, friction γ = 2√L, i.e. Shen–Lee's γ = 2 with u = 1/L):
//! * `ula` — N steps of ULA (1 gradient each);
//! * `ulmc` — N steps of exponential-integrator ULMC (1 each);
//! * `rm-ulmc` — N steps of Shen–Lee RM-ULMC (2 each);
//! * `ulmc+ulmc` — ULMC, then a ULMC "corrector" with fresh velocity for `T_c` with step `h`;
//! * `gcc-lc` — RM-ULMC, then that corrector: GCC24's log-concave TV algorithm (paper.md §2.7,
//!   reconstructed; `T_c` fixed, `h_c = h`).
//!
//! MALA is not in the sweep: its accept/reject step is not affine and couples the coordinates,
//! so neither the semi-analytic nor the product estimators apply (its stationary law is exact;
//! see the tests).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::{Progress, SweepAxes, SweepResult, SweepSpec, run_sweep};
use crate::error::{Error, Result};
use crate::langevin::Kinetic;
use crate::sampler::Staged;
use crate::target::{Gaussian, Law1d};
use crate::tv::TvEstimate;
use crate::tv::kinetic::{KineticGrid, KineticStage, Marginal1d, product_tv, ulmc_marginal};
use crate::tv::nested::{NestedConfig, NestedTv};
use crate::tv::oracle::GaussianPair;
use crate::tv::semi_analytic::{DiagLaw, Layout, Problem, nested_tv, propagate};

/// Gaussian potential family of the C3 sweep.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum C3Family {
    /// `f = |x|²/2` (`m = L = 1`).
    IsoGaussian,
    /// Eight precision levels `logspace(−½ log₁₀ κ, ½ log₁₀ κ, 8)`, each on `d/8` coordinates
    /// (`m = κ^{−1/2}`, `L = κ^{1/2}`): condition number κ at every d, with the estimator's
    /// cost independent of d.
    IllGaussian {
        /// Condition number κ = L/m.
        kappa: f64,
    },
    /// `f = Σ x_i²/2 + ln cosh x_i` (m = 1, L = 2), non-Gaussian. Only the α-free samplers
    /// (`ulmc`, `ulmc+ulmc`) are measured: started at the product `π`, their output is exactly
    /// a product `p^{⊗d}` of one 1-D law, computed by 2-D density propagation
    /// ([`crate::tv::kinetic`], `G × G` grid) and then tensorized by the nested estimator. The
    /// 1-D law does not depend on d, so it is computed once per step count.
    LogCosh {
        /// Grid nodes per axis of the density propagation.
        grid: usize,
    },
}

impl C3Family {
    /// `iso-gaussian` or `ill-gaussian`.
    pub fn name(&self) -> &'static str {
        match self {
            C3Family::IsoGaussian => "iso-gaussian",
            C3Family::IllGaussian { .. } => "ill-gaussian",
            C3Family::LogCosh { .. } => "logcosh",
        }
    }

    /// Per-slot precisions and the number of coordinates per slot at dimension `d`.
    fn slots(&self, d: usize) -> Result<(Vec<f64>, usize)> {
        match *self {
            C3Family::IsoGaussian => Ok((vec![1.0], d)),
            C3Family::IllGaussian { kappa } => {
                if !d.is_multiple_of(8) {
                    return Err(Error::InvalidConfig {
                        reason: format!("ill-gaussian C3 family needs d divisible by 8 (got {d})"),
                    });
                }
                let f = crate::potential::DiagGaussian::ill_conditioned(8, kappa)?;
                Ok((f.precision().to_vec(), d / 8))
            }
            // curvature range [1, 2]: the slot "precision" only sets γ = 2√L
            C3Family::LogCosh { .. } => Ok((vec![1.0, 2.0], d)),
        }
    }
}

/// Configuration of the C3 sweep.
#[derive(Debug, Clone)]
pub struct C3Config {
    /// Potential family.
    pub family: C3Family,
    /// Dimensions (multiples of 8 for `IllGaussian`).
    pub dims: Vec<usize>,
    /// TV tolerances ε.
    pub eps: Vec<f64>,
    /// Nested-estimator configuration (same seed for every configuration).
    pub nested: NestedConfig,
    /// Horizon `T` of the main run.
    pub horizon: f64,
    /// Duration `T_c` of the ULMC corrector of `ulmc+ulmc` and `gcc-lc`.
    pub corr_time: f64,
    /// Samplers: `ula`, `ulmc`, `rm-ulmc`, `ulmc+ulmc`, `gcc-lc`.
    pub samplers: Vec<String>,
    /// Largest step count tried.
    pub max_steps: usize,
    /// Bootstrap draws.
    pub draws: usize,
    /// Cache of 1-D marginals for the logcosh family (filled by the sweep).
    pub marginals: Arc<Mutex<HashMap<(String, usize), Marginal1d>>>,
}

impl C3Config {
    /// The quick sweep of `randmid check`: isotropic, d = 8 … 8192 (×4), ε ∈ {0.1, 0.05},
    /// n = 20,000, T = 4, T_c = 0.5.
    pub fn quick() -> Self {
        C3Config {
            family: C3Family::IsoGaussian,
            dims: vec![8, 32, 128, 512, 2048, 8192],
            eps: vec![0.1, 0.05],
            nested: NestedConfig {
                n: 20_000,
                m: 32,
                blocks: 32,
                seed: 2025,
            },
            horizon: 4.0,
            corr_time: 0.5,
            samplers: ["ula", "ulmc", "rm-ulmc", "ulmc+ulmc", "gcc-lc"]
                .map(String::from)
                .to_vec(),
            max_steps: 16_384,
            draws: 200,
            marginals: Arc::default(),
        }
    }

    /// The full sweep: d = 8 … 16,384 (powers of 2), ε ∈ {0.1, 0.03, 0.01}, n = 40,000, M = 64.
    pub fn full() -> Self {
        C3Config {
            dims: (3..=14).map(|k| 1usize << k).collect(),
            eps: vec![0.1, 0.03, 0.01],
            nested: NestedConfig {
                n: 40_000,
                m: 64,
                blocks: 40,
                seed: 2025,
            },
            max_steps: 65_536,
            ..C3Config::quick()
        }
    }

    /// Friction γ = 2√L.
    fn gamma(&self, d: usize) -> Result<f64> {
        let (prec, _) = self.family.slots(d)?;
        Ok(2.0 * prec.iter().cloned().fold(0.0, f64::max).sqrt())
    }
}

/// The kinetic sampler `name` with `steps` steps on `[0, T]` (every name but `ula`).
///
/// # Errors
/// Unknown name or invalid parameters.
pub fn c3_kinetic(name: &str, steps: usize, d: usize, cfg: &C3Config) -> Result<Kinetic> {
    let (gamma, h) = (cfg.gamma(d)?, cfg.horizon / steps as f64);
    match name {
        "ulmc" => Kinetic::ulmc(gamma, h, steps),
        "rm-ulmc" => Kinetic::rm_ulmc(gamma, h, steps),
        "ulmc+ulmc" => Kinetic::ulmc(gamma, h, steps)?.then_ulmc(h, cfg.corr_time),
        "gcc-lc" => Kinetic::gcc_lc(gamma, h, steps, h, cfg.corr_time),
        other => Err(Error::InvalidConfig {
            reason: format!("C3 sampler `{other}` (ula, ulmc, rm-ulmc, ulmc+ulmc, gcc-lc)"),
        }),
    }
}

/// Gradient evaluations per sample of `name` at `steps`.
///
/// # Errors
/// As [`c3_kinetic`].
pub fn c3_sampler_cost(name: &str, steps: usize, d: usize, cfg: &C3Config) -> Result<u64> {
    if name == "ula" {
        return Ok(steps as u64);
    }
    Ok(c3_kinetic(name, steps, d, cfg)?.grads())
}

/// An exact TV as a degenerate nested result (every block the same value).
fn exact(tv: f64, what: &str, blocks: usize) -> NestedTv {
    let e = TvEstimate::exact(tv, format!("exact Gaussian TV ({what})"));
    NestedTv {
        richardson: e.clone(),
        plain: e,
        half: tv,
        blocks: vec![tv; blocks],
    }
}

/// Exact TV between the product law with per-slot `(mean, var)` repeated `r` times and `π`.
fn exact_tv(law: &DiagLaw, prec: &[f64], r: usize) -> Result<f64> {
    let rep = |v: &[f64]| -> Vec<f64> { v.iter().flat_map(|&x| std::iter::repeat_n(x, r)).collect() };
    let var_pi: Vec<f64> = prec.iter().map(|l| 1.0 / l).collect();
    let zeros = vec![0.0; prec.len() * r];
    Ok(GaussianPair::diagonal(&rep(&law.mean), &rep(&law.var), &zeros, &rep(&var_pi))?.tv())
}

/// ULA from `π` on `f = λx²/2` per slot: `x' = (1 − hλ) x + √(2h) z`, so the variance follows
/// `v' = (1 − hλ)² v + 2h` from `v₀ = 1/λ` (mean 0).
fn ula_law(prec: &[f64], h: f64, steps: usize) -> DiagLaw {
    let var = prec
        .iter()
        .map(|&l| {
            let a2 = (1.0 - h * l).powi(2);
            (0..steps).fold(1.0 / l, |v, _| a2 * v + 2.0 * h)
        })
        .collect();
    DiagLaw {
        mean: vec![0.0; prec.len()],
        var,
    }
}

impl SweepSpec for C3Config {
    fn axes(&self) -> SweepAxes<'_> {
        SweepAxes {
            family: self.family.name(),
            samplers: &self.samplers,
            dims: &self.dims,
            eps: &self.eps,
            nested: &self.nested,
            max_steps: self.max_steps,
            draws: self.draws,
        }
    }
    fn cost(&self, name: &str, steps: usize, d: usize) -> Result<u64> {
        c3_sampler_cost(name, steps, d, self)
    }
    fn measure(&self, name: &str, steps: usize, d: usize) -> Result<Option<NestedTv>> {
        if let C3Family::LogCosh { grid } = self.family {
            return self.measure_logcosh(name, steps, d, grid).map(Some);
        }
        let (prec, r) = self.family.slots(d)?;
        let blocks = self.nested.blocks;
        if name == "ula" {
            let law = ula_law(&prec, self.horizon / steps as f64, steps);
            return Ok(Some(exact(exact_tv(&law, &prec, r)?, "ULA closed form", blocks)));
        }
        let sampler = c3_kinetic(name, steps, d, self)?;
        let var: Vec<f64> = prec.iter().map(|l| 1.0 / l).collect();
        let target = Gaussian::diagonal(vec![0.0; prec.len()], var.clone())?;
        let pi = DiagLaw {
            mean: vec![0.0; prec.len()],
            var,
        };
        let problem = Problem {
            score: &target,
            start: pi.clone(),
            reference: pi,
            layout: Layout::Repeated(r),
        };
        if name.starts_with("rm") || name == "gcc-lc" {
            return nested_tv(&problem, &sampler, &self.nested).map(Some);
        }
        // no random midpoints: one propagation gives the exact law
        let law = propagate(
            &problem,
            &sampler.stages(),
            &mut crate::rng::stream_rng(self.nested.seed, 0),
        );
        Ok(Some(exact(exact_tv(&law, &prec, r)?, "ULMC, no α", blocks)))
    }
    /// ULA 1 (KL ≲ d h ⇒ N ∝ d/ε², Dalalyan 2017), ULMC √d (Cheng et al. 2018), RM-ULMC 1/3
    /// (Altschuler–Chewi–Zhang, as cited in tv-methodology §2.6), gcc-lc 5/12 (GCC24).
    fn theory(&self, name: &str) -> f64 {
        match name {
            "ula" => 1.0,
            "rm-ulmc" => 1.0 / 3.0,
            "gcc-lc" => 5.0 / 12.0,
            _ => 0.5,
        }
    }
}

impl C3Config {
    /// TV of an α-free kinetic sampler on the logcosh product: the 1-D law of one coordinate by
    /// density propagation (cached per `(name, steps)`: it does not depend on d), tensorized.
    fn measure_logcosh(&self, name: &str, steps: usize, d: usize, grid: usize) -> Result<NestedTv> {
        if !matches!(name, "ulmc" | "ulmc+ulmc") {
            return Err(Error::EstimatorNotApplicable {
                estimator: "kinetic density propagation",
                reason: format!(
                    "`{name}` on the logcosh product: only α-free samplers (ulmc, ulmc+ulmc) have a product law; \
                     with one random midpoint shared by all coordinates the law is a mixture of products"
                ),
            });
        }
        let key = (name.to_string(), steps);
        let cached = self.marginals.lock().ok().and_then(|m| m.get(&key).cloned());
        let marginal = match cached {
            Some(m) => m,
            None => {
                let stages = KineticStage::of_kinetic(&c3_kinetic(name, steps, d, self)?)?;
                let g = KineticGrid {
                    nx: grid,
                    nv: grid,
                    ..KineticGrid::default()
                };
                let m = ulmc_marginal(Law1d::LogCosh, &stages, g)?;
                if let Ok(mut cache) = self.marginals.lock() {
                    cache.insert(key, m.clone());
                }
                m
            }
        };
        product_tv(&marginal, d, &self.nested)
    }
}

/// Runs the C3 sweep ([`run_sweep`] on `cfg`).
///
/// # Errors
/// Propagates estimator and fitting errors.
pub fn run_c3(cfg: &C3Config, progress: &mut dyn FnMut(&Progress)) -> Result<SweepResult> {
    run_sweep(cfg, progress)
}
