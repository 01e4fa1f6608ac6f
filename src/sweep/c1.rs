//! The C1 sweep (sequential diffusion sampling: d^{5/12} for the randomized midpoint vs √d for
//! the exponential integrator), run by [`super::run_sweep`].
//!
//! Two target families ([`Family`]), both with the exact score, the exact `q_T` start at a fixed
//! horizon `T`, and the exact `q_δ` as reference, so no log factor enters by design (§2.5):
//! * the isotropic Gaussian `q = N(0, v I_d)`, TV by the semi-analytic nested estimate
//!   ([`crate::tv::semi_analytic`], cost per α-path independent of `d`), every sampler;
//! * the bimodal product `(½N(−s, σ²) + ½N(s, σ²))^{⊗d}`, TV by the grid push-forward nested
//!   estimate ([`crate::tv::grid`]), PF-ODE predictors only (`ei`, `rm`) on geometric-tail grids
//!   (uniform steps, halved toward δ where the bimodal score is stiff).
//!
//! Each configuration uses the same seed, so the estimator's blocks are common-random-number
//! replicates across step counts.

use super::{Progress, SweepAxes, SweepResult, SweepSpec, run_sweep};
use crate::driver::Start;
use crate::error::{Error, Result};
use crate::grid::TimeGrid;
use crate::sampler::pc::{PaperConstants, PaperParams, PcSchedule, PredictorCorrector};
use crate::sampler::{Corrector, CorrectorKind, Ode, OdeKind, StagedSampler, stages_nfe};
use crate::target::{Gaussian, Law1d};
use crate::tv::grid::{GridProblem, grid_nested_tv_checked};
use crate::tv::nested::{NestedConfig, NestedTv};
use crate::tv::semi_analytic::{DiagLaw, Layout, Problem, nested_tv};

/// Target family of a C1 sweep.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Family {
    /// `N(0, v I_d)` with `v` = [`C1Config::var`]; semi-analytic TV; every sampler.
    IsoGaussian,
    /// `(½N(−sep, sd²) + ½N(sep, sd²))^{⊗d}`; grid push-forward TV with `points` nodes per
    /// α-path; `ei` and `rm` only.
    Bimodal {
        /// Mode position.
        sep: f64,
        /// Component standard deviation.
        sd: f64,
        /// Grid nodes `G` of the push-forward maps.
        points: usize,
    },
}

impl Family {
    /// `iso-gaussian` or `bimodal`.
    pub fn name(&self) -> &'static str {
        match self {
            Family::IsoGaussian => "iso-gaussian",
            Family::Bimodal { .. } => "bimodal",
        }
    }
}

/// Configuration of the C1 sweep.
#[derive(Debug, Clone)]
pub struct C1Config {
    /// Target family.
    pub family: Family,
    /// Dimensions.
    pub dims: Vec<usize>,
    /// TV tolerances ε.
    pub eps: Vec<f64>,
    /// Nested-estimator configuration (same seed for every configuration).
    pub nested: NestedConfig,
    /// Horizon `T` (exact `q_T` start).
    pub t_max: f64,
    /// Early-stopping time `δ`.
    pub t_min: f64,
    /// Data variance `v` of `N(0, v I)` (v ≠ 1, else EI is exact, tv-methodology §4.2).
    pub var: f64,
    /// Samplers: any of `ei`, `rm`, `ei+ulmc`, `rm+ulmc`, `ei+ulmc:paper`, `rm+ulmc:paper`
    /// ([`c1_sampler`]).
    pub samplers: Vec<String>,
    /// Largest predictor step count tried.
    pub max_steps: usize,
    /// Bootstrap draws for the intervals.
    pub draws: usize,
}

impl C1Config {
    /// The quick sweep of `randmid check` (about a minute on 2 cores): d = 8 … 8192 (×4),
    /// ε ∈ {0.1, 0.05}, n = 20,000.
    pub fn quick() -> Self {
        C1Config {
            family: Family::IsoGaussian,
            dims: vec![8, 32, 128, 512, 2048, 8192],
            eps: vec![0.1, 0.05],
            nested: NestedConfig {
                n: 20_000,
                m: 32,
                blocks: 32,
                seed: 2025,
            },
            t_max: 2.0,
            t_min: 0.01,
            var: 0.25,
            samplers: ["ei", "rm", "ei+ulmc", "rm+ulmc"].map(String::from).to_vec(),
            max_steps: 4096,
            draws: 200,
        }
    }

