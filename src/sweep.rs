//! Scaling sweeps: TV against NFE over a grid of dimensions, N*(d, ε), and fitted d-exponents
//! (tv-methodology.md §2), for claim C1 (sequential diffusion sampling: d^{5/12} for the
//! randomized midpoint vs √d for the exponential integrator).
//!
//! The C1 sweep implemented here uses the isotropic Gaussian family `q = N(0, v I_d)` with the
//! exact score, the exact `q_T` start at a fixed horizon `T`, and the exact `q_δ` as reference, so
//! no log factor enters by design (§2.5). TV is the semi-analytic nested estimate
//! ([`crate::tv::semi_analytic`]), whose cost per α-path does not depend on `d`. Each
//! configuration uses the same seed, so the estimator's blocks are common-random-number replicates
//! across step counts; N*(ε) and the exponents get percentile bootstrap intervals over blocks.

use crate::error::Result;
use crate::grid::TimeGrid;
use crate::sampler::pc::{PaperConstants, PaperParams, PcSchedule, PredictorCorrector};
use crate::sampler::{Corrector, CorrectorKind, Ode, OdeKind, StagedSampler, stages_nfe};
use crate::scaling::{Crossing, bootstrap_exponent, bootstrap_n_star, local_slopes, n_star_of_replicates};
use crate::target::Gaussian;
use crate::tv::TvEstimate;
use crate::tv::nested::NestedConfig;
use crate::tv::semi_analytic::{DiagLaw, Layout, Problem, nested_tv};

/// Configuration of the C1 sweep.
#[derive(Debug, Clone)]
pub struct C1Config {
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
}

/// One measured configuration.
#[derive(Debug, Clone)]
pub struct Point {
    /// Target family name.
    pub family: String,
    /// Sampler name.
    pub sampler: String,
    /// Dimension.
    pub d: usize,
    /// Predictor steps.
    pub steps: usize,
    /// Score evaluations per sample.
    pub nfe: u64,
    /// TV estimate with its interval.
    pub tv: TvEstimate,
}

/// N*(d, ε) of one sampler.
#[derive(Debug, Clone)]
pub struct NStarRow {
    /// Sampler name.
    pub sampler: String,
    /// Tolerance.
    pub eps: f64,
    /// Dimension.
    pub d: usize,
    /// N* (NFE) if the TV curve crossed ε.
    pub value: Option<f64>,
    /// 95% bootstrap interval (censored draws count as 0 or +∞).
    pub low: f64,
    /// Upper end of the interval.
    pub high: f64,
}

/// Fitted exponent of N*(d, ε) ∝ d^β.
#[derive(Debug, Clone)]
pub struct Fit {
    /// Target family.
    pub family: String,
    /// Sampler name.
    pub sampler: String,
    /// Tolerance.
    pub eps: f64,
    /// β (weighted least squares of ln N* on ln d).
    pub exponent: f64,
    /// 95% bootstrap interval of β over estimator blocks.
    pub ci_low: f64,
    /// Upper end.
    pub ci_high: f64,
    /// Local slopes between neighbouring d: `(√(d_i d_{i+1}), slope)`.
    pub local: Vec<(f64, f64)>,
    /// Dimensions entering the fit.
    pub dims: Vec<usize>,
    /// β fitted on the upper half of those dimensions (at least 3): the asymptotic regime.
    pub exponent_large_d: f64,
    /// 95% bootstrap interval of `exponent_large_d`.
    pub large_d_ci: (f64, f64),
    /// Largest |local slope − exponent_large_d| over the upper half: the drift that a single
    /// exponent does not capture (a systematic allowance for the verdict).
    pub drift: f64,
    /// The theory's exponent for this sampler (upper bound): 1/2 (EI, CCL+23a) or 5/12 (RM, GCC24).
    pub theory: f64,
}

/// Everything the sweep measured.
#[derive(Debug, Clone, Default)]
pub struct C1Result {
    /// All TV points.
    pub points: Vec<Point>,
    /// N* per (sampler, ε, d).
    pub nstar: Vec<NStarRow>,
    /// Exponent fits per (sampler, ε).
    pub fits: Vec<Fit>,
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
/// # Errors
/// Unknown name or invalid times.
pub fn c1_sampler(name: &str, steps: usize, d: usize, cfg: &C1Config) -> Result<Box<dyn StagedSampler>> {
    let (t_max, t_min) = (cfg.t_max, cfg.t_min);
    let grid = TimeGrid::uniform(t_max, t_min, steps)?;
    let h = (t_max - t_min) / steps as f64;
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
        other => Err(crate::Error::InvalidConfig {
            reason: format!("C1 sampler `{other}` (ei, rm, ei+ulmc, rm+ulmc, ei+ulmc:paper, rm+ulmc:paper)"),
        }),
    }
}

/// The theory exponent quoted for a sampler.
fn theory(name: &str) -> f64 {
    if name.starts_with("rm") { 5.0 / 12.0 } else { 0.5 }
}

