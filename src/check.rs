//! `randmid check`: sample exact targets with the built-in samplers at a few step counts and
//! print each one's error against the exact law of `q_δ`.
//!
//! Every run starts from the exact `q_T` (so the only error is the sampler's discretization) and
//! uses the exact score. Per row: the RMS over coordinates of the mean error, the RMS over
//! coordinates of the relative variance error, and the exact 1-D Wasserstein-2 distance between
//! the empirical law of coordinate 0 and its exact marginal ([`Mixture1d::w2_empirical`]). The
//! Monte Carlo floor of each column is printed with the table: the standard error of the mean,
//! `√(2/(n−1))` for the relative variance, and the W2 of `n` exact samples of `q_δ`.

use std::fmt::Write;

use crate::driver::{Start, sample, sample_exact};
use crate::error::Result;
use crate::grid::TimeGrid;
use crate::metrics::{Mixture1d, moments};
use crate::sampler::pc::{PcSchedule, PredictorCorrector};
use crate::sampler::{Corrector, CorrectorKind, Ode, OdeKind, ReverseSde, Sampler};
use crate::target::{Gaussian, Law1d, Product, Target};

/// What `check` runs.
#[derive(Debug, Clone)]
pub struct CheckConfig {
    /// Dimension of every target.
    pub dim: usize,
    /// Samples per row.
    pub n: usize,
    /// Predictor step counts.
    pub steps: Vec<usize>,
    /// Start time `T`.
    pub t_max: f64,
    /// Early-stopping time `δ`.
    pub t_min: f64,
    /// Seed of every run.
    pub seed: u64,
}

impl CheckConfig {
    /// The built-in defaults (`quick = false`): d = 16, n = 20,000, steps 8…64, T = 5, δ = 0.01.
    /// `quick` shrinks n and the step list for smoke tests.
    pub fn default_or_quick(quick: bool) -> Self {
        CheckConfig {
            dim: 16,
            n: if quick { 2_000 } else { 20_000 },
            steps: if quick { vec![8, 32] } else { vec![8, 16, 32, 64] },
            t_max: 5.0,
            t_min: 0.01,
            seed: 2025,
        }
    }
}

/// A target of the check with the exact law of each coordinate of its data.
struct Case {
    name: &'static str,
    target: Box<dyn Target>,
    data_marginal: Mixture1d,
}

fn cases(dim: usize) -> Result<Vec<Case>> {
    Ok(vec![
        Case {
            name: "iso-gaussian(mean 1, var 4)",
            target: Box::new(Gaussian::isotropic(dim, 1.0, 4.0)?),
            data_marginal: Mixture1d::gaussian(1.0, 2.0)?,
        },
        Case {
            name: "bimodal(½N(−2, 0.5²) + ½N(2, 0.5²))^⊗d",
            target: Box::new(Product::iid(Law1d::bimodal(2.0, 0.5)?, dim)?),
            data_marginal: Mixture1d::new(vec![0.5, 0.5], vec![-2.0, 2.0], vec![0.5, 0.5])?,
        },
    ])
}

fn samplers(cfg: &CheckConfig, steps: usize) -> Result<Vec<Box<dyn Sampler>>> {
    let grid = TimeGrid::uniform(cfg.t_max, cfg.t_min, steps)?;
    let corrector = Corrector::new(CorrectorKind::Ulmc, 2.0, 0.05, 0.5)?;
    let pc = |kind| -> Result<Box<dyn Sampler>> {
        Ok(Box::new(PredictorCorrector {
            predictor: kind,
            schedule: PcSchedule::user(grid.clone(), 1.0, corrector.clone())?,
        }))
    };
    Ok(vec![
        Box::new(Ode::ei(grid.clone())),
        Box::new(Ode::rm(grid.clone())),
        Box::new(ReverseSde { grid: grid.clone() }),
        pc(OdeKind::Ei)?,
        pc(OdeKind::Rm)?,
    ])
}

/// Mean and standard deviation of the W2 of coordinate 0 of `n` exact `q_δ` samples, over 5
/// independent sample sets (the Monte Carlo floor of the W2 column).
fn w2_floor(target: &dyn Target, law: &Mixture1d, cfg: &CheckConfig) -> (f64, f64) {
    let w: Vec<f64> = (0..5u64)
        .map(|r| {
            let exact = sample_exact(target, cfg.t_min, cfg.n, cfg.seed ^ (0x5eed + r));
            law.w2_empirical(&exact.iter().step_by(cfg.dim).copied().collect::<Vec<_>>())
        })
        .collect();
    let mean = w.iter().sum::<f64>() / 5.0;
    (mean, (w.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 4.0).sqrt())
}

/// Runs the check and returns the printed report.
///
/// # Errors
/// Propagates construction errors and non-finite sampler output.
pub fn run(cfg: &CheckConfig) -> Result<String> {
    let mut out = String::new();
    let n = cfg.n as f64;
    let _ = writeln!(
        out,
        "randmid check: d = {}, n = {}, exact q_T start at T = {}, δ = {}, exact scores, seed {}",
        cfg.dim, cfg.n, cfg.t_max, cfg.t_min, cfg.seed
    );
    let _ = writeln!(
        out,
        "columns: mean err = RMS_i |mean_i − exact|; var err = RMS_i |var_i/exact − 1|; W2 = exact 1-D W2(coordinate 0, exact marginal)"
    );
    let _ = writeln!(
        out,
        "corrector (ei+ulmc, rm+ulmc): γ = 2, h_c = 0.05, T_c = 0.5, after every unit of time and at δ\n"
    );
    for case in cases(cfg.dim)? {
        let law = case.data_marginal.diffused(cfg.t_min);
        let (m_exact, v_exact) = (law.mean(), law.variance());
        let (floor_w2, floor_sd) = w2_floor(case.target.as_ref(), &law, cfg);
        let _ = writeln!(out, "target {} (d = {})", case.name, cfg.dim);
        let _ = writeln!(
            out,
            "  Monte Carlo floor: mean err ≈ {:.1e}, var err ≈ {:.1e}, W2 of n exact samples = {:.2e} ± {:.1e} (5 draws)",
            (v_exact / n).sqrt(),
            (2.0 / (n - 1.0)).sqrt(),
            floor_w2,
            floor_sd
        );
        let _ = writeln!(
            out,
            "  {:<10} {:>6} {:>6} {:>11} {:>11} {:>11}",
            "sampler", "steps", "NFE", "mean err", "var err", "W2"
        );
        for &steps in &cfg.steps {
            for s in samplers(cfg, steps)? {
                let res = sample(
                    case.target.as_ref(),
                    case.target.as_ref(),
                    s.as_ref(),
                    Start::Exact,
                    cfg.n,
                    cfg.seed,
                )?;
                let (m, v) = moments(&res.samples, cfg.dim);
                let rms = |f: &dyn Fn(usize) -> f64| {
                    ((0..cfg.dim).map(|i| f(i).powi(2)).sum::<f64>() / cfg.dim as f64).sqrt()
                };
                let mean_err = rms(&|i| m[i] - m_exact);
                let var_err = rms(&|i| v[i] / v_exact - 1.0);
                let w2 = law.w2_empirical(&res.samples.iter().step_by(cfg.dim).copied().collect::<Vec<_>>());
                let _ = writeln!(
                    out,
                    "  {:<10} {:>6} {:>6} {:>11.3e} {:>11.3e} {:>11.3e}",
                    s.name(),
                    steps,
                    res.nfe_per_sample,
                    mean_err,
                    var_err,
                    w2
                );
            }
        }
        let _ = writeln!(out);
    }
    Ok(out)
}
