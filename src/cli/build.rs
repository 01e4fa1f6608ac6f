//! Building targets, samplers and score errors from CLI options.

use super::args::{Args, bad};
use super::json::Json;
use crate::error::{Result, check_count};
use crate::grid::TimeGrid;
use crate::parallel::Paradigms;
use crate::sampler::pc::{PaperConstants, PaperParams, PcSchedule, PredictorCorrector};
use crate::sampler::{Corrector, CorrectorKind, Ode, OdeKind, ReverseSde, Sampler, StagedSampler};
use crate::target::{ErrorKind, Gaussian, GaussianMixture, Law1d, Perturbed, Product, Score, Target};

/// One line per target: name, options, description (for `randmid targets`).
pub const TARGETS: &[(&str, &str, &str)] = &[
    (
        "iso-gaussian",
        "--mean M (0) --var V (1)",
        "data N(M·1, V·I_d); everything exact",
    ),
    (
        "bimodal",
        "--sep S (2) --sd SD (0.5)",
        "i.i.d. product of ½N(−S, SD²) + ½N(S, SD²); everything exact",
    ),
    (
        "gmm",
        "--components K (4) --target-seed S (0) --sep R (4) --comp-var V (0.25)",
        "K equal-weight isotropic components, means R·(random orthonormal directions)",
    ),
    (
        "logcosh",
        "",
        "i.i.d. product of density ∝ exp(−x²/2 − log cosh x); score at t > 0 by 1-D quadrature; \
         as a potential f = Σ x²/2 + ln cosh x (m = 1, L = 2)",
    ),
    (
        "ill-gaussian",
        "--kappa K (100)",
        "N(0, diag(1/λ)) with λ = logspace(−½ log₁₀ K, ½ log₁₀ K, d): condition number K",
    ),
    (
        "logistic",
        "--data breast-cancer --prior-var S2 (1)",
        "log-concave samplers only: Bayesian logistic regression posterior on the shipped Wisconsin \
         breast-cancer data (d = 31, standardised, intercept first, prior N(0, S2 I))",
    ),
];

/// One line per sampler: name, options, description (for `randmid samplers`).
pub const SAMPLERS: &[(&str, &str, &str)] = &[
    (
        "ei",
        "--steps N --grid G",
        "exponential-integrator PF-ODE predictor (CCL+23a), 1 NFE/step",
    ),
    (
        "rm",
        "--steps N --grid G",
        "randomized-midpoint PF-ODE predictor (Algorithm 1), 2 NFE/step",
    ),
    (
        "sde",
        "--steps N --grid G",
        "reverse-SDE exponential integrator (DDPM-type baseline), 1 NFE/step",
    ),
    (
        "ei+ulmc",
        "PC options",
        "Algorithm 3: EI predictor + exponential-integrator ULMC corrector",
    ),
    (
        "rm+ulmc",
        "PC options",
        "Algorithm 3: RM predictor + exponential-integrator ULMC corrector",
    ),
    (
        "ei+rm-ulmc",
        "PC options",
        "Algorithm 3: EI predictor + Shen–Lee randomized-midpoint ULMC corrector",
    ),
    (
        "rm+rm-ulmc",
        "PC options",
        "Algorithm 3: RM predictor + Shen–Lee randomized-midpoint ULMC corrector",
    ),
    (
        "rm-par",
        "--steps N --grid G --nodes R (8) --picard K (4)",
        "parallel randomized-midpoint PF-ODE predictor (paper.md §2.4): R stratified midpoints, K Picard \
         rounds; K + 2 rounds and 1 + R(K + 1) NFE per step",
    ),
    (
        "rm-par+ulmc-par",
        "PC options + --nodes R --picard K --cells M (8)",
        "parallel predictor–corrector: rm-par predictor + ACV24 parallel ULMC corrector (M fine cells per \
         corrector step, K Picard rounds); --chunk larger than T gives the predictor-once-then-corrector-once \
         variant",
    ),
    (
        "paradigms",
        "--steps N --grid G --window P (16) --tol TOL (0.1)",
        "ParaDiGMS sliding-window Picard over the EI predictor (Shih et al. 2023); rounds depend on the data",
    ),
    ("ula", "LC options", "log-concave: unadjusted Langevin, 1 gradient/step"),
    (
        "mala",
        "LC options",
        "log-concave: Metropolis-adjusted Langevin (acceptance in the JSON sidecar), 1 gradient/step",
    ),
    (
        "ulmc",
        "LC options",
        "log-concave: exponential-integrator underdamped Langevin (Cheng et al. 2018), 1 gradient/step",
    ),
    (
        "rm-ulmc",
        "LC options",
        "log-concave: Shen–Lee randomized-midpoint ULMC (SL19 Alg. 1, general γ), 2 gradients/step",
    ),
    (
        "gcc-lc",
        "LC options + --corr-time T_c (0.5/√L) --corr-step h_c (h)",
        "log-concave: GCC24's TV algorithm (reconstructed): RM-ULMC, then ULMC with fresh velocity",
    ),
    (
        "ulmc-par",
        "LC options + --cells M (8) --picard K (4)",
        "log-concave: ACV24 parallel ULMC, each step of h = M fine cells of h/M, K Picard rounds",
    ),
    (
        "rm-ulmc-par",
        "LC options + --nodes R (8) --picard K (4)",
        "log-concave: SL19 parallel randomized-midpoint ULMC (Alg. 2, general γ), R midpoints, K Picard rounds",
    ),
];