/// One TV curve: TV against NFE for increasing step counts (ratio 2^{1/4}, tv-methodology §2.2), stopped once the plain
/// estimate is below `min ε / 4` twice (or at `max_steps`). Returns the points and the per-block
/// replicate curves.
fn curve(cfg: &C1Config, name: &str, d: usize, progress: &mut dyn FnMut(&str)) -> Result<(Vec<Point>, Vec<Vec<f64>>)> {
    let g = Gaussian::isotropic(1, 0.0, cfg.var)?;
    let law = |t: f64| DiagLaw::diffused(&[0.0], &[cfg.var], t);
    let problem = Problem {
        score: &g,
        start: law(cfg.t_max),
        reference: law(cfg.t_min),
        layout: Layout::Repeated(d),
    };
    let floor = cfg.eps.iter().cloned().fold(f64::INFINITY, f64::min) / 4.0;
    let (mut points, mut reps) = (vec![], vec![vec![]; cfg.nested.blocks]);
    let (mut steps, mut below) = (2usize, 0);
    while steps <= cfg.max_steps && below < 2 {
        let sampler = c1_sampler(name, steps, d, cfg)?;
        let nfe = stages_nfe(&sampler.stages());
        if points.last().is_some_and(|p: &Point| nfe <= p.nfe) {
            // a coarser schedule can saturate (step capped at the chunk, ≥ 1 corrector step):
            // keep the NFE axis strictly increasing
            steps = ((steps as f64) * 2f64.powf(0.25)).ceil() as usize;
            continue;
        }
        let r = nested_tv(&problem, sampler.as_ref(), &cfg.nested)?;
        // Richardson block values are unbiased but can dip below 0 where TV ≈ 0 (far below every
        // ε); N* needs non-negative curves, and clipping there cannot move a crossing at ε.
        for (rep, &b) in reps.iter_mut().zip(&r.blocks) {
            rep.push(b.max(0.0));
        }
        progress(&format!(
            "c1 iso-gaussian {name:<8} d={d:<6} steps={steps:<6} NFE={nfe:<7} TV={:.4}",
            r.richardson.tv
        ));
        if r.plain.tv < floor {
            below += 1;
        }
        points.push(Point {
            family: "iso-gaussian".into(),
            sampler: name.into(),
            d,
            steps,
            nfe,
            tv: r.richardson,
        });
        steps = ((steps as f64) * 2f64.powf(0.25)).ceil() as usize;
    }
    Ok((points, reps))
}

/// Runs the C1 sweep, reporting progress lines through `progress`.
///
/// # Errors
/// Propagates estimator and fitting errors.
pub fn run_c1(cfg: &C1Config, progress: &mut dyn FnMut(&str)) -> Result<C1Result> {
    let mut out = C1Result::default();
    for name in &cfg.samplers {
        let mut curves = vec![];
        for &d in &cfg.dims {
            let (points, reps) = curve(cfg, name, d, progress)?;
            let nfe: Vec<f64> = points.iter().map(|p| p.nfe as f64).collect();
            out.points.extend(points);
            curves.push((d, nfe, reps));
        }
        for &eps in &cfg.eps {
            fit_one(cfg, name, eps, &curves, &mut out)?;
        }
    }
    Ok(out)
}

type Curve = (usize, Vec<f64>, Vec<Vec<f64>>);

/// N*(d, ε) with bootstrap intervals for each d, then the exponent fit over the d's where N* was
/// found.
fn fit_one(cfg: &C1Config, name: &str, eps: f64, curves: &[Curve], out: &mut C1Result) -> Result<()> {
    let mut found = vec![];
    for (d, nfe, reps) in curves {
        let b = bootstrap_n_star(reps, nfe, eps, cfg.draws, cfg.nested.seed)?;
        out.nstar.push(NStarRow {
            sampler: name.into(),
            eps,
            d: *d,
            value: b.point.value,
            low: b.interval.low,
            high: b.interval.high,
        });
        if b.point.status == Crossing::Found {
            found.push((*d, nfe.clone(), reps.clone(), b.point.value.unwrap_or(f64::NAN)));
        }
    }
    if found.len() < 3 {
        return Ok(());
    }
    let dims: Vec<f64> = found.iter().map(|f| f.0 as f64).collect();
    let values: Vec<f64> = found.iter().map(|f| f.3).collect();
    let boot_of = |from: usize| {
        bootstrap_exponent(&dims[from..], cfg.nested.blocks, cfg.draws, cfg.nested.seed, |idx| {
            found[from..]
                .iter()
                .map(|(_, nfe, reps, _)| Ok(n_star_of_replicates(reps, nfe, eps, idx)?.value))
                .collect()
        })
    };
    let boot = boot_of(0)?;
    let from = (found.len() / 2).min(found.len() - 3);
    let large = boot_of(from)?;
    let local = local_slopes(&dims, &values)?;
    let drift = local[from..]
        .iter()
        .map(|&(_, s)| (s - large.point.exponent).abs())
        .fold(0.0, f64::max);
    out.fits.push(Fit {
        family: "iso-gaussian".into(),
        sampler: name.into(),
        eps,
        exponent: boot.point.exponent,
        ci_low: boot.interval.low,
        ci_high: boot.interval.high,
        local,
        dims: found.iter().map(|f| f.0).collect(),
        exponent_large_d: large.point.exponent,
        large_d_ci: (large.interval.low, large.interval.high),
        drift,
        theory: theory(name),
    });
    Ok(())
}