    /// The full sweep: d = 8 … 16,384 (powers of 2), ε ∈ {0.1, 0.03, 0.01}, n = 40,000, M = 64.
    pub fn full() -> Self {
        C1Config {
            dims: (3..=14).map(|k| 1usize << k).collect(),
            eps: vec![0.1, 0.03, 0.01],
            nested: NestedConfig {
                n: 40_000,
                m: 64,
                blocks: 40,
                seed: 2025,
            },
            max_steps: 16_384,
            ..C1Config::quick()
        }
    }

    /// The bimodal product family `(½N(−2, 0.25) + ½N(2, 0.25))^{⊗d}` with `ei` and `rm`, T = 2,
    /// δ = 0.01. Quick: d = 8 … 2048 (×4), ε = 0.1, n = 2,000, 8 blocks (the bimodal row of
    /// `randmid check`, G = 2001). Full: d = 8 … 16,384, ε ∈ {0.1, 0.03}, n = 4,000, 16 blocks,
    /// G = 4001.
    /// M = 8 paths per block for `rm` (2 for the deterministic `ei`, whose paths coincide).
    pub fn bimodal(quick: bool) -> Self {
        // G = 4001 keeps the grid error of TV at d = 16,384 near 1e-4 (G = 2001: 1.4e-3, still
        // below the SE; tests/tv_grid.rs)
        let family = Family::Bimodal {
            sep: 2.0,
            sd: 0.5,
            points: if quick { 2001 } else { 4001 },
        };
        let base = C1Config {
            family,
            samplers: ["ei", "rm"].map(String::from).to_vec(),
            ..C1Config::quick()
        };
        if quick {
            C1Config {
                dims: vec![8, 32, 128, 512, 2048],
                eps: vec![0.1],
                nested: NestedConfig {
                    n: 2_000,
                    m: 8,
                    blocks: 8,
                    seed: 2025,
                },
                max_steps: 2048,
                ..base
            }
        } else {
            C1Config {
                dims: vec![8, 32, 128, 512, 2048, 8192, 16_384],
                eps: vec![0.1, 0.03],
                nested: NestedConfig {
                    n: 4_000,
                    m: 8,
                    blocks: 16,
                    seed: 2025,
                },
                max_steps: 8192,
                ..base
            }
        }
    }
}