/// A target built from the command line, kept concrete so that instruments can use what each
/// kind offers (e.g. the semi-analytic TV for Gaussians).
#[derive(Clone)]
pub enum BuiltTarget {
    /// `iso-gaussian`.
    Gaussian(Gaussian),
    /// `gmm`.
    Mixture(GaussianMixture),
    /// `bimodal`, `logcosh`.
    Product(Product),
}

impl BuiltTarget {
    /// As a trait object.
    pub fn as_dyn(&self) -> &dyn Target {
        match self {
            BuiltTarget::Gaussian(t) => t,
            BuiltTarget::Mixture(t) => t,
            BuiltTarget::Product(t) => t,
        }
    }

    /// Boxed as a trait object.
    pub fn boxed(self) -> Box<dyn Target> {
        match self {
            BuiltTarget::Gaussian(t) => Box::new(t),
            BuiltTarget::Mixture(t) => Box::new(t),
            BuiltTarget::Product(t) => Box::new(t),
        }
    }
}

/// Builds the target named by `--target` in dimension `--dim`.
///
/// # Errors
/// Unknown name, bad parameters (typed errors from the constructors).
pub fn target(args: &mut Args) -> Result<(BuiltTarget, Json)> {
    let name = args.required("target")?;
    let dim = args.usize_or("dim", 2)?;
    let (t, params): (BuiltTarget, Vec<(&str, Json)>) = match name.as_str() {
        "iso-gaussian" => {
            let (m, v) = (args.f64_or("mean", 0.0)?, args.f64_or("var", 1.0)?);
            let params = vec![("mean", Json::Num(m)), ("var", Json::Num(v))];
            (BuiltTarget::Gaussian(Gaussian::isotropic(dim, m, v)?), params)
        }
        "bimodal" => {
            let (sep, sd) = (args.f64_or("sep", 2.0)?, args.f64_or("sd", 0.5)?);
            let params = vec![("sep", Json::Num(sep)), ("sd", Json::Num(sd))];
            (
                BuiltTarget::Product(Product::iid(Law1d::bimodal(sep, sd)?, dim)?),
                params,
            )
        }
        "gmm" => {
            let k = args.usize_or("components", 4)?;
            let seed = args.u64_or("target-seed", 0)?;
            let (sep, var) = (args.f64_or("sep", 4.0)?, args.f64_or("comp-var", 0.25)?);
            let params = vec![
                ("components", Json::Int(k as i64)),
                ("target_seed", Json::Int(seed as i64)),
                ("sep", Json::Num(sep)),
                ("comp_var", Json::Num(var)),
            ];
            (
                BuiltTarget::Mixture(GaussianMixture::random(dim, k, sep, var, seed)?),
                params,
            )
        }
        "logcosh" => (BuiltTarget::Product(Product::iid(Law1d::log_cosh(), dim)?), vec![]),
        "ill-gaussian" => {
            let kappa = args.f64_or("kappa", 100.0)?;
            let f = crate::potential::DiagGaussian::ill_conditioned(dim, kappa)?;
            let var = f.precision().iter().map(|l| 1.0 / l).collect();
            (
                BuiltTarget::Gaussian(Gaussian::diagonal(vec![0.0; dim], var)?),
                vec![("kappa", Json::Num(kappa))],
            )
        }
        "logistic" => {
            return Err(bad(
                "target `logistic` is a potential without diffusion marginals: use a log-concave sampler \
                 (ula, mala, ulmc, rm-ulmc, gcc-lc)"
                    .into(),
            ));
        }
        other => return Err(bad(format!("unknown target `{other}` (see `randmid targets`)"))),
    };
    let mut cfg = vec![("name", Json::Str(name)), ("dim", Json::Int(dim as i64))];
    cfg.extend(params);
    Ok((t, Json::obj(cfg)))
}