/// The sampler `name` at resolution `steps` for dimension `d`:
/// * `ei`, `rm`: `steps` predictor steps, uniform on `[δ, T]`;
/// * `ei+ulmc`, `rm+ulmc`: the same predictor, then an exponential-integrator ULMC corrector
///   (γ = 2, duration 0.5, step equal to the predictor step) after every unit of time and at δ;
/// * `ei+ulmc:paper`, `rm+ulmc:paper`: the reconstructed paper schedule ([`PaperParams`]) for
///   `(d, L = max(1, 1/v), ε = 0.1)`, with the predictor and corrector steps divided by
///   `c = steps/1024` (the one-parameter family "schedule × constant", tv-methodology §2.1 (b)):
///   whether one `c` serves every d is what the exponent then tests.
///
/// On the bimodal family only `ei` and `rm` exist, on the geometric-tail grid
/// `TimeGrid::geometric_tail(T, δ, (T − δ)/steps)`.
///
/// # Errors
/// Unknown name (or a corrector on the bimodal family) or invalid times.
pub fn c1_sampler(name: &str, steps: usize, d: usize, cfg: &C1Config) -> Result<Box<dyn StagedSampler>> {
    let (t_max, t_min) = (cfg.t_max, cfg.t_min);
    let h = (t_max - t_min) / steps as f64;
    if let Family::Bimodal { .. } = cfg.family {
        let grid = TimeGrid::geometric_tail(t_max, t_min, h)?;
        return match name {
            "ei" => Ok(Box::new(Ode::ei(grid))),
            "rm" => Ok(Box::new(Ode::rm(grid))),
            other => Err(Error::InvalidConfig {
                reason: format!(
                    "C1 sampler `{other}` on the bimodal family: only the PF-ODE predictors ei and rm have an \
                     estimator of the joint TV there (the grid push-forward; stochastic correctors do not)"
                ),
            }),
        };
    }
    let grid = TimeGrid::uniform(t_max, t_min, steps)?;
    let pc = |kind| -> Result<Box<dyn StagedSampler>> {
        let c = Corrector::new(CorrectorKind::Ulmc, 2.0, h, 0.5)?;
        Ok(Box::new(PredictorCorrector {
            predictor: kind,
            schedule: PcSchedule::user(grid.clone(), 1.0, c)?,
        }))
    };
    let paper = |kind| -> Result<Box<dyn StagedSampler>> {
        let c = steps as f64 / 1024.0;
        let consts = PaperConstants {
            pred_step: 1.0 / c,
            corr_step: 1.0 / c,
            ..PaperConstants::default()
        };
        let p = PaperParams::reconstruct(kind, d, (1.0 / cfg.var).max(1.0), 0.1, consts)?;
        Ok(Box::new(PredictorCorrector {
            predictor: kind,
            schedule: PcSchedule::paper(&p, CorrectorKind::Ulmc, t_max, t_min)?,
        }))
    };
    match name {
        "ei" => Ok(Box::new(Ode::ei(grid))),
        "rm" => Ok(Box::new(Ode::rm(grid))),
        "ei+ulmc" => pc(OdeKind::Ei),
        "rm+ulmc" => pc(OdeKind::Rm),
        "ei+ulmc:paper" => paper(OdeKind::Ei),
        "rm+ulmc:paper" => paper(OdeKind::Rm),
        other => Err(Error::InvalidConfig {
            reason: format!("C1 sampler `{other}` (ei, rm, ei+ulmc, rm+ulmc, ei+ulmc:paper, rm+ulmc:paper)"),
        }),
    }
}

/// The nested TV estimate of one sampler at dimension `d` in the configured family; `None` where
/// the estimator refuses the map (a coarse step folds the bimodal line: such points lie far
/// above every ε and are skipped).
pub(crate) fn estimate(cfg: &C1Config, sampler: &dyn StagedSampler, name: &str, d: usize) -> Result<Option<NestedTv>> {
    match cfg.family {
        Family::IsoGaussian => {
            let g = Gaussian::isotropic(1, 0.0, cfg.var)?;
            let law = |t: f64| DiagLaw::diffused(&[0.0], &[cfg.var], t);
            let problem = Problem {
                score: &g,
                start: law(cfg.t_max),
                reference: law(cfg.t_min),
                layout: Layout::Repeated(d),
            };
            nested_tv(&problem, sampler, &cfg.nested).map(Some)
        }
        Family::Bimodal { sep, sd, points } => {
            let problem = GridProblem {
                points,
                ..GridProblem::new(Law1d::bimodal(sep, sd)?, d, Start::Exact)
            };
            // the deterministic EI has one path law: an inner pool of 2 is exact
            let nested = NestedConfig {
                m: if name == "ei" { 2 } else { cfg.nested.m },
                ..cfg.nested
            };
            match grid_nested_tv_checked(&problem, sampler, &nested) {
                Err(Error::FoldedMap { .. }) => Ok(None),
                other => other.map(Some),
            }
        }
    }
}

impl SweepSpec for C1Config {
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
        Ok(stages_nfe(&c1_sampler(name, steps, d, self)?.stages()))
    }
    fn measure(&self, name: &str, steps: usize, d: usize) -> Result<Option<NestedTv>> {
        estimate(self, c1_sampler(name, steps, d, self)?.as_ref(), name, d)
    }
    /// 1/2 for EI (CCL+23a), 5/12 for RM (GCC24).
    fn theory(&self, name: &str) -> f64 {
        if name.starts_with("rm") { 5.0 / 12.0 } else { 0.5 }
    }
}

/// Runs the C1 sweep ([`run_sweep`] on `cfg`).
///
/// # Errors
/// Propagates estimator and fitting errors.
pub fn run_c1(cfg: &C1Config, progress: &mut dyn FnMut(&Progress)) -> Result<SweepResult> {
    run_sweep(cfg, progress)
}