/// Builds the predictor grid from `--steps`, `--grid`, `--t-max`, `--t-min`.
fn grid(args: &mut Args, t_max: f64, t_min: f64) -> Result<(TimeGrid, Json)> {
    let steps = args.usize_or("steps", 100)?;
    let kind = args.str_or("grid", "uniform");
    let grid = match kind.as_str() {
        "uniform" => TimeGrid::uniform(t_max, t_min, steps)?,
        "geometric" if steps == 0 => return Err(bad("--steps must be at least 1".into())),
        "geometric" => TimeGrid::geometric_tail(t_max, t_min, (t_max - t_min) / steps as f64)?,
        s if s.starts_with("times:") => {
            let times: std::result::Result<Vec<f64>, _> = s[6..].split(',').map(str::parse).collect();
            TimeGrid::new(times.map_err(|_| bad(format!("--grid {s}: times must be numbers")))?)?
        }
        other => {
            return Err(bad(format!(
                "unknown grid `{other}` (uniform, geometric, times:T0,T1,…)"
            )));
        }
    };
    let cfg = Json::obj([("kind", Json::Str(kind)), ("steps", Json::Int(grid.steps() as i64))]);
    Ok((grid, cfg))
}

/// A sampler built from the command line: with a stage list (every built-in sampler but
/// ParaDiGMS, usable by the stage-walking estimators), or without.
pub enum BuiltSampler {
    /// A sampler with a stage list.
    Staged(Box<dyn StagedSampler>),
    /// A sampler without one (`paradigms`: its rounds depend on the data).
    Plain(Box<dyn Sampler>),
}

impl BuiltSampler {
    /// As a plain sampler.
    pub fn as_sampler(&self) -> &dyn Sampler {
        match self {
            BuiltSampler::Staged(s) => s.as_ref(),
            BuiltSampler::Plain(s) => s.as_ref(),
        }
    }

    /// The staged sampler, or an error naming the instrument that needs one.
    ///
    /// # Errors
    /// [`crate::Error::EstimatorNotApplicable`] for a sampler without stages.
    pub fn staged(&self, instrument: &'static str) -> Result<&dyn StagedSampler> {
        match self {
            BuiltSampler::Staged(s) => Ok(s.as_ref()),
            BuiltSampler::Plain(s) => Err(crate::Error::EstimatorNotApplicable {
                estimator: instrument,
                reason: format!(
                    "`{}` has no fixed stage list (its rounds depend on the data); sample it and use a \
                     sample-based instrument",
                    s.name()
                ),
            }),
        }
    }
}

/// Builds the sampler named by `--sampler` for `target`.
///
/// # Errors
/// Unknown name, bad parameters, a paper schedule without a Lipschitz constant.
pub fn sampler(args: &mut Args, target: &dyn Target) -> Result<(BuiltSampler, Json)> {
    let name = args.required("sampler")?;
    let t_max = args.f64_or("t-max", 5.0)?;
    let t_min = args.f64_or("t-min", 1e-3)?;
    let mut cfg = vec![
        ("name", Json::Str(name.clone())),
        ("t_max", Json::Num(t_max)),
        ("t_min", Json::Num(t_min)),
    ];
    let par = parallel_options(args, &name, target.dim())?;
    if let Some((nodes, picard, _)) = par {
        cfg.push(("nodes", Json::Int(nodes as i64)));
        cfg.push(("picard", Json::Int(picard as i64)));
    }
    if let Some((pred, corr)) = name.split_once('+') {
        let (s, sc) = predictor_corrector(
            args,
            target,
            ode_kind(pred, par)?,
            corrector_kind(corr, par)?,
            t_max,
            t_min,
        )?;
        cfg.push(("schedule", sc));
        return Ok((BuiltSampler::Staged(s), Json::obj(cfg)));
    }
    let (g, gcfg) = grid(args, t_max, t_min)?;
    cfg.push(("grid", gcfg));
    let s = match name.as_str() {
        "sde" => BuiltSampler::Staged(Box::new(ReverseSde { grid: g })),
        "paradigms" => {
            let (window, tol) = (args.usize_or("window", 16)?, args.f64_or("tol", 0.1)?);
            cfg.push(("window", Json::Int(window as i64)));
            cfg.push(("tol", Json::Num(tol)));
            // a window longer than the grid acts as the whole grid (same rounds, same output) but
            // would allocate `window × d`
            let window = window.min(g.steps());
            BuiltSampler::Plain(Box::new(Paradigms::new(g, window, tol)?))
        }
        other => BuiltSampler::Staged(Box::new(Ode {
            kind: ode_kind(other, par)?,
            grid: g,
        })),
    };
    Ok((s, Json::obj(cfg)))
}

/// `(nodes, picard, cells)` for names with a parallel part (`--nodes R (8) --picard K (4)
/// --cells M (8)`), `None` otherwise. The per-step buffers (`R × d` node positions, `2M × d`
/// normals) and the Picard round count must stay within [`crate::error::MAX_LEN`].
fn parallel_options(args: &mut Args, name: &str, dim: usize) -> Result<Option<(usize, usize, usize)>> {
    if !name.split('+').any(|p| p.ends_with("-par")) {
        return Ok(None);
    }
    let nodes = args.usize_or("nodes", 8)?;
    let picard = args.usize_or("picard", 4)?;
    let cells = args.usize_or("cells", 8)?;
    if nodes == 0 || cells == 0 {
        return Err(bad("--nodes and --cells must be at least 1".into()));
    }
    check_parallel_sizes(dim, &[("nodes × dim", nodes, 1), ("2 × cells × dim", cells, 2)], picard)?;
    Ok(Some((nodes, picard, cells)))
}

/// Checks `factor · width · dim ≤ MAX_LEN` for each `(name, width, factor)` and `picard ≤
/// MAX_LEN`: larger values would end in a capacity-overflow panic, an allocation abort or a run
/// that never finishes.
pub(crate) fn check_parallel_sizes(dim: usize, widths: &[(&'static str, usize, usize)], picard: usize) -> Result<()> {
    for &(name, width, factor) in widths {
        check_count(name, width.checked_mul(factor).and_then(|w| w.checked_mul(dim)))?;
    }
    check_count("picard", Some(picard))?;
    Ok(())
}

/// Checks that a corrector makes at most [`crate::error::MAX_LEN`] steps per call (`T_c / h_c`; more would
/// never finish).
pub(crate) fn check_corrector_steps(c: &Corrector) -> Result<()> {
    check_count("corr-time / corr-step (corrector steps)", Some(c.steps)).map(|_| ())
}

fn ode_kind(name: &str, par: Option<(usize, usize, usize)>) -> Result<OdeKind> {
    match (name, par) {
        ("ei", _) => Ok(OdeKind::Ei),
        ("rm", _) => Ok(OdeKind::Rm),
        ("rm-par", Some((nodes, picard, _))) => Ok(OdeKind::RmPar { nodes, picard }),
        (other, _) => Err(bad(format!(
            "unknown sampler or predictor `{other}` (see `randmid samplers`)"
        ))),
    }
}

fn corrector_kind(name: &str, par: Option<(usize, usize, usize)>) -> Result<CorrectorKind> {
    match (name, par) {
        ("ulmc", _) => Ok(CorrectorKind::Ulmc),
        ("rm-ulmc", _) => Ok(CorrectorKind::RmUlmc),
        ("ulmc-par", Some((_, picard, cells))) => Ok(CorrectorKind::UlmcPar { cells, picard }),
        (other, _) => Err(bad(format!("unknown corrector `{other}` (ulmc, rm-ulmc, ulmc-par)"))),
    }
}

/// `--schedule user` (default: `--steps --grid --chunk --gamma --corr-step --corr-time`) or
/// `--schedule paper` (`--eps`, `--lipschitz`, default the target's known L).
fn predictor_corrector(
    args: &mut Args,
    target: &dyn Target,
    pred: OdeKind,
    corr: CorrectorKind,
    t_max: f64,
    t_min: f64,
) -> Result<(Box<dyn StagedSampler>, Json)> {
    let schedule = args.str_or("schedule", "user");
    let (sched, cfg) = match schedule.as_str() {
        "user" => {
            let (g, gcfg) = grid(args, t_max, t_min)?;
            let (chunk, gamma) = (args.f64_or("chunk", 1.0)?, args.f64_or("gamma", 2.0)?);
            let (h, dur) = (args.f64_or("corr-step", 0.05)?, args.f64_or("corr-time", 0.5)?);
            let c = Corrector::new(corr, gamma, h, dur)?;
            check_corrector_steps(&c)?;
            let cfg = vec![
                ("kind", Json::Str("user".into())),
                ("grid", gcfg),
                ("chunk", Json::Num(chunk)),
                ("gamma", Json::Num(gamma)),
                ("corr_step", Json::Num(c.h)),
                ("corr_steps", Json::Int(c.steps as i64)),
            ];
            (PcSchedule::user(g, chunk, c)?, cfg)
        }
        "paper" => {
            let eps = args.f64_or("eps", 0.1)?;
            let l = match args.f64_opt("lipschitz")? {
                Some(l) => l,
                None => target
                    .lipschitz()
                    .ok_or_else(|| bad("target has no known Lipschitz constant: pass --lipschitz L".into()))?,
            };
            let p = PaperParams::reconstruct(pred, target.dim(), l, eps, PaperConstants::default())?;
            let s = PcSchedule::paper(&p, corr, t_max, t_min)?;
            check_corrector_steps(&s.corrector)?;
            let cfg = vec![
                ("kind", Json::Str("paper (reconstructed)".into())),
                ("eps", Json::Num(eps)),
                ("lipschitz", Json::Num(l)),
                ("h_pred", Json::Num(p.h_pred)),
                ("chunk", Json::Num(p.chunk)),
                ("gamma", Json::Num(p.gamma)),
                ("t_corr", Json::Num(p.t_corr)),
                ("h_corr", Json::Num(p.h_corr)),
                ("steps", Json::Int(s.grid.steps() as i64)),
            ];
            (s, cfg)
        }
        other => return Err(bad(format!("unknown schedule `{other}` (user, paper)"))),
    };
    let corrections = sched.corrections();
    let sampler = PredictorCorrector {
        predictor: pred,
        schedule: sched,
    };
    let cfg = Json::obj(cfg.into_iter().chain([("corrections", Json::Int(corrections as i64))]));
    Ok((Box::new(sampler), cfg))
}

/// The score a sampler integrates: the target's exact score, or a perturbed one.
pub enum ScoreChoice {
    /// Exact `∇ln q_t`.
    Exact(Box<dyn Target>),
    /// `∇ln q_t + e_t` with `E_{q_t}‖e_t‖² = ε_sc²` ([`Perturbed`]).
    Perturbed(Box<Perturbed<Box<dyn Target>>>),
}

impl ScoreChoice {
    /// The target (start law and reference) and the score field to integrate.
    pub fn parts(&self) -> (&dyn Target, &dyn Score) {
        match self {
            ScoreChoice::Exact(t) => (t.as_ref(), t.as_ref()),
            ScoreChoice::Perturbed(p) => (p.target().as_ref(), p.as_ref()),
        }
    }
}

/// `--score-error none|bias|linear|fourier` with `--eps-sc E (0.1)`, `--error-seed S (0)`, and for
/// fourier `--features K (16) --bandwidth B (1)`. `linear` uses `A = diag(a)`, `b` with entries
/// drawn i.i.d. N(0, 1) from the error seed, rescaled to the exact size (Assumption 2.4).
///
/// # Errors
/// Unknown kind, bad parameters, or a target lacking the moments a kind needs.
pub fn score_error(args: &mut Args, target: Box<dyn Target>) -> Result<(ScoreChoice, Json)> {
    let kind = args.str_or("score-error", "none");
    if kind == "none" {
        return Ok((ScoreChoice::Exact(target), Json::Str("none".into())));
    }
    let eps = args.f64_or("eps-sc", 0.1)?;
    let seed = args.u64_or("error-seed", 0)?;
    let mut cfg = vec![
        ("kind", Json::Str(kind.clone())),
        ("eps_sc", Json::Num(eps)),
        ("seed", Json::Int(seed as i64)),
    ];
    let d = target.dim();
    let kind = match kind.as_str() {
        "bias" => ErrorKind::Bias { direction: None },
        "linear" => {
            let mut ab = vec![0.0; 2 * d];
            crate::rng::fill_normal(&mut crate::rng::stream_rng(seed, 1), &mut ab);
            let b = ab.split_off(d);
            ErrorKind::Linear { a: ab, b }
        }
        "fourier" => {
            let (features, bandwidth) = (args.usize_or("features", 16)?, args.f64_or("bandwidth", 1.0)?);
            cfg.push(("features", Json::Int(features as i64)));
            cfg.push(("bandwidth", Json::Num(bandwidth)));
            ErrorKind::Fourier { features, bandwidth }
        }
        other => {
            return Err(bad(format!(
                "unknown score error `{other}` (none, bias, linear, fourier)"
            )));
        }
    };
    let p = Perturbed::new(target, eps, kind, seed)?;
    if let Some(l) = p.lipschitz() {
        cfg.push(("lipschitz_of_perturbed_score", Json::Num(l)));
    }
    Ok((ScoreChoice::Perturbed(Box::new(p)), Json::obj(cfg)))
}
